/**
 * The page's model with read state and avatars: the rooms' unread counts
 * from `UNREAD`, the receipts of own private messages, what a `READ` may
 * name, and which avatars to ask about.
 *
 * @module
 */

import assert from "node:assert/strict";
import { parseReply, type Reply } from "../../lib/protocol/protocol.ts";
import { ManualClock } from "../../lib/shared/clock.ts";
import {
  ChatModel,
  type Conversation,
  ROOM_KEY,
} from "../../lib/web/chat_model.ts";

const NOW = new Date(2026, 2, 10, 12, 0, 0).getTime();

function wire(line: string): Reply {
  const reply = parseReply(line);
  if (reply.type === "invalid") throw new Error(`${line}: ${reply.reason}`);
  return reply;
}

class Chat {
  readonly clock = new ManualClock(NOW);
  readonly model: ChatModel;

  constructor(username = "amy", lang: "zh" | "en" = "en") {
    this.model = new ChatModel(username, lang, this.clock);
  }

  feed(...lines: string[]) {
    return lines.flatMap((line) =>
      this.model.apply({
        type: "reply",
        reply: wire(line),
        now: this.clock.now(),
      })
    );
  }

  enter(room: string): void {
    this.feed(
      "WELCOME 3 amy",
      "JOINED 大厅 1",
      "HISTORY_BEGIN 大厅 0",
      "HISTORY_END 大厅 0",
    );
    if (room === "大厅") return;
    this.feed(
      `JOINED ${room} 2`,
      `HISTORY_BEGIN ${room} 0`,
      `HISTORY_END ${room} 0`,
    );
  }

  conversation(key: string): Conversation {
    const found = this.model.conversations.find((c) => c.key === key);
    if (found === undefined) throw new Error(`no conversation ${key}`);
    return found;
  }

  entries(): string[] {
    return this.model.roomEntries.map((entry) =>
      `${entry.name} ${entry.memberCount} ${entry.unread}`
    );
  }
}

Deno.test("UNREAD gives the other rooms' counts; rooms nobody is in are listed too", () => {
  const chat = new Chat();
  chat.enter("大厅");
  chat.feed("UNREAD 技术=12 闲聊=999", "ROOM_LIST 大厅=1 闲聊=2");
  assert.deepEqual(chat.entries(), ["大厅 1 0", "闲聊 2 999", "技术 0 12"]);
  assert.equal(chat.model.roomUnread("技术"), 12);
  assert.equal(chat.model.roomUnread("nowhere"), 0);
  assert.equal(chat.model.unreadTotal, 1011);
  // Nothing shows as a line.
  assert.deepEqual(
    chat.conversation(ROOM_KEY).lines.map((line) => line.text).slice(-1),
    ["[System] You are now in room 大厅 (1 here)"],
  );
});

Deno.test("UNREAD is a complete list: a room it leaves out has nothing unread", () => {
  const chat = new Chat();
  chat.enter("大厅");
  chat.feed("UNREAD 技术=3 闲聊=1");
  chat.feed("UNREAD 闲聊=2");
  assert.equal(chat.model.roomUnread("技术"), 0);
  assert.equal(chat.model.roomUnread("闲聊"), 2);
  chat.feed("UNREAD");
  assert.equal(chat.model.unreadTotal, 0);
});

Deno.test("the room the user is in has no server count; joining a room clears its count", () => {
  const chat = new Chat();
  chat.enter("大厅");
  chat.feed("UNREAD 大厅=4 技术=5", "ROOM_LIST 大厅=1 技术=1");
  assert.equal(chat.model.roomUnread("大厅"), 0);
  assert.equal(chat.model.roomUnread("技术"), 5);
  chat.feed("JOINED 技术 2");
  assert.equal(chat.model.roomUnread("技术"), 0);
  assert.deepEqual(
    chat.entries().find((e) => e.startsWith("技术")),
    "技术 1 0",
  );
  // And an UNREAD that still names it (sent before the move) does not bring it back.
  chat.feed("UNREAD 技术=5");
  assert.equal(chat.model.roomUnread("技术"), 0);
});

