// deno-lint-ignore-file no-console -- the server's console is its user interface
/**
 * TCPChat server entry point: flags and environment, the startup lines,
 * signals, and the operator subcommands that work on the same database
 * (through the running server's control channel while one holds it).
 *
 * @example
 * ```sh
 * deno task server --port 5000
 * deno run -A server.ts reset-token 小王
 * ```
 *
 * @module
 */

import { formatBytes } from "./lib/shared/file_names.ts";
import { dirname, resolve } from "node:path";
import { AuthManager } from "./lib/server/auth/auth_manager.ts";
import {
  certificateFingerprint,
  loadOrCreateServerCertificate,
  localAddresses,
} from "./lib/server/net/tls_cert.ts";
import {
  type ChatServer,
  type ChatServerOptions,
  ListenError,
  startChatServer,
} from "./lib/server/net/chat_server.ts";
import {
  ControlChannelError,
  controlFilePath,
  type ControlLine,
  type ControlListener,
  type ControlReply,
  newControlSecret,
  readControlFile,
  removeControlFile,
  sendControlRequest,
  startControlListener,
  writeControlFile,
} from "./lib/server/control/control_channel.ts";
import { type Lang, matchLang, t } from "./lib/shared/messages.ts";
import { describeStoreError } from "./lib/store/describe_store_error.ts";
import {
  type OperatorOutput,
  type OperatorRequest,
  runOperatorRequest,
} from "./lib/server/control/operator_commands.ts";
import {
  describeConfigError,
  guessLang,
  OPERATOR_COMMANDS,
  type OperatorCommandName,
  parseServerCommand,
  SERVER_USAGE,
  type ServerCommand,
  type ServerConfig,
} from "./lib/server/server_config.ts";
import { DatabaseLock } from "./lib/server/control/database_lock.ts";
import {
  OPEN_BUSY_TIMEOUT_MS,
  SqliteStore,
} from "./lib/store/sqlite/sqlite_store.ts";
import { StoreError } from "./lib/store/store.ts";
import { VERSION } from "./lib/shared/version.ts";

export { type ChatServer, type ChatServerOptions, startChatServer };

/** Options for {@linkcode startServer}: chat options plus a database path. */
export interface ServerOptions extends Omit<ChatServerOptions, "store"> {
  /** SQLite database file. @default {"./tcpchat.db"} */
  db?: string;
}

/**
 * Opens the database and starts serving, as `deno task server` does.
 *
 * @throws {StoreError} when the database cannot be opened.
 * @throws {Deno.errors.AddrInUse} when the port is taken.
 */
export function startServer(options: ServerOptions = {}): ChatServer {
  const store = SqliteStore.open(options.db ?? "./tcpchat.db");
  try {
    return startChatServer({ ...options, store });
  } catch (error) {
    closeAfterFailedStart(store);
    throw error;
  }
}

/**
 * Closes the store of a start that failed (a port in use) and, if that start
 * created the database file, removes it again with its SQLite side files, so
 * a failed start leaves no empty database behind. A file that existed
 * before is never touched.
 */
function closeAfterFailedStart(store: SqliteStore): void {
  store.close();
  if (!store.created) return;
  for (const suffix of ["", "-wal", "-shm", "-journal"]) {
    try {
      Deno.removeSync(store.path + suffix);
    } catch {
      // Already gone (SQLite removes its side files at close), or not ours
      // to report: the start's own error is what the operator needs.
    }
  }
}

/** Runs the command line; resolves the process exit code. */
export async function main(args: string[]): Promise<number> {
  let command: ServerCommand;
  try {
    command = parseServerCommand(args, (name) => Deno.env.get(name));
  } catch (error) {
    const lang = guessLang(args, (name) => Deno.env.get(name));
    const reason = describeConfigError(error, lang);
    console.error(`${t(lang, "configError", { reason })}\n\n${SERVER_USAGE}`);
    return 2;
  }
  switch (command.kind) {
    case "help":
      console.log(SERVER_USAGE);
      return 0;
    case "version":
      console.log(`tcpchat-server ${VERSION}`);
      return 0;
    case "operator":
      return await runOperatorCommand(
        command.name,
        command.args,
        command.config,
      );
    case "serve":
      return await serve(command.config);
  }
}

