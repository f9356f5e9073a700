/**
 * The client side of file transfers (issue 15) against a small fake of the
 * server's HTTP contract (FILES_HTTP): uploads whole, resumed and refused;
 * downloads whole, resumed after a cut, refused, with a bad hash, next to a
 * taken name and under hostile names.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import {
  downloadFile,
  fileSha256,
  TransferError,
  transferUrl,
  uploadFile,
} from "../../lib/client/file_transfer.ts";

const TOKEN = "t".repeat(43);
const FILE_ID = 7;

/** `size` bytes of a fixed pattern, so two runs compare equal. */
function pattern(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 8)) & 255;
  return bytes;
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function jsonError(status: number, error: string, headers = {}): Response {
  return new Response(JSON.stringify({ error, message: `fake ${error}` }), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** What the fake upload endpoint holds and saw. */
interface UploadState {
  /** The bytes held so far; a test may prefill them (a resumed upload). */
  held: Uint8Array;
  /** The bytes of each PUT's body, in order. */
  bodies: Uint8Array[];
  /** PUTs seen, refused ones included. */
  requests: number;
}

/** A fake `PUT /files/7` for a file of `expected` bytes. */
function uploadServer(expected: Uint8Array, state: UploadState) {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      state.requests++;
      if (request.headers.get("Authorization") !== `Bearer ${TOKEN}`) {
        await request.body?.cancel();
        return jsonError(403, "invalid_token");
      }
      if (request.headers.get("Upload-Offset") !== String(state.held.length)) {
        await request.body?.cancel();
        return jsonError(409, "offset_mismatch", {
          "Upload-Offset": String(state.held.length),
        });
      }
      const body = new Uint8Array(await request.arrayBuffer());
      state.bodies.push(body);
      const all = new Uint8Array(state.held.length + body.length);
      all.set(state.held);
      all.set(body, state.held.length);
      state.held = all;
      if (sha256(all) !== sha256(expected)) {
        return jsonError(422, "hash_mismatch");
      }
      return Response.json({ received: all.length, complete: true }, {
        status: 201,
      });
    },
  );
}

/** How the fake download endpoint answers. */
interface DownloadBehaviour {
  /** Honour `Range` (206); false answers 200 with the whole file. */
  ranges?: boolean;
  /** Send this many bytes of the answer, then break the connection. */
  cutAfter?: number;
}

/** A fake `GET /files/7` serving `bytes`; records each request's `Range`. */
function downloadServer(
  bytes: Uint8Array<ArrayBuffer>,
  behaviour: DownloadBehaviour,
  ranges: (string | null)[],
) {
  return Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request) => {
      const range = request.headers.get("Range");
      ranges.push(range);
      if (request.headers.get("Authorization") !== `Bearer ${TOKEN}`) {
        return jsonError(403, "invalid_token");
      }
      let start = 0;
      const match = range === null ? null : /^bytes=(\d+)-$/.exec(range);
      if (match && behaviour.ranges !== false) start = Number(match[1]);
      if (start >= bytes.length && start > 0) {
        return jsonError(416, "bad_range");
      }
      const rest = bytes.subarray(start);
      const headers: Record<string, string> = {
        "Content-Type": "application/octet-stream",
        "Content-Length": String(rest.length),
      };
      if (start > 0) {
        headers["Content-Range"] = `bytes ${start}-${
          bytes.length - 1
        }/${bytes.length}`;
      }
      const cut = behaviour.cutAfter;
      const body = cut === undefined ? rest : new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(rest.slice(0, cut));
        },
        pull(controller) {
          // Fewer bytes than Content-Length: the server drops the connection.
          controller.close();
        },
      });
      return new Response(body, { status: start > 0 ? 206 : 200, headers });
    },
  );
}

function urlOf(server: Deno.HttpServer<Deno.NetAddr>): string {
  return transferUrl("127.0.0.1", server.addr.port, FILE_ID, false);
}

