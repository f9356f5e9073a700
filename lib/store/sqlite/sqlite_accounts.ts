/**
 * The account half of the SQLite store: {@linkcode AccountStore} (accounts,
 * reset and resume tokens, recovery codes, the audit log) on a
 * {@linkcode SqliteConnection}.
 *
 * @module
 */

import { confusableSkeleton } from "../../shared/confusables.ts";
import type { SQLInputValue } from "node:sqlite";
import type {
  AccountRecord,
  AccountStore,
  AuditEntry,
  AuditEventType,
  AuditQuery,
  NewAccount,
  NewResumeToken,
  RecordLogoutOptions,
  RedeemResult,
  SecretRedemption,
} from "../store.ts";
import type { SqliteConnection } from "./connection.ts";

/** Account columns aliased to camelCase, so rows map straight onto records. */
const ACCOUNT_COLUMNS = `id, username, username_key AS usernameKey,
  password_hash AS passwordHash, recovery_code_hash AS recoveryCodeHash,
  is_admin AS isAdmin, created_at AS createdAt, last_seen_at AS lastSeenAt,
  password_changed_at AS passwordChangedAt, status, receipts, avatar`;

type AccountRow = Omit<AccountRecord, "isAdmin" | "receipts"> & {
  isAdmin: number;
  receipts: number;
};

/** {@linkcode AccountStore} on a SQLite connection. */
export class SqliteAccounts implements AccountStore {
  readonly #db: SqliteConnection;

  /** Runs account statements on `db`. */
  constructor(db: SqliteConnection) {
    this.#db = db;
  }

