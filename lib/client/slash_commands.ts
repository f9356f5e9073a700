/**
 * What a line typed in the chat means: a table of slash commands, each with
 * its name, aliases, argument grammar and usage sentence, and one pure
 * {@linkcode parseSlashCommand} over it. No I/O: the chat loop does what the
 * result says.
 *
 * @module
 */

import {
  type Command,
  MAX_HISTORY_COUNT,
  MAX_MUTE_MINUTES,
} from "../protocol/protocol.ts";
import type { MessageKey } from "../shared/messages.ts";
import { isAvatarEmoji } from "../protocol/avatars.ts";
import { expandShortcodes } from "./emoji.ts";

/** Messages one `/history` asks for when no count is given. */
export const HISTORY_DEFAULT = 20;

/** Whole lines (any case) that leave the chat. */
export const QUIT_LINES: ReadonlySet<string> = new Set([
  "exit",
  "logout",
  "/exit",
  "/quit",
  "/logout",
]);

/** What the client does itself, without a command to the server first. */
export type LocalAction =
  | "help"
  | "emoji"
  | "quit"
  | "change_password"
  | "delete_account";

/** What one typed line means. */
export type SlashParse =
  /** A command for the server, sent as it is. */
  | { kind: "command"; command: Command }
  /** Something the client does itself (it may ask and send on its own). */
  | { kind: "local"; action: LocalAction }
  /** `/send`: upload the file at `path` to a room (`#room`) or a user. */
  | { kind: "send"; target: string; path: string }
  /** `/get`: download file `id` into `folder` (the default one if none). */
  | { kind: "get"; id: number; folder: string | undefined }
  /**
   * A known command with arguments it cannot take: show `reason` if there
   * is one (what is wrong with them), else `usage`.
   */
  | { kind: "usage"; usage: MessageKey; reason?: MessageKey }
  /** A `/word` no row of the table knows (as typed). */
  | { kind: "unknown"; command: string }
  /** Chat text for the room (`//text` sends `/text`). */
  | { kind: "message"; text: string }
  /** A blank line: nothing to do. */
  | { kind: "empty" };

/** One row of the table. */
export interface SlashCommandSpec {
  /** `/name`, lowercase. */
  name: string;
  /** Other names that mean the same (lowercase). */
  aliases: readonly string[];
  /** The argument grammar, matched against the trimmed rest of the line. */
  grammar: RegExp;
  /** The usage sentence shown when the arguments do not fit. */
  usage?: MessageKey;
  /** The meaning of a fitting line; `undefined` also means usage. */
  build(args: RegExpExecArray): SlashParse | undefined;
}

/** Anything after the name, ignored. */
const IGNORED = /^[\s\S]*$/;
/** One word. */
const WORD = /^(\S+)$/;

function command(command: Command): SlashParse {
  return { kind: "command", command };
}

function local(action: LocalAction): SlashParse {
  return { kind: "local", action };
}

