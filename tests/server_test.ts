import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type ChatServer,
  type ChatServerOptions,
  startChatServer,
} from "../lib/server/net/chat_server.ts";
import { ManualClock } from "../lib/shared/clock.ts";
import { SqliteStore } from "../lib/store/sqlite/sqlite_store.ts";
import { TestClient } from "./_client.ts";
import { holdWriteLock } from "./_db_lock.ts";
import { tempDir } from "./_util.ts";

interface Harness extends AsyncDisposable {
  server: ChatServer;
  /** The database file. */
  dbPath: string;
  port: number;
  logs: string[];
  connect(options?: { read?: boolean }): Promise<TestClient>;
  /** Connects, registers and logs in. */
  user(name: string, password?: string): Promise<TestClient>;
}

async function harness(
  options: Partial<ChatServerOptions> = {},
): Promise<Harness> {
  const dir = await tempDir();
  const dbPath = join(dir.path, "chat.db");
  const store = SqliteStore.open(dbPath);
  const logs: string[] = [];
  const server = startChatServer({
    store,
    hostname: "127.0.0.1",
    port: 0,
    hashIterations: 1000,
    log: (line) => logs.push(line),
    ...options,
  });
  const clients: TestClient[] = [];
  const connect = async (connectOptions: { read?: boolean } = {}) => {
    const client = await TestClient.connect(server.addr.port, connectOptions);
    clients.push(client);
    return client;
  };
  return {
    server,
    dbPath,
    port: server.addr.port,
    logs,
    connect,
    async user(name, password = "password123") {
      const client = await connect();
      await client.registerAndLogin(name, password);
      return client;
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await Promise.all(clients.map((client) => client.close()));
      await dir[Symbol.asyncDispose]();
    },
  };
}

Deno.test("server greets, registers, logs in and welcomes with the online count", async () => {
  await using h = await harness();
  await using alice = await h.connect();
  assert.match(await alice.next(), /^HELLO tcpchat\/1 \S+ min_password=8$/);
  await alice.send("REGISTER 小王 pass word 1");
  assert.equal(await alice.next(), "REGISTER_SUCCESS");
  assert.match(await alice.next(), /^RECOVERY_CODE [0-9A-Z-]+$/);
  await alice.send("LOGIN 小王 pass word 1");
  assert.equal(await alice.next(), "AUTH_SUCCESS 小王");
  assert.equal(await alice.next(), "WELCOME 1 小王");
  assert.ok(
    h.logs.some((line) =>
      /^\[\d\d:\d\d:\d\d\] 【客户端连接】小王 \(127\.0\.0\.1:\d+\)$/.test(line)
    ),
    h.logs.join("\n"),
  );
});

Deno.test("server refuses to register a look-alike of an existing name with the generic message", async () => {
  await using h = await harness();
  await using client = await h.connect();
  await client.expect("HELLO ");
  await client.send("REGISTER paypal password123");
  assert.equal(await client.next(), "REGISTER_SUCCESS");
  await client.expect("RECOVERY_CODE ");
  // All-Cyrillic "раураӏ" (р а у р а ӏ).
  await client.send(
    "REGISTER \u0440\u0430\u0443\u0440\u0430\u04cf password123",
  );
  assert.equal(
    await client.next(),
    "REGISTER_FAILURE 用户名混用了外形相似的拉丁、西里尔或希腊字母，或与已有用户名外形相似，请换一个",
  );
  await client.send("LANG en");
  await client.send("REGISTER paypa1 password123");
  assert.equal(
    await client.expect("REGISTER_FAILURE "),
    "REGISTER_FAILURE That username mixes look-alike Latin, Cyrillic or Greek letters, or looks like an existing name; choose another",
  );
  // Another case of the same name is still just taken.
  await client.send("REGISTER PayPal password123");
  assert.equal(
    await client.expect("REGISTER_FAILURE "),
    "REGISTER_FAILURE Username already exists",
  );
});

