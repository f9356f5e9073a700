/**
 * The HTTP side of file sharing, on the web port: `PUT /files/<id>` takes
 * an upload's bytes from the offset the server holds, `GET /files/<id>`
 * serves a stored file (whole or from a `Range`), each authorized by a
 * single-use ticket (`file_tickets.ts`). The bytes never pass through a chat
 * connection, so a transfer cannot hold up anyone's chat lines. An upload
 * is checked against its announced size as it arrives and against its
 * announced SHA-256 when complete; only then is it shared. A download is
 * always an attachment that no browser renders. See docs/PROTOCOL.md, Files.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import type { Clock } from "../../shared/clock.ts";
import type { FileStore, StoredFile } from "../../store/store.ts";
import type { FileTickets, TicketGrant } from "./file_tickets.ts";
import type { FileVault } from "./file_vault.ts";

/** The path prefix of transfers. */
export const FILES_PATH = "/files/";

/** Transfers one session may run at once. */
export const MAX_TRANSFERS_PER_HOLDER = 4;

/** Headers on every transfer response. */
const TRANSFER_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy": "default-src 'none'; sandbox",
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
};

/** What {@linkcode FileTransfers} needs. */
export interface FileTransfersOptions {
  store: FileStore;
  vault: FileVault;
  tickets: FileTickets;
  clock: Clock;
  /** Whether the session a ticket was issued to is still logged in. */
  isLive(holder: object): boolean;
  /** Free disk to keep, in bytes: uploads that would pass it are refused. */
  minFreeBytes: number;
  /**
   * Shares a verified upload (its bytes are stored): records it complete
   * and tells its recipients. Resolves once that is stored.
   */
  onUploaded(file: StoredFile, holder: object): Promise<void>;
  /** Receives a line for the server log. */
  log(line: string): void;
}

/** An upload's running digest, while its bytes arrive in order. */
interface RunningHash {
  hash: Hash;
  bytes: number;
}

/** The transfers in progress and the requests that start them. */
export class FileTransfers {
  #options: FileTransfersOptions;
  #hashes = new Map<number, RunningHash>();
  /** Uploads being written, by file id: a newer request stops the older. */
  #uploads = new Map<number, { stop: AbortController; done: Promise<void> }>();
  #active = new Map<object, number>();

  /** Transfers with `options`. */
  constructor(options: FileTransfersOptions) {
    this.#options = options;
  }

