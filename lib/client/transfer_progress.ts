/**
 * The terminal's progress line for a file transfer (issue 15), and how
 * often to redraw it. Pure: the caller measures time and writes the line.
 *
 * @module
 */

import type { Clock } from "../shared/clock.ts";
import { formatBytes } from "../shared/file_names.ts";
import { type Lang, t } from "../shared/messages.ts";
import {
  graphemes,
  graphemeWidth,
  stringWidth,
} from "../terminal/display_width.ts";
import { sanitizeServerText } from "./view.ts";

/** The most terminal columns a file name takes in a progress line. */
export const PROGRESS_NAME_COLUMNS = 30;

/** Below this much elapsed time a speed is noise, so none is shown. */
const MIN_SPEED_ELAPSED_MS = 500;

/** The longest extension (in columns, dot included) kept after the `…`. */
const MAX_KEPT_EXTENSION_COLUMNS = 10;

/** What a progress line shows. */
export interface TransferProgress {
  /** `up` for an upload (`↑`), `down` for a download (`↓`). */
  direction: "up" | "down";
  /** The file's name; controls and escapes in it are never shown. */
  name: string;
  /** Bytes transferred so far (a resumed transfer counts what was held). */
  done: number;
  /** The file's size in bytes. */
  total: number;
  /** Time since the transfer (or this resumption of it) began. */
  elapsedMs: number;
  /**
   * Bytes already there when it (or this resumption) began: the speed
   * counts only what moved since.
   * @default {0}
   */
  from?: number;
  /** The language of the words in the line. */
  lang: Lang;
}

/**
 * Shortens `name` to at most `maxColumns` terminal columns, putting `…` in
 * place of what is cut and keeping a short extension visible
 * (`a very long report name….pdf`). Cuts fall between grapheme clusters, so
 * a wide character that does not fit leaves one column free rather than
 * being split.
 *
 * @param name The text to shorten (already free of controls).
 * @param maxColumns The most columns the result may take; at least 1.
 * @returns `name` itself when it fits, otherwise a shortened form.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shortenName } from "./transfer_progress.ts";
 *
 * assert.equal(shortenName("报告.pdf", 30), "报告.pdf");
 * assert.equal(shortenName("abcdefghijkl.txt", 10), "abcde….txt");
 * ```
 */
export function shortenName(name: string, maxColumns: number): string {
  if (stringWidth(name) <= maxColumns) return name;
  const dot = name.lastIndexOf(".");
  let tail = dot > 0 ? name.slice(dot) : "";
  // The extension is kept only when a useful part of the name still fits.
  if (
    stringWidth(tail) > MAX_KEPT_EXTENSION_COLUMNS ||
    stringWidth(tail) + 1 + 1 > maxColumns
  ) {
    tail = "";
  }
  const budget = maxColumns - 1 - stringWidth(tail);
  let head = "";
  let used = 0;
  for (const cluster of graphemes(name.slice(0, name.length - tail.length))) {
    const width = graphemeWidth(cluster);
    if (used + width > budget) break;
    head += cluster;
    used += width;
  }
  return `${head}…${tail}`;
}

/**
 * Formats one progress line, such as
 * `↑ 报告.pdf  45%  1.0 MB / 2.3 MB  3.4 MB/s`: the direction, the name (at
 * most {@linkcode PROGRESS_NAME_COLUMNS} columns), the percentage (rounded
 * down, so 100% means all of it), the amounts, and the average speed (`—`
 * before half a second has passed). A finished transfer ends with the
 * catalog's `transferDone` word.
 *
 * @param progress What to show.
 * @returns One line, without a line break.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { progressLine } from "./transfer_progress.ts";
 *
 * assert.equal(
 *   progressLine({
 *     direction: "up",
 *     name: "报告.pdf",
 *     done: 1048576,
 *     total: 2411725,
 *     elapsedMs: 300,
 *     lang: "en",
 *   }),
 *   "↑ 报告.pdf  43%  1.0 MB / 2.3 MB  —",
 * );
 * ```
 */
export function progressLine(progress: TransferProgress): string {
  const { direction, total, elapsedMs, lang } = progress;
  const done = Math.min(Math.max(progress.done, 0), Math.max(total, 0));
  const arrow = direction === "up" ? "↑" : "↓";
  const name = shortenName(
    sanitizeServerText(progress.name),
    PROGRESS_NAME_COLUMNS,
  );
  const percent = total > 0 ? Math.floor((done / total) * 100) : 100;
  const speed = elapsedMs >= MIN_SPEED_ELAPSED_MS
    ? `${
      formatBytes((Math.max(done - (progress.from ?? 0), 0) * 1000) / elapsedMs)
    }/s`
    : "—";
  const parts = [
    `${arrow} ${name}`,
    `${percent}%`,
    `${formatBytes(done)} / ${formatBytes(Math.max(total, 0))}`,
    speed,
  ];
  if (done >= total) parts.push(t(lang, "transferDone"));
  return parts.join("  ");
}

/**
 * Says when the progress line is worth redrawing: at most once per interval,
 * so a fast transfer does not spend its time writing to the terminal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "../shared/clock.ts";
 * import { ProgressThrottle } from "./transfer_progress.ts";
 *
 * const clock = new ManualClock();
 * const throttle = new ProgressThrottle(clock);
 * assert.equal(throttle.due(), true);
 * clock.advance(100);
 * assert.equal(throttle.due(), false);
 * clock.advance(150);
 * assert.equal(throttle.due(), true);
 * ```
 */
export class ProgressThrottle {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  #lastShown: number | undefined;

  /**
   * @param clock Where the time comes from.
   * @param intervalMs The least time between two shown lines.
   */
  constructor(clock: Clock, intervalMs = 250) {
    if (!(intervalMs >= 0)) {
      throw new RangeError(
        `Cannot throttle progress: interval ${intervalMs} ms is not 0 or more`,
      );
    }
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  /**
   * Whether a line should be shown now: true on the first call and once
   * `intervalMs` has passed since the last call that returned true (which
   * counts as showing it). A clock that went back counts as due.
   */
  due(): boolean {
    const now = this.#clock.now();
    const last = this.#lastShown;
    if (
      last !== undefined && now >= last && now - last < this.#intervalMs
    ) {
      return false;
    }
    this.#lastShown = now;
    return true;
  }
}
