/**
 * The operator subcommands (`reset-token`, `users`, `import-credentials`,
 * `grant-admin`, `revoke-admin`, `delete-user`), carried out against an
 * {@linkcode AuthManager}: the running server's own one when a server holds
 * the database (through the control channel), or one over the opened file
 * when none does. Either way the same code runs and prints the same lines.
 *
 * @module
 */

import type { AuthManager } from "../auth/auth_manager.ts";
import { type Lang, t } from "../../shared/messages.ts";
import { describeStoreError } from "../../store/describe_store_error.ts";
import type { OperatorCommandName } from "../server_config.ts";
import { type AccountStore, StoreError } from "../../store/store.ts";
import { formatClockTime, formatDateTime } from "../../shared/time_format.ts";

/** Where a command's lines go. */
export interface OperatorOutput {
  /** A result line (stdout). */
  out(line: string): void;
  /** An error or hint line (stderr). */
  err(line: string): void;
}

/** What a command works on. */
export interface OperatorContext {
  auth: AuthManager;
  store: AccountStore;
  lang: Lang;
  output: OperatorOutput;
}

/** One command with its arguments. */
export interface OperatorRequest {
  name: OperatorCommandName;
  args: readonly string[];
  /**
   * The text of the file `import-credentials` names, read on the operator's
   * side (the server may run in another folder or as another user).
   */
  input?: string;
}

/**
 * Carries out one operator command; resolves the process exit code.
 * Store errors are reported as a line, not thrown.
 */
export async function runOperatorRequest(
  context: OperatorContext,
  request: OperatorRequest,
): Promise<number> {
  try {
    return await run(context, request);
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    context.output.err(
      t(context.lang, "databaseError", {
        reason: describeStoreError(error, context.lang),
      }),
    );
    return 1;
  }
}

async function run(
  { auth, store, lang, output }: OperatorContext,
  request: OperatorRequest,
): Promise<number> {
  const user = request.args[0] ?? "";
  switch (request.name) {
    case "reset-token": {
      const delivery = await auth.issueResetTokenForOperator(user);
      if (delivery === undefined) {
        output.err(t(lang, "opNoSuchUser", { user }));
        return 1;
      }
      output.out(t(lang, "logResetToken", {
        username: delivery.username,
        token: delivery.token,
        expires: formatClockTime(delivery.expiresAt),
      }));
      output.out(t(lang, "opResetTokenHowTo"));
      return 0;
    }
    case "users": {
      const accounts = await store.listAccounts();
      output.out(t(lang, "opUsersHeader", { count: accounts.length }));
      const online = t(lang, "opUserOnline");
      for (const account of accounts) {
        const lastSeen = account.lastSeenAt === null
          ? "-"
          : formatDateTime(account.lastSeenAt);
        const marks = [
          account.isAdmin ? "admin" : "",
          auth.isOnline(account.username) ? online : "",
        ].filter((mark) => mark !== "").join(" ");
        output.out(
          `  ${account.username.padEnd(20)} ${
            formatDateTime(account.createdAt)
          }  ${lastSeen.padEnd(16)}${marks === "" ? "" : `  ${marks}`}`,
        );
      }
      return 0;
    }
    case "import-credentials": {
      const file = user;
      let report;
      try {
        report = await auth.importLegacyCredentials(request.input ?? "");
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        output.err(t(lang, "opCannotRead", { file, reason: error.message }));
        return 1;
      }
      output.out(t(lang, "opImported", { count: report.imported.length }));
      for (const name of report.imported) output.out(`  + ${name}`);
      if (report.skipped.length > 0) {
        output.out(t(lang, "opSkipped", { count: report.skipped.length }));
        for (const skip of report.skipped) output.out(`  - ${skip.reason}`);
      }
      return 0;
    }
    case "grant-admin":
    case "revoke-admin": {
      const grant = request.name === "grant-admin";
      const changed = await auth.setAdminAsOperator(user, grant);
      if (changed === undefined) {
        output.err(t(lang, "opNoSuchUser", { user }));
        return 1;
      }
      output.out(
        t(lang, grant ? "opAdminGranted" : "opAdminRevoked", { user: changed }),
      );
      return 0;
    }
    case "delete-user": {
      const deleted = await auth.deleteAccountAsOperator(user);
      if (deleted === undefined) {
        output.err(t(lang, "opNoSuchUser", { user }));
        return 1;
      }
      output.out(t(lang, "opDeleted", { user: deleted }));
      return 0;
    }
  }
}
