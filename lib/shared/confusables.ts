/**
 * Look-alike names, after Unicode's UTS #39: a name that mixes Latin,
 * Cyrillic and Greek letters (`аdmin` with a Cyrillic `а`) is refused, and a
 * name whose skeleton (look-alikes mapped to one Latin letter) equals a
 * reserved name's is treated as that name (`ѕуѕтем`, `аdmіn`, `5ystem`).
 *
 * A compact table of the confusables that matter for names typed on a
 * keyboard, not all of Unicode's confusables.txt.
 *
 * @module
 */

// Cyrillic and Greek letters (lowercase: callers pass folded keys) and
// digits that look like a Latin letter, mapped to it.
const LOOK_ALIKES: Readonly<Record<string, string>> = {
  // Cyrillic
  "а": "a",
  "в": "b",
  "с": "c",
  "ԁ": "d",
  "е": "e",
  "ё": "e",
  "һ": "h",
  "і": "i",
  "ї": "i",
  "ј": "j",
  "к": "k",
  "ӏ": "l",
  "м": "m",
  "н": "h",
  "о": "o",
  "р": "p",
  "ԛ": "q",
  "г": "r",
  "ѕ": "s",
  "т": "t",
  "ц": "u",
  "ѵ": "v",
  "ԝ": "w",
  "х": "x",
  "у": "y",
  "з": "3",
  // Greek
  "α": "a",
  "β": "b",
  "ϲ": "c",
  "ε": "e",
  "η": "n",
  "ι": "i",
  "κ": "k",
  "μ": "u",
  "ν": "v",
  "ο": "o",
  "ρ": "p",
  "τ": "t",
  "υ": "u",
  "χ": "x",
  "γ": "y",
  "ω": "w",
  // Latin letters and digits that pass for another
  "ɑ": "a",
  "ɡ": "g",
  "ı": "i",
  "ℓ": "l",
  "0": "o",
  "1": "l",
  "5": "s",
  "|": "l",
};

/**
 * The skeleton of a folded name: each look-alike replaced by the Latin
 * letter it passes for, then `i`/`l` joined (they differ by a dot in many
 * fonts). Two names with one skeleton look alike.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { confusableSkeleton } from "./confusables.ts";
 *
 * assert.equal(confusableSkeleton("аdmin"), confusableSkeleton("admin"));
 * assert.equal(confusableSkeleton("ѕystem"), confusableSkeleton("system"));
 * ```
 */
export function confusableSkeleton(key: string): string {
  let skeleton = "";
  for (const char of key.normalize("NFD")) {
    // Accents do not make a name look different enough.
    if (/\p{M}/u.test(char)) continue;
    skeleton += LOOK_ALIKES[char] ?? char;
  }
  return skeleton.replaceAll("i", "l");
}

/**
 * Whether a name mixes letters of Latin, Cyrillic and Greek, the scripts
 * whose letters pass for each other (UTS #39's "highly restrictive" level
 * also refuses them; Latin with Han, kana or Hangul is fine).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { mixesLookAlikeScripts } from "./confusables.ts";
 *
 * assert.equal(mixesLookAlikeScripts("аdmin"), true);
 * assert.equal(mixesLookAlikeScripts("小王abc"), false);
 * ```
 */
export function mixesLookAlikeScripts(name: string): boolean {
  const latin = /\p{Script=Latin}/u.test(name);
  const cyrillic = /\p{Script=Cyrillic}/u.test(name);
  const greek = /\p{Script=Greek}/u.test(name);
  return Number(latin) + Number(cyrillic) + Number(greek) > 1;
}
