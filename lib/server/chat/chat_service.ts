/**
 * The chat core for logged-in members: rooms, room messages with batched
 * history, user lists, history paging, profiles, and (through its parts)
 * private messages and moderation. It knows users, rooms and the store,
 * never wire syntax or sockets: it answers the member whose command it runs
 * through {@linkcode ChatMember.send}, and tells everyone else through the
 * {@linkcode Bus} as {@linkcode ChatEvent}s addressed to an audience, which
 * each adapter encodes for its own connections.
 *
 * @module
 */

import { type Clock, SYSTEM_CLOCK } from "../../shared/clock.ts";
import { DEFAULT_MAX_BUFFERED, HistoryWriter } from "./history_writer.ts";
import {
  Hub,
  LOBBY,
  normalizeRoomName,
  roomKey,
  type RoomSummary,
} from "./hub.ts";
import { type Lang, t } from "../../shared/messages.ts";
import { type Command, sanitizeMessage } from "../../protocol/protocol.ts";
import type {
  ChatCoreStore,
  StoredFile,
  StoredMessage,
} from "../../store/store.ts";
import type { SessionRegistry } from "../registry/session_registry.ts";
import { PresenceBatcher, type PresenceEvent } from "./presence.ts";
import { type Bus, InProcessBus } from "./bus.ts";
import { type Audience, roomAudience } from "./events.ts";
import type { ChatMember } from "./member.ts";
import { MuteList } from "./mutes.ts";
import { ChatContext } from "./chat_context.ts";
import { PrivateMessages } from "./private_messages.ts";
import { Moderation, type ModerationAction } from "./moderation.ts";
import { FileShares, type FileSharingParts } from "./file_shares.ts";
import { ReadState } from "./read_state.ts";
import { avatarMark, Avatars, type AvatarUploadParts } from "./avatars.ts";

export type { ChatMember, MemberOutlet } from "./member.ts";
export type { ModerationAction } from "./moderation.ts";
export { DELETE_LAST_SEARCH } from "./moderation.ts";
export {
  MAX_OFFLINE_BYTES_PER_RECIPIENT,
  MAX_OFFLINE_PER_RECIPIENT,
  OFFLINE_BATCH_BYTES,
  OFFLINE_BATCH_MESSAGES,
} from "./private_messages.ts";

/** Messages sent on joining a room. */
export const JOIN_HISTORY_COUNT = 20;
/**
 * How far message ids skip ahead at start: more than the history writer can
 * hold unwritten (its `maxBuffered`), so no id handed out before a crash is
 * handed out again.
 */
export const MAX_UNWRITTEN_IDS = DEFAULT_MAX_BUFFERED;

/** Options for {@linkcode ChatService}. */
export interface ChatServiceOptions {
  store: ChatCoreStore;
  /** Who is online: the registry the account domain claims sessions in. */
  registry: SessionRegistry<ChatMember>;
  /** Where events for other members go. @default {a new InProcessBus} */
  bus?: Bus;
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
  /** File sharing's folder, tickets and limits; without: sharing is off. */
  files?: FileSharingParts;
  /** Tickets and port for avatar pictures; without: only emoji avatars. */
  avatarUploads?: AvatarUploadParts;
}

/** The commands {@linkcode ChatService.handle} runs. */
export type ChatCommand = Extract<
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
      | "whois"
      | "file_send"
      | "file_get"
      | "files"
      | "read"
      | "receipts"
      | "avatar"
      | "avatar_image"
      | "avatars";
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
  "file_send",
  "file_get",
  "files",
  "read",
  "receipts",
  "avatar",
  "avatar_image",
  "avatars",
]);

/** Whether a command is handled by {@linkcode ChatService.handle}. */
export function isChatCommand(command: Command): command is ChatCommand {
  return CHAT_COMMANDS.has(command.type);
}

const NO_MEMBERS: readonly ChatMember[] = [];

/** The chat side of the server. */
export class ChatService {
  readonly hub: Hub<ChatMember>;
  /** Events for members other than the one a command comes from. */
  readonly bus: Bus;
  #chat: ChatContext;
  #private: PrivateMessages;
  #moderation: Moderation;
  #files: FileShares | undefined;
  #reads: ReadState;
  #avatars: Avatars;
  #store: ChatCoreStore;
  #clock: Clock;
  #log: (line: string) => void;
  #history: HistoryWriter;
  #historyMs: number;
  #auditMs: number;
  #ready: Promise<void>;
  #mutes: MuteList<ChatMember>;
  #lastPrune = 0;
  #presence = new PresenceBatcher();

