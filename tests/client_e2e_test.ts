/**
 * End-to-end tests of `client.ts`: each test spawns a real `server.ts` on
 * 127.0.0.1 port 0 and the real client process with piped stdin, and drives
 * the client by writing lines to its stdin as a user would type them,
 * waiting for each prompt first.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { startChatServer } from "../lib/server/net/chat_server.ts";
import { ManualClock } from "../lib/shared/clock.ts";
import { SqliteStore } from "../lib/store/sqlite/sqlite_store.ts";
import { generateSelfSignedCertificate } from "../lib/server/net/tls_cert.ts";
import { TestClient } from "./_client.ts";
import { tempDir } from "./_util.ts";
import {
  CHILD_ENV,
  CLIENT_PATH,
  IS_WINDOWS,
  PERMISSIONS,
  SERVER_PATH,
  WAIT_MS,
  within,
} from "./_process.ts";

const STARTED = /^\[服务器\] 启动成功，监听 127\.0\.0\.1:(\d+)$/m;
const CLOCK = String.raw`\[\d\d:\d\d:\d\d\]`;
const RULE = "=".repeat(50);
const MENU_PROMPT = "请选择操作 (1-4): ";
const PASSWORD = "password123";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A spawned child whose output is collected as text, with a cursor so that
 * tests wait for output in order: {@linkcode Child.expect} finds the next
 * match after the previous one.
 */
class Child implements AsyncDisposable {
  readonly name: string;
  readonly process: Deno.ChildProcess;
  /** Everything written to stdout so far. */
  stdout = "";
  /** Everything written to stderr so far. */
  stderr = "";
  /** Resolves when the process has exited and both pipes are drained. */
  readonly done: Promise<Deno.CommandStatus>;
  #stdin: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #cursor = 0;
  #exited = false;
  #waiters: (() => void)[] = [];
  #encoder = new TextEncoder();

