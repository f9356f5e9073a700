import assert from "node:assert/strict";
import { parseReply, type Reply } from "../../lib/protocol/protocol.ts";
import { ManualClock } from "../../lib/shared/clock.ts";
import {
  type ChatEffect,
  ChatModel,
  type Conversation,
  MAX_LINES,
  OLDER_PAGE,
  ROOM_KEY,
} from "../../lib/web/chat_model.ts";
import type { PageLine } from "../../lib/web/page_lines.ts";

/** A local time in March 2026 (dates and stamps are local). */
function at(day: number, hours: number, minutes = 0, seconds = 0): number {
  return new Date(2026, 2, day, hours, minutes, seconds).getTime();
}

/** "Now" in these tests: 2026-03-10 12:00. */
const NOW = at(10, 12);

/** A server line, parsed (it must parse). */
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

  /** Server lines, received now; the effects of all of them. */
  feed(...lines: string[]): ChatEffect[] {
    return lines.flatMap((line) =>
      this.model.apply({
        type: "reply",
        reply: wire(line),
        now: this.clock.now(),
      })
    );
  }

  /** What a login sends, then a move to `room` with an empty history. */
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

  /** The room's lines, as `kind name: text` strings for short assertions. */
  roomText(): string[] {
    return this.conversation(ROOM_KEY).lines.map(brief);
  }
}

function brief(line: PageLine): string {
  const name = line.name === undefined ? "" : ` ${line.name}:`;
  const stamp = line.stamp === undefined ? "" : ` ${line.stamp}`;
  return `${line.kind}${stamp}${name} ${line.text}`;
}

const HOSTILE =
  `<img src=x onerror="alert(1)"> &lt;b&gt; <script>alert(1)</script>`;

Deno.test("a new chat is in the lobby, with only the room conversation", () => {
  const chat = new Chat();
  const model = chat.model;
  assert.equal(model.room, "大厅");
  assert.equal(model.active, ROOM_KEY);
  assert.deepEqual(model.conversations, [
    { key: "#room", kind: "room", title: "大厅", lines: [], unread: 0 },
  ]);
  assert.deepEqual(model.rooms, []);
  assert.deepEqual(model.users, []);
  assert.equal(model.olderPending, false);
  assert.equal(model.olderDone, false);
  assert.equal(OLDER_PAGE, 50);
  assert.equal(MAX_LINES, 2000);
});

Deno.test("login: welcome, the lobby, and the lists asked for", () => {
  const chat = new Chat();
  assert.deepEqual(chat.feed("WELCOME 3 amy"), []);
  assert.deepEqual(chat.feed("JOINED 大厅 3"), [
    { type: "send", command: { type: "rooms" } },
    { type: "send", command: { type: "users", all: false } },
  ]);
  assert.deepEqual(chat.feed("HISTORY_BEGIN 大厅 0", "HISTORY_END 大厅 0"), []);
  assert.deepEqual(chat.roomText(), [
    "system [System] Welcome amy! Users online: 3",
    "system [System] You are now in room 大厅 (3 here)",
  ]);
});

Deno.test("someone's message, then the user's own as it is sent", () => {
  const chat = new Chat();
  chat.enter("tech");
  chat.feed(`MESSAGE 21 ${at(10, 12, 0, 5)} bob morning`);
  chat.clock.set(at(10, 12, 1, 2));
  assert.deepEqual(
    chat.model.apply({ type: "sent", text: "hi bob", now: chat.clock.now() }),
    [],
  );
  const lines = chat.conversation(ROOM_KEY).lines;
  assert.deepEqual(lines.slice(-2), [
    {
      kind: "chat",
      stamp: "[12:00:05]",
      name: "bob",
      sender: "bob",
      text: "morning",
      mention: false,
      messageId: 21,
    },
    {
      kind: "own",
      stamp: "[12:01:02]",
      name: "amy",
      sender: "amy",
      text: "hi bob",
      mention: false,
    },
  ]);
  assert.equal(chat.conversation(ROOM_KEY).unread, 0);
});

Deno.test("the same MESSAGE twice is shown once", () => {
  const chat = new Chat();
  chat.enter("tech");
  chat.feed(`MESSAGE 21 ${NOW} bob once`, `MESSAGE 21 ${NOW} bob once`);
  assert.deepEqual(chat.roomText().slice(-2), [
    "system [System] You are now in room tech (2 here)",
    "chat [12:00:00] bob: once",
  ]);
});

Deno.test("markup in messages stays exactly as text in the lines", () => {
  const chat = new Chat();
  chat.enter("tech");
  chat.feed(
    `MESSAGE 1 ${NOW} bob ${HOSTILE}`,
    `PRIVATE 2 ${NOW} bob amy ${HOSTILE}`,
  );
  chat.model.apply({ type: "sent", text: HOSTILE, now: NOW });
  const room = chat.conversation(ROOM_KEY).lines;
  assert.equal(room[room.length - 2]!.text, HOSTILE);
  assert.equal(room[room.length - 1]!.text, HOSTILE);
  assert.equal(chat.conversation("@bob").lines[0]!.text, HOSTILE);
});

