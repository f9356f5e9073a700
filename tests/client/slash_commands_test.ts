import assert from "node:assert/strict";
import {
  parseSlashCommand,
  SLASH_COMMANDS,
  type SlashCommandSpec,
  type SlashParse,
} from "../../lib/client/slash_commands.ts";
import { t } from "../../lib/shared/messages.ts";

/** Per row: one good line and what it means, and one bad line (or extra words ignored). */
const CASES: Record<
  string,
  { good: [string, SlashParse]; bad: [string, SlashParse] }
> = {
  "/help": {
    good: ["/help", { kind: "local", action: "help" }],
    bad: ["/HELP me", { kind: "local", action: "help" }],
  },
  "/password": {
    good: ["/password", { kind: "local", action: "change_password" }],
    bad: ["/password now", { kind: "local", action: "change_password" }],
  },
  "/delete-account": {
    good: ["/delete-account", { kind: "local", action: "delete_account" }],
    bad: ["/delete-account x", { kind: "local", action: "delete_account" }],
  },
  "/join": {
    good: ["/join  tech ", {
      kind: "command",
      command: { type: "join", room: "tech" },
    }],
    bad: ["/join two rooms", { kind: "usage", usage: "usageJoin" }],
  },
  "/leave": {
    good: ["/leave", { kind: "command", command: { type: "leave" } }],
    bad: ["/leave now", { kind: "command", command: { type: "leave" } }],
  },
  "/rooms": {
    good: ["/Rooms", { kind: "command", command: { type: "rooms" } }],
    bad: ["/rooms x", { kind: "command", command: { type: "rooms" } }],
  },
  "/users": {
    good: ["/users ALL", {
      kind: "command",
      command: { type: "users", all: true },
    }],
    bad: ["/users some", { kind: "usage", usage: "usageUsers" }],
  },
  "/msg": {
    good: ["/msg bob hi :smile: there", {
      kind: "command",
      command: { type: "privmsg", to: "bob", text: "hi 😄 there" },
    }],
    bad: ["/msg bob", { kind: "usage", usage: "usageMsg" }],
  },
  "/history": {
    good: ["/history 5000", {
      kind: "command",
      command: { type: "history", count: 100 },
    }],
    bad: ["/history -3", { kind: "usage", usage: "usageHistory" }],
  },
  "/kick": {
    good: ["/kick bob too loud", {
      kind: "command",
      command: { type: "kick", user: "bob", reason: "too loud" },
    }],
    bad: ["/kick", { kind: "usage", usage: "usageKick" }],
  },
  "/mute": {
    good: ["/mute bob 10 spam", {
      kind: "command",
      command: { type: "mute", user: "bob", minutes: 10, reason: "spam" },
    }],
    bad: ["/mute bob 0", { kind: "usage", usage: "usageMute" }],
  },
  "/unmute": {
    good: ["/unmute bob", {
      kind: "command",
      command: { type: "unmute", user: "bob" },
    }],
    bad: ["/unmute", { kind: "usage", usage: "usageUnmute" }],
  },
  "/delete": {
    good: ["/delete last bob", {
      kind: "command",
      command: { type: "delete_last", user: "bob" },
    }],
    bad: ["/delete bob", { kind: "usage", usage: "usageDelete" }],
  },
  "/status": {
    good: ["/status at lunch :coffee:", {
      kind: "command",
      command: { type: "status", text: "at lunch ☕" },
    }],
    bad: ["/status", {
      kind: "command",
      command: { type: "status", text: "" },
    }],
  },
  "/whois": {
    good: ["/whois bob", {
      kind: "command",
      command: { type: "whois", user: "bob" },
    }],
    bad: ["/whois bob amy", { kind: "usage", usage: "usageWhois" }],
  },
  "/emoji": {
    good: ["/emoji", { kind: "local", action: "emoji" }],
    bad: ["/emoji list", { kind: "local", action: "emoji" }],
  },
  "/avatar": {
    good: ["/avatar :cat:", {
      kind: "command",
      command: { type: "avatar", emoji: "🐱" },
    }],
    bad: ["/avatar 🐱🐶", {
      kind: "usage",
      usage: "usageAvatar",
      reason: "avatarNotEmoji",
    }],
  },
  "/receipts": {
    good: ["/receipts OFF", {
      kind: "command",
      command: { type: "receipts", on: false },
    }],
    bad: ["/receipts maybe", { kind: "usage", usage: "usageReceipts" }],
  },
  "/send": {
    good: ['/send #大厅 "C:\\My files\\报告 1.pdf"', {
      kind: "send",
      target: "#大厅",
      path: "C:\\My files\\报告 1.pdf",
    }],
    bad: ["/send bob", { kind: "usage", usage: "usageSend" }],
  },
  "/files": {
    good: ["/files", { kind: "command", command: { type: "files" } }],
    bad: ["/files all", { kind: "command", command: { type: "files" } }],
  },
  "/get": {
    good: ["/get #f12 'D:\\下载'", {
      kind: "get",
      id: 12,
      folder: "D:\\下载",
    }],
    bad: ["/get report", { kind: "usage", usage: "usageGet" }],
  },
};

