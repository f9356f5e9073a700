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

import { ticksSettled } from "../../shared/outbound_queue.ts";
import { AuthManager } from "../auth/auth_manager.ts";
import { type Clock, SYSTEM_CLOCK } from "../../shared/clock.ts";
import { ConnectionLimits } from "./connection_limits.ts";
import { type Lang, type MessageKey, t } from "../../shared/messages.ts";
import { type ChatMember, ChatService } from "../chat/chat_service.ts";
import { MAX_LINE_BYTES, pemToDer } from "../../protocol/protocol.ts";
import type { RegisterThrottleOptions } from "../auth/register_throttle.ts";
import { TlsFront } from "./tls_front.ts";
import type { ChatCoreStore } from "../../store/store.ts";
import { formatClockTime } from "../../shared/time_format.ts";
import { LocalSessionRegistry } from "../registry/session_registry.ts";
import type { PeerInfo, SessionLimits } from "../session/session.ts";
import {
  closeQuietly,
  NativeConnection,
  type NativeHost,
  refuse,
} from "../adapters/native/native_connection.ts";
import { NativeFanout } from "../adapters/native/native_fanout.ts";
import { WebSocketConnection } from "../adapters/websocket/websocket_connection.ts";
import { startWebListener, type WebListener } from "./web_listener.ts";
import type { FileSharingLimits } from "../chat/file_shares.ts";
import { FileVault } from "../files/file_vault.ts";
import { FileTickets } from "../files/file_tickets.ts";
import { FileTransfers } from "../files/file_transfers.ts";
import { AvatarHttp } from "../files/avatar_http.ts";

export { LOGIN_KEEPALIVE_CAP_MS } from "../session/session.ts";

/** The store contracts the server needs, and closing it at the end. */
export type ServerStore = ChatCoreStore & {
  close(): void;
};

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
  /**
   * Serve the browser page and its WebSocket (`/ws`) on this HTTP port (0
   * picks a free one); HTTPS with `tls`'s certificate when TLS is on.
   * @default {undefined}
   */
  webPort?: number;
  /**
   * Share files: their bytes in `dir`, moved over the web port (so only
   * with `webPort`). Without it, `FILE_SEND` and the rest answer
   * `ERROR files_disabled`.
   * @default {undefined}
   */
  files?: FileSharingOptions;
}

/** Where shared files are kept, and their limits. */
export interface FileSharingOptions extends FileSharingLimits {
  /** The folder of their bytes (created if missing). */
  dir: string;
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
  /** The web listener's address, when it is on. */
  readonly webAddr: Deno.NetAddr | undefined;
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
  const limits = new ConnectionLimits({
    maxClients: options.maxClients ?? 10_000,
    maxPerAddress: options.maxPerAddress ?? 16,
    exemptLoopback: options.exemptLoopback ?? true,
  });
  // Assigned once below; the web listener's callback reads it later.
  // deno-lint-ignore prefer-const
  let server: Server | undefined;
  let web: WebListener | undefined;
  if (options.webPort !== undefined) {
    try {
      web = startWebListener({
        hostname,
        port: options.webPort,
        tls: options.tls === undefined ? undefined : {
          certPem: options.tls.certPem,
          keyPem: options.tls.keyPem,
        },
        limits,
        // Upgrades only arrive once the server below exists.
        accept: (socket, remote, release) =>
          server!.admitWebSocket(socket, remote, release),
        files: options.files === undefined
          ? undefined
          : (request) => server!.transferFile(request),
        avatars: (request) => server!.avatarRequest(request),
        onError: (error) => server?.logLine(`[error] web: ${String(error)}`),
      });
    } catch (error) {
      listener.close();
      tlsListener?.close();
      throw new ListenError("web", options.webPort, error);
    }
  }
  server = new Server(listener, tlsListener, web, limits, options);
  return server;
}

/**
 * A listener that could not be opened, naming which one (the plain port or
 * the TLS port) and the port asked for, so the operator learns which flag to
 * change. The system's error is the `cause`.
 */
