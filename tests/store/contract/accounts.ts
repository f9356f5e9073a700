/**
 * Contract cases for `AccountStore`: accounts, reset and resume
 * tokens, recovery codes and the audit log.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  audit,
  type ContractArea,
  events,
  mustCreate,
  mustGet,
  newAccount,
  privateMessage,
} from "./fixtures.ts";

/** The audit entry of a redemption (the store fills in the username). */
function redeemAudit(at: number) {
  return {
    at,
    event: "reset_confirmed" as const,
    address: "operator",
    detail: null,
  };
}

/** Accounts: creation, uniqueness, look-alikes, passwords, roles, deletion. */
export const ACCOUNTS: ContractArea = {
  name: "accounts",
  covers: [
    "createAccount",
    "getAccount",
    "listAccounts",
    "findLookAlikeAccount",
    "replacePasswordHash",
    "changePassword",
    "setAdmin",
    "deleteAccount",
    "touchLastSeen",
  ],
  cases: {
    "createAccount() stores every field and logs the audit entry": async (
      s,
    ) => {
      const account = await s.createAccount(
        newAccount("Alice", {
          recoveryCodeHash: "code-1",
          createdAt: 5_000,
        }),
        audit("register", "Alice", 5_000),
      );
      assert.ok(account);
      assert.ok(Number.isSafeInteger(account.id), `id ${account.id}`);
      assert.deepEqual(account, {
        id: account.id,
        username: "Alice",
        usernameKey: "alice",
        passwordHash: "hash-1",
        recoveryCodeHash: "code-1",
        isAdmin: false,
        createdAt: 5_000,
        lastSeenAt: null,
        passwordChangedAt: 5_000,
        status: "",
      });
      assert.deepEqual(await s.getAccount("alice"), account);
      assert.deepEqual(await s.listAudit(), [
        audit("register", "Alice", 5_000),
      ]);
    },
    "getAccount() finds by the exact key; unknown keys resolve undefined":
      async (s) => {
        const alice = await mustCreate(s, "Alice");
        assert.deepEqual(await s.getAccount("alice"), alice);
        assert.equal(await s.getAccount("Alice"), undefined);
        assert.equal(await s.getAccount("bob"), undefined);
      },
    "createAccount() refuses a taken key and writes nothing": async (s) => {
      const alice = await mustCreate(s, "alice");
      assert.equal(
        await s.createAccount(
          newAccount("ALICE", { usernameKey: "alice", passwordHash: "other" }),
          audit("register", "ALICE"),
        ),
        undefined,
      );
      assert.deepEqual(await s.listAccounts(), [alice]);
      assert.deepEqual(await s.listAudit(), [audit("register", "alice")]);
    },
    "createAccount() refuses a look-alike of an existing name and writes nothing":
      async (s) => {
        const paypal = await mustCreate(s, "paypal");
        const alice = await mustCreate(s, "alice");
        // Cyrillic letters that pass for Latin ones, and a digit for `l`.
        assert.equal(
          await s.createAccount(newAccount("раураӏ"), audit("register")),
          undefined,
        );
        assert.equal(
          await s.createAccount(newAccount("a1ice"), audit("register")),
          undefined,
        );
        assert.deepEqual(await s.listAccounts(), [paypal, alice]);
        assert.deepEqual(events(await s.listAudit()), ["register", "register"]);
      },
    "findLookAlikeAccount() finds another key with the same skeleton only":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        assert.deepEqual(await s.findLookAlikeAccount("a1ice"), alice);
        assert.equal(await s.findLookAlikeAccount("alice"), undefined);
        assert.equal(await s.findLookAlikeAccount("bob"), undefined);
      },
    "createAccount() of two look-alikes at once creates exactly one": async (
      s,
    ) => {
      const results = await Promise.all([
        s.createAccount(newAccount("alice"), audit("register", "alice")),
        s.createAccount(newAccount("a1ice"), audit("register", "a1ice")),
      ]);
      assert.equal(results.filter((r) => r !== undefined).length, 1);
      assert.equal((await s.listAccounts()).length, 1);
      assert.equal((await s.listAudit()).length, 1);
    },
    "listAccounts() lists oldest first": async (s) => {
      assert.deepEqual(await s.listAccounts(), []);
      await mustCreate(s, "carol", { createdAt: 3_000 });
      await mustCreate(s, "alice", { createdAt: 1_000 });
      await mustCreate(s, "bob", { createdAt: 2_000 });
      assert.deepEqual(
        (await s.listAccounts()).map((account) => account.username),
        ["alice", "bob", "carol"],
      );
    },
    "replacePasswordHash() replaces only the expected hash": async (s) => {
      const alice = await mustCreate(s, "alice");
      assert.equal(await s.replacePasswordHash(alice.id, "wrong", "h2"), false);
      assert.equal((await mustGet(s, "alice")).passwordHash, "hash-1");
      assert.equal(await s.replacePasswordHash(alice.id, "hash-1", "h2"), true);
      // A rehash is not a password change: the time stays.
      assert.deepEqual(await mustGet(s, "alice"), {
        ...alice,
        passwordHash: "h2",
      });
      assert.equal(
        await s.replacePasswordHash(alice.id + 99, "h2", "h3"),
        false,
      );
    },
    "changePassword() sets hash and time, voids reset and resume tokens, logs the audit entry":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        await s.issueResetToken(
          alice.id,
          "reset-1",
          10_000,
          audit("reset_requested", "alice"),
        );
        await s.issueResumeToken(alice.id, "resume-1", 10_000);
        await s.changePassword(
          alice.id,
          "h2",
          audit("password_changed", "alice", 2_000),
        );
        assert.deepEqual(await mustGet(s, "alice"), {
          ...alice,
          passwordHash: "h2",
          passwordChangedAt: 2_000,
        });
        assert.equal(
          await s.redeemSecret("reset-1", 3_000, "h3", "c", redeemAudit(3_000)),
          undefined,
        );
        assert.equal(await s.redeemResumeToken("resume-1", 3_000), undefined);
        assert.deepEqual(await s.listAudit({ event: "password_changed" }), [
          audit("password_changed", "alice", 2_000),
        ]);
      },
    "setAdmin() grants and revokes by key; an unknown key is refused without an audit entry":
      async (s) => {
        await mustCreate(s, "alice");
        assert.equal(
          await s.setAdmin("alice", true, audit("admin_granted", "alice")),
          true,
        );
        assert.equal((await mustGet(s, "alice")).isAdmin, true);
        assert.equal(
          await s.setAdmin("alice", false, audit("admin_revoked", "alice")),
          true,
        );
        assert.equal((await mustGet(s, "alice")).isAdmin, false);
        assert.equal(
          await s.setAdmin("nobody", true, audit("admin_granted", "nobody")),
          false,
        );
        assert.deepEqual(events(await s.listAudit()), [
          "admin_revoked",
          "admin_granted",
          "register",
        ]);
      },
    "deleteAccount() removes the account, its secrets, queue and mute, and logs the audit entry":
      async (s) => {
        const alice = await mustCreate(s, "alice", {
          recoveryCodeHash: "code-a",
        });
        const bob = await mustCreate(s, "bob");
        await s.issueResetToken(
          alice.id,
          "reset-a",
          10_000,
          audit("reset_requested", "alice"),
        );
        await s.issueResumeToken(alice.id, "resume-a", 10_000);
        assert.equal(
          await s.queueOffline(privateMessage(1, "alice"), alice.id, 10),
          "queued",
        );
        await s.setMute(alice.id, 10_000, null, null, audit("mute", "alice"));
        assert.equal(
          await s.deleteAccount(
            alice.id,
            audit("account_deleted", "alice", 2_000),
          ),
          true,
        );
        assert.equal(await s.getAccount("alice"), undefined);
        assert.deepEqual(await s.listAccounts(), [bob]);
        for (const secret of ["reset-a", "code-a"]) {
          assert.equal(
            await s.redeemSecret(secret, 3_000, "h", "c", redeemAudit(3_000)),
            undefined,
            secret,
          );
        }
        assert.equal(await s.redeemResumeToken("resume-a", 3_000), undefined);
        assert.equal(await s.countOffline(alice.id), 0);
        assert.deepEqual(await s.peekOffline(alice.id, 10), []);
        assert.equal(await s.getMute(alice.id, 3_000), undefined);
        assert.equal(
          await s.deleteAccount(alice.id, audit("account_deleted", "alice")),
          false,
        );
        assert.deepEqual(events(await s.listAudit()), [
          "account_deleted",
          "mute",
          "reset_requested",
          "register",
          "register",
        ]);
        // The name is free again.
        await mustCreate(s, "alice");
      },
    "touchLastSeen() records the time": async (s) => {
      const alice = await mustCreate(s, "alice");
      await s.touchLastSeen(alice.id, 4_000);
      assert.equal((await mustGet(s, "alice")).lastSeenAt, 4_000);
    },
  },
};