Deno.test("the room in view counts the lines that came while the tab was away", () => {
  const chat = new Chat();
  chat.enter("大厅");
  chat.model.apply({ type: "focus", focused: false });
  chat.feed(`MESSAGE 3 ${NOW} bob hi`, "UNREAD 技术=2");
  assert.equal(chat.model.roomUnread("大厅"), 1);
  assert.equal(chat.model.unreadTotal, 3);
});

Deno.test("PM_RECEIPT marks own private lines up to its id: delivered, then read", () => {
  const chat = new Chat();
  chat.enter("大厅");
  chat.feed(
    `PM_RECEIPT bob 10 delivered ${NOW}`,
    `PRIVATE 10 ${NOW} amy bob one`,
    `PRIVATE 11 ${NOW} bob amy reply`,
    `PM_QUEUED bob`,
    `PRIVATE 12 ${NOW} amy bob two`,
  );
  const conversation = chat.conversation("@bob");
  const marks = () =>
    chat.conversation("@bob").lines.map((line) =>
      chat.model.receiptOfLine(chat.conversation("@bob"), line)?.state ?? "·"
    );
  assert.deepEqual(marks(), ["delivered", "·", "·", "sent"]);
  const version = chat.model.receiptVersion;
  chat.feed(`PM_RECEIPT bob 12 delivered ${NOW + 5}`);
  assert.ok(chat.model.receiptVersion > version);
  assert.deepEqual(marks(), ["delivered", "·", "·", "delivered"]);
  chat.feed(`PM_RECEIPT bob 10 read ${NOW + 9}`);
  assert.deepEqual(marks(), ["read", "·", "·", "delivered"]);
  assert.deepEqual(chat.model.receiptOf("bob", 10), {
    state: "read",
    time: NOW + 9,
  });
  // A line on the page had the mark: no notice.
  assert.equal(chat.conversation("@bob").lines.length, 4);
  assert.equal(conversation.lines.length, 4);
});

Deno.test("a read receipt for messages not on the page shows one line in that conversation", () => {
  const chat = new Chat("amy", "zh");
  chat.enter("大厅");
  chat.feed(`PM_RECEIPT 张三 40 read ${NOW}`);
  const lines = chat.conversation("@张三").lines;
  assert.deepEqual(lines.map((line) => line.text), [
    "【系统】张三 已读你的私信（12:00:00）",
  ]);
  assert.equal(chat.conversation("@张三").unread, 0);
  // The same receipt again (or an older one) says nothing more.
  chat.feed(`PM_RECEIPT 张三 40 read ${NOW}`, `PM_RECEIPT 张三 30 read ${NOW}`);
  assert.equal(chat.conversation("@张三").lines.length, 1);
  // Delivered receipts never make a line.
  chat.feed(`PM_RECEIPT 李四 41 delivered ${NOW}`);
  assert.equal(
    chat.model.conversations.some((c) => c.key === "@李四"),
    false,
  );
});

Deno.test("receipts: only own private lines carry one", () => {
  const chat = new Chat();
  chat.enter("大厅");
  chat.feed(
    `PRIVATE 5 ${NOW} bob amy hi`,
    `MESSAGE 6 ${NOW} bob room`,
    `FILE_SHARED 7 ${NOW} amy bob 3 100 a.txt`,
  );
  const pm = chat.conversation("@bob");
  assert.equal(chat.model.receiptOfLine(pm, pm.lines[0]!), undefined);
  assert.deepEqual(chat.model.receiptOfLine(pm, pm.lines[1]!), {
    state: "sent",
  });
  const room = chat.conversation(ROOM_KEY);
  assert.equal(chat.model.receiptOfLine(room, room.lines.at(-1)!), undefined);
});

