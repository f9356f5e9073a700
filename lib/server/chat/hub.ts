/**
 * Rooms and presence: who is online, which room each member is in, and who
 * should receive what. Knows users and rooms, never wire syntax or sockets:
 * a member is anything with a name and a `deliver` function, and delivery
 * takes already-encoded bytes so a broadcast encodes once.
 *
 * @module
 */

import { normalizeUsername } from "../../shared/username.ts";

import { LOBBY } from "../../protocol/protocol.ts";

export { LOBBY };

/** One online member as the hub sees it. */
export interface Member {
  /** Display name. */
  readonly username: string;
  /** Uniqueness key of the name. */
  readonly usernameKey: string;
  /** Queues encoded bytes for this member; must not block. */
  deliver(bytes: Uint8Array): void;
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

interface Room {
  name: string;
  /** Uniqueness key of the name, computed once. */
  key: string;
  members: Set<Member>;
}

/** Online members and their rooms. */
export class Hub<M extends Member = Member> {
  #byKey = new Map<string, M>();
  #roomOf = new Map<M, Room>();
  #rooms = new Map<string, Room>();

  /** Number of members online. */
  get onlineCount(): number {
    return this.#byKey.size;
  }

  /** The online member with this name (any spelling), if any. */
  find(username: string): M | undefined {
    const name = normalizeUsername(username, { allowReserved: true });
    return name.ok ? this.#byKey.get(name.key) : undefined;
  }

  /** Whether `member` is online in this hub. */
  has(member: M): boolean {
    return this.#roomOf.has(member);
  }

  /**
   * Brings a member online in the lobby.
   *
   * @throws {RangeError} if another member with the same key is online
   * (the session registry should have prevented that).
   */
  enter(member: M): RoomSummary {
    const existing = this.#byKey.get(member.usernameKey);
    if (existing !== undefined && existing !== member) {
      throw new RangeError(`Cannot enter "${member.username}": already online`);
    }
    this.#byKey.set(member.usernameKey, member);
    return this.#move(member, LOBBY);
  }

  /** Takes a member offline; resolves the room it was in, if it was online. */
  exit(member: M): string | undefined {
    const room = this.#roomOf.get(member);
    if (room === undefined) return undefined;
    this.#roomOf.delete(member);
    if (this.#byKey.get(member.usernameKey) === member) {
      this.#byKey.delete(member.usernameKey);
    }
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
   * Delivers `bytes` to everyone else in `member`'s room: a chat message's
   * path, which needs no room lookup by name.
   */
  deliverToRoomOf(member: M, bytes: Uint8Array): void {
    const room = this.#roomOf.get(member);
    if (room === undefined) return;
    for (const other of room.members) {
      if (other !== member) other.deliver(bytes);
    }
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

  /** Every online member, in the order they came online. */
  online(): M[] {
    return [...this.#byKey.values()];
  }

  /** Delivers `bytes` to every member of the room except `except`. */
  deliverToRoom(roomName: string, bytes: Uint8Array, except?: M): void {
    const room = this.#room(roomName);
    if (room === undefined) return;
    for (const member of room.members) {
      if (member !== except) member.deliver(bytes);
    }
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
