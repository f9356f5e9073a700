/**
 * TLS building blocks for the server: a self-signed ECDSA P-256 certificate
 * made with Web Crypto, its SHA-256 fingerprint, and a load-or-create step
 * that keeps one certificate per server directory so that clients which
 * pinned its fingerprint keep trusting it.
 *
 * @module
 */

// tsyringe, which @peculiar/x509 uses internally, needs the Reflect metadata
// API to exist before it is evaluated, so this import must stay first.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import {
  certificateFingerprint as fingerprintFromPem,
  derFingerprint,
} from "../../shared/cert_fingerprint.ts";
import { isIP } from "node:net";
import { join } from "node:path";

/** File name of the server certificate inside its directory. */
export const CERT_FILE_NAME = "tcpchat-cert.pem";
/** File name of the server private key inside its directory. */
export const KEY_FILE_NAME = "tcpchat-key.pem";

/** Validity assumed for a new certificate when none is given, in days. */
export const DEFAULT_VALID_DAYS = 3650;

// A client whose clock is a little behind the server's must still accept a
// certificate made a moment ago, so notBefore is set this far in the past.
const BACKDATE_MS = 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

const EC_KEY_ALGORITHM: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

/** Options for {@linkcode generateSelfSignedCertificate}. */
export interface GenerateCertificateOptions {
  /**
   * DNS names to add to the subjectAltName, besides `localhost`.
   * @default {[]}
   */
  hostnames?: string[];
  /**
   * IP addresses to add to the subjectAltName, besides `127.0.0.1` and `::1`.
   * @default {[]}
   */
  ipAddresses?: string[];
  /**
   * The moment the certificate is made; validity is counted from here.
   * @default {new Date()}
   */
  now?: Date;
  /**
   * How many days the certificate stays valid.
   * @default {3650}
   */
  validDays?: number;
}

/** A certificate with its private key, both PEM, and its fingerprint. */
export interface GeneratedCertificate {
  /** The certificate, PEM ("-----BEGIN CERTIFICATE-----"). */
  certPem: string;
  /** The private key, PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"). */
  keyPem: string;
  /** SHA-256 of the certificate DER, as from {@linkcode certificateFingerprint}. */
  fingerprint: string;
}

/** A server certificate as loaded from or written to its directory. */
export interface ServerCertificate extends GeneratedCertificate {
  /** Whether the files were made by this call rather than found. */
  created: boolean;
  /** Path of the certificate file. */
  certPath: string;
  /** Path of the private key file. */
  keyPath: string;
}

/**
 * Makes a self-signed ECDSA P-256 certificate for a TLS server.
 *
 * The subjectAltName holds DNS `localhost`, IP `127.0.0.1` and `::1` and
 * whatever `options` adds. basicConstraints is CA:FALSE (critical), as
 * rustls refuses a CA certificate presented as the end entity.
 *
 * @example Make a certificate for one extra host name
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSelfSignedCertificate } from "./tls_cert.ts";
 *
 * const { certPem, keyPem, fingerprint } = await generateSelfSignedCertificate({
 *   hostnames: ["chat.example"],
 * });
 * assert.match(certPem, /^-----BEGIN CERTIFICATE-----/);
 * assert.match(keyPem, /^-----BEGIN PRIVATE KEY-----/);
 * assert.match(fingerprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
 * ```
 *
 * @param options Names, addresses and validity.
 * @returns The certificate and PKCS#8 key as PEM, with the fingerprint.
 * @throws {TypeError} If a host name or IP address is not valid.
 * @throws {RangeError} If `validDays` is not a positive number.
 */
export async function generateSelfSignedCertificate(
  options: GenerateCertificateOptions = {},
): Promise<GeneratedCertificate> {
  const {
    hostnames = [],
    ipAddresses = [],
    now = new Date(),
    validDays = DEFAULT_VALID_DAYS,
  } = options;
  if (!(validDays > 0) || !Number.isFinite(validDays)) {
    throw new RangeError(
      `Cannot make certificate: validDays ${validDays} is not a positive number`,
    );
  }
  if (Number.isNaN(now.getTime())) {
    throw new RangeError("Cannot make certificate: now is an invalid date");
  }
  const dnsNames = unique(["localhost", ...hostnames.map(checkHostname)]);
  const ips = unique(["127.0.0.1", "::1", ...ipAddresses.map(checkIp)]);

  const keys = await crypto.subtle.generateKey(EC_KEY_ALGORITHM, true, [
    "sign",
    "verify",
  ]);
  const serialNumber = randomSerialNumber();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber,
    // A name of its own per certificate: with one shared name, rustls takes
    // a different pinned certificate for this one's issuer and reports a
    // confusing "BadSignature" instead of "UnknownIssuer".
    name: `CN=TCPChat server ${serialNumber.slice(0, 12)}`,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + validDays * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...dnsNames.map((value) => ({ type: "dns" as const, value })),
        ...ips.map((value) => ({ type: "ip" as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(
        keys.publicKey,
        false,
        crypto,
      ),
    ],
  }, crypto);
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  const certPem = toPemText(cert.toString("pem"));
  return {
    certPem,
    keyPem: toPemText(x509.PemConverter.encode(pkcs8, "PRIVATE KEY")),
    fingerprint: await derFingerprint(new Uint8Array(cert.rawData)),
  };
}

