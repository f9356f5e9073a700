import assert from "node:assert/strict";
import { ManualClock } from "../../../lib/shared/clock.ts";
import {
  NoticeLimiter,
  TokenBucket,
} from "../../../lib/server/session/rate_limiter.ts";

function takeTimes(bucket: TokenBucket, count: number): boolean[] {
  return Array.from({ length: count }, () => bucket.take());
}

Deno.test("TokenBucket.take() allows a burst of 10 and refuses the 11th", () => {
  const bucket = new TokenBucket({ clock: new ManualClock() });
  assert.deepEqual(takeTimes(bucket, 10), new Array(10).fill(true));
  assert.equal(bucket.take(), false);
  assert.equal(bucket.take(), false);
});

Deno.test("TokenBucket.take() allows one more after 200 ms at 5 per second", () => {
  const clock = new ManualClock();
  const bucket = new TokenBucket({ clock });
  takeTimes(bucket, 10);
  clock.advance(199);
  assert.equal(bucket.take(), false);
  clock.advance(1);
  assert.equal(bucket.take(), true);
  assert.equal(bucket.take(), false);
});

Deno.test("TokenBucket.take() caps the refill at burst after a long idle", () => {
  const clock = new ManualClock();
  const bucket = new TokenBucket({ clock, burst: 10, refillPerSecond: 5 });
  takeTimes(bucket, 10);
  clock.advance(60 * 60_000);
  assert.deepEqual(takeTimes(bucket, 10), new Array(10).fill(true));
  assert.equal(bucket.take(), false);
});

Deno.test("TokenBucket.take() accumulates fractional refills", async (t) => {
  await t.step("two half tokens make one", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ clock, burst: 1, refillPerSecond: 5 });
    assert.equal(bucket.take(), true);
    clock.advance(100);
    assert.equal(bucket.take(), false);
    assert.equal(bucket.retryAfterMs, 100);
    clock.advance(100);
    assert.equal(bucket.take(), true);
  });

  await t.step(
    "ten tenths make exactly one, with no rounding shortfall",
    () => {
      const clock = new ManualClock();
      const bucket = new TokenBucket({ clock, burst: 1, refillPerSecond: 1 });
      assert.equal(bucket.take(), true);
      for (let i = 0; i < 9; i++) {
        clock.advance(100);
        assert.equal(bucket.take(), false);
      }
      clock.advance(100);
      assert.equal(bucket.retryAfterMs, 0);
      assert.equal(bucket.take(), true);
    },
  );

  await t.step("a rate that does not divide 1000 rounds the wait up", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ clock, burst: 1, refillPerSecond: 3 });
    assert.equal(bucket.take(), true);
    assert.equal(bucket.retryAfterMs, 334);
    clock.advance(333);
    assert.equal(bucket.take(), false);
    clock.advance(1);
    assert.equal(bucket.take(), true);
  });

  await t.step("a rate below one per second", () => {
    const clock = new ManualClock();
    const bucket = new TokenBucket({ clock, burst: 1, refillPerSecond: 0.5 });
    assert.equal(bucket.take(), true);
    assert.equal(bucket.retryAfterMs, 2000);
    clock.advance(1999);
    assert.equal(bucket.take(), false);
    clock.advance(1);
    assert.equal(bucket.take(), true);
  });
});

Deno.test("TokenBucket.retryAfterMs is 0 when a token is available", () => {
  const clock = new ManualClock();
  const bucket = new TokenBucket({ clock });
  assert.equal(bucket.retryAfterMs, 0);
  takeTimes(bucket, 10);
  assert.equal(bucket.retryAfterMs, 200);
  clock.advance(50);
  assert.equal(bucket.retryAfterMs, 150);
  clock.advance(150);
  assert.equal(bucket.retryAfterMs, 0);
});

Deno.test("TokenBucket.take() does not spend a token when it refuses", () => {
  const clock = new ManualClock();
  const bucket = new TokenBucket({ clock });
  takeTimes(bucket, 10);
  for (let i = 0; i < 100; i++) bucket.take();
  clock.advance(200);
  assert.equal(bucket.take(), true);
});

Deno.test("TokenBucket ignores a clock that steps backwards", () => {
  const clock = new ManualClock(1_000_000);
  const bucket = new TokenBucket({ clock });
  takeTimes(bucket, 10);
  clock.set(0);
  assert.equal(bucket.take(), false);
  clock.advance(200);
  assert.equal(bucket.take(), true);
});

Deno.test("TokenBucket() rejects invalid options", async (t) => {
  const clock = new ManualClock();
  for (
    const options of [
      { burst: 0 },
      { burst: 1.5 },
      { burst: -1 },
      { refillPerSecond: 0 },
      { refillPerSecond: -1 },
      { refillPerSecond: Infinity },
      { refillPerSecond: NaN },
    ]
  ) {
    await t.step(JSON.stringify(options), () => {
      assert.throws(
        () => new TokenBucket({ clock, ...options }),
        RangeError,
      );
    });
  }
});

Deno.test("NoticeLimiter.shouldNotify() allows one notice per interval", () => {
  const clock = new ManualClock();
  const notices = new NoticeLimiter({ clock });
  assert.equal(notices.shouldNotify(), true);
  assert.equal(notices.shouldNotify(), false);
  clock.advance(999);
  assert.equal(notices.shouldNotify(), false);
  clock.advance(1);
  assert.equal(notices.shouldNotify(), true);
  assert.equal(notices.shouldNotify(), false);
});

Deno.test("NoticeLimiter.shouldNotify() gives a flood one notice per second", () => {
  const clock = new ManualClock();
  const bucket = new TokenBucket({ clock });
  const notices = new NoticeLimiter({ clock });
  let notified = 0;
  // 100 messages every 10 ms for 5 seconds: far past 5 per second.
  for (let i = 0; i < 500; i++) {
    if (!bucket.take() && notices.shouldNotify()) notified++;
    clock.advance(10);
  }
  assert.equal(notified, 5);
});

Deno.test("NoticeLimiter.shouldNotify() honours a custom interval", () => {
  const clock = new ManualClock();
  const notices = new NoticeLimiter({ clock, intervalMs: 5000 });
  assert.equal(notices.shouldNotify(), true);
  clock.advance(4999);
  assert.equal(notices.shouldNotify(), false);
  clock.advance(1);
  assert.equal(notices.shouldNotify(), true);
});

Deno.test("NoticeLimiter() rejects an invalid interval", () => {
  const clock = new ManualClock();
  assert.throws(() => new NoticeLimiter({ clock, intervalMs: -1 }), RangeError);
  assert.throws(
    () => new NoticeLimiter({ clock, intervalMs: NaN }),
    RangeError,
  );
});
