import assert from "node:assert/strict";
import { HistoryWriter } from "../../../lib/server/chat/history_writer.ts";
import { type StoredMessage, StoreError } from "../../../lib/store/store.ts";
import { DatabaseSync } from "node:sqlite";
import { tempStore } from "../../_util.ts";

function message(id: number): StoredMessage {
  return {
    id,
    room: "lobby",
    sender: "alice",
    recipient: null,
    text: `message ${id}`,
    createdAt: id,
  };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/**
 * A store that records each insertMessages call. With `manual`, each call
 * waits until the test settles it through `settle()`.
 */
class FakeStore {
  calls: number[][] = [];
  manual = false;
  fail: unknown = undefined;
  #waiters: Array<() => void> = [];
  #pending: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];

  insertMessages(messages: readonly StoredMessage[]): Promise<void> {
    this.calls.push(messages.map((m) => m.id));
    for (const wake of this.#waiters.splice(0)) wake();
    if (this.fail !== undefined) return Promise.reject(this.fail);
    if (!this.manual) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve, reject });
    });
  }

  /** Resolves once insertMessages has been called `n` times in total. */
  async calledTimes(n: number): Promise<void> {
    while (this.calls.length < n) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Settles the oldest call still waiting. */
  settle(error?: unknown): void {
    const call = this.#pending.shift();
    assert.ok(call, "no insertMessages call is waiting");
    if (error === undefined) call.resolve();
    else call.reject(error);
  }
}

Deno.test("HistoryWriter batches 1,000 appends into few writes, in order", async () => {
  const store = new FakeStore();
  await using writer = new HistoryWriter(store, { maxBatch: 500 });
  for (const id of range(1, 1_000)) writer.append(message(id));
  assert.equal(store.calls.length, 0, "append() never writes synchronously");
  assert.equal(writer.pending, 1_000);
  await store.calledTimes(1);
  await writer.flush();
  assert.ok(store.calls.length <= 2, `${store.calls.length} calls`);
  assert.deepEqual(store.calls.flat(), range(1, 1_000));
  assert.equal(writer.pending, 0);
});

Deno.test("HistoryWriter writes after flushDelayMs without an explicit flush", async () => {
  const store = new FakeStore();
  await using writer = new HistoryWriter(store, { flushDelayMs: 1 });
  writer.append(message(1));
  writer.append(message(2));
  await store.calledTimes(1);
  assert.deepEqual(store.calls, [[1, 2]]);
  writer.append(message(3));
  await store.calledTimes(2);
  assert.deepEqual(store.calls, [[1, 2], [3]]);
});

Deno.test("HistoryWriter.flush() writes everything in one call and serializes concurrent flushes", async () => {
  const store = new FakeStore();
  store.manual = true;
  await using writer = new HistoryWriter(store, { flushDelayMs: 60_000 });
  writer.append(message(1));
  writer.append(message(2));
  const first = writer.flush();
  await store.calledTimes(1);
  writer.append(message(3));
  const second = writer.flush();
  const third = writer.flush();
  assert.equal(writer.pending, 3, "the batch in flight counts as pending");
  // The second flush waits for the first write to finish.
  await Promise.resolve();
  assert.deepEqual(store.calls, [[1, 2]]);
  store.settle();
  await first;
  await store.calledTimes(2);
  assert.deepEqual(store.calls, [[1, 2], [3]]);
  store.settle();
  await second;
  await third;
  assert.equal(store.calls.length, 2, "an empty buffer is not written");
  assert.equal(writer.pending, 0);
  await writer.flush();
  assert.equal(store.calls.length, 2);
});

Deno.test("HistoryWriter reports a failed write through onError and keeps going", async () => {
  const store = new FakeStore();
  const errors: Array<[unknown, number]> = [];
  await using writer = new HistoryWriter(store, {
    onError: (error, lost) => errors.push([error, lost]),
  });
  const failure = new Error("disk full");
  store.fail = failure;
  writer.append(message(1));
  writer.append(message(2));
  await writer.flush();
  assert.deepEqual(errors, [[failure, 2]]);
  assert.equal(writer.pending, 0);
  store.fail = undefined;
  writer.append(message(3));
  await writer.flush();
  assert.deepEqual(store.calls, [[1, 2], [3]]);
  assert.equal(errors.length, 1);
});

Deno.test("HistoryWriter survives an onError callback that throws", async () => {
  const store = new FakeStore();
  store.fail = new Error("broken");
  await using writer = new HistoryWriter(store, {
    onError: () => {
      throw new Error("callback bug");
    },
  });
  writer.append(message(1));
  await writer.flush();
  store.fail = undefined;
  writer.append(message(2));
  await writer.flush();
  assert.deepEqual(store.calls, [[1], [2]]);
});

Deno.test("HistoryWriter drops the oldest messages beyond maxBuffered", async () => {
  const store = new FakeStore();
  store.manual = true;
  let lost = 0;
  await using writer = new HistoryWriter(store, {
    maxBuffered: 3,
    flushDelayMs: 60_000,
    onError: (error, n) => {
      assert.ok(error instanceof RangeError);
      lost += n;
    },
  });
  for (const id of range(1, 5)) writer.append(message(id));
  assert.equal(lost, 2);
  assert.equal(writer.pending, 3);
  const flushed = writer.flush();
  await store.calledTimes(1);
  store.settle();
  await flushed;
  assert.deepEqual(store.calls, [[3, 4, 5]]);
});

