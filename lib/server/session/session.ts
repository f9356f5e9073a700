/**
 * One client's session, with no socket: the state machine from the login
 * menu to the chat and back, its deadlines (login time, ping, resume-token
 * rotation), flood control and protocol-error count. It takes lines of the
 * native protocol (or, from another adapter, parsed commands), checks each
 * verb's precondition once from {@linkcode VERB_RULES}, runs it, and
 * answers through a {@linkcode SessionSink}. A TCP connection, a WebSocket
 * or an IRC translation is only a different sink.
 *
 * @module
 */

import type { LiveSession, SessionEndReason } from "../auth/auth_manager.ts";
import type { FramingError } from "../../protocol/line_framer.ts";
import {
  type Lang,
  matchLang,
  type MessageKey,
  type MessageParams,
  t,
} from "../../shared/messages.ts";
import {
  type ChatMember,
  isChatCommand,
  type MemberOutlet,
} from "../chat/chat_service.ts";
import {
  type Command,
  parseChatText,
  parseCommand,
  type ParsedCommand,
  type Reply,
} from "../../protocol/protocol.ts";
import { NoticeLimiter, TokenBucket } from "./rate_limiter.ts";
import { isStoreBusy } from "../../store/store.ts";
import {
  errorReply,
  invalidCommandReply,
  type ServerErrorCode,
} from "../replies.ts";
import { verbRule } from "./verbs.ts";
import { runAccountVerb } from "./account_verbs.ts";
import type { PeerInfo, SessionHost, SessionSink } from "./session_host.ts";

export type {
  PeerInfo,
  SessionHost,
  SessionLimits,
  SessionSink,
} from "./session_host.ts";

/**
 * Protocol errors in a row (lines not valid UTF-8, `invalid_command`) that
 * end a connection with `BYE protocol_errors`; any other line starts the
 * count again.
 */
export const MAX_PROTOCOL_ERRORS = 20;
/**
 * `READ` lines a session may send beyond its flood budget: a burst, and
 * how many a second after it (a client sends at most one a second per
 * conversation it shows).
 */
export const READ_BURST = 8;
/** See {@linkcode READ_BURST}. */
export const READ_PER_SECOND = 4;
/** How often a live session's resume token is replaced. */
export const RESUME_ROTATE_MS = 5 * 60 * 1000;
/**
 * A `PING` before login pushes the login deadline out (a person typing at
 * the menu keeps the connection), but never past this long after accept or
 * the return to the login menu: an unauthenticated peer must not hold a
 * connection slot forever; the per-address and total caps bound the rest.
 */
export const LOGIN_KEEPALIVE_CAP_MS = 10 * 60 * 1000;

/** One client's session; it is the chat member while logged in. */
export class Session implements ChatMember {
  readonly address: string;
  readonly remote: string;
  readonly secure: boolean;
  readonly outlet: MemberOutlet;
  readonly host: SessionHost;
  #sink: SessionSink;
  #bucket: TokenBucket;
  /** `READ` lines the client sends by itself, besides the user's budget. */
  #readBucket: TokenBucket;
  #slowDownNotices: NoticeLimiter;
  /** Protocol errors in a row; see {@linkcode MAX_PROTOCOL_ERRORS}. */
  #protocolErrors = 0;
  #live: LiveSession | undefined;
  #loginDeadline: number;
  /** Accept, or the return to the login menu: see {@linkcode LOGIN_KEEPALIVE_CAP_MS}. */
  #loginSince: number;
  /** Whether keep-alives pushed the login deadline to the cap. */
  #loginCapped = false;
  #lastHeardAt: number;
  #pingSentAt: number | undefined;
  #pingCounter = 0;
  #resumeIssuedAt = 0;
  #wake: (() => void) | undefined;
  #lang: Lang;
  /** Set while this session's own DELETE_ACCOUNT is in progress. */
  deletingOwnAccount = false;

