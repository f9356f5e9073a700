/**
 * Tests of `TtyIo` and `LineIo` with fake input (byte chunks pushed into an
 * async iterable) and a `write` that captures everything written.
 *
 * @module
 */

import assert from "node:assert/strict";
import { LineIo, TtyIo } from "../../lib/terminal/terminal_io.ts";

const encoder = new TextEncoder();

/** An async iterable of byte chunks that a test pushes into, then ends. */
class FakeInput implements AsyncIterable<Uint8Array> {
  #chunks: Uint8Array[] = [];
  #ended = false;
  #wake: (() => void) | undefined;

  /** Queues one chunk (a string is UTF-8 encoded). */
  push(chunk: string | Uint8Array): void {
    this.#chunks.push(
      typeof chunk === "string" ? encoder.encode(chunk) : chunk,
    );
    this.#notify();
  }

  /** Ends the input (like Ctrl+D on a pipe, or stdin closing). */
  end(): void {
    this.#ended = true;
    this.#notify();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    while (true) {
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) {
        yield chunk;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** Collects what the console writes; `take()` returns and clears it. */
class Output {
  text = "";
  readonly write = (chunk: string): void => {
    this.text += chunk;
  };

  take(): string {
    const text = this.text;
    this.text = "";
    return text;
  }
}

/** Lets the console's input pump handle everything pushed so far. */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** Whether `promise` has settled by now (after the pump has run). */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  const pending = Symbol("pending");
  await settle();
  return await Promise.race([promise, Promise.resolve(pending)]) !== pending;
}

function setup(options: { onClose?: () => void } = {}) {
  const input = new FakeInput();
  const out = new Output();
  const io = new TtyIo({
    input,
    write: out.write,
    columns: () => 80,
    onClose: options.onClose,
  });
  return {
    input,
    out,
    io,
    [Symbol.dispose]() {
      io.close();
      input.end();
    },
  };
}

function setupLines() {
  const input = new FakeInput();
  const out = new Output();
  const io = new LineIo({ input, write: out.write });
  return {
    input,
    out,
    io,
    [Symbol.dispose]() {
      io.close();
      input.end();
    },
  };
}

Deno.test("TtyIo.ask() echoes typed text through the line editor and resolves on Enter", async () => {
  using tty = setup();
  const answer = tty.io.ask("用户名: ");
  // The prompt is 8 columns wide ("用户名" is 6).
  assert.equal(tty.out.take(), "\r用户名: \x1b[K\r\x1b[8C");
  tty.input.push("小王");
  await settle();
  assert.equal(tty.out.take(), "\r用户名: 小王\x1b[K\r\x1b[12C");
  assert.equal(await isSettled(answer), false);
  tty.input.push("\r");
  assert.equal(await answer, "小王");
  // The answer stays on screen; the cursor moves to the next line.
  assert.equal(tty.out.take(), "\r\n");
});

Deno.test("TtyIo.ask() applies Backspace and handles \\r\\n as one Enter", async () => {
  using tty = setup();
  const first = tty.io.ask("Q: ");
  tty.input.push("abx\x7f\r\n");
  assert.equal(await first, "ab");
  // The \n of \r\n is not a second, empty answer.
  const second = tty.io.ask("Q: ");
  tty.input.push("cd\r");
  assert.equal(await second, "cd");
});

Deno.test("TtyIo.ask() resolves undefined on Ctrl+C", async () => {
  using tty = setup();
  const answer = tty.io.ask("Q: ");
  tty.input.push("abc\x03");
  assert.equal(await answer, undefined);
  assert.ok(tty.out.text.endsWith("^C\r\n"), JSON.stringify(tty.out.text));
});

Deno.test("TtyIo.askSecret() echoes one * per grapheme and never the secret", async () => {
  using tty = setup();
  const secret = tty.io.askSecret("密码: ");
  assert.equal(tty.out.take(), "密码: ");
  tty.input.push("ab");
  await settle();
  assert.equal(tty.out.take(), "**");
  tty.input.push("密码");
  await settle();
  assert.equal(tty.out.take(), "**", "one star per CJK character");
  tty.input.push("👨‍👩‍👧");
  await settle();
  assert.equal(tty.out.take(), "*", "one star for a ZWJ emoji sequence");
  tty.input.push("🎉");
  await settle();
  assert.equal(tty.out.take(), "*");
  tty.input.push("\x7f");
  await settle();
  assert.equal(tty.out.take(), "\b \b", "Backspace erases one star");
  assert.equal(await isSettled(secret), false);
  tty.input.push("\r");
  assert.equal(await secret, "ab密码👨‍👩‍👧");
  assert.equal(tty.out.take(), "\r\n");
});

Deno.test("TtyIo.askSecret() resolves undefined on Ctrl+C", async () => {
  using tty = setup();
  const secret = tty.io.askSecret("密码: ");
  tty.input.push("hunter2\x03");
  assert.equal(await secret, undefined);
  assert.equal(tty.out.take(), "密码: *******^C\r\n");
  // The next question starts fresh.
  const next = tty.io.askSecret("密码: ");
  tty.input.push("ok\r");
  assert.equal(await next, "ok");
});

