import assert from "node:assert/strict";
import { roomMessage } from "./contract/fixtures.ts";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  APPLICATION_ID,
  MIGRATIONS,
  SCHEMA_VERSION,
  SqliteStore,
} from "../../lib/store/sqlite/sqlite_store.ts";
import type {
  AuditEntry,
  AuditEventType,
  StoredMessage,
} from "../../lib/store/store.ts";
import { tempDir, tempStore } from "../_util.ts";

function audit(
  event: AuditEventType,
  username: string | null = null,
  at = 1_000,
): AuditEntry {
  return { at, event, username, address: "operator", detail: null };
}

function privateMessage(
  id: number,
  recipient = "bob",
  createdAt = id,
): StoredMessage {
  return {
    id,
    room: null,
    sender: "alice",
    recipient,
    text: `private ${id}`,
    createdAt,
  };
}

async function mustCreate(store: SqliteStore, name: string) {
  const account = await store.createAccount(
    {
      username: name,
      usernameKey: name.toLowerCase(),
      passwordHash: "h".repeat(64),
      recoveryCodeHash: null,
      createdAt: 1_000,
    },
    audit("register", name),
  );
  assert.ok(account, `account ${name} should be created`);
  return account;
}

function ids(messages: readonly StoredMessage[]): number[] {
  return messages.map((message) => message.id);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

// ---------------------------------------------------------------------------
// Migration

Deno.test("SqliteStore.open() migrates a version 2 database, keeping accounts and adding chat tables", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "v2.db");
  {
    // Build the file as version 2 wrote it.
    using raw = new DatabaseSync(path);
    raw.exec(MIGRATIONS[0]!);
    raw.exec(MIGRATIONS[1]!);
    raw.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    raw.exec("PRAGMA user_version = 2");
    raw.exec(
      `INSERT INTO accounts (username, username_key, password_hash,
         is_admin, created_at, password_changed_at)
       VALUES ('Bob', 'bob', '${"h".repeat(64)}', 1, 1000, 1000)`,
    );
    raw.exec(
      `INSERT INTO resume_tokens (token_hash, account_id, expires_at)
       VALUES ('${"t".repeat(64)}', 1, 9000)`,
    );
  }
  {
    using store = SqliteStore.open(path);
    const bob = await store.getAccount("bob");
    assert.equal(bob?.username, "Bob");
    assert.equal(bob?.isAdmin, true);
    assert.equal(bob?.status, "");
    assert.equal(
      (await store.redeemResumeToken("t".repeat(64), 5_000))?.id,
      bob.id,
    );
    assert.equal(await store.maxMessageId(), 0);
    assert.equal(await store.setStatus(bob.id, "away"), true);
    assert.equal(
      await store.queueOffline(privateMessage(1, "Bob"), bob.id, 10),
      "queued",
    );
    assert.equal(
      await store.setMute(bob.id, {
        until: 5_000,
        reason: null,
        by: "operator",
      }, audit("mute")),
      true,
    );
    await store.insertMessages([roomMessage(2)]);
  }
  using store = SqliteStore.open(path);
  const bob = (await store.getAccount("bob"))!;
  assert.equal(bob.status, "away");
  assert.deepEqual(ids(await store.takeOffline(bob.id)), [1]);
  assert.ok(await store.getMute(bob.id, 4_000));
  assert.deepEqual(
    ids((await store.roomHistory("lobby", { count: 10 })).messages),
    [2],
  );
  using raw = new DatabaseSync(path);
  const version = raw.prepare("PRAGMA user_version").get() as Record<
    string,
    unknown
  >;
  assert.equal(version.user_version, SCHEMA_VERSION);
});

// ---------------------------------------------------------------------------
// Messages and history

Deno.test("SqliteStore.maxMessageId() is 0 when empty, then the highest id", async () => {
  await using t = await tempStore();
  assert.equal(await t.store.maxMessageId(), 0);
  await t.store.insertMessages([roomMessage(7), roomMessage(3)]);
  assert.equal(await t.store.maxMessageId(), 7);
  await t.store.deleteMessage(7, 100);
  assert.equal(await t.store.maxMessageId(), 7, "deleted ids stay taken");
});

