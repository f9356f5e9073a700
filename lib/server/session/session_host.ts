/**
 * What a {@linkcode Session} is given: the server it belongs to (shared by
 * all its sessions), the transport it answers through, and where the
 * connection came from. An adapter provides the last two.
 *
 * @module
 */

import type { AuthManager } from "../auth/auth_manager.ts";
import type { ChatService } from "../chat/chat_service.ts";
import type { Clock } from "../../shared/clock.ts";
import type { Lang } from "../../shared/messages.ts";
import type { Reply } from "../../protocol/protocol.ts";
import type { MemberOutlet } from "../chat/member.ts";

/** The limits a session applies (the server's options, with defaults). */
export interface SessionLimits {
  /** Longest line in bytes. */
  readonly maxLineBytes: number;
  /** Time an unauthenticated connection has to log in. */
  readonly loginTimeoutMs: number;
  /** Silence from a member before the server pings it. */
  readonly pingIntervalMs: number;
  /** Time to answer a ping (any line counts). */
  readonly pingTimeoutMs: number;
  /** Lines a client may send at once before the rate applies. */
  readonly rateBurst: number;
  /** Sustained lines per second. */
  readonly ratePerSecond: number;
}

/** What every session of one server shares. */
export interface SessionHost {
  readonly auth: AuthManager;
  readonly chat: ChatService;
  readonly clock: Clock;
  /** The server's language (the console's, and replies' until `LANG`). */
  readonly lang: Lang;
  readonly limits: SessionLimits;
  /** The TLS port and certificate (base64 DER), when TLS is on. */
  readonly tls: { readonly port: number; readonly der: string } | undefined;
  /** `--require-tls`: the plain port answers only `CERT`, `PING`, `PONG`, `LANG`. */
  readonly requireTls: boolean;
  /** Log each chat message, as the seed does. */
  readonly logMessages: boolean;
  /**
   * The largest file one may share (`max_file` in `HELLO`), or undefined
   * while file sharing is off.
   */
  readonly maxFileBytes?: number;
  /** A line for the operator's console. */
  logLine(text: string): void;
  /** A security event for the console (never a password or token). */
  logSecurity(
    event: string,
    username: string,
    address: string,
    detail?: string,
  ): void;
}

/**
 * Where a session's answers go: its transport, which is also the outlet the
 * adapter delivers chat events through.
 */
export interface SessionSink extends MemberOutlet {
  /** The adapter that encodes chat events for this transport. */
  readonly adapter: object;
  /** Whether the transport is closing (nothing more is read or answered). */
  readonly closing: boolean;
  /** Queues one reply. */
  send(reply: Reply): void;
  /** Queues bytes the adapter encoded. */
  deliver(bytes: Uint8Array): void;
  /** Resolves `true` once all sent so far was written, `false` if closed first. */
  flushed(): Promise<boolean>;
  /**
   * Ends the transport (leaving the chat first through
   * {@linkcode Session.leave}), with a `BYE code message` when given.
   */
  close(
    code?: string,
    message?: string,
    options?: { linger?: boolean },
  ): Promise<void>;
}

/** Where a connection came from. */
export interface PeerInfo {
  /** Host only, for throttling and the audit log. */
  readonly address: string;
  /** Host and port, for the console. */
  readonly remote: string;
  /** Whether it came in over TLS. */
  readonly secure: boolean;
}
