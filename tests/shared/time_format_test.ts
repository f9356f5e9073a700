/**
 * Unit tests of the seed's clock formats, against literal strings (the
 * seed's `[14:30:35]`), never against the function under test.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  formatClockTime,
  formatDateTime,
} from "../../lib/shared/time_format.ts";

/** Milliseconds of a local wall-clock time, so the test holds in any zone. */
function local(
  year: number,
  month: number,
  day: number,
  hours: number,
  minutes: number,
  seconds = 0,
): number {
  return new Date(year, month - 1, day, hours, minutes, seconds).getTime();
}

Deno.test("formatClockTime() writes 24-hour zero-padded HH:MM:SS", async (t) => {
  const cases: [number, string][] = [
    [local(2025, 11, 25, 14, 30, 35), "14:30:35"],
    [local(2026, 1, 1, 9, 5, 7), "09:05:07"],
    [local(2026, 1, 1, 0, 0, 0), "00:00:00"],
    [local(2026, 12, 31, 23, 59, 59), "23:59:59"],
  ];
  for (const [time, expected] of cases) {
    await t.step(expected, () => {
      assert.equal(formatClockTime(time), expected);
    });
  }
});

Deno.test("formatDateTime() writes YYYY-MM-DD HH:MM", () => {
  assert.equal(formatDateTime(local(2026, 3, 4, 9, 5, 59)), "2026-03-04 09:05");
  assert.equal(formatDateTime(local(2025, 11, 25, 14, 30)), "2025-11-25 14:30");
});
