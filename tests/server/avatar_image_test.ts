/**
 * Unit and property tests of lib/server/files/avatar_image.ts: which
 * uploaded avatar pictures pass, and why the others are refused.
 *
 * The fixtures in tests/fixtures/avatars/ were made by real encoders, run
 * once by hand from npm (ImageMagick was not on the machine): pngjs 7.0.0
 * (the PNGs), jpeg-js 0.4.4 (8x6.jpg, baseline), @jsquash/jpeg 1.6.0, which
 * is mozjpeg (8x6_progressive.jpg, SOF2), omggif 1.0.10 (the GIFs; the
 * animation's middle frame is 4x3 at (2, 1)) and @jsquash/webp 1.5.0, which
 * is libwebp (lossy VP8, lossless VP8L, and lossy with alpha, which libwebp
 * writes as VP8X + ALPH + VP8). Each decodes with its library at 8x6. No
 * encoder here writes an animated WebP, so that one is built below from the
 * lossless fixture's VP8L chunk. The SVG and the renamed text file were
 * written by hand.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  avatarExtension,
  type AvatarImageCheck,
  type AvatarImageType,
  inspectAvatarImage,
  MAX_AVATAR_BYTES,
  MAX_AVATAR_SIDE,
} from "../../lib/server/files/avatar_image.ts";

const SEED = 20260101;
const PURE = { permissions: "none" } as const;
const FIXTURES = new URL("../fixtures/avatars/", import.meta.url);

async function fixture(name: string): Promise<Uint8Array> {
  return await Deno.readFile(new URL(name, FIXTURES));
}

const PNG = await fixture("8x6.png");
const WIDE_PNG = await fixture("1025x1.png");
const JPEG = await fixture("8x6.jpg");
const PROGRESSIVE_JPEG = await fixture("8x6_progressive.jpg");
const GIF = await fixture("8x6.gif");
const ANIMATED_GIF = await fixture("8x6_animated.gif");
const LOSSY_WEBP = await fixture("8x6_lossy.webp");
const LOSSLESS_WEBP = await fixture("8x6_lossless.webp");
const ALPHA_WEBP = await fixture("8x6_alpha.webp");
const SVG = await fixture("8x6.svg");
const TEXT_RENAMED = await fixture("text_renamed.png");

const encoder = new TextEncoder();
const MALFORMED: AvatarImageCheck = { ok: false, problem: "malformed" };

function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A copy of `bytes` with `edit` applied. */
function patched(
  bytes: Uint8Array,
  edit: (copy: Uint8Array, view: DataView) => void,
): Uint8Array {
  const copy = bytes.slice();
  edit(copy, new DataView(copy.buffer));
  return copy;
}

// ---- PNG helpers: a bitwise CRC-32, unlike the module's table ----------------

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) {
      crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
    }
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: length, type, data and a correct CRC. */
function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const head = new Uint8Array(8);
  new DataView(head.buffer).setUint32(0, data.length);
  head.set(encoder.encode(type), 4);
  const crc = new Uint8Array(4);
  new DataView(crc.buffer).setUint32(0, crc32(concat(head.subarray(4), data)));
  return concat(head, data, crc);
}

interface Located {
  type: string;
  at: number;
  length: number;
}

/** The chunks of a well-formed PNG: type, offset of the chunk, data length. */
function pngChunks(png: Uint8Array): Located[] {
  const view = new DataView(png.buffer, png.byteOffset);
  const chunks: Located[] = [];
  for (let at = 8; at < png.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    chunks.push({ type, at, length });
    at += 12 + length;
  }
  return chunks;
}

function pngChunkAt(png: Uint8Array, type: string): Located {
  const found = pngChunks(png).find((chunk) => chunk.type === type);
  assert.ok(found, `no ${type} chunk`);
  return found;
}

/** The fixture PNG with IHDR's size replaced (and its CRC made right). */
function pngSized(width: number, height: number): Uint8Array {
  const ihdr = PNG.slice(16, 29);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  return concat(PNG.subarray(0, 8), pngChunk("IHDR", ihdr), PNG.subarray(33));
}

// ---- JPEG helpers -------------------------------------------------------------

/** The marker segments of a well-formed JPEG up to and including SOS. */
function jpegSegments(jpeg: Uint8Array): { marker: number; at: number }[] {
  const segments: { marker: number; at: number }[] = [];
  for (let at = 2; jpeg[at] === 0xff;) {
    const marker = jpeg[at + 1]!;
    segments.push({ marker, at });
    if (marker === 0xda) break;
    at += 2 + ((jpeg[at + 2]! << 8) | jpeg[at + 3]!);
  }
  return segments;
}

