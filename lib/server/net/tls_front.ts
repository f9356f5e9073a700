/**
 * A TLS front that keeps the public socket under our control.
 *
 * A server-side `Deno.TlsConn` whose peer never sends a ClientHello cannot be
 * closed: `conn.close()` interrupts pending reads and writes, but Deno waits
 * for the handshake before it shuts the socket down (denoland/deno#14547), so
 * the peer never sees EOF and the file descriptor lingers. {@linkcode TlsFront}
 * therefore accepts the public connection as plain TCP and relays its bytes
 * to an internal `Deno.listenTls` listener on 127.0.0.1. Closing the public
 * socket (and the internal client socket) through
 * {@linkcode FrontConn.abort} ends the connection at once, handshake or not;
 * the internal TLS connection then reads EOF and frees itself.
 *
 * Each accepted internal `TlsConn` is matched to its public connection by
 * address: the internal client's `localAddr` equals the accepted TLS
 * connection's `remoteAddr`.
 *
 * @module
 */

import { isPeerGoneError } from "../../shared/outbound_queue.ts";

/** Size of each of the two relay buffers per connection, in bytes. */
const RELAY_BUFFER_SIZE = 4096;
/** How long one half of a pair waits for its counterpart before it is dropped. */
const MATCH_TIMEOUT_MS = 10_000;
/** Back-off after a failed accept (e.g. out of file descriptors). */
const ACCEPT_BACKOFF_MS = 100;
/** The internal TLS listener is reachable from this machine only. */
const INTERNAL_HOSTNAME = "127.0.0.1";

type Timer = ReturnType<typeof setTimeout>;

/** Options for {@linkcode TlsFront.listen}. */
export interface TlsFrontOptions {
  /** Address of the public listener, e.g. `"0.0.0.0"` or `"127.0.0.1"`. */
  hostname: string;
  /** Port of the public listener; `0` picks a free one. */
  port: number;
  /** Server certificate chain, PEM. */
  certPem: string;
  /** Private key of the certificate, PEM. */
  keyPem: string;
  /**
   * Called with unexpected errors (anything but a peer going away) from the
   * accept loops and relays. The front carries on after each.
   * @default {() => {}}
   */
  onError?: (error: unknown) => void;
}

/**
 * One TLS client accepted by a {@linkcode TlsFront}.
 *
 * When done with it, call both `conn.close()` and `abort()` (in either
 * order): `abort()` is what makes the peer see the connection end when the
 * TLS handshake never completed.
 */
export interface FrontConn {
  /** The server side of the TLS connection: read and write the protocol here. */
  readonly conn: Deno.TlsConn;
  /** The real client address, from the public socket. */
  readonly remoteAddr: Deno.NetAddr;
  /**
   * Resolves once the relay has stopped and both of its sockets are closed.
   * Never rejects.
   */
  readonly closed: Promise<void>;
  /**
   * Closes the public socket and the internal client socket at once, so the
   * peer sees EOF (or a reset) immediately and `conn` reads EOF or fails its
   * handshake. Idempotent.
   */
  abort(): void;
}

/**
 * A public TCP listener that terminates TLS through an internal
 * `Deno.listenTls` listener, so that every client can be closed at once,
 * even one that never sends a ClientHello.
 *
 * @example Serve one TLS client
 * ```ts ignore
 * await using front = TlsFront.listen({ hostname: "0.0.0.0", port: 5001, certPem, keyPem });
 * const client = await front.accept();
 * try {
 *   await client.conn.write(new TextEncoder().encode("hello\n"));
 * } finally {
 *   client.abort();
 *   client.conn.close();
 * }
 * ```
 */
export class TlsFront implements AsyncDisposable {
  /** The public address; with port `0`, the port picked. */
  readonly addr: Deno.NetAddr;

  #public: Deno.TcpListener;
  #internal: Deno.TlsListener;
  #internalAddr: Deno.NetAddr;
  #onError: (error: unknown) => void;
  #closed = false;

