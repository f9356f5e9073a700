/**
 * Contract cases for failures: how a store reports a held lock and damaged
 * data. Every interface method is called, through a table the compiler
 * checks is complete.
 *
 * @module
 */

import assert from "node:assert/strict";
import { isStoreBusy, StoreError } from "../../../lib/store/store.ts";
import {
  audit,
  type ContractArea,
  type ContractMethod,
  type ContractStore,
  mustCreate,
  mustCreateFile,
  newAccount,
  privateMessage,
  roomFile,
  roomMessage,
  ROOMY,
} from "./fixtures.ts";

/** One call of a method against the fixture of {@linkcode setUp}. */
interface Call {
  /** Whether the call writes (and so needs the write lock). */
  writes: boolean;
  run(store: ContractStore, accountId: number): Promise<unknown>;
}

const redeemAudit = {
  at: 2_000,
  event: "reset_confirmed",
  address: "operator",
  detail: null,
} as const;

/** A call of every interface method; a new method fails to compile here. */
const CALLS: { readonly [M in ContractMethod]: Call } = {
  getAccount: { writes: false, run: (s) => s.getAccount("alice") },
  listAccounts: { writes: false, run: (s) => s.listAccounts() },
  findLookAlikeAccount: {
    writes: false,
    run: (s) => s.findLookAlikeAccount("a1ice"),
  },
  createAccount: {
    writes: true,
    run: (s) => s.createAccount(newAccount("bob"), audit("register", "bob")),
  },
  replacePasswordHash: {
    writes: true,
    run: (s, id) => s.replacePasswordHash(id, "hash-1", "h2"),
  },
  changePassword: {
    writes: true,
    run: (s, id) => s.changePassword(id, "h2", audit("password_changed")),
  },
  issueResetToken: {
    writes: true,
    run: (s, id) =>
      s.issueResetToken(id, "reset-2", 9_000, audit("reset_requested")),
  },
  redeemSecret: {
    writes: true,
    run: (s) =>
      s.redeemSecret("reset-1", {
        now: 2_000,
        newHash: "h2",
        nextRecoveryCodeHash: "c",
      }, redeemAudit),
  },
  deleteAccount: {
    writes: true,
    run: (s, id) => s.deleteAccount(id, audit("account_deleted")),
  },
  issueResumeToken: {
    writes: true,
    run: (s, id) => s.issueResumeToken(id, "resume-2", 9_000),
  },
  redeemResumeToken: {
    writes: true,
    run: (s) => s.redeemResumeToken("resume-1", 2_000),
  },
  recordLogin: {
    writes: true,
    run: (s, id) => s.recordLogin(id, audit("login", "alice", 2_000)),
  },
  recordLogout: {
    writes: true,
    run: (s, id) => s.recordLogout(id, audit("logout", "alice", 2_000)),
  },
  revokeResumeTokens: {
    writes: true,
    run: (s, id) => s.revokeResumeTokens(id),
  },
  touchLastSeen: { writes: true, run: (s, id) => s.touchLastSeen(id, 2_000) },
  setAdmin: {
    writes: true,
    run: (s) => s.setAdmin("alice", true, audit("admin_granted")),
  },
  appendAudit: { writes: true, run: (s) => s.appendAudit(audit("kick")) },
  pruneAudit: { writes: true, run: (s) => s.pruneAudit(5_000) },
  listAudit: { writes: false, run: (s) => s.listAudit() },
  maxMessageId: { writes: false, run: (s) => s.maxMessageId() },
  insertMessages: {
    writes: true,
    run: (s) => s.insertMessages([roomMessage(10)]),
  },
  getMessage: { writes: false, run: (s) => s.getMessage(1) },
  roomHistory: {
    writes: false,
    run: (s) => s.roomHistory("lobby", { count: 5 }),
  },
  deleteMessage: { writes: true, run: (s) => s.deleteMessage(1, 2_000) },
  pruneMessages: { writes: true, run: (s) => s.pruneMessages(5_000) },
  queueOffline: {
    writes: true,
    run: (s, id) => s.queueOffline(privateMessage(11, "alice"), id, 10),
  },
  takeOffline: { writes: true, run: (s, id) => s.takeOffline(id) },
  peekOffline: { writes: false, run: (s, id) => s.peekOffline(id, 10) },
  countOffline: { writes: false, run: (s, id) => s.countOffline(id) },
  ackOffline: { writes: true, run: (s, id) => s.ackOffline(id, [2]) },
  setMute: {
    writes: true,
    run: (s, id) =>
      s.setMute(id, { until: 9_000, reason: null, by: null }, audit("mute")),
  },
  clearMute: { writes: true, run: (s, id) => s.clearMute(id, audit("unmute")) },
  getMute: { writes: false, run: (s, id) => s.getMute(id, 2_000) },
  setStatus: { writes: true, run: (s, id) => s.setStatus(id, "away") },
  createFile: {
    writes: true,
    run: (s, id) => s.createFile(roomFile(id), ROOMY),
  },
  getFile: { writes: false, run: (s) => s.getFile(1) },
  findUnfinishedFile: {
    writes: false,
    run: (s, id) =>
      s.findUnfinishedFile(id, {
        room: "lobby",
        recipientAccountId: null,
        size: 100,
        sha256: "a".repeat(64),
      }),
  },
  completeFile: {
    writes: true,
    run: (s) =>
      s.completeFile(1, {
        ...roomMessage(12),
        text: "notes.txt",
        file: { id: 1, name: "notes.txt", size: 100 },
      }),
  },
  listFiles: {
    writes: false,
    run: (s, id) => s.listFiles({ accountId: id, room: "lobby", limit: 10 }),
  },
  deleteFile: { writes: true, run: (s) => s.deleteFile(1, 2_000) },
  pruneFiles: { writes: true, run: (s) => s.pruneFiles(5_000, 5_000) },
  fileIds: { writes: false, run: (s) => s.fileIds() },
  setRoomRead: {
    writes: true,
    run: (s, id) =>
      s.setRoomRead(id, {
        room: "lobby",
        roomName: "Lobby",
        messageId: 1,
        at: 1,
      }),
  },
  roomReads: {
    writes: false,
    run: (s, id) => s.roomReads(id, "alice", { limit: 50, cap: 999 }),
  },
  setPmRead: {
    writes: true,
    run: (s, id) => s.setPmRead(id, id, { messageId: 1, at: 1, pending: true }),
  },
  takePendingPmReads: {
    writes: true,
    run: (s, id) => s.takePendingPmReads(id, 50),
  },
  setReceipts: { writes: true, run: (s, id) => s.setReceipts(id, false) },
  setAvatar: { writes: true, run: (s, id) => s.setAvatar(id, "🐱") },
  setAvatarImage: {
    writes: true,
    run: (s, id) =>
      s.setAvatarImage(id, { type: "image/png", bytes: new Uint8Array([1]) }),
  },
  getAvatarImage: { writes: false, run: (s, id) => s.getAvatarImage(id) },
  avatarsOf: { writes: false, run: (s) => s.avatarsOf(["alice"]) },
};

