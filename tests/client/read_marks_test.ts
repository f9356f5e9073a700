import assert from "node:assert/strict";
import {
  READ_INTERVAL_MS,
  ReadMarks,
  readTargetOf,
} from "../../lib/client/read_marks.ts";
import type { Timers } from "../../lib/client/reply_waiter.ts";
import { ManualClock } from "../../lib/shared/clock.ts";
import type { Reply } from "../../lib/protocol/protocol.ts";

/** Timers that fire only when the test moves the clock past them. */
class FakeTimers implements Timers {
  #clock: ManualClock;
  #next = 1;
  #due = new Map<number, { at: number; fn: () => void }>();

  constructor(clock: ManualClock) {
    this.#clock = clock;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const handle = this.#next++;
    this.#due.set(handle, { at: this.#clock.now() + ms, fn });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.#due.delete(handle as number);
  }

  /** How many timers wait. */
  get pending(): number {
    return this.#due.size;
  }

  /** Moves the clock by `ms`, firing the timers that fall due, in order. */
  advance(ms: number): void {
    const end = this.#clock.now() + ms;
    while (true) {
      const due = [...this.#due].filter(([, timer]) => timer.at <= end)
        .sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.#due.delete(due[0]);
      this.#clock.set(Math.max(this.#clock.now(), due[1].at));
      due[1].fn();
    }
    this.#clock.set(end);
  }
}

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const timers = new FakeTimers(clock);
  const sent: string[] = [];
  const marks = new ReadMarks({
    clock,
    timers,
    send: (command) => {
      sent.push(`READ ${command.target} ${command.id}`);
      return Promise.resolve();
    },
  });
  return { clock, timers, sent, marks };
}

Deno.test("ReadMarks sends the first READ at once, then the newest at most once a second", () => {
  const { timers, sent, marks } = setup();
  marks.enterRoom("大厅");
  marks.seen({ kind: "room", id: 10 });
  assert.deepEqual(sent, ["READ #大厅 10"]);
  marks.seen({ kind: "room", id: 11 });
  marks.seen({ kind: "room", id: 12 });
  assert.deepEqual(sent, ["READ #大厅 10"], "waits for the second to pass");
  timers.advance(READ_INTERVAL_MS - 1);
  assert.deepEqual(sent, ["READ #大厅 10"]);
  timers.advance(1);
  assert.deepEqual(sent, ["READ #大厅 10", "READ #大厅 12"]);
  // Long after the last one: at once again.
  timers.advance(5000);
  marks.seen({ kind: "room", id: 13 });
  assert.deepEqual(sent.at(-1), "READ #大厅 13");
  assert.equal(timers.pending, 0);
  marks.close();
});

Deno.test("ReadMarks sends only forward: an id not above the last sent or pending is dropped", () => {
  const { timers, sent, marks } = setup();
  marks.enterRoom("技术");
  marks.seen({ kind: "room", id: 20 });
  marks.seen({ kind: "room", id: 20 });
  marks.seen({ kind: "room", id: 5 }); // an older page of /history
  timers.advance(3000);
  assert.deepEqual(sent, ["READ #技术 20"]);
  marks.seen({ kind: "room", id: 25 });
  marks.seen({ kind: "room", id: 22 });
  timers.advance(3000);
  assert.deepEqual(sent, ["READ #技术 20", "READ #技术 25"]);
  marks.close();
});

Deno.test("ReadMarks keeps one interval per conversation: rooms and each private partner", () => {
  const { timers, sent, marks } = setup();
  marks.enterRoom("大厅");
  marks.seen({ kind: "room", id: 1 });
  marks.seen({ kind: "user", user: "张三", id: 2 });
  marks.seen({ kind: "user", user: "Bob", id: 3 });
  // The same partner by another spelling of the name: one conversation.
  marks.seen({ kind: "user", user: "bob", id: 4 });
  assert.deepEqual(sent, ["READ #大厅 1", "READ 张三 2", "READ Bob 3"]);
  timers.advance(READ_INTERVAL_MS);
  assert.deepEqual(sent.slice(3), ["READ Bob 4"]);
  marks.close();
});

Deno.test("ReadMarks.leaveRoom() sends the room's pending READ before the JOIN, and drops room news until enterRoom()", async () => {
  const { timers, sent, marks } = setup();
  marks.enterRoom("大厅");
  marks.seen({ kind: "room", id: 1 });
  marks.seen({ kind: "room", id: 2 }); // pending
  marks.seen({ kind: "user", user: "bob", id: 3 });
  marks.seen({ kind: "user", user: "bob", id: 4 }); // pending, not the room's
  await marks.leaveRoom();
  sent.push("JOIN 技术");
  // A message of the old room shown before JOINED: the server would refuse it.
  marks.seen({ kind: "room", id: 5 });
  marks.enterRoom("技术");
  marks.seen({ kind: "room", id: 9 });
  timers.advance(READ_INTERVAL_MS);
  assert.deepEqual(sent, [
    "READ #大厅 1",
    "READ bob 3",
    "READ #大厅 2",
    "JOIN 技术",
    "READ #技术 9",
    "READ bob 4",
  ]);
  marks.close();
});

