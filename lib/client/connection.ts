/**
 * The client's side of one TCP connection: connect with a timeout, read and
 * parse server lines into a queue, answer `PING` at once, and send commands.
 * The interactive logic awaits replies from here through `reply_waiter.ts`.
 *
 * @module
 */

import { sanitizeReply, sanitizeServerText } from "./view.ts";
import { LineFramer } from "../protocol/line_framer.ts";
import { pullReply } from "./reply_waiter.ts";
import { isPeerGoneError } from "../shared/outbound_queue.ts";
import {
  type Command,
  formatCommand,
  parseReply,
  PROTOCOL_VERSION,
  type Reply,
} from "../protocol/protocol.ts";

/** Connecting failed (refused, unreachable, timed out, bad greeting). */
export class ConnectError extends Error {
  /** Creates the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectError";
  }
}

/**
 * The port speaks TLS, not plain text: a TLS record (an alert) answered the
 * client's probe, so the user must add `--tls` (issue 12 item 17).
 */
export class TlsPortError extends ConnectError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "TlsPortError";
  }
}

/** No reply came in time. */
export class ReplyTimeoutError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ReplyTimeoutError";
  }
}

/** What the server said in its greeting. */
export interface Greeting {
  protocolVersion: number;
  serverVersion: string;
  /** The server's minimum password length, if it announced one. */
  minPasswordLength: number | undefined;
  /** The server's TLS port, if it announced one. */
  tlsPort: number | undefined;
  /**
   * `tls_required=1`: this plain port (of a `--require-tls` server) serves
   * nothing but `CERT` and `PING`.
   */
  tlsRequired: boolean;
  /** `max_file=<bytes>`: the largest file the server takes, if it shares files. */
  maxFileBytes?: number;
}

/** Options for {@linkcode ServerConnection.open}. */
export interface ConnectOptions {
  /** @default {10000} */
  connectTimeoutMs?: number;
  /** How long to wait for the greeting. @default {5000} */
  greetingTimeoutMs?: number;
  /**
   * After this long without a greeting, a plain connection sends one empty
   * line (which a TCPChat server ignores): a TLS server answers it with an
   * alert, and {@linkcode TlsPortError} says so at once.
   * @default {1000}
   */
  tlsProbeMs?: number;
  /**
   * Connect with TLS, trusting only these PEM certificates.
   * @default {undefined}
   */
  caCerts?: string[];
  /**
   * Sent as `LANG <lang>` right after the greeting, so that the server's
   * messages come in the user's language.
   * @default {undefined}
   */
  lang?: string;
}

/**
 * The token of the client's keep-alive `PING`; its `PONG` is taken here and
 * never reaches a reader.
 */
export const KEEPALIVE_TOKEN = "ka";

/** One connection to a TCPChat server. */
export class ServerConnection {
  readonly greeting: Greeting;
  /**
   * Where this connection goes, for file transfers on the same server: the
   * host as the user gave it, and the certificates trusted when it is TLS
   * (transfers then use HTTPS trusting exactly those).
   */
  readonly peer: { hostname: string; caCerts: string[] | undefined };
  #conn: Deno.Conn;
  #queue: Reply[] = [];
  #waiters: (() => void)[] = [];
  #ended = false;
  #writeChain: Promise<void> = Promise.resolve();
  #reader: Promise<void>;
  #encoder = new TextEncoder();
  #keepAlive: ReturnType<typeof setInterval> | undefined;

  private constructor(
    conn: Deno.Conn,
    greeting: Greeting,
    framer: LineFramer,
    rest: Reply[],
    peer: { hostname: string; caCerts: string[] | undefined },
  ) {
    this.#conn = conn;
    this.greeting = greeting;
    this.peer = peer;
    this.#queue.push(...rest);
    this.#reader = this.#read(framer);
  }

