import assert from "node:assert/strict";
import { type FrontConn, TlsFront } from "../../../lib/server/net/tls_front.ts";
import { generateSelfSignedCertificate } from "../../../lib/server/net/tls_cert.ts";

const { certPem, keyPem } = await generateSelfSignedCertificate();
const encoder = new TextEncoder();
const decoder = new TextDecoder();

const SANITIZE = { sanitizeOps: true, sanitizeResources: true } as const;

/** A front on 127.0.0.1 that fails the test on any unexpected error. */
function listenFront(): { front: TlsFront; errors: unknown[] } {
  const errors: unknown[] = [];
  const front = TlsFront.listen({
    hostname: "127.0.0.1",
    port: 0,
    certPem,
    keyPem,
    onError: (error) => errors.push(error),
  });
  return { front, errors };
}

function connectClient(front: TlsFront): Promise<Deno.TlsConn> {
  return Deno.connectTls({
    hostname: "127.0.0.1",
    port: front.addr.port,
    caCerts: [certPem],
  });
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await conn.write(bytes.subarray(written));
  }
}

/** Reads up to and including the next "\n"; reads one byte at a time. */
async function readLine(conn: Deno.Conn): Promise<string | null> {
  const byte = new Uint8Array(1);
  const bytes: number[] = [];
  while (true) {
    const n = await conn.read(byte);
    if (n === null) {
      return bytes.length === 0 ? null : decoder.decode(new Uint8Array(bytes));
    }
    bytes.push(byte[0]!);
    if (byte[0] === 0x0a) return decoder.decode(new Uint8Array(bytes));
  }
}

async function readExactly(
  conn: Deno.Conn,
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const n = await conn.read(out.subarray(filled));
    if (n === null) throw new Error(`EOF after ${filled} of ${length} bytes`);
    filled += n;
  }
  return out;
}

/**
 * Reads until the connection ends, discarding data; returns how it ended:
 * EOF, a reset, or (TLS only) EOF without a close_notify.
 */
async function readUntilClosed(
  conn: Deno.Conn,
): Promise<"eof" | "reset" | "truncated"> {
  const buf = new Uint8Array(1024);
  try {
    while ((await conn.read(buf)) !== null) {
      // Discard: a TLS alert may come before the end.
    }
    return "eof";
  } catch (error) {
    if (error instanceof Deno.errors.ConnectionReset) return "reset";
    if (error instanceof Deno.errors.UnexpectedEof) return "truncated";
    throw error;
  }
}

