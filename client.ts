// deno-lint-ignore-file no-console -- the client's console is its user interface
/**
 * TCPChat terminal client entry point. The interactive client arrives with
 * the client issue; this build answers `--help` and `--version`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { VERSION } from "./lib/version.ts";

const USAGE = `Usage: tcpchat-client [options]

Options:
  --help          Show this help
  --version       Show the version`;

/** Runs the client command line; returns the process exit code. */
export function main(args: string[]): number {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean" },
        version: { type: "boolean" },
      },
    }));
  } catch (error) {
    console.error(`[错误] ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.version) {
    console.log(`tcpchat-client ${VERSION}`);
    return 0;
  }
  console.log(USAGE);
  return 0;
}

if (import.meta.main) Deno.exit(main(Deno.args));
