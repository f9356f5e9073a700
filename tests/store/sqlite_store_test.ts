import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { sha256Hex } from "../../lib/server/auth/password_hash.ts";
import {
  APPLICATION_ID,
  MIGRATIONS,
  SCHEMA_VERSION,
  SqliteStore,
  type SqliteStoreOptions,
} from "../../lib/store/sqlite/sqlite_store.ts";
import {
  type AuditEntry,
  type AuditEventType,
  type NewAccount,
  StoreError,
  type StoreErrorCode,
} from "../../lib/store/store.ts";
import { holdWriteLock } from "../_db_lock.ts";
import { tempDir, tempStore } from "../_util.ts";

const isWindows = Deno.build.os === "windows";

/** Every table the current schema has, by name. */
const TABLES = [
  "accounts",
  "audit_log",
  "avatar_images",
  "avatar_versions",
  "files",
  "messages",
  "mutes",
  "offline_queue",
  "pm_reads",
  "reset_tokens",
  "resume_tokens",
  "room_reads",
  // SQLite's own, kept for the files table's AUTOINCREMENT.
  "sqlite_sequence",
];

function audit(
  event: AuditEventType,
  username: string | null = null,
  at = 1_000,
): AuditEntry {
  return { at, event, username, address: "127.0.0.1:5000", detail: null };
}

function newAccount(name: string, overrides: Partial<NewAccount> = {}) {
  return {
    username: name,
    usernameKey: name.toLowerCase(),
    passwordHash: "h".repeat(64),
    recoveryCodeHash: null,
    createdAt: 1_000,
    ...overrides,
  } satisfies NewAccount;
}

/** Creates an account and returns it, failing the test if the key is taken. */
async function mustCreate(
  store: SqliteStore,
  name: string,
  overrides: Partial<NewAccount> = {},
) {
  const account = await store.createAccount(
    newAccount(name, overrides),
    audit("register", name),
  );
  assert.ok(account, `account ${name} should be created`);
  return account;
}

function pragma(db: DatabaseSync, name: string): unknown {
  const row = db.prepare(`PRAGMA ${name}`).get() as Record<string, unknown>;
  return row[name];
}

function count(db: DatabaseSync, sql: string): number {
  const row = db.prepare(sql).get() as Record<string, unknown>;
  return Number(Object.values(row)[0]);
}

/**
 * Asserts that opening `path` throws a StoreError with one of `codes` that
 * names the file, and that the file's bytes are unchanged afterwards.
 */
async function assertRefused(
  path: string,
  codes: readonly StoreErrorCode[],
  options?: SqliteStoreOptions,
): Promise<void> {
  const before = await Deno.readFile(path);
  assert.throws(
    () => SqliteStore.open(path, options).close(),
    (error: unknown) => {
      assert.ok(error instanceof StoreError, `not a StoreError: ${error}`);
      assert.ok(
        codes.includes(error.code),
        `code ${error.code} not in ${codes.join(", ")}`,
      );
      assert.equal(error.path, path);
      assert.ok(
        error.message.includes(path),
        `message does not name the file: ${error.message}`,
      );
      return true;
    },
  );
  assert.deepEqual(await Deno.readFile(path), before, "file bytes changed");
}

// ---------------------------------------------------------------------------
// Opening, schema and file permissions

Deno.test("SqliteStore.open() creates the schema in a fresh file", async () => {
  await using t = await tempStore();
  // synchronous=FULL is per-connection state and cannot be observed from a
  // second connection (whose own default is reported instead), so it is not
  // checked here.
  using raw = new DatabaseSync(t.path);
  assert.equal(pragma(raw, "user_version"), SCHEMA_VERSION);
  assert.equal(pragma(raw, "application_id"), APPLICATION_ID);
  assert.equal(pragma(raw, "journal_mode"), "wal");
  const tables = raw.prepare(
    "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
  ).all().map((row) => row.name);
  assert.deepEqual(tables, TABLES);
  assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
  assert.deepEqual(await t.store.listAccounts(), []);
  assert.deepEqual(await t.store.listAudit(), []);
});

Deno.test({
  name:
    "SqliteStore.open() creates the database and its WAL files with mode 0600",
  ignore: isWindows,
  async fn() {
    await using t = await tempStore();
    await mustCreate(t.store, "alice"); // makes sure the WAL is in use
    for (const suffix of ["", "-wal", "-shm"]) {
      const mode = (await Deno.stat(t.path + suffix)).mode! & 0o777;
      assert.equal(
        mode,
        0o600,
        `${t.path}${suffix} has mode ${mode.toString(8)}`,
      );
    }
  },
});

Deno.test("SqliteStore.open() keeps data across reopen without re-running migrations", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "tcpchat.db");
  let created;
  {
    using store = SqliteStore.open(path);
    created = await mustCreate(store, "Alice", {
      recoveryCodeHash: "r".repeat(64),
    });
  }
  let schemaVersion;
  {
    using raw = new DatabaseSync(path);
    schemaVersion = pragma(raw, "schema_version");
  }
  {
    using store = SqliteStore.open(path);
    assert.deepEqual(await store.getAccount("alice"), created);
    assert.deepEqual(await store.listAccounts(), [created]);
    assert.deepEqual(await store.listAudit(), [audit("register", "Alice")]);
  }
  using raw = new DatabaseSync(path);
  // The schema cookie changes with any DDL; migrations would bump it.
  assert.equal(pragma(raw, "schema_version"), schemaVersion);
  assert.equal(pragma(raw, "user_version"), SCHEMA_VERSION);
  assert.equal(
    count(raw, "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"),
    TABLES.length,
  );
});

