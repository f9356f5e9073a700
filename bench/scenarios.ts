/**
 * The benchmark scenarios: fan-out in one room, idle connections, a login
 * storm, and history write throughput. Each returns plain data for the
 * report, the JSON file and the chart.
 *
 * @module
 */

import { join } from "node:path";
import { HistoryWriter } from "../lib/server/chat/history_writer.ts";
import { PasswordHasher } from "../lib/server/auth/password_hash.ts";
import { SqliteStore } from "../lib/store/sqlite/sqlite_store.ts";
import type { StoredMessage } from "../lib/store/store.ts";
import { BENCH_PASSWORD, copyTemplate } from "./accounts.ts";
import {
  ceilingProtocol,
  type Client,
  connectAll,
  type ConnectResult,
  ircProtocol,
  type PaceResult,
  type Protocol,
  sendPaced,
  Sink,
  tcpchatProtocol,
  type Transport,
  waitQuiet,
} from "./load_gen.ts";
import { NGIRCD_INSTALL_HINT } from "./ngircd.ts";
import {
  type BenchFileSharing,
  freePort,
  type MemoryReport,
  type ServerHandle,
  type ServerKind,
  startCeiling,
  startNgircd,
  startTcpchat,
} from "./servers.ts";
import {
  type CpuProfile,
  InspectorProfiler,
  type ProfileEntry,
  SelfProfiler,
  summarizeProfile,
} from "./profiler.ts";
import {
  coreCount,
  deliveriesPerSecond,
  type DeliverySample,
  machineCoresBusy,
  type MachineCpu,
  readCpuSeconds,
  readMachineCpu,
  SATURATED_BELOW,
  sleep,
  windowRate,
} from "./stats.ts";

/** One server configuration in a comparison. */
export interface ServerSpec {
  /** Row and series label, e.g. `tcpchat`, `tcpchat (history off)`. */
  label: string;
  kind: ServerKind;
  /** TCPChat only: persist history. @default {true} */
  history?: boolean;
}

/** What every scenario needs to start servers. */
export interface BenchContext {
  /** Fresh folder for this run's databases and configs. */
  workDir: string;
  /** Template with fast-hashed accounts (fan-out, idle). */
  fastTemplate?: string;
  /** Its PBKDF2 iterations. */
  fastIterations: number;
  /** Template with accounts hashed at the real cost (logins). */
  realTemplate?: string;
  /** The ngircd binary, when installed. */
  ngircd?: string;
  /** Progress lines. */
  log: (line: string) => void;
  /** Save CPU profiles of the Deno servers' send phase here. */
  profileDir?: string;
  /**
   * Called as the measured part of a fan-out run starts and ends, with the
   * server's process id: a hook for outside tools (`perf stat -p`, `ss`).
   */
  onMeasure?: (event: "start" | "end", server: ServerHandle) => void;
}

/** Shape of one fan-out load point. */
export interface FanoutParams {
  clients: number;
  senders: number;
  /** Messages per sender. */
  messages: number;
  /** Messages per second per sender. */
  rate: number;
  /** Uncounted messages per sender sent first. @default {0} */
  warmup?: number;
}

/**
 * Deliveries in the steady part of a run (the peak scenario): from
 * `fromSeconds` after the first measured send to the last send, so neither
 * the start nor the drain after the sends counts.
 */
export interface SustainedResult {
  /** Window start, seconds after the first measured send. */
  fromSeconds: number;
  /** Window end (the last send), seconds after the first measured send. */
  toSeconds: number;
  /** Deliveries counted inside the window (interpolated between samples). */
  lines: number;
  /** lines / window length: the sustained delivered lines/s. */
  linesPerSec: number;
  /**
   * The load the generator actually offered: the rate of its sends from the
   * first to the last, times (clients - 1) receivers.
   */
  sentLinesPerSec: number;
  /** Deliveries in each whole second after the first send, drain included. */
  perSecond: number[];
  /**
   * Whether the server fell behind: linesPerSec below
   * {@linkcode SATURATED_BELOW} of the offered load.
   */
  saturated: boolean;
  /** Why the staircase stopped after this step, when higher rates were left. */
  stoppedBecause?: string;
}

