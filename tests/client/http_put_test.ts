import assert from "node:assert/strict";
import { putWithLength } from "../../lib/client/http_put.ts";

/** A body of `size` bytes of a pattern, in `chunk`-byte pieces. */
function patternBody(
  size: number,
  chunk = 64 * 1024,
): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      const n = Math.min(chunk, size - sent);
      controller.enqueue(new Uint8Array(n).map((_, i) => (sent + i) % 251));
      sent += n;
    },
  });
}

Deno.test("putWithLength() sends the body with a Content-Length, not chunked, and reads the answer", async () => {
  let seen:
    | { length: string | null; chunked: string | null; bytes: number }
    | undefined;
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const bytes = (await request.arrayBuffer()).byteLength;
      seen = {
        length: request.headers.get("content-length"),
        chunked: request.headers.get("transfer-encoding"),
        bytes,
      };
      return Response.json(
        { got: bytes, path: new URL(request.url).pathname },
        {
          status: 201,
          headers: { "Upload-Offset": "7" },
        },
      );
    },
  );
  const answer = await putWithLength({
    url: `http://127.0.0.1:${server.addr.port}/files/12?x=1`,
    headers: { Authorization: "Bearer t" },
    length: 3_000_000,
    body: patternBody(3_000_000),
  });
  assert.equal(answer.status, 201);
  assert.deepEqual(JSON.parse(answer.text), {
    got: 3_000_000,
    path: "/files/12",
  });
  assert.equal(answer.headers.get("upload-offset"), "7");
  assert.deepEqual(seen, {
    length: "3000000",
    chunked: null,
    bytes: 3_000_000,
  });
});

Deno.test("putWithLength() returns an answer the server gave before reading the body", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      await request.body?.cancel();
      return Response.json({ error: "invalid_token" }, { status: 403 });
    },
  );
  const answer = await putWithLength({
    url: `http://127.0.0.1:${server.addr.port}/files/1`,
    headers: {},
    length: 64 * 1024 * 1024,
    body: patternBody(64 * 1024 * 1024),
  });
  assert.equal(answer.status, 403);
  assert.deepEqual(JSON.parse(answer.text), { error: "invalid_token" });
});

Deno.test("putWithLength() rejects with the abort's reason", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      await request.arrayBuffer().catch(() => {});
      return new Response("late");
    },
  );
  const stop = new AbortController();
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (++pulled === 4) stop.abort(new Error("stopped by the user"));
      controller.enqueue(new Uint8Array(64 * 1024));
    },
  });
  await assert.rejects(
    putWithLength({
      url: `http://127.0.0.1:${server.addr.port}/`,
      headers: {},
      length: 10 * 1024 * 1024,
      body,
      signal: stop.signal,
    }),
    /stopped by the user/,
  );
});

Deno.test("putWithLength() speaks HTTPS to a server whose certificate it is given", async () => {
  const { generateSelfSignedCertificate } = await import(
    "../../lib/server/net/tls_cert.ts"
  );
  const cert = await generateSelfSignedCertificate();
  await using server = Deno.serve(
    {
      hostname: "127.0.0.1",
      port: 0,
      cert: cert.certPem,
      key: cert.keyPem,
      onListen() {},
    },
    async (request) =>
      Response.json({ got: (await request.arrayBuffer()).byteLength }, {
        status: 201,
      }),
  );
  const answer = await putWithLength({
    url: `https://127.0.0.1:${server.addr.port}/files/3`,
    headers: {},
    length: 1_000_000,
    body: patternBody(1_000_000),
    caCerts: [cert.certPem],
  });
  assert.equal(answer.status, 201);
  assert.deepEqual(JSON.parse(answer.text), { got: 1_000_000 });
  // Without the certificate the connection is refused, not trusted.
  await assert.rejects(putWithLength({
    url: `https://127.0.0.1:${server.addr.port}/files/3`,
    headers: {},
    length: 10,
    body: patternBody(10),
  }));
});
