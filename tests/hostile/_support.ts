/**
 * Shared machinery of the adversarial suite: the counts (full or subset),
 * the summary table, the secrets scan, a line client that records what an
 * unauthenticated peer was sent, an in-process server harness and a spawned
 * `server.ts`.
 *
 * Everything listens and connects on 127.0.0.1 only, and every wait is
 * bounded.
 *
 * @module
 */

import { join } from "node:path";
import {
  type ChatServer,
  type ChatServerOptions,
  startChatServer,
} from "../../lib/server/net/chat_server.ts";
import {
  encodeBase64,
  encodeHex,
  parsePasswordHash,
} from "../../lib/server/auth/password_hash.ts";
import { SqliteStore } from "../../lib/store/sqlite/sqlite_store.ts";
import { TestClient } from "../_client.ts";
import { ServerProcess as BaseServerProcess, within } from "../_process.ts";
import { tempDir } from "../_util.ts";

export { within };

/** `TCPCHAT_HOSTILE_FULL=1` runs the full counts (`deno task test:hostile`). */
export const FULL = Deno.env.get("TCPCHAT_HOSTILE_FULL") === "1";

/** How much of everything: the full suite, or the subset inside `deno task test`. */
export const COUNTS = FULL
  ? {
    fuzzInputs: 100_000,
    fuzzBatch: 400,
    fuzzConnections: 4,
    connectBurst: 1_000,
    flood: 10_000,
    longLineConnections: 100,
    utf8Rounds: 50,
    slowloris: 200,
    manualSlowloris: 20,
    killCycles: 50,
    raceRounds: 100,
  }
  : {
    fuzzInputs: 2_000,
    fuzzBatch: 100,
    fuzzConnections: 4,
    connectBurst: 200,
    flood: 1_000,
    longLineConnections: 20,
    utf8Rounds: 5,
    slowloris: 40,
    manualSlowloris: 5,
    killCycles: 3,
    raceRounds: 10,
  };

/** The fuzz seeds: one fixed, one random (printed, and settable to replay). */
export const SEEDS = {
  fixed: 20251125,
  random: Number(Deno.env.get("TCPCHAT_HOSTILE_SEED") ?? NaN) ||
    (crypto.getRandomValues(new Uint32Array(1))[0]! & 0x7fffffff),
};

// ---------------------------------------------------------------------------
// Summary table

/** One line of the summary table. */
export interface Row {
  case: string;
  tried: string;
  saw: string;
  result: "PASS" | "FAIL" | "…";
}

/** Every row so far, in the order the cases ran. */
export const ROWS: Row[] = [];

/** What a case gets: a way to add its rows, and the test context. */
export interface CaseContext {
  /** Adds a row; finish it with {@linkcode CaseContext.done}. */
  row(name: string, tried: string): Row;
  /** Records what the row saw and whether that is a pass. */
  done(row: Row, saw: string, ok: boolean): void;
  /** This case's rows so far. */
  rows(): Row[];
  t: Deno.TestContext;
}

/**
 * Registers one case of the suite. A case reports into its rows and goes on
 * measuring after a failed check, so that the table is complete; the test
 * fails at the end if any of its rows failed. An exception fails the row
 * that was running.
 */
export function hostileTest(
  name: string,
  fn: (context: CaseContext) => Promise<void>,
): void {
  Deno.test(`hostile: ${name}`, async (t) => {
    const mine: Row[] = [];
    const context: CaseContext = {
      row(caseName, tried) {
        const row: Row = { case: caseName, tried, saw: "", result: "…" };
        ROWS.push(row);
        mine.push(row);
        return row;
      },
      done(row, saw, ok) {
        row.saw = saw;
        row.result = ok ? "PASS" : "FAIL";
      },
      rows: () => mine,
      t,
    };
    try {
      await fn(context);
    } catch (error) {
      const row = mine.find((r) => r.result === "…") ??
        context.row(name, "(the case itself)");
      row.result = "FAIL";
      row.saw = `${row.saw ? `${row.saw}; ` : ""}threw: ${firstLine(error)}`;
      throw error;
    }
    const failed = mine.filter((row) => row.result !== "PASS");
    if (failed.length > 0) {
      throw new Error(
        `Failed: ${failed.map((row) => `${row.case} (${row.saw})`).join("; ")}`,
      );
    }
  });
}

