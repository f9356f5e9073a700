/// <reference lib="dom" />
/**
 * The seed's 认证菜单 as a form: log in, register, or reset a password with
 * a token or the recovery code. Passwords are masked; registering and
 * resetting ask for the password twice and check the minimum length before
 * anything is sent. The recovery code a registration (or a reset with the
 * old code) returns is shown once, with a copy button and the words to
 * write it down.
 *
 * @module
 */

import { type Lang, t } from "../shared/messages.ts";
import { byId } from "./dom.ts";
import {
  type AuthMode,
  type AuthRequest,
  checkAuthForm,
} from "../web/auth_form.ts";

export type { AuthMode, AuthRequest };

/** The log-in screen of one page. */
export class AuthScreen {
  #doc: Document;
  #mode: AuthMode = "login";
  #lang: Lang = "zh";
  #minPassword = 8;
  #busy = false;
  #afterRecovery: (() => void) | undefined;

  /** Binds to the page's elements; `submit` gets each checked request. */
  constructor(doc: Document, submit: (request: AuthRequest) => void) {
    this.#doc = doc;
    for (const mode of ["login", "register", "reset"] as const) {
      byId(doc, `tab-${mode}`).addEventListener("click", () => {
        this.mode = mode;
      });
    }
    byId(doc, "auth-form").addEventListener("submit", (event) => {
      event.preventDefault();
      if (this.#busy) return;
      const checked = checkAuthForm(
        this.#mode,
        this.#fields(),
        this.#minPassword,
        this.#lang,
      );
      if (typeof checked === "string") {
        this.message(checked);
        return;
      }
      this.message("");
      submit(checked);
    });
    byId(doc, "recovery-copy").addEventListener("click", () => this.#copy());
    byId(doc, "recovery-done").addEventListener("click", () => {
      byId(doc, "recovery").hidden = true;
      byId(doc, "auth-form").hidden = false;
      byId(doc, "recovery-code").textContent = "";
      const after = this.#afterRecovery;
      this.#afterRecovery = undefined;
      after?.();
    });
  }

  /** Shows or hides the screen. */
  set visible(visible: boolean) {
    byId(this.#doc, "auth-screen").hidden = !visible;
    if (visible) this.#focusFirst();
  }

  /** The form shown. */
  get mode(): AuthMode {
    return this.#mode;
  }

  set mode(mode: AuthMode) {
    this.#mode = mode;
    this.message("");
    this.#layout();
    this.#focusFirst();
  }

  /** The language of the labels the screen sets itself. */
  set lang(lang: Lang) {
    this.#lang = lang;
    this.#layout();
  }

  /** The server's minimum password length (from `HELLO`). */
  set minPassword(min: number) {
    this.#minPassword = min;
    this.#layout();
  }

  /** Whether a request is on its way (the button waits). */
  set busy(busy: boolean) {
    this.#busy = busy;
    byId<HTMLButtonElement>(this.#doc, "auth-submit").disabled = busy;
  }

  /** The name typed, to fill in after registering. */
  get username(): string {
    return byId<HTMLInputElement>(this.#doc, "auth-name").value.trim();
  }

  /** A sentence under the form: an error, or (`ok`) a success. */
  message(text: string, ok = false): void {
    const element = byId(this.#doc, "auth-message");
    element.textContent = text;
    element.classList.toggle("ok", ok);
  }

  /** Empties the password fields (after any answer, so none lingers). */
  clearPasswords(): void {
    for (const id of ["auth-password", "auth-confirm", "auth-token"]) {
      byId<HTMLInputElement>(this.#doc, id).value = "";
    }
  }

  /** Shows a recovery code once; `then` runs when the user has noted it. */
  showRecovery(code: string, then: () => void): void {
    byId(this.#doc, "recovery-code").textContent = code;
    byId(this.#doc, "auth-form").hidden = true;
    byId(this.#doc, "recovery").hidden = false;
    this.#afterRecovery = then;
    byId(this.#doc, "recovery-done").focus();
  }

  #fields() {
    const value = (id: string) => byId<HTMLInputElement>(this.#doc, id).value;
    return {
      username: value("auth-name"),
      password: value("auth-password"),
      confirm: value("auth-confirm"),
      token: value("auth-token"),
    };
  }

  #layout(): void {
    const doc = this.#doc;
    const mode = this.#mode;
    const lang = this.#lang;
    for (const each of ["login", "register", "reset"] as const) {
      byId(doc, `tab-${each}`).setAttribute(
        "aria-selected",
        String(each === mode),
      );
    }
    byId(doc, "row-name").hidden = mode === "reset";
    byId(doc, "row-token").hidden = mode !== "reset";
    byId(doc, "reset-explain").hidden = mode !== "reset";
    byId(doc, "row-confirm").hidden = mode === "login";
    byId(doc, "label-password").textContent = mode === "login"
      ? t(lang, "webPassword")
      : t(lang, mode === "register" ? "webPasswordMin" : "webNewPasswordMin", {
        min: this.#minPassword,
      });
    const password = byId<HTMLInputElement>(doc, "auth-password");
    password.autocomplete = mode === "login"
      ? "current-password"
      : "new-password";
    byId(doc, "auth-name").toggleAttribute("required", mode !== "reset");
    byId(doc, "auth-submit").textContent = t(
      lang,
      mode === "login"
        ? "webTabLogin"
        : mode === "register"
        ? "webTabRegister"
        : "webTabReset",
    );
  }

  #focusFirst(): void {
    const id = this.#mode === "reset" ? "auth-token" : "auth-name";
    byId(this.#doc, id).focus();
  }

  async #copy(): Promise<void> {
    const doc = this.#doc;
    const code = byId(doc, "recovery-code");
    const button = byId(doc, "recovery-copy");
    try {
      await navigator.clipboard.writeText(code.textContent ?? "");
      button.textContent = t(this.#lang, "webCopied");
      return;
    } catch {
      // Plain http on a LAN address is not a secure context: no clipboard
      // API. The older copy of a selection still works there.
    }
    const range = doc.createRange();
    range.selectNodeContents(code);
    const selection = doc.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    // Deprecated, but the only copy off a secure context.
    const copied = doc.execCommand("copy");
    button.textContent = t(this.#lang, copied ? "webCopied" : "webCopyFailed");
  }
}
