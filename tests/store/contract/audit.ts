/**
 * Contract cases for the audit log of \`AccountStore\`: append, read with
 * filters, bounded fields, retention.
 *
 * @module
 */

import assert from "node:assert/strict";
import { audit, type ContractArea } from "./fixtures.ts";

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
