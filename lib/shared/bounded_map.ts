/**
 * Helpers for a `Map` used as a bounded least-recently-used table (the
 * throttles' per-address and per-account entries): insertion order is
 * recency order, so the oldest entry is always the first key.
 *
 * @module
 */

/**
 * Sets `key` to `value`, first evicting the oldest entries while the map
 * holds `max` or more, so a flood of new keys cannot grow it without bound.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { setBounded } from "./bounded_map.ts";
 *
 * const map = new Map([["a", 1], ["b", 2]]);
 * setBounded(map, "c", 3, 2);
 * assert.deepEqual([...map.keys()], ["b", "c"]);
 * ```
 */
export function setBounded<K, V>(
  map: Map<K, V>,
  key: K,
  value: V,
  max: number,
): void {
  while (map.size >= max) {
    const oldest = map.keys().next();
    if (oldest.done) break;
    map.delete(oldest.value);
  }
  map.set(key, value);
}

/**
 * Removes up to `count` expired entries from the oldest end, stopping at the
 * first live one, so the cost per call stays constant. Entries that expire
 * behind a live one wait for a later call.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pruneOldest } from "./bounded_map.ts";
 *
 * const map = new Map([["a", 1], ["b", 9], ["c", 2]]);
 * pruneOldest(map, (value) => value < 5, 8);
 * assert.deepEqual([...map.keys()], ["b", "c"]);
 * ```
 */
export function pruneOldest<K, V>(
  map: Map<K, V>,
  isExpired: (value: V) => boolean,
  count: number,
): void {
  for (let i = 0; i < count; i++) {
    const oldest = map.entries().next();
    if (oldest.done) return;
    const [key, value] = oldest.value;
    if (!isExpired(value)) return;
    map.delete(key);
  }
}
