/**
 * The benchmark's results as data, the targets checked against them, and the
 * plain-text table printed on stdout.
 *
 * @module
 */

import type { FilesResult } from "./files_scenario.ts";
import type {
  FanoutResult,
  HistoryWriteResult,
  IdleResult,
  LoginsResult,
} from "./scenarios.ts";
import { SATURATED_BELOW } from "./stats.ts";

/** Everything one run measured; written as JSON. */
export interface BenchResults {
  version: 1;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  /** The command that reproduces the run. */
  command: string;
  machine: {
    cores: number;
    memoryBytes: number;
    os: string;
    deno: string;
    v8: string;
    openFileLimit: number | null;
    ngircd: string | null;
    /** Cores other processes kept busy just before the run started. */
    backgroundCoresAtStart: number | null;
  };
  config: {
    quick: boolean;
    scenarios: string[];
    servers: string[];
    clients: number;
    loads: number[];
    messages: number;
    rate: number;
    warmup: number;
    repeat: number;
    /** The WebSocket scenario's shape, per transport (absent in results written before it). */
    wsClients?: number;
    wsSenders?: number[];
    /** The files scenario's shape (absent in results written before it). */
    fileMib?: number;
    fileSenders?: number;
    /** The peak scenario's shape (absent in results written before it). */
    peakSenders?: number;
    peakRates?: number[];
    peakSeconds?: number;
    peakSkip?: number;
    idle: number;
    logins: number;
    fastHashIterations: number;
    realHashIterations: number;
  };
  /** Things the reader must know: scaled-down counts, a missing peer … */
  notes: string[];
  /** Every fan-out run, repeats included. */
  fanout: FanoutResult[];
  /**
   * The WebSocket scenario: one row per transport (`transport`), TCP first;
   * absent in results written before it.
   */
  websocket?: FanoutResult[];
  /**
   * The files scenario: a transfer and the chat without and during it;
   * null when not run, absent in results written before it.
   */
  files?: FilesResult | null;
  /**
   * The peak scenario's runs, each with its steady window (`sustained`);
   * absent in results written before it.
   */
  peak?: FanoutResult[];
  idle: IdleResult[];
  logins: LoginsResult | null;
  historyWrites: HistoryWriteResult | null;
  targets: TargetCheck[];
}

/** One target of the issue, checked. */
export interface TargetCheck {
  target: string;
  measured: string;
  /** `null`: could not be evaluated in this run (and why is in `measured`). */
  met: boolean | null;
}

/** The target scenario of the issue. */
export const TARGET_POINT = { clients: 1000, senders: 500, rate: 1 };
/** Largest server RSS per idle connection, bytes (20 KiB). */
export const IDLE_TARGET_BYTES = 20 * 1024;
/** TCPChat's peak sustained lines/s, as a share of the ceiling's at least. */
export const PEAK_TARGET_RATIO = 0.8;

/**
 * A server's best peak run: the highest sustained lines/s over its rates,
 * or `undefined` when it has none with numbers.
 */
export function peakRun(
  runs: readonly FanoutResult[],
  server: string,
): FanoutResult | undefined {
  let best: FanoutResult | undefined;
  for (const run of runs) {
    if (run.server !== server || run.skipped || run.sustained === undefined) {
      continue;
    }
    if (
      best === undefined ||
      run.sustained.linesPerSec > best.sustained!.linesPerSec
    ) {
      best = run;
    }
  }
  return best;
}

/**
 * Whether a peak step offered more than the server delivered (sustained
 * below {@linkcode SATURATED_BELOW} of the offered load). Without such a
 * step for the ceiling, the peak target cannot be judged: nothing was at
 * its limit.
 */
function saturated(run: FanoutResult): boolean {
  return run.sustained !== undefined &&
    run.sustained.linesPerSec < SATURATED_BELOW * run.offeredLinesPerSec;
}

