/**
 * The terminal's file transfers: `/send` and `/get` start a job that runs
 * beside the chat (typing and reading go on), asks the chat connection for
 * a ticket, moves the bytes over HTTP (`file_transfer.ts`), prints a
 * progress line with percent and speed now and then, and after a broken
 * connection (the HTTP request or the chat itself) asks for a new ticket
 * and goes on from where it stopped.
 *
 * @module
 */

import { basename, join, resolve } from "node:path";
import type { Command, Reply } from "../protocol/protocol.ts";
import type { Clock } from "../shared/clock.ts";
import {
  type Lang,
  type MessageKey,
  type MessageParams,
  t,
} from "../shared/messages.ts";
import { formatBytes } from "../shared/file_names.ts";
import type { ServerConnection } from "./connection.ts";
import {
  downloadFile,
  fileSha256,
  TransferError,
  transferUrl,
  uploadFile,
} from "./file_transfer.ts";
import type { ReplyOf } from "./reply_waiter.ts";
import { progressLine, ProgressThrottle } from "./transfer_progress.ts";

/** A transfer ticket from the chat. */
type Ticket = ReplyOf<"file_upload"> | ReplyOf<"file_download">;

/** Tries of one transfer before it gives up (each with a new ticket). */
export const TRANSFER_ATTEMPTS = 6;
/** Waits between tries, in ms (then the last one again). */
export const RETRY_WAITS_MS = [1000, 2000, 4000, 8000, 15000];
/** How often a running transfer prints its progress line. */
export const PROGRESS_EVERY_MS = 2000;

/** What file jobs need from the chat. */
export interface FileJobHost {
  lang: Lang;
  clock: Clock;
  /** The connection in use now (it changes after a resume). */
  connection(): ServerConnection;
  /** Sends a command and resolves its reply of one of `types`, if any. */
  ask<T extends Reply["type"]>(
    command: Command,
    types: readonly T[],
  ): Promise<ReplyOf<T> | undefined>;
  /** Shows a reply the usual way (an `ERROR`, `MUTED`). */
  failure(reply: Reply | undefined): void;
  print(text: string): void;
  success(key: MessageKey, params?: MessageParams): void;
  error(key: MessageKey, params?: MessageParams): void;
  /** Waits; tests pass a fake. @default {setTimeout} */
  sleep?(ms: number): Promise<void>;
}

/** The transfers of one chat. */
export class FileJobs {
  #host: FileJobHost;
  #running = new Set<Promise<void>>();
  #stop = new AbortController();

  constructor(host: FileJobHost) {
    this.#host = host;
  }

  /** Transfers still running. */
  get running(): number {
    return this.#running.size;
  }

  /** `/send <target> <path>`: checks the file, then uploads it beside the chat. */
  async send(target: string, path: string): Promise<void> {
    const host = this.#host;
    const full = resolve(path);
    let size: number;
    try {
      const info = await Deno.stat(full);
      if (!info.isFile) return host.error("fileNotAFile", { path: full });
      size = info.size;
    } catch (error) {
      return host.error("fileCannotRead", {
        path: full,
        reason: (error as Error).message,
      });
    }
    // node:path's basename: on Windows it splits at `\` and `/`, elsewhere
    // a `\` is part of the name.
    const name = basename(full);
    // Refused before an hour of hashing, when the server said its limit.
    const max = host.connection().greeting.maxFileBytes;
    if (max !== undefined && size > max) {
      return host.error("fileTooLarge", { max: formatBytes(max) });
    }
    this.#start("up", async () => {
      if (size >= 16 * 1024 * 1024) {
        host.print(this.#text("fileHashing", { name }));
      }
      const sha256 = await fileSha256(full, this.#stop.signal);
      await this.#upload({ target, path: full, name, size, sha256 });
    });
  }

  /** `/get <id> [folder]`: downloads a file beside the chat. */
  get(id: number, folder: string): void {
    this.#start("down", () => this.#download(id, resolve(folder)));
  }

