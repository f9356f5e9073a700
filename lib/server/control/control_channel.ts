/**
 * The control channel through which operator commands reach a running
 * server: a loopback TCP listener that takes one request per connection,
 * authenticated by a secret the server writes to `<db>.control`.
 *
 * Why a channel at all: a server keeps live sessions in memory, so a command
 * that changed the database behind its back (deleting an account, revoking
 * a role) would leave a logged-in ghost. Through the channel the server
 * carries the command out itself and ends or updates the sessions it holds.
 *
 * Who may use it: whoever can read `<db>.control`. That is the same people
 * who can open the database file beside it (and so change any account
 * anyway); on Unix the file is made readable by its owner only. The listener
 * binds 127.0.0.1 only, reads one bounded line with a deadline and compares
 * the secret in constant time.
 *
 * Wire format: the operator sends one JSON line
 * `{"secret":…,"command":…,"args":[…],"lang":…,"input":…}`; the server
 * answers one JSON line `{"exitCode":0,"lines":[{"stream":"out","text":…}]}`
 * and closes.
 *
 * @module
 */

import { constantTimeEqual } from "../auth/password_hash.ts";

/** Where a running server's control channel listens, and its secret. */
export interface ControlEndpoint {
  /** Port on 127.0.0.1. */
  port: number;
  /** The shared secret (hex). */
  secret: string;
}

/** One operator command, as the server receives it. */
export interface ControlRequest {
  /** The command's name, e.g. `delete-user`. */
  command: string;
  /** Its arguments. */
  args: string[];
  /** The operator's language. */
  lang: string;
  /** Text the operator's side read for the command (import-credentials). */
  input?: string;
}

/** One line of a command's output. */
export interface ControlLine {
  stream: "out" | "err";
  text: string;
}

/** What a command printed and how it ended. */
export interface ControlReply {
  exitCode: number;
  lines: ControlLine[];
}

/** Why a control request failed before any reply. */
export class ControlChannelError extends Error {
  override name = "ControlChannelError";
}

/** Largest request line: a `credentials.json` to import travels in it. */
export const MAX_CONTROL_REQUEST_BYTES = 16 * 1024 * 1024;
/** Largest reply line (a `users` listing of a big database). */
const MAX_CONTROL_REPLY_BYTES = 64 * 1024 * 1024;
/** How long a connected peer may take to send its request. */
const REQUEST_DEADLINE_MS = 10_000;
/** Commands served at once; more connections are closed at once. */
const MAX_CONCURRENT = 4;
const SECRET_BYTES = 32;

/** The control file of the database at `dbPath`. */
export function controlFilePath(dbPath: string): string {
  return `${dbPath}.control`;
}

/** A fresh random secret, hex-encoded. */
export function newControlSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(SECRET_BYTES));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * Writes `endpoint` to the control file at `path`, replacing a file a dead
 * server left. On Unix the file is created readable by its owner only (the
 * mode applies at creation, so an old file is removed first); Windows has no
 * such mode and relies on the folder's permissions, as for the database.
 */
export function writeControlFile(path: string, endpoint: ControlEndpoint) {
  removeControlFile(path);
  const text = `${JSON.stringify(endpoint)}\n`;
  Deno.writeTextFileSync(path, text, {
    createNew: true,
    ...(Deno.build.os === "windows" ? {} : { mode: 0o600 }),
  });
}

/** Removes the control file; a missing one is fine. */
export function removeControlFile(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/**
 * Reads the control file at `path`.
 *
 * @returns the endpoint, or `undefined` when the file is missing or not
 * (yet) complete, e.g. while a server is starting.
 */
export function readControlFile(path: string): ControlEndpoint | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    const value = JSON.parse(text) as Partial<ControlEndpoint>;
    if (
      typeof value.port === "number" && Number.isInteger(value.port) &&
      value.port > 0 && value.port < 65536 &&
      typeof value.secret === "string" && value.secret.length > 0
    ) {
      return { port: value.port, secret: value.secret };
    }
  } catch {
    // Half written: the caller waits and reads again.
  }
  return undefined;
}

/** Options for {@linkcode startControlListener}. */
export interface ControlListenerOptions {
  /** The secret a request must carry. */
  secret: string;
  /** Carries out one authenticated request. */
  handle(request: ControlRequest): Promise<ControlReply>;
  /** Port on 127.0.0.1. @default {0 (any free port)} */
  port?: number;
}

