/**
 * The chat phase (聊天室): events from the server and lines from the user at
 * once. An event pump reads the connection, keeps the room state
 * (`room_state.ts`) and shows what it says; typed lines are read by
 * `slash_commands.ts` and carried out here; a command whose reply matters
 * waits through a {@linkcode ReplyWaiter} the pump feeds. A lost connection
 * is resumed, and what was missed is caught up. What the user was shown is
 * reported as read (`read_marks.ts`); delivery and read receipts, unread
 * counts (`read_state.ts`) and avatars (`avatar_marks.ts`) are kept for the
 * lines that show them.
 *
 * @module
 */

import type { ServerConnection } from "./connection.ts";
import type { ClientUi } from "./client_ui.ts";
import { askNewPassword } from "./auth_flow.ts";
import { type ReplyOf, ReplyWaiter, type Timers } from "./reply_waiter.ts";
import type { ServerLink, Session } from "./server_link.ts";
import { parseSlashCommand } from "./slash_commands.ts";
import {
  initialRoomState,
  isMuted,
  pageBack,
  type RoomEvent,
  type RoomOutput,
  type RoomState,
  step,
} from "./room_state.ts";
import { inputProblem } from "./input_limits.ts";
import { emojiColumns } from "./emoji.ts";
import {
  chatLine,
  chatPrompt,
  headingLine,
  HistoryDays,
  mutedRefusalLine,
  renderEvent,
  systemLine,
  type ViewContext,
} from "./view.ts";
import type { Command, Reply } from "../protocol/protocol.ts";
import type { MessageKey } from "../shared/messages.ts";
import { defaultDownloadFolder, FileJobs } from "./file_jobs.ts";
import { type AvatarMarks, rememberAvatars } from "./avatar_marks.ts";
import { ReadMarks, readTargetOf } from "./read_marks.ts";
import {
  initialReadState,
  isDelivered,
  type ReadOutput,
  type ReadState,
  readStep,
} from "./read_state.ts";
import {
  ownPrivateLine,
  pmReadLine,
  roomListLine,
  unreadSummaryLine,
  userListLine,
  whoisLine,
} from "./receipts_view.ts";

/** How the chat ended: leave the client, back to the menu, or give up. */
export type ChatOutcome = "quit" | "menu" | "fatal";

/** Options for {@linkcode runChat}. */
export interface ChatOptions {
  /** The terminal's width, for `/emoji`. @default {() => 80} */
  columns?: () => number;
  /** Where the delayed `READ`s wait (tests fake them). @default {SYSTEM_TIMERS} */
  timers?: Timers;
}

/** Shows the chat banner and runs the chat until it ends. */
export async function runChat(
  ui: ClientUi,
  link: ServerLink,
  session: Session,
  options: ChatOptions = {},
): Promise<ChatOutcome> {
  ui.banner("chatTitle");
  ui.print(ui.t("chatWelcome", { username: session.username }));
  ui.print("");
  return await new ChatLoop(ui, link, session, options).run();
}

type PumpEnd = { type: "lost" } | { type: "bye"; reply: ReplyOf<"bye"> };

class ChatLoop {
  #ui: ClientUi;
  #link: ServerLink;
  #session: Session;
  #columns: () => number;
  /** The chat's view: own messages are told apart. */
  #view: ViewContext;
  #state: RoomState;
  /** The date lines of the history block being shown. */
  #days: HistoryDays;
  /** A command's reply being awaited while events keep flowing. */
  #waiter = new ReplyWaiter();
  /**
   * Stops the event pump when leaving the chat, so that it takes no more
   * lines from the connection: the logout reply, or the 认证菜单's replies
   * after /delete-account, belong to whoever reads next.
   */
  #stopPump = new AbortController();
  /** The connection of the pump, where commands go. */
  #conn: ServerConnection;
  /** File transfers running beside the chat. */
  #files: FileJobs;
  /** The `READ`s of what the user was shown. */
  #reads: ReadMarks;
  /** Receipts of the user's private messages, and unread counts. */
  #readState: ReadState = initialReadState();
  /** Users' avatars, for `/users` and `/whois`. */
  #avatars: AvatarMarks = new Map();

