/**
 * `:smile:`-style shortcodes the client expands before sending, from a small
 * built-in table (`/emoji` lists it). Messages themselves are plain UTF-8,
 * so emoji typed directly work too.
 *
 * @module
 */

import { stringWidth } from "../terminal/display_width.ts";

/** Shortcode (without colons) → emoji. */
export const EMOJI_SHORTCODES: ReadonlyMap<string, string> = new Map([
  ["smile", "😄"],
  ["grin", "😁"],
  ["joy", "😂"],
  ["laughing", "😆"],
  ["wink", "😉"],
  ["blush", "😊"],
  ["heart_eyes", "😍"],
  ["thinking", "🤔"],
  ["neutral", "😐"],
  ["sweat", "😅"],
  ["cry", "😢"],
  ["sob", "😭"],
  ["angry", "😠"],
  ["scream", "😱"],
  ["sleepy", "😪"],
  ["sunglasses", "😎"],
  ["thumbsup", "👍"],
  ["+1", "👍"],
  ["thumbsdown", "👎"],
  ["-1", "👎"],
  ["clap", "👏"],
  ["wave", "👋"],
  ["ok_hand", "👌"],
  ["pray", "🙏"],
  ["muscle", "💪"],
  ["heart", "❤️"],
  ["broken_heart", "💔"],
  ["fire", "🔥"],
  ["star", "⭐"],
  ["sparkles", "✨"],
  ["tada", "🎉"],
  ["rocket", "🚀"],
  ["coffee", "☕"],
  ["tea", "🍵"],
  ["beer", "🍺"],
  ["cake", "🍰"],
  ["sun", "☀️"],
  ["moon", "🌙"],
  ["rain", "🌧️"],
  ["check", "✅"],
  ["x", "❌"],
  ["warning", "⚠️"],
  ["question", "❓"],
  ["100", "💯"],
  ["eyes", "👀"],
  ["ok", "🆗"],
  ["cn", "🇨🇳"],
  // Avatars too: /avatar :cat:
  ["cat", "🐱"],
  ["dog", "🐶"],
]);

/**
 * Replaces every known `:code:` in `text` with its emoji; unknown codes and
 * lone colons are left alone, so `12:30:45` stays as typed.
 *
 * @example
 * ```ts
 * import { expandShortcodes } from "./emoji.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(expandShortcodes("good :thumbsup: :nope: 12:30:45"), "good 👍 :nope: 12:30:45");
 * ```
 */
export function expandShortcodes(text: string): string {
  return text.replace(
    /:([a-z0-9_+-]{1,20}):/g,
    (match, code: string) => EMOJI_SHORTCODES.get(code) ?? match,
  );
}

/** The table as display lines, `:code:  emoji`, for `/emoji`. */
export function emojiTable(): string[] {
  return [...EMOJI_SHORTCODES].map(([code, emoji]) => `:${code}:  ${emoji}`);
}

/**
 * The table laid out in as many columns as fit in `width` terminal columns,
 * so that `/emoji` does not scroll off a small screen (issue 12 item 22).
 * Each line starts with two spaces; cells are padded by display width.
 */
export function emojiColumns(width = 80): string[] {
  const cells = emojiTable();
  const cellWidth = Math.max(...cells.map(stringWidth)) + 2;
  const perLine = Math.max(1, Math.floor((width - 2) / cellWidth));
  const lines: string[] = [];
  for (let i = 0; i < cells.length; i += perLine) {
    const row = cells.slice(i, i + perLine);
    lines.push(
      `  ${
        row.map((cell, j) =>
          j === row.length - 1
            ? cell
            : cell + " ".repeat(cellWidth - stringWidth(cell))
        ).join("")
      }`,
    );
  }
  return lines;
}
