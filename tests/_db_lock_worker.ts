/**
 * Worker for `_db_lock.ts`: holds a write transaction on a database file
 * from its own `node:sqlite` connection, as another process would, until the
 * test asks it to let go (or a fallback bound passes).
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";

/** What the test sends to start the worker. */
export interface LockRequest {
  path: string;
  /** Int32 words: [0] 0 idle, 1 held, 2 released; [1] 1 = please release. */
  shared: SharedArrayBuffer;
  /** Let go after this long even if nobody asks, so a test never hangs. */
  maxHoldMs: number;
}

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<LockRequest>) => void) | null;
  postMessage(message: string): void;
};

scope.onmessage = (event) => {
  const { path, shared, maxHoldMs } = event.data;
  const words = new Int32Array(shared);
  const db = new DatabaseSync(path);
  // The server may be mid-commit: wait for it rather than fail.
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec("BEGIN IMMEDIATE");
  Atomics.store(words, 0, 1);
  scope.postMessage("held");
  // Blocks this worker's thread only; the test's thread runs on.
  Atomics.wait(words, 1, 0, maxHoldMs);
  db.exec("ROLLBACK");
  db.close();
  Atomics.store(words, 0, 2);
  scope.postMessage("released");
};