/** Latency summary in milliseconds. */
export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** One server at one fan-out load point. */
export interface FanoutResult extends FanoutParams {
  server: string;
  kind: ServerKind;
  history?: boolean;
  /**
   * The WebSocket scenario: the transport of this row's clients (`clients`
   * and `senders` count that transport's only).
   */
  transport?: Transport;
  /** Why the row has no numbers (for example ngircd is not installed). */
  skipped?: string;
  /** Offered load: senders x rate x (clients - 1) lines per second. */
  offeredLinesPerSec: number;
  expected: number;
  delivered: number;
  deliveredPct: number;
  /** Deliveries over the time from the first send to the last delivery. */
  linesPerSec: number;
  latencyMs: LatencySummary;
  loggedIn: number;
  loginFailures: number;
  loginFirstError?: string;
  /** Wall time to connect and log in every client, ms. */
  loginElapsedMs: number;
  loginPerClientMs: LatencySummary;
  rssBeforeBytes: number;
  rssLoggedInBytes: number;
  rssAfterBytes: number;
  /** Server CPU seconds from the first send to the end of the drain. */
  serverCpuSeconds: number;
  /** Load generator CPU seconds over the same span. */
  loadgenCpuSeconds: number;
  /** Seconds from the first send to the end of the drain. */
  sendSeconds: number;
  maxSendLagMs: number;
  /** Cores busy machine-wide over the send phase (all processes, kernel included). */
  machineCoresBusy: number;
  /** The part of it spent in softirq (loopback TCP delivery, mostly). */
  machineSoftirqCores: number;
  /** Cores other processes used just before the run (noise). */
  backgroundCores?: number;
  disconnects: number;
  disconnectReasons: string[];
  /** Seconds from the first measured send to the first lost connection. */
  firstDisconnectSeconds?: number;
  /** TCPChat's `ERROR rate_limited` notices (its flood limit) received. */
  rateLimited?: number;
  /** Peak runs: the deliveries of the steady window. */
  sustained?: SustainedResult;
  /** With `--profile`: the server's hottest functions over the send phase. */
  profile?: { file: string; top: ProfileEntry[] };
  /** With `--profile`: the load generator's, over the same phase. */
  loadgenProfile?: { file: string; top: ProfileEntry[] };
}

function protocolFor(kind: ServerKind): Protocol {
  switch (kind) {
    case "tcpchat":
      return tcpchatProtocol(BENCH_PASSWORD);
    case "ceiling":
      return ceilingProtocol();
    case "ngircd":
      return ircProtocol();
  }
}

let databases = 0;

async function startServer(
  spec: ServerSpec,
  context: BenchContext,
  options: {
    template?: string;
    hashIterations?: number;
    maxClients: number;
    ratePerSecond: number;
    loginTimeoutMs?: number;
    inspectPort?: number;
    /** ngIRCd: keep its penalties (flood throttle). @default {true} */
    ngircdPenalties?: boolean;
    /** TCPChat: also serve WebSockets on this port (0: a free one). */
    webPort?: number;
    /** TCPChat: share files (needs `webPort`). */
    files?: BenchFileSharing;
  },
): Promise<ServerHandle> {
  switch (spec.kind) {
    case "tcpchat": {
      if (options.template === undefined) {
        throw new TypeError("Cannot start tcpchat: no account template");
      }
      const db = join(context.workDir, `tcpchat-${++databases}.db`);
      await copyTemplate(options.template, db);
      return await startTcpchat({
        db,
        hashIterations: options.hashIterations,
        // The flood limit is set to the scenario's rate with headroom, so
        // the bench measures delivery, not the limiter.
        rateBurst: Math.max(10, Math.ceil(options.ratePerSecond * 4)),
        ratePerSecond: Math.max(5, options.ratePerSecond * 2),
        maxClients: options.maxClients,
        history: spec.history ?? true,
        loginTimeoutMs: options.loginTimeoutMs,
        inspectPort: options.inspectPort,
        webPort: options.webPort,
        files: options.files,
      });
    }
    case "ceiling":
      return await startCeiling({ inspectPort: options.inspectPort });
    case "ngircd": {
      if (context.ngircd === undefined) {
        throw new Error(`ngircd is not installed: ${NGIRCD_INSTALL_HINT}`);
      }
      const dir = join(context.workDir, `ngircd-${++databases}`);
      await Deno.mkdir(dir);
      return await startNgircd(context.ngircd, dir, {
        penalties: options.ngircdPenalties,
      });
    }
  }
}

function summary(histogram: {
  quantile(q: number): number;
  max: number;
  mean: number;
}, scale: number): LatencySummary {
  return {
    p50: histogram.quantile(0.5) / scale,
    p99: histogram.quantile(0.99) / scale,
    max: histogram.max / scale,
    mean: histogram.mean / scale,
  };
}

function ownCpu(): number {
  return readCpuSeconds(Deno.pid) ?? 0;
}

async function closeAll(clients: Client[]): Promise<void> {
  for (const client of clients) client.close();
  // Let the read loops see their closed connections.
  await sleep(50);
}

/** An empty fan-out row, for a server that could not run. */
function skippedFanout(
  spec: ServerSpec,
  params: FanoutParams,
  reason: string,
): FanoutResult {
  const none = { p50: 0, p99: 0, max: 0, mean: 0 };
  return {
    ...params,
    server: spec.label,
    kind: spec.kind,
    history: spec.history,
    skipped: reason,
    offeredLinesPerSec: params.senders * params.rate * (params.clients - 1),
    expected: 0,
    delivered: 0,
    deliveredPct: 0,
    linesPerSec: 0,
    latencyMs: none,
    loggedIn: 0,
    loginFailures: 0,
    loginElapsedMs: 0,
    loginPerClientMs: none,
    rssBeforeBytes: 0,
    rssLoggedInBytes: 0,
    rssAfterBytes: 0,
    serverCpuSeconds: 0,
    loadgenCpuSeconds: 0,
    sendSeconds: 0,
    maxSendLagMs: 0,
    machineCoresBusy: 0,
    machineSoftirqCores: 0,
    disconnects: 0,
    disconnectReasons: [],
  };
}

/** How often the delivery count is sampled for the steady window, ms. */
const SAMPLE_MS = 100;

