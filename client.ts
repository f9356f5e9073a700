/**
 * TCPChat terminal client: the seed's connect → 认证菜单 → 聊天室 flow, with
 * masked passwords, a line editor that incoming messages never tear, and
 * automatic reconnection that resumes the session without the password.
 *
 * With piped stdin it reads the same answers line by line, so it can be
 * scripted: `printf '127.0.0.1\n5000\n1\n小王\npassword123\n你好\nexit\n' | deno task client`.
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  ConnectError,
  ReplyTimeoutError,
  ServerConnection,
} from "./lib/client_connection.ts";
import {
  chatLine,
  errorLine,
  renderEvent,
  successLine,
  systemLine,
  type ViewContext,
} from "./lib/client_view.ts";
import { COLOR_PALETTE, PLAIN_PALETTE, shouldUseColor } from "./lib/colors.ts";
import {
  type Lang,
  type MessageKey,
  type MessageParams,
  resolveLang,
  t,
} from "./lib/messages.ts";
import type { Command, Reply } from "./lib/protocol.ts";
import { type ClientIo, LineIo, TtyIo } from "./lib/terminal_io.ts";
import { VERSION } from "./lib/version.ts";

/** Reply timeout for commands (the seed's 5 s). */
const REPLY_TIMEOUT_MS = 5000;
/** Back-off before each retry of a failed connect (the seed retries 3 times). */
const RETRY_DELAYS_MS = [1000, 2000, 4000];
const RULE = "=".repeat(50);

const USAGE = `用法 / Usage: tcpchat-client [options]

Options:
  --host <addr>     server address (skips the prompt; env TCPCHAT_HOST)
  --port <n>        server port (skips the prompt; env TCPCHAT_PORT)
  --user <name>     username for logging in (skips that prompt)
  --lang zh|en      interface language (default zh; env TCPCHAT_LANG, or LANG=en_*)
  --help            show this help
  --version         show the version

In the chat, type /help for commands; 'exit' or 'logout' leaves.`;

/** Settings from the command line. */
export interface ClientOptions {
  host?: string;
  port?: number;
  user?: string;
  lang: Lang;
}

/** Options for {@linkcode runClient}: where the console and timing come from. */
export interface RunClientOptions extends ClientOptions {
  io: ClientIo;
  /** Colored output. @default {false} */
  color?: boolean;
  /** Waits between connect retries (tests shorten it). @default {setTimeout} */
  sleep?: (ms: number) => Promise<void>;
}

/** Parses client flags. @throws {TypeError | RangeError} for bad flags. */
export function parseClientArgs(
  args: string[],
  env: (name: string) => string | undefined,
): ClientOptions | "help" | "version" {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      user: { type: "string" },
      lang: { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "V" },
    },
  });
  if (values.help) return "help";
  if (values.version) return "version";
  const langChoice = values.lang ?? nonEmpty(env("TCPCHAT_LANG"));
  const lang = resolveLang(langChoice, env("LC_ALL") || env("LANG"));
  if (lang === undefined) {
    throw new RangeError(
      `Cannot use language "${langChoice}": expected "zh" or "en"`,
    );
  }
  const portText = values.port ?? nonEmpty(env("TCPCHAT_PORT"));
  const port = portText === undefined ? undefined : parsePort(portText);
  if (port === undefined && portText !== undefined) {
    throw new RangeError(
      `Cannot use --port "${portText}": expected an integer from 1 to 65535`,
    );
  }
  return {
    host: values.host ?? nonEmpty(env("TCPCHAT_HOST")),
    port,
    user: values.user,
    lang,
  };
}

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
      io,
      color: shouldUseColor(Deno.stdout.isTerminal(), Deno.env.get("NO_COLOR")),
    });
  } finally {
    globalThis.removeEventListener("unload", restore);
    io.close();
  }
}

/** The interactive client over a given console; resolves the exit code. */
export async function runClient(options: RunClientOptions): Promise<number> {
  const client = new Client(options);
  return await client.run();
}

interface Session {
  username: string;
  resumeToken: string | undefined;
}

