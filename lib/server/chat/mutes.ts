/**
 * Who is muted among the members in the chat, and until when: read from
 * the store when a member enters, kept here so a room message is checked
 * without a database read.
 *
 * @module
 */

import type { Clock } from "../../shared/clock.ts";

/** A mute in force. */
export interface Mute {
  /** End of the mute, ms since the epoch. */
  readonly until: number;
  /** The administrator's reason, or "". */
  readonly reason: string;
}

/** Mutes of online members; an expired mute is forgotten when next asked. */
export class MuteList<M> {
  #mutes = new Map<M, Mute>();
  #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Mutes `member` until `until`. */
  set(member: M, mute: Mute): void {
    this.#mutes.set(member, mute);
  }

  /** Lifts the member's mute; returns whether there was one. */
  delete(member: M): boolean {
    return this.#mutes.delete(member);
  }

  /** The member's mute if it is still in force. */
  active(member: M): Mute | undefined {
    const mute = this.#mutes.get(member);
    if (mute === undefined) return undefined;
    if (this.#clock.now() < mute.until) return mute;
    this.#mutes.delete(member);
    return undefined;
  }
}