/** Asserts `values` strictly increase and end at `last`. */
function assertProgress(values: number[], last: number): void {
  assert.ok(values.length > 0);
  for (let i = 1; i < values.length; i++) {
    assert.ok(values[i]! > values[i - 1]!, `progress went ${values}`);
  }
  assert.equal(values.at(-1), last);
}

async function withTempDir(run: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "tcpchat_transfer_" });
  try {
    await run(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function rejectsWith(
  promise: Promise<unknown>,
  code: string,
): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof TransferError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.name, "TransferError");
    return true;
  });
}

async function listNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("transferUrl: http or https, IPv6 in brackets", () => {
  assert.equal(
    transferUrl("127.0.0.1", 8080, 7, false),
    "http://127.0.0.1:8080/files/7",
  );
  assert.equal(
    transferUrl("chat.example", 8443, 12, true),
    "https://chat.example:8443/files/12",
  );
  assert.equal(transferUrl("::1", 80, 1, false), "http://[::1]:80/files/1");
  assert.equal(transferUrl("[::1]", 80, 1, true), "https://[::1]:80/files/1");
  assert.throws(() => transferUrl("h", 0, 1, false), RangeError);
  assert.throws(() => transferUrl("h", 80, 0, false), RangeError);
});

Deno.test("fileSha256: the hex digest, a file of several chunks too", async () => {
  await withTempDir(async (dir) => {
    const small = join(dir, "abc");
    await Deno.writeTextFile(small, "abc");
    assert.equal(
      await fileSha256(small),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    const big = join(dir, "big");
    const bytes = pattern(300_001);
    await Deno.writeFile(big, bytes);
    assert.equal(await fileSha256(big), sha256(bytes));
    const aborted = AbortSignal.abort(new Error("stop"));
    await assert.rejects(fileSha256(big, aborted), /stop/);
  });
});

Deno.test("uploadFile: a whole file, progress up to its size", async () => {
  await withTempDir(async (dir) => {
    const bytes = pattern(300_000);
    const path = join(dir, "f.bin");
    await Deno.writeFile(path, bytes);
    const state: UploadState = {
      held: new Uint8Array(),
      bodies: [],
      requests: 0,
    };
    await using server = uploadServer(bytes, state);
    const progress: number[] = [];
    const result = await uploadFile({
      url: urlOf(server),
      token: TOKEN,
      path,
      offset: 0,
      size: bytes.length,
      onProgress: (sent, total) => {
        assert.equal(total, 300_000);
        progress.push(sent);
      },
    });
    assert.deepEqual(result, { status: "complete" });
    assert.deepEqual(state.held, bytes);
    assertProgress(progress, 300_000);
  });
});

Deno.test("uploadFile: resumed from an offset sends exactly the rest", async () => {
  await withTempDir(async (dir) => {
    const bytes = pattern(200_000);
    const path = join(dir, "f.bin");
    await Deno.writeFile(path, bytes);
    const state: UploadState = {
      held: bytes.slice(0, 123_456),
      bodies: [],
      requests: 0,
    };
    await using server = uploadServer(bytes, state);
    const progress: number[] = [];
    const result = await uploadFile({
      url: urlOf(server),
      token: TOKEN,
      path,
      offset: 123_456,
      size: bytes.length,
      onProgress: (sent) => progress.push(sent),
    });
    assert.deepEqual(result, { status: "complete" });
    assert.equal(state.bodies.length, 1);
    assert.deepEqual(state.bodies[0], bytes.slice(123_456));
    assert.ok(progress[0]! > 123_456);
    assertProgress(progress, 200_000);
  });
});

Deno.test("uploadFile: 409 gives the offset the server holds", async () => {
  await withTempDir(async (dir) => {
    const bytes = pattern(5_000);
    const path = join(dir, "f.bin");
    await Deno.writeFile(path, bytes);
    const state: UploadState = {
      held: bytes.slice(0, 4_000),
      bodies: [],
      requests: 0,
    };
    await using server = uploadServer(bytes, state);
    const result = await uploadFile({
      url: urlOf(server),
      token: TOKEN,
      path,
      offset: 1_000,
      size: bytes.length,
    });
    assert.deepEqual(result, { status: "offset_mismatch", held: 4_000 });
  });
});

Deno.test("uploadFile: 403 is TransferError invalid_token", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "f.bin");
    await Deno.writeFile(path, pattern(1_000));
    const state: UploadState = {
      held: new Uint8Array(),
      bodies: [],
      requests: 0,
    };
    await using server = uploadServer(pattern(1_000), state);
    await rejectsWith(
      uploadFile({
        url: urlOf(server),
        token: "u".repeat(43),
        path,
        offset: 0,
        size: 1_000,
      }),
      "invalid_token",
    );
  });
});

