import assert from "node:assert/strict";
import {
  pullReply,
  REPLY_TIMEOUT_MS,
  type ReplySource,
  ReplyWaiter,
  type Timers,
} from "../../lib/client/reply_waiter.ts";
import type { Reply } from "../../lib/protocol/protocol.ts";

/** Timers that fire only when told to. */
class ManualTimers implements Timers {
  due = new Map<number, { fn: () => void; ms: number }>();
  #next = 1;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.due.set(id, { fn, ms });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.due.delete(handle as number);
  }

  /** Fires every timer set so far. */
  fireAll(): void {
    const due = [...this.due.values()];
    this.due.clear();
    for (const timer of due) timer.fn();
  }
}

/** A connection's queue of lines, fed by the test. */
class FakeSource implements ReplySource {
  queue: Reply[] = [];
  ended = false;
  #wake: (() => void) | undefined;

  push(reply: Reply): void {
    this.queue.push(reply);
    this.#wake?.();
  }

  end(): void {
    this.ended = true;
    this.#wake?.();
  }

  async next(_timeoutMs: number, signal?: AbortSignal) {
    while (true) {
      if (signal?.aborted) return undefined;
      if (this.queue.length > 0) return this.queue.shift();
      if (this.ended) return undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        signal?.addEventListener("abort", () => resolve(), { once: true });
      });
    }
  }
}

const PONG: Reply = { type: "pong", token: "1" };
const WELCOME: Reply = { type: "welcome", username: "amy", onlineCount: 1 };

Deno.test("ReplyWaiter.request() resolves the matching reply and leaves others to the reader", async () => {
  const timers = new ManualTimers();
  const waiter = new ReplyWaiter(timers);
  const sent: string[] = [];
  const result = waiter.request(() => {
    sent.push("ping");
    return Promise.resolve();
  }, ["pong"]);
  assert.deepEqual(sent, ["ping"]);
  assert.equal(waiter.waiting, true);
  assert.deepEqual([...timers.due.values()].map((t) => t.ms), [5000]);
  assert.equal(waiter.offer(WELCOME), false);
  assert.equal(waiter.offer(PONG), true);
  assert.deepEqual(await result, { type: "reply", reply: PONG });
  assert.equal(waiter.waiting, false);
  assert.equal(timers.due.size, 0, "the timer is cleared");
  assert.equal(waiter.offer(PONG), false, "nothing is awaited any more");
});

Deno.test("ReplyWaiter.request() resolves timeout when the timer fires", async () => {
  const timers = new ManualTimers();
  const waiter = new ReplyWaiter(timers);
  const result = waiter.request(() => Promise.resolve(), ["pong"], 300);
  assert.deepEqual([...timers.due.values()].map((t) => t.ms), [300]);
  timers.fireAll();
  assert.deepEqual(await result, { type: "timeout" });
  assert.equal(waiter.offer(PONG), false, "a late reply is not taken");
});

Deno.test("ReplyWaiter.close() and a failed send resolve closed", async () => {
  const timers = new ManualTimers();
  const waiter = new ReplyWaiter(timers);
  const closed = waiter.request(() => Promise.resolve(), ["pong"]);
  waiter.close();
  assert.deepEqual(await closed, { type: "closed" });
  const failed = waiter.request(
    () => Promise.reject(new Error("broken pipe")),
    ["pong"],
  );
  assert.deepEqual(await failed, { type: "closed" });
  assert.equal(timers.due.size, 0);
  waiter.close(); // nothing pending: no effect
});

Deno.test("ReplyWaiter.request() refuses a second wait while one is pending", () => {
  const waiter = new ReplyWaiter(new ManualTimers());
  waiter.request(() => Promise.resolve(), ["pong"]);
  assert.throws(
    () => waiter.request(() => Promise.resolve(), ["pong"]),
    Error,
  );
  waiter.close();
});

Deno.test("pullReply() reads until the reply, passes others on, leaves later lines queued", async () => {
  const source = new FakeSource();
  source.push(WELCOME);
  const others: Reply[] = [];
  const result = pullReply(source, ["pong"], {
    send: () => {
      source.push(PONG);
      source.push({ type: "logout_success" });
      return Promise.resolve();
    },
    other: (reply) => others.push(reply),
    timers: new ManualTimers(),
  });
  assert.deepEqual(await result, { type: "reply", reply: PONG });
  assert.deepEqual(others, [WELCOME]);
  assert.deepEqual(source.queue, [{ type: "logout_success" }]);
});

Deno.test("pullReply() resolves timeout and takes nothing after it", async () => {
  const source = new FakeSource();
  const timers = new ManualTimers();
  const result = pullReply(source, ["pong"], { timers });
  await Promise.resolve();
  assert.deepEqual([...timers.due.values()].map((t) => t.ms), [
    REPLY_TIMEOUT_MS,
  ]);
  timers.fireAll();
  assert.deepEqual(await result, { type: "timeout" });
  source.push(PONG);
  assert.deepEqual(source.queue, [PONG]);
});

Deno.test("pullReply() resolves closed when the connection ends while waiting", async () => {
  const source = new FakeSource();
  const timers = new ManualTimers();
  const result = pullReply(source, ["pong"], { timers });
  source.push(WELCOME); // dropped: no `other`
  source.end();
  assert.deepEqual(await result, { type: "closed" });
  assert.equal(timers.due.size, 0);
});
