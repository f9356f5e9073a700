// deno-lint-ignore-file no-console -- a benchmark subprocess reports its port on stdout
/**
 * The ceiling: the least a Deno broadcast server can do. It greets each
 * connection with one line, splits what it reads into lines, and relays each
 * line as is to every other connection through a per-peer queue whose drain
 * loop joins everything pending into one `write()` (lines read in the same
 * turn are relayed together). No parsing, no login, no
 * limits, no storage: whatever TCPChat costs above this is the price of its
 * features.
 *
 * Prints `PORT <n>` once it listens; stops on SIGTERM or SIGINT.
 *
 * @example
 * ```sh
 * deno run --allow-net bench/ceiling_server.ts --port 0
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";

const LF = 0x0a;
const GREETING = new TextEncoder().encode("HELLO ceiling\n");

/** One connected peer and its outbound queue. */
class Peer {
  readonly conn: Deno.TcpConn;
  #chunks: Uint8Array[] = [];
  #draining = false;
  #closed = false;

  constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  push(bytes: Uint8Array): void {
    if (this.#closed) return;
    this.#chunks.push(bytes);
    if (!this.#draining) {
      this.#draining = true;
      this.#drain().catch(() => this.close());
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#chunks = [];
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
  }

  async #drain(): Promise<void> {
    try {
      // Lines pushed in the same tick share one write.
      await Promise.resolve();
      while (!this.#closed && this.#chunks.length > 0) {
        const chunks = this.#chunks;
        this.#chunks = [];
        let buffer: Uint8Array;
        if (chunks.length === 1) {
          buffer = chunks[0]!;
        } else {
          let length = 0;
          for (const chunk of chunks) length += chunk.length;
          buffer = new Uint8Array(length);
          let offset = 0;
          for (const chunk of chunks) {
            buffer.set(chunk, offset);
            offset += chunk.length;
          }
        }
        let offset = 0;
        while (offset < buffer.length) {
          offset += await this.conn.write(buffer.subarray(offset));
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}

/** A running ceiling server. */
export interface CeilingServer {
  readonly addr: Deno.NetAddr;
  readonly finished: Promise<void>;
  close(): void;
}

/** Starts the ceiling server on `hostname:port`. */
export function startCeilingServer(
  options: { hostname?: string; port?: number } = {},
): CeilingServer {
  const listener = Deno.listen({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
  });
  const peers = new Set<Peer>();
  // Lines read but not yet relayed, with their senders. Relaying them from a
  // microtask rather than straight from each read's continuation lets every
  // read that completed in the same turn go out together. Measured on 2 cores
  // with 1,000 clients and 500 messages/s: relaying inline gave p99 2.5 to
  // 10 s (the queues fell behind), this batch 0.35 to 1.1 s.
  let inbox: Array<{ from: Peer; line: Uint8Array }> = [];
  let relayScheduled = false;

  function relay(): void {
    relayScheduled = false;
    const lines = inbox;
    inbox = [];
    for (const { from, line } of lines) {
      for (const other of peers) if (other !== from) other.push(line);
    }
  }

  async function serve(peer: Peer): Promise<void> {
    peers.add(peer);
    peer.push(GREETING);
    const buffer = new Uint8Array(2048);
    // Bytes of an unfinished line carried over from earlier reads.
    let tail: Uint8Array | undefined;
    try {
      while (true) {
        const n = await peer.conn.read(buffer);
        if (n === null) break;
        const data = buffer.subarray(0, n);
        let start = 0;
        let end = data.indexOf(LF, 0);
        while (end !== -1) {
          let line = data.slice(start, end + 1);
          if (tail !== undefined) {
            const joined = new Uint8Array(tail.length + line.length);
            joined.set(tail, 0);
            joined.set(line, tail.length);
            line = joined;
            tail = undefined;
          }
          inbox.push({ from: peer, line });
          if (!relayScheduled) {
            relayScheduled = true;
            queueMicrotask(relay);
          }
          start = end + 1;
          end = data.indexOf(LF, start);
        }
        if (start < n) {
          const rest = data.slice(start);
          if (tail === undefined) {
            tail = rest;
          } else {
            const joined = new Uint8Array(tail.length + rest.length);
            joined.set(tail, 0);
            joined.set(rest, tail.length);
            tail = joined;
          }
        }
      }
    } catch {
      // The peer has gone.
    } finally {
      peers.delete(peer);
      peer.close();
    }
  }

  async function accept(): Promise<void> {
    for await (const conn of listener) {
      conn.setNoDelay(true);
      serve(new Peer(conn)).catch(() => {});
    }
  }

  const finished = accept().catch(() => {}).finally(() => {
    for (const peer of peers) peer.close();
  });
  return {
    addr: listener.addr as Deno.NetAddr,
    finished,
    close() {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
    },
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    strict: true,
    options: { port: { type: "string", default: "0" } },
  });
  const server = startCeilingServer({ port: Number(values.port) });
  const stop = () => server.close();
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  // As in run_server.ts: a full collection on demand, for the idle scenario.
  Deno.addSignalListener("SIGUSR2", () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    gc?.();
    console.log(`MEMORY ${JSON.stringify(Deno.memoryUsage())}`);
  });
  console.log(`PORT ${server.addr.port}`);
  await server.finished;
  Deno.exit(0);
}
