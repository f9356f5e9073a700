/**
 * Holds a database's write lock from another thread (a Worker with its own
 * `node:sqlite` connection), the way an operator command or a backup tool
 * in another process would. Because the holder runs beside the test's event
 * loop, a test can tell by behaviour whether the server's thread waited for
 * the lock: anything it observes while {@linkcode HeldLock.held} is still
 * true happened without waiting for the release.
 *
 * @module
 */

import type { LockRequest } from "./_db_lock_worker.ts";

/**
 * Fallback release, shorter than the 2 s busy timeout the server used to
 * wait: code that blocks on the lock sees it released (and then succeeds),
 * so a test written against "answered while held" fails instead of hanging.
 */
export const MAX_HOLD_MS = 1_000;

/** A write lock held by another connection. */
export interface HeldLock extends AsyncDisposable {
  /** Whether the other connection still holds the lock right now. */
  held(): boolean;
  /** Rolls the other connection's transaction back; resolves once done. */
  release(): Promise<void>;
}

/** Starts holding `BEGIN IMMEDIATE` on `path`; resolves once it is held. */
export async function holdWriteLock(path: string): Promise<HeldLock> {
  const shared = new SharedArrayBuffer(8);
  const words = new Int32Array(shared);
  const worker = new Worker(
    new URL("./_db_lock_worker.ts", import.meta.url),
    { type: "module" },
  );
  const messages: string[] = [];
  let wake: (() => void) | undefined;
  worker.onmessage = (event: MessageEvent<string>) => {
    messages.push(event.data);
    wake?.();
  };
  const waitFor = async (message: string) => {
    while (!messages.includes(message)) {
      await new Promise<void>((resolve) => wake = resolve);
    }
  };
  const request: LockRequest = { path, shared, maxHoldMs: MAX_HOLD_MS };
  worker.postMessage(request);
  await waitFor("held");
  let released: Promise<void> | undefined;
  const release = () => {
    released ??= (async () => {
      Atomics.store(words, 1, 1);
      Atomics.notify(words, 1);
      await waitFor("released");
      worker.terminate();
    })();
    return released;
  };
  return {
    held: () => Atomics.load(words, 0) === 1,
    release,
    [Symbol.asyncDispose]: release,
  };
}
