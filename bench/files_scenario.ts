/**
 * The files scenario (issue 15): one file shared between two clients over
 * the server's web port while the room chats, to show what a large
 * transfer costs the chat. One TCPChat server with file sharing (its web
 * port, a files folder in the run's temp dir, limits raised for the file);
 * `clients` log in to the lobby, then the two transfer clients
 * (`bench/file_peer.ts`, their own process). The room chats three times
 * with the same shape (`senders` x `rate` msg/s after the warm-up): for
 * `messages` per sender with no transfer, then for as long as the upload
 * lasts, then for as long as the download (with its SHA-256 check) lasts;
 * each transfer starts with the first measured message of its phase.
 *
 * @module
 */

import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fileSha256 } from "../lib/client/file_transfer.ts";
import { BENCH_PASSWORD, benchUsername } from "./accounts.ts";
import type { PeerResult } from "./file_peer.ts";
import { Sink, waitQuiet } from "./load_gen.ts";
import {
  type BenchContext,
  type FanoutParams,
  type FanoutResult,
  sendPhase,
  type ServerSpec,
  withSession,
} from "./scenarios.ts";

const BENCH_DIR = fileURLToPath(new URL(".", import.meta.url));
const MIB = 1024 * 1024;
/** Bytes per write while the source file is generated. */
const WRITE_BYTES = MIB;
/**
 * The longest the chat keeps sending beside one direction of the transfer,
 * s: the 500 MiB upload took 423 s in the committed run.
 */
const MAX_TRANSFER_SECONDS = 1200;

/** Shape of the files scenario. */
export interface FilesParams {
  /** Chat clients in the lobby (the two transfer clients come on top). */
  clients: number;
  senders: number;
  /** Messages per sender in the run without a transfer. */
  messages: number;
  rate: number;
  /** Uncounted messages per sender before each run. @default {0} */
  warmup?: number;
  /** Size of the shared file, bytes. */
  fileBytes: number;
}

/** The transfer as measured by its two clients, with its rates. */
export interface TransferResult extends PeerResult {
  /** bytes / uploadMs, in MB/s (10^6 bytes a second). */
  uploadMBps: number;
  /** bytes / downloadMs (to the last byte on disk, before the check), MB/s. */
  downloadMBps: number;
}

/** What the files scenario measured. */
export interface FilesResult {
  server: string;
  clients: number;
  senders: number;
  rate: number;
  fileBytes: number;
  /** Why there are no numbers (the server did not start, …). */
  skipped?: string;
  /** Why the transfer failed, when it did (the chat rows still stand). */
  failed?: string;
  /** Writing the source file in the temp dir, s. */
  generateSeconds: number;
  /** Its SHA-256 before it is offered, as the sending client does, s. */
  hashSeconds: number;
  transfer?: TransferResult;
  /** The chat with no transfer. */
  withoutTransfer?: FanoutResult;
  /** The chat while the file is uploaded (`FILE_SEND` to the 201). */
  duringUpload?: FanoutResult;
  /** The chat while it is downloaded (`FILE_GET` to the checked file). */
  duringDownload?: FanoutResult;
}

/**
 * Writes `bytes` of random-looking data to `path`, one MiB at a time (never
 * the whole file in memory): one random MiB, each copy stamped with its
 * index so no two are alike.
 */
export async function generateFile(path: string, bytes: number): Promise<void> {
  const block = new Uint8Array(WRITE_BYTES);
  // getRandomValues fills at most 65,536 bytes a call.
  for (let at = 0; at < block.length; at += 65_536) {
    crypto.getRandomValues(block.subarray(at, at + 65_536));
  }
  const stamp = new DataView(block.buffer);
  using file = await Deno.open(path, {
    write: true,
    create: true,
    truncate: true,
  });
  let written = 0;
  for (let index = 0; written < bytes; index++) {
    stamp.setFloat64(0, index);
    let chunk = block.subarray(0, Math.min(block.length, bytes - written));
    while (chunk.length > 0) {
      const n = await file.write(chunk);
      chunk = chunk.subarray(n);
      written += n;
    }
  }
}

/** The transfer clients' process, from its start to its `RESULT`. */
class TransferPeer {
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly ready: Promise<void>;
  /** Resolves once the upload is in (the server's 201). */
  readonly uploaded: Promise<void>;
  /** Resolves with the peer's result, rejects with its failure. */
  readonly result: Promise<PeerResult>;

