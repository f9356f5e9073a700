/**
 * The message catalog: every user-facing sentence of server and client, in
 * Chinese (the seed's language, the default) and English.
 *
 * @example
 * ```ts
 * import { t } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(t("zh", "welcome", { username: "小王", count: 1 }), "欢迎 小王！当前在线用户数: 1");
 * assert.equal(t("en", "welcome", { username: "Bob", count: 2 }), "Welcome Bob! Users online: 2");
 * ```
 *
 * @module
 */

/** A supported interface language. */
export type Lang = "zh" | "en";

/** Every supported language. */
export const LANGS: readonly Lang[] = ["zh", "en"];

const CATALOG = {
  // Server console
  serverStarted: {
    zh: "[服务器] 启动成功，监听 {host}:{port}",
    en: "[Server] Started, listening on {host}:{port}",
  },
  lanAddresses: {
    zh: "[服务器] 局域网地址: {addresses}",
    en: "[Server] LAN address: {addresses}",
  },
  webAddresses: {
    zh: "[服务器] 网页版: {urls}",
    en: "[Server] Web client: {urls}",
  },
  serverWaiting: {
    zh: "[服务器] 等待客户端连接...",
    en: "[Server] Waiting for clients...",
  },
  serverStopping: {
    zh: "[服务器] 正在关闭...",
    en: "[Server] Shutting down...",
  },
  serverStopped: {
    zh: "[服务器] 已关闭",
    en: "[Server] Stopped",
  },
  portInUse: {
    zh:
      "[错误] 端口 {port} 已被占用 ({host}:{port}，{flag})\n[提示] 是否已有服务器在运行？可以用 {flag} 换一个端口，或稍后重试",
    en:
      "[Error] Port {port} is already in use ({host}:{port}, {flag})\n[Hint] Is another server running? Choose another port with {flag}, or retry later",
  },
  cannotListen: {
    zh: "[错误] 无法监听 {host}:{port} ({flag}): {reason}",
    en: "[Error] Cannot listen on {host}:{port} ({flag}): {reason}",
  },
  databaseError: {
    zh: "[错误] 数据库错误: {reason}",
    en: "[Error] Database error: {reason}",
  },
  historyStalled: {
    zh:
      "[警告] 数据库正忙（被其他程序锁定），聊天记录暂时无法写入；{pending} 条消息暂存在内存中，将自动重试 ({reason})",
    en:
      "[Warning] The database is busy (locked by another program): chat history cannot be written for now; {pending} message(s) kept in memory and retried automatically ({reason})",
  },
  historyRecovered: {
    zh:
      "[服务器] 数据库可以写入了，聊天记录恢复写入（已保存 {count} 条暂存的消息）",
    en:
      "[Server] The database can be written again: chat history is stored again ({count} buffered message(s) saved)",
  },
  logClientConnected: {
    zh: "【客户端连接】{username} ({address})",
    en: "[Client connected] {username} ({address})",
  },
  logClientDisconnected: {
    zh: "【客户端断开】{username} (在线用户数: {count})",
    en: "[Client disconnected] {username} (users online: {count})",
  },
  logResetToken: {
    zh:
      "【重置令牌】用户 {username} 的密码重置令牌: {token} (有效期至 {expires}，请通过可靠渠道转交本人)",
    en:
      "[Reset token] Password reset token for {username}: {token} (valid until {expires}; pass it on through a trusted channel)",
  },
  logSecurity: {
    zh: "【安全】{event} {username} ({address}) {detail}",
    en: "[Security] {event} {username} ({address}) {detail}",
  },
  logAcceptError: {
    zh: "[警告] 接受连接失败: {reason}，稍后重试",
    en: "[Warning] Cannot accept connections: {reason}; retrying shortly",
  },
  // Operator subcommands
  opNoSuchUser: {
    zh: "[错误] 用户不存在: {user}",
    en: "[Error] No such user: {user}",
  },
  opResetTokenHowTo: {
    zh:
      "[提示] 请把令牌交给本人；对方在客户端选择「3. 重置密码」并输入令牌。令牌 30 分钟内有效，只能使用一次",
    en:
      '[Hint] Give the token to the account\'s owner; they choose "3. Reset password" in the client and enter it. Valid for 30 minutes, single use',
  },
  opUsersHeader: {
    zh: "共 {count} 个账户 (用户名 / 注册时间 / 最后在线):",
    en: "{count} accounts (username / created / last seen):",
  },
  opCannotRead: {
    zh: "[错误] 无法导入 {file}: {reason}",
    en: "[Error] Cannot import {file}: {reason}",
  },
  opImported: { zh: "已导入 {count} 个账户", en: "Imported {count} accounts" },
  opSkipped: { zh: "跳过 {count} 项:", en: "Skipped {count} entries:" },
  opAdminGranted: {
    zh: "已授予 {user} 管理员权限",
    en: "{user} is now an administrator",
  },
  opAdminRevoked: {
    zh: "已撤销 {user} 的管理员权限",
    en: "{user} is no longer an administrator",
  },
  opDeleted: { zh: "已删除账户: {user}", en: "Deleted account: {user}" },
  opUserOnline: { zh: "在线", en: "online" },
  // Operator commands through a running server's control channel
  opViaServer: {
    zh: "[信息] 服务器正在使用该数据库，命令交由它执行",
    en: "[Info] A server is using this database; the command goes through it",
  },
  opControlMissing: {
    zh:
      "[错误] 服务器正在使用该数据库，但找不到它的控制文件 {file}\n[提示] 稍后重试；若仍不行，重启服务器",
    en:
      "[Error] A server is using this database, but its control file {file} is missing\n[Hint] Try again shortly; if that fails, restart the server",
  },
  opControlFailed: {
    zh:
      "[错误] 无法通过正在运行的服务器执行命令（控制文件 {file}）: {reason}\n[提示] 确认服务器仍在运行，或先停止它再执行命令",
    en:
      "[Error] Cannot run the command through the running server (control file {file}): {reason}\n[Hint] Check that the server is still running, or stop it and run the command again",
  },
  opControlUnknown: {
    zh: "[错误] 服务器不认识这个命令: {command}",
    en: "[Error] The server does not know this command: {command}",
  },
  logOperatorCommand: {
    zh: "【操作员】{command}",
    en: "[Operator] {command}",
  },
  controlUnavailable: {
    zh:
      "[警告] 无法开启操作员控制通道: {reason}（服务器运行期间，操作员命令将无法执行）",
    en:
      "[Warning] Cannot open the operator control channel: {reason} (operator commands will not work while the server runs)",
  },
  // Which database file operator commands use
  opUsingDatabase: {
    zh: "[信息] 使用数据库: {path}",
    en: "[Info] Using database: {path}",
  },
  opNoDatabase: {
    zh:
      "[错误] 数据库文件不存在: {path}\n[提示] 先启动一次服务器来创建它，或用 --db（或 TCPCHAT_DB）指定已有的数据库文件",
    en:
      "[Error] Database file not found: {path}\n[Hint] Start the server once to create it, or point --db (or TCPCHAT_DB) at an existing database file",
  },
  // The lock that keeps a second server off a database
  databaseInUse: {
    zh:
      "[错误] 数据库 {db} 正被另一个服务器进程使用（锁文件 {lock}）\n[提示] 一个数据库只能由一个服务器使用：先停止那个服务器（锁文件里记有它的进程号），或用 --db 指定另一个数据库",
    en:
      "[Error] Database {db} is in use by another server process (lock file {lock})\n[Hint] Only one server can use a database: stop that server first (the lock file holds its process id), or choose another database with --db",
  },
  lockFileError: {
    zh: "[错误] 无法创建锁文件 {lock}: {reason}",
    en: "[Error] Cannot create the lock file {lock}: {reason}",
  },
  // Replies to clients
  registerSuccess: { zh: "注册成功！", en: "Registration successful!" },
  invalidUsername: {
    zh: "用户名无效：只能包含字母、数字、_ 和 -，长度 1-32 个字符",
    en: "Invalid username: use 1-32 letters, digits, _ or -",
  },
  reservedUsername: {
    zh: "该用户名为系统保留，请换一个",
    en: "That username is reserved; choose another",
  },
  // Both refusals of look-alikes: a mix of scripts, and a name that looks
  // like an existing account's (which it does not name).
  confusableUsername: {
    zh:
      "用户名混用了外形相似的拉丁、西里尔或希腊字母，或与已有用户名外形相似，请换一个",
    en:
      "That username mixes look-alike Latin, Cyrillic or Greek letters, or looks like an existing name; choose another",
  },
  usernameTaken: { zh: "用户名已存在", en: "Username already exists" },
  passwordTooShort: {
    zh: "密码长度至少 {min} 个字符",
    en: "Password must be at least {min} characters",
  },
  passwordTooLong: {
    zh: "密码过长（最多 1024 字节）",
    en: "Password is too long (at most 1024 bytes)",
  },
  invalidCredentials: {
    zh: "用户名或密码错误",
    en: "Invalid username or password",
  },
  throttled: {
    zh: "尝试次数过多，请 {minutes} 分钟后再试",
    en: "Too many attempts; try again in {minutes:minute|minutes}",
  },
  throttledSeconds: {
    zh: "尝试次数过多，请 {seconds} 秒后再试",
    en: "Too many attempts; try again in {seconds:second|seconds}",
  },
  alreadyLoggedIn: {
    zh: "该用户已在其他地方登录",
    en: "This user is already logged in elsewhere",
  },
  resetRequested: {
    zh:
      "如果该账户存在，重置令牌已交给服务器管理员；请向管理员索取令牌，或使用注册时获得的恢复码。令牌 30 分钟内有效",
    en:
      "If the account exists, a reset token was handed to the server operator; ask them for it, or use the recovery code you got at registration. Tokens are valid for 30 minutes",
  },
  invalidToken: {
    zh: "令牌无效或已过期",
    en: "Invalid or expired token",
  },
  notLoggedIn: {
    zh:
      "请先登录（可用命令: REGISTER, LOGIN, RESET_REQUEST, RESET_CONFIRM, DELETE_ACCOUNT）",
    en:
      "Log in first (commands: REGISTER, LOGIN, RESET_REQUEST, RESET_CONFIRM, DELETE_ACCOUNT)",
  },
  alreadyAuthenticated: {
    zh: "已登录；请先 LOGOUT",
    en: "Already logged in; LOGOUT first",
  },
  invalidCommand: {
    zh: "命令格式错误: {reason}",
    en: "Invalid command: {reason}",
  },
  lineTooLong: {
    zh: "消息过长（最多 {max} 字节），连接已关闭",
    en: "Line too long (at most {max} bytes); closing the connection",
  },
  invalidUtf8: {
    zh: "消息不是有效的 UTF-8，已忽略",
    en: "Line is not valid UTF-8; ignored",
  },
  rateLimited: {
    zh: "发送过快，请放慢速度；部分消息未被发送",
    en: "Slow down: you are sending too fast; some lines were dropped",
  },
  idleTimeout: {
    zh: "{seconds} 秒内未登录，连接已关闭",
    en: "Not logged in within {seconds:second|seconds}; closing the connection",
  },
  loginKeepAliveCap: {
    zh: "{minutes} 分钟内未登录，连接已关闭",
    en: "Not logged in within {minutes:minute|minutes}; closing the connection",
  },
  pingTimeout: {
    zh: "连接无响应，已断开",
    en: "Connection unresponsive; closing it",
  },
  sendQueueFull: {
    zh: "接收消息过慢，连接已关闭",
    en: "Receiving too slowly; closing the connection",
  },
  tooManyConnections: {
    zh: "来自该地址的连接过多（最多 {max} 个）",
    en: "Too many connections from this address (at most {max})",
  },
  serverFull: {
    zh: "服务器已满（最多 {max} 个连接），请稍后再试",
    en: "The server is full (at most {max} connections); try again later",
  },
  shutdown: {
    zh: "服务器正在关闭",
    en: "The server is shutting down",
  },
  sessionPasswordReset: {
    zh: "账户密码已被重置，请重新登录",
    en: "The account's password was reset; log in again",
  },
  sessionAccountDeleted: {
    zh: "账户已被删除",
    en: "The account was deleted",
  },
  sessionResumed: {
    zh: "该账户已在另一连接上恢复会话",
    en: "The session was resumed on another connection",
  },
  serverError: {
    zh: "服务器内部错误，请稍后再试",
    en: "Internal server error; try again later",
  },
  databaseBusy: {
    zh: "数据库正忙（被其他程序占用），请稍后再试",
    en:
      "The database is busy (in use by another program); try again in a moment",
  },
  passwordChanged: { zh: "密码已修改", en: "Password changed" },
  welcome: {
    zh: "欢迎 {username}！当前在线用户数: {count}",
    en: "Welcome {username}! Users online: {count}",
  },
  userJoined: {
    zh: "{username} 加入了聊天室",
    en: "{username} joined the chat",
  },
  userLeft: {
    zh: "{username} 离开了聊天室",
    en: "{username} left the chat",
  },
  presenceJoined: {
    zh: "{joined} 人加入了聊天室",
    en: "{joined} people joined the chat",
  },
  presenceLeft: {
    zh: "{left} 人离开了聊天室",
    en: "{left} people left the chat",
  },
  presenceBoth: {
    zh: "{joined} 人加入、{left} 人离开了聊天室",
    en: "{joined} people joined and {left} left the chat",
  },
  // Encrypted transport
  tlsRequired: {
    zh: "本服务器只接受加密连接，请使用 TLS 端口 {port}（客户端加 --tls）",
    en:
      "This server accepts encrypted connections only: use TLS port {port} (client flag --tls)",
  },
  noTls: { zh: "本服务器未启用 TLS", en: "This server has no TLS" },
  tlsListening: {
    zh: "[服务器] TLS 已启用，监听 {host}:{port}",
    en: "[Server] TLS enabled, listening on {host}:{port}",
  },
  tlsFingerprint: {
    zh: "[服务器] 证书指纹 (SHA-256): {fingerprint}",
    en: "[Server] Certificate fingerprint (SHA-256): {fingerprint}",
  },
  tlsCertCreated: {
    zh: "[服务器] 已生成自签名证书: {path}",
    en: "[Server] Generated a self-signed certificate: {path}",
  },
  tlsCertError: {
    zh: "[错误] 无法加载 TLS 证书: {reason}",
    en: "[Error] Cannot load the TLS certificate: {reason}",
  },
  tlsFirstUse: {
    zh: "[安全] 首次连接 {server}，服务器证书指纹如下，请与服务器管理员核对：",
    en:
      "[Security] First connection to {server}; check this certificate fingerprint with the server's operator:",
  },
  tlsConfirm: {
    zh: "确认信任该服务器吗？(yes/no): ",
    en: "Trust this server? (yes/no): ",
  },
  tlsDeclined: {
    zh: "[客户端] 未信任该证书，已取消连接",
    en: "[Client] Certificate not trusted; not connecting",
  },
  tlsMismatch: {
    zh:
      "[警告] {server} 的证书指纹变了！可能有人在冒充服务器。\n  记录的指纹: {expected}\n  现在的指纹: {actual}\n已拒绝连接。如确认服务器更换了证书，请从 {file} 中删除这一行。",
    en:
      "[WARNING] The certificate of {server} has CHANGED! Someone may be impersonating the server.\n  remembered: {expected}\n  now:        {actual}\nRefusing to connect. If the operator really replaced the certificate, delete its line from {file}.",
  },
  plainWarning: {
    zh:
      "[警告] 连接未加密：密码将以明文发送到网络上。服务器支持时请使用 --tls。",
    en:
      "[Warning] This connection is not encrypted: the password crosses the network in clear text. Use --tls if the server supports it.",
  },
  tlsConnected: {
    zh: "[客户端] 已建立加密连接 (TLS)",
    en: "[Client] Encrypted connection (TLS)",
  },
  // Chat features (server replies)
  invalidRoom: {
    zh: "房间名无效: {room}（1-32 个字母、数字、_ 或 -）",
    en: "Invalid room name: {room} (1-32 letters, digits, _ or -)",
  },
  noSuchUser: { zh: "用户不存在: {user}", en: "No such user: {user}" },
  userOffline: { zh: "{user} 不在线", en: "{user} is not online" },
  offlineQueueFull: {
    zh: "{user} 的离线消息已满（最多 {max} 条），消息未发送",
    en: "{user}'s offline queue is full (at most {max}); message not sent",
  },
  offlineQueueFullBytes: {
    zh: "{user} 的离线消息已满（最多 {max}），消息未发送",
    en: "{user}'s offline queue is full (at most {max}); message not sent",
  },
  notAdmin: {
    zh: "只有管理员可以执行此操作",
    en: "Only administrators can do that",
  },
  kickedDefault: {
    zh: "你已被管理员移出聊天室",
    en: "You were kicked by an administrator",
  },
  okKicked: { zh: "已将 {user} 移出聊天室", en: "Kicked {user}" },
  okMuted: {
    zh: "{user} 已被禁言 {minutes} 分钟",
    en: "{user} is muted for {minutes:minute|minutes}",
  },
  okUnmuted: { zh: "{user} 已解除禁言", en: "{user} is no longer muted" },
  okDeleted: { zh: "消息 {id} 已删除", en: "Message {id} deleted" },
  noSuchMessage: { zh: "消息不存在: {id}", en: "No such message: {id}" },
  mutedNoStatus: {
    zh: "禁言期间不能修改签名",
    en: "You cannot change your status while muted",
  },
  okStatusSet: { zh: "个性签名已更新", en: "Status updated" },
  okStatusCleared: { zh: "个性签名已清除", en: "Status cleared" },
  okReceiptsOn: {
    zh: "已读回执：开（对方能看到你是否已读）",
    en: "Read receipts: on (others see when you have read their messages)",
  },
  okReceiptsOff: {
    zh: "已读回执：关（对方看不到你是否已读）",
    en: "Read receipts: off (others do not see when you read their messages)",
  },
  okAvatarSet: { zh: "头像已设置为 {avatar}", en: "Avatar set to {avatar}" },
  okAvatarCleared: {
    zh: "头像已恢复为默认",
    en: "Avatar back to the default",
  },
  // Client
  clientBanner: { zh: "TCP 聊天客户端", en: "TCP Chat Client" },
  askHost: {
    zh: "请输入服务器地址 (默认为 localhost): ",
    en: "Server address (default localhost): ",
  },
  askPort: {
    zh: "请输入服务器端口 (默认为 5000): ",
    en: "Server port (default 5000): ",
  },
  invalidPort: {
    zh: "[错误] 端口无效: {port}（应为 1-65535）",
    en: "[Error] Invalid port: {port} (expected 1-65535)",
  },
  connected: {
    zh: "[客户端] 已连接到 {host}:{port}",
    en: "[Client] Connected to {host}:{port}",
  },
  cannotConnect: {
    zh: "[错误] 无法连接到服务器 {host}:{port}",
    en: "[Error] Cannot connect to server {host}:{port}",
  },
  cannotConnectHint: {
    zh: "[提示] 请确保服务器已启动",
    en: "[Hint] Make sure the server is running",
  },
  retrying: {
    zh: "[客户端] {seconds} 秒后重试 ({attempt}/{max})...",
    en: "[Client] Retrying in {seconds} s ({attempt}/{max})...",
  },
  badGreeting: {
    zh: "[错误] 服务器协议不兼容: {line}",
    en: "[Error] Incompatible server protocol: {line}",
  },
  authMenuTitle: { zh: "认证菜单", en: "Authentication" },
  menuLogin: { zh: "1. 登录", en: "1. Log in" },
  menuRegister: { zh: "2. 注册", en: "2. Register" },
  menuReset: { zh: "3. 重置密码", en: "3. Reset password" },
  menuQuit: { zh: "4. 退出", en: "4. Quit" },
  menuChoose: { zh: "请选择操作 (1-4): ", en: "Choose (1-4): " },
  menuInvalid: {
    zh: "无效的选择，请输入 1-4",
    en: "Invalid choice; enter 1-4",
  },
  registerTitle: { zh: "--- 注册新账户 ---", en: "--- Register ---" },
  loginTitle: { zh: "--- 登录 ---", en: "--- Log in ---" },
  resetTitle: { zh: "--- 重置密码 ---", en: "--- Reset password ---" },
  askUsername: { zh: "用户名: ", en: "Username: " },
  askPasswordMin: {
    zh: "密码 (至少{min}个字符): ",
    en: "Password (at least {min} characters): ",
  },
  askPassword: { zh: "密码: ", en: "Password: " },
  askConfirmPassword: { zh: "确认密码: ", en: "Confirm password: " },
  askNewPasswordMin: {
    zh: "新密码 (至少{min}个字符): ",
    en: "New password (at least {min} characters): ",
  },
  passwordMismatch: {
    zh: "两次输入的密码不一致",
    en: "The passwords do not match",
  },
  emptyInput: { zh: "输入不能为空", en: "Input cannot be empty" },
  registerDone: { zh: "注册成功！请登录。", en: "Registered! Please log in." },
  recoveryCodeShow: {
    zh: "【重要】您的恢复码: {code}",
    en: "[Important] Your recovery code: {code}",
  },
  recoveryCodeSave: {
    zh:
      "请立即抄写并妥善保存！忘记密码时可在「3. 重置密码」中用它代替令牌。它只显示这一次，使用后会换发新的恢复码。",
    en:
      'Write it down now and keep it safe! If you forget your password, use it instead of a token in "3. Reset password". It is shown only this once, and a new one is issued when it is used.',
  },
  loginSuccess: {
    zh: "登录成功！欢迎 {username}",
    en: "Logged in! Welcome {username}",
  },
  chatTitle: { zh: "进入聊天室", en: "Chat room" },
  chatWelcome: { zh: "欢迎 {username}！", en: "Welcome {username}!" },
  chatStart: {
    zh: "开始聊天 (输入 'exit' 或 'logout' 退出，/help 查看命令):",
    en:
      "Start chatting (type 'exit' or 'logout' to leave, /help for commands):",
  },
  disconnecting: {
    zh: "[客户端] 正在断开连接...",
    en: "[Client] Disconnecting...",
  },
  disconnected: { zh: "[客户端] 已断开连接", en: "[Client] Disconnected" },
  resetExplain: {
    zh:
      "重置密码需要一个令牌：令牌由服务器管理员发放（管理员可在服务器上运行 reset-token 命令，或在服务器日志中看到你的申请），也可以使用注册时显示的恢复码。",
    en:
      "Resetting a password needs a token: the server operator hands it out (they run the reset-token command, or see your request in the server log), or use the recovery code shown when you registered.",
  },
  askResetUsername: {
    zh: "用户名 (向管理员申请令牌；已有令牌或恢复码请直接回车): ",
    en:
      "Username (to request a token from the operator; press Enter if you already have a token or recovery code): ",
  },
  askToken: { zh: "令牌或恢复码: ", en: "Token or recovery code: " },
  resetDone: {
    zh: "密码已重置，请使用新密码登录",
    en: "Password reset; log in with the new password",
  },
  connectionLost: {
    zh: "[客户端] 与服务器的连接已断开，正在重新连接...",
    en: "[Client] Connection to the server lost; reconnecting...",
  },
  reconnected: { zh: "[客户端] 已重新连接", en: "[Client] Reconnected" },
  loginIdleBye: {
    zh: "服务器因长时间未登录断开了连接",
    en: "The server closed the connection: not logged in for too long",
  },
  reconnectFailed: {
    zh: "[错误] 无法重新连接到服务器，请稍后重新登录",
    en: "[Error] Cannot reconnect to the server; log in again later",
  },
  replyTimeout: {
    zh: "服务器在 {seconds} 秒内没有响应",
    en: "The server did not answer within {seconds:second|seconds}",
  },
  unknownSlashCommand: {
    zh: "未知命令: {command}，输入 /help 查看可用命令（消息未发送）",
    en:
      "Unknown command: {command}; type /help for the list (nothing was sent)",
  },
  helpText: {
    zh: "可用命令:\n" +
      "  /help                         显示本帮助\n" +
      "  /join <房间名>                进入房间（没有则创建）\n" +
      "  /leave                        回到大厅\n" +
      "  /rooms                        列出房间\n" +
      "  /users [all]                  本房间（或全部）在线用户\n" +
      "  /msg <用户名> <消息>          发送私聊（对方离线时上线后送达）\n" +
      "  /history [条数]               查看更早的历史消息（默认 20，最多 100）\n" +
      "  /whois <用户名>               查看用户资料\n" +
      "  /status [签名]                设置个性签名（不带内容则清除）\n" +
      "  /avatar [表情]                设置头像为一个表情，如 /avatar 🐱（不带表情则恢复默认）\n" +
      "  /receipts [on|off]            开启或关闭已读回执（不带参数则查看当前设置）\n" +
      "  /emoji                        列出表情短码，如 :smile:\n" +
      "  /send <用户名|#房间> <路径>    分享文件（路径有空格时加引号）\n" +
      "  /files                        列出可获取的文件\n" +
      "  /get <编号> [文件夹]          下载文件，如 /get f12（默认存到“下载”文件夹）\n" +
      "  /kick <用户名> [原因]         踢出用户（管理员）\n" +
      "  /mute <用户名> <分钟> [原因]  禁言用户（管理员）\n" +
      "  /unmute <用户名>              解除禁言（管理员）\n" +
      "  /delete <消息编号>            删除消息（管理员）\n" +
      "  /delete last <用户名>         删除该用户在本房间的最后一条消息（管理员）\n" +
      "  /password                     修改密码\n" +
      "  /delete-account               删除账户（需要密码确认）\n" +
      "  /logout, logout               登出并退出\n" +
      "  /quit, /exit, exit            退出\n" +
      "其他输入会作为消息发送到当前房间（以 // 开头可发送以 / 开头的消息）。",
    en: "Commands:\n" +
      "  /help                            show this help\n" +
      "  /join <room>                     go to a room (created if needed)\n" +
      "  /leave                           go back to the lobby\n" +
      "  /rooms                           list the rooms\n" +
      "  /users [all]                     who is online here (or anywhere)\n" +
      "  /msg <user> <text>               send a private message (kept for offline users)\n" +
      "  /history [count]                 show older messages (default 20, at most 100)\n" +
      "  /whois <user>                    show a user's profile\n" +
      "  /status [text]                   set your status (without text: clear it)\n" +
      "  /avatar [emoji]                  set your avatar to one emoji, e.g. /avatar 🐱 (without: the default)\n" +
      "  /receipts [on|off]               send read receipts or not (without: show the setting)\n" +
      "  /emoji                           list emoji shortcodes such as :smile:\n" +
      "  /send <user|#room> <path>        share a file (quote a path with spaces)\n" +
      "  /files                           list the files you can get\n" +
      "  /get <id> [folder]               download a file, e.g. /get f12 (to Downloads by default)\n" +
      "  /kick <user> [reason]            disconnect a user (administrators)\n" +
      "  /mute <user> <minutes> [reason]  mute a user (administrators)\n" +
      "  /unmute <user>                   lift a mute (administrators)\n" +
      "  /delete <message-id>             delete a message (administrators)\n" +
      "  /delete last <user>              delete the user's last message in this room (administrators)\n" +
      "  /password                        change your password\n" +
      "  /delete-account                  delete your account (asks for your password)\n" +
      "  /logout, logout                  log out and quit\n" +
      "  /quit, /exit, exit               quit\n" +
      "Anything else is sent to the current room (start with // to send a line that begins with /).",
  },
  // Client: rooms, private messages, history, moderation and profiles
  viewJoined: {
    zh: "你已进入房间 {room}（当前 {count} 人）",
    en: "You are now in room {room} ({count} here)",
  },
  viewRoomList: { zh: "房间列表: {rooms}", en: "Rooms: {rooms}" },
  viewUsersInRoom: {
    zh: "房间 {room} 的在线用户 ({count}): {users}",
    en: "Online in room {room} ({count}): {users}",
  },
  viewUsersAll: {
    zh: "所有在线用户 ({count}): {users}",
    en: "Everyone online ({count}): {users}",
  },
  viewListSeparator: { zh: ", ", en: ", " },
  viewNone: { zh: "（无）", en: "(none)" },
  viewHistoryBegin: { zh: "--- 历史消息 ---", en: "--- History ---" },
  viewHistoryEnd: {
    zh: "--- 以上为历史消息 ---",
    en: "--- End of history ---",
  },
  viewHistoryEndMore: {
    zh: "--- 以上为历史消息（还有更早的消息）---",
    en: "--- End of history (there are older messages) ---",
  },
  viewHistoryNone: {
    zh: "没有更早的历史消息",
    en: "There are no older messages",
  },
  viewCatchUpBegin: {
    zh: "--- 断线期间的消息 ---",
    en: "--- Messages while you were away ---",
  },
  viewCatchUpEnd: {
    zh: "--- 以上为断线期间的消息 ---",
    en: "--- End of the messages while you were away ---",
  },
  viewCatchUpNone: {
    zh: "断线期间没有新消息",
    en: "No messages while you were away",
  },
  viewPrivateTag: { zh: "[私聊]", en: "[PM]" },
  viewYou: { zh: "你", en: "you" },
  viewPmQueued: {
    zh: "{user} 不在线，消息将在其上线后送达",
    en: "{user} is offline; the message will be delivered when they log in",
  },
  viewPmDelivered: {
    zh: "你发给 {user} 的 {count} 条离线消息已送达",
    en: "{count} offline messages of yours were delivered to {user}",
  },
  viewOfflineBegin: {
    zh: "--- 离线消息 ({count}) ---",
    en: "--- Offline messages ({count}) ---",
  },
  viewOfflineEnd: {
    zh: "--- 离线消息结束 ---",
    en: "--- End of offline messages ---",
  },
  viewMessageDeleted: {
    zh: "一条消息已被管理员删除",
    en: "A message was deleted by an administrator",
  },
  viewMuted: { zh: "你已被禁言至 {until}", en: "You are muted until {until}" },
  viewMutedReason: {
    zh: "你已被禁言至 {until}，原因: {reason}",
    en: "You are muted until {until}; reason: {reason}",
  },
  viewMutedRefused: {
    zh: "你正在禁言中（至 {until}），消息未发送",
    en: "You are muted until {until}; the message was not sent",
  },
  viewMutedRefusedReason: {
    zh: "你正在禁言中（至 {until}，原因: {reason}），消息未发送",
    en:
      "You are muted until {until} (reason: {reason}); the message was not sent",
  },
  viewUnmuted: { zh: "你的禁言已解除", en: "Your mute was lifted" },
  viewKicked: {
    zh: "你已被管理员移出聊天室",
    en: "You were kicked by an administrator",
  },
  viewKickedReason: {
    zh: "你已被管理员移出聊天室: {reason}",
    en: "You were kicked by an administrator: {reason}",
  },
  viewWhoisOnline: {
    zh: "{user}{admin}: 在线，房间 {room}，注册于 {registered}",
    en: "{user}{admin}: online, in room {room}, registered {registered}",
  },
  viewWhoisOffline: {
    zh: "{user}{admin}: 离线，最后在线 {lastSeen}，注册于 {registered}",
    en: "{user}{admin}: offline, last seen {lastSeen}, registered {registered}",
  },
  viewWhoisNeverSeen: {
    zh: "{user}{admin}: 离线，注册于 {registered}",
    en: "{user}{admin}: offline, registered {registered}",
  },
  viewWhoisAdmin: { zh: "（管理员）", en: " (admin)" },
  viewWhoisStatus: { zh: "，状态: {status}", en: ", status: {status}" },
  viewOkKicked: { zh: "已将用户移出聊天室", en: "User kicked" },
  viewOkMuted: { zh: "已禁言", en: "User muted" },
  viewOkUnmuted: { zh: "已解除禁言", en: "Mute lifted" },
  viewOkDeleted: { zh: "消息已删除", en: "Message deleted" },
  viewOkStatusSet: { zh: "状态已更新", en: "Status updated" },
  viewOkStatusCleared: { zh: "状态已清除", en: "Status cleared" },
  viewEmojiTitle: {
    zh: "表情短码（在消息中输入 :代码: 即可发送表情）:",
    en: "Emoji shortcodes (type :code: in a message):",
  },
  usageError: {
    zh: "用法: {usage}（未发送）",
    en: "Usage: {usage} (nothing sent)",
  },
  usageJoin: { zh: "/join <房间名>", en: "/join <room>" },
  usageMsg: { zh: "/msg <用户名> <消息>", en: "/msg <user> <text>" },
  usageUsers: { zh: "/users [all]", en: "/users [all]" },
  usageHistory: { zh: "/history [条数 1-100]", en: "/history [count 1-100]" },
  usageKick: { zh: "/kick <用户名> [原因]", en: "/kick <user> [reason]" },
  usageMute: {
    zh: "/mute <用户名> <分钟数 1-10080> [原因]",
    en: "/mute <user> <minutes 1-10080> [reason]",
  },
  usageUnmute: { zh: "/unmute <用户名>", en: "/unmute <user>" },
  usageDelete: {
    zh: "/delete <消息编号> 或 /delete last <用户名>",
    en: "/delete <message-id> or /delete last <user>",
  },
  usageWhois: { zh: "/whois <用户名>", en: "/whois <user>" },
  usageSend: {
    zh: "/send <用户名|#房间> <文件路径>",
    en: "/send <user|#room> <file path>",
  },
  usageGet: { zh: "/get <文件编号> [文件夹]", en: "/get <file id> [folder]" },
  cannotSend: { zh: "无法发送: {reason}", en: "Cannot send: {reason}" },
  askOldPassword: { zh: "当前密码: ", en: "Current password: " },
  deleteConfirm: {
    zh: "确定要永久删除账户 {username} 吗？此操作不可撤销。输入 yes 确认: ",
    en:
      "Permanently delete account {username}? This cannot be undone. Type yes to confirm: ",
  },
  deleteCancelled: { zh: "已取消", en: "Cancelled" },
  accountDeleted: { zh: "账户已删除", en: "Account deleted" },
  cancelled: { zh: "已取消", en: "Cancelled" },
  rateLimitedShort: { zh: "发送过快，请稍候", en: "Slow down" },
  // Languages and chat UX (issue 12, items 18, 20, 22): security log lines
  securityRegister: {
    zh: "【安全】新账户注册: {username} ({address})",
    en: "[Security] Account registered: {username} from {address}",
  },
  securityRegisterThrottled: {
    zh: "【安全】注册过于频繁: {username} ({address})",
    en: "[Security] Registration throttled: {username} from {address}",
  },
  securityLoginFailure: {
    zh: "【安全】登录失败: {username} ({address})，原因: {reason}",
    en: "[Security] Failed login as {username} from {address}: {reason}",
  },
  securityResetConfirmed: {
    zh: "【安全】密码已用令牌或恢复码重置: {username} ({address})",
    en:
      "[Security] Password reset with a token or recovery code: {username} from {address}",
  },
  securityAccountDeleted: {
    zh: "【安全】账户已被本人删除: {username} ({address})",
    en: "[Security] Account deleted by its owner: {username} from {address}",
  },
  securityPasswordChanged: {
    zh: "【安全】密码已修改: {username} ({address})",
    en: "[Security] Password changed: {username} from {address}",
  },
  securityReasonInvalidCredentials: {
    zh: "用户名或密码错误",
    en: "wrong username or password",
  },
  // Languages and chat UX: chat replies
  currentPasswordWrong: {
    zh: "当前密码错误",
    en: "Current password is incorrect",
  },
  pmToSelf: {
    zh: "不能给自己发私聊（消息未发送）",
    en: "You cannot send a private message to yourself (nothing was sent)",
  },
  configBadSize: {
    zh: '无法使用 --{name} "{value}"：应为大小，例如 100M、1G 或字节数',
    en:
      'Cannot use --{name} "{value}": expected a size such as 100M, 1G or a number of bytes',
  },
  configFilesOff: {
    zh: "{flag} 没有作用：{off} 关闭了文件分享（文件通过网页端口传输）",
    en:
      "{flag} has no effect: {off} turns file sharing off (files travel over the web port)",
  },
  filesFolder: {
    zh: "[服务器] 文件目录: {dir}（单个文件上限 {max}）",
    en: "[Server] Shared files: {dir} (at most {max} each)",
  },
  filesDirError: {
    zh:
      "[错误] 无法使用文件目录 {dir}: {reason}（可以用 --files-dir 换一个，或 --no-files 关闭文件分享）",
    en:
      "[Error] Cannot use the files folder {dir}: {reason} (choose another with --files-dir, or turn sharing off with --no-files)",
  },
  // File sharing: what the terminal and the page show
  viewFileShared: {
    zh: "{sender} 分享了文件 {name} ({size}) {tag}",
    en: "{sender} shared the file {name} ({size}) {tag}",
  },
  viewFilesBegin: {
    zh: "--- 可获取的文件（{count} 个，/get <编号> 下载）---",
    en: "--- Files you can get ({count}; /get <id> downloads) ---",
  },
  viewFilesNone: {
    zh: "没有可获取的文件",
    en: "No files to get",
  },
  viewFileEntry: {
    zh: "{tag} {name} ({size})  {from} → {to}  {date}",
    en: "{tag} {name} ({size})  {from} → {to}  {date}",
  },
  // File sharing: the terminal's transfers
  fileNotAFile: {
    zh: "不是文件: {path}",
    en: "Not a file: {path}",
  },
  fileCannotRead: {
    zh: "无法读取文件 {path}: {reason}",
    en: "Cannot read the file {path}: {reason}",
  },
  fileHashing: {
    zh: "  正在计算 {name} 的校验和…",
    en: "  Computing the checksum of {name}…",
  },
  fileRetrying: {
    zh: "  {name} 传输中断，正在继续…",
    en: "  {name}: the transfer was cut; resuming…",
  },
  fileUploaded: {
    zh: "{name} ({size}) 已上传并通过校验（{speed}）",
    en: "{name} ({size}) uploaded and verified ({speed})",
  },
  fileDownloaded: {
    zh: "已保存到 {path} ({size}，SHA-256 校验通过，{speed})",
    en: "Saved to {path} ({size}, SHA-256 verified, {speed})",
  },
  fileTransferFailed: {
    zh: "文件传输失败: {reason}",
    en: "The file transfer failed: {reason}",
  },
  fileHashMismatch: {
    zh: "收到的文件与发送者的 SHA-256 不符，已删除，请重新 /get",
    en:
      "The file received does not match the sender's SHA-256; it was removed, /get it again",
  },
  fileChanged: {
    zh: "文件在分享期间被修改了，请重新 /send",
    en: "The file changed while it was being shared; /send it again",
  },
  fileUploadRejected: {
    zh: "服务器拒绝了上传: {reason}",
    en: "The server refused the upload: {reason}",
  },
  // File sharing: the page
  webAttach: { zh: "📎 文件", en: "📎 File" },
  webDownload: { zh: "下载", en: "Download" },
  webDropHere: {
    zh: "松开鼠标即可分享到这里",
    en: "Drop to share it here",
  },
  webSendHint: {
    zh: "网页版请用 📎 按钮，或把文件拖到聊天区",
    en: "In the page, use the 📎 button or drop a file on the chat",
  },
  webHashing: {
    zh: "正在计算 {name} 的校验和…",
    en: "Computing the checksum of {name}…",
  },
  webUploadFailed: {
    zh: "{name} 上传失败，请重试",
    en: "Uploading {name} failed; try again",
  },
  webDownloaded: {
    zh: "{name} ({size}) 已下载，SHA-256 校验通过",
    en: "{name} ({size}) downloaded, SHA-256 verified",
  },
  webDownloadFailed: {
    zh: "{name} 下载失败，请重试",
    en: "Downloading {name} failed; try again",
  },
  // File sharing: the server's refusals
  filesDisabled: {
    zh: "本服务器没有开启文件分享",
    en: "File sharing is off on this server",
  },
  fileTooLarge: {
    zh: "文件太大（上限 {max}）",
    en: "The file is too large (the limit is {max})",
  },
  fileQuotaExceeded: {
    zh: "你的文件空间已满（上限 {quota}），请等旧文件过期后再分享",
    en:
      "Your file space is full (the limit is {quota}); share again once older files expire",
  },
  fileDiskFull: {
    zh: "服务器磁盘空间不足，暂时不能上传文件",
    en: "The server's disk is nearly full; uploads are refused for now",
  },
  noSuchFile: {
    zh: "文件不存在或无权获取: {id}",
    en: "No such file, or not shared with you: {id}",
  },
  notInRoom: {
    zh: "你不在房间 {room}",
    en: "You are not in room {room}",
  },
  fileNotInRoom: {
    zh: "只能分享到你所在的房间（先 /join {room}）",
    en: "You can share only into the room you are in (/join {room} first)",
  },
  tooManyUploads: {
    zh: "未完成的上传太多（最多 {max} 个），请先完成或等待它们过期",
    en:
      "Too many unfinished uploads (at most {max}); finish them or let them expire",
  },
  userMoved: {
    zh: "{username} 去了房间 {room}",
    en: "{username} left for room {room}",
  },
  noRecentMessage: {
    zh: "房间 {room} 最近的消息中没有 {user} 发的",
    en: "No recent message of {user} in room {room}",
  },
  alreadyInLobby: {
    zh: "你已经在大厅了",
    en: "You are already in the lobby",
  },
  invalidCommandUsage: {
    zh: "命令格式错误，用法: {usage}（未执行）",
    en: "Invalid command: {reason}",
  },
  invalidEmptyText: {
    zh: "内容不能为空，至少要有一个可见字符（用法: {usage}，未执行）",
    en: "Invalid command: {reason}",
  },
  invalidLongText: {
    zh:
      "内容过长：消息最多 4096 字节，原因最多 200 字节，签名最多 100 个字符（用法: {usage}，未执行）",
    en: "Invalid command: {reason}",
  },
  // Languages and chat UX: flag and database errors on the server console
  configError: { zh: "[错误] {reason}", en: "[Error] {reason}" },
  configUnknownOption: {
    zh: "未知选项: {option}",
    en: 'Unknown option "{option}"',
  },
  configMissingValue: {
    zh: "选项 {option} 缺少取值",
    en: 'Option "{option}" needs a value',
  },
  configUnexpectedValue: {
    zh: "选项 {option} 不接受取值",
    en: 'Option "{option}" does not take a value',
  },
  configBadLang: {
    zh: '无法使用语言 "{lang}"：应为 "zh" 或 "en"',
    en: 'Cannot use language "{lang}": expected "zh" or "en"',
  },
  configBadHost: {
    zh: '无法监听主机 "{host}"：不是有效的地址',
    en: 'Cannot listen on host "{host}": not an address',
  },
  configBadInteger: {
    zh: '无法使用 --{name} "{value}"：应为 {min} 到 {max} 之间的整数',
    en:
      'Cannot use --{name} "{value}": expected an integer from {min} to {max}',
  },
  configUnknownCommand: {
    zh: '未知命令 "{command}"',
    en: 'Unknown command "{command}"',
  },
  configArity: {
    zh: '命令 "{command}" 需要 {arity} 个参数，实际给了 {count} 个',
    en: 'Command "{command}" takes {arity} {arguments}, got {count}',
  },
  configTlsPair: {
    zh: "无法启用 TLS：--tls-cert 和 --tls-key 必须同时给出",
    en: "Cannot use TLS: --tls-cert and --tls-key must be given together",
  },
  configRequireTlsWithoutTls: {
    zh:
      "没有 TLS 时不能使用 --require-tls：请加上 --tls 或 --tls-cert/--tls-key",
    en:
      "Cannot use --require-tls without TLS: add --tls or --tls-cert/--tls-key",
  },
  configTlsPortWithoutTls: {
    zh: "没有 TLS 时不能使用 --tls-port：请加上 --tls 或 --tls-cert/--tls-key",
    en: "Cannot use --tls-port without TLS: add --tls or --tls-cert/--tls-key",
  },
  configWebPortWithoutWeb: {
    zh: "--web-port 与 --no-web 不能同时使用：请只保留一个",
    en: "Cannot use --web-port with --no-web: keep one of them",
  },
  storeCannotOpen: {
    zh: '无法打开数据库 "{path}"：{reason}',
    en: 'Cannot open database "{path}": {reason}',
  },
  storeNotADatabase: {
    zh:
      '无法打开数据库 "{path}"：该文件不是 SQLite 数据库；请把它移到别处，或用 --db 选择其他文件',
    en:
      'Cannot open database "{path}": the file is not a SQLite database; move it aside or choose another file with --db',
  },
  storeForeignDatabase: {
    zh:
      '无法打开数据库 "{path}"：这是其他程序的 SQLite 数据库；请用 --db 选择其他文件',
    en:
      'Cannot open database "{path}": it is a SQLite database of another program; choose another file with --db',
  },
  storeCorrupt: {
    zh:
      '无法打开数据库 "{path}"：文件已损坏；请从备份恢复，或把它移到别处后重新启动以新建数据库',
    en:
      'Cannot open database "{path}": the file is corrupt; restore it from a backup or move it aside to start a new one',
  },
  storeNewerSchema: {
    zh: '无法打开数据库 "{path}"：它由更新版本的 TCPChat 创建；请升级 TCPChat',
    en:
      'Cannot open database "{path}": it was made by a newer TCPChat; upgrade TCPChat',
  },
  storeLocked: {
    zh: '无法使用数据库 "{path}"：它被另一个进程锁定；请停止该进程，或稍后重试',
    en:
      'Cannot use database "{path}": it is locked by another process; stop that process or wait and retry',
  },
  securityReasonThrottled: {
    zh: "尝试次数过多，已暂时拒绝",
    en: "too many attempts, refused for now",
  },

  // Client: input over a protocol limit, refused before sending
  inputMessageTooLong: {
    zh:
      "消息太长: {length} 字节，上限 {limit} 字节（约 1365 个汉字）；未发送，请分几条发送",
    en:
      "Message too long: {length} bytes, the limit is {limit} bytes; nothing sent, please send it in several parts",
  },
  inputStatusTooLong: {
    zh: "状态太长: {length} 个字符，上限 {limit} 个字符；未发送",
    en:
      "Status too long: {length} characters, the limit is {limit}; nothing sent",
  },
  inputReasonTooLong: {
    zh: "原因太长: {length} 字节，上限 {limit} 字节；未发送",
    en:
      "Reason too long: {length} bytes, the limit is {limit} bytes; nothing sent",
  },
  inputPasswordTooLong: {
    zh: "密码太长: {length} 字节，上限 {limit} 字节；未发送",
    en:
      "Password too long: {length} bytes, the limit is {limit} bytes; nothing sent",
  },

  // Client: the address prompt
  invalidAddress: {
    zh: "[错误] 地址无效: {address}（应为 主机、主机:端口 或 [IPv6地址]:端口）",
    en:
      "[Error] Invalid address: {address} (expected host, host:port or [IPv6]:port)",
  },

  // Client: date lines in a history block
  // The browser page (issue 14)
  webTitle: { zh: "TCPChat 网页版", en: "TCPChat Web" },
  webTabLogin: { zh: "登录", en: "Log in" },
  webTabRegister: { zh: "注册", en: "Register" },
  webTabReset: { zh: "重置密码", en: "Reset password" },
  webUsername: { zh: "用户名", en: "Username" },
  webPassword: { zh: "密码", en: "Password" },
  webPasswordMin: {
    zh: "密码（至少 {min} 个字符）",
    en: "Password (at least {min} characters)",
  },
  webConfirmPassword: { zh: "确认密码", en: "Confirm password" },
  webNewPasswordMin: {
    zh: "新密码（至少 {min} 个字符）",
    en: "New password (at least {min} characters)",
  },
  webOldPassword: { zh: "当前密码", en: "Current password" },
  webToken: { zh: "令牌或恢复码", en: "Token or recovery code" },
  webRecoveryTitle: {
    zh: "请立即抄下你的恢复码",
    en: "Write down your recovery code now",
  },
  webRecoverySave: {
    zh:
      "请立即抄写并妥善保存！忘记密码时，在「重置密码」中用它代替令牌。它只显示这一次，使用后会换发新的恢复码。",
    en:
      'Write it down now and keep it safe! If you forget your password, use it instead of a token under "Reset password". It is shown only this once, and a new one is issued when it is used.',
  },
  webCopy: { zh: "复制", en: "Copy" },
  webCopied: { zh: "已复制", en: "Copied" },
  webCopyFailed: {
    zh: "无法复制，请手动抄写",
    en: "Cannot copy; write it down by hand",
  },
  webRecoveryDone: {
    zh: "我已抄下，继续",
    en: "I have written it down: continue",
  },
  webStateConnecting: { zh: "正在连接…", en: "Connecting…" },
  webStateOnline: { zh: "已连接", en: "Connected" },
  webStateReconnecting: {
    zh: "连接已断开，{seconds} 秒后重试…",
    en: "Connection lost; retrying in {seconds} s…",
  },
  webStateOffline: { zh: "未连接", en: "Not connected" },
  webRetry: { zh: "立即重试", en: "Retry now" },
  webRooms: { zh: "房间", en: "Rooms" },
  webPrivate: { zh: "私聊", en: "Private" },
  webOnline: { zh: "在线", en: "Online" },
  webRoomPlaceholder: { zh: "房间名", en: "Room name" },
  webJoin: { zh: "进入", en: "Join" },
  webInputPlaceholder: {
    zh: "输入消息，/help 查看命令",
    en: "Type a message; /help for commands",
  },
  webInputPrivate: { zh: "私聊 {user}", en: "Message {user}" },
  webSend: { zh: "发送", en: "Send" },
  webHelp: { zh: "帮助", en: "Help" },
  webEmoji: { zh: "表情", en: "Emoji" },
  webLogout: { zh: "退出", en: "Log out" },
  webNotify: { zh: "开启通知", en: "Notify me" },
  webNotifyOn: { zh: "通知已开启", en: "Notifications on" },
  webNotifyDenied: {
    zh: "浏览器不允许通知",
    en: "The browser does not allow notifications",
  },
  webMenu: { zh: "菜单", en: "Menu" },
  webWhois: { zh: "资料", en: "Profile" },
  webChangePassword: { zh: "修改密码", en: "Change password" },
  webDeleteAccount: { zh: "删除账户", en: "Delete account" },
  webDeleteExplain: {
    zh: "永久删除账户 {username}？此操作不可撤销。请输入密码确认。",
    en:
      "Permanently delete account {username}? This cannot be undone. Enter your password to confirm.",
  },
  webOk: { zh: "确定", en: "OK" },
  webCancel: { zh: "取消", en: "Cancel" },
  webNewBelow: { zh: "有新消息 ↓", en: "New messages ↓" },
  webSessionEnded: {
    zh: "会话已结束，请重新登录",
    en: "Your session has ended; log in again",
  },
  webLanguage: { zh: "语言", en: "Language" },
  webLoadingOlder: { zh: "正在加载更早的消息…", en: "Loading older messages…" },
  webServerVersion: { zh: "服务器 {version}", en: "Server {version}" },
  webNoOlderHistory: {
    zh: "—— 没有更早的消息了 ——",
    en: "—— No older messages ——",
  },
  viewHistoryDate: { zh: "—— {date} ——", en: "—— {date} ——" },

  // Read receipts and avatars: the page (issue 15)
  webReceiptSent: {
    zh: "已发送，尚未送达",
    en: "Sent, not delivered yet",
  },
  webReceiptDelivered: { zh: "已送达 {time}", en: "Delivered {time}" },
  webReceiptRead: { zh: "已读 {time}", en: "Read {time}" },
  webReceiptReadNotice: {
    zh: "{user} 已读你的私信（{time}）",
    en: "{user} read your private messages ({time})",
  },
  webUnreadRoom: {
    zh: "{count} 条未读",
    en: "{count} unread",
  },
  webProfile: { zh: "我的资料", en: "My profile" },
  webAvatar: { zh: "头像", en: "Avatar" },
  webAvatarPicture: {
    zh: "上传图片（PNG、JPEG、GIF 或 WebP）",
    en: "Upload a picture (PNG, JPEG, GIF or WebP)",
  },
  webAvatarEmoji: { zh: "或用一个表情", en: "Or one emoji" },
  webAvatarEmojiSet: { zh: "设为头像", en: "Use it" },
  webAvatarDefault: { zh: "恢复默认头像", en: "Back to the default" },
  webAvatarNotEmoji: {
    zh: "请输入一个表情符号",
    en: "Enter one emoji",
  },
  webAvatarUploading: { zh: "正在上传头像…", en: "Uploading the avatar…" },
  webAvatarUploaded: { zh: "头像已更新", en: "Avatar updated" },
  webAvatarTooLarge: {
    zh: "图片太大（上限 {max}）",
    en: "The picture is too large (the limit is {max})",
  },
  webAvatarUnsupported: {
    zh: "只能使用 PNG、JPEG、GIF 或 WebP 图片",
    en: "Only PNG, JPEG, GIF or WebP pictures can be used",
  },
  webAvatarInvalid: {
    zh: "图片已损坏或尺寸过大",
    en: "The picture is damaged or has too many pixels",
  },
  webAvatarTicketExpired: {
    zh: "上传许可已失效，请重试",
    en: "The upload ticket has expired; try again",
  },
  webAvatarUnreadable: {
    zh: "无法读取这张图片",
    en: "Cannot read this picture",
  },
  webAvatarUploadFailed: {
    zh: "头像上传失败",
    en: "Cannot upload the avatar",
  },
  webReceiptsToggle: {
    zh: "告诉对方我已读他们的私信（已读回执）",
    en: "Tell senders when I have read their private messages (read receipts)",
  },
  webClose: { zh: "关闭", en: "Close" },

  // Repeated protocol errors (issue 12, item 8).
  tooManyProtocolErrors: {
    zh: "连续 {count} 行无效（不是有效的 UTF-8 或命令格式错误），连接已关闭",
    en:
      "{count} invalid lines in a row (not valid UTF-8 or malformed commands); closing the connection",
  },

  // Client: registration form (issue 12 item 22)
  usernameHasSpace: {
    zh: "用户名不能包含空格: {username}",
    en: "A username cannot contain spaces: {username}",
  },

  // Client: plain connection to a TLS port or a --require-tls server (issue 12 item 17)
  plainAtTlsPort: {
    zh:
      "[错误] {host}:{port} 是加密（TLS）端口，不能用明文连接：请加 --tls 重新启动客户端",
    en:
      "[Error] {host}:{port} is an encrypted (TLS) port and cannot be used in clear text: restart the client with --tls",
  },
  plainTlsRequired: {
    zh:
      "[错误] 该服务器只接受加密连接：请加 --tls 重新启动客户端（TLS 端口 {tlsPort}）",
    en:
      "[Error] This server accepts encrypted connections only: restart the client with --tls (TLS port {tlsPort})",
  },

  // Read receipts and avatars: the terminal (issue 15)
  viewPmRead: {
    zh: "{user} 已读了你的私聊消息 ✓✓",
    en: "{user} read your private messages ✓✓",
  },
  viewPmReadAt: {
    zh: "{user} 已读了你的私聊消息 ✓✓（{time}）",
    en: "{user} read your private messages ✓✓ ({time})",
  },
  viewUnreadSummary: {
    zh: "未读消息: {rooms}（输入 /join <房间名> 查看）",
    en: "Unread: {rooms} (type /join <room> to read them)",
  },
  viewUnreadEntry: { zh: "{room} {count} 条", en: "{room} {count}" },
  viewUnreadSeparator: { zh: "，", en: ", " },
  viewUnreadMore: {
    zh: "另有 {more} 个房间",
    en: "and {more:more room|more rooms}",
  },
  viewRoomUnread: {
    zh: "{room} ({count}, {unread} 条未读)",
    en: "{room} ({count}, {unread} unread)",
  },
  viewWhoisAvatar: { zh: "，头像: {avatar}", en: ", avatar: {avatar}" },
  usageAvatar: { zh: "/avatar [表情]", en: "/avatar [emoji]" },
  usageReceipts: { zh: "/receipts [on|off]", en: "/receipts [on|off]" },
  avatarNotEmoji: {
    zh:
      "头像只能是一个表情，如 /avatar 🐱 或 /avatar :cat:；图片头像请在网页上设置（未发送）",
    en:
      "An avatar is one emoji, e.g. /avatar 🐱 or /avatar :cat:; a picture can be set in the web page (nothing sent)",
  },
  viewOkReceiptsOn: { zh: "已读回执已开启", en: "Read receipts are on" },
  viewOkReceiptsOff: { zh: "已读回执已关闭", en: "Read receipts are off" },
  viewOkAvatarSet: { zh: "头像已设置", en: "Avatar set" },
  viewOkAvatarCleared: {
    zh: "头像已恢复默认",
    en: "Avatar back to the default",
  },

  // Client: file transfer progress line (issue 15)
  transferDone: { zh: "完成", en: "done" },
} as const satisfies Record<string, Record<Lang, string>>;