Deno.test("uploadFile: a file no longer its announced size is file_changed, nothing sent", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "f.bin");
    await Deno.writeFile(path, pattern(1_001));
    const state: UploadState = {
      held: new Uint8Array(),
      bodies: [],
      requests: 0,
    };
    await using server = uploadServer(pattern(1_000), state);
    await rejectsWith(
      uploadFile({
        url: urlOf(server),
        token: TOKEN,
        path,
        offset: 0,
        size: 1_000,
      }),
      "file_changed",
    );
    assert.equal(state.requests, 0);
  });
});

Deno.test("uploadFile: a server that is gone is network", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "f.bin");
    await Deno.writeFile(path, pattern(10));
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = listener.addr.port;
    listener.close(); // nothing listens there now
    await rejectsWith(
      uploadFile({
        url: transferUrl("127.0.0.1", port, FILE_ID, false),
        token: TOKEN,
        path,
        offset: 0,
        size: 10,
      }),
      "network",
    );
  });
});

Deno.test("downloadFile: a whole file, hash checked, progress up to its size", async () => {
  await withTempDir(async (dir) => {
    const bytes = pattern(250_000);
    const ranges: (string | null)[] = [];
    await using server = downloadServer(bytes, {}, ranges);
    const folder = join(dir, "downloads", "new"); // created on the way
    const progress: number[] = [];
    const result = await downloadFile({
      url: urlOf(server),
      token: TOKEN,
      folder,
      name: "报告.pdf",
      fileId: FILE_ID,
      size: bytes.length,
      sha256: sha256(bytes),
      onProgress: (received) => progress.push(received),
    });
    assert.equal(result.path, join(folder, "报告.pdf"));
    assert.deepEqual(await Deno.readFile(result.path), bytes);
    assert.deepEqual(await listNames(folder), ["报告.pdf"]);
    assert.deepEqual(ranges, [null]);
    assertProgress(progress, 250_000);
  });
});

Deno.test("downloadFile: a taken name gets name (1).ext, the original untouched", async () => {
  await withTempDir(async (dir) => {
    const bytes = pattern(1_000);
    await Deno.writeTextFile(join(dir, "报告.pdf"), "mine");
    await Deno.writeTextFile(join(dir, "报告 (1).pdf"), "mine too");
    await using server = downloadServer(bytes, {}, []);
    const result = await downloadFile({
      url: urlOf(server),
      token: TOKEN,
      folder: dir,
      name: "报告.pdf",
      fileId: FILE_ID,
      size: bytes.length,
      sha256: sha256(bytes),
    });
    assert.equal(result.path, join(dir, "报告 (2).pdf"));
    assert.deepEqual(await Deno.readFile(result.path), bytes);
    assert.equal(await Deno.readTextFile(join(dir, "报告.pdf")), "mine");
    assert.equal(
      await Deno.readTextFile(join(dir, "报告 (1).pdf")),
      "mine too",
    );
  });
});