Deno.test("a sent message is not shown while a known mute refuses it", () => {
  const chat = new Chat();
  chat.enter("tech");
  const until = at(10, 13);
  chat.feed(`MUTED ${until} spam`);
  assert.equal(chat.model.isMuted(NOW), true);
  assert.equal(chat.model.isMuted(until), false);
  const before = chat.roomText();
  chat.model.apply({ type: "sent", text: "let me talk", now: NOW });
  assert.deepEqual(chat.roomText(), before);
  chat.model.apply({ type: "sent", text: "later", now: until });
  assert.equal(chat.roomText().at(-1), "own [13:00:00] amy: later");
});

Deno.test("a history block across days gets a date line per day", () => {
  const chat = new Chat();
  chat.enter("大厅");
  chat.feed(
    "JOINED tech 2",
    "HISTORY_BEGIN tech 4",
    `HISTORY_MESSAGE 5 ${at(8, 9)} bob first`,
    `HISTORY_MESSAGE 6 ${at(8, 23, 59)} cat late`,
    `HISTORY_MESSAGE 7 ${at(9, 0, 1)} bob next day`,
    `HISTORY_MESSAGE 8 ${at(10, 9)} amy today`,
    "HISTORY_END tech 1",
  );
  assert.deepEqual(chat.roomText(), [
    "system [System] You are now in room tech (2 here)",
    "heading --- History ---",
    "heading —— 2026-03-08 ——",
    "history [09:00:00] bob: first",
    "history [23:59:00] cat: late",
    "heading —— 2026-03-09 ——",
    "history [00:01:00] bob: next day",
    "heading —— 2026-03-10 ——",
    "own [09:00:00] amy: today",
    "heading --- End of history (there are older messages) ---",
  ]);
  const line = chat.conversation(ROOM_KEY).lines[3];
  assert.deepEqual(line, {
    kind: "history",
    stamp: "[09:00:00]",
    name: "bob",
    sender: "bob",
    text: "first",
    mention: false,
    messageId: 5,
  });
});

Deno.test("a history block of today only has no date line", () => {
  const chat = new Chat("amy", "zh");
  chat.enter("大厅");
  chat.feed(
    "JOINED tech 2",
    "HISTORY_BEGIN tech 2",
    `HISTORY_MESSAGE 5 ${at(10, 9)} bob 早`,
    `HISTORY_MESSAGE 6 ${at(10, 10)} bob 吃了吗`,
    "HISTORY_END tech 0",
  );
  assert.deepEqual(chat.roomText(), [
    "system 【系统】你已进入房间 tech（当前 2 人）",
    "heading --- 历史消息 ---",
    "history [09:00:00] bob: 早",
    "history [10:00:00] bob: 吃了吗",
    "heading --- 以上为历史消息 ---",
  ]);
});

/** In tech with an automatic history of ids 10 and 11 on 03-08 and 03-09. */
function withHistory(): Chat {
  const chat = new Chat();
  chat.enter("大厅");
  chat.feed(
    "JOINED tech 2",
    "HISTORY_BEGIN tech 2",
    `HISTORY_MESSAGE 10 ${at(8, 20)} bob ten`,
    `HISTORY_MESSAGE 11 ${at(9, 8)} bob eleven`,
    "HISTORY_END tech 1",
    `MESSAGE 12 ${NOW} cat live`,
  );
  return chat;
}

/** The notices of joining tech: older pages go in below them. */
const JOIN_NOTICES = [
  "system [System] You are now in room tech (2 here)",
  "heading --- History ---",
];

/** The room's history as it came with JOINED, and a live line. */
const HISTORY_LINES = [
  "heading —— 2026-03-08 ——",
  "history [20:00:00] bob: ten",
  "heading —— 2026-03-09 ——",
  "history [08:00:00] bob: eleven",
  "heading --- End of history (there are older messages) ---",
  "chat [12:00:00] cat: live",
];

const AFTER_JOIN = [...JOIN_NOTICES, ...HISTORY_LINES];

Deno.test("older: asks for the page before the oldest message, once", () => {
  const chat = withHistory();
  assert.deepEqual(chat.roomText(), AFTER_JOIN);
  assert.deepEqual(chat.model.apply({ type: "older" }), [
    { type: "send", command: { type: "history", count: 50, before: 10 } },
  ]);
  assert.equal(chat.model.olderPending, true);
  // Scrolling on while it is on its way asks nothing more.
  assert.deepEqual(chat.model.apply({ type: "older" }), []);
  assert.deepEqual(chat.model.apply({ type: "older" }), []);
});

