/**
 * File names from users, made safe: the name a shared file is shown under
 * (the server keeps it as data, never as a path) and the name a client
 * writes a download under, valid on Windows as on Linux and macOS.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBytes, safeFileName, uniqueFileName } from "./file_names.ts";
 *
 * assert.equal(safeFileName("../../etc/passwd"), "passwd");
 * assert.equal(safeFileName("con.txt"), "_con.txt");
 * const taken = new Set(["报告.pdf"]);
 * assert.equal(await uniqueFileName("报告.pdf", (n) => taken.has(n)), "报告 (1).pdf");
 * assert.equal(formatBytes(2411725), "2.3 MB");
 * ```
 *
 * @module
 */

/**
 * The longest safe name, in UTF-8 bytes. Linux and macOS allow 255 bytes and
 * Windows 255 UTF-16 units; 180 leaves room for a ` (9999)` suffix and for
 * the partial-download suffix a client may add while a transfer runs.
 */
export const MAX_FILE_NAME_BYTES = 180;

/** The longest extension (after the last dot) kept whole when a name is cut. */
const MAX_EXTENSION_CHARS = 16;

/** How many numbered variants {@linkcode uniqueFileName} tries before giving up. */
const MAX_NUMBERED_VARIANTS = 9999;

/**
 * Characters that are removed outright: C0 and C1 controls (NUL included),
 * DEL, line and paragraph separators, and the invisible format characters
 * that reorder or hide text (bidi marks, embeddings, overrides and isolates,
 * the Arabic letter mark, zero-width space and non-joiner, word joiner,
 * invisible operators, byte-order mark). `evil\u202Etxt.exe` would otherwise
 * show as `evilexe.txt`.
 */
const REMOVED =
  // deno-lint-ignore no-control-regex -- finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b\u200c\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/gu;

/**
 * A zero-width joiner that does not join two pictographs. Those inside an
 * emoji sequence (👨‍👩‍👧, 🏳️‍🌈) are kept so the emoji stays whole; anywhere
 * else it is an invisible character and goes.
 */
const STRAY_JOINER =
  /(?<!\p{Extended_Pictographic}[\ufe0f\u{1f3fb}-\u{1f3ff}]?)\u200d|\u200d(?!\p{Extended_Pictographic})/gu;

