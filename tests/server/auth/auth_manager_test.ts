import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  AuthManager,
  type AuthManagerOptions,
  canonicalSecret,
  formatSecret,
  MAX_PASSWORD_BYTES,
  type ResetTokenDelivery,
  type SessionEndReason,
} from "../../../lib/server/auth/auth_manager.ts";
import { ManualClock } from "../../../lib/shared/clock.ts";
import {
  legacySha256Hash,
  parsePasswordHash,
  pbkdf2Sha256,
  sha256Hex,
} from "../../../lib/server/auth/password_hash.ts";
import {
  APPLICATION_ID,
  MIGRATIONS,
  SqliteStore,
} from "../../../lib/store/sqlite/sqlite_store.ts";
import type { AccountStore } from "../../../lib/store/store.ts";
import { seededRandom, tempDir, tempStore } from "../../_util.ts";

const REMOTE = "203.0.113.7";
const OTHER_REMOTE = "198.51.100.9";
const LOOPBACK = "127.0.0.1";

interface Fixture extends AsyncDisposable {
  auth: AuthManager;
  store: SqliteStore;
  clock: ManualClock;
  tokens: ResetTokenDelivery[];
  make(options?: Partial<AuthManagerOptions>): AuthManager;
}

async function fixture(
  options: Partial<AuthManagerOptions> = {},
): Promise<Fixture> {
  const temp = await tempStore();
  const clock = new ManualClock();
  const tokens: ResetTokenDelivery[] = [];
  const make = (overrides: Partial<AuthManagerOptions> = {}) =>
    new AuthManager({
      store: temp.store,
      clock,
      random: seededRandom(7),
      hashing: { iterations: 1000 },
      onResetToken: (delivery) => tokens.push(delivery),
      ...options,
      ...overrides,
    });
  return {
    auth: make(),
    store: temp.store,
    clock,
    tokens,
    make,
    [Symbol.asyncDispose]: () => temp[Symbol.asyncDispose](),
  };
}

/** Store methods that only read. */
const READS = new Set([
  "getAccount",
  "findLookAlikeAccount",
  "listAccounts",
  "listAudit",
]);

/**
 * Wraps `store` so that every method call is recorded by name in `calls`;
 * `overrides` replace methods.
 */
function recording(
  store: SqliteStore,
  calls: string[],
  overrides: Partial<AccountStore> = {},
): AccountStore {
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(overrides, property) ??
        Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return value.apply(target, args);
      };
    },
  });
}

function writes(calls: readonly string[]): string[] {
  return calls.filter((name) => !READS.has(name));
}

async function registered(
  f: Fixture,
  name = "小王",
  password = "password123",
): Promise<string> {
  const result = await f.auth.register(name, password, REMOTE);
  assert.ok(result.ok, `register ${name}`);
  return result.recoveryCode;
}

Deno.test("AuthManager.register() creates an account with a PBKDF2 hash and a recovery code", async () => {
  await using f = await fixture({ hashing: undefined });
  const result = await f.auth.register("小王", "pass word 1", REMOTE);
  assert.ok(result.ok);
  assert.equal(result.username, "小王");
  assert.match(result.recoveryCode, /^[0-9A-Z]{4}(-[0-9A-Z]{1,4})+$/);
  const account = await f.store.getAccount("小王");
  assert.ok(account);
  const parsed = parsePasswordHash(account.passwordHash);
  assert.equal(parsed?.algorithm, "pbkdf2-sha256");
  assert.equal(
    parsed?.algorithm === "pbkdf2-sha256" && parsed.iterations,
    600_000,
  );
  // The recovery code is stored only as a hash.
  assert.equal(
    account.recoveryCodeHash,
    await sha256Hex(canonicalSecret(result.recoveryCode)!),
  );
  const audit = await f.store.listAudit({ event: "register" });
  assert.equal(audit.length, 1);
  assert.equal(audit[0]?.address, REMOTE);
});

Deno.test("AuthManager.register() refuses bad names and passwords", async (t) => {
  await using f = await fixture();
  await registered(f, "Alice");
  const cases: Array<[string, string, string]> = [
    ["", "password123", "invalid_username"],
    ["has space", "password123", "invalid_username"],
    ["a".repeat(33), "password123", "invalid_username"],
    ["系统", "password123", "reserved_username"],
    ["ADMIN", "password123", "reserved_username"],
    ["alice", "password123", "username_taken"],
    ["ALICE", "password123", "username_taken"],
    ["bob", "short", "password_too_short"],
    ["bob", "1234567", "password_too_short"],
    ["bob", "x".repeat(1025), "password_too_long"],
  ];
  for (const [name, password, reason] of cases) {
    await t.step(
      `${JSON.stringify(name.slice(0, 20))} -> ${reason}`,
      async () => {
        // Past the registration window: every attempt counts toward it.
        f.clock.advance(60_000);
        const result = await f.auth.register(name, password, REMOTE);
        assert.equal(result.ok, false);
        assert.equal(!result.ok && result.reason, reason);
      },
    );
  }
  assert.equal((await f.store.listAccounts()).length, 1);
});

