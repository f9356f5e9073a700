/**
 * The read-state half of the SQLite store: {@linkcode ReadStore} (room read
 * positions with their unread counts, and how far readers have read
 * senders' private messages) on a {@linkcode SqliteConnection}.
 *
 * @module
 */

import type { PmRead, ReadStore, RoomRead } from "../store.ts";
import type { SqliteConnection } from "./connection.ts";

/** {@linkcode ReadStore} on a SQLite connection. */
export class SqliteReads implements ReadStore {
  readonly #db: SqliteConnection;

  /** Runs read-state statements on `db`. */
  constructor(db: SqliteConnection) {
    this.#db = db;
  }

  setRoomRead(
    accountId: number,
    position: { room: string; roomName: string; messageId: number; at: number },
    onlyIfNew = false,
  ): Promise<boolean> {
    return this.#db.run(() => {
      // The WHERE of the upsert keeps a position from moving back; the
      // name follows the newest spelling only when the position moves.
      const result = this.#db.statement(
        onlyIfNew
          ? `INSERT INTO room_reads (account_id, room, room_name, message_id, read_at)
             VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
          : `INSERT INTO room_reads (account_id, room, room_name, message_id, read_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (account_id, room) DO UPDATE
               SET message_id = excluded.message_id,
                   room_name = excluded.room_name,
                   read_at = excluded.read_at
               WHERE excluded.message_id > room_reads.message_id`,
      ).run(
        accountId,
        position.room,
        position.roomName,
        position.messageId,
        position.at,
      );
      return result.changes === 1;
    });
  }

  roomReads(
    accountId: number,
    username: string,
    query: { limit: number; cap: number; room?: string },
  ): Promise<RoomRead[]> {
    return this.#db.run(() => {
      const positions = (query.room === undefined
        ? this.#db.statement(
          `SELECT room, room_name AS roomName, message_id AS messageId
           FROM room_reads WHERE account_id = ?
           ORDER BY read_at DESC, room LIMIT ?`,
        ).all(accountId, query.limit)
        : this.#db.statement(
          `SELECT room, room_name AS roomName, message_id AS messageId
           FROM room_reads WHERE account_id = ? AND room = ?`,
        ).all(accountId, query.room)) as Array<
          { room: string; roomName: string; messageId: number }
        >;
      // Counted on the (room, id) index, stopping at the cap, so a room
      // with a year of unread messages costs no more than one with `cap`.
      // Only what history reads back counts (sqlite_chat.ts's LIVE): a
      // message naming a removed file, written by a batch still in flight
      // when the file went, is never shown, so it is not unread either.
      const count = this.#db.statement(
        `SELECT count(*) AS n FROM (
           SELECT 1 FROM messages m
           WHERE m.room = ? AND m.id > ? AND m.deleted_at IS NULL
             AND m.sender <> ?
             AND (m.file_id IS NULL
               OR EXISTS (SELECT 1 FROM files f WHERE f.id = m.file_id))
           LIMIT ?)`,
      );
      return positions.map((row) => ({
        room: row.room,
        roomName: row.roomName,
        messageId: Number(row.messageId),
        unread: Number(
          (count.get(row.room, row.messageId, username, query.cap) as {
            n: number;
          }).n,
        ),
      }));
    });
  }

  setPmRead(
    senderAccountId: number,
    readerAccountId: number,
    read: { messageId: number; at: number; pending: boolean },
  ): Promise<boolean> {
    return this.#db.run(() => {
      const result = this.#db.statement(
        `INSERT INTO pm_reads
           (sender_account_id, reader_account_id, message_id, read_at, pending)
         VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (sender_account_id, reader_account_id) DO UPDATE
           SET message_id = excluded.message_id,
               read_at = excluded.read_at,
               pending = excluded.pending
           WHERE excluded.message_id > pm_reads.message_id`,
      ).run(
        senderAccountId,
        readerAccountId,
        read.messageId,
        read.at,
        read.pending ? 1 : 0,
      );
      return result.changes === 1;
    });
  }

  takePendingPmReads(
    senderAccountId: number,
    limit: number,
  ): Promise<PmRead[]> {
    return this.#db.transaction(() => {
      const rows = this.#db.statement(
        `SELECT a.username AS reader, r.message_id AS messageId,
                r.read_at AS readAt
         FROM pm_reads r JOIN accounts a ON a.id = r.reader_account_id
         WHERE r.sender_account_id = ? AND r.pending = 1
         ORDER BY r.read_at DESC LIMIT ?`,
      ).all(senderAccountId, limit) as Array<
        { reader: string; messageId: number; readAt: number }
      >;
      // All of them are told: older ones beyond the limit are stale news.
      this.#db.statement(
        "UPDATE pm_reads SET pending = 0 WHERE sender_account_id = ? AND pending = 1",
      ).run(senderAccountId);
      return rows.map((row) => ({
        reader: row.reader,
        messageId: Number(row.messageId),
        readAt: Number(row.readAt),
      }));
    });
  }

  setReceipts(accountId: number, on: boolean): Promise<boolean> {
    return this.#db.run(() =>
      this.#db.statement("UPDATE accounts SET receipts = ? WHERE id = ?")
        .run(on ? 1 : 0, accountId).changes === 1
    );
  }
}
