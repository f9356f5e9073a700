/**
 * Reset tokens, recovery codes and resume tokens as people read and type
 * them: Crockford base32 in groups of four, typed forms made canonical, and
 * the hash that is all the store keeps.
 *
 * @module
 */

import { sha256Hex } from "./password_hash.ts";

/** Random bytes in a reset token or recovery code (160 bits). */
export const SECRET_BYTES = 20;

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * Formats random bytes as Crockford base32 in dash-separated groups of four,
 * easy to read aloud and type (no I, L, O or U).
 */
export function formatSecret(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += CROCKFORD[(value << (5 - bits)) & 31];
  return out.match(/.{1,4}/g)?.join("-") ?? "";
}

/**
 * Canonical form of a typed secret: dashes and spaces dropped, upper case,
 * and the look-alikes O->0, I/L->1 mapped as Crockford base32 allows.
 * Returns `undefined` if anything else remains.
 */
export function canonicalSecret(typed: string): string | undefined {
  const canonical = typed.replace(/[-\s]/g, "").toUpperCase()
    .replace(/O/g, "0").replace(/[IL]/g, "1");
  if (canonical.length === 0 || canonical.length > 64) return undefined;
  for (const char of canonical) if (!CROCKFORD.includes(char)) return undefined;
  return canonical;
}

/** The stored hash of a secret (of its canonical form when it has one). */
export async function hashSecret(secret: string): Promise<string> {
  return await sha256Hex(canonicalSecret(secret) ?? secret);
}
