/**
 * One browser connection: the native line protocol over a WebSocket, one
 * line per text message, through the same socket-free {@linkcode Session}
 * as a TCP connection (same verbs, limits, throttling and audit). Chat
 * events arrive as the native adapter's encoded lines (the protocol is the
 * same, so they are encoded once for both transports).
 *
 * The bounds a TCP connection gets from its socket are kept here: a line
 * longer than the limit, a binary message or more unanswered lines than
 * {@linkcode MAX_PENDING_LINES} close the socket with a clear close code;
 * a browser that does not read is dropped when its unsent bytes pass the
 * outbound bound or stop moving for the stall time.
 *
 * @module
 */

import { formatReply, type Reply } from "../../../protocol/protocol.ts";
import { FramingError } from "../../../protocol/line_framer.ts";
import {
  type PeerInfo,
  Session,
  type SessionSink,
} from "../../session/session.ts";
import { helloLine, type NativeHost } from "../native/native_connection.ts";

/** Close codes (RFC 6455, 7.4.1) and what they mean here. */
export const CLOSE_CODES = {
  /** The server closed the session (its reason in the preceding `BYE`). */
  normal: 1000,
  /** The server is shutting down (RFC 6455's "going away"). */
  goingAway: 1001,
  /** A binary message: the protocol is text. */
  unsupportedData: 1003,
  /** Too many lines sent ahead of the answers. */
  policyViolation: 1008,
  /** A line longer than the limit. */
  tooBig: 1009,
} as const;

/**
 * Lines a browser may have sent that the session has not handled yet. A
 * WebSocket cannot stop the peer from sending as TCP does; past this, the
 * peer is flooding and is closed with `policyViolation`.
 */
export const MAX_PENDING_LINES = 256;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * The fan-out hands every member of a room the same encoded bytes: the
 * text of the last ones is kept, so a room of browsers decodes a message
 * once, not once per member.
 */
let lastBytes: Uint8Array | undefined;
let lastLine = "";

/** The line in native-encoded bytes (which end with LF), as text. */
function lineOf(bytes: Uint8Array): string {
  if (bytes !== lastBytes) {
    lastLine = decoder.decode(bytes.subarray(0, bytes.length - 1));
    lastBytes = bytes;
  }
  return lastLine;
}

/** An upgraded socket and what goes with it. */
export interface UpgradedSocket {
  /** The native fan-out that delivers chat events to it. */
  adapter: object;
  socket: WebSocket;
  peer: PeerInfo;
  /** Gives the connection slot back once it is closed. */
  release: () => void;
}

/** A WebSocket connection of the native protocol. */
export class WebSocketConnection implements SessionSink {
  readonly adapter: object;
  readonly session: Session;
  #host: NativeHost;
  #socket: WebSocket;
  #release: () => void;
  /** Whether the socket has really closed (its `close` event came). */
  #socketClosed = false;
  #closeDone = false;
  #closing: Promise<void> | undefined;
  #closed: () => void = () => {};
  #whenClosed: Promise<void>;
  #pending = 0;
  #chain: Promise<void> = Promise.resolve();
  /** Unsent bytes and when that amount last went down (stall detection). */
  #lastBuffered = 0;
  #bufferedSince = 0;

