/**
 * The TCPChat line protocol: parse and format the commands a client sends and
 * the replies a server sends. Pure: no I/O. Framing (bytes to lines) is done
 * by `line_framer.ts`; the full specification is `docs/PROTOCOL.md`.
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
 * This file is the folder's public entry and only re-exports. Each verb
 * family has one file holding, per verb, its grammar, parse and format side
 * by side (a spec, see spec.ts): account.ts, session.ts, chat.ts, rooms.ts,
 * history.ts, moderation.ts, profile.ts, files.ts, receipts.ts, avatars.ts.
 * verbs.ts gathers the specs into the
 * verb table and holds the four entry points, which look a verb up in it.
 * Shared pieces: fields.ts (words, counts, names, codes), text.ts (free text,
 * byte lengths, `sanitizeMessage`), pem.ts (base64 and PEM), limits.ts.
 *
 * @module
 */

export {
  MAX_HISTORY_COUNT,
  MAX_LANG_TAG_LENGTH,
  MAX_LINE_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_MUTE_MINUTES,
  MAX_PASSWORD_BYTES,
  MAX_PING_TOKEN_LENGTH,
  MAX_PORT,
  MAX_REASON_BYTES,
  MAX_STATUS_LENGTH,
} from "./limits.ts";
export { LOBBY } from "./rooms.ts";
export {
  type ByeCode,
  type ErrorCode,
  type OkCode,
  PROTOCOL_VERSION,
} from "./session.ts";
export type {
  InvalidCommand,
  InvalidCommandCode,
  InvalidReply,
  UnknownCommand,
} from "./spec.ts";
export type { Command, ParsedCommand, ParsedReply, Reply } from "./types.ts";
export {
  commandUsage,
  formatCommand,
  formatReply,
  parseCommand,
  parseReply,
} from "./verbs.ts";
export { parseChatText } from "./chat.ts";
export { sanitizeMessage } from "./text.ts";
export { derToPem, pemToDer } from "./pem.ts";
