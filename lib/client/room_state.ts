/**
 * What the chat keeps track of about the room, as a pure reducer: the room
 * the user is in, the ids of its messages already shown (to skip repeats and
 * to page `/history` back from the oldest), the history block being
 * received, the catch-up after a resume, and the mute the server told about.
 *
 * {@linkcode step} also says what to show and send for an event, as
 * {@linkcode RoomOutput}s the chat loop carries out; {@linkcode reduce} is
 * its state alone. No I/O, no clock: times come in the events.
 *
 * @module
 */

import {
  type Command,
  LOBBY,
  MAX_HISTORY_COUNT,
  type Reply,
} from "../protocol/protocol.ts";

/** Messages asked for per page when catching up after a reconnect. */
export const CATCH_UP_PAGE = MAX_HISTORY_COUNT;
/** Pages of missed messages shown at most after a reconnect. */
export const CATCH_UP_MAX_PAGES = 5;
/** Message ids remembered to skip duplicates (per room). */
export const MAX_SHOWN_IDS = 2000;

type ReplyOf<T extends Reply["type"]> = Extract<Reply, { type: T }>;

/** A history block being received, and what it answers. */
export interface HistoryBlock {
  /**
   * `auto`: sent after `JOINED`; `paged`: answers `/history`; `catch_up`:
   * the messages missed while reconnecting; `skip`: not shown.
   */
  readonly kind: "auto" | "paged" | "catch_up" | "skip";
  readonly count: number;
  /** Largest id in the block, to ask for the next page of a catch-up. */
  readonly newest: number | undefined;
}

/** A reconnect in progress: back to `room`, then what was missed there. */
export interface CatchUp {
  readonly room: string;
  /** Whether the server has put the user back in `room`. */
  readonly inRoom: boolean;
  /** Pages of missed messages received so far. */
  readonly pages: number;
  /** Missed messages shown so far. */
  readonly shown: number;
}

/** The chat's view of the room. */
export interface RoomState {
  /** The logged-in user (whose own messages a catch-up does not repeat). */
  readonly username: string;
  /** Whether the welcome and the seed's 开始聊天 line were shown. */
  readonly started: boolean;
  /** The room the user is in, as the server names it. */
  readonly room: string;
  /** Smallest and largest message id seen in the room, for paging. */
  readonly oldestId: number | undefined;
  readonly newestId: number | undefined;
  /** Ids of the room's messages shown, oldest first. */
  readonly shownIds: ReadonlySet<number>;
  /** Set by `JOINED`: the next history block is the automatic one. */
  readonly afterJoined: boolean;
  readonly block: HistoryBlock | undefined;
  readonly catchUp: CatchUp | undefined;
  /** The mute the server told about, to recognize a refused message. */
  readonly mute:
    | { readonly until: number; readonly reason: string }
    | undefined;
}

/** What happens to the room. */
export type RoomEvent =
  /** `JOINED`, taken before anyone awaiting it sees it. */
  | { type: "joined"; reply: ReplyOf<"joined"> }
  /** Any other server line that nobody awaits, received at `now`. */
  | { type: "reply"; reply: Reply; now: number }
  /** The session was resumed on a new connection. */
  | { type: "resumed" };

/** What the chat loop shows or sends for an event, in order. */
export type RoomOutput =
  /** `renderEvent(reply, view, now)`, if it renders. */
  | { type: "show"; reply: Reply; now: number }
  /** The first welcome, then the seed's 开始聊天 line. */
  | { type: "welcome"; reply: ReplyOf<"welcome"> }
  /** The mute the user knows of refused a message. */
  | { type: "muted_refusal"; reply: ReplyOf<"muted">; now: number }
  /** A history block starts: date lines start over. */
  | { type: "days_begin" }
  /** The date line, if any, before a history message of `time`. */
  | { type: "day"; time: number }
  /** A missed message, shown as a chat line; `id` is the message's. */
  | {
    type: "chat_line";
    sender: string;
    text: string;
    time: number;
    id?: number;
  }
  | { type: "heading"; key: "viewCatchUpBegin" | "viewCatchUpEnd" }
  | { type: "system"; key: "viewHistoryNone" | "viewCatchUpNone" }
  /** A command to send, not awaited (a broken connection shows elsewhere). */
  | { type: "send"; command: Command };

/** A new state and what to do for the event. */
export interface RoomStep {
  state: RoomState;
  outputs: RoomOutput[];
}

/** The state at login: in the lobby, nothing seen. */
export function initialRoomState(username: string): RoomState {
  return {
    username,
    started: false,
    room: LOBBY,
    oldestId: undefined,
    newestId: undefined,
    shownIds: new Set(),
    afterJoined: false,
    block: undefined,
    catchUp: undefined,
    mute: undefined,
  };
}