function peakTarget(runs: readonly FanoutResult[]): TargetCheck {
  const target = `peak sustained delivered lines/s: at least ${
    100 * PEAK_TARGET_RATIO
  }% of the ceiling's`;
  const ours = peakRun(runs, "tcpchat");
  const ceiling = peakRun(runs, "ceiling");
  if (ours === undefined || ceiling === undefined) {
    const missing = [
      ...(ours === undefined ? ["tcpchat"] : []),
      ...(ceiling === undefined ? ["ceiling"] : []),
    ];
    return {
      target,
      measured: runs.length === 0
        ? "not run (needs the peak scenario)"
        : `${missing.join(" and ")} not run`,
      met: null,
    };
  }
  const describe = (run: FanoutResult) =>
    `${fmtInt(run.sustained!.linesPerSec)} (${run.rate} msg/s${
      saturated(run) ? "" : ", kept up"
    }${run.disconnects > 0 ? `, ${run.disconnects} disconnects` : ""})`;
  const ratio = ours.sustained!.linesPerSec / ceiling.sustained!.linesPerSec;
  const ngircd = peakRun(runs, "ngircd");
  const measured = `tcpchat ${describe(ours)} vs ceiling ${
    describe(ceiling)
  } lines/s = ${(100 * ratio).toFixed(0)}%${
    ngircd === undefined
      ? ""
      : `; ngircd ${describe(ngircd)} = ${
        (100 * ngircd.sustained!.linesPerSec /
          ceiling.sustained!.linesPerSec).toFixed(0)
      }%`
  }`;
  const ceilingRuns = runs.filter((run) =>
    run.server === "ceiling" && !run.skipped && run.sustained !== undefined
  );
  if (!ceilingRuns.some(saturated)) {
    return {
      target,
      measured:
        `not evaluated: no rate offered more than the ceiling delivered (it kept up with ${
          fmtInt(Math.max(...ceilingRuns.map((run) => run.offeredLinesPerSec)))
        } lines/s offered), so no peak was reached; ${measured}`,
      met: null,
    };
  }
  return { target, measured, met: ratio >= PEAK_TARGET_RATIO };
}

/**
 * The run that stands for each (server, senders) pair: with repeats, the one
 * with the median p99 (the upper median for an even count).
 */
