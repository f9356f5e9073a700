/**
 * Unit tests of {@linkcode ChatService}: fake members (no sockets), a real
 * SQLite store in a temp directory, and a ManualClock.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  type ChatMember,
  ChatService,
  type ChatServiceOptions,
  isChatCommand,
  MAX_UNWRITTEN_IDS,
} from "../../../lib/server/chat/chat_service.ts";
import { ManualClock } from "../../../lib/shared/clock.ts";
import { LOBBY } from "../../../lib/server/chat/hub.ts";
import { parseCommand } from "../../../lib/protocol/protocol.ts";
import { LocalSessionRegistry } from "../../../lib/server/registry/session_registry.ts";
import { NativeFanout } from "../../../lib/server/adapters/native/native_fanout.ts";
import { encodeReply } from "../../../lib/server/adapters/native/native_encoding.ts";
import { verbRule } from "../../../lib/server/session/verbs.ts";
import { SqliteStore } from "../../../lib/store/sqlite/sqlite_store.ts";
import type { AccountRecord } from "../../../lib/store/store.ts";
import { normalizeUsername } from "../../../lib/shared/username.ts";
import { tempStore } from "../../_util.ts";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** A member that records every line it is sent, as the wire would carry it. */
interface FakeMember extends ChatMember {
  readonly lines: string[];
  readonly disconnects: { code: string; message: string }[];
  /** Lines received since the last call. */
  take(): string[];
}

interface Setup extends AsyncDisposable {
  store: SqliteStore;
  clock: ManualClock;
  service: ChatService;
  logs: string[];
  /** Creates an account (optionally an administrator). */
  account(name: string, options?: { admin?: boolean }): Promise<AccountRecord>;
  /** A member for an existing account, not yet in the chat. */
  member(account: AccountRecord): FakeMember;
  /** Creates an account and brings a member for it into the chat. */
  online(name: string, options?: { admin?: boolean }): Promise<FakeMember>;
  /** Runs one protocol line as the member's command. */
  run(member: FakeMember, line: string): Promise<void>;
  /** A second service on the same store (a restart); closed on dispose. */
  restart(options?: Partial<ChatServiceOptions>): ChatService;
}

async function setup(
  options: Partial<ChatServiceOptions> & { memory?: boolean } = {},
): Promise<Setup> {
  const db = options.memory ? memoryStore() : await tempStore();
  const store = db.store;
  const clock = new ManualClock();
  const logs: string[] = [];
  const services: ChatService[] = [];
  // Each service is a server process: its own registry and native fan-out.
  let registry = new LocalSessionRegistry<ChatMember>();
  let fanout: NativeFanout;
  const make = (more: Partial<ChatServiceOptions> = {}) => {
    registry = new LocalSessionRegistry<ChatMember>();
    const service = new ChatService({
      store,
      registry,
      clock,
      historyFlushDelayMs: 0,
      log: (line) => logs.push(line),
      ...options,
      ...more,
    });
    fanout = new NativeFanout(service);
    services.push(service);
    return service;
  };
  let service = make();
  const decoder = new TextDecoder();
  const self: Setup = {
    store,
    clock,
    get service() {
      return service;
    },
    logs,
    async account(name, accountOptions = {}) {
      const key = normalizeUsername(name);
      assert.ok(key.ok, name);
      const account = await store.createAccount({
        username: key.name,
        usernameKey: key.key,
        passwordHash: "h".repeat(64),
        recoveryCodeHash: null,
        createdAt: clock.now(),
      }, {
        at: clock.now(),
        event: "register",
        username: name,
        address: "test",
        detail: null,
      });
      assert.ok(account);
      if (accountOptions.admin) {
        await store.setAdmin(key.key, true, {
          at: clock.now(),
          event: "admin_granted",
          username: name,
          address: "operator",
          detail: null,
        });
      }
      return account;
    },
    member(account) {
      const lines: string[] = [];
      const disconnects: { code: string; message: string }[] = [];
      let cursor = 0;
      let inChat = true;
      // Logged in: the session is claimed, as the account domain does.
      const live = {
        username: account.username,
        usernameKey: account.usernameKey,
        accountId: account.id,
        isAdmin: account.isAdmin,
        address: "127.0.0.1",
      };
      const sessions = registry;
      sessions.claim(live);
      const member: FakeMember = {
        // Like a real connection: no name once out of the chat.
        get username() {
          return inChat ? account.username : "";
        },
        get usernameKey() {
          return inChat ? account.usernameKey : "";
        },
        accountId: account.id,
        address: "127.0.0.1",
        lines,
        disconnects,
        send(reply) {
          // Encoded as the native adapter does (lists cut to the line limit).
          lines.push(decoder.decode(encodeReply(reply)).slice(0, -1));
        },
        outlet: {
          adapter: fanout,
          deliver(bytes) {
            lines.push(...decoder.decode(bytes).split("\n").slice(0, -1));
          },
          end(code, message) {
            disconnects.push({ code, message });
            // A real connection leaves the chat at once, then says BYE and
            // frees the account's session.
            service.exit(member);
            sessions.release(live);
            inChat = false;
          },
        },
        take() {
          const taken = lines.slice(cursor);
          cursor = lines.length;
          return taken;
        },
      };
      return member;
    },
    async online(name, accountOptions) {
      const member = self.member(await self.account(name, accountOptions));
      await service.enter(member);
      member.take();
      return member;
    },
    async run(member, line) {
      const command = parseCommand(line);
      if (command.type === "msg") {
        service.say(member, command.text);
        return;
      }
      assert.ok(
        command.type !== "invalid" && command.type !== "unknown" &&
          isChatCommand(command),
        `${line}: ${JSON.stringify(command)}`,
      );
      // The session checks an admin verb's precondition before the core runs it.
      const audit = verbRule(command).audit;
      if (
        audit !== undefined &&
        !(await service.authorize(member, audit.action, audit.target(command)))
      ) return;
      await service.handle(member, command);
    },
    restart(more) {
      service = make(more);
      return service;
    },
    async [Symbol.asyncDispose]() {
      for (const s of services) await s.close();
      await db[Symbol.asyncDispose]();
    },
  };
  return self;
}