Deno.test("downloadFile: cut midway keeps the part; the next call resumes with Range", async () => {
  await withTempDir(async (dir) => {
    const bytes = pattern(300_000);
    const ranges: (string | null)[] = [];
    const part = join(dir, "a.bin.f7.part");
    const options = {
      token: TOKEN,
      folder: dir,
      name: "a.bin",
      fileId: FILE_ID,
      size: bytes.length,
      sha256: sha256(bytes),
    };
    {
      await using cutting = downloadServer(
        bytes,
        { cutAfter: 100_000 },
        ranges,
      );
      await rejectsWith(
        downloadFile({ ...options, url: urlOf(cutting) }),
        "network",
      );
    }
    const kept = (await Deno.stat(part)).size;
    assert.ok(kept > 0 && kept <= 100_000, `kept ${kept}`);
    assert.deepEqual(await Deno.readFile(part), bytes.slice(0, kept));

    await using server = downloadServer(bytes, {}, ranges);
    const progress: number[] = [];
    const result = await downloadFile({
      ...options,
      url: urlOf(server),
      onProgress: (received) => progress.push(received),
    });
    assert.deepEqual(ranges, [null, `bytes=${kept}-`]);
    assert.deepEqual(await Deno.readFile(result.path), bytes);
    assert.deepEqual(await listNames(dir), ["a.bin"]);
    assert.ok(progress[0]! > kept);
    assertProgress(progress, 300_000);
  });
});

Deno.test("downloadFile: 200 to a Range starts over; a part too big starts over", async () => {
  await withTempDir(async (dir) => {
    const bytes = pattern(10_000);
    const part = join(dir, "a.bin.f7.part");
    const options = {
      token: TOKEN,
      folder: dir,
      name: "a.bin",
      fileId: FILE_ID,
      size: bytes.length,
      sha256: sha256(bytes),
    };
    const ranges: (string | null)[] = [];
    await using server = downloadServer(bytes, { ranges: false }, ranges);
    await Deno.writeFile(part, new Uint8Array(4_000).fill(9)); // wrong bytes
    const first = await downloadFile({ ...options, url: urlOf(server) });
    assert.deepEqual(await Deno.readFile(first.path), bytes);

    await Deno.writeFile(part, new Uint8Array(20_000).fill(9));
    const second = await downloadFile({ ...options, url: urlOf(server) });
    assert.equal(second.path, join(dir, "a (1).bin"));
    assert.deepEqual(await Deno.readFile(second.path), bytes);
    assert.deepEqual(ranges, ["bytes=4000-", null]);
    assert.deepEqual(await listNames(dir), ["a (1).bin", "a.bin"]);
  });
});

Deno.test("downloadFile: a hash mismatch deletes the part and throws", async () => {
  await withTempDir(async (dir) => {
    const bytes = pattern(5_000);
    await using server = downloadServer(bytes, {}, []);
    await rejectsWith(
      downloadFile({
        url: urlOf(server),
        token: TOKEN,
        folder: dir,
        name: "a.bin",
        fileId: FILE_ID,
        size: bytes.length,
        sha256: "0".repeat(64),
      }),
      "hash_mismatch",
    );
    assert.deepEqual(await listNames(dir), []);
  });
});

Deno.test("downloadFile: 403 is invalid_token and writes nothing", async () => {
  await withTempDir(async (dir) => {
    const bytes = pattern(5_000);
    await using server = downloadServer(bytes, {}, []);
    await rejectsWith(
      downloadFile({
        url: urlOf(server),
        token: "u".repeat(43),
        folder: dir,
        name: "a.bin",
        fileId: FILE_ID,
        size: bytes.length,
        sha256: sha256(bytes),
      }),
      "invalid_token",
    );
    assert.deepEqual(await listNames(dir), []);
  });
});