async function serve(config: ServerConfig): Promise<number> {
  const lang = config.lang;
  let certificate: ServerCertificateInfo | undefined;
  try {
    certificate = config.tls === undefined
      ? undefined
      : await loadCertificate(config);
  } catch (error) {
    console.error(
      t(lang, "tlsCertError", { reason: (error as Error).message }),
    );
    return 1;
  }
  const dbPath = resolve(config.db);
  let lock: DatabaseLock | undefined;
  try {
    lock = DatabaseLock.acquire(dbPath);
  } catch (error) {
    console.error(
      t(lang, "lockFileError", {
        lock: DatabaseLock.pathFor(dbPath),
        reason: (error as Error).message,
      }),
    );
    return 1;
  }
  if (lock === undefined) {
    console.error(
      t(lang, "databaseInUse", {
        db: dbPath,
        lock: DatabaseLock.pathFor(dbPath),
      }),
    );
    return 1;
  }
  // Held until serve() returns, whichever way; removed then.
  using _lock = lock;
  let store: SqliteStore;
  try {
    store = SqliteStore.open(config.db);
  } catch (error) {
    return reportStoreError(lang, error);
  }
  const filesDir = config.files === undefined
    ? undefined
    : resolve(config.files.dir);
  // Made now, so a folder that cannot be used is reported before anyone
  // connects; removed again if the start fails and it was made here.
  const filesDirMade = filesDir !== undefined && !await exists(filesDir);
  if (filesDir !== undefined) {
    try {
      await Deno.mkdir(filesDir, { recursive: true });
    } catch (error) {
      closeAfterFailedStart(store);
      console.error(
        t(lang, "filesDirError", {
          dir: filesDir,
          reason: (error as Error).message,
        }),
      );
      return 1;
    }
  }
  const stop = new AbortController();
  let server: ChatServer;
  try {
    server = startChatServer({
      store,
      hostname: config.host,
      port: config.port,
      lang,
      maxClients: config.maxClients,
      maxPerAddress: config.maxPerAddress,
      exemptLoopback: config.exemptLoopback,
      minPasswordLength: config.minPasswordLength,
      logMessages: config.logMessages,
      historyDays: config.historyDays,
      auditDays: config.auditDays,
      tls: certificate === undefined ? undefined : {
        certPem: certificate.certPem,
        keyPem: certificate.keyPem,
        port: config.tls?.port,
      },
      requireTls: config.tls?.requireTls,
      webPort: config.webPort,
      files: config.files === undefined || filesDir === undefined
        ? undefined
        : { ...config.files, dir: filesDir },
      log: (line) => console.log(line),
      signal: stop.signal,
    });
  } catch (error) {
    closeAfterFailedStart(store);
    if (filesDirMade) await Deno.remove(filesDir!).catch(() => {});
    const failed = error instanceof ListenError ? error : undefined;
    const port = failed?.port ?? config.port;
    const flag = LISTENER_FLAGS[failed?.listener ?? "plain"];
    if (failed?.inUse ?? error instanceof Deno.errors.AddrInUse) {
      console.error(t(lang, "portInUse", { host: config.host, port, flag }));
    } else {
      const cause = failed?.cause ?? error;
      console.error(
        t(lang, "cannotListen", {
          host: config.host,
          port,
          flag,
          reason: cause instanceof Error ? cause.message : String(cause),
        }),
      );
    }
    return 1;
  }
  console.log(
    t(lang, "serverStarted", { host: config.host, port: server.addr.port }),
  );
  for (
    const line of lanAddressLines(
      lang,
      config.host,
      server.addr.port,
      localAddresses(),
    )
  ) console.log(line);
  if (server.webAddr !== undefined) {
    console.log(
      webAddressLine(
        lang,
        config.host,
        server.webAddr.port,
        server.tlsAddr !== undefined,
        localAddresses(),
      ),
    );
  }
  if (config.files !== undefined && filesDir !== undefined) {
    console.log(
      t(lang, "filesFolder", {
        dir: filesDir,
        max: formatBytes(config.files.maxFileBytes),
      }),
    );
  }
  console.log(t(lang, "serverWaiting"));
  if (server.tlsAddr !== undefined && certificate !== undefined) {
    if (certificate.createdPath !== undefined) {
      console.log(t(lang, "tlsCertCreated", { path: certificate.createdPath }));
    }
    console.log(
      t(lang, "tlsListening", { host: config.host, port: server.tlsAddr.port }),
    );
    console.log(
      t(lang, "tlsFingerprint", { fingerprint: certificate.fingerprint }),
    );
  }

  const control = startOperatorChannel(server, store, dbPath, lang);

  const onSignal = () => {
    console.log(`\n${t(lang, "serverStopping")}`);
    stop.abort();
  };
  // Windows delivers only SIGINT (Ctrl+C) and SIGBREAK (Ctrl+Break);
  // adding a SIGTERM listener there throws.
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM"];
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  try {
    await server.finished;
  } finally {
    for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
    if (control !== undefined) {
      removeControlFile(controlFilePath(dbPath));
      await control.close();
    }
  }
  console.log(t(lang, "serverStopped"));
  return 0;
}

