/**
 * Username validation and the case- and compatibility-insensitive key that
 * decides uniqueness, so that `Bob`, `bob` and fullwidth `ｂｏｂ` are one name.
 *
 * @module
 */

import { confusableSkeleton, mixesLookAlikeScripts } from "./confusables.ts";

/** The longest allowed username, in code points after NFC normalization. */
export const MAX_USERNAME_LENGTH = 32;

/** Why {@linkcode normalizeUsername} refused a name. */
export type UsernameRejection =
  | "empty"
  | "too_long"
  | "invalid_characters"
  | "reserved"
  | "confusable";

/** The outcome of {@linkcode normalizeUsername}. */
export type UsernameResult =
  | {
    ok: true;
    /** The name as displayed: the input in NFC form. */
    name: string;
    /** The uniqueness key; see {@linkcode usernameKey}. */
    key: string;
  }
  | { ok: false; reason: UsernameRejection };

/** Options for {@linkcode normalizeUsername}. */
export interface NormalizeUsernameOptions {
  /**
   * Accept names in {@linkcode RESERVED_USERNAMES}, for operator tooling
   * such as creating the first administrator or importing legacy accounts.
   * @default {false}
   */
  allowReserved?: boolean;
}

/**
 * Keys of names nobody may register, because users could mistake them for
 * the server or its staff. Compared by {@linkcode usernameKey}, so every
 * spelling (`Admin`, `ＡＤＭＩＮ`) is covered.
 */
export const RESERVED_USERNAMES: ReadonlySet<string> = new Set([
  "system",
  "admin",
  "administrator",
  "root",
  "server",
  "operator",
  "moderator",
  "nobody",
  "sysop",
  "tcpchat",
  "everyone",
  "系统",
  "系統",
  "服务器",
  "伺服器",
  "管理员",
  "管理員",
].map(usernameKey));

/**
 * One allowed unit: a letter followed by any combining marks (Devanagari,
 * Thai and others need marks that NFC cannot fold into the letter), a digit,
 * `_` or `-`. Default-ignorable code points are excluded although some are
 * letters or marks: the Hangul fillers (U+3164 and friends) and variation
 * selectors render as nothing and would allow invisible or look-alike names.
 * Marks may not follow a digit, `_` or `-`, which rules out keycap emoji and
 * names that start with a floating accent.
 */
const USERNAME_PATTERN =
  /^(?:(?!\p{Default_Ignorable_Code_Point})\p{L}(?:(?!\p{Default_Ignorable_Code_Point})\p{M})*|[\p{N}_-])+$/u;

/**
 * Inputs longer than this many UTF-16 code units are refused before
 * normalizing, which costs time on huge input. Already 256 code units cannot
 * come within 32 code points after NFC (at least 128 code points, and NFC
 * composes at most 4 into one, the longest canonical decomposition); the
 * bound has a fourfold margin on top.
 */
const MAX_RAW_LENGTH = MAX_USERNAME_LENGTH * 4 * 2 * 4;

/**
 * Validates a username and derives its display form and uniqueness key.
 *
 * The input is not trimmed: leading or trailing spaces make it invalid, like
 * any other space. A name is allowed when, after NFC normalization, it has
 * 1 to {@linkcode MAX_USERNAME_LENGTH} code points, each a letter (with any
 * combining marks), a digit, `_` or `-`, in any script, and its key is made
 * of the same characters. The second condition refuses compatibility
 * characters that hide punctuation, such as `½` (key `1⁄2`). A reserved name
 * is refused unless `options.allowReserved` is set.
 *
 * Never throws, whatever the input.
 *
 * @example Accepting and refusing names
 * ```ts
 * import assert from "node:assert/strict";
 * import { normalizeUsername } from "./username.ts";
 *
 * assert.deepEqual(normalizeUsername("Zoë"), { ok: true, name: "Zoë", key: "zoë" });
 * assert.deepEqual(normalizeUsername("小王"), { ok: true, name: "小王", key: "小王" });
 * assert.deepEqual(normalizeUsername("bob smith"), { ok: false, reason: "invalid_characters" });
 * assert.deepEqual(normalizeUsername("Admin"), { ok: false, reason: "reserved" });
 * ```
 *
 * @param raw The name as typed.
 * @param options See {@linkcode NormalizeUsernameOptions}.
 * @returns The NFC name and its key, or why the name is refused.
 */
