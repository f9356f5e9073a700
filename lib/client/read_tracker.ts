/**
 * When a client tells the server how far the user has read (`READ`,
 * docs/PROTOCOL.md §16): each conversation's newest message seen on screen
 * is sent when it is newer than the last one sent, at most once a
 * {@linkcode READ_INTERVAL_MS} per conversation; a room's pending position
 * is sent at once before the client leaves the room (the server takes `READ`
 * only for the room one is in). Pure: times come in, commands go out, the
 * client keeps one timer for {@linkcode ReadTracker.nextDueAt}.
 *
 * @module
 */

import type { Command } from "../protocol/protocol.ts";

/** Least time between two `READ`s of one conversation. */
export const READ_INTERVAL_MS = 1000;

/** The read positions seen and sent, per `READ` target. */
export class ReadTracker {
  /** Target (`#room` or a username) → the newest id sent. */
  #sent = new Map<string, number>();
  /** Target → the newest id seen and not sent yet. */
  #pending = new Map<string, number>();
  /** Target → when its last `READ` was sent. */
  #sentAt = new Map<string, number>();

  /**
   * Notes that message `id` of `target` (`#room` or a username) was seen;
   * true if it is newer than what was sent or waits to be.
   */
  see(target: string, id: number): boolean {
    const known = Math.max(
      this.#sent.get(target) ?? -1,
      this.#pending.get(target) ?? -1,
    );
    if (id <= known) return false;
    this.#pending.set(target, id);
    return true;
  }

  /**
   * The `READ`s due at `now`: each waiting position whose conversation's
   * last `READ` is at least {@linkcode READ_INTERVAL_MS} old, of the
   * targets `sendable` allows (others wait: a room the page is on its way
   * back into after a reconnect).
   *
   * @example
   * ```ts
   * import { ReadTracker } from "./read_tracker.ts";
   * import assert from "node:assert/strict";
   *
   * const reads = new ReadTracker();
   * reads.see("#大厅", 10);
   * assert.deepEqual(reads.due(5000), [
   *   { type: "read", target: "#大厅", id: 10 },
   * ]);
   * reads.see("#大厅", 12);
   * assert.deepEqual(reads.due(5500), []);
   * assert.equal(reads.nextDueAt(), 6000);
   * ```
   */
  due(
    now: number,
    sendable: (target: string) => boolean = () => true,
  ): Command[] {
    const commands: Command[] = [];
    for (const [target, id] of this.#pending) {
      if (!sendable(target)) continue;
      const last = this.#sentAt.get(target);
      if (last !== undefined && now - last < READ_INTERVAL_MS) continue;
      commands.push(this.#take(target, id, now));
    }
    return commands;
  }

  /**
   * When the next waiting `READ` of the targets `sendable` allows may go
   * (0: at once), or `undefined` if none waits.
   */
  nextDueAt(
    sendable: (target: string) => boolean = () => true,
  ): number | undefined {
    let next: number | undefined;
    for (const target of this.#pending.keys()) {
      if (!sendable(target)) continue;
      const last = this.#sentAt.get(target);
      const at = last === undefined ? 0 : last + READ_INTERVAL_MS;
      next = next === undefined ? at : Math.min(next, at);
    }
    return next;
  }

  /**
   * The waiting `READ` of `target` now, whatever the interval (before a
   * `JOIN` or `LEAVE`), or `undefined` when none waits.
   */
  flush(target: string, now: number): Command | undefined {
    const id = this.#pending.get(target);
    return id === undefined ? undefined : this.#take(target, id, now);
  }

  /** Forgets what waits for `target` (the page is no longer there). */
  drop(target: string): void {
    this.#pending.delete(target);
  }

  /** Targets with a position waiting. */
  get waiting(): readonly string[] {
    return [...this.#pending.keys()];
  }

  #take(target: string, id: number, now: number): Command {
    this.#pending.delete(target);
    this.#sent.set(target, id);
    this.#sentAt.set(target, now);
    return { type: "read", target, id };
  }
}