Deno.test("SqliteStore.open() migrates a version 1 database to the current schema, keeping its data", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "v1.db");
  {
    // Build the file as version 1 wrote it.
    using raw = new DatabaseSync(path);
    raw.exec(MIGRATIONS[0]!);
    raw.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    raw.exec("PRAGMA user_version = 1");
    raw.exec(
      `INSERT INTO accounts (username, username_key, password_hash,
         created_at, password_changed_at)
       VALUES ('Alice', 'alice', '${"h".repeat(64)}', 1000, 1000)`,
    );
  }
  using store = SqliteStore.open(path);
  assert.equal((await store.listAccounts())[0]?.username, "Alice");
  assert.equal((await store.listAccounts())[0]?.status, "");
  await store.issueResumeToken(1, "r".repeat(64), Date.UTC(2030, 0, 1));
  assert.equal(
    (await store.redeemResumeToken("r".repeat(64), Date.UTC(2029, 0, 1)))
      ?.username,
    "Alice",
  );
  using raw = new DatabaseSync(path);
  assert.equal(pragma(raw, "user_version"), SCHEMA_VERSION);
});

Deno.test("SqliteStore.open() migrates a version 3 database, filling skeletons even where two names look alike", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "v3.db");
  {
    // Build the file as version 3 wrote it.
    using raw = new DatabaseSync(path);
    for (const migration of MIGRATIONS.slice(0, 3)) raw.exec(migration);
    raw.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    raw.exec("PRAGMA user_version = 3");
    const insert = raw.prepare(
      `INSERT INTO accounts (username, username_key, password_hash,
         created_at, password_changed_at, status)
       VALUES (?, ?, '${"h".repeat(64)}', 1000, 1000, ?)`,
    );
    insert.run("PayPal", "paypal", "here");
    insert.run(CYRILLIC_PAYPAL, CYRILLIC_PAYPAL, "");
    insert.run("Alice", "alice", "");
  }
  {
    using store = SqliteStore.open(path);
    assert.deepEqual(
      (await store.listAccounts()).map((a) => [a.username, a.status]),
      [["PayPal", "here"], [CYRILLIC_PAYPAL, ""], ["Alice", ""]],
    );
    assert.equal(
      (await store.findLookAlikeAccount("a1ice"))?.username,
      "Alice",
    );
  }
  using raw = new DatabaseSync(path);
  assert.equal(pragma(raw, "user_version"), SCHEMA_VERSION);
  assert.deepEqual(
    raw.prepare(
      "SELECT username_key AS k, username_skeleton AS s FROM accounts ORDER BY id",
    ).all().map((row) => [row.k, row.s]),
    [["paypal", "paypal"], [CYRILLIC_PAYPAL, "paypal"], ["alice", "allce"]],
  );
  const index = raw.prepare(
    "SELECT sql FROM sqlite_schema WHERE name = 'accounts_username_skeleton'",
  ).get();
  assert.equal(
    index?.sql,
    "CREATE INDEX accounts_username_skeleton ON accounts(username_skeleton)",
  );
});

Deno.test("SqliteStore resume tokens are single use, expire, and die with a password change", async () => {
  await using t = await tempStore();
  const alice = (await t.store.createAccount(
    newAccount("Alice"),
    audit("register", "Alice"),
  ))!;
  const at = Date.UTC(2026, 0, 1);
  await t.store.issueResumeToken(alice.id, "a".repeat(64), at + 1000);
  await t.store.issueResumeToken(alice.id, "b".repeat(64), at + 1000);
  assert.equal(
    await t.store.redeemResumeToken("a".repeat(64), at),
    undefined,
    "older voided",
  );
  assert.equal(
    (await t.store.redeemResumeToken("b".repeat(64), at))?.id,
    alice.id,
  );
  assert.equal(
    await t.store.redeemResumeToken("b".repeat(64), at),
    undefined,
    "single use",
  );
  await t.store.issueResumeToken(alice.id, "c".repeat(64), at + 1000);
  assert.equal(
    await t.store.redeemResumeToken("c".repeat(64), at + 1000),
    undefined,
    "expired",
  );
  await t.store.issueResumeToken(alice.id, "d".repeat(64), at + 1000);
  await t.store.changePassword(
    alice.id,
    "h".repeat(64),
    audit("password_changed", "Alice"),
  );
  assert.equal(
    await t.store.redeemResumeToken("d".repeat(64), at),
    undefined,
    "password change",
  );
  await t.store.issueResumeToken(alice.id, "e".repeat(64), at + 1000);
  await t.store.revokeResumeTokens(alice.id);
  assert.equal(
    await t.store.redeemResumeToken("e".repeat(64), at),
    undefined,
    "revoked",
  );
});

Deno.test("SqliteStore.recordLogin() stores last-seen, audit and the resume token together", async () => {
  await using t = await tempStore();
  const alice = await mustCreate(t.store, "alice");
  const at = Date.UTC(2026, 0, 1);
  await t.store.issueResumeToken(alice.id, "a".repeat(64), at + 1000);
  await t.store.recordLogin(alice.id, audit("login", "alice", at), {
    tokenHash: "b".repeat(64),
    expiresAt: at + 1000,
  });
  assert.equal((await t.store.getAccount("alice"))?.lastSeenAt, at);
  assert.deepEqual(
    (await t.store.listAudit({ event: "login" })).map((entry) => entry.at),
    [at],
  );
  assert.equal(
    await t.store.redeemResumeToken("a".repeat(64), at),
    undefined,
    "older voided",
  );
  assert.equal(
    (await t.store.redeemResumeToken("b".repeat(64), at))?.id,
    alice.id,
  );

  // Without a token, the account's current one is left alone.
  await t.store.issueResumeToken(alice.id, "c".repeat(64), at + 1000);
  await t.store.recordLogin(alice.id, audit("login", "alice", at + 5));
  assert.equal((await t.store.getAccount("alice"))?.lastSeenAt, at + 5);
  assert.equal(
    (await t.store.redeemResumeToken("c".repeat(64), at))?.id,
    alice.id,
  );
});

