// deno-lint-ignore-file no-console -- the server's console is its user interface
/**
 * TCPChat server entry point. This build opens (and migrates) the account
 * database; networking arrives with the server issue.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { SqliteStore } from "./lib/sqlite_store.ts";
import { StoreError } from "./lib/store.ts";
import { VERSION } from "./lib/version.ts";

const USAGE = `Usage: tcpchat-server [options]

Options:
  --db <file>     SQLite database file (default ./tcpchat.db, env TCPCHAT_DB)
  --help          Show this help
  --version       Show the version`;

/** Runs the server command line; returns the process exit code. */
export function main(args: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        db: { type: "string" },
        help: { type: "boolean" },
        version: { type: "boolean" },
      },
    }));
  } catch (error) {
    console.error(`[错误] ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.version) {
    console.log(`tcpchat-server ${VERSION}`);
    return 0;
  }
  const path = values.db ?? Deno.env.get("TCPCHAT_DB") ?? "./tcpchat.db";
  try {
    using store = SqliteStore.open(path);
    console.log(`[服务器] 数据库就绪: ${store.path}`);
  } catch (error) {
    if (error instanceof StoreError) {
      console.error(`[错误] ${error.message}`);
      return 1;
    }
    throw error;
  }
  return 0;
}

if (import.meta.main) Deno.exit(main(Deno.args));