function jpegSegmentAt(jpeg: Uint8Array, marker: number): number {
  const found = jpegSegments(jpeg).find((segment) => segment.marker === marker);
  assert.ok(found, `no marker ${marker.toString(16)}`);
  return found.at;
}

// ---- WebP helpers -------------------------------------------------------------

function u24le(value: number): number[] {
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff];
}

/** One RIFF chunk, padded to an even size. */
function riffChunk(fourCc: string, data: ArrayLike<number>): Uint8Array {
  const head = new Uint8Array(8);
  head.set(encoder.encode(fourCc));
  new DataView(head.buffer).setUint32(4, data.length, true);
  return concat(head, data, data.length % 2 ? [0] : []);
}

/** A WebP file of these chunks, with a true RIFF size. */
function webp(...chunks: Uint8Array[]): Uint8Array {
  const body = concat(encoder.encode("WEBP"), ...chunks);
  const head = new Uint8Array(8);
  head.set(encoder.encode("RIFF"));
  new DataView(head.buffer).setUint32(4, body.length, true);
  return concat(head, body);
}

function vp8x(flags: number, width: number, height: number): Uint8Array {
  return riffChunk("VP8X", [
    flags,
    0,
    0,
    0,
    ...u24le(width - 1),
    ...u24le(height - 1),
  ]);
}

/** The lossless fixture's VP8L chunk (8x6), header and all. */
const VP8L_CHUNK = LOSSLESS_WEBP.subarray(12);

/** An ANMF frame at (2x, 2y) of the given size holding `image`. */
function anmf(
  x: number,
  y: number,
  width: number,
  height: number,
  image: Uint8Array,
): Uint8Array {
  return riffChunk(
    "ANMF",
    concat(
      u24le(x / 2),
      u24le(y / 2),
      u24le(width - 1),
      u24le(height - 1),
      u24le(100), // duration, ms
      [0], // flags
      image,
    ),
  );
}

const ANIM = riffChunk("ANIM", [0, 0, 0, 0, 0, 0]);
const ANIMATED_WEBP = webp(
  vp8x(0x02, 10, 6),
  ANIM,
  anmf(0, 0, 8, 6, VP8L_CHUNK),
  anmf(2, 0, 8, 6, VP8L_CHUNK),
);

// ---- Accepted ------------------------------------------------------------------

const VALID: ReadonlyArray<
  { name: string; bytes: Uint8Array; type: AvatarImageType; width: number }
> = [
  { name: "8x6.png", bytes: PNG, type: "image/png", width: 8 },
  { name: "8x6.jpg (baseline)", bytes: JPEG, type: "image/jpeg", width: 8 },
  {
    name: "8x6_progressive.jpg",
    bytes: PROGRESSIVE_JPEG,
    type: "image/jpeg",
    width: 8,
  },
  { name: "8x6.gif", bytes: GIF, type: "image/gif", width: 8 },
  {
    name: "8x6_animated.gif",
    bytes: ANIMATED_GIF,
    type: "image/gif",
    width: 8,
  },
  {
    name: "8x6_lossy.webp (VP8)",
    bytes: LOSSY_WEBP,
    type: "image/webp",
    width: 8,
  },
  {
    name: "8x6_lossless.webp (VP8L)",
    bytes: LOSSLESS_WEBP,
    type: "image/webp",
    width: 8,
  },
  {
    name: "8x6_alpha.webp (VP8X, ALPH, VP8)",
    bytes: ALPHA_WEBP,
    type: "image/webp",
    width: 8,
  },
  {
    name: "animated WebP built here (VP8X, ANIM, two ANMF), 10x6 canvas",
    bytes: ANIMATED_WEBP,
    type: "image/webp",
    width: 10,
  },
];

Deno.test(
  "inspectAvatarImage() accepts each format with its type and size",
  PURE,
  async (t) => {
    for (const { name, bytes, type, width } of VALID) {
      await t.step(name, () => {
        assert.deepEqual(inspectAvatarImage(bytes), {
          ok: true,
          type,
          width,
          height: 6,
        });
      });
    }
  },
);

Deno.test(
  "inspectAvatarImage() reads the size from the file, not the fixture's",
  PURE,
  () => {
    assert.deepEqual(inspectAvatarImage(pngSized(1, 1024)), {
      ok: true,
      type: "image/png",
      width: 1,
      height: 1024,
    });
    const tall = patched(JPEG, (_, view) => {
      view.setUint16(jpegSegmentAt(JPEG, 0xc0) + 5, 700); // SOF0 height
    });
    assert.deepEqual(inspectAvatarImage(tall), {
      ok: true,
      type: "image/jpeg",
      width: 8,
      height: 700,
    });
    const gif87 = patched(GIF, (copy) => copy.set(encoder.encode("GIF87a")));
    assert.deepEqual(inspectAvatarImage(gif87), {
      ok: true,
      type: "image/gif",
      width: 8,
      height: 6,
    });
  },
);

