/**
 * Contract cases for `ReadStore` (room read positions with their unread
 * counts, private-message reads and the receipts owed to their senders)
 * and `AvatarStore` (the avatar mark and the stored picture).
 *
 * Several cases delete the newest account and create another: a store that
 * hands the freed id out again (SQLite does, for `INTEGER PRIMARY KEY`)
 * then shows whether the deleted account's rows really went, which the
 * interfaces could not show otherwise.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { RoomRead, StoredMessage } from "../../../lib/store/store.ts";
import {
  audit,
  type ContractArea,
  type ContractStore,
  fileMessage,
  insertRange,
  mustCreate,
  mustCreateFile,
  mustGet,
  mustShare,
  privateMessage,
  roomFile,
  roomMessage,
} from "./fixtures.ts";

/** Enough for every count of these cases: no cap is reached by accident. */
const NO_CAP = 999;

/** A read position of `room` (shown as `roomName`) at `messageId`. */
function position(
  room: string,
  messageId: number,
  at: number,
  roomName = room,
): { room: string; roomName: string; messageId: number; at: number } {
  return { room, roomName, messageId, at };
}

/** Room message `id` in `room`, sent by `sender` instead of alice. */
function sentBy(sender: string, id: number, room = "lobby"): StoredMessage {
  return { ...roomMessage(id, room), sender };
}

/** Every read position of the account, as `username` counts them. */
function allReads(
  s: ContractStore,
  accountId: number,
  username: string,
  cap = NO_CAP,
): Promise<RoomRead[]> {
  return s.roomReads(accountId, username, { limit: 100, cap });
}

/** The unread count of the account's position in `room`, which must exist. */
async function unreadIn(
  s: ContractStore,
  accountId: number,
  username: string,
  room: string,
  cap = NO_CAP,
): Promise<number> {
  const [read, ...more] = await s.roomReads(accountId, username, {
    limit: 100,
    cap,
    room,
  });
  assert.ok(read, `a position in ${room}`);
  assert.deepEqual(more, []);
  return read.unread;
}

/** A pending (not yet told) private-message read at `at`. */
function pending(messageId: number, at: number) {
  return { messageId, at, pending: true };
}

/** `length` bytes of a pattern that repeats only every 65,536 bytes or so. */
function patternBytes(length: number): Uint8Array {
  return Uint8Array.from(
    { length },
    (_, i) => (i * 31 + (i >> 8) + (i >> 16)) & 0xff,
  );
}

