/**
 * A pure single-line editor for a raw-mode terminal: the edit buffer, the
 * cursor, input history, and the exact escape sequences that redraw the
 * input line and print messages above it.
 *
 * The shell decodes stdin with {@linkcode KeyDecoder}, passes each event to
 * {@linkcode LineEditor.handle} and writes what {@linkcode LineEditor.render}
 * or {@linkcode LineEditor.printAbove} returns. Nothing here does I/O.
 *
 * @module
 */

import { graphemeWidth, stringWidth } from "./display_width.ts";
import type { KeyEvent } from "./key_decoder.ts";

/** What the shell should do after {@linkcode LineEditor.handle}. */
export type EditorAction =
  /** Nothing beyond redrawing the line. */
  | { type: "none" }
  /** The user pressed Enter; the buffer is now empty. */
  | { type: "submit"; line: string }
  /** The user pressed Ctrl+C; the buffer is left as it was. */
  | { type: "interrupt" }
  /** The user pressed Ctrl+D on an empty line. */
  | { type: "eof" };

/** Options for {@linkcode LineEditor}. */
export interface LineEditorOptions {
  /**
   * Text shown before the input. It may hold ANSI color sequences, which
   * take no columns.
   *
   * @default {"> "}
   */
  prompt?: string;
  /**
   * Most submitted lines kept for Up/Down recall; the oldest are dropped
   * first. 0 disables history. Must be a non-negative integer.
   *
   * @default {500}
   */
  maxHistory?: number;
}

const ERASE_TO_END = "\x1b[K";
const NONE: EditorAction = Object.freeze({ type: "none" });
const WHITESPACE = /^\s+$/u;

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * Removes control characters (C0, DEL, C1) from typed text and turns line
 * breaks into spaces, so the buffer stays one printable line.
 */
function sanitize(text: string): string {
  let result = "";
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code === 0x0a || code === 0x0d || code === 0x09) result += " ";
    else if (code >= 0x20 && (code < 0x7f || code > 0x9f)) result += char;
  }
  return result;
}

/** The escape sequence that moves the cursor to `column` on this line. */
function moveToColumn(column: number): string {
  return column > 0 ? `\r\x1b[${column}C` : "\r";
}

/**
 * The state of one input line: buffer, cursor and history, edited by key
 * events and drawn as exact terminal output.
 *
 * - The cursor counts grapheme clusters, so an emoji, a flag or a letter
 *   with a combining accent is one step for Left, Right, Backspace and
 *   Delete.
 * - Up and Down walk the history. The line being typed is kept as a draft
 *   and comes back when Down passes the newest entry. A recalled line is a
 *   copy: editing it never changes history, and its edits are dropped when
 *   Up or Down moves to another entry.
 * - Enter submits the buffer; a line that is not blank is added to history
 *   unless it equals the newest entry.
 * - Ctrl+W deletes the previous word (back to white space, as readline's
 *   `unix-word-rubout`); Ctrl+U deletes to the start and Ctrl+K to the end.
 * - Tab, Escape and Ctrl+L change nothing (use
 *   {@linkcode LineEditor.clearScreen} for Ctrl+L).
 * - Rendering never writes into the last column, so the terminal never
 *   wraps the input line. A line wider than the terminal scrolls
 *   horizontally to keep the cursor in view; the scroll offset is remembered
 *   between renders so the view does not jump at every key.
 *
 * @example Type, move and submit
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineEditor } from "./line_editor.ts";
 *
 * const editor = new LineEditor({ prompt: "> " });
 * editor.handle({ type: "char", text: "你好wo" });
 * editor.handle({ type: "left" });
 * editor.handle({ type: "left" });
 * assert.equal(editor.cursor, 2);
 * // Prompt (2 columns) + "你好" (4 columns): the cursor is at column 6.
 * assert.equal(editor.render(80), "\r> 你好wo\x1b[K\r\x1b[6C");
 * assert.deepEqual(editor.handle({ type: "enter" }), {
 *   type: "submit",
 *   line: "你好wo",
 * });
 * assert.equal(editor.buffer, "");
 * ```
 *
 * @example Print an incoming message above a half-typed line
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineEditor } from "./line_editor.ts";
 *
 * const editor = new LineEditor();
 * editor.handle({ type: "char", text: "hi" });
 * assert.equal(
 *   editor.printAbove("[14:30:35] 张三: 大家好", 80),
 *   "\r\x1b[K[14:30:35] 张三: 大家好\r\n\r> hi\x1b[K\r\x1b[4C",
 * );
 * ```
 */
export class LineEditor {
  #prompt: string;
  #promptWidth: number;
  #maxHistory: number;
  #chars: string[] = [];
  #text = "";
  #cursor = 0;
  #history: string[] = [];
  /** Index into #history being shown; #history.length means the draft. */
  #historyIndex = 0;
  #draft = "";
  /** Index of the first grapheme shown when the line is scrolled. */
  #scroll = 0;

