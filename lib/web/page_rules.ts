/**
 * The page's small decisions, kept pure for tests: which language to start
 * in, what `HELLO` says, which `BYE` ends a session for good.
 *
 * @module
 */

import type { Lang } from "../shared/messages.ts";

/** Local storage key of the language chosen with the switch. */
export const LANG_KEY = "tcpchat.lang";
/** Session storage key of the account and its resume token. */
export const SESSION_KEY = "tcpchat.session";

/**
 * The language to start in: the one chosen before, else the first of the
 * browser's languages that is Chinese or English, else Chinese.
 *
 * @example
 * ```ts
 * import { chooseLang } from "./page_rules.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(chooseLang(null, ["en-US", "zh-CN"]), "en");
 * assert.equal(chooseLang(null, ["de-DE"]), "zh");
 * assert.equal(chooseLang("zh", ["en-GB"]), "zh");
 * ```
 */
export function chooseLang(
  stored: string | null,
  languages: readonly string[],
): Lang {
  if (stored === "zh" || stored === "en") return stored;
  for (const language of languages) {
    const primary = language.toLowerCase().split("-")[0];
    if (primary === "zh" || primary === "en") return primary;
  }
  return "zh";
}

/**
 * A numeric `key=value` field of the greeting
 * (`HELLO tcpchat/1 0.1.0 min_password=8`) of at most `maxDigits` digits
 * (5: a length or a port; 16 for `max_file`'s bytes), or `undefined`.
 */
export function helloNumber(
  line: string,
  key: string,
  maxDigits = 5,
): number | undefined {
  const pattern = new RegExp(`^\\d{1,${maxDigits}}$`);
  for (const field of line.split(" ").slice(3)) {
    const [name, value] = field.split("=", 2);
    if (name === key && value !== undefined && pattern.test(value)) {
      return Number(value);
    }
  }
  return undefined;
}

/**
 * `BYE` codes after which the page does not log back in by itself: someone
 * decided the session ends (a kick, a password reset, the account deleted)
 * or another connection took it over. After the others (a server restart,
 * a timeout, a full queue) it reconnects and resumes.
 */
const FINAL_BYES: ReadonlySet<string> = new Set([
  "kicked",
  "password_reset",
  "account_deleted",
  "session_resumed",
]);

/** Whether a `BYE` with `code` ends the session for good. */
export function isFinalBye(code: string): boolean {
  return FINAL_BYES.has(code);
}
