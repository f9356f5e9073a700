import assert from "node:assert/strict";
import {
  EMOJI_SHORTCODES,
  emojiTable,
  expandShortcodes,
} from "../lib/emoji.ts";

Deno.test("expandShortcodes() replaces known codes only", async (t) => {
  const cases: Array<[string, string]> = [
    [":smile:", "😄"],
    ["hi :wave: and :tada::tada:", "hi 👋 and 🎉🎉"],
    [":unknown:", ":unknown:"],
    ["at 12:30:45", "at 12:30:45"],
    [":+1: :-1:", "👍 👎"],
    ["中文 :heart: 中文", "中文 ❤️ 中文"],
    ["::", "::"],
  ];
  for (const [input, expected] of cases) {
    await t.step(input, () => assert.equal(expandShortcodes(input), expected));
  }
});

Deno.test("emojiTable() lists every shortcode once", () => {
  const table = emojiTable();
  assert.equal(table.length, EMOJI_SHORTCODES.size);
  assert.ok(table.includes(":smile:  😄"));
});
