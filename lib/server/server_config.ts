/**
 * Server command line: flags and environment variables validated into a
 * typed configuration. Flags override the environment, which overrides the
 * defaults. Pure: the caller passes `args` and an environment lookup.
 *
 * @module
 */

import { basename, dirname, extname, join } from "node:path";
import { parseArgs } from "node:util";
import {
  type Lang,
  type MessageKey,
  type MessageParams,
  resolveLang,
  t,
} from "../shared/messages.ts";

/** Settings for serving chat. */
export interface ServerConfig {
  /** Address to listen on. @default {"0.0.0.0"} */
  host: string;
  /** TCP port; 0 picks a free one. @default {5000} */
  port: number;
  /** SQLite database file. @default {"./tcpchat.db"} */
  db: string;
  /** Global cap on concurrent connections. @default {10000} */
  maxClients: number;
  /** Cap on concurrent connections per address. @default {16} */
  maxPerAddress: number;
  /** Whether loopback is exempt from per-address caps. @default {true} */
  exemptLoopback: boolean;
  /** Minimum password length for new passwords. @default {8} */
  minPasswordLength: number;
  /** Interface language of the console and replies. @default {"zh"} */
  lang: Lang;
  /** Log each chat message on the console, as the seed does. @default {true} */
  logMessages: boolean;
  /** Days of chat history kept. @default {30} */
  historyDays: number;
  /** Days of the audit log kept. @default {90} */
  auditDays: number;
  /** TLS settings, when TLS is on. @default {undefined} */
  tls: TlsConfig | undefined;
  /**
   * HTTP port of the browser page and its WebSocket, or `undefined` with
   * `--no-web`; 0 picks a free one. @default {5080}
   */
  webPort: number | undefined;
  /**
   * File sharing, or `undefined` with `--no-files` or `--no-web` (its
   * bytes travel over the web port).
   */
  files: FilesConfig | undefined;
}

/** Where shared files are kept and how much they may take. */
export interface FilesConfig {
  /** Their folder. @default {next to the database: `tcpchat-files`} */
  dir: string;
  /** Largest file. @default {100 MiB} */
  maxFileBytes: number;
  /** Bytes one account's files may take. @default {1 GiB} */
  quotaBytes: number;
  /** Free disk kept: uploads are refused below it. @default {512 MiB} */
  minFreeBytes: number;
  /** Days a file is kept. @default {as history} */
  retentionDays: number;
}

/** Where the TLS certificate comes from and where TLS listens. */
export interface TlsConfig {
  /** PEM files given by the operator; absent: self-signed next to the db. */
  certFile: string | undefined;
  keyFile: string | undefined;
  /** TLS port. @default {5001} */
  port: number;
  /** Serve only `CERT` on the plain port. @default {false} */
  requireTls: boolean;
}

/** What the command line asks for. */
export type ServerCommand =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "serve"; config: ServerConfig }
  | {
    kind: "operator";
    name: OperatorCommandName;
    args: string[];
    config: ServerConfig;
  };

/** Operator subcommands that work on the database, also beside a running server. */
export const OPERATOR_COMMANDS = {
  "reset-token": 1,
  "users": 0,
  "import-credentials": 1,
  "delete-user": 1,
  "grant-admin": 1,
  "revoke-admin": 1,
} as const;

/** Name of an operator subcommand. */
export type OperatorCommandName = keyof typeof OPERATOR_COMMANDS;

