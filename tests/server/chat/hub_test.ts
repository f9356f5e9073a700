import assert from "node:assert/strict";
import {
  Hub,
  LOBBY,
  type Member,
  normalizeRoomName,
} from "../../../lib/server/chat/hub.ts";
import { LocalSessionRegistry } from "../../../lib/server/registry/session_registry.ts";

type FakeMember = Member;

/** Members of a hub have a live session in its registry (claimed at login). */
class TestHub extends Hub<FakeMember> {
  constructor() {
    super(new LocalSessionRegistry<FakeMember>());
  }

  member(username: string): FakeMember {
    const usernameKey = username.toLowerCase();
    this.registry.claim({
      username,
      usernameKey,
      accountId: 1,
      isAdmin: false,
      address: "::1",
    });
    return { username, usernameKey };
  }
}

Deno.test("Hub.enter() puts everyone in the lobby", () => {
  const hub = new TestHub();
  const alice = hub.member("alice");
  assert.deepEqual(hub.enter(alice), { name: LOBBY, memberCount: 1 });
  assert.equal(hub.roomOf(alice), LOBBY);
  assert.equal(hub.find("ALICE"), alice);
  assert.equal(hub.onlineCount, 1);
});

Deno.test("Hub.join() creates rooms on first join and forgets empty ones", () => {
  const hub = new TestHub();
  const alice = hub.member("alice");
  const bob = hub.member("bob");
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
  const hub = new TestHub();
  const alice = hub.member("alice");
  const bob = hub.member("bob");
  hub.enter(alice);
  hub.enter(bob);
  hub.join(alice, "Games");
  assert.deepEqual(hub.join(bob, "GAMES").joined, {
    name: "Games",
    memberCount: 2,
  });
});

Deno.test("Hub.membersByKey() holds only the room's members", () => {
  const hub = new TestHub();
  const [alice, bob, carol] = ["alice", "bob", "carol"].map((n) =>
    hub.member(n)
  );
  for (const m of [alice!, bob!, carol!]) hub.enter(m);
  hub.join(carol!, "other");
  assert.deepEqual([...hub.membersByKey(LOBBY)!], [alice, bob]);
  assert.deepEqual([...hub.membersByKey("other")!], [carol]);
  assert.equal(hub.membersByKey("nobody"), undefined);
});

Deno.test("Hub.exit() is idempotent and reports the room", () => {
  const hub = new TestHub();
  const alice = hub.member("alice");
  hub.enter(alice);
  assert.equal(hub.exit(alice), LOBBY);
  assert.equal(hub.exit(alice), undefined);
  assert.equal(hub.find("alice"), undefined);
  assert.throws(() => hub.join(alice, "x"), RangeError);
});

Deno.test("Hub.enter() refuses a second member with the same name", () => {
  const hub = new TestHub();
  hub.enter(hub.member("alice"));
  assert.throws(
    () => hub.enter({ username: "Alice", usernameKey: "alice" }),
    RangeError,
  );
});

Deno.test("normalizeRoomName() follows the username rules", () => {
  assert.equal(normalizeRoomName("大厅").ok, true);
  assert.equal(normalizeRoomName("a".repeat(32)).ok, true);
  assert.equal(normalizeRoomName("a".repeat(33)).ok, false);
  assert.equal(normalizeRoomName("").ok, false);
  assert.equal(normalizeRoomName("a=b").ok, false);
});

Deno.test("Hub.roomKeyOf() names a member's room key; empty rooms are forgotten", () => {
  const hub = new TestHub();
  const alice = hub.member("alice");
  const bob = hub.member("bob");
  const carol = hub.member("carol");
  for (const m of [alice, bob, carol]) hub.enter(m);
  hub.join(alice, "Dev");
  hub.join(bob, "dev");
  assert.equal(hub.roomKeyOf(alice), "dev");
  assert.equal(hub.roomKeyOf(carol), LOBBY, "the lobby's key is its name");
  assert.deepEqual([...hub.membersByKey("dev")!], [alice, bob]);
  hub.exit(alice);
  assert.equal(hub.roomKeyOf(alice), undefined);
  assert.deepEqual([...hub.membersByKey("dev")!], [bob]);
  hub.exit(bob);
  assert.equal(hub.memberCount("Dev"), 0, "the empty room is forgotten");
  assert.deepEqual(hub.rooms().map((room) => room.name), [LOBBY]);
});