/** Room read positions and unread counts; private-message read receipts. */
export const READS: ContractArea = {
  name: "read state",
  covers: [
    "setRoomRead",
    "roomReads",
    "setPmRead",
    "takePendingPmReads",
    "setReceipts",
  ],
  cases: {
    "setRoomRead() creates a position and moves it only forward, resolving whether it moved":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        assert.deepEqual(await allReads(s, alice.id, "alice"), []);
        assert.equal(
          await s.setRoomRead(alice.id, position("lobby", 5, 100, "Lobby")),
          true,
        );
        const at5: RoomRead = {
          room: "lobby",
          roomName: "Lobby",
          messageId: 5,
          unread: 0,
        };
        assert.deepEqual(await allReads(s, alice.id, "alice"), [at5]);
        // Back, or staying put, changes nothing: not even the shown name.
        for (const messageId of [4, 5, 0]) {
          assert.equal(
            await s.setRoomRead(
              alice.id,
              position("lobby", messageId, 200, "LOBBY"),
            ),
            false,
            `to ${messageId}`,
          );
        }
        assert.deepEqual(await allReads(s, alice.id, "alice"), [at5]);
        // Forward, it takes the newest spelling of the room's name.
        assert.equal(
          await s.setRoomRead(alice.id, position("lobby", 9, 300, "LoBBy")),
          true,
        );
        assert.deepEqual(await allReads(s, alice.id, "alice"), [
          { room: "lobby", roomName: "LoBBy", messageId: 9, unread: 0 },
        ]);
      },
    "setRoomRead() with onlyIfNew creates a missing position and never moves one":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const onlyIfNew = true;
        assert.equal(
          await s.setRoomRead(
            alice.id,
            position("lobby", 5, 100, "Lobby"),
            onlyIfNew,
          ),
          true,
        );
        assert.equal(
          await s.setRoomRead(
            alice.id,
            position("lobby", 9, 200, "LOBBY"),
            onlyIfNew,
          ),
          false,
        );
        assert.deepEqual(await allReads(s, alice.id, "alice"), [
          { room: "lobby", roomName: "Lobby", messageId: 5, unread: 0 },
        ]);
        // Without it, the same position moves.
        assert.equal(
          await s.setRoomRead(
            alice.id,
            position("lobby", 9, 200, "LOBBY"),
            false,
          ),
          true,
        );
        assert.deepEqual(await allReads(s, alice.id, "alice"), [
          { room: "lobby", roomName: "LOBBY", messageId: 9, unread: 0 },
        ]);
      },
    "setRoomRead() of an unknown account rejects and stores nothing": async (
      s,
    ) => {
      const alice = await mustCreate(s, "alice");
      // The only account is alice, so this id is nobody's (yet).
      const ghost = alice.id + 1;
      await assert.rejects(s.setRoomRead(ghost, position("lobby", 5, 100)));
      await assert.rejects(
        s.setRoomRead(ghost, position("lobby", 5, 100), true),
      );
      assert.deepEqual(await allReads(s, ghost, "ghost"), []);
      const bob = await mustCreate(s, "bob");
      assert.deepEqual(await allReads(s, bob.id, "bob"), []);
      assert.deepEqual(await allReads(s, alice.id, "alice"), []);
    },
    "roomReads() counts the room's messages after the position, shared files included, deleted ones and the account's own left out":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        await insertRange(s, 1, 10);
        await s.insertMessages([
          roomMessage(11, "other"),
          privateMessage(12, "bob"),
          sentBy("bob", 13),
          sentBy("bob", 14),
          // Another room whose key differs only in case is another room.
          roomMessage(15, "Lobby"),
        ]);
        assert.ok(await s.deleteMessage(6, 5_000));
        await mustShare(s, roomFile(alice.id), 16);
        await mustShare(s, roomFile(bob.id, { sender: "bob" }), 17);
        // The key counts, not the shown name.
        assert.ok(
          await s.setRoomRead(bob.id, position("lobby", 4, 100, "大厅 ☕")),
        );
        assert.ok(await s.setRoomRead(alice.id, position("lobby", 0, 100)));
        // bob: 5, 7, 8, 9, 10 and alice's file 16.
        assert.deepEqual(await allReads(s, bob.id, "bob"), [
          { room: "lobby", roomName: "大厅 ☕", messageId: 4, unread: 6 },
        ]);
        // alice: bob's 13, 14 and his file 17.
        assert.equal(await unreadIn(s, alice.id, "alice", "lobby"), 3);
        // The name given is whose messages are left out.
        assert.equal(await unreadIn(s, alice.id, "bob", "lobby"), 10);
        assert.ok(await s.setRoomRead(bob.id, position("lobby", 16, 200)));
        assert.equal(await unreadIn(s, bob.id, "bob", "lobby"), 0);
        // Deleting one of them takes it off the count.
        assert.ok(await s.deleteMessage(13, 5_000));
        assert.equal(await unreadIn(s, alice.id, "alice", "lobby"), 2);
      },
    "roomReads() leaves out the message of a shared file that was removed, even one written after its removal":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        assert.ok(await s.setRoomRead(bob.id, position("lobby", 0, 100)));
        const removed = await mustShare(s, roomFile(alice.id), 1);
        const kept = await mustShare(s, roomFile(alice.id), 2);
        assert.equal(await unreadIn(s, bob.id, "bob", "lobby"), 2);
        assert.ok(await s.deleteFile(removed.file.id, 3_000));
        assert.equal(await unreadIn(s, bob.id, "bob", "lobby"), 1);
        // A batch still in flight when the file went: never read back (see
        // the shared files area), so never unread either.
        await s.insertMessages([fileMessage(3, removed.file)]);
        assert.equal(await s.getMessage(3), undefined);
        assert.equal(await unreadIn(s, bob.id, "bob", "lobby"), 1);
        // An unfinished upload has no message yet.
        await mustCreateFile(s, roomFile(alice.id));
        assert.equal(await unreadIn(s, bob.id, "bob", "lobby"), 1);
        assert.ok(await s.deleteFile(kept.file.id, 3_000));
        assert.equal(await unreadIn(s, bob.id, "bob", "lobby"), 0);
      },
    "roomReads() counts up to the cap": async (s) => {
      const bob = await mustCreate(s, "bob");
      await insertRange(s, 1, 20);
      assert.ok(await s.setRoomRead(bob.id, position("lobby", 5, 100)));
      const counts: Array<[cap: number, unread: number]> = [
        [999, 15],
        [16, 15],
        [15, 15],
        [10, 10],
        [1, 1],
        [0, 0],
      ];
      for (const [cap, unread] of counts) {
        assert.equal(
          await unreadIn(s, bob.id, "bob", "lobby", cap),
          unread,
          `cap ${cap}`,
        );
        assert.deepEqual(
          (await allReads(s, bob.id, "bob", cap)).map((read) => read.unread),
          [unread],
          `cap ${cap}, every room`,
        );
      }
    },
    "roomReads() reads the most recently read first, at most limit, each with its own room's count; with room, only that room's":
      async (s) => {
        const bob = await mustCreate(s, "bob");
        await insertRange(s, 1, 3, "a");
        await insertRange(s, 4, 5, "b");
        for (
          const [room, at] of [["a", 100], ["b", 300], ["c", 200]] as const
        ) {
          assert.ok(await s.setRoomRead(bob.id, position(room, 0, at)));
        }
        assert.ok(await s.setRoomRead(bob.id, position("d", 5, 400)));
        const read = (room: string, unread: number, messageId = 0) => ({
          room,
          roomName: room,
          messageId,
          unread,
        });
        const list = async (limit: number) =>
          await s.roomReads(bob.id, "bob", { limit, cap: NO_CAP });
        assert.deepEqual(await list(10), [
          read("d", 0, 5),
          read("b", 2),
          read("c", 0),
          read("a", 3),
        ]);
        assert.deepEqual(await list(2), [read("d", 0, 5), read("b", 2)]);
        assert.deepEqual(await list(0), []);
        // Moving a position makes it the most recent; a refused move does not.
        assert.ok(await s.setRoomRead(bob.id, position("a", 2, 500)));
        assert.equal(
          await s.setRoomRead(bob.id, position("c", 0, 600)),
          false,
        );
        assert.equal(
          await s.setRoomRead(bob.id, position("b", 0, 600), true),
          false,
        );
        assert.deepEqual(await list(3), [
          read("a", 1, 2),
          read("d", 0, 5),
          read("b", 2),
        ]);
        assert.deepEqual(
          await s.roomReads(bob.id, "bob", {
            limit: 10,
            cap: NO_CAP,
            room: "b",
          }),
          [read("b", 2)],
        );
        assert.deepEqual(
          await s.roomReads(bob.id, "bob", {
            limit: 10,
            cap: NO_CAP,
            room: "nowhere",
          }),
          [],
        );
      },
    "roomReads() shows only the account's own positions, and a deleted account's positions go with it":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        await insertRange(s, 1, 4);
        assert.ok(await s.setRoomRead(alice.id, position("lobby", 1, 100)));
        assert.ok(await s.setRoomRead(bob.id, position("lobby", 3, 100)));
        assert.ok(await s.setRoomRead(bob.id, position("other", 3, 200)));
        assert.deepEqual(await allReads(s, alice.id, "alice"), [
          { room: "lobby", roomName: "lobby", messageId: 1, unread: 0 },
        ]);
        assert.deepEqual(
          await s.roomReads(alice.id, "alice", {
            limit: 10,
            cap: NO_CAP,
            room: "other",
          }),
          [],
        );
        assert.deepEqual(
          (await allReads(s, bob.id, "bob")).map((read) => read.room),
          ["other", "lobby"],
        );
        assert.ok(
          await s.deleteAccount(bob.id, audit("account_deleted", "bob")),
        );
        assert.deepEqual(await allReads(s, bob.id, "bob"), []);
        const carol = await mustCreate(s, "carol");
        assert.deepEqual(await allReads(s, carol.id, "carol"), []);
        assert.equal(
          await s.setRoomRead(carol.id, position("lobby", 2, 300)),
          true,
        );
        assert.equal(await unreadIn(s, carol.id, "carol", "lobby"), 2);
        assert.equal(await unreadIn(s, alice.id, "alice", "lobby"), 0);
      },
    "setPmRead() records a read only forward, resolving whether it moved":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        assert.equal(
          await s.setPmRead(alice.id, bob.id, pending(5, 100)),
          true,
        );
        for (const messageId of [4, 5]) {
          assert.equal(
            await s.setPmRead(alice.id, bob.id, pending(messageId, 200)),
            false,
            `to ${messageId}`,
          );
        }
        assert.deepEqual(await s.takePendingPmReads(alice.id, 10), [
          { reader: "bob", messageId: 5, readAt: 100 },
        ]);
        assert.equal(
          await s.setPmRead(alice.id, bob.id, pending(8, 300)),
          true,
        );
        assert.deepEqual(await s.takePendingPmReads(alice.id, 10), [
          { reader: "bob", messageId: 8, readAt: 300 },
        ]);
        // Each way round is its own record.
        assert.equal(
          await s.setPmRead(bob.id, alice.id, pending(2, 400)),
          true,
        );
        assert.deepEqual(await s.takePendingPmReads(bob.id, 10), [
          { reader: "alice", messageId: 2, readAt: 400 },
        ]);
        assert.deepEqual(await s.takePendingPmReads(alice.id, 10), []);
      },
    "takePendingPmReads() hands out the sender's pending reads newest first with the reader's name, at most limit, and marks all of them told":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "Bob");
        const carol = await mustCreate(s, "Carol 🌸");
        const dave = await mustCreate(s, "dave");
        const erin = await mustCreate(s, "erin");
        assert.deepEqual(await s.takePendingPmReads(alice.id, 10), []);
        assert.ok(await s.setPmRead(alice.id, bob.id, pending(30, 300)));
        assert.ok(await s.setPmRead(alice.id, carol.id, pending(10, 100)));
        assert.ok(await s.setPmRead(alice.id, dave.id, pending(20, 200)));
        // Not pending: the reader's receipts are off.
        assert.ok(
          await s.setPmRead(alice.id, erin.id, {
            messageId: 40,
            at: 400,
            pending: false,
          }),
        );
        // Another sender's.
        assert.ok(await s.setPmRead(bob.id, carol.id, pending(50, 500)));
        assert.deepEqual(await s.takePendingPmReads(alice.id, 2), [
          { reader: "Bob", messageId: 30, readAt: 300 },
          { reader: "dave", messageId: 20, readAt: 200 },
        ]);
        // carol's, beyond the limit, was told too.
        assert.deepEqual(await s.takePendingPmReads(alice.id, 10), []);
        assert.deepEqual(await s.takePendingPmReads(bob.id, 10), [
          { reader: "Carol 🌸", messageId: 50, readAt: 500 },
        ]);
        assert.deepEqual(await s.takePendingPmReads(bob.id, 10), []);
      },
    "setPmRead() makes a told read pending again only when it moves forward":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        assert.ok(await s.setPmRead(alice.id, bob.id, pending(5, 100)));
        assert.deepEqual(await s.takePendingPmReads(alice.id, 10), [
          { reader: "bob", messageId: 5, readAt: 100 },
        ]);
        assert.equal(
          await s.setPmRead(alice.id, bob.id, pending(5, 200)),
          false,
        );
        assert.equal(
          await s.setPmRead(alice.id, bob.id, pending(3, 200)),
          false,
        );
        assert.deepEqual(await s.takePendingPmReads(alice.id, 10), []);
        assert.equal(
          await s.setPmRead(alice.id, bob.id, {
            messageId: 7,
            at: 300,
            pending: false,
          }),
          true,
        );
        assert.deepEqual(await s.takePendingPmReads(alice.id, 10), []);
        assert.equal(
          await s.setPmRead(alice.id, bob.id, pending(9, 400)),
          true,
        );
        assert.deepEqual(await s.takePendingPmReads(alice.id, 10), [
          { reader: "bob", messageId: 9, readAt: 400 },
        ]);
        assert.deepEqual(await s.takePendingPmReads(alice.id, 10), []);
      },
    "setPmRead() naming an unknown account rejects and stores nothing": async (
      s,
    ) => {
      const alice = await mustCreate(s, "alice");
      const ghost = alice.id + 1;
      await assert.rejects(s.setPmRead(alice.id, ghost, pending(5, 100)));
      await assert.rejects(s.setPmRead(ghost, alice.id, pending(5, 100)));
      const bob = await mustCreate(s, "bob");
      assert.deepEqual(await s.takePendingPmReads(alice.id, 10), []);
      assert.deepEqual(await s.takePendingPmReads(bob.id, 10), []);
    },
    "deleteAccount() removes the reads of the account as reader and as sender":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const carol = await mustCreate(s, "carol");
        const bob = await mustCreate(s, "bob");
        assert.ok(await s.setPmRead(alice.id, bob.id, pending(5, 100)));
        assert.ok(await s.setPmRead(alice.id, carol.id, pending(6, 200)));
        assert.ok(await s.setPmRead(bob.id, carol.id, pending(7, 300)));
        assert.ok(
          await s.deleteAccount(bob.id, audit("account_deleted", "bob")),
        );
        assert.deepEqual(await s.takePendingPmReads(alice.id, 10), [
          { reader: "carol", messageId: 6, readAt: 200 },
        ]);
        assert.deepEqual(await s.takePendingPmReads(bob.id, 10), []);
        // Whoever comes next neither inherits bob's reads nor reads as bob.
        const dave = await mustCreate(s, "dave");
        assert.deepEqual(await s.takePendingPmReads(dave.id, 10), []);
        assert.ok(await s.setPmRead(alice.id, dave.id, pending(2, 400)));
        assert.deepEqual(await s.takePendingPmReads(alice.id, 10), [
          { reader: "dave", messageId: 2, readAt: 400 },
        ]);
      },
    "setReceipts() turns the account's receipts off and on; an unknown account resolves false":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        assert.equal(alice.receipts, true);
        assert.equal(await s.setReceipts(alice.id, false), true);
        assert.deepEqual(await mustGet(s, "alice"), {
          ...alice,
          receipts: false,
        });
        // Already off: still a known account.
        assert.equal(await s.setReceipts(alice.id, false), true);
        assert.equal((await mustGet(s, "alice")).receipts, false);
        assert.deepEqual(await mustGet(s, "bob"), bob);
        assert.equal(await s.setReceipts(alice.id, true), true);
        assert.deepEqual(await mustGet(s, "alice"), alice);
        assert.equal(await s.setReceipts(bob.id + 99, false), false);
        assert.deepEqual(await s.listAccounts(), [alice, bob]);
      },
  },
};

