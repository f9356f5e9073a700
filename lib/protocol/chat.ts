/**
 * The chat verbs: room messages (`MSG`, relayed as `MESSAGE`), server
 * notices (`SYSTEM`), and private messages (`PRIVMSG`, relayed as
 * `PRIVATE`), with the stored ones a recipient gets at login
 * (`OFFLINE_BEGIN` … `OFFLINE_END`) and the notes to their sender
 * (`PM_QUEUED`, `PM_DELIVERED`). A text is the rest of the line.
 *
 * @module
 */

import { countField, nameField, TEXT_FIELD } from "./fields.ts";
import type {
  CommandSpec,
  InvalidCommand,
  ReplyFields,
  ReplySpec,
  Variant,
} from "./spec.ts";
import {
  bareReply,
  fieldsReplies,
  invalidCommand,
  isCommandProblem,
  leadingWordCommand,
} from "./spec.ts";
import { checkUserText, MESSAGE_LIMIT, userTextProblem } from "./text.ts";

/** The commands of the chat verbs. */
export type ChatCommand =
  /**
   * `MSG <text>`: a chat message. The text is the rest of the line: at most
   * {@linkcode MAX_MESSAGE_BYTES} bytes, with at least one character that is
   * neither white space nor a control character.
   */
  | { type: "msg"; text: string }
  /**
   * `PRIVMSG <username> <text>`: a private message. The text is the rest of
   * the line, checked as for `msg`.
   */
  | { type: "privmsg"; to: string; text: string };

/** The replies of the chat verbs. */
export type ChatReply =
  /**
   * `MESSAGE <id> <time_ms> <sender> <text>`: a chat message. `id` and `time`
   * (milliseconds since the Unix epoch) are non-negative safe integers; the
   * text is the rest of the line, non-empty.
   */
  | { type: "message"; id: number; time: number; sender: string; text: string }
  /** `SYSTEM <time_ms> <text>`: a notice from the server; text non-empty. */
  | { type: "system"; time: number; text: string }
  /**
   * `PRIVATE <id> <time_ms> <from> <to> <text>`: a private message, sent to
   * its recipient and, as a copy, to its sender. The text is the rest of the
   * line, non-empty.
   */
  | {
    type: "private";
    id: number;
    time: number;
    from: string;
    to: string;
    text: string;
  }
  /** `PM_QUEUED <to>`: the recipient is offline; the message is stored. */
  | { type: "pm_queued"; to: string }
  /**
   * `PM_DELIVERED <to> <count>`: `count` of your stored messages to `to`
   * were delivered when they logged in.
   */
  | { type: "pm_delivered"; to: string; count: number }
  /**
   * `OFFLINE_BEGIN <count>`: `count` stored `PRIVATE` lines follow at login,
   * then `OFFLINE_END`.
   */
  | { type: "offline_begin"; count: number }
  /** `OFFLINE_END`: ends the stored private messages. */
  | { type: "offline_end" };

type ReplyOf<T extends ChatReply["type"]> = Variant<ChatReply, T>;

const chatReply = fieldsReplies<ChatReply>();

const MSG: CommandSpec<Variant<ChatCommand, "msg">> = {
  verb: "MSG",
  usage: "MSG <text>",
  types: ["msg"],
  parse(args) {
    const text = args ?? "";
    return userTextProblem("text", text, MESSAGE_LIMIT) ??
      { type: "msg", text };
  },
  format(command) {
    return `MSG ${checkUserText("MSG", "text", command.text, MESSAGE_LIMIT)}`;
  },
};

/**
 * Parses the text of a chat message: what follows `MSG ` in a command, or a
 * whole line that is not a command, which a logged-in client may send as
 * chat (so that `nc` works as a client).
 *
 * Never throws. The text is valid if it is at most
 * {@linkcode MAX_MESSAGE_BYTES} bytes of well-formed Unicode without `\r` or
 * `\n` and has at least one character that is neither white space nor a
 * control character; it is returned unchanged (a server sanitizes it when it
 * formats the `MESSAGE` event). Otherwise the result is `invalid` with the
 * code to answer with: `empty_message`, `message_too_long` or
 * `invalid_command`.
 *
 * @param text The message text.
 * @returns The `msg` command, or why the text is not a message.
 *
 * @example Treat a line that is not a command as chat
 * ```ts
 * import { parseChatText, parseCommand } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * const parsed = parseCommand("hello everyone");
 * assert.equal(parsed.type, "unknown");
 * assert.deepEqual(parseChatText("hello everyone"), {
 *   type: "msg",
 *   text: "hello everyone",
 * });
 * const blank = parseChatText("\u3000 ");
 * assert.equal(blank.type === "invalid" && blank.code, "empty_message");
 * ```
 */
export function parseChatText(
  text: string,
): Variant<ChatCommand, "msg"> | InvalidCommand {
  const result = MSG.parse(text);
  return isCommandProblem(result) ? invalidCommand(MSG, result) : result;
}

const PRIVMSG = leadingWordCommand<Variant<ChatCommand, "privmsg">>("PRIVMSG", {
  usage: "PRIVMSG <username> <text>",
  key: "to",
  name: "username",
  parseRest(to, rest) {
    // As with MSG, a missing text is an empty message.
    const text = rest ?? "";
    return userTextProblem("text", text, MESSAGE_LIMIT) ??
      { type: "privmsg", to, text };
  },
  formatRest: (command) =>
    checkUserText("PRIVMSG", "text", command.text, MESSAGE_LIMIT),
});

/** The chat command verbs, for the verb table. */
export const CHAT_COMMANDS: readonly CommandSpec<ChatCommand>[] = [
  MSG,
  PRIVMSG,
];

/** The fields of a room message: `<id> <time_ms> <sender> <text>`. */
export interface MessageFields {
  /** The message id. */
  id: number;
  /** When it was sent, in milliseconds since the Unix epoch. */
  time: number;
  /** Who sent it. */
  sender: string;
  /** Its text, sanitized. */
  text: string;
}

/**
 * The fields of `MESSAGE`, also those of `HISTORY_MESSAGE` (history.ts),
 * which carries a room message too.
 */
export const MESSAGE_FIELDS: ReplyFields<MessageFields> = {
  id: countField,
  time: countField,
  sender: nameField,
  text: TEXT_FIELD,
};

/** The chat reply verbs, for the verb table. */
export const CHAT_REPLIES: readonly ReplySpec<ChatReply>[] = [
  chatReply("MESSAGE", MESSAGE_FIELDS),
  chatReply("SYSTEM", { time: countField, text: TEXT_FIELD }),
  chatReply("PRIVATE", {
    id: countField,
    time: countField,
    from: nameField("sender"),
    to: nameField("recipient"),
    text: TEXT_FIELD,
  }),
  chatReply("PM_QUEUED", { to: nameField("recipient") }),
  chatReply("PM_DELIVERED", { to: nameField("recipient"), count: countField }),
  chatReply("OFFLINE_BEGIN", { count: countField }),
  bareReply("OFFLINE_END", "offline_end"),
];
