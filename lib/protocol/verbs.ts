/**
 * The verb table: every command and reply verb's spec, gathered from the
 * family files (account.ts, session.ts, chat.ts, rooms.ts, history.ts,
 * moderation.ts, profile.ts, files.ts, receipts.ts, avatars.ts), and the four entry points, which look a verb
 * up in it: by its word to parse a line, by its type to format one.
 *
 * @module
 */

import { ACCOUNT_COMMANDS, ACCOUNT_REPLIES } from "./account.ts";
import { AVATAR_COMMANDS, AVATAR_REPLIES } from "./avatars.ts";
import { CHAT_COMMANDS, CHAT_REPLIES } from "./chat.ts";
import { checkLineLength, splitWord } from "./fields.ts";
import { FILE_COMMANDS, FILE_REPLIES } from "./files.ts";
import { HISTORY_COMMANDS, HISTORY_REPLIES } from "./history.ts";
import { MODERATION_COMMANDS, MODERATION_REPLIES } from "./moderation.ts";
import { PROFILE_COMMANDS, PROFILE_REPLIES } from "./profile.ts";
import { RECEIPT_COMMANDS, RECEIPT_REPLIES } from "./receipts.ts";
import { ROOM_COMMANDS, ROOM_REPLIES } from "./rooms.ts";
import { SESSION_COMMANDS, SESSION_REPLIES } from "./session.ts";
import {
  type CommandSpec,
  invalidCommand,
  invalidReply,
  isCommandProblem,
  type ReplySpec,
} from "./spec.ts";
import { sanitizeMessage } from "./text.ts";
import type { Command, ParsedCommand, ParsedReply, Reply } from "./types.ts";

/** Every command verb's spec, one per verb. */
export const COMMAND_SPECS: readonly CommandSpec<Command>[] = [
  ...ACCOUNT_COMMANDS,
  ...SESSION_COMMANDS,
  ...CHAT_COMMANDS,
  ...ROOM_COMMANDS,
  ...HISTORY_COMMANDS,
  ...MODERATION_COMMANDS,
  ...PROFILE_COMMANDS,
  ...FILE_COMMANDS,
  ...RECEIPT_COMMANDS,
  ...AVATAR_COMMANDS,
];

/** Every reply verb's spec, one per verb. */
export const REPLY_SPECS: readonly ReplySpec<Reply>[] = [
  ...ACCOUNT_REPLIES,
  ...SESSION_REPLIES,
  ...CHAT_REPLIES,
  ...ROOM_REPLIES,
  ...HISTORY_REPLIES,
  ...MODERATION_REPLIES,
  ...PROFILE_REPLIES,
  ...FILE_REPLIES,
  ...RECEIPT_REPLIES,
  ...AVATAR_REPLIES,
];

/**
 * Indexes specs by verb and by type. A verb or type listed twice is a bug in
 * the table, so it fails when the module loads, not on some later line.
 */
function indexSpecs<S extends { verb: string; types: readonly string[] }>(
  specs: readonly S[],
): { byVerb: Map<string, S>; byType: Map<string, S> } {
  const byVerb = new Map<string, S>();
  const byType = new Map<string, S>();
  for (const spec of specs) {
    if (byVerb.has(spec.verb)) {
      throw new Error(`Verb table lists "${spec.verb}" twice`);
    }
    byVerb.set(spec.verb, spec);
    for (const type of spec.types) {
      if (byType.has(type)) {
        throw new Error(`Verb table lists type "${type}" twice`);
      }
      byType.set(type, spec);
    }
  }
  return { byVerb, byType };
}

// Maps, not objects, so that a verb such as "__proto__" or "toString" finds
// nothing.
/**
 * Formats `value` with the spec of its type in `specs` and checks the
 * line's length; `what` names it in errors (`"command"`, `"reply"`).
 */
function formatWith<T extends { type: string }>(
  specs: { byType: Map<string, { format(value: T): string }> },
  what: string,
  value: T,
): string {
  const spec = specs.byType.get(value.type);
  if (spec === undefined) {
    throw new TypeError(
      `Cannot format ${what}: unknown type "${
        String((value as { type: unknown }).type)
      }"`,
    );
  }
  return checkLineLength(what, spec.format(value));
}

const COMMANDS = indexSpecs(COMMAND_SPECS);
const REPLIES = indexSpecs(REPLY_SPECS);
const MAX_VERB_IN_REASON = 32;

/**
 * The usage line of a command verb (`"JOIN <room>"`), or `undefined` for a
 * word that is not a verb.
 *
 * @example
 * ```ts
 * import { commandUsage } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(commandUsage("JOIN"), "JOIN <room>");
 * assert.equal(commandUsage("join"), undefined);
 * ```
 */
export function commandUsage(verb: string): string | undefined {
  return COMMANDS.byVerb.get(verb)?.usage;
}

