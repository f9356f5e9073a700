/**
 * A line-oriented test client for integration tests: connects to a server
 * on loopback, collects every line it receives, and waits for lines.
 * Listeners ({@linkcode TestClient.onLine}) see each line as it arrives;
 * the adversarial suite's client (`hostile/_support.ts`) builds on them.
 *
 * @module
 */

import { LineFramer } from "../lib/protocol/line_framer.ts";
import { type ParsedReply, parseReply } from "../lib/protocol/protocol.ts";
import { Wakeup } from "./_process.ts";

const encoder = new TextEncoder();

/** How long `next()` waits before failing a test. */
const DEFAULT_WAIT_MS = 5000;

/**
 * Sees each received line as it arrives; `framingError` is true for the
 * `<framing error …>` stand-in of a line that could not be framed.
 */
export type LineListener = (line: string, framingError: boolean) => void;

/** Options of the {@linkcode TestClient} constructor. */
export interface TestClientOptions {
  /** `false`: never read (a stalled peer). @default {true} */
  read?: boolean;
  /** The default bound of the waits. @default {5000} */
  waitMs?: number;
}

/** A connected test client. */
export class TestClient implements AsyncDisposable {
  readonly conn: Deno.TcpConn;
  /** Every line received so far, in order. */
  readonly lines: string[] = [];
  /** How reading ended, if not by EOF or a local close (e.g. ConnectionReset). */
  readError: string | undefined;
  #waitMs: number;
  #cursor = 0;
  #news = new Wakeup();
  #listeners = new Set<LineListener>();
  #closed = false;
  #reader: Promise<void>;

  protected constructor(conn: Deno.TcpConn, options: TestClientOptions = {}) {
    this.conn = conn;
    this.#waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
    this.#reader = options.read === false ? Promise.resolve() : this.#read();
  }

  /** Connects to `port` on 127.0.0.1; `read: false` never reads (a stalled peer). */
  static async connect(
    port: number,
    options: TestClientOptions = {},
  ): Promise<TestClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    return new TestClient(conn, options);
  }

  /** Whether the connection is closed (by either side). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Calls `listener` with each line as it arrives (after it is added to
   * {@linkcode lines}, before waiters wake); returns the unsubscribe.
   */
  onLine(listener: LineListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
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
    waitMs = this.#waitMs,
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
          `Timed out; last lines: ${
            this.lines.slice(-5).map((l) => l.slice(0, 100)).join(" | ")
          }`,
        );
      }
      await this.#news.wait(left);
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
  async closedByServer(waitMs = this.#waitMs): Promise<void> {
    const deadline = Date.now() + waitMs;
    while (!this.#closed) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `Timed out waiting for the server to close; last lines: ${
            this.lines.slice(-3).join(" | ")
          }`,
        );
      }
      await this.#news.wait(left);
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
    this.#news.notify();
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
          const line = framed.ok
            ? framed.line
            : `<framing error ${framed.error.code}>`;
          this.lines.push(line);
          for (const listener of this.#listeners) listener(line, !framed.ok);
        }
        this.#news.notify();
      }
    } catch (error) {
      // Reset or closed locally: treat as closed.
      if (!this.#closed) this.readError = (error as Error).name;
    }
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.conn.close();
      } catch {
        // Already closed.
      }
    }
    this.#news.notify();
  }
}