/**
 * Computes the SHA-256 fingerprint of a PEM certificate (re-exported from
 * `cert_fingerprint.ts`, which the client uses without this module's npm
 * packages). The certificate must also parse as X.509 here.
 *
 * @example Compare with a pinned fingerprint
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   certificateFingerprint,
 *   generateSelfSignedCertificate,
 * } from "./tls_cert.ts";
 *
 * const { certPem, fingerprint } = await generateSelfSignedCertificate();
 * assert.equal(await certificateFingerprint(certPem), fingerprint);
 * ```
 *
 * @param certPem A PEM certificate; only the first one is used.
 * @returns The fingerprint, 95 characters.
 * @throws {SyntaxError} If `certPem` holds no parsable certificate.
 */
export async function certificateFingerprint(certPem: string): Promise<string> {
  parseCertificate(certPem);
  return await fingerprintFromPem(certPem);
}

/** Options for {@linkcode loadOrCreateServerCertificate}. */
export type LoadOrCreateCertificateOptions = GenerateCertificateOptions;

/**
 * Loads `tcpchat-cert.pem` and `tcpchat-key.pem` from `dir`, or makes and
 * writes a new pair if neither exists. Existing files are never overwritten.
 * The key file is created with mode 0600 (except on Windows, which has no
 * such modes).
 *
 * @param dir Directory holding the pair; created if missing.
 * @param options Used only when a new certificate is made.
 * @returns The certificate, key, fingerprint and paths, and whether it was made now.
 * @throws {Error} If only one of the two files exists, or they cannot be
 * read, do not parse or do not belong together; the message names the files.
 */
export async function loadOrCreateServerCertificate(
  dir: string,
  options: LoadOrCreateCertificateOptions = {},
): Promise<ServerCertificate> {
  const certPath = join(dir, CERT_FILE_NAME);
  const keyPath = join(dir, KEY_FILE_NAME);
  const [certText, keyText] = await Promise.all([
    readIfExists(certPath),
    readIfExists(keyPath),
  ]);

  if (certText !== undefined && keyText !== undefined) {
    const fingerprint = await checkPair(certText, keyText, certPath, keyPath);
    return {
      certPem: certText,
      keyPem: keyText,
      fingerprint,
      created: false,
      certPath,
      keyPath,
    };
  }
  if (certText !== undefined || keyText !== undefined) {
    const [present, missing] = certText !== undefined
      ? [certPath, keyPath]
      : [keyPath, certPath];
    throw new Error(
      `Cannot load TLS certificate: "${present}" exists but "${missing}" does not; ` +
        `restore the missing file, or move "${present}" away to make a new pair ` +
        `(clients that trusted the old certificate will then warn)`,
    );
  }

  const made = await generateSelfSignedCertificate(options);
  await Deno.mkdir(dir, { recursive: true });
  await writeNew(keyPath, made.keyPem, true);
  try {
    await writeNew(certPath, made.certPem, false);
  } catch (error) {
    // Leave no half pair behind: the key was created by this call just now.
    await Deno.remove(keyPath).catch(() => {});
    throw error;
  }
  return { ...made, created: true, certPath, keyPath };
}

/**
 * Lists this machine's own IP addresses, to add to the certificate's
 * subjectAltName. Loopback and link-local addresses are left out.
 *
 * Returns `[]` without asking when the `sys` permission for
 * `networkInterfaces` is not already granted, so a server started without
 * `--allow-sys` neither fails nor stops at a permission prompt.
 *
 * @returns Distinct addresses, IPv4 first as the system lists them.
 */
export function localAddresses(): string[] {
  try {
    const status = Deno.permissions.querySync({
      name: "sys",
      kind: "networkInterfaces",
    });
    if (status.state !== "granted") return [];
    const addresses = Deno.networkInterfaces()
      .map((info) => info.address)
      .filter((address) =>
        isIP(address) !== 0 && !isLoopbackOrLinkLocal(address)
      );
    return unique(addresses);
  } catch {
    // Sandboxes and some platforms refuse to list interfaces; the SANs then
    // hold only the loopback names.
    return [];
  }
}

function isLoopbackOrLinkLocal(address: string): boolean {
  const lower = address.toLowerCase();
  return lower.startsWith("127.") || lower === "::1" ||
    lower.startsWith("169.254.") || /^fe[89ab]/.test(lower) ||
    lower.includes("%");
}

