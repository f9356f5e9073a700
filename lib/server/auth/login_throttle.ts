/**
 * Login throttling: a lockout per (account, address) after repeated wrong
 * passwords, and a sliding-window attempt limit per address, in bounded
 * memory.
 *
 * @module
 */

import { positiveIntegers } from "../../shared/option_checks.ts";
import type { Clock } from "../../shared/clock.ts";

import { pruneOldest, setBounded } from "../../shared/bounded_map.ts";
import { addressKey, isLoopbackAddress } from "../../shared/ip_address.ts";

export { addressKey, isLoopbackAddress };

/** Why {@linkcode LoginThrottle.check} refused an attempt. */
export type ThrottleReason = "account_locked" | "address_rate";

/** A throttle's answer: allowed, or refused for `reason` with the wait. */
export type ThrottleOutcome<Reason extends string> =
  | { allowed: true }
  | {
    allowed: false;
    /** Milliseconds until an attempt from this address can be allowed. */
    retryAfterMs: number;
    reason: Reason;
  };

/** The outcome of {@linkcode LoginThrottle.check}. */
export type ThrottleDecision = ThrottleOutcome<ThrottleReason>;

/** Options for {@linkcode LoginThrottle}. */
export interface LoginThrottleOptions {
  /** Source of the current time. */
  clock: Clock;
  /**
   * Wrong passwords for one account from one address, within `lockoutMs` of
   * each other, that lock that address out of that account.
   * @default {5}
   */
  maxFailuresPerAccount?: number;
  /**
   * How long a lockout lasts, counted from the failure that caused it. Also
   * how long a failure is remembered.
   * @default {900000} (15 minutes)
   */
  lockoutMs?: number;
  /**
   * Login attempts one address may make, over all accounts, within any
   * sliding window of 60 seconds.
   * @default {20}
   */
  maxAttemptsPerAddressPerMinute?: number;
  /**
   * Exempt loopback addresses (see {@linkcode isLoopbackAddress}) from the
   * per-address limit, so local tools and tests are not rate-limited. They
   * still get the per-account lockout.
   * @default {true}
   */
  exemptLoopback?: boolean;
  /**
   * Most entries kept, counting each address with recent attempts and each
   * (account, address) pair with recent failures. Past it, the least recently
   * used entry is forgotten, so spraying addresses or names cannot grow
   * memory without limit.
   * @default {100000}
   */
  maxTrackedKeys?: number;
}

const WINDOW_MS = 60_000;
/**
 * Longest part of a key kept. Valid username keys are far shorter; cutting
 * longer ones only makes absurd names share a lockout, and bounds the memory
 * of each entry.
 */
const MAX_KEY_PART_LENGTH = 256;
/** Expired entries removed from the old end of the map on each call. */
const PRUNE_PER_CALL = 8;

type Entry =
  /** Times of attempts from one address, oldest first, at most the limit. */
  | { kind: "address"; attempts: number[] }
  /**
   * Times of failures for one (account, address), oldest first, fewer than
   * the limit; `lockedUntil` is 0 when not locked.
   */
  | { kind: "account"; failures: number[]; lockedUntil: number };

