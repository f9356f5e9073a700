/**
 * The chat loop's read receipts, unread counts and avatars against a
 * scripted server on a real socket (127.0.0.1, port 0): what the client
 * sends (`READ` before `JOIN` and `LOGOUT`, at most once a second) and what
 * it prints (` ✓`, the `✓✓` line, unread counts, avatar marks). The client
 * is `runClient` over a scripted console; its clock is frozen and its `READ`
 * timers fire only when the test says, so nothing depends on timing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { runClient } from "../../lib/client/app.ts";
import type { Timers } from "../../lib/client/reply_waiter.ts";
import type { ChatInput, ClientIo } from "../../lib/terminal/terminal_io.ts";
import { formatReply, type Reply } from "../../lib/protocol/protocol.ts";
import { ManualClock } from "../../lib/shared/clock.ts";

// A local wall-clock time, so that "[14:30:35]" is a literal.
const T = new Date(2025, 10, 25, 14, 30, 35).getTime();
const WAIT_MS = 5000;

/** A console that answers from a script and keeps what was printed. */
class ScriptedIo implements ClientIo {
  readonly interactive = false;
  readonly printed: string[] = [];
  #answers: string[];
  #typed: string[] = [];
  #reader: ((input: ChatInput) => void) | undefined;
  #waiters: (() => void)[] = [];

  constructor(answers: string[]) {
    this.#answers = answers;
  }

