/**
 * The TCPChat line protocol: parse and format the commands a client sends and
 * the replies a server sends. Pure: no I/O. Framing (bytes to lines) is done
 * by `lib/line_framer.ts`; the full specification is `docs/PROTOCOL.md`.
 *
 * A line is a verb, then, for most verbs, arguments separated from it and from
 * each other by exactly one space (U+0020). Verbs are case-sensitive and
 * uppercase: `login alice pw` is not a command. Usernames, tokens and codes
 * contain no spaces; a password is always the rest of the line, so it may
 * contain spaces, even leading or trailing ones, and so is the text of a chat
 * message.
 *
 * Server lines are replies to commands and, once logged in, events (`MESSAGE`,
 * `USER_JOINED`, `PRIVATE`, `RESUME_TOKEN`, `PING`, `BYE` …) that may arrive
 * between a command and its reply: a client dispatches on the verb, never on
 * the order.
 *
 * Once logged in, a client is in one room at a time (the lobby, `大厅`, to
 * begin with), can send private messages (`PRIVMSG`), page through a room's
 * history (`HISTORY`), and, as an administrator, moderate (`KICK`, `MUTE`,
 * `UNMUTE`, `DELETE`).
 *
 * For an encrypted connection, a client asks the plain port for the server's
 * certificate with `CERT` (answered by `CERT <tls_port> <base64_der>`), pins
 * it, and connects again to the TLS port with {@linkcode derToPem}'s PEM as
 * its only trusted CA; the protocol is then the same, from `HELLO` on.
 *
 * @module
 */

/** Version of this protocol, sent in the `HELLO` greeting. */
export const PROTOCOL_VERSION = 1;

/** The room every member starts in (`JOINED 大厅` after login). */
export const LOBBY = "大厅";

/** Longest line in bytes, not counting the `\n` (and optional `\r`) ending. */
export const MAX_LINE_BYTES = 8192;

/** Longest password in UTF-8 bytes that a command may carry. */
export const MAX_PASSWORD_BYTES = 1024;

/**
 * Longest chat message text in UTF-8 bytes. Well below
 * {@linkcode MAX_LINE_BYTES}, so that the `MESSAGE` event relaying any valid
 * `MSG` (with its id, time and sender) always fits on one line.
 */
export const MAX_MESSAGE_BYTES = 4096;

/** Longest `PING`/`PONG` token, in characters (visible ASCII only). */
export const MAX_PING_TOKEN_LENGTH = 64;

/** Longest `KICK` or `MUTE` reason, in UTF-8 bytes. */
export const MAX_REASON_BYTES = 200;

/** Longest `STATUS` text, in characters (Unicode code points). */
export const MAX_STATUS_LENGTH = 100;

/** Highest TCP port number, the upper bound of a `CERT` reply's TLS port. */
export const MAX_PORT = 65535;

/** Most messages one `HISTORY` command may ask for (at least 1). */
export const MAX_HISTORY_COUNT = 100;

/** Longest mute in minutes (seven days); a `MUTE` asks for at least 1. */
export const MAX_MUTE_MINUTES = 10080;

/** Longest language tag of `LANG`, in characters (BCP 47 allows 35). */
export const MAX_LANG_TAG_LENGTH = 35;

const LANG_TAG_PATTERN = /^[A-Za-z0-9_-]{1,35}$/;

/** A well-formed command sent by a client. */
export type Command =
  /** `REGISTER <username> <password>`: creates an account. */
  | { type: "register"; username: string; password: string }
  /** `LOGIN <username> <password>`: authenticates this connection. */
  | { type: "login"; username: string; password: string }
  /**
   * `RESUME <username> <token>`: authenticates this connection with the
   * newest `RESUME_TOKEN` of an earlier session instead of the password, so
   * that a client whose connection dropped can log back in without keeping
   * the password. Only before login; answered like `LOGIN`.
   */
  | { type: "resume"; username: string; token: string }
  /** `RESET_REQUEST <username>`: asks the operator for a reset token. */
  | { type: "reset_request"; username: string }
  /** `RESET_CONFIRM <token> <new_password>`: token or recovery code. */
  | { type: "reset_confirm"; token: string; newPassword: string }
  /**
   * `LOGOUT`: ends the session; the connection stays open, unauthenticated.
   */
  | { type: "logout" }
  /** `DELETE_ACCOUNT <username> <password>`: deletes an account. */
  | { type: "delete_account"; username: string; password: string }
  /**
   * `PASSWORD <old_byte_length> <old_password> <new_password>`: changes the
   * password of the logged-in account.
   */
  | { type: "change_password"; oldPassword: string; newPassword: string }
  /**
   * `MSG <text>`: a chat message. The text is the rest of the line: at most
   * {@linkcode MAX_MESSAGE_BYTES} bytes, with at least one character that is
   * neither white space nor a control character.
   */
  | { type: "msg"; text: string }
  /** `PING` or `PING <token>`: the server answers `PONG` with the token. */
  | { type: "ping"; token?: string }
  /** `PONG` or `PONG <token>`: the answer to a server's `PING <token>`. */
  | { type: "pong"; token?: string }
  /**
   * `CERT`: asks for the server's TLS certificate (`CERT <tls_port>
   * <base64_der>`, or `ERROR no_tls` without TLS). Allowed in any state, so
   * that a client can fetch it over the plain port before it logs in.
   */
  | { type: "cert" }
  /**
   * `JOIN <room>`: moves to the room, creating it if nobody is in it yet.
   * A room is one word; the server applies the username rules to it.
   */
  | { type: "join"; room: string }
  /** `LEAVE`: moves back to the lobby, `大厅`. */
  | { type: "leave" }
  /** `ROOMS`: asks for the `ROOM_LIST`. */
  | { type: "rooms" }
  /**
   * `PRIVMSG <username> <text>`: a private message. The text is the rest of
   * the line, checked as for `msg`.
   */
  | { type: "privmsg"; to: string; text: string }
  /**
   * `USERS` (the current room) or `USERS all` (everyone online): asks for a
   * `USER_LIST`.
   */
  | { type: "users"; all: boolean }
  /**
   * `HISTORY <count>`, `HISTORY <count> before <id>` or
   * `HISTORY <count> after <id>`: asks for up to `count` (1 to
   * {@linkcode MAX_HISTORY_COUNT}) messages of the current room: the newest,
   * the newest older than `before`, or the oldest newer than `after`. Never
   * both `before` and `after`.
   */
  | { type: "history"; count: number; before?: number; after?: number }
  /**
   * `KICK <username>` or `KICK <username> <reason>` (administrators only):
   * disconnects the user. The reason is the rest of the line, at most
   * {@linkcode MAX_REASON_BYTES} bytes with a visible character.
   */
  | { type: "kick"; user: string; reason?: string }
  /**
   * `MUTE <username> <minutes>` or `MUTE <username> <minutes> <reason>`
   * (administrators only): stops the user from posting for 1 to
   * {@linkcode MAX_MUTE_MINUTES} minutes. The reason is as for `kick`.
   */
  | { type: "mute"; user: string; minutes: number; reason?: string }
  /** `UNMUTE <username>` (administrators only): lifts a mute. */
  | { type: "unmute"; user: string }
  /**
   * `DELETE <message_id>` (administrators only): removes a room message from
   * the room and its history.
   */
  | { type: "delete_message"; id: number }
  /**
   * `DELETE last <username>` (administrators only): removes that user's
   * newest message in the administrator's current room, so that a message
   * can be picked without knowing its id.
   */
  | { type: "delete_last"; user: string }
  /**
   * `STATUS <text>` sets the profile status (at most
   * {@linkcode MAX_STATUS_LENGTH} characters with a visible one); a bare
   * `STATUS`, `text: ""`, clears it.
   */
  | { type: "status"; text: string }
  /** `WHOIS <username>`: asks for the user's `WHOIS_INFO`. */
  | { type: "whois"; user: string }
  /**
   * `LANG <language>`: the language the client wants the server's messages
   * in, a tag such as `en` or `zh-CN` (at most
   * {@linkcode MAX_LANG_TAG_LENGTH} letters, digits, `-` and `_`). Allowed
   * in any state; no reply (docs/PROTOCOL.md, 5, LANG).
   */
  | { type: "lang"; lang: string };

