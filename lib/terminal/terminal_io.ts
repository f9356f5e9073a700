/**
 * The client's console: questions, masked passwords, the chat input line,
 * and output that never tears the line being typed.
 *
 * Two implementations behind one interface: {@linkcode TtyIo} for an
 * interactive terminal in raw mode (line editor, `*` echo, messages printed
 * above the input), and {@linkcode LineIo} for piped stdin (one answer per
 * line, nothing echoed), so the client can be scripted. Both take their input
 * and output as arguments; `client.ts` passes stdin and stdout.
 *
 * @module
 */

import { KeyDecoder, type KeyEvent } from "./key_decoder.ts";
import { LineEditor } from "./line_editor.ts";
import { MaskedInput } from "./masked_input.ts";

/** What reading the chat line produced. */
export type ChatInput =
  | { type: "line"; line: string }
  | { type: "interrupt" }
  | { type: "eof" };

/** The console as the client uses it. */
export interface ClientIo {
  /** Whether this is an interactive terminal. */
  readonly interactive: boolean;
  /** Prints one or more lines (without the final newline). */
  print(text: string): void;
  /** Asks a question; `undefined` on end of input or Ctrl+C. */
  ask(prompt: string): Promise<string | undefined>;
  /** Asks for a secret without showing it; `undefined` on cancel. */
  askSecret(prompt: string): Promise<string | undefined>;
  /** Reads the next chat line with the `> ` prompt and history. */
  readChatLine(prompt: string): Promise<ChatInput>;
  /** Restores the terminal; idempotent. */
  close(): void;
}

/** Options for {@linkcode TtyIo}. */
export interface TtyIoOptions {
  /** Raw key bytes (stdin in raw mode). */
  input: AsyncIterable<Uint8Array>;
  /** Writes text to the terminal as is. */
  write: (text: string) => void;
  /** Current terminal width. @default {() => 80} */
  columns?: () => number;
  /** Called once by {@linkcode TtyIo.close}, e.g. to leave raw mode. */
  onClose?: () => void;
}

type Mode =
  | { kind: "idle" }
  | {
    kind: "line";
    editor: LineEditor;
    history: boolean;
    resolve: (input: ChatInput) => void;
  }
  | {
    kind: "secret";
    prompt: string;
    masked: MaskedInput;
    resolve: (value: string | undefined) => void;
  };

/**
 * Console for an interactive terminal in raw mode. Output uses `\r\n`
 * because raw mode turns off the terminal's newline translation.
 */
export class TtyIo implements ClientIo {
  readonly interactive = true;
  #write: (text: string) => void;
  #columns: () => number;
  #onClose: (() => void) | undefined;
  #decoder = new KeyDecoder();
  #mode: Mode = { kind: "idle" };
  /** Keeps chat history across reads (questions get a fresh editor). */
  #chatEditor = new LineEditor();
  #pendingKeys: KeyEvent[] = [];
  #ended = false;
  #closed = false;
  #escapeTimer: ReturnType<typeof setTimeout> | undefined;

  /** Starts reading keys from `options.input`. */
  constructor(options: TtyIoOptions) {
    this.#write = options.write;
    this.#columns = options.columns ?? (() => 80);
    this.#onClose = options.onClose;
    this.#pump(options.input).catch(() => this.#end());
  }

