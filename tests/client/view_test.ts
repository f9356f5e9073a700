import assert from "node:assert/strict";
import {
  chatLine,
  chatPrompt,
  errorLine,
  formatMuteEnd,
  HistoryDays,
  historyLine,
  mutedRefusalLine,
  privateLine,
  renderEvent,
  successLine,
  systemLine,
  type ViewContext,
  whoisText,
} from "../../lib/client/view.ts";
import { COLOR_PALETTE, PLAIN_PALETTE } from "../../lib/client/colors.ts";
import type { Reply } from "../../lib/protocol/protocol.ts";

const ZH: ViewContext = { lang: "zh", palette: PLAIN_PALETTE, ownName: "小王" };
const EN: ViewContext = { lang: "en", palette: PLAIN_PALETTE, ownName: "小王" };
// Local wall-clock times, so that the expected "[14:30:35]" is a literal
// from the seed and not built with the function under test.
const T = new Date(2025, 10, 25, 14, 30, 35).getTime();
const NOW = T + 1000;
const CLOCK = "[14:30:35]";
const NOW_CLOCK = "[14:30:36]";

Deno.test("renderEvent() shows the display tables of rooms, private messages and history", async (t) => {
  const cases: [string, Reply, string | undefined, string | undefined][] = [
    [
      "JOINED",
      { type: "joined", room: "技术", memberCount: 3 },
      "【系统】你已进入房间 技术（当前 3 人）",
      "[System] You are now in room 技术 (3 here)",
    ],
    [
      "ROOM_LIST",
      {
        type: "room_list",
        rooms: [{ name: "大厅", memberCount: 4 }, {
          name: "技术",
          memberCount: 3,
        }],
      },
      "【系统】房间列表: 大厅 (4), 技术 (3)",
      "[System] Rooms: 大厅 (4), 技术 (3)",
    ],
    [
      "a bare ROOM_LIST",
      { type: "room_list", rooms: [] },
      "【系统】房间列表: （无）",
      "[System] Rooms: (none)",
    ],
    [
      "USER_LIST of a room",
      { type: "user_list", scope: "技术", users: ["小王", "李四", "王五"] },
      "【系统】房间 技术 的在线用户 (3): 小王, 李四, 王五",
      "[System] Online in room 技术 (3): 小王, 李四, 王五",
    ],
    [
      "USER_LIST *",
      { type: "user_list", scope: "*", users: ["小王", "张三"] },
      "【系统】所有在线用户 (2): 小王, 张三",
      "[System] Everyone online (2): 小王, 张三",
    ],
    [
      "HISTORY_BEGIN",
      { type: "history_begin", room: "技术", count: 2 },
      "--- 历史消息 ---",
      "--- History ---",
    ],
    [
      "an empty HISTORY_BEGIN",
      { type: "history_begin", room: "技术", count: 0 },
      undefined,
      undefined,
    ],
    [
      "HISTORY_MESSAGE",
      {
        type: "history_message",
        id: 120,
        time: T,
        sender: "李四",
        text: "部署好了",
      },
      `${CLOCK} 李四: 部署好了`,
      `${CLOCK} 李四: 部署好了`,
    ],
    [
      "HISTORY_END with more",
      { type: "history_end", room: "技术", more: true },
      "--- 以上为历史消息（还有更早的消息）---",
      "--- End of history (there are older messages) ---",
    ],
    [
      "HISTORY_END",
      { type: "history_end", room: "技术", more: false },
      "--- 以上为历史消息 ---",
      "--- End of history ---",
    ],
    [
      "PRIVATE to the user",
      {
        type: "private",
        id: 42,
        time: T,
        from: "张三",
        to: "小王",
        text: "在吗？",
      },
      `${CLOCK} [私聊] 张三 → 你: 在吗？`,
      `${CLOCK} [PM] 张三 → you: 在吗？`,
    ],
    [
      "PRIVATE, the user's copy",
      {
        type: "private",
        id: 43,
        time: T,
        from: "小王",
        to: "张三",
        text: "在的",
      },
      `${CLOCK} [私聊] 你 → 张三: 在的`,
      `${CLOCK} [PM] you → 张三: 在的`,
    ],
    [
      "PM_QUEUED",
      { type: "pm_queued", to: "李四" },
      "【系统】李四 不在线，消息将在其上线后送达",
      "[System] 李四 is offline; the message will be delivered when they log in",
    ],
    [
      "PM_DELIVERED",
      { type: "pm_delivered", to: "李四", count: 2 },
      "【系统】你发给 李四 的 2 条离线消息已送达",
      "[System] 2 offline messages of yours were delivered to 李四",
    ],
    [
      "OFFLINE_BEGIN",
      { type: "offline_begin", count: 2 },
      "--- 离线消息 (2) ---",
      "--- Offline messages (2) ---",
    ],
    [
      "OFFLINE_END",
      { type: "offline_end" },
      "--- 离线消息结束 ---",
      "--- End of offline messages ---",
    ],
    [
      "PRESENCE with joins only",
      { type: "presence", time: T, joined: 42, left: 0 },
      "【系统】42 人加入了聊天室",
      "[System] 42 people joined the chat",
    ],
    [
      "PRESENCE with leaves only",
      { type: "presence", time: T, joined: 0, left: 5 },
      "【系统】5 人离开了聊天室",
      "[System] 5 people left the chat",
    ],
    [
      "PRESENCE with both",
      { type: "presence", time: T, joined: 42, left: 5 },
      "【系统】42 人加入、5 人离开了聊天室",
      "[System] 42 people joined and 5 left the chat",
    ],
  ];
  for (const [name, reply, zh, en] of cases) {
    await t.step(name, () => {
      assert.equal(renderEvent(reply, ZH, NOW), zh);
      assert.equal(renderEvent(reply, EN, NOW), en);
    });
  }
});