/**
 * The `ERROR` code a server answers an {@linkcode InvalidCommand} with:
 * `empty_message` and `message_too_long` for user-authored text (the text of
 * `MSG` and `PRIVMSG`, a `KICK` or `MUTE` reason, a `STATUS`),
 * `invalid_command` for everything else.
 */
export type InvalidCommandCode =
  | "invalid_command"
  | "empty_message"
  | "message_too_long";

/** A line whose verb is known but whose arguments are malformed. */
export interface InvalidCommand {
  /** Discriminant. */
  type: "invalid";
  /** The verb as received, for example `"REGISTER"`. */
  verb: string;
  /** The error code to answer with: `ERROR <code> <reason>`. */
  code: InvalidCommandCode;
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
  /** `AUTH_SUCCESS <username>`: answers a successful `LOGIN` or `RESUME`. */
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
  | { type: "error"; code: string; message: string }
  /** `LOGOUT_SUCCESS`: the connection is unauthenticated again. */
  | { type: "logout_success" }
  /**
   * `WELCOME <online_count> <username>`: sent right after `AUTH_SUCCESS`;
   * `onlineCount` is a non-negative safe integer.
   */
  | { type: "welcome"; onlineCount: number; username: string }
  /**
   * `RESUME_TOKEN <token>`: a single-use token for `RESUME`, valid for 15
   * minutes. Sent right after `WELCOME` on every successful `LOGIN` or
   * `RESUME`, and again whenever the server rotates it (every 5 minutes while
   * the session is live); each one voids the one before. The client keeps
   * only the newest, only in memory.
   */
  | { type: "resume_token"; token: string }
  /**
   * `MESSAGE <id> <time_ms> <sender> <text>`: a chat message. `id` and `time`
   * (milliseconds since the Unix epoch) are non-negative safe integers; the
   * text is the rest of the line, non-empty.
   */
  | { type: "message"; id: number; time: number; sender: string; text: string }
  /** `USER_JOINED <time_ms> <username>`. */
  | { type: "user_joined"; time: number; username: string }
  /**
   * `USER_LEFT <time_ms> <username>`, or `USER_LEFT <time_ms> <username>
   * <room>` when the user moved to `to`, another room (`JOIN`, `LEAVE`)
   * instead of leaving the chat.
   */
  | { type: "user_left"; time: number; username: string; to?: string }
  /**
   * `PRESENCE <time_ms> <joined> <left>`: in a large room, how many users
   * came in and went out since the last notice (docs/PROTOCOL.md, 6).
   */
  | { type: "presence"; time: number; joined: number; left: number }
  /** `SYSTEM <time_ms> <text>`: a notice from the server; text non-empty. */
  | { type: "system"; time: number; text: string }
  /** `PING` or `PING <token>`: the client answers `PONG` with the token. */
  | { type: "ping"; token?: string }
  /** `PONG` or `PONG <token>`: the answer to a client's `PING`. */
  | { type: "pong"; token?: string }
  /**
   * `CERT <tls_port> <base64_der>`: answers `CERT`. `port` is the TLS
   * listener's port, 1 to {@linkcode MAX_PORT}; `der` is the certificate in
   * DER, as padded standard base64 (`[A-Za-z0-9+/]+={0,2}`, a multiple of 4
   * characters, zero padding bits) without spaces or line breaks. Turn it
   * into a CA for `Deno.connectTls` with {@linkcode derToPem}.
   */
  | { type: "cert"; port: number; der: string }
  /**
   * `BYE <code> <message>`: the server is about to close the connection;
   * `code` is a snake_case word, usually a {@linkcode ByeCode}.
   */
  | { type: "bye"; code: string; message: string }
  /**
   * `JOINED <room> <member_count>`: this connection is now in `room`, which
   * has `memberCount` members including it. Answers `JOIN` and `LEAVE`, and
   * is sent at login, after `RESUME_TOKEN`.
   */
  | { type: "joined"; room: string; memberCount: number }
  /**
   * `ROOM_LIST <room>=<count> …`: answers `ROOMS`; a bare `ROOM_LIST` has no
   * rooms. Room names contain no `=`.
   */
  | {
    type: "room_list";
    rooms: Array<{ name: string; memberCount: number }>;
  }
  /**
   * `USER_LIST <scope> <username> …`: answers `USERS`. The scope is a room
   * name, or `*` for everyone online; the list of users may be empty.
   */
  | { type: "user_list"; scope: string; users: string[] }
  /**
   * `PRIVATE <id> <time_ms> <from> <to> <text>`: a private message, sent to
   * its recipient and, as a copy, to its sender. The text is the rest of the
   * line, non-empty.
   */
  | {
    type: "private";
    id: number;
    time: number;
    from: string;
    to: string;
    text: string;
  }
  /** `PM_QUEUED <to>`: the recipient is offline; the message is stored. */
  | { type: "pm_queued"; to: string }
  /**
   * `PM_DELIVERED <to> <count>`: `count` of your stored messages to `to`
   * were delivered when they logged in.
   */
  | { type: "pm_delivered"; to: string; count: number }
  /**
   * `OFFLINE_BEGIN <count>`: `count` stored `PRIVATE` lines follow at login,
   * then `OFFLINE_END`.
   */
  | { type: "offline_begin"; count: number }
  /** `OFFLINE_END`: ends the stored private messages. */
  | { type: "offline_end" }
  /**
   * `HISTORY_BEGIN <room> <count>`: `count` `HISTORY_MESSAGE` lines of
   * `room` follow, oldest first, then `HISTORY_END`.
   */
  | { type: "history_begin"; room: string; count: number }
  /**
   * `HISTORY_MESSAGE <id> <time_ms> <sender> <text>`: a room message from
   * the history, with the fields of `MESSAGE`.
   */
  | {
    type: "history_message";
    id: number;
    time: number;
    sender: string;
    text: string;
  }
  /**
   * `HISTORY_END <room> <more>`: ends a history; `more` (`1`) says that
   * there are further messages in the direction paged.
   */
  | { type: "history_end"; room: string; more: boolean }
  /**
   * `MESSAGE_DELETED <id> <by>`: an administrator removed message `id` from
   * the room and its history.
   */
  | { type: "message_deleted"; id: number; by: string }
  /**
   * `MUTED <until_ms> <reason>`: you cannot post until `until`; an empty
   * reason is sent as a bare `MUTED <until_ms>`.
   */
  | { type: "muted"; until: number; reason: string }
  /** `UNMUTED`: an administrator lifted your mute. */
  | { type: "unmuted" }
  /**
   * `WHOIS_INFO <user> <registered_ms> <online> <last_seen_ms> <room>
   * <admin> <status>`: answers `WHOIS`. Flags are `0` or `1`; an unknown
   * last-seen time or room is `-`; an empty status is sent without its
   * space, so the line ends after the admin flag.
   */
  | {
    type: "whois_info";
    user: string;
    registeredAt: number;
    online: boolean;
    lastSeenAt: number | null;
    room: string | null;
    admin: boolean;
    status: string;
  }
  /**
   * `OK <code> <message>`: a moderation or profile command succeeded;
   * `code` is a snake_case word, usually an {@linkcode OkCode}. An empty
   * message is sent as a bare `OK <code>`.
   */
  | { type: "ok"; code: string; message: string };

/**
 * The `BYE` codes of protocol version 1; a client accepts others too.
 * `session_resumed` closes a connection whose account resumed its session
 * from another connection with `RESUME`.
 */
export type ByeCode =
  | "shutdown"
  | "line_too_long"
  | "idle_timeout"
  | "ping_timeout"
  | "send_queue_full"
  | "too_many_connections"
  | "server_full"
  | "password_reset"
  | "account_deleted"
  | "kicked"
  | "session_resumed"
  | "protocol_errors";

/**
 * The `ERROR` codes of protocol version 1 (see `docs/PROTOCOL.md`); a client
 * accepts others too and shows their message. `no_tls` answers `CERT` on a
 * server without TLS; `tls_required` answers every line but `CERT`, `PING`
 * and `PONG` on the plain port of a server started with `--require-tls`.
 */
export type ErrorCode =
  | InvalidCommandCode
  | "line_too_long"
  | "invalid_utf8"
  | "not_logged_in"
  | "already_logged_in"
  | "rate_limited"
  | "unknown_command"
  | "no_such_user"
  | "no_such_message"
  | "offline_queue_full"
  | "not_admin"
  | "muted"
  | "invalid_room"
  | "user_offline"
  | "no_tls"
  | "tls_required"
  | "server_error"
  | "database_busy";

/**
 * The `OK` codes of protocol version 1, one per command that answers with
 * `OK`; a client accepts others too.
 */
export type OkCode =
  | "kicked"
  | "muted"
  | "unmuted"
  | "deleted"
  | "status_set"
  | "status_cleared";

/** A reply line that could not be parsed. */
export interface InvalidReply {
  /** Discriminant. */
  type: "invalid";
  /** Why the line was rejected. */
  reason: string;
}

/** The result of {@linkcode parseReply}. */
export type ParsedReply = Reply | InvalidReply;

type MessageReplyType = Exclude<
  Extract<Reply, { message: string }>,
  { code: string }
>["type"];
// Replies with no field but `type`.
type BareReplyType = Reply extends infer R
  ? R extends { type: infer T } ? [Exclude<keyof R, "type">] extends [never] ? T
    : never
  : never
  : never;

const COMMAND_USAGE = {
  REGISTER: "REGISTER <username> <password>",
  LOGIN: "LOGIN <username> <password>",
  RESUME: "RESUME <username> <token>",
  RESET_REQUEST: "RESET_REQUEST <username>",
  RESET_CONFIRM: "RESET_CONFIRM <token> <new_password>",
  LOGOUT: "LOGOUT",
  DELETE_ACCOUNT: "DELETE_ACCOUNT <username> <password>",
  PASSWORD: "PASSWORD <old_byte_length> <old_password> <new_password>",
  MSG: "MSG <text>",
  PING: "PING [<token>]",
  PONG: "PONG [<token>]",
  CERT: "CERT",
  JOIN: "JOIN <room>",
  LEAVE: "LEAVE",
  ROOMS: "ROOMS",
  PRIVMSG: "PRIVMSG <username> <text>",
  USERS: "USERS [all]",
  HISTORY: "HISTORY <count> [before <id> | after <id>]",
  KICK: "KICK <username> [<reason>]",
  MUTE: "MUTE <username> <minutes> [<reason>]",
  UNMUTE: "UNMUTE <username>",
  DELETE: "DELETE <message_id> | DELETE last <username>",
  STATUS: "STATUS [<text>]",
  WHOIS: "WHOIS <username>",
  LANG: "LANG <language>",
} as const;

type CommandVerb = keyof typeof COMMAND_USAGE;

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
  return Object.hasOwn(COMMAND_USAGE, verb)
    ? COMMAND_USAGE[verb as CommandVerb]
    : undefined;
}

