/**
 * Integration tests of the chat features over real sockets: rooms, private
 * and offline messages, user lists, history and its retention, moderation
 * and profiles (docs/PROTOCOL.md, sections 10-12).
 *
 * Every server listens on 127.0.0.1 port 0 with its own temp SQLite file and
 * a ManualClock, so times in replies are exact and nothing sleeps.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type ChatServer,
  type ChatServerOptions,
  startChatServer,
} from "../lib/server/net/chat_server.ts";
import { ManualClock } from "../lib/shared/clock.ts";
import { SqliteStore } from "../lib/store/sqlite/sqlite_store.ts";
import { normalizeUsername } from "../lib/shared/username.ts";
import { TestClient } from "./_client.ts";
import { tempDir } from "./_util.ts";

const LOBBY = "大厅";
const PASSWORD = "password123";
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

interface Harness extends AsyncDisposable {
  server: ChatServer;
  /** The server's store (closed by the server when it shuts down). */
  store: SqliteStore;
  clock: ManualClock;
  port: number;
  logs: string[];
  connect(): Promise<TestClient>;
  /** Registers and logs in; resolves after the lobby's history block. */
  user(name: string): Promise<TestClient>;
  /** Logs an existing account in; resolves after the lobby's history block. */
  login(name: string): Promise<TestClient>;
  /** Makes an account an administrator, as `server.ts grant-admin` does. */
  grantAdmin(name: string): Promise<void>;
}

interface HarnessOptions extends Partial<ChatServerOptions> {
  /**
   * Database file to use (kept), or `:memory:`; by default a fresh file in a
   * temp dir.
   */
  path?: string;
}

async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = await tempDir();
  const path = options.path ?? join(dir.path, "chat.db");
  const store = SqliteStore.open(path);
  const clock = options.clock instanceof ManualClock
    ? options.clock
    : new ManualClock();
  const logs: string[] = [];
  const server = startChatServer({
    hostname: "127.0.0.1",
    port: 0,
    hashIterations: 1000,
    // A ManualClock never refills the token bucket: make it deep enough.
    rateBurst: 100_000,
    // Deadlines and retention run only when a test calls sweep().
    sweepIntervalMs: 0,
    log: (line) => logs.push(line),
    ...options,
    clock,
    store,
  });
  const clients: TestClient[] = [];
  const connect = async () => {
    const client = await TestClient.connect(server.addr.port);
    clients.push(client);
    return client;
  };
  return {
    server,
    store,
    clock,
    port: server.addr.port,
    logs,
    connect,
    async user(name) {
      const client = await connect();
      await client.registerAndLogin(name, PASSWORD);
      await client.expect(`HISTORY_END ${LOBBY} `);
      return client;
    },
    async login(name) {
      const client = await connect();
      await client.expect("HELLO ");
      await client.send(`LOGIN ${name} ${PASSWORD}`);
      assert.equal(await client.expect("AUTH_"), `AUTH_SUCCESS ${name}`);
      await client.expect(`HISTORY_END ${LOBBY} `);
      return client;
    },
    async grantAdmin(name) {
      const key = normalizeUsername(name);
      assert.ok(key.ok);
      assert.ok(
        await store.setAdmin(key.key, true, {
          at: clock.now(),
          event: "admin_granted",
          username: name,
          address: "operator",
          detail: null,
        }),
      );
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await Promise.all(clients.map((client) => client.close()));
      await dir[Symbol.asyncDispose]();
    },
  };
}

let syncCounter = 0;

/**
 * Waits until the server has handled every line `client` sent so far (its
 * lines are handled in order, and the PONG is queued after their replies).
 */
async function sync(client: TestClient): Promise<void> {
  const token = `s${++syncCounter}`;
  await client.send(`PING ${token}`);
  await client.expect(`PONG ${token}`);
}

/**
 * Waits until everything `from` caused so far has reached `to`: a private
 * message from `from` is queued to `to` after any earlier delivery.
 */
async function barrier(from: TestClient, to: TestClient, toName: string) {
  const token = `barrier-${++syncCounter}`;
  await from.send(`PRIVMSG ${toName} ${token}`);
  await to.next((line) => line.startsWith("PRIVATE ") && line.endsWith(token));
}

/** Lines received since the last `mark()`. */
function marker(client: TestClient): () => string[] {
  const start = client.lines.length;
  return () => client.lines.slice(start);
}

interface HistoryLine {
  id: number;
  time: number;
  sender: string;
  text: string;
}

interface HistoryBlock {
  room: string;
  messages: HistoryLine[];
  more: number;
}

const HISTORY_MESSAGE = /^HISTORY_MESSAGE (\d+) (\d+) (\S+) ([\s\S]*)$/;

/**
 * Reads the next history block; its lines must come together (nothing
 * between `HISTORY_BEGIN` and `HISTORY_END`).
 */
async function readHistory(client: TestClient): Promise<HistoryBlock> {
  const begin = await client.expect("HISTORY_BEGIN ");
  const [, room, count] = /^HISTORY_BEGIN (\S+) (\d+)$/.exec(begin)!;
  const messages: HistoryLine[] = [];
  for (let i = 0; i < Number(count); i++) {
    const line = await client.next();
    const match = HISTORY_MESSAGE.exec(line);
    assert.ok(match, `expected HISTORY_MESSAGE, got ${line}`);
    messages.push({
      id: Number(match[1]),
      time: Number(match[2]),
      sender: match[3]!,
      text: match[4]!,
    });
  }
  const end = await client.next();
  assert.match(end, new RegExp(`^HISTORY_END ${room} [01]$`));
  return { room: room!, messages, more: Number(end.slice(-1)) };
}

const MESSAGE = /^MESSAGE (\d+) (\d+) (\S+) ([\s\S]*)$/;

/** Waits for the next MESSAGE event and parses it. */
async function nextMessage(client: TestClient): Promise<HistoryLine> {
  const match = MESSAGE.exec(await client.expect("MESSAGE "));
  assert.ok(match);
  return {
    id: Number(match[1]),
    time: Number(match[2]),
    sender: match[3]!,
    text: match[4]!,
  };
}

/** Sends many lines in one write. */
async function sendAll(client: TestClient, lines: string[]): Promise<void> {
  await client.writeRaw(new TextEncoder().encode(lines.join("\n") + "\n"));
}