/** All-Cyrillic "раураӏ": р а у р а ӏ, each a look-alike of a Latin letter. */
const CYRILLIC_PAYPAL = "\u0440\u0430\u0443\u0440\u0430\u04cf";

Deno.test("AuthManager.register() refuses a look-alike of an existing name as confusable, another case as taken", async (t) => {
  await using f = await fixture();
  await registered(f, "paypal");
  await registered(f, "alice");
  const cases: Array<[string, string]> = [
    [CYRILLIC_PAYPAL, "confusable_username"],
    ["a1ice", "confusable_username"],
    ["ALICE", "username_taken"],
    ["PayPal", "username_taken"],
  ];
  for (const [name, reason] of cases) {
    await t.step(`${name} -> ${reason}`, async () => {
      // Past the registration limit of 5 a minute per address.
      f.clock.advance(60_000);
      const result = await f.auth.register(name, "password123", REMOTE);
      assert.equal(!result.ok && result.reason, reason);
    });
  }
  // The operator's reserved-name allowance does not admit look-alikes.
  const operator = await f.auth.register(
    CYRILLIC_PAYPAL,
    "password123",
    "operator",
    {
      allowReserved: true,
    },
  );
  assert.equal(!operator.ok && operator.reason, "confusable_username");
  assert.deepEqual(
    (await f.store.listAccounts()).map((a) => a.username),
    ["paypal", "alice"],
  );
  assert.deepEqual(
    (await f.store.listAudit({ event: "register_failure" }))
      .filter((e) => e.detail === "confusable_username")
      .map((e) => e.username),
    // Newest first.
    [CYRILLIC_PAYPAL, "a1ice", CYRILLIC_PAYPAL],
  );
});

Deno.test("AuthManager.register() lets one of two concurrent look-alike registrations win", async () => {
  await using f = await fixture();
  const results = await Promise.all([
    f.auth.register("paypal", "password-one", REMOTE),
    f.auth.register(CYRILLIC_PAYPAL, "password-two", OTHER_REMOTE),
  ]);
  assert.equal(results.filter((r) => r.ok).length, 1);
  assert.equal(
    results.filter((r) => !r.ok && r.reason === "confusable_username").length,
    1,
  );
  assert.equal((await f.store.listAccounts()).length, 1);
});

Deno.test("AuthManager.register() allows the seed's 6-character minimum when configured", async () => {
  await using f = await fixture({ minPasswordLength: 6 });
  assert.equal((await f.auth.register("bob", "123456", REMOTE)).ok, true);
  assert.equal((await f.auth.register("carol", "12345", REMOTE)).ok, false);
});

Deno.test("AuthManager.register() lets exactly one of two concurrent registrations win", async () => {
  await using f = await fixture();
  const results = await Promise.all([
    f.auth.register("Zoë", "password-one", REMOTE),
    f.auth.register("zoë", "password-two", OTHER_REMOTE),
  ]);
  assert.equal(results.filter((r) => r.ok).length, 1);
  assert.equal(
    results.filter((r) => !r.ok && r.reason === "username_taken").length,
    1,
  );
});

Deno.test("AuthManager.login() accepts the right password and claims the session", async () => {
  await using f = await fixture();
  await registered(f, "小王", "密码 with spaces");
  const result = await f.auth.login("小王", "密码 with spaces", REMOTE);
  assert.ok(result.ok);
  assert.equal(result.session.username, "小王");
  assert.equal(f.auth.onlineCount, 1);
  assert.equal(f.auth.isOnline("小王"), true);
  assert.ok((await f.store.getAccount("小王"))?.lastSeenAt);
});

Deno.test("AuthManager.login() gives unknown users and wrong passwords the same answer and the same hash work", async () => {
  await using f = await fixture();
  await registered(f, "alice", "password123");
  const subtle = crypto.subtle;
  const original = subtle.deriveBits;
  const iterations: number[] = [];
  subtle.deriveBits = function (algorithm, key, length) {
    iterations.push((algorithm as Pbkdf2Params).iterations);
    return original.call(subtle, algorithm, key, length);
  };
  try {
    // Warm the dummy hash so both measured logins do exactly one derivation.
    await f.auth.login("nobody", "x", REMOTE);
    iterations.length = 0;
    const unknown = await f.auth.login("nobody", "password123", REMOTE);
    const unknownWork = [...iterations];
    iterations.length = 0;
    const wrong = await f.auth.login("alice", "wrong-password", REMOTE);
    assert.deepEqual(unknown, wrong);
    assert.deepEqual(unknown, { ok: false, reason: "invalid_credentials" });
    assert.deepEqual(unknownWork, [1000]);
    assert.deepEqual(iterations, [1000]);
  } finally {
    subtle.deriveBits = original;
  }
});

Deno.test("AuthManager.login() refuses a second login while a session is live", async () => {
  await using f = await fixture();
  await registered(f);
  const first = await f.auth.login("小王", "password123", REMOTE);
  assert.ok(first.ok);
  const second = await f.auth.login("小王", "password123", OTHER_REMOTE);
  assert.deepEqual(second, { ok: false, reason: "already_logged_in" });
  await f.auth.logout(first.session);
  await f.auth.logout(first.session); // idempotent
  assert.equal(f.auth.onlineCount, 0);
  assert.equal(
    (await f.auth.login("小王", "password123", OTHER_REMOTE)).ok,
    true,
  );
});