Deno.test("older: the page goes on top, in order, the lines below kept", () => {
  const chat = withHistory();
  chat.model.apply({ type: "older" });
  const effects = chat.feed(
    "HISTORY_BEGIN tech 3",
    `HISTORY_MESSAGE 7 ${at(6, 10)} dan six`,
    `HISTORY_MESSAGE 8 ${at(7, 10)} dan seven`,
    `HISTORY_MESSAGE 9 ${at(7, 11)} amy mine`,
    "HISTORY_END tech 1",
  );
  assert.deepEqual(effects, []);
  assert.equal(chat.model.olderPending, false);
  assert.equal(chat.model.olderDone, false);
  assert.deepEqual(chat.roomText(), [
    ...JOIN_NOTICES,
    "heading —— 2026-03-06 ——",
    "history [10:00:00] dan: six",
    "heading —— 2026-03-07 ——",
    "history [10:00:00] dan: seven",
    "own [11:00:00] amy: mine",
    ...HISTORY_LINES,
  ]);
  assert.equal(chat.conversation(ROOM_KEY).lines[3]!.messageId, 7);
  // Lines that come while nobody pages go below again.
  chat.feed(`MESSAGE 13 ${NOW} cat after`);
  assert.equal(chat.roomText().at(-1), "chat [12:00:00] cat: after");
  // The next page is before the new oldest.
  assert.deepEqual(chat.model.apply({ type: "older" }), [
    { type: "send", command: { type: "history", count: 50, before: 7 } },
  ]);
});

Deno.test("older: no second date line at the seam, 'no older' at the end", () => {
  const chat = withHistory();
  chat.model.apply({ type: "older" });
  chat.feed(
    "HISTORY_BEGIN tech 2",
    `HISTORY_MESSAGE 7 ${at(6, 10)} dan six`,
    `HISTORY_MESSAGE 8 ${at(7, 10)} dan seven`,
    "HISTORY_END tech 1",
  );
  chat.model.apply({ type: "older" });
  // The page ends on 03-06, the day the lines below start with.
  chat.feed(
    "HISTORY_BEGIN tech 2",
    `HISTORY_MESSAGE 3 ${at(5, 10)} eve five`,
    `HISTORY_MESSAGE 4 ${at(6, 9)} eve six early`,
    "HISTORY_END tech 0",
  );
  assert.equal(chat.model.olderDone, true);
  assert.equal(chat.model.olderPending, false);
  assert.deepEqual(chat.roomText(), [
    ...JOIN_NOTICES,
    "heading —— No older messages ——",
    "heading —— 2026-03-05 ——",
    "history [10:00:00] eve: five",
    "heading —— 2026-03-06 ——",
    "history [09:00:00] eve: six early",
    "history [10:00:00] dan: six",
    "heading —— 2026-03-07 ——",
    "history [10:00:00] dan: seven",
    ...HISTORY_LINES,
  ]);
  // Nothing older to ask for.
  assert.deepEqual(chat.model.apply({ type: "older" }), []);
});

Deno.test("older: a page of today's messages under an earlier day keeps its date", () => {
  // A busy room: the automatic history and the first older page are all
  // today; the next page reaches back to yesterday.
  const chat = new Chat();
  chat.enter("大厅");
  chat.feed(
    "JOINED tech 2",
    "HISTORY_BEGIN tech 1",
    `HISTORY_MESSAGE 30 ${at(10, 11)} bob thirty`,
    "HISTORY_END tech 1",
  );
  chat.model.apply({ type: "older" });
  chat.feed(
    "HISTORY_BEGIN tech 2",
    `HISTORY_MESSAGE 20 ${at(10, 8)} bob twenty`,
    `HISTORY_MESSAGE 21 ${at(10, 9)} bob twenty-one`,
    "HISTORY_END tech 1",
  );
  chat.model.apply({ type: "older" });
  chat.feed(
    "HISTORY_BEGIN tech 2",
    `HISTORY_MESSAGE 10 ${at(9, 22)} cat ten`,
    `HISTORY_MESSAGE 11 ${at(9, 23)} cat eleven`,
    "HISTORY_END tech 1",
  );
  assert.deepEqual(chat.roomText(), [
    "system [System] You are now in room tech (2 here)",
    "heading --- History ---",
    "heading —— 2026-03-09 ——",
    "history [22:00:00] cat: ten",
    "history [23:00:00] cat: eleven",
    "heading —— 2026-03-10 ——",
    "history [08:00:00] bob: twenty",
    "history [09:00:00] bob: twenty-one",
    "history [11:00:00] bob: thirty",
    "heading --- End of history (there are older messages) ---",
  ]);
});