Deno.test("server relays chat to the others with a timestamp, and join and leave notices", async () => {
  await using h = await harness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  assert.match(await alice.expect("USER_JOINED "), /^USER_JOINED \d+ bob$/);
  await bob.send("MSG 大家好 👋");
  assert.match(
    await alice.expect("MESSAGE "),
    /^MESSAGE \d+ \d+ bob 大家好 👋$/,
  );
  // A line without a verb is chat too (nc / telnet as a bare client).
  await alice.send("hello from nc");
  assert.match(
    await bob.expect("MESSAGE "),
    /^MESSAGE \d+ \d+ alice hello from nc$/,
  );
  // The sender gets no echo of its own message.
  await alice.send("PING t1");
  assert.equal(
    await alice.next((line) => !line.startsWith("USER_")),
    "PONG t1",
  );
  assert.ok(
    h.logs.some((line) => /^\[\d\d:\d\d:\d\d\] bob: 大家好 👋$/.test(line)),
  );
  await bob.send("LOGOUT");
  assert.equal(await bob.expect("LOGOUT_SUCCESS"), "LOGOUT_SUCCESS");
  assert.match(await alice.expect("USER_LEFT "), /^USER_LEFT \d+ bob$/);
  assert.ok(
    h.logs.some((line) => /【客户端断开】bob \(在线用户数: 1\)$/.test(line)),
    h.logs.join("\n"),
  );
  // After LOGOUT the same connection can log in again.
  await bob.send("LOGIN bob password123");
  assert.equal(await bob.expect("AUTH_SUCCESS"), "AUTH_SUCCESS bob");
  assert.equal(await bob.expect("WELCOME"), "WELCOME 2 bob");
  assert.equal(await bob.expect("JOINED"), "JOINED 大厅 2");
  await alice.close();
  assert.match(await bob.expect("USER_LEFT "), /^USER_LEFT \d+ alice$/);
});

Deno.test("server refuses a second login with the seed's message", async () => {
  await using h = await harness();
  await h.user("alice");
  await using again = await h.connect();
  await again.expect("HELLO");
  await again.send("LOGIN alice password123");
  assert.equal(await again.next(), "AUTH_FAILURE 该用户已在其他地方登录");
});

Deno.test("server answers generic failures and keeps unauthenticated clients to auth verbs", async () => {
  await using h = await harness();
  await h.user("alice");
  await using c = await h.connect();
  await c.expect("HELLO");
  await c.send("LOGIN alice wrong-password");
  assert.equal(await c.next(), "AUTH_FAILURE 用户名或密码错误");
  await c.send("LOGIN nobody wrong-password");
  assert.equal(await c.next(), "AUTH_FAILURE 用户名或密码错误");
  await c.send("hello?");
  assert.match(await c.next(), /^ERROR not_logged_in /);
  await c.send("MSG hi");
  assert.match(await c.next(), /^ERROR not_logged_in /);
  await c.send("LOGIN");
  assert.match(await c.next(), /^ERROR invalid_command /);
  await c.send("RESET_REQUEST alice");
  assert.match(await c.next(), /^RESET_REQUESTED /);
  await c.send("RESET_REQUEST nobody");
  const [first, second] = [c.lines.at(-1), await c.next()];
  assert.equal(first, second);
});

Deno.test("server hands reset tokens to the operator log and ends the live session on reset", async () => {
  await using h = await harness();
  const alice = await h.user("alice", "old-password");
  await using c = await h.connect();
  await c.expect("HELLO");
  await c.send("RESET_REQUEST alice");
  const reply = await c.next();
  assert.match(reply, /^RESET_REQUESTED /);
  const tokenLine = h.logs.find((line) => line.includes("【重置令牌】"));
  assert.ok(tokenLine, h.logs.join("\n"));
  const token = /令牌: (\S+)/.exec(tokenLine)?.[1];
  assert.ok(token);
  assert.ok(
    !c.lines.join("\n").includes(token),
    "token must not reach the requester",
  );
  await c.send(`RESET_CONFIRM ${token} new-password`);
  assert.equal(await c.next(), "RESET_SUCCESS");
  assert.match(await alice.expect("BYE "), /^BYE password_reset /);
  await alice.closedByServer();
  await c.send("LOGIN alice new-password");
  assert.equal(await c.next(), "AUTH_SUCCESS alice");
});

