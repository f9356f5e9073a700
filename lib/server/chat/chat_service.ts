/**
 * Chat features for logged-in members: rooms, room messages with batched
 * history, private and offline messages, user lists, history paging,
 * moderation and profiles. The connection layer (`chat_server.ts`) calls
 * one method per command; this module knows users, rooms and the store, and
 * talks to members only through {@linkcode ChatMember}.
 *
 * @module
 */

import { type Clock, SYSTEM_CLOCK } from "../../shared/clock.ts";
import { DEFAULT_MAX_BUFFERED, HistoryWriter } from "./history_writer.ts";
import {
  Hub,
  LOBBY,
  type Member,
  normalizeRoomName,
  type RoomSummary,
} from "./hub.ts";
import {
  type Lang,
  type MessageKey,
  type MessageParams,
  t,
} from "../../shared/messages.ts";
import {
  type Command,
  formatReply,
  type Reply,
  sanitizeMessage,
} from "../../protocol/protocol.ts";
import type {
  AccountStore,
  AuditEntry,
  ChatStore,
  StoredMessage,
} from "../../store/store.ts";
import { normalizeUsername } from "../../shared/username.ts";
import { PresenceBatcher, type PresenceEvent } from "./presence.ts";

/** Messages sent on joining a room. */
export const JOIN_HISTORY_COUNT = 20;
/**
 * How far message ids skip ahead at start: more than the history writer can
 * hold unwritten (its `maxBuffered`), so no id handed out before a crash is
 * handed out again.
 */
export const MAX_UNWRITTEN_IDS = DEFAULT_MAX_BUFFERED;
/** How many of a room's newest messages `DELETE last <user>` searches. */
export const DELETE_LAST_SEARCH = 1000;
/** Undelivered private messages kept per recipient. */
export const MAX_OFFLINE_PER_RECIPIENT = 1000;
/** UTF-8 bytes of undelivered private message text kept per recipient (2 MiB). */
export const MAX_OFFLINE_BYTES_PER_RECIPIENT = 2 * 1024 * 1024;
/**
 * Offline delivery hands the socket at most this many messages, or about
 * this many bytes of text, before it waits for them to be written: far under
 * the 1 MiB outbound bound, so a long queue never overflows it.
 */
export const OFFLINE_BATCH_MESSAGES = 50;
/** See {@linkcode OFFLINE_BATCH_MESSAGES}. */
export const OFFLINE_BATCH_BYTES = 128 * 1024;

/** A logged-in connection as the chat service sees it. */
export interface ChatMember extends Member {
  /** The account's id. */
  readonly accountId: number;
  /** Source address, for the audit log. */
  readonly address: string;
  /** Sends one reply to this member. */
  send(reply: Reply): void;
  /** Ends the member's connection with a `BYE`. */
  disconnect(code: string, message: string): void;
  /** The language of this member's replies. @default {the service's `lang`} */
  readonly lang?: Lang;
  /**
   * Resolves `true` once everything sent so far was handed to the socket,
   * or `false` if the connection closed first. Offline delivery waits on it
   * between batches and removes a batch from the queue only after `true`.
   * @default {resolves `true` at once}
   */
  flushed?(): Promise<boolean>;
}

/** Options for {@linkcode ChatService}. */
export interface ChatServiceOptions {
  store: AccountStore & ChatStore;
  /** @default {SYSTEM_CLOCK} */
  clock?: Clock;
  /** Language of server-made texts (OK messages). @default {"zh"} */
  lang?: Lang;
  /** Days of history kept. @default {30} */
  historyDays?: number;
  /** Days of audit log kept. @default {90} */
  auditDays?: number;
  /** Receives a line for the server log. @default {() => {}} */
  log?: (line: string) => void;
  /** Group-commit delay for history writes. @default {50} */
  historyFlushDelayMs?: number;
}

type ChatCommand = Extract<
  Command,
  {
    type:
      | "msg"
      | "join"
      | "leave"
      | "rooms"
      | "privmsg"
      | "users"
      | "history"
      | "kick"
      | "mute"
      | "unmute"
      | "delete_message"
      | "delete_last"
      | "status"
      | "whois";
  }
>;