Deno.test("AuthManager.login() lets exactly one of two concurrent logins win", async () => {
  await using f = await fixture();
  await registered(f);
  const results = await Promise.all([
    f.auth.login("小王", "password123", REMOTE),
    f.auth.login("小王", "password123", OTHER_REMOTE),
    f.auth.login("小王", "password123", LOOPBACK),
  ]);
  assert.equal(results.filter((r) => r.ok).length, 1);
  assert.equal(
    results.filter((r) => !r.ok && r.reason === "already_logged_in").length,
    2,
  );
  assert.equal(f.auth.onlineCount, 1);
});

Deno.test("AuthManager.login() locks an address out of an account after 5 failures for 15 minutes", async () => {
  await using f = await fixture();
  await registered(f, "alice", "password123");
  for (let i = 0; i < 5; i++) {
    const result = await f.auth.login("alice", `wrong-${i}`, REMOTE);
    assert.equal(!result.ok && result.reason, "invalid_credentials");
  }
  const locked = await f.auth.login("alice", "password123", REMOTE);
  assert.equal(!locked.ok && locked.reason, "throttled");
  // Another address is not locked out of the account.
  assert.equal(
    (await f.auth.login("alice", "password123", OTHER_REMOTE)).ok,
    true,
  );
  assert.equal((await f.store.listAudit({ event: "lockout" })).length, 1);
  f.clock.advance(15 * 60 * 1000 - 1);
  const stillLocked = await f.auth.login("alice", "password123", REMOTE);
  assert.equal(!stillLocked.ok && stillLocked.reason, "throttled");
  f.clock.advance(1);
  const free = await f.auth.login("alice", "password123", REMOTE);
  assert.equal(!free.ok && free.reason, "already_logged_in");
});

Deno.test("AuthManager.login() throttles unknown names exactly like known ones", async () => {
  await using f = await fixture();
  for (let i = 0; i < 5; i++) await f.auth.login("ghost", `wrong-${i}`, REMOTE);
  const result = await f.auth.login("ghost", "whatever1", REMOTE);
  assert.equal(!result.ok && result.reason, "throttled");
});

Deno.test("AuthManager.login() limits attempts per address but exempts loopback", async () => {
  await using f = await fixture();
  await registered(f, "alice", "password123");
  for (let i = 0; i < 20; i++) {
    await f.auth.login(`user${i}`, "wrong-password", REMOTE);
    await f.auth.login(`user${i}`, "wrong-password", LOOPBACK);
  }
  const remote = await f.auth.login("alice", "password123", REMOTE);
  assert.equal(!remote.ok && remote.reason, "throttled");
  assert.equal((await f.auth.login("alice", "password123", LOOPBACK)).ok, true);
});

Deno.test("AuthManager.login() rehashes weaker stored hashes", async () => {
  await using f = await fixture();
  await registered(f, "alice", "password123");
  const stronger = f.make({ hashing: { iterations: 2000 } });
  assert.equal((await stronger.login("alice", "password123", REMOTE)).ok, true);
  const parsed = parsePasswordHash(
    (await f.store.getAccount("alice"))!.passwordHash,
  );
  assert.equal(
    parsed?.algorithm === "pbkdf2-sha256" && parsed.iterations,
    2000,
  );
  assert.equal((await f.store.listAudit({ event: "rehash" })).length, 1);
});

Deno.test("AuthManager.login(), resume() and logout() each store their bookkeeping in one write", async () => {
  await using f = await fixture();
  await registered(f, "alice", "password123");
  const calls: string[] = [];
  const auth = f.make({ store: recording(f.store, calls) });

  const login = await auth.login("alice", "password123", REMOTE, {
    issueResumeToken: true,
  });
  assert.ok(login.ok && login.resumeToken !== undefined);
  assert.deepEqual(writes(calls), ["recordLogin"]);

  calls.length = 0;
  await auth.logout(login.session);
  assert.deepEqual(writes(calls), ["recordLogout"]);

  calls.length = 0;
  f.clock.advance(1000);
  const resumed = await auth.resume("alice", login.resumeToken, REMOTE, {
    issueResumeToken: true,
  });
  assert.ok(resumed.ok && resumed.resumeToken !== undefined);
  // Redeeming commits on its own (single use even if the login then fails).
  assert.deepEqual(writes(calls), ["redeemResumeToken", "recordLogin"]);
  assert.equal(
    (await f.store.getAccount("alice"))?.lastSeenAt,
    f.clock.now(),
  );

  calls.length = 0;
  f.clock.advance(1000);
  await auth.logout(resumed.session, { explicit: true });
  assert.deepEqual(writes(calls), ["recordLogout"]);
  assert.equal(
    (await f.store.getAccount("alice"))?.lastSeenAt,
    f.clock.now(),
  );
  assert.deepEqual(
    (await f.store.listAudit({ username: "alice" })).map((entry) => [
      entry.event,
      entry.detail,
    ]),
    [
      ["logout", null],
      ["login", "resumed"],
      ["logout", "connection closed"],
      ["login", null],
      ["register", null],
    ],
  );
  // The explicit logout voided the last token.
  assert.deepEqual(
    await auth.resume("alice", resumed.resumeToken, REMOTE),
    { ok: false, reason: "invalid_credentials" },
  );
});

