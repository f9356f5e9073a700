/**
 * The session registry: the single source of "who is online". One live
 * session per account (the seed's rule); the account domain claims and
 * releases sessions, the chat core attaches the member that is in the chat
 * for a session and finds members through it. Everything that asks whether
 * someone is online asks here, so a registry shared by several servers can
 * replace the in-process one without touching its callers.
 *
 * @module
 */

import { normalizeUsername } from "../../shared/username.ts";

/** Why a live session was ended by the server. */
export type SessionEndReason =
  | "password_reset"
  | "account_deleted"
  | "session_resumed";

/** A logged-in account, as the session registry holds it. */
export interface LiveSession {
  /** The account's display name. */
  readonly username: string;
  /** The account's uniqueness key. */
  readonly usernameKey: string;
  /** The account's id. */
  readonly accountId: number;
  /**
   * Whether the account has the admin role; kept current when an operator
   * grants or revokes it.
   */
  isAdmin: boolean;
  /** The client's address (host only). */
  readonly address: string;
}

/** Called (synchronously) when the server ends a session. */
export type TerminateHook = (reason: SessionEndReason) => void;

/** What the chat core needs of a member it attaches: its account's key. */
export interface AttachedMember {
  /** The uniqueness key of the member's account. */
  readonly usernameKey: string;
}

/**
 * Who is online. Claims are synchronous so that a caller checks and claims
 * with no await between them (two logins of one account cannot both win).
 */
export interface SessionRegistry<M extends AttachedMember = AttachedMember> {
  /** Live sessions (logged in, in the chat or about to enter it). */
  readonly sessionCount: number;
  /** Members in the chat (sessions with an attached member). */
  readonly memberCount: number;
  /** Whether the account with this key has a live session. */
  has(usernameKey: string): boolean;
  /** Whether `session` is the account's live session (not ended, not replaced). */
  isLive(session: LiveSession): boolean;
  /** The account's live session, if any. */
  session(usernameKey: string): LiveSession | undefined;
  /** Live sessions in login order. */
  sessions(): LiveSession[];
  /**
   * Registers a live session. Returns `false` (and changes nothing) when
   * the account already has one.
   */
  claim(session: LiveSession, onTerminate?: TerminateHook): boolean;
  /** Ends `session` if it is still the live one; returns whether it was. */
  release(session: LiveSession): boolean;
  /**
   * Ends the account's live session because of `reason` and calls its
   * terminate hook; returns whether there was one.
   */
  terminate(usernameKey: string, reason: SessionEndReason): boolean;
  /**
   * Records the member in the chat for the account's live session.
   *
   * @throws {RangeError} when the account has no live session or another
   * member is attached to it.
   */
  attach(member: M): void;
  /** Forgets the member (if attached); returns whether it was. */
  detach(member: M): boolean;
  /** The member in the chat for this account key, if any. */
  member(usernameKey: string): M | undefined;
  /** The member in the chat under this name (any spelling), if any. */
  find(username: string): M | undefined;
  /** Members in the chat, in login order. */
  members(): M[];
}

interface Entry<M> {
  session: LiveSession;
  onTerminate: TerminateHook | undefined;
  member: M | undefined;
}

/**
 * The in-process registry: one map from account key to its live session
 * and the member in the chat for it.
 *
 * @example
 * ```ts
 * import { LocalSessionRegistry } from "./session_registry.ts";
 * import assert from "node:assert/strict";
 *
 * const registry = new LocalSessionRegistry();
 * const session = { username: "Ann", usernameKey: "ann", accountId: 1, isAdmin: false, address: "::1" };
 * assert.equal(registry.claim(session), true);
 * assert.equal(registry.claim({ ...session }), false); // one session per account
 * registry.attach({ usernameKey: "ann" });
 * assert.equal(registry.memberCount, 1);
 * assert.equal(registry.release(session), true);
 * assert.equal(registry.sessionCount, 0);
 * ```
 */
export class LocalSessionRegistry<M extends AttachedMember = AttachedMember>
  implements SessionRegistry<M> {
  #entries = new Map<string, Entry<M>>();
  #memberCount = 0;

  get sessionCount(): number {
    return this.#entries.size;
  }

  get memberCount(): number {
    return this.#memberCount;
  }

  has(usernameKey: string): boolean {
    return this.#entries.has(usernameKey);
  }

  isLive(session: LiveSession): boolean {
    return this.#entries.get(session.usernameKey)?.session === session;
  }

  session(usernameKey: string): LiveSession | undefined {
    return this.#entries.get(usernameKey)?.session;
  }

  sessions(): LiveSession[] {
    return [...this.#entries.values()].map((entry) => entry.session);
  }

  claim(session: LiveSession, onTerminate?: TerminateHook): boolean {
    if (this.#entries.has(session.usernameKey)) return false;
    this.#entries.set(session.usernameKey, {
      session,
      onTerminate,
      member: undefined,
    });
    return true;
  }

  release(session: LiveSession): boolean {
    const entry = this.#entries.get(session.usernameKey);
    if (entry?.session !== session) return false;
    this.#remove(session.usernameKey, entry);
    return true;
  }

  terminate(usernameKey: string, reason: SessionEndReason): boolean {
    const entry = this.#entries.get(usernameKey);
    if (entry === undefined) return false;
    this.#remove(usernameKey, entry);
    entry.onTerminate?.(reason);
    return true;
  }

  attach(member: M): void {
    const entry = this.#entries.get(member.usernameKey);
    if (entry === undefined) {
      throw new RangeError(
        `Cannot attach "${member.usernameKey}": no live session`,
      );
    }
    if (entry.member === member) return;
    if (entry.member !== undefined) {
      throw new RangeError(
        `Cannot attach "${member.usernameKey}": already in the chat`,
      );
    }
    entry.member = member;
    this.#memberCount++;
  }

  detach(member: M): boolean {
    const entry = this.#entries.get(member.usernameKey);
    if (entry?.member !== member) return false;
    entry.member = undefined;
    this.#memberCount--;
    return true;
  }

  member(usernameKey: string): M | undefined {
    return this.#entries.get(usernameKey)?.member;
  }

  find(username: string): M | undefined {
    const name = normalizeUsername(username, { allowReserved: true });
    return name.ok ? this.member(name.key) : undefined;
  }

  members(): M[] {
    const out: M[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.member !== undefined) out.push(entry.member);
    }
    return out;
  }

  #remove(usernameKey: string, entry: Entry<M>): void {
    this.#entries.delete(usernameKey);
    if (entry.member !== undefined) {
      entry.member = undefined;
      this.#memberCount--;
    }
  }
}
