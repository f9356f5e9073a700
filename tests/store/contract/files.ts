/**
 * Contract cases for `FileStore`: the records of shared files, the messages
 * that share them, and what removing a record (or its account) hides.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  audit,
  type ContractArea,
  fileIdsOf,
  fileMessage,
  ids,
  mustCreate,
  mustCreateFile,
  mustShare,
  privateFile,
  privateMessage,
  roomFile,
  roomMessage,
  ROOMY,
} from "./fixtures.ts";

/** Shared files: quotas, resuming, completing, listing and removing. */
export const FILES: ContractArea = {
  name: "shared files",
  covers: [
    "createFile",
    "getFile",
    "findUnfinishedFile",
    "completeFile",
    "listFiles",
    "deleteFile",
    "pruneFiles",
    "fileIds",
  ],
  cases: {
    "createFile() records an unfinished upload with every field, ids increasing":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        const first = await s.createFile(
          roomFile(alice.id, { name: "café ☕.txt", createdAt: 5_000 }),
          ROOMY,
        );
        assert.ok(first.ok);
        assert.ok(Number.isSafeInteger(first.file.id), `id ${first.file.id}`);
        assert.deepEqual(first, {
          ok: true,
          file: {
            id: first.file.id,
            ownerAccountId: alice.id,
            sender: "alice",
            room: "lobby",
            roomName: "Lobby",
            recipientAccountId: null,
            recipient: null,
            name: "café ☕.txt",
            size: 100,
            sha256: "a".repeat(64),
            createdAt: 5_000,
            completedAt: null,
            messageId: null,
          },
        });
        const second = await mustCreateFile(
          s,
          privateFile(alice.id, bob.id, { size: 0, sha256: "b".repeat(64) }),
        );
        assert.ok(second.id > first.file.id, `${second.id} > ${first.file.id}`);
        assert.deepEqual(second, {
          id: second.id,
          ownerAccountId: alice.id,
          sender: "alice",
          room: null,
          roomName: null,
          recipientAccountId: bob.id,
          recipient: "bob",
          name: "notes.txt",
          size: 0,
          sha256: "b".repeat(64),
          createdAt: 1_000,
          completedAt: null,
          messageId: null,
        });
      },
    "createFile() counts the owner's complete and unfinished bytes against the quota; exactly at it is allowed":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        const limits = { maxOwnerBytes: 1_000, maxUnfinished: 10 };
        const complete = await mustShare(
          s,
          roomFile(alice.id, { size: 400 }),
          1,
        );
        const unfinished = await mustCreateFile(
          s,
          roomFile(alice.id, { size: 300 }),
          limits,
        );
        // Another owner's bytes are not alice's.
        const bobs = await mustCreateFile(
          s,
          roomFile(bob.id, { sender: "bob", size: 900 }),
          limits,
        );
        assert.deepEqual(
          await s.createFile(roomFile(alice.id, { size: 301 }), limits),
          { ok: false, reason: "quota" },
        );
        assert.deepEqual(
          await s.fileIds(),
          new Set([complete.file.id, unfinished.id, bobs.id]),
        );
        const exact = await mustCreateFile(
          s,
          roomFile(alice.id, { size: 300 }),
          limits,
        );
        assert.deepEqual(
          await s.createFile(roomFile(alice.id, { size: 1 }), limits),
          { ok: false, reason: "quota" },
        );
        // A removed file's bytes no longer count.
        assert.ok(await s.deleteFile(complete.file.id, 3_000));
        const after = await mustCreateFile(
          s,
          roomFile(alice.id, { size: 400 }),
          limits,
        );
        assert.deepEqual(
          await s.fileIds(),
          new Set([unfinished.id, bobs.id, exact.id, after.id]),
        );
      },
    "createFile() refuses a new upload while the owner has maxUnfinished, writing nothing; complete ones and other owners' do not count":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        const limits = { maxOwnerBytes: 1_000_000, maxUnfinished: 2 };
        const a = await mustCreateFile(s, roomFile(alice.id), limits);
        await mustShare(s, roomFile(alice.id), 1);
        const c = await mustCreateFile(s, roomFile(alice.id), limits);
        await mustCreateFile(s, roomFile(bob.id, { sender: "bob" }), limits);
        const before = await s.fileIds();
        assert.equal(before.size, 4);
        assert.deepEqual(
          await s.createFile(roomFile(alice.id, { size: 1 }), limits),
          { ok: false, reason: "unfinished" },
        );
        assert.deepEqual(await s.fileIds(), before);
        assert.equal(
          await s.completeFile(c.id, fileMessage(2, c)),
          "stored",
        );
        const e = await mustCreateFile(s, roomFile(alice.id), limits);
        assert.ok(e.id > c.id);
        assert.deepEqual(
          await s.createFile(roomFile(alice.id), limits),
          { ok: false, reason: "unfinished" },
        );
        assert.deepEqual(await s.getFile(a.id), a);
      },
    "getFile() reads a record, complete or not; an unknown id resolves undefined":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const unfinished = await mustCreateFile(s, roomFile(alice.id));
        const shared = await mustShare(s, roomFile(alice.id), 7, 2_500);
        assert.deepEqual(await s.getFile(unfinished.id), unfinished);
        assert.deepEqual(await s.getFile(shared.file.id), {
          ...shared.file,
          completedAt: 2_500,
          messageId: 7,
        });
        assert.equal(await s.getFile(shared.file.id + 99), undefined);
      },
    "findUnfinishedFile() finds the owner's unfinished upload of the same size and SHA-256 to the same room or recipient":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        const carol = await mustCreate(s, "carol");
        const inLobby = await mustCreateFile(s, roomFile(alice.id));
        const toBob = await mustCreateFile(s, privateFile(alice.id, bob.id));
        const lobby = {
          room: "lobby",
          recipientAccountId: null,
          size: 100,
          sha256: "a".repeat(64),
        };
        assert.deepEqual(await s.findUnfinishedFile(alice.id, lobby), inLobby);
        assert.deepEqual(
          await s.findUnfinishedFile(alice.id, {
            ...lobby,
            room: null,
            recipientAccountId: bob.id,
          }),
          toBob,
        );
        const misses = {
          "another room": { ...lobby, room: "other" },
          "another size": { ...lobby, size: 101 },
          "another sha256": { ...lobby, sha256: "b".repeat(64) },
          "another recipient": {
            ...lobby,
            room: null,
            recipientAccountId: carol.id,
          },
          "a recipient, not the room": {
            ...lobby,
            room: null,
            recipientAccountId: null,
          },
        };
        for (const [what, match] of Object.entries(misses)) {
          assert.equal(
            await s.findUnfinishedFile(alice.id, match),
            undefined,
            what,
          );
        }
        // Another owner's upload is not alice's to resume.
        assert.equal(await s.findUnfinishedFile(bob.id, lobby), undefined);
        // Once complete, it is no longer resumed.
        assert.equal(
          await s.completeFile(inLobby.id, fileMessage(1, inLobby)),
          "stored",
        );
        assert.equal(await s.findUnfinishedFile(alice.id, lobby), undefined);
      },
    "completeFile() sets completedAt and messageId and stores the message, read back with its file":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        await s.insertMessages([roomMessage(1)]);
        const file = await mustCreateFile(
          s,
          roomFile(alice.id, { name: "plan.pdf", size: 2_048 }),
        );
        const message = fileMessage(2, file, 3_000);
        assert.equal(await s.completeFile(file.id, message), "stored");
        assert.deepEqual(await s.getFile(file.id), {
          ...file,
          completedAt: 3_000,
          messageId: 2,
        });
        assert.deepEqual(await s.getMessage(2), {
          id: 2,
          room: "lobby",
          sender: "alice",
          recipient: null,
          text: "plan.pdf",
          createdAt: 3_000,
          file: { id: file.id, name: "plan.pdf", size: 2_048 },
        });
        assert.deepEqual(await s.roomHistory("lobby", { count: 10 }), {
          messages: [roomMessage(1), message],
          more: false,
        });
        assert.equal(await s.maxMessageId(), 2);
      },
    "completeFile() of a complete or unknown file resolves undefined and writes nothing":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        const shared = await mustShare(s, roomFile(alice.id), 1, 2_000);
        assert.equal(
          await s.completeFile(
            shared.file.id,
            fileMessage(2, shared.file, 5_000),
          ),
          undefined,
        );
        assert.deepEqual(await s.getFile(shared.file.id), shared.file);
        assert.equal(await s.getMessage(2), undefined);
        const gone = await mustCreateFile(s, privateFile(alice.id, bob.id));
        assert.ok(await s.deleteFile(gone.id, 3_000));
        assert.equal(
          await s.completeFile(gone.id, fileMessage(3, gone), {
            recipientAccountId: bob.id,
            maxQueued: 10,
            maxQueuedBytes: 1_000,
          }),
          undefined,
        );
        assert.equal(
          await s.completeFile(gone.id + 99, fileMessage(4, gone)),
          undefined,
        );
        for (const id of [3, 4]) {
          assert.equal(await s.getMessage(id), undefined);
        }
        assert.equal(await s.countOffline(bob.id), 0);
        assert.equal(await s.maxMessageId(), 1);
      },
    "completeFile() with offline queues the message for the recipient, read back with its file":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        const file = await mustCreateFile(s, privateFile(alice.id, bob.id));
        const message = fileMessage(1, file, 2_000);
        assert.equal(
          await s.completeFile(file.id, message, {
            recipientAccountId: bob.id,
            maxQueued: 10,
            maxQueuedBytes: 1_000,
          }),
          "queued",
        );
        assert.deepEqual(await s.getFile(file.id), {
          ...file,
          completedAt: 2_000,
          messageId: 1,
        });
        assert.equal(await s.countOffline(bob.id), 1);
        assert.deepEqual(await s.peekOffline(bob.id, 10), [{
          id: 1,
          room: null,
          sender: "alice",
          recipient: "bob",
          text: "notes.txt",
          createdAt: 2_000,
          file: { id: file.id, name: "notes.txt", size: 100 },
        }]);
        assert.deepEqual(await s.takeOffline(bob.id), [message]);
        assert.deepEqual(await s.getMessage(1), message);
      },
    "completeFile() with a full queue answers as queueOffline() would, yet completes the file and stores the message unqueued":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        assert.equal(
          await s.queueOffline(privateMessage(1, "bob", 1, "hi"), bob.id, 10),
          "queued",
        );
        const byCount = await mustCreateFile(s, privateFile(alice.id, bob.id));
        assert.equal(
          await s.completeFile(byCount.id, fileMessage(2, byCount, 2_000), {
            recipientAccountId: bob.id,
            maxQueued: 1,
            maxQueuedBytes: 1_000,
          }),
          "full",
        );
        // "hi" (2 bytes) queued plus "notes.txt" (9) would pass 10.
        const byBytes = await mustCreateFile(s, privateFile(alice.id, bob.id));
        assert.equal(
          await s.completeFile(byBytes.id, fileMessage(3, byBytes, 3_000), {
            recipientAccountId: bob.id,
            maxQueued: 10,
            maxQueuedBytes: 10,
          }),
          "full_bytes",
        );
        assert.deepEqual(await s.getFile(byCount.id), {
          ...byCount,
          completedAt: 2_000,
          messageId: 2,
        });
        assert.deepEqual(await s.getFile(byBytes.id), {
          ...byBytes,
          completedAt: 3_000,
          messageId: 3,
        });
        assert.deepEqual(
          await s.getMessage(2),
          fileMessage(2, byCount, 2_000),
        );
        assert.deepEqual(
          await s.getMessage(3),
          fileMessage(3, byBytes, 3_000),
        );
        assert.deepEqual(ids(await s.peekOffline(bob.id, 10)), [1]);
        assert.deepEqual(
          fileIdsOf(
            await s.listFiles({ accountId: bob.id, room: null, limit: 10 }),
          ),
          [byCount.id, byBytes.id],
        );
      },
    "deleteMessage() resolves a file's message with its file; once the file is gone, the message is no longer there":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const first = await mustShare(s, roomFile(alice.id), 1);
        const second = await mustShare(s, roomFile(alice.id), 2);
        assert.deepEqual(await s.deleteMessage(1, 3_000), first.message);
        assert.equal(await s.getMessage(1), undefined);
        assert.ok(await s.deleteFile(second.file.id, 3_000));
        assert.equal(await s.deleteMessage(2, 4_000), undefined);
      },
    "listFiles() reads the complete files shared with or privately by the account and, with a room, that room's":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        const carol = await mustCreate(s, "carol");
        const fromBob = { sender: "bob" };
        const inLobby = await mustShare(s, roomFile(bob.id, fromBob), 1);
        const inOther = await mustShare(
          s,
          roomFile(bob.id, { ...fromBob, room: "other", roomName: "Other" }),
          2,
        );
        const toAlice = await mustShare(
          s,
          privateFile(bob.id, alice.id, { ...fromBob, recipient: "alice" }),
          3,
        );
        const toCarol = await mustShare(
          s,
          privateFile(alice.id, carol.id, { recipient: "carol" }),
          4,
        );
        const bobToCarol = await mustShare(
          s,
          privateFile(bob.id, carol.id, { ...fromBob, recipient: "carol" }),
          5,
        );
        // Unfinished: never listed.
        await mustCreateFile(s, roomFile(alice.id));
        await mustCreateFile(
          s,
          privateFile(bob.id, alice.id, { ...fromBob, recipient: "alice" }),
        );
        const carolInLobby = await mustShare(
          s,
          roomFile(carol.id, { sender: "carol" }),
          6,
        );
        const aliceInOther = await mustShare(
          s,
          roomFile(alice.id, { room: "other", roomName: "Other" }),
          7,
        );
        const list = async (accountId: number, room: string | null) =>
          fileIdsOf(await s.listFiles({ accountId, room, limit: 10 }));
        assert.deepEqual(await list(alice.id, "lobby"), [
          inLobby.file.id,
          toAlice.file.id,
          toCarol.file.id,
          carolInLobby.file.id,
        ]);
        // Without a room, not even the account's own room files.
        assert.deepEqual(await list(alice.id, null), [
          toAlice.file.id,
          toCarol.file.id,
        ]);
        assert.deepEqual(await list(alice.id, "other"), [
          inOther.file.id,
          toAlice.file.id,
          toCarol.file.id,
          aliceInOther.file.id,
        ]);
        assert.deepEqual(await list(carol.id, null), [
          toCarol.file.id,
          bobToCarol.file.id,
        ]);
        assert.deepEqual(await list(carol.id, "nowhere"), [
          toCarol.file.id,
          bobToCarol.file.id,
        ]);
        assert.deepEqual(
          await s.listFiles({ accountId: alice.id, room: null, limit: 10 }),
          [toAlice.file, toCarol.file],
        );
      },
    "listFiles() reads the newest limit, oldest first": async (s) => {
      const alice = await mustCreate(s, "alice");
      const shared = [];
      for (const id of [1, 2, 3, 4, 5]) {
        shared.push((await mustShare(s, roomFile(alice.id), id)).file);
      }
      const query = { accountId: alice.id, room: "lobby" };
      assert.deepEqual(
        await s.listFiles({ ...query, limit: 3 }),
        shared.slice(2),
      );
      assert.deepEqual(
        await s.listFiles({ ...query, limit: 5 }),
        shared,
      );
      assert.deepEqual(await s.listFiles({ ...query, limit: 0 }), []);
    },
    "deleteFile() removes the record once and hides its message; an unknown id resolves undefined":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        await s.insertMessages([roomMessage(1)]);
        const shared = await mustShare(s, roomFile(alice.id), 2);
        await s.insertMessages([roomMessage(3)]);
        assert.deepEqual(
          await s.deleteFile(shared.file.id, 5_000),
          shared.file,
        );
        assert.equal(await s.getFile(shared.file.id), undefined);
        assert.equal(await s.getMessage(2), undefined);
        assert.deepEqual(await s.roomHistory("lobby", { count: 10 }), {
          messages: [roomMessage(1), roomMessage(3)],
          more: false,
        });
        assert.deepEqual(
          await s.listFiles({ accountId: alice.id, room: "lobby", limit: 10 }),
          [],
        );
        assert.equal(await s.deleteFile(shared.file.id, 6_000), undefined);
        assert.equal(await s.deleteFile(shared.file.id + 99, 6_000), undefined);
        // A message naming the removed file that is written later (a batch
        // still in flight) is not read back either.
        await s.insertMessages([fileMessage(9, shared.file)]);
        assert.equal(await s.getMessage(9), undefined);
        assert.deepEqual(
          ids((await s.roomHistory("lobby", { count: 10 })).messages),
          [1, 3],
        );
        // An unfinished upload's record goes the same way.
        const unfinished = await mustCreateFile(s, roomFile(alice.id));
        assert.deepEqual(await s.deleteFile(unfinished.id, 6_000), unfinished);
        // A private file's message waiting offline is no longer handed out.
        const toBob = await mustCreateFile(s, privateFile(alice.id, bob.id));
        assert.equal(
          await s.completeFile(toBob.id, fileMessage(4, toBob), {
            recipientAccountId: bob.id,
            maxQueued: 10,
            maxQueuedBytes: 1_000,
          }),
          "queued",
        );
        assert.ok(await s.deleteFile(toBob.id, 7_000));
        assert.equal(await s.countOffline(bob.id), 0);
        assert.deepEqual(await s.peekOffline(bob.id, 10), []);
        assert.deepEqual(await s.takeOffline(bob.id), []);
        assert.equal(await s.getMessage(4), undefined);
        assert.deepEqual(await s.fileIds(), new Set());
      },
    "file ids are never reused, even after the newest is deleted": async (
      s,
    ) => {
      const alice = await mustCreate(s, "alice");
      const first = await mustCreateFile(s, roomFile(alice.id));
      const second = await mustCreateFile(s, roomFile(alice.id));
      assert.ok(await s.deleteFile(second.id, 2_000));
      const third = await mustCreateFile(s, roomFile(alice.id));
      assert.ok(third.id > second.id, `${third.id} > ${second.id}`);
      assert.ok(await s.deleteFile(first.id, 2_000));
      assert.ok(await s.deleteFile(third.id, 2_000));
      const fourth = await mustCreateFile(s, roomFile(alice.id));
      assert.ok(fourth.id > third.id, `${fourth.id} > ${third.id}`);
      assert.deepEqual(await s.fileIds(), new Set([fourth.id]));
    },
    "pruneFiles() removes files completed before one time and uploads offered before another and never completed, hiding their messages":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const old = await mustShare(
          s,
          roomFile(alice.id, { createdAt: 100 }),
          1,
          1_000,
        );
        // Judged by its completion, not its offer.
        const atCut = await mustShare(
          s,
          roomFile(alice.id, { createdAt: 100 }),
          2,
          2_000,
        );
        const stale = await mustCreateFile(
          s,
          roomFile(alice.id, { createdAt: 400 }),
        );
        const atUnfinishedCut = await mustCreateFile(
          s,
          roomFile(alice.id, { createdAt: 500 }),
        );
        // Unfinished: judged by the other time.
        const recent = await mustCreateFile(
          s,
          roomFile(alice.id, { createdAt: 1_500 }),
        );
        const fresh = await mustShare(s, roomFile(alice.id), 3, 3_000);
        const removed = await s.pruneFiles(2_000, 500);
        assert.deepEqual(
          removed.toSorted((a, b) => a.id - b.id),
          [old.file, stale],
        );
        assert.deepEqual(
          await s.fileIds(),
          new Set([
            atCut.file.id,
            atUnfinishedCut.id,
            recent.id,
            fresh.file.id,
          ]),
        );
        assert.equal(await s.getMessage(1), undefined);
        assert.deepEqual(await s.getMessage(2), atCut.message);
        assert.deepEqual(
          ids((await s.roomHistory("lobby", { count: 10 })).messages),
          [2, 3],
        );
        assert.deepEqual(await s.pruneFiles(2_000, 500), []);
        assert.deepEqual(
          fileIdsOf(await s.pruneFiles(3_001, 1_501)),
          [atCut.file.id, atUnfinishedCut.id, recent.id, fresh.file.id],
        );
        assert.deepEqual(await s.roomHistory("lobby", { count: 10 }), {
          messages: [],
          more: false,
        });
      },
    "fileIds() is every recorded id, complete or not": async (s) => {
      const alice = await mustCreate(s, "alice");
      const bob = await mustCreate(s, "bob");
      assert.deepEqual(await s.fileIds(), new Set());
      const unfinished = await mustCreateFile(s, roomFile(alice.id));
      const shared = await mustShare(s, privateFile(alice.id, bob.id), 1);
      assert.deepEqual(
        await s.fileIds(),
        new Set([unfinished.id, shared.file.id]),
      );
      assert.ok(await s.deleteFile(unfinished.id, 3_000));
      assert.deepEqual(await s.fileIds(), new Set([shared.file.id]));
    },
    "deleteAccount() removes the records of files the account shared or was sent and hides their messages; other users' files stay":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        const carol = await mustCreate(s, "carol");
        const fromBob = { sender: "bob" };
        const offline = (recipientAccountId: number) => ({
          recipientAccountId,
          maxQueued: 10,
          maxQueuedBytes: 1_000,
        });
        const inLobby = await mustShare(s, roomFile(alice.id), 1);
        const toBob = await mustCreateFile(s, privateFile(alice.id, bob.id));
        assert.equal(
          await s.completeFile(
            toBob.id,
            fileMessage(2, toBob),
            offline(bob.id),
          ),
          "queued",
        );
        const toAlice = await mustShare(
          s,
          privateFile(bob.id, alice.id, { ...fromBob, recipient: "alice" }),
          3,
        );
        const bobInLobby = await mustShare(s, roomFile(bob.id, fromBob), 4);
        const toCarol = await mustCreateFile(
          s,
          privateFile(bob.id, carol.id, { ...fromBob, recipient: "carol" }),
        );
        assert.equal(
          await s.completeFile(
            toCarol.id,
            fileMessage(5, toCarol),
            offline(carol.id),
          ),
          "queued",
        );
        const unfinished = await mustCreateFile(s, roomFile(alice.id));
        await s.insertMessages([roomMessage(6)]);
        assert.equal(
          await s.deleteAccount(
            alice.id,
            audit("account_deleted", "alice", 9_000),
          ),
          true,
        );
        for (const file of [inLobby.file, toBob, toAlice.file, unfinished]) {
          assert.equal(await s.getFile(file.id), undefined, `file ${file.id}`);
        }
        assert.deepEqual(
          await s.fileIds(),
          new Set([bobInLobby.file.id, toCarol.id]),
        );
        for (const id of [1, 2, 3]) {
          assert.equal(await s.getMessage(id), undefined, `message ${id}`);
        }
        assert.deepEqual(await s.getMessage(4), bobInLobby.message);
        assert.deepEqual(await s.getMessage(5), fileMessage(5, toCarol));
        assert.deepEqual(await s.roomHistory("lobby", { count: 10 }), {
          messages: [bobInLobby.message, roomMessage(6)],
          more: false,
        });
        assert.equal(await s.countOffline(bob.id), 0);
        assert.deepEqual(await s.peekOffline(bob.id, 10), []);
        assert.deepEqual(await s.takeOffline(carol.id), [
          fileMessage(5, toCarol),
        ]);
        assert.deepEqual(
          fileIdsOf(
            await s.listFiles({ accountId: bob.id, room: "lobby", limit: 10 }),
          ),
          [bobInLobby.file.id, toCarol.id],
        );
        // The ids of the removed records are not handed out again.
        const next = await mustCreateFile(s, roomFile(bob.id, fromBob));
        assert.ok(next.id > unfinished.id, `${next.id} > ${unfinished.id}`);
      },
  },
};