Deno.test("SqliteStore.insertMessages() stores all or nothing", async () => {
  await using t = await tempStore();
  await t.store.insertMessages([]);
  await t.store.insertMessages([roomMessage(1)]);
  // Message 1 already exists: the whole batch is rolled back.
  await assert.rejects(
    t.store.insertMessages([roomMessage(2), roomMessage(1), roomMessage(3)]),
  );
  assert.deepEqual(
    ids((await t.store.roomHistory("lobby", { count: 10 })).messages),
    [1],
  );
  assert.equal(await t.store.maxMessageId(), 1);
  // The store is still usable after the rollback.
  await t.store.insertMessages([roomMessage(2)]);
  assert.equal(await t.store.maxMessageId(), 2);
});

Deno.test("SqliteStore.getMessage() round-trips every field and hides deleted messages", async () => {
  await using t = await tempStore();
  const room = { ...roomMessage(1), text: "héllo 👋\nnext", createdAt: 1e12 };
  const pm = privateMessage(2);
  await t.store.insertMessages([room, pm]);
  assert.deepEqual(await t.store.getMessage(1), room);
  assert.deepEqual(await t.store.getMessage(2), pm);
  assert.equal(await t.store.getMessage(3), undefined);
  await t.store.deleteMessage(1, 5);
  assert.equal(await t.store.getMessage(1), undefined);
});

Deno.test("SqliteStore.roomHistory() pages back with before, each message exactly once in order", async () => {
  await using t = await tempStore();
  const all = range(1, 95);
  await t.store.insertMessages(all.map((id) => roomMessage(id)));
  const pages: number[][] = [];
  let page = await t.store.roomHistory("lobby", { count: 20 });
  pages.push(ids(page.messages));
  while (page.more) {
    const oldest = page.messages[0]!.id;
    page = await t.store.roomHistory("lobby", { count: 20, before: oldest });
    pages.push(ids(page.messages));
    assert.ok(pages.length <= 5, "paging does not end");
  }
  assert.deepEqual(pages[0], range(76, 95), "newest 20, oldest first");
  assert.equal(pages.length, 5);
  assert.deepEqual(pages.at(-1), range(1, 15));
  assert.deepEqual(pages.toReversed().flat(), all);
});

Deno.test("SqliteStore.roomHistory() pages forward with after, each message exactly once in order", async () => {
  await using t = await tempStore();
  const all = range(1, 95);
  await t.store.insertMessages(all.map((id) => roomMessage(id)));
  const seen: number[] = [];
  let after = 0;
  let more = true;
  let calls = 0;
  while (more) {
    const page = await t.store.roomHistory("lobby", { count: 20, after });
    seen.push(...ids(page.messages));
    more = page.more;
    after = page.messages.at(-1)?.id ?? after;
    assert.ok(++calls <= 5, "paging does not end");
  }
  assert.equal(calls, 5);
  assert.deepEqual(seen, all);
});

Deno.test("SqliteStore.roomHistory() sets more exactly at the boundary", async (t) => {
  await using s = await tempStore();
  await s.store.insertMessages(range(1, 40).map((id) => roomMessage(id)));
  const cases = [
    { query: { count: 40 }, ids: range(1, 40), more: false },
    { query: { count: 39 }, ids: range(2, 40), more: true },
    { query: { count: 10, before: 11 }, ids: range(1, 10), more: false },
    { query: { count: 10, before: 12 }, ids: range(2, 11), more: true },
    { query: { count: 10, after: 30 }, ids: range(31, 40), more: false },
    { query: { count: 10, after: 29 }, ids: range(30, 39), more: true },
    { query: { count: 10, after: 40 }, ids: [], more: false },
    { query: { count: 10, before: 1 }, ids: [], more: false },
    { query: { count: 0 }, ids: [], more: true },
  ];
  for (const c of cases) {
    await t.step(JSON.stringify(c.query), async () => {
      const page = await s.store.roomHistory("lobby", c.query);
      assert.deepEqual(ids(page.messages), c.ids);
      assert.equal(page.more, c.more);
    });
  }
});

