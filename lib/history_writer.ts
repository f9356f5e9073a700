/**
 * Group commit for chat history: the hub appends each message synchronously
 * as it broadcasts it, and the writer stores the buffer in one transaction
 * every few milliseconds, so persistence costs one commit (one fsync) per
 * batch instead of one per message.
 *
 * Reads must see what was broadcast: a caller awaits
 * {@linkcode HistoryWriter.flush} before `ChatStore.roomHistory()` or
 * `ChatStore.getMessage()`.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { HistoryWriter } from "./history_writer.ts";
 * import type { StoredMessage } from "./store.ts";
 *
 * const stored: StoredMessage[] = [];
 * const store = {
 *   insertMessages(messages: readonly StoredMessage[]) {
 *     stored.push(...messages);
 *     return Promise.resolve();
 *   },
 * };
 * await using writer = new HistoryWriter(store);
 * writer.append({
 *   id: 1,
 *   room: "lobby",
 *   sender: "alice",
 *   recipient: null,
 *   text: "hi",
 *   createdAt: 0,
 * });
 * assert.equal(writer.pending, 1);
 * await writer.flush();
 * assert.deepEqual(stored.map((message) => message.id), [1]);
 * ```
 *
 * @module
 */

import type { ChatStore, StoredMessage } from "./store.ts";

/** Default for {@linkcode HistoryWriterOptions.maxBuffered}. */
export const DEFAULT_MAX_BUFFERED = 100_000;

/** Options for {@linkcode HistoryWriter}. */
export interface HistoryWriterOptions {
  /**
   * Buffered messages that trigger a flush at once instead of after
   * `flushDelayMs`.
   * @default {500}
   */
  maxBatch?: number;
  /**
   * How long the first buffered message waits for others before a flush.
   * @default {50}
   */
  flushDelayMs?: number;
  /**
   * Most unwritten messages held (for example while a slow store is busy);
   * beyond it the oldest are dropped and reported through `onError`.
   * @default {100_000}
   */
  maxBuffered?: number;
  /**
   * Called when messages could not be stored: a failed write (`lost` is the
   * size of the batch, which is not retried), an overflowing buffer, or an
   * append after {@linkcode HistoryWriter.close}. Must not throw.
   * @default {() => {}}
   */
  onError?: (error: unknown, lost: number) => void;
}

/** Buffers chat messages and stores them in batches; see the module docs. */
export class HistoryWriter implements AsyncDisposable {
  #store: Pick<ChatStore, "insertMessages">;
  #maxBatch: number;
  #flushDelayMs: number;
  #maxBuffered: number;
  #onError: (error: unknown, lost: number) => void;
  #buffer: StoredMessage[] = [];
  #inFlight = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerImmediate = false;
  /** The last flush queued; every flush runs after the one before it. */
  #tail: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;

  /**
   * Creates a writer storing through `store`.
   *
   * @throws {RangeError} if an option is not a positive integer
   * (`flushDelayMs` may be 0).
   */
  constructor(
    store: Pick<ChatStore, "insertMessages">,
    options: HistoryWriterOptions = {},
  ) {
    this.#store = store;
    this.#maxBatch = checkInteger("maxBatch", options.maxBatch ?? 500, 1);
    this.#flushDelayMs = checkInteger(
      "flushDelayMs",
      options.flushDelayMs ?? 50,
      0,
    );
    this.#maxBuffered = checkInteger(
      "maxBuffered",
      options.maxBuffered ?? DEFAULT_MAX_BUFFERED,
      1,
    );
    this.#onError = options.onError ?? (() => {});
  }

  /** Messages appended but not yet stored, including a batch being written. */
  get pending(): number {
    return this.#buffer.length + this.#inFlight;
  }

  /**
   * Buffers `message` and schedules a flush. Synchronous and never throws:
   * a message that cannot be kept is reported through `onError`.
   */
  append(message: StoredMessage): void {
    if (this.#closing !== undefined) {
      this.#report(
        new Error(
          `Cannot store message ${message.id}: the history writer is closed`,
        ),
        1,
      );
      return;
    }
    this.#buffer.push(message);
    const excess = this.#buffer.length - this.#maxBuffered;
    if (excess > 0) {
      this.#buffer.splice(0, excess);
      this.#report(
        new RangeError(
          `Cannot keep chat history: ${this.#maxBuffered} messages are waiting to be stored; dropped the ${excess} oldest`,
        ),
        excess,
      );
    }
    if (this.#buffer.length >= this.#maxBatch) {
      // Not written here: append() runs inside a broadcast, and a store may
      // block (node:sqlite is synchronous). A 0 ms timer writes right after.
      if (!this.#timerImmediate) this.#schedule(0);
    } else if (this.#timer === undefined) {
      this.#schedule(this.#flushDelayMs);
    }
  }

  /**
   * Stores everything buffered in one `insertMessages` call, after any flush
   * already running. Never rejects: a failure is reported through `onError`
   * and the batch is dropped.
   */
  flush(): Promise<void> {
    this.#clearTimer();
    const run = this.#tail.then(() => this.#write());
    this.#tail = run;
    return run;
  }

  /** Flushes and stops the timer; later appends are reported as lost. */
  close(): Promise<void> {
    this.#closing ??= this.flush();
    return this.#closing;
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #write(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#inFlight = batch.length;
    try {
      await this.#store.insertMessages(batch);
    } catch (error) {
      this.#report(error, batch.length);
    } finally {
      this.#inFlight = 0;
    }
  }

  #schedule(delayMs: number): void {
    this.#clearTimer();
    this.#timerImmediate = delayMs === 0;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerImmediate = false;
      // flush() never rejects, but no promise is left without a catch.
      this.flush().catch(() => {});
    }, delayMs);
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerImmediate = false;
  }

  #report(error: unknown, lost: number): void {
    try {
      this.#onError(error, lost);
    } catch {
      // A throwing callback must not break the broadcast or the flush chain.
    }
  }
}

function checkInteger(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `Cannot create history writer: ${name} must be an integer of ${min} or more, got ${value}`,
    );
  }
  return value;
}
