/**
 * The TCPChat line protocol: parse and format the commands a client sends and
 * the replies a server sends. Pure: no I/O. Framing (bytes to lines) is done
 * by `lib/line_framer.ts`; the full specification is `docs/PROTOCOL.md`.
 *
 * A line is a verb, then, for most verbs, arguments separated from it and from
 * each other by exactly one space (U+0020). Verbs are case-sensitive and
 * uppercase: `login alice pw` is not a command. Usernames, tokens and codes
 * contain no spaces; a password is always the rest of the line, so it may
 * contain spaces, even leading or trailing ones.
 *
 * @module
 */

/** Version of this protocol, sent in the `HELLO` greeting. */
export const PROTOCOL_VERSION = 1;

/** Longest line in bytes, not counting the `\n` (and optional `\r`) ending. */
export const MAX_LINE_BYTES = 8192;

/** Longest password in UTF-8 bytes that a command may carry. */
export const MAX_PASSWORD_BYTES = 1024;

/** A well-formed command sent by a client. */
export type Command =
  /** `REGISTER <username> <password>`: creates an account. */
  | { type: "register"; username: string; password: string }
  /** `LOGIN <username> <password>`: authenticates this connection. */
  | { type: "login"; username: string; password: string }
  /** `RESET_REQUEST <username>`: asks the operator for a reset token. */
  | { type: "reset_request"; username: string }
  /** `RESET_CONFIRM <token> <new_password>`: token or recovery code. */
  | { type: "reset_confirm"; token: string; newPassword: string }
  /** `LOGOUT`: ends the session; the server then closes the connection. */
  | { type: "logout" }
  /** `DELETE_ACCOUNT <username> <password>`: deletes an account. */
  | { type: "delete_account"; username: string; password: string }
  /**
   * `PASSWORD <old_byte_length> <old_password> <new_password>`: changes the
   * password of the logged-in account.
   */
  | { type: "change_password"; oldPassword: string; newPassword: string };

/** A line whose verb is known but whose arguments are malformed. */
export interface InvalidCommand {
  /** Discriminant. */
  type: "invalid";
  /** The verb as received, for example `"REGISTER"`. */
  verb: string;
  /** Why the line was rejected; never contains a password. */
  reason: string;
}

/** A line whose first word is not a verb; the server may treat it as chat. */
export interface UnknownCommand {
  /** Discriminant. */
  type: "unknown";
  /** The whole line, unchanged. */
  line: string;
}

/** The result of {@linkcode parseCommand}. */
export type ParsedCommand = Command | InvalidCommand | UnknownCommand;

/** A well-formed reply sent by a server. */
export type Reply =
  /** `HELLO tcpchat/<protocol_version> <server_version>`: the greeting. */
  | { type: "hello"; protocolVersion: number; serverVersion: string }
  /** `REGISTER_SUCCESS`. */
  | { type: "register_success" }
  /** `RECOVERY_CODE <code>`: the one-time recovery code, after registering. */
  | { type: "recovery_code"; code: string }
  /** `REGISTER_FAILURE <message>`. */
  | { type: "register_failure"; message: string }
  /** `AUTH_SUCCESS <username>`. */
  | { type: "auth_success"; username: string }
  /** `AUTH_FAILURE <message>`. */
  | { type: "auth_failure"; message: string }
  /** `RESET_REQUESTED <message>`: the same whether the account exists or not. */
  | { type: "reset_requested"; message: string }
  /** `RESET_SUCCESS`. */
  | { type: "reset_success" }
  /** `RESET_FAILURE <message>`. */
  | { type: "reset_failure"; message: string }
  /** `DELETE_SUCCESS`. */
  | { type: "delete_success" }
  /** `DELETE_FAILURE <message>`. */
  | { type: "delete_failure"; message: string }
  /** `PASSWORD_SUCCESS`. */
  | { type: "password_success" }
  /** `PASSWORD_FAILURE <message>`. */
  | { type: "password_failure"; message: string }
  /** `ERROR <code> <message>`: `code` is a snake_case word. */
  | { type: "error"; code: string; message: string };

/** A reply line that could not be parsed. */
export interface InvalidReply {
  /** Discriminant. */
  type: "invalid";
  /** Why the line was rejected. */
  reason: string;
}

/** The result of {@linkcode parseReply}. */
export type ParsedReply = Reply | InvalidReply;

type MessageReplyType = Extract<Reply, { message: string }>["type"];
type BareReplyType = Exclude<
  Reply,
  { message: string } | { code: string } | { username: string } | {
    serverVersion: string;
  }
