import assert from "node:assert/strict";
import { parseReply, type Reply } from "../../lib/protocol/protocol.ts";
import {
  mentions,
  messageLine,
  pageNotice,
  privateMessageLine,
  replyLine,
  stampOf,
} from "../../lib/web/page_lines.ts";

/** A local time on 2026-03-10 (stamps are local clock times). */
function at(hours: number, minutes = 0, seconds = 0): number {
  return new Date(2026, 2, 10, hours, minutes, seconds).getTime();
}

/** A server line, parsed (it must parse). */
function wire(line: string): Reply {
  const reply = parseReply(line);
  if (reply.type === "invalid") throw new Error(`${line}: ${reply.reason}`);
  return reply;
}

const HOSTILE =
  `<img src=x onerror="alert(1)"> &amp; <script>alert('x')</script>`;

Deno.test("stampOf is the local clock time in brackets", () => {
  assert.equal(stampOf(at(9, 5, 7)), "[09:05:07]");
  assert.equal(stampOf(at(23, 59, 59)), "[23:59:59]");
});

Deno.test("messageLine: someone else's message", () => {
  assert.deepEqual(messageLine("bob", "hello all", at(14, 30, 35), "amy"), {
    kind: "chat",
    stamp: "[14:30:35]",
    name: "bob",
    sender: "bob",
    text: "hello all",
    mention: false,
  });
});

Deno.test("messageLine: the user's own message is 'own' and never a mention", () => {
  assert.deepEqual(
    messageLine("amy", "I am amy", at(8), "amy", { id: 12 }),
    {
      kind: "own",
      stamp: "[08:00:00]",
      name: "amy",
      sender: "amy",
      text: "I am amy",
      mention: false,
      messageId: 12,
    },
  );
});

Deno.test("messageLine: history is dimmed, but one's own stays 'own'", () => {
  assert.deepEqual(
    messageLine("bob", "old", at(7), "amy", { history: true, id: 3 }),
    {
      kind: "history",
      stamp: "[07:00:00]",
      name: "bob",
      sender: "bob",
      text: "old",
      mention: false,
      messageId: 3,
    },
  );
  assert.equal(
    messageLine("amy", "old", at(7), "amy", { history: true }).kind,
    "own",
  );
});

Deno.test("messageLine keeps markup exactly as text", () => {
  const line = messageLine("bob", HOSTILE, at(1), "amy");
  assert.equal(line.text, HOSTILE);
  assert.equal(messageLine("<b>eve</b>", "x", at(1), "amy").name, "<b>eve</b>");
});

Deno.test("mentions: @name and the name as a word, in any case", () => {
  assert.equal(mentions("hi @amy", "amy"), true);
  assert.equal(mentions("amy: look", "amy"), true);
  assert.equal(mentions("AMY!", "amy"), true);
  assert.equal(mentions("ping Amy.", "amy"), true);
  assert.equal(mentions("amy", "amy"), true);
});

Deno.test("mentions: a longer word is not a mention", () => {
  assert.equal(mentions("amygdala", "amy"), false);
  assert.equal(mentions("tamy", "amy"), false);
  assert.equal(mentions("amy_2 here", "amy"), false);
  assert.equal(mentions("amy2", "amy"), false);
  assert.equal(mentions("nobody here", "amy"), false);
});

Deno.test("mentions: a later occurrence counts when the first is inside a word", () => {
  assert.equal(mentions("amygdala, amy", "amy"), true);
});

Deno.test("mentions: Han names run into the text around them", () => {
  assert.equal(mentions("张三你好", "张三"), true);
  assert.equal(mentions("你好张三", "张三"), true);
  assert.equal(mentions("李四你好", "张三"), false);
});

Deno.test("mentions: an empty name mentions nobody", () => {
  assert.equal(mentions("anything", ""), false);
});

Deno.test("replyLine: MESSAGE with its id and mention", () => {
  assert.deepEqual(
    replyLine(
      wire(`MESSAGE 41 ${at(14, 30, 35)} bob hey @amy`),
      "zh",
      "amy",
      0,
    ),
    {
      kind: "chat",
      stamp: "[14:30:35]",
      name: "bob",
      sender: "bob",
      text: "hey @amy",
      mention: true,
      messageId: 41,
    },
  );
});

