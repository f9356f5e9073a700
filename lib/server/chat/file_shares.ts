/**
 * File sharing in the chat: `FILE_SEND` offers a file to the member's room
 * or to one user (checked against the size limit, the owner's quota, the
 * disk's floor and a rate), `FILE_GET` hands a download ticket to someone
 * the file was shared with, `FILES` lists what a member may fetch. When an
 * upload's bytes are in and verified (`lib/server/files/file_transfers.ts`)
 * the file is shared: a message that names it, a `FILE_SHARED` to its
 * recipients (through the offline queue for one who is away) and a copy
 * to its sender. Retention, an administrator's deletion of the message and
 * the deletion of an account remove the bytes too.
 *
 * @module
 */

import { formatBytes, safeFileName } from "../../shared/file_names.ts";
import { normalizeUsername } from "../../shared/username.ts";
import type { StoredFile, StoredMessage } from "../../store/store.ts";
import type { FileTickets } from "../files/file_tickets.ts";
import type { FileVault } from "../files/file_vault.ts";
import type { ChatContext } from "./chat_context.ts";
import { roomAudience, userAudience } from "./events.ts";
import { normalizeRoomName } from "./hub.ts";
import type { ChatMember } from "./member.ts";
import { PerMinute } from "./per_minute.ts";
import {
  MAX_OFFLINE_BYTES_PER_RECIPIENT,
  MAX_OFFLINE_PER_RECIPIENT,
} from "./private_messages.ts";

/** The limits of file sharing (flags of the server). */
export interface FileSharingLimits {
  /** Largest file, in bytes. @default {100 MiB} */
  maxFileBytes: number;
  /** Bytes one account's files may take together. @default {1 GiB} */
  quotaBytes: number;
  /** Free disk to keep: uploads that would pass it are refused. */
  minFreeBytes: number;
  /** Days a shared file is kept. */
  retentionDays: number;
}

/** The defaults of {@linkcode FileSharingLimits} but retention (history's). */
export const DEFAULT_FILE_LIMITS: Omit<FileSharingLimits, "retentionDays"> = {
  maxFileBytes: 100 * 1024 * 1024,
  quotaBytes: 1024 * 1024 * 1024,
  minFreeBytes: 512 * 1024 * 1024,
};

/** Unfinished uploads one account may have at once. */
export const MAX_UNFINISHED_UPLOADS = 4;
/**
 * Offers one account may make a minute (a flood of tiny files), across its
 * sessions: logging in again does not start a new minute.
 */
export const MAX_OFFERS_PER_MINUTE = 20;
/** Files `FILES` lists, the newest. */
export const FILE_LIST_LIMIT = 50;
/** An upload not finished within this long is dropped. */
export const UNFINISHED_UPLOAD_MS = 24 * 60 * 60 * 1000;

/** What file sharing is given by the server. */
export interface FileSharingParts {
  vault: FileVault;
  tickets: FileTickets;
  limits: FileSharingLimits;
  /** The web port transfers use (known once the listener is up). */
  port(): number;
}

/** The chat's side of file sharing. */
export class FileShares {
  #chat: ChatContext;
  #parts: FileSharingParts;
  #offers: PerMinute;

  constructor(chat: ChatContext, parts: FileSharingParts) {
    this.#chat = chat;
    this.#parts = parts;
    this.#offers = new PerMinute(MAX_OFFERS_PER_MINUTE, chat.clock);
  }