/** A server with its clients logged in, between send phases. */
export interface Session {
  spec: ServerSpec;
  server: ServerHandle;
  /** Every client that logged in (some may have closed since). */
  clients: Client[];
  login: ConnectResult;
  /** What the clients count into now. */
  sink: Sink;
  rssBeforeBytes: number;
  rssLoggedInBytes: number;
  profiler?: InspectorProfiler;
}

/**
 * Starts the server, connects and logs in `limits.clients` clients, lets the join
 * notices settle, runs `body`, and stops everything; `skipped` makes the
 * answer for a server that cannot start.
 */
export async function withSession<T>(
  spec: ServerSpec,
  limits: {
    clients: number;
    /** TCPChat's flood limit is set from it. */
    ratePerSecond: number;
    /** ngIRCd: keep its penalties. @default {true} */
    ngircdPenalties?: boolean;
    /** TCPChat: its web port (0: a free one). */
    webPort?: number;
    /** TCPChat: share files. */
    files?: BenchFileSharing;
  },
  context: BenchContext,
  skipped: (reason: string) => T,
  body: (session: Session) => Promise<T>,
): Promise<T> {
  if (spec.kind === "ngircd" && context.ngircd === undefined) {
    return skipped(`not installed; install it with: ${NGIRCD_INSTALL_HINT}`);
  }
  const profiling = context.profileDir !== undefined &&
    spec.kind !== "ngircd";
  let server: ServerHandle;
  try {
    server = await startServer(spec, context, {
      template: context.fastTemplate,
      hashIterations: context.fastIterations,
      maxClients: limits.clients + 100,
      ratePerSecond: limits.ratePerSecond,
      ngircdPenalties: limits.ngircdPenalties,
      inspectPort: profiling ? freePort() : undefined,
      webPort: limits.webPort,
      files: limits.files,
    });
  } catch (error) {
    return skipped((error as Error).message);
  }
  let clients: Client[] = [];
  let profiler: InspectorProfiler | undefined;
  try {
    await sleep(300);
    const rssBeforeBytes = server.rss() ?? 0;
    const sink = new Sink();
    const login = await connectAll({
      port: server.port,
      protocol: protocolFor(spec.kind),
      count: limits.clients,
      sink,
      // ngIRCd holds each JOIN for a second: let every client wait at once.
      concurrency: limits.clients,
    });
    clients = login.clients;
    // Let the join notices (each login tells everyone) settle.
    await waitQuiet(sink, 500, 30_000);
    const rssLoggedInBytes = server.rss() ?? 0;
    if (profiling) {
      profiler = await InspectorProfiler.connect(server.inspectPort!);
    }
    return await body({
      spec,
      server,
      clients,
      login,
      sink,
      rssBeforeBytes,
      rssLoggedInBytes,
      profiler,
    });
  } finally {
    profiler?.close();
    const stopping = server.stop();
    await closeAll(clients);
    await stopping;
  }
}

/**
 * One send phase on a logged-in session: the first `params.senders` live
 * clients each send `params.messages` at `params.rate` per second, then the
 * drain waits for the deliveries (until all arrived, or none for 5 s, 60 s
 * at most). With `steadySkipSeconds`, the deliveries of the steady window
 * are counted too. `pacing.signal` ends the sends early (see
 * `PaceOptions.signal` in load_gen.ts); `pacing.onMeasureStart` runs as the
 * first measured message goes out; `pacing.profileName` names its
 * profiles (with `--profile`).
 */