/** An in-memory store, for tests that write much and need no file. */
function memoryStore(): AsyncDisposable & { store: SqliteStore } {
  const store = SqliteStore.open(":memory:");
  return {
    store,
    [Symbol.asyncDispose]() {
      store.close();
      return Promise.resolve();
    },
  };
}

const HISTORY_MESSAGE = /^HISTORY_MESSAGE (\d+) \d+ \S+ ([\s\S]*)$/;

/** The texts of the HISTORY_MESSAGE lines among `lines`. */
function historyTexts(lines: string[]): string[] {
  return lines.flatMap((line) => {
    const match = HISTORY_MESSAGE.exec(line);
    return match ? [match[2]!] : [];
  });
}

Deno.test("ChatService.enter() puts a member in the lobby with its history and tells the lobby", async () => {
  await using s = await setup();
  const alice = await s.online("alice");
  const bob = s.member(await s.account("bob"));
  await s.service.enter(bob);
  assert.deepEqual(bob.take(), [
    `JOINED ${LOBBY} 2`,
    `HISTORY_BEGIN ${LOBBY} 0`,
    `HISTORY_END ${LOBBY} 0`,
    "UNREAD",
  ]);
  assert.deepEqual(alice.take(), [`USER_JOINED ${s.clock.now()} bob`]);
  assert.equal(s.service.onlineCount, 2);

  assert.equal(s.service.exit(bob), LOBBY);
  assert.deepEqual(alice.take(), [`USER_LEFT ${s.clock.now()} bob`]);
  assert.equal(s.service.exit(bob), undefined, "exit is idempotent");
  assert.deepEqual(alice.take(), []);
});

Deno.test("ChatService.say() relays to the others in the room and stores the message", async () => {
  await using s = await setup();
  const alice = await s.online("alice");
  const bob = await s.online("bob");
  const carol = await s.online("carol");
  await s.run(carol, "JOIN 技术");
  alice.take();
  bob.take();
  carol.take();

  await s.run(alice, "MSG 你好 😀");
  assert.deepEqual(alice.take(), [], "no echo");
  const [line] = bob.take();
  assert.match(
    line!,
    new RegExp(`^MESSAGE (\\d+) ${s.clock.now()} alice 你好 😀$`),
  );
  assert.deepEqual(carol.take(), [], "other rooms hear nothing");

  await s.run(bob, "MSG 第二条");
  await s.service.flush();
  const page = await s.store.roomHistory(LOBBY, { count: 10 });
  assert.deepEqual(page.messages.map((m) => [m.sender, m.text]), [
    ["alice", "你好 😀"],
    ["bob", "第二条"],
  ]);
  assert.ok(page.messages[0]!.id < page.messages[1]!.id);
});