>["type"];

const COMMAND_USAGE = {
  REGISTER: "REGISTER <username> <password>",
  LOGIN: "LOGIN <username> <password>",
  RESET_REQUEST: "RESET_REQUEST <username>",
  RESET_CONFIRM: "RESET_CONFIRM <token> <new_password>",
  LOGOUT: "LOGOUT",
  DELETE_ACCOUNT: "DELETE_ACCOUNT <username> <password>",
  PASSWORD: "PASSWORD <old_byte_length> <old_password> <new_password>",
} as const;

type CommandVerb = keyof typeof COMMAND_USAGE;

const BARE_REPLIES: Record<string, BareReplyType> = {
  REGISTER_SUCCESS: "register_success",
  RESET_SUCCESS: "reset_success",
  DELETE_SUCCESS: "delete_success",
  PASSWORD_SUCCESS: "password_success",
};

const MESSAGE_REPLIES: Record<string, MessageReplyType> = {
  REGISTER_FAILURE: "register_failure",
  AUTH_FAILURE: "auth_failure",
  RESET_REQUESTED: "reset_requested",
  RESET_FAILURE: "reset_failure",
  DELETE_FAILURE: "delete_failure",
  PASSWORD_FAILURE: "password_failure",
  ERROR: "error",
};

const PROTOCOL_NAME = "tcpchat/";
const ERROR_CODE_PATTERN = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const POSITIVE_INTEGER_PATTERN = /^[1-9][0-9]*$/;
// C0 controls, DEL and C1 controls: never sent in a message, so that a reply
// stays one line and cannot drive the peer's terminal.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL_PATTERN = /[\u0000-\u001f\u007f-\u009f]/g;
const MAX_VERB_IN_REASON = 32;

/**
 * Parses one line sent by a client (without its line ending).
 *
 * Never throws. A line whose first word is a verb but whose arguments are
 * malformed gives `{ type: "invalid", verb, reason }`; the reason never
 * repeats a password. A line whose first word is not a verb (verbs are
 * case-sensitive) gives `{ type: "unknown", line }`.
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
 * assert.equal(parseCommand("REGISTER bob").type, "invalid");
 * assert.deepEqual(parseCommand("login bob pw"), {
 *   type: "unknown",
 *   line: "login bob pw",
 * });
 * ```
 */
export function parseCommand(line: string): ParsedCommand {
  const space = line.indexOf(" ");
  const verb = space === -1 ? line : line.slice(0, space);
  if (!Object.hasOwn(COMMAND_USAGE, verb)) return { type: "unknown", line };
  const args = space === -1 ? undefined : line.slice(space + 1);
  const result = parseArguments(verb as CommandVerb, args);
  if (typeof result === "string") {
    return {
      type: "invalid",
      verb,
      reason: `Cannot parse ${verb}: ${result} (usage: ${
        COMMAND_USAGE[verb as CommandVerb]
      })`,
    };
  }
  return result;
}

/**
 * Formats a command as one line, without the line ending, such that
 * `parseCommand(formatCommand(command))` deep-equals `command`.
 *
 * @param command The command to format.
 * @returns The line.
 * @throws {TypeError} If a field is not a string, a username or token is
 * empty or contains a space, a field contains `\n` or `\r` or is not
 * well-formed Unicode, or `command.type` is not a command type.
 * @throws {RangeError} If a password is empty or longer than
 * {@linkcode MAX_PASSWORD_BYTES} bytes, or the line would be longer than
 * {@linkcode MAX_LINE_BYTES} bytes.
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
 */
export function formatCommand(command: Command): string {
  let line: string;
  switch (command.type) {
    case "register":
    case "login":
    case "delete_account": {
      const verb = command.type === "register"
        ? "REGISTER"
        : command.type === "login"
        ? "LOGIN"
        : "DELETE_ACCOUNT";
      line = `${verb} ${checkToken(verb, "username", command.username)} ${
        checkPassword(verb, "password", command.password)
      }`;
      break;
    }
    case "reset_request":
      line = `RESET_REQUEST ${
        checkToken("RESET_REQUEST", "username", command.username)
      }`;
      break;
    case "reset_confirm":
      line = `RESET_CONFIRM ${
        checkToken("RESET_CONFIRM", "token", command.token)
      } ${checkPassword("RESET_CONFIRM", "new password", command.newPassword)}`;
      break;
    case "logout":
      line = "LOGOUT";
      break;
    case "change_password": {
      const oldPassword = checkPassword(
        "PASSWORD",
        "old password",
        command.oldPassword,
      );
      const newPassword = checkPassword(
        "PASSWORD",
        "new password",
        command.newPassword,
      );
      line = `PASSWORD ${
        utf8ByteLength(oldPassword)
      } ${oldPassword} ${newPassword}`;
      break;
    }
    default:
      throw new TypeError(
        `Cannot format command: unknown type "${
          String((command as { type: unknown }).type)
        }"`,
      );
  }
  return checkLineLength("command", line);
}