Deno.test("SLASH_COMMANDS: every row has a test case, and rows with arguments a usage", () => {
  assert.deepEqual(
    SLASH_COMMANDS.map((row) => row.name).sort(),
    Object.keys(CASES).sort(),
  );
  for (const row of SLASH_COMMANDS) {
    const bad = CASES[row.name]!.bad[1];
    assert.equal(
      bad.kind === "usage",
      row.usage !== undefined,
      `${row.name}: a usage key exactly when the grammar can refuse`,
    );
  }
});

Deno.test("parseSlashCommand() by table row: one good line, one bad line", async (t) => {
  for (const row of SLASH_COMMANDS) {
    const { good, bad } = CASES[row.name]!;
    await t.step(row.name, () => {
      assert.deepEqual(parseSlashCommand(good[0]), good[1]);
      assert.deepEqual(parseSlashCommand(bad[0]), bad[1]);
    });
  }
});

Deno.test("parseSlashCommand() takes more history arguments and /delete by id", () => {
  assert.deepEqual(parseSlashCommand("/history"), {
    kind: "command",
    command: { type: "history", count: 20 },
  });
  assert.deepEqual(parseSlashCommand("/history 0"), {
    kind: "command",
    command: { type: "history", count: 1 },
  });
  assert.deepEqual(parseSlashCommand("/delete 42"), {
    kind: "command",
    command: { type: "delete_message", id: 42 },
  });
  assert.deepEqual(parseSlashCommand("/mute bob 10"), {
    kind: "command",
    command: { type: "mute", user: "bob", minutes: 10, reason: undefined },
  });
  assert.deepEqual(parseSlashCommand("/mute bob 99999999"), {
    kind: "usage",
    usage: "usageMute",
  });
});

Deno.test("parseSlashCommand() quits on the quit lines, in any case, and only on whole lines", () => {
  for (const line of ["exit", " LOGOUT ", "/exit", "/Quit", "/logout"]) {
    assert.deepEqual(parseSlashCommand(line), {
      kind: "local",
      action: "quit",
    });
  }
  assert.deepEqual(parseSlashCommand("/quit now"), {
    kind: "unknown",
    command: "/quit",
  });
  assert.deepEqual(parseSlashCommand("exit now"), {
    kind: "message",
    text: "exit now",
  });
});

Deno.test("parseSlashCommand() reads chat text, //text, blank lines and unknown commands", () => {
  assert.deepEqual(parseSlashCommand("   "), { kind: "empty" });
  assert.deepEqual(parseSlashCommand("  hello :smile: "), {
    kind: "message",
    text: "  hello 😄 ",
  });
  assert.deepEqual(parseSlashCommand("  //me waves "), {
    kind: "message",
    text: "/me waves ",
  });
  assert.deepEqual(parseSlashCommand("/Nick bob"), {
    kind: "unknown",
    command: "/Nick",
  });
});

