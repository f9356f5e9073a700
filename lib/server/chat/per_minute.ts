/**
 * A per-account count of actions in the last minute (file offers, avatar
 * changes), across the account's sessions, so logging in again does not
 * start a new minute. The map stays bounded: past a size, accounts quiet
 * for a minute are dropped.
 *
 * @module
 */

import type { Clock } from "../../shared/clock.ts";

/** Accounts kept past which quiet ones are dropped. */
const SWEEP_SIZE = 1000;
const MINUTE_MS = 60_000;

/**
 * At most `max` actions per account in any minute.
 *
 * @example
 * ```ts
 * import { PerMinute } from "./per_minute.ts";
 * import assert from "node:assert/strict";
 *
 * let now = 0;
 * const rate = new PerMinute(2, { now: () => now });
 * assert.equal(rate.take(7), true);
 * assert.equal(rate.take(7), true);
 * assert.equal(rate.take(7), false);
 * now = 60_000;
 * assert.equal(rate.take(7), true);
 * ```
 */
export class PerMinute {
  #max: number;
  #clock: Clock;
  #times = new Map<number, number[]>();

  constructor(max: number, clock: Clock) {
    this.#max = max;
    this.#clock = clock;
  }

  /** Counts one action of `accountId`; false (not counted) past the limit. */
  take(accountId: number): boolean {
    const now = this.#clock.now();
    if (this.#times.size > SWEEP_SIZE) this.#dropQuiet(now);
    const recent = (this.#times.get(accountId) ?? []).filter((at) =>
      now - at < MINUTE_MS
    );
    if (recent.length >= this.#max) {
      this.#times.set(accountId, recent);
      return false;
    }
    recent.push(now);
    this.#times.set(accountId, recent);
    return true;
  }

  #dropQuiet(now: number): void {
    for (const [account, times] of this.#times) {
      if (now - (times[times.length - 1] ?? 0) >= MINUTE_MS) {
        this.#times.delete(account);
      }
    }
  }
}