// The verbs of rooms, private messages, history, moderation and profiles.
const FEATURE_VERBS = new Set(
  [
    "JOIN",
    "LEAVE",
    "ROOMS",
    "PRIVMSG",
    "USERS",
    "HISTORY",
    "KICK",
    "MUTE",
    "UNMUTE",
    "DELETE",
    "STATUS",
    "WHOIS",
  ] as const,
);

type FeatureVerb = typeof FEATURE_VERBS extends Set<infer V> ? V : never;
type AccountVerb = Exclude<CommandVerb, FeatureVerb | "MSG">;

/** How long a user-authored text may be, and in which unit. */
interface TextLimit {
  max: number;
  unit: "bytes" | "characters";
}

const MESSAGE_LIMIT: TextLimit = { max: MAX_MESSAGE_BYTES, unit: "bytes" };
const REASON_LIMIT: TextLimit = { max: MAX_REASON_BYTES, unit: "bytes" };
const STATUS_LIMIT: TextLimit = { max: MAX_STATUS_LENGTH, unit: "characters" };

const BARE_REPLIES: Record<string, BareReplyType> = {
  REGISTER_SUCCESS: "register_success",
  RESET_SUCCESS: "reset_success",
  DELETE_SUCCESS: "delete_success",
  PASSWORD_SUCCESS: "password_success",
  LOGOUT_SUCCESS: "logout_success",
  OFFLINE_END: "offline_end",
  UNMUTED: "unmuted",
};

const MESSAGE_REPLIES: Record<string, MessageReplyType> = {
  REGISTER_FAILURE: "register_failure",
  AUTH_FAILURE: "auth_failure",
  RESET_REQUESTED: "reset_requested",
  RESET_FAILURE: "reset_failure",
  DELETE_FAILURE: "delete_failure",
  PASSWORD_FAILURE: "password_failure",
};

type FeatureReplyVerb =
  | "JOINED"
  | "ROOM_LIST"
  | "USER_LIST"
  | "PRIVATE"
  | "PM_QUEUED"
  | "PM_DELIVERED"
  | "OFFLINE_BEGIN"
  | "HISTORY_BEGIN"
  | "HISTORY_END"
  | "MESSAGE_DELETED"
  | "MUTED"
  | "WHOIS_INFO"
  | "OK";

// Stands for "none" in WHOIS_INFO: no last-seen time, no room.
const NONE = "-";
const PROTOCOL_NAME = "tcpchat/";
const ERROR_CODE_PATTERN = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
const POSITIVE_INTEGER_PATTERN = /^[1-9][0-9]*$/;
const COUNT_PATTERN = /^(?:0|[1-9][0-9]*)$/;
const PING_TOKEN_PATTERN = /^[\x21-\x7e]+$/;
// C0 controls, DEL and C1 controls: never sent in a message, so that a reply
// stays one line and cannot drive the peer's terminal.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL_PATTERN = /[\u0000-\u001f\u007f-\u009f]/g;
// deno-lint-ignore no-control-regex -- matching control characters is the point
const HAS_CONTROL_PATTERN = /[\u0000-\u001f\u007f-\u009f]/;
// A character that shows: not white space (which includes U+3000 and
// U+FEFF), not a control or format character, not one that Unicode says to
// render as nothing (Default_Ignorable_Code_Point: U+200B, the Hangul
// fillers U+3164 and U+FFA0, variation selectors …), and not the blank
// Braille pattern U+2800, which shows as an empty cell.
const VISIBLE_PATTERN =
  /[^\s\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u;
const MAX_VERB_IN_REASON = 32;
const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;
// Before "==" only 2 of a character's 6 bits carry data, before "=" only 4;
// the rest must be zero.
const BASE64_PADDING_PATTERN = /(?:[^=]|[AQgw]==|[AEIMQUYcgkosw048]=)$/;
const PEM_BEGIN = "-----BEGIN CERTIFICATE-----";
const PEM_END = "-----END CERTIFICATE-----";
const PEM_LINE_LENGTH = 64;
const PEM_WHITE_SPACE_PATTERN = /[\t\n\v\f\r ]/g;

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
  if (!Object.hasOwn(COMMAND_USAGE, verb)) return { type: "unknown", line };
  if (verb === "MSG") return parseChatText(args ?? "");
  if (FEATURE_VERBS.has(verb as FeatureVerb)) {
    return parseFeatureCommand(verb as FeatureVerb, args);
  }
  const result = parseArguments(verb as AccountVerb, args);
  if (typeof result === "string") {
    return invalidCommand(verb as CommandVerb, "invalid_command", result);
  }
  return result;
}

/**
 * Parses the text of a chat message: what follows `MSG ` in a command, or a
 * whole line that is not a command, which a logged-in client may send as
 * chat (so that `nc` works as a client).
 *
 * Never throws. The text is valid if it is at most
 * {@linkcode MAX_MESSAGE_BYTES} bytes of well-formed Unicode without `\r` or
 * `\n` and has at least one character that is neither white space nor a
 * control character; it is returned unchanged (a server sanitizes it when it
 * formats the `MESSAGE` event). Otherwise the result is `invalid` with the
 * code to answer with: `empty_message`, `message_too_long` or
 * `invalid_command`.
 *
 * @param text The message text.
 * @returns The `msg` command, or why the text is not a message.
 *
 * @example Treat a line that is not a command as chat
 * ```ts
 * import { parseChatText, parseCommand } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * const parsed = parseCommand("hello everyone");
 * assert.equal(parsed.type, "unknown");
 * assert.deepEqual(parseChatText("hello everyone"), {
 *   type: "msg",
 *   text: "hello everyone",
 * });
 * const blank = parseChatText("\u3000 ");
 * assert.equal(blank.type === "invalid" && blank.code, "empty_message");
 * ```
 */