export function representativeRuns(
  runs: readonly FanoutResult[],
): FanoutResult[] {
  const groups = new Map<string, FanoutResult[]>();
  for (const run of runs) {
    const key =
      `${run.server}\u0000${run.clients}\u0000${run.senders}\u0000${run.rate}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, group = []);
    group.push(run);
  }
  return [...groups.values()].map((group) => {
    const sorted = [...group].sort((a, b) => a.latencyMs.p99 - b.latencyMs.p99);
    return sorted[Math.floor(sorted.length / 2)]!;
  });
}

function findRun(
  runs: readonly FanoutResult[],
  server: string,
): FanoutResult | undefined {
  return runs.find((run) =>
    run.server === server && run.clients === TARGET_POINT.clients &&
    run.senders === TARGET_POINT.senders && run.rate === TARGET_POINT.rate
  );
}

/** The WebSocket scenario's target size: clients on each transport. */
export const WEBSOCKET_TARGET_CLIENTS = 1000;

/** Issue 14: the WebSocket clients and the TCP ones next to them get every message. */
function websocketTarget(rows: readonly FanoutResult[]): TargetCheck {
  const size = fmtInt(WEBSOCKET_TARGET_CLIENTS);
  const target =
    `${size} WebSocket + ${size} TCP clients in one room: 100% delivered on both`;
  if (rows.length === 0) {
    return {
      target,
      measured: "not run (needs the websocket scenario)",
      met: null,
    };
  }
  const skipped = rows.find((row) => row.skipped);
  if (skipped !== undefined) {
    return { target, measured: `skipped: ${skipped.skipped}`, met: null };
  }
  const measured = rows.map((row) =>
    `${row.transport} S=${row.senders} ${fmtInt(row.delivered)} of ${
      fmtInt(row.expected)
    } (${row.deliveredPct.toFixed(3)}%, p99 ${fmtMs(row.latencyMs.p99)} ms${
      row.loginFailures > 0 ? `, ${row.loginFailures} failed logins` : ""
    }${row.disconnects > 0 ? `, ${row.disconnects} disconnects` : ""})`
  ).join("; ");
  const clients = Math.min(...rows.map((row) => row.clients));
  if (clients < WEBSOCKET_TARGET_CLIENTS) {
    return {
      target,
      measured: `not evaluated: only ${
        fmtInt(clients)
      } per transport; ${measured}`,
      met: null,
    };
  }
  return {
    target,
    measured,
    met: rows.every((row) =>
      row.loginFailures === 0 && row.disconnects === 0 &&
      row.expected > 0 && row.delivered === row.expected
    ),
  };
}

/** Checks the issue's targets against what this run measured. */
export function evaluateTargets(
  results: Pick<
    BenchResults,
    "fanout" | "websocket" | "peak" | "idle" | "logins"
  >,
): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const runs = representativeRuns(results.fanout);
  const ours = findRun(runs, "tcpchat");
  const point =
    `${TARGET_POINT.clients} clients, ${TARGET_POINT.senders} senders x ${TARGET_POINT.rate} msg/s`;
  if (ours === undefined || ours.skipped) {
    checks.push({
      target: `${point}: 100% delivered`,
      measured: "not run (needs the default fan-out scenario)",
      met: null,
    });
  } else {
    const complete = ours.loginFailures === 0 && ours.disconnects === 0 &&
      ours.delivered === ours.expected;
    checks.push({
      target: `${point}: 100% delivered`,
      measured: `${fmtInt(ours.delivered)} of ${fmtInt(ours.expected)} (${
        ours.deliveredPct.toFixed(3)
      }%), ${ours.loginFailures} failed logins, ${ours.disconnects} disconnects`,
      met: complete,
    });
    for (const [peer, factor] of [["ngircd", 0.8], ["ceiling", 1.5]] as const) {
      const other = findRun(runs, peer);
      const target = `${point}: p99 at most ${factor}x ${peer}'s`;
      if (other === undefined || other.skipped) {
        checks.push({
          target,
          measured: other?.skipped ?? `${peer} not run`,
          met: null,
        });
        continue;
      }
      const ratio = ours.latencyMs.p99 / other.latencyMs.p99;
      checks.push({
        target,
        measured: `${fmtMs(ours.latencyMs.p99)} vs ${
          fmtMs(other.latencyMs.p99)
        } ms = ${ratio.toFixed(2)}x`,
        met: ratio <= factor,
      });
    }
    const off = findRun(runs, "tcpchat (history off)");
    const target = `${point}, history on: at most 10% below history off`;
    if (off === undefined || off.skipped) {
      checks.push({ target, measured: "history-off run missing", met: null });
    } else {
      const ratio = ours.linesPerSec / off.linesPerSec;
      checks.push({
        target,
        measured: `${fmtInt(ours.linesPerSec)} vs ${
          fmtInt(off.linesPerSec)
        } lines/s = ${(100 * (ratio - 1)).toFixed(1)}% (p99 ${
          fmtMs(ours.latencyMs.p99)
        } vs ${fmtMs(off.latencyMs.p99)} ms)`,
        met: ratio >= 0.9,
      });
    }
  }
  checks.push(websocketTarget(results.websocket ?? []));
  checks.push(peakTarget(results.peak ?? []));
  const idle = results.idle.find((run) => run.server === "tcpchat");
  if (idle !== undefined && idle.requested < 10_000) {
    checks.push({
      target: "10,000 idle connections: at most 20 KB RSS each",
      measured: `not evaluated: only ${fmtInt(idle.requested)} connections (${
        (idle.rssPerConnectionAfterGcBytes / 1024).toFixed(1)
      } KB each, dominated by fixed costs)`,
      met: null,
    });
  } else if (idle === undefined) {
    checks.push({
      target: "10,000 idle connections: at most 20 KB RSS each",
      measured: "not run",
      met: null,
    });
  } else {
    checks.push({
      target: `${
        fmtInt(idle.requested)
      } idle connections: at most 20 KB RSS each`,
      measured: `${
        (idle.rssPerConnectionAfterGcBytes / 1024).toFixed(1)
      } KB after a full GC (${
        (idle.rssPerConnectionBytes / 1024).toFixed(1)
      } KB before it; ${fmtInt(idle.connected)} connected)`,
      met: idle.connected === idle.requested &&
        idle.rssPerConnectionAfterGcBytes <= IDLE_TARGET_BYTES,
    });
  }
  const logins = results.logins;
  if (logins !== null && logins.count < 1000) {
    checks.push({
      target: "1,000 logins: within 1.2x of the hashing bound",
      measured: `not evaluated: only ${fmtInt(logins.count)} logins (${
        logins.ratio.toFixed(2)
      }x)`,
      met: null,
    });
  } else if (logins === null) {
    checks.push({
      target: "1,000 logins: within 1.2x of the hashing bound",
      measured: "not run",
      met: null,
    });
  } else {
    checks.push({
      target: `${
        fmtInt(logins.count)
      } logins: within 1.2x of the hashing bound`,
      measured: `${(logins.elapsedMs / 1000).toFixed(1)} s vs ${
        (logins.boundMs / 1000).toFixed(1)
      } s = ${logins.ratio.toFixed(2)}x`,
      met: logins.failed === 0 && logins.ratio <= 1.2,
    });
  }
  return checks;
}

