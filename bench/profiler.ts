/**
 * CPU profiles of a Deno server under test, taken through the V8 inspector
 * (the server runs with `--inspect=127.0.0.1:<port>`): start before the
 * measured phase, stop after it, save a `.cpuprofile` that Chrome DevTools
 * opens, and summarise the functions with the most self time.
 *
 * @module
 */

import { Session } from "node:inspector/promises";

/** A V8 CPU profile as the inspector's `Profiler.stop` returns it. */
export interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: {
      functionName: string;
      url: string;
      lineNumber: number;
      columnNumber: number;
    };
    hitCount?: number;
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** One line of a profile summary. */
export interface ProfileEntry {
  /** `name (file:line)`. */
  frame: string;
  /** Share of all samples, in percent. */
  selfPct: number;
  selfMs: number;
}

/** A connection to one process's inspector, driving its CPU profiler. */
export class InspectorProfiler {
  #socket: WebSocket;
  #nextId = 1;
  #pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data));
      const waiter = this.#pending.get(message.id);
      if (waiter === undefined) return;
      this.#pending.delete(message.id);
      if (message.error) {
        waiter.reject(new Error(JSON.stringify(message.error)));
      } else waiter.resolve(message.result);
    };
  }

  /** Connects to the inspector listening on `127.0.0.1:port`. */
  static async connect(port: number): Promise<InspectorProfiler> {
    const deadline = performance.now() + 10_000;
    let url: string | undefined;
    while (url === undefined) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/json/list`);
        const targets = await response.json() as Array<
          { webSocketDebuggerUrl: string }
        >;
        url = targets[0]?.webSocketDebuggerUrl;
      } catch (error) {
        if (performance.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.onopen = () => resolve();
      socket.onerror = () =>
        reject(new Error(`Cannot connect to the inspector at ${url}`));
    });
    return new InspectorProfiler(socket);
  }

  #call(
    method: string,
    params: Record<string, unknown> = {},
  ): Promise<unknown> {
    const id = this.#nextId++;
    const { promise, resolve, reject } = Promise.withResolvers<unknown>();
    this.#pending.set(id, { resolve, reject });
    this.#socket.send(JSON.stringify({ id, method, params }));
    return promise;
  }

  /** Starts sampling every `intervalUs` microseconds. */
  async start(intervalUs = 500): Promise<void> {
    await this.#call("Profiler.enable");
    await this.#call("Profiler.setSamplingInterval", { interval: intervalUs });
    await this.#call("Profiler.start");
  }

  /** Stops sampling and returns the profile. */
  async stop(): Promise<CpuProfile> {
    const result = await this.#call("Profiler.stop") as { profile: CpuProfile };
    return result.profile;
  }

  /** Closes the connection. */
  close(): void {
    this.#socket.close();
  }
}

/** Profiles this process (the load generator) through `node:inspector`. */
export class SelfProfiler {
  #session = new Session();

  /** Starts sampling every `intervalUs` microseconds. */
  async start(intervalUs = 500): Promise<void> {
    this.#session.connect();
    await this.#session.post("Profiler.enable");
    await this.#session.post("Profiler.setSamplingInterval", {
      interval: intervalUs,
    });
    await this.#session.post("Profiler.start");
  }

  /** Stops sampling, disconnects and returns the profile. */
  async stop(): Promise<CpuProfile> {
    const result = await this.#session.post("Profiler.stop") as {
      profile: CpuProfile;
    };
    this.#session.disconnect();
    return result.profile;
  }
}

/** The `top` frames by self time; `(idle)` is reported like any other. */
export function summarizeProfile(
  profile: CpuProfile,
  top = 12,
): ProfileEntry[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!);
    if (node === undefined) continue;
    const frame = node.callFrame;
    const file = frame.url.split("/").slice(-2).join("/");
    const key = file === ""
      ? frame.functionName || "(anonymous)"
      : `${frame.functionName || "(anonymous)"} (${file}:${
        frame.lineNumber + 1
      })`;
    // A sample's time is the gap to the next one.
    const us = deltas[i + 1] ?? 0;
    self.set(key, (self.get(key) ?? 0) + us);
    total += us;
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, us]) => ({
      frame,
      selfMs: us / 1000,
      selfPct: total === 0 ? 0 : (100 * us) / total,
    }));
}
