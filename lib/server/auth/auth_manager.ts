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

import {
  type Clock,
  type RandomSource,
  secureRandomBytes,
  SYSTEM_CLOCK,
} from "../../shared/clock.ts";
import {
  legacySha256Hash,
  PasswordHasher,
  type PasswordHasherOptions,
  sha256Hex,
} from "./password_hash.ts";
import {
  addressKey,
  LoginThrottle,
  type LoginThrottleOptions,
} from "./login_throttle.ts";
import {
  RegisterThrottle,
  type RegisterThrottleOptions,
} from "./register_throttle.ts";
import { normalizeUsername } from "../../shared/username.ts";
import {
  auditAddressHost,
  AuditRateLimiter,
} from "../../store/audit_fields.ts";
import { parseLegacyCredentials } from "./legacy_credentials.ts";
import {
  type LiveSession,
  LocalSessionRegistry,
  type SessionEndReason,
  type SessionRegistry,
} from "../registry/session_registry.ts";
import type {
  AccountRecord,
  AccountStore,
  AuditEntry,
  AuditEventType,
} from "../../store/store.ts";

/** How long a reset token stays valid: 30 minutes. */
export const RESET_TOKEN_TTL_MS = 30 * 60 * 1000;
/** How long a session resume token stays valid: 15 minutes. */
export const RESUME_TOKEN_TTL_MS = 15 * 60 * 1000;
/** Default minimum password length in characters. */
export const DEFAULT_MIN_PASSWORD_LENGTH = 8;
/** Maximum password length in UTF-8 bytes. */
export const MAX_PASSWORD_BYTES = 1024;
/** Random bytes in a reset token or recovery code (160 bits). */
const SECRET_BYTES = 20;

export type { LiveSession, SessionEndReason };

/** Hooks a connection passes when it logs in. */
export interface LoginHooks {
  /**
   * Called (synchronously) when the server ends this session because the
   * account's password was reset or the account was deleted elsewhere.
   */
  onTerminate?: (reason: SessionEndReason) => void;
  /**
   * Also issue a resume token (see {@linkcode AuthManager.issueResumeToken}),
   * stored in the same transaction as the login's other bookkeeping and
   * returned as {@linkcode LoginSuccess.resumeToken}.
   * @default {false}
   */
  issueResumeToken?: boolean;
}

/** A reset token handed to the server operator, never to the requester. */
export interface ResetTokenDelivery {
  /** The account the token resets. */
  username: string;
  /** The token in clear; shown once to the operator. */
  token: string;
  /** Expiry, ms since the epoch. */
  expiresAt: number;
  /** Who asked: a client address, or `operator`. */
  requestedBy: string;
}

/** Why registration failed. */
export type RegisterFailure =
  | "invalid_username"
  | "reserved_username"
  | "confusable_username"
  | "username_taken"
  | "password_too_short"
  | "password_too_long"
  | "throttled";

/** Why login failed. `invalid_credentials` covers unknown users too. */
export type LoginFailure =
  | "invalid_credentials"
  | "throttled"
  | "already_logged_in";

/** Why a reset confirmation failed. */
export type ResetFailure =
  | "invalid_token"
  | "throttled"
  | "password_too_short"
  | "password_too_long";

/** Why a password change failed. */
export type ChangePasswordFailure =
  | "invalid_credentials"
  | "throttled"
  | "password_too_short"
  | "password_too_long"
  | "not_logged_in";

/** Why an account deletion failed. */
export type DeleteFailure = "invalid_credentials" | "throttled";

/** Outcome of {@linkcode AuthManager.register}. */
export type RegisterResult =
  | { ok: true; username: string; recoveryCode: string }
  | {
    ok: false;
    reason: Exclude<RegisterFailure, "throttled">;
    minPasswordLength: number;
  }
  | {
    ok: false;
    reason: "throttled";
    minPasswordLength: number;
    /** Milliseconds until a registration from this address can be allowed. */
    retryAfterMs: number;
  };

/** A successful {@linkcode AuthManager.login} or {@linkcode AuthManager.resume}. */
export interface LoginSuccess {
  ok: true;
  /** The claimed live session. */
  session: LiveSession;
  /**
   * A fresh resume token in clear, present when
   * {@linkcode LoginHooks.issueResumeToken} asked for one. It replaced the
   * account's older token.
   */
  resumeToken?: string;
}