/**
 * The lines that tell the host which addresses to read out to the others
 * (`[服务器] 局域网地址: 192.168.1.100:5000`), when the server listens on
 * every interface; none for a specific host or when no address is known.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lanAddressLines } from "./server.ts";
 *
 * assert.deepEqual(
 *   lanAddressLines("en", "0.0.0.0", 5000, ["192.168.1.100", "fd00::5"]),
 *   ["[Server] LAN address: 192.168.1.100:5000"],
 * );
 * ```
 */
export function lanAddressLines(
  lang: Lang,
  host: string,
  port: number,
  addresses: readonly string[],
): string[] {
  if (!isWildcard(host)) return [];
  const usable = reachableAddresses(host, addresses);
  if (usable.length === 0) return [];
  const list = usable
    .map((address) =>
      address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`
    )
    .join(", ");
  return [t(lang, "lanAddresses", { addresses: list })];
}

/** Whether `host` means every interface. */
function isWildcard(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "";
}

/** The machine's addresses a listener on the wildcard `host` is reachable at. */
function reachableAddresses(
  host: string,
  addresses: readonly string[],
): string[] {
  // An IPv4 listener is not reachable on the machine's IPv6 addresses.
  return host === "0.0.0.0"
    ? addresses.filter((address) => !address.includes(":"))
    : [...addresses];
}

/** The flag that sets each listener's port, for the error that names it. */
const LISTENER_FLAGS = {
  plain: "--port",
  tls: "--tls-port",
  web: "--web-port",
} as const;

/**
 * The line with the browser page's address(es), for the host to read out
 * (`[服务器] 网页版: http://192.168.1.100:5080`): the LAN addresses when the
 * server listens on every interface, else the address it listens on;
 * `localhost` when no other is known. `https` when TLS is on.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { webAddressLine } from "./server.ts";
 *
 * assert.equal(
 *   webAddressLine("zh", "0.0.0.0", 5080, false, ["192.168.1.100", "fd00::5"]),
 *   "[服务器] 网页版: http://192.168.1.100:5080",
 * );
 * assert.equal(
 *   webAddressLine("en", "::", 5080, true, ["fd00::5"]),
 *   "[Server] Web client: https://[fd00::5]:5080",
 * );
 * ```
 */
export function webAddressLine(
  lang: Lang,
  host: string,
  port: number,
  tls: boolean,
  addresses: readonly string[],
): string {
  const usable = isWildcard(host)
    ? reachableAddresses(host, addresses)
    : [host];
  if (usable.length === 0) usable.push("localhost");
  const scheme = tls ? "https" : "http";
  const urls = usable.map((address) =>
    `${scheme}://${address.includes(":") ? `[${address}]` : address}:${port}`
  );
  return t(lang, "webAddresses", { urls: urls.join("  ") });
}

interface ServerCertificateInfo {
  certPem: string;
  keyPem: string;
  fingerprint: string;
  /** Set when a self-signed certificate was made on this start. */
  createdPath: string | undefined;
}

/** The operator's PEM files, or a self-signed pair kept next to the database. */
async function loadCertificate(
  config: ServerConfig,
): Promise<ServerCertificateInfo> {
  const tls = config.tls!;
  if (tls.certFile !== undefined && tls.keyFile !== undefined) {
    const certPem = await Deno.readTextFile(tls.certFile);
    const keyPem = await Deno.readTextFile(tls.keyFile);
    return {
      certPem,
      keyPem,
      fingerprint: await certificateFingerprint(certPem),
      createdPath: undefined,
    };
  }
  const dir = dirname(resolve(config.db));
  const made = await loadOrCreateServerCertificate(dir, {
    ipAddresses: localAddresses(),
  });
  return {
    certPem: made.certPem,
    keyPem: made.keyPem,
    fingerprint: made.fingerprint,
    createdPath: made.created ? made.certPath : undefined,
  };
}

