/**
 * The room verbs: join and leave rooms, list the rooms and their users; and
 * the room events: `JOINED`, `USER_JOINED`, `USER_LEFT`, `PRESENCE`.
 *
 * @module
 */

import {
  checkArray,
  checkCount,
  checkFlag,
  checkName,
  countField,
  nameField,
  nameProblem,
  optionalNameField,
  parseCount,
  readFields,
} from "./fields.ts";
import type { CommandSpec, ReplySpec, Variant } from "./spec.ts";
import { bareCommand, fieldsReplies, wordCommand } from "./spec.ts";

/** The room every member starts in (`JOINED 大厅` after login). */
export const LOBBY = "大厅";

/** The commands of the room verbs. */
export type RoomCommand =
  /**
   * `JOIN <room>`: moves to the room, creating it if nobody is in it yet.
   * A room is one word; the server applies the username rules to it.
   */
  | { type: "join"; room: string }
  /** `LEAVE`: moves back to the lobby, `大厅`. */
  | { type: "leave" }
  /** `ROOMS`: asks for the `ROOM_LIST`. */
  | { type: "rooms" }
  /**
   * `USERS` (the current room) or `USERS all` (everyone online): asks for a
   * `USER_LIST`.
   */
  | { type: "users"; all: boolean };

/** The replies of the room verbs. */
export type RoomReply =
  /** `USER_JOINED <time_ms> <username>`. */
  | { type: "user_joined"; time: number; username: string }
  /**
   * `USER_LEFT <time_ms> <username>`, or `USER_LEFT <time_ms> <username>
   * <room>` when the user moved to `to`, another room (`JOIN`, `LEAVE`)
   * instead of leaving the chat.
   */
  | { type: "user_left"; time: number; username: string; to?: string }
  /**
   * `PRESENCE <time_ms> <joined> <left>`: in a large room, how many users
   * came in and went out since the last notice (docs/PROTOCOL.md, 6).
   */
  | { type: "presence"; time: number; joined: number; left: number }
  /**
   * `JOINED <room> <member_count>`: this connection is now in `room`, which
   * has `memberCount` members including it. Answers `JOIN` and `LEAVE`, and
   * is sent at login, after `RESUME_TOKEN`.
   */
  | { type: "joined"; room: string; memberCount: number }
  /**
   * `ROOM_LIST <room>=<count> …`: answers `ROOMS`; a bare `ROOM_LIST` has no
   * rooms. Room names contain no `=`.
   */
  | {
    type: "room_list";
    rooms: Array<{ name: string; memberCount: number }>;
  }
  /**
   * `USER_LIST <scope> <username> …`: answers `USERS`. The scope is a room
   * name, or `*` for everyone online; the list of users may be empty.
   */
  | { type: "user_list"; scope: string; users: string[] };

type ReplyOf<T extends RoomReply["type"]> = Variant<RoomReply, T>;

const roomReply = fieldsReplies<RoomReply>();

const JOIN = wordCommand<Variant<RoomCommand, "join">>("JOIN", {
  key: "room",
  only: "a room name",
});

const USERS: CommandSpec<Variant<RoomCommand, "users">> = {
  verb: "USERS",
  usage: "USERS [all]",
  types: ["users"],
  parse(args) {
    if (args === undefined) return { type: "users", all: false };
    return args === "all"
      ? { type: "users", all: true }
      : 'takes "all" or nothing';
  },
  format(command) {
    return checkFlag("USERS", "all", command.all) ? "USERS all" : "USERS";
  },
};

/** The room command verbs, for the verb table. */
export const ROOM_COMMANDS: readonly CommandSpec<RoomCommand>[] = [
  JOIN,
  bareCommand("LEAVE", "leave"),
  bareCommand("ROOMS", "rooms"),
  USERS,
];