/**
 * Throttles password logins.
 *
 * Call {@linkcode LoginThrottle.check} before verifying a password; when it
 * allows the attempt it also counts it toward the address's rate, so one call
 * both asks and records and a caller cannot forget the second half. Then
 * report the outcome with {@linkcode LoginThrottle.recordFailure} or
 * {@linkcode LoginThrottle.recordSuccess}. Refused attempts are not counted:
 * the password is never checked for them.
 *
 * Pass the key of whatever name was tried (see `usernameKey` in
 * `lib/username.ts`), whether or not the account exists. The throttle never
 * learns which accounts exist, so its answers reveal nothing about them.
 *
 * IPv4-mapped IPv6 addresses count as their IPv4 address, and IPv6 addresses
 * are grouped by their /64 prefix, the block one subscriber usually gets, so
 * rotating through one's own /64 does not escape the limits.
 *
 * Entries live in one map in least-recently-used order. Each call removes a
 * few expired entries from the old end, {@linkcode LoginThrottle.prune}
 * removes all of them, and inserting past `maxTrackedKeys` evicts the least
 * recently used entry, even if it still holds a lockout: an attacker who can
 * fill the map can free itself that way, but only by making on the order of
 * `maxTrackedKeys` rate-limited attempts.
 *
 * @example Locking out after repeated failures
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "../../shared/clock.ts";
 * import { LoginThrottle } from "./login_throttle.ts";
 *
 * const clock = new ManualClock();
 * const throttle = new LoginThrottle({ clock, maxFailuresPerAccount: 2 });
 * assert.deepEqual(throttle.check("bob", "203.0.113.7"), { allowed: true });
 * assert.deepEqual(throttle.recordFailure("bob", "203.0.113.7"), { lockedOut: false });
 * assert.deepEqual(throttle.check("bob", "203.0.113.7"), { allowed: true });
 * assert.deepEqual(throttle.recordFailure("bob", "203.0.113.7"), { lockedOut: true });
 * assert.deepEqual(throttle.check("bob", "203.0.113.7"), {
 *   allowed: false,
 *   reason: "account_locked",
 *   retryAfterMs: 15 * 60_000,
 * });
 * ```
 */
export class LoginThrottle {
  #clock: Clock;
  #maxFailures: number;
  #lockoutMs: number;
  #maxAttempts: number;
  #exemptLoopback: boolean;
  #maxTrackedKeys: number;
  #entries = new Map<string, Entry>();

  /**
   * Creates a throttle; see {@linkcode LoginThrottleOptions}.
   *
   * @throws {RangeError} If a limit or duration is not a positive integer.
   */
  constructor(options: LoginThrottleOptions) {
    this.#clock = options.clock;
    const limits = positiveIntegers("login throttle", {
      maxFailuresPerAccount: options.maxFailuresPerAccount ?? 5,
      lockoutMs: options.lockoutMs ?? 15 * 60_000,
      maxAttemptsPerAddressPerMinute: options.maxAttemptsPerAddressPerMinute ??
        20,
      maxTrackedKeys: options.maxTrackedKeys ?? 100_000,
    });
    this.#maxFailures = limits.maxFailuresPerAccount;
    this.#lockoutMs = limits.lockoutMs;
    this.#maxAttempts = limits.maxAttemptsPerAddressPerMinute;
    this.#maxTrackedKeys = limits.maxTrackedKeys;
    this.#exemptLoopback = options.exemptLoopback ?? true;
  }

