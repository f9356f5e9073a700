/**
 * Checks of numeric options at construction, with one wording for every
 * class: `Cannot create <what>: <name> must be a positive integer, got <v>`.
 *
 * @module
 */

/**
 * Returns `values` if each is a positive safe integer.
 *
 * @throws {RangeError} naming the first that is not.
 *
 * @example
 * ```ts
 * import { positiveIntegers } from "./option_checks.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(positiveIntegers("pool", { size: 4 }), { size: 4 });
 * assert.throws(() => positiveIntegers("pool", { size: 0 }), /pool: size must be a positive integer, got 0/);
 * ```
 */
export function positiveIntegers<T extends Record<string, number>>(
  what: string,
  values: T,
): T {
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new RangeError(
        `Cannot create ${what}: ${name} must be a positive integer, got ${value}`,
      );
    }
  }
  return values;
}

/**
 * Returns `values` if each is a positive finite number.
 *
 * @throws {RangeError} naming the first that is not.
 */
export function positiveNumbers<T extends Record<string, number>>(
  what: string,
  values: T,
): T {
  for (const [name, value] of Object.entries(values)) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(
        `Cannot create ${what}: ${name} must be a positive number, got ${value}`,
      );
    }
  }
  return values;
}
