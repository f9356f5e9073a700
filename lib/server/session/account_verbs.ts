/**
 * The account verbs of a session: register, log in or resume, reset a
 * password, change it, delete the account, log out, and the verbs of any
 * state (keep-alives, language, certificate). Preconditions were checked
 * from the verb table before these run; results of the account domain
 * become replies here, their texts from `replies.ts`.
 *
 * @module
 */

import type { LoginHooks } from "../auth/auth_manager.ts";
import type { Command } from "../../protocol/protocol.ts";
import { t } from "../../shared/messages.ts";
import { normalizeUsername } from "../../shared/username.ts";
import { failureText } from "../replies.ts";
import type { Session } from "./session.ts";

/** Runs one account verb for `session`. */
export async function runAccountVerb(
  session: Session,
  command: Command,
): Promise<void> {
  const { auth } = session.host;
  const lang = session.lang;
  switch (command.type) {
    case "register": {
      const result = await auth.register(
        command.username,
        command.password,
        session.address,
      );
      if (result.ok) {
        session.send({ type: "register_success" });
        session.send({ type: "recovery_code", code: result.recoveryCode });
        session.host.logSecurity("register", result.username, session.remote);
        return;
      }
      if (result.reason === "throttled") {
        session.host.logSecurity(
          "register_throttled",
          command.username,
          session.remote,
        );
      }
      // A registration window is at most a minute: say the seconds.
      session.send({
        type: "register_failure",
        message: result.reason === "throttled"
          ? t(lang, "throttledSeconds", {
            seconds: Math.max(1, Math.ceil(result.retryAfterMs / 1000)),
          })
          : failureText(lang, result.reason, { min: result.minPasswordLength }),
      });
      return;
    }
    case "login":
    case "resume": {
      const hooks: LoginHooks = {
        onTerminate: (reason) => session.terminated(reason),
        // Stored in the login's own transaction: one commit per login.
        issueResumeToken: true,
      };
      const result = command.type === "login"
        ? await auth.login(
          command.username,
          command.password,
          session.address,
          hooks,
        )
        : await auth.resume(
          command.username,
          command.token,
          session.address,
          hooks,
        );
      if (!result.ok) return authFailed(session, command.username, result);
      await session.enterChat(result.session, result.resumeToken);
      return;
    }
    case "reset_request":
      await auth.requestReset(command.username, session.address);
      session.send({
        type: "reset_requested",
        message: t(lang, "resetRequested"),
      });
      return;
    case "reset_confirm": {
      const result = await auth.confirmReset(
        command.token,
        command.newPassword,
        session.address,
      );
      if (result.ok) {
        session.send({ type: "reset_success" });
        if (result.newRecoveryCode !== undefined) {
          session.send({ type: "recovery_code", code: result.newRecoveryCode });
        }
        session.host.logSecurity(
          "reset_confirmed",
          result.username,
          session.remote,
        );
        return;
      }
      session.send({
        type: "reset_failure",
        message: failureText(lang, result.reason, {
          min: result.minPasswordLength,
          minutes: 15,
        }),
      });
      return;
    }
    case "delete_account":
      return await deleteAccount(session, command.username, command.password);
    case "change_password": {
      const live = session.live!;
      const result = await auth.changePassword(
        live,
        command.oldPassword,
        command.newPassword,
      );
      if (result.ok) {
        session.send({ type: "password_success" });
        // The change voided the old resume token.
        await session.sendResumeToken();
        session.host.logSecurity(
          "password_changed",
          live.username,
          session.remote,
        );
        return;
      }
      session.send({
        type: "password_failure",
        // Logged in already: only the current password can be wrong.
        message: result.reason === "invalid_credentials"
          ? t(lang, "currentPasswordWrong")
          : failureText(lang, result.reason, {
            min: result.minPasswordLength,
            minutes: 15,
          }),
      });
      return;
    }
    case "logout":
      await session.leave({ explicit: true });
      session.send({ type: "logout_success" });
      session.restartLoginDeadline();
      return;
    case "ping":
      session.pinged();
      session.send({ type: "pong", token: command.token });
      return;
    case "pong":
      return;
    case "lang":
      return session.setLang(command.lang);
    case "cert":
      return session.sendCertificate();
    default:
      throw new TypeError(`Not an account verb: ${command.type}`);
  }
}

/**
 * `DELETE_ACCOUNT`: at the login menu any account (with its password);
 * logged in, only one's own (the client's /delete-account), another
 * account's name is refused as when logged in.
 */
async function deleteAccount(
  session: Session,
  username: string,
  password: string,
): Promise<void> {
  const live = session.live;
  const own = normalizeUsername(username);
  if (live !== undefined && (!own.ok || own.key !== live.usernameKey)) {
    return session.refuse("already_logged_in");
  }
  session.deletingOwnAccount = true;
  let result;
  try {
    result = await session.host.auth.deleteAccount(
      username,
      password,
      session.address,
    );
  } finally {
    session.deletingOwnAccount = false;
  }
  if (result.ok) {
    // If it was our own account, terminated() already took us out of the
    // chat: the session is at the login menu again.
    session.send({ type: "delete_success" });
    session.host.chat.accountRemoved();
    session.host.logSecurity(
      "account_deleted",
      result.username,
      session.remote,
    );
    if (live !== undefined && session.live === undefined) {
      session.restartLoginDeadline();
    }
    return;
  }
  session.send({
    type: "delete_failure",
    message: failureText(session.lang, result.reason, { minutes: 15 }),
  });
}

/** `AUTH_FAILURE` for a refused LOGIN or RESUME, logged unless a duplicate. */
function authFailed(
  session: Session,
  username: string,
  result: { reason: string; retryAfterMs?: number },
): void {
  session.send({
    type: "auth_failure",
    message: failureText(session.lang, result.reason, {
      minutes: Math.max(1, Math.ceil((result.retryAfterMs ?? 0) / 60_000)),
    }),
  });
  if (result.reason !== "already_logged_in") {
    session.host.logSecurity(
      "login_failure",
      username,
      session.remote,
      result.reason,
    );
  }
}
