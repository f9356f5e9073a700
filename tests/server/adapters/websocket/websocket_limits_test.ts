/**
 * The WebSocket endpoint keeps the limits a TCP connection has, over real
 * sockets on 127.0.0.1 with an injected clock and `sweep()` instead of
 * sleeps: the login deadline, ping, flood control, the pending-line bound,
 * the outbound bound for a browser that does not read (a raw TCP socket
 * speaking WebSocket by hand), and login throttling.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type ChatServer,
  type ChatServerOptions,
  startChatServer,
} from "../../../../lib/server/net/chat_server.ts";
import { ManualClock } from "../../../../lib/shared/clock.ts";
import { SqliteStore } from "../../../../lib/store/sqlite/sqlite_store.ts";
import { TestClient } from "../../../_client.ts";
import { tempDir } from "../../../_util.ts";
import { WsClient } from "./_ws_client.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Harness extends AsyncDisposable {
  server: ChatServer;
  clock: ManualClock;
  url: string;
  webPort: number;
  logs: string[];
}

async function harness(
  options: Partial<ChatServerOptions> = {},
): Promise<Harness> {
  const dir = await tempDir();
  const store = SqliteStore.open(join(dir.path, "chat.db"));
  const clock = new ManualClock();
  const logs: string[] = [];
  const server = startChatServer({
    store,
    hostname: "127.0.0.1",
    port: 0,
    webPort: 0,
    hashIterations: 1000,
    sweepIntervalMs: 0,
    clock,
    log: (line) => logs.push(line),
    ...options,
  });
  const webPort = server.webAddr!.port;
  return {
    server,
    clock,
    url: `ws://127.0.0.1:${webPort}/ws`,
    webPort,
    logs,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** A client text frame (RFC 6455, 5.2): FIN, opcode 1, masked payload. */
function clientTextFrame(text: string): Uint8Array {
  const payload = encoder.encode(text);
  const length = payload.length;
  const header = length < 126 ? [0x81, 0x80 | length] : [
    0x81,
    0x80 | 126,
    length >> 8,
    length & 0xff,
  ];
  assert.ok(length < 65536, "a test frame fits a 16-bit length");
  const mask = crypto.getRandomValues(new Uint8Array(4));
  const frame = new Uint8Array(header.length + 4 + length);
  frame.set(header);
  frame.set(mask, header.length);
  const start = header.length + 4;
  for (let i = 0; i < length; i++) {
    frame[start + i] = payload[i]! ^ mask[i % 4]!;
  }
  return frame;
}

/**
 * A browser that stops reading: the WebSocket handshake by hand on a raw
 * TCP socket, then only writes (masked client frames).
 */
