import assert from "node:assert/strict";
import {
  type ConnectionAdmission,
  ConnectionLimits,
  normalizeAddress,
} from "../../../lib/server/net/connection_limits.ts";

const ADDRESS = "203.0.113.7";
const OTHER_ADDRESS = "198.51.100.9";

/** Acquires a slot that must be granted and returns its release function. */
function acquire(limits: ConnectionLimits, address: string): () => void {
  const admission = limits.tryAcquire(address);
  assert.equal(admission.ok, true, `expected ${address} to be admitted`);
  return (admission as Extract<ConnectionAdmission, { ok: true }>).release;
}

Deno.test("ConnectionLimits.tryAcquire() caps connections per address", () => {
  const limits = new ConnectionLimits({ maxPerAddress: 2 });
  acquire(limits, ADDRESS);
  acquire(limits, ADDRESS);
  assert.deepEqual(limits.tryAcquire(ADDRESS), {
    ok: false,
    reason: "too_many_connections",
  });
  acquire(limits, OTHER_ADDRESS);
  assert.equal(limits.count(ADDRESS), 2);
  assert.equal(limits.count(OTHER_ADDRESS), 1);
  assert.equal(limits.total, 3);
});

Deno.test("ConnectionLimits.tryAcquire() caps connections overall", () => {
  const limits = new ConnectionLimits({ maxClients: 2, maxPerAddress: 5 });
  acquire(limits, ADDRESS);
  acquire(limits, OTHER_ADDRESS);
  assert.deepEqual(limits.tryAcquire("192.0.2.1"), {
    ok: false,
    reason: "server_full",
  });
  assert.equal(limits.total, 2);
  assert.equal(limits.count("192.0.2.1"), 0);
});

Deno.test("ConnectionLimits.tryAcquire() reports server_full before the address cap", () => {
  const limits = new ConnectionLimits({ maxClients: 1, maxPerAddress: 1 });
  acquire(limits, ADDRESS);
  assert.deepEqual(limits.tryAcquire(ADDRESS), {
    ok: false,
    reason: "server_full",
  });
});

Deno.test("ConnectionLimits release frees the slot once, however often called", () => {
  const limits = new ConnectionLimits({ maxPerAddress: 2 });
  const release = acquire(limits, ADDRESS);
  acquire(limits, ADDRESS);
  release();
  release();
  release();
  assert.equal(limits.count(ADDRESS), 1);
  assert.equal(limits.total, 1);
  acquire(limits, ADDRESS);
  assert.equal(limits.tryAcquire(ADDRESS).ok, false);
});

Deno.test("ConnectionLimits forgets an address once its last connection ends", () => {
  const limits = new ConnectionLimits();
  const releases = Array.from({ length: 3 }, () => acquire(limits, ADDRESS));
  for (const release of releases) release();
  assert.equal(limits.count(ADDRESS), 0);
  assert.equal(limits.total, 0);
});

Deno.test("ConnectionLimits exempts loopback from the per-address cap", async (t) => {
  for (
    const address of [
      "127.0.0.1",
      "127.1.2.3",
      "::1",
      "::ffff:127.0.0.1",
      "0:0:0:0:0:0:0:1",
    ]
  ) {
    await t.step(address, () => {
      const limits = new ConnectionLimits({ maxPerAddress: 2 });
      for (let i = 0; i < 10; i++) acquire(limits, address);
      assert.equal(limits.count(address), 10);
      assert.equal(limits.total, 10);
    });
  }
});

Deno.test("ConnectionLimits applies the global cap to loopback too", () => {
  const limits = new ConnectionLimits({ maxClients: 3 });
  for (let i = 0; i < 3; i++) acquire(limits, "127.0.0.1");
  assert.deepEqual(limits.tryAcquire("127.0.0.1"), {
    ok: false,
    reason: "server_full",
  });
});

