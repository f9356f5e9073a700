/**
 * The avatar verbs: `AVATAR` sets an emoji avatar (or goes back to the
 * default), `AVATAR_IMAGE` asks for a ticket to upload a picture over HTTP
 * (`AVATAR_UPLOAD`), and `AVATARS` asks for some users' avatars, answered
 * (and announced when one changes) by `AVATAR_LIST`. Success of `AVATAR` is
 * answered with `OK` (session.ts).
 *
 * An avatar travels as a **mark**: `-` for the default (clients draw the
 * name's initial on a colour derived from the name), the emoji itself, or
 * `img:<version>` for a picture served at `/avatars/<username>?v=<version>`
 * on the web port.
 *
 * @module
 */

import {
  argumentsProblem,
  checkArray,
  checkCount,
  checkName,
  nameProblem,
  parseCount,
  rangeField,
  tokenField,
} from "./fields.ts";
import { MAX_PORT } from "./limits.ts";
import type { CommandSpec, ReplySpec, Variant } from "./spec.ts";
import { fieldsReplies } from "./spec.ts";
import { utf8ByteLength } from "./text.ts";

/** The most bytes of an emoji avatar (a family or a flag with tags fits). */
export const MAX_AVATAR_EMOJI_BYTES = 32;
/** The most users one `AVATARS` asks about. */
export const MAX_AVATAR_QUERY = 50;
/** The mark of the default avatar. */
export const DEFAULT_AVATAR_MARK = "-";

/** The commands of the avatar verbs. */
export type AvatarCommand =
  /**
   * `AVATAR [<emoji>]`: sets one emoji (see {@linkcode isAvatarEmoji}) as
   * one's avatar; bare (`emoji: ""`), goes back to the default, removing a
   * picture.
   */
  | { type: "avatar"; emoji: string }
  /** `AVATAR_IMAGE <size>`: asks to upload a picture of `size` bytes. */
  | { type: "avatar_image"; size: number }
  /** `AVATARS <username> …`: asks for these users' avatars (1 to 50). */
  | { type: "avatars"; users: string[] };

/** The replies of the avatar verbs. */
export type AvatarReply =
  /**
   * `AVATAR_LIST <user>=<mark> …`: users' avatars, as marks (see the
   * module). Answers `AVATARS` (unknown names left out), comes before
   * `WHOIS_INFO` and `USER_LIST`, and is sent to everyone when someone's
   * avatar changes.
   */
  | { type: "avatar_list"; avatars: Array<{ user: string; mark: string }> }
  /**
   * `AVATAR_UPLOAD <port> <token>`: answers `AVATAR_IMAGE`: PUT the
   * picture to `/avatar` on `port` with `token`.
   */
  | { type: "avatar_upload"; port: number; token: string };

type Of<T extends AvatarCommand["type"]> = Variant<AvatarCommand, T>;
type ReplyOf<T extends AvatarReply["type"]> = Variant<AvatarReply, T>;

// Emoji are pictographs with their components: joiners, variation
// selectors, skin tones, keycaps, tags, regional indicators (flags).
const EMOJI_PART_PATTERN =
  /^[\p{Extended_Pictographic}\p{Emoji_Component}\u200d\ufe0f\u20e3]+$/u;
const EMOJI_CORE_PATTERN = /[\p{Extended_Pictographic}\p{RI}\u20e3]/u;
const REGIONAL_INDICATORS = /\p{RI}/gu;
const IMAGE_MARK_PATTERN = /^img:[1-9][0-9]*$/;
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * Whether `text` is one emoji, as an avatar must be: a single grapheme of
 * pictographs and emoji components (a flag, a keycap, a family with
 * joiners, a skin tone), at most {@linkcode MAX_AVATAR_EMOJI_BYTES} bytes.
 * A letter, a space, a bidi mark or two emoji are not.
 *
 * @example
 * ```ts
 * import { isAvatarEmoji } from "./avatars.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isAvatarEmoji("🐱"), true);
 * assert.equal(isAvatarEmoji("👩‍💻"), true);
 * assert.equal(isAvatarEmoji("🇨🇳"), true);
 * assert.equal(isAvatarEmoji("🐱🐶"), false);
 * assert.equal(isAvatarEmoji("A"), false);
 * assert.equal(isAvatarEmoji("#"), false);
 * ```
 */
export function isAvatarEmoji(text: string): boolean {
  if (text === "" || utf8ByteLength(text) > MAX_AVATAR_EMOJI_BYTES) {
    return false;
  }
  if (!text.isWellFormed() || !EMOJI_PART_PATTERN.test(text)) return false;
  if (!EMOJI_CORE_PATTERN.test(text)) return false;
  // A flag is two regional indicators; one alone shows as a boxed letter.
  const indicators = text.match(REGIONAL_INDICATORS)?.length ?? 0;
  if (indicators !== 0 && (indicators !== 2 || [...text].length !== 2)) {
    return false;
  }
  let count = 0;
  for (const _ of graphemes.segment(text)) {
    if (++count > 1) return false;
  }
  return true;
}

