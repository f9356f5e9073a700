/**
 * Avatars over real sockets and HTTP (docs/PROTOCOL.md, 17): emoji avatars
 * with `AVATAR`, announced to everyone as `AVATAR_LIST`, sent before
 * `USER_LIST` and `WHOIS_INFO`, asked for with `AVATARS`; pictures uploaded
 * with an `AVATAR_IMAGE` ticket to `PUT /avatar`, checked server-side
 * (never SVG) and served from `/avatars/<user>` with nosniff.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileHarness, LOBBY } from "./_files.ts";
import type { TestClient } from "./_client.ts";

const FIXTURES = new URL("./fixtures/avatars/", import.meta.url);

function fixture(name: string): Promise<Uint8Array> {
  return Deno.readFile(new URL(name, FIXTURES));
}

/** Asks for an upload ticket for `size` bytes. */
async function ticket(
  client: TestClient,
  size: number,
): Promise<{ port: number; token: string }> {
  await client.send(`AVATAR_IMAGE ${size}`);
  const [, port, token] = (await client.expect("AVATAR_UPLOAD ")).split(" ");
  return { port: Number(port), token: token! };
}

/** PUTs `body` to `/avatar` with `token`; resolves status and JSON. */
async function upload(
  port: number,
  token: string,
  body: Uint8Array,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${port}/avatar`, {
    method: "PUT",
    headers: { Authorization: `Bearer ${token}` },
    body: body as Uint8Array<ArrayBuffer>,
  });
  return { status: response.status, json: await response.json() };
}

Deno.test("an emoji avatar is set, announced to everyone, and comes before USER_LIST and WHOIS_INFO", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  await alice.send("AVATAR 🐱");
  assert.equal(await alice.expect("OK "), "OK avatar_set 头像已设置为 🐱");
  assert.equal(await bob.expect("AVATAR_LIST "), "AVATAR_LIST alice=🐱");
  assert.equal(await alice.expect("AVATAR_LIST "), "AVATAR_LIST alice=🐱");
  await bob.send("USERS");
  assert.equal(await bob.next(), "AVATAR_LIST alice=🐱");
  assert.equal(await bob.next(), `USER_LIST ${LOBBY} alice bob`);
  await bob.send("WHOIS alice");
  assert.equal(await bob.next(), "AVATAR_LIST alice=🐱");
  assert.match(await bob.next(), /^WHOIS_INFO alice /);
  await alice.send("WHOIS bob");
  assert.equal(await alice.next(), "AVATAR_LIST bob=-");
  await bob.send("AVATARS alice bob nobody");
  assert.equal(await bob.expect("AVATAR_LIST "), "AVATAR_LIST alice=🐱 bob=-");
  await alice.send("AVATAR");
  assert.match(await alice.expect("OK "), /^OK avatar_cleared /);
  assert.equal(await bob.expect("AVATAR_LIST "), "AVATAR_LIST alice=-");
  // No marks to send: USER_LIST comes alone.
  await bob.send("USERS");
  assert.equal(await bob.next(), `USER_LIST ${LOBBY} alice bob`);
});

Deno.test("avatar changes are limited to six a minute, and refused while muted", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  for (const emoji of ["🐱", "🐶", "🐭", "🐹", "🐰", "🦊"]) {
    await alice.send(`AVATAR ${emoji}`);
    assert.match(await alice.expect("OK "), /^OK avatar_set /);
  }
  await alice.send("AVATAR 🐻");
  assert.match(await alice.expect("ERROR "), /^ERROR rate_limited /);
  h.clock.advance(60_000);
  await alice.send("AVATAR 🐻");
  assert.match(await alice.expect("OK "), /^OK avatar_set /);
  await alice.send("AVATAR A");
  assert.match(await alice.expect("ERROR "), /^ERROR invalid_command /);
  const mod = await h.user("carol");
  await h.grantAdmin("carol");
  await mod.send("MUTE alice 5");
  await mod.expect("OK muted");
  await alice.send("AVATAR 🐼");
  assert.match(await alice.expect("MUTED "), /^MUTED /);
});

Deno.test("a picture is checked, stored, announced and served with its own type and nosniff", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  const png = await fixture("8x6.png");
  const grant = await ticket(alice, png.length);
  assert.equal(grant.port, h.webPort);
  const stored = await upload(grant.port, grant.token, png);
  assert.deepEqual(stored, { status: 201, json: { version: 1 } });
  assert.equal(await bob.expect("AVATAR_LIST "), "AVATAR_LIST alice=img:1");
  const served = await fetch(`http://127.0.0.1:${h.webPort}/avatars/alice?v=1`);
  assert.equal(served.status, 200);
  assert.deepEqual(new Uint8Array(await served.arrayBuffer()), png);
  assert.equal(served.headers.get("content-type"), "image/png");
  assert.equal(served.headers.get("x-content-type-options"), "nosniff");
  assert.equal(
    served.headers.get("content-security-policy"),
    "default-src 'none'; sandbox",
  );
  assert.equal(
    served.headers.get("cache-control"),
    "public, max-age=31536000, immutable",
  );
  // Any spelling of the name; an old version is not cached for good.
  const other = await fetch(`http://127.0.0.1:${h.webPort}/avatars/ALICE?v=0`);
  assert.equal(other.headers.get("cache-control"), "no-cache");
  await other.body?.cancel();
  // The ticket is single-use.
  const replay = await upload(grant.port, grant.token, png);
  assert.equal(replay.status, 403);
  // A new picture gets a new version; an emoji replaces the picture.
  const webp = await fixture("8x6_lossy.webp");
  const second = await ticket(alice, webp.length);
  assert.deepEqual((await upload(second.port, second.token, webp)).json, {
    version: 2,
  });
  const now = await fetch(`http://127.0.0.1:${h.webPort}/avatars/alice?v=2`);
  assert.equal(now.headers.get("content-type"), "image/webp");
  await now.body?.cancel();
  await alice.send("AVATAR 🐱");
  await alice.expect("OK avatar_set");
  const gone = await fetch(`http://127.0.0.1:${h.webPort}/avatars/alice`);
  assert.equal(gone.status, 404);
  await gone.body?.cancel();
  const nobody = await fetch(`http://127.0.0.1:${h.webPort}/avatars/nobody`);
  assert.equal(nobody.status, 404);
  await nobody.body?.cancel();
});