Deno.test("server deletes an account over the wire and returns the connection to login", async () => {
  await using h = await harness();
  const alice = await h.user("alice");
  await alice.send("DELETE_ACCOUNT alice wrong-password");
  assert.match(await alice.expect("DELETE_FAILURE"), /^DELETE_FAILURE /);
  await alice.send("DELETE_ACCOUNT alice password123");
  assert.equal(await alice.expect("DELETE_"), "DELETE_SUCCESS");
  await alice.send("hello");
  assert.match(await alice.expect("ERROR"), /^ERROR not_logged_in /);
  await alice.send("LOGIN alice password123");
  assert.equal(await alice.expect("AUTH_"), "AUTH_FAILURE 用户名或密码错误");
});

Deno.test("server changes a password with the length-prefixed PASSWORD verb", async () => {
  await using h = await harness();
  const alice = await h.user("alice", "old pass 1");
  await alice.send("PASSWORD 10 old pass 1 new pass 2");
  assert.equal(await alice.expect("PASSWORD_"), "PASSWORD_SUCCESS");
  await alice.send("LOGOUT");
  await alice.expect("LOGOUT_SUCCESS");
  await alice.send("LOGIN alice new pass 2");
  assert.equal(await alice.expect("AUTH_"), "AUTH_SUCCESS alice");
});

Deno.test("server closes a connection that sends a line over 8 KiB, and nobody else notices", async () => {
  await using h = await harness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  await bob.writeRaw(new TextEncoder().encode("x".repeat(9000) + "\n"));
  assert.match(await bob.expect("ERROR"), /^ERROR line_too_long /);
  assert.match(await bob.expect("BYE"), /^BYE line_too_long /);
  await bob.closedByServer();
  await alice.expect("USER_LEFT");
  const carol = await h.user("carol");
  await carol.send("still here");
  assert.match(await alice.expect("MESSAGE"), /carol still here$/);
});

Deno.test("server reports invalid UTF-8 and goes on with the next line", async () => {
  await using h = await harness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  await bob.writeRaw(new Uint8Array([0xff, 0xfe, 0x41, 0x0a]));
  assert.match(await bob.expect("ERROR"), /^ERROR invalid_utf8 /);
  await bob.send("after the bad line");
  assert.match(await alice.expect("MESSAGE"), /bob after the bad line$/);
});

Deno.test("server closes an unauthenticated connection 60 s after accept, however it trickles", async () => {
  const clock = new ManualClock();
  await using h = await harness({ clock, sweepIntervalMs: 0 });
  await using c = await h.connect();
  await c.expect("HELLO");
  for (let i = 0; i < 5; i++) {
    clock.advance(11_000);
    await c.writeRaw(new TextEncoder().encode("R")); // a trickled half line
    h.server.sweep();
  }
  assert.equal(c.closed, false);
  clock.advance(5_000);
  h.server.sweep();
  assert.match(await c.expect("BYE"), /^BYE idle_timeout /);
  await c.closedByServer();
});

Deno.test("server gives a connection back at the login menu a fresh 60 s to log in", async () => {
  const clock = new ManualClock();
  await using h = await harness({ clock, sweepIntervalMs: 0 });
  const alice = await h.user("alice");
  clock.advance(50_000);
  await alice.send("LOGOUT");
  await alice.expect("LOGOUT_SUCCESS");
  // Past the first deadline (accept + 60 s), within the new one. (A PING
  // here would extend it: a request answered with an error syncs instead.)
  clock.advance(59_000);
  h.server.sweep();
  await alice.send("USERS");
  assert.match(await alice.next(), /^ERROR not_logged_in /);
  clock.advance(1_000);
  h.server.sweep();
  assert.match(await alice.expect("BYE"), /^BYE idle_timeout /);
  await alice.closedByServer();
});

Deno.test("server extends the login deadline for a PINGing client at the menu, up to 10 minutes from accept", async () => {
  const clock = new ManualClock();
  await using h = await harness({ clock, sweepIntervalMs: 0 });
  await using c = await h.connect();
  await c.expect("HELLO");
  // A keep-alive every 50 s: each one gives 60 s more, never past accept + 600 s.
  for (let at = 50_000; at <= 550_000; at += 50_000) {
    clock.advance(50_000);
    h.server.sweep();
    await c.send(`PING k${at}`);
    assert.equal(await c.next(), `PONG k${at}`);
  }
  clock.advance(49_000); // accept + 599 s
  h.server.sweep();
  await c.send("PING last");
  assert.equal(await c.next(), "PONG last");
  clock.advance(1_000); // accept + 600 s: the cap, whatever was sent
  h.server.sweep();
  assert.equal(
    await c.next(),
    "BYE idle_timeout 10 分钟内未登录，连接已关闭",
  );
  await c.closedByServer();
});