/** Characters Windows forbids in a name (`/` and `\` are separators, handled first). */
const WINDOWS_INVALID = /[<>:"|?*]/g;

/** Leading whitespace, and trailing whitespace and dots (Windows drops both). */
const LEADING_SPACE = /^\s+/u;
const TRAILING_SPACE_OR_DOT = /[\s.]+$/u;

/**
 * A Windows device name as the base of a name (before the first dot, trailing
 * spaces ignored, any case): `CON`, `nul.txt`, `COM1 .log`, `LPT¹`. Windows
 * opens the device instead of a file for these, in any folder.
 */
const DEVICE_NAME =
  /^(?:CON|PRN|AUX|NUL|COM[0-9\u00b9\u00b2\u00b3]|LPT[0-9\u00b9\u00b2\u00b3]|CONIN\$|CONOUT\$) *(?:\.|$)/i;

/** Known double extensions, kept together by {@linkcode uniqueFileName}. */
const DOUBLE_EXTENSION = /\.tar\.(?:gz|bz2|xz)$/i;

const encoder = new TextEncoder();
const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** The size of `text` in UTF-8 (lone surrogates count as U+FFFD, 3 bytes). */
function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/**
 * The longest start of `text` that fits in `maxBytes` UTF-8 bytes, cut
 * between grapheme clusters so no letter loses its accent and no emoji is
 * split. A single cluster larger than the whole budget (a letter with
 * hundreds of combining marks) is cut between code points instead, so the
 * result is never empty when `text` is not.
 */
function fitBytes(text: string, maxBytes: number): string {
  if (utf8Length(text) <= maxBytes) return text;
  let result = "";
  let used = 0;
  for (const { segment } of segmenter.segment(text)) {
    const size = utf8Length(segment);
    if (used + size > maxBytes) {
      if (result !== "") return result;
      // The first cluster alone is too big: fall back to code points.
      for (const char of segment) {
        const charSize = utf8Length(char);
        if (used + charSize > maxBytes) break;
        result += char;
        used += charSize;
      }
      return result;
    }
    result += segment;
    used += size;
  }
  return result;
}

/**
 * `name` split as `[stem, extension]` for cutting: the extension is the last
 * dot and what follows it when that is short ({@linkcode MAX_EXTENSION_CHARS}
 * characters at most) and the dot is not the first character (`.env` is all
 * stem).
 */
function splitForCut(name: string): [string, string] {
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return [name, ""];
  const extension = name.slice(dot);
  if ([...extension].length - 1 > MAX_EXTENSION_CHARS) return [name, ""];
  return [name.slice(0, dot), extension];
}

/** `name` cut to {@linkcode MAX_FILE_NAME_BYTES} bytes, its extension kept. */
function capLength(name: string): string {
  if (utf8Length(name) <= MAX_FILE_NAME_BYTES) return name;
  const [stem, extension] = splitForCut(name);
  return fitBytes(stem, MAX_FILE_NAME_BYTES - utf8Length(extension)) +
    extension;
}

/** One round of cleaning; {@linkcode safeFileName} repeats it until stable. */
function cleanOnce(name: string): string {
  // Controls go before normalizing: `e` ZWSP U+0301 becomes `é` only once
  // the ZWSP is gone, and NFC never produces a control character.
  const visible = name.toWellFormed().replace(REMOVED, "")
    .replace(STRAY_JOINER, "").normalize("NFC");
  // Both separators everywhere: a name from Windows uses `\`, and a server
  // or a client on any system must never treat any part as a folder.
  const last = visible.slice(
    Math.max(visible.lastIndexOf("/"), visible.lastIndexOf("\\")) + 1,
  );
  let safe = last.replace(WINDOWS_INVALID, "_").replace(LEADING_SPACE, "")
    .replace(TRAILING_SPACE_OR_DOT, "");
  if (safe === "") safe = "file";
  if (DEVICE_NAME.test(safe)) safe = `_${safe}`;
  return capLength(safe);
}

/**
 * Makes `name` a single safe file name.
 *
 * What it does, in order: removes controls (NUL, C0, DEL, C1), bidi controls
 * and invisible format characters; normalizes to NFC; keeps only the last
 * segment of `/` or `\` separated parts (`C:\x` is `x`); replaces the
 * characters Windows forbids (`<>:"|?*`, so drive-relative `C:x` is `C_x`)
 * with `_`; drops leading whitespace and trailing whitespace and dots;
 * prefixes a Windows device name (`CON`, `nul.txt`, `COM1.log`) with `_`;
 * cuts it to {@linkcode MAX_FILE_NAME_BYTES} UTF-8 bytes between grapheme
 * clusters, keeping a short extension; and gives `file` when nothing is left.
 *
 * The result is stable: `safeFileName(safeFileName(x)) === safeFileName(x)`.
 *
 * @param name Any string, such as the name a user's system gave a file.
 * @returns A non-empty name with no path separator, control character or
 * device name, valid on Windows, Linux and macOS.
 *
 * @example Hostile names
 * ```ts
 * import assert from "node:assert/strict";
 * import { safeFileName } from "./file_names.ts";
 *
 * assert.equal(safeFileName("..\\..\\x"), "x");
 * assert.equal(safeFileName("CON"), "_CON");
 * assert.equal(safeFileName("evil\u202Etxt.exe"), "eviltxt.exe");
 * assert.equal(safeFileName("name. . ."), "name");
 * assert.equal(safeFileName(".."), "file");
 * assert.equal(safeFileName("报告 😀.pdf"), "报告 😀.pdf");
 * ```
 */
export function safeFileName(name: string): string {
  // One round can leave work for another: a cut can end in a space or leave
  // a bare device name (`CON` then 300 spaces then `x`). Repeating until
  // nothing changes is what makes the result stable; every round after the
  // first only shortens the name or adds the one `_`, so it ends quickly.
  let current = cleanOnce(name);
  for (;;) {
    const next = cleanOnce(current);
    if (next === current) return current;
    current = next;
  }
}

/**
 * `name` split as `[stem, extension]` for numbering: `a.tar.gz` is `a` and
 * `.tar.gz`, `报告.pdf` is `报告` and `.pdf`, and a dotfile (`.env`) or a name
 * without a dot is all stem.
 */
function splitForNumbering(name: string): [string, string] {
  const double = DOUBLE_EXTENSION.exec(name);
  if (double !== null && double.index > 0) {
    return [name.slice(0, double.index), name.slice(double.index)];
  }
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return [name, ""];
  return [name.slice(0, dot), name.slice(dot)];
}

/**
 * Finds a free name for a new file: the first of `name`, `stem (1).ext`,
 * `stem (2).ext`, … up to `stem (9999).ext` that `isTaken` says is free.
 * The number goes before the extension (`a (1).tar.gz` for `a.tar.gz`) and
 * after a dotfile (`.env (1)`); every candidate is at most
 * {@linkcode MAX_FILE_NAME_BYTES} bytes, the stem cut between grapheme
 * clusters to make room for the number.
 *
 * @param name A name already made safe by {@linkcode safeFileName}.
 * @param isTaken Whether a candidate is in use, such as a file existing in
 * the download folder; asked in order, one candidate at a time.
 * @returns The first free candidate.
 * @throws {Error} When `name` and all 9999 numbered variants are taken.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { uniqueFileName } from "./file_names.ts";
 *
 * const taken = new Set(["notes", "notes (1)"]);
 * assert.equal(await uniqueFileName("notes", (n) => taken.has(n)), "notes (2)");
 * ```
 */
export async function uniqueFileName(
  name: string,
  isTaken: (candidate: string) => boolean | Promise<boolean>,
): Promise<string> {
  const [stem, extension] = splitForNumbering(name);
  for (let n = 0; n <= MAX_NUMBERED_VARIANTS; n++) {
    const suffix = n === 0 ? "" : ` (${n})`;
    const candidate = utf8Length(stem + suffix + extension) <=
        MAX_FILE_NAME_BYTES
      ? stem + suffix + extension
      : fitBytes(
        stem,
        MAX_FILE_NAME_BYTES - utf8Length(suffix + extension),
      ) + suffix + extension;
    if (!(await isTaken(candidate))) return candidate;
  }
  throw new Error(
    `Cannot find a free file name for "${name}": it and its ${MAX_NUMBERED_VARIANTS} numbered variants are all taken`,
  );
}

const UNITS = ["B", "KB", "MB", "GB", "TB", "PB", "EB"] as const;

/**
 * Formats a byte count for people, 1024-based: whole bytes below 1 KB, one
 * decimal below 100 of a unit, none from 100 on. A value that would round
 * to 1024 of a unit is shown in the next one (`1.0 MB`, never `1024 KB`).
 *
 * @param bytes A count of bytes, or bytes per second (rounded to whole bytes).
 * @returns Such as `0 B`, `512 B`, `1.0 KB`, `2.3 MB`, `100 MB`.
 * @throws {RangeError} When `bytes` is negative, NaN or infinite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatBytes } from "./file_names.ts";
 *
 * assert.equal(formatBytes(512), "512 B");
 * assert.equal(formatBytes(1536), "1.5 KB");
 * assert.equal(formatBytes(104857600), "100 MB");
 * assert.equal(formatBytes(1048575), "1.0 MB");
 * ```
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) {
    throw new RangeError(
      `Cannot format ${bytes} as a byte count: it must be a finite number of 0 or more`,
    );
  }
  const whole = Math.round(bytes);
  if (whole < 1024) return `${whole} B`;
  let value = whole / 1024;
  let unit = 1;
  // Carry before formatting, so 1023.6 KB shows as 1.0 MB.
  while (Math.round(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const tenths = Math.round(value * 10) / 10;
  const number = tenths < 100 ? tenths.toFixed(1) : String(Math.round(value));
  return `${number} ${UNITS[unit]}`;
}
