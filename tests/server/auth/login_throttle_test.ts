import assert from "node:assert/strict";
import fc from "fast-check";
import { ManualClock } from "../../../lib/shared/clock.ts";
import {
  isLoopbackAddress,
  LoginThrottle,
  type LoginThrottleOptions,
  type ThrottleDecision,
} from "../../../lib/server/auth/login_throttle.ts";

const MINUTE = 60_000;
const LOCKOUT = 15 * MINUTE;
const ADDRESS = "203.0.113.7";
const OTHER_ADDRESS = "198.51.100.9";

function setup(options: Partial<LoginThrottleOptions> = {}) {
  const clock = new ManualClock();
  const throttle = new LoginThrottle({ clock, ...options });
  return { clock, throttle };
}

/** Makes `count` failed attempts, each allowed by check(); returns the last lockedOut. */
function fail(
  throttle: LoginThrottle,
  count: number,
  account = "bob",
  address = ADDRESS,
): boolean {
  let lockedOut = false;
  for (let i = 0; i < count; i++) {
    assert.deepEqual(throttle.check(account, address), { allowed: true });
    lockedOut = throttle.recordFailure(account, address).lockedOut;
  }
  return lockedOut;
}

Deno.test("LoginThrottle.check() refuses an address after 5 failures for 15 minutes", () => {
  const { clock, throttle } = setup();
  for (let i = 1; i <= 4; i++) {
    assert.deepEqual(throttle.check("bob", ADDRESS), { allowed: true });
    assert.deepEqual(throttle.recordFailure("bob", ADDRESS), {
      lockedOut: false,
    });
    clock.advance(1000);
  }
  assert.deepEqual(throttle.check("bob", ADDRESS), { allowed: true });
  assert.deepEqual(throttle.recordFailure("bob", ADDRESS), { lockedOut: true });

  assert.deepEqual(throttle.check("bob", ADDRESS), {
    allowed: false,
    reason: "account_locked",
    retryAfterMs: LOCKOUT,
  });
  clock.advance(LOCKOUT - 1);
  assert.deepEqual(throttle.check("bob", ADDRESS), {
    allowed: false,
    reason: "account_locked",
    retryAfterMs: 1,
  });
  clock.advance(1);
  assert.deepEqual(throttle.check("bob", ADDRESS), { allowed: true });
});

Deno.test("LoginThrottle.check() locks only the (account, address) pair", () => {
  const { throttle } = setup();
  assert.equal(fail(throttle, 5), true);
  assert.equal(throttle.check("bob", ADDRESS).allowed, false);
  assert.deepEqual(throttle.check("bob", OTHER_ADDRESS), { allowed: true });
  assert.deepEqual(throttle.check("alice", ADDRESS), { allowed: true });
});

Deno.test("LoginThrottle.check() treats unknown accounts like known ones", () => {
  // The throttle has no notion of existence: any key locks the same way.
  const { throttle } = setup();
  assert.equal(fail(throttle, 5, "no-such-user"), true);
  assert.deepEqual(throttle.check("no-such-user", ADDRESS), {
    allowed: false,
    reason: "account_locked",
    retryAfterMs: LOCKOUT,
  });
});

Deno.test("LoginThrottle.recordFailure() starts counting again after a lockout ends", () => {
  const { clock, throttle } = setup();
  assert.equal(fail(throttle, 5), true);
  clock.advance(LOCKOUT);
  assert.equal(fail(throttle, 4), false);
  assert.equal(fail(throttle, 1), true);
});

