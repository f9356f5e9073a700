/**
 * The embedded SQLite implementation of {@linkcode AccountStore} and
 * {@linkcode ChatStore}, on
 * `node:sqlite`. One file, WAL mode with `synchronous=FULL`, migrations by
 * `PRAGMA user_version`, and a refusal (never a silent reset) for any file it
 * does not understand.
 *
 * This file opens, closes and backs up the file and composes the parts:
 * `schema.ts` (migrations and the checks before the first write),
 * `connection.ts` (statement cache, transactions, error wrapping),
 * `sqlite_accounts.ts`, `sqlite_chat.ts`, `sqlite_files.ts`,
 * `sqlite_reads.ts` and `sqlite_avatars.ts` (the contracts).
 *
 * @module
 */

import { backup as sqliteBackup, DatabaseSync } from "node:sqlite";
import {
  type AccountStore,
  type AvatarStore,
  type ChatStore,
  type FileStore,
  type ReadStore,
  StoreError,
} from "../store.ts";
import { checkAndMigrate } from "./schema.ts";
import {
  isSqliteFailure,
  SqliteConnection,
  toStoreError,
} from "./connection.ts";
import { SqliteAccounts } from "./sqlite_accounts.ts";
import { SqliteChat } from "./sqlite_chat.ts";
import { SqliteFiles } from "./sqlite_files.ts";
import { SqliteReads } from "./sqlite_reads.ts";
import { SqliteAvatars } from "./sqlite_avatars.ts";

export { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from "./schema.ts";

/**
 * How long a statement of a serving store waits for another connection's
 * write lock before failing with `locked` (see
 * {@linkcode SqliteStoreOptions.busyTimeoutMs}). node:sqlite is synchronous:
 * while SQLite waits, the whole event loop waits, so every client of the
 * server freezes (issue 13: a PING took 1.9 s at the old 2 s). 10 ms rides
 * out a commit of a short operator command without a noticeable stall; a
 * longer hold makes the write fail fast, and callers retry (history) or tell
 * the user to try again.
 */
export const SERVING_BUSY_TIMEOUT_MS = 10;

/**
 * Default for {@linkcode SqliteStoreOptions.openBusyTimeoutMs}, and what a
 * one-shot operator command, which serves nobody, waits on each statement.
 */
export const OPEN_BUSY_TIMEOUT_MS = 2000;

/** Options for {@linkcode SqliteStore.open}. */
export interface SqliteStoreOptions {
  /**
   * How long each statement after the open waits for another connection's
   * write lock before failing with a `locked` {@linkcode StoreError}. The
   * wait blocks the event loop, so a server keeps it short; an operator
   * command may pass {@linkcode OPEN_BUSY_TIMEOUT_MS}.
   * @default {SERVING_BUSY_TIMEOUT_MS}
   */
  busyTimeoutMs?: number;
  /**
   * How long opening (integrity check, WAL switch, migrations) waits for
   * another connection's lock: nobody is being served yet, so it may wait.
   * @default {OPEN_BUSY_TIMEOUT_MS}
   */
  openBusyTimeoutMs?: number;
  /**
   * Whether a missing file is created. With `false` a missing file is an
   * error (`cannot_open`) and nothing is created, as operator commands need.
   * @default {true}
   */
  create?: boolean;
}

/**
 * {@linkcode AccountStore} and {@linkcode ChatStore} on one SQLite file: opens
 * and migrates it, and hands each call to its account or chat half on one
 * shared connection. The contract methods are those halves' own (see the
 * contracts in store.ts for what each does), bound by {@linkcode delegate}.
 */
export interface SqliteStore
  extends AccountStore, ChatStore, FileStore, ReadStore, AvatarStore {}

/** See the interface of the same name. */
export class SqliteStore implements Disposable {
  /** The database file path (or `:memory:`). */
  readonly path: string;
  #db: SqliteConnection;
  /**
   * Whether this open created the file (it did not exist before), so that a
   * caller whose start then fails can remove it again.
   */
  readonly created: boolean;

  private constructor(path: string, db: DatabaseSync, created: boolean) {
    this.path = path;
    this.#db = new SqliteConnection(path, db);
    this.created = created;
    delegate(this, new SqliteAccounts(this.#db));
    delegate(this, new SqliteChat(this.#db));
    delegate(this, new SqliteFiles(this.#db));
    delegate(this, new SqliteReads(this.#db));
    delegate(this, new SqliteAvatars(this.#db));
  }

  /**
   * Opens (creating if absent) and migrates the database at `path`.
   *
   * @throws {StoreError} when the file cannot be opened, is not a SQLite
   * database, belongs to another program, is corrupt, is locked, or has a
   * newer schema than this build understands. The file is left untouched.
   * @throws {RangeError} if a busy timeout is not an integer of 0 or more.
   */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    const openTimeout = busyTimeout(
      options.openBusyTimeoutMs ?? OPEN_BUSY_TIMEOUT_MS,
    );
    const servingTimeout = busyTimeout(
      options.busyTimeoutMs ?? SERVING_BUSY_TIMEOUT_MS,
    );
    const existed = path === ":memory:" || fileExists(path);
    if (!existed && options.create === false) {
      throw new StoreError(
        "cannot_open",
        path,
        `Cannot open database "${path}": the file does not exist`,
      );
    }
    const created = !existed && createPrivateFile(path);
    let db: DatabaseSync | undefined;
    try {
      db = new DatabaseSync(path, { enableForeignKeyConstraints: true });
      db.exec(`PRAGMA busy_timeout = ${openTimeout}`);
      checkAndMigrate(db, path);
      db.exec(`PRAGMA busy_timeout = ${servingTimeout}`);
      return new SqliteStore(path, db, !existed);
    } catch (error) {
      db?.close();
      // Only a file this call created (still empty) is removed; an existing
      // file is never touched.
      if (created) removeIfEmpty(path);
      throw error instanceof StoreError ? error : toStoreError(error, path);
    }
  }

  /** Closes the database; later calls do nothing. */
  close(): void {
    this.#db.close();
  }

  /** Same as {@linkcode close}. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Writes a consistent copy of the live database to `destination` through
   * SQLite's online backup API (never a file copy, which can tear a WAL
   * database). `VACUUM INTO` would do too, but Deno forbids the ATTACH it
   * needs unless every permission is granted.
   *
   * @throws {StoreError} if `destination` exists and is not empty: a backup
   * never overwrites a file.
   */
  async backup(destination: string): Promise<void> {
    let size = 0;
    try {
      size = (await Deno.stat(destination)).size;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    if (size > 0) {
      throw new StoreError(
        "cannot_open",
        destination,
        `Cannot back up to "${destination}": the file exists; choose a new file`,
      );
    }
    // The copy holds password hashes: create it 0600 before SQLite fills it.
    createPrivateFile(destination);
    try {
      await sqliteBackup(this.#db.database, destination);
    } catch (error) {
      throw isSqliteFailure(error) ? toStoreError(error, destination) : error;
    }
  }
}

/**
 * Gives `target` every public method of `half`'s class, bound to `half`: the
 * whole contract the half implements, without restating each signature.
 */
function delegate(
  target: object,
  half: SqliteAccounts | SqliteChat | SqliteFiles | SqliteReads | SqliteAvatars,
): void {
  const methods = Object.getPrototypeOf(half) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(methods)) {
    const method = methods[name];
    if (name === "constructor" || typeof method !== "function") continue;
    Object.defineProperty(target, name, {
      value: method.bind(half),
      configurable: true,
      writable: true,
    });
  }
}

/** Creates `path` with mode 0600 if it does not exist (Unix only). */
function createPrivateFile(path: string): boolean {
  // Deno.chmod throws on Windows and a new file there inherits the folder's
  // ACL, so only Unix gets an explicit mode.
  if (Deno.build.os === "windows") return false;
  try {
    Deno.openSync(path, { write: true, createNew: true, mode: 0o600 }).close();
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.AlreadyExists) return false;
    throw new StoreError(
      "cannot_open",
      path,
      `Cannot create database "${path}": ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Checks a busy timeout: only a whole number of ms may reach the PRAGMA. */
function busyTimeout(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new RangeError(
      `Cannot open database: a busy timeout must be an integer of 0 or more, got ${ms}`,
    );
  }
  return ms;
}

function fileExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    // Anything else (a permission problem) is for the open to report.
    return true;
  }
}

function removeIfEmpty(path: string): void {
  try {
    if (Deno.statSync(path).size === 0) Deno.removeSync(path);
  } catch {
    // Best effort: the open error is what the caller needs to see.
  }
}
