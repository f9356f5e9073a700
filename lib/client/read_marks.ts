/**
 * Telling the server what the user has read (`READ`, docs/PROTOCOL.md
 * section 16): {@linkcode readTargetOf} says which conversation a printed
 * line moves forward, and {@linkcode ReadMarks} sends the newest id per
 * conversation at most once a second, only ever forward (the pacing is
 * {@linkcode ReadTracker}'s, which the page uses too; this adds the timer
 * and the room the user is in). The room's pending
 * `READ` goes out before the client leaves the room (the server refuses
 * `READ` for a room one is not in), everything pending before `LOGOUT`.
 *
 * @module
 */

import type { Command, Reply } from "../protocol/protocol.ts";
import type { Clock } from "../shared/clock.ts";
import { usernameKey } from "../shared/username.ts";
import { READ_INTERVAL_MS, ReadTracker } from "./read_tracker.ts";
import { SYSTEM_TIMERS, type Timers } from "./reply_waiter.ts";

export { READ_INTERVAL_MS };

/** What a printed line was: a room's message, or a private one from `user`. */
export type ReadTarget =
  | { kind: "room"; id: number }
  | { kind: "user"; user: string; id: number };

/**
 * The conversation that printing `reply` moves forward, if any: a room
 * message or file (`MESSAGE`, `FILE_SHARED` to `#room`, `HISTORY_MESSAGE`,
 * `HISTORY_FILE`; the room is the one the user is in), or a private message
 * or file from someone else to the user. The user's own copies are not read
 * news.
 *
 * @example
 * ```ts
 * import { readTargetOf } from "./read_marks.ts";
 * import assert from "node:assert/strict";
 *
 * const pm = { type: "private" as const, id: 9, time: 0, from: "bob", to: "amy", text: "hi" };
 * assert.deepEqual(readTargetOf(pm, "amy"), { kind: "user", user: "bob", id: 9 });
 * assert.equal(readTargetOf({ ...pm, from: "amy", to: "bob" }, "amy"), undefined);
 * ```
 */
export function readTargetOf(
  reply: Reply,
  ownName: string,
): ReadTarget | undefined {
  switch (reply.type) {
    case "message":
    case "history_message":
      return { kind: "room", id: reply.id };
    case "history_file":
      return { kind: "room", id: reply.messageId };
    case "file_shared":
      if (reply.target.startsWith("#")) {
        return { kind: "room", id: reply.messageId };
      }
      return isOwn(reply.sender, ownName) || !isOwn(reply.target, ownName)
        ? undefined
        : { kind: "user", user: reply.sender, id: reply.messageId };
    case "private":
      return isOwn(reply.from, ownName)
        ? undefined
        : { kind: "user", user: reply.from, id: reply.id };
    default:
      return undefined;
  }
}

function isOwn(name: string, ownName: string): boolean {
  return usernameKey(name) === usernameKey(ownName);
}

/** Options for {@linkcode ReadMarks}. */
export interface ReadMarksOptions {
  /** Sends a `READ`; a failure is ignored (a broken connection shows elsewhere). */
  send: (command: Extract<Command, { type: "read" }>) => Promise<void>;
  /** The time the interval is measured by. */
  clock: Clock;
  /** Where the delayed `READ`s wait. @default {SYSTEM_TIMERS} */
  timers?: Timers;
}

/**
 * The `READ`s of one chat session. The first news of a conversation is sent
 * at once, later news at most once per interval (the newest id then); an id
 * not above the last one sent or pending is dropped.
 *
 * @example
 * ```ts
 * import { ReadMarks } from "./read_marks.ts";
 * import { ManualClock } from "../shared/clock.ts";
 * import assert from "node:assert/strict";
 *
 * const sent: string[] = [];
 * const marks = new ReadMarks({
 *   clock: new ManualClock(),
 *   send: (command) => {
 *     sent.push(`${command.target} ${command.id}`);
 *     return Promise.resolve();
 *   },
 * });
 * marks.enterRoom("大厅");
 * marks.seen({ kind: "room", id: 5 });
 * marks.seen({ kind: "room", id: 6 }); // within the second: waits
 * await marks.leaveRoom(); // … and goes out before the JOIN
 * assert.deepEqual(sent, ["#大厅 5", "#大厅 6"]);
 * marks.close();
 * ```
 */
