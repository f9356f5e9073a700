/**
 * What the operator does to accounts from the server's console or command
 * line, on its own authority (no password): delete an account, grant or
 * revoke the admin role, import the Python program's credentials.
 *
 * @module
 */

import { legacySha256Hash } from "./password_hash.ts";

import { AuthContext, entry } from "./auth_context.ts";

import { parseLegacyCredentials } from "./legacy_credentials.ts";
import type { LegacyImportReport } from "./auth_types.ts";

/** The operator's account actions. */
export class OperatorAccounts {
  #auth: AuthContext;

  constructor(auth: AuthContext) {
    this.#auth = auth;
  }

  /**
   * Deletes an account on the operator's authority (no password), with its
   * tokens, ending its live session in this process. Resolves `undefined`
   * for an unknown account.
   */
  async deleteAccountAsOperator(
    username: string,
  ): Promise<string | undefined> {
    const account = await this.#auth.accountNamed(username);
    if (account === undefined) return undefined;
    const deleted = await this.#auth.deleteAccount(account, "operator");
    return deleted ? account.username : undefined;
  }

  /**
   * Grants or revokes the admin role on the operator's authority; a live
   * session of the account sees the change at once. Resolves the account's
   * display name, or `undefined` for an unknown account.
   */
  async setAdminAsOperator(
    username: string,
    isAdmin: boolean,
  ): Promise<string | undefined> {
    const account = await this.#auth.accountNamed(username);
    if (account === undefined) return undefined;
    const changed = await this.#auth.store.setAdmin(
      account.usernameKey,
      isAdmin,
      entry(
        this.#auth.clock.now(),
        isAdmin ? "admin_granted" : "admin_revoked",
        account.username,
        "operator",
        null,
      ),
    );
    if (!changed) return undefined;
    const live = this.#auth.registry.session(account.usernameKey);
    if (live !== undefined && live.accountId === account.id) {
      live.isAdmin = isAdmin;
    }
    return account.username;
  }

  /**
   * Imports the Python program's `credentials.json` text. Imported accounts
   * keep their unsalted SHA-256 until their next login, which rehashes them.
   *
   * @throws {SyntaxError} when the text is not a JSON object.
   */
  async importLegacyCredentials(text: string): Promise<LegacyImportReport> {
    // Operator-supplied data: reserved names the old program allowed are kept.
    const plan = parseLegacyCredentials(text, { allowReserved: true });
    const report: LegacyImportReport = {
      imported: [],
      skipped: [...plan.skipped],
    };
    for (const legacy of plan.accounts) {
      const now = this.#auth.clock.now();
      const created = await this.#auth.store.createAccount(
        {
          username: legacy.username,
          usernameKey: legacy.key,
          passwordHash: legacySha256Hash(legacy.sha256Hex),
          recoveryCodeHash: null,
          createdAt: now,
        },
        entry(now, "legacy_import", legacy.username, "operator", null),
      );
      if (created === undefined) {
        // Which refusal it was: the key taken, or a look-alike existing.
        const lookAlike =
          await this.#auth.store.getAccount(legacy.key) === undefined
            ? await this.#auth.store.findLookAlikeAccount(legacy.key)
            : undefined;
        report.skipped.push({
          username: legacy.username,
          reason: lookAlike === undefined
            ? `Cannot import "${legacy.username}": an account with that name already exists`
            : `Cannot import "${legacy.username}": it looks like the existing account "${lookAlike.username}"`,
        });
      } else {
        report.imported.push(created.username);
      }
    }
    return report;
  }
}
