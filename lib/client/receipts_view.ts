/**
 * The terminal's lines for read receipts, unread counts and avatars
 * (docs/PROTOCOL.md sections 16 and 17): the own copy of a delivered private
 * message with ` ✓`, `张三 已读了你的私聊消息 ✓✓`, the unread summary at
 * login, `/rooms` with unread counts, and `/users` and `/whois` with avatar
 * marks. Chat lines keep the seed's format; no marks there. Pure.
 *
 * @module
 */

import type { Reply } from "../protocol/protocol.ts";
import { MAX_UNREAD_COUNT } from "../protocol/receipts.ts";
import { t } from "../shared/messages.ts";
import { avatarMark, type AvatarMarks } from "./avatar_marks.ts";
import {
  formatMuteEnd,
  privateLine,
  systemLine,
  type ViewContext,
  whoisText,
} from "./view.ts";

type ReplyOf<T extends Reply["type"]> = Extract<Reply, { type: T }>;

/** Unread rooms named at most in the summary at login; the rest are counted. */
export const SUMMARY_ROOMS = 5;
/** A read receipt older than this (at login, say) says when it was read. */
export const READ_TIME_SHOWN_AFTER_MS = 60_000;

/**
 * An unread count as shown: `999+` for the protocol's cap, which means
 * "999 or more".
 *
 * @example
 * ```ts
 * import { formatUnreadCount } from "./receipts_view.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(formatUnreadCount(12), "12");
 * assert.equal(formatUnreadCount(999), "999+");
 * ```
 */
export function formatUnreadCount(count: number): string {
  return count >= MAX_UNREAD_COUNT ? `${MAX_UNREAD_COUNT}+` : String(count);
}

/**
 * The copy of a private message the user sent, with ` ✓` when it was
 * delivered: `[14:30:35] [私聊] 你 → 张三: 在吗？ ✓`.
 *
 * @example
 * ```ts
 * import { ownPrivateLine } from "./receipts_view.ts";
 * import { PLAIN_PALETTE } from "./colors.ts";
 * import assert from "node:assert/strict";
 *
 * const time = new Date(2026, 0, 1, 14, 30, 35).getTime();
 * const view = { lang: "zh" as const, palette: PLAIN_PALETTE, ownName: "小王" };
 * const reply = { type: "private" as const, id: 1, time, from: "小王", to: "张三", text: "在吗？" };
 * assert.equal(ownPrivateLine(reply, true, view), "[14:30:35] [私聊] 你 → 张三: 在吗？ ✓");
 * ```
 */
export function ownPrivateLine(
  reply: ReplyOf<"private">,
  delivered: boolean,
  view: ViewContext,
): string {
  const line = privateLine(reply, view);
  return delivered ? `${line} ${view.palette.success("✓")}` : line;
}

/**
 * `【系统】张三 已读了你的私聊消息 ✓✓`, with the time of reading when it was
 * not just now (a receipt kept for the user's login), and the date when not
 * today.
 */
export function pmReadLine(
  user: string,
  time: number,
  now: number,
  view: ViewContext,
): string {
  const text = now - time > READ_TIME_SHOWN_AFTER_MS
    ? t(view.lang, "viewPmReadAt", { user, time: formatMuteEnd(time, now) })
    : t(view.lang, "viewPmRead", { user });
  return systemLine(text, view);
}

/**
 * `【系统】未读消息: 技术 12 条，闲聊 3 条（输入 /join <房间名> 查看）`: the
 * unread rooms at login, the first {@linkcode SUMMARY_ROOMS} named.
 *
 * @example
 * ```ts
 * import { unreadSummaryLine } from "./receipts_view.ts";
 * import { PLAIN_PALETTE } from "./colors.ts";
 * import assert from "node:assert/strict";
 *
 * const view = { lang: "en" as const, palette: PLAIN_PALETTE };
 * assert.equal(
 *   unreadSummaryLine([{ name: "技术", count: 12 }, { name: "闲聊", count: 3 }], view),
 *   "[System] Unread: 技术 12, 闲聊 3 (type /join <room> to read them)",
 * );
 * ```
 */
