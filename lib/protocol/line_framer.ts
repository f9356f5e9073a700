/**
 * A pure, synchronous line framer for a byte stream.
 *
 * Feed it whatever `conn.read()` returns; it splits on `\n`, drops one `\r`
 * before it, decodes each complete line as UTF-8 and caps the length of a
 * line, so that one peer cannot grow memory without limit. It never touches
 * a socket, so property tests can feed it any chunking.
 *
 * @module
 */

const LF = 0x0a;
const CR = 0x0d;
const DEFAULT_MAX_LINE_BYTES = 8192;
const MIN_BUFFER_BYTES = 64;
const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** Why a line could not be framed. */
export type FramingErrorCode = "line_too_long" | "invalid_utf8";

/**
 * A line that could not be framed. The framer reports it as data (see
 * {@linkcode FramedLine}) and carries on with the next line; the caller
 * typically answers with `ERROR <code> <message>` and keeps the connection.
 */
export class FramingError extends Error {
  /** Machine-readable reason, also usable as a wire error code. */
  readonly code: FramingErrorCode;

  /**
   * Creates a framing error.
   *
   * @param code Machine-readable reason.
   * @param message Human-readable description.
   * @param options Standard error options, such as `cause`.
   */
  constructor(code: FramingErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "FramingError";
    this.code = code;
  }
}

/** One result of {@linkcode LineFramer.push}: a decoded line or a typed error. */
export type FramedLine =
  | { ok: true; line: string }
  | { ok: false; error: FramingError };

/** Options for {@linkcode LineFramer}. */
export interface LineFramerOptions {
  /**
   * Longest line accepted, in bytes, not counting the `\n` nor an optional
   * `\r` before it. Must be a positive integer.
   *
   * @default {8192}
   */
  maxLineBytes?: number;
}

/**
 * Splits a byte stream into UTF-8 lines ended by `\n` (one `\r` before the
 * `\n` is dropped).
 *
 * - The unfinished tail is kept as bytes, so a multi-byte character split
 *   across chunks decodes correctly. Byte 0x0A never occurs inside a UTF-8
 *   multi-byte sequence, so splitting before decoding is safe.
 * - Each complete line is decoded on its own with a fatal decoder; a line that
 *   is not valid UTF-8 yields one `invalid_utf8` error and the next line is
 *   read normally. A byte order mark is kept, not stripped.
 * - Once a line grows past `maxLineBytes`, the framer yields one
 *   `line_too_long` error, frees the buffered bytes and discards everything up
 *   to and including the next `\n`, then resumes. The framer therefore never
 *   holds more than `maxLineBytes` bytes between calls, whatever is pushed.
 * - {@linkcode LineFramer.push} and {@linkcode LineFramer.end} never throw.
 *
 * @example Frame lines from arbitrary chunks
 * ```ts
 * import { LineFramer } from "./line_framer.ts";
 * import assert from "node:assert/strict";
 *
 * const framer = new LineFramer();
 * const bytes = new TextEncoder().encode("LOGIN 张三 pw\r\nLOG");
 * assert.deepEqual(framer.push(bytes.subarray(0, 8)), []);
 * assert.deepEqual(framer.push(bytes.subarray(8)), [
 *   { ok: true, line: "LOGIN 张三 pw" },
 * ]);
 * assert.equal(framer.pendingBytes, 3);
 * assert.deepEqual(framer.push(new TextEncoder().encode("OUT\n")), [
 *   { ok: true, line: "LOGOUT" },
 * ]);
 * ```
 *
 * @example Over-long lines are reported once and skipped
 * ```ts
 * import { LineFramer } from "./line_framer.ts";
 * import assert from "node:assert/strict";
 *
 * const framer = new LineFramer({ maxLineBytes: 4 });
 * const results = framer.push(new TextEncoder().encode("toolong\nok\n"));
 * assert.equal(results.length, 2);
 * assert.equal(results[0]?.ok, false);
 * assert.equal(!results[0]?.ok && results[0]?.error.code, "line_too_long");
 * assert.deepEqual(results[1], { ok: true, line: "ok" });
 * ```
 */
