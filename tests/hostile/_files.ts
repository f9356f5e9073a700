/**
 * Hostile file sharing: traversal and hostile names, sizes past the limit,
 * an upload cut half-way, one that lies about its hash, tickets replayed or
 * borrowed, one user's quota, a flood of tiny offers and too many
 * transfers at once. Each row checks the clear error, that the files'
 * folder holds only `<id>.bin`/`<id>.part` and its parent only the
 * database and that folder, that another user's file still downloads
 * byte-identical, and that two other users' chat goes on meanwhile.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { putWithLength } from "../../lib/client/http_put.ts";
import {
  ask,
  fetchFile,
  type FileHarness,
  fileHarness,
  LOBBY,
  offer,
  patternBytes,
  put,
  refused,
  sha256,
  type UploadTicket,
} from "../_files.ts";
import type { TestClient } from "../_client.ts";
import {
  MAX_OFFERS_PER_MINUTE,
  MAX_UNFINISHED_UPLOADS,
} from "../../lib/server/chat/file_shares.ts";
import { MAX_TRANSFERS_PER_HOLDER } from "../../lib/server/files/file_transfers.ts";
import { type CaseContext, delay, firstLine, FULL } from "./_support.ts";

/** Names the files' folder may hold. */
const STORED = /^[1-9][0-9]*\.(?:bin|part)$/;
/** Names its parent (the temp folder of the harness) may hold. */
const PARENT = new Set(["chat.db", "chat.db-wal", "chat.db-shm", "chat-files"]);
/** The bound of every wait for a condition. */
const WAIT_MS = 10_000;

/**
 * One harness with an attacker (alice), a victim whose file must survive
 * (bob, `keep.bin` in the lobby), and two users who chat (carol → dave).
 */
interface Scene extends AsyncDisposable {
  h: FileHarness;
  alice: TestClient;
  bob: TestClient;
  carol: TestClient;
  dave: TestClient;
  keep: { id: number; bytes: Uint8Array };
  /** Problems of the current row. */
  problems: string[];
  /** Records a problem unless `ok`. */
  check(ok: boolean, problem: string): void;
}

async function scene(
  files: Parameters<typeof fileHarness>[0] = {},
): Promise<Scene> {
  const h = await fileHarness(files);
  try {
    const [alice, bob, carol, dave] = [
      await h.user("alice"),
      await h.user("bob"),
      await h.user("carol"),
      await h.user("dave"),
    ];
    const bytes = patternBytes(777, 3);
    const ticket = await offer(bob, `#${LOBBY}`, bytes, "keep.bin");
    const stored = await put(h.webPort, ticket, bytes);
    if (stored.status !== 201) throw new Error(`keep.bin: ${stored.status}`);
    for (const client of [alice, bob, carol, dave]) {
      await client.expect("FILE_SHARED ");
    }
    const problems: string[] = [];
    return {
      h,
      alice,
      bob,
      carol,
      dave,
      keep: { id: ticket.id, bytes },
      problems,
      check(ok, problem) {
        if (!ok) problems.push(problem);
      },
      [Symbol.asyncDispose]: () => h[Symbol.asyncDispose](),
    };
  } catch (error) {
    await h[Symbol.asyncDispose]();
    throw error;
  }
}

let chatSerial = 0;

/** carol says a line; resolves once dave has it (chat goes on). */
async function chat(s: Scene, label: string): Promise<void> {
  const text = `${label}-${++chatSerial}`;
  await s.carol.send(`MSG ${text}`);
  await s.dave.next((line) =>
    line.startsWith("MESSAGE ") && line.endsWith(` carol ${text}`)
  );
}

/** Runs `attack` while carol's line reaches dave. */
async function during<T>(
  s: Scene,
  label: string,
  attack: () => Promise<T>,
): Promise<T> {
  const [result] = await Promise.all([attack(), chat(s, label)]);
  return result;
}

/**
 * The invariants after an attack: only id names in the folder, only the
 * database and the folder beside it, bob's file downloads byte-identical
 * (for dave), and chat still flows.
 */
