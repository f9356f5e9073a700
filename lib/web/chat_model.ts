/**
 * What the page's chat knows, fed one event at a time: the conversations
 * (the room the user is in, and one per private partner) with their lines
 * and unread counts, the room list with the server's unread counts of the
 * other rooms, the room's online list, whether older history is being
 * fetched, the receipts of the user's private messages and everyone's
 * avatars. The room's own logic (duplicates, history
 * blocks, the catch-up after a resume, the mute) is the terminal client's
 * reducer (`lib/client/room_state.ts`); this adds what a window with a side
 * bar needs. No I/O and no clock of its own: {@linkcode ChatModel.apply}
 * returns what to send and what to notify, the page does it.
 *
 * @module
 */

import {
  initialRoomState,
  isMuted,
  pageBack,
  type RoomOutput,
  type RoomState,
  step,
} from "../client/room_state.ts";
import { headingLine, HistoryDays, mutedRefusalLine } from "../client/view.ts";
import type { Command, Reply } from "../protocol/protocol.ts";
import { MAX_UNREAD_COUNT } from "../protocol/receipts.ts";
import type { Clock } from "../shared/clock.ts";
import { type Lang, t } from "../shared/messages.ts";
import { formatDateTime } from "../shared/time_format.ts";
import { usernameKey } from "../shared/username.ts";
import { AvatarBook } from "./avatar_book.ts";
import {
  messageLine,
  type PageLine,
  pageNotice,
  plainView,
  privateMessageLine,
  replyLine,
} from "./page_lines.ts";
import { type Receipt, ReceiptBook, receiptTime } from "./pm_receipts.ts";

/** The key of the room's conversation; private ones are `@name`. */
export const ROOM_KEY = "#room";
/** Lines kept per conversation; older ones are dropped from the page. */
export const MAX_LINES = 2000;
/** Messages fetched per page of older history. */
export const OLDER_PAGE = 50;

/**
 * An unread count as a badge shows it: the server's cap of 999 means "999
 * or more", `999+`.
 *
 * @example
 * ```ts
 * import { badgeText } from "./chat_model.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(badgeText(12), "12");
 * assert.equal(badgeText(999), "999+");
 * ```
 */
export function badgeText(count: number): string {
  return count >= MAX_UNREAD_COUNT ? `${MAX_UNREAD_COUNT}+` : String(count);
}

/** One conversation of the side bar. */
export interface Conversation {
  readonly key: string;
  readonly kind: "room" | "private";
  /** The room's name, or the partner's. */
  readonly title: string;
  readonly lines: readonly PageLine[];
  /** Lines that arrived while it was not in view. */
  readonly unread: number;
}

/** A room of the room list. */
export interface RoomInfo {
  readonly name: string;
  readonly memberCount: number;
}

/** A room of the side bar: who is there, and how much is unread. */
export interface RoomEntry extends RoomInfo {
  /**
   * Unread messages: the server's count for another room (at most 999,
   * meaning "999 or more"), the lines that came while the page was not
   * looked at for the room the user is in.
   */
  readonly unread: number;
}

/**
 * How long an `AVATAR_LIST` line may be and still be whole: the server
 * sends before a `USER_LIST` as many of its non-default avatars as fit a
 * line (8 KiB), so a list this short left out nobody, and the users it does
 * not name have the default. (A longer one may have left some out: those
 * are asked about.)
 */
const WHOLE_AVATAR_LIST_BYTES = 6 * 1024;

/** What happens to the chat. */
export type ChatEvent =
  /** A server line (after login), received at `now`. */
  | { type: "reply"; reply: Reply; now: number }
  /** The session was resumed on a new connection. */
  | { type: "resumed" }
  /** The user sent a room message (shown at once, as the terminal does). */
  | { type: "sent"; text: string; now: number }
  /** The user typed a command (its listing reply is then shown as text). */
  | { type: "typed"; command: Command }
  /** A line of the page's own, into the conversation in view. */
  | { type: "notice"; line: PageLine }
  /** The user opened a conversation. */
  | { type: "open"; key: string }
  /** The tab was shown and focused, or not. */
  | { type: "focus"; focused: boolean }
  /** The user scrolled to the top of the room: fetch older history. */
  | { type: "older" };