Deno.test("SVG, damaged, oversized and over-pixel pictures are refused and nothing is stored", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const cases: Array<[Uint8Array, number, string]> = [
    [await fixture("8x6.svg"), 415, "unsupported_image"],
    [await fixture("text_renamed.png"), 415, "unsupported_image"],
    [(await fixture("8x6.png")).subarray(0, 60), 422, "invalid_image"],
    [await fixture("1025x1.png"), 422, "invalid_image"],
    [new Uint8Array(256 * 1024 + 1), 413, "too_large"],
  ];
  for (const [body, status, error] of cases) {
    const grant = await ticket(alice, Math.min(body.length, 256 * 1024));
    const answer = await upload(grant.port, grant.token, body);
    assert.equal(answer.status, status, error);
    assert.equal(answer.json.error, error);
    h.clock.advance(10_001);
  }
  await alice.send(`AVATAR_IMAGE ${256 * 1024 + 1}`);
  assert.match(await alice.expect("ERROR "), /^ERROR file_too_large /);
  const served = await fetch(`http://127.0.0.1:${h.webPort}/avatars/alice`);
  assert.equal(served.status, 404);
  await served.body?.cancel();
  await alice.send("WHOIS alice");
  assert.equal(await alice.expect("AVATAR_LIST "), "AVATAR_LIST alice=-");
});

Deno.test("an upload ticket is void once its session ended, and worthless without one", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const png = await fixture("8x6.png");
  const grant = await ticket(alice, png.length);
  await alice.send("LOGOUT");
  await alice.expect("LOGOUT_SUCCESS");
  assert.equal((await upload(grant.port, grant.token, png)).status, 403);
  const none = await fetch(`http://127.0.0.1:${h.webPort}/avatar`, {
    method: "PUT",
    body: png as Uint8Array<ArrayBuffer>,
  });
  assert.equal(none.status, 403);
  await none.body?.cancel();
  const get = await fetch(`http://127.0.0.1:${h.webPort}/avatar`);
  assert.equal(get.status, 405);
  await get.body?.cancel();
});
