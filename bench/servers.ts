/**
 * Starting and stopping the servers under test, each in its own process so
 * that its memory (`VmRSS`) and CPU time are its own and it never shares an
 * event loop with the load generator.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ngircdConfig } from "./ngircd.ts";
import { readCpuSeconds, readRssBytes, sleep } from "./stats.ts";

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

/** Every server process started and not yet stopped, for the watchdog. */
const live = new Set<Deno.ChildProcess>();

/** Kills every server process still running (the harness's last resort). */
export function killAllServers(): void {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
  live.clear();
}

/** A server process under test. */
export interface ServerHandle {
  /** What runs: `tcpchat`, `ceiling` or `ngircd`. */
  readonly kind: ServerKind;
  readonly port: number;
  /** TCPChat's WebSocket (HTTP) port, when started with one. */
  readonly webPort?: number;
  readonly pid: number;
  /** The V8 inspector's port, when started with one. */
  readonly inspectPort?: number;
  /** Resident memory now, in bytes (`undefined` once the process is gone). */
  rss(): number | undefined;
  /** CPU seconds used so far (user + system). */
  cpu(): number | undefined;
  /**
   * Asks a Deno server for a full garbage collection (SIGUSR2; both run with
   * `--expose-gc`), waits `settleMs`, and resolves the memory it reported;
   * does nothing for ngIRCd.
   */
  collectGarbage(settleMs?: number): Promise<MemoryReport | undefined>;
  /** Stops the process: SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** The servers the benchmark knows. */
export type ServerKind = "tcpchat" | "ceiling" | "ngircd";

/** Options for {@linkcode startTcpchat}. */
export interface TcpchatServerOptions {
  /** The database file (a fresh copy of an account template). */
  db: string;
  /** PBKDF2 iterations; must match the template's to avoid rehashing. */
  hashIterations?: number;
  rateBurst: number;
  ratePerSecond: number;
  maxClients: number;
  /** Persist chat history (the shipped behaviour). @default {true} */
  history?: boolean;
  /** @default {60000} */
  loginTimeoutMs?: number;
  /** Open the V8 inspector on this port, for CPU profiles. */
  inspectPort?: number;
  /**
   * Also serve the WebSocket endpoint on this port (0: a free one); the
   * handle's `webPort` is the port it got.
   * @default {undefined}
   */
  webPort?: number;
  /**
   * Share files (needs `webPort`): their folder and limits, as
   * `server.ts`'s flags take them (`600M`, `2G`, `0`).
   * @default {undefined}
   */
  files?: BenchFileSharing;
}

/** File sharing for a bench server: the folder and the limits' flag values. */
export interface BenchFileSharing {
  dir: string;
  /** `--max-file-size`. */
  maxFileSize: string;
  /** `--file-quota`. */
  fileQuota: string;
  /** `--min-free-disk`. */
  minFreeDisk: string;
}

/** Starts `bench/run_server.ts` in a subprocess. */
export async function startTcpchat(
  options: TcpchatServerOptions,
): Promise<ServerHandle> {
  const args = [
    "run",
    "--v8-flags=--expose-gc",
    ...inspectFlags(options.inspectPort),
    "--allow-net=127.0.0.1",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    join(BENCH_DIR, "run_server.ts"),
    "--db",
    options.db,
    "--rate-burst",
    String(options.rateBurst),
    "--rate-per-second",
    String(options.ratePerSecond),
    "--max-clients",
    String(options.maxClients),
    "--login-timeout-ms",
    String(options.loginTimeoutMs ?? 60_000),
    "--history",
    options.history === false ? "off" : "on",
  ];
  if (options.hashIterations !== undefined) {
    args.push("--hash-iterations", String(options.hashIterations));
  }
  if (options.webPort !== undefined) {
    args.push("--web-port", String(options.webPort));
  }
  if (options.files !== undefined) {
    args.push(
      "--files-dir",
      options.files.dir,
      "--max-file-size",
      options.files.maxFileSize,
      "--file-quota",
      options.files.fileQuota,
      "--min-free-disk",
      options.files.minFreeDisk,
    );
  }
  return await startWithPortLine(
    "tcpchat",
    Deno.execPath(),
    args,
    options.inspectPort,
  );
}

/** Starts `bench/ceiling_server.ts` in a subprocess. */
export async function startCeiling(
  options: { inspectPort?: number } = {},
): Promise<ServerHandle> {
  return await startWithPortLine("ceiling", Deno.execPath(), [
    "run",
    "--v8-flags=--expose-gc",
    ...inspectFlags(options.inspectPort),
    "--allow-net=127.0.0.1",
    join(BENCH_DIR, "ceiling_server.ts"),
  ], options.inspectPort);
}

/**
 * Starts ngIRCd in the foreground with a generated configuration in `dir`,
 * and waits until it accepts connections.
 */
export async function startNgircd(
  binary: string,
  dir: string,
  options: { penalties?: boolean } = {},
): Promise<ServerHandle> {
  const port = freePort();
  const config = join(dir, "ngircd.conf");
  await Deno.writeTextFile(
    config,
    ngircdConfig({ port, dir, penalties: options.penalties }),
  );
  const child = new Deno.Command(binary, {
    args: ["--nodaemon", "--config", config],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Keep the last bit of its log for an error message; never let the pipe fill.
  let log = "";
  const logDone = child.stderr
    .pipeThrough(new TextDecoderStream())
    .pipeTo(
      new WritableStream({
        write(chunk) {
          log = (log + chunk).slice(-2000);
        },
      }),
    )
    .catch(() => {});
  const deadline = performance.now() + 10_000;
  while (true) {
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      break;
    } catch {
      const exited = await Promise.race([child.status, sleep(50)]);
      if (exited !== undefined || performance.now() > deadline) {
        try {
          child.kill("SIGKILL");
        } catch {
          // Already gone.
        }
        await child.status;
        await logDone;
        throw new Error(`Cannot start ngircd on port ${port}: ${log.trim()}`);
      }
    }
  }
  return handle("ngircd", port, child, logDone);
}

function inspectFlags(port: number | undefined): string[] {
  return port === undefined ? [] : [`--inspect=127.0.0.1:${port}`];
}

async function startWithPortLine(
  kind: ServerKind,
  command: string,
  args: string[],
  inspectPort?: number,
): Promise<ServerHandle> {
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    // The inspector announces itself on stderr; keep that out of the table.
    stderr: inspectPort === undefined ? "inherit" : "null",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream());
  const reader = lines.getReader();
  let buffered = "";
  let port: number | undefined;
  const timer = setTimeout(() => reader.cancel().catch(() => {}), 30_000);
  try {
    while (port === undefined) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      const match = /^PORT (\d+)$/m.exec(buffered);
      if (match) port = Number(match[1]);
    }
  } finally {
    clearTimeout(timer);
  }
  // Printed before the PORT line by a server that has a web port.
  const web = /^WEB_PORT (\d+)$/m.exec(buffered);
  const webPort = web === null ? undefined : Number(web[1]);
  if (port === undefined) {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await child.status;
    throw new Error(`Cannot start ${kind}: it printed no port`);
  }
  // Keep reading what it prints, so that the pipe never blocks it, and keep
  // the last `MEMORY {...}` report (its answer to SIGUSR2).
  const memory: { last?: MemoryReport } = {};
  const drained = (async () => {
    let text = buffered.slice(buffered.search(/^PORT \d+$/m));
    text = text.slice(text.indexOf("\n") + 1);
    try {
      while (true) {
        const lines = text.split("\n");
        text = lines.pop() ?? "";
        for (const line of lines) {
          if (line.startsWith("MEMORY ")) {
            memory.last = JSON.parse(line.slice(7)) as MemoryReport;
          }
        }
        const { value, done } = await reader.read();
        if (done) break;
        text += value;
      }
    } catch {
      // Cancelled or closed.
    }
  })();
  return handle(kind, port, child, drained, { inspectPort, memory, webPort });
}

