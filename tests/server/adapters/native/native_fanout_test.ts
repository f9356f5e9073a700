import assert from "node:assert/strict";
import {
  type ChatMember,
  ChatService,
} from "../../../../lib/server/chat/chat_service.ts";
import { LocalSessionRegistry } from "../../../../lib/server/registry/session_registry.ts";
import { NativeFanout } from "../../../../lib/server/adapters/native/native_fanout.ts";
import { ManualClock } from "../../../../lib/shared/clock.ts";
import { tempStore } from "../../../_util.ts";

interface Recorded {
  member: ChatMember;
  received: Uint8Array[];
  ended: string[];
}

Deno.test("NativeFanout encodes an event once for all its members and leaves other adapters' members alone", async () => {
  await using db = await tempStore();
  const registry = new LocalSessionRegistry<ChatMember>();
  const chat = new ChatService({
    store: db.store,
    registry,
    clock: new ManualClock(),
    historyFlushDelayMs: 0,
  });
  const fanout = new NativeFanout(chat);
  const otherAdapter = {};
  const make = (name: string, adapter: object): Recorded => {
    const received: Uint8Array[] = [];
    const ended: string[] = [];
    registry.claim({
      username: name,
      usernameKey: name,
      accountId: 1,
      isAdmin: false,
      address: "::1",
    });
    const member: ChatMember = {
      username: name,
      usernameKey: name,
      accountId: 1,
      address: "::1",
      send: () => {},
      outlet: {
        adapter,
        deliver: (bytes) => received.push(bytes),
        end: (code) => ended.push(code),
      },
    };
    chat.hub.enter(member);
    return { member, received, ended };
  };
  const [ann, bob, cat] = [
    make("ann", fanout),
    make("bob", fanout),
    make("cat", fanout),
  ];
  const irc = make("irc", otherAdapter);
  chat.bus.publish({
    audience: { kind: "room", room: "大厅", except: "ann" },
    event: { type: "room_message", id: 1, time: 2, sender: "ann", text: "hi" },
  });
  assert.equal(ann!.received.length, 0, "not to the one excepted");
  assert.equal(bob!.received.length, 1);
  assert.equal(
    bob!.received[0],
    cat!.received[0],
    "the same bytes: encoded once",
  );
  assert.equal(irc.received.length, 0, "another adapter's member");

  chat.bus.publish({
    audience: { kind: "user", user: "cat" },
    event: { type: "session_ended", reason: "kicked", message: "" },
  });
  assert.deepEqual(cat!.ended, ["kicked"]);
  chat.bus.publish({
    audience: { kind: "everyone" },
    event: { type: "unmuted" },
  });
  assert.deepEqual([ann, bob, cat].map((r) => r!.received.length), [1, 2, 2]);

  fanout.close();
  chat.bus.publish({
    audience: { kind: "everyone" },
    event: { type: "unmuted" },
  });
  assert.equal(bob!.received.length, 2, "nothing after close()");
  await chat.close();
});
