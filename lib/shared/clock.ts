/**
 * Time and randomness as injectable dependencies, so that expiry, throttling
 * and token generation are testable without sleeping.
 *
 * @module
 */

/** A source of the current time in milliseconds since the Unix epoch. */
export interface Clock {
  /** Returns the current time in milliseconds since the Unix epoch. */
  now(): number;
}

/** The real wall clock, backed by `Date.now()`. */
export const SYSTEM_CLOCK: Clock = { now: () => Date.now() };

/** A clock that moves only when told to; for tests. */
export class ManualClock implements Clock {
  #now: number;

  /**
   * Creates a clock standing at `start`.
   *
   * @param start Initial time in milliseconds since the Unix epoch.
   */
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  /** Returns the current (frozen) time. */
  now(): number {
    return this.#now;
  }

  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    if (!(ms >= 0)) {
      throw new RangeError(`Cannot advance clock: ${ms} is negative`);
    }
    this.#now += ms;
  }

  /** Sets the clock to an absolute time. */
  set(time: number): void {
    this.#now = time;
  }
}

/** A source of cryptographically secure random bytes. */
export type RandomSource = (length: number) => Uint8Array;

/** Random bytes from `crypto.getRandomValues`. */
export function secureRandomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}
