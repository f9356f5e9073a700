/**
 * Types and fixtures shared by the store contract suite
 * (`tests/store/store_contract.ts`). Everything here speaks only the store
 * interfaces of `lib/store/store.ts`, so any implementation can be tested.
 *
 * @module
 */

import assert from "node:assert/strict";
import type {
  AccountRecord,
  AccountStore,
  AuditEntry,
  AuditEventType,
  AvatarStore,
  ChatCoreStore,
  ChatStore,
  FileLimits,
  FileStore,
  NewAccount,
  NewFile,
  ReadStore,
  RedeemResult,
  StoredFile,
  StoredMessage,
} from "../../../lib/store/store.ts";

/**
 * The store the server takes (`ServerStore` in
 * `lib/server/net/chat_server.ts`: the account and chat contracts and
 * closing) and the shared files' records.
 */
export type ContractStore = ChatCoreStore & {
  close(): void;
};

/** A method of the store interfaces, which the suite must all exercise. */
export type ContractMethod =
  | keyof AccountStore
  | keyof ChatStore
  | keyof FileStore
  | keyof ReadStore
  | keyof AvatarStore;

/**
 * Ways a harness can make its store fail as a real deployment would. Each is
 * optional: a step that needs a missing one is reported as ignored.
 */
export interface ContractFaults {
  /**
   * Makes another connection hold the database's write lock until
   * `release()`, as an operator command or backup tool would.
   */
  holdWriteLock?(): Promise<{ release(): Promise<void> }>;
  /**
   * Damages the stored data under the open store (a disk fault), so that
   * every later read or write of it meets the damage.
   */
  damage?(): Promise<void>;
}

/** What a harness's `open` gives the suite for one test case. */
export interface OpenedStore {
  /** A new, empty store. */
  store: ContractStore;
  /** Closes the store (if still open) and removes whatever it created. */
  cleanup(): Promise<void>;
  /** Fault injection for the error-mapping cases. */
  faults?: ContractFaults;
}

/** Opens a new, empty store for one test case. */
export type OpenStore = () => Promise<OpenedStore>;

/** One case of an area: a fresh store, and the harness's faults. */
export type ContractCase = (
  store: ContractStore,
  faults: ContractFaults,
) => Promise<void>;

/** A group of cases registered as one `Deno.test`, each case one step. */
export interface ContractArea {
  /** Test name suffix, e.g. `accounts`. */
  name: string;
  /**
   * The interface methods this area exercises; checked against the calls
   * the cases really made, and their union against `store.ts`.
   */
  covers: readonly ContractMethod[];
  /** Step name to case. */
  cases: Readonly<Record<string, ContractCase>>;
  /** Cases that need a fault the harness may not offer. */
  needs?: Readonly<Record<string, keyof ContractFaults>>;
}

/** An audit entry from `operator` with no detail. */
export function audit(
  event: AuditEventType,
  username: string | null = null,
  at = 1_000,
  detail: string | null = null,
): AuditEntry {
  return { at, event, username, address: "operator", detail };
}

/** The fields of a new account named `name` (key: lower case). */
export function newAccount(
  name: string,
  overrides: Partial<NewAccount> = {},
): NewAccount {
  return {
    username: name,
    usernameKey: name.toLowerCase(),
    passwordHash: "hash-1",
    recoveryCodeHash: null,
    createdAt: 1_000,
    ...overrides,
  };
}

/** Creates the account `name` (audited as a registration) or fails. */
export async function mustCreate(
  store: ContractStore,
  name: string,
  overrides: Partial<NewAccount> = {},
): Promise<AccountRecord> {
  const fields = newAccount(name, overrides);
  const account = await store.createAccount(
    fields,
    audit("register", name, fields.createdAt),
  );
  assert.ok(account, `account ${name} should be created`);
  return account;
}

/** The account stored under `key`, which must exist. */
export async function mustGet(
  store: ContractStore,
  key: string,
): Promise<AccountRecord> {
  const account = await store.getAccount(key);
  assert.ok(account, `account ${key} should exist`);
  return account;
}

/** A room message from alice with text `message <id>`. */
export function roomMessage(
  id: number,
  room = "lobby",
  createdAt = id,
): StoredMessage {
  return {
    id,
    room,
    sender: "alice",
    recipient: null,
    text: `message ${id}`,
    createdAt,
  };
}

