import assert from "node:assert/strict";
import fc from "fast-check";
import { KeyDecoder, type KeyEvent } from "../../lib/terminal/key_decoder.ts";

const encoder = new TextEncoder();

function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes `chunks` with one decoder, pushing each in turn. */
function decode(...chunks: (string | Uint8Array)[]): KeyEvent[] {
  const decoder = new KeyDecoder();
  return chunks.flatMap((chunk) =>
    decoder.push(typeof chunk === "string" ? bytes(chunk) : chunk)
  );
}

/** Joins adjacent `char` events, whose grouping depends on the chunking. */
function mergeText(events: KeyEvent[]): KeyEvent[] {
  const merged: KeyEvent[] = [];
  for (const event of events) {
    const last = merged.at(-1);
    if (event.type === "char" && last?.type === "char") {
      merged[merged.length - 1] = {
        type: "char",
        text: last.text + event.text,
      };
    } else {
      merged.push(event);
    }
  }
  return merged;
}

/** Splits `data` at the given cut points. */
function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => cut % (data.length + 1)))]
    .sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(data.subarray(start, point));
    start = point;
  }
  chunks.push(data.subarray(start));
  return chunks;
}

Deno.test("KeyDecoder.push() decodes text as char events", () => {
  assert.deepEqual(decode("hi 你好 👋"), [{
    type: "char",
    text: "hi 你好 👋",
  }]);
  assert.deepEqual(decode(""), []);
});

Deno.test("KeyDecoder.push() decodes control keys", async (t) => {
  const cases: [string, KeyEvent["type"]][] = [
    ["\r", "enter"],
    ["\n", "enter"],
    ["\x7f", "backspace"],
    ["\x08", "backspace"],
    ["\x03", "ctrl_c"],
    ["\x04", "ctrl_d"],
    ["\x15", "ctrl_u"],
    ["\x01", "ctrl_a"],
    ["\x05", "ctrl_e"],
    ["\x0b", "ctrl_k"],
    ["\x17", "ctrl_w"],
    ["\x0c", "ctrl_l"],
    ["\t", "tab"],
    ["\x02", "left"],
    ["\x06", "right"],
    ["\x10", "up"],
    ["\x0e", "down"],
  ];
  for (const [input, type] of cases) {
    await t.step(JSON.stringify(input), () => {
      assert.deepEqual(decode(input), [{ type }]);
    });
  }
});

Deno.test("KeyDecoder.push() decodes editing escape sequences", async (t) => {
  const cases: [string, KeyEvent["type"]][] = [
    ["\x1b[A", "up"],
    ["\x1b[B", "down"],
    ["\x1b[C", "right"],
    ["\x1b[D", "left"],
    ["\x1b[H", "home"],
    ["\x1b[F", "end"],
    ["\x1b[1~", "home"],
    ["\x1b[7~", "home"],
    ["\x1b[4~", "end"],
    ["\x1b[8~", "end"],
    ["\x1b[3~", "delete"],
    ["\x1b[3;5~", "delete"],
    ["\x1bOA", "up"],
    ["\x1bOB", "down"],
    ["\x1bOC", "right"],
    ["\x1bOD", "left"],
    ["\x1bOH", "home"],
    ["\x1bOF", "end"],
    ["\x1b[1;5D", "left"],
    ["\x1b[1;2C", "right"],
  ];
  for (const [input, type] of cases) {
    await t.step(JSON.stringify(input), () => {
      assert.deepEqual(decode(input), [{ type }]);
    });
  }
});

Deno.test("KeyDecoder.push() swallows unknown escape sequences", async (t) => {
  const cases = [
    "\x1b[2~", // Insert
    "\x1b[5~", // Page Up
    "\x1b[15~", // F5
    "\x1bOP", // F1
    "\x1b[[A", // F1 on the Linux console
    "\x1b[Z", // Shift+Tab
    "\x1b[200~", // bracketed paste start
    "\x1b[12;40R", // cursor position report
    "\x1b[<0;10;5M", // SGR mouse report
    "\x1b[?1;2c", // device attributes
    "\x1bx", // Alt+x
    "\x1b\x7f", // Alt+Backspace
    `\x1b[${"1;".repeat(40)}D`, // overlong
  ];
  for (const input of cases) {
    await t.step(JSON.stringify(input), () => {
      assert.deepEqual(decode(`a${input}b`), [
        { type: "char", text: "a" },
        { type: "char", text: "b" },
      ]);
    });
  }
});

Deno.test("KeyDecoder.push() counts \\r\\n as one enter", () => {
  assert.deepEqual(decode("a\r\nb"), [
    { type: "char", text: "a" },
    { type: "enter" },
    { type: "char", text: "b" },
  ]);
  assert.deepEqual(decode("\r", "\n"), [{ type: "enter" }]);
  assert.deepEqual(decode("\r\r\n\n"), [
    { type: "enter" },
    { type: "enter" },
    { type: "enter" },
  ]);
  assert.deepEqual(decode("\n\r"), [{ type: "enter" }, { type: "enter" }]);
});