Deno.test("ChatService skips past every possibly unwritten id after a restart", async () => {
  await using s = await setup();
  const alice = await s.online("alice");
  await s.run(alice, "MSG one");
  await s.run(alice, "MSG two");
  await s.service.close();
  const max = await s.store.maxMessageId();
  s.restart();
  const bob = await s.online("bob");
  const again = s.member(await s.store.getAccount("alice") as AccountRecord);
  await s.service.enter(again);
  assert.deepEqual(historyTexts(again.take()), ["one", "two"]);
  bob.take();
  await s.run(again, "MSG three");
  const id = Number(bob.take()[0]!.split(" ")[1]);
  // Ids handed out before a crash may not have been written; none is reused.
  assert.equal(id, max + 1 + MAX_UNWRITTEN_IDS);
});

Deno.test("ChatService JOIN checks room names and moves the member", async (t) => {
  await using s = await setup();
  const alice = await s.online("alice");
  const bob = await s.online("bob");
  alice.take();

  await t.step("invalid names", async () => {
    for (
      const room of ["-", "技术!", "🎮", "a".repeat(33), "a.b", "tab\there"]
    ) {
      const command = { type: "join" as const, room };
      await s.service.handle(alice, command);
      const lines = alice.take();
      assert.equal(lines.length, 1, room);
      assert.match(lines[0]!, /^ERROR invalid_room /, room);
    }
    assert.equal(s.service.hub.roomOf(alice), LOBBY);
    assert.deepEqual(bob.take(), []);
  });

  await t.step("valid names of any script", async () => {
    for (const room of ["游戏室", "dev-ops_2", "한국어", "房".repeat(32)]) {
      await s.run(alice, `JOIN ${room}`);
      assert.deepEqual(alice.take(), [
        `JOINED ${room} 1`,
        `HISTORY_BEGIN ${room} 0`,
        `HISTORY_END ${room} 0`,
      ]);
    }
  });

  await t.step(
    "case and width do not matter; the creator's spelling is kept",
    async () => {
      await s.run(alice, "JOIN Dev");
      alice.take();
      bob.take();
      await s.run(bob, "JOIN ｄｅｖ");
      assert.equal(bob.take()[0], "JOINED Dev 2");
      assert.deepEqual(alice.take(), [`USER_JOINED ${s.clock.now()} bob`]);
      // Joining the room one is in: the same answer, no events.
      await s.run(bob, "JOIN DEV");
      assert.equal(bob.take()[0], "JOINED Dev 2");
      assert.deepEqual(alice.take(), []);
    },
  );

  await t.step("LEAVE goes back to the lobby", async () => {
    await s.run(bob, "LEAVE");
    assert.equal(bob.take()[0], `JOINED ${LOBBY} 1`);
    assert.deepEqual(alice.take(), [`USER_LEFT ${s.clock.now()} bob ${LOBBY}`]);
  });
});

Deno.test("ChatService keeps a room's history under its key, whatever the spelling", async () => {
  await using s = await setup();
  const alice = await s.online("alice");
  await s.run(alice, "JOIN Dev");
  await s.run(alice, "MSG in Dev");
  await s.run(alice, "LEAVE");
  alice.take();
  // The room is gone (nobody in it) and is created again as "dev".
  await s.run(alice, "JOIN dev");
  const lines = alice.take();
  assert.equal(lines[0], "JOINED dev 1");
  assert.deepEqual(historyTexts(lines), ["in Dev"]);
  await s.run(alice, "HISTORY 5");
  assert.deepEqual(historyTexts(alice.take()), ["in Dev"]);
});

Deno.test("ChatService ROOMS lists the lobby first, then most members first", async () => {
  await using s = await setup();
  const names = ["a", "b", "c", "d", "e", "f"];
  const members = [];
  for (const name of names) members.push(await s.online(name));
  const rooms = ["zeta", "alpha", "alpha", "mid", "mid", "mid"];
  for (let i = 0; i < names.length; i++) {
    await s.run(members[i]!, `JOIN ${rooms[i]}`);
  }
  await s.run(members[0]!, "ROOMS");
  assert.equal(
    members[0]!.take().at(-1),
    `ROOM_LIST ${LOBBY}=0 mid=3 alpha=2 zeta=1`,
  );
});

