/**
 * Read state: each member's read position per room and its unread counts,
 * and read receipts for private messages (docs/PROTOCOL.md, 16).
 *
 * Positions live in the store; the counts of an online member's rooms are
 * also kept here, so a message in a room raises the counts of the members
 * elsewhere without a query, and `UNREAD` goes out at most once a second
 * per member (from {@linkcode ReadState.flush}, which the service's sweep
 * calls). Counts are read again from the store when a member logs in and
 * when it leaves a room, so what the member did not `READ` there counts.
 *
 * @module
 */

import { MAX_UNREAD_COUNT, MAX_UNREAD_ROOMS } from "../../protocol/receipts.ts";
import { normalizeUsername } from "../../shared/username.ts";
import type { ChatContext } from "./chat_context.ts";
import { type Delivery, userAudience } from "./events.ts";
import { roomKey } from "./hub.ts";
import type { ChatMember } from "./member.ts";

/** Senders told at login of reads while they were away, at most. */
export const MAX_PENDING_RECEIPTS = 50;

/** One room's count for one member. */
interface RoomCount {
  name: string;
  count: number;
}

/** The read-state part of the chat core. */
export class ReadState {
  #chat: ChatContext;
  /** Each online member's rooms with a position, by room key. */
  #counts = new Map<ChatMember, Map<string, RoomCount>>();
  /**
   * Online members with a position in each room and not in it now, by room
   * key: a message there costs one step per member elsewhere, not one per
   * member of a crowded room.
   */
  #watchers = new Map<string, Set<ChatMember>>();
  /** Members whose counts changed since the last `UNREAD`. */
  #dirty = new Set<ChatMember>();

  constructor(chat: ChatContext) {
    this.#chat = chat;
  }

  /**
   * A bus subscriber: a message in a room raises the count of every
   * watching member that is elsewhere and did not send it.
   */
  readonly observe = (delivery: Delivery): void => {
    const { audience, event } = delivery;
    if (audience.kind !== "room") return;
    if (event.type !== "room_message" && event.type !== "file_shared") return;
    const watchers = this.#watchers.get(audience.room);
    if (watchers === undefined) return;
    for (const member of watchers) {
      if (member.usernameKey === audience.except) continue;
      const room = this.#counts.get(member)?.get(audience.room);
      if (room === undefined || room.count >= MAX_UNREAD_COUNT) continue;
      room.count++;
      this.#dirty.add(member);
    }
  };

  /**
   * A member logged in (and is in the lobby): its counts are read, its
   * lobby position started, and it gets the reads of its private messages
   * it missed, then `UNREAD`.
   */
  async enter(member: ChatMember, lobby: string): Promise<void> {
    const chat = this.#chat;
    await chat.history.flush();
    const rows = await chat.store.roomReads(member.accountId, member.username, {
      limit: MAX_UNREAD_ROOMS,
      cap: MAX_UNREAD_COUNT,
    });
    // Logged out while this ran: nothing to keep.
    if (!chat.hub.has(member)) return;
    // Oldest first, so a visit moves a room to the end.
    const counts = new Map<string, RoomCount>();
    for (const row of rows.toReversed()) {
      counts.set(row.room, { name: row.roomName, count: row.unread });
    }
    this.#counts.set(member, counts);
    for (const key of counts.keys()) this.#watch(key, member);
    await this.entered(member, lobby);
    const reads = await chat.store.takePendingPmReads(
      member.accountId,
      MAX_PENDING_RECEIPTS,
    );
    // Oldest first, as they happened.
    for (const read of reads.toReversed()) {
      member.send({
        type: "pm_receipt",
        user: read.reader,
        id: read.messageId,
        state: "read",
        time: read.readAt,
      });
    }
    this.sendUnread(member);
  }

  /** A member left the chat. */
  exit(member: ChatMember): void {
    const counts = this.#counts.get(member);
    this.#counts.delete(member);
    this.#dirty.delete(member);
    for (const key of counts?.keys() ?? []) this.#stopWatching(key, member);
  }

