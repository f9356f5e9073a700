/**
 * The terminal client's side of file sharing's HTTP transfers (issue 15,
 * docs in FILES_HTTP): the file's SHA-256 before it is announced, the upload
 * (`PUT /files/<id>`, resumable from the offset the server holds) and the
 * download (`GET /files/<id>`, resumable with `Range` into a part file), both
 * streamed in chunks so a large file never sits in memory. The chat verbs
 * that hand out tokens are the caller's job; a token is single-use, so after
 * a {@linkcode TransferError} the caller asks the chat for a new one.
 *
 * @module
 */

import { putWithLength } from "./http_put.ts";
import { createHash } from "node:crypto";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { safeFileName, uniqueFileName } from "../shared/file_names.ts";
import { sanitizeServerText } from "./view.ts";

/** Bytes read from disk per chunk: small enough to stream, big enough to be quick. */
const CHUNK_BYTES = 64 * 1024;

/** The longest server message kept in a {@linkcode TransferError}. */
const MAX_SERVER_MESSAGE = 200;

/**
 * A transfer that failed in a way the caller handles. `code` is the server's
 * JSON `error` code (`invalid_token`, `too_large`, `hash_mismatch`,
 * `disk_full`, `no_such_file`, …), `http_<status>` when the server gave none,
 * `network` when the connection failed (the server keeps what it received;
 * a download keeps its part file), or one of the client's own:
 * `file_changed` (the file on disk is not the size announced),
 * `hash_mismatch` (a download's bytes do not hash to the announced SHA-256;
 * its part file is deleted), `bad_response` (the server answered outside the
 * contract), `unsafe_path` (a path to write would leave the folder, or the
 * part file is not a plain file).
 */
export class TransferError extends Error {
  /** What went wrong, for the caller to choose a message or a retry. */
  readonly code: string;

  /** A failure with its `code` and a `message` for logs. */
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TransferError";
    this.code = code;
  }
}

/**
 * The transfer URL of file `fileId` on the server's web port:
 * `http(s)://host:port/files/<id>`, an IPv6 host in brackets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { transferUrl } from "./file_transfer.ts";
 *
 * assert.equal(transferUrl("::1", 8080, 7, false), "http://[::1]:8080/files/7");
 * assert.equal(transferUrl("chat.example", 443, 7, true), "https://chat.example:443/files/7");
 * ```
 */
export function transferUrl(
  host: string,
  port: number,
  fileId: number,
  tls: boolean,
): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`Cannot build a transfer URL: bad port ${port}`);
  }
  if (!Number.isSafeInteger(fileId) || fileId < 1) {
    throw new RangeError(`Cannot build a transfer URL: bad file id ${fileId}`);
  }
  const bare = host.startsWith("[") && host.endsWith("]")
    ? host.slice(1, -1)
    : host;
  const shown = bare.includes(":") ? `[${bare}]` : bare;
  return `${tls ? "https" : "http"}://${shown}:${port}/files/${fileId}`;
}

/**
 * The lowercase hex SHA-256 of the file at `path`, read in chunks (a file of
 * any size, in little memory). Rejects with `signal`'s reason once it aborts.
 */
export async function fileSha256(
  path: string,
  signal?: AbortSignal,
): Promise<string> {
  signal?.throwIfAborted();
  const hash = createHash("sha256");
  using file = await Deno.open(path, { read: true });
  const buffer = new Uint8Array(CHUNK_BYTES);
  for (;;) {
    signal?.throwIfAborted();
    const read = await file.read(buffer);
    if (read === null) break;
    hash.update(buffer.subarray(0, read));
  }
  return hash.digest("hex");
}

/** What {@linkcode uploadFile} sends and where. */
export interface UploadOptions {
  /** `http(s)://host:port/files/<id>`, see {@linkcode transferUrl}. */
  url: string;
  /** The single-use token from `FILE_UPLOAD`. */
  token: string;
  /** The file on disk. */
  path: string;
  /** The bytes the server already holds, from `FILE_UPLOAD`; sending starts there. */
  offset: number;
  /** The size announced in `FILE_SEND`; the file must still have it. */
  size: number;
  /**
   * The CA certificates (PEM) an `https:` upload trusts, e.g. the chat's
   * pinned one. @default {undefined} (the system's)
   */
  caCerts?: string[];
  /**
   * Cancels the upload; the promise then rejects with its reason.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Told the bytes the server will hold so far (offset included) and the
   * size, as they are read into the request body; ends at `size` on success.
   * @default {undefined}
   */
  onProgress?: (sent: number, total: number) => void;
}

