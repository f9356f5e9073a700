import assert from "node:assert/strict";
import {
  encodeEvent,
  encodeReply,
  MAX_LIST_LINE,
} from "../../../../lib/server/adapters/native/native_encoding.ts";
import type { ChatEvent } from "../../../../lib/server/chat/events.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("encodeEvent() writes each chat event as its native line", () => {
  const cases: [ChatEvent, string][] = [
    [
      {
        type: "room_message",
        id: 7,
        time: 1000,
        sender: "ann",
        text: "hi there",
      },
      "MESSAGE 7 1000 ann hi there\n",
    ],
    [
      {
        type: "private_message",
        id: 8,
        time: 1000,
        from: "ann",
        to: "bob",
        text: "psst",
      },
      "PRIVATE 8 1000 ann bob psst\n",
    ],
    [
      { type: "message_deleted", id: 7, by: "boss" },
      "MESSAGE_DELETED 7 boss\n",
    ],
    [
      { type: "member_joined", time: 5, username: "ann" },
      "USER_JOINED 5 ann\n",
    ],
    [{ type: "member_left", time: 5, username: "ann" }, "USER_LEFT 5 ann\n"],
    [
      { type: "member_left", time: 5, username: "ann", to: "games" },
      "USER_LEFT 5 ann games\n",
    ],
    [
      { type: "presence_summary", time: 5, joined: 40, left: 2 },
      "PRESENCE 5 40 2\n",
    ],
    [
      { type: "offline_delivered", to: "bob", count: 3 },
      "PM_DELIVERED bob 3\n",
    ],
    [{ type: "muted", until: 99, reason: "spam" }, "MUTED 99 spam\n"],
    [{ type: "unmuted" }, "UNMUTED\n"],
  ];
  for (const [event, line] of cases) {
    assert.equal(text(encodeEvent(event)), line);
  }
});

Deno.test("encodeReply() cuts USER_LIST and ROOM_LIST to what fits one line", () => {
  const users = Array.from({ length: 2000 }, (_, i) => `user${i}`);
  const line = text(encodeReply({ type: "user_list", scope: "*", users }));
  assert.ok(line.length <= MAX_LIST_LINE + 1);
  const kept = line.trimEnd().split(" ").slice(2);
  assert.deepEqual(
    kept,
    users.slice(0, kept.length),
    "the first ones, in order",
  );
  // One more would not have fitted.
  const longer = `USER_LIST * ${users.slice(0, kept.length + 1).join(" ")}`;
  assert.ok(new TextEncoder().encode(longer).length > MAX_LIST_LINE);

  const rooms = Array.from(
    { length: 900 },
    (_, i) => ({ name: `room${i}`, memberCount: i }),
  );
  const roomLine = text(encodeReply({ type: "room_list", rooms }));
  assert.ok(roomLine.length <= MAX_LIST_LINE + 1);
  assert.match(roomLine, /^ROOM_LIST room0=0 room1=1 /);

  const small = text(
    encodeReply({ type: "user_list", scope: "大厅", users: ["a", "b"] }),
  );
  assert.equal(small, "USER_LIST 大厅 a b\n");
});
