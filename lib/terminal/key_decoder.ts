/**
 * Decodes the raw bytes a terminal sends in raw mode into key events.
 *
 * The decoder is a byte-at-a-time state machine, so an escape sequence or a
 * UTF-8 character split across two reads decodes the same as in one read.
 *
 * On Windows, Deno puts the console in raw mode with
 * `ENABLE_VIRTUAL_TERMINAL_INPUT`, so arrow and editing keys arrive as the
 * same VT sequences (`ESC [ A` …) as on Unix terminals, and this decoder
 * serves both.
 *
 * @module
 */

/** The name of a non-text key recognized by {@linkcode KeyDecoder}. */
export type KeyName =
  | "enter"
  | "backspace"
  | "delete"
  | "left"
  | "right"
  | "up"
  | "down"
  | "home"
  | "end"
  | "ctrl_c"
  | "ctrl_d"
  | "ctrl_u"
  | "ctrl_a"
  | "ctrl_e"
  | "ctrl_k"
  | "ctrl_w"
  | "ctrl_l"
  | "tab"
  | "escape";

/**
 * One key press, or a run of typed or pasted text.
 *
 * A `char` event's `text` is never empty and holds no control characters.
 */
export type KeyEvent =
  | { type: "char"; text: string }
  | { type: KeyName };

const ESC = 0x1b;
const CR = 0x0d;
const LF = 0x0a;
/** Longest CSI parameter string kept; longer sequences are swallowed. */
const MAX_PARAMS = 32;

/** Single control bytes and the keys they stand for. */
const CONTROL_KEYS: ReadonlyMap<number, KeyName> = new Map<number, KeyName>([
  [0x01, "ctrl_a"],
  [0x02, "left"], // Ctrl+B, as in Emacs and readline
  [0x03, "ctrl_c"],
  [0x04, "ctrl_d"],
  [0x05, "ctrl_e"],
  [0x06, "right"], // Ctrl+F
  [0x08, "backspace"], // Ctrl+H, sent for Backspace by some terminals
  [0x09, "tab"],
  [0x0b, "ctrl_k"],
  [0x0c, "ctrl_l"],
  [0x0e, "down"], // Ctrl+N
  [0x10, "up"], // Ctrl+P
  [0x15, "ctrl_u"],
  [0x17, "ctrl_w"],
  [0x7f, "backspace"],
]);

/** Final bytes of `ESC [ … X` and `ESC O X` for cursor keys. */
const LETTER_KEYS: ReadonlyMap<string, KeyName> = new Map<string, KeyName>([
  ["A", "up"],
  ["B", "down"],
  ["C", "right"],
  ["D", "left"],
  ["H", "home"],
  ["F", "end"],
]);

/** First parameter of `ESC [ n ~` and the keys it stands for. */
const TILDE_KEYS: ReadonlyMap<string, KeyName> = new Map<string, KeyName>([
  ["1", "home"],
  ["7", "home"], // rxvt
  ["3", "delete"],
  ["4", "end"],
  ["8", "end"], // rxvt
]);

type State =
  /** Between keys. */
  | "ground"
  /** After ESC. */
  | "escape"
  /** After `ESC [`. */
  | "csi"
  /** After `ESC [ [` (Linux console F1–F5). */
  | "csi_bracket"
  /** After `ESC O`. */
  | "ss3";

function isTextByte(byte: number): boolean {
  return (byte >= 0x20 && byte < 0x7f) || byte >= 0x80;
}

/** Removes C1 control characters (U+0080–U+009F) from decoded text. */
function stripC1(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80 && code <= 0x9f) {
      let result = text.slice(0, i);
      for (let j = i + 1; j < text.length; j++) {
        const c = text.charCodeAt(j);
        if (c < 0x80 || c > 0x9f) result += text[j];
      }
      return result;
    }
  }
  return text;
}

