/// <reference lib="dom" />
/**
 * The profile dialog (`#profile-dialog`, from the side bar's "My profile"):
 * the user's avatar, a picture to upload (PNG, JPEG, GIF or WebP; never
 * SVG), one emoji instead, back to the default, and whether the user's
 * reads are reported to senders (read receipts). It sends the commands and
 * shows what came of them; the page keeps it current.
 *
 * @module
 */

import { expandShortcodes } from "../client/emoji.ts";
import { isAvatarEmoji } from "../protocol/avatars.ts";
import type { Command } from "../protocol/protocol.ts";
import { type Lang, t } from "../shared/messages.ts";
import { AVATAR_PICK_TYPES } from "../web/avatar_picture.ts";
import type { UploadResult } from "./avatar_upload.ts";
import { avatarElement } from "./avatar_view.ts";
import { byId } from "./dom.ts";

/** What the dialog needs from the page. */
export interface ProfileHost {
  lang(): Lang;
  /** The logged-in user, if any. */
  username(): string | undefined;
  /** A user's avatar mark, if known. */
  mark(name: string): string | undefined;
  /** Sends a command; false when the socket is down. */
  send(command: Command): boolean;
  /** Uploads a picture as the user's avatar. */
  upload(file: File): Promise<UploadResult>;
}

/** The profile dialog of one page. */
export class ProfileDialog {
  #doc: Document;
  #host: ProfileHost;
  #dialog: HTMLDialogElement;
  #file: HTMLInputElement;
  #emoji: HTMLInputElement;
  #receipts: HTMLInputElement;
  #message: HTMLElement;

  /** Binds to the page's dialog. */
  constructor(doc: Document, host: ProfileHost) {
    this.#doc = doc;
    this.#host = host;
    this.#dialog = byId<HTMLDialogElement>(doc, "profile-dialog");
    this.#file = byId<HTMLInputElement>(doc, "avatar-file");
    this.#file.accept = AVATAR_PICK_TYPES.join(",");
    this.#emoji = byId<HTMLInputElement>(doc, "avatar-emoji");
    this.#receipts = byId<HTMLInputElement>(doc, "receipts-toggle");
    this.#message = byId(doc, "profile-message");
    this.#file.addEventListener("change", () => void this.#picked());
    byId(doc, "avatar-emoji-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.#setEmoji();
    });
    byId(doc, "avatar-default").addEventListener("click", () => {
      this.#send({ type: "avatar", emoji: "" });
    });
    this.#receipts.addEventListener("change", () => {
      this.#send({ type: "receipts", on: this.#receipts.checked });
    });
    byId(doc, "profile-close").addEventListener("click", () => this.close());
  }

  /** Shows the dialog; `receipts` is the setting if known. */
  open(): void {
    this.say("");
    this.#emoji.value = "";
    this.refresh();
    if (!this.#dialog.open) this.#dialog.showModal();
  }

  /** Closes it. */
  close(): void {
    if (this.#dialog.open) this.#dialog.close();
  }

  /** Whether it is shown. */
  get isOpen(): boolean {
    return this.#dialog.open;
  }

  /** The read receipts setting, as the server said (`OK receipts_on`). */
  set receipts(on: boolean) {
    this.#receipts.checked = on;
    this.#receipts.indeterminate = false;
  }

  /** Not known yet: the toggle shows neither. */
  unknownReceipts(): void {
    this.#receipts.indeterminate = true;
  }

  /** Draws the user's avatar and name again (it may have changed). */
  refresh(): void {
    const name = this.#host.username() ?? "";
    byId(this.#doc, "profile-avatar").replaceChildren(
      avatarElement(this.#doc, name, this.#host.mark(name)),
    );
    byId(this.#doc, "profile-name").textContent = name;
  }

  /** A sentence under the controls (an error unless `ok`). */
  say(text: string, ok = false): void {
    this.#message.textContent = text;
    this.#message.classList.toggle("ok", ok);
  }

  #send(command: Command): void {
    this.say("");
    if (!this.#host.send(command)) {
      this.say(t(this.#host.lang(), "webStateOffline"));
    }
  }

  #setEmoji(): void {
    // `:cat:` as in a message (and as /avatar takes it).
    const emoji = expandShortcodes(this.#emoji.value.trim());
    if (!isAvatarEmoji(emoji)) {
      this.say(t(this.#host.lang(), "webAvatarNotEmoji"));
      return;
    }
    this.#send({ type: "avatar", emoji });
  }

  async #picked(): Promise<void> {
    const file = this.#file.files?.[0];
    this.#file.value = "";
    if (file === undefined) return;
    const lang = this.#host.lang();
    this.say(t(lang, "webAvatarUploading"), true);
    this.#file.disabled = true;
    try {
      const result = await this.#host.upload(file);
      if (result.ok) this.say(t(this.#host.lang(), "webAvatarUploaded"), true);
      else this.say(result.text);
    } finally {
      this.#file.disabled = false;
    }
  }
}
