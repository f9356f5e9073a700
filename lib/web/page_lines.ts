/**
 * What the page shows for a server event: a {@linkcode PageLine}, the
 * terminal client's line cut into its parts (time, name, text) and tagged
 * with a kind the style sheet colours. The words come from the terminal
 * client's view (`lib/client/view.ts`) with the plain palette, so both
 * clients say the same thing in the same catalog's language. Pure: the page
 * puts these into the document as text, never as markup.
 *
 * @module
 */

import { PLAIN_PALETTE } from "../client/colors.ts";
import {
  errorLine,
  renderEvent,
  successLine,
  systemLine,
  type ViewContext,
} from "../client/view.ts";
import type { Reply } from "../protocol/protocol.ts";
import { type Lang, t } from "../shared/messages.ts";
import { formatClockTime } from "../shared/time_format.ts";

/** How a line is styled. */
export type LineKind =
  /** Someone else's room message. */
  | "chat"
  /** The user's own room message. */
  | "own"
  /** A message from the room's history (dimmed). */
  | "history"
  /** A private message, received or sent. */
  | "private"
  /** 【系统】 notices. */
  | "system"
  /** `【成功】` lines. */
  | "ok"
  /** `【错误】` lines. */
  | "error"
  /** Block headings (`--- 历史消息 ---`) and date separators. */
  | "heading"
  /** A shared file (it carries {@linkcode PageLine.file}). */
  | "file";

/** One line of a conversation. */
export interface PageLine {
  readonly kind: LineKind;
  /** `[HH:MM:SS]`, for lines that carry a time. */
  readonly stamp?: string;
  /** Who wrote it (`张三`, or `张三 → 你` for a private message). */
  readonly name?: string;
  /** The user who sent it (whose avatar the line shows). */
  readonly sender?: string;
  /** The text; for notices the whole sentence with its tag. */
  readonly text: string;
  /**
   * The message's id: a room message's (for a moderator's deletion and
   * `READ`), a private message's (for `READ` and receipts).
   */
  readonly messageId?: number;
  /** Whether the line names the user (a mention). */
  readonly mention?: boolean;
  /** The file a line shares or lists: the page offers to download it. */
  readonly file?: {
    readonly id: number;
    readonly name: string;
    readonly size: number;
  };
}

/** The plain-text view in `lang`, telling `username`'s lines apart. */
export function plainView(lang: Lang, username?: string): ViewContext {
  return username === undefined
    ? { lang, palette: PLAIN_PALETTE }
    : { lang, palette: PLAIN_PALETTE, ownName: username };
}

/** `[HH:MM:SS]` of a time. */
export function stampOf(time: number): string {
  return `[${formatClockTime(time)}]`;
}

/**
 * A room message as a line: own, someone else's, or from history.
 *
 * @example
 * ```ts
 * import { messageLine } from "./page_lines.ts";
 * import assert from "node:assert/strict";
 *
 * const time = new Date(2026, 0, 1, 14, 30, 35).getTime();
 * assert.deepEqual(messageLine("张三", "大家好", time, "李四"), {
 *   kind: "chat",
 *   stamp: "[14:30:35]",
 *   name: "张三",
 *   sender: "张三",
 *   text: "大家好",
 *   mention: false,
 * });
 * ```
 */
export function messageLine(
  sender: string,
  text: string,
  time: number,
  username: string,
  options: { history?: boolean; id?: number } = {},
): PageLine {
  const own = sender === username;
  const kind = own ? "own" : options.history ? "history" : "chat";
  const line: PageLine = {
    kind,
    stamp: stampOf(time),
    name: sender,
    sender,
    text,
    mention: !own && mentions(text, username),
  };
  return options.id === undefined ? line : { ...line, messageId: options.id };
}

/**
 * Whether `text` names `username` (`@name` or the name as a word of its
 * own), case-insensitively.
 */