async function invariants(s: Scene, label: string): Promise<string> {
  const stored = await s.h.storedNames();
  const strays = stored.filter((name) => !STORED.test(name));
  s.check(strays.length === 0, `stray names in the folder: ${strays}`);
  const parent: string[] = [];
  for await (const entry of Deno.readDir(dirname(s.h.filesDir))) {
    parent.push(entry.name);
  }
  const outside = parent.filter((name) => !PARENT.has(name));
  s.check(outside.length === 0, `stored beside the folder: ${outside}`);
  const got = await fetchFile(s.h.webPort, await ask(s.dave, s.keep.id));
  s.check(
    got.status === 200 && sha256(got.bytes) === sha256(s.keep.bytes),
    `bob's keep.bin: ${got.status}, ${got.bytes.byteLength} bytes`,
  );
  await chat(s, `${label}-after`);
  return `folder [${stored.join(" ")}]; parent [${
    parent.sort().join(" ")
  }]; keep.bin identical; chat delivered`;
}

/** One row: `body` returns what it saw; problems fail it. */
async function caseRow(
  context: CaseContext,
  name: string,
  tried: string,
  files: Parameters<typeof fileHarness>[0],
  body: (s: Scene) => Promise<string>,
): Promise<void> {
  const row = context.row(name, tried);
  await using s = await scene(files);
  let saw: string;
  try {
    saw = await body(s);
    saw += `; ${await invariants(s, name)}`;
  } catch (error) {
    s.problems.push(`threw: ${firstLine(error)}`);
    saw = "";
  }
  context.done(
    row,
    s.problems.length === 0 ? saw : `${s.problems.join("; ")}`,
    s.problems.length === 0,
  );
}

/** Waits (bounded) until `path` holds `size` bytes. */
async function waitForSize(path: string, size: number): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (true) {
    const held = await Deno.stat(path).then((info) => info.size, () => -1);
    if (held === size) return;
    if (Date.now() > deadline) {
      throw new Error(`${path} holds ${held} bytes, not ${size}`);
    }
    await delay(5);
  }
}

/** The `FILE_SHARED` name `client` saw for file `id`. */
async function sharedName(client: TestClient, id: number): Promise<string> {
  const line = await client.next((l) =>
    l.startsWith("FILE_SHARED ") && l.split(" ")[5] === String(id)
  );
  return line.split(" ").slice(7).join(" ");
}

/** A raw HTTP request to the web port; resolves status and JSON error. */
async function request(
  s: Scene,
  path: string,
  init: RequestInit = {},
): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${s.h.webPort}${path}`, init);
  const text = await response.text();
  let error = "";
  try {
    error = (JSON.parse(text) as { error?: string }).error ?? "";
  } catch {
    error = text.slice(0, 40);
  }
  return `${response.status} ${error}`;
}

// ---------------------------------------------------------------------------
// 1. Names

/** Hostile names over the raw protocol: shown safe, stored under ids. */
export async function hostileNames(context: CaseContext): Promise<void> {
  await caseRow(
    context,
    "Files: hostile names",
    "FILE_SEND with ../../x, ..\\..\\x, C:\\x, CON, nul.txt, a NUL in the line, evil\\u202Etxt.exe, ' . ', a 4 KB name; each uploaded, FILE_SHARED read by bob",
    {},
    async (s) => {
      // Where a traversal name points; one there already (another program's
      // /tmp/x) is not this server's doing.
      const base = dirname(s.h.filesDir);
      const targets = [join(base, "x"), join(base, "..", "x"), "x"];
      const before = await Promise.all(targets.map(statTime));
      const cases: Array<[string, string]> = [
        ["../../x", "x"],
        ["..\\..\\x", "x"],
        ["C:\\x", "x"],
        ["CON", "_CON"],
        ["nul.txt", "_nul.txt"],
        ["a\u0000b.txt", "ab.txt"],
        ["evil\u202Etxt.exe", "eviltxt.exe"],
        ["/etc/passwd", "passwd"],
        [" . ", "file"],
      ];
      const shown: string[] = [];
      for (const [given, want] of cases) {
        const bytes = new TextEncoder().encode(`content of ${given}`);
        const ticket = await during(
          s,
          "names",
          () => offer(s.alice, `#${LOBBY}`, bytes, given),
        );
        const result = await put(s.h.webPort, ticket, bytes);
        s.check(
          result.status === 201,
          `${JSON.stringify(given)}: ${result.status}`,
        );
        const name = await sharedName(s.bob, ticket.id);
        shown.push(`${JSON.stringify(given)}→${JSON.stringify(name)}`);
        s.check(
          name === want,
          `${JSON.stringify(given)} shown as ${JSON.stringify(name)}`,
        );
        const download = await ask(s.bob, ticket.id);
        s.check(download.name === want, `FILE_DOWNLOAD name ${download.name}`);
        const got = await fetchFile(s.h.webPort, download);
        s.check(
          sha256(got.bytes) === sha256(bytes),
          `${JSON.stringify(given)} downloads changed`,
        );
        s.check(
          got.headers.get("content-disposition")?.startsWith("attachment;") ===
            true,
          `${JSON.stringify(given)} not an attachment`,
        );
      }
      const long = await during(
        s,
        "long-name",
        () =>
          refused(
            s.alice,
            `FILE_SEND #${LOBBY} 1 ${sha256(new Uint8Array(1))} ${
              "a".repeat(4096)
            }`,
          ),
      );
      s.check(
        long.startsWith("ERROR message_too_long "),
        `4 KB name: ${long.slice(0, 60)}`,
      );
      // Nothing landed where a traversal name points.
      for (const [index, path] of targets.entries()) {
        const after = await statTime(path);
        s.check(after === before[index], `${path} was written`);
      }
      const names = await s.h.storedNames();
      s.check(
        names.length === cases.length + 1 &&
          names.every((name) => /^\d+\.bin$/.test(name)),
        `stored: ${names}`,
      );
      return `${shown.join(", ")}; 4 KB name: ERROR message_too_long`;
    },
  );
}