export async function sendPhase(
  session: Session,
  params: FanoutParams,
  context: BenchContext,
  steadySkipSeconds?: number,
  pacing: {
    signal?: AbortSignal;
    onMeasureStart?: () => void;
    /** The profiles' name, instead of one made from the server and senders. */
    profileName?: string;
  } = {},
): Promise<FanoutResult> {
  const { spec, server, sink, login } = session;
  // Clients the server dropped before this phase neither send nor receive.
  const clients = session.clients.filter((client) => !client.closed);
  const senders = clients.slice(0, params.senders);
  const profiler = session.profiler;
  let selfProfiler: SelfProfiler | undefined;
  let sampler: ReturnType<typeof setInterval> | undefined;
  try {
    if (profiler !== undefined) await profiler.start();
    if (context.profileDir !== undefined) {
      selfProfiler = new SelfProfiler();
      await selfProfiler.start();
    }
    let mark: CpuMark = { server: 0, own: 0, machine: undefined };
    const samples: DeliverySample[] = [];
    const sample = () =>
      samples.push({ at: performance.now(), delivered: sink.delivered });
    const sampling = steadySkipSeconds !== undefined;
    const delivered0 = sink.delivered;
    const pace = await sendPaced({
      senders,
      messages: params.messages,
      rate: params.rate,
      warmupMessages: params.warmup,
      signal: pacing.signal,
      onMeasureStart() {
        mark = markCpu(server);
        context.onMeasure?.("start", server);
        pacing.onMeasureStart?.();
        if (sampling) {
          sample();
          sampler = setInterval(sample, SAMPLE_MS);
        }
      },
    });
    // The window ends here, at the last send: sample it exactly.
    if (sampling) sample();
    const expected = pace.sent * (clients.length - 1);
    await drain([sink], delivered0, expected, pace.lastSendAt);
    clearInterval(sampler);
    if (sampling) sample();
    const endedAt = performance.now();
    context.onMeasure?.("end", server);
    const cpu = cpuSince(mark, server);
    const rssAfterBytes = server.rss() ?? 0;
    const delivered = sink.delivered - delivered0;
    let sustained: SustainedResult | undefined;
    if (steadySkipSeconds !== undefined) {
      const from = pace.firstSendAt + steadySkipSeconds * 1000;
      const window = windowRate(samples, from, pace.lastSendAt);
      const sendSpan = (pace.lastSendAt - pace.firstSendAt) / 1000;
      sustained = {
        fromSeconds: steadySkipSeconds,
        toSeconds: sendSpan,
        lines: Math.round(window.lines),
        linesPerSec: window.perSecond,
        // n sends span n - 1 intervals.
        sentLinesPerSec: sendSpan > 0
          ? ((pace.sent - 1) * (clients.length - 1)) / sendSpan
          : 0,
        perSecond: deliveriesPerSecond(samples, pace.firstSendAt),
        saturated: window.perSecond < SATURATED_BELOW *
            (params.senders * params.rate * (params.clients - 1)),
      };
    }
    const profileName = pacing.profileName ??
      `${sampling ? "peak-" : ""}${
        spec.label.replace(/[^a-z0-9]+/gi, "_")
      }-${params.senders}${sampling ? `x${params.rate}` : ""}`;
    let profile: FanoutResult["profile"];
    if (profiler !== undefined) {
      profile = await saveProfile(
        await profiler.stop(),
        join(context.profileDir!, `${profileName}.cpuprofile`),
      );
    }
    let loadgenProfile: FanoutResult["loadgenProfile"];
    if (selfProfiler !== undefined) {
      loadgenProfile = await saveProfile(
        await selfProfiler.stop(),
        join(context.profileDir!, `loadgen-${profileName}.cpuprofile`),
      );
      selfProfiler = undefined;
    }
    // Ended early: the row says how many each sender sent.
    const sentEach = pacing.signal === undefined || senders.length === 0
      ? params.messages
      : pace.sent / senders.length;
    return {
      ...fanoutRow(spec, { ...params, messages: sentEach }, {
        offeredLinesPerSec: params.senders * params.rate *
          (params.clients - 1),
        sink,
        expected,
        delivered,
        login,
        pace,
        endedAt,
        cpu,
        rssBeforeBytes: session.rssBeforeBytes,
        rssLoggedInBytes: session.rssLoggedInBytes,
        rssAfterBytes,
      }),
      sustained,
      profile,
      loadgenProfile,
    };
  } finally {
    clearInterval(sampler);
    await selfProfiler?.stop().catch(() => {});
  }
}

/** CPU counters at the start of a measured span. */
interface CpuMark {
  server: number;
  own: number;
  machine: MachineCpu | undefined;
}

/** CPU used over a measured span. */
interface CpuUse {
  serverCpuSeconds: number;
  loadgenCpuSeconds: number;
  machineCoresBusy: number;
  machineSoftirqCores: number;
}

function markCpu(server: ServerHandle): CpuMark {
  return {
    server: server.cpu() ?? 0,
    own: ownCpu(),
    machine: readMachineCpu(),
  };
}

function cpuSince(mark: CpuMark, server: ServerHandle): CpuUse {
  const serverCpuSeconds = (server.cpu() ?? 0) - mark.server;
  const loadgenCpuSeconds = ownCpu() - mark.own;
  const machine = machineCoresBusy(mark.machine, readMachineCpu(), coreCount());
  return {
    serverCpuSeconds,
    loadgenCpuSeconds,
    machineCoresBusy: machine?.busy ?? 0,
    machineSoftirqCores: machine?.softirq ?? 0,
  };
}

/**
 * Waits for `expected` deliveries into `sinks` after `delivered0` (their
 * total before the sends): until all arrived, or nothing new for 5 s after
 * the last send or delivery (60 s at most).
 */
async function drain(
  sinks: readonly Sink[],
  delivered0: number,
  expected: number,
  lastSendAt: number,
): Promise<void> {
  const deadline = performance.now() + 60_000;
  const delivered = () => sinks.reduce((sum, sink) => sum + sink.delivered, 0);
  const lastDeliveryAt = () =>
    Math.max(...sinks.map((sink) => sink.lastDeliveryAt));
  while (
    delivered() - delivered0 < expected &&
    performance.now() < deadline &&
    performance.now() - Math.max(lastDeliveryAt(), lastSendAt) < 5_000
  ) {
    await sleep(20);
  }
}

/** What one group of clients measured over a send phase. */
interface RowMeasures {
  /** Lines per second offered to this group's clients. */
  offeredLinesPerSec: number;
  /** What the group's clients counted into. */
  sink: Sink;
  expected: number;
  /** Deliveries in this phase. */
  delivered: number;
  login: ConnectResult;
  pace: PaceResult;
  /** When the drain ended. */
  endedAt: number;
  cpu: CpuUse;
  rssBeforeBytes: number;
  rssLoggedInBytes: number;
  rssAfterBytes: number;
}