/** The first line of an error's message. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]!.slice(0, 300);
}

/** Renders the table as Markdown-style text with padded columns. */
export function renderTable(rows: readonly Row[]): string {
  const header = ["case", "tried", "saw", "result"];
  const cells = rows.map((row) => [row.case, row.tried, row.saw, row.result]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...cells.map((cell) => width(cell[i]!)))
  );
  const line = (cell: string[]) =>
    `| ${
      cell.map((text, i) => text + " ".repeat(widths[i]! - width(text)))
        .join(" | ")
    } |`;
  return [
    line(header),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...cells.map(line),
  ].join("\n");
}

/** Terminal width of mostly-ASCII text (CJK counts double). */
function width(text: string): number {
  let n = 0;
  for (const char of text) {
    n +=
      /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/
          .test(char)
        ? 2
        : 1;
  }
  return n;
}

// ---------------------------------------------------------------------------
// Secrets and output hygiene

/** C0 controls, DEL and C1 controls: never allowed in a server line. */
// deno-lint-ignore no-control-regex -- matching control characters is the point
export const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** The same without LF: a log line may span lines (stack traces). */
// deno-lint-ignore no-control-regex -- matching control characters is the point
export const LOG_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

/** What one server (in-process or spawned) logged and sent to unauthenticated peers. */
export class SecretScope {
  readonly name: string;
  /** Passwords this scope's clients used (distinctive strings). */
  readonly passwords = new Set<string>();
  /** Server log lines (stdout and stderr of a spawned server). */
  readonly logLines: string[] = [];
  /** Every line sent to a peer while it was not logged in. */
  readonly unauthLines: string[] = [];

  constructor(name: string) {
    this.name = name;
  }

  /** Remembers a password as a secret and returns it. */
  password(password: string): string {
    this.passwords.add(password);
    return password;
  }
}

/** Suite-wide results of the secrets scan and the control-character check. */
export const SCAN = {
  scopes: 0,
  logLines: 0,
  unauthLines: 0,
  unauthBytes: 0,
  passwords: 0,
  hashes: 0,
  resetTokens: 0,
  tokenLogLines: 0,
  hits: [] as string[],
  /** Lines clients received that hold a control character or bad UTF-8. */
  controlLines: 0,
  controlSamples: [] as string[],
  /** Log lines that hold a control character. */
  controlLogLines: 0,
  controlLogSamples: [] as string[],
};

const RESET_TOKEN_LINE = /(?:【重置令牌】.*令牌: |\[Reset token\] .*: )(\S+)/;

/** Distinctive substrings of a stored password hash. */
function hashSecrets(hash: string): string[] {
  const secrets = [hash];
  const parsed = parsePasswordHash(hash);
  if (parsed?.algorithm === "pbkdf2-sha256") {
    secrets.push(
      encodeBase64(parsed.salt),
      encodeBase64(parsed.key),
      encodeHex(parsed.salt),
      encodeHex(parsed.key),
    );
  } else if (parsed?.algorithm === "legacy-sha256") {
    secrets.push(encodeHex(parsed.digest));
  }
  return secrets;
}

/**
 * Scans a finished scope: no password, no password hash and no reset token
 * in any log line or any line sent to an unauthenticated peer. The one
 * exception is the operator's reset-token line, which carries its token.
 */
