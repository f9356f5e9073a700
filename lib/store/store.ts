/**
 * The storage interfaces the account domain ({@linkcode AccountStore}) and the
 * chat hub ({@linkcode ChatStore}) talk to. The embedded default is {@linkcode SqliteStore} in `sqlite_store.ts`;
 * another database can implement the same interface without touching callers,
 * and proves it by passing the contract suite in `tests/store/store_contract.ts`.
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
  /** Profile status line set by the user; `""` when none. */
  status: string;
  /** Whether the user's reads are reported to senders (read receipts). */
  receipts: boolean;
  /**
   * The avatar: `""` for the default, one emoji, or `img:<version>` when a
   * picture is stored (see {@linkcode AvatarStore}).
   */
  avatar: string;
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
  | "admin_revoked"
  | "kick"
  | "mute"
  | "unmute"
  | "delete_message"
  | "status";

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

/** A session resume token to store with a login. */
export interface NewResumeToken {
  /** SHA-256 hex of the token; the token itself is never stored. */
  tokenHash: string;
  /** Expiry, ms since the epoch (exclusive). */
  expiresAt: number;
}

/** Options for {@linkcode AccountStore.recordLogout}. */
export interface RecordLogoutOptions {
  /**
   * Also void the account's resume tokens (an explicit logout).
   * @default {false}
   */
  revokeResumeTokens?: boolean;
}

/** What redeeming a secret changes (see {@linkcode AccountStore.redeemSecret}). */
export interface SecretRedemption {
  /** The time of the redemption (a token must expire after it). */
  now: number;
  /** The account's new password hash. */
  newHash: string;
  /** The recovery code's replacement, used if a recovery code was redeemed. */
  nextRecoveryCodeHash: string;
}

/** A mute to set (see {@linkcode ChatStore.setMute}). */
export interface MuteChange {
  /** End of the mute, ms since the epoch. */
  until: number;
  /** The administrator's reason, if any. */
  reason: string | null;
  /** Who muted, if known. */
  by: string | null;
}

/** Persistence for accounts, reset tokens and the audit log. */
export interface AccountStore {
  /** Finds an account by its uniqueness key. */
  getAccount(usernameKey: string): Promise<AccountRecord | undefined>;
  /** All accounts, oldest first. */
  listAccounts(): Promise<AccountRecord[]>;
  /**
   * The oldest account whose key differs from `usernameKey` but looks like
   * it: both have one confusable skeleton (see `confusables.ts`), as Latin
   * `paypal` and Cyrillic `раураӏ`, or `alice` and `a1ice`.
   */
  findLookAlikeAccount(
    usernameKey: string,
  ): Promise<AccountRecord | undefined>;
  /**
   * Creates an account and logs `audit` in one transaction. Resolves
   * `undefined`, writing nothing, if the key is taken or an account that
   * looks like it exists ({@linkcode AccountStore.findLookAlikeAccount}); the
   * check and the insert are one transaction, so two concurrent look-alikes
   * cannot both be created.
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
   *
   * With `options.unlessPending` (a user's request, not the operator's), an
   * account that still has a token unexpired at `audit.at` keeps it: nothing
   * is stored or voided, `audit` is logged with `options.pendingDetail` as
   * its detail, and the promise resolves `false`. Otherwise it resolves
   * `true`.
   */
  issueResetToken(
    accountId: number,
    tokenHash: string,
    expiresAt: number,
    audit: AuditEntry,
    options?: { unlessPending?: boolean; pendingDetail?: string },
  ): Promise<boolean>;
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
    change: SecretRedemption,
    audit: Omit<AuditEntry, "username">,
  ): Promise<RedeemResult | undefined>;
  /**
   * Deletes an account with its tokens and the records of the files it
   * shared or was sent (their messages marked deleted; the caller removes
   * their bytes), and logs `audit`, in one transaction.
   */
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
  /**
   * The bookkeeping of a login or resume, in one transaction: sets the
   * account's last-seen time to `audit.at`, logs `audit` and, if given,
   * stores `resumeToken` (hash only) in place of the account's older one.
   * Either all of it is stored or none of it.
   */
  recordLogin(
    accountId: number,
    audit: AuditEntry,
    resumeToken?: NewResumeToken,
  ): Promise<void>;
  /**
   * The bookkeeping of a logout or disconnect, in one transaction: voids the
   * account's resume tokens if asked, sets its last-seen time to `audit.at`
   * and logs `audit`.
   */
  recordLogout(
    accountId: number,
    audit: AuditEntry,
    options?: RecordLogoutOptions,
  ): Promise<void>;
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
  /**
   * Deletes audit entries older than `olderThan` (ms since the epoch);
   * resolves how many.
   */
  pruneAudit(olderThan: number): Promise<number>;
  /** Reads audit entries, newest first. */
  listAudit(query?: AuditQuery): Promise<AuditEntry[]>;
}