Deno.test("SqliteStore.recordLogin() writes nothing when any part fails", async () => {
  await using t = await tempStore();
  const alice = await mustCreate(t.store, "alice");
  const bob = await mustCreate(t.store, "bob");
  const at = Date.UTC(2026, 0, 1);
  await t.store.issueResumeToken(alice.id, "a".repeat(64), at + 1000);
  await t.store.issueResumeToken(bob.id, "b".repeat(64), at + 1000);
  const auditBefore = await t.store.listAudit({ limit: 1000 });
  // The token insert, last in the transaction, hits bob's token hash.
  await assert.rejects(
    t.store.recordLogin(alice.id, audit("login", "alice", at), {
      tokenHash: "b".repeat(64),
      expiresAt: at + 1000,
    }),
    /UNIQUE/,
  );
  assert.equal((await t.store.getAccount("alice"))?.lastSeenAt, null);
  assert.deepEqual(await t.store.listAudit({ limit: 1000 }), auditBefore);
  assert.equal(
    (await t.store.redeemResumeToken("a".repeat(64), at))?.id,
    alice.id,
    "the older token survived the rollback",
  );
  // The store (and its cached statements) still work after the rollback.
  await t.store.recordLogin(alice.id, audit("login", "alice", at), {
    tokenHash: "c".repeat(64),
    expiresAt: at + 1000,
  });
  assert.equal((await t.store.getAccount("alice"))?.lastSeenAt, at);
});

Deno.test("SqliteStore.recordLogout() revokes resume tokens only when asked", async () => {
  await using t = await tempStore();
  const alice = await mustCreate(t.store, "alice");
  const at = Date.UTC(2026, 0, 1);
  await t.store.issueResumeToken(alice.id, "a".repeat(64), at + 1000);
  await t.store.recordLogout(alice.id, audit("logout", "alice", at + 1));
  assert.equal((await t.store.getAccount("alice"))?.lastSeenAt, at + 1);
  assert.equal(
    (await t.store.redeemResumeToken("a".repeat(64), at))?.id,
    alice.id,
    "a dropped connection keeps its token",
  );
  await t.store.issueResumeToken(alice.id, "b".repeat(64), at + 1000);
  await t.store.recordLogout(alice.id, audit("logout", "alice", at + 2), {
    revokeResumeTokens: true,
  });
  assert.equal((await t.store.getAccount("alice"))?.lastSeenAt, at + 2);
  assert.equal(await t.store.redeemResumeToken("b".repeat(64), at), undefined);
  assert.deepEqual(
    (await t.store.listAudit({ event: "logout" })).map((entry) => entry.at),
    [at + 2, at + 1],
  );
});

Deno.test("SqliteStore reuses its prepared statements across many calls", async () => {
  await using t = await tempStore();
  const alice = await mustCreate(t.store, "alice");
  const bob = await mustCreate(t.store, "bob");
  for (let i = 1; i <= 200; i++) {
    const account = i % 2 === 0 ? alice : bob;
    await t.store.recordLogin(account.id, audit("login", account.username, i), {
      tokenHash: await sha256Hex(`token ${i}`),
      expiresAt: 10_000,
    });
    assert.equal(
      (await t.store.getAccount(account.usernameKey))?.lastSeenAt,
      i,
    );
    // Every variant of the one dynamically built query, each time.
    assert.equal((await t.store.listAudit({ limit: 1 }))[0]?.at, i);
    assert.equal(
      (await t.store.listAudit({ event: "login", limit: 1 }))[0]?.at,
      i,
    );
    assert.equal(
      (await t.store.listAudit({ username: account.username, limit: 1 }))[0]
        ?.at,
      i,
    );
    assert.equal(
      (await t.store.listAudit({
        event: "register",
        username: account.username,
      })).length,
      1,
    );
  }
  // Only the last token of each account is left, and it redeems once.
  assert.equal(
    await t.store.redeemResumeToken(await sha256Hex("token 198"), 0),
    undefined,
  );
  assert.equal(
    (await t.store.redeemResumeToken(await sha256Hex("token 200"), 0))?.id,
    alice.id,
  );
  assert.equal(
    (await t.store.redeemResumeToken(await sha256Hex("token 199"), 0))?.id,
    bob.id,
  );
  assert.equal(
    await t.store.redeemResumeToken(await sha256Hex("token 200"), 0),
    undefined,
  );
  assert.equal(
    (await t.store.listAudit({ event: "login", limit: 1000 })).length,
    200,
  );
});

Deno.test("SqliteStore.close() drops its prepared statements", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "closed.db");
  const store = SqliteStore.open(path);
  await mustCreate(store, "alice");
  assert.equal((await store.getAccount("alice"))?.username, "alice");
  store.close();
  store.close();
  // The statement used above is not reused once finalized: a plain failure.
  await assert.rejects(store.getAccount("alice"), /not open/);
  using reopened = SqliteStore.open(path);
  assert.equal((await reopened.getAccount("alice"))?.username, "alice");
});

Deno.test("SqliteStore.open() accepts an existing empty file as a new database", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "empty.db");
  await Deno.writeFile(path, new Uint8Array());
  using store = SqliteStore.open(path);
  assert.deepEqual(await store.listAccounts(), []);
});