// ---------------------------------------------------------------------------
// 2–4. Sizes, a cut upload, a lying hash

/** One byte over `maxFileBytes`, and a body longer than announced. */
export async function oversized(context: CaseContext): Promise<void> {
  await caseRow(
    context,
    "Files: over the size limit",
    "--max-file-size 1000: FILE_SEND of 1001 bytes; a 1000-byte offer PUT with 1003 bytes",
    { files: { maxFileBytes: 1000 } },
    async (s) => {
      const over = patternBytes(1001);
      const line = await during(
        s,
        "over",
        () =>
          refused(s.alice, `FILE_SEND #${LOBBY} 1001 ${sha256(over)} big.bin`),
      );
      s.check(
        line === "ERROR file_too_large 文件太大（上限 1000 B）",
        `1001 bytes: ${line}`,
      );
      const bytes = patternBytes(1000);
      const ticket = await offer(s.alice, `#${LOBBY}`, bytes, "ok.bin");
      const longer = await during(
        s,
        "longer",
        () => put(s.h.webPort, ticket, new Uint8Array([...bytes, 1, 2, 3])),
      );
      s.check(
        longer.status === 413 && longer.body.error === "too_large",
        `longer body: ${longer.status} ${longer.body.error}`,
      );
      const names = await s.h.storedNames();
      s.check(
        !names.some((name) => name.startsWith(`${ticket.id}.`)),
        `kept: ${names}`,
      );
      s.check(
        await s.h.store.getFile(ticket.id) === undefined,
        "the record stayed",
      );
      return `${
        line.split(" ").slice(0, 2).join(" ")
      }; longer body: 413 too_large, part and record gone`;
    },
  );
}