const CHAT_COMMANDS: ReadonlySet<string> = new Set<ChatCommand["type"]>([
  "msg",
  "join",
  "leave",
  "rooms",
  "privmsg",
  "users",
  "history",
  "kick",
  "mute",
  "unmute",
  "delete_message",
  "delete_last",
  "status",
  "whois",
]);

/** Whether a command is handled by {@linkcode ChatService.handle}. */
export function isChatCommand(command: Command): command is ChatCommand {
  return CHAT_COMMANDS.has(command.type);
}

interface MuteState {
  until: number;
  reason: string;
}

/** The chat side of the server. */
export class ChatService {
  readonly hub = new Hub<ChatMember>();
  #store: AccountStore & ChatStore;
  #clock: Clock;
  #lang: Lang;
  #log: (line: string) => void;
  #history: HistoryWriter;
  #historyMs: number;
  #auditMs: number;
  #nextId = 0;
  #ready: Promise<void>;
  #mutes = new Map<ChatMember, MuteState>();
  #encoder = new TextEncoder();
  #lastPrune = 0;
  #presence = new PresenceBatcher();

  /** Creates the service; message ids continue after the store's largest. */
  constructor(options: ChatServiceOptions) {
    this.#store = options.store;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#lang = options.lang ?? "zh";
    this.#log = options.log ?? (() => {});
    this.#historyMs = (options.historyDays ?? 30) * 24 * 60 * 60 * 1000;
    this.#auditMs = (options.auditDays ?? 90) * 24 * 60 * 60 * 1000;
    this.#history = new HistoryWriter(this.#store, {
      flushDelayMs: options.historyFlushDelayMs ?? 50,
      onError: (error, lost) =>
        this.#log(
          `[error] history write failed, ${lost} message(s) not stored: ${
            String(error)
          }`,
        ),
      // One line when writes start failing (busy database) and one when
      // they work again, however many retries lie between.
      onStall: (error, pending) =>
        this.#log(
          t(this.#lang, "historyStalled", {
            pending,
            reason: error instanceof Error ? error.message : String(error),
          }),
        ),
      onRecover: (count) =>
        this.#log(t(this.#lang, "historyRecovered", { count })),
    });
    this.#ready = this.#store.maxMessageId().then((max) => {
      // Ids go out before their batched write, so a crash can lose messages
      // that clients already saw with their ids. Skipping past every id that
      // could have been unwritten keeps ids unique across restarts (clients
      // page history and drop duplicates by id).
      this.#nextId = Math.max(this.#nextId, max + 1 + MAX_UNWRITTEN_IDS);
    });
  }

  /** Number of members online. */
  get onlineCount(): number {
    return this.hub.onlineCount;
  }

  /**
   * Brings a logged-in member into the lobby: `JOINED`, the lobby's
   * history, waiting private messages, and `USER_JOINED` to the lobby.
   * The caller has already sent `AUTH_SUCCESS`, `WELCOME`, `RESUME_TOKEN`.
   */
  async enter(member: ChatMember): Promise<void> {
    await this.#ready;
    const joined = this.hub.enter(member);
    const mute = await this.#store.getMute(member.accountId, this.#clock.now());
    if (mute !== undefined) {
      this.#mutes.set(member, { until: mute.until, reason: mute.reason ?? "" });
    }
    this.#roomNotice(joined.name, {
      type: "user_joined",
      username: member.username,
    }, member);
    member.send({
      type: "joined",
      room: joined.name,
      memberCount: joined.memberCount,
    });
    await this.#sendHistory(member, joined.name, { count: JOIN_HISTORY_COUNT });
    await this.#deliverOffline(member);
    if (mute !== undefined) {
      member.send({
        type: "muted",
        until: mute.until,
        reason: mute.reason ?? "",
      });
    }
  }

  /** Takes a member out of the chat; resolves the room it left. */
  exit(member: ChatMember): string | undefined {
    this.#mutes.delete(member);
    const room = this.hub.exit(member);
    if (room !== undefined) {
      this.#roomNotice(room, { type: "user_left", username: member.username });
    }
    return room;
  }

  /** Handles one chat command from a logged-in member. */
  async handle(member: ChatMember, command: ChatCommand): Promise<void> {
    await this.#ready;
    switch (command.type) {
      case "msg":
        this.say(member, command.text);
        return;
      case "join":
        return await this.#join(member, command.room);
      case "leave":
        if (this.hub.roomOf(member) === LOBBY) {
          // Not a second copy of the lobby's history (issue 12, item 22).
          return member.send({
            type: "error",
            code: "already_in_room",
            message: this.#t(member, "alreadyInLobby"),
          });
        }
        return await this.#join(member, LOBBY);
      case "rooms":
        return member.send({
          type: "room_list",
          rooms: fitList(this.#roomList(), roomsLine),
        });
      case "users":
        return this.#users(member, command.all);
      case "privmsg":
        return await this.#privmsg(member, command.to, command.text);
      case "history":
        return await this.#sendHistory(
          member,
          this.hub.roomOf(member) ?? LOBBY,
          command,
        );
      case "kick":
        return await this.#kick(member, command.user, command.reason);
      case "mute":
        return await this.#mute(
          member,
          command.user,
          command.minutes,
          command.reason,
        );
      case "unmute":
        return await this.#unmute(member, command.user);
      case "delete_message":
        return await this.#deleteMessage(member, command.id);
      case "delete_last":
        return await this.#deleteLast(member, command.user);
      case "status":
        return await this.#status(member, command.text);
      case "whois":
        return await this.#whois(member, command.user);
    }
  }

  /**
   * A room message: checked for a mute, stored (batched), relayed to the
   * room. Returns `false` when it was refused (the member got `MUTED`).
   */
  say(member: ChatMember, text: string): boolean {
    if (this.#refuseMuted(member)) return false;
    // The hub keeps each room's key: no name normalization per message.
    const key = this.hub.roomKeyOf(member);
    const message: StoredMessage = {
      id: this.#nextId++,
      // Stored under the room's key: "Dev" and "dev" share one history.
      room: key ?? roomKey(LOBBY),
      sender: member.username,
      recipient: null,
      // Stored with control characters replaced (docs/PROTOCOL.md, 11): a
      // NUL does not survive SQLite, and a text cut to "" there would break
      // every later history block of the room.
      text: sanitizeMessage(text),
      createdAt: this.#clock.now(),
    };
    this.#history.append(message);
    const bytes = this.#encode({
      type: "message",
      id: message.id,
      time: message.createdAt,
      sender: message.sender,
      text: message.text,
    });
    if (key !== undefined) this.hub.deliverToRoomOf(member, bytes);
    else this.hub.deliverToRoom(LOBBY, bytes, member);
    return true;
  }

  /**
   * Periodic work (the server calls it every second): sends the presence
   * notices held for large rooms, and drops history and audit entries older
   * than their retention, about hourly.
   */
  async sweep(): Promise<void> {
    this.#flushPresence();
    const now = this.#clock.now();
    if (now - this.#lastPrune < 60 * 60 * 1000) return;
    this.#lastPrune = now;
    await this.#history.flush();
    const removed = await this.#store.pruneMessages(now - this.#historyMs);
    if (removed > 0) {
      this.#log(
        `[history] pruned ${removed} message(s) older than the retention`,
      );
    }
    await this.#store.pruneAudit(now - this.#auditMs);
  }

  /** Writes every buffered history message. */
  flush(): Promise<void> {
    return this.#history.flush();
  }

  /** Flushes history and stops timers. */
  async close(): Promise<void> {
    await this.#history.close();
  }

  async #join(member: ChatMember, roomName: string): Promise<void> {
    const name = normalizeRoomName(roomName);
    if (!name.ok || name.name === "-") {
      member.send({
        type: "error",
        code: "invalid_room",
        message: this.#t(member, "invalidRoom", { room: roomName }),
      });
      return;
    }
    const moved = this.hub.join(member, name.name);
    if (moved.left !== undefined) {
      // Not "left the chat": the old room hears where the user went.
      this.#roomNotice(moved.left, {
        type: "user_left",
        username: member.username,
        to: moved.joined.name,
      });
      this.#roomNotice(moved.joined.name, {
        type: "user_joined",
        username: member.username,
      }, member);
    }
    member.send({
      type: "joined",
      room: moved.joined.name,
      memberCount: moved.joined.memberCount,
    });
    await this.#sendHistory(member, moved.joined.name, {
      count: JOIN_HISTORY_COUNT,
    });
  }

  #users(member: ChatMember, all: boolean): void {
    if (all) {
      const names = this.hub.online().map((m) => m.username);
      member.send({
        type: "user_list",
        scope: "*",
        users: fitList(names, (list) => usersLine("*", list)),
      });
      return;
    }
    const room = this.hub.roomOf(member) ?? LOBBY;
    const names = this.hub.membersOf(room).map((m) => m.username);
    member.send({
      type: "user_list",
      scope: room,
      users: fitList(names, (list) => usersLine(room, list)),
    });
  }

  async #privmsg(member: ChatMember, to: string, text: string): Promise<void> {
    if (this.#refuseMuted(member)) return;
    const name = normalizeUsername(to, { allowReserved: true });
    const account = name.ok
      ? await this.#store.getAccount(name.key)
      : undefined;
    if (!name.ok || account === undefined) {
      member.send({
        type: "error",
        code: "no_such_user",
        message: this.#t(member, "noSuchUser", { user: to }),
      });
      return;
    }
    if (account.usernameKey === member.usernameKey) {
      member.send({
        type: "error",
        code: "pm_to_self",
        message: this.#t(member, "pmToSelf"),
      });
      return;
    }
    const message: StoredMessage = {
      id: this.#nextId++,
      room: null,
      sender: member.username,
      recipient: account.username,
      text: sanitizeMessage(text),
      createdAt: this.#clock.now(),
    };
    const line: Reply = {
      type: "private",
      id: message.id,
      time: message.createdAt,
      from: message.sender,
      to: account.username,
      text,
    };
    const recipient = this.hub.find(account.username);
    if (recipient !== undefined) {
      this.#history.append(message);
      const bytes = this.#encode(line);
      recipient.deliver(bytes);
      if (recipient !== member) member.deliver(bytes);
      return;
    }
    // Offline: stored durably before anyone is told it was queued.
    const queued = await this.#store.queueOffline(
      message,
      account.id,
      MAX_OFFLINE_PER_RECIPIENT,
      MAX_OFFLINE_BYTES_PER_RECIPIENT,
    );
    if (queued === "full_bytes") {
      member.send({
        type: "error",
        code: "offline_queue_full",
        message: this.#t(member, "offlineQueueFullBytes", {
          user: account.username,
          max: `${MAX_OFFLINE_BYTES_PER_RECIPIENT / (1024 * 1024)} MiB`,
        }),
      });
      return;
    }
    if (queued === "full") {
      member.send({
        type: "error",
        code: "offline_queue_full",
        message: this.#t(member, "offlineQueueFull", {
          user: account.username,
          max: MAX_OFFLINE_PER_RECIPIENT,
        }),
      });
      return;
    }
    member.send(line);
    member.send({ type: "pm_queued", to: account.username });
  }

  async #deliverOffline(member: ChatMember): Promise<void> {
    // One that expired before its recipient logged in is never delivered
    // (docs/PROTOCOL.md, 11, Private messages); the store keeps queued
    // messages out of pruneMessages(), so they are dropped here.
    const oldest = this.#clock.now() - this.#historyMs;
    const total = await this.#store.countOffline(member.accountId, oldest);
    if (total === 0) {
      // Only expired or deleted ones, if any: drop them.
      await this.#store.ackOffline(member.accountId, []);
      return;
    }
    member.send({ type: "offline_begin", count: total });
    const bySender = new Map<string, number>();
    let afterId = 0;
    let complete = true;
    // In batches that each fit the outbound queue many times over: a batch
    // is removed from the store only once the socket took it, so a
    // connection lost midway keeps the rest for the next login.
    while (true) {
      const batch = await this.#store.peekOffline(
        member.accountId,
        OFFLINE_BATCH_MESSAGES,
        afterId,
      );
      if (batch.length === 0) break;
      const handed: number[] = [];
      let bytes = 0;
      for (const message of batch) {
        afterId = message.id;
        handed.push(message.id);
        if (message.createdAt < oldest) continue;
        member.send({
          type: "private",
          id: message.id,
          time: message.createdAt,
          from: message.sender,
          to: member.username,
          text: message.text,
        });
        bySender.set(message.sender, (bySender.get(message.sender) ?? 0) + 1);
        bytes += message.text.length * 3;
        if (bytes >= OFFLINE_BATCH_BYTES) break;
      }
      if (!(await (member.flushed?.() ?? Promise.resolve(true)))) {
        complete = false;
        break;
      }
      await this.#store.ackOffline(member.accountId, handed);
    }
    if (!complete) return;
    member.send({ type: "offline_end" });
    for (const [sender, count] of bySender) {
      this.hub.find(sender)?.send({
        type: "pm_delivered",
        to: member.username,
        count,
      });
    }
  }

  async #sendHistory(
    member: ChatMember,
    room: string,
    query: { count: number; before?: number; after?: number },
  ): Promise<void> {
    // Batched writes must be visible to the read.
    await this.#history.flush();
    const page = await this.#store.roomHistory(roomKey(room), {
      count: query.count,
      before: query.before,
      after: query.after,
    });
    member.send({ type: "history_begin", room, count: page.messages.length });
    for (const message of page.messages) {
      member.send({
        type: "history_message",
        id: message.id,
        time: message.createdAt,
        sender: message.sender,
        text: message.text,
      });
    }
    member.send({ type: "history_end", room, more: page.more });
  }

  async #kick(
    member: ChatMember,
    user: string,
    reason: string | undefined,
  ): Promise<void> {
    if (!(await this.#isAdmin(member, "kick", user))) return;
    const target = this.hub.find(user);
    if (target === undefined) {
      const exists = await this.#accountOf(user);
      member.send(
        exists === undefined
          ? {
            type: "error",
            code: "no_such_user",
            message: this.#t(member, "noSuchUser", { user }),
          }
          : {
            type: "error",
            code: "user_offline",
            message: this.#t(member, "userOffline", { user }),
          },
      );
      return;
    }
    // Read before disconnect(), which takes the member out of the chat.
    const username = target.username;
    await this.#store.revokeResumeTokens(target.accountId);
    await this.#audit("kick", member, username, reason ?? null);
    // Without a reason, a bare `BYE kicked` (docs/PROTOCOL.md, 12, KICK).
    target.disconnect("kicked", reason ?? "");
    member.send({
      type: "ok",
      code: "kicked",
      message: this.#t(member, "okKicked", { user: username }),
    });
  }

  async #mute(
    member: ChatMember,
    user: string,
    minutes: number,
    reason: string | undefined,
  ): Promise<void> {
    if (!(await this.#isAdmin(member, "mute", user))) return;
    const account = await this.#accountOf(user);
    if (account === undefined) {
      member.send({
        type: "error",
        code: "no_such_user",
        message: this.#t(member, "noSuchUser", { user }),
      });
      return;
    }
    const now = this.#clock.now();
    const until = now + minutes * 60_000;
    await this.#store.setMute(
      account.id,
      until,
      reason === undefined ? null : sanitizeMessage(reason),
      member.username,
      {
        at: now,
        event: "mute",
        username: account.username,
        address: member.address,
        detail: `by ${member.username} for ${minutes} min${
          reason ? `: ${reason}` : ""
        }`,
      },
    );
    const target = this.hub.find(account.username);
    if (target !== undefined) {
      this.#mutes.set(target, { until, reason: reason ?? "" });
      target.send({ type: "muted", until, reason: reason ?? "" });
    }
    member.send({
      type: "ok",
      code: "muted",
      message: this.#t(member, "okMuted", { user: account.username, minutes }),
    });
  }

  async #unmute(member: ChatMember, user: string): Promise<void> {
    if (!(await this.#isAdmin(member, "unmute", user))) return;
    const account = await this.#accountOf(user);
    if (account === undefined) {
      member.send({
        type: "error",
        code: "no_such_user",
        message: this.#t(member, "noSuchUser", { user }),
      });
      return;
    }
    await this.#store.clearMute(account.id, {
      at: this.#clock.now(),
      event: "unmute",
      username: account.username,
      address: member.address,
      detail: `by ${member.username}`,
    });
    const target = this.hub.find(account.username);
    if (target !== undefined && this.#mutes.delete(target)) {
      target.send({ type: "unmuted" });
    }
    member.send({
      type: "ok",
      code: "unmuted",
      message: this.#t(member, "okUnmuted", { user: account.username }),
    });
  }

  async #deleteMessage(member: ChatMember, id: number): Promise<void> {
    if (!(await this.#isAdmin(member, "delete_message", `#${id}`))) return;
    await this.#deleteById(member, id);
  }

  /**
   * `DELETE last <user>`: the user's newest message among the last
   * {@linkcode DELETE_LAST_SEARCH} of the administrator's room.
   */
  async #deleteLast(member: ChatMember, user: string): Promise<void> {
    if (!(await this.#isAdmin(member, "delete_message", `last ${user}`))) {
      return;
    }
    const name = normalizeUsername(user, { allowReserved: true });
    const room = this.hub.roomOf(member) ?? LOBBY;
    let found: number | undefined;
    if (name.ok) {
      await this.#history.flush();
      let before: number | undefined;
      for (let seen = 0; found === undefined && seen < DELETE_LAST_SEARCH;) {
        const page = await this.#store.roomHistory(roomKey(room), {
          count: 100,
          before,
        });
        for (const message of page.messages.toReversed()) {
          const sender = normalizeUsername(message.sender, {
            allowReserved: true,
          });
          if (sender.ok && sender.key === name.key) {
            found = message.id;
            break;
          }
        }
        seen += page.messages.length;
        if (!page.more || page.messages.length === 0) break;
        before = page.messages[0]!.id;
      }
    }
    if (found === undefined) {
      member.send({
        type: "error",
        code: "no_such_message",
        message: this.#t(member, "noRecentMessage", { user, room }),
      });
      return;
    }
    await this.#deleteById(member, found);
  }

  /** Deletes a room message for an administrator already checked. */
  async #deleteById(member: ChatMember, id: number): Promise<void> {
    await this.#history.flush();
    const existing = await this.#store.getMessage(id);
    const deleted = existing === undefined || existing.room === null
      ? undefined
      : await this.#store.deleteMessage(
        id,
        this.#clock.now(),
        {
          at: this.#clock.now(),
          event: "delete_message",
          username: existing.sender,
          address: member.address,
          detail: `message ${id} in ${existing.room} by ${member.username}`,
        },
      );
    if (deleted === undefined || deleted.room === null) {
      member.send({
        type: "error",
        code: "no_such_message",
        message: this.#t(member, "noSuchMessage", { id }),
      });
      return;
    }
    this.hub.deliverToRoom(
      deleted.room,
      this.#encode({ type: "message_deleted", id, by: member.username }),
    );
    member.send({
      type: "ok",
      code: "deleted",
      message: this.#t(member, "okDeleted", { id }),
    });
  }

  async #status(member: ChatMember, text: string): Promise<void> {
    if (this.#mutes.has(member) && this.#isMuted(member)) {
      member.send({
        type: "error",
        code: "muted",
        message: this.#t(member, "mutedNoStatus"),
      });
      return;
    }
    // Stored with control characters as spaces (docs/PROTOCOL.md, 12): a
    // NUL would cut the text short in SQLite.
    await this.#store.setStatus(member.accountId, sanitizeMessage(text));
    member.send(
      text === ""
        ? {
          type: "ok",
          code: "status_cleared",
          message: this.#t(member, "okStatusCleared"),
        }
        : {
          type: "ok",
          code: "status_set",
          message: this.#t(member, "okStatusSet"),
        },
    );
  }

  async #whois(member: ChatMember, user: string): Promise<void> {
    const account = await this.#accountOf(user);
    if (account === undefined) {
      member.send({
        type: "error",
        code: "no_such_user",
        message: this.#t(member, "noSuchUser", { user }),
      });
      return;
    }
    const online = this.hub.find(account.username);
    member.send({
      type: "whois_info",
      user: account.username,
      registeredAt: account.createdAt,
      online: online !== undefined,
      // "-" while online (the store's value is the login time then).
      lastSeenAt: online === undefined ? account.lastSeenAt : null,
      room: online === undefined ? null : this.hub.roomOf(online) ?? null,
      admin: account.isAdmin,
      status: account.status,
    });
  }

  /** Checks the admin role in the store (so a grant or revoke applies at once). */
  async #isAdmin(
    member: ChatMember,
    action: "kick" | "mute" | "unmute" | "delete_message",
    target: string,
  ): Promise<boolean> {
    const account = await this.#store.getAccount(member.usernameKey);
    // The role of this member's own account, never of one that later took
    // the same name.
    if (account?.isAdmin && account.id === member.accountId) return true;
    await this.#audit(action, member, target, "refused: not_admin");
    member.send({
      type: "error",
      code: "not_admin",
      message: this.#t(member, "notAdmin"),
    });
    return false;
  }

  #refuseMuted(member: ChatMember): boolean {
    if (!this.#isMuted(member)) return false;
    const mute = this.#mutes.get(member)!;
    member.send({ type: "muted", until: mute.until, reason: mute.reason });
    return true;
  }

  #isMuted(member: ChatMember): boolean {
    const mute = this.#mutes.get(member);
    if (mute === undefined) return false;
    if (this.#clock.now() < mute.until) return true;
    this.#mutes.delete(member);
    return false;
  }

  async #accountOf(user: string) {
    const name = normalizeUsername(user, { allowReserved: true });
    return name.ok ? await this.#store.getAccount(name.key) : undefined;
  }

  /** The lobby first, then rooms by member count. */
  #roomList(): RoomSummary[] {
    const [lobby, ...rest] = this.hub.rooms();
    rest.sort((a, b) =>
      b.memberCount - a.memberCount || a.name.localeCompare(b.name)
    );
    return lobby === undefined ? rest : [lobby, ...rest];
  }

  #roomNotice(
    room: string,
    event: PresenceEvent,
    except?: ChatMember,
  ): void {
    const members = this.hub.memberCount(room);
    if (!this.#presence.note(roomKey(room), room, members, event)) return;
    this.hub.deliverToRoom(
      room,
      this.#encode({ ...event, time: this.#clock.now() }),
      except,
    );
  }

  /** Sends what large rooms' presence windows held: a few notices, or a count. */
  #flushPresence(): void {
    const time = this.#clock.now();
    for (const held of this.#presence.flush()) {
      if ("events" in held) {
        for (const event of held.events) {
          // Whoever joined is not told of their own arrival.
          const self = event.type === "user_joined"
            ? this.hub.find(event.username)
            : undefined;
          this.hub.deliverToRoom(
            held.room,
            this.#encode({ ...event, time }),
            self,
          );
        }
      } else {
        this.hub.deliverToRoom(
          held.room,
          this.#encode({
            type: "presence",
            time,
            joined: held.joined,
            left: held.left,
          }),
        );
      }
    }
  }

  async #audit(
    event: AuditEntry["event"],
    member: ChatMember,
    target: string,
    detail: string | null,
  ): Promise<void> {
    await this.#store.appendAudit({
      at: this.#clock.now(),
      event,
      username: target,
      address: member.address,
      detail: `by ${member.username}${detail ? `: ${detail}` : ""}`,
    });
  }

  #encode(reply: Reply): Uint8Array {
    return this.#encoder.encode(`${formatReply(reply)}\n`);
  }

  /** A server-made text in the member's language. */
  #t(member: ChatMember, key: MessageKey, params?: MessageParams): string {
    return t(member.lang ?? this.#lang, key, params);
  }
}

const MAX_LIST_LINE = 8000;

/** Keeps as many entries as fit on one line (docs/PROTOCOL.md, limits). */
function fitList<T>(items: T[], line: (items: T[]) => string): T[] {
  if (new TextEncoder().encode(line(items)).length <= MAX_LIST_LINE) {
    return items;
  }
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (
      new TextEncoder().encode(line(items.slice(0, mid))).length <=
        MAX_LIST_LINE
    ) low = mid;
    else high = mid - 1;
  }
  return items.slice(0, low);
}

/** The key a room's messages are stored under. */
function roomKey(room: string): string {
  const name = normalizeRoomName(room);
  return name.ok ? name.key : room;
}

function roomsLine(rooms: RoomSummary[]): string {
  return `ROOM_LIST ${
    rooms.map((room) => `${room.name}=${room.memberCount}`).join(" ")
  }`;
}

function usersLine(scope: string, users: string[]): string {
  return `USER_LIST ${scope} ${users.join(" ")}`;
}
