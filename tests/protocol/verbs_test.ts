/**
 * The verb table of lib/protocol/verbs.ts: one spec per verb, every command
 * and reply type formatted by exactly one spec, one sample per verb that
 * formats to a literal line and parses back, and unknown verbs as before.
 */

import assert from "node:assert/strict";
import {
  type Command,
  commandUsage,
  formatCommand,
  formatReply,
  parseCommand,
  parseReply,
  type Reply,
} from "../../lib/protocol/protocol.ts";
import type { Variant } from "../../lib/protocol/spec.ts";
import { COMMAND_SPECS, REPLY_SPECS } from "../../lib/protocol/verbs.ts";

/** A sample of each type and the line it formats to. */
type Samples<U extends { type: string }> = {
  [T in U["type"]]: { sample: Variant<U, T>; line: string };
};

// A mapped type over Command["type"]: a type without a sample, or a sample
// of a type that does not exist, fails to compile.
const COMMANDS: Samples<Command> = {
  register: {
    sample: { type: "register", username: "张三", password: " s3cret pw" },
    line: "REGISTER 张三  s3cret pw",
  },
  login: {
    sample: { type: "login", username: "bob", password: "correct horse" },
    line: "LOGIN bob correct horse",
  },
  resume: {
    sample: { type: "resume", username: "bob", token: "q8Zt4mXwR2" },
    line: "RESUME bob q8Zt4mXwR2",
  },
  "reset_request": {
    sample: { type: "reset_request", username: "bob" },
    line: "RESET_REQUEST bob",
  },
  "reset_confirm": {
    sample: { type: "reset_confirm", token: "t0k", newPassword: "new pw" },
    line: "RESET_CONFIRM t0k new pw",
  },
  logout: { sample: { type: "logout" }, line: "LOGOUT" },
  "delete_account": {
    sample: { type: "delete_account", username: "bob", password: "pw" },
    line: "DELETE_ACCOUNT bob pw",
  },
  "change_password": {
    sample: {
      type: "change_password",
      oldPassword: "密码 1",
      newPassword: "new one",
    },
    line: "PASSWORD 8 密码 1 new one",
  },
  msg: { sample: { type: "msg", text: " 大家好 👋" }, line: "MSG  大家好 👋" },
  ping: { sample: { type: "ping", token: "k3" }, line: "PING k3" },
  pong: { sample: { type: "pong" }, line: "PONG" },
  cert: { sample: { type: "cert" }, line: "CERT" },
  lang: { sample: { type: "lang", lang: "zh-CN" }, line: "LANG zh-CN" },
  join: { sample: { type: "join", room: "技术" }, line: "JOIN 技术" },
  leave: { sample: { type: "leave" }, line: "LEAVE" },
  rooms: { sample: { type: "rooms" }, line: "ROOMS" },
  users: { sample: { type: "users", all: true }, line: "USERS all" },
  privmsg: {
    sample: { type: "privmsg", to: "张三", text: "在吗？ 😀" },
    line: "PRIVMSG 张三 在吗？ 😀",
  },
  history: {
    sample: { type: "history", count: 50, before: 1200 },
    line: "HISTORY 50 before 1200",
  },
  kick: {
    sample: { type: "kick", user: "bob", reason: "spam links" },
    line: "KICK bob spam links",
  },
  mute: {
    sample: { type: "mute", user: "张三", minutes: 30, reason: "刷屏" },
    line: "MUTE 张三 30 刷屏",
  },
  unmute: { sample: { type: "unmute", user: "bob" }, line: "UNMUTE bob" },
  "delete_message": {
    sample: { type: "delete_message", id: 42 },
    line: "DELETE 42",
  },
  "delete_last": {
    sample: { type: "delete_last", user: "bob" },
    line: "DELETE last bob",
  },
  status: { sample: { type: "status", text: "在开会" }, line: "STATUS 在开会" },
  whois: { sample: { type: "whois", user: "bob" }, line: "WHOIS bob" },
  "file_send": {
    sample: {
      type: "file_send",
      target: "#大厅",
      size: 2411724,
      sha256:
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      name: "季度 报告.pdf",
    },
    line:
      "FILE_SEND #大厅 2411724 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 季度 报告.pdf",
  },
  "file_get": { sample: { type: "file_get", id: 12 }, line: "FILE_GET 12" },
  files: { sample: { type: "files" }, line: "FILES" },
  read: {
    sample: { type: "read", target: "#大厅", id: 10417 },
    line: "READ #大厅 10417",
  },
  receipts: { sample: { type: "receipts", on: false }, line: "RECEIPTS off" },
  avatar: { sample: { type: "avatar", emoji: "👩‍💻" }, line: "AVATAR 👩‍💻" },
  "avatar_image": {
    sample: { type: "avatar_image", size: 20481 },
    line: "AVATAR_IMAGE 20481",
  },
  avatars: {
    sample: { type: "avatars", users: ["李四", "王五"] },
    line: "AVATARS 李四 王五",
  },
};