  /** Stops every transfer (the chat ends); parts stay for a later resume. */
  async close(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled([...this.#running]);
  }

  #start(direction: "up" | "down", job: () => Promise<void>): void {
    const running = job().catch((error) => {
      if (this.#stop.signal.aborted) return;
      const code = error instanceof TransferError ? error.code : undefined;
      if (
        code === "file_changed" ||
        (code === "hash_mismatch" && direction === "up")
      ) {
        // What was sent is not what was hashed: the file changed meanwhile.
        this.#host.error("fileChanged");
      } else if (code === "hash_mismatch") {
        this.#host.error("fileHashMismatch");
      } else {
        this.#host.error("fileTransferFailed", {
          reason: error instanceof Error ? error.message : String(error),
        });
      }
    }).finally(() => this.#running.delete(running));
    this.#running.add(running);
  }

  async #upload(file: {
    target: string;
    path: string;
    name: string;
    size: number;
    sha256: string;
  }): Promise<void> {
    const host = this.#host;
    const started = host.clock.now();
    /** What the server held at the first ticket: the speed counts the rest. */
    let firstOffset: number | undefined;
    const throttle = new ProgressThrottle(host.clock, PROGRESS_EVERY_MS);
    throttle.due(); // the first line after an interval, not at the start
    await this.#withTickets(
      {
        type: "file_send",
        target: file.target,
        size: file.size,
        sha256: file.sha256,
        name: file.name,
      },
      "file_upload",
      file.name,
      async (ticket, _client, url) => {
        const runStart = host.clock.now();
        firstOffset ??= ticket.offset;
        const result = await uploadFile({
          url,
          token: ticket.token,
          path: file.path,
          offset: ticket.offset,
          size: file.size,
          caCerts: host.connection().peer.caCerts,
          signal: this.#stop.signal,
          onProgress: (done, total) => {
            if (!throttle.due() || done >= total) return;
            host.print(
              this.#progress(
                "up",
                file.name,
                done,
                total,
                runStart,
                ticket.offset,
              ),
            );
          },
        });
        // offset_mismatch: the next ticket carries the offset to go on from.
        if (result.status !== "complete") return false;
        host.success("fileUploaded", {
          name: file.name,
          size: formatBytes(file.size),
          speed: speed(file.size - firstOffset, host.clock.now() - started),
        });
        return true;
      },
    );
  }

  async #download(id: number, folder: string): Promise<void> {
    const host = this.#host;
    const started = host.clock.now();
    /** What the part held when this job began: the speed counts the rest. */
    let firstFrom: number | undefined;
    const throttle = new ProgressThrottle(host.clock, PROGRESS_EVERY_MS);
    throttle.due(); // the first line after an interval, not at the start
    await this.#withTickets(
      { type: "file_get", id },
      "file_download",
      `#f${id}`,
      async (ticket, client, url) => {
        const runStart = host.clock.now();
        let runFrom: number | undefined;
        const saved = await downloadFile({
          url,
          token: ticket.token,
          folder,
          name: ticket.name,
          fileId: ticket.id,
          size: ticket.size,
          sha256: ticket.sha256,
          client,
          signal: this.#stop.signal,
          onProgress: (done, total) => {
            runFrom ??= done;
            firstFrom ??= done;
            if (!throttle.due() || done >= total) return;
            host.print(
              this.#progress(
                "down",
                ticket.name,
                done,
                total,
                runStart,
                runFrom,
              ),
            );
          },
        });
        host.success("fileDownloaded", {
          path: saved.path,
          size: formatBytes(ticket.size),
          speed: speed(
            ticket.size - (firstFrom ?? 0),
            host.clock.now() - started,
          ),
        });
        return true;
      },
    );
  }

  /**
   * Asks the chat for a ticket of `type` with `command` and moves the bytes
   * with it (`move` resolves whether they are all there), asking for a new
   * ticket after a break, up to {@linkcode TRANSFER_ATTEMPTS} tries. A
   * refusal (`ERROR`, `MUTED`) is shown and ends it.
   */
  async #withTickets<T extends "file_upload" | "file_download">(
    command: Command,
    type: T,
    name: string,
    move: (
      ticket: Extract<Ticket, { type: T }>,
      client: Deno.HttpClient | undefined,
      url: string,
    ) => Promise<boolean>,
  ): Promise<void> {
    const host = this.#host;
    using clients = new HttpClients();
    for (let attempt = 1;; attempt++) {
      const reply: Reply | undefined = await host.ask(command, [
        type,
        "error",
        "muted",
      ]);
      if (reply?.type !== type) {
        // No answer at all (the chat connection is being resumed): again.
        if (reply === undefined && attempt < TRANSFER_ATTEMPTS) {
          await this.#wait(attempt);
          continue;
        }
        return host.failure(reply);
      }
      const ticket = reply as Extract<Ticket, { type: T }>;
      const conn = host.connection();
      const url = transferUrl(
        conn.peer.hostname,
        ticket.port,
        ticket.id,
        conn.peer.caCerts !== undefined,
      );
      try {
        if (await move(ticket, clients.for(conn), url)) return;
      } catch (error) {
        if (!retriable(error) || attempt >= TRANSFER_ATTEMPTS) throw error;
        host.print(this.#text("fileRetrying", { name }));
        await this.#wait(attempt);
      }
    }
  }

  #progress(
    direction: "up" | "down",
    name: string,
    done: number,
    total: number,
    started: number,
    from: number,
  ): string {
    return progressLine({
      direction,
      name,
      done,
      total,
      from,
      elapsedMs: this.#host.clock.now() - started,
      lang: this.#host.lang,
    });
  }

  #text(key: MessageKey, params: MessageParams): string {
    return t(this.#host.lang, key, params);
  }

  async #wait(attempt: number): Promise<void> {
    if (this.#stop.signal.aborted) throw new Error("stopped");
    const ms = RETRY_WAITS_MS[Math.min(attempt, RETRY_WAITS_MS.length) - 1]!;
    await (this.#host.sleep?.(ms) ??
      new Promise((done) => setTimeout(done, ms)));
  }
}