/** Waits, boundedly, until `predicate` holds. */
async function eventually(
  predicate: () => boolean,
  what: string,
  waitMs = 5000,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function sortedUsers(line: string, scope: string): string[] {
  const prefix = `USER_LIST ${scope}`;
  assert.ok(line === prefix || line.startsWith(`${prefix} `), line);
  return line.slice(prefix.length).split(" ").filter((s) => s !== "").sort();
}

// ---------------------------------------------------------------------------
// Rooms

/**
 * Logs `name` out and queues `count` offline messages from `sender` for it
 * straight in the store (ids from 1,000,001, far above the server's); resolves the
 * account's id.
 */
async function queueOfflineFor(
  h: Harness,
  client: TestClient,
  name: string,
  count: number,
  text: (i: number) => string,
  sender = "someone",
): Promise<number> {
  await client.send("LOGOUT");
  await client.expect("LOGOUT_SUCCESS");
  const key = normalizeUsername(name);
  assert.ok(key.ok);
  const account = await h.store.getAccount(key.key);
  assert.ok(account);
  for (let i = 1; i <= count; i++) {
    const queued = await h.store.queueOffline(
      {
        id: 1_000_000 + i,
        room: null,
        sender,
        recipient: name,
        text: text(i),
        createdAt: h.clock.now(),
      },
      account.id,
      1000,
    );
    assert.equal(queued, "queued");
  }
  return account.id;
}

Deno.test("chat server: every session starts in the lobby with JOINED and its history", async () => {
  await using h = await harness();
  const alice = await h.connect();
  await alice.registerAndLogin("alice");
  assert.match(await alice.next(), /^RESUME_TOKEN \S+$/);
  assert.equal(await alice.next(), `JOINED ${LOBBY} 1`);
  assert.equal(await alice.next(), `HISTORY_BEGIN ${LOBBY} 0`);
  assert.equal(await alice.next(), `HISTORY_END ${LOBBY} 0`);
  await alice.send("MSG 早上好");
  await sync(alice);

  const bob = await h.connect();
  await bob.registerAndLogin("bob");
  assert.match(await bob.next(), /^RESUME_TOKEN \S+$/);
  assert.equal(await bob.next(), `JOINED ${LOBBY} 2`);
  const history = await readHistory(bob);
  assert.deepEqual(
    history.messages.map((m) => [m.sender, m.text, m.time]),
    [["alice", "早上好", h.clock.now()]],
  );
  assert.equal(history.more, 0);
  assert.equal(
    await alice.expect("USER_JOINED "),
    `USER_JOINED ${h.clock.now()} bob`,
  );

  // After LOGOUT and LOGIN on the same connection: the lobby again.
  await bob.send("JOIN 技术");
  await bob.expect("JOINED 技术 1");
  await bob.send("LOGOUT");
  await bob.expect("LOGOUT_SUCCESS");
  await bob.send(`LOGIN bob ${PASSWORD}`);
  await bob.expect("AUTH_SUCCESS bob");
  assert.equal(await bob.expect("JOINED "), `JOINED ${LOBBY} 2`);
});

Deno.test("chat server: JOIN and LEAVE move between rooms, and room events stay in the room", async () => {
  await using h = await harness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  const carol = await h.user("carol");
  const now = h.clock.now();

  await bob.send("JOIN 技术");
  assert.equal(await bob.expect("JOINED "), "JOINED 技术 1");
  assert.equal(await bob.next(), "HISTORY_BEGIN 技术 0");
  assert.equal(await bob.next(), "HISTORY_END 技术 0");
  // A move names the room the user went to (not "left the chat").
  assert.equal(await alice.expect("USER_LEFT "), `USER_LEFT ${now} bob 技术`);
  assert.equal(await carol.expect("USER_LEFT "), `USER_LEFT ${now} bob 技术`);

  await carol.send("JOIN 技术");
  assert.equal(await carol.expect("JOINED "), "JOINED 技术 2");
  assert.equal(await bob.expect("USER_JOINED "), `USER_JOINED ${now} carol`);
  assert.equal(
    await alice.expect("USER_LEFT "),
    `USER_LEFT ${now} carol 技术`,
  );

  // A message in 技术 reaches carol, not alice in the lobby.
  const aliceSince = marker(alice);
  await bob.send("MSG 部署好了");
  assert.equal((await nextMessage(carol)).text, "部署好了");
  await barrier(bob, alice, "alice");
  assert.ok(
    !aliceSince().some((l) => l.startsWith("MESSAGE ")),
    aliceSince().join("\n"),
  );

  // A lobby message reaches nobody in 技术.
  const bobSince = marker(bob);
  const carolSince = marker(carol);
  await alice.send("MSG 大厅的消息");
  await barrier(alice, bob, "bob");
  await barrier(alice, carol, "carol");
  for (const since of [bobSince, carolSince]) {
    assert.ok(!since().some((l) => l.startsWith("MESSAGE ")), since().join());
  }

  // LEAVE: back to the lobby with its history; 技术 gets USER_LEFT, the
  // lobby USER_JOINED.
  await bob.send("LEAVE");
  assert.equal(await bob.expect("JOINED "), `JOINED ${LOBBY} 2`);
  const lobby = await readHistory(bob);
  assert.equal(lobby.room, LOBBY);
  assert.deepEqual(lobby.messages.map((m) => m.text), ["大厅的消息"]);
  assert.equal(
    await carol.expect("USER_LEFT "),
    `USER_LEFT ${now} bob ${LOBBY}`,
  );
  assert.equal(await alice.expect("USER_JOINED "), `USER_JOINED ${now} bob`);

  // LEAVE in the lobby says so (no second copy of its history), JOIN of the
  // room one is in is answered the same way as a move; nobody is told
  // anything.
  const aliceQuiet = marker(alice);
  await bob.send("LEAVE");
  assert.equal(
    await bob.expect("ERROR "),
    "ERROR already_in_room 你已经在大厅了",
  );
  await barrier(bob, alice, "alice");
  assert.ok(
    !aliceQuiet().some((l) => /^USER_(JOINED|LEFT) /.test(l)),
    aliceQuiet().join("\n"),
  );
  await alice.send("JOIN 技术");
  assert.equal(await alice.expect("JOINED "), "JOINED 技术 2");
  await carol.expect("USER_JOINED ");
  const alice2 = marker(alice);
  await carol.send("JOIN 技术");
  assert.equal(await carol.expect("JOINED "), "JOINED 技术 2");
  const again = await readHistory(carol);
  assert.deepEqual(again.messages.map((m) => m.text), ["部署好了"]);
  await barrier(carol, alice, "alice");
  assert.ok(
    !alice2().some((l) => /^USER_(JOINED|LEFT) /.test(l)),
    alice2().join("\n"),
  );
  await alice.send("LEAVE");
  await alice.expect(`JOINED ${LOBBY} 2`);

  // A user who disconnects leaves their room: only 技术 hears of it.
  await bob.send("JOIN 技术");
  await bob.expect("JOINED 技术 2");
  await alice.expect("USER_LEFT ");
  const aliceLast = marker(alice);
  await carol.close();
  assert.equal(await bob.expect("USER_LEFT "), `USER_LEFT ${now} carol`);
  await barrier(bob, alice, "alice");
  assert.ok(
    !aliceLast().some((l) => l.startsWith("USER_")),
    aliceLast().join("\n"),
  );
});

Deno.test("chat server: ROOMS lists the lobby first, then rooms by member count", async () => {
  await using h = await harness();
  const [alice, bob, carol, dave] = [
    await h.user("alice"),
    await h.user("bob"),
    await h.user("carol"),
    await h.user("dave"),
  ];
  await alice.send("ROOMS");
  assert.equal(await alice.expect("ROOM_LIST"), `ROOM_LIST ${LOBBY}=4`);
  await alice.send("JOIN 游戏室");
  await bob.send("JOIN 技术");
  await carol.send("JOIN 技术");
  await dave.send("JOIN 技术");
  for (const client of [alice, bob, carol, dave]) await sync(client);
  await alice.send("ROOMS");
  assert.equal(
    await alice.expect("ROOM_LIST"),
    `ROOM_LIST ${LOBBY}=0 技术=3 游戏室=1`,
  );
  // A room without members is not listed any more.
  await alice.send("LEAVE");
  await sync(alice);
  await bob.send("ROOMS");
  assert.equal(await bob.expect("ROOM_LIST"), `ROOM_LIST ${LOBBY}=1 技术=3`);
  // Most members first; the order among equals is not specified.
  await carol.send("JOIN b-room");
  await dave.send("JOIN a-room");
  await sync(carol);
  await sync(dave);
  await alice.send("JOIN a-room");
  await sync(alice);
  await bob.send("ROOMS");
  const entries = (await bob.expect("ROOM_LIST")).split(" ").slice(1);
  assert.equal(entries[0], `${LOBBY}=0`);
  assert.equal(entries[1], "a-room=2");
  assert.deepEqual(entries.slice(2).sort(), ["b-room=1", "技术=1"]);
});

Deno.test("chat server: room names follow the username rules and match regardless of case and width", async (t) => {
  await using h = await harness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  const carol = await h.user("carol");

  await t.step("names of any script are accepted", async () => {
    for (
      const room of [
        "游戏室",
        "dev-ops_2",
        "Ελληνικά",
        "房".repeat(32),
        "x",
      ]
    ) {
      await alice.send(`JOIN ${room}`);
      assert.equal(await alice.expect("JOINED "), `JOINED ${room} 1`);
      await readHistory(alice);
    }
  });

  await t.step(
    "invalid names get ERROR invalid_room and change nothing",
    async () => {
      await alice.send("JOIN 游戏室");
      await alice.expect("JOINED 游戏室 1");
      for (
        const room of [
          "技术!",
          "-",
          "🎮",
          "a".repeat(33),
          "a.b",
          "房".repeat(33),
        ]
      ) {
        await alice.send(`JOIN ${room}`);
        const reply = await alice.next((l) => !l.startsWith("HISTORY_"));
        assert.match(reply, /^ERROR invalid_room /, room);
      }
      await alice.send("USERS");
      assert.equal(await alice.expect("USER_LIST"), "USER_LIST 游戏室 alice");
    },
  );

  await t.step(
    "Dev, dev and ｄｅｖ are one room, named by its creator",
    async () => {
      await alice.send("JOIN Dev");
      assert.equal(await alice.expect("JOINED "), "JOINED Dev 1");
      await bob.send("JOIN dev");
      assert.equal(await bob.expect("JOINED "), "JOINED Dev 2");
      await carol.send("JOIN ｄｅｖ");
      assert.equal(await carol.expect("JOINED "), "JOINED Dev 3");
      await alice.expect("USER_JOINED ");
      await alice.expect("USER_JOINED ");
      await bob.send("MSG hello dev");
      assert.equal((await nextMessage(alice)).text, "hello dev");
      assert.equal((await nextMessage(carol)).text, "hello dev");
      await alice.send("ROOMS");
      assert.equal(
        await alice.expect("ROOM_LIST"),
        `ROOM_LIST ${LOBBY}=0 Dev=3`,
      );
    },
  );

  await t.step(
    "a room's history is kept for whoever joins it next, in any spelling",
    async () => {
      for (const client of [alice, bob, carol]) {
        await client.send("LEAVE");
        await client.expect(`JOINED ${LOBBY} `);
      }
      await carol.send("JOIN DEV");
      assert.equal(await carol.expect("JOINED "), "JOINED DEV 1");
      const history = await readHistory(carol);
      assert.deepEqual(history.messages.map((m) => m.text), ["hello dev"]);
    },
  );
});

Deno.test("chat server: USERS lists the current room, USERS all everyone online", async () => {
  await using h = await harness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  const carol = await h.user("张三");
  await bob.send("JOIN 技术");
  await carol.send("JOIN 技术");
  await sync(bob);
  await sync(carol);
  await alice.send("USERS");
  assert.equal(await alice.expect("USER_LIST"), `USER_LIST ${LOBBY} alice`);
  await bob.send("USERS");
  assert.deepEqual(sortedUsers(await bob.expect("USER_LIST"), "技术"), [
    "bob",
    "张三",
  ]);
  await carol.send("USERS all");
  assert.deepEqual(sortedUsers(await carol.expect("USER_LIST"), "*"), [
    "alice",
    "bob",
    "张三",
  ]);
  await bob.close();
  await eventually(
    () =>
      carol.lines.some((l) => l.endsWith(" bob") && l.startsWith("USER_LEFT")),
    "bob to leave",
  );
  await alice.send("USERS all");
  assert.deepEqual(sortedUsers(await alice.expect("USER_LIST"), "*"), [
    "alice",
    "张三",
  ]);
});

// ---------------------------------------------------------------------------
// Private messages

Deno.test("chat server: PRIVMSG to an online user reaches both, wherever they are", async () => {
  await using h = await harness();
  const alice = await h.user("小王");
  const bob = await h.user("张三");
  await bob.send("JOIN 技术");
  await bob.expect("JOINED 技术");
  await alice.send("PRIVMSG 张三 在吗？ 😀");
  const copy = await alice.expect("PRIVATE ");
  assert.match(copy, /^PRIVATE \d+ \d+ 小王 张三 在吗？ 😀$/);
  assert.ok(copy.includes(` ${h.clock.now()} `));
  assert.equal(await bob.expect("PRIVATE "), copy);
  // No PM_QUEUED for an online recipient.
  await sync(alice);
  assert.ok(!alice.lines.some((l) => l.startsWith("PM_QUEUED")));

  // The name is matched like a login name; the stored spelling is shown.
  await bob.send("PRIVMSG 小王 在的");
  const reply = await bob.expect("PRIVATE ");
  assert.equal(await alice.expect("PRIVATE "), reply);
  const ids = [copy, reply].map((line) => Number(line.split(" ")[1]));
  assert.ok(ids[1]! > ids[0]!, "ids grow");

  const carol = await h.user("Carol");
  await alice.send("PRIVMSG CAROL hi");
  assert.match(await alice.expect("PRIVATE "), / 小王 Carol hi$/);
  assert.match(await carol.expect("PRIVATE "), / 小王 Carol hi$/);

  await alice.send("PRIVMSG 李四 hello");
  assert.match(await alice.expect("ERROR "), /^ERROR no_such_user /);
  await alice.send("PRIVMSG bad!name hello");
  assert.match(await alice.expect("ERROR "), /^ERROR no_such_user /);
});

Deno.test("chat server: PRIVMSG to an offline user is queued and delivered at the next login", async () => {
  await using h = await harness();
  const alice = await h.user("小王");
  const bob = await h.user("李四");
  const carol = await h.user("carol");
  await bob.send("LOGOUT");
  await bob.expect("LOGOUT_SUCCESS");

  const sentAt = h.clock.now();
  await alice.send("PRIVMSG 李四 明天见");
  const copy1 = await alice.expect("PRIVATE ");
  assert.match(copy1, new RegExp(`^PRIVATE \\d+ ${sentAt} 小王 李四 明天见$`));
  assert.equal(await alice.next(), "PM_QUEUED 李四");
  h.clock.advance(MINUTE);
  await alice.send("PRIVMSG 李四 记得带伞 ☔");
  const copy2 = await alice.expect("PRIVATE ");
  assert.equal(await alice.next(), "PM_QUEUED 李四");
  await carol.send("PRIVMSG 李四 from carol");
  const copy3 = await carol.expect("PRIVATE ");
  assert.equal(await carol.next(), "PM_QUEUED 李四");
  await carol.close();

  h.clock.advance(60 * MINUTE);
  const since = bob.lines.length;
  await bob.send(`LOGIN 李四 ${PASSWORD}`);
  await bob.expect("AUTH_SUCCESS 李四");
  await bob.expect(`HISTORY_END ${LOBBY} `);
  // Right after the lobby's history, with nothing in between, with the
  // original ids and times, oldest first.
  assert.equal(await bob.next(), "OFFLINE_BEGIN 3");
  assert.equal(await bob.next(), copy1);
  assert.equal(await bob.next(), copy2);
  assert.equal(await bob.next(), copy3);
  assert.equal(await bob.next(), "OFFLINE_END");
  const order = bob.lines.slice(since).map((l) => l.split(" ")[0]);
  assert.deepEqual(order.slice(order.indexOf("JOINED")), [
    "JOINED",
    "HISTORY_BEGIN",
    "HISTORY_END",
    "OFFLINE_BEGIN",
    "PRIVATE",
    "PRIVATE",
    "PRIVATE",
    "OFFLINE_END",
    "UNREAD",
  ]);
  // The online sender hears how many of theirs were delivered; carol is
  // offline and hears nothing.
  assert.equal(await alice.expect("PM_DELIVERED "), "PM_DELIVERED 李四 2");

  // Each message is delivered once.
  await bob.send("LOGOUT");
  await bob.expect("LOGOUT_SUCCESS");
  const again = bob.lines.length;
  await bob.send(`LOGIN 李四 ${PASSWORD}`);
  await bob.expect(`HISTORY_END ${LOBBY} `);
  await sync(bob);
  assert.ok(
    !bob.lines.slice(again).some((l) => /^(OFFLINE_|PRIVATE )/.test(l)),
    bob.lines.slice(again).join("\n"),
  );
});

Deno.test("chat server: a recipient with 1,000 undelivered messages gets no more (offline_queue_full)", async () => {
  // In memory: 1,000 synced commits would only measure the disk.
  await using h = await harness({ path: ":memory:" });
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  await bob.send("LOGOUT");
  await bob.expect("LOGOUT_SUCCESS");
  const key = normalizeUsername("bob");
  assert.ok(key.ok);
  const account = await h.store.getAccount(key.key);
  assert.ok(account);
  // 999 queued through the store (ids far above the server's), so that the
  // wire fills exactly the last place.
  for (let i = 1; i <= 999; i++) {
    const result = await h.store.queueOffline(
      {
        id: 1_000_000 + i,
        room: null,
        sender: "someone",
        recipient: "bob",
        text: `filler ${i}`,
        createdAt: h.clock.now(),
      },
      account.id,
      1000,
    );
    assert.equal(result, "queued");
  }
  await alice.send("PRIVMSG bob the 1000th");
  assert.match(await alice.expect("PRIVATE "), / alice bob the 1000th$/);
  assert.equal(await alice.next(), "PM_QUEUED bob");
  const since = marker(alice);
  await alice.send("PRIVMSG bob the 1001st");
  assert.match(await alice.next(), /^ERROR offline_queue_full /);
  await sync(alice);
  assert.ok(
    !since().some((l) => l.startsWith("PRIVATE ") || l.startsWith("PM_")),
    "neither copied nor queued",
  );

  // Delivery empties the queue; the refused message was never stored.
  await bob.send(`LOGIN bob ${PASSWORD}`);
  assert.equal(await bob.expect("OFFLINE_BEGIN "), "OFFLINE_BEGIN 1000");
  const delivered: string[] = [];
  for (let i = 0; i < 1000; i++) delivered.push(await bob.next());
  assert.equal(await bob.next(), "OFFLINE_END");
  assert.match(delivered[0]!, / alice bob the 1000th$/);
  assert.ok(!delivered.some((l) => l.endsWith("the 1001st")));
  assert.equal(await alice.expect("PM_DELIVERED "), "PM_DELIVERED bob 1");
  await bob.send("LOGOUT");
  await bob.expect("LOGOUT_SUCCESS");
  await alice.send("PRIVMSG bob room again");
  await alice.expect("PRIVATE ");
  assert.equal(await alice.next(), "PM_QUEUED bob");
});

Deno.test("chat server: an offline message survives a restart and is delivered exactly once", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "chat.db");
  const clock = new ManualClock();
  let queued: string;
  let roomMessageId: number;
  {
    await using first = await harness({ path, clock });
    const alice = await first.user("alice");
    const bob = await first.user("bob");
    await first.grantAdmin("alice");
    await alice.send("MSG before the restart");
    roomMessageId = (await nextMessage(bob)).id;
    await bob.close();
    await eventually(
      () => alice.lines.some((l) => l.startsWith("USER_LEFT ")),
      "bob to leave",
    );
    await alice.send("PRIVMSG bob 重启前的消息 🔁");
    queued = await alice.expect("PRIVATE ");
    assert.equal(await alice.next(), "PM_QUEUED bob");
    // And a mute, stored with the account.
    await alice.send("MUTE bob 60 重启也不解除");
    await alice.expect("OK muted");
    await first.server.shutdown();
    assert.match(await alice.expect("BYE "), /^BYE shutdown/);
  }
  clock.advance(MINUTE);
  await using second = await harness({ path, clock });
  const bob = await second.login("bob");
  assert.equal(await bob.next(), "OFFLINE_BEGIN 1");
  assert.equal(await bob.next(), queued);
  assert.equal(await bob.next(), "OFFLINE_END");
  const muteUntil = clock.now() - MINUTE + 60 * MINUTE;
  assert.equal(await bob.next(), `MUTED ${muteUntil} 重启也不解除`);
  // The room message was stored before the shutdown, and new ids go on
  // after the old ones.
  await bob.send("HISTORY 10");
  const history = await readHistory(bob);
  assert.deepEqual(
    history.messages.map((m) => [m.id, m.text]),
    [[roomMessageId, "before the restart"]],
  );
  const alice = await second.login("alice");
  await alice.send("PRIVMSG bob after");
  const after = Number((await alice.expect("PRIVATE ")).split(" ")[1]);
  assert.ok(after > Number(queued.split(" ")[1]), "ids continue");
  await bob.expect("PRIVATE ");

  // Log out and in again: nothing more is delivered.
  await bob.send("LOGOUT");
  await bob.expect("LOGOUT_SUCCESS");
  const since = marker(bob);
  await bob.send(`LOGIN bob ${PASSWORD}`);
  await bob.expect(`HISTORY_END ${LOBBY} `);
  await sync(bob);
  assert.ok(
    !since().some((l) => /^(OFFLINE_|PRIVATE )/.test(l)),
    since().join("\n"),
  );
  await bob.close();
  await alice.close();
  await second.server.shutdown();

  // Nor after yet another restart.
  await using third = await harness({ path, clock });
  const bob3 = await third.login("bob");
  await sync(bob3);
  assert.ok(!bob3.lines.some((l) => /^(OFFLINE_|PRIVATE )/.test(l)));
});