Deno.test("server closes a login-menu connection that does not PING 60 s after accept", async () => {
  const clock = new ManualClock();
  await using h = await harness({ clock, sweepIntervalMs: 0 });
  await using c = await h.connect();
  await c.expect("HELLO");
  clock.advance(50_000);
  await c.send("PONG p1"); // not a keep-alive: only a PING asks for more time
  await c.send("USERS");
  assert.match(await c.next(), /^ERROR not_logged_in /);
  clock.advance(10_000);
  h.server.sweep();
  assert.equal(await c.next(), "BYE idle_timeout 60 秒内未登录，连接已关闭");
  await c.closedByServer();
});

Deno.test("server pings a silent client and frees it when no answer comes", async () => {
  const clock = new ManualClock();
  await using h = await harness({ clock, sweepIntervalMs: 0 });
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  clock.advance(25_000);
  h.server.sweep();
  const ping = await alice.expect("PING");
  await bob.expect("PING");
  await alice.send(`PONG ${ping.slice(5)}`);
  // Let the server read the PONG before time moves on.
  await alice.send("PING sync");
  await alice.expect("PONG sync");
  clock.advance(30_000);
  h.server.sweep();
  assert.match(await bob.expect("BYE"), /^BYE ping_timeout /);
  await bob.closedByServer();
  assert.equal(alice.closed, false);
  await alice.expect("USER_LEFT");
  // The freed account can log in again at once.
  await using again = await h.connect();
  await again.expect("HELLO");
  await again.send("LOGIN bob password123");
  assert.equal(await again.expect("AUTH_"), "AUTH_SUCCESS bob");
});

Deno.test("server slows a flooding client down without dropping its lines or delaying others", async () => {
  await using h = await harness({ rateBurst: 10, ratePerSecond: 50 });
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  const flooder = await h.user("flooder");
  await flooder.writeRaw(
    new TextEncoder().encode(
      Array.from({ length: 30 }, (_, i) => `flood ${i}\n`).join(""),
    ),
  );
  assert.match(await flooder.expect("ERROR"), /^ERROR rate_limited /);
  await bob.send("MSG normal traffic");
  const received: string[] = [];
  let bobSeen = false;
  while (received.length < 30 || !bobSeen) {
    const line = await alice.expect("MESSAGE");
    if (line.includes(" flooder ")) {
      received.push(line.replace(/^MESSAGE \d+ \d+ flooder /, ""));
    } else if (line.endsWith("bob normal traffic")) {
      // Bob is not queued behind the flood.
      assert.ok(received.length < 30, "bob's line waited for the whole flood");
      bobSeen = true;
    }
  }
  assert.deepEqual(
    received,
    Array.from({ length: 30 }, (_, i) => `flood ${i}`),
  );
});

Deno.test("server caps connections per address and in total, with a one-line reason", async (t) => {
  await t.step("per address (loopback exemption off)", async () => {
    await using h = await harness({ maxPerAddress: 2, exemptLoopback: false });
    const a = await h.connect();
    const b = await h.connect();
    await a.expect("HELLO");
    await b.expect("HELLO");
    const c = await h.connect();
    assert.match(await c.next(), /^BYE too_many_connections /);
    await c.closedByServer();
    await a.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const d = await h.connect();
    assert.match(await d.next(), /^HELLO /);
  });
  await t.step(
    "loopback is exempt from the per-address cap by default",
    async () => {
      await using h = await harness({ maxPerAddress: 2 });
      const clients = await Promise.all([1, 2, 3, 4].map(() => h.connect()));
      for (const client of clients) {
        assert.match(
          await client.next(),
          /^HELLO /,
        );
      }
    },
  );
  await t.step("global cap", async () => {
    await using h = await harness({ maxClients: 2 });
    const a = await h.connect();
    const b = await h.connect();
    await a.expect("HELLO");
    await b.expect("HELLO");
    const c = await h.connect();
    assert.match(await c.next(), /^BYE server_full /);
  });
});

