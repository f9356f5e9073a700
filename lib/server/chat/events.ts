/**
 * What the chat core tells members, as data: each event is addressed to an
 * audience (a room, one user, everyone) and carries no wire syntax. The core
 * publishes events through the {@linkcode Bus}; each adapter subscribes and
 * encodes every event once for its own protocol (see
 * `lib/server/adapters/native/`).
 *
 * @module
 */

/** Who an event is for. Keys are the store's (normalized) keys. */
export type Audience =
  | {
    readonly kind: "room";
    /** The room's key (`Dev` and `dev` share `dev`). */
    readonly room: string;
    /** A member not to tell (the one who caused the event), by account key. */
    readonly except?: string;
  }
  | { readonly kind: "user"; readonly user: string }
  | { readonly kind: "everyone" };

/** One thing that happened in the chat. Times are ms since the epoch. */
export type ChatEvent =
  | {
    type: "room_message";
    id: number;
    time: number;
    sender: string;
    text: string;
  }
  | {
    type: "private_message";
    id: number;
    time: number;
    from: string;
    to: string;
    text: string;
  }
  | { type: "message_deleted"; id: number; by: string }
  | {
    /** A file was shared into a room or with one user. */
    type: "file_shared";
    messageId: number;
    time: number;
    sender: string;
    /** `#<room>`, or the recipient's name. */
    target: string;
    id: number;
    size: number;
    name: string;
  }
  | { type: "member_joined"; time: number; username: string }
  | {
    type: "member_left";
    time: number;
    username: string;
    /** The room the member moved to, when it did not leave the chat. */
    to?: string;
  }
  | {
    /** Coalesced presence of a large room over the last second. */
    type: "presence_summary";
    time: number;
    joined: number;
    left: number;
  }
  | {
    /** `count` private messages to `to` reached them at their login. */
    type: "offline_delivered";
    to: string;
    count: number;
  }
  | {
    /** `user` received (`delivered`) or read your private messages up to `id`. */
    type: "pm_receipt";
    user: string;
    id: number;
    state: "delivered" | "read";
    time: number;
  }
  | {
    /** `user`'s avatar is now `mark` (`-`, an emoji, `img:<version>`). */
    type: "avatar_changed";
    user: string;
    mark: string;
  }
  | { type: "muted"; until: number; reason: string }
  | { type: "unmuted" }
  | {
    /** The member's session is ended by the server (an administrator's kick). */
    type: "session_ended";
    reason: "kicked";
    message: string;
  };

/** An event and who it is for. */
export interface Delivery {
  readonly audience: Audience;
  readonly event: ChatEvent;
}

/** The audience of one room, optionally without the member who caused it. */
export function roomAudience(room: string, except?: string): Audience {
  return except === undefined
    ? { kind: "room", room }
    : { kind: "room", room, except };
}

/** The audience of one account. */
export function userAudience(user: string): Audience {
  return { kind: "user", user };
}
