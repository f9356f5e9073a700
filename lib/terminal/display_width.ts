/**
 * Display width of text in a terminal: how many columns a character, a
 * grapheme cluster or a string takes in a monospace terminal.
 *
 * The rules follow `wcwidth()` and Unicode's East Asian Width property, with
 * emoji sequences measured as one cluster:
 *
 * - Width 2: East Asian Wide and Fullwidth characters (CJK ideographs, Hangul
 *   syllables, Hiragana, Katakana, Bopomofo, Yi, CJK symbols and punctuation
 *   such as `，。！`, fullwidth forms) and characters with emoji presentation
 *   (`\p{Emoji_Presentation}`, such as 😀 and 🎉). A cluster that is an emoji
 *   sequence (a ZWJ sequence such as 👨‍👩‍👧, a flag such as 🇨🇳, a keycap
 *   or a character followed by U+FE0F) is 2 columns as a whole.
 * - Width 0: control characters, nonspacing and enclosing marks (`\p{Mn}`,
 *   `\p{Me}`), format characters (`\p{Cf}`: ZWJ, zero-width space, tags…)
 *   except the soft hyphen, variation selectors and Hangul medial vowels and
 *   final consonants (U+1160–U+11FF, U+D7B0–U+D7FF).
 * - Width 1: everything else.
 *
 * Approximations: the wide table covers whole blocks, so unassigned code
 * points inside a wide block count as wide; East Asian Ambiguous characters
 * (such as `①` or `Ω`) count as 1, as in most terminals outside CJK locales;
 * terminals disagree about emoji made wide only by U+FE0F (such as ❤️), which
 * count as 2 here; a grapheme cluster that is not an emoji sequence counts
 * as the sum of its code points, as `wcswidth()` does.
 *
 * @module
 */

/**
 * Inclusive `[first, last]` code point ranges of East Asian Wide and
 * Fullwidth characters, sorted. Emoji are found by their Unicode property
 * instead, so they are not listed here.
 */
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], // Hangul Jamo initial consonants
  [0x2329, 0x232a], // Angle brackets
  [0x2e80, 0x303e], // CJK radicals, Kangxi, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility…
  [0x3400, 0x4dbf], // CJK Unified Ideographs Extension A
  [0x4dc0, 0x4dff], // Yijing hexagram symbols (wide since Unicode 16)
  [0x4e00, 0x9fff], // CJK Unified Ideographs
  [0xa000, 0xa4cf], // Yi syllables and radicals
  [0xa960, 0xa97f], // Hangul Jamo Extended-A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK Compatibility Ideographs
  [0xfe10, 0xfe19], // Vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // Fullwidth forms
  [0xffe0, 0xffe6], // Fullwidth signs
  [0x16fe0, 0x16fff], // Ideographic symbols and punctuation
  [0x17000, 0x18cff], // Tangut, Khitan
  [0x18d00, 0x18d7f], // Tangut supplement
  [0x1aff0, 0x1b2ff], // Kana extended and supplements, Nushu
  [0x1f200, 0x1f2ff], // Enclosed ideographic supplement
  [0x20000, 0x2fffd], // CJK Extensions B–F, compatibility supplement
  [0x30000, 0x3fffd], // CJK Extensions G–H
];

const EMOJI_PRESENTATION = /\p{Emoji_Presentation}/u;
const ZERO_WIDTH_CATEGORY = /[\p{Mn}\p{Me}\p{Cf}]/u;
/**
 * A multi-code-point cluster that terminals draw as one emoji: it holds an
 * emoji-presentation character (flags, skin tones, most ZWJ sequences), an
 * emoji followed by VS16, or a pictograph joined by ZWJ.
 */
const EMOJI_CLUSTER =
  /\p{Emoji_Presentation}|\p{Emoji}\uFE0F|\p{Extended_Pictographic}\u200D/u;

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

const ESC = 0x1b;
const BEL = 0x07;

function isWide(codePoint: number): boolean {
  let low = 0;
  let high = WIDE_RANGES.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const [first, last] = WIDE_RANGES[middle]!;
    if (codePoint < first) high = middle - 1;
    else if (codePoint > last) low = middle + 1;
    else return true;
  }
  return false;
}

/**
 * Returns the number of terminal columns one code point takes on its own.
 *
 * @param codePoint A Unicode code point, such as `"你".codePointAt(0)`.
 * @returns 0 for control and zero-width characters, 2 for wide characters
 * and emoji, 1 otherwise.
 *
 * @example Widths of single characters
 * ```ts
 * import assert from "node:assert/strict";
 * import { charWidth } from "./display_width.ts";
 *
 * assert.equal(charWidth("a".codePointAt(0)!), 1);
 * assert.equal(charWidth("你".codePointAt(0)!), 2);
 * assert.equal(charWidth("，".codePointAt(0)!), 2);
 * assert.equal(charWidth("😀".codePointAt(0)!), 2);
 * assert.equal(charWidth(0x0301), 0); // combining acute accent
 * assert.equal(charWidth(0x200d), 0); // zero width joiner
 * assert.equal(charWidth(0x1b), 0); // escape
 * ```
 */
