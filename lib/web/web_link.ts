/**
 * The page's connection to the server: a WebSocket to `/ws` carrying the
 * native protocol, one line per message. It answers the server's `PING`,
 * pings a quiet server itself (so a dead one is noticed, not waited on), and
 * when the socket drops it connects again by itself, waiting 1, 2, 4, 8,
 * then 15 seconds between tries, until it is stopped. What to send on a new
 * connection (`RESUME` with the token) is the page's decision: it sees the
 * new `HELLO` like any other reply.
 *
 * Sockets and timers are injected, so tests drive it without a browser.
 *
 * @module
 */

import {
  type Command,
  formatCommand,
  parseReply,
  type Reply,
} from "../protocol/protocol.ts";

/** Where the connection is. */
export type LinkState =
  /** Opening the first socket. */
  | "connecting"
  /** Open. */
  | "online"
  /** Lost; trying again (`retryIn` ms until the next try). */
  | "reconnecting"
  /** Stopped for good (logged out, kicked, replaced). */
  | "offline";

/** The part of a `WebSocket` the link uses. */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** What the link tells the page. */
export interface LinkHandlers {
  /**
   * A server line, parsed, and as it came (`HELLO`'s fields are read from
   * it); `PING` is answered here and not passed on.
   */
  reply(reply: Reply, line: string): void;
  /** The state changed. */
  state(state: LinkState, retryInMs?: number): void;
  /** A server line that does not parse: shown, never answered. */
  badLine?(line: string): void;
}

/** Options for {@linkcode WebLink}. */
export interface WebLinkOptions {
  /** Makes a socket. @default {(url) => new WebSocket(url)} */
  socket?: (url: string) => SocketLike;
  /** @default {globalThis.setTimeout} */
  setTimer?: (callback: () => void, ms: number) => TimerId;
  /** @default {globalThis.clearTimeout} */
  clearTimer?: (id: TimerId) => void;
  /** Waits between tries. @default {[1000, 2000, 4000, 8000, 15000]} */
  retryDelaysMs?: readonly number[];
  /** Silence from the server before the page pings it. @default {25000} */
  keepaliveMs?: number;
  /** Time the server has to answer that ping. @default {10000} */
  keepaliveTimeoutMs?: number;
}

const OPEN = 1;

/** A timer handle, whatever the platform's `setTimeout` returns. */
export type TimerId = ReturnType<typeof setTimeout>;

/** A self-healing connection to the server's WebSocket. */
export class WebLink {
  #url: string;
  #handlers: LinkHandlers;
  #makeSocket: (url: string) => SocketLike;
  #setTimer: (callback: () => void, ms: number) => TimerId;
  #clearTimer: (id: TimerId) => void;
  #delays: readonly number[];
  #keepaliveMs: number;
  #keepaliveTimeoutMs: number;
  #socket: SocketLike | undefined;
  #tries = 0;
  #stopped = false;
  #retryTimer: TimerId | undefined;
  #quietTimer: TimerId | undefined;
  #pingsSent = 0;

  /** A link to `url` (`ws://host:port/ws`); call {@linkcode start}. */
  constructor(
    url: string,
    handlers: LinkHandlers,
    options: WebLinkOptions = {},
  ) {
    this.#url = url;
    this.#handlers = handlers;
    this.#makeSocket = options.socket ?? ((url) => new WebSocket(url));
    this.#setTimer = options.setTimer ??
      ((callback, ms) => setTimeout(callback, ms));
    this.#clearTimer = options.clearTimer ?? ((id) => clearTimeout(id));
    this.#delays = options.retryDelaysMs ?? [1000, 2000, 4000, 8000, 15000];
    this.#keepaliveMs = options.keepaliveMs ?? 25_000;
    this.#keepaliveTimeoutMs = options.keepaliveTimeoutMs ?? 10_000;
  }

