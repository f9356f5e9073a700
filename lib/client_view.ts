/**
 * How the client shows server events: the seed's display formats
 * (`[14:30:35] 张三: 大家好`, `【系统】…`, `[14:30:15] 【成功】…`,
 * `[14:30:15] 【错误】…`), in the chosen language and palette. Pure.
 *
 * @module
 */

import type { Palette } from "./colors.ts";
import { type Lang, t } from "./messages.ts";
import type { Reply } from "./protocol.ts";
import { formatClockTime } from "./time_format.ts";

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
 * import { successLine } from "./client_view.ts";
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
  const tag = view.lang === "zh" ? "【成功】" : "[OK] ";
  return `${stamp(time, view)} ${view.palette.success(`${tag}${text}`)}`;
}

/** `[HH:MM:SS] 【错误】text`. */
export function errorLine(
  text: string,
  time: number,
  view: ViewContext,
): string {
  const tag = view.lang === "zh" ? "【错误】" : "[Error] ";
  return `${stamp(time, view)} ${view.palette.error(`${tag}${text}`)}`;
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
 * The display line for a server event, or `undefined` for lines that are
 * not shown (replies the client handles itself, `PING`, `RESUME_TOKEN` …).
 *
 * @example
 * ```ts
 * import { renderEvent } from "./client_view.ts";
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
      return systemLine(
        t(view.lang, "userJoined", { username: reply.username }),
        view,
      );
    case "user_left":
      return systemLine(
        t(view.lang, "userLeft", { username: reply.username }),
        view,
      );
    case "welcome":
      return systemLine(
        t(view.lang, "welcome", {
          username: reply.username,
          count: reply.onlineCount,
        }),
        view,
      );
    case "system":
      return systemLine(reply.text, view);
    case "bye":
      return systemLine(reply.message || reply.code, view);
    case "error":
      return errorLine(reply.message || reply.code, now, view);
    default:
      return undefined;
  }
}

function stamp(time: number, view: ViewContext): string {
  return view.palette.time(`[${formatClockTime(time)}]`);
}
