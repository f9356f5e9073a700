// deno-lint-ignore-file no-console -- the server's console is its user interface
/**
 * TCPChat server entry point: flags and environment, the startup lines,
 * signals, and the operator subcommands that work on the same database
 * (also while a server runs, thanks to WAL).
 *
 * @example
 * ```sh
 * deno task server --port 5000
 * deno run -A server.ts reset-token 小王
 * ```
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { AuthManager } from "./auth_manager.ts";
import {
  certificateFingerprint,
  loadOrCreateServerCertificate,
  localAddresses,
} from "./lib/tls_cert.ts";
import {
  type ChatServer,
  type ChatServerOptions,
  ListenError,
  startChatServer,
} from "./lib/chat_server.ts";
import { describeStoreError, type Lang, t } from "./lib/messages.ts";
import {
  describeConfigError,
  guessLang,
  type OperatorCommandName,
  parseServerCommand,
  SERVER_USAGE,
  type ServerCommand,
  type ServerConfig,
} from "./lib/server_config.ts";
import { OPEN_BUSY_TIMEOUT_MS, SqliteStore } from "./lib/sqlite_store.ts";
import { StoreError } from "./lib/store.ts";
import { formatClockTime, formatDateTime } from "./lib/time_format.ts";
import { normalizeUsername } from "./lib/username.ts";
import { VERSION } from "./lib/version.ts";

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
      log: (line) => console.log(line),
      signal: stop.signal,
    });
  } catch (error) {
    closeAfterFailedStart(store);
    const failed = error instanceof ListenError ? error : undefined;
    const port = failed?.port ?? config.port;
    const flag = failed?.listener === "tls" ? "--tls-port" : "--port";
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
  const wildcard = host === "0.0.0.0" || host === "::" || host === "";
  if (!wildcard || addresses.length === 0) return [];
  // An IPv4 listener is not reachable on the machine's IPv6 addresses.
  const usable = host === "0.0.0.0"
    ? addresses.filter((address) => !address.includes(":"))
    : addresses;
  if (usable.length === 0) return [];
  const list = usable
    .map((address) =>
      address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`
    )
    .join(", ");
  return [t(lang, "lanAddresses", { addresses: list })];
}

/**
 * The lock file `<db>.lock` that keeps a second server off a database while
 * one runs (two servers on one file collide on ids and sessions).
 *
 * The file is created atomically (`createNew`) and holds the owner's pid for
 * people to read. Whether it is stale is not judged by that pid (probing a
 * pid needs `--allow-run`, differs per OS, and pids are reused): the owner
 * also holds an exclusive OS lock on the open file for its whole life
 * (`FsFile.tryLockSync`: flock on Unix, LockFileEx on Windows), and the OS
 * drops that lock when the process ends, however it ends (a crash, kill -9).
 * So a lock file whose OS lock can be taken was left by a dead server and is
 * taken over; one whose lock is held belongs to a live one.
 *
 * Operator commands do not take this lock: they open the database directly
 * beside a running server (WAL), as before.
 */
class DatabaseLock implements Disposable {
  readonly path: string;
  #file: Deno.FsFile;
  #released = false;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /** The lock file of the database at `dbPath`. */
  static pathFor(dbPath: string): string {
    return `${dbPath}.lock`;
  }

  /**
   * Takes the lock of the database at `dbPath`.
   *
   * @returns the lock, or `undefined` when a running process holds it.
   * @throws {Error} when the lock file cannot be created or written.
   */
  static acquire(dbPath: string): DatabaseLock | undefined {
    const path = DatabaseLock.pathFor(dbPath);
    // A few rounds: the previous owner may remove its file between our open
    // and our lock (a shutdown racing this start).
    for (let round = 0; round < 5; round++) {
      let file: Deno.FsFile;
      try {
        file = Deno.openSync(path, {
          read: true,
          write: true,
          createNew: true,
          mode: 0o644,
        });
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
        try {
          file = Deno.openSync(path, { read: true, write: true });
        } catch (error) {
          if (error instanceof Deno.errors.NotFound) continue;
          throw error;
        }
      }
      let locked = false;
      try {
        locked = file.tryLockSync(true);
        if (locked && isSameFile(file, path)) {
          file.truncateSync(0);
          const bytes = new TextEncoder().encode(`${Deno.pid}\n`);
          for (let at = 0; at < bytes.length;) {
            at += file.writeSync(bytes.subarray(at));
          }
          return new DatabaseLock(path, file);
        }
      } catch (error) {
        file.close();
        throw error;
      }
      file.close();
      if (!locked) return undefined;
    }
    throw new Error(
      "the lock file keeps changing; is another server starting?",
    );
  }