// ---------------------------------------------------------------------------
// History

Deno.test("chat server: joining a room shows its last 20 messages, oldest first", async () => {
  await using h = await harness();
  const alice = await h.user("alice");
  const observer = await h.user("observer");
  await alice.send("JOIN 技术");
  await observer.send("JOIN 技术");
  await alice.expect("USER_JOINED ");
  await sendAll(
    alice,
    Array.from({ length: 25 }, (_, i) => `MSG 消息 ${i + 1}`),
  );
  const sent: HistoryLine[] = [];
  for (let i = 0; i < 25; i++) sent.push(await nextMessage(observer));
  assert.deepEqual(
    sent.map((m) => m.text),
    Array.from({ length: 25 }, (_, i) => `消息 ${i + 1}`),
  );

  const bob = await h.user("bob");
  await bob.send("JOIN 技术");
  assert.equal(await bob.expect("JOINED "), "JOINED 技术 3");
  const block = await readHistory(bob);
  assert.equal(block.room, "技术");
  assert.deepEqual(block.messages, sent.slice(5));
  assert.equal(block.more, 1);
  assert.ok(block.messages.every((m) => m.sender === "alice"));

  // Every message was stored: the five older ones are a page away.
  await bob.send(`HISTORY 20 before ${block.messages[0]!.id}`);
  const older = await readHistory(bob);
  assert.deepEqual(older.messages, sent.slice(0, 5));
  assert.equal(older.more, 0);
});