/** The whole report as text, as printed on stdout. */
export function formatReport(results: BenchResults): string {
  const lines: string[] = [];
  const m = results.machine;
  lines.push(
    `TCPChat benchmark, ${results.startedAt} (${
      results.durationSeconds.toFixed(0)
    } s): ${m.cores} cores, ${
      (m.memoryBytes / 2 ** 30).toFixed(0)
    } GiB, ${m.os}, Deno ${m.deno}`,
    `Reproduce: ${results.command}`,
  );
  if (m.backgroundCoresAtStart !== null) {
    lines.push(
      `Other processes kept ${
        m.backgroundCoresAtStart.toFixed(2)
      } cores busy when the run started.`,
    );
  }
  for (const note of results.notes) lines.push(`Note: ${note}`);
  if (results.fanout.length > 0) {
    const c = results.config;
    lines.push(
      "",
      `Fan-out: ${
        fmtInt(c.clients)
      } clients in one room; S senders x ${c.messages} messages at ${c.rate} msg/s after ${c.warmup} uncounted; every other client receives each message.`,
    );
    const standing = new Set(representativeRuns(results.fanout));
    const repeated = standing.size < results.fanout.length;
    if (repeated) {
      lines.push("  * the run with the median p99, which the targets use");
    }
    lines.push(
      table(
        ["server", "S", ...FANOUT_COLUMNS],
        results.fanout.map((r) =>
          r.skipped
            ? [
              r.server,
              String(r.senders),
              fmtInt(r.offeredLinesPerSec),
              `skipped: ${r.skipped}`,
            ]
            : [
              repeated && standing.has(r) ? `${r.server} *` : r.server,
              String(r.senders),
              ...fanoutCells(r),
            ]
        ),
      ),
    );
    const lost = results.fanout.filter((r) => r.disconnects > 0);
    for (const r of lost) {
      lines.push(
        `  ${r.server} S=${r.senders}: ${r.disconnects} connections lost, e.g. ${
          r.disconnectReasons.join("; ")
        }`,
      );
    }
  }
  const websocket = results.websocket ?? [];
  if (websocket.length > 0) lines.push("", ...formatWebSocket(websocket));
  if (results.files) lines.push("", ...formatFiles(results.files));
  const peak = results.peak ?? [];
  if (peak.length > 0) lines.push("", ...formatPeak(results, peak));
  if (results.idle.length > 0) {
    lines.push(
      "",
      "Idle authenticated connections (server memory per connection, KB = 1,024 bytes):",
    );
    lines.push(
      table(
        [
          "server",
          "connected",
          "login s",
          "RSS before MB",
          "after MB",
          "after GC MB",
          "RSS KB/conn",
          "after GC",
          "JS heap used",
          "heap reserved",
          "external",
        ],
        results.idle.map((r) => {
          const perConn = (before?: number, after?: number) =>
            before === undefined || after === undefined || r.connected === 0
              ? "-"
              : ((after - before) / r.connected / 1024).toFixed(1);
          return [
            r.server,
            `${fmtInt(r.connected)}/${fmtInt(r.requested)}`,
            (r.loginElapsedMs / 1000).toFixed(1),
            mb(r.rssBeforeBytes),
            mb(r.rssAfterBytes),
            mb(r.rssAfterGcBytes),
            (r.rssPerConnectionBytes / 1024).toFixed(1),
            (r.rssPerConnectionAfterGcBytes / 1024).toFixed(1),
            perConn(r.memoryBefore?.heapUsed, r.memoryAfterGc?.heapUsed),
            perConn(r.memoryBefore?.heapTotal, r.memoryAfterGc?.heapTotal),
            perConn(r.memoryBefore?.external, r.memoryAfterGc?.external),
          ];
        }),
      ),
    );
    for (const r of results.idle.filter((r) => r.disconnects > 0)) {
      lines.push(
        `  ${r.server}: ${r.disconnects} connections lost, e.g. ${
          r.disconnectReasons.join("; ")
        }`,
      );
    }
  }
  if (results.logins !== null) {
    const l = results.logins;
    lines.push(
      "",
      `Logins at the real PBKDF2 cost (${
        fmtInt(l.iterations)
      } iterations), ${l.concurrency} at a time:`,
    );
    lines.push(
      table(
        [
          "logins",
          "elapsed s",
          "one hash ms",
          "bound s",
          "ratio",
          "per login p50/p99 ms",
          "server cores busy",
        ],
        [[
          `${fmtInt(l.succeeded)}/${fmtInt(l.count)}`,
          (l.elapsedMs / 1000).toFixed(1),
          l.hashSamplesMs === undefined
            ? l.hashMs.toFixed(1)
            : `${l.hashMs.toFixed(1)} (${
              Math.min(...l.hashSamplesMs).toFixed(0)
            }-${Math.max(...l.hashSamplesMs).toFixed(0)})`,
          (l.boundMs / 1000).toFixed(1),
          `${l.ratio.toFixed(2)}x`,
          `${fmtMs(l.perLoginMs.p50)}/${fmtMs(l.perLoginMs.p99)}`,
          l.serverCoresBusy.toFixed(2),
        ]],
      ),
    );
    lines.push(
      `  bound = logins x one hash / ${l.cores} cores`,
    );
  }
  if (results.historyWrites !== null) {
    const h = results.historyWrites;
    lines.push("", "History write throughput (SQLite, WAL, synchronous=FULL):");
    lines.push(
      table(
        ["mode", "messages", "seconds", "messages/s"],
        [
          [
            "one transaction per message",
            fmtInt(h.unbatched.messages),
            h.unbatched.seconds.toFixed(2),
            fmtInt(h.unbatched.perSecond),
          ],
          [
            "HistoryWriter batches",
            fmtInt(h.batched.messages),
            h.batched.seconds.toFixed(2),
            fmtInt(h.batched.perSecond),
          ],
        ],
      ),
    );
    lines.push(`  batching: ${h.speedup.toFixed(0)}x`);
  }
  lines.push("", "Targets:");
  for (const check of results.targets) {
    const verdict = check.met === null ? "n/a " : check.met ? "MET " : "MISS";
    lines.push(`  [${verdict}] ${check.target}: ${check.measured}`);
  }
  return lines.join("\n") + "\n";
}