  /** Creates the service; message ids continue after the store's largest. */
  constructor(options: ChatServiceOptions) {
    this.#store = options.store;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    const lang = options.lang ?? "zh";
    this.#log = options.log ?? (() => {});
    this.#historyMs = (options.historyDays ?? 30) * 24 * 60 * 60 * 1000;
    this.#auditMs = (options.auditDays ?? 90) * 24 * 60 * 60 * 1000;
    this.hub = new Hub(options.registry);
    this.bus = options.bus ?? new InProcessBus({
      onError: (error) => this.#log(`[error] event delivery: ${String(error)}`),
    });
    this.#mutes = new MuteList(this.#clock);
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
          t(lang, "historyStalled", {
            pending,
            reason: error instanceof Error ? error.message : String(error),
          }),
        ),
      onRecover: (count) => this.#log(t(lang, "historyRecovered", { count })),
    });
    this.#chat = new ChatContext({
      store: this.#store,
      clock: this.#clock,
      hub: this.hub,
      bus: this.bus,
      history: this.#history,
      mutes: this.#mutes,
      historyMs: this.#historyMs,
      lang,
      log: this.#log,
    });
    this.#private = new PrivateMessages(this.#chat);
    this.#moderation = new Moderation(this.#chat);
    const files = options.files === undefined
      ? undefined
      : new FileShares(this.#chat, options.files);
    this.#files = files;
    this.#chat.removeFile = files && ((id) => files.remove(id));
    this.#reads = new ReadState(this.#chat);
    // Through the bus, so messages from anywhere raise unread counts.
    this.bus.subscribe(this.#reads.observe);
    this.#avatars = new Avatars(this.#chat, options.avatarUploads);
    this.#ready = this.#store.maxMessageId().then(async (max) => {
      // Ids go out before their batched write, so a crash can lose messages
      // that clients already saw with their ids. Skipping past every id that
      // could have been unwritten keeps ids unique across restarts (clients
      // page history and drop duplicates by id).
      this.#chat.raiseIdFloor(max + 1 + MAX_UNWRITTEN_IDS);
      // Bytes of files whose record went while the server was down.
      const swept = await files?.sweepOrphans() ?? 0;
      if (swept > 0) this.#log(`[files] removed ${swept} unowned file(s)`);
    });
  }

  /** Number of members in the chat. */
  get onlineCount(): number {
    return this.hub.onlineCount;
  }

  /**
   * The local members in `audience`, and the one among them not to tell:
   * how an adapter resolves an event's audience to its connections. A
   * room's members are its live set (no copy per message in a room of
   * thousands); the caller skips `except` by identity.
   */
  recipients(
    audience: Audience,
  ): { members: Iterable<ChatMember>; except: ChatMember | undefined } {
    switch (audience.kind) {
      case "room":
        return {
          members: this.hub.membersByKey(audience.room) ?? NO_MEMBERS,
          except: audience.except === undefined
            ? undefined
            : this.hub.registry.member(audience.except),
        };
      case "user": {
        const member = this.hub.registry.member(audience.user);
        return {
          members: member === undefined ? NO_MEMBERS : [member],
          except: undefined,
        };
      }
      case "everyone":
        return { members: this.hub.online(), except: undefined };
    }
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
      type: "member_joined",
      username: member.username,
    }, member);
    member.send({
      type: "joined",
      room: joined.name,
      memberCount: joined.memberCount,
    });
    await this.#sendHistory(member, joined.name, { count: JOIN_HISTORY_COUNT });
    await this.#private.deliverWaiting(member);
    if (mute !== undefined) {
      member.send({
        type: "muted",
        until: mute.until,
        reason: mute.reason ?? "",
      });
    }
    await this.#reads.enter(member, joined.name);
  }

  /**
   * A checked avatar picture of `holder`'s account (the session an upload
   * ticket was issued to) was stored as `version`: tell everyone.
   */
  avatarStored(holder: object, version: number): void {
    this.#avatars.announce((holder as ChatMember).username, `img:${version}`);
  }

  /**
   * Whether `holder` (a member a transfer ticket was issued to) is still in
   * the chat, as that very session.
   */
  isLive(holder: object): boolean {
    const member = holder as ChatMember;
    return typeof member.usernameKey === "string" &&
      this.hub.registry.member(member.usernameKey) === member;
  }

  /** Shares a verified upload; see `FileShares.uploaded`. */
  async fileUploaded(file: StoredFile, holder: object): Promise<void> {
    await this.#ready;
    await this.#files?.uploaded(file, holder);
  }

  /**
   * An account was deleted: its files' records went with it, and now
   * their bytes go too.
   */
  accountRemoved(): void {
    this.#files?.sweepOrphans().catch((error) =>
      this.#log(`[error] removing a deleted account's files: ${String(error)}`)
    );
  }

  /** Takes a member out of the chat; resolves the room it left. */
  exit(member: ChatMember): string | undefined {
    this.#files?.revoke(member);
    this.#reads.exit(member);
    this.#avatars.revoke(member);
    this.#mutes.delete(member);
    const room = this.hub.exit(member);
    if (room !== undefined) {
      this.#roomNotice(room, {
        type: "member_left",
        username: member.username,
      });
    }
    return room;
  }

  /**
   * Whether `member` may take an administrator's `action` on `target`;
   * a refusal is audited and answered. The session checks it once, before
   * {@linkcode handle}, for the verbs its table marks `admin`.
   */
  authorize(
    member: ChatMember,
    action: ModerationAction,
    target: string,
  ): Promise<boolean> {
    return this.#moderation.authorize(member, action, target);
  }

  /**
   * Handles one chat command from a logged-in member whose preconditions
   * (admin for moderation) the caller has checked.
   */
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
          return this.#chat.refuse(member, "already_in_room");
        }
        return await this.#join(member, LOBBY);
      case "rooms":
        await this.#reads.refresh(member);
        return member.send({ type: "room_list", rooms: this.#roomList() });
      case "users":
        return await this.#users(member, command.all);
      case "privmsg":
        return await this.#private.send(member, command.to, command.text);
      case "history":
        return await this.#sendHistory(
          member,
          this.hub.roomOf(member) ?? LOBBY,
          command,
        );
      case "kick":
        return await this.#moderation.kick(
          member,
          command.user,
          command.reason,
        );
      case "mute":
        return await this.#moderation.mute(
          member,
          command.user,
          command.minutes,
          command.reason,
        );
      case "unmute":
        return await this.#moderation.unmute(member, command.user);
      case "delete_message":
        return await this.#moderation.deleteMessage(member, command.id);
      case "delete_last":
        return await this.#moderation.deleteLast(member, command.user);
      case "status":
        return await this.#status(member, command.text);
      case "whois":
        return await this.#whois(member, command.user);
      case "file_send":
      case "file_get":
      case "files":
        return await this.#fileCommand(member, command);
      case "read":
        return await this.#reads.read(member, command.target, command.id);
      case "receipts":
        return await this.#reads.receipts(member, command.on);
      case "avatar":
        return await this.#avatars.set(member, command.emoji);
      case "avatar_image":
        return this.#avatars.imageTicket(member, command.size);
      case "avatars":
        return await this.#avatars.query(member, command.users);
    }
  }

  async #fileCommand(
    member: ChatMember,
    command: Extract<ChatCommand, { type: "file_send" | "file_get" | "files" }>,
  ): Promise<void> {
    const files = this.#files;
    if (files === undefined) return this.#chat.refuse(member, "files_disabled");
    switch (command.type) {
      case "file_send":
        return await files.offer(member, command);
      case "file_get":
        return await files.get(member, command.id);
      case "files":
        return await files.list(member);
    }
  }

  /**
   * A room message: checked for a mute, stored (batched), relayed to the
   * room. Returns `false` when it was refused (the member got `MUTED`).
   */
  say(member: ChatMember, text: string): boolean {
    if (this.#chat.refuseMuted(member)) return false;
    // The hub keeps each room's key: no name normalization per message.
    // Stored under the room's key: "Dev" and "dev" share one history.
    const key = this.hub.roomKeyOf(member) ?? roomKey(LOBBY);
    const message: StoredMessage = {
      id: this.#chat.nextId(),
      room: key,
      sender: member.username,
      recipient: null,
      // Stored with control characters replaced (docs/PROTOCOL.md, 11): a
      // NUL does not survive SQLite, and a text cut to "" there would break
      // every later history block of the room.
      text: sanitizeMessage(text),
      createdAt: this.#clock.now(),
    };
    this.#history.append(message);
    this.bus.publish({
      audience: roomAudience(key, member.usernameKey),
      event: {
        type: "room_message",
        id: message.id,
        time: message.createdAt,
        sender: message.sender,
        text: message.text,
      },
    });
    return true;
  }

  /**
   * Periodic work (the server calls it every second): sends the presence
   * notices held for large rooms, and drops history and audit entries older
   * than their retention, about hourly.
   */
  async sweep(): Promise<void> {
    this.#flushPresence();
    this.#reads.flush();
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
    const files = await this.#files?.prune() ?? 0;
    if (files > 0) {
      this.#log(`[files] removed ${files} file(s) past their retention`);
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
      return this.#chat.refuse(member, "invalid_room", { room: roomName });
    }
    const moved = this.hub.join(member, name.name);
    if (moved.left !== undefined) {
      // Not "left the chat": the old room hears where the user went.
      this.#roomNotice(moved.left, {
        type: "member_left",
        username: member.username,
        to: moved.joined.name,
      });
      this.#roomNotice(moved.joined.name, {
        type: "member_joined",
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
    if (moved.left !== undefined) await this.#reads.left(member, moved.left);
    await this.#reads.entered(member, moved.joined.name);
  }

  /**
   * `USER_LIST`, whole (an adapter keeps what fits its line limit), after
   * the `AVATAR_LIST` of its users that have one.
   */
  async #users(member: ChatMember, all: boolean): Promise<void> {
    const room = all ? "*" : this.hub.roomOf(member) ?? LOBBY;
    const users = (all ? this.hub.online() : this.hub.membersOf(room)).map((
      m,
    ) => m.username);
    await this.#avatars.sendMarksOf(member, users);
    member.send({ type: "user_list", scope: room, users });
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
      member.send(
        message.file === undefined
          ? {
            type: "history_message",
            id: message.id,
            time: message.createdAt,
            sender: message.sender,
            text: message.text,
          }
          : {
            type: "history_file",
            messageId: message.id,
            time: message.createdAt,
            sender: message.sender,
            id: message.file.id,
            size: message.file.size,
            name: message.file.name,
          },
      );
    }
    member.send({ type: "history_end", room, more: page.more });
  }

  async #status(member: ChatMember, text: string): Promise<void> {
    if (this.#mutes.active(member) !== undefined) {
      return this.#chat.refuse(member, "muted");
    }
    // Stored with control characters as spaces (docs/PROTOCOL.md, 12): a
    // NUL would cut the text short in SQLite.
    await this.#store.setStatus(member.accountId, sanitizeMessage(text));
    this.#chat.ok(member, text === "" ? "status_cleared" : "status_set");
  }

  async #whois(member: ChatMember, user: string): Promise<void> {
    const account = await this.#chat.accountOf(user);
    if (account === undefined) {
      return this.#chat.refuse(member, "no_such_user", { user });
    }
    const online = this.hub.registry.member(account.usernameKey);
    member.send({
      type: "avatar_list",
      avatars: [{ user: account.username, mark: avatarMark(account.avatar) }],
    });
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

  /** The lobby first, then rooms by member count. */
  #roomList(): RoomSummary[] {
    const [lobby, ...rest] = this.hub.rooms();
    rest.sort((a, b) =>
      b.memberCount - a.memberCount || a.name.localeCompare(b.name)
    );
    return lobby === undefined ? rest : [lobby, ...rest];
  }

  /** A join or leave notice to a room, unless its presence window holds it. */
  #roomNotice(
    room: string,
    notice: PresenceEvent,
    except?: ChatMember,
  ): void {
    const key = roomKey(room);
    const members = this.hub.memberCount(room);
    if (!this.#presence.note(key, room, members, notice)) return;
    this.bus.publish({
      audience: roomAudience(key, except?.usernameKey),
      event: { ...notice, time: this.#clock.now() },
    });
  }

  /** Sends what large rooms' presence windows held: a few notices, or a count. */
  #flushPresence(): void {
    const time = this.#clock.now();
    for (const held of this.#presence.flush()) {
      const key = roomKey(held.room);
      if ("events" in held) {
        for (const notice of held.events) {
          // Whoever joined is not told of their own arrival.
          const self = notice.type === "member_joined"
            ? this.hub.find(notice.username)?.usernameKey
            : undefined;
          this.bus.publish({
            audience: roomAudience(key, self),
            event: { ...notice, time },
          });
        }
      } else {
        this.bus.publish({
          audience: roomAudience(key),
          event: {
            type: "presence_summary",
            time,
            joined: held.joined,
            left: held.left,
          },
        });
      }
    }
  }
}
