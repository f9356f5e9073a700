import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import assert from "node:assert/strict";
import { isIP } from "node:net";
import { join } from "node:path";
import {
  CERT_FILE_NAME,
  certificateFingerprint,
  type GeneratedCertificate,
  generateSelfSignedCertificate,
  KEY_FILE_NAME,
  loadOrCreateServerCertificate,
  localAddresses,
} from "../../../lib/server/net/tls_cert.ts";
import { tempDir } from "../../_util.ts";

const FINGERPRINT = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

// Made once: key generation is cheap, but each test reads better with names.
const serverCert = await generateSelfSignedCertificate();
const otherCert = await generateSelfSignedCertificate();

async function readLine(conn: Deno.Conn): Promise<string> {
  const buf = new Uint8Array(256);
  let text = "";
  while (!text.includes("\n")) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  return text;
}

/** Serves one TLS connection that answers a line with "pong <line>". */
async function exchangeLine(
  hostname: string,
  served: GeneratedCertificate,
  trusted: string,
): Promise<string> {
  using listener = Deno.listenTls({
    hostname,
    port: 0,
    cert: served.certPem,
    key: served.keyPem,
  });
  const serving = (async () => {
    using conn = await listener.accept();
    const line = await readLine(conn);
    await conn.write(new TextEncoder().encode(`pong ${line}`));
  })();
  try {
    using conn = await Deno.connectTls({
      hostname,
      port: listener.addr.port,
      caCerts: [trusted],
    });
    await conn.handshake();
    await conn.write(new TextEncoder().encode("ping\n"));
    const reply = await readLine(conn);
    await serving;
    return reply;
  } catch (error) {
    // The client connection is closed by now, so the server side ends too.
    await serving.catch(() => {});
    throw error;
  }
}

Deno.test("generateSelfSignedCertificate() handshakes on 127.0.0.1 when trusted", async () => {
  assert.equal(
    await exchangeLine("127.0.0.1", serverCert, serverCert.certPem),
    "pong ping\n",
  );
});

Deno.test("generateSelfSignedCertificate() handshakes on localhost when trusted", async () => {
  assert.equal(
    await exchangeLine("localhost", serverCert, serverCert.certPem),
    "pong ping\n",
  );
});

Deno.test("generateSelfSignedCertificate() handshakes on an extra IP address", async (t) => {
  // 127.0.0.2 is loopback on Linux only; elsewhere this SAN cannot be tried.
  if (Deno.build.os !== "linux") return;
  const cert = await generateSelfSignedCertificate({
    ipAddresses: ["127.0.0.2"],
  });
  await t.step("accepted for the added address", async () => {
    assert.equal(
      await exchangeLine("127.0.0.2", cert, cert.certPem),
      "pong ping\n",
    );
  });
  await t.step("refused for an address that is not in it", async () => {
    await assert.rejects(
      exchangeLine("127.0.0.2", serverCert, serverCert.certPem),
      /certificate not valid for name "127.0.0.2"/,
    );
  });
});

Deno.test("generateSelfSignedCertificate() is refused by a client trusting another certificate", async () => {
  using listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: serverCert.certPem,
    key: serverCert.keyPem,
  });
  const serving = (async () => {
    using conn = await listener.accept();
    // The client aborts the handshake, so the server side fails as well.
    await assert.rejects(conn.handshake());
  })();
  using conn = await Deno.connectTls({
    hostname: "127.0.0.1",
    port: listener.addr.port,
    caCerts: [otherCert.certPem],
  });
  await assert.rejects(conn.handshake(), (error: Error) => {
    assert.ok(error instanceof Deno.errors.InvalidData, error.name);
    assert.match(error.message, /invalid peer certificate: UnknownIssuer/);
    return true;
  });
  await serving;
});