const PRESENCE: ReplySpec<ReplyOf<"presence">> = {
  verb: "PRESENCE",
  types: ["presence"],
  parse(rest) {
    const fields = readFields(rest, ["time", "joined count"]);
    if (typeof fields === "string") return fields;
    if (fields.tail === undefined) return "missing left count";
    const numbers = [...fields.words, fields.tail].map((text, index) =>
      parseCount(["time", "joined count", "left count"][index] as string, text)
    );
    const problem = numbers.find((value) => typeof value === "string");
    if (problem !== undefined) return problem as string;
    const [time, joined, left] = numbers as [number, number, number];
    return { type: "presence", time, joined, left };
  },
  format(reply) {
    return `PRESENCE ${checkCount("PRESENCE", "time", reply.time)} ${
      checkCount("PRESENCE", "joined count", reply.joined)
    } ${checkCount("PRESENCE", "left count", reply.left)}`;
  },
};

const ROOM_LIST: ReplySpec<ReplyOf<"room_list">> = {
  verb: "ROOM_LIST",
  types: ["room_list"],
  parse(rest) {
    const rooms = parseRoomCounts(rest, "member count");
    return typeof rooms === "string" ? rooms : {
      type: "room_list",
      rooms: rooms.map(({ name, count }) => ({ name, memberCount: count })),
    };
  },
  format(reply) {
    return [
      "ROOM_LIST",
      ...checkArray("ROOM_LIST", "rooms", reply.rooms).map((room) => {
        const { name, memberCount } = (room ?? {}) as {
          name: unknown;
          memberCount: unknown;
        };
        return formatRoomCount("ROOM_LIST", name, memberCount, "member count");
      }),
    ].join(" ");
  },
};

/**
 * Parses the `<room>=<count> …` entries of a `ROOM_LIST` or an `UNREAD`
 * (none when `rest` is undefined); `countName` names the count in problems.
 */
export function parseRoomCounts(
  rest: string | undefined,
  countName: string,
): Array<{ name: string; count: number }> | string {
  if (rest === undefined) return [];
  const rooms: Array<{ name: string; count: number }> = [];
  for (const entry of rest.split(" ")) {
    const equals = entry.indexOf("=");
    if (equals === -1) return "expected <room>=<count> entries";
    const name = entry.slice(0, equals);
    const problem = nameProblem("room name", name);
    if (problem !== undefined) return problem;
    const count = parseCount(countName, entry.slice(equals + 1));
    if (typeof count === "string") return count;
    rooms.push({ name, count });
  }
  return rooms;
}

/** Formats one `<room>=<count>` entry; a room name may not contain `=`. */
export function formatRoomCount(
  verb: string,
  name: unknown,
  count: unknown,
  countName: string,
): string {
  const checked = checkName(verb, "room name", name);
  if (checked.includes("=")) {
    throw new TypeError(`Cannot format ${verb}: room name contains "="`);
  }
  return `${checked}=${checkCount(verb, countName, count)}`;
}

const USER_LIST: ReplySpec<ReplyOf<"user_list">> = {
  verb: "USER_LIST",
  types: ["user_list"],
  parse(rest) {
    if (rest === undefined) return "missing scope";
    const [scope, ...users] = rest.split(" ") as [string, ...string[]];
    const problem = nameProblem("scope", scope) ??
      users.map((user) => nameProblem("username", user)).find((p) =>
        p !== undefined
      );
    if (problem !== undefined) return problem;
    return { type: "user_list", scope, users };
  },
  format(reply) {
    return [
      "USER_LIST",
      checkName("USER_LIST", "scope", reply.scope),
      ...checkArray("USER_LIST", "users", reply.users).map((user) =>
        checkName("USER_LIST", "username", user)
      ),
    ].join(" ");
  },
};

/** The room reply verbs, for the verb table. */
export const ROOM_REPLIES: readonly ReplySpec<RoomReply>[] = [
  roomReply("USER_JOINED", { time: countField, username: nameField }),
  roomReply("USER_LEFT", {
    time: countField,
    username: nameField,
    to: optionalNameField("room"),
  }),
  PRESENCE,
  roomReply("JOINED", { room: nameField, memberCount: countField }),
  ROOM_LIST,
  USER_LIST,
];
