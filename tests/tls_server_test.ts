import assert from "node:assert/strict";
import { join } from "node:path";
import { startChatServer } from "../lib/server/net/chat_server.ts";
import {
  ConnectError,
  ServerConnection,
  TlsPortError,
} from "../lib/client/connection.ts";
import { ManualClock } from "../lib/shared/clock.ts";
import { KnownServers } from "../lib/client/known_servers.ts";
import {
  FingerprintMismatchError,
  openSecureConnection,
  TrustDeclinedError,
} from "../lib/client/secure_connect.ts";
import { SqliteStore } from "../lib/store/sqlite/sqlite_store.ts";
import { generateSelfSignedCertificate } from "../lib/server/net/tls_cert.ts";
import { TestClient } from "./_client.ts";
import { tempDir } from "./_util.ts";

const certificate = await generateSelfSignedCertificate();
const stranger = await generateSelfSignedCertificate();

async function tlsServer(
  options: { requireTls?: boolean; clock?: ManualClock } = {},
) {
  const dir = await tempDir();
  const server = startChatServer({
    store: SqliteStore.open(join(dir.path, "chat.db")),
    hostname: "127.0.0.1",
    port: 0,
    hashIterations: 1000,
    tls: { certPem: certificate.certPem, keyPem: certificate.keyPem, port: 0 },
    requireTls: options.requireTls,
    clock: options.clock,
    sweepIntervalMs: options.clock === undefined ? undefined : 0,
  });
  return {
    server,
    port: server.addr.port,
    tlsPort: server.tlsAddr!.port,
    dir: dir.path,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await dir[Symbol.asyncDispose]();
    },
  };
}

Deno.test("TLS: a client trusting the certificate logs in and chats over TLS", async () => {
  await using s = await tlsServer();
  const conn = await ServerConnection.open("127.0.0.1", s.tlsPort, {
    caCerts: [certificate.certPem],
  });
  try {
    assert.equal(conn.greeting.tlsPort, s.tlsPort);
    await conn.send({
      type: "register",
      username: "alice",
      password: "password123",
    });
    assert.equal((await conn.next(5000))?.type, "register_success");
    await conn.send({
      type: "login",
      username: "alice",
      password: "password123",
    });
    assert.deepEqual(await conn.expect(["auth_success"], 5000), {
      type: "auth_success",
      username: "alice",
    });
  } finally {
    await conn.close();
  }
});

Deno.test("TLS: a certificate from another server is refused", async () => {
  await using s = await tlsServer();
  await assert.rejects(
    () =>
      ServerConnection.open("127.0.0.1", s.tlsPort, {
        caCerts: [stranger.certPem],
      }),
    ConnectError,
  );
  await assert.rejects(
    () => openSecureConnection("127.0.0.1", s.port, { ca: [stranger.certPem] }),
    ConnectError,
  );
});

Deno.test("TLS: trust on first use asks, remembers, and refuses a changed fingerprint", async () => {
  await using s = await tlsServer();
  await using dir = await tempDir();
  const path = join(dir.path, "known_servers");
  const asked: string[] = [];
  const known = await KnownServers.load(path);
  const first = await openSecureConnection("127.0.0.1", s.port, {
    knownServers: known,
    confirm: (_server, fingerprint) => {
      asked.push(fingerprint);
      return Promise.resolve(true);
    },
  });
  await first.close();
  assert.deepEqual(asked, [certificate.fingerprint]);
  // Second time: remembered, no question.
  const again = await openSecureConnection("127.0.0.1", s.port, {
    knownServers: await KnownServers.load(path),
    confirm: () => Promise.reject(new Error("must not ask again")),
  });
  await again.close();
  // A pinned fingerprint that does not match is refused loudly.
  const pinned = await KnownServers.load(join(dir.path, "pinned"));
  await pinned.remember("127.0.0.1", s.port, stranger.fingerprint);
  const mismatch = await openSecureConnection("127.0.0.1", s.port, {
    knownServers: pinned,
    confirm: () => Promise.resolve(true),
  }).then(
    () => undefined,
    (error) => error,
  );
  assert.ok(mismatch instanceof FingerprintMismatchError);
  assert.equal(mismatch.actual, certificate.fingerprint);
  // Declining on first use connects to nothing.
  await assert.rejects(
    () =>
      openSecureConnection("127.0.0.1", s.port, {
        knownServers: undefined,
        confirm: () => Promise.resolve(false),
      }),
    TrustDeclinedError,
  );
});