export function normalizeUsername(
  raw: string,
  options: NormalizeUsernameOptions = {},
): UsernameResult {
  if (raw.length === 0) return { ok: false, reason: "empty" };
  if (raw.length > MAX_RAW_LENGTH) return { ok: false, reason: "too_long" };
  // Lone surrogates survive normalize() unchanged; the pattern refuses them.
  const name = raw.normalize("NFC");
  if (name.length === 0) return { ok: false, reason: "empty" };
  if (countCodePoints(name) > MAX_USERNAME_LENGTH) {
    return { ok: false, reason: "too_long" };
  }
  if (!USERNAME_PATTERN.test(name)) {
    return { ok: false, reason: "invalid_characters" };
  }
  const key = usernameKey(name);
  if (!USERNAME_PATTERN.test(key)) {
    return { ok: false, reason: "invalid_characters" };
  }
  if (!options.allowReserved && isReservedKey(key)) {
    return { ok: false, reason: "reserved" };
  }
  // On the key, so that a name and its key are judged alike.
  if (mixesLookAlikeScripts(key)) return { ok: false, reason: "confusable" };
  return { ok: true, name, key };
}

/**
 * Derives the uniqueness key of a name: NFKC, then `toUpperCase()` followed
 * by `toLowerCase()`, then NFKC again, repeated until nothing changes.
 *
 * This approximates Unicode's NFKC_Casefold without tables: NFKC folds
 * fullwidth, ligature and other compatibility forms (`ｂｏｂ`, `ﬁ`), and the
 * upper-then-lower round trip folds what `toLowerCase()` alone leaves apart,
 * such as `ß`/`ss` and `ς`/`σ`. Both case mappings are locale-independent.
 * Look-alikes from different scripts (Latin `a`, Cyrillic `а`) still get
 * different keys.
 *
 * Accepts any string and never throws, so callers can key throttling on
 * whatever name was tried, valid or not. Idempotent:
 * `usernameKey(usernameKey(s)) === usernameKey(s)`.
 *
 * @example Folding case and width
 * ```ts
 * import assert from "node:assert/strict";
 * import { usernameKey } from "./username.ts";
 *
 * assert.equal(usernameKey("Straße"), "strasse");
 * assert.equal(usernameKey("ＢＯＢ"), "bob");
 * ```
 *
 * @param name Any string, usually the `name` from {@linkcode normalizeUsername}.
 * @returns The key to compare names by.
 */
export function usernameKey(name: string): string {
  let key = name;
  // One pass is almost always stable; a few compatibility characters need a
  // second (an uppercase letter inside a compatibility decomposition).
  for (let i = 0; i < 4; i++) {
    const next = key.normalize("NFKC").toUpperCase().toLowerCase().normalize(
      "NFKC",
    );
    if (next === key) break;
    key = next;
  }
  return key;
}

/**
 * Reports whether a name is reserved. Accepts a key or any spelling of the
 * name, since it derives the key itself.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isReservedUsername } from "./username.ts";
 *
 * assert.equal(isReservedUsername("admin"), true);
 * assert.equal(isReservedUsername("ROOT"), true);
 * assert.equal(isReservedUsername("alice"), false);
 * ```
 *
 * @param key A key from {@linkcode usernameKey}, or any name.
 * @returns Whether the name is in {@linkcode RESERVED_USERNAMES}.
 */
export function isReservedUsername(key: string): boolean {
  return isReservedKey(usernameKey(key));
}

/**
 * Explains a rejection in words for error messages, in std style (lower
 * case, no final period), to follow `Cannot use name "x": `.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeUsernameRejection } from "./username.ts";
 *
 * assert.equal(describeUsernameRejection("reserved"), "name is reserved");
 * ```
 *
 * @param reason The reason from {@linkcode normalizeUsername}.
 * @returns A short explanation.
 */
export function describeUsernameRejection(reason: UsernameRejection): string {
  switch (reason) {
    case "empty":
      return "name is empty";
    case "too_long":
      return `name is longer than ${MAX_USERNAME_LENGTH} characters`;
    case "invalid_characters":
      return 'name may contain only letters, digits, "_" and "-"';
    case "reserved":
      return "name is reserved";
    case "confusable":
      return "name mixes Latin, Cyrillic or Greek letters that look alike";
  }
}

// Reserved names by skeleton, so look-alikes of them are reserved too.
const RESERVED_SKELETONS: ReadonlySet<string> = new Set(
  [...RESERVED_USERNAMES].map(confusableSkeleton),
);

function isReservedKey(key: string): boolean {
  return RESERVED_USERNAMES.has(key) ||
    RESERVED_SKELETONS.has(confusableSkeleton(key));
}

function countCodePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