/** A fan-out row (without the peak and profile parts) from its measures. */
function fanoutRow(
  spec: ServerSpec,
  params: FanoutParams,
  m: RowMeasures,
): FanoutResult {
  const { sink, pace, login, delivered, expected } = m;
  const span = (sink.lastDeliveryAt - pace.firstSendAt) / 1000;
  return {
    ...params,
    server: spec.label,
    kind: spec.kind,
    history: spec.history,
    offeredLinesPerSec: m.offeredLinesPerSec,
    expected,
    delivered,
    deliveredPct: expected === 0 ? 0 : (100 * delivered) / expected,
    linesPerSec: span > 0 ? delivered / span : 0,
    latencyMs: summary(sink.latency, 1000),
    loggedIn: login.clients.length,
    loginFailures: login.failed,
    loginFirstError: login.firstError,
    loginElapsedMs: login.elapsedMs,
    loginPerClientMs: summary(login.perClient, 1000),
    rssBeforeBytes: m.rssBeforeBytes,
    rssLoggedInBytes: m.rssLoggedInBytes,
    rssAfterBytes: m.rssAfterBytes,
    serverCpuSeconds: m.cpu.serverCpuSeconds,
    loadgenCpuSeconds: m.cpu.loadgenCpuSeconds,
    sendSeconds: (m.endedAt - pace.firstSendAt) / 1000,
    maxSendLagMs: pace.maxLagMs,
    machineCoresBusy: m.cpu.machineCoresBusy,
    machineSoftirqCores: m.cpu.machineSoftirqCores,
    disconnects: sink.disconnects,
    disconnectReasons: sink.reasons,
    firstDisconnectSeconds: sink.disconnects > 0
      ? (sink.firstLossAt - pace.firstSendAt) / 1000
      : undefined,
    rateLimited: spec.kind === "tcpchat" ? sink.rateLimited : undefined,
  };
}

/**
 * Fan-out: `clients` connect and log in to one room, then `senders` of them
 * each send `messages` messages at `rate` per second; every client counts
 * what it receives and how late.
 */
export async function runFanout(
  spec: ServerSpec,
  params: FanoutParams,
  context: BenchContext,
): Promise<FanoutResult> {
  return await withSession(
    spec,
    { clients: params.clients, ratePerSecond: params.rate },
    context,
    (reason) => skippedFanout(spec, params, reason),
    (session) => sendPhase(session, params, context),
  );
}

/** Shape of the WebSocket scenario: as many clients on each transport. */
export interface WebSocketParams {
  /** Clients on each transport. */
  clients: number;
  /** Senders on each transport. */
  senders: number;
  /** Messages per sender. */
  messages: number;
  /** Messages per second per sender. */
  rate: number;
  /** Uncounted messages per sender sent first. @default {0} */
  warmup?: number;
}

/** The WebSocket scenario's transports, in the order of its rows. */
export const WEBSOCKET_TRANSPORTS: readonly Transport[] = ["tcp", "websocket"];

/**
 * WebSocket next to TCP: one TCPChat server with its web port; `clients`
 * log in over TCP and as many over a WebSocket (`/ws`), all to the lobby.
 * Then `senders` of each transport send `messages` at `rate` per second,
 * on one paced schedule that alternates between the transports; each
 * message is expected by every other client of both. One row per
 * transport (TCP first), each with its own deliveries, lines/s and
 * latency; the server's RSS and CPU, and the load generator's CPU, are the
 * whole run's, the same in both rows.
 */