Deno.test("downloadFile: hostile names write only inside the folder", async () => {
  await withTempDir(async (dir) => {
    const folder = join(dir, "a", "b");
    await Deno.mkdir(folder, { recursive: true });
    const bytes = pattern(100);
    await using server = downloadServer(bytes, {}, []);
    const hostile = [
      "../../evil",
      "C:\\evil",
      "..",
      "/etc/passwd",
      "..\\..\\evil.txt",
      "a/../../b",
    ];
    for (const name of hostile) {
      const result = await downloadFile({
        url: urlOf(server),
        token: TOKEN,
        folder,
        name,
        fileId: FILE_ID,
        size: bytes.length,
        sha256: sha256(bytes),
      });
      assert.equal(join(result.path, ".."), folder, name);
    }
    assert.deepEqual(await listNames(dir), ["a"]);
    assert.deepEqual(await listNames(join(dir, "a")), ["b"]);
    assert.deepEqual(await listNames(folder), [
      "b",
      "evil",
      "evil (1)",
      "evil.txt",
      "file",
      "passwd",
    ]);
  });
});

Deno.test("downloadFile: a part file that is a link is refused", async () => {
  await withTempDir(async (dir) => {
    const folder = join(dir, "in");
    await Deno.mkdir(folder);
    const outside = join(dir, "outside");
    await Deno.writeTextFile(outside, "keep");
    try {
      await Deno.symlink(outside, join(folder, "a.bin.f7.part"));
    } catch (error) {
      if (error instanceof Deno.errors.PermissionDenied) return; // Windows without the right
      throw error;
    }
    const bytes = pattern(100);
    await using server = downloadServer(bytes, {}, []);
    await rejectsWith(
      downloadFile({
        url: urlOf(server),
        token: TOKEN,
        folder,
        name: "a.bin",
        fileId: FILE_ID,
        size: bytes.length,
        sha256: sha256(bytes),
      }),
      "unsafe_path",
    );
    assert.equal(await Deno.readTextFile(outside), "keep");
  });
});

Deno.test("uploadFile: a connection cut mid-body is network", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "f.bin");
    await Deno.writeFile(path, pattern(2_000_000));
    // A raw socket: reads the head and some of the body, then hangs up.
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const cutter = (async () => {
      const conn = await listener.accept();
      const buffer = new Uint8Array(64 * 1024);
      let got = 0;
      while (got < 200_000) {
        const read = await conn.read(buffer);
        if (read === null) break;
        got += read;
      }
      conn.close();
    })();
    try {
      await rejectsWith(
        uploadFile({
          url: transferUrl("127.0.0.1", listener.addr.port, FILE_ID, false),
          token: TOKEN,
          path,
          offset: 0,
          size: 2_000_000,
        }),
        "network",
      );
    } finally {
      await cutter;
      listener.close();
    }
  });
});

Deno.test("uploadFile: a refusal's code and sanitized message, or http_<status>", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "f.bin");
    await Deno.writeFile(path, pattern(10));
    let answer = new Response("");
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      async (request) => {
        await request.body?.cancel();
        return answer;
      },
    );
    const upload = () =>
      uploadFile({
        url: urlOf(server),
        token: TOKEN,
        path,
        offset: 0,
        size: 10,
      });
    answer = new Response(
      JSON.stringify({ error: "disk_full", message: "\x1b[2Jfull\u202e" }),
      { status: 507 },
    );
    await assert.rejects(upload(), (error) => {
      assert.ok(error instanceof TransferError);
      assert.equal(error.code, "disk_full");
      assert.equal(error.message, "full");
      return true;
    });
    answer = new Response("oops", { status: 500 });
    await rejectsWith(upload(), "http_500");
    answer = new Response("{}", { status: 409 }); // no Upload-Offset header
    await rejectsWith(upload(), "http_409");
  });
});

