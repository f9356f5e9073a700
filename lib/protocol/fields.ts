/**
 * The fields lines are made of: words, counts, flags, names and codes, how
 * they parse (a string result is why not) and how they are checked before
 * they are formatted (a `TypeError` or `RangeError` saying which field).
 *
 * @module
 */

import { MAX_LINE_BYTES } from "./limits.ts";
import {
  checkString,
  checkText,
  checkType,
  optionalText,
  sanitizeMessage,
  utf8ByteLength,
} from "./text.ts";

/** A snake_case word: the code of `ERROR`, `BYE` and `OK`. */
export const CODE_PATTERN = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
/** A positive decimal integer without leading zeros. */
export const POSITIVE_INTEGER_PATTERN = /^[1-9][0-9]*$/;
const COUNT_PATTERN = /^(?:0|[1-9][0-9]*)$/;
// deno-lint-ignore no-control-regex -- matching control characters is the point
const HAS_CONTROL_PATTERN = /[\u0000-\u001f\u007f-\u009f]/;

/** Splits `text` at its first space; the rest is undefined without one. */
export function splitWord(
  text: string,
): [word: string, rest: string | undefined] {
  const space = text.indexOf(" ");
  return space === -1
    ? [text, undefined]
    : [text.slice(0, space), text.slice(space + 1)];
}

/**
 * Returns why the arguments of a command that needs some are unusable:
 * missing (`firstName` says what comes first), or not one line of
 * well-formed Unicode.
 */
export function argumentsProblem(
  firstName: string,
  args: string | undefined,
): string | undefined {
  if (args === undefined || args === "") return `missing ${firstName}`;
  if (args.includes("\r") || args.includes("\n")) {
    return "line contains a carriage return or line feed";
  }
  if (!args.isWellFormed()) return "line is not well-formed Unicode";
  return undefined;
}

/**
 * Reads the first word of a command's arguments, which must be there and
 * not empty, as {@linkcode argumentsProblem} checks; the rest is what
 * follows its space.
 */
export function leadingWord(
  firstName: string,
  args: string | undefined,
): [word: string, rest: string | undefined] | string {
  const problem = argumentsProblem(firstName, args);
  if (problem !== undefined) return problem;
  const [word, rest] = splitWord(args as string);
  if (word === "") {
    return `${firstName} is empty (separate fields with one space)`;
  }
  return [word, rest];
}

/**
 * Reads one space-separated word per name from the front of `rest`; `tail`
 * is what follows the last one (undefined without a space after it).
 */
export function readFields(
  rest: string | undefined,
  names: readonly string[],
): { words: string[]; tail: string | undefined } | string {
  const words: string[] = [];
  let tail = rest;
  for (const name of names) {
    if (tail === undefined) return `missing ${name}`;
    const [word, next] = splitWord(tail);
    words.push(word);
    tail = next;
  }
  return { words, tail };
}

/** Parses a non-negative safe integer without leading zeros. */
export function parseCount(name: string, text: string): number | string {
  const value = Number(text);
  if (!COUNT_PATTERN.test(text) || !Number.isSafeInteger(value)) {
    return `${name} is not a non-negative integer without leading zeros`;
  }
  return value;
}

/** Parses a count that ends the line; undefined means it is missing. */
export function parseCountField(
  name: string,
  text: string | undefined,
): number | string {
  return text === undefined ? `missing ${name}` : parseCount(name, text);
}

/** Parses an integer from `min` to `max` written without leading zeros. */
export function parseRange(
  name: string,
  text: string,
  min: number,
  max: number,
): number | string {
  const value = Number(text);
  if (!COUNT_PATTERN.test(text) || !(value >= min && value <= max)) {
    return `${name} must be a number from ${min} to ${max} without leading zeros`;
  }
  return value;
}

/** Parses `0` or `1`, which ends the line. */
export function parseFlag(
  name: string,
  text: string | undefined,
): boolean | string {
  if (text === undefined) return `missing ${name}`;
  if (text === "0" || text === "1") return text === "1";
  return `${name} must be "0" or "1"`;
}

/** Returns why `value` is not a token (a non-empty word), if it is not. */
export function tokenProblem(
  name: string,
  value: string | undefined,
): string | undefined {
  if (value === undefined || value === "") return `missing ${name}`;
  if (value.includes(" ")) return `${name} contains a space`;
  if (value.includes("\r") || value.includes("\n")) {
    return `${name} contains a carriage return or line feed`;
  }
  if (!value.isWellFormed()) return `${name} is not well-formed Unicode`;
  return undefined;
}

/** Like {@linkcode tokenProblem}, and also rejects control characters. */
export function nameProblem(
  name: string,
  value: string | undefined,
): string | undefined {
  const problem = tokenProblem(name, value);
  if (problem !== undefined) return problem;
  // Usernames are printed; keep escape sequences off the peer's terminal.
  if (HAS_CONTROL_PATTERN.test(value as string)) {
    return `${name} contains a control character`;
  }
  return undefined;
}

/**
 * Checks a string field to format by the rule that parses it: a
 * `TypeError` quoting `problem`'s answer when it has one.
 */
export function checkWith(
  verb: string,
  field: {
    name: string;
    value: unknown;
    problem(name: string, value: string): string | undefined;
  },
): string {
  const value = checkString(verb, field.name, field.value);
  const problem = field.problem(field.name, value);
  if (problem !== undefined) {
    throw new TypeError(`Cannot format ${verb}: ${problem}`);
  }
  return value;
}

/** Checks a token to format as {@linkcode tokenProblem} does. */
export function checkToken(verb: string, name: string, value: unknown): string {
  return checkWith(verb, { name, value, problem: tokenProblem });
}