Deno.test("chat server: history paging returns every message exactly once, in order", async () => {
  await using h = await harness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  // Noise in another room must not show up.
  const other = await h.user("other");
  await other.send("JOIN 别处");
  await sendAll(other, ["MSG elsewhere 1", "MSG elsewhere 2"]);
  await sync(other);

  const total = 95;
  await sendAll(
    alice,
    Array.from({ length: total }, (_, i) => `MSG m${i + 1}`),
  );
  const sent: HistoryLine[] = [];
  for (let i = 0; i < total; i++) sent.push(await nextMessage(bob));
  const ids = sent.map((m) => m.id);

  // Scroll back from the newest.
  await bob.send("HISTORY 20");
  let page = await readHistory(bob);
  const pages = [page];
  while (page.more === 1) {
    assert.ok(pages.length < 10, "paging terminates");
    await bob.send(`HISTORY 20 before ${page.messages[0]!.id}`);
    page = await readHistory(bob);
    pages.push(page);
  }
  assert.deepEqual(pages.map((p) => p.messages.length), [20, 20, 20, 20, 15]);
  const scrolled = pages.reverse().flatMap((p) => p.messages.map((m) => m.id));
  assert.deepEqual(scrolled, ids);
  assert.equal(new Set(scrolled).size, total);

  // Catch up forwards from before the first.
  const forwards: number[] = [];
  let cursor = 0;
  while (true) {
    await bob.send(`HISTORY 30 after ${cursor}`);
    const next = await readHistory(bob);
    forwards.push(...next.messages.map((m) => m.id));
    if (next.more === 0) break;
    cursor = next.messages.at(-1)!.id;
    assert.ok(forwards.length <= total, "paging terminates");
  }
  assert.deepEqual(forwards, ids);

  await bob.send(`HISTORY 10 after ${ids[49]}`);
  const after = await readHistory(bob);
  assert.deepEqual(after.messages.map((m) => m.text), [
    "m51",
    "m52",
    "m53",
    "m54",
    "m55",
    "m56",
    "m57",
    "m58",
    "m59",
    "m60",
  ]);
  assert.equal(after.more, 1);
  await bob.send(`HISTORY 100 after ${ids[89]}`);
  const tail = await readHistory(bob);
  assert.deepEqual(tail.messages.map((m) => m.text), [
    "m91",
    "m92",
    "m93",
    "m94",
    "m95",
  ]);
  assert.equal(tail.more, 0);
  await bob.send(`HISTORY 5 after ${ids.at(-1)}`);
  assert.deepEqual(await readHistory(bob), {
    room: LOBBY,
    messages: [],
    more: 0,
  });
  // The id is a bound, not a reference.
  await bob.send(`HISTORY 1 before ${ids.at(-1)! + 1000}`);
  assert.deepEqual((await readHistory(bob)).messages, [sent.at(-1)]);

  // Counts outside 1..100 are refused by the grammar.
  for (const bad of ["HISTORY 0", "HISTORY 101", "HISTORY 5 before x"]) {
    await bob.send(bad);
    assert.match(await bob.expect("ERROR "), /^ERROR invalid_command /);
  }
});

