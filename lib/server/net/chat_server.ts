/**
 * The chat server: accepts TCP connections, frames and parses lines, runs
 * each connection's state machine (unauthenticated -> authenticated), and
 * fans chat out through per-connection outbound queues.
 *
 * This is the I/O shell around the pure pieces in `lib/`; `server.ts` adds
 * flags, signals and the console. Tests start it on 127.0.0.1 port 0.
 *
 * @module
 */

import {
  AuthManager,
  type LiveSession,
  type LoginHooks,
  type SessionEndReason,
} from "../auth/auth_manager.ts";
import { type Clock, SYSTEM_CLOCK } from "../../shared/clock.ts";
import { ConnectionLimits } from "./connection_limits.ts";
import { FramingError, LineFramer } from "../../protocol/line_framer.ts";
import {
  type Lang,
  matchLang,
  type MessageKey,
  type MessageParams,
  t,
} from "../../shared/messages.ts";
import { isPeerGoneError, OutboundQueue } from "../../shared/outbound_queue.ts";
import { type ChatMember, ChatService } from "../chat/chat_service.ts";
import {
  type Command,
  commandUsage,
  formatReply,
  type InvalidCommand,
  MAX_LINE_BYTES,
  parseChatText,
  parseCommand,
  pemToDer,
  PROTOCOL_VERSION,
  type Reply,
} from "../../protocol/protocol.ts";
import { NoticeLimiter, TokenBucket } from "./rate_limiter.ts";
import type { RegisterThrottleOptions } from "../auth/register_throttle.ts";
import { TlsFront } from "./tls_front.ts";
import {
  type AccountStore,
  type ChatStore,
  isStoreBusy,
} from "../../store/store.ts";
import { formatClockTime } from "../../shared/time_format.ts";
import { normalizeUsername } from "../../shared/username.ts";
import { VERSION } from "../../shared/version.ts";

/** The store contracts the server needs, and closing it at the end. */
export type ServerStore = AccountStore & ChatStore & { close(): void };

/** Options for {@linkcode startChatServer}. */
export interface ChatServerOptions {
  /**
   * The opened store (the entries build it; any implementation of the store
   * contracts); the server closes it when it stops.
   */
  store: ServerStore;
  /** Listen address. @default {"0.0.0.0"} */
  hostname?: string;
  /** Listen port; 0 picks a free one. @default {5000} */
  port?: number;
  /** Language of replies and log lines. @default {"zh"} */
  lang?: Lang;
  /** Time source for deadlines, throttling and timestamps. @default {SYSTEM_CLOCK} */
  clock?: Clock;
  /** Receives each log line (already timestamped where the seed does). @default {() => {}} */
  log?: (line: string) => void;
  /** Log each chat message, as the seed does. @default {true} */
  logMessages?: boolean;
  /** Stops the server when aborted. @default {undefined} */
  signal?: AbortSignal;
  /** Global connection cap. @default {10000} */
  maxClients?: number;
  /** Per-address connection cap. @default {16} */
  maxPerAddress?: number;
  /** Exempt loopback from the per-address cap. @default {true} */
  exemptLoopback?: boolean;
  /** Longest line in bytes. @default {8192} */
  maxLineBytes?: number;
  /** Time an unauthenticated connection has to log in, from accept. @default {60000} */
  loginTimeoutMs?: number;
  /** Silence from an authenticated client before the server pings it. @default {25000} */
  pingIntervalMs?: number;
  /** Time to answer a ping (any line counts). @default {30000} */
  pingTimeoutMs?: number;
  /** Outbound queue bound per client in bytes. @default {1048576} */
  maxQueueBytes?: number;
  /** A client whose queue has not moved for this long is dropped. @default {30000} */
  stallTimeoutMs?: number;
  /** Lines a client may send at once before the rate applies. @default {10} */
  rateBurst?: number;
  /** Sustained lines per second per client. @default {5} */
  ratePerSecond?: number;
  /** How often deadlines are checked; 0 disables the timer (tests call `sweep()`). @default {1000} */
  sweepIntervalMs?: number;
  /** Days of chat history kept. @default {30} */
  historyDays?: number;
  /** Days of audit log kept. @default {90} */
  auditDays?: number;
  /** Minimum password length. @default {8} */
  minPasswordLength?: number;
  /** PBKDF2 iterations (tests lower it). @default {600000} */
  hashIterations?: number;
  /**
   * Registration limits: 5 a minute per address, 60 a minute in all,
   * loopback exempt.
   * @default {{}}
   */
  registerThrottle?: Omit<RegisterThrottleOptions, "clock">;
  /**
   * Serve TLS on a second port with this certificate.
   * @default {undefined}
   */
  tls?: TlsOptions;
  /**
   * With `tls`: the plain port answers only `HELLO`, `CERT` and `PING`, so
   * nobody logs in or chats in clear text.
   * @default {false}
   */
  requireTls?: boolean;
}

/** The TLS listener's certificate and port. */
export interface TlsOptions {
  /** PEM certificate (chain). */
  certPem: string;
  /** PEM private key. */
  keyPem: string;
  /** TLS port; 0 picks a free one. @default {5001} */
  port?: number;
}

