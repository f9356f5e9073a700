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
  TlsPortError,
} from "./lib/client/connection.ts";
import {
  chatLine,
  chatPrompt,
  errorLine,
  headingLine,
  HistoryDays,
  mutedRefusalLine,
  renderEvent,
  successLine,
  systemLine,
  type ViewContext,
} from "./lib/client/view.ts";
import { SYSTEM_CLOCK } from "./lib/shared/clock.ts";
import {
  COLOR_PALETTE,
  PLAIN_PALETTE,
  shouldUseColor,
} from "./lib/client/colors.ts";
import { emojiColumns, expandShortcodes } from "./lib/client/emoji.ts";
import { inputProblem } from "./lib/client/input_limits.ts";
import { parseAddress, parsePort } from "./lib/client/address.ts";
import { LOBBY } from "./lib/protocol/protocol.ts";
import {
  type Lang,
  type MessageKey,
  type MessageParams,
  resolveLang,
  t,
} from "./lib/shared/messages.ts";
import {
  type Command,
  MAX_HISTORY_COUNT,
  MAX_MUTE_MINUTES,
  type Reply,
  sanitizeMessage,
} from "./lib/protocol/protocol.ts";
import { type ClientIo, LineIo, TtyIo } from "./lib/terminal/terminal_io.ts";
import { KnownServers, knownServersPath } from "./lib/client/known_servers.ts";
import { isLoopbackAddress } from "./lib/shared/ip_address.ts";
import {
  FingerprintMismatchError,
  openSecureConnection,
  TrustDeclinedError,
} from "./lib/client/secure_connect.ts";
import { VERSION } from "./lib/shared/version.ts";

/** Reply timeout for commands (the seed's 5 s). */
const REPLY_TIMEOUT_MS = 5000;
/** Back-off before each retry of a failed connect (the seed retries 3 times). */
const RETRY_DELAYS_MS = [1000, 2000, 4000];
/**
 * Keep-alive `PING` interval at the prompts before login: well inside the
 * server's 60 s login limit, which each `PING` renews (up to its cap).
 */
const KEEPALIVE_MS = 25_000;
const RULE = "=".repeat(50);

const USAGE = `用法 / Usage: tcpchat-client [options]

Options:
  --host <addr>     server address (skips the prompt; env TCPCHAT_HOST)
  --port <n>        server port (skips the prompt; env TCPCHAT_PORT)
  --user <name>     username for logging in (skips that prompt)
  --lang zh|en      interface language (default zh; env TCPCHAT_LANG, or LANG=en_*)
  --tls             encrypt: fetch the server's certificate, confirm its fingerprint
                    on first use (remembered per host:port), refuse if it changes
  --ca <pem>        with --tls: trust this certificate (or CA) instead
  --tls-port <n>    with --tls: the server's TLS port (default: as the server announces)
  --help            show this help
  --version         show the version

In the chat, type /help for commands; 'exit' or 'logout' leaves.`;

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
}

/**
 * Test-only hooks for the spawned client process, which cannot be handed a
 * fake clock: `TCPCHAT_TEST_RETRY_DELAY_MS` replaces each reconnect back-off
 * (the seed's 1, 2 and 4 s, still printed as such) and
 * `TCPCHAT_TEST_KEEPALIVE_MS` the keep-alive interval. Not for users: they
 * are not in `--help`.
 */
export function testHooks(
  env: (name: string) => string | undefined,
): Pick<RunClientOptions, "sleep" | "keepAliveMs"> {
  const hooks: Pick<RunClientOptions, "sleep" | "keepAliveMs"> = {};
  const retry = parseHookMs(env("TCPCHAT_TEST_RETRY_DELAY_MS"));
  if (retry !== undefined) {
    hooks.sleep = () => new Promise((resolve) => setTimeout(resolve, retry));
  }
  const keepAlive = parseHookMs(env("TCPCHAT_TEST_KEEPALIVE_MS"));
  if (keepAlive !== undefined && keepAlive > 0) hooks.keepAliveMs = keepAlive;
  return hooks;
}