/** Outcome of {@linkcode AuthManager.login}. */
export type LoginResult =
  | LoginSuccess
  | { ok: false; reason: LoginFailure; retryAfterMs?: number };

/** Why a session resumption failed; as generic as a login failure. */
export type ResumeFailure = "invalid_credentials" | "throttled";

/** Outcome of {@linkcode AuthManager.resume}. */
export type ResumeResult =
  | LoginSuccess
  | { ok: false; reason: ResumeFailure; retryAfterMs?: number };

/** Outcome of {@linkcode AuthManager.confirmReset}. */
export type ResetResult =
  | {
    ok: true;
    username: string;
    /** Present when a recovery code was used: its one-time replacement. */
    newRecoveryCode?: string;
  }
  | { ok: false; reason: ResetFailure; minPasswordLength: number };

/** Outcome of {@linkcode AuthManager.changePassword}. */
export type ChangePasswordResult =
  | { ok: true }
  | { ok: false; reason: ChangePasswordFailure; minPasswordLength: number };

/** Outcome of {@linkcode AuthManager.deleteAccount}. */
export type DeleteResult =
  | { ok: true; username: string }
  | { ok: false; reason: DeleteFailure };

/** What a legacy import did. */
export interface LegacyImportReport {
  imported: string[];
  skipped: Array<{ username: string; reason: string }>;
}

/** Options for {@linkcode AuthManager}. */
export interface AuthManagerOptions {
  /** Where accounts, tokens and audit entries live. */
  store: AccountStore;
  /**
   * Time source for expiry, throttling and audit timestamps.
   * @default {SYSTEM_CLOCK}
   */
  clock?: Clock;
  /**
   * Random source for tokens, recovery codes and salts.
   * @default {secureRandomBytes}
   */
  random?: RandomSource;
  /**
   * Hashing parameters (iterations, concurrency).
   * @default {{ iterations: 600000 }}
   */
  hashing?: Omit<PasswordHasherOptions, "random">;
  /**
   * Minimum password length in characters (after NFKC). The seed used 6.
   * @default {8}
   */
  minPasswordLength?: number;
  /**
   * Reset token lifetime in ms.
   * @default {1800000}
   */
  resetTokenTtlMs?: number;
  /**
   * Login throttling limits (the clock is shared).
   * @default {{}}
   */
  throttle?: Omit<LoginThrottleOptions, "clock">;
  /**
   * Registration limits (the clock is shared): 5 a minute per address, 60 a
   * minute over all addresses, loopback exempt.
   * @default {{}}
   */
  registerThrottle?: Omit<RegisterThrottleOptions, "clock">;
  /**
   * Receives each reset token for the operator (console, audit delivery).
   * Without it, a requested token is still stored but only the operator
   * command `reset-token` can reveal a fresh one.
   * @default {undefined}
   */
  onResetToken?: (delivery: ResetTokenDelivery) => void;
  /**
   * Who is online: the registry this manager claims sessions in (the
   * server shares it with the chat core).
   * @default {a new LocalSessionRegistry}
   */
  registry?: SessionRegistry;
}

/** The account domain; one instance per server process. */
export class AuthManager {
  readonly minPasswordLength: number;
  #store: AccountStore;
  #clock: Clock;
  #random: RandomSource;
  #hasher: PasswordHasher;
  #throttle: LoginThrottle;
  #registerThrottle: RegisterThrottle;
  // Peers choose how often they fail: bound what one address can write.
  #auditLimiter = new AuditRateLimiter();
  #resetTokenTtlMs: number;
  #onResetToken: ((delivery: ResetTokenDelivery) => void) | undefined;
  /** Who is online: the one live session per account. */
  readonly registry: SessionRegistry;