/** A running chat server, shaped like `Deno.serve`'s result. */
export interface ChatServer extends AsyncDisposable {
  /** The bound address (with the real port when 0 was asked). */
  readonly addr: Deno.NetAddr;
  /** The TLS listener's address, when TLS is on. */
  readonly tlsAddr: Deno.NetAddr | undefined;
  /** Resolves once the server has fully stopped. */
  readonly finished: Promise<void>;
  /** The account domain, for operator actions in the same process. */
  readonly auth: AuthManager;
  /** Open connections, authenticated or not. */
  readonly connectionCount: number;
  /** Checks every deadline now (login, ping, stalled queues). */
  sweep(): void;
  /** Stops accepting, says goodbye to every client, closes the store. */
  shutdown(): Promise<void>;
}

/** C0 controls except LF, DEL and C1 controls: not for the operator's console. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
const LOG_CONTROL_PATTERN = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;
/** How long a goodbye line may take to leave before the socket is closed anyway. */
const BYE_FLUSH_MS = 1000;
/**
 * Protocol errors in a row (lines not valid UTF-8, `invalid_command`) that
 * end a connection with `BYE protocol_errors`; any other line starts the
 * count again.
 */
const MAX_PROTOCOL_ERRORS = 20;
/** How often a live session's resume token is replaced. */
const RESUME_ROTATE_MS = 5 * 60 * 1000;
/**
 * A `PING` before login pushes the login deadline out (a person typing at
 * the menu keeps the connection), but never past this long after accept or
 * the return to the login menu: an unauthenticated peer must not hold a
 * connection slot forever; the per-address and total caps bound the rest.
 */
export const LOGIN_KEEPALIVE_CAP_MS = 10 * 60 * 1000;
/** Back-off after a failed accept (e.g. out of file descriptors). */
const ACCEPT_BACKOFF_MS = 100;

/**
 * Starts listening and serving. Rejects if the port cannot be bound (for
 * example `Deno.errors.AddrInUse`); the caller reports that.
 */
export function startChatServer(options: ChatServerOptions): ChatServer {
  const hostname = options.hostname ?? "0.0.0.0";
  const port = options.port ?? 5000;
  let listener: Deno.Listener;
  try {
    listener = Deno.listen({ hostname, port, transport: "tcp" });
  } catch (error) {
    throw new ListenError("plain", port, error);
  }
  let tlsListener: TlsFront | undefined;
  if (options.tls !== undefined) {
    try {
      // A front keeps the public socket ours: Deno cannot close a TlsConn
      // whose peer never sends a ClientHello (denoland/deno#14547).
      tlsListener = TlsFront.listen({
        hostname,
        port: options.tls.port ?? 5001,
        certPem: options.tls.certPem,
        keyPem: options.tls.keyPem,
      });
    } catch (error) {
      listener.close();
      throw new ListenError("tls", options.tls.port ?? 5001, error);
    }
  }
  return new Server(listener, tlsListener, options);
}

/**
 * A listener that could not be opened, naming which one (the plain port or
 * the TLS port) and the port asked for, so the operator learns which flag to
 * change. The system's error is the `cause`.
 */