export function unreadSummaryLine(
  rooms: ReadonlyArray<{ name: string; count: number }>,
  view: ViewContext,
): string {
  const named = rooms.slice(0, SUMMARY_ROOMS).map((room) =>
    t(view.lang, "viewUnreadEntry", {
      room: room.name,
      count: formatUnreadCount(room.count),
    })
  );
  const more = rooms.length - named.length;
  if (more > 0) named.push(t(view.lang, "viewUnreadMore", { more }));
  return systemLine(
    t(view.lang, "viewUnreadSummary", {
      rooms: named.join(t(view.lang, "viewUnreadSeparator")),
    }),
    view,
  );
}

/**
 * `/rooms` with unread counts: `【系统】房间列表: 大厅 (4), 技术 (3, 12 条未读)`.
 * Rooms with unread messages that nobody is in now come last, with 0
 * members.
 */
export function roomListLine(
  reply: ReplyOf<"room_list">,
  unread: ReadonlyMap<string, number>,
  view: ViewContext,
): string {
  const listed = new Set(reply.rooms.map((room) => room.name));
  const rooms = [
    ...reply.rooms,
    ...[...unread.keys()].filter((name) => !listed.has(name)).map((name) => ({
      name,
      memberCount: 0,
    })),
  ].map((room) => {
    const count = unread.get(room.name) ?? 0;
    return count === 0
      ? `${room.name} (${room.memberCount})`
      : t(view.lang, "viewRoomUnread", {
        room: room.name,
        count: room.memberCount,
        unread: formatUnreadCount(count),
      });
  });
  return systemLine(
    t(view.lang, "viewRoomList", { rooms: list(rooms, view) }),
    view,
  );
}

/** `/users` with avatar marks: `【系统】房间 技术 的在线用户 (2): 🐱 张三, L lisi`. */
export function userListLine(
  reply: ReplyOf<"user_list">,
  marks: AvatarMarks,
  view: ViewContext,
): string {
  const users = reply.users.map((user) => `${SLOT} ${user}`);
  return systemLineWith(
    t(
      view.lang,
      reply.scope === "*" ? "viewUsersAll" : "viewUsersInRoom",
      {
        room: reply.scope,
        count: reply.users.length,
        users: list(users, view),
      },
    ),
    reply.users.map((user) => avatarMark(user, marks, view.palette)),
    view,
  );
}

/** `/whois` with the avatar: `【系统】张三: 在线，房间 技术，注册于 2025-11-24，头像: 🐱`. */
export function whoisLine(
  reply: ReplyOf<"whois_info">,
  marks: AvatarMarks,
  view: ViewContext,
): string {
  return systemLineWith(
    whoisText(reply, view.lang) +
      t(view.lang, "viewWhoisAvatar", { avatar: SLOT }),
    [avatarMark(reply.user, marks, view.palette)],
    view,
  );
}

// Stands for a mark in a line's text until it is put in: the connection
// removes control characters from server text, so no name contains it.
const SLOT = "\u0000";

/**
 * A 【系统】 line of `text` with each {@linkcode SLOT} replaced by the next
 * of `marks`, which keep their own colors: the system color is not wrapped
 * around them, as their reset would end it for the rest of the line.
 */
function systemLineWith(
  text: string,
  marks: readonly string[],
  view: ViewContext,
): string {
  const [first = "", ...rest] = text.split(SLOT);
  let line = systemLine(first, view);
  rest.forEach((part, i) => {
    line += (marks[i] ?? "") + (part === "" ? "" : view.palette.system(part));
  });
  return line;
}

function list(items: readonly string[], view: ViewContext): string {
  return items.length === 0
    ? t(view.lang, "viewNone")
    : items.join(t(view.lang, "viewListSeparator"));
}