  /**
   * Connects and reads the `HELLO` greeting.
   *
   * @throws {ConnectError} when the server cannot be reached in time or
   * does not speak this protocol.
   */
  static async open(
    hostname: string,
    port: number,
    options: ConnectOptions = {},
  ): Promise<ServerConnection> {
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    let conn: Deno.Conn;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      conn = await Promise.race([
        options.caCerts === undefined
          ? Deno.connect({ hostname, port, signal: controller.signal })
          : connectTls(hostname, port, options.caCerts),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            controller.abort();
            reject(
              new ConnectError(
                `Cannot connect to ${hostname}:${port}: timed out after ${timeoutMs} ms`,
              ),
            );
          }, timeoutMs);
        }),
      ]);
    } catch (error) {
      if (error instanceof ConnectError) throw error;
      throw new ConnectError(
        `Cannot connect to ${hostname}:${port}: ${(error as Error).message}`,
        { cause: error },
      );
    } finally {
      clearTimeout(timer);
    }
    try {
      const framer = new LineFramer();
      const { line, rest } = await readGreeting(
        conn,
        framer,
        options.greetingTimeoutMs ?? 5000,
        options.caCerts === undefined ? options.tlsProbeMs ?? 1000 : Infinity,
      );
      const hello = sanitizeReply(parseReply(line));
      if (hello.type === "bye") {
        throw new ConnectError(hello.message || hello.code);
      }
      if (
        hello.type !== "hello" || hello.protocolVersion !== PROTOCOL_VERSION
      ) {
        throw new ConnectError(
          `Cannot use server: unexpected greeting "${
            sanitizeServerText(line).slice(0, 80)
          }"`,
        );
      }
      const min = /(?:^| )min_password=(\d{1,3})(?: |$)/.exec(line)?.[1];
      const tlsPort = /(?:^| )tls_port=(\d{1,5})(?: |$)/.exec(line)?.[1];
      const maxFile = /(?:^| )max_file=(\d{1,16})(?: |$)/.exec(line)?.[1];
      const connection = new ServerConnection(
        conn,
        {
          protocolVersion: hello.protocolVersion,
          serverVersion: hello.serverVersion,
          minPasswordLength: min === undefined ? undefined : Number(min),
          tlsPort: tlsPort === undefined ? undefined : Number(tlsPort),
          tlsRequired: / tls_required=1(?: |$)/.test(line),
          ...(maxFile === undefined ? {} : { maxFileBytes: Number(maxFile) }),
        },
        framer,
        rest,
        { hostname, caCerts: options.caCerts },
      );
      if (options.lang !== undefined) {
        try {
          await connection.send({ type: "lang", lang: options.lang });
        } catch (error) {
          await connection.close();
          throw error;
        }
      }
      return connection;
    } catch (error) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
      throw error instanceof ConnectError ? error : new ConnectError(
        `Cannot connect to ${hostname}:${port}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Whether the server closed the connection (or it broke). */
  get ended(): boolean {
    return this.#ended && this.#queue.length === 0;
  }

  /**
   * Whether the server closed the connection (or it broke), even if lines it
   * sent before (such as its `BYE`) are still queued.
   */
  get closed(): boolean {
    return this.#ended;
  }

  /** Sends one command. Rejects if the connection is gone. */
  send(command: Command): Promise<void> {
    return this.sendLine(formatCommand(command));
  }

  /** Sends one raw line (a `\n` is appended). */
  sendLine(line: string): Promise<void> {
    const bytes = this.#encoder.encode(`${line}\n`);
    const write = this.#writeChain.then(async () => {
      let offset = 0;
      while (offset < bytes.length) {
        offset += await this.#conn.write(bytes.subarray(offset));
      }
    });
    // Later writes go on even if this one failed; the caller sees the failure.
    this.#writeChain = write.catch(() => {});
    return write;
  }

  /**
   * The next server line, in order; `undefined` once the connection has
   * ended and everything was read.
   *
   * Once `signal` is aborted it resolves `undefined` and takes nothing
   * from the queue, so a reader that stops listening leaves later lines to
   * the next reader.
   *
   * @throws {ReplyTimeoutError} if nothing arrives within `timeoutMs`.
   */
  async next(
    timeoutMs = Infinity,
    signal?: AbortSignal,
  ): Promise<Reply | undefined> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      if (signal?.aborted) return undefined;
      if (this.#queue.length > 0) return this.#queue.shift();
      if (this.#ended) return undefined;
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ReplyTimeoutError(`No reply within ${timeoutMs} ms`);
      }
      await this.#wait(left, signal);
    }
  }

  /**
   * Waits for the next line whose type is one of `types`, passing every
   * other line to `other` (events that arrive meanwhile); `undefined` if the
   * connection ends first. The wait is {@linkcode pullReply}'s.
   *
   * @throws {ReplyTimeoutError} if none arrives within `timeoutMs`.
   */
  async expect<T extends Reply["type"]>(
    types: readonly T[],
    timeoutMs: number,
    other: (reply: Reply) => void = () => {},
  ): Promise<Extract<Reply, { type: T }> | undefined> {
    const result = await pullReply(this, types, { timeoutMs, other });
    if (result.type === "timeout") {
      throw new ReplyTimeoutError(`No reply within ${timeoutMs} ms`);
    }
    return result.type === "reply" ? result.reply : undefined;
  }

  /**
   * Sends `PING ka` every `intervalMs` until called with `undefined` or the
   * connection ends. Before login this keeps the connection past the
   * server's 60 s login limit (up to its cap) while a person types.
   */
  keepAlive(intervalMs: number | undefined): void {
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
    if (intervalMs === undefined || this.#ended) return;
    this.#keepAlive = setInterval(() => {
      if (this.#ended) return this.keepAlive(undefined);
      this.send({ type: "ping", token: KEEPALIVE_TOKEN }).catch(() => {});
    }, intervalMs);
  }

  /** Closes the connection; idempotent. */
  async close(): Promise<void> {
    this.keepAlive(undefined);
    if (!this.#ended) {
      this.#ended = true;
      try {
        this.#conn.close();
      } catch {
        // Already closed.
      }
    }
    await this.#reader;
    this.#notify();
  }

  async #read(framer: LineFramer): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (!this.#ended) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        for (const framed of framer.push(buffer.subarray(0, n))) {
          if (!framed.ok) continue; // a broken server line is skipped, not fatal
          this.#accept(framed.line);
        }
      }
    } catch (error) {
      if (!this.#ended && !isPeerGoneError(error)) {
        this.#queue.push({
          type: "error",
          code: "connection_error",
          message: String(error),
        });
      }
    }
    if (!this.#ended) {
      this.#ended = true;
      try {
        this.#conn.close();
      } catch {
        // Already closed.
      }
    }
    this.keepAlive(undefined);
    this.#notify();
  }

  #accept(line: string): void {
    const reply = sanitizeReply(parseReply(line));
    if (reply.type === "invalid") return;
    if (reply.type === "ping") {
      // Answer at once, whatever the user is doing.
      this.send({ type: "pong", token: reply.token }).catch(() => {});
      return;
    }
    if (reply.type === "pong" && reply.token === KEEPALIVE_TOKEN) return;
    this.#queue.push(reply);
    this.#notify();
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(wake, ms) : undefined;
      this.#waiters.push(wake);
      signal?.addEventListener("abort", wake, { once: true });
      function wake() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", wake);
        resolve();
      }
    });
  }
}

/**
 * Connects with TLS and completes the handshake, so that a certificate the
 * client does not trust fails here, as a connect error.
 */
async function connectTls(
  hostname: string,
  port: number,
  caCerts: string[],
): Promise<Deno.Conn> {
  const conn = await Deno.connectTls({ hostname, port, caCerts });
  try {
    await conn.handshake();
  } catch (error) {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
    throw error;
  }
  return conn;
}

async function readGreeting(
  conn: Deno.Conn,
  framer: LineFramer,
  timeoutMs: number,
  probeMs: number,
): Promise<{ line: string; rest: Reply[] }> {
  const buffer = new Uint8Array(4096);
  const deadline = Date.now() + timeoutMs;
  let received = 0;
  let probed = false;
  const probe = Number.isFinite(probeMs)
    ? setTimeout(() => {
      if (received > 0) return;
      probed = true;
      conn.write(new Uint8Array([0x0a])).catch(() => {});
    }, probeMs)
    : undefined;
  try {
    while (true) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const n = await Promise.race([
        conn.read(buffer),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no greeting within ${timeoutMs} ms`)),
            Math.max(1, deadline - Date.now()),
          );
        }),
      ]).finally(() => clearTimeout(timer));
      if (n === null) {
        // A TCPChat server greets (HELLO or BYE) before it closes; a TLS
        // server drops a connection whose first byte is no TLS record.
        if (probed && received === 0) {
          throw new TlsPortError("this port speaks TLS");
        }
        throw new Error("the server closed the connection");
      }
      // A TLS record (handshake 0x16 or alert 0x15, version 3.x) first.
      if (
        received === 0 && n >= 2 &&
        (buffer[0] === 0x15 || buffer[0] === 0x16) &&
        buffer[1] === 0x03
      ) {
        throw new TlsPortError("this port speaks TLS");
      }
      received += n;
      const lines = framer.push(buffer.subarray(0, n));
      const first = lines.find((framed) => framed.ok);
      if (first?.ok) {
        const rest: Reply[] = [];
        for (const framed of lines.slice(lines.indexOf(first) + 1)) {
          if (!framed.ok) continue;
          const reply = sanitizeReply(parseReply(framed.line));
          if (reply.type !== "invalid") rest.push(reply);
        }
        return { line: first.line, rest };
      }
    }
  } finally {
    clearTimeout(probe);
  }
}
