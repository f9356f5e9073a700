/**
 * Integration tests of the languages and chat wording of the server over
 * real sockets: `LANG`, the console's sentences, and the replies of the
 * chat commands (docs/PROTOCOL.md, 5, LANG; issue 12, items 18, 20, 22).
 *
 * Every server listens on 127.0.0.1 port 0 with its own temp SQLite file and
 * a ManualClock.
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
import { ServerConnection } from "../lib/client/connection.ts";
import { SqliteStore } from "../lib/store/sqlite/sqlite_store.ts";
import { normalizeUsername } from "../lib/shared/username.ts";
import { TestClient } from "./_client.ts";
import {
  CHILD_ENV,
  CLIENT_PATH,
  PERMISSIONS,
  ServerProcess,
} from "./_process.ts";
import { SYSTEM_CLOCK } from "../lib/shared/clock.ts";
import { renderEvent } from "../lib/client/view.ts";
import { PLAIN_PALETTE } from "../lib/client/colors.ts";
import {
  formatReply,
  parseReply,
  type Reply,
} from "../lib/protocol/protocol.ts";
import { tempDir } from "./_util.ts";

const LOBBY = "大厅";
const PASSWORD = "password123";

interface Harness extends AsyncDisposable {
  server: ChatServer;
  store: SqliteStore;
  clock: ManualClock;
  logs: string[];
  /** Connects and reads HELLO; sends `LANG <lang>` when given. */
  connect(lang?: string): Promise<TestClient>;
  /** Registers and logs in; resolves after the lobby's history block. */
  user(name: string, lang?: string): Promise<TestClient>;
  grantAdmin(name: string): Promise<void>;
}

async function harness(
  options: Partial<ChatServerOptions> = {},
): Promise<Harness> {
  const dir = await tempDir();
  const store = SqliteStore.open(join(dir.path, "chat.db"));
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 6, 30));
  const logs: string[] = [];
  const server = startChatServer({
    hostname: "127.0.0.1",
    port: 0,
    hashIterations: 1000,
    rateBurst: 100_000,
    sweepIntervalMs: 0,
    log: (line) => logs.push(line),
    ...options,
    clock: options.clock ?? clock,
    store,
  });
  const clients: TestClient[] = [];
  const connect = async (lang?: string) => {
    const client = await TestClient.connect(server.addr.port);
    clients.push(client);
    await client.expect("HELLO ");
    if (lang !== undefined) await client.send(`LANG ${lang}`);
    return client;
  };
  return {
    server,
    store,
    clock,
    logs,
    connect,
    async user(name, lang) {
      const client = await connect(lang);
      await client.send(`REGISTER ${name} ${PASSWORD}`);
      await client.expect("REGISTER_SUCCESS");
      await client.send(`LOGIN ${name} ${PASSWORD}`);
      assert.equal(await client.expect("AUTH_"), `AUTH_SUCCESS ${name}`);
      await client.expect(`HISTORY_END ${LOBBY} `);
      return client;
    },
    async grantAdmin(name) {
      const key = normalizeUsername(name);
      assert.ok(key.ok);
      await store.setAdmin(key.key, true, {
        at: clock.now(),
        event: "admin_granted",
        username: name,
        address: "operator",
        detail: null,
      });
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await Promise.all(clients.map((client) => client.close()));
      await dir[Symbol.asyncDispose]();
    },
  };
}

let syncCounter = 0;

/** Waits until the server has handled every line `client` sent so far. */
async function sync(client: TestClient): Promise<void> {
  const token = `s${++syncCounter}`;
  await client.send(`PING ${token}`);
  await client.expect(`PONG ${token}`);
}

Deno.test("server answers an English client of a Chinese server in English", async () => {
  await using h = await harness({ lang: "zh" });
  const en = await h.connect("en");
  const zh = await h.connect();
  for (const client of [en, zh]) {
    await client.send(`LOGIN nobody ${PASSWORD}`);
  }
  assert.equal(
    await en.expect("AUTH_FAILURE"),
    "AUTH_FAILURE Invalid username or password",
  );
  assert.equal(
    await zh.expect("AUTH_FAILURE"),
    "AUTH_FAILURE 用户名或密码错误",
  );
  await en.send("ROOMS");
  assert.equal(
    await en.expect("ERROR"),
    "ERROR not_logged_in Log in first (commands: REGISTER, LOGIN, RESET_REQUEST, RESET_CONFIRM, DELETE_ACCOUNT)",
  );
  // The console keeps the server's language.
  assert.ok(
    h.logs.some((line) => line.includes("【安全】")),
    h.logs.join("\n"),
  );
});