Deno.test("readIdOf(): room messages, and only the partner's private messages", () => {
  const chat = new Chat();
  chat.enter("tech");
  chat.feed(
    `MESSAGE 6 ${NOW} bob room`,
    `PRIVATE 7 ${NOW} bob amy to me`,
    `PRIVATE 8 ${NOW} amy bob from me`,
    `FILE_SHARED 9 ${NOW} bob amy 3 100 a.txt`,
  );
  const room = chat.conversation(ROOM_KEY);
  assert.equal(chat.model.readIdOf(room, room.lines.at(-1)!), 6);
  assert.equal(chat.model.readIdOf(room, room.lines[0]!), undefined);
  const pm = chat.conversation("@bob");
  assert.deepEqual(
    pm.lines.map((line) => chat.model.readIdOf(pm, line)),
    [7, undefined, 9],
  );
});

Deno.test("readTarget names the room, or the partner in view; not while a resume is not back in the room", () => {
  const chat = new Chat();
  chat.enter("tech");
  assert.equal(chat.model.readTarget, "#tech");
  chat.model.apply({ type: "open", key: "@Bob" });
  assert.equal(chat.model.readTarget, "Bob");
  chat.model.apply({ type: "open", key: ROOM_KEY });
  chat.model.apply({ type: "resumed" });
  assert.equal(chat.model.readTarget, undefined);
  chat.feed("JOINED 大厅 1");
  assert.equal(chat.model.readTarget, undefined);
  chat.feed("JOINED tech 2");
  assert.equal(chat.model.readTarget, "#tech");
});

Deno.test("avatars: marks from AVATAR_LIST; senders not known are asked about, once", () => {
  const chat = new Chat();
  chat.enter("大厅");
  chat.feed("AVATAR_LIST bob=🐱 cat=img:4");
  assert.equal(chat.model.avatars.mark("bob"), "🐱");
  chat.feed(
    `MESSAGE 3 ${NOW} bob hi`,
    `MESSAGE 4 ${NOW} dan hi`,
    `PRIVATE 5 ${NOW} eve amy psst`,
    "HISTORY_BEGIN 大厅 1",
    `HISTORY_MESSAGE 2 ${NOW} fay old`,
    "HISTORY_END 大厅 0",
  );
  assert.equal(chat.model.avatars.wanting, true);
  assert.deepEqual(chat.model.avatars.takeRequests(), [
    { type: "avatars", users: ["dan", "eve", "fay"] },
  ]);
  chat.feed(`MESSAGE 6 ${NOW} dan again`);
  assert.equal(chat.model.avatars.wanting, false);
  // A change is announced to everyone.
  chat.feed("AVATAR_LIST dan=🐶");
  assert.equal(chat.model.avatars.mark("dan"), "🐶");
});

Deno.test("avatars: a USER_LIST's users not in the AVATAR_LIST before it have the default", () => {
  const chat = new Chat();
  chat.enter("大厅");
  chat.feed("AVATAR_LIST bob=🐱", "USER_LIST 大厅 amy bob cat");
  assert.equal(chat.model.avatars.mark("bob"), "🐱");
  assert.equal(chat.model.avatars.mark("amy"), "-");
  assert.equal(chat.model.avatars.mark("cat"), "-");
  assert.equal(chat.model.avatars.wanting, false);
  // With no AVATAR_LIST before it, nobody in it has another avatar.
  chat.feed(`MESSAGE 9 ${NOW} x hi`, "USER_LIST 大厅 amy dan");
  assert.equal(chat.model.avatars.mark("dan"), "-");
});

Deno.test("avatars: after a long AVATAR_LIST (perhaps cut short) the others are asked about", () => {
  const chat = new Chat();
  chat.enter("大厅");
  const many = Array.from({ length: 520 }, (_, i) => `user${i}=🐱`);
  chat.feed(`AVATAR_LIST ${many.join(" ")}`, "USER_LIST 大厅 user0 zed");
  assert.equal(chat.model.avatars.mark("user0"), "🐱");
  assert.equal(chat.model.avatars.mark("zed"), undefined);
  assert.deepEqual(chat.model.avatars.takeRequests(), [
    { type: "avatars", users: ["zed"] },
  ]);
});
