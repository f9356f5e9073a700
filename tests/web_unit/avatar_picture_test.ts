import assert from "node:assert/strict";
import {
  AVATAR_PICK_TYPES,
  AVATAR_SIDE,
  MAX_AVATAR_IMAGE_BYTES,
  squareCut,
  uploadProblem,
} from "../../lib/web/avatar_picture.ts";

Deno.test("AVATAR_PICK_TYPES offers the server's four picture types and never SVG", () => {
  assert.deepEqual([...AVATAR_PICK_TYPES].sort(), [
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
  ]);
  assert.ok(!AVATAR_PICK_TYPES.some((type) => type.includes("svg")));
  assert.equal(MAX_AVATAR_IMAGE_BYTES, 262_144);
});

Deno.test("squareCut() takes the middle square and scales it down to 256, never up", async (t) => {
  const cases: Array<[number, number, unknown]> = [
    [1000, 600, { x: 200, y: 0, side: 600, size: AVATAR_SIDE }],
    [600, 1000, { x: 0, y: 200, side: 600, size: AVATAR_SIDE }],
    [256, 256, { x: 0, y: 0, side: 256, size: 256 }],
    [40, 90, { x: 0, y: 25, side: 40, size: 40 }],
    [3, 2, { x: 0, y: 0, side: 2, size: 2 }],
    [1, 1, { x: 0, y: 0, side: 1, size: 1 }],
  ];
  for (const [width, height, want] of cases) {
    await t.step(`${width}×${height}`, () => {
      assert.deepEqual(squareCut(width, height), want);
    });
  }
  assert.throws(() => squareCut(0, 10), RangeError);
  assert.throws(() => squareCut(Number.NaN, 10), RangeError);
});

Deno.test("uploadProblem() has words for each refusal of PUT /avatar", () => {
  assert.equal(uploadProblem(413), "webAvatarTooLarge");
  assert.equal(uploadProblem(415), "webAvatarUnsupported");
  assert.equal(uploadProblem(422), "webAvatarInvalid");
  assert.equal(uploadProblem(403), "webAvatarTicketExpired");
  assert.equal(uploadProblem(503), "webAvatarUploadFailed");
});