Deno.test("generateSelfSignedCertificate() writes an end-entity ECDSA P-256 server certificate", async () => {
  const now = new Date(Date.UTC(2026, 0, 1));
  const made = await generateSelfSignedCertificate({
    hostnames: ["Chat.Example"],
    ipAddresses: ["192.0.2.7", "2001:db8::1"],
    now,
    validDays: 30,
  });
  const cert = new x509.X509Certificate(made.certPem);
  assert.match(
    made.keyPem,
    /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n$/,
  );
  assert.match(
    made.certPem,
    /^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n$/,
  );
  assert.equal(await cert.isSelfSigned(crypto), true);
  assert.deepEqual(
    { ...(cert.publicKey.algorithm as EcKeyAlgorithm) },
    { name: "ECDSA", namedCurve: "P-256" },
  );
  assert.ok(cert.notBefore.getTime() < now.getTime());
  assert.equal(cert.notAfter.getTime(), now.getTime() + 30 * 86_400_000);

  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  assert.equal(basic?.ca, false);
  assert.equal(basic?.critical, true);
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  assert.equal(usage?.usages, x509.KeyUsageFlags.digitalSignature);
  const extended = cert.getExtension(x509.ExtendedKeyUsageExtension);
  assert.deepEqual([...extended!.usages], [x509.ExtendedKeyUsage.serverAuth]);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  assert.deepEqual(san?.names.toJSON(), [
    { type: "dns", value: "localhost" },
    { type: "dns", value: "chat.example" },
    { type: "ip", value: "127.0.0.1" },
    { type: "ip", value: "::1" },
    { type: "ip", value: "192.0.2.7" },
    { type: "ip", value: "2001:db8::1" },
  ]);
});

Deno.test("generateSelfSignedCertificate() gives each certificate a new key and serial", () => {
  const a = new x509.X509Certificate(serverCert.certPem);
  const b = new x509.X509Certificate(otherCert.certPem);
  assert.notEqual(a.serialNumber, b.serialNumber);
  assert.notEqual(serverCert.keyPem, otherCert.keyPem);
  assert.notEqual(serverCert.fingerprint, otherCert.fingerprint);
});

Deno.test("generateSelfSignedCertificate() rejects bad names and validity", async (t) => {
  const cases: [string, Parameters<typeof generateSelfSignedCertificate>[0]][] =
    [
      ["a host name with a space", { hostnames: ["bad host"] }],
      ["an IP address with a bad part", { ipAddresses: ["300.1.1.1"] }],
      ["an IP address with a zone", { ipAddresses: ["fe80::1%eth0"] }],
      ["zero days", { validDays: 0 }],
      ["an invalid date", { now: new Date(NaN) }],
    ];
  for (const [name, options] of cases) {
    await t.step(name, async () => {
      await assert.rejects(
        generateSelfSignedCertificate(options),
        (error: Error) =>
          error instanceof TypeError || error instanceof RangeError,
      );
    });
  }
});

Deno.test("certificateFingerprint() matches openssl's SHA-256 format and is stable", async () => {
  const fingerprint = await certificateFingerprint(serverCert.certPem);
  assert.match(fingerprint, FINGERPRINT);
  assert.equal(fingerprint, serverCert.fingerprint);
  assert.equal(await certificateFingerprint(serverCert.certPem), fingerprint);
  // Line ends and surrounding text do not change the DER.
  assert.equal(
    await certificateFingerprint(
      "subject=x\r\n" + serverCert.certPem.replaceAll("\n", "\r\n"),
    ),
    fingerprint,
  );
  // Independent check: SHA-256 over the base64-decoded PEM body.
  const body = serverCert.certPem.replace(/-----[^-]+-----|\s/g, "");
  const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", der));
  assert.equal(
    fingerprint,
    Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join(":")
      .toUpperCase(),
  );
});

Deno.test("certificateFingerprint() rejects text that is not a certificate", async () => {
  await assert.rejects(certificateFingerprint("hello"), SyntaxError);
  await assert.rejects(
    certificateFingerprint(
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ),
    SyntaxError,
  );
});

