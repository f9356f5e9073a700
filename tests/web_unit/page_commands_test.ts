import assert from "node:assert/strict";
import { pageCommand } from "../../lib/web/page_commands.ts";

Deno.test("pageCommand() reads /receipts with on, off or nothing", async (t) => {
  const cases: Array<[string, unknown]> = [
    ["/receipts", { kind: "command", command: { type: "receipts" } }],
    ["/receipts on", {
      kind: "command",
      command: { type: "receipts", on: true },
    }],
    ["/RECEIPTS off ", {
      kind: "command",
      command: { type: "receipts", on: false },
    }],
    ["/receipts maybe", { kind: "usage", usage: "webUsageReceipts" }],
    ["/receipts on off", { kind: "usage", usage: "webUsageReceipts" }],
  ];
  for (const [text, want] of cases) {
    await t.step(text, () => assert.deepEqual(pageCommand(text), want));
  }
});

Deno.test("pageCommand() reads /avatar with one emoji or nothing", async (t) => {
  const cases: Array<[string, unknown]> = [
    ["/avatar", { kind: "command", command: { type: "avatar", emoji: "" } }],
    ["/avatar 🐱", {
      kind: "command",
      command: { type: "avatar", emoji: "🐱" },
    }],
    ["/avatar 👨‍👩‍👧", {
      kind: "command",
      command: { type: "avatar", emoji: "👨‍👩‍👧" },
    }],
    ["/avatar 🐱🐶", { kind: "usage", usage: "webUsageAvatar" }],
    ["/avatar A", { kind: "usage", usage: "webUsageAvatar" }],
    ["/avatar img:3", { kind: "usage", usage: "webUsageAvatar" }],
  ];
  for (const [text, want] of cases) {
    await t.step(text, () => assert.deepEqual(pageCommand(text), want));
  }
});

Deno.test("pageCommand() leaves other lines alone", () => {
  for (
    const text of ["/join 技术", "hello", "", "/", "//receipts", "/avatars"]
  ) {
    assert.equal(pageCommand(text), undefined, text);
  }
});