Deno.test("parseSlashCommand() finds a row by its aliases", () => {
  const table: SlashCommandSpec[] = [{
    name: "/join",
    aliases: ["/j"],
    grammar: /^(\S+)$/,
    usage: "usageJoin",
    build: ([, room]) => ({
      kind: "command",
      command: { type: "join", room: room! },
    }),
  }];
  assert.deepEqual(parseSlashCommand("/J tech", table), {
    kind: "command",
    command: { type: "join", room: "tech" },
  });
  assert.deepEqual(parseSlashCommand("/j", table), {
    kind: "usage",
    usage: "usageJoin",
  });
  assert.deepEqual(parseSlashCommand("/help", table), {
    kind: "unknown",
    command: "/help",
  });
});

Deno.test("parseSlashCommand() takes a path as typed, quoted or dropped, and file ids three ways", () => {
  assert.deepEqual(parseSlashCommand("/send bob ./a b.txt"), {
    kind: "send",
    target: "bob",
    path: "./a b.txt",
  });
  assert.deepEqual(parseSlashCommand("/send bob & 'C:\\x y\\a.txt'"), {
    kind: "send",
    target: "bob",
    path: "C:\\x y\\a.txt",
  });
  assert.deepEqual(parseSlashCommand('/send bob ""'), {
    kind: "usage",
    usage: "usageSend",
  });
  for (const typed of ["/get f7", "/get #f7", "/get 7", "/GET F7"]) {
    assert.deepEqual(parseSlashCommand(typed), {
      kind: "get",
      id: 7,
      folder: undefined,
    }, typed);
  }
});

Deno.test("parseSlashCommand() /avatar takes one emoji, typed or by shortcode, and a bare /avatar clears it", async (t) => {
  const avatar = (emoji: string): SlashParse => ({
    kind: "command",
    command: { type: "avatar", emoji },
  });
  const refused: SlashParse = {
    kind: "usage",
    usage: "usageAvatar",
    reason: "avatarNotEmoji",
  };
  const cases: Array<[string, SlashParse]> = [
    ["/avatar 🐱", avatar("🐱")],
    ["/avatar  👩‍💻 ", avatar("👩‍💻")],
    ["/avatar :cn:", avatar("🇨🇳")],
    ["/avatar :dog:", avatar("🐶")],
    ["/avatar", avatar("")],
    ["/avatar A", refused],
    ["/avatar :nope:", refused],
    ["/avatar :cat: :dog:", refused],
    ["/avatar img:3", refused],
    ["/avatar 🐱 cute", refused],
  ];
  for (const [line, expected] of cases) {
    await t.step(
      line,
      () => assert.deepEqual(parseSlashCommand(line), expected),
    );
  }
});

Deno.test("parseSlashCommand() /receipts turns receipts on or off, or asks", () => {
  assert.deepEqual(parseSlashCommand("/receipts"), {
    kind: "command",
    command: { type: "receipts" },
  });
  assert.deepEqual(parseSlashCommand("/receipts on"), {
    kind: "command",
    command: { type: "receipts", on: true },
  });
  assert.deepEqual(parseSlashCommand("/receipts on off"), {
    kind: "usage",
    usage: "usageReceipts",
  });
});

Deno.test("helpText lists /avatar and /receipts in both languages, in the columns of the others", () => {
  const zh = t("zh", "helpText").split("\n");
  const en = t("en", "helpText").split("\n");
  assert.ok(
    zh.includes(
      "  /avatar [表情]                设置头像为一个表情，如 /avatar 🐱（不带表情则恢复默认）",
    ),
  );
  assert.ok(
    zh.includes(
      "  /receipts [on|off]            开启或关闭已读回执（不带参数则查看当前设置）",
    ),
  );
  assert.ok(
    en.includes(
      "  /avatar [emoji]                  set your avatar to one emoji, e.g. /avatar 🐱 (without: the default)",
    ),
  );
  assert.ok(
    en.includes(
      "  /receipts [on|off]               send read receipts or not (without: show the setting)",
    ),
  );
  // Every row of the table is in /help.
  for (const row of SLASH_COMMANDS) {
    assert.ok(zh.some((line) => line.startsWith(`  ${row.name}`)), row.name);
    assert.ok(en.some((line) => line.startsWith(`  ${row.name}`)), row.name);
  }
});
