/**
 * The client's hold on the server across connections: connect with the
 * seed's three retries (TLS and trust on first use included), reconnect
 * when the server went away, resume a session without the password, log
 * out, and send a command and wait for its reply on the live connection.
 *
 * @module
 */

import { ConnectError, ServerConnection, TlsPortError } from "./connection.ts";
import {
  FingerprintMismatchError,
  openSecureConnection,
  TrustDeclinedError,
} from "./secure_connect.ts";
import { KnownServers, knownServersPath } from "./known_servers.ts";
import { inputProblem } from "./input_limits.ts";
import { pullReply, REPLY_TIMEOUT_MS, type ReplyOf } from "./reply_waiter.ts";
import type { ClientUi } from "./client_ui.ts";
import type { Command, Reply } from "../protocol/protocol.ts";
import type { Lang } from "../shared/messages.ts";
import { isLoopbackAddress } from "../shared/ip_address.ts";

/** Back-off before each retry of a failed connect (the seed retries 3 times). */
export const RETRY_DELAYS_MS = [1000, 2000, 4000];
/**
 * Keep-alive `PING` interval at the prompts before login: well inside the
 * server's 60 s login limit, which each `PING` renews (up to its cap).
 */
export const KEEPALIVE_MS = 25_000;

/** Who is logged in, and the token that resumes the session. */
export interface Session {
  username: string;
  resumeToken: string | undefined;
}

/** Where to connect and how. */
export interface ServerLinkOptions {
  host: string;
  port: number;
  lang: Lang;
  /** Connect with TLS (trust on first use, or `ca`). @default {false} */
  tls?: boolean;
  /** PEM file of the certificate (or CA) to trust. @default {undefined} */
  ca?: string;
  /** TLS port, instead of the server's announcement. @default {undefined} */
  tlsPort?: number;
  /** Known-servers file. @default {the user's config directory} */
  knownServersPath?: string;
  /** Waits between connect retries. @default {setTimeout} */
  sleep?: (ms: number) => Promise<void>;
  /** Keep-alive interval at the prompts before login. @default {25000} */
  keepAliveMs?: number;
}

/** The live connection to the server, reopened when it breaks. */
export class ServerLink {
  #ui: ClientUi;
  #options: ServerLinkOptions;
  #sleep: (ms: number) => Promise<void>;
  #conn: ServerConnection | undefined;

  /** A link to `options.host:options.port`; {@linkcode ServerLink.open} connects. */
  constructor(ui: ClientUi, options: ServerLinkOptions) {
    this.#ui = ui;
    this.#options = options;
    this.#sleep = options.sleep ??
      ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The current connection (open or not), if any. */
  get connection(): ServerConnection | undefined {
    return this.#conn;
  }

  /** Connects for the first time; false (and said why) if it cannot. */
  async open(): Promise<boolean> {
    this.#conn = await this.#connect(false);
    return this.#conn !== undefined;
  }

  /** Closes the connection, if any. */
  async close(): Promise<void> {
    await this.#conn?.close();
  }

  /**
   * Keep-alive `PING`s at the prompts before login (`true`), so that the
   * login limit does not bite a person typing; off once logged in, when the
   * server pings and the client answers.
   */
  keepAlive(on: boolean): void {
    this.#conn?.keepAlive(
      on ? this.#options.keepAliveMs ?? KEEPALIVE_MS : undefined,
    );
  }

