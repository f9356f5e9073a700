/// <reference lib="dom" />
/**
 * The chat screen: draws a {@linkcode ChatModel} (side bar with rooms,
 * private conversations and the online list; the conversation in view) and
 * reports what the user does. Scrolling: new lines keep the view at the
 * bottom unless the user scrolled up to read (then a "new messages" button
 * appears); reaching the top of the room asks for older history, and the
 * lines put on top keep the view where it was. Each message line, the room
 * list's users and the private conversations show avatars; own private
 * lines show their receipt (`✓` delivered, `✓✓` read); rooms show their
 * unread counts. The screen says which message is the newest on screen,
 * for the page's `READ`.
 *
 * @module
 */

import { type Lang, t } from "../shared/messages.ts";
import type { ChatModel, Conversation } from "../web/chat_model.ts";
import { badgeText, ROOM_KEY } from "../web/chat_model.ts";
import { byId, h } from "./dom.ts";
import type { PageLine } from "../web/page_lines.ts";
import { type Receipt, receiptTitle } from "../web/pm_receipts.ts";
import { avatarElement, refreshAvatars } from "./avatar_view.ts";

/** The screen's buttons (each is `#btn-<name>` in the page). */
export const TOOLBAR_BUTTONS = [
  "help",
  "emoji",
  "logout",
  "notify",
  "password",
  "delete",
  "whois",
  "profile",
] as const;

/** One of {@linkcode TOOLBAR_BUTTONS}. */
export type ToolbarButton = typeof TOOLBAR_BUTTONS[number];

/** What the user does on the chat screen. */
export interface ChatScreenActions {
  /** A line typed in the input (chat text or a `/command`). */
  typed(text: string): void;
  /** A room chosen in the list or typed in the join box. */
  join(room: string): void;
  /** A conversation chosen in the side bar (`#room` or `@name`). */
  open(key: string): void;
  /** The room was scrolled to its top. */
  older(): void;
  /** A toolbar button. */
  button(name: ToolbarButton): void;
  /** Files dropped on the conversation or picked with the attach button. */
  share(files: readonly File[]): void;
  /** A file line's download button. */
  download(id: number): void;
  /** What is on screen may have changed (scrolled, resized). */
  seen(): void;
}

/** Distance from the bottom (px) that still counts as "at the bottom". */
const BOTTOM_SLACK = 48;
/** Distance from the top (px) that asks for older history. */
const TOP_SLACK = 24;