export class ListenError extends Error {
  /** Which listener failed: `plain` (`--port`) or `tls` (`--tls-port`). */
  readonly listener: "plain" | "tls";
  /** The port that was asked for. */
  readonly port: number;
  constructor(listener: "plain" | "tls", port: number, cause: unknown) {
    super(
      `Cannot listen on ${listener} port ${port}: ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
    this.name = "ListenError";
    this.listener = listener;
    this.port = port;
  }

  /** Whether the port is taken by another socket. */
  get inUse(): boolean {
    return this.cause instanceof Deno.errors.AddrInUse;
  }
}

class Server implements ChatServer {
  readonly addr: Deno.NetAddr;
  readonly finished: Promise<void>;
  readonly auth: AuthManager;
  readonly lang: Lang;
  readonly clock: Clock;
  readonly options: ChatServerOptions;
  readonly limits: ConnectionLimits;
  readonly connections = new Set<Connection>();
  /** Rooms, messages, history and moderation for logged-in members. */
  readonly chat: ChatService;
  #listener: Deno.Listener;
  #tlsListener: TlsFront | undefined;
  readonly tlsAddr: Deno.NetAddr | undefined;
  /** The TLS certificate as base64 DER, for `CERT`. */
  readonly certificateDer: string | undefined;
  #store: ServerStore;
  #log: (line: string) => void;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #stopping: Promise<void> | undefined;
  #acceptLoop: Promise<void>;
  #acceptErrorLogged = false;

  constructor(
    listener: Deno.Listener,
    tlsListener: TlsFront | undefined,
    options: ChatServerOptions,
  ) {
    this.#listener = listener;
    this.#tlsListener = tlsListener;
    this.addr = listener.addr as Deno.NetAddr;
    this.tlsAddr = tlsListener?.addr;
    this.certificateDer = options.tls === undefined
      ? undefined
      : pemToDer(options.tls.certPem);
    this.options = options;
    this.#store = options.store;
    this.lang = options.lang ?? "zh";
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.#log = options.log ?? (() => {});
    this.limits = new ConnectionLimits({
      maxClients: options.maxClients ?? 10_000,
      maxPerAddress: options.maxPerAddress ?? 16,
      exemptLoopback: options.exemptLoopback ?? true,
    });
    this.auth = new AuthManager({
      store: options.store,
      clock: this.clock,
      minPasswordLength: options.minPasswordLength,
      registerThrottle: options.registerThrottle,
      hashing: options.hashIterations === undefined
        ? undefined
        : { iterations: options.hashIterations },
      onResetToken: (delivery) => {
        // The one place a token is printed: the operator's console.
        this.logLine(t(this.lang, "logResetToken", {
          username: delivery.username,
          token: delivery.token,
          expires: formatClockTime(delivery.expiresAt),
        }));
      },
    });
    this.chat = new ChatService({
      store: options.store,
      clock: this.clock,
      lang: this.lang,
      historyDays: options.historyDays,
      auditDays: options.auditDays,
      log: (line) => this.logLine(line),
    });
    const sweepEvery = options.sweepIntervalMs ?? 1000;
    if (sweepEvery > 0) {
      this.#sweepTimer = setInterval(() => this.sweep(), sweepEvery);
    }
    this.#acceptLoop = Promise.all([
      this.#accept(async () => {
        const conn = await listener.accept();
        return { conn, remote: conn.remoteAddr as Deno.NetAddr };
      }, false),
      tlsListener === undefined ? undefined : this.#accept(async () => {
        const front = await tlsListener.accept();
        return {
          conn: front.conn,
          remote: front.remoteAddr,
          abort: front.abort,
        };
      }, true),
    ]).then(() => {});
    this.finished = this.#acceptLoop.then(() => this.shutdown());
    options.signal?.addEventListener("abort", () => void this.shutdown(), {
      once: true,
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Logs a line prefixed with the local time, as the seed does. Control
   * characters from peers (a chat text, the username of a failed LOGIN)
   * become spaces, so nobody can drive the operator's terminal; line feeds
   * stay, for stack traces.
   */
  logLine(text: string): void {
    this.#log(
      `[${formatClockTime(this.clock.now())}] ${
        text.replace(LOG_CONTROL_PATTERN, " ")
      }`,
    );
  }

  /**
   * Logs a security event (never a password or token) as a sentence of the
   * catalog; an event or reason without one shows its code.
   */
  logSecurity(
    event: string,
    username: string,
    address: string,
    detail = "",
  ): void {
    const key = Object.hasOwn(SECURITY_EVENT_KEYS, event)
      ? SECURITY_EVENT_KEYS[event]
      : undefined;
    const reason = Object.hasOwn(SECURITY_REASON_KEYS, detail)
      ? t(this.lang, SECURITY_REASON_KEYS[detail]!)
      : detail;
    this.logLine(
      key === undefined
        ? t(this.lang, "logSecurity", { event, username, address, detail })
          .trimEnd()
        : t(this.lang, key, { username, address, reason }),
    );
  }

  get logMessages(): boolean {
    return this.options.logMessages ?? true;
  }

  sweep(): void {
    const now = this.clock.now();
    for (const connection of this.connections) connection.checkDeadlines(now);
    this.chat.sweep().catch((error) =>
      this.logLine(`[error] history maintenance: ${String(error)}`)
    );
  }

  shutdown(): Promise<void> {
    this.#stopping ??= this.#shutdown();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  async #shutdown(): Promise<void> {
    if (this.#sweepTimer !== undefined) clearInterval(this.#sweepTimer);
    for (const listener of [this.#listener, this.#tlsListener]) {
      try {
        listener?.close();
      } catch {
        // Already closed.
      }
    }
    await this.#acceptLoop;
    await Promise.all(
      [...this.connections].map((connection) =>
        connection.close("shutdown", t(connection.lang, "shutdown"))
      ),
    );
    await this.chat.close().catch((error) =>
      this.logLine(`[error] final history write: ${String(error)}`)
    );
    this.#store.close();
  }

  async #accept(
    accept: () => Promise<Accepted>,
    secure: boolean,
  ): Promise<void> {
    while (true) {
      let accepted: Accepted;
      try {
        accepted = await accept();
      } catch (error) {
        if (
          this.#stopping !== undefined ||
          error instanceof Deno.errors.BadResource
        ) {
          return;
        }
        // Running out of file descriptors must not end the accept loop
        // (denoland/deno#10148): log once per episode, back off, go on.
        if (!this.#acceptErrorLogged) {
          this.#acceptErrorLogged = true;
          this.logLine(
            t(this.lang, "logAcceptError", {
              reason: (error as Error).message,
            }),
          );
        }
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_BACKOFF_MS));
        continue;
      }
      this.#acceptErrorLogged = false;
      this.#admit(accepted, secure);
    }
  }

  #admit(accepted: Accepted, secure: boolean): void {
    const { conn, remote, abort } = accepted;
    const slot = this.limits.tryAcquire(remote.hostname);
    if (!slot.ok) {
      const message = slot.reason === "server_full"
        ? t(this.lang, "serverFull", { max: this.options.maxClients ?? 10_000 })
        : t(this.lang, "tooManyConnections", {
          max: this.options.maxPerAddress ?? 16,
        });
      if (secure) {
        // No handshake yet: a BYE cannot be sent over TLS; just hang up.
        abort?.();
        closeQuietly(conn);
      } else {
        refuse(conn, formatReply({ type: "bye", code: slot.reason, message }));
      }
      return;
    }
    try {
      // TLS connections do not expose these; plain TCP ones do.
      (conn as Partial<Deno.TcpConn>).setNoDelay?.(true);
      (conn as Partial<Deno.TcpConn>).setKeepAlive?.(true);
    } catch {
      // Not fatal: the application-level ping still finds dead peers.
    }
    const release = abort === undefined ? slot.release : () => {
      abort();
      slot.release();
    };
    const connection = new Connection(this, conn, remote, release, secure);
    this.connections.add(connection);
    connection.run().catch((error) => {
      this.logLine(`[error] connection ${connection.remote}: ${String(error)}`);
    }).finally(() => this.connections.delete(connection));
  }
}

/** One client connection and its state machine. */
class Connection implements ChatMember {
  readonly remote: string;
  readonly address: string;
  #server: Server;
  #conn: Deno.Conn;
  /** Whether this connection came in on the TLS port. */
  readonly secure: boolean;
  #release: () => void;
  #framer: LineFramer;
  #queue: OutboundQueue;
  #bucket: TokenBucket;
  /** Protocol errors in a row; see {@linkcode MAX_PROTOCOL_ERRORS}. */
  #protocolErrors = 0;
  #slowDownNotices: NoticeLimiter;
  #session: LiveSession | undefined;
  #loginDeadline: number;
  /** Accept, or the return to the login menu: see {@linkcode LOGIN_KEEPALIVE_CAP_MS}. */
  #loginSince: number;
  /** Whether keep-alives pushed the login deadline to the cap. */
  #loginCapped = false;
  #lastHeardAt: number;
  #pingSentAt: number | undefined;
  #pingCounter = 0;
  #closing: Promise<void> | undefined;
  /** Set while this connection's own DELETE_ACCOUNT is in progress. */
  #deletingOwnAccount = false;
  #resumeIssuedAt = 0;
  #wake: (() => void) | undefined;
  /** The language of this client's replies: its `LANG`, else the server's. */
  #lang: Lang;

  constructor(
    server: Server,
    conn: Deno.Conn,
    remote: Deno.NetAddr,
    release: () => void,
    secure: boolean,
  ) {
    this.secure = secure;
    this.#server = server;
    this.#conn = conn;
    this.#release = release;
    this.address = remote.hostname;
    this.remote = remote.hostname.includes(":")
      ? `[${remote.hostname}]:${remote.port}`
      : `${remote.hostname}:${remote.port}`;
    const clock = server.clock;
    const options = server.options;
    this.#framer = new LineFramer({
      maxLineBytes: options.maxLineBytes ?? MAX_LINE_BYTES,
    });
    this.#queue = new OutboundQueue(conn, {
      clock,
      maxBytes: options.maxQueueBytes ?? 1024 * 1024,
      stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
      // A client too slow to read is dropped without a goodbye: its queue is
      // exactly what cannot take one more line.
      onOverflow: () => void this.close(),
      onError: (error) => {
        if (!isPeerGoneError(error)) {
          this.#server.logLine(
            `[error] write to ${this.remote}: ${String(error)}`,
          );
        }
        void this.close();
      },
    });
    this.#bucket = new TokenBucket({
      clock,
      burst: options.rateBurst ?? 10,
      refillPerSecond: options.ratePerSecond ?? 5,
    });
    this.#slowDownNotices = new NoticeLimiter({ clock });
    const now = clock.now();
    this.#loginDeadline = now + (options.loginTimeoutMs ?? 60_000);
    this.#loginSince = now;
    this.#lastHeardAt = now;
    this.#lang = server.lang;
  }

  /** The language of this client's replies (the console keeps the server's). */
  get lang(): Lang {
    return this.#lang;
  }

  /** `LANG <tag>`: a supported tag sets the reply language, any other the server's. */
  #setLang(tag: string): void {
    this.#lang = matchLang(tag) ?? this.#server.lang;
  }

  // ChatMember: valid while this connection is in the chat (logged in).
  get username(): string {
    return this.#session?.username ?? "";
  }

  get usernameKey(): string {
    return this.#session?.usernameKey ?? "";
  }

  get accountId(): number {
    return this.#session?.accountId ?? -1;
  }

  deliver(bytes: Uint8Array): void {
    this.#queue.push(bytes);
  }

  disconnect(code: string, message: string): void {
    void this.close(code, message);
  }

  async flushed(): Promise<boolean> {
    await this.#queue.flush();
    return !this.#queue.closed;
  }

  send(reply: Reply): void {
    this.#queue.push(encode(formatReply(reply)));
  }

  sendBytes(bytes: Uint8Array): void {
    this.#queue.push(bytes);
  }

  /** Reads until EOF, handling each line in order. */
  async run(): Promise<void> {
    // Optional key=value fields follow the version (docs/PROTOCOL.md, 1).
    const hello = formatReply({
      type: "hello",
      protocolVersion: PROTOCOL_VERSION,
      serverVersion: VERSION,
    });
    this.sendBytes(
      encode(
        `${hello} min_password=${this.#server.auth.minPasswordLength}${
          this.#server.tlsAddr === undefined
            ? ""
            : ` tls_port=${this.#server.tlsAddr.port}`
        }${this.#plainRestricted ? " tls_required=1" : ""}`,
      ),
    );
    // A small reused buffer: ~9 KB per idle connection instead of ~65 KB
    // through conn.readable (STYLE.md, section 4).
    const buffer = new Uint8Array(2048);
    try {
      while (this.#closing === undefined) {
        let n: number | null;
        try {
          n = await this.#conn.read(buffer);
        } catch (error) {
          // On the TLS port, a failed handshake (plain text, a client that
          // distrusts the certificate) ends only this connection, quietly.
          const handshakeFailed = this.secure &&
            error instanceof Deno.errors.InvalidData;
          if (
            this.#closing === undefined && !isPeerGoneError(error) &&
            !handshakeFailed
          ) {
            this.#server.logLine(
              `[error] read from ${this.remote}: ${String(error)}`,
            );
          }
          break;
        }
        if (n === null) break;
        for (const framed of this.#framer.push(buffer.subarray(0, n))) {
          if (this.#closing !== undefined) break;
          if (framed.ok) await this.#handleLine(framed.line);
          else await this.#handleFramingError(framed.error);
        }
      }
      if (this.#closing === undefined) {
        for (const framed of this.#framer.end()) {
          if (framed.ok) await this.#handleLine(framed.line);
        }
      }
    } finally {
      await this.close();
    }
  }

