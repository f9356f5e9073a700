import assert from "node:assert/strict";
import {
  EMOJI_SHORTCODES,
  emojiColumns,
  emojiTable,
  expandShortcodes,
} from "../../lib/client/emoji.ts";
import { stringWidth } from "../../lib/terminal/display_width.ts";

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

Deno.test("emojiColumns() fits /emoji on a 40-row, 80-column screen (issue 12 item 22)", () => {
  const lines = emojiColumns(80);
  // With its title and the prompt, the list must leave room on 40 rows.
  assert.ok(lines.length <= 30, `${lines.length} lines`);
  for (const line of lines) {
    assert.ok(stringWidth(line) <= 80, `too wide: ${line}`);
  }
  const text = lines.join("\n");
  for (const [code, emoji] of EMOJI_SHORTCODES) {
    assert.equal(text.split(`:${code}:  ${emoji}`).length, 2, code);
  }
});
