/**
 * The chat half of the SQLite store: {@linkcode ChatStore} (room history,
 * the offline queue of private messages, mutes, profile status) on a
 * {@linkcode SqliteConnection}.
 *
 * @module
 */

import type { SQLInputValue } from "node:sqlite";
import type {
  AuditEntry,
  ChatStore,
  HistoryPage,
  HistoryQuery,
  Mute,
  MuteChange,
  OfflineDelivery,
  QueueOfflineResult,
  StoredMessage,
} from "../store.ts";
import type { SqliteConnection } from "./connection.ts";

/**
 * Message columns aliased to camelCase, so rows map straight onto records,
 * with the shared file's size; read `FROM messages m` {@linkcode WITH_FILE}.
 */
const MESSAGE_COLUMNS = `m.id, m.room, m.sender, m.recipient, m.text,
  m.created_at AS createdAt, m.file_id AS fileId, f.size AS fileSize`;

/**
 * Joins a message's file, if it shares one; use with {@linkcode LIVE}, which
 * keeps out deleted messages and those whose file is gone (an account
 * deleted, the file pruned).
 */
const WITH_FILE = "LEFT JOIN files f ON f.id = m.file_id";
const LIVE = "m.deleted_at IS NULL AND (m.file_id IS NULL OR f.id IS NOT NULL)";

/** A message row as read with {@linkcode MESSAGE_COLUMNS}. */
type MessageRow = Omit<StoredMessage, "file"> & {
  fileId: number | null;
  fileSize: number | null;
};

/** Rows deleted per transaction by {@linkcode SqliteChat.pruneMessages}. */
const PRUNE_BATCH = 1_000;

/** {@linkcode ChatStore} on a SQLite connection. */
export class SqliteChat implements ChatStore {
  readonly #db: SqliteConnection;

  /** Runs chat statements on `db`. */
  constructor(db: SqliteConnection) {
    this.#db = db;
  }

  maxMessageId(): Promise<number> {
    return this.#db.run(() => {
      const row = this.#db.statement("SELECT max(id) AS id FROM messages")
        .get() as { id: number | null };
      return row.id === null ? 0 : Number(row.id);
    });
  }

  insertMessages(messages: readonly StoredMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return this.#db.transaction(() => {
      for (const message of messages) this.#insertMessage(message);
    });
  }

  getMessage(id: number): Promise<StoredMessage | undefined> {
    return this.#db.run(() => {
      const row = this.#db.statement(
        `SELECT ${MESSAGE_COLUMNS} FROM messages m ${WITH_FILE}
         WHERE m.id = ? AND ${LIVE}`,
      ).get(id) as MessageRow | undefined;
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
    let sql = `SELECT ${MESSAGE_COLUMNS} FROM messages m ${WITH_FILE}
      WHERE m.room = ? AND ${LIVE}`;
    if (after !== undefined) {
      sql += " AND m.id > ? ORDER BY m.id ASC";
      params.push(after);
    } else if (before !== undefined) {
      sql += " AND m.id < ? ORDER BY m.id DESC";
      params.push(before);
    } else {
      sql += " ORDER BY m.id DESC";
    }
    // One extra row tells whether more remain without a second query.
    sql += " LIMIT ?";
    params.push(count + 1);
    return this.#db.run(() => {
      const rows = this.#db.statement(sql).all(
        ...params,
      ) as unknown as MessageRow[];
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
    return this.#db.transaction(() => {
      const row = this.#db.statement(
        `SELECT ${MESSAGE_COLUMNS} FROM messages m ${WITH_FILE}
         WHERE m.id = ? AND ${LIVE}`,
      ).get(id) as MessageRow | undefined;
      if (row === undefined) return undefined;
      this.#db.statement("UPDATE messages SET deleted_at = ? WHERE id = ?")
        .run(at, id);
      if (audit !== undefined) this.#db.insertAudit(audit);
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
      const changes = await this.#db.transaction(() =>
        Number(
          this.#db.statement(
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
    return this.#db.transaction(() =>
      queueOfflineIn(this.#db, message, {
        recipientAccountId,
        maxQueued,
        maxQueuedBytes,
      })
    );
  }

  takeOffline(recipientAccountId: number): Promise<StoredMessage[]> {
    return this.#db.transaction(() => {
      const rows = this.#db.statement(
        `SELECT ${MESSAGE_COLUMNS}
         FROM offline_queue q JOIN messages m ON m.id = q.message_id
         ${WITH_FILE}
         WHERE q.recipient_account_id = ? AND ${LIVE}
         ORDER BY m.id`,
      ).all(recipientAccountId) as unknown as MessageRow[];
      this.#db.statement(
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
    return this.#db.run(() => {
      const rows = this.#db.statement(
        `SELECT ${MESSAGE_COLUMNS}
         FROM offline_queue q JOIN messages m ON m.id = q.message_id
         ${WITH_FILE}
         WHERE q.recipient_account_id = ? AND q.message_id > ? AND ${LIVE}
         ORDER BY q.message_id LIMIT ?`,
      ).all(recipientAccountId, afterId, limit) as unknown as MessageRow[];
      return rows.map(toMessage);
    });
  }

  countOffline(recipientAccountId: number, since = 0): Promise<number> {
    return this.#db.run(() => {
      const { n } = this.#db.statement(
        `SELECT count(*) AS n
         FROM offline_queue q JOIN messages m ON m.id = q.message_id
         ${WITH_FILE}
         WHERE q.recipient_account_id = ? AND ${LIVE}
           AND m.created_at >= ?`,
      ).get(recipientAccountId, since) as { n: number };
      return n;
    });
  }

  ackOffline(
    recipientAccountId: number,
    messageIds: readonly number[],
  ): Promise<void> {
    return this.#db.transaction(() => {
      const remove = this.#db.statement(
        "DELETE FROM offline_queue WHERE recipient_account_id = ? AND message_id = ?",
      );
      for (const id of messageIds) remove.run(recipientAccountId, id);
      // Entries of messages an admin deleted are never delivered: drop them
      // here so they stop counting against the recipient's cap.
      this.#db.statement(
        `DELETE FROM offline_queue WHERE recipient_account_id = ?
           AND message_id IN (SELECT id FROM messages WHERE deleted_at IS NOT NULL)`,
      ).run(recipientAccountId);
    });
  }

  setMute(
    accountId: number,
    { until, reason, by }: MuteChange,
    audit: AuditEntry,
  ): Promise<boolean> {
    return this.#db.transaction(() => {
      const exists = this.#db.statement("SELECT 1 FROM accounts WHERE id = ?")
        .get(accountId);
      if (exists === undefined) return false;
      this.#db.statement(
        `INSERT INTO mutes (account_id, until, reason, "by") VALUES (?, ?, ?, ?)
         ON CONFLICT (account_id) DO UPDATE
           SET until = excluded.until, reason = excluded.reason,
               "by" = excluded."by"`,
      ).run(accountId, until, reason, by);
      return this.#db.auditIf(true, audit);
    });
  }

  clearMute(accountId: number, audit: AuditEntry): Promise<boolean> {
    return this.#db.transaction(() => {
      const row = this.#db.statement(
        "DELETE FROM mutes WHERE account_id = ? RETURNING until",
      ).get(accountId) as { until: number } | undefined;
      // Only a mute still running is cleared (and audited).
      const running = row !== undefined && audit.at < Number(row.until);
      return this.#db.auditIf(running, audit);
    });
  }

  getMute(accountId: number, now: number): Promise<Mute | undefined> {
    return this.#db.run(() => {
      const row = this.#db.statement(
        `SELECT until, reason, "by" FROM mutes
         WHERE account_id = ? AND until > ?`,
      ).get(accountId, now) as Mute | undefined;
      return row &&
        { until: Number(row.until), reason: row.reason, by: row.by };
    });
  }

  setStatus(accountId: number, status: string): Promise<boolean> {
    return this.#db.run(() => {
      const result = this.#db.statement(
        "UPDATE accounts SET status = ? WHERE id = ?",
      ).run(status, accountId);
      return result.changes === 1;
    });
  }

  /** Inserts one message row. */
  #insertMessage(message: StoredMessage): void {
    insertMessage(this.#db, message);
  }
}