// ---------------------------------------------------------------------------
// Refusals

Deno.test("SqliteStore.open() refuses a file that is not a database", async (t) => {
  await using dir = await tempDir();
  const cases = {
    "short text": "hello\n",
    "long text": "name,password\nalice,secret\n".repeat(200),
    "fake header": "SQLite format 3\0" + "x".repeat(4000),
  };
  for (const [name, text] of Object.entries(cases)) {
    await t.step(name, async () => {
      const path = join(dir.path, `${name.replace(" ", "_")}.db`);
      await Deno.writeTextFile(path, text);
      await assertRefused(path, ["not_a_database"]);
    });
  }
});

Deno.test("SqliteStore.open() refuses a SQLite database of another program", async (t) => {
  await using dir = await tempDir();
  await t.step("tables and application_id 0", async () => {
    const path = join(dir.path, "notes.db");
    {
      using raw = new DatabaseSync(path);
      raw.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)");
      raw.exec("INSERT INTO notes (body) VALUES ('keep me')");
    }
    await assertRefused(path, ["foreign_database"]);
  });
  await t.step("another application_id and no tables", async () => {
    const path = join(dir.path, "other.db");
    {
      using raw = new DatabaseSync(path);
      raw.exec("PRAGMA application_id = 1234");
    }
    await assertRefused(path, ["foreign_database"]);
  });
});

Deno.test("SqliteStore.open() refuses a database with a newer schema", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "future.db");
  {
    using raw = new DatabaseSync(path);
    raw.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    raw.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    raw.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, future TEXT)");
  }
  await assertRefused(path, ["newer_schema"]);
});

Deno.test("SqliteStore.open() refuses a corrupt database", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "tcpchat.db");
  {
    using store = SqliteStore.open(path);
    for (let i = 0; i < 40; i++) {
      await mustCreate(store, `user${i}`, {
        passwordHash: `${i}`.padEnd(64, "h"),
      });
    }
  }
  let pageSize: number;
  {
    using raw = new DatabaseSync(path);
    pageSize = Number(pragma(raw, "page_size"));
    assert.ok(Number(pragma(raw, "page_count")) >= 3);
  }
  const bytes = await Deno.readFile(path);
  // Garbage over the header and first cells of page 2 (the accounts table).
  bytes.fill(0xa5, pageSize, pageSize + 512);
  await Deno.writeFile(path, bytes);
  await assertRefused(path, ["corrupt", "not_a_database"]);
});

Deno.test("SqliteStore.open() refuses a path in a directory that does not exist", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "missing", "tcpchat.db");
  assert.throws(() => SqliteStore.open(path).close(), (error: unknown) => {
    assert.ok(error instanceof StoreError);
    assert.equal(error.code, "cannot_open");
    assert.equal(error.path, path);
    assert.ok(error.message.includes(path), error.message);
    return true;
  });
  await assert.rejects(
    Deno.stat(join(dir.path, "missing")),
    Deno.errors.NotFound,
  );
});

Deno.test("SqliteStore.open() refuses a database locked by another connection", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "tcpchat.db");
  using raw = new DatabaseSync(path);
  raw.exec("CREATE TABLE placeholder (x)");
  raw.exec("DROP TABLE placeholder");
  raw.exec("BEGIN EXCLUSIVE");
  try {
    await assertRefused(path, ["locked"], { openBusyTimeoutMs: 50 });
  } finally {
    raw.exec("ROLLBACK");
  }
  raw.close();
  // Once the lock is gone the same file opens.
  using store = SqliteStore.open(path, { busyTimeoutMs: 50 });
  assert.deepEqual(await store.listAccounts(), []);
});

Deno.test("SqliteStore.createAccount() rejects with locked while another connection holds the write lock", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "tcpchat.db");
  using store = SqliteStore.open(path, { busyTimeoutMs: 50 });
  using raw = new DatabaseSync(path);
  raw.exec("BEGIN EXCLUSIVE");
  try {
    await assert.rejects(
      store.createAccount(newAccount("alice"), audit("register", "alice")),
      (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.equal(error.code, "locked");
        assert.ok(error.message.includes(path), error.message);
        return true;
      },
    );
  } finally {
    raw.exec("ROLLBACK");
  }
  assert.ok(await store.createAccount(newAccount("alice"), audit("register")));
});

Deno.test("SqliteStore write fails with locked while another connection holds the lock, without waiting for it to go", async () => {
  await using t = await tempStore();
  assert.ok(await t.store.createAccount(newAccount("bob"), audit("register")));
  // Issue 13: node:sqlite waits for a lock synchronously, freezing every
  // client of the server. The write must give up while the lock is held.
  await using lock = await holdWriteLock(t.path);
  let heldWhenRefused: boolean | undefined;
  await assert.rejects(
    t.store.createAccount(newAccount("alice"), audit("register", "alice"))
      .catch((error) => {
        heldWhenRefused = lock.held();
        throw error;
      }),
    (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.equal(error.code, "locked");
      return true;
    },
  );
  assert.equal(heldWhenRefused, true);
  // WAL: a writer in another connection does not block readers.
  assert.deepEqual(
    (await t.store.listAccounts()).map((account) => account.username),
    ["bob"],
  );
  assert.equal(lock.held(), true);
  await lock.release();
  assert.ok(
    await t.store.createAccount(newAccount("alice"), audit("register")),
  );
});

// ---------------------------------------------------------------------------
// Accounts

