/**
 * How far the user's private messages to each partner were delivered and
 * read (`PM_RECEIPT`, docs/PROTOCOL.md §16), and the mark each own private
 * line shows from that: nothing while it waits (`sent`), `✓` delivered,
 * `✓✓` read, with words and a time for its title. A receipt covers every
 * message up to its id, so one per partner and state is all there is to
 * keep. Names are matched as the server matches them.
 *
 * @module
 */

import type { PmReceiptState } from "../protocol/receipts.ts";
import { type Lang, t } from "../shared/messages.ts";
import { formatClockTime, formatDateTime } from "../shared/time_format.ts";
import { usernameKey } from "../shared/username.ts";

/** What an own private message shows: still waiting, delivered or read. */
export type ReceiptState = "sent" | PmReceiptState;

/** One own message's receipt: its state, and when it got there. */
export interface Receipt {
  readonly state: ReceiptState;
  /** When it was delivered or read (absent while `sent`). */
  readonly time?: number;
}

interface Reach {
  id: number;
  time: number;
}

/** The receipts of one user's private messages, per partner. */
export class ReceiptBook {
  #delivered = new Map<string, Reach>();
  #read = new Map<string, Reach>();
  #version = 0;

  /** Grows whenever a receipt moves (the page draws marks again). */
  get version(): number {
    return this.#version;
  }

  /**
   * Takes a `PM_RECEIPT`: messages to `user` up to `id` reached `state` at
   * `time`. True if that moved what is known (a receipt never goes back).
   */
  take(user: string, id: number, state: PmReceiptState, time: number): boolean {
    const book = state === "read" ? this.#read : this.#delivered;
    const key = usernameKey(user);
    const known = book.get(key);
    if (known !== undefined && known.id >= id) return false;
    book.set(key, { id, time });
    this.#version++;
    return true;
  }

  /**
   * The receipt of own message `id` to `partner`.
   *
   * @example
   * ```ts
   * import { ReceiptBook } from "./pm_receipts.ts";
   * import assert from "node:assert/strict";
   *
   * const book = new ReceiptBook();
   * book.take("bob", 10, "delivered", 1000);
   * book.take("bob", 8, "read", 2000);
   * assert.deepEqual(book.of("bob", 8), { state: "read", time: 2000 });
   * assert.deepEqual(book.of("BOB", 10), { state: "delivered", time: 1000 });
   * assert.deepEqual(book.of("bob", 11), { state: "sent" });
   * ```
   */
  of(partner: string, id: number): Receipt {
    const key = usernameKey(partner);
    const read = this.#read.get(key);
    if (read !== undefined && id <= read.id) {
      return { state: "read", time: read.time };
    }
    const delivered = this.#delivered.get(key);
    if (delivered !== undefined && id <= delivered.id) {
      return { state: "delivered", time: delivered.time };
    }
    // Read implies delivered, whichever receipt came first.
    return { state: "sent" };
  }
}

/**
 * A receipt's words for the mark's title: `已读 14:30:35`, or with the date
 * when it was not today (`now`'s day).
 *
 * @example
 * ```ts
 * import { receiptTitle } from "./pm_receipts.ts";
 * import assert from "node:assert/strict";
 *
 * const time = new Date(2026, 2, 10, 14, 30, 35).getTime();
 * assert.equal(
 *   receiptTitle("en", { state: "read", time }, time),
 *   "Read 14:30:35",
 * );
 * assert.equal(
 *   receiptTitle("zh", { state: "delivered", time }, time + 86_400_000),
 *   "已送达 2026-03-10 14:30",
 * );
 * ```
 */
export function receiptTitle(
  lang: Lang,
  receipt: Receipt,
  now: number,
): string {
  if (receipt.state === "sent" || receipt.time === undefined) {
    return t(lang, "webReceiptSent");
  }
  return t(
    lang,
    receipt.state === "read" ? "webReceiptRead" : "webReceiptDelivered",
    { time: receiptTime(receipt.time, now) },
  );
}

/** `HH:MM:SS` for a time of `now`'s day, else `YYYY-MM-DD HH:MM`. */
export function receiptTime(time: number, now: number): string {
  const sameDay =
    new Date(time).toDateString() === new Date(now).toDateString();
  return sameDay ? formatClockTime(time) : formatDateTime(time);
}