/**
 * Where `/get` saves without a folder: the user's Downloads folder when
 * there is one (Windows, macOS and most Linux desktops have it), else the
 * current folder.
 */
export async function defaultDownloadFolder(): Promise<string> {
  const home = Deno.build.os === "windows"
    ? Deno.env.get("USERPROFILE")
    : Deno.env.get("HOME");
  if (home !== undefined && home !== "") {
    const downloads = join(home, "Downloads");
    try {
      if ((await Deno.stat(downloads)).isDirectory) return downloads;
    } catch {
      // None: the current folder.
    }
  }
  return Deno.cwd();
}

/** An error worth another try with a new ticket: the bytes did not arrive. */
function retriable(error: unknown): boolean {
  return error instanceof TransferError &&
    ["network", "invalid_token", "offset_mismatch", "too_many_transfers"]
      .includes(error.code);
}

/**
 * For HTTPS, a client that trusts exactly the chat connection's
 * certificate (kept per certificate list: a resume may bring a new one).
 */
class HttpClients implements Disposable {
  #clients = new Map<string[], Deno.HttpClient>();

  for(conn: ServerConnection): Deno.HttpClient | undefined {
    const caCerts = conn.peer.caCerts;
    if (caCerts === undefined) return undefined;
    let client = this.#clients.get(caCerts);
    if (client === undefined) {
      client = Deno.createHttpClient({ caCerts });
      this.#clients.set(caCerts, client);
    }
    return client;
  }

  [Symbol.dispose](): void {
    for (const client of this.#clients.values()) client.close();
    this.#clients.clear();
  }
}

function speed(bytes: number, ms: number): string {
  return `${formatBytes(Math.round(bytes / Math.max(ms / 1000, 0.001)))}/s`;
}