export class ReadMarks {
  #send: ReadMarksOptions["send"];
  #clock: Clock;
  #timers: Timers;
  #tracker = new ReadTracker();
  /** The first spelling of each partner's name, by its key: one conversation. */
  #partners = new Map<string, string>();
  /** The one timer, for the tracker's next due `READ`. */
  #timer: unknown;
  /** The room the user is in; `undefined` while moving (room news is dropped). */
  #room: string | undefined;
  #closed = false;

  /** `READ`s sent with `options.send`. */
  constructor(options: ReadMarksOptions) {
    this.#send = options.send;
    this.#clock = options.clock;
    this.#timers = options.timers ?? SYSTEM_TIMERS;
  }

  /**
   * The user is in `room` now (`JOINED`). A `READ` still pending for
   * another room is dropped: the server would refuse it.
   */
  enterRoom(room: string): void {
    this.#dropRooms((target) => target !== `#${room}`);
    this.#room = room;
  }

  /**
   * The user leaves the room (before `JOIN`/`LEAVE`): its pending `READ` is
   * sent now, and room news is dropped until {@linkcode ReadMarks.enterRoom}.
   */
  async leaveRoom(): Promise<void> {
    const room = this.#room;
    this.#room = undefined;
    if (room === undefined || this.#closed) return;
    const command = this.#tracker.flush(`#${room}`, this.#clock.now());
    this.#schedule();
    if (command !== undefined) await this.#sendRead(command);
  }

  /**
   * The connection was replaced (a resume): the server has put the user in
   * the lobby, so the room's pending `READ` is dropped, and room news waits
   * for the next {@linkcode ReadMarks.enterRoom}.
   */
  reconnected(): void {
    this.#dropRooms(() => true);
    this.#room = undefined;
  }

  /** The user was shown a message of `target`. */
  seen(target: ReadTarget): void {
    if (this.#closed) return;
    if (target.kind === "room" && this.#room === undefined) return;
    const name = target.kind === "room"
      ? `#${this.#room}`
      : this.#partner(target.user);
    if (this.#tracker.see(name, target.id)) this.#schedule();
  }

  /** Sends every pending `READ` now (before `LOGOUT`). */
  async flushAll(): Promise<void> {
    if (this.#closed) return;
    const now = this.#clock.now();
    const commands = this.#tracker.waiting.map((target) =>
      this.#tracker.flush(target, now)
    );
    this.#schedule();
    await Promise.all(
      commands.flatMap((command) =>
        command === undefined ? [] : [this.#sendRead(command)]
      ),
    );
  }

  /** Stops: the timer is cleared, nothing more is sent; idempotent. */
  close(): void {
    this.#closed = true;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const target of this.#tracker.waiting) this.#tracker.drop(target);
  }

  #partner(user: string): string {
    const key = usernameKey(user);
    const known = this.#partners.get(key);
    if (known !== undefined) return known;
    this.#partners.set(key, user);
    return user;
  }

  /** Sets the one timer for the next due `READ` (or sends it now). */
  #schedule(): void {
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    const at = this.#tracker.nextDueAt();
    if (at === undefined || this.#closed) return;
    const wait = at - this.#clock.now();
    if (wait <= 0) {
      this.#sendDue(at);
      return;
    }
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      this.#sendDue(at);
    }, wait);
  }

  /** Sends what is due; a timer that fires a little early counts as on time. */
  #sendDue(at: number): void {
    const now = Math.max(this.#clock.now(), at);
    for (const command of this.#tracker.due(now)) {
      this.#sendRead(command).catch(() => {});
    }
    this.#schedule();
  }

  async #sendRead(command: Command): Promise<void> {
    if (command.type !== "read") return;
    try {
      await this.#send(command);
    } catch {
      // The connection broke: the chat notices and resumes.
    }
  }

  #dropRooms(which: (target: string) => boolean): void {
    for (const target of this.#tracker.waiting) {
      if (target.startsWith("#") && which(target)) this.#tracker.drop(target);
    }
    this.#schedule();
  }
}