/**
 * One chat message as stored. Exactly one of `room` (a room message) and
 * `recipient` (a private message) is set.
 */
export interface StoredMessage {
  /**
   * Assigned by the server in memory (see {@linkcode ChatStore.maxMessageId}),
   * so a message can be broadcast with its id before its batched write.
   */
  id: number;
  /** The room it was sent to, or `null` for a private message. */
  room: string | null;
  /** The sender's display name. */
  sender: string;
  /** The recipient's display name for a private message, else `null`. */
  recipient: string | null;
  /** The message text. */
  text: string;
  /** Send time, ms since the epoch. */
  createdAt: number;
  /**
   * For a message that shares a file: the file (its record holds the rest).
   * Its `text` is then the file's name. A message whose file was removed is
   * no longer read back.
   */
  file?: SharedFileRef;
}

/** What a message that shares a file says about it. */
export interface SharedFileRef {
  /** The file's id ({@linkcode StoredFile.id}). */
  id: number;
  /** Its shown name. */
  name: string;
  /** Its size in bytes. */
  size: number;
}

/** Which page of a room's history {@linkcode ChatStore.roomHistory} reads. */
export interface HistoryQuery {
  /** At most this many messages (an integer, 0 or more). */
  count: number;
  /** The `count` newest messages with an id below this one. */
  before?: number;
  /** The `count` oldest messages with an id above this one. */
  after?: number;
}

/** One page of room history. */
export interface HistoryPage {
  /** Oldest first. */
  messages: StoredMessage[];
  /**
   * Whether more messages remain beyond the page: older ones for `before`
   * (or no cursor), newer ones for `after`.
   */
  more: boolean;
}

/** A mute in force. */
export interface Mute {
  /** End of the mute, ms since the epoch (exclusive). */
  until: number;
  /** Why the account was muted, if given. */
  reason: string | null;
  /** Who muted it (a username or `operator`), if known. */
  by: string | null;
}

/** What {@linkcode ChatStore.queueOffline} did. */
export type QueueOfflineResult = "queued" | "full" | "full_bytes";

/**
 * Persistence for chat: message history, the offline queue for private
 * messages, mutes and profile status.
 *
 * Room history is written in batches (see `history_writer.ts`): a reader that
 * must see every message already broadcast awaits `HistoryWriter.flush()`
 * before {@linkcode ChatStore.roomHistory} or
 * {@linkcode ChatStore.getMessage}.
 */
