/**
 * How the client shows server events: the seed's display formats
 * (`[14:30:35] 张三: 大家好`, `【系统】…`, `[14:30:15] 【成功】…`,
 * `[14:30:15] 【错误】…`) and those of `docs/PROTOCOL.md` for rooms, private
 * messages, history, moderation and profiles, in the chosen language and
 * palette. Pure.
 *
 * @module
 */

import type { Palette } from "./colors.ts";
import { LOBBY } from "../protocol/protocol.ts";
import {
  type Lang,
  type MessageKey,
  type MessageParams,
  t,
} from "../shared/messages.ts";
import type { Clock } from "../shared/clock.ts";
import type { Reply } from "../protocol/protocol.ts";
import { formatClockTime, formatDateTime } from "../shared/time_format.ts";
import { formatBytes } from "../shared/file_names.ts";

/** What rendering needs to know. */
export interface ViewContext {
  lang: Lang;
  palette: Palette;
  /** The logged-in user's name, to tell own messages apart. */
  ownName?: string;
}

/**
 * `[HH:MM:SS] 【成功】text`.
 *
 * @example
 * ```ts
 * import { successLine } from "./view.ts";
 * import { PLAIN_PALETTE } from "./colors.ts";
 * import assert from "node:assert/strict";
 *
 * const line = successLine("注册成功！", new Date(2026, 0, 1, 14, 30, 15).getTime(), {
 *   lang: "zh",
 *   palette: PLAIN_PALETTE,
 * });
 * assert.equal(line, "[14:30:15] 【成功】注册成功！");
 * ```
 */
export function successLine(
  text: string,
  time: number,
  view: ViewContext,
): string {
  return taggedLine(text, time, view, "success");
}

/** `[HH:MM:SS] 【错误】text`. */
export function errorLine(
  text: string,
  time: number,
  view: ViewContext,
): string {
  return taggedLine(text, time, view, "error");
}

/** The seed's tags, by kind and language. */
const TAGS = {
  success: { zh: "【成功】", en: "[OK] " },
  error: { zh: "【错误】", en: "[Error] " },
} as const;

/** A time-stamped line with the kind's tag, in the kind's color. */
function taggedLine(
  text: string,
  time: number,
  view: ViewContext,
  kind: keyof typeof TAGS,
): string {
  const tag = view.lang === "zh" ? TAGS[kind].zh : TAGS[kind].en;
  return `${stamp(time, view)} ${view.palette[kind](`${tag}${text}`)}`;
}

/** A catalog sentence as a 【系统】 line. */
function systemText(
  view: ViewContext,
  key: MessageKey,
  params?: MessageParams,
): string {
  return systemLine(t(view.lang, key, params), view);
}

/** `【系统】text`. */
export function systemLine(text: string, view: ViewContext): string {
  const tag = view.lang === "zh" ? "【系统】" : "[System] ";
  return view.palette.system(`${tag}${text}`);
}

/** `[HH:MM:SS] name: text`, colored as own or others'. */
export function chatLine(
  sender: string,
  text: string,
  time: number,
  view: ViewContext,
): string {
  const own = view.ownName !== undefined && sender === view.ownName;
  const who = own ? view.palette.own(sender) : view.palette.other(sender);
  return `${stamp(time, view)} ${who}: ${own ? view.palette.own(text) : text}`;
}

/**
 * A message from a room's history: `[HH:MM:SS] name: text` like
 * {@linkcode chatLine}, dimmed so that it reads as history (own messages keep
 * their color).
 *
 * @example
 * ```ts
 * import { historyLine } from "./view.ts";
 * import { PLAIN_PALETTE } from "./colors.ts";
 * import assert from "node:assert/strict";
 *
 * const time = new Date(2026, 0, 1, 14, 13, 20).getTime();
 * const view = { lang: "zh" as const, palette: PLAIN_PALETTE };
 * assert.equal(historyLine("李四", "部署好了", time, view), "[14:13:20] 李四: 部署好了");
 * ```
 */
export function historyLine(
  sender: string,
  text: string,
  time: number,
  view: ViewContext,
): string {
  const { palette } = view;
  const own = view.ownName !== undefined && sender === view.ownName;
  const body = own
    ? palette.own(`${sender}: ${text}`)
    : palette.dim(`${sender}: ${text}`);
  return `${stamp(time, view)} ${body}`;
}