Deno.test("chat server: history older than --history-days is pruned by sweep()", async () => {
  await using h = await harness({ historyDays: 1 });
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  await h.grantAdmin("bob");
  await sendAll(alice, ["MSG old 1", "MSG old 2", "MSG old 3"]);
  const old: HistoryLine[] = [];
  for (let i = 0; i < 3; i++) old.push(await nextMessage(bob));

  h.clock.advance(DAY + MINUTE);
  await sendAll(alice, ["MSG new 1", "MSG new 2"]);
  await nextMessage(bob);
  await nextMessage(bob);
  await bob.send("HISTORY 100");
  assert.equal((await readHistory(bob)).messages.length, 5);

  h.server.sweep();
  await eventually(
    () => h.logs.some((l) => l.includes("pruned 3 message(s)")),
    "the prune",
  );
  await bob.send("HISTORY 100");
  const page = await readHistory(bob);
  assert.deepEqual(page.messages.map((m) => m.text), ["new 1", "new 2"]);
  assert.equal(page.more, 0);
  // A pruned message is in no history: DELETE does not find it.
  await bob.send(`DELETE ${old[0]!.id}`);
  assert.match(await bob.expect("ERROR "), /^ERROR no_such_message /);
  // Newcomers see only the recent ones too.
  const carol = await h.connect();
  await carol.registerAndLogin("carol");
  await carol.expect("JOINED ");
  const joined = await readHistory(carol);
  assert.deepEqual(joined.messages.map((m) => m.text), ["new 1", "new 2"]);
});

