/**
 * Contract cases for `ChatStore`: room history, the offline queue of private
 * messages, mutes and profile status.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  audit,
  type ContractArea,
  events,
  ids,
  insertRange,
  mustCreate,
  mustGet,
  privateMessage,
  range,
  roomMessage,
} from "./fixtures.ts";

/** History: ids, all-or-nothing inserts, pages, deletion, retention. */
export const HISTORY: ContractArea = {
  name: "history",
  covers: [
    "maxMessageId",
    "insertMessages",
    "getMessage",
    "roomHistory",
    "deleteMessage",
    "pruneMessages",
  ],
  cases: {
    "maxMessageId() is 0 when empty, then the highest id, even once it is deleted":
      async (s) => {
        assert.equal(await s.maxMessageId(), 0);
        await s.insertMessages([roomMessage(5), roomMessage(3)]);
        assert.equal(await s.maxMessageId(), 5);
        assert.ok(await s.deleteMessage(5, 6));
        assert.equal(await s.maxMessageId(), 5);
      },
    "insertMessages() stores all or nothing": async (s) => {
      await s.insertMessages([]);
      await insertRange(s, 1, 2);
      await assert.rejects(s.insertMessages([roomMessage(3), roomMessage(2)]));
      assert.equal(await s.getMessage(3), undefined);
      assert.deepEqual(await s.getMessage(2), roomMessage(2));
      assert.equal(await s.maxMessageId(), 2);
    },
    "getMessage() round-trips room and private messages; unknown ids resolve undefined":
      async (s) => {
        const room = { ...roomMessage(1, "café ☕"), text: "héllo 👋\nworld" };
        await s.insertMessages([
          room,
          privateMessage(2, "bob", 1_700_000_000_000),
        ]);
        assert.deepEqual(await s.getMessage(1), room);
        assert.deepEqual(
          await s.getMessage(2),
          privateMessage(2, "bob", 1_700_000_000_000),
        );
        assert.equal(await s.getMessage(3), undefined);
      },
    "roomHistory() without a cursor reads the newest count, oldest first":
      async (s) => {
        assert.deepEqual(await s.roomHistory("lobby", { count: 3 }), {
          messages: [],
          more: false,
        });
        await insertRange(s, 1, 5);
        const page = await s.roomHistory("lobby", { count: 3 });
        assert.deepEqual(page.messages, [3, 4, 5].map((id) => roomMessage(id)));
        assert.equal(page.more, true);
        assert.deepEqual(await s.roomHistory("lobby", { count: 5 }), {
          messages: range(1, 5).map((id) => roomMessage(id)),
          more: false,
        });
        assert.deepEqual(await s.roomHistory("lobby", { count: 0 }), {
          messages: [],
          more: true,
        });
      },
    "roomHistory() pages back with before and forward with after, each message once":
      async (s) => {
        await insertRange(s, 1, 7);
        const pages: Array<[number[], boolean]> = [];
        for (
          let page = await s.roomHistory("lobby", { count: 3 });;
          page = await s.roomHistory("lobby", {
            count: 3,
            before: page.messages[0]!.id,
          })
        ) {
          pages.push([ids(page.messages), page.more]);
          if (!page.more) break;
        }
        assert.deepEqual(pages, [[[5, 6, 7], true], [[2, 3, 4], true], [
          [1],
          false,
        ]]);
        pages.length = 0;
        for (
          let page = await s.roomHistory("lobby", { count: 3, after: 0 });;
          page = await s.roomHistory("lobby", {
            count: 3,
            after: page.messages.at(-1)!.id,
          })
        ) {
          pages.push([ids(page.messages), page.more]);
          if (!page.more) break;
        }
        assert.deepEqual(pages, [[[1, 2, 3], true], [[4, 5, 6], true], [
          [7],
          false,
        ]]);
      },
    "roomHistory() sets more exactly at the boundary": async (s) => {
      await insertRange(s, 1, 7);
      const cases: Array<
        [{ count: number; before?: number; after?: number }, number[], boolean]
      > = [
        [{ count: 3, before: 4 }, [1, 2, 3], false],
        [{ count: 2, before: 4 }, [2, 3], true],
        [{ count: 3, after: 4 }, [5, 6, 7], false],
        [{ count: 2, after: 4 }, [5, 6], true],
        [{ count: 7 }, range(1, 7), false],
        [{ count: 6 }, range(2, 7), true],
        [{ count: 3, before: 1 }, [], false],
        [{ count: 3, after: 7 }, [], false],
      ];
      for (const [query, expected, more] of cases) {
        const page = await s.roomHistory("lobby", query);
        assert.deepEqual(
          [ids(page.messages), page.more],
          [expected, more],
          JSON.stringify(query),
        );
      }
    },
    "roomHistory() is ordered by id, whatever the insertion order": async (
      s,
    ) => {
      await s.insertMessages([roomMessage(3), roomMessage(1)]);
      await s.insertMessages([roomMessage(2)]);
      assert.deepEqual(
        ids((await s.roomHistory("lobby", { count: 10 })).messages),
        [1, 2, 3],
      );
      assert.deepEqual(
        ids((await s.roomHistory("lobby", { count: 10, after: 1 })).messages),
        [2, 3],
      );
    },
    "roomHistory() leaves out deleted messages, other rooms and private messages":
      async (s) => {
        await s.insertMessages([
          roomMessage(1),
          roomMessage(2),
          roomMessage(3, "other"),
          privateMessage(4, "lobby"),
          roomMessage(5),
        ]);
        assert.ok(await s.deleteMessage(5, 6));
        assert.deepEqual(await s.roomHistory("lobby", { count: 10 }), {
          messages: [roomMessage(1), roomMessage(2)],
          more: false,
        });
        assert.deepEqual(
          ids((await s.roomHistory("other", { count: 10 })).messages),
          [3],
        );
      },
    "roomHistory() rejects both cursors with TypeError and a bad count with RangeError":
      async (s) => {
        await assert.rejects(
          s.roomHistory("lobby", { count: 1, before: 5, after: 1 }),
          TypeError,
        );
        for (const count of [-1, 1.5, Number.NaN]) {
          await assert.rejects(
            s.roomHistory("lobby", { count }),
            RangeError,
            `${count}`,
          );
        }
      },
    "deleteMessage() resolves the message once and logs the audit entry with it":
      async (s) => {
        await insertRange(s, 1, 2);
        assert.deepEqual(
          await s.deleteMessage(
            1,
            2_000,
            audit("delete_message", "admin", 2_000),
          ),
          roomMessage(1),
        );
        assert.equal(await s.getMessage(1), undefined);
        assert.equal(
          await s.deleteMessage(
            1,
            3_000,
            audit("delete_message", "admin", 3_000),
          ),
          undefined,
        );
        assert.equal(
          await s.deleteMessage(
            99,
            3_000,
            audit("delete_message", "admin", 3_000),
          ),
          undefined,
        );
        assert.deepEqual(await s.deleteMessage(2, 3_000), roomMessage(2));
        assert.deepEqual(await s.listAudit(), [
          audit("delete_message", "admin", 2_000),
        ]);
      },
    "pruneMessages() deletes old messages, never a queued one nor the newest, and resolves how many":
      async (s) => {
        const bob = await mustCreate(s, "bob");
        await s.insertMessages([
          roomMessage(1, "lobby", 100),
          roomMessage(2, "lobby", 200),
          roomMessage(3, "lobby", 1_000),
        ]);
        assert.equal(
          await s.queueOffline(privateMessage(4, "bob", 150), bob.id, 10),
          "queued",
        );
        await s.insertMessages([roomMessage(5, "lobby", 50)]);
        // Created at the cut-off is not older than it.
        assert.equal(await s.pruneMessages(1_000), 2);
        assert.equal(await s.getMessage(1), undefined);
        assert.equal(await s.getMessage(2), undefined);
        assert.deepEqual(await s.getMessage(3), roomMessage(3, "lobby", 1_000));
        assert.deepEqual(await s.getMessage(4), privateMessage(4, "bob", 150));
        assert.deepEqual(await s.getMessage(5), roomMessage(5, "lobby", 50));
        assert.equal(await s.maxMessageId(), 5);
        assert.equal(await s.pruneMessages(1_000), 0);
      },
    "pruneMessages() deletes oldest first and stops at the limit": async (
      s,
    ) => {
      await insertRange(s, 1, 6);
      assert.equal(await s.pruneMessages(100, 2), 2);
      assert.deepEqual(
        ids((await s.roomHistory("lobby", { count: 10 })).messages),
        [3, 4, 5, 6],
      );
      assert.equal(await s.pruneMessages(100, 2), 2);
      assert.equal(await s.pruneMessages(100, 2), 1);
      assert.equal(await s.pruneMessages(100, 0), 0);
      assert.deepEqual(
        ids((await s.roomHistory("lobby", { count: 10 })).messages),
        [6],
      );
      await assert.rejects(s.pruneMessages(100, -1), RangeError);
    },
    "pruneMessages() goes on past one batch of 1,000 up to the limit": async (
      s,
    ) => {
      await insertRange(s, 1, 2_500);
      assert.equal(await s.pruneMessages(10_000, 2_100), 2_100);
      assert.equal(await s.pruneMessages(10_000), 399);
      assert.deepEqual(
        ids((await s.roomHistory("lobby", { count: 10 })).messages),
        [2_500],
      );
    },
  },
};