/**
 * Parses one line sent by a client (without its line ending).
 *
 * Never throws. A line whose first word is a verb but whose arguments are
 * malformed gives `{ type: "invalid", verb, code, reason }`, ready to send
 * as `ERROR <code> <reason>`; the reason never repeats a password. A line
 * whose first word is not a verb (verbs are case-sensitive) gives
 * `{ type: "unknown", line }`; a logged-in client's unknown line is chat, to
 * be checked with {@linkcode parseChatText}.
 *
 * User-authored texts (of `MSG` and `PRIVMSG`, a `KICK` or `MUTE` reason, a
 * `STATUS`) are the rest of the line and are returned unchanged; a blank
 * one gives code `empty_message` and one over its limit `message_too_long`.
 * Numbers are decimal without leading zeros; `HISTORY` counts and `MUTE`
 * minutes out of range are invalid.
 *
 * @param line One line as returned by the line framer.
 * @returns The command, or why it is not one.
 *
 * @example Parse commands
 * ```ts
 * import { parseCommand } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseCommand("LOGIN 张三 correct horse"), {
 *   type: "login",
 *   username: "张三",
 *   password: "correct horse",
 * });
 * // The old password is prefixed with its length in UTF-8 bytes.
 * assert.deepEqual(parseCommand("PASSWORD 9 old pw€ new pw"), {
 *   type: "change_password",
 *   oldPassword: "old pw€",
 *   newPassword: "new pw",
 * });
 * assert.deepEqual(parseCommand("RESUME 张三 q8Zt4mXwR2"), {
 *   type: "resume",
 *   username: "张三",
 *   token: "q8Zt4mXwR2",
 * });
 * assert.deepEqual(parseCommand("CERT"), { type: "cert" });
 * assert.equal(parseCommand("REGISTER bob").type, "invalid");
 * assert.deepEqual(parseCommand("login bob pw"), {
 *   type: "unknown",
 *   line: "login bob pw",
 * });
 * ```
 *
 * @example Parse chat messages
 * ```ts
 * import { parseCommand } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * // The text is the rest of the line, leading spaces included.
 * assert.deepEqual(parseCommand("MSG  大家好 👋"), {
 *   type: "msg",
 *   text: " 大家好 👋",
 * });
 * const blank = parseCommand("MSG    ");
 * assert.equal(blank.type, "invalid");
 * assert.equal(blank.type === "invalid" && blank.code, "empty_message");
 * ```
 *
 * @example Relay a private message
 * ```ts
 * import { formatCommand, formatReply, parseCommand, parseReply } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * // 小王's client sends PRIVMSG; the text is the rest of the line.
 * const line = formatCommand({ type: "privmsg", to: "张三", text: "在吗？ 😀" });
 * assert.equal(line, "PRIVMSG 张三 在吗？ 😀");
 * const command = parseCommand(line);
 * assert.ok(command.type === "privmsg");
 * // The server sends PRIVATE to 张三 and, as a copy, to 小王.
 * const event = formatReply({
 *   type: "private",
 *   id: 42,
 *   time: 1764081035000,
 *   from: "小王",
 *   to: command.to,
 *   text: command.text,
 * });
 * assert.equal(event, "PRIVATE 42 1764081035000 小王 张三 在吗？ 😀");
 * assert.deepEqual(parseReply(event), {
 *   type: "private",
 *   id: 42,
 *   time: 1764081035000,
 *   from: "小王",
 *   to: "张三",
 *   text: "在吗？ 😀",
 * });
 * assert.equal(parseCommand("PRIVMSG 张三").type, "invalid");
 * ```
 *
 * @example Parse room, history and moderation commands
 * ```ts
 * import { parseCommand } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseCommand("JOIN 技术"), { type: "join", room: "技术" });
 * assert.deepEqual(parseCommand("HISTORY 50 before 1200"), {
 *   type: "history",
 *   count: 50,
 *   before: 1200,
 * });
 * assert.deepEqual(parseCommand("MUTE 张三 30 刷屏"), {
 *   type: "mute",
 *   user: "张三",
 *   minutes: 30,
 *   reason: "刷屏",
 * });
 * assert.deepEqual(parseCommand("STATUS"), { type: "status", text: "" });
 * assert.equal(parseCommand("HISTORY 101").type, "invalid");
 * ```
 */
export function parseCommand(line: string): ParsedCommand {
  const [verb, args] = splitWord(line);
  const spec = COMMANDS.byVerb.get(verb);
  if (spec === undefined) return { type: "unknown", line };
  const result = spec.parse(args);
  return isCommandProblem(result) ? invalidCommand(spec, result) : result;
}

