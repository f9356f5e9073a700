/**
 * Contract cases for the secrets of \`AccountStore\`: reset tokens, recovery
 * codes, resume tokens, and the bookkeeping of login and logout.
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
  redeem,
} from "./fixtures.ts";

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
      const result = await redeem(s, "reset-1", 2_000, "h2", "code-2");
      const changed = {
        ...alice,
        passwordHash: "h2",
        passwordChangedAt: 2_000,
      };
      assert.deepEqual(result, { account: changed, via: "reset_token" });
      assert.deepEqual(await mustGet(s, "alice"), changed);
      assert.equal(
        await redeem(s, "reset-1", 2_001, "h3", "c"),
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
        await redeem(s, "reset-1", 2_000, "h2", "c"),
        undefined,
      );
      assert.equal(
        (await redeem(s, "reset-2", 2_000, "h2", "c"))
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
          await redeem(s, "reset-1", 5_000, "h2", "c"),
          undefined,
        );
        // Gone now, even for an earlier clock.
        assert.equal(
          await redeem(s, "reset-1", 4_999, "h2", "c"),
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
          (await redeem(s, "reset-2", 4_999, "h2", "c"))
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
          await redeem(s, "reset-2", 2_000, "h2", "c"),
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
          (await redeem(s, "reset-3", 5_001, "h2", "c"))
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
        const result = await redeem(s, "code-1", 2_000, "h2", "code-2");
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
            await redeem(s, secret, 3_000, "h3", "c"),
            undefined,
            secret,
          );
        }
        assert.equal(
          (await redeem(s, "code-2", 3_000, "h3", "code-3"))
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
          await redeem(s, "nope", 2_000, "h2", "c"),
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