/** Private messages queued for accounts that are offline. */
export const OFFLINE: ContractArea = {
  name: "offline messages",
  covers: [
    "queueOffline",
    "takeOffline",
    "peekOffline",
    "countOffline",
    "ackOffline",
  ],
  cases: {
    "takeOffline() hands each queued message out once, oldest first, per account":
      async (s) => {
        const bob = await mustCreate(s, "bob");
        const carol = await mustCreate(s, "carol");
        for (const id of [3, 1, 2]) {
          assert.equal(
            await s.queueOffline(privateMessage(id), bob.id, 10),
            "queued",
          );
        }
        assert.equal(
          await s.queueOffline(privateMessage(4, "carol"), carol.id, 10),
          "queued",
        );
        assert.deepEqual(
          await s.takeOffline(bob.id),
          [1, 2, 3].map((id) => privateMessage(id)),
        );
        assert.deepEqual(await s.takeOffline(bob.id), []);
        assert.deepEqual(await s.takeOffline(carol.id), [
          privateMessage(4, "carol"),
        ]);
        // Taken from the queue, still a stored message.
        assert.deepEqual(await s.getMessage(1), privateMessage(1));
      },
    "queueOffline() refuses a full queue, by count and by UTF-8 bytes, writing nothing":
      async (s) => {
        const bob = await mustCreate(s, "bob");
        assert.equal(
          await s.queueOffline(privateMessage(1), bob.id, 2),
          "queued",
        );
        assert.equal(
          await s.queueOffline(privateMessage(2), bob.id, 2),
          "queued",
        );
        assert.equal(
          await s.queueOffline(privateMessage(3), bob.id, 2),
          "full",
        );
        assert.equal(await s.getMessage(3), undefined);
        assert.equal(await s.countOffline(bob.id), 2);
        const carol = await mustCreate(s, "carol");
        const sent = (id: number, text: string) =>
          s.queueOffline(
            privateMessage(id, "carol", id, text),
            carol.id,
            10,
            10,
          );
        assert.equal(await sent(4, "ééé"), "queued"); // 6 bytes
        assert.equal(await sent(5, "abc"), "queued"); // 9
        assert.equal(await sent(6, "é"), "full_bytes"); // 11 would pass 10
        assert.equal(await s.getMessage(6), undefined);
        assert.equal(await sent(7, "a"), "queued"); // exactly 10
        assert.deepEqual(ids(await s.peekOffline(carol.id, 10)), [4, 5, 7]);
      },
    "peekOffline() reads oldest first with limit and afterId, without removing":
      async (s) => {
        const bob = await mustCreate(s, "bob");
        for (const id of range(1, 5)) {
          await s.queueOffline(privateMessage(id), bob.id, 10);
        }
        assert.deepEqual(await s.peekOffline(bob.id, 2), [
          privateMessage(1),
          privateMessage(2),
        ]);
        assert.deepEqual(ids(await s.peekOffline(bob.id, 2, 2)), [3, 4]);
        assert.deepEqual(ids(await s.peekOffline(bob.id, 10, 4)), [5]);
        assert.deepEqual(ids(await s.peekOffline(bob.id, 10, 5)), []);
        assert.equal(await s.countOffline(bob.id), 5);
        assert.deepEqual(ids(await s.takeOffline(bob.id)), range(1, 5));
      },
    "countOffline() counts queued messages created since a time, deleted ones left out":
      async (s) => {
        const bob = await mustCreate(s, "bob");
        assert.equal(await s.countOffline(bob.id), 0);
        for (const [id, at] of [[1, 100], [2, 200], [3, 300]]) {
          await s.queueOffline(privateMessage(id!, "bob", at), bob.id, 10);
        }
        assert.equal(await s.countOffline(bob.id), 3);
        assert.equal(await s.countOffline(bob.id, 200), 2);
        assert.ok(await s.deleteMessage(2, 400));
        assert.equal(await s.countOffline(bob.id), 2);
        assert.equal(await s.countOffline(bob.id, 300), 1);
        assert.equal(await s.countOffline(bob.id, 301), 0);
        assert.deepEqual(ids(await s.peekOffline(bob.id, 10)), [1, 3]);
        assert.deepEqual(ids(await s.takeOffline(bob.id)), [1, 3]);
      },
    "ackOffline() removes the given entries of that account and those of deleted messages":
      async (s) => {
        const bob = await mustCreate(s, "bob");
        const carol = await mustCreate(s, "carol");
        for (const id of [1, 2, 3]) {
          await s.queueOffline(privateMessage(id), bob.id, 3);
        }
        assert.ok(await s.deleteMessage(3, 10));
        await s.ackOffline(carol.id, [1, 2]);
        assert.deepEqual(ids(await s.peekOffline(bob.id, 10)), [1, 2]);
        await s.ackOffline(bob.id, [1]);
        assert.deepEqual(ids(await s.peekOffline(bob.id, 10)), [2]);
        // The deleted message's entry went too: one queued, room for one.
        assert.equal(
          await s.queueOffline(privateMessage(4), bob.id, 2),
          "queued",
        );
        assert.equal(
          await s.queueOffline(privateMessage(5), bob.id, 2),
          "full",
        );
        await s.ackOffline(bob.id, []);
        assert.deepEqual(ids(await s.takeOffline(bob.id)), [2, 4]);
      },
  },
};