export function charWidth(codePoint: number): 0 | 1 | 2 {
  // Printable ASCII is by far the most common case.
  if (codePoint >= 0x20 && codePoint < 0x7f) return 1;
  if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint <= 0x9f)) return 0;
  // The soft hyphen is a format character that terminals draw as a hyphen.
  if (codePoint === 0xad) return 1;
  if (codePoint < 0x300) return 1;
  if (
    (codePoint >= 0x1160 && codePoint <= 0x11ff) ||
    (codePoint >= 0xd7b0 && codePoint <= 0xd7ff)
  ) {
    // Hangul medial vowels and final consonants join the preceding initial.
    return 0;
  }
  if (codePoint > 0x10ffff || codePoint < 0) return 1;
  const char = String.fromCodePoint(codePoint);
  if (ZERO_WIDTH_CATEGORY.test(char)) return 0;
  if (isWide(codePoint)) return 2;
  if (codePoint >= 0x2300 && EMOJI_PRESENTATION.test(char)) return 2;
  return 1;
}

/**
 * Splits text into user-perceived characters (extended grapheme clusters).
 *
 * @param text Any string.
 * @returns The clusters in order; joining them gives `text` back.
 *
 * @example A family emoji, a flag and an accented letter
 * ```ts
 * import assert from "node:assert/strict";
 * import { graphemes } from "./display_width.ts";
 *
 * assert.deepEqual(graphemes("👨‍👩‍👧🇨🇳e\u0301!"), [
 *   "👨‍👩‍👧",
 *   "🇨🇳",
 *   "e\u0301",
 *   "!",
 * ]);
 * ```
 */
export function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (segment) => segment.segment);
}

/**
 * Returns the number of terminal columns one grapheme cluster takes.
 *
 * An emoji sequence (ZWJ sequence, flag, keycap, emoji with VS16 or a skin
 * tone) is 2 columns; any other cluster is the sum of
 * {@linkcode charWidth} over its code points.
 *
 * @param cluster One grapheme cluster, as returned by {@linkcode graphemes}.
 * @returns The width in columns, 0 for an empty string.
 *
 * @example Clusters
 * ```ts
 * import assert from "node:assert/strict";
 * import { graphemeWidth } from "./display_width.ts";
 *
 * assert.equal(graphemeWidth("👨‍👩‍👧"), 2);
 * assert.equal(graphemeWidth("🇨🇳"), 2);
 * assert.equal(graphemeWidth("e\u0301"), 1);
 * assert.equal(graphemeWidth("好"), 2);
 * ```
 */
export function graphemeWidth(cluster: string): number {
  if (cluster.length === 0) return 0;
  const first = cluster.codePointAt(0)!;
  const firstLength = first > 0xffff ? 2 : 1;
  if (cluster.length === firstLength) return charWidth(first);
  if (EMOJI_CLUSTER.test(cluster)) return 2;
  let width = 0;
  for (const char of cluster) width += charWidth(char.codePointAt(0)!);
  return width;
}

/**
 * Removes ANSI escape sequences (CSI such as colors, OSC such as window
 * titles, and two-byte escapes), which take no columns.
 */
function stripAnsi(text: string): string {
  if (!text.includes("\x1b")) return text;
  let result = "";
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code !== ESC) {
      result += text[i];
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "[") {
      // CSI: parameter and intermediate bytes up to one final byte.
      i += 2;
      while (i < text.length) {
        const c = text.charCodeAt(i++);
        if (c >= 0x40 && c <= 0x7e) break;
      }
    } else if (next === "]") {
      // OSC: ends with BEL or ST (ESC \).
      i += 2;
      while (i < text.length) {
        const c = text.charCodeAt(i);
        if (c === BEL) {
          i++;
          break;
        }
        if (c === ESC && text[i + 1] === "\\") {
          i += 2;
          break;
        }
        i++;
      }
    } else {
      i += next === undefined ? 1 : 2;
    }
  }
  return result;
}

/**
 * Returns the number of terminal columns a string takes on one line.
 *
 * ANSI escape sequences (such as color codes) are skipped, so a colored
 * prompt measures as its visible text. Control characters count 0; the
 * caller handles line breaks and tabs.
 *
 * @param text Any string.
 * @returns The sum of {@linkcode graphemeWidth} over its clusters; never
 * negative.
 *
 * @example Mixed Chinese, ASCII and emoji
 * ```ts
 * import assert from "node:assert/strict";
 * import { stringWidth } from "./display_width.ts";
 *
 * assert.equal(stringWidth("hello"), 5);
 * assert.equal(stringWidth("你好，世界！"), 12);
 * assert.equal(stringWidth("hi 👋🎉"), 7);
 * assert.equal(stringWidth("\x1b[32m> \x1b[0m"), 2);
 * ```
 */
export function stringWidth(text: string): number {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code >= 0x7f) {
      ascii = false;
      break;
    }
  }
  if (ascii) return text.length;
  let width = 0;
  for (const { segment } of segmenter.segment(stripAnsi(text))) {
    width += graphemeWidth(segment);
  }
  return width;
}
