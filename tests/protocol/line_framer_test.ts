import assert from "node:assert/strict";
import fc from "fast-check";
import {
  encodeLine,
  type FramedLine,
  FramingError,
  type FramingErrorCode,
  LineFramer,
} from "../../lib/protocol/line_framer.ts";
import { MAX_LINE_BYTES } from "../../lib/protocol/protocol.ts";

const SEED = 20260101;
const encoder = new TextEncoder();

type Outcome = string | { error: FramingErrorCode };

function bytes(...parts: (string | number[])[]): Uint8Array {
  const arrays = parts.map((part) =>
    typeof part === "string" ? encoder.encode(part) : new Uint8Array(part)
  );
  return concat(arrays);
}

function concat(arrays: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(arrays.reduce((sum, a) => sum + a.length, 0));
  let offset = 0;
  for (const array of arrays) {
    out.set(array, offset);
    offset += array.length;
  }
  return out;
}

function outcomes(results: FramedLine[]): Outcome[] {
  return results.map((result) => {
    if (result.ok) return result.line;
    assert.ok(result.error instanceof FramingError);
    assert.equal(result.error.name, "FramingError");
    return { error: result.error.code };
  });
}

/** Pushes every chunk, then ends the stream; checks the memory bound. */
function frame(
  chunks: Uint8Array[],
  options?: { maxLineBytes?: number },
): Outcome[] {
  const framer = new LineFramer(options);
  const results: FramedLine[] = [];
  for (const chunk of chunks) {
    results.push(...framer.push(chunk));
    assert.ok(framer.pendingBytes <= framer.maxLineBytes);
  }
  results.push(...framer.end());
  assert.equal(framer.pendingBytes, 0);
  return outcomes(results);
}

/** Splits `data` at the given cut points (taken modulo its length). */
function split(data: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [
    ...new Set(cuts.map((cut) => data.length === 0 ? 0 : cut % data.length)),
  ].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(data.subarray(start, point));
    start = point;
  }
  chunks.push(data.subarray(start));
  return chunks;
}

/** An independent model of the framer: split the whole stream at once. */
function model(data: Uint8Array, maxLineBytes: number): Outcome[] {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const result: Outcome[] = [];
  const segments: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0x0a) {
      segments.push(data.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < data.length) segments.push(data.subarray(start));
  for (const segment of segments) {
    const line = segment[segment.length - 1] === 0x0d
      ? segment.subarray(0, segment.length - 1)
      : segment;
    if (line.length > maxLineBytes) {
      result.push({ error: "line_too_long" });
      continue;
    }
    try {
      result.push(decoder.decode(line));
    } catch {
      result.push({ error: "invalid_utf8" });
    }
  }
  return result;
}

// Byte streams rich in the bytes that matter: line endings, UTF-8 lead and
// continuation bytes, invalid bytes, and real multi-byte text.
const streamArbitrary = fc
  .array(
    fc.oneof(
      fc.constantFrom("\n", "\r\n", "\r", "é", "张", "😀", "ok").map((s) =>
        encoder.encode(s)
      ),
      fc.string({ unit: "binary", maxLength: 6 }).map((s) => encoder.encode(s)),
      fc.uint8Array({ maxLength: 6 }),
      fc.constantFrom(0x0a, 0x0d, 0xc3, 0xa9, 0xe5, 0x80, 0xff, 0xf0).map((
        b,
      ) => new Uint8Array([b])),
    ),
    { maxLength: 60, size: "medium" },
  )
  .map(concat);

const cutsArbitrary = fc.array(fc.nat(), { maxLength: 30 });

Deno.test("LineFramer.push() splits lines on \\n", async (t) => {
  const cases: [string, string[], Outcome[]][] = [
    ["one line in one chunk", ["hello\n"], ["hello"]],
    ["several lines in one chunk", ["a\nb\nc\n"], ["a", "b", "c"]],
    ["a line split across chunks", ["he", "llo\nwor", "ld\n"], [
      "hello",
      "world",
    ]],
    ["empty lines", ["\n\n"], ["", ""]],
    ["no line yet", ["partial"], ["partial"]],
    ["spaces and tabs are kept", ["  a\tb  \n"], ["  a\tb  "]],
    ["empty chunks are harmless", ["", "a", "", "\n", ""], ["a"]],
  ];
  for (const [name, chunks, expected] of cases) {
    await t.step(name, () => {
      assert.deepEqual(frame(chunks.map((c) => bytes(c))), expected);
    });
  }
});