/** Environment variable for each flag. */
export const ENV_VARS = {
  host: "TCPCHAT_HOST",
  port: "TCPCHAT_PORT",
  db: "TCPCHAT_DB",
  "max-clients": "TCPCHAT_MAX_CLIENTS",
  "max-per-address": "TCPCHAT_MAX_PER_ADDRESS",
  "no-loopback-exemption": "TCPCHAT_NO_LOOPBACK_EXEMPTION",
  "min-password-length": "TCPCHAT_MIN_PASSWORD_LENGTH",
  lang: "TCPCHAT_LANG",
  quiet: "TCPCHAT_QUIET",
  "history-days": "TCPCHAT_HISTORY_DAYS",
  "audit-days": "TCPCHAT_AUDIT_DAYS",
  tls: "TCPCHAT_TLS",
  "tls-cert": "TCPCHAT_TLS_CERT",
  "tls-key": "TCPCHAT_TLS_KEY",
  "tls-port": "TCPCHAT_TLS_PORT",
  "require-tls": "TCPCHAT_REQUIRE_TLS",
  "web-port": "TCPCHAT_WEB_PORT",
  "no-web": "TCPCHAT_NO_WEB",
  "files-dir": "TCPCHAT_FILES_DIR",
  "max-file-size": "TCPCHAT_MAX_FILE_SIZE",
  "file-quota": "TCPCHAT_FILE_QUOTA",
  "min-free-disk": "TCPCHAT_MIN_FREE_DISK",
  "file-days": "TCPCHAT_FILE_DAYS",
  "no-files": "TCPCHAT_NO_FILES",
} as const;

/** Usage text for `--help` and flag errors. */
export const SERVER_USAGE = `用法 / Usage:
  tcpchat-server [options]                  start the chat server
  tcpchat-server reset-token <user>         issue a password reset token for <user>
  tcpchat-server users                      list accounts (created, last seen)
  tcpchat-server import-credentials <file>  import the old program's credentials.json
  tcpchat-server delete-user <user>         delete an account
  tcpchat-server grant-admin <user>         give <user> the administrator role
  tcpchat-server revoke-admin <user>        take the administrator role away

Options (each also settable by the environment variable shown):
  --host <addr>              listen address (default 0.0.0.0)          TCPCHAT_HOST
  --port <n>                 TCP port, 0 picks a free one (default 5000) TCPCHAT_PORT
  --db <file>                SQLite database (default ./tcpchat.db)    TCPCHAT_DB
  --max-clients <n>          concurrent connections (default 10000)    TCPCHAT_MAX_CLIENTS
  --max-per-address <n>      connections per address (default 16)      TCPCHAT_MAX_PER_ADDRESS
  --no-loopback-exemption    apply the per-address cap to 127.0.0.1/::1 too
                                                                       TCPCHAT_NO_LOOPBACK_EXEMPTION=1
  --min-password-length <n>  minimum password length (default 8)       TCPCHAT_MIN_PASSWORD_LENGTH
  --lang zh|en               console and reply language (default zh)   TCPCHAT_LANG (or LANG=en_*)
  --history-days <n>         days of chat history kept (default 30)    TCPCHAT_HISTORY_DAYS
  --audit-days <n>           days of the security audit log kept (default 90)
                                                                       TCPCHAT_AUDIT_DAYS
  --quiet                    do not log each chat message              TCPCHAT_QUIET=1
  --tls                      also serve TLS, with a self-signed certificate kept next to the database
                                                                       TCPCHAT_TLS=1
  --tls-cert <pem> --tls-key <pem>
                             serve TLS with this certificate and key   TCPCHAT_TLS_CERT, TCPCHAT_TLS_KEY
  --tls-port <n>             TLS port (default 5001)                   TCPCHAT_TLS_PORT
  --require-tls              plain port serves only the certificate    TCPCHAT_REQUIRE_TLS=1
  --web-port <n>             browser page and its WebSocket, 0 picks a free one (default 5080;
                             HTTPS with --tls)                         TCPCHAT_WEB_PORT
  --no-web                   do not serve the browser page (nor files) TCPCHAT_NO_WEB=1
  --files-dir <dir>          shared files' folder (default: next to the database,
                             ./tcpchat-files for ./tcpchat.db)         TCPCHAT_FILES_DIR
  --max-file-size <size>     largest shared file (default 100M; K, M, G) TCPCHAT_MAX_FILE_SIZE
  --file-quota <size>        files one user may share in all (default 1G) TCPCHAT_FILE_QUOTA
  --min-free-disk <size>     refuse uploads when free disk falls under it (default 512M)
                                                                       TCPCHAT_MIN_FREE_DISK
  --file-days <n>            days shared files are kept (default: --history-days)
                                                                       TCPCHAT_FILE_DAYS
  --no-files                 turn file sharing off                     TCPCHAT_NO_FILES=1
  --help                     show this help
  --version                  show the version`;

