/**
 * The schema of the SQLite store: what marks a file as ours, the versioned
 * migrations, and the checks an open runs before it writes anything.
 *
 * @module
 */

import { confusableSkeleton } from "../../shared/confusables.ts";
import type { DatabaseSync } from "node:sqlite";
import { StoreError } from "../store.ts";

/** `PRAGMA application_id` marking a file as ours ("TCPC"). */
export const APPLICATION_ID = 0x54435043;

/** Schema version this build writes; files with a higher one are refused. */
export const SCHEMA_VERSION = 6;

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
  // Shared files. AUTOINCREMENT: an id is never handed out twice, so a
  // ticket or a line naming a deleted file can never reach a newer one.
  `
  CREATE TABLE files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    owner_account_id INTEGER NOT NULL
      REFERENCES accounts(id) ON DELETE CASCADE,
    sender TEXT NOT NULL,
    room TEXT,
    room_name TEXT,
    recipient_account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
    recipient TEXT,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    completed_at INTEGER,
    message_id INTEGER
  );
  CREATE INDEX files_owner ON files(owner_account_id, id);
  CREATE INDEX files_room ON files(room, id);
  CREATE INDEX files_recipient ON files(recipient_account_id, id);
  ALTER TABLE messages ADD COLUMN file_id INTEGER;
  `,
  // Read state and avatars. A room position is keyed by the room's key;
  // pm_reads has one row per sender and reader, pending until the sender
  // was told.
  `
  ALTER TABLE accounts ADD COLUMN receipts INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE accounts ADD COLUMN avatar TEXT NOT NULL DEFAULT '';
  CREATE TABLE room_reads (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    room TEXT NOT NULL,
    room_name TEXT NOT NULL,
    message_id INTEGER NOT NULL,
    read_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, room)
  ) WITHOUT ROWID;
  CREATE TABLE pm_reads (
    sender_account_id INTEGER NOT NULL
      REFERENCES accounts(id) ON DELETE CASCADE,
    reader_account_id INTEGER NOT NULL
      REFERENCES accounts(id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL,
    read_at INTEGER NOT NULL,
    pending INTEGER NOT NULL,
    PRIMARY KEY (sender_account_id, reader_account_id)
  ) WITHOUT ROWID;
  CREATE INDEX pm_reads_reader ON pm_reads(reader_account_id);
  CREATE TABLE avatar_images (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    version INTEGER NOT NULL
  );
  -- Picture versions, never handed out twice (AUTOINCREMENT): a picture is
  -- cached for good under its version, so a new account with a deleted
  -- one's name must never get that name's old URL.
  CREATE TABLE avatar_versions (id INTEGER PRIMARY KEY AUTOINCREMENT);
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
 * Checks that the file at `path` is sound and ours and not newer than this
 * build, switches it to WAL with `synchronous=FULL`, and runs the missing
 * migrations, each in its own transaction.
 *
 * @throws {StoreError} `corrupt`, `foreign_database` or `newer_schema`.
 */
export function checkAndMigrate(db: DatabaseSync, path: string): void {
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