/**
 * Inserts one message row on `db` (the statement is cached by the
 * connection); the caller holds a transaction.
 */
export function insertMessage(
  db: SqliteConnection,
  message: StoredMessage,
): void {
  db.statement(
    `INSERT INTO messages (id, room, sender, recipient, text, created_at,
       file_id)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    message.id,
    message.room,
    message.sender,
    message.recipient,
    message.text,
    message.createdAt,
    message.file?.id ?? null,
  );
}

/**
 * {@linkcode ChatStore.queueOffline} inside the caller's transaction on
 * `db`: checks the recipient's queue, then stores the message and its entry.
 */
export function queueOfflineIn(
  db: SqliteConnection,
  message: StoredMessage,
  offline: OfflineDelivery,
): QueueOfflineResult {
  const { n, bytes } = db.statement(
    `SELECT count(*) AS n,
            coalesce(sum(length(CAST(m.text AS BLOB))), 0) AS bytes
     FROM offline_queue q JOIN messages m ON m.id = q.message_id
     WHERE q.recipient_account_id = ?`,
  ).get(offline.recipientAccountId) as { n: number; bytes: number };
  if (n >= offline.maxQueued) return "full";
  const textBytes = new TextEncoder().encode(message.text).length;
  if (bytes + textBytes > offline.maxQueuedBytes) return "full_bytes";
  insertMessage(db, message);
  db.statement(
    `INSERT INTO offline_queue (message_id, recipient_account_id, queued_at)
     VALUES (?, ?, ?)`,
  ).run(message.id, offline.recipientAccountId, message.createdAt);
  return "queued";
}

function toMessage(row: MessageRow): StoredMessage {
  const message: StoredMessage = {
    id: Number(row.id),
    room: row.room,
    sender: row.sender,
    recipient: row.recipient,
    text: row.text,
    createdAt: Number(row.createdAt),
  };
  if (row.fileId !== null && row.fileSize !== null) {
    message.file = {
      id: Number(row.fileId),
      name: row.text,
      size: Number(row.fileSize),
    };
  }
  return message;
}
