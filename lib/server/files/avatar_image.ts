/**
 * Checks an uploaded avatar picture before the server stores and serves it.
 * Only PNG, JPEG, GIF and WebP pass, told apart by their bytes alone: the
 * file name and the browser's Content-Type are the uploader's word and are
 * never asked. Each format's container is walked to its last byte without
 * decoding a pixel, so a truncated file, a file with something appended
 * (a picture that is also an HTML page or a ZIP) or one whose lengths lie is
 * refused, and the size a decoder would allocate is known before anyone
 * decodes it.
 *
 * Every read is bounds-checked and every loop moves forward, so a hostile
 * file costs one linear pass and never throws.
 *
 * @module
 */

/** Bytes an uploaded avatar picture may have at most. */
export const MAX_AVATAR_BYTES = 256 * 1024;
/** Pixels an avatar picture may have at most across, and at most down. */
export const MAX_AVATAR_SIDE = 1024;

/** The picture formats an avatar may have, as media types. */
export type AvatarImageType =
  | "image/png"
  | "image/jpeg"
  | "image/gif"
  | "image/webp";

/**
 * Why a picture was refused: `empty` (no bytes), `too_large` (more than
 * {@linkcode MAX_AVATAR_BYTES}), `svg` (markup text: SVG, XML or HTML),
 * `unknown_format` (none of the four formats), `malformed` (claims a format
 * but its structure is broken, truncated or has bytes after its end) and
 * `too_many_pixels` (wider or taller than {@linkcode MAX_AVATAR_SIDE}).
 */
export type AvatarImageProblem =
  | "empty"
  | "too_large"
  | "svg"
  | "unknown_format"
  | "malformed"
  | "too_many_pixels";

/** What {@linkcode inspectAvatarImage} found: the format and size, or why not. */
export type AvatarImageCheck =
  | { ok: true; type: AvatarImageType; width: number; height: number }
  | { ok: false; problem: AvatarImageProblem };

/** A picture's size in pixels. */
interface Size {
  width: number;
  height: number;
}

/** What a format's walker found: the size, or why the file is refused. */
type Walked = Size | "malformed" | "too_many_pixels";