const REPLIES: Samples<Reply> = {
  hello: {
    sample: { type: "hello", protocolVersion: 1, serverVersion: "0.1.0" },
    line: "HELLO tcpchat/1 0.1.0",
  },
  "register_success": {
    sample: { type: "register_success" },
    line: "REGISTER_SUCCESS",
  },
  "recovery_code": {
    sample: { type: "recovery_code", code: "ABCD-EFGH" },
    line: "RECOVERY_CODE ABCD-EFGH",
  },
  "register_failure": {
    sample: { type: "register_failure", message: "用户名已被占用" },
    line: "REGISTER_FAILURE 用户名已被占用",
  },
  "auth_success": {
    sample: { type: "auth_success", username: "张三" },
    line: "AUTH_SUCCESS 张三",
  },
  "auth_failure": {
    sample: { type: "auth_failure", message: "Wrong password" },
    line: "AUTH_FAILURE Wrong password",
  },
  "reset_requested": {
    sample: { type: "reset_requested", message: "Ask the operator" },
    line: "RESET_REQUESTED Ask the operator",
  },
  "reset_success": { sample: { type: "reset_success" }, line: "RESET_SUCCESS" },
  "reset_failure": {
    sample: { type: "reset_failure", message: "Token expired" },
    line: "RESET_FAILURE Token expired",
  },
  "delete_success": {
    sample: { type: "delete_success" },
    line: "DELETE_SUCCESS",
  },
  "delete_failure": {
    sample: { type: "delete_failure", message: "Wrong password" },
    line: "DELETE_FAILURE Wrong password",
  },
  "password_success": {
    sample: { type: "password_success" },
    line: "PASSWORD_SUCCESS",
  },
  "password_failure": {
    sample: { type: "password_failure", message: "Too short" },
    line: "PASSWORD_FAILURE Too short",
  },
  error: {
    sample: { type: "error", code: "not_admin", message: "Not an admin" },
    line: "ERROR not_admin Not an admin",
  },
  "logout_success": {
    sample: { type: "logout_success" },
    line: "LOGOUT_SUCCESS",
  },
  welcome: {
    sample: { type: "welcome", onlineCount: 3, username: "bob" },
    line: "WELCOME 3 bob",
  },
  "resume_token": {
    sample: { type: "resume_token", token: "q8Zt4mXwR2" },
    line: "RESUME_TOKEN q8Zt4mXwR2",
  },
  message: {
    sample: {
      type: "message",
      id: 17,
      time: 1764081035000,
      sender: "张三",
      text: "大家好 😀",
    },
    line: "MESSAGE 17 1764081035000 张三 大家好 😀",
  },
  "user_joined": {
    sample: { type: "user_joined", time: 1764081035000, username: "bob" },
    line: "USER_JOINED 1764081035000 bob",
  },
  "user_left": {
    sample: {
      type: "user_left",
      time: 1764081035000,
      username: "bob",
      to: "技术",
    },
    line: "USER_LEFT 1764081035000 bob 技术",
  },
  presence: {
    sample: { type: "presence", time: 1764081035000, joined: 4, left: 2 },
    line: "PRESENCE 1764081035000 4 2",
  },
  system: {
    sample: { type: "system", time: 1764081035000, text: "Restart at 3" },
    line: "SYSTEM 1764081035000 Restart at 3",
  },
  ping: { sample: { type: "ping" }, line: "PING" },
  pong: { sample: { type: "pong", token: "k3" }, line: "PONG k3" },
  cert: {
    sample: { type: "cert", port: 5001, der: "MIIBszCC" },
    line: "CERT 5001 MIIBszCC",
  },
  bye: {
    sample: { type: "bye", code: "shutdown", message: "Server is stopping" },
    line: "BYE shutdown Server is stopping",
  },
  joined: {
    sample: { type: "joined", room: "大厅", memberCount: 5 },
    line: "JOINED 大厅 5",
  },
  "room_list": {
    sample: {
      type: "room_list",
      rooms: [{ name: "大厅", memberCount: 5 }, {
        name: "技术",
        memberCount: 3,
      }],
    },
    line: "ROOM_LIST 大厅=5 技术=3",
  },
  "user_list": {
    sample: { type: "user_list", scope: "*", users: ["bob", "张三"] },
    line: "USER_LIST * bob 张三",
  },
  private: {
    sample: {
      type: "private",
      id: 42,
      time: 1764081035000,
      from: "小王",
      to: "张三",
      text: "在吗？ 😀",
    },
    line: "PRIVATE 42 1764081035000 小王 张三 在吗？ 😀",
  },
  "pm_queued": {
    sample: { type: "pm_queued", to: "bob" },
    line: "PM_QUEUED bob",
  },
  "pm_delivered": {
    sample: { type: "pm_delivered", to: "bob", count: 2 },
    line: "PM_DELIVERED bob 2",
  },
  "offline_begin": {
    sample: { type: "offline_begin", count: 2 },
    line: "OFFLINE_BEGIN 2",
  },
  "offline_end": { sample: { type: "offline_end" }, line: "OFFLINE_END" },
  "history_begin": {
    sample: { type: "history_begin", room: "技术", count: 1 },
    line: "HISTORY_BEGIN 技术 1",
  },
  "history_message": {
    sample: {
      type: "history_message",
      id: 9,
      time: 1764081035000,
      sender: "bob",
      text: "earlier",
    },
    line: "HISTORY_MESSAGE 9 1764081035000 bob earlier",
  },
  "history_end": {
    sample: { type: "history_end", room: "技术", more: true },
    line: "HISTORY_END 技术 1",
  },
  "message_deleted": {
    sample: { type: "message_deleted", id: 9, by: "admin" },
    line: "MESSAGE_DELETED 9 admin",
  },
  muted: {
    sample: { type: "muted", until: 1764082835000, reason: "刷屏" },
    line: "MUTED 1764082835000 刷屏",
  },
  unmuted: { sample: { type: "unmuted" }, line: "UNMUTED" },
  "whois_info": {
    sample: {
      type: "whois_info",
      user: "张三",
      registeredAt: 1764000000000,
      online: true,
      lastSeenAt: null,
      room: "技术",
      admin: false,
      status: "在开会",
    },
    line: "WHOIS_INFO 张三 1764000000000 1 - 技术 0 在开会",
  },
  ok: {
    sample: { type: "ok", code: "status_set", message: "Status set" },
    line: "OK status_set Status set",
  },
  "file_upload": {
    sample: {
      type: "file_upload",
      id: 12,
      offset: 0,
      port: 5080,
      token: "Yq3rT0kP",
    },
    line: "FILE_UPLOAD 12 0 5080 Yq3rT0kP",
  },
  "file_download": {
    sample: {
      type: "file_download",
      id: 12,
      size: 2411724,
      sha256:
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      port: 5080,
      token: "Yq3rT0kP",
      name: "季度 报告.pdf",
    },
    line:
      "FILE_DOWNLOAD 12 2411724 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 5080 Yq3rT0kP 季度 报告.pdf",
  },
  "file_shared": {
    sample: {
      type: "file_shared",
      messageId: 10417,
      time: 1764000000000,
      sender: "张三",
      target: "#大厅",
      id: 12,
      size: 2411724,
      name: "报告.pdf",
    },
    line: "FILE_SHARED 10417 1764000000000 张三 #大厅 12 2411724 报告.pdf",
  },
  "history_file": {
    sample: {
      type: "history_file",
      messageId: 10417,
      time: 1764000000000,
      sender: "张三",
      id: 12,
      size: 2411724,
      name: "报告.pdf",
    },
    line: "HISTORY_FILE 10417 1764000000000 张三 12 2411724 报告.pdf",
  },
  "files_begin": {
    sample: { type: "files_begin", count: 1 },
    line: "FILES_BEGIN 1",
  },
  "file_entry": {
    sample: {
      type: "file_entry",
      id: 12,
      time: 1764000000000,
      sender: "张三",
      target: "bob",
      size: 5,
      name: "a b.txt",
    },
    line: "FILE_ENTRY 12 1764000000000 张三 bob 5 a b.txt",
  },
  "files_end": { sample: { type: "files_end" }, line: "FILES_END" },
  unread: {
    sample: {
      type: "unread",
      rooms: [{ name: "技术", count: 12 }, { name: "闲聊", count: 999 }],
    },
    line: "UNREAD 技术=12 闲聊=999",
  },
  "pm_receipt": {
    sample: {
      type: "pm_receipt",
      user: "张三",
      id: 10418,
      state: "read",
      time: 1764081040000,
    },
    line: "PM_RECEIPT 张三 10418 read 1764081040000",
  },
  "avatar_list": {
    sample: {
      type: "avatar_list",
      avatars: [{ user: "李四", mark: "-" }, { user: "王五", mark: "🐶" }, {
        user: "张三",
        mark: "img:7",
      }],
    },
    line: "AVATAR_LIST 李四=- 王五=🐶 张三=img:7",
  },
  "avatar_upload": {
    sample: { type: "avatar_upload", port: 5080, token: "Yq3rT0kPq" },
    line: "AVATAR_UPLOAD 5080 Yq3rT0kPq",
  },
};

