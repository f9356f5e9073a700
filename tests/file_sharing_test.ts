/**
 * File sharing over real sockets (docs/PROTOCOL.md, Files): a file offered
 * on the chat connection, its bytes PUT and GET over HTTP on the web port
 * with single-use tickets, shared into a room or with one user (online or
 * offline), listed, resumed, verified, limited and removed, with the bytes
 * in a temp folder under names made from ids only.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  ask,
  fetchFile,
  fileHarness,
  LOBBY,
  offer,
  patternBytes,
  put,
  refused,
  sha256,
} from "./_files.ts";

const T0 = 1_764_000_000_000;

Deno.test("a file shared into a room reaches its members, who fetch it as an attachment", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  const bytes = patternBytes(300_000);
  const ticket = await offer(alice, `#${LOBBY}`, bytes, "季度 报告.pdf");
  assert.equal(ticket.offset, 0);
  assert.equal(ticket.port, h.webPort);
  const uploaded = await put(h.webPort, ticket, bytes);
  assert.equal(uploaded.status, 201);
  assert.deepEqual(uploaded.body, { received: 300_000, complete: true });
  const shared = await bob.expect("FILE_SHARED ");
  assert.match(
    shared,
    new RegExp(
      `^FILE_SHARED \\d+ ${T0} alice #${LOBBY} ${ticket.id} 300000 季度 报告.pdf$`,
    ),
  );
  // The sender's copy confirms it.
  assert.equal(await alice.expect("FILE_SHARED "), shared);
  const download = await ask(bob, ticket.id);
  assert.equal(download.sha256, sha256(bytes));
  assert.equal(download.name, "季度 报告.pdf");
  const got = await fetchFile(h.webPort, download);
  assert.equal(got.status, 200);
  assert.deepEqual(got.bytes, bytes);
  assert.equal(got.headers.get("content-type"), "application/octet-stream");
  assert.equal(
    got.headers.get("content-disposition"),
    "attachment; filename=\"__ __.pdf\"; filename*=UTF-8''%E5%AD%A3%E5%BA%A6%20%E6%8A%A5%E5%91%8A.pdf",
  );
  assert.equal(got.headers.get("x-content-type-options"), "nosniff");
  assert.equal(
    got.headers.get("content-security-policy"),
    "default-src 'none'; sandbox",
  );
  assert.equal(
    got.headers.get("repr-digest"),
    `sha-256=:${
      btoa(String.fromCharCode(
        ...(sha256(bytes).match(/../g) ?? []).map((x) => parseInt(x, 16)),
      ))
    }:`,
  );
  // Stored under its id, nothing else.
  assert.deepEqual(await h.storedNames(), [`${ticket.id}.bin`]);
});

Deno.test("HELLO announces the largest file when sharing is on", async () => {
  await using h = await fileHarness({ files: { maxFileBytes: 1000 } });
  const { TestClient } = await import("./_client.ts");
  await using client = await TestClient.connect(h.server.addr.port);
  assert.match(
    await client.expect("HELLO "),
    /^HELLO tcpchat\/1 \S+ min_password=8 max_file=1000$/,
  );
});

Deno.test("a download ticket works once, for its holder's file, within a minute", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bytes = patternBytes(1000);
  const ticket = await offer(alice, `#${LOBBY}`, bytes, "a.txt");
  assert.equal((await put(h.webPort, ticket, bytes)).status, 201);
  // The upload ticket is used up.
  const again = await put(h.webPort, ticket, bytes);
  assert.equal(again.status, 403);
  assert.equal(again.body.error, "invalid_token");
  const first = await ask(alice, ticket.id);
  assert.equal((await fetchFile(h.webPort, first)).status, 200);
  const replay = await fetchFile(h.webPort, first);
  assert.equal(replay.status, 403);
  // Expired after a minute.
  const late = await ask(alice, ticket.id);
  h.clock.advance(60_000);
  assert.equal((await fetchFile(h.webPort, late)).status, 403);
  // Ended with the session.
  const orphan = await ask(alice, ticket.id);
  await alice.send("LOGOUT");
  await alice.expect("LOGOUT_SUCCESS");
  assert.equal((await fetchFile(h.webPort, orphan)).status, 403);
  // No ticket, a made-up one.
  assert.equal(
    (await fetchFile(h.webPort, { id: ticket.id, token: "x".repeat(43) }))
      .status,
    403,
  );
});

Deno.test("only the people a file was shared with can get a ticket for it", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  const carol = await h.user("carol");
  await carol.send("JOIN 技术");
  await carol.expect("HISTORY_END 技术 ");
  const secret = patternBytes(500);
  const toBob = await offer(alice, "bob", secret, "secret.txt");
  assert.equal((await put(h.webPort, toBob, secret)).status, 201);
  await bob.expect("FILE_SHARED ");
  const roomFile = patternBytes(400);
  const inLobby = await offer(alice, `#${LOBBY}`, roomFile, "lobby.txt");
  assert.equal((await put(h.webPort, inLobby, roomFile)).status, 201);
  // carol is in another room and is not bob.
  assert.match(
    await refused(carol, `FILE_GET ${toBob.id}`),
    new RegExp(`^ERROR no_such_file .*f${toBob.id}`),
  );
  assert.match(
    await refused(carol, `FILE_GET ${inLobby.id}`),
    /^ERROR no_such_file /,
  );
  assert.match(await refused(carol, "FILE_GET 999"), /^ERROR no_such_file /);
  // Back in the lobby she may fetch the lobby's file, still not bob's.
  await carol.send(`JOIN ${LOBBY}`);
  await carol.expect(`HISTORY_END ${LOBBY} `);
  assert.equal((await ask(carol, inLobby.id)).name, "lobby.txt");
  assert.match(
    await refused(carol, `FILE_GET ${toBob.id}`),
    /^ERROR no_such_file /,
  );
  // FILES: bob sees both, carol only the lobby's.
  await bob.send("FILES");
  assert.equal(await bob.expect("FILES_BEGIN "), "FILES_BEGIN 2");
  assert.equal(
    await bob.expect("FILE_ENTRY "),
    `FILE_ENTRY ${toBob.id} ${T0} alice bob 500 secret.txt`,
  );
  assert.equal(
    await bob.expect("FILE_ENTRY "),
    `FILE_ENTRY ${inLobby.id} ${T0} alice #${LOBBY} 400 lobby.txt`,
  );
  await bob.expect("FILES_END");
  await carol.send("FILES");
  assert.equal(await carol.expect("FILES_BEGIN "), "FILES_BEGIN 1");
});

Deno.test("a file for an offline user waits for their next login, like a private message", async () => {
  await using h = await fileHarness();
  const bob = await h.user("bob");
  await bob.close();
  const alice = await h.user("alice");
  const bytes = patternBytes(2048);
  const ticket = await offer(alice, "bob", bytes, "notes.md");
  assert.equal((await put(h.webPort, ticket, bytes)).status, 201);
  assert.match(await alice.expect("FILE_SHARED "), / alice bob /);
  assert.equal(await alice.expect("PM_QUEUED "), "PM_QUEUED bob");
  const back = await h.login("bob");
  assert.equal(await back.expect("OFFLINE_BEGIN "), "OFFLINE_BEGIN 1");
  assert.match(
    await back.expect("FILE_SHARED "),
    new RegExp(` ${T0} alice bob ${ticket.id} 2048 notes.md$`),
  );
  await back.expect("OFFLINE_END");
  assert.equal(await alice.expect("PM_DELIVERED "), "PM_DELIVERED bob 1");
  const got = await fetchFile(h.webPort, await ask(back, ticket.id));
  assert.deepEqual(got.bytes, bytes);
});

Deno.test("a room's shared files show in its history", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bytes = patternBytes(10);
  const ticket = await offer(alice, `#${LOBBY}`, bytes, "x.bin");
  assert.equal((await put(h.webPort, ticket, bytes)).status, 201);
  const shared = await alice.expect("FILE_SHARED ");
  const messageId = shared.split(" ")[1];
  const bob = await h.user("bob");
  assert.ok(
    bob.lines.includes(
      `HISTORY_FILE ${messageId} ${T0} alice ${ticket.id} 10 x.bin`,
    ),
    bob.lines.join("\n"),
  );
});

Deno.test("an interrupted upload resumes from the bytes the server holds", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bytes = patternBytes(200_000);
  const first = await offer(alice, `#${LOBBY}`, bytes, "big.bin");
  // Only the first half arrives.
  const half = await put(h.webPort, first, bytes.slice(0, 100_000));
  assert.equal(half.status, 202);
  assert.deepEqual(half.body, { received: 100_000, complete: false });
  // The same offer again: the same file, the held offset, a new ticket.
  const second = await offer(alice, `#${LOBBY}`, bytes, "big.bin");
  assert.equal(second.id, first.id);
  assert.equal(second.offset, 100_000);
  assert.notEqual(second.token, first.token);
  // From the wrong offset: told where to resume.
  const wrong = await put(h.webPort, second, bytes, 0);
  assert.equal(wrong.status, 409);
  assert.equal(wrong.headers.get("upload-offset"), "100000");
  const third = await offer(alice, `#${LOBBY}`, bytes, "big.bin");
  const rest = await put(h.webPort, third, bytes, 100_000);
  assert.equal(rest.status, 201);
  const got = await fetchFile(h.webPort, await ask(alice, first.id));
  assert.deepEqual(got.bytes, bytes);
});

Deno.test("a download resumes with a Range", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bytes = patternBytes(50_000);
  const ticket = await offer(alice, `#${LOBBY}`, bytes, "r.bin");
  assert.equal((await put(h.webPort, ticket, bytes)).status, 201);
  const part = await fetchFile(h.webPort, await ask(alice, ticket.id), {
    Range: "bytes=30000-",
  });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get("content-range"), "bytes 30000-49999/50000");
  assert.deepEqual(part.bytes, bytes.slice(30_000));
  const past = await fetchFile(h.webPort, await ask(alice, ticket.id), {
    Range: "bytes=50000-",
  });
  assert.equal(past.status, 416);
});

Deno.test("an upload whose bytes do not match its SHA-256 is discarded, never shared", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  const bytes = patternBytes(4000);
  const ticket = await offer(
    alice,
    `#${LOBBY}`,
    bytes,
    "lie.bin",
    sha256(patternBytes(4000, 8)),
  );
  const result = await put(h.webPort, ticket, bytes);
  assert.equal(result.status, 422);
  assert.equal(result.body.error, "hash_mismatch");
  assert.deepEqual(await h.storedNames(), []);
  assert.equal(await h.store.getFile(ticket.id), undefined);
  await bob.send("FILES");
  assert.equal(await bob.expect("FILES_BEGIN "), "FILES_BEGIN 0");
  assert.ok(!bob.lines.some((line) => line.startsWith("FILE_SHARED ")));
});

Deno.test("size limits: one byte over is refused at the offer, a longer body at the upload", async () => {
  await using h = await fileHarness({ files: { maxFileBytes: 1000 } });
  const alice = await h.user("alice");
  assert.match(
    await refused(
      alice,
      `FILE_SEND #${LOBBY} 1001 ${sha256(patternBytes(1001))} big.bin`,
    ),
    /^ERROR file_too_large 文件太大（上限 1000 B）$/,
  );
  const bytes = patternBytes(1000);
  const ticket = await offer(alice, `#${LOBBY}`, bytes, "ok.bin");
  const longer = await put(
    h.webPort,
    ticket,
    new Uint8Array([...bytes, 1, 2, 3]),
  );
  assert.equal(longer.status, 413);
  assert.deepEqual(await h.storedNames(), []);
});

Deno.test("a user's quota counts their files; others are not held up", async () => {
  await using h = await fileHarness({
    files: { maxFileBytes: 1000, quotaBytes: 2500 },
  });
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  for (const seed of [1, 2]) {
    const bytes = patternBytes(1000, seed);
    const ticket = await offer(alice, `#${LOBBY}`, bytes, `${seed}.bin`);
    assert.equal((await put(h.webPort, ticket, bytes)).status, 201);
  }
  const third = patternBytes(1000, 3);
  assert.match(
    await refused(alice, `FILE_SEND #${LOBBY} 1000 ${sha256(third)} 3.bin`),
    /^ERROR quota_exceeded /,
  );
  // bob has his own quota.
  const ticket = await offer(bob, `#${LOBBY}`, third, "3.bin");
  assert.equal((await put(h.webPort, ticket, third)).status, 201);
});

Deno.test("unsafe names are shown made safe; the bytes stay under ids", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const cases: Array<[string, string]> = [
    ["../../x", "x"],
    ["C:\\x", "x"],
    ["CON", "_CON"],
  ];
  for (const [given, shown] of cases) {
    const bytes = new TextEncoder().encode(given);
    const ticket = await offer(alice, `#${LOBBY}`, bytes, given);
    assert.equal((await put(h.webPort, ticket, bytes)).status, 201);
    assert.match(
      await alice.expect("FILE_SHARED "),
      new RegExp(` ${shown}$`.replace("\\", "\\\\")),
    );
  }
  assert.match(
    await refused(
      alice,
      `FILE_SEND #${LOBBY} 1 ${sha256(new Uint8Array(1))} ${"a".repeat(4096)}`,
    ),
    /^ERROR message_too_long /,
  );
  const names = await h.storedNames();
  assert.equal(names.length, 3);
  assert.ok(names.every((name) => /^\d+\.bin$/.test(name)), names.join());
});

Deno.test("sharing into a room needs being in it; muted members cannot share", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bytes = patternBytes(5);
  assert.match(
    await refused(alice, `FILE_SEND #技术 5 ${sha256(bytes)} a.txt`),
    /^ERROR not_in_room .*\/join 技术/,
  );
  assert.match(
    await refused(alice, `FILE_SEND nobody 5 ${sha256(bytes)} a.txt`),
    /^ERROR no_such_user /,
  );
  assert.match(
    await refused(alice, `FILE_SEND alice 5 ${sha256(bytes)} a.txt`),
    /^ERROR pm_to_self /,
  );
});

Deno.test("an administrator's deletion of the message removes its file", async () => {
  await using h = await fileHarness();
  await (await h.user("admin1")).close();
  await h.grantAdmin("admin1");
  const admin = await h.login("admin1");
  const alice = await h.user("alice");
  const bytes = patternBytes(700);
  const ticket = await offer(alice, `#${LOBBY}`, bytes, "bad.bin");
  assert.equal((await put(h.webPort, ticket, bytes)).status, 201);
  const messageId = (await admin.expect("FILE_SHARED ")).split(" ")[1];
  await admin.send(`DELETE ${messageId}`);
  await admin.expect("OK deleted");
  assert.deepEqual(await h.storedNames(), []);
  assert.match(
    await refused(alice, `FILE_GET ${ticket.id}`),
    /^ERROR no_such_file /,
  );
});

Deno.test("deleting an account removes its files, and files past retention go", async () => {
  await using h = await fileHarness({ files: { retentionDays: 2 } });
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  const mine = patternBytes(100, 1);
  const a = await offer(alice, `#${LOBBY}`, mine, "a.bin");
  assert.equal((await put(h.webPort, a, mine)).status, 201);
  const his = patternBytes(100, 2);
  const b = await offer(bob, `#${LOBBY}`, his, "b.bin");
  assert.equal((await put(h.webPort, b, his)).status, 201);
  await alice.send("DELETE_ACCOUNT alice password123");
  await alice.expect("DELETE_SUCCESS");
  await bob.send("PING x");
  await bob.expect("PONG x");
  // The sweep runs right after the deletion; wait for it to have removed a.
  for (let i = 0; i < 50 && (await h.storedNames()).length > 1; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.deepEqual(await h.storedNames(), [`${b.id}.bin`]);
  h.clock.advance(3 * 24 * 60 * 60 * 1000);
  h.server.sweep();
  for (let i = 0; i < 50 && (await h.storedNames()).length > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.deepEqual(await h.storedNames(), []);
});

Deno.test("with file sharing off, the verbs answer files_disabled", async () => {
  await using h = await fileHarness();
  void h;
  const { startChatServer } = await import("../lib/server/net/chat_server.ts");
  const { SqliteStore } = await import("../lib/store/sqlite/sqlite_store.ts");
  const { TestClient } = await import("./_client.ts");
  const server = startChatServer({
    hostname: "127.0.0.1",
    port: 0,
    hashIterations: 1000,
    sweepIntervalMs: 0,
    store: SqliteStore.open(":memory:"),
  });
  await using client = await TestClient.connect(server.addr.port);
  await client.registerAndLogin("alice");
  assert.match(await refused(client, "FILES"), /^ERROR files_disabled /);
  await server.shutdown();
});

Deno.test("an upload without a Content-Length (chunked) is refused with 411 and the ticket is kept", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bytes = patternBytes(200_000);
  const ticket = await offer(alice, `#${LOBBY}`, bytes, "a.bin");
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) return controller.close();
      sent = true;
      controller.enqueue(bytes);
    },
  });
  const response = await fetch(
    `http://127.0.0.1:${h.webPort}/files/${ticket.id}`,
    {
      method: "PUT",
      headers: {
        Authorization: `Bearer ${ticket.token}`,
        "Upload-Offset": "0",
      },
      body,
      // @ts-ignore: Deno's RequestInit lacks duplex, a streamed body needs it.
      duplex: "half",
    },
  );
  assert.equal(response.status, 411);
  assert.equal((await response.json()).error, "length_required");
  // Refused before the ticket was used: the same ticket still works.
  const uploaded = await put(h.webPort, ticket, bytes);
  assert.equal(uploaded.status, 201);
});