Deno.test("SqliteStore.createAccount() returns the stored record", async () => {
  await using t = await tempStore();
  const account = await mustCreate(t.store, "Alice", {
    recoveryCodeHash: "r".repeat(64),
    createdAt: 5_000,
  });
  assert.deepEqual(account, {
    id: account.id,
    username: "Alice",
    usernameKey: "alice",
    passwordHash: "h".repeat(64),
    recoveryCodeHash: "r".repeat(64),
    isAdmin: false,
    createdAt: 5_000,
    lastSeenAt: null,
    passwordChangedAt: 5_000,
    status: "",
    receipts: true,
    avatar: "",
  });
  assert.equal(typeof account.id, "number");
  assert.deepEqual(await t.store.getAccount("alice"), account);
  assert.equal(await t.store.getAccount("Alice"), undefined);
  assert.deepEqual(await t.store.listAudit(), [audit("register", "Alice")]);
});

Deno.test("SqliteStore.createAccount() refuses a taken key and writes no audit row", async () => {
  await using t = await tempStore();
  const first = await mustCreate(t.store, "alice");
  const duplicate = await t.store.createAccount(
    newAccount("ALICE", { usernameKey: "alice", passwordHash: "x".repeat(64) }),
    audit("register", "ALICE", 2_000),
  );
  assert.equal(duplicate, undefined);
  assert.deepEqual(await t.store.listAccounts(), [first]);
  assert.deepEqual(await t.store.listAudit(), [audit("register", "alice")]);
});

/** All-Cyrillic "раураӏ": р а у р а ӏ, each a look-alike of a Latin letter. */
const CYRILLIC_PAYPAL = "\u0440\u0430\u0443\u0440\u0430\u04cf";

Deno.test("SqliteStore.createAccount() refuses a look-alike of an existing key and writes no audit row", async () => {
  await using t = await tempStore();
  const first = await mustCreate(t.store, "paypal");
  const lookAlike = await t.store.createAccount(
    newAccount(CYRILLIC_PAYPAL),
    audit("register", CYRILLIC_PAYPAL, 2_000),
  );
  assert.equal(lookAlike, undefined);
  assert.deepEqual(await t.store.listAccounts(), [first]);
  assert.deepEqual(await t.store.listAudit(), [audit("register", "paypal")]);
  assert.deepEqual(await t.store.findLookAlikeAccount(CYRILLIC_PAYPAL), first);
  assert.deepEqual(await t.store.findLookAlikeAccount("paypa1"), first);
  // The account itself is not its own look-alike; unrelated keys have none.
  assert.equal(await t.store.findLookAlikeAccount("paypal"), undefined);
  assert.equal(await t.store.findLookAlikeAccount("bob"), undefined);
});

Deno.test("SqliteStore.listAccounts() lists oldest first", async () => {
  await using t = await tempStore();
  const b = await mustCreate(t.store, "bob", { createdAt: 2_000 });
  const a = await mustCreate(t.store, "alice", { createdAt: 1_000 });
  const c = await mustCreate(t.store, "carol", { createdAt: 2_000 });
  assert.deepEqual(await t.store.listAccounts(), [a, b, c]);
});

Deno.test("SqliteStore.touchLastSeen() records the time", async () => {
  await using t = await tempStore();
  const account = await mustCreate(t.store, "alice");
  await t.store.touchLastSeen(account.id, 9_000);
  assert.equal((await t.store.getAccount("alice"))?.lastSeenAt, 9_000);
});

Deno.test("SqliteStore.replacePasswordHash() replaces only the expected hash", async () => {
  await using t = await tempStore();
  const account = await mustCreate(t.store, "alice");
  assert.equal(
    await t.store.replacePasswordHash(
      account.id,
      "z".repeat(64),
      "n".repeat(64),
    ),
    false,
  );
  assert.equal(
    (await t.store.getAccount("alice"))?.passwordHash,
    "h".repeat(64),
  );
  assert.equal(
    await t.store.replacePasswordHash(
      account.id,
      "h".repeat(64),
      "n".repeat(64),
    ),
    true,
  );
  assert.equal(
    (await t.store.getAccount("alice"))?.passwordHash,
    "n".repeat(64),
  );
  assert.equal(
    await t.store.replacePasswordHash(
      account.id + 1,
      "n".repeat(64),
      "m".repeat(64),
    ),
    false,
  );
});

Deno.test("SqliteStore.changePassword() sets the hash and voids reset tokens", async () => {
  await using t = await tempStore();
  const account = await mustCreate(t.store, "alice");
  const token = await sha256Hex("token");
  await t.store.issueResetToken(
    account.id,
    token,
    10_000,
    audit("reset_requested", "alice"),
  );
  await t.store.changePassword(
    account.id,
    "n".repeat(64),
    audit("password_changed", "alice", 3_000),
  );
  const changed = await t.store.getAccount("alice");
  assert.equal(changed?.passwordHash, "n".repeat(64));
  assert.equal(changed?.passwordChangedAt, 3_000);
  assert.equal(
    await t.store.redeemSecret(token, {
      now: 4_000,
      newHash: "x".repeat(64),
      nextRecoveryCodeHash: "y".repeat(64),
    }, audit("reset_confirmed")),
    undefined,
  );
  assert.equal(
    (await t.store.getAccount("alice"))?.passwordHash,
    "n".repeat(64),
  );
  assert.deepEqual(
    (await t.store.listAudit()).map((entry) => entry.event),
    ["password_changed", "reset_requested", "register"],
  );
});