/**
 * Parses server arguments and environment into a command.
 *
 * @throws {TypeError} for an unknown flag or a missing value (with
 * `code` `ERR_PARSE_ARGS_*` from `node:util`), or a bad subcommand.
 * @throws {RangeError} for a value out of range (e.g. a port of 70000).
 *
 * @example
 * ```ts
 * import { parseServerCommand } from "./server_config.ts";
 * import assert from "node:assert/strict";
 *
 * const command = parseServerCommand(["--port", "0"], () => undefined);
 * assert.equal(command.kind, "serve");
 * assert.equal(command.kind === "serve" && command.config.port, 0);
 * ```
 */
export function parseServerCommand(
  args: string[],
  env: (name: string) => string | undefined,
): ServerCommand {
  const { values, positionals } = parseArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      db: { type: "string" },
      "max-clients": { type: "string" },
      "max-per-address": { type: "string" },
      "no-loopback-exemption": { type: "boolean" },
      "min-password-length": { type: "string" },
      lang: { type: "string" },
      quiet: { type: "boolean" },
      "history-days": { type: "string" },
      "audit-days": { type: "string" },
      tls: { type: "boolean" },
      "tls-cert": { type: "string" },
      "tls-key": { type: "string" },
      "tls-port": { type: "string" },
      "require-tls": { type: "boolean" },
      "web-port": { type: "string" },
      "no-web": { type: "boolean" },
      "files-dir": { type: "string" },
      "max-file-size": { type: "string" },
      "file-quota": { type: "string" },
      "min-free-disk": { type: "string" },
      "file-days": { type: "string" },
      "no-files": { type: "boolean" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "V" },
    },
  });
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  const pick = (name: keyof typeof ENV_VARS): string | undefined => {
    const flag = (values as Record<string, string | boolean | undefined>)[name];
    if (typeof flag === "string") return flag;
    const fromEnv = env(ENV_VARS[name]);
    return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
  };
  const flagOrEnvBool = (name: keyof typeof ENV_VARS): boolean => {
    const flag = (values as Record<string, string | boolean | undefined>)[name];
    if (flag === true) return true;
    const fromEnv = env(ENV_VARS[name]);
    return fromEnv !== undefined && /^(1|true|yes|on)$/i.test(fromEnv.trim());
  };

  const langChoice = pick("lang");
  const lang = resolveLang(langChoice, env("LC_ALL") || env("LANG"));
  if (lang === undefined) {
    throw configError(RangeError, "configBadLang", { lang: langChoice ?? "" });
  }
  const host = pick("host") ?? "0.0.0.0";
  if (host.trim() === "" || /\s/.test(host)) {
    throw configError(RangeError, "configBadHost", { host });
  }
  const db = pick("db") ?? "./tcpchat.db";
  const historyDays = integer(
    "history-days",
    pick("history-days"),
    30,
    1,
    36500,
  );
  const web = webPort(pick, flagOrEnvBool, values["web-port"]);
  const config: ServerConfig = {
    host,
    port: integer("port", pick("port"), 5000, 0, 65535),
    db,
    maxClients: integer(
      "max-clients",
      pick("max-clients"),
      10_000,
      1,
      1_000_000,
    ),
    maxPerAddress: integer(
      "max-per-address",
      pick("max-per-address"),
      16,
      1,
      1_000_000,
    ),
    exemptLoopback: !flagOrEnvBool("no-loopback-exemption"),
    minPasswordLength: integer(
      "min-password-length",
      pick("min-password-length"),
      8,
      1,
      256,
    ),
    lang,
    logMessages: !flagOrEnvBool("quiet"),
    historyDays,
    auditDays: integer("audit-days", pick("audit-days"), 90, 1, 36500),
    tls: tlsConfig(pick, flagOrEnvBool),
    webPort: web,
    files: filesConfig(pick, flagOrEnvBool, {
      db,
      historyDays,
      web: web !== undefined,
      given: FILE_FLAGS.filter((name) => values[name] !== undefined),
    }),
  };

  if (positionals.length === 0) return { kind: "serve", config };
  const [name, ...rest] = positionals as [string, ...string[]];
  if (!Object.hasOwn(OPERATOR_COMMANDS, name)) {
    throw configError(TypeError, "configUnknownCommand", { command: name });
  }
  const operator = name as OperatorCommandName;
  const arity = OPERATOR_COMMANDS[operator];
  if (rest.length !== arity) {
    throw configError(TypeError, "configArity", {
      command: operator,
      arity,
      arguments: arity === 1 ? "argument" : "arguments",
      count: rest.length,
    });
  }
  return { kind: "operator", name: operator, args: rest, config };
}