/** Reset tokens, recovery codes, resume tokens, login and logout. */
export const TOKENS: ContractArea = {
  name: "tokens and recovery",
  covers: [
    "issueResetToken",
    "redeemSecret",
    "issueResumeToken",
    "redeemResumeToken",
    "revokeResumeTokens",
    "recordLogin",
    "recordLogout",
  ],
  cases: {
    "redeemSecret() redeems a reset token once, setting the password": async (
      s,
    ) => {
      const alice = await mustCreate(s, "alice");
      assert.equal(
        await s.issueResetToken(
          alice.id,
          "reset-1",
          10_000,
          audit("reset_requested", "alice"),
        ),
        true,
      );
      const result = await s.redeemSecret(
        "reset-1",
        2_000,
        "h2",
        "code-2",
        redeemAudit(2_000),
      );
      const changed = {
        ...alice,
        passwordHash: "h2",
        passwordChangedAt: 2_000,
      };
      assert.deepEqual(result, { account: changed, via: "reset_token" });
      assert.deepEqual(await mustGet(s, "alice"), changed);
      assert.equal(
        await s.redeemSecret("reset-1", 2_001, "h3", "c", redeemAudit(2_001)),
        undefined,
      );
      assert.deepEqual(await s.listAudit({ limit: 2 }), [
        audit("reset_confirmed", "alice", 2_000),
        audit("reset_requested", "alice"),
      ]);
    },
    "issueResetToken() voids the account's older token": async (s) => {
      const alice = await mustCreate(s, "alice");
      await s.issueResetToken(
        alice.id,
        "reset-1",
        10_000,
        audit("reset_requested"),
      );
      await s.issueResetToken(
        alice.id,
        "reset-2",
        10_000,
        audit("reset_requested"),
      );
      assert.equal(
        await s.redeemSecret("reset-1", 2_000, "h2", "c", redeemAudit(2_000)),
        undefined,
      );
      assert.equal(
        (await s.redeemSecret("reset-2", 2_000, "h2", "c", redeemAudit(2_000)))
          ?.via,
        "reset_token",
      );
    },
    "redeemSecret() accepts a token only while now < expiresAt and removes an expired one":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        await s.issueResetToken(
          alice.id,
          "reset-1",
          5_000,
          audit("reset_requested"),
        );
        assert.equal(
          await s.redeemSecret("reset-1", 5_000, "h2", "c", redeemAudit(5_000)),
          undefined,
        );
        // Gone now, even for an earlier clock.
        assert.equal(
          await s.redeemSecret("reset-1", 4_999, "h2", "c", redeemAudit(4_999)),
          undefined,
        );
        assert.deepEqual(await mustGet(s, "alice"), alice);
        await s.issueResetToken(
          alice.id,
          "reset-2",
          5_000,
          audit("reset_requested"),
        );
        assert.equal(
          (await s.redeemSecret(
            "reset-2",
            4_999,
            "h2",
            "c",
            redeemAudit(4_999),
          ))
            ?.account.passwordHash,
          "h2",
        );
      },
    "issueResetToken() with unlessPending keeps a pending token and logs the pending detail":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        await s.issueResetToken(
          alice.id,
          "reset-1",
          5_000,
          audit("reset_requested", "alice"),
        );
        const options = { unlessPending: true, pendingDetail: "pending" };
        assert.equal(
          await s.issueResetToken(
            alice.id,
            "reset-2",
            9_000,
            audit("reset_requested", "alice", 2_000, "asked"),
            options,
          ),
          false,
        );
        assert.deepEqual((await s.listAudit({ limit: 1 }))[0], {
          ...audit("reset_requested", "alice", 2_000, "pending"),
        });
        assert.equal(
          await s.redeemSecret("reset-2", 2_000, "h2", "c", redeemAudit(2_000)),
          undefined,
        );
        // At the expiry the old token no longer counts as pending.
        assert.equal(
          await s.issueResetToken(
            alice.id,
            "reset-3",
            9_000,
            audit("reset_requested", "alice", 5_000, "asked"),
            options,
          ),
          true,
        );
        assert.deepEqual((await s.listAudit({ limit: 1 }))[0], {
          ...audit("reset_requested", "alice", 5_000, "asked"),
        });
        assert.equal(
          (await s.redeemSecret(
            "reset-3",
            5_001,
            "h2",
            "c",
            redeemAudit(5_001),
          ))
            ?.via,
          "reset_token",
        );
      },
    "redeemSecret() with the recovery code rotates it and voids reset tokens":
      async (s) => {
        const alice = await mustCreate(s, "alice", {
          recoveryCodeHash: "code-1",
        });
        await s.issueResetToken(
          alice.id,
          "reset-1",
          10_000,
          audit("reset_requested"),
        );
        const result = await s.redeemSecret(
          "code-1",
          2_000,
          "h2",
          "code-2",
          redeemAudit(2_000),
        );
        assert.deepEqual(result, {
          account: {
            ...alice,
            passwordHash: "h2",
            passwordChangedAt: 2_000,
            recoveryCodeHash: "code-2",
          },
          via: "recovery_code",
        });
        for (const secret of ["code-1", "reset-1"]) {
          assert.equal(
            await s.redeemSecret(secret, 3_000, "h3", "c", redeemAudit(3_000)),
            undefined,
            secret,
          );
        }
        assert.equal(
          (await s.redeemSecret(
            "code-2",
            3_000,
            "h3",
            "code-3",
            redeemAudit(3_000),
          ))
            ?.account.recoveryCodeHash,
          "code-3",
        );
        assert.deepEqual((await s.listAudit({ limit: 1 }))[0], {
          ...audit("reset_confirmed", "alice", 3_000),
        });
      },
    "redeemSecret() of an unknown secret changes nothing and logs nothing":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        assert.equal(
          await s.redeemSecret("nope", 2_000, "h2", "c", redeemAudit(2_000)),
          undefined,
        );
        assert.deepEqual(await mustGet(s, "alice"), alice);
        assert.deepEqual(events(await s.listAudit()), ["register"]);
      },
    "redeemResumeToken() is single use and needs now < expiresAt": async (
      s,
    ) => {
      const alice = await mustCreate(s, "alice");
      await s.issueResumeToken(alice.id, "resume-1", 5_000);
      assert.deepEqual(await s.redeemResumeToken("resume-1", 4_999), alice);
      assert.equal(await s.redeemResumeToken("resume-1", 4_999), undefined);
      await s.issueResumeToken(alice.id, "resume-2", 5_000);
      assert.equal(await s.redeemResumeToken("resume-2", 5_000), undefined);
      // Consumed by the failed try as well.
      assert.equal(await s.redeemResumeToken("resume-2", 4_000), undefined);
      assert.equal(await s.redeemResumeToken("unknown", 1_000), undefined);
    },
    "issueResumeToken() voids the older token; revokeResumeTokens() voids it too":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        await s.issueResumeToken(alice.id, "resume-1", 5_000);
        await s.issueResumeToken(alice.id, "resume-2", 5_000);
        assert.equal(await s.redeemResumeToken("resume-1", 1_000), undefined);
        assert.deepEqual(await s.redeemResumeToken("resume-2", 1_000), alice);
        await s.issueResumeToken(alice.id, "resume-3", 5_000);
        await s.revokeResumeTokens(alice.id);
        assert.equal(await s.redeemResumeToken("resume-3", 1_000), undefined);
      },
    "recordLogin() sets last-seen, logs the audit entry and replaces the resume token if given":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        await s.issueResumeToken(alice.id, "resume-1", 9_000);
        await s.recordLogin(alice.id, audit("login", "alice", 3_000), {
          tokenHash: "resume-2",
          expiresAt: 9_000,
        });
        const seen = { ...alice, lastSeenAt: 3_000 };
        assert.deepEqual(await mustGet(s, "alice"), seen);
        assert.equal(await s.redeemResumeToken("resume-1", 3_000), undefined);
        assert.deepEqual(await s.redeemResumeToken("resume-2", 3_000), seen);
        await s.issueResumeToken(alice.id, "resume-3", 9_000);
        await s.recordLogin(alice.id, audit("login", "alice", 4_000));
        assert.deepEqual(await s.redeemResumeToken("resume-3", 4_000), {
          ...alice,
          lastSeenAt: 4_000,
        });
        assert.deepEqual(await s.listAudit({ event: "login" }), [
          audit("login", "alice", 4_000),
          audit("login", "alice", 3_000),
        ]);
      },
    "recordLogout() sets last-seen and logs; voids resume tokens only when asked":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        await s.issueResumeToken(alice.id, "resume-1", 9_000);
        await s.recordLogout(alice.id, audit("logout", "alice", 3_000));
        assert.equal((await mustGet(s, "alice")).lastSeenAt, 3_000);
        assert.ok(await s.redeemResumeToken("resume-1", 3_000));
        await s.issueResumeToken(alice.id, "resume-2", 9_000);
        await s.recordLogout(alice.id, audit("logout", "alice", 4_000), {
          revokeResumeTokens: true,
        });
        assert.equal((await mustGet(s, "alice")).lastSeenAt, 4_000);
        assert.equal(await s.redeemResumeToken("resume-2", 4_000), undefined);
        assert.deepEqual(await s.listAudit({ event: "logout" }), [
          audit("logout", "alice", 4_000),
          audit("logout", "alice", 3_000),
        ]);
      },
  },
};

