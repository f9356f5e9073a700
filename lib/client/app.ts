/**
 * The client's flow, as the seed has it: ask for the server, connect
 * (`server_link.ts`), the 认证菜单 (`auth_flow.ts`), then the chat
 * (`chat_loop.ts`), and back to the menu after a failed resume or a deleted
 * account.
 *
 * @module
 */

import type { ClientIo } from "../terminal/terminal_io.ts";
import type { Lang } from "../shared/messages.ts";
import type { Clock } from "../shared/clock.ts";
import type { Timers } from "./reply_waiter.ts";
import { parseAddress, parsePort } from "./address.ts";
import { authMenu } from "./auth_flow.ts";
import { runChat } from "./chat_loop.ts";
import { ClientUi } from "./client_ui.ts";
import { ServerLink } from "./server_link.ts";

/** Settings from the command line. */
export interface ClientOptions {
  host?: string;
  port?: number;
  user?: string;
  lang: Lang;
  /** Connect with TLS (trust on first use, or `ca`). */
  tls?: boolean;
  /** PEM file of the certificate (or CA) to trust. */
  ca?: string;
  /** TLS port, when the server's announcement should not be used. */
  tlsPort?: number;
}

/** Options for {@linkcode runClient}: where the console and timing come from. */
export interface RunClientOptions extends ClientOptions {
  io: ClientIo;
  /** Colored output. @default {false} */
  color?: boolean;
  /** Known-servers file for trust on first use. @default {the user's config directory} */
  knownServersPath?: string;
  /** Waits between connect retries (tests shorten it). @default {setTimeout} */
  sleep?: (ms: number) => Promise<void>;
  /** Keep-alive interval at the prompts before login. @default {25000} */
  keepAliveMs?: number;
  /** The terminal's width, for `/emoji`. @default {() => 80} */
  columns?: () => number;
  /** The time stamped on lines and read marks are paced by. @default {SYSTEM_CLOCK} */
  clock?: Clock;
  /** Where the delayed `READ`s wait. @default {SYSTEM_TIMERS} */
  timers?: Timers;
}

/** The interactive client over a given console; resolves the exit code. */
export async function runClient(options: RunClientOptions): Promise<number> {
  const ui = new ClientUi(options.io, options);
  ui.banner("clientBanner");
  ui.print("");
  const target = await askTarget(ui, options);
  if (target === undefined) return 0;
  const [host, port] = target;
  const link = new ServerLink(ui, { ...options, host, port });
  if (!await link.open()) return 1;
  ui.print(ui.t("connected", { host, port }));
  if (options.tls) ui.print(ui.t("tlsConnected"));
  try {
    while (true) {
      const session = await authMenu(ui, link, options.user);
      if (session === undefined) break;
      // Logged in: the server pings now, and the client answers.
      link.keepAlive(false);
      const outcome = await runChat(ui, link, session, options);
      if (outcome === "quit") break;
      if (outcome === "fatal") return 1;
      // "menu": back to the 认证菜单 (after a failed resume, or deletion).
    }
  } finally {
    await link.close();
  }
  return 0;
}

/** The server's address and port: from the options, or asked. */
async function askTarget(
  ui: ClientUi,
  options: ClientOptions,
): Promise<[string, number] | undefined> {
  let host = options.host;
  let port = options.port;
  while (host === undefined) {
    // "host:port" and "[v6]:port" carry the port: no port question then.
    const answer = await ui.io.ask(ui.t("askHost"));
    if (answer === undefined) return undefined;
    const address = parseAddress(answer);
    if (address.type === "ok") {
      host = address.host;
      port = address.port ?? port;
    } else if (address.type === "bad_port") {
      ui.print(ui.t("invalidPort", { port: address.port }));
    } else {
      ui.print(ui.t("invalidAddress", { address: answer.trim() }));
    }
  }
  while (port === undefined) {
    const answer = await ui.io.ask(ui.t("askPort"));
    if (answer === undefined) return undefined;
    port = answer.trim() === "" ? 5000 : parsePort(answer.trim());
    if (port === undefined) {
      ui.print(ui.t("invalidPort", { port: answer.trim() }));
    }
  }
  // A blank line after the questions, as in the seed; none if none were asked.
  if (options.host === undefined || options.port === undefined) ui.print("");
  return [host, port];
}
