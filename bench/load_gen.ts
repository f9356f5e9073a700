/**
 * The load generator: many client connections in this one process, speaking
 * TCPChat's protocol, IRC (for ngIRCd) or the ceiling server's bare lines.
 *
 * It is built to cost little per delivered line: each connection reads with
 * `conn.read()` into its own buffer, lines are found with a native
 * `indexOf`, and a delivered message is recognised and timed from its last
 * bytes (` @<send time in µs>`) without decoding it. Only the few other lines
 * (greeting, login replies, pings) are decoded.
 *
 * @module
 */

import { benchUsername } from "./accounts.ts";
import { Histogram, sleep } from "./stats.ts";

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const AT = 0x40;
const ZERO = 0x30;
const NINE = 0x39;
/** Per-connection read buffer; a line (8 KiB at most) always fits. */
const READ_BUFFER_BYTES = 16 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Which wire protocol the clients speak. */
export type ProtocolName = "tcpchat" | "irc" | "ceiling";

/** What a connection's lines are counted into. */
export class Sink {
  /** Bench messages received. */
  delivered = 0;
  /** Latency of each delivery, in microseconds. */
  readonly latency = new Histogram();
  /** `performance.now()` of the last read that carried a delivery. */
  lastDeliveryAt = 0;
  /** Bytes read. */
  bytes = 0;
  /** `performance.now()` of the last read of any bytes. */
  lastReadAt = 0;
  /** Connections the server closed or that failed, with the first reasons. */
  disconnects = 0;
  readonly reasons: string[] = [];
  /** `performance.now()` of the first lost connection, 0 before it. */
  firstLossAt = 0;
  /** TCPChat's `ERROR rate_limited` notices received (its flood limit). */
  rateLimited = 0;

  /** Records a lost connection and keeps its reason (the first few). */
  lost(reason: string): void {
    if (this.disconnects === 0) this.firstLossAt = performance.now();
    this.disconnects++;
    if (this.reasons.length < 5) this.reasons.push(reason);
  }
}

/** Which connection a client has: TCP, or a WebSocket at the server's `/ws`. */
export type Transport = "tcp" | "websocket";

/**
 * The connection under a client. The client's line handling, queueing and
 * counting are the same over both: TCP hands it bytes as they are read, a
 * WebSocket one text message (one line) at a time.
 */
export interface Wire {
  readonly transport: Transport;
  /** Writes whole lines; resolves once they are handed to the socket. */
  write(bytes: Uint8Array): Promise<void>;
  /** Hands what arrives to `client.receive` until the connection ends. */
  readLoop(client: Client): Promise<void>;
  close(): void;
}

/** One client connection. */
export class Client {
  readonly index: number;
  readonly name: string;
  readonly wire: Wire;
  readonly protocol: Protocol;
  sink: Sink;
  /** Set once logged in (and in the room). */
  readonly ready: PromiseWithResolvers<void> = Promise.withResolvers();
  isReady = false;
  closed = false;
  /** Protocol state: login sent, registered, … */
  stage = 0;
  #queue: Uint8Array[] = [];
  #writing = false;

  constructor(
    index: number,
    wire: Wire,
    protocol: Protocol,
    sink: Sink,
  ) {
    this.index = index;
    this.name = benchUsername(index);
    this.wire = wire;
    this.protocol = protocol;
    this.sink = sink;
    // A rejected ready promise nobody awaits must not end the process.
    this.ready.promise.catch(() => {});
  }

  /** Queues bytes; one write loop per connection joins what piles up. */
  send(bytes: Uint8Array): void {
    if (this.closed) return;
    if (this.#writing) {
      this.#queue.push(bytes);
      return;
    }
    this.#writing = true;
    this.#drain(bytes).catch((error) => this.fail(`write: ${error}`));
  }

  sendLine(line: string): void {
    this.send(encoder.encode(line));
  }

  markReady(): void {
    if (this.isReady) return;
    this.isReady = true;
    this.ready.resolve();
  }

  /** The server refused or dropped us. */
  fail(reason: string): void {
    if (!this.isReady) this.ready.reject(new Error(reason));
    if (!this.closed) this.sink.lost(`${this.name}: ${reason}`);
    this.close();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.#queue = [];
    this.wire.close();
  }