Deno.test("LineFramer.push() drops a \\r before \\n", async (t) => {
  const cases: [string, string[], Outcome[]][] = [
    ["CRLF", ["a\r\n"], ["a"]],
    ["CRLF split between chunks", ["a\r", "\n"], ["a"]],
    ["only one \\r is dropped", ["a\r\r\n"], ["a\r"]],
    ["only one \\r is dropped across chunks", ["a", "\r", "\r", "\n"], [
      "a\r",
    ]],
    ["a \\r inside a line is kept", ["a\rb\n"], ["a\rb"]],
    ["a held \\r followed by text is kept", ["a\r", "b\n"], ["a\rb"]],
    ["a lone CRLF is an empty line", ["\r\n"], [""]],
    ["a lone \\r then \\n is an empty line", ["\r", "\n"], [""]],
    ["a \\r held at the start of a line", ["\r", "x\n"], ["\rx"]],
    ["a \\r held at the start of a later line", ["ok\n\r", "x\n"], [
      "ok",
      "\rx",
    ]],
    ["mixed endings", ["x\r\ny\nz\r\n"], ["x", "y", "z"]],
  ];
  for (const [name, chunks, expected] of cases) {
    await t.step(name, () => {
      assert.deepEqual(frame(chunks.map((c) => bytes(c))), expected);
    });
  }
});

Deno.test(
  "LineFramer.push() decodes a multi-byte character split across chunks",
  async (t) => {
    for (const text of ["é", "张三", "😀", "👍🏽 ok", "a€b"]) {
      await t.step(text, () => {
        const data = bytes(`${text}\n`);
        for (let cut = 0; cut <= data.length; cut++) {
          assert.deepEqual(frame([data.subarray(0, cut), data.subarray(cut)]), [
            text,
          ]);
        }
        // One byte at a time.
        const single = [...data].map((b) => new Uint8Array([b]));
        assert.deepEqual(frame(single), [text]);
      });
    }
  },
);

Deno.test("LineFramer.push() reports invalid UTF-8 and continues", async (t) => {
  const cases: [string, Uint8Array, Outcome[]][] = [
    ["a stray 0xFF", bytes([0xff], "\nok\n"), [
      { error: "invalid_utf8" },
      "ok",
    ]],
    ["a lone continuation byte", bytes("a", [0x80], "\nok\n"), [
      { error: "invalid_utf8" },
      "ok",
    ]],
    ["an overlong encoding of NUL", bytes([0xc0, 0x80], "\nok\n"), [
      { error: "invalid_utf8" },
      "ok",
    ]],
    ["an encoded surrogate", bytes([0xed, 0xa0, 0x80], "\nok\n"), [
      { error: "invalid_utf8" },
      "ok",
    ]],
    ["a character cut by the line end", bytes("a", [0xe5, 0xbc], "\nok\n"), [
      { error: "invalid_utf8" },
      "ok",
    ]],
    ["a bad line between good ones", bytes("a\n", [0xfe], "\r\nb\n"), [
      "a",
      { error: "invalid_utf8" },
      "b",
    ]],
  ];
  for (const [name, data, expected] of cases) {
    await t.step(name, () => {
      assert.deepEqual(frame([data]), expected);
      assert.deepEqual(frame(split(data, [1, 2, 3])), expected);
    });
  }

  await t.step("the error is a typed FramingError with a cause", () => {
    const [result] = new LineFramer().push(bytes([0xff], "\n"));
    assert.ok(result !== undefined && !result.ok);
    assert.ok(result.error instanceof FramingError);
    assert.ok(result.error instanceof Error);
    assert.equal(result.error.name, "FramingError");
    assert.equal(result.error.code, "invalid_utf8");
    assert.equal(
      result.error.message,
      "Cannot decode line: line is not valid UTF-8",
    );
    assert.ok(result.error.cause instanceof TypeError);
  });
});

