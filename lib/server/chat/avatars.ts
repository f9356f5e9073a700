/**
 * Avatars in the chat core (docs/PROTOCOL.md, 17): `AVATAR` sets an emoji
 * or goes back to the default, `AVATAR_IMAGE` hands out an upload ticket
 * for a picture (stored by `lib/server/files/avatar_http.ts` once checked),
 * `AVATARS` answers with marks; a change is announced to everyone as
 * `AVATAR_LIST`, and the service sends the marks of a `USER_LIST`'s users
 * and of a `WHOIS_INFO`'s user just before those.
 *
 * @module
 */

import { DEFAULT_AVATAR_MARK } from "../../protocol/avatars.ts";
import { formatBytes } from "../../shared/file_names.ts";
import { usernameKey } from "../../shared/username.ts";
import type { FileTickets } from "../files/file_tickets.ts";
import { MAX_AVATAR_BYTES } from "../files/avatar_image.ts";
import type { ChatContext } from "./chat_context.ts";
import type { ChatMember } from "./member.ts";
import { PerMinute } from "./per_minute.ts";

/** Avatar changes (emoji, picture, default) one account may make a minute. */
export const MAX_AVATAR_CHANGES_PER_MINUTE = 6;

/** What picture uploads need: tickets and the web port (when it is on). */
export interface AvatarUploadParts {
  tickets: FileTickets;
  /** The web port uploads go to. */
  port(): number;
}

/** The mark of a stored avatar: `-` for the default (`""`). */
export function avatarMark(avatar: string): string {
  return avatar === "" ? DEFAULT_AVATAR_MARK : avatar;
}

/** The avatar part of the chat core. */
export class Avatars {
  #chat: ChatContext;
  #uploads: AvatarUploadParts | undefined;
  #changes: PerMinute;

  constructor(chat: ChatContext, uploads?: AvatarUploadParts) {
    this.#chat = chat;
    this.#uploads = uploads;
    this.#changes = new PerMinute(MAX_AVATAR_CHANGES_PER_MINUTE, chat.clock);
  }

  /** `AVATAR [<emoji>]` from `member` (the protocol checked the emoji). */
  async set(member: ChatMember, emoji: string): Promise<void> {
    const chat = this.#chat;
    if (chat.refuseMuted(member)) return;
    if (!this.#changes.take(member.accountId)) {
      return chat.refuse(member, "rate_limited");
    }
    await chat.store.setAvatar(member.accountId, emoji);
    if (emoji === "") chat.ok(member, "avatar_cleared");
    else chat.ok(member, "avatar_set", { avatar: emoji });
    this.announce(member.username, emoji);
  }

  /** `AVATAR_IMAGE <size>` from `member`: a ticket for `PUT /avatar`. */
  imageTicket(member: ChatMember, size: number): void {
    const chat = this.#chat;
    const uploads = this.#uploads;
    if (uploads === undefined) return chat.refuse(member, "files_disabled");
    if (size > MAX_AVATAR_BYTES) {
      return chat.refuse(member, "file_too_large", {
        max: formatBytes(MAX_AVATAR_BYTES),
      });
    }
    if (chat.refuseMuted(member)) return;
    if (!this.#changes.take(member.accountId)) {
      return chat.refuse(member, "rate_limited");
    }
    const token = uploads.tickets.issue({
      fileId: member.accountId,
      direction: "avatar",
      holder: member,
    });
    member.send({ type: "avatar_upload", port: uploads.port(), token });
  }

  /** Voids the upload tickets of a session that ended. */
  revoke(member: ChatMember): void {
    this.#uploads?.tickets.revokeHolder(member);
  }

  /** Tells everyone online that `username`'s avatar is now `avatar`. */
  announce(username: string, avatar: string): void {
    this.#chat.bus.publish({
      audience: { kind: "everyone" },
      event: {
        type: "avatar_changed",
        user: username,
        mark: avatarMark(avatar),
      },
    });
  }

  /** `AVATARS <username> …` from `member`: one `AVATAR_LIST`. */
  async query(member: ChatMember, users: readonly string[]): Promise<void> {
    const found = await this.#chat.store.avatarsOf(users.map(usernameKey));
    member.send({
      type: "avatar_list",
      avatars: found.map((account) => ({
        user: account.username,
        mark: avatarMark(account.avatar),
      })),
    });
  }

  /**
   * The marks of `usernames` that are not the default, as an
   * `AVATAR_LIST` before a `USER_LIST`; nothing when all are.
   */
  async sendMarksOf(
    member: ChatMember,
    usernames: readonly string[],
  ): Promise<void> {
    const found = await this.#chat.store.avatarsOf(usernames.map(usernameKey));
    const avatars = found.filter((account) => account.avatar !== "").map((
      account,
    ) => ({ user: account.username, mark: account.avatar }));
    if (avatars.length > 0) member.send({ type: "avatar_list", avatars });
  }
}