  /**
   * Creates an empty editor; see {@linkcode LineEditorOptions}.
   *
   * @throws {RangeError} If `maxHistory` is not a non-negative integer.
   */
  constructor(options: LineEditorOptions = {}) {
    const maxHistory = options.maxHistory ?? 500;
    if (!Number.isSafeInteger(maxHistory) || maxHistory < 0) {
      throw new RangeError(
        `Cannot create line editor: maxHistory must be a non-negative integer, got ${maxHistory}`,
      );
    }
    this.#maxHistory = maxHistory;
    this.#prompt = options.prompt ?? "> ";
    this.#promptWidth = stringWidth(this.#prompt);
  }

  /** The text being edited. */
  get buffer(): string {
    return this.#text;
  }

  /** The cursor position, in grapheme clusters from the start of the buffer. */
  get cursor(): number {
    return this.#cursor;
  }

  /** The current prompt. */
  get prompt(): string {
    return this.#prompt;
  }

  /** Submitted lines, oldest first (a copy). */
  get history(): string[] {
    return [...this.#history];
  }

  /**
   * Replaces the prompt; takes effect at the next render.
   *
   * @param prompt The new prompt, such as `"张三> "`.
   */
  setPrompt(prompt: string): void {
    this.#prompt = prompt;
    this.#promptWidth = stringWidth(prompt);
  }

  /**
   * Applies one key event to the buffer.
   *
   * @param event A key event from {@linkcode KeyDecoder}.
   * @returns What the shell should do next; after any action, a render
   * shows the current state.
   */
  handle(event: KeyEvent): EditorAction {
    switch (event.type) {
      case "char":
        this.#insert(event.text);
        return NONE;
      case "enter":
        return this.#submit();
      case "ctrl_c":
        return { type: "interrupt" };
      case "ctrl_d":
        if (this.#chars.length === 0) return { type: "eof" };
        this.#deleteRange(this.#cursor, this.#cursor + 1);
        return NONE;
      case "delete":
        this.#deleteRange(this.#cursor, this.#cursor + 1);
        return NONE;
      case "backspace":
        if (this.#cursor > 0) {
          this.#deleteRange(this.#cursor - 1, this.#cursor);
        }
        return NONE;
      case "left":
        this.#cursor = Math.max(0, this.#cursor - 1);
        return NONE;
      case "right":
        this.#cursor = Math.min(this.#chars.length, this.#cursor + 1);
        return NONE;
      case "home":
      case "ctrl_a":
        this.#cursor = 0;
        return NONE;
      case "end":
      case "ctrl_e":
        this.#cursor = this.#chars.length;
        return NONE;
      case "ctrl_u":
        this.#deleteRange(0, this.#cursor);
        return NONE;
      case "ctrl_k":
        this.#deleteRange(this.#cursor, this.#chars.length);
        return NONE;
      case "ctrl_w":
        this.#deleteRange(this.#previousWordStart(), this.#cursor);
        return NONE;
      case "up":
        this.#recall(this.#historyIndex - 1);
        return NONE;
      case "down":
        this.#recall(this.#historyIndex + 1);
        return NONE;
      case "tab":
      case "escape":
      case "ctrl_l":
        return NONE;
    }
  }

  /**
   * Returns the output that redraws the prompt and buffer on the current
   * line and puts the cursor in place: `"\r"`, the visible text, `"\x1b[K"`,
   * then `"\r"` and `"\x1b[<n>C"` to reach column `n` (omitted for 0).
   *
   * The visible text is at most `columns - 1` wide. When the line is wider,
   * a window of the buffer is shown around the cursor, cut only between
   * grapheme clusters; the prompt is dropped if it leaves less than 2
   * columns.
   *
   * @param columns Width of the terminal, such as
   * `Deno.consoleSize().columns`.
   * @returns The exact string to write to stdout.
   * @throws {RangeError} If `columns` is not a positive integer.
   */
  render(columns: number): string {
    if (!Number.isSafeInteger(columns) || columns < 1) {
      throw new RangeError(
        `Cannot render input line: columns must be a positive integer, got ${columns}`,
      );
    }
    let prompt = this.#prompt;
    let available = columns - 1 - this.#promptWidth;
    if (available < 2) {
      prompt = "";
      available = columns - 1;
    }
    const widths = this.#chars.map(graphemeWidth);
    const start = this.#scrollFor(widths, available);
    let cursorColumn = 0;
    for (let i = start; i < this.#cursor; i++) cursorColumn += widths[i]!;
    let shown = "";
    let used = 0;
    for (let i = start; i < widths.length; i++) {
      const width = widths[i]!;
      if (used + width > available) break;
      shown += this.#chars[i];
      used += width;
    }
    const promptWidth = prompt === "" ? 0 : this.#promptWidth;
    return "\r" + prompt + shown + ERASE_TO_END +
      moveToColumn(promptWidth + cursorColumn);
  }

  /**
   * Returns the output that prints `message` above the input line, then
   * redraws the input line with its text and cursor intact:
   * `"\r\x1b[K" + message + "\r\n" + render(columns)`.
   *
   * Each `\n` (or `\r\n`) in the message becomes `\r\n`, since raw mode may
   * turn off the terminal's newline translation. The message is written as
   * is otherwise: strip control characters from untrusted text first.
   *
   * @param message Text to print, without a final line break.
   * @param columns Width of the terminal.
   * @returns The exact string to write to stdout.
   * @throws {RangeError} If `columns` is not a positive integer.
   */
  printAbove(message: string, columns: number): string {
    return "\r" + ERASE_TO_END + message.replace(/\r?\n/g, "\r\n") + "\r\n" +
      this.render(columns);
  }

  /**
   * Returns the output that clears the input line, such as before printing
   * something else on it or before exit.
   *
   * @returns `"\r\x1b[K"`.
   */
  clearLine(): string {
    return "\r" + ERASE_TO_END;
  }

  /**
   * Returns the output that clears the screen and redraws the input line at
   * the top, for Ctrl+L.
   *
   * @param columns Width of the terminal.
   * @returns `"\x1b[H\x1b[2J"` followed by {@linkcode LineEditor.render}.
   * @throws {RangeError} If `columns` is not a positive integer.
   */
  clearScreen(columns: number): string {
    return "\x1b[H\x1b[2J" + this.render(columns);
  }

  /**
   * Picks the first grapheme to show so that the cursor (and the cluster
   * under it) fits in `available` columns, moving the remembered scroll
   * offset as little as possible.
   */
  #scrollFor(widths: number[], available: number): number {
    const cursor = this.#cursor;
    let start = Math.min(this.#scroll, cursor);
    const under = cursor < widths.length ? widths[cursor]! : 0;
    let before = 0;
    for (let i = start; i < cursor; i++) before += widths[i]!;
    while (start < cursor && before + under > available) {
      before -= widths[start]!;
      start++;
    }
    // Use free room on the right to show more of the start of the line.
    let total = 0;
    for (let i = start; i < widths.length; i++) total += widths[i]!;
    while (start > 0 && total + widths[start - 1]! <= available) {
      start--;
      total += widths[start]!;
    }
    this.#scroll = start;
    return start;
  }

  #insert(text: string): void {
    const clean = sanitize(text);
    if (clean.length === 0) return;
    const before = this.#chars.slice(0, this.#cursor).join("");
    const after = this.#chars.slice(this.#cursor).join("");
    this.#setText(before + clean + after, before.length + clean.length);
  }

  #deleteRange(from: number, to: number): void {
    const end = Math.min(to, this.#chars.length);
    if (from >= end) return;
    const before = this.#chars.slice(0, from).join("");
    const after = this.#chars.slice(end).join("");
    this.#setText(before + after, before.length);
  }

  /**
   * Replaces the buffer and puts the cursor after the cluster holding
   * UTF-16 offset `offset - 1`. The text is segmented again because an edit
   * can join or split clusters (a combining accent typed after a letter).
   */
  #setText(text: string, offset: number): void {
    const chars: string[] = [];
    let cursor = 0;
    for (const { segment, index } of segmenter.segment(text)) {
      chars.push(segment);
      if (index < offset) cursor++;
    }
    this.#chars = chars;
    this.#text = text;
    this.#cursor = cursor;
  }

  #previousWordStart(): number {
    let i = this.#cursor;
    while (i > 0 && WHITESPACE.test(this.#chars[i - 1]!)) i--;
    while (i > 0 && !WHITESPACE.test(this.#chars[i - 1]!)) i--;
    return i;
  }

  #recall(index: number): void {
    if (index < 0 || index > this.#history.length) return;
    if (this.#historyIndex === this.#history.length) this.#draft = this.#text;
    this.#historyIndex = index;
    const text = index === this.#history.length
      ? this.#draft
      : this.#history[index]!;
    this.#setText(text, text.length);
  }

  #submit(): EditorAction {
    const line = this.#text;
    if (
      this.#maxHistory > 0 && line.trim() !== "" &&
      this.#history.at(-1) !== line
    ) {
      this.#history.push(line);
      if (this.#history.length > this.#maxHistory) {
        this.#history.splice(0, this.#history.length - this.#maxHistory);
      }
    }
    this.#historyIndex = this.#history.length;
    this.#draft = "";
    this.#scroll = 0;
    this.#setText("", 0);
    return { type: "submit", line };
  }
}