export function parseChatText(
  text: string,
): Extract<Command, { type: "msg" }> | InvalidCommand {
  const problem = chatTextProblem(text);
  if (problem === undefined) return { type: "msg", text };
  return invalidCommand("MSG", problem[0], problem[1]);
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
    case "resume":
      line = `RESUME ${checkToken("RESUME", "username", command.username)} ${
        checkToken("RESUME", "token", command.token)
      }`;
      break;
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
    case "msg":
      line = `MSG ${checkUserText("MSG", "text", command.text, MESSAGE_LIMIT)}`;
      break;
    case "ping":
    case "pong":
      line = withPingToken(command.type.toUpperCase(), command.token);
      break;
    case "cert":
      line = "CERT";
      break;
    case "lang":
      if (!LANG_TAG_PATTERN.test(command.lang)) {
        throw new TypeError(
          `Cannot format LANG: language must be 1 to ${MAX_LANG_TAG_LENGTH} letters, digits, "-" or "_"`,
        );
      }
      line = `LANG ${command.lang}`;
      break;
    case "join":
      line = `JOIN ${checkToken("JOIN", "room", command.room)}`;
      break;
    case "leave":
      line = "LEAVE";
      break;
    case "rooms":
      line = "ROOMS";
      break;
    case "privmsg":
      line = `PRIVMSG ${checkToken("PRIVMSG", "username", command.to)} ${
        checkUserText("PRIVMSG", "text", command.text, MESSAGE_LIMIT)
      }`;
      break;
    case "users":
      line = checkFlag("USERS", "all", command.all) ? "USERS all" : "USERS";
      break;
    case "history": {
      const count = checkRange(
        "HISTORY",
        "count",
        command.count,
        1,
        MAX_HISTORY_COUNT,
      );
      const { before, after } = command;
      if (before !== undefined && after !== undefined) {
        throw new TypeError(
          "Cannot format HISTORY: before and after are mutually exclusive",
        );
      }
      line = before !== undefined
        ? `HISTORY ${count} before ${checkCount("HISTORY", "before", before)}`
        : after !== undefined
        ? `HISTORY ${count} after ${checkCount("HISTORY", "after", after)}`
        : `HISTORY ${count}`;
      break;
    }
    case "kick":
      line = withReason(
        `KICK ${checkToken("KICK", "username", command.user)}`,
        command.reason,
      );
      break;
    case "mute":
      line = withReason(
        `MUTE ${checkToken("MUTE", "username", command.user)} ${
          checkRange("MUTE", "minutes", command.minutes, 1, MAX_MUTE_MINUTES)
        }`,
        command.reason,
      );
      break;
    case "unmute":
    case "whois": {
      const verb = command.type.toUpperCase();
      line = `${verb} ${checkToken(verb, "username", command.user)}`;
      break;
    }
    case "delete_message":
      line = `DELETE ${checkCount("DELETE", "message id", command.id)}`;
      break;
    case "delete_last":
      line = `DELETE last ${checkToken("DELETE", "username", command.user)}`;
      break;
    case "status":
      // An empty status is the bare verb, which clears it.
      line = command.text === ""
        ? "STATUS"
        : `STATUS ${
          checkUserText("STATUS", "status", command.text, STATUS_LIMIT)
        }`;
      break;
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
  const bare = BARE_REPLIES[verb];
  if (Object.hasOwn(BARE_REPLIES, verb) && bare !== undefined) {
    if (rest !== undefined) return invalidReply(verb, "takes no arguments");
    return { type: bare };
  }
  const messageType = MESSAGE_REPLIES[verb];
  if (Object.hasOwn(MESSAGE_REPLIES, verb) && messageType !== undefined) {
    return { type: messageType, message: sanitizeMessage(rest ?? "") };
  }
  switch (verb) {
    case "ERROR":
    case "BYE": {
      const name = verb === "ERROR" ? "error code" : "bye code";
      if (rest === undefined) return invalidReply(verb, `missing ${name}`);
      const [code, message = ""] = splitWord(rest);
      if (!ERROR_CODE_PATTERN.test(code)) {
        return invalidReply(verb, `${name} is not a snake_case word`);
      }
      return {
        type: verb === "ERROR" ? "error" : "bye",
        code,
        message: sanitizeMessage(message),
      };
    }
    case "RECOVERY_CODE": {
      const problem = tokenProblem("recovery code", rest);
      if (problem !== undefined) return invalidReply(verb, problem);
      return { type: "recovery_code", code: rest as string };
    }
    case "AUTH_SUCCESS": {
      const problem = nameProblem("username", rest);
      if (problem !== undefined) return invalidReply(verb, problem);
      return { type: "auth_success", username: rest as string };
    }
    case "RESUME_TOKEN": {
      const problem = tokenProblem("resume token", rest);
      if (problem !== undefined) return invalidReply(verb, problem);
      return { type: "resume_token", token: rest as string };
    }
    case "HELLO":
      return parseHello(rest);
    case "WELCOME":
    case "USER_JOINED":
    case "USER_LEFT": {
      // A count or time, then a username, which ends the line.
      const countName = verb === "WELCOME" ? "online count" : "time";
      const fields = readFields(rest, [countName]);
      if (typeof fields === "string") return invalidReply(verb, fields);
      const count = parseCount(countName, fields.words[0] as string);
      if (typeof count === "string") return invalidReply(verb, count);
      if (verb === "USER_LEFT") {
        // The username, then optionally the room the user went to.
        const [username, to] = splitWord(fields.tail ?? "");
        const problem = nameProblem("username", username) ??
          (to === undefined ? undefined : nameProblem("room", to));
        if (problem !== undefined) return invalidReply(verb, problem);
        return to === undefined
          ? { type: "user_left", time: count, username }
          : { type: "user_left", time: count, username, to };
      }
      const problem = nameProblem("username", fields.tail);
      if (problem !== undefined) return invalidReply(verb, problem);
      const username = fields.tail as string;
      return verb === "WELCOME"
        ? { type: "welcome", onlineCount: count, username }
        : {
          type: verb === "USER_JOINED" ? "user_joined" : "user_left",
          time: count,
          username,
        };
    }
    case "PRESENCE": {
      const fields = readFields(rest, ["time", "joined count"]);
      if (typeof fields === "string") return invalidReply(verb, fields);
      if (fields.tail === undefined) {
        return invalidReply(verb, "missing left count");
      }
      const numbers = [...fields.words, fields.tail].map((text, index) =>
        parseCount(
          ["time", "joined count", "left count"][index] as string,
          text,
        )
      );
      const problem = numbers.find((value) => typeof value === "string");
      if (problem !== undefined) return invalidReply(verb, problem as string);
      const [time, joined, left] = numbers as [number, number, number];
      return { type: "presence", time, joined, left };
    }
    case "MESSAGE":
    case "HISTORY_MESSAGE":
      return parseMessage(verb, rest);
    case "SYSTEM": {
      const fields = readFields(rest, ["time"]);
      if (typeof fields === "string") return invalidReply(verb, fields);
      const time = parseCount("time", fields.words[0] as string);
      if (typeof time === "string") return invalidReply(verb, time);
      if (fields.tail === undefined || fields.tail === "") {
        return invalidReply(verb, "missing text");
      }
      return { type: "system", time, text: sanitizeMessage(fields.tail) };
    }
    case "PING":
    case "PONG": {
      const type = verb === "PING" ? "ping" : "pong";
      if (rest === undefined) return { type };
      const problem = pingTokenProblem(rest);
      if (problem !== undefined) return invalidReply(verb, problem);
      return { type, token: rest };
    }
    case "CERT": {
      const fields = readFields(rest, ["TLS port"]);
      if (typeof fields === "string") return invalidReply(verb, fields);
      const port = parseRange(
        "TLS port",
        fields.words[0] as string,
        1,
        MAX_PORT,
      );
      if (typeof port === "string") return invalidReply(verb, port);
      const problem = base64Problem("certificate", fields.tail);
      if (problem !== undefined) return invalidReply(verb, problem);
      return { type: "cert", port, der: fields.tail as string };
    }
    case "JOINED":
    case "ROOM_LIST":
    case "USER_LIST":
    case "PRIVATE":
    case "PM_QUEUED":
    case "PM_DELIVERED":
    case "OFFLINE_BEGIN":
    case "HISTORY_BEGIN":
    case "HISTORY_END":
    case "MESSAGE_DELETED":
    case "MUTED":
    case "WHOIS_INFO":
    case "OK": {
      const result = parseFeatureReply(verb as FeatureReplyVerb, rest);
      return typeof result === "string" ? invalidReply(verb, result) : result;
    }
  }
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
        checkName("AUTH_SUCCESS", "username", reply.username)
      }`;
      break;
    case "resume_token":
      line = `RESUME_TOKEN ${
        checkToken("RESUME_TOKEN", "resume token", reply.token)
      }`;
      break;
    case "error":
    case "bye": {
      const verb = reply.type === "error" ? "ERROR" : "BYE";
      line = withMessage(
        `${verb} ${checkCode(verb, reply.type, reply.code)}`,
        reply.message,
      );
      break;
    }
    case "logout_success":
      line = "LOGOUT_SUCCESS";
      break;
    case "welcome":
      line = `WELCOME ${
        checkCount("WELCOME", "online count", reply.onlineCount)
      } ${checkName("WELCOME", "username", reply.username)}`;
      break;
    case "message":
      line = `MESSAGE ${checkCount("MESSAGE", "id", reply.id)} ${
        checkCount("MESSAGE", "time", reply.time)
      } ${checkName("MESSAGE", "sender", reply.sender)} ${
        checkText("MESSAGE", reply.text)
      }`;
      break;
    case "user_joined":
    case "user_left": {
      const verb = reply.type === "user_joined" ? "USER_JOINED" : "USER_LEFT";
      line = `${verb} ${checkCount(verb, "time", reply.time)} ${
        checkName(verb, "username", reply.username)
      }`;
      if (reply.type === "user_left" && reply.to !== undefined) {
        line += ` ${checkName(verb, "room", reply.to)}`;
      }
      break;
    }
    case "presence":
      line = `PRESENCE ${checkCount("PRESENCE", "time", reply.time)} ${
        checkCount("PRESENCE", "joined count", reply.joined)
      } ${checkCount("PRESENCE", "left count", reply.left)}`;
      break;
    case "system":
      line = `SYSTEM ${checkCount("SYSTEM", "time", reply.time)} ${
        checkText("SYSTEM", reply.text)
      }`;
      break;
    case "ping":
    case "pong":
      line = withPingToken(reply.type.toUpperCase(), reply.token);
      break;
    case "cert":
      line = `CERT ${checkRange("CERT", "TLS port", reply.port, 1, MAX_PORT)} ${
        checkBase64("CERT", "certificate", reply.der)
      }`;
      break;
    case "register_failure":
    case "auth_failure":
    case "reset_requested":
    case "reset_failure":
    case "delete_failure":
    case "password_failure":
      line = withMessage(reply.type.toUpperCase(), reply.message);
      break;
    case "joined":
      line = `JOINED ${checkName("JOINED", "room", reply.room)} ${
        checkCount("JOINED", "member count", reply.memberCount)
      }`;
      break;
    case "room_list":
      line = [
        "ROOM_LIST",
        ...checkArray("ROOM_LIST", "rooms", reply.rooms).map(
          (room) => {
            if (typeof room !== "object" || room === null) {
              throw new TypeError(
                "Cannot format ROOM_LIST: a room is not an object",
              );
            }
            const { name, memberCount } = room as {
              name: unknown;
              memberCount: unknown;
            };
            const checked = checkName("ROOM_LIST", "room name", name);
            if (checked.includes("=")) {
              throw new TypeError(
                `Cannot format ROOM_LIST: room name contains "="`,
              );
            }
            return `${checked}=${
              checkCount("ROOM_LIST", "member count", memberCount)
            }`;
          },
        ),
      ].join(" ");
      break;
    case "user_list":
      line = [
        "USER_LIST",
        checkName("USER_LIST", "scope", reply.scope),
        ...checkArray("USER_LIST", "users", reply.users).map((user) =>
          checkName("USER_LIST", "username", user)
        ),
      ].join(" ");
      break;
    case "private":
      line = `PRIVATE ${checkCount("PRIVATE", "id", reply.id)} ${
        checkCount("PRIVATE", "time", reply.time)
      } ${checkName("PRIVATE", "sender", reply.from)} ${
        checkName("PRIVATE", "recipient", reply.to)
      } ${checkText("PRIVATE", reply.text)}`;
      break;
    case "pm_queued":
      line = `PM_QUEUED ${checkName("PM_QUEUED", "recipient", reply.to)}`;
      break;
    case "pm_delivered":
      line = `PM_DELIVERED ${
        checkName("PM_DELIVERED", "recipient", reply.to)
      } ${checkCount("PM_DELIVERED", "count", reply.count)}`;
      break;
    case "offline_begin":
      line = `OFFLINE_BEGIN ${
        checkCount("OFFLINE_BEGIN", "count", reply.count)
      }`;
      break;
    case "offline_end":
      line = "OFFLINE_END";
      break;
    case "history_begin":
      line = `HISTORY_BEGIN ${checkName("HISTORY_BEGIN", "room", reply.room)} ${
        checkCount("HISTORY_BEGIN", "count", reply.count)
      }`;
      break;
    case "history_message":
      line = `HISTORY_MESSAGE ${
        checkCount("HISTORY_MESSAGE", "id", reply.id)
      } ${checkCount("HISTORY_MESSAGE", "time", reply.time)} ${
        checkName("HISTORY_MESSAGE", "sender", reply.sender)
      } ${checkText("HISTORY_MESSAGE", reply.text)}`;
      break;
    case "history_end":
      line = `HISTORY_END ${checkName("HISTORY_END", "room", reply.room)} ${
        checkFlag("HISTORY_END", "more", reply.more) ? 1 : 0
      }`;
      break;
    case "message_deleted":
      line = `MESSAGE_DELETED ${
        checkCount("MESSAGE_DELETED", "id", reply.id)
      } ${checkName("MESSAGE_DELETED", "deleter", reply.by)}`;
      break;
    case "muted":
      line = withMessage(
        `MUTED ${checkCount("MUTED", "until time", reply.until)}`,
        reply.reason,
        "reason",
      );
      break;
    case "unmuted":
      line = "UNMUTED";
      break;
    case "whois_info":
      line = formatWhoisInfo(reply);
      break;
    case "ok":
      line = withMessage(
        `OK ${checkCode("OK", "ok", reply.code)}`,
        reply.message,
      );
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

/**
 * Wraps a certificate, given as the standard base64 of its DER encoding (the
 * `der` of a `CERT` reply), in a PEM `CERTIFICATE` block: the base64 in lines
 * of 64 characters between the `BEGIN` and `END` lines, with a final line
 * feed. This is the form `Deno.connectTls({ caCerts })` takes.
 *
 * @param base64Der The certificate as padded standard base64, without
 * spaces or line breaks.
 * @returns The PEM text.
 * @throws {TypeError} If `base64Der` is not a string, or not padded standard
 * base64 with zero padding bits (as `CERT` requires).
 *
 * @example Trust the certificate a server sent
 * ```ts
 * import { derToPem, parseReply } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * const reply = parseReply("CERT 5001 MIIBszCCAVmgAwIBAgIQ");
 * assert.ok(reply.type === "cert");
 * assert.equal(
 *   derToPem(reply.der),
 *   "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIQ\n-----END CERTIFICATE-----\n",
 * );
 * // Then: Deno.connectTls({ hostname, port: reply.port, caCerts: [that PEM] }).
 * assert.throws(() => derToPem("not base64!"), TypeError);
 * ```
 */
export function derToPem(base64Der: string): string {
  if (typeof base64Der !== "string") {
    throw new TypeError("Cannot make PEM: certificate is not a string");
  }
  const problem = base64Problem("certificate", base64Der);
  if (problem !== undefined) {
    throw new TypeError(`Cannot make PEM: ${problem}`);
  }
  const lines = [PEM_BEGIN];
  for (let index = 0; index < base64Der.length; index += PEM_LINE_LENGTH) {
    lines.push(base64Der.slice(index, index + PEM_LINE_LENGTH));
  }
  lines.push(PEM_END, "");
  return lines.join("\n");
}

/**
 * Extracts the certificate from PEM text as the standard base64 of its DER
 * encoding, ready to send in a `CERT` reply: the body of the first
 * `-----BEGIN CERTIFICATE-----` block, with its line breaks and other white
 * space removed. Text around the block, and further blocks (the rest of a
 * chain, a key), are ignored; `\r\n` line endings are fine.
 *
 * Never throws.
 *
 * @param pem PEM text, such as the contents of a certificate file.
 * @returns The base64 DER, or undefined if there is no `CERTIFICATE` block,
 * it has no `END` line, or its body is not padded standard base64.
 *
 * @example Send a certificate file in a CERT reply
 * ```ts
 * import { formatReply, pemToDer } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * const pem = "-----BEGIN CERTIFICATE-----\r\nMIIBszCC\r\nAVmgAwIB\r\n" +
 *   "-----END CERTIFICATE-----\r\n";
 * const der = pemToDer(pem);
 * assert.equal(der, "MIIBszCCAVmgAwIB");
 * assert.equal(formatReply({ type: "cert", port: 5001, der }), "CERT 5001 MIIBszCCAVmgAwIB");
 * assert.equal(pemToDer("-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n"), undefined);
 * ```
 */
export function pemToDer(pem: string): string | undefined {
  if (typeof pem !== "string") return undefined;
  const begin = pem.indexOf(PEM_BEGIN);
  if (begin === -1) return undefined;
  const start = begin + PEM_BEGIN.length;
  const end = pem.indexOf(PEM_END, start);
  if (end === -1) return undefined;
  // RFC 7468 lets parsers accept white space anywhere in the base64 body.
  const body = pem.slice(start, end).replace(PEM_WHITE_SPACE_PATTERN, "");
  return base64Problem("certificate", body) === undefined ? body : undefined;
}

/** Splits `text` at its first space; the rest is undefined without one. */
function splitWord(text: string): [word: string, rest: string | undefined] {
  const space = text.indexOf(" ");
  return space === -1
    ? [text, undefined]
    : [text.slice(0, space), text.slice(space + 1)];
}

function invalidCommand(
  verb: CommandVerb,
  code: InvalidCommandCode,
  problem: string,
): InvalidCommand {
  return {
    type: "invalid",
    verb,
    code,
    reason: `Cannot parse ${verb}: ${problem} (usage: ${COMMAND_USAGE[verb]})`,
  };
}

/** Returns why `text` is not a chat message, with the code to answer. */
function chatTextProblem(
  text: string,
): [InvalidCommandCode, string] | undefined {
  return userTextProblem("text", text, MESSAGE_LIMIT);
}

/**
 * Returns why `text` is not a user-authored text (a chat or private message,
 * a reason, a status) within `limit`, with the code to answer.
 */
function userTextProblem(
  name: string,
  text: string,
  limit: TextLimit,
): [InvalidCommandCode, string] | undefined {
  if (text === "") return ["empty_message", `${name} is empty`];
  if (text.includes("\r") || text.includes("\n")) {
    return [
      "invalid_command",
      `${name} contains a carriage return or line feed`,
    ];
  }
  if (!text.isWellFormed()) {
    return ["invalid_command", `${name} is not well-formed Unicode`];
  }
  if (!VISIBLE_PATTERN.test(text)) {
    return [
      "empty_message",
      `${name} has only white space, control or invisible characters`,
    ];
  }
  const length = limit.unit === "bytes"
    ? utf8ByteLength(text)
    : codePointLength(text);
  if (length > limit.max) {
    return [
      "message_too_long",
      `${name} is ${length} ${limit.unit}, longer than the limit of ${limit.max}`,
    ];
  }
  return undefined;
}

/**
 * Returns why `value` is not padded standard base64 (RFC 4648, section 4) in
 * its one canonical spelling, if it is not.
 */
function base64Problem(
  name: string,
  value: string | undefined,
): string | undefined {
  if (value === undefined || value === "") return `missing ${name}`;
  if (!BASE64_PATTERN.test(value)) {
    return `${name} is not standard base64 (A-Z, a-z, 0-9, "+" and "/", then at most two "=", no spaces)`;
  }
  if (value.length % 4 !== 0) {
    return `${name} is ${value.length} base64 characters, not a multiple of 4 (it must be padded with "=")`;
  }
  if (!BASE64_PADDING_PATTERN.test(value)) {
    // Otherwise two spellings would decode to the same bytes.
    return `${name} has non-zero padding bits in its last base64 character`;
  }
  return undefined;
}

function checkBase64(verb: string, name: string, value: unknown): string {
  if (typeof value !== "string") {
    throw new TypeError(`Cannot format ${verb}: ${name} is not a string`);
  }
  const problem = base64Problem(name, value);
  if (problem !== undefined) {
    throw new TypeError(`Cannot format ${verb}: ${problem}`);
  }
  return value;
}

/** Returns why `value` is not a `PING`/`PONG` token, if it is not. */
function pingTokenProblem(value: string): string | undefined {
  if (value === "") return "token is empty";
  if (!PING_TOKEN_PATTERN.test(value)) {
    return "token must be visible ASCII characters without spaces";
  }
  if (value.length > MAX_PING_TOKEN_LENGTH) {
    return `token is ${value.length} characters, longer than the limit of ${MAX_PING_TOKEN_LENGTH}`;
  }
  return undefined;
}

function withPingToken(verb: string, token: unknown): string {
  if (token === undefined) return verb;
  if (typeof token !== "string") {
    throw new TypeError(`Cannot format ${verb}: token is not a string`);
  }
  const problem = pingTokenProblem(token);
  if (problem === undefined) return `${verb} ${token}`;
  // Only the length check passes the pattern: a long token is out of range.
  const message = `Cannot format ${verb}: ${problem}`;
  throw PING_TOKEN_PATTERN.test(token)
    ? new RangeError(message)
    : new TypeError(message);
}

/** Returns a command, or a problem description for an `invalid` result. */
function parseArguments(
  verb: AccountVerb,
  args: string | undefined,
): Command | string {
  if (verb === "LANG") {
    if (args === undefined || args === "") return "missing language";
    return LANG_TAG_PATTERN.test(args)
      ? { type: "lang", lang: args }
      : `language must be 1 to ${MAX_LANG_TAG_LENGTH} letters, digits, "-" or "_", such as "en" or "zh-CN"`;
  }
  if (verb === "LOGOUT" || verb === "CERT") {
    if (args !== undefined) return "takes no arguments";
    return verb === "LOGOUT" ? { type: "logout" } : { type: "cert" };
  }
  if (verb === "PING" || verb === "PONG") {
    const type = verb === "PING" ? "ping" : "pong";
    if (args === undefined) return { type };
    return pingTokenProblem(args) ?? { type, token: args };
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
  if (verb === "RESUME") {
    // Like a password, the token is a secret: no reason ever quotes it.
    const resumeToken = space === -1 ? "" : args.slice(space + 1);
    if (resumeToken === "") return "missing token";
    return resumeToken.includes(" ")
      ? "takes only a username and a token"
      : { type: "resume", username: token, token: resumeToken };
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

/** A problem with a command: a reason for `invalid_command`, or a code too. */
type CommandProblem = string | [InvalidCommandCode, string];

/** Parses a room, private message, history, moderation or profile verb. */
function parseFeatureCommand(
  verb: FeatureVerb,
  args: string | undefined,
): Command | InvalidCommand {
  const result = parseFeatureArguments(verb, args);
  if (typeof result === "string") {
    return invalidCommand(verb, "invalid_command", result);
  }
  if (Array.isArray(result)) return invalidCommand(verb, result[0], result[1]);
  return result;
}

function parseFeatureArguments(
  verb: FeatureVerb,
  args: string | undefined,
): Command | CommandProblem {
  switch (verb) {
    case "LEAVE":
      return args === undefined ? { type: "leave" } : "takes no arguments";
    case "ROOMS":
      return args === undefined ? { type: "rooms" } : "takes no arguments";
    case "USERS":
      if (args === undefined) return { type: "users", all: false };
      return args === "all"
        ? { type: "users", all: true }
        : 'takes "all" or nothing';
    case "STATUS":
      // A bare STATUS clears the status; "STATUS " is not a second spelling.
      if (args === undefined) return { type: "status", text: "" };
      return userTextProblem("status", args, STATUS_LIMIT) ??
        { type: "status", text: args };
  }
  const firstName = verb === "JOIN"
    ? "room"
    : verb === "HISTORY"
    ? "count"
    : verb === "DELETE"
    ? "message id"
    : "username";
  if (args === undefined || args === "") return `missing ${firstName}`;
  if (args.includes("\r") || args.includes("\n")) {
    return "line contains a carriage return or line feed";
  }
  if (!args.isWellFormed()) return "line is not well-formed Unicode";
  const [first, rest] = splitWord(args);
  if (verb === "HISTORY") return parseHistory(first, rest);
  if (verb === "DELETE" && first === "last") {
    if (rest === undefined || rest === "") return "missing username";
    if (rest.includes(" ")) return "takes only last and a username";
    return { type: "delete_last", user: rest };
  }
  if (verb === "DELETE") {
    if (rest !== undefined) return "takes only a message id";
    const id = parseCount("message id", first);
    return typeof id === "string" ? id : { type: "delete_message", id };
  }
  if (first === "") {
    return `${firstName} is empty (separate fields with one space)`;
  }
  switch (verb) {
    case "JOIN":
      return rest === undefined
        ? { type: "join", room: first }
        : "takes only a room name";
    case "UNMUTE":
    case "WHOIS":
      if (rest !== undefined) return "takes only a username";
      return { type: verb === "UNMUTE" ? "unmute" : "whois", user: first };
    case "PRIVMSG": {
      // As with MSG, a missing text is an empty message.
      const text = rest ?? "";
      return userTextProblem("text", text, MESSAGE_LIMIT) ??
        { type: "privmsg", to: first, text };
    }
    case "KICK":
      if (rest === undefined) return { type: "kick", user: first };
      return userTextProblem("reason", rest, REASON_LIMIT) ??
        { type: "kick", user: first, reason: rest };
    case "MUTE": {
      if (rest === undefined) return "missing minutes";
      const [minutesText, reason] = splitWord(rest);
      const minutes = parseRange("minutes", minutesText, 1, MAX_MUTE_MINUTES);
      if (typeof minutes === "string") return minutes;
      if (reason === undefined) return { type: "mute", user: first, minutes };
      return userTextProblem("reason", reason, REASON_LIMIT) ??
        { type: "mute", user: first, minutes, reason };
    }
  }
}

/** Parses the arguments of `HISTORY <count> [before <id> | after <id>]`. */
function parseHistory(
  countText: string,
  rest: string | undefined,
): Command | CommandProblem {
  const count = parseRange("count", countText, 1, MAX_HISTORY_COUNT);
  if (typeof count === "string") return count;
  if (rest === undefined) return { type: "history", count };
  const [keyword, idText] = splitWord(rest);
  if (keyword !== "before" && keyword !== "after") {
    return 'expected "before <id>" or "after <id>" after the count';
  }
  if (idText === undefined) return "missing id";
  const id = parseCount("id", idText);
  if (typeof id === "string") return id;
  return keyword === "before"
    ? { type: "history", count, before: id }
    : { type: "history", count, after: id };
}

/** Parses an integer from `min` to `max` written without leading zeros. */
function parseRange(
  name: string,
  text: string,
  min: number,
  max: number,
): number | string {
  const value = Number(text);
  if (!COUNT_PATTERN.test(text) || !(value >= min && value <= max)) {
    return `${name} must be a number from ${min} to ${max} without leading zeros`;
  }
  return value;
}

function firstField(verb: AccountVerb): string {
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

/** Like {@linkcode tokenProblem}, and also rejects control characters. */
function nameProblem(
  name: string,
  value: string | undefined,
): string | undefined {
  const problem = tokenProblem(name, value);
  if (problem !== undefined) return problem;
  // Usernames are printed; keep escape sequences off the peer's terminal.
  if (HAS_CONTROL_PATTERN.test(value as string)) {
    return `${name} contains a control character`;
  }
  return undefined;
}

function checkName(verb: string, name: string, value: unknown): string {
  const token = checkToken(verb, name, value);
  const problem = nameProblem(name, token);
  if (problem !== undefined) {
    throw new TypeError(`Cannot format ${verb}: ${problem}`);
  }
  return token;
}

/** Checks a user-authored text as {@linkcode userTextProblem} does. */
function checkUserText(
  verb: string,
  name: string,
  value: unknown,
  limit: TextLimit,
): string {
  if (typeof value !== "string") {
    throw new TypeError(`Cannot format ${verb}: ${name} is not a string`);
  }
  const problem = userTextProblem(name, value, limit);
  if (problem === undefined) return value;
  const [code, description] = problem;
  const message = `Cannot format ${verb}: ${description}`;
  throw code === "invalid_command"
    ? new TypeError(message)
    : new RangeError(message);
}

/** Appends ` <reason>` to a `KICK` or `MUTE` line unless it is undefined. */
function withReason(head: string, reason: unknown): string {
  if (reason === undefined) return head;
  const verb = head.slice(0, head.indexOf(" "));
  return `${head} ${checkUserText(verb, "reason", reason, REASON_LIMIT)}`;
}

function checkFlag(verb: string, name: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new TypeError(`Cannot format ${verb}: ${name} is not a boolean`);
  }
  return value;
}

function checkRange(
  verb: string,
  name: string,
  value: unknown,
  min: number,
  max: number,
): string {
  if (typeof value !== "number") {
    throw new TypeError(`Cannot format ${verb}: ${name} is not a number`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(
      `Cannot format ${verb}: ${name} must be an integer from ${min} to ${max}, got ${value}`,
    );
  }
  return String(value);
}

function checkCount(verb: string, name: string, value: unknown): string {
  if (typeof value !== "number") {
    throw new TypeError(`Cannot format ${verb}: ${name} is not a number`);
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(
      `Cannot format ${verb}: ${name} must be a non-negative safe integer, got ${value}`,
    );
  }
  return String(value);
}

function checkText(verb: string, value: unknown): string {
  if (typeof value !== "string") {
    throw new TypeError(`Cannot format ${verb}: text is not a string`);
  }
  const text = sanitizeMessage(value);
  if (text === "") throw new RangeError(`Cannot format ${verb}: text is empty`);
  return text;
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

function formatWhoisInfo(
  reply: Extract<Reply, { type: "whois_info" }>,
): string {
  const verb = "WHOIS_INFO";
  const fields = [
    verb,
    checkName(verb, "username", reply.user),
    checkCount(verb, "registered time", reply.registeredAt),
    checkFlag(verb, "online", reply.online) ? "1" : "0",
    reply.lastSeenAt === null
      ? NONE
      : checkCount(verb, "last seen time", reply.lastSeenAt),
    reply.room === null ? NONE : checkName(verb, "room", reply.room),
    checkFlag(verb, "admin", reply.admin) ? "1" : "0",
  ];
  // "-" stands for no room, so a room of that name cannot be sent.
  if (reply.room === NONE) {
    throw new TypeError(`Cannot format ${verb}: room "${NONE}" is reserved`);
  }
  return withMessage(fields.join(" "), reply.status, "status");
}

function checkCode(verb: string, kind: string, value: unknown): string {
  if (typeof value !== "string" || !ERROR_CODE_PATTERN.test(value)) {
    throw new TypeError(
      `Cannot format ${verb}: ${kind} code "${
        String(value)
      }" is not a snake_case word`,
    );
  }
  return value;
}