/** How an upload ended that the caller carries on from. */
export type UploadResult =
  /** 201: every byte is in, the server verified the hash, the file is shared. */
  | { status: "complete" }
  /** 409: the server holds `held` bytes; ask a new token, resume from there. */
  | { status: "offset_mismatch"; held: number };

/**
 * PUTs the file's bytes from `offset` to its end, streamed with a
 * `Content-Length` (see `http_put.ts` for why not `fetch`). Resolves on 201
 * and 409; rejects with a {@linkcode TransferError} otherwise (`network`
 * when the connection fails midway: the server keeps what it received).
 */
export async function uploadFile(
  options: UploadOptions,
): Promise<UploadResult> {
  const { size, offset, signal } = options;
  checkSize(size);
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > size) {
    throw new RangeError(`Cannot upload from offset ${offset} of ${size}`);
  }
  signal?.throwIfAborted();
  const file = await Deno.open(options.path, { read: true });
  let closed = false;
  const close = () => {
    if (!closed) {
      closed = true;
      file.close();
    }
  };
  try {
    const onDisk = (await file.stat()).size;
    if (onDisk !== size) {
      throw new TransferError(
        "file_changed",
        `The file is ${onDisk} bytes, not the ${size} announced`,
      );
    }
    await file.seek(offset, Deno.SeekMode.Start);
    const progress = new Progress(size, options.onProgress);
    let sent = offset;
    // Set when the file ends early (changed on disk while it was read).
    let shrunk: TransferError | undefined;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (sent === size) {
          close();
          controller.close();
          return;
        }
        const chunk = new Uint8Array(Math.min(CHUNK_BYTES, size - sent));
        const read = closed ? null : await file.read(chunk);
        if (read === null) {
          shrunk = new TransferError(
            "file_changed",
            `The file ended after ${sent} of its ${size} bytes`,
          );
          close();
          controller.error(shrunk);
          return;
        }
        sent += read;
        controller.enqueue(chunk.subarray(0, read));
        progress.report(sent);
      },
      cancel() {
        close();
      },
    });
    let answer;
    try {
      answer = await putWithLength({
        url: options.url,
        headers: {
          "Authorization": `Bearer ${options.token}`,
          "Upload-Offset": String(offset),
          "Content-Type": "application/octet-stream",
        },
        length: size - offset,
        body,
        caCerts: options.caCerts,
        signal,
      });
    } catch (error) {
      if (shrunk) throw shrunk;
      throw networkError(error, signal);
    }
    if (shrunk) throw shrunk;
    const response = new Response(answer.text, {
      status: answer.status,
      headers: answer.headers,
    });
    if (response.status === 201) {
      await response.body?.cancel();
      progress.report(size);
      return { status: "complete" };
    }
    if (response.status === 409) {
      const held = parseHeld(response.headers.get("Upload-Offset"), size);
      if (held !== undefined) {
        await response.body?.cancel();
        return { status: "offset_mismatch", held };
      }
    }
    throw await responseError(response, signal);
  } finally {
    close();
  }
}

/** What {@linkcode downloadFile} fetches and where it writes it. */
export interface DownloadOptions {
  /** `http(s)://host:port/files/<id>`, see {@linkcode transferUrl}. */
  url: string;
  /** The single-use token from `FILE_DOWNLOAD`. */
  token: string;
  /** The folder to write into (created if missing); nothing is written outside it. */
  folder: string;
  /** The name from `FILE_DOWNLOAD`, as the sender gave it (made safe here). */
  name: string;
  /** The file's id, part of the part file's name so two downloads never share one. */
  fileId: number;
  /** The size from `FILE_DOWNLOAD`. */
  size: number;
  /** The lowercase hex SHA-256 from `FILE_DOWNLOAD`; the bytes must hash to it. */
  sha256: string;
  /**
   * The HTTP client, e.g. one trusting the chat's pinned certificate.
   * @default {undefined} (fetch's own)
   */
  client?: Deno.HttpClient;
  /**
   * Cancels the download (the part file is kept); the promise then rejects
   * with its reason.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Told the bytes on disk so far and the size, as they arrive; ends at
   * `size` on success.
   * @default {undefined}
   */
  onProgress?: (received: number, total: number) => void;
}