  constructor(
    name: string,
    args: string[],
    options: { cwd: string; stdin: boolean; env?: Record<string, string> },
  ) {
    this.name = name;
    this.process = new Deno.Command(Deno.execPath(), {
      args,
      cwd: options.cwd,
      env: { ...CHILD_ENV, ...options.env },
      stdin: options.stdin ? "piped" : "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (options.stdin) this.#stdin = this.process.stdin.getWriter();
    const pumps = Promise.all([
      this.#pump(this.process.stdout, (text) => this.stdout += text),
      this.#pump(this.process.stderr, (text) => this.stderr += text),
    ]);
    this.done = Promise.all([this.process.status, pumps]).then(([status]) => {
      this.#exited = true;
      this.#notify();
      return status;
    });
  }

  /** Whether the process has exited (and its output is complete). */
  get exited(): boolean {
    return this.#exited;
  }

  /** The output after the cursor (what has not been matched yet). */
  get unread(): string {
    return this.stdout.slice(this.#cursor);
  }

  /** Where the cursor is, for {@linkcode Child.since}. */
  get mark(): number {
    return this.#cursor;
  }

  /** The stdout written from `mark` on. */
  since(mark: number): string {
    return this.stdout.slice(mark);
  }

  /**
   * Waits for `pattern` in stdout after the cursor, then moves the cursor
   * past the match.
   */
  async expect(
    pattern: string | RegExp,
    ms = WAIT_MS,
  ): Promise<RegExpExecArray> {
    const regexp = typeof pattern === "string"
      ? new RegExp(escapeRegExp(pattern))
      : pattern;
    const deadline = Date.now() + ms;
    while (true) {
      const match = regexp.exec(this.unread);
      if (match !== null) {
        this.#cursor += match.index + match[0].length;
        return match;
      }
      const left = deadline - Date.now();
      if (this.#exited || left <= 0) {
        throw new Error(
          `${this.name} ${
            this.#exited ? "exited" : "timed out"
          } waiting for ${regexp}\n${this.describe()}`,
        );
      }
      await this.#wait(left);
    }
  }

  /** Waits for `prompt`, then types `line` and Enter. */
  async answer(prompt: string | RegExp, line: string): Promise<void> {
    await this.expect(prompt);
    await this.type(line);
  }

  /** Writes `line` and a newline to stdin. */
  async type(line: string): Promise<void> {
    assert.ok(this.#stdin !== undefined, `${this.name} has no stdin`);
    await this.#stdin.write(this.#encoder.encode(`${line}\n`));
  }

  /** Waits (bounded) for the exit; resolves the exit code. */
  async exitCode(ms = WAIT_MS): Promise<number> {
    const status = await within(
      this.done,
      ms,
      `${this.name} exit\n${this.describe()}`,
    );
    return status.code;
  }

  /** The output so far, for failure messages. */
  describe(): string {
    return `--- ${this.name} stdout\n${this.stdout}\n--- ${this.name} stderr\n${this.stderr}`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#exited) {
      try {
        this.process.kill("SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await this.#closeStdin();
    await this.done;
  }

  async #closeStdin(): Promise<void> {
    const stdin = this.#stdin;
    this.#stdin = undefined;
    if (stdin === undefined) return;
    try {
      await stdin.close();
    } catch {
      // The process is gone: the pipe is broken.
    }
  }

  async #pump(
    stream: ReadableStream<Uint8Array>,
    add: (text: string) => void,
  ): Promise<void> {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      add(chunk);
      this.#notify();
    }
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Starts `server.ts` on `port` (0: any) with `db`; resolves it and its port. */
async function startServer(
  dir: string,
  db: string,
  port = 0,
): Promise<{ server: Child; port: number }> {
  const server = new Child("server", [
    "run",
    ...PERMISSIONS,
    SERVER_PATH,
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--db",
    db,
  ], { cwd: dir, stdin: false });
  try {
    const match = await server.expect(STARTED);
    return { server, port: Number(match[1]) };
  } catch (error) {
    await server[Symbol.asyncDispose]();
    throw error;
  }
}

/**
 * Starts `server.ts` again on the port a killed server used, retrying while
 * the port is still taken.
 */
async function restartServer(
  dir: string,
  db: string,
  port: number,
): Promise<Child> {
  const deadline = Date.now() + 5000;
  while (true) {
    const server = new Child("server", [
      "run",
      ...PERMISSIONS,
      SERVER_PATH,
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--db",
      db,
    ], { cwd: dir, stdin: false });
    const started = await Promise.race([
      server.expect(STARTED).then(() => true, () => false),
      server.done.then(() => false),
    ]);
    if (started) return server;
    await server[Symbol.asyncDispose]();
    if (Date.now() > deadline) {
      throw new Error(`Cannot restart the server\n${server.describe()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Spawns `client.ts args` with piped stdin (and `env` on top of
 * {@linkcode CHILD_ENV}). Its reconnect back-off does not wait real seconds
 * (the test-only `TCPCHAT_TEST_RETRY_DELAY_MS`): a test that needs the
 * server back first holds the client's attempt in a {@linkcode Relay}.
 */
function startClient(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Child {
  return new Child(
    "client",
    ["run", ...PERMISSIONS, CLIENT_PATH, ...args],
    {
      cwd: dir,
      stdin: true,
      env: { TCPCHAT_TEST_RETRY_DELAY_MS: "0", ...env },
    },
  );
}

function clientArgs(port: number): string[] {
  return ["--host", "127.0.0.1", "--port", String(port)];
}

/** Registers accounts directly over the protocol, to shorten a test. */
async function registerAccounts(
  port: number,
  usernames: string[],
): Promise<void> {
  await using raw = await TestClient.connect(port);
  await raw.expect("HELLO ");
  for (const username of usernames) {
    await raw.send(`REGISTER ${username} ${PASSWORD}`);
    await raw.expect("REGISTER_SUCCESS");
  }
}

/** A raw protocol client logged in as `username` (already registered). */
async function loggedIn(port: number, username: string): Promise<TestClient> {
  const raw = await TestClient.connect(port);
  try {
    await raw.expect("HELLO ");
    await raw.send(`LOGIN ${username} ${PASSWORD}`);
    await raw.expect(`AUTH_SUCCESS ${username}`);
    await raw.expect("WELCOME ");
  } catch (error) {
    await raw.close();
    throw error;
  }
  return raw;
}

/** From the connected line through the menu prompt (the seed's 认证菜单). */
async function expectMenu(client: Child): Promise<void> {
  await client.expect(
    `\n${RULE}\n         认证菜单\n${RULE}\n1. 登录\n2. 注册\n3. 重置密码\n4. 退出\n${RULE}\n${MENU_PROMPT}`,
  );
}

/** Chooses 1 and logs in; resolves once the chat has started. */
async function login(
  client: Child,
  username: string,
  password = PASSWORD,
): Promise<void> {
  await client.type("1");
  await client.answer("\n--- 登录 ---\n用户名: ", username);
  await client.answer("密码: ", password);
  await client.expect(
    new RegExp(`\n${CLOCK} 【成功】登录成功！欢迎 ${username}\n`),
  );
  await client.expect(`${RULE}\n         进入聊天室\n${RULE}\n`);
  await client.expect(`欢迎 ${username}！\n`);
  await client.expect(/\n【系统】欢迎 \S+！当前在线用户数: \d+\n/);
  await client.expect("\n开始聊天 (输入 'exit' 或 'logout' 退出");
}

/** Chooses 2 and registers; resolves the recovery code shown. */
async function register(
  client: Child,
  username: string,
  password = PASSWORD,
): Promise<string> {
  await client.type("2");
  await client.answer("\n--- 注册新账户 ---\n用户名: ", username);
  await client.answer("密码 (至少8个字符): ", password);
  await client.answer("确认密码: ", password);
  await client.expect(new RegExp(`\n${CLOCK} 【成功】注册成功！\n`));
  const code = await client.expect(/【重要】您的恢复码: (\S+)\n/);
  await client.expect("\n注册成功！请登录。\n");
  await client.expect(`\n${MENU_PROMPT}`);
  return code[1]!;
}

/** Types `exit` (or `logout`) in the chat; checks the goodbye and exit code 0. */
async function exitChat(client: Child, command = "exit"): Promise<void> {
  await client.type(command);
  await client.expect("[客户端] 正在断开连接...\n");
  await client.expect("[客户端] 已断开连接\n");
  assert.equal(await client.exitCode(), 0, client.describe());
}

/**
 * The seed's 连接示例, from the banner to leaving the chat (with `logout`
 * as in the seed when the address is asked, else with `exit`).
 */
async function seedFlow(options: { prompts: boolean }): Promise<void> {
  await using dir = await tempDir();
  const started = await startServer(dir.path, join(dir.path, "chat.db"));
  await using server = started.server;
  const port = started.port;
  await registerAccounts(port, ["bob"]);

  await using client = startClient(
    dir.path,
    options.prompts ? [] : clientArgs(port),
  );
  await client.expect(`${RULE}\n         TCP 聊天客户端\n${RULE}\n`);
  if (options.prompts) {
    await client.answer("\n请输入服务器地址 (默认为 localhost): ", "127.0.0.1");
    await client.answer("请输入服务器端口 (默认为 5000): ", String(port));
  }
  await client.expect(`\n[客户端] 已连接到 127.0.0.1:${port}\n`);
  await expectMenu(client);
  // The transcript so far, line for line as in the seed.
  const questions = options.prompts
    ? "请输入服务器地址 (默认为 localhost): 127.0.0.1\n" +
      `请输入服务器端口 (默认为 5000): ${port}\n\n`
    : "";
  assert.equal(
    client.stdout,
    `\n${RULE}\n         TCP 聊天客户端\n${RULE}\n\n${questions}` +
      `[客户端] 已连接到 127.0.0.1:${port}\n` +
      `\n${RULE}\n         认证菜单\n${RULE}\n` +
      `1. 登录\n2. 注册\n3. 重置密码\n4. 退出\n${RULE}\n${MENU_PROMPT}`,
  );

  await register(client, "小王");
  await login(client, "小王");
  assert.match(client.stdout, /\n【系统】欢迎 小王！当前在线用户数: 1\n/);

  await using bob = await loggedIn(port, "bob");
  await client.expect("【系统】bob 加入了聊天室\n");
  await client.type("你好，大家好");
  await bob.next((line) => /^MESSAGE \d+ \d+ 小王 你好，大家好$/.test(line));
  await client.expect(new RegExp(`${CLOCK} 小王: 你好，大家好\n`));
  await bob.send("MSG hi");
  await client.expect(new RegExp(`${CLOCK} bob: hi\n`));

  await exitChat(client, options.prompts ? "logout" : "exit");
  await bob.expect("USER_LEFT ");
  // The password was typed three times and never shown.
  assert.ok(!client.stdout.includes(PASSWORD), client.describe());
  assert.ok(!server.stdout.includes(PASSWORD), server.describe());
  assert.equal(client.stderr, "");
}

Deno.test("client.ts runs the seed's 连接示例 with --host and --port", async () => {
  await seedFlow({ prompts: false });
});

Deno.test("client.ts runs the seed's 连接示例, asking for the server address and port", async () => {
  await seedFlow({ prompts: true });
});

Deno.test("client.ts shows a wrong password as 【错误】 and quits with 4", async () => {
  await using dir = await tempDir();
  const started = await startServer(dir.path, join(dir.path, "chat.db"));
  await using _server = started.server;
  await registerAccounts(started.port, ["小王"]);

  await using client = startClient(dir.path, clientArgs(started.port));
  await expectMenu(client);
  await client.type("1");
  await client.answer("用户名: ", "小王");
  await client.answer("密码: ", "wrong-password");
  await client.expect(new RegExp(`\n${CLOCK} 【错误】用户名或密码错误\n`));
  await client.answer(MENU_PROMPT, "4");
  assert.equal(await client.exitCode(), 0, client.describe());
  assert.ok(!client.stdout.includes("wrong-password"), client.describe());
  assert.doesNotMatch(client.stdout, /进入聊天室/);
});

Deno.test("client.ts shows a throttled registration as 【错误】 with the wait, back at the menu", async () => {
  await using dir = await tempDir();
  const server = startChatServer({
    store: SqliteStore.open(join(dir.path, "chat.db")),
    hostname: "127.0.0.1",
    port: 0,
    hashIterations: 1000,
    clock: new ManualClock(),
    // Over loopback, which is exempt by default.
    registerThrottle: { exemptLoopback: false, maxPerAddressPerMinute: 1 },
  });
  try {
    await registerAccounts(server.addr.port, ["bob"]);
    await using client = startClient(dir.path, clientArgs(server.addr.port));
    await expectMenu(client);
    await client.type("2");
    await client.answer("\n--- 注册新账户 ---\n用户名: ", "小王");
    await client.answer("密码 (至少8个字符): ", PASSWORD);
    await client.answer("确认密码: ", PASSWORD);
    await client.expect(
      new RegExp(`\n${CLOCK} 【错误】尝试次数过多，请 60 秒后再试\n`),
    );
    await client.answer(MENU_PROMPT, "4");
    assert.equal(await client.exitCode(), 0, client.describe());
    assert.doesNotMatch(client.stdout, /注册成功/);
  } finally {
    await server.shutdown();
  }
});

Deno.test("client.ts resets a password with a token from the operator or with the recovery code", async () => {
  await using dir = await tempDir();
  const started = await startServer(dir.path, join(dir.path, "chat.db"));
  await using server = started.server;

  await using client = startClient(dir.path, clientArgs(started.port));
  await expectMenu(client);
  const recoveryCode = await register(client, "小王");

  // With a token: ask for it by username; the operator reads it in the log.
  await client.type("3");
  await client.expect("\n--- 重置密码 ---\n");
  await client.answer(
    "用户名 (向管理员申请令牌；已有令牌或恢复码请直接回车): ",
    "小王",
  );
  await client.expect("【系统】如果该账户存在，重置令牌已交给服务器管理员");
  const token = (await server.expect(
    /【重置令牌】用户 小王 的密码重置令牌: (\S+) /,
  ))[1]!;
  await client.answer("令牌或恢复码: ", token);
  await client.answer("新密码 (至少8个字符): ", "newpassword1");
  await client.answer("确认密码: ", "newpassword1");
  await client.expect(
    new RegExp(`\n${CLOCK} 【成功】密码已重置，请使用新密码登录\n`),
  );
  await client.expect(MENU_PROMPT);
  await client.type("1");
  await client.answer("用户名: ", "小王");
  await client.answer("密码: ", PASSWORD);
  await client.expect(/【错误】用户名或密码错误\n/);
  await client.expect(MENU_PROMPT);
  await client.type("1");
  await client.answer("用户名: ", "小王");
  await client.answer("密码: ", "newpassword1");
  await client.expect("【成功】登录成功！欢迎 小王\n");
  await client.expect("开始聊天");
  await exitChat(client);

  // With the recovery code: no username, just Enter.
  await using again = startClient(dir.path, clientArgs(started.port));
  await expectMenu(again);
  await again.type("3");
  await again.answer(
    "用户名 (向管理员申请令牌；已有令牌或恢复码请直接回车): ",
    "",
  );
  await again.answer("令牌或恢复码: ", recoveryCode);
  await again.answer("新密码 (至少8个字符): ", "newpassword2");
  await again.answer("确认密码: ", "newpassword2");
  await again.expect("【成功】密码已重置，请使用新密码登录\n");
  const next = (await again.expect(/【重要】您的恢复码: (\S+)\n/))[1]!;
  assert.notEqual(next, recoveryCode);
  await again.expect(MENU_PROMPT);
  await login(again, "小王", "newpassword2");
  await exitChat(again);

  for (const secret of [PASSWORD, "newpassword1", "newpassword2"]) {
    assert.ok(!client.stdout.includes(secret), client.describe());
    assert.ok(!again.stdout.includes(secret), again.describe());
  }
});

Deno.test("client.ts /delete-account deletes the account after the password and yes", async () => {
  await using dir = await tempDir();
  const started = await startServer(dir.path, join(dir.path, "chat.db"));
  await using _server = started.server;
  await registerAccounts(started.port, ["小王"]);

  await using client = startClient(dir.path, clientArgs(started.port));
  await expectMenu(client);
  await login(client, "小王");
  await client.type("/delete-account");
  await client.answer("密码: ", PASSWORD);
  await client.answer("确定要永久删除账户 小王 吗？", "yes");
  await client.expect(new RegExp(`\n${CLOCK} 【成功】账户已删除\n`));
  await expectMenu(client);
  await client.type("1");
  await client.answer("用户名: ", "小王");
  await client.answer("密码: ", PASSWORD);
  await client.expect("【错误】用户名或密码错误\n");
  await client.answer(MENU_PROMPT, "4");
  assert.equal(await client.exitCode(), 0, client.describe());
  assert.ok(!client.stdout.includes(PASSWORD), client.describe());
});

Deno.test("client.ts answers an unknown /command with a hint and sends nothing", async () => {
  await using dir = await tempDir();
  const started = await startServer(dir.path, join(dir.path, "chat.db"));
  await using _server = started.server;
  await registerAccounts(started.port, ["小王", "bob"]);

  await using client = startClient(dir.path, clientArgs(started.port));
  await expectMenu(client);
  await login(client, "小王");
  await using bob = await loggedIn(started.port, "bob");
  await client.expect("【系统】bob 加入了聊天室\n");
  await client.type("/foo bar");
  await client.expect(/【错误】未知命令: \/foo，输入 \/help 查看可用命令/);
  await client.type("after");
  await bob.next((line) => / 小王 after$/.test(line));
  // "after" is the only chat message bob got: "/foo bar" was never sent.
  const messages = bob.lines.filter((line) => line.startsWith("MESSAGE "));
  assert.equal(messages.length, 1, bob.lines.join("\n"));
  assert.match(messages[0]!, /^MESSAGE \d+ \d+ 小王 after$/);
  await exitChat(client);
});

Deno.test("client.ts retries a closed port, then exits 1 with the seed's error", async () => {
  await using dir = await tempDir();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();

  await using client = startClient(dir.path, clientArgs(port));
  await client.expect(`[错误] 无法连接到服务器 127.0.0.1:${port}\n`);
  await client.expect("[提示] 请确保服务器已启动\n");
  assert.equal(await client.exitCode(), 1, client.describe());
  const attempts = client.stdout.split("[错误] 无法连接到服务器").length - 1;
  assert.equal(attempts, 4, client.describe());
  assert.doesNotMatch(client.stdout, /认证菜单/);
  assert.equal(client.stderr, "");
  // The seed's back-off of 1, 2 and 4 s, announced before each retry (the
  // test-only hook skips the waiting itself).
  assert.deepEqual(
    client.stdout.match(/\[客户端\] \d 秒后重试 \(\d\/3\)\.\.\./g),
    [
      "[客户端] 1 秒后重试 (1/3)...",
      "[客户端] 2 秒后重试 (2/3)...",
      "[客户端] 4 秒后重试 (3/3)...",
    ],
  );
});

Deno.test("client.ts reconnects after the server restarts and resumes without the password", async () => {
  await using dir = await tempDir();
  const db = join(dir.path, "chat.db");
  const started = await startServer(dir.path, db);
  const port = started.port;
  await using first = started.server;
  await registerAccounts(port, ["小王", "bob"]);
  // Only so that the reconnect waits for the new server, not for back-off.
  await using relay = new Relay(port);

  await using client = startClient(dir.path, clientArgs(relay.port));
  await expectMenu(client);
  await login(client, "小王");
  {
    // Once bob's message shows, the RESUME_TOKEN sent before it was read.
    await using bob = await loggedIn(port, "bob");
    await bob.send("MSG sync");
    await client.expect(new RegExp(`${CLOCK} bob: sync\n`));
  }

  relay.hold();
  first.process.kill("SIGKILL");
  await first.exitCode();
  await client.expect("[客户端] 与服务器的连接已断开，正在重新连接...\n");
  const lostAt = client.mark;
  await using second = await restartServer(dir.path, db, port);
  relay.release();
  await client.expect("[客户端] 已重新连接\n");
  await using bob = await loggedIn(port, "bob");
  await client.type("又回来了");
  await bob.next((line) => /^MESSAGE \d+ \d+ 小王 又回来了$/.test(line));
  await second.expect("小王: 又回来了");
  assert.doesNotMatch(client.since(lostAt), /密码:/, client.describe());
  assert.doesNotMatch(client.since(lostAt), /认证菜单/, client.describe());
  await exitChat(client);
});

Deno.test({
  name:
    "client.ts at the menu reconnects after the server restarts and logs in",
  ignore: IS_WINDOWS,
  async fn() {
    await using dir = await tempDir();
    const db = join(dir.path, "chat.db");
    const started = await startServer(dir.path, db);
    const port = started.port;
    await using first = started.server;
    await registerAccounts(port, ["小王"]);

    await using client = startClient(dir.path, clientArgs(port));
    await expectMenu(client);
    // A graceful stop says BYE to the client waiting at the menu.
    first.process.kill("SIGINT");
    assert.equal(await first.exitCode(), 0, first.describe());
    await using second = await restartServer(dir.path, db, port);
    await client.type("1");
    await client.expect("[客户端] 与服务器的连接已断开，正在重新连接...\n");
    await client.expect("[客户端] 已重新连接\n");
    await client.answer("\n--- 登录 ---\n用户名: ", "小王");
    await client.answer("密码: ", PASSWORD);
    await client.expect(new RegExp(`\n${CLOCK} 【成功】登录成功！欢迎 小王\n`));
    await second.expect("小王");
    await exitChat(client);
  },
});

Deno.test("client.ts re-sends the login on a new connection when the server went away at the password prompt", async () => {
  await using dir = await tempDir();
  const db = join(dir.path, "chat.db");
  const started = await startServer(dir.path, db);
  const port = started.port;
  await using first = started.server;
  await registerAccounts(port, ["小王"]);

  await using client = startClient(dir.path, clientArgs(port));
  await expectMenu(client);
  await client.type("1");
  await client.answer("\n--- 登录 ---\n用户名: ", "小王");
  await client.expect("密码: ");
  first.process.kill("SIGKILL");
  await first.exitCode();
  await using _second = await restartServer(dir.path, db, port);
  await client.type(PASSWORD);
  await client.expect("[客户端] 与服务器的连接已断开，正在重新连接...\n");
  await client.expect("[客户端] 已重新连接\n");
  await client.expect(new RegExp(`^${CLOCK} 【成功】登录成功！欢迎 小王\n`));
  await exitChat(client);
});

/** A connection the test accepted, read line by line like a {@linkcode TestClient}. */
class AcceptedConn extends TestClient {
  static from(conn: Deno.TcpConn): AcceptedConn {
    return new AcceptedConn(conn);
  }
}

Deno.test("client.ts keeps the connection alive with PING while it waits at the menu", async () => {
  await using dir = await tempDir();
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using client = startClient(
    dir.path,
    clientArgs(listener.addr.port),
    { TCPCHAT_TEST_KEEPALIVE_MS: "20" },
  );
  await using server = AcceptedConn.from(await listener.accept());
  await server.send("HELLO tcpchat/1 test min_password=8");
  await expectMenu(client);
  assert.equal(await server.next(), "LANG zh");
  // Nobody types: the client pings on its own, again and again.
  assert.equal(await server.next(), "PING ka");
  await server.send("PONG ka");
  assert.equal(await server.next(), "PING ka");
  await client.type("4");
  assert.equal(await client.exitCode(), 0, client.describe());
  // The answered PONG was never shown to the user.
  assert.doesNotMatch(client.since(0), /PONG/, client.describe());
});

Deno.test("client.ts says the server closed the connection at the menu for not logging in, then reconnects and logs in", async () => {
  await using dir = await tempDir();
  const clock = new ManualClock();
  const server = startChatServer({
    store: SqliteStore.open(join(dir.path, "chat.db")),
    hostname: "127.0.0.1",
    port: 0,
    hashIterations: 1000,
    clock,
    sweepIntervalMs: 0,
  });
  try {
    const port = server.addr.port;
    await registerAccounts(port, ["小王"]);
    await using client = startClient(dir.path, clientArgs(port));
    await expectMenu(client);
    clock.advance(60_000);
    server.sweep();
    // The server lets go once the client has read the BYE and closed too.
    for (const deadline = Date.now() + WAIT_MS; server.connectionCount > 0;) {
      assert.ok(Date.now() < deadline, client.describe());
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await client.type("1");
    await client.expect(
      "\n【系统】服务器因长时间未登录断开了连接\n" +
        "[客户端] 与服务器的连接已断开，正在重新连接...\n" +
        "[客户端] 已重新连接\n",
    );
    await client.answer("\n--- 登录 ---\n用户名: ", "小王");
    await client.answer("密码: ", PASSWORD);
    await client.expect(new RegExp(`\n${CLOCK} 【成功】登录成功！欢迎 小王\n`));
    await exitChat(client);
  } finally {
    await server.shutdown();
  }
});

Deno.test({
  name: "client.ts shows the server's shutdown and exits 0 by itself",
  ignore: IS_WINDOWS,
  async fn() {
    await using dir = await tempDir();
    const started = await startServer(dir.path, join(dir.path, "chat.db"));
    await using server = started.server;
    await registerAccounts(started.port, ["小王"]);

    await using client = startClient(dir.path, clientArgs(started.port));
    await expectMenu(client);
    await login(client, "小王");
    server.process.kill("SIGINT");
    await client.expect("【系统】服务器正在关闭\n");
    await client.expect("[客户端] 已断开连接\n");
    assert.equal(await client.exitCode(), 0, client.describe());
    assert.equal(await server.exitCode(), 0, server.describe());
    assert.doesNotMatch(client.stdout, /正在重新连接/);
  },
});

/** Waits until the server has handled every line `raw` sent before. */
async function synced(raw: TestClient, token: string): Promise<void> {
  await raw.send(`PING ${token}`);
  await raw.expect(`PONG ${token}`);
}

Deno.test("client.ts /join, /users, /rooms, /status, /whois, /msg, /emoji and a non-admin /kick", async () => {
  await using dir = await tempDir();
  const started = await startServer(dir.path, join(dir.path, "chat.db"));
  await using _server = started.server;
  const port = started.port;
  await registerAccounts(port, ["小王", "bob", "carol"]);

  await using client = startClient(dir.path, clientArgs(port));
  await expectMenu(client);
  await login(client, "小王");
  await client.expect("【系统】你已进入房间 大厅（当前 1 人）\n");
  await using bob = await loggedIn(port, "bob");
  await client.expect("【系统】bob 加入了聊天室\n");
  await using carol = await loggedIn(port, "carol");
  await carol.send("JOIN 技术");
  await carol.expect("JOINED 技术 1");
  // A move is worded as one, not as leaving the chat.
  await client.expect("【系统】carol 去了房间 技术\n");

  await client.type("/join 技术");
  await client.expect("【系统】你已进入房间 技术（当前 2 人）\n");
  await carol.expect("USER_JOINED ");
  await client.type("大家好 :smile:");
  await carol.next((line) => /^MESSAGE \d+ \d+ 小王 大家好 😄$/.test(line));
  await client.expect(new RegExp(`${CLOCK} 小王: 大家好 😄\n`));

  await client.type("/users");
  await client.expect(
    // Each name after its avatar mark: the default is the name's initial.
    /【系统】房间 技术 的在线用户 \(2\): (小 小王, C carol|C carol, 小 小王)\n/,
  );
  await client.type("/users all");
  await client.expect(
    /【系统】所有在线用户 \(3\): \S+ \S+, \S+ \S+, \S+ \S+\n/,
  );
  await client.type("/rooms");
  await client.expect("【系统】房间列表: 大厅 (1), 技术 (2)\n");
  await client.type("/status 在忙 :coffee:");
  await client.expect(new RegExp(`${CLOCK} 【成功】\\S+\n`));
  await client.type("/whois 小王");
  await client.expect(
    /【系统】小王: 在线，房间 技术，注册于 \d{4}-\d\d-\d\d，状态: 在忙 ☕，头像: 小\n/,
  );
  await client.type("/whois bob");
  await client.expect(
    /【系统】bob: 在线，房间 大厅，注册于 \d{4}-\d\d-\d\d，头像: B\n/,
  );
  await client.type("/status");
  await client.expect(new RegExp(`${CLOCK} 【成功】\\S+\n`));
  await client.type("/whois nobody");
  await client.expect(new RegExp(`${CLOCK} 【错误】用户不存在: nobody\n`));

  // A private message reaches bob in the lobby; the client shows the
  // server's copy, once.
  await client.type("/msg bob 你好 :wave:");
  await bob.next((line) => /^PRIVATE \d+ \d+ 小王 bob 你好 👋$/.test(line));
  // bob is online: delivered at once, so the copy ends with ✓.
  await client.expect(new RegExp(`${CLOCK} \\[私聊\\] 你 → bob: 你好 👋 ✓\n`));
  await bob.send("PRIVMSG 小王 收到");
  await client.expect(new RegExp(`${CLOCK} \\[私聊\\] bob → 你: 收到\n`));
  // bob, in the lobby, never got the message said in 技术.
  assert.ok(
    !bob.lines.some((line) => line.includes("大家好")),
    bob.lines.join("\n"),
  );
  assert.equal(client.stdout.split("你 → bob").length, 2, client.describe());

  await client.type("/emoji");
  await client.expect("表情短码");
  await client.expect(/\n {2}:smile: {2}😄 /);
  await client.expect(/:thumbsup: {2}👍/);

  await client.type("/kick bob 刷屏");
  await client.expect(
    new RegExp(`${CLOCK} 【错误】只有管理员可以执行此操作\n`),
  );
  // Missing arguments: a usage line, nothing sent.
  const sentBefore = bob.lines.length;
  await client.type("/msg bob");
  await client.expect(
    new RegExp(`${CLOCK} 【错误】用法: /msg <用户名> <消息>（未发送）\n`),
  );
  await client.type("/join");
  await client.expect("【错误】用法: /join <房间名>（未发送）\n");
  await client.type("/mute bob soon");
  await client.expect("【错误】用法: /mute <用户名> <分钟数 1-10080> [原因]");
  await client.type("/help");
  await client.expect("  /whois <用户名>");

  await client.type("/leave");
  await client.expect("【系统】你已进入房间 大厅（当前 2 人）\n");
  await carol.expect("USER_LEFT ");
  await synced(bob, "leave");
  assert.ok(
    !bob.lines.slice(sentBefore).some((line) => line.startsWith("PRIVATE ")),
    bob.lines.join("\n"),
  );
  await exitChat(client);
});

Deno.test("client.ts pages history with /history and queues /msg for an offline user", async () => {
  await using dir = await tempDir();
  const started = await startServer(dir.path, join(dir.path, "chat.db"));
  await using _server = started.server;
  const port = started.port;
  await registerAccounts(port, ["小王", "bob", "carol", "dave"]);

  // 24 lobby messages, in order, within each sender's rate limit.
  for (const name of ["bob", "carol", "dave"]) {
    await using raw = await loggedIn(port, name);
    for (let i = 1; i <= 8; i++) await raw.send(`MSG ${name}${i}`);
    await synced(raw, name);
  }

  await using client = startClient(dir.path, clientArgs(port));
  await expectMenu(client);
  await login(client, "小王");
  await client.expect("【系统】你已进入房间 大厅（当前 1 人）\n");
  // The automatic block: the newest 20, bob5 … dave8.
  await client.expect("--- 历史消息 ---\n");
  await client.expect(new RegExp(`^${CLOCK} bob: bob5\n`, "m"));
  await client.expect(new RegExp(`^${CLOCK} dave: dave8\n`, "m"));
  await client.expect("--- 以上为历史消息（还有更早的消息）---\n");
  await client.type("/history 3");
  await client.expect("--- 历史消息 ---\n");
  const older = await client.expect(
    /--- 以上为历史消息（还有更早的消息）---\n/,
  );
  const page = client.stdout.slice(0, client.mark - older[0].length);
  assert.match(
    page,
    new RegExp(`${CLOCK} bob: bob2\n${CLOCK} bob: bob3\n${CLOCK} bob: bob4\n$`),
  );
  await client.type("/history");
  await client.expect(
    new RegExp(
      `--- 历史消息 ---\n${CLOCK} bob: bob1\n--- 以上为历史消息 ---\n`,
    ),
  );
  await client.type("/history 500");
  await client.expect("【系统】没有更早的历史消息\n");
  await client.type("/history many");
  await client.expect("【错误】用法: /history [条数 1-100]（未发送）\n");

  // dave is offline: the message waits, and he gets it when he logs in.
  await client.type("/msg dave 明天见 :wave:");
  await client.expect(new RegExp(`${CLOCK} \\[私聊\\] 你 → dave: 明天见 👋\n`));
  await client.expect("【系统】dave 不在线，消息将在其上线后送达\n");
  await using dave = await loggedIn(port, "dave");
  await dave.expect("OFFLINE_BEGIN 1");
  assert.match(
    await dave.next(),
    /^PRIVATE \d+ \d+ 小王 dave 明天见 👋$/,
  );
  assert.equal(await dave.next(), "OFFLINE_END");
  await client.expect("【系统】你发给 dave 的 1 条离线消息已送达\n");
  await exitChat(client);
});

/**
 * A TCP relay in front of the server that a test can cut, as a dropped
 * network would. While it holds, new connections are accepted but wait
 * (no greeting yet) until it releases them to the server: so a client's
 * reconnect waits for the test instead of for real back-off seconds.
 */
class Relay implements AsyncDisposable {
  readonly port: number;
  #target: number;
  #listener: Deno.TcpListener;
  #conns = new Set<Deno.TcpConn>();
  #held: Deno.TcpConn[] | undefined;
  /** The relayed connections' tasks. */
  #tasks = new Set<Promise<void>>();
  #accepting: Promise<void>;

  constructor(target: number) {
    this.#target = target;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = this.#listener.addr.port;
    this.#accepting = this.#serve();
  }

  /** From now on, new connections wait for {@linkcode Relay.release}. */
  hold(): void {
    this.#held ??= [];
  }

  /** Closes every relayed connection (held ones stay). */
  async cut(): Promise<void> {
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Closed by the other direction.
      }
    }
    this.#conns.clear();
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
  }

  /** Relays the held connections, and new ones again. */
  release(): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    for (const inbound of held) this.#track(this.#relay(inbound));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    for (const conn of this.#held ?? []) conn.close();
    this.#held = undefined;
    await this.cut();
  }

  async #serve(): Promise<void> {
    try {
      for await (const inbound of this.#listener) {
        if (this.#held !== undefined) this.#held.push(inbound);
        else this.#track(this.#relay(inbound));
      }
    } catch {
      // The listener was closed.
    }
  }

  async #relay(inbound: Deno.TcpConn): Promise<void> {
    this.#conns.add(inbound);
    let outbound: Deno.TcpConn;
    try {
      outbound = await Deno.connect({
        hostname: "127.0.0.1",
        port: this.#target,
      });
    } catch {
      this.#conns.delete(inbound);
      inbound.close();
      return;
    }
    this.#conns.add(outbound);
    await Promise.all([
      this.#pipe(inbound, outbound),
      this.#pipe(outbound, inbound),
    ]);
  }

  async #pipe(from: Deno.TcpConn, to: Deno.TcpConn): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (true) {
        const n = await from.read(buffer);
        if (n === null) break;
        let offset = 0;
        while (offset < n) {
          offset += await to.write(buffer.subarray(offset, n));
        }
      }
    } catch {
      // Cut, or the peer went away.
    }
    for (const conn of [from, to]) {
      if (!this.#conns.delete(conn)) continue;
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }
}

Deno.test("client.ts resumes into its room, shows what it missed once, and exits 0 when kicked", async () => {
  await using dir = await tempDir();
  const db = join(dir.path, "chat.db");
  const started = await startServer(dir.path, db);
  await using _server = started.server;
  const port = started.port;
  await registerAccounts(port, ["小王", "bob"]);
  await using relay = new Relay(port);

  await using client = startClient(dir.path, clientArgs(relay.port));
  await expectMenu(client);
  await login(client, "小王");
  await client.type("/join 技术");
  await client.expect("【系统】你已进入房间 技术（当前 1 人）\n");
  await using bob = await loggedIn(port, "bob");
  await bob.send("JOIN 技术");
  await client.expect("【系统】bob 加入了聊天室\n");
  await bob.send("MSG before");
  await client.expect(new RegExp(`${CLOCK} bob: before\n`));

  relay.hold();
  await relay.cut();
  await client.expect("[客户端] 与服务器的连接已断开，正在重新连接...\n");
  const lostAt = client.mark;
  await bob.next((line) => /^USER_LEFT \d+ 小王$/.test(line));
  await bob.send("MSG missed 1");
  await bob.send("MSG missed 2");
  await synced(bob, "missed");
  relay.release();
  await client.expect("[客户端] 已重新连接\n");
  await client.expect(
    new RegExp(
      `--- 断线期间的消息 ---\n${CLOCK} bob: missed 1\n${CLOCK} bob: missed 2\n--- 以上为断线期间的消息 ---\n`,
    ),
  );
  // Back in 技术: what the client says reaches bob there.
  await client.type("回来了");
  await bob.next((line) => /^MESSAGE \d+ \d+ 小王 回来了$/.test(line));
  const after = client.since(lostAt);
  assert.doesNotMatch(
    after,
    /历史消息|bob: before|开始聊天|当前在线用户数|你已进入房间/,
    client.describe(),
  );
  assert.doesNotMatch(after, /密码:|认证菜单/, client.describe());

  // bob becomes an administrator and kicks 小王: no resume, exit 0.
  const grant = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...PERMISSIONS,
      SERVER_PATH,
      "grant-admin",
      "bob",
      "--db",
      db,
    ],
    cwd: dir.path,
    env: CHILD_ENV,
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.equal(grant.code, 0, new TextDecoder().decode(grant.stderr));
  await bob.send("MUTE 小王 5 刷屏");
  await bob.expect("OK muted");
  await client.expect(/【系统】你已被禁言至 [\d :-]+，原因: 刷屏\n/);
  await client.type("还能说话吗");
  await client.expect(
    new RegExp(
      `${CLOCK} 【错误】你正在禁言中（至 [\\d :-]+，原因: 刷屏），消息未发送\n`,
    ),
  );
  await client.type("/msg bob 在吗");
  await client.expect("【错误】你正在禁言中");
  await bob.send("UNMUTE 小王");
  await bob.expect("OK unmuted");
  await client.expect("【系统】你的禁言已解除\n");
  await bob.send("KICK 小王 刷屏");
  await bob.expect("OK kicked");
  await client.expect("【系统】你已被管理员移出聊天室: 刷屏\n");
  await client.expect("[客户端] 已断开连接\n");
  assert.equal(await client.exitCode(), 0, client.describe());
  assert.equal(
    client.stdout.split("正在重新连接").length,
    2,
    client.describe(),
  );
});

Deno.test("client.ts refuses over-long input with a message and keeps chatting", async () => {
  await using dir = await tempDir();
  const started = await startServer(dir.path, join(dir.path, "chat.db"));
  await using _server = started.server;
  await registerAccounts(started.port, ["小王", "bob"]);

  await using client = startClient(dir.path, clientArgs(started.port));
  await expectMenu(client);
  await login(client, "小王");
  await using bob = await loggedIn(started.port, "bob");
  await client.expect("【系统】bob 加入了聊天室\n");
  // A 5,000-byte paste: 1,666 CJK characters and two ASCII letters.
  await client.type("汉".repeat(1666) + "ab");
  await client.expect(
    "【错误】消息太长: 5000 字节，上限 4096 字节（约 1365 个汉字）；未发送，请分几条发送\n",
  );
  await client.type(`/msg bob ${"a".repeat(4097)}`);
  await client.expect(
    "【错误】消息太长: 4097 字节，上限 4096 字节（约 1365 个汉字）；未发送，请分几条发送\n",
  );
  await client.type(`/status ${"s".repeat(101)}`);
  await client.expect(
    "【错误】状态太长: 101 个字符，上限 100 个字符；未发送\n",
  );
  await client.type(`/kick bob ${"r".repeat(201)}`);
  await client.expect("【错误】原因太长: 201 字节，上限 200 字节；未发送\n");
  await client.type(`/mute bob 5 ${"r".repeat(201)}`);
  await client.expect("【错误】原因太长: 201 字节，上限 200 字节；未发送\n");
  await client.type("after");
  await bob.next((line) => / 小王 after$/.test(line));
  // "after" is the only line bob got from 小王: nothing over-long was sent.
  const fromClient = bob.lines.filter((line) =>
    /^(MESSAGE|PRIVATE) \d+ \d+ 小王 /.test(line)
  );
  assert.equal(fromClient.length, 1, bob.lines.join("\n"));
  await exitChat(client);
});

Deno.test("client.ts takes host:port at the address prompt and asks no port", async () => {
  await using dir = await tempDir();
  const started = await startServer(dir.path, join(dir.path, "chat.db"));
  await using _server = started.server;
  const port = started.port;

  await using client = startClient(dir.path, []);
  await client.answer(
    "\n请输入服务器地址 (默认为 localhost): ",
    `127.0.0.1:${port}`,
  );
  await client.expect(`\n[客户端] 已连接到 127.0.0.1:${port}\n`);
  await expectMenu(client);
  assert.ok(!client.stdout.includes("请输入服务器端口"), client.describe());
  await client.type("4");
  assert.equal(await client.exitCode(), 0, client.describe());
});

// Issue 12 item 17: a plain client is told at once that TLS is needed.
Deno.test("client.ts at a TLS port or a --require-tls server says to use --tls, without retries or a password prompt", async () => {
  await using dir = await tempDir();
  const certificate = await generateSelfSignedCertificate();
  for (const requireTls of [false, true]) {
    const server = startChatServer({
      store: SqliteStore.open(join(dir.path, `chat-${requireTls}.db`)),
      hostname: "127.0.0.1",
      port: 0,
      hashIterations: 1000,
      tls: {
        certPem: certificate.certPem,
        keyPem: certificate.keyPem,
        port: 0,
      },
      requireTls,
    });
    try {
      const port = requireTls ? server.addr.port : server.tlsAddr!.port;
      await using client = startClient(dir.path, clientArgs(port));
      if (requireTls) {
        await client.expect(
          `只接受加密连接：请加 --tls 重新启动客户端（TLS 端口 ${
            server.tlsAddr!.port
          }）`,
        );
      } else {
        await client.expect(
          `127.0.0.1:${port} 是加密（TLS）端口，不能用明文连接：请加 --tls 重新启动客户端`,
        );
      }
      assert.notEqual(await client.exitCode(), 0, client.describe());
      assert.doesNotMatch(
        client.stdout,
        /秒后重试|请确保服务器已启动|用户名: /,
      );
    } finally {
      await server.shutdown();
    }
  }
});

Deno.test("client.ts --tls: the trust prompt's no stops, yes remembers, a changed fingerprint is refused", async () => {
  await using dir = await tempDir();
  const certificate = await generateSelfSignedCertificate();
  const server = startChatServer({
    store: SqliteStore.open(join(dir.path, "chat.db")),
    hostname: "127.0.0.1",
    port: 0,
    hashIterations: 1000,
    tls: { certPem: certificate.certPem, keyPem: certificate.keyPem, port: 0 },
  });
  const env = { XDG_CONFIG_HOME: dir.path };
  const knownServers = join(dir.path, "tcpchat", "known_servers");
  const args = ["--tls", ...clientArgs(server.addr.port)];
  try {
    {
      await using client = new Child("client", [
        "run",
        ...PERMISSIONS,
        CLIENT_PATH,
        ...args,
      ], { cwd: dir.path, stdin: true, env });
      await client.expect(`首次连接 127.0.0.1:${server.addr.port}`);
      await client.answer("确认信任该服务器吗？(yes/no): ", "no");
      await client.expect("未信任该证书，已取消连接");
      assert.notEqual(await client.exitCode(), 0, client.describe());
      assert.doesNotMatch(client.stdout, /认证菜单/);
    }
    {
      await using client = new Child("client", [
        "run",
        ...PERMISSIONS,
        CLIENT_PATH,
        ...args,
      ], { cwd: dir.path, stdin: true, env });
      await client.answer("确认信任该服务器吗？(yes/no): ", "yes");
      await expectMenu(client);
      await client.type("4");
      assert.equal(await client.exitCode(), 0, client.describe());
    }
    const remembered = await Deno.readTextFile(knownServers);
    assert.match(
      remembered,
      new RegExp(
        `^127\\.0\\.0\\.1:${server.addr.port} ([0-9A-F]{2}:){31}[0-9A-F]{2}$`,
        "m",
      ),
    );
    // Someone in the middle: the remembered fingerprint no longer matches.
    const wrong = Array(32).fill("AB").join(":");
    await Deno.writeTextFile(
      knownServers,
      `127.0.0.1:${server.addr.port} ${wrong}\n`,
    );
    {
      await using client = new Child("client", [
        "run",
        ...PERMISSIONS,
        CLIENT_PATH,
        ...args,
      ], { cwd: dir.path, stdin: true, env });
      await client.expect(`127.0.0.1:${server.addr.port} 的证书指纹变了`);
      await client.expect(`记录的指纹: ${wrong}`);
      // It names the file to edit (issue 12 item 22).
      await client.expect(`请从 ${knownServers} 中删除这一行`);
      assert.notEqual(await client.exitCode(), 0, client.describe());
      assert.doesNotMatch(client.stdout, /认证菜单|确认信任/);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("client.ts --user shows the username line at login (issue 12 item 22)", async () => {
  await using dir = await tempDir();
  const started = await startServer(dir.path, join(dir.path, "chat.db"));
  await using _server = started.server;
  await registerAccounts(started.port, ["小王"]);
  await using client = startClient(dir.path, [
    ...clientArgs(started.port),
    "--user",
    "小王",
  ]);
  await expectMenu(client);
  await client.type("1");
  await client.answer("\n--- 登录 ---\n用户名: 小王\n密码: ", PASSWORD);
  await client.expect(new RegExp(`\n${CLOCK} 【成功】登录成功！欢迎 小王\n`));
  await client.type("exit");
  assert.equal(await client.exitCode(), 0, client.describe());
});

Deno.test("client.ts registration: a too-short password and a mismatched confirmation both ask again (issue 12 item 22)", async () => {
  await using dir = await tempDir();
  const started = await startServer(dir.path, join(dir.path, "chat.db"));
  await using _server = started.server;
  await using client = startClient(dir.path, clientArgs(started.port));
  await expectMenu(client);
  await client.type("2");
  await client.answer("\n--- 注册新账户 ---\n用户名: ", "小王");
  await client.answer("密码 (至少8个字符): ", "short");
  await client.expect(new RegExp(`\n${CLOCK} 【错误】密码长度至少 8 个字符\n`));
  await client.answer("密码 (至少8个字符): ", PASSWORD);
  await client.answer("确认密码: ", `${PASSWORD}x`);
  await client.expect(new RegExp(`\n${CLOCK} 【错误】两次输入的密码不一致\n`));
  await client.answer("密码 (至少8个字符): ", PASSWORD);
  await client.answer("确认密码: ", PASSWORD);
  await client.expect(new RegExp(`\n${CLOCK} 【成功】注册成功！\n`));
  await client.answer(`\n${MENU_PROMPT}`, "4");
  assert.equal(await client.exitCode(), 0, client.describe());
});

Deno.test("client.ts registration: a username with a space is refused with the reason and asked again (issue 12 item 22)", async () => {
  await using dir = await tempDir();
  const started = await startServer(dir.path, join(dir.path, "chat.db"));
  await using _server = started.server;
  await using client = startClient(dir.path, clientArgs(started.port));
  await expectMenu(client);
  await client.type("2");
  await client.answer("\n--- 注册新账户 ---\n用户名: ", "小 王");
  await client.expect(
    new RegExp(`\n${CLOCK} 【错误】用户名不能包含空格: 小 王\n`),
  );
  await client.answer("用户名: ", "小王");
  await client.answer("密码 (至少8个字符): ", PASSWORD);
  await client.answer("确认密码: ", PASSWORD);
  await client.expect(new RegExp(`\n${CLOCK} 【成功】注册成功！\n`));
  await client.answer(`\n${MENU_PROMPT}`, "4");
  assert.equal(await client.exitCode(), 0, client.describe());
});

Deno.test("client.ts /password changes the password: the new one logs in, the old one no longer does", async () => {
  await using dir = await tempDir();
  const started = await startServer(dir.path, join(dir.path, "chat.db"));
  await using _server = started.server;
  await registerAccounts(started.port, ["小王"]);
  const newPassword = "new-secret-42";
  {
    await using client = startClient(dir.path, clientArgs(started.port));
    await expectMenu(client);
    await login(client, "小王");
    await client.type("/password");
    await client.answer("当前密码: ", PASSWORD);
    await client.answer("新密码 (至少8个字符): ", "short");
    await client.expect(
      new RegExp(`\n${CLOCK} 【错误】密码长度至少 8 个字符\n`),
    );
    await client.answer("新密码 (至少8个字符): ", newPassword);
    await client.answer("确认密码: ", newPassword);
    await client.expect(new RegExp(`\n${CLOCK} 【成功】密码已修改\n`));
    await exitChat(client);
    assert.ok(!client.stdout.includes(newPassword), client.describe());
  }
  await using raw = await TestClient.connect(started.port);
  await raw.expect("HELLO ");
  await raw.send(`LOGIN 小王 ${PASSWORD}`);
  await raw.expect("AUTH_FAILURE ");
  await raw.send(`LOGIN 小王 ${newPassword}`);
  await raw.expect("AUTH_SUCCESS 小王");
});

Deno.test("client.ts shares a file with /send, lists it with /files and saves it with /get, never over an existing file", async () => {
  await using dir = await tempDir();
  const server = startChatServer({
    store: SqliteStore.open(join(dir.path, "chat.db")),
    hostname: "127.0.0.1",
    port: 0,
    webPort: 0,
    hashIterations: 1000,
    files: {
      dir: join(dir.path, "chat-files"),
      maxFileBytes: 4 * 1024 * 1024,
      quotaBytes: 16 * 1024 * 1024,
      minFreeBytes: 0,
      retentionDays: 30,
    },
  });
  try {
    const port = server.addr.port;
    await registerAccounts(port, ["alice", "bob"]);
    const bytes = new Uint8Array(1_500_000).map((_, i) => (i * 7) & 0xff);
    const source = join(dir.path, "季度 报告.pdf");
    await Deno.writeFile(source, bytes);
    const folder = join(dir.path, "下载");
    await Deno.mkdir(folder);
    await Deno.writeFile(join(folder, "季度 报告.pdf"), new Uint8Array([1]));
    await using bob = startClient(dir.path, clientArgs(port));
    await expectMenu(bob);
    await login(bob, "bob");
    await using alice = startClient(dir.path, clientArgs(port));
    await expectMenu(alice);
    await login(alice, "alice");
    await alice.type(`/send #大厅 "${source}"`);
    await alice.expect(
      new RegExp(
        `\n${CLOCK} alice 分享了文件 季度 报告\\.pdf \\(1\\.4 MB\\) #f1\n`,
      ),
    );
    await alice.expect(/【成功】季度 报告\.pdf \(1\.4 MB\) 已上传并通过校验/);
    await bob.expect(
      new RegExp(
        `\n${CLOCK} alice 分享了文件 季度 报告\\.pdf \\(1\\.4 MB\\) #f1\n`,
      ),
    );
    await bob.type("/files");
    await bob.expect("--- 可获取的文件（1 个，/get <编号> 下载）---\n");
    await bob.expect(/【系统】#f1 季度 报告\.pdf \(1\.4 MB\) {2}alice → #大厅/);
    await bob.type(`/get f1 ${folder}`);
    const saved = join(folder, "季度 报告 (1).pdf");
    await bob.expect(
      `【成功】已保存到 ${saved} (1.4 MB，SHA-256 校验通过，`,
    );
    assert.deepEqual(await Deno.readFile(saved), bytes);
    assert.deepEqual(
      await Deno.readFile(join(folder, "季度 报告.pdf")),
      new Uint8Array([1]),
    );
    assert.deepEqual(
      (await Array.fromAsync(Deno.readDir(folder))).map((e) => e.name).sort(),
      ["季度 报告 (1).pdf", "季度 报告.pdf"],
    );
    const big = join(dir.path, "big.bin");
    await Deno.writeFile(big, new Uint8Array(4 * 1024 * 1024 + 1));
    await bob.type(`/send alice ${big}`);
    await bob.expect("【错误】文件太大（上限 4.0 MB）\n");
    await bob.type("/send alice /no/such/file.txt");
    await bob.expect(/【错误】无法读取文件 \/no\/such\/file\.txt: /);
    await bob.type("/get f9");
    await bob.expect("【错误】文件不存在或无权获取: f9\n");
    await exitChat(alice);
    await exitChat(bob);
  } finally {
    await server.shutdown();
  }
});

Deno.test("client.ts read receipts, unread counts and avatars between two real clients", async () => {
  await using dir = await tempDir();
  const started = await startServer(dir.path, join(dir.path, "chat.db"));
  await using _server = started.server;
  const port = started.port;
  await registerAccounts(port, ["小王", "张三"]);

  await using wang = startClient(dir.path, clientArgs(port));
  await expectMenu(wang);
  await login(wang, "小王");
  await wang.expect("【系统】你已进入房间 大厅（当前 1 人）\n");
  await using zhang = startClient(dir.path, clientArgs(port));
  await expectMenu(zhang);
  await login(zhang, "张三");
  await wang.expect("【系统】张三 加入了聊天室\n");

  // Delivered at once (✓); 张三's client prints it and reports it read (✓✓).
  await wang.type("/msg 张三 在吗？");
  await wang.expect(new RegExp(`${CLOCK} \\[私聊\\] 你 → 张三: 在吗？ ✓\n`));
  await zhang.expect(new RegExp(`${CLOCK} \\[私聊\\] 小王 → 你: 在吗？\n`));
  await wang.expect("【系统】张三 已读了你的私聊消息 ✓✓\n");

  // 小王 has been in 技术; what is said there while he is away is unread.
  await wang.type("/join 技术");
  await wang.expect("【系统】你已进入房间 技术（当前 1 人）\n");
  await wang.type("/leave");
  await wang.expect("【系统】你已进入房间 大厅（当前 2 人）\n");
  await zhang.type("/join 技术");
  await zhang.expect("【系统】你已进入房间 技术（当前 1 人）\n");
  await zhang.type("部署好了");
  await zhang.type("测试通过");
  // Lines of one connection are taken in order: once this arrives, both
  // messages were.
  await zhang.type("/msg 小王 好了");
  await wang.expect(new RegExp(`${CLOCK} \\[私聊\\] 张三 → 你: 好了\n`));
  await wang.type("/rooms");
  await wang.expect("【系统】房间列表: 大厅 (1), 技术 (1, 2 条未读)\n");

  // An emoji avatar: shown before the name in /users, to everyone.
  await wang.type("/avatar :cat:");
  await wang.expect(new RegExp(`${CLOCK} 【成功】[^\n]*🐱\n`));
  await wang.type("/users");
  await wang.expect("【系统】房间 大厅 的在线用户 (1): 🐱 小王\n");
  await zhang.type("/users all");
  await zhang.expect(
    /【系统】所有在线用户 \(2\): (🐱 小王, 张 张三|张 张三, 🐱 小王)\n/,
  );
  await zhang.type("/whois 小王");
  await zhang.expect(
    /【系统】小王: 在线，房间 大厅，注册于 [^\n]*，头像: 🐱\n/,
  );
  await exitChat(wang);

  // At the next login the unread rooms are told once; joining reads them.
  await using again = startClient(dir.path, clientArgs(port));
  await expectMenu(again);
  await login(again, "小王");
  await again.expect(
    "【系统】未读消息: 技术 2 条（输入 /join <房间名> 查看）\n",
  );
  await again.type("/join 技术");
  await again.expect(new RegExp(`${CLOCK} 张三: 测试通过\n`));
  await again.type("/leave");
  await again.expect("【系统】你已进入房间 大厅（当前 1 人）\n");
  await again.type("/rooms");
  await again.expect("【系统】房间列表: 大厅 (1), 技术 (1)\n");
  await exitChat(again);
  await exitChat(zhang);
  assert.equal(wang.stdout.split("已读了你的私聊消息").length, 2);
  for (const child of [wang, zhang, again]) {
    assert.doesNotMatch(child.stdout, /【错误】/, child.describe());
  }
});