async function runOperatorCommand(
  name: OperatorCommandName,
  args: string[],
  config: ServerConfig,
): Promise<number> {
  const lang = config.lang;
  // Operator commands never create a database: a missing file is most
  // likely the wrong folder or --db, and an empty new one would hide that.
  const path = resolve(config.db);
  try {
    await Deno.stat(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    console.error(t(lang, "opNoDatabase", { path }));
    return 1;
  }
  console.error(t(lang, "opUsingDatabase", { path }));
  const request: OperatorRequest = { name, args };
  if (name === "import-credentials") {
    const file = args[0] ?? "";
    try {
      request.input = await Deno.readTextFile(file);
    } catch (error) {
      console.error(
        t(lang, "opCannotRead", { file, reason: (error as Error).message }),
      );
      return 1;
    }
  }
  let serverRunning: boolean;
  try {
    serverRunning = DatabaseLock.isHeld(path);
  } catch (error) {
    console.error(
      t(lang, "lockFileError", {
        lock: DatabaseLock.pathFor(path),
        reason: (error as Error).message,
      }),
    );
    return 1;
  }
  if (serverRunning) return await runThroughServer(path, request, lang);
  let store: SqliteStore;
  try {
    // One-shot: nobody else is served by this process, so waiting out a
    // running server's short commits is better than failing.
    store = SqliteStore.open(path, {
      create: false,
      busyTimeoutMs: OPEN_BUSY_TIMEOUT_MS,
    });
  } catch (error) {
    return reportStoreError(lang, error);
  }
  using _ = store;
  const auth = new AuthManager({
    store,
    minPasswordLength: config.minPasswordLength,
  });
  return await runOperatorRequest(
    { auth, store, lang, output: CONSOLE_OUTPUT },
    request,
  );
}

const CONSOLE_OUTPUT: OperatorOutput = {
  out: (line) => console.log(line),
  err: (line) => console.error(line),
};

/** How long an operator command waits for a starting server's control file. */
const CONTROL_FILE_WAIT_MS = 5_000;

/**
 * Sends an operator command to the server that holds the database, so its
 * live sessions see the change (a deleted user is disconnected at once).
 */
async function runThroughServer(
  dbPath: string,
  request: OperatorRequest,
  lang: Lang,
): Promise<number> {
  const file = controlFilePath(dbPath);
  console.error(t(lang, "opViaServer"));
  // A server that is starting holds the lock a moment before its file exists.
  let endpoint = readControlFile(file);
  for (
    const started = Date.now();
    endpoint === undefined && Date.now() - started < CONTROL_FILE_WAIT_MS;
    endpoint = readControlFile(file)
  ) await new Promise((done) => setTimeout(done, 100));
  if (endpoint === undefined) {
    console.error(t(lang, "opControlMissing", { file }));
    return 1;
  }
  let reply: ControlReply;
  try {
    reply = await sendControlRequest(endpoint, {
      command: request.name,
      args: [...request.args],
      lang,
      ...(request.input === undefined ? {} : { input: request.input }),
    });
  } catch (error) {
    if (!(error instanceof ControlChannelError)) throw error;
    console.error(
      t(lang, "opControlFailed", { file, reason: error.message }),
    );
    return 1;
  }
  for (const line of reply.lines) {
    if (line.stream === "err") console.error(line.text);
    else console.log(line.text);
  }
  return reply.exitCode;
}

/**
 * Serves the control channel for `server`: operator commands run against
 * the server's own AuthManager, so they reach its live sessions.
 */
function startOperatorChannel(
  server: ChatServer,
  store: SqliteStore,
  dbPath: string,
  lang: Lang,
): ControlListener | undefined {
  const secret = newControlSecret();
  let listener: ControlListener;
  try {
    listener = startControlListener({
      secret,
      handle: async (request) => {
        const lines: ControlLine[] = [];
        const name = request.command as OperatorCommandName;
        const known = Object.hasOwn(OPERATOR_COMMANDS, name) &&
          OPERATOR_COMMANDS[name] === request.args.length;
        if (!known) {
          return {
            exitCode: 2,
            lines: [{
              stream: "err",
              text: t(lang, "opControlUnknown", { command: request.command }),
            }],
          };
        }
        console.log(t(lang, "logOperatorCommand", {
          command: [name, ...request.args].join(" "),
        }));
        const exitCode = await runOperatorRequest({
          auth: server.auth,
          store,
          lang: matchLang(request.lang) ?? lang,
          output: {
            out: (text) => lines.push({ stream: "out", text }),
            err: (text) => lines.push({ stream: "err", text }),
          },
        }, {
          name,
          args: request.args,
          ...(request.input === undefined ? {} : { input: request.input }),
        });
        return { exitCode, lines };
      },
    });
  } catch (error) {
    console.error(
      t(lang, "controlUnavailable", { reason: (error as Error).message }),
    );
    return undefined;
  }
  try {
    writeControlFile(controlFilePath(dbPath), { port: listener.port, secret });
  } catch (error) {
    void listener.close();
    console.error(
      t(lang, "controlUnavailable", { reason: (error as Error).message }),
    );
    return undefined;
  }
  return listener;
}

function reportStoreError(lang: Lang, error: unknown): number {
  if (error instanceof StoreError) {
    console.error(
      t(lang, "databaseError", { reason: describeStoreError(error, lang) }),
    );
    return 1;
  }
  throw error;
}

if (import.meta.main) Deno.exit(await main(Deno.args));

/** Whether something exists at `path`. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