Deno.test("KeyDecoder.push() joins an escape sequence split across pushes", () => {
  const decoder = new KeyDecoder();
  assert.deepEqual(decoder.push(bytes("\x1b")), []);
  assert.equal(decoder.pending, true);
  assert.deepEqual(decoder.push(bytes("[D")), [{ type: "left" }]);
  assert.equal(decoder.pending, false);
  assert.deepEqual(decode("\x1b[", "3", "~"), [{ type: "delete" }]);
  assert.deepEqual(decode("\x1bO", "H"), [{ type: "home" }]);
});

Deno.test("KeyDecoder.push() joins a UTF-8 character split across pushes", () => {
  const data = bytes("你😀");
  assert.deepEqual(
    mergeText(
      decode(data.subarray(0, 1), data.subarray(1, 5), data.subarray(5)),
    ),
    [
      { type: "char", text: "你😀" },
    ],
  );
  const decoder = new KeyDecoder();
  assert.deepEqual(decoder.push(data.subarray(0, 2)), []);
  assert.deepEqual(decoder.push(data.subarray(2, 3)), [
    { type: "char", text: "你" },
  ]);
});

Deno.test("KeyDecoder.push() turns invalid UTF-8 into U+FFFD", () => {
  assert.deepEqual(decode(new Uint8Array([0x61, 0xff, 0x62])), [
    { type: "char", text: "a\uFFFDb" },
  ]);
  // A control byte cannot continue a character split at the end of a push.
  assert.deepEqual(
    decode(new Uint8Array([0xe4, 0xbd]), new Uint8Array([0x0d])),
    [
      { type: "char", text: "\uFFFD" },
      { type: "enter" },
    ],
  );
});

Deno.test("KeyDecoder.push() drops C1 control characters from text", () => {
  assert.deepEqual(decode("a\u009b31mb"), [{ type: "char", text: "a31mb" }]);
  assert.deepEqual(decode("\u0085"), []);
});

Deno.test("KeyDecoder.push() swallows other control bytes", () => {
  assert.deepEqual(decode("\x00\x1a\x1c\x07"), []);
});

Deno.test("KeyDecoder.flush() turns a lone ESC into an escape event", () => {
  const decoder = new KeyDecoder();
  assert.deepEqual(decoder.push(bytes("a\x1b")), [{ type: "char", text: "a" }]);
  assert.deepEqual(decoder.flush(), [{ type: "escape" }]);
  assert.equal(decoder.pending, false);
  assert.deepEqual(decoder.flush(), []);
  assert.deepEqual(decoder.push(bytes("[D")), [{ type: "char", text: "[D" }]);
});

Deno.test("KeyDecoder.flush() drops an unfinished sequence", () => {
  const decoder = new KeyDecoder();
  assert.deepEqual(decoder.push(bytes("\x1b[1")), []);
  assert.deepEqual(decoder.flush(), []);
  assert.deepEqual(decoder.push(bytes("x")), [{ type: "char", text: "x" }]);
});

Deno.test("KeyDecoder.push() reads ESC before a key as a lone escape", () => {
  assert.deepEqual(decode("\x1b\x1b[A"), [{ type: "escape" }, { type: "up" }]);
  assert.deepEqual(decode("\x1b\x03"), [{ type: "escape" }, {
    type: "ctrl_c",
  }]);
  assert.deepEqual(decode("\x1b你"), [
    { type: "escape" },
    { type: "char", text: "你" },
  ]);
});

Deno.test("KeyDecoder.push() ends a sequence broken by a control byte", () => {
  assert.deepEqual(decode("\x1b[1\x03x"), [
    { type: "ctrl_c" },
    { type: "char", text: "x" },
  ]);
  assert.deepEqual(decode("\x1b[\x1b[B"), [{ type: "down" }]);
});

Deno.test("KeyDecoder.push() never throws on arbitrary bytes", () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 16 })), (chunks) => {
      const decoder = new KeyDecoder();
      for (const chunk of chunks) {
        for (const event of decoder.push(chunk)) {
          if (event.type === "char") {
            assert.ok(event.text.length > 0);
            // deno-lint-ignore no-control-regex -- checking for control characters
            assert.doesNotMatch(event.text, /[\u0000-\u001f\u007f-\u009f]/);
          }
        }
      }
      decoder.flush();
    }),
  );
});

Deno.test("KeyDecoder.push() gives the same events for any chunking", () => {
  // Bytes biased towards escape sequences, controls and UTF-8 characters.
  const piece = fc.oneof(
    fc.uint8Array({ maxLength: 4 }),
    fc.constantFrom(
      ..."\x1b[A|\x1b[3~|\x1bOD|\x1b[1;5C|\r\n|\r|\n|你|😀|\x7f|\x1b[200~|a|\x1bx"
        .split("|"),
    ).map(bytes),
  );
  fc.assert(
    fc.property(
      fc.array(piece, { maxLength: 20 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (pieces, cuts) => {
        const data = new Uint8Array(pieces.flatMap((p) => [...p]));
        const whole = mergeText(decode(data));
        const chunked = mergeText(decode(...split(data, cuts)));
        assert.deepEqual(chunked, whole);
      },
    ),
  );
});
