/**
 * The folder that holds shared files' bytes (`--files-dir`, next to the
 * database by default). A file is stored under a name made from its id
 * alone (`17.part` while it uploads, `17.bin` once verified), never under
 * a name a user gave, so no upload can reach outside the folder or collide
 * with another. Anything else in the folder is left alone.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { statfs } from "node:fs/promises";
import { join } from "node:path";

/** How a stored file's name looks: `<id>.part` or `<id>.bin`. */
const STORED_NAME = /^([1-9][0-9]{0,15})\.(part|bin)$/;

/** Where {@linkcode FileVault.append} stopped. */
export interface AppendResult {
  /** Bytes the part file holds now. */
  held: number;
  /** Whether the body went on past `limit` (the rest was not written). */
  overflow: boolean;
}

/** The shared files' folder. */
export class FileVault {
  /** The folder. */
  readonly dir: string;

  /** A vault in `dir` (created by {@linkcode openSync}). */
  constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Creates the folder if missing (private to the server's user on Unix;
   * on Windows it inherits its parent's ACL, as the database does).
   */
  openSync(): void {
    Deno.mkdirSync(this.dir, {
      recursive: true,
      ...(Deno.build.os === "windows" ? {} : { mode: 0o700 }),
    });
  }

  /** The path of an upload's bytes. */
  partPath(id: number): string {
    return join(this.dir, `${storedId(id)}.part`);
  }

  /** The path of a verified file's bytes. */
  readyPath(id: number): string {
    return join(this.dir, `${storedId(id)}.bin`);
  }

  /** How many bytes of an upload are held (0 when none). */
  async heldBytes(id: number): Promise<number> {
    try {
      return (await Deno.stat(this.partPath(id))).size;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return 0;
      throw error;
    }
  }

  /**
   * Writes `body` into the upload's part file from `offset` (bytes after it
   * from an earlier try are dropped first), at most up to `limit` bytes in
   * all, handing each written chunk to `onChunk`. A body cut midway keeps
   * every byte received so far; a body longer than `limit` stops there with
   * `overflow`.
   *
   * Chunks are written in batches of {@linkcode WRITE_BATCH_BYTES}: one
   * asynchronous write per 32 KiB chunk of a request body moved 21 MB/s
   * here (each write a trip to the blocking pool), batches over 250 MB/s.
   * A body that pauses for {@linkcode IDLE_FLUSH_MS} has its batch written
   * meanwhile, so a stalled upload's bytes are on disk, not in memory.
   */
  async append(
    id: number,
    offset: number,
    body: ReadableStream<Uint8Array>,
    limit: number,
    onChunk: (chunk: Uint8Array) => void,
  ): Promise<AppendResult> {
    using file = await Deno.open(this.partPath(id), {
      write: true,
      create: true,
    });
    await file.truncate(offset);
    await file.seek(offset, Deno.SeekMode.Start);
    const batch = new WriteBatch(file, onChunk);
    let held = offset;
    const reader = body.getReader();
    try {
      while (true) {
        const { done, value } = await batch.readOrFlush(reader);
        if (done) {
          await batch.flush();
          return { held, overflow: false };
        }
        const room = limit - held;
        const chunk = value.byteLength > room ? value.subarray(0, room) : value;
        held += chunk.byteLength;
        await batch.add(chunk);
        if (chunk !== value) {
          await batch.flush();
          // The rest is not wanted: stop the body instead of draining it.
          await reader.cancel().catch(() => {});
          return { held, overflow: true };
        }
      }
    } catch (error) {
      // Cut midway: what arrived is kept for the resume.
      await batch.flush();
      throw error;
    } finally {
      reader.releaseLock();
    }
  }

  /** Turns a verified upload into a stored file. */
  async finish(id: number): Promise<void> {
    await Deno.rename(this.partPath(id), this.readyPath(id));
  }

  /** Removes a file's bytes, uploading or stored; nothing if none. */
  async remove(id: number): Promise<void> {
    for (const path of [this.partPath(id), this.readyPath(id)]) {
      try {
        await Deno.remove(path);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
  }

  /** The SHA-256 (hex) of an upload's part file, streamed. */
  async partSha256(id: number): Promise<string> {
    const hash = createHash("sha256");
    using file = await Deno.open(this.partPath(id), { read: true });
    for await (const chunk of file.readable) hash.update(chunk);
    return hash.digest("hex");
  }

  /** Opens a stored file for reading. */
  openStored(id: number): Promise<Deno.FsFile> {
    return Deno.open(this.readyPath(id), { read: true });
  }

  /**
   * Free bytes on the folder's disk, for the user, or `undefined` when the
   * system cannot tell.
   */
  async freeBytes(): Promise<number | undefined> {
    try {
      const stats = await statfs(this.dir);
      return Number(stats.bavail) * Number(stats.bsize);
    } catch {
      return undefined;
    }
  }

  /**
   * Removes stored bytes whose id is not in `known` (their record went with
   * a deleted account, or the server stopped between the two); resolves
   * how many files it removed.
   */
  async sweep(known: ReadonlySet<number>): Promise<number> {
    let removed = 0;
    for await (const entry of Deno.readDir(this.dir)) {
      const match = entry.isFile ? STORED_NAME.exec(entry.name) : null;
      if (match === null || known.has(Number(match[1]))) continue;
      try {
        await Deno.remove(join(this.dir, entry.name));
        removed++;
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
    return removed;
  }
}

/** An id as a file name part; anything but a positive safe integer throws. */
function storedId(id: number): string {
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new RangeError(`Cannot name a stored file: bad id ${id}`);
  }
  return String(id);
}

/** Bytes of a body gathered before one write to the part file. */
export const WRITE_BATCH_BYTES = 1024 * 1024;

/** A pause in a body after which what it sent so far is written. */
export const IDLE_FLUSH_MS = 100;

/** Chunks gathered and written together, each handed on once written. */
class WriteBatch {
  #file: Deno.FsFile;
  #onChunk: (chunk: Uint8Array) => void;
  #chunks: Uint8Array[] = [];
  #bytes = 0;

  constructor(file: Deno.FsFile, onChunk: (chunk: Uint8Array) => void) {
    this.#file = file;
    this.#onChunk = onChunk;
  }

  /**
   * The reader's next chunk; when it takes longer than
   * {@linkcode IDLE_FLUSH_MS} and chunks wait, they are written meanwhile.
   */
  async readOrFlush(
    reader: ReadableStreamDefaultReader<Uint8Array>,
  ): Promise<ReadableStreamReadResult<Uint8Array>> {
    const read = reader.read();
    if (this.#chunks.length === 0) return await read;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idle = new Promise<"idle">((resolve) => {
      timer = setTimeout(() => resolve("idle"), IDLE_FLUSH_MS);
    });
    const first = await Promise.race([read, idle]);
    clearTimeout(timer);
    if (first !== "idle") return first;
    await this.flush();
    return await read;
  }

  async add(chunk: Uint8Array): Promise<void> {
    this.#chunks.push(chunk);
    this.#bytes += chunk.byteLength;
    if (this.#bytes >= WRITE_BATCH_BYTES) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#chunks.length === 0) return;
    const chunks = this.#chunks;
    const joined = new Uint8Array(this.#bytes);
    let at = 0;
    for (const chunk of chunks) {
      joined.set(chunk, at);
      at += chunk.byteLength;
    }
    this.#chunks = [];
    this.#bytes = 0;
    await writeAll(this.#file, joined);
    for (const chunk of chunks) this.#onChunk(chunk);
  }
}

async function writeAll(file: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  let written = 0;
  while (written < chunk.byteLength) {
    written += await file.write(chunk.subarray(written));
  }
}
