/**
 * Avatar pictures over HTTP on the web port (docs/PROTOCOL.md, 17):
 * `PUT /avatar` with a single-use ticket from `AVATAR_IMAGE` stores a
 * picture once {@linkcode inspectAvatarImage} accepted it (PNG, JPEG, GIF or
 * WebP by content, never SVG); `GET /avatars/<username>` serves it with the
 * type found then, `nosniff` and a sandboxing CSP, so a picture that is
 * also something else is never run as that.
 *
 * @module
 */

import { normalizeUsername } from "../../shared/username.ts";
import type { AccountStore, AvatarStore } from "../../store/store.ts";
import {
  avatarExtension,
  type AvatarImageType,
  inspectAvatarImage,
  MAX_AVATAR_BYTES,
} from "./avatar_image.ts";
import type { FileTickets } from "./file_tickets.ts";
import {
  bearerToken,
  failure,
  hasLength,
  json,
  lengthRequired,
} from "./file_transfers.ts";

/** Where pictures are uploaded. */
export const AVATAR_UPLOAD_PATH = "/avatar";
/** Where pictures are served: `/avatars/<username>`. */
export const AVATARS_PATH = "/avatars/";
/** How long an upload's body may take to arrive. */
export const AVATAR_BODY_TIMEOUT_MS = 30_000;

/** What {@linkcode AvatarHttp} needs. */
export interface AvatarHttpOptions {
  store: AccountStore & AvatarStore;
  tickets: FileTickets;
  /** Whether the session a ticket was issued to is still in the chat. */
  isLive(holder: object): boolean;
  /** A picture of the ticket holder's account was stored as `version`. */
  onStored(holder: object, version: number): void;
}

/** Answers the avatar requests of the web port. */
export class AvatarHttp {
  #options: AvatarHttpOptions;

  constructor(options: AvatarHttpOptions) {
    this.#options = options;
  }

  /** Whether `pathname` is one of this class's. */
  static handles(pathname: string): boolean {
    return pathname === AVATAR_UPLOAD_PATH || pathname.startsWith(AVATARS_PATH);
  }

  /** Answers `PUT /avatar` and `GET`/`HEAD /avatars/<username>`. */
  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === AVATAR_UPLOAD_PATH) {
      if (request.method !== "PUT") return notAllowed("PUT");
      return await this.#upload(request);
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return notAllowed("GET, HEAD");
    }
    return await this.#serve(url, request.method === "HEAD");
  }

  async #upload(request: Request): Promise<Response> {
    if (!hasLength(request)) {
      await request.body?.cancel();
      return lengthRequired();
    }
    const token = bearerToken(request);
    const grant = token === null
      ? undefined
      : this.#options.tickets.redeem(token, null, "avatar");
    if (grant === undefined) {
      await request.body?.cancel();
      return failure(
        403,
        "invalid_token",
        "The ticket is unknown, expired or used; ask the chat for a new one",
      );
    }
    if (!this.#options.isLive(grant.holder)) {
      await request.body?.cancel();
      return failure(403, "session_ended", "The chat session has ended");
    }
    const declared = Number(request.headers.get("content-length") ?? "0");
    if (declared > MAX_AVATAR_BYTES) {
      await request.body?.cancel();
      return tooLarge();
    }
    const bytes = await readBounded(request, MAX_AVATAR_BYTES);
    if (bytes === "too_large") return tooLarge();
    if (bytes === "interrupted") {
      return failure(400, "interrupted", "The upload broke off");
    }
    const check = inspectAvatarImage(bytes);
    if (!check.ok) {
      return check.problem === "too_large" ? tooLarge() : check.problem ===
            "svg" ||
          check.problem === "unknown_format" || check.problem === "empty"
        ? failure(
          415,
          "unsupported_image",
          "Only PNG, JPEG, GIF and WebP pictures are accepted",
        )
        : failure(
          422,
          "invalid_image",
          check.problem === "too_many_pixels"
            ? "The picture is larger than 1024 x 1024 pixels"
            : "The picture is damaged or not what it claims to be",
        );
    }
    const version = await this.#options.store.setAvatarImage(grant.fileId, {
      type: check.type,
      bytes,
    });
    if (version === undefined) {
      return failure(403, "session_ended", "The account no longer exists");
    }
    this.#options.onStored(grant.holder, version);
    return json(201, { version });
  }

  async #serve(url: URL, head: boolean): Promise<Response> {
    let name: string;
    try {
      name = decodeURIComponent(url.pathname.slice(AVATARS_PATH.length));
    } catch {
      return notFound();
    }
    const username = normalizeUsername(name, { allowReserved: true });
    if (!username.ok) return notFound();
    const store = this.#options.store;
    const account = await store.getAccount(username.key);
    const image = account === undefined
      ? undefined
      : await store.getAvatarImage(account.id);
    if (image === undefined) return notFound();
    // A URL with the current version never changes: cache it for good.
    const current = url.searchParams.get("v") === String(image.version);
    const type = image.type as AvatarImageType;
    return new Response(head ? null : image.bytes as Uint8Array<ArrayBuffer>, {
      status: 200,
      headers: {
        "Content-Type": type,
        "Content-Length": String(image.bytes.length),
        "Content-Disposition": `inline; filename="avatar.${
          avatarExtension(type)
        }"`,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cross-Origin-Resource-Policy": "same-origin",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": current
          ? "public, max-age=31536000, immutable"
          : "no-cache",
        "ETag": `"${image.version}"`,
      },
    });
  }
}

/**
 * The body, read to its end but never past `max` bytes, nor for longer
 * than {@linkcode AVATAR_BODY_TIMEOUT_MS}.
 */
async function readBounded(
  request: Request,
  max: number,
): Promise<Uint8Array | "too_large" | "interrupted"> {
  const reader = request.body?.getReader();
  if (reader === undefined) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  let late = false;
  const timer = setTimeout(() => {
    late = true;
    reader.cancel("too slow").catch(() => {});
  }, AVATAR_BODY_TIMEOUT_MS);
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      length += value.length;
      if (length > max) {
        await reader.cancel("too large").catch(() => {});
        return "too_large";
      }
      chunks.push(value);
    }
  } catch {
    return "interrupted";
  } finally {
    clearTimeout(timer);
  }
  if (late) return "interrupted";
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
}

function tooLarge(): Response {
  return failure(
    413,
    "too_large",
    `The picture is larger than ${MAX_AVATAR_BYTES / 1024} KiB`,
  );
}

function notFound(): Response {
  return failure(404, "no_avatar", "This user has no picture");
}

function notAllowed(allow: string): Response {
  return failure(405, "method_not_allowed", `Use ${allow}`, { Allow: allow });
}