/**
 * The date lines of a history block (`—— 2025-11-24 ——`): one before the
 * first message of each local day that is not today, and one for today when
 * the block reaches today after older days. A block of today's messages only
 * has none. The state of one block at a time; "today" comes from `clock`.
 *
 * @example
 * ```ts
 * import { HistoryDays } from "./view.ts";
 * import { PLAIN_PALETTE } from "./colors.ts";
 * import assert from "node:assert/strict";
 *
 * const clock = { now: () => new Date(2025, 10, 25, 9, 0).getTime() };
 * const days = new HistoryDays({ lang: "zh", palette: PLAIN_PALETTE }, clock);
 * days.begin();
 * assert.equal(days.separator(new Date(2025, 10, 24, 18, 5).getTime()), "—— 2025-11-24 ——");
 * assert.equal(days.separator(new Date(2025, 10, 24, 19, 0).getTime()), undefined);
 * assert.equal(days.separator(new Date(2025, 10, 25, 8, 0).getTime()), "—— 2025-11-25 ——");
 * ```
 */
export class HistoryDays {
  #view: ViewContext;
  #clock: Clock;
  #last: string | undefined;

  /** Date lines in `view`'s language and palette, with "today" from `clock`. */
  constructor(view: ViewContext, clock: Clock) {
    this.#view = view;
    this.#clock = clock;
  }

  /** Starts a new block (at `HISTORY_BEGIN`). */
  begin(): void {
    this.#last = undefined;
  }