  async #drain(first: Uint8Array): Promise<void> {
    let buffer = first;
    try {
      while (!this.closed) {
        await this.wire.write(buffer);
        if (this.#queue.length === 0) break;
        buffer = concat(this.#queue);
        this.#queue = [];
      }
    } finally {
      this.#writing = false;
    }
  }

  /** Reads until EOF; runs for the connection's life. */
  readLoop(): Promise<void> {
    return this.wire.readLoop(this);
  }

  /**
   * Takes `n` bytes just read onto the end of `data`: counts and times the
   * bench messages among its complete lines (`\n`-terminated), hands the
   * other lines to the protocol, and returns where the incomplete last line
   * starts (`data.length` when there is none). The bytes before `data.length
   * - n` are a line already known to be incomplete.
   */
  receive(data: Uint8Array, n: number): number {
    const sink = this.sink;
    const now = performance.now();
    const nowMicros = Math.round(now * 1000);
    sink.bytes += n;
    sink.lastReadAt = now;
    let start = 0;
    let newline = data.indexOf(LF, data.length - n);
    let delivered = 0;
    while (newline !== -1) {
      let lineEnd = newline;
      if (lineEnd > start && data[lineEnd - 1] === CR) lineEnd--;
      const sent = sendTime(data, start, lineEnd);
      if (sent >= 0) {
        delivered++;
        sink.latency.record(nowMicros - sent);
      } else if (lineEnd > start) {
        this.protocol.onLine(this, data, start, lineEnd);
      }
      start = newline + 1;
      newline = data.indexOf(LF, start);
    }
    if (delivered > 0) {
      sink.delivered += delivered;
      sink.lastDeliveryAt = now;
    }
    return start;
  }
}

/** A TCP connection: reads with `conn.read()` into its own buffer. */
export class TcpWire implements Wire {
  readonly transport = "tcp";
  readonly #conn: Deno.TcpConn;

  constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  async write(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < bytes.length) {
      offset += await this.#conn.write(bytes.subarray(offset));
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  async readLoop(client: Client): Promise<void> {
    const buffer = new Uint8Array(READ_BUFFER_BYTES);
    let fill = 0;
    while (true) {
      let n: number | null;
      try {
        n = await this.#conn.read(buffer.subarray(fill));
      } catch (error) {
        if (!client.closed) client.fail(`read: ${error}`);
        return;
      }
      if (n === null) {
        if (!client.closed) client.fail("closed by server");
        return;
      }
      const end = fill + n;
      const start = client.receive(buffer.subarray(0, end), n);
      if (start < end) {
        if (start === 0 && end === buffer.length) {
          client.fail(`line longer than ${buffer.length} bytes`);
          return;
        }
        buffer.copyWithin(0, start, end);
        fill = end - start;
      } else {
        fill = 0;
      }
      if (client.closed) return;
    }
  }
}

/**
 * A WebSocket to the server's `/ws` (Deno's built-in client): each text
 * message is one line without its `\n`. A received line is encoded into one
 * reused buffer with a `\n` appended, so it is counted by the same code as
 * TCP's; what is sent goes as one text message per write (the server takes
 * a message of several lines line by line).
 */
export class WebSocketWire implements Wire {
  readonly transport = "websocket";
  readonly #socket: WebSocket;
  readonly #buffer = new Uint8Array(READ_BUFFER_BYTES);
  readonly #ended: PromiseWithResolvers<string> = Promise.withResolvers();
  #client: Client | undefined;
  /**
   * Messages that arrived before the read loop started: the greeting can be
   * dispatched right after the open event, before the client exists.
   */
  #early: unknown[] = [];

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event: MessageEvent) => {
      if (this.#client === undefined) this.#early.push(event.data);
      else this.#receive(this.#client, event.data);
    };
    socket.onclose = (event) =>
      this.#ended.resolve(
        `closed by server (${event.code}${
          event.reason === "" ? "" : ` ${event.reason}`
        })`,
      );
  }

  /** Opens `url`; rejects when the upgrade fails. */
  static async open(url: string): Promise<WebSocketWire> {
    const socket = new WebSocket(url);
    const wire = new WebSocketWire(socket);
    const opened = Promise.withResolvers<void>();
    socket.onopen = () => opened.resolve();
    socket.onerror = (event) => {
      const message = `WebSocket: ${(event as ErrorEvent).message ?? "error"}`;
      opened.reject(new Error(message));
      wire.#ended.resolve(message);
    };
    await opened.promise;
    return wire;
  }

  write(bytes: Uint8Array): Promise<void> {
    this.#socket.send(decoder.decode(bytes));
    return Promise.resolve();
  }

