/**
 * Read receipts and unread counts over real sockets (docs/PROTOCOL.md, 16):
 * `PM_RECEIPT delivered` before the sender's copy or at the recipient's
 * login, `PM_RECEIPT read` live or at the sender's next login, `RECEIPTS
 * off`, and per-room read positions with `UNREAD` at login, before
 * `ROOM_LIST` and after a room's count changed, kept in the store across
 * sessions.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileHarness, LOBBY } from "./_files.ts";
import type { TestClient } from "./_client.ts";

const T0 = 1_764_000_000_000;

/** The lines `client` got from now until its `PONG` to a `PING`. */
async function linesUntilPong(client: TestClient): Promise<string[]> {
  const from = client.lines.length;
  const token = `p${from}`;
  await client.send(`PING ${token}`);
  await client.expect(`PONG ${token}`);
  return client.lines.slice(from).filter((line) => line !== `PONG ${token}`);
}

/** The id of a `PRIVATE` or `MESSAGE` line. */
function idOf(line: string): number {
  return Number(line.split(" ")[1]);
}

Deno.test("a private message to an online user is marked delivered before the sender's copy, then read", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  await alice.send("PRIVMSG bob 在吗？");
  const receipt = await alice.expect("PM_RECEIPT ");
  const copy = await alice.next();
  assert.match(copy, /^PRIVATE \d+ /);
  const id = idOf(copy);
  assert.equal(receipt, `PM_RECEIPT bob ${id} delivered ${T0}`);
  assert.equal(idOf(await bob.expect("PRIVATE ")), id);
  h.clock.advance(5_000);
  await bob.send(`READ alice ${id}`);
  assert.equal(
    await alice.expect("PM_RECEIPT "),
    `PM_RECEIPT bob ${id} read ${T0 + 5_000}`,
  );
  // The same read again moves nothing and tells nobody.
  await bob.send(`READ alice ${id}`);
  assert.deepEqual(await linesUntilPong(bob), []);
  assert.deepEqual(
    (await linesUntilPong(alice)).filter((l) => l.startsWith("PM_RECEIPT")),
    [],
  );
});

Deno.test("READ of a message that is not a private one from that user to the reader is refused", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  const carol = await h.user("carol");
  await alice.send("PRIVMSG bob for bob");
  const id = idOf(await bob.expect("PRIVATE "));
  // carol did not receive it; bob names the wrong sender; a room message.
  await carol.send(`READ alice ${id}`);
  assert.match(await carol.expect("ERROR "), /^ERROR no_such_message /);
  await bob.send(`READ carol ${id}`);
  assert.match(await bob.expect("ERROR "), /^ERROR no_such_message /);
  await alice.send("MSG hello room");
  const roomId = idOf(await bob.expect("MESSAGE "));
  await bob.send(`READ alice ${roomId}`);
  assert.match(await bob.expect("ERROR "), /^ERROR no_such_message /);
  await bob.send(`READ nobody ${id}`);
  assert.match(await bob.expect("ERROR "), /^ERROR no_such_user /);
  assert.deepEqual(
    (await linesUntilPong(alice)).filter((l) => l.startsWith("PM_RECEIPT")),
    [],
  );
});

Deno.test("stored messages are marked delivered at the recipient's login; a read while the sender is away reaches it at its next login, once", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  await bob.send("LOGOUT");
  await bob.expect("LOGOUT_SUCCESS");
  await alice.send("PRIVMSG bob one");
  await alice.send("PRIVMSG bob two");
  const first = idOf(await alice.expect("PRIVATE "));
  const second = idOf(await alice.expect("PRIVATE "));
  assert.ok(second > first);
  await alice.expect("PM_QUEUED bob");
  h.clock.advance(60_000);
  const bob2 = await h.login("bob");
  await bob2.expect("OFFLINE_END");
  assert.equal(await alice.expect("PM_DELIVERED "), "PM_DELIVERED bob 2");
  assert.equal(
    await alice.expect("PM_RECEIPT "),
    `PM_RECEIPT bob ${second} delivered ${T0 + 60_000}`,
  );
  await alice.send("LOGOUT");
  await alice.expect("LOGOUT_SUCCESS");
  h.clock.advance(1_000);
  await bob2.send(`READ alice ${second}`);
  await linesUntilPong(bob2);
  const alice2 = await h.login("alice");
  assert.equal(
    await alice2.expect("PM_RECEIPT "),
    `PM_RECEIPT bob ${second} read ${T0 + 61_000}`,
  );
  await alice2.send("LOGOUT");
  await alice2.expect("LOGOUT_SUCCESS");
  const alice3 = await h.login("alice");
  assert.deepEqual(
    alice3.lines.filter((line) => line.startsWith("PM_RECEIPT")),
    [],
  );
  assert.deepEqual(
    (await linesUntilPong(alice3)).filter((l) => l.startsWith("PM_RECEIPT")),
    [],
  );
});

Deno.test("with receipts off, reads are not reported, and the setting stays with the account", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  await bob.send("RECEIPTS");
  assert.match(await bob.expect("OK "), /^OK receipts_on /);
  await bob.send("RECEIPTS off");
  assert.match(await bob.expect("OK "), /^OK receipts_off /);
  await alice.send("PRIVMSG bob secret reader");
  const id = idOf(await bob.expect("PRIVATE "));
  await bob.send(`READ alice ${id}`);
  await linesUntilPong(bob);
  assert.deepEqual(
    (await linesUntilPong(alice)).filter((l) => l.includes(" read ")),
    [],
  );
  await bob.send("LOGOUT");
  await bob.expect("LOGOUT_SUCCESS");
  const bob2 = await h.login("bob");
  await bob2.send("RECEIPTS");
  assert.match(await bob2.expect("OK "), /^OK receipts_off /);
  await bob2.send("RECEIPTS on");
  await bob2.expect("OK receipts_on");
  await alice.send("PRIVMSG bob now you may see");
  const next = idOf(await bob2.expect("PRIVATE "));
  await bob2.send(`READ alice ${next}`);
  assert.equal(
    await alice.next((l) =>
      l.startsWith("PM_RECEIPT bob ") && l.includes(" read ")
    ),
    `PM_RECEIPT bob ${next} read ${T0}`,
  );
});