  /** Creates the manager; see {@linkcode AuthManagerOptions}. */
  constructor(options: AuthManagerOptions) {
    this.#store = options.store;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#random = options.random ?? secureRandomBytes;
    this.#hasher = new PasswordHasher({
      ...options.hashing,
      random: this.#random,
    });
    this.#throttle = new LoginThrottle({
      ...options.throttle,
      clock: this.#clock,
    });
    this.#registerThrottle = new RegisterThrottle({
      ...options.registerThrottle,
      clock: this.#clock,
    });
    this.minPasswordLength = options.minPasswordLength ??
      DEFAULT_MIN_PASSWORD_LENGTH;
    if (
      !Number.isInteger(this.minPasswordLength) || this.minPasswordLength < 1
    ) {
      throw new RangeError(
        `Cannot create auth manager: minimum password length must be a positive integer, got ${this.minPasswordLength}`,
      );
    }
    this.#resetTokenTtlMs = options.resetTokenTtlMs ?? RESET_TOKEN_TTL_MS;
    this.#onResetToken = options.onResetToken;
    this.registry = options.registry ?? new LocalSessionRegistry();
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
    const min = this.minPasswordLength;
    const gate = address === "operator"
      ? { allowed: true as const }
      : this.#registerThrottle.attempt(address);
    if (!gate.allowed) {
      await this.#audit(
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
      await this.#audit("register_failure", username, address, reason);
      return { ok: false, reason, minPasswordLength: min };
    }
    const passwordProblem = this.#checkPassword(password);
    if (passwordProblem !== undefined) {
      await this.#audit(
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
      await this.#audit("register_failure", name.name, address, clash);
      return { ok: false, reason: clash, minPasswordLength: min };
    }
    const passwordHash = await this.#hasher.hash(password);
    const recoveryCode = this.#newSecret();
    const now = this.#clock.now();
    const created = await this.#store.createAccount(
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
      await this.#audit("register_failure", name.name, address, reason);
      return { ok: false, reason, minPasswordLength: min };
    }
    return { ok: true, username: created.username, recoveryCode };
  }

  /** Why a new account cannot have `key`, if it cannot. */
  async #nameClash(
    key: string,
  ): Promise<"username_taken" | "confusable_username" | undefined> {
    if (await this.#store.getAccount(key) !== undefined) {
      return "username_taken";
    }
    if (await this.#store.findLookAlikeAccount(key) !== undefined) {
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
    const { name, key, refused } = await this.#gate(
      "login_failure",
      username,
      address,
    );
    if (refused !== undefined) return refused;
    const account = name.ok
      ? await this.#store.getAccount(name.key)
      : undefined;
    const verdict = await this.#verifyAccountPassword(account, password);
    if (account === undefined || !verdict.ok) {
      await this.#recordFailure("login_failure", key, username, address);
      return { ok: false, reason: "invalid_credentials" };
    }
    // Prepared here: no await may come between the check and the claim below.
    const issued = hooks.issueResumeToken
      ? await this.#newResumeToken()
      : undefined;
    // The password may have been reset while we hashed: re-read, then claim
    // synchronously (no await from here to the set()).
    const current = await this.#store.getAccount(account.usernameKey);
    if (
      current === undefined || current.passwordHash !== account.passwordHash
    ) {
      await this.#recordFailure("login_failure", key, username, address);
      return { ok: false, reason: "invalid_credentials" };
    }
    this.#throttle.recordSuccess(key, address);
    if (this.registry.has(current.usernameKey)) {
      await this.#audit(
        "login_failure",
        current.username,
        address,
        "already_logged_in",
      );
      return { ok: false, reason: "already_logged_in" };
    }
    const session = this.#claim(current, address, hooks);
    await this.#recordLogin(session, null, issued);
    if (verdict.needsRehash) await this.#rehash(current, password, address);
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
    await this.#store.recordLogout(
      session.accountId,
      entry(
        this.#clock.now(),
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
    const { token, tokenHash } = await this.#newResumeToken();
    await this.#store.issueResumeToken(
      session.accountId,
      tokenHash,
      this.#clock.now() + RESUME_TOKEN_TTL_MS,
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
    const { name, key, refused } = await this.#gate(
      "login_failure",
      username,
      address,
    );
    if (refused !== undefined) return refused;
    // Prepared here: no await may come between the checks and the claim below.
    const issued = hooks.issueResumeToken
      ? await this.#newResumeToken()
      : undefined;
    const canonical = canonicalSecret(token);
    const account = canonical === undefined
      ? undefined
      : await this.#store.redeemResumeToken(
        await sha256Hex(canonical),
        this.#clock.now(),
      );
    if (account === undefined || !name.ok || account.usernameKey !== name.key) {
      await this.#recordFailure("login_failure", key, username, address);
      return { ok: false, reason: "invalid_credentials" };
    }
    this.#throttle.recordSuccess(key, address);
    // No await between ending the old session and claiming the new one.
    this.#terminate(account.usernameKey, "session_resumed");
    const session = this.#claim(account, address, hooks);
    await this.#recordLogin(session, "resumed", issued);
    return loginSuccess(session, issued);
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
    const gate = this.#throttle.check("\u0000reset-request", address);
    if (!gate.allowed) {
      await this.#audit("reset_requested", username, address, "throttled");
      return;
    }
    this.#throttle.recordFailure("\u0000reset-request", address);
    const account = name.ok
      ? await this.#store.getAccount(name.key)
      : undefined;
    if (account === undefined) {
      await this.#audit(
        "reset_requested",
        username,
        address,
        "unknown account",
      );
      return;
    }
    // A request never voids a live token: whoever knows the name could
    // otherwise void the one the operator handed to the owner.
    await this.#issueToken(account, address, { unlessPending: true });
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
    const account = await this.#store.getAccount(name.key);
    if (account === undefined) return undefined;
    return await this.#issueToken(account, "operator");
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
    const min = this.minPasswordLength;
    const gate = this.#throttle.check("\u0000reset-confirm", address);
    if (!gate.allowed) {
      await this.#audit("reset_failure", null, address, "throttled");
      return { ok: false, reason: "throttled", minPasswordLength: min };
    }
    const passwordProblem = this.#checkPassword(newPassword);
    if (passwordProblem !== undefined) {
      return { ok: false, reason: passwordProblem, minPasswordLength: min };
    }
    const canonical = canonicalSecret(secret);
    const newHash = await this.#hasher.hash(newPassword);
    const nextRecoveryCode = this.#newSecret();
    const now = this.#clock.now();
    const redeemed = canonical === undefined
      ? undefined
      : await this.#store.redeemSecret(
        await sha256Hex(canonical),
        now,
        newHash,
        await hashSecret(nextRecoveryCode),
        { at: now, event: "reset_confirmed", address, detail: null },
      );
    if (redeemed === undefined) {
      await this.#recordFailure(
        "reset_failure",
        "\u0000reset-confirm",
        null,
        address,
      );
      return { ok: false, reason: "invalid_token", minPasswordLength: min };
    }
    this.#terminate(redeemed.account.usernameKey, "password_reset");
    return redeemed.via === "recovery_code"
      ? {
        ok: true,
        username: redeemed.account.username,
        newRecoveryCode: nextRecoveryCode,
      }
      : { ok: true, username: redeemed.account.username };
  }

  /** Changes the password of a logged-in account, given the old one. */
  async changePassword(
    session: LiveSession,
    oldPassword: string,
    newPassword: string,
  ): Promise<ChangePasswordResult> {
    const min = this.minPasswordLength;
    if (!this.registry.isLive(session)) {
      return { ok: false, reason: "not_logged_in", minPasswordLength: min };
    }
    const gate = this.#throttle.check(session.usernameKey, session.address);
    if (!gate.allowed) {
      return { ok: false, reason: "throttled", minPasswordLength: min };
    }
    const passwordProblem = this.#checkPassword(newPassword);
    if (passwordProblem !== undefined) {
      return { ok: false, reason: passwordProblem, minPasswordLength: min };
    }
    const found = await this.#store.getAccount(session.usernameKey);
    // Bound to the account's identity: never another account that took the
    // name after this one was deleted.
    const account = found?.id === session.accountId ? found : undefined;
    const verdict = await this.#verifyAccountPassword(account, oldPassword);
    if (account === undefined || !verdict.ok) {
      await this.#recordFailure(
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
    const newHash = await this.#hasher.hash(newPassword);
    // A reset (or deletion) may have committed and ended this session while
    // we hashed: re-read, then write with no await in between, so the
    // change cannot overwrite the password the reset set.
    const current = await this.#store.getAccount(account.usernameKey);
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
    await this.#store.changePassword(
      account.id,
      newHash,
      entry(
        this.#clock.now(),
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
    const { name, key, refused } = await this.#gate(
      "delete_failure",
      username,
      address,
    );
    if (refused !== undefined) return { ok: false, reason: "throttled" };
    const account = name.ok
      ? await this.#store.getAccount(name.key)
      : undefined;
    const verdict = await this.#verifyAccountPassword(account, password);
    if (account === undefined || !verdict.ok) {
      await this.#recordFailure("delete_failure", key, username, address);
      return { ok: false, reason: "invalid_credentials" };
    }
    const deleted = await this.#store.deleteAccount(
      account.id,
      entry(
        this.#clock.now(),
        "account_deleted",
        account.username,
        address,
        null,
      ),
    );
    if (!deleted) return { ok: false, reason: "invalid_credentials" };
    this.#throttle.recordSuccess(key, address);
    this.#terminate(account.usernameKey, "account_deleted");
    return { ok: true, username: account.username };
  }

  /**
   * Deletes an account on the operator's authority (no password), with its
   * tokens, ending its live session in this process. Resolves `undefined`
   * for an unknown account.
   */
  async deleteAccountAsOperator(
    username: string,
  ): Promise<string | undefined> {
    const name = normalizeUsername(username, { allowReserved: true });
    if (!name.ok) return undefined;
    const account = await this.#store.getAccount(name.key);
    if (account === undefined) return undefined;
    const deleted = await this.#store.deleteAccount(
      account.id,
      entry(
        this.#clock.now(),
        "account_deleted",
        account.username,
        "operator",
        null,
      ),
    );
    if (!deleted) return undefined;
    this.#terminate(account.usernameKey, "account_deleted");
    return account.username;
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
    const name = normalizeUsername(username, { allowReserved: true });
    if (!name.ok) return undefined;
    const account = await this.#store.getAccount(name.key);
    if (account === undefined) return undefined;
    const changed = await this.#store.setAdmin(
      account.usernameKey,
      isAdmin,
      entry(
        this.#clock.now(),
        isAdmin ? "admin_granted" : "admin_revoked",
        account.username,
        "operator",
        null,
      ),
    );
    if (!changed) return undefined;
    const live = this.registry.session(account.usernameKey);
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
      const now = this.#clock.now();
      const created = await this.#store.createAccount(
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
        const lookAlike = await this.#store.getAccount(legacy.key) === undefined
          ? await this.#store.findLookAlikeAccount(legacy.key)
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

  async #verifyAccountPassword(
    account: AccountRecord | undefined,
    password: string,
  ): Promise<{ ok: boolean; needsRehash: boolean }> {
    if (account === undefined || utf8Length(password) > MAX_PASSWORD_BYTES) {
      // Same work as a real check, so timing does not reveal the account.
      await this.#hasher.verifyDummy(password.slice(0, MAX_PASSWORD_BYTES));
      return { ok: false, needsRehash: false };
    }
    return await this.#hasher.verify(password, account.passwordHash);
  }

  async #rehash(
    account: AccountRecord,
    password: string,
    address: string,
  ): Promise<void> {
    const newHash = await this.#hasher.hash(password);
    if (
      await this.#store.replacePasswordHash(
        account.id,
        account.passwordHash,
        newHash,
      )
    ) {
      await this.#audit(
        "rehash",
        account.username,
        address,
        `pbkdf2-sha256 ${this.#hasher.iterations}`,
      );
    }
  }

  async #issueToken(
    account: AccountRecord,
    requestedBy: string,
    options: { unlessPending?: boolean } = {},
  ): Promise<ResetTokenDelivery | undefined> {
    const token = this.#newSecret();
    const now = this.#clock.now();
    const expiresAt = now + this.#resetTokenTtlMs;
    const stored = await this.#store.issueResetToken(
      account.id,
      await hashSecret(token),
      expiresAt,
      entry(now, "reset_requested", account.username, requestedBy, null),
      { unlessPending: options.unlessPending, pendingDetail: "token_pending" },
    );
    if (!stored) return undefined;
    const delivery = {
      username: account.username,
      token,
      expiresAt,
      requestedBy,
    };
    this.#onResetToken?.(delivery);
    return delivery;
  }

  async #recordFailure(
    event: AuditEventType,
    key: string,
    username: string | null,
    address: string,
  ): Promise<void> {
    const { lockedOut } = this.#throttle.recordFailure(key, address);
    await this.#audit(event, username, address, null);
    if (lockedOut) await this.#audit("lockout", username, address, null);
  }

  /**
   * The throttle gate in front of every check of a password or token for a
   * named account: unknown and malformed names are throttled exactly like
   * real ones, so throttling reveals nothing.
   */
  async #gate(
    event: AuditEventType,
    username: string,
    address: string,
  ): Promise<{
    name: ReturnType<typeof normalizeUsername>;
    key: string;
    refused?: { ok: false; reason: "throttled"; retryAfterMs: number };
  }> {
    const name = normalizeUsername(username, { allowReserved: true });
    const key = name.ok ? name.key : `\u0000invalid:${username}`;
    const gate = this.#throttle.check(key, address);
    if (gate.allowed) return { name, key };
    await this.#audit(event, username, address, `throttled: ${gate.reason}`);
    return {
      name,
      key,
      refused: {
        ok: false,
        reason: "throttled",
        retryAfterMs: gate.retryAfterMs,
      },
    };
  }

  /**
   * Stores a login's last-seen time, audit entry and (if `issued`) resume
   * token in one transaction. If that fails nothing was stored, so the
   * claim is released before the error goes on: the account must not stay
   * "already logged in" with no connection holding it.
   */
  async #recordLogin(
    session: LiveSession,
    detail: string | null,
    issued: IssuedResumeToken | undefined,
  ): Promise<void> {
    const now = this.#clock.now();
    try {
      await this.#store.recordLogin(
        session.accountId,
        entry(now, "login", session.username, session.address, detail),
        issued && {
          tokenHash: issued.tokenHash,
          expiresAt: now + RESUME_TOKEN_TTL_MS,
        },
      );
    } catch (error) {
      this.registry.release(session);
      throw error;
    }
  }

  /** A new random resume token and the hash that is all the store keeps. */
  async #newResumeToken(): Promise<IssuedResumeToken> {
    const token = this.#newSecret();
    return { token, tokenHash: await hashSecret(token) };
  }

  /** Registers a live session; synchronous, so callers claim without a gap. */
  #claim(
    account: AccountRecord,
    address: string,
    hooks: LoginHooks,
  ): LiveSession {
    const session: LiveSession = {
      username: account.username,
      usernameKey: account.usernameKey,
      accountId: account.id,
      isAdmin: account.isAdmin,
      address,
    };
    if (!this.registry.claim(session, hooks.onTerminate)) {
      // Callers check has() with no await before: a claim cannot lose.
      throw new RangeError(
        `Cannot claim "${account.username}": already logged in`,
      );
    }
    return session;
  }

  #terminate(usernameKey: string, reason: SessionEndReason): void {
    this.registry.terminate(usernameKey, reason);
  }

  #checkPassword(
    password: string,
  ): "password_too_short" | "password_too_long" | undefined {
    if (utf8Length(password) > MAX_PASSWORD_BYTES) return "password_too_long";
    if ([...password.normalize("NFKC")].length < this.minPasswordLength) {
      return "password_too_short";
    }
    return undefined;
  }

  #newSecret(): string {
    return formatSecret(this.#random(SECRET_BYTES));
  }

  async #audit(
    event: AuditEventType,
    username: string | null,
    address: string,
    detail: string | null,
  ): Promise<void> {
    const now = this.#clock.now();
    const dropped = address === "operator"
      ? 0
      : this.#auditLimiter.admit(addressKey(auditAddressHost(address)), now);
    if (dropped === undefined) return;
    const noted = dropped === 0
      ? detail
      : `${detail ?? event} (+${dropped} earlier from this address not logged)`;
    await this.#store.appendAudit(entry(now, event, username, address, noted));
  }
}

