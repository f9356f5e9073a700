import assert from "node:assert/strict";
import {
  formatUnreadCount,
  ownPrivateLine,
  pmReadLine,
  roomListLine,
  unreadSummaryLine,
  userListLine,
  whoisLine,
} from "../../lib/client/receipts_view.ts";
import { avatarMark } from "../../lib/client/avatar_marks.ts";
import {
  chatLine,
  renderEvent,
  type ViewContext,
} from "../../lib/client/view.ts";
import { COLOR_PALETTE, PLAIN_PALETTE } from "../../lib/client/colors.ts";
import type { Reply } from "../../lib/protocol/protocol.ts";

const ZH: ViewContext = { lang: "zh", palette: PLAIN_PALETTE, ownName: "小王" };
const EN: ViewContext = { lang: "en", palette: PLAIN_PALETTE, ownName: "小王" };
// Local wall-clock times, so that the expected "[14:30:35]" is a literal.
const T = new Date(2025, 10, 25, 14, 30, 35).getTime();

type ReplyOf<K extends Reply["type"]> = Extract<Reply, { type: K }>;

const OWN_COPY: ReplyOf<"private"> = {
  type: "private",
  id: 10418,
  time: T,
  from: "小王",
  to: "张三",
  text: "在吗？",
};

Deno.test("ownPrivateLine() adds ✓ to the own copy of a delivered message, and nothing otherwise", () => {
  assert.equal(
    ownPrivateLine(OWN_COPY, true, ZH),
    "[14:30:35] [私聊] 你 → 张三: 在吗？ ✓",
  );
  assert.equal(
    ownPrivateLine(OWN_COPY, true, EN),
    "[14:30:35] [PM] you → 张三: 在吗？ ✓",
  );
  assert.equal(
    ownPrivateLine(OWN_COPY, false, ZH),
    "[14:30:35] [私聊] 你 → 张三: 在吗？",
  );
});

Deno.test("pmReadLine() is one short line; the time of reading shows when it was not just now, the date when not today", () => {
  const now = T + 5000;
  assert.equal(
    pmReadLine("张三", T, now, ZH),
    "【系统】张三 已读了你的私聊消息 ✓✓",
  );
  assert.equal(
    pmReadLine("张三", T, now, EN),
    "[System] 张三 read your private messages ✓✓",
  );
  // Kept for the login, read earlier today.
  const later = T + 2 * 60 * 60_000;
  assert.equal(
    pmReadLine("张三", T, later, ZH),
    "【系统】张三 已读了你的私聊消息 ✓✓（14:30:35）",
  );
  // Read yesterday.
  const tomorrow = new Date(2025, 10, 26, 9, 0, 0).getTime();
  assert.equal(
    pmReadLine("张三", T, tomorrow, EN),
    "[System] 张三 read your private messages ✓✓ (2025-11-25 14:30:35)",
  );
});

Deno.test("formatUnreadCount() shows the protocol's cap as 999+", () => {
  assert.equal(formatUnreadCount(1), "1");
  assert.equal(formatUnreadCount(998), "998");
  assert.equal(formatUnreadCount(999), "999+");
});

Deno.test("unreadSummaryLine() names the unread rooms at login with a /join hint, five at most", () => {
  const two = [{ name: "技术", count: 12 }, { name: "闲聊", count: 3 }];
  assert.equal(
    unreadSummaryLine(two, ZH),
    "【系统】未读消息: 技术 12 条，闲聊 3 条（输入 /join <房间名> 查看）",
  );
  assert.equal(
    unreadSummaryLine(two, EN),
    "[System] Unread: 技术 12, 闲聊 3 (type /join <room> to read them)",
  );
  const many = ["a", "b", "c", "d", "e", "f", "g"].map((name, i) => ({
    name,
    count: i === 0 ? 999 : i,
  }));
  assert.equal(
    unreadSummaryLine(many, ZH),
    "【系统】未读消息: a 999+ 条，b 1 条，c 2 条，d 3 条，e 4 条，另有 2 个房间（输入 /join <房间名> 查看）",
  );
  assert.equal(
    unreadSummaryLine(many.slice(0, 6), EN),
    "[System] Unread: a 999+, b 1, c 2, d 3, e 4, and 1 more room (type /join <room> to read them)",
  );
});

