/**
 * Rooms: which room each member in the chat is in. Who is online is the
 * session registry's (the hub attaches members there and asks it); the hub
 * knows users and rooms, never wire syntax or sockets.
 *
 * @module
 */

import { normalizeUsername } from "../../shared/username.ts";
import type { SessionRegistry } from "../registry/session_registry.ts";

import { LOBBY } from "../../protocol/protocol.ts";

export { LOBBY };

/** One online member as the hub sees it. */
export interface Member {
  /** Display name. */
  readonly username: string;
  /** Uniqueness key of the name. */
  readonly usernameKey: string;
}

/** A room and how many members it has. */
export interface RoomSummary {
  name: string;
  memberCount: number;
}

/** The result of normalizing a room name. */
export type RoomNameResult =
  | { ok: true; name: string; key: string }
  | { ok: false; reason: string };

/**
 * Checks a room name: 1-32 letters or digits of any script, `_` and `-`
 * (the username rules; reserved names allowed), compared case-insensitively.
 *
 * @example
 * ```ts
 * import { normalizeRoomName } from "./hub.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(normalizeRoomName("Games"), { ok: true, name: "Games", key: "games" });
 * assert.equal(normalizeRoomName("two words").ok, false);
 * ```
 */
export function normalizeRoomName(raw: string): RoomNameResult {
  const result = normalizeUsername(raw, { allowReserved: true });
  return result.ok
    ? { ok: true, name: result.name, key: result.key }
    : { ok: false, reason: result.reason };
}

/**
 * The key a room's messages are stored and found under (`Dev` and `dev`
 * share `dev`); a name that is not a valid room name is its own key.
 */
export function roomKey(room: string): string {
  const name = normalizeRoomName(room);
  return name.ok ? name.key : room;
}

interface Room {
  name: string;
  /** Uniqueness key of the name, computed once. */
  key: string;
  members: Set<Member>;
}

/** Members in the chat and their rooms. */
export class Hub<M extends Member = Member> {
  /** Who is online; the hub attaches the members that enter the chat. */
  readonly registry: SessionRegistry<M>;
  #roomOf = new Map<M, Room>();
  #rooms = new Map<string, Room>();

  /**
   * Creates a hub over `registry`, where every member that enters must
   * already have a live session (claimed at login).
   */
  constructor(registry: SessionRegistry<M>) {
    this.registry = registry;
  }

  /** Number of members in the chat. */
  get onlineCount(): number {
    return this.registry.memberCount;
  }

  /** The member in the chat with this name (any spelling), if any. */
  find(username: string): M | undefined {
    return this.registry.find(username);
  }

  /** Whether `member` is online in this hub. */
  has(member: M): boolean {
    return this.#roomOf.has(member);
  }

  /**
   * Brings a member online in the lobby.
   *
   * @throws {RangeError} if another member with the same key is online
   * (the session registry should have prevented that) or the member's
   * account has no live session.
   */
  enter(member: M): RoomSummary {
    this.registry.attach(member);
    return this.#move(member, LOBBY);
  }

  /** Takes a member offline; resolves the room it was in, if it was online. */
  exit(member: M): string | undefined {
    const room = this.#roomOf.get(member);
    if (room === undefined) return undefined;
    this.#roomOf.delete(member);
    this.registry.detach(member);
    this.#removeFrom(room, member);
    return room.name;
  }

  /**
   * Moves a member to `roomName` (created on first join) and reports the
   * room it left (if different) and the room it is now in.
   */
  join(member: M, roomName: string): { left?: string; joined: RoomSummary } {
    const before = this.#roomOf.get(member);
    if (before === undefined) {
      throw new RangeError(
        `Cannot join "${roomName}": "${member.username}" is not online`,
      );
    }
    const target = normalizeRoomName(roomName);
    const key = target.ok ? target.key : roomName;
    if (this.#rooms.get(key) === before) {
      return {
        joined: { name: before.name, memberCount: before.members.size },
      };
    }
    const joined = this.#move(member, roomName);
    return { left: before.name, joined };
  }

  /** The room a member is in. */
  roomOf(member: M): string | undefined {
    return this.#roomOf.get(member)?.name;
  }

  /** The key of the room a member is in (`Dev` and `dev` share `dev`). */
  roomKeyOf(member: M): string | undefined {
    return this.#roomOf.get(member)?.key;
  }

  /**
   * The members of the room with this key, live (not a copy: fan-out
   * iterates it without allocating); undefined for a room nobody is in.
   */
  membersByKey(roomKey: string): ReadonlySet<M> | undefined {
    return this.#rooms.get(roomKey)?.members as ReadonlySet<M> | undefined;
  }

  /** Members of a room (empty for an unknown room). */
  membersOf(roomName: string): M[] {
    const room = this.#room(roomName);
    return room === undefined ? [] : [...room.members] as M[];
  }

  /** How many members a room has (0 for an unknown room). */
  memberCount(roomName: string): number {
    return this.#room(roomName)?.members.size ?? 0;
  }

  /** Every room with members, lobby first, then by name. */
  rooms(): RoomSummary[] {
    const list = [...this.#rooms.values()]
      .filter((room) => room.members.size > 0 || room.name === LOBBY)
      .map((room) => ({ name: room.name, memberCount: room.members.size }));
    return list.sort((a, b) =>
      a.name === LOBBY
        ? -1
        : b.name === LOBBY
        ? 1
        : a.name.localeCompare(b.name)
    );
  }

  /** Every member in the chat, in the order they logged in. */
  online(): M[] {
    return this.registry.members();
  }

  #room(roomName: string): Room | undefined {
    const name = normalizeRoomName(roomName);
    return this.#rooms.get(name.ok ? name.key : roomName);
  }

  #move(member: M, roomName: string): RoomSummary {
    const previous = this.#roomOf.get(member);
    if (previous !== undefined) this.#removeFrom(previous, member);
    const name = normalizeRoomName(roomName);
    const key = name.ok ? name.key : roomName;
    let room = this.#rooms.get(key);
    if (room === undefined) {
      room = { name: name.ok ? name.name : roomName, key, members: new Set() };
      this.#rooms.set(key, room);
    }
    room.members.add(member);
    this.#roomOf.set(member, room);
    return { name: room.name, memberCount: room.members.size };
  }

  #removeFrom(room: Room, member: M): void {
    room.members.delete(member);
    // Empty rooms other than the lobby are forgotten; history stays in the store.
    if (room.members.size === 0 && room.name !== LOBBY) {
      this.#rooms.delete(room.key);
    }
  }
}
