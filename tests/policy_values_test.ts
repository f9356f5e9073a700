/**
 * The documented policy values, each checked against the number the
 * specification states (README.md, docs/PROTOCOL.md 8, 9, 10 and 13), never
 * against the constant in the code: a test that computes its expectation
 * from `RESET_TOKEN_TTL_MS` still passes when someone changes the constant.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  AuthManager,
  type ResetTokenDelivery,
} from "../lib/server/auth/auth_manager.ts";
import { ManualClock } from "../lib/shared/clock.ts";
import {
  PresenceBatcher,
  type PresenceEvent,
} from "../lib/server/chat/presence.ts";
import { seededRandom, tempStore } from "./_util.ts";

const REMOTE = "203.0.113.7";
const OTHER_REMOTE = "198.51.100.9";
/** "令牌 30 分钟内有效" / "valid 30 minutes". */
const THIRTY_MINUTES = 1_800_000;
/** "A token is valid for 15 minutes from issue". */
const FIFTEEN_MINUTES = 900_000;

interface Fixture extends AsyncDisposable {
  auth: AuthManager;
  clock: ManualClock;
  tokens: ResetTokenDelivery[];
}

async function fixture(): Promise<Fixture> {
  const temp = await tempStore();
  const clock = new ManualClock();
  const tokens: ResetTokenDelivery[] = [];
  const auth = new AuthManager({
    store: temp.store,
    clock,
    random: seededRandom(11),
    hashing: { iterations: 1000 },
    onResetToken: (delivery) => tokens.push(delivery),
  });
  return {
    auth,
    clock,
    tokens,
    [Symbol.asyncDispose]: () => temp[Symbol.asyncDispose](),
  };
}

Deno.test("policy: a reset token expires exactly 30 minutes (1,800,000 ms) after issue", async (t) => {
  await using f = await fixture();
  assert.ok((await f.auth.register("alice", "password123", REMOTE)).ok);
  const issuedAt = f.clock.now();
  const delivery = await f.auth.issueResetTokenForOperator("alice");
  assert.ok(delivery);
  assert.equal(delivery.expiresAt - issuedAt, 1_800_000);

  await t.step("still valid at 29:59.999", async () => {
    f.clock.set(issuedAt + THIRTY_MINUTES - 1);
    assert.deepEqual(
      await f.auth.confirmReset(delivery.token, "new-password-1", REMOTE),
      { ok: true, username: "alice" },
    );
  });
  await t.step("valid at 29:59, refused at exactly 30:00", async () => {
    f.clock.set(issuedAt);
    const early = await f.auth.issueResetTokenForOperator("alice");
    assert.ok(early);
    f.clock.set(issuedAt + 29 * 60_000 + 59_000);
    assert.equal(
      (await f.auth.confirmReset(early.token, "new-password-2", REMOTE)).ok,
      true,
      "29:59",
    );
    f.clock.set(issuedAt);
    const late = await f.auth.issueResetTokenForOperator("alice");
    assert.ok(late);
    f.clock.set(issuedAt + 30 * 60_000);
    const refused = await f.auth.confirmReset(
      late.token,
      "new-password-3",
      OTHER_REMOTE,
    );
    assert.equal(!refused.ok && refused.reason, "invalid_token", "30:00");
  });
});

Deno.test("policy: a RESET_REQUEST token also lasts 30 minutes", async () => {
  await using f = await fixture();
  assert.ok((await f.auth.register("alice", "password123", REMOTE)).ok);
  const issuedAt = f.clock.now();
  await f.auth.requestReset("alice", REMOTE);
  assert.equal(f.tokens.length, 1);
  assert.equal(f.tokens[0]!.expiresAt, issuedAt + 1_800_000);
  // While it is unexpired a new request makes no new token (README: "已有未过期
  // 的令牌时，再次请求不会作废它，也不会生成新令牌"); at 30:00 it has expired.
  f.clock.set(issuedAt + THIRTY_MINUTES - 1);
  await f.auth.requestReset("alice", OTHER_REMOTE);
  assert.equal(f.tokens.length, 1, "29:59.999: still pending");
  f.clock.set(issuedAt + THIRTY_MINUTES);
  await f.auth.requestReset("alice", "192.0.2.1");
  assert.equal(f.tokens.length, 2, "30:00: expired, a new one is issued");
  assert.equal(f.tokens[1]!.expiresAt, issuedAt + 3_600_000);
});

Deno.test("policy: a resume token is valid 15 minutes (900,000 ms) from issue", async (t) => {
  await using f = await fixture();
  assert.ok((await f.auth.register("alice", "password123", REMOTE)).ok);
  const hooks = { issueResumeToken: true };
  const login = async () => {
    const result = await f.auth.login("alice", "password123", REMOTE, hooks);
    assert.ok(result.ok && result.resumeToken !== undefined);
    await f.auth.logout(result.session);
    return result.resumeToken;
  };
  await t.step("valid at 14:59.999", async () => {
    const start = f.clock.now();
    const token = await login();
    f.clock.set(start + FIFTEEN_MINUTES - 1);
    const resumed = await f.auth.resume("alice", token, REMOTE);
    assert.equal(resumed.ok, true);
    if (resumed.ok) await f.auth.logout(resumed.session);
  });
  await t.step("refused at exactly 15:00", async () => {
    const start = f.clock.now();
    const token = await login();
    f.clock.set(start + 15 * 60_000);
    assert.deepEqual(await f.auth.resume("alice", token, REMOTE), {
      ok: false,
      reason: "invalid_credentials",
    });
  });
});

