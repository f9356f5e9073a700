/**
 * Password reset without handing a token to an unauthenticated peer: a
 * request makes a token for the operator's console (never the requester),
 * the operator can issue one, and a token or the account's recovery code
 * sets a new password once, ending the account's live session.
 *
 * @module
 */

import { sha256Hex } from "./password_hash.ts";
import { normalizeUsername } from "../../shared/username.ts";

import { AuthContext } from "./auth_context.ts";
import { type ResetResult, type ResetTokenDelivery } from "./auth_types.ts";
import { canonicalSecret, hashSecret } from "./secrets.ts";

/** The reset flows of the account domain. */
export class PasswordReset {
  #auth: AuthContext;

  constructor(auth: AuthContext) {
    this.#auth = auth;
  }

  /**
   * Handles `RESET_REQUEST`: if the account exists and has no unexpired
   * token, issues one and hands it to the operator; a live token (the
   * operator's or an earlier request's) stays valid and no new one is made.
   * The requester learns nothing either way; every path does one committed
   * write so timing does not tell them apart.
   */
  async requestReset(username: string, address: string): Promise<void> {
    const name = normalizeUsername(username, { allowReserved: true });
    const gate = this.#auth.throttle.check("\u0000reset-request", address);
    if (!gate.allowed) {
      await this.#auth.audit("reset_requested", username, address, "throttled");
      return;
    }
    this.#auth.throttle.recordFailure("\u0000reset-request", address);
    const account = name.ok
      ? await this.#auth.store.getAccount(name.key)
      : undefined;
    if (account === undefined) {
      await this.#auth.audit(
        "reset_requested",
        username,
        address,
        "unknown account",
      );
      return;
    }
    // A request never voids a live token: whoever knows the name could
    // otherwise void the one the operator handed to the owner.
    await this.#auth.issueToken(account, address, { unlessPending: true });
  }

  /**
   * Issues a fresh reset token for the operator command `reset-token`,
   * voiding older ones. Resolves `undefined` for an unknown account.
   */
  async issueResetTokenForOperator(
    username: string,
  ): Promise<ResetTokenDelivery | undefined> {
    const name = normalizeUsername(username, { allowReserved: true });
    if (!name.ok) return undefined;
    const account = await this.#auth.store.getAccount(name.key);
    if (account === undefined) return undefined;
    return await this.#auth.issueToken(account, "operator");
  }

  /**
   * Handles `RESET_CONFIRM`: redeems a reset token or recovery code and sets
   * the new password. Logs nobody in, and ends the account's live session.
   */
  async confirmReset(
    secret: string,
    newPassword: string,
    address: string,
  ): Promise<ResetResult> {
    const min = this.#auth.minPasswordLength;
    const gate = this.#auth.throttle.check("\u0000reset-confirm", address);
    if (!gate.allowed) {
      await this.#auth.audit("reset_failure", null, address, "throttled");
      return { ok: false, reason: "throttled", minPasswordLength: min };
    }
    const passwordProblem = this.#auth.checkPassword(newPassword);
    if (passwordProblem !== undefined) {
      return { ok: false, reason: passwordProblem, minPasswordLength: min };
    }
    const canonical = canonicalSecret(secret);
    const newHash = await this.#auth.hasher.hash(newPassword);
    const nextRecoveryCode = this.#auth.newSecret();
    const now = this.#auth.clock.now();
    const redeemed = canonical === undefined
      ? undefined
      : await this.#auth.store.redeemSecret(await sha256Hex(canonical), {
        now: now,
        newHash: newHash,
        nextRecoveryCodeHash: await hashSecret(nextRecoveryCode),
      }, { at: now, event: "reset_confirmed", address, detail: null });
    if (redeemed === undefined) {
      await this.#auth.recordFailure(
        "reset_failure",
        "\u0000reset-confirm",
        null,
        address,
      );
      return { ok: false, reason: "invalid_token", minPasswordLength: min };
    }
    this.#auth.terminate(redeemed.account.usernameKey, "password_reset");
    return redeemed.via === "recovery_code"
      ? {
        ok: true,
        username: redeemed.account.username,
        newRecoveryCode: nextRecoveryCode,
      }
      : { ok: true, username: redeemed.account.username };
  }
}
