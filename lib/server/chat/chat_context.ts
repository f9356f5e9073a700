/**
 * What the chat core's parts share: the store, the hub, the bus, the
 * history writer, mutes and message ids, plus the few helpers every part
 * answers with. {@linkcode ChatService} builds one and hands it to its
 * parts (private messages, moderation), so each part is a small module
 * with one job and none of them reaches into another's state.
 *
 * @module
 */

import type { Clock } from "../../shared/clock.ts";
import type {
  AccountRecord,
  AuditEntry,
  ChatCoreStore,
} from "../../store/store.ts";
import {
  type Lang,
  type MessageKey,
  type MessageParams,
} from "../../shared/messages.ts";
import type { OkCode } from "../../protocol/protocol.ts";
import { normalizeUsername } from "../../shared/username.ts";
import { errorReply, okReply, type ServerErrorCode } from "../replies.ts";
import type { Bus } from "./bus.ts";
import type { HistoryWriter } from "./history_writer.ts";
import type { Hub } from "./hub.ts";
import type { ChatMember } from "./member.ts";
import type { MuteList } from "./mutes.ts";

/** The shared state and helpers of the chat core's parts. */
export class ChatContext {
  readonly store: ChatCoreStore;
  readonly clock: Clock;
  readonly hub: Hub<ChatMember>;
  readonly bus: Bus;
  readonly history: HistoryWriter;
  readonly mutes: MuteList<ChatMember>;
  /** How long messages are kept, in ms. */
  readonly historyMs: number;
  /** The language of members that set none. */
  readonly lang: Lang;
  /** Receives a line for the server log. */
  readonly log: (line: string) => void;
  /**
   * Removes a shared file's record and bytes (its message was deleted);
   * unset while file sharing is off.
   */
  removeFile: ((id: number) => Promise<void>) | undefined;
  #nextId = 0;

  constructor(parts: {
    store: ChatCoreStore;
    clock: Clock;
    hub: Hub<ChatMember>;
    bus: Bus;
    history: HistoryWriter;
    mutes: MuteList<ChatMember>;
    historyMs: number;
    lang: Lang;
    log: (line: string) => void;
  }) {
    this.store = parts.store;
    this.clock = parts.clock;
    this.hub = parts.hub;
    this.bus = parts.bus;
    this.history = parts.history;
    this.mutes = parts.mutes;
    this.historyMs = parts.historyMs;
    this.lang = parts.lang;
    this.log = parts.log;
  }

  /** Makes every id handed out from now on at least `floor`. */
  raiseIdFloor(floor: number): void {
    this.#nextId = Math.max(this.#nextId, floor);
  }

  /** The newest message id handed out (or below the first, before any). */
  lastId(): number {
    return Math.max(0, this.#nextId - 1);
  }

  /** The next message id (room and private messages share one sequence). */
  nextId(): number {
    return this.#nextId++;
  }

  /** Answers `member` with `ERROR code` (see {@linkcode errorReply}). */
  refuse(
    member: ChatMember,
    code: ServerErrorCode,
    params?: MessageParams,
    variant?: MessageKey,
  ): void {
    member.send(errorReply(member.lang ?? this.lang, code, params, variant));
  }

  /** Answers `member` with `OK code`. */
  ok(member: ChatMember, code: OkCode, params?: MessageParams): void {
    member.send(okReply(member.lang ?? this.lang, code, params));
  }

  /** Refuses a muted member's message with `MUTED`; returns whether it did. */
  refuseMuted(member: ChatMember): boolean {
    const mute = this.mutes.active(member);
    if (mute === undefined) return false;
    member.send({ type: "muted", until: mute.until, reason: mute.reason });
    return true;
  }

  /** The account with this name (any spelling), if it exists. */
  async accountOf(user: string): Promise<AccountRecord | undefined> {
    const name = normalizeUsername(user, { allowReserved: true });
    return name.ok ? await this.store.getAccount(name.key) : undefined;
  }

  /** Appends an audit entry for an action `member` took on `target`. */
  async audit(
    event: AuditEntry["event"],
    member: ChatMember,
    target: string,
    detail: string | null,
  ): Promise<void> {
    await this.store.appendAudit({
      at: this.clock.now(),
      event,
      username: target,
      address: member.address,
      detail: `by ${member.username}${detail ? `: ${detail}` : ""}`,
    });
  }
}