Deno.test("AuthManager.login() issues a resume token that redeems once and voids the older one", async () => {
  await using f = await fixture();
  await registered(f, "alice", "password123");
  const hooks = { issueResumeToken: true };
  const plain = await f.auth.login("alice", "password123", REMOTE);
  assert.ok(plain.ok);
  assert.equal(plain.resumeToken, undefined, "only when asked for");
  const older = await f.auth.issueResumeToken(plain.session);
  await f.auth.logout(plain.session);

  const first = await f.auth.login("alice", "password123", REMOTE, hooks);
  assert.ok(first.ok && first.resumeToken !== undefined);
  assert.match(first.resumeToken, /^[0-9A-Z]{4}(-[0-9A-Z]{1,4})+$/);
  // Stored as a hash only, valid 15 minutes (docs/PROTOCOL.md 8).
  {
    using raw = new DatabaseSync(f.store.path);
    assert.deepEqual(
      raw.prepare("SELECT token_hash, expires_at FROM resume_tokens").all()
        .map((row) => ({ ...row })),
      [{
        token_hash: await sha256Hex(canonicalSecret(first.resumeToken)!),
        expires_at: f.clock.now() + 900_000,
      }],
    );
  }
  await f.auth.logout(first.session);
  assert.deepEqual(
    await f.auth.resume("alice", older, REMOTE, hooks),
    { ok: false, reason: "invalid_credentials" },
    "the login voided the older token",
  );

  const second = await f.auth.resume("alice", first.resumeToken, REMOTE, hooks);
  assert.ok(second.ok && second.resumeToken !== undefined);
  assert.notEqual(second.resumeToken, first.resumeToken);
  assert.deepEqual(
    await f.auth.resume("alice", first.resumeToken, OTHER_REMOTE),
    { ok: false, reason: "invalid_credentials" },
    "single use",
  );
  assert.equal(f.auth.isOnline("alice"), true, "a failed resume ends nothing");

  // The token from a resume works until its TTL, and then not at all.
  f.clock.advance(900_000 - 1);
  const third = await f.auth.resume("alice", second.resumeToken, REMOTE, hooks);
  assert.ok(third.ok && third.resumeToken !== undefined);
  f.clock.advance(900_000);
  assert.deepEqual(
    await f.auth.resume("alice", third.resumeToken, REMOTE),
    { ok: false, reason: "invalid_credentials" },
    "expired",
  );
});

Deno.test("AuthManager.login() keeps nothing when its bookkeeping cannot be stored", async () => {
  await using f = await fixture();
  await registered(f, "alice", "password123");
  let failures = 1;
  const auth = f.make({
    store: recording(f.store, [], {
      recordLogin(...args) {
        if (failures-- > 0) {
          return Promise.reject(new Error("disk I/O error"));
        }
        return f.store.recordLogin(...args);
      },
    }),
  });
  await assert.rejects(
    auth.login("alice", "password123", REMOTE, { issueResumeToken: true }),
    /disk I\/O error/,
  );
  // The claim was released: the account is not stuck "already logged in".
  assert.equal(auth.isOnline("alice"), false);
  assert.equal((await f.store.getAccount("alice"))?.lastSeenAt, null);
  assert.deepEqual(await f.store.listAudit({ event: "login" }), []);
  const again = await auth.login("alice", "password123", REMOTE);
  assert.ok(again.ok);
  assert.equal(auth.isOnline("alice"), true);
});

Deno.test("AuthManager.requestReset() answers alike for every name and hands the token to the operator only", async () => {
  await using f = await fixture();
  await registered(f, "alice");
  assert.equal(await f.auth.requestReset("alice", REMOTE), undefined);
  assert.equal(await f.auth.requestReset("nobody", REMOTE), undefined);
  assert.equal(f.tokens.length, 1);
  assert.equal(f.tokens[0]?.username, "alice");
  assert.equal(f.tokens[0]?.requestedBy, REMOTE);
  assert.equal(f.tokens[0]?.expiresAt, f.clock.now() + 1_800_000);
  // Both requests leave an audit trace, neither leaves the token.
  const audit = await f.store.listAudit({ event: "reset_requested" });
  assert.equal(audit.length, 2);
  const token = f.tokens[0]!.token;
  assert.ok(!JSON.stringify(audit).includes(token));
});

