/**
 * The profile verbs: `STATUS` sets or clears your status; `WHOIS` asks for
 * a user's `WHOIS_INFO`. Success of `STATUS` is answered with `OK`
 * (session.ts).
 *
 * @module
 */

import {
  checkCount,
  checkFlag,
  checkName,
  nameProblem,
  optionalTextField,
  parseCount,
  parseFlag,
  readFields,
} from "./fields.ts";
import type { CommandSpec, ReplySpec, Variant } from "./spec.ts";
import { wordCommand } from "./spec.ts";
import { checkUserText, STATUS_LIMIT, userTextProblem } from "./text.ts";

/** The commands of the profile verbs. */
export type ProfileCommand =
  /**
   * `STATUS <text>` sets the profile status (at most
   * {@linkcode MAX_STATUS_LENGTH} characters with a visible one); a bare
   * `STATUS`, `text: ""`, clears it.
   */
  | { type: "status"; text: string }
  /** `WHOIS <username>`: asks for the user's `WHOIS_INFO`. */
  | { type: "whois"; user: string };

/** The replies of the profile verbs. */
export type ProfileReply =
  /**
   * `WHOIS_INFO <user> <registered_ms> <online> <last_seen_ms> <room>
   * <admin> <status>`: answers `WHOIS`. Flags are `0` or `1`; an unknown
   * last-seen time or room is `-`; an empty status is sent without its
   * space, so the line ends after the admin flag.
   */
  {
    type: "whois_info";
    user: string;
    registeredAt: number;
    online: boolean;
    lastSeenAt: number | null;
    room: string | null;
    admin: boolean;
    status: string;
  };

// Stands for "none" in WHOIS_INFO: no last-seen time, no room.
const NONE = "-";
// The status that ends WHOIS_INFO; an empty one is sent without its space.
const STATUS_FIELD = optionalTextField("status");

const STATUS: CommandSpec<Variant<ProfileCommand, "status">> = {
  verb: "STATUS",
  usage: "STATUS [<text>]",
  types: ["status"],
  parse(args) {
    // A bare STATUS clears the status; "STATUS " is not a second spelling.
    if (args === undefined) return { type: "status", text: "" };
    return userTextProblem("status", args, STATUS_LIMIT) ??
      { type: "status", text: args };
  },
  format(command) {
    // An empty status is the bare verb, which clears it.
    return command.text === ""
      ? "STATUS"
      : `STATUS ${
        checkUserText("STATUS", "status", command.text, STATUS_LIMIT)
      }`;
  },
};

const WHOIS = wordCommand<Variant<ProfileCommand, "whois">>("WHOIS", {
  key: "user",
  name: "username",
  only: "a username",
});

/** The profile command verbs, for the verb table. */
export const PROFILE_COMMANDS: readonly CommandSpec<ProfileCommand>[] = [
  STATUS,
  WHOIS,
];

const WHOIS_INFO: ReplySpec<ProfileReply> = {
  verb: "WHOIS_INFO",
  types: ["whois_info"],
  parse(rest) {
    const fields = readFields(rest, [
      "username",
      "registered time",
      "online flag",
      "last seen time",
      "room",
      "admin flag",
    ]);
    if (typeof fields === "string") return fields;
    const [
      user,
      registeredText,
      onlineText,
      lastSeenText,
      roomText,
      adminText,
    ] = fields.words as [string, string, string, string, string, string];
    const userProblem = nameProblem("username", user);
    if (userProblem !== undefined) return userProblem;
    const registeredAt = parseCount("registered time", registeredText);
    if (typeof registeredAt === "string") return registeredAt;
    const online = parseFlag("online flag", onlineText);
    if (typeof online === "string") return online;
    const lastSeenAt = lastSeenText === NONE
      ? null
      : parseCount("last seen time", lastSeenText);
    if (typeof lastSeenAt === "string") return lastSeenAt;
    const roomProblem = nameProblem("room", roomText);
    if (roomProblem !== undefined) return roomProblem;
    const admin = parseFlag("admin flag", adminText);
    if (typeof admin === "string") return admin;
    const status = STATUS_FIELD.parse(fields.tail);
    if (typeof status === "string") return status;
    return {
      type: "whois_info",
      user,
      registeredAt,
      online,
      lastSeenAt,
      room: roomText === NONE ? null : roomText,
      admin,
      status: status[0] as string,
    };
  },
  format(reply) {
    const verb = "WHOIS_INFO";
    const fields = [
      verb,
      checkName(verb, "username", reply.user),
      checkCount(verb, "registered time", reply.registeredAt),
      checkFlag(verb, "online", reply.online) ? "1" : "0",
      reply.lastSeenAt === null
        ? NONE
        : checkCount(verb, "last seen time", reply.lastSeenAt),
      reply.room === null ? NONE : checkName(verb, "room", reply.room),
      checkFlag(verb, "admin", reply.admin) ? "1" : "0",
    ];
    // "-" stands for no room, so a room of that name cannot be sent.
    if (reply.room === NONE) {
      throw new TypeError(`Cannot format ${verb}: room "${NONE}" is reserved`);
    }
    const status = STATUS_FIELD.format(verb, reply.status);
    return [...fields, ...(status === undefined ? [] : [status])].join(" ");
  },
};

/** The profile reply verbs, for the verb table. */
export const PROFILE_REPLIES: readonly ReplySpec<ProfileReply>[] = [
  WHOIS_INFO,
];