  print(text: string): void {
    this.printed.push(...text.split("\n"));
    for (const wake of this.#waiters.splice(0)) wake();
  }

  ask(): Promise<string | undefined> {
    return Promise.resolve(this.#answers.shift());
  }

  askSecret(): Promise<string | undefined> {
    return Promise.resolve(this.#answers.shift());
  }

  readChatLine(): Promise<ChatInput> {
    const line = this.#typed.shift();
    if (line !== undefined) return Promise.resolve({ type: "line", line });
    return new Promise((resolve) => this.#reader = resolve);
  }

  close(): void {}

  /** Types `line` at the chat prompt. */
  type(line: string): void {
    const reader = this.#reader;
    this.#reader = undefined;
    if (reader === undefined) this.#typed.push(line);
    else reader({ type: "line", line });
  }

  /** Waits for a printed line that `pattern` matches; resolves it. */
  async expect(pattern: string | RegExp): Promise<string> {
    const deadline = Date.now() + WAIT_MS;
    while (true) {
      const found = this.printed.find((line) =>
        typeof pattern === "string" ? line === pattern : pattern.test(line)
      );
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `No line ${pattern} in:\n${this.printed.join("\n")}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** How many printed lines `text` is. */
  count(text: string): number {
    return this.printed.filter((line) => line === text).length;
  }
}

/** Timers that fire only when the test calls {@linkcode HeldTimers.fire}. */
class HeldTimers implements Timers {
  #next = 1;
  #held = new Map<number, () => void>();

  setTimeout(fn: () => void): unknown {
    const handle = this.#next++;
    this.#held.set(handle, fn);
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.#held.delete(handle as number);
  }

  /** Runs every held timer. */
  fire(): void {
    const held = [...this.#held.values()];
    this.#held.clear();
    for (const fn of held) fn();
  }
}

/** The server's end of the one connection: lines in, lines out. */
class ScriptedServer implements AsyncDisposable {
  readonly port: number;
  readonly received: string[] = [];
  #listener: Deno.Listener;
  #conn: Deno.Conn | undefined;
  #reading: Promise<void> | undefined;
  #cursor = 0;
  #waiters: (() => void)[] = [];
  #ended = false;

  constructor() {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
  }

  /** Accepts the client and greets it. */
  async accept(): Promise<void> {
    this.#conn = await this.#listener.accept();
    this.#listener.close();
    this.#reading = this.#read(this.#conn);
    await this.send("HELLO tcpchat/1 0.1.0 min_password=8");
  }

  /** Writes raw lines. */
  async send(...lines: string[]): Promise<void> {
    const bytes = new TextEncoder().encode(lines.map((l) => `${l}\n`).join(""));
    let offset = 0;
    while (offset < bytes.length) {
      offset += await this.#conn!.write(bytes.subarray(offset));
    }
  }

  /** Writes replies. */
  async reply(...replies: Reply[]): Promise<void> {
    await this.send(...replies.map(formatReply));
  }

  /** The next line the client sent, after the ones already taken. */
  async next(): Promise<string> {
    const deadline = Date.now() + WAIT_MS;
    while (this.#cursor >= this.received.length) {
      if (this.#ended || Date.now() > deadline) {
        throw new Error(
          `No line from the client after:\n${this.received.join("\n")}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received[this.#cursor++]!;
  }

  /** Skips lines up to one that starts with `prefix`; resolves it. */
  async nextStarting(prefix: string): Promise<string> {
    while (true) {
      const line = await this.next();
      if (line.startsWith(prefix)) return line;
    }
  }

  async #read(conn: Deno.Conn): Promise<void> {
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(4096);
    let text = "";
    try {
      for (let n; (n = await conn.read(buffer)) !== null;) {
        text += decoder.decode(buffer.subarray(0, n), { stream: true });
        const lines = text.split("\n");
        text = lines.pop()!;
        // Keep-alives are not part of the script.
        this.received.push(...lines.filter((l) => !l.startsWith("PING ")));
        for (const wake of this.#waiters.splice(0)) wake();
      }
    } catch {
      // The client went away.
    }
    this.#ended = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#listener.close();
    } catch {
      // Closed when the client came.
    }
    try {
      this.#conn?.close();
    } catch {
      // The client closed it.
    }
    await this.#reading;
  }
}

function message(id: number, sender: string, text: string): Reply {
  return { type: "message", id, time: T, sender, text };
}

function pm(id: number, from: string, to: string, text: string): Reply {
  return { type: "private", id, time: T, from, to, text };
}

Deno.test("the chat reports what it printed with READ, before JOIN and LOGOUT, and shows receipts, unread counts and avatars", async () => {
  await using server = new ScriptedServer();
  const io = new ScriptedIo(["1", "password123"]);
  const clock = new ManualClock(T + 5000);
  const timers = new HeldTimers();
  const client = runClient({
    io,
    host: "127.0.0.1",
    port: server.port,
    user: "小王",
    lang: "zh",
    clock,
    timers,
    keepAliveMs: 60_000,
  });
  await server.accept();
  assert.equal(await server.next(), "LANG zh");
  assert.equal(await server.next(), "LOGIN 小王 password123");
  await server.reply(
    { type: "auth_success", username: "小王" },
    { type: "welcome", onlineCount: 2, username: "小王" },
    { type: "joined", room: "大厅", memberCount: 2 },
    message(10, "bob", "大家好"),
    {
      type: "unread",
      rooms: [{ name: "技术", count: 12 }, { name: "闲聊", count: 3 }],
    },
  );

  // Printed: read at once. The unread rooms at login: one line.
  await io.expect("[14:30:35] bob: 大家好");
  assert.equal(await server.next(), "READ #大厅 10");
  await io.expect(
    "【系统】未读消息: 技术 12 条，闲聊 3 条（输入 /join <房间名> 查看）",
  );

  // Within the second: held, and sent before the JOIN.
  await server.reply(message(11, "bob", "在吗"));
  await io.expect("[14:30:35] bob: 在吗");
  io.type("/join 技术");
  assert.equal(await server.next(), "READ #大厅 11");
  assert.equal(await server.next(), "JOIN 技术");
  await server.reply({ type: "joined", room: "技术", memberCount: 3 });
  await io.expect("【系统】你已进入房间 技术（当前 3 人）");

  // A live UNREAD changes nothing on screen; /rooms shows the counts (技术,
  // joined, has none now).
  await server.reply({
    type: "unread",
    rooms: [{ name: "技术", count: 12 }, { name: "闲聊", count: 3 }],
  });
  io.type("/rooms");
  assert.equal(await server.next(), "ROOMS");
  await server.reply(
    { type: "unread", rooms: [{ name: "闲聊", count: 999 }] },
    {
      type: "room_list",
      rooms: [{ name: "大厅", memberCount: 1 }, {
        name: "技术",
        memberCount: 3,
      }],
    },
  );
  await io.expect(
    "【系统】房间列表: 大厅 (1), 技术 (3), 闲聊 (0, 999+ 条未读)",
  );

  // A private message delivered at once: its copy with ✓; then read: ✓✓, once.
  io.type("/msg bob 在吗？");
  assert.equal(await server.next(), "PRIVMSG bob 在吗？");
  await server.reply(
    { type: "pm_receipt", user: "bob", id: 20, state: "delivered", time: T },
    pm(20, "小王", "bob", "在吗？"),
  );
  await io.expect("[14:30:35] [私聊] 你 → bob: 在吗？ ✓");
  await server.reply(
    { type: "pm_receipt", user: "bob", id: 20, state: "read", time: T + 4000 },
    { type: "pm_receipt", user: "bob", id: 20, state: "read", time: T + 4000 },
  );
  await io.expect("【系统】bob 已读了你的私聊消息 ✓✓");
  // To someone offline: no ✓.
  io.type("/msg carol hi");
  assert.equal(await server.next(), "PRIVMSG carol hi");
  await server.reply(
    { type: "pm_queued", to: "carol" },
    pm(21, "小王", "carol", "hi"),
  );
  await io.expect("[14:30:35] [私聊] 你 → carol: hi");

  // The avatar: checked before sending; then /users and /whois show it.
  io.type("/avatar 🐱🐶");
  await io.expect(/【错误】头像只能是一个表情/);
  io.type("/avatar :cat:");
  assert.equal(await server.next(), "AVATAR 🐱");
  await server.reply(
    { type: "ok", code: "avatar_set", message: "头像已设置为 🐱" },
    { type: "avatar_list", avatars: [{ user: "小王", mark: "🐱" }] },
  );
  await io.expect(/【成功】头像已设置为 🐱$/);
  io.type("/users");
  assert.equal(await server.next(), "USERS");
  await server.reply(
    { type: "avatar_list", avatars: [{ user: "小王", mark: "🐱" }] },
    { type: "user_list", scope: "技术", users: ["小王", "bob"] },
  );
  await io.expect("【系统】房间 技术 的在线用户 (2): 🐱 小王, B bob");
  io.type("/whois bob");
  assert.equal(await server.next(), "WHOIS bob");
  await server.reply(
    { type: "avatar_list", avatars: [{ user: "bob", mark: "-" }] },
    {
      type: "whois_info",
      user: "bob",
      registeredAt: new Date(2025, 10, 24, 12).getTime(),
      online: true,
      lastSeenAt: null,
      room: "技术",
      admin: false,
      status: "",
    },
  );
  await io.expect("【系统】bob: 在线，房间 技术，注册于 2025-11-24，头像: B");
  io.type("/receipts off");
  assert.equal(await server.next(), "RECEIPTS off");

  // Private messages from bob: the first at once, the next after the
  // second (the timer), the last one held and sent before LOGOUT.
  await server.reply(pm(30, "bob", "小王", "一"), pm(31, "bob", "小王", "二"));
  await io.expect("[14:30:35] [私聊] bob → 你: 二");
  assert.equal(await server.next(), "READ bob 30");
  timers.fire();
  assert.equal(await server.next(), "READ bob 31");
  await server.reply(pm(32, "bob", "小王", "三"), message(40, "bob", "room"));
  await io.expect("[14:30:35] bob: room");
  assert.equal(await server.next(), "READ #技术 40");
  io.type("exit");
  assert.equal(await server.next(), "READ bob 32");
  assert.equal(await server.next(), "LOGOUT");
  await server.reply({ type: "logout_success" });
  assert.equal(await client, 0);

  assert.equal(io.count("【系统】bob 已读了你的私聊消息 ✓✓"), 1);
  assert.equal(
    io.printed.filter((line) => line.startsWith("【系统】未读消息")).length,
    1,
    "only the UNREAD at login is told",
  );
  // Nothing else was sent: every READ is accounted for above.
  assert.deepEqual(
    server.received.filter((line) => line.startsWith("READ ")),
    [
      "READ #大厅 10",
      "READ #大厅 11",
      "READ bob 30",
      "READ bob 31",
      "READ #技术 40",
      "READ bob 32",
    ],
  );
  assert.ok(!server.received.some((line) => line.startsWith("AVATAR 🐱🐶")));
});
