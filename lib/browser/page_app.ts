/// <reference lib="dom" />
/**
 * The browser page: the log-in screen, then the chat, over one
 * {@linkcode WebLink}. It is the terminal client's flow in a window: the
 * same protocol, slash commands (`lib/client/slash_commands.ts`), input
 * limits and words. After a dropped connection or a server restart it logs
 * back in by itself with the resume token (kept in the tab's session
 * storage, so a reload resumes too) and shows what was missed; a kick, a
 * replaced session or a deleted account ends it instead.
 *
 * It tells the server how far the user has read (`READ`, for the message
 * newest on screen while the tab is visible and focused), asks about the
 * avatars it shows, and offers the profile dialog (avatar, read receipts).
 *
 * @module
 */

import { EMOJI_SHORTCODES } from "../client/emoji.ts";
import { inputProblem } from "../client/input_limits.ts";
import {
  type LocalAction,
  parseSlashCommand,
} from "../client/slash_commands.ts";
import type { Command, Reply } from "../protocol/protocol.ts";
import type { Clock } from "../shared/clock.ts";
import { type Lang, type MessageKey, t } from "../shared/messages.ts";
import { type AuthRequest, AuthScreen } from "./auth_screen.ts";
import { newPasswordProblem } from "../web/auth_form.ts";
import { type ChatEffect, ChatModel } from "../web/chat_model.ts";
import { ChatScreen, type ToolbarButton } from "./chat_screen.ts";
import { askDialog } from "./dialog.ts";
import { byId, h, translate } from "./dom.ts";
import { pageNotice, replyLine } from "../web/page_lines.ts";
import {
  chooseLang,
  helloNumber,
  isFinalBye,
  LANG_KEY,
  SESSION_KEY,
} from "../web/page_rules.ts";
import { type LinkState, WebLink } from "../web/web_link.ts";
import { PageFiles } from "./page_files.ts";
import { formatBytes } from "../shared/file_names.ts";
import { ROOM_KEY } from "../web/chat_model.ts";
import { ReadTracker } from "../client/read_tracker.ts";
import { AvatarUpload } from "./avatar_upload.ts";
import { ProfileDialog } from "./profile_dialog.ts";

/** What the page runs in (the browser's, or a test's). */
export interface PageEnvironment {
  doc: Document;
  /** The page's own address: the socket goes to the same host. */
  location: { protocol: string; host: string };
  /** Per tab: the resume token. */
  session: Storage;
  /** Per browser: the language chosen. */
  prefs: Storage;
  /** The browser's languages, most wanted first. */
  languages: readonly string[];
  clock: Clock;
}

/** The logged-in account and its newest resume token. */
interface SavedSession {
  username: string;
  token: string;
}

/** The button that does each of the terminal client's local commands. */
const LOCAL_BUTTONS: Readonly<Record<LocalAction, ToolbarButton>> = {
  quit: "logout",
  help: "help",
  emoji: "emoji",
  "change_password": "password",
  "delete_account": "delete",
};

/** Delay before asking for the online list after presence changed. */
const USERS_REFRESH_MS = 400;
/** Delay before asking about avatars, so a burst of lines asks once. */
const AVATARS_ASK_MS = 50;
/** `OK` codes that answer `RECEIPTS`, with the setting they say. */
const RECEIPTS_OK: Readonly<Record<string, boolean>> = {
  "receipts_on": true,
  "receipts_off": false,
};
/** `OK` codes that answer `AVATAR`. */
const AVATAR_OK: ReadonlySet<string> = new Set([
  "avatar_set",
  "avatar_cleared",
]);