export async function runWebSocket(
  params: WebSocketParams,
  context: BenchContext,
): Promise<FanoutResult[]> {
  const spec: ServerSpec = { label: "tcpchat", kind: "tcpchat" };
  const { clients: count, senders: perTransport, rate } = params;
  const rowParams: FanoutParams = {
    clients: count,
    senders: perTransport,
    messages: params.messages,
    rate,
    warmup: params.warmup ?? 0,
  };
  // Offered to each transport's clients: every message reaches all of them
  // but its sender.
  const offered = rate * (2 * perTransport * count - perTransport);
  const profiling = context.profileDir !== undefined;
  let server: ServerHandle;
  try {
    server = await startServer(spec, context, {
      template: context.fastTemplate,
      hashIterations: context.fastIterations,
      maxClients: 2 * count + 100,
      ratePerSecond: rate,
      webPort: 0,
      inspectPort: profiling ? freePort() : undefined,
    });
  } catch (error) {
    return WEBSOCKET_TRANSPORTS.map((transport) => ({
      ...skippedFanout(spec, rowParams, (error as Error).message),
      offeredLinesPerSec: offered,
      transport,
    }));
  }
  const all: Client[] = [];
  let profiler: InspectorProfiler | undefined;
  let selfProfiler: SelfProfiler | undefined;
  try {
    await sleep(300);
    const rssBeforeBytes = server.rss() ?? 0;
    const groups: Array<{ sink: Sink; login: ConnectResult }> = [];
    for (const [i, transport] of WEBSOCKET_TRANSPORTS.entries()) {
      const sink = new Sink();
      const login = await connectAll({
        port: transport === "tcp" ? server.port : server.webPort!,
        transport,
        protocol: protocolFor("tcpchat"),
        count,
        sink,
        concurrency: count,
        // Distinct accounts: TCP b00000…, WebSocket from b<count>.
        firstIndex: i * count,
      });
      groups.push({ sink, login });
      all.push(...login.clients);
    }
    const sinks = groups.map((group) => group.sink);
    for (const sink of sinks) await waitQuiet(sink, 500, 30_000);
    const rssLoggedInBytes = server.rss() ?? 0;
    // Clients the server dropped before the sends neither send nor receive.
    const live = groups.map((group) =>
      group.login.clients.filter((client) => !client.closed)
    );
    const senders = alternate(live.map((list) => list.slice(0, perTransport)));
    const delivered0 = sinks.map((sink) => sink.delivered);
    if (profiling) {
      profiler = await InspectorProfiler.connect(server.inspectPort!);
      await profiler.start();
      selfProfiler = new SelfProfiler();
      await selfProfiler.start();
    }
    let mark: CpuMark = { server: 0, own: 0, machine: undefined };
    const pace = await sendPaced({
      senders,
      messages: params.messages,
      rate,
      warmupMessages: params.warmup,
      onMeasureStart() {
        mark = markCpu(server);
        context.onMeasure?.("start", server);
      },
    });
    // Every sender sent the same number; each reaches all live clients but itself.
    const perSender = senders.length === 0 ? 0 : pace.sent / senders.length;
    const expected = live.map((list, i) =>
      perSender *
      (senders.length * list.length -
        Math.min(perTransport, live[i]!.length))
    );
    await drain(
      sinks,
      delivered0.reduce((a, b) => a + b, 0),
      expected.reduce((a, b) => a + b, 0),
      pace.lastSendAt,
    );
    const endedAt = performance.now();
    context.onMeasure?.("end", server);
    const cpu = cpuSince(mark, server);
    const rssAfterBytes = server.rss() ?? 0;
    // Both rows share the run's profiles (one server, one load generator).
    let profile: FanoutResult["profile"];
    let loadgenProfile: FanoutResult["loadgenProfile"];
    if (profiler !== undefined && selfProfiler !== undefined) {
      const name = `websocket-${perTransport}x2`;
      profile = await saveProfile(
        await profiler.stop(),
        join(context.profileDir!, `${name}.cpuprofile`),
      );
      loadgenProfile = await saveProfile(
        await selfProfiler.stop(),
        join(context.profileDir!, `loadgen-${name}.cpuprofile`),
      );
      selfProfiler = undefined;
    }
    return WEBSOCKET_TRANSPORTS.map((transport, i) => ({
      ...fanoutRow(spec, {
        ...rowParams,
        senders: Math.min(perTransport, live[i]!.length),
      }, {
        offeredLinesPerSec: offered,
        sink: sinks[i]!,
        expected: expected[i]!,
        delivered: sinks[i]!.delivered - delivered0[i]!,
        login: groups[i]!.login,
        pace,
        endedAt,
        cpu,
        rssBeforeBytes,
        rssLoggedInBytes,
        rssAfterBytes,
      }),
      transport,
      profile,
      loadgenProfile,
    }));
  } finally {
    profiler?.close();
    await selfProfiler?.stop().catch(() => {});
    const stopping = server.stop();
    await closeAll(all);
    await stopping;
  }
}

/** The lists' items taken in turn: a0, b0, a1, b1, … (the rest at the end). */
function alternate<T>(lists: readonly T[][]): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...lists.map((list) => list.length));
  for (let i = 0; i < longest; i++) {
    for (const list of lists) if (i < list.length) out.push(list[i]!);
  }
  return out;
}

/** Shape of the peak scenario for one server. */
export interface PeakParams {
  clients: number;
  senders: number;
  /** Messages per second per sender, one step each, lowest first. */
  rates: number[];
  /** Seconds of sending per step. */
  seconds: number;
  /** Seconds after a step's first send left out of its steady window. */
  skipSeconds: number;
}

/**
 * Peak: `clients` log in once; then a staircase of send phases, one per
 * rate from the lowest, `senders` sending for `seconds` at that rate, each
 * with its steady window (see {@linkcode SustainedResult}). The staircase
 * stops after the first step where the server fell behind (sustained below
 * {@linkcode SATURATED_BELOW} of the offered load) or lost a connection:
 * a higher rate would only pile up more backlog. One result per step run.
 */