Deno.test("avatarExtension() names each type's extension", PURE, () => {
  assert.equal(avatarExtension("image/png"), "png");
  assert.equal(avatarExtension("image/jpeg"), "jpg");
  assert.equal(avatarExtension("image/gif"), "gif");
  assert.equal(avatarExtension("image/webp"), "webp");
  assert.throws(
    () => avatarExtension("image/svg+xml" as AvatarImageType),
    TypeError,
  );
});

// ---- Size --------------------------------------------------------------------

Deno.test("inspectAvatarImage() refuses an empty file", PURE, () => {
  assert.deepEqual(inspectAvatarImage(new Uint8Array()), {
    ok: false,
    problem: "empty",
  });
});

Deno.test(
  "inspectAvatarImage() takes MAX_AVATAR_BYTES and refuses one byte more before parsing",
  PURE,
  () => {
    assert.equal(MAX_AVATAR_BYTES, 262_144);
    // A valid PNG of exactly the limit: a private ancillary chunk fills it.
    const filler = MAX_AVATAR_BYTES - PNG.length - 12;
    const iend = pngChunkAt(PNG, "IEND").at;
    const atLimit = concat(
      PNG.subarray(0, iend),
      pngChunk("prVt", new Uint8Array(filler)),
      PNG.subarray(iend),
    );
    assert.equal(atLimit.length, MAX_AVATAR_BYTES);
    assert.deepEqual(inspectAvatarImage(atLimit), {
      ok: true,
      type: "image/png",
      width: 8,
      height: 6,
    });
    const tooLarge: AvatarImageCheck = { ok: false, problem: "too_large" };
    // One more byte, after IEND, would be malformed; the size speaks first.
    assert.deepEqual(inspectAvatarImage(concat(atLimit, [0])), tooLarge);
    assert.deepEqual(
      inspectAvatarImage(new Uint8Array(MAX_AVATAR_BYTES + 1)),
      tooLarge,
    );
  },
);

Deno.test(
  "inspectAvatarImage() refuses more than MAX_AVATAR_SIDE pixels either way",
  PURE,
  () => {
    assert.equal(MAX_AVATAR_SIDE, 1024);
    const tooMany: AvatarImageCheck = { ok: false, problem: "too_many_pixels" };
    assert.deepEqual(inspectAvatarImage(WIDE_PNG), tooMany);
    assert.deepEqual(inspectAvatarImage(pngSized(1, 1025)), tooMany);
    assert.deepEqual(inspectAvatarImage(pngSized(1024, 1024)), {
      ok: true,
      type: "image/png",
      width: 1024,
      height: 1024,
    });
    const wideJpeg = patched(JPEG, (_, view) => {
      view.setUint16(jpegSegmentAt(JPEG, 0xc0) + 7, 1025); // SOF0 width
    });
    assert.deepEqual(inspectAvatarImage(wideJpeg), tooMany);
    const tallGif = patched(GIF, (_, view) => view.setUint16(8, 1025, true));
    assert.deepEqual(inspectAvatarImage(tallGif), tooMany);
    const wideWebp = webp(
      vp8x(0x02, 1025, 6),
      ANIM,
      anmf(0, 0, 8, 6, VP8L_CHUNK),
    );
    assert.deepEqual(inspectAvatarImage(wideWebp), tooMany);
  },
);

Deno.test(
  "inspectAvatarImage() refuses a GIF frame that reaches past MAX_AVATAR_SIDE",
  PURE,
  () => {
    // Browsers grow an 8x6 screen to fit a frame placed at x = 1020.
    const descriptor = GIF.indexOf(0x2c, 13);
    assert.equal(GIF[descriptor + 5], 8); // the frame's width, to be sure
    const placed = (left: number) =>
      patched(GIF, (_, view) => view.setUint16(descriptor + 1, left, true));
    assert.deepEqual(inspectAvatarImage(placed(1016)), {
      ok: true,
      type: "image/gif",
      width: 8,
      height: 6,
    });
    assert.deepEqual(inspectAvatarImage(placed(1017)), {
      ok: false,
      problem: "too_many_pixels",
    });
  },
);

// ---- Markup and other formats ------------------------------------------------

