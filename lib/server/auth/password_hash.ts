/**
 * Password hashing: PBKDF2-HMAC-SHA256 through Web Crypto, stored as one
 * self-describing string, verified in constant time. Also understands the
 * original Python program's unsalted SHA-256 hex digests so imported accounts
 * can log in once and be upgraded.
 *
 * @module
 */

import { timingSafeEqual } from "node:crypto";
import { type RandomSource, secureRandomBytes } from "../../shared/clock.ts";

/** Iterations used for new hashes (OWASP 2023 guidance for PBKDF2-HMAC-SHA256). */
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;
/** Salt length in bytes for new hashes. */
export const SALT_BYTES = 16;
/** Derived key length in bytes. */
export const KEY_BYTES = 32;

const PBKDF2_PREFIX = "pbkdf2-sha256";
const LEGACY_PREFIX = "sha256";

/** A stored password hash, decoded. */
export type ParsedPasswordHash =
  | {
    algorithm: "pbkdf2-sha256";
    iterations: number;
    salt: Uint8Array;
    key: Uint8Array;
  }
  | { algorithm: "legacy-sha256"; digest: Uint8Array };

/** Options for {@linkcode PasswordHasher}. */
export interface PasswordHasherOptions {
  /**
   * PBKDF2 iterations for new hashes. Stored hashes with fewer are rehashed
   * at the next successful login.
   * @default {600000}
   */
  iterations?: number;
  /**
   * How many hashes may run at once. PBKDF2 runs on Deno's blocking thread
   * pool, off the event loop, so chat keeps being served during a login
   * storm; this bound keeps the storm to one hash per core (the benchmark
   * measured 2.2x the hashing bound with one core left idle).
   * @default {navigator.hardwareConcurrency}
   */
  maxConcurrent?: number;
  /**
   * Random source for salts.
   * @default {secureRandomBytes}
   */
  random?: RandomSource;
  /**
   * The slow key derivation every hash and verification runs. Tests wrap
   * {@linkcode pbkdf2Sha256} to count derivations: how much work an answer
   * cost is what must not depend on the account.
   * @default {pbkdf2Sha256}
   */
  pbkdf2?: Pbkdf2Function;
}

/** A PBKDF2-HMAC-SHA256 derivation; see {@linkcode pbkdf2Sha256}. */
export type Pbkdf2Function = (
  password: string,
  salt: Uint8Array,
  iterations: number,
  length: number,
) => Promise<Uint8Array>;

/** Hashes and verifies passwords with bounded concurrency. */
export class PasswordHasher {
  readonly iterations: number;
  #random: RandomSource;
  #limiter: ConcurrencyLimiter;
  #pbkdf2: Pbkdf2Function;
  #dummyHash: Promise<string> | undefined;

  /** Creates a hasher; see {@linkcode PasswordHasherOptions}. */
  constructor(options: PasswordHasherOptions = {}) {
    const iterations = options.iterations ?? DEFAULT_PBKDF2_ITERATIONS;
    if (!Number.isInteger(iterations) || iterations < 1) {
      throw new RangeError(
        `Cannot create password hasher: iterations must be a positive integer, got ${iterations}`,
      );
    }
    this.iterations = iterations;
    this.#random = options.random ?? secureRandomBytes;
    this.#pbkdf2 = options.pbkdf2 ?? pbkdf2Sha256;
    const cores = globalThis.navigator?.hardwareConcurrency ?? 2;
    this.#limiter = new ConcurrencyLimiter(
      options.maxConcurrent ?? Math.max(1, cores),
    );
  }

  /**
   * Hashes a password with a fresh salt and the current iteration count.
   * The password is NFKC-normalized first, so the same visible password typed
   * on different keyboards or platforms gives the same hash.
   */
  async hash(password: string): Promise<string> {
    const salt = this.#random(SALT_BYTES);
    const key = await this.#limiter.run(() =>
      this.#pbkdf2(password.normalize("NFKC"), salt, this.iterations, KEY_BYTES)
    );
    return [
      PBKDF2_PREFIX,
      String(this.iterations),
      encodeBase64(salt),
      encodeBase64(key),
    ].join("$");
  }

  /**
   * Checks a password against a stored hash in constant time.
   *
   * An unparseable stored hash never matches. `needsRehash` is true when the
   * password matched but the stored parameters are weaker than current ones.
   * A legacy SHA-256 or unparseable stored hash still costs one PBKDF2
   * derivation at the current iterations, as a current hash does, so the time
   * taken does not reveal which accounts were imported or broken.
   */
  async verify(
    password: string,
    stored: string,
  ): Promise<{ ok: boolean; needsRehash: boolean }> {
    const parsed = parsePasswordHash(stored);
    if (parsed === undefined) {
      // Spend the same work as a real check so a broken row is not a timing oracle.
      await this.verify(password, await this.dummyHash());
      return { ok: false, needsRehash: false };
    }
    if (parsed.algorithm === "legacy-sha256") {
      // One SHA-256 answers in a fraction of a PBKDF2 derivation, which told
      // anyone timing a wrong password which accounts were imported (issue
      // item 14): spend one full derivation as well, right or wrong.
      await this.verifyDummy(password);
      // The Python program hashed the raw UTF-8 bytes, without normalization.
      const digest = await sha256(password);
      return {
        ok: constantTimeEqual(digest, parsed.digest),
        needsRehash: true,
      };
    }
    const key = await this.#limiter.run(() =>
      this.#pbkdf2(
        password.normalize("NFKC"),
        parsed.salt,
        parsed.iterations,
        parsed.key.length,
      )
    );
    const ok = constantTimeEqual(key, parsed.key);
    return { ok, needsRehash: ok && parsed.iterations < this.iterations };
  }

  /**
   * Burns the same work as verifying a real password, for unknown users, so
   * that login time does not reveal whether an account exists.
   */
  async verifyDummy(password: string): Promise<void> {
    await this.verify(password, await this.dummyHash());
  }

  /** A hash of a random password with current parameters, made once. */
  dummyHash(): Promise<string> {
    this.#dummyHash ??= this.hash(encodeBase64(this.#random(16)));
    return this.#dummyHash;
  }
}