/** The audit log: append, read with filters, bounds, retention. */
export const AUDIT: ContractArea = {
  name: "audit log",
  covers: ["appendAudit", "listAudit", "pruneAudit"],
  cases: {
    "listAudit() reads newest first by insertion and filters by event, username and limit":
      async (s) => {
        const entries = [
          audit("register", "alice", 1_000),
          audit("login", "alice", 3_000),
          audit("login", "bob", 2_000),
          audit("login_failure", "alice", 4_000),
        ];
        for (const entry of entries) await s.appendAudit(entry);
        const [register, loginAlice, loginBob, failure] = entries;
        assert.deepEqual(await s.listAudit(), [
          failure,
          loginBob,
          loginAlice,
          register,
        ]);
        assert.deepEqual(await s.listAudit({ event: "login" }), [
          loginBob,
          loginAlice,
        ]);
        assert.deepEqual(await s.listAudit({ username: "alice" }), [
          failure,
          loginAlice,
          register,
        ]);
        assert.deepEqual(
          await s.listAudit({ event: "login", username: "alice" }),
          [loginAlice],
        );
        assert.deepEqual(await s.listAudit({ limit: 2 }), [failure, loginBob]);
        assert.deepEqual(await s.listAudit({ event: "kick" }), []);
      },
    "listAudit() returns at most 100 entries by default": async (s) => {
      for (let at = 0; at <= 100; at++) {
        await s.appendAudit(audit("login", "alice", at));
      }
      const entries = await s.listAudit();
      assert.equal(entries.length, 100);
      assert.equal(entries[0]?.at, 100);
      assert.equal(entries[99]?.at, 1);
    },
    "appendAudit() stores control characters replaced and long fields bounded":
      async (s) => {
        await s.appendAudit({
          at: 1_000,
          event: "login_failure",
          username: "evil\u001b[2Jname\u202e",
          address: "127.0.0.1:5000",
          detail: "x".repeat(300),
        });
        assert.deepEqual(await s.listAudit(), [{
          at: 1_000,
          event: "login_failure",
          username: "evil?[2Jname?",
          address: "127.0.0.1:5000",
          detail: `${"x".repeat(199)}…`,
        }]);
      },
    "pruneAudit() deletes entries older than the cut-off only and resolves how many":
      async (s) => {
        for (const at of [1_000, 2_000, 3_000]) {
          await s.appendAudit(audit("login", "alice", at));
        }
        assert.equal(await s.pruneAudit(2_000), 1);
        assert.deepEqual(
          (await s.listAudit()).map((entry) => entry.at),
          [3_000, 2_000],
        );
        assert.equal(await s.pruneAudit(2_000), 0);
      },
  },
};
