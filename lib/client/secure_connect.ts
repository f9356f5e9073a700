/**
 * The client's way to an encrypted connection.
 *
 * Deno cannot skip certificate checks per connection, so trust on first use
 * works like this: connect in clear text, read `HELLO` (which names the TLS
 * port), ask `CERT` for the server's certificate, check its SHA-256
 * fingerprint against the known-servers file (or ask the user on first
 * use), then connect with TLS trusting that certificate alone. With `--ca`
 * the operator's certificate is trusted directly and `CERT` is not asked.
 *
 * @module
 */

import {
  ConnectError,
  type ConnectOptions,
  ServerConnection,
} from "./connection.ts";
import type { KnownServers } from "./known_servers.ts";
import { derToPem } from "../protocol/protocol.ts";
import { certificateFingerprint } from "../shared/cert_fingerprint.ts";

/** A server certificate that does not match the remembered fingerprint. */
export class FingerprintMismatchError extends ConnectError {
  /** The fingerprint remembered from earlier connections. */
  readonly expected: string;
  /** The fingerprint the server shows now. */
  readonly actual: string;

  /** Creates the error. */
  constructor(server: string, expected: string, actual: string) {
    super(
      `Cannot trust ${server}: its certificate fingerprint changed from ${expected} to ${actual}`,
    );
    this.name = "FingerprintMismatchError";
    this.expected = expected;
    this.actual = actual;
  }
}

/** The user declined to trust a new server certificate. */
export class TrustDeclinedError extends ConnectError {
  /** Creates the error. */
  constructor(server: string) {
    super(`Cannot connect to ${server}: the certificate was not trusted`);
    this.name = "TrustDeclinedError";
  }
}

/** Options for {@linkcode openSecureConnection}. */
export interface SecureConnectOptions extends ConnectOptions {
  /** PEM certificate(s) to trust (`--ca`); skips `CERT` and the known-servers file. */
  ca?: string[];
  /** TLS port; by default the one the server announces in `HELLO`. */
  tlsPort?: number;
  /** Remembered fingerprints, for trust on first use. */
  knownServers?: KnownServers;
  /** Asks the user whether to trust a first-seen certificate. */
  confirm?: (server: string, fingerprint: string) => Promise<boolean>;
}

/**
 * Opens an encrypted connection to the server whose plain port is `port`.
 *
 * @throws {ConnectError} when the server cannot be reached or has no TLS,
 * {@linkcode FingerprintMismatchError} when a remembered certificate
 * changed, {@linkcode TrustDeclinedError} when the user declines.
 */
export async function openSecureConnection(
  hostname: string,
  port: number,
  options: SecureConnectOptions = {},
): Promise<ServerConnection> {
  let tlsPort = options.tlsPort;
  let caCerts = options.ca;
  if (tlsPort === undefined || caCerts === undefined) {
    const plain = await ServerConnection.open(hostname, port, options);
    try {
      tlsPort ??= plain.greeting.tlsPort;
      if (tlsPort === undefined) {
        throw new ConnectError(
          `Cannot use TLS with ${hostname}:${port}: the server has no TLS port`,
        );
      }
      if (caCerts === undefined) {
        const pem = await fetchCertificate(plain, hostname, port);
        // Keyed by the address the user gave, not the announced TLS port, so
        // a forged tls_port cannot buy a fresh first-use prompt.
        await checkTrust(pem, `${hostname}:${port}`, hostname, port, options);
        caCerts = [pem];
      }
    } finally {
      await plain.close();
    }
  }
  return await ServerConnection.open(hostname, tlsPort, {
    ...options,
    caCerts,
  });
}

async function fetchCertificate(
  plain: ServerConnection,
  hostname: string,
  port: number,
): Promise<string> {
  await plain.send({ type: "cert" });
  const reply = await plain.expect(["cert", "error"], 5000);
  if (reply?.type !== "cert") {
    throw new ConnectError(
      `Cannot use TLS with ${hostname}:${port}: ${
        reply?.type === "error" ? reply.message : "no certificate"
      }`,
    );
  }
  return derToPem(reply.der);
}

async function checkTrust(
  pem: string,
  server: string,
  hostname: string,
  port: number,
  options: SecureConnectOptions,
): Promise<void> {
  const fingerprint = await certificateFingerprint(pem);
  const known = options.knownServers?.lookup(hostname, port);
  if (known !== undefined) {
    if (known !== fingerprint) {
      throw new FingerprintMismatchError(server, known, fingerprint);
    }
    return;
  }
  const trusted = await options.confirm?.(server, fingerprint) ?? false;
  if (!trusted) throw new TrustDeclinedError(server);
  await options.knownServers?.remember(hostname, port, fingerprint);
}
