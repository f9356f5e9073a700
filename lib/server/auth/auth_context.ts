/**
 * What the account domain's parts share: the store, clock, randomness,
 * password hasher, throttles, audit limiter and session registry, and the
 * steps every account flow is made of (the throttle gate, password checks,
 * a failure's audit, claiming a session, issuing a token). AuthManager and
 * its parts (password reset, operator actions) each hold one.
 *
 * @module
 */

import {
  type Clock,
  type RandomSource,
  secureRandomBytes,
  SYSTEM_CLOCK,
} from "../../shared/clock.ts";
import { PasswordHasher } from "./password_hash.ts";
import { addressKey, LoginThrottle } from "./login_throttle.ts";
import { RegisterThrottle } from "./register_throttle.ts";
import { normalizeUsername } from "../../shared/username.ts";
import {
  auditAddressHost,
  AuditRateLimiter,
} from "../../store/audit_fields.ts";
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
import {
  type AuthManagerOptions,
  DEFAULT_MIN_PASSWORD_LENGTH,
  type LoginHooks,
  MAX_PASSWORD_BYTES,
  RESET_TOKEN_TTL_MS,
  type ResetTokenDelivery,
  RESUME_TOKEN_TTL_MS,
} from "./auth_types.ts";
import { formatSecret, hashSecret, SECRET_BYTES } from "./secrets.ts";

/** A resume token in clear and its stored hash. */
export interface IssuedResumeToken {
  token: string;
  tokenHash: string;
}

/** The shared state and steps of the account domain. */
export class AuthContext {
  readonly minPasswordLength: number;
  readonly store: AccountStore;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly hasher: PasswordHasher;
  readonly throttle: LoginThrottle;
  readonly registerThrottle: RegisterThrottle;
  // Peers choose how often they fail: bound what one address can write.
  readonly auditLimiter = new AuditRateLimiter();
  readonly resetTokenTtlMs: number;
  readonly onResetToken: ((delivery: ResetTokenDelivery) => void) | undefined;
  /** Who is online: the one live session per account. */
  readonly registry: SessionRegistry;