/** An upload whose client aborts half-way, then resumes. */
export async function cutUpload(context: CaseContext): Promise<void> {
  await caseRow(
    context,
    "Files: upload cut half-way",
    "PUT of 400,000 bytes (Content-Length) from a stream, the socket closed after 200,000 reached the server; the same FILE_SEND again, PUT the rest",
    {},
    async (s) => {
      const bytes = patternBytes(400_000, 11);
      const half = 200_000;
      const ticket = await offer(s.alice, `#${LOBBY}`, bytes, "cut.bin");
      let open!: () => void;
      const gate = new Promise<void>((resolve) => open = resolve);
      let sent = false;
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          if (!sent) {
            sent = true;
            controller.enqueue(bytes.slice(0, half));
            return;
          }
          await gate;
        },
        cancel() {
          open();
        },
      });
      const abort = new AbortController();
      // As the terminal client sends (a Content-Length, the server refuses
      // chunked bodies): the socket closes after half the bytes.
      const pending = putWithLength({
        url: `http://127.0.0.1:${s.h.webPort}/files/${ticket.id}`,
        headers: {
          Authorization: `Bearer ${ticket.token}`,
          "Upload-Offset": "0",
        },
        length: bytes.length,
        body,
        signal: abort.signal,
      }).then(
        (answer) => `answered ${answer.status} ${answer.text}`,
        (error: Error) => error.name,
      );
      await waitForSize(join(s.h.filesDir, `${ticket.id}.part`), half);
      // The upload hangs half-way: chat goes on meanwhile.
      await chat(s, "half-way");
      abort.abort();
      open();
      const ended = await pending;
      s.check(ended === "AbortError", `the cut fetch: ${ended}`);
      const again = await offer(s.alice, `#${LOBBY}`, bytes, "cut.bin");
      s.check(again.id === ticket.id, `resumed as file ${again.id}`);
      s.check(again.offset === half, `resumed at ${again.offset}`);
      const rest = await during(
        s,
        "resume",
        () => put(s.h.webPort, again, bytes, again.offset),
      );
      s.check(
        rest.status === 201,
        `the rest: ${rest.status} ${rest.body.error}`,
      );
      const got = await fetchFile(s.h.webPort, await ask(s.bob, ticket.id));
      s.check(
        got.status === 200 && sha256(got.bytes) === sha256(bytes),
        `download: ${got.status}, ${got.bytes.byteLength} bytes`,
      );
      return `aborted (${ended}) with ${half} bytes held; FILE_UPLOAD ${again.id} ${again.offset}; the rest 201; bob's download identical`;
    },
  );
}

/** An upload whose bytes do not match the announced SHA-256. */
export async function lyingHash(context: CaseContext): Promise<void> {
  await caseRow(
    context,
    "Files: upload lies about its hash",
    "FILE_SEND announcing one SHA-256, PUT other bytes (in one request, and in two halves with a resume)",
    {},
    async (s) => {
      const bytes = patternBytes(5000, 21);
      const claimed = sha256(patternBytes(5000, 22));
      const seen: string[] = [];
      for (const split of [false, true]) {
        let ticket: UploadTicket = await offer(
          s.alice,
          `#${LOBBY}`,
          bytes,
          "lie.bin",
          claimed,
        );
        const id = ticket.id;
        if (split) {
          const first = await put(s.h.webPort, ticket, bytes.slice(0, 2500));
          s.check(first.status === 202, `first half: ${first.status}`);
          ticket = await offer(s.alice, `#${LOBBY}`, bytes, "lie.bin", claimed);
        }
        const result = await during(
          s,
          "lie",
          () => put(s.h.webPort, ticket, bytes, ticket.offset),
        );
        seen.push(`${result.status} ${result.body.error}`);
        s.check(
          result.status === 422 && result.body.error === "hash_mismatch",
          `lie: ${result.status} ${result.body.error}`,
        );
        s.check(await s.h.store.getFile(id) === undefined, "record kept");
        const names = await s.h.storedNames();
        s.check(
          !names.some((name) => name.startsWith(`${id}.`)),
          `bytes kept: ${names}`,
        );
        // FILES answers after any FILE_SHARED on bob's connection.
        await s.bob.send("FILES");
        const begin = await s.bob.expect("FILES_BEGIN ");
        s.check(begin === "FILES_BEGIN 1", `bob lists ${begin}`);
        s.check(
          !s.bob.lines.some((line) =>
            line.startsWith("FILE_SHARED ") && line.split(" ")[5] === String(id)
          ),
          "announced to bob",
        );
        const get = await refused(s.bob, `FILE_GET ${id}`);
        s.check(
          get === `ERROR no_such_file 文件不存在或无权获取: f${id}`,
          `FILE_GET: ${get}`,
        );
      }
      return `whole: ${seen[0]}, resumed: ${
        seen[1]
      }; record and bytes gone; never announced; FILE_GET no_such_file`;
    },
  );
}

// ---------------------------------------------------------------------------
// 5. Tickets