Deno.test("LoginThrottle.recordFailure() neither extends nor repeats a lockout", () => {
  const { clock, throttle } = setup();
  // Two attempts pass check() before either fails, as concurrent logins can.
  fail(throttle, 4);
  assert.equal(throttle.check("bob", ADDRESS).allowed, true);
  assert.equal(throttle.check("bob", ADDRESS).allowed, true);
  assert.deepEqual(throttle.recordFailure("bob", ADDRESS), { lockedOut: true });
  clock.advance(MINUTE);
  assert.deepEqual(throttle.recordFailure("bob", ADDRESS), {
    lockedOut: false,
  });
  assert.deepEqual(throttle.check("bob", ADDRESS), {
    allowed: false,
    reason: "account_locked",
    retryAfterMs: LOCKOUT - MINUTE,
  });
});

Deno.test("LoginThrottle.recordFailure() forgets failures older than the lockout", () => {
  const { clock, throttle } = setup();
  fail(throttle, 4);
  clock.advance(LOCKOUT - 1);
  // Still within 15 minutes of the first four: this makes five.
  assert.equal(fail(throttle, 1), true);

  const fresh = setup();
  fail(fresh.throttle, 4);
  fresh.clock.advance(LOCKOUT);
  // The first four are stale now.
  assert.equal(fail(fresh.throttle, 4), false);
  assert.equal(fail(fresh.throttle, 1), true);
});

Deno.test("LoginThrottle.recordFailure() counts failures in a sliding window", () => {
  const { clock, throttle } = setup();
  // One failure every 4 minutes: at most 4 fall within any 15 minutes.
  for (let i = 0; i < 20; i++) {
    assert.equal(fail(throttle, 1), false, `failure ${i + 1}`);
    clock.advance(4 * MINUTE);
  }
  // Every 3 minutes: the 5th lands at 12 minutes, inside the window.
  const fresh = setup();
  for (let i = 1; i <= 4; i++) {
    assert.equal(fail(fresh.throttle, 1), false);
    fresh.clock.advance(3 * MINUTE);
  }
  assert.equal(fail(fresh.throttle, 1), true);
});

Deno.test("LoginThrottle.recordSuccess() clears the failure count", () => {
  const { throttle } = setup();
  fail(throttle, 4);
  assert.equal(throttle.check("bob", ADDRESS).allowed, true);
  throttle.recordSuccess("bob", ADDRESS);
  assert.equal(fail(throttle, 4), false);
  assert.equal(fail(throttle, 1), true);
});

Deno.test("LoginThrottle.recordSuccess() leaves other pairs alone", () => {
  const { throttle } = setup();
  fail(throttle, 4, "bob", ADDRESS);
  fail(throttle, 4, "bob", OTHER_ADDRESS);
  throttle.recordSuccess("bob", OTHER_ADDRESS);
  assert.equal(fail(throttle, 1, "bob", ADDRESS), true);
});

Deno.test("LoginThrottle.check() refuses the 21st attempt from an address within a minute", () => {
  const { clock, throttle } = setup();
  // 20 attempts, one a second, on different accounts.
  for (let i = 0; i < 20; i++) {
    assert.deepEqual(throttle.check(`user${i}`, ADDRESS), { allowed: true });
    clock.advance(1000);
  }
  clock.set(clock.now() + 10_000); // now = 30 s after the first attempt
  assert.deepEqual(throttle.check("someone", ADDRESS), {
    allowed: false,
    reason: "address_rate",
    retryAfterMs: 30_000,
  });
  // Other addresses are not affected.
  assert.deepEqual(throttle.check("someone", OTHER_ADDRESS), {
    allowed: true,
  });
});

Deno.test("LoginThrottle.check() allows an address again as the window slides", () => {
  const { clock, throttle } = setup();
  const start = clock.now();
  for (let i = 0; i < 20; i++) {
    assert.equal(throttle.check("bob", ADDRESS).allowed, true);
    clock.advance(1000);
  }
  // Refused attempts are not counted, so hammering does not delay the slide.
  for (let i = 0; i < 100; i++) {
    assert.equal(throttle.check("bob", ADDRESS).allowed, false);
  }
  clock.set(start + MINUTE - 1);
  assert.deepEqual(throttle.check("bob", ADDRESS), {
    allowed: false,
    reason: "address_rate",
    retryAfterMs: 1,
  });
  clock.set(start + MINUTE);
  assert.deepEqual(throttle.check("bob", ADDRESS), { allowed: true });
  // The window is full again until the second attempt (at 1 s) leaves it.
  assert.deepEqual(throttle.check("bob", ADDRESS), {
    allowed: false,
    reason: "address_rate",
    retryAfterMs: 1000,
  });
  clock.set(start + MINUTE + 1000);
  assert.deepEqual(throttle.check("bob", ADDRESS), { allowed: true });
});

