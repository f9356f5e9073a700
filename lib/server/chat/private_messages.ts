/**
 * Private messages: to an online member at once, to an offline one through
 * the store's bounded queue, delivered in batches at its next login with a
 * `PM_DELIVERED` count to each sender still online.
 *
 * @module
 */

import { sanitizeMessage } from "../../protocol/protocol.ts";
import type { StoredMessage } from "../../store/store.ts";
import { normalizeUsername } from "../../shared/username.ts";
import type { ChatContext } from "./chat_context.ts";
import { userAudience } from "./events.ts";
import type { ChatMember } from "./member.ts";

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

/** Sends and delivers private messages. */
export class PrivateMessages {
  #chat: ChatContext;

  constructor(chat: ChatContext) {
    this.#chat = chat;
  }

  /** `PRIVMSG <to> <text>` from `member`. */
  async send(member: ChatMember, to: string, text: string): Promise<void> {
    const chat = this.#chat;
    if (chat.refuseMuted(member)) return;
    const name = normalizeUsername(to, { allowReserved: true });
    const account = name.ok ? await chat.store.getAccount(name.key) : undefined;
    if (!name.ok || account === undefined) {
      return chat.refuse(member, "no_such_user", { user: to });
    }
    if (account.usernameKey === member.usernameKey) {
      return chat.refuse(member, "pm_to_self");
    }
    const message: StoredMessage = {
      id: chat.nextId(),
      room: null,
      sender: member.username,
      recipient: account.username,
      text: sanitizeMessage(text),
      createdAt: chat.clock.now(),
    };
    const event = {
      type: "private_message",
      id: message.id,
      time: message.createdAt,
      from: message.sender,
      to: account.username,
      text,
    } as const;
    if (chat.hub.registry.member(account.usernameKey) !== undefined) {
      chat.history.append(message);
      chat.bus.publish({ audience: userAudience(account.usernameKey), event });
      // Before the copy, so a client can mark the copy delivered (✓) as it
      // shows it.
      member.send({
        type: "pm_receipt",
        user: account.username,
        id: message.id,
        state: "delivered",
        time: message.createdAt,
      });
      member.send({ ...event, type: "private" });
      return;
    }
    // Offline: stored durably before anyone is told it was queued.
    const queued = await chat.store.queueOffline(
      message,
      account.id,
      MAX_OFFLINE_PER_RECIPIENT,
      MAX_OFFLINE_BYTES_PER_RECIPIENT,
    );
    if (queued === "full_bytes") {
      return chat.refuse(member, "offline_queue_full", {
        user: account.username,
        max: `${MAX_OFFLINE_BYTES_PER_RECIPIENT / (1024 * 1024)} MiB`,
      }, "offlineQueueFullBytes");
    }
    if (queued === "full") {
      return chat.refuse(member, "offline_queue_full", {
        user: account.username,
        max: MAX_OFFLINE_PER_RECIPIENT,
      });
    }
    member.send({ ...event, type: "private" });
    member.send({ type: "pm_queued", to: account.username });
  }

  /** Hands a member that just logged in the private messages waiting for it. */
  async deliverWaiting(member: ChatMember): Promise<void> {
    const chat = this.#chat;
    const store = chat.store;
    // One that expired before its recipient logged in is never delivered
    // (docs/PROTOCOL.md, 11, Private messages); the store keeps queued
    // messages out of pruneMessages(), so they are dropped here.
    const oldest = chat.clock.now() - chat.historyMs;
    const total = await store.countOffline(member.accountId, oldest);
    if (total === 0) {
      // Only expired or deleted ones, if any: drop them.
      await store.ackOffline(member.accountId, []);
      return;
    }
    member.send({ type: "offline_begin", count: total });
    const bySender = new Map<string, { count: number; newest: number }>();
    let afterId = 0;
    let complete = true;
    // In batches that each fit the outbound queue many times over: a batch
    // is removed from the store only once the socket took it, so a
    // connection lost midway keeps the rest for the next login.
    while (true) {
      const batch = await store.peekOffline(
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
        member.send(
          message.file === undefined
            ? {
              type: "private",
              id: message.id,
              time: message.createdAt,
              from: message.sender,
              to: member.username,
              text: message.text,
            }
            : {
              type: "file_shared",
              messageId: message.id,
              time: message.createdAt,
              sender: message.sender,
              target: member.username,
              id: message.file.id,
              size: message.file.size,
              name: message.file.name,
            },
        );
        const sent = bySender.get(message.sender);
        bySender.set(message.sender, {
          count: (sent?.count ?? 0) + 1,
          newest: Math.max(sent?.newest ?? 0, message.id),
        });
        bytes += message.text.length * 3;
        if (bytes >= OFFLINE_BATCH_BYTES) break;
      }
      if (!(await (member.flushed?.() ?? Promise.resolve(true)))) {
        complete = false;
        break;
      }
      await store.ackOffline(member.accountId, handed);
    }
    if (!complete) return;
    member.send({ type: "offline_end" });
    const now = chat.clock.now();
    for (const [sender, { count, newest }] of bySender) {
      const name = normalizeUsername(sender, { allowReserved: true });
      if (!name.ok) continue;
      const audience = userAudience(name.key);
      chat.bus.publish({
        audience,
        event: { type: "offline_delivered", to: member.username, count },
      });
      chat.bus.publish({
        audience,
        event: {
          type: "pm_receipt",
          user: member.username,
          id: newest,
          state: "delivered",
          time: now,
        },
      });
    }
  }
}
