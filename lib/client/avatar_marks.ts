/**
 * Avatars in the terminal: what `AVATAR_LIST` told about users' avatars,
 * kept by name, and the one-character mark shown before a name in `/users`
 * and `/whois` (`🐱 张三`). An emoji avatar is its emoji; the default and a
 * picture (which a terminal cannot show) are the name's first character, a
 * Latin letter uppercased, in a color derived from the name so that the same
 * user always looks the same. Pure.
 *
 * @module
 */

import type { Palette } from "./colors.ts";
import type { Reply } from "../protocol/protocol.ts";
import { isAvatarEmoji } from "../protocol/avatars.ts";
import { usernameKey } from "../shared/username.ts";

/** Users remembered at most; the oldest news is forgotten first. */
export const MAX_AVATAR_MARKS = 5000;

/**
 * Avatar marks by username key (see `usernameKey`), as `AVATAR_LIST` sent
 * them; a user not in it has the default avatar.
 */
export type AvatarMarks = ReadonlyMap<string, string>;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const LATIN = /^\p{Script=Latin}/u;

/**
 * The marks after `reply`: each user it names gets its mark, and one set
 * back to the default (`-`) is forgotten.
 *
 * @example
 * ```ts
 * import { rememberAvatars } from "./avatar_marks.ts";
 * import assert from "node:assert/strict";
 *
 * const marks = rememberAvatars(new Map(), {
 *   type: "avatar_list",
 *   avatars: [{ user: "Amy", mark: "🐱" }, { user: "bob", mark: "-" }],
 * });
 * assert.deepEqual([...marks], [["amy", "🐱"]]);
 * ```
 */
export function rememberAvatars(
  marks: AvatarMarks,
  reply: Extract<Reply, { type: "avatar_list" }>,
): AvatarMarks {
  const next = new Map(marks);
  for (const { user, mark } of reply.avatars) {
    const key = usernameKey(user);
    // Deleted first, so that news moves a user to the newest end.
    next.delete(key);
    if (mark !== "-") next.set(key, mark);
  }
  for (const key of next.keys()) {
    if (next.size <= MAX_AVATAR_MARKS) break;
    next.delete(key);
  }
  return next;
}

/**
 * The mark shown before `name`: its emoji avatar, else (the default or a
 * picture) the name's first character, uppercased if Latin, in the color
 * {@linkcode avatarColorIndex} picks from `palette` (plain in a palette
 * without colors).
 *
 * @example
 * ```ts
 * import { avatarMark } from "./avatar_marks.ts";
 * import { PLAIN_PALETTE } from "./colors.ts";
 * import assert from "node:assert/strict";
 *
 * const marks = new Map([["amy", "🐱"], ["bob", "img:3"]]);
 * assert.equal(avatarMark("Amy", marks, PLAIN_PALETTE), "🐱");
 * assert.equal(avatarMark("bob", marks, PLAIN_PALETTE), "B");
 * assert.equal(avatarMark("张三", marks, PLAIN_PALETTE), "张");
 * ```
 */
export function avatarMark(
  name: string,
  marks: AvatarMarks,
  palette: Palette,
): string {
  const key = usernameKey(name);
  const mark = marks.get(key);
  if (mark !== undefined && isAvatarEmoji(mark)) return mark;
  const colors = palette.avatarColors ?? [];
  const initial = nameInitial(name);
  if (colors.length === 0) return initial;
  return colors[avatarColorIndex(key, colors.length)]!(initial);
}

/**
 * The first character (grapheme) of `name`, uppercased when it is a Latin
 * letter that stays one character uppercased (`ß` stays `ß`, not `SS`).
 */
export function nameInitial(name: string): string {
  const [first] = graphemes.segment(name);
  const initial = first?.segment ?? "";
  if (!LATIN.test(initial)) return initial;
  const upper = initial.toUpperCase();
  return [...graphemes.segment(upper)].length === 1 ? upper : initial;
}

/**
 * Which of `count` colors a name key gets: FNV-1a of its UTF-8 bytes, so
 * that it is the same in every session and for every spelling of the name.
 *
 * @example
 * ```ts
 * import { avatarColorIndex } from "./avatar_marks.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(avatarColorIndex("amy", 12), avatarColorIndex("amy", 12));
 * assert.ok(avatarColorIndex("amy", 12) < 12);
 * ```
 */
export function avatarColorIndex(key: string, count: number): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return hash % count;
}