function tlsConfig(
  pick: (name: keyof typeof ENV_VARS) => string | undefined,
  flag: (name: keyof typeof ENV_VARS) => boolean,
): TlsConfig | undefined {
  const certFile = pick("tls-cert");
  const keyFile = pick("tls-key");
  const requireTls = flag("require-tls");
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw configError(RangeError, "configTlsPair");
  }
  const enabled = flag("tls") || certFile !== undefined;
  if (!enabled) {
    if (requireTls) {
      throw configError(RangeError, "configRequireTlsWithoutTls");
    }
    if (pick("tls-port") !== undefined) {
      throw configError(RangeError, "configTlsPortWithoutTls");
    }
    return undefined;
  }
  return {
    certFile,
    keyFile,
    port: integer("tls-port", pick("tls-port"), 5001, 0, 65535),
    requireTls,
  };
}

function webPort(
  pick: (name: keyof typeof ENV_VARS) => string | undefined,
  flag: (name: keyof typeof ENV_VARS) => boolean,
  webPortFlag: string | undefined,
): number | undefined {
  if (!flag("no-web")) {
    return integer("web-port", pick("web-port"), 5080, 0, 65535);
  }
  // Both on the command line: which one was meant is a guess. A
  // TCPCHAT_WEB_PORT in the environment is simply not used.
  if (webPortFlag !== undefined) {
    throw configError(RangeError, "configWebPortWithoutWeb");
  }
  return undefined;
}

/** The flags that set file sharing up. */
const FILE_FLAGS = [
  "files-dir",
  "max-file-size",
  "file-quota",
  "min-free-disk",
  "file-days",
] as const;

/**
 * The default folder of shared files: beside the database, named after it
 * (`./tcpchat.db` -> `./tcpchat-files`), so two databases never share one.
 */
export function defaultFilesDir(db: string): string {
  return join(dirname(db), `${basename(db, extname(db))}-files`);
}

function filesConfig(
  pick: (name: keyof typeof ENV_VARS) => string | undefined,
  flag: (name: keyof typeof ENV_VARS) => boolean,
  context: {
    db: string;
    historyDays: number;
    web: boolean;
    given: readonly string[];
  },
): FilesConfig | undefined {
  const off = flag("no-files") || !context.web;
  if (off) {
    // A file flag on the command line of a server that shares no files
    // means the operator expects something that will not happen.
    const given = context.given[0];
    if (given !== undefined) {
      throw configError(RangeError, "configFilesOff", {
        flag: `--${given}`,
        off: flag("no-files") ? "--no-files" : "--no-web",
      });
    }
    return undefined;
  }
  return {
    dir: pick("files-dir") ?? defaultFilesDir(context.db),
    maxFileBytes: byteSize("max-file-size", pick("max-file-size"), 100 * MIB),
    quotaBytes: byteSize("file-quota", pick("file-quota"), 1024 * MIB),
    minFreeBytes: byteSize(
      "min-free-disk",
      pick("min-free-disk"),
      512 * MIB,
      0,
    ),
    retentionDays: integer(
      "file-days",
      pick("file-days"),
      context.historyDays,
      1,
      36500,
    ),
  };
}

