/**
 * The lock file beside a database that keeps a second server off it.
 *
 * @module
 */

/**
 * The lock file `<db>.lock` that keeps a second server off a database while
 * one runs (two servers on one file collide on ids and sessions).
 *
 * The file is created atomically (`createNew`) and holds the owner's pid for
 * people to read. Whether it is stale is not judged by that pid (probing a
 * pid needs `--allow-run`, differs per OS, and pids are reused): the owner
 * also holds an exclusive OS lock on the open file for its whole life
 * (`FsFile.tryLockSync`: flock on Unix, LockFileEx on Windows), and the OS
 * drops that lock when the process ends, however it ends (a crash, kill -9).
 * So a lock file whose OS lock can be taken was left by a dead server and is
 * taken over; one whose lock is held belongs to a live one.
 *
 * Operator commands never take this lock: they ask {@linkcode DatabaseLock.isHeld}
 * and, when a server holds it, send their work through that server's control
 * channel (see `control_channel.ts`), so its live sessions see the change.
 */
export class DatabaseLock implements Disposable {
  readonly path: string;
  #file: Deno.FsFile;
  #released = false;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /** The lock file of the database at `dbPath`. */
  static pathFor(dbPath: string): string {
    return `${dbPath}.lock`;
  }

  /**
   * Takes the lock of the database at `dbPath`.
   *
   * @returns the lock, or `undefined` when a running process holds it.
   * @throws {Error} when the lock file cannot be created or written.
   */
  static acquire(dbPath: string): DatabaseLock | undefined {
    const path = DatabaseLock.pathFor(dbPath);
    // A few rounds: the previous owner may remove its file between our open
    // and our lock (a shutdown racing this start).
    for (let round = 0; round < 5; round++) {
      let file: Deno.FsFile;
      try {
        file = Deno.openSync(path, {
          read: true,
          write: true,
          createNew: true,
          mode: 0o644,
        });
      } catch (error) {
        if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
        try {
          file = Deno.openSync(path, { read: true, write: true });
        } catch (error) {
          if (error instanceof Deno.errors.NotFound) continue;
          throw error;
        }
      }
      let locked = false;
      try {
        locked = file.tryLockSync(true);
        if (locked && isSameFile(file, path)) {
          file.truncateSync(0);
          const bytes = new TextEncoder().encode(`${Deno.pid}\n`);
          for (let at = 0; at < bytes.length;) {
            at += file.writeSync(bytes.subarray(at));
          }
          return new DatabaseLock(path, file);
        }
      } catch (error) {
        file.close();
        throw error;
      }
      file.close();
      if (!locked) return undefined;
    }
    throw new Error(
      "the lock file keeps changing; is another server starting?",
    );
  }

  /**
   * Whether a running process holds the lock of the database at `dbPath`.
   * Takes and drops the OS lock to find out; never creates the lock file.
   */
  static isHeld(dbPath: string): boolean {
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(DatabaseLock.pathFor(dbPath), {
        read: true,
        write: true,
      });
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
    try {
      if (!file.tryLockSync(true)) return true;
      file.unlockSync();
      return false;
    } finally {
      file.close();
    }
  }

  /** Removes the lock file and releases the lock; later calls do nothing. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    // Removed while still locked, so nobody takes over a file on its way out.
    try {
      Deno.removeSync(this.path);
    } catch {
      // Removed by hand: nothing left to clean up.
    }
    this.#file.close();
  }

  [Symbol.dispose](): void {
    this.release();
  }
}

/** Whether `path` still names the open `file` (not removed or replaced). */
function isSameFile(file: Deno.FsFile, path: string): boolean {
  let named: Deno.FileInfo;
  try {
    named = Deno.statSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
  const open = file.statSync();
  // Without inode numbers (some Windows file systems) trust the open.
  if (open.ino === null || named.ino === null) return true;
  return open.ino === named.ino && open.dev === named.dev;
}
