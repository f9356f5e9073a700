/**
 * The storage interface the account domain (and later the chat hub) talks
 * to. The embedded default is {@linkcode SqliteStore} in `sqlite_store.ts`;
 * another database can implement the same interface without touching callers.
 *
 * Every method that changes more than one row is one transaction, and
 * resolves only after that transaction committed, so a caller that replies to
 * a client after `await` never acknowledges something that was not stored.
 *
 * @module
 */

/** One account as stored. Secrets are hashes only. */
export interface AccountRecord {
  /** Internal id. */
  id: number;
  /** The name as the user chose it, NFC-normalized; shown to others. */
  username: string;
  /** Case-insensitive uniqueness key derived from the name. */
  usernameKey: string;
  /** Self-describing password hash (see `password_hash.ts`). */
  passwordHash: string;
  /** SHA-256 hex of the current one-time recovery code, if any. */
  recoveryCodeHash: string | null;
  /** Whether the operator granted the admin role. */
  isAdmin: boolean;
  /** Creation time, ms since the epoch. */
  createdAt: number;
  /** Last login or logout, ms since the epoch. */
  lastSeenAt: number | null;
  /** Last time the password was set, ms since the epoch. */
  passwordChangedAt: number;
}

/** Fields needed to create an account. */
export interface NewAccount {
  username: string;
  usernameKey: string;
  passwordHash: string;
  recoveryCodeHash: string | null;
  createdAt: number;
}

/** Kinds of security event kept in the audit log. */
export type AuditEventType =
  | "register"
  | "register_failure"
  | "login"
  | "login_failure"
  | "lockout"
  | "logout"
  | "rehash"
  | "reset_requested"
  | "reset_confirmed"
  | "reset_failure"
  | "password_changed"
  | "password_change_failure"
  | "account_deleted"
  | "delete_failure"
  | "legacy_import"
  | "admin_granted"
  | "admin_revoked";

/** One audit log entry. Never holds a password or a token. */
export interface AuditEntry {
  /** Time of the event, ms since the epoch. */
  at: number;
  event: AuditEventType;
  /** The account concerned, as typed or as stored. */
  username: string | null;
  /** Source address of the client (`host:port` or `operator`). */
  address: string | null;
  /** Free-text detail, e.g. a failure reason. */
  detail: string | null;
}

/** A redeemable secret was found and applied. */
export interface RedeemResult {
  account: AccountRecord;
  /** Which kind of secret was used. */
  via: "reset_token" | "recovery_code";
}

/** Filter for {@linkcode AccountStore.listAudit}. */
export interface AuditQuery {
  /** Only this event type. */
  event?: AuditEventType;
  /** Only entries about this username. */
  username?: string;
  /**
   * Newest entries first, at most this many.
   * @default {100}
   */
  limit?: number;
}

/** Persistence for accounts, reset tokens and the audit log. */
export interface AccountStore {
  /** Finds an account by its uniqueness key. */
  getAccount(usernameKey: string): Promise<AccountRecord | undefined>;
  /** All accounts, oldest first. */
  listAccounts(): Promise<AccountRecord[]>;
  /**
   * Creates an account and logs `audit` in one transaction. Resolves
   * `undefined`, writing nothing, if the key is taken.
   */
  createAccount(
    account: NewAccount,
    audit: AuditEntry,
  ): Promise<AccountRecord | undefined>;
  /**
   * Replaces the password hash only if it is still `expectedHash` (a rehash
   * must not undo a concurrent reset). Resolves whether it was replaced.
   */
  replacePasswordHash(
    accountId: number,
    expectedHash: string,
    newHash: string,
  ): Promise<boolean>;
  /**
   * Sets a new password, voids every reset and resume token of the account and logs
   * `audit`, in one transaction.
   */
  changePassword(
    accountId: number,
    newHash: string,
    audit: AuditEntry,
  ): Promise<void>;
  /**
   * Stores a new reset token (hash only) valid until `expiresAt`, voiding any
   * older token of the account, and logs `audit`, in one transaction.
   */
  issueResetToken(
    accountId: number,
    tokenHash: string,
    expiresAt: number,
    audit: AuditEntry,
  ): Promise<void>;
  /**
   * Redeems a reset token or recovery code by its hash, in one transaction:
   * checks it exists and (for tokens) `now < expiresAt`, sets `newHash`,
   * voids every reset token of the account, replaces the recovery code with
   * `nextRecoveryCodeHash` if a recovery code was used, and logs `audit`.
   * Resolves `undefined` when the secret is unknown, expired or already used;
   * nothing changes then, except that an expired token is removed.
   */
  redeemSecret(
    secretHash: string,
    now: number,
    newHash: string,
    nextRecoveryCodeHash: string,
    audit: Omit<AuditEntry, "username">,
  ): Promise<RedeemResult | undefined>;
  /** Deletes an account with its tokens and logs `audit`, in one transaction. */
  deleteAccount(accountId: number, audit: AuditEntry): Promise<boolean>;
  /**
   * Stores a session resume token (hash only) valid until `expiresAt`,
   * voiding the account's older one.
   */
  issueResumeToken(
    accountId: number,
    tokenHash: string,
    expiresAt: number,
  ): Promise<void>;
  /**
   * Consumes a resume token: resolves its account if it existed and
   * `now < expiresAt`. The token is gone afterwards either way.
   */
  redeemResumeToken(
    tokenHash: string,
    now: number,
  ): Promise<AccountRecord | undefined>;
  /** Voids the account's resume tokens (explicit logout). */
  revokeResumeTokens(accountId: number): Promise<void>;
  /** Records the last time an account was seen. */
  touchLastSeen(accountId: number, at: number): Promise<void>;
  /** Grants or revokes the admin role; resolves false for an unknown key. */
  setAdmin(
    usernameKey: string,
    isAdmin: boolean,
    audit: AuditEntry,
  ): Promise<boolean>;
  /** Appends one audit entry. */
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Reads audit entries, newest first. */
  listAudit(query?: AuditQuery): Promise<AuditEntry[]>;
}

/** Why a store could not be opened or used. */
export type StoreErrorCode =
  | "cannot_open"
  | "not_a_database"
  | "foreign_database"
  | "corrupt"
  | "newer_schema"
  | "locked";

/** A store failure that the caller reports to the operator by `message`. */
export class StoreError extends Error {
  /** Machine-readable reason. */
  readonly code: StoreErrorCode;
  /** The file concerned. */
  readonly path: string;

  /** Creates a store error for `path`. */
  constructor(
    code: StoreErrorCode,
    path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "StoreError";
    this.code = code;
    this.path = path;
  }
}