  /** The date line to print before a message of `time`, if any. */
  separator(time: number): string | undefined {
    const day = formatDateTime(time).slice(0, 10);
    const last = this.#last;
    this.#last = day;
    if (day === last) return undefined;
    const today = formatDateTime(this.#clock.now()).slice(0, 10);
    if (day === today && last === undefined) return undefined;
    return headingLine("viewHistoryDate", this.#view, { date: day });
  }
}

/**
 * A private message: `[HH:MM:SS] [私聊] 张三 → 你: 在吗？` to the user, or
 * `[HH:MM:SS] [私聊] 你 → 张三: 在的` for the copy of one they sent.
 */
export function privateLine(
  reply: Extract<Reply, { type: "private" }>,
  view: ViewContext,
): string {
  const { palette } = view;
  const you = t(view.lang, "viewYou");
  const tag = palette.system(t(view.lang, "viewPrivateTag"));
  const sent = view.ownName !== undefined && reply.from === view.ownName;
  if (sent) {
    const to = reply.to === view.ownName ? you : reply.to;
    return `${stamp(reply.time, view)} ${tag} ${
      palette.own(`${you} → ${to}: ${reply.text}`)
    }`;
  }
  const to = view.ownName === undefined ? reply.to : you;
  return `${stamp(reply.time, view)} ${tag} ${
    palette.other(reply.from)
  } → ${to}: ${reply.text}`;
}

/** How a file is named in lines and commands: `#f12`. */
export function fileTag(id: number): string {
  return `#f${id}`;
}

/**
 * A shared file: `[14:30:35] 张三 分享了文件 报告.pdf (2.3 MB) #f12`, with
 * the private tag when it was shared with one user, dimmed from history.
 *
 * @example
 * ```ts
 * import { fileSharedLine } from "./view.ts";
 * import { PLAIN_PALETTE } from "./colors.ts";
 * import assert from "node:assert/strict";
 *
 * const time = new Date(2026, 0, 1, 14, 30, 35).getTime();
 * const view = { lang: "zh" as const, palette: PLAIN_PALETTE };
 * assert.equal(
 *   fileSharedLine({ sender: "张三", name: "报告.pdf", size: 2411724, id: 12, time }, view),
 *   "[14:30:35] 张三 分享了文件 报告.pdf (2.3 MB) #f12",
 * );
 * ```
 */
export function fileSharedLine(
  file: {
    sender: string;
    name: string;
    size: number;
    id: number;
    time: number;
    /** The recipient when shared with one user (not `#room`). */
    to?: string;
  },
  view: ViewContext,
  history = false,
): string {
  const { palette } = view;
  const own = view.ownName !== undefined && file.sender === view.ownName;
  const text = t(view.lang, "viewFileShared", {
    sender: file.sender,
    name: file.name,
    size: formatBytes(file.size),
    tag: fileTag(file.id),
  });
  const body = own ? palette.own(text) : history ? palette.dim(text) : text;
  const tag = file.to === undefined
    ? ""
    : `${palette.system(t(view.lang, "viewPrivateTag"))} `;
  return `${stamp(file.time, view)} ${tag}${body}`;
}

/** One line of `/files`: `#f12 报告.pdf (2.3 MB) — 张三 → #大厅 [14:30:35]`. */
export function fileEntryLine(
  entry: Extract<Reply, { type: "file_entry" }>,
  view: ViewContext,
): string {
  const to = entry.target === view.ownName
    ? t(view.lang, "viewYou")
    : entry.target;
  const from = entry.sender === view.ownName
    ? t(view.lang, "viewYou")
    : entry.sender;
  return systemLine(
    t(view.lang, "viewFileEntry", {
      tag: fileTag(entry.id),
      name: entry.name,
      size: formatBytes(entry.size),
      from,
      to,
      date: `${formatDateTime(entry.time).slice(0, 10)} ${
        formatClockTime(entry.time)
      }`,
    }),
    view,
  );
}

/** A block heading such as `--- 历史消息 ---`, from the catalog. */
export function headingLine(
  key: MessageKey,
  view: ViewContext,
  params?: Record<string, string | number>,
): string {
  return view.palette.system(t(view.lang, key, params));
}

/**
 * The end of a mute for display: local `HH:MM:SS`, with the date in front
 * (`YYYY-MM-DD HH:MM:SS`) when it is not on the local day of `now`.
 */
export function formatMuteEnd(until: number, now: number): string {
  const day = formatDateTime(until).slice(0, 10);
  const clock = formatClockTime(until);
  return day === formatDateTime(now).slice(0, 10) ? clock : `${day} ${clock}`;
}

/**
 * `[HH:MM:SS] 【错误】你正在禁言中（至 15:30:35，原因: 刷屏），消息未发送`: a
 * `MUTED` that answered a message the user tried to post.
 */
export function mutedRefusalLine(
  reply: Extract<Reply, { type: "muted" }>,
  view: ViewContext,
  now: number,
): string {
  const until = formatMuteEnd(reply.until, now);
  const text = reply.reason === ""
    ? t(view.lang, "viewMutedRefused", { until })
    : t(view.lang, "viewMutedRefusedReason", { until, reason: reply.reason });
  return errorLine(text, now, view);
}

/**
 * The prompt of the chat line: the seed's `> ` in the lobby, `[技术] > ` in
 * any other room.
 *
 * @example
 * ```ts
 * import { chatPrompt } from "./view.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(chatPrompt("大厅"), "> ");
 * assert.equal(chatPrompt("技术"), "[技术] > ");
 * ```
 */
export function chatPrompt(room: string): string {
  return room === LOBBY ? "> " : `[${room}] > `;
}

/**
 * The display line for a server event, or `undefined` for lines that are
 * not shown (replies the client handles itself, `PING`, `RESUME_TOKEN` …).
 *
 * @example
 * ```ts
 * import { renderEvent } from "./view.ts";
 * import { PLAIN_PALETTE } from "./colors.ts";
 * import assert from "node:assert/strict";
 *
 * const view = { lang: "zh" as const, palette: PLAIN_PALETTE };
 * assert.equal(
 *   renderEvent({ type: "user_joined", time: 0, username: "小王" }, view),
 *   "【系统】小王 加入了聊天室",
 * );
 * assert.equal(
 *   renderEvent({ type: "welcome", onlineCount: 1, username: "小王" }, view),
 *   "【系统】欢迎 小王！当前在线用户数: 1",
 * );
 * ```
 */
export function renderEvent(
  reply: Reply,
  view: ViewContext,
  now = 0,
): string | undefined {
  switch (reply.type) {
    case "message":
      return chatLine(reply.sender, reply.text, reply.time, view);
    case "user_joined":
      return systemText(view, "userJoined", { username: reply.username });
    case "user_left":
      return systemLine(
        reply.to === undefined
          ? t(view.lang, "userLeft", { username: reply.username })
          : t(view.lang, "userMoved", {
            username: reply.username,
            room: reply.to,
          }),
        view,
      );
    case "presence":
      return systemLine(presenceText(reply, view.lang), view);
    case "welcome":
      return systemText(view, "welcome", {
        username: reply.username,
        count: reply.onlineCount,
      });
    case "system":
      return systemLine(reply.text, view);
    case "bye":
      if (reply.code === "kicked") return kickedLine(reply.message, view);
      return systemLine(reply.message || reply.code, view);
    case "error":
      return errorLine(reply.message || reply.code, now, view);
    case "joined":
      return systemText(view, "viewJoined", {
        room: reply.room,
        count: reply.memberCount,
      });
    case "room_list": {
      const rooms = reply.rooms.map((room) =>
        `${room.name} (${room.memberCount})`
      );
      return systemLine(
        t(view.lang, "viewRoomList", { rooms: list(rooms, view) }),
        view,
      );
    }
    case "user_list":
      return systemLine(
        t(view.lang, reply.scope === "*" ? "viewUsersAll" : "viewUsersInRoom", {
          room: reply.scope,
          count: reply.users.length,
          users: list(reply.users, view),
        }),
        view,
      );
    case "history_begin":
      return reply.count === 0
        ? undefined
        : headingLine("viewHistoryBegin", view);
    case "history_message":
      return historyLine(reply.sender, reply.text, reply.time, view);
    case "file_shared":
      return fileSharedLine({
        ...reply,
        to: reply.target.startsWith("#") ? undefined : reply.target,
      }, view);
    case "history_file":
      return fileSharedLine(reply, view, true);
    case "files_begin":
      return reply.count === 0
        ? systemText(view, "viewFilesNone")
        : headingLine("viewFilesBegin", view, { count: reply.count });
    case "file_entry":
      return fileEntryLine(reply, view);
    case "files_end":
      return undefined;
    case "history_end":
      // The caller knows whether the block was empty (then nothing is shown).
      return headingLine(
        reply.more ? "viewHistoryEndMore" : "viewHistoryEnd",
        view,
      );
    case "private":
      return privateLine(reply, view);
    case "pm_queued":
      return systemText(view, "viewPmQueued", { user: reply.to });
    case "pm_delivered":
      return systemText(view, "viewPmDelivered", {
        user: reply.to,
        count: reply.count,
      });
    case "offline_begin":
      return headingLine("viewOfflineBegin", view, { count: reply.count });
    case "offline_end":
      return headingLine("viewOfflineEnd", view);
    case "message_deleted":
      return systemText(view, "viewMessageDeleted");
    case "muted": {
      const until = formatMuteEnd(reply.until, now);
      return systemLine(
        reply.reason === ""
          ? t(view.lang, "viewMuted", { until })
          : t(view.lang, "viewMutedReason", { until, reason: reply.reason }),
        view,
      );
    }
    case "unmuted":
      return systemText(view, "viewUnmuted");
    case "whois_info":
      return systemLine(whoisText(reply, view.lang), view);
    case "ok":
      return successLine(
        reply.message || okFallback(reply.code, view.lang),
        now,
        view,
      );
    default:
      return undefined;
  }
}

/**
 * `张三: 在线，房间 技术，注册于 2025-11-24，状态: 在忙` or
 * `李四（管理员）: 离线，最后在线 2025-11-25 14:31:30，注册于 2025-11-24`.
 */
export function whoisText(
  reply: Extract<Reply, { type: "whois_info" }>,
  lang: Lang,
): string {
  const params = {
    user: reply.user,
    admin: reply.admin ? t(lang, "viewWhoisAdmin") : "",
    room: reply.room ?? "-",
    registered: formatDateTime(reply.registeredAt).slice(0, 10),
    lastSeen: reply.lastSeenAt === null
      ? "-"
      : `${formatDateTime(reply.lastSeenAt).slice(0, 10)} ${
        formatClockTime(reply.lastSeenAt)
      }`,
  };
  const key: MessageKey = reply.online
    ? "viewWhoisOnline"
    : reply.lastSeenAt === null
    ? "viewWhoisNeverSeen"
    : "viewWhoisOffline";
  const status = reply.status === ""
    ? ""
    : t(lang, "viewWhoisStatus", { status: reply.status });
  return t(lang, key, params) + status;
}

const OK_FALLBACKS: Record<string, MessageKey> = {
  kicked: "viewOkKicked",
  muted: "viewOkMuted",
  unmuted: "viewOkUnmuted",
  deleted: "viewOkDeleted",
  "status_set": "viewOkStatusSet",
  "status_cleared": "viewOkStatusCleared",
  "receipts_on": "viewOkReceiptsOn",
  "receipts_off": "viewOkReceiptsOff",
  "avatar_set": "viewOkAvatarSet",
  "avatar_cleared": "viewOkAvatarCleared",
};

/** The catalog's text for an `OK` code sent without a message. */
/** The text of a `PRESENCE` count line, naming only the counts that are not zero. */
function presenceText(
  reply: { joined: number; left: number },
  lang: Lang,
): string {
  const counts = { joined: String(reply.joined), left: String(reply.left) };
  if (reply.left === 0) return t(lang, "presenceJoined", counts);
  if (reply.joined === 0) return t(lang, "presenceLeft", counts);
  return t(lang, "presenceBoth", counts);
}

function okFallback(code: string, lang: Lang): string {
  const key = Object.hasOwn(OK_FALLBACKS, code)
    ? OK_FALLBACKS[code]
    : undefined;
  return key === undefined ? code : t(lang, key);
}

/**
 * `【系统】你已被管理员移出聊天室: 刷屏`. A server sends its own default text
 * when the administrator gave no reason; that shows without a reason.
 */
function kickedLine(reason: string, view: ViewContext): string {
  const bare = reason === "" ||
    reason === t("zh", "kickedDefault") ||
    reason === t("en", "kickedDefault");
  return systemLine(
    bare
      ? t(view.lang, "viewKicked")
      : t(view.lang, "viewKickedReason", { reason }),
    view,
  );
}

function list(items: readonly string[], view: ViewContext): string {
  return items.length === 0
    ? t(view.lang, "viewNone")
    : items.join(t(view.lang, "viewListSeparator"));
}

function stamp(time: number, view: ViewContext): string {
  return view.palette.time(`[${formatClockTime(time)}]`);
}

// --- Server text made safe to print (issue 12 item 15, client) -------------

// An ESC sequence: CSI (`ESC [ … final`), OSC/DCS/SOS/PM/APC strings (up to
// BEL or ST, or the end), or ESC and one more character.
const ESCAPE_SEQUENCE_PATTERN =
  // deno-lint-ignore no-control-regex -- matching escapes is the point
  /\x1b(?:\[[0-?]*[ -/]*[@-~]?|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]*[0-~]?)/g;
// C0 controls but tab, DEL, C1 controls, and the bidirectional marks,
// embeddings, overrides and isolates that reorder what follows them.
const UNSAFE_CHARACTER_PATTERN =
  // deno-lint-ignore no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Makes text that a server sent safe to print: drops ESC sequences, C0 and
 * C1 control characters and bidi controls; a tab becomes a space. Every
 * server-provided string goes through here before it is shown (the
 * connection applies {@linkcode sanitizeReply} to every reply it reads).
 *
 * @example
 * ```ts
 * import { sanitizeServerText } from "./view.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sanitizeServerText("\x1b[2J\x1b]0;x\x07hi\u202e!"), "hi!");
 * ```
 */
export function sanitizeServerText(text: string): string {
  return text.replace(ESCAPE_SEQUENCE_PATTERN, "")
    .replace(UNSAFE_CHARACTER_PATTERN, "")
    .replaceAll("\t", " ");
}

/** A reply with every string in it (nested ones too) through {@linkcode sanitizeServerText}. */
export function sanitizeReply<R extends { type: string }>(reply: R): R {
  return sanitizeValue(reply) as R;
}

function sanitizeValue(value: unknown): unknown {
  if (typeof value === "string") return sanitizeServerText(value);
  if (Array.isArray(value)) return value.map(sanitizeValue);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, sanitizeValue(item)]),
    );
  }
  return value;
}