  /** Matched connections not yet taken by `accept()`. */
  #ready: FrontConn[] = [];
  #waiters: {
    resolve: (conn: FrontConn) => void;
    reject: (error: unknown) => void;
  }[] = [];
  /** Relays whose internal TLS connection has not been accepted yet. */
  #pendingRelays = new Map<string, { relay: Relay; timer: Timer }>();
  /** Internal TLS connections whose relay is not connected yet. */
  #pendingTls = new Map<string, { conn: Deno.TlsConn; timer: Timer }>();
  /** Every relay whose sockets are not both closed yet. */
  #relays = new Set<Relay>();
  /** Accept loops and connection set-ups still running. */
  #tasks = new Set<Promise<void>>();
  #backoffs = new Set<{ timer: Timer | undefined; resolve: () => void }>();

  private constructor(
    publicListener: Deno.TcpListener,
    internalListener: Deno.TlsListener,
    onError: (error: unknown) => void,
  ) {
    this.#public = publicListener;
    this.#internal = internalListener;
    this.addr = publicListener.addr;
    this.#internalAddr = internalListener.addr;
    this.#onError = onError;
    this.#track(this.#acceptPublic());
    this.#track(this.#acceptInternal());
  }

  /**
   * Starts listening on `hostname:port` (plain TCP) and on an internal TLS
   * listener on 127.0.0.1 with a free port.
   *
   * @throws {Deno.errors.AddrInUse} If the public port is taken; nothing is
   * left listening then. Errors about `certPem` or `keyPem` likewise.
   */
  static listen(options: TlsFrontOptions): TlsFront {
    const publicListener = Deno.listen({
      hostname: options.hostname,
      port: options.port,
      transport: "tcp",
    });
    let internalListener: Deno.TlsListener;
    try {
      internalListener = Deno.listenTls({
        hostname: INTERNAL_HOSTNAME,
        port: 0,
        cert: options.certPem,
        key: options.keyPem,
      });
    } catch (error) {
      publicListener.close();
      throw error;
    }
    return new TlsFront(
      publicListener,
      internalListener,
      options.onError ?? (() => {}),
    );
  }

  /**
   * Waits for the next TLS client. The TLS handshake has not happened yet;
   * it runs on the first `read()`, `write()` or `handshake()` of `conn`.
   *
   * @throws {Deno.errors.BadResource} Once the front is closed, like a
   * closed listener.
   */
  accept(): Promise<FrontConn> {
    const next = this.#ready.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.#closed) return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
    });
  }

  /** Yields accepted clients until the front is closed. */
  async *[Symbol.asyncIterator](): AsyncIterableIterator<FrontConn> {
    while (true) {
      try {
        yield await this.accept();
      } catch (error) {
        if (error instanceof Deno.errors.BadResource) return;
        throw error;
      }
    }
  }

  /**
   * Closes both listeners and every relay, including those of clients
   * already accepted (their `conn` then reads EOF; the caller still closes
   * it). Pending `accept()` calls reject with `BadResource`. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#public);
    closeQuietly(this.#internal);
    for (const backoff of this.#backoffs) {
      clearTimeout(backoff.timer);
      backoff.resolve();
    }
    this.#backoffs.clear();
    for (const waiter of this.#waiters.splice(0)) waiter.reject(closedError());
    for (const front of this.#ready.splice(0)) {
      front.abort();
      closeQuietly(front.conn);
    }
    for (const { relay, timer } of this.#pendingRelays.values()) {
      clearTimeout(timer);
      relay.abort();
    }
    this.#pendingRelays.clear();
    for (const { conn, timer } of this.#pendingTls.values()) {
      clearTimeout(timer);
      closeQuietly(conn);
    }
    this.#pendingTls.clear();
    for (const relay of this.#relays) relay.abort();
  }

  /** Closes the front and waits until its loops and relays have stopped. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
    await Promise.all([...this.#relays].map((relay) => relay.closed));
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.then(
      () => this.#tasks.delete(task),
      // The tasks catch their own errors; this is a last line of defence
      // against an unhandled rejection.
      (error) => {
        this.#tasks.delete(task);
        this.#onError(error);
      },
    );
  }

  /**
   * One accept: the connection, `retry` after a passing failure, or `stop`
   * once the front is closed.
   */
  async #acceptOne<C extends Deno.Conn>(
    listener: Deno.Listener<C>,
  ): Promise<C | "retry" | "stop"> {
    let conn: C;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (this.#closed || error instanceof Deno.errors.BadResource) {
        return "stop";
      }
      // A client that left before its accept is no reason to slow down;
      // anything else (e.g. out of descriptors) is, so as not to spin.
      if (isPeerGoneError(error)) return "retry";
      this.#onError(error);
      await this.#backoff();
      return "retry";
    }
    if (this.#closed) {
      closeQuietly(conn);
      return "stop";
    }
    return conn;
  }

  async #acceptPublic(): Promise<void> {
    while (!this.#closed) {
      const socket = await this.#acceptOne(this.#public);
      if (socket === "stop") return;
      if (socket === "retry") continue;
      this.#track(this.#connectRelay(socket));
    }
  }

  async #connectRelay(socket: Deno.TcpConn): Promise<void> {
    let inner: Deno.TcpConn;
    try {
      inner = await Deno.connect({
        hostname: this.#internalAddr.hostname,
        port: this.#internalAddr.port,
        transport: "tcp",
      });
    } catch (error) {
      closeQuietly(socket);
      if (!this.#closed) this.#onError(error);
      return;
    }
    if (this.#closed) {
      closeQuietly(socket);
      closeQuietly(inner);
      return;
    }
    // The relay forwards whole TLS records as they come; Nagle would only
    // add latency on the extra hop.
    setNoDelay(socket);
    setNoDelay(inner);
    const relay = new Relay(socket, inner, this.#onError);
    this.#relays.add(relay);
    relay.closed.then(() => this.#relays.delete(relay));

    const key = addrKey(inner.localAddr);
    const waiting = this.#pendingTls.get(key);
    if (waiting !== undefined) {
      clearTimeout(waiting.timer);
      this.#pendingTls.delete(key);
      this.#deliver(waiting.conn, relay);
      return;
    }
    const timer = setTimeout(() => {
      if (this.#pendingRelays.get(key)?.relay !== relay) return;
      this.#pendingRelays.delete(key);
      relay.abort();
    }, MATCH_TIMEOUT_MS);
    this.#pendingRelays.set(key, { relay, timer });
  }

  async #acceptInternal(): Promise<void> {
    while (!this.#closed) {
      const conn = await this.#acceptOne(this.#internal);
      if (conn === "stop") return;
      if (conn === "retry") continue;
      const key = addrKey(conn.remoteAddr);
      const waiting = this.#pendingRelays.get(key);
      if (waiting !== undefined) {
        clearTimeout(waiting.timer);
        this.#pendingRelays.delete(key);
        this.#deliver(conn, waiting.relay);
        continue;
      }
      // A second connection from the same address means the first one has
      // gone (or came from someone else on this machine): keep the newest.
      const stale = this.#pendingTls.get(key);
      if (stale !== undefined) {
        clearTimeout(stale.timer);
        closeQuietly(stale.conn);
      }
      const timer = setTimeout(() => {
        if (this.#pendingTls.get(key)?.conn !== conn) return;
        this.#pendingTls.delete(key);
        closeQuietly(conn);
      }, MATCH_TIMEOUT_MS);
      this.#pendingTls.set(key, { conn, timer });
    }
  }

  #deliver(conn: Deno.TlsConn, relay: Relay): void {
    if (relay.aborted) {
      // The client left before the pair was matched. With the internal
      // client socket closed, this connection reads EOF and frees itself.
      closeQuietly(conn);
      return;
    }
    const front: FrontConn = {
      conn,
      remoteAddr: relay.remoteAddr,
      closed: relay.closed,
      abort: () => relay.abort(),
    };
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter.resolve(front);
    else this.#ready.push(front);
  }

  #backoff(): Promise<void> {
    return new Promise((resolve) => {
      const backoff: { timer: Timer | undefined; resolve: () => void } = {
        timer: undefined,
        resolve,
      };
      backoff.timer = setTimeout(() => {
        this.#backoffs.delete(backoff);
        resolve();
      }, ACCEPT_BACKOFF_MS);
      this.#backoffs.add(backoff);
    });
  }
}