export class LineFramer {
  readonly #maxLineBytes: number;
  readonly #decoder = new TextDecoder("utf-8", {
    fatal: true,
    ignoreBOM: true,
  });
  // Bytes of the unfinished line. Allocated lazily and released after each
  // line: most connections are idle most of the time and should cost nothing.
  #buffer: Uint8Array = EMPTY;
  #length = 0;
  // A `\r` at the very end of the tail is held back rather than stored: it is
  // either the start of a `\r\n` ending (and not part of the line) or, if more
  // bytes follow, content. Holding it apart keeps the stored bytes within
  // maxLineBytes even for a maximal line followed by `\r`.
  #heldCr = false;
  #discarding = false;

  /**
   * Creates a framer.
   *
   * @param options Line length cap.
   * @throws {RangeError} If `maxLineBytes` is not a positive integer.
   */
  constructor(options: LineFramerOptions = {}) {
    const { maxLineBytes = DEFAULT_MAX_LINE_BYTES } = options;
    if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < 1) {
      throw new RangeError(
        `Cannot create line framer: maxLineBytes must be a positive integer, got ${maxLineBytes}`,
      );
    }
    this.#maxLineBytes = maxLineBytes;
  }

  /** The line length cap in bytes, excluding the line ending. */
  get maxLineBytes(): number {
    return this.#maxLineBytes;
  }

  /**
   * Bytes of the unfinished line held in memory, not counting one final `\r`
   * that may turn out to be part of a `\r\n` ending. Never more than
   * {@linkcode LineFramer.maxLineBytes}; 0 while an over-long line is being
   * discarded.
   */
  get pendingBytes(): number {
    return this.#length;
  }

  /**
   * Feeds the next chunk of the stream.
   *
   * The chunk is not retained: the caller may reuse its buffer once this
   * returns.
   *
   * @param chunk Bytes as read from the stream, in any chunking.
   * @returns The lines completed by this chunk, and a typed error in place of
   * each line that was too long or not valid UTF-8, in stream order.
   */
  push(chunk: Uint8Array): FramedLine[] {
    const results: FramedLine[] = [];
    let start = 0;
    while (start < chunk.length) {
      const end = chunk.indexOf(LF, start);
      if (this.#discarding) {
        if (end === -1) break;
        this.#discarding = false;
        start = end + 1;
        continue;
      }
      if (end === -1) {
        this.#append(chunk.subarray(start), results);
        break;
      }
      results.push(this.#finish(chunk.subarray(start, end)));
      start = end + 1;
    }
    return results;
  }

  /**
   * Signals the end of the stream.
   *
   * A non-empty unterminated final line is returned as if the stream had
   * ended with `\n` (so a final `\r` is dropped): as a line if it is valid
   * UTF-8, else as an `invalid_utf8` error. If an over-long line was being
   * discarded, its error has already been reported and nothing more is
   * returned. The framer is then empty and may be reused for a new stream.
   *
   * @returns Zero or one result.
   *
   * @example Flush an unterminated last line
   * ```ts
   * import { LineFramer } from "./line_framer.ts";
   * import assert from "node:assert/strict";
   *
   * const framer = new LineFramer();
   * assert.deepEqual(framer.push(new TextEncoder().encode("bye")), []);
   * assert.deepEqual(framer.end(), [{ ok: true, line: "bye" }]);
   * assert.deepEqual(framer.end(), []);
   * ```
   */
  end(): FramedLine[] {
    if (this.#discarding) {
      this.#discarding = false;
      return [];
    }
    if (this.#length === 0 && !this.#heldCr) return [];
    return [this.#finish(EMPTY)];
  }

  /** Adds bytes that contain no `\n` to the unfinished line. */
  #append(piece: Uint8Array, results: FramedLine[]): void {
    if (piece.length === 0) return;
    const holdCr = piece[piece.length - 1] === CR;
    const kept = holdCr ? piece.subarray(0, piece.length - 1) : piece;
    const length = this.#length + (this.#heldCr ? 1 : 0) + kept.length;
    if (length > this.#maxLineBytes) {
      this.#clear();
      this.#discarding = true;
      results.push({ ok: false, error: this.#tooLong() });
      return;
    }
    this.#store(kept, length);
    this.#heldCr = holdCr;
  }

  /** Completes the unfinished line with `piece`, the bytes before a `\n`. */
  #finish(piece: Uint8Array): FramedLine {
    let bytes: Uint8Array;
    if (this.#length === 0 && !this.#heldCr) {
      // Fast path: the whole line is in this chunk; decode it in place.
      bytes = piece[piece.length - 1] === CR
        ? piece.subarray(0, piece.length - 1)
        : piece;
      if (bytes.length > this.#maxLineBytes) {
        return { ok: false, error: this.#tooLong() };
      }
    } else if (piece.length === 0) {
      // A held `\r` directly before the `\n` is the line ending.
      bytes = this.#buffer.subarray(0, this.#length);
    } else {
      const kept = piece[piece.length - 1] === CR
        ? piece.subarray(0, piece.length - 1)
        : piece;
      const length = this.#length + (this.#heldCr ? 1 : 0) + kept.length;
      if (length > this.#maxLineBytes) {
        this.#clear();
        return { ok: false, error: this.#tooLong() };
      }
      this.#store(kept, length);
      bytes = this.#buffer.subarray(0, length);
    }
    let result: FramedLine;
    try {
      result = { ok: true, line: this.#decoder.decode(bytes) };
    } catch (cause) {
      result = {
        ok: false,
        error: new FramingError(
          "invalid_utf8",
          "Cannot decode line: line is not valid UTF-8",
          { cause },
        ),
      };
    }
    this.#clear();
    return result;
  }

  /**
   * Appends a held `\r` (now known to be content) and `kept` to the buffer,
   * whose content becomes `length` bytes long; `length` is at most
   * maxLineBytes.
   */
  #store(kept: Uint8Array, length: number): void {
    if (this.#buffer.length < length) {
      let capacity = Math.max(MIN_BUFFER_BYTES, this.#buffer.length);
      while (capacity < length) capacity *= 2;
      const buffer = new Uint8Array(Math.min(capacity, this.#maxLineBytes));
      buffer.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = buffer;
    }
    if (this.#heldCr) this.#buffer[this.#length++] = CR;
    this.#buffer.set(kept, this.#length);
    this.#length = length;
    this.#heldCr = false;
  }

  #clear(): void {
    this.#buffer = EMPTY;
    this.#length = 0;
    this.#heldCr = false;
  }

  #tooLong(): FramingError {
    return new FramingError(
      "line_too_long",
      `Cannot accept line: line is longer than ${this.#maxLineBytes} bytes`,
    );
  }
}

/**
 * Encodes one line for the wire: UTF-8 with a `\n` appended.
 *
 * @param line The line, without its ending.
 * @returns The encoded bytes.
 * @throws {TypeError} If `line` contains `\n` or `\r`, which would split it
 * or be dropped by the receiver.
 *
 * @example Encode a line
 * ```ts
 * import { encodeLine } from "./line_framer.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(encodeLine("hé"), new Uint8Array([0x68, 0xc3, 0xa9, 0x0a]));
 * assert.throws(() => encodeLine("a\nb"), TypeError);
 * ```
 */
export function encodeLine(line: string): Uint8Array {
  if (line.includes("\n") || line.includes("\r")) {
    throw new TypeError(
      "Cannot encode line: line contains a line feed or carriage return",
    );
  }
  return encoder.encode(line + "\n");
}