Deno.test("TLS: plain text sent to the TLS port closes only that connection", async () => {
  await using s = await tlsServer();
  const secure = await ServerConnection.open("127.0.0.1", s.tlsPort, {
    caCerts: [certificate.certPem],
  });
  try {
    await using plain = await TestClient.connect(s.tlsPort);
    await plain.send("LOGIN alice password123");
    await plain.closedByServer();
    await secure.send({ type: "ping", token: "still-here" });
    assert.deepEqual(await secure.expect(["pong"], 5000), {
      type: "pong",
      token: "still-here",
    });
  } finally {
    await secure.close();
  }
});

Deno.test("TLS: a client that never sends its ClientHello is closed at the login deadline", async () => {
  const clock = new ManualClock();
  await using s = await tlsServer({ clock });
  await using silent = await TestClient.connect(s.tlsPort);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(s.server.connectionCount, 1);
  clock.advance(60_000);
  s.server.sweep();
  await silent.closedByServer();
});

Deno.test("TLS: --require-tls keeps the plain port to HELLO, CERT and PING", async () => {
  await using s = await tlsServer({ requireTls: true });
  await using plain = await TestClient.connect(s.port);
  assert.match(
    await plain.next(),
    new RegExp(
      `^HELLO tcpchat/1 \\S+ min_password=8 tls_port=${s.tlsPort} tls_required=1$`,
    ),
  );
  await plain.send("LOGIN alice password123");
  assert.match(
    await plain.next(),
    new RegExp(`^ERROR tls_required .*${s.tlsPort}`),
  );
  await plain.send("PING x");
  assert.equal(await plain.next(), "PONG x");
  await plain.send("CERT");
  const cert = await plain.next();
  assert.match(cert, new RegExp(`^CERT ${s.tlsPort} [A-Za-z0-9+/]+=*$`));
});

Deno.test("TLS: CERT on a server without TLS says so", async () => {
  await using dir = await tempDir();
  const server = startChatServer({
    store: SqliteStore.open(join(dir.path, "chat.db")),
    hostname: "127.0.0.1",
    port: 0,
  });
  try {
    await using plain = await TestClient.connect(server.addr.port);
    assert.doesNotMatch(await plain.next(), /tls_port/);
    await plain.send("CERT");
    assert.match(await plain.next(), /^ERROR no_tls /);
  } finally {
    await server.shutdown();
  }
});

// Issue 12 item 17: a plain client is told at once what is wrong.
Deno.test("TLS: a plain client at the TLS port is told so at once (TlsPortError)", async () => {
  await using s = await tlsServer();
  const error = await ServerConnection.open("127.0.0.1", s.tlsPort, {
    tlsProbeMs: 0,
  }).then(() => undefined, (error) => error);
  assert.ok(error instanceof TlsPortError, String(error));
  assert.ok(error instanceof ConnectError);
});

Deno.test("TLS: HELLO on a --require-tls plain port says tls_required=1, and only there", async () => {
  await using strict = await tlsServer({ requireTls: true });
  const plain = await ServerConnection.open("127.0.0.1", strict.port);
  assert.equal(plain.greeting.tlsRequired, true);
  assert.equal(plain.greeting.tlsPort, strict.tlsPort);
  await plain.close();
  await using lax = await tlsServer();
  const other = await ServerConnection.open("127.0.0.1", lax.port);
  assert.equal(other.greeting.tlsRequired, false);
  await other.close();
});