/** What the page does for an event. */
export type ChatEffect =
  | { type: "send"; command: Command }
  /** Show a desktop notification (when the user allowed them). */
  | { type: "notify"; title: string; body: string }
  /** The room's members changed: ask for the online list again, soon. */
  | { type: "users_changed" };

/** The chat of one logged-in user. */
export class ChatModel {
  /** The language of new lines (the page's switch changes it). */
  lang: Lang;
  readonly username: string;
  #clock: Clock;
  #room: RoomState;
  #days: HistoryDays;
  #conversations: Conversation[];
  #active = ROOM_KEY;
  #focused = true;
  #rooms: RoomInfo[] = [];
  /** The other rooms' unread counts, from the latest `UNREAD`. */
  #roomUnread = new Map<string, number>();
  #users: string[] = [];
  /** The server line before the one being applied. */
  #previous: Reply | undefined;
  #receipts = new ReceiptBook();
  /** Everyone's avatars, as far as known. */
  readonly avatars: AvatarBook = new AvatarBook();
  /** Listings the user asked for by typing (shown as lines too). */
  #typedListings = { rooms: 0, users: 0 };
  /** A page of older history being received, collected to go on top. */
  #older: PageLine[] | undefined;
  #olderPending = false;
  #olderDone = false;
  /**
   * Where in the room's lines its history starts (after the notices of
   * joining), which is where older pages go; set by the first history line
   * after a JOINED.
   */
  #historyStart: number | undefined;
  #awaitingHistoryStart = false;

  /** The chat of `username` in `lang`; `clock` says what "today" is. */
  constructor(username: string, lang: Lang, clock: Clock) {
    this.username = username;
    this.lang = lang;
    this.#clock = clock;
    this.#room = initialRoomState(username);
    this.#days = new HistoryDays(plainView(lang, username), clock);
    this.#conversations = [roomConversation(this.#room.room)];
  }

  /** The room the user is in. */
  get room(): string {
    return this.#room.room;
  }

  /** The conversations: the room first, then private ones by first contact. */
  get conversations(): readonly Conversation[] {
    return this.#conversations;
  }

  /** The key of the conversation in view. */
  get active(): string {
    return this.#active;
  }

  /** The conversation in view. */
  get current(): Conversation {
    return this.#find(this.#active) ?? this.#conversations[0]!;
  }

  /** The room list, as the server last sent it. */
  get rooms(): readonly RoomInfo[] {
    return this.#rooms;
  }

  /** Who is in the room, as the server last said. */
  get users(): readonly string[] {
    return this.#users;
  }