Deno.test("older: a page of today on top of today's lines has one date line", () => {
  const chat = new Chat();
  chat.enter("大厅");
  chat.feed(
    "JOINED tech 2",
    "HISTORY_BEGIN tech 1",
    `HISTORY_MESSAGE 30 ${at(10, 11)} bob thirty`,
    "HISTORY_END tech 1",
  );
  chat.model.apply({ type: "older" });
  chat.feed(
    "HISTORY_BEGIN tech 1",
    `HISTORY_MESSAGE 21 ${at(10, 9)} bob twenty-one`,
    "HISTORY_END tech 1",
  );
  chat.model.apply({ type: "older" });
  chat.feed(
    "HISTORY_BEGIN tech 1",
    `HISTORY_MESSAGE 20 ${at(10, 8)} bob twenty`,
    "HISTORY_END tech 1",
  );
  assert.deepEqual(chat.roomText().slice(2, 5), [
    "heading —— 2026-03-10 ——",
    "history [08:00:00] bob: twenty",
    "history [09:00:00] bob: twenty-one",
  ]);
});

Deno.test("older: an empty page says 'no older' once, on top", () => {
  const chat = withHistory();
  chat.model.apply({ type: "older" });
  chat.feed("HISTORY_BEGIN tech 0", "HISTORY_END tech 0");
  assert.deepEqual(chat.roomText(), [
    ...JOIN_NOTICES,
    "heading —— No older messages ——",
    ...HISTORY_LINES,
  ]);
  assert.equal(chat.model.olderDone, true);
  assert.deepEqual(chat.model.apply({ type: "older" }), []);
});

Deno.test("older: messages already shown are not repeated", () => {
  const chat = withHistory();
  chat.model.apply({ type: "older" });
  chat.feed(
    "HISTORY_BEGIN tech 2",
    `HISTORY_MESSAGE 9 ${at(8, 19)} dan nine`,
    `HISTORY_MESSAGE 10 ${at(8, 20)} bob ten`,
    "HISTORY_END tech 1",
  );
  assert.deepEqual(chat.roomText(), [
    ...JOIN_NOTICES,
    "heading —— 2026-03-08 ——",
    "history [19:00:00] dan: nine",
    // 03-08 has its date line just above: not twice.
    ...HISTORY_LINES.slice(1),
  ]);
});

Deno.test("older: nothing is asked before the room's history came, or when it had no more", () => {
  const chat = new Chat();
  chat.enter("大厅");
  chat.feed("JOINED tech 2");
  // The page may scroll before the history block arrives.
  assert.deepEqual(chat.model.apply({ type: "older" }), []);
  chat.feed("HISTORY_BEGIN tech 0", "HISTORY_END tech 0");
  assert.equal(chat.model.olderDone, true);
  assert.deepEqual(chat.model.apply({ type: "older" }), []);
});

Deno.test("a private message: its conversation, unread, opening, notify", () => {
  const chat = new Chat();
  chat.enter("tech");
  // Focused on the room: counted, not notified.
  assert.deepEqual(
    chat.feed(`PRIVATE 1 ${at(10, 12, 0, 9)} bob amy 在吗？`),
    [],
  );
  assert.deepEqual(chat.conversation("@bob"), {
    key: "@bob",
    kind: "private",
    title: "bob",
    lines: [{
      kind: "private",
      stamp: "[12:00:09]",
      name: "bob → you",
      sender: "bob",
      text: "在吗？",
      messageId: 1,
      mention: true,
    }],
    unread: 1,
  });
  assert.deepEqual(chat.model.conversations.map((c) => c.key), [
    "#room",
    "@bob",
  ]);
  chat.model.apply({ type: "open", key: "@bob" });
  assert.equal(chat.model.active, "@bob");
  assert.equal(chat.model.current.key, "@bob");
  assert.equal(chat.conversation("@bob").unread, 0);
  // In view and focused: neither counted nor notified.
  assert.deepEqual(chat.feed(`PRIVATE 2 ${NOW} bob amy 还在`), []);
  assert.equal(chat.conversation("@bob").unread, 0);
  // The tab hidden: counted and notified, even in view.
  chat.model.apply({ type: "focus", focused: false });
  assert.deepEqual(chat.feed(`PRIVATE 3 ${NOW} bob amy 人呢`), [
    { type: "notify", title: "bob", body: "人呢" },
  ]);
  assert.equal(chat.conversation("@bob").unread, 1);
  // Opening while hidden does not mark it read; coming back does.
  chat.model.apply({ type: "open", key: "@bob" });
  assert.equal(chat.conversation("@bob").unread, 1);
  chat.model.apply({ type: "focus", focused: true });
  assert.equal(chat.conversation("@bob").unread, 0);
});

Deno.test("a private message while hidden and not in view is notified", () => {
  const chat = new Chat();
  chat.enter("tech");
  chat.model.apply({ type: "focus", focused: false });
  assert.deepEqual(chat.feed(`PRIVATE 1 ${NOW} 张三 amy hello`), [
    { type: "notify", title: "张三", body: "hello" },
  ]);
  assert.equal(chat.conversation("@张三").unread, 1);
  // Coming back marks only the conversation in view read.
  chat.model.apply({ type: "focus", focused: true });
  assert.equal(chat.conversation("@张三").unread, 1);
});