Deno.test("ConnectionLimits caps loopback when exemptLoopback is false", () => {
  const limits = new ConnectionLimits({
    maxPerAddress: 2,
    exemptLoopback: false,
  });
  acquire(limits, "127.0.0.1");
  acquire(limits, "::ffff:127.0.0.1");
  assert.deepEqual(limits.tryAcquire("127.0.0.1"), {
    ok: false,
    reason: "too_many_connections",
  });
  // ::1 is a different address from 127.0.0.1.
  acquire(limits, "::1");
});

Deno.test("ConnectionLimits counts an IPv4-mapped address as its IPv4 address", () => {
  const limits = new ConnectionLimits({ maxPerAddress: 2 });
  acquire(limits, "192.0.2.1");
  acquire(limits, "::ffff:192.0.2.1");
  assert.equal(limits.count("192.0.2.1"), 2);
  assert.equal(limits.count("::FFFF:192.0.2.1"), 2);
  assert.deepEqual(limits.tryAcquire("[::ffff:192.0.2.1]"), {
    ok: false,
    reason: "too_many_connections",
  });
});

Deno.test("ConnectionLimits() rejects invalid limits", async (t) => {
  for (
    const options of [
      { maxClients: 0 },
      { maxClients: 1.5 },
      { maxPerAddress: 0 },
      { maxPerAddress: -3 },
      { maxPerAddress: NaN },
    ]
  ) {
    await t.step(JSON.stringify(options), () => {
      assert.throws(() => new ConnectionLimits(options), RangeError);
    });
  }
});

Deno.test("ConnectionLimits() uses documented defaults", () => {
  const limits = new ConnectionLimits();
  for (let i = 0; i < 16; i++) acquire(limits, ADDRESS);
  assert.deepEqual(limits.tryAcquire(ADDRESS), {
    ok: false,
    reason: "too_many_connections",
  });
  for (let i = 16; i < 10_000; i++) acquire(limits, "127.0.0.1");
  assert.equal(limits.total, 10_000);
  assert.deepEqual(limits.tryAcquire(OTHER_ADDRESS), {
    ok: false,
    reason: "server_full",
  });
});

Deno.test("normalizeAddress() maps addresses to the form they are counted under", async (t) => {
  const cases: [string, string][] = [
    ["192.0.2.1", "192.0.2.1"],
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::FFFF:192.0.2.1", "192.0.2.1"],
    ["0:0:0:0:0:ffff:192.0.2.1", "192.0.2.1"],
    ["[::ffff:192.0.2.1]", "192.0.2.1"],
    [" 192.0.2.1 ", "192.0.2.1"],
    ["2001:DB8::1", "2001:db8:0:0::/64"],
    ["[2001:db8::1]", "2001:db8:0:0::/64"],
    ["2001:db8:0:0:ffff:ffff:ffff:ffff", "2001:db8:0:0::/64"],
    ["2001:db8:0:1::1", "2001:db8:0:1::/64"],
    ["fe80::1%eth0", "fe80:0:0:0::/64"],
    ["::ffff:1:2", "0.1.0.2"],
  ];
  for (const [input, expected] of cases) {
    await t.step(input, () => assert.equal(normalizeAddress(input), expected));
  }
});

Deno.test("ConnectionLimits.tryAcquire() counts an IPv6 /64 as one address", () => {
  const limits = new ConnectionLimits({ maxPerAddress: 2 });
  acquire(limits, "2001:db8:1:2::1");
  acquire(limits, "2001:db8:1:2:aaaa:bbbb:cccc:dddd");
  assert.deepEqual(limits.tryAcquire("[2001:DB8:1:2::3]"), {
    ok: false,
    reason: "too_many_connections",
  });
  assert.equal(limits.count("2001:db8:1:2::ffff"), 2);
  acquire(limits, "2001:db8:1:3::1");
  assert.equal(limits.count("2001:db8:1:3::2"), 1);
  assert.equal(limits.total, 3);
});

Deno.test("ConnectionLimits.tryAcquire() still exempts ::1 with a /64 key", () => {
  const limits = new ConnectionLimits({ maxPerAddress: 1 });
  acquire(limits, "::1");
  acquire(limits, "::1");
  acquire(limits, "::1");
  assert.equal(limits.count("::1"), 3);
  assert.equal(limits.total, 3);
});
