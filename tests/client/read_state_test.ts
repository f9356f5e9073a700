import assert from "node:assert/strict";
import {
  initialReadState,
  isDelivered,
  type ReadOutput,
  type ReadState,
  readStep,
  unreadCount,
} from "../../lib/client/read_state.ts";
import type { Reply } from "../../lib/protocol/protocol.ts";

/** Runs `replies` from `state`; the final state and every output in order. */
function run(replies: Reply[], state: ReadState = initialReadState()) {
  const outputs: ReadOutput[] = [];
  for (const reply of replies) {
    const next = readStep(state, reply);
    state = next.state;
    outputs.push(...next.outputs);
  }
  return { state, outputs };
}

function receipt(
  user: string,
  id: number,
  state: "delivered" | "read",
  time = 1000,
): Reply {
  return { type: "pm_receipt", user, id, state, time };
}

function ownCopy(to: string, id: number): Extract<Reply, { type: "private" }> {
  return { type: "private", id, time: 0, from: "小王", to, text: "在吗？" };
}

Deno.test("readStep(): a delivered receipt marks the own copies up to its id, for that partner only, silently", () => {
  const { state, outputs } = run([receipt("张三", 10, "delivered")]);
  assert.deepEqual(outputs, []);
  assert.equal(isDelivered(state, ownCopy("张三", 10)), true);
  assert.equal(isDelivered(state, ownCopy("张三", 9)), true);
  assert.equal(isDelivered(state, ownCopy("张三", 11)), false);
  assert.equal(isDelivered(state, ownCopy("李四", 10)), false);
  // An older delivered receipt (stored messages, at the partner's login) keeps the newest.
  const later = run([receipt("张三", 4, "delivered")], state).state;
  assert.equal(isDelivered(later, ownCopy("张三", 10)), true);
});

Deno.test("readStep(): a read receipt is shown once per partner and id, never for an older id", () => {
  const { state, outputs } = run([
    receipt("张三", 10, "read", 5000),
    receipt("张三", 10, "read", 6000),
    receipt("Zhang", 3, "read", 7000),
    receipt("张三", 8, "read", 8000),
    receipt("zhang", 3, "read", 9000), // the same partner, another spelling
    receipt("张三", 12, "read", 10000),
  ]);
  assert.deepEqual(outputs, [
    { type: "pm_read", user: "张三", time: 5000 },
    { type: "pm_read", user: "Zhang", time: 7000 },
    { type: "pm_read", user: "张三", time: 10000 },
  ]);
  // What was read was delivered.
  assert.equal(isDelivered(state, ownCopy("张三", 12)), true);
});

Deno.test("readStep(): the first UNREAD (at login) is summed up when it lists a room; later ones update silently", () => {
  const login: Reply = {
    type: "unread",
    rooms: [{ name: "技术", count: 12 }, { name: "闲聊", count: 3 }],
  };
  const first = run([login]);
  assert.deepEqual(first.outputs, [{
    type: "unread_summary",
    rooms: [{ name: "技术", count: 12 }, { name: "闲聊", count: 3 }],
  }]);
  assert.equal(unreadCount(first.state, "技术"), 12);
  // A complete list each time: a room left out has none.
  const live = run(
    [{ type: "unread", rooms: [{ name: "闲聊", count: 4 }] }],
    first.state,
  );
  assert.deepEqual(live.outputs, []);
  assert.equal(unreadCount(live.state, "技术"), 0);
  assert.equal(unreadCount(live.state, "闲聊"), 4);
  assert.deepEqual([...live.state.unread], [["闲聊", 4]]);
});

Deno.test("readStep(): an empty UNREAD at login says nothing, and a later one with rooms says nothing either", () => {
  const { state, outputs } = run([
    { type: "unread", rooms: [] },
    { type: "unread", rooms: [{ name: "技术", count: 2 }] },
  ]);
  assert.deepEqual(outputs, []);
  assert.equal(unreadCount(state, "技术"), 2);
});

Deno.test("readStep(): JOINED sets the joined room's count to 0 and keeps the others", () => {
  const { state } = run([
    {
      type: "unread",
      rooms: [{ name: "技术", count: 12 }, { name: "闲聊", count: 3 }],
    },
    { type: "joined", room: "技术", memberCount: 2 },
  ]);
  assert.deepEqual([...state.unread], [["闲聊", 3]]);
});

Deno.test("readStep() leaves the state it is given as it was, and other lines alone", () => {
  const start = run([receipt("张三", 1, "delivered")]).state;
  const before = JSON.stringify([...start.delivered]);
  const next = readStep(start, receipt("张三", 5, "read"));
  assert.notEqual(next.state, start);
  assert.equal(JSON.stringify([...start.delivered]), before);
  assert.equal(start.readShown.size, 0);
  const other = readStep(start, { type: "pong", token: "x" });
  assert.equal(other.state, start);
  assert.deepEqual(other.outputs, []);
});