  close(): void {
    try {
      this.#socket.close();
    } catch {
      // Already closed.
    }
  }

  async readLoop(client: Client): Promise<void> {
    this.#client = client;
    const early = this.#early;
    this.#early = [];
    for (const data of early) this.#receive(client, data);
    const reason = await this.#ended.promise;
    if (!client.closed) client.fail(reason);
  }

  #receive(client: Client, data: unknown): void {
    if (client.closed) return;
    if (typeof data !== "string") {
      client.fail("binary message");
      return;
    }
    const buffer = this.#buffer;
    const { read, written } = encoder.encodeInto(data, buffer);
    if (read < data.length || written === buffer.length) {
      client.fail(`line longer than ${buffer.length - 1} bytes`);
      return;
    }
    buffer[written] = LF;
    client.receive(buffer.subarray(0, written + 1), written + 1);
  }
}

/**
 * The send time of a bench message, from the end of its line
 * (`… @<microseconds>`), or -1 for any other line.
 */
export function sendTime(data: Uint8Array, start: number, end: number): number {
  let i = end - 1;
  let value = 0;
  let scale = 1;
  while (i > start) {
    const byte = data[i]!;
    if (byte < ZERO || byte > NINE) break;
    value += (byte - ZERO) * scale;
    scale *= 10;
    i--;
  }
  if (scale === 1 || data[i] !== AT || i <= start || data[i - 1] !== SPACE) {
    return -1;
  }
  return value;
}

/**
 * The text of bench message `seq` from `sender`, stamped now. A warm-up
 * message ends in ` #<time>` instead, so receivers do not count it.
 */
export function benchText(
  sender: string,
  seq: number,
  warmup = false,
): string {
  return `hello from ${sender} message ${seq} ${warmup ? "#" : "@"}${
    Math.round(performance.now() * 1000)
  }`;
}

/** How one protocol logs in, answers pings and sends a message. */
export interface Protocol {
  readonly name: ProtocolName;
  /** Right after the connection opens. */
  onConnect(client: Client): void;
  /** A line that is not a bench message, `\r\n` already stripped. */
  onLine(client: Client, data: Uint8Array, start: number, end: number): void;
  /** The wire bytes that post `text` to the room. */
  message(text: string): Uint8Array;
}

function startsWith(
  data: Uint8Array,
  start: number,
  end: number,
  prefix: Uint8Array,
): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) {
    if (data[start + i] !== prefix[i]) return false;
  }
  return true;
}

function text(data: Uint8Array, start: number, end: number): string {
  return decoder.decode(data.subarray(start, end));
}

const HELLO = encoder.encode("HELLO ");
const AUTH_SUCCESS = encoder.encode("AUTH_SUCCESS ");
const AUTH_FAILURE = encoder.encode("AUTH_FAILURE");
const HISTORY_END = encoder.encode("HISTORY_END ");
const PING = encoder.encode("PING");
const BYE = encoder.encode("BYE ");
const RATE_LIMITED = encoder.encode("ERROR rate_limited");

/** TCPChat: `HELLO`, then `LOGIN`; logged in at the lobby's `HISTORY_END`. */
export function tcpchatProtocol(password: string): Protocol {
  return {
    name: "tcpchat",
    onConnect() {},
    onLine(client, data, start, end) {
      // Check the first byte before anything else: during a login storm
      // each client reads thousands of USER_JOINED lines.
      switch (data[start]) {
        case 0x48: // H
          if (client.stage === 0 && startsWith(data, start, end, HELLO)) {
            client.stage = 1;
            client.sendLine(`LOGIN ${client.name} ${password}\n`);
          } else if (
            client.stage === 2 && startsWith(data, start, end, HISTORY_END)
          ) {
            client.stage = 3;
            client.markReady();
          }
          return;
        case 0x41: // A
          if (startsWith(data, start, end, AUTH_SUCCESS)) client.stage = 2;
          else if (startsWith(data, start, end, AUTH_FAILURE)) {
            client.fail(text(data, start, end));
          }
          return;
        case 0x50: // P
          if (startsWith(data, start, end, PING)) {
            client.sendLine(`PONG${text(data, start + 4, end)}\n`);
          }
          return;
        case 0x42: // B
          if (startsWith(data, start, end, BYE)) {
            client.fail(text(data, start, end));
          }
          return;
        case 0x45: // E
          if (startsWith(data, start, end, RATE_LIMITED)) {
            client.sink.rateLimited++;
          }
          return;
      }
    },
    message(chat) {
      return encoder.encode(`MSG ${chat}\n`);
    },
  };
}

