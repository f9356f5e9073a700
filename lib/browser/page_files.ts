/// <reference lib="dom" />
/**
 * The page's file transfers: a file dropped on the chat or picked with the
 * attach button is hashed (SHA-256), offered on the chat socket
 * (`FILE_SEND`), and its bytes PUT over HTTP with the ticket, showing
 * progress; a file line's download button asks for a ticket (`FILE_GET`),
 * fetches the bytes with progress, checks their SHA-256 and saves them as
 * a download. A cut transfer asks for a new ticket and goes on from where
 * it stopped (an upload from the bytes the server holds, a download with a
 * `Range`). The terminal client does the same in `lib/client/file_jobs.ts`.
 *
 * @module
 */

import type { Command, Reply } from "../protocol/protocol.ts";
import type { Clock } from "../shared/clock.ts";
import { formatBytes } from "../shared/file_names.ts";
import { type Lang, t } from "../shared/messages.ts";
import { progressLine } from "../client/transfer_progress.ts";
import { h } from "./dom.ts";

/** Tries of one transfer (each with a new ticket). */
const ATTEMPTS = 6;
/** Waits between tries. */
const RETRY_WAITS_MS = [1000, 2000, 4000, 8000, 15000];
/**
 * `ERROR` codes that answer a file command: they end the oldest transfer
 * waiting for its ticket (the page shows the error as a line too).
 */
const FILE_REFUSALS: ReadonlySet<string> = new Set([
  "files_disabled",
  "file_too_large",
  "quota_exceeded",
  "disk_full",
  "no_such_file",
  "not_in_room",
  "too_many_uploads",
  "rate_limited",
  "no_such_user",
  "pm_to_self",
  "message_too_long",
  "empty_message",
  "invalid_command",
]);

type Ticket =
  | Extract<Reply, { type: "file_upload" }>
  | Extract<Reply, { type: "file_download" }>;

/** What the transfers need from the page. */
export interface PageFilesHost {
  lang(): Lang;
  clock: Clock;
  /** Sends a command on the chat socket; false when it is down. */
  send(command: Command): boolean;
  /** A line of the page's own in the conversation in view. */
  notice(kind: "ok" | "error" | "system", text: string): void;
  /** The page's origin's protocol and host name, for transfer URLs. */
  location: { protocol: string; hostname: string };
}

interface Waiting {
  type: Ticket["type"];
  resolve(ticket: Ticket | undefined): void;
}

/** The page's file transfers and their progress rows. */
export class PageFiles {
  #host: PageFilesHost;
  #box: HTMLElement;
  #doc: Document;
  /** Tickets asked for, in the order the server answers them. */
  #waiting: Waiting[] = [];

  /** Transfers shown in `box`. */
  constructor(doc: Document, box: HTMLElement, host: PageFilesHost) {
    this.#doc = doc;
    this.#box = box;
    this.#host = host;
  }

  /** Takes a ticket the server sent; false if nobody waited for it. */
  ticket(reply: Ticket): boolean {
    const at = this.#waiting.findIndex((wait) => wait.type === reply.type);
    if (at === -1) return false;
    const [waiting] = this.#waiting.splice(at, 1);
    waiting!.resolve(reply);
    return true;
  }

