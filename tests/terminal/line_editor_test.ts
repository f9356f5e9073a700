import assert from "node:assert/strict";
import fc from "fast-check";
import {
  graphemes,
  graphemeWidth,
  stringWidth,
} from "../../lib/terminal/display_width.ts";
import type { KeyEvent, KeyName } from "../../lib/terminal/key_decoder.ts";
import {
  type EditorAction,
  LineEditor,
} from "../../lib/terminal/line_editor.ts";

function type(editor: LineEditor, text: string): void {
  editor.handle({ type: "char", text });
}

function press(editor: LineEditor, ...keys: KeyName[]): EditorAction[] {
  return keys.map((key) => editor.handle({ type: key }));
}

/** Splits a render into its visible text and the final cursor column. */
function parseRender(output: string): { visible: string; column: number } {
  // deno-lint-ignore no-control-regex -- matching escape sequences is the point
  const match = /^\r(.*)\x1b\[K\r(?:\x1b\[(\d+)C)?$/su.exec(output);
  assert.ok(match, `unexpected render output ${JSON.stringify(output)}`);
  return { visible: match[1]!, column: Number(match[2] ?? 0) };
}

Deno.test("LineEditor.handle() inserts text at the cursor", () => {
  const editor = new LineEditor();
  type(editor, "ac");
  press(editor, "left");
  type(editor, "b");
  assert.equal(editor.buffer, "abc");
  assert.equal(editor.cursor, 2);
  press(editor, "home");
  type(editor, "你");
  assert.equal(editor.buffer, "你abc");
  assert.equal(editor.cursor, 1);
});

Deno.test("LineEditor.handle() moves left over an emoji as one character", () => {
  const editor = new LineEditor();
  type(editor, "a👨‍👩‍👧🇨🇳b");
  assert.equal(editor.cursor, 4);
  press(editor, "left", "left");
  assert.equal(editor.cursor, 2);
  press(editor, "left");
  assert.equal(editor.cursor, 1);
  press(editor, "delete");
  assert.equal(editor.buffer, "a🇨🇳b");
  press(editor, "right", "backspace");
  assert.equal(editor.buffer, "ab");
  assert.equal(editor.cursor, 1);
});

Deno.test("LineEditor.handle() keeps the cursor within the buffer", () => {
  const editor = new LineEditor();
  press(editor, "left", "backspace", "delete", "right");
  assert.equal(editor.cursor, 0);
  type(editor, "ab");
  press(editor, "right", "right");
  assert.equal(editor.cursor, 2);
});

Deno.test("LineEditor.handle() joins a combining mark to the letter before it", () => {
  const editor = new LineEditor();
  type(editor, "cafe");
  type(editor, "\u0301");
  assert.equal(editor.buffer, "cafe\u0301");
  assert.equal(editor.cursor, 4);
  press(editor, "backspace");
  assert.equal(editor.buffer, "caf");
});

Deno.test("LineEditor.handle() drops control characters from inserted text", () => {
  const editor = new LineEditor();
  type(editor, "a\x1b[31mb\x00\u009bc\nd");
  assert.equal(editor.buffer, "a[31mbc d");
  type(editor, "\x07");
  assert.equal(editor.buffer, "a[31mbc d");
});

Deno.test("LineEditor.handle() moves home and end", async (t) => {
  for (const [home, end] of [["home", "end"], ["ctrl_a", "ctrl_e"]] as const) {
    await t.step(`${home} and ${end}`, () => {
      const editor = new LineEditor();
      type(editor, "你好 world");
      press(editor, home);
      assert.equal(editor.cursor, 0);
      press(editor, end);
      assert.equal(editor.cursor, 8);
    });
  }
});

Deno.test("LineEditor.handle() kills text with Ctrl+U, Ctrl+K and Ctrl+W", async (t) => {
  await t.step("Ctrl+U deletes to the start", () => {
    const editor = new LineEditor();
    type(editor, "hello world");
    press(editor, "left", "left", "ctrl_u");
    assert.equal(editor.buffer, "ld");
    assert.equal(editor.cursor, 0);
  });
  await t.step("Ctrl+K deletes to the end", () => {
    const editor = new LineEditor();
    type(editor, "hello world");
    press(editor, "home", "right", "ctrl_k");
    assert.equal(editor.buffer, "h");
    assert.equal(editor.cursor, 1);
  });
  await t.step("Ctrl+W deletes the previous word and spaces after it", () => {
    const editor = new LineEditor();
    type(editor, "say 你好 世界  ");
    press(editor, "ctrl_w");
    assert.equal(editor.buffer, "say 你好 ");
    press(editor, "ctrl_w");
    assert.equal(editor.buffer, "say ");
    press(editor, "ctrl_w", "ctrl_w");
    assert.equal(editor.buffer, "");
  });
  await t.step("Ctrl+W stops at the cursor", () => {
    const editor = new LineEditor();
    type(editor, "one two");
    press(editor, "left", "ctrl_w");
    assert.equal(editor.buffer, "one o");
    assert.equal(editor.cursor, 4);
  });
});

Deno.test("LineEditor.handle() submits the line on Enter", () => {
  const editor = new LineEditor();
  type(editor, "你好");
  press(editor, "left");
  assert.deepEqual(editor.handle({ type: "enter" }), {
    type: "submit",
    line: "你好",
  });
  assert.equal(editor.buffer, "");
  assert.equal(editor.cursor, 0);
  assert.deepEqual(editor.history, ["你好"]);
  assert.deepEqual(editor.handle({ type: "enter" }), {
    type: "submit",
    line: "",
  });
  assert.deepEqual(editor.history, ["你好"]);
});

Deno.test("LineEditor.handle() reports Ctrl+C and Ctrl+D", () => {
  const editor = new LineEditor();
  assert.deepEqual(editor.handle({ type: "ctrl_d" }), { type: "eof" });
  type(editor, "abc");
  assert.deepEqual(editor.handle({ type: "ctrl_c" }), { type: "interrupt" });
  assert.equal(editor.buffer, "abc");
  press(editor, "left", "left");
  assert.deepEqual(editor.handle({ type: "ctrl_d" }), { type: "none" });
  assert.equal(editor.buffer, "ac");
  press(editor, "end");
  assert.deepEqual(editor.handle({ type: "ctrl_d" }), { type: "none" });
  assert.equal(editor.buffer, "ac");
});

Deno.test("LineEditor.handle() ignores Tab, Escape and Ctrl+L", () => {
  const editor = new LineEditor();
  type(editor, "x");
  assert.deepEqual(press(editor, "tab", "escape", "ctrl_l"), [
    { type: "none" },
    { type: "none" },
    { type: "none" },
  ]);
  assert.equal(editor.buffer, "x");
});

Deno.test("LineEditor.handle() recalls history and restores the draft", () => {
  const editor = new LineEditor();
  for (const line of ["first", "second"]) {
    type(editor, line);
    press(editor, "enter");
  }
  type(editor, "dra");
  press(editor, "up");
  assert.equal(editor.buffer, "second");
  assert.equal(editor.cursor, 6);
  press(editor, "up");
  assert.equal(editor.buffer, "first");
  press(editor, "up");
  assert.equal(editor.buffer, "first");
  press(editor, "down");
  assert.equal(editor.buffer, "second");
  press(editor, "down");
  assert.equal(editor.buffer, "dra");
  assert.equal(editor.cursor, 3);
  press(editor, "down");
  assert.equal(editor.buffer, "dra");
});

Deno.test("LineEditor.handle() leaves history alone when a recalled line is edited", () => {
  const editor = new LineEditor();
  type(editor, "hello");
  press(editor, "enter", "up", "backspace");
  type(editor, "!");
  assert.equal(editor.buffer, "hell!");
  assert.deepEqual(editor.history, ["hello"]);
  press(editor, "down");
  assert.equal(editor.buffer, "");
  press(editor, "up");
  assert.equal(editor.buffer, "hello");
  press(editor, "backspace");
  assert.deepEqual(editor.handle({ type: "enter" }), {
    type: "submit",
    line: "hell",
  });
  assert.deepEqual(editor.history, ["hello", "hell"]);
});

Deno.test("LineEditor.handle() collapses consecutive duplicates in history", () => {
  const editor = new LineEditor();
  for (const line of ["a", "a", "  ", "b", "a", "a"]) {
    type(editor, line);
    press(editor, "enter");
  }
  assert.deepEqual(editor.history, ["a", "b", "a"]);
});

Deno.test("LineEditor.handle() keeps at most maxHistory lines", () => {
  const editor = new LineEditor({ maxHistory: 3 });
  for (let i = 1; i <= 5; i++) {
    type(editor, `line ${i}`);
    press(editor, "enter");
  }
  assert.deepEqual(editor.history, ["line 3", "line 4", "line 5"]);
  const defaults = new LineEditor();
  for (let i = 0; i < 510; i++) {
    type(defaults, String(i));
    press(defaults, "enter");
  }
  assert.equal(defaults.history.length, 500);
  assert.equal(defaults.history[0], "10");
  const none = new LineEditor({ maxHistory: 0 });
  type(none, "x");
  press(none, "enter", "up");
  assert.equal(none.buffer, "");
});

Deno.test("LineEditor constructor rejects a bad maxHistory", () => {
  assert.throws(() => new LineEditor({ maxHistory: -1 }), RangeError);
  assert.throws(() => new LineEditor({ maxHistory: 1.5 }), RangeError);
});

Deno.test("LineEditor.render() draws the prompt, buffer and cursor", () => {
  const editor = new LineEditor();
  assert.equal(editor.render(80), "\r> \x1b[K\r\x1b[2C");
  type(editor, "你好wo");
  assert.equal(editor.render(80), "\r> 你好wo\x1b[K\r\x1b[8C");
  press(editor, "left", "left");
  assert.equal(editor.render(80), "\r> 你好wo\x1b[K\r\x1b[6C");
  press(editor, "home");
  assert.equal(editor.render(80), "\r> 你好wo\x1b[K\r\x1b[2C");
  editor.setPrompt("");
  assert.equal(editor.render(80), "\r你好wo\x1b[K\r");
});

Deno.test("LineEditor.render() measures a colored prompt by its visible text", () => {
  const editor = new LineEditor({ prompt: "\x1b[32m张三>\x1b[0m " });
  type(editor, "hi");
  assert.equal(editor.prompt, "\x1b[32m张三>\x1b[0m ");
  assert.equal(
    editor.render(80),
    "\r\x1b[32m张三>\x1b[0m hi\x1b[K\r\x1b[8C",
  );
});

Deno.test("LineEditor.printAbove() prints a message and redraws the input", () => {
  const editor = new LineEditor({ prompt: "> " });
  type(editor, "你好wo");
  press(editor, "left", "left");
  assert.equal(
    editor.printAbove("[14:30:35] 张三: 大家好", 80),
    "\r\x1b[K[14:30:35] 张三: 大家好\r\n\r> 你好wo\x1b[K\r\x1b[6C",
  );
  assert.equal(editor.buffer, "你好wo");
  assert.equal(editor.cursor, 2);
});

Deno.test("LineEditor.printAbove() ends every message line with \\r\\n", () => {
  const editor = new LineEditor();
  assert.equal(
    editor.printAbove("one\ntwo\r\nthree", 80),
    "\r\x1b[Kone\r\ntwo\r\nthree\r\n\r> \x1b[K\r\x1b[2C",
  );
});

Deno.test("LineEditor.clearLine() erases the input line", () => {
  assert.equal(new LineEditor().clearLine(), "\r\x1b[K");
});

Deno.test("LineEditor.clearScreen() clears and redraws the input line", () => {
  const editor = new LineEditor();
  type(editor, "x");
  assert.equal(editor.clearScreen(80), "\x1b[H\x1b[2J\r> x\x1b[K\r\x1b[3C");
});

Deno.test("LineEditor.render() rejects a bad column count", () => {
  const editor = new LineEditor();
  assert.throws(() => editor.render(0), RangeError);
  assert.throws(() => editor.render(Number.NaN), RangeError);
});

Deno.test("LineEditor.render() scrolls a long CJK line in 20 columns", () => {
  const editor = new LineEditor();
  const text = "这是一条很长的中文消息用来测试水平滚动";
  type(editor, text);
  const atEnd = parseRender(editor.render(20));
  // The prompt takes 2 of the 19 usable columns, leaving 17: 8 characters.
  assert.equal(atEnd.visible, "> 用来测试水平滚动");
  assert.equal(stringWidth(atEnd.visible), 18);
  assert.equal(atEnd.column, 2 + 16);

  // Moving left within the window does not scroll.
  press(editor, "left", "left");
  const moved = parseRender(editor.render(20));
  assert.equal(moved.visible, atEnd.visible);
  assert.equal(moved.column, 2 + 12);

  // Moving left past the window scrolls it by one character.
  press(editor, "left", "left", "left", "left", "left", "left", "left");
  assert.equal(editor.cursor, 10);
  const scrolled = parseRender(editor.render(20));
  assert.equal(scrolled.visible, "> 息用来测试水平滚");
  assert.equal(scrolled.column, 2);

  // Home scrolls back to the start, showing as much as fits.
  press(editor, "home");
  const home = parseRender(editor.render(20));
  assert.equal(home.visible, "> 这是一条很长的中");
  assert.equal(home.column, 2);
});

Deno.test("LineEditor.render() never cuts a wide character in half", () => {
  const editor = new LineEditor({ prompt: "" });
  type(editor, "a你好世界");
  press(editor, "home");
  // 6 columns leave 5: "a你好" is 5 wide.
  assert.equal(parseRender(editor.render(6)).visible, "a你好");
  // 5 columns leave 4: "a你" is 3 wide, and 好 would need 2 more.
  assert.equal(parseRender(editor.render(5)).visible, "a你");
});

Deno.test("LineEditor.render() drops the prompt in a very narrow terminal", () => {
  const editor = new LineEditor({ prompt: "long prompt> " });
  type(editor, "abc");
  assert.deepEqual(parseRender(editor.render(4)), {
    visible: "abc",
    column: 3,
  });
  assert.deepEqual(parseRender(editor.render(1)), { visible: "", column: 0 });
});

const keyEvent: fc.Arbitrary<KeyEvent> = fc.oneof(
  fc.constantFrom<KeyName>(
    "enter",
    "backspace",
    "delete",
    "left",
    "right",
    "up",
    "down",
    "home",
    "end",
    "ctrl_c",
    "ctrl_d",
    "ctrl_u",
    "ctrl_a",
    "ctrl_e",
    "ctrl_k",
    "ctrl_w",
    "ctrl_l",
    "tab",
    "escape",
  ).map((type): KeyEvent => ({ type })),
  fc.oneof(
    fc.constantFrom(
      "a",
      " ",
      "你",
      "好",
      "😀",
      "👨‍👩‍👧",
      "🇨🇳",
      "\u0301",
      "\u200d",
      "e",
    ),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 4 }),
  ).map((text): KeyEvent => ({ type: "char", text })),
);