/**
 * The state after `event`.
 *
 * @example
 * ```ts
 * import { initialRoomState, reduce } from "./room_state.ts";
 * import assert from "node:assert/strict";
 *
 * const state = reduce(initialRoomState("amy"), {
 *   type: "joined",
 *   reply: { type: "joined", room: "tech", memberCount: 2 },
 * });
 * assert.equal(state.room, "tech");
 * assert.equal(state.afterJoined, true);
 * ```
 */
export function reduce(state: RoomState, event: RoomEvent): RoomState {
  return step(state, event).state;
}

/** The state after `event`, and what to show and send for it. */
export function step(state: RoomState, event: RoomEvent): RoomStep {
  switch (event.type) {
    case "joined":
      return joined(state, event.reply);
    case "resumed":
      return resumed(state);
    case "reply":
      return received(state, event.reply, event.now);
  }
}

/** Whether the server would refuse a message now (a mute it told about). */
export function isMuted(state: RoomState, now: number): boolean {
  return state.mute !== undefined && state.mute.until > now;
}

/** `/history count`, paging back from the oldest message seen in the room. */
export function pageBack(state: RoomState, count: number): Command {
  return state.oldestId === undefined
    ? { type: "history", count }
    : { type: "history", count, before: state.oldestId };
}

function joined(state: RoomState, reply: ReplyOf<"joined">): RoomStep {
  const catchUp = state.catchUp;
  if (catchUp !== undefined) {
    // A resumed session: the lobby first, then the user's room again.
    return {
      state: {
        ...state,
        afterJoined: true,
        room: reply.room,
        catchUp: reply.room === catchUp.room
          ? { ...catchUp, inRoom: true }
          : catchUp,
      },
      outputs: [],
    };
  }
  return {
    state: {
      ...state,
      afterJoined: true,
      room: reply.room,
      oldestId: undefined,
      newestId: undefined,
      shownIds: new Set(),
    },
    outputs: [{ type: "show", reply, now: 0 }],
  };
}

/**
 * After a resume: back into the room the user was in (the server puts a
 * resumed session in the lobby), then the messages missed meanwhile.
 */
function resumed(state: RoomState): RoomStep {
  const room = state.room;
  const outputs: RoomOutput[] = room === LOBBY
    ? []
    : [{ type: "send", command: { type: "join", room } }];
  outputs.push({
    type: "send",
    command: {
      type: "history",
      count: CATCH_UP_PAGE,
      after: state.newestId ?? 0,
    },
  });
  return {
    state: {
      ...state,
      catchUp: { room, inRoom: false, pages: 0, shown: 0 },
      block: undefined,
      afterJoined: false,
      // The server repeats a standing mute after the resume: not a refusal.
      mute: undefined,
    },
    outputs,
  };
}

function received(state: RoomState, reply: Reply, now: number): RoomStep {
  const show = (): RoomStep => ({
    state,
    outputs: [{ type: "show", reply, now }],
  });
  switch (reply.type) {
    case "welcome":
      // After a resume the user is still in the chat: no second welcome.
      if (state.started) return { state, outputs: [] };
      return {
        state: { ...state, started: true },
        outputs: [{ type: "welcome", reply }],
      };
    case "auth_success":
    case "pong":
    case "logout_success":
    case "joined": // a "joined" event of its own
      return { state, outputs: [] };
    case "message":
    case "user_joined":
    case "user_left": {
      // Until a resumed session is back in its room, the lobby's events
      // are not the user's.
      if (state.catchUp !== undefined && !state.catchUp.inRoom) {
        return { state, outputs: [] };
      }
      if (reply.type !== "message") return show();
      const seen = see(state, reply.id);
      return {
        state: seen.state,
        outputs: seen.fresh ? [{ type: "show", reply, now }] : [],
      };
    }
    case "history_begin":
      return historyBegin(state, reply);
    case "history_message":
    case "history_file":
      return historyMessage(state, reply);
    case "file_shared": {
      // Shared with the user alone: not the room's.
      if (!reply.target.startsWith("#")) return show();
      if (state.catchUp !== undefined && !state.catchUp.inRoom) {
        return { state, outputs: [] };
      }
      const seen = see(state, reply.messageId);
      return {
        state: seen.state,
        outputs: seen.fresh ? [{ type: "show", reply, now }] : [],
      };
    }
    case "history_end":
      return historyEnd(state, reply);
    case "muted": {
      const known = state.mute;
      if (
        known !== undefined && known.until === reply.until &&
        known.reason === reply.reason && reply.until > now
      ) {
        // The mute the user was told about: this answers a message.
        return { state, outputs: [{ type: "muted_refusal", reply, now }] };
      }
      return {
        state: { ...state, mute: { until: reply.until, reason: reply.reason } },
        outputs: [{ type: "show", reply, now }],
      };
    }
    case "unmuted":
      return {
        state: { ...state, mute: undefined },
        outputs: [{ type: "show", reply, now }],
      };
    default:
      return show();
  }
}

