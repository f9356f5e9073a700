/// <reference lib="dom" />
/**
 * Uploading an avatar picture: the page draws the picked picture onto a
 * canvas, cut to a square of at most 256×256 pixels, and exports it as
 * WebP (PNG where the browser cannot), so what it sends is small and
 * freshly encoded whatever was picked; then it asks for a ticket
 * (`AVATAR_IMAGE <size>`, answered `AVATAR_UPLOAD <port> <token>`) and PUTs
 * the bytes to `/avatar` on that port of this page's host, as file
 * transfers do (`page_files.ts`). The server checks the picture again.
 *
 * @module
 */

import type { Command, Reply } from "../protocol/protocol.ts";
import { formatBytes } from "../shared/file_names.ts";
import { type Lang, type MessageKey, t } from "../shared/messages.ts";
import {
  AVATAR_PICK_TYPES,
  AVATAR_UPLOAD_PATH,
  MAX_AVATAR_IMAGE_BYTES,
  squareCut,
  uploadProblem,
} from "../web/avatar_picture.ts";

/** How long to wait for the ticket before giving up. */
const TICKET_WAIT_MS = 15_000;
/** WebP qualities tried, best first, until the picture is small enough. */
const WEBP_QUALITIES = [0.9, 0.75, 0.55];
/** `ERROR` codes (and `MUTED`) that answer `AVATAR_IMAGE`. */
const TICKET_REFUSALS: ReadonlySet<string> = new Set([
  "files_disabled",
  "file_too_large",
  "rate_limited",
  "invalid_command",
]);

/** What the upload needs from the page. */
export interface AvatarUploadHost {
  lang(): Lang;
  /** Sends a command on the chat socket; false when it is down. */
  send(command: Command): boolean;
  /** The page's origin's protocol and host name, for the upload's URL. */
  location: { protocol: string; hostname: string };
}

/** How an upload ended: done, or the sentence saying why not. */
export type UploadResult = { ok: true } | { ok: false; text: string };

type Ticket = Extract<Reply, { type: "avatar_upload" }>;

/** The page's avatar uploads (one at a time). */
export class AvatarUpload {
  #doc: Document;
  #host: AvatarUploadHost;
  #waiting: ((ticket: Ticket | undefined) => void) | undefined;

  /** Uploads for the page in `doc`. */
  constructor(doc: Document, host: AvatarUploadHost) {
    this.#doc = doc;
    this.#host = host;
  }

  /** Whether an upload is on its way. */
  get busy(): boolean {
    return this.#waiting !== undefined;
  }

  /** Takes the server's ticket; false if no upload waited for one. */
  ticket(reply: Ticket): boolean {
    const waiting = this.#waiting;
    if (waiting === undefined) return false;
    waiting(reply);
    return true;
  }

  /** An `ERROR` or `MUTED` that may answer the ticket asked for. */
  refused(reply: Reply): void {
    const answers = reply.type === "muted" ||
      (reply.type === "error" && TICKET_REFUSALS.has(reply.code));
    if (answers) this.#waiting?.(undefined);
  }

  /** The socket dropped: the ticket asked for will not come. */
  disconnected(): void {
    this.#waiting?.(undefined);
  }

  /** Encodes `file` and uploads it as the user's avatar. */
  async upload(file: File): Promise<UploadResult> {
    const lang = this.#host.lang();
    const fail = (key: MessageKey): UploadResult => ({
      ok: false,
      text: t(lang, key, { max: formatBytes(MAX_AVATAR_IMAGE_BYTES) }),
    });
    if (this.busy) return fail("webAvatarUploadFailed");
    // The picker offers only these; a file of another type (an SVG) is
    // refused before it is read at all.
    if (file.type !== "" && !AVATAR_PICK_TYPES.includes(file.type)) {
      return fail("webAvatarUnsupported");
    }
    let blob: Blob;
    try {
      blob = await encodeAvatar(this.#doc, file);
    } catch (error) {
      return fail(
        error instanceof AvatarTooLarge
          ? "webAvatarTooLarge"
          : "webAvatarUnreadable",
      );
    }
    const ticket = await this.#ask(blob.size);
    // Refused: the server's error shows as a line of its own.
    if (ticket === undefined) return fail("webAvatarUploadFailed");
    let response: Response;
    try {
      response = await fetch(this.#url(ticket.port), {
        method: "PUT",
        headers: {
          Authorization: `Bearer ${ticket.token}`,
          "Content-Type": blob.type,
        },
        body: blob,
      });
      await response.body?.cancel();
    } catch {
      return fail("webAvatarUploadFailed");
    }
    return response.status === 201
      ? { ok: true }
      : fail(uploadProblem(response.status));
  }

  #ask(size: number): Promise<Ticket | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), TICKET_WAIT_MS);
      const done = (ticket: Ticket | undefined) => {
        clearTimeout(timer);
        this.#waiting = undefined;
        resolve(ticket);
      };
      this.#waiting = done;
      if (!this.#host.send({ type: "avatar_image", size })) done(undefined);
    });
  }

  /** `/avatar` on the ticket's port of this page's host. */
  #url(port: number): string {
    const { protocol, hostname } = this.#host.location;
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    return `${protocol}//${host}:${port}${AVATAR_UPLOAD_PATH}`;
  }
}

/** The encoded picture would be over the server's limit. */
class AvatarTooLarge extends Error {
  constructor() {
    super("Cannot upload avatar: the picture is too large");
    this.name = "AvatarTooLarge";
  }
}

/**
 * `file` drawn as a square of at most 256×256 pixels, as WebP (or PNG
 * where the browser does not write WebP), at most 256 KiB.
 *
 * @throws {AvatarTooLarge} when no quality makes it small enough
 * @throws {Error} when the browser cannot decode the picture
 */
export async function encodeAvatar(doc: Document, file: Blob): Promise<Blob> {
  const bitmap = await createImageBitmap(file);
  const canvas = doc.createElement("canvas");
  try {
    const cut = squareCut(bitmap.width, bitmap.height);
    canvas.width = cut.size;
    canvas.height = cut.size;
    const context = canvas.getContext("2d");
    if (context === null) throw new Error("Cannot draw avatar: no 2d canvas");
    context.imageSmoothingQuality = "high";
    context.drawImage(
      bitmap,
      cut.x,
      cut.y,
      cut.side,
      cut.side,
      0,
      0,
      cut.size,
      cut.size,
    );
  } finally {
    bitmap.close();
  }
  for (const quality of WEBP_QUALITIES) {
    const webp = await canvasBlob(canvas, "image/webp", quality);
    // A browser without a WebP encoder gives PNG (or nothing) instead.
    if (webp === null || webp.type !== "image/webp") break;
    if (webp.size <= MAX_AVATAR_IMAGE_BYTES) return webp;
  }
  const png = await canvasBlob(canvas, "image/png");
  if (png === null) throw new Error("Cannot encode avatar");
  if (png.size > MAX_AVATAR_IMAGE_BYTES) throw new AvatarTooLarge();
  return png;
}

function canvasBlob(
  canvas: HTMLCanvasElement,
  type: string,
  quality?: number,
): Promise<Blob | null> {
  return new Promise((resolve) => canvas.toBlob(resolve, type, quality));
}
