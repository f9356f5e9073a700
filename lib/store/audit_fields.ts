/**
 * Keeps the audit log bounded: every field stored is sanitized and capped
 * in length, and writes from one address are rate-limited, so a peer that
 * sends junk names cannot grow the database without limit.
 *
 * @module
 */

import type { AuditEntry } from "./store.ts";

/** Characters of a username kept in an audit entry. */
export const AUDIT_USERNAME_MAX = 64;
/** Characters of an address kept in an audit entry. */
export const AUDIT_ADDRESS_MAX = 64;
/** Characters of a detail kept in an audit entry. */
export const AUDIT_DETAIL_MAX = 200;

// C0 and C1 controls, DEL, and the bidi/invisible format characters that
// could disguise an entry when it is read in a terminal.
const UNSAFE =
  // deno-lint-ignore no-control-regex -- matching controls is the point
  /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g;

/**
 * A field as stored: unsafe characters replaced by `?`, and at most `max`
 * code points (a longer one ends in `…`). `null` stays `null`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { boundedField } from "./audit_fields.ts";
 *
 * assert.equal(boundedField("a\u001b[2Jb", 10), "a?[2Jb");
 * assert.equal(boundedField("x".repeat(8), 4), "xxx…");
 * ```
 */
export function boundedField(value: string | null, max: number): string | null {
  if (value === null) return null;
  const clean = value.replace(UNSAFE, "?");
  const points = Array.from(clean);
  if (points.length <= max) return clean;
  return `${points.slice(0, max - 1).join("")}…`;
}

/** The entry with every text field bounded (see {@linkcode boundedField}). */
export function boundedAuditEntry(entry: AuditEntry): AuditEntry {
  return {
    at: entry.at,
    event: entry.event,
    username: boundedField(entry.username, AUDIT_USERNAME_MAX),
    address: boundedField(entry.address, AUDIT_ADDRESS_MAX),
    detail: boundedField(entry.detail, AUDIT_DETAIL_MAX),
  };
}

/** Options for {@linkcode AuditRateLimiter}. */
export interface AuditRateLimiterOptions {
  /** Entries written per address per window. @default {20} */
  perWindow?: number;
  /** Window length. @default {60000} (one minute) */
  windowMs?: number;
  /** Addresses tracked at once; the oldest is forgotten beyond. @default {10000} */
  maxAddresses?: number;
}

interface Window {
  startedAt: number;
  written: number;
  suppressed: number;
}

/**
 * How many audit entries one address may write per window. Beyond the
 * limit entries are dropped and counted; the next entry allowed from that
 * address says how many were dropped, so the log keeps a trace of a flood
 * without its volume. Memory is bounded by `maxAddresses`.
 */
export class AuditRateLimiter {
  readonly #perWindow: number;
  readonly #windowMs: number;
  readonly #maxAddresses: number;
  // Map order is insertion order: the first key is the least recently reset.
  readonly #windows = new Map<string, Window>();

  constructor(options: AuditRateLimiterOptions = {}) {
    this.#perWindow = options.perWindow ?? 20;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxAddresses = options.maxAddresses ?? 10_000;
  }

  /** Addresses currently tracked. */
  get size(): number {
    return this.#windows.size;
  }

  /**
   * Decides about one entry from `address` at `now`: `undefined` to drop
   * it, or the number of entries dropped since the last one written (0 for
   * none) when it may be written.
   */
  admit(address: string, now: number): number | undefined {
    let window = this.#windows.get(address);
    if (window === undefined || now - window.startedAt >= this.#windowMs) {
      const suppressed = window?.suppressed ?? 0;
      this.#windows.delete(address);
      window = { startedAt: now, written: 0, suppressed };
      this.#windows.set(address, window);
      if (this.#windows.size > this.#maxAddresses) {
        const oldest = this.#windows.keys().next().value;
        if (oldest !== undefined) this.#windows.delete(oldest);
      }
    }
    if (window.written >= this.#perWindow) {
      window.suppressed++;
      return undefined;
    }
    window.written++;
    const dropped = window.suppressed;
    window.suppressed = 0;
    return dropped;
  }
}

/**
 * The host part of an audit address (`[::1]:5000` → `::1`,
 * `10.0.0.1:5000` → `10.0.0.1`); others unchanged.
 */
export function auditAddressHost(address: string): string {
  const v6 = /^\[([^\]]+)\]:\d+$/.exec(address);
  if (v6 !== null) return v6[1]!;
  const v4 = /^([^:]+):\d+$/.exec(address);
  return v4 === null ? address : v4[1]!;
}
