/**
 * Every refusal and acknowledgement the server sends, rendered in one
 * place: an `ERROR`/`OK` code picks its sentence from the catalog, in the
 * member's language, so no handler builds an error reply by hand and a code
 * always reads the same. Failure reasons of the account domain
 * (`REGISTER_FAILURE`, `AUTH_FAILURE`, …) map to sentences here too.
 *
 * @module
 */

import type {
  ErrorCode,
  InvalidCommand,
  OkCode,
  Reply,
} from "../protocol/protocol.ts";
import { commandUsage } from "../protocol/protocol.ts";
import {
  type Lang,
  type MessageKey,
  type MessageParams,
  t,
} from "../shared/messages.ts";

/** Error codes the server renders from the catalog (the parser's have their own). */
export type ServerErrorCode =
  | Exclude<ErrorCode, InvalidCommand["code"] | "unknown_command">
  | "already_in_room"
  | "pm_to_self";

/** The catalog sentence of each error code. */
const ERROR_KEYS: Record<ServerErrorCode, MessageKey> = {
  "line_too_long": "lineTooLong",
  "invalid_utf8": "invalidUtf8",
  "not_logged_in": "notLoggedIn",
  "already_logged_in": "alreadyAuthenticated",
  "rate_limited": "rateLimited",
  "no_such_user": "noSuchUser",
  "no_such_message": "noSuchMessage",
  "offline_queue_full": "offlineQueueFull",
  "not_admin": "notAdmin",
  muted: "mutedNoStatus",
  "invalid_room": "invalidRoom",
  "user_offline": "userOffline",
  "no_tls": "noTls",
  "tls_required": "tlsRequired",
  "server_error": "serverError",
  "database_busy": "databaseBusy",
  "already_in_room": "alreadyInLobby",
  "pm_to_self": "pmToSelf",
  "files_disabled": "filesDisabled",
  "file_too_large": "fileTooLarge",
  "quota_exceeded": "fileQuotaExceeded",
  "disk_full": "fileDiskFull",
  "no_such_file": "noSuchFile",
  "not_in_room": "fileNotInRoom",
  "too_many_uploads": "tooManyUploads",
};

/** The catalog sentence of each OK code. */
const OK_KEYS: Record<OkCode, MessageKey> = {
  kicked: "okKicked",
  muted: "okMuted",
  unmuted: "okUnmuted",
  deleted: "okDeleted",
  "status_set": "okStatusSet",
  "status_cleared": "okStatusCleared",
  "receipts_on": "okReceiptsOn",
  "receipts_off": "okReceiptsOff",
  "avatar_set": "okAvatarSet",
  "avatar_cleared": "okAvatarCleared",
};

/**
 * `ERROR <code> <sentence>`. A code with more than one sentence (a full
 * offline queue counted in messages or in bytes) names the other one in
 * `variant`.
 *
 * @example
 * ```ts
 * import { errorReply } from "./replies.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(errorReply("en", "no_tls"), {
 *   type: "error",
 *   code: "no_tls",
 *   message: "This server has no TLS",
 * });
 * ```
 */
export function errorReply(
  lang: Lang,
  code: ServerErrorCode,
  params?: MessageParams,
  variant?: MessageKey,
): Reply {
  return {
    type: "error",
    code,
    message: t(lang, variant ?? ERROR_KEYS[code], clipParams(params)),
  };
}

/** The longest piece of a user's input an error sentence repeats. */
export const MAX_ECHOED_CHARACTERS = 64;

/**
 * `params` with every text cut to {@linkcode MAX_ECHOED_CHARACTERS}
 * characters (`…` at the cut): an error repeats what the user sent (a room,
 * a name), and an 8 KB word must not make a reply longer than a line.
 */
function clipParams(params: MessageParams | undefined) {
  if (params === undefined) return undefined;
  const clipped: MessageParams = {};
  for (const [key, value] of Object.entries(params)) {
    const points = typeof value === "string" ? [...value] : undefined;
    clipped[key] = points !== undefined && points.length > MAX_ECHOED_CHARACTERS
      ? `${points.slice(0, MAX_ECHOED_CHARACTERS - 1).join("")}…`
      : value;
  }
  return clipped;
}

/** `OK <code> <sentence>`. */
export function okReply(
  lang: Lang,
  code: OkCode,
  params?: MessageParams,
): Reply {
  return { type: "ok", code, message: t(lang, OK_KEYS[code], params) };
}

/**
 * `ERROR` for a malformed command. The parser's reasons are English; in
 * another language the reply says what kind of problem it is and shows the
 * usage, which is the same in every language.
 */
export function invalidCommandReply(
  lang: Lang,
  invalid: InvalidCommand,
): Reply {
  const key: MessageKey = invalid.code === "empty_message"
    ? "invalidEmptyText"
    : invalid.code === "message_too_long"
    ? "invalidLongText"
    : "invalidCommandUsage";
  return {
    type: "error",
    code: invalid.code,
    message: t(lang, key, {
      reason: invalid.reason,
      usage: commandUsage(invalid.verb) ?? invalid.verb,
    }),
  };
}

/** The sentence of each account-domain failure reason. */
const FAILURE_KEYS: Record<string, MessageKey> = {
  "invalid_username": "invalidUsername",
  "reserved_username": "reservedUsername",
  "confusable_username": "confusableUsername",
  "username_taken": "usernameTaken",
  "password_too_short": "passwordTooShort",
  "password_too_long": "passwordTooLong",
  "invalid_credentials": "invalidCredentials",
  "throttled": "throttled",
  "already_logged_in": "alreadyLoggedIn",
  "invalid_token": "invalidToken",
  "not_logged_in": "notLoggedIn",
};

/** The text of a `*_FAILURE` reply for an account-domain reason. */
export function failureText(
  lang: Lang,
  reason: string,
  params: MessageParams,
): string {
  const key = FAILURE_KEYS[reason];
  return key === undefined ? reason : t(lang, key, params);
}