/** Mutes (moderation) and the profile status line. */
export const MODERATION: ContractArea = {
  name: "mutes and profiles",
  covers: ["setMute", "getMute", "clearMute", "setStatus"],
  cases: {
    "setMute() mutes until a time with reason and author, and logs the audit entry":
      async (s) => {
        const bob = await mustCreate(s, "bob");
        assert.equal(
          await s.setMute(
            bob.id,
            { until: 5_000, reason: "spam", by: "admin" },
            audit("mute", "bob"),
          ),
          true,
        );
        assert.deepEqual(await s.getMute(bob.id, 4_999), {
          until: 5_000,
          reason: "spam",
          by: "admin",
        });
        assert.equal(await s.getMute(bob.id, 5_000), undefined);
        assert.deepEqual(events(await s.listAudit()), ["mute", "register"]);
      },
    "setMute() replaces the mute in force": async (s) => {
      const bob = await mustCreate(s, "bob");
      await s.setMute(
        bob.id,
        { until: 5_000, reason: "spam", by: "admin" },
        audit("mute", "bob"),
      );
      await s.setMute(
        bob.id,
        { until: 9_000, reason: null, by: null },
        audit("mute", "bob"),
      );
      assert.deepEqual(await s.getMute(bob.id, 6_000), {
        until: 9_000,
        reason: null,
        by: null,
      });
    },
    "setMute() refuses an unknown account without an audit entry": async (
      s,
    ) => {
      const bob = await mustCreate(s, "bob");
      assert.equal(
        await s.setMute(
          bob.id + 99,
          { until: 5_000, reason: null, by: null },
          audit("mute", "ghost"),
        ),
        false,
      );
      assert.equal(await s.getMute(bob.id + 99, 1_000), undefined);
      assert.deepEqual(events(await s.listAudit()), ["register"]);
    },
    "clearMute() lifts a mute in force with an audit entry; an expired or missing one resolves false without":
      async (s) => {
        const bob = await mustCreate(s, "bob");
        await s.setMute(
          bob.id,
          { until: 5_000, reason: null, by: "admin" },
          audit("mute", "bob"),
        );
        assert.equal(
          await s.clearMute(bob.id, audit("unmute", "bob", 2_000)),
          true,
        );
        assert.equal(await s.getMute(bob.id, 2_000), undefined);
        assert.equal(
          await s.clearMute(bob.id, audit("unmute", "bob", 2_000)),
          false,
        );
        await s.setMute(
          bob.id,
          { until: 3_000, reason: null, by: "admin" },
          audit("mute", "bob"),
        );
        assert.equal(
          await s.clearMute(bob.id, audit("unmute", "bob", 3_000)),
          false,
        );
        // The expired mute is gone, even for an earlier clock.
        assert.equal(await s.getMute(bob.id, 2_000), undefined);
        assert.deepEqual(events(await s.listAudit()), [
          "mute",
          "unmute",
          "mute",
          "register",
        ]);
      },
    "setStatus() sets the profile status line; an unknown account resolves false":
      async (s) => {
        const bob = await mustCreate(s, "bob");
        assert.equal(await s.setStatus(bob.id, "away 🌙"), true);
        assert.deepEqual(await mustGet(s, "bob"), {
          ...bob,
          status: "away 🌙",
        });
        assert.equal(await s.setStatus(bob.id, ""), true);
        assert.equal((await mustGet(s, "bob")).status, "");
        assert.equal(await s.setStatus(bob.id + 99, "x"), false);
      },
  },
};