/** A key of the message catalog. */
export type MessageKey = keyof typeof CATALOG;

/** Values substituted for `{name}` placeholders. */
export type MessageParams = Record<string, string | number>;

/**
 * Looks up `key` in `lang` and fills `{name}` placeholders from `params`.
 * A placeholder without a value is left as is, so a missing value shows.
 */
export function t(
  lang: Lang,
  key: MessageKey,
  params: MessageParams = {},
): string {
  // `{name}` is the value; `{name:one|other}` is the value and the word
  // that agrees with it ("1 minute", "5 minutes").
  return CATALOG[key][lang].replace(
    /\{(\w+)(?::([^|{}]*)\|([^{}]*))?\}/g,
    (match, name: string, one?: string, other?: string) => {
      if (!Object.hasOwn(params, name)) return match;
      const value = params[name];
      if (one === undefined) return String(value);
      return `${value} ${value === 1 ? one : other}`;
    },
  );
}

/**
 * Picks the interface language: an explicit choice wins, then `LANG`-style
 * locale strings (`en_US.UTF-8` → en, `zh_CN.UTF-8` → zh). Anything else,
 * including `C`/`POSIX`, keeps the seed's Chinese.
 *
 * @returns the language, or `undefined` if `explicit` is given but unknown.
 */
export function resolveLang(
  explicit: string | undefined,
  locale: string | undefined,
): Lang | undefined {
  if (explicit !== undefined) {
    const lower = explicit.trim().toLowerCase();
    return (LANGS as readonly string[]).includes(lower)
      ? lower as Lang
      : undefined;
  }
  if (locale !== undefined && /^en([_.@-]|$)/i.test(locale)) return "en";
  return "zh";
}

/**
 * Picks the supported language for a client's `LANG` tag by its primary
 * subtag, case-insensitively: `en`, `en-US` and `EN_gb` are English, `zh`,
 * `zh-CN` and `zh-Hant-TW` Chinese.
 *
 * @returns the language, or `undefined` for an unsupported tag.
 *
 * @example
 * ```ts
 * import { matchLang } from "./messages.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(matchLang("en-US"), "en");
 * assert.equal(matchLang("zh_CN"), "zh");
 * assert.equal(matchLang("fr"), undefined);
 * ```
 */
export function matchLang(tag: string): Lang | undefined {
  const primary = tag.split(/[-_]/, 1)[0]!.toLowerCase();
  return (LANGS as readonly string[]).includes(primary)
    ? primary as Lang
    : undefined;
}
