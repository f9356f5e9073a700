/**
 * Slash commands the page knows before the shared table
 * (`lib/client/slash_commands.ts`) does: `/receipts [on|off]` and
 * `/avatar [<emoji>]`. The page asks here only about a line the shared
 * table calls unknown, so once the table has its own rows they win.
 *
 * @module
 */

import { isAvatarEmoji } from "../protocol/avatars.ts";
import type { Command } from "../protocol/protocol.ts";
import type { MessageKey } from "../shared/messages.ts";

/** What one of the page's own commands means. */
export type PageCommand =
  | { kind: "command"; command: Command }
  | { kind: "usage"; usage: MessageKey };

/**
 * The meaning of `text` if it is one of the page's own commands, else
 * `undefined`.
 *
 * @example
 * ```ts
 * import { pageCommand } from "./page_commands.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(pageCommand("/receipts off"), {
 *   kind: "command",
 *   command: { type: "receipts", on: false },
 * });
 * assert.deepEqual(pageCommand("/avatar 🐱"), {
 *   kind: "command",
 *   command: { type: "avatar", emoji: "🐱" },
 * });
 * assert.deepEqual(pageCommand("/avatar cat"), {
 *   kind: "usage",
 *   usage: "webUsageAvatar",
 * });
 * assert.equal(pageCommand("/join 技术"), undefined);
 * ```
 */
export function pageCommand(text: string): PageCommand | undefined {
  const match = /^\/(\S+)(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (match === null) return undefined;
  const name = match[1]!.toLowerCase();
  const args = (match[2] ?? "").trim();
  switch (name) {
    case "receipts":
      if (args === "") return command({ type: "receipts" });
      if (args === "on" || args === "off") {
        return command({ type: "receipts", on: args === "on" });
      }
      return { kind: "usage", usage: "webUsageReceipts" };
    case "avatar":
      if (args === "") return command({ type: "avatar", emoji: "" });
      if (isAvatarEmoji(args)) return command({ type: "avatar", emoji: args });
      return { kind: "usage", usage: "webUsageAvatar" };
    default:
      return undefined;
  }
}

function command(command: Command): PageCommand {
  return { kind: "command", command };
}