Deno.test("the copy of a sent private message: no unread, no notify", () => {
  const chat = new Chat();
  chat.enter("tech");
  chat.model.apply({ type: "focus", focused: false });
  assert.deepEqual(chat.feed(`PRIVATE 4 ${NOW} amy bob on my way`), []);
  assert.deepEqual(chat.conversation("@bob"), {
    key: "@bob",
    kind: "private",
    title: "bob",
    lines: [{
      kind: "private",
      stamp: "[12:00:00]",
      name: "you → bob",
      sender: "amy",
      text: "on my way",
      messageId: 4,
      mention: false,
    }],
    unread: 0,
  });
});

Deno.test("opening a private conversation makes it, and only '#room' or '@name' open", () => {
  const chat = new Chat();
  chat.enter("tech");
  chat.model.apply({ type: "open", key: "@cat" });
  assert.deepEqual(chat.conversation("@cat").lines, []);
  assert.equal(chat.model.active, "@cat");
  chat.model.apply({ type: "open", key: "cat" });
  assert.equal(chat.model.active, "@cat");
  chat.model.apply({ type: "open", key: ROOM_KEY });
  assert.equal(chat.model.active, ROOM_KEY);
  assert.equal(chat.model.current.title, "tech");
});

Deno.test("a conversation opened with another spelling of a name is that user's", () => {
  // "/msg BOB hi": the page opens "@BOB"; the server answers with the
  // account's own spelling, "bob".
  const chat = new Chat();
  chat.enter("tech");
  chat.model.apply({ type: "open", key: "@BOB" });
  chat.feed(`PRIVATE 1 ${NOW} amy bob hi`, `PRIVATE 2 ${NOW} bob amy hello`);
  assert.deepEqual(chat.model.conversations.map((c) => c.key), [
    "#room",
    "@bob",
  ]);
  assert.equal(chat.model.active, "@bob");
  assert.equal(chat.model.current.title, "bob");
  assert.deepEqual(chat.model.current.lines.map(brief), [
    "private [12:00:00] you → bob: hi",
    "private [12:00:00] bob → you: hello",
  ]);
  assert.equal(chat.model.current.unread, 0);
  // Opening it again by any spelling shows the same conversation.
  chat.model.apply({ type: "open", key: ROOM_KEY });
  chat.model.apply({ type: "open", key: "@Bob" });
  assert.equal(chat.model.active, "@bob");
  assert.equal(chat.model.conversations.length, 2);
});

Deno.test("PM_QUEUED to another spelling goes to the open conversation", () => {
  const chat = new Chat();
  chat.enter("tech");
  chat.model.apply({ type: "open", key: "@ZED" });
  chat.feed(`PRIVATE 1 ${NOW} amy zed later`, "PM_QUEUED zed");
  assert.deepEqual(chat.model.conversations.map((c) => c.key), [
    "#room",
    "@zed",
  ]);
  assert.equal(chat.model.active, "@zed");
  assert.equal(chat.model.current.lines.length, 2);
});

Deno.test("PM_QUEUED and PM_DELIVERED go to that conversation", () => {
  const chat = new Chat();
  chat.enter("tech");
  assert.deepEqual(chat.feed("PM_QUEUED zed"), []);
  assert.deepEqual(chat.conversation("@zed").lines, [{
    kind: "system",
    text:
      "[System] zed is offline; the message will be delivered when they log in",
  }]);
  assert.equal(chat.conversation("@zed").unread, 0);
  chat.feed("PM_DELIVERED zed 2");
  assert.deepEqual(chat.conversation("@zed").lines.at(-1), {
    kind: "system",
    text: "[System] 2 offline messages of yours were delivered to zed",
  });
  assert.deepEqual(chat.roomText(), [
    "system [System] You are now in room tech (2 here)",
  ]);
});

Deno.test("a mention in the room while hidden is notified; others are not", () => {
  const chat = new Chat();
  chat.enter("tech");
  assert.deepEqual(chat.feed(`MESSAGE 1 ${NOW} bob hi amy`), []);
  chat.model.apply({ type: "focus", focused: false });
  assert.deepEqual(chat.feed(`MESSAGE 2 ${NOW} bob nothing here`), []);
  assert.deepEqual(chat.feed(`MESSAGE 3 ${NOW} bob @amy look`), [
    { type: "notify", title: "bob · tech", body: "@amy look" },
  ]);
  assert.equal(chat.conversation(ROOM_KEY).unread, 2);
  const lines = chat.conversation(ROOM_KEY).lines;
  assert.equal(lines.at(-1)!.mention, true);
  assert.equal(lines.at(-2)!.mention, false);
  chat.model.apply({ type: "focus", focused: true });
  assert.equal(chat.conversation(ROOM_KEY).unread, 0);
});