Deno.test("SqliteStore.roomHistory() excludes deleted messages, other rooms and private messages", async () => {
  await using t = await tempStore();
  const messages: StoredMessage[] = [];
  for (let id = 1; id <= 60; id++) {
    messages.push(
      id % 3 === 0
        ? privateMessage(id)
        : id % 3 === 1
        ? roomMessage(id, "lobby")
        : roomMessage(id, "ops"),
    );
  }
  await t.store.insertMessages(messages);
  const deleted = [1, 28, 58];
  for (const id of deleted) assert.ok(await t.store.deleteMessage(id, 100));
  const lobby = range(1, 60).filter((id) =>
    id % 3 === 1 && !deleted.includes(id)
  );
  // Page back 4 at a time so deleted rows sit at page edges.
  const pages: number[][] = [];
  let page = await t.store.roomHistory("lobby", { count: 4 });
  pages.push(ids(page.messages));
  while (page.more) {
    page = await t.store.roomHistory("lobby", {
      count: 4,
      before: page.messages[0]!.id,
    });
    pages.push(ids(page.messages));
  }
  assert.deepEqual(pages.toReversed().flat(), lobby);
  assert.deepEqual(
    ids((await t.store.roomHistory("ops", { count: 100 })).messages),
    range(1, 60).filter((id) => id % 3 === 2),
  );
  assert.deepEqual(
    await t.store.roomHistory("nowhere", { count: 10 }),
    { messages: [], more: false },
  );
});

Deno.test("SqliteStore.roomHistory() rejects bad queries", async () => {
  await using t = await tempStore();
  await assert.rejects(
    t.store.roomHistory("lobby", { count: 5, before: 10, after: 2 }),
    TypeError,
  );
  for (const count of [-1, 1.5, Number.NaN, Infinity]) {
    await assert.rejects(
      t.store.roomHistory("lobby", { count }),
      RangeError,
      String(count),
    );
  }
});

Deno.test("SqliteStore.deleteMessage() returns the message once and logs the audit entry", async () => {
  await using t = await tempStore();
  const message = roomMessage(1);
  await t.store.insertMessages([message]);
  const entry = { ...audit("delete_message", "alice"), detail: "message 1" };
  assert.deepEqual(await t.store.deleteMessage(1, 50, entry), message);
  assert.equal(await t.store.deleteMessage(1, 60, entry), undefined);
  assert.equal(await t.store.deleteMessage(99, 60, entry), undefined);
  assert.deepEqual(await t.store.listAudit({ event: "delete_message" }), [
    entry,
  ]);
  using raw = new DatabaseSync(t.path);
  const row = raw.prepare("SELECT deleted_at FROM messages WHERE id = 1")
    .get();
  assert.equal(row?.deleted_at, 50);
});

// ---------------------------------------------------------------------------
// Offline queue

Deno.test("SqliteStore.takeOffline() hands out queued messages once, oldest first", async () => {
  await using t = await tempStore();
  const bob = await mustCreate(t.store, "bob");
  const carol = await mustCreate(t.store, "carol");
  for (const id of [3, 5, 9]) {
    assert.equal(
      await t.store.queueOffline(privateMessage(id), bob.id, 10),
      "queued",
    );
  }
  await t.store.queueOffline(privateMessage(4, "carol"), carol.id, 10);
  const taken = await t.store.takeOffline(bob.id);
  assert.deepEqual(taken, [3, 5, 9].map((id) => privateMessage(id)));
  assert.deepEqual(await t.store.takeOffline(bob.id), []);
  // The messages stay in history as private messages.
  assert.deepEqual(await t.store.getMessage(5), privateMessage(5));
  assert.deepEqual(ids(await t.store.takeOffline(carol.id)), [4]);
});