/** The verb a line starts with. */
function verbOf(line: string): string {
  return line.split(" ", 1)[0] as string;
}

/** Checks one table against its samples; returns nothing, asserts. */
function checkTable(
  specs: ReadonlyArray<{ verb: string; types: readonly string[] }>,
  samples: Record<string, { line: string }>,
): void {
  const verbs = specs.map((spec) => spec.verb);
  assert.deepEqual(verbs.filter((v, i) => verbs.indexOf(v) !== i), []);
  for (const type of Object.keys(samples)) {
    const owners = specs.filter((spec) => spec.types.includes(type));
    assert.equal(owners.length, 1, `type "${type}" has ${owners.length} specs`);
    // The spec that formats a type is the one whose verb the line starts with.
    assert.equal(owners[0]?.verb, verbOf(samples[type]!.line), type);
  }
  // No spec formats a type that is not in the union.
  const types = specs.flatMap((spec) => spec.types).sort();
  assert.deepEqual(types, Object.keys(samples).sort());
}

Deno.test({
  name: "COMMAND_SPECS has one spec per verb and per command type",
  permissions: "none",
  fn() {
    checkTable(COMMAND_SPECS, COMMANDS);
    assert.equal(COMMAND_SPECS.length, 33);
    for (const spec of COMMAND_SPECS) {
      assert.equal(commandUsage(spec.verb), spec.usage);
      assert.equal(verbOf(spec.usage), spec.verb);
    }
  },
});