  /**
   * Before a password leaves in clear text for another machine, say so
   * (the original program never did).
   */
  warnIfPlain(): void {
    if (this.#options.tls || isLoopbackHost(this.#options.host)) return;
    this.#ui.alarm(this.#ui.t("plainWarning"));
  }

  /**
   * Makes sure there is a live connection, reconnecting if it broke or the
   * server closed it (a `BYE` still queued, e.g. its login deadline, is
   * dropped with it).
   */
  async ensureConnected(): Promise<ServerConnection | undefined> {
    if (this.#conn !== undefined && !this.#conn.closed) return this.#conn;
    // Why the server closed it, if it said so (its BYE is still queued).
    let bye: ReplyOf<"bye"> | undefined;
    for (let reply; (reply = await this.#conn?.next()) !== undefined;) {
      if (reply.type === "bye") bye = reply;
    }
    await this.#conn?.close();
    if (bye !== undefined) this.#ui.showEvent(bye);
    this.#ui.print(this.#ui.t("connectionLost"));
    this.#conn = await this.#connect(true);
    if (this.#conn !== undefined) {
      this.#ui.print(this.#ui.t("reconnected"));
      this.keepAlive(true);
    }
    return this.#conn;
  }

  /** Reconnects after a lost connection and resumes the session. */
  async resume(session: Session): Promise<"resumed" | "menu" | "fatal"> {
    const ui = this.#ui;
    await this.#conn?.close();
    ui.print(ui.t("connectionLost"));
    this.#conn = await this.#connect(true);
    if (this.#conn === undefined) {
      ui.alarm(ui.t("reconnectFailed"));
      return "fatal";
    }
    const token = session.resumeToken;
    session.resumeToken = undefined;
    if (token !== undefined) {
      const reply = await this.request(
        this.#conn,
        { type: "resume", username: session.username, token },
        ["auth_success", "auth_failure", "error"],
      );
      if (reply?.type === "auth_success") {
        ui.print(ui.t("reconnected"));
        return "resumed";
      }
      ui.failure(reply);
    }
    ui.print(ui.t("reconnected"));
    return "menu";
  }

  /** Logs out (waiting for the reply a while) and closes. */
  async disconnect(conn: ServerConnection): Promise<void> {
    this.#ui.print(this.#ui.t("disconnecting"));
    await pullReply(conn, ["logout_success"], {
      send: () => conn.send({ type: "logout" }),
    });
    await conn.close();
    this.#ui.print(this.#ui.t("disconnected"));
  }

  /**
   * Sends a command and waits (5 s) for one of `types`; events meanwhile
   * are shown. `undefined` when it was not sent (over a limit: said why),
   * timed out (said so) or the connection broke (the next step notices).
   */
  async request<T extends Reply["type"]>(
    conn: ServerConnection,
    command: Command,
    types: readonly T[],
  ): Promise<ReplyOf<T> | undefined> {
    const ui = this.#ui;
    const problem = inputProblem(command);
    if (problem !== undefined) {
      ui.error(ui.t(problem.key, problem.params));
      return undefined;
    }
    const result = await pullReply(conn, types, {
      send: () => conn.send(command),
      other: (reply) => ui.showEvent(reply),
    });
    if (result.type === "timeout") {
      ui.error(ui.t("replyTimeout", { seconds: REPLY_TIMEOUT_MS / 1000 }));
    }
    return result.type === "reply" ? result.reply : undefined;
  }

  /**
   * A 认证菜单 request on a live connection: if the server closed it while
   * the user was typing (its login deadline, a restart), reconnect first and
   * send it there; once more if the connection ends before any reply.
   */
  async menuRequest<T extends Reply["type"]>(
    command: Command,
    types: readonly T[],
  ): Promise<ReplyOf<T> | undefined> {
    for (let attempt = 0;; attempt++) {
      const conn = await this.ensureConnected();
      if (conn === undefined) return undefined;
      const reply = await this.request(conn, command, types);
      if (reply !== undefined || !conn.closed || attempt === 1) return reply;
    }
  }

  /**
   * A line that follows a reply unasked (a recovery code), if it comes
   * within `timeoutMs`; other lines meanwhile are dropped.
   */
  async follow<T extends Reply["type"]>(
    type: T,
    timeoutMs: number,
  ): Promise<ReplyOf<T> | undefined> {
    if (this.#conn === undefined) return undefined;
    const result = await pullReply(this.#conn, [type], { timeoutMs });
    return result.type === "reply" ? result.reply : undefined;
  }

  /** Connects, retrying 3 times with back-off (1 s, 2 s, 4 s). */
  async #connect(quiet: boolean): Promise<ServerConnection | undefined> {
    const ui = this.#ui;
    const { host, port, tls } = this.#options;
    for (let attempt = 0;; attempt++) {
      try {
        if (tls) return await this.#openSecure();
        const conn = await ServerConnection.open(host, port, {
          lang: this.#options.lang,
        });
        if (conn.greeting.tlsRequired) {
          // Say so now, not after asking for a password.
          await conn.close();
          ui.alarm(ui.t("plainTlsRequired", {
            tlsPort: conn.greeting.tlsPort ?? "?",
          }));
          return undefined;
        }
        return conn;
      } catch (error) {
        if (!(error instanceof ConnectError)) throw error;
        if (error instanceof TlsPortError && !tls) {
          // Retrying cannot help: the user must add --tls.
          ui.alarm(ui.t("plainAtTlsPort", { host, port }));
          return undefined;
        }
        if (error instanceof FingerprintMismatchError) {
          // Loud, and no retry: this may be someone in the middle.
          ui.alarm(ui.t("tlsMismatch", {
            server: `${host}:${port}`,
            expected: error.expected,
            actual: error.actual,
            file: this.#knownServersPath(),
          }));
          return undefined;
        }
        if (error instanceof TrustDeclinedError) {
          ui.print(ui.t("tlsDeclined"));
          return undefined;
        }
        if (tls) ui.alarm(error.message);
        if (!quiet || attempt === RETRY_DELAYS_MS.length) {
          ui.alarm(ui.t("cannotConnect", { host, port }));
          ui.print(ui.t("cannotConnectHint"));
        }
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined) return undefined;
        ui.print(ui.t("retrying", {
          seconds: delay / 1000,
          attempt: attempt + 1,
          max: RETRY_DELAYS_MS.length,
        }));
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
    const ui = this.#ui;
    const { host, port, ca: caPath } = this.#options;
    let ca: string[] | undefined;
    if (caPath !== undefined) {
      try {
        ca = [await Deno.readTextFile(caPath)];
      } catch (error) {
        throw new ConnectError(
          `Cannot read --ca "${caPath}": ${(error as Error).message}`,
        );
      }
    }
    const knownServers = await KnownServers.load(this.#knownServersPath());
    return await openSecureConnection(host, port, {
      lang: this.#options.lang,
      ca,
      tlsPort: this.#options.tlsPort,
      knownServers,
      confirm: async (server, fingerprint) => {
        ui.print(ui.t("tlsFirstUse", { server }));
        ui.print(`  SHA-256: ${fingerprint}`);
        const answer = await ui.io.ask(ui.t("tlsConfirm"));
        return /^(y|yes|是|好)$/i.test(answer?.trim() ?? "");
      },
    });
  }
}

/** Whether `host` names this machine (no password crosses a network then). */
function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare.endsWith(".localhost") ||
    isLoopbackAddress(bare);
}
