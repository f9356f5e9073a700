import assert from "node:assert/strict";
import { ManualClock } from "../../../lib/shared/clock.ts";
import { RegisterThrottle } from "../../../lib/server/auth/register_throttle.ts";

Deno.test({
  name:
    "RegisterThrottle.attempt() does not count a refused attempt toward either limit",
  permissions: "none",
  fn() {
    const clock = new ManualClock();
    const throttle = new RegisterThrottle({
      clock,
      maxPerAddressPerMinute: 2,
      maxGlobalPerMinute: 3,
    });
    assert.deepEqual(throttle.attempt("203.0.113.7"), { allowed: true });
    assert.deepEqual(throttle.attempt("203.0.113.7"), { allowed: true });
    clock.advance(10_000);
    // Refused by the address limit: the global count stays at 2.
    assert.deepEqual(throttle.attempt("203.0.113.7"), {
      allowed: false,
      reason: "address_rate",
      retryAfterMs: 50_000,
    });
    assert.deepEqual(throttle.attempt("198.51.100.9"), { allowed: true });
    // Refused by the global limit: this address's count stays at 0.
    assert.deepEqual(throttle.attempt("192.0.2.1"), {
      allowed: false,
      reason: "global_rate",
      retryAfterMs: 50_000,
    });
    clock.advance(50_000);
    assert.deepEqual(throttle.attempt("192.0.2.1"), { allowed: true });
    assert.deepEqual(throttle.attempt("192.0.2.1"), { allowed: true });
  },
});

Deno.test({
  name:
    "RegisterThrottle.attempt() counts IPv4-mapped IPv6 as IPv4, and loopback only when not exempt",
  permissions: "none",
  fn() {
    const clock = new ManualClock();
    const throttle = new RegisterThrottle({
      clock,
      maxPerAddressPerMinute: 1,
    });
    assert.equal(throttle.attempt("192.0.2.1").allowed, true);
    assert.equal(throttle.attempt("::ffff:192.0.2.1").allowed, false);
    assert.equal(throttle.attempt("::1").allowed, true);
    assert.equal(throttle.attempt("::1").allowed, true);
    const strict = new RegisterThrottle({
      clock,
      maxPerAddressPerMinute: 1,
      exemptLoopback: false,
    });
    assert.equal(strict.attempt("127.0.0.1").allowed, true);
    assert.equal(strict.attempt("127.0.0.1").allowed, false);
  },
});

Deno.test({
  name:
    "RegisterThrottle keeps at most maxTrackedAddresses and drops expired ones",
  permissions: "none",
  fn() {
    const clock = new ManualClock();
    const throttle = new RegisterThrottle({
      clock,
      maxTrackedAddresses: 3,
      maxGlobalPerMinute: 100,
    });
    for (let i = 1; i <= 5; i++) throttle.attempt(`198.51.100.${i}`);
    assert.equal(throttle.size, 3);
    clock.advance(60_000);
    throttle.attempt("192.0.2.1");
    assert.equal(throttle.size, 1);
  },
});

Deno.test({
  name: "RegisterThrottle() rejects a limit that is not a positive integer",
  permissions: "none",
  fn() {
    const clock = new ManualClock();
    assert.throws(
      () => new RegisterThrottle({ clock, maxGlobalPerMinute: 0 }),
      {
        name: "RangeError",
        message:
          "Cannot create registration throttle: maxGlobalPerMinute must be a positive integer, got 0",
      },
    );
  },
});
