/**
 * Accounts: registration, login with one live session per account, password
 * reset that never hands a token to an unauthenticated peer, password change,
 * deletion, login throttling, legacy import and the audit trail.
 *
 * Storage, clock and randomness are injected so every rule here is testable
 * without sockets or sleeping. Results are data (`{ ok: false, reason }`),
 * never thrown, for anything a client can cause; the shell maps reasons to
 * catalog messages.
 *
 * @module
 */

import { normalizeUsername } from "../../shared/username.ts";
import { sha256Hex } from "./password_hash.ts";
import { canonicalSecret, hashSecret } from "./secrets.ts";
import { RESUME_TOKEN_TTL_MS } from "./auth_types.ts";
import type {
  LiveSession,
  SessionRegistry,
} from "../registry/session_registry.ts";
import { AuthContext, entry, type IssuedResumeToken } from "./auth_context.ts";
import { PasswordReset } from "./password_reset.ts";
import { OperatorAccounts } from "./operator_accounts.ts";
import type {
  AuthManagerOptions,
  ChangePasswordResult,
  DeleteResult,
  LegacyImportReport,
  LoginHooks,
  LoginResult,
  LoginSuccess,
  RegisterResult,
  ResetResult,
  ResetTokenDelivery,
  ResumeResult,
} from "./auth_types.ts";

export * from "./auth_types.ts";
export { canonicalSecret, formatSecret } from "./secrets.ts";

/** The account domain; one instance per server process. */
export class AuthManager {
  #auth: AuthContext;
  #reset: PasswordReset;
  #operator: OperatorAccounts;

  /** Creates the manager; see {@linkcode AuthManagerOptions}. */
  constructor(options: AuthManagerOptions) {
    this.#auth = new AuthContext(options);
    this.#reset = new PasswordReset(this.#auth);
    this.#operator = new OperatorAccounts(this.#auth);
  }

  /** Minimum password length in characters (after NFKC). */
  get minPasswordLength(): number {
    return this.#auth.minPasswordLength;
  }

  /** Who is online: the one live session per account. */
  get registry(): SessionRegistry {
    return this.#auth.registry;
  }

  /** Number of live sessions. */
  get onlineCount(): number {
    return this.registry.sessionCount;
  }

  /** Live sessions in login order. */
  onlineSessions(): LiveSession[] {
    return this.registry.sessions();
  }

  /** Whether the named account has a live session. */
  isOnline(username: string): boolean {
    const name = normalizeUsername(username, { allowReserved: true });
    return name.ok && this.registry.has(name.key);
  }