Deno.test("server answers chat commands in the member's language", async () => {
  await using h = await harness({ lang: "zh" });
  const bob = await h.user("bob", "en-US");
  await bob.send("KICK nobody");
  assert.equal(
    await bob.expect("ERROR"),
    "ERROR not_admin Only administrators can do that",
  );
  await bob.send("STATUS busy");
  assert.equal(await bob.expect("OK"), "OK status_set Status updated");
  await bob.send("WHOIS nobody");
  assert.equal(
    await bob.expect("ERROR"),
    "ERROR no_such_user No such user: nobody",
  );
  const li = await h.user("li");
  await li.send("STATUS 在忙");
  assert.equal(await li.expect("OK"), "OK status_set 个性签名已更新");
  // The console's join line is the server's Chinese, whoever joined.
  assert.ok(
    h.logs.some((line) => / 【客户端连接】bob \(/.test(line)),
    h.logs.join("\n"),
  );
});

Deno.test("server keeps its language for an unsupported LANG and rejects a malformed one", async () => {
  await using h = await harness({ lang: "en" });
  const fr = await h.connect("fr-FR");
  await fr.send(`LOGIN nobody ${PASSWORD}`);
  assert.equal(
    await fr.expect("AUTH_FAILURE"),
    "AUTH_FAILURE Invalid username or password",
  );
  const zh = await h.connect("zh-Hans-CN");
  await zh.send(`LOGIN nobody ${PASSWORD}`);
  assert.equal(
    await zh.expect("AUTH_FAILURE"),
    "AUTH_FAILURE 用户名或密码错误",
  );
  // A later LANG replaces the earlier one.
  await zh.send("LANG en");
  await zh.send(`LOGIN nobody ${PASSWORD}`);
  assert.equal(
    await zh.expect("AUTH_FAILURE"),
    "AUTH_FAILURE Invalid username or password",
  );
  const bad = await h.connect();
  await bad.send("LANG");
  assert.match(await bad.expect("ERROR"), /^ERROR invalid_command .*LANG/);
  await bad.send("LANG en US");
  assert.match(await bad.expect("ERROR"), /^ERROR invalid_command /);
});

Deno.test("server honours LANG on the plain port of a --require-tls server", async () => {
  await using dir = await tempDir();
  const { loadOrCreateServerCertificate } = await import(
    "../lib/server/net/tls_cert.ts"
  );
  const cert = await loadOrCreateServerCertificate(dir.path);
  await using h = await harness({
    lang: "zh",
    tls: { certPem: cert.certPem, keyPem: cert.keyPem, port: 0 },
    requireTls: true,
  });
  const en = await h.connect("en");
  await en.send("ROOMS");
  assert.match(
    await en.expect("ERROR"),
    /^ERROR tls_required This server accepts encrypted connections only: use TLS port \d+/,
  );
});

Deno.test("server logs security events as sentences of its language", async (t) => {
  for (const lang of ["zh", "en"] as const) {
    await t.step(lang, async () => {
      await using h = await harness({ lang });
      const client = await h.connect(lang === "zh" ? "en" : "zh");
      const address = `127.0.0.1:${client.conn.localAddr.port}`;
      await client.send(`REGISTER 张三 ${PASSWORD}`);
      await client.expect("RECOVERY_CODE");
      await client.send(`LOGIN 张三 wrong-password`);
      await client.expect("AUTH_FAILURE");
      await sync(client);
      const security = h.logs.filter((line) =>
        /【安全】|\[Security\]/.test(line)
      ).map((line) => line.replace(/^\[\d\d:\d\d:\d\d\] /, ""));
      assert.deepEqual(
        security,
        lang === "zh"
          ? [
            `【安全】新账户注册: 张三 (${address})`,
            `【安全】登录失败: 张三 (${address})，原因: 用户名或密码错误`,
          ]
          : [
            `[Security] Account registered: 张三 from ${address}`,
            `[Security] Failed login as 张三 from ${address}: wrong username or password`,
          ],
      );
    });
  }
});

Deno.test("ServerConnection.open() sends LANG right after HELLO", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const serve = (async () => {
    using conn = await listener.accept();
    await conn.write(new TextEncoder().encode("HELLO tcpchat/1 0.1.0\n"));
    const buffer = new Uint8Array(64);
    let text = "";
    while (!text.includes("\n")) {
      const n = await conn.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    return text;
  })();
  const connection = await ServerConnection.open(
    "127.0.0.1",
    listener.addr.port,
    { lang: "en" },
  );
  assert.equal(await serve, "LANG en\n");
  await connection.close();
});

Deno.test("server.ts reports a bad flag and an unusable database in its language", async (t) => {
  await using dir = await tempDir();
  const run = async (args: string[]) => {
    await using child = new ServerProcess(args, { cwd: dir.path });
    const code = await child.exitCode();
    return { code, stderr: child.stderr };
  };
  await t.step("zh", async () => {
    const { code, stderr } = await run(["--port", "70000"]);
    assert.equal(code, 2, stderr);
    assert.equal(
      stderr.split("\n")[0],
      '[错误] 无法使用 --port "70000"：应为 0 到 65535 之间的整数',
    );
  });
  await t.step("en", async () => {
    const { code, stderr } = await run(["--port", "70000", "--lang", "en"]);
    assert.equal(code, 2, stderr);
    assert.equal(
      stderr.split("\n")[0],
      '[Error] Cannot use --port "70000": expected an integer from 0 to 65535',
    );
  });
  await t.step("a file that is not a database", async () => {
    const db = join(dir.path, "notes.txt");
    await Deno.writeTextFile(db, "这不是数据库\n".repeat(100));
    const { code, stderr } = await run([
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--db",
      db,
    ]);
    assert.equal(code, 1, stderr);
    assert.equal(
      stderr.trim(),
      `[错误] 数据库错误: 无法打开数据库 "${db}"：该文件不是 SQLite 数据库；请把它移到别处，或用 --db 选择其他文件`,
    );
  });
});

Deno.test("server says the current password is wrong when PASSWORD gets a wrong one", async () => {
  await using h = await harness({ lang: "zh" });
  const zh = await h.user("zhang");
  await zh.send("PASSWORD 5 wrong new-password-123");
  assert.equal(await zh.expect("PASSWORD_"), "PASSWORD_FAILURE 当前密码错误");
  const en = await h.user("bob", "en");
  await en.send("PASSWORD 5 wrong new-password-123");
  assert.equal(
    await en.expect("PASSWORD_"),
    "PASSWORD_FAILURE Current password is incorrect",
  );
});

Deno.test("server refuses a private message to oneself, stores nothing", async () => {
  await using h = await harness({ lang: "zh" });
  const zh = await h.user("小王");
  await zh.send("PRIVMSG 小王 备忘");
  assert.equal(
    await zh.expect("ERROR"),
    "ERROR pm_to_self 不能给自己发私聊（消息未发送）",
  );
  // Any spelling of one's own name.
  const en = await h.user("Bob", "en");
  await en.send("PRIVMSG bob note to self");
  assert.equal(
    await en.expect("ERROR"),
    "ERROR pm_to_self You cannot send a private message to yourself (nothing was sent)",
  );
  await sync(en);
  assert.ok(!en.lines.some((line) => line.startsWith("PRIVATE ")));
  assert.ok(!zh.lines.some((line) => line.startsWith("PRIVATE ")));
});

Deno.test("server answers LEAVE in the lobby with already_in_room, without history", async () => {
  await using h = await harness({ lang: "zh" });
  const alice = await h.user("alice");
  await alice.send("MSG 大厅的消息");
  const bob = await h.user("bob");
  const since = bob.lines.length;
  await bob.send("LEAVE");
  assert.equal(
    await bob.expect("ERROR"),
    "ERROR already_in_room 你已经在大厅了",
  );
  await sync(bob);
  assert.deepEqual(
    bob.lines.slice(since).filter((line) => !line.startsWith("PONG")),
    ["ERROR already_in_room 你已经在大厅了"],
  );
  const en = await h.user("carol", "en");
  await en.send("LEAVE");
  assert.equal(
    await en.expect("ERROR"),
    "ERROR already_in_room You are already in the lobby",
  );
  // From another room LEAVE goes back as before.
  await en.send("JOIN dev");
  await en.expect("JOINED dev 1");
  await en.send("LEAVE");
  assert.equal(await en.expect("JOINED "), `JOINED ${LOBBY} 3`);
});

Deno.test("server neither relays nor logs a muted member's message", async () => {
  await using h = await harness({ lang: "zh" });
  const boss = await h.user("boss");
  await h.grantAdmin("boss");
  const wang = await h.user("wang");
  await boss.send("MUTE wang 5 刷屏");
  await boss.expect("OK muted");
  await wang.expect("MUTED ");
  await wang.send("MSG 我被禁言了吗");
  await wang.send("我被禁言了吗2");
  assert.match(await wang.expect("MUTED "), /^MUTED \d+ 刷屏$/);
  assert.match(await wang.expect("MUTED "), /^MUTED \d+ 刷屏$/);
  await sync(wang);
  await sync(boss);
  assert.ok(!boss.lines.some((line) => line.startsWith("MESSAGE ")));
  assert.ok(
    !h.logs.some((line) => line.includes("wang: ")),
    h.logs.join("\n"),
  );
  // Unmuted, the same message is relayed and logged again.
  await boss.send("UNMUTE wang");
  await wang.expect("UNMUTED");
  await wang.send("MSG 恢复了");
  assert.match(await boss.expect("MESSAGE "), / wang 恢复了$/);
  assert.ok(h.logs.some((line) => line.endsWith("] wang: 恢复了")));
});

/** A spawned client.ts with piped stdin, its stdout collected. */
class ClientProcess implements AsyncDisposable {
  stdout = "";
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #done: Promise<unknown>;

  constructor(args: string[], cwd: string) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...PERMISSIONS, CLIENT_PATH, ...args],
      cwd,
      env: CHILD_ENV,
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#done = Promise.all([
      this.#child.status,
      this.#child.stdout.pipeThrough(new TextDecoderStream()).pipeTo(
        new WritableStream({ write: (text) => void (this.stdout += text) }),
      ),
    ]);
  }

  async type(line: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(`${line}\n`));
  }

  /** Waits (polling, at most 15 s) until stdout matches. */
  async waitFor(pattern: RegExp): Promise<void> {
    for (let i = 0; i < 1500 && !pattern.test(this.stdout); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.match(this.stdout, pattern);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#stdin.close().catch(() => {});
    try {
      this.#child.kill();
    } catch {
      // Exited already.
    }
    await this.#done;
  }
}