Deno.test("AuthManager.confirmReset() accepts a token at 29:59 and refuses it at 30:00", async () => {
  await using f = await fixture();
  await registered(f, "alice");
  await f.auth.requestReset("alice", REMOTE);
  await f.auth.issueResetTokenForOperator("alice");
  const [older, newer] = f.tokens;
  f.clock.advance(1_800_000 - 1000);
  // The operator's fresh token voids the older one.
  const voided = await f.auth.confirmReset(
    older!.token,
    "new-password-1",
    REMOTE,
  );
  assert.equal(!voided.ok && voided.reason, "invalid_token");
  const ok = await f.auth.confirmReset(
    newer!.token.toLowerCase(),
    "new-password-1",
    REMOTE,
  );
  assert.deepEqual(ok, { ok: true, username: "alice" });
  // Single use.
  const reused = await f.auth.confirmReset(
    newer!.token,
    "new-password-2",
    REMOTE,
  );
  assert.equal(!reused.ok && reused.reason, "invalid_token");

  await f.auth.requestReset("alice", REMOTE);
  f.clock.advance(1_800_000);
  const expired = await f.auth.confirmReset(
    f.tokens[2]!.token,
    "new-password-3",
    REMOTE,
  );
  assert.equal(!expired.ok && expired.reason, "invalid_token");
  assert.equal(
    (await f.auth.login("alice", "new-password-1", LOOPBACK)).ok,
    true,
  );
});

Deno.test("AuthManager.confirmReset() ends the live session, logs nobody in, and retires the old password", async () => {
  await using f = await fixture();
  await registered(f, "alice", "old-password");
  const ended: SessionEndReason[] = [];
  const login = await f.auth.login("alice", "old-password", REMOTE, {
    onTerminate: (reason) => ended.push(reason),
  });
  assert.ok(login.ok);
  const delivery = await f.auth.issueResetTokenForOperator("alice");
  assert.ok(delivery);
  const result = await f.auth.confirmReset(
    delivery.token,
    "new-password",
    OTHER_REMOTE,
  );
  assert.equal(result.ok, true);
  assert.deepEqual(ended, ["password_reset"]);
  assert.equal(f.auth.onlineCount, 0);
  const old = await f.auth.login("alice", "old-password", LOOPBACK);
  assert.equal(!old.ok && old.reason, "invalid_credentials");
  assert.equal(
    (await f.auth.login("alice", "new-password", LOOPBACK)).ok,
    true,
  );
});

Deno.test("AuthManager.confirmReset() accepts the recovery code once and issues a new one", async () => {
  await using f = await fixture();
  const code = await registered(f, "alice", "old-password");
  const first = await f.auth.confirmReset(code, "new-password", REMOTE);
  assert.ok(first.ok);
  assert.ok(first.newRecoveryCode);
  assert.notEqual(first.newRecoveryCode, code);
  const again = await f.auth.confirmReset(code, "other-password", REMOTE);
  assert.equal(!again.ok && again.reason, "invalid_token");
  const next = await f.auth.confirmReset(
    first.newRecoveryCode.replaceAll("-", ""),
    "third-password",
    REMOTE,
  );
  assert.equal(next.ok, true);
  assert.equal(
    (await f.auth.login("alice", "third-password", LOOPBACK)).ok,
    true,
  );
});

Deno.test("AuthManager.confirmReset() refuses garbage and short passwords without changing anything", async (t) => {
  await using f = await fixture();
  const code = await registered(f, "alice", "old-password");
  for (
    const [secret, password, reason] of [
      ["", "new-password", "invalid_token"],
      ["not a token!", "new-password", "invalid_token"],
      ["0000-0000-0000", "new-password", "invalid_token"],
      [code, "short", "password_too_short"],
    ]
  ) {
    await t.step(`${JSON.stringify(secret)} -> ${reason}`, async () => {
      const result = await f.auth.confirmReset(secret!, password!, REMOTE);
      assert.equal(!result.ok && result.reason, reason);
    });
  }
  assert.equal(
    (await f.auth.login("alice", "old-password", LOOPBACK)).ok,
    true,
  );
});

Deno.test("AuthManager.changePassword() needs the old password and voids reset tokens", async () => {
  await using f = await fixture();
  await registered(f, "alice", "old-password");
  const login = await f.auth.login("alice", "old-password", REMOTE);
  assert.ok(login.ok);
  const token = await f.auth.issueResetTokenForOperator("alice");
  const wrong = await f.auth.changePassword(
    login.session,
    "nope-nope",
    "new-password",
  );
  assert.equal(!wrong.ok && wrong.reason, "invalid_credentials");
  assert.deepEqual(
    await f.auth.changePassword(login.session, "old-password", "new-password"),
    { ok: true },
  );
  await f.auth.logout(login.session);
  assert.equal(
    (await f.auth.login("alice", "old-password", LOOPBACK)).ok,
    false,
  );
  const relog = await f.auth.login("alice", "new-password", LOOPBACK);
  assert.ok(relog.ok);
  const stale = await f.auth.confirmReset(
    token!.token,
    "third-password",
    REMOTE,
  );
  assert.equal(!stale.ok && stale.reason, "invalid_token");
  const afterLogout = await f.auth.changePassword(
    login.session,
    "new-password",
    "x-password",
  );
  assert.equal(!afterLogout.ok && afterLogout.reason, "not_logged_in");
});