Deno.test("server drops a client that never reads without delaying the others", async () => {
  const clock = new ManualClock();
  await using h = await harness({
    clock,
    sweepIntervalMs: 0,
    maxQueueBytes: 256 * 1024,
    rateBurst: 100_000,
    ratePerSecond: 100_000,
  });
  const stalled = await h.connect({ read: false });
  await stalled.writeRaw(
    new TextEncoder().encode(
      "REGISTER stalled password123\nLOGIN stalled password123\n",
    ),
  );
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  const text = "y".repeat(4000);
  // 12 MB to each reader: past the kernel's socket buffers and the stalled
  // client's 256 KiB queue bound.
  const count = 3000;
  // Bob sends in windows of 20 that Alice (a normal reader) keeps up with;
  // the stalled client's share piles up until its queue bound is hit.
  let got = 0;
  for (let i = 0; i < count; i++) {
    await bob.send(`MSG ${i} ${text}`);
    if (i % 20 === 19) {
      while (got <= i) {
        const line = await alice.expect("MESSAGE");
        assert.ok(line.includes(` bob ${got} `), `in order: ${got}`);
        got++;
      }
    }
  }
  assert.equal(got, count);
  // The stalled client is dropped either because its queue passed the bound
  // or, if the kernel's socket buffers swallowed it all, once it has made
  // no progress for the stall timeout.
  const leftLine = /^USER_LEFT \d+ stalled$/;
  if (!alice.lines.some((line) => leftLine.test(line))) {
    clock.advance(30_000);
    h.server.sweep();
    await alice.next((line) => leftLine.test(line));
  }
  assert.ok(h.logs.some((line) => line.includes("【客户端断开】stalled")));
});

Deno.test("server delivers every message exactly once and in order to 200 clients", async () => {
  await using h = await harness({ rateBurst: 50, sweepIntervalMs: 0 });
  const clients: TestClient[] = [];
  for (let i = 0; i < 200; i++) clients.push(await h.user(`u${i}`));
  // Everyone is in. u100's join made the room 101 members, more than the
  // documented 100, and went out at once; the 99 joins after it were held
  // and come as one count at the next sweep (docs/PROTOCOL.md, 10).
  h.server.sweep();
  const held = 99;
  await clients[0]!.next((line) => /^PRESENCE \d+ \d+ 0$/.test(line), 20_000);
  assert.ok(
    clients[0]!.lines.some((line) => line.endsWith(` ${held} 0`)),
    "the 99 joins after u100 in one line",
  );
  assert.ok(clients[0]!.lines.every((line) => !line.endsWith(" u199")));
  const perClient = 20;
  await Promise.all(
    clients.map((client, i) =>
      client.writeRaw(
        new TextEncoder().encode(
          Array.from({ length: perClient }, (_, n) => `MSG ${i}:${n}\n`).join(
            "",
          ),
        ),
      )
    ),
  );
  await Promise.all(clients.map(async (client, me) => {
    const next = new Map<number, number>();
    let total = 0;
    while (total < (clients.length - 1) * perClient) {
      const line = await client.next((l) => l.startsWith("MESSAGE "), 30_000);
      const [, sender, seq] = /^MESSAGE \d+ \d+ u\d+ (\d+):(\d+)$/.exec(line)!;
      const from = Number(sender);
      assert.notEqual(from, me, "no echo to the sender");
      assert.equal(
        Number(seq),
        next.get(from) ?? 0,
        `order from ${from} at ${me}`,
      );
      next.set(from, Number(seq) + 1);
      total++;
    }
    assert.equal(next.size, clients.length - 1);
  }));
});

Deno.test("server says goodbye to everyone on shutdown and closes the store", async () => {
  const h = await harness();
  const alice = await h.user("alice");
  const stranger = await h.connect();
  await stranger.expect("HELLO");
  await h.server.shutdown();
  assert.match(await alice.expect("BYE"), /^BYE shutdown /);
  assert.match(await stranger.expect("BYE"), /^BYE shutdown /);
  await alice.closedByServer();
  await h.server.finished;
  await h[Symbol.asyncDispose]();
});

