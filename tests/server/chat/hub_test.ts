import assert from "node:assert/strict";
import {
  Hub,
  LOBBY,
  type Member,
  normalizeRoomName,
} from "../../../lib/server/chat/hub.ts";

interface FakeMember extends Member {
  received: string[];
}

function member(username: string): FakeMember {
  const received: string[] = [];
  const decoder = new TextDecoder();
  return {
    username,
    usernameKey: username.toLowerCase(),
    received,
    deliver: (bytes) => received.push(decoder.decode(bytes)),
  };
}

const encode = (text: string) => new TextEncoder().encode(text);

Deno.test("Hub.enter() puts everyone in the lobby", () => {
  const hub = new Hub<FakeMember>();
  const alice = member("alice");
  assert.deepEqual(hub.enter(alice), { name: LOBBY, memberCount: 1 });
  assert.equal(hub.roomOf(alice), LOBBY);
  assert.equal(hub.find("ALICE"), alice);
  assert.equal(hub.onlineCount, 1);
});

Deno.test("Hub.join() creates rooms on first join and forgets empty ones", () => {
  const hub = new Hub<FakeMember>();
  const alice = member("alice");
  const bob = member("bob");
  hub.enter(alice);
  hub.enter(bob);
  assert.deepEqual(hub.join(alice, "游戏"), {
    left: LOBBY,
    joined: { name: "游戏", memberCount: 1 },
  });
  assert.deepEqual(hub.join(bob, "游戏").joined, {
    name: "游戏",
    memberCount: 2,
  });
  assert.deepEqual(hub.rooms(), [
    { name: LOBBY, memberCount: 0 },
    { name: "游戏", memberCount: 2 },
  ]);
  // Joining the room you are in changes nothing.
  assert.deepEqual(hub.join(bob, "游戏"), {
    joined: { name: "游戏", memberCount: 2 },
  });
  hub.join(alice, LOBBY);
  hub.exit(bob);
  assert.deepEqual(hub.rooms(), [{ name: LOBBY, memberCount: 1 }]);
});

Deno.test("Hub room names compare case-insensitively and keep the first spelling", () => {
  const hub = new Hub<FakeMember>();
  const alice = member("alice");
  const bob = member("bob");
  hub.enter(alice);
  hub.enter(bob);
  hub.join(alice, "Games");
  assert.deepEqual(hub.join(bob, "GAMES").joined, {
    name: "Games",
    memberCount: 2,
  });
});

Deno.test("Hub.deliverToRoom() reaches only the room, minus the sender", () => {
  const hub = new Hub<FakeMember>();
  const [alice, bob, carol] = [member("alice"), member("bob"), member("carol")];
  for (const m of [alice, bob, carol]) hub.enter(m);
  hub.join(carol, "other");
  hub.deliverToRoom(LOBBY, encode("hi"), alice);
  assert.deepEqual(alice.received, []);
  assert.deepEqual(bob.received, ["hi"]);
  assert.deepEqual(carol.received, []);
});

Deno.test("Hub.exit() is idempotent and reports the room", () => {
  const hub = new Hub<FakeMember>();
  const alice = member("alice");
  hub.enter(alice);
  assert.equal(hub.exit(alice), LOBBY);
  assert.equal(hub.exit(alice), undefined);
  assert.equal(hub.find("alice"), undefined);
  assert.throws(() => hub.join(alice, "x"), RangeError);
});

Deno.test("Hub.enter() refuses a second member with the same name", () => {
  const hub = new Hub<FakeMember>();
  hub.enter(member("alice"));
  assert.throws(() => hub.enter(member("Alice")), RangeError);
});

Deno.test("normalizeRoomName() follows the username rules", () => {
  assert.equal(normalizeRoomName("大厅").ok, true);
  assert.equal(normalizeRoomName("a".repeat(32)).ok, true);
  assert.equal(normalizeRoomName("a".repeat(33)).ok, false);
  assert.equal(normalizeRoomName("").ok, false);
  assert.equal(normalizeRoomName("a=b").ok, false);
});

Deno.test("Hub.deliverToRoomOf() reaches the rest of a member's room; roomKeyOf() names its key", () => {
  const hub = new Hub<FakeMember>();
  const alice = member("alice");
  const bob = member("bob");
  const carol = member("carol");
  for (const m of [alice, bob, carol]) hub.enter(m);
  hub.join(alice, "Dev");
  hub.join(bob, "dev");
  assert.equal(hub.roomKeyOf(alice), "dev");
  assert.equal(hub.roomKeyOf(carol), LOBBY, "the lobby's key is its name");
  hub.deliverToRoomOf(alice, encode("hi\n"));
  assert.deepEqual(bob.received, ["hi\n"]);
  assert.deepEqual(alice.received, [], "not to the sender");
  assert.deepEqual(carol.received, [], "not to other rooms");
  hub.exit(alice);
  assert.equal(hub.roomKeyOf(alice), undefined);
  hub.deliverToRoomOf(alice, encode("gone\n"));
  assert.deepEqual(bob.received, ["hi\n"], "an offline member reaches no one");
  hub.exit(bob);
  assert.equal(hub.memberCount("Dev"), 0, "the empty room is forgotten");
  assert.deepEqual(hub.rooms().map((room) => room.name), [LOBBY]);
});
