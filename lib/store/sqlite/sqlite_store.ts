/**
 * The embedded SQLite implementation of {@linkcode AccountStore} and
 * {@linkcode ChatStore}, on
 * `node:sqlite`. One file, WAL mode with `synchronous=FULL`, migrations by
 * `PRAGMA user_version`, and a refusal (never a silent reset) for any file it
 * does not understand.
 *
 * @module
 */

import { boundedAuditEntry } from "../audit_fields.ts";
import { confusableSkeleton } from "../../shared/confusables.ts";
import {
  backup as sqliteBackup,
  DatabaseSync,
  type SQLInputValue,
  type StatementSync,
} from "node:sqlite";
import {
  type AccountRecord,
  type AccountStore,
  type AuditEntry,
  type AuditEventType,
  type AuditQuery,
  type ChatStore,
  type HistoryPage,
  type HistoryQuery,
  type Mute,
  type NewAccount,
  type NewResumeToken,
  type QueueOfflineResult,
  type RecordLogoutOptions,
  type RedeemResult,
  type StoredMessage,
  StoreError,
} from "../store.ts";

/** `PRAGMA application_id` marking a file as ours ("TCPC"). */
export const APPLICATION_ID = 0x54435043;

/** Schema version this build writes; files with a higher one are refused. */
export const SCHEMA_VERSION = 4;

/**
 * Ordered migrations; entry `i` upgrades `user_version` i to i+1. Exported so
 * tests can build a database as an older version wrote it. Never edit an
 * entry that has shipped: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    recovery_code_hash TEXT UNIQUE,
    is_admin INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER,
    password_changed_at INTEGER NOT NULL
  );
  CREATE TABLE reset_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX reset_tokens_account ON reset_tokens(account_id);
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    event TEXT NOT NULL,
    username TEXT,
    address TEXT,
    detail TEXT
  );
  CREATE INDEX audit_log_username ON audit_log(username);
  `,
  `
  CREATE TABLE resume_tokens (
    token_hash TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX resume_tokens_account ON resume_tokens(account_id);
  `,
  `
  ALTER TABLE accounts ADD COLUMN status TEXT NOT NULL DEFAULT '';
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    room TEXT,
    sender TEXT NOT NULL,
    recipient TEXT,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
  );
  CREATE INDEX messages_room ON messages(room, id);
  CREATE INDEX messages_created_at ON messages(created_at);
  CREATE TABLE offline_queue (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    recipient_account_id INTEGER NOT NULL
      REFERENCES accounts(id) ON DELETE CASCADE,
    queued_at INTEGER NOT NULL
  );
  CREATE INDEX offline_queue_recipient
    ON offline_queue(recipient_account_id, message_id);
  CREATE TABLE mutes (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    until INTEGER NOT NULL,
    reason TEXT,
    "by" TEXT
  );
  `,
  // Filled by MIGRATION_FILLS[3]. Not unique: names that already look alike
  // stay; only new look-alikes are refused (see createAccount).
  `
  ALTER TABLE accounts ADD COLUMN username_skeleton TEXT;
  CREATE INDEX accounts_username_skeleton ON accounts(username_skeleton);
  `,
];

/**
 * Steps of a migration that SQL alone cannot do, run after `MIGRATIONS[i]`
 * in the same transaction. A change to the look-alike table in
 * `confusables.ts` needs a new migration that runs {@linkcode fillSkeletons}
 * again, since stored skeletons would be stale.
 */
const MIGRATION_FILLS: Readonly<Record<number, (db: DatabaseSync) => void>> = {
  3: fillSkeletons,
};

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

/** Account columns aliased to camelCase, so rows map straight onto records. */
const ACCOUNT_COLUMNS = `id, username, username_key AS usernameKey,
  password_hash AS passwordHash, recovery_code_hash AS recoveryCodeHash,
  is_admin AS isAdmin, created_at AS createdAt, last_seen_at AS lastSeenAt,
  password_changed_at AS passwordChangedAt, status`;

type AccountRow = Omit<AccountRecord, "isAdmin"> & { isAdmin: number };

/** Message columns aliased to camelCase, so rows map straight onto records. */
const MESSAGE_COLUMNS =
  "id, room, sender, recipient, text, created_at AS createdAt";

