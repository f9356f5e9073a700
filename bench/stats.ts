/**
 * Measurement helpers for the benchmark: a fixed-memory latency histogram,
 * and readers for a process's memory and CPU time from `/proc`.
 *
 * @module
 */

/** Sub-buckets per power of two: about 1.1 % relative precision. */
const SUB_BITS = 6;
const SUB_COUNT = 1 << SUB_BITS;
/** Values up to 2^36 microseconds (about 19 hours). */
const MAX_EXPONENT = 36;

/**
 * A log-linear histogram of non-negative integers (microseconds here), in
 * the style of HdrHistogram: values below 64 are exact, larger ones are kept
 * to about 1.1 %. Recording is O(1) and allocation-free, so millions of
 * samples per second cost little.
 */
export class Histogram {
  #counts = new Float64Array((MAX_EXPONENT - SUB_BITS + 2) * SUB_COUNT);
  #total = 0;
  #max = 0;
  #min = Number.POSITIVE_INFINITY;
  #sum = 0;

  /** Records one value; negatives count as 0. */
  record(value: number): void {
    const v = value > 0 ? Math.round(value) : 0;
    this.#counts[bucketOf(v)]!++;
    this.#total++;
    this.#sum += v;
    if (v > this.#max) this.#max = v;
    if (v < this.#min) this.#min = v;
  }

  /** Adds every sample of `other`. */
  merge(other: Histogram): void {
    const counts = other.#counts;
    for (let i = 0; i < counts.length; i++) this.#counts[i]! += counts[i]!;
    this.#total += other.#total;
    this.#sum += other.#sum;
    if (other.#max > this.#max) this.#max = other.#max;
    if (other.#min < this.#min) this.#min = other.#min;
  }

  /** Samples recorded. */
  get count(): number {
    return this.#total;
  }

  /** Largest value recorded (exact), 0 when empty. */
  get max(): number {
    return this.#max;
  }

  /** Mean of the values recorded, 0 when empty. */
  get mean(): number {
    return this.#total === 0 ? 0 : this.#sum / this.#total;
  }

  /**
   * The value at quantile `q` (0 to 1), as the upper edge of its bucket
   * (never above the exact maximum); 0 when empty.
   */
  quantile(q: number): number {
    if (this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#total));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(bucketUpper(i), this.#max);
    }
    return this.#max;
  }
}

function bucketOf(v: number): number {
  if (v < SUB_COUNT) return v;
  // Math.log2 is exact for powers of two and monotonic; correct rounding at
  // the edges by checking against the computed power.
  let exponent = Math.floor(Math.log2(v));
  if (2 ** exponent > v) exponent--;
  else if (2 ** (exponent + 1) <= v) exponent++;
  if (exponent > MAX_EXPONENT) exponent = MAX_EXPONENT;
  const shift = exponent - SUB_BITS;
  const sub = Math.min(SUB_COUNT - 1, Math.floor(v / 2 ** shift) - SUB_COUNT);
  return (shift + 1) * SUB_COUNT + sub;
}

function bucketUpper(index: number): number {
  if (index < SUB_COUNT) return index;
  const shift = Math.floor(index / SUB_COUNT) - 1;
  const sub = index % SUB_COUNT;
  return (SUB_COUNT + sub + 1) * 2 ** shift - 1;
}

let readDirectly = true;

/**
 * Reads a file under `/proc`. Deno 2.9 asks for `--allow-all` to read
 * `/proc` itself; under narrower permissions (the task's and the smoke
 * test's) this falls back to `cat`, which `--allow-run` allows.
 */
export function readProcText(path: string): string {
  if (readDirectly) {
    try {
      return Deno.readTextFileSync(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotCapable)) throw error;
      readDirectly = false;
    }
  }
  const { code, stdout } = new Deno.Command("cat", {
    args: [path],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).outputSync();
  if (code !== 0) throw new Deno.errors.NotFound(`Cannot read "${path}"`);
  return new TextDecoder().decode(stdout);
}

/** Resident set size of a process in bytes (`VmRSS`), or `undefined` once it is gone. */
export function readRssBytes(pid: number): number | undefined {
  try {
    const status = readProcText(`/proc/${pid}/status`);
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

/** User plus system CPU time of a process in seconds, or `undefined` once it is gone. */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readProcText(`/proc/${pid}/stat`);
    // The command name (field 2) may contain spaces: count from its ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // utime and stime are fields 14 and 15, i.e. 11 and 12 after the name.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Machine-wide CPU time counters from `/proc/stat`, in clock ticks. */
export interface MachineCpu {
  busy: number;
  idle: number;
  softirq: number;
  steal: number;
}

/** Reads the machine's CPU counters (all cores together). */
export function readMachineCpu(): MachineCpu | undefined {
  try {
    const line = readProcText("/proc/stat").split("\n")[0]!;
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line
      .split(/\s+/)
      .slice(1)
      .map(Number) as number[];
    return {
      busy: user! + nice! + system! + irq! + softirq! + steal!,
      idle: idle! + iowait!,
      softirq: softirq!,
      steal: steal!,
    };
  } catch {
    return undefined;
  }
}

/**
 * How busy the whole machine was between two readings, as cores
 * (0 to the number of cores), plus the softirq and steal parts of it.
 */
export function machineCoresBusy(
  before: MachineCpu | undefined,
  after: MachineCpu | undefined,
  cores: number,
): { busy: number; softirq: number; steal: number } | undefined {
  if (before === undefined || after === undefined) return undefined;
  const busy = after.busy - before.busy;
  const total = busy + after.idle - before.idle;
  if (total <= 0) return undefined;
  return {
    busy: (cores * busy) / total,
    softirq: (cores * (after.softirq - before.softirq)) / total,
    steal: (cores * (after.steal - before.steal)) / total,
  };
}

/** `sysconf(_SC_CLK_TCK)`: 100 on every Linux architecture Deno ships for. */
const CLOCK_TICKS_PER_SECOND = 100;

/** This process's soft limit on open files, from `/proc/<pid>/limits`. */
export function openFileLimit(): number | undefined {
  try {
    const limits = readProcText(`/proc/${Deno.pid}/limits`);
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    if (match === null) return undefined;
    return match[1] === "unlimited"
      ? Number.POSITIVE_INFINITY
      : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** CPU cores the scheduler offers this process. */
export function coreCount(): number {
  return navigator.hardwareConcurrency ?? 1;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Cores kept busy by everything on the machine over the next `ms`. */
export async function measureBusyCores(ms = 1000): Promise<number | undefined> {
  const before = readMachineCpu();
  await sleep(ms);
  return machineCoresBusy(before, readMachineCpu(), coreCount())?.busy;
}

/**
 * Waits until the machine is nearly idle (other processes use at most
 * `threshold` cores over a second), for at most `maxMs`; resolves the last
 * reading, so a result can say what it competed with.
 */
export async function waitForQuietMachine(
  threshold: number,
  maxMs: number,
): Promise<number | undefined> {
  const deadline = performance.now() + maxMs;
  while (true) {
    const busy = await measureBusyCores(1000);
    if (busy === undefined || busy <= threshold) return busy;
    if (performance.now() >= deadline) return busy;
  }
}

/** The load generator's delivery count at one moment. */
export interface DeliverySample {
  /** `performance.now()`, ms. */
  at: number;
  /** Bench messages delivered so far, to every client together. */
  delivered: number;
}

/**
 * The delivery count at time `at`, linearly interpolated between the two
 * samples around it; clamped to the first and last samples outside them.
 * `samples` must be in time order. 0 without samples.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { deliveredAt } from "./stats.ts";
 *
 * const samples = [{ at: 0, delivered: 0 }, { at: 100, delivered: 50 }];
 * assert.equal(deliveredAt(samples, 40), 20);
 * assert.equal(deliveredAt(samples, 500), 50);
 * ```
 */
export function deliveredAt(
  samples: readonly DeliverySample[],
  at: number,
): number {
  if (samples.length === 0) return 0;
  const first = samples[0]!;
  if (at <= first.at) return first.delivered;
  const last = samples[samples.length - 1]!;
  if (at >= last.at) return last.delivered;
  // Binary search for the last sample at or before `at`.
  let lo = 0;
  let hi = samples.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (samples[mid]!.at <= at) lo = mid;
    else hi = mid;
  }
  const a = samples[lo]!;
  const b = samples[hi]!;
  if (b.at === a.at) return b.delivered;
  return a.delivered +
    (b.delivered - a.delivered) * (at - a.at) / (b.at - a.at);
}

/**
 * A peak step counts as saturated (the server fell behind, and its
 * staircase ends) when its sustained lines/s stayed below this share of the
 * offered load.
 */
export const SATURATED_BELOW = 0.95;

/** Deliveries inside a time window. */
export interface WindowRate {
  /** Deliveries counted between the window's start and end. */
  lines: number;
  /** Its length, seconds. */
  seconds: number;
  /** lines / seconds; 0 for an empty window. */
  perSecond: number;
}

/**
 * Deliveries between `from` and `to` (ms, `performance.now()`), from the
 * samples, and their rate. A window that is empty or inverted counts 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { windowRate } from "./stats.ts";
 *
 * const samples = [
 *   { at: 0, delivered: 0 },
 *   { at: 1000, delivered: 500 },
 *   { at: 3000, delivered: 2500 },
 * ];
 * assert.deepEqual(windowRate(samples, 1000, 3000), {
 *   lines: 2000,
 *   seconds: 2,
 *   perSecond: 1000,
 * });
 * ```
 */
export function windowRate(
  samples: readonly DeliverySample[],
  from: number,
  to: number,
): WindowRate {
  if (!(to > from)) return { lines: 0, seconds: 0, perSecond: 0 };
  const lines = deliveredAt(samples, to) - deliveredAt(samples, from);
  const seconds = (to - from) / 1000;
  return { lines, seconds, perSecond: lines / seconds };
}

/**
 * Deliveries in each whole second after `origin` (ms), up to the last
 * sample (a last partial second is left out), rounded to whole lines.
 */
export function deliveriesPerSecond(
  samples: readonly DeliverySample[],
  origin: number,
): number[] {
  if (samples.length === 0) return [];
  const end = samples[samples.length - 1]!.at;
  const counts: number[] = [];
  for (let t = origin; t + 1000 <= end; t += 1000) {
    counts.push(
      Math.round(deliveredAt(samples, t + 1000) - deliveredAt(samples, t)),
    );
  }
  return counts;
}
