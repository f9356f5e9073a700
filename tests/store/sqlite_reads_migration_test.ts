/**
 * Migration 6 of the SQLite store (read state and avatars): a database
 * written by schema version 5 keeps its accounts, messages, queue and
 * files, every account gets receipts on and the default avatar, and read
 * positions and pictures work afterwards.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { confusableSkeleton } from "../../lib/shared/confusables.ts";
import {
  APPLICATION_ID,
  MIGRATIONS,
  SCHEMA_VERSION,
  SqliteStore,
} from "../../lib/store/sqlite/sqlite_store.ts";
import type { AccountRecord, StoredMessage } from "../../lib/store/store.ts";
import { tempDir } from "../_util.ts";

/**
 * Builds the file at `path` as version 5 wrote it: Alice (1, an admin with
 * a status and a recovery code) and bob (2); room messages 1, 3 (deleted)
 * and 4 (bob's), message 2 queued for bob, and file 1 shared into the
 * lobby by message 5.
 */
function writeVersion5(path: string): void {
  using raw = new DatabaseSync(path);
  for (const migration of MIGRATIONS.slice(0, 5)) raw.exec(migration);
  raw.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
  raw.exec("PRAGMA user_version = 5");
  const account = raw.prepare(
    `INSERT INTO accounts (username, username_key, username_skeleton,
       password_hash, recovery_code_hash, is_admin, created_at, last_seen_at,
       password_changed_at, status)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  account.run(
    "Alice",
    "alice",
    confusableSkeleton("alice"),
    "h".repeat(64),
    "c".repeat(64),
    1,
    1_000,
    1_500,
    1_200,
    "away 🌙",
  );
  account.run(
    "bob",
    "bob",
    confusableSkeleton("bob"),
    "g".repeat(64),
    null,
    0,
    1_100,
    null,
    1_100,
    "",
  );
  const message = raw.prepare(
    `INSERT INTO messages (id, room, sender, recipient, text, created_at,
       deleted_at, file_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  message.run(1, "lobby", "Alice", null, "hello", 1_000, null, null);
  message.run(2, null, "Alice", "bob", "psst", 1_100, null, null);
  message.run(3, "lobby", "Alice", null, "oops", 1_200, 1_300, null);
  message.run(4, "lobby", "bob", null, "hi", 1_400, null, null);
  message.run(5, "lobby", "Alice", null, "notes.txt", 1_600, null, 1);
  raw.prepare(
    `INSERT INTO offline_queue (message_id, recipient_account_id, queued_at)
     VALUES (2, 2, 1100)`,
  ).run();
  raw.prepare(
    `INSERT INTO files (id, owner_account_id, sender, room, room_name,
       recipient_account_id, recipient, name, size, sha256, created_at,
       completed_at, message_id)
     VALUES (1, 1, 'Alice', 'lobby', 'Lobby', NULL, NULL, 'notes.txt', 100,
       '${"a".repeat(64)}', 1500, 1600, 5)`,
  ).run();
}

const ALICE: AccountRecord = {
  id: 1,
  username: "Alice",
  usernameKey: "alice",
  passwordHash: "h".repeat(64),
  recoveryCodeHash: "c".repeat(64),
  isAdmin: true,
  createdAt: 1_000,
  lastSeenAt: 1_500,
  passwordChangedAt: 1_200,
  status: "away 🌙",
  receipts: true,
  avatar: "",
};
const BOB: AccountRecord = {
  id: 2,
  username: "bob",
  usernameKey: "bob",
  passwordHash: "g".repeat(64),
  recoveryCodeHash: null,
  isAdmin: false,
  createdAt: 1_100,
  lastSeenAt: null,
  passwordChangedAt: 1_100,
  status: "",
  receipts: true,
  avatar: "",
};

const HELLO: StoredMessage = {
  id: 1,
  room: "lobby",
  sender: "Alice",
  recipient: null,
  text: "hello",
  createdAt: 1_000,
};
const PSST: StoredMessage = {
  id: 2,
  room: null,
  sender: "Alice",
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
const NOTES: StoredMessage = {
  id: 5,
  room: "lobby",
  sender: "Alice",
  recipient: null,
  text: "notes.txt",
  createdAt: 1_600,
  file: { id: 1, name: "notes.txt", size: 100 },
};

Deno.test("SqliteStore.open() migrates a version 5 database to 6: every account gets receipts on and the default avatar, nothing is lost, and reads and avatars work afterwards", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "v5.db");
  writeVersion5(path);
  {
    using store = SqliteStore.open(path);
    assert.deepEqual(await store.listAccounts(), [ALICE, BOB]);
    assert.deepEqual(await store.getAccount("alice"), ALICE);
    assert.deepEqual(await store.avatarsOf(["alice", "bob"]), [
      { usernameKey: "alice", username: "Alice", avatar: "" },
      { usernameKey: "bob", username: "bob", avatar: "" },
    ]);
    assert.equal(await store.getMessage(3), undefined);
    assert.deepEqual(await store.roomHistory("lobby", { count: 10 }), {
      messages: [HELLO, HI, NOTES],
      more: false,
    });
    assert.deepEqual(await store.peekOffline(2, 10), [PSST]);
    assert.equal(await store.maxMessageId(), 5);
    assert.deepEqual(await store.getFile(1), {
      id: 1,
      ownerAccountId: 1,
      sender: "Alice",
      room: "lobby",
      roomName: "Lobby",
      recipientAccountId: null,
      recipient: null,
      name: "notes.txt",
      size: 100,
      sha256: "a".repeat(64),
      createdAt: 1_500,
      completedAt: 1_600,
      messageId: 5,
    });
    // Nobody has read anything yet: no position, no receipt, no picture.
    assert.deepEqual(
      await store.roomReads(2, "bob", { limit: 50, cap: 999 }),
      [],
    );
    assert.deepEqual(await store.takePendingPmReads(1, 50), []);
    assert.equal(await store.getAvatarImage(1), undefined);

    // The old messages count as unread: hello and the file, not bob's hi.
    assert.equal(
      await store.setRoomRead(2, {
        room: "lobby",
        roomName: "Lobby",
        messageId: 0,
        at: 2_000,
      }),
      true,
    );
    assert.deepEqual(
      await store.roomReads(2, "bob", { limit: 50, cap: 999 }),
      [{ room: "lobby", roomName: "Lobby", messageId: 0, unread: 2 }],
    );
    assert.equal(
      await store.setPmRead(1, 2, { messageId: 2, at: 2_100, pending: true }),
      true,
    );
    assert.equal(await store.setReceipts(2, false), true);
    assert.equal(
      await store.setAvatarImage(1, {
        type: "image/png",
        bytes: new Uint8Array([0x89, 0x50]),
      }),
      1,
    );
  }
  // Reopened: already at 6, nothing to migrate, everything kept.
  {
    using store = SqliteStore.open(path);
    assert.deepEqual(await store.listAccounts(), [
      { ...ALICE, avatar: "img:1" },
      { ...BOB, receipts: false },
    ]);
    assert.deepEqual(await store.takePendingPmReads(1, 50), [
      { reader: "bob", messageId: 2, readAt: 2_100 },
    ]);
    assert.deepEqual(await store.getAvatarImage(1), {
      type: "image/png",
      bytes: new Uint8Array([0x89, 0x50]),
      version: 1,
    });
    assert.deepEqual(await store.takeOffline(2), [PSST]);
  }
  using raw = new DatabaseSync(path);
  // Migration 6 is the newest so far; a later one runs after it.
  assert.equal(
    (raw.prepare("PRAGMA user_version").get() as { user_version: number })
      .user_version,
    SCHEMA_VERSION,
  );
  assert.deepEqual(
    raw.prepare("SELECT id, receipts, avatar FROM accounts ORDER BY id").all()
      .map((row) => [row.id, row.receipts, row.avatar]),
    [[1, 1, "img:1"], [2, 0, ""]],
  );
});