  /** Whether a socket is open now. */
  get open(): boolean {
    return this.#socket?.readyState === OPEN;
  }

  /** Opens the first socket. */
  start(): void {
    this.#stopped = false;
    this.#handlers.state("connecting");
    this.#connect();
  }

  /** Sends a command; false when no socket is open (nothing is queued). */
  send(command: Command): boolean {
    const socket = this.#socket;
    if (socket === undefined || socket.readyState !== OPEN) return false;
    socket.send(formatCommand(command));
    return true;
  }

  /** Tries again at once (the browser is back online, a button). */
  retryNow(): void {
    if (this.#stopped || this.open) return;
    this.#clearRetry();
    // A socket still connecting is given up for the new one: left attached,
    // it would open too and feed the page a second session's lines.
    const pending = this.#socket;
    this.#socket = undefined;
    if (pending !== undefined) {
      detach(pending);
      pending.close(1000);
    }
    this.#connect();
  }

  /** Closes for good: no reconnecting (a logout, a kick, a replaced session). */
  stop(): void {
    this.#stopped = true;
    this.#clearRetry();
    this.#clearQuiet();
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) {
      detach(socket);
      socket.close(1000);
    }
    this.#handlers.state("offline");
  }

  /** Drops the socket and reconnects, as after a network loss. */
  drop(): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    detach(socket);
    socket.close(1000);
    this.#lost(socket);
  }

  #connect(): void {
    let socket: SocketLike;
    try {
      socket = this.#makeSocket(this.#url);
    } catch {
      this.#scheduleRetry();
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      this.#tries = 0;
      this.#handlers.state("online");
      this.#heard();
    };
    socket.onmessage = (event) => {
      if (typeof event.data === "string") this.#line(event.data);
    };
    socket.onclose = () => this.#lost(socket);
    socket.onerror = () => {
      // A close event always follows; it does the work.
    };
  }

  #line(data: string): void {
    this.#heard();
    const line = data.endsWith("\n") ? data.slice(0, -1) : data;
    const text = line.endsWith("\r") ? line.slice(0, -1) : line;
    const reply = parseReply(text);
    if (reply.type === "invalid") {
      this.#handlers.badLine?.(line);
      return;
    }
    if (reply.type === "ping") {
      this.send(
        reply.token === undefined
          ? { type: "pong" }
          : { type: "pong", token: reply.token },
      );
      return;
    }
    this.#handlers.reply(reply, text);
  }

  #lost(socket: SocketLike): void {
    if (this.#socket !== socket) return;
    detach(socket);
    this.#socket = undefined;
    this.#clearQuiet();
    if (this.#stopped) return;
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    const delay =
      this.#delays[Math.min(this.#tries, this.#delays.length - 1)] ??
        1000;
    this.#tries++;
    this.#handlers.state("reconnecting", delay);
    this.#clearRetry();
    this.#retryTimer = this.#setTimer(() => {
      this.#retryTimer = undefined;
      if (!this.#stopped) this.#connect();
    }, delay);
  }

  /** Something came from the server: the quiet timer starts over. */
  #heard(): void {
    this.#clearQuiet();
    this.#quietTimer = this.#setTimer(() => this.#quiet(), this.#keepaliveMs);
  }

  #quiet(): void {
    const socket = this.#socket;
    if (socket === undefined) return;
    this.send({ type: "ping", token: `w${++this.#pingsSent}` });
    this.#quietTimer = this.#setTimer(() => {
      // No answer: the server or the network is gone.
      if (this.#socket === socket) this.drop();
    }, this.#keepaliveTimeoutMs);
  }

  #clearRetry(): void {
    if (this.#retryTimer !== undefined) this.#clearTimer(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  #clearQuiet(): void {
    if (this.#quietTimer !== undefined) this.#clearTimer(this.#quietTimer);
    this.#quietTimer = undefined;
  }
}

function detach(socket: SocketLike): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = null;
}
