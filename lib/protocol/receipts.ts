/**
 * The read-state verbs: `READ` moves the reader's position in a room or a
 * private conversation, `RECEIPTS` turns sending read receipts on or off;
 * the server answers with `UNREAD` (unread counts of the reader's rooms)
 * and tells senders of private messages `PM_RECEIPT` (delivered, read).
 * Success of `RECEIPTS` is answered with `OK` (session.ts); `READ` is not
 * answered when it works, as it is sent often.
 *
 * @module
 */

import {
  argumentsProblem,
  checkArray,
  checkCount,
  checkToken,
  countField,
  nameField,
  parseCount,
  splitWord,
  tokenProblem,
} from "./fields.ts";
import { formatRoomCount, parseRoomCounts } from "./rooms.ts";
import type { CommandSpec, ReplySpec, Variant } from "./spec.ts";
import { fieldsReplies } from "./spec.ts";

/** The most rooms an `UNREAD` line lists. */
export const MAX_UNREAD_ROOMS = 50;
/** The highest unread count sent: a room with more shows this many. */
export const MAX_UNREAD_COUNT = 999;

/** The commands of the read-state verbs. */
export type ReceiptCommand =
  /**
   * `READ <target> <message_id>`: the reader has seen everything up to
   * `id` in `target`, `#<room>` (the reader's current room) or a username
   * (the private conversation with that user; `id` is the newest private
   * message from them the reader has seen).
   */
  | { type: "read"; target: string; id: number }
  /**
   * `RECEIPTS [on|off]`: sends read receipts for one's private messages
   * (`on`, the default) or not; bare, asks which.
   */
  | { type: "receipts"; on?: boolean };

/** The replies of the read-state verbs. */
export type ReceiptReply =
  /**
   * `UNREAD [<room>=<count> …]`: the reader's rooms, other than the one it
   * is in, that hold messages it has not read, with how many (at most
   * {@linkcode MAX_UNREAD_COUNT}); a room not listed has none.
   */
  | { type: "unread"; rooms: Array<{ name: string; count: number }> }
  /**
   * `PM_RECEIPT <user> <message_id> <state> <time_ms>`: your private
   * messages to `user` up to `id` were delivered to them, or read by them,
   * at `time`.
   */
  | {
    type: "pm_receipt";
    user: string;
    id: number;
    state: PmReceiptState;
    time: number;
  };

/** What a {@linkcode ReceiptReply} `pm_receipt` reports. */
export type PmReceiptState = "delivered" | "read";

type Of<T extends ReceiptCommand["type"]> = Variant<ReceiptCommand, T>;
type ReplyOf<T extends ReceiptReply["type"]> = Variant<ReceiptReply, T>;

const READ: CommandSpec<Of<"read">> = {
  verb: "READ",
  usage: "READ <target> <message_id>",
  types: ["read"],
  parse(args) {
    const problem = argumentsProblem("target", args);
    if (problem !== undefined) return problem;
    const [target, idText] = splitWord(args as string);
    const targetProblem = tokenProblem("target", target);
    if (targetProblem !== undefined) return targetProblem;
    if (idText === undefined) return "missing message id";
    const id = parseCount("message id", idText);
    return typeof id === "string" ? id : { type: "read", target, id };
  },
  format(command) {
    return `READ ${checkToken("READ", "target", command.target)} ${
      checkCount("READ", "message id", command.id)
    }`;
  },
};

const RECEIPTS: CommandSpec<Of<"receipts">> = {
  verb: "RECEIPTS",
  usage: "RECEIPTS [on|off]",
  types: ["receipts"],
  parse(args) {
    if (args === undefined) return { type: "receipts" };
    if (args === "on" || args === "off") {
      return { type: "receipts", on: args === "on" };
    }
    return 'takes "on", "off" or nothing';
  },
  format(command) {
    if (command.on === undefined) return "RECEIPTS";
    if (typeof command.on !== "boolean") {
      throw new TypeError("Cannot format RECEIPTS: on is not a boolean");
    }
    return `RECEIPTS ${command.on ? "on" : "off"}`;
  },
};

/** The read-state command verbs, for the verb table. */
export const RECEIPT_COMMANDS: readonly CommandSpec<ReceiptCommand>[] = [
  READ,
  RECEIPTS,
];

const UNREAD: ReplySpec<ReplyOf<"unread">> = {
  verb: "UNREAD",
  types: ["unread"],
  parse(rest) {
    const rooms = parseRoomCounts(rest, "unread count");
    return typeof rooms === "string" ? rooms : { type: "unread", rooms };
  },
  format(reply) {
    const entries = checkArray("UNREAD", "rooms", reply.rooms).map((room) => {
      const { name, count } = (room ?? {}) as { name: unknown; count: unknown };
      return formatRoomCount("UNREAD", name, count, "unread count");
    });
    return ["UNREAD", ...entries].join(" ");
  },
};

const PM_RECEIPT_STATES: ReadonlySet<string> = new Set<PmReceiptState>([
  "delivered",
  "read",
]);

const receiptReply = fieldsReplies<ReceiptReply>();

/** The read-state reply verbs, for the verb table. */
export const RECEIPT_REPLIES: readonly ReplySpec<ReceiptReply>[] = [
  UNREAD,
  receiptReply("PM_RECEIPT", {
    user: nameField("username"),
    id: countField("message id"),
    state: {
      name: "state",
      parse(text) {
        return text !== undefined && PM_RECEIPT_STATES.has(text)
          ? [text]
          : 'state must be "delivered" or "read"';
      },
      format(verb, value) {
        if (typeof value !== "string" || !PM_RECEIPT_STATES.has(value)) {
          throw new TypeError(
            `Cannot format ${verb}: state must be "delivered" or "read"`,
          );
        }
        return value;
      },
    },
    time: countField,
  }),
];