/** A private message from alice with text `private <id>` (or `text`). */
export function privateMessage(
  id: number,
  recipient = "bob",
  createdAt = id,
  text = `private ${id}`,
): StoredMessage {
  return { id, room: null, sender: "alice", recipient, text, createdAt };
}

/** The ids of `messages`, in order. */
export function ids(messages: readonly StoredMessage[]): number[] {
  return messages.map((message) => message.id);
}

/** The events of `entries`, in order. */
export function events(entries: readonly AuditEntry[]): AuditEventType[] {
  return entries.map((entry) => entry.event);
}

/** The integers `from` to `to`, both included. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Inserts room messages `from` to `to` (created at their id) into `room`. */
export async function insertRange(
  store: ContractStore,
  from: number,
  to: number,
  room = "lobby",
): Promise<void> {
  await store.insertMessages(
    range(from, to).map((id) => roomMessage(id, room)),
  );
}

/** The audit entry of a redemption (the store fills in the username). */
export function redeemAudit(at: number): Omit<AuditEntry, "username"> {
  return { at, event: "reset_confirmed", address: "operator", detail: null };
}

/**
 * Redeems `secret` at `now`, setting `newHash` and the next recovery code,
 * with the usual audit entry.
 */
export function redeem(
  s: AccountStore,
  secret: string,
  now: number,
  newHash: string,
  nextRecoveryCodeHash: string,
): Promise<RedeemResult | undefined> {
  return s.redeemSecret(
    secret,
    { now, newHash, nextRecoveryCodeHash },
    redeemAudit(now),
  );
}

/** Limits no case of the suite reaches unless it means to. */
export const ROOMY: FileLimits = {
  maxOwnerBytes: 1_000_000,
  maxUnfinished: 10,
};

/**
 * A file `notes.txt` of 100 bytes from alice (account `ownerAccountId`),
 * offered at 1,000 into the room `lobby` (shown as `Lobby`).
 */
export function roomFile(
  ownerAccountId: number,
  overrides: Partial<NewFile> = {},
): NewFile {
  return {
    ownerAccountId,
    sender: "alice",
    room: "lobby",
    roomName: "Lobby",
    recipientAccountId: null,
    recipient: null,
    name: "notes.txt",
    size: 100,
    sha256: "a".repeat(64),
    createdAt: 1_000,
    ...overrides,
  };
}

/**
 * A file `notes.txt` of 100 bytes from alice (account `ownerAccountId`) to
 * bob (account `recipientAccountId`), offered at 1,000.
 */
export function privateFile(
  ownerAccountId: number,
  recipientAccountId: number,
  overrides: Partial<NewFile> = {},
): NewFile {
  return roomFile(ownerAccountId, {
    room: null,
    roomName: null,
    recipientAccountId,
    recipient: "bob",
    ...overrides,
  });
}

/** Records `file` (within `limits`) or fails; resolves the record. */
export async function mustCreateFile(
  store: FileStore,
  file: NewFile,
  limits: FileLimits = ROOMY,
): Promise<StoredFile> {
  const result = await store.createFile(file, limits);
  assert.ok(result.ok, `file ${file.name} should be recorded`);
  return result.file;
}

/**
 * The message `id` that shares `file`, sent at `createdAt`: to its room or
 * its recipient, from its sender, its text the file's name.
 */
export function fileMessage(
  id: number,
  file: StoredFile,
  createdAt = id,
): StoredMessage {
  return {
    id,
    room: file.room,
    sender: file.sender,
    recipient: file.recipient,
    text: file.name,
    createdAt,
    file: { id: file.id, name: file.name, size: file.size },
  };
}

/**
 * Records `file` and completes it with message `messageId` sent at
 * `completedAt` (no offline delivery), or fails; resolves the complete
 * record and its message.
 */
export async function mustShare(
  store: FileStore,
  file: NewFile,
  messageId: number,
  completedAt = 2_000,
): Promise<{ file: StoredFile; message: StoredMessage }> {
  const created = await mustCreateFile(store, file);
  const message = fileMessage(messageId, created, completedAt);
  assert.equal(await store.completeFile(created.id, message), "stored");
  return {
    file: { ...created, completedAt, messageId },
    message,
  };
}

/** The ids of `files`, in order. */
export function fileIdsOf(files: readonly StoredFile[]): number[] {
  return files.map((file) => file.id);
}