/** Where a finished download was put. */
export interface DownloadResult {
  /** The file's absolute path: a new name in the folder, never one that existed. */
  path: string;
}

/**
 * Downloads the file into `folder` through a part file
 * (`<safe name>.f<fileId>.part`), resuming it with `Range` when it exists,
 * checks its SHA-256 and moves it to a free name there (`name (1).ext` when
 * `name.ext` is taken; an existing file is never overwritten). Rejects with
 * a {@linkcode TransferError}: `network` keeps the part file for a resume
 * with a new token; `hash_mismatch` deletes it.
 */
export async function downloadFile(
  options: DownloadOptions,
): Promise<DownloadResult> {
  const { size, signal } = options;
  checkSize(size);
  if (!/^[0-9a-f]{64}$/.test(options.sha256)) {
    throw new TypeError("Cannot download: the SHA-256 is not 64 hex digits");
  }
  if (!Number.isSafeInteger(options.fileId) || options.fileId < 1) {
    throw new RangeError(`Cannot download: bad file id ${options.fileId}`);
  }
  signal?.throwIfAborted();
  const folder = resolve(options.folder);
  const safeName = safeFileName(options.name);
  const part = insideFolder(folder, `${safeName}.f${options.fileId}.part`);
  await Deno.mkdir(folder, { recursive: true });
  const progress = new Progress(size, options.onProgress);

  const held = await partSize(part);
  if (held === undefined || held < size) {
    await fetchInto(part, held ?? 0, options, progress);
  } else if (held > size) {
    await fetchInto(part, 0, options, progress); // not this file's part: start over
  } else {
    progress.report(size);
  }

  const digest = await fileSha256(part, signal);
  if (digest !== options.sha256) {
    await Deno.remove(part);
    throw new TransferError(
      "hash_mismatch",
      "The downloaded bytes do not match the file's SHA-256",
    );
  }
  return { path: await moveToFreeName(folder, safeName, part) };
}

/** GETs the bytes from `held` on and appends them to the part file. */
async function fetchInto(
  part: string,
  held: number,
  options: DownloadOptions,
  progress: Progress,
): Promise<void> {
  const { size, signal } = options;
  const headers: Record<string, string> = {
    "Authorization": `Bearer ${options.token}`,
  };
  if (held > 0) headers["Range"] = `bytes=${held}-`;
  let response: Response;
  try {
    response = await fetch(options.url, {
      headers,
      client: options.client,
      signal,
    });
  } catch (error) {
    throw networkError(error, signal);
  }
  let start: number;
  if (response.status === 200) {
    start = 0; // the whole file again (the server ignored the range)
  } else if (response.status === 206 && held > 0) {
    start = parseRangeStart(response.headers.get("Content-Range"), size);
    if (start !== held) {
      await response.body?.cancel();
      throw new TransferError(
        "bad_response",
        `Asked for bytes from ${held}, got ${
          response.headers.get("Content-Range")
        }`,
      );
    }
  } else {
    // A range past the server's end: the part is not of this file; the next try starts over.
    if (response.status === 416 && held > 0) await Deno.remove(part);
    throw await responseError(response, signal);
  }
  const body = response.body;
  if (body === null) {
    throw new TransferError("bad_response", "The download has no body");
  }

  // Opened only now: a refused request leaves the folder as it was.
  using file = await Deno.open(part, { write: true, create: true });
  await file.truncate(start);
  await file.seek(start, Deno.SeekMode.Start);
  let received = start;
  const reader = body.getReader();
  try {
    for (;;) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        throw networkError(error, signal); // the part file stays for a resume
      }
      // Bytes fetch has buffered still arrive after an abort: stop here.
      signal?.throwIfAborted();
      if (next.done) break;
      const chunk = next.value;
      if (received + chunk.byteLength > size) {
        await file.truncate(0);
        throw new TransferError(
          "bad_response",
          `The server sent more than the file's ${size} bytes`,
        );
      }
      await writeAll(file, chunk); // a disk error is thrown as it is
      received += chunk.byteLength;
      progress.report(received);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  }
  if (received < size) {
    throw new TransferError(
      "network",
      `The download ended after ${received} of ${size} bytes`,
    );
  }
}

