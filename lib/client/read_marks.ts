/**
 * Telling the server what the user has read (`READ`, docs/PROTOCOL.md
 * section 16): {@linkcode readTargetOf} says which conversation a printed
 * line moves forward, and {@linkcode ReadMarks} sends the newest id per
 * conversation at most once a second, only ever forward. The room's pending
 * `READ` goes out before the client leaves the room (the server refuses
 * `READ` for a room one is not in), everything pending before `LOGOUT`.
 *
 * @module
 */

import type { Command, Reply } from "../protocol/protocol.ts";
import type { Clock } from "../shared/clock.ts";
import { usernameKey } from "../shared/username.ts";
import { SYSTEM_TIMERS, type Timers } from "./reply_waiter.ts";

/** The least time between two `READ`s for one conversation. */
export const READ_INTERVAL_MS = 1000;

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
  /** The least time between two `READ`s for one conversation. @default {READ_INTERVAL_MS} */
  intervalMs?: number;
}

/** One conversation's `READ`s. */
interface Mark {
  /** The `READ` target: `#room` or the partner's name. */
  readonly target: string;
  /** The newest id sent, and when. */
  sent: number;
  sentAt: number | undefined;
  /** An id newer than `sent` waiting for the interval to pass. */
  pending: number | undefined;
  timer: unknown;
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
  #intervalMs: number;
  /** By `#room` or `@<username key>`. */
  #marks = new Map<string, Mark>();
  /** The room the user is in; `undefined` while moving (room news is dropped). */
  #room: string | undefined;
  #closed = false;

  /** `READ`s sent with `options.send`. */
  constructor(options: ReadMarksOptions) {
    this.#send = options.send;
    this.#clock = options.clock;
    this.#timers = options.timers ?? SYSTEM_TIMERS;
    this.#intervalMs = options.intervalMs ?? READ_INTERVAL_MS;
  }

  /**
   * The user is in `room` now (`JOINED`). A `READ` still pending for
   * another room is dropped: the server would refuse it.
   */
  enterRoom(room: string): void {
    for (const [key, mark] of this.#marks) {
      if (key.startsWith("#") && mark.target !== `#${room}`) this.#drop(mark);
    }
    this.#room = room;
  }

  /**
   * The user leaves the room (before `JOIN`/`LEAVE`): its pending `READ` is
   * sent now, and room news is dropped until {@linkcode ReadMarks.enterRoom}.
   */
  async leaveRoom(): Promise<void> {
    const room = this.#room;
    this.#room = undefined;
    if (room === undefined) return;
    const mark = this.#marks.get(`#${room}`);
    if (mark !== undefined) await this.#flush(mark);
  }

  /**
   * The connection was replaced (a resume): the server has put the user in
   * the lobby, so the room's pending `READ` is dropped, and room news waits
   * for the next {@linkcode ReadMarks.enterRoom}.
   */
  reconnected(): void {
    for (const [key, mark] of this.#marks) {
      if (key.startsWith("#")) this.#drop(mark);
    }
    this.#room = undefined;
  }

  /** The user was shown a message of `target`. */
  seen(target: ReadTarget): void {
    if (this.#closed) return;
    let key: string;
    let name: string;
    if (target.kind === "room") {
      if (this.#room === undefined) return;
      key = name = `#${this.#room}`;
    } else {
      key = `@${usernameKey(target.user)}`;
      name = target.user;
    }
    let mark = this.#marks.get(key);
    if (mark === undefined) {
      mark = {
        target: name,
        sent: 0,
        sentAt: undefined,
        pending: undefined,
        timer: undefined,
      };
      this.#marks.set(key, mark);
    }
    if (target.id <= Math.max(mark.sent, mark.pending ?? 0)) return;
    mark.pending = target.id;
    if (mark.timer !== undefined) return;
    const wait = mark.sentAt === undefined
      ? 0
      : mark.sentAt + this.#intervalMs - this.#clock.now();
    if (wait <= 0) {
      this.#flush(mark).catch(() => {});
      return;
    }
    const waiting = mark;
    mark.timer = this.#timers.setTimeout(() => {
      waiting.timer = undefined;
      this.#flush(waiting).catch(() => {});
    }, wait);
  }

  /** Sends every pending `READ` now (before `LOGOUT`). */
  async flushAll(): Promise<void> {
    await Promise.all(
      [...this.#marks.values()].map((mark) => this.#flush(mark)),
    );
  }

  /** Stops: timers are cleared, nothing more is sent; idempotent. */
  close(): void {
    this.#closed = true;
    for (const mark of this.#marks.values()) this.#drop(mark);
  }

  async #flush(mark: Mark): Promise<void> {
    this.#timers.clearTimeout(mark.timer);
    mark.timer = undefined;
    const id = mark.pending;
    if (id === undefined || this.#closed) return;
    mark.pending = undefined;
    mark.sent = id;
    mark.sentAt = this.#clock.now();
    try {
      await this.#send({ type: "read", target: mark.target, id });
    } catch {
      // The connection broke: the chat notices and resumes.
    }
  }

  #drop(mark: Mark): void {
    this.#timers.clearTimeout(mark.timer);
    mark.timer = undefined;
    mark.pending = undefined;
  }
}
