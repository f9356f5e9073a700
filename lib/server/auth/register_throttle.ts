/**
 * Registration throttling: a sliding-window limit on account creations per
 * address and over all addresses, in bounded memory.
 *
 * @module
 */

import type { ThrottleOutcome } from "./login_throttle.ts";
import { positiveIntegers } from "../../shared/option_checks.ts";
import type { Clock } from "../../shared/clock.ts";
import { pruneOldest, setBounded } from "../../shared/bounded_map.ts";
import { addressKey, isLoopbackAddress } from "../../shared/ip_address.ts";

/** The window both limits count over. */
const WINDOW_MS = 60_000;
/** Expired entries removed per call, so the cost of a call stays constant. */
const PRUNE_PER_CALL = 4;

/** Why {@linkcode RegisterThrottle.attempt} refused a registration. */
export type RegisterThrottleReason = "address_rate" | "global_rate";

/** The outcome of {@linkcode RegisterThrottle.attempt}. */
export type RegisterThrottleDecision = ThrottleOutcome<RegisterThrottleReason>;

/** Options for {@linkcode RegisterThrottle}. */
export interface RegisterThrottleOptions {
  /** Source of the current time. */
  clock: Clock;
  /**
   * Registrations one address (an IPv6 /64) may attempt within any sliding
   * window of 60 seconds.
   * @default {5}
   */
  maxPerAddressPerMinute?: number;
  /**
   * Registrations all addresses together may attempt within any sliding
   * window of 60 seconds.
   * @default {60}
   */
  maxGlobalPerMinute?: number;
  /**
   * Exempt loopback addresses (see `isLoopbackAddress` in
   * `lib/login_throttle.ts`) from both limits, as the login address limit
   * does: a local operator or test is not an attacker.
   * @default {true}
   */
  exemptLoopback?: boolean;
  /**
   * Most addresses tracked at once; past it the least recently used one is
   * forgotten.
   * @default {100000}
   */
  maxTrackedAddresses?: number;
}

/**
 * Limits how often accounts may be registered: each hash costs a core for
 * the better part of a second, so unthrottled `REGISTER` lets a few
 * connections pin the machine and fill the store.
 *
 * {@linkcode RegisterThrottle.attempt} both checks and counts, and is called
 * before any other check, so refused names and passwords count as well. A
 * refused attempt is not counted: it cost nothing. Addresses are grouped as
 * `addressKey` in `lib/login_throttle.ts` groups them (an IPv6 /64 is one
 * address).
 *
 * @example Five a minute from one address
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "../../shared/clock.ts";
 * import { RegisterThrottle } from "./register_throttle.ts";
 *
 * const clock = new ManualClock();
 * const throttle = new RegisterThrottle({ clock });
 * for (let i = 0; i < 5; i++) {
 *   assert.deepEqual(throttle.attempt("203.0.113.7"), { allowed: true });
 * }
 * clock.advance(20_000);
 * assert.deepEqual(throttle.attempt("203.0.113.7"), {
 *   allowed: false,
 *   reason: "address_rate",
 *   retryAfterMs: 40_000,
 * });
 * assert.deepEqual(throttle.attempt("127.0.0.1"), { allowed: true });
 * ```
 */
export class RegisterThrottle {
  #clock: Clock;
  #maxPerAddress: number;
  #maxGlobal: number;
  #exemptLoopback: boolean;
  #maxTracked: number;
  /** Attempt times per address key, least recently used first. */
  #addresses = new Map<string, number[]>();
  #global: number[] = [];

  /**
   * Creates a throttle; see {@linkcode RegisterThrottleOptions}.
   *
   * @throws {RangeError} If a limit is not a positive integer.
   */
  constructor(options: RegisterThrottleOptions) {
    this.#clock = options.clock;
    const limits = positiveIntegers("registration throttle", {
      maxPerAddressPerMinute: options.maxPerAddressPerMinute ?? 5,
      maxGlobalPerMinute: options.maxGlobalPerMinute ?? 60,
      maxTrackedAddresses: options.maxTrackedAddresses ?? 100_000,
    });
    this.#maxPerAddress = limits.maxPerAddressPerMinute;
    this.#maxGlobal = limits.maxGlobalPerMinute;
    this.#maxTracked = limits.maxTrackedAddresses;
    this.#exemptLoopback = options.exemptLoopback ?? true;
  }

  /** How many addresses are tracked now, for metrics and tests. */
  get size(): number {
    return this.#addresses.size;
  }

  /**
   * Decides whether a registration from `address` may go ahead and, if so,
   * counts it against both limits. The address limit is checked first.
   *
   * @param address The peer's IP address.
   * @returns Whether to proceed, or why not and for how long.
   */
  attempt(address: string): RegisterThrottleDecision {
    if (this.#exemptLoopback && isLoopbackAddress(address)) {
      return { allowed: true };
    }
    const now = this.#clock.now();
    this.#pruneSome(now);
    const key = addressKey(address);
    const attempts = this.#addresses.get(key) ?? [];
    // Re-inserted to mark it most recently used.
    this.#addresses.delete(key);
    dropExpired(attempts, now);
    if (attempts.length > 0) this.#addresses.set(key, attempts);
    // Only allowed attempts are stored, so a full window holds exactly the
    // limit and its oldest entry is the next to leave.
    if (attempts.length >= this.#maxPerAddress) {
      return {
        allowed: false,
        reason: "address_rate",
        retryAfterMs: attempts[0]! + WINDOW_MS - now,
      };
    }
    dropExpired(this.#global, now);
    if (this.#global.length >= this.#maxGlobal) {
      return {
        allowed: false,
        reason: "global_rate",
        retryAfterMs: this.#global[0]! + WINDOW_MS - now,
      };
    }
    attempts.push(now);
    this.#global.push(now);
    if (!this.#addresses.has(key)) this.#insert(key, attempts);
    return { allowed: true };
  }

  #insert(key: string, attempts: number[]): void {
    setBounded(this.#addresses, key, attempts, this.#maxTracked);
  }

  /** Drops expired addresses from the least recently used end. */
  #pruneSome(now: number): void {
    pruneOldest(this.#addresses, (attempts) => {
      const last = attempts.at(-1);
      return last === undefined || now - last >= WINDOW_MS;
    }, PRUNE_PER_CALL);
  }
}

function dropExpired(attempts: number[], now: number): void {
  while (attempts.length > 0 && now - attempts[0]! >= WINDOW_MS) {
    attempts.shift();
  }
}