Deno.test("chat server: a private message that expires before its recipient logs in is never delivered", async () => {
  await using h = await harness({ historyDays: 1 });
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  await bob.send("LOGOUT");
  await bob.expect("LOGOUT_SUCCESS");
  await alice.send("PRIVMSG bob too late");
  await alice.expect("PM_QUEUED bob");
  h.clock.advance(DAY + MINUTE);
  await alice.send("PRIVMSG bob in time");
  const fresh = await alice.expect("PRIVATE ");
  await alice.expect("PM_QUEUED bob");
  // Retention runs (the store keeps queued messages), and closes bob's
  // connection, idle since the LOGOUT.
  h.server.sweep();
  const again = await h.login("bob");
  assert.equal(await again.next(), "OFFLINE_BEGIN 1");
  assert.equal(await again.next(), fresh);
  assert.equal(await again.next(), "OFFLINE_END");
  assert.equal(await alice.expect("PM_DELIVERED "), "PM_DELIVERED bob 1");
});

// ---------------------------------------------------------------------------
// Moderation

Deno.test("chat server: KICK, MUTE, UNMUTE and DELETE are for administrators only", async () => {
  await using h = await harness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  await alice.send("MSG keep me");
  const message = await nextMessage(bob);
  const bobSince = marker(bob);
  for (
    const command of [
      "KICK alice 刷屏",
      "MUTE alice 30 刷屏",
      "UNMUTE alice",
      `DELETE ${message.id}`,
      "KICK nobody",
    ]
  ) {
    await bob.send(command);
    assert.match(await bob.expect("ERROR "), /^ERROR not_admin /, command);
  }
  // Nothing happened.
  await sync(bob);
  await alice.send("MSG still here");
  assert.equal((await nextMessage(bob)).text, "still here");
  assert.ok(!alice.closed);
  assert.ok(!alice.lines.some((l) => l.startsWith("MUTED")));
  await alice.send("HISTORY 10");
  assert.deepEqual(
    (await readHistory(alice)).messages.map((m) => m.text),
    ["keep me", "still here"],
  );
  assert.ok(!bobSince().some((l) => l.startsWith("OK ")));
  // Refused attempts are audited too.
  for (const event of ["kick", "mute", "unmute", "delete_message"] as const) {
    const entries = await h.store.listAudit({ event });
    assert.ok(
      entries.some((e) =>
        e.detail?.includes("by bob") &&
        e.detail.includes("not_admin")
      ),
      `${event}: ${JSON.stringify(entries)}`,
    );
  }
  // The role is read at once: a grant needs no new login.
  await h.grantAdmin("bob");
  await bob.send("UNMUTE alice");
  assert.match(await bob.expect("OK "), /^OK unmuted /);
});

Deno.test("chat server: KICK disconnects the user, tells the room, and the user may log in again", async () => {
  await using h = await harness();
  const admin = await h.user("管理员小李");
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  await h.grantAdmin("管理员小李");
  const token = bob.lines.find((l) => l.startsWith("RESUME_TOKEN "))!.slice(
    "RESUME_TOKEN ".length,
  );
  await bob.send("JOIN 技术");
  await alice.send("JOIN 技术");
  await bob.expect("USER_JOINED ");
  // Seen in the lobby before alice followed: bob's move, not a leave.
  assert.equal(
    await alice.expect("USER_LEFT "),
    `USER_LEFT ${h.clock.now()} bob 技术`,
  );

  await admin.send("KICK bob 刷屏");
  assert.equal(await admin.expect("OK "), "OK kicked 已将 bob 移出聊天室");
  assert.equal(await bob.expect("BYE "), "BYE kicked 刷屏");
  await bob.closedByServer();
  assert.equal(
    await alice.expect("USER_LEFT "),
    `USER_LEFT ${h.clock.now()} bob`,
  );
  await admin.send("USERS all");
  assert.deepEqual(sortedUsers(await admin.expect("USER_LIST"), "*"), [
    "alice",
    "管理员小李",
  ]);

  // The resume token is void, but a kick is not a ban.
  await using thief = await h.connect();
  await thief.expect("HELLO");
  await thief.send(`RESUME bob ${token}`);
  assert.match(await thief.expect("AUTH_"), /^AUTH_FAILURE /);
  const back = await h.login("bob");
  assert.ok(back.lines.includes(`JOINED ${LOBBY} 2`));

  // Without a reason: a bare BYE kicked.
  await admin.send("KICK bob");
  await admin.expect("OK kicked");
  assert.equal(await back.expect("BYE "), "BYE kicked");
  await back.closedByServer();

  await admin.send("KICK bob");
  assert.match(await admin.expect("ERROR "), /^ERROR user_offline /);
  await admin.send("KICK nobody");
  assert.match(await admin.expect("ERROR "), /^ERROR no_such_user /);

  const kicks = await h.store.listAudit({ event: "kick" });
  assert.equal(kicks.length, 2);
  assert.deepEqual(kicks.map((e) => e.username), ["bob", "bob"]);
  assert.ok(
    kicks.some((e) => e.detail === "by 管理员小李: 刷屏"),
    JSON.stringify(kicks),
  );
});

Deno.test("chat server: a muted user cannot post in any room or privately until UNMUTE", async () => {
  await using h = await harness();
  const admin = await h.user("boss");
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  const carol = await h.user("carol");
  await h.grantAdmin("boss");
  await carol.send("JOIN 技术");
  await carol.expect("JOINED 技术");
  await sync(bob);

  await admin.send("MUTE bob 30 刷屏");
  const until = h.clock.now() + 30 * MINUTE;
  assert.equal(await admin.expect("OK "), "OK muted bob 已被禁言 30 分钟");
  assert.equal(await bob.expect("MUTED "), `MUTED ${until} 刷屏`);

  const aliceSince = marker(alice);
  const carolSince = marker(carol);
  const refused = `MUTED ${until} 刷屏`;
  await bob.send("MSG 还能说话吗");
  assert.equal(await bob.next(), refused);
  await bob.send("a bare chat line");
  assert.equal(await bob.next(), refused);
  await bob.send("PRIVMSG alice 私聊也不行");
  assert.equal(await bob.next(), refused);
  await bob.send("PRIVMSG nobody 私聊也不行");
  assert.equal(await bob.next(), refused);
  await bob.send("STATUS 禁言中");
  assert.match(await bob.next(), /^ERROR muted /);
  // Everything else works: JOIN, HISTORY, WHOIS, USERS.
  await bob.send("JOIN 技术");
  assert.equal(await bob.next(), "JOINED 技术 2");
  await readHistory(bob);
  await bob.send("MSG 换个房间呢");
  assert.equal(await bob.next(), refused);
  await bob.send("HISTORY 5");
  assert.deepEqual((await readHistory(bob)).messages, []);
  await bob.send("WHOIS alice");
  assert.match(await bob.next(), /^AVATAR_LIST alice=/);
  assert.match(await bob.next(), /^WHOIS_INFO alice /);
  await bob.send("LEAVE");
  await bob.expect(`JOINED ${LOBBY}`);
  // Bob's LEAVE reaches both rooms after everything he tried before.
  await alice.expect("USER_JOINED ");
  await carol.expect("USER_LEFT ");
  for (const since of [aliceSince, carolSince]) {
    assert.ok(
      !since().some((l) => /^(MESSAGE|PRIVATE) /.test(l)),
      since().join("\n"),
    );
  }
  await alice.send("HISTORY 10");
  assert.deepEqual((await readHistory(alice)).messages, []);

  await admin.send("UNMUTE bob");
  assert.equal(await admin.expect("OK "), "OK unmuted bob 已解除禁言");
  assert.equal(await bob.expect("UNMUTED"), "UNMUTED");
  await bob.send("MSG 我又能说话了");
  assert.equal((await nextMessage(alice)).text, "我又能说话了");
  await bob.send("PRIVMSG carol 你好");
  assert.match(await carol.expect("PRIVATE "), / bob carol 你好$/);
  await bob.send("STATUS 自由了");
  assert.match(await bob.expect("OK "), /^OK status_set/);

  // Unknown users.
  await admin.send("MUTE nobody 5");
  assert.match(await admin.expect("ERROR "), /^ERROR no_such_user /);
  await admin.send("UNMUTE nobody");
  assert.match(await admin.expect("ERROR "), /^ERROR no_such_user /);

  const mutes = await h.store.listAudit({ event: "mute" });
  assert.equal(mutes.length, 1);
  assert.equal(mutes[0]!.username, "bob");
  assert.match(mutes[0]!.detail!, /boss.*30.*刷屏/);
  const unmutes = await h.store.listAudit({ event: "unmute" });
  assert.equal(unmutes.length, 1);
  assert.equal(unmutes[0]!.username, "bob");
});

