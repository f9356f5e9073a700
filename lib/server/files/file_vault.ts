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
   * every byte written so far; a body longer than `limit` stops there with
   * `overflow`.
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
    let held = offset;
    const reader = body.getReader();
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) return { held, overflow: false };
        const room = limit - held;
        const chunk = value.byteLength > room ? value.subarray(0, room) : value;
        await writeAll(file, chunk);
        held += chunk.byteLength;
        onChunk(chunk);
        if (chunk !== value) {
          // The rest is not wanted: stop the body instead of draining it.
          await reader.cancel().catch(() => {});
          return { held, overflow: true };
        }
      }
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

async function writeAll(file: Deno.FsFile, chunk: Uint8Array): Promise<void> {
  let written = 0;
  while (written < chunk.byteLength) {
    written += await file.write(chunk.subarray(written));
  }
}
