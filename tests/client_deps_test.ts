/**
 * The client starts from source with no network: its module graph holds no
 * npm package (the registry would be needed to fetch one), and the
 * fingerprint it computes without @peculiar/x509 is the one it always was.
 */
import assert from "node:assert/strict";
import {
  certificateDer,
  certificateFingerprint,
} from "../lib/shared/cert_fingerprint.ts";
import * as serverCert from "../lib/server/net/tls_cert.ts";

interface DenoInfo {
  modules: { specifier: string; kind?: string }[];
  redirects?: Record<string, string>;
}

Deno.test("client.ts's module graph has no npm package", async () => {
  const entry = new URL("../client.ts", import.meta.url);
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry.pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(info.code, 0, new TextDecoder().decode(info.stderr));
  const graph = JSON.parse(new TextDecoder().decode(info.stdout)) as DenoInfo;
  assert.ok(graph.modules.length > 10, "the graph was read");
  const npm = [
    ...graph.modules.map((m) => m.specifier),
    ...Object.keys(graph.redirects ?? {}),
  ].filter((specifier) => specifier.startsWith("npm:"));
  assert.deepEqual(npm, []);
  assert.deepEqual(
    graph.modules.filter((m) => m.kind === "npm").map((m) => m.specifier),
    [],
  );
});

Deno.test("certificateFingerprint() is SHA-256 of the DER, as openssl prints it", async () => {
  // 30 00: the smallest DER SEQUENCE; sha256 = e4f60d0a…7c95.
  const pem = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
  assert.equal(
    await certificateFingerprint(pem),
    "E4:F6:0D:0A:A6:D7:F3:D3:B6:A6:49:4B:1C:86:1B:99:" +
      "F6:49:C6:F9:EC:51:AB:AF:20:1B:20:F2:97:32:7C:95",
  );
});

Deno.test("certificateFingerprint() matches the server's for a generated certificate", async () => {
  const cert = await serverCert.generateSelfSignedCertificate();
  assert.equal(await certificateFingerprint(cert.certPem), cert.fingerprint);
  assert.equal(
    await serverCert.certificateFingerprint(cert.certPem),
    cert.fingerprint,
  );
});

Deno.test("certificateDer() refuses what is not one PEM certificate", async (t) => {
  for (
    const [name, pem] of [
      ["no block", "hello"],
      [
        "bad base64",
        "-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----",
      ],
      [
        "not a SEQUENCE",
        "-----BEGIN CERTIFICATE-----\nAgA=\n-----END CERTIFICATE-----",
      ],
      [
        "truncated",
        "-----BEGIN CERTIFICATE-----\nMAUB\n-----END CERTIFICATE-----",
      ],
    ]
  ) {
    await t.step(name!, () => {
      assert.throws(() => certificateDer(pem!), SyntaxError);
    });
  }
});