Deno.test("AuthManager.deleteAccount() needs the password and ends the live session", async () => {
  await using f = await fixture();
  await registered(f, "alice", "password123");
  const ended: SessionEndReason[] = [];
  const login = await f.auth.login("alice", "password123", REMOTE, {
    onTerminate: (reason) => ended.push(reason),
  });
  assert.ok(login.ok);
  const token = await f.auth.issueResetTokenForOperator("alice");
  const wrong = await f.auth.deleteAccount("alice", "wrong-password", REMOTE);
  assert.deepEqual(wrong, { ok: false, reason: "invalid_credentials" });
  const unknown = await f.auth.deleteAccount("nobody", "password123", REMOTE);
  assert.deepEqual(unknown, { ok: false, reason: "invalid_credentials" });
  assert.deepEqual(await f.auth.deleteAccount("ALICE", "password123", REMOTE), {
    ok: true,
    username: "alice",
  });
  assert.deepEqual(ended, ["account_deleted"]);
  assert.equal(f.auth.onlineCount, 0);
  assert.equal(await f.store.getAccount("alice"), undefined);
  assert.equal(
    (await f.auth.login("alice", "password123", LOOPBACK)).ok,
    false,
  );
  const orphan = await f.auth.confirmReset(
    token!.token,
    "new-password",
    REMOTE,
  );
  assert.equal(orphan.ok, false);
  // The name is free again.
  assert.equal(
    (await f.auth.register("alice", "password456", REMOTE)).ok,
    true,
  );
});

Deno.test("AuthManager.importLegacyCredentials() imports SHA-256 accounts that upgrade at first login", async () => {
  await using f = await fixture();
  await registered(f, "taken", "password123");
  const legacy = {
    张三: await sha256Hex("zhangsan1"),
    bob: { password_hash: (await sha256Hex("bobpass")).toUpperCase() },
    taken: await sha256Hex("whatever"),
    broken: "not-a-digest",
  };
  const report = await f.auth.importLegacyCredentials(JSON.stringify(legacy));
  assert.deepEqual(report.imported.sort(), ["bob", "张三"].sort());
  assert.deepEqual(report.skipped.map((s) => s.username).sort(), [
    "broken",
    "taken",
  ]);
  assert.equal(
    parsePasswordHash((await f.store.getAccount("bob"))!.passwordHash)
      ?.algorithm,
    "legacy-sha256",
  );
  // The seed's 6-character passwords still work for imported accounts.
  assert.equal((await f.auth.login("bob", "wrong1", LOOPBACK)).ok, false);
  const login = await f.auth.login("bob", "bobpass", LOOPBACK);
  assert.ok(login.ok);
  assert.equal(
    parsePasswordHash((await f.store.getAccount("bob"))!.passwordHash)
      ?.algorithm,
    "pbkdf2-sha256",
  );
  await f.auth.logout(login.session);
  assert.equal((await f.auth.login("bob", "bobpass", LOOPBACK)).ok, true);
  assert.equal((await f.auth.login("张三", "zhangsan1", LOOPBACK)).ok, true);
  await assert.rejects(
    () => f.auth.importLegacyCredentials("{not json"),
    SyntaxError,
  );
});

Deno.test("AuthManager.importLegacyCredentials() skips a look-alike of an existing name and says why", async () => {
  await using f = await fixture();
  await registered(f, "paypal", "password123");
  const legacy = {
    [CYRILLIC_PAYPAL]: await sha256Hex("lookalike1"),
    bob: await sha256Hex("bobpass"),
    b0b: await sha256Hex("bobpass2"),
  };
  const report = await f.auth.importLegacyCredentials(JSON.stringify(legacy));
  assert.deepEqual(report.imported, ["bob"]);
  assert.deepEqual(report.skipped, [
    {
      username: CYRILLIC_PAYPAL,
      reason:
        `Cannot import "${CYRILLIC_PAYPAL}": it looks like the existing account "paypal"`,
    },
    {
      username: "b0b",
      reason: `Cannot import "b0b": it looks like the existing account "bob"`,
    },
  ]);
  assert.equal(await f.store.getAccount(CYRILLIC_PAYPAL), undefined);
});

Deno.test("AuthManager logs in accounts of a database that predates the skeleton column, look-alikes included", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "v3.db");
  {
    // Built as version 3 wrote it, with two names that look alike.
    using raw = new DatabaseSync(path);
    for (const migration of MIGRATIONS.slice(0, 3)) raw.exec(migration);
    raw.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    raw.exec("PRAGMA user_version = 3");
    const insert = raw.prepare(
      `INSERT INTO accounts (username, username_key, password_hash,
         created_at, password_changed_at) VALUES (?, ?, ?, 1000, 1000)`,
    );
    insert.run(
      "PayPal",
      "paypal",
      legacySha256Hash(await sha256Hex("first-pass")),
    );
    insert.run(
      CYRILLIC_PAYPAL,
      CYRILLIC_PAYPAL,
      legacySha256Hash(await sha256Hex("second-pass")),
    );
  }
  using store = SqliteStore.open(path);
  const auth = new AuthManager({
    store,
    clock: new ManualClock(),
    random: seededRandom(7),
    hashing: { iterations: 1000 },
  });
  const first = await auth.login("paypal", "first-pass", LOOPBACK);
  assert.equal(first.ok && first.session.username, "PayPal");
  const second = await auth.login(CYRILLIC_PAYPAL, "second-pass", LOOPBACK);
  assert.equal(second.ok && second.session.username, CYRILLIC_PAYPAL);
  // A third look-alike is refused, though two already share the skeleton.
  const third = await auth.register("paypa1", "password123", REMOTE);
  assert.equal(!third.ok && third.reason, "confusable_username");
});