async function rawWebSocket(port: number): Promise<Deno.TcpConn> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(encoder.encode(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      `Origin: http://127.0.0.1:${port}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
      `Sec-WebSocket-Version: 13\r\n\r\n`,
  ));
  // Up to the end of the response's head (the HELLO frame may follow it).
  let head = "";
  const buffer = new Uint8Array(4096);
  while (!head.includes("\r\n\r\n")) {
    const n = await conn.read(buffer);
    assert.ok(n !== null, "the server closed during the handshake");
    head += decoder.decode(buffer.subarray(0, n));
  }
  assert.equal(head.split("\r\n")[0], "HTTP/1.1 101 Switching Protocols");
  return conn;
}

Deno.test("websocket limits: an unauthenticated connection gets BYE idle_timeout 60 s after accept, then close code 1000", async () => {
  await using h = await harness();
  await using web = new WsClient(h.url);
  await web.expect("HELLO ");
  h.clock.advance(59_999);
  h.server.sweep();
  // A request answered with an error syncs without extending the deadline
  // (a PING would).
  web.send("USERS");
  assert.match(await web.expect("ERROR "), /^ERROR not_logged_in /);
  assert.equal(web.socket.readyState, WebSocket.OPEN);
  h.clock.advance(1);
  h.server.sweep();
  assert.equal(
    await web.expect("BYE "),
    "BYE idle_timeout 60 秒内未登录，连接已关闭",
  );
  const closed = await web.closed;
  assert.equal(closed.code, 1000);
  assert.equal(closed.reason, "idle_timeout");
  assert.equal(h.server.connectionCount, 0);
});

Deno.test("websocket limits: a silent member is pinged after 25 s; no answer in 30 s is BYE ping_timeout, a PONG keeps it", async () => {
  await using h = await harness();
  await using alice = new WsClient(h.url);
  await alice.registerAndLogin("alice");
  await using bob = new WsClient(h.url);
  await bob.registerAndLogin("bob");
  h.clock.advance(24_999);
  h.server.sweep();
  h.clock.advance(1);
  h.server.sweep();
  assert.equal(await alice.expect("PING"), "PING p1");
  assert.equal(await bob.expect("PING"), "PING p1");
  alice.send("PONG p1");
  // Let the server read the PONG before time moves on.
  alice.send("PING sync");
  assert.equal(await alice.expect("PONG"), "PONG sync");
  h.clock.advance(30_000);
  h.server.sweep();
  assert.equal(await bob.expect("BYE "), "BYE ping_timeout 连接无响应，已断开");
  assert.equal((await bob.closed).code, 1000);
  assert.match(await alice.expect("USER_LEFT "), /^USER_LEFT \d+ bob$/);
  assert.equal(alice.socket.readyState, WebSocket.OPEN);
  assert.equal(h.server.auth.isOnline("bob"), false);
  assert.equal(h.server.auth.isOnline("alice"), true);
});

// TODO(ws-limits): ignored, failed (not yet investigated, deadline).
Deno.test({
  name:
    "websocket limits: a flood is slowed down, not dropped: ERROR rate_limited at most once a second, every line in order, others not held up",
  fn: async () => {
    await using h = await harness({ rateBurst: 10, ratePerSecond: 5 });
    await using reader = await TestClient.connect(h.server.addr.port);
    await reader.registerAndLogin("reader", "password123");
    await using other = await TestClient.connect(h.server.addr.port);
    await other.registerAndLogin("other", "password123");
    await using flooder = new WsClient(h.url);
    await flooder.registerAndLogin("flooder");
    await reader.expect("USER_JOINED");

    const messages = (line: string) => line.startsWith("MESSAGE ");
    const fromFlooder = () =>
      reader.lines.filter((line) =>
        messages(line) && line.includes(" flooder ")
      )
        .map((line) => line.replace(/^MESSAGE \d+ \d+ flooder /, ""));
    // The clock stands still: the burst of 10 goes (REGISTER and LOGIN took
    // two of it), the rest waits.
    for (let i = 0; i < 30; i++) flooder.send(`MSG flood ${i}`);
    assert.match(await flooder.expect("ERROR "), /^ERROR rate_limited /);
    await reader.next((line) => line.endsWith(" flooder flood 7"));
    // Another client is not queued behind the flood.
    await other.send("MSG normal traffic");
    await reader.next((line) => line.endsWith(" other normal traffic"));
    assert.equal(fromFlooder().length, 8);

    // A second of refill is 5 more lines, and one more notice (the next line
    // waits again) once a second has passed since the last.
    for (let last = 12;; last += 5) {
      h.clock.advance(1000);
      const target = Math.min(last, 29);
      await reader.next((line) => line.endsWith(` flooder flood ${target}`));
      if (target === 29) break;
      assert.match(await flooder.expect("ERROR "), /^ERROR rate_limited /);
    }
    assert.deepEqual(
      fromFlooder(),
      Array.from({ length: 30 }, (_, i) => `flood ${i}`),
    );
    flooder.send("PING done");
    h.clock.advance(1000);
    assert.equal(await flooder.expect("PONG"), "PONG done");
    // One notice for the first second, one for each of the next four.
    assert.equal(
      flooder.lines.filter((line) => line.startsWith("ERROR rate_limited "))
        .length,
      5,
    );
  },
});

Deno.test({
  name:
    "websocket limits: more than 256 lines pending closes with 1008, in separate messages or in one",
  fn: async (t) => {
    for (
      const [name, send] of [
        [
          "300 messages",
          (web: WsClient) => {
            for (let i = 0; i < 300; i++) web.send(`PING m${i}`);
          },
        ],
        [
          "one message of 300 lines",
          (web: WsClient) => {
            web.send(
              Array.from({ length: 300 }, (_, i) => `PING l${i}`).join("\n"),
            );
          },
        ],
      ] as const
    ) {
      await t.step(name, async () => {
        // The clock stands still: after the burst of 10, nothing is handled.
        await using h = await harness({ rateBurst: 10, ratePerSecond: 5 });
        await using web = new WsClient(h.url);
        await web.expect("HELLO ");
        send(web);
        const code = (await web.closed).code;
        if (name === "one message of 300 lines") assert.equal(code, 1008);
        else {
          // Closing a socket whose peer is still sending leaves unread
          // frames, so the kernel answers with a reset, which can overtake
          // the 1008 close frame: the flooder may see the close as abnormal.
          assert.ok([1008, 1006, 0].includes(code), `close code ${code}`);
        }
        assert.equal(h.server.connectionCount, 0);
        // The server goes on, and the slot is free again.
        await using again = new WsClient(h.url);
        await again.expect("HELLO ");
      });
    }
  },
});

Deno.test("websocket limits: a browser that never reads holds nobody up: a reading browser gets every message, in order", async () => {
  await using h = await harness({
    rateBurst: 100_000,
    ratePerSecond: 100_000,
  });
  await using web = new WsClient(h.url);
  await web.registerAndLogin("web");
  const slow = await rawWebSocket(h.webPort);
  try {
    await slow.write(clientTextFrame("REGISTER slow password123"));
    await slow.write(clientTextFrame("LOGIN slow password123"));
    await web.expect("USER_JOINED ");
    await using alice = await TestClient.connect(h.server.addr.port);
    await alice.registerAndLogin("alice", "password123");
    await web.expect("USER_JOINED ");
    // 1,000 lines of 4 KB (4 MB) to each reader while "slow" reads none.
    // (Loopback buffers can take that much, so the bound itself is proven
    // below with a socket whose unsent bytes the test decides.)
    const text = "y".repeat(4000);
    let got = 0;
    for (let i = 0; i < 1000; i++) {
      await alice.send(`MSG ${i} ${text}`);
      if (i % 5 === 4) {
        while (got <= i) {
          const line = await web.expect("MESSAGE ");
          assert.ok(line.includes(` alice ${got} `), `in order: ${got}`);
          got++;
        }
      }
    }
    assert.equal(got, 1000);
  } finally {
    slow.close();
  }
});

/** A socket the server sends to, whose unsent byte count the test sets. */
class HeldSocket extends EventTarget {
  readyState: number = WebSocket.OPEN;
  bufferedAmount = 0;
  sent: string[] = [];
  closeCode: number | undefined;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  send(text: string): void {
    this.sent.push(text);
  }
  /** Like a peer that reads nothing: closing never completes by itself. */
  close(code?: number): void {
    this.closeCode = code;
    this.readyState = WebSocket.CLOSING;
  }
  /** The close finally completes (the peer read, or the network gave up). */
  closed(): void {
    this.readyState = WebSocket.CLOSED;
    this.onclose?.(new CloseEvent("close", { code: this.closeCode }));
  }
  line(text: string): void {
    this.onmessage?.(new MessageEvent("message", { data: text }));
  }
}

Deno.test("websocket limits: past the outbound bound a browser is dropped, and the room goes on", async () => {
  await using h = await harness({ maxQueueBytes: 64 * 1024 });
  const held = new HeldSocket();
  let released = false;
  (h.server as unknown as {
    admitWebSocket(
      socket: unknown,
      remote: Deno.NetAddr,
      release: () => void,
    ): void;
  }).admitWebSocket(
    held,
    { transport: "tcp", hostname: "127.0.0.1", port: 1 },
    () => released = true,
  );
  held.onopen?.(new Event("open"));
  assert.match(held.sent[0]!, /^HELLO tcpchat\/1 /);
  held.line("REGISTER held password123");
  held.line("LOGIN held password123");
  await using alice = await TestClient.connect(h.server.addr.port);
  await alice.registerAndLogin("alice", "password123");
  await alice.send("MSG while it keeps up");
  await alice.send("PING sync");
  await alice.expect("PONG sync");
  assert.ok(
    held.sent.some((line) => line.endsWith(" alice while it keeps up")),
  );
  // Its unsent bytes pass the bound: the next line drops it.
  held.bufferedAmount = 64 * 1024 + 1;
  await alice.send("MSG one more");
  assert.match(await alice.expect("USER_LEFT "), /^USER_LEFT \d+ held$/);
  assert.equal(held.closeCode, 1000);
  assert.ok(!held.sent.some((line) => line.endsWith(" alice one more")));
  assert.equal(h.server.auth.isOnline("held"), false);
  // Its slot stays taken while the socket lingers, so lingering sockets
  // cannot pile up past the connection caps; it is free once it is gone.
  assert.equal(released, false);
  held.closed();
  assert.equal(released, true);
  await alice.send("MSG still here");
  await alice.send("PING after");
  assert.equal(await alice.expect("PONG after"), "PONG after");
});

Deno.test({
  name:
    "websocket limits: a browser whose unsent bytes stop moving is dropped after the stall time, not before",
  fn: async () => {
    await using h = await harness({
      // Bound out of reach: only the stall timeout can drop it.
      maxQueueBytes: 256 * 1024 * 1024,
      stallTimeoutMs: 30_000,
      rateBurst: 100_000,
      ratePerSecond: 100_000,
    });
    await using web = new WsClient(h.url);
    await web.registerAndLogin("web");
    const slow = await rawWebSocket(h.webPort);
    try {
      await slow.write(clientTextFrame("REGISTER slow password123"));
      await slow.write(clientTextFrame("LOGIN slow password123"));
      await web.expect("USER_JOINED ");
      await using alice = await TestClient.connect(h.server.addr.port);
      await alice.registerAndLogin("alice", "password123");
      await web.expect("USER_JOINED ");
      // 12 MB: more than the kernel's socket buffers take, so unsent bytes
      // are left at the server.
      const text = "y".repeat(4000);
      for (let i = 0; i < 3000; i++) {
        await alice.send(`MSG ${i} ${text}`);
        if (i % 20 === 19) {
          assert.match(
            await web.expect(`MESSAGE `),
            new RegExp(` alice ${i - 19} `),
          );
          for (let j = i - 18; j <= i; j++) await web.expect("MESSAGE ");
        }
      }
      h.server.sweep();
      h.clock.advance(29_999);
      h.server.sweep();
      web.send("USERS");
      assert.equal(
        await web.expect("USER_LIST "),
        "USER_LIST 大厅 web slow alice",
      );
      h.clock.advance(1);
      h.server.sweep();
      assert.match(await web.expect("USER_LEFT "), /^USER_LEFT \d+ slow$/);
      assert.equal(h.server.auth.isOnline("slow"), false);
    } finally {
      slow.close();
    }
  },
});

Deno.test("websocket limits: failed logins are throttled as over TCP: the 6th try in 15 minutes is refused, and each is logged", async () => {
  await using h = await harness();
  await using owner = await TestClient.connect(h.server.addr.port);
  await owner.expect("HELLO");
  await owner.send("REGISTER victim password123");
  assert.equal(await owner.next(), "REGISTER_SUCCESS");
  await using web = new WsClient(h.url);
  await web.expect("HELLO ");
  for (let i = 0; i < 5; i++) {
    web.send(`LOGIN victim wrong-password-${i}`);
    assert.equal(await web.expect("AUTH_"), "AUTH_FAILURE 用户名或密码错误");
  }
  // Locked out now, even with the right password.
  web.send("LOGIN victim password123");
  assert.equal(
    await web.expect("AUTH_"),
    "AUTH_FAILURE 尝试次数过多，请 15 分钟后再试",
  );
  const failures = h.logs.filter((line) =>
    /【安全】登录失败: victim \(127\.0\.0\.1:\d+\)/.test(line)
  );
  assert.equal(failures.length, 6, h.logs.join("\n"));
  // 15 minutes later the lockout is over.
  h.clock.advance(15 * 60_000);
  web.send("LOGIN victim password123");
  assert.equal(await web.expect("AUTH_"), "AUTH_SUCCESS victim");
});
