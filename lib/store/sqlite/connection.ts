/**
 * One open `node:sqlite` connection of the SQLite store, shared by its
 * account and chat parts: the prepared-statement cache, transactions, and
 * the error wrapper that turns lock, corruption and I/O failures into
 * {@linkcode StoreError}s.
 *
 * @module
 */

import { boundedAuditEntry } from "../audit_fields.ts";
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { type AuditEntry, StoreError } from "../store.ts";

/**
 * A connection to one SQLite file. Every public method of the store runs
 * its statements through {@linkcode SqliteConnection.run} or
 * {@linkcode SqliteConnection.transaction}, so it resolves or rejects and
 * never throws.
 */
export class SqliteConnection {
  /** The database file path (or `:memory:`). */
  readonly path: string;
  readonly #db: DatabaseSync;
  /**
   * Prepared statements by SQL text. Every SQL string the store runs is a
   * constant or one of a few fixed variants (see `listAudit` and
   * `roomHistory`), so the map stays small.
   */
  #statements = new Map<string, StatementSync>();
  #closed = false;

  /** Wraps the open `db` of the file at `path`. */
  constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.#db = db;
  }

  /** The underlying connection, for SQLite's online backup. */
  get database(): DatabaseSync {
    return this.#db;
  }

  /** Closes the connection; later calls do nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    // Closing finalizes every statement; none may be handed out afterwards.
    this.#statements.clear();
    this.#db.close();
  }

  /**
   * The prepared statement for `sql`, prepared on first use and reused after
   * (node:sqlite resets a statement after each `run`, `get` and `all`). Only
   * for SQL from a fixed set of strings: the cache is never evicted.
   */
  statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  /**
   * Runs `body` inside BEGIN IMMEDIATE ... COMMIT. The promise settles after
   * COMMIT returned (with `synchronous=FULL`, after the WAL was synced).
   */
  transaction<T>(body: () => T): Promise<T> {
    return this.run(() => {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const result = body();
        this.#db.exec("COMMIT");
        return result;
      } catch (error) {
        if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
        throw error;
      }
    });
  }

  /**
   * Runs one synchronous statement group and turns any throw into a
   * rejection; lock, corruption and I/O failures become {@linkcode StoreError}.
   */
  run<T>(body: () => T): Promise<T> {
    try {
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(
        isSqliteFailure(error) ? toStoreError(error, this.path) : error,
      );
    }
  }

  /**
   * Ends a write that is audited only when it changed something: appends
   * `audit` if `changed`, and returns `changed`.
   */
  auditIf(changed: boolean, audit: AuditEntry): boolean {
    if (changed) this.insertAudit(audit);
    return changed;
  }

  /**
   * Appends one audit entry, bounded and sanitized, in the caller's
   * transaction if there is one.
   */
  insertAudit(raw: AuditEntry): void {
    // Peers choose the names and details: store bounded, sanitized text.
    const entry = boundedAuditEntry(raw);
    this.statement(
      "INSERT INTO audit_log (at, event, username, address, detail) VALUES (?, ?, ?, ?, ?)",
    ).run(entry.at, entry.event, entry.username, entry.address, entry.detail);
  }
}

/** Whether `error` is a lock, corruption or I/O failure of SQLite. */
export function isSqliteFailure(error: unknown): boolean {
  return error instanceof Error &&
    (error as { code?: unknown }).code === "ERR_SQLITE_ERROR" &&
    /locked|busy|malformed|corrupt|disk I\/O|not a database|readonly|full/i
      .test(error.message);
}

/** The {@linkcode StoreError} for a SQLite failure on the file at `path`. */
export function toStoreError(error: unknown, path: string): StoreError {
  const message = error instanceof Error ? error.message : String(error);
  if (/not a database/i.test(message)) {
    return new StoreError(
      "not_a_database",
      path,
      `Cannot open database "${path}": the file is not a SQLite database; move it aside or choose another file with --db`,
      { cause: error },
    );
  }
  if (/malformed|corrupt/i.test(message)) {
    return new StoreError(
      "corrupt",
      path,
      `Cannot open database "${path}": the file is corrupt; restore it from a backup or move it aside to start a new one`,
      { cause: error },
    );
  }
  if (/locked|busy/i.test(message)) {
    return new StoreError(
      "locked",
      path,
      `Cannot use database "${path}": it is locked by another process; stop that process or wait and retry`,
      { cause: error },
    );
  }
  return new StoreError(
    "cannot_open",
    path,
    `Cannot open database "${path}": ${message}`,
    { cause: error },
  );
}