Deno.test("ChatService USERS and ROOMS lists fit in one line", async () => {
  await using s = await setup({ memory: true });
  const members: FakeMember[] = [];
  for (let i = 0; i < 150; i++) {
    members.push(
      await s.online(`${String(i).padStart(3, "0")}${"用".repeat(29)}`),
    );
  }
  const alice = members[0]!;
  await s.run(alice, "USERS all");
  const line = alice.take().at(-1)!;
  assert.match(line, /^USER_LIST \* /);
  assert.ok(new TextEncoder().encode(line).length <= 8192, "fits");
  const listed = line.split(" ").slice(2);
  assert.ok(listed.length > 50 && listed.length < 150, String(listed.length));
  assert.deepEqual(
    listed,
    members.slice(0, listed.length).map((m) => m.username),
    "the first ones that fit, in order",
  );

  for (let i = 0; i < 150; i++) {
    await s.run(members[i]!, `JOIN r${i}${"间".repeat(28)}`);
  }
  await s.run(alice, "ROOMS");
  const rooms = alice.take().at(-1)!;
  assert.ok(rooms.startsWith(`ROOM_LIST ${LOBBY}=0 `));
  assert.ok(new TextEncoder().encode(rooms).length <= 8192);
});

Deno.test("ChatService PRIVMSG reaches an online recipient and queues for an offline one", async () => {
  await using s = await setup();
  const alice = await s.online("alice");
  const bob = await s.online("bob");
  const carolAccount = await s.account("carol");
  await s.run(bob, "JOIN 技术");
  alice.take();
  bob.take();

  await s.run(alice, "PRIVMSG BOB 你好");
  const [receipt, copy] = alice.take();
  assert.match(copy!, /^PRIVATE \d+ \d+ alice bob 你好$/);
  // Delivered at once, said before the copy (docs/PROTOCOL.md, 16).
  assert.equal(
    receipt,
    `PM_RECEIPT bob ${copy!.split(" ")[1]} delivered ${s.clock.now()}`,
  );
  assert.deepEqual(bob.take(), [copy]);

  await s.run(alice, "PRIVMSG carol 在吗");
  const queued = alice.take();
  assert.equal(queued.length, 2);
  assert.match(queued[0]!, /^PRIVATE \d+ \d+ alice carol 在吗$/);
  assert.equal(queued[1], "PM_QUEUED carol");
  await s.run(bob, "PRIVMSG carol 我也在");
  bob.take();

  await s.run(alice, "PRIVMSG nobody hi");
  assert.match(alice.take()[0]!, /^ERROR no_such_user /);

  const carol = s.member(carolAccount);
  await s.service.enter(carol);
  const lines = carol.take();
  const begin = lines.indexOf("OFFLINE_BEGIN 2");
  assert.equal(lines[begin - 1], `HISTORY_END ${LOBBY} 0`);
  assert.equal(lines[begin + 1], queued[0]);
  assert.match(lines[begin + 2]!, / bob carol 我也在$/);
  assert.equal(lines[begin + 3], "OFFLINE_END");
  const [aliceCopy, bobCopy] = [queued[0]!, lines[begin + 2]!].map((l) =>
    l.split(" ")[1]
  );
  assert.deepEqual(alice.take().filter((l) => l.startsWith("PM_")), [
    "PM_DELIVERED carol 1",
    `PM_RECEIPT carol ${aliceCopy} delivered ${s.clock.now()}`,
  ]);
  assert.deepEqual(bob.take(), [
    "PM_DELIVERED carol 1",
    `PM_RECEIPT carol ${bobCopy} delivered ${s.clock.now()}`,
  ]);
});

Deno.test("ChatService PRIVMSG refuses a recipient whose offline queue is full", async () => {
  await using s = await setup({ memory: true });
  const bob = await s.account("bob");
  // 1,000 undelivered messages per recipient (docs/PROTOCOL.md 8).
  for (let i = 1; i <= 1000; i++) {
    await s.store.queueOffline(
      {
        id: i,
        room: null,
        sender: "someone",
        recipient: "bob",
        text: `queued ${i}`,
        createdAt: s.clock.now(),
      },
      bob.id,
      1000,
    );
  }
  // Ids go on after the store's largest, so the service starts afresh.
  await s.service.close();
  s.restart();
  const alice = await s.online("alice");
  await s.run(alice, "PRIVMSG bob one too many");
  const lines = alice.take();
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^ERROR offline_queue_full /);
  const member = s.member(bob);
  await s.service.enter(member);
  const delivered = member.take();
  assert.ok(delivered.includes("OFFLINE_BEGIN 1000"));
  assert.ok(!delivered.some((l) => l.endsWith("one too many")));
});