  /** Answers a request under {@linkcode FILES_PATH}. */
  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const idText = url.pathname.slice(FILES_PATH.length);
    const id = /^[1-9][0-9]{0,15}$/.test(idText) ? Number(idText) : NaN;
    if (!Number.isSafeInteger(id)) {
      return failure(404, "no_such_file", "No such file");
    }
    const token = bearerToken(request) ?? url.searchParams.get("token");
    if (request.method === "PUT") return await this.#upload(request, id, token);
    if (request.method === "GET") {
      return await this.#download(request, id, token);
    }
    return failure(405, "method_not_allowed", "Use GET or PUT", {
      Allow: "GET, PUT",
    });
  }

  /** Forgets an upload's running digest (its file was removed). */
  forget(id: number): void {
    this.#hashes.delete(id);
    this.#uploads.get(id)?.stop.abort();
  }

  async #upload(
    request: Request,
    id: number,
    token: string | null,
  ): Promise<Response> {
    if (!hasLength(request)) {
      await request.body?.cancel().catch(() => {});
      return lengthRequired();
    }
    const grant = this.#redeem(token, id, "upload");
    if (grant === undefined) return invalidToken();
    const offsetText = request.headers.get("upload-offset") ?? "";
    if (!/^(?:0|[1-9][0-9]{0,15})$/.test(offsetText)) {
      return failure(400, "bad_offset", "Upload-Offset must be a byte count");
    }
    // A newer request for the same upload wins: the older one's peer has
    // given up on it, even if its socket has not told us yet. The slot is
    // taken in the same tick as the older one is looked up, so two requests
    // at once queue up instead of both writing the part file.
    const earlier = this.#uploads.get(id);
    const stop = new AbortController();
    let finished!: () => void;
    const done = new Promise<void>((resolve) => finished = resolve);
    this.#uploads.set(id, { stop, done });
    earlier?.stop.abort();
    try {
      await earlier?.done;
      if (stop.signal.aborted) {
        return failure(400, "interrupted", "The upload was interrupted");
      }
      return await this.#uploadAlone(request, id, offsetText, grant, stop);
    } finally {
      if (this.#uploads.get(id)?.stop === stop) this.#uploads.delete(id);
      // A body refused unread is dropped, not left to the connection.
      if (!request.bodyUsed) await request.body?.cancel().catch(() => {});
      finished();
    }
  }

  /** An upload's request once no other request for that upload runs. */
  async #uploadAlone(
    request: Request,
    id: number,
    offsetText: string,
    grant: TicketGrant,
    stop: AbortController,
  ): Promise<Response> {
    // Read after the wait: an earlier request may have completed it.
    const file = await this.#options.store.getFile(id);
    if (file === undefined) return failure(404, "no_such_file", "No such file");
    if (file.completedAt !== null) {
      return json(201, { received: file.size, complete: true });
    }
    const held = await this.#options.vault.heldBytes(id);
    if (Number(offsetText) !== held) {
      return failure(409, "offset_mismatch", `The server holds ${held} bytes`, {
        "Upload-Offset": String(held),
      });
    }
    // Said before a byte is read: discarded as when found while reading.
    if (Number(request.headers.get("content-length")) > file.size - held) {
      await this.#discard(id);
      return failure(413, "too_large", "More bytes than the file's size");
    }
    const free = await this.#options.vault.freeBytes();
    if (
      free !== undefined &&
      free - (file.size - held) < this.#options.minFreeBytes
    ) {
      return failure(507, "disk_full", "The server's disk is nearly full");
    }
    const release = this.#claim(grant.holder);
    if (release === undefined) return busy();
    try {
      return await this.#receive(
        file,
        held,
        request.body ?? new ReadableStream({ start: (c) => c.close() }),
        stop.signal,
        grant,
      );
    } finally {
      release();
    }
  }

  async #receive(
    file: StoredFile,
    held: number,
    body: ReadableStream<Uint8Array>,
    signal: AbortSignal,
    grant: TicketGrant,
  ): Promise<Response> {
    const { vault } = this.#options;
    let running = this.#hashes.get(file.id);
    if (running?.bytes !== held) {
      running = held === 0
        ? { hash: createHash("sha256"), bytes: 0 }
        : undefined;
    }
    if (running === undefined) this.#hashes.delete(file.id);
    else this.#hashes.set(file.id, running);
    const hashing = running;
    let result;
    try {
      result = await vault.append(
        file.id,
        held,
        abortable(body, signal),
        file.size,
        (chunk) => {
          if (hashing === undefined) return;
          hashing.hash.update(chunk);
          hashing.bytes += chunk.byteLength;
        },
      );
    } catch {
      // The peer went away (or a newer request took over): every byte
      // written is kept for the resume; the digest so far stays valid.
      return failure(400, "interrupted", "The upload was interrupted");
    }
    if (result.overflow) {
      await this.#discard(file.id);
      return failure(413, "too_large", "More bytes than the file's size");
    }
    if (result.held < file.size) {
      return json(202, { received: result.held, complete: false });
    }
    if (!this.#options.isLive(grant.holder)) {
      // Kept whole: the same offer after a new login completes it.
      return failure(403, "session_ended", "The chat session has ended");
    }
    const digest = hashing?.bytes === file.size
      ? hashing.hash.digest("hex")
      : await vault.partSha256(file.id);
    this.#hashes.delete(file.id);
    if (digest !== file.sha256) {
      await this.#discard(file.id);
      this.#options.log(
        `[files] upload ${file.id} from ${file.sender} discarded: its SHA-256 is not the announced one`,
      );
      return failure(
        422,
        "hash_mismatch",
        "The bytes do not match the SHA-256",
      );
    }
    await vault.finish(file.id);
    await this.#options.onUploaded(file, grant.holder);
    return json(201, { received: file.size, complete: true });
  }

  async #download(
    request: Request,
    id: number,
    token: string | null,
  ): Promise<Response> {
    const grant = this.#redeem(token, id, "download");
    if (grant === undefined) return invalidToken();
    const file = await this.#options.store.getFile(id);
    if (file === undefined || file.completedAt === null) {
      return failure(404, "no_such_file", "No such file");
    }
    const range = parseRange(request.headers.get("range"), file.size);
    if (range === "unsatisfiable") {
      return failure(416, "bad_range", "The range is past the file's end", {
        "Content-Range": `bytes */${file.size}`,
      });
    }
    const release = this.#claim(grant.holder);
    if (release === undefined) return busy();
    let stored: Deno.FsFile;
    try {
      stored = await this.#options.vault.openStored(id);
    } catch (error) {
      release();
      if (error instanceof Deno.errors.NotFound) {
        return failure(404, "no_such_file", "No such file");
      }
      throw error;
    }
    const start = range ?? 0;
    await stored.seek(start, Deno.SeekMode.Start);
    const headers = new Headers({
      ...TRANSFER_HEADERS,
      "Content-Type": "application/octet-stream",
      "Content-Disposition": attachment(file.name),
      "Content-Length": String(file.size - start),
      "Accept-Ranges": "bytes",
      "Repr-Digest": `sha-256=:${hexToBase64(file.sha256)}:`,
    });
    if (range !== undefined) {
      headers.set(
        "Content-Range",
        `bytes ${start}-${file.size - 1}/${file.size}`,
      );
    }
    return new Response(
      released(stored.readable, release),
      {
        status: range === undefined ? 200 : 206,
        headers,
      },
    );
  }

  #redeem(
    token: string | null,
    id: number,
    direction: TicketGrant["direction"],
  ): TicketGrant | undefined {
    if (token === null || token === "") return undefined;
    const grant = this.#options.tickets.redeem(token, id, direction);
    return grant !== undefined && this.#options.isLive(grant.holder)
      ? grant
      : undefined;
  }

  /** Counts a transfer of `holder`; undefined when it runs its maximum. */
  #claim(holder: object): (() => void) | undefined {
    const running = this.#active.get(holder) ?? 0;
    if (running >= MAX_TRANSFERS_PER_HOLDER) return undefined;
    this.#active.set(holder, running + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#active.get(holder) ?? 1) - 1;
      if (left === 0) this.#active.delete(holder);
      else this.#active.set(holder, left);
    };
  }

  /** Drops an upload that cannot become the announced file. */
  async #discard(id: number): Promise<void> {
    this.#hashes.delete(id);
    await this.#options.vault.remove(id);
    await this.#options.store.deleteFile(id, this.#options.clock.now());
  }
}