  print(text: string): void {
    const mode = this.#mode;
    if (mode.kind === "line") {
      this.#write(mode.editor.printAbove(text, this.#width()));
    } else if (mode.kind === "secret") {
      this.#write(
        "\r\x1b[K" + text.replace(/\r?\n/g, "\r\n") + "\r\n" + mode.prompt +
          "*".repeat(mode.masked.length),
      );
    } else {
      this.#write(text.replace(/\r?\n/g, "\r\n") + "\r\n");
    }
  }

  async ask(prompt: string): Promise<string | undefined> {
    const input = await this.#readLine(
      new LineEditor({ prompt, maxHistory: 0 }),
      false,
    );
    return input.type === "line" ? input.line : undefined;
  }

  askSecret(prompt: string): Promise<string | undefined> {
    if (this.#ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.#write(prompt);
      this.#mode = {
        kind: "secret",
        prompt,
        masked: new MaskedInput(),
        resolve,
      };
      this.#drainPending();
    });
  }

  readChatLine(prompt: string): Promise<ChatInput> {
    this.#chatEditor.setPrompt(prompt);
    return this.#readLine(this.#chatEditor, true);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#escapeTimer);
    const mode = this.#mode;
    if (mode.kind === "line") this.#write(mode.editor.clearLine());
    this.#end();
    this.#onClose?.();
  }

  #readLine(editor: LineEditor, history: boolean): Promise<ChatInput> {
    if (this.#ended) return Promise.resolve({ type: "eof" });
    return new Promise((resolve) => {
      this.#mode = { kind: "line", editor, history, resolve };
      this.#write(editor.render(this.#width()));
      this.#drainPending();
    });
  }

  async #pump(input: AsyncIterable<Uint8Array>): Promise<void> {
    for await (const chunk of input) {
      if (this.#closed) return;
      this.#keys(this.#decoder.push(chunk));
      // A lone ESC cannot be told from the start of a sequence until the
      // next bytes arrive; if none come soon, it was the Escape key.
      clearTimeout(this.#escapeTimer);
      if (this.#decoder.pending) {
        this.#escapeTimer = setTimeout(
          () => this.#keys(this.#decoder.flush()),
          50,
        );
      }
    }
    this.#end();
  }

  #keys(events: KeyEvent[]): void {
    this.#pendingKeys.push(...events);
    this.#drainPending();
  }

  /** Feeds queued keys to whatever is reading; keys typed early wait. */
  #drainPending(): void {
    while (this.#pendingKeys.length > 0 && this.#mode.kind !== "idle") {
      this.#handle(this.#pendingKeys.shift()!);
    }
  }

  #handle(event: KeyEvent): void {
    const mode = this.#mode;
    if (mode.kind === "secret") {
      const result = mode.masked.handle(event);
      this.#write(result.output);
      if (result.type === "done") {
        this.#finish(() => mode.resolve(result.value));
      }
      if (result.type === "cancel") this.#finish(() => mode.resolve(undefined));
      return;
    }
    if (mode.kind !== "line") return;
    if (event.type === "ctrl_l") {
      this.#write(mode.editor.clearScreen(this.#width()));
      return;
    }
    const action = mode.editor.handle(event);
    switch (action.type) {
      case "none":
        this.#write(mode.editor.render(this.#width()));
        return;
      case "submit":
        // Leave the typed line on screen for questions; chat lines are
        // cleared and shown again as a formatted message by the client.
        this.#write(mode.history ? mode.editor.clearLine() : "\r\n");
        this.#finish(() => mode.resolve({ type: "line", line: action.line }));
        return;
      case "interrupt":
        this.#write(mode.history ? mode.editor.clearLine() : "^C\r\n");
        this.#finish(() => mode.resolve({ type: "interrupt" }));
        return;
      case "eof":
        this.#write(mode.history ? mode.editor.clearLine() : "\r\n");
        this.#finish(() => mode.resolve({ type: "eof" }));
        return;
    }
  }

  #finish(resolve: () => void): void {
    this.#mode = { kind: "idle" };
    resolve();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const mode = this.#mode;
    this.#mode = { kind: "idle" };
    if (mode.kind === "line") mode.resolve({ type: "eof" });
    if (mode.kind === "secret") mode.resolve(undefined);
  }

  #width(): number {
    const columns = this.#columns();
    return Number.isSafeInteger(columns) && columns > 0 ? columns : 80;
  }
}

/** Options for {@linkcode LineIo}. */
export interface LineIoOptions {
  /** Input bytes (piped stdin). */
  input: AsyncIterable<Uint8Array>;
  /** Writes text as is. */
  write: (text: string) => void;
}

/**
 * Console for piped stdin: each answer, password and chat line is one input
 * line (`\r\n` accepted); nothing typed is echoed, so passwords stay out of
 * logs. End of input reads as `undefined` / `eof`.
 */
export class LineIo implements ClientIo {
  readonly interactive = false;
  #write: (text: string) => void;
  #lines: string[] = [];
  #waiters: (() => void)[] = [];
  #ended = false;

  /** Starts reading lines from `options.input`. */
  constructor(options: LineIoOptions) {
    this.#write = options.write;
    this.#pump(options.input).catch(() => this.#endInput());
  }

  print(text: string): void {
    this.#write(`${text}\n`);
  }

  async ask(prompt: string): Promise<string | undefined> {
    this.#write(prompt);
    const line = await this.#next();
    // Show the answer as a terminal would have, so a transcript reads well.
    this.#write(`${line ?? ""}\n`);
    return line;
  }

  async askSecret(prompt: string): Promise<string | undefined> {
    this.#write(prompt);
    const line = await this.#next();
    // A secret is never echoed, not even as stars.
    this.#write("\n");
    return line;
  }

  async readChatLine(prompt: string): Promise<ChatInput> {
    void prompt; // A prompt per scripted line would only clutter the output.
    const line = await this.#next();
    return line === undefined ? { type: "eof" } : { type: "line", line };
  }

  close(): void {
    this.#endInput();
  }

  async #next(): Promise<string | undefined> {
    while (this.#lines.length === 0) {
      if (this.#ended) return undefined;
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    return this.#lines.shift();
  }

  async #pump(input: AsyncIterable<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let tail = "";
    for await (const chunk of input) {
      if (this.#ended) return;
      tail += decoder.decode(chunk, { stream: true });
      const parts = tail.split("\n");
      tail = parts.pop() ?? "";
      for (const part of parts) this.#lines.push(part.replace(/\r$/, ""));
      this.#wake();
    }
    tail += decoder.decode();
    if (tail !== "") this.#lines.push(tail.replace(/\r$/, ""));
    this.#endInput();
  }

  #endInput(): void {
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
