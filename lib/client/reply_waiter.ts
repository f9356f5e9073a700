/**
 * The client's one way to send a command and wait for its reply: a
 * {@linkcode ReplyWaiter} holds the pending wait, its timeout (the seed's
 * 5 s) and the end of the connection; whoever reads the server's lines
 * offers each one to it. In the chat an event pump reads and offers; before
 * the chat {@linkcode pullReply} reads the connection itself, only until the
 * reply, so later lines stay queued for the next reader.
 *
 * @module
 */

import type { Reply } from "../protocol/protocol.ts";

/** Reply timeout for commands (the seed's 5 s). */
export const REPLY_TIMEOUT_MS = 5000;

/** The reply of one of the awaited types of `T`. */
export type ReplyOf<T extends Reply["type"]> = Extract<Reply, { type: T }>;

/** How a wait ended: the reply, no reply in time, or the connection gone. */
export type WaitResult<T extends Reply["type"]> =
  | { type: "reply"; reply: ReplyOf<T> }
  | { type: "timeout" }
  | { type: "closed" };

/** Timers, injectable so that tests fire a timeout without waiting. */
export interface Timers {
  /** Calls `fn` after `ms`; returns a handle for {@linkcode Timers.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer set by {@linkcode Timers.setTimeout}. */
  clearTimeout(handle: unknown): void;
}

/** The runtime's timers. */
export const SYSTEM_TIMERS: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) =>
    clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Pending {
  types: readonly string[];
  settle: (result: WaitResult<Reply["type"]>) => void;
}

/**
 * At most one command awaiting its reply. Lines are offered to it by
 * whoever reads the connection; it takes the first of the awaited types.
 *
 * @example
 * ```ts
 * import { ReplyWaiter } from "./reply_waiter.ts";
 * import assert from "node:assert/strict";
 *
 * const waiter = new ReplyWaiter();
 * const result = waiter.request(() => Promise.resolve(), ["pong"]);
 * assert.equal(waiter.offer({ type: "welcome", username: "amy", onlineCount: 1 }), false);
 * assert.equal(waiter.offer({ type: "pong", token: "1" }), true);
 * assert.deepEqual(await result, { type: "reply", reply: { type: "pong", token: "1" } });
 * ```
 */
export class ReplyWaiter {
  #timers: Timers;
  #pending: Pending | undefined;

  /** A waiter whose timeouts run on `timers`. */
  constructor(timers: Timers = SYSTEM_TIMERS) {
    this.#timers = timers;
  }

  /** Whether a command is awaiting its reply. */
  get waiting(): boolean {
    return this.#pending !== undefined;
  }

  /**
   * Starts waiting for one of `types`, then calls `send`; resolves with the
   * reply, `timeout` after `timeoutMs`, or `closed` when `send` rejects or
   * {@linkcode ReplyWaiter.close} is called first.
   *
   * @throws {Error} if a wait is already pending (one command at a time).
   */
  request<T extends Reply["type"]>(
    send: () => Promise<void>,
    types: readonly T[],
    timeoutMs: number = REPLY_TIMEOUT_MS,
  ): Promise<WaitResult<T>> {
    if (this.#pending !== undefined) {
      throw new Error("Cannot wait for a reply: another one is awaited");
    }
    const result = new Promise<WaitResult<T>>((resolve) => {
      const timer = this.#timers.setTimeout(
        () => this.#settle({ type: "timeout" }),
        timeoutMs,
      );
      this.#pending = {
        types,
        settle: (outcome) => {
          this.#timers.clearTimeout(timer);
          resolve(outcome as WaitResult<T>);
        },
      };
    });
    // Registered before sending, so that a reply however fast is taken.
    send().catch(() => this.#settle({ type: "closed" }));
    return result;
  }

  /** Takes `reply` if it is what the pending command awaits; false if not. */
  offer(reply: Reply): boolean {
    if (this.#pending?.types.includes(reply.type) !== true) return false;
    this.#settle({ type: "reply", reply });
    return true;
  }

  /** The connection ended: a pending wait resolves `closed`. */
  close(): void {
    this.#settle({ type: "closed" });
  }

  #settle(result: WaitResult<Reply["type"]>): void {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.settle(result);
  }
}

/** What {@linkcode pullReply} reads: a connection's queue of server lines. */
export interface ReplySource {
  /**
   * The next line; `undefined` at the end, or once `signal` is aborted
   * (then it takes nothing from the queue).
   */
  next(timeoutMs: number, signal?: AbortSignal): Promise<Reply | undefined>;
}

/** Options for {@linkcode pullReply}. */
export interface PullReplyOptions {
  /** Sends the command; nothing is sent without it. @default {undefined} */
  send?: () => Promise<void>;
  /** @default {REPLY_TIMEOUT_MS} */
  timeoutMs?: number;
  /** Gets every other line read meanwhile. @default {dropping them} */
  other?: (reply: Reply) => void;
  /** @default {SYSTEM_TIMERS} */
  timers?: Timers;
}

/**
 * Sends (if `options.send`) and reads `source` until one of `types`
 * arrives, the time is up or the connection ends; lines after the reply are
 * left in the queue.
 */
export async function pullReply<T extends Reply["type"]>(
  source: ReplySource,
  types: readonly T[],
  options: PullReplyOptions = {},
): Promise<WaitResult<T>> {
  const waiter = new ReplyWaiter(options.timers);
  const other = options.other ?? (() => {});
  const stop = new AbortController();
  const result = waiter.request(
    options.send ?? (() => Promise.resolve()),
    types,
    options.timeoutMs,
  );
  const reading = (async () => {
    while (waiter.waiting) {
      const reply = await source.next(Infinity, stop.signal);
      if (reply === undefined) {
        waiter.close();
        return;
      }
      if (!waiter.offer(reply)) other(reply);
    }
  })();
  try {
    return await result;
  } finally {
    // A timeout or a failed send leaves the read pending: stop it untaken.
    stop.abort();
    await reading;
  }
}