/** The chat screen of one page. */
export class ChatScreen {
  #doc: Document;
  #root: HTMLElement;
  #messages: HTMLElement;
  #input: HTMLInputElement;
  #newBelow: HTMLElement;
  #actions: ChatScreenActions;
  /** What #messages shows: which conversation, its first and last line, how many. */
  #shown: {
    key: string;
    first: PageLine | undefined;
    last: PageLine | undefined;
    count: number;
  } = { key: "", first: undefined, last: undefined, count: 0 };
  /** What the side bar was last drawn from. */
  #sideBar = "";
  /** Set while the page itself scrolls, so that only the user's scrolling pages back. */
  #scrolling = false;
  /** The language lines are drawn in (their download buttons' word). */
  #lang: Lang = "zh";
  /** The model being drawn, and when (for receipts' titles). */
  #model: ChatModel | undefined;
  #now = 0;
  /** The avatar and receipt versions the lines were drawn with. */
  #drawn = { avatars: -1, receipts: -1, lang: "" };
  /** A `seen` report waits for the next frame. */
  #seenPending = false;

  /** Binds to the page's elements and reports to `actions`. */
  constructor(doc: Document, actions: ChatScreenActions) {
    this.#doc = doc;
    this.#actions = actions;
    this.#root = byId(doc, "chat-screen");
    this.#messages = byId(doc, "messages");
    this.#input = byId<HTMLInputElement>(doc, "input");
    this.#newBelow = byId(doc, "new-below");
    byId(doc, "composer").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.#input.value;
      this.#input.value = "";
      actions.typed(text);
    });
    byId(doc, "join-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const field = byId<HTMLInputElement>(doc, "join-name");
      const room = field.value.trim();
      field.value = "";
      if (room !== "") actions.join(room);
    });
    for (const name of TOOLBAR_BUTTONS) {
      byId(doc, `btn-${name}`).addEventListener("click", () => {
        this.#closeMenu();
        actions.button(name);
      });
    }
    byId(doc, "btn-menu").addEventListener("click", () => {
      this.#root.classList.toggle("menu-open");
    });
    this.#messages.addEventListener("scroll", () => this.#scrolled());
    doc.defaultView?.addEventListener("resize", () => this.requestSeen());
    this.#newBelow.addEventListener("click", () => this.#toBottom());
    const picker = byId<HTMLInputElement>(doc, "file-input");
    byId(doc, "btn-attach").addEventListener("click", () => picker.click());
    picker.addEventListener("change", () => {
      const files = [...picker.files ?? []];
      picker.value = "";
      if (files.length > 0) actions.share(files);
    });
    const area = byId(doc, "conversation");
    area.addEventListener("dragover", (event) => {
      if (!event.dataTransfer?.types.includes("Files")) return;
      event.preventDefault();
      area.classList.add("dropping");
    });
    area.addEventListener("dragleave", (event) => {
      if (event.target === area) area.classList.remove("dropping");
    });
    area.addEventListener("drop", (event) => {
      area.classList.remove("dropping");
      const files = [...event.dataTransfer?.files ?? []];
      if (files.length === 0) return;
      event.preventDefault();
      actions.share(files);
    });
  }

  /** Shows or hides the screen. */
  set visible(visible: boolean) {
    this.#root.hidden = !visible;
    byId(this.#doc, "btn-menu").hidden = !visible;
    if (visible) this.#input.focus();
  }

  /**
   * Whether the user can see the conversation: the screen shown, the tab
   * visible and the window focused (what counts a message as read).
   */
  get visibleToUser(): boolean {
    const doc = this.#doc;
    return !this.#root.hidden && doc.visibilityState === "visible" &&
      doc.hasFocus();
  }

  /** Puts text in the input (a click on a name), for the user to finish. */
  suggest(text: string): void {
    this.#input.value = text;
    this.#input.focus();
  }

  /** Draws the model; `now` is the time (receipts' titles say the day). */
  render(model: ChatModel, lang: Lang, now: number): void {
    this.#lang = lang;
    this.#model = model;
    this.#now = now;
    const doc = this.#doc;
    const current = model.current;
    byId(doc, "me").textContent = model.username;
    byId(doc, "conversation-title").textContent = current.kind === "room"
      ? current.title
      : `${t(lang, "webPrivate")}: ${current.title}`;
    byId(doc, "btn-whois").hidden = current.kind !== "private";
    this.#input.placeholder = current.kind === "room"
      ? t(lang, "webInputPlaceholder")
      : t(lang, "webInputPrivate", { user: current.title });
    // On a phone the side bar is folded away: its unread count shows on
    // the button that opens it.
    const elsewhere = model.unreadTotal - current.unread;
    byId(doc, "btn-menu").textContent = elsewhere > 0
      ? `${t(lang, "webMenu")} (${elsewhere})`
      : t(lang, "webMenu");
    // The side bar is drawn again only when what it shows changed, not on
    // every line of a busy room (its lists can be long).
    const sideBar = JSON.stringify([
      lang,
      model.room,
      model.active,
      model.roomEntries,
      model.users,
      model.conversations.map((each) => [each.key, each.unread]),
      model.avatars.version,
    ]);
    if (sideBar !== this.#sideBar) {
      this.#sideBar = sideBar;
      this.#renderRooms(model);
      this.#renderPrivate(model);
      this.#renderUsers(model);
    }
    this.#renderLines(current);
    const drawn = this.#drawn;
    if (drawn.avatars !== model.avatars.version) {
      refreshAvatars(this.#messages, (name) => model.avatars.mark(name));
    }
    if (
      current.kind === "private" &&
      (drawn.receipts !== model.receiptVersion || drawn.lang !== lang)
    ) this.#refreshReceipts(current);
    this.#drawn = {
      avatars: model.avatars.version,
      receipts: model.receiptVersion,
      lang,
    };
  }

  /**
   * The id of the newest message on screen that a `READ` of the
   * conversation in view may name, if any is on screen (partly counts).
   */
  newestVisibleReadId(): number | undefined {
    const box = this.#messages;
    if (this.#root.hidden || this.#root.classList.contains("menu-open")) {
      return undefined;
    }
    const view = box.getBoundingClientRect();
    if (view.height <= 0) return undefined;
    // From the bottom up: the first readable line in view is the newest.
    for (
      let line = box.lastElementChild;
      line;
      line = line.previousElementSibling
    ) {
      const rect = line.getBoundingClientRect();
      if (rect.top >= view.bottom) continue;
      if (rect.bottom <= view.top) return undefined;
      const id = (line as HTMLElement).dataset.readId;
      if (id !== undefined) return Number(id);
    }
    return undefined;
  }

  #renderRooms(model: ChatModel): void {
    const doc = this.#doc;
    const items = model.roomEntries.map((info) => {
      const here = info.name === model.room;
      const button = h(
        doc,
        "button",
        {
          type: "button",
          "data-room": info.name,
          "aria-current": here && model.active === ROOM_KEY
            ? "true"
            : undefined,
        },
        h(doc, "span", { class: "room-name" }, info.name),
        info.unread > 0
          ? h(doc, "span", {
            class: "badge",
            title: t(this.#lang, "webUnreadRoom", {
              count: badgeText(info.unread),
            }),
          }, badgeText(info.unread))
          : h(
            doc,
            "span",
            { class: "count" },
            String(
              // The online list is kept current; the room list is not.
              here && model.users.length > 0
                ? model.users.length
                : info.memberCount,
            ),
          ),
      );
      button.addEventListener("click", () => {
        this.#closeMenu();
        if (here) this.#actions.open(ROOM_KEY);
        else this.#actions.join(info.name);
      });
      return h(doc, "li", {}, button);
    });
    byId(doc, "room-list").replaceChildren(...items);
  }

  #renderPrivate(model: ChatModel): void {
    const doc = this.#doc;
    const items = model.conversations
      .filter((conversation) => conversation.kind === "private")
      .map((conversation) => {
        const button = h(
          doc,
          "button",
          {
            type: "button",
            "data-key": conversation.key,
            "aria-current": model.active === conversation.key
              ? "true"
              : undefined,
          },
          h(
            doc,
            "span",
            { class: "who" },
            avatarElement(
              doc,
              conversation.title,
              model.avatars.mark(conversation.title),
            ),
            h(doc, "span", {}, conversation.title),
          ),
          conversation.unread > 0
            ? h(
              doc,
              "span",
              { class: "badge" },
              badgeText(conversation.unread),
            )
            : undefined,
        );
        button.addEventListener("click", () => {
          this.#closeMenu();
          this.#actions.open(conversation.key);
        });
        return h(doc, "li", {}, button);
      });
    byId(doc, "private-list").replaceChildren(...items);
  }

  #renderUsers(model: ChatModel): void {
    const doc = this.#doc;
    byId(doc, "user-count").textContent = `(${model.users.length})`;
    const items = model.users.map((user) => {
      const button = h(
        doc,
        "button",
        { type: "button", "data-user": user },
        h(
          doc,
          "span",
          { class: "who" },
          avatarElement(doc, user, model.avatars.mark(user)),
          h(doc, "span", {}, user === model.username ? `${user} ★` : user),
        ),
      );
      button.addEventListener("click", () => {
        this.#closeMenu();
        if (user !== model.username) this.#actions.open(`@${user}`);
      });
      return h(doc, "li", {}, button);
    });
    byId(doc, "user-list").replaceChildren(...items);
  }

  /** Appends what is new, or draws the conversation again when it changed. */
  #renderLines(conversation: Conversation): void {
    const box = this.#messages;
    const lines = conversation.lines;
    const shown = this.#shown;
    const atBottom = this.#atBottom();
    const same = shown.key === conversation.key;
    const record = () => {
      this.#shown = {
        key: conversation.key,
        first: lines[0],
        last: lines.at(-1),
        count: lines.length,
      };
    };
    const appended = same && lines.length >= shown.count &&
      lines[0] === shown.first && lines[shown.count - 1] === shown.last;
    if (appended) {
      const fresh = lines.slice(shown.count);
      if (fresh.length === 0) return;
      box.append(
        ...fresh.map((line) => this.#lineElement(conversation, line)),
      );
      record();
      if (atBottom) this.#toBottom();
      else this.#newBelow.hidden = false;
      return;
    }
    // Lines went in above (older history) or out at the top (the bound):
    // what the user reads stays where it is. Another conversation starts
    // at its bottom.
    const fromBottom = box.scrollHeight - box.scrollTop;
    box.replaceChildren(
      ...lines.map((line) => this.#lineElement(conversation, line)),
    );
    record();
    if (!same || atBottom) this.#toBottom();
    else this.#scrollTo(box.scrollHeight - fromBottom);
  }

  #lineElement(conversation: Conversation, line: PageLine): HTMLElement {
    const doc = this.#doc;
    const model = this.#model;
    const readId = model?.readIdOf(conversation, line);
    const receipt = model?.receiptOfLine(conversation, line);
    return h(
      doc,
      "div",
      {
        class: [
          "line",
          line.mention ? "mention" : "",
          line.sender ? "with-avatar" : "",
        ]
          .filter((name) => name !== "").join(" "),
        "data-kind": line.kind,
        "data-id": line.messageId === undefined
          ? undefined
          : String(line.messageId),
        "data-read-id": readId === undefined ? undefined : String(readId),
      },
      line.sender === undefined
        ? undefined
        : avatarElement(doc, line.sender, model?.avatars.mark(line.sender)),
      // The separators are text too, so a copied line reads as the
      // seed's `[14:30:35] 张三: 大家好`.
      line.stamp === undefined
        ? undefined
        : h(doc, "span", { class: "stamp" }, line.stamp),
      line.stamp === undefined ? undefined : " ",
      line.name === undefined
        ? undefined
        : h(doc, "span", { class: "name" }, line.name),
      line.name === undefined ? undefined : ": ",
      h(doc, "span", { class: "text" }, line.text),
      receipt === undefined ? undefined : this.#receiptMark(receipt),
      line.file === undefined ? undefined : this.#downloadButton(line.file.id),
    );
  }

  /** `✓` or `✓✓` (drawn by the style sheet), with words and time. */
  #receiptMark(receipt: Receipt): HTMLElement {
    return h(this.#doc, "span", {
      class: "receipt",
      "data-state": receipt.state,
      title: receiptTitle(this.#lang, receipt, this.#now),
    });
  }

  /** Redraws the receipt marks of the own lines in view. */
  #refreshReceipts(conversation: Conversation): void {
    const model = this.#model;
    if (model === undefined) return;
    for (
      const mark of this.#messages.querySelectorAll<HTMLElement>(
        ".line > .receipt",
      )
    ) {
      const id = Number((mark.parentElement as HTMLElement).dataset.id);
      const receipt = model.receiptOf(conversation.title, id);
      mark.dataset.state = receipt.state;
      mark.title = receiptTitle(this.#lang, receipt, this.#now);
    }
  }

  #downloadButton(id: number): HTMLElement {
    const button = h(this.#doc, "button", {
      type: "button",
      class: "download",
      "data-file": String(id),
      "data-i18n": "webDownload",
    }, t(this.#lang, "webDownload"));
    button.addEventListener("click", () => this.#actions.download(id));
    return button;
  }

  #atBottom(): boolean {
    const box = this.#messages;
    return box.scrollHeight - box.scrollTop - box.clientHeight <= BOTTOM_SLACK;
  }

  #toBottom(): void {
    this.#scrollTo(this.#messages.scrollHeight);
    this.#newBelow.hidden = true;
  }

  #scrollTo(top: number): void {
    if (this.#messages.scrollTop === top) return;
    this.#scrolling = true;
    this.#messages.scrollTop = top;
  }

  /**
   * Reports `seen` at the next frame (once, however often asked): what is
   * on screen is measured after the browser laid the lines out, and not
   * once per line of a busy room.
   */
  requestSeen(): void {
    if (this.#seenPending) return;
    this.#seenPending = true;
    const run = () => {
      this.#seenPending = false;
      this.#actions.seen();
    };
    const view = this.#doc.defaultView;
    if (view?.requestAnimationFrame === undefined) setTimeout(run, 16);
    else view.requestAnimationFrame(run);
  }

  #scrolled(): void {
    this.requestSeen();
    if (this.#scrolling) {
      this.#scrolling = false;
      return;
    }
    if (this.#atBottom()) this.#newBelow.hidden = true;
    if (this.#messages.scrollTop <= TOP_SLACK && this.#shown.key === ROOM_KEY) {
      this.#actions.older();
    }
  }

  #closeMenu(): void {
    this.#root.classList.remove("menu-open");
  }
}