/** The fan-out header from `offered/s` on, as {@linkcode fanoutCells} fills it. */
const FANOUT_COLUMNS = [
  "offered/s",
  "delivered/expected",
  "%",
  "lines/s",
  "p50 ms",
  "p99 ms",
  "max ms",
  "login s",
  "RSS MB before/in/after",
  "srv CPU s",
  "gen CPU s",
  "busy cores",
];

/** A fan-out row's cells from `offered/s` on. */
function fanoutCells(r: FanoutResult): string[] {
  return [
    fmtInt(r.offeredLinesPerSec),
    `${fmtInt(r.delivered)}/${fmtInt(r.expected)}`,
    r.deliveredPct.toFixed(2),
    fmtInt(r.linesPerSec),
    fmtMs(r.latencyMs.p50),
    fmtMs(r.latencyMs.p99),
    fmtMs(r.latencyMs.max),
    (r.loginElapsedMs / 1000).toFixed(1) +
    (r.loginFailures > 0 ? ` (${r.loginFailures} failed)` : ""),
    `${mb(r.rssBeforeBytes)}/${mb(r.rssLoggedInBytes)}/${mb(r.rssAfterBytes)}`,
    r.serverCpuSeconds.toFixed(1),
    r.loadgenCpuSeconds.toFixed(1),
    r.machineCoresBusy.toFixed(2),
  ];
}

/** The WebSocket scenario's section of the report. */
function formatWebSocket(rows: readonly FanoutResult[]): string[] {
  const first = rows[0]!;
  const lines = [
    `WebSocket next to TCP: one TCPChat server, ${
      fmtInt(first.clients)
    } clients over TCP and ${
      fmtInt(first.clients)
    } over a WebSocket (/ws) in one room; S senders on each transport x ${first.messages} messages at ${first.rate} msg/s after ${
      first.warmup ?? 0
    } uncounted, alternating; every other client of either transport receives each message. Offered/s is per transport; RSS and CPU are the whole run's (the same server for both rows).`,
    table(
      ["transport", "clients", "S", ...FANOUT_COLUMNS],
      rows.map((r) =>
        r.skipped
          ? [
            r.transport ?? "?",
            fmtInt(r.clients),
            String(r.senders),
            fmtInt(r.offeredLinesPerSec),
            `skipped: ${r.skipped}`,
          ]
          : [
            r.transport ?? "?",
            fmtInt(r.clients),
            String(r.senders),
            ...fanoutCells(r),
          ]
      ),
    ),
  ];
  for (const r of rows.filter((r) => r.disconnects > 0)) {
    lines.push(
      `  ${r.transport}: ${r.disconnects} connections lost, e.g. ${
        r.disconnectReasons.join("; ")
      }`,
    );
  }
  for (const r of rows.filter((r) => r.loginFailures > 0)) {
    lines.push(
      `  ${r.transport}: ${r.loginFailures} failed logins, e.g. ${r.loginFirstError}`,
    );
  }
  return lines;
}