Deno.test("TtyIo.print() during askSecret() reprints the prompt and the stars", async () => {
  using tty = setup();
  const secret = tty.io.askSecret("密码: ");
  tty.input.push("abc");
  await settle();
  tty.out.take();
  tty.io.print("【系统】bob 加入了聊天室");
  assert.equal(
    tty.out.take(),
    "\r\x1b[K【系统】bob 加入了聊天室\r\n密码: ***",
  );
  tty.input.push("\r");
  assert.equal(await secret, "abc");
});

Deno.test("TtyIo.readChatLine() recalls earlier lines with the up arrow", async () => {
  using tty = setup();
  const first = tty.io.readChatLine("> ");
  tty.input.push("hello\r");
  assert.deepEqual(await first, { type: "line", line: "hello" });
  // A chat line is cleared on Enter (the client shows it formatted).
  assert.ok(tty.out.text.endsWith("\r\x1b[K"), JSON.stringify(tty.out.text));

  const second = tty.io.readChatLine("> ");
  tty.input.push("world\r");
  assert.deepEqual(await second, { type: "line", line: "world" });

  const third = tty.io.readChatLine("> ");
  await settle();
  tty.out.take();
  tty.input.push("\x1b[A");
  await settle();
  assert.equal(tty.out.take(), "\r> world\x1b[K\r\x1b[7C");
  tty.input.push("\x1b[A");
  await settle();
  assert.equal(tty.out.take(), "\r> hello\x1b[K\r\x1b[7C");
  tty.input.push("!\r");
  assert.deepEqual(await third, { type: "line", line: "hello!" });
});

Deno.test("TtyIo.readChatLine() reports Ctrl+C as interrupt and Ctrl+D on an empty line as eof", async () => {
  {
    using tty = setup();
    const interrupted = tty.io.readChatLine("> ");
    tty.input.push("half\x03");
    assert.deepEqual(await interrupted, { type: "interrupt" });
  }
  {
    using tty = setup();
    const ended = tty.io.readChatLine("> ");
    tty.input.push("\x04");
    assert.deepEqual(await ended, { type: "eof" });
  }
});

Deno.test("TtyIo.readChatLine() treats a lone Escape as a key that changes nothing", async () => {
  using tty = setup();
  const line = tty.io.readChatLine("> ");
  tty.input.push("ab\x1b");
  // A lone ESC is released as the Escape key after a short idle time.
  await new Promise((resolve) => setTimeout(resolve, 100));
  tty.input.push("c\r");
  assert.deepEqual(await line, { type: "line", line: "abc" });
});

Deno.test("TtyIo.print() above a half-typed chat line redraws the prompt, buffer and cursor", async () => {
  using tty = setup();
  const line = tty.io.readChatLine("> ");
  tty.input.push("hi");
  await settle();
  tty.out.take();
  tty.io.print("[14:30:35] 张三: 大家好");
  assert.equal(
    tty.out.take(),
    "\r\x1b[K" + "[14:30:35] 张三: 大家好" + "\r\n" + "\r> hi\x1b[K\r\x1b[4C",
  );
  // A multi-line message: every line break becomes \r\n.
  tty.io.print("a\nb");
  assert.equal(tty.out.take(), "\r\x1b[Ka\r\nb\r\n\r> hi\x1b[K\r\x1b[4C");
  // Typing goes on where it was.
  tty.input.push(" there\r");
  assert.deepEqual(await line, { type: "line", line: "hi there" });
});

Deno.test("TtyIo.print() with nothing being read writes the text and \\r\\n", () => {
  using tty = setup();
  tty.io.print("[客户端] 已连接到 127.0.0.1:5000");
  tty.io.print("x\ny");
  assert.equal(
    tty.out.take(),
    "[客户端] 已连接到 127.0.0.1:5000\r\nx\r\ny\r\n",
  );
});

Deno.test("TtyIo queues keys typed before a read starts and delivers them in order", async () => {
  using tty = setup();
  tty.input.push("2\r小王\rpw\r");
  await settle();
  // Nothing is echoed while no question is asked.
  assert.equal(tty.out.text, "");
  assert.equal(await tty.io.ask("请选择操作 (1-4): "), "2");
  assert.equal(await tty.io.ask("用户名: "), "小王");
  assert.equal(await tty.io.askSecret("密码: "), "pw");
  assert.ok(!tty.out.text.includes("pw"), JSON.stringify(tty.out.text));
});

