/**
 * What the terminal keeps of the server's read state, as a pure reducer:
 * how far the user's private messages were delivered to each partner (the
 * own copy of a delivered message shows ` ✓`), which read receipts (`✓✓`)
 * were shown, and the latest unread counts of the other rooms (for
 * `/rooms`, and the summary at login). {@linkcode readStep} says what to
 * show for a line as {@linkcode ReadOutput}s. No I/O, no clock.
 *
 * @module
 */

import type { Reply } from "../protocol/protocol.ts";
import { usernameKey } from "../shared/username.ts";

type ReplyOf<T extends Reply["type"]> = Extract<Reply, { type: T }>;

/** The read state the chat keeps. */
export interface ReadState {
  /** Per partner (username key): the newest own message delivered to them. */
  readonly delivered: ReadonlyMap<string, number>;
  /** Per partner (username key): the newest message whose read line was shown. */
  readonly readShown: ReadonlyMap<string, number>;
  /** The latest `UNREAD`, room → count; a room not in it has none. */
  readonly unread: ReadonlyMap<string, number>;
  /** Whether an `UNREAD` came already (the first is the one at login). */
  readonly unreadKnown: boolean;
}

/** What to show for a line. */
export type ReadOutput =
  /** `user` read the user's private messages at `time`. */
  | { type: "pm_read"; user: string; time: number }
  /** The unread rooms at login, in the server's order. */
  | {
    type: "unread_summary";
    rooms: ReadonlyArray<{ name: string; count: number }>;
  };

/** A new state and what to show. */
export interface ReadStep {
  state: ReadState;
  outputs: ReadOutput[];
}

/** Nothing known: the state at login. */
export function initialReadState(): ReadState {
  return {
    delivered: new Map(),
    readShown: new Map(),
    unread: new Map(),
    unreadKnown: false,
  };
}

/**
 * The state after the server's `reply`, and what to show for it. Takes
 * `UNREAD`, `PM_RECEIPT` and `JOINED` (the joined room has nothing unread);
 * any other line leaves the state as it is.
 *
 * @example
 * ```ts
 * import { initialReadState, readStep } from "./read_state.ts";
 * import assert from "node:assert/strict";
 *
 * const read = {
 *   type: "pm_receipt" as const,
 *   user: "bob",
 *   id: 7,
 *   state: "read" as const,
 *   time: 1000,
 * };
 * const first = readStep(initialReadState(), read);
 * assert.deepEqual(first.outputs, [{ type: "pm_read", user: "bob", time: 1000 }]);
 * // The same receipt again shows nothing.
 * assert.deepEqual(readStep(first.state, read).outputs, []);
 * ```
 */
export function readStep(state: ReadState, reply: Reply): ReadStep {
  switch (reply.type) {
    case "unread":
      return unread(state, reply);
    case "pm_receipt":
      return reply.state === "delivered"
        ? { state: delivered(state, reply), outputs: [] }
        : pmRead(state, reply);
    case "joined": {
      if (!state.unread.has(reply.room)) return { state, outputs: [] };
      const counts = new Map(state.unread);
      counts.delete(reply.room);
      return { state: { ...state, unread: counts }, outputs: [] };
    }
    default:
      return { state, outputs: [] };
  }
}

/**
 * Whether `reply`, the copy of a private message the user sent, was
 * delivered to its recipient (a `PM_RECEIPT … delivered` for it came).
 */
export function isDelivered(
  state: ReadState,
  reply: ReplyOf<"private">,
): boolean {
  const newest = state.delivered.get(usernameKey(reply.to));
  return newest !== undefined && reply.id <= newest;
}

/** The unread count of `room` (0 when the latest `UNREAD` left it out). */
export function unreadCount(state: ReadState, room: string): number {
  return state.unread.get(room) ?? 0;
}

function unread(state: ReadState, reply: ReplyOf<"unread">): ReadStep {
  const counts = new Map<string, number>();
  for (const room of reply.rooms) {
    if (room.count > 0) counts.set(room.name, room.count);
  }
  const next: ReadState = { ...state, unread: counts, unreadKnown: true };
  // Only the first one, at login, is told; later ones update /rooms silently.
  const outputs: ReadOutput[] = !state.unreadKnown && counts.size > 0
    ? [{
      type: "unread_summary",
      rooms: [...counts].map(([name, count]) => ({ name, count })),
    }]
    : [];
  return { state: next, outputs };
}

function delivered(
  state: ReadState,
  reply: ReplyOf<"pm_receipt">,
): ReadState {
  const key = usernameKey(reply.user);
  if ((state.delivered.get(key) ?? 0) >= reply.id) return state;
  const next = new Map(state.delivered);
  next.set(key, reply.id);
  return { ...state, delivered: next };
}

function pmRead(state: ReadState, reply: ReplyOf<"pm_receipt">): ReadStep {
  const key = usernameKey(reply.user);
  if ((state.readShown.get(key) ?? 0) >= reply.id) {
    return { state, outputs: [] };
  }
  const readShown = new Map(state.readShown);
  readShown.set(key, reply.id);
  return {
    // What was read was delivered, too.
    state: delivered({ ...state, readShown }, reply),
    outputs: [{ type: "pm_read", user: reply.user, time: reply.time }],
  };
}