Deno.test("loadOrCreateServerCertificate() creates a pair once and then reuses it", async () => {
  await using dir = await tempDir();
  const certDir = join(dir.path, "nested", "certs");
  const first = await loadOrCreateServerCertificate(certDir);
  assert.equal(first.created, true);
  assert.equal(first.certPath, join(certDir, CERT_FILE_NAME));
  assert.equal(first.keyPath, join(certDir, KEY_FILE_NAME));
  assert.equal(await Deno.readTextFile(first.certPath), first.certPem);
  assert.equal(await Deno.readTextFile(first.keyPath), first.keyPem);
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(first.keyPath)).mode! & 0o777, 0o600);
  }

  const second = await loadOrCreateServerCertificate(certDir, {
    hostnames: ["ignored.example"],
  });
  assert.equal(second.created, false);
  assert.equal(second.fingerprint, first.fingerprint);
  assert.equal(second.certPem, first.certPem);
  assert.equal(second.keyPem, first.keyPem);

  // The reused pair still serves TLS.
  assert.equal(
    await exchangeLine("127.0.0.1", second, first.certPem),
    "pong ping\n",
  );
});

Deno.test("loadOrCreateServerCertificate() refuses half a pair and leaves it alone", async (t) => {
  for (const present of [CERT_FILE_NAME, KEY_FILE_NAME]) {
    await t.step(`only ${present}`, async () => {
      await using dir = await tempDir();
      const text = present === CERT_FILE_NAME
        ? serverCert.certPem
        : serverCert.keyPem;
      await Deno.writeTextFile(join(dir.path, present), text);
      await assert.rejects(
        loadOrCreateServerCertificate(dir.path),
        (error: Error) => {
          assert.match(error.message, new RegExp(CERT_FILE_NAME));
          assert.match(error.message, new RegExp(KEY_FILE_NAME));
          assert.match(error.message, /does not/);
          return true;
        },
      );
      const names = [];
      for await (const entry of Deno.readDir(dir.path)) names.push(entry.name);
      assert.deepEqual(names, [present]);
      assert.equal(await Deno.readTextFile(join(dir.path, present)), text);
    });
  }
});

Deno.test("loadOrCreateServerCertificate() refuses files that do not parse or match", async (t) => {
  const cases: [string, string, string, RegExp][] = [
    [
      "a garbled certificate",
      "not a certificate\n",
      serverCert.keyPem,
      /tcpchat-cert\.pem/,
    ],
    ["a garbled key", serverCert.certPem, "not a key\n", /tcpchat-key\.pem/],
    [
      "a key from another pair",
      serverCert.certPem,
      otherCert.keyPem,
      /does not belong/,
    ],
  ];
  for (const [name, certText, keyText, pattern] of cases) {
    await t.step(name, async () => {
      await using dir = await tempDir();
      const certPath = join(dir.path, CERT_FILE_NAME);
      const keyPath = join(dir.path, KEY_FILE_NAME);
      await Deno.writeTextFile(certPath, certText);
      await Deno.writeTextFile(keyPath, keyText);
      await assert.rejects(
        loadOrCreateServerCertificate(dir.path),
        (error: Error) => {
          assert.match(error.message, pattern);
          assert.match(error.message, /move both away/);
          return true;
        },
      );
      assert.equal(await Deno.readTextFile(certPath), certText);
      assert.equal(await Deno.readTextFile(keyPath), keyText);
    });
  }
});

Deno.test("localAddresses() lists only non-loopback IP addresses", () => {
  const addresses = localAddresses();
  assert.ok(Array.isArray(addresses));
  for (const address of addresses) {
    assert.notEqual(isIP(address), 0, address);
    assert.ok(!address.startsWith("127.") && address !== "::1", address);
  }
  assert.equal(new Set(addresses).size, addresses.length);
});