  /** `FILE_SEND <target> <size> <sha256> <name>` from `member`. */
  async offer(
    member: ChatMember,
    command: { target: string; size: number; sha256: string; name: string },
  ): Promise<void> {
    const chat = this.#chat;
    const { limits, vault } = this.#parts;
    if (!this.#offers.take(member.accountId)) {
      return chat.refuse(member, "rate_limited");
    }
    if (command.size > limits.maxFileBytes) {
      return chat.refuse(member, "file_too_large", {
        max: formatBytes(limits.maxFileBytes),
      });
    }
    if (chat.refuseMuted(member)) return;
    const target = await this.#target(member, command.target);
    if (target === undefined) return;
    const match = { ...target, size: command.size, sha256: command.sha256 };
    let file = await chat.store.findUnfinishedFile(member.accountId, match);
    if (file === undefined) {
      const free = await vault.freeBytes();
      if (free !== undefined && free - command.size < limits.minFreeBytes) {
        chat.log(
          `[files] upload refused: ${formatBytes(free)} free, the floor is ${
            formatBytes(limits.minFreeBytes)
          }`,
        );
        return chat.refuse(member, "disk_full");
      }
      const created = await chat.store.createFile({
        ownerAccountId: member.accountId,
        sender: member.username,
        ...target,
        name: safeFileName(command.name),
        size: command.size,
        sha256: command.sha256,
        createdAt: chat.clock.now(),
      }, {
        maxOwnerBytes: limits.quotaBytes,
        maxUnfinished: MAX_UNFINISHED_UPLOADS,
      });
      if (!created.ok) {
        return created.reason === "quota"
          ? chat.refuse(member, "quota_exceeded", {
            quota: formatBytes(limits.quotaBytes),
          })
          : chat.refuse(member, "too_many_uploads", {
            max: MAX_UNFINISHED_UPLOADS,
          });
      }
      file = created.file;
    }
    const offset = await vault.heldBytes(file.id);
    const token = this.#parts.tickets.issue({
      fileId: file.id,
      direction: "upload",
      holder: member,
    });
    member.send({
      type: "file_upload",
      id: file.id,
      offset: Math.min(offset, file.size),
      port: this.#parts.port(),
      token,
    });
  }

  /** `FILE_GET <file_id>` from `member`. */
  async get(member: ChatMember, id: number): Promise<void> {
    const file = await this.#chat.store.getFile(id);
    if (file === undefined || !this.#mayFetch(member, file)) {
      // Not there and not yours read the same: ids reveal nothing.
      return this.#chat.refuse(member, "no_such_file", { id: `f${id}` });
    }
    const token = this.#parts.tickets.issue({
      fileId: file.id,
      direction: "download",
      holder: member,
    });
    member.send({
      type: "file_download",
      id: file.id,
      size: file.size,
      sha256: file.sha256,
      port: this.#parts.port(),
      token,
      name: file.name,
    });
  }

  /** `FILES` from `member`: `FILES_BEGIN`, a `FILE_ENTRY` each, `FILES_END`. */
  async list(member: ChatMember): Promise<void> {
    const files = await this.#chat.store.listFiles({
      accountId: member.accountId,
      room: this.#chat.hub.roomKeyOf(member) ?? null,
      limit: FILE_LIST_LIMIT,
    });
    member.send({ type: "files_begin", count: files.length });
    for (const file of files) {
      member.send({
        type: "file_entry",
        id: file.id,
        time: file.completedAt ?? file.createdAt,
        sender: file.sender,
        target: targetOf(file),
        size: file.size,
        name: file.name,
      });
    }
    member.send({ type: "files_end" });
  }

  /**
   * Shares an upload whose bytes are stored and verified, for the session
   * `holder` that uploaded it.
   */
  async uploaded(file: StoredFile, holder: object): Promise<void> {
    const chat = this.#chat;
    const message: StoredMessage = {
      id: chat.nextId(),
      room: file.room,
      sender: file.sender,
      recipient: file.recipient,
      text: file.name,
      createdAt: chat.clock.now(),
      file: { id: file.id, name: file.name, size: file.size },
    };
    const event = {
      type: "file_shared",
      messageId: message.id,
      time: message.createdAt,
      sender: file.sender,
      target: targetOf(file),
      id: file.id,
      size: file.size,
      name: file.name,
    } as const;
    const sender = holder as ChatMember;
    if (file.room !== null) {
      if (await chat.store.completeFile(file.id, message) === undefined) return;
      chat.bus.publish({
        audience: roomAudience(file.room, sender.usernameKey),
        event,
      });
      sender.send(event);
      return;
    }
    const recipientKey = normalizeUsername(file.recipient ?? "", {
      allowReserved: true,
    });
    const online = recipientKey.ok
      ? chat.hub.registry.member(recipientKey.key)
      : undefined;
    const stored = await chat.store.completeFile(
      file.id,
      message,
      online !== undefined || file.recipientAccountId === null ? undefined : {
        recipientAccountId: file.recipientAccountId,
        maxQueued: MAX_OFFLINE_PER_RECIPIENT,
        maxQueuedBytes: MAX_OFFLINE_BYTES_PER_RECIPIENT,
      },
    );
    if (stored === undefined) return;
    sender.send(event);
    if (online !== undefined && recipientKey.ok) {
      chat.bus.publish({ audience: userAudience(recipientKey.key), event });
    } else if (stored === "queued") {
      sender.send({ type: "pm_queued", to: file.recipient ?? "" });
    }
  }

  /** Removes a file's record and bytes (its message is gone or going). */
  async remove(id: number): Promise<void> {
    await this.#chat.store.deleteFile(id, this.#chat.clock.now());
    await this.#parts.vault.remove(id);
  }

  /** Ends `member`'s transfer tickets (it left the chat). */
  revoke(member: ChatMember): void {
    this.#parts.tickets.revokeHolder(member);
  }

  /**
   * Drops files past their retention and uploads never finished, then
   * bytes no record owns; resolves how many files went.
   */
  async prune(): Promise<number> {
    const now = this.#chat.clock.now();
    const retentionMs = this.#parts.limits.retentionDays * 24 * 60 * 60 * 1000;
    const pruned = await this.#chat.store.pruneFiles(
      now - retentionMs,
      now - UNFINISHED_UPLOAD_MS,
    );
    for (const file of pruned) await this.#parts.vault.remove(file.id);
    return pruned.length + await this.sweepOrphans();
  }

  /** Removes bytes whose record is gone (a deleted account's files). */
  async sweepOrphans(): Promise<number> {
    return await this.#parts.vault.sweep(await this.#chat.store.fileIds());
  }

  /** The room or user of a `FILE_SEND`, or undefined after refusing. */
  async #target(
    member: ChatMember,
    target: string,
  ): Promise<
    | Pick<StoredFile, "room" | "roomName" | "recipientAccountId" | "recipient">
    | undefined
  > {
    const chat = this.#chat;
    if (target.startsWith("#")) {
      const name = normalizeRoomName(target.slice(1));
      const here = chat.hub.roomKeyOf(member);
      if (!name.ok || here === undefined || name.key !== here) {
        chat.refuse(member, "not_in_room", { room: target.slice(1) });
        return undefined;
      }
      return {
        room: here,
        roomName: chat.hub.roomOf(member) ?? name.name,
        recipientAccountId: null,
        recipient: null,
      };
    }
    const account = await chat.accountOf(target);
    if (account === undefined) {
      chat.refuse(member, "no_such_user", { user: target });
      return undefined;
    }
    if (account.usernameKey === member.usernameKey) {
      chat.refuse(member, "pm_to_self");
      return undefined;
    }
    return {
      room: null,
      roomName: null,
      recipientAccountId: account.id,
      recipient: account.username,
    };
  }

  /** Whether `member` may fetch `file`: shared with it, by it, or in its room. */
  #mayFetch(member: ChatMember, file: StoredFile): boolean {
    if (file.completedAt === null) return false;
    if (file.ownerAccountId === member.accountId) return true;
    if (file.recipientAccountId !== null) {
      return file.recipientAccountId === member.accountId;
    }
    return file.room !== null && this.#chat.hub.roomKeyOf(member) === file.room;
  }

  /** Counts an offer; false past {@linkcode MAX_OFFERS_PER_MINUTE}. */
}

/** `#<room>` for a room's file, the recipient's name for a user's. */
function targetOf(file: StoredFile): string {
  return file.room !== null
    ? `#${file.roomName ?? file.room}`
    : file.recipient ?? "";
}
