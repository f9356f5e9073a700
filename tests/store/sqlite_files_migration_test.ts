/**
 * Migration 5 of the SQLite store (shared files): a database written by
 * schema version 4 keeps its messages, read back as before, and shares
 * files afterwards.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  APPLICATION_ID,
  MIGRATIONS,
  SCHEMA_VERSION,
  SqliteStore,
} from "../../lib/store/sqlite/sqlite_store.ts";
import type { StoredMessage } from "../../lib/store/store.ts";
import { tempDir } from "../_util.ts";

/**
 * Builds the file at `path` as version 4 wrote it: alice (1) and bob (2),
 * room messages 1, 3 (deleted) and 4, and message 2 queued for bob.
 */
function writeVersion4(path: string): void {
  using raw = new DatabaseSync(path);
  for (const migration of MIGRATIONS.slice(0, 4)) raw.exec(migration);
  raw.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
  raw.exec("PRAGMA user_version = 4");
  const account = raw.prepare(
    `INSERT INTO accounts (username, username_key, username_skeleton,
       password_hash, created_at, password_changed_at)
     VALUES (?, ?, ?, '${"h".repeat(64)}', 1000, 1000)`,
  );
  account.run("alice", "alice", "allce");
  account.run("bob", "bob", "bob");
  const message = raw.prepare(
    `INSERT INTO messages (id, room, sender, recipient, text, created_at,
       deleted_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  message.run(1, "lobby", "alice", null, "hello", 1_000, null);
  message.run(2, null, "alice", "bob", "psst", 1_100, null);
  message.run(3, "lobby", "alice", null, "oops", 1_200, 1_300);
  message.run(4, "lobby", "bob", null, "hi", 1_400, null);
  raw.prepare(
    `INSERT INTO offline_queue (message_id, recipient_account_id, queued_at)
     VALUES (2, 2, 1100)`,
  ).run();
}

const HELLO: StoredMessage = {
  id: 1,
  room: "lobby",
  sender: "alice",
  recipient: null,
  text: "hello",
  createdAt: 1_000,
};
const PSST: StoredMessage = {
  id: 2,
  room: null,
  sender: "alice",
  recipient: "bob",
  text: "psst",
  createdAt: 1_100,
};
const HI: StoredMessage = {
  id: 4,
  room: "lobby",
  sender: "bob",
  recipient: null,
  text: "hi",
  createdAt: 1_400,
};

Deno.test("SqliteStore.open() migrates a version 4 database to 5, keeping its messages (without a file) and sharing files afterwards", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "v4.db");
  writeVersion4(path);
  let fileId: number;
  {
    using store = SqliteStore.open(path);
    assert.deepEqual(await store.getMessage(1), HELLO);
    assert.equal(await store.getMessage(3), undefined);
    assert.deepEqual(await store.roomHistory("lobby", { count: 10 }), {
      messages: [HELLO, HI],
      more: false,
    });
    assert.equal(await store.countOffline(2), 1);
    assert.deepEqual(await store.peekOffline(2, 10), [PSST]);
    assert.equal(await store.maxMessageId(), 4);
    assert.deepEqual(await store.fileIds(), new Set());

    const created = await store.createFile({
      ownerAccountId: 1,
      sender: "alice",
      room: "lobby",
      roomName: "Lobby",
      recipientAccountId: null,
      recipient: null,
      name: "notes.txt",
      size: 100,
      sha256: "a".repeat(64),
      createdAt: 2_000,
    }, { maxOwnerBytes: 1_000, maxUnfinished: 1 });
    assert.ok(created.ok);
    fileId = created.file.id;
    const shared: StoredMessage = {
      id: 5,
      room: "lobby",
      sender: "alice",
      recipient: null,
      text: "notes.txt",
      createdAt: 2_100,
      file: { id: created.file.id, name: "notes.txt", size: 100 },
    };
    assert.equal(await store.completeFile(created.file.id, shared), "stored");
    assert.deepEqual(await store.roomHistory("lobby", { count: 10 }), {
      messages: [HELLO, HI, shared],
      more: false,
    });
    assert.deepEqual(await store.takeOffline(2), [PSST]);
    assert.deepEqual(
      (await store.listFiles({ accountId: 2, room: "lobby", limit: 10 }))
        .map((file) => [file.id, file.completedAt, file.messageId]),
      [[created.file.id, 2_100, 5]],
    );
  }
  using raw = new DatabaseSync(path);
  // Migration 5 is the newest so far; a later one runs after it.
  assert.equal(
    (raw.prepare("PRAGMA user_version").get() as { user_version: number })
      .user_version,
    SCHEMA_VERSION,
  );
  assert.deepEqual(
    raw.prepare("SELECT id, file_id AS fileId FROM messages ORDER BY id")
      .all().map((row) => [row.id, row.fileId]),
    [[1, null], [2, null], [3, null], [4, null], [5, fileId]],
  );
});