  /** An `ERROR` or `MUTED` that may answer the oldest ticket asked for. */
  refused(reply: Reply): void {
    const answers = reply.type === "muted" ||
      (reply.type === "error" && FILE_REFUSALS.has(reply.code));
    if (!answers || this.#waiting.length === 0) return;
    this.#waiting.shift()!.resolve(undefined);
  }

  /** The chat socket dropped: tickets asked for will not come. */
  disconnected(): void {
    for (const waiting of this.#waiting.splice(0)) waiting.resolve(undefined);
  }

  /** Shares `file` into the room (`#room`) or with a user. */
  async upload(file: File, target: string): Promise<void> {
    const row = this.#row("↑", file.name);
    try {
      row.text(t(this.#host.lang(), "webHashing", { name: file.name }));
      const sha256 = hex(
        await crypto.subtle.digest("SHA-256", await file.arrayBuffer()),
      );
      const started = this.#host.clock.now();
      for (let attempt = 1;; attempt++) {
        const ticket = await this.#ask({
          type: "file_send",
          target,
          size: file.size,
          sha256,
          name: file.name,
        }, "file_upload");
        if (ticket?.type !== "file_upload") {
          // Refused (the error is shown), or the socket is down.
          if (
            ticket === undefined && attempt < ATTEMPTS && !this.#refusedLast
          ) {
            await wait(attempt);
            continue;
          }
          return;
        }
        const result = await this.#put(
          file,
          ticket,
          (done) =>
            row.text(progressLine({
              direction: "up",
              name: file.name,
              done,
              total: file.size,
              elapsedMs: this.#host.clock.now() - started,
              lang: this.#host.lang(),
            })),
        );
        if (result === "complete") return;
        if (result === "failed" || attempt >= ATTEMPTS) {
          this.#host.notice(
            "error",
            t(this.#host.lang(), "webUploadFailed", {
              name: file.name,
            }),
          );
          return;
        }
        await wait(attempt);
      }
    } finally {
      row.remove();
    }
  }

  /** Downloads file `id` and saves it. */
  async download(id: number): Promise<void> {
    const chunks: Uint8Array[] = [];
    let received = 0;
    let row: Row | undefined;
    try {
      for (let attempt = 1;; attempt++) {
        const ticket = await this.#ask(
          { type: "file_get", id },
          "file_download",
        );
        if (ticket?.type !== "file_download") {
          if (
            ticket === undefined && attempt < ATTEMPTS && !this.#refusedLast
          ) {
            await wait(attempt);
            continue;
          }
          return;
        }
        row ??= this.#row("↓", ticket.name);
        const started = this.#host.clock.now();
        const outcome = await this.#get(ticket, received, (chunk) => {
          chunks.push(chunk);
          received += chunk.byteLength;
          row!.text(progressLine({
            direction: "down",
            name: ticket.name,
            done: received,
            total: ticket.size,
            elapsedMs: this.#host.clock.now() - started,
            lang: this.#host.lang(),
          }));
        });
        if (outcome === "restart") {
          chunks.length = 0;
          received = 0;
        }
        if (outcome === "complete") {
          const blob = new Blob(chunks as BlobPart[], {
            type: "application/octet-stream",
          });
          const digest = hex(
            await crypto.subtle.digest("SHA-256", await blob.arrayBuffer()),
          );
          if (digest !== ticket.sha256) {
            this.#host.notice(
              "error",
              t(this.#host.lang(), "fileHashMismatch"),
            );
            return;
          }
          this.#save(blob, ticket.name);
          this.#host.notice(
            "ok",
            t(this.#host.lang(), "webDownloaded", {
              name: ticket.name,
              size: formatBytes(ticket.size),
            }),
          );
          return;
        }
        if (outcome === "failed" || attempt >= ATTEMPTS) {
          this.#host.notice(
            "error",
            t(this.#host.lang(), "webDownloadFailed", {
              name: ticket.name,
            }),
          );
          return;
        }
        await wait(attempt);
      }
    } finally {
      row?.remove();
    }
  }

  /** Whether the last ticket asked for was refused (not lost). */
  #refusedLast = false;

  #ask(command: Command, type: Ticket["type"]): Promise<Ticket | undefined> {
    this.#refusedLast = false;
    return new Promise((resolve) => {
      if (!this.#host.send(command)) {
        resolve(undefined);
        return;
      }
      this.#waiting.push({
        type,
        resolve: (ticket) => {
          // Sent, and answered without a ticket: the server said no.
          this.#refusedLast = ticket === undefined;
          resolve(ticket);
        },
      });
    });
  }

  /** The URL of a transfer on the ticket's port of this page's host. */
  #url(id: number, port: number): string {
    const { protocol, hostname } = this.#host.location;
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    return `${protocol}//${host}:${port}/files/${id}`;
  }

  /** PUTs the bytes from the ticket's offset; XHR, for upload progress. */
  #put(
    file: File,
    ticket: Extract<Ticket, { type: "file_upload" }>,
    progress: (done: number) => void,
  ): Promise<"complete" | "again" | "failed"> {
    return new Promise((resolve) => {
      const request = new XMLHttpRequest();
      request.open("PUT", this.#url(ticket.id, ticket.port));
      request.setRequestHeader("Authorization", `Bearer ${ticket.token}`);
      request.setRequestHeader("Upload-Offset", String(ticket.offset));
      request.upload.onprogress = (event) =>
        progress(ticket.offset + event.loaded);
      request.onload = () => {
        if (request.status === 201) resolve("complete");
        // Not all in, or another offset held, or a ticket gone stale: again.
        else if ([202, 400, 403, 409, 429].includes(request.status)) {
          resolve("again");
        } else {
          this.#serverError(request.responseText);
          resolve("failed");
        }
      };
      request.onerror = () => resolve("again");
      request.send(file.slice(ticket.offset));
    });
  }

  /** GETs the bytes from `from`, handing each chunk to `take`. */
  async #get(
    ticket: Extract<Ticket, { type: "file_download" }>,
    from: number,
    take: (chunk: Uint8Array) => void,
  ): Promise<"complete" | "again" | "restart" | "failed"> {
    let response: Response;
    try {
      response = await fetch(this.#url(ticket.id, ticket.port), {
        headers: {
          Authorization: `Bearer ${ticket.token}`,
          ...(from > 0 ? { Range: `bytes=${from}-` } : {}),
        },
      });
    } catch {
      return "again";
    }
    if (response.status === 403 || response.status === 429) return "again";
    if (from > 0 && response.status === 200) {
      // The server sent it all again: start over.
      await response.body?.cancel();
      return "restart";
    }
    if (response.status !== 200 && response.status !== 206) {
      this.#serverError(await response.text());
      return "failed";
    }
    const reader = response.body?.getReader();
    try {
      while (reader !== undefined) {
        const { done, value } = await reader.read();
        if (done) break;
        take(value);
      }
    } catch {
      return "again";
    }
    return "complete";
  }

  #serverError(body: string): void {
    let message = body;
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message === "string") message = parsed.message;
    } catch {
      // Not JSON: the text as it came.
    }
    this.#host.notice(
      "error",
      t(this.#host.lang(), "fileUploadRejected", { reason: message }),
    );
  }

  /** Saves `blob` as a download named `name`. */
  #save(blob: Blob, name: string): void {
    const url = URL.createObjectURL(blob);
    const link = h(this.#doc, "a", { href: url, download: name, hidden: true });
    this.#doc.body.append(link);
    link.click();
    link.remove();
    // The download has its own copy once started.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }

  /** A progress row; its text changes as the transfer goes. */
  #row(arrow: string, name: string): Row {
    const row = h(this.#doc, "div", { class: "transfer" }, `${arrow} ${name}`);
    this.#box.append(row);
    this.#box.hidden = false;
    return {
      text: (text) => {
        row.textContent = text;
      },
      remove: () => {
        row.remove();
        this.#box.hidden = this.#box.childElementCount === 0;
      },
    };
  }
}

/** One transfer's progress row. */
interface Row {
  text(text: string): void;
  remove(): void;
}

function hex(digest: ArrayBuffer): string {
  return [...new Uint8Array(digest)]
    .map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

function wait(attempt: number): Promise<void> {
  const ms = RETRY_WAITS_MS[Math.min(attempt, RETRY_WAITS_MS.length) - 1]!;
  return new Promise((resolve) => setTimeout(resolve, ms));
}