function checkArray(verb: string, name: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) {
    throw new TypeError(`Cannot format ${verb}: ${name} is not an array`);
  }
  return value;
}

/** Appends ` <message>`, sanitized, unless it is empty. */
function withMessage(
  head: string,
  message: unknown,
  name = "message",
): string {
  if (typeof message !== "string") {
    const verb = head.split(" ", 1)[0];
    throw new TypeError(`Cannot format ${verb}: ${name} is not a string`);
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

/**
 * Reads one space-separated word per name from the front of `rest`; `tail`
 * is what follows the last one (undefined without a space after it).
 */
function readFields(
  rest: string | undefined,
  names: readonly string[],
): { words: string[]; tail: string | undefined } | string {
  const words: string[] = [];
  let tail = rest;
  for (const name of names) {
    if (tail === undefined) return `missing ${name}`;
    const [word, next] = splitWord(tail);
    words.push(word);
    tail = next;
  }
  return { words, tail };
}

/** Parses a non-negative safe integer without leading zeros. */
function parseCount(name: string, text: string): number | string {
  const value = Number(text);
  if (!COUNT_PATTERN.test(text) || !Number.isSafeInteger(value)) {
    return `${name} is not a non-negative integer without leading zeros`;
  }
  return value;
}

function parseMessage(
  verb: "MESSAGE" | "HISTORY_MESSAGE",
  rest: string | undefined,
): ParsedReply {
  const fields = readFields(rest, ["id", "time", "sender"]);
  if (typeof fields === "string") return invalidReply(verb, fields);
  const [idText, timeText, sender] = fields.words as [string, string, string];
  const id = parseCount("id", idText);
  if (typeof id === "string") return invalidReply(verb, id);
  const time = parseCount("time", timeText);
  if (typeof time === "string") return invalidReply(verb, time);
  const problem = nameProblem("sender", sender);
  if (problem !== undefined) return invalidReply(verb, problem);
  if (fields.tail === undefined || fields.tail === "") {
    return invalidReply(verb, "missing text");
  }
  return {
    type: verb === "MESSAGE" ? "message" : "history_message",
    id,
    time,
    sender,
    text: sanitizeMessage(fields.tail),
  };
}

/**
 * Parses the arguments of a room, private message, history, moderation or
 * profile reply; a string is why they are malformed.
 */
function parseFeatureReply(
  verb: FeatureReplyVerb,
  rest: string | undefined,
): Reply | string {
  switch (verb) {
    case "JOINED":
    case "HISTORY_BEGIN":
    case "PM_DELIVERED": {
      // A name, then a count, which ends the line.
      const name = verb === "PM_DELIVERED" ? "recipient" : "room";
      const countName = verb === "JOINED" ? "member count" : "count";
      const fields = readFields(rest, [name]);
      if (typeof fields === "string") return fields;
      const value = fields.words[0] as string;
      const problem = nameProblem(name, value);
      if (problem !== undefined) return problem;
      const count = parseCountField(countName, fields.tail);
      if (typeof count === "string") return count;
      return verb === "JOINED"
        ? { type: "joined", room: value, memberCount: count }
        : verb === "HISTORY_BEGIN"
        ? { type: "history_begin", room: value, count }
        : { type: "pm_delivered", to: value, count };
    }
    case "ROOM_LIST": {
      if (rest === undefined) return { type: "room_list", rooms: [] };
      const rooms: Array<{ name: string; memberCount: number }> = [];
      for (const entry of rest.split(" ")) {
        const equals = entry.indexOf("=");
        if (equals === -1) return "expected <room>=<count> entries";
        const name = entry.slice(0, equals);
        const problem = nameProblem("room name", name);
        if (problem !== undefined) return problem;
        const memberCount = parseCount("member count", entry.slice(equals + 1));
        if (typeof memberCount === "string") return memberCount;
        rooms.push({ name, memberCount });
      }
      return { type: "room_list", rooms };
    }
    case "USER_LIST": {
      if (rest === undefined) return "missing scope";
      const [scope, ...users] = rest.split(" ") as [string, ...string[]];
      const problem = nameProblem("scope", scope) ??
        users.map((user) => nameProblem("username", user)).find((p) =>
          p !== undefined
        );
      if (problem !== undefined) return problem;
      return { type: "user_list", scope, users };
    }
    case "PRIVATE": {
      const fields = readFields(rest, ["id", "time", "sender", "recipient"]);
      if (typeof fields === "string") return fields;
      const [idText, timeText, from, to] = fields.words as [
        string,
        string,
        string,
        string,
      ];
      const id = parseCount("id", idText);
      if (typeof id === "string") return id;
      const time = parseCount("time", timeText);
      if (typeof time === "string") return time;
      const problem = nameProblem("sender", from) ??
        nameProblem("recipient", to);
      if (problem !== undefined) return problem;
      if (fields.tail === undefined || fields.tail === "") {
        return "missing text";
      }
      const text = sanitizeMessage(fields.tail);
      return { type: "private", id, time, from, to, text };
    }
    case "PM_QUEUED":
      return nameProblem("recipient", rest) ??
        { type: "pm_queued", to: rest as string };
    case "OFFLINE_BEGIN": {
      const count = parseCountField("count", rest);
      return typeof count === "string"
        ? count
        : { type: "offline_begin", count };
    }
    case "HISTORY_END": {
      const fields = readFields(rest, ["room"]);
      if (typeof fields === "string") return fields;
      const room = fields.words[0] as string;
      const problem = nameProblem("room", room);
      if (problem !== undefined) return problem;
      const more = parseFlag("more flag", fields.tail);
      return typeof more === "string"
        ? more
        : { type: "history_end", room, more };
    }
    case "MESSAGE_DELETED": {
      const fields = readFields(rest, ["id"]);
      if (typeof fields === "string") return fields;
      const id = parseCount("id", fields.words[0] as string);
      if (typeof id === "string") return id;
      return nameProblem("deleter", fields.tail) ??
        { type: "message_deleted", id, by: fields.tail as string };
    }
    case "MUTED": {
      const fields = readFields(rest, ["until time"]);
      if (typeof fields === "string") return fields;
      const until = parseCount("until time", fields.words[0] as string);
      if (typeof until === "string") return until;
      const reason = optionalText(fields.tail);
      return reason === undefined
        ? "reason is empty (an empty reason is sent without its space)"
        : { type: "muted", until, reason };
    }
    case "WHOIS_INFO":
      return parseWhoisInfo(rest);
    case "OK": {
      if (rest === undefined) return "missing ok code";
      const [code, message] = splitWord(rest);
      if (!ERROR_CODE_PATTERN.test(code)) {
        return "ok code is not a snake_case word";
      }
      const text = optionalText(message);
      return text === undefined
        ? "message is empty (an empty message is sent without its space)"
        : { type: "ok", code, message: text };
    }
  }
}

function parseWhoisInfo(rest: string | undefined): Reply | string {
  const fields = readFields(rest, [
    "username",
    "registered time",
    "online flag",
    "last seen time",
    "room",
    "admin flag",
  ]);
  if (typeof fields === "string") return fields;
  const [user, registeredText, onlineText, lastSeenText, roomText, adminText] =
    fields.words as [string, string, string, string, string, string];
  const userProblem = nameProblem("username", user);
  if (userProblem !== undefined) return userProblem;
  const registeredAt = parseCount("registered time", registeredText);
  if (typeof registeredAt === "string") return registeredAt;
  const online = parseFlag("online flag", onlineText);
  if (typeof online === "string") return online;
  const lastSeenAt = lastSeenText === NONE
    ? null
    : parseCount("last seen time", lastSeenText);
  if (typeof lastSeenAt === "string") return lastSeenAt;
  const roomProblem = nameProblem("room", roomText);
  if (roomProblem !== undefined) return roomProblem;
  const admin = parseFlag("admin flag", adminText);
  if (typeof admin === "string") return admin;
  const status = optionalText(fields.tail);
  if (status === undefined) {
    return "status is empty (an empty status is sent without its space)";
  }
  return {
    type: "whois_info",
    user,
    registeredAt,
    online,
    lastSeenAt,
    room: roomText === NONE ? null : roomText,
    admin,
    status,
  };
}

/** Parses a count that ends the line; undefined means it is missing. */
function parseCountField(
  name: string,
  text: string | undefined,
): number | string {
  return text === undefined ? `missing ${name}` : parseCount(name, text);
}

/** Parses `0` or `1`, which ends the line. */
function parseFlag(name: string, text: string | undefined): boolean | string {
  if (text === undefined) return `missing ${name}`;
  if (text === "0" || text === "1") return text === "1";
  return `${name} must be "0" or "1"`;
}

/**
 * Reads an optional trailing text: absent is `""`, present is sanitized, and
 * present but empty (a line that ends in a space) is undefined, because an
 * empty text is sent without its space.
 */
function optionalText(text: string | undefined): string | undefined {
  if (text === undefined) return "";
  return text === "" ? undefined : sanitizeMessage(text);
}

function invalidReply(verb: string, problem: string): InvalidReply {
  return { type: "invalid", reason: `Cannot parse ${verb}: ${problem}` };
}

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
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
