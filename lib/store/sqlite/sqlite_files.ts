/**
 * The shared-file half of the SQLite store: {@linkcode FileStore} (records
 * of shared files and the messages that share them) on a
 * {@linkcode SqliteConnection}. The bytes are not here: the server keeps
 * them in a folder, one file per id.
 *
 * @module
 */

import type {
  CreateFileResult,
  FileLimits,
  FileQuery,
  FileStore,
  NewFile,
  OfflineDelivery,
  QueueOfflineResult,
  StoredFile,
  StoredMessage,
} from "../store.ts";
import type { SqliteConnection } from "./connection.ts";
import { insertMessage, queueOfflineIn } from "./sqlite_chat.ts";

/** File columns aliased to camelCase, so rows map straight onto records. */
const FILE_COLUMNS = `id, owner_account_id AS ownerAccountId, sender, room,
  room_name AS roomName, recipient_account_id AS recipientAccountId,
  recipient, name, size, sha256, created_at AS createdAt,
  completed_at AS completedAt, message_id AS messageId`;

/** {@linkcode FileStore} on a SQLite connection. */
export class SqliteFiles implements FileStore {
  readonly #db: SqliteConnection;

  /** Runs file statements on `db`. */
  constructor(db: SqliteConnection) {
    this.#db = db;
  }

  createFile(file: NewFile, limits: FileLimits): Promise<CreateFileResult> {
    return this.#db.transaction((): CreateFileResult => {
      const held = this.#db.statement(
        `SELECT coalesce(sum(size), 0) AS bytes,
                coalesce(sum(completed_at IS NULL), 0) AS unfinished
         FROM files WHERE owner_account_id = ?`,
      ).get(file.ownerAccountId) as { bytes: number; unfinished: number };
      if (Number(held.bytes) + file.size > limits.maxOwnerBytes) {
        return { ok: false, reason: "quota" };
      }
      if (Number(held.unfinished) >= limits.maxUnfinished) {
        return { ok: false, reason: "unfinished" };
      }
      const row = this.#db.statement(
        `INSERT INTO files (owner_account_id, sender, room, room_name,
           recipient_account_id, recipient, name, size, sha256, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING ${FILE_COLUMNS}`,
      ).get(
        file.ownerAccountId,
        file.sender,
        file.room,
        file.roomName,
        file.recipientAccountId,
        file.recipient,
        file.name,
        file.size,
        file.sha256,
        file.createdAt,
      ) as unknown as StoredFile;
      return { ok: true, file: toFile(row) };
    });
  }

  getFile(id: number): Promise<StoredFile | undefined> {
    return this.#db.run(() => {
      const row = this.#db.statement(
        `SELECT ${FILE_COLUMNS} FROM files WHERE id = ?`,
      ).get(id) as unknown as StoredFile | undefined;
      return row && toFile(row);
    });
  }

  findUnfinishedFile(
    ownerAccountId: number,
    match: Pick<StoredFile, "room" | "recipientAccountId" | "size" | "sha256">,
  ): Promise<StoredFile | undefined> {
    return this.#db.run(() => {
      const row = this.#db.statement(
        `SELECT ${FILE_COLUMNS} FROM files
         WHERE owner_account_id = ? AND completed_at IS NULL
           AND room IS ? AND recipient_account_id IS ?
           AND size = ? AND sha256 = ?
         ORDER BY id DESC LIMIT 1`,
      ).get(
        ownerAccountId,
        match.room,
        match.recipientAccountId,
        match.size,
        match.sha256,
      ) as unknown as StoredFile | undefined;
      return row && toFile(row);
    });
  }

  completeFile(
    id: number,
    message: StoredMessage,
    offline?: OfflineDelivery,
  ): Promise<"stored" | QueueOfflineResult | undefined> {
    return this.#db.transaction(() => {
      const done = this.#db.statement(
        `UPDATE files SET completed_at = ?, message_id = ?
         WHERE id = ? AND completed_at IS NULL`,
      ).run(message.createdAt, message.id, id);
      if (done.changes === 0) return undefined;
      if (offline === undefined) {
        insertMessage(this.#db, message);
        return "stored";
      }
      const queued = queueOfflineIn(this.#db, message, offline);
      // A full queue still keeps the file: the recipient finds it in FILES.
      if (queued !== "queued") insertMessage(this.#db, message);
      return queued;
    });
  }

  listFiles(query: FileQuery): Promise<StoredFile[]> {
    return this.#db.run(() => {
      const rows = this.#db.statement(
        `SELECT ${FILE_COLUMNS} FROM files
         WHERE completed_at IS NOT NULL AND (
           recipient_account_id = ?1
           OR (owner_account_id = ?1 AND recipient_account_id IS NOT NULL)
           OR (?2 IS NOT NULL AND room = ?2))
         ORDER BY id DESC LIMIT ?3`,
      ).all(
        query.accountId,
        query.room,
        query.limit,
      ) as unknown as StoredFile[];
      return rows.map(toFile).reverse();
    });
  }

  deleteFile(id: number, at: number): Promise<StoredFile | undefined> {
    return this.#db.transaction(() => {
      const row = this.#db.statement(
        `DELETE FROM files WHERE id = ? RETURNING ${FILE_COLUMNS}`,
      ).get(id) as unknown as StoredFile | undefined;
      if (row === undefined) return undefined;
      this.#markMessagesDeleted([Number(row.id)], at);
      return toFile(row);
    });
  }

  pruneFiles(
    completedBefore: number,
    unfinishedBefore: number,
  ): Promise<StoredFile[]> {
    return this.#db.transaction(() => {
      const rows = this.#db.statement(
        `DELETE FROM files
         WHERE (completed_at IS NOT NULL AND completed_at < ?)
            OR (completed_at IS NULL AND created_at < ?)
         RETURNING ${FILE_COLUMNS}`,
      ).all(completedBefore, unfinishedBefore) as unknown as StoredFile[];
      const files = rows.map(toFile);
      this.#markMessagesDeleted(files.map((file) => file.id), completedBefore);
      return files;
    });
  }

  fileIds(): Promise<Set<number>> {
    return this.#db.run(() => {
      const rows = this.#db.statement("SELECT id FROM files").all() as Array<
        { id: number }
      >;
      return new Set(rows.map((row) => Number(row.id)));
    });
  }

  #markMessagesDeleted(fileIds: readonly number[], at: number): void {
    const mark = this.#db.statement(
      "UPDATE messages SET deleted_at = ? WHERE file_id = ? AND deleted_at IS NULL",
    );
    for (const id of fileIds) mark.run(at, id);
  }
}

function toFile(row: StoredFile): StoredFile {
  return {
    id: Number(row.id),
    ownerAccountId: Number(row.ownerAccountId),
    sender: row.sender,
    room: row.room,
    roomName: row.roomName,
    recipientAccountId: row.recipientAccountId === null
      ? null
      : Number(row.recipientAccountId),
    recipient: row.recipient,
    name: row.name,
    size: Number(row.size),
    sha256: row.sha256,
    createdAt: Number(row.createdAt),
    completedAt: row.completedAt === null ? null : Number(row.completedAt),
    messageId: row.messageId === null ? null : Number(row.messageId),
  };
}