Deno.test("server resumes a dropped session with the single-use resume token", async () => {
  await using h = await harness();
  const alice = await h.user("alice");
  const first = (await alice.expect("RESUME_TOKEN ")).slice(
    "RESUME_TOKEN ".length,
  );
  await alice.close();
  await using again = await h.connect();
  await again.expect("HELLO");
  await again.send(`RESUME alice ${first}`);
  assert.equal(await again.next(), "AUTH_SUCCESS alice");
  assert.match(await again.next(), /^WELCOME 1 alice$/);
  const second = (await again.expect("RESUME_TOKEN ")).slice(
    "RESUME_TOKEN ".length,
  );
  assert.notEqual(second, first);
  // Single use: the first token is gone, and a wrong account is refused.
  await using thief = await h.connect();
  await thief.expect("HELLO");
  await thief.send(`RESUME alice ${first}`);
  assert.equal(await thief.next(), "AUTH_FAILURE 用户名或密码错误");
  await thief.send("RESUME alice 0000-0000-0000-0000");
  assert.equal(await thief.next(), "AUTH_FAILURE 用户名或密码错误");
  // Resuming takes over a live (half-open) session of the account.
  await using third = await h.connect();
  await third.expect("HELLO");
  await third.send(`RESUME alice ${second}`);
  assert.equal(await third.expect("AUTH_"), "AUTH_SUCCESS alice");
  assert.match(await again.expect("BYE"), /^BYE session_resumed /);
  // An explicit LOGOUT voids the token.
  const third1 = (await third.expect("RESUME_TOKEN ")).slice(
    "RESUME_TOKEN ".length,
  );
  await third.send("LOGOUT");
  await third.expect("LOGOUT_SUCCESS");
  await third.send(`RESUME alice ${third1}`);
  assert.equal(await third.expect("AUTH_"), "AUTH_FAILURE 用户名或密码错误");
});

Deno.test("server accepts a resume token after a restart on the same database", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "chat.db");
  const options = { hostname: "127.0.0.1", port: 0, hashIterations: 1000 };
  const first = startChatServer({ ...options, store: SqliteStore.open(path) });
  const alice = await TestClient.connect(first.addr.port);
  await alice.registerAndLogin("alice");
  const token = (await alice.expect("RESUME_TOKEN ")).slice(
    "RESUME_TOKEN ".length,
  );
  await first.shutdown();
  await alice.close();
  const second = startChatServer({ ...options, store: SqliteStore.open(path) });
  try {
    await using again = await TestClient.connect(second.addr.port);
    await again.expect("HELLO");
    await again.send(`RESUME alice ${token}`);
    assert.equal(await again.next(), "AUTH_SUCCESS alice");
  } finally {
    await second.shutdown();
  }
});

Deno.test("server refuses RESET_REQUEST, RESET_CONFIRM and another account's DELETE_ACCOUNT while logged in", async () => {
  await using h = await harness();
  await using victim = await h.user("victim");
  await using alice = await h.user("alice");
  const since = h.logs.length;
  await alice.send("RESET_REQUEST victim");
  assert.match(await alice.expect("ERROR "), /^ERROR already_logged_in /);
  await alice.send("RESET_CONFIRM ABCD-EFGH-IJKL new password 1");
  assert.match(await alice.expect("ERROR "), /^ERROR already_logged_in /);
  await alice.send("DELETE_ACCOUNT victim password123");
  assert.match(await alice.expect("ERROR "), /^ERROR already_logged_in /);
  // None of them was carried out: no token went to the operator, and the
  // victim is still here.
  assert.ok(
    !h.logs.slice(since).some((line) => /reset|重置|删除/i.test(line)),
    h.logs.slice(since).join("\n"),
  );
  await victim.send("PING still-here");
  assert.equal(await victim.expect("PONG "), "PONG still-here");
  // One's own account can still be deleted from the chat (the client's
  // /delete-account), proven by its password.
  await alice.send("DELETE_ACCOUNT alice password123");
  assert.equal(await alice.expect("DELETE_"), "DELETE_SUCCESS");
});