Deno.test("client shows a muted user only the refusal, not the message as sent", async () => {
  // The client compares the mute's end with its own clock: a real one here.
  await using h = await harness({ lang: "zh", clock: SYSTEM_CLOCK });
  await using dir = await tempDir();
  const boss = await h.user("boss");
  await h.grantAdmin("boss");
  {
    const setup = await h.connect();
    await setup.send(`REGISTER wang ${PASSWORD}`);
    await setup.expect("REGISTER_SUCCESS");
  }
  await using client = new ClientProcess(
    ["--host", "127.0.0.1", "--port", String(h.server.addr.port)],
    dir.path,
  );
  await client.waitFor(/请选择操作 \(1-4\): /);
  await client.type("1");
  await client.waitFor(/用户名: /);
  await client.type("wang");
  await client.waitFor(/密码: /);
  await client.type(PASSWORD);
  await client.waitFor(/开始聊天/);
  await boss.send("MUTE wang 5");
  await client.waitFor(/【系统】你已被禁言至 /);
  await client.type("我被禁言了吗");
  await client.waitFor(/【错误】你正在禁言中（至 [^）]+），消息未发送/);
  await client.type("exit");
  await client.waitFor(/\[客户端\] 已断开连接/);
  assert.doesNotMatch(client.stdout, /wang: 我被禁言了吗/, client.stdout);
});