/** Checks a name to format as {@linkcode nameProblem} does. */
export function checkName(verb: string, name: string, value: unknown): string {
  return checkWith(verb, { name, value, problem: nameProblem });
}

/** Checks a boolean field to format. */
export function checkFlag(verb: string, name: string, value: unknown): boolean {
  return checkType(verb, { name, value, type: "boolean" });
}

/** Checks an integer field from `min` to `max` to format. */
export function checkRange(
  verb: string,
  name: string,
  value: unknown,
  min: number,
  max: number,
): string {
  const number = checkType(verb, { name, value, type: "number" });
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new RangeError(
      `Cannot format ${verb}: ${name} must be an integer from ${min} to ${max}, got ${number}`,
    );
  }
  return String(number);
}

/** Checks a non-negative safe integer field (an id, time or count). */
export function checkCount(verb: string, name: string, value: unknown): string {
  const number = checkType(verb, { name, value, type: "number" });
  if (!Number.isSafeInteger(number) || number < 0) {
    throw new RangeError(
      `Cannot format ${verb}: ${name} must be a non-negative safe integer, got ${number}`,
    );
  }
  return String(number);
}

/** Checks the snake_case code of an `ERROR`, `BYE` or `OK` to format. */
export function checkCode(verb: string, kind: string, value: unknown): string {
  if (typeof value !== "string" || !CODE_PATTERN.test(value)) {
    throw new TypeError(
      `Cannot format ${verb}: ${kind} code "${
        String(value)
      }" is not a snake_case word`,
    );
  }
  return value;
}

/** Checks an array field to format. */
export function checkArray(
  verb: string,
  name: string,
  value: unknown,
): unknown[] {
  if (!Array.isArray(value)) {
    throw new TypeError(`Cannot format ${verb}: ${name} is not an array`);
  }
  return value;
}

/** Checks that a formatted line fits in {@linkcode MAX_LINE_BYTES}. */
export function checkLineLength(what: string, line: string): string {
  const length = utf8ByteLength(line);
  if (length > MAX_LINE_BYTES) {
    throw new RangeError(
      `Cannot format ${what}: line is ${length} bytes, longer than the limit of ${MAX_LINE_BYTES}`,
    );
  }
  return line;
}

/**
 * One field of a reply line, named: how it parses and how it formats, for
 * {@linkcode fieldsReplies} (spec.ts).
 */
export interface Field {
  /** What a parse problem calls it: `"member count"`. */
  readonly name: string;
  /**
   * Parses the field's text (undefined when the line ends before it); a
   * string is why it is malformed, a one-element array the value.
   */
  parse(text: string | undefined): [value: unknown] | string;
  /**
   * Checks a value to format and returns its text; undefined leaves an
   * optional field off the line.
   */
  format(verb: string, value: unknown): string | undefined;
}

/** A non-negative safe integer: an id, a time in ms, a count. */
export function countField(name: string): Field {
  return {
    name,
    parse(text) {
      const value = parseCountField(name, text);
      return typeof value === "string" ? value : [value];
    },
    format: (verb, value) => checkCount(verb, name, value),
  };
}

/** An integer from 1 to `max`, written without leading zeros. */
export function rangeField(name: string, max: number): Field {
  return {
    name,
    parse(text) {
      if (text === undefined) return `missing ${name}`;
      const value = parseRange(name, text, 1, max);
      return typeof value === "string" ? value : [value];
    },
    format: (verb, value) => checkRange(verb, name, value, 1, max),
  };
}

/**
 * A word that `problem` checks when it parses and `check` when it formats
 * (tokens, names, base64).
 */
export function checkedField(
  name: string,
  rules: {
    problem(name: string, text: string | undefined): string | undefined;
    check(verb: string, name: string, value: unknown): string;
  },
): Field {
  return {
    name,
    parse: (text) => rules.problem(name, text) ?? [text],
    format: (verb, value) => rules.check(verb, name, value),
  };
}

/** A username or room name, as {@linkcode nameProblem} checks it. */
export function nameField(name: string): Field {
  return checkedField(name, { problem: nameProblem, check: checkName });
}

/** A name that may end the line or be left off (`USER_LEFT`'s room). */
export function optionalNameField(name: string): Field {
  const field = nameField(name);
  return {
    name,
    parse: (text) => text === undefined ? [undefined] : field.parse(text),
    format: (verb, value) =>
      value === undefined ? undefined : field.format(verb, value),
  };
}

/** A token (a code, a secret), as {@linkcode tokenProblem} checks it. */
export function tokenField(name: string): Field {
  return checkedField(name, { problem: tokenProblem, check: checkToken });
}

/**
 * A flag, `0` or `1`, called `name` when it will not parse and `formatName`
 * when it will not format.
 */
export function flagField(name: string, formatName = name): Field {
  return {
    name,
    parse(text) {
      const value = parseFlag(name, text);
      return typeof value === "string" ? value : [value];
    },
    format: (verb, value) => checkFlag(verb, formatName, value) ? "1" : "0",
  };
}

/** The non-empty text that ends a line, sanitized (`MESSAGE`, `SYSTEM`). */
export const TEXT_FIELD: Field = {
  name: "text",
  parse(text) {
    if (text === undefined || text === "") return "missing text";
    return [sanitizeMessage(text)];
  },
  format: checkText,
};

/**
 * A text that ends the line and may be empty, sanitized: an empty one is
 * sent without its space (`MUTED`'s reason).
 */
export function optionalTextField(name: string): Field {
  return {
    name,
    parse(text) {
      const value = optionalText(text);
      return value === undefined
        ? `${name} is empty (an empty ${name} is sent without its space)`
        : [value];
    },
    format(verb, value) {
      const text = sanitizeMessage(checkString(verb, name, value));
      return text === "" ? undefined : text;
    },
  };
}