Deno.test("server releases a connection's socket and slot when the store fails at disconnect", async (t) => {
  await using dir = await tempDir();
  const store = SqliteStore.open(join(dir.path, "chat.db"));
  let failures = 0;
  store.recordLogout = () => {
    failures++;
    throw new Error("database is locked");
  };
  await using h = await harness({
    store,
    maxPerAddress: 1,
    exemptLoopback: false,
  });
  await t.step("at a dropped connection", async () => {
    const alice = await h.user("alice");
    await alice.close();
    while (h.server.connectionCount > 0 || failures < 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.equal(failures, 1);
    assert.ok(
      h.logs.some((line) =>
        /\[error\] logout of alice \(127\.0\.0\.1:\d+\): Error: database is locked$/
          .test(line)
      ),
      h.logs.join("\n"),
    );
    // With a cap of 1, the next connection is admitted only if the slot is free.
    const next = await h.connect();
    assert.match(await next.next(), /^HELLO /);
    await next.close();
    while (h.server.connectionCount > 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
  await t.step("at LOGOUT, which still succeeds", async () => {
    const bob = await h.user("bob");
    await bob.send("LOGOUT");
    assert.equal(await bob.expect("LOGOUT_SUCCESS"), "LOGOUT_SUCCESS");
    assert.equal(failures, 2);
    await bob.send("PING t1");
    assert.equal(await bob.expect("PONG"), "PONG t1");
    await bob.close();
    while (h.server.connectionCount > 0) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const next = await h.connect();
    assert.match(await next.next(), /^HELLO /);
  });
});

/** `count` lines that are not valid UTF-8 (a stray 0xFF each). */
function invalidUtf8Lines(count: number): Uint8Array {
  return new Uint8Array(count * 2).map((_, i) => i % 2 === 0 ? 0xff : 0x0a);
}

Deno.test("server counts lines that are not valid UTF-8 against the flood limit", async () => {
  const clock = new ManualClock();
  await using h = await harness({
    clock,
    sweepIntervalMs: 0,
    rateBurst: 10,
    ratePerSecond: 5,
  });
  const client = await h.connect();
  await client.expect("HELLO");
  await client.writeRaw(invalidUtf8Lines(15));
  await client.send("PING after");
  // The burst of 10 is answered; the 11th line waits for a token.
  assert.match(
    await client.expect("ERROR rate_limited"),
    /^ERROR rate_limited /,
  );
  const beforeRefill =
    client.lines.filter((line) => line.startsWith("ERROR invalid_utf8 "))
      .length;
  assert.equal(beforeRefill, 10);
  // 1.2 s of refill: 6 tokens, for the last 5 invalid lines and the PING.
  clock.advance(1200);
  assert.equal(await client.expect("PONG"), "PONG after");
  assert.equal(
    client.lines.filter((line) => line.startsWith("ERROR invalid_utf8 "))
      .length,
    15,
  );
});

Deno.test("server ends a connection after 20 protocol errors in a row", async (t) => {
  await t.step("lines that are not valid UTF-8", async () => {
    await using h = await harness({ rateBurst: 1000 });
    const client = await h.connect();
    await client.expect("HELLO");
    await client.writeRaw(invalidUtf8Lines(1000));
    assert.equal(
      await client.expect("BYE"),
      "BYE protocol_errors 连续 20 行无效（不是有效的 UTF-8 或命令格式错误），连接已关闭",
    );
    await client.closedByServer();
    assert.equal(
      client.lines.filter((line) => line.startsWith("ERROR invalid_utf8 "))
        .length,
      20,
    );
  });
  await t.step("malformed commands, mixed with invalid UTF-8", async () => {
    await using h = await harness({ rateBurst: 1000 });
    const client = await h.connect();
    await client.expect("HELLO");
    for (let i = 0; i < 10; i++) {
      await client.send("LOGIN");
      await client.writeRaw(invalidUtf8Lines(1));
    }
    assert.match(await client.expect("BYE"), /^BYE protocol_errors /);
    await client.closedByServer();
  });
  await t.step("a valid line starts the count again", async () => {
    await using h = await harness({ rateBurst: 1000 });
    const client = await h.connect();
    await client.expect("HELLO");
    await client.writeRaw(invalidUtf8Lines(19));
    await client.send("PING a");
    await client.writeRaw(invalidUtf8Lines(19));
    await client.send("PING b");
    assert.equal(await client.expect("PONG b"), "PONG b");
    assert.equal(
      client.lines.filter((line) => line.startsWith("ERROR invalid_utf8 "))
        .length,
      38,
    );
    assert.equal(client.closed, false);
  });
  await t.step("a bad chat text is not a protocol error", async () => {
    await using h = await harness({ rateBurst: 1000 });
    const client = await h.user("carol");
    for (let i = 0; i < 25; i++) await client.send(`MSG ${"x".repeat(4097)}`);
    await client.send("PING c");
    assert.equal(await client.expect("PONG c"), "PONG c");
    assert.equal(
      client.lines.filter((line) => line.startsWith("ERROR message_too_long "))
        .length,
      25,
    );
    assert.equal(client.closed, false);
  });
});

/** Sends `HISTORY 10` and resolves the texts of the messages it lists. */
async function historyTexts(client: TestClient): Promise<string[]> {
  await client.send("HISTORY 10");
  await client.expect("HISTORY_BEGIN ");
  const texts: string[] = [];
  while (true) {
    const line = await client.next();
    if (line.startsWith("HISTORY_END ")) return texts;
    const match = /^HISTORY_MESSAGE \d+ \d+ \S+ (.*)$/.exec(line);
    if (match !== null) texts.push(match[1]!);
  }
}

Deno.test("server keeps serving while another connection holds the database write lock, and stores the chat after", async () => {
  await using h = await harness();
  await using alice = await h.user("alice");
  await using bob = await h.user("bob");
  await using carol = await h.connect();
  await carol.expect("HELLO ");
  // Issue 13: another process holding the write lock froze the server for
  // the busy timeout. The holder runs on another thread, so whatever is
  // answered while held() is true was answered without waiting for it.
  await using lock = await holdWriteLock(h.dbPath);
  await alice.send("MSG during the lock 1");
  await alice.send("MSG during the lock 2");
  assert.match(await bob.expect("MESSAGE "), / alice during the lock 1$/);
  assert.match(await bob.expect("MESSAGE "), / alice during the lock 2$/);
  // A write the user waits for fails at once with a clear error.
  await carol.send("REGISTER carol password123");
  assert.equal(
    await carol.next(),
    "ERROR database_busy 数据库正忙（被其他程序占用），请稍后再试",
  );
  assert.equal(lock.held(), true);
  await alice.send("PING still-here");
  assert.equal(await alice.expect("PONG "), "PONG still-here");
  assert.equal(lock.held(), true);
  // Reads are not blocked by the writer (WAL); the unwritten messages wait.
  assert.deepEqual(await historyTexts(bob), []);
  assert.equal(lock.held(), true);
  await lock.release();
  assert.deepEqual(await historyTexts(bob), [
    "during the lock 1",
    "during the lock 2",
  ]);
  await carol.send("REGISTER carol password123");
  assert.equal(await carol.expect("REGISTER_"), "REGISTER_SUCCESS");
  assert.equal(
    h.logs.filter((line) => line.includes("聊天记录暂时无法写入")).length,
    1,
    h.logs.join("\n"),
  );
  assert.equal(
    h.logs.filter((line) => line.includes("聊天记录恢复写入")).length,
    1,
    h.logs.join("\n"),
  );
});

Deno.test("server answers a throttled REGISTER with REGISTER_FAILURE saying how long to wait", async () => {
  const clock = new ManualClock();
  await using h = await harness({
    clock,
    sweepIntervalMs: 0,
    lang: "en",
    // Over loopback, which is exempt by default.
    registerThrottle: { exemptLoopback: false },
  });
  await using c = await h.connect();
  await c.expect("HELLO ");
  for (let i = 0; i < 5; i++) {
    await c.send(`REGISTER user${i} password123`);
    assert.equal(await c.expect("REGISTER_"), "REGISTER_SUCCESS");
  }
  clock.advance(15_500);
  await c.send("REGISTER user5 password123");
  assert.equal(
    await c.expect("REGISTER_"),
    "REGISTER_FAILURE Too many attempts; try again in 45 seconds",
  );
  // The operator sees it too, once per refused attempt.
  assert.equal(
    h.logs.filter((line) =>
      /\[Security\] Registration throttled: user5 from 127\.0\.0\.1:\d+$/
        .test(line)
    ).length,
    1,
    h.logs.join("\n"),
  );
  clock.advance(44_500);
  await c.send("REGISTER user5 password123");
  assert.equal(await c.expect("REGISTER_"), "REGISTER_SUCCESS");
});
