/**
 * Connection admission: a cap on clients overall and on connections from one
 * address, checked when a connection is accepted.
 *
 * @module
 */

import { positiveIntegers } from "../../shared/option_checks.ts";
import { addressKey, isLoopbackAddress } from "../../shared/ip_address.ts";

/** Why {@linkcode ConnectionLimits.tryAcquire} refused a connection. */
export type ConnectionRefusal = "server_full" | "too_many_connections";

/** The outcome of {@linkcode ConnectionLimits.tryAcquire}. */
export type ConnectionAdmission =
  | {
    ok: true;
    /** Gives the slot back when the connection ends. Idempotent. */
    release: () => void;
  }
  | { ok: false; reason: ConnectionRefusal };

/** Options for {@linkcode ConnectionLimits}. */
export interface ConnectionLimitsOptions {
  /**
   * Most connections open at once, from all addresses including loopback.
   * Must be a positive integer.
   * @default {10000}
   */
  maxClients?: number;
  /**
   * Most connections open at once from one address. Must be a positive
   * integer.
   * @default {16}
   */
  maxPerAddress?: number;
  /**
   * Exempt loopback addresses (`127.0.0.0/8`, `::1`, `::ffff:127.x.y.z`) from
   * `maxPerAddress`, so local tools and tests can open many connections.
   * They still count toward `maxClients`.
   * @default {true}
   */
  exemptLoopback?: boolean;
}

/**
 * Counts open connections overall and per address, and refuses new ones
 * past the limits.
 *
 * Addresses are counted in the form {@linkcode normalizeAddress} gives, so an
 * IPv4 peer reaching a dual-stack listener as `::ffff:192.0.2.1` shares its
 * count with `192.0.2.1`, and all addresses of one IPv6 /64 (the block one
 * subscriber usually gets) share one count, as in the login throttle.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionLimits } from "./connection_limits.ts";
 *
 * const limits = new ConnectionLimits({ maxPerAddress: 1 });
 * const first = limits.tryAcquire("192.0.2.1");
 * assert.equal(first.ok, true);
 * assert.deepEqual(limits.tryAcquire("::ffff:192.0.2.1"), {
 *   ok: false,
 *   reason: "too_many_connections",
 * });
 * if (first.ok) first.release();
 * assert.equal(limits.tryAcquire("192.0.2.1").ok, true);
 * ```
 */
export class ConnectionLimits {
  #maxClients: number;
  #maxPerAddress: number;
  #exemptLoopback: boolean;
  #total = 0;
  /** Open connections per normalized address; absent means zero. */
  #counts = new Map<string, number>();

  /**
   * Creates empty limits; see {@linkcode ConnectionLimitsOptions}.
   *
   * @throws {RangeError} If `maxClients` or `maxPerAddress` is not a
   * positive integer.
   */
  constructor(options: ConnectionLimitsOptions = {}) {
    const limits = positiveIntegers("connection limits", {
      maxClients: options.maxClients ?? 10_000,
      maxPerAddress: options.maxPerAddress ?? 16,
    });
    this.#maxClients = limits.maxClients;
    this.#maxPerAddress = limits.maxPerAddress;
    this.#exemptLoopback = options.exemptLoopback ?? true;
  }

  /** Connections open now, from all addresses. */
  get total(): number {
    return this.#total;
  }

  /**
   * Connections open now from `address`, loopback included.
   *
   * @param address The peer's IP address, in any form `tryAcquire` accepts.
   */
  count(address: string): number {
    return this.#counts.get(normalizeAddress(address)) ?? 0;
  }

  /**
   * Takes a slot for a new connection from `address`, if the limits allow.
   * The global cap is checked first, so a full server reports
   * `"server_full"` even to an address also over its own cap.
   *
   * @param address The peer's IP address (`conn.remoteAddr.hostname`).
   * @returns A `release` function to call when the connection ends, or why
   * the connection is refused.
   */
  tryAcquire(address: string): ConnectionAdmission {
    if (this.#total >= this.#maxClients) {
      return { ok: false, reason: "server_full" };
    }
    const key = normalizeAddress(address);
    const count = this.#counts.get(key) ?? 0;
    // Asked of the address itself: `::1`'s key is its /64, `0:0:0:0::/64`.
    const exempt = this.#exemptLoopback && isLoopbackAddress(address);
    if (!exempt && count >= this.#maxPerAddress) {
      return { ok: false, reason: "too_many_connections" };
    }
    this.#counts.set(key, count + 1);
    this.#total++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#total--;
      const remaining = (this.#counts.get(key) ?? 1) - 1;
      // Deleting at zero keeps the map as small as the set of live peers.
      if (remaining > 0) this.#counts.set(key, remaining);
      else this.#counts.delete(key);
    };
    return { ok: true, release };
  }
}

/**
 * The form an address is counted under: trimmed, without `[brackets]` or a
 * zone, an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) as its IPv4
 * address, and any other IPv6 address as its /64 prefix. The same key the
 * login throttle uses ({@linkcode addressKey}).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeAddress } from "./connection_limits.ts";
 *
 * assert.equal(normalizeAddress("::ffff:192.0.2.1"), "192.0.2.1");
 * assert.equal(normalizeAddress("[2001:DB8::1]"), "2001:db8:0:0::/64");
 * assert.equal(normalizeAddress("192.0.2.1"), "192.0.2.1");
 * ```
 */
export function normalizeAddress(address: string): string {
  return addressKey(address);
}