/**
 * Whether `mark` is an avatar mark: `-`, an emoji, or `img:<version>`.
 *
 * @example
 * ```ts
 * import { isAvatarMark } from "./avatars.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(isAvatarMark("-"), true);
 * assert.equal(isAvatarMark("img:3"), true);
 * assert.equal(isAvatarMark("😀"), true);
 * assert.equal(isAvatarMark("img:03"), false);
 * ```
 */
export function isAvatarMark(mark: string): boolean {
  return mark === DEFAULT_AVATAR_MARK || IMAGE_MARK_PATTERN.test(mark) ||
    isAvatarEmoji(mark);
}

/** The picture version of an `img:<version>` mark, else `undefined`. */
export function avatarImageVersion(mark: string): number | undefined {
  return IMAGE_MARK_PATTERN.test(mark) ? Number(mark.slice(4)) : undefined;
}

const AVATAR: CommandSpec<Of<"avatar">> = {
  verb: "AVATAR",
  usage: "AVATAR [<emoji>]",
  types: ["avatar"],
  parse(args) {
    if (args === undefined) return { type: "avatar", emoji: "" };
    return isAvatarEmoji(args)
      ? { type: "avatar", emoji: args }
      : "takes one emoji or nothing";
  },
  format(command) {
    if (command.emoji === "") return "AVATAR";
    if (typeof command.emoji !== "string" || !isAvatarEmoji(command.emoji)) {
      throw new TypeError("Cannot format AVATAR: emoji is not one emoji");
    }
    return `AVATAR ${command.emoji}`;
  },
};

const AVATAR_IMAGE: CommandSpec<Of<"avatar_image">> = {
  verb: "AVATAR_IMAGE",
  usage: "AVATAR_IMAGE <size>",
  types: ["avatar_image"],
  parse(args) {
    const problem = argumentsProblem("size", args);
    if (problem !== undefined) return problem;
    const size = parseCount("size", args as string);
    return typeof size === "string" ? size : { type: "avatar_image", size };
  },
  format(command) {
    return `AVATAR_IMAGE ${checkCount("AVATAR_IMAGE", "size", command.size)}`;
  },
};

const AVATARS: CommandSpec<Of<"avatars">> = {
  verb: "AVATARS",
  usage: "AVATARS <username> …",
  types: ["avatars"],
  parse(args) {
    const problem = argumentsProblem("username", args);
    if (problem !== undefined) return problem;
    const users = (args as string).split(" ");
    if (users.length > MAX_AVATAR_QUERY) {
      return `takes at most ${MAX_AVATAR_QUERY} usernames`;
    }
    for (const user of users) {
      const userProblem = nameProblem("username", user);
      if (userProblem !== undefined) return userProblem;
    }
    return { type: "avatars", users };
  },
  format(command) {
    const users = checkArray("AVATARS", "users", command.users);
    if (users.length === 0 || users.length > MAX_AVATAR_QUERY) {
      throw new RangeError(
        `Cannot format AVATARS: takes 1 to ${MAX_AVATAR_QUERY} usernames`,
      );
    }
    return ["AVATARS", ...users.map((u) => checkName("AVATARS", "username", u))]
      .join(" ");
  },
};

/** The avatar command verbs, for the verb table. */
export const AVATAR_COMMANDS: readonly CommandSpec<AvatarCommand>[] = [
  AVATAR,
  AVATAR_IMAGE,
  AVATARS,
];

const AVATAR_LIST: ReplySpec<ReplyOf<"avatar_list">> = {
  verb: "AVATAR_LIST",
  types: ["avatar_list"],
  parse(rest) {
    if (rest === undefined) return { type: "avatar_list", avatars: [] };
    const avatars: Array<{ user: string; mark: string }> = [];
    for (const entry of rest.split(" ")) {
      const equals = entry.indexOf("=");
      if (equals === -1) return "expected <user>=<mark> entries";
      const user = entry.slice(0, equals);
      const problem = nameProblem("username", user);
      if (problem !== undefined) return problem;
      const mark = entry.slice(equals + 1);
      if (!isAvatarMark(mark)) return `"${user}" has no valid avatar mark`;
      avatars.push({ user, mark });
    }
    return { type: "avatar_list", avatars };
  },
  format(reply) {
    const entries = checkArray("AVATAR_LIST", "avatars", reply.avatars).map(
      (entry) => {
        const { user, mark } = (entry ?? {}) as {
          user: unknown;
          mark: unknown;
        };
        const name = checkName("AVATAR_LIST", "username", user);
        if (typeof mark !== "string" || !isAvatarMark(mark)) {
          throw new TypeError(
            `Cannot format AVATAR_LIST: "${name}" has no valid avatar mark`,
          );
        }
        return `${name}=${mark}`;
      },
    );
    return ["AVATAR_LIST", ...entries].join(" ");
  },
};

const avatarReply = fieldsReplies<AvatarReply>();

/** The avatar reply verbs, for the verb table. */
export const AVATAR_REPLIES: readonly ReplySpec<AvatarReply>[] = [
  AVATAR_LIST,
  avatarReply("AVATAR_UPLOAD", {
    port: rangeField("port", MAX_PORT),
    token: tokenField("token"),
  }),
];