/** Download and upload tokens replayed, borrowed, crossed and made up. */
export async function tickets(context: CaseContext): Promise<void> {
  await caseRow(
    context,
    "Files: tickets replayed or borrowed",
    "a download token replayed, for another file, by bob after alice logged out; an upload token for GET and a download token for PUT; garbage, missing and malformed tokens; odd paths; FILE_GET of a file not shared with the asker",
    {},
    async (s) => {
      const seen: Record<string, string> = {};
      const expect = (label: string, got: string, want: string) => {
        seen[label] = got;
        s.check(got === want, `${label}: ${got}, not ${want}`);
      };
      const mine = patternBytes(600, 31);
      const up = await offer(s.alice, `#${LOBBY}`, mine, "mine.bin");
      // An upload token for GET: 403, and spent.
      expect(
        "upload token GET",
        await request(s, `/files/${up.id}?token=${up.token}`),
        "403 invalid_token",
      );
      const up2 = await offer(s.alice, `#${LOBBY}`, mine, "mine.bin");
      s.check((await put(s.h.webPort, up2, mine)).status === 201, "upload");
      const first = await ask(s.alice, up.id);
      const got = await fetchFile(s.h.webPort, first);
      s.check(got.status === 200, `first use ${got.status}`);
      expect(
        "replay",
        await during(
          s,
          "replay",
          () => request(s, `/files/${up.id}?token=${first.token}`),
        ),
        "403 invalid_token",
      );
      const other = await ask(s.alice, up.id);
      expect(
        "other file",
        await request(s, `/files/${s.keep.id}?token=${other.token}`),
        "403 invalid_token",
      );
      // Spent by the wrong use: not good for its own file either.
      expect(
        "after misuse",
        await request(s, `/files/${up.id}?token=${other.token}`),
        "403 invalid_token",
      );
      const down = await ask(s.alice, up.id);
      expect(
        "download token PUT",
        await request(s, `/files/${up.id}`, {
          method: "PUT",
          headers: {
            Authorization: `Bearer ${down.token}`,
            "Upload-Offset": "0",
          },
          body: mine.slice(),
        }),
        "403 invalid_token",
      );
      expect(
        "garbage",
        await request(s, `/files/${up.id}?token=${"A".repeat(43)}`),
        "403 invalid_token",
      );
      expect(
        "missing",
        await request(s, `/files/${up.id}`),
        "403 invalid_token",
      );
      expect(
        "malformed header",
        await request(s, `/files/${up.id}`, {
          headers: { Authorization: `Bearer ${"A".repeat(43)} x` },
        }),
        "403 invalid_token",
      );
      expect(
        "empty query",
        await request(s, `/files/${up.id}?token=`),
        "403 invalid_token",
      );
      for (
        const path of [
          "/files/0",
          "/files/-1",
          "/files/1.bin",
          "/files/..%2Fchat.db",
          "/files/99999999999999999999",
        ]
      ) {
        expect(path, await request(s, path), "404 no_such_file");
      }
      // The URL parser takes the dots out: not a transfer, not the database.
      const dotted = await request(s, "/files/%2e%2e/chat.db");
      seen["/files/%2e%2e/chat.db"] = dotted;
      s.check(dotted.startsWith("404 "), `/files/%2e%2e/chat.db: ${dotted}`);
      // alice's token, presented by bob once alice has logged out.
      const orphan = await ask(s.alice, up.id);
      await s.alice.send("LOGOUT");
      await s.alice.expect("LOGOUT_SUCCESS");
      expect(
        "after logout",
        await request(s, `/files/${up.id}`, {
          headers: { Authorization: `Bearer ${orphan.token}` },
        }),
        "403 invalid_token",
      );
      // A file alice sent to bob alone: carol may not, and cannot tell it is there.
      const alice = await s.h.login("alice");
      const secret = patternBytes(300, 41);
      const toBob = await offer(alice, "bob", secret, "secret.bin");
      s.check((await put(s.h.webPort, toBob, secret)).status === 201, "secret");
      const notShared = await during(
        s,
        "not-shared",
        () => refused(s.carol, `FILE_GET ${toBob.id}`),
      );
      const missing = await refused(s.carol, `FILE_GET ${toBob.id + 1000}`);
      s.check(
        notShared === `ERROR no_such_file 文件不存在或无权获取: f${toBob.id}` &&
          missing.replace(`f${toBob.id + 1000}`, `f${toBob.id}`) === notShared,
        `not shared: ${notShared}; missing: ${missing}`,
      );
      const bobGot = await fetchFile(s.h.webPort, await ask(s.bob, toBob.id));
      s.check(sha256(bobGot.bytes) === sha256(secret), "bob's secret changed");
      return `${
        Object.entries(seen).map(([k, v]) => `${k} ${v}`).join(", ")
      }; not shared and missing: the same ERROR no_such_file text`;
    },
  );
}