const MIB = 1024 * 1024;
const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  k: 1024,
  m: MIB,
  g: 1024 * MIB,
  t: 1024 * 1024 * MIB,
};

/**
 * A size in bytes: a whole number with an optional unit `K`, `M`, `G` or
 * `T` (powers of 1024, `KB`/`KiB`/`MB`… too), at least `min`.
 */
function byteSize(
  name: string,
  text: string | undefined,
  fallback: number,
  min = 1,
): number {
  if (text === undefined) return fallback;
  const match = /^(\d+)\s*([kmgt]?)(?:i?b)?$/i.exec(text.trim());
  const value = match === null
    ? NaN
    : Number(match[1]) * SIZE_UNITS[(match[2] as string).toLowerCase()]!;
  if (!Number.isSafeInteger(value) || value < min) {
    throw configError(RangeError, "configBadSize", { name, value: text });
  }
  return value;
}

function integer(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback;
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw configError(RangeError, "configBadInteger", {
      name,
      value: text,
      min,
      max,
    });
  }
  return value;
}

/** The catalog sentence of each error this module throws. */
const SENTENCES = new WeakMap<
  Error,
  { key: MessageKey; params: MessageParams }
>();

/** An error whose message is the English sentence; `describeConfigError` has the rest. */
function configError<E extends Error>(
  make: new (message: string) => E,
  key: MessageKey,
  params: MessageParams = {},
): E {
  const error = new make(t("en", key, params));
  SENTENCES.set(error, { key, params });
  return error;
}

/**
 * Says what is wrong with the command line in `lang`: an error thrown by
 * {@linkcode parseServerCommand}, including `node:util`'s parse errors.
 * Anything else gives its message.
 *
 * @example
 * ```ts
 * import { describeConfigError, parseServerCommand } from "./server_config.ts";
 * import assert from "node:assert/strict";
 *
 * try {
 *   parseServerCommand(["--port", "70000"], () => undefined);
 *   assert.fail("expected an error");
 * } catch (error) {
 *   assert.equal(
 *     describeConfigError(error, "zh"),
 *     '无法使用 --port "70000"：应为 0 到 65535 之间的整数',
 *   );
 * }
 * ```
 */
export function describeConfigError(error: unknown, lang: Lang): string {
  if (!(error instanceof Error)) return String(error);
  const sentence = SENTENCES.get(error);
  if (sentence !== undefined) return t(lang, sentence.key, sentence.params);
  const code = (error as { code?: unknown }).code;
  // node:util words these in English only; the option is the quoted part.
  const option = /'([^' ]+)/.exec(error.message)?.[1];
  if (option !== undefined) {
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
      return t(lang, "configUnknownOption", { option });
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      return t(
        lang,
        /does not take an argument/.test(error.message)
          ? "configUnexpectedValue"
          : "configMissingValue",
        { option },
      );
    }
  }
  return error.message;
}

/**
 * The language to report a bad command line in, before it is parsed:
 * `--lang`, then `TCPCHAT_LANG`, then the locale (`LC_ALL`, `LANG`); an
 * unknown choice is skipped.
 */
export function guessLang(
  args: string[],
  env: (name: string) => string | undefined,
): Lang {
  const locale = env("LC_ALL") || env("LANG");
  const choices: (string | undefined)[] = [];
  for (const [index, arg] of args.entries()) {
    if (arg === "--lang") choices.push(args[index + 1]);
    else if (arg.startsWith("--lang=")) choices.push(arg.slice(7));
  }
  choices.reverse().push(env(ENV_VARS.lang) || undefined);
  for (const choice of choices) {
    if (choice === undefined) continue;
    const lang = resolveLang(choice, locale);
    if (lang !== undefined) return lang;
  }
  return resolveLang(undefined, locale) ?? "zh";
}
