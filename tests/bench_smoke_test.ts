/**
 * Keeps the benchmark harness working: a 10-client fan-out against our
 * server only, the WebSocket scenario at 5 + 5 clients and the files
 * scenario with a 4 MiB file, each in a subprocess, bounded in time, and the peak scenario's
 * steady window and target on made-up numbers. The real benchmark
 * (`deno task bench`) never runs in the tests.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type BenchResults,
  evaluateTargets,
  formatReport,
  peakRun,
} from "../bench/report.ts";
import type { FanoutResult } from "../bench/scenarios.ts";
import {
  deliveredAt,
  deliveriesPerSecond,
  type DeliverySample,
  windowRate,
} from "../bench/stats.ts";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const LIMIT_MS = 15_000;

interface SmokeRun {
  server: string;
  clients: number;
  loggedIn: number;
  loginFailures: number;
  expected: number;
  delivered: number;
  deliveredPct: number;
  disconnects: number;
  latencyMs: { p99: number };
}

Deno.test("bench --quick delivers every message to 10 clients of our server", async () => {
  const out = await Deno.makeTempDir({ prefix: "tcpchat_bench_smoke_" });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), LIMIT_MS);
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-run",
        join(REPO, "bench", "main.ts"),
        "--quick",
        "--scenario",
        "fanout",
        "--servers",
        "tcpchat",
        "--no-wait-quiet",
        "--out",
        out,
        "--cache-dir",
        join(out, "cache"),
      ],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
      signal: abort.signal,
    }).output();
    const errors = new TextDecoder().decode(stderr);
    assert.equal(code, 0, `bench exited with ${code}:\n${errors}`);
    // No wall-clock assertion: the abort at LIMIT_MS already fails a hung run.
    assert.match(new TextDecoder().decode(stdout), /Fan-out: 10 clients/);

    const results = JSON.parse(
      await Deno.readTextFile(join(out, "quick.json")),
    ) as { fanout: SmokeRun[] };
    assert.ok(results.fanout.length > 0, "no fan-out result");
    for (const run of results.fanout) {
      assert.equal(run.clients, 10);
      assert.equal(run.loggedIn, 10, `${run.server}: logins`);
      assert.equal(run.loginFailures, 0, `${run.server}: failed logins`);
      assert.equal(run.disconnects, 0, `${run.server}: lost connections`);
      assert.ok(run.expected > 0, `${run.server}: nothing was sent`);
      assert.equal(run.delivered, run.expected, `${run.server}: deliveries`);
      assert.equal(run.deliveredPct, 100);
      assert.ok(run.latencyMs.p99 > 0, `${run.server}: no latency measured`);
    }
    const svg = await Deno.readTextFile(join(out, "quick.svg"));
    assert.match(svg, /^<svg /);
  } finally {
    clearTimeout(timer);
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("bench --quick websocket delivers every message to 5 TCP and 5 WebSocket clients in one room", async () => {
  const out = await Deno.makeTempDir({ prefix: "tcpchat_bench_smoke_" });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), LIMIT_MS);
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-run",
        join(REPO, "bench", "main.ts"),
        "--quick",
        "--scenario",
        "websocket",
        "--servers",
        "tcpchat",
        "--no-wait-quiet",
        "--out",
        out,
        "--cache-dir",
        join(out, "cache"),
      ],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
      signal: abort.signal,
    }).output();
    const errors = new TextDecoder().decode(stderr);
    assert.equal(code, 0, `bench exited with ${code}:\n${errors}`);
    assert.match(
      new TextDecoder().decode(stdout),
      /WebSocket next to TCP: one TCPChat server, 5 clients over TCP and 5 over a WebSocket/,
    );

    const results = JSON.parse(
      await Deno.readTextFile(join(out, "quick.json")),
    ) as {
      websocket: Array<SmokeRun & { transport: string; senders: number }>;
    };
    assert.deepEqual(
      results.websocket.map((run) => run.transport),
      ["tcp", "websocket"],
    );
    for (const run of results.websocket) {
      const name = run.transport;
      assert.equal(run.clients, 5);
      assert.equal(run.senders, 2);
      assert.equal(run.loggedIn, 5, `${name}: logins`);
      assert.equal(run.loginFailures, 0, `${name}: failed logins`);
      assert.equal(run.disconnects, 0, `${name}: lost connections`);
      // 4 senders x 5 messages; each reaches the 9 other clients: 5 of them
      // of this transport for the other's 2 senders, 4 for its own 2.
      assert.equal(run.expected, 5 * (2 * 5 + 2 * 4), `${name}: expected`);
      assert.equal(run.delivered, run.expected, `${name}: deliveries`);
      assert.equal(run.deliveredPct, 100);
      assert.ok(run.latencyMs.p99 > 0, `${name}: no latency measured`);
    }
  } finally {
    clearTimeout(timer);
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("bench --quick files shares a 4 MiB file between two clients while 10 chat", async () => {
  const out = await Deno.makeTempDir({ prefix: "tcpchat_bench_smoke_" });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), LIMIT_MS);
  try {
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-run",
        join(REPO, "bench", "main.ts"),
        "--quick",
        "--scenario",
        "files",
        "--servers",
        "tcpchat",
        "--no-wait-quiet",
        "--out",
        out,
        "--cache-dir",
        join(out, "cache"),
      ],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
      signal: abort.signal,
    }).output();
    const errors = new TextDecoder().decode(stderr);
    assert.equal(code, 0, `bench exited with ${code}:\n${errors}`);
    const report = new TextDecoder().decode(stdout);
    assert.match(report, /Files: one TCPChat server sharing files/);
    assert.match(report, /a 4 MiB file/);

    const results = JSON.parse(
      await Deno.readTextFile(join(out, "quick.json")),
    ) as {
      files: {
        fileBytes: number;
        clients: number;
        senders: number;
        failed?: string;
        skipped?: string;
        transfer: {
          bytes: number;
          verified: boolean;
          uploadMBps: number;
          downloadMBps: number;
        };
        withoutTransfer: SmokeRun & { messages: number };
        duringUpload: SmokeRun;
        duringDownload: SmokeRun;
      };
    };
    const files = results.files;
    assert.equal(files.skipped, undefined);
    assert.equal(files.failed, undefined);
    assert.equal(files.fileBytes, 4 * 1024 * 1024);
    assert.equal(files.clients, 10);
    assert.equal(files.senders, 2);
    assert.equal(files.transfer.bytes, 4 * 1024 * 1024);
    assert.equal(files.transfer.verified, true);
    assert.ok(files.transfer.uploadMBps > 0, "no upload rate");
    assert.ok(files.transfer.downloadMBps > 0, "no download rate");
    // 2 senders x 5 messages, each to the 9 other chat clients.
    assert.equal(files.withoutTransfer.messages, 5);
    assert.equal(files.withoutTransfer.expected, 2 * 5 * 9);
    for (
      const [name, run] of [
        ["no transfer", files.withoutTransfer],
        ["upload", files.duringUpload],
        ["download", files.duringDownload],
      ] as const
    ) {
      assert.equal(run.loggedIn, 10, `${name}: logins`);
      assert.equal(run.disconnects, 0, `${name}: lost connections`);
      assert.ok(run.expected > 0, `${name}: nothing was sent`);
      assert.equal(run.delivered, run.expected, `${name}: deliveries`);
    }
  } finally {
    clearTimeout(timer);
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("bench steady window: deliveries interpolated between samples", () => {
  // 1,000 lines/s for 3 s, then a drain at 4,000 lines/s for 0.5 s.
  const samples: DeliverySample[] = [
    { at: 10_000, delivered: 0 },
    { at: 10_100, delivered: 100 },
    { at: 11_000, delivered: 1_000 },
    { at: 13_000, delivered: 3_000 },
    { at: 13_500, delivered: 5_000 },
  ];
  assert.equal(deliveredAt([], 5), 0);
  assert.equal(deliveredAt(samples, 9_000), 0, "before the first sample");
  assert.equal(deliveredAt(samples, 10_050), 50);
  assert.equal(deliveredAt(samples, 12_000), 2_000);
  assert.equal(deliveredAt(samples, 20_000), 5_000, "after the last sample");
  // The window from 1 s after the first send to the last send (13 s).
  assert.deepEqual(windowRate(samples, 11_000, 13_000), {
    lines: 2_000,
    seconds: 2,
    perSecond: 1_000,
  });
  // Between samples: 10.5 s to 12.5 s.
  assert.deepEqual(windowRate(samples, 10_500, 12_500), {
    lines: 2_000,
    seconds: 2,
    perSecond: 1_000,
  });
  assert.deepEqual(windowRate(samples, 13_000, 13_000), {
    lines: 0,
    seconds: 0,
    perSecond: 0,
  });
  assert.deepEqual(windowRate(samples, 13_000, 12_000).lines, 0);
  // Whole seconds only: the last half second of the drain is left out.
  assert.deepEqual(deliveriesPerSecond(samples, 10_000), [1_000, 1_000, 1_000]);
  assert.deepEqual(deliveriesPerSecond([], 0), []);
});

function peakResult(
  server: string,
  rate: number,
  sustained: number,
  disconnects = 0,
): FanoutResult {
  const none = { p50: 1, p99: 2, max: 3, mean: 1 };
  const offered = 200 * rate * 999;
  return {
    clients: 1000,
    senders: 200,
    messages: rate * 10,
    rate,
    warmup: 0,
    server,
    kind: server === "tcpchat" ? "tcpchat" : "ceiling",
    offeredLinesPerSec: offered,
    expected: offered * 10,
    delivered: offered * 10 - disconnects * 100,
    deliveredPct: 100,
    linesPerSec: sustained,
    latencyMs: none,
    loggedIn: 1000,
    loginFailures: 0,
    loginElapsedMs: 1000,
    loginPerClientMs: none,
    rssBeforeBytes: 0,
    rssLoggedInBytes: 0,
    rssAfterBytes: 0,
    serverCpuSeconds: 1,
    loadgenCpuSeconds: 1,
    sendSeconds: 10,
    maxSendLagMs: 1,
    machineCoresBusy: 2,
    machineSoftirqCores: 0.2,
    disconnects,
    disconnectReasons: disconnects > 0 ? ["b00001: closed by server"] : [],
    firstDisconnectSeconds: disconnects > 0 ? 7.5 : undefined,
    rateLimited: server === "tcpchat" ? 0 : undefined,
    sustained: {
      fromSeconds: 2,
      toSeconds: 10,
      lines: sustained * 8,
      linesPerSec: sustained,
      sentLinesPerSec: offered,
      perSecond: [],
      saturated: sustained < 0.95 * offered,
    },
  };
}

Deno.test("bench peak target: tcpchat's best rate against the ceiling's", () => {
  const target = (peak: FanoutResult[]) =>
    evaluateTargets({ fanout: [], peak, idle: [], logins: null }).find((
      check,
    ) => check.target.startsWith("peak sustained"))!;
  // Rates 5, 10, 20: both stopped at 10.
  const peak = [
    peakResult("ceiling", 5, 960_000),
    peakResult("tcpchat", 5, 700_000),
    peakResult("ceiling", 10, 900_000),
    peakResult("tcpchat", 10, 780_000, 12),
  ];
  peak[2]!.sustained!.stoppedBecause = "fell behind the offered load";
  peak[3]!.sustained!.stoppedBecause = "connections lost";
  assert.equal(peakRun(peak, "ceiling")!.rate, 5);
  assert.equal(peakRun(peak, "tcpchat")!.rate, 10);
  assert.equal(peakRun(peak, "ngircd"), undefined);
  // 780,000 / 960,000 = 81%; the ceiling fell behind 1,998,000 offered.
  const met = target(peak);
  assert.equal(met.met, true, met.measured);
  assert.match(met.measured, /= 81%/);
  assert.match(met.measured, /10 msg\/s, 12 disconnects/);
  assert.match(met.measured, /960,000 \(5 msg\/s, kept up\)/);
  const missed = target([
    peakResult("ceiling", 10, 900_000),
    peakResult("tcpchat", 10, 700_000),
  ]);
  assert.equal(missed.met, false, missed.measured);
  // Never saturated (the ceiling delivered all it was offered): no verdict.
  const offered = 200 * 5 * 999;
  const idle = target([
    peakResult("ceiling", 5, offered),
    peakResult("tcpchat", 5, offered),
  ]);
  assert.equal(idle.met, null);
  assert.match(idle.measured, /not evaluated/);
  assert.equal(target([]).met, null);
  assert.equal(target([peakResult("tcpchat", 5, 1)]).met, null);

  const results: BenchResults = {
    version: 1,
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:01:00.000Z",
    durationSeconds: 60,
    command: "deno task bench --scenario peak",
    machine: {
      cores: 2,
      memoryBytes: 2 ** 30,
      os: "linux",
      deno: "2",
      v8: "1",
      openFileLimit: null,
      ngircd: null,
      backgroundCoresAtStart: null,
    },
    config: {
      quick: false,
      scenarios: ["peak"],
      servers: ["tcpchat", "ceiling"],
      clients: 1000,
      loads: [],
      messages: 10,
      rate: 1,
      warmup: 0,
      repeat: 1,
      peakSenders: 200,
      peakRates: [5, 10, 20],
      peakSeconds: 10,
      peakSkip: 2,
      idle: 0,
      logins: 0,
      fastHashIterations: 1000,
      realHashIterations: 600_000,
    },
    notes: [],
    fanout: [],
    peak,
    idle: [],
    logins: null,
    historyWrites: null,
    targets: [],
  };
  results.targets = evaluateTargets(results);
  const report = formatReport(results);
  assert.match(report, /Peak: 1,000 clients/);
  assert.match(report, /from 2 s after a step's first send to its last send/);
  assert.match(report, /12 \(7\.5\)/, "disconnects and the first one's time");
  assert.match(
    report,
    /peak sustained lines\/s: ceiling 960,000 at 5 msg\/s \(kept up\); tcpchat 780,000 at 10 msg\/s, 81% of the ceiling's/,
  );
  assert.match(report, /\[MET \] peak sustained/);
  assert.match(report, /tcpchat R=10: connections lost; higher rates not run/);
  assert.match(
    report,
    /ceiling R=10: fell behind the offered load; higher rates not run/,
  );
});

Deno.test("bench websocket target and table: both transports, 100% delivered", () => {
  const row = (transport: "tcp" | "websocket", delivered: number) => {
    const run = peakResult("tcpchat", 1, 50_000);
    delete run.sustained;
    return {
      ...run,
      clients: 1000,
      senders: 25,
      transport,
      expected: 499_750,
      delivered,
      deliveredPct: 100 * delivered / 499_750,
    };
  };
  const target = (websocket: FanoutResult[]) =>
    evaluateTargets({ fanout: [], websocket, idle: [], logins: null }).find((
      check,
    ) => check.target.includes("WebSocket"))!;
  assert.equal(target([]).met, null);
  assert.match(target([]).measured, /not run/);
  const met = target([row("tcp", 499_750), row("websocket", 499_750)]);
  assert.equal(met.met, true, met.measured);
  assert.equal(
    met.target,
    "1,000 WebSocket + 1,000 TCP clients in one room: 100% delivered on both",
  );
  const missed = target([row("tcp", 499_750), row("websocket", 499_000)]);
  assert.equal(missed.met, false);
  assert.match(missed.measured, /websocket S=25 499,000 of 499,750 \(99\.850%/);
  const small = target([
    { ...row("tcp", 499_750), clients: 5 },
    { ...row("websocket", 499_750), clients: 5 },
  ]);
  assert.equal(small.met, null);
  assert.match(small.measured, /not evaluated: only 5 per transport/);

  const report = formatReport({
    version: 1,
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:01:00.000Z",
    durationSeconds: 60,
    command: "deno task bench --scenario websocket",
    machine: {
      cores: 2,
      memoryBytes: 2 ** 30,
      os: "linux",
      deno: "2",
      v8: "1",
      openFileLimit: null,
      ngircd: null,
      backgroundCoresAtStart: null,
    },
    config: {
      quick: false,
      scenarios: ["websocket"],
      servers: ["tcpchat"],
      clients: 1000,
      loads: [],
      messages: 10,
      rate: 1,
      warmup: 0,
      repeat: 1,
      wsClients: 1000,
      wsSenders: [25],
      idle: 0,
      logins: 0,
      fastHashIterations: 1000,
      realHashIterations: 600_000,
    },
    notes: [],
    fanout: [],
    websocket: [row("tcp", 499_750), row("websocket", 499_750)],
    idle: [],
    logins: null,
    historyWrites: null,
    targets: [met],
  });
  assert.match(report, /WebSocket next to TCP: one TCPChat server, 1,000/);
  assert.match(
    report,
    /\n {2}tcp +1,000 +25 +199,800 +499,750\/499,750 +100\.00 /,
  );
  assert.match(
    report,
    /\n {2}websocket +1,000 +25 +199,800 +499,750\/499,750 /,
  );
  assert.match(report, /\[MET \] 1,000 WebSocket \+ 1,000 TCP clients/);
});
