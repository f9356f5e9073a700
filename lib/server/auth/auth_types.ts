/**
 * The account domain's constants, options and result types: results are
 * data (`{ ok: false, reason }`), never thrown, for anything a client can
 * cause; the session maps reasons to catalog sentences.
 *
 * @module
 */

import type { Clock, RandomSource } from "../../shared/clock.ts";
import type { PasswordHasherOptions } from "./password_hash.ts";
import type { LoginThrottleOptions } from "./login_throttle.ts";
import type { RegisterThrottleOptions } from "./register_throttle.ts";
import type {
  LiveSession,
  SessionEndReason,
  SessionRegistry,
} from "../registry/session_registry.ts";
import type { AccountStore } from "../../store/store.ts";

/** How long a reset token stays valid: 30 minutes. */
export const RESET_TOKEN_TTL_MS = 30 * 60 * 1000;
/** How long a session resume token stays valid: 15 minutes. */
export const RESUME_TOKEN_TTL_MS = 15 * 60 * 1000;
/** Default minimum password length in characters. */
export const DEFAULT_MIN_PASSWORD_LENGTH = 8;
/** Maximum password length in UTF-8 bytes. */
export const MAX_PASSWORD_BYTES = 1024;

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
