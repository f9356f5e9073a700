import assert from "node:assert/strict";
import fc from "fast-check";
import {
  charWidth,
  graphemes,
  graphemeWidth,
  stringWidth,
} from "../../lib/terminal/display_width.ts";

/** Any code point, lone surrogates included (`unit: "binary"` is slow to start). */
const anyCodePoint = fc.integer({ min: 0, max: 0x10ffff }).map((codePoint) =>
  String.fromCodePoint(codePoint)
);

function widthOf(char: string): number {
  return charWidth(char.codePointAt(0)!);
}

Deno.test("charWidth() gives 2 for East Asian wide and fullwidth characters", async (t) => {
  const cases: [string, string][] = [
    ["CJK ideograph", "你"],
    ["CJK Extension A", "\u3400"],
    ["CJK Extension B", "\u{20000}"],
    ["Hangul syllable", "한"],
    ["Hiragana", "あ"],
    ["Katakana", "カ"],
    ["Bopomofo", "ㄅ"],
    ["fullwidth comma", "，"],
    ["ideographic full stop", "。"],
    ["fullwidth exclamation mark", "！"],
    ["fullwidth letter", "Ａ"],
    ["ideographic space", "\u3000"],
    ["corner bracket", "「"],
    ["emoji 😀", "😀"],
    ["waving hand", "👋"],
    ["party popper", "🎉"],
    ["watch", "⌚"],
  ];
  for (const [name, char] of cases) {
    await t.step(name, () => assert.equal(widthOf(char), 2));
  }
});

Deno.test("charWidth() gives 0 for controls and zero-width characters", async (t) => {
  const cases: [string, number][] = [
    ["NUL", 0x00],
    ["escape", 0x1b],
    ["DEL", 0x7f],
    ["C1 CSI", 0x9b],
    ["combining acute accent", 0x0301],
    ["combining enclosing circle", 0x20dd],
    ["zero width space", 0x200b],
    ["zero width joiner", 0x200d],
    ["variation selector 16", 0xfe0f],
    ["byte order mark", 0xfeff],
    ["Hangul medial vowel", 0x1161],
    ["tag character", 0xe0067],
  ];
  for (const [name, codePoint] of cases) {
    await t.step(name, () => assert.equal(charWidth(codePoint), 0));
  }
});

Deno.test("charWidth() gives 1 for narrow and ambiguous characters", async (t) => {
  for (const char of ["a", "~", "é", "Ω", "①", "©", "→", "ｱ", "\u00ad"]) {
    await t.step(JSON.stringify(char), () => assert.equal(widthOf(char), 1));
  }
});

Deno.test("graphemes() keeps emoji sequences and accents together", () => {
  assert.deepEqual(graphemes("a👨‍👩‍👧🇨🇳e\u0301你"), [
    "a",
    "👨‍👩‍👧",
    "🇨🇳",
    "e\u0301",
    "你",
  ]);
  assert.deepEqual(graphemes(""), []);
});

Deno.test("graphemeWidth() counts an emoji sequence as 2 columns", async (t) => {
  const cases: [string, string][] = [
    ["ZWJ family", "👨‍👩‍👧"],
    ["flag", "🇨🇳"],
    ["skin tone", "👋🏽"],
    ["keycap", "1\uFE0F\u20E3"],
    ["heart with VS16", "❤\uFE0F"],
    ["rainbow flag", "🏳\uFE0F\u200D🌈"],
  ];
  for (const [name, cluster] of cases) {
    await t.step(name, () => assert.equal(graphemeWidth(cluster), 2));
  }
});

Deno.test("graphemeWidth() adds up the code points of other clusters", () => {
  assert.equal(graphemeWidth("e\u0301"), 1);
  assert.equal(graphemeWidth("\u1100\u1161"), 2); // conjoining Hangul
  assert.equal(graphemeWidth("\r\n"), 0);
  assert.equal(graphemeWidth(""), 0);
});

Deno.test("stringWidth() measures mixed text", async (t) => {
  const cases: [string, number][] = [
    ["", 0],
    ["hello", 5],
    ["你好wo", 6],
    ["[14:30:35] 张三: 大家好", 23],
    ["你好，世界！", 12],
    ["hi 👋🎉", 7],
    ["👨‍👩‍👧🇨🇳", 4],
    ["cafe\u0301", 4],
    ["a\tb", 2],
    ["\x1b[1;32m张三\x1b[0m> ", 6],
    ["\x1b]0;title\x07ok", 2],
  ];
  for (const [text, width] of cases) {
    await t.step(JSON.stringify(text), () => {
      assert.equal(stringWidth(text), width);
    });
  }
});

Deno.test("stringWidth() is never negative and adds up over graphemes", () => {
  fc.assert(
    fc.property(fc.string({ unit: "grapheme" }), (text) => {
      const width = stringWidth(text);
      assert.ok(width >= 0);
      if (!text.includes("\x1b")) {
        const sum = graphemes(text).reduce((n, g) => n + graphemeWidth(g), 0);
        assert.equal(width, sum);
      }
    }),
  );
  fc.assert(
    fc.property(fc.string({ unit: anyCodePoint }), (text) => {
      assert.ok(stringWidth(text) >= 0);
    }),
  );
});

Deno.test("charWidth() returns 0, 1 or 2 for every code point", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0x10ffff }), (codePoint) => {
      assert.ok([0, 1, 2].includes(charWidth(codePoint)));
    }),
  );
});