/**
 * Reserves the first free name in the folder (an empty file created only if
 * none exists, so a file that appears meanwhile is never overwritten) and
 * renames the part file over it.
 */
async function moveToFreeName(
  folder: string,
  safeName: string,
  part: string,
): Promise<string> {
  for (;;) {
    const name = await uniqueFileName(
      safeName,
      async (candidate) => await exists(insideFolder(folder, candidate)),
    );
    const final = insideFolder(folder, name);
    try {
      const reserved = await Deno.open(final, { createNew: true, write: true });
      reserved.close();
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw error;
    }
    try {
      await Deno.rename(part, final);
    } catch (error) {
      await Deno.remove(final).catch(() => {});
      throw error;
    }
    return final;
  }
}

/**
 * `name` joined to `folder` (absolute), checked to be a direct child of it:
 * a second guard behind {@linkcode safeFileName} against a name that climbs
 * out (`..`), is absolute, or has a separator.
 */
function insideFolder(folder: string, name: string): string {
  const path = resolve(folder, name);
  const rel = relative(folder, path);
  if (
    rel === "" || rel === ".." || rel.startsWith(`..${sep}`) ||
    isAbsolute(rel) || rel.includes(sep) || rel.includes("/")
  ) {
    throw new TransferError(
      "unsafe_path",
      `Refusing to write ${JSON.stringify(name)} outside the download folder`,
    );
  }
  return path;
}

/** The part file's size, if there is one; refuses anything but a plain file. */
async function partSize(part: string): Promise<number | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(part);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  if (!info.isFile) {
    // A link or folder under our part's name: writing through it could land outside.
    throw new TransferError(
      "unsafe_path",
      "The part file is not a plain file",
    );
  }
  return info.size;
}

/** Whether anything (a file, a folder, a dangling link) has this path. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.byteLength) {
    written += await file.write(bytes.subarray(written));
  }
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`Cannot transfer a file of size ${size}`);
  }
}

/** The held offset from a 409's `Upload-Offset`, if it is a sane one. */
function parseHeld(header: string | null, size: number): number | undefined {
  if (header === null || !/^\d{1,16}$/.test(header)) return undefined;
  const held = Number(header);
  return held <= size ? held : undefined;
}

/** The first byte of `Content-Range: bytes n-(size-1)/size`; -1 if it is not that. */
function parseRangeStart(header: string | null, size: number): number {
  const match = /^bytes (\d{1,16})-(\d{1,16})\/(\d{1,16})$/.exec(
    header?.trim() ?? "",
  );
  if (!match) return -1;
  const [, first, last, total] = match.map(Number) as number[];
  return last === size - 1 && total === size ? first ?? -1 : -1;
}

/** A fetch that threw: the caller's abort as is, anything else `network`. */
function networkError(error: unknown, signal?: AbortSignal): unknown {
  if (signal?.aborted) return signal.reason;
  if (error instanceof TransferError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new TransferError(
    "network",
    `The transfer's connection failed: ${sanitizeServerText(detail)}`,
    { cause: error },
  );
}

/** A refusal: the JSON `{error, message}` body's code, else `http_<status>`. */
async function responseError(
  response: Response,
  signal?: AbortSignal,
): Promise<unknown> {
  let code = `http_${response.status}`;
  let message = `The server answered ${response.status}`;
  try {
    const body: unknown = JSON.parse(await response.text());
    if (typeof body === "object" && body !== null) {
      const { error, message: text } = body as Record<string, unknown>;
      if (typeof error === "string" && /^[a-z][a-z0-9_]{0,39}$/.test(error)) {
        code = error;
      }
      if (typeof text === "string" && text !== "") {
        // The server's words reach a terminal: no escapes, not too long.
        message = sanitizeServerText(text).slice(0, MAX_SERVER_MESSAGE);
      }
    }
  } catch (error) {
    if (signal?.aborted) return signal.reason;
    // Not JSON, or the body broke off: the status alone says enough.
    void error;
  }
  return new TransferError(code, message);
}

/** Progress reports that only ever go up. */
class Progress {
  #last = -1;
  readonly #total: number;
  readonly #report?: (done: number, total: number) => void;

  constructor(total: number, report?: (done: number, total: number) => void) {
    this.#total = total;
    this.#report = report;
  }

  report(done: number): void {
    if (done <= this.#last) return;
    this.#last = done;
    this.#report?.(done, this.#total);
  }
}