  getAccount(usernameKey: string): Promise<AccountRecord | undefined> {
    return this.#db.run(() => {
      const row = this.#db.statement(
        `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE username_key = ?`,
      )
        .get(usernameKey) as AccountRow | undefined;
      return row && toAccount(row);
    });
  }

  listAccounts(): Promise<AccountRecord[]> {
    return this.#db.run(() => {
      const rows = this.#db.statement(
        `SELECT ${ACCOUNT_COLUMNS} FROM accounts ORDER BY created_at, id`,
      )
        .all() as unknown as AccountRow[];
      return rows.map(toAccount);
    });
  }

  findLookAlikeAccount(
    usernameKey: string,
  ): Promise<AccountRecord | undefined> {
    return this.#db.run(() => this.#lookAlike(usernameKey));
  }

  createAccount(
    account: NewAccount,
    audit: AuditEntry,
  ): Promise<AccountRecord | undefined> {
    return this.#db.transaction(() => {
      // Inside the write transaction, so of two concurrent look-alike
      // registrations only the first commits.
      if (this.#lookAlike(account.usernameKey) !== undefined) return undefined;
      const result = this.#db.statement(
        `INSERT INTO accounts
           (username, username_key, username_skeleton, password_hash,
            recovery_code_hash, created_at, password_changed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (username_key) DO NOTHING`,
      ).run(
        account.username,
        account.usernameKey,
        confusableSkeleton(account.usernameKey),
        account.passwordHash,
        account.recoveryCodeHash,
        account.createdAt,
        account.createdAt,
      );
      if (result.changes === 0) return undefined;
      this.#db.insertAudit(audit);
      return this.#accountById(Number(result.lastInsertRowid));
    });
  }

  replacePasswordHash(
    accountId: number,
    expectedHash: string,
    newHash: string,
  ): Promise<boolean> {
    return this.#db.run(() => {
      const result = this.#db.statement(
        "UPDATE accounts SET password_hash = ? WHERE id = ? AND password_hash = ?",
      ).run(newHash, accountId, expectedHash);
      return result.changes === 1;
    });
  }

  changePassword(
    accountId: number,
    newHash: string,
    audit: AuditEntry,
  ): Promise<void> {
    return this.#db.transaction(() => {
      this.#setPassword(accountId, newHash, audit.at);
      this.#db.insertAudit(audit);
    });
  }

  issueResetToken(
    accountId: number,
    tokenHash: string,
    expiresAt: number,
    audit: AuditEntry,
    options: { unlessPending?: boolean; pendingDetail?: string } = {},
  ): Promise<boolean> {
    return this.#db.transaction(() => {
      if (options.unlessPending) {
        const live = this.#db.statement(
          "SELECT 1 FROM reset_tokens WHERE account_id = ? AND expires_at > ?",
        ).get(accountId, audit.at);
        if (live !== undefined) {
          this.#db.insertAudit({
            ...audit,
            detail: options.pendingDetail ?? audit.detail,
          });
          return false;
        }
      }
      this.#db.statement("DELETE FROM reset_tokens WHERE account_id = ?")
        .run(accountId);
      this.#db.statement(
        `INSERT INTO reset_tokens (token_hash, account_id, created_at, expires_at)
         VALUES (?, ?, ?, ?)`,
      ).run(tokenHash, accountId, audit.at, expiresAt);
      return this.#db.auditIf(true, audit);
    });
  }

  redeemSecret(
    secretHash: string,
    { now, newHash, nextRecoveryCodeHash }: SecretRedemption,
    audit: Omit<AuditEntry, "username">,
  ): Promise<RedeemResult | undefined> {
    return this.#db.transaction(() => {
      const token = this.#db.statement(
        `SELECT account_id AS accountId, expires_at AS expiresAt
         FROM reset_tokens WHERE token_hash = ?`,
      ).get(secretHash) as { accountId: number; expiresAt: number } | undefined;
      let accountId: number;
      let via: RedeemResult["via"];
      if (token !== undefined) {
        if (!(now < token.expiresAt)) {
          // Expired: remove it so the table does not keep dead secrets.
          this.#db.statement("DELETE FROM reset_tokens WHERE token_hash = ?")
            .run(secretHash);
          return undefined;
        }
        accountId = token.accountId;
        via = "reset_token";
      } else {
        const owner = this.#db.statement(
          "SELECT id FROM accounts WHERE recovery_code_hash = ?",
        ).get(secretHash) as { id: number } | undefined;
        if (owner === undefined) return undefined;
        accountId = owner.id;
        via = "recovery_code";
        this.#db.statement(
          "UPDATE accounts SET recovery_code_hash = ? WHERE id = ?",
        ).run(nextRecoveryCodeHash, accountId);
      }
      this.#setPassword(accountId, newHash, now);
      const account = this.#accountById(accountId);
      this.#db.insertAudit({ ...audit, username: account.username });
      return { account, via };
    });
  }

  deleteAccount(accountId: number, audit: AuditEntry): Promise<boolean> {
    return this.#db.transaction(() => {
      // Tokens and file records go by ON DELETE CASCADE; the recovery code
      // lives in the row. The messages that shared its files go too.
      this.#db.statement(
        `UPDATE messages SET deleted_at = ?1 WHERE deleted_at IS NULL
           AND file_id IN (SELECT id FROM files
             WHERE owner_account_id = ?2 OR recipient_account_id = ?2)`,
      ).run(audit.at, accountId);
      const result = this.#db.statement("DELETE FROM accounts WHERE id = ?")
        .run(accountId);
      return this.#db.auditIf(result.changes !== 0, audit);
    });
  }

  issueResumeToken(
    accountId: number,
    tokenHash: string,
    expiresAt: number,
  ): Promise<void> {
    return this.#db.transaction(() => {
      this.#replaceResumeToken(accountId, tokenHash, expiresAt);
    });
  }

  redeemResumeToken(
    tokenHash: string,
    now: number,
  ): Promise<AccountRecord | undefined> {
    return this.#db.transaction(() => {
      const token = this.#db.statement(
        `SELECT account_id AS accountId, expires_at AS expiresAt
         FROM resume_tokens WHERE token_hash = ?`,
      ).get(tokenHash) as { accountId: number; expiresAt: number } | undefined;
      if (token === undefined) return undefined;
      // Single use: gone whether or not it was still valid.
      this.#db.statement("DELETE FROM resume_tokens WHERE token_hash = ?")
        .run(tokenHash);
      if (!(now < token.expiresAt)) return undefined;
      return this.#accountById(token.accountId);
    });
  }

  recordLogin(
    accountId: number,
    audit: AuditEntry,
    resumeToken?: NewResumeToken,
  ): Promise<void> {
    return this.#db.transaction(() => {
      this.#db.statement("UPDATE accounts SET last_seen_at = ? WHERE id = ?")
        .run(audit.at, accountId);
      this.#db.insertAudit(audit);
      if (resumeToken !== undefined) {
        this.#replaceResumeToken(
          accountId,
          resumeToken.tokenHash,
          resumeToken.expiresAt,
        );
      }
    });
  }

  recordLogout(
    accountId: number,
    audit: AuditEntry,
    options: RecordLogoutOptions = {},
  ): Promise<void> {
    return this.#db.transaction(() => {
      if (options.revokeResumeTokens) {
        this.#db.statement("DELETE FROM resume_tokens WHERE account_id = ?")
          .run(accountId);
      }
      this.#db.statement("UPDATE accounts SET last_seen_at = ? WHERE id = ?")
        .run(audit.at, accountId);
      this.#db.insertAudit(audit);
    });
  }

  revokeResumeTokens(accountId: number): Promise<void> {
    return this.#db.run(() => {
      this.#db.statement("DELETE FROM resume_tokens WHERE account_id = ?")
        .run(accountId);
    });
  }

  touchLastSeen(accountId: number, at: number): Promise<void> {
    return this.#db.run(() => {
      this.#db.statement("UPDATE accounts SET last_seen_at = ? WHERE id = ?")
        .run(at, accountId);
    });
  }

  setAdmin(
    usernameKey: string,
    isAdmin: boolean,
    audit: AuditEntry,
  ): Promise<boolean> {
    return this.#db.transaction(() => {
      const result = this.#db.statement(
        "UPDATE accounts SET is_admin = ? WHERE username_key = ?",
      ).run(isAdmin ? 1 : 0, usernameKey);
      return this.#db.auditIf(result.changes !== 0, audit);
    });
  }

  appendAudit(entry: AuditEntry): Promise<void> {
    return this.#db.run(() => {
      this.#db.insertAudit(entry);
    });
  }

  pruneAudit(olderThan: number): Promise<number> {
    return this.#db.transaction(() =>
      Number(
        this.#db.statement("DELETE FROM audit_log WHERE at < ?").run(olderThan)
          .changes,
      )
    );
  }

  listAudit(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (query.event !== undefined) {
      where.push("event = ?");
      params.push(query.event);
    }
    if (query.username !== undefined) {
      where.push("username = ?");
      params.push(query.username);
    }
    // Four variants at most (with or without each filter): safe to cache.
    const sql = `SELECT at, event, username, address, detail FROM audit_log
      ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY id DESC LIMIT ?`;
    params.push(query.limit ?? 100);
    return this.#db.run(() => {
      const rows = this.#db.statement(sql).all(...params) as unknown as Array<
        Omit<AuditEntry, "event"> & { event: AuditEventType }
      >;
      return rows.map((row) => ({ ...row }));
    });
  }

  #setPassword(accountId: number, newHash: string, at: number): void {
    this.#db.statement(
      "UPDATE accounts SET password_hash = ?, password_changed_at = ? WHERE id = ?",
    ).run(newHash, at, accountId);
    this.#db.statement("DELETE FROM reset_tokens WHERE account_id = ?")
      .run(accountId);
    this.#db.statement("DELETE FROM resume_tokens WHERE account_id = ?")
      .run(accountId);
  }

  #replaceResumeToken(
    accountId: number,
    tokenHash: string,
    expiresAt: number,
  ): void {
    this.#db.statement("DELETE FROM resume_tokens WHERE account_id = ?")
      .run(accountId);
    this.#db.statement(
      "INSERT INTO resume_tokens (token_hash, account_id, expires_at) VALUES (?, ?, ?)",
    ).run(tokenHash, accountId, expiresAt);
  }

  #accountById(id: number): AccountRecord {
    const row = this.#db.statement(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts WHERE id = ?`,
    )
      .get(id) as AccountRow | undefined;
    if (row === undefined) {
      throw new Error(`Cannot read account ${id}: row vanished`);
    }
    return toAccount(row);
  }

  /** The oldest account with another key and the same skeleton as `key`. */
  #lookAlike(key: string): AccountRecord | undefined {
    const row = this.#db.statement(
      `SELECT ${ACCOUNT_COLUMNS} FROM accounts
       WHERE username_skeleton = ? AND username_key <> ?
       ORDER BY id LIMIT 1`,
    ).get(confusableSkeleton(key), key) as AccountRow | undefined;
    return row && toAccount(row);
  }
}

function toAccount(row: AccountRow): AccountRecord {
  return {
    ...row,
    id: Number(row.id),
    isAdmin: row.isAdmin === 1,
    receipts: row.receipts === 1,
    createdAt: Number(row.createdAt),
    lastSeenAt: row.lastSeenAt === null ? null : Number(row.lastSeenAt),
    passwordChangedAt: Number(row.passwordChangedAt),
  };
}