export async function runPeak(
  spec: ServerSpec,
  params: PeakParams,
  context: BenchContext,
): Promise<FanoutResult[]> {
  const rates = [...params.rates].sort((a, b) => a - b);
  const skipSeconds = params.skipSeconds;
  const shape = (rate: number): FanoutParams => ({
    clients: params.clients,
    senders: Math.min(params.senders, params.clients),
    // Whole messages: the sending lasts about `seconds`.
    messages: Math.max(1, Math.round(rate * params.seconds)),
    rate,
    // The steady window leaves the start out instead.
    warmup: 0,
  });
  return await withSession(
    spec,
    {
      clients: params.clients,
      // TCPChat's flood limit, set once for the whole staircase, allows the
      // highest rate (twice it, burst four times it).
      ratePerSecond: Math.max(...rates),
      // ngIRCd's penalties would hold a sender back at about 4 msg/s (256
      // bytes a second): off, as TCPChat's limit is raised.
      ngircdPenalties: false,
    },
    context,
    (reason) => [skippedFanout(spec, shape(rates[0]!), reason)],
    async (session) => {
      const results: FanoutResult[] = [];
      for (const [step, rate] of rates.entries()) {
        if (step > 0) {
          // Each step counts into its own sink, from a settled server.
          await waitQuiet(session.sink, 500, 30_000);
          session.sink = new Sink();
          for (const client of session.clients) client.sink = session.sink;
        }
        const params = shape(rate);
        context.log(
          `peak: ${spec.label}, ${params.clients} clients, ${params.senders} senders x ${params.messages} at ${rate}/s`,
        );
        const result = await sendPhase(
          session,
          params,
          context,
          skipSeconds,
        );
        results.push(result);
        const sustained = result.sustained!;
        context.log(
          `  sustained ${Math.round(sustained.linesPerSec)} lines/s of ${
            Math.round(result.offeredLinesPerSec)
          } offered; ${result.delivered}/${result.expected} delivered, p99 ${
            result.latencyMs.p99.toFixed(1)
          } ms, ${result.disconnects} disconnects`,
        );
        if (step === rates.length - 1) break;
        if (result.disconnects > 0) {
          sustained.stoppedBecause = "connections lost";
        } else if (sustained.saturated) {
          sustained.stoppedBecause = "fell behind the offered load";
        }
        if (sustained.stoppedBecause !== undefined) {
          context.log(
            `  ${sustained.stoppedBecause}: rates above ${rate}/s not run`,
          );
          break;
        }
      }
      return results;
    },
  );
}

async function saveProfile(
  profile: CpuProfile,
  file: string,
): Promise<{ file: string; top: ProfileEntry[] }> {
  await Deno.writeTextFile(file, JSON.stringify(profile));
  return { file, top: summarizeProfile(profile) };
}

/** Idle connections and the server memory they cost. */
export interface IdleResult {
  server: string;
  kind: ServerKind;
  requested: number;
  connected: number;
  failed: number;
  firstError?: string;
  loginElapsedMs: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** RSS after a full garbage collection, bytes. */
  rssAfterGcBytes: number;
  /** The server's `Deno.memoryUsage()` after that collection, and before the logins. */
  memoryBefore?: MemoryReport;
  memoryAfterGc?: MemoryReport;
  /** (after - before) / connected. */
  rssPerConnectionBytes: number;
  /**
   * (after GC - before) / connected: memory held per idle connection, without
   * the garbage the login storm left behind.
   */
  rssPerConnectionAfterGcBytes: number;
  /** Connections lost after logging in, with the first reasons. */
  disconnects: number;
  disconnectReasons: string[];
}

/**
 * Idle: `count` clients log in and stay silent; the server's memory is read
 * before the first connects and once the login storm has settled.
 */
export async function runIdle(
  spec: ServerSpec,
  count: number,
  context: BenchContext,
): Promise<IdleResult> {
  const server = await startServer(spec, context, {
    template: context.fastTemplate,
    hashIterations: context.fastIterations,
    maxClients: count + 100,
    ratePerSecond: 5,
    loginTimeoutMs: 600_000,
  });
  let clients: Client[] = [];
  try {
    const memoryBefore = await server.collectGarbage(500);
    const rssBeforeBytes = server.rss() ?? 0;
    const sink = new Sink();
    const login = await connectAll({
      port: server.port,
      protocol: protocolFor(spec.kind),
      count,
      sink,
      // Few logins in flight: each one tells every client already in the
      // lobby, and a server that falls behind queues those lines in memory.
      concurrency: 50,
      timeoutMs: 300_000,
    });
    await waitQuiet(sink, 1_000, 120_000);
    // A moment for the queues' buffers and the login garbage to be freed.
    await sleep(3_000);
    const rssAfterBytes = server.rss() ?? 0;
    const memoryAfterGc = await server.collectGarbage(2_000);
    const rssAfterGcBytes = server.rss() ?? 0;
    // Those still connected now (some may have been dropped since).
    clients = login.clients.filter((client) => !client.closed);
    const per = (bytes: number) =>
      clients.length === 0 ? 0 : (bytes - rssBeforeBytes) / clients.length;
    return {
      server: spec.label,
      kind: spec.kind,
      requested: count,
      connected: clients.length,
      failed: login.failed,
      firstError: login.firstError,
      loginElapsedMs: login.elapsedMs,
      rssBeforeBytes,
      rssAfterBytes,
      rssAfterGcBytes,
      memoryBefore,
      memoryAfterGc,
      rssPerConnectionBytes: per(rssAfterBytes),
      rssPerConnectionAfterGcBytes: per(rssAfterGcBytes),
      disconnects: sink.disconnects,
      disconnectReasons: sink.reasons,
    };
  } finally {
    const stopping = server.stop(10_000);
    await closeAll(clients);
    await stopping;
  }
}