  /**
   * Wraps an upgraded socket; `release` gives the connection slot back once
   * it is closed. `adapter` is the native fan-out that delivers events.
   */
  constructor(host: NativeHost, upgraded: UpgradedSocket) {
    const { adapter, socket, peer, release } = upgraded;
    this.adapter = adapter;
    this.#host = host;
    this.#socket = socket;
    this.#release = release;
    // Stall time counts from the start, not from the epoch.
    this.#bufferedSince = host.clock.now();
    this.#whenClosed = new Promise((resolve) => this.#closed = resolve);
    this.session = new Session(host, this, peer);
    socket.onopen = () => {
      this.#sendText(lineOf(helloLine(host, peer.secure)));
    };
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onclose = () => {
      this.#socketClosed = true;
      this.#releaseWhenGone();
      void this.close().then(this.#closed);
    };
    socket.onerror = () => void this.close();
  }

  /** Resolves once the socket is closed and the slot given back. */
  get finished(): Promise<void> {
    return this.#whenClosed;
  }

  get closing(): boolean {
    return this.#closing !== undefined;
  }

  send(reply: Reply): void {
    this.#sendText(formatReply(reply));
  }

  deliver(bytes: Uint8Array): void {
    this.#sendText(lineOf(bytes));
  }

  end(code: string, message: string): void {
    void this.close(code, message);
  }

  async flushed(): Promise<boolean> {
    // The browser's socket has no flush; what was handed to it is sent.
    await Promise.resolve();
    return !this.closing;
  }

  /** The server's sweep: a stalled browser, then the session's deadlines. */
  checkDeadlines(now: number): void {
    if (this.#closing !== undefined) return;
    const buffered = this.#socket.bufferedAmount;
    if (buffered === 0 || buffered < this.#lastBuffered) {
      this.#bufferedSince = now;
    } else if (now - this.#bufferedSince >= this.#host.stallTimeoutMs) {
      void this.close();
      return;
    }
    this.#lastBuffered = buffered;
    this.session.checkDeadlines(now);
  }

  /**
   * Ends the connection once: leaves the chat, says why with a `BYE` line
   * when there is a reason, and closes the socket with `closeCode`.
   */
  close(
    code?: string,
    message?: string,
    options: { linger?: boolean; closeCode?: number } = {},
  ): Promise<void> {
    const closeCode = options.closeCode ??
      (code === "line_too_long"
        ? CLOSE_CODES.tooBig
        : code === "shutdown"
        ? CLOSE_CODES.goingAway
        : CLOSE_CODES.normal);
    this.#closing ??= this.#close(
      code === undefined
        ? undefined
        : { type: "bye", code, message: message ?? "" },
      closeCode,
    );
    return this.#closing;
  }

  /** Closes with `closeCode`, with `bye` said first when there is a reason. */
  async #close(bye: Reply | undefined, closeCode: number): Promise<void> {
    try {
      await this.session.leave();
      if (bye !== undefined && this.#socket.readyState === WebSocket.OPEN) {
        this.#socket.send(formatReply(bye));
      }
    } finally {
      try {
        if (this.#socket.readyState <= WebSocket.OPEN) {
          this.#socket.close(
            closeCode,
            bye?.type === "bye" ? bye.code : undefined,
          );
        }
      } catch {
        // Already closing.
      }
      this.#closeDone = true;
      this.#releaseWhenGone();
      this.#closed();
    }
  }

  /**
   * Gives the connection slot back once the socket is really gone. A peer
   * that reads nothing can keep a closed socket's unsent bytes (and the
   * socket) alive as long as it likes; until then it keeps counting
   * against the connection caps, so such sockets cannot pile up.
   */
  #releaseWhenGone(): void {
    if (!this.#closeDone || !this.#socketClosed) return;
    const release = this.#release;
    this.#release = () => {};
    release();
  }

  #sendText(text: string): void {
    if (this.#closing !== undefined) return;
    if (this.#socket.readyState !== WebSocket.OPEN) return;
    // A browser too slow to read is dropped, as a TCP client is: its
    // unsent bytes are what cannot take one more line.
    if (this.#socket.bufferedAmount > this.#host.maxQueueBytes) {
      void this.close();
      return;
    }
    this.#socket.send(text);
  }

  #receive(data: unknown): void {
    if (this.#closing !== undefined) return;
    if (typeof data !== "string") {
      void this.close(undefined, undefined, {
        closeCode: CLOSE_CODES.unsupportedData,
      });
      return;
    }
    const max = this.#host.limits.maxLineBytes;
    // UTF-8 takes 1 to 3 bytes per UTF-16 unit: count the bytes only when
    // the length alone cannot tell.
    if (
      data.length > max ||
      (data.length * 3 > max && encoder.encode(data).length > max)
    ) {
      // ERROR and BYE line_too_long, as over TCP; the close says 1009.
      void this.session.handleFramingError(
        new FramingError("line_too_long", `Line longer than ${max} bytes`),
      );
      return;
    }
    // One message is one line; a trailing LF or CRLF is tolerated, and a
    // message with several lines is taken line by line, as TCP would.
    const lines = data.replace(/\r?\n$/, "").split(/\r?\n/);
    // The bound counts lines, however they are packed into messages.
    this.#pending += lines.length;
    if (this.#pending > MAX_PENDING_LINES) {
      void this.close(undefined, undefined, {
        closeCode: CLOSE_CODES.policyViolation,
      });
      return;
    }
    // In order, one at a time: the session's flood control waits here.
    this.#chain = this.#chain.then(async () => {
      for (const line of lines) {
        this.#pending--;
        if (this.#closing !== undefined) continue;
        await this.session.handleLine(line);
      }
    });
  }
}