/** `Deno.memoryUsage()` of a server, after a full collection. */
export interface MemoryReport {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
}

function handle(
  kind: ServerKind,
  port: number,
  child: Deno.ChildProcess,
  output: Promise<void>,
  extra: {
    inspectPort?: number;
    memory?: { last?: MemoryReport };
    webPort?: number;
  } = {},
): ServerHandle {
  const { inspectPort, webPort } = extra;
  const memory = extra.memory ?? {};
  const pid = child.pid;
  live.add(child);
  child.status.then(() => live.delete(child));
  return {
    kind,
    port,
    webPort,
    pid,
    inspectPort,
    rss: () => readRssBytes(pid),
    cpu: () => readCpuSeconds(pid),
    async collectGarbage(settleMs = 2_000) {
      if (kind === "ngircd") return undefined;
      memory.last = undefined;
      try {
        child.kill("SIGUSR2");
      } catch {
        return undefined;
      }
      await sleep(settleMs);
      return memory.last;
    },
    async stop(graceMs = 5_000) {
      try {
        child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const exited = await Promise.race([
        child.status.then(() => true),
        new Promise<false>((resolve) =>
          timer = setTimeout(() => resolve(false), graceMs)
        ),
      ]);
      clearTimeout(timer);
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch {
          // Gone in the meantime.
        }
        await child.status;
      }
      await output;
    },
  };
}

/** A port that was free a moment ago (for servers that cannot report theirs). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
