import assert from "node:assert/strict";
import fc from "fast-check";
import { graphemes } from "../../lib/terminal/display_width.ts";
import type { KeyEvent } from "../../lib/terminal/key_decoder.ts";
import {
  MaskedInput,
  type MaskedInputResult,
} from "../../lib/terminal/masked_input.ts";

function typeText(input: MaskedInput, text: string): MaskedInputResult {
  return input.handle({ type: "char", text });
}

Deno.test("MaskedInput.handle() echoes one star per grapheme", async (t) => {
  const cases: [string, string][] = [
    ["ASCII", "abc"],
    ["CJK", "密码"],
    ["emoji", "😀"],
    ["ZWJ family", "👨‍👩‍👧"],
    ["flags", "🇨🇳🇯🇵"],
    ["letter with accent", "e\u0301"],
  ];
  for (const [name, text] of cases) {
    await t.step(name, () => {
      const input = new MaskedInput();
      const stars = "*".repeat(graphemes(text).length);
      assert.deepEqual(typeText(input, text), { type: "echo", output: stars });
      assert.equal(input.length, graphemes(text).length);
    });
  }
});

Deno.test("MaskedInput.handle() adds no star for a mark joining the last character", () => {
  const input = new MaskedInput();
  assert.deepEqual(typeText(input, "e"), { type: "echo", output: "*" });
  assert.deepEqual(typeText(input, "\u0301"), { type: "echo", output: "" });
  assert.equal(input.length, 1);
});

Deno.test("MaskedInput.handle() erases the last grapheme on backspace", () => {
  const input = new MaskedInput();
  typeText(input, "ab你👨‍👩‍👧");
  assert.deepEqual(input.handle({ type: "backspace" }), {
    type: "echo",
    output: "\b \b",
  });
  assert.deepEqual(input.handle({ type: "backspace" }), {
    type: "echo",
    output: "\b \b",
  });
  assert.equal(input.length, 2);
  assert.deepEqual(input.handle({ type: "enter" }), {
    type: "done",
    value: "ab",
    output: "\r\n",
  });
});

Deno.test("MaskedInput.handle() echoes nothing for backspace on empty input", () => {
  const input = new MaskedInput();
  assert.deepEqual(input.handle({ type: "backspace" }), {
    type: "echo",
    output: "",
  });
  typeText(input, "x");
  input.handle({ type: "backspace" });
  assert.deepEqual(input.handle({ type: "backspace" }), {
    type: "echo",
    output: "",
  });
});

Deno.test("MaskedInput.handle() finishes on Enter and starts over", () => {
  const input = new MaskedInput();
  typeText(input, "secret 密码");
  assert.deepEqual(input.handle({ type: "enter" }), {
    type: "done",
    value: "secret 密码",
    output: "\r\n",
  });
  assert.equal(input.length, 0);
  assert.deepEqual(input.handle({ type: "enter" }), {
    type: "done",
    value: "",
    output: "\r\n",
  });
});

Deno.test("MaskedInput.handle() cancels on Ctrl+C", () => {
  const input = new MaskedInput();
  typeText(input, "abc");
  assert.deepEqual(input.handle({ type: "ctrl_c" }), {
    type: "cancel",
    output: "^C\r\n",
  });
  assert.equal(input.length, 0);
});

Deno.test("MaskedInput.handle() cancels on Ctrl+D only when empty", () => {
  const input = new MaskedInput();
  typeText(input, "a");
  assert.deepEqual(input.handle({ type: "ctrl_d" }), {
    type: "echo",
    output: "",
  });
  input.handle({ type: "backspace" });
  assert.deepEqual(input.handle({ type: "ctrl_d" }), {
    type: "cancel",
    output: "\r\n",
  });
});

Deno.test("MaskedInput.handle() erases everything on Ctrl+U", () => {
  const input = new MaskedInput();
  typeText(input, "你好!");
  assert.deepEqual(input.handle({ type: "ctrl_u" }), {
    type: "echo",
    output: "\b \b\b \b\b \b",
  });
  assert.equal(input.length, 0);
});

Deno.test("MaskedInput.handle() ignores other keys", async (t) => {
  const keys = [
    "left",
    "right",
    "up",
    "down",
    "home",
    "end",
    "delete",
    "tab",
    "escape",
    "ctrl_l",
    "ctrl_w",
  ] as const;
  for (const key of keys) {
    await t.step(key, () => {
      const input = new MaskedInput();
      typeText(input, "ab");
      assert.deepEqual(input.handle({ type: key }), {
        type: "echo",
        output: "",
      });
      assert.equal(input.length, 2);
    });
  }
  await t.step("control characters in text", () => {
    const input = new MaskedInput();
    assert.deepEqual(typeText(input, "\x1b\x00"), { type: "echo", output: "" });
    assert.deepEqual(typeText(input, "a\x1bb"), { type: "echo", output: "**" });
  });
});

Deno.test("MaskedInput.handle() shows as many stars as graphemes held", () => {
  const event: fc.Arbitrary<KeyEvent> = fc.oneof(
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 3 }).map((
      text,
    ): KeyEvent => ({ type: "char", text })),
    fc.constant<KeyEvent>({ type: "backspace" }),
    fc.constant<KeyEvent>({ type: "ctrl_u" }),
    fc.constant<KeyEvent>({ type: "left" }),
  );
  fc.assert(
    fc.property(fc.array(event, { maxLength: 30 }), (events) => {
      const input = new MaskedInput();
      let stars = 0;
      let typed = "";
      for (const e of events) {
        const result = input.handle(e);
        assert.equal(result.type, "echo");
        stars += result.output.split("*").length - 1;
        stars -= result.output.split("\b \b").length - 1;
        if (e.type === "char") typed += e.text;
        assert.equal(stars, input.length);
      }
      const done = input.handle({ type: "enter" });
      assert.equal(done.type, "done");
      if (done.type === "done") {
        assert.equal(graphemes(done.value).length, stars);
      }
      assert.ok(typed.length >= 0);
    }),
  );
});
