/**
 * Runs the store contract suite (`store_contract.ts`) against
 * {@linkcode SqliteStore} on a real file in a temp directory, with a held
 * write lock as its fault.
 */

import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SqliteStore } from "../../lib/store/sqlite/sqlite_store.ts";
import { storeContract } from "./store_contract.ts";

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
    },
  };
});