/** The ceiling server: ready at its greeting; relays lines as they are. */
export function ceilingProtocol(): Protocol {
  return {
    name: "ceiling",
    onConnect() {},
    onLine(client, data, start, end) {
      if (startsWith(data, start, end, HELLO)) client.markReady();
    },
    message(chat) {
      return encoder.encode(`MSG ${chat}\n`);
    },
  };
}

/** The IRC channel every IRC client joins. */
export const IRC_CHANNEL = "#bench";

/**
 * IRC: `NICK` and `USER`, `JOIN #bench` after the welcome (001); ready at the
 * end of the channel's names (366). Answers `PING`.
 */
export function ircProtocol(): Protocol {
  return {
    name: "irc",
    onConnect(client) {
      client.sendLine(
        `NICK ${client.name}\r\nUSER ${client.name} 0 * :bench\r\n`,
      );
    },
    onLine(client, data, start, end) {
      if (startsWith(data, start, end, PING)) {
        client.sendLine(`PONG${text(data, start + 4, end)}\r\n`);
        return;
      }
      if (client.isReady) return;
      const line = text(data, start, end);
      const parts = line.split(" ");
      const command = line.startsWith(":") ? parts[1] : parts[0];
      if (command === "001" && client.stage === 0) {
        client.stage = 1;
        client.sendLine(`JOIN ${IRC_CHANNEL}\r\n`);
      } else if (command === "366") {
        client.markReady();
      } else if (
        command === "ERROR" ||
        (/^4\d\d$/.test(command ?? "") && command !== "422")
      ) {
        // 422 (no MOTD) is harmless; any other 4xx refuses the login.
        client.fail(line);
      }
    },
    message(chat) {
      return encoder.encode(`PRIVMSG ${IRC_CHANNEL} :${chat}\r\n`);
    },
  };
}

/** Options for {@linkcode connectAll}. */
export interface ConnectOptions {
  /** The server's port for `transport` (its web port for a WebSocket). */
  port: number;
  /** How the clients connect. @default {"tcp"} */
  transport?: Transport;
  protocol: Protocol;
  count: number;
  sink: Sink;
  /** Clients between connect and logged in at once. @default {100} */
  concurrency?: number;
  /**
   * Connects (TCP handshakes, WebSocket upgrades) in flight at once. Kept small: a burst of SYNs beyond a
   * server's listen backlog (ngIRCd's is 10) is dropped and retried after 1,
   * 2, 4 … seconds, which would measure the backlog, not the server.
   * @default {8}
   */
  connectConcurrency?: number;
  /** Give up on one login after this long. @default {60000} */
  timeoutMs?: number;
  /** Index of the first client (its account). @default {0} */
  firstIndex?: number;
}

/** Clients that logged in, and how long that took. */
export interface ConnectResult {
  clients: Client[];
  /** Wall time from the first connect to the last login, in ms. */
  elapsedMs: number;
  /** Per-client connect+login time, in µs. */
  perClient: Histogram;
  failed: number;
  firstError?: string;
}

/** A counting semaphore. */
class Semaphore {
  #free: number;
  #waiting: Array<() => void> = [];

  constructor(size: number) {
    this.#free = size;
  }

  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#free++;
  }
}

/**
 * Connects and logs in `count` clients: at most `concurrency` between
 * connect and logged in, at most `connectConcurrency` TCP handshakes at once.
 */