  constructor(host: SessionHost, sink: SessionSink, peer: PeerInfo) {
    this.host = host;
    this.#sink = sink;
    this.address = peer.address;
    this.remote = peer.remote;
    this.secure = peer.secure;
    // The transport is the outlet: events reach its queue with no wrapper.
    this.outlet = sink;
    const clock = host.clock;
    this.#bucket = new TokenBucket({
      clock,
      burst: host.limits.rateBurst,
      refillPerSecond: host.limits.ratePerSecond,
    });
    this.#readBucket = new TokenBucket({
      clock,
      burst: READ_BURST,
      refillPerSecond: READ_PER_SECOND,
    });
    this.#slowDownNotices = new NoticeLimiter({ clock });
    const now = clock.now();
    this.#loginDeadline = now + host.limits.loginTimeoutMs;
    this.#loginSince = now;
    this.#lastHeardAt = now;
    this.#lang = host.lang;
  }

  /** The language of this client's replies: its `LANG`, else the server's. */
  get lang(): Lang {
    return this.#lang;
  }

  // ChatMember: valid while this session is in the chat (logged in).
  get username(): string {
    return this.#live?.username ?? "";
  }

  get usernameKey(): string {
    return this.#live?.usernameKey ?? "";
  }

  get accountId(): number {
    return this.#live?.accountId ?? -1;
  }

  /** The account's live session while logged in. */
  get live(): LiveSession | undefined {
    return this.#live;
  }

  /** Whether the transport is closing. */
  get closing(): boolean {
    return this.#sink.closing;
  }

  send(reply: Reply): void {
    this.#sink.send(reply);
  }

  flushed(): Promise<boolean> {
    return this.#sink.flushed();
  }

  /** Answers with `ERROR code` in this client's language. */
  refuse(code: ServerErrorCode, params?: MessageParams): void {
    this.send(errorReply(this.lang, code, params));
  }

  /** One line of the native protocol, framed by the transport. */
  async handleLine(line: string): Promise<void> {
    // Clients send READ as they show messages, not as the user types: a few
    // a second do not count against the user's own budget (past that, they
    // do, so a flood of them is paced like any other line).
    if (!(line.startsWith("READ ") && this.#readBucket.take())) {
      await this.#throttleInput();
    }
    if (this.closing) return;
    this.#heard();
    if (line.length === 0) {
      this.#protocolErrors = 0;
      return;
    }
    const parsed = parseCommand(line);
    // A bad user-authored text (empty_message, message_too_long) is not a
    // protocol error: only malformed commands count, and the rest resets.
    const malformed = parsed.type === "invalid" &&
      parsed.code === "invalid_command";
    if (!malformed) this.#protocolErrors = 0;
    await this.#dispatch(parsed, line);
  }

  /** A line the transport could not frame. */
  async handleFramingError(error: FramingError): Promise<void> {
    if (error.code === "line_too_long") {
      const max = this.host.limits.maxLineBytes;
      this.refuse("line_too_long", { max });
      await this.#sink.close(
        "line_too_long",
        t(this.lang, "lineTooLong", { max }),
        {
          linger: true,
        },
      );
      return;
    }
    // Counted like any other line, so it cannot be a way around the limit.
    await this.#throttleInput();
    if (this.closing) return;
    this.refuse("invalid_utf8");
    await this.#protocolError();
  }

  /**
   * Runs one command from an adapter that parses its own syntax; the
   * precondition is checked as for a native line.
   */
  async execute(command: Command): Promise<void> {
    await this.#throttleInput();
    if (this.closing) return;
    this.#heard();
    this.#protocolErrors = 0;
    await this.#dispatch(command, undefined);
  }

  async #dispatch(
    parsed: ParsedCommand,
    line: string | undefined,
  ): Promise<void> {
    if (parsed.type === "invalid") {
      if (this.#plainRestricted) return this.#tlsRequired();
      this.send(invalidCommandReply(this.lang, parsed));
      if (parsed.code === "invalid_command") await this.#protocolError();
      return;
    }
    if (parsed.type === "unknown") {
      if (this.#plainRestricted) return this.#tlsRequired();
      // So that nc or telnet works as a bare client, a logged-in client's
      // line without a known verb is chat, checked exactly like MSG text.
      if (this.#live === undefined) return this.refuse("not_logged_in");
      const chat = parseChatText(line ?? "");
      if (chat.type === "invalid") {
        return this.send(invalidCommandReply(this.lang, chat));
      }
      return this.#say(chat.text);
    }
    const rule = verbRule(parsed);
    if (this.#plainRestricted && !rule.overPlainText) {
      return this.#tlsRequired();
    }
    try {
      switch (rule.requires) {
        case "logged_out":
          if (this.#live !== undefined) return this.refuse("already_logged_in");
          break;
        case "member":
          if (this.#live === undefined) return this.refuse("not_logged_in");
          break;
        case "admin":
          if (this.#live === undefined) return this.refuse("not_logged_in");
          if (
            !(await this.host.chat.authorize(
              this,
              rule.audit!.action,
              rule.audit!.target(parsed),
            ))
          ) return;
          break;
      }
      if (parsed.type === "msg") return this.#say(parsed.text);
      if (isChatCommand(parsed)) {
        return await this.host.chat.handle(this, parsed);
      }
      await runAccountVerb(this, parsed);
    } catch (error) {
      this.internalError(error);
    }
  }

  /** `--require-tls` and this is the plain port. */
  get #plainRestricted(): boolean {
    return !this.secure && this.host.requireTls && this.host.tls !== undefined;
  }

  #tlsRequired(): void {
    this.refuse("tls_required", { port: this.host.tls?.port ?? 0 });
  }

  /** `LANG <tag>`: a supported tag sets the reply language, any other the server's. */
  setLang(tag: string): void {
    this.#lang = matchLang(tag) ?? this.host.lang;
  }

  /** `CERT`: the TLS certificate, or `ERROR no_tls`. */
  sendCertificate(): void {
    const tls = this.host.tls;
    if (tls === undefined) return this.refuse("no_tls");
    this.send({ type: "cert", port: tls.port, der: tls.der });
  }

  /** A line of any kind was heard: the peer is alive. */
  #heard(): void {
    this.#lastHeardAt = this.host.clock.now();
    this.#pingSentAt = undefined;
  }

  #say(text: string): void {
    const live = this.#live;
    if (live === undefined) return this.refuse("not_logged_in");
    // A refused message (muted) was not sent: the console does not show it.
    const sent = this.host.chat.say(this, text);
    if (sent && this.host.logMessages) {
      this.host.logLine(`${live.username}: ${text}`);
    }
  }

  /**
   * Counts a line answered with a protocol error; the
   * {@linkcode MAX_PROTOCOL_ERRORS}th in a row ends the connection.
   */
  async #protocolError(): Promise<void> {
    if (++this.#protocolErrors < MAX_PROTOCOL_ERRORS) return;
    await this.#sink.close(
      "protocol_errors",
      t(this.lang, "tooManyProtocolErrors", { count: MAX_PROTOCOL_ERRORS }),
      { linger: true },
    );
  }

  /**
   * Flood control: a client over its budget is slowed down, not served
   * ahead of others. Reading pauses until a token is free (TCP pushes back
   * on the sender) and it is told, at most once a second, to slow down.
   */
  async #throttleInput(): Promise<void> {
    while (!this.closing && !this.#bucket.take()) {
      if (this.#slowDownNotices.shouldNotify()) this.refuse("rate_limited");
      const wait = Math.max(10, Math.min(1000, this.#bucket.retryAfterMs));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.#wake = undefined;
          resolve();
        }, wait);
        this.#wake = () => {
          clearTimeout(timer);
          this.#wake = undefined;
          resolve();
        };
      });
    }
  }

  /** Checks the login, ping and resume-token deadlines. */
  checkDeadlines(now: number): void {
    if (this.closing) return;
    const limits = this.host.limits;
    if (this.#live === undefined) {
      if (now >= this.#loginDeadline) {
        // Say which limit it was: 60 s of silence, or the keep-alive cap.
        void this.#sink.close(
          "idle_timeout",
          this.#loginCapped
            ? t(this.lang, "loginKeepAliveCap", {
              minutes: Math.round(LOGIN_KEEPALIVE_CAP_MS / 60_000),
            })
            : t(this.lang, "idleTimeout", {
              seconds: Math.round(limits.loginTimeoutMs / 1000),
            }),
        );
      }
      return;
    }
    if (this.#pingSentAt !== undefined) {
      if (now - this.#pingSentAt >= limits.pingTimeoutMs) {
        void this.#sink.close("ping_timeout", t(this.lang, "pingTimeout"));
        return;
      }
    } else if (now - this.#lastHeardAt >= limits.pingIntervalMs) {
      this.#pingSentAt = now;
      this.send({ type: "ping", token: `p${++this.#pingCounter}` });
    }
    if (now - this.#resumeIssuedAt >= RESUME_ROTATE_MS) {
      this.sendResumeToken().catch((error) => this.internalError(error));
    }
  }

  /**
   * A failure that is the server's, not the client's: logged in full, the
   * client gets a generic error, and the session goes on. A database busy
   * with another connection's write gets `ERROR database_busy` instead,
   * which tells the user to try again.
   */
  internalError(error: unknown): void {
    if (isStoreBusy(error)) {
      // Another connection holds the write lock: passing, and not a bug.
      // The store gave up at once (SERVING_BUSY_TIMEOUT_MS) so nobody else
      // waited; this client is told to try again.
      this.host.logLine(
        `[warn] ${this.remote}: database busy: ${(error as Error).message}`,
      );
      if (!this.closing) this.refuse("database_busy");
      return;
    }
    this.host.logLine(
      `[error] ${this.remote}: ${
        error instanceof Error ? error.stack ?? error.message : String(error)
      }`,
    );
    if (!this.closing) this.refuse("server_error");
  }

  /** A keep-alive `PING` at the login menu extends the login time. */
  pinged(): void {
    if (this.#live === undefined) this.#extendLoginDeadline();
  }

  /**
   * Enters the chat after a login or resume. `resumeToken` is the token
   * issued with the login; without one, a fresh token is issued here.
   */
  async enterChat(
    live: LiveSession,
    resumeToken: string | undefined,
  ): Promise<void> {
    const host = this.host;
    if (this.closing) {
      // The peer left while its credentials were being checked.
      await host.auth.logout(live);
      return;
    }
    this.#live = live;
    this.#heard();
    this.send({ type: "auth_success", username: live.username });
    this.send({
      type: "welcome",
      // Counting this member, who enters the chat just below.
      onlineCount: host.chat.onlineCount + 1,
      username: live.username,
    });
    host.logLine(
      t(host.lang, "logClientConnected", {
        username: live.username,
        address: this.remote,
      }),
    );
    if (resumeToken === undefined) {
      await this.sendResumeToken();
      if (this.#live !== live) return;
    } else {
      this.#resumeIssuedAt = host.clock.now();
      this.send({ type: "resume_token", token: resumeToken });
    }
    // JOINED 大厅, its history, waiting private messages; USER_JOINED to the room.
    await host.chat.enter(this);
  }

  /**
   * Issues and sends a fresh resume token, so that a dropped connection can
   * log back in without the password; rotated every few minutes.
   */
  async sendResumeToken(): Promise<void> {
    const live = this.#live;
    if (live === undefined) return;
    this.#resumeIssuedAt = this.host.clock.now();
    const token = await this.host.auth.issueResumeToken(live);
    if (this.#live === live) this.send({ type: "resume_token", token });
  }

  /**
   * Leaves the chat (if in it): tells the others and frees the account's
   * session. The transport calls it first when it closes; `LOGOUT` with
   * `explicit`, which also voids the resume token.
   */
  async leave(options: { explicit?: boolean } = {}): Promise<void> {
    this.#wake?.();
    const live = this.#exitChat();
    if (live === undefined) return;
    const host = this.host;
    // The session is already gone from memory; a failed write of last-seen
    // and audit (a locked or broken database) must not stop the way out.
    try {
      await host.auth.logout(live, options);
    } catch (error) {
      host.logLine(
        `[error] logout of ${live.username} (${this.remote}): ${String(error)}`,
      );
    }
  }

  /**
   * Out of the chat (the hub, while the member still has its name) and
   * logged on the console; returns the live session it held, if any.
   */
  #exitChat(): LiveSession | undefined {
    const live = this.#live;
    if (live === undefined) return undefined;
    const host = this.host;
    host.chat.exit(this);
    this.#live = undefined;
    host.logLine(
      t(host.lang, "logClientDisconnected", {
        username: live.username,
        count: host.chat.onlineCount,
      }),
    );
    return live;
  }

  /** Back at the login menu: the connection has the login time limit again. */
  restartLoginDeadline(): void {
    const now = this.host.clock.now();
    this.#loginSince = now;
    this.#loginCapped = false;
    this.#loginDeadline = now + this.host.limits.loginTimeoutMs;
  }

  /**
   * A keep-alive `PING` at the login menu: the full login time from now,
   * up to {@linkcode LOGIN_KEEPALIVE_CAP_MS}.
   */
  #extendLoginDeadline(): void {
    const now = this.host.clock.now();
    const wanted = now + this.host.limits.loginTimeoutMs;
    const cap = this.#loginSince + LOGIN_KEEPALIVE_CAP_MS;
    if (wanted <= this.#loginDeadline) return;
    this.#loginCapped = wanted >= cap;
    this.#loginDeadline = Math.max(this.#loginDeadline, Math.min(wanted, cap));
  }

  /** The account's session was ended by a reset, a deletion or a resume elsewhere. */
  terminated(reason: SessionEndReason): void {
    // The manager already released the session; only the chat side remains.
    if (this.#exitChat() === undefined || this.closing) return;
    if (reason === "account_deleted" && this.deletingOwnAccount) return;
    const key: MessageKey = reason === "password_reset"
      ? "sessionPasswordReset"
      : reason === "session_resumed"
      ? "sessionResumed"
      : "sessionAccountDeleted";
    void this.#sink.close(reason, t(this.lang, key));
  }
}