Deno.test("SqliteStore.deleteAccount() removes the account and its tokens", async () => {
  await using t = await tempStore();
  const alice = await mustCreate(t.store, "alice", {
    recoveryCodeHash: "r".repeat(64),
  });
  const bob = await mustCreate(t.store, "bob");
  const token = await sha256Hex("alice token");
  await t.store.issueResetToken(
    alice.id,
    token,
    10_000,
    audit("reset_requested", "alice"),
  );
  assert.equal(
    await t.store.deleteAccount(alice.id, audit("account_deleted", "alice")),
    true,
  );
  assert.equal(await t.store.getAccount("alice"), undefined);
  assert.deepEqual(await t.store.listAccounts(), [bob]);
  for (const secret of [token, "r".repeat(64)]) {
    assert.equal(
      await t.store.redeemSecret(secret, {
        now: 2_000,
        newHash: "x".repeat(64),
        nextRecoveryCodeHash: "y".repeat(64),
      }, audit("reset_confirmed")),
      undefined,
    );
  }
  using raw = new DatabaseSync(t.path);
  assert.equal(count(raw, "SELECT count(*) FROM reset_tokens"), 0);
  assert.equal(
    await t.store.deleteAccount(alice.id, audit("account_deleted", "alice")),
    false,
  );
  assert.equal(
    await t.store.deleteAccount(9_999, audit("account_deleted", "ghost")),
    false,
  );
  assert.deepEqual(
    await t.store.listAudit({ event: "account_deleted" }),
    [audit("account_deleted", "alice")],
  );
});

Deno.test("SqliteStore.setAdmin() grants and revokes the admin role", async () => {
  await using t = await tempStore();
  await mustCreate(t.store, "alice");
  assert.equal(
    await t.store.setAdmin("alice", true, audit("admin_granted", "alice")),
    true,
  );
  assert.equal((await t.store.getAccount("alice"))?.isAdmin, true);
  assert.equal(
    await t.store.setAdmin("alice", false, audit("admin_revoked", "alice")),
    true,
  );
  assert.equal((await t.store.getAccount("alice"))?.isAdmin, false);
  assert.equal(
    await t.store.setAdmin("nobody", true, audit("admin_granted", "nobody")),
    false,
  );
  assert.deepEqual(
    (await t.store.listAudit()).map((entry) => [entry.event, entry.username]),
    [["admin_revoked", "alice"], ["admin_granted", "alice"], [
      "register",
      "alice",
    ]],
  );
});

// ---------------------------------------------------------------------------
// Reset tokens and recovery codes

Deno.test("SqliteStore.issueResetToken() voids older tokens and redeemSecret() is single use", async () => {
  await using t = await tempStore();
  const account = await mustCreate(t.store, "alice", {
    recoveryCodeHash: "r".repeat(64),
  });
  const tokenA = await sha256Hex("token A");
  const tokenB = await sha256Hex("token B");
  await t.store.issueResetToken(
    account.id,
    tokenA,
    10_000,
    audit("reset_requested", "alice", 1_100),
  );
  await t.store.issueResetToken(
    account.id,
    tokenB,
    10_000,
    audit("reset_requested", "alice", 1_200),
  );

  assert.equal(
    await t.store.redeemSecret(tokenA, {
      now: 2_000,
      newHash: "a".repeat(64),
      nextRecoveryCodeHash: "y".repeat(64),
    }, audit("reset_confirmed")),
    undefined,
  );
  const result = await t.store.redeemSecret(tokenB, {
    now: 2_000,
    newHash: "b".repeat(64),
    nextRecoveryCodeHash: "y".repeat(64),
  }, {
    at: 2_000,
    event: "reset_confirmed",
    address: "127.0.0.1:6000",
    detail: null,
  });
  assert.ok(result);
  assert.equal(result.via, "reset_token");
  assert.equal(result.account.id, account.id);
  assert.equal(result.account.passwordHash, "b".repeat(64));
  assert.equal(result.account.passwordChangedAt, 2_000);
  // A reset token leaves the recovery code alone.
  assert.equal(result.account.recoveryCodeHash, "r".repeat(64));
  assert.deepEqual(await t.store.getAccount("alice"), result.account);
  assert.equal(
    await t.store.redeemSecret(tokenB, {
      now: 2_001,
      newHash: "c".repeat(64),
      nextRecoveryCodeHash: "y".repeat(64),
    }, audit("reset_confirmed")),
    undefined,
  );
  assert.equal(
    (await t.store.getAccount("alice"))?.passwordHash,
    "b".repeat(64),
  );
  // The store fills in the username of the redeemed account.
  assert.deepEqual(await t.store.listAudit({ event: "reset_confirmed" }), [{
    at: 2_000,
    event: "reset_confirmed",
    username: "alice",
    address: "127.0.0.1:6000",
    detail: null,
  }]);
});