/** Rows deleted per transaction by {@linkcode SqliteStore.pruneMessages}. */
const PRUNE_BATCH = 1_000;

/** {@linkcode AccountStore} and {@linkcode ChatStore} on one SQLite file. */
export class SqliteStore implements AccountStore, ChatStore, Disposable {
  /** The database file path (or `:memory:`). */
  readonly path: string;
  #db: DatabaseSync;
  /**
   * Prepared statements by SQL text. Every SQL string this class runs is a
   * constant or one of a few fixed variants (see {@linkcode listAudit} and
   * {@linkcode roomHistory}), so the map stays small.
   */
  #statements = new Map<string, StatementSync>();
  #closed = false;
  /**
   * Whether this open created the file (it did not exist before), so that a
   * caller whose start then fails can remove it again.
   */
  readonly created: boolean;

  private constructor(path: string, db: DatabaseSync, created: boolean) {
    this.path = path;
    this.#db = db;
    this.created = created;
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
    if (this.#closed) return;
    this.#closed = true;
    // Closing finalizes every statement; none may be handed out afterwards.
    this.#statements.clear();
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
      await sqliteBackup(this.#db, destination);
    } catch (error) {
      throw isSqliteFailure(error) ? toStoreError(error, destination) : error;
    }
  }

  getAccount(usernameKey: string): Promise<AccountRecord | undefined> {
    return this.#run(() => {
      const row = this.#statement(
        `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE username_key = ?`,
      )
        .get(usernameKey) as AccountRow | undefined;
      return row && toAccount(row);
    });
  }

  listAccounts(): Promise<AccountRecord[]> {
    return this.#run(() => {
      const rows = this.#statement(
        `SELECT ${ACCOUNT_COLUMNS} FROM accounts ORDER BY created_at, id`,
      )
        .all() as unknown as AccountRow[];
      return rows.map(toAccount);
    });
  }

  findLookAlikeAccount(
    usernameKey: string,
  ): Promise<AccountRecord | undefined> {
    return this.#run(() => this.#lookAlike(usernameKey));
  }

  createAccount(
    account: NewAccount,
    audit: AuditEntry,
  ): Promise<AccountRecord | undefined> {
    return this.#transaction(() => {
      // Inside the write transaction, so of two concurrent look-alike
      // registrations only the first commits.
      if (this.#lookAlike(account.usernameKey) !== undefined) return undefined;
      const result = this.#statement(
        `INSERT INTO accounts
           (username, username_key, username_skeleton, password_hash,
            recovery_code_hash, created_at, password_changed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (username_key) DO NOTHING`,
      ).run(
        account.username,
        account.usernameKey,
        confusableSkeleton(account.usernameKey),
        account.passwordHash,
        account.recoveryCodeHash,
        account.createdAt,
        account.createdAt,
      );
      if (result.changes === 0) return undefined;
      this.#insertAudit(audit);
      return this.#accountById(Number(result.lastInsertRowid));
    });
  }

  replacePasswordHash(
    accountId: number,
    expectedHash: string,
    newHash: string,
  ): Promise<boolean> {
    return this.#run(() => {
      const result = this.#statement(
        "UPDATE accounts SET password_hash = ? WHERE id = ? AND password_hash = ?",
      ).run(newHash, accountId, expectedHash);
      return result.changes === 1;
    });
  }

  changePassword(
    accountId: number,
    newHash: string,
    audit: AuditEntry,
  ): Promise<void> {
    return this.#transaction(() => {
      this.#setPassword(accountId, newHash, audit.at);
      this.#insertAudit(audit);
    });
  }

  issueResetToken(
    accountId: number,
    tokenHash: string,
    expiresAt: number,
    audit: AuditEntry,
    options: { unlessPending?: boolean; pendingDetail?: string } = {},
  ): Promise<boolean> {
    return this.#transaction(() => {
      if (options.unlessPending) {
        const live = this.#statement(
          "SELECT 1 FROM reset_tokens WHERE account_id = ? AND expires_at > ?",
        ).get(accountId, audit.at);
        if (live !== undefined) {
          this.#insertAudit({
            ...audit,
            detail: options.pendingDetail ?? audit.detail,
          });
          return false;
        }
      }
      this.#statement("DELETE FROM reset_tokens WHERE account_id = ?")
        .run(accountId);
      this.#statement(
        `INSERT INTO reset_tokens (token_hash, account_id, created_at, expires_at)
         VALUES (?, ?, ?, ?)`,
      ).run(tokenHash, accountId, audit.at, expiresAt);
      this.#insertAudit(audit);
      return true;
    });
  }

  redeemSecret(
    secretHash: string,
    now: number,
    newHash: string,
    nextRecoveryCodeHash: string,
    audit: Omit<AuditEntry, "username">,
  ): Promise<RedeemResult | undefined> {
    return this.#transaction(() => {
      const token = this.#statement(
        `SELECT account_id AS accountId, expires_at AS expiresAt
         FROM reset_tokens WHERE token_hash = ?`,
      ).get(secretHash) as { accountId: number; expiresAt: number } | undefined;
      let accountId: number;
      let via: RedeemResult["via"];
      if (token !== undefined) {
        if (!(now < token.expiresAt)) {
          // Expired: remove it so the table does not keep dead secrets.
          this.#statement("DELETE FROM reset_tokens WHERE token_hash = ?")
            .run(secretHash);
          return undefined;
        }
        accountId = token.accountId;
        via = "reset_token";
      } else {
        const owner = this.#statement(
          "SELECT id FROM accounts WHERE recovery_code_hash = ?",
        ).get(secretHash) as { id: number } | undefined;
        if (owner === undefined) return undefined;
        accountId = owner.id;
        via = "recovery_code";
        this.#statement(
          "UPDATE accounts SET recovery_code_hash = ? WHERE id = ?",
        ).run(nextRecoveryCodeHash, accountId);
      }
      this.#setPassword(accountId, newHash, now);
      const account = this.#accountById(accountId);
      this.#insertAudit({ ...audit, username: account.username });
      return { account, via };
    });
  }

  deleteAccount(accountId: number, audit: AuditEntry): Promise<boolean> {
    return this.#transaction(() => {
      // Tokens go by ON DELETE CASCADE; the recovery code lives in the row.
      const result = this.#statement("DELETE FROM accounts WHERE id = ?")
        .run(accountId);
      if (result.changes === 0) return false;
      this.#insertAudit(audit);
      return true;
    });
  }

  issueResumeToken(
    accountId: number,
    tokenHash: string,
    expiresAt: number,
  ): Promise<void> {
    return this.#transaction(() => {
      this.#replaceResumeToken(accountId, tokenHash, expiresAt);
    });
  }

  redeemResumeToken(
    tokenHash: string,
    now: number,
  ): Promise<AccountRecord | undefined> {
    return this.#transaction(() => {
      const token = this.#statement(
        `SELECT account_id AS accountId, expires_at AS expiresAt
         FROM resume_tokens WHERE token_hash = ?`,
      ).get(tokenHash) as { accountId: number; expiresAt: number } | undefined;
      if (token === undefined) return undefined;
      // Single use: gone whether or not it was still valid.
      this.#statement("DELETE FROM resume_tokens WHERE token_hash = ?")
        .run(tokenHash);
      if (!(now < token.expiresAt)) return undefined;
      return this.#accountById(token.accountId);
    });
  }

  recordLogin(
    accountId: number,
    audit: AuditEntry,
    resumeToken?: NewResumeToken,
  ): Promise<void> {
    return this.#transaction(() => {
      this.#statement("UPDATE accounts SET last_seen_at = ? WHERE id = ?")
        .run(audit.at, accountId);
      this.#insertAudit(audit);
      if (resumeToken !== undefined) {
        this.#replaceResumeToken(
          accountId,
          resumeToken.tokenHash,
          resumeToken.expiresAt,
        );
      }
    });
  }

  recordLogout(
    accountId: number,
    audit: AuditEntry,
    options: RecordLogoutOptions = {},
  ): Promise<void> {
    return this.#transaction(() => {
      if (options.revokeResumeTokens) {
        this.#statement("DELETE FROM resume_tokens WHERE account_id = ?")
          .run(accountId);
      }
      this.#statement("UPDATE accounts SET last_seen_at = ? WHERE id = ?")
        .run(audit.at, accountId);
      this.#insertAudit(audit);
    });
  }

  revokeResumeTokens(accountId: number): Promise<void> {
    return this.#run(() => {
      this.#statement("DELETE FROM resume_tokens WHERE account_id = ?")
        .run(accountId);
    });
  }

  touchLastSeen(accountId: number, at: number): Promise<void> {
    return this.#run(() => {
      this.#statement("UPDATE accounts SET last_seen_at = ? WHERE id = ?")
        .run(at, accountId);
    });
  }

  setAdmin(
    usernameKey: string,
    isAdmin: boolean,
    audit: AuditEntry,
  ): Promise<boolean> {
    return this.#transaction(() => {
      const result = this.#statement(
        "UPDATE accounts SET is_admin = ? WHERE username_key = ?",
      ).run(isAdmin ? 1 : 0, usernameKey);
      if (result.changes === 0) return false;
      this.#insertAudit(audit);
      return true;
    });
  }

  appendAudit(entry: AuditEntry): Promise<void> {
    return this.#run(() => {
      this.#insertAudit(entry);
    });
  }

  pruneAudit(olderThan: number): Promise<number> {
    return this.#transaction(() =>
      Number(
        this.#statement("DELETE FROM audit_log WHERE at < ?").run(olderThan)
          .changes,
      )
    );
  }

  listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.event !== undefined) {
      where.push("event = ?");
      params.push(query.event);
    }
    if (query.username !== undefined) {
      where.push("username = ?");
      params.push(query.username);
    }
    // Four variants at most (with or without each filter): safe to cache.
    const sql = `SELECT at, event, username, address, detail FROM audit_log
      ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY id DESC LIMIT ?`;
    params.push(query.limit ?? 100);
    return this.#run(() => {
      const rows = this.#statement(sql).all(...params) as unknown as Array<
        Omit<AuditEntry, "event"> & { event: AuditEventType }
      >;
      return rows.map((row) => ({ ...row }));
    });
  }

  // -------------------------------------------------------------------------
  // ChatStore

  maxMessageId(): Promise<number> {
    return this.#run(() => {
      const row = this.#statement("SELECT max(id) AS id FROM messages")
        .get() as { id: number | null };
      return row.id === null ? 0 : Number(row.id);
    });
  }

  insertMessages(messages: readonly StoredMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return this.#transaction(() => {
      const insert = this.#statement(
        `INSERT INTO messages (id, room, sender, recipient, text, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      );
      for (const message of messages) {
        insert.run(
          message.id,
          message.room,
          message.sender,
          message.recipient,
          message.text,
          message.createdAt,
        );
      }
    });
  }

  getMessage(id: number): Promise<StoredMessage | undefined> {
    return this.#run(() => {
      const row = this.#statement(
        `SELECT ${MESSAGE_COLUMNS} FROM messages
         WHERE id = ? AND deleted_at IS NULL`,
      ).get(id) as StoredMessage | undefined;
      return row && toMessage(row);
    });
  }

  roomHistory(room: string, query: HistoryQuery): Promise<HistoryPage> {
    const { count, before, after } = query;
    if (before !== undefined && after !== undefined) {
      return Promise.reject(
        new TypeError(
          "Cannot read room history: before and after are mutually exclusive",
        ),
      );
    }
    if (!Number.isSafeInteger(count) || count < 0) {
      return Promise.reject(
        new RangeError(
          `Cannot read room history: count must be an integer of 0 or more, got ${count}`,
        ),
      );
    }
    // Three variants (after, before, neither): safe to cache.
    const params: SQLInputValue[] = [room];
    let sql = `SELECT ${MESSAGE_COLUMNS} FROM messages
      WHERE room = ? AND deleted_at IS NULL`;
    if (after !== undefined) {
      sql += " AND id > ? ORDER BY id ASC";
      params.push(after);
    } else if (before !== undefined) {
      sql += " AND id < ? ORDER BY id DESC";
      params.push(before);
    } else {
      sql += " ORDER BY id DESC";
    }
    // One extra row tells whether more remain without a second query.
    sql += " LIMIT ?";
    params.push(count + 1);
    return this.#run(() => {
      const rows = this.#statement(sql).all(
        ...params,
      ) as unknown as StoredMessage[];
      const more = rows.length > count;
      const messages = rows.slice(0, count).map(toMessage);
      if (after === undefined) messages.reverse();
      return { messages, more };
    });
  }

  deleteMessage(
    id: number,
    at: number,
    audit?: AuditEntry,
  ): Promise<StoredMessage | undefined> {
    return this.#transaction(() => {
      const row = this.#statement(
        `UPDATE messages SET deleted_at = ?
         WHERE id = ? AND deleted_at IS NULL
         RETURNING ${MESSAGE_COLUMNS}`,
      ).get(at, id) as StoredMessage | undefined;
      if (row === undefined) return undefined;
      if (audit !== undefined) this.#insertAudit(audit);
      return toMessage(row);
    });
  }

  async pruneMessages(olderThan: number, limit = 10_000): Promise<number> {
    if (!Number.isSafeInteger(limit) || limit < 0) {
      throw new RangeError(
        `Cannot prune messages: limit must be an integer of 0 or more, got ${limit}`,
      );
    }
    let deleted = 0;
    while (deleted < limit) {
      const batch = Math.min(PRUNE_BATCH, limit - deleted);
      const changes = await this.#transaction(() =>
        Number(
          this.#statement(
            `DELETE FROM messages WHERE id IN (
               SELECT id FROM messages
               WHERE created_at < ?
                 AND id < (SELECT max(id) FROM messages)
                 AND NOT EXISTS (
                   SELECT 1 FROM offline_queue WHERE message_id = messages.id
                 )
               ORDER BY created_at
               LIMIT ?
             )`,
          ).run(olderThan, batch).changes,
        )
      );
      deleted += changes;
      if (changes < batch) break;
      // node:sqlite is synchronous: let sockets and other store calls run
      // between batches.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return deleted;
  }

  queueOffline(
    message: StoredMessage,
    recipientAccountId: number,
    maxQueued: number,
    maxQueuedBytes = Number.POSITIVE_INFINITY,
  ): Promise<QueueOfflineResult> {
    return this.#transaction(() => {
      const { n, bytes } = this.#statement(
        `SELECT count(*) AS n,
                coalesce(sum(length(CAST(m.text AS BLOB))), 0) AS bytes
         FROM offline_queue q JOIN messages m ON m.id = q.message_id
         WHERE q.recipient_account_id = ?`,
      ).get(recipientAccountId) as { n: number; bytes: number };
      if (n >= maxQueued) return "full";
      const textBytes = new TextEncoder().encode(message.text).length;
      if (bytes + textBytes > maxQueuedBytes) return "full_bytes";
      this.#statement(
        `INSERT INTO messages (id, room, sender, recipient, text, created_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
      ).run(
        message.id,
        message.room,
        message.sender,
        message.recipient,
        message.text,
        message.createdAt,
      );
      this.#statement(
        `INSERT INTO offline_queue (message_id, recipient_account_id, queued_at)
         VALUES (?, ?, ?)`,
      ).run(message.id, recipientAccountId, message.createdAt);
      return "queued";
    });
  }

  takeOffline(recipientAccountId: number): Promise<StoredMessage[]> {
    return this.#transaction(() => {
      const rows = this.#statement(
        `SELECT m.id, m.room, m.sender, m.recipient, m.text,
                m.created_at AS createdAt
         FROM offline_queue q JOIN messages m ON m.id = q.message_id
         WHERE q.recipient_account_id = ? AND m.deleted_at IS NULL
         ORDER BY m.id`,
      ).all(recipientAccountId) as unknown as StoredMessage[];
      this.#statement(
        "DELETE FROM offline_queue WHERE recipient_account_id = ?",
      ).run(recipientAccountId);
      return rows.map(toMessage);
    });
  }

  peekOffline(
    recipientAccountId: number,
    limit: number,
    afterId = 0,
  ): Promise<StoredMessage[]> {
    return this.#run(() => {
      const rows = this.#statement(
        `SELECT m.id, m.room, m.sender, m.recipient, m.text,
                m.created_at AS createdAt
         FROM offline_queue q JOIN messages m ON m.id = q.message_id
         WHERE q.recipient_account_id = ? AND q.message_id > ?
           AND m.deleted_at IS NULL
         ORDER BY q.message_id LIMIT ?`,
      ).all(recipientAccountId, afterId, limit) as unknown as StoredMessage[];
      return rows.map(toMessage);
    });
  }

  countOffline(recipientAccountId: number, since = 0): Promise<number> {
    return this.#run(() => {
      const { n } = this.#statement(
        `SELECT count(*) AS n
         FROM offline_queue q JOIN messages m ON m.id = q.message_id
         WHERE q.recipient_account_id = ? AND m.deleted_at IS NULL
           AND m.created_at >= ?`,
      ).get(recipientAccountId, since) as { n: number };
      return n;
    });
  }

  ackOffline(
    recipientAccountId: number,
    messageIds: readonly number[],
  ): Promise<void> {
    return this.#transaction(() => {
      const remove = this.#statement(
        "DELETE FROM offline_queue WHERE recipient_account_id = ? AND message_id = ?",
      );
      for (const id of messageIds) remove.run(recipientAccountId, id);
      // Entries of messages an admin deleted are never delivered: drop them
      // here so they stop counting against the recipient's cap.
      this.#statement(
        `DELETE FROM offline_queue WHERE recipient_account_id = ?
           AND message_id IN (SELECT id FROM messages WHERE deleted_at IS NOT NULL)`,
      ).run(recipientAccountId);
    });
  }

  setMute(
    accountId: number,
    until: number,
    reason: string | null,
    by: string | null,
    audit: AuditEntry,
  ): Promise<boolean> {
    return this.#transaction(() => {
      const exists = this.#statement("SELECT 1 FROM accounts WHERE id = ?")
        .get(accountId);
      if (exists === undefined) return false;
      this.#statement(
        `INSERT INTO mutes (account_id, until, reason, "by") VALUES (?, ?, ?, ?)
         ON CONFLICT (account_id) DO UPDATE
           SET until = excluded.until, reason = excluded.reason,
               "by" = excluded."by"`,
      ).run(accountId, until, reason, by);
      this.#insertAudit(audit);
      return true;
    });
  }

  clearMute(accountId: number, audit: AuditEntry): Promise<boolean> {
    return this.#transaction(() => {
      const row = this.#statement(
        "DELETE FROM mutes WHERE account_id = ? RETURNING until",
      ).get(accountId) as { until: number } | undefined;
      if (row === undefined || !(audit.at < Number(row.until))) return false;
      this.#insertAudit(audit);
      return true;
    });
  }

  getMute(accountId: number, now: number): Promise<Mute | undefined> {
    return this.#run(() => {
      const row = this.#statement(
        `SELECT until, reason, "by" FROM mutes
         WHERE account_id = ? AND until > ?`,
      ).get(accountId, now) as Mute | undefined;
      return row &&
        { until: Number(row.until), reason: row.reason, by: row.by };
    });
  }

  setStatus(accountId: number, status: string): Promise<boolean> {
    return this.#run(() => {
      const result = this.#statement(
        "UPDATE accounts SET status = ? WHERE id = ?",
      ).run(status, accountId);
      return result.changes === 1;
    });
  }

  #setPassword(accountId: number, newHash: string, at: number): void {
    this.#statement(
      "UPDATE accounts SET password_hash = ?, password_changed_at = ? WHERE id = ?",
    ).run(newHash, at, accountId);
    this.#statement("DELETE FROM reset_tokens WHERE account_id = ?")
      .run(accountId);
    this.#statement("DELETE FROM resume_tokens WHERE account_id = ?")
      .run(accountId);
  }

  #replaceResumeToken(
    accountId: number,
    tokenHash: string,
    expiresAt: number,
  ): void {
    this.#statement("DELETE FROM resume_tokens WHERE account_id = ?")
      .run(accountId);
    this.#statement(
      "INSERT INTO resume_tokens (token_hash, account_id, expires_at) VALUES (?, ?, ?)",
    ).run(tokenHash, accountId, expiresAt);
  }

  #accountById(id: number): AccountRecord {
    const row = this.#statement(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ?`,
    )
      .get(id) as AccountRow | undefined;
    if (row === undefined) {
      throw new Error(`Cannot read account ${id}: row vanished`);
    }
    return toAccount(row);
  }

  #insertAudit(raw: AuditEntry): void {
    // Peers choose the names and details: store bounded, sanitized text.
    const entry = boundedAuditEntry(raw);
    this.#statement(
      "INSERT INTO audit_log (at, event, username, address, detail) VALUES (?, ?, ?, ?, ?)",
    ).run(entry.at, entry.event, entry.username, entry.address, entry.detail);
  }

  /**
   * The prepared statement for `sql`, prepared on first use and reused after
   * (node:sqlite resets a statement after each `run`, `get` and `all`). Only
   * for SQL from a fixed set of strings: the cache is never evicted.
   */
  #statement(sql: string): StatementSync {
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
  /** The oldest account with another key and the same skeleton as `key`. */
  #lookAlike(key: string): AccountRecord | undefined {
    const row = this.#statement(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts
       WHERE username_skeleton = ? AND username_key <> ?
       ORDER BY id LIMIT 1`,
    ).get(confusableSkeleton(key), key) as AccountRow | undefined;
    return row && toAccount(row);
  }

  #transaction<T>(body: () => T): Promise<T> {
    return this.#run(() => {
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
  #run<T>(body: () => T): Promise<T> {
    try {
      return Promise.resolve(body());
    } catch (error) {
      return Promise.reject(
        isSqliteFailure(error) ? toStoreError(error, this.path) : error,
      );
    }
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

function isSqliteFailure(error: unknown): boolean {
  return error instanceof Error &&
    (error as { code?: unknown }).code === "ERR_SQLITE_ERROR" &&
    /locked|busy|malformed|corrupt|disk I\/O|not a database|readonly|full/i
      .test(error.message);
}

function checkAndMigrate(db: DatabaseSync, path: string): void {
  // Reading the header makes SQLite validate the file before we write.
  const quick = db.prepare("PRAGMA quick_check").all() as Array<
    Record<string, unknown>
  >;
  const problems = quick.map((row) => String(Object.values(row)[0]));
  if (problems.length !== 1 || problems[0] !== "ok") {
    throw new StoreError(
      "corrupt",
      path,
      `Cannot open database "${path}": integrity check failed (${
        problems.slice(0, 3).join("; ")
      }); restore it from a backup or move it aside to start a new one`,
    );
  }
  const applicationId = pragmaNumber(db, "application_id");
  const version = pragmaNumber(db, "user_version");
  const tableCount = (db.prepare(
    "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'",
  ).get() as { n: number }).n;
  if (
    applicationId !== APPLICATION_ID && (applicationId !== 0 || tableCount > 0)
  ) {
    throw new StoreError(
      "foreign_database",
      path,
      `Cannot open database "${path}": it is a SQLite database of another program; choose another file with --db`,
    );
  }
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      "newer_schema",
      path,
      `Cannot open database "${path}": its schema version ${version} is newer than this server understands (${SCHEMA_VERSION}); upgrade TCPChat`,
    );
  }
  db.exec("PRAGMA journal_mode = WAL");
  // WAL with NORMAL can lose the last commits on power loss; chat accounts
  // and queued messages are worth the extra fsync.
  db.exec("PRAGMA synchronous = FULL");
  for (let v = version; v < SCHEMA_VERSION; v++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(MIGRATIONS[v] ?? "");
      MIGRATION_FILLS[v]?.(db);
      db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
      db.exec(`PRAGMA user_version = ${v + 1}`);
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  }
}

/**
 * Stores the look-alike skeleton of every account's key (derived in code,
 * so SQL cannot do it). Keys that share a skeleton are kept as they are.
 */
function fillSkeletons(db: DatabaseSync): void {
  const update = db.prepare(
    "UPDATE accounts SET username_skeleton = ? WHERE id = ?",
  );
  const rows = db.prepare("SELECT id, username_key AS key FROM accounts")
    .all() as Array<{ id: number; key: string }>;
  for (const row of rows) update.run(confusableSkeleton(row.key), row.id);
}

function pragmaNumber(db: DatabaseSync, name: string): number {
  const row = db.prepare(`PRAGMA ${name}`).get() as Record<string, unknown>;
  return Number(row[name]);
}

function toStoreError(error: unknown, path: string): StoreError {
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

function toAccount(row: AccountRow): AccountRecord {
  return {
    ...row,
    id: Number(row.id),
    isAdmin: row.isAdmin === 1,
    createdAt: Number(row.createdAt),
    lastSeenAt: row.lastSeenAt === null ? null : Number(row.lastSeenAt),
    passwordChangedAt: Number(row.passwordChangedAt),
  };
}

function toMessage(row: StoredMessage): StoredMessage {
  return {
    id: Number(row.id),
    room: row.room,
    sender: row.sender,
    recipient: row.recipient,
    text: row.text,
    createdAt: Number(row.createdAt),
  };
}
