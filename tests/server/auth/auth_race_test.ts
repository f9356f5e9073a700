/**
 * A password reset confirmed while a login with the old password is still in
 * flight. The intended semantics (auth_manager.ts, `login()` and
 * `confirmReset()`; docs/PROTOCOL.md, "a change or reset of the password …
 * void the token"): once the reset has committed, the old password opens no
 * session. A login whose check finished before the commit may have claimed
 * the session, but the reset then ends it (`password_reset`) and voids the
 * resume token it was given; one whose check finished after the commit fails
 * like a wrong password.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  AuthManager,
  type AuthManagerOptions,
  type ResetTokenDelivery,
  type SessionEndReason,
} from "../../../lib/server/auth/auth_manager.ts";
import { ManualClock } from "../../../lib/shared/clock.ts";
import type { SqliteStore } from "../../../lib/store/sqlite/sqlite_store.ts";
import type { AccountStore } from "../../../lib/store/store.ts";
import { seededRandom, tempStore } from "../../_util.ts";

const REMOTE = "203.0.113.7";
const OWNER = "198.51.100.9";

/** A promise and the function that resolves it. */
function gate(): { opened: Promise<void>; open(): void } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => open = resolve);
  return { opened, open };
}

interface Fixture extends AsyncDisposable {
  store: SqliteStore;
  make(
    store?: AccountStore,
    hashing?: AuthManagerOptions["hashing"],
  ): AuthManager;
  tokens: ResetTokenDelivery[];
}

async function fixture(): Promise<Fixture> {
  const temp = await tempStore();
  const clock = new ManualClock();
  const tokens: ResetTokenDelivery[] = [];
  return {
    store: temp.store,
    tokens,
    make: (store = temp.store, hashing = { iterations: 1000 }) =>
      new AuthManager({
        store,
        clock,
        random: seededRandom(3),
        hashing,
        onResetToken: (delivery) => tokens.push(delivery),
      }),
    [Symbol.asyncDispose]: () => temp[Symbol.asyncDispose](),
  };
}

/**
 * `store` with the `nth` call (1-based) of `method` held until `hold`
 * opens; `reached` opens when that call arrives. With `after`, the call is
 * made (and committed) first and its result is what is held.
 */
function holding(
  store: SqliteStore,
  method: keyof AccountStore,
  nth: number,
  hold: Promise<void>,
  reached: () => void,
  options: { after?: boolean } = {},
): AccountStore {
  let calls = 0;
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function") return value;
      if (property !== method) return value.bind(target);
      return async (...args: unknown[]) => {
        if (++calls !== nth) return value.apply(target, args);
        if (options.after) {
          const result = await value.apply(target, args);
          reached();
          await hold;
          return result;
        }
        reached();
        await hold;
        return value.apply(target, args);
      };
    },
  });
}

Deno.test("a reset confirmed while a login is hashing: not awaited, both settle, the old password opens no session", async () => {
  await using f = await fixture();
  const auth = f.make();
  assert.ok((await auth.register("alice", "old-password", REMOTE)).ok);
  const delivery = await auth.issueResetTokenForOperator("alice");
  assert.ok(delivery);
  const ended: SessionEndReason[] = [];
  const hooks = {
    issueResumeToken: true,
    onTerminate: (reason: SessionEndReason) => ended.push(reason),
  };
  // Both hash; neither is awaited before the other starts.
  const login = auth.login("alice", "old-password", REMOTE, hooks);
  const reset = auth.confirmReset(delivery.token, "new-password", OWNER);
  const [loginResult, resetResult] = await Promise.all([login, reset]);
  assert.deepEqual(resetResult, { ok: true, username: "alice" });
  if (loginResult.ok) {
    // The check won the race: its session is gone again, with its token.
    assert.deepEqual(ended, ["password_reset"]);
    assert.equal(auth.isOnline("alice"), false);
    assert.deepEqual(
      await auth.resume("alice", loginResult.resumeToken!, REMOTE),
      { ok: false, reason: "invalid_credentials" },
    );
  } else {
    assert.equal(loginResult.reason, "invalid_credentials");
    assert.deepEqual(ended, []);
  }
  assert.equal(auth.isOnline("alice"), false);
  const old = await auth.login("alice", "old-password", REMOTE);
  assert.equal(!old.ok && old.reason, "invalid_credentials");
  assert.equal((await auth.login("alice", "new-password", REMOTE)).ok, true);
});

Deno.test("a reset that commits after the login's hash check but before its claim: the login fails", async () => {
  await using f = await fixture();
  const setup = f.make();
  assert.ok((await setup.register("alice", "old-password", REMOTE)).ok);
  const delivery = await setup.issueResetTokenForOperator("alice");
  assert.ok(delivery);
  // getAccount #1: the login's read before hashing; #2 its re-read after.
  const hold = gate();
  const reached = gate();
  const auth = f.make(
    holding(f.store, "getAccount", 2, hold.opened, reached.open),
  );
  const ended: SessionEndReason[] = [];
  const login = auth.login("alice", "old-password", REMOTE, {
    issueResumeToken: true,
    onTerminate: (reason) => ended.push(reason),
  });
  await reached.opened; // the old password has been verified
  assert.deepEqual(
    await auth.confirmReset(delivery.token, "new-password", OWNER),
    { ok: true, username: "alice" },
  );
  hold.open();
  assert.deepEqual(await login, { ok: false, reason: "invalid_credentials" });
  assert.equal(auth.isOnline("alice"), false);
  assert.deepEqual(ended, []);
  assert.equal(
    (await auth.login("alice", "new-password", REMOTE)).ok,
    true,
    "the new password works",
  );
});