Deno.test("ChatService delivers no offline message older than the retention", async () => {
  await using s = await setup({ historyDays: 1 });
  const alice = await s.online("alice");
  const bob = await s.account("bob");
  await s.run(alice, "PRIVMSG bob stale");
  s.clock.advance(DAY);
  await s.run(alice, "PRIVMSG bob exactly a day old");
  s.clock.advance(1);
  await s.run(alice, "PRIVMSG bob fresh");
  alice.take();
  const member = s.member(bob);
  await s.service.enter(member);
  const lines = member.take();
  assert.ok(lines.includes("OFFLINE_BEGIN 2"), lines.join("\n"));
  assert.ok(!lines.some((l) => l.endsWith(" stale")));
  const sent = alice.take().filter((l) => l.startsWith("PM_"));
  assert.equal(sent[0], "PM_DELIVERED bob 2");
  assert.match(sent[1]!, /^PM_RECEIPT bob \d+ delivered /);
  assert.equal(sent.length, 2);
  // Taken once: a new session gets nothing.
  s.service.exit(member);
  const again = s.member(bob);
  await s.service.enter(again);
  assert.ok(!again.take().some((l) => l.startsWith("OFFLINE_")));
});

Deno.test("ChatService HISTORY pages a room's messages", async () => {
  await using s = await setup();
  const alice = await s.online("alice");
  for (let i = 1; i <= 30; i++) await s.run(alice, `MSG m${i}`);
  const bob = s.member(await s.account("bob"));
  await s.service.enter(bob);
  const joined = bob.take();
  assert.deepEqual(
    historyTexts(joined),
    // "the history sent on joining a room is the last 20 messages"
    Array.from({ length: 20 }, (_, i) => `m${i + 11}`),
  );
  assert.equal(joined.at(-2), `HISTORY_END ${LOBBY} 1`);
  assert.equal(joined.at(-1), "UNREAD");
  const firstId = Number(HISTORY_MESSAGE.exec(joined[2]!)![1]);

  await s.run(bob, `HISTORY 100 before ${firstId}`);
  const older = bob.take();
  assert.deepEqual(
    historyTexts(older),
    Array.from({ length: 10 }, (_, i) => `m${i + 1}`),
  );
  assert.equal(older.at(-1), `HISTORY_END ${LOBBY} 0`);

  await s.run(bob, `HISTORY 3 after ${firstId}`);
  const after = bob.take();
  assert.deepEqual(historyTexts(after), ["m12", "m13", "m14"]);
  assert.equal(after.at(-1), `HISTORY_END ${LOBBY} 1`);
});

Deno.test("ChatService.sweep() prunes history past the retention, at most hourly", async () => {
  await using s = await setup({ historyDays: 2 });
  const alice = await s.online("alice");
  await s.run(alice, "MSG old");
  s.clock.advance(2 * DAY + 1);
  await s.run(alice, "MSG new 1");
  await s.run(alice, "MSG new 2");
  await s.service.sweep();
  assert.ok(
    s.logs.some((l) => l.includes("pruned 1 message(s)")),
    s.logs.join(),
  );
  await s.run(alice, "HISTORY 10");
  assert.deepEqual(historyTexts(alice.take()), ["new 1", "new 2"]);

  // Within the hour a sweep does nothing, after it prunes again.
  s.clock.advance(2 * DAY);
  await s.run(alice, "MSG newest");
  await s.service.sweep();
  await s.run(alice, "HISTORY 10");
  assert.deepEqual(historyTexts(alice.take()), ["new 1", "new 2", "newest"]);
  s.clock.advance(60 * MINUTE);
  await s.service.sweep();
  await s.run(alice, "HISTORY 10");
  assert.deepEqual(historyTexts(alice.take()), ["newest"]);
});

Deno.test("ChatService moderation commands are refused to non-administrators and audited", async () => {
  await using s = await setup();
  const alice = await s.online("alice");
  const bob = await s.online("bob");
  await s.run(alice, "MSG hi");
  await s.service.flush();
  const [message] = (await s.store.roomHistory(LOBBY, { count: 1 })).messages;
  alice.take();
  bob.take();
  for (
    const line of [
      "KICK alice",
      "MUTE alice 5",
      "UNMUTE alice",
      `DELETE ${message!.id}`,
    ]
  ) {
    await s.run(bob, line);
    assert.deepEqual(
      bob.take().map((l) => l.split(" ").slice(0, 2).join(" ")),
      [
        "ERROR not_admin",
      ],
    );
  }
  assert.deepEqual(alice.take(), []);
  assert.deepEqual(alice.disconnects, []);
  const audit = await s.store.listAudit();
  for (const event of ["kick", "mute", "unmute", "delete_message"]) {
    assert.ok(
      audit.some((e) =>
        e.event === event && e.detail === "by bob: refused: not_admin"
      ),
      event,
    );
  }
});