export async function connectAll(
  options: ConnectOptions,
): Promise<ConnectResult> {
  const concurrency = options.concurrency ?? 100;
  const connects = new Semaphore(options.connectConcurrency ?? 8);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const firstIndex = options.firstIndex ?? 0;
  const clients: Client[] = [];
  const perClient = new Histogram();
  let failed = 0;
  let firstError: string | undefined;
  let next = 0;
  const started = performance.now();

  async function one(index: number): Promise<void> {
    const t0 = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let client: Client | undefined;
    try {
      await connects.acquire();
      let wire: Wire;
      try {
        wire = await openWire(options.transport ?? "tcp", options.port);
      } finally {
        connects.release();
      }
      client = new Client(index, wire, options.protocol, options.sink);
      clients.push(client);
      const c = client;
      c.readLoop().catch((error) => c.fail(String(error)));
      options.protocol.onConnect(c);
      await Promise.race([
        c.ready.promise,
        new Promise((_, reject) =>
          timer = setTimeout(
            () => reject(new Error("login timed out")),
            timeoutMs,
          )
        ),
      ]);
      perClient.record((performance.now() - t0) * 1000);
    } catch (error) {
      failed++;
      firstError ??= `${benchUsername(index)}: ${(error as Error).message}`;
      client?.close();
    } finally {
      clearTimeout(timer);
    }
  }

  async function worker(): Promise<void> {
    while (next < options.count) {
      const index = firstIndex + next++;
      await one(index);
    }
  }
  await Promise.all(
    Array.from({ length: Math.min(concurrency, options.count) }, worker),
  );
  return {
    clients: clients.filter((client) => client.isReady && !client.closed),
    elapsedMs: performance.now() - started,
    perClient,
    failed,
    firstError,
  };
}

/** The path of the server's WebSocket endpoint (docs/PROTOCOL.md). */
export const WEBSOCKET_PATH = "/ws";

async function openWire(transport: Transport, port: number): Promise<Wire> {
  if (transport === "websocket") {
    return await WebSocketWire.open(
      `ws://127.0.0.1:${port}${WEBSOCKET_PATH}`,
    );
  }
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  conn.setNoDelay(true);
  return new TcpWire(conn);
}

/** Resolves once no bytes have arrived for `quietMs`, or after `maxMs`. */
export async function waitQuiet(
  sink: Sink,
  quietMs: number,
  maxMs: number,
): Promise<void> {
  const deadline = performance.now() + maxMs;
  while (performance.now() < deadline) {
    if (performance.now() - sink.lastReadAt >= quietMs) return;
    await sleep(Math.min(100, quietMs / 2));
  }
}

/** Options for {@linkcode sendPaced}. */
export interface PaceOptions {
  senders: Client[];
  /** Measured messages per sender. */
  messages: number;
  /** Messages per second per sender. */
  rate: number;
  /**
   * Messages per sender sent first at the same rate and not counted, so the
   * measured ones meet a server (and TCP buffers, and JIT) in steady state.
   * @default {0}
   */
  warmupMessages?: number;
  /** Called just before the first measured message is sent. */
  onMeasureStart?: () => void;
  /**
   * Ends the sends once aborted, after at least one measured message per
   * sender: `messages` is then the most each sends (the files scenario
   * chats for as long as its transfer lasts).
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** When the sends ran and how late they were against the schedule. */
export interface PaceResult {
  /** When the first measured message was sent. */
  firstSendAt: number;
  lastSendAt: number;
  /** Measured messages sent. */
  sent: number;
  /** Largest delay of a send behind its schedule, in ms. */
  maxLagMs: number;
}

/**
 * Sends `messages` from each sender at `rate` per second, the senders spread
 * evenly over each period, so the server sees a steady S x R messages per
 * second rather than bursts. Each message is stamped when it is written.
 */
export async function sendPaced(options: PaceOptions): Promise<PaceResult> {
  const senders = options.senders;
  const warmup = senders.length * (options.warmupMessages ?? 0);
  let total = warmup + senders.length * options.messages;
  const signal = options.signal;
  const intervalMs = 1000 / (senders.length * options.rate);
  const start = performance.now() + 20;
  let sent = 0;
  let maxLagMs = 0;
  let firstSendAt = 0;
  while (sent < total) {
    const now = performance.now();
    while (sent < total && start + sent * intervalMs <= now) {
      if (signal?.aborted && sent >= warmup + senders.length) {
        total = sent;
        break;
      }
      const sender = senders[sent % senders.length]!;
      const seq = Math.floor(sent / senders.length);
      const lag = now - (start + sent * intervalMs);
      if (lag > maxLagMs) maxLagMs = lag;
      if (sent === warmup) {
        options.onMeasureStart?.();
        firstSendAt = performance.now();
      }
      sender.send(
        sender.protocol.message(benchText(sender.name, seq, sent < warmup)),
      );
      sent++;
    }
    if (sent < total) {
      const wait = start + sent * intervalMs - performance.now();
      await sleep(Math.max(0, Math.min(wait, 10)));
    }
  }
  return {
    firstSendAt,
    lastSendAt: performance.now(),
    sent: total - warmup,
    maxLagMs,
  };
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let length = 0;
  for (const chunk of chunks) length += chunk.length;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}