  constructor(options: {
    port: number;
    sender: string;
    receiver: string;
    file: string;
    sha256: string;
    out: string;
  }) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1",
        "--allow-read",
        "--allow-write",
        join(BENCH_DIR, "file_peer.ts"),
        "--port",
        String(options.port),
        "--sender",
        options.sender,
        "--receiver",
        options.receiver,
        "--password",
        BENCH_PASSWORD,
        "--file",
        options.file,
        "--sha256",
        options.sha256,
        "--out",
        options.out,
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    const ready = Promise.withResolvers<void>();
    const uploaded = Promise.withResolvers<void>();
    const result = Promise.withResolvers<PeerResult>();
    this.ready = ready.promise;
    this.uploaded = uploaded.promise;
    this.result = result.promise;
    // Whichever is not awaited must not end the process when it rejects.
    for (const promise of [this.ready, this.uploaded, this.result]) {
      promise.catch(() => {});
    }
    const fail = (error: unknown) => {
      ready.reject(error);
      uploaded.reject(error);
      result.reject(error);
    };
    (async () => {
      let text = "";
      for await (
        const chunk of child.stdout.pipeThrough(new TextDecoderStream())
      ) {
        text += chunk;
        const lines = text.split("\n");
        text = lines.pop()!;
        for (const line of lines) {
          if (line === "READY") ready.resolve();
          else if (line === "UPLOADED") uploaded.resolve();
          else if (line.startsWith("RESULT ")) {
            result.resolve(JSON.parse(line.slice(7)));
          } else if (line.startsWith("FAILED ")) {
            fail(new Error(line.slice(7)));
          }
        }
      }
      fail(new Error("the transfer clients exited without a result"));
    })().catch(fail);
  }

  /** Starts the upload (the first call) or the download (the second). */
  async go(): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode("GO\n"));
  }

  /** Ends the process (at once if it is still running). */
  async stop(): Promise<void> {
    await this.#stdin.close().catch(() => {});
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await this.#child.status;
  }
}

/** Runs the files scenario (see the module's description). */
export async function runFiles(
  params: FilesParams,
  context: BenchContext,
): Promise<FilesResult> {
  const spec: ServerSpec = { label: "tcpchat", kind: "tcpchat" };
  const base: FilesResult = {
    server: spec.label,
    clients: params.clients,
    senders: params.senders,
    rate: params.rate,
    fileBytes: params.fileBytes,
    generateSeconds: 0,
    hashSeconds: 0,
  };
  const source = join(context.workDir, "files-source.bin");
  const vault = join(context.workDir, "files-vault");
  const downloads = join(context.workDir, "files-downloads");
  try {
    let started = performance.now();
    await generateFile(source, params.fileBytes);
    base.generateSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    const sha256 = await fileSha256(source);
    base.hashSeconds = (performance.now() - started) / 1000;
    const chat: FanoutParams = {
      clients: params.clients,
      senders: Math.min(params.senders, params.clients),
      messages: params.messages,
      rate: params.rate,
      warmup: params.warmup ?? 0,
    };
    return await withSession(
      spec,
      {
        clients: params.clients,
        ratePerSecond: params.rate,
        webPort: 0,
        files: {
          dir: vault,
          // The limits of the bench (a 500 MiB file), raised for a
          // larger one.
          maxFileSize: `${Math.max(600, Math.ceil(params.fileBytes / MIB))}M`,
          fileQuota: `${Math.max(2048, Math.ceil(params.fileBytes / MIB))}M`,
          minFreeDisk: "0",
        },
      },
      context,
      (reason): FilesResult => ({ ...base, skipped: reason }),
      async (session) => {
        // The two after the chat clients' accounts.
        const peer = new TransferPeer({
          port: session.server.port,
          sender: benchUsername(params.clients),
          receiver: benchUsername(params.clients + 1),
          file: source,
          sha256,
          out: downloads,
        });
        try {
          try {
            await peer.ready;
          } catch (error) {
            return { ...base, failed: (error as Error).message };
          }
          await waitQuiet(session.sink, 500, 30_000);
          context.log(
            `files: chat without a transfer, ${chat.clients} clients, ${chat.senders} senders x ${chat.messages} at ${chat.rate}/s`,
          );
          const withoutTransfer = await sendPhase(
            session,
            chat,
            context,
            undefined,
            { profileName: "files-no-transfer" },
          );
          const during = async (
            direction: "upload" | "download",
            ended: Promise<unknown>,
          ): Promise<FanoutResult> => {
            await waitQuiet(session.sink, 500, 30_000);
            session.sink = new Sink();
            for (const client of session.clients) client.sink = session.sink;
            context.log(
              `files: chat during the ${
                (params.fileBytes / MIB).toFixed(0)
              } MiB ${direction}`,
            );
            const done = new AbortController();
            const onEnd = ended.then(() => done.abort(), () => done.abort());
            const row = await sendPhase(
              session,
              {
                ...chat,
                messages: MAX_TRANSFER_SECONDS * chat.rate,
              },
              context,
              undefined,
              {
                signal: done.signal,
                profileName: `files-${direction}`,
                onMeasureStart() {
                  peer.go().catch(() => done.abort());
                },
              },
            );
            await onEnd;
            return row;
          };
          const duringUpload = await during("upload", peer.uploaded);
          let failed: string | undefined;
          let duringDownload: FanoutResult | undefined;
          let transfer: TransferResult | undefined;
          try {
            await peer.uploaded;
            duringDownload = await during("download", peer.result);
            const result = await peer.result;
            transfer = {
              ...result,
              uploadMBps: rate(result.bytes, result.uploadMs),
              downloadMBps: rate(result.bytes, result.downloadMs),
            };
          } catch (error) {
            failed = (error as Error).message;
          }
          return {
            ...base,
            failed,
            transfer,
            withoutTransfer,
            duringUpload,
            duringDownload,
          };
        } finally {
          await peer.stop();
        }
      },
    );
  } finally {
    for (const path of [source, vault, downloads]) {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    }
  }
}

/** MB/s (10^6 bytes a second) of `bytes` in `ms`. */
function rate(bytes: number, ms: number): number {
  return ms > 0 ? bytes / 1e6 / (ms / 1000) : 0;
}
