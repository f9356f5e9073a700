/**
 * One TCP (or TLS) connection of the native line protocol: reads and frames
 * lines for its {@linkcode Session}, writes replies and events through a
 * bounded outbound queue, and closes once, with a `BYE` when there is a
 * reason. All protocol state is the session's; this is the transport.
 *
 * @module
 */

import { FramingError, LineFramer } from "../../../protocol/line_framer.ts";
import {
  formatReply,
  PROTOCOL_VERSION,
  type Reply,
} from "../../../protocol/protocol.ts";
import {
  isPeerGoneError,
  OutboundQueue,
} from "../../../shared/outbound_queue.ts";
import { VERSION } from "../../../shared/version.ts";
import {
  type PeerInfo,
  Session,
  type SessionHost,
  type SessionSink,
} from "../../session/session.ts";
import { encodeReply } from "./native_encoding.ts";

/** How long a goodbye line may take to leave before the socket is closed anyway. */
export const BYE_FLUSH_MS = 1000;

/** What a native connection needs of its server besides the session host. */
export interface NativeHost extends SessionHost {
  /** Outbound queue bound per client in bytes. */
  readonly maxQueueBytes: number;
  /** A client whose queue has not moved for this long is dropped. */
  readonly stallTimeoutMs: number;
}

/** An accepted TCP or TLS connection and what goes with it. */
export interface AcceptedConnection {
  /** The native fan-out that delivers chat events to it. */
  adapter: object;
  conn: Deno.Conn;
  peer: PeerInfo;
  /** Gives the connection slot back once it is closed. */
  release: () => void;
}

/** One client connection of the native protocol. */
export class NativeConnection implements SessionSink {
  readonly adapter: object;
  readonly session: Session;
  #host: NativeHost;
  #conn: Deno.Conn;
  #release: () => void;
  #framer: LineFramer;
  #queue: OutboundQueue;
  #closing: Promise<void> | undefined;

  /**
   * Wraps an accepted connection; `release` gives its connection slot back
   * once it is closed. `adapter` is the native fan-out that delivers events.
   */
  constructor(host: NativeHost, accepted: AcceptedConnection) {
    const { adapter, conn, peer, release } = accepted;
    this.adapter = adapter;
    this.#host = host;
    this.#conn = conn;
    this.#release = release;
    this.#framer = new LineFramer({ maxLineBytes: host.limits.maxLineBytes });
    this.#queue = new OutboundQueue(conn, {
      clock: host.clock,
      maxBytes: host.maxQueueBytes,
      stallTimeoutMs: host.stallTimeoutMs,
      // A client too slow to read is dropped without a goodbye: its queue is
      // exactly what cannot take one more line.
      onOverflow: () => void this.close(),
      onError: (error) => {
        if (!isPeerGoneError(error)) {
          host.logLine(`[error] write to ${peer.remote}: ${String(error)}`);
        }
        void this.close();
      },
    });
    this.session = new Session(host, this, peer);
  }

  get closing(): boolean {
    return this.#closing !== undefined;
  }

  send(reply: Reply): void {
    this.#queue.push(encodeReply(reply));
  }

  deliver(bytes: Uint8Array): void {
    this.#queue.push(bytes);
  }

  end(code: string, message: string): void {
    void this.close(code, message);
  }

  async flushed(): Promise<boolean> {
    await this.#queue.flush();
    return !this.#queue.closed;
  }

  /** The server's sweep: a stalled queue, then the session's deadlines. */
  checkDeadlines(now: number): void {
    if (this.#closing !== undefined) return;
    if (this.#queue.checkStall()) return;
    this.session.checkDeadlines(now);
  }

  /** Greets, then reads until EOF, handing each line to the session in order. */
  async run(): Promise<void> {
    this.#queue.push(helloLine(this.#host, this.session.secure));
    // A small reused buffer: ~9 KB per idle connection instead of ~65 KB
    // through conn.readable (STYLE.md, section 4).
    const buffer = new Uint8Array(2048);
    const session = this.session;
    try {
      while (this.#closing === undefined) {
        let n: number | null;
        try {
          n = await this.#conn.read(buffer);
        } catch (error) {
          // On the TLS port, a failed handshake (plain text, a client that
          // distrusts the certificate) ends only this connection, quietly.
          const handshakeFailed = session.secure &&
            error instanceof Deno.errors.InvalidData;
          if (
            this.#closing === undefined && !isPeerGoneError(error) &&
            !handshakeFailed
          ) {
            this.#host.logLine(
              `[error] read from ${session.remote}: ${String(error)}`,
            );
          }
          break;
        }
        if (n === null) break;
        for (const framed of this.#framer.push(buffer.subarray(0, n))) {
          if (this.#closing !== undefined) break;
          if (framed.ok) await session.handleLine(framed.line);
          else await session.handleFramingError(framed.error as FramingError);
        }
      }
      if (this.#closing === undefined) {
        for (const framed of this.#framer.end()) {
          if (framed.ok) await session.handleLine(framed.line);
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
    this.#closing ??= this.#close(
      code === undefined
        ? undefined
        : { type: "bye", code, message: message ?? "" },
      options.linger ?? false,
    );
    return this.#closing;
  }

  /** Closes, with `bye` said first when there is a reason. */
  async #close(bye: Reply | undefined, linger: boolean): Promise<void> {
    // Whatever fails on the way out, the socket is closed and the slot given
    // back: a leaked slot would refuse that address for good.
    try {
      await this.session.leave();
      if (bye !== undefined) {
        this.send(bye);
        await withinByeFlush(this.#queue.flush());
      }
      // Closing a socket with unread input makes the kernel send RST, which
      // can destroy the goodbye still in flight; half-close and discard the
      // rest first. Only from the read loop (no other read is pending then).
      if (linger) await this.#drainInput();
    } finally {
      this.#queue.close();
      closeQuietly(this.#conn);
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
    await withinByeFlush((async () => {
      for (let discarded = 0; discarded < 64 * 1024;) {
        // A read still pending at the time limit fails when the socket closes.
        const n = await this.#conn.read(buffer).catch(() => null);
        if (n === null) return;
        discarded += n;
      }
    })());
  }
}

/**
 * `HELLO tcpchat/1 <version>` and the optional key=value fields that follow
 * it (docs/PROTOCOL.md, 1).
 */
export function helloLine(host: NativeHost, secure: boolean): Uint8Array {
  const hello = formatReply({
    type: "hello",
    protocolVersion: PROTOCOL_VERSION,
    serverVersion: VERSION,
  });
  const plainRestricted = !secure && host.requireTls && host.tls !== undefined;
  return new TextEncoder().encode(
    `${hello} min_password=${host.auth.minPasswordLength}${
      host.tls === undefined ? "" : ` tls_port=${host.tls.port}`
    }${plainRestricted ? " tls_required=1" : ""}${
      host.maxFileBytes === undefined ? "" : ` max_file=${host.maxFileBytes}`
    }\n`,
  );
}

/** Waits for `work`, but at most {@linkcode BYE_FLUSH_MS}. */
async function withinByeFlush(work: Promise<unknown>): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      work,
      new Promise((resolve) => timer = setTimeout(resolve, BYE_FLUSH_MS)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Closes a connection that may already be closed. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed by the peer side.
  }
}

/** Writes a one-line refusal without waiting on the peer, then closes. */
export function refuse(conn: Deno.Conn, reply: Reply): void {
  withinByeFlush(conn.write(encodeReply(reply))).catch(() => {}).finally(() =>
    closeQuietly(conn)
  );
}