Deno.test("ChatService checks the role of the member's own account, not of a later owner of its name", async () => {
  await using s = await setup();
  const ghost = await s.online("carol");
  const alice = await s.online("alice");
  // Deleted behind the session's back, then the name taken by an admin.
  const old = await s.store.getAccount("carol");
  assert.ok(
    await s.store.deleteAccount(old!.id, {
      at: s.clock.now(),
      event: "account_deleted",
      username: "carol",
      address: "operator",
      detail: null,
    }),
  );
  await s.account("carol", { admin: true });
  ghost.take();
  alice.take();
  await s.run(ghost, "KICK alice");
  assert.deepEqual(
    ghost.take().map((l) => l.split(" ").slice(0, 2).join(" ")),
    ["ERROR not_admin"],
  );
  assert.deepEqual(alice.disconnects, []);
});

Deno.test("ChatService KICK disconnects the target and names it in the OK", async () => {
  await using s = await setup();
  const admin = await s.online("boss", { admin: true });
  const alice = await s.online("alice");
  const bob = await s.online("bob");
  admin.take();
  alice.take();

  await s.run(admin, "KICK bob 刷屏");
  assert.deepEqual(bob.disconnects, [{ code: "kicked", message: "刷屏" }]);
  assert.deepEqual(admin.take(), [
    `USER_LEFT ${s.clock.now()} bob`,
    "OK kicked 已将 bob 移出聊天室",
  ]);
  assert.deepEqual(alice.take(), [`USER_LEFT ${s.clock.now()} bob`]);

  await s.run(admin, "KICK alice");
  assert.deepEqual(alice.disconnects, [{ code: "kicked", message: "" }]);
  assert.equal(admin.take().at(-1), "OK kicked 已将 alice 移出聊天室");

  await s.run(admin, "KICK bob");
  assert.match(admin.take()[0]!, /^ERROR user_offline /);
  await s.run(admin, "KICK nobody");
  assert.match(admin.take()[0]!, /^ERROR no_such_user /);

  const kicks = await s.store.listAudit({ event: "kick" });
  assert.deepEqual(kicks.map((e) => [e.username, e.detail]), [
    ["alice", "by boss"],
    ["bob", "by boss: 刷屏"],
  ]);
});

Deno.test("ChatService MUTE stops posting until it ends or is lifted", async () => {
  await using s = await setup();
  const admin = await s.online("boss", { admin: true });
  const alice = await s.online("alice");
  const bob = await s.online("bob");
  admin.take();
  alice.take();

  await s.run(admin, "MUTE bob 10 刷屏");
  const until = s.clock.now() + 10 * MINUTE;
  assert.deepEqual(admin.take(), ["OK muted bob 已被禁言 10 分钟"]);
  assert.deepEqual(bob.take(), [`MUTED ${until} 刷屏`]);
  for (const line of ["MSG hi", "PRIVMSG alice hi", "PRIVMSG nobody hi"]) {
    await s.run(bob, line);
    assert.deepEqual(bob.take(), [`MUTED ${until} 刷屏`], line);
  }
  await s.run(bob, "JOIN 技术");
  await s.run(bob, "MSG hi");
  assert.equal(bob.take().at(-1), `MUTED ${until} 刷屏`);
  await s.run(bob, "STATUS 好");
  assert.match(bob.take()[0]!, /^ERROR muted /);
  assert.deepEqual(
    alice.take().filter((l) => /^(MESSAGE|PRIVATE)/.test(l)),
    [],
  );
  assert.deepEqual(await s.store.getMute(bob.accountId, s.clock.now()), {
    until,
    reason: "刷屏",
    by: "boss",
  });

  // It ends by itself, silently.
  s.clock.advance(10 * MINUTE);
  await s.run(bob, "PRIVMSG alice free");
  assert.match(bob.take()[1]!, /^PRIVATE /);
  assert.match(alice.take()[0]!, / bob alice free$/);

  // UNMUTE lifts it at once.
  await s.run(admin, "MUTE bob 5");
  assert.deepEqual(bob.take(), [`MUTED ${s.clock.now() + 5 * MINUTE}`]);
  await s.run(admin, "UNMUTE bob");
  assert.deepEqual(admin.take().at(-1), "OK unmuted bob 已解除禁言");
  assert.deepEqual(bob.take(), ["UNMUTED"]);
  await s.run(bob, "STATUS 好");
  assert.match(bob.take()[0]!, /^OK status_set/);

  // A mute set while offline is there at the next login.
  await s.run(admin, "MUTE alice 3 离线");
  s.service.exit(alice);
  const again = s.member((await s.store.getAccount("alice"))!);
  await s.service.enter(again);
  assert.equal(again.take().at(-2), `MUTED ${s.clock.now() + 3 * MINUTE} 离线`);
  await s.run(again, "MSG hi");
  assert.match(again.take()[0]!, /^MUTED /);
});