Deno.test("HistoryWriter.close() flushes, stops the timer and refuses later appends", async () => {
  const store = new FakeStore();
  const errors: number[] = [];
  const writer = new HistoryWriter(store, {
    flushDelayMs: 60_000,
    onError: (_error, lost) => errors.push(lost),
  });
  writer.append(message(1));
  // A pending 60 s timer would fail the op sanitizer if close() left it.
  await writer.close();
  assert.deepEqual(store.calls, [[1]]);
  writer.append(message(2));
  assert.deepEqual(errors, [1]);
  assert.equal(writer.pending, 0);
  await writer.close();
  await writer[Symbol.asyncDispose]();
  assert.deepEqual(store.calls, [[1]]);
});

Deno.test("HistoryWriter rejects bad options", () => {
  const store = new FakeStore();
  for (
    const options of [
      { maxBatch: 0 },
      { maxBatch: 1.5 },
      { flushDelayMs: -1 },
      { maxBuffered: 0 },
    ]
  ) {
    assert.throws(() => new HistoryWriter(store, options), RangeError);
  }
});

Deno.test("HistoryWriter stores into SqliteStore and history reads see it after flush()", async () => {
  await using t = await tempStore();
  await using writer = new HistoryWriter(t.store, { maxBatch: 100 });
  for (const id of range(1, 250)) writer.append(message(id));
  await writer.flush();
  const page = await t.store.roomHistory("lobby", { count: 1_000 });
  assert.deepEqual(page.messages.map((m) => m.id), range(1, 250));
  assert.equal(page.more, false);
  assert.equal(await t.store.maxMessageId(), 250);
});

Deno.test("HistoryWriter keeps messages written while another connection holds the lock and stores them after", async () => {
  await using t = await tempStore();
  const lost: number[] = [];
  await using writer = new HistoryWriter(t.store, {
    flushDelayMs: 60_000,
    onError: (_error, n) => lost.push(n),
  });
  using other = new DatabaseSync(t.path);
  other.exec("BEGIN IMMEDIATE");
  for (const id of range(1, 3)) writer.append(message(id));
  // Issue 13: the write fails with busy; the messages must stay buffered.
  await writer.flush();
  assert.deepEqual(lost, []);
  assert.equal(writer.pending, 3);
  other.exec("ROLLBACK");
  await writer.flush();
  const page = await t.store.roomHistory("lobby", { count: 10 });
  assert.deepEqual(page.messages.map((m) => m.id), [1, 2, 3]);
  assert.deepEqual(lost, []);
});

function busy(): StoreError {
  return new StoreError("locked", "x.db", "database is locked");
}

Deno.test("HistoryWriter retries a busy write by its timer, reporting one stall and one recovery", async () => {
  const store = new FakeStore();
  store.fail = busy();
  const events: string[] = [];
  let recovered!: () => void;
  const done = new Promise<void>((resolve) => recovered = resolve);
  await using writer = new HistoryWriter(store, {
    flushDelayMs: 0,
    retryDelayMs: 1,
    maxBatch: 2,
    onError: (_error, n) => events.push(`lost ${n}`),
    onStall: (error, pending) =>
      events.push(`stall ${(error as StoreError).code} ${pending}`),
    onRecover: (stored) => {
      events.push(`recover ${stored}`);
      recovered();
    },
  });
  writer.append(message(1));
  await store.calledTimes(2);
  assert.equal(writer.stalled, true);
  // Appends while stalled wait for the retry timer (no write per append).
  for (const id of range(2, 5)) writer.append(message(id));
  await store.calledTimes(3);
  store.fail = undefined;
  await done;
  assert.equal(writer.pending, 0);
  assert.equal(writer.stalled, false);
  assert.deepEqual(events, ["stall locked 1", "recover 5"]);
  assert.deepEqual(store.calls.at(-1), [1, 2, 3, 4, 5]);
});

Deno.test("HistoryWriter keeps maxBuffered while stalled and says what it dropped", async () => {
  const store = new FakeStore();
  store.fail = busy();
  const lost: number[] = [];
  await using writer = new HistoryWriter(store, {
    flushDelayMs: 60_000,
    retryDelayMs: 60_000,
    maxBuffered: 3,
    closeRetries: 0,
    onError: (_error, n) => lost.push(n),
  });
  writer.append(message(1));
  writer.append(message(2));
  await writer.flush();
  for (const id of range(3, 4)) writer.append(message(id));
  assert.equal(writer.pending, 3);
  assert.deepEqual(lost, [1]);
  store.fail = undefined;
  await writer.flush();
  assert.deepEqual(store.calls.at(-1), [2, 3, 4]);
});

Deno.test("HistoryWriter.close() retries a busy write, then reports what it could not store", async () => {
  const store = new FakeStore();
  store.fail = busy();
  const lost: number[] = [];
  const writer = new HistoryWriter(store, {
    flushDelayMs: 60_000,
    retryDelayMs: 1,
    closeRetries: 2,
    onError: (_error, n) => lost.push(n),
  });
  for (const id of range(1, 3)) writer.append(message(id));
  await writer.close();
  // One write, two retries, then the loss is said, not silent.
  assert.equal(store.calls.length, 3);
  assert.deepEqual(lost, [3]);
  assert.equal(writer.pending, 0);
});