  constructor(
    ui: ClientUi,
    link: ServerLink,
    session: Session,
    options: ChatOptions,
  ) {
    this.#ui = ui;
    this.#link = link;
    this.#session = session;
    this.#columns = options.columns ?? (() => 80);
    this.#view = { ...ui.view, ownName: session.username };
    this.#state = initialRoomState(session.username);
    this.#days = new HistoryDays(this.#view, ui.clock);
    this.#conn = link.connection!;
    this.#files = new FileJobs({
      lang: ui.view.lang,
      clock: ui.clock,
      connection: () => this.#conn,
      ask: (command, types) => this.#ask(command, types),
      failure: (reply) => ui.failure(reply),
      print: (text) => ui.print(text),
      success: (key, params) => ui.success(ui.t(key, params)),
      error: (key, params) => ui.error(ui.t(key, params)),
    });
    this.#reads = new ReadMarks({
      clock: ui.clock,
      timers: options.timers,
      send: (command) => this.#conn.send(command),
    });
  }

  async run(): Promise<ChatOutcome> {
    try {
      return await this.#run();
    } finally {
      this.#stopPump.abort();
      this.#reads.close();
      await this.#files.close();
    }
  }

  async #run(): Promise<ChatOutcome> {
    const ui = this.#ui;
    let events = this.#pump(this.#conn);
    let input = ui.io.readChatLine(chatPrompt(this.#state.room));
    // The welcome event comes first; then the seed's "开始聊天" line.
    await new Promise((resolve) => setTimeout(resolve, 0));
    while (true) {
      const next = await Promise.race([
        input.then((value) => ({ kind: "input" as const, value })),
        events.then((value) => ({ kind: "end" as const, value })),
      ]);
      if (next.kind === "end") {
        const end = next.value;
        if (end.type === "bye") {
          const line = renderEvent(end.reply, this.#view);
          if (line !== undefined) ui.print(line);
          // After any other BYE (kicked, shutdown, session_resumed …) a
          // resume would fail or undo someone's decision.
          const resumable = end.reply.code === "ping_timeout" ||
            end.reply.code === "send_queue_full";
          if (!resumable) {
            await this.#conn.close();
            ui.print(ui.t("disconnected"));
            return "quit";
          }
        }
        const outcome = await this.#link.resume(this.#session);
        if (outcome !== "resumed") return outcome;
        this.#conn = this.#link.connection!;
        this.#reads.reconnected();
        this.#apply({ type: "resumed" });
        events = this.#pump(this.#conn);
        continue;
      }
      const value = next.value;
      if (value.type !== "line") {
        await this.#disconnect();
        return "quit";
      }
      const result = await this.#handleLine(value.line);
      if (result !== undefined) return result;
      input = ui.io.readChatLine(chatPrompt(this.#state.room));
    }
  }

  /** Carries out what the user typed; resolves an outcome to leave the chat. */
  async #handleLine(typed: string): Promise<"quit" | "menu" | undefined> {
    const ui = this.#ui;
    const parsed = parseSlashCommand(typed);
    switch (parsed.kind) {
      case "empty":
        return undefined;
      case "unknown":
        ui.error(ui.t("unknownSlashCommand", { command: parsed.command }));
        return undefined;
      case "usage":
        if (parsed.reason === undefined) this.#usage(parsed.usage);
        else ui.error(ui.t(parsed.reason));
        return undefined;
      case "send":
        await this.#files.send(parsed.target, parsed.path);
        return undefined;
      case "get":
        this.#files.get(
          parsed.id,
          parsed.folder ?? await defaultDownloadFolder(),
        );
        return undefined;
      case "message": {
        const text = parsed.text;
        // While muted the server refuses it (MUTED): show only that refusal.
        const muted = isMuted(this.#state, ui.clock.now());
        if (await this.#send({ type: "msg", text }) && !muted) {
          ui.print(
            chatLine(this.#session.username, text, ui.clock.now(), this.#view),
          );
        }
        return undefined;
      }
      case "local":
        switch (parsed.action) {
          case "quit":
            await this.#disconnect();
            return "quit";
          case "help":
            ui.print(ui.t("helpText"));
            return undefined;
          case "emoji":
            ui.print(
              [ui.t("viewEmojiTitle"), ...emojiColumns(this.#columns())]
                .join("\n"),
            );
            return undefined;
          case "change_password":
            await this.#changePassword();
            return undefined;
          case "delete_account":
            return await this.#deleteAccount();
        }
        return undefined;
      case "command": {
        const command = parsed.command;
        if (command.type === "join" || command.type === "leave") {
          // The room's last READ first: the server takes it only from a member.
          await this.#reads.leaveRoom();
          // Waits for JOINED, so that the next prompt names the room.
          const reply = await this.#ask(command, ["joined", "error"]);
          if (reply?.type === "error") ui.failure(reply);
          // Still in the room (refused, or no answer): its reads go on.
          if (reply?.type !== "joined") this.#reads.enterRoom(this.#state.room);
        } else if (command.type === "history") {
          await this.#send(pageBack(this.#state, command.count));
        } else {
          await this.#send(command);
        }
        return undefined;
      }
    }
  }

  /** Shows a usage error for a command typed without its arguments. */
  #usage(key: MessageKey): void {
    this.#ui.error(this.#ui.t("usageError", { usage: this.#ui.t(key) }));
  }

  /**
   * Whether `command` can be sent; if not (over a protocol limit or
   * malformed), says why from the catalog and sends nothing.
   */
  #checkFormat(command: Command): boolean {
    const problem = inputProblem(command);
    if (problem === undefined) return true;
    this.#ui.error(this.#ui.t(problem.key, problem.params));
    return false;
  }

  /** Sends a command whose answer the event pump shows; false if not sent. */
  async #send(command: Command): Promise<boolean> {
    if (!this.#checkFormat(command)) return false;
    try {
      await this.#conn.send(command);
      return true;
    } catch {
      return false; // The event pump notices the broken connection.
    }
  }

  /** Sends a command and waits for its reply while the pump keeps showing events. */
  async #ask<T extends Reply["type"]>(
    command: Command,
    types: readonly T[],
  ): Promise<ReplyOf<T> | undefined> {
    if (!this.#checkFormat(command)) return undefined;
    const conn = this.#conn;
    const result = await this.#waiter.request(() => conn.send(command), types);
    return result.type === "reply" ? result.reply : undefined;
  }

  async #changePassword(): Promise<void> {
    const ui = this.#ui;
    const oldPassword = await ui.io.askSecret(ui.t("askOldPassword"));
    if (oldPassword === undefined || oldPassword === "") return;
    const newPassword = await askNewPassword(
      ui,
      this.#conn,
      "askNewPasswordMin",
    );
    if (newPassword === undefined) return;
    const reply = await this.#ask(
      { type: "change_password", oldPassword, newPassword },
      ["password_success", "password_failure", "error"],
    );
    if (reply?.type === "password_success") {
      ui.success(ui.t("passwordChanged"));
    } else {
      ui.failure(reply);
    }
  }

  async #deleteAccount(): Promise<"menu" | undefined> {
    const ui = this.#ui;
    const username = this.#session.username;
    const password = await ui.io.askSecret(ui.t("askPassword"));
    if (password === undefined || password === "") return undefined;
    const confirm = await ui.io.ask(ui.t("deleteConfirm", { username }));
    if (confirm?.trim().toLowerCase() !== "yes") {
      ui.print(ui.t("deleteCancelled"));
      return undefined;
    }
    const reply = await this.#ask(
      { type: "delete_account", username, password },
      ["delete_success", "delete_failure", "error"],
    );
    if (reply?.type !== "delete_success") {
      ui.failure(reply);
      return undefined;
    }
    ui.success(ui.t("accountDeleted"));
    return "menu";
  }

  /** Logs out and closes; the pump stops first so the reply reaches `disconnect`. */
  async #disconnect(): Promise<void> {
    // Before LOGOUT, while the server still takes them.
    await this.#reads.flushAll();
    this.#stopPump.abort();
    await this.#link.disconnect(this.#conn);
  }

  /** Shows events until the connection ends; resolves how it ended. */
  async #pump(conn: ServerConnection): Promise<PumpEnd> {
    while (true) {
      const reply = await conn.next(Infinity, this.#stopPump.signal);
      if (reply === undefined) {
        this.#waiter.close();
        return { type: "lost" };
      }
      // The room changes before anything that follows JOINED is shown,
      // whoever waits for it.
      if (reply.type === "joined") this.#apply({ type: "joined", reply });
      if (this.#waiter.offer(reply)) continue;
      switch (reply.type) {
        case "bye":
          this.#waiter.close();
          return { type: "bye", reply };
        case "resume_token":
          this.#session.resumeToken = reply.token;
          continue;
        default:
          this.#apply({ type: "reply", reply, now: this.#ui.clock.now() });
      }
    }
  }

  /** Steps the room state and carries out what it says. */
  #apply(event: RoomEvent): void {
    if (event.type === "joined") {
      this.#reads.enterRoom(event.reply.room);
      this.#note(event.reply);
    } else if (event.type === "reply") {
      this.#note(event.reply);
    }
    const { state, outputs } = step(this.#state, event);
    this.#state = state;
    for (const output of outputs) this.#output(output);
  }

  /** Keeps what a line says of receipts, unread counts and avatars. */
  #note(reply: Reply): void {
    if (reply.type === "avatar_list") {
      this.#avatars = rememberAvatars(this.#avatars, reply);
      return;
    }
    const { state, outputs } = readStep(this.#readState, reply);
    this.#readState = state;
    for (const output of outputs) this.#readOutput(output);
  }

  #readOutput(output: ReadOutput): void {
    const ui = this.#ui;
    switch (output.type) {
      case "pm_read":
        ui.print(
          pmReadLine(output.user, output.time, ui.clock.now(), this.#view),
        );
        return;
      case "unread_summary":
        ui.print(unreadSummaryLine(output.rooms, this.#view));
        return;
    }
  }

  /** The line for a server event, with what the terminal knows beside it. */
  #render(reply: Reply, now: number): string | undefined {
    const view = this.#view;
    switch (reply.type) {
      case "private":
        return reply.from === view.ownName
          ? ownPrivateLine(reply, isDelivered(this.#readState, reply), view)
          : renderEvent(reply, view, now);
      case "room_list":
        return roomListLine(reply, this.#readState.unread, view);
      case "user_list":
        return userListLine(reply, this.#avatars, view);
      case "whois_info":
        return whoisLine(reply, this.#avatars, view);
      default:
        return renderEvent(reply, view, now);
    }
  }

  #output(output: RoomOutput): void {
    const ui = this.#ui;
    const view = this.#view;
    switch (output.type) {
      case "show": {
        const line = this.#render(output.reply, output.now);
        if (line === undefined) return;
        ui.print(line);
        const read = readTargetOf(output.reply, this.#session.username);
        if (read !== undefined) this.#reads.seen(read);
        return;
      }
      case "welcome": {
        const line = renderEvent(output.reply, view);
        if (line !== undefined) ui.print(line);
        ui.print("");
        ui.print(ui.t("chatStart"));
        ui.print("");
        return;
      }
      case "muted_refusal":
        ui.print(mutedRefusalLine(output.reply, view, output.now));
        return;
      case "days_begin":
        this.#days.begin();
        return;
      case "day": {
        const line = this.#days.separator(output.time);
        if (line !== undefined) ui.print(line);
        return;
      }
      case "chat_line":
        ui.print(chatLine(output.sender, output.text, output.time, view));
        if (output.id !== undefined) {
          this.#reads.seen({ kind: "room", id: output.id });
        }
        return;
      case "heading":
        ui.print(headingLine(output.key, view));
        return;
      case "system":
        ui.print(systemLine(ui.t(output.key), view));
        return;
      case "send":
        // The pump notices a broken connection.
        this.#conn.send(output.command).catch(() => {});
        return;
    }
  }
}