export function mentions(text: string, username: string): boolean {
  if (username === "") return false;
  const lower = text.toLowerCase();
  const name = username.toLowerCase();
  let at = lower.indexOf(name);
  while (at !== -1) {
    const before = lower[at - 1];
    const after = lower[at + name.length];
    if (!isWordChar(before) && !isWordChar(after)) return true;
    at = lower.indexOf(name, at + 1);
  }
  return false;
}

function isWordChar(char: string | undefined): boolean {
  // Han names run into the text around them, so only Latin letters, digits
  // and underscores join a name into a longer word.
  return char !== undefined && /[a-z0-9_]/.test(char);
}

/**
 * The line for a server event (`undefined` for what is not shown), with
 * `now` as the time of lines the server does not time itself.
 *
 * @example
 * ```ts
 * import { replyLine } from "./page_lines.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   replyLine({ type: "user_joined", time: 0, username: "小王" }, "zh", "我", 0),
 *   { kind: "system", text: "【系统】小王 加入了聊天室" },
 * );
 * ```
 */
export function replyLine(
  reply: Reply,
  lang: Lang,
  username: string,
  now: number,
): PageLine | undefined {
  switch (reply.type) {
    case "message":
      return messageLine(reply.sender, reply.text, reply.time, username, {
        id: reply.id,
      });
    case "history_message":
      return messageLine(reply.sender, reply.text, reply.time, username, {
        history: true,
        id: reply.id,
      });
    case "private":
      return privateMessageLine(reply, lang, username);
    case "file_shared":
    case "history_file":
    case "file_entry":
      return fileLine(reply, lang, username, now);
    default: {
      const text = renderEvent(reply, plainView(lang, username), now);
      if (text === undefined) return undefined;
      return { kind: kindOf(reply), text };
    }
  }
}

/**
 * A shared file (`[14:30:35] 张三 分享了文件 报告.pdf (2.3 MB) #f12`) or a
 * `/files` entry, with the file the page offers a download of.
 */
export function fileLine(
  reply: Extract<
    Reply,
    { type: "file_shared" | "history_file" | "file_entry" }
  >,
  lang: Lang,
  username: string,
  now: number,
): PageLine {
  const file = { id: reply.id, name: reply.name, size: reply.size };
  const text = renderEvent(reply, plainView(lang, username), now) ?? "";
  if (reply.type === "file_entry") return { kind: "system", text, file };
  const stamp = stampOf(reply.time);
  return {
    kind: reply.type === "history_file" ? "history" : "file",
    stamp,
    sender: reply.sender,
    // The view's sentence without its time, which the stamp shows.
    text: text.startsWith(stamp) ? text.slice(stamp.length + 1) : text,
    messageId: reply.messageId,
    file,
  };
}

/** `[14:30:35] 张三 → 你: 在吗？` cut into its parts. */
export function privateMessageLine(
  reply: Extract<Reply, { type: "private" }>,
  lang: Lang,
  username: string,
): PageLine {
  const you = t(lang, "viewYou");
  const sent = reply.from === username;
  const name = sent
    ? `${you} → ${reply.to === username ? you : reply.to}`
    : `${reply.from} → ${you}`;
  return {
    kind: "private",
    stamp: stampOf(reply.time),
    name,
    sender: reply.from,
    text: reply.text,
    messageId: reply.id,
    mention: !sent,
  };
}

function kindOf(reply: Reply): LineKind {
  switch (reply.type) {
    case "error":
      return "error";
    case "ok":
      return "ok";
    case "history_begin":
    case "history_end":
    case "offline_begin":
    case "offline_end":
      return "heading";
    default:
      return "system";
  }
}

/** A notice of the page's own (`【系统】…`, `[14:30:35] 【错误】…`). */
export function pageNotice(
  lang: Lang,
  kind: "system" | "ok" | "error",
  text: string,
  now: number,
): PageLine {
  const view = plainView(lang);
  switch (kind) {
    case "system":
      return { kind, text: systemLine(text, view) };
    case "ok":
      return { kind, text: successLine(text, now, view) };
    case "error":
      return { kind, text: errorLine(text, now, view) };
  }
}
