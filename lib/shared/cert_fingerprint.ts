/**
 * The SHA-256 fingerprint of a PEM certificate, with Web Crypto only: the
 * client needs it for trust on first use, and must start with no npm
 * package in its module graph (no network needed to run it from source).
 *
 * @module
 */

const PEM_BLOCK =
  /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*)-----END CERTIFICATE-----/;

/**
 * Computes the SHA-256 fingerprint of a PEM certificate, formatted as
 * `openssl x509 -fingerprint -sha256` does: uppercase hex pairs joined by `:`.
 *
 * @example Compare with a pinned fingerprint
 * ```ts
 * import assert from "node:assert/strict";
 * import { certificateFingerprint } from "./cert_fingerprint.ts";
 *
 * // A DER SEQUENCE of two bytes, 30 00, as PEM.
 * const pem = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
 * assert.equal(
 *   (await certificateFingerprint(pem)).slice(0, 11),
 *   "E4:F6:0D:0A",
 * );
 * ```
 *
 * @param certPem A PEM certificate; only the first one is used.
 * @returns The fingerprint, 95 characters.
 * @throws {SyntaxError} If `certPem` holds no parsable certificate block.
 */
export async function certificateFingerprint(certPem: string): Promise<string> {
  return await derFingerprint(certificateDer(certPem));
}

/**
 * The SHA-256 fingerprint of certificate DER bytes, in the format of
 * {@linkcode certificateFingerprint}.
 */
export async function derFingerprint(
  der: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  return Array.from(
    digest,
    (b) => b.toString(16).padStart(2, "0").toUpperCase(),
  ).join(":");
}

/**
 * The DER bytes of the first PEM CERTIFICATE block, checked to be one whole
 * DER SEQUENCE (what every X.509 certificate is).
 *
 * @throws {SyntaxError} If there is no such block or it is not one SEQUENCE.
 */
export function certificateDer(certPem: string): Uint8Array<ArrayBuffer> {
  const match = PEM_BLOCK.exec(certPem);
  if (match === null) {
    throw new SyntaxError(
      "Cannot read certificate: no PEM CERTIFICATE block found",
    );
  }
  let der: Uint8Array<ArrayBuffer>;
  try {
    const binary = atob(match[1]!.replace(/\s+/g, ""));
    der = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch (error) {
    throw new SyntaxError("Cannot read certificate: invalid base64", {
      cause: error,
    });
  }
  if (der.length < 2 || der[0] !== 0x30 || sequenceLength(der) !== der.length) {
    throw new SyntaxError(
      "Cannot read certificate: not a DER SEQUENCE of the block's length",
    );
  }
  return der;
}

/** Total length (header included) of the DER element at the start, or -1. */
function sequenceLength(der: Uint8Array): number {
  const first = der[1]!;
  if (first < 0x80) return 2 + first;
  const count = first & 0x7f;
  if (count === 0 || count > 4 || der.length < 2 + count) return -1;
  let length = 0;
  for (let i = 0; i < count; i++) length = length * 256 + der[2 + i]!;
  return 2 + count + length;
}