Deno.test(
  "LineFramer.push() reports an over-long line once and resumes",
  async (t) => {
    const cases: [string, string[], Outcome[]][] = [
      ["in one chunk", ["12345\nok\n"], [{ error: "line_too_long" }, "ok"]],
      ["across chunks", ["123", "45", "678", "9\nok\n"], [
        { error: "line_too_long" },
        "ok",
      ]],
      ["the tail overflows, the rest comes later", ["12345", "6", "\nok\n"], [
        { error: "line_too_long" },
        "ok",
      ]],
      ["exactly the limit is fine", ["1234\n"], ["1234"]],
      ["the limit excludes CRLF", ["1234\r\n"], ["1234"]],
      ["the limit excludes a held \\r", ["1234\r", "\n"], ["1234"]],
      ["a held \\r that is content counts", ["1234\r", "x\n", "ok\n"], [
        { error: "line_too_long" },
        "ok",
      ]],
      ["the limit counts bytes, not characters", ["éé\néé!\n"], [
        "éé",
        { error: "line_too_long" },
      ]],
      ["two over-long lines give two errors", ["aaaaa\nbbbbb\nc\n"], [
        { error: "line_too_long" },
        { error: "line_too_long" },
        "c",
      ]],
      ["over-long and unterminated at the end", ["ok\n123456"], [
        "ok",
        { error: "line_too_long" },
      ]],
    ];
    for (const [name, chunks, expected] of cases) {
      await t.step(name, () => {
        assert.deepEqual(
          frame(chunks.map((c) => bytes(c)), { maxLineBytes: 4 }),
          expected,
        );
      });
    }

    await t.step("a megabyte without \\n is held in bounded memory", () => {
      const framer = new LineFramer();
      const chunk = new Uint8Array(64 * 1024).fill(0x61);
      const results: FramedLine[] = [];
      for (let i = 0; i < 16; i++) {
        results.push(...framer.push(chunk));
        assert.equal(framer.pendingBytes, 0);
      }
      results.push(...framer.push(bytes("tail\nnext\n")));
      assert.deepEqual(outcomes(results), [
        { error: "line_too_long" },
        "next",
      ]);
      const [first] = results;
      assert.ok(first !== undefined && !first.ok);
      assert.equal(
        first.error.message,
        `Cannot accept line: line is longer than ${MAX_LINE_BYTES} bytes`,
      );
    });
  },
);

Deno.test("LineFramer.end() flushes an unterminated line", async (t) => {
  const cases: [string, Uint8Array[], Outcome[]][] = [
    ["a plain tail", [bytes("abc")], ["abc"]],
    ["a tail ending in \\r", [bytes("abc\r")], ["abc"]],
    ["a lone \\r", [bytes("\r")], [""]],
    ["nothing pending", [bytes("abc\n")], ["abc"]],
    ["an empty stream", [], []],
    ["an invalid tail", [bytes("a", [0xe5])], [{ error: "invalid_utf8" }]],
  ];
  for (const [name, chunks, expected] of cases) {
    await t.step(name, () => {
      assert.deepEqual(frame(chunks), expected);
    });
  }

  await t.step("the framer can be reused after end()", () => {
    const framer = new LineFramer({ maxLineBytes: 2 });
    assert.deepEqual(outcomes(framer.push(bytes("abc"))), [
      { error: "line_too_long" },
    ]);
    assert.deepEqual(framer.end(), []);
    // No longer discarding: the next stream starts with a fresh line.
    assert.deepEqual(outcomes(framer.push(bytes("ok\n"))), ["ok"]);
    assert.deepEqual(framer.end(), []);
  });
});

Deno.test("LineFramer.pendingBytes counts the unfinished line", () => {
  const framer = new LineFramer({ maxLineBytes: 8 });
  assert.equal(framer.pendingBytes, 0);
  framer.push(bytes("abc"));
  assert.equal(framer.pendingBytes, 3);
  // A final \r may be the line ending, so it is not counted yet.
  framer.push(bytes("\r"));
  assert.equal(framer.pendingBytes, 3);
  framer.push(bytes("d"));
  assert.equal(framer.pendingBytes, 5);
  framer.push(bytes("\nxy"));
  assert.equal(framer.pendingBytes, 2);
  framer.push(bytes("z".repeat(10)));
  assert.equal(framer.pendingBytes, 0);
});

Deno.test("LineFramer.push() does not retain the chunk", () => {
  const framer = new LineFramer();
  const chunk = bytes("abc");
  assert.deepEqual(framer.push(chunk), []);
  chunk.fill(0x78);
  assert.deepEqual(outcomes(framer.push(bytes("\n"))), ["abc"]);
});

