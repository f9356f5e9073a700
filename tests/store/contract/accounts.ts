/**
 * Contract cases for `AccountStore`: accounts (creation, uniqueness,
 * look-alikes, passwords, roles, deletion).
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
  redeem,
} from "./fixtures.ts";

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
        receipts: true,
        avatar: "",
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
          await redeem(s, "reset-1", 3_000, "h3", "c"),
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
        await s.setMute(
          alice.id,
          { until: 10_000, reason: null, by: null },
          audit("mute", "alice"),
        );
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
            await redeem(s, secret, 3_000, "h", "c"),
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