/**
 * Parses one line sent by a server (without its line ending).
 *
 * Never throws. Control characters in a message are replaced by a space, as
 * {@linkcode formatReply} does, so a message is always safe to print. Text
 * after the server version in `HELLO` is reserved and ignored.
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
 */
export function parseReply(line: string): ParsedReply {
  const space = line.indexOf(" ");
  const verb = space === -1 ? line : line.slice(0, space);
  const rest = space === -1 ? undefined : line.slice(space + 1);
  const bare = BARE_REPLIES[verb];
  if (Object.hasOwn(BARE_REPLIES, verb) && bare !== undefined) {
    if (rest !== undefined) return invalidReply(verb, "takes no arguments");
    return { type: bare };
  }
  const messageType = MESSAGE_REPLIES[verb];
  if (Object.hasOwn(MESSAGE_REPLIES, verb) && messageType !== undefined) {
    if (messageType !== "error") {
      return { type: messageType, message: sanitizeMessage(rest ?? "") };
    }
    if (rest === undefined) return invalidReply(verb, "missing error code");
    const codeEnd = rest.indexOf(" ");
    const code = codeEnd === -1 ? rest : rest.slice(0, codeEnd);
    if (!ERROR_CODE_PATTERN.test(code)) {
      return invalidReply(verb, "error code is not a snake_case word");
    }
    const message = codeEnd === -1 ? "" : rest.slice(codeEnd + 1);
    return { type: "error", code, message: sanitizeMessage(message) };
  }
  if (verb === "RECOVERY_CODE" || verb === "AUTH_SUCCESS") {
    const name = verb === "RECOVERY_CODE" ? "recovery code" : "username";
    const problem = tokenProblem(name, rest);
    if (problem !== undefined) return invalidReply(verb, problem);
    return verb === "RECOVERY_CODE"
      ? { type: "recovery_code", code: rest as string }
      : { type: "auth_success", username: rest as string };
  }
  if (verb === "HELLO") return parseHello(rest);
  const shown = verb.length > MAX_VERB_IN_REASON
    ? `${verb.slice(0, MAX_VERB_IN_REASON)}…`
    : verb;
  return {
    type: "invalid",
    reason: `Cannot parse reply: unknown verb "${sanitizeMessage(shown)}"`,
  };
}

/**
 * Formats a reply as one line, without the line ending, such that
 * `parseReply(formatReply(reply))` deep-equals `reply` whenever its message
 * has no control characters.
 *
 * Messages are free text (spaces and any script are fine). Rather than
 * throw, control characters in a message (`\r`, `\n`, tab, escape and the
 * other C0 and C1 controls) are each replaced by a space, because messages
 * come from catalogs and other people's input; lone surrogates become U+FFFD.
 * An empty message is sent as the bare verb.
 *
 * @param reply The reply to format.
 * @returns The line.
 * @throws {TypeError} If a username, recovery code or server version is
 * empty, contains a space, `\n` or `\r`, or is not well-formed Unicode; if an
 * error code is not a snake_case word; or if `reply.type` is not a reply type.
 * @throws {RangeError} If `protocolVersion` is not a positive integer or the
 * line would be longer than {@linkcode MAX_LINE_BYTES} bytes.
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
 * ```
 */
