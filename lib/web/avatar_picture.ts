/**
 * The page's rules for an avatar picture (docs/PROTOCOL.md §17): which
 * files it offers to pick (never SVG), how it cuts and scales one to the
 * square it uploads, the size the server takes, and the words for the
 * server's refusals of `PUT /avatar`. Pure; the drawing and the request
 * are the page's (`lib/browser/avatar_upload.ts`).
 *
 * @module
 */

import type { MessageKey } from "../shared/messages.ts";

/** The picture types the page offers to pick (the server's four; no SVG). */
export const AVATAR_PICK_TYPES: readonly string[] = [
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
];

/** The longest side of the picture uploaded, in pixels. */
export const AVATAR_SIDE = 256;

/** The most bytes `AVATAR_IMAGE` and `PUT /avatar` take. */
export const MAX_AVATAR_IMAGE_BYTES = 256 * 1024;

/** The path pictures are uploaded to, on the ticket's port. */
export const AVATAR_UPLOAD_PATH = "/avatar";

/** Which part of a picture to draw, and how large. */
export interface SquareCut {
  /** The source square: its corner and side, in the picture's pixels. */
  readonly x: number;
  readonly y: number;
  readonly side: number;
  /** The side drawn (at most {@linkcode AVATAR_SIDE}; never enlarged). */
  readonly size: number;
}

/**
 * The square in the middle of a `width`×`height` picture (its shorter
 * side), drawn at most `max` pixels wide: an avatar is round or square,
 * so the sides of a long picture are cut off rather than squeezed.
 *
 * @example
 * ```ts
 * import { squareCut } from "./avatar_picture.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(squareCut(1000, 600), { x: 200, y: 0, side: 600, size: 256 });
 * assert.deepEqual(squareCut(40, 90), { x: 0, y: 25, side: 40, size: 40 });
 * ```
 */
export function squareCut(
  width: number,
  height: number,
  max: number = AVATAR_SIDE,
): SquareCut {
  if (!(width >= 1 && height >= 1)) {
    throw new RangeError(`Cannot cut a ${width}×${height} picture`);
  }
  const side = Math.min(width, height);
  return {
    x: Math.floor((width - side) / 2),
    y: Math.floor((height - side) / 2),
    side,
    size: Math.min(side, max),
  };
}

/**
 * The words for a `PUT /avatar` answer that is not `201`.
 *
 * @example
 * ```ts
 * import { uploadProblem } from "./avatar_picture.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(uploadProblem(415), "webAvatarUnsupported");
 * assert.equal(uploadProblem(500), "webAvatarUploadFailed");
 * ```
 */
export function uploadProblem(status: number): MessageKey {
  switch (status) {
    case 413:
      return "webAvatarTooLarge";
    case 415:
      return "webAvatarUnsupported";
    case 422:
      return "webAvatarInvalid";
    case 403:
      return "webAvatarTicketExpired";
    default:
      return "webAvatarUploadFailed";
  }
}