Deno.test("LineEditor.handle() keeps the cursor within [0, graphemes] for any keys", () => {
  fc.assert(
    fc.property(fc.array(keyEvent, { maxLength: 60 }), (events) => {
      const editor = new LineEditor({ maxHistory: 5 });
      for (const event of events) {
        editor.handle(event);
        const length = graphemes(editor.buffer).length;
        assert.ok(editor.cursor >= 0 && editor.cursor <= length);
      }
    }),
  );
});

Deno.test("LineEditor.render() stays within columns - 1 with the cursor on its cluster", () => {
  fc.assert(
    fc.property(
      fc.array(keyEvent, { maxLength: 40 }),
      fc.integer({ min: 1, max: 30 }),
      fc.constantFrom("> ", "", "张三> "),
      (events, columns, prompt) => {
        const editor = new LineEditor({ prompt });
        for (const event of events) {
          editor.handle(event);
          const { visible, column } = parseRender(editor.render(columns));
          const width = stringWidth(visible);
          assert.ok(width <= columns - 1, `width ${width} in ${columns}`);
          assert.ok(column <= columns - 1);
          // The window shows the buffer from some cluster `from` on, and
          // the cursor column is the width of the clusters before it.
          const chars = graphemes(editor.buffer);
          const promptShown = columns - 1 - stringWidth(prompt) >= 2
            ? prompt
            : "";
          assert.ok(visible.startsWith(promptShown));
          const rest = visible.slice(promptShown.length);
          const cursor = editor.cursor;
          const under = cursor < chars.length ? chars[cursor]! : "";
          const fits = graphemeWidth(under) <= columns - 1 -
              stringWidth(promptShown);
          let found = false;
          for (let from = 0; from <= cursor && !found; from++) {
            const before = chars.slice(from, cursor);
            const shownBefore = before.join("") + (fits ? under : "");
            found = rest.startsWith(shownBefore) &&
              column === stringWidth(promptShown) +
                  before.reduce((n, g) => n + graphemeWidth(g), 0);
          }
          assert.ok(found, `cursor misplaced in ${JSON.stringify(visible)}`);
        }
      },
    ),
  );
});