// ---------------------------------------------------------------------------
// 6–8. Exhaustion

/** One user fills their quota; another still shares. */
export async function quota(context: CaseContext): Promise<void> {
  await caseRow(
    context,
    "Files: one user's quota exhausted",
    "--file-quota 2500, --max-file-size 1000: alice shares two files, offers a third; bob shares one",
    { files: { maxFileBytes: 1000, quotaBytes: 2500 } },
    async (s) => {
      const hers: Array<{ id: number; bytes: Uint8Array }> = [];
      for (const seed of [1, 2]) {
        const bytes = patternBytes(1000, seed);
        const ticket = await offer(s.alice, `#${LOBBY}`, bytes, `${seed}.bin`);
        s.check((await put(s.h.webPort, ticket, bytes)).status === 201, "fill");
        hers.push({ id: ticket.id, bytes });
      }
      const third = patternBytes(1000, 3);
      const line = await during(
        s,
        "quota",
        () =>
          refused(s.alice, `FILE_SEND #${LOBBY} 1000 ${sha256(third)} 3.bin`),
      );
      s.check(
        line ===
          "ERROR quota_exceeded 你的文件空间已满（上限 2.4 KB），请等旧文件过期后再分享",
        `third: ${line}`,
      );
      const bobs = await offer(s.bob, `#${LOBBY}`, third, "3.bin");
      const result = await put(s.h.webPort, bobs, third);
      s.check(result.status === 201, `bob: ${result.status}`);
      for (const file of hers) {
        const got = await fetchFile(s.h.webPort, await ask(s.dave, file.id));
        s.check(sha256(got.bytes) === sha256(file.bytes), `${file.id} changed`);
      }
      return `${
        line.split(" ").slice(0, 2).join(" ")
      }; bob's share 201; alice's files intact`;
    },
  );
}

