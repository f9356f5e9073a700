/**
 * Clock-time formatting for the seed's display formats (`[14:30:35] …`).
 *
 * @module
 */

/**
 * Formats a time as local `HH:MM:SS`.
 *
 * @param time Milliseconds since the epoch.
 * @example
 * ```ts
 * import { formatClockTime } from "./time_format.ts";
 * import assert from "node:assert/strict";
 *
 * assert.match(formatClockTime(Date.UTC(2026, 0, 1, 14, 30, 35)), /^\d\d:\d\d:35$/);
 * ```
 */
export function formatClockTime(time: number): string {
  const date = new Date(time);
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((part) => String(part).padStart(2, "0"))
    .join(":");
}

/**
 * Formats a time as local `YYYY-MM-DD HH:MM`, for listings.
 *
 * @param time Milliseconds since the epoch.
 */
export function formatDateTime(time: number): string {
  const date = new Date(time);
  const day = [
    date.getFullYear(),
    String(date.getMonth() + 1).padStart(2, "0"),
    String(date.getDate()).padStart(2, "0"),
  ].join("-");
  const clock = [date.getHours(), date.getMinutes()]
    .map((part) => String(part).padStart(2, "0"))
    .join(":");
  return `${day} ${clock}`;
}