function checkHostname(name: string): string {
  // DNS names as rustls matches them: letters, digits, hyphens, dots, and
  // an optional leading wildcard label.
  if (
    !/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/
      .test(name) || name.length > 253
  ) {
    throw new TypeError(
      `Cannot make certificate: "${name}" is not a valid host name`,
    );
  }
  return name.toLowerCase();
}

function checkIp(address: string): string {
  // The certificate library parses dotted and colon-hex forms only, so IPv6
  // with an embedded IPv4 tail or a zone index is refused here, clearly.
  const version = isIP(address);
  if (
    version === 0 || address.includes("%") ||
    (version === 6 && address.includes("."))
  ) {
    throw new TypeError(
      `Cannot make certificate: "${address}" is not a valid IP address`,
    );
  }
  return address.toLowerCase();
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function randomSerialNumber(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  // A positive INTEGER without a redundant leading zero byte (RFC 5280 4.1.2.2).
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function parseCertificate(certPem: string): x509.X509Certificate {
  if (!certPem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new SyntaxError(
      "Cannot read certificate: no PEM CERTIFICATE block found",
    );
  }
  try {
    return new x509.X509Certificate(certPem);
  } catch (error) {
    throw new SyntaxError(`Cannot read certificate: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

// Normalizes the library's PEM (CRLF line ends on some versions) to LF text
// ending in one newline, which is what rustls and openssl both read.
function toPemText(pem: string): string {
  return pem.replace(/\r\n/g, "\n").trimEnd() + "\n";
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`Cannot read "${path}": ${messageOf(error)}`, {
      cause: error,
    });
  }
}

async function writeNew(path: string, data: string, secret: boolean) {
  const options: Deno.WriteFileOptions = { createNew: true };
  if (secret && Deno.build.os !== "windows") options.mode = 0o600;
  try {
    await Deno.writeTextFile(path, data, options);
  } catch (error) {
    throw new Error(`Cannot create "${path}": ${messageOf(error)}`, {
      cause: error,
    });
  }
}

// Returns the certificate's fingerprint once the pair is known to be usable.
async function checkPair(
  certText: string,
  keyText: string,
  certPath: string,
  keyPath: string,
): Promise<string> {
  const fix =
    `; fix or restore the files, or move both away to make a new pair ` +
    `(clients that trusted the old certificate will then warn)`;
  let cert: x509.X509Certificate;
  try {
    cert = parseCertificate(certText);
  } catch (error) {
    throw new Error(
      `Cannot load TLS certificate "${certPath}": ${messageOf(error)}${fix}`,
      { cause: error },
    );
  }
  const keyBlock =
    /-----BEGIN (PRIVATE KEY|EC PRIVATE KEY|RSA PRIVATE KEY)-----\s*([A-Za-z0-9+/=\s]+?)\s*-----END \1-----/
      .exec(keyText);
  if (keyBlock === null) {
    throw new Error(
      `Cannot load TLS private key "${keyPath}": no PEM private key block found${fix}`,
    );
  }
  const cause = await keyMismatch(cert, keyBlock[1]!, keyBlock[2]!);
  if (cause !== undefined) {
    throw new Error(
      `Cannot load TLS certificate: private key "${keyPath}" is unreadable or does not belong to ` +
        `certificate "${certPath}"${fix}`,
      { cause },
    );
  }
  return await derFingerprint(new Uint8Array(cert.rawData));
}

// For the P-256 PKCS#8 keys this module writes, proves the key signs what the
// certificate's public key verifies. Other key types are left to rustls.
// Returns undefined when they match (or cannot be checked here).
async function keyMismatch(
  cert: x509.X509Certificate,
  label: string,
  base64: string,
): Promise<unknown> {
  const algorithm = cert.publicKey.algorithm as Partial<EcKeyAlgorithm>;
  if (
    label !== "PRIVATE KEY" || algorithm.name !== "ECDSA" ||
    algorithm.namedCurve !== "P-256"
  ) {
    return undefined;
  }
  try {
    const der = Uint8Array.from(
      atob(base64.replace(/\s+/g, "")),
      (c) => c.charCodeAt(0),
    );
    const privateKey = await crypto.subtle.importKey(
      "pkcs8",
      der,
      EC_KEY_ALGORITHM,
      false,
      ["sign"],
    );
    const publicKey = await cert.publicKey.export(
      EC_KEY_ALGORITHM,
      ["verify"],
      crypto,
    );
    const probe = new TextEncoder().encode("tcpchat key check");
    const signature = await crypto.subtle.sign(
      SIGNING_ALGORITHM,
      privateKey,
      probe,
    );
    const ok = await crypto.subtle.verify(
      SIGNING_ALGORITHM,
      publicKey,
      signature,
      probe,
    );
    return ok ? undefined : new Error("Signature check failed");
  } catch (error) {
    return error;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