Deno.test("renderEvent() shows the display table of moderation and profiles", async (t) => {
  const soon = NOW + 60 * 60_000;
  const cases: [string, Reply, string, string][] = [
    [
      "OK with a message",
      { type: "ok", code: "kicked", message: "已将 王五 移出聊天室" },
      `${NOW_CLOCK} 【成功】已将 王五 移出聊天室`,
      `${NOW_CLOCK} [OK] 已将 王五 移出聊天室`,
    ],
    [
      "a bare OK status_cleared",
      { type: "ok", code: "status_cleared", message: "" },
      `${NOW_CLOCK} 【成功】状态已清除`,
      `${NOW_CLOCK} [OK] Status cleared`,
    ],
    [
      "a bare OK of an unknown code",
      { type: "ok", code: "frobbed", message: "" },
      `${NOW_CLOCK} 【成功】frobbed`,
      `${NOW_CLOCK} [OK] frobbed`,
    ],
    [
      "MUTED with a reason",
      { type: "muted", until: soon, reason: "刷屏" },
      `【系统】你已被禁言至 ${formatMuteEnd(soon, NOW)}，原因: 刷屏`,
      `[System] You are muted until ${formatMuteEnd(soon, NOW)}; reason: 刷屏`,
    ],
    [
      "MUTED without a reason",
      { type: "muted", until: soon, reason: "" },
      `【系统】你已被禁言至 ${formatMuteEnd(soon, NOW)}`,
      `[System] You are muted until ${formatMuteEnd(soon, NOW)}`,
    ],
    [
      "UNMUTED",
      { type: "unmuted" },
      "【系统】你的禁言已解除",
      "[System] Your mute was lifted",
    ],
    [
      "MESSAGE_DELETED",
      { type: "message_deleted", id: 121, by: "管理员小李" },
      "【系统】一条消息已被管理员删除",
      "[System] A message was deleted by an administrator",
    ],
    [
      "BYE kicked with a reason",
      { type: "bye", code: "kicked", message: "刷屏" },
      "【系统】你已被管理员移出聊天室: 刷屏",
      "[System] You were kicked by an administrator: 刷屏",
    ],
    [
      "BYE kicked with the server's default text",
      { type: "bye", code: "kicked", message: "你已被管理员移出聊天室" },
      "【系统】你已被管理员移出聊天室",
      "[System] You were kicked by an administrator",
    ],
    [
      "a bare BYE kicked",
      { type: "bye", code: "kicked", message: "" },
      "【系统】你已被管理员移出聊天室",
      "[System] You were kicked by an administrator",
    ],
    [
      "ERROR not_admin",
      { type: "error", code: "not_admin", message: "只有管理员可以这样做" },
      `${NOW_CLOCK} 【错误】只有管理员可以这样做`,
      `${NOW_CLOCK} [Error] 只有管理员可以这样做`,
    ],
  ];
  for (const [name, reply, zh, en] of cases) {
    await t.step(name, () => {
      assert.equal(renderEvent(reply, ZH, NOW), zh);
      assert.equal(renderEvent(reply, EN, NOW), en);
    });
  }
});