/** The page's controller. */
export class PageApp {
  #env: PageEnvironment;
  #doc: Document;
  #lang: Lang;
  #link: WebLink;
  #auth: AuthScreen;
  #chat: ChatScreen;
  #files: PageFiles;
  #model: ChatModel | undefined;
  #saved: SavedSession | undefined;
  /** Logging in with a password or a token is on its way. */
  #pending: "login" | "register" | "reset" | "resume" | undefined;
  /** Registered under this name: fill it in on the log-in form. */
  #registered: string | undefined;
  #usersTimer: ReturnType<typeof setTimeout> | undefined;
  /** The server's minimum password length, from `HELLO`. */
  #minPassword = 8;
  /** The largest file the server takes (`max_file` in `HELLO`), if it said. */
  #maxFile: number | undefined;
  #linkState: LinkState = "connecting";
  #reads = new ReadTracker();
  #readTimer: ReturnType<typeof setTimeout> | undefined;
  #avatarTimer: ReturnType<typeof setTimeout> | undefined;
  #profile: ProfileDialog;
  #avatarUpload: AvatarUpload;
  /** Bare `RECEIPTS` sent by the dialog: their answers are not lines. */
  #receiptsQueries = 0;

  /** A page in `env`; call {@linkcode start}. */
  constructor(env: PageEnvironment) {
    this.#env = env;
    this.#doc = env.doc;
    this.#lang = chooseLang(env.prefs.getItem(LANG_KEY), env.languages);
    this.#saved = readSaved(env.session);
    const scheme = env.location.protocol === "https:" ? "wss:" : "ws:";
    this.#link = new WebLink(`${scheme}//${env.location.host}/ws`, {
      reply: (reply, line) => this.#reply(reply, line),
      state: (state, retryIn) => this.#state(state, retryIn),
    });
    this.#auth = new AuthScreen(env.doc, (request) => this.#submit(request));
    this.#chat = new ChatScreen(env.doc, {
      typed: (text) => this.#typed(text),
      join: (room) => this.#send({ type: "join", room }),
      open: (key) => this.#applyChat({ type: "open", key }),
      older: () => this.#applyChat({ type: "older" }),
      button: (name) => this.#button(name),
      share: (files) => this.#share(files),
      download: (id) => void this.#files.download(id),
      seen: () => this.#checkReads(),
    });
    this.#files = new PageFiles(env.doc, byId(env.doc, "transfers"), {
      lang: () => this.#lang,
      clock: env.clock,
      send: (command) => this.#send(command),
      notice: (kind, text) => this.#notice(kind, text),
      location: {
        protocol: env.location.protocol,
        hostname: hostnameOf(env.location.host),
      },
    });
    this.#avatarUpload = new AvatarUpload(env.doc, {
      lang: () => this.#lang,
      send: (command) => this.#send(command),
      location: {
        protocol: env.location.protocol,
        hostname: hostnameOf(env.location.host),
      },
    });
    this.#profile = new ProfileDialog(env.doc, {
      lang: () => this.#lang,
      username: () => this.#model?.username,
      mark: (name) => this.#model?.avatars.mark(name),
      send: (command) => this.#send(command),
      upload: (file) => this.#avatarUpload.upload(file),
    });
  }

  /** Shares files into the conversation in view. */
  #share(files: readonly File[]): void {
    const current = this.#model?.current;
    if (current === undefined) return;
    const target = current.key === ROOM_KEY
      ? `#${current.title}`
      : current.title;
    for (const file of files) {
      // Refused before the browser reads and hashes it all.
      if (this.#maxFile !== undefined && file.size > this.#maxFile) {
        this.#notice(
          "error",
          t(this.#lang, "fileTooLarge", { max: formatBytes(this.#maxFile) }),
        );
        continue;
      }
      void this.#files.upload(file, target);
    }
  }

  /** Wires the page's own controls and connects. */
  start(): void {
    const doc = this.#doc;
    const langSwitch = byId<HTMLSelectElement>(doc, "lang-switch");
    langSwitch.value = this.#lang;
    langSwitch.addEventListener("change", () => {
      this.#setLang(langSwitch.value === "en" ? "en" : "zh");
    });
    byId(doc, "btn-retry").addEventListener(
      "click",
      () => this.#link.retryNow(),
    );
    doc.defaultView?.addEventListener("online", () => this.#link.retryNow());
    doc.addEventListener("visibilitychange", () => this.#focusChanged());
    // Read positions also wait for the window's focus.
    doc.defaultView?.addEventListener("focus", () => this.#chat.requestSeen());
    this.#fillEmojiPanel();
    this.#setLang(this.#lang);
    this.#showAuth();
    this.#link.start();
  }

  #setLang(lang: Lang): void {
    this.#lang = lang;
    this.#env.prefs.setItem(LANG_KEY, lang);
    this.#doc.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    translate(this.#doc, lang);
    this.#auth.lang = lang;
    if (this.#model !== undefined) this.#model.lang = lang;
    // Server sentences (errors, notices) follow.
    this.#link.send({ type: "lang", lang });
    this.#render();
  }

  // --- the connection ---------------------------------------------------

  #state(state: LinkState, retryInMs?: number): void {
    const element = byId(this.#doc, "connection");
    element.dataset.state = state;
    element.textContent = state === "reconnecting"
      ? t(this.#lang, "webStateReconnecting", {
        seconds: Math.round((retryInMs ?? 0) / 1000),
      })
      : t(this.#lang, stateKey(state));
    byId(this.#doc, "btn-retry").hidden = state !== "reconnecting";
    const lost = state === "reconnecting" && this.#linkState === "online";
    this.#linkState = state;
    if (state !== "online") {
      this.#files.disconnected();
      this.#avatarUpload.disconnected();
    }
    if (lost && this.#model !== undefined) {
      this.#notice("system", t(this.#lang, "connectionLost"));
    }
  }

  #reply(reply: Reply, line: string): void {
    if (reply.type === "hello") {
      this.#hello(line);
      return;
    }
    if (reply.type === "bye") {
      this.#bye(reply);
      return;
    }
    if (this.#pending !== undefined || this.#model === undefined) {
      this.#authReply(reply);
      return;
    }
    this.#chatReply(reply);
  }

  #hello(line: string): void {
    this.#minPassword = helloNumber(line, "min_password") ?? 8;
    this.#maxFile = helloNumber(line, "max_file", 16);
    this.#auth.minPassword = this.#minPassword;
    this.#link.send({ type: "lang", lang: this.#lang });
    if (this.#saved !== undefined) {
      this.#pending = "resume";
      this.#link.send({
        type: "resume",
        username: this.#saved.username,
        token: this.#saved.token,
      });
      return;
    }
    this.#pending = undefined;
    if (this.#model !== undefined) this.#endChat("webSessionEnded");
  }

  #bye(reply: Extract<Reply, { type: "bye" }>): void {
    const line = replyLine(reply, this.#lang, "", this.#now());
    if (this.#model !== undefined && line !== undefined) {
      this.#applyChat({ type: "notice", line });
    }
    if (!isFinalBye(reply.code)) return; // the link reconnects and resumes
    this.#link.stop();
    this.#forget();
    this.#endChat(undefined, line?.text ?? reply.message);
    // A fresh socket for the next log-in; nothing resumes on it.
    this.#link.start();
  }

  // --- logging in -------------------------------------------------------

  #submit(request: AuthRequest): void {
    this.#auth.busy = true;
    this.#pending = request.mode;
    const sent = this.#send(
      request.mode === "reset"
        ? {
          type: "reset_confirm",
          token: request.token,
          newPassword: request.password,
        }
        : {
          type: request.mode,
          username: request.username,
          password: request.password,
        },
    );
    if (!sent) {
      this.#auth.busy = false;
      this.#pending = undefined;
    }
    if (request.mode === "register") this.#registered = request.username;
  }

  #authReply(reply: Reply): void {
    const auth = this.#auth;
    const done = (text: string, ok = false) => {
      this.#pending = undefined;
      auth.busy = false;
      auth.clearPasswords();
      auth.message(text, ok);
    };
    switch (reply.type) {
      case "auth_success": {
        const resumed = this.#pending === "resume" &&
          this.#model !== undefined &&
          this.#model.username === reply.username;
        this.#pending = undefined;
        auth.busy = false;
        auth.clearPasswords();
        auth.message("");
        if (resumed) {
          this.#notice("system", t(this.#lang, "reconnected"));
          this.#applyChat({ type: "resumed" });
        } else {
          this.#model = new ChatModel(
            reply.username,
            this.#lang,
            this.#env.clock,
          );
          this.#reads = new ReadTracker();
        }
        this.#showChat();
        return;
      }
      case "auth_failure":
        if (this.#pending === "resume") {
          this.#forget();
          this.#endChat("webSessionEnded");
          return;
        }
        done(reply.message);
        return;
      case "register_success":
        done(t(this.#lang, "registerDone"), true);
        return;
      case "reset_success":
        done(t(this.#lang, "resetDone"), true);
        return;
      case "recovery_code":
        auth.showRecovery(reply.code, () => {
          auth.mode = "login";
          if (this.#registered !== undefined) {
            byId<HTMLInputElement>(this.#doc, "auth-name").value =
              this.#registered;
            byId(this.#doc, "auth-password").focus();
          }
          auth.message(t(this.#lang, "registerDone"), true);
        });
        return;
      case "register_failure":
      case "reset_failure":
      case "delete_failure":
      case "reset_requested":
        done(reply.message);
        return;
      case "error":
        done(reply.message || reply.code);
        return;
      default:
        // Lines of a chat not yet shown (a resume in progress) go to it.
        if (this.#model !== undefined) this.#chatReply(reply);
    }
  }

  // --- the chat ---------------------------------------------------------

  #chatReply(reply: Reply): void {
    switch (reply.type) {
      case "resume_token":
        this.#saved = { username: this.#model!.username, token: reply.token };
        this.#env.session.setItem(SESSION_KEY, JSON.stringify(this.#saved));
        return;
      case "logout_success":
        this.#forget();
        this.#endChat();
        return;
      case "delete_success":
        this.#forget();
        this.#endChat("accountDeleted");
        return;
      case "password_success":
        this.#notice("ok", t(this.#lang, "passwordChanged"));
        return;
      case "password_failure":
      case "delete_failure":
        this.#notice("error", reply.message);
        return;
      case "file_upload":
      case "file_download":
        this.#files.ticket(reply);
        return;
      case "avatar_upload":
        this.#avatarUpload.ticket(reply);
        return;
      case "ok":
        if (reply.code in RECEIPTS_OK) {
          this.#profile.receipts = RECEIPTS_OK[reply.code]!;
          if (this.#receiptsQueries > 0) {
            this.#receiptsQueries--;
            return;
          }
        }
        if (AVATAR_OK.has(reply.code) && this.#profile.isOpen) {
          this.#profile.say(reply.message, true);
        }
        break;
      case "error":
      case "muted":
        this.#avatarUpload.refused(reply);
        if (reply.type === "error" && this.#profile.isOpen) {
          this.#profile.say(reply.message || reply.code);
        }
        break;
    }
    // A refusal of a file command ends its transfer; it shows as usual.
    this.#files.refused(reply);
    this.#applyChat({ type: "reply", reply, now: this.#now() });
    if (reply.type === "avatar_list") this.#profile.refresh();
  }

  #typed(text: string): void {
    const model = this.#model;
    if (model === undefined) return;
    const parsed = parseSlashCommand(text);
    const lang = this.#lang;
    switch (parsed.kind) {
      case "empty":
        return;
      case "unknown":
        this.#notice(
          "error",
          t(lang, "unknownSlashCommand", { command: parsed.command }),
        );
        return;
      case "usage":
        // A reason says more than the usage (`/avatar cat`: one emoji).
        this.#notice(
          "error",
          parsed.reason === undefined
            ? t(lang, "usageError", { usage: t(lang, parsed.usage) })
            : t(lang, parsed.reason),
        );
        return;
      case "message": {
        const current = model.current;
        if (current.kind === "private") {
          this.#command({
            type: "privmsg",
            to: current.title,
            text: parsed.text,
          });
          return;
        }
        if (this.#command({ type: "msg", text: parsed.text })) {
          this.#applyChat({
            type: "sent",
            text: parsed.text,
            now: this.#now(),
          });
        }
        return;
      }
      case "local":
        // The terminal's local commands are the page's buttons.
        this.#button(LOCAL_BUTTONS[parsed.action]);
        return;
      case "send":
        // A page cannot read a path: its files come from a drop or a pick.
        this.#notice("system", t(lang, "webSendHint"));
        return;
      case "get":
        void this.#files.download(parsed.id);
        return;
      case "command":
        if (this.#command(parsed.command)) {
          this.#applyChat({ type: "typed", command: parsed.command });
          if (parsed.command.type === "privmsg") {
            this.#applyChat({ type: "open", key: `@${parsed.command.to}` });
          }
        }
        return;
    }
  }

  /** Sends a command the user wrote, after the input limits. */
  #command(command: Command): boolean {
    const problem = inputProblem(command);
    if (problem !== undefined) {
      this.#notice("error", t(this.#lang, problem.key, problem.params));
      return false;
    }
    return this.#send(command);
  }

  #button(name: ToolbarButton): void {
    const lang = this.#lang;
    switch (name) {
      case "help":
        this.#notice("system", t(lang, "helpText"));
        return;
      case "emoji": {
        const panel = byId(this.#doc, "emoji-panel");
        panel.hidden = !panel.hidden;
        return;
      }
      case "logout":
        this.#send({ type: "logout" });
        return;
      case "notify":
        void this.#askNotifications();
        return;
      case "password":
        void this.#changePassword();
        return;
      case "delete":
        void this.#deleteAccount();
        return;
      case "profile":
        this.#openProfile();
        return;
      case "whois": {
        const current = this.#model?.current;
        if (current?.kind === "private") {
          this.#send({ type: "whois", user: current.title });
        }
        return;
      }
    }
  }

  #openProfile(): void {
    if (this.#model === undefined) return;
    this.#profile.unknownReceipts();
    this.#profile.open();
    // The setting is the account's: ask, and show the answer in the toggle.
    if (this.#send({ type: "receipts" })) this.#receiptsQueries++;
  }

  async #changePassword(): Promise<void> {
    const lang = this.#lang;
    const min = this.#minPassword;
    const values = await askDialog(this.#doc, lang, {
      title: t(lang, "webChangePassword"),
      fields: [
        { name: "old", label: t(lang, "webOldPassword") },
        { name: "new", label: t(lang, "webNewPasswordMin", { min }) },
        { name: "confirm", label: t(lang, "webConfirmPassword") },
      ],
      check: (values) => {
        if (values.old === "" || values.new === "") {
          return t(lang, "emptyInput");
        }
        return newPasswordProblem(values.new!, values.confirm!, min, lang);
      },
    });
    if (values === undefined) return;
    this.#command({
      type: "change_password",
      oldPassword: values.old!,
      newPassword: values.new!,
    });
  }

  async #deleteAccount(): Promise<void> {
    const model = this.#model;
    if (model === undefined) return;
    const lang = this.#lang;
    const values = await askDialog(this.#doc, lang, {
      title: t(lang, "webDeleteAccount"),
      text: t(lang, "webDeleteExplain", { username: model.username }),
      fields: [{ name: "password", label: t(lang, "webPassword") }],
      check: (values) =>
        values.password === "" ? t(lang, "emptyInput") : undefined,
    });
    if (values === undefined) return;
    this.#command({
      type: "delete_account",
      username: model.username,
      password: values.password!,
    });
  }

  async #askNotifications(): Promise<void> {
    const lang = this.#lang;
    if (typeof Notification === "undefined") {
      this.#notice("error", t(lang, "webNotifyDenied"));
      return;
    }
    const permission = await Notification.requestPermission();
    this.#notice(
      permission === "granted" ? "ok" : "error",
      t(lang, permission === "granted" ? "webNotifyOn" : "webNotifyDenied"),
    );
  }

  #fillEmojiPanel(): void {
    const doc = this.#doc;
    const panel = byId(doc, "emoji-panel");
    const input = byId<HTMLInputElement>(doc, "input");
    const buttons = [...new Set(EMOJI_SHORTCODES.values())].map((emoji) => {
      const button = h(doc, "button", { type: "button", title: emoji }, emoji);
      button.addEventListener("click", () => {
        input.setRangeText(
          emoji,
          input.selectionStart ?? input.value.length,
          input.selectionEnd ?? input.value.length,
          "end",
        );
        input.focus();
      });
      return button;
    });
    panel.replaceChildren(...buttons);
  }

  // --- the model and the screens ----------------------------------------

  #applyChat(event: Parameters<ChatModel["apply"]>[0]): void {
    const model = this.#model;
    if (model === undefined) return;
    for (const effect of model.apply(event)) this.#effect(effect);
    if (event.type === "reply" && event.reply.type === "joined") {
      // Left behind: what waited for another room can no longer be sent.
      for (const target of this.#reads.waiting) {
        if (target.startsWith("#") && target !== model.readRoom) {
          this.#reads.drop(target);
        }
      }
    }
    this.#render();
    if (model.avatars.wanting) this.#askAvatarsSoon();
    this.#chat.requestSeen();
  }

  // --- read positions and avatars ---------------------------------------

  /**
   * Notes the newest message on screen as read, when the user can see it
   * (the tab visible and focused), and sends what is due.
   */
  #checkReads(): void {
    const model = this.#model;
    if (model === undefined || !this.#chat.visibleToUser) return;
    const target = model.readTarget;
    const id = this.#chat.newestVisibleReadId();
    if (target !== undefined && id !== undefined) this.#reads.see(target, id);
    this.#sendReads();
  }

  /** Sends the `READ`s due now, and sets a timer for the next one. */
  #sendReads(): void {
    const model = this.#model;
    if (this.#readTimer !== undefined) {
      clearTimeout(this.#readTimer);
      this.#readTimer = undefined;
    }
    if (model === undefined || this.#linkState !== "online") return;
    const room = model.readRoom;
    // A room's only while the page is in it (others wait for the next
    // look, after the page is back in its room).
    const sendable = (target: string) =>
      !target.startsWith("#") || target === room;
    for (const command of this.#reads.due(this.#now(), sendable)) {
      this.#link.send(command);
    }
    const next = this.#reads.nextDueAt(sendable);
    if (next === undefined) return;
    this.#readTimer = setTimeout(
      () => this.#sendReads(),
      Math.max(0, next - this.#now()),
    );
  }

  /** Sends the room's waiting `READ` before the page leaves the room. */
  #flushRoomRead(): void {
    const room = this.#model?.readRoom;
    if (room === undefined || this.#linkState !== "online") return;
    const command = this.#reads.flush(room, this.#now());
    if (command !== undefined) this.#link.send(command);
  }

  #askAvatarsSoon(): void {
    if (this.#avatarTimer !== undefined) return;
    this.#avatarTimer = setTimeout(() => {
      this.#avatarTimer = undefined;
      const model = this.#model;
      // Offline: asked once back (the names keep waiting).
      if (model === undefined || this.#linkState !== "online") return;
      for (const command of model.avatars.takeRequests()) {
        this.#link.send(command);
      }
    }, AVATARS_ASK_MS);
  }

  #effect(effect: ChatEffect): void {
    switch (effect.type) {
      case "send":
        this.#send(effect.command);
        return;
      case "notify":
        notify(this.#doc, effect.title, effect.body);
        return;
      case "users_changed":
        if (this.#usersTimer !== undefined) return;
        this.#usersTimer = setTimeout(() => {
          this.#usersTimer = undefined;
          this.#send({ type: "users", all: false });
        }, USERS_REFRESH_MS);
        return;
    }
  }

  #notice(kind: "system" | "ok" | "error", text: string): void {
    if (this.#model === undefined) {
      this.#auth.message(text, kind === "ok");
      return;
    }
    this.#applyChat({
      type: "notice",
      line: pageNotice(this.#lang, kind, text, this.#now()),
    });
  }

  #focusChanged(): void {
    this.#applyChat({
      type: "focus",
      focused: this.#doc.visibilityState === "visible",
    });
  }

  #render(): void {
    const model = this.#model;
    if (model === undefined) {
      this.#doc.title = t(this.#lang, "webTitle");
      return;
    }
    this.#chat.render(model, this.#lang, this.#now());
    const unread = model.unreadTotal;
    this.#doc.title = unread > 0
      ? `(${unread}) ${t(this.#lang, "webTitle")}`
      : t(this.#lang, "webTitle");
  }

  #showAuth(): void {
    this.#chat.visible = false;
    this.#auth.visible = true;
  }

  #showChat(): void {
    this.#auth.visible = false;
    this.#chat.visible = true;
    this.#focusChanged();
    this.#render();
  }

  /** Back to the log-in screen, with a catalog sentence or a text. */
  #endChat(key?: MessageKey, text?: string): void {
    this.#model = undefined;
    this.#profile.close();
    if (this.#readTimer !== undefined) clearTimeout(this.#readTimer);
    this.#readTimer = undefined;
    this.#pending = undefined;
    this.#auth.busy = false;
    byId(this.#doc, "emoji-panel").hidden = true;
    this.#showAuth();
    this.#auth.mode = "login";
    this.#auth.message(text ?? (key === undefined ? "" : t(this.#lang, key)));
    this.#render();
  }

  #forget(): void {
    this.#saved = undefined;
    this.#env.session.removeItem(SESSION_KEY);
  }

  #send(command: Command): boolean {
    // The server takes a room's READ only from someone in the room.
    if (
      command.type === "join" || command.type === "leave" ||
      command.type === "logout"
    ) this.#flushRoomRead();
    const sent = this.#link.send(command);
    if (!sent && command.type !== "lang") {
      this.#notice("error", t(this.#lang, "webStateOffline"));
    }
    return sent;
  }

  #now(): number {
    return this.#env.clock.now();
  }
}

function readSaved(storage: Storage): SavedSession | undefined {
  try {
    const value = JSON.parse(storage.getItem(SESSION_KEY) ?? "null");
    if (
      typeof value?.username === "string" && typeof value?.token === "string"
    ) return { username: value.username, token: value.token };
  } catch {
    // A damaged entry: log in again.
  }
  return undefined;
}

function stateKey(state: LinkState): MessageKey {
  switch (state) {
    case "connecting":
      return "webStateConnecting";
    case "online":
      return "webStateOnline";
    case "reconnecting":
      return "webStateReconnecting";
    case "offline":
      return "webStateOffline";
  }
}

function notify(doc: Document, title: string, body: string): void {
  if (typeof Notification === "undefined") return;
  if (
    Notification.permission !== "granted" || doc.visibilityState === "visible"
  ) return;
  try {
    new Notification(title, { body, tag: `tcpchat-${title}` });
  } catch {
    // Some browsers allow notifications only from a service worker.
  }
}

/** The host name of a `host[:port]` (brackets of IPv6 kept off). */
function hostnameOf(host: string): string {
  const bracketed = /^\[([^\]]+)\]/.exec(host);
  if (bracketed !== null) return bracketed[1]!;
  return host.replace(/:\d+$/, "");
}
