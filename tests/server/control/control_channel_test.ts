import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ControlChannelError,
  type ControlRequest,
  newControlSecret,
  readControlFile,
  sendControlRequest,
  startControlListener,
  writeControlFile,
} from "../../../lib/server/control/control_channel.ts";
import { tempDir } from "../../_util.ts";

const REQUEST: ControlRequest = {
  command: "users",
  args: [],
  lang: "zh",
};

Deno.test("control channel carries a request with the right secret and answers once", async () => {
  const secret = newControlSecret();
  const seen: ControlRequest[] = [];
  await using listener = startControlListener({
    secret,
    handle: (request) => {
      seen.push(request);
      return Promise.resolve({
        exitCode: 3,
        lines: [{ stream: "out", text: "共 0 个账户" }],
      });
    },
  });
  const reply = await sendControlRequest(
    { port: listener.port, secret },
    { ...REQUEST, input: "{}" },
  );
  assert.deepEqual(reply, {
    exitCode: 3,
    lines: [{ stream: "out", text: "共 0 个账户" }],
  });
  assert.deepEqual(seen, [{ ...REQUEST, input: "{}" }]);
});

Deno.test("control channel closes without a word on a wrong secret, however close", async () => {
  const secret = newControlSecret();
  assert.equal(secret.length, 64);
  let handled = 0;
  await using listener = startControlListener({
    secret,
    handle: () => {
      handled++;
      return Promise.resolve({ exitCode: 0, lines: [] });
    },
  });
  // A different character at one position (never the same one by chance).
  const other = (char: string) => char === "0" ? "1" : "0";
  const mid = secret.length / 2;
  for (
    const wrong of [
      "",
      secret.slice(0, -1),
      secret.slice(0, -1) + other(secret.at(-1)!),
      other(secret[0]!) + secret.slice(1),
      secret.slice(0, mid) + other(secret[mid]!) + secret.slice(mid + 1),
      secret + "0",
    ]
  ) {
    await assert.rejects(
      sendControlRequest({ port: listener.port, secret: wrong }, REQUEST),
      ControlChannelError,
    );
  }
  assert.equal(handled, 0);
});

Deno.test("control channel ignores junk and requests of the wrong shape", async () => {
  const secret = newControlSecret();
  let handled = 0;
  await using listener = startControlListener({
    secret,
    handle: () => {
      handled++;
      return Promise.resolve({ exitCode: 0, lines: [] });
    },
  });
  for (
    const line of [
      "not json",
      "[]",
      "null",
      JSON.stringify({ secret, command: "users", args: [1], lang: "zh" }),
      JSON.stringify({ secret, command: 7, args: [], lang: "zh" }),
      "\xff\xfe",
    ]
  ) {
    const conn = await Deno.connect({
      hostname: "127.0.0.1",
      port: listener.port,
    });
    await conn.write(new TextEncoder().encode(`${line}\n`));
    const buffer = new Uint8Array(16);
    assert.equal(await conn.read(buffer), null, line);
    conn.close();
  }
  assert.equal(handled, 0);
  // Still serving after all that.
  const reply = await sendControlRequest(
    { port: listener.port, secret },
    REQUEST,
  );
  assert.equal(reply.exitCode, 0);
});

Deno.test("control file round-trips, and half-written or missing files read as undefined", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "chat.db.control");
  assert.equal(readControlFile(path), undefined);
  writeControlFile(path, { port: 40123, secret: "ab12" });
  assert.deepEqual(readControlFile(path), { port: 40123, secret: "ab12" });
  // A dead server's file is replaced, not appended to.
  writeControlFile(path, { port: 40124, secret: "cd34" });
  assert.deepEqual(readControlFile(path), { port: 40124, secret: "cd34" });
  if (Deno.build.os !== "windows") {
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600);
  }
  await Deno.writeTextFile(path, '{"port": 40125, "sec');
  assert.equal(readControlFile(path), undefined);
  await Deno.writeTextFile(path, '{"port": 70000, "secret": "x"}');
  assert.equal(readControlFile(path), undefined);
});