/** One accepted format: how its files start and how to walk them. */
interface Format {
  type: AvatarImageType;
  extension: string;
  matches(bytes: Uint8Array): boolean;
  walk(bytes: Uint8Array): Walked;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const GIF87A = ascii("GIF87a");
const GIF89A = ascii("GIF89a");
const RIFF = ascii("RIFF");
const WEBP = ascii("WEBP");

const FORMATS: readonly Format[] = [
  {
    type: "image/png",
    extension: "png",
    matches: (bytes) => startsWith(bytes, PNG_SIGNATURE),
    walk: walkPng,
  },
  {
    type: "image/jpeg",
    extension: "jpg",
    matches: (bytes) => startsWith(bytes, [0xff, 0xd8]),
    walk: walkJpeg,
  },
  {
    type: "image/gif",
    extension: "gif",
    matches: (bytes) => startsWith(bytes, GIF87A) || startsWith(bytes, GIF89A),
    walk: walkGif,
  },
  {
    type: "image/webp",
    extension: "webp",
    matches: (bytes) =>
      startsWith(bytes, RIFF) && startsWith(bytes.subarray(8), WEBP),
    walk: walkWebp,
  },
];

/**
 * Checks that `bytes` are an avatar picture the server may store and serve:
 * not empty, at most {@linkcode MAX_AVATAR_BYTES}, a well-formed PNG, JPEG,
 * GIF or WebP by its content, and at most {@linkcode MAX_AVATAR_SIDE}
 * pixels each way. Never throws, whatever the bytes.
 *
 * A GIF's size is its logical screen; a frame reaching past
 * {@linkcode MAX_AVATAR_SIDE} is refused too, since browsers grow the
 * screen to fit it.
 *
 * @example Accept a GIF and refuse an SVG, whatever its name said
 * ```ts
 * import { inspectAvatarImage } from "./avatar_image.ts";
 * import assert from "node:assert/strict";
 *
 * // A 1x1 GIF: header, screen, two colours, one image, trailer.
 * const gif = new Uint8Array([
 *   0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00,
 *   0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x2c, 0x00, 0x00, 0x00, 0x00,
 *   0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
 * ]);
 * assert.deepEqual(inspectAvatarImage(gif), {
 *   ok: true,
 *   type: "image/gif",
 *   width: 1,
 *   height: 1,
 * });
 *
 * const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>');
 * assert.deepEqual(inspectAvatarImage(svg), { ok: false, problem: "svg" });
 * // A GIF with a byte after its trailer could be anything else as well.
 * assert.deepEqual(inspectAvatarImage(new Uint8Array([...gif, 0x3c])), {
 *   ok: false,
 *   problem: "malformed",
 * });
 * ```
 *
 * @param bytes The uploaded file, whole.
 * @returns The format and size, or the first reason to refuse it.
 */
export function inspectAvatarImage(bytes: Uint8Array): AvatarImageCheck {
  // Size first: nothing longer than the limit is worth a parse.
  if (bytes.length === 0) return refuse("empty");
  if (bytes.length > MAX_AVATAR_BYTES) return refuse("too_large");
  const format = FORMATS.find((candidate) => candidate.matches(bytes));
  if (format === undefined) {
    return refuse(looksLikeMarkup(bytes) ? "svg" : "unknown_format");
  }
  const walked = format.walk(bytes);
  if (typeof walked === "string") return refuse(walked);
  if (walked.width > MAX_AVATAR_SIDE || walked.height > MAX_AVATAR_SIDE) {
    return refuse("too_many_pixels");
  }
  return {
    ok: true,
    type: format.type,
    width: walked.width,
    height: walked.height,
  };
}

/** The file extension for a type: "png", "jpg", "gif", "webp". */
export function avatarExtension(type: AvatarImageType): string {
  const format = FORMATS.find((candidate) => candidate.type === type);
  // The type union and FORMATS list the same four; a caller casting some
  // other string gets a TypeError rather than a file named "undefined".
  if (format === undefined) {
    throw new TypeError(`Cannot name a file of type "${type}": not an avatar`);
  }
  return format.extension;
}

function refuse(problem: AvatarImageProblem): AvatarImageCheck {
  return { ok: false, problem };
}

/**
 * Markup (SVG, XML, HTML) starts with `<` after an optional UTF-8 byte
 * order mark and whitespace; it earns its own reason, so the user learns
 * that vector pictures are not taken rather than that the file is unknown.
 */
function looksLikeMarkup(bytes: Uint8Array): boolean {
  let at = startsWith(bytes, [0xef, 0xbb, 0xbf]) ? 3 : 0;
  while (at < bytes.length && XML_SPACE.has(bytes[at]!)) at++;
  return bytes[at] === 0x3c;
}

const XML_SPACE: ReadonlySet<number> = new Set([0x20, 0x09, 0x0a, 0x0d, 0x0c]);

// ---- PNG (ISO/IEC 15948, W3C PNG) ----------------------------------------

/** Bit depths allowed for each PNG colour type. */
const PNG_BIT_DEPTHS: ReadonlyMap<number, readonly number[]> = new Map([
  [0, [1, 2, 4, 8, 16]],
  [2, [8, 16]],
  [3, [1, 2, 4, 8]],
  [4, [8, 16]],
  [6, [8, 16]],
]);
const PNG_MAX_LENGTH = 0x7fffffff;

/**
 * Walks the chunks from IHDR to IEND, checking each one's CRC, and wants
 * IEND's CRC to be the file's last four bytes.
 */
function walkPng(bytes: Uint8Array): Walked {
  let at = PNG_SIGNATURE.length;
  let size: Size | undefined;
  let sawImageData = false;
  // A chunk is at least length, type and CRC: 12 bytes.
  while (bytes.length - at >= 12) {
    const length = u32be(bytes, at);
    const typeAt = at + 4;
    const dataAt = at + 8;
    if (length > PNG_MAX_LENGTH || length > bytes.length - dataAt - 4) {
      return "malformed";
    }
    if (!isLetters(bytes, typeAt, 4)) return "malformed";
    const crcAt = dataAt + length;
    if (crc32(bytes, typeAt, crcAt) !== u32be(bytes, crcAt)) return "malformed";
    const type = fourCc(bytes, typeAt);
    if (size === undefined) {
      if (type !== "IHDR" || length !== 13) return "malformed";
      size = readIhdr(bytes, dataAt);
      if (size === undefined) return "malformed";
    } else if (type === "IHDR") {
      return "malformed";
    } else if (type === "IDAT") {
      sawImageData = true;
    } else if (type === "IEND") {
      const ends = crcAt + 4 === bytes.length;
      return length === 0 && sawImageData && ends ? size : "malformed";
    }
    at = crcAt + 4;
  }
  return "malformed";
}

/** The size from IHDR's 13 bytes at `at`, if its fields are valid. */
function readIhdr(bytes: Uint8Array, at: number): Size | undefined {
  const width = u32be(bytes, at);
  const height = u32be(bytes, at + 4);
  const bitDepth = bytes[at + 8]!;
  const colourType = bytes[at + 9]!;
  const compression = bytes[at + 10]!;
  const filter = bytes[at + 11]!;
  const interlace = bytes[at + 12]!;
  const valid = width >= 1 && width <= PNG_MAX_LENGTH &&
    height >= 1 && height <= PNG_MAX_LENGTH &&
    (PNG_BIT_DEPTHS.get(colourType)?.includes(bitDepth) ?? false) &&
    compression === 0 && filter === 0 && interlace <= 1;
  return valid ? { width, height } : undefined;
}

/** CRC-32 (ISO 3309, as PNG uses it), one entry per byte value. */
const CRC_TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of `bytes[from, to)`. */
function crc32(bytes: Uint8Array, from: number, to: number): number {
  let c = 0xffffffff;
  for (let i = from; i < to; i++) {
    c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

// ---- JPEG (ITU-T T.81, JFIF) ----------------------------------------------

/** Start-of-frame markers: every SOFn but DHT (C4), JPG (C8) and DAC (CC). */
const SOF_MARKERS: ReadonlySet<number> = new Set([
  0xc0,
  0xc1,
  0xc2,
  0xc3,
  0xc5,
  0xc6,
  0xc7,
  0xc9,
  0xca,
  0xcb,
  0xcd,
  0xce,
  0xcf,
]);
const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const TEM = 0x01;

/**
 * Walks the marker segments from SOI, skipping each scan's entropy-coded
 * data, and wants EOI to be the file's last two bytes.
 */
function walkJpeg(bytes: Uint8Array): Walked {
  let at = 2;
  let size: Size | undefined;
  let sawScan = false;
  for (;;) {
    // Every segment starts with 0xFF, and any number of fill 0xFFs may
    // come before its marker byte; anything else here is not JPEG.
    if (bytes[at] !== 0xff) return "malformed";
    while (bytes[at] === 0xff) at++;
    if (at >= bytes.length) return "malformed";
    const marker = bytes[at]!;
    at++;
    if (marker === EOI) {
      const ends = at === bytes.length;
      return size !== undefined && sawScan && ends ? size : "malformed";
    }
    if (isRestart(marker) || marker === TEM) continue; // no length
    // 0x00 is stuffing, 0x02-0xBF are reserved, a second SOI is a second
    // file: none belongs between segments.
    if (marker < 0xc0 || marker === SOI) return "malformed";
    if (bytes.length - at < 2) return "malformed";
    const length = u16be(bytes, at);
    if (length < 2 || length > bytes.length - at) return "malformed";
    const dataAt = at + 2;
    const end = at + length;
    if (SOF_MARKERS.has(marker)) {
      // One frame per file; a second SOF would be a second picture.
      if (size !== undefined) return "malformed";
      size = readSof(bytes, dataAt, end);
      if (size === undefined) return "malformed";
    } else if (marker === SOS) {
      const components = end - dataAt >= 1 ? bytes[dataAt]! : 0;
      const fits = components >= 1 && length === 6 + 2 * components;
      if (size === undefined || !fits) return "malformed";
      sawScan = true;
      at = skipEntropyCodedData(bytes, end);
      continue;
    }
    at = end;
  }
}

/** The size from a SOFn segment's data `[at, end)`, if it is consistent. */
function readSof(bytes: Uint8Array, at: number, end: number): Size | undefined {
  if (end - at < 6) return undefined;
  const height = u16be(bytes, at + 1);
  const width = u16be(bytes, at + 3);
  const components = bytes[at + 5]!;
  // A height of 0 defers it to a DNL segment after the first scan, which
  // browsers hardly support; an avatar has no need of it.
  const consistent = components >= 1 && end - at === 6 + 3 * components;
  return consistent && width >= 1 && height >= 1
    ? { width, height }
    : undefined;
}

/**
 * Where the scan's entropy-coded data starting at `from` ends: at the next
 * 0xFF that is neither stuffing (FF 00) nor a restart marker (FF D0-D7),
 * or at the end of the file.
 */
function skipEntropyCodedData(bytes: Uint8Array, from: number): number {
  let at = from;
  while (at < bytes.length) {
    if (bytes[at] !== 0xff) {
      at++;
      continue;
    }
    const next = bytes[at + 1] ?? -1;
    if (next === 0x00 || isRestart(next)) {
      at += 2;
      continue;
    }
    return at;
  }
  return at;
}

function isRestart(marker: number): boolean {
  return marker >= 0xd0 && marker <= 0xd7;
}

// ---- GIF (GIF89a specification) -------------------------------------------

const GIF_EXTENSION = 0x21;
const GIF_IMAGE = 0x2c;
const GIF_TRAILER = 0x3b;

/**
 * Walks the blocks after the logical screen descriptor to the trailer and
 * wants the trailer to be the file's last byte.
 */
function walkGif(bytes: Uint8Array): Walked {
  // Header (6) and logical screen descriptor (7).
  if (bytes.length < 13) return "malformed";
  const width = u16le(bytes, 6);
  const height = u16le(bytes, 8);
  if (width === 0 || height === 0) return "malformed";
  let at = 13 + colourTableBytes(bytes[10]!);
  let images = 0;
  let reachWidth = width;
  let reachHeight = height;
  while (at < bytes.length) {
    const introducer = bytes[at]!;
    if (introducer === GIF_TRAILER) {
      if (at + 1 !== bytes.length || images === 0) return "malformed";
      const fits = reachWidth <= MAX_AVATAR_SIDE &&
        reachHeight <= MAX_AVATAR_SIDE;
      return fits ? { width, height } : "too_many_pixels";
    }
    if (introducer === GIF_EXTENSION) {
      // Introducer, label, then data sub-blocks.
      at = skipSubBlocks(bytes, at + 2);
    } else if (introducer === GIF_IMAGE) {
      // Separator, left, top, width, height (2 each), packed fields.
      if (bytes.length - at < 10) return "malformed";
      reachWidth = Math.max(
        reachWidth,
        u16le(bytes, at + 1) + u16le(bytes, at + 5),
      );
      reachHeight = Math.max(
        reachHeight,
        u16le(bytes, at + 3) + u16le(bytes, at + 7),
      );
      at += 10 + colourTableBytes(bytes[at + 9]!);
      // The LZW minimum code size, then the image data's sub-blocks.
      at = skipSubBlocks(bytes, at + 1);
      images++;
    } else {
      return "malformed";
    }
    if (at < 0) return "malformed";
  }
  return "malformed";
}

/** Bytes of the colour table that packed fields with bit 7 set announce. */
function colourTableBytes(packed: number): number {
  return packed & 0x80 ? 3 * (2 << (packed & 0x07)) : 0;
}

/**
 * Where the sub-blocks starting at `from` end (after the zero-length
 * terminator), or -1 when the file ends first.
 */
function skipSubBlocks(bytes: Uint8Array, from: number): number {
  let at = from;
  while (at < bytes.length) {
    const length = bytes[at]!;
    at++;
    if (length === 0) return at;
    at += length;
  }
  return -1;
}

// ---- WebP (RFC 9649) --------------------------------------------------------

/** A RIFF chunk: its FourCC and where its data lies. */
interface Chunk {
  fourCc: string;
  at: number;
  size: number;
}

/** VP8X flags: bit 1 says the file is animated. */
const VP8X_ANIMATION = 0x02;

/**
 * Checks the RIFF header against the file's length and walks the chunks to
 * the last byte. A simple file is one VP8 or VP8L chunk; an extended one
 * (VP8X) holds one image whose size is the canvas, or animation frames
 * (ANMF) each holding one image that fits on the canvas.
 */
function walkWebp(bytes: Uint8Array): Walked {
  if (bytes.length < 12 || u32le(bytes, 4) !== bytes.length - 8) {
    return "malformed";
  }
  const chunks = readChunks(bytes, 12, bytes.length);
  const first = chunks?.[0];
  if (chunks === undefined || first === undefined) return "malformed";
  if (isImageChunk(first)) {
    return chunks.length === 1
      ? imageSize(bytes, first) ?? "malformed"
      : "malformed";
  }
  if (first.fourCc !== "VP8X" || first.size < 10) return "malformed";
  const canvas = {
    width: 1 + u24le(bytes, first.at + 4),
    height: 1 + u24le(bytes, first.at + 7),
  };
  const rest = chunks.slice(1);
  const images = rest.filter(isImageChunk);
  const frames = rest.filter((chunk) => chunk.fourCc === "ANMF");
  if (bytes[first.at]! & VP8X_ANIMATION) {
    const hasAnim = rest.some((chunk) => chunk.fourCc === "ANIM");
    if (!hasAnim || images.length > 0 || frames.length === 0) {
      return "malformed";
    }
    const framesFit = frames.every((frame) => frameFits(bytes, frame, canvas));
    return framesFit ? canvas : "malformed";
  }
  const image = images.length === 1 && frames.length === 0
    ? imageSize(bytes, images[0]!)
    : undefined;
  // The canvas is where the size is read from, so it must be the image's:
  // a VP8X saying 8x8 around a 16000x16000 VP8L would pass the side limit.
  const same = image !== undefined && image.width === canvas.width &&
    image.height === canvas.height;
  return same ? canvas : "malformed";
}

/**
 * The chunks in `[from, to)`, each padded to an even size, which must end
 * exactly at `to`; undefined when one runs past it.
 */
function readChunks(
  bytes: Uint8Array,
  from: number,
  to: number,
): Chunk[] | undefined {
  const chunks: Chunk[] = [];
  let at = from;
  while (at < to) {
    if (to - at < 8) return undefined;
    const size = u32le(bytes, at + 4);
    const dataAt = at + 8;
    if (size > to - dataAt) return undefined;
    chunks.push({ fourCc: fourCc(bytes, at), at: dataAt, size });
    at = dataAt + size + (size & 1);
  }
  return at === to ? chunks : undefined;
}

function isImageChunk(chunk: Chunk): boolean {
  return chunk.fourCc === "VP8 " || chunk.fourCc === "VP8L";
}

/**
 * Whether an ANMF frame's image, the one VP8 or VP8L chunk among its
 * sub-chunks, has the frame's size and lies within the canvas.
 */
function frameFits(bytes: Uint8Array, frame: Chunk, canvas: Size): boolean {
  // X/2, Y/2, width-1, height-1 and duration (24 bits each), then flags.
  if (frame.size < 16) return false;
  const x = 2 * u24le(bytes, frame.at);
  const y = 2 * u24le(bytes, frame.at + 3);
  const width = 1 + u24le(bytes, frame.at + 6);
  const height = 1 + u24le(bytes, frame.at + 9);
  const inner = readChunks(bytes, frame.at + 16, frame.at + frame.size);
  const images = inner?.filter(isImageChunk) ?? [];
  const image = images.length === 1 ? imageSize(bytes, images[0]!) : undefined;
  return image !== undefined && image.width === width &&
    image.height === height && x + width <= canvas.width &&
    y + height <= canvas.height;
}

/** The size a VP8 or VP8L chunk's header states, if the header is valid. */
function imageSize(bytes: Uint8Array, chunk: Chunk): Size | undefined {
  const at = chunk.at;
  if (chunk.fourCc === "VP8L") {
    if (chunk.size < 5 || bytes[at] !== 0x2f) return undefined;
    const bits = u32le(bytes, at + 1);
    // The top three bits are the version, which is 0.
    if (bits >>> 29 !== 0) return undefined;
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  // The frame tag (3 bytes), the start code 9D 01 2A, 14-bit width and
  // height. The tag must say key frame, a known profile, shown, and a first
  // partition that fits: the checks libwebp's VP8GetInfo makes.
  if (chunk.size < 10) return undefined;
  const tag = u24le(bytes, at);
  const keyFrame = (tag & 1) === 0;
  const knownProfile = ((tag >>> 1) & 7) <= 3;
  const shown = ((tag >>> 4) & 1) === 1;
  const partitionFits = tag >>> 5 < chunk.size;
  const startCode = bytes[at + 3] === 0x9d && bytes[at + 4] === 0x01 &&
    bytes[at + 5] === 0x2a;
  const width = u16le(bytes, at + 6) & 0x3fff;
  const height = u16le(bytes, at + 8) & 0x3fff;
  const valid = keyFrame && knownProfile && shown && partitionFits &&
    startCode && width >= 1 && height >= 1;
  return valid ? { width, height } : undefined;
}

// ---- Bytes ------------------------------------------------------------------
// Callers check the bounds first; these only assemble the bytes.

function u16be(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function u32be(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) |
    (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

function u16le(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8);
}

function u24le(bytes: Uint8Array, at: number): number {
  return bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16);
}

function u32le(bytes: Uint8Array, at: number): number {
  return (u24le(bytes, at) | (bytes[at + 3]! << 24)) >>> 0;
}

function startsWith(bytes: Uint8Array, prefix: ArrayLike<number>): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (bytes[i] !== prefix[i]) return false;
  }
  return true;
}

function ascii(value: string): number[] {
  return Array.from(value, (char) => char.charCodeAt(0));
}

/** The four bytes at `at` as Latin-1 text, for comparing type codes. */
function fourCc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(
    bytes[at] ?? 0,
    bytes[at + 1] ?? 0,
    bytes[at + 2] ?? 0,
    bytes[at + 3] ?? 0,
  );
}

/** Whether the `length` bytes at `at` are all ASCII letters. */
function isLetters(bytes: Uint8Array, at: number, length: number): boolean {
  for (let i = at; i < at + length; i++) {
    const byte = bytes[i] ?? 0;
    const upper = byte & ~0x20;
    if (upper < 0x41 || upper > 0x5a) return false;
  }
  return true;
}