Deno.test("SqliteStore.redeemSecret() accepts a token only before it expires", async (t) => {
  await using s = await tempStore();
  const account = await mustCreate(s.store, "alice");
  await t.step("now === expiresAt is expired", async () => {
    const token = await sha256Hex("expiring");
    await s.store.issueResetToken(
      account.id,
      token,
      5_000,
      audit("reset_requested", "alice"),
    );
    assert.equal(
      await s.store.redeemSecret(token, {
        now: 5_000,
        newHash: "x".repeat(64),
        nextRecoveryCodeHash: "y".repeat(64),
      }, audit("reset_confirmed")),
      undefined,
    );
    assert.equal(
      (await s.store.getAccount("alice"))?.passwordHash,
      "h".repeat(64),
    );
    assert.deepEqual(await s.store.listAudit({ event: "reset_confirmed" }), []);
  });
  await t.step("now > expiresAt is expired", async () => {
    const token = await sha256Hex("long gone");
    await s.store.issueResetToken(
      account.id,
      token,
      5_000,
      audit("reset_requested", "alice"),
    );
    assert.equal(
      await s.store.redeemSecret(token, {
        now: 60_000,
        newHash: "x".repeat(64),
        nextRecoveryCodeHash: "y".repeat(64),
      }, audit("reset_confirmed")),
      undefined,
    );
    assert.equal(
      (await s.store.getAccount("alice"))?.passwordHash,
      "h".repeat(64),
    );
  });
  await t.step("now === expiresAt - 1 is valid", async () => {
    const token = await sha256Hex("fresh");
    await s.store.issueResetToken(
      account.id,
      token,
      5_000,
      audit("reset_requested", "alice"),
    );
    const result = await s.store.redeemSecret(token, {
      now: 4_999,
      newHash: "n".repeat(64),
      nextRecoveryCodeHash: "y".repeat(64),
    }, audit("reset_confirmed"));
    assert.equal(result?.via, "reset_token");
    assert.equal(
      (await s.store.getAccount("alice"))?.passwordHash,
      "n".repeat(64),
    );
  });
});

Deno.test("SqliteStore.redeemSecret() rotates a used recovery code", async () => {
  await using t = await tempStore();
  const code1 = await sha256Hex("recovery code 1");
  const code2 = await sha256Hex("recovery code 2");
  const code3 = await sha256Hex("recovery code 3");
  const account = await mustCreate(t.store, "alice", {
    recoveryCodeHash: code1,
  });
  const token = await sha256Hex("pending token");
  await t.store.issueResetToken(
    account.id,
    token,
    10_000,
    audit("reset_requested", "alice"),
  );

  const first = await t.store.redeemSecret(code1, {
    now: 2_000,
    newHash: "a".repeat(64),
    nextRecoveryCodeHash: code2,
  }, audit("reset_confirmed"));
  assert.ok(first);
  assert.equal(first.via, "recovery_code");
  assert.equal(first.account.recoveryCodeHash, code2);
  assert.equal(first.account.passwordHash, "a".repeat(64));
  assert.equal(first.account.passwordChangedAt, 2_000);
  // Redeeming a recovery code voids pending reset tokens too.
  assert.equal(
    await t.store.redeemSecret(token, {
      now: 2_001,
      newHash: "x".repeat(64),
      nextRecoveryCodeHash: code3,
    }, audit("reset_confirmed")),
    undefined,
  );
  assert.equal(
    await t.store.redeemSecret(code1, {
      now: 2_002,
      newHash: "x".repeat(64),
      nextRecoveryCodeHash: code3,
    }, audit("reset_confirmed")),
    undefined,
  );
  const stored = await t.store.getAccount("alice");
  assert.equal(stored?.passwordHash, "a".repeat(64));
  assert.equal(stored?.recoveryCodeHash, code2);

  const second = await t.store.redeemSecret(code2, {
    now: 3_000,
    newHash: "b".repeat(64),
    nextRecoveryCodeHash: code3,
  }, audit("reset_confirmed"));
  assert.equal(second?.via, "recovery_code");
  assert.equal(second?.account.recoveryCodeHash, code3);
  assert.equal(second?.account.passwordHash, "b".repeat(64));
  assert.equal(
    (await t.store.listAudit({ event: "reset_confirmed" })).length,
    2,
  );
});

Deno.test("SqliteStore.redeemSecret() resolves undefined for an unknown secret", async () => {
  await using t = await tempStore();
  await mustCreate(t.store, "alice", { recoveryCodeHash: "r".repeat(64) });
  assert.equal(
    await t.store.redeemSecret(await sha256Hex("nope"), {
      now: 1,
      newHash: "x".repeat(64),
      nextRecoveryCodeHash: "y".repeat(64),
    }, audit("reset_confirmed")),
    undefined,
  );
  const account = await t.store.getAccount("alice");
  assert.equal(account?.passwordHash, "h".repeat(64));
  assert.equal(account?.recoveryCodeHash, "r".repeat(64));
  assert.deepEqual(await t.store.listAudit({ event: "reset_confirmed" }), []);
});

Deno.test("SqliteStore.issueResetToken() rolls back entirely when a statement fails", async () => {
  await using t = await tempStore();
  const alice = await mustCreate(t.store, "alice");
  const bob = await mustCreate(t.store, "bob");
  const aliceToken = await sha256Hex("alice token");
  const bobToken = await sha256Hex("bob token");
  await t.store.issueResetToken(
    alice.id,
    aliceToken,
    10_000,
    audit("reset_requested", "alice"),
  );
  await t.store.issueResetToken(
    bob.id,
    bobToken,
    10_000,
    audit("reset_requested", "bob"),
  );
  const auditBefore = await t.store.listAudit();
  // Deleting alice's old token succeeds, then inserting a hash that already
  // belongs to bob violates the primary key: the delete must be undone.
  await assert.rejects(
    t.store.issueResetToken(
      alice.id,
      bobToken,
      20_000,
      audit("reset_requested", "alice", 5_000),
    ),
  );
  assert.deepEqual(await t.store.listAudit(), auditBefore);
  const redeemed = await t.store.redeemSecret(aliceToken, {
    now: 2_000,
    newHash: "a".repeat(64),
    nextRecoveryCodeHash: "y".repeat(64),
  }, audit("reset_confirmed"));
  assert.equal(redeemed?.account.id, alice.id);
  // The store is still usable after the rollback.
  assert.ok(
    await t.store.createAccount(
      newAccount("carol"),
      audit("register", "carol"),
    ),
  );
});