Deno.test("USER_LEFT names the room a user moved to, and the client words it so", () => {
  const moved = { type: "user_left", time: 5, username: "张三", to: "技术" };
  assert.equal(formatReply(moved as Reply), "USER_LEFT 5 张三 技术");
  assert.deepEqual(parseReply("USER_LEFT 5 张三 技术"), moved);
  assert.deepEqual(parseReply("USER_LEFT 5 张三"), {
    type: "user_left",
    time: 5,
    username: "张三",
  });
  const zh = { lang: "zh" as const, palette: PLAIN_PALETTE };
  const en = { lang: "en" as const, palette: PLAIN_PALETTE };
  assert.equal(renderEvent(moved as Reply, zh), "【系统】张三 去了房间 技术");
  assert.equal(
    renderEvent(moved as Reply, en),
    "[System] 张三 left for room 技术",
  );
  // Leaving the chat keeps the seed's words.
  const left: Reply = { type: "user_left", time: 5, username: "张三" };
  assert.equal(renderEvent(left, zh), "【系统】张三 离开了聊天室");
  assert.equal(renderEvent(left, en), "[System] 张三 left the chat");
});

Deno.test("server tells the old room where a member went, and the rest that they left", async () => {
  await using h = await harness({ lang: "zh" });
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  await bob.send("JOIN 技术");
  await bob.expect("JOINED 技术");
  const now = h.clock.now();
  assert.equal(await alice.expect("USER_LEFT "), `USER_LEFT ${now} bob 技术`);
  await alice.send("JOIN 技术");
  await alice.expect("JOINED 技术");
  await bob.send("LEAVE");
  await bob.expect("JOINED ");
  assert.equal(
    await alice.expect("USER_LEFT "),
    `USER_LEFT ${now} bob ${LOBBY}`,
  );
  await bob.send("LOGOUT");
  await bob.expect("LOGOUT_SUCCESS");
  await alice.send("LEAVE");
  await alice.expect("JOINED ");
  const carol = await h.user("carol");
  await carol.close();
  assert.equal(await alice.expect("USER_LEFT "), `USER_LEFT ${now} carol`);
});

