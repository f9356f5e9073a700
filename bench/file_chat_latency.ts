/**
 * Chat latency for others while a file uploads: carol sends 200 room
 * messages to dave one after another (each timed from send to receipt),
 * first with nothing else going on, then while alice uploads 50 MiB
 * files over HTTP on the web port (one after another until the messages
 * are done). Server, uploader and chatters share one process (one event
 * loop), so the figures are an upper bound. Prints p50/p99 of both runs and the uploads' speed. Loopback only, an in-process server on a temp folder.
 *
 * Run: `deno run -A bench/file_chat_latency.ts`
 *
 * @module
 */

import {
  fileHarness,
  LOBBY,
  offer,
  patternBytes,
  put,
  sha256,
} from "../tests/_files.ts";
import type { TestClient } from "../tests/_client.ts";

const MESSAGES = 200;
const FILE_BYTES = 50 * 1024 * 1024;

/** Nearest-rank percentile. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(0, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.min(sorted.length - 1, rank)] ?? 0;
}

/** Times `MESSAGES` lines from `from` to `to`, one at a time. */
async function timeChat(
  from: TestClient,
  to: TestClient,
  label: string,
): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < MESSAGES; i++) {
    const text = `${label}-${i}`;
    const start = performance.now();
    await from.send(`MSG ${text}`);
    await to.next((line) =>
      line.startsWith("MESSAGE ") && line.endsWith(` carol ${text}`)
    );
    times.push(performance.now() - start);
  }
  return times;
}

function report(label: string, times: readonly number[]): string {
  return `${label}: p50 ${percentile(times, 50).toFixed(2)} ms, p99 ${
    percentile(times, 99).toFixed(2)
  } ms (${times.length} messages)`;
}

await using h = await fileHarness({
  files: { maxFileBytes: FILE_BYTES, quotaBytes: 100 * FILE_BYTES },
});
const alice = await h.user("alice");
const carol = await h.user("carol");
const dave = await h.user("dave");

await timeChat(carol, dave, "warmup");
const quiet = await timeChat(carol, dave, "quiet");

const bytes = patternBytes(FILE_BYTES);
// Hashed once, outside the timed run: the bench's client shares the event
// loop with the server and the chatters.
const digest = sha256(bytes);
// Uploads one after another (each a new 50 MiB file) for as long as the
// messages run, so that every message is timed during an upload.
let chatting = true;
let uploads = 0;
let uploadMs = 0;
const uploading = (async () => {
  while (chatting) {
    const ticket = await offer(
      alice,
      `#${LOBBY}`,
      bytes,
      `big${uploads}.bin`,
      digest,
    );
    const started = performance.now();
    const result = await put(h.webPort, ticket, bytes);
    if (result.status !== 201) throw new Error(`upload: ${result.status}`);
    uploadMs += performance.now() - started;
    uploads++;
  }
})();
const busy = await timeChat(carol, dave, "busy");
chatting = false;
await uploading;

// deno-lint-ignore no-console -- the bench's report
console.log(
  [
    report("chat without upload", quiet),
    report("chat during 50 MiB uploads", busy),
    `uploads: ${uploads} of 50 MiB at ${
      (uploads * FILE_BYTES / 1024 / 1024 / (uploadMs / 1000)).toFixed(1)
    } MiB/s`,
  ].join("\n"),
);