Deno.test("room messages count as unread while a private conversation is open", () => {
  const chat = new Chat();
  chat.enter("tech");
  chat.model.apply({ type: "open", key: "@bob" });
  chat.feed(`MESSAGE 1 ${NOW} cat one`, `MESSAGE 2 ${NOW} cat two`);
  // Notices of the room are not counted.
  chat.feed(`USER_JOINED ${NOW} dan`);
  assert.equal(chat.conversation(ROOM_KEY).unread, 2);
  chat.model.apply({ type: "open", key: ROOM_KEY });
  assert.equal(chat.conversation(ROOM_KEY).unread, 0);
});

Deno.test("JOINED another room starts its conversation over and asks the lists", () => {
  const chat = withHistory();
  chat.feed("USER_LIST tech amy bob cat");
  chat.model.apply({ type: "older" });
  assert.deepEqual(chat.feed("JOINED games 4"), [
    { type: "send", command: { type: "rooms" } },
    { type: "send", command: { type: "users", all: false } },
  ]);
  assert.equal(chat.model.room, "games");
  assert.deepEqual(chat.conversation(ROOM_KEY), {
    key: "#room",
    kind: "room",
    title: "games",
    lines: [{
      kind: "system",
      text: "[System] You are now in room games (4 here)",
    }],
    unread: 0,
  });
  assert.deepEqual(chat.model.users, []);
  assert.equal(chat.model.olderPending, false);
  // Paging starts from the new room's messages.
  chat.feed(
    "HISTORY_BEGIN games 1",
    `HISTORY_MESSAGE 40 ${NOW} zed g`,
    "HISTORY_END games 1",
  );
  assert.deepEqual(chat.model.apply({ type: "older" }), [
    { type: "send", command: { type: "history", count: 50, before: 40 } },
  ]);
});

Deno.test("JOINED keeps the private conversations", () => {
  const chat = new Chat();
  chat.enter("tech");
  chat.feed(`PRIVATE 1 ${NOW} bob amy hi`);
  chat.feed("JOINED games 1");
  assert.deepEqual(chat.conversation("@bob").lines.map(brief), [
    "private [12:00:00] bob → you: hi",
  ]);
});

Deno.test("USER_LIST updates the online list only for the current room", () => {
  const chat = new Chat();
  chat.enter("tech");
  assert.deepEqual(chat.feed("USER_LIST tech amy bob"), []);
  assert.deepEqual(chat.model.users, ["amy", "bob"]);
  chat.feed("USER_LIST 大厅 zed");
  chat.feed("USER_LIST * amy bob zed");
  assert.deepEqual(chat.model.users, ["amy", "bob"]);
  chat.feed("USER_LIST tech");
  assert.deepEqual(chat.model.users, []);
  // An automatic listing is not shown.
  assert.deepEqual(chat.roomText(), [
    "system [System] You are now in room tech (2 here)",
  ]);
});

Deno.test("a typed /users shows its listing once", () => {
  const chat = new Chat();
  chat.enter("tech");
  chat.model.apply({ type: "typed", command: { type: "users", all: true } });
  chat.feed("USER_LIST * amy bob zed");
  const shown = chat.roomText().length;
  assert.equal(shown, 2);
  chat.feed("USER_LIST tech amy bob");
  assert.equal(chat.roomText().length, 2);
  assert.deepEqual(chat.model.users, ["amy", "bob"]);
});

Deno.test("a typed /rooms shows the ROOM_LIST as a line, an automatic one does not", () => {
  const chat = new Chat();
  chat.enter("tech");
  assert.deepEqual(chat.feed("ROOM_LIST 大厅=1 tech=2"), []);
  assert.deepEqual(chat.model.rooms, [
    { name: "大厅", memberCount: 1 },
    { name: "tech", memberCount: 2 },
  ]);
  assert.deepEqual(chat.roomText(), [
    "system [System] You are now in room tech (2 here)",
  ]);
  chat.model.apply({ type: "typed", command: { type: "rooms" } });
  chat.feed("ROOM_LIST 大厅=1 tech=3");
  assert.deepEqual(chat.roomText(), [
    "system [System] You are now in room tech (2 here)",
    "system [System] Rooms: 大厅 (1), tech (3)",
  ]);
  assert.deepEqual(chat.model.rooms, [
    { name: "大厅", memberCount: 1 },
    { name: "tech", memberCount: 3 },
  ]);
  // The next automatic one is quiet again.
  chat.feed("ROOM_LIST tech=4");
  assert.equal(chat.roomText().length, 2);
  assert.deepEqual(chat.model.rooms, [{ name: "tech", memberCount: 4 }]);
});

Deno.test("other typed commands change no listing", () => {
  const chat = new Chat();
  chat.enter("tech");
  chat.model.apply({ type: "typed", command: { type: "join", room: "x" } });
  chat.feed("ROOM_LIST tech=2", "USER_LIST tech amy");
  assert.equal(chat.roomText().length, 1);
});

