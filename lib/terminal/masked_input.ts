/**
 * Pure state for password entry in a raw-mode terminal: every character
 * typed echoes one `*`.
 *
 * @module
 */

import type { KeyEvent } from "./key_decoder.ts";

/** What {@linkcode MaskedInput.handle} asks the shell to do. */
export type MaskedInputResult =
  /** Write `output` (possibly empty) and keep reading. */
  | { type: "echo"; output: string }
  /** Write `output`; the password is `value`. */
  | { type: "done"; value: string; output: string }
  /** Write `output`; the user gave up (Ctrl+C, or Ctrl+D on empty input). */
  | { type: "cancel"; output: string };

const ERASE_ONE = "\b \b";
const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

function countGraphemes(text: string): number {
  let count = 0;
  for (const _ of segmenter.segment(text)) count++;
  return count;
}

/** Removes control characters (C0, DEL, C1), which never belong in a password. */
function stripControls(text: string): string {
  let result = "";
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0x20 && (code < 0x7f || code > 0x9f)) result += char;
  }
  return result;
}

/**
 * Collects a password from key events, echoing one `*` per grapheme
 * cluster, so a Chinese character or an emoji shows as one star.
 *
 * - Typed or pasted text echoes one `*` per cluster it adds. A combining
 *   mark that joins the previous cluster adds no star, so the stars always
 *   match the clusters held.
 * - Backspace removes the last cluster and echoes `"\b \b"`; on empty input
 *   it echoes nothing. Ctrl+U removes everything, one `"\b \b"` per star.
 * - Enter finishes with output `"\r\n"`. Ctrl+C cancels with `"^C\r\n"`;
 *   Ctrl+D cancels with `"\r\n"` on empty input and is ignored otherwise.
 * - Other keys (arrows, Tab, Escape…) are ignored with empty output.
 * - After `done` or `cancel` the input is cleared, so the instance holds no
 *   password and can be used again.
 *
 * @example Type a password with a CJK character and a typo
 * ```ts
 * import assert from "node:assert/strict";
 * import { MaskedInput } from "./masked_input.ts";
 *
 * const input = new MaskedInput();
 * assert.deepEqual(input.handle({ type: "char", text: "密码x" }), {
 *   type: "echo",
 *   output: "***",
 * });
 * assert.deepEqual(input.handle({ type: "backspace" }), {
 *   type: "echo",
 *   output: "\b \b",
 * });
 * assert.deepEqual(input.handle({ type: "char", text: "🎉" }), {
 *   type: "echo",
 *   output: "*",
 * });
 * assert.deepEqual(input.handle({ type: "enter" }), {
 *   type: "done",
 *   value: "密码🎉",
 *   output: "\r\n",
 * });
 * ```
 */
export class MaskedInput {
  #value = "";
  #count = 0;

  /** Number of grapheme clusters typed so far (the stars on screen). */
  get length(): number {
    return this.#count;
  }

  /**
   * Applies one key event.
   *
   * @param event A key event from {@linkcode KeyDecoder}.
   * @returns The output to write, and whether input is finished.
   */
  handle(event: KeyEvent): MaskedInputResult {
    switch (event.type) {
      case "char": {
        const text = stripControls(event.text);
        if (text.length === 0) return { type: "echo", output: "" };
        this.#value += text;
        const count = countGraphemes(this.#value);
        const added = Math.max(0, count - this.#count);
        this.#count = count;
        return { type: "echo", output: "*".repeat(added) };
      }
      case "backspace": {
        if (this.#count === 0) return { type: "echo", output: "" };
        let lastIndex = 0;
        for (const { index } of segmenter.segment(this.#value)) {
          lastIndex = index;
        }
        this.#value = this.#value.slice(0, lastIndex);
        this.#count--;
        return { type: "echo", output: ERASE_ONE };
      }
      case "ctrl_u": {
        const output = ERASE_ONE.repeat(this.#count);
        this.#clear();
        return { type: "echo", output };
      }
      case "enter": {
        const value = this.#value;
        this.#clear();
        return { type: "done", value, output: "\r\n" };
      }
      case "ctrl_c":
        this.#clear();
        return { type: "cancel", output: "^C\r\n" };
      case "ctrl_d":
        if (this.#count > 0) return { type: "echo", output: "" };
        return { type: "cancel", output: "\r\n" };
      default:
        return { type: "echo", output: "" };
    }
  }

  #clear(): void {
    this.#value = "";
    this.#count = 0;
  }
}
