/**
 * Per-connection message rate limiting: a token bucket that refills lazily
 * from an injected clock, and a limiter for the "slow down" notices sent to a
 * client that keeps flooding.
 *
 * @module
 */

import {
  positiveIntegers,
  positiveNumbers,
} from "../../shared/option_checks.ts";
import type { Clock } from "../../shared/clock.ts";

/**
 * Tokens are kept in thousandths, so a refill of `elapsedMs * refillPerSecond`
 * thousandths is exact integer arithmetic for integer times and rates, and no
 * rounding error can leave the bucket a hair short of a whole token.
 */
const SCALE = 1000;

/** Options for {@linkcode TokenBucket}. */
export interface TokenBucketOptions {
  /** Source of the current time. */
  clock: Clock;
  /**
   * Most tokens the bucket holds, and so the longest burst allowed after an
   * idle spell. The bucket starts full. Must be a positive integer.
   * @default {10}
   */
  burst?: number;
  /**
   * Tokens added per second, computed lazily and capped at `burst`. Must be
   * a positive finite number.
   * @default {5}
   */
  refillPerSecond?: number;
}

/**
 * A token bucket: each {@linkcode TokenBucket.take} spends one token, and
 * tokens come back at a steady rate up to `burst`.
 *
 * The refill is computed from the clock when the bucket is used, so an idle
 * bucket costs no timers.
 *
 * @example Ten messages at once, then one every 200 ms
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "../../shared/clock.ts";
 * import { TokenBucket } from "./rate_limiter.ts";
 *
 * const clock = new ManualClock();
 * const bucket = new TokenBucket({ clock, burst: 10, refillPerSecond: 5 });
 * for (let i = 0; i < 10; i++) assert.equal(bucket.take(), true);
 * assert.equal(bucket.take(), false);
 * assert.equal(bucket.retryAfterMs, 200);
 * clock.advance(200);
 * assert.equal(bucket.take(), true);
 * ```
 */
export class TokenBucket {
  #clock: Clock;
  #capacity: number;
  #refillPerSecond: number;
  /** Tokens in thousandths (see `SCALE`). */
  #tokens: number;
  #updatedAt: number;

  /**
   * Creates a full bucket; see {@linkcode TokenBucketOptions}.
   *
   * @throws {RangeError} If `burst` is not a positive integer or
   * `refillPerSecond` is not a positive finite number.
   */
  constructor(options: TokenBucketOptions) {
    const { burst } = positiveIntegers("token bucket", {
      burst: options.burst ?? 10,
    });
    const { refillPerSecond } = positiveNumbers("token bucket", {
      refillPerSecond: options.refillPerSecond ?? 5,
    });
    this.#clock = options.clock;
    this.#capacity = burst * SCALE;
    this.#refillPerSecond = refillPerSecond;
    this.#tokens = this.#capacity;
    this.#updatedAt = this.#clock.now();
  }

  /**
   * Spends one token if one is available.
   *
   * @returns `true` if the action is allowed, `false` if it is refused (no
   * token is spent then).
   */
  take(): boolean {
    this.#refill();
    if (this.#tokens < SCALE) return false;
    this.#tokens -= SCALE;
    return true;
  }

  /** Milliseconds until {@linkcode TokenBucket.take} can succeed; 0 if now. */
  get retryAfterMs(): number {
    this.#refill();
    if (this.#tokens >= SCALE) return 0;
    return Math.ceil((SCALE - this.#tokens) / this.#refillPerSecond);
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#updatedAt;
    // A clock that steps backwards adds nothing; counting restarts from now.
    if (elapsed > 0) {
      this.#tokens = Math.min(
        this.#capacity,
        this.#tokens + elapsed * this.#refillPerSecond,
      );
    }
    this.#updatedAt = now;
  }
}

/** Options for {@linkcode NoticeLimiter}. */
export interface NoticeLimiterOptions {
  /** Source of the current time. */
  clock: Clock;
  /**
   * Shortest time between two notices, in milliseconds. Must be a
   * non-negative finite number.
   * @default {1000}
   */
  intervalMs?: number;
}

/**
 * Allows at most one notice per interval, so a flooding client gets one
 * "slow down" line per second rather than one per refused message.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "../../shared/clock.ts";
 * import { NoticeLimiter } from "./rate_limiter.ts";
 *
 * const clock = new ManualClock();
 * const notices = new NoticeLimiter({ clock });
 * assert.equal(notices.shouldNotify(), true);
 * assert.equal(notices.shouldNotify(), false);
 * clock.advance(1000);
 * assert.equal(notices.shouldNotify(), true);
 * ```
 */
export class NoticeLimiter {
  #clock: Clock;
  #intervalMs: number;
  #lastAt: number | undefined;

  /**
   * Creates a limiter that allows the first notice at once; see
   * {@linkcode NoticeLimiterOptions}.
   *
   * @throws {RangeError} If `intervalMs` is negative or not finite.
   */
  constructor(options: NoticeLimiterOptions) {
    const intervalMs = options.intervalMs ?? 1000;
    if (!Number.isFinite(intervalMs) || intervalMs < 0) {
      throw new RangeError(
        `Cannot create notice limiter: intervalMs must be a non-negative number, got ${intervalMs}`,
      );
    }
    this.#clock = options.clock;
    this.#intervalMs = intervalMs;
  }

  /**
   * Reports whether to send a notice now, and if so counts it as sent.
   *
   * @returns `true` at most once per `intervalMs`.
   */
  shouldNotify(): boolean {
    const now = this.#clock.now();
    if (
      this.#lastAt !== undefined && now - this.#lastAt < this.#intervalMs &&
      now >= this.#lastAt
    ) {
      return false;
    }
    this.#lastAt = now;
    return true;
  }
}