Deno.test("LoginThrottle.check() reports an account lockout before the address rate", () => {
  const { throttle } = setup({ maxAttemptsPerAddressPerMinute: 5 });
  fail(throttle, 5);
  assert.deepEqual(throttle.check("bob", ADDRESS), {
    allowed: false,
    reason: "account_locked",
    retryAfterMs: LOCKOUT,
  });
  assert.equal(
    (throttle.check("alice", ADDRESS) as { reason?: string }).reason,
    "address_rate",
  );
});

Deno.test("LoginThrottle.check() exempts loopback from the address rate but not from lockout", async (t) => {
  for (const address of ["127.0.0.1", "127.3.2.1", "::1", "::ffff:127.0.0.1"]) {
    await t.step(address, () => {
      const { throttle } = setup();
      for (let i = 0; i < 100; i++) {
        assert.deepEqual(throttle.check(`user${i}`, address), {
          allowed: true,
        });
      }
      assert.equal(fail(throttle, 5, "bob", address), true);
      assert.deepEqual(throttle.check("bob", address), {
        allowed: false,
        reason: "account_locked",
        retryAfterMs: LOCKOUT,
      });
    });
  }
  await t.step("not when exemptLoopback is false", () => {
    const { throttle } = setup({ exemptLoopback: false });
    for (let i = 0; i < 20; i++) {
      assert.equal(throttle.check(`user${i}`, "127.0.0.1").allowed, true);
    }
    assert.equal(throttle.check("bob", "127.0.0.1").allowed, false);
  });
});

Deno.test("LoginThrottle.check() counts an IPv6 /64 and a mapped IPv4 address as one address", async (t) => {
  const groups: Array<[string, string[]]> = [
    ["/64", [
      "2001:db8:1:2::1",
      "2001:db8:1:2:ffff::9",
      "[2001:DB8:1:2::3%eth0]",
    ]],
    ["IPv4-mapped", ["192.0.2.1", "::ffff:192.0.2.1", "::ffff:c000:201"]],
  ];
  for (const [label, addresses] of groups) {
    await t.step(label, () => {
      const { throttle } = setup({ maxAttemptsPerAddressPerMinute: 3 });
      for (const address of addresses) {
        assert.equal(throttle.check("bob", address).allowed, true, address);
      }
      for (const address of addresses) {
        assert.equal(throttle.check("bob", address).allowed, false, address);
      }
    });
  }
  await t.step("another /64 is another address", () => {
    const { throttle } = setup({ maxAttemptsPerAddressPerMinute: 1 });
    assert.equal(throttle.check("bob", "2001:db8:1:2::1").allowed, true);
    assert.equal(throttle.check("bob", "2001:db8:1:3::1").allowed, true);
  });
  await t.step("lockouts use the same grouping", () => {
    const { throttle } = setup();
    fail(throttle, 5, "bob", "2001:db8::1");
    assert.equal(throttle.check("bob", "2001:db8::2").allowed, false);
  });
});

