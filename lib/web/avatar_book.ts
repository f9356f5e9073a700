/**
 * The avatars the page knows: each user's mark as the server last said
 * (`AVATAR_LIST`), and who to ask about (`AVATARS`) because the page shows
 * them and does not know theirs. Each name is asked at most once a session:
 * a change is announced to everyone anyway, and a name the server does not
 * know stays unasked. Names are matched as the server matches them.
 *
 * @module
 */

import type { Command } from "../protocol/protocol.ts";
import { DEFAULT_AVATAR_MARK, MAX_AVATAR_QUERY } from "../protocol/avatars.ts";
import { usernameKey } from "../shared/username.ts";

/** Users' avatar marks, and the questions still to ask. */
export class AvatarBook {
  #marks = new Map<string, string>();
  #asked = new Set<string>();
  /** Names to ask about, by key, in the order they were met. */
  #wanted = new Map<string, string>();
  #version = 0;

  /** Grows whenever a known mark changes (the page draws avatars again). */
  get version(): number {
    return this.#version;
  }

  /** `name`'s mark, if known. */
  mark(name: string): string | undefined {
    return this.#marks.get(usernameKey(name));
  }

  /** Takes an `AVATAR_LIST`'s marks; true if one changed. */
  learn(avatars: readonly { user: string; mark: string }[]): boolean {
    let changed = false;
    for (const { user, mark } of avatars) {
      const key = usernameKey(user);
      this.#asked.add(key);
      this.#wanted.delete(key);
      if (this.#marks.get(key) === mark) continue;
      this.#marks.set(key, mark);
      changed = true;
    }
    if (changed) this.#version++;
    return changed;
  }

  /**
   * Takes `names` as having the default avatar, unless a mark is known
   * (a `USER_LIST` names only its users with another avatar before it).
   */
  assumeDefault(names: Iterable<string>): void {
    let changed = false;
    for (const name of names) {
      const key = usernameKey(name);
      if (this.#marks.has(key)) continue;
      this.#marks.set(key, DEFAULT_AVATAR_MARK);
      this.#asked.add(key);
      this.#wanted.delete(key);
      changed = true;
    }
    if (changed) this.#version++;
  }

  /** Notes that the page shows `names`; true if one is to be asked about. */
  want(names: Iterable<string>): boolean {
    let added = false;
    for (const name of names) {
      const key = usernameKey(name);
      if (this.#marks.has(key) || this.#asked.has(key)) continue;
      if (this.#wanted.has(key)) continue;
      this.#wanted.set(key, name);
      added = true;
    }
    return added;
  }

  /** Whether some name waits to be asked about. */
  get wanting(): boolean {
    return this.#wanted.size > 0;
  }

  /**
   * The `AVATARS` lines for every name waiting, at most
   * {@linkcode MAX_AVATAR_QUERY} names each; they count as asked.
   *
   * @example
   * ```ts
   * import { AvatarBook } from "./avatar_book.ts";
   * import assert from "node:assert/strict";
   *
   * const book = new AvatarBook();
   * book.want(["bob", "BOB", "amy"]);
   * assert.deepEqual(book.takeRequests(), [
   *   { type: "avatars", users: ["bob", "amy"] },
   * ]);
   * assert.deepEqual(book.takeRequests(), []);
   * ```
   */
  takeRequests(): Command[] {
    const names = [...this.#wanted];
    this.#wanted.clear();
    const commands: Command[] = [];
    for (let at = 0; at < names.length; at += MAX_AVATAR_QUERY) {
      const batch = names.slice(at, at + MAX_AVATAR_QUERY);
      for (const [key] of batch) this.#asked.add(key);
      commands.push({ type: "avatars", users: batch.map(([, name]) => name) });
    }
    return commands;
  }
}