/**
 * Whether an upload says its length. A chunked body is refused (411): paced
 * by the disk, chunked bodies cost Deno's server a core (47 s of CPU for
 * 300 MB in 64 KiB chunks, against 0.6 s with a length; issue 15), which
 * would slow every chat on the server. Browsers and the terminal client
 * send a length.
 */
export function hasLength(request: Request): boolean {
  return /^(?:0|[1-9][0-9]{0,15})$/.test(
    request.headers.get("content-length") ?? "",
  ) && request.headers.get("transfer-encoding") === null;
}

/** 411: an upload without `Content-Length` (see {@linkcode hasLength}). */
export function lengthRequired(): Response {
  return failure(
    411,
    "length_required",
    "Send the bytes with a Content-Length, not chunked",
  );
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(request: Request): string | null {
  const header = request.headers.get("authorization");
  const match = header === null
    ? null
    : /^Bearer ([A-Za-z0-9_-]+)$/.exec(header);
  return match === null ? null : match[1] as string;
}

/**
 * The start of a `Range: bytes=<start>-[<end>]` request (the rest of the
 * file is always sent); undefined without one or for one we do not serve
 * (several ranges, a suffix), which gets the whole file.
 */
export function parseRange(
  header: string | null,
  size: number,
): number | undefined | "unsatisfiable" {
  if (header === null) return undefined;
  const match = /^bytes=(0|[1-9][0-9]{0,15})-(?:[0-9]{0,16})$/.exec(
    header.trim(),
  );
  if (match === null) return undefined;
  const start = Number(match[1]);
  if (start === 0) return undefined;
  return start >= size ? "unsatisfiable" : start;
}

/**
 * `Content-Disposition: attachment` with the name in RFC 6266's `filename*`
 * and a plain ASCII fallback, so every browser saves rather than shows it.
 */
export function attachment(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]|["\\%;]/g, "_");
  return `attachment; filename="${fallback}"; filename*=UTF-8''${
    encodeURIComponent(name).replace(
      /['()*]/g,
      (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
    )
  }`;
}

function hexToBase64(hex: string): string {
  const bytes = hex.match(/../g)?.map((pair) => parseInt(pair, 16)) ?? [];
  return btoa(String.fromCharCode(...bytes));
}

/** A body that ends (with an error) when `signal` aborts. */
function abortable(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  // Cancelling the reader ends a read in progress (as done) and stops the
  // request's body, so nothing is left reading it, even when the abort came
  // before the first read. No race per read: a promise raced against each
  // read would keep every chunk reachable and the heap would grow with the
  // upload (hundreds of MB for a large file).
  const stop = () => void reader.cancel(signal.reason).catch(() => {});
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (signal.aborted) throw signal.reason;
      const { done, value } = await reader.read();
      // Cancelled by the abort, the read ends as if the body had: it did not.
      if (signal.aborted) throw signal.reason;
      if (done) {
        signal.removeEventListener("abort", stop);
        controller.close();
      } else {
        controller.enqueue(value);
      }
    },
    cancel(reason) {
      signal.removeEventListener("abort", stop);
      return reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/** A stream that calls `release` once it ends, fails or is cancelled. */
function released(
  stream: ReadableStream<Uint8Array>,
  release: () => void,
): ReadableStream<Uint8Array> {
  const reader = stream.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          release();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        release();
        controller.error(error);
      }
    },
    async cancel(reason) {
      release();
      await reader.cancel(reason);
    },
  }, { highWaterMark: 0 });
}

/** A JSON response with the transfer headers (no caching, nosniff). */
export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { ...TRANSFER_HEADERS, "Content-Type": "application/json" },
  });
}

/**
 * A JSON failure `{"error": <code>, "message": <English sentence>}` with
 * the transfer headers (no caching, nosniff) and any `extra` ones.
 */
export function failure(
  status: number,
  error: string,
  message: string,
  extra: Record<string, string> = {},
): Response {
  const response = json(status, { error, message });
  for (const [name, value] of Object.entries(extra)) {
    response.headers.set(name, value);
  }
  return response;
}

function invalidToken(): Response {
  return failure(
    403,
    "invalid_token",
    "The ticket is unknown, expired or used; ask the chat for a new one",
  );
}

function busy(): Response {
  return failure(429, "too_many_transfers", "Too many transfers at once", {
    "Retry-After": "5",
  });
}
