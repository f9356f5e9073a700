/**
 * What the log-in form may send: the seed's three choices (log in,
 * register, reset with a token or the recovery code), checked before
 * anything leaves the page: nothing empty, the new password long enough and
 * typed the same twice. Pure.
 *
 * @module
 */

import { type Lang, t } from "../shared/messages.ts";

/** Which form is shown. */
export type AuthMode = "login" | "register" | "reset";

/** What the form asks the page to send. */
export type AuthRequest =
  | { mode: "login"; username: string; password: string }
  | { mode: "register"; username: string; password: string }
  | { mode: "reset"; token: string; password: string };

/**
 * Checks what was typed; resolves the request, or the catalog's sentence
 * saying what is wrong. Pure.
 *
 * @example
 * ```ts
 * import { checkAuthForm } from "./auth_form.ts";
 * import assert from "node:assert/strict";
 *
 * const fields = { username: "amy", password: "secret12", confirm: "secret13", token: "" };
 * assert.equal(checkAuthForm("register", fields, 8, "en"), "The passwords do not match");
 * ```
 */
export function checkAuthForm(
  mode: AuthMode,
  fields: {
    username: string;
    password: string;
    confirm: string;
    token: string;
  },
  minPassword: number,
  lang: Lang,
): AuthRequest | string {
  const username = fields.username.trim();
  const { password } = fields;
  if (mode !== "reset" && (username === "" || password === "")) {
    return t(lang, "emptyInput");
  }
  if (mode === "login") return { mode, username, password };
  if (mode === "reset" && (fields.token.trim() === "" || password === "")) {
    return t(lang, "emptyInput");
  }
  const problem = newPasswordProblem(
    password,
    fields.confirm,
    minPassword,
    lang,
  );
  if (problem !== undefined) return problem;
  return mode === "register"
    ? { mode, username, password }
    : { mode, token: fields.token.trim(), password };
}

/**
 * What is wrong with a new password and its confirmation (too short, counted
 * as the server counts, or not the same twice), or `undefined`.
 */
export function newPasswordProblem(
  password: string,
  confirm: string,
  minPassword: number,
  lang: Lang,
): string | undefined {
  if ([...password.normalize("NFKC")].length < minPassword) {
    return t(lang, "passwordTooShort", { min: minPassword });
  }
  return password === confirm ? undefined : t(lang, "passwordMismatch");
}
