/**
 * Moderation by administrators: kick, mute and unmute, deleting room
 * messages, and the admin check every one of them passes first (the
 * session's verb table marks them `admin`; see
 * `lib/server/session/verbs.ts`). Every action, refused ones included,
 * lands in the audit log.
 *
 * @module
 */

import { sanitizeMessage } from "../../protocol/protocol.ts";
import { normalizeUsername } from "../../shared/username.ts";
import type { ChatContext } from "./chat_context.ts";
import { roomAudience, userAudience } from "./events.ts";
import { LOBBY, roomKey } from "./hub.ts";
import type { ChatMember } from "./member.ts";

/** How many of a room's newest messages `DELETE last <user>` searches. */
export const DELETE_LAST_SEARCH = 1000;

/** What an administrator's action is audited as. */
export type ModerationAction = "kick" | "mute" | "unmute" | "delete_message";

/** The moderation commands. */
export class Moderation {
  #chat: ChatContext;

  constructor(chat: ChatContext) {
    this.#chat = chat;
  }

  /**
   * Checks the admin role in the store (so a grant or revoke applies at
   * once). A refusal is audited and answered with `ERROR not_admin`.
   */
  async authorize(
    member: ChatMember,
    action: ModerationAction,
    target: string,
  ): Promise<boolean> {
    const chat = this.#chat;
    const account = await chat.store.getAccount(member.usernameKey);
    // The role of this member's own account, never of one that later took
    // the same name.
    if (account?.isAdmin && account.id === member.accountId) return true;
    await chat.audit(action, member, target, "refused: not_admin");
    chat.refuse(member, "not_admin");
    return false;
  }

  /** `KICK <user> [reason]`: ends the user's session and voids its resume token. */
  async kick(
    member: ChatMember,
    user: string,
    reason: string | undefined,
  ): Promise<void> {
    const chat = this.#chat;
    const target = chat.hub.find(user);
    if (target === undefined) {
      const exists = await chat.accountOf(user);
      return chat.refuse(
        member,
        exists === undefined ? "no_such_user" : "user_offline",
        { user },
      );
    }
    // Read before the session ends, which takes the member out of the chat.
    const username = target.username;
    await chat.store.revokeResumeTokens(target.accountId);
    await chat.audit("kick", member, username, reason ?? null);
    // Without a reason, a bare `BYE kicked` (docs/PROTOCOL.md, 12, KICK).
    chat.bus.publish({
      audience: userAudience(target.usernameKey),
      event: { type: "session_ended", reason: "kicked", message: reason ?? "" },
    });
    chat.ok(member, "kicked", { user: username });
  }

  /** `MUTE <user> <minutes> [reason]`. */
  async mute(
    member: ChatMember,
    user: string,
    minutes: number,
    reason: string | undefined,
  ): Promise<void> {
    const chat = this.#chat;
    const account = await chat.accountOf(user);
    if (account === undefined) {
      return chat.refuse(member, "no_such_user", { user });
    }
    const now = chat.clock.now();
    const until = now + minutes * 60_000;
    await chat.store.setMute(account.id, {
      until: until,
      reason: reason === undefined ? null : sanitizeMessage(reason),
      by: member.username,
    }, {
      at: now,
      event: "mute",
      username: account.username,
      address: member.address,
      detail: `by ${member.username} for ${minutes} min${
        reason ? `: ${reason}` : ""
      }`,
    });
    const target = chat.hub.registry.member(account.usernameKey);
    if (target !== undefined) {
      chat.mutes.set(target, { until, reason: reason ?? "" });
      chat.bus.publish({
        audience: userAudience(account.usernameKey),
        event: { type: "muted", until, reason: reason ?? "" },
      });
    }
    chat.ok(member, "muted", { user: account.username, minutes });
  }

  /** `UNMUTE <user>`. */
  async unmute(member: ChatMember, user: string): Promise<void> {
    const chat = this.#chat;
    const account = await chat.accountOf(user);
    if (account === undefined) {
      return chat.refuse(member, "no_such_user", { user });
    }
    await chat.store.clearMute(account.id, {
      at: chat.clock.now(),
      event: "unmute",
      username: account.username,
      address: member.address,
      detail: `by ${member.username}`,
    });
    const target = chat.hub.registry.member(account.usernameKey);
    if (target !== undefined && chat.mutes.delete(target)) {
      chat.bus.publish({
        audience: userAudience(account.usernameKey),
        event: { type: "unmuted" },
      });
    }
    chat.ok(member, "unmuted", { user: account.username });
  }

  /** `DELETE <id>`. */
  deleteMessage(member: ChatMember, id: number): Promise<void> {
    return this.#deleteById(member, id);
  }

  /**
   * `DELETE last <user>`: the user's newest message among the last
   * {@linkcode DELETE_LAST_SEARCH} of the administrator's room.
   */
  async deleteLast(member: ChatMember, user: string): Promise<void> {
    const chat = this.#chat;
    const name = normalizeUsername(user, { allowReserved: true });
    const room = chat.hub.roomOf(member) ?? LOBBY;
    let found: number | undefined;
    if (name.ok) {
      await chat.history.flush();
      let before: number | undefined;
      for (let seen = 0; found === undefined && seen < DELETE_LAST_SEARCH;) {
        const page = await chat.store.roomHistory(roomKey(room), {
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
      return chat.refuse(
        member,
        "no_such_message",
        { user, room },
        "noRecentMessage",
      );
    }
    await this.#deleteById(member, found);
  }

  /** Deletes a room message for an administrator already checked. */
  async #deleteById(member: ChatMember, id: number): Promise<void> {
    const chat = this.#chat;
    await chat.history.flush();
    const existing = await chat.store.getMessage(id);
    const deleted = existing === undefined || existing.room === null
      ? undefined
      : await chat.store.deleteMessage(
        id,
        chat.clock.now(),
        {
          at: chat.clock.now(),
          event: "delete_message",
          username: existing.sender,
          address: member.address,
          detail: `message ${id} in ${existing.room} by ${member.username}`,
        },
      );
    if (deleted === undefined || deleted.room === null) {
      return chat.refuse(member, "no_such_message", { id });
    }
    // The message shared a file: the file goes with it.
    if (deleted.file !== undefined) await chat.removeFile?.(deleted.file.id);
    chat.bus.publish({
      audience: roomAudience(roomKey(deleted.room)),
      event: { type: "message_deleted", id, by: member.username },
    });
    chat.ok(member, "deleted", { id });
  }
}