/** Copies bytes both ways between the public socket and the internal client. */
class Relay {
  readonly remoteAddr: Deno.NetAddr;
  readonly closed: Promise<void>;
  #socket: Deno.TcpConn;
  #inner: Deno.TcpConn;
  #onError: (error: unknown) => void;
  #aborted = false;

  constructor(
    socket: Deno.TcpConn,
    inner: Deno.TcpConn,
    onError: (error: unknown) => void,
  ) {
    this.remoteAddr = socket.remoteAddr;
    this.#socket = socket;
    this.#inner = inner;
    this.#onError = onError;
    this.closed = Promise.all([
      this.#pump(socket, inner),
      this.#pump(inner, socket),
    ]).then(() => {});
  }

  get aborted(): boolean {
    return this.#aborted;
  }

  abort(): void {
    if (this.#aborted) return;
    this.#aborted = true;
    closeQuietly(this.#socket);
    closeQuietly(this.#inner);
  }

  async #pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(RELAY_BUFFER_SIZE);
    try {
      while (true) {
        const n = await from.read(buf);
        if (n === null) return;
        let written = 0;
        while (written < n) {
          written += await to.write(buf.subarray(written, n));
        }
      }
    } catch (error) {
      // After abort() every pending read and write fails; that is the
      // expected way out, as is any peer going away.
      if (!this.#aborted && !isPeerGoneError(error)) this.#onError(error);
    } finally {
      // Either side ending ends the pair: a chat connection is not
      // half-closed, and the other loop must not wait forever.
      this.abort();
    }
  }
}

function addrKey(addr: Deno.NetAddr): string {
  return `${addr.hostname} ${addr.port}`;
}

function closeQuietly(resource: { close(): void }): void {
  try {
    resource.close();
  } catch {
    // Already closed.
  }
}

function setNoDelay(conn: Deno.TcpConn): void {
  try {
    conn.setNoDelay(true);
  } catch {
    // The peer may already have gone; the relay finds out on its own.
  }
}

function closedError(): Deno.errors.BadResource {
  return new Deno.errors.BadResource("Cannot accept: TLS front is closed");
}