/** The slash commands, in `/help`'s order. */
export const SLASH_COMMANDS: readonly SlashCommandSpec[] = [
  { name: "/help", aliases: [], grammar: IGNORED, build: () => local("help") },
  {
    name: "/password",
    aliases: [],
    grammar: IGNORED,
    build: () => local("change_password"),
  },
  {
    name: "/delete-account",
    aliases: [],
    grammar: IGNORED,
    build: () => local("delete_account"),
  },
  {
    name: "/join",
    aliases: [],
    grammar: WORD,
    usage: "usageJoin",
    build: ([, room]) => command({ type: "join", room: room! }),
  },
  {
    name: "/leave",
    aliases: [],
    grammar: IGNORED,
    build: () => command({ type: "leave" }),
  },
  {
    name: "/rooms",
    aliases: [],
    grammar: IGNORED,
    build: () => command({ type: "rooms" }),
  },
  {
    name: "/users",
    aliases: [],
    grammar: /^(all)?$/i,
    usage: "usageUsers",
    build: ([, all]) => command({ type: "users", all: all !== undefined }),
  },
  {
    // The message's own text is the one sent: PRIVATE comes back.
    name: "/msg",
    aliases: [],
    grammar: /^(\S+)\s+(\S[\s\S]*)$/,
    usage: "usageMsg",
    build: ([, to, text]) =>
      command({ type: "privmsg", to: to!, text: expandShortcodes(text!) }),
  },
  {
    // The chat loop adds `before`: it pages back from the oldest message seen.
    name: "/history",
    aliases: [],
    grammar: /^(\d{1,6})?$/,
    usage: "usageHistory",
    build: ([, count]) =>
      command({
        type: "history",
        count: count === undefined
          ? HISTORY_DEFAULT
          : Math.min(Math.max(Number(count), 1), MAX_HISTORY_COUNT),
      }),
  },
  {
    name: "/kick",
    aliases: [],
    grammar: /^(\S+)(?:\s+(\S[\s\S]*))?$/,
    usage: "usageKick",
    build: ([, user, reason]) => command({ type: "kick", user: user!, reason }),
  },
  {
    name: "/mute",
    aliases: [],
    grammar: /^(\S+)\s+(\d{1,6})(?:\s+(\S[\s\S]*))?$/,
    usage: "usageMute",
    build: ([, user, digits, reason]) => {
      const minutes = Number(digits);
      if (minutes < 1 || minutes > MAX_MUTE_MINUTES) return undefined;
      return command({ type: "mute", user: user!, minutes, reason });
    },
  },
  {
    name: "/unmute",
    aliases: [],
    grammar: WORD,
    usage: "usageUnmute",
    build: ([, user]) => command({ type: "unmute", user: user! }),
  },
  {
    name: "/delete",
    aliases: [],
    grammar: /^(?:last (\S+)|(\d{1,15}))$/,
    usage: "usageDelete",
    build: ([, last, id]) =>
      last !== undefined
        ? command({ type: "delete_last", user: last })
        : command({ type: "delete_message", id: Number(id) }),
  },
  {
    // A bare /status clears it.
    name: "/status",
    aliases: [],
    grammar: IGNORED,
    build: ([rest]) =>
      command({ type: "status", text: expandShortcodes(rest!) }),
  },
  {
    name: "/whois",
    aliases: [],
    grammar: WORD,
    usage: "usageWhois",
    build: ([, user]) => command({ type: "whois", user: user! }),
  },
  {
    // A bare /avatar goes back to the default; a picture is set in the page.
    name: "/avatar",
    aliases: [],
    grammar: IGNORED,
    usage: "usageAvatar",
    build: ([rest]) => {
      const emoji = expandShortcodes(rest!);
      if (emoji === "" || isAvatarEmoji(emoji)) {
        return command({ type: "avatar", emoji });
      }
      return { kind: "usage", usage: "usageAvatar", reason: "avatarNotEmoji" };
    },
  },
  {
    // A bare /receipts asks for the setting.
    name: "/receipts",
    aliases: [],
    grammar: /^(on|off)?$/i,
    usage: "usageReceipts",
    build: ([, setting]) =>
      command(
        setting === undefined
          ? { type: "receipts" }
          : { type: "receipts", on: setting.toLowerCase() === "on" },
      ),
  },
  {
    // A path with spaces may be quoted, as Windows' drag and drop does.
    name: "/send",
    aliases: [],
    grammar: /^(\S+)\s+(\S[\s\S]*)$/,
    usage: "usageSend",
    build: ([, target, path]) => {
      const unquoted = unquote(path!);
      return unquoted === "" ? undefined : {
        kind: "send",
        target: target!,
        path: unquoted,
      };
    },
  },
  {
    name: "/files",
    aliases: [],
    grammar: IGNORED,
    build: () => command({ type: "files" }),
  },
  {
    // `f12`, `#f12` or `12`, as /files and the shared line name it.
    name: "/get",
    aliases: [],
    grammar: /^#?[fF]?(\d{1,15})(?:\s+(\S[\s\S]*))?$/,
    usage: "usageGet",
    build: ([, id, folder]) => ({
      kind: "get",
      id: Number(id),
      folder: folder === undefined ? undefined : unquote(folder),
    }),
  },
  {
    name: "/emoji",
    aliases: [],
    grammar: IGNORED,
    build: () => local("emoji"),
  },
];

/**
 * A path as typed: without the quotes around it (`"C:\My files\a.pdf"`,
 * `'a b.txt'`) and PowerShell's `& ` before a dropped file.
 */
export function unquote(path: string): string {
  const trimmed = path.trim().replace(/^& (?=["'])/, "");
  const quoted = /^(["'])([\s\S]*)\1$/.exec(trimmed);
  return quoted === null ? trimmed : quoted[2]!;
}

/**
 * What `typed` (a line as the user typed it) means, by `table`.
 *
 * @example
 * ```ts
 * import { parseSlashCommand } from "./slash_commands.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseSlashCommand("/join tech"), {
 *   kind: "command",
 *   command: { type: "join", room: "tech" },
 * });
 * assert.deepEqual(parseSlashCommand("/join"), { kind: "usage", usage: "usageJoin" });
 * assert.deepEqual(parseSlashCommand("//me"), { kind: "message", text: "/me" });
 * ```
 */
export function parseSlashCommand(
  typed: string,
  table: readonly SlashCommandSpec[] = SLASH_COMMANDS,
): SlashParse {
  const line = typed.trim();
  if (line === "") return { kind: "empty" };
  if (QUIT_LINES.has(line.toLowerCase())) return local("quit");
  if (!line.startsWith("/") || line.startsWith("//")) {
    // Chat text keeps its own spaces; "//text" sends "/text" literally.
    return {
      kind: "message",
      text: expandShortcodes(
        line.startsWith("//") ? typed.trimStart().slice(1) : typed,
      ),
    };
  }
  const [name = ""] = line.split(/\s+/, 1);
  const rest = line.slice(name.length).trim();
  const lower = name.toLowerCase();
  const spec = table.find((row) =>
    row.name === lower || row.aliases.includes(lower)
  );
  if (spec === undefined) return { kind: "unknown", command: name };
  const args = spec.grammar.exec(rest);
  const result = args === null ? undefined : spec.build(args);
  if (result !== undefined) return result;
  if (spec.usage === undefined) {
    // Cannot happen with a grammar that takes anything; say unknown, not nothing.
    return { kind: "unknown", command: name };
  }
  return { kind: "usage", usage: spec.usage };
}