export function formatReply(reply: Reply): string {
  let line: string;
  switch (reply.type) {
    case "hello": {
      const version = reply.protocolVersion;
      if (!Number.isSafeInteger(version) || version < 1) {
        throw new RangeError(
          `Cannot format HELLO: protocol version must be a positive integer, got ${version}`,
        );
      }
      line = `HELLO ${PROTOCOL_NAME}${version} ${
        checkToken("HELLO", "server version", reply.serverVersion)
      }`;
      break;
    }
    case "register_success":
      line = "REGISTER_SUCCESS";
      break;
    case "reset_success":
      line = "RESET_SUCCESS";
      break;
    case "delete_success":
      line = "DELETE_SUCCESS";
      break;
    case "password_success":
      line = "PASSWORD_SUCCESS";
      break;
    case "recovery_code":
      line = `RECOVERY_CODE ${
        checkToken("RECOVERY_CODE", "recovery code", reply.code)
      }`;
      break;
    case "auth_success":
      line = `AUTH_SUCCESS ${
        checkToken("AUTH_SUCCESS", "username", reply.username)
      }`;
      break;
    case "error": {
      if (
        typeof reply.code !== "string" || !ERROR_CODE_PATTERN.test(reply.code)
      ) {
        throw new TypeError(
          `Cannot format ERROR: error code "${
            String(reply.code)
          }" is not a snake_case word`,
        );
      }
      line = withMessage(`ERROR ${reply.code}`, reply.message);
      break;
    }
    case "register_failure":
    case "auth_failure":
    case "reset_requested":
    case "reset_failure":
    case "delete_failure":
    case "password_failure":
      line = withMessage(reply.type.toUpperCase(), reply.message);
      break;
    default:
      throw new TypeError(
        `Cannot format reply: unknown type "${
          String((reply as { type: unknown }).type)
        }"`,
      );
  }
  return checkLineLength("reply", line);
}

/**
 * Makes free text safe to send as a message: each control character (C0,
 * DEL, C1, including `\r`, `\n` and tab) becomes a space and each lone
 * surrogate becomes U+FFFD. Other text, such as CJK or emoji, is unchanged.
 *
 * @param text Any text.
 * @returns The text, safe to put on one line and to print on a terminal.
 *
 * @example Sanitize a message
 * ```ts
 * import { sanitizeMessage } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sanitizeMessage("hi\r\n\u001b[2J 你好"), "hi   [2J 你好");
 * ```
 */
export function sanitizeMessage(text: string): string {
  return text.toWellFormed().replace(CONTROL_PATTERN, " ");
}

/** Returns a command, or a problem description for an `invalid` result. */
function parseArguments(
  verb: CommandVerb,
  args: string | undefined,
): Command | string {
  if (verb === "LOGOUT") {
    return args === undefined ? { type: "logout" } : "takes no arguments";
  }
  if (args === undefined || args === "") return `missing ${firstField(verb)}`;
  if (args.includes("\r") || args.includes("\n")) {
    return "line contains a carriage return or line feed";
  }
  if (!args.isWellFormed()) return "line is not well-formed Unicode";
  if (verb === "PASSWORD") return parseChangePassword(args);
  const space = args.indexOf(" ");
  const token = space === -1 ? args : args.slice(0, space);
  if (token === "") {
    return `${firstField(verb)} is empty (separate fields with one space)`;
  }
  if (verb === "RESET_REQUEST") {
    return space === -1
      ? { type: "reset_request", username: token }
      : "takes only a username";
  }
  const secondName = verb === "RESET_CONFIRM" ? "new password" : "password";
  const password = space === -1 ? "" : args.slice(space + 1);
  const problem = passwordProblem(secondName, password);
  if (problem !== undefined) return problem;
  switch (verb) {
    case "REGISTER":
      return { type: "register", username: token, password };
    case "LOGIN":
      return { type: "login", username: token, password };
    case "DELETE_ACCOUNT":
      return { type: "delete_account", username: token, password };
    case "RESET_CONFIRM":
      return { type: "reset_confirm", token, newPassword: password };
  }
}

/** Parses the arguments of `PASSWORD <old_byte_length> <old> <new>`. */
function parseChangePassword(args: string): Command | string {
  const space = args.indexOf(" ");
  const prefix = space === -1 ? args : args.slice(0, space);
  const oldLength = Number(prefix);
  if (
    !POSITIVE_INTEGER_PATTERN.test(prefix) || !(oldLength <= MAX_PASSWORD_BYTES)
  ) {
    return `old password length must be a byte count from 1 to ${MAX_PASSWORD_BYTES} without leading zeros`;
  }
  if (space === -1) return "missing old password";
  const rest = args.slice(space + 1);
  // Walk code points until exactly oldLength UTF-8 bytes have been consumed.
  let bytes = 0;
  let index = 0;
  while (bytes < oldLength && index < rest.length) {
    const codePoint = rest.codePointAt(index) as number;
    bytes += codePointByteLength(codePoint);
    index += codePoint > 0xffff ? 2 : 1;
  }
  if (bytes < oldLength) {
    return `old password is shorter than its declared ${oldLength} bytes`;
  }
  if (bytes > oldLength) {
    return `declared old password length ${oldLength} ends inside a character`;
  }
  if (index === rest.length) return "missing new password";
  if (rest[index] !== " ") {
    return `expected a space after the ${oldLength}-byte old password`;
  }
  const oldPassword = rest.slice(0, index);
  const newPassword = rest.slice(index + 1);
  const problem = passwordProblem("new password", newPassword);
  if (problem !== undefined) return problem;
  return { type: "change_password", oldPassword, newPassword };
}