/**
 * Formats a command as one line, without the line ending, such that
 * `parseCommand(formatCommand(command))` deep-equals `command`.
 *
 * @param command The command to format.
 * @returns The line.
 * @throws {TypeError} If a field is not a string (or number, or boolean) as
 * it should be, a username, room or token is empty or contains a space, a
 * field contains `\n` or `\r` or is not well-formed Unicode, a ping token
 * has a character other than visible ASCII, a `history` command has both
 * `before` and `after`, or `command.type` is not a command type.
 * @throws {RangeError} If a password is empty or longer than
 * {@linkcode MAX_PASSWORD_BYTES} bytes; a message text is blank or longer
 * than {@linkcode MAX_MESSAGE_BYTES} bytes; a reason is blank (or `""`) or
 * longer than {@linkcode MAX_REASON_BYTES} bytes; a status other than `""`
 * is blank or longer than {@linkcode MAX_STATUS_LENGTH} characters; a
 * history count is not an integer from 1 to {@linkcode MAX_HISTORY_COUNT},
 * mute minutes not one from 1 to {@linkcode MAX_MUTE_MINUTES}, or a message
 * id not a non-negative safe integer; a ping token is longer than
 * {@linkcode MAX_PING_TOKEN_LENGTH} characters; or the line would be longer
 * than {@linkcode MAX_LINE_BYTES} bytes.
 *
 * @example Format commands
 * ```ts
 * import { formatCommand } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatCommand({ type: "register", username: "bob", password: " s3cret pw" }),
 *   "REGISTER bob  s3cret pw",
 * );
 * assert.equal(
 *   formatCommand({
 *     type: "change_password",
 *     oldPassword: "密码 1",
 *     newPassword: "new one",
 *   }),
 *   "PASSWORD 8 密码 1 new one",
 * );
 * assert.throws(
 *   () => formatCommand({ type: "login", username: "a b", password: "pw" }),
 *   TypeError,
 * );
 * ```
 *
 * @example Format chat messages and pings
 * ```ts
 * import { formatCommand } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatCommand({ type: "msg", text: "你好，大家好" }), "MSG 你好，大家好");
 * assert.equal(formatCommand({ type: "pong", token: "k3" }), "PONG k3");
 * assert.equal(formatCommand({ type: "ping" }), "PING");
 * assert.throws(() => formatCommand({ type: "msg", text: "  " }), RangeError);
 * ```
 *
 * @example Resume a session after the connection dropped
 * ```ts
 * import { formatCommand, parseReply } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * // The client keeps the newest RESUME_TOKEN in memory, never the password.
 * const reply = parseReply("RESUME_TOKEN q8Zt4mXwR2");
 * assert.ok(reply.type === "resume_token");
 * assert.equal(
 *   formatCommand({ type: "resume", username: "张三", token: reply.token }),
 *   "RESUME 张三 q8Zt4mXwR2",
 * );
 * assert.throws(
 *   () => formatCommand({ type: "resume", username: "张三", token: "" }),
 *   TypeError,
 * );
 * ```
 */
export function formatCommand(command: Command): string {
  return formatWith(COMMANDS, "command", command);
}

/**
 * Parses one line sent by a server (without its line ending).
 *
 * Never throws. Control characters in a message or text are replaced by a
 * space, as {@linkcode formatReply} does, so it is always safe to print; a
 * username (or room name) that contains one makes the line invalid. Text
 * after the server version in `HELLO` is reserved and ignored. An optional
 * trailing text (of `OK`, `MUTED`, `WHOIS_INFO`) that is empty is sent
 * without its space, so a line that ends in that space is invalid.
 *
 * @param line One line as returned by the line framer.
 * @returns The reply, or `{ type: "invalid", reason }`.
 *
 * @example Parse replies
 * ```ts
 * import { parseReply, PROTOCOL_VERSION } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseReply("HELLO tcpchat/1 0.1.0"), {
 *   type: "hello",
 *   protocolVersion: PROTOCOL_VERSION,
 *   serverVersion: "0.1.0",
 * });
 * assert.deepEqual(parseReply("AUTH_FAILURE 用户名或密码错误"), {
 *   type: "auth_failure",
 *   message: "用户名或密码错误",
 * });
 * assert.deepEqual(parseReply("ERROR line_too_long Line is too long"), {
 *   type: "error",
 *   code: "line_too_long",
 *   message: "Line is too long",
 * });
 * assert.equal(parseReply("REGISTER_SUCCESS now").type, "invalid");
 * ```
 *
 * @example Parse a chat event
 * ```ts
 * import { parseReply } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * // MESSAGE <id> <time_ms> <sender> <text>: the text is the rest of the line.
 * assert.deepEqual(parseReply("MESSAGE 17 1764081035000 张三 大家好 😀"), {
 *   type: "message",
 *   id: 17,
 *   time: 1764081035000,
 *   sender: "张三",
 *   text: "大家好 😀",
 * });
 * assert.equal(parseReply("MESSAGE 017 1764081035000 张三 hi").type, "invalid");
 * ```
 */