export function scanScope(scope: SecretScope, storedHashes: string[]): void {
  const tokens = new Set<string>();
  for (const line of scope.logLines) {
    const match = RESET_TOKEN_LINE.exec(line);
    if (match !== null) tokens.add(match[1]!);
  }
  const secrets: [string, string][] = [];
  for (const password of scope.passwords) secrets.push(["password", password]);
  for (const hash of storedHashes) {
    for (const part of hashSecrets(hash)) secrets.push(["password hash", part]);
  }
  for (const token of tokens) secrets.push(["reset token", token]);
  const hit = (where: string, line: string, kind: string) => {
    if (SCAN.hits.length < 20) {
      SCAN.hits.push(
        `${scope.name}: ${kind} in ${where}: ${line.slice(0, 120)}`,
      );
    } else {
      SCAN.hits.push("…");
    }
  };
  for (const line of scope.logLines) {
    const tokenLine = RESET_TOKEN_LINE.exec(line);
    if (tokenLine !== null) SCAN.tokenLogLines++;
    for (const [kind, secret] of secrets) {
      if (!line.includes(secret)) continue;
      if (kind === "reset token" && tokenLine?.[1] === secret) continue;
      hit("server log", line, kind);
    }
    if (LOG_CONTROL.test(line)) {
      SCAN.controlLogLines++;
      if (SCAN.controlLogSamples.length < 5) {
        SCAN.controlLogSamples.push(JSON.stringify(line.slice(0, 80)));
      }
    }
  }
  for (const line of scope.unauthLines) {
    SCAN.unauthBytes += line.length + 1;
    for (const [kind, secret] of secrets) {
      if (line.includes(secret)) {
        hit("a line to an unauthenticated peer", line, kind);
      }
    }
  }
  SCAN.scopes++;
  SCAN.logLines += scope.logLines.length;
  SCAN.unauthLines += scope.unauthLines.length;
  SCAN.passwords += scope.passwords.size;
  SCAN.hashes += storedHashes.length;
  SCAN.resetTokens += tokens.size;
}

/** Reads every stored password hash of a database file that no server holds. */
export async function storedHashes(path: string): Promise<string[]> {
  using store = SqliteStore.open(path);
  return (await store.listAccounts()).map((account) => account.passwordHash);
}

// ---------------------------------------------------------------------------
// Time

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Nearest-rank percentile of `values` (0 when empty). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil((p / 100) * sorted.length) - 1),
  );
  return sorted[rank]!;
}

/** A small deterministic PRNG (mulberry32) in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A distinctive password, unlikely to occur by accident anywhere. */
export function newPassword(label: string): string {
  const random = Array.from(
    crypto.getRandomValues(new Uint8Array(9)),
    (byte) => byte.toString(36).padStart(2, "0"),
  ).join("");
  return `Pw-${label}-${random}`;
}

// ---------------------------------------------------------------------------
// Client

/** How long the hostile client's waits last by default. */
const DEFAULT_WAIT_MS = 10_000;

/** Options for {@linkcode HostileClient.connect}. */
export interface ClientOptions {
  /** `false`: never read (a stalled peer). @default {true} */
  read?: boolean;
  /** Answer the server's `PING <token>` at once. @default {true} */
  autoPong?: boolean;
  /** Where lines sent to this peer while unauthenticated are recorded. */
  scope?: SecretScope;
}

/**
 * A {@linkcode TestClient} (waits of 10 s by default) that also knows
 * whether it is logged in (so that lines to an unauthenticated peer can be
 * scanned for secrets), counts lines with control characters, and answers
 * pings. Its own listener runs before any added with `onLine`.
 */
export class HostileClient extends TestClient {
  /** Whether the connection is logged in, as far as the lines tell. */
  authenticated = false;
  #scope: SecretScope | undefined;
  #autoPong: boolean;

  protected constructor(conn: Deno.TcpConn, options: ClientOptions) {
    super(conn, { read: options.read, waitMs: DEFAULT_WAIT_MS });
    this.#scope = options.scope;
    this.#autoPong = options.autoPong ?? true;
    this.onLine((line, framingError) => this.#received(line, framingError));
  }

  /** Connects to `port` on 127.0.0.1. */
  static override async connect(
    port: number,
    options: ClientOptions = {},
  ): Promise<HostileClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    return new HostileClient(conn, options);
  }

  /** Registers and logs in; resolves once the lobby's history has arrived. */
  override async registerAndLogin(
    username: string,
    password: string,
  ): Promise<void> {
    await this.expect("HELLO ");
    await this.send(`REGISTER ${username} ${password}`);
    await this.expect("REGISTER_SUCCESS");
    await this.login(username, password);
  }

  /** Logs in; resolves once the lobby's history has arrived. */
  async login(username: string, password: string): Promise<void> {
    await this.send(`LOGIN ${username} ${password}`);
    const reply = await this.next((line) => line.startsWith("AUTH_"));
    if (reply !== `AUTH_SUCCESS ${username}`) {
      throw new Error(`LOGIN ${username} failed: ${reply}`);
    }
    await this.expect("HISTORY_END ");
  }