export interface ChatStore {
  /** The highest message id ever stored, or 0 if none. */
  maxMessageId(): Promise<number>;
  /**
   * Inserts messages with their ids, all in one transaction: either every
   * message is stored or none is (for example on a duplicate id).
   */
  insertMessages(messages: readonly StoredMessage[]): Promise<void>;
  /** Reads one message; resolves `undefined` if unknown or deleted. */
  getMessage(id: number): Promise<StoredMessage | undefined>;
  /**
   * Reads a page of a room's messages, deleted ones excluded, oldest first in
   * the page. With `before`: the `count` newest with a smaller id; with
   * `after`: the `count` oldest with a larger id; with neither: the newest
   * `count`.
   *
   * @throws {TypeError} if both `before` and `after` are given.
   * @throws {RangeError} if `count` is not an integer of 0 or more.
   */
  roomHistory(room: string, query: HistoryQuery): Promise<HistoryPage>;
  /**
   * Marks a message deleted at `at` and, if given, logs `audit` in the same
   * transaction. Resolves the message if it existed and was not deleted yet,
   * else `undefined` (and logs nothing).
   */
  deleteMessage(
    id: number,
    at: number,
    audit?: AuditEntry,
  ): Promise<StoredMessage | undefined>;
  /**
   * Deletes up to `limit` messages created before `olderThan`, in
   * transactions of at most 1,000 rows so writers are never held up long.
   * Never deletes a message still queued offline, nor the newest message
   * (which keeps {@linkcode ChatStore.maxMessageId} from going back). Resolves
   * how many were deleted; call again while it equals `limit`.
   */
  pruneMessages(olderThan: number, limit?: number): Promise<number>;
  /**
   * Queues a private message for an account that is offline, in one
   * transaction that commits before the promise resolves: resolves `"full"`,
   * writing nothing, if the account already has `maxQueued` or more messages
   * queued, or `"full_bytes"` if the texts already queued plus this one
   * would pass `maxQueuedBytes` (UTF-8 bytes); otherwise stores the message
   * and its queue entry.
   */
  queueOffline(
    message: StoredMessage,
    recipientAccountId: number,
    maxQueued: number,
    maxQueuedBytes?: number,
  ): Promise<QueueOfflineResult>;
  /**
   * Takes every message queued for the account, oldest first, and removes
   * the queue entries in the same transaction, so each is handed out once,
   * even across restarts. Messages deleted meanwhile are dropped.
   */
  takeOffline(recipientAccountId: number): Promise<StoredMessage[]>;
  /**
   * Reads up to `limit` messages queued for the account, oldest first,
   * without removing them (deleted messages excluded). With `afterId`, only
   * those with a larger id. A delivery loop reads a batch, hands it to the
   * socket, then removes it with {@linkcode ChatStore.ackOffline}, so a
   * connection lost mid-delivery loses nothing.
   */
  peekOffline(
    recipientAccountId: number,
    limit: number,
    afterId?: number,
  ): Promise<StoredMessage[]>;
  /**
   * How many messages are queued for the account (deleted ones excluded),
   * created at or after `since` if given.
   */
  countOffline(recipientAccountId: number, since?: number): Promise<number>;
  /**
   * Removes the given messages from the account's queue, and the entries of
   * messages deleted meanwhile, in one transaction.
   */
  ackOffline(
    recipientAccountId: number,
    messageIds: readonly number[],
  ): Promise<void>;
  /**
   * Mutes an account until `until` (replacing any mute) and logs `audit`, in
   * one transaction. Resolves false, writing nothing, for an unknown account.
   */
  setMute(
    accountId: number,
    mute: MuteChange,
    audit: AuditEntry,
  ): Promise<boolean>;
  /**
   * Lifts an account's mute and logs `audit`, in one transaction. Resolves
   * whether a mute still in force at `audit.at` was lifted; an expired one is
   * removed without an audit entry.
   */
  clearMute(accountId: number, audit: AuditEntry): Promise<boolean>;
  /** The account's mute if one is in force at `now` (`now < until`). */
  getMute(accountId: number, now: number): Promise<Mute | undefined>;
  /** Sets the profile status line; resolves false for an unknown account. */
  setStatus(accountId: number, status: string): Promise<boolean>;
}

/**
 * One shared file as recorded (its bytes live on disk under a name made
 * from `id` alone, never from `name`). Exactly one of `room` and
 * `recipientAccountId` is set.
 */
export interface StoredFile {
  /** Never reused, even after the file is deleted. */
  id: number;
  /** The account that uploads it. */
  ownerAccountId: number;
  /** The owner's display name. */
  sender: string;
  /** The room's key for a file shared into a room, else `null`. */
  room: string | null;
  /** The room's name as shown when it was shared, else `null`. */
  roomName: string | null;
  /** The recipient's account for a file shared with one user, else `null`. */
  recipientAccountId: number | null;
  /** The recipient's display name, else `null`. */
  recipient: string | null;
  /** The shown name, already made safe (`safeFileName`). */
  name: string;
  /** Its size in bytes, as announced. */
  size: number;
  /** The SHA-256 of its bytes, lowercase hex, as announced. */
  sha256: string;
  /** When the upload was offered, ms since the epoch. */
  createdAt: number;
  /** When its bytes were complete and verified; `null` while uploading. */
  completedAt: number | null;
  /** The message that shared it, once complete. */
  messageId: number | null;
}

