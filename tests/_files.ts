/**
 * Helpers for tests of file sharing: a server with sharing on (its files in
 * a temp folder, a ManualClock), users, and the two halves of a transfer
 * (the chat line that gets a ticket, the HTTP request that uses it) as a
 * client speaks them by hand.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  type ChatServer,
  type ChatServerOptions,
  startChatServer,
} from "../lib/server/net/chat_server.ts";
import { ManualClock } from "../lib/shared/clock.ts";
import { SqliteStore } from "../lib/store/sqlite/sqlite_store.ts";
import { parseReply } from "../lib/protocol/protocol.ts";
import { normalizeUsername } from "../lib/shared/username.ts";
import { TestClient } from "./_client.ts";
import { tempDir } from "./_util.ts";

/** The lobby's name. */
export const LOBBY = "大厅";
const PASSWORD = "password123";

/** The hex SHA-256 of `bytes`. */
export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** `n` bytes of a repeating pattern, so any misplaced byte shows. */
export function patternBytes(n: number, seed = 7): Uint8Array {
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

/** A running server with file sharing, and ways to reach it. */
export interface FileHarness extends AsyncDisposable {
  server: ChatServer;
  store: SqliteStore;
  clock: ManualClock;
  /** The shared files' folder. */
  filesDir: string;
  /** The web port that carries transfers. */
  webPort: number;
  logs: string[];
  /** Registers and logs in; resolves after the lobby's history block. */
  user(name: string): Promise<TestClient>;
  /** Logs an existing account in; resolves after the lobby's history. */
  login(name: string): Promise<TestClient>;
  /** Makes an account an administrator. */
  grantAdmin(name: string): Promise<void>;
  /** The names in the files' folder, sorted. */
  storedNames(): Promise<string[]>;
}

/** Starts a server with sharing on; `files` overrides its limits. */
export async function fileHarness(
  options: Partial<Omit<ChatServerOptions, "files">> & {
    files?: Partial<NonNullable<ChatServerOptions["files"]>>;
  } = {},
): Promise<FileHarness> {
  const dir = await tempDir();
  const store = SqliteStore.open(join(dir.path, "chat.db"));
  const clock = new ManualClock(1_764_000_000_000);
  const filesDir = join(dir.path, "chat-files");
  const logs: string[] = [];
  const server = startChatServer({
    hostname: "127.0.0.1",
    port: 0,
    webPort: 0,
    hashIterations: 1000,
    rateBurst: 100_000,
    sweepIntervalMs: 0,
    log: (line) => logs.push(line),
    ...options,
    files: {
      dir: filesDir,
      maxFileBytes: 1024 * 1024,
      quotaBytes: 4 * 1024 * 1024,
      minFreeBytes: 0,
      retentionDays: 30,
      ...options.files,
    },
    clock,
    store,
  });
  const clients: TestClient[] = [];
  const connect = async () => {
    const client = await TestClient.connect(server.addr.port);
    clients.push(client);
    return client;
  };
  return {
    server,
    store,
    clock,
    filesDir,
    webPort: server.webAddr!.port,
    logs,
    async user(name) {
      const client = await connect();
      await client.registerAndLogin(name, PASSWORD);
      await client.expect(`HISTORY_END ${LOBBY} `);
      return client;
    },
    async login(name) {
      const client = await connect();
      await client.expect("HELLO ");
      await client.send(`LOGIN ${name} ${PASSWORD}`);
      assert.equal(await client.expect("AUTH_"), `AUTH_SUCCESS ${name}`);
      await client.expect(`HISTORY_END ${LOBBY} `);
      return client;
    },
    async grantAdmin(name) {
      const key = normalizeUsername(name);
      assert.ok(key.ok);
      await store.setAdmin(key.key, true, {
        at: clock.now(),
        event: "admin_granted",
        username: name,
        address: "operator",
        detail: null,
      });
    },
    async storedNames() {
      const names: string[] = [];
      for await (const entry of Deno.readDir(filesDir)) names.push(entry.name);
      return names.sort();
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await Promise.all(clients.map((client) => client.close()));
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** An upload ticket (`FILE_UPLOAD`). */
export interface UploadTicket {
  id: number;
  offset: number;
  port: number;
  token: string;
}

/**
 * Sends `FILE_SEND` and resolves the `FILE_UPLOAD` ticket, or fails with
 * the line that came instead.
 */
export async function offer(
  client: TestClient,
  target: string,
  bytes: Uint8Array,
  name: string,
  hash = sha256(bytes),
): Promise<UploadTicket> {
  await client.send(`FILE_SEND ${target} ${bytes.byteLength} ${hash} ${name}`);
  const line = await client.expect("FILE_UPLOAD ");
  const reply = parseReply(line);
  assert.equal(reply.type, "file_upload", line);
  return reply as UploadTicket;
}

/** The next `ERROR` line after sending `line`. */
export async function refused(
  client: TestClient,
  line: string,
): Promise<string> {
  await client.send(line);
  return await client.expect("ERROR ");
}

/** PUTs `bytes` from `offset` with a ticket; resolves the response. */
export async function put(
  port: number,
  ticket: { id: number; token: string },
  bytes: Uint8Array,
  offset = 0,
): Promise<
  { status: number; body: Record<string, unknown>; headers: Headers }
> {
  const response = await fetch(`http://127.0.0.1:${port}/files/${ticket.id}`, {
    method: "PUT",
    headers: {
      Authorization: `Bearer ${ticket.token}`,
      "Upload-Offset": String(offset),
    },
    body: bytes.slice(offset),
  });
  return {
    status: response.status,
    body: await response.json(),
    headers: response.headers,
  };
}

/** A download ticket (`FILE_DOWNLOAD`). */
export interface DownloadTicket {
  id: number;
  size: number;
  sha256: string;
  port: number;
  token: string;
  name: string;
}

/** Sends `FILE_GET` and resolves the ticket. */
export async function ask(
  client: TestClient,
  id: number,
): Promise<DownloadTicket> {
  await client.send(`FILE_GET ${id}`);
  const line = await client.expect("FILE_DOWNLOAD ");
  const reply = parseReply(line);
  assert.equal(reply.type, "file_download", line);
  return reply as DownloadTicket;
}

/** GETs a file with a ticket; resolves status, headers and bytes. */
export async function fetchFile(
  port: number,
  ticket: { id: number; token: string },
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; bytes: Uint8Array }> {
  const response = await fetch(
    `http://127.0.0.1:${port}/files/${ticket.id}?token=${ticket.token}`,
    { headers },
  );
  return {
    status: response.status,
    headers: response.headers,
    bytes: new Uint8Array(await response.arrayBuffer()),
  };
}
