/**
 * The moderation verbs, for administrators: `KICK`, `MUTE`, `UNMUTE` and
 * `DELETE` (a message by id, or a user's newest); and what the others see:
 * `MESSAGE_DELETED`, `MUTED`, `UNMUTED`. Success is answered with `OK`
 * (session.ts).
 *
 * @module
 */

import {
  argumentsProblem,
  checkCount,
  checkRange,
  checkToken,
  countField,
  nameField,
  optionalTextField,
  parseCount,
  parseRange,
  splitWord,
} from "./fields.ts";
import { MAX_MUTE_MINUTES } from "./limits.ts";
import type { CommandSpec, ReplySpec, Variant } from "./spec.ts";
import {
  bareReply,
  fieldsReplies,
  leadingWordCommand,
  wordCommand,
} from "./spec.ts";
import { checkUserText, REASON_LIMIT, userTextProblem } from "./text.ts";

/** The commands of the moderation verbs. */
export type ModerationCommand =
  /**
   * `KICK <username>` or `KICK <username> <reason>` (administrators only):
   * disconnects the user. The reason is the rest of the line, at most
   * {@linkcode MAX_REASON_BYTES} bytes with a visible character.
   */
  | { type: "kick"; user: string; reason?: string }
  /**
   * `MUTE <username> <minutes>` or `MUTE <username> <minutes> <reason>`
   * (administrators only): stops the user from posting for 1 to
   * {@linkcode MAX_MUTE_MINUTES} minutes. The reason is as for `kick`.
   */
  | { type: "mute"; user: string; minutes: number; reason?: string }
  /** `UNMUTE <username>` (administrators only): lifts a mute. */
  | { type: "unmute"; user: string }
  /**
   * `DELETE <message_id>` (administrators only): removes a room message from
   * the room and its history.
   */
  | { type: "delete_message"; id: number }
  /**
   * `DELETE last <username>` (administrators only): removes that user's
   * newest message in the administrator's current room, so that a message
   * can be picked without knowing its id.
   */
  | { type: "delete_last"; user: string };

/** The replies of the moderation verbs. */
export type ModerationReply =
  /**
   * `MESSAGE_DELETED <id> <by>`: an administrator removed message `id` from
   * the room and its history.
   */
  | { type: "message_deleted"; id: number; by: string }
  /**
   * `MUTED <until_ms> <reason>`: you cannot post until `until`; an empty
   * reason is sent as a bare `MUTED <until_ms>`.
   */
  | { type: "muted"; until: number; reason: string }
  /** `UNMUTED`: an administrator lifted your mute. */
  | { type: "unmuted" };

type Of<T extends ModerationCommand["type"]> = Variant<ModerationCommand, T>;
type ReplyOf<T extends ModerationReply["type"]> = Variant<ModerationReply, T>;

/** The text of a `KICK` or `MUTE` reason; undefined for none. */
function formatReason(verb: string, reason: unknown): string | undefined {
  return reason === undefined
    ? undefined
    : checkUserText(verb, "reason", reason, REASON_LIMIT);
}

const KICK = leadingWordCommand<Of<"kick">>("KICK", {
  usage: "KICK <username> [<reason>]",
  key: "user",
  name: "username",
  parseRest(user, reason) {
    if (reason === undefined) return { type: "kick", user };
    return userTextProblem("reason", reason, REASON_LIMIT) ??
      { type: "kick", user, reason };
  },
  formatRest: (command) => formatReason("KICK", command.reason),
});

const MUTE = leadingWordCommand<Of<"mute">>("MUTE", {
  usage: "MUTE <username> <minutes> [<reason>]",
  key: "user",
  name: "username",
  parseRest(user, rest) {
    if (rest === undefined) return "missing minutes";
    const [minutesText, reason] = splitWord(rest);
    const minutes = parseRange("minutes", minutesText, 1, MAX_MUTE_MINUTES);
    if (typeof minutes === "string") return minutes;
    if (reason === undefined) return { type: "mute", user, minutes };
    return userTextProblem("reason", reason, REASON_LIMIT) ??
      { type: "mute", user, minutes, reason };
  },
  formatRest(command) {
    const minutes = checkRange(
      "MUTE",
      "minutes",
      command.minutes,
      1,
      MAX_MUTE_MINUTES,
    );
    const reason = formatReason("MUTE", command.reason);
    return reason === undefined ? minutes : `${minutes} ${reason}`;
  },
});

const UNMUTE = wordCommand<Of<"unmute">>("UNMUTE", {
  key: "user",
  name: "username",
  only: "a username",
});

const DELETE: CommandSpec<Of<"delete_message" | "delete_last">> = {
  verb: "DELETE",
  usage: "DELETE <message_id> | DELETE last <username>",
  types: ["delete_message", "delete_last"],
  parse(args) {
    const problem = argumentsProblem("message id", args);
    if (problem !== undefined) return problem;
    const [first, rest] = splitWord(args as string);
    if (first === "last") {
      if (rest === undefined || rest === "") return "missing username";
      if (rest.includes(" ")) return "takes only last and a username";
      return { type: "delete_last", user: rest };
    }
    if (rest !== undefined) return "takes only a message id";
    const id = parseCount("message id", first);
    return typeof id === "string" ? id : { type: "delete_message", id };
  },
  format(command) {
    return command.type === "delete_message"
      ? `DELETE ${checkCount("DELETE", "message id", command.id)}`
      : `DELETE last ${checkToken("DELETE", "username", command.user)}`;
  },
};

/** The moderation command verbs, for the verb table. */
export const MODERATION_COMMANDS: readonly CommandSpec<ModerationCommand>[] = [
  KICK,
  MUTE,
  UNMUTE,
  DELETE,
];

const moderationReply = fieldsReplies<ModerationReply>();

/** The moderation reply verbs, for the verb table. */
export const MODERATION_REPLIES: readonly ReplySpec<ModerationReply>[] = [
  moderationReply("MESSAGE_DELETED", {
    id: countField,
    by: nameField("deleter"),
  }),
  moderationReply("MUTED", {
    until: countField("until time"),
    reason: optionalTextField,
  }),
  bareReply("UNMUTED", "unmuted"),
];