Deno.test("chat server: a mute ends by itself at until_ms, and outlasts a new login", async (t) => {
  await using h = await harness();
  const admin = await h.user("boss");
  const alice = await h.user("alice");
  let bob = await h.user("bob");
  await h.grantAdmin("boss");

  await t.step("expiry", async () => {
    await admin.send("MUTE bob 1");
    await admin.expect("OK muted");
    assert.equal(await bob.expect("MUTED "), `MUTED ${h.clock.now() + MINUTE}`);
    h.clock.advance(MINUTE - 1);
    await bob.send("MSG too early");
    assert.match(await bob.expect("MUTED "), /^MUTED \d+$/);
    h.clock.advance(1);
    const since = marker(bob);
    await bob.send("MSG on time");
    assert.equal((await nextMessage(alice)).text, "on time");
    await sync(bob);
    // Nothing is sent when the mute ends.
    assert.ok(!since().some((l) => /^(UN)?MUTED/.test(l)));
  });

  await t.step("re-login", async () => {
    await admin.send("MUTE bob 10 冷静一下");
    const until = h.clock.now() + 10 * MINUTE;
    assert.equal(await admin.expect("OK "), "OK muted bob 已被禁言 10 分钟");
    await bob.expect("MUTED ");
    await bob.send("LOGOUT");
    await bob.expect("LOGOUT_SUCCESS");
    await bob.close();
    h.clock.advance(MINUTE);
    bob = await h.login("bob");
    assert.equal(await bob.next(), `MUTED ${until} 冷静一下`);
    assert.equal(await bob.next(), "UNREAD");
    await bob.send("MSG 重新登录了");
    assert.equal(await bob.next(), `MUTED ${until} 冷静一下`);
  });

  await t.step("an offline user is muted too", async () => {
    const carol = await h.user("carol");
    await carol.send("LOGOUT");
    await carol.expect("LOGOUT_SUCCESS");
    await admin.send("MUTE carol 5 离线禁言");
    assert.equal(await admin.expect("OK "), "OK muted carol 已被禁言 5 分钟");
    const until = h.clock.now() + 5 * MINUTE;
    await carol.send(`LOGIN carol ${PASSWORD}`);
    await carol.expect(`HISTORY_END ${LOBBY}`);
    assert.equal(await carol.next(), `MUTED ${until} 离线禁言`);
    assert.equal(await carol.next(), "UNREAD");
    await carol.send("PRIVMSG alice hi");
    assert.equal(await carol.next(), `MUTED ${until} 离线禁言`);
  });
});

Deno.test("chat server: DELETE removes a room message from its room and history", async () => {
  await using h = await harness();
  const admin = await h.user("boss");
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  await h.grantAdmin("boss");
  await sendAll(alice, ["MSG one", "MSG two", "MSG three"]);
  const [one, two, three] = [
    await nextMessage(bob),
    await nextMessage(bob),
    await nextMessage(bob),
  ];

  // In the room: everyone gets MESSAGE_DELETED, the admin too.
  const adminLines = marker(admin);
  await admin.send(`DELETE ${two!.id}`);
  assert.equal(await admin.expect("OK "), `OK deleted 消息 ${two!.id} 已删除`);
  const deleted = `MESSAGE_DELETED ${two!.id} boss`;
  assert.ok(adminLines().includes(deleted), adminLines().join("\n"));
  assert.equal(await alice.expect("MESSAGE_DELETED "), deleted);
  assert.equal(await bob.expect("MESSAGE_DELETED "), deleted);
  await bob.send("HISTORY 10");
  assert.deepEqual(
    (await readHistory(bob)).messages.map((m) => m.id),
    [one!.id, three!.id],
  );

  // From another room: the room is told, the admin only gets OK.
  await admin.send("JOIN 管理室");
  await admin.expect("JOINED 管理室");
  const adminSince = marker(admin);
  await admin.send(`DELETE ${one!.id}`);
  assert.match(await admin.expect("OK "), /^OK deleted/);
  assert.equal(
    await alice.expect("MESSAGE_DELETED "),
    `MESSAGE_DELETED ${one!.id} boss`,
  );
  await barrier(alice, admin, "boss");
  assert.ok(!adminSince().some((l) => l.startsWith("MESSAGE_DELETED")));
  const carol = await h.connect();
  await carol.registerAndLogin("carol");
  await carol.expect("JOINED ");
  assert.deepEqual(
    (await readHistory(carol)).messages.map((m) => m.text),
    ["three"],
  );

  // Gone, never there, or private: no_such_message.
  await alice.send("PRIVMSG bob private");
  const pm = Number((await alice.expect("PRIVATE ")).split(" ")[1]);
  for (const id of [two!.id, 99999, pm]) {
    await admin.send(`DELETE ${id}`);
    assert.match(await admin.expect("ERROR "), /^ERROR no_such_message /);
  }

  const audit = await h.store.listAudit({ event: "delete_message" });
  assert.equal(audit.length, 2);
  assert.ok(audit.every((e) => e.username === "alice"));
  assert.ok(audit.every((e) => e.detail?.includes("boss")));
  assert.ok(audit.some((e) => e.detail?.includes(String(two!.id))));
});

// ---------------------------------------------------------------------------
// Profiles