Deno.test("ChatService DELETE removes room messages only", async () => {
  await using s = await setup();
  const admin = await s.online("boss", { admin: true });
  const alice = await s.online("alice");
  await s.run(alice, "JOIN 技术");
  await s.run(alice, "MSG bad");
  await s.run(alice, "PRIVMSG boss private");
  admin.take();
  alice.take();
  await s.service.flush();
  const [bad] = (await s.store.roomHistory("技术", { count: 1 })).messages;
  const pm = bad!.id + 1;

  await s.run(admin, `DELETE ${bad!.id}`);
  assert.deepEqual(admin.take(), [`OK deleted 消息 ${bad!.id} 已删除`]);
  assert.deepEqual(alice.take(), [`MESSAGE_DELETED ${bad!.id} boss`]);
  assert.equal(await s.store.getMessage(bad!.id), undefined);
  for (const id of [bad!.id, pm, 12345]) {
    await s.run(admin, `DELETE ${id}`);
    assert.match(admin.take()[0]!, /^ERROR no_such_message /, String(id));
  }
  const audit = await s.store.listAudit({ event: "delete_message" });
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.username, "alice");
  assert.match(audit[0]!.detail!, /技术.*boss/);
});

Deno.test("ChatService WHOIS shows registration, presence, room, role and status", async () => {
  await using s = await setup();
  const registered = s.clock.now();
  const admin = await s.online("boss", { admin: true });
  const alice = await s.online("alice");
  await s.store.touchLastSeen(alice.accountId, registered + 1);
  await s.run(alice, "STATUS 好好学习");
  assert.deepEqual(alice.take(), ["OK status_set 个性签名已更新"]);
  await s.run(alice, "JOIN 自习室");
  await s.run(admin, "WHOIS ALICE");
  assert.equal(
    admin.take().at(-1),
    `WHOIS_INFO alice ${registered} 1 - 自习室 0 好好学习`,
  );
  await s.run(alice, "WHOIS boss");
  assert.equal(
    alice.take().at(-1),
    `WHOIS_INFO boss ${registered} 1 - ${LOBBY} 1`,
  );

  s.service.exit(alice);
  await s.store.touchLastSeen(alice.accountId, registered + 5 * MINUTE);
  await s.run(admin, "WHOIS alice");
  assert.equal(
    admin.take().at(-1),
    `WHOIS_INFO alice ${registered} 0 ${registered + 5 * MINUTE} - 0 好好学习`,
  );
  await s.account("carol");
  await s.run(admin, "WHOIS carol");
  assert.equal(admin.take().at(-1), `WHOIS_INFO carol ${registered} 0 - - 0`);
  await s.run(admin, "WHOIS nobody");
  assert.match(admin.take().at(-1)!, /^ERROR no_such_user /);
  await s.run(admin, "STATUS");
  assert.deepEqual(admin.take(), ["OK status_cleared 个性签名已清除"]);
});

