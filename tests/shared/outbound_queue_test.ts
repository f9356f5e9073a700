import assert from "node:assert/strict";
import { ManualClock } from "../../lib/shared/clock.ts";
import {
  isPeerGoneError,
  OutboundQueue,
  type OutboundQueueOptions,
  type OverflowReason,
} from "../../lib/shared/outbound_queue.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** One call to {@linkcode FakeWriter.write}, settled by the test. */
interface WriteCall {
  bytes: Uint8Array;
  text: string;
  resolve(n: number): void;
  reject(error: unknown): void;
}

/** A writer whose writes stay pending until the test settles them. */
class FakeWriter {
  readonly calls: WriteCall[] = [];
  #taken = 0;
  #waiting: ((call: WriteCall) => void) | undefined;

  write(p: Uint8Array): Promise<number> {
    const { promise, resolve, reject } = Promise.withResolvers<number>();
    const call = { bytes: p, text: decoder.decode(p), resolve, reject };
    this.calls.push(call);
    if (this.#waiting !== undefined) {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      this.#taken++;
      waiting(call);
    }
    return promise;
  }

  /** Resolves with the next write call not yet returned by `next()`. */
  next(): Promise<WriteCall> {
    const call = this.calls[this.#taken];
    if (call !== undefined) {
      this.#taken++;
      return Promise.resolve(call);
    }
    const { promise, resolve } = Promise.withResolvers<WriteCall>();
    this.#waiting = resolve;
    return promise;
  }
}

function setup(options: Partial<OutboundQueueOptions> = {}) {
  const clock = new ManualClock();
  const writer = new FakeWriter();
  const overflows: OverflowReason[] = [];
  const errors: unknown[] = [];
  const queue = new OutboundQueue(writer, {
    clock,
    onOverflow: (reason) => overflows.push(reason),
    onError: (error) => errors.push(error),
    ...options,
  });
  return { clock, writer, queue, overflows, errors };
}

/** Lets every ready microtask run, then reports whether `promise` settled. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => done = true, () => done = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  return done;
}

/** Lets the drain loop run as far as it can without the writer. */
function drainTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

Deno.test("OutboundQueue.push() coalesces pending lines into one write", async () => {
  const { writer, queue } = setup();
  assert.equal(queue.push(bytes("one\n")), true);
  const first = await writer.next();
  assert.equal(first.text, "one\n");

  assert.equal(queue.push(bytes("two\n")), true);
  assert.equal(queue.push(bytes("three\n")), true);
  assert.equal(queue.push(bytes("four\n")), true);
  await drainTurn();
  assert.equal(
    writer.calls.length,
    1,
    "no write starts while one is in flight",
  );

  first.resolve(first.bytes.length);
  const second = await writer.next();
  assert.equal(second.text, "two\nthree\nfour\n");
  second.resolve(second.bytes.length);
  await queue.flush();
  assert.equal(writer.calls.length, 2);
  assert.equal(queue.pendingBytes, 0);
  assert.equal(queue.idle, true);
});

Deno.test("OutboundQueue.push() joins lines pushed in the same tick", async () => {
  const { writer, queue } = setup();
  queue.push(bytes("a\n"));
  queue.push(bytes("b\n"));
  queue.push(bytes("c\n"));
  assert.equal(writer.calls.length, 0, "push() never writes synchronously");
  const call = await writer.next();
  assert.equal(call.text, "a\nb\nc\n");
  call.resolve(call.bytes.length);
  await queue.flush();
  assert.equal(writer.calls.length, 1);
});

Deno.test("OutboundQueue writes the rest of a partial write in order", async () => {
  const { writer, queue } = setup();
  queue.push(bytes("hello "));
  queue.push(bytes("world\n"));
  const first = await writer.next();
  assert.equal(first.text, "hello world\n");
  assert.equal(queue.pendingBytes, 12);

  first.resolve(3);
  const second = await writer.next();
  assert.equal(second.text, "lo world\n");
  assert.equal(queue.pendingBytes, 9);
  queue.push(bytes("next\n"));
  assert.equal(queue.pendingBytes, 14);

  second.resolve(2);
  const third = await writer.next();
  assert.equal(
    third.text,
    " world\n",
    "new bytes wait for the buffer in flight",
  );
  third.resolve(7);

  const fourth = await writer.next();
  assert.equal(fourth.text, "next\n");
  fourth.resolve(5);
  await queue.flush();
  assert.equal(
    writer.calls.map((c) => c.text).join(""),
    "hello world\nlo world\n world\nnext\n",
  );
  assert.equal(queue.pendingBytes, 0);
});

Deno.test("OutboundQueue writes a partial remainder as a view, not a copy", async () => {
  const { writer, queue } = setup();
  const line = bytes("abcdef\n");
  queue.push(line);
  const first = await writer.next();
  first.resolve(4);
  const second = await writer.next();
  assert.equal(second.bytes.buffer, line.buffer);
  assert.equal(second.bytes.byteOffset, line.byteOffset + 4);
  second.resolve(3);
  await queue.flush();
});

Deno.test("OutboundQueue.push() shares one Uint8Array across queues without copying", async () => {
  const line = bytes("MSG lobby alice hello\n");
  const setups = [setup(), setup(), setup()];
  for (const { queue } of setups) assert.equal(queue.push(line), true);
  for (const { writer, queue } of setups) {
    const call = await writer.next();
    assert.equal(call.bytes, line, "the very same object is written");
    call.resolve(line.length);
    await queue.flush();
  }
});

Deno.test("OutboundQueue.push() overflows exactly once past maxBytes", async () => {
  const { writer, queue, overflows } = setup({ maxBytes: 10 });
  assert.equal(queue.push(bytes("123456")), true);
  const call = await writer.next();
  // Bytes in flight still count toward the bound.
  assert.equal(queue.push(bytes("7890")), true);
  assert.equal(queue.pendingBytes, 10);
  assert.deepEqual(overflows, []);

  assert.equal(queue.push(bytes("x")), false);
  assert.deepEqual(overflows, ["queue_full"]);
  assert.equal(queue.closed, true);
  assert.equal(queue.pendingBytes, 0);

  assert.equal(queue.push(bytes("y")), false);
  assert.equal(queue.push(new Uint8Array(0)), false);
  assert.deepEqual(overflows, ["queue_full"]);

  call.resolve(6);
  await drainTurn();
  assert.equal(writer.calls.length, 1, "pending bytes were dropped");
});

Deno.test("OutboundQueue.push() calls onOverflow with the queue already closed", () => {
  const clock = new ManualClock();
  const seen: boolean[] = [];
  const queue: OutboundQueue = new OutboundQueue(new FakeWriter(), {
    clock,
    maxBytes: 1,
    onOverflow: () => {
      seen.push(queue.closed);
      // A re-entrant push from the callback is ignored, not recursive.
      seen.push(queue.push(bytes("z")));
    },
  });
  assert.equal(queue.push(bytes("ab")), false);
  assert.deepEqual(seen, [true, false]);
});

Deno.test("OutboundQueue.push() accepts and ignores an empty array", async () => {
  const { writer, queue } = setup();
  assert.equal(queue.push(new Uint8Array(0)), true);
  assert.equal(queue.idle, true);
  await queue.flush();
  await drainTurn();
  assert.equal(writer.calls.length, 0);
});

Deno.test("OutboundQueue.checkStall() reports a peer that stops reading", async (t) => {
  await t.step("stalls after stallTimeoutMs with no progress", async () => {
    const { clock, writer, queue, overflows } = setup({
      stallTimeoutMs: 30_000,
    });
    queue.push(bytes("hello\n"));
    const call = await writer.next();
    clock.advance(29_999);
    assert.equal(queue.checkStall(), false);
    clock.advance(1);
    assert.equal(queue.checkStall(), true);
    assert.deepEqual(overflows, ["stalled"]);
    assert.equal(queue.closed, true);
    assert.equal(queue.checkStall(), false, "reported only once");
    assert.deepEqual(overflows, ["stalled"]);
    call.resolve(6);
  });

  await t.step("partial progress restarts the timer", async () => {
    const { clock, writer, queue } = setup({ stallTimeoutMs: 1000 });
    queue.push(bytes("0123456789"));
    const first = await writer.next();
    clock.advance(900);
    first.resolve(5);
    const second = await writer.next();
    clock.advance(900);
    assert.equal(queue.checkStall(), false);
    clock.advance(100);
    assert.equal(queue.checkStall(), true);
    second.resolve(5);
  });

  await t.step("an empty queue never stalls", async () => {
    const { clock, writer, queue } = setup({ stallTimeoutMs: 1000 });
    clock.advance(5000);
    assert.equal(queue.checkStall(), false);
    queue.push(bytes("hi\n"));
    const call = await writer.next();
    call.resolve(3);
    await queue.flush();
    clock.advance(5000);
    assert.equal(queue.checkStall(), false);
  });

  await t.step("the timer starts when bytes become pending", async () => {
    const { clock, writer, queue } = setup({ stallTimeoutMs: 1000 });
    queue.push(bytes("a"));
    (await writer.next()).resolve(1);
    await queue.flush();
    clock.advance(10_000);
    queue.push(bytes("b"));
    await writer.next();
    clock.advance(999);
    assert.equal(queue.checkStall(), false);
    clock.advance(1);
    assert.equal(queue.checkStall(), true);
  });
});

Deno.test("OutboundQueue.flush() resolves once earlier pushes are written", async (t) => {
  await t.step("at once when nothing is pending", async () => {
    const { queue } = setup();
    assert.equal(await settled(queue.flush()), true);
  });

  await t.step("after the bytes pushed before it, not later ones", async () => {
    const { writer, queue } = setup();
    queue.push(bytes("BYE\n"));
    const flushed = queue.flush();
    const first = await writer.next();
    queue.push(bytes("late\n"));
    assert.equal(await settled(flushed), false);
    first.resolve(2);
    assert.equal(
      await settled(flushed),
      false,
      "a partial write is not enough",
    );
    const rest = await writer.next();
    assert.equal(rest.text, "E\n");
    rest.resolve(2);
    assert.equal(await settled(flushed), true);
    const late = await writer.next();
    assert.equal(late.text, "late\n");
    const flushedLate = queue.flush();
    assert.equal(await settled(flushedLate), false);
    late.resolve(5);
    assert.equal(await settled(flushedLate), true);
  });

  await t.step("when the queue is closed with bytes pending", async () => {
    const { writer, queue } = setup();
    queue.push(bytes("never\n"));
    const flushed = queue.flush();
    const call = await writer.next();
    assert.equal(await settled(flushed), false);
    queue.close();
    assert.equal(await settled(flushed), true);
    assert.equal(await settled(queue.flush()), true);
    call.resolve(6);
  });

  await t.step("when a write fails", async () => {
    const { writer, queue } = setup();
    queue.push(bytes("doomed\n"));
    const flushed = queue.flush();
    (await writer.next()).reject(new Deno.errors.BrokenPipe("Broken pipe"));
    assert.equal(await settled(flushed), true);
  });
});

Deno.test("OutboundQueue.close() drops pending bytes and is idempotent", async () => {
  const { writer, queue, overflows, errors } = setup();
  queue.push(bytes("one\n"));
  const call = await writer.next();
  queue.push(bytes("two\n"));
  queue.close();
  queue.close();
  assert.equal(queue.closed, true);
  assert.equal(queue.pendingBytes, 0);
  assert.equal(queue.push(bytes("three\n")), false);
  call.resolve(4);
  await drainTurn();
  assert.equal(writer.calls.length, 1);
  assert.equal(queue.idle, true);
  assert.deepEqual(overflows, [], "close() is not an overflow");
  assert.deepEqual(errors, []);
});

Deno.test("OutboundQueue.close() before the drain starts writes nothing", async () => {
  const { writer, queue } = setup();
  queue.push(bytes("one\n"));
  queue.close();
  await drainTurn();
  assert.equal(writer.calls.length, 0);
  assert.equal(queue.idle, true);
});

Deno.test("OutboundQueue calls onError once when a write fails", async () => {
  const { writer, queue, errors } = setup();
  queue.push(bytes("one\n"));
  const call = await writer.next();
  queue.push(bytes("two\n"));
  const error = new Deno.errors.ConnectionReset("Connection reset by peer");
  call.reject(error);
  await drainTurn();
  assert.deepEqual(errors, [error]);
  assert.equal(queue.closed, true);
  assert.equal(queue.pendingBytes, 0);
  assert.equal(queue.idle, true);
  assert.equal(queue.push(bytes("three\n")), false);
  await drainTurn();
  assert.equal(writer.calls.length, 1);
  assert.equal(errors.length, 1);
});

Deno.test("OutboundQueue ignores a write error after close()", async () => {
  const { writer, queue, errors } = setup();
  queue.push(bytes("one\n"));
  const call = await writer.next();
  queue.close();
  call.reject(new Deno.errors.Interrupted("operation canceled"));
  await drainTurn();
  assert.deepEqual(errors, []);
});

Deno.test("OutboundQueue survives a write that throws synchronously", async () => {
  const errors: unknown[] = [];
  const error = new Deno.errors.BadResource("Bad resource ID");
  const queue = new OutboundQueue({
    write(): Promise<number> {
      throw error;
    },
  }, { clock: new ManualClock(), onError: (e) => errors.push(e) });
  assert.equal(queue.push(bytes("x")), true, "push() itself never throws");
  await drainTurn();
  assert.deepEqual(errors, [error]);
});

Deno.test("OutboundQueue leaves no unhandled rejection when onError throws", async () => {
  const queue = new OutboundQueue({
    write: () => Promise.reject(new Deno.errors.BrokenPipe("Broken pipe")),
  }, {
    clock: new ManualClock(),
    onError: () => {
      throw new Error("Callback bug");
    },
  });
  queue.push(bytes("x"));
  // An unhandled rejection would fail this test (and end a server).
  await drainTurn();
  await drainTurn();
  assert.equal(queue.closed, true);
});

Deno.test("OutboundQueue leaves no unhandled rejection without onError", async () => {
  const queue = new OutboundQueue({
    write: () => Promise.reject(new Deno.errors.BrokenPipe("Broken pipe")),
  }, { clock: new ManualClock() });
  queue.push(bytes("x"));
  await drainTurn();
  assert.equal(queue.closed, true);
});

Deno.test("OutboundQueue treats an impossible write count as an error", async (t) => {
  for (const n of [0, -1, 1.5, 99]) {
    await t.step(`write() returning ${n}`, async () => {
      const { writer, queue, errors } = setup();
      queue.push(bytes("abc"));
      (await writer.next()).resolve(n);
      await drainTurn();
      assert.equal(errors.length, 1);
      assert.ok(errors[0] instanceof RangeError);
      assert.equal(writer.calls.length, 1, "no retry after a bogus count");
    });
  }
});

Deno.test("OutboundQueue.idle reflects pending bytes and writes in flight", async () => {
  const { writer, queue } = setup();
  assert.equal(queue.idle, true);
  queue.push(bytes("a"));
  assert.equal(queue.idle, false);
  const call = await writer.next();
  assert.equal(queue.idle, false);
  call.resolve(1);
  await queue.flush();
  await drainTurn();
  assert.equal(queue.idle, true);
});

Deno.test("OutboundQueue() rejects invalid options", async (t) => {
  const clock = new ManualClock();
  for (
    const options of [
      { maxBytes: 0 },
      { maxBytes: 1.5 },
      { stallTimeoutMs: 0 },
      { stallTimeoutMs: NaN },
    ]
  ) {
    await t.step(JSON.stringify(options), () => {
      assert.throws(
        () => new OutboundQueue(new FakeWriter(), { clock, ...options }),
        RangeError,
      );
    });
  }
});

Deno.test("isPeerGoneError() recognises errors meaning the peer has gone", async (t) => {
  const cases: [string, unknown, boolean][] = [
    ["BrokenPipe", new Deno.errors.BrokenPipe("Broken pipe"), true],
    ["ConnectionReset", new Deno.errors.ConnectionReset("reset"), true],
    ["ConnectionAborted", new Deno.errors.ConnectionAborted("aborted"), true],
    ["NotConnected", new Deno.errors.NotConnected("not connected"), true],
    ["BadResource", new Deno.errors.BadResource("Bad resource ID"), true],
    ["UnexpectedEof", new Deno.errors.UnexpectedEof("eof"), true],
    ["Interrupted", new Deno.errors.Interrupted("operation canceled"), true],
    [
      "node-style EPIPE",
      Object.assign(new Error("x"), { code: "EPIPE" }),
      true,
    ],
    ["TypeError", new TypeError("Bug"), false],
    ["PermissionDenied", new Deno.errors.PermissionDenied("no"), false],
    ["other code", Object.assign(new Error("x"), { code: "ENOENT" }), false],
    ["non-string code", { code: 32 }, false],
    ["string", "EPIPE", false],
    ["null", null, false],
    ["undefined", undefined, false],
  ];
  for (const [name, error, expected] of cases) {
    await t.step(name, () => assert.equal(isPeerGoneError(error), expected));
  }
});

Deno.test("OutboundQueue paces a busy connection to one write per tick", async () => {
  const { clock, writer, queue } = setup({ paceMs: 20 });
  queue.push(bytes("a\n"));
  const first = await writer.next();
  assert.equal(first.text, "a\n", "a quiet connection writes at once");
  first.resolve(first.bytes.length);

  // Within paceMs of that write: held until the shared tick, then together.
  queue.push(bytes("b\n"));
  await drainTurn();
  assert.equal(writer.calls.length, 1, "waits for the tick");
  queue.push(bytes("c\n"));
  const second = await writer.next();
  assert.equal(second.text, "b\nc\n");
  second.resolve(second.bytes.length);
  await queue.flush();

  // Quiet again for paceMs: the next line goes out at once.
  clock.advance(20);
  queue.push(bytes("d\n"));
  await drainTurn();
  assert.equal(writer.calls.length, 3);
  assert.equal(writer.calls[2]!.text, "d\n");
  writer.calls[2]!.resolve(2);
  await queue.flush();
});

Deno.test("OutboundQueue with paceMs 0 writes as soon as the last write returns", async () => {
  const { writer, queue } = setup({ paceMs: 0 });
  queue.push(bytes("a\n"));
  const first = await writer.next();
  first.resolve(first.bytes.length);
  queue.push(bytes("b\n"));
  await drainTurn();
  assert.equal(writer.calls.length, 2);
  writer.calls[1]!.resolve(2);
  await queue.flush();
  assert.throws(
    () => new OutboundQueue(writer, { clock: new ManualClock(), paceMs: -1 }),
    RangeError,
  );
});
