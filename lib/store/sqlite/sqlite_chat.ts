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
  QueueOfflineResult,
  StoredMessage,
} from "../store.ts";
import type { SqliteConnection } from "./connection.ts";

/** Message columns aliased to camelCase, so rows map straight onto records. */
const MESSAGE_COLUMNS =
  "id, room, sender, recipient, text, created_at AS createdAt";

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
    return this.#db.run(() => {
      const rows = this.#db.statement(sql).all(
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
    return this.#db.transaction(() => {
      const row = this.#db.statement(
        `UPDATE messages SET deleted_at = ?
         WHERE id = ? AND deleted_at IS NULL
         RETURNING ${MESSAGE_COLUMNS}`,
      ).get(at, id) as StoredMessage | undefined;
      if (row === undefined) return undefined;
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
    return this.#db.transaction(() => {
      const { n, bytes } = this.#db.statement(
        `SELECT count(*) AS n,
                coalesce(sum(length(CAST(m.text AS BLOB))), 0) AS bytes
         FROM offline_queue q JOIN messages m ON m.id = q.message_id
         WHERE q.recipient_account_id = ?`,
      ).get(recipientAccountId) as { n: number; bytes: number };
      if (n >= maxQueued) return "full";
      const textBytes = new TextEncoder().encode(message.text).length;
      if (bytes + textBytes > maxQueuedBytes) return "full_bytes";
      this.#insertMessage(message);
      this.#db.statement(
        `INSERT INTO offline_queue (message_id, recipient_account_id, queued_at)
         VALUES (?, ?, ?)`,
      ).run(message.id, recipientAccountId, message.createdAt);
      return "queued";
    });
  }

  takeOffline(recipientAccountId: number): Promise<StoredMessage[]> {
    return this.#db.transaction(() => {
      const rows = this.#db.statement(
        `SELECT m.id, m.room, m.sender, m.recipient, m.text,
                m.created_at AS createdAt
         FROM offline_queue q JOIN messages m ON m.id = q.message_id
         WHERE q.recipient_account_id = ? AND m.deleted_at IS NULL
         ORDER BY m.id`,
      ).all(recipientAccountId) as unknown as StoredMessage[];
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
    return this.#db.run(() => {
      const { n } = this.#db.statement(
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

  /** Inserts one message row (the statement is cached by the connection). */
  #insertMessage(message: StoredMessage): void {
    this.#db.statement(
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
  }
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