/** 100 one-byte offers as fast as one client can send them. */
export async function flood(context: CaseContext): Promise<void> {
  const count = 100;
  const chatLines = 50;
  await caseRow(
    context,
    "Files: a flood of tiny files",
    `alice sends ${count} FILE_SEND of distinct 1-byte files in one write while carol sends ${chatLines} MSG to dave; finishes the 4 taken; one more, one after logging in again, one a minute later (ManualClock)`,
    {},
    async (s) => {
      const offers = Array.from(
        { length: count },
        (_, i) =>
          `FILE_SEND #${LOBBY} 1 ${sha256(new Uint8Array([i]))} tiny${i}.bin\n`,
      ).join("");
      const talk = Array.from(
        { length: chatLines },
        (_, i) => `MSG flood-chat-${i}\n`,
      ).join("");
      const encoder = new TextEncoder();
      const answers: string[] = [];
      const heard: string[] = [];
      await Promise.all([
        (async () => {
          await s.alice.writeRaw(encoder.encode(offers));
          for (let i = 0; i < count; i++) {
            answers.push(
              await s.alice.next((line) =>
                line.startsWith("FILE_UPLOAD ") || line.startsWith("ERROR ")
              ),
            );
          }
        })(),
        (async () => {
          await s.carol.writeRaw(encoder.encode(talk));
          for (let i = 0; i < chatLines; i++) {
            const line = await s.dave.next((l) =>
              l.startsWith("MESSAGE ") && l.includes(" carol flood-chat-")
            );
            heard.push(line.replace(/^.* carol /, ""));
          }
        })(),
      ]);
      const kinds = answers.map((line) => line.split(" ", 2).join(" "));
      const want = [
        ...Array(MAX_UNFINISHED_UPLOADS).fill("FILE_UPLOAD"),
        ...Array(MAX_OFFERS_PER_MINUTE - MAX_UNFINISHED_UPLOADS).fill(
          "ERROR too_many_uploads",
        ),
        ...Array(count - MAX_OFFERS_PER_MINUTE).fill("ERROR rate_limited"),
      ];
      const shape = kinds.map((kind) =>
        kind.startsWith("FILE_UPLOAD ") ? "FILE_UPLOAD" : kind
      );
      s.check(
        JSON.stringify(shape) === JSON.stringify(want),
        `answers: ${summarize(shape)}`,
      );
      s.check(
        heard.every((text, i) => text === `flood-chat-${i}`),
        `chat out of order: ${heard.slice(0, 5)}`,
      );
      // The 4 unfinished: finish them, and a minute on one more goes through.
      for (const line of answers.filter((l) => l.startsWith("FILE_UPLOAD "))) {
        const [, id, , , token] = line.split(" ");
        const record = await s.h.store.getFile(Number(id));
        const byte = new Uint8Array([
          Number(/^tiny(\d+)\.bin$/.exec(record?.name ?? "")?.[1] ?? -1),
        ]);
        const done = await put(
          s.h.webPort,
          { id: Number(id), token: token! },
          byte,
        );
        s.check(done.status === 201, `tiny ${id}: ${done.status}`);
      }
      const still = await refused(
        s.alice,
        `FILE_SEND #${LOBBY} 1 ${sha256(new Uint8Array([200]))} late.bin`,
      );
      s.check(
        still.startsWith("ERROR rate_limited "),
        `within the minute: ${still}`,
      );
      // A new session of the same account does not start a new minute.
      await s.alice.send("LOGOUT");
      await s.alice.expect("LOGOUT_SUCCESS");
      s.alice = await s.h.login("alice");
      const relogged = await refused(
        s.alice,
        `FILE_SEND #${LOBBY} 1 ${sha256(new Uint8Array([202]))} again.bin`,
      ).catch((error) => `no ERROR: ${firstLine(error)}`);
      s.check(
        relogged.startsWith("ERROR rate_limited "),
        `after logging in again: ${relogged.slice(0, 80)}`,
      );
      s.h.clock.advance(60_000);
      const late = await offer(
        s.alice,
        `#${LOBBY}`,
        new Uint8Array([201]),
        "late.bin",
      );
      s.check(
        (await put(s.h.webPort, late, new Uint8Array([201]))).status === 201,
        "after a minute",
      );
      return `${
        summarize(shape)
      }; ${heard.length} chat lines in order; still rate_limited after logging in again; a minute later an offer is taken`;
    },
  );
}

/** Runs of equal strings as `n×text`. */
function summarize(items: readonly string[]): string {
  const runs: string[] = [];
  let i = 0;
  while (i < items.length) {
    let j = i;
    while (j < items.length && items[j] === items[i]) j++;
    runs.push(`${j - i}×${items[i]}`);
    i = j;
  }
  return runs.join(", ");
}

/** More GETs at once by one session than it may run. */
export async function concurrentGets(context: CaseContext): Promise<void> {
  const size = 16 * 1024 * 1024;
  const extra = 2;
  await caseRow(
    context,
    "Files: too many transfers at once",
    `alice opens ${MAX_TRANSFERS_PER_HOLDER} GETs of a 16 MiB file without reading, then ${extra} more; bob GETs meanwhile; then all are read`,
    { files: { maxFileBytes: size, quotaBytes: 2 * size } },
    async (s) => {
      const bytes = patternBytes(size, 51);
      const ticket = await offer(s.bob, `#${LOBBY}`, bytes, "big.bin");
      s.check((await put(s.h.webPort, ticket, bytes)).status === 201, "upload");
      const url = (token: string) =>
        `http://127.0.0.1:${s.h.webPort}/files/${ticket.id}?token=${token}`;
      const open: Response[] = [];
      for (let i = 0; i < MAX_TRANSFERS_PER_HOLDER; i++) {
        open.push(await fetch(url((await ask(s.alice, ticket.id)).token)));
      }
      const refusedStatus: string[] = [];
      for (let i = 0; i < extra; i++) {
        const response = await during(
          s,
          "transfers",
          async () => fetch(url((await ask(s.alice, ticket.id)).token)),
        );
        const body = await response.json() as { error?: string };
        refusedStatus.push(`${response.status} ${body.error}`);
        s.check(
          response.status === 429 && body.error === "too_many_transfers",
          `extra GET: ${response.status} ${body.error}`,
        );
      }
      const bobs = await fetchFile(s.h.webPort, await ask(s.bob, ticket.id));
      s.check(
        bobs.status === 200 && sha256(bobs.bytes) === sha256(bytes),
        `bob meanwhile: ${bobs.status}`,
      );
      const want = sha256(bytes);
      const statuses = open.map((response) => response.status);
      const digests = await Promise.all(
        open.map(async (response) =>
          sha256(new Uint8Array(await response.arrayBuffer()))
        ),
      );
      s.check(
        statuses.every((status) => status === 200) &&
          digests.every((digest) => digest === want),
        `the ${MAX_TRANSFERS_PER_HOLDER}: ${statuses}`,
      );
      const after = await fetchFile(s.h.webPort, await ask(s.alice, ticket.id));
      s.check(after.status === 200, `once they ended: ${after.status}`);
      return `${MAX_TRANSFERS_PER_HOLDER}×200 identical; extra: ${
        refusedStatus.join(", ")
      }; bob 200 meanwhile; one more after they ended 200`;
    },
  );
}