/** A login storm against the cost of the hashing it needs. */
export interface LoginsResult {
  count: number;
  succeeded: number;
  failed: number;
  firstError?: string;
  /** Clients logging in at once. */
  concurrency: number;
  elapsedMs: number;
  perLoginMs: LatencySummary;
  /**
   * One PBKDF2 verification at the server's cost, timed here one at a time
   * before the storm: the median of the samples, ms.
   */
  hashMs: number;
  /** Every sample, ms (absent in results written before they were kept). */
  hashSamplesMs?: number[];
  iterations: number;
  cores: number;
  /** count x hashMs / cores: the time if every core did nothing but hash. */
  boundMs: number;
  /** elapsedMs / boundMs. */
  ratio: number;
  /** Server CPU seconds over the storm, and as cores busy on average. */
  serverCpuSeconds: number;
  serverCoresBusy: number;
}

/** Times `samples` password verifications at `iterations`, one at a time, ms. */
export async function measureHashMs(
  iterations: number,
  samples: number,
): Promise<number[]> {
  const hasher = new PasswordHasher({ iterations, maxConcurrent: 1 });
  const stored = await hasher.hash(BENCH_PASSWORD);
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = performance.now();
    await hasher.verify(BENCH_PASSWORD, stored);
    times.push(performance.now() - started);
  }
  return times;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Logins: `count` clients log in with the real PBKDF2 cost, `concurrency`
 * at a time, against a bound of `count` hashes spread over every core.
 */
export async function runLogins(
  count: number,
  iterations: number,
  context: BenchContext,
  concurrency = 64,
): Promise<LoginsResult> {
  // Timed alone, on a quiet machine: timed right after the storm (with 1,000
  // clients still connected) one hash took 25% longer, which would loosen
  // the bound.
  const samples = await measureHashMs(iterations, 9);
  const hashMs = median(samples);
  const cores = coreCount();
  const boundMs = (count * hashMs) / cores;
  const server = await startServer(
    { label: "tcpchat", kind: "tcpchat" },
    context,
    {
      template: context.realTemplate,
      // The server's default cost: the template was hashed with it.
      hashIterations: undefined,
      maxClients: count + 100,
      ratePerSecond: 5,
      loginTimeoutMs: 600_000,
    },
  );
  let clients: Client[] = [];
  try {
    await sleep(300);
    const cpu0 = server.cpu() ?? 0;
    const sink = new Sink();
    const login = await connectAll({
      port: server.port,
      protocol: protocolFor("tcpchat"),
      count,
      sink,
      concurrency,
      timeoutMs: 600_000,
    });
    clients = login.clients;
    const serverCpuSeconds = (server.cpu() ?? 0) - cpu0;
    return {
      count,
      succeeded: clients.length,
      failed: login.failed,
      firstError: login.firstError,
      concurrency,
      elapsedMs: login.elapsedMs,
      perLoginMs: summary(login.perClient, 1000),
      hashMs,
      hashSamplesMs: samples,
      iterations,
      cores,
      boundMs,
      ratio: login.elapsedMs / boundMs,
      serverCpuSeconds,
      serverCoresBusy: serverCpuSeconds / (login.elapsedMs / 1000),
    };
  } finally {
    const stopping = server.stop(10_000);
    await closeAll(clients);
    await stopping;
  }
}

/** History write throughput, with and without group commit. */
export interface HistoryWriteResult {
  /** One `insertMessages([m])` (one transaction, one fsync) per message. */
  unbatched: { messages: number; seconds: number; perSecond: number };
  /** `HistoryWriter` with its defaults, as the server uses it. */
  batched: { messages: number; seconds: number; perSecond: number };
  speedup: number;
}

function benchMessage(id: number): StoredMessage {
  return {
    id,
    room: "大厅",
    sender: "b00001",
    recipient: null,
    text: `hello from b00001 message ${id}`,
    createdAt: Date.now(),
  };
}

/**
 * History writes into a fresh database file: `unbatched` messages stored
 * one transaction each, then `batched` messages appended through
 * `HistoryWriter` in bursts of 500 (its batch size) per event-loop turn.
 */
export async function runHistoryWrites(
  unbatched: number,
  batched: number,
  context: BenchContext,
): Promise<HistoryWriteResult> {
  const path = join(context.workDir, `history-${++databases}.db`);
  const store = SqliteStore.open(path);
  try {
    let id = 1;
    let started = performance.now();
    for (let i = 0; i < unbatched; i++) {
      await store.insertMessages([benchMessage(id++)]);
    }
    const unbatchedSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const writer = new HistoryWriter(store, {
      onError: (error) => context.log(`history write failed: ${error}`),
    });
    for (let i = 0; i < batched; i++) {
      writer.append(benchMessage(id++));
      if (i % 500 === 499) await sleep(0);
    }
    await writer.close();
    const batchedSeconds = (performance.now() - started) / 1000;
    const unbatchedRate = unbatched / unbatchedSeconds;
    const batchedRate = batched / batchedSeconds;
    return {
      unbatched: {
        messages: unbatched,
        seconds: unbatchedSeconds,
        perSecond: unbatchedRate,
      },
      batched: {
        messages: batched,
        seconds: batchedSeconds,
        perSecond: batchedRate,
      },
      speedup: batchedRate / unbatchedRate,
    };
  } finally {
    store.close();
  }
}