Deno.test("SqliteStore.queueOffline() refuses a full queue and writes nothing", async () => {
  await using t = await tempStore();
  const bob = await mustCreate(t.store, "bob");
  assert.equal(
    await t.store.queueOffline(privateMessage(1), bob.id, 2),
    "queued",
  );
  assert.equal(
    await t.store.queueOffline(privateMessage(2), bob.id, 2),
    "queued",
  );
  assert.equal(
    await t.store.queueOffline(privateMessage(3), bob.id, 2),
    "full",
  );
  assert.equal(await t.store.getMessage(3), undefined);
  assert.equal(await t.store.maxMessageId(), 2);
  assert.deepEqual(ids(await t.store.takeOffline(bob.id)), [1, 2]);
  // Taking frees the room.
  assert.equal(
    await t.store.queueOffline(privateMessage(3), bob.id, 2),
    "queued",
  );
});

Deno.test("SqliteStore.queueOffline() is durable across a reopen and delivered once", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "tcpchat.db");
  let bobId: number;
  {
    using store = SqliteStore.open(path);
    bobId = (await mustCreate(store, "bob")).id;
    await store.queueOffline(privateMessage(1), bobId, 10);
    await store.queueOffline(privateMessage(2), bobId, 10);
  }
  {
    using store = SqliteStore.open(path);
    assert.deepEqual(ids(await store.takeOffline(bobId)), [1, 2]);
  }
  using store = SqliteStore.open(path);
  assert.deepEqual(await store.takeOffline(bobId), []);
  assert.equal(await store.maxMessageId(), 2);
});

Deno.test("SqliteStore.takeOffline() drops deleted messages and deleteAccount() clears the queue", async () => {
  await using t = await tempStore();
  const bob = await mustCreate(t.store, "bob");
  const carol = await mustCreate(t.store, "carol");
  await t.store.queueOffline(privateMessage(1), bob.id, 10);
  await t.store.queueOffline(privateMessage(2), bob.id, 10);
  await t.store.deleteMessage(1, 10);
  assert.deepEqual(ids(await t.store.takeOffline(bob.id)), [2]);
  await t.store.queueOffline(privateMessage(3, "carol"), carol.id, 10);
  await t.store.deleteAccount(carol.id, audit("account_deleted", "carol"));
  using raw = new DatabaseSync(t.path);
  const row = raw.prepare("SELECT count(*) AS n FROM offline_queue").get();
  assert.equal(row?.n, 0);
});

Deno.test("SqliteStore.queueOffline() rejects an unknown recipient account", async () => {
  await using t = await tempStore();
  await assert.rejects(t.store.queueOffline(privateMessage(1), 42, 10));
  assert.equal(await t.store.maxMessageId(), 0, "rolled back");
});

// ---------------------------------------------------------------------------
// Pruning

Deno.test("SqliteStore.pruneMessages() deletes old messages but keeps queued ones and the newest", async () => {
  await using t = await tempStore();
  const bob = await mustCreate(t.store, "bob");
  await t.store.insertMessages(
    range(1, 10).map((id) => roomMessage(id, "lobby", id * 100)),
  );
  await t.store.queueOffline(privateMessage(11, "bob", 150), bob.id, 10);
  await t.store.insertMessages([roomMessage(12, "lobby", 2_000)]);
  // Created before 600: messages 1-5 and the queued message 11.
  assert.equal(await t.store.pruneMessages(600), 5);
  assert.deepEqual(
    ids((await t.store.roomHistory("lobby", { count: 100 })).messages),
    [6, 7, 8, 9, 10, 12],
  );
  assert.deepEqual(ids(await t.store.takeOffline(bob.id)), [11]);
  // Delivered now, so it may go.
  assert.equal(await t.store.pruneMessages(600), 1);
  // Everything is old now, yet the newest row keeps the id high-water mark.
  assert.equal(await t.store.pruneMessages(1e15), 5);
  assert.equal(await t.store.maxMessageId(), 12);
  assert.equal(await t.store.pruneMessages(1e15), 0);
});

