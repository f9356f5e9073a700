/**
 * The unions of every command and every reply, combined from the verb
 * families' own unions, and the results of parsing a line.
 *
 * @module
 */

import type { AccountCommand, AccountReply } from "./account.ts";
import type { AvatarCommand, AvatarReply } from "./avatars.ts";
import type { ChatCommand, ChatReply } from "./chat.ts";
import type { FileCommand, FileReply } from "./files.ts";
import type { HistoryCommand, HistoryReply } from "./history.ts";
import type { ModerationCommand, ModerationReply } from "./moderation.ts";
import type { ProfileCommand, ProfileReply } from "./profile.ts";
import type { ReceiptCommand, ReceiptReply } from "./receipts.ts";
import type { RoomCommand, RoomReply } from "./rooms.ts";
import type { SessionCommand, SessionReply } from "./session.ts";
import type { InvalidCommand, InvalidReply, UnknownCommand } from "./spec.ts";

/** A well-formed command sent by a client. */
export type Command =
  | AccountCommand
  | SessionCommand
  | ChatCommand
  | RoomCommand
  | HistoryCommand
  | ModerationCommand
  | ProfileCommand
  | FileCommand
  | ReceiptCommand
  | AvatarCommand;

/** The result of {@linkcode parseCommand}. */
export type ParsedCommand = Command | InvalidCommand | UnknownCommand;

/** A well-formed reply sent by a server. */
export type Reply =
  | AccountReply
  | SessionReply
  | ChatReply
  | RoomReply
  | HistoryReply
  | ModerationReply
  | ProfileReply
  | FileReply
  | ReceiptReply
  | AvatarReply;

/** The result of {@linkcode parseReply}. */
export type ParsedReply = Reply | InvalidReply;
