/**
 * A member of the chat as the core sees it: an account in the chat with a
 * language and a way to answer it. The core answers the member whose
 * command it runs through {@linkcode ChatMember.send}; everyone else hears
 * of things through the bus, and the member's adapter, named by its
 * {@linkcode MemberOutlet}, delivers those in its own protocol.
 *
 * @module
 */

import type { Lang } from "../../shared/messages.ts";
import type { Reply } from "../../protocol/protocol.ts";
import type { Member } from "./hub.ts";

/**
 * How an adapter reaches one of its own members with the events it
 * encoded. The core never calls it; it only carries it.
 */
export interface MemberOutlet {
  /** The adapter that owns the member and encodes events for it. */
  readonly adapter: object;
  /** Queues bytes the adapter encoded; must not block. */
  deliver(bytes: Uint8Array): void;
  /** Ends the member's connection, saying why (`BYE code message`, or the adapter's like). */
  end(code: string, message: string): void;
}

/** A logged-in member, in the chat. */
export interface ChatMember extends Member {
  /** The account's id. */
  readonly accountId: number;
  /** Source address, for the audit log. */
  readonly address: string;
  /** The language of this member's replies. @default {the service's `lang`} */
  readonly lang?: Lang;
  /** Where events for this member go. */
  readonly outlet: MemberOutlet;
  /** Answers this member (the one whose command runs). */
  send(reply: Reply): void;
  /**
   * Resolves `true` once everything sent so far was handed to the socket,
   * or `false` if the connection closed first. Offline delivery waits on it
   * between batches and removes a batch from the queue only after `true`.
   * @default {resolves `true` at once}
   */
  flushed?(): Promise<boolean>;
}
