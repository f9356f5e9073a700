// deno-lint-ignore-file no-console -- a benchmark subprocess reports on stdout
/**
 * The two clients of the files scenario's transfer, in their own process so
 * that their work (streaming, writing, hashing 500 MiB) never runs on the
 * load generator's event loop and shows up as chat latency it did not cause.
 *
 * Both log in over TCP to the lobby and print `READY`; on a `GO` line on
 * stdin the sender offers the file (`FILE_SEND #大厅 <size> <sha256>
 * <name>`) and PUTs it with the `FILE_UPLOAD` ticket, then prints
 * `UPLOADED`; the receiver gets its `FILE_SHARED` and, on a second `GO`,
 * asks `FILE_GET <id>` and downloads it with the `FILE_DOWNLOAD` ticket,
 * checking its SHA-256 (lib/client/file_transfer.ts does both transfers, as
 * the terminal client). Then it prints `RESULT <json>`
 * ({@linkcode PeerResult}), or `FAILED <reason>`, and exits. The two `GO`s
 * let the bench measure the chat during each direction on its own.
 *
 * @example
 * ```sh
 * deno run -A bench/file_peer.ts --port 5000 --sender b01000 \
 *   --receiver b01001 --password pw --file /tmp/x.bin --sha256 <hex> --out /tmp/dl
 * ```
 *
 * @module
 */

import { cpuUsage } from "node:process";
import { parseArgs } from "node:util";
import {
  downloadFile,
  transferUrl,
  uploadFile,
} from "../lib/client/file_transfer.ts";
import { LOBBY } from "../lib/protocol/protocol.ts";
import { LineFramer } from "../lib/protocol/line_framer.ts";

const encoder = new TextEncoder();
/** The lines a transfer client waits for; the others are dropped as they come. */
const KEPT = ["HELLO ", "AUTH_", "HISTORY_END ", "FILE_", "ERROR ", "BYE "];

/** What one transfer measured. */
export interface PeerResult {
  bytes: number;
  /** `FILE_SEND` to its `FILE_UPLOAD`, ms. */
  uploadTicketMs: number;
  /** The PUT, from the request to the server's 201 (hash checked), ms. */
  uploadMs: number;
  /**
   * The upload's `FILE_SHARED` reaching the receiver after the sender's 201,
   * ms (negative: before it).
   */
  sharedAfterMs: number;
  /** The second `GO` (the download's start) to the verified download, ms. */
  downloadTotalMs: number;
  /** `FILE_GET` to its `FILE_DOWNLOAD`, ms. */
  downloadTicketMs: number;
  /** The GET, from the request to the last byte written to disk, ms. */
  downloadMs: number;
  /** The receiving client's SHA-256 check of what it wrote, ms. */
  verifyMs: number;
  /** The first `GO` to the 201 (`FILE_SEND` included), ms. */
  uploadTotalMs: number;
  /** The download hashed to the announced SHA-256. */
  verified: boolean;
  /** This process's CPU (user + system) over the upload, from `GO` to the 201, s. */
  uploadCpuSeconds: number;
  /** And over the download, from the second `GO` to the checked file, s. */
  downloadCpuSeconds: number;
}

