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
 * A write that fails because another connection holds the database's write
 * lock (`isStoreBusy`) loses nothing: the batch goes back to the front of the
 * buffer and is tried again after a growing delay, while new messages keep
 * being buffered (up to `maxBuffered`). `onStall` and `onRecover` fire once
 * per episode, so the operator gets one line when writes start failing and
 * one when they work again. Until then a read does not see the unwritten
 * messages.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { HistoryWriter } from "./history_writer.ts";
 * import type { StoredMessage } from "../../store/store.ts";
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

import {
  type ChatStore,
  isStoreBusy,
  type StoredMessage,
} from "../../store/store.ts";

/** Default for {@linkcode HistoryWriterOptions.maxBuffered}. */
export const DEFAULT_MAX_BUFFERED = 100_000;
/** Default for {@linkcode HistoryWriterOptions.retryDelayMs}. */
export const DEFAULT_RETRY_DELAY_MS = 50;
/** Default for {@linkcode HistoryWriterOptions.maxRetryDelayMs}. */
export const DEFAULT_MAX_RETRY_DELAY_MS = 2_000;
/** Default for {@linkcode HistoryWriterOptions.closeRetries}. */
export const DEFAULT_CLOSE_RETRIES = 5;

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
   * Most unwritten messages held (for example while another connection
   * holds the database's write lock); beyond it the oldest are dropped and
   * reported through `onError`. Message ids rely on this bound (see
   * `MAX_UNWRITTEN_IDS` in `chat_service.ts`), so it holds while retrying too.
   * @default {100_000}
   */
  maxBuffered?: number;
  /**
   * Delay before the first retry of a write that failed with a busy
   * database; each further failure doubles it up to `maxRetryDelayMs`.
   * @default {50}
   */
  retryDelayMs?: number;
  /**
   * Longest delay between retries; at least `retryDelayMs`.
   * @default {2_000, or `retryDelayMs` if that is longer}
   */
  maxRetryDelayMs?: number;
  /**
   * Retries {@linkcode HistoryWriter.close} makes (with the same growing
   * delays) while the database stays busy, before it reports the remaining
   * messages lost.
   * @default {5}
   */
  closeRetries?: number;
  /**
   * Whether a failed write is worth retrying; a batch that fails otherwise
   * (for example a duplicate id) would fail again, and is dropped.
   * @default {isStoreBusy}
   */
  isRetryable?: (error: unknown) => boolean;
  /**
   * Called when messages could not be stored: a write that failed for a
   * reason not retried (`lost` is the size of the batch), an overflowing
   * buffer, messages still unwritten when `close()` gave up, or an append
   * after {@linkcode HistoryWriter.close}. Must not throw.
   * @default {() => {}}
   */
  onError?: (error: unknown, lost: number) => void;
  /**
   * Called once when writes start failing with a retryable error (the
   * messages stay buffered), with that error and how many are waiting.
   * Must not throw.
   * @default {() => {}}
   */
  onStall?: (error: unknown, pending: number) => void;
  /**
   * Called once when a write succeeds after `onStall`, with how many
   * messages that write stored. Must not throw.
   * @default {() => {}}
   */
  onRecover?: (stored: number) => void;
}

