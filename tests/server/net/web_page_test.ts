/**
 * The web listener serving the browser page over real sockets on
 * 127.0.0.1: the files, their headers (policy, type, validators), 304s,
 * `HEAD`, refused methods, and HTTPS with the server's certificate when TLS
 * is on. The page's behaviour in a browser is tests/web/.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { startChatServer } from "../../../lib/server/net/chat_server.ts";
import { generateSelfSignedCertificate } from "../../../lib/server/net/tls_cert.ts";
import { PAGE_CSP } from "../../../lib/server/net/web_listener.ts";
import { SqliteStore } from "../../../lib/store/sqlite/sqlite_store.ts";
import { tempDir } from "../../_util.ts";

async function webServer(tls?: { certPem: string; keyPem: string }) {
  const dir = await tempDir();
  const server = startChatServer({
    store: SqliteStore.open(join(dir.path, "chat.db")),
    hostname: "127.0.0.1",
    port: 0,
    webPort: 0,
    hashIterations: 1000,
    sweepIntervalMs: 0,
    tls: tls === undefined ? undefined : { ...tls, port: 0 },
  });
  return {
    server,
    base: `${tls === undefined ? "http" : "https"}://127.0.0.1:${
      server.webAddr!.port
    }`,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await dir[Symbol.asyncDispose]();
    },
  };
}

Deno.test("web page: each file with its type, a strict policy, nosniff and a validator", async () => {
  await using s = await webServer();
  const expected: Array<[string, string]> = [
    ["/", "text/html; charset=utf-8"],
    ["/app.js", "text/javascript; charset=utf-8"],
    ["/style.css", "text/css; charset=utf-8"],
    ["/icon.svg", "image/svg+xml"],
  ];
  for (const [path, type] of expected) {
    const response = await fetch(s.base + path);
    const body = await response.text();
    assert.equal(response.status, 200, path);
    assert.equal(response.headers.get("content-type"), type, path);
    assert.equal(response.headers.get("content-security-policy"), PAGE_CSP);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    assert.equal(response.headers.get("cache-control"), "no-cache");
    assert.equal(response.headers.get("referrer-policy"), "no-referrer");
    assert.match(response.headers.get("etag")!, /^"[0-9a-f]{24}"$/);
    assert.ok(body.length > 100, path);
  }
  assert.match(
    PAGE_CSP,
    /^default-src 'none'; script-src 'self'; style-src 'self';/,
  );
  assert.doesNotMatch(PAGE_CSP, /unsafe/);
});

Deno.test("web page: nothing comes from elsewhere (no CDN, no remote fonts)", async () => {
  await using s = await webServer();
  const html = await (await fetch(s.base + "/")).text();
  const css = await (await fetch(s.base + "/style.css")).text();
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
  assert.doesNotMatch(css, /url\(|@import/);
  // No inline script or style: the policy would block them anyway.
  assert.doesNotMatch(html, /<script>|<style|style="/);
  assert.match(html, /<script type="module" src="\/app\.js"><\/script>/);
});

Deno.test("web page: a matching If-None-Match gets 304, HEAD the length without a body", async () => {
  await using s = await webServer();
  const first = await fetch(s.base + "/app.js");
  const length = (await first.arrayBuffer()).byteLength;
  const etag = first.headers.get("etag")!;
  const again = await fetch(s.base + "/app.js", {
    headers: { "If-None-Match": etag },
  });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), "");
  const stale = await fetch(s.base + "/app.js", {
    headers: { "If-None-Match": '"0000"' },
  });
  assert.equal(stale.status, 200);
  await stale.body?.cancel();
  const head = await fetch(s.base + "/app.js", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("content-length"), String(length));
  assert.equal(await head.text(), "");
});

Deno.test("web page: other methods get 405, unknown paths 404, both with the security headers", async () => {
  await using s = await webServer();
  const post = await fetch(s.base + "/", { method: "POST", body: "x" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");
  assert.equal(post.headers.get("x-content-type-options"), "nosniff");
  await post.body?.cancel();
  for (
    const path of ["/index.html", "/etc/passwd", "/app.js/x", "/ws/x"]
  ) {
    const missing = await fetch(s.base + path);
    assert.equal(missing.status, 404, path);
    assert.equal(missing.headers.get("cache-control"), "no-store");
    await missing.body?.cancel();
  }
});

Deno.test("web page: with TLS the page is served over HTTPS with the server's certificate", async () => {
  const certificate = await generateSelfSignedCertificate();
  await using s = await webServer(certificate);
  using client = Deno.createHttpClient({ caCerts: [certificate.certPem] });
  const response = await fetch(s.base + "/", { client });
  assert.equal(response.status, 200);
  assert.match(await response.text(), /<title>TCPChat<\/title>/);
  // The plain scheme on that port is not served.
  await assert.rejects(
    fetch(`http://127.0.0.1:${s.server.webAddr!.port}/`).then((r) => r.text()),
  );
});
