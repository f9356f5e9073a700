/**
 * Shared test helpers: temp databases and a deterministic random source.
 *
 * @module
 */

import { join } from "node:path";
import { SqliteStore } from "../lib/store/sqlite/sqlite_store.ts";

/** A temp directory removed on dispose. */
export async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "tcpchat_test_" });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true });
    },
  };
}

/** A fresh SQLite store in its own temp directory, removed on dispose. */
export async function tempStore(): Promise<
  AsyncDisposable & { store: SqliteStore; dir: string; path: string }
> {
  const dir = await tempDir();
  const path = join(dir.path, "tcpchat.db");
  const store = SqliteStore.open(path);
  return {
    store,
    dir: dir.path,
    path,
    async [Symbol.asyncDispose]() {
      store.close();
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** A deterministic byte source (xorshift), for reproducible tokens and salts. */
export function seededRandom(seed = 1): (length: number) => Uint8Array {
  let state = seed >>> 0 || 1;
  return (length) => {
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      bytes[i] = state & 0xff;
    }
    return bytes;
  };
}