Deno.test("a reset that commits right after the login stored its session: the session ends, its resume token is void", async () => {
  await using f = await fixture();
  const setup = f.make();
  assert.ok((await setup.register("alice", "old-password", REMOTE)).ok);
  const delivery = await setup.issueResetTokenForOperator("alice");
  assert.ok(delivery);
  // The login's bookkeeping (last seen, audit, resume token) has committed;
  // the reset commits before the login returns.
  const hold = gate();
  const reached = gate();
  const auth = f.make(
    holding(f.store, "recordLogin", 1, hold.opened, reached.open, {
      after: true,
    }),
  );
  const ended: SessionEndReason[] = [];
  const login = auth.login("alice", "old-password", REMOTE, {
    issueResumeToken: true,
    onTerminate: (reason) => ended.push(reason),
  });
  await reached.opened;
  assert.equal(auth.isOnline("alice"), true, "claimed");
  assert.deepEqual(
    await auth.confirmReset(delivery.token, "new-password", OWNER),
    { ok: true, username: "alice" },
  );
  assert.deepEqual(ended, ["password_reset"]);
  assert.equal(auth.isOnline("alice"), false);
  hold.open();
  const result = await login;
  // The login did succeed (its check came first), but it holds nothing now:
  // no live session, and no resume token that outlives the reset.
  assert.ok(result.ok && result.resumeToken !== undefined);
  assert.equal(auth.isOnline("alice"), false);
  assert.deepEqual(
    await auth.resume("alice", result.resumeToken, REMOTE),
    { ok: false, reason: "invalid_credentials" },
    "the resume token of a session the reset ended",
  );
  assert.equal(auth.isOnline("alice"), false);
});

Deno.test("a reset during a login's rehash of a legacy hash: the reset's password stands", async () => {
  await using f = await fixture();
  const setup = f.make();
  // An imported account: unsalted SHA-256, rehashed at its first login.
  const report = await setup.importLegacyCredentials(JSON.stringify({
    alice: await sha256("old-password"),
  }));
  assert.deepEqual(report.imported, ["alice"]);
  const delivery = await setup.issueResetTokenForOperator("alice");
  assert.ok(delivery);
  const hold = gate();
  const reached = gate();
  const auth = f.make(
    holding(f.store, "replacePasswordHash", 1, hold.opened, reached.open),
  );
  const ended: SessionEndReason[] = [];
  const login = auth.login("alice", "old-password", REMOTE, {
    onTerminate: (reason) => ended.push(reason),
  });
  await reached.opened;
  assert.deepEqual(
    await auth.confirmReset(delivery.token, "new-password", OWNER),
    { ok: true, username: "alice" },
  );
  assert.deepEqual(ended, ["password_reset"]);
  hold.open();
  await login;
  assert.equal(auth.isOnline("alice"), false);
  const old = await auth.login("alice", "old-password", REMOTE);
  assert.equal(!old.ok && old.reason, "invalid_credentials", "not restored");
  assert.equal((await auth.login("alice", "new-password", REMOTE)).ok, true);
});

Deno.test("a reset confirmed while a password change is hashing: the change does not overwrite the reset", async () => {
  await using f = await fixture();
  // One hash at a time, in order: the reset's hash runs first, then the
  // change's check of the old password and its hash of the new one, so the
  // reset commits (two SHA-256 digests after its hash) while the change is
  // still hashing. Nothing here depends on how long a hash takes beyond
  // "a PBKDF2 of 20,000 iterations outlasts a SHA-256".
  const auth = f.make(f.store, { iterations: 20_000, maxConcurrent: 1 });
  assert.ok((await auth.register("alice", "old-password", REMOTE)).ok);
  const delivery = await auth.issueResetTokenForOperator("alice");
  assert.ok(delivery);
  const ended: SessionEndReason[] = [];
  const login = await auth.login("alice", "old-password", REMOTE, {
    onTerminate: (reason) => ended.push(reason),
  });
  assert.ok(login.ok);
  // Whoever holds the session (it may be an intruder) changes the password;
  // the owner resets it at the same time.
  const order: string[] = [];
  const change = auth.changePassword(
    login.session,
    "old-password",
    "intruder-password",
  ).finally(() => order.push("change"));
  const reset = auth.confirmReset(delivery.token, "owner-password", OWNER)
    .finally(() => order.push("reset"));
  assert.deepEqual(await reset, { ok: true, username: "alice" });
  const changed = await change;
  assert.deepEqual(order, ["reset", "change"], "the scenario was reached");
  assert.deepEqual(ended, ["password_reset"]);
  assert.equal(!changed.ok && changed.reason, "not_logged_in");
  const intruder = await auth.login("alice", "intruder-password", REMOTE);
  assert.equal(!intruder.ok && intruder.reason, "invalid_credentials");
  assert.equal((await auth.login("alice", "owner-password", OWNER)).ok, true);
});

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return [...new Uint8Array(digest)]
    .map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