Deno.test("downloadFile: an abort keeps the part and rejects with its reason", async () => {
  await withTempDir(async (dir) => {
    const bytes = pattern(300_000);
    const abort = new AbortController();
    const reason = new Error("stopped by the user");
    // Sends a first piece, then nothing more until the client has aborted.
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () =>
        new Response(
          new ReadableStream<Uint8Array>({
            start(controller) {
              controller.enqueue(bytes.slice(0, 100_000));
            },
            async pull(controller) {
              const { promise, resolve } = Promise.withResolvers<void>();
              if (abort.signal.aborted) resolve();
              abort.signal.addEventListener("abort", () => resolve());
              await promise;
              controller.close();
            },
          }),
          { headers: { "Content-Length": String(bytes.length) } },
        ),
    );
    await assert.rejects(
      downloadFile({
        url: urlOf(server),
        token: TOKEN,
        folder: dir,
        name: "a.bin",
        fileId: FILE_ID,
        size: bytes.length,
        sha256: sha256(bytes),
        signal: abort.signal,
        onProgress: () => abort.abort(reason),
      }),
      (error) => error === reason,
    );
    const kept = await Deno.readFile(join(dir, "a.bin.f7.part"));
    assert.ok(kept.length > 0 && kept.length < bytes.length);
    assert.deepEqual(kept, bytes.slice(0, kept.length));
  });
});

Deno.test("downloadFile: a 206 from the wrong byte is bad_response", async () => {
  await withTempDir(async (dir) => {
    const bytes = pattern(1_000);
    await Deno.writeFile(join(dir, "a.bin.f7.part"), bytes.slice(0, 400));
    await using server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () =>
        new Response(bytes.slice(300), {
          status: 206,
          headers: { "Content-Range": "bytes 300-999/1000" },
        }),
    );
    await rejectsWith(
      downloadFile({
        url: urlOf(server),
        token: TOKEN,
        folder: dir,
        name: "a.bin",
        fileId: FILE_ID,
        size: bytes.length,
        sha256: sha256(bytes),
      }),
      "bad_response",
    );
    assert.deepEqual(await listNames(dir), ["a.bin.f7.part"]);
  });
});

Deno.test("downloadFile: a 416 to a resume deletes the part, the next try starts over", async () => {
  await withTempDir(async (dir) => {
    const bytes = pattern(1_000);
    const part = join(dir, "a.bin.f7.part");
    await Deno.writeFile(part, bytes.slice(0, 400));
    const ranges: (string | null)[] = [];
    await using server = downloadServer(bytes.slice(0, 300), {}, ranges);
    await rejectsWith(
      downloadFile({
        url: urlOf(server),
        token: TOKEN,
        folder: dir,
        name: "a.bin",
        fileId: FILE_ID,
        size: bytes.length,
        sha256: sha256(bytes),
      }),
      "bad_range",
    );
    assert.deepEqual(ranges, ["bytes=400-"]);
    assert.deepEqual(await listNames(dir), []);
  });
});

Deno.test("uploadFile and downloadFile: an empty file", async () => {
  await withTempDir(async (dir) => {
    const empty = new Uint8Array(0);
    const path = join(dir, "empty");
    await Deno.writeFile(path, empty);
    const state: UploadState = {
      held: new Uint8Array(),
      bodies: [],
      requests: 0,
    };
    {
      await using uploads = uploadServer(empty, state);
      const progress: number[] = [];
      assert.deepEqual(
        await uploadFile({
          url: urlOf(uploads),
          token: TOKEN,
          path,
          offset: 0,
          size: 0,
          onProgress: (sent) => progress.push(sent),
        }),
        { status: "complete" },
      );
      assert.deepEqual(progress, [0]);
    }
    const ranges: (string | null)[] = [];
    await using downloads = downloadServer(empty, {}, ranges);
    const folder = join(dir, "in");
    const result = await downloadFile({
      url: urlOf(downloads),
      token: TOKEN,
      folder,
      name: "empty.txt",
      fileId: FILE_ID,
      size: 0,
      sha256: sha256(empty),
    });
    assert.equal(result.path, join(folder, "empty.txt"));
    assert.equal((await Deno.stat(result.path)).size, 0);
    assert.deepEqual(ranges, [null]);
  });
});
