/**
 * The WebSocket endpoint over real sockets on 127.0.0.1: the native
 * protocol one line per message, through the same session as TCP, next to
 * a TCP client; the Origin check, binary and oversized messages.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { startChatServer } from "../../../../lib/server/net/chat_server.ts";
import { SqliteStore } from "../../../../lib/store/sqlite/sqlite_store.ts";
import { TestClient } from "../../../_client.ts";
import { tempDir } from "../../../_util.ts";
import { WsClient } from "./_ws_client.ts";

async function harness() {
  const dir = await tempDir();
  const store = SqliteStore.open(join(dir.path, "chat.db"));
  const server = startChatServer({
    store,
    hostname: "127.0.0.1",
    port: 0,
    webPort: 0,
    hashIterations: 1000,
    sweepIntervalMs: 0,
  });
  const url = `ws://127.0.0.1:${server.webAddr!.port}/ws`;
  return {
    server,
    url,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** Sends a raw HTTP request on a real socket; resolves the status line. */
async function rawStatus(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(request));
    const buffer = new Uint8Array(4096);
    const n = await conn.read(buffer);
    return new TextDecoder().decode(buffer.subarray(0, n ?? 0)).split(
      "\r\n",
    )[0]!;
  } finally {
    conn.close();
  }
}

Deno.test("websocket: a browser registers, logs in and chats with a TCP client both ways", async () => {
  await using h = await harness();
  await using web = new WsClient(h.url);
  assert.match(
    await web.expect("HELLO "),
    /^HELLO tcpchat\/1 \S+ min_password=8$/,
  );
  web.send("REGISTER 网页 password123");
  await web.expect("REGISTER_SUCCESS");
  web.send("LOGIN 网页 password123\n");
  await web.expect("AUTH_SUCCESS 网页");
  await web.expect("HISTORY_END");

  await using tcp = await TestClient.connect(h.server.addr.port);
  await tcp.registerAndLogin("终端", "password123");
  assert.match(await web.expect("USER_JOINED "), / 终端$/);

  web.send("MSG 来自浏览器");
  assert.match(await tcp.expect("MESSAGE "), / 网页 来自浏览器$/);
  await tcp.send("MSG 来自终端");
  assert.match(await web.expect("MESSAGE "), / 终端 来自终端$/);
  await tcp.send("PRIVMSG 网页 悄悄话");
  assert.match(await web.expect("PRIVATE "), / 终端 网页 悄悄话$/);
  web.send("USERS");
  assert.equal(await web.expect("USER_LIST "), "USER_LIST 大厅 网页 终端");
  assert.equal(h.server.auth.isOnline("网页"), true);
});

Deno.test("websocket: the same preconditions and errors as TCP", async () => {
  await using h = await harness();
  await using web = new WsClient(h.url);
  await web.expect("HELLO ");
  web.send("MSG hi");
  assert.match(await web.expect("ERROR "), /^ERROR not_logged_in /);
  web.send("PING t7");
  assert.equal(await web.expect("PONG"), "PONG t7");
  web.send("LOGIN");
  assert.match(await web.expect("ERROR "), /^ERROR invalid_command /);
});

Deno.test("websocket: a line over the limit gets ERROR and BYE line_too_long and close code 1009", async () => {
  await using h = await harness();
  await using web = new WsClient(h.url);
  await web.expect("HELLO ");
  web.send("MSG " + "长".repeat(3000));
  assert.match(await web.expect("ERROR "), /^ERROR line_too_long /);
  assert.match(await web.expect("BYE "), /^BYE line_too_long /);
  assert.equal((await web.closed).code, 1009);
});

Deno.test("websocket: a binary message closes with 1003, and the server goes on", async () => {
  await using h = await harness();
  await using web = new WsClient(h.url);
  await web.expect("HELLO ");
  web.socket.send(new Uint8Array([1, 2, 3]));
  assert.equal((await web.closed).code, 1003);
  await using again = new WsClient(h.url);
  await again.expect("HELLO ");
});

Deno.test("websocket: a page from another origin cannot upgrade; a wrong path or a plain GET is refused", async () => {
  await using h = await harness();
  const port = h.server.webAddr!.port;
  const upgrade = (origin: string, path = "/ws") =>
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
    `Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
    `Sec-WebSocket-Version: 13\r\n${origin}\r\n`;
  assert.equal(
    await rawStatus(port, upgrade("Origin: http://evil.example\r\n")),
    "HTTP/1.1 403 Forbidden",
  );
  assert.equal(
    await rawStatus(port, upgrade(`Origin: http://127.0.0.1:${port}\r\n`)),
    "HTTP/1.1 101 Switching Protocols",
  );
  assert.equal(
    await rawStatus(port, upgrade("", "/other")),
    "HTTP/1.1 404 Not Found",
  );
  const plain = await fetch(`http://127.0.0.1:${port}/ws`);
  assert.equal(plain.status, 426);
  assert.equal(plain.headers.get("x-content-type-options"), "nosniff");
  assert.match(
    plain.headers.get("content-security-policy")!,
    /default-src 'none'/,
  );
  await plain.body?.cancel();
});

Deno.test("websocket: a server shutdown says BYE shutdown to a browser and closes with 1001", async () => {
  await using h = await harness();
  await using web = new WsClient(h.url);
  await web.expect("HELLO ");
  web.send("REGISTER 关机 password123");
  await web.expect("REGISTER_SUCCESS");
  web.send("LOGIN 关机 password123");
  await web.expect("HISTORY_END");
  await h.server.shutdown();
  assert.equal(await web.expect("BYE "), "BYE shutdown 服务器正在关闭");
  assert.equal((await web.closed).code, 1001);
});