Deno.test("LineFramer.push() keeps a byte order mark", () => {
  assert.deepEqual(frame([bytes("\ufeffa\n\ufeffb\n")]), [
    "\ufeffa",
    "\ufeffb",
  ]);
});

Deno.test("LineFramer constructor validates maxLineBytes", async (t) => {
  await t.step("defaults to MAX_LINE_BYTES", () => {
    assert.equal(new LineFramer().maxLineBytes, MAX_LINE_BYTES);
    assert.equal(new LineFramer({}).maxLineBytes, 8192);
  });
  for (const value of [0, -1, 1.5, Number.NaN, Infinity]) {
    await t.step(`rejects ${value}`, () => {
      assert.throws(() => new LineFramer({ maxLineBytes: value }), RangeError);
    });
  }
});

Deno.test("encodeLine() appends \\n", async (t) => {
  await t.step("encodes UTF-8", () => {
    assert.deepEqual(encodeLine(""), bytes("\n"));
    assert.deepEqual(encodeLine("张三 😀"), bytes("张三 😀\n"));
  });
  for (const line of ["a\nb", "a\r", "\r\n"]) {
    await t.step(`rejects ${JSON.stringify(line)}`, () => {
      assert.throws(() => encodeLine(line), TypeError);
    });
  }
  await t.step("round-trips through LineFramer", () => {
    const lines = ["LOGIN 张三 pw", "", " x "];
    assert.deepEqual(frame(lines.map(encodeLine)), lines);
  });
});

Deno.test(
  "LineFramer.push() yields the same results for any chunking",
  () => {
    fc.assert(
      fc.property(
        streamArbitrary,
        cutsArbitrary,
        fc.integer({ min: 1, max: 12 }),
        (data, cuts, maxLineBytes) => {
          assert.deepEqual(
            frame(split(data, cuts), { maxLineBytes }),
            frame([data], { maxLineBytes }),
          );
        },
      ),
      { seed: SEED, numRuns: 1000 },
    );
  },
);

Deno.test("LineFramer.push() matches a whole-stream model", () => {
  fc.assert(
    fc.property(
      streamArbitrary,
      cutsArbitrary,
      fc.integer({ min: 1, max: 12 }),
      (data, cuts, maxLineBytes) => {
        const expected = model(data, maxLineBytes);
        assert.deepEqual(frame(split(data, cuts), { maxLineBytes }), expected);
        // One byte per chunk puts a chunk boundary everywhere.
        const single = [...data].map((b) => new Uint8Array([b]));
        assert.deepEqual(frame(single, { maxLineBytes }), expected);
      },
    ),
    { seed: SEED, numRuns: 1000 },
  );
});

Deno.test("LineFramer.push() returns valid UTF-8 lines unchanged", () => {
  const lineArbitrary = fc
    .string({ unit: "binary", maxLength: 20 })
    .map((s) => s.replaceAll("\n", " ").replace(/\r$/, ""));
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(lineArbitrary, fc.constantFrom("\n", "\r\n")),
        { maxLength: 10 },
      ),
      cutsArbitrary,
      (lines, cuts) => {
        const data = bytes(
          lines.map(([line, ending]) => line + ending).join(""),
        );
        assert.deepEqual(
          frame(split(data, cuts)),
          lines.map(([line]) => line),
        );
      },
    ),
    { seed: SEED, numRuns: 300 },
  );
});

Deno.test(
  "LineFramer.push() never throws and bounds memory for arbitrary bytes",
  () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 32 }),
        (chunks, maxLineBytes) => {
          const framer = new LineFramer({ maxLineBytes });
          const results: FramedLine[] = [];
          for (const chunk of chunks) {
            results.push(...framer.push(chunk));
            assert.ok(framer.pendingBytes <= maxLineBytes);
          }
          results.push(...framer.end());
          for (const result of results) {
            if (result.ok) {
              assert.equal(typeof result.line, "string");
              assert.ok(!result.line.includes("\n"));
            } else {
              assert.ok(result.error instanceof FramingError);
              assert.ok(
                result.error.code === "line_too_long" ||
                  result.error.code === "invalid_utf8",
              );
            }
          }
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  },
);