  /**
   * Creates an account. On success the result carries a one-time recovery
   * code, stored only as a hash, that the client shows once.
   *
   * Throttled per address and globally before any other check, so refused
   * names and passwords count too (each attempt may cost a hash).
   *
   * @param options.allowReserved lets the operator create reserved names.
   */
  async register(
    username: string,
    password: string,
    address: string,
    options: { allowReserved?: boolean } = {},
  ): Promise<RegisterResult> {
    const min = this.#auth.minPasswordLength;
    const gate = address === "operator"
      ? { allowed: true as const }
      : this.#auth.registerThrottle.attempt(address);
    if (!gate.allowed) {
      await this.#auth.audit(
        "register_failure",
        username,
        address,
        `throttled: ${gate.reason}`,
      );
      return {
        ok: false,
        reason: "throttled",
        minPasswordLength: min,
        retryAfterMs: gate.retryAfterMs,
      };
    }
    const name = normalizeUsername(username, options);
    if (!name.ok) {
      const reason = name.reason === "reserved"
        ? "reserved_username"
        : name.reason === "confusable"
        ? "confusable_username"
        : "invalid_username";
      await this.#auth.audit("register_failure", username, address, reason);
      return { ok: false, reason, minPasswordLength: min };
    }
    const passwordProblem = this.#auth.checkPassword(password);
    if (passwordProblem !== undefined) {
      await this.#auth.audit(
        "register_failure",
        name.name,
        address,
        passwordProblem,
      );
      return { ok: false, reason: passwordProblem, minPasswordLength: min };
    }
    // Registration necessarily reveals that a name is taken; skip the hash.
    const clash = await this.#nameClash(name.key);
    if (clash !== undefined) {
      await this.#auth.audit("register_failure", name.name, address, clash);
      return { ok: false, reason: clash, minPasswordLength: min };
    }
    const passwordHash = await this.#auth.hasher.hash(password);
    const recoveryCode = this.#auth.newSecret();
    const now = this.#auth.clock.now();
    const created = await this.#auth.store.createAccount(
      {
        username: name.name,
        usernameKey: name.key,
        passwordHash,
        recoveryCodeHash: await hashSecret(recoveryCode),
        createdAt: now,
      },
      entry(now, "register", name.name, address, null),
    );
    if (created === undefined) {
      // Lost a race with a concurrent registration of the same name or of a
      // look-alike; the winner is committed, so asking again tells which.
      const reason = await this.#nameClash(name.key) ?? "username_taken";
      await this.#auth.audit("register_failure", name.name, address, reason);
      return { ok: false, reason, minPasswordLength: min };
    }
    return { ok: true, username: created.username, recoveryCode };
  }

  /** Why a new account cannot have `key`, if it cannot. */
  async #nameClash(
    key: string,
  ): Promise<"username_taken" | "confusable_username" | undefined> {
    if (await this.#auth.store.getAccount(key) !== undefined) {
      return "username_taken";
    }
    if (await this.#auth.store.findLookAlikeAccount(key) !== undefined) {
      return "confusable_username";
    }
    return undefined;
  }

  /**
   * Checks credentials and claims the account's single live session.
   *
   * Unknown users and wrong passwords get the same reason and cost the same
   * hash work. The claim happens with no `await` between "is it online?" and
   * "mark it online", so of two concurrent logins exactly one wins. The
   * last-seen time, the audit entry and the resume token asked for by
   * `hooks` are stored in one transaction.
   */
  async login(
    username: string,
    password: string,
    address: string,
    hooks: LoginHooks = {},
  ): Promise<LoginResult> {
    const { name, key, refused } = await this.#auth.gate(
      "login_failure",
      username,
      address,
    );
    if (refused !== undefined) return refused;
    const account = name.ok
      ? await this.#auth.store.getAccount(name.key)
      : undefined;
    const verdict = await this.#auth.verifyAccountPassword(account, password);
    if (account === undefined || !verdict.ok) {
      await this.#auth.recordFailure("login_failure", key, username, address);
      return { ok: false, reason: "invalid_credentials" };
    }
    // Prepared here: no await may come between the check and the claim below.
    const issued = hooks.issueResumeToken
      ? await this.#auth.newResumeToken()
      : undefined;
    // The password may have been reset while we hashed: re-read, then claim
    // synchronously (no await from here to the set()).
    const current = await this.#auth.store.getAccount(account.usernameKey);
    if (
      current === undefined || current.passwordHash !== account.passwordHash
    ) {
      await this.#auth.recordFailure("login_failure", key, username, address);
      return { ok: false, reason: "invalid_credentials" };
    }
    this.#auth.throttle.recordSuccess(key, address);
    if (this.registry.has(current.usernameKey)) {
      await this.#auth.audit(
        "login_failure",
        current.username,
        address,
        "already_logged_in",
      );
      return { ok: false, reason: "already_logged_in" };
    }
    const session = this.#auth.claim(current, address, hooks);
    await this.#auth.recordLogin(session, null, issued);
    if (verdict.needsRehash) {
      await this.#auth.rehash(current, password, address);
    }
    return loginSuccess(session, issued);
  }

  /**
   * Releases a live session (logout or disconnect). Idempotent: a session
   * already ended by a reset or deletion is ignored.
   */
  async logout(
    session: LiveSession,
    options: { explicit?: boolean } = {},
  ): Promise<void> {
    if (!this.registry.release(session)) return;
    // A lost connection keeps its resume token (that is what it is for); an
    // explicit LOGOUT voids it. One transaction with last-seen and audit.
    await this.#auth.store.recordLogout(
      session.accountId,
      entry(
        this.#auth.clock.now(),
        "logout",
        session.username,
        session.address,
        options.explicit ? null : "connection closed",
      ),
      { revokeResumeTokens: options.explicit === true },
    );
  }

  /**
   * Issues a resume token for a live session (single use, valid 15 minutes,
   * stored as a hash), voiding the account's older one. The client keeps it
   * in memory to log back in after a dropped connection without the password.
   */
  async issueResumeToken(session: LiveSession): Promise<string> {
    const { token, tokenHash } = await this.#auth.newResumeToken();
    await this.#auth.store.issueResumeToken(
      session.accountId,
      tokenHash,
      this.#auth.clock.now() + RESUME_TOKEN_TTL_MS,
    );
    return token;
  }

  /**
   * Handles `RESUME <username> <token>`: redeems a resume token of that
   * account and claims its session. A live session of the account (most
   * likely the half-open connection being replaced) is ended with
   * `session_resumed`. Failures look exactly like failed logins. As with
   * {@linkcode login}, `hooks` can ask for the next resume token.
   */
  async resume(
    username: string,
    token: string,
    address: string,
    hooks: LoginHooks = {},
  ): Promise<ResumeResult> {
    const { name, key, refused } = await this.#auth.gate(
      "login_failure",
      username,
      address,
    );
    if (refused !== undefined) return refused;
    // Prepared here: no await may come between the checks and the claim below.
    const issued = hooks.issueResumeToken
      ? await this.#auth.newResumeToken()
      : undefined;
    const canonical = canonicalSecret(token);
    const account = canonical === undefined
      ? undefined
      : await this.#auth.store.redeemResumeToken(
        await sha256Hex(canonical),
        this.#auth.clock.now(),
      );
    if (account === undefined || !name.ok || account.usernameKey !== name.key) {
      await this.#auth.recordFailure("login_failure", key, username, address);
      return { ok: false, reason: "invalid_credentials" };
    }
    this.#auth.throttle.recordSuccess(key, address);
    // No await between ending the old session and claiming the new one.
    this.#auth.terminate(account.usernameKey, "session_resumed");
    const session = this.#auth.claim(account, address, hooks);
    await this.#auth.recordLogin(session, "resumed", issued);
    return loginSuccess(session, issued);
  }

  /** Changes the password of a logged-in account, given the old one. */
  async changePassword(
    session: LiveSession,
    oldPassword: string,
    newPassword: string,
  ): Promise<ChangePasswordResult> {
    const min = this.#auth.minPasswordLength;
    if (!this.registry.isLive(session)) {
      return { ok: false, reason: "not_logged_in", minPasswordLength: min };
    }
    const gate = this.#auth.throttle.check(
      session.usernameKey,
      session.address,
    );
    if (!gate.allowed) {
      return { ok: false, reason: "throttled", minPasswordLength: min };
    }
    const passwordProblem = this.#auth.checkPassword(newPassword);
    if (passwordProblem !== undefined) {
      return { ok: false, reason: passwordProblem, minPasswordLength: min };
    }
    const found = await this.#auth.store.getAccount(session.usernameKey);
    // Bound to the account's identity: never another account that took the
    // name after this one was deleted.
    const account = found?.id === session.accountId ? found : undefined;
    const verdict = await this.#auth.verifyAccountPassword(
      account,
      oldPassword,
    );
    if (account === undefined || !verdict.ok) {
      await this.#auth.recordFailure(
        "password_change_failure",
        session.usernameKey,
        session.username,
        session.address,
      );
      return {
        ok: false,
        reason: "invalid_credentials",
        minPasswordLength: min,
      };
    }
    const newHash = await this.#auth.hasher.hash(newPassword);
    // A reset (or deletion) may have committed and ended this session while
    // we hashed: re-read, then write with no await in between, so the
    // change cannot overwrite the password the reset set.
    const current = await this.#auth.store.getAccount(account.usernameKey);
    if (!this.registry.isLive(session)) {
      return { ok: false, reason: "not_logged_in", minPasswordLength: min };
    }
    if (current?.passwordHash !== account.passwordHash) {
      return {
        ok: false,
        reason: "invalid_credentials",
        minPasswordLength: min,
      };
    }
    await this.#auth.store.changePassword(
      account.id,
      newHash,
      entry(
        this.#auth.clock.now(),
        "password_changed",
        account.username,
        session.address,
        null,
      ),
    );
    return { ok: true };
  }

  /**
   * Deletes an account given its password: credentials, recovery code and
   * tokens go, and its live session (if any) is ended.
   */
  async deleteAccount(
    username: string,
    password: string,
    address: string,
  ): Promise<DeleteResult> {
    const { name, key, refused } = await this.#auth.gate(
      "delete_failure",
      username,
      address,
    );
    if (refused !== undefined) return { ok: false, reason: "throttled" };
    const account = name.ok
      ? await this.#auth.store.getAccount(name.key)
      : undefined;
    const verdict = await this.#auth.verifyAccountPassword(account, password);
    if (account === undefined || !verdict.ok) {
      await this.#auth.recordFailure("delete_failure", key, username, address);
      return { ok: false, reason: "invalid_credentials" };
    }
    if (!(await this.#auth.deleteAccount(account, address))) {
      return { ok: false, reason: "invalid_credentials" };
    }
    this.#auth.throttle.recordSuccess(key, address);
    return { ok: true, username: account.username };
  }

  /**
   * Handles `RESET_REQUEST`: a token for the operator if the account exists
   * and has none pending; the requester learns nothing either way.
   */
  requestReset(username: string, address: string): Promise<void> {
    return this.#reset.requestReset(username, address);
  }

  /** Issues a fresh reset token on the operator's authority. */
  issueResetTokenForOperator(
    username: string,
  ): Promise<ResetTokenDelivery | undefined> {
    return this.#reset.issueResetTokenForOperator(username);
  }

  /** Handles `RESET_CONFIRM` with a reset token or the recovery code. */
  confirmReset(
    secret: string,
    newPassword: string,
    address: string,
  ): Promise<ResetResult> {
    return this.#reset.confirmReset(secret, newPassword, address);
  }

  /** Deletes an account on the operator's authority; `undefined` if unknown. */
  deleteAccountAsOperator(username: string): Promise<string | undefined> {
    return this.#operator.deleteAccountAsOperator(username);
  }

  /** Grants or revokes the admin role, live sessions included. */
  setAdminAsOperator(
    username: string,
    isAdmin: boolean,
  ): Promise<string | undefined> {
    return this.#operator.setAdminAsOperator(username, isAdmin);
  }

  /** Imports the Python program's `credentials.json` text. */
  importLegacyCredentials(text: string): Promise<LegacyImportReport> {
    return this.#operator.importLegacyCredentials(text);
  }
}

function loginSuccess(
  session: LiveSession,
  issued: IssuedResumeToken | undefined,
): LoginSuccess {
  return issued === undefined
    ? { ok: true, session }
    : { ok: true, session, resumeToken: issued.token };
}
