// deno-lint-ignore-file no-console -- a benchmark subprocess reports its port on stdout
/**
 * Runs the TCPChat server under test in its own process, with the options
 * a benchmark scenario needs (`server.ts` has no flags for the flood limit
 * or the hashing cost). Prints `PORT <n>` once it listens, and stops on
 * SIGTERM or SIGINT. With `--web-port` it also serves the WebSocket endpoint
 * (`/ws`) and prints `WEB_PORT <n>` just before `PORT <n>`. With
 * `--files-dir` (which needs `--web-port`) it shares files, with the limits
 * of `--max-file-size`, `--file-quota` and `--min-free-disk` (as
 * `server.ts`'s flags: a size with K, M or G).
 *
 * `--history off` replaces the store's `insertMessages` with a no-op, so the
 * same server runs without persisting chat history: the baseline for the
 * "history persistence on" comparison. It exists only here, for the bench.
 *
 * @example
 * ```sh
 * deno run -A bench/run_server.ts --db /tmp/x.db --hash-iterations 1000
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  type FileSharingOptions,
  startChatServer,
} from "../lib/server/net/chat_server.ts";
import { SqliteStore } from "../lib/store/sqlite/sqlite_store.ts";

const USAGE =
  `Usage: run_server.ts --db <file> [--port 0] [--hash-iterations <n>]
  [--rate-burst <n>] [--rate-per-second <n>] [--max-clients <n>]
  [--max-queue-bytes <n>] [--login-timeout-ms <n>] [--history on|off]
  [--web-port <n>] [--files-dir <dir> [--max-file-size <size>]
  [--file-quota <size>] [--min-free-disk <size>]]`;

/** Runs the command line; resolves once the server has stopped. */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        db: { type: "string" },
        port: { type: "string", default: "0" },
        "hash-iterations": { type: "string" },
        "rate-burst": { type: "string", default: "10" },
        "rate-per-second": { type: "string", default: "5" },
        "max-clients": { type: "string", default: "10000" },
        "max-queue-bytes": { type: "string" },
        "login-timeout-ms": { type: "string", default: "60000" },
        history: { type: "string", default: "on" },
        "web-port": { type: "string" },
        "files-dir": { type: "string" },
        "max-file-size": { type: "string", default: "100M" },
        "file-quota": { type: "string", default: "1G" },
        "min-free-disk": { type: "string", default: "512M" },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.db === undefined) {
    console.error(`--db is required\n${USAGE}`);
    return 2;
  }
  if (values["files-dir"] !== undefined && values["web-port"] === undefined) {
    console.error(`--files-dir needs --web-port\n${USAGE}`);
    return 2;
  }
  let files: FileSharingOptions | undefined;
  if (values["files-dir"] !== undefined) {
    try {
      files = {
        dir: values["files-dir"],
        maxFileBytes: byteSize(values["max-file-size"]),
        quotaBytes: byteSize(values["file-quota"]),
        minFreeBytes: byteSize(values["min-free-disk"]),
        retentionDays: 30,
      };
    } catch (error) {
      console.error(`${(error as Error).message}\n${USAGE}`);
      return 2;
    }
  }
  const store = SqliteStore.open(values.db);
  if (values.history === "off") {
    store.insertMessages = () => Promise.resolve();
  }
  const stop = new AbortController();
  const server = startChatServer({
    store,
    hostname: "127.0.0.1",
    port: Number(values.port),
    lang: "en",
    logMessages: false,
    // Only failures reach the harness; per-login lines would flood it.
    log: (line) => {
      if (line.includes("[error]")) console.error(line);
    },
    signal: stop.signal,
    hashIterations: optionalNumber(values["hash-iterations"]),
    rateBurst: Number(values["rate-burst"]),
    ratePerSecond: Number(values["rate-per-second"]),
    maxClients: Number(values["max-clients"]),
    maxQueueBytes: optionalNumber(values["max-queue-bytes"]),
    loginTimeoutMs: Number(values["login-timeout-ms"]),
    webPort: optionalNumber(values["web-port"]),
    files,
  });
  const onSignal = () => stop.abort();
  Deno.addSignalListener("SIGTERM", onSignal);
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGUSR2", collectGarbage);
  // Before PORT: the harness reads up to the PORT line.
  if (server.webAddr !== undefined) {
    console.log(`WEB_PORT ${server.webAddr.port}`);
  }
  console.log(`PORT ${server.addr.port}`);
  await server.finished;
  Deno.removeSignalListener("SIGTERM", onSignal);
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGUSR2", collectGarbage);
  return 0;
}

/**
 * On SIGUSR2, a full garbage collection (with `--v8-flags=--expose-gc`) and
 * a `MEMORY {...}` line with `Deno.memoryUsage()`, so the idle scenario can
 * tell memory held per connection from the garbage a login storm leaves.
 */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  console.log(`MEMORY ${JSON.stringify(Deno.memoryUsage())}`);
}

const SIZE_UNITS: Readonly<Record<string, number>> = {
  "": 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};

/** A size as `server.ts` takes it (`600M`, `2G`, `0`), in bytes. */
export function byteSize(text: string): number {
  const match = /^(\d+)([kmg]?)$/i.exec(text.trim());
  const value = match === null
    ? NaN
    : Number(match[1]) * SIZE_UNITS[match[2]!.toLowerCase()]!;
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`Cannot use the size ${JSON.stringify(text)}`);
  }
  return value;
}

function optionalNumber(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