/** A file to record (see {@linkcode FileStore.createFile}). */
export type NewFile = Omit<StoredFile, "id" | "completedAt" | "messageId">;

/** Bounds {@linkcode FileStore.createFile} checks in its transaction. */
export interface FileLimits {
  /** Bytes an owner's files (complete or not) may take together. */
  maxOwnerBytes: number;
  /** Unfinished uploads an owner may have at once. */
  maxUnfinished: number;
}

/** What {@linkcode FileStore.createFile} did. */
export type CreateFileResult =
  | { ok: true; file: StoredFile }
  | { ok: false; reason: "quota" | "unfinished" };

/** Who a completed file is queued for while offline. */
export interface OfflineDelivery {
  recipientAccountId: number;
  maxQueued: number;
  maxQueuedBytes: number;
}

/** Which files {@linkcode FileStore.listFiles} reads. */
export interface FileQuery {
  /** The account asking: files shared with it, or privately by it. */
  accountId: number;
  /** Also the files shared into this room (its key). */
  room: string | null;
  /** At most this many, the newest. */
  limit: number;
}

/**
 * Persistence for shared files' records. The bytes are the caller's (a
 * folder of files named by id); a removed record is returned so the caller
 * can remove its bytes.
 */
export interface FileStore {
  /**
   * Records an unfinished upload, in one transaction with its checks:
   * resolves `{ ok: false, reason: "quota" }`, writing nothing, if the
   * owner's files plus this one would pass `limits.maxOwnerBytes`, and
   * `"unfinished"` if the owner already has `limits.maxUnfinished`
   * unfinished uploads.
   */
  createFile(file: NewFile, limits: FileLimits): Promise<CreateFileResult>;
  /** Reads one file's record, complete or not. */
  getFile(id: number): Promise<StoredFile | undefined>;
  /**
   * The owner's unfinished upload of the same bytes (size and SHA-256) to
   * the same room or recipient, if any: offering it again resumes it.
   */
  findUnfinishedFile(
    ownerAccountId: number,
    match: Pick<StoredFile, "room" | "recipientAccountId" | "size" | "sha256">,
  ): Promise<StoredFile | undefined>;
  /**
   * Completes an upload in one transaction: sets `completedAt` and
   * `messageId` and stores `message` (whose `file` names this file). With
   * `offline`, also queues the message for that offline recipient unless
   * the queue is full (as {@linkcode ChatStore.queueOffline} counts it);
   * the file is complete either way. Resolves `"stored"` without `offline`,
   * else the queue's answer; `undefined`, writing nothing, when the file is
   * gone or already complete.
   */
  completeFile(
    id: number,
    message: StoredMessage,
    offline?: OfflineDelivery,
  ): Promise<"stored" | QueueOfflineResult | undefined>;
  /**
   * The complete files an account may fetch: shared with it, shared by it
   * with a user, and (with `room`) shared into that room. The newest
   * `limit`, oldest first.
   */
  listFiles(query: FileQuery): Promise<StoredFile[]>;
  /**
   * Removes a file's record and marks its message deleted, in one
   * transaction; resolves the record, or `undefined` if it was not there.
   */
  deleteFile(id: number, at: number): Promise<StoredFile | undefined>;
  /**
   * Removes the records of files completed before `completedBefore` and of
   * uploads offered before `unfinishedBefore` and never completed, marking
   * their messages deleted; resolves the removed records.
   */
  pruneFiles(
    completedBefore: number,
    unfinishedBefore: number,
  ): Promise<StoredFile[]>;
  /** Every recorded file id, complete or not (to find bytes nobody owns). */
  fileIds(): Promise<Set<number>>;
}

/** An account's read position in one room, with what is unread there. */
export interface RoomRead {
  /** The room's key. */
  room: string;
  /** The room's name as it was last entered. */
  roomName: string;
  /** The newest message id read there. */
  messageId: number;
  /**
   * Messages after it, not deleted and not the account's own, counted up
   * to the query's `cap`.
   */
  unread: number;
}