Deno.test("renderEvent() shows WHOIS_INFO with registration, presence, status and role", async (t) => {
  // Local wall-clock times, so that the expected dates are literals.
  const registered = new Date(2025, 10, 24, 12).getTime();
  const lastSeen = new Date(2025, 10, 25, 14, 31, 30).getTime();
  await t.step("online, with a status", () => {
    const reply: Reply = {
      type: "whois_info",
      user: "张三",
      registeredAt: registered,
      online: true,
      lastSeenAt: null,
      room: "技术",
      admin: false,
      status: "在忙，晚点回复",
    };
    assert.equal(
      renderEvent(reply, ZH),
      `【系统】张三: 在线，房间 技术，注册于 2025-11-24，状态: 在忙，晚点回复`,
    );
    assert.equal(
      renderEvent(reply, EN),
      `[System] 张三: online, in room 技术, registered 2025-11-24, status: 在忙，晚点回复`,
    );
  });
  await t.step("an offline administrator", () => {
    const reply: Reply = {
      type: "whois_info",
      user: "李四",
      registeredAt: registered,
      online: false,
      lastSeenAt: lastSeen,
      room: null,
      admin: true,
      status: "",
    };
    const seen = "2025-11-25 14:31:30";
    assert.equal(
      renderEvent(reply, ZH),
      `【系统】李四（管理员）: 离线，最后在线 ${seen}，注册于 2025-11-24`,
    );
    assert.equal(
      whoisText(reply, "en"),
      `李四 (admin): offline, last seen ${seen}, registered 2025-11-24`,
    );
  });
  await t.step("never logged in", () => {
    const reply: Reply = {
      type: "whois_info",
      user: "王五",
      registeredAt: registered,
      online: false,
      lastSeenAt: null,
      room: null,
      admin: false,
      status: "",
    };
    assert.equal(
      whoisText(reply, "zh"),
      `王五: 离线，注册于 2025-11-24`,
    );
  });
});

Deno.test("formatMuteEnd() shows the date only when the mute ends on another day", () => {
  const now = new Date(2025, 10, 25, 14, 30, 35).getTime();
  const today = new Date(2025, 10, 25, 15, 30, 35).getTime();
  const tomorrow = new Date(2025, 10, 26, 15, 30, 35).getTime();
  assert.equal(formatMuteEnd(today, now), "15:30:35");
  assert.equal(formatMuteEnd(tomorrow, now), "2025-11-26 15:30:35");
});

Deno.test("mutedRefusalLine() shows a refused message as 【错误】 with the mute's end", () => {
  const until = new Date(2025, 10, 25, 15, 30, 35).getTime();
  const now = new Date(2025, 10, 25, 14, 30, 36).getTime();
  assert.equal(
    mutedRefusalLine({ type: "muted", until, reason: "刷屏" }, ZH, now),
    "[14:30:36] 【错误】你正在禁言中（至 15:30:35，原因: 刷屏），消息未发送",
  );
  assert.equal(
    mutedRefusalLine({ type: "muted", until, reason: "" }, EN, now),
    "[14:30:36] [Error] You are muted until 15:30:35; the message was not sent",
  );
});