Deno.test("arrivals and departures ask for the online list again", () => {
  const chat = new Chat();
  chat.enter("tech");
  assert.deepEqual(chat.feed(`USER_JOINED ${NOW} bob`), [{
    type: "users_changed",
  }]);
  assert.deepEqual(chat.feed(`USER_LEFT ${NOW} bob`), [{
    type: "users_changed",
  }]);
  assert.deepEqual(chat.feed(`USER_LEFT ${NOW} cat games`), [
    { type: "users_changed" },
  ]);
  assert.deepEqual(chat.feed(`PRESENCE ${NOW} 3 1`), [{
    type: "users_changed",
  }]);
  assert.deepEqual(chat.feed(`MESSAGE 1 ${NOW} bob x`), []);
});

Deno.test("errors and OKs go to the conversation in view", () => {
  const chat = new Chat();
  chat.enter("tech");
  chat.clock.set(at(10, 12, 3, 4));
  chat.model.apply({ type: "open", key: "@ghost" });
  chat.feed("ERROR no_such_user No such user: ghost");
  assert.deepEqual(chat.conversation("@ghost").lines, [{
    kind: "error",
    text: "[12:03:04] [Error] No such user: ghost",
  }]);
  assert.equal(chat.conversation("@ghost").unread, 0);
  chat.model.apply({ type: "open", key: ROOM_KEY });
  chat.feed("OK status Status set");
  assert.deepEqual(chat.roomText().at(-1), "ok [12:03:04] [OK] Status set");
  assert.equal(chat.conversation("@ghost").lines.length, 1);
});

Deno.test("the page's own notices go to the conversation in view, not counted", () => {
  const chat = new Chat();
  chat.enter("tech");
  chat.model.apply({ type: "open", key: "@bob" });
  chat.model.apply({ type: "focus", focused: false });
  chat.model.apply({
    type: "notice",
    line: { kind: "system", text: "【系统】<b>hi</b>" },
  });
  assert.deepEqual(chat.conversation("@bob"), {
    key: "@bob",
    kind: "private",
    title: "bob",
    lines: [{ kind: "system", text: "【系统】<b>hi</b>" }],
    unread: 0,
  });
});

/** In tech, having seen messages up to id 8, the tab focused. */
function beforeResume(): Chat {
  const chat = new Chat();
  chat.enter("大厅");
  chat.feed(
    "JOINED tech 2",
    "HISTORY_BEGIN tech 1",
    `HISTORY_MESSAGE 7 ${at(10, 11)} bob seven`,
    "HISTORY_END tech 0",
    `MESSAGE 8 ${at(10, 11, 30)} bob eight`,
  );
  return chat;
}

const BEFORE_RESUME = [
  "system [System] You are now in room tech (2 here)",
  "heading --- History ---",
  "history [11:00:00] bob: seven",
  "heading --- End of history ---",
  "chat [11:30:00] bob: eight",
];

/** What a resumed session gets before its catch-up: the lobby, then tech. */
function rejoin(): string[] {
  return [
    "JOINED 大厅 1",
    "HISTORY_BEGIN 大厅 0",
    "HISTORY_END 大厅 0",
    "JOINED tech 2",
    "HISTORY_BEGIN tech 1",
    `HISTORY_MESSAGE 8 ${at(10, 11, 30)} bob eight`,
    "HISTORY_END tech 0",
  ];
}

Deno.test("resume: back to the room, then the missed messages, once", () => {
  const chat = beforeResume();
  assert.deepEqual(chat.roomText(), BEFORE_RESUME);
  assert.deepEqual(chat.model.apply({ type: "resumed" }), [
    { type: "send", command: { type: "join", room: "tech" } },
    { type: "send", command: { type: "history", count: 100, after: 8 } },
  ]);
  // The resumed session starts in the lobby: nothing of it is shown, and
  // the room's lines stay.
  chat.feed(
    "WELCOME 3 amy",
    "JOINED 大厅 5",
    "HISTORY_BEGIN 大厅 1",
    `HISTORY_MESSAGE 2 ${at(10, 9)} zed lobby`,
    "HISTORY_END 大厅 0",
    `MESSAGE 100 ${NOW} zed lobby live`,
    `USER_JOINED ${NOW} zed2`,
  );
  assert.equal(chat.model.room, "大厅");
  assert.deepEqual(chat.roomText(), BEFORE_RESUME);
  chat.feed(
    "JOINED tech 3",
    "HISTORY_BEGIN tech 2",
    `HISTORY_MESSAGE 7 ${at(10, 11)} bob seven`,
    `HISTORY_MESSAGE 8 ${at(10, 11, 30)} bob eight`,
    "HISTORY_END tech 0",
  );
  assert.equal(chat.model.room, "tech");
  assert.deepEqual(chat.roomText(), BEFORE_RESUME);
  // The catch-up: a repeat, two missed, and the user's own (shown as typed).
  chat.feed(
    "HISTORY_BEGIN tech 4",
    `HISTORY_MESSAGE 8 ${at(10, 11, 30)} bob eight`,
    `HISTORY_MESSAGE 9 ${at(10, 11, 40)} cat nine`,
    `HISTORY_MESSAGE 10 ${at(10, 11, 41)} amy mine`,
    `HISTORY_MESSAGE 11 ${at(10, 11, 50)} cat eleven`,
    "HISTORY_END tech 0",
    // Live messages the catch-up already showed are skipped.
    `MESSAGE 11 ${at(10, 11, 50)} cat eleven`,
    `MESSAGE 12 ${NOW} cat twelve`,
  );
  assert.deepEqual(chat.roomText(), [
    ...BEFORE_RESUME,
    "heading --- Messages while you were away ---",
    "chat [11:40:00] cat: nine",
    "chat [11:50:00] cat: eleven",
    "heading --- End of the messages while you were away ---",
    "chat [12:00:00] cat: twelve",
  ]);
});