Deno.test("SqliteStore.pruneMessages() stops at the limit across several batches", async () => {
  await using t = await tempStore();
  await t.store.insertMessages(range(1, 2_600).map((id) => roomMessage(id)));
  assert.equal(await t.store.pruneMessages(10_000, 2_100), 2_100);
  assert.equal(await t.store.pruneMessages(10_000, 2_100), 499);
  const page = await t.store.roomHistory("lobby", { count: 10 });
  assert.deepEqual(ids(page.messages), [2_600]);
  assert.equal(await t.store.pruneMessages(10_000, 0), 0);
  await assert.rejects(t.store.pruneMessages(10_000, -1), RangeError);
});

// ---------------------------------------------------------------------------
// Mutes and profile status

Deno.test("SqliteStore mutes expire, are replaced and are lifted with audit entries", async () => {
  await using t = await tempStore();
  const bob = await mustCreate(t.store, "bob");
  assert.equal(await t.store.getMute(bob.id, 0), undefined);
  assert.equal(
    await t.store.setMute(
      bob.id,
      { until: 5_000, reason: "spam", by: "alice" },
      audit("mute", "bob"),
    ),
    true,
  );
  assert.deepEqual(await t.store.getMute(bob.id, 4_999), {
    until: 5_000,
    reason: "spam",
    by: "alice",
  });
  assert.equal(await t.store.getMute(bob.id, 5_000), undefined, "expired");
  assert.equal(await t.store.getMute(bob.id, 6_000), undefined);
  // A new mute replaces the old one.
  await t.store.setMute(
    bob.id,
    { until: 9_000, reason: null, by: null },
    audit("mute", "bob"),
  );
  assert.deepEqual(await t.store.getMute(bob.id, 6_000), {
    until: 9_000,
    reason: null,
    by: null,
  });
  assert.equal(
    await t.store.clearMute(bob.id, audit("unmute", "bob", 7_000)),
    true,
  );
  assert.equal(await t.store.getMute(bob.id, 7_000), undefined);
  assert.equal(
    await t.store.clearMute(bob.id, audit("unmute", "bob", 7_000)),
    false,
  );
  // Lifting a mute that already expired is not an unmute.
  await t.store.setMute(
    bob.id,
    { until: 8_000, reason: null, by: null },
    audit("mute", "bob"),
  );
  assert.equal(
    await t.store.clearMute(bob.id, audit("unmute", "bob", 8_000)),
    false,
  );
  assert.equal(
    await t.store.setMute(
      999,
      { until: 8_000, reason: null, by: null },
      audit("mute", "ghost"),
    ),
    false,
  );
  assert.deepEqual(
    (await t.store.listAudit()).map((entry) => entry.event),
    ["mute", "unmute", "mute", "mute", "register"],
  );
  // Mutes die with the account.
  await t.store.setMute(
    bob.id,
    { until: 9_000, reason: null, by: null },
    audit("mute", "bob"),
  );
  await t.store.deleteAccount(bob.id, audit("account_deleted", "bob"));
  assert.equal(await t.store.getMute(bob.id, 0), undefined);
});

Deno.test("SqliteStore.setStatus() round-trips through the account record", async () => {
  await using t = await tempStore();
  const alice = await mustCreate(t.store, "alice");
  assert.equal(alice.status, "");
  assert.equal(await t.store.setStatus(alice.id, "at lunch 🍜"), true);
  assert.equal((await t.store.getAccount("alice"))?.status, "at lunch 🍜");
  assert.equal((await t.store.listAccounts())[0]?.status, "at lunch 🍜");
  assert.equal(await t.store.setStatus(alice.id, ""), true);
  assert.equal((await t.store.getAccount("alice"))?.status, "");
  assert.equal(await t.store.setStatus(999, "x"), false);
});
