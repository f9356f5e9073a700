import assert from "node:assert/strict";
import {
  initialRoomState,
  isMuted,
  MAX_SHOWN_IDS,
  pageBack,
  reduce,
  type RoomEvent,
  type RoomOutput,
  type RoomState,
  step,
} from "../../lib/client/room_state.ts";
import { LOBBY, type Reply } from "../../lib/protocol/protocol.ts";

const T0 = Date.UTC(2026, 0, 1, 12);

function reply(r: Reply, now = T0): RoomEvent {
  return { type: "reply", reply: r, now };
}

function joined(room: string): RoomEvent {
  return { type: "joined", reply: { type: "joined", room, memberCount: 2 } };
}

function message(id: number, sender = "bob"): Reply {
  return {
    type: "message",
    id,
    sender,
    text: `m${id}`,
    time: T0,
  };
}

function historyMessage(id: number, sender = "bob"): Reply {
  return {
    type: "history_message",
    id,
    sender,
    text: `h${id}`,
    time: T0 + id,
  };
}

/** Runs `events` from `state`; the final state and every output in order. */
function run(state: RoomState, events: RoomEvent[]) {
  const outputs: RoomOutput[] = [];
  for (const event of events) {
    const next = step(state, event);
    state = next.state;
    outputs.push(...next.outputs);
  }
  return { state, outputs };
}

/** The state after joining "tech" and its automatic history of ids 1 and 2. */
function inTech(): RoomState {
  return run(initialRoomState("amy"), [
    joined("tech"),
    reply({ type: "history_begin", room: "tech", count: 2 }),
    reply(historyMessage(1)),
    reply(historyMessage(2)),
    reply({ type: "history_end", room: "tech", more: false }),
  ]).state;
}

Deno.test("step(): JOINED moves to the room, forgets the old room's ids and shows it", () => {
  const before = { ...initialRoomState("amy"), oldestId: 3, newestId: 9 };
  const { state, outputs } = step(before, joined("tech"));
  assert.equal(state.room, "tech");
  assert.equal(state.afterJoined, true);
  assert.equal(state.oldestId, undefined);
  assert.equal(state.newestId, undefined);
  assert.deepEqual(state.shownIds, new Set());
  assert.deepEqual(outputs, [{
    type: "show",
    reply: { type: "joined", room: "tech", memberCount: 2 },
    now: 0,
  }]);
});

Deno.test("step(): the automatic history after JOINED is shown with date lines, its ids noted", () => {
  const begin: Reply = { type: "history_begin", room: "tech", count: 2 };
  const end: Reply = { type: "history_end", room: "tech", more: false };
  const { state, outputs } = run(
    step(initialRoomState("amy"), joined("tech")).state,
    [
      reply(begin),
      reply(historyMessage(1)),
      reply(historyMessage(2)),
      reply(end),
    ],
  );
  assert.deepEqual(outputs, [
    { type: "days_begin" },
    { type: "show", reply: begin, now: 0 },
    { type: "day", time: T0 + 1 },
    { type: "show", reply: historyMessage(1), now: 0 },
    { type: "day", time: T0 + 2 },
    { type: "show", reply: historyMessage(2), now: 0 },
    { type: "show", reply: end, now: 0 },
  ]);
  assert.equal(state.afterJoined, false);
  assert.equal(state.block, undefined);
  assert.deepEqual([state.oldestId, state.newestId], [1, 2]);
  assert.deepEqual(pageBack(state, 20), {
    type: "history",
    count: 20,
    before: 1,
  });
  assert.deepEqual(pageBack(initialRoomState("amy"), 20), {
    type: "history",
    count: 20,
  });
});

Deno.test("step(): a message shown once is not shown again", () => {
  const first = step(inTech(), reply(message(3)));
  assert.deepEqual(first.outputs, [{
    type: "show",
    reply: message(3),
    now: T0,
  }]);
  assert.equal(first.state.newestId, 3);
  assert.deepEqual(step(first.state, reply(message(3))).outputs, []);
  assert.deepEqual(step(first.state, reply(message(2))).outputs, []);
});

Deno.test("step(): an empty /history says so; an empty automatic one says nothing", () => {
  const end: Reply = { type: "history_end", room: "tech", more: false };
  const paged = run(inTech(), [
    reply({ type: "history_begin", room: "tech", count: 0 }),
    reply(end),
  ]);
  assert.deepEqual(paged.outputs, [
    { type: "days_begin" },
    {
      type: "show",
      reply: { type: "history_begin", room: "tech", count: 0 },
      now: 0,
    },
    { type: "system", key: "viewHistoryNone" },
  ]);
  const auto = run(initialRoomState("amy"), [
    joined("tech"),
    reply({ type: "history_begin", room: "tech", count: 0 }),
    reply(end),
  ]);
  // The joined line and the (empty) begin, which renders as nothing; no end.
  assert.deepEqual(auto.outputs, [
    {
      type: "show",
      reply: { type: "joined", room: "tech", memberCount: 2 },
      now: 0,
    },
    { type: "days_begin" },
    {
      type: "show",
      reply: { type: "history_begin", room: "tech", count: 0 },
      now: 0,
    },
  ]);
});

