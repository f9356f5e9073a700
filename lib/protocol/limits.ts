/**
 * The size limits of the line protocol, shared by every verb family and by
 * the clients and servers that check input before they send it.
 *
 * @module
 */

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