Deno.test("historyLine() and privateLine() color the user's own lines as own", () => {
  const view: ViewContext = {
    lang: "zh",
    palette: COLOR_PALETTE,
    ownName: "小王",
  };
  const time = COLOR_PALETTE.time(CLOCK);
  assert.equal(
    historyLine("小王", "早", T, view),
    `${time} ${COLOR_PALETTE.own("小王: 早")}`,
  );
  assert.equal(
    historyLine("李四", "早", T, view),
    `${time} ${COLOR_PALETTE.dim("李四: 早")}`,
  );
  const tag = COLOR_PALETTE.system("[私聊]");
  assert.equal(
    privateLine(
      {
        type: "private",
        id: 1,
        time: T,
        from: "小王",
        to: "张三",
        text: "在的",
      },
      view,
    ),
    `${time} ${tag} ${COLOR_PALETTE.own("你 → 张三: 在的")}`,
  );
  assert.equal(
    privateLine(
      {
        type: "private",
        id: 2,
        time: T,
        from: "张三",
        to: "小王",
        text: "在吗",
      },
      view,
    ),
    `${time} ${tag} ${COLOR_PALETTE.other("张三")} → 你: 在吗`,
  );
  // A message to oneself is shown once, as sent.
  assert.equal(
    privateLine(
      {
        type: "private",
        id: 3,
        time: T,
        from: "小王",
        to: "小王",
        text: "备忘",
      },
      { ...view, palette: PLAIN_PALETTE },
    ),
    `${CLOCK} [私聊] 你 → 你: 备忘`,
  );
});

Deno.test("chatLine(), systemLine(), successLine() and errorLine() keep the seed's formats", () => {
  assert.equal(chatLine("张三", "大家好", T, ZH), `${CLOCK} 张三: 大家好`);
  assert.equal(
    systemLine("服务器将在 5 分钟后重启", ZH),
    "【系统】服务器将在 5 分钟后重启",
  );
  assert.equal(successLine("注册成功！", T, ZH), `${CLOCK} 【成功】注册成功！`);
  assert.equal(errorLine("发送太快", T, ZH), `${CLOCK} 【错误】发送太快`);
  assert.equal(
    renderEvent({
      type: "message",
      id: 17,
      time: T,
      sender: "张三",
      text: "大家好",
    }, ZH),
    `${CLOCK} 张三: 大家好`,
  );
});

Deno.test("chatPrompt() is the seed's > in the lobby and names any other room", () => {
  assert.equal(chatPrompt("大厅"), "> ");
  assert.equal(chatPrompt("技术"), "[技术] > ");
  assert.equal(chatPrompt("dev-ops"), "[dev-ops] > ");
});

Deno.test("HistoryDays puts a date line before each older day of a history block, and before today after older days", () => {
  // Local wall-clock times, like T: "today" is 2025-11-25.
  const now = { now: () => new Date(2025, 10, 25, 9, 0, 0).getTime() };
  const older1 = new Date(2025, 10, 23, 23, 59, 59).getTime();
  const older2 = new Date(2025, 10, 24, 0, 0, 0).getTime();
  const older3 = new Date(2025, 10, 24, 18, 5, 0).getTime();
  const today1 = new Date(2025, 10, 25, 0, 0, 1).getTime();
  const today2 = new Date(2025, 10, 25, 8, 30, 0).getTime();
  const days = new HistoryDays(ZH, now);
  const block = (times: number[]) =>
    times.flatMap((time) => {
      const line = days.separator(time);
      return line === undefined ? [] : [line];
    });
  days.begin();
  assert.deepEqual(block([older1, older2, older3, today1, today2]), [
    "—— 2025-11-23 ——",
    "—— 2025-11-24 ——",
    "—— 2025-11-25 ——",
  ]);
  // A block of today only has no date lines; a new block starts afresh.
  days.begin();
  assert.deepEqual(block([today1, today2]), []);
  days.begin();
  assert.deepEqual(block([older3]), ["—— 2025-11-24 ——"]);
  // The clock is asked each time: after midnight the 25th is an older day.
  const later = new HistoryDays(EN, {
    now: () => new Date(2025, 10, 26, 0, 0, 5).getTime(),
  });
  later.begin();
  assert.equal(later.separator(today2), "—— 2025-11-25 ——");
  assert.equal(later.separator(today2 + 60_000), undefined);
  assert.equal(
    later.separator(new Date(2025, 10, 26, 0, 0, 1).getTime()),
    "—— 2025-11-26 ——",
  );
});