Deno.test("step(): shown ids are bounded, the oldest forgotten first", () => {
  let state = inTech();
  for (let id = 3; id <= MAX_SHOWN_IDS + 2; id++) {
    state = reduce(state, reply(message(id)));
  }
  assert.equal(state.shownIds.size, MAX_SHOWN_IDS);
  assert.equal(state.shownIds.has(1), false);
  assert.equal(state.shownIds.has(2), false);
  assert.equal(state.shownIds.has(3), true);
  assert.equal(step(state, reply(message(1))).outputs.length, 1);
});

Deno.test("step(): a mute is noted, the same mute again is a refusal, UNMUTED clears it", () => {
  const muted: Reply = { type: "muted", until: T0 + 60_000, reason: "spam" };
  const told = step(inTech(), reply(muted));
  assert.deepEqual(told.state.mute, { until: T0 + 60_000, reason: "spam" });
  assert.deepEqual(told.outputs, [{ type: "show", reply: muted, now: T0 }]);
  assert.equal(isMuted(told.state, T0), true);
  assert.equal(isMuted(told.state, T0 + 60_000), false);
  const refused = step(told.state, reply(muted, T0 + 1000));
  assert.deepEqual(refused.outputs, [{
    type: "muted_refusal",
    reply: muted,
    now: T0 + 1000,
  }]);
  const unmuted: Reply = { type: "unmuted" };
  const cleared = step(told.state, reply(unmuted));
  assert.equal(cleared.state.mute, undefined);
  assert.equal(isMuted(cleared.state, T0), false);
});

Deno.test("step(): the welcome is shown once", () => {
  const welcome: Reply = { type: "welcome", username: "amy", onlineCount: 3 };
  const first = step(initialRoomState("amy"), reply(welcome));
  assert.deepEqual(first.outputs, [{ type: "welcome", reply: welcome }]);
  assert.equal(first.state.started, true);
  assert.deepEqual(step(first.state, reply(welcome)).outputs, []);
});

Deno.test("step(): after a resume, back to the room, then the missed messages once, with their ids", () => {
  const start = inTech();
  const resumed = step(start, { type: "resumed" });
  assert.deepEqual(resumed.outputs, [
    { type: "send", command: { type: "join", room: "tech" } },
    { type: "send", command: { type: "history", count: 100, after: 2 } },
  ]);
  assert.deepEqual(resumed.state.catchUp, {
    room: "tech",
    inRoom: false,
    pages: 0,
    shown: 0,
  });
  const end: Reply = { type: "history_end", room: "tech", more: false };
  const { state, outputs } = run(resumed.state, [
    // The lobby's events are not the user's until back in the room.
    reply(message(50)),
    joined("lobby"),
    joined("tech"),
    // The automatic history after JOINED is skipped.
    reply({ type: "history_begin", room: "tech", count: 1 }),
    reply(historyMessage(2)),
    reply(end),
    // The catch-up: page one says there is more.
    reply({ type: "history_begin", room: "tech", count: 2 }),
    reply(historyMessage(3, "amy")), // own: noted, not repeated
    reply(historyMessage(4)),
    reply({ type: "history_end", room: "tech", more: true }),
    reply({ type: "history_begin", room: "tech", count: 1 }),
    reply(historyMessage(5)),
    reply(end),
  ]);
  assert.deepEqual(outputs, [
    { type: "days_begin" }, // the skipped automatic block
    { type: "days_begin" }, // the catch-up's first page
    { type: "heading", key: "viewCatchUpBegin" },
    { type: "day", time: T0 + 4 },
    { type: "chat_line", sender: "bob", text: "h4", time: T0 + 4, id: 4 },
    { type: "send", command: { type: "history", count: 100, after: 4 } },
    { type: "day", time: T0 + 5 },
    { type: "chat_line", sender: "bob", text: "h5", time: T0 + 5, id: 5 },
    { type: "heading", key: "viewCatchUpEnd" },
  ]);
  assert.equal(state.room, "tech");
  assert.equal(state.catchUp, undefined);
  assert.deepEqual([state.oldestId, state.newestId], [1, 5]);
  assert.equal(state.shownIds.has(3), true);
  assert.equal(state.shownIds.has(50), false);
});

Deno.test("step(): a resume in the lobby with nothing missed says so", () => {
  const { outputs, state } = run(initialRoomState("amy"), [
    { type: "resumed" },
    joined(LOBBY),
    reply({ type: "history_begin", room: LOBBY, count: 0 }),
    reply({ type: "history_end", room: LOBBY, more: false }),
    reply({ type: "history_begin", room: LOBBY, count: 0 }),
    reply({ type: "history_end", room: LOBBY, more: false }),
  ]);
  assert.deepEqual(outputs, [
    { type: "send", command: { type: "history", count: 100, after: 0 } },
    { type: "days_begin" },
    { type: "days_begin" },
    { type: "system", key: "viewCatchUpNone" },
  ]);
  assert.equal(state.catchUp, undefined);
});

Deno.test("step() and reduce() leave the state they are given as it was", () => {
  const before = inTech();
  const snapshot = structuredClone(before);
  step(before, reply(message(7)));
  reduce(before, joined("lobby"));
  reduce(before, { type: "resumed" });
  assert.deepEqual(before, snapshot);
});