Deno.test("roomListLine() shows each room's unread count; unread rooms nobody is in come last with 0", () => {
  const reply: ReplyOf<"room_list"> = {
    type: "room_list",
    rooms: [{ name: "大厅", memberCount: 4 }, { name: "技术", memberCount: 3 }],
  };
  const unread = new Map([["闲聊", 1000], ["技术", 12]]);
  assert.equal(
    roomListLine(reply, unread, ZH),
    "【系统】房间列表: 大厅 (4), 技术 (3, 12 条未读), 闲聊 (0, 999+ 条未读)",
  );
  assert.equal(
    roomListLine(reply, unread, EN),
    "[System] Rooms: 大厅 (4), 技术 (3, 12 unread), 闲聊 (0, 999+ unread)",
  );
  // Nothing unread: the line of before.
  assert.equal(
    roomListLine(reply, new Map(), ZH),
    "【系统】房间列表: 大厅 (4), 技术 (3)",
  );
  assert.equal(
    roomListLine({ type: "room_list", rooms: [] }, new Map(), EN),
    "[System] Rooms: (none)",
  );
});

Deno.test("userListLine() puts each user's mark before the name", () => {
  const marks = new Map([["张三", "🐱"], ["bob", "img:2"]]);
  const room: ReplyOf<"user_list"> = {
    type: "user_list",
    scope: "技术",
    users: ["张三", "bob", "李四"],
  };
  assert.equal(
    userListLine(room, marks, ZH),
    "【系统】房间 技术 的在线用户 (3): 🐱 张三, B bob, 李 李四",
  );
  assert.equal(
    userListLine({ ...room, scope: "*" }, marks, EN),
    "[System] Everyone online (3): 🐱 张三, B bob, 李 李四",
  );
  assert.equal(
    userListLine({ ...room, users: [] }, marks, ZH),
    "【系统】房间 技术 的在线用户 (0): （无）",
  );
});

Deno.test("userListLine() in color: the marks keep their color, the rest of the line the system color", () => {
  const view: ViewContext = { lang: "en", palette: COLOR_PALETTE };
  const marks = new Map([["张三", "🐱"]]);
  const line = userListLine(
    { type: "user_list", scope: "*", users: ["张三", "bob"] },
    marks,
    view,
  );
  const sys = COLOR_PALETTE.system;
  assert.equal(
    line,
    sys("[System] Everyone online (2): ") + "🐱" + sys(" 张三, ") +
      avatarMark("bob", marks, COLOR_PALETTE) + sys(" bob"),
  );
});

Deno.test("whoisLine() adds the avatar to /whois: the emoji, or the default mark", () => {
  const registered = new Date(2025, 10, 24, 12).getTime();
  const reply: ReplyOf<"whois_info"> = {
    type: "whois_info",
    user: "张三",
    registeredAt: registered,
    online: true,
    lastSeenAt: null,
    room: "技术",
    admin: false,
    status: "在忙",
  };
  assert.equal(
    whoisLine(reply, new Map([["张三", "🐱"]]), ZH),
    "【系统】张三: 在线，房间 技术，注册于 2025-11-24，状态: 在忙，头像: 🐱",
  );
  assert.equal(
    whoisLine({ ...reply, user: "amy", status: "" }, new Map(), EN),
    "[System] amy: online, in room 技术, registered 2025-11-24, avatar: A",
  );
});

Deno.test("chat lines keep the seed's format: no avatar marks", () => {
  assert.equal(chatLine("张三", "大家好", T, ZH), "[14:30:35] 张三: 大家好");
});

Deno.test("renderEvent() shows the server's sentence for OK receipts_*/avatar_*, the catalog's without one", () => {
  const ok = (code: string, message = ""): Reply => ({
    type: "ok",
    code,
    message,
  });
  assert.equal(
    renderEvent(ok("avatar_set", "头像已设置为 🐱"), ZH, T),
    "[14:30:35] 【成功】头像已设置为 🐱",
  );
  assert.equal(
    renderEvent(ok("receipts_off"), ZH, T),
    "[14:30:35] 【成功】已读回执已关闭",
  );
  assert.equal(
    renderEvent(ok("receipts_on"), EN, T),
    "[14:30:35] [OK] Read receipts are on",
  );
  assert.equal(
    renderEvent(ok("avatar_cleared"), EN, T),
    "[14:30:35] [OK] Avatar back to the default",
  );
});