  /**
   * Ends the connection once: leaves the chat, optionally says why with a
   * `BYE` line (given at most a second to leave), and closes the socket.
   */
  close(
    code?: string,
    message?: string,
    options: { linger?: boolean } = {},
  ): Promise<void> {
    this.#closing ??= this.#close(code, message, options.linger ?? false);
    return this.#closing;
  }

  async #close(
    code: string | undefined,
    message: string | undefined,
    linger: boolean,
  ): Promise<void> {
    this.#wake?.();
    // Whatever fails on the way out, the socket is closed and the slot given
    // back: a leaked slot would refuse that address for good.
    try {
      await this.#leaveChat();
      if (code !== undefined) {
        this.send({ type: "bye", code, message: message ?? "" });
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          this.#queue.flush(),
          new Promise((resolve) => timer = setTimeout(resolve, BYE_FLUSH_MS)),
        ]);
        clearTimeout(timer);
      }
      // Closing a socket with unread input makes the kernel send RST, which
      // can destroy the goodbye still in flight; half-close and discard the
      // rest first. Only from the read loop (no other read is pending then).
      if (linger) await this.#drainInput();
    } finally {
      this.#queue.close();
      try {
        this.#conn.close();
      } catch {
        // Already closed by the peer side.
      }
      this.#release();
    }
  }

  /** Sends FIN, then reads and drops input until EOF, 64 KiB or 1 s. */
  async #drainInput(): Promise<void> {
    try {
      await this.#conn.closeWrite();
    } catch {
      return; // Already gone.
    }
    const buffer = new Uint8Array(2048);
    const drain = (async () => {
      for (let discarded = 0; discarded < 64 * 1024;) {
        // A read still pending at the time limit fails when the socket closes.
        const n = await this.#conn.read(buffer).catch(() => null);
        if (n === null) return;
        discarded += n;
      }
    })();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      drain,
      new Promise((resolve) => timer = setTimeout(resolve, BYE_FLUSH_MS)),
    ]);
    clearTimeout(timer);
  }

  checkDeadlines(now: number): void {
    if (this.#closing !== undefined) return;
    if (this.#queue.checkStall()) return;
    const options = this.#server.options;
    if (this.#session === undefined) {
      if (now >= this.#loginDeadline) {
        // Say which limit it was: 60 s of silence, or the keep-alive cap.
        void this.close(
          "idle_timeout",
          this.#loginCapped
            ? t(this.lang, "loginKeepAliveCap", {
              minutes: Math.round(LOGIN_KEEPALIVE_CAP_MS / 60_000),
            })
            : t(this.lang, "idleTimeout", {
              seconds: Math.round((options.loginTimeoutMs ?? 60_000) / 1000),
            }),
        );
      }
      return;
    }
    if (this.#pingSentAt !== undefined) {
      if (now - this.#pingSentAt >= (options.pingTimeoutMs ?? 30_000)) {
        void this.close("ping_timeout", t(this.lang, "pingTimeout"));
        return;
      }
    } else if (now - this.#lastHeardAt >= (options.pingIntervalMs ?? 25_000)) {
      this.#pingSentAt = now;
      this.send({ type: "ping", token: `p${++this.#pingCounter}` });
    }
    if (now - this.#resumeIssuedAt >= RESUME_ROTATE_MS) {
      this.#sendResumeToken().catch((error) => this.#internalError(error));
    }
  }

  /**
   * A failure that is the server's, not the client's: logged in full, the
   * client gets a generic error, and the connection goes on. A database
   * busy with another connection's write gets `ERROR database_busy` instead,
   * which tells the user to try again.
   */
  #internalError(error: unknown): void {
    if (isStoreBusy(error)) {
      // Another connection holds the write lock: passing, and not a bug.
      // The store gave up at once (SERVING_BUSY_TIMEOUT_MS) so nobody else
      // waited; this client is told to try again.
      this.#server.logLine(
        `[warn] ${this.remote}: database busy: ${(error as Error).message}`,
      );
      if (this.#closing === undefined) {
        this.send({
          type: "error",
          code: "database_busy",
          message: t(this.lang, "databaseBusy"),
        });
      }
      return;
    }
    this.#server.logLine(
      `[error] ${this.remote}: ${
        error instanceof Error ? error.stack ?? error.message : String(error)
      }`,
    );
    if (this.#closing === undefined) {
      this.send({
        type: "error",
        code: "server_error",
        message: t(this.lang, "serverError"),
      });
    }
  }

  async #handleFramingError(error: FramingError): Promise<void> {
    if (error.code === "line_too_long") {
      const max = this.#server.options.maxLineBytes ?? MAX_LINE_BYTES;
      const message = t(this.lang, "lineTooLong", { max });
      this.send({ type: "error", code: "line_too_long", message });
      await this.close("line_too_long", message, { linger: true });
      return;
    }
    // Counted like any other line, so it cannot be a way around the limit.
    await this.#throttleInput();
    if (this.#closing !== undefined) return;
    this.send({
      type: "error",
      code: "invalid_utf8",
      message: t(this.lang, "invalidUtf8"),
    });
    await this.#protocolError();
  }

  /**
   * Counts a line answered with a protocol error; the
   * {@linkcode MAX_PROTOCOL_ERRORS}th in a row ends the connection.
   */
  async #protocolError(): Promise<void> {
    if (++this.#protocolErrors < MAX_PROTOCOL_ERRORS) return;
    await this.close(
      "protocol_errors",
      t(this.lang, "tooManyProtocolErrors", { count: MAX_PROTOCOL_ERRORS }),
      { linger: true },
    );
  }

  async #handleLine(line: string): Promise<void> {
    await this.#throttleInput();
    if (this.#closing !== undefined) return;
    this.#lastHeardAt = this.#server.clock.now();
    this.#pingSentAt = undefined;
    const parsed = line.length === 0 ? undefined : parseCommand(line);
    // A bad user-authored text (empty_message, message_too_long) is not a
    // protocol error: only malformed commands count, and the rest resets.
    const malformed = parsed?.type === "invalid" &&
      parsed.code === "invalid_command";
    if (!malformed) this.#protocolErrors = 0;
    if (parsed === undefined) return;
    if (parsed.type === "cert") return this.#sendCertificate();
    // Also on a --require-tls plain port, so tls_required is in its language.
    if (parsed.type === "lang") return this.#setLang(parsed.lang);
    if (
      this.#plainRestricted && parsed.type !== "ping" && parsed.type !== "pong"
    ) {
      // --require-tls: nothing but the certificate over clear text.
      this.send({
        type: "error",
        code: "tls_required",
        message: t(this.lang, "tlsRequired", {
          port: this.#server.tlsAddr?.port ?? 0,
        }),
      });
      return;
    }
    if (parsed.type === "invalid") {
      this.send({
        type: "error",
        code: parsed.code,
        message: invalidText(this.lang, parsed),
      });
      if (malformed) return this.#protocolError();
      return;
    }
    switch (parsed.type) {
      case "unknown": {
        // So that nc or telnet works as a bare client, a logged-in client's
        // line without a known verb is chat, checked exactly like MSG text.
        if (this.#session === undefined) return this.#notLoggedIn();
        const chat = parseChatText(line);
        if (chat.type === "invalid") {
          this.send({
            type: "error",
            code: chat.code,
            message: invalidText(this.lang, chat),
          });
          return;
        }
        return this.#chat(chat.text);
      }
      default:
        try {
          await this.#handleCommand(parsed);
        } catch (error) {
          this.#internalError(error);
        }
        return;
    }
  }

  /**
   * Flood control: a client over its budget is slowed down, not served
   * ahead of others. Reading pauses until a token is free (TCP pushes back
   * on the sender) and it is told, at most once a second, to slow down.
   */
  async #throttleInput(): Promise<void> {
    while (this.#closing === undefined && !this.#bucket.take()) {
      if (this.#slowDownNotices.shouldNotify()) {
        this.send({
          type: "error",
          code: "rate_limited",
          message: t(this.lang, "rateLimited"),
        });
      }
      const wait = Math.max(10, Math.min(1000, this.#bucket.retryAfterMs));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#wake = undefined;
          resolve();
        }, wait);
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
      });
    }
  }

  async #handleCommand(command: Command): Promise<void> {
    const server = this.#server;
    const auth = server.auth;
    const lang = this.lang;
    switch (command.type) {
      case "register": {
        if (this.#refuseWhenLoggedIn()) return;
        const result = await auth.register(
          command.username,
          command.password,
          this.address,
        );
        if (result.ok) {
          this.send({ type: "register_success" });
          this.send({ type: "recovery_code", code: result.recoveryCode });
          server.logSecurity("register", result.username, this.remote);
        } else {
          // A registration window is at most a minute: say the seconds.
          this.send({
            type: "register_failure",
            message: result.reason === "throttled"
              ? t(lang, "throttledSeconds", {
                seconds: Math.max(1, Math.ceil(result.retryAfterMs / 1000)),
              })
              : failureText(lang, result.reason, {
                min: result.minPasswordLength,
              }),
          });
        }
        return;
      }
      case "login":
      case "resume": {
        if (this.#refuseWhenLoggedIn()) return;
        const hooks: LoginHooks = {
          onTerminate: (reason) => this.#terminated(reason),
          // Stored in the login's own transaction: one commit per login.
          issueResumeToken: true,
        };
        const result = command.type === "login"
          ? await auth.login(
            command.username,
            command.password,
            this.address,
            hooks,
          )
          : await auth.resume(
            command.username,
            command.token,
            this.address,
            hooks,
          );
        if (!result.ok) return this.#authFailed(command.username, result);
        await this.#enterChat(result.session, result.resumeToken);
        return;
      }
      case "reset_request": {
        if (this.#refuseWhenLoggedIn()) return;
        await auth.requestReset(command.username, this.address);
        this.send({
          type: "reset_requested",
          message: t(lang, "resetRequested"),
        });
        return;
      }
      case "reset_confirm": {
        if (this.#refuseWhenLoggedIn()) return;
        const result = await auth.confirmReset(
          command.token,
          command.newPassword,
          this.address,
        );
        if (result.ok) {
          this.send({ type: "reset_success" });
          if (result.newRecoveryCode !== undefined) {
            this.send({ type: "recovery_code", code: result.newRecoveryCode });
          }
          server.logSecurity("reset_confirmed", result.username, this.remote);
        } else {
          this.send({
            type: "reset_failure",
            message: failureText(lang, result.reason, {
              min: result.minPasswordLength,
              minutes: 15,
            }),
          });
        }
        return;
      }
      case "delete_account": {
        // Logged in, only one's own account (the client's /delete-account);
        // another account's name is refused as the state table says.
        const own = normalizeUsername(command.username);
        if (
          this.#session !== undefined &&
          (!own.ok || own.key !== this.#session.usernameKey) &&
          this.#refuseWhenLoggedIn()
        ) return;
        const wasLoggedIn = this.#session !== undefined;
        this.#deletingOwnAccount = true;
        let result;
        try {
          result = await auth.deleteAccount(
            command.username,
            command.password,
            this.address,
          );
        } finally {
          this.#deletingOwnAccount = false;
        }
        if (result.ok) {
          // If it was our own account, #terminated already took us out of
          // the chat: the connection is unauthenticated again.
          this.send({ type: "delete_success" });
          server.logSecurity("account_deleted", result.username, this.remote);
          if (wasLoggedIn && this.#session === undefined) {
            this.#restartLoginDeadline();
          }
        } else {
          this.send({
            type: "delete_failure",
            message: failureText(lang, result.reason, { minutes: 15 }),
          });
        }
        return;
      }
      case "change_password": {
        const session = this.#session;
        if (session === undefined) return this.#notLoggedIn();
        const result = await auth.changePassword(
          session,
          command.oldPassword,
          command.newPassword,
        );
        if (result.ok) {
          this.send({ type: "password_success" });
          // The change voided the old resume token.
          await this.#sendResumeToken();
          server.logSecurity("password_changed", session.username, this.remote);
        } else {
          this.send({
            type: "password_failure",
            // Logged in already: only the current password can be wrong.
            message: result.reason === "invalid_credentials"
              ? t(lang, "currentPasswordWrong")
              : failureText(lang, result.reason, {
                min: result.minPasswordLength,
                minutes: 15,
              }),
          });
        }
        return;
      }
      case "logout": {
        if (this.#session === undefined) return this.#notLoggedIn();
        await this.#leaveChat({ explicit: true });
        this.send({ type: "logout_success" });
        this.#restartLoginDeadline();
        return;
      }
      case "ping":
        if (this.#session === undefined) this.#extendLoginDeadline();
        this.send({ type: "pong", token: command.token });
        return;
      case "pong":
        return;
      case "lang":
        return this.#setLang(command.lang);
      default: {
        // Rooms, private messages, history, moderation, profiles.
        if (this.#session === undefined) return this.#notLoggedIn();
        if (command.type === "msg") return this.#chat(command.text);
        if (command.type === "cert") return this.#sendCertificate();
        await server.chat.handle(this, command);
        return;
      }
    }
  }

  #chat(text: string): void {
    const session = this.#session;
    if (session === undefined) return this.#notLoggedIn();
    const server = this.#server;
    // A refused message (muted) was not sent: the console does not show it.
    const sent = server.chat.say(this, text);
    if (sent && server.logMessages) {
      server.logLine(`${session.username}: ${text}`);
    }
  }

  /**
   * Enters the chat after a login or resume. `resumeToken` is the token
   * issued with the login; without one, a fresh token is issued here.
   */
  async #enterChat(
    session: LiveSession,
    resumeToken: string | undefined,
  ): Promise<void> {
    const server = this.#server;
    if (this.#closing !== undefined) {
      // The peer left while its credentials were being checked.
      await server.auth.logout(session);
      return;
    }
    this.#session = session;
    this.#lastHeardAt = server.clock.now();
    this.#pingSentAt = undefined;
    this.send({ type: "auth_success", username: session.username });
    this.send({
      type: "welcome",
      // Counting this member, who enters the chat just below.
      onlineCount: server.chat.onlineCount + 1,
      username: session.username,
    });
    server.logLine(
      t(server.lang, "logClientConnected", {
        username: session.username,
        address: this.remote,
      }),
    );
    if (resumeToken === undefined) {
      await this.#sendResumeToken();
      if (this.#session !== session) return;
    } else {
      this.#resumeIssuedAt = server.clock.now();
      this.send({ type: "resume_token", token: resumeToken });
    }
    // JOINED 大厅, its history, waiting private messages; USER_JOINED to the room.
    await server.chat.enter(this);
  }

  /**
   * Issues and sends a fresh resume token, so that a dropped connection can
   * log back in without the password; rotated every few minutes.
   */
  async #sendResumeToken(): Promise<void> {
    const session = this.#session;
    if (session === undefined) return;
    this.#resumeIssuedAt = this.#server.clock.now();
    const token = await this.#server.auth.issueResumeToken(session);
    if (this.#session === session) this.send({ type: "resume_token", token });
  }

  /** Leaves the chat (if in it): tells the others and frees the account's session. */
  async #leaveChat(options: { explicit?: boolean } = {}): Promise<void> {
    const session = this.#session;
    if (session === undefined) return;
    const server = this.#server;
    // Out of the hub while the member still has its name.
    server.chat.exit(this);
    this.#session = undefined;
    server.logLine(
      t(server.lang, "logClientDisconnected", {
        username: session.username,
        count: server.chat.onlineCount,
      }),
    );
    // The session is already gone from memory; a failed write of last-seen
    // and audit (a locked or broken database) must not stop the way out.
    try {
      await server.auth.logout(session, options);
    } catch (error) {
      server.logLine(
        `[error] logout of ${session.username} (${this.remote}): ${
          String(error)
        }`,
      );
    }
  }

  /** Back at the login menu: the connection has the login time limit again. */
  #restartLoginDeadline(): void {
    const now = this.#server.clock.now();
    this.#loginSince = now;
    this.#loginCapped = false;
    this.#loginDeadline = now + (this.#server.options.loginTimeoutMs ?? 60_000);
  }

  /**
   * A keep-alive `PING` at the login menu: the full login time from now,
   * up to {@linkcode LOGIN_KEEPALIVE_CAP_MS}.
   */
  #extendLoginDeadline(): void {
    const now = this.#server.clock.now();
    const wanted = now + (this.#server.options.loginTimeoutMs ?? 60_000);
    const cap = this.#loginSince + LOGIN_KEEPALIVE_CAP_MS;
    if (wanted <= this.#loginDeadline) return;
    this.#loginCapped = wanted >= cap;
    this.#loginDeadline = Math.max(this.#loginDeadline, Math.min(wanted, cap));
  }

  /** The account's session was ended by a reset, a deletion or a resume elsewhere. */
  #terminated(reason: SessionEndReason): void {
    const session = this.#session;
    if (session === undefined) return;
    // The manager already released the session; only the chat side remains.
    const server = this.#server;
    server.chat.exit(this);
    this.#session = undefined;
    server.logLine(
      t(server.lang, "logClientDisconnected", {
        username: session.username,
        count: server.chat.onlineCount,
      }),
    );
    if (this.#closing !== undefined) return;
    if (reason === "account_deleted" && this.#deletingOwnAccount) return;
    const key: MessageKey = reason === "password_reset"
      ? "sessionPasswordReset"
      : reason === "session_resumed"
      ? "sessionResumed"
      : "sessionAccountDeleted";
    void this.close(reason, t(this.lang, key));
  }

  /** `--require-tls` and this is the plain port. */
  get #plainRestricted(): boolean {
    return !this.secure && this.#server.options.requireTls === true &&
      this.#server.tlsAddr !== undefined;
  }

  #sendCertificate(): void {
    const server = this.#server;
    if (server.tlsAddr === undefined || server.certificateDer === undefined) {
      this.send({
        type: "error",
        code: "no_tls",
        message: t(this.lang, "noTls"),
      });
      return;
    }
    this.send({
      type: "cert",
      port: server.tlsAddr.port,
      der: server.certificateDer,
    });
  }

  /** `AUTH_FAILURE` for a refused LOGIN or RESUME, logged unless a duplicate. */
  #authFailed(
    username: string,
    result: { reason: string; retryAfterMs?: number },
  ): void {
    this.send({
      type: "auth_failure",
      message: failureText(this.lang, result.reason, {
        minutes: Math.max(1, Math.ceil((result.retryAfterMs ?? 0) / 60_000)),
      }),
    });
    if (result.reason !== "already_logged_in") {
      this.#server.logSecurity(
        "login_failure",
        username,
        this.remote,
        result.reason,
      );
    }
  }

  #refuseWhenLoggedIn(): boolean {
    if (this.#session === undefined) return false;
    this.send({
      type: "error",
      code: "already_logged_in",
      message: t(this.lang, "alreadyAuthenticated"),
    });
    return true;
  }

  #notLoggedIn(): void {
    this.send({
      type: "error",
      code: "not_logged_in",
      message: t(this.lang, "notLoggedIn"),
    });
  }
}