function parseHookMs(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,9}$/.test(text)
    ? Number(text)
    : undefined;
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
      tls: { type: "boolean" },
      ca: { type: "string" },
      "tls-port": { type: "string" },
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
  const tlsPortText = values["tls-port"];
  const tlsPort = tlsPortText === undefined
    ? undefined
    : parsePort(tlsPortText);
  if (tlsPortText !== undefined && tlsPort === undefined) {
    throw new RangeError(
      `Cannot use --tls-port "${tlsPortText}": expected an integer from 1 to 65535`,
    );
  }
  return {
    host: values.host ?? nonEmpty(env("TCPCHAT_HOST")),
    port,
    user: values.user,
    lang,
    // --ca or --tls-port make no sense in clear text: they imply --tls.
    tls: values.tls === true || values.ca !== undefined ||
      tlsPort !== undefined,
    ca: values.ca,
    tlsPort,
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
      ...testHooks((name) => Deno.env.get(name)),
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
  #keepAliveMs: number;
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
    this.#keepAliveMs = options.keepAliveMs ?? KEEPALIVE_MS;
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
    if (this.#options.tls) io.print(this.#t("tlsConnected"));
    try {
      while (true) {
        const session = await this.#authMenu();
        if (session === undefined) break;
        // Logged in: the server pings now, and the client answers.
        this.#conn?.keepAlive(undefined);
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
    let port = this.#options.port;
    while (host === undefined) {
      // "host:port" and "[v6]:port" carry the port: no port question then.
      const answer = await this.#io.ask(this.#t("askHost"));
      if (answer === undefined) return undefined;
      const address = parseAddress(answer);
      if (address.type === "ok") {
        host = address.host;
        port = address.port ?? port;
      } else if (address.type === "bad_port") {
        this.#io.print(this.#t("invalidPort", { port: address.port }));
      } else {
        this.#io.print(this.#t("invalidAddress", { address: answer.trim() }));
      }
    }
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
        if (this.#options.tls) return await this.#openSecure();
        const conn = await ServerConnection.open(this.#host, this.#port, {
          lang: this.#options.lang,
        });
        if (conn.greeting.tlsRequired) {
          // Say so now, not after asking for a password.
          await conn.close();
          this.#io.print(this.#view.palette.error(this.#t("plainTlsRequired", {
            tlsPort: conn.greeting.tlsPort ?? "?",
          })));
          return undefined;
        }
        return conn;
      } catch (error) {
        if (!(error instanceof ConnectError)) throw error;
        if (error instanceof TlsPortError && !this.#options.tls) {
          // Retrying cannot help: the user must add --tls.
          this.#io.print(this.#view.palette.error(this.#t("plainAtTlsPort", {
            host: this.#host,
            port: this.#port,
          })));
          return undefined;
        }
        if (error instanceof FingerprintMismatchError) {
          // Loud, and no retry: this may be someone in the middle.
          const palette = this.#view.palette;
          this.#io.print(palette.error(this.#t("tlsMismatch", {
            server: `${this.#host}:${this.#port}`,
            expected: error.expected,
            actual: error.actual,
            file: this.#knownServersPath(),
          })));
          return undefined;
        }
        if (error instanceof TrustDeclinedError) {
          this.#io.print(this.#t("tlsDeclined"));
          return undefined;
        }
        if (this.#options.tls) {
          this.#io.print(this.#view.palette.error(error.message));
        }
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

  /** The known-servers file: the option's, or the platform's default. */
  #knownServersPath(): string {
    return this.#options.knownServersPath ??
      knownServersPath((name) => Deno.env.get(name), Deno.build.os);
  }

  /** TLS with `--ca`, or trust on first use through `CERT`. */
  async #openSecure(): Promise<ServerConnection> {
    let ca: string[] | undefined;
    if (this.#options.ca !== undefined) {
      try {
        ca = [await Deno.readTextFile(this.#options.ca)];
      } catch (error) {
        throw new ConnectError(
          `Cannot read --ca "${this.#options.ca}": ${(error as Error).message}`,
        );
      }
    }
    const path = this.#knownServersPath();
    const knownServers = await KnownServers.load(path);
    return await openSecureConnection(this.#host, this.#port, {
      lang: this.#options.lang,
      ca,
      tlsPort: this.#options.tlsPort,
      knownServers,
      confirm: async (server, fingerprint) => {
        this.#io.print(this.#t("tlsFirstUse", { server }));
        this.#io.print(`  SHA-256: ${fingerprint}`);
        const answer = await this.#io.ask(this.#t("tlsConfirm"));
        return /^(y|yes|是|好)$/i.test(answer?.trim() ?? "");
      },
    });
  }

  /**
   * Before a password leaves in clear text for another machine, say so
   * (the original program never did).
   */
  #warnIfPlain(): void {
    if (this.#options.tls || isLoopbackHost(this.#host)) return;
    this.#io.print(this.#view.palette.error(this.#t("plainWarning")));
  }

  /**
   * Makes sure there is a live connection, reconnecting if it broke or the
   * server closed it (a `BYE` still queued, e.g. its login deadline, is
   * dropped with it).
   */
  async #ensureConnected(): Promise<ServerConnection | undefined> {
    if (this.#conn !== undefined && !this.#conn.closed) return this.#conn;
    // Why the server closed it, if it said so (its BYE is still queued).
    let bye: Extract<Reply, { type: "bye" }> | undefined;
    for (let reply; (reply = await this.#conn?.next()) !== undefined;) {
      if (reply.type === "bye") bye = reply;
    }
    await this.#conn?.close();
    if (bye !== undefined) this.#showEvent(bye);
    this.#io.print(this.#t("connectionLost"));
    this.#conn = await this.#connect(true);
    if (this.#conn !== undefined) {
      this.#io.print(this.#t("reconnected"));
      this.#conn.keepAlive(this.#keepAliveMs);
    }
    return this.#conn;
  }

  // --- 认证菜单 ---------------------------------------------------------------

  async #authMenu(): Promise<Session | undefined> {
    const io = this.#io;
    // At the prompts before login, so that the login limit does not bite
    // a person who is typing.
    this.#conn?.keepAlive(this.#keepAliveMs);
    // The seed shows the menu once, then only the prompt after each action.
    this.#banner("authMenuTitle");
    io.print(this.#t("menuLogin"));
    io.print(this.#t("menuRegister"));
    io.print(this.#t("menuReset"));
    io.print(this.#t("menuQuit"));
    io.print(RULE);
    while (true) {
      const choice = await io.ask(this.#t("menuChoose"));
      if (choice === undefined || choice.trim() === "4") return undefined;
      const conn = await this.#ensureConnected();
      if (conn === undefined) return undefined;
      switch (choice.trim()) {
        case "1": {
          const session = await this.#login();
          if (session !== undefined) return session;
          break;
        }
        case "2":
          await this.#register(conn);
          break;
        case "3":
          await this.#reset(conn);
          break;
        default:
          io.print(this.#t("menuInvalid"));
      }
      io.print("");
    }
  }

  async #login(): Promise<Session | undefined> {
    const io = this.#io;
    io.print("");
    io.print(this.#t("loginTitle"));
    const given = this.#options.user;
    // --user answers the question, but the line still shows whose login it is.
    if (given !== undefined) io.print(`${this.#t("askUsername")}${given}`);
    const username = given ?? (await this.#askNonEmpty("askUsername"));
    if (username === undefined) return undefined;
    this.#warnIfPlain();
    const password = await io.askSecret(this.#t("askPassword"));
    if (password === undefined || password === "") return undefined;
    const reply = await this.#menuRequest({
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
    let username: string | undefined;
    while (true) {
      username = await this.#askNonEmpty("askUsername");
      if (username === undefined) return;
      // The protocol's username is one word: say so instead of dropping it.
      if (!/\s/.test(username)) break;
      io.print(
        errorLine(
          this.#t("usernameHasSpace", { username }),
          Date.now(),
          this.#view,
        ),
      );
    }
    this.#warnIfPlain();
    const password = await this.#askNewPassword(conn, "askPasswordMin");
    if (password === undefined) return;
    const reply = await this.#menuRequest({
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
    const code = await this.#conn?.expect(["recovery_code"], REPLY_TIMEOUT_MS)
      .catch(() => undefined);
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
      const reply = await this.#menuRequest(
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
    this.#warnIfPlain();
    const newPassword = await this.#askNewPassword(conn, "askNewPasswordMin");
    if (newPassword === undefined) return;
    const reply = await this.#menuRequest(
      { type: "reset_confirm", token: token.replace(/\s+/g, ""), newPassword },
      ["reset_success", "reset_failure", "error"],
    );
    if (reply?.type !== "reset_success") {
      this.#failure(reply);
      return;
    }
    io.print(successLine(this.#t("resetDone"), Date.now(), this.#view));
    // A used recovery code is replaced by a new one, shown once.
    const next = await this.#conn?.expect(["recovery_code"], 300).catch(() =>
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
    const problem = inputProblem(command);
    if (problem !== undefined) {
      this.#io.print(
        errorLine(this.#t(problem.key, problem.params), Date.now(), this.#view),
      );
      return undefined;
    }
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

  /**
   * A 认证菜单 request on a live connection: if the server closed it while
   * the user was typing (its login deadline, a restart), reconnect first and
   * send it there; once more if the connection ends before any reply.
   * `this.#conn` is then the connection it went on.
   */
  async #menuRequest<T extends Reply["type"]>(
    command: Command,
    types: readonly T[],
  ): Promise<Extract<Reply, { type: T }> | undefined> {
    for (let attempt = 0;; attempt++) {
      const conn = await this.#ensureConnected();
      if (conn === undefined) return undefined;
      const reply = await this.#request(conn, command, types);
      if (reply !== undefined || !conn.closed || attempt === 1) return reply;
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
    if (reply.type === "bye" && reply.code === "idle_timeout") {
      // The client's own words: the server's speak of a limit the user
      // did not choose to hit.
      this.#io.print(systemLine(this.#t("loginIdleBye"), this.#view));
      return;
    }
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
      // Too short is told and asked again, like a mismatch (the server
      // counts NFKC code points the same way).
      if ([...password.normalize("NFKC")].length < min) {
        this.#io.print(
          errorLine(
            this.#t("passwordTooShort", { min }),
            Date.now(),
            this.#view,
          ),
        );
        continue;
      }
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
    // Shown raw otherwise: a hostile server could put terminal escapes in it.
    this.#io.print(
      palette.system(
        this.#t("recoveryCodeShow", { code: sanitizeMessage(code) }),
      ),
    );
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

/** Messages one `/history` asks for by default, and at most. */
const HISTORY_DEFAULT = 20;
/** Messages asked for per page when catching up after a reconnect. */
const CATCH_UP_PAGE = MAX_HISTORY_COUNT;
/** Pages of missed messages shown at most after a reconnect. */
const CATCH_UP_MAX_PAGES = 5;
/** Message ids remembered to skip duplicates (per room). */
const MAX_SHOWN_IDS = 2000;

type Outcome = "quit" | "menu" | "fatal";

/** A history block being received, and what it answers. */
interface HistoryBlock {
  /**
   * `auto`: sent after `JOINED`; `paged`: answers `/history`; `catch_up`:
   * the messages missed while reconnecting; `skip`: not shown.
   */
  kind: "auto" | "paged" | "catch_up" | "skip";
  count: number;
  /** Largest id in the block, to ask for the next page of a catch-up. */
  newest: number | undefined;
}

/** A reconnect in progress: back to `room`, then what was missed there. */
interface CatchUp {
  room: string;
  /** Whether the server has put the user back in `room`. */
  inRoom: boolean;
  /** Pages of missed messages received so far. */
  pages: number;
  /** Missed messages shown so far. */
  shown: number;
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
  /** Whether the welcome and the seed's 开始聊天 line were shown. */
  #started = false;
  /** The room the user is in, as the server names it. */
  #room = LOBBY;
  /** Smallest and largest message id seen in the room, for paging. */
  #oldestId: number | undefined;
  #newestId: number | undefined;
  /** Ids of the room's messages shown, to skip them when they come again. */
  #shownIds = new Set<number>();
  /** Set by `JOINED`: the next history block is the automatic one. */
  #afterJoined = false;
  #block: HistoryBlock | undefined;
  /** The date lines of the history block being shown. */
  #days: HistoryDays;
  #catchUp: CatchUp | undefined;
  /** The mute the server told about, to recognize a refused message. */
  #mute: { until: number; reason: string } | undefined;

  constructor(client: Client, session: Session, view: ViewContext) {
    this.#client = client;
    this.#session = session;
    this.#view = view;
    this.#days = new HistoryDays(view, SYSTEM_CLOCK);
  }

  async run(): Promise<Outcome> {
    try {
      return await this.#run();
    } finally {
      this.#stopPump.abort();
    }
  }

  async #run(): Promise<Outcome> {
    const client = this.#client;
    const io = client.io;
    let conn = client.connection!;
    let events = this.#pump(conn);
    let input = io.readChatLine(chatPrompt(this.#room));
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
          // After any other BYE (kicked, shutdown, session_resumed …) a
          // resume would fail or undo someone's decision.
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
        this.#startCatchUp(conn);
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
      input = io.readChatLine(chatPrompt(this.#room));
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
      const rest = line.slice(command.length).trim();
      switch (command.toLowerCase()) {
        case "/help":
          io.print(client.t("helpText"));
          return undefined;
        case "/password":
          await this.#changePassword(conn);
          return undefined;
        case "/delete-account":
          return await this.#deleteAccount(conn);
        case "/join": {
          const room = /^\S+$/.exec(rest)?.[0];
          if (room === undefined) return this.#usage("usageJoin");
          await this.#move(conn, { type: "join", room });
          return undefined;
        }
        case "/leave":
          await this.#move(conn, { type: "leave" });
          return undefined;
        case "/rooms":
          await this.#send(conn, { type: "rooms" });
          return undefined;
        case "/users": {
          if (rest !== "" && rest.toLowerCase() !== "all") {
            return this.#usage("usageUsers");
          }
          await this.#send(conn, { type: "users", all: rest !== "" });
          return undefined;
        }
        case "/msg": {
          // The message's own text is the one sent: PRIVATE comes back.
          const match = /^(\S+)\s+(\S[\s\S]*)$/.exec(rest);
          if (match === null) return this.#usage("usageMsg");
          await this.#send(conn, {
            type: "privmsg",
            to: match[1]!,
            text: expandShortcodes(match[2]!),
          });
          return undefined;
        }
        case "/history":
          return await this.#askHistory(conn, rest);
        case "/kick": {
          const match = /^(\S+)(?:\s+(\S[\s\S]*))?$/.exec(rest);
          if (match === null) return this.#usage("usageKick");
          await this.#send(conn, {
            type: "kick",
            user: match[1]!,
            reason: match[2],
          });
          return undefined;
        }
        case "/mute": {
          const match = /^(\S+)\s+(\d{1,6})(?:\s+(\S[\s\S]*))?$/.exec(rest);
          const minutes = Number(match?.[2]);
          if (match === null || minutes < 1 || minutes > MAX_MUTE_MINUTES) {
            return this.#usage("usageMute");
          }
          await this.#send(conn, {
            type: "mute",
            user: match[1]!,
            minutes,
            reason: match[3],
          });
          return undefined;
        }
        case "/unmute": {
          const user = /^\S+$/.exec(rest)?.[0];
          if (user === undefined) return this.#usage("usageUnmute");
          await this.#send(conn, { type: "unmute", user });
          return undefined;
        }
        case "/delete": {
          const last = /^last (\S+)$/.exec(rest)?.[1];
          if (last !== undefined) {
            await this.#send(conn, { type: "delete_last", user: last });
            return undefined;
          }
          const id = /^\d{1,15}$/.test(rest) ? Number(rest) : undefined;
          if (id === undefined) return this.#usage("usageDelete");
          await this.#send(conn, { type: "delete_message", id });
          return undefined;
        }
        case "/status":
          // A bare /status clears it.
          await this.#send(conn, {
            type: "status",
            text: expandShortcodes(rest),
          });
          return undefined;
        case "/whois": {
          const user = /^\S+$/.exec(rest)?.[0];
          if (user === undefined) return this.#usage("usageWhois");
          await this.#send(conn, { type: "whois", user });
          return undefined;
        }
        case "/emoji":
          io.print(
            [
              client.t("viewEmojiTitle"),
              ...emojiColumns(terminalColumns()),
            ]
              .join("\n"),
          );
          return undefined;
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
    const text = expandShortcodes(
      line.startsWith("//") ? typed.trimStart().slice(1) : typed,
    );
    // While muted the server refuses it (MUTED): show only that refusal.
    const muted = this.#mute !== undefined && this.#mute.until > Date.now();
    if (await this.#send(conn, { type: "msg", text }) && !muted) {
      io.print(chatLine(this.#session.username, text, Date.now(), this.#view));
    }
    return undefined;
  }

  /** `/join` and `/leave`: waits for `JOINED`, so the next prompt names the room. */
  async #move(
    conn: ServerConnection,
    command: Extract<Command, { type: "join" | "leave" }>,
  ): Promise<void> {
    const reply = await this.#ask(conn, command, ["joined", "error"]);
    if (reply?.type === "error") this.#client.failure(reply);
  }

  /** `/history [n]`: pages back from the oldest message seen in the room. */
  async #askHistory(conn: ServerConnection, rest: string): Promise<undefined> {
    if (rest !== "" && !/^\d{1,6}$/.test(rest)) {
      return this.#usage("usageHistory");
    }
    const count = rest === ""
      ? HISTORY_DEFAULT
      : Math.min(Math.max(Number(rest), 1), MAX_HISTORY_COUNT);
    await this.#send(
      conn,
      this.#oldestId === undefined
        ? { type: "history", count }
        : { type: "history", count, before: this.#oldestId },
    );
    return undefined;
  }

  /** Shows a usage error for a command typed without its arguments. */
  #usage(key: MessageKey): undefined {
    const client = this.#client;
    client.io.print(
      errorLine(
        client.t("usageError", { usage: client.t(key) }),
        Date.now(),
        this.#view,
      ),
    );
    return undefined;
  }

  /**
   * Whether `command` can be sent; if not (over a protocol limit or
   * malformed), says why from the catalog and sends nothing.
   */
  #checkFormat(command: Command): boolean {
    const problem = inputProblem(command);
    if (problem === undefined) return true;
    this.#client.io.print(
      errorLine(
        this.#client.t(problem.key, problem.params),
        Date.now(),
        this.#view,
      ),
    );
    return false;
  }

  /** Sends a command whose answer the event pump shows; false if not sent. */
  async #send(conn: ServerConnection, command: Command): Promise<boolean> {
    if (!this.#checkFormat(command)) return false;
    try {
      await conn.send(command);
      return true;
    } catch {
      return false; // The event pump notices the broken connection.
    }
  }

  /**
   * After a resume: back into the room the user was in (the server puts a
   * resumed session in the lobby), then the messages missed meanwhile.
   */
  #startCatchUp(conn: ServerConnection): void {
    const room = this.#room;
    this.#catchUp = { room, inRoom: false, pages: 0, shown: 0 };
    this.#block = undefined;
    this.#afterJoined = false;
    // The server repeats a standing mute after the resume: not a refusal.
    this.#mute = undefined;
    const commands: Command[] = room === LOBBY ? [] : [{ type: "join", room }];
    commands.push({
      type: "history",
      count: CATCH_UP_PAGE,
      after: this.#newestId ?? 0,
    });
    for (const command of commands) {
      conn.send(command).catch(() => {}); // The pump notices a broken connection.
    }
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
    if (!this.#checkFormat(command)) return undefined;
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
    while (true) {
      const reply = await conn.next(Infinity, this.#stopPump.signal);
      if (reply === undefined) {
        this.#settle(undefined);
        return { type: "lost" };
      }
      // The room changes before anything that follows JOINED is shown,
      // whoever waits for it.
      if (reply.type === "joined") this.#joined(reply);
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
        default:
          this.#show(reply);
      }
    }
  }

  /** Shows one event, keeping track of the room, its messages and mutes. */
  #show(reply: Reply): void {
    const io = this.#client.io;
    const view = this.#view;
    const now = Date.now();
    const print = (line: string | undefined) => {
      if (line !== undefined) io.print(line);
    };
    switch (reply.type) {
      case "welcome":
        // After a resume the user is still in the chat: no second welcome.
        if (this.#started) return;
        this.#started = true;
        print(renderEvent(reply, view));
        io.print("");
        io.print(this.#client.t("chatStart"));
        io.print("");
        return;
      case "auth_success":
      case "pong":
      case "logout_success":
      case "joined": // shown by #joined
        return;
      case "message":
      case "user_joined":
      case "user_left":
        // Until a resumed session is back in its room, the lobby's events
        // are not the user's.
        if (this.#catchUp !== undefined && !this.#catchUp.inRoom) return;
        if (reply.type === "message" && !this.#see(reply.id)) return;
        print(renderEvent(reply, view, now));
        return;
      case "history_begin":
      case "history_message":
      case "history_end":
        this.#historyEvent(reply);
        return;
      case "muted": {
        const known = this.#mute;
        if (
          known !== undefined && known.until === reply.until &&
          known.reason === reply.reason && reply.until > now
        ) {
          // The mute the user was told about: this answers a message.
          print(mutedRefusalLine(reply, view, now));
          return;
        }
        this.#mute = { until: reply.until, reason: reply.reason };
        print(renderEvent(reply, view, now));
        return;
      }
      case "unmuted":
        this.#mute = undefined;
        print(renderEvent(reply, view, now));
        return;
      default:
        print(renderEvent(reply, view, now));
    }
  }

  #joined(reply: Extract<Reply, { type: "joined" }>): void {
    this.#afterJoined = true;
    const catchUp = this.#catchUp;
    if (catchUp !== undefined) {
      // A resumed session: the lobby first, then the user's room again.
      if (reply.room === catchUp.room) catchUp.inRoom = true;
      this.#room = reply.room;
      return;
    }
    this.#room = reply.room;
    this.#oldestId = undefined;
    this.#newestId = undefined;
    this.#shownIds.clear();
    this.#client.io.print(renderEvent(reply, this.#view)!);
  }

  /** Notes a room message as shown; false if it was shown already. */
  #see(id: number): boolean {
    if (this.#shownIds.has(id)) return false;
    this.#shownIds.add(id);
    if (this.#shownIds.size > MAX_SHOWN_IDS) {
      const [first] = this.#shownIds;
      this.#shownIds.delete(first!);
    }
    this.#oldestId = Math.min(this.#oldestId ?? id, id);
    this.#newestId = Math.max(this.#newestId ?? id, id);
    return true;
  }

  /** Prints the date line, if any, that goes before a history message. */
  #printDay(time: number): void {
    const line = this.#days.separator(time);
    if (line !== undefined) this.#client.io.print(line);
  }

  #historyEvent(
    reply: Extract<
      Reply,
      { type: "history_begin" | "history_message" | "history_end" }
    >,
  ): void {
    const io = this.#client.io;
    const view = this.#view;
    if (reply.type === "history_begin") {
      const auto = this.#afterJoined;
      this.#afterJoined = false;
      const kind = auto
        ? this.#catchUp === undefined ? "auto" : "skip"
        : this.#catchUp?.inRoom
        ? "catch_up"
        : "paged";
      this.#block = { kind, count: reply.count, newest: undefined };
      // The pages of one catch-up read as one block.
      if (kind !== "catch_up" || this.#catchUp!.pages === 0) {
        this.#days.begin();
      }
      if (kind === "auto" || kind === "paged") {
        const line = renderEvent(reply, view);
        if (line !== undefined) io.print(line);
      }
      return;
    }
    const block = this.#block ?? { kind: "paged", count: 0, newest: undefined };
    if (reply.type === "history_message") {
      block.newest = Math.max(block.newest ?? reply.id, reply.id);
      if (block.kind === "skip") return;
      if (block.kind === "catch_up") {
        // The user's own messages were shown as they were typed.
        if (reply.sender === this.#session.username) {
          this.#see(reply.id);
          return;
        }
        if (!this.#see(reply.id)) return;
        if (this.#catchUp!.shown++ === 0) {
          io.print(headingLine("viewCatchUpBegin", view));
        }
        this.#printDay(reply.time);
        io.print(chatLine(reply.sender, reply.text, reply.time, view));
        return;
      }
      if (this.#see(reply.id)) {
        this.#printDay(reply.time);
        io.print(renderEvent(reply, view)!);
      }
      return;
    }
    this.#block = undefined;
    switch (block.kind) {
      case "skip":
        return;
      case "auto":
        if (block.count > 0) io.print(renderEvent(reply, view)!);
        return;
      case "paged":
        io.print(
          block.count > 0
            ? renderEvent(reply, view)!
            : systemLine(this.#client.t("viewHistoryNone"), view),
        );
        return;
      case "catch_up": {
        const catchUp = this.#catchUp!;
        catchUp.pages++;
        const conn = this.#client.connection;
        if (
          reply.more && block.newest !== undefined &&
          catchUp.pages < CATCH_UP_MAX_PAGES && conn !== undefined
        ) {
          conn.send({
            type: "history",
            count: CATCH_UP_PAGE,
            after: block.newest,
          }).catch(() => {}); // The pump notices a broken connection.
          return;
        }
        this.#catchUp = undefined;
        io.print(
          catchUp.shown > 0
            ? headingLine("viewCatchUpEnd", view)
            : systemLine(this.#client.t("viewCatchUpNone"), view),
        );
        return;
      }
    }
  }
}

/** Whether `host` names this machine (no password crosses a network then). */
function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare.endsWith(".localhost") ||
    isLoopbackAddress(bare);
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

/** The terminal's width, or 80 when stdout is no terminal. */
function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns;
  } catch {
    return 80;
  }
}