  /** How many entries are tracked now, for metrics and tests. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Decides whether a login attempt may go ahead, and if so counts it toward
   * the address's per-minute limit.
   *
   * The account lockout is checked first, so a locked pair reports
   * `"account_locked"` even when the address is also over its rate.
   *
   * @param accountKey Key of the name tried, existing or not.
   * @param address The peer's IP address.
   * @returns Whether to proceed, or why not and for how long.
   */
  check(accountKey: string, address: string): ThrottleDecision {
    const now = this.#clock.now();
    this.#pruneSome(now);
    const addr = addressKey(address);

    const accountId = accountEntryKey(accountKey, addr);
    const account = this.#touch(accountId);
    if (account?.kind === "account") {
      if (now < account.lockedUntil) {
        return {
          allowed: false,
          retryAfterMs: account.lockedUntil - now,
          reason: "account_locked",
        };
      }
      this.#forgetStale(account, now);
      if (isExpired(account, now, this.#lockoutMs)) {
        this.#entries.delete(accountId);
      }
    }

    if (this.#exemptLoopback && isLoopbackAddress(address)) {
      return { allowed: true };
    }
    const addressId = addressEntryKey(addr);
    let entry = this.#touch(addressId);
    if (entry?.kind !== "address") {
      entry = { kind: "address", attempts: [] };
      this.#insert(addressId, entry);
    }
    const attempts = entry.attempts;
    while (attempts.length > 0 && now - attempts[0]! >= WINDOW_MS) {
      attempts.shift();
    }
    if (attempts.length >= this.#maxAttempts) {
      // Only allowed attempts are stored, so there are exactly the limit and
      // the oldest is the next to leave the window.
      return {
        allowed: false,
        retryAfterMs: attempts[0]! + WINDOW_MS - now,
        reason: "address_rate",
      };
    }
    attempts.push(now);
    return { allowed: true };
  }

  /**
   * Records a wrong password for an account from an address.
   *
   * A failure reported while the pair is already locked (from an attempt
   * that passed {@linkcode LoginThrottle.check} just before the lockout)
   * neither extends nor repeats the lockout.
   *
   * @param accountKey Key of the name tried, existing or not.
   * @param address The peer's IP address.
   * @returns `lockedOut: true` when this failure started a lockout, so the
   * caller can write one audit entry for it.
   */
  recordFailure(accountKey: string, address: string): { lockedOut: boolean } {
    const now = this.#clock.now();
    this.#pruneSome(now);
    const id = accountEntryKey(accountKey, addressKey(address));
    let entry = this.#touch(id);
    if (entry?.kind !== "account") {
      entry = { kind: "account", failures: [], lockedUntil: 0 };
      this.#insert(id, entry);
    }
    if (now < entry.lockedUntil) return { lockedOut: false };
    entry.lockedUntil = 0;
    this.#forgetStale(entry, now);
    entry.failures.push(now);
    if (entry.failures.length < this.#maxFailures) return { lockedOut: false };
    // The count starts again from zero once the lockout ends.
    entry.failures = [];
    entry.lockedUntil = now + this.#lockoutMs;
    return { lockedOut: true };
  }

  /**
   * Records a successful login, forgetting the pair's failures (and any
   * lockout that a concurrent attempt started meanwhile). The address's
   * attempt count is kept: a success does not refill the rate.
   *
   * @param accountKey Key of the account that logged in.
   * @param address The peer's IP address.
   */
  recordSuccess(accountKey: string, address: string): void {
    this.#pruneSome(this.#clock.now());
    this.#entries.delete(accountEntryKey(accountKey, addressKey(address)));
  }

  /**
   * Removes every expired entry. Each call already removes a few, so this is
   * only needed to reclaim memory promptly, for example from a timer.
   *
   * @returns How many entries were removed.
   */
  prune(): number {
    const now = this.#clock.now();
    let removed = 0;
    for (const [id, entry] of this.#entries) {
      if (isExpired(entry, now, this.#lockoutMs)) {
        this.#entries.delete(id);
        removed++;
      }
    }
    return removed;
  }

  /** Returns the entry and marks it most recently used. */
  #touch(id: string): Entry | undefined {
    const entry = this.#entries.get(id);
    if (entry !== undefined) {
      this.#entries.delete(id);
      this.#entries.set(id, entry);
    }
    return entry;
  }

  #insert(id: string, entry: Entry): void {
    setBounded(this.#entries, id, entry, this.#maxTrackedKeys);
  }

  /** Drops expired entries from the least recently used end. */
  #pruneSome(now: number): void {
    pruneOldest(
      this.#entries,
      (entry) => isExpired(entry, now, this.#lockoutMs),
      PRUNE_PER_CALL,
    );
  }

  #forgetStale(
    entry: Extract<Entry, { kind: "account" }>,
    now: number,
  ): void {
    const failures = entry.failures;
    while (failures.length > 0 && now - failures[0]! >= this.#lockoutMs) {
      failures.shift();
    }
  }
}

function isExpired(entry: Entry, now: number, lockoutMs: number): boolean {
  if (entry.kind === "address") {
    const last = entry.attempts.at(-1);
    return last === undefined || now - last >= WINDOW_MS;
  }
  if (now < entry.lockedUntil) return false;
  const last = entry.failures.at(-1);
  return last === undefined || now - last >= lockoutMs;
}

function addressEntryKey(addr: string): string {
  return `a\0${addr}`;
}

function accountEntryKey(accountKey: string, addr: string): string {
  // NUL separates the parts: the address part never contains one.
  return `f\0${addr}\0${accountKey.slice(0, MAX_KEY_PART_LENGTH)}`;
}