/** Buffers chat messages and stores them in batches; see the module docs. */
export class HistoryWriter implements AsyncDisposable {
  #store: Pick<ChatStore, "insertMessages">;
  #maxBatch: number;
  #flushDelayMs: number;
  #maxBuffered: number;
  #onError: (error: unknown, lost: number) => void;
  #onStall: (error: unknown, pending: number) => void;
  #onRecover: (stored: number) => void;
  #isRetryable: (error: unknown) => boolean;
  #retryDelayMs: number;
  #maxRetryDelayMs: number;
  #closeRetries: number;
  /** Delay of the next retry; grows while writes keep failing. */
  #nextRetryMs: number;
  /** The error of the current stall, or `undefined` while writes work. */
  #stalled: { error: unknown } | undefined;
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
   * (`flushDelayMs`, `retryDelayMs` and `closeRetries` may be 0).
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
    this.#retryDelayMs = checkInteger(
      "retryDelayMs",
      options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS,
      0,
    );
    this.#maxRetryDelayMs = checkInteger(
      "maxRetryDelayMs",
      options.maxRetryDelayMs ??
        Math.max(DEFAULT_MAX_RETRY_DELAY_MS, this.#retryDelayMs),
      Math.max(1, this.#retryDelayMs),
    );
    this.#closeRetries = checkInteger(
      "closeRetries",
      options.closeRetries ?? DEFAULT_CLOSE_RETRIES,
      0,
    );
    this.#nextRetryMs = this.#retryDelayMs;
    this.#isRetryable = options.isRetryable ?? isStoreBusy;
    this.#onError = options.onError ?? (() => {});
    this.#onStall = options.onStall ?? (() => {});
    this.#onRecover = options.onRecover ?? (() => {});
  }

  /** Whether writes are failing with a retryable error right now. */
  get stalled(): boolean {
    return this.#stalled !== undefined;
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
    this.#trim();
    // While stalled, the retry timer is already set: a full batch must not
    // make every append try the locked database again.
    if (this.#stalled !== undefined) return;
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
   * already running. Never rejects: a retryable failure keeps the batch
   * buffered and schedules a retry; any other failure is reported through
   * `onError` and the batch is dropped.
   */
  flush(): Promise<void> {
    this.#clearTimer();
    const run = this.#tail.then(() => this.#write());
    this.#tail = run;
    return run;
  }

  /**
   * Flushes, retrying up to `closeRetries` times while the database is busy,
   * and stops the timer; messages still unwritten then, and later appends,
   * are reported as lost.
   */
  close(): Promise<void> {
    this.#closing ??= this.#drain();
    return this.#closing;
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #drain(): Promise<void> {
    await this.flush();
    let delay = this.#nextRetryMs;
    for (
      let retry = 0;
      retry < this.#closeRetries && this.#stalled !== undefined;
      retry++
    ) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, this.#maxRetryDelayMs);
      await this.flush();
    }
    this.#clearTimer();
    if (this.#buffer.length > 0) {
      const lost = this.#buffer.length;
      this.#buffer = [];
      this.#report(
        new Error(
          `Cannot store ${lost} chat message(s) before closing: ${
            String(this.#stalled?.error)
          }`,
          { cause: this.#stalled?.error },
        ),
        lost,
      );
    }
  }

  async #write(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#inFlight = batch.length;
    try {
      await this.#store.insertMessages(batch);
    } catch (error) {
      this.#inFlight = 0;
      if (this.#isRetryable(error)) this.#keep(batch, error);
      else this.#report(error, batch.length);
      return;
    } finally {
      this.#inFlight = 0;
    }
    if (this.#stalled !== undefined) {
      this.#stalled = undefined;
      this.#nextRetryMs = this.#retryDelayMs;
      this.#call(() => this.#onRecover(batch.length));
      // What arrived during the last attempt follows on the usual schedule.
      if (this.#buffer.length > 0 && this.#closing === undefined) {
        this.#schedule(
          this.#buffer.length >= this.#maxBatch ? 0 : this.#flushDelayMs,
        );
      }
    }
  }

  /** Puts a batch that failed retryably back in front and plans a retry. */
  #keep(batch: StoredMessage[], error: unknown): void {
    this.#buffer = batch.concat(this.#buffer);
    this.#trim();
    if (this.#stalled === undefined) {
      this.#stalled = { error };
      const pending = this.#buffer.length;
      this.#call(() => this.#onStall(error, pending));
    } else {
      this.#stalled.error = error;
    }
    // close() retries on its own; otherwise a timer does.
    if (this.#closing !== undefined) return;
    this.#schedule(this.#nextRetryMs);
    this.#nextRetryMs = Math.min(
      Math.max(1, this.#nextRetryMs * 2),
      this.#maxRetryDelayMs,
    );
  }

  /** Enforces `maxBuffered`, dropping (and reporting) the oldest. */
  #trim(): void {
    const excess = this.#buffer.length - this.#maxBuffered;
    if (excess <= 0) return;
    this.#buffer.splice(0, excess);
    this.#report(
      new RangeError(
        `Cannot keep chat history: ${this.#maxBuffered} messages are waiting to be stored; dropped the ${excess} oldest`,
      ),
      excess,
    );
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
    this.#call(() => this.#onError(error, lost));
  }

  #call(callback: () => void): void {
    try {
      callback();
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