  /** Builds the parts; see {@linkcode AuthManagerOptions}. */
  constructor(options: AuthManagerOptions) {
    this.store = options.store;
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.random = options.random ?? secureRandomBytes;
    this.hasher = new PasswordHasher({
      ...options.hashing,
      random: this.random,
    });
    this.throttle = new LoginThrottle({
      ...options.throttle,
      clock: this.clock,
    });
    this.registerThrottle = new RegisterThrottle({
      ...options.registerThrottle,
      clock: this.clock,
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
    this.resetTokenTtlMs = options.resetTokenTtlMs ?? RESET_TOKEN_TTL_MS;
    this.onResetToken = options.onResetToken;
    this.registry = options.registry ?? new LocalSessionRegistry();
  }

  /** Checks a password; an unknown account costs the same hash, so timing tells nothing. */
  async verifyAccountPassword(
    account: AccountRecord | undefined,
    password: string,
  ): Promise<{ ok: boolean; needsRehash: boolean }> {
    if (account === undefined || utf8Length(password) > MAX_PASSWORD_BYTES) {
      // Same work as a real check, so timing does not reveal the account.
      await this.hasher.verifyDummy(password.slice(0, MAX_PASSWORD_BYTES));
      return { ok: false, needsRehash: false };
    }
    return await this.hasher.verify(password, account.passwordHash);
  }

  /** Replaces an outdated hash after a good login (legacy or fewer iterations). */
  async rehash(
    account: AccountRecord,
    password: string,
    address: string,
  ): Promise<void> {
    const newHash = await this.hasher.hash(password);
    if (
      await this.store.replacePasswordHash(
        account.id,
        account.passwordHash,
        newHash,
      )
    ) {
      await this.audit(
        "rehash",
        account.username,
        address,
        `pbkdf2-sha256 ${this.hasher.iterations}`,
      );
    }
  }

  /** Stores a reset token for `account` and hands it to the operator. */
  async issueToken(
    account: AccountRecord,
    requestedBy: string,
    options: { unlessPending?: boolean } = {},
  ): Promise<ResetTokenDelivery | undefined> {
    const token = this.newSecret();
    const now = this.clock.now();
    const expiresAt = now + this.resetTokenTtlMs;
    const stored = await this.store.issueResetToken(
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
    this.onResetToken?.(delivery);
    return delivery;
  }

  /** Counts a failed check for the throttle and audits it (and a lockout). */
  async recordFailure(
    event: AuditEventType,
    key: string,
    username: string | null,
    address: string,
  ): Promise<void> {
    const { lockedOut } = this.throttle.recordFailure(key, address);
    await this.audit(event, username, address, null);
    if (lockedOut) await this.audit("lockout", username, address, null);
  }

  /**
   * The throttle gate in front of every check of a password or token for a
   * named account: unknown and malformed names are throttled exactly like
   * real ones, so throttling reveals nothing.
   */
  async gate(
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
    const gate = this.throttle.check(key, address);
    if (gate.allowed) return { name, key };
    await this.audit(event, username, address, `throttled: ${gate.reason}`);
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
  async recordLogin(
    session: LiveSession,
    detail: string | null,
    issued: IssuedResumeToken | undefined,
  ): Promise<void> {
    const now = this.clock.now();
    try {
      await this.store.recordLogin(
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
  async newResumeToken(): Promise<IssuedResumeToken> {
    const token = this.newSecret();
    return { token, tokenHash: await hashSecret(token) };
  }

  /** The account with this name (any spelling, reserved names too), if any. */
  async accountNamed(username: string): Promise<AccountRecord | undefined> {
    const name = normalizeUsername(username, { allowReserved: true });
    return name.ok ? await this.store.getAccount(name.key) : undefined;
  }

  /**
   * Deletes `account` (audited as from `address`) and ends its live
   * session; returns whether it was deleted.
   */
  async deleteAccount(
    account: AccountRecord,
    address: string,
  ): Promise<boolean> {
    const deleted = await this.store.deleteAccount(
      account.id,
      entry(
        this.clock.now(),
        "account_deleted",
        account.username,
        address,
        null,
      ),
    );
    if (deleted) this.terminate(account.usernameKey, "account_deleted");
    return deleted;
  }

  /** Registers a live session; synchronous, so callers claim without a gap. */
  claim(
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

  /** Ends the account's live session, calling its terminate hook. */
  terminate(usernameKey: string, reason: SessionEndReason): void {
    this.registry.terminate(usernameKey, reason);
  }

  /** Why a new password is refused (length rules), if it is. */
  checkPassword(
    password: string,
  ): "password_too_short" | "password_too_long" | undefined {
    if (utf8Length(password) > MAX_PASSWORD_BYTES) return "password_too_long";
    if ([...password.normalize("NFKC")].length < this.minPasswordLength) {
      return "password_too_short";
    }
    return undefined;
  }

  /** A new random secret as people type it. */
  newSecret(): string {
    return formatSecret(this.random(SECRET_BYTES));
  }

  /** Appends an audit entry, bounded per address (peers choose how often they fail). */
  async audit(
    event: AuditEventType,
    username: string | null,
    address: string,
    detail: string | null,
  ): Promise<void> {
    const now = this.clock.now();
    const dropped = address === "operator"
      ? 0
      : this.auditLimiter.admit(addressKey(auditAddressHost(address)), now);
    if (dropped === undefined) return;
    const noted = dropped === 0
      ? detail
      : `${detail ?? event} (+${dropped} earlier from this address not logged)`;
    await this.store.appendAudit(entry(now, event, username, address, noted));
  }
}

/** An audit entry. */
export function entry(
  at: number,
  event: AuditEventType,
  username: string | null,
  address: string | null,
  detail: string | null,
): AuditEntry {
  return { at, event, username, address, detail };
}

/** Bytes of UTF-8. */
export function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}
