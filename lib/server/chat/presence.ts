/**
 * Join and leave notices for large rooms, coalesced.
 *
 * In a class or an office every `USER_JOINED` is worth a line. In a room of
 * thousands it is noise, and it is quadratic: 10,000 people logging in send
 * 50 million notices, which kept the server busy for over a minute and left
 * it holding memory it never returned. So in a room with more than
 * {@linkcode LARGE_ROOM_MEMBERS} members the first notice after a quiet spell
 * still goes out at once, and what follows is held until the next
 * {@linkcode PresenceBatcher.flush} (the server calls it every second): a few
 * held notices go out one by one, more become one `PRESENCE` count line.
 * A steady stream of logins thus costs each member at most one line a second.
 *
 * Pure bookkeeping: knows room names and usernames, never sockets or wire
 * syntax.
 *
 * @module
 */

/** Rooms with more members than this get their notices coalesced. */
export const LARGE_ROOM_MEMBERS = 100;

/** Held notices up to this many are still sent one by one at a flush. */
export const PRESENCE_DETAIL_LIMIT = 3;

/** One join or leave notice; a leave for another room names it in `to`. */
export type PresenceEvent =
  | { type: "member_joined"; username: string }
  | { type: "member_left"; username: string; to?: string };

/** What a flush sends to one room. */
export type PresenceFlush =
  | { room: string; events: PresenceEvent[] }
  | { room: string; joined: number; left: number };

interface Window {
  /** Display name of the room, for delivery. */
  room: string;
  /** The first held notices, in order (at most PRESENCE_DETAIL_LIMIT + 1). */
  held: PresenceEvent[];
  joined: number;
  left: number;
}

/**
 * Decides which presence notices go out at once and which are held for the
 * next flush; one per chat service.
 *
 * @example
 * ```ts
 * import { LARGE_ROOM_MEMBERS, PresenceBatcher } from "./presence.ts";
 * import assert from "node:assert/strict";
 *
 * const batcher = new PresenceBatcher();
 * const big = LARGE_ROOM_MEMBERS + 1;
 * const join = (username: string) => ({ type: "member_joined" as const, username });
 * assert.equal(batcher.note("lobby", "Lobby", big, join("a")), true); // sent now
 * for (const name of ["b", "c", "d", "e"]) {
 *   assert.equal(batcher.note("lobby", "Lobby", big, join(name)), false); // held
 * }
 * assert.deepEqual(batcher.flush(), [{ room: "Lobby", joined: 4, left: 0 }]);
 * assert.deepEqual(batcher.flush(), []); // quiet: the window closes
 * ```
 */
export class PresenceBatcher {
  /** Open windows by room key. */
  #windows = new Map<string, Window>();

  /**
   * Records a notice for a room that now has `memberCount` members. Returns
   * `true` when the caller should send it now, `false` when it is held for
   * the next {@linkcode flush}.
   */
  note(
    roomKey: string,
    roomName: string,
    memberCount: number,
    event: PresenceEvent,
  ): boolean {
    const window = this.#windows.get(roomKey);
    if (window === undefined) {
      // A quiet room: send now, and open a window in a large one so that
      // whatever follows within the second is held.
      if (memberCount > LARGE_ROOM_MEMBERS) {
        this.#windows.set(roomKey, {
          room: roomName,
          held: [],
          joined: 0,
          left: 0,
        });
      }
      return true;
    }
    // Held even if the room has shrunk meanwhile, so notices stay in order.
    window.room = roomName;
    if (window.held.length <= PRESENCE_DETAIL_LIMIT) window.held.push(event);
    if (event.type === "member_joined") window.joined++;
    else window.left++;
    return false;
  }

  /**
   * Returns what each open window held since the last flush, and closes the
   * windows that held nothing (their rooms send the next notice at once).
   */
  flush(): PresenceFlush[] {
    const out: PresenceFlush[] = [];
    for (const [key, window] of this.#windows) {
      const count = window.joined + window.left;
      if (count === 0) {
        this.#windows.delete(key);
      } else if (count <= PRESENCE_DETAIL_LIMIT) {
        out.push({ room: window.room, events: window.held });
      } else {
        out.push({
          room: window.room,
          joined: window.joined,
          left: window.left,
        });
      }
      window.held = [];
      window.joined = 0;
      window.left = 0;
    }
    return out;
  }
}