  #received(line: string, bad: boolean): void {
    if (bad || CONTROL.test(line)) {
      SCAN.controlLines++;
      if (SCAN.controlSamples.length < 5) {
        SCAN.controlSamples.push(JSON.stringify(line.slice(0, 80)));
      }
    }
    if (!this.authenticated) this.#scope?.unauthLines.push(line);
    if (line.startsWith("AUTH_SUCCESS ")) this.authenticated = true;
    else if (
      line === "LOGOUT_SUCCESS" || line === "DELETE_SUCCESS" ||
      line.startsWith("BYE ")
    ) {
      this.authenticated = false;
    }
    if (this.#autoPong && /^PING( [!-~]+)?$/.test(line)) {
      this.send(`PONG${line.slice(4)}`).catch(() => {});
    }
  }
}

// ---------------------------------------------------------------------------
// In-process server

/** A server in this process, its log, and the clients connected to it. */
export interface Harness extends AsyncDisposable {
  server: ChatServer;
  port: number;
  logs: string[];
  scope: SecretScope;
  /** The database file (WAL: readable beside the running server). */
  dbPath: string;
  /** Connects a client (closed with the harness). */
  connect(options?: ClientOptions): Promise<HostileClient>;
  /** Connects, registers and logs in with a fresh distinctive password. */
  user(name: string): Promise<HostileClient>;
}

/**
 * Starts a chat server on 127.0.0.1 port 0 with a temp database and cheap
 * hashing. Disposing it stops the server, closes the clients, scans the
 * log and unauthenticated traffic for secrets, and removes the database.
 */
export async function startHarness(
  name: string,
  options: Partial<ChatServerOptions> = {},
): Promise<Harness> {
  const dir = await tempDir();
  const dbPath = join(dir.path, "chat.db");
  const scope = new SecretScope(name);
  const server = startChatServer({
    store: SqliteStore.open(dbPath),
    hostname: "127.0.0.1",
    port: 0,
    hashIterations: 1000,
    log: (line) => scope.logLines.push(line),
    ...options,
  });
  const clients: HostileClient[] = [];
  const connect = async (connectOptions: ClientOptions = {}) => {
    const client = await HostileClient.connect(server.addr.port, {
      scope,
      ...connectOptions,
    });
    clients.push(client);
    return client;
  };
  return {
    server,
    port: server.addr.port,
    logs: scope.logLines,
    scope,
    dbPath,
    connect,
    async user(username) {
      const client = await connect();
      await client.registerAndLogin(
        username,
        scope.password(newPassword(username)),
      );
      return client;
    },
    async [Symbol.asyncDispose]() {
      try {
        await server.shutdown();
        await Promise.all(clients.map((client) => client.close()));
        scanScope(scope, await storedHashes(dbPath));
      } finally {
        await dir[Symbol.asyncDispose]();
      }
    },
  };
}

// ---------------------------------------------------------------------------
// Spawned server.ts

/**
 * The shared {@linkcode BaseServerProcess} (waits of 20 s by default) whose
 * stdout and stderr go to a scope's log at the exit, and whose disposal
 * bounds the wait after `kill -9`.
 */
export class ServerProcess extends BaseServerProcess {
  /** Runs `server.ts args`; stdout lines go to `scope` (the server log). */
  constructor(args: string[], options: { cwd: string; scope: SecretScope }) {
    super(args, {
      cwd: options.cwd,
      waitMs: 20_000,
      onExit: (stdout, stderr) => {
        // Both streams are the server's log, scanned for secrets.
        options.scope.logLines.push(...stdout);
        if (stderr !== "") options.scope.logLines.push(...stderr.split("\n"));
      },
    });
  }

  override describe(): string {
    return `--- stdout (last 20)\n${
      this.stdout.slice(-20).join("\n")
    }\n--- stderr\n${this.stderr}`;
  }

  override async [Symbol.asyncDispose](): Promise<void> {
    if (!this.exited) await this.kill9();
    await this.done;
  }
}