/**
 * An account with tokens, a room message, a queued one and an unfinished
 * upload (file 1 where ids start at 1); its id.
 */
async function setUp(s: ContractStore): Promise<number> {
  const alice = await mustCreate(s, "alice");
  await s.issueResetToken(alice.id, "reset-1", 9_000, audit("reset_requested"));
  await s.issueResumeToken(alice.id, "resume-1", 9_000);
  await s.insertMessages([roomMessage(1)]);
  await s.queueOffline(privateMessage(2, "alice"), alice.id, 10);
  await mustCreateFile(s, roomFile(alice.id));
  return alice.id;
}

/**
 * How `call` ended: resolved, rejected, or threw instead of returning a
 * promise (never right: callers only `await` or `.catch()` a store call).
 */
type Outcome =
  | { how: "resolved" }
  | { how: "rejected"; error: unknown }
  | { how: "threw"; error: unknown };

async function outcome(call: () => Promise<unknown>): Promise<Outcome> {
  let promise: Promise<unknown>;
  try {
    promise = call();
  } catch (error) {
    return { how: "threw", error };
  }
  try {
    await promise;
    return { how: "resolved" };
  } catch (error) {
    return { how: "rejected", error };
  }
}

/** `method: how (error)`, for a list of calls that went wrong. */
function describe(method: string, result: Outcome): string {
  return result.how === "resolved"
    ? `${method}: resolved`
    : `${method}: ${result.how} ${result.error}`;
}

/** Failures: busy and corrupt stores, as callers detect them. */
export const FAULTS: ContractArea = {
  name: "error mapping",
  covers: [],
  needs: {
    "a held write lock fails every write with an error isStoreBusy() recognises; reads go on":
      "holdWriteLock",
    "damaged data makes every method reject with a corrupt StoreError":
      "damage",
  },
  cases: {
    "a held write lock fails every write with an error isStoreBusy() recognises; reads go on":
      async (s, faults) => {
        const id = await setUp(s);
        const before = await s.listAccounts();
        const lock = await faults.holdWriteLock!();
        const wrong: string[] = [];
        try {
          for (const [method, call] of Object.entries(CALLS)) {
            const result = await outcome(() => call.run(s, id));
            const expected = call.writes
              ? result.how === "rejected" && isStoreBusy(result.error)
              : result.how === "resolved";
            if (!expected) wrong.push(describe(method, result));
          }
        } finally {
          await lock.release();
        }
        assert.deepEqual(wrong, []);
        // Nothing was half written, and the store works again.
        assert.deepEqual(await s.listAccounts(), before);
        await s.appendAudit(audit("kick", "alice", 3_000));
        assert.deepEqual((await s.listAudit({ limit: 1 }))[0], {
          ...audit("kick", "alice", 3_000),
        });
      },
    "damaged data makes every method reject with a corrupt StoreError": async (
      s,
      faults,
    ) => {
      const id = await setUp(s);
      await faults.damage!();
      const wrong: string[] = [];
      for (const [method, call] of Object.entries(CALLS)) {
        const result = await outcome(() => call.run(s, id));
        const corrupt = result.how === "rejected" &&
          result.error instanceof StoreError && result.error.code === "corrupt";
        if (!corrupt) wrong.push(describe(method, result));
      }
      assert.deepEqual(wrong, []);
    },
  },
};