Deno.test("LoginThrottle caps tracked keys by evicting the least recently used", () => {
  const { throttle } = setup({
    maxTrackedKeys: 10,
    maxAttemptsPerAddressPerMinute: 1,
  });
  assert.equal(throttle.check("bob", "192.0.2.0").allowed, true);
  assert.equal(throttle.check("bob", "192.0.2.0").allowed, false);
  // An attacker sprays addresses and names.
  for (let i = 1; i < 1000; i++) {
    throttle.check(`user${i}`, `10.0.${i >> 8}.${i & 255}`);
    throttle.recordFailure(`user${i}`, `10.0.${i >> 8}.${i & 255}`);
    assert.ok(throttle.size <= 10, `size ${throttle.size}`);
  }
  // The first address was evicted, so its count is forgotten.
  assert.equal(throttle.check("bob", "192.0.2.0").allowed, true);
});

Deno.test("LoginThrottle keeps recently used entries when evicting", () => {
  const { throttle } = setup({
    maxTrackedKeys: 4,
    maxAttemptsPerAddressPerMinute: 1000,
  });
  fail(throttle, 4, "bob", ADDRESS);
  for (let i = 0; i < 100; i++) {
    // Touching bob's pair keeps it the most recently used.
    assert.equal(throttle.check("bob", ADDRESS).allowed, true);
    throttle.recordFailure(`user${i}`, `10.0.0.${i}`);
  }
  assert.equal(fail(throttle, 1, "bob", ADDRESS), true);
});

Deno.test("LoginThrottle.prune() removes expired entries", () => {
  const { clock, throttle } = setup();
  for (let i = 0; i < 50; i++) {
    throttle.check("bob", `10.0.0.${i}`);
    throttle.recordFailure("bob", `10.0.0.${i}`);
  }
  assert.equal(throttle.size, 100);
  clock.advance(MINUTE);
  // Address entries have expired; failure entries have not.
  assert.equal(throttle.prune(), 50);
  assert.equal(throttle.size, 50);
  clock.advance(LOCKOUT - MINUTE);
  assert.equal(throttle.prune(), 50);
  assert.equal(throttle.size, 0);
});

Deno.test("LoginThrottle removes a few expired entries on every call", () => {
  const { clock, throttle } = setup();
  for (let i = 0; i < 40; i++) throttle.check("bob", `10.0.0.${i}`);
  assert.equal(throttle.size, 40);
  clock.advance(MINUTE);
  for (let i = 0; i < 10; i++) throttle.recordSuccess("bob", ADDRESS);
  assert.equal(throttle.size, 0);
});

Deno.test("LoginThrottle() refuses limits that are not positive integers", async (t) => {
  const clock = new ManualClock();
  const cases: Array<Partial<LoginThrottleOptions>> = [
    { maxFailuresPerAccount: 0 },
    { lockoutMs: -1 },
    { maxAttemptsPerAddressPerMinute: 1.5 },
    { maxTrackedKeys: Number.NaN },
    { maxTrackedKeys: Infinity },
  ];
  for (const options of cases) {
    await t.step(JSON.stringify(options), () => {
      assert.throws(() => new LoginThrottle({ clock, ...options }), RangeError);
    });
  }
});

Deno.test("isLoopbackAddress() recognizes loopback addresses only", async (t) => {
  const cases: Array<[string, boolean]> = [
    ["127.0.0.1", true],
    ["127.255.255.254", true],
    ["127.0.0.01", true],
    ["::1", true],
    ["0:0:0:0:0:0:0:1", true],
    ["0000::0001", true],
    ["[::1]", true],
    ["::1%lo", true],
    ["::ffff:127.0.0.1", true],
    ["::FFFF:127.1.2.3", true],
    ["::ffff:7f00:1", true],
    ["128.0.0.1", false],
    ["10.0.0.1", false],
    ["126.255.255.255", false],
    ["127.0.0.256", false],
    ["127.0.0", false],
    ["::", false],
    ["::2", false],
    ["1::1", false],
    ["::ffff:10.0.0.1", false],
    ["::127.0.0.1", false],
    ["2001:db8::1", false],
    ["localhost", false],
    ["", false],
    ["1:2:3:4:5:6:7:8:9", false],
    [":::1", false],
  ];
  for (const [address, expected] of cases) {
    await t.step(JSON.stringify(address), () => {
      assert.equal(isLoopbackAddress(address), expected);
    });
  }
});