/**
 * Decodes a stored hash string, or returns `undefined` if it is not one.
 *
 * @example
 * ```ts
 * import { parsePasswordHash } from "./password_hash.ts";
 * import assert from "node:assert/strict";
 *
 * const parsed = parsePasswordHash("sha256$" + "ab".repeat(32));
 * assert.equal(parsed?.algorithm, "legacy-sha256");
 * assert.equal(parsePasswordHash("plaintext"), undefined);
 * ```
 */
export function parsePasswordHash(
  stored: string,
): ParsedPasswordHash | undefined {
  const parts = stored.split("$");
  if (parts[0] === PBKDF2_PREFIX && parts.length === 4) {
    const iterations = Number(parts[1]);
    const salt = decodeBase64(parts[2] ?? "");
    const key = decodeBase64(parts[3] ?? "");
    if (
      !Number.isSafeInteger(iterations) || iterations < 1 ||
      salt === undefined || key === undefined || key.length === 0
    ) {
      return undefined;
    }
    return { algorithm: "pbkdf2-sha256", iterations, salt, key };
  }
  if (parts[0] === LEGACY_PREFIX && parts.length === 2) {
    const hex = parts[1] ?? "";
    if (!/^[0-9a-f]{64}$/.test(hex)) return undefined;
    return { algorithm: "legacy-sha256", digest: decodeHex(hex) };
  }
  return undefined;
}

/**
 * Wraps an unsalted SHA-256 hex digest (the Python program's format) as a
 * stored hash string.
 */
export function legacySha256Hash(hexDigest: string): string {
  const hex = hexDigest.toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new SyntaxError(
      `Cannot use legacy digest "${hexDigest}": expected 64 hexadecimal characters`,
    );
  }
  return `${LEGACY_PREFIX}$${hex}`;
}

/** Hex-encoded SHA-256 of a UTF-8 string; used for tokens and recovery codes. */
export async function sha256Hex(text: string): Promise<string> {
  return encodeHex(await sha256(text));
}

/** Compares two byte arrays in time independent of where they differ. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/** Runs at most `limit` async tasks at once; the rest wait in FIFO order. */
export class ConcurrencyLimiter {
  #limit: number;
  #running = 0;
  #waiting: (() => void)[] = [];

  /** @param limit Maximum tasks in flight (at least 1). */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(
        `Cannot create limiter: limit must be a positive integer, got ${limit}`,
      );
    }
    this.#limit = limit;
  }

  /** Tasks started and not yet finished. */
  get running(): number {
    return this.#running;
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `task` when a slot is free and resolves with its result. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // Hand the slot straight to the next waiter so #running stays exact.
      if (next) next();
      else this.#running--;
    }
  }
}

/**
 * Derives `length` bytes with PBKDF2-HMAC-SHA256 through Web Crypto, which
 * runs it on Deno's blocking thread pool, off the event loop.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pbkdf2Sha256 } from "./password_hash.ts";
 *
 * const key = await pbkdf2Sha256("password", new Uint8Array(16), 1, 32);
 * assert.equal(key.length, 32);
 * ```
 */
export async function pbkdf2Sha256(
  password: string,
  salt: Uint8Array,
  iterations: number,
  length: number,
): Promise<Uint8Array> {
  const material = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(password),
    "PBKDF2",
    false,
    ["deriveBits"],
  );
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: toBuffer(salt), iterations },
    material,
    length * 8,
  );
  return new Uint8Array(bits);
}

async function sha256(text: string): Promise<Uint8Array> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return new Uint8Array(digest);
}

function toBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

/** Encodes bytes as standard base64 without line breaks. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function decodeBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** Encodes bytes as lowercase hexadecimal. */
export function encodeHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(
    "",
  );
}

function decodeHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  }
  return bytes;
}
