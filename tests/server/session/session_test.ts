/**
 * The session with no socket: a sink that records replies, the real
 * account domain and chat core on a temp SQLite store, a ManualClock.
 *
 * @module
 */

import assert from "node:assert/strict";
import { AuthManager } from "../../../lib/server/auth/auth_manager.ts";
import {
  type ChatMember,
  ChatService,
} from "../../../lib/server/chat/chat_service.ts";
import { LocalSessionRegistry } from "../../../lib/server/registry/session_registry.ts";
import { NativeFanout } from "../../../lib/server/adapters/native/native_fanout.ts";
import { encodeReply } from "../../../lib/server/adapters/native/native_encoding.ts";
import {
  MAX_PROTOCOL_ERRORS,
  RESUME_ROTATE_MS,
  Session,
  type SessionHost,
  type SessionSink,
} from "../../../lib/server/session/session.ts";
import { VERB_RULES } from "../../../lib/server/session/verbs.ts";
import { ManualClock } from "../../../lib/shared/clock.ts";
import { commandUsage, type Reply } from "../../../lib/protocol/protocol.ts";
import { tempStore } from "../../_util.ts";

const decoder = new TextDecoder();

/** A transport that records what the session sends, as the wire carries it. */
class RecordingSink implements SessionSink {
  readonly adapter: object;
  readonly lines: string[] = [];
  closed: { code?: string; message?: string } | undefined;
  session!: Session;

  constructor(adapter: object) {
    this.adapter = adapter;
  }

  get closing(): boolean {
    return this.closed !== undefined;
  }

  send(reply: Reply): void {
    this.lines.push(decoder.decode(encodeReply(reply)).slice(0, -1));
  }

  deliver(bytes: Uint8Array): void {
    this.lines.push(...decoder.decode(bytes).split("\n").slice(0, -1));
  }

  flushed(): Promise<boolean> {
    return Promise.resolve(!this.closing);
  }

  end(code: string, message: string): void {
    void this.close(code, message);
  }

  async close(code?: string, message?: string): Promise<void> {
    if (this.closed !== undefined) return;
    this.closed = { code, message };
    await this.session.leave();
  }

  /** Lines since the last call. */
  take(): string[] {
    return this.lines.splice(0);
  }
}

async function setup() {
  const db = await tempStore();
  const clock = new ManualClock();
  const registry = new LocalSessionRegistry<ChatMember>();
  const auth = new AuthManager({
    store: db.store,
    clock,
    registry,
    hashing: { iterations: 1 },
  });
  const chat = new ChatService({
    store: db.store,
    registry,
    clock,
    historyFlushDelayMs: 0,
  });
  const fanout = new NativeFanout(chat);
  const console: string[] = [];
  const host: SessionHost = {
    auth,
    chat,
    clock,
    lang: "en",
    limits: {
      maxLineBytes: 8192,
      loginTimeoutMs: 60_000,
      pingIntervalMs: 25_000,
      pingTimeoutMs: 30_000,
      rateBurst: 1000,
      ratePerSecond: 1000,
    },
    tls: undefined,
    requireTls: false,
    logMessages: true,
    logLine: (text) => console.push(text),
    logSecurity: (event, username) => console.push(`${event} ${username}`),
  };
  const open = () => {
    const sink = new RecordingSink(fanout);
    sink.session = new Session(host, sink, {
      address: "127.0.0.1",
      remote: "127.0.0.1:1",
      secure: false,
    });
    return sink;
  };
  return {
    auth,
    chat,
    clock,
    console,
    open,
    async [Symbol.asyncDispose]() {
      fanout.close();
      await chat.close();
      await db[Symbol.asyncDispose]();
    },
  };
}

/** One sample line per verb, to try it in the wrong state. */
const SAMPLES: Record<keyof typeof VERB_RULES, string> = {
  register: "REGISTER zoe password123",
  login: "LOGIN zoe password123",
  resume: "RESUME zoe " + "a".repeat(40),
  "reset_request": "RESET_REQUEST zoe",
  "reset_confirm": "RESET_CONFIRM " + "a".repeat(40) + " password123",
  "delete_account": "DELETE_ACCOUNT zoe password123",
  ping: "PING t1",
  pong: "PONG t1",
  lang: "LANG en",
  cert: "CERT",
  "change_password": "PASSWORD 11 password123 password456",
  logout: "LOGOUT",
  msg: "MSG hello",
  join: "JOIN games",
  leave: "LEAVE",
  rooms: "ROOMS",
  users: "USERS",
  privmsg: "PRIVMSG zoe hi",
  history: "HISTORY 5",
  status: "STATUS busy",
  whois: "WHOIS zoe",
  kick: "KICK zoe",
  mute: "MUTE zoe 5",
  unmute: "UNMUTE zoe",
  "delete_message": "DELETE 1",
  "delete_last": "DELETE last zoe",
  "file_send": "FILE_SEND zoe 1 " + "0".repeat(64) + " a.txt",
  "file_get": "FILE_GET 1",
  files: "FILES",
  read: "READ #大厅 1",
  receipts: "RECEIPTS off",
  avatar: "AVATAR 🐱",
  "avatar_image": "AVATAR_IMAGE 100",
  avatars: "AVATARS zoe",
};

Deno.test("session answers every member and admin verb at the login menu with not_logged_in", async () => {
  await using s = await setup();
  const client = s.open();
  for (const [verb, rule] of Object.entries(VERB_RULES)) {
    if (rule.requires !== "member" && rule.requires !== "admin") continue;
    const line = SAMPLES[verb as keyof typeof VERB_RULES];
    assert.ok(commandUsage(line.split(" ")[0]!) !== undefined, line);
    await client.session.handleLine(line);
    assert.deepEqual(
      client.take().map((l) => l.split(" ").slice(0, 2).join(" ")),
      ["ERROR not_logged_in"],
      line,
    );
  }
});