Deno.test("ChatService coalesces join and leave notices in a large room", async () => {
  await using s = await setup({ memory: true });
  const members: FakeMember[] = [];
  // 101 members: more than the documented 100.
  for (let i = 0; i <= 100; i++) {
    members.push(await s.online(`m${i}`));
  }
  const watcher = members[0]!;
  watcher.take();
  await s.service.sweep();
  assert.deepEqual(watcher.take(), [], "no window was open");

  // The first notice after a quiet spell goes out at once...
  const first = await s.online("first");
  assert.deepEqual(watcher.take(), [`USER_JOINED ${s.clock.now()} first`]);
  // ...then notices are held until the next sweep, and many become a count.
  const later: FakeMember[] = [];
  for (let i = 0; i < 5; i++) later.push(await s.online(`later${i}`));
  s.service.exit(members[1]!);
  assert.deepEqual(watcher.take(), []);
  s.clock.advance(1000);
  await s.service.sweep();
  const count = `PRESENCE ${s.clock.now()} 5 1`;
  assert.deepEqual(watcher.take(), [count]);
  assert.deepEqual(later[0]!.take(), [count], "newcomers are counted too");

  // A few held notices go out one by one; nobody hears of their own arrival.
  const late = await s.online("late");
  s.service.exit(first);
  assert.deepEqual(watcher.take(), []);
  await s.service.sweep();
  const expected = [
    `USER_JOINED ${s.clock.now()} late`,
    `USER_LEFT ${s.clock.now()} first`,
  ];
  assert.deepEqual(watcher.take(), expected);
  assert.deepEqual(late.take(), expected.slice(1));

  // A quiet second closes the window: the next notice is immediate again.
  await s.service.sweep();
  assert.deepEqual(watcher.take(), []);
  s.service.exit(late);
  assert.deepEqual(watcher.take(), [`USER_LEFT ${s.clock.now()} late`]);
});

// The spec's threshold as a literal (docs/PROTOCOL.md, 10): "In a room of up
// to 100 members every join and leave is its own USER_JOINED/USER_LEFT, at
// once"; above that they are coalesced.
Deno.test("ChatService sends every join at once up to 100 members and holds them from 101", async () => {
  await using s = await setup({ memory: true });
  const watcher = await s.online("m1");
  for (let i = 2; i <= 100; i++) await s.online(`m${i}`);
  const immediate = watcher.take();
  assert.equal(immediate.length, 99, "a notice for each of m2 … m100");
  assert.equal(immediate.at(-1), `USER_JOINED ${s.clock.now()} m100`);
  assert.equal(s.service.hub.memberCount(LOBBY), 100);
  // The 101st member: the first notice of a large room still goes out...
  await s.online("m101");
  assert.deepEqual(watcher.take(), [`USER_JOINED ${s.clock.now()} m101`]);
  // ...and the next one is held for the sweep.
  await s.online("m102");
  assert.deepEqual(watcher.take(), []);
  await s.service.sweep();
  assert.deepEqual(watcher.take(), [`USER_JOINED ${s.clock.now()} m102`]);
});

Deno.test("ChatService offline delivery removes only what the socket took; a lost connection keeps the rest", async () => {
  await using s = await setup({ memory: true });
  const bob = await s.account("bob");
  for (let i = 1; i <= 120; i++) {
    await s.store.queueOffline(
      {
        id: i,
        room: null,
        sender: "someone",
        recipient: "bob",
        text: `queued ${i}`,
        createdAt: s.clock.now(),
      },
      bob.id,
      1000,
    );
  }
  await s.service.close();
  s.restart();
  // The first connection is gone before its first batch is written.
  const lost = s.member(bob);
  let flushes = 0;
  Object.assign(lost, {
    flushed: () => {
      flushes++;
      return Promise.resolve(false);
    },
  });
  await s.service.enter(lost);
  assert.equal(flushes, 1, "stops at the first batch");
  const first = lost.take().filter((l) => l.startsWith("PRIVATE "));
  assert.ok(first.length > 0 && first.length < 120, `${first.length} sent`);
  assert.ok(!lost.lines.includes("OFFLINE_END"));
  assert.equal(await s.store.countOffline(bob.id), 120, "nothing removed");
  s.service.exit(lost);

  // The next login gets all 120, then the queue is empty.
  const next = s.member(bob);
  await s.service.enter(next);
  const lines = next.take();
  assert.ok(lines.includes("OFFLINE_BEGIN 120"));
  assert.equal(lines.filter((l) => l.startsWith("PRIVATE ")).length, 120);
  assert.ok(lines.includes("OFFLINE_END"));
  assert.equal(await s.store.countOffline(bob.id), 0);
});

Deno.test("ChatService.sweep() prunes audit entries older than 90 days by default", async () => {
  await using s = await setup();
  const at = s.clock.now();
  await s.store.appendAudit({
    at,
    event: "login_failure",
    username: "old",
    address: "203.0.113.7",
    detail: null,
  });
  s.clock.advance(90 * DAY - 1);
  await s.service.sweep();
  assert.ok((await s.store.listAudit()).some((e) => e.username === "old"));
  s.clock.advance(2 * 60 * MINUTE);
  await s.service.sweep();
  assert.ok(!(await s.store.listAudit()).some((e) => e.username === "old"));
});