  /**
   * The side bar's rooms: the one the user is in (first if the room list
   * lacks it), the room list, then rooms with unread messages where nobody
   * is now, each with its unread count.
   */
  get roomEntries(): readonly RoomEntry[] {
    const here = this.#room.room;
    const entries: RoomEntry[] = this.#rooms.map((info) => ({
      ...info,
      unread: this.roomUnread(info.name),
    }));
    if (!this.#rooms.some((info) => info.name === here)) {
      entries.unshift({
        name: here,
        memberCount: this.#users.length,
        unread: this.roomUnread(here),
      });
    }
    for (const [name, unread] of this.#roomUnread) {
      if (entries.some((entry) => entry.name === name)) continue;
      entries.push({ name, memberCount: 0, unread });
    }
    return entries;
  }

  /** The unread count of room `name` (see {@linkcode RoomEntry.unread}). */
  roomUnread(name: string): number {
    if (name === this.#room.room) return this.#find(ROOM_KEY)!.unread;
    return this.#roomUnread.get(name) ?? 0;
  }

  /** Everything unread: the conversations' lines and the other rooms'. */
  get unreadTotal(): number {
    let total = 0;
    for (const conversation of this.#conversations) {
      total += conversation.unread;
    }
    for (const count of this.#roomUnread.values()) total += count;
    return total;
  }

  /** Grows whenever a receipt of the user's private messages moves. */
  get receiptVersion(): number {
    return this.#receipts.version;
  }

  /** The receipt of the user's private message `id` to `partner`. */
  receiptOf(partner: string, id: number): Receipt {
    return this.#receipts.of(partner, id);
  }

  /**
   * The target a `READ` of the conversation in view names (`#room` or the
   * partner), or `undefined` while the page is not back in its room after
   * a reconnect (the server would refuse it).
   */
  get readTarget(): string | undefined {
    const current = this.current;
    return current.kind === "private" ? current.title : this.readRoom;
  }

  /**
   * `#room` of the room the user is in, as a `READ` names it, or
   * `undefined` while the page is not back in its room after a reconnect.
   */
  get readRoom(): string | undefined {
    const catchUp = this.#room.catchUp;
    if (catchUp !== undefined && !catchUp.inRoom) return undefined;
    return `#${this.#room.room}`;
  }

  /**
   * The id a `READ` of `conversation` may name for `line`: any room
   * message's, and in a private conversation only the partner's own
   * messages (the server refuses others).
   */
  readIdOf(conversation: Conversation, line: PageLine): number | undefined {
    if (line.messageId === undefined) return undefined;
    if (conversation.kind === "room") return line.messageId;
    return line.sender !== undefined &&
        usernameKey(line.sender) === usernameKey(conversation.title)
      ? line.messageId
      : undefined;
  }

  /**
   * The receipt `line` of `conversation` shows, if it is one of the user's
   * own private messages (or files).
   */
  receiptOfLine(
    conversation: Conversation,
    line: PageLine,
  ): Receipt | undefined {
    if (
      conversation.kind !== "private" || line.messageId === undefined ||
      line.sender !== this.username
    ) return undefined;
    return this.#receipts.of(conversation.title, line.messageId);
  }

  /** Whether a page of older history is on its way. */
  get olderPending(): boolean {
    return this.#olderPending;
  }

  /** Whether the room has no older history left to fetch. */
  get olderDone(): boolean {
    return this.#olderDone;
  }

  /** Whether the server would refuse a room message now (a known mute). */
  isMuted(now: number): boolean {
    return isMuted(this.#room, now);
  }

  /**
   * Applies `event`; resolves what the page should do. (Avatars to ask
   * about gather in {@linkcode ChatModel.avatars}: the page asks soon after
   * {@linkcode AvatarBook.wanting}, so that a burst of lines makes one
   * question.)
   */
  apply(event: ChatEvent): ChatEffect[] {
    const effects = this.#event(event);
    if (event.type === "reply") this.#previous = event.reply;
    return effects;
  }

  #event(event: ChatEvent): ChatEffect[] {
    switch (event.type) {
      case "reply":
        return this.#reply(event.reply, event.now);
      case "resumed":
        return this.#roomStep({ type: "resumed" }, 0);
      case "sent":
        if (!this.isMuted(event.now)) {
          this.#append(
            ROOM_KEY,
            messageLine(this.username, event.text, event.now, this.username),
          );
        }
        return [];
      case "typed":
        if (event.command.type === "rooms") this.#typedListings.rooms++;
        if (event.command.type === "users") this.#typedListings.users++;
        return [];
      case "notice":
        this.#append(this.#active, event.line, false);
        return [];
      case "open":
        if (event.key === ROOM_KEY || event.key.startsWith("@")) {
          this.#active = event.key === ROOM_KEY
            ? ROOM_KEY
            : this.#ensurePrivate(event.key.slice(1), false);
          this.#markRead();
        }
        return [];
      case "focus":
        this.#focused = event.focused;
        if (event.focused) this.#markRead();
        return [];
      case "older":
        // Before the room's own history arrived there is nothing to page from.
        // And the page holds MAX_LINES: further back is /history's job.
        if (
          this.#olderPending || this.#olderDone ||
          this.#historyStart === undefined ||
          this.#find(ROOM_KEY)!.lines.length >= MAX_LINES
        ) return [];
        this.#olderPending = true;
        return [{ type: "send", command: pageBack(this.#room, OLDER_PAGE) }];
    }
  }

  #reply(reply: Reply, now: number): ChatEffect[] {
    switch (reply.type) {
      case "private":
        return this.#private(reply);
      case "file_shared":
        // A room's file is the room's (its reducer drops duplicates).
        if (reply.target.startsWith("#")) break;
        return this.#privateFile(reply, now);
      case "pm_queued":
      case "pm_delivered": {
        const key = this.#ensurePrivate(reply.to);
        const line = replyLine(reply, this.lang, this.username, now);
        if (line !== undefined) this.#append(key, line, false);
        return [];
      }
      case "unread":
        this.#roomUnread = new Map(
          reply.rooms
            .filter((room) => room.name !== this.#room.room)
            .map((room) => [room.name, room.count]),
        );
        return [];
      case "pm_receipt":
        this.#pmReceipt(reply, now);
        return [];
      case "avatar_list":
        this.avatars.learn(reply.avatars);
        return [];
      case "avatar_upload":
        return []; // the page's upload takes it
      case "room_list":
        this.#rooms = [...reply.rooms];
        if (this.#typedListings.rooms === 0) return [];
        this.#typedListings.rooms--;
        break;
      case "user_list":
        this.#learnUserList(reply.users);
        if (reply.scope === this.#room.room) this.#users = [...reply.users];
        if (this.#typedListings.users === 0) return [];
        this.#typedListings.users--;
        break;
      case "error":
      case "ok":
      case "whois_info":
      case "files_begin":
      case "file_entry": {
        const line = replyLine(reply, this.lang, this.username, now);
        if (line !== undefined) this.#append(this.#active, line, false);
        return [];
      }
    }
    if (
      reply.type === "joined" && reply.room !== this.#room.room &&
      this.#room.catchUp === undefined
    ) this.#enterRoom(reply.room);
    const effects = this.#roomStep(
      reply.type === "joined"
        ? { type: "joined", reply }
        : { type: "reply", reply, now },
      now,
    );
    if (reply.type === "joined") {
      effects.push(
        { type: "send", command: { type: "rooms" } },
        { type: "send", command: { type: "users", all: false } },
      );
    }
    if (
      reply.type === "user_joined" || reply.type === "user_left" ||
      reply.type === "presence"
    ) effects.push({ type: "users_changed" });
    return effects;
  }

  /** The room reducer's step, its outputs carried out. */
  #roomStep(
    event: Parameters<typeof step>[1],
    now: number,
  ): ChatEffect[] {
    const result = step(this.#room, event);
    const blockBefore = this.#room.block;
    this.#room = result.state;
    const effects: ChatEffect[] = [];
    for (const output of result.outputs) {
      const effect = this.#output(output, now, blockBefore?.kind);
      if (effect !== undefined) effects.push(effect);
    }
    if (event.type === "reply" && event.reply.type === "history_end") {
      if (blockBefore?.kind === "paged") this.#endOlder(event.reply.more);
      if (blockBefore?.kind === "auto" && !event.reply.more) {
        this.#olderDone = true;
      }
    }
    return effects;
  }

  #output(
    output: RoomOutput,
    now: number,
    blockBefore: string | undefined,
  ): ChatEffect | undefined {
    switch (output.type) {
      case "send":
        return { type: "send", command: output.command };
      case "days_begin":
        this.#days.begin();
        if (this.#room.block?.kind === "paged") this.#older = [];
        if (this.#room.block?.kind === "auto") {
          this.#awaitingHistoryStart = this.#historyStart === undefined;
        }
        return undefined;
      case "day": {
        if (this.#awaitingHistoryStart && this.#older === undefined) {
          this.#awaitingHistoryStart = false;
          this.#historyStart = this.#find(ROOM_KEY)!.lines.length;
        }
        const text = this.#days.separator(output.time) ??
          this.#olderTopDate(output.time);
        if (text !== undefined) this.#roomLine({ kind: "heading", text });
        return undefined;
      }
      case "welcome":
      case "show": {
        const reply = output.reply;
        // Older pages go on top without their block's headings.
        const paged = this.#older !== undefined &&
          (blockBefore === "paged" || this.#room.block?.kind === "paged");
        if (
          paged &&
          (reply.type === "history_begin" || reply.type === "history_end")
        ) return undefined;
        const line = replyLine(reply, this.lang, this.username, now);
        if (line === undefined) return undefined;
        const live = reply.type === "message";
        this.#roomLine(line, live);
        if (
          live && line.mention && !this.#focused
        ) {
          return {
            type: "notify",
            title: `${reply.sender} · ${this.#room.room}`,
            body: reply.text,
          };
        }
        return undefined;
      }
      case "muted_refusal":
        this.#roomLine({
          kind: "error",
          text: mutedRefusalLine(
            output.reply,
            plainView(this.lang, this.username),
            output.now,
          ),
        });
        return undefined;
      case "chat_line":
        this.#roomLine(
          messageLine(output.sender, output.text, output.time, this.username),
          true,
        );
        return undefined;
      case "heading":
        this.#roomLine({ kind: "heading", text: t(this.lang, output.key) });
        return undefined;
      case "system":
        if (this.#older !== undefined && output.key === "viewHistoryNone") {
          return undefined; // #endOlder says it once, on top
        }
        this.#roomLine(
          pageNotice(this.lang, "system", t(this.lang, output.key), now),
        );
        return undefined;
    }
  }

  /**
   * The date line an older page starts with even when its first day is
   * today (which a block of its own shows without one): it goes on top of
   * lines that may be of an earlier day, and the page after it may end on
   * an earlier day too.
   */
  #olderTopDate(time: number): string | undefined {
    if (this.#older === undefined || this.#older.length > 0) return undefined;
    return headingLine("viewHistoryDate", plainView(this.lang, this.username), {
      date: formatDateTime(time).slice(0, 10),
    });
  }

  /** A line of the room: on top while an older page arrives, else below. */
  #roomLine(line: PageLine, live = false): void {
    if (this.#older !== undefined) {
      if (line.sender !== undefined) this.avatars.want([line.sender]);
      this.#older.push(line);
      return;
    }
    this.#append(ROOM_KEY, line, live);
  }

  #endOlder(more: boolean): void {
    const lines = this.#older ?? [];
    this.#older = undefined;
    this.#olderPending = false;
    if (!more) {
      this.#olderDone = true;
      lines.unshift({
        kind: "heading",
        text: t(this.lang, "webNoOlderHistory"),
      });
    }
    this.#update(ROOM_KEY, (conversation) => {
      const existing = [...conversation.lines];
      const at = Math.min(this.#historyStart ?? 0, existing.length);
      this.#historyStart = at;
      // The lines below may start with the date this page's last day showed.
      const last = lines.findLast((line) => line.kind === "heading");
      const below = existing[at];
      if (
        below?.kind === "heading" && last !== undefined &&
        below.text === last.text
      ) existing.splice(at, 1);
      existing.splice(at, 0, ...lines);
      return { ...conversation, lines: existing };
    });
  }

  #privateFile(
    reply: Extract<Reply, { type: "file_shared" }>,
    now: number,
  ): ChatEffect[] {
    const sent = reply.sender === this.username;
    const partner = sent ? reply.target : reply.sender;
    const key = this.#ensurePrivate(partner);
    const line = replyLine(reply, this.lang, this.username, now);
    if (line !== undefined) this.#append(key, line, !sent);
    if (sent || this.#focused) return [];
    return [{ type: "notify", title: partner, body: reply.name }];
  }

  #private(reply: Extract<Reply, { type: "private" }>): ChatEffect[] {
    const sent = reply.from === this.username;
    const partner = sent ? reply.to : reply.from;
    const key = this.#ensurePrivate(partner);
    this.#append(
      key,
      privateMessageLine(reply, this.lang, this.username),
      !sent,
    );
    if (sent || (this.#focused && this.#active === key)) return [];
    if (this.#focused) return [];
    return [{ type: "notify", title: partner, body: reply.text }];
  }

  #pmReceipt(
    reply: Extract<Reply, { type: "pm_receipt" }>,
    now: number,
  ): void {
    if (!this.#receipts.take(reply.user, reply.id, reply.state, reply.time)) {
      return;
    }
    if (reply.state !== "read") return;
    // Read messages the page does not show (sent before it was opened):
    // one line says so, as no mark can.
    const key = this.#ensurePrivate(reply.user);
    const shown = this.#find(key)!.lines.some((line) =>
      line.sender === this.username && line.messageId !== undefined &&
      line.messageId <= reply.id
    );
    if (shown) return;
    this.#append(
      key,
      pageNotice(
        this.lang,
        "system",
        t(this.lang, "webReceiptReadNotice", {
          user: reply.user,
          time: receiptTime(reply.time, now),
        }),
        now,
      ),
      false,
    );
  }

  /**
   * A `USER_LIST`'s users' avatars: an `AVATAR_LIST` just before it names
   * those without the default, so, when that list was whole (or there was
   * none), the others have the default; else they are asked about.
   */
  #learnUserList(users: readonly string[]): void {
    const previous = this.#previous;
    const listed = previous?.type === "avatar_list" ? previous.avatars : [];
    const bytes = listed.reduce(
      (sum, { user, mark }) =>
        sum + new TextEncoder().encode(`${user}=${mark} `).byteLength,
      0,
    );
    if (bytes <= WHOLE_AVATAR_LIST_BYTES) {
      const named = new Set(listed.map(({ user }) => usernameKey(user)));
      this.avatars.assumeDefault(
        users.filter((user) => !named.has(usernameKey(user))),
      );
    }
    this.avatars.want(users);
  }

  #enterRoom(room: string): void {
    // Its messages are in view now; the server counts them read once seen.
    this.#roomUnread.delete(room);
    this.#olderDone = false;
    this.#olderPending = false;
    this.#older = undefined;
    this.#historyStart = undefined;
    this.#awaitingHistoryStart = false;
    this.#users = [];
    this.#update(ROOM_KEY, () => roomConversation(room));
  }

  /**
   * The key of the conversation with `partner`, made if there is none.
   * Names are matched as the server matches them (`BOB` is `bob`); the
   * server's own spelling (`canonical`, from its replies) renames one opened
   * with another (`/msg BOB`), so that its lines land in the one in view.
   */
  #ensurePrivate(partner: string, canonical = true): string {
    const key = `@${partner}`;
    const wanted = usernameKey(partner);
    const found = this.#conversations.find((conversation) =>
      conversation.kind === "private" &&
      usernameKey(conversation.title) === wanted
    );
    if (found === undefined) {
      this.#conversations = [...this.#conversations, {
        key,
        kind: "private",
        title: partner,
        lines: [],
        unread: 0,
      }];
      return key;
    }
    if (!canonical || found.key === key) return found.key;
    this.#update(found.key, (conversation) => ({
      ...conversation,
      key,
      title: partner,
    }));
    if (this.#active === found.key) this.#active = key;
    return key;
  }

  #find(key: string): Conversation | undefined {
    return this.#conversations.find((conversation) => conversation.key === key);
  }

  #append(key: string, line: PageLine, counts = true): void {
    if (line.sender !== undefined) this.avatars.want([line.sender]);
    const unseen = counts && (!this.#focused || this.#active !== key);
    this.#update(key, (conversation) => {
      const lines = [...conversation.lines, line];
      if (lines.length > MAX_LINES) {
        const dropped = lines.length - MAX_LINES;
        lines.splice(0, dropped);
        if (key === ROOM_KEY && this.#historyStart !== undefined) {
          this.#historyStart = Math.max(0, this.#historyStart - dropped);
        }
      }
      return {
        ...conversation,
        lines,
        unread: conversation.unread + (unseen ? 1 : 0),
      };
    });
  }

  #update(key: string, change: (conversation: Conversation) => Conversation) {
    this.#conversations = this.#conversations.map((conversation) =>
      conversation.key === key ? change(conversation) : conversation
    );
  }

  #markRead(): void {
    if (!this.#focused) return;
    this.#update(
      this.#active,
      (conversation) => ({ ...conversation, unread: 0 }),
    );
  }
}

function roomConversation(room: string): Conversation {
  return { key: ROOM_KEY, kind: "room", title: room, lines: [], unread: 0 };
}