/** Notes a room message as shown; `fresh` is false if it was shown already. */
function see(
  state: RoomState,
  id: number,
): { state: RoomState; fresh: boolean } {
  if (state.shownIds.has(id)) return { state, fresh: false };
  const shownIds = new Set(state.shownIds);
  shownIds.add(id);
  if (shownIds.size > MAX_SHOWN_IDS) {
    const [first] = shownIds;
    shownIds.delete(first!);
  }
  return {
    state: {
      ...state,
      shownIds,
      oldestId: Math.min(state.oldestId ?? id, id),
      newestId: Math.max(state.newestId ?? id, id),
    },
    fresh: true,
  };
}

function historyBegin(
  state: RoomState,
  reply: ReplyOf<"history_begin">,
): RoomStep {
  const auto = state.afterJoined;
  const kind = auto
    ? state.catchUp === undefined ? "auto" : "skip"
    : state.catchUp?.inRoom
    ? "catch_up"
    : "paged";
  const outputs: RoomOutput[] = [];
  // The pages of one catch-up read as one block.
  if (kind !== "catch_up" || state.catchUp!.pages === 0) {
    outputs.push({ type: "days_begin" });
  }
  if (kind === "auto" || kind === "paged") {
    outputs.push({ type: "show", reply, now: 0 });
  }
  return {
    state: {
      ...state,
      afterJoined: false,
      block: { kind, count: reply.count, newest: undefined },
    },
    outputs,
  };
}

function historyMessage(
  state: RoomState,
  reply: ReplyOf<"history_message"> | ReplyOf<"history_file">,
): RoomStep {
  const id = reply.type === "history_message" ? reply.id : reply.messageId;
  const block = state.block ?? { kind: "paged", count: 0, newest: undefined };
  const newest = Math.max(block.newest ?? id, id);
  // A message outside any block counts as paged, and no block is made for it.
  const noted: RoomState = state.block === undefined
    ? state
    : { ...state, block: { ...block, newest } };
  if (block.kind === "skip") return { state: noted, outputs: [] };
  const seen = see(noted, id);
  if (block.kind === "catch_up") {
    // The user's own messages were shown as they were typed.
    if (reply.sender === state.username || !seen.fresh) {
      return { state: seen.state, outputs: [] };
    }
    const catchUp = seen.state.catchUp!;
    const outputs: RoomOutput[] = catchUp.shown === 0
      ? [{ type: "heading", key: "viewCatchUpBegin" }]
      : [];
    outputs.push(
      { type: "day", time: reply.time },
      reply.type === "history_message"
        ? {
          type: "chat_line",
          sender: reply.sender,
          text: reply.text,
          time: reply.time,
          id: reply.id,
        }
        : { type: "show", reply, now: 0 },
    );
    return {
      state: {
        ...seen.state,
        catchUp: { ...catchUp, shown: catchUp.shown + 1 },
      },
      outputs,
    };
  }
  return {
    state: seen.state,
    outputs: seen.fresh
      ? [{ type: "day", time: reply.time }, { type: "show", reply, now: 0 }]
      : [],
  };
}

function historyEnd(
  state: RoomState,
  reply: ReplyOf<"history_end">,
): RoomStep {
  const block = state.block ?? { kind: "paged", count: 0, newest: undefined };
  const ended: RoomState = { ...state, block: undefined };
  switch (block.kind) {
    case "skip":
      return { state: ended, outputs: [] };
    case "auto":
      return {
        state: ended,
        outputs: block.count > 0 ? [{ type: "show", reply, now: 0 }] : [],
      };
    case "paged":
      return {
        state: ended,
        outputs: [
          block.count > 0
            ? { type: "show", reply, now: 0 }
            : { type: "system", key: "viewHistoryNone" },
        ],
      };
    case "catch_up": {
      const catchUp = { ...state.catchUp!, pages: state.catchUp!.pages + 1 };
      if (
        reply.more && block.newest !== undefined &&
        catchUp.pages < CATCH_UP_MAX_PAGES
      ) {
        return {
          state: { ...ended, catchUp },
          outputs: [{
            type: "send",
            command: {
              type: "history",
              count: CATCH_UP_PAGE,
              after: block.newest,
            },
          }],
        };
      }
      return {
        state: { ...ended, catchUp: undefined },
        outputs: [
          catchUp.shown > 0
            ? { type: "heading", key: "viewCatchUpEnd" }
            : { type: "system", key: "viewCatchUpNone" },
        ],
      };
    }
  }
}