/** Avatars: the mark on the account and the stored picture. */
export const AVATARS: ContractArea = {
  name: "avatars",
  covers: ["setAvatar", "setAvatarImage", "getAvatarImage", "avatarsOf"],
  cases: {
    "setAvatar() sets an emoji or the default; an unknown account resolves false":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        assert.equal(alice.avatar, "");
        assert.equal(await s.setAvatar(alice.id, "🐱"), true);
        assert.deepEqual(await mustGet(s, "alice"), { ...alice, avatar: "🐱" });
        assert.equal(await s.setAvatar(alice.id, "👨‍👩‍👧"), true);
        assert.equal((await mustGet(s, "alice")).avatar, "👨‍👩‍👧");
        assert.equal(await s.setAvatar(alice.id, ""), true);
        assert.deepEqual(await mustGet(s, "alice"), alice);
        assert.equal(await s.setAvatar(bob.id + 99, "🐶"), false);
        assert.deepEqual(await s.listAccounts(), [alice, bob]);
        assert.equal(await s.getAvatarImage(alice.id), undefined);
      },
    "setAvatarImage() stores a picture as version 1, then 2 and 3, the avatar img:<version>":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const bob = await mustCreate(s, "bob");
        const pictures = [
          { type: "image/png", bytes: new Uint8Array([0x89, 0x50, 0x4e]) },
          { type: "image/jpeg", bytes: new Uint8Array([0xff, 0xd8, 0xff, 0]) },
          { type: "image/gif", bytes: new Uint8Array([0x47, 0x49, 0x46]) },
        ];
        for (const [i, picture] of pictures.entries()) {
          const version = i + 1;
          assert.equal(await s.setAvatarImage(alice.id, picture), version);
          assert.deepEqual(await mustGet(s, "alice"), {
            ...alice,
            avatar: `img:${version}`,
          });
          assert.deepEqual(await s.getAvatarImage(alice.id), {
            ...picture,
            version,
          });
        }
        assert.equal(await s.getAvatarImage(bob.id), undefined);
        assert.deepEqual(await mustGet(s, "bob"), bob);
        const webp = { type: "image/webp", bytes: new Uint8Array([1, 2]) };
        const bobs = await s.setAvatarImage(bob.id, webp);
        assert.ok(Number.isSafeInteger(bobs) && bobs! >= 1, `version ${bobs}`);
        assert.equal((await mustGet(s, "bob")).avatar, `img:${bobs}`);
        assert.deepEqual(await s.getAvatarImage(bob.id), {
          ...webp,
          version: bobs,
        });
        // bob's picture is not alice's.
        assert.deepEqual(await s.getAvatarImage(alice.id), {
          ...pictures[2],
          version: 3,
        });
      },
    "getAvatarImage() gives back the stored bytes byte for byte": async (s) => {
      const alice = await mustCreate(s, "alice");
      const bytes = patternBytes(200 * 1024);
      const version = await s.setAvatarImage(alice.id, {
        type: "image/webp",
        bytes: bytes.slice(),
      });
      assert.equal(version, 1);
      const image = await s.getAvatarImage(alice.id);
      assert.ok(image, "a picture");
      assert.equal(image.type, "image/webp");
      assert.equal(image.version, 1);
      assert.ok(image.bytes instanceof Uint8Array);
      assert.equal(image.bytes.length, bytes.length);
      const firstDifference = image.bytes.findIndex((byte, i) =>
        byte !== bytes[i]
      );
      assert.equal(
        firstDifference,
        -1,
        `first difference at ${firstDifference}`,
      );
    },
    "setAvatarImage() of an unknown account resolves undefined and stores nothing":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        // The only account is alice, so this id is nobody's (yet).
        const ghost = alice.id + 1;
        assert.equal(
          await s.setAvatarImage(ghost, {
            type: "image/png",
            bytes: new Uint8Array([1, 2, 3]),
          }),
          undefined,
        );
        assert.equal(await s.getAvatarImage(ghost), undefined);
        const bob = await mustCreate(s, "bob");
        assert.equal(bob.avatar, "");
        assert.equal(await s.getAvatarImage(bob.id), undefined);
        assert.deepEqual(await mustGet(s, "alice"), alice);
        assert.equal(
          await s.setAvatarImage(bob.id, {
            type: "image/png",
            bytes: new Uint8Array([4]),
          }),
          1,
        );
      },
    "setAvatar() removes a stored picture, and a later picture gets a higher version than any before":
      async (s) => {
        const alice = await mustCreate(s, "alice");
        const png = (byte: number) => ({
          type: "image/png",
          bytes: new Uint8Array([byte, byte]),
        });
        assert.equal(await s.setAvatarImage(alice.id, png(1)), 1);
        assert.equal(await s.setAvatarImage(alice.id, png(2)), 2);
        assert.equal(await s.setAvatar(alice.id, ""), true);
        assert.equal(await s.getAvatarImage(alice.id), undefined);
        assert.equal((await mustGet(s, "alice")).avatar, "");
        // A cached URL of version 2 must never show the next picture.
        const third = await s.setAvatarImage(alice.id, png(3));
        assert.ok(third !== undefined && third > 2, `version ${third} > 2`);
        assert.equal((await mustGet(s, "alice")).avatar, `img:${third}`);
        assert.deepEqual(await s.getAvatarImage(alice.id), {
          ...png(3),
          version: third,
        });
        assert.equal(await s.setAvatar(alice.id, "🐶"), true);
        assert.equal(await s.getAvatarImage(alice.id), undefined);
        assert.equal((await mustGet(s, "alice")).avatar, "🐶");
        const fourth = await s.setAvatarImage(alice.id, png(4));
        assert.ok(
          fourth !== undefined && fourth > third,
          `version ${fourth} > ${third}`,
        );
        assert.deepEqual(await s.getAvatarImage(alice.id), {
          ...png(4),
          version: fourth,
        });
      },
    "deleteAccount() removes the account's picture": async (s) => {
      const alice = await mustCreate(s, "alice");
      const bob = await mustCreate(s, "bob");
      const picture = { type: "image/gif", bytes: new Uint8Array([7, 7]) };
      assert.equal(await s.setAvatarImage(bob.id, picture), 1);
      assert.ok(await s.deleteAccount(bob.id, audit("account_deleted", "bob")));
      assert.equal(await s.getAvatarImage(bob.id), undefined);
      assert.deepEqual(await s.avatarsOf(["bob"]), []);
      const carol = await mustCreate(s, "carol");
      assert.equal(carol.avatar, "");
      assert.equal(await s.getAvatarImage(carol.id), undefined);
      assert.equal(await s.getAvatarImage(alice.id), undefined);
    },
    "a picture version is never handed out twice, not even to a new account of a deleted one's name":
      async (s) => {
        const first = await mustCreate(s, "bob");
        const picture = { type: "image/png", bytes: new Uint8Array([1]) };
        const old = await s.setAvatarImage(first.id, picture);
        assert.ok(old !== undefined);
        assert.ok(
          await s.deleteAccount(first.id, audit("account_deleted", "bob")),
        );
        const second = await mustCreate(s, "bob");
        const next = await s.setAvatarImage(second.id, picture);
        assert.ok(next !== undefined && next > old, `${next} after ${old}`);
        const other = await mustCreate(s, "carol");
        const third = await s.setAvatarImage(other.id, picture);
        assert.ok(third !== undefined && third > next);
      },
    "avatarsOf() reads the name and avatar of each known key once, leaving unknown keys out":
      async (s) => {
        await mustCreate(s, "Alice");
        const bob = await mustCreate(s, "Bob");
        const carol = await mustCreate(s, "carol");
        assert.ok(await s.setAvatar(bob.id, "🐱"));
        const version = await s.setAvatarImage(carol.id, {
          type: "image/png",
          bytes: new Uint8Array([1]),
        });
        assert.deepEqual(await s.avatarsOf([]), []);
        assert.deepEqual(await s.avatarsOf(["ghost"]), []);
        const found = await s.avatarsOf([
          "bob",
          "ghost",
          "alice",
          "bob",
          // Keys are exact, as getAccount() takes them.
          "ALICE",
          "carol",
          "alice",
        ]);
        assert.deepEqual(
          found.toSorted((a, b) => a.usernameKey < b.usernameKey ? -1 : 1),
          [
            { usernameKey: "alice", username: "Alice", avatar: "" },
            { usernameKey: "bob", username: "Bob", avatar: "🐱" },
            {
              usernameKey: "carol",
              username: "carol",
              avatar: `img:${version}`,
            },
          ],
        );
        assert.deepEqual(await s.avatarsOf(["carol", "carol", "carol"]), [
          { usernameKey: "carol", username: "carol", avatar: `img:${version}` },
        ]);
      },
  },
};