class Client {
  #io: ClientIo;
  #options: RunClientOptions;
  #view: ViewContext;
  #sleep: (ms: number) => Promise<void>;
  #host = "localhost";
  #port = 5000;
  #conn: ServerConnection | undefined;

  constructor(options: RunClientOptions) {
    this.#io = options.io;
    this.#options = options;
    this.#view = {
      lang: options.lang,
      palette: options.color ? COLOR_PALETTE : PLAIN_PALETTE,
    };
    this.#sleep = options.sleep ??
      ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async run(): Promise<number> {
    const io = this.#io;
    this.#banner("clientBanner");
    io.print("");
    const target = await this.#askTarget();
    if (target === undefined) return 0;
    [this.#host, this.#port] = target;
    this.#conn = await this.#connect();
    if (this.#conn === undefined) return 1;
    io.print(this.#t("connected", { host: this.#host, port: this.#port }));
    try {
      while (true) {
        const session = await this.#authMenu();
        if (session === undefined) break;
        const outcome = await this.#chat(session);
        if (outcome === "quit") break;
        if (outcome === "fatal") return 1;
        // "menu": back to the 认证菜单 (after a failed resume, or deletion).
      }
    } finally {
      await this.#conn?.close();
    }
    return 0;
  }

  // --- Connecting -----------------------------------------------------------

  async #askTarget(): Promise<[string, number] | undefined> {
    let host = this.#options.host;
    if (host === undefined) {
      const answer = await this.#io.ask(this.#t("askHost"));
      if (answer === undefined) return undefined;
      host = answer.trim() || "localhost";
    }
    let port = this.#options.port;
    while (port === undefined) {
      const answer = await this.#io.ask(this.#t("askPort"));
      if (answer === undefined) return undefined;
      port = answer.trim() === "" ? 5000 : parsePort(answer.trim());
      if (port === undefined) {
        this.#io.print(this.#t("invalidPort", { port: answer.trim() }));
      }
    }
    // A blank line after the questions, as in the seed; none if none were asked.
    if (this.#options.host === undefined || this.#options.port === undefined) {
      this.#io.print("");
    }
    return [host, port];
  }

  /** Connects, retrying 3 times with back-off (1 s, 2 s, 4 s). */
  async #connect(quiet = false): Promise<ServerConnection | undefined> {
    for (let attempt = 0;; attempt++) {
      try {
        return await ServerConnection.open(this.#host, this.#port);
      } catch (error) {
        if (!(error instanceof ConnectError)) throw error;
        if (!quiet || attempt === RETRY_DELAYS_MS.length) {
          this.#io.print(
            this.#view.palette.error(
              this.#t("cannotConnect", { host: this.#host, port: this.#port }),
            ),
          );
          this.#io.print(this.#t("cannotConnectHint"));
        }
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined) return undefined;
        this.#io.print(
          this.#t("retrying", {
            seconds: delay / 1000,
            attempt: attempt + 1,
            max: RETRY_DELAYS_MS.length,
          }),
        );
        await this.#sleep(delay);
      }
    }
  }

  /** Makes sure there is a live connection, reconnecting if it broke. */
  async #ensureConnected(): Promise<ServerConnection | undefined> {
    if (this.#conn !== undefined && !this.#conn.ended) return this.#conn;
    await this.#conn?.close();
    this.#io.print(this.#t("connectionLost"));
    this.#conn = await this.#connect(true);
    if (this.#conn !== undefined) this.#io.print(this.#t("reconnected"));
    return this.#conn;
  }

  // --- 认证菜单 ---------------------------------------------------------------

  async #authMenu(): Promise<Session | undefined> {
    const io = this.#io;
    // The seed shows the menu once, then only the prompt after each action.
    this.#banner("authMenuTitle");
    io.print(this.#t("menuLogin"));
    io.print(this.#t("menuRegister"));
    io.print(this.#t("menuReset"));
    io.print(this.#t("menuQuit"));
    io.print(RULE);
    while (true) {
      const choice = await io.ask(this.#t("menuChoose"));
      if (choice === undefined) return undefined;
      const conn = await this.#ensureConnected();
      if (conn === undefined) return undefined;
      switch (choice.trim()) {
        case "1": {
          const session = await this.#login(conn);
          if (session !== undefined) return session;
          break;
        }
        case "2":
          await this.#register(conn);
          break;
        case "3":
          await this.#reset(conn);
          break;
        case "4":
          return undefined;
        default:
          io.print(this.#t("menuInvalid"));
      }
      io.print("");
    }
  }

  async #login(conn: ServerConnection): Promise<Session | undefined> {
    const io = this.#io;
    io.print("");
    io.print(this.#t("loginTitle"));
    const username = this.#options.user ??
      (await this.#askNonEmpty("askUsername"));
    if (username === undefined) return undefined;
    const password = await io.askSecret(this.#t("askPassword"));
    if (password === undefined || password === "") return undefined;
    const reply = await this.#request(conn, {
      type: "login",
      username,
      password,
    }, [
      "auth_success",
      "auth_failure",
      "error",
    ]);
    if (reply?.type !== "auth_success") {
      this.#failure(reply);
      return undefined;
    }
    io.print(
      successLine(
        this.#t("loginSuccess", { username: reply.username }),
        Date.now(),
        this.#view,
      ),
    );
    return { username: reply.username, resumeToken: undefined };
  }

  async #register(conn: ServerConnection): Promise<void> {
    const io = this.#io;
    io.print("");
    io.print(this.#t("registerTitle"));
    const username = await this.#askNonEmpty("askUsername");
    if (username === undefined) return;
    const password = await this.#askNewPassword(conn, "askPasswordMin");
    if (password === undefined) return;
    const reply = await this.#request(conn, {
      type: "register",
      username,
      password,
    }, [
      "register_success",
      "register_failure",
      "error",
    ]);
    if (reply?.type !== "register_success") {
      this.#failure(reply);
      return;
    }
    io.print(successLine(this.#t("registerSuccess"), Date.now(), this.#view));
    const code = await conn.expect(["recovery_code"], REPLY_TIMEOUT_MS).catch(
      () => undefined,
    );
    if (code !== undefined) this.#showRecoveryCode(code.code);
    io.print("");
    io.print(this.#t("registerDone"));
  }

  async #reset(conn: ServerConnection): Promise<void> {
    const io = this.#io;
    io.print("");
    io.print(this.#t("resetTitle"));
    io.print(this.#t("resetExplain"));
    const username = await io.ask(this.#t("askResetUsername"));
    if (username === undefined) return;
    if (username.trim() !== "") {
      const reply = await this.#request(
        conn,
        { type: "reset_request", username: username.trim() },
        ["reset_requested", "error"],
      );
      if (reply?.type !== "reset_requested") {
        this.#failure(reply);
        return;
      }
      io.print(systemLine(reply.message, this.#view));
    }
    const token = await this.#askNonEmpty("askToken");
    if (token === undefined) return;
    const newPassword = await this.#askNewPassword(conn, "askNewPasswordMin");
    if (newPassword === undefined) return;
    const reply = await this.#request(
      conn,
      { type: "reset_confirm", token: token.replace(/\s+/g, ""), newPassword },
      ["reset_success", "reset_failure", "error"],
    );
    if (reply?.type !== "reset_success") {
      this.#failure(reply);
      return;
    }
    io.print(successLine(this.#t("resetDone"), Date.now(), this.#view));
    // A used recovery code is replaced by a new one, shown once.
    const next = await conn.expect(["recovery_code"], 300).catch(() =>
      undefined
    );
    if (next !== undefined) this.#showRecoveryCode(next.code);
  }

  // --- 聊天室 -----------------------------------------------------------------

  async #chat(session: Session): Promise<"quit" | "menu" | "fatal"> {
    const io = this.#io;
    const view: ViewContext = { ...this.#view, ownName: session.username };
    this.#banner("chatTitle");
    io.print(this.#t("chatWelcome", { username: session.username }));
    io.print("");
    const chat = new ChatRoom(this, session, view);
    return await chat.run();
  }

  // --- Helpers used by ChatRoom ---------------------------------------------

  get io(): ClientIo {
    return this.#io;
  }

  get connection(): ServerConnection | undefined {
    return this.#conn;
  }

  t(key: MessageKey, params?: MessageParams): string {
    return this.#t(key, params);
  }

  /** Reconnects after a lost connection and resumes the session. */
  async resume(session: Session): Promise<"resumed" | "menu" | "fatal"> {
    const io = this.#io;
    await this.#conn?.close();
    io.print(this.#t("connectionLost"));
    this.#conn = await this.#connect(true);
    if (this.#conn === undefined) {
      io.print(this.#view.palette.error(this.#t("reconnectFailed")));
      return "fatal";
    }
    const token = session.resumeToken;
    session.resumeToken = undefined;
    if (token !== undefined) {
      const reply = await this.#request(
        this.#conn,
        { type: "resume", username: session.username, token },
        ["auth_success", "auth_failure", "error"],
      );
      if (reply?.type === "auth_success") {
        io.print(this.#t("reconnected"));
        return "resumed";
      }
      this.#failure(reply);
    }
    io.print(this.#t("reconnected"));
    return "menu";
  }

  async disconnect(conn: ServerConnection): Promise<void> {
    this.#io.print(this.#t("disconnecting"));
    await conn.send({ type: "logout" }).catch(() => {});
    await conn.expect(["logout_success"], REPLY_TIMEOUT_MS).catch(() =>
      undefined
    );
    await conn.close();
    this.#io.print(this.#t("disconnected"));
  }

  /** Sends a command and waits (5 s) for one of `types`; events meanwhile are shown. */
  async #request<T extends Reply["type"]>(
    conn: ServerConnection,
    command: Command,
    types: readonly T[],
  ): Promise<Extract<Reply, { type: T }> | undefined> {
    try {
      await conn.send(command);
      return await conn.expect(
        types,
        REPLY_TIMEOUT_MS,
        (other) => this.#showEvent(other),
      );
    } catch (error) {
      if (error instanceof ReplyTimeoutError) {
        this.#io.print(
          errorLine(
            this.#t("replyTimeout", { seconds: REPLY_TIMEOUT_MS / 1000 }),
            Date.now(),
            this.#view,
          ),
        );
        return undefined;
      }
      return undefined; // The connection broke; the caller's next step notices.
    }
  }

  request<T extends Reply["type"]>(
    conn: ServerConnection,
    command: Command,
    types: readonly T[],
  ): Promise<Extract<Reply, { type: T }> | undefined> {
    return this.#request(conn, command, types);
  }

  #showEvent(reply: Reply): void {
    const line = renderEvent(reply, this.#view, Date.now());
    if (line !== undefined) this.#io.print(line);
  }

  failure(reply: Reply | undefined): void {
    this.#failure(reply);
  }

  #failure(reply: Reply | undefined): void {
    if (reply === undefined) return;
    const message = "message" in reply && reply.message !== ""
      ? reply.message
      : reply.type;
    this.#io.print(errorLine(message, Date.now(), this.#view));
  }

  askNewPassword(
    conn: ServerConnection,
    key: MessageKey,
  ): Promise<string | undefined> {
    return this.#askNewPassword(conn, key);
  }

  async #askNewPassword(
    conn: ServerConnection,
    key: MessageKey,
  ): Promise<string | undefined> {
    const min = conn.greeting.minPasswordLength ?? 8;
    while (true) {
      const password = await this.#io.askSecret(this.#t(key, { min }));
      if (password === undefined || password === "") return undefined;
      const confirm = await this.#io.askSecret(this.#t("askConfirmPassword"));
      if (confirm === undefined) return undefined;
      if (password === confirm) return password;
      this.#io.print(
        errorLine(this.#t("passwordMismatch"), Date.now(), this.#view),
      );
    }
  }

  async #askNonEmpty(key: MessageKey): Promise<string | undefined> {
    while (true) {
      const answer = await this.#io.ask(this.#t(key));
      if (answer === undefined) return undefined;
      if (answer.trim() !== "") return answer.trim();
      this.#io.print(this.#t("emptyInput"));
    }
  }

  #showRecoveryCode(code: string): void {
    const palette = this.#view.palette;
    this.#io.print(palette.system(this.#t("recoveryCodeShow", { code })));
    this.#io.print(palette.system(this.#t("recoveryCodeSave")));
  }

  #banner(key: MessageKey): void {
    this.#io.print("");
    this.#io.print(RULE);
    this.#io.print(`         ${this.#t(key)}`);
    this.#io.print(RULE);
  }

  #t(key: MessageKey, params?: MessageParams): string {
    return t(this.#options.lang, key, params);
  }
}

/** The chat phase: events from the server and lines from the user, at once. */
class ChatRoom {
  #client: Client;
  #session: Session;
  #view: ViewContext;
  /** A command's reply being awaited while events keep flowing. */
  #awaiting:
    | { types: readonly string[]; resolve: (reply: Reply | undefined) => void }
    | undefined;
  /**
   * Stops the event pump when leaving the chat, so that it takes no more
   * lines from the connection: the logout reply, or the 认证菜单's replies
   * after /delete-account, belong to whoever reads next.
   */
  #stopPump = new AbortController();

  constructor(client: Client, session: Session, view: ViewContext) {
    this.#client = client;
    this.#session = session;
    this.#view = view;
  }

  async run(): Promise<"quit" | "menu" | "fatal"> {
    try {
      return await this.#run();
    } finally {
      this.#stopPump.abort();
    }
  }

  async #run(): Promise<"quit" | "menu" | "fatal"> {
    const client = this.#client;
    const io = client.io;
    let conn = client.connection!;
    let events = this.#pump(conn);
    let input = io.readChatLine("> ");
    let greeted = false;
    while (true) {
      if (!greeted) {
        greeted = true;
        // The welcome event comes first; then the seed's "开始聊天" line.
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      const next = await Promise.race([
        input.then((value) => ({ kind: "input" as const, value })),
        events.then((value) => ({ kind: "end" as const, value })),
      ]);
      if (next.kind === "end") {
        const end = next.value;
        if (end.type === "bye") {
          const line = renderEvent(end.reply, this.#view);
          if (line !== undefined) io.print(line);
          const resumable = end.reply.code === "ping_timeout" ||
            end.reply.code === "send_queue_full";
          if (!resumable) {
            await conn.close();
            io.print(client.t("disconnected"));
            return "quit";
          }
        }
        const outcome = await client.resume(this.#session);
        if (outcome !== "resumed") return outcome;
        conn = client.connection!;
        events = this.#pump(conn);
        continue;
      }
      const value = next.value;
      if (value.type !== "line") {
        await this.#disconnect(conn);
        return "quit";
      }
      const result = await this.#handleLine(conn, value.line);
      if (result !== undefined) return result;
      input = io.readChatLine("> ");
    }
  }

  /** Handles what the user typed; resolves an outcome to leave the chat. */
  async #handleLine(
    conn: ServerConnection,
    typed: string,
  ): Promise<"quit" | "menu" | undefined> {
    const client = this.#client;
    const io = client.io;
    const line = typed.trim();
    if (line === "") return undefined;
    const lower = line.toLowerCase();
    if (["exit", "logout", "/exit", "/quit", "/logout"].includes(lower)) {
      await this.#disconnect(conn);
      return "quit";
    }
    if (line.startsWith("/") && !line.startsWith("//")) {
      const [command = ""] = line.split(/\s+/, 1);
      switch (command.toLowerCase()) {
        case "/help":
          io.print(client.t("helpText"));
          return undefined;
        case "/password":
          await this.#changePassword(conn);
          return undefined;
        case "/delete-account":
          return await this.#deleteAccount(conn);
        default:
          io.print(
            errorLine(
              client.t("unknownSlashCommand", { command }),
              Date.now(),
              this.#view,
            ),
          );
          return undefined;
      }
    }
    // "//text" sends "/text" literally.
    const text = line.startsWith("//") ? typed.trimStart().slice(1) : typed;
    try {
      await conn.send({ type: "msg", text });
    } catch {
      return undefined; // The event pump notices the broken connection.
    }
    io.print(chatLine(this.#session.username, text, Date.now(), this.#view));
    return undefined;
  }

  async #changePassword(conn: ServerConnection): Promise<void> {
    const client = this.#client;
    const oldPassword = await client.io.askSecret(client.t("askOldPassword"));
    if (oldPassword === undefined || oldPassword === "") return;
    const newPassword = await client.askNewPassword(conn, "askNewPasswordMin");
    if (newPassword === undefined) return;
    const reply = await this.#ask(conn, {
      type: "change_password",
      oldPassword,
      newPassword,
    }, [
      "password_success",
      "password_failure",
      "error",
    ]);
    if (reply?.type === "password_success") {
      client.io.print(
        successLine(client.t("passwordChanged"), Date.now(), this.#view),
      );
    } else {
      client.failure(reply);
    }
  }

  async #deleteAccount(conn: ServerConnection): Promise<"menu" | undefined> {
    const client = this.#client;
    const io = client.io;
    const password = await io.askSecret(client.t("askPassword"));
    if (password === undefined || password === "") return undefined;
    const confirm = await io.ask(
      client.t("deleteConfirm", { username: this.#session.username }),
    );
    if (confirm?.trim().toLowerCase() !== "yes") {
      io.print(client.t("deleteCancelled"));
      return undefined;
    }
    const reply = await this.#ask(
      conn,
      { type: "delete_account", username: this.#session.username, password },
      ["delete_success", "delete_failure", "error"],
    );
    if (reply?.type !== "delete_success") {
      client.failure(reply);
      return undefined;
    }
    io.print(successLine(client.t("accountDeleted"), Date.now(), this.#view));
    return "menu";
  }

  /** Logs out and closes; the pump stops first so the reply reaches `disconnect`. */
  async #disconnect(conn: ServerConnection): Promise<void> {
    this.#stopPump.abort();
    await this.#client.disconnect(conn);
  }

  /** Sends a command and waits for its reply while the pump keeps showing events. */
  async #ask(
    conn: ServerConnection,
    command: Command,
    types: readonly Reply["type"][],
  ): Promise<Reply | undefined> {
    const reply = new Promise<Reply | undefined>((resolve) => {
      this.#awaiting = { types, resolve };
    });
    const timer = setTimeout(() => this.#settle(undefined), REPLY_TIMEOUT_MS);
    try {
      await conn.send(command);
    } catch {
      this.#settle(undefined);
    }
    const result = await reply;
    clearTimeout(timer);
    return result;
  }

  #settle(reply: Reply | undefined): void {
    const awaiting = this.#awaiting;
    this.#awaiting = undefined;
    awaiting?.resolve(reply);
  }

  /** Shows events until the connection ends; resolves how it ended. */
  async #pump(
    conn: ServerConnection,
  ): Promise<
    { type: "lost" } | { type: "bye"; reply: Extract<Reply, { type: "bye" }> }
  > {
    const io = this.#client.io;
    let started = false;
    while (true) {
      const reply = await conn.next(Infinity, this.#stopPump.signal);
      if (reply === undefined) {
        this.#settle(undefined);
        return { type: "lost" };
      }
      if (this.#awaiting?.types.includes(reply.type)) {
        this.#settle(reply);
        continue;
      }
      switch (reply.type) {
        case "bye":
          this.#settle(undefined);
          return { type: "bye", reply };
        case "resume_token":
          this.#session.resumeToken = reply.token;
          continue;
        case "welcome": {
          io.print(renderEvent(reply, this.#view)!);
          if (!started) {
            started = true;
            io.print("");
            io.print(this.#client.t("chatStart"));
            io.print("");
          }
          continue;
        }
        case "auth_success":
        case "pong":
        case "logout_success":
          continue;
        default: {
          const line = renderEvent(reply, this.#view, Date.now());
          if (line !== undefined) io.print(line);
        }
      }
    }
  }
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function openConsole(): ClientIo {
  const write = (text: string) => writeStdout(text);
  if (Deno.stdin.isTerminal()) {
    Deno.stdin.setRaw(true);
    return new TtyIo({
      input: Deno.stdin.readable,
      write,
      columns: () => {
        try {
          return Deno.consoleSize().columns;
        } catch {
          return 80;
        }
      },
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