Deno.test({
  name: "REPLY_SPECS has one spec per verb and per reply type",
  permissions: "none",
  fn() {
    checkTable(REPLY_SPECS, REPLIES);
    assert.equal(REPLY_SPECS.length, 53);
  },
});

Deno.test({
  name: "formatCommand() and parseCommand() round-trip one sample per verb",
  permissions: "none",
  async fn(t) {
    for (const [type, { sample, line }] of Object.entries(COMMANDS)) {
      await t.step(type, () => {
        assert.equal(formatCommand(sample), line);
        assert.deepEqual(parseCommand(line), sample);
      });
    }
  },
});

Deno.test({
  name: "formatReply() and parseReply() round-trip one sample per verb",
  permissions: "none",
  async fn(t) {
    for (const [type, { sample, line }] of Object.entries(REPLIES)) {
      await t.step(type, () => {
        assert.equal(formatReply(sample), line);
        assert.deepEqual(parseReply(line), sample);
      });
    }
  },
});

Deno.test({
  name: "parseCommand() gives unknown for a word that is not a verb",
  permissions: "none",
  async fn(t) {
    // Lowercase, unknown, empty, and names an object would inherit.
    for (const line of ["login bob pw", "NOPE x", "", " MSG hi", "__proto__"]) {
      await t.step(JSON.stringify(line), () => {
        assert.deepEqual(parseCommand(line), { type: "unknown", line });
      });
    }
    await t.step("toString and constructor", () => {
      assert.deepEqual(parseCommand("toString"), {
        type: "unknown",
        line: "toString",
      });
      assert.equal(commandUsage("constructor"), undefined);
      assert.equal(commandUsage("MESSAGE"), undefined);
    });
  },
});

Deno.test({
  name: "parseCommand() quotes the verb's usage when its arguments are bad",
  permissions: "none",
  fn() {
    assert.deepEqual(parseCommand("JOIN"), {
      type: "invalid",
      verb: "JOIN",
      code: "invalid_command",
      reason: "Cannot parse JOIN: missing room (usage: JOIN <room>)",
    });
    assert.deepEqual(parseCommand("DELETE last"), {
      type: "invalid",
      verb: "DELETE",
      code: "invalid_command",
      reason:
        "Cannot parse DELETE: missing username (usage: DELETE <message_id> | DELETE last <username>)",
    });
  },
});

Deno.test({
  name: "formatCommand() and parseReply() reject unknown types and verbs",
  permissions: "none",
  fn() {
    assert.throws(
      () => formatCommand({ type: "toString" } as unknown as Command),
      new TypeError('Cannot format command: unknown type "toString"'),
    );
    assert.throws(
      () => formatReply({ type: "invalid" } as unknown as Reply),
      new TypeError('Cannot format reply: unknown type "invalid"'),
    );
    assert.deepEqual(parseReply("__proto__ x"), {
      type: "invalid",
      reason: 'Cannot parse reply: unknown verb "__proto__"',
    });
    // A command verb that is not a reply verb.
    assert.deepEqual(parseReply("LOGIN bob pw"), {
      type: "invalid",
      reason: 'Cannot parse reply: unknown verb "LOGIN"',
    });
  },
});
