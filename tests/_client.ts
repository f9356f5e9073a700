/**
 * A line-oriented test client for integration tests: connects to a server
 * on loopback, collects every line it receives, and waits for lines.
 *
 * @module
 */

import { LineFramer } from "../lib/line_framer.ts";
import { type ParsedReply, parseReply } from "../lib/protocol.ts";

const encoder = new TextEncoder();

/** How long `next()` waits before failing a test. */
const DEFAULT_WAIT_MS = 5000;

/** A connected test client. */
export class TestClient implements AsyncDisposable {
  readonly conn: Deno.TcpConn;
  /** Every line received so far, in order. */
  readonly lines: string[] = [];
  #cursor = 0;
  #waiters: (() => void)[] = [];
  #closed = false;
  #reader: Promise<void>;

  private constructor(conn: Deno.TcpConn, options: { read: boolean }) {
    this.conn = conn;
    this.#reader = options.read ? this.#read() : Promise.resolve();
  }

  /** Connects to `port` on 127.0.0.1; `read: false` never reads (a stalled peer). */
  static async connect(
    port: number,
    options: { read?: boolean } = {},
  ): Promise<TestClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    return new TestClient(conn, { read: options.read ?? true });
  }

  /** Whether the server closed the connection. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one line (a `\n` is appended). */
  async send(line: string): Promise<void> {
    await this.writeRaw(encoder.encode(`${line}\n`));
  }

  /** Writes raw bytes, looping over partial writes. */
  async writeRaw(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      offset += await this.conn.write(bytes.subarray(offset));
    }
  }

  /** Waits for the next unread line matching `predicate` (skipping others). */
  async next(
    predicate: (line: string) => boolean = () => true,
    waitMs = DEFAULT_WAIT_MS,
  ): Promise<string> {
    const deadline = Date.now() + waitMs;
    while (true) {
      while (this.#cursor < this.lines.length) {
        const line = this.lines[this.#cursor++]!;
        if (predicate(line)) return line;
      }
      if (this.#closed) {
        throw new Error(
          `Connection closed; last lines: ${this.lines.slice(-5).join(" | ")}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `Timed out; last lines: ${this.lines.slice(-5).join(" | ")}`,
        );
      }
      await this.#wait(left);
    }
  }

  /** Waits for the next line starting with `prefix`. */
  expect(prefix: string, waitMs?: number): Promise<string> {
    return this.next((line) => line.startsWith(prefix), waitMs);
  }

  /** Waits for the next line and parses it. */
  async nextReply(): Promise<ParsedReply> {
    return parseReply(await this.next());
  }

  /** Waits until the server closes the connection. */
  async closedByServer(waitMs = DEFAULT_WAIT_MS): Promise<void> {
    const deadline = Date.now() + waitMs;
    while (!this.#closed) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error("Timed out waiting for the server to close");
      }
      await this.#wait(left);
    }
  }

  /** Registers and logs in; resolves after WELCOME. */
  async registerAndLogin(
    username: string,
    password = "password123",
  ): Promise<void> {
    await this.expect("HELLO ");
    await this.send(`REGISTER ${username} ${password}`);
    await this.expect("REGISTER_SUCCESS");
    await this.send(`LOGIN ${username} ${password}`);
    await this.expect(`AUTH_SUCCESS ${username}`);
    await this.expect("WELCOME ");
  }

  /** Closes the connection (idempotent) and waits for the reader. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.conn.close();
      } catch {
        // Already closed.
      }
    }
    await this.#reader;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #read(): Promise<void> {
    const framer = new LineFramer({ maxLineBytes: 1 << 20 });
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (true) {
        const n = await this.conn.read(buffer);
        if (n === null) break;
        for (const framed of framer.push(buffer.subarray(0, n))) {
          this.lines.push(
            framed.ok ? framed.line : `<framing error ${framed.error.code}>`,
          );
        }
        this.#notify();
      }
    } catch {
      // Reset or closed locally: treat as closed.
    }
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.conn.close();
      } catch {
        // Already closed.
      }
    }
    this.#notify();
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.push(wake);
      function done() {
        resolve();
      }
    });
  }
}