function firstField(verb: CommandVerb): string {
  switch (verb) {
    case "RESET_CONFIRM":
      return "token";
    case "PASSWORD":
      return "old password length";
    default:
      return "username";
  }
}

function passwordProblem(name: string, password: string): string | undefined {
  if (password === "") return `missing ${name}`;
  const length = utf8ByteLength(password);
  if (length > MAX_PASSWORD_BYTES) {
    return `${name} is ${length} bytes, longer than the limit of ${MAX_PASSWORD_BYTES}`;
  }
  return undefined;
}

/** Returns why `value` is not a token (a non-empty word), if it is not. */
function tokenProblem(
  name: string,
  value: string | undefined,
): string | undefined {
  if (value === undefined || value === "") return `missing ${name}`;
  if (value.includes(" ")) return `${name} contains a space`;
  if (value.includes("\r") || value.includes("\n")) {
    return `${name} contains a carriage return or line feed`;
  }
  if (!value.isWellFormed()) return `${name} is not well-formed Unicode`;
  return undefined;
}

function checkToken(verb: string, name: string, value: unknown): string {
  if (typeof value !== "string") {
    throw new TypeError(`Cannot format ${verb}: ${name} is not a string`);
  }
  const problem = tokenProblem(name, value);
  if (problem !== undefined) {
    throw new TypeError(`Cannot format ${verb}: ${problem}`);
  }
  return value;
}

function checkPassword(verb: string, name: string, value: unknown): string {
  if (typeof value !== "string") {
    throw new TypeError(`Cannot format ${verb}: ${name} is not a string`);
  }
  if (value.includes("\r") || value.includes("\n")) {
    throw new TypeError(
      `Cannot format ${verb}: ${name} contains a carriage return or line feed`,
    );
  }
  if (!value.isWellFormed()) {
    throw new TypeError(
      `Cannot format ${verb}: ${name} is not well-formed Unicode`,
    );
  }
  const problem = passwordProblem(name, value);
  if (problem !== undefined) {
    throw new RangeError(`Cannot format ${verb}: ${problem}`);
  }
  return value;
}

function checkLineLength(what: string, line: string): string {
  const length = utf8ByteLength(line);
  if (length > MAX_LINE_BYTES) {
    throw new RangeError(
      `Cannot format ${what}: line is ${length} bytes, longer than the limit of ${MAX_LINE_BYTES}`,
    );
  }
  return line;
}

function withMessage(head: string, message: unknown): string {
  if (typeof message !== "string") {
    throw new TypeError(`Cannot format reply: message is not a string`);
  }
  const text = sanitizeMessage(message);
  return text === "" ? head : `${head} ${text}`;
}

function parseHello(rest: string | undefined): ParsedReply {
  if (rest === undefined || !rest.startsWith(PROTOCOL_NAME)) {
    return invalidReply("HELLO", `expected "${PROTOCOL_NAME}<version>"`);
  }
  const fields = rest.slice(PROTOCOL_NAME.length).split(" ", 2);
  const version = fields[0] ?? "";
  const protocolVersion = Number(version);
  if (
    !POSITIVE_INTEGER_PATTERN.test(version) ||
    !Number.isSafeInteger(protocolVersion)
  ) {
    return invalidReply("HELLO", "protocol version is not a positive integer");
  }
  const problem = tokenProblem("server version", fields[1]);
  if (problem !== undefined) return invalidReply("HELLO", problem);
  return {
    type: "hello",
    protocolVersion,
    serverVersion: fields[1] as string,
  };
}

function invalidReply(verb: string, problem: string): InvalidReply {
  return { type: "invalid", reason: `Cannot parse ${verb}: ${problem}` };
}

function utf8ByteLength(text: string): number {
  let length = 0;
  for (let index = 0; index < text.length; index++) {
    const codePoint = text.codePointAt(index) as number;
    length += codePointByteLength(codePoint);
    if (codePoint > 0xffff) index++;
  }
  return length;
}

function codePointByteLength(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  // Lone surrogates count as the 3-byte U+FFFD they are encoded as.
  if (codePoint < 0x10000) return 3;
  return 4;
}