Deno.test("resume: a catch-up of more pages asks for the next one", () => {
  const chat = beforeResume();
  chat.model.apply({ type: "resumed" });
  chat.feed(...rejoin());
  const effects = chat.feed(
    "HISTORY_BEGIN tech 1",
    `HISTORY_MESSAGE 9 ${at(10, 11, 40)} cat nine`,
    "HISTORY_END tech 1",
  );
  assert.deepEqual(effects, [
    { type: "send", command: { type: "history", count: 100, after: 9 } },
  ]);
  chat.feed(
    "HISTORY_BEGIN tech 1",
    `HISTORY_MESSAGE 10 ${at(10, 11, 45)} cat ten`,
    "HISTORY_END tech 0",
  );
  assert.deepEqual(chat.roomText(), [
    ...BEFORE_RESUME,
    "heading --- Messages while you were away ---",
    "chat [11:40:00] cat: nine",
    "chat [11:45:00] cat: ten",
    "heading --- End of the messages while you were away ---",
  ]);
});

Deno.test("resume: nothing missed says so", () => {
  const chat = beforeResume();
  chat.model.apply({ type: "resumed" });
  chat.feed(
    ...rejoin(),
    "HISTORY_BEGIN tech 0",
    "HISTORY_END tech 0",
  );
  assert.deepEqual(chat.roomText(), [
    ...BEFORE_RESUME,
    "system [System] No messages while you were away",
  ]);
});

Deno.test("resume in the lobby: no JOIN, the catch-up from the newest", () => {
  const chat = new Chat();
  chat.enter("大厅");
  chat.feed(`MESSAGE 3 ${NOW} zed hi`);
  assert.deepEqual(chat.model.apply({ type: "resumed" }), [
    { type: "send", command: { type: "history", count: 100, after: 3 } },
  ]);
});

Deno.test("resume before any message: the catch-up after id 0", () => {
  const chat = new Chat();
  chat.enter("tech");
  assert.deepEqual(chat.model.apply({ type: "resumed" }), [
    { type: "send", command: { type: "join", room: "tech" } },
    { type: "send", command: { type: "history", count: 100, after: 0 } },
  ]);
});

Deno.test("missed messages while hidden count as unread", () => {
  const chat = beforeResume();
  chat.model.apply({ type: "focus", focused: false });
  chat.model.apply({ type: "resumed" });
  chat.feed(
    ...rejoin(),
    "HISTORY_BEGIN tech 1",
    `HISTORY_MESSAGE 9 ${at(10, 11, 40)} cat nine`,
    "HISTORY_END tech 0",
  );
  assert.equal(chat.conversation(ROOM_KEY).unread, 1);
});

Deno.test("old lines are dropped past MAX_LINES", () => {
  const chat = new Chat();
  chat.enter("tech");
  for (let id = 1; id <= MAX_LINES + 5; id++) {
    chat.feed(`MESSAGE ${id} ${NOW} bob m${id}`);
  }
  const lines = chat.conversation(ROOM_KEY).lines;
  assert.equal(lines.length, MAX_LINES);
  assert.equal(lines[0]!.text, "m6");
  assert.equal(lines.at(-1)!.text, `m${MAX_LINES + 5}`);
});

Deno.test("a Chinese chat writes its lines in Chinese", () => {
  const chat = new Chat("amy", "zh");
  chat.enter("tech");
  chat.feed(`PRIVATE 1 ${NOW} bob amy 你好`, "PM_QUEUED zed");
  assert.deepEqual(chat.conversation("@bob").lines.map(brief), [
    "private [12:00:00] bob → 你: 你好",
  ]);
  assert.deepEqual(chat.conversation("@zed").lines.map(brief), [
    "system 【系统】zed 不在线，消息将在其上线后送达",
  ]);
});

Deno.test("older: no paging once the room holds MAX_LINES lines", () => {
  const chat = withHistory();
  for (
    let id = 100;
    chat.conversation(ROOM_KEY).lines.length < MAX_LINES;
    id++
  ) {
    chat.feed(`MESSAGE ${id} ${NOW} cat line ${id}`);
  }
  assert.deepEqual(chat.model.apply({ type: "older" }), []);
  assert.equal(chat.model.olderPending, false);
});
