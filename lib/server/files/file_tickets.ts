/**
 * Transfer tickets: the single-use tokens that let one HTTP request move one
 * file's bytes. A token is handed out only over a logged-in chat connection
 * (`FILE_UPLOAD`, `FILE_DOWNLOAD`), is bound to that session (it stops
 * working when the session ends) and to one file and direction, expires a
 * minute after it was issued, and is gone once used, so a token seen in a
 * log or replayed is worth nothing. Only the token's hash is kept.
 *
 * @module
 */

import { createHash } from "node:crypto";
import type { Clock } from "../../shared/clock.ts";

/** How long an unused ticket stays valid. */
export const TICKET_TTL_MS = 60_000;
/** Unused tickets one session may hold; the oldest goes first. */
export const MAX_TICKETS_PER_HOLDER = 8;

/** What a ticket lets its bearer do. */
export interface TicketGrant {
  /** The file; for an avatar picture, the account. */
  fileId: number;
  /** Which way the bytes go: a file up or down, or an avatar picture up. */
  direction: "upload" | "download" | "avatar";
  /**
   * The session it was issued to (compared by identity): its tickets are
   * revoked with {@linkcode FileTickets.revokeHolder} when it ends.
   */
  holder: object;
}

interface Ticket extends TicketGrant {
  expiresAt: number;
}

/** The tickets in force. */
export class FileTickets {
  #clock: Clock;
  #byHash = new Map<string, Ticket>();
  #byHolder = new Map<object, string[]>();

  /** Tickets timed by `clock`. */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Issues a ticket; resolves its token (43 characters of base64url). */
  issue(grant: TicketGrant): string {
    this.#dropExpired();
    const token = randomToken();
    const hash = tokenHash(token);
    this.#byHash.set(hash, {
      ...grant,
      expiresAt: this.#clock.now() + TICKET_TTL_MS,
    });
    const held = this.#byHolder.get(grant.holder) ?? [];
    held.push(hash);
    while (held.length > MAX_TICKETS_PER_HOLDER) {
      this.#byHash.delete(held.shift() as string);
    }
    this.#byHolder.set(grant.holder, held);
    return token;
  }

  /**
   * Uses up the ticket of `token` if it grants `direction` on `fileId` (any
   * id with `null`: an avatar ticket's id is its account) and has not
   * expired: resolves what it grants. The token is gone afterwards whether
   * or not it matched, so guessing against one costs it.
   */
  redeem(
    token: string,
    fileId: number | null,
    direction: TicketGrant["direction"],
  ): TicketGrant | undefined {
    const hash = tokenHash(token);
    const ticket = this.#byHash.get(hash);
    if (ticket === undefined) return undefined;
    this.#forget(hash, ticket.holder);
    if (ticket.expiresAt <= this.#clock.now()) return undefined;
    if (
      (fileId !== null && ticket.fileId !== fileId) ||
      ticket.direction !== direction
    ) {
      return undefined;
    }
    return {
      fileId: ticket.fileId,
      direction: ticket.direction,
      holder: ticket.holder,
    };
  }

  /** Voids every ticket of a session (it logged out or disconnected). */
  revokeHolder(holder: object): void {
    for (const hash of this.#byHolder.get(holder) ?? []) {
      this.#byHash.delete(hash);
    }
    this.#byHolder.delete(holder);
  }

  /** Tickets in force (for tests and bounds). */
  get size(): number {
    return this.#byHash.size;
  }

  #forget(hash: string, holder: object): void {
    this.#byHash.delete(hash);
    const held = this.#byHolder.get(holder);
    if (held === undefined) return;
    const rest = held.filter((entry) => entry !== hash);
    if (rest.length === 0) this.#byHolder.delete(holder);
    else this.#byHolder.set(holder, rest);
  }

  #dropExpired(): void {
    const now = this.#clock.now();
    for (const [hash, ticket] of this.#byHash) {
      if (ticket.expiresAt <= now) this.#forget(hash, ticket.holder);
    }
  }
}

function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-")
    .replaceAll("/", "_").replace(/=+$/, "");
}

function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
