/**
 * TCPChat terminal client: the seed's connect → 认证菜单 → 聊天室 flow, with
 * masked passwords, a line editor that incoming messages never tear, and
 * automatic reconnection that resumes the session without the password.
 *
 * With piped stdin it reads the same answers line by line, so it can be
 * scripted: `printf '127.0.0.1\n5000\n1\n小王\npassword123\n你好\nexit\n' | deno task client`.
 *
 * This entry does the process's I/O (stdin, stdout, the terminal's raw
 * mode, the exit code); the client itself is `lib/client/app.ts`.
 *
 * @module
 */

import { shouldUseColor } from "./lib/client/colors.ts";
import { parseClientArgs, testHooks, USAGE } from "./lib/client/client_args.ts";
import { runClient } from "./lib/client/app.ts";
import { type ClientIo, LineIo, TtyIo } from "./lib/terminal/terminal_io.ts";
import { VERSION } from "./lib/shared/version.ts";

export { parseClientArgs, runClient, testHooks };
export type { ClientOptions, RunClientOptions } from "./lib/client/app.ts";

/** Runs the command line; resolves the process exit code. */
export async function main(args: string[]): Promise<number> {
  let options: ReturnType<typeof parseClientArgs>;
  try {
    options = parseClientArgs(args, (name) => Deno.env.get(name));
  } catch (error) {
    writeStderr(`[错误] ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === "help") {
    writeStdout(`${USAGE}\n`);
    return 0;
  }
  if (options === "version") {
    writeStdout(`tcpchat-client ${VERSION}\n`);
    return 0;
  }
  const io = openConsole();
  // Whatever ends the process, the terminal leaves raw mode.
  const restore = () => io.close();
  globalThis.addEventListener("unload", restore);
  try {
    return await runClient({
      ...options,
      ...testHooks((name) => Deno.env.get(name)),
      io,
      color: shouldUseColor(Deno.stdout.isTerminal(), Deno.env.get("NO_COLOR")),
      columns: terminalColumns,
    });
  } finally {
    globalThis.removeEventListener("unload", restore);
    io.close();
  }
}

function openConsole(): ClientIo {
  const write = (text: string) => writeStdout(text);
  if (Deno.stdin.isTerminal()) {
    Deno.stdin.setRaw(true);
    return new TtyIo({
      input: Deno.stdin.readable,
      write,
      columns: terminalColumns,
      onClose: () => {
        try {
          Deno.stdin.setRaw(false);
        } catch {
          // stdin already closed.
        }
      },
    });
  }
  return new LineIo({ input: Deno.stdin.readable, write });
}

const encoder = new TextEncoder();

function writeStdout(text: string): void {
  writeAll(Deno.stdout, encoder.encode(text));
}

function writeStderr(text: string): void {
  writeAll(Deno.stderr, encoder.encode(text));
}

function writeAll(
  target: { writeSync(p: Uint8Array): number },
  bytes: Uint8Array,
): void {
  let offset = 0;
  while (offset < bytes.length) {
    offset += target.writeSync(bytes.subarray(offset));
  }
}

if (import.meta.main) {
  const code = await main(Deno.args);
  // stdin's reader may still be pending; exit explicitly.
  Deno.exit(code);
}

/** The terminal's width, or 80 when stdout is no terminal. */
function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}