/**
 * Turns raw terminal input into {@linkcode KeyEvent}s, keeping state across
 * reads.
 *
 * - Text comes as `char` events. A run of text within one
 *   {@linkcode KeyDecoder.push} call (such as a paste) is one event; the same
 *   text split across calls may come as several, so callers must not rely on
 *   the grouping. Invalid UTF-8 decodes to U+FFFD; C1 controls are dropped.
 * - `\r`, `\n` and `\r\n` are one `enter` each (`\r\n` counts once, even when
 *   split across reads). Bracketed paste is not interpreted: a newline in a
 *   paste is an `enter`.
 * - Cursor keys are recognized in both `ESC [` and `ESC O` forms, with or
 *   without modifiers (`ESC [ 1 ; 5 C` is `right`); `Home`/`End` also as
 *   `ESC [ 1 ~`, `ESC [ 4 ~`, `ESC [ 7 ~`, `ESC [ 8 ~`; `Delete` as
 *   `ESC [ 3 ~`. Ctrl+B/F/P/N map to left/right/up/down as in readline.
 * - Other escape sequences (function keys, Alt+key, mouse and terminal
 *   reports) and other control bytes are swallowed, never inserted as text.
 * - A lone ESC cannot be told apart from the start of a sequence whose rest
 *   has not arrived yet. While {@linkcode KeyDecoder.pending} is true, the
 *   caller should call {@linkcode KeyDecoder.flush} once no bytes have
 *   arrived for a short while (about 50 ms): it turns a lone ESC into an
 *   `escape` event and drops an unfinished sequence.
 * - {@linkcode KeyDecoder.push} never throws, whatever the bytes.
 *
 * @example Arrow key split across two reads
 * ```ts
 * import assert from "node:assert/strict";
 * import { KeyDecoder } from "./key_decoder.ts";
 *
 * const decoder = new KeyDecoder();
 * const encoder = new TextEncoder();
 * assert.deepEqual(decoder.push(encoder.encode("你好\x1b")), [
 *   { type: "char", text: "你好" },
 * ]);
 * assert.equal(decoder.pending, true);
 * assert.deepEqual(decoder.push(encoder.encode("[D\r")), [
 *   { type: "left" },
 *   { type: "enter" },
 * ]);
 * ```
 *
 * @example A lone Escape key, released by flush()
 * ```ts
 * import assert from "node:assert/strict";
 * import { KeyDecoder } from "./key_decoder.ts";
 *
 * const decoder = new KeyDecoder();
 * assert.deepEqual(decoder.push(new Uint8Array([0x1b])), []);
 * assert.deepEqual(decoder.flush(), [{ type: "escape" }]);
 * assert.equal(decoder.pending, false);
 * ```
 */
export class KeyDecoder {
  #state: State = "ground";
  /** Parameter and intermediate bytes of the sequence being read. */
  #params = "";
  #overlong = false;
  #lastWasCr = false;
  /** Whether #text may hold the first bytes of a split UTF-8 character. */
  #textOpen = false;
  #text = new TextDecoder("utf-8", { ignoreBOM: true });

  /**
   * Whether an escape sequence has started but not finished, so that a
   * {@linkcode KeyDecoder.flush} after a short idle time is due.
   */
  get pending(): boolean {
    return this.#state !== "ground";
  }

  /**
   * Decodes the next chunk of input.
   *
   * @param bytes Bytes as read from stdin in raw mode.
   * @returns The events completed by this chunk, in order.
   */
  push(bytes: Uint8Array): KeyEvent[] {
    const events: KeyEvent[] = [];
    let runStart = -1;
    let i = 0;
    while (i < bytes.length) {
      const byte = bytes[i]!;
      if (this.#state === "ground" && isTextByte(byte)) {
        if (runStart < 0) runStart = i;
        this.#lastWasCr = false;
        i++;
        continue;
      }
      if (runStart >= 0) {
        this.#decodeText(events, bytes.subarray(runStart, i), false);
        runStart = -1;
      } else if (this.#textOpen) {
        // A control byte cannot continue a UTF-8 character, so an
        // unfinished one from the last chunk ends here as U+FFFD.
        this.#decodeText(events, undefined, false);
      }
      if (this.#step(byte, events)) i++;
    }
    if (runStart >= 0) this.#decodeText(events, bytes.subarray(runStart), true);
    return events;
  }

  /**
   * Ends an unfinished escape sequence after an idle time: a lone ESC
   * becomes an `escape` event; a partial sequence such as `ESC [` is
   * dropped. An unfinished UTF-8 character is kept, since its bytes are
   * always sent together.
   *
   * @returns The events released, at most one `escape`.
   */
  flush(): KeyEvent[] {
    const state = this.#state;
    this.#reset();
    return state === "escape" ? [{ type: "escape" }] : [];
  }

  #decodeText(
    events: KeyEvent[],
    bytes: Uint8Array | undefined,
    stream: boolean,
  ): void {
    const text = stripC1(this.#text.decode(bytes, { stream }));
    this.#textOpen = stream;
    if (text.length > 0) events.push({ type: "char", text });
  }

  #reset(): void {
    this.#state = "ground";
    this.#params = "";
    this.#overlong = false;
  }