/** The console's sentence for each security event code. */
const SECURITY_EVENT_KEYS: Record<string, MessageKey> = {
  "register": "securityRegister",
  "login_failure": "securityLoginFailure",
  "reset_confirmed": "securityResetConfirmed",
  "account_deleted": "securityAccountDeleted",
  "password_changed": "securityPasswordChanged",
};

/** The console's words for the reason codes of security events. */
const SECURITY_REASON_KEYS: Record<string, MessageKey> = {
  "invalid_credentials": "securityReasonInvalidCredentials",
  "throttled": "securityReasonThrottled",
};

/**
 * The message of `ERROR` for a malformed command. The parser's reasons are
 * English; in another language the reply says what kind of problem it is
 * and shows the usage, which is the same in every language.
 */
function invalidText(lang: Lang, invalid: InvalidCommand): string {
  const key: MessageKey = invalid.code === "empty_message"
    ? "invalidEmptyText"
    : invalid.code === "message_too_long"
    ? "invalidLongText"
    : "invalidCommandUsage";
  return t(lang, key, {
    reason: invalid.reason,
    usage: commandUsage(invalid.verb) ?? invalid.verb,
  });
}

const FAILURE_KEYS: Record<string, MessageKey> = {
  "invalid_username": "invalidUsername",
  "reserved_username": "reservedUsername",
  "confusable_username": "confusableUsername",
  "username_taken": "usernameTaken",
  "password_too_short": "passwordTooShort",
  "password_too_long": "passwordTooLong",
  "invalid_credentials": "invalidCredentials",
  "throttled": "throttled",
  "already_logged_in": "alreadyLoggedIn",
  "invalid_token": "invalidToken",
  "not_logged_in": "notLoggedIn",
};

function failureText(
  lang: Lang,
  reason: string,
  params: MessageParams,
): string {
  const key = FAILURE_KEYS[reason];
  return key === undefined ? reason : t(lang, key, params);
}

const encoder = new TextEncoder();

function encode(line: string): Uint8Array {
  return encoder.encode(`${line}\n`);
}

/** An accepted connection, with the real client address. */
interface Accepted {
  conn: Deno.Conn;
  remote: Deno.NetAddr;
  /** Hangs up the public socket of a TLS connection at once. */
  abort?: () => void;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** Writes a one-line refusal without waiting on the peer, then closes. */
function refuse(conn: Deno.Conn, line: string): void {
  const done = () => {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  Promise.race([
    conn.write(encode(line)),
    new Promise((resolve) => timer = setTimeout(resolve, BYE_FLUSH_MS)),
  ]).catch(() => {}).finally(() => {
    clearTimeout(timer);
    done();
  });
}