Deno.test("DELETE last <user> removes that user's newest message in the admin's room", async () => {
  await using h = await harness({ lang: "zh" });
  const boss = await h.user("boss");
  await h.grantAdmin("boss");
  const bob = await h.user("bob");
  const carol = await h.user("carol", "en");
  for (const client of [boss, bob, carol]) {
    await client.send("JOIN 技术");
    await client.expect("HISTORY_END 技术");
  }
  await bob.send("MSG 第一条");
  await bob.send("MSG 第二条");
  await carol.send("MSG carol's");
  const idOf = new Map<string, number>();
  for (let i = 0; i < 3; i++) {
    const [, id, , , text] = (await boss.expect("MESSAGE ")).split(" ");
    idOf.set(text!, Number(id));
  }
  const ids = [idOf.get("第一条"), idOf.get("第二条")];
  // A later message of bob's in another room is not this room's.
  await bob.send("LEAVE");
  await bob.expect("HISTORY_END");
  await bob.send("MSG 大厅里的");
  await sync(bob);

  await boss.send("DELETE last Bob");
  assert.equal(await boss.expect("OK "), `OK deleted 消息 ${ids[1]} 已删除`);
  assert.equal(
    await carol.expect("MESSAGE_DELETED "),
    `MESSAGE_DELETED ${ids[1]} boss`,
  );
  await boss.send("DELETE last bob");
  assert.equal(await boss.expect("OK "), `OK deleted 消息 ${ids[0]} 已删除`);
  await boss.send("DELETE last bob");
  assert.equal(
    await boss.expect("ERROR "),
    "ERROR no_such_message 房间 技术 最近的消息中没有 bob 发的",
  );
  await boss.send("HISTORY 10");
  await boss.expect("HISTORY_BEGIN 技术 1");
  assert.match(await boss.expect("HISTORY_MESSAGE "), / carol carol's$/);

  // Not an administrator: refused, in the member's language.
  await carol.send("DELETE last carol");
  assert.equal(
    await carol.expect("ERROR "),
    "ERROR not_admin Only administrators can do that",
  );
  await boss.send("DELETE last nobody");
  assert.match(await boss.expect("ERROR "), /^ERROR no_such_message /);
});

Deno.test("server words a malformed command in Chinese with its usage, in English with the parser's reason", async () => {
  await using h = await harness({ lang: "zh" });
  const zh = await h.user("小王");
  await zh.send("JOIN");
  assert.equal(
    await zh.expect("ERROR "),
    "ERROR invalid_command 命令格式错误，用法: JOIN <room>（未执行）",
  );
  await zh.send("MSG    ");
  assert.equal(
    await zh.expect("ERROR "),
    "ERROR empty_message 内容不能为空，至少要有一个可见字符（用法: MSG <text>，未执行）",
  );
  await zh.send(`STATUS ${"长".repeat(101)}`);
  assert.match(
    await zh.expect("ERROR "),
    /^ERROR message_too_long 内容过长：.*（用法: STATUS \[<text>\]，未执行）$/,
  );
  const en = await h.user("bob", "en");
  await en.send("JOIN");
  assert.equal(
    await en.expect("ERROR "),
    "ERROR invalid_command Invalid command: Cannot parse JOIN: missing room (usage: JOIN <room>)",
  );
});