/** The files scenario's section of the report. */
export function formatFiles(files: FilesResult): string[] {
  const mib = (files.fileBytes / 2 ** 20).toFixed(0);
  const chat = files.withoutTransfer;
  const lines = [
    `Files: one TCPChat server sharing files over its web port; a ${mib} MiB file (random bytes) uploaded by one client and downloaded by another (PUT and GET /files/<id>, the two in their own process; the receiver checks the SHA-256) while ${
      fmtInt(files.clients)
    } clients chat in the lobby: ${files.senders} senders at ${files.rate} msg/s after ${
      chat?.warmup ?? 0
    } uncounted each time, with no transfer, then for as long as the upload lasts, then the download (each starting with the first counted message). MB = 10^6 bytes.`,
  ];
  if (files.skipped !== undefined) {
    lines.push(`  skipped: ${files.skipped}`);
    return lines;
  }
  const t = files.transfer;
  if (t === undefined) {
    lines.push(`  transfer failed: ${files.failed ?? "no result"}`);
  } else {
    const seconds = (ms: number) => (ms / 1000).toFixed(2);
    lines.push(
      table(
        ["direction", "MiB", "s", "MB/s", "ticket ms", "then"],
        [
          [
            "upload",
            mib,
            seconds(t.uploadMs),
            fmtRate(t.uploadMBps),
            fmtMs(t.uploadTicketMs),
            `FILE_SHARED to the receiver ${
              fmtMs(t.sharedAfterMs)
            } ms after the 201; clients' CPU ${
              t.uploadCpuSeconds.toFixed(1)
            } s`,
          ],
          [
            "download",
            mib,
            seconds(t.downloadMs),
            fmtRate(t.downloadMBps),
            fmtMs(t.downloadTicketMs),
            `SHA-256 check ${seconds(t.verifyMs)} s: ${
              t.verified ? "verified" : "MISMATCH"
            }; clients' CPU ${t.downloadCpuSeconds.toFixed(1)} s`,
          ],
        ],
      ),
      `  upload ${seconds(t.uploadTotalMs)} s from FILE_SEND, download ${
        seconds(t.downloadTotalMs)
      } s from FILE_GET to the checked file; before them: source written in ${
        files.generateSeconds.toFixed(1)
      } s, hashed by the sender in ${files.hashSeconds.toFixed(1)} s`,
    );
  }
  const rows = [
    ["no transfer", files.withoutTransfer],
    ["during upload", files.duringUpload],
    ["during download", files.duringDownload],
  ] as const;
  lines.push(
    table(
      ["chat", "S", "msgs", ...FANOUT_COLUMNS],
      rows.filter(([, r]) => r !== undefined).map(([label, r]) => [
        label,
        String(r!.senders),
        r!.messages.toFixed(0),
        ...fanoutCells(r!),
      ]),
    ),
  );
  for (const [label, r] of rows) {
    if (r !== undefined && r.disconnects > 0) {
      lines.push(
        `  ${label}: ${r.disconnects} connections lost, e.g. ${
          r.disconnectReasons.join("; ")
        }`,
      );
    }
  }
  if (files.failed !== undefined && t !== undefined) {
    lines.push(`  failed: ${files.failed}`);
  }
  return lines;
}