Deno.test("unread counts: a room's messages count for members elsewhere, survive a new session, and go when read", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  // A first login has nothing unread.
  assert.equal(await alice.expect("UNREAD"), "UNREAD");
  const bob = await h.user("bob");
  await alice.send("JOIN 技术");
  await alice.expect("HISTORY_END 技术 ");
  await alice.send("LEAVE");
  await alice.expect(`HISTORY_END ${LOBBY} `);
  await bob.send("JOIN 技术");
  await bob.expect("HISTORY_END 技术 ");
  await bob.send("MSG one");
  await bob.send("MSG two");
  await bob.send("MSG three");
  await linesUntilPong(bob);
  h.server.sweep();
  assert.equal(await alice.expect("UNREAD "), "UNREAD 技术=3");
  // Nothing changed: no new UNREAD on the next sweep.
  h.server.sweep();
  assert.deepEqual(
    (await linesUntilPong(alice)).filter((l) => l.startsWith("UNREAD")),
    [],
  );
  await alice.send("ROOMS");
  assert.equal(await alice.next(), "UNREAD 技术=3");
  assert.match(await alice.next(), /^ROOM_LIST /);
  // A new session (as when switching from the terminal to the page).
  await alice.send("LOGOUT");
  await alice.expect("LOGOUT_SUCCESS");
  const again = await h.login("alice");
  assert.equal(await again.expect("UNREAD"), "UNREAD 技术=3");
  await again.send("JOIN 技术");
  const history = [];
  while (true) {
    const line = await again.next();
    if (line.startsWith("HISTORY_MESSAGE ")) history.push(idOf(line));
    if (line.startsWith("HISTORY_END")) break;
  }
  await again.send(`READ #技术 ${history.at(-1)}`);
  await again.send("LEAVE");
  await again.expect(`HISTORY_END ${LOBBY} `);
  await again.send("ROOMS");
  assert.equal(await again.expect("UNREAD"), "UNREAD");
});

Deno.test("unread counts leave out one's own and deleted messages, and what was said before one's first visit", async () => {
  await using h = await fileHarness();
  const admin = await h.user("carol");
  await h.grantAdmin("carol");
  const bob = await h.user("bob");
  await bob.send("JOIN dev");
  await bob.expect("HISTORY_END dev ");
  await bob.send("MSG before alice ever came");
  await linesUntilPong(bob);
  const alice = await h.user("alice");
  await alice.send("JOIN dev");
  await alice.expect("HISTORY_END dev ");
  await alice.send("MSG mine");
  await alice.send("LEAVE");
  await alice.expect(`HISTORY_END ${LOBBY} `);
  await bob.send("MSG keep");
  await bob.send("MSG delete me");
  await linesUntilPong(bob);
  // A sender gets no copy of its room message: the id is in the history.
  await admin.send("JOIN dev");
  let deleteId = 0;
  while (true) {
    const line = await admin.next();
    if (line.endsWith("delete me")) deleteId = idOf(line);
    if (line.startsWith("HISTORY_END")) break;
  }
  await admin.send(`DELETE ${deleteId}`);
  await admin.expect("OK deleted");
  await alice.send("ROOMS");
  assert.equal(await alice.expect("UNREAD"), "UNREAD dev=1");
});

Deno.test("READ of a room one is not in is refused", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  await alice.send("READ #技术 1");
  assert.match(await alice.expect("ERROR "), /^ERROR not_in_room /);
  await alice.send(`READ #${LOBBY} 99999999`);
  assert.deepEqual(await linesUntilPong(alice), []);
});

Deno.test("READ lines a client sends by itself do not use up the user's flood budget", async () => {
  // REGISTER and LOGIN take two of the four; the two USERS the rest.
  await using h = await fileHarness({ rateBurst: 4, ratePerSecond: 1 });
  const alice = await h.user("alice");
  for (let i = 0; i < 8; i++) await alice.send(`READ #${LOBBY} 1`);
  await alice.send("USERS");
  await alice.send("USERS");
  await alice.expect("USER_LIST ");
  await alice.expect("USER_LIST ");
  assert.ok(!alice.lines.some((line) => line.startsWith("ERROR rate_limited")));
});

Deno.test("unread counts come back with a resumed session", async () => {
  await using h = await fileHarness();
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  await alice.send("JOIN 技术");
  await alice.expect("HISTORY_END 技术 ");
  await alice.send("LEAVE");
  await alice.expect(`HISTORY_END ${LOBBY} `);
  const token = alice.lines.find((l) => l.startsWith("RESUME_TOKEN "))!
    .slice("RESUME_TOKEN ".length);
  await alice.close();
  await bob.send("JOIN 技术");
  await bob.expect("HISTORY_END 技术 ");
  await bob.send("MSG one");
  await bob.send("MSG two");
  await linesUntilPong(bob);
  const { TestClient } = await import("./_client.ts");
  await using again = await TestClient.connect(h.server.addr.port);
  await again.expect("HELLO ");
  await again.send(`RESUME alice ${token}`);
  assert.equal(await again.expect("AUTH_"), "AUTH_SUCCESS alice");
  assert.equal(await again.expect("UNREAD"), "UNREAD 技术=2");
});