  /**
   * A member is now in `room`: a first visit starts its position at the
   * newest message; its count there is zero while it is in it.
   */
  async entered(member: ChatMember, room: string): Promise<void> {
    const chat = this.#chat;
    const key = roomKey(room);
    const counts = this.#counts.get(member);
    if (counts === undefined) return;
    const known = counts.get(key);
    if (known !== undefined) {
      counts.delete(key);
      counts.set(key, known);
      known.name = room;
      if (known.count > 0) this.#dirty.add(member);
      known.count = 0;
      this.#stopWatching(key, member);
      return;
    }
    await chat.store.setRoomRead(member.accountId, {
      room: key,
      roomName: room,
      messageId: chat.lastId(),
      at: chat.clock.now(),
    }, true);
    if (this.#counts.get(member) !== counts) return;
    counts.set(key, { name: room, count: 0 });
    // Keep the most recent rooms: the oldest entry goes past the bound.
    if (counts.size > MAX_UNREAD_ROOMS) {
      const [oldest] = counts.keys();
      if (oldest !== undefined) this.#unwatch(oldest, member, counts);
    }
  }

  /**
   * A member left `room` for another: what it did not read there counts,
   * so its count is read again from the store.
   */
  async left(member: ChatMember, room: string): Promise<void> {
    const chat = this.#chat;
    const key = roomKey(room);
    await chat.history.flush();
    const [row] = await chat.store.roomReads(
      member.accountId,
      member.username,
      { limit: 1, cap: MAX_UNREAD_COUNT, room: key },
    );
    const known = this.#counts.get(member)?.get(key);
    if (row === undefined || known === undefined) return;
    if (chat.hub.roomKeyOf(member) !== key) this.#watch(key, member);
    // Messages that came between the query and now were counted by observe().
    known.count = Math.max(known.count, row.unread);
    if (known.count > 0) this.#dirty.add(member);
  }

  /** `READ <target> <message_id>` from `member`. */
  async read(member: ChatMember, target: string, id: number): Promise<void> {
    const chat = this.#chat;
    // An id from the future is the newest one: positions never pass it.
    const messageId = Math.min(id, chat.lastId());
    if (target.startsWith("#")) {
      const key = chat.hub.roomKeyOf(member);
      const name = chat.hub.roomOf(member);
      if (
        key === undefined || name === undefined ||
        roomKey(target.slice(1)) !== key
      ) {
        return chat.refuse(
          member,
          "not_in_room",
          { room: target.slice(1) },
          "notInRoom",
        );
      }
      await chat.store.setRoomRead(member.accountId, {
        room: key,
        roomName: name,
        messageId,
        at: chat.clock.now(),
      });
      return;
    }
    const sender = await chat.accountOf(target);
    if (sender === undefined) {
      return chat.refuse(member, "no_such_user", { user: target });
    }
    await chat.history.flush();
    const message = await chat.store.getMessage(messageId);
    if (
      message === undefined || message.room !== null ||
      message.recipient === null ||
      keyOf(message.sender) !== sender.usernameKey ||
      keyOf(message.recipient) !== member.usernameKey
    ) {
      return chat.refuse(member, "no_such_message", { id });
    }
    const account = await chat.accountOf(member.username);
    // With receipts off the read is not kept: nobody is to learn of it.
    if (account === undefined || !account.receipts) return;
    const online = chat.hub.registry.member(sender.usernameKey);
    const at = chat.clock.now();
    const moved = await chat.store.setPmRead(sender.id, member.accountId, {
      messageId,
      at,
      pending: online === undefined,
    });
    if (!moved || online === undefined) return;
    chat.bus.publish({
      audience: userAudience(sender.usernameKey),
      event: {
        type: "pm_receipt",
        user: member.username,
        id: messageId,
        state: "read",
        time: at,
      },
    });
  }

  /** `RECEIPTS [on|off]` from `member`. */
  async receipts(member: ChatMember, on: boolean | undefined): Promise<void> {
    const chat = this.#chat;
    if (on !== undefined) await chat.store.setReceipts(member.accountId, on);
    const account = await chat.accountOf(member.username);
    const current = on ?? account?.receipts ?? true;
    chat.ok(member, current ? "receipts_on" : "receipts_off");
  }

  /**
   * Counts `member`'s rooms again from the store (live counts miss
   * deletions), then sends its `UNREAD`: for `ROOMS`, which users ask for.
   */
  async refresh(member: ChatMember): Promise<void> {
    const chat = this.#chat;
    await chat.history.flush();
    const rows = await chat.store.roomReads(member.accountId, member.username, {
      limit: MAX_UNREAD_ROOMS,
      cap: MAX_UNREAD_COUNT,
    });
    const counts = this.#counts.get(member);
    for (const row of rows) {
      const known = counts?.get(row.room);
      if (known !== undefined) known.count = row.unread;
    }
    this.sendUnread(member);
  }

  /** Sends `member` its `UNREAD`. */
  sendUnread(member: ChatMember): void {
    this.#dirty.delete(member);
    const counts = this.#counts.get(member);
    const here = this.#chat.hub.roomKeyOf(member);
    const rooms: Array<{ name: string; count: number }> = [];
    for (const [key, room] of counts ?? []) {
      if (key !== here && room.count > 0) {
        rooms.push({ name: room.name, count: room.count });
      }
    }
    // The most recently read first: the map holds them oldest first.
    member.send({ type: "unread", rooms: rooms.reverse() });
  }

  /** Sends `UNREAD` to every member whose counts changed. */
  flush(): void {
    for (const member of [...this.#dirty]) this.sendUnread(member);
  }

  #watch(key: string, member: ChatMember): void {
    let watchers = this.#watchers.get(key);
    if (watchers === undefined) {
      watchers = new Set();
      this.#watchers.set(key, watchers);
    }
    watchers.add(member);
  }

  #unwatch(
    key: string,
    member: ChatMember,
    counts: Map<string, RoomCount>,
  ): void {
    counts.delete(key);
    this.#stopWatching(key, member);
  }

  #stopWatching(key: string, member: ChatMember): void {
    const watchers = this.#watchers.get(key);
    watchers?.delete(member);
    if (watchers?.size === 0) this.#watchers.delete(key);
  }
}

/** The account key of a stored display name. */
function keyOf(name: string): string | undefined {
  const result = normalizeUsername(name, { allowReserved: true });
  return result.ok ? result.key : undefined;
}