Deno.test("AuthManager audit log records each security event with its address and no secrets", async () => {
  await using f = await fixture();
  const code = await registered(f, "alice", "secret-password");
  for (let i = 0; i < 5; i++) {
    await f.auth.login("alice", `bad-guess-${i}`, REMOTE);
  }
  await f.auth.requestReset("alice", REMOTE);
  await f.auth.confirmReset(f.tokens[0]!.token, "next-password", REMOTE);
  const login = await f.auth.login("alice", "next-password", LOOPBACK);
  assert.ok(login.ok);
  await f.auth.changePassword(login.session, "next-password", "final-password");
  await f.auth.deleteAccount("alice", "final-password", LOOPBACK);
  const audit = await f.store.listAudit({ limit: 1000 });
  const events = new Set(audit.map((entry) => entry.event));
  for (
    const event of [
      "register",
      "login_failure",
      "lockout",
      "reset_requested",
      "reset_confirmed",
      "login",
      "password_changed",
      "account_deleted",
    ] as const
  ) {
    assert.ok(events.has(event), `audit has ${event}`);
  }
  for (const entry of audit) {
    assert.ok(entry.at > 0);
    assert.ok(entry.address);
  }
  const dump = JSON.stringify(audit);
  for (
    const secret of [
      "secret-password",
      "next-password",
      "final-password",
      "bad-guess-0",
      code,
      f.tokens[0]!.token,
    ]
  ) {
    assert.ok(!dump.includes(secret), `audit leaks ${secret}`);
  }
});

Deno.test("formatSecret() and canonicalSecret() round-trip with typing slack", () => {
  const random = seededRandom(3);
  for (let i = 0; i < 50; i++) {
    const secret = formatSecret(random(20));
    assert.equal(secret.replaceAll("-", "").length, 32);
    const canonical = canonicalSecret(secret);
    assert.equal(canonical, secret.replaceAll("-", ""));
    assert.equal(canonicalSecret(` ${secret.toLowerCase()} `), canonical);
  }
  assert.equal(canonicalSecret("O0-Il"), "0011");
  assert.equal(canonicalSecret("!!"), undefined);
  assert.equal(canonicalSecret(""), undefined);
});

Deno.test("AuthManager audits junk from one address bounded: capped fields, 20 entries a minute", async () => {
  await using f = await fixture();
  // An 8 KB name with a terminal escape in it, 100 times.
  const junk = `\u001b[2J${"ж".repeat(8000)}`;
  for (let i = 0; i < 100; i++) {
    await f.auth.login(`${i}${junk}`, "wrong password", REMOTE);
  }
  const written = (await f.store.listAudit()).filter((e) =>
    e.address === REMOTE
  );
  assert.equal(written.length, 20);
  for (const entry of written) {
    assert.ok(Array.from(entry.username ?? "").length <= 64);
    assert.ok(!(entry.username ?? "").includes("\u001b"));
  }
  // Another address is not held back by this one.
  await f.auth.login("someone", "wrong password", OTHER_REMOTE);
  assert.equal(
    (await f.store.listAudit()).filter((e) => e.address === OTHER_REMOTE)
      .length,
    1,
  );
  // A minute later the address may write again, and the entry says how
  // many were not logged.
  f.clock.advance(60_000);
  await f.auth.login("again", "wrong password", REMOTE);
  // Newest first.
  const last = (await f.store.listAudit()).find((e) => e.address === REMOTE);
  assert.match(
    last?.detail ?? "",
    /\(\+80 earlier from this address not logged\)$/,
  );
});

Deno.test("AuthManager.requestReset() never voids a live operator token, which still works once", async () => {
  await using f = await fixture();
  await registered(f, "alice", "old-password");
  const issued = await f.auth.issueResetTokenForOperator("alice");
  assert.ok(issued);
  f.clock.advance(60_000);
  for (const address of [REMOTE, OTHER_REMOTE, REMOTE]) {
    await f.auth.requestReset("alice", address);
  }
  // Only the operator's token was ever handed out: requests add none.
  assert.deepEqual(f.tokens.map((t) => t.requestedBy), ["operator"]);
  const pending = await f.store.listAudit({ event: "reset_requested" });
  assert.deepEqual(
    pending.map((entry) => entry.detail),
    ["token_pending", "token_pending", "token_pending", null],
  );
  f.clock.advance(1_739_999); // 29:59.999 after issue
  const ok = await f.auth.confirmReset(issued.token, "new-password", REMOTE);
  assert.deepEqual(ok, { ok: true, username: "alice" });
  const reused = await f.auth.confirmReset(
    issued.token,
    "other-password",
    REMOTE,
  );
  assert.equal(!reused.ok && reused.reason, "invalid_token");
  assert.equal(
    (await f.auth.login("alice", "new-password", LOOPBACK)).ok,
    true,
  );
  // Once it is spent, a request issues a fresh token again.
  await f.auth.requestReset("alice", REMOTE);
  assert.deepEqual(f.tokens.map((t) => t.requestedBy), ["operator", REMOTE]);
});

