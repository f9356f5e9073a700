/**
 * The seed's 认证菜单: log in, register, reset a password, or quit, each on
 * a live connection (reconnecting first if the server closed it while the
 * user was typing).
 *
 * @module
 */

import type { ServerConnection } from "./connection.ts";
import type { ClientUi } from "./client_ui.ts";
import { RULE } from "./client_ui.ts";
import { REPLY_TIMEOUT_MS } from "./reply_waiter.ts";
import type { ServerLink, Session } from "./server_link.ts";
import { systemLine } from "./view.ts";
import type { MessageKey } from "../shared/messages.ts";

/**
 * Shows the menu and runs its choices until a login succeeds
 * (the session) or the user quits (`undefined`).
 *
 * @param user The `--user` name, which answers the login's username question.
 */
export async function authMenu(
  ui: ClientUi,
  link: ServerLink,
  user?: string,
): Promise<Session | undefined> {
  // At the prompts before login, so that the login limit does not bite
  // a person who is typing.
  link.keepAlive(true);
  // The seed shows the menu once, then only the prompt after each action.
  ui.banner("authMenuTitle");
  ui.print(ui.t("menuLogin"));
  ui.print(ui.t("menuRegister"));
  ui.print(ui.t("menuReset"));
  ui.print(ui.t("menuQuit"));
  ui.print(RULE);
  while (true) {
    const choice = await ui.io.ask(ui.t("menuChoose"));
    if (choice === undefined || choice.trim() === "4") return undefined;
    const conn = await link.ensureConnected();
    if (conn === undefined) return undefined;
    switch (choice.trim()) {
      case "1": {
        const session = await login(ui, link, user);
        if (session !== undefined) return session;
        break;
      }
      case "2":
        await register(ui, link, conn);
        break;
      case "3":
        await reset(ui, link, conn);
        break;
      default:
        ui.print(ui.t("menuInvalid"));
    }
    ui.print("");
  }
}

async function login(
  ui: ClientUi,
  link: ServerLink,
  given: string | undefined,
): Promise<Session | undefined> {
  ui.print("");
  ui.print(ui.t("loginTitle"));
  // --user answers the question, but the line still shows whose login it is.
  if (given !== undefined) ui.print(`${ui.t("askUsername")}${given}`);
  const username = given ?? (await askNonEmpty(ui, "askUsername"));
  if (username === undefined) return undefined;
  link.warnIfPlain();
  const password = await ui.io.askSecret(ui.t("askPassword"));
  if (password === undefined || password === "") return undefined;
  const reply = await link.menuRequest(
    { type: "login", username, password },
    ["auth_success", "auth_failure", "error"],
  );
  if (reply?.type !== "auth_success") {
    ui.failure(reply);
    return undefined;
  }
  ui.success(ui.t("loginSuccess", { username: reply.username }));
  return { username: reply.username, resumeToken: undefined };
}

async function register(
  ui: ClientUi,
  link: ServerLink,
  conn: ServerConnection,
): Promise<void> {
  ui.print("");
  ui.print(ui.t("registerTitle"));
  let username: string | undefined;
  while (true) {
    username = await askNonEmpty(ui, "askUsername");
    if (username === undefined) return;
    // The protocol's username is one word: say so instead of dropping it.
    if (!/\s/.test(username)) break;
    ui.error(ui.t("usernameHasSpace", { username }));
  }
  link.warnIfPlain();
  const password = await askNewPassword(ui, conn, "askPasswordMin");
  if (password === undefined) return;
  const reply = await link.menuRequest(
    { type: "register", username, password },
    ["register_success", "register_failure", "error"],
  );
  if (reply?.type !== "register_success") {
    ui.failure(reply);
    return;
  }
  ui.success(ui.t("registerSuccess"));
  const code = await link.follow("recovery_code", REPLY_TIMEOUT_MS);
  if (code !== undefined) ui.showRecoveryCode(code.code);
  ui.print("");
  ui.print(ui.t("registerDone"));
}

async function reset(
  ui: ClientUi,
  link: ServerLink,
  conn: ServerConnection,
): Promise<void> {
  ui.print("");
  ui.print(ui.t("resetTitle"));
  ui.print(ui.t("resetExplain"));
  const username = await ui.io.ask(ui.t("askResetUsername"));
  if (username === undefined) return;
  if (username.trim() !== "") {
    const reply = await link.menuRequest(
      { type: "reset_request", username: username.trim() },
      ["reset_requested", "error"],
    );
    if (reply?.type !== "reset_requested") {
      ui.failure(reply);
      return;
    }
    ui.print(systemLine(reply.message, ui.view));
  }
  const token = await askNonEmpty(ui, "askToken");
  if (token === undefined) return;
  link.warnIfPlain();
  const newPassword = await askNewPassword(ui, conn, "askNewPasswordMin");
  if (newPassword === undefined) return;
  const reply = await link.menuRequest(
    { type: "reset_confirm", token: token.replace(/\s+/g, ""), newPassword },
    ["reset_success", "reset_failure", "error"],
  );
  if (reply?.type !== "reset_success") {
    ui.failure(reply);
    return;
  }
  ui.success(ui.t("resetDone"));
  // A used recovery code is replaced by a new one, shown once.
  const next = await link.follow("recovery_code", 300);
  if (next !== undefined) ui.showRecoveryCode(next.code);
}

/**
 * Asks for a new password (masked) and its confirmation until they match
 * and it is long enough for `conn`'s server; `undefined` if the user gives
 * none.
 */
export async function askNewPassword(
  ui: ClientUi,
  conn: ServerConnection,
  key: MessageKey,
): Promise<string | undefined> {
  const min = conn.greeting.minPasswordLength ?? 8;
  while (true) {
    const password = await ui.io.askSecret(ui.t(key, { min }));
    if (password === undefined || password === "") return undefined;
    // Too short is told and asked again, like a mismatch (the server
    // counts NFKC code points the same way).
    if ([...password.normalize("NFKC")].length < min) {
      ui.error(ui.t("passwordTooShort", { min }));
      continue;
    }
    const confirm = await ui.io.askSecret(ui.t("askConfirmPassword"));
    if (confirm === undefined) return undefined;
    if (password === confirm) return password;
    ui.error(ui.t("passwordMismatch"));
  }
}

/** Asks until the answer is not blank; `undefined` at the end of input. */
async function askNonEmpty(
  ui: ClientUi,
  key: MessageKey,
): Promise<string | undefined> {
  while (true) {
    const answer = await ui.io.ask(ui.t(key));
    if (answer === undefined) return undefined;
    if (answer.trim() !== "") return answer.trim();
    ui.print(ui.t("emptyInput"));
  }
}