/** A running control listener. */
export interface ControlListener extends AsyncDisposable {
  /** The bound port. */
  readonly port: number;
  /** Stops accepting and waits for the requests in progress. */
  close(): Promise<void>;
}

/** Starts the control listener on 127.0.0.1. */
export function startControlListener(
  options: ControlListenerOptions,
): ControlListener {
  const listener = Deno.listen({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
  });
  const active = new Set<Promise<void>>();
  const accepting = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        return; // Closed.
      }
      if (active.size >= MAX_CONCURRENT) {
        conn.close();
        continue;
      }
      const served = serveOne(conn, options).finally(() => {
        active.delete(served);
      });
      active.add(served);
    }
  })();
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      listener.close();
      await accepting;
      await Promise.allSettled([...active]);
    })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function serveOne(
  conn: Deno.Conn,
  options: ControlListenerOptions,
): Promise<void> {
  const deadline = setTimeout(() => {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }, REQUEST_DEADLINE_MS);
  let reply: ControlReply | undefined;
  try {
    const line = await readLine(conn, MAX_CONTROL_REQUEST_BYTES);
    clearTimeout(deadline);
    if (line === undefined) return;
    const request = parseRequest(line, options.secret);
    if (request === undefined) return; // No word to a peer without the secret.
    reply = await options.handle(request);
    await writeAll(conn, `${JSON.stringify(reply)}\n`);
  } catch {
    // The peer went away or sent junk: nothing to answer.
  } finally {
    clearTimeout(deadline);
    try {
      conn.close();
    } catch {
      // Closed by the deadline.
    }
  }
}

function parseRequest(
  line: string,
  secret: string,
): ControlRequest | undefined {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const encoder = new TextEncoder();
  if (
    typeof value.secret !== "string" ||
    !constantTimeEqual(encoder.encode(value.secret), encoder.encode(secret))
  ) return undefined;
  const { command, args, lang, input } = value;
  if (
    typeof command !== "string" || !Array.isArray(args) ||
    !args.every((arg) => typeof arg === "string") ||
    typeof lang !== "string" ||
    (input !== undefined && typeof input !== "string")
  ) return undefined;
  return { command, args, lang, ...(input === undefined ? {} : { input }) };
}

/**
 * Sends one request to the control channel at `endpoint` and resolves the
 * server's reply.
 *
 * @throws {ControlChannelError} when the server cannot be reached, refuses
 * the secret (closes without a reply) or answers junk.
 */
export async function sendControlRequest(
  endpoint: ControlEndpoint,
  request: ControlRequest,
): Promise<ControlReply> {
  let conn: Deno.Conn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port: endpoint.port });
  } catch (error) {
    throw new ControlChannelError((error as Error).message, { cause: error });
  }
  try {
    await writeAll(
      conn,
      `${JSON.stringify({ secret: endpoint.secret, ...request })}\n`,
    );
    const line = await readLine(conn, MAX_CONTROL_REPLY_BYTES);
    if (line === undefined) {
      throw new ControlChannelError("the server closed the connection");
    }
    const reply = JSON.parse(line) as ControlReply;
    if (
      typeof reply.exitCode !== "number" || !Array.isArray(reply.lines)
    ) throw new ControlChannelError("the server's reply is not understood");
    return reply;
  } catch (error) {
    if (error instanceof ControlChannelError) throw error;
    throw new ControlChannelError((error as Error).message, { cause: error });
  } finally {
    try {
      conn.close();
    } catch {
      // Closed by the server.
    }
  }
}

/** Reads up to the first `\n`; `undefined` if the peer closed first. */
async function readLine(
  conn: Deno.Conn,
  maxBytes: number,
): Promise<string | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const buffer = new Uint8Array(64 * 1024);
  for (;;) {
    const read = await conn.read(buffer);
    if (read === null) return undefined;
    const chunk = buffer.subarray(0, read);
    const newline = chunk.indexOf(10);
    const part = newline === -1 ? chunk : chunk.subarray(0, newline);
    size += part.length;
    if (size > maxBytes) {
      throw new ControlChannelError(`line longer than ${maxBytes} bytes`);
    }
    chunks.push(part.slice());
    if (newline !== -1) break;
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

async function writeAll(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length;) {
    at += await conn.write(bytes.subarray(at));
  }
}
