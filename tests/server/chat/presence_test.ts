/**
 * Unit tests of {@linkcode PresenceBatcher}: which join and leave notices go
 * out at once and what a flush sends for large rooms.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  PresenceBatcher,
  type PresenceEvent,
} from "../../../lib/server/chat/presence.ts";

// The documented values (docs/PROTOCOL.md 8 and 10), as literals: rooms of
// more than 100 members are coalesced, up to 3 held notices go out one by one.
const BIG = 101;
const joined = (username: string): PresenceEvent => ({
  type: "member_joined",
  username,
});
const left = (username: string): PresenceEvent => ({
  type: "member_left",
  username,
});

Deno.test("PresenceBatcher never holds a notice for a room of up to 100 members", () => {
  const batcher = new PresenceBatcher();
  for (let i = 0; i < 50; i++) {
    assert.equal(
      batcher.note("lobby", "Lobby", 100, joined(`u${i}`)),
      true,
    );
  }
  assert.deepEqual(batcher.flush(), []);
});

Deno.test("PresenceBatcher sends the first notice in a large room at once and holds the rest", () => {
  const batcher = new PresenceBatcher();
  assert.equal(batcher.note("lobby", "Lobby", BIG, joined("a")), true);
  assert.equal(batcher.note("lobby", "Lobby", BIG, joined("b")), false);
  assert.equal(batcher.note("lobby", "Lobby", BIG - 1, left("c")), false);
  assert.deepEqual(batcher.flush(), [
    { room: "Lobby", events: [joined("b"), left("c")] },
  ], "a few held notices go out one by one, in order");
  // The window stays open while notices keep coming.
  assert.equal(batcher.note("lobby", "Lobby", BIG, joined("d")), false);
  assert.deepEqual(batcher.flush(), [{ room: "Lobby", events: [joined("d")] }]);
  // A quiet flush closes it: the next notice goes out at once again.
  assert.deepEqual(batcher.flush(), []);
  assert.equal(batcher.note("lobby", "Lobby", BIG, joined("e")), true);
});

Deno.test("PresenceBatcher turns more than 3 held notices into counts", () => {
  const batcher = new PresenceBatcher();
  batcher.note("lobby", "Lobby", BIG, joined("first"));
  for (let i = 0; i < 1000; i++) {
    assert.equal(batcher.note("lobby", "Lobby", BIG, joined(`j${i}`)), false);
  }
  for (let i = 0; i < 7; i++) {
    batcher.note("lobby", "Lobby", BIG, left(`l${i}`));
  }
  assert.deepEqual(batcher.flush(), [{ room: "Lobby", joined: 1000, left: 7 }]);
  for (let i = 0; i < 4; i++) {
    batcher.note("lobby", "Lobby", BIG, left(`x${i}`));
  }
  assert.deepEqual(batcher.flush(), [{
    room: "Lobby",
    joined: 0,
    left: 4,
  }]);
});

Deno.test("PresenceBatcher keeps rooms apart and holds a shrunken room's notices in order", () => {
  const batcher = new PresenceBatcher();
  batcher.note("a", "A", BIG, joined("x"));
  batcher.note("b", "B", BIG, joined("y"));
  assert.equal(
    batcher.note("a", "A", 5, left("z")),
    false,
    "window still open",
  );
  assert.equal(batcher.note("c", "C", 5, joined("w")), true, "a small room");
  assert.deepEqual(batcher.flush(), [{ room: "A", events: [left("z")] }]);
  assert.deepEqual(batcher.flush(), []);
  assert.equal(batcher.note("a", "A", 5, left("v")), true, "closed and small");
  assert.deepEqual(batcher.flush(), []);
});

// The spec's threshold as a literal (README, docs/PROTOCOL.md 8 and 10):
// "In a room of up to 100 members every join and leave is its own … in a
// larger room" they are coalesced.
Deno.test("PresenceBatcher sends every notice at once in a room of 100 members and coalesces at 101", () => {
  const batcher = new PresenceBatcher();
  for (let i = 0; i < 10; i++) {
    assert.equal(
      batcher.note("lobby", "Lobby", 100, joined(`u${i}`)),
      true,
      `notice ${i} in a room of 100`,
    );
  }
  assert.deepEqual(batcher.flush(), [], "100 members: nothing held");
  assert.equal(batcher.note("lobby", "Lobby", 101, joined("a")), true);
  assert.equal(batcher.note("lobby", "Lobby", 101, joined("b")), false);
  assert.deepEqual(batcher.flush(), [{ room: "Lobby", events: [joined("b")] }]);
});