  /**
   * Feeds one byte that is not part of a text run.
   *
   * @returns false if the byte ended a malformed sequence and must be read
   * again in the ground state.
   */
  #step(byte: number, events: KeyEvent[]): boolean {
    const wasCr = this.#lastWasCr;
    this.#lastWasCr = false;
    switch (this.#state) {
      case "ground":
        if (byte === ESC) {
          this.#state = "escape";
        } else if (byte === CR) {
          this.#lastWasCr = true;
          events.push({ type: "enter" });
        } else if (byte === LF) {
          if (!wasCr) events.push({ type: "enter" });
        } else {
          const key = CONTROL_KEYS.get(byte);
          if (key !== undefined) events.push({ type: key });
        }
        return true;
      case "escape":
        if (byte === 0x5b /* [ */) {
          this.#state = "csi";
        } else if (byte === 0x4f /* O */) {
          this.#state = "ss3";
        } else if (byte === ESC) {
          // ESC ESC: the first was a lone Escape key.
          events.push({ type: "escape" });
        } else if (byte >= 0x20 && byte <= 0x7f) {
          // Alt+key (and Alt+Backspace): not supported, swallowed.
          this.#reset();
        } else {
          // A control or non-ASCII byte: the ESC was a key on its own.
          events.push({ type: "escape" });
          this.#reset();
          return false;
        }
        return true;
      case "csi":
        if (byte === 0x5b && this.#params.length === 0 && !this.#overlong) {
          this.#state = "csi_bracket";
          return true;
        }
        if (byte >= 0x20 && byte <= 0x3f) {
          this.#addParam(byte);
          return true;
        }
        if (byte >= 0x40 && byte <= 0x7e) {
          const key = this.#csiKey(String.fromCharCode(byte));
          if (key !== undefined) events.push({ type: key });
          this.#reset();
          return true;
        }
        this.#reset();
        return false;
      case "csi_bracket":
        this.#reset();
        return byte >= 0x40 && byte <= 0x7e;
      case "ss3":
        if (byte >= 0x30 && byte <= 0x3f) {
          this.#addParam(byte);
          return true;
        }
        if (byte >= 0x40 && byte <= 0x7e) {
          const key = this.#overlong
            ? undefined
            : LETTER_KEYS.get(String.fromCharCode(byte));
          if (key !== undefined) events.push({ type: key });
          this.#reset();
          return true;
        }
        this.#reset();
        return false;
    }
  }

  #addParam(byte: number): void {
    if (this.#params.length >= MAX_PARAMS) this.#overlong = true;
    else this.#params += String.fromCharCode(byte);
  }

  /** Maps a complete `ESC [ params final` sequence to a key, if known. */
  #csiKey(final: string): KeyName | undefined {
    const params = this.#params;
    // Private parameters (`<=>?`) mark mouse and terminal reports, and
    // intermediate bytes (0x20–0x2F) mark sequences no key sends.
    if (this.#overlong || /^[<=>?]|[ -/]/.test(params)) return undefined;
    if (final === "~") return TILDE_KEYS.get(params.split(";")[0]!);
    // Modifiers are ignored: `ESC [ 1 ; 5 D` (Ctrl+Left) is `left`.
    return LETTER_KEYS.get(final);
  }
}