Deno.test("chat server: STATUS sets a profile status that WHOIS shows with the user's state", async () => {
  await using h = await harness();
  const registeredAt = h.clock.now();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  await h.grantAdmin("bob");

  await alice.send("STATUS 好好学习");
  assert.equal(await alice.expect("OK "), "OK status_set 个性签名已更新");
  await alice.send("JOIN 自习室");
  await alice.expect("JOINED 自习室");
  await bob.send("WHOIS alice");
  assert.equal(
    await bob.expect("WHOIS_"),
    `WHOIS_INFO alice ${registeredAt} 1 - 自习室 0 好好学习`,
  );
  await bob.send("WHOIS BOB");
  assert.equal(
    await bob.expect("WHOIS_"),
    `WHOIS_INFO bob ${registeredAt} 1 - ${LOBBY} 1`,
  );

  // A status with spaces and emoji; a bare STATUS clears it.
  await alice.send("STATUS 在忙，晚点 回复 📚");
  await alice.expect("OK status_set");
  await bob.send("WHOIS alice");
  assert.match(await bob.expect("WHOIS_"), / 0 在忙，晚点 回复 📚$/);
  await alice.send("STATUS");
  assert.equal(await alice.expect("OK "), "OK status_cleared 个性签名已清除");
  await bob.send("WHOIS alice");
  assert.equal(
    await bob.expect("WHOIS_"),
    `WHOIS_INFO alice ${registeredAt} 1 - 自习室 0`,
  );
  await alice.send(`STATUS ${"长".repeat(101)}`);
  assert.match(await alice.expect("ERROR "), /^ERROR message_too_long /);

  // Offline: the end of the last session, and no room.
  await alice.send("STATUS 下线了");
  await alice.expect("OK status_set");
  h.clock.advance(5 * MINUTE);
  const leftAt = h.clock.now();
  await alice.send("LOGOUT");
  await alice.expect("LOGOUT_SUCCESS");
  h.clock.advance(MINUTE);
  await bob.send("WHOIS alice");
  assert.equal(
    await bob.expect("WHOIS_"),
    `WHOIS_INFO alice ${registeredAt} 0 ${leftAt} - 0 下线了`,
  );

  // Never logged in: no last-seen time.
  const carol = await h.connect();
  await carol.expect("HELLO");
  await carol.send(`REGISTER carol ${PASSWORD}`);
  await carol.expect("REGISTER_SUCCESS");
  await bob.send("WHOIS carol");
  assert.equal(
    await bob.expect("WHOIS_"),
    `WHOIS_INFO carol ${h.clock.now()} 0 - - 0`,
  );
  await bob.send("WHOIS nobody");
  assert.match(await bob.expect("ERROR "), /^ERROR no_such_user /);
});

// ---------------------------------------------------------------------------
// Text

Deno.test("chat server: emoji and CJK text round-trips intact through messages, history and private messages", async () => {
  await using h = await harness();
  const alice = await h.user("小王");
  const bob = await h.user("张三");
  const carol = await h.user("李四");
  const texts = [
    "大家好 😀",
    "👨‍👩‍👧‍👦 👍🏽 🇨🇳 ❤️",
    "中文，标点！「引号」 𠮷野家",
    "  前后空格  ",
    "Ελληνικά العربية हिन्दी 한국어 ✓",
    "中".repeat(1365),
  ];
  for (const text of texts) {
    await alice.send(`MSG ${text}`);
    const got = await nextMessage(bob);
    assert.equal(got.text, text);
    assert.equal(got.sender, "小王");
  }
  // Control characters become spaces.
  await alice.send("MSG tab\there");
  assert.equal((await nextMessage(bob)).text, "tab here");
  // One byte too many (4098 bytes of UTF-8).
  await alice.send(`MSG ${"中".repeat(1366)}`);
  assert.match(await alice.expect("ERROR "), /^ERROR message_too_long /);

  await bob.send("HISTORY 20");
  const history = await readHistory(bob);
  assert.deepEqual(history.messages.map((m) => m.text), [
    ...texts,
    "tab here",
  ]);

  // Private, online and offline.
  await alice.send(`PRIVMSG 张三 ${texts[1]}`);
  assert.ok((await bob.expect("PRIVATE ")).endsWith(` 小王 张三 ${texts[1]}`));
  await alice.expect("PRIVATE ");
  await carol.send("LOGOUT");
  await carol.expect("LOGOUT_SUCCESS");
  await alice.send(`PRIVMSG 李四 ${texts[2]}`);
  const copy = await alice.expect("PRIVATE ");
  assert.ok(copy.endsWith(` 小王 李四 ${texts[2]}`));
  await carol.send(`LOGIN 李四 ${PASSWORD}`);
  await carol.expect("OFFLINE_BEGIN 1");
  assert.equal(await carol.next(), copy);

  // A room name in another script, and its history.
  await bob.send("JOIN 한국어방");
  await bob.expect("JOINED 한국어방 1");
  await bob.send(`MSG ${texts[0]}`);
  await carol.send("JOIN 한국어방");
  await carol.expect("JOINED 한국어방 2");
  assert.deepEqual((await readHistory(carol)).messages.map((m) => m.text), [
    texts[0],
  ]);
});

Deno.test("chat server: 300 offline messages of 4 KB reach a recipient whose outbound queue is 1 MiB", async () => {
  await using h = await harness({ path: ":memory:" });
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  // 300 x 4,000 bytes = 1.2 MB of text: more than the 1 MiB (1,048,576
  // bytes) a connection may have pending.
  const accountId = await queueOfflineFor(
    h,
    bob,
    "bob",
    300,
    (i) => `${String(i).padStart(4, "0")} ${"x".repeat(3995)}`,
    "alice",
  );
  await bob.send(`LOGIN bob ${PASSWORD}`);
  assert.equal(await bob.expect("OFFLINE_BEGIN "), "OFFLINE_BEGIN 300");
  for (let i = 1; i <= 300; i++) {
    const line = await bob.next();
    assert.ok(
      line.startsWith(`PRIVATE ${1_000_000 + i} `) &&
        line.includes(` alice bob ${String(i).padStart(4, "0")} x`),
      `message ${i}: ${line.slice(0, 60)}`,
    );
  }
  assert.equal(await bob.next(), "OFFLINE_END");
  assert.equal(await alice.expect("PM_DELIVERED "), "PM_DELIVERED bob 300");
  // Each was removed from the queue once written.
  assert.equal(await h.store.countOffline(accountId), 0);
  await sync(bob);
  assert.ok(!bob.lines.some((l) => l.startsWith("BYE ")), "bob stays");
});

Deno.test("chat server: offline text is capped at 2 MiB per recipient as well as 1,000 messages", async () => {
  await using h = await harness({ path: ":memory:" });
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  // 2 MiB = 2,097,152 bytes: 512 messages of 4,096 bytes fill it exactly.
  const accountId = await queueOfflineFor(
    h,
    bob,
    "bob",
    512,
    () => "y".repeat(4096),
  );
  await alice.send("PRIVMSG bob one more");
  assert.equal(
    await alice.expect("ERROR "),
    "ERROR offline_queue_full bob 的离线消息已满（最多 2 MiB），消息未发送",
  );
  assert.equal(await h.store.countOffline(accountId), 512);
});