/** A resume token in clear and its stored hash. */
interface IssuedResumeToken {
  token: string;
  tokenHash: string;
}

function loginSuccess(
  session: LiveSession,
  issued: IssuedResumeToken | undefined,
): LoginSuccess {
  return issued === undefined
    ? { ok: true, session }
    : { ok: true, session, resumeToken: issued.token };
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * Formats random bytes as Crockford base32 in dash-separated groups of four,
 * easy to read aloud and type (no I, L, O or U).
 */
export function formatSecret(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let out = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += CROCKFORD[(value << (5 - bits)) & 31];
  return out.match(/.{1,4}/g)?.join("-") ?? "";
}

/**
 * Canonical form of a typed secret: dashes and spaces dropped, upper case,
 * and the look-alikes O->0, I/L->1 mapped as Crockford base32 allows.
 * Returns `undefined` if anything else remains.
 */
export function canonicalSecret(typed: string): string | undefined {
  const canonical = typed.replace(/[-\s]/g, "").toUpperCase()
    .replace(/O/g, "0").replace(/[IL]/g, "1");
  if (canonical.length === 0 || canonical.length > 64) return undefined;
  for (const char of canonical) if (!CROCKFORD.includes(char)) return undefined;
  return canonical;
}

async function hashSecret(secret: string): Promise<string> {
  return await sha256Hex(canonicalSecret(secret) ?? secret);
}

function entry(
  at: number,
  event: AuditEventType,
  username: string | null,
  address: string | null,
  detail: string | null,
): AuditEntry {
  return { at, event, username, address, detail };
}

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