export function parseReply(line: string): ParsedReply {
  const [verb, rest] = splitWord(line);
  const spec = REPLIES.byVerb.get(verb);
  if (spec === undefined) {
    const shown = verb.length > MAX_VERB_IN_REASON
      ? `${verb.slice(0, MAX_VERB_IN_REASON)}…`
      : verb;
    return {
      type: "invalid",
      reason: `Cannot parse reply: unknown verb "${sanitizeMessage(shown)}"`,
    };
  }
  const result = spec.parse(rest);
  return typeof result === "string" ? invalidReply(verb, result) : result;
}

/**
 * Formats a reply as one line, without the line ending, such that
 * `parseReply(formatReply(reply))` deep-equals `reply` whenever its message
 * has no control characters.
 *
 * Messages and chat texts are free text (spaces and any script are fine).
 * Rather than throw, control characters in them (`\r`, `\n`, tab, escape and
 * the other C0 and C1 controls) are each replaced by a space, because they
 * come from catalogs and other people's input; lone surrogates become U+FFFD.
 * An empty message (or `MUTED` reason, or `WHOIS_INFO` status) is sent
 * without its space; an empty text cannot be sent. In `WHOIS_INFO`, `null`
 * is sent as `-`.
 *
 * @param reply The reply to format.
 * @returns The line.
 * @throws {TypeError} If a username, room name, scope, recovery code, resume
 * token or server version is empty, contains a space, `\n` or `\r`, or is
 * not well-formed Unicode; if a username or room name contains a control
 * character; if a `ROOM_LIST` room name contains `=`, or the `WHOIS_INFO`
 * room is `-`; if an error, bye or ok code is not a snake_case word; if a
 * ping token has a character other than visible ASCII; if a `CERT`
 * certificate is not padded standard base64 (see {@linkcode derToPem}); if a
 * number, boolean or array field is not one; or if `reply.type` is not a
 * reply type.
 * @throws {RangeError} If `protocolVersion` is not a positive integer; if a
 * `CERT` port is not an integer from 1 to {@linkcode MAX_PORT}; if an id,
 * time or count is not a non-negative safe integer; if a text is empty;
 * if a ping token is longer than {@linkcode MAX_PING_TOKEN_LENGTH}
 * characters; or if the line would be longer than
 * {@linkcode MAX_LINE_BYTES} bytes (a long `ROOM_LIST` or `USER_LIST`, for
 * example).
 *
 * @example Format replies
 * ```ts
 * import { formatReply } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatReply({ type: "hello", protocolVersion: 1, serverVersion: "0.1.0" }),
 *   "HELLO tcpchat/1 0.1.0",
 * );
 * assert.equal(
 *   formatReply({ type: "error", code: "unknown_command", message: "Unknown\ncommand" }),
 *   "ERROR unknown_command Unknown command",
 * );
 * assert.equal(formatReply({ type: "reset_success" }), "RESET_SUCCESS");
 * assert.equal(
 *   formatReply({ type: "resume_token", token: "q8Zt4mXwR2" }),
 *   "RESUME_TOKEN q8Zt4mXwR2",
 * );
 * ```
 *
 * @example Format chat events
 * ```ts
 * import { formatReply } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatReply({
 *     type: "message",
 *     id: 17,
 *     time: 1764081035000,
 *     sender: "张三",
 *     text: "大家好\u001b[2J",
 *   }),
 *   "MESSAGE 17 1764081035000 张三 大家好 [2J",
 * );
 * assert.equal(
 *   formatReply({ type: "bye", code: "shutdown", message: "Server is shutting down" }),
 *   "BYE shutdown Server is shutting down",
 * );
 * ```
 *
 * @example Format room, history and profile replies
 * ```ts
 * import { formatReply } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(
 *   formatReply({
 *     type: "room_list",
 *     rooms: [{ name: "大厅", memberCount: 5 }, { name: "技术", memberCount: 3 }],
 *   }),
 *   "ROOM_LIST 大厅=5 技术=3",
 * );
 * assert.equal(
 *   formatReply({ type: "history_end", room: "技术", more: true }),
 *   "HISTORY_END 技术 1",
 * );
 * assert.equal(
 *   formatReply({
 *     type: "whois_info",
 *     user: "张三",
 *     registeredAt: 1764000000000,
 *     online: false,
 *     lastSeenAt: 1764081090000,
 *     room: null,
 *     admin: false,
 *     status: "",
 *   }),
 *   "WHOIS_INFO 张三 1764000000000 0 1764081090000 - 0",
 * );
 * assert.equal(formatReply({ type: "ok", code: "kicked", message: "" }), "OK kicked");
 * ```
 */
export function formatReply(reply: Reply): string {
  return formatWith(REPLIES, "reply", reply);
}