Deno.test("isLoopbackAddress() never throws", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF:.[]%x ") }),
      (address) => {
        assert.equal(typeof isLoopbackAddress(address), "boolean");
      },
    ),
  );
});

/** A straightforward, unbounded model of the rules to compare against. */
class ReferenceThrottle {
  failures = new Map<string, number[]>();
  lockedUntil = new Map<string, number>();
  attempts = new Map<string, number[]>();
  constructor(
    readonly maxFailures: number,
    readonly lockoutMs: number,
    readonly maxAttempts: number,
  ) {}

  check(account: string, address: string, now: number): ThrottleDecision {
    const until = this.lockedUntil.get(`${account}@${address}`) ?? 0;
    if (now < until) {
      return {
        allowed: false,
        reason: "account_locked",
        retryAfterMs: until - now,
      };
    }
    if (isLoopbackAddress(address)) return { allowed: true };
    const recent = (this.attempts.get(address) ?? []).filter((t) =>
      now - t < MINUTE
    );
    this.attempts.set(address, recent);
    if (recent.length >= this.maxAttempts) {
      return {
        allowed: false,
        reason: "address_rate",
        retryAfterMs: recent[0]! + MINUTE - now,
      };
    }
    recent.push(now);
    return { allowed: true };
  }

  recordFailure(account: string, address: string, now: number): boolean {
    const pair = `${account}@${address}`;
    if (now < (this.lockedUntil.get(pair) ?? 0)) return false;
    const recent = (this.failures.get(pair) ?? []).filter((t) =>
      now - t < this.lockoutMs
    );
    recent.push(now);
    if (recent.length >= this.maxFailures) {
      this.failures.delete(pair);
      this.lockedUntil.set(pair, now + this.lockoutMs);
      return true;
    }
    this.failures.set(pair, recent);
    return false;
  }

  recordSuccess(account: string, address: string): void {
    this.failures.delete(`${account}@${address}`);
    this.lockedUntil.delete(`${account}@${address}`);
  }
}

Deno.test("LoginThrottle agrees with a simple model of its rules", () => {
  const account = fc.constantFrom("a", "b");
  const address = fc.constantFrom("192.0.2.1", "192.0.2.2", "127.0.0.1");
  const command = fc.oneof(
    fc.record({ op: fc.constant("check" as const), account, address }),
    fc.record({ op: fc.constant("failure" as const), account, address }),
    fc.record({ op: fc.constant("success" as const), account, address }),
    fc.record({
      op: fc.constant("advance" as const),
      ms: fc.constantFrom(0, 1, 999, 1000, 9_999, 10_000, 59_999, 60_000),
    }),
  );
  fc.assert(
    fc.property(fc.array(command, { maxLength: 80 }), (commands) => {
      const clock = new ManualClock();
      const throttle = new LoginThrottle({
        clock,
        maxFailuresPerAccount: 2,
        lockoutMs: 10_000,
        maxAttemptsPerAddressPerMinute: 3,
      });
      const model = new ReferenceThrottle(2, 10_000, 3);
      for (const c of commands) {
        const now = clock.now();
        switch (c.op) {
          case "advance":
            clock.advance(c.ms);
            break;
          case "check":
            assert.deepEqual(
              throttle.check(c.account, c.address),
              model.check(c.account, c.address, now),
            );
            break;
          case "failure":
            assert.equal(
              throttle.recordFailure(c.account, c.address).lockedOut,
              model.recordFailure(c.account, c.address, now),
            );
            break;
          case "success":
            throttle.recordSuccess(c.account, c.address);
            model.recordSuccess(c.account, c.address);
            break;
        }
        // Entries: at most 3 addresses and 6 (account, address) pairs.
        assert.ok(throttle.size <= 9);
      }
    }),
    { numRuns: 500 },
  );
});