/** A reader's progress through one sender's private messages. */
export interface PmRead {
  /** The reader's display name. */
  reader: string;
  /** The newest private message id from the sender the reader has read. */
  messageId: number;
  /** When, ms since the epoch. */
  readAt: number;
}

/**
 * Persistence for read state: each account's read position per room, and
 * how far each reader has read each sender's private messages, with the
 * reports the sender has not been told of yet.
 */
export interface ReadStore {
  /**
   * Sets the account's position in `room` to `messageId` if it has none
   * or a lower one (a position never moves back), and the room's shown
   * name; resolves whether it moved. With `onlyIfNew`, only a missing
   * position is created.
   */
  setRoomRead(
    accountId: number,
    position: { room: string; roomName: string; messageId: number; at: number },
    onlyIfNew?: boolean,
  ): Promise<boolean>;
  /**
   * The account's read positions, the most recently read first, at most
   * `limit`, each with its unread count: messages of the room newer than
   * the position, not deleted, not sent by `username`, counted up to `cap`.
   * With `room`, only that room's.
   */
  roomReads(
    accountId: number,
    username: string,
    query: { limit: number; cap: number; room?: string },
  ): Promise<RoomRead[]>;
  /**
   * Records that `readerAccountId` read `senderAccountId`'s private
   * messages up to `messageId` (never moving back); `pending` marks the
   * report as not yet told to the sender. Resolves whether it moved.
   */
  setPmRead(
    senderAccountId: number,
    readerAccountId: number,
    read: { messageId: number; at: number; pending: boolean },
  ): Promise<boolean>;
  /**
   * The reports of reads of `senderAccountId`'s messages not yet told to
   * it, newest first, at most `limit`; they are marked told.
   */
  takePendingPmReads(senderAccountId: number, limit: number): Promise<PmRead[]>;
  /** Turns the account's read receipts on or off; false for an unknown account. */
  setReceipts(accountId: number, on: boolean): Promise<boolean>;
}

/** A stored avatar picture. */
export interface AvatarImage {
  /** Its checked type (`image/png`, `image/jpeg`, `image/gif`, `image/webp`). */
  type: string;
  bytes: Uint8Array;
  /**
   * Never the same for two pictures, whoever's (so a picture's URL is
   * never reused, not even by a new account with a deleted one's name).
   */
  version: number;
}

/** Persistence for avatars: the account's mark and its picture. */
export interface AvatarStore {
  /**
   * Sets the avatar to `""` (the default) or an emoji, removing a stored
   * picture; false for an unknown account.
   */
  setAvatar(accountId: number, avatar: string): Promise<boolean>;
  /**
   * Stores a checked picture as the account's avatar in one transaction
   * and resolves its version (the avatar becomes `img:<version>`);
   * `undefined` for an unknown account.
   */
  setAvatarImage(
    accountId: number,
    image: Omit<AvatarImage, "version">,
  ): Promise<number | undefined>;
  /** The account's picture, if it has one. */
  getAvatarImage(accountId: number): Promise<AvatarImage | undefined>;
  /**
   * The display names and avatars of the accounts with these keys (unknown
   * keys are left out).
   */
  avatarsOf(
    usernameKeys: readonly string[],
  ): Promise<Array<{ usernameKey: string; username: string; avatar: string }>>;
}

/** Everything the chat core keeps: the store a server runs on. */
export type ChatCoreStore =
  & AccountStore
  & ChatStore
  & FileStore
  & ReadStore
  & AvatarStore;

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

/**
 * Whether `error` means another connection holds the database's write lock
 * right now (`SQLITE_BUSY`): a passing condition, so the same write may
 * succeed when tried again later.
 *
 * @example Usage
 * ```ts
 * import assert from "node:assert/strict";
 * import { isStoreBusy, StoreError } from "./store.ts";
 *
 * assert.equal(isStoreBusy(new StoreError("locked", "x.db", "busy")), true);
 * assert.equal(isStoreBusy(new StoreError("corrupt", "x.db", "bad")), false);
 * ```
 */
export function isStoreBusy(error: unknown): boolean {
  return error instanceof StoreError && error.code === "locked";
}
