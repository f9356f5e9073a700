/**
 * The chat verbs: room messages (`MSG`, relayed as `MESSAGE`), server
 * notices (`SYSTEM`), and private messages (`PRIVMSG`, relayed as
 * `PRIVATE`), with the stored ones a recipient gets at login
 * (`OFFLINE_BEGIN` … `OFFLINE_END`) and the notes to their sender
 * (`PM_QUEUED`, `PM_DELIVERED`). A text is the rest of the line.
 *
 * @module
 */

import {
  checkCount,
  checkName,
  checkToken,
  leadingWord,
  nameProblem,
  parseCount,
  parseCountField,
  readFields,
} from "./fields.ts";
import {
  bareReply,
  type CommandSpec,
  type InvalidCommand,
  invalidCommand,
  isCommandProblem,
  type ReplySpec,
  type Variant,
} from "./spec.ts";
import {
  checkText,
  checkUserText,
  MESSAGE_LIMIT,
  sanitizeMessage,
  userTextProblem,
} from "./text.ts";

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

const PRIVMSG: CommandSpec<Variant<ChatCommand, "privmsg">> = {
  verb: "PRIVMSG",
  usage: "PRIVMSG <username> <text>",
  types: ["privmsg"],
  parse(args) {
    const words = leadingWord("username", args);
    if (typeof words === "string") return words;
    const [to, rest] = words;
    // As with MSG, a missing text is an empty message.
    const text = rest ?? "";
    return userTextProblem("text", text, MESSAGE_LIMIT) ??
      { type: "privmsg", to, text };
  },
  format(command) {
    return `PRIVMSG ${checkToken("PRIVMSG", "username", command.to)} ${
      checkUserText("PRIVMSG", "text", command.text, MESSAGE_LIMIT)
    }`;
  },
};

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
 * Parses `<id> <time_ms> <sender> <text>`, the arguments of `MESSAGE` and
 * of `HISTORY_MESSAGE` (history.ts), which carries a room message too.
 */
export function parseMessageFields(
  rest: string | undefined,
): MessageFields | string {
  const fields = readFields(rest, ["id", "time", "sender"]);
  if (typeof fields === "string") return fields;
  const [idText, timeText, sender] = fields.words as [string, string, string];
  const id = parseCount("id", idText);
  if (typeof id === "string") return id;
  const time = parseCount("time", timeText);
  if (typeof time === "string") return time;
  const problem = nameProblem("sender", sender);
  if (problem !== undefined) return problem;
  if (fields.tail === undefined || fields.tail === "") return "missing text";
  return { id, time, sender, text: sanitizeMessage(fields.tail) };
}

/** Formats `<verb> <id> <time_ms> <sender> <text>`. */
export function formatMessageFields(
  verb: string,
  fields: MessageFields,
): string {
  return `${verb} ${checkCount(verb, "id", fields.id)} ${
    checkCount(verb, "time", fields.time)
  } ${checkName(verb, "sender", fields.sender)} ${
    checkText(verb, fields.text)
  }`;
}

const MESSAGE: ReplySpec<ReplyOf<"message">> = {
  verb: "MESSAGE",
  types: ["message"],
  parse(rest) {
    const fields = parseMessageFields(rest);
    return typeof fields === "string" ? fields : { type: "message", ...fields };
  },
  format(reply) {
    return formatMessageFields("MESSAGE", reply);
  },
};

const SYSTEM: ReplySpec<ReplyOf<"system">> = {
  verb: "SYSTEM",
  types: ["system"],
  parse(rest) {
    const fields = readFields(rest, ["time"]);
    if (typeof fields === "string") return fields;
    const time = parseCount("time", fields.words[0] as string);
    if (typeof time === "string") return time;
    if (fields.tail === undefined || fields.tail === "") return "missing text";
    return { type: "system", time, text: sanitizeMessage(fields.tail) };
  },
  format(reply) {
    return `SYSTEM ${checkCount("SYSTEM", "time", reply.time)} ${
      checkText("SYSTEM", reply.text)
    }`;
  },
};

const PRIVATE: ReplySpec<ReplyOf<"private">> = {
  verb: "PRIVATE",
  types: ["private"],
  parse(rest) {
    const fields = readFields(rest, ["id", "time", "sender", "recipient"]);
    if (typeof fields === "string") return fields;
    const [idText, timeText, from, to] = fields.words as [
      string,
      string,
      string,
      string,
    ];
    const id = parseCount("id", idText);
    if (typeof id === "string") return id;
    const time = parseCount("time", timeText);
    if (typeof time === "string") return time;
    const problem = nameProblem("sender", from) ??
      nameProblem("recipient", to);
    if (problem !== undefined) return problem;
    if (fields.tail === undefined || fields.tail === "") return "missing text";
    const text = sanitizeMessage(fields.tail);
    return { type: "private", id, time, from, to, text };
  },
  format(reply) {
    return `PRIVATE ${checkCount("PRIVATE", "id", reply.id)} ${
      checkCount("PRIVATE", "time", reply.time)
    } ${checkName("PRIVATE", "sender", reply.from)} ${
      checkName("PRIVATE", "recipient", reply.to)
    } ${checkText("PRIVATE", reply.text)}`;
  },
};

const PM_QUEUED: ReplySpec<ReplyOf<"pm_queued">> = {
  verb: "PM_QUEUED",
  types: ["pm_queued"],
  parse(rest) {
    return nameProblem("recipient", rest) ??
      { type: "pm_queued", to: rest as string };
  },
  format(reply) {
    return `PM_QUEUED ${checkName("PM_QUEUED", "recipient", reply.to)}`;
  },
};

const PM_DELIVERED: ReplySpec<ReplyOf<"pm_delivered">> = {
  verb: "PM_DELIVERED",
  types: ["pm_delivered"],
  parse(rest) {
    const fields = readFields(rest, ["recipient"]);
    if (typeof fields === "string") return fields;
    const to = fields.words[0] as string;
    const problem = nameProblem("recipient", to);
    if (problem !== undefined) return problem;
    const count = parseCountField("count", fields.tail);
    return typeof count === "string"
      ? count
      : { type: "pm_delivered", to, count };
  },
  format(reply) {
    return `PM_DELIVERED ${checkName("PM_DELIVERED", "recipient", reply.to)} ${
      checkCount("PM_DELIVERED", "count", reply.count)
    }`;
  },
};

const OFFLINE_BEGIN: ReplySpec<ReplyOf<"offline_begin">> = {
  verb: "OFFLINE_BEGIN",
  types: ["offline_begin"],
  parse(rest) {
    const count = parseCountField("count", rest);
    return typeof count === "string" ? count : { type: "offline_begin", count };
  },
  format(reply) {
    return `OFFLINE_BEGIN ${checkCount("OFFLINE_BEGIN", "count", reply.count)}`;
  },
};

/** The chat reply verbs, for the verb table. */
export const CHAT_REPLIES: readonly ReplySpec<ChatReply>[] = [
  MESSAGE,
  SYSTEM,
  PRIVATE,
  PM_QUEUED,
  PM_DELIVERED,
  OFFLINE_BEGIN,
  bareReply("OFFLINE_END", "offline_end"),
];
