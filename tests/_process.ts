/**
 * Shared pieces for tests that spawn `server.ts` or `client.ts`: paths,
 * permissions, a clean child environment, a bounded wait and a spawned
 * `server.ts` ({@linkcode ServerProcess}).
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { ENV_VARS } from "../lib/server/server_config.ts";

/** Absolute path of `server.ts`. */
export const SERVER_PATH = fileURLToPath(
  new URL("../server.ts", import.meta.url),
);
/** Absolute path of `client.ts`. */
export const CLIENT_PATH = fileURLToPath(
  new URL("../client.ts", import.meta.url),
);
/** The permissions `deno task server` and `deno task client` grant. */
export const PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
];
/** Bound on every wait for a child process. */
export const WAIT_MS = 15_000;
/** Whether signals other than SIGINT/SIGBREAK are unavailable. */
export const IS_WINDOWS = Deno.build.os === "windows";

/**
 * The children's environment: the seed's Chinese whatever the host's
 * locale, no colors, and none of the TCPCHAT_* settings leaking in (derived
 * from the documented list, so a new variable is cleared too).
 */
export const CHILD_ENV: Readonly<Record<string, string>> = {
  LANG: "C.UTF-8",
  LC_ALL: "",
  NO_COLOR: "1",
  ...Object.fromEntries(Object.values(ENV_VARS).map((name) => [name, ""])),
  // A free port for the browser page: servers started side by side by
  // parallel tests must not race for the default 5080.
  [ENV_VARS["web-port"]]: "0",
};

/** Rejects with a clear message if `promise` takes longer than `ms`. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Timed out after ${ms} ms: ${what}`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Lets a loop wait for news (a new line, an exit) without polling: `wait`
 * resolves at the next `notify`, or after `ms` at the latest.
 */
export class Wakeup {
  #waiters: (() => void)[] = [];

  /** Resolves at the next {@linkcode notify}, or after `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Wakes every current waiter. */
  notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** The Chinese startup line of `server.ts`; group 1 is the port. */
export const STARTED_ZH = /^\[服务器\] 启动成功，监听 127\.0\.0\.1:(\d+)$/;

/** Options for {@linkcode ServerProcess}. */
export interface ServerProcessOptions {
  /** The child's working directory. */
  cwd: string;
  /**
   * Runs `deno run server.ts` through another program first:
   * `["bash", "-c", "… exec \"$0\" \"$@\""]`.
   */
  wrap?: string[];
  /** The default bound of `line()` and `exitCode()`. @default {WAIT_MS} */
  waitMs?: number;
  /** Called once at the exit, with the complete stdout lines and stderr. */
  onExit?: (stdout: readonly string[], stderr: string) => void;
}

/** A spawned `server.ts` whose stdout lines and stderr text are collected. */
export class ServerProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  /** Complete stdout lines so far. */
  readonly stdout: string[] = [];
  /** Everything written to stderr so far. */
  stderr = "";
  /** Resolves when the process has exited and both pipes are drained. */
  readonly done: Promise<Deno.CommandStatus>;
  /** The default bound of {@linkcode line} and {@linkcode exitCode}. */
  readonly waitMs: number;
  #exited = false;
  #news = new Wakeup();

  /** Runs `server.ts args` with {@linkcode PERMISSIONS} and {@linkcode CHILD_ENV}. */
  constructor(args: string[], options: ServerProcessOptions) {
    this.waitMs = options.waitMs ?? WAIT_MS;
    const deno = [Deno.execPath(), "run", ...PERMISSIONS, SERVER_PATH, ...args];
    const [program, ...rest] = [...(options.wrap ?? []), ...deno] as [
      string,
      ...string[],
    ];
    this.child = new Deno.Command(program, {
      args: rest,
      cwd: options.cwd,
      env: CHILD_ENV,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const pumps = Promise.all([this.#pumpStdout(), this.#pumpStderr()]);
    this.done = Promise.all([this.child.status, pumps]).then(([status]) => {
      this.#exited = true;
      options.onExit?.(this.stdout, this.stderr);
      this.#news.notify();
      return status;
    });
  }

  /** Whether the process has exited (and its output is complete). */
  get exited(): boolean {
    return this.#exited;
  }

  /** Waits for a stdout line matching `pattern`, from the start of output. */
  async line(pattern: RegExp, ms = this.waitMs): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    let from = 0;
    while (true) {
      for (; from < this.stdout.length; from++) {
        const match = this.stdout[from]!.match(pattern);
        if (match !== null) return match;
      }
      const left = deadline - Date.now();
      if (this.#exited || left <= 0) {
        throw new Error(
          `${
            this.#exited ? "Exited" : "Timed out"
          } waiting for ${pattern}\n${this.describe()}`,
        );
      }
      await this.#news.wait(left);
    }
  }

  /** Waits for the startup line (`started`, group 1 the port); resolves the port. */
  async port(
    options: { started?: RegExp; ms?: number } = {},
  ): Promise<number> {
    const match = await this.line(options.started ?? STARTED_ZH, options.ms);
    return Number(match[1]);
  }

  /** Waits (bounded) for the exit; resolves the exit code. */
  async exitCode(ms = this.waitMs): Promise<number> {
    const status = await within(this.done, ms, `exit\n${this.describe()}`);
    return status.code;
  }

  /** `kill -9` if still running; then waits (bounded by `ms`) for the exit. */
  async kill9(ms = this.waitMs): Promise<void> {
    this.#kill();
    await within(this.done, ms, "exit after SIGKILL");
  }

  /** The output so far, for failure messages. */
  describe(): string {
    return `--- stdout\n${this.stdout.join("\n")}\n--- stderr\n${this.stderr}`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#exited) this.#kill();
    await this.done;
  }

  #kill(): void {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }

  async #pumpStdout(): Promise<void> {
    let partial = "";
    for await (
      const chunk of this.child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      for (const part of parts) this.stdout.push(part.replace(/\r$/, ""));
      this.#news.notify();
    }
    if (partial !== "") this.stdout.push(partial.replace(/\r$/, ""));
  }

  async #pumpStderr(): Promise<void> {
    for await (
      const chunk of this.child.stderr.pipeThrough(new TextDecoderStream())
    ) {
      this.stderr += chunk;
    }
  }
}