Deno.test("ReadMarks.enterRoom() drops what another room still had pending", () => {
  const { timers, sent, marks } = setup();
  marks.enterRoom("大厅");
  marks.seen({ kind: "room", id: 1 });
  marks.seen({ kind: "room", id: 2 }); // pending when the room changes
  marks.enterRoom("技术");
  timers.advance(5000);
  assert.deepEqual(sent, ["READ #大厅 1"]);
  assert.equal(timers.pending, 0);
  marks.close();
});

Deno.test("ReadMarks.flushAll() sends everything pending (before LOGOUT); close() stops the timers", async () => {
  const { timers, sent, marks } = setup();
  marks.enterRoom("大厅");
  marks.seen({ kind: "room", id: 1 });
  marks.seen({ kind: "room", id: 2 });
  marks.seen({ kind: "user", user: "bob", id: 3 });
  marks.seen({ kind: "user", user: "bob", id: 4 });
  await marks.flushAll();
  sent.push("LOGOUT");
  assert.deepEqual(sent, [
    "READ #大厅 1",
    "READ bob 3",
    "READ #大厅 2",
    "READ bob 4",
    "LOGOUT",
  ]);
  assert.equal(timers.pending, 0);
  marks.seen({ kind: "room", id: 5 });
  marks.close();
  marks.close();
  marks.seen({ kind: "room", id: 6 });
  timers.advance(5000);
  assert.equal(timers.pending, 0);
  assert.deepEqual(sent.slice(5), [], "nothing after close()");
});

Deno.test("ReadMarks.reconnected() drops the room's pending READ (the server put the user in the lobby), not a partner's", () => {
  const { timers, sent, marks } = setup();
  marks.enterRoom("技术");
  marks.seen({ kind: "room", id: 1 });
  marks.seen({ kind: "room", id: 2 });
  marks.seen({ kind: "user", user: "bob", id: 3 });
  marks.seen({ kind: "user", user: "bob", id: 4 });
  marks.reconnected();
  marks.seen({ kind: "room", id: 7 }); // not back in 技术 yet
  timers.advance(READ_INTERVAL_MS);
  assert.deepEqual(sent, ["READ #技术 1", "READ bob 3", "READ bob 4"]);
  marks.enterRoom("技术");
  marks.seen({ kind: "room", id: 8 });
  assert.deepEqual(sent.at(-1), "READ #技术 8");
  marks.close();
});

Deno.test("ReadMarks ignores a failed send: the chat notices the broken connection", async () => {
  const clock = new ManualClock();
  const marks = new ReadMarks({
    clock,
    timers: new FakeTimers(clock),
    send: () => Promise.reject(new Error("broken pipe")),
  });
  marks.enterRoom("大厅");
  marks.seen({ kind: "room", id: 1 });
  await marks.flushAll();
  marks.close();
});

Deno.test("readTargetOf() names the conversation a printed line moves forward", async (t) => {
  const time = 0;
  const cases: Array<[string, Reply, ReturnType<typeof readTargetOf>]> = [
    ["MESSAGE", {
      type: "message",
      id: 5,
      time,
      sender: "bob",
      text: "hi",
    }, { kind: "room", id: 5 }],
    ["HISTORY_MESSAGE", {
      type: "history_message",
      id: 6,
      time,
      sender: "bob",
      text: "hi",
    }, { kind: "room", id: 6 }],
    ["HISTORY_FILE", {
      type: "history_file",
      messageId: 7,
      time,
      sender: "bob",
      id: 70,
      size: 1,
      name: "a.txt",
    }, { kind: "room", id: 7 }],
    ["FILE_SHARED to the room", {
      type: "file_shared",
      messageId: 8,
      time,
      sender: "bob",
      target: "#大厅",
      id: 80,
      size: 1,
      name: "a.txt",
    }, { kind: "room", id: 8 }],
    ["FILE_SHARED with the user", {
      type: "file_shared",
      messageId: 9,
      time,
      sender: "bob",
      target: "Amy",
      id: 90,
      size: 1,
      name: "a.txt",
    }, { kind: "user", user: "bob", id: 9 }],
    ["FILE_SHARED by the user to someone (the copy)", {
      type: "file_shared",
      messageId: 10,
      time,
      sender: "amy",
      target: "bob",
      id: 100,
      size: 1,
      name: "a.txt",
    }, undefined],
    ["PRIVATE from someone", {
      type: "private",
      id: 11,
      time,
      from: "张三",
      to: "amy",
      text: "在吗",
    }, { kind: "user", user: "张三", id: 11 }],
    ["PRIVATE, the own copy", {
      type: "private",
      id: 12,
      time,
      from: "amy",
      to: "张三",
      text: "在",
    }, undefined],
    ["USER_JOINED", { type: "user_joined", time, username: "bob" }, undefined],
  ];
  for (const [name, reply, expected] of cases) {
    await t.step(
      name,
      () => assert.deepEqual(readTargetOf(reply, "amy"), expected),
    );
  }
});
