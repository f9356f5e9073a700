/**
 * The avatar half of the SQLite store: {@linkcode AvatarStore} (each
 * account's avatar mark and its checked picture) on a
 * {@linkcode SqliteConnection}.
 *
 * @module
 */

import type { AvatarImage, AvatarStore } from "../store.ts";
import type { SqliteConnection } from "./connection.ts";

/** {@linkcode AvatarStore} on a SQLite connection. */
export class SqliteAvatars implements AvatarStore {
  readonly #db: SqliteConnection;

  /** Runs avatar statements on `db`. */
  constructor(db: SqliteConnection) {
    this.#db = db;
  }

  setAvatar(accountId: number, avatar: string): Promise<boolean> {
    return this.#db.transaction(() => {
      const changed = this.#db.statement(
        "UPDATE accounts SET avatar = ? WHERE id = ?",
      ).run(avatar, accountId).changes === 1;
      // The version row stays (bytes emptied) so a later picture gets a
      // higher version, and a cached URL of the old one never matches it.
      this.#db.statement(
        "UPDATE avatar_images SET bytes = x'', type = '' WHERE account_id = ?",
      ).run(accountId);
      return changed;
    });
  }

  setAvatarImage(
    accountId: number,
    image: Omit<AvatarImage, "version">,
  ): Promise<number | undefined> {
    return this.#db.transaction(() => {
      const exists = this.#db.statement(
        "SELECT 1 AS one FROM accounts WHERE id = ?",
      ).get(accountId);
      if (exists === undefined) return undefined;
      const version = Number(
        (this.#db.statement(
          "INSERT INTO avatar_versions DEFAULT VALUES RETURNING id",
        ).get() as { id: number }).id,
      );
      // Only the newest id is worth keeping (AUTOINCREMENT remembers it).
      this.#db.statement("DELETE FROM avatar_versions WHERE id < ?").run(
        version,
      );
      this.#db.statement(
        `INSERT INTO avatar_images (account_id, type, bytes, version)
         VALUES (?, ?, ?, ?)
         ON CONFLICT (account_id) DO UPDATE
           SET type = excluded.type, bytes = excluded.bytes,
               version = excluded.version`,
      ).run(accountId, image.type, image.bytes, version);
      this.#db.statement("UPDATE accounts SET avatar = ? WHERE id = ?")
        .run(`img:${version}`, accountId);
      return version;
    });
  }

  getAvatarImage(accountId: number): Promise<AvatarImage | undefined> {
    return this.#db.run(() => {
      const row = this.#db.statement(
        `SELECT type, bytes, version FROM avatar_images
         WHERE account_id = ? AND length(bytes) > 0`,
      ).get(accountId) as
        | { type: string; bytes: Uint8Array; version: number }
        | undefined;
      return row &&
        {
          type: row.type,
          bytes: new Uint8Array(row.bytes),
          version: Number(row.version),
        };
    });
  }

  avatarsOf(
    usernameKeys: readonly string[],
  ): Promise<Array<{ usernameKey: string; username: string; avatar: string }>> {
    return this.#db.run(() => {
      const read = this.#db.statement(
        `SELECT username_key AS usernameKey, username, avatar
         FROM accounts WHERE username_key = ?`,
      );
      const found: Array<
        { usernameKey: string; username: string; avatar: string }
      > = [];
      for (const key of new Set(usernameKeys)) {
        const row = read.get(key) as typeof found[number] | undefined;
        if (row !== undefined) found.push({ ...row });
      }
      return found;
    });
  }
}