/** Rejects if `promise` has not settled within `ms`. */
async function within<T>(
  ms: number,
  label: string,
  promise: Promise<T>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out: ${label} (${ms} ms)`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function finish(front: FrontConn): Promise<void> {
  front.abort();
  try {
    front.conn.close();
  } catch {
    // Closed by the test already.
  }
  return front.closed;
}

/** Open file descriptors of this process, where Linux's /proc tells. */
function openFdCount(): number | undefined {
  try {
    return Array.from(Deno.readDirSync("/proc/self/fd")).length;
  } catch {
    return undefined;
  }
}

function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

Deno.test({
  name: "TlsFront relays lines and a 1 MiB payload both ways",
  ...SANITIZE,
  async fn() {
    const { front, errors } = listenFront();
    await using _front = front;
    const [server, client] = await Promise.all([
      front.accept(),
      connectClient(front),
    ]);
    try {
      await writeAll(client, encoder.encode("hello\n"));
      assert.equal(await readLine(server.conn), "hello\n");
      await writeAll(server.conn, encoder.encode("welcome hello\n"));
      assert.equal(await readLine(client), "welcome hello\n");

      const size = 1024 * 1024;
      const up = pattern(size, 7);
      const [, received] = await Promise.all([
        writeAll(client, up),
        readExactly(server.conn, size),
      ]);
      assert.deepEqual(received, up);
      const down = pattern(size, 11);
      const [, echoed] = await Promise.all([
        writeAll(server.conn, down),
        readExactly(client, size),
      ]);
      assert.deepEqual(echoed, down);

      await writeAll(server.conn, encoder.encode("bye\n"));
      assert.equal(await readLine(client), "bye\n");
      client.close();
      // The relay ends when the client leaves, so the server reads the end.
      const end = await server.conn.read(new Uint8Array(16)).then(
        (n) => n,
        (error: unknown) => error,
      );
      assert.ok(
        end === null || end instanceof Deno.errors.UnexpectedEof,
        `expected EOF, got ${end}`,
      );
      await within(1000, "relay teardown", server.closed);
    } finally {
      await finish(server);
    }
    assert.deepEqual(errors, []);
  },
});

Deno.test({
  name: "TlsFront gives remoteAddr as the client's real address",
  ...SANITIZE,
  async fn() {
    const { front, errors } = listenFront();
    await using _front = front;
    const [server, client] = await Promise.all([
      front.accept(),
      connectClient(front),
    ]);
    try {
      const local = client.localAddr;
      assert.equal(server.remoteAddr.transport, "tcp");
      assert.equal(server.remoteAddr.hostname, local.hostname);
      assert.equal(server.remoteAddr.port, local.port);
      // Not the internal relay socket's address.
      assert.notEqual(server.remoteAddr.port, server.conn.remoteAddr.port);
      await writeAll(client, encoder.encode("ping\n"));
      assert.equal(await readLine(server.conn), "ping\n");
    } finally {
      client.close();
      await finish(server);
    }
    assert.deepEqual(errors, []);
  },
});

Deno.test({
  name: "FrontConn.abort() ends a client that never sends a ClientHello",
  ...SANITIZE,
  async fn() {
    const { front, errors } = listenFront();
    await using _front = front;
    const fdsBefore = openFdCount();
    const [server, client] = await Promise.all([
      front.accept(),
      Deno.connect({ hostname: "127.0.0.1", port: front.addr.port }),
    ]);
    try {
      // The server waits for the login line, as at its deadline.
      const serverRead = server.conn.read(new Uint8Array(64)).then(
        (n) => n,
        (error: unknown) => error,
      );
      const clientEnd = readUntilClosed(client);
      // Let the handshake start and stall on the silent peer.
      await new Promise((resolve) => setTimeout(resolve, 50));

      server.abort();
      server.conn.close();
      assert.ok(
        ["eof", "reset"].includes(
          await within(1000, "client sees end", clientEnd),
        ),
      );
      const ended = await within(1000, "server read ends", serverRead);
      assert.ok(ended === null || ended instanceof Error, `got ${ended}`);
      await within(1000, "relay teardown", server.closed);
      server.abort(); // Idempotent.
      // Regression check for denoland/deno#14547: with the client still
      // connected, every server-side descriptor (public socket, relay socket
      // and the stalled TLS connection) is released.
      if (openFdCount() !== undefined) {
        await within(
          1000,
          "descriptors released",
          async function () {
            while (openFdCount()! > fdsBefore! + 1) {
              await new Promise((resolve) => setTimeout(resolve, 10));
            }
          }(),
        );
      }
    } finally {
      client.close();
      await finish(server);
    }
    assert.deepEqual(errors, []);
  },
});

Deno.test({
  name: "TlsFront fails the handshake of a plain-text client and closes it",
  ...SANITIZE,
  async fn() {
    const { front, errors } = listenFront();
    await using _front = front;
    const [server, client] = await Promise.all([
      front.accept(),
      Deno.connect({ hostname: "127.0.0.1", port: front.addr.port }),
    ]);
    try {
      await writeAll(client, encoder.encode("LOGIN alice secret\r\n"));
      await assert.rejects(
        server.conn.read(new Uint8Array(64)),
        Deno.errors.InvalidData,
      );
      // Closing the failed TLS connection alone ends the relay.
      server.conn.close();
      assert.ok(
        ["eof", "reset"].includes(
          await within(1000, "client sees end", readUntilClosed(client)),
        ),
      );
      await within(1000, "relay teardown", server.closed);
    } finally {
      client.close();
      await finish(server);
    }
    assert.deepEqual(errors, []);
  },
});

Deno.test({
  name: "TlsFront.close() ends accept() with BadResource and tears down relays",
  ...SANITIZE,
  async fn() {
    const { front, errors } = listenFront();
    const [server, client] = await Promise.all([
      front.accept(),
      connectClient(front),
    ]);
    try {
      await writeAll(client, encoder.encode("hi\n"));
      assert.equal(await readLine(server.conn), "hi\n");

      const pending = front.accept();
      const iterated = Array.fromAsync(front);
      front.close();
      front.close(); // Idempotent.
      await assert.rejects(pending, Deno.errors.BadResource);
      await assert.rejects(front.accept(), Deno.errors.BadResource);
      assert.deepEqual(await iterated, []);

      await within(1000, "relay teardown", server.closed);
      assert.ok(
        ["truncated", "reset"].includes(
          await within(1000, "client sees end", readUntilClosed(client)),
        ),
      );
      const end = await server.conn.read(new Uint8Array(16)).then(
        (n) => n,
        (error: unknown) => error,
      );
      assert.ok(end === null || end instanceof Error, `got ${end}`);
      await assert.rejects(
        Deno.connect({ hostname: "127.0.0.1", port: front.addr.port }),
        Deno.errors.ConnectionRefused,
      );
    } finally {
      client.close();
      await finish(server);
      await front[Symbol.asyncDispose]();
    }
    assert.deepEqual(errors, []);
  },
});

Deno.test({
  name: "TlsFront matches 100 concurrent TLS clients to their own connections",
  ...SANITIZE,
  async fn() {
    const { front, errors } = listenFront();
    await using _front = front;
    const count = 100;

    async function serve(client: FrontConn): Promise<void> {
      try {
        const line = await readLine(client.conn);
        await writeAll(
          client.conn,
          encoder.encode(`${client.remoteAddr.port} ${line}`),
        );
        // Wait for the client to leave.
        assert.equal(await readLine(client.conn), null);
      } finally {
        await finish(client);
      }
    }
    const serving = (async () => {
      const handlers: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        handlers.push(serve(await front.accept()));
      }
      await Promise.all(handlers);
    })();

    async function talk(i: number): Promise<void> {
      using client = await connectClient(front);
      await writeAll(client, encoder.encode(`client ${i}\n`));
      assert.equal(
        await readLine(client),
        `${client.localAddr.port} client ${i}\n`,
      );
    }
    await within(
      10_000,
      "100 clients",
      Promise.all([
        serving,
        Promise.all(Array.from({ length: count }, (_, i) => talk(i))),
      ]),
    );
    assert.deepEqual(errors, []);
  },
});
