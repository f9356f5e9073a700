/**
 * Free text on the wire: byte and character lengths, the sanitizing of
 * messages, and the checks on user-authored texts (a chat or private
 * message, a reason, a status).
 *
 * @module
 */

import {
  MAX_MESSAGE_BYTES,
  MAX_REASON_BYTES,
  MAX_STATUS_LENGTH,
} from "./limits.ts";
import type { InvalidCommandCode } from "./spec.ts";

// C0 controls, DEL and C1 controls: never sent in a message, so that a reply
// stays one line and cannot drive the peer's terminal.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL_PATTERN = /[\u0000-\u001f\u007f-\u009f]/g;
// A character that shows: not white space (which includes U+3000 and
// U+FEFF), not a control or format character, not one that Unicode says to
// render as nothing (Default_Ignorable_Code_Point: U+200B, the Hangul
// fillers U+3164 and U+FFA0, variation selectors …), and not the blank
// Braille pattern U+2800, which shows as an empty cell.
const VISIBLE_PATTERN =
  /[^\s\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u;

/**
 * Makes free text safe to send as a message: each control character (C0,
 * DEL, C1, including `\r`, `\n` and tab) becomes a space and each lone
 * surrogate becomes U+FFFD. Other text, such as CJK or emoji, is unchanged.
 *
 * @param text Any text.
 * @returns The text, safe to put on one line and to print on a terminal.
 *
 * @example Sanitize a message
 * ```ts
 * import { sanitizeMessage } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sanitizeMessage("hi\r\n\u001b[2J 你好"), "hi   [2J 你好");
 * ```
 */
export function sanitizeMessage(text: string): string {
  return text.toWellFormed().replace(CONTROL_PATTERN, " ");
}

/** How long a user-authored text may be, and in which unit. */
export interface TextLimit {
  /** The most units the text may have. */
  max: number;
  /** What `max` counts. */
  unit: "bytes" | "characters";
}

/** The limit of a chat or private message text. */
export const MESSAGE_LIMIT: TextLimit = {
  max: MAX_MESSAGE_BYTES,
  unit: "bytes",
};
/** The limit of a `KICK` or `MUTE` reason. */
export const REASON_LIMIT: TextLimit = { max: MAX_REASON_BYTES, unit: "bytes" };
/** The limit of a `STATUS` text. */
export const STATUS_LIMIT: TextLimit = {
  max: MAX_STATUS_LENGTH,
  unit: "characters",
};

/**
 * Returns why `text` is not a user-authored text (a chat or private message,
 * a reason, a status) within `limit`, with the code to answer.
 */
export function userTextProblem(
  name: string,
  text: string,
  limit: TextLimit,
): [InvalidCommandCode, string] | undefined {
  if (text === "") return ["empty_message", `${name} is empty`];
  if (text.includes("\r") || text.includes("\n")) {
    return [
      "invalid_command",
      `${name} contains a carriage return or line feed`,
    ];
  }
  if (!text.isWellFormed()) {
    return ["invalid_command", `${name} is not well-formed Unicode`];
  }
  if (!VISIBLE_PATTERN.test(text)) {
    return [
      "empty_message",
      `${name} has only white space, control or invisible characters`,
    ];
  }
  const length = limit.unit === "bytes"
    ? utf8ByteLength(text)
    : codePointLength(text);
  if (length > limit.max) {
    return [
      "message_too_long",
      `${name} is ${length} ${limit.unit}, longer than the limit of ${limit.max}`,
    ];
  }
  return undefined;
}

/** The JavaScript types a field to format may be required to have. */
export interface FieldTypes {
  /** A text, a token, a name. */
  string: string;
  /** A count, an id, a time. */
  number: number;
  /** A flag. */
  boolean: boolean;
}

/**
 * Checks that a field to format has the JavaScript type `type`: a
 * `TypeError` naming the field if not.
 */
export function checkType<T extends keyof FieldTypes>(
  verb: string,
  field: { name: string; value: unknown; type: T },
): FieldTypes[T] {
  // deno-lint-ignore valid-typeof -- field.type is a typeof name (FieldTypes)
  if (typeof field.value !== field.type) {
    throw new TypeError(
      `Cannot format ${verb}: ${field.name} is not a ${field.type}`,
    );
  }
  return field.value as FieldTypes[T];
}

/** Checks that a field to format is a string. */
export function checkString(
  verb: string,
  name: string,
  value: unknown,
): string {
  return checkType(verb, { name, value, type: "string" });
}

/** Checks a user-authored text as {@linkcode userTextProblem} does. */
export function checkUserText(
  verb: string,
  name: string,
  value: unknown,
  limit: TextLimit,
): string {
  const text = checkString(verb, name, value);
  const problem = userTextProblem(name, text, limit);
  if (problem === undefined) return text;
  const [code, description] = problem;
  const message = `Cannot format ${verb}: ${description}`;
  throw code === "invalid_command"
    ? new TypeError(message)
    : new RangeError(message);
}

/** Checks the text of an event: a string, sanitized, and not empty. */
export function checkText(verb: string, value: unknown): string {
  if (typeof value !== "string") {
    throw new TypeError(`Cannot format ${verb}: text is not a string`);
  }
  const text = sanitizeMessage(value);
  if (text === "") throw new RangeError(`Cannot format ${verb}: text is empty`);
  return text;
}

/** Appends ` <message>`, sanitized, unless it is empty. */
export function withMessage(
  head: string,
  message: unknown,
  name = "message",
): string {
  if (typeof message !== "string") {
    const verb = head.split(" ", 1)[0];
    throw new TypeError(`Cannot format ${verb}: ${name} is not a string`);
  }
  const text = sanitizeMessage(message);
  return text === "" ? head : `${head} ${text}`;
}

/**
 * Reads an optional trailing text: absent is `""`, present is sanitized, and
 * present but empty (a line that ends in a space) is undefined, because an
 * empty text is sent without its space.
 */
export function optionalText(text: string | undefined): string | undefined {
  if (text === undefined) return "";
  return text === "" ? undefined : sanitizeMessage(text);
}

/** The number of code points in `text`. */
export function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

/** The length of `text` in UTF-8, a lone surrogate counting as U+FFFD. */
export function utf8ByteLength(text: string): number {
  let length = 0;
  for (let index = 0; index < text.length; index++) {
    const codePoint = text.codePointAt(index) as number;
    length += codePointByteLength(codePoint);
    if (codePoint > 0xffff) index++;
  }
  return length;
}

/** The length of one code point in UTF-8. */
export function codePointByteLength(codePoint: number): number {
  if (codePoint < 0x80) return 1;
  if (codePoint < 0x800) return 2;
  // Lone surrogates count as the 3-byte U+FFFD they are encoded as.
  if (codePoint < 0x10000) return 3;
  return 4;
}
