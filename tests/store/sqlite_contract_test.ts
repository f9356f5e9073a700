/**
 * Runs the store contract suite (`store_contract.ts`) against
 * {@linkcode SqliteStore} on a real file in a temp directory, with a held
 * write lock and a damaged file as its faults.
 */

import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SqliteStore } from "../../lib/store/sqlite/sqlite_store.ts";
import { storeContract } from "./store_contract.ts";

/**
 * Overwrites every page but the first (the schema, which the open store
 * keeps in memory) with garbage, after moving the WAL into the file, as a
 * failing disk would.
 */
function damage(path: string): void {
  const raw = new DatabaseSync(path);
  let pageSize: number;
  try {
    raw.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    pageSize = (raw.prepare("PRAGMA page_size").get() as { page_size: number })
      .page_size;
  } finally {
    raw.close();
  }
  const size = Deno.statSync(path).size;
  using file = Deno.openSync(path, { write: true });
  file.seekSync(pageSize, Deno.SeekMode.Start);
  file.writeSync(new Uint8Array(size - pageSize).fill(0x55));
}

storeContract("SqliteStore", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tcpchat_contract_" });
  const path = join(dir, "tcpchat.db");
  const store = SqliteStore.open(path);
  return {
    store,
    async cleanup() {
      store.close();
      await Deno.remove(dir, { recursive: true });
    },
    faults: {
      holdWriteLock() {
        // Same thread: the store's 10 ms busy timeout runs out while this
        // connection holds the lock, with no timer racing the release.
        const raw = new DatabaseSync(path);
        raw.exec("BEGIN IMMEDIATE");
        return Promise.resolve({
          release() {
            raw.exec("ROLLBACK");
            raw.close();
            return Promise.resolve();
          },
        });
      },
      damage() {
        damage(path);
        return Promise.resolve();
      },
    },
  };
});