Deno.test("replyLine: HISTORY_MESSAGE is a history line", () => {
  assert.deepEqual(
    replyLine(wire(`HISTORY_MESSAGE 7 ${at(9)} bob earlier`), "en", "amy", 0),
    {
      kind: "history",
      stamp: "[09:00:00]",
      name: "bob",
      sender: "bob",
      text: "earlier",
      mention: false,
      messageId: 7,
    },
  );
});

Deno.test("replyLine: markup in a message stays as text", () => {
  const line = replyLine(
    wire(`MESSAGE 1 ${at(10)} bob ${HOSTILE}`),
    "en",
    "amy",
    0,
  );
  assert.equal(line?.text, HOSTILE);
  const pm = replyLine(
    wire(`PRIVATE 2 ${at(10)} bob amy ${HOSTILE}`),
    "en",
    "amy",
    0,
  );
  assert.equal(pm?.text, HOSTILE);
  const system = replyLine(
    wire(`SYSTEM ${at(10)} <i>maintenance</i> & "soon"`),
    "en",
    "amy",
    0,
  );
  assert.deepEqual(system, {
    kind: "system",
    text: `[System] <i>maintenance</i> & "soon"`,
  });
});

Deno.test("privateMessageLine: received, in both languages", () => {
  const reply = wire(`PRIVATE 5 ${at(14, 30, 35)} 张三 amy 在吗？`);
  assert.equal(reply.type, "private");
  if (reply.type !== "private") return;
  assert.deepEqual(privateMessageLine(reply, "zh", "amy"), {
    kind: "private",
    stamp: "[14:30:35]",
    name: "张三 → 你",
    sender: "张三",
    text: "在吗？",
    messageId: 5,
    mention: true,
  });
  assert.equal(privateMessageLine(reply, "en", "amy").name, "张三 → you");
});

Deno.test("privateMessageLine: the copy of one sent, and one to oneself", () => {
  const sent = wire(`PRIVATE 6 ${at(14, 31)} amy bob on my way`);
  const self = wire(`PRIVATE 7 ${at(14, 32)} amy amy note`);
  if (sent.type !== "private" || self.type !== "private") {
    throw new Error("not private");
  }
  assert.deepEqual(privateMessageLine(sent, "en", "amy"), {
    kind: "private",
    stamp: "[14:31:00]",
    name: "you → bob",
    sender: "amy",
    text: "on my way",
    messageId: 6,
    mention: false,
  });
  assert.equal(privateMessageLine(self, "zh", "amy").name, "你 → 你");
});

Deno.test("replyLine: notices are tagged by kind", () => {
  const now = at(12, 0, 1);
  assert.deepEqual(
    replyLine(wire("ERROR no_such_user No such user"), "en", "amy", now),
    {
      kind: "error",
      text: "[12:00:01] [Error] No such user",
    },
  );
  assert.deepEqual(replyLine(wire("OK muted bob is muted"), "en", "amy", now), {
    kind: "ok",
    text: "[12:00:01] [OK] bob is muted",
  });
  assert.deepEqual(
    replyLine(wire(`USER_JOINED ${at(12)} 小王`), "zh", "我", now),
    { kind: "system", text: "【系统】小王 加入了聊天室" },
  );
});

Deno.test("replyLine: history block lines are headings", () => {
  assert.deepEqual(replyLine(wire("HISTORY_BEGIN tech 2"), "en", "amy", 0), {
    kind: "heading",
    text: "--- History ---",
  });
  assert.deepEqual(replyLine(wire("HISTORY_END tech 1"), "zh", "amy", 0), {
    kind: "heading",
    text: "--- 以上为历史消息（还有更早的消息）---",
  });
  assert.deepEqual(replyLine(wire("HISTORY_END tech 0"), "en", "amy", 0), {
    kind: "heading",
    text: "--- End of history ---",
  });
});

Deno.test("replyLine: what the view does not show is undefined", () => {
  assert.equal(replyLine(wire("PONG w1"), "en", "amy", 0), undefined);
});

Deno.test("pageNotice: the page's own lines", () => {
  const now = at(16, 45, 2);
  assert.deepEqual(pageNotice("zh", "system", "已重新连接", now), {
    kind: "system",
    text: "【系统】已重新连接",
  });
  assert.deepEqual(pageNotice("en", "ok", "Saved", now), {
    kind: "ok",
    text: "[16:45:02] [OK] Saved",
  });
  assert.deepEqual(pageNotice("en", "error", "<b>Offline</b>", now), {
    kind: "error",
    text: "[16:45:02] [Error] <b>Offline</b>",
  });
});