export class ListenError extends Error {
  /** Which listener failed: `plain` (`--port`) or `tls` (`--tls-port`). */
  readonly listener: "plain" | "tls" | "web";
  /** The port that was asked for. */
  readonly port: number;
  constructor(
    listener: "plain" | "tls" | "web",
    port: number,
    cause: unknown,
  ) {
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

class Server implements ChatServer, NativeHost {
  readonly addr: Deno.NetAddr;
  readonly finished: Promise<void>;
  readonly auth: AuthManager;
  readonly lang: Lang;
  readonly clock: Clock;
  readonly options: ChatServerOptions;
  readonly limits: SessionLimits;
  readonly maxQueueBytes: number;
  readonly stallTimeoutMs: number;
  readonly requireTls: boolean;
  readonly maxFileBytes: number | undefined;
  readonly connections = new Set<NativeConnection | WebSocketConnection>();
  #web: WebListener | undefined;
  readonly webAddr: Deno.NetAddr | undefined;
  /** Rooms, messages, history and moderation for logged-in members. */
  readonly chat: ChatService;
  #connectionLimits: ConnectionLimits;
  /** The native protocol's delivery of chat events. */
  #native: NativeFanout;
  #listener: Deno.Listener;
  #tlsListener: TlsFront | undefined;
  readonly tlsAddr: Deno.NetAddr | undefined;
  /** The TLS port and certificate (base64 DER), for `CERT` and `HELLO`. */
  readonly tls: { readonly port: number; readonly der: string } | undefined;
  #store: ServerStore;
  #transfers: FileTransfers | undefined;
  #avatars: AvatarHttp | undefined;
  #log: (line: string) => void;
  #sweepTimer: ReturnType<typeof setInterval> | undefined;
  #stopping: Promise<void> | undefined;
  #acceptLoop: Promise<void>;
  #acceptErrorLogged = false;

  constructor(
    listener: Deno.Listener,
    tlsListener: TlsFront | undefined,
    web: WebListener | undefined,
    limits: ConnectionLimits,
    options: ChatServerOptions,
  ) {
    this.#web = web;
    this.webAddr = web?.addr;
    this.#listener = listener;
    this.#tlsListener = tlsListener;
    this.addr = listener.addr as Deno.NetAddr;
    this.tlsAddr = tlsListener?.addr;
    const der = options.tls === undefined
      ? undefined
      : pemToDer(options.tls.certPem);
    this.tls = this.tlsAddr === undefined || der === undefined
      ? undefined
      : { port: this.tlsAddr.port, der };
    this.requireTls = options.requireTls === true;
    // Announced only when sharing works: it needs the web port.
    this.maxFileBytes = web === undefined
      ? undefined
      : options.files?.maxFileBytes;
    this.limits = {
      maxLineBytes: options.maxLineBytes ?? MAX_LINE_BYTES,
      loginTimeoutMs: options.loginTimeoutMs ?? 60_000,
      pingIntervalMs: options.pingIntervalMs ?? 25_000,
      pingTimeoutMs: options.pingTimeoutMs ?? 30_000,
      rateBurst: options.rateBurst ?? 10,
      ratePerSecond: options.ratePerSecond ?? 5,
    };
    this.maxQueueBytes = options.maxQueueBytes ?? 1024 * 1024;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
    // Who is online: one registry for the account domain and the chat core.
    const registry = new LocalSessionRegistry<ChatMember>();
    this.options = options;
    this.#store = options.store;
    this.lang = options.lang ?? "zh";
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.#log = options.log ?? (() => {});
    this.#connectionLimits = limits;
    this.auth = new AuthManager({
      store: options.store,
      registry,
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
    const files = options.files !== undefined && web !== undefined
      ? {
        vault: new FileVault(options.files.dir),
        tickets: new FileTickets(this.clock),
        limits: options.files,
        port: () => web.addr.port,
      }
      : undefined;
    files?.vault.openSync();
    const avatarTickets = web === undefined
      ? undefined
      : new FileTickets(this.clock);
    this.chat = new ChatService({
      store: options.store,
      registry,
      clock: this.clock,
      lang: this.lang,
      historyDays: options.historyDays,
      auditDays: options.auditDays,
      log: (line) => this.logLine(line),
      files,
      avatarUploads: avatarTickets && web && {
        tickets: avatarTickets,
        port: () => web.addr.port,
      },
    });
    if (avatarTickets !== undefined) {
      this.#avatars = new AvatarHttp({
        store: options.store,
        tickets: avatarTickets,
        isLive: (holder) => this.chat.isLive(holder),
        onStored: (holder, version) => this.chat.avatarStored(holder, version),
      });
    }
    if (files !== undefined) {
      this.#transfers = new FileTransfers({
        store: options.store,
        vault: files.vault,
        tickets: files.tickets,
        clock: this.clock,
        isLive: (holder) => this.chat.isLive(holder),
        minFreeBytes: options.files!.minFreeBytes,
        onUploaded: (file, holder) => this.chat.fileUploaded(file, holder),
        log: (line) => this.logLine(line),
      });
    }
    this.#native = new NativeFanout(this.chat);
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

  /** Answers an HTTP request for an avatar picture (web port). */
  avatarRequest(request: Request): Promise<Response> {
    return this.#avatars!.handle(request);
  }

  /** Answers an HTTP request for a file transfer (web port, `/files/`). */
  transferFile(request: Request): Promise<Response> {
    return this.#transfers!.handle(request);
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
    // Browsers first hear BYE shutdown on their sockets: the HTTP server's
    // own shutdown would cut upgraded sockets without a word.
    await Promise.all(
      [...this.connections].map((connection) =>
        connection.close("shutdown", t(connection.session.lang, "shutdown"))
      ),
    );
    await this.#web?.shutdown().catch(() => {});
    await this.chat.close().catch((error) =>
      this.logLine(`[error] final history write: ${String(error)}`)
    );
    this.#native.close();
    this.#store.close();
    // A closed queue may still wait on a pacing tick (10 ms at most).
    await ticksSettled();
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

  /** A WebSocket upgraded by the web listener, its slot already taken. */
  admitWebSocket(
    socket: WebSocket,
    remote: Deno.NetAddr,
    release: () => void,
  ): void {
    const connection = new WebSocketConnection(this, {
      adapter: this.#native,
      socket,
      peer: peerOf(remote, false),
      release,
    });
    this.connections.add(connection);
    connection.finished.then(() => this.connections.delete(connection));
    // An upgrade that raced the shutdown is told so at once.
    if (this.#stopping !== undefined) {
      void connection.close("shutdown", t(connection.session.lang, "shutdown"));
    }
  }

  #admit(accepted: Accepted, secure: boolean): void {
    const { conn, remote, abort } = accepted;
    const slot = this.#connectionLimits.tryAcquire(remote.hostname);
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
        refuse(conn, { type: "bye", code: slot.reason, message });
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
    const peer = peerOf(remote, secure);
    const connection = new NativeConnection(this, {
      adapter: this.#native,
      conn,
      peer,
      release,
    });
    this.connections.add(connection);
    connection.run().catch((error) => {
      this.logLine(`[error] connection ${peer.remote}: ${String(error)}`);
    }).finally(() => this.connections.delete(connection));
  }
}

/** The console's sentence for each security event code. */
const SECURITY_EVENT_KEYS: Record<string, MessageKey> = {
  "register": "securityRegister",
  "register_throttled": "securityRegisterThrottled",
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

/** Where a connection came from, for the session. */
function peerOf(remote: Deno.NetAddr, secure: boolean): PeerInfo {
  return {
    address: remote.hostname,
    remote: remote.hostname.includes(":")
      ? `[${remote.hostname}]:${remote.port}`
      : `${remote.hostname}:${remote.port}`,
    secure,
  };
}

/** An accepted connection, with the real client address. */
interface Accepted {
  conn: Deno.Conn;
  remote: Deno.NetAddr;
  /** Hangs up the public socket of a TLS connection at once. */
  abort?: () => void;
}