  /** Removes the lock file and releases the lock; later calls do nothing. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    // Removed while still locked, so nobody takes over a file on its way out.
    try {
      Deno.removeSync(this.path);
    } catch {
      // Removed by hand: nothing left to clean up.
    }
    this.#file.close();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/** Whether `path` still names the open `file` (not removed or replaced). */
function isSameFile(file: Deno.FsFile, path: string): boolean {
  let named: Deno.FileInfo;
  try {
    named = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  const open = file.statSync();
  // Without inode numbers (some Windows file systems) trust the open.
  if (open.ino === null || named.ino === null) return true;
  return open.ino === named.ino && open.dev === named.dev;
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
  try {
    switch (name) {
      case "reset-token": {
        const user = args[0] ?? "";
        const delivery = await auth.issueResetTokenForOperator(user);
        if (delivery === undefined) {
          console.error(t(lang, "opNoSuchUser", { user }));
          return 1;
        }
        console.log(t(lang, "logResetToken", {
          username: delivery.username,
          token: delivery.token,
          expires: formatClockTime(delivery.expiresAt),
        }));
        console.log(t(lang, "opResetTokenHowTo"));
        return 0;
      }
      case "users": {
        const accounts = await store.listAccounts();
        console.log(t(lang, "opUsersHeader", { count: accounts.length }));
        for (const account of accounts) {
          const lastSeen = account.lastSeenAt === null
            ? "-"
            : formatDateTime(account.lastSeenAt);
          console.log(
            `  ${account.username.padEnd(20)} ${
              formatDateTime(account.createdAt)
            }  ${lastSeen.padEnd(16)}${account.isAdmin ? "  admin" : ""}`,
          );
        }
        return 0;
      }
      case "import-credentials": {
        const file = args[0] ?? "";
        let text: string;
        try {
          text = await Deno.readTextFile(file);
        } catch (error) {
          console.error(
            t(lang, "opCannotRead", { file, reason: (error as Error).message }),
          );
          return 1;
        }
        let report;
        try {
          report = await auth.importLegacyCredentials(text);
        } catch (error) {
          console.error(
            t(lang, "opCannotRead", { file, reason: (error as Error).message }),
          );
          return 1;
        }
        console.log(t(lang, "opImported", { count: report.imported.length }));
        for (const user of report.imported) console.log(`  + ${user}`);
        if (report.skipped.length > 0) {
          console.log(t(lang, "opSkipped", { count: report.skipped.length }));
          for (const skip of report.skipped) console.log(`  - ${skip.reason}`);
        }
        return 0;
      }
      case "grant-admin":
      case "revoke-admin": {
        const user = args[0] ?? "";
        const key = normalizeUsername(user, { allowReserved: true });
        const account = key.ok ? await store.getAccount(key.key) : undefined;
        const grant = name === "grant-admin";
        if (account === undefined) {
          console.error(t(lang, "opNoSuchUser", { user }));
          return 1;
        }
        await store.setAdmin(account.usernameKey, grant, {
          at: Date.now(),
          event: grant ? "admin_granted" : "admin_revoked",
          username: account.username,
          address: "operator",
          detail: null,
        });
        console.log(
          t(lang, grant ? "opAdminGranted" : "opAdminRevoked", {
            user: account.username,
          }),
        );
        return 0;
      }
      case "delete-user": {
        const user = args[0] ?? "";
        const deleted = await auth.deleteAccountAsOperator(user);
        if (deleted === undefined) {
          console.error(t(lang, "opNoSuchUser", { user }));
          return 1;
        }
        console.log(t(lang, "opDeleted", { user: deleted }));
        return 0;
      }
    }
  } catch (error) {
    return reportStoreError(lang, error);
  }
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