/** One chat connection: lines in, lines out, waits for a line by prefix. */
class ChatLine {
  readonly #conn: Deno.TcpConn;
  readonly #framer = new LineFramer();
  #lines: Array<{ line: string; at: number }> = [];
  /** When the line {@linkcode next} returned last arrived. */
  lastAt = 0;
  #wake: (() => void) | undefined;
  #ended = false;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.#read().catch(() => {});
  }

  static async open(port: number): Promise<ChatLine> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new ChatLine(conn);
  }

  send(line: string): void {
    // One short line: a single write never blocks long on loopback.
    this.#conn.write(encoder.encode(`${line}\n`)).catch(() => {});
  }

  /** The next line starting with one of `prefixes`; `ERROR` or `BYE` rejects. */
  async next(prefixes: string[], timeoutMs = 60_000): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      while (this.#lines.length > 0) {
        const { line, at } = this.#lines.shift()!;
        if (prefixes.some((prefix) => line.startsWith(prefix))) {
          this.lastAt = at;
          return line;
        }
        // These clients only log in and share: any error is theirs.
        if (line.startsWith("ERROR ") || line.startsWith("BYE ")) {
          throw new Error(line);
        }
      }
      if (this.#ended) throw new Error("the chat connection closed");
      const left = deadline - performance.now();
      if (left <= 0) {
        throw new Error(`timed out waiting for ${prefixes.join(" or ")}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    try {
      for (;;) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        for (const framed of this.#framer.push(buffer.subarray(0, n))) {
          if (!framed.ok) continue;
          const line = framed.line;
          if (line.startsWith("PING")) {
            this.send(`PONG${line.slice(4)}`);
          } else if (KEPT.some((prefix) => line.startsWith(prefix))) {
            // The rest (the room's chat: the load) is dropped, not queued.
            this.#lines.push({ line, at: performance.now() });
          }
        }
        this.#wake?.();
      }
    } finally {
      this.#ended = true;
      this.#wake?.();
    }
  }
}

async function login(
  port: number,
  name: string,
  password: string,
): Promise<ChatLine> {
  const chat = await ChatLine.open(port);
  await chat.next(["HELLO "]);
  chat.send(`LOGIN ${name} ${password}`);
  const reply = await chat.next(["AUTH_SUCCESS ", "AUTH_FAILURE"]);
  if (reply.startsWith("AUTH_FAILURE")) throw new Error(reply);
  await chat.next(["HISTORY_END "]);
  return chat;
}

async function transfer(options: {
  sender: ChatLine;
  receiver: ChatLine;
  file: string;
  size: number;
  sha256: string;
  out: string;
  /** Called once the upload is in (the server's 201). */
  onUploaded: () => void;
  /** Resolves when the download is to start. */
  secondGo: Promise<void>;
}): Promise<PeerResult> {
  const { sender, receiver, size, sha256 } = options;
  const cpu0 = cpuUsage();
  const name = "bench-transfer.bin";
  const started = performance.now();
  sender.send(`FILE_SEND #${LOBBY} ${size} ${sha256} ${name}`);
  const ticket = (await sender.next(["FILE_UPLOAD "])).split(" ");
  const uploadTicketAt = performance.now();
  const [id, offset, port, token] = ticket.slice(1).map((part, i) =>
    i === 3 ? part : Number(part)
  ) as [number, number, number, string];
  const uploaded = await uploadFile({
    url: transferUrl("127.0.0.1", port, id, false),
    token,
    path: options.file,
    offset,
    size,
  });
  const uploadedAt = performance.now();
  if (uploaded.status !== "complete") {
    throw new Error(`upload ended with ${JSON.stringify(uploaded)}`);
  }
  const uploadCpu = cpuUsage(cpu0);
  options.onUploaded();
  // The receiver's notice of this file (the room's other shares are not ours).
  let shared: string[];
  do {
    shared = (await receiver.next(["FILE_SHARED "])).split(" ");
  } while (Number(shared[5]) !== id);
  const sharedAt = receiver.lastAt;
  await options.secondGo;
  const downloadAt = performance.now();
  const cpu1 = cpuUsage();
  receiver.send(`FILE_GET ${id}`);
  const download = (await receiver.next(["FILE_DOWNLOAD "])).split(" ");
  const downloadTicketAt = performance.now();
  let lastByteAt = 0;
  await downloadFile({
    url: transferUrl("127.0.0.1", Number(download[4]), id, false),
    token: download[5]!,
    folder: options.out,
    name: download.slice(6).join(" "),
    fileId: id,
    size: Number(download[2]),
    sha256: download[3]!,
    onProgress(received, total) {
      if (received === total && lastByteAt === 0) {
        lastByteAt = performance.now();
      }
    },
  });
  const verifiedAt = performance.now();
  return {
    bytes: size,
    uploadTicketMs: uploadTicketAt - started,
    uploadMs: uploadedAt - uploadTicketAt,
    sharedAfterMs: sharedAt - uploadedAt,
    downloadTicketMs: downloadTicketAt - downloadAt,
    downloadMs: lastByteAt - downloadTicketAt,
    verifyMs: verifiedAt - lastByteAt,
    uploadTotalMs: uploadedAt - started,
    downloadTotalMs: verifiedAt - downloadAt,
    // downloadFile rejects with hash_mismatch otherwise.
    verified: download[3] === sha256,
    uploadCpuSeconds: cpuSeconds(uploadCpu),
    downloadCpuSeconds: cpuSeconds(cpuUsage(cpu1)),
  };
}

function cpuSeconds(usage: { user: number; system: number }): number {
  return (usage.user + usage.system) / 1e6;
}

/** One promise per `GO` line on stdin, in order; all reject if it closes first. */
function goSignals(count: number): Promise<void>[] {
  const signals = Array.from(
    { length: count },
    () => Promise.withResolvers<void>(),
  );
  for (const signal of signals) signal.promise.catch(() => {});
  (async () => {
    const framer = new LineFramer();
    let seen = 0;
    for await (const chunk of Deno.stdin.readable) {
      for (const framed of framer.push(chunk)) {
        if (framed.ok && framed.line === "GO" && seen < count) {
          signals[seen++]!.resolve();
        }
      }
    }
    throw new Error("stdin closed before GO");
  })().catch((error) => {
    for (const signal of signals) signal.reject(error);
  });
  return signals.map((signal) => signal.promise);
}

/** Runs the command line; resolves the exit code. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      port: { type: "string" },
      sender: { type: "string" },
      receiver: { type: "string" },
      password: { type: "string" },
      file: { type: "string" },
      sha256: { type: "string" },
      out: { type: "string" },
    },
  });
  const needed = [
    "port",
    "sender",
    "receiver",
    "password",
    "file",
    "sha256",
    "out",
  ] as const;
  const missing = needed.filter((name) => values[name] === undefined);
  if (missing.length > 0) {
    console.log(`FAILED missing --${missing.join(", --")}`);
    return 2;
  }
  let sender: ChatLine | undefined;
  let receiver: ChatLine | undefined;
  try {
    const port = Number(values.port);
    sender = await login(port, values.sender!, values.password!);
    receiver = await login(port, values.receiver!, values.password!);
    const size = (await Deno.stat(values.file!)).size;
    const [upload, download] = goSignals(2);
    console.log("READY");
    await upload;
    const result = await transfer({
      sender,
      receiver,
      file: values.file!,
      size,
      sha256: values.sha256!,
      out: values.out!,
      onUploaded: () => console.log("UPLOADED"),
      secondGo: download!,
    });
    console.log(`RESULT ${JSON.stringify(result)}`);
    return 0;
  } catch (error) {
    console.log(`FAILED ${(error as Error).message}`);
    return 1;
  } finally {
    sender?.close();
    receiver?.close();
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