Deno.test("inspectAvatarImage() calls markup text svg", PURE, async (t) => {
  const cases: Array<[string, Uint8Array]> = [
    ["the SVG fixture", SVG],
    ["<svg", encoder.encode('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ["<?xml", encoder.encode('<?xml version="1.0"?>\n<svg/>')],
    ["a byte order mark", concat([0xef, 0xbb, 0xbf], SVG)],
    ["whitespace", encoder.encode(" \t\r\n\f<svg/>")],
    [
      "a byte order mark and whitespace",
      concat([0xef, 0xbb, 0xbf], encoder.encode("\n  <svg/>")),
    ],
    ["HTML", encoder.encode("<!DOCTYPE html><html><body>hi</body></html>")],
    ["a lone <", encoder.encode("<")],
  ];
  for (const [name, bytes] of cases) {
    await t.step(name, () => {
      assert.deepEqual(inspectAvatarImage(bytes), {
        ok: false,
        problem: "svg",
      });
    });
  }
});

Deno.test(
  "inspectAvatarImage() does not trust a name: text or noise is unknown_format",
  PURE,
  async (t) => {
    const unknown: AvatarImageCheck = { ok: false, problem: "unknown_format" };
    const cases: Array<[string, Uint8Array]> = [
      ["text_renamed.png", TEXT_RENAMED],
      ["text before markup", encoder.encode("hello <svg/>")],
      ["a byte order mark alone", new Uint8Array([0xef, 0xbb, 0xbf])],
      ["whitespace alone", encoder.encode("  \n")],
      ["a UTF-16 SVG", new Uint8Array([0xff, 0xfe, 0x3c, 0x00])],
      ["a PNG signature cut short", PNG.subarray(0, 7)],
      ["RIFF that is not WebP", concat(encoder.encode("RIFF\x04\0\0\0WAVE"))],
      ["GIF90a", concat(encoder.encode("GIF90a"), GIF.subarray(6))],
      ["a single 0xFF", new Uint8Array([0xff])],
    ];
    for (const [name, bytes] of cases) {
      await t.step(name, () => {
        assert.deepEqual(inspectAvatarImage(bytes), unknown);
      });
    }
  },
);

Deno.test(
  "inspectAvatarImage() finds random bytes without a signature unknown_format",
  PURE,
  () => {
    // First bytes that could start a signature, a byte order mark or markup.
    const starts = new Set([
      0x89,
      0xff,
      0x47,
      0x52,
      0xef,
      0x3c,
      0x20,
      0x09,
      0x0a,
      0x0d,
      0x0c,
    ]);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 512 }).filter((bytes) =>
          !starts.has(bytes[0]!)
        ),
        (bytes) => {
          assert.deepEqual(inspectAvatarImage(bytes), {
            ok: false,
            problem: "unknown_format",
          });
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  },
);

// ---- PNG ---------------------------------------------------------------------

Deno.test("inspectAvatarImage() refuses a broken PNG", PURE, async (t) => {
  const idat = pngChunkAt(PNG, "IDAT");
  const iend = pngChunkAt(PNG, "IEND");
  await t.step("a bad CRC in IDAT's data", () => {
    const bad = patched(PNG, (copy) => {
      copy[idat.at + 8] = copy[idat.at + 8]! ^ 0x01;
    });
    assert.deepEqual(inspectAvatarImage(bad), MALFORMED);
  });
  await t.step("a bad CRC of IHDR", () => {
    const bad = patched(PNG, (copy) => {
      copy[32] = copy[32]! ^ 0x80;
    });
    assert.deepEqual(inspectAvatarImage(bad), MALFORMED);
  });
  await t.step("truncated before IEND", () => {
    assert.deepEqual(inspectAvatarImage(PNG.subarray(0, iend.at)), MALFORMED);
  });
  await t.step("truncated inside IEND's CRC", () => {
    assert.deepEqual(inspectAvatarImage(PNG.subarray(0, -1)), MALFORMED);
  });
  await t.step("bytes after IEND (a polyglot)", () => {
    const html = encoder.encode("<html><script>alert(1)</script></html>");
    assert.deepEqual(inspectAvatarImage(concat(PNG, html)), MALFORMED);
    assert.deepEqual(inspectAvatarImage(concat(PNG, [0])), MALFORMED);
  });
  await t.step("no IDAT", () => {
    const bare = concat(PNG.subarray(0, 33), PNG.subarray(iend.at));
    assert.deepEqual(inspectAvatarImage(bare), MALFORMED);
  });
  await t.step("a chunk before IHDR", () => {
    const first = concat(
      PNG.subarray(0, 8),
      pngChunk("tEXt", encoder.encode("a\0b")),
      PNG.subarray(8),
    );
    assert.deepEqual(inspectAvatarImage(first), MALFORMED);
  });
  await t.step("a second IHDR", () => {
    const twice = concat(PNG.subarray(0, 33), PNG.subarray(8));
    assert.deepEqual(inspectAvatarImage(twice), MALFORMED);
  });
  await t.step("a chunk type that is not four letters", () => {
    const odd = concat(
      PNG.subarray(0, 33),
      pngChunk("t3Xt", new Uint8Array(1)),
      PNG.subarray(33),
    );
    assert.deepEqual(inspectAvatarImage(odd), MALFORMED);
  });
  await t.step("a chunk length past the end", () => {
    const long = patched(PNG, (_, view) => view.setUint32(idat.at, 0x10000));
    assert.deepEqual(inspectAvatarImage(long), MALFORMED);
  });
  await t.step("IEND with data", () => {
    const fat = concat(
      PNG.subarray(0, iend.at),
      pngChunk("IEND", new Uint8Array(1)),
    );
    assert.deepEqual(inspectAvatarImage(fat), MALFORMED);
  });
  await t.step("an IHDR that is not 13 bytes", () => {
    const long = concat(
      PNG.subarray(0, 8),
      pngChunk("IHDR", concat(PNG.subarray(16, 29), [0])),
      PNG.subarray(33),
    );
    assert.deepEqual(inspectAvatarImage(long), MALFORMED);
  });
  await t.step("a zero width", () => {
    assert.deepEqual(inspectAvatarImage(pngSized(0, 6)), MALFORMED);
  });
  await t.step("a bit depth its colour type does not have", () => {
    const ihdr = PNG.slice(16, 29);
    ihdr[8] = 4; // RGB comes in 8 or 16 bits only
    const bad = concat(
      PNG.subarray(0, 8),
      pngChunk("IHDR", ihdr),
      PNG.subarray(33),
    );
    assert.deepEqual(inspectAvatarImage(bad), MALFORMED);
  });
  await t.step("an unknown compression, filter or interlace method", () => {
    for (const [field, value] of [[10, 1], [11, 1], [12, 2]] as const) {
      const ihdr = PNG.slice(16, 29);
      ihdr[field] = value;
      const bad = concat(
        PNG.subarray(0, 8),
        pngChunk("IHDR", ihdr),
        PNG.subarray(33),
      );
      assert.deepEqual(inspectAvatarImage(bad), MALFORMED, `byte ${field}`);
    }
  });
});

Deno.test(
  "inspectAvatarImage() takes ancillary PNG chunks with right CRCs",
  PURE,
  () => {
    const withText = concat(
      PNG.subarray(0, 33),
      pngChunk("tEXt", encoder.encode("Comment\0hi")),
      PNG.subarray(33),
    );
    assert.equal(inspectAvatarImage(withText).ok, true);
  },
);

// ---- JPEG --------------------------------------------------------------------

Deno.test("inspectAvatarImage() refuses a broken JPEG", PURE, async (t) => {
  const sof = jpegSegmentAt(JPEG, 0xc0);
  await t.step("no EOI", () => {
    assert.deepEqual(inspectAvatarImage(JPEG.subarray(0, -2)), MALFORMED);
    assert.deepEqual(inspectAvatarImage(JPEG.subarray(0, -1)), MALFORMED);
  });
  await t.step("bytes after EOI", () => {
    assert.deepEqual(inspectAvatarImage(concat(JPEG, [0])), MALFORMED);
    assert.deepEqual(inspectAvatarImage(concat(JPEG, JPEG)), MALFORMED);
  });
  await t.step("a segment length past the end", () => {
    const first = jpegSegments(JPEG)[0]!.at;
    const long = patched(JPEG, (_, view) => view.setUint16(first + 2, 0xffff));
    assert.deepEqual(inspectAvatarImage(long), MALFORMED);
  });
  await t.step("a segment length under 2", () => {
    const first = jpegSegments(JPEG)[0]!.at;
    const short = patched(JPEG, (_, view) => view.setUint16(first + 2, 1));
    assert.deepEqual(inspectAvatarImage(short), MALFORMED);
  });
  await t.step("SOS without SOF", () => {
    const length = (JPEG[sof + 2]! << 8) | JPEG[sof + 3]!;
    const noFrame = concat(
      JPEG.subarray(0, sof),
      JPEG.subarray(sof + 2 + length),
    );
    assert.deepEqual(inspectAvatarImage(noFrame), MALFORMED);
  });
  await t.step("SOF only after SOS", () => {
    const length = (JPEG[sof + 2]! << 8) | JPEG[sof + 3]!;
    const segment = JPEG.subarray(sof, sof + 2 + length);
    const late = concat(
      JPEG.subarray(0, sof),
      JPEG.subarray(sof + 2 + length, -2),
      segment,
      [0xff, 0xd9],
    );
    assert.deepEqual(inspectAvatarImage(late), MALFORMED);
  });
  await t.step("a second SOF", () => {
    const length = (JPEG[sof + 2]! << 8) | JPEG[sof + 3]!;
    const segment = JPEG.subarray(sof, sof + 2 + length);
    const twice = concat(JPEG.subarray(0, sof), segment, JPEG.subarray(sof));
    assert.deepEqual(inspectAvatarImage(twice), MALFORMED);
  });
  await t.step("a reserved marker or a second SOI between segments", () => {
    for (const marker of [0x02, 0x50, 0xbf, 0xd8]) {
      const odd = concat(
        JPEG.subarray(0, sof),
        [0xff, marker, 0x00, 0x02],
        JPEG.subarray(sof),
      );
      assert.deepEqual(inspectAvatarImage(odd), MALFORMED, `FF ${marker}`);
    }
    // An APP segment of the same shape is fine.
    const app = concat(
      JPEG.subarray(0, sof),
      [0xff, 0xe5, 0x00, 0x02],
      JPEG.subarray(sof),
    );
    assert.equal(inspectAvatarImage(app).ok, true);
  });
  await t.step("EOI before any scan", () => {
    const sos = jpegSegmentAt(JPEG, 0xda);
    const headersOnly = concat(JPEG.subarray(0, sos), [0xff, 0xd9]);
    assert.deepEqual(inspectAvatarImage(headersOnly), MALFORMED);
  });
  await t.step("garbage where a marker belongs", () => {
    const garbage = concat(JPEG.subarray(0, 2), [0x00], JPEG.subarray(2));
    assert.deepEqual(inspectAvatarImage(garbage), MALFORMED);
  });
  await t.step("a zero height", () => {
    const zero = patched(JPEG, (_, view) => view.setUint16(sof + 5, 0));
    assert.deepEqual(inspectAvatarImage(zero), MALFORMED);
  });
  await t.step("SOS's length and component count disagree", () => {
    const sos = jpegSegmentAt(JPEG, 0xda);
    assert.equal(JPEG[sos + 4], 3); // the fixture's scan has 3 components
    const bad = patched(JPEG, (copy) => {
      copy[sos + 4] = 2;
    });
    assert.deepEqual(inspectAvatarImage(bad), MALFORMED);
  });
  await t.step("SOF's length and component count disagree", () => {
    const bad = patched(JPEG, (copy) => {
      copy[sof + 9] = 1; // the fixture has 3 components
    });
    assert.deepEqual(inspectAvatarImage(bad), MALFORMED);
  });
});

Deno.test(
  "inspectAvatarImage() skips JPEG fill bytes, stuffing and standalone markers",
  PURE,
  () => {
    const sof = jpegSegmentAt(JPEG, 0xc0);
    // Fill 0xFFs before a marker, and a TEM (no length) between segments.
    const filled = concat(
      JPEG.subarray(0, sof),
      [0xff, 0xff, 0xff, 0x01, 0xff],
      JPEG.subarray(sof),
    );
    assert.equal(inspectAvatarImage(filled).ok, true);
    // In entropy-coded data, FF 00 and RSTn are data, not segments.
    const withData = concat(JPEG.subarray(0, -2), [
      0xff,
      0x00,
      0xff,
      0xd3,
      0x12,
      0xff,
      0xd9,
    ]);
    assert.equal(inspectAvatarImage(withData).ok, true);
    // DHT (C4) is no frame: a file with only it before SOS has no SOF.
    const asDht = patched(JPEG, (copy) => {
      copy[sof + 1] = 0xc4;
    });
    assert.deepEqual(inspectAvatarImage(asDht), MALFORMED);
  },
);

// ---- GIF ---------------------------------------------------------------------

Deno.test("inspectAvatarImage() refuses a broken GIF", PURE, async (t) => {
  await t.step("no trailer", () => {
    assert.deepEqual(inspectAvatarImage(GIF.subarray(0, -1)), MALFORMED);
    assert.deepEqual(
      inspectAvatarImage(ANIMATED_GIF.subarray(0, -1)),
      MALFORMED,
    );
  });
  await t.step("bytes after the trailer", () => {
    assert.deepEqual(inspectAvatarImage(concat(GIF, [0x3b])), MALFORMED);
    assert.deepEqual(
      inspectAvatarImage(concat(GIF, encoder.encode("<html>"))),
      MALFORMED,
    );
  });
  await t.step("no image", () => {
    const noImage = concat(GIF.subarray(0, GIF.indexOf(0x2c, 13)), [0x3b]);
    assert.deepEqual(inspectAvatarImage(noImage), MALFORMED);
  });
  await t.step("an unknown block", () => {
    const last = GIF.length - 1;
    const odd = concat(GIF.subarray(0, last), [0x99], GIF.subarray(last));
    assert.deepEqual(inspectAvatarImage(odd), MALFORMED);
  });
  await t.step("a zero-size screen", () => {
    const zero = patched(GIF, (_, view) => view.setUint16(6, 0, true));
    assert.deepEqual(inspectAvatarImage(zero), MALFORMED);
  });
  await t.step("a global colour table larger than the file", () => {
    const big = patched(GIF, (copy) => {
      copy[10] = 0x87; // 256 colours: 768 bytes
    });
    assert.deepEqual(inspectAvatarImage(big), MALFORMED);
  });
  await t.step("an extension cut short", () => {
    const cut = concat(GIF.subarray(0, GIF.indexOf(0x2c, 13)), [
      0x21,
      0xf9,
      0x04,
      0x00,
    ]);
    assert.deepEqual(inspectAvatarImage(cut), MALFORMED);
  });
});

// ---- WebP --------------------------------------------------------------------

Deno.test("inspectAvatarImage() refuses a broken WebP", PURE, async (t) => {
  await t.step("a RIFF size that lies", () => {
    for (const delta of [-2, -1, 1, 2, 1000]) {
      const lying = patched(LOSSY_WEBP, (_, view) => {
        view.setUint32(4, LOSSY_WEBP.length - 8 + delta, true);
      });
      assert.deepEqual(inspectAvatarImage(lying), MALFORMED, `delta ${delta}`);
    }
  });
  await t.step("bytes after the RIFF", () => {
    assert.deepEqual(inspectAvatarImage(concat(LOSSY_WEBP, [0, 0])), MALFORMED);
  });
  await t.step("a chunk size past the RIFF, size fixed up", () => {
    const long = webp(
      patched(VP8L_CHUNK, (_, view) => view.setUint32(4, 0x1000, true)),
    );
    assert.deepEqual(inspectAvatarImage(long), MALFORMED);
  });
  await t.step("a chunk not padded to an even size", () => {
    const odd = riffChunk("XTRA", [1]).subarray(0, 9);
    const unpadded = webp(vp8x(0, 8, 6), VP8L_CHUNK, odd);
    assert.deepEqual(inspectAvatarImage(unpadded), MALFORMED);
    const padded = webp(vp8x(0, 8, 6), VP8L_CHUNK, riffChunk("XTRA", [1]));
    assert.equal(inspectAvatarImage(padded).ok, true);
  });
  await t.step("no image chunk", () => {
    assert.deepEqual(inspectAvatarImage(webp(vp8x(0, 8, 6))), MALFORMED);
    assert.deepEqual(
      inspectAvatarImage(webp(riffChunk("ICCP", [0, 0]))),
      MALFORMED,
    );
  });
  await t.step("a VP8X canvas that is not the image's size", () => {
    assert.equal(inspectAvatarImage(webp(vp8x(0, 8, 6), VP8L_CHUNK)).ok, true);
    assert.deepEqual(
      inspectAvatarImage(webp(vp8x(0, 8, 8), VP8L_CHUNK)),
      MALFORMED,
    );
  });
  await t.step("a second image in a simple file", () => {
    assert.deepEqual(
      inspectAvatarImage(webp(VP8L_CHUNK, VP8L_CHUNK)),
      MALFORMED,
    );
  });
  await t.step("a VP8L without its signature byte", () => {
    const bad = patched(LOSSLESS_WEBP, (copy) => {
      copy[20] = 0x2e;
    });
    assert.deepEqual(inspectAvatarImage(bad), MALFORMED);
  });
  await t.step("a VP8 without its start code, or not a key frame", () => {
    const noStart = patched(LOSSY_WEBP, (copy) => {
      copy[23] = 0x9c;
    });
    assert.deepEqual(inspectAvatarImage(noStart), MALFORMED);
    const interFrame = patched(LOSSY_WEBP, (copy) => {
      copy[20] = copy[20]! | 0x01;
    });
    assert.deepEqual(inspectAvatarImage(interFrame), MALFORMED);
  });
  await t.step("a VP8L of a version other than 0", () => {
    const bad = patched(LOSSLESS_WEBP, (copy) => {
      copy[24] = copy[24]! | 0x20;
    });
    assert.deepEqual(inspectAvatarImage(bad), MALFORMED);
  });
  await t.step("a VP8 frame tag libwebp would refuse", () => {
    const size = LOSSY_WEBP[16]! | (LOSSY_WEBP[17]! << 8); // the chunk's
    const tag = LOSSY_WEBP[20]! | (LOSSY_WEBP[21]! << 8) |
      (LOSSY_WEBP[22]! << 16);
    // The fixture's tag: key frame, profile 0, shown.
    assert.equal(tag & 0x1f, 0x10);
    const tagged = (value: number) =>
      patched(LOSSY_WEBP, (copy) => copy.set(u24le(value), 20));
    // The first partition may be anything shorter than the chunk.
    assert.equal(inspectAvatarImage(tagged(((size - 1) << 5) | 0x10)).ok, true);
    const cases: Array<[string, number]> = [
      ["partition as long as the chunk", (size << 5) | 0x10],
      ["not shown", tag & ~0x10],
      ["profile 4", tag | (4 << 1)],
    ];
    for (const [name, value] of cases) {
      assert.deepEqual(inspectAvatarImage(tagged(value)), MALFORMED, name);
    }
  });
  await t.step("an animation frame off the canvas or of the wrong size", () => {
    const off = webp(vp8x(0x02, 8, 6), ANIM, anmf(2, 0, 8, 6, VP8L_CHUNK));
    assert.deepEqual(inspectAvatarImage(off), MALFORMED);
    const wrong = webp(vp8x(0x02, 10, 6), ANIM, anmf(0, 0, 9, 6, VP8L_CHUNK));
    assert.deepEqual(inspectAvatarImage(wrong), MALFORMED);
  });
  await t.step("an animation without ANIM or frames", () => {
    const noAnim = webp(vp8x(0x02, 8, 6), anmf(0, 0, 8, 6, VP8L_CHUNK));
    assert.deepEqual(inspectAvatarImage(noAnim), MALFORMED);
    assert.deepEqual(
      inspectAvatarImage(webp(vp8x(0x02, 8, 6), ANIM)),
      MALFORMED,
    );
  });
});

// ---- Hostile input -------------------------------------------------------------

const SHAPES = new Set([
  "empty",
  "too_large",
  "svg",
  "unknown_format",
  "malformed",
  "too_many_pixels",
]);

/** A check of one of the two documented shapes, with sane values. */
function assertWellFormed(check: AvatarImageCheck): void {
  if (check.ok) {
    assert.ok(VALID.some((valid) => valid.type === check.type), check.type);
    assert.ok(Number.isInteger(check.width) && check.width >= 1);
    assert.ok(Number.isInteger(check.height) && check.height >= 1);
    assert.ok(
      check.width <= MAX_AVATAR_SIDE && check.height <= MAX_AVATAR_SIDE,
    );
  } else {
    assert.ok(SHAPES.has(check.problem), check.problem);
  }
}

Deno.test(
  "inspectAvatarImage() refuses every truncation of every valid picture",
  PURE,
  async (t) => {
    // WebP too: its RIFF header states the file's length, so no shorter
    // file can pass.
    for (const { name, bytes } of VALID) {
      await t.step(name, () => {
        for (let length = 0; length < bytes.length; length++) {
          const check = inspectAvatarImage(bytes.subarray(0, length));
          assert.equal(check.ok, false, `${name} cut to ${length} bytes`);
        }
      });
    }
  },
);

Deno.test(
  "inspectAvatarImage() never throws on random bytes behind any signature",
  PURE,
  () => {
    const prefixes = [
      [],
      PNG.subarray(0, 8),
      PNG.subarray(0, 33),
      [0xff, 0xd8],
      JPEG.subarray(0, jpegSegmentAt(JPEG, 0xda)),
      encoder.encode("GIF89a"),
      GIF.subarray(0, 13),
      encoder.encode("RIFF\0\0\0\0WEBP"),
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...prefixes),
        fc.uint8Array({ maxLength: 600 }),
        (prefix, tail) =>
          assertWellFormed(inspectAvatarImage(concat(prefix, tail))),
      ),
      { seed: SEED, numRuns: 1000 },
    );
  },
);

Deno.test(
  "inspectAvatarImage() never throws on mutated valid pictures",
  PURE,
  () => {
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant("set"),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({
        kind: fc.constant("insert"),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({
        kind: fc.constant("delete"),
        at: fc.nat(),
        byte: fc.constant(0),
      }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (valid, mutations) => {
          const bytes = Array.from(valid.bytes);
          for (const { kind, at, byte } of mutations) {
            const index = at % (bytes.length + 1);
            if (kind === "set") bytes[Math.min(index, bytes.length - 1)] = byte;
            else if (kind === "insert") bytes.splice(index, 0, byte);
            else bytes.splice(index, 1);
          }
          assertWellFormed(inspectAvatarImage(new Uint8Array(bytes)));
        },
      ),
      { seed: SEED, numRuns: 1000 },
    );
  },
);