Deno.test("TtyIo resolves pending and later reads with eof/undefined at end of input", async (t) => {
  await t.step("readChatLine() pending at the end", async () => {
    using tty = setup();
    const line = tty.io.readChatLine("> ");
    tty.input.push("unfinished");
    tty.input.end();
    assert.deepEqual(await line, { type: "eof" });
  });
  await t.step("ask() pending at the end", async () => {
    using tty = setup();
    const answer = tty.io.ask("Q: ");
    tty.input.end();
    assert.equal(await answer, undefined);
  });
  await t.step("askSecret() pending at the end", async () => {
    using tty = setup();
    const secret = tty.io.askSecret("密码: ");
    tty.input.end();
    assert.equal(await secret, undefined);
  });
  await t.step("reads after the end", async () => {
    using tty = setup();
    tty.input.end();
    await settle();
    assert.equal(await tty.io.ask("Q: "), undefined);
    assert.equal(await tty.io.askSecret("密码: "), undefined);
    assert.deepEqual(await tty.io.readChatLine("> "), { type: "eof" });
  });
});

Deno.test("TtyIo.close() calls onClose once, clears the input line and ends a pending read", async () => {
  let calls = 0;
  using tty = setup({ onClose: () => calls++ });
  const line = tty.io.readChatLine("> ");
  tty.input.push("abc");
  await settle();
  tty.out.take();
  tty.io.close();
  tty.io.close();
  assert.equal(calls, 1);
  assert.equal(tty.out.take(), "\r\x1b[K");
  assert.deepEqual(await line, { type: "eof" });
  assert.equal(await tty.io.ask("Q: "), undefined);
  assert.equal(calls, 1);
});

Deno.test("TtyIo.interactive is true and LineIo.interactive is false", () => {
  using tty = setup();
  using lines = setupLines();
  assert.equal(tty.io.interactive, true);
  assert.equal(lines.io.interactive, false);
});

Deno.test("LineIo.ask() writes the prompt, then echoes the answer line", async () => {
  using lines = setupLines();
  const answer = lines.io.ask("用户名: ");
  assert.equal(lines.out.text, "用户名: ");
  lines.input.push("小王\n");
  assert.equal(await answer, "小王");
  assert.equal(lines.out.take(), "用户名: 小王\n");
});

Deno.test("LineIo.askSecret() writes the prompt and never echoes the answer", async () => {
  using lines = setupLines();
  const secret = lines.io.askSecret("密码: ");
  lines.input.push("s3cret-密码\n");
  assert.equal(await secret, "s3cret-密码");
  assert.equal(lines.out.take(), "密码: \n");
});

Deno.test("LineIo.print() writes the text and \\n; readChatLine() writes no prompt", async () => {
  using lines = setupLines();
  lines.io.print("【系统】欢迎 小王！当前在线用户数: 1");
  const line = lines.io.readChatLine("> ");
  lines.input.push("你好，大家好\n");
  assert.deepEqual(await line, { type: "line", line: "你好，大家好" });
  assert.equal(lines.out.take(), "【系统】欢迎 小王！当前在线用户数: 1\n");
});

Deno.test("LineIo splits \\r\\n and \\n lines across chunks and queues them", async () => {
  using lines = setupLines();
  lines.input.push("1\r\n小");
  lines.input.push("王\r");
  lines.input.push("\npass");
  lines.input.push("word\n\r\n");
  assert.equal(await lines.io.ask("请选择操作 (1-4): "), "1");
  assert.equal(await lines.io.ask("用户名: "), "小王");
  assert.equal(await lines.io.askSecret("密码: "), "password");
  // An empty line is an empty answer (press Enter for the default).
  assert.equal(await lines.io.ask("端口: "), "");
});

Deno.test("LineIo decodes a UTF-8 character split across chunks", async () => {
  using lines = setupLines();
  const bytes = encoder.encode("你好🎉\n");
  // Split inside 你 (3 bytes) and inside the emoji (4 bytes).
  lines.input.push(bytes.subarray(0, 1));
  lines.input.push(bytes.subarray(1, 8));
  lines.input.push(bytes.subarray(8));
  assert.deepEqual(await lines.io.readChatLine("> "), {
    type: "line",
    line: "你好🎉",
  });
});

Deno.test("LineIo returns a last line without a newline, then eof/undefined", async () => {
  using lines = setupLines();
  lines.input.push("first\nlast");
  lines.input.end();
  assert.deepEqual(await lines.io.readChatLine("> "), {
    type: "line",
    line: "first",
  });
  assert.equal(await lines.io.ask("Q: "), "last");
  assert.deepEqual(await lines.io.readChatLine("> "), { type: "eof" });
  assert.equal(await lines.io.ask("Q: "), undefined);
  assert.equal(await lines.io.askSecret("密码: "), undefined);
});

Deno.test("LineIo resolves a pending read at end of input", async (t) => {
  await t.step("readChatLine()", async () => {
    using lines = setupLines();
    const line = lines.io.readChatLine("> ");
    lines.input.end();
    assert.deepEqual(await line, { type: "eof" });
  });
  await t.step("ask()", async () => {
    using lines = setupLines();
    const answer = lines.io.ask("Q: ");
    lines.input.end();
    assert.equal(await answer, undefined);
  });
  await t.step("askSecret() after close()", async () => {
    using lines = setupLines();
    const secret = lines.io.askSecret("密码: ");
    lines.io.close();
    assert.equal(await secret, undefined);
  });
});