Deno.test("AuthManager.register() allows 5 a minute per address (/64 for IPv6), loopback exempt", async () => {
  await using f = await fixture();
  for (let i = 0; i < 5; i++) {
    const ok = await f.auth.register(`user${i}`, "password123", REMOTE);
    assert.equal(ok.ok, true, `registration ${i}`);
  }
  // Failed attempts count too: the sixth is refused before any check.
  f.clock.advance(59_000);
  const refused = await f.auth.register("user5", "password123", REMOTE);
  assert.deepEqual(refused, {
    ok: false,
    reason: "throttled",
    minPasswordLength: 8,
    retryAfterMs: 1_000,
  });
  assert.equal(await f.store.getAccount("user5"), undefined);
  const audit = await f.store.listAudit({ event: "register_failure" });
  assert.deepEqual(audit.map((entry) => entry.detail), [
    "throttled: address_rate",
  ]);
  // Another address is not affected; loopback never is.
  assert.equal(
    (await f.auth.register("other", "password123", OTHER_REMOTE)).ok,
    true,
  );
  for (let i = 0; i < 7; i++) {
    assert.equal(
      (await f.auth.register(`local${i}`, "password123", LOOPBACK)).ok,
      true,
    );
  }
  f.clock.advance(1_000);
  assert.equal(
    (await f.auth.register("user5", "password123", REMOTE)).ok,
    true,
  );

  // One IPv6 /64 is one address.
  for (let i = 0; i < 5; i++) {
    const address = `2001:db8:1:2::${i + 1}`;
    assert.equal(
      (await f.auth.register(`six${i}`, "password123", address)).ok,
      true,
    );
  }
  const six = await f.auth.register("six5", "password123", "2001:db8:1:2::ff");
  assert.equal(!six.ok && six.reason, "throttled");
  assert.equal(
    (await f.auth.register("six6", "password123", "2001:db8:1:3::1")).ok,
    true,
  );
});

Deno.test("AuthManager.register() allows 60 a minute over all addresses", async () => {
  await using f = await fixture();
  for (let i = 0; i < 60; i++) {
    const address = `198.51.100.${i + 1}`;
    const ok = await f.auth.register(`user${i}`, "password123", address);
    assert.equal(ok.ok, true, `registration ${i}`);
  }
  f.clock.advance(30_000);
  const refused = await f.auth.register("late", "password123", "192.0.2.1");
  assert.deepEqual(refused, {
    ok: false,
    reason: "throttled",
    minPasswordLength: 8,
    retryAfterMs: 30_000,
  });
  const audit = await f.store.listAudit({ event: "register_failure" });
  assert.deepEqual(audit.map((entry) => entry.detail), [
    "throttled: global_rate",
  ]);
  // Loopback is exempt here too, as it is from the login address limit.
  assert.equal(
    (await f.auth.register("local", "password123", LOOPBACK)).ok,
    true,
  );
  f.clock.advance(30_000);
  assert.equal(
    (await f.auth.register("late", "password123", "192.0.2.1")).ok,
    true,
  );
});

// Issue item 14: an imported account answered a wrong password after one
// SHA-256 (13 ms) instead of a PBKDF2 derivation (~90 ms), which told who was
// imported. Work is counted, not timed.
Deno.test("AuthManager.login() does one PBKDF2 derivation for a wrong password, legacy, normal or unknown account", async () => {
  let derivations = 0;
  await using f = await fixture({
    hashing: {
      iterations: 1000,
      pbkdf2: (...args) => {
        derivations++;
        return pbkdf2Sha256(...args);
      },
    },
  });
  await registered(f, "normal", "password123");
  await f.auth.importLegacyCredentials(
    JSON.stringify({ legacy: await sha256Hex("legacypass") }),
  );
  // The first unknown name also makes the dummy hash, once per process.
  await f.auth.login("nobody", "password123", REMOTE);
  const cases: Array<[string, string]> = [
    ["normal", "wrong-password"],
    ["legacy", "wrong-password"],
    ["nobody", "wrong-password"],
    ["legacy", "x".repeat(MAX_PASSWORD_BYTES + 1)],
  ];
  const counts = [];
  for (const [username, password] of cases) {
    derivations = 0;
    const result = await f.auth.login(username, password, REMOTE);
    assert.equal(!result.ok && result.reason, "invalid_credentials");
    counts.push(derivations);
  }
  assert.deepEqual(counts, [1, 1, 1, 1]);
  // The right password of a legacy account costs the same check (then one
  // more hash, once, to upgrade it).
  derivations = 0;
  assert.equal((await f.auth.login("legacy", "legacypass", REMOTE)).ok, true);
  assert.equal(derivations, 2);
});
