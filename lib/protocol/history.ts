/**
 * The history verb: `HISTORY` pages through the current room's messages,
 * answered by `HISTORY_BEGIN`, one `HISTORY_MESSAGE` per message (the
 * fields of `MESSAGE`, chat.ts) and `HISTORY_END`.
 *
 * @module
 */

import { MESSAGE_FIELDS } from "./chat.ts";
import {
  argumentsProblem,
  checkCount,
  checkRange,
  countField,
  flagField,
  nameField,
  parseCount,
  parseRange,
  splitWord,
} from "./fields.ts";
import { MAX_HISTORY_COUNT } from "./limits.ts";
import type { CommandSpec, ReplySpec, Variant } from "./spec.ts";
import { fieldsReplies } from "./spec.ts";

/** The commands of the history verb. */
export type HistoryCommand =
  /**
   * `HISTORY <count>`, `HISTORY <count> before <id>` or
   * `HISTORY <count> after <id>`: asks for up to `count` (1 to
   * {@linkcode MAX_HISTORY_COUNT}) messages of the current room: the newest,
   * the newest older than `before`, or the oldest newer than `after`. Never
   * both `before` and `after`.
   */
  { type: "history"; count: number; before?: number; after?: number };

/** The replies of the history verb. */
export type HistoryReply =
  /**
   * `HISTORY_BEGIN <room> <count>`: `count` `HISTORY_MESSAGE` lines of
   * `room` follow, oldest first, then `HISTORY_END`.
   */
  | { type: "history_begin"; room: string; count: number }
  /**
   * `HISTORY_MESSAGE <id> <time_ms> <sender> <text>`: a room message from
   * the history, with the fields of `MESSAGE`.
   */
  | {
    type: "history_message";
    id: number;
    time: number;
    sender: string;
    text: string;
  }
  /**
   * `HISTORY_END <room> <more>`: ends a history; `more` (`1`) says that
   * there are further messages in the direction paged.
   */
  | { type: "history_end"; room: string; more: boolean };

type ReplyOf<T extends HistoryReply["type"]> = Variant<HistoryReply, T>;

const historyReply = fieldsReplies<HistoryReply>();

const HISTORY: CommandSpec<HistoryCommand> = {
  verb: "HISTORY",
  usage: "HISTORY <count> [before <id> | after <id>]",
  types: ["history"],
  parse(args) {
    const problem = argumentsProblem("count", args);
    if (problem !== undefined) return problem;
    const [countText, rest] = splitWord(args as string);
    const count = parseRange("count", countText, 1, MAX_HISTORY_COUNT);
    if (typeof count === "string") return count;
    if (rest === undefined) return { type: "history", count };
    const [keyword, idText] = splitWord(rest);
    if (keyword !== "before" && keyword !== "after") {
      return 'expected "before <id>" or "after <id>" after the count';
    }
    if (idText === undefined) return "missing id";
    const id = parseCount("id", idText);
    if (typeof id === "string") return id;
    return keyword === "before"
      ? { type: "history", count, before: id }
      : { type: "history", count, after: id };
  },
  format(command) {
    const count = checkRange(
      "HISTORY",
      "count",
      command.count,
      1,
      MAX_HISTORY_COUNT,
    );
    const { before, after } = command;
    if (before !== undefined && after !== undefined) {
      throw new TypeError(
        "Cannot format HISTORY: before and after are mutually exclusive",
      );
    }
    return before !== undefined
      ? `HISTORY ${count} before ${checkCount("HISTORY", "before", before)}`
      : after !== undefined
      ? `HISTORY ${count} after ${checkCount("HISTORY", "after", after)}`
      : `HISTORY ${count}`;
  },
};

/** The history command verb, for the verb table. */
export const HISTORY_COMMANDS: readonly CommandSpec<HistoryCommand>[] = [
  HISTORY,
];

/** The history reply verbs, for the verb table. */
export const HISTORY_REPLIES: readonly ReplySpec<HistoryReply>[] = [
  historyReply("HISTORY_BEGIN", { room: nameField, count: countField }),
  historyReply("HISTORY_MESSAGE", MESSAGE_FIELDS),
  historyReply("HISTORY_END", {
    room: nameField,
    more: flagField("more flag", "more"),
  }),
];