// ---------------------------------------------------------------------------
// Audit log

Deno.test("SqliteStore.listAudit() filters by event and username, newest first", async (t) => {
  await using s = await tempStore();
  const entries: AuditEntry[] = [
    audit("login", "alice", 1),
    audit("login_failure", "bob", 2),
    audit("login", "bob", 3),
    audit("login_failure", "alice", 4),
    audit("lockout", "alice", 5),
    audit("login", "alice", 6),
    {
      at: 7,
      event: "legacy_import",
      username: null,
      address: "operator",
      detail: "3 accounts",
    },
  ];
  for (const entry of entries) await s.store.appendAudit(entry);
  const at = (list: AuditEntry[]) => list.map((entry) => entry.at);

  await t.step("no filter", async () => {
    assert.deepEqual(await s.store.listAudit(), entries.toReversed());
  });
  await t.step("by event", async () => {
    assert.deepEqual(at(await s.store.listAudit({ event: "login" })), [
      6,
      3,
      1,
    ]);
  });
  await t.step("by username", async () => {
    assert.deepEqual(at(await s.store.listAudit({ username: "alice" })), [
      6,
      5,
      4,
      1,
    ]);
  });
  await t.step("by event and username", async () => {
    assert.deepEqual(
      at(await s.store.listAudit({ event: "login_failure", username: "bob" })),
      [2],
    );
  });
  await t.step("limit", async () => {
    assert.deepEqual(at(await s.store.listAudit({ limit: 2 })), [7, 6]);
    assert.deepEqual(
      at(await s.store.listAudit({ username: "alice", limit: 3 })),
      [6, 5, 4],
    );
  });
  await t.step("no match", async () => {
    assert.deepEqual(await s.store.listAudit({ username: "carol" }), []);
  });
});

Deno.test("SqliteStore.listAudit() orders by insertion, not by timestamp", async () => {
  await using t = await tempStore();
  await t.store.appendAudit(audit("login", "alice", 500));
  await t.store.appendAudit(audit("logout", "alice", 100));
  assert.deepEqual(
    (await t.store.listAudit()).map((entry) => entry.event),
    ["logout", "login"],
  );
});

Deno.test("SqliteStore.listAudit() returns at most 100 entries by default", async () => {
  await using t = await tempStore();
  for (let i = 0; i < 105; i++) {
    await t.store.appendAudit(audit("login", "alice", i));
  }
  const entries = await t.store.listAudit();
  assert.equal(entries.length, 100);
  assert.equal(entries[0]?.at, 104);
  assert.equal(entries[99]?.at, 5);
});

// ---------------------------------------------------------------------------
// Backup

Deno.test("SqliteStore.backup() writes a copy that opens with the same accounts", async () => {
  await using t = await tempStore();
  await mustCreate(t.store, "alice", { recoveryCodeHash: "r".repeat(64) });
  await mustCreate(t.store, "bob");
  await t.store.setAdmin("bob", true, audit("admin_granted", "bob"));
  const accounts = await t.store.listAccounts();
  const destination = join(t.dir, "backup.db");
  await t.store.backup(destination);

  // The source stays open and writable.
  await mustCreate(t.store, "carol");
  assert.equal((await t.store.listAccounts()).length, 3);

  using copy = SqliteStore.open(destination);
  assert.deepEqual(await copy.listAccounts(), accounts);
  assert.deepEqual(
    (await copy.listAudit()).map((entry) => entry.event),
    ["admin_granted", "register", "register"],
  );
});

Deno.test({
  name: "SqliteStore.backup() creates the copy with mode 0600",
  ignore: isWindows,
  async fn() {
    await using t = await tempStore();
    await mustCreate(t.store, "alice");
    const destination = join(t.dir, "backup.db");
    await t.store.backup(destination);
    assert.equal((await Deno.stat(destination)).mode! & 0o777, 0o600);
  },
});

Deno.test("SqliteStore.backup() refuses to overwrite an existing file", async () => {
  await using t = await tempStore();
  const destination = join(t.dir, "backup.db");
  await Deno.writeTextFile(destination, "precious");
  // backup() may throw synchronously; a caller awaiting it sees a rejection.
  await assert.rejects(async () => await t.store.backup(destination));
  assert.equal(await Deno.readTextFile(destination), "precious");
});

Deno.test("SqliteStore.appendAudit() stores sanitized fields of bounded length", async () => {
  await using t = await tempStore();
  await t.store.appendAudit({
    at: 1_000,
    event: "login_failure",
    username: `\u001b]0;pwned\u0007${"n".repeat(8000)}`,
    address: `${"a".repeat(200)}:5000`,
    detail: `\u202e${"d".repeat(5000)}`,
  });
  const [entry] = await t.store.listAudit();
  assert.ok(entry);
  // 64 characters for a name and an address, 200 for a detail, the last
  // one an ellipsis; controls and bidi overrides as "?".
  assert.equal(entry.username, `?]0;pwned?${"n".repeat(53)}…`);
  assert.equal(entry.address, `${"a".repeat(63)}…`);
  assert.equal(entry.detail, `?${"d".repeat(198)}…`);
});

Deno.test("SqliteStore.pruneAudit() deletes entries older than the cut-off only", async () => {
  await using t = await tempStore();
  await t.store.appendAudit(audit("login", "old", 100));
  await t.store.appendAudit(audit("login", "edge", 500));
  await t.store.appendAudit(audit("login", "new", 900));
  assert.equal(await t.store.pruneAudit(500), 1);
  assert.deepEqual(
    (await t.store.listAudit()).map((entry) => entry.username),
    ["new", "edge"],
  );
});