/** Two PUTs of one upload at once (a client's retry racing its first try). */
export async function racingPuts(context: CaseContext): Promise<void> {
  const rounds = FULL ? 20 : 5;
  await caseRow(
    context,
    "Files: two PUTs of one upload at once",
    `${rounds} rounds: alice offers a 300,000-byte file twice (two tokens, one upload) and PUTs the whole body with both in the same tick; then resumes from what is held`,
    { files: { quotaBytes: 64 * 1024 * 1024 } },
    async (s) => {
      const seen = new Set<string>();
      for (let round = 0; round < rounds; round++) {
        const bytes = patternBytes(300_000, 60 + round);
        const name = `race${round}.bin`;
        const a = await offer(s.alice, `#${LOBBY}`, bytes, name);
        const b = await offer(s.alice, `#${LOBBY}`, bytes, name);
        s.check(a.id === b.id, `round ${round}: two files ${a.id}, ${b.id}`);
        const results = await during(
          s,
          "race",
          () => Promise.all([a, b].map((t) => rawPut(s, t, bytes))),
        );
        for (const result of results) seen.add(result);
        const allowed = /^(?:201 |400 interrupted|409 offset_mismatch)/;
        s.check(
          results.every((result) => allowed.test(result)),
          `round ${round}: ${results.join(", ")}`,
        );
        if (!results.some((result) => result.startsWith("201 "))) {
          const resume = await offer(s.alice, `#${LOBBY}`, bytes, name);
          const rest = await put(s.h.webPort, resume, bytes, resume.offset);
          s.check(rest.status === 201, `round ${round} resume: ${rest.status}`);
        }
        const got = await fetchFile(s.h.webPort, await ask(s.bob, a.id));
        s.check(
          got.status === 200 && sha256(got.bytes) === sha256(bytes),
          `round ${round}: download ${got.status}`,
        );
        const names = await s.h.storedNames();
        s.check(
          !names.includes(`${a.id}.part`),
          `round ${round}: a part stayed`,
        );
        await s.bob.send("FILES");
        await s.bob.expect("FILES_END");
        const announced = s.bob.lines.filter((line) =>
          line.startsWith("FILE_SHARED ") && line.split(" ")[5] === String(a.id)
        ).length;
        s.check(announced === 1, `round ${round}: announced ${announced}×`);
        // A new minute for the offer rate (not under test here).
        s.h.clock.advance(60_000);
      }
      return `answers seen: ${
        [...seen].sort().join(", ")
      }; each file complete once, identical`;
    },
  );
}

/** PUTs the whole of `bytes` with a ticket; resolves `status error`. */
async function rawPut(
  s: Scene,
  ticket: UploadTicket,
  bytes: Uint8Array,
): Promise<string> {
  return await request(s, `/files/${ticket.id}`, {
    method: "PUT",
    headers: {
      Authorization: `Bearer ${ticket.token}`,
      "Upload-Offset": String(ticket.offset),
    },
    body: bytes.slice(),
  });
}

/** When `path` was last changed, or `undefined` if it does not exist. */
function statTime(path: string): Promise<number | undefined> {
  return Deno.stat(path).then(
    (info) => info.mtime?.getTime() ?? 0,
    () => undefined,
  );
}