Deno.test("session refuses the login-menu verbs once logged in, and admin verbs to a member", async () => {
  await using s = await setup();
  const client = s.open();
  await client.session.handleLine("REGISTER zoe password123");
  await client.session.handleLine("LOGIN zoe password123");
  assert.ok(client.take().includes("AUTH_SUCCESS zoe"));
  for (const [verb, rule] of Object.entries(VERB_RULES)) {
    if (rule.requires !== "logged_out" && rule.requires !== "admin") continue;
    const line = SAMPLES[verb as keyof typeof VERB_RULES];
    await client.session.handleLine(line);
    assert.deepEqual(
      client.take().map((l) => l.split(" ").slice(0, 2).join(" ")),
      [
        rule.requires === "admin"
          ? "ERROR not_admin"
          : "ERROR already_logged_in",
      ],
      line,
    );
  }
});

Deno.test("session runs parsed commands from another adapter through the same preconditions", async () => {
  await using s = await setup();
  const zoe = s.open();
  await zoe.session.execute({ type: "msg", text: "hi" });
  assert.match(zoe.take()[0]!, /^ERROR not_logged_in /);
  await zoe.session.execute({
    type: "register",
    username: "zoe",
    password: "password123",
  });
  await zoe.session.execute({
    type: "login",
    username: "zoe",
    password: "password123",
  });
  const yan = s.open();
  await yan.session.handleLine("REGISTER yan password123");
  await yan.session.handleLine("LOGIN yan password123");
  zoe.take();
  yan.take();
  await zoe.session.execute({ type: "msg", text: "hello" });
  const [line] = yan.take();
  assert.match(line!, /^MESSAGE \d+ \d+ zoe hello$/);
  assert.deepEqual(zoe.take(), [], "not echoed to the sender");
  assert.ok(s.console.includes("zoe: hello"));
});

Deno.test("session ends with BYE protocol_errors after that many malformed lines in a row", async () => {
  await using s = await setup();
  const client = s.open();
  for (let i = 0; i < MAX_PROTOCOL_ERRORS - 1; i++) {
    await client.session.handleLine("LOGIN");
  }
  await client.session.handleLine("PING t");
  await client.session.handleLine("LOGIN");
  assert.equal(client.closed, undefined, "a good line starts the count again");
  for (let i = 0; i < MAX_PROTOCOL_ERRORS - 1; i++) {
    await client.session.handleLine("LOGIN");
  }
  assert.equal(
    (client.closed as { code?: string } | undefined)?.code,
    "protocol_errors",
  );
});

Deno.test("session: the login deadline closes an idle login menu, and a kick ends a member through its adapter", async () => {
  await using s = await setup();
  const idle = s.open();
  s.clock.advance(60_000);
  idle.session.checkDeadlines(s.clock.now());
  assert.equal(idle.closed?.code, "idle_timeout");

  const boss = s.open();
  await boss.session.handleLine("REGISTER boss password123");
  await s.auth.setAdminAsOperator("boss", true);
  await boss.session.handleLine("LOGIN boss password123");
  const zoe = s.open();
  await zoe.session.handleLine("REGISTER zoe password123");
  await zoe.session.handleLine("LOGIN zoe password123");
  assert.equal(s.chat.onlineCount, 2);
  await boss.session.handleLine("KICK zoe spam");
  assert.deepEqual(zoe.closed, { code: "kicked", message: "spam" });
  assert.equal(s.chat.onlineCount, 1);
  assert.equal(s.auth.isOnline("zoe"), false, "the registry freed the account");
});

Deno.test("session replaces the resume token every 5 minutes; only the newest one resumes", async () => {
  await using s = await setup();
  const zoe = s.open();
  await zoe.session.handleLine("REGISTER zoe password123");
  await zoe.session.handleLine("LOGIN zoe password123");
  assert.equal(RESUME_ROTATE_MS, 300_000, "5 minutes");
  const first = zoe.take().find((l) => l.startsWith("RESUME_TOKEN "))!;
  assert.ok(first, "a token with the login");
  // Heard from (a PONG) so the ping timer stays out of the way.
  s.clock.advance(RESUME_ROTATE_MS - 1);
  await zoe.session.handleLine("PONG x");
  zoe.session.checkDeadlines(s.clock.now());
  await zoe.flushed();
  assert.deepEqual(
    zoe.take().filter((l) => l.startsWith("RESUME_TOKEN ")),
    [],
    "not before 5 minutes",
  );
  s.clock.advance(1);
  zoe.session.checkDeadlines(s.clock.now());
  // The rotation writes the store: wait for its line.
  for (
    let i = 0;
    i < 50 && !zoe.lines.some((l) => l.startsWith("RESUME_TOKEN "));
    i++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const second = zoe.take().find((l) => l.startsWith("RESUME_TOKEN "))!;
  assert.ok(second && second !== first, "a new token at 5 minutes");

  await zoe.close();
  const stale = s.open();
  await stale.session.handleLine(`RESUME zoe ${first.split(" ")[1]}`);
  assert.match(
    stale.take()[0]!,
    /^AUTH_FAILURE /,
    "the replaced token is void",
  );
  const fresh = s.open();
  await fresh.session.handleLine(`RESUME zoe ${second.split(" ")[1]}`);
  assert.ok(
    fresh.take().includes("AUTH_SUCCESS zoe"),
    "the newest one resumes",
  );
});
