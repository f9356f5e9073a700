/**
 * What the page draws for a user's avatar mark (docs/PROTOCOL.md §17): the
 * default, the name's first character on a colour derived from the name;
 * an emoji; or a picture from the web port. Pure: the page turns a
 * {@linkcode AvatarFace} into an element, putting the initial and the emoji
 * in as data (never markup) and building a picture's address only here,
 * from a validated mark and the encoded name.
 *
 * @module
 */

import {
  avatarImageVersion,
  DEFAULT_AVATAR_MARK,
  isAvatarEmoji,
} from "../protocol/avatars.ts";
import { nameInitial } from "../client/avatar_marks.ts";
import { usernameKey } from "../shared/username.ts";

/** The path the web port serves avatar pictures under. */
export const AVATARS_PATH = "/avatars/";

/** How one avatar looks. */
export type AvatarFace =
  /** The default: `text` (one character) on `background`, in `color`. */
  | { kind: "initial"; text: string; background: string; color: string }
  /** An emoji avatar. */
  | { kind: "emoji"; text: string }
  /** A picture, at `src` (a path on this page's server). */
  | { kind: "image"; src: string };

/**
 * The face of `name`'s avatar `mark`; a missing or unknown mark is the
 * default.
 *
 * @example
 * ```ts
 * import { avatarFace } from "./avatar_faces.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(avatarFace("张三", "🐱"), { kind: "emoji", text: "🐱" });
 * assert.deepEqual(avatarFace("张三", "img:7"), {
 *   kind: "image",
 *   src: "/avatars/%E5%BC%A0%E4%B8%89?v=7",
 * });
 * assert.equal(avatarFace("bob", "-").kind, "initial");
 * ```
 */
export function avatarFace(name: string, mark?: string): AvatarFace {
  if (mark !== undefined && mark !== DEFAULT_AVATAR_MARK) {
    const version = avatarImageVersion(mark);
    if (version !== undefined) {
      return { kind: "image", src: avatarUrl(name, version) };
    }
    if (isAvatarEmoji(mark)) return { kind: "emoji", text: mark };
  }
  // The terminal's initial, so both clients show the same letter.
  return { kind: "initial", text: nameInitial(name), ...nameColours(name) };
}

/** The address of `name`'s picture of `version`, on this page's server. */
export function avatarUrl(name: string, version: number): string {
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new RangeError(`Cannot build avatar URL: bad version ${version}`);
  }
  return `${AVATARS_PATH}${encodeURIComponent(name)}?v=${version}`;
}

/**
 * The default avatar's colours for `name`: a hue from a stable hash of the
 * name (as the server compares names, so `BOB` and `bob` look the same),
 * and black or white text, whichever reads better on it (at least 4.5:1).
 *
 * @example
 * ```ts
 * import { nameColours } from "./avatar_faces.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(nameColours("BOB"), nameColours("bob"));
 * assert.match(nameColours("bob").background, /^#[0-9a-f]{6}$/);
 * ```
 */
export function nameColours(name: string): {
  background: string;
  color: string;
} {
  const hue = nameHash(usernameKey(name)) % 360;
  const rgb = hslToRgb(hue, 0.55, 0.45);
  const background = `#${
    rgb.map((v) => v.toString(16).padStart(2, "0")).join("")
  }`;
  const light = relativeLuminance(rgb);
  // White wins when its contrast (1.05 / (L + 0.05)) beats black's.
  const color = 1.05 / (light + 0.05) >= (light + 0.05) / 0.05
    ? "#ffffff"
    : "#000000";
  return { background, color };
}

/**
 * The contrast ratio of two colours (WCAG 2), each as `[r, g, b]` 0–255.
 */
export function contrastRatio(
  a: readonly number[],
  b: readonly number[],
): number {
  const [light, dark] = [relativeLuminance(a), relativeLuminance(b)].sort((
    x,
    y,
  ) => y - x);
  return (light! + 0.05) / (dark! + 0.05);
}

/** `#rrggbb` as `[r, g, b]`. */
export function parseHexColour(hex: string): [number, number, number] {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (match === null) throw new SyntaxError(`Cannot parse colour "${hex}"`);
  return [
    parseInt(match[1]!, 16),
    parseInt(match[2]!, 16),
    parseInt(match[3]!, 16),
  ];
}

/** FNV-1a, 32 bits, over the name's UTF-16 units: small and stable. */
function nameHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

function hslToRgb(
  hue: number,
  saturation: number,
  lightness: number,
): [number, number, number] {
  const chroma = (1 - Math.abs(2 * lightness - 1)) * saturation;
  const part = chroma * (1 - Math.abs((hue / 60) % 2 - 1));
  const base = lightness - chroma / 2;
  const [r, g, b] = hue < 60
    ? [chroma, part, 0]
    : hue < 120
    ? [part, chroma, 0]
    : hue < 180
    ? [0, chroma, part]
    : hue < 240
    ? [0, part, chroma]
    : hue < 300
    ? [part, 0, chroma]
    : [chroma, 0, part];
  return [r, g, b].map((v) => Math.round((v + base) * 255)) as [
    number,
    number,
    number,
  ];
}

function relativeLuminance(rgb: readonly number[]): number {
  const [r, g, b] = rgb.map((value) => {
    const c = value / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
