/**
 * The session verbs, allowed in any state: `PING` and `PONG` (both ways),
 * `CERT` (the server's TLS certificate), `LANG`; and the server's lines
 * about the connection itself: the `HELLO` greeting, `ERROR`, `OK` and
 * `BYE`.
 *
 * @module
 */

import {
  checkCode,
  checkToken,
  CODE_PATTERN,
  POSITIVE_INTEGER_PATTERN,
  rangeField,
  splitWord,
  tokenProblem,
} from "./fields.ts";
import {
  MAX_LANG_TAG_LENGTH,
  MAX_PING_TOKEN_LENGTH,
  MAX_PORT,
} from "./limits.ts";
import { base64Field } from "./pem.ts";
import type {
  CommandSpec,
  InvalidCommandCode,
  ReplySpec,
  Variant,
} from "./spec.ts";
import { bareCommand, fieldsReplies } from "./spec.ts";
import { optionalText, sanitizeMessage, withMessage } from "./text.ts";

/** Version of this protocol, sent in the `HELLO` greeting. */
export const PROTOCOL_VERSION = 1;

/** The commands of the session verbs. */
export type SessionCommand =
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
   * `LANG <language>`: the language the client wants the server's messages
   * in, a tag such as `en` or `zh-CN` (at most
   * {@linkcode MAX_LANG_TAG_LENGTH} letters, digits, `-` and `_`). Allowed
   * in any state; no reply (docs/PROTOCOL.md, 5, LANG).
   */
  | { type: "lang"; lang: string };

/** The replies of the session verbs. */
export type SessionReply =
  /** `HELLO tcpchat/<protocol_version> <server_version>`: the greeting. */
  | { type: "hello"; protocolVersion: number; serverVersion: string }
  /** `ERROR <code> <message>`: `code` is a snake_case word. */
  | { type: "error"; code: string; message: string }
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
  | "database_busy"
  | "files_disabled"
  | "file_too_large"
  | "quota_exceeded"
  | "disk_full"
  | "no_such_file"
  | "not_in_room"
  | "too_many_uploads";

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
  | "status_cleared"
  | "receipts_on"
  | "receipts_off"
  | "avatar_set"
  | "avatar_cleared";

type Of<T extends SessionCommand["type"]> = Variant<SessionCommand, T>;
type ReplyOf<T extends SessionReply["type"]> = Variant<SessionReply, T>;

const PROTOCOL_NAME = "tcpchat/";
const PING_TOKEN_PATTERN = /^[\x21-\x7e]+$/;
const LANG_TAG_PATTERN = /^[A-Za-z0-9_-]{1,35}$/;

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

/**
 * `PING [<token>]` or `PONG [<token>]`, the same both ways: as a reply and,
 * with a usage line, as a command ({@linkcode pingCommand}).
 */
function pingReply(
  verb: string,
  type: "ping" | "pong",
): ReplySpec<ReplyOf<"ping" | "pong">> {
  return {
    verb,
    types: [type],
    parse(rest) {
      if (rest === undefined) return { type };
      return pingTokenProblem(rest) ?? { type, token: rest };
    },
    format(reply) {
      return withPingToken(verb, reply.token);
    },
  };
}

/** The command form of {@linkcode pingReply}. */
function pingCommand(
  verb: string,
  type: "ping" | "pong",
): CommandSpec<Of<"ping" | "pong">> {
  return { ...pingReply(verb, type), usage: `${verb} [<token>]` };
}

const LANG: CommandSpec<Of<"lang">> = {
  verb: "LANG",
  usage: "LANG <language>",
  types: ["lang"],
  parse(args) {
    if (args === undefined || args === "") return "missing language";
    return LANG_TAG_PATTERN.test(args)
      ? { type: "lang", lang: args }
      : `language must be 1 to ${MAX_LANG_TAG_LENGTH} letters, digits, "-" or "_", such as "en" or "zh-CN"`;
  },
  format(command) {
    if (!LANG_TAG_PATTERN.test(command.lang)) {
      throw new TypeError(
        `Cannot format LANG: language must be 1 to ${MAX_LANG_TAG_LENGTH} letters, digits, "-" or "_"`,
      );
    }
    return `LANG ${command.lang}`;
  },
};

/** The session command verbs, for the verb table. */
export const SESSION_COMMANDS: readonly CommandSpec<SessionCommand>[] = [
  pingCommand("PING", "ping"),
  pingCommand("PONG", "pong"),
  bareCommand("CERT", "cert"),
  LANG,
];

const HELLO: ReplySpec<ReplyOf<"hello">> = {
  verb: "HELLO",
  types: ["hello"],
  parse(rest) {
    if (rest === undefined || !rest.startsWith(PROTOCOL_NAME)) {
      return `expected "${PROTOCOL_NAME}<version>"`;
    }
    // Text after the server version is reserved and ignored.
    const fields = rest.slice(PROTOCOL_NAME.length).split(" ", 2);
    const version = fields[0] ?? "";
    const protocolVersion = Number(version);
    if (
      !POSITIVE_INTEGER_PATTERN.test(version) ||
      !Number.isSafeInteger(protocolVersion)
    ) {
      return "protocol version is not a positive integer";
    }
    return tokenProblem("server version", fields[1]) ?? {
      type: "hello",
      protocolVersion,
      serverVersion: fields[1] as string,
    };
  },
  format(reply) {
    const version = reply.protocolVersion;
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new RangeError(
        `Cannot format HELLO: protocol version must be a positive integer, got ${version}`,
      );
    }
    return `HELLO ${PROTOCOL_NAME}${version} ${
      checkToken("HELLO", "server version", reply.serverVersion)
    }`;
  },
};

/** `ERROR <code> <message>` or `BYE <code> <message>`. */
function codeReply(
  verb: string,
  type: "error" | "bye",
): ReplySpec<ReplyOf<"error" | "bye">> {
  const name = `${type} code`;
  return {
    verb,
    types: [type],
    parse(rest) {
      if (rest === undefined) return `missing ${name}`;
      const [code, message = ""] = splitWord(rest);
      if (!CODE_PATTERN.test(code)) return `${name} is not a snake_case word`;
      return {
        type,
        code,
        message: sanitizeMessage(message),
      };
    },
    format(reply) {
      return withMessage(
        `${verb} ${checkCode(verb, type, reply.code)}`,
        reply.message,
      );
    },
  };
}

const sessionReply = fieldsReplies<SessionReply>();

const OK: ReplySpec<ReplyOf<"ok">> = {
  verb: "OK",
  types: ["ok"],
  parse(rest) {
    if (rest === undefined) return "missing ok code";
    const [code, message] = splitWord(rest);
    if (!CODE_PATTERN.test(code)) return "ok code is not a snake_case word";
    const text = optionalText(message);
    return text === undefined
      ? "message is empty (an empty message is sent without its space)"
      : { type: "ok", code, message: text };
  },
  format(reply) {
    return withMessage(
      `OK ${checkCode("OK", "ok", reply.code)}`,
      reply.message,
    );
  },
};

/** The session reply verbs, for the verb table. */
export const SESSION_REPLIES: readonly ReplySpec<SessionReply>[] = [
  HELLO,
  codeReply("ERROR", "error"),
  pingReply("PING", "ping"),
  pingReply("PONG", "pong"),
  sessionReply("CERT", {
    port: rangeField("TLS port", MAX_PORT),
    der: base64Field("certificate"),
  }),
  codeReply("BYE", "bye"),
  OK,
];