Deno.test("policy: 5 failed logins lock an address out of an account for 15 minutes (900,000 ms)", async () => {
  await using f = await fixture();
  assert.ok((await f.auth.register("alice", "password123", REMOTE)).ok);
  for (let i = 1; i <= 4; i++) {
    await f.auth.login("alice", `wrong-${i}`, REMOTE);
  }
  // After 4 failures the right password still works: the 5th locks.
  const fourth = await f.auth.login("alice", "password123", REMOTE);
  assert.ok(fourth.ok, "4 failures do not lock");
  await f.auth.logout(fourth.session);
  for (let i = 1; i <= 5; i++) {
    await f.auth.login("alice", `wrong-${i}`, REMOTE);
  }
  const lockedAt = f.clock.now();
  const locked = await f.auth.login("alice", "password123", REMOTE);
  assert.deepEqual(locked, {
    ok: false,
    reason: "throttled",
    retryAfterMs: 900_000,
  });
  f.clock.set(lockedAt + 15 * 60_000 - 1);
  const still = await f.auth.login("alice", "password123", REMOTE);
  assert.deepEqual(still, { ok: false, reason: "throttled", retryAfterMs: 1 });
  f.clock.set(lockedAt + 15 * 60_000);
  assert.equal(
    (await f.auth.login("alice", "password123", REMOTE)).ok,
    true,
    "free at 15:00",
  );
});

Deno.test("policy: one address gets 20 login attempts a minute; the 21st is refused", async () => {
  await using f = await fixture();
  assert.ok((await f.auth.register("alice", "password123", REMOTE)).ok);
  const start = f.clock.now();
  // 19 misses on 19 different names, then the 20th attempt still gets in.
  for (let i = 1; i <= 19; i++) {
    await f.auth.login(`user${i}`, "wrong-password", REMOTE);
  }
  const twentieth = await f.auth.login("alice", "password123", REMOTE);
  assert.ok(twentieth.ok, "the 20th attempt in a minute is allowed");
  await f.auth.logout(twentieth.session);
  const refused = await f.auth.login("alice", "password123", REMOTE);
  assert.deepEqual(refused, {
    ok: false,
    reason: "throttled",
    retryAfterMs: 60_000,
  });
  f.clock.set(start + 60_000);
  assert.equal(
    (await f.auth.login("alice", "password123", REMOTE)).ok,
    true,
    "a minute later the window has slid",
  );
});

Deno.test("policy: the minimum password length is 8 characters by default", async () => {
  await using f = await fixture();
  assert.equal(f.auth.minPasswordLength, 8);
  const seven = await f.auth.register("alice", "1234567", REMOTE);
  assert.deepEqual(seven, {
    ok: false,
    reason: "password_too_short",
    minPasswordLength: 8,
  });
  assert.equal((await f.auth.register("alice", "12345678", REMOTE)).ok, true);
  // At most 1024 bytes of UTF-8.
  const long = await f.auth.register("bob", "é".repeat(512) + "x", REMOTE);
  assert.equal(!long.ok && long.reason, "password_too_long");
  assert.equal(
    (await f.auth.register("bob", "é".repeat(512), REMOTE)).ok,
    true,
  );
});

const joined = (username: string): PresenceEvent => ({
  type: "member_joined",
  username,
});

Deno.test("policy: join and leave notices are coalesced in rooms of more than 100 members", async (t) => {
  for (const [members, coalesced] of [[99, false], [100, false], [101, true]]) {
    await t.step(`${members} members`, () => {
      const batcher = new PresenceBatcher();
      assert.equal(
        batcher.note("r", "R", members as number, joined("a")),
        true,
      );
      assert.equal(
        batcher.note("r", "R", members as number, joined("b")),
        !coalesced,
        "the second notice in a second",
      );
      assert.deepEqual(
        batcher.flush(),
        coalesced ? [{ room: "R", events: [joined("b")] }] : [],
      );
    });
  }
});

Deno.test("policy: up to 3 held notices go out one by one, 4 become a PRESENCE count", () => {
  const batcher = new PresenceBatcher();
  batcher.note("r", "R", 101, joined("first"));
  for (const name of ["a", "b", "c"]) batcher.note("r", "R", 101, joined(name));
  assert.deepEqual(batcher.flush(), [{
    room: "R",
    events: [joined("a"), joined("b"), joined("c")],
  }]);
  for (const name of ["d", "e", "f", "g"]) {
    batcher.note("r", "R", 101, joined(name));
  }
  assert.deepEqual(batcher.flush(), [{ room: "R", joined: 4, left: 0 }]);
});