/** The peak scenario's section of the report. */
function formatPeak(
  results: BenchResults,
  peak: readonly FanoutResult[],
): string[] {
  const c = results.config;
  const first = peak[0]!;
  const skip = first.sustained?.fromSeconds ?? c.peakSkip ?? 0;
  const lines = [
    `Peak: ${
      fmtInt(first.clients)
    } clients in one room, logged in once per server; ${
      c.peakSenders ?? first.senders
    } senders send for ${
      c.peakSeconds ?? "?"
    } s at each rate in turn (no uncounted messages), up to the first rate the server falls behind at (sustained below ${
      100 * SATURATED_BELOW
    }% of offered) or loses a connection. Sustained = lines delivered from ${skip} s after a step's first send to its last send, per second (the start and the drain after the sends left out).`,
    table(
      [
        "server",
        "R/s",
        "offered/s",
        "sent/s",
        "sustained/s",
        "% offered",
        "delivered/expected",
        "%",
        "p50 ms",
        "p99 ms",
        "max ms",
        "lost (first at s)",
        "rate-limited",
        "RSS MB in/after",
        "srv CPU s",
        "gen CPU s",
        "busy cores",
        "send lag ms",
      ],
      peak.map((r) =>
        r.skipped || r.sustained === undefined
          ? [
            r.server,
            String(r.rate),
            fmtInt(r.offeredLinesPerSec),
            `skipped: ${r.skipped ?? "no steady window"}`,
          ]
          : [
            r.server,
            String(r.rate),
            fmtInt(r.offeredLinesPerSec),
            fmtInt(r.sustained.sentLinesPerSec),
            fmtInt(r.sustained.linesPerSec),
            (100 * r.sustained.linesPerSec / r.offeredLinesPerSec).toFixed(1),
            `${fmtInt(r.delivered)}/${fmtInt(r.expected)}`,
            r.deliveredPct.toFixed(2),
            fmtMs(r.latencyMs.p50),
            fmtMs(r.latencyMs.p99),
            fmtMs(r.latencyMs.max),
            r.disconnects === 0
              ? "0"
              : `${fmtInt(r.disconnects)} (${
                (r.firstDisconnectSeconds ?? 0).toFixed(1)
              })`,
            r.rateLimited === undefined ? "-" : fmtInt(r.rateLimited),
            `${mb(r.rssLoggedInBytes)}/${mb(r.rssAfterBytes)}`,
            r.serverCpuSeconds.toFixed(1),
            r.loadgenCpuSeconds.toFixed(1),
            r.machineCoresBusy.toFixed(2),
            fmtMs(r.maxSendLagMs),
          ]
      ),
    ),
  ];
  for (const r of peak) {
    if (r.disconnects > 0) {
      lines.push(
        `  ${r.server} R=${r.rate}: ${r.disconnects} connections lost, e.g. ${
          r.disconnectReasons.join("; ")
        }`,
      );
    }
    if (r.sustained?.stoppedBecause !== undefined) {
      lines.push(
        `  ${r.server} R=${r.rate}: ${r.sustained.stoppedBecause}; higher rates not run`,
      );
    }
  }
  const servers = [...new Set(peak.map((r) => r.server))];
  const ceiling = peakRun(peak, "ceiling");
  const best = servers.flatMap((server) => {
    const run = peakRun(peak, server);
    if (run === undefined) return [];
    const share = ceiling === undefined || server === "ceiling"
      ? ""
      : `, ${
        (100 * run.sustained!.linesPerSec / ceiling.sustained!.linesPerSec)
          .toFixed(0)
      }% of the ceiling's`;
    const keptUp = saturated(run) ? "" : " (kept up)";
    return [
      `${server} ${
        fmtInt(run.sustained!.linesPerSec)
      } at ${run.rate} msg/s${keptUp}${share}`,
    ];
  });
  if (best.length > 0) {
    lines.push(`  peak sustained lines/s: ${best.join("; ")}`);
  }
  if (best.some((line) => line.includes("(kept up)"))) {
    lines.push(
      "  (kept up: that step delivered what it was offered, so the limit is at least this)",
    );
  }
  return lines;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length))
  );
  const render = (row: string[]) =>
    row.map((cell, i) =>
      i === 0 || i === row.length - 1 && row.length < header.length
        ? cell.padEnd(widths[i]!)
        : cell.padStart(widths[i]!)
    ).join("  ").trimEnd();
  return [
    render(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.map(render),
  ].map((line) => `  ${line}`).join("\n");
}

function fmtInt(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function fmtMs(value: number): string {
  return value >= 100
    ? value.toFixed(0)
    : value >= 10
    ? value.toFixed(1)
    : value.toFixed(2);
}

function fmtRate(value: number): string {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function mb(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}
