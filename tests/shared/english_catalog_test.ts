/**
 * The English catalog's join, leave, room-switch and disconnect notices as
 * literal sentences: in the catalog, as the English client renders the
 * server's events, and in the console of a server started with `--lang en`.
 * The Chinese ones are the seed's and have their own tests; a catalog test
 * of only one language lets the other drift unnoticed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { startChatServer } from "../../lib/server/net/chat_server.ts";
import { renderEvent, type ViewContext } from "../../lib/client/view.ts";
import { ManualClock } from "../../lib/shared/clock.ts";
import { PLAIN_PALETTE } from "../../lib/client/colors.ts";
import { t } from "../../lib/shared/messages.ts";
import { parseReply, type Reply } from "../../lib/protocol/protocol.ts";
import { SqliteStore } from "../../lib/store/sqlite/sqlite_store.ts";
import { TestClient } from "../_client.ts";
import { tempDir } from "../_util.ts";

const EN: ViewContext = { lang: "en", palette: PLAIN_PALETTE, ownName: "Amy" };

/** `line` parsed; fails the test when it is not a valid reply. */
function parsed(line: string): Reply {
  const reply = parseReply(line);
  assert.notEqual(reply.type, "invalid", line);
  return reply as Reply;
}

Deno.test("English catalog: join, leave, room switch and disconnect sentences", () => {
  assert.equal(
    t("en", "userJoined", { username: "Bob" }),
    "Bob joined the chat",
  );
  assert.equal(t("en", "userLeft", { username: "Bob" }), "Bob left the chat");
  assert.equal(
    t("en", "userMoved", { username: "Bob", room: "tech" }),
    "Bob left for room tech",
  );
  assert.equal(
    t("en", "logClientConnected", { username: "Bob", address: "10.0.0.2" }),
    "[Client connected] Bob (10.0.0.2)",
  );
  assert.equal(
    t("en", "logClientDisconnected", { username: "Bob", count: 1 }),
    "[Client disconnected] Bob (users online: 1)",
  );
  assert.equal(t("en", "disconnected"), "[Client] Disconnected");
  assert.equal(
    t("en", "connectionLost"),
    "[Client] Connection to the server lost; reconnecting...",
  );
});

Deno.test("English client renders USER_JOINED, USER_LEFT, a move and PRESENCE in the catalog's words", async (t) => {
  const cases: [string, string][] = [
    ["USER_JOINED 1764081040000 Bob", "[System] Bob joined the chat"],
    ["USER_LEFT 1764081090000 Bob", "[System] Bob left the chat"],
    ["USER_LEFT 1764081090000 Bob tech", "[System] Bob left for room tech"],
    ["USER_LEFT 1764081090000 Bob 大厅", "[System] Bob left for room 大厅"],
    ["WELCOME 2 Amy", "[System] Welcome Amy! Users online: 2"],
    [
      "PRESENCE 1764081091000 42 5",
      "[System] 42 people joined and 5 left the chat",
    ],
    ["PRESENCE 1764081091000 42 0", "[System] 42 people joined the chat"],
    ["PRESENCE 1764081091000 0 5", "[System] 5 people left the chat"],
  ];
  for (const [line, expected] of cases) {
    await t.step(line, () => {
      assert.equal(renderEvent(parsed(line), EN), expected);
    });
  }
});

Deno.test("server --lang en: an English member sees joins, a room switch and a disconnect; the console logs them in English", async () => {
  await using dir = await tempDir();
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 6, 30));
  const logs: string[] = [];
  const server = startChatServer({
    store: SqliteStore.open(join(dir.path, "chat.db")),
    hostname: "127.0.0.1",
    port: 0,
    hashIterations: 1000,
    sweepIntervalMs: 0,
    clock,
    lang: "en",
    log: (line) => logs.push(line),
  });
  const clients: TestClient[] = [];
  const user = async (name: string) => {
    const client = await TestClient.connect(server.addr.port);
    clients.push(client);
    await client.expect("HELLO ");
    await client.send("LANG en");
    await client.send(`REGISTER ${name} password123`);
    await client.expect("REGISTER_SUCCESS");
    await client.send(`LOGIN ${name} password123`);
    assert.equal(await client.expect("AUTH_"), `AUTH_SUCCESS ${name}`);
    await client.expect("HISTORY_END ");
    return client;
  };
  const shown = (line: string) => renderEvent(parsed(line), EN);
  try {
    const amy = await user("Amy");
    const bob = await user("Bob");
    assert.equal(
      shown(await amy.expect("USER_JOINED ")),
      "[System] Bob joined the chat",
    );
    await bob.send("JOIN tech");
    await bob.expect("JOINED tech");
    assert.equal(
      shown(await amy.expect("USER_LEFT ")),
      "[System] Bob left for room tech",
    );
    await amy.send("JOIN tech");
    await amy.expect("HISTORY_END tech");
    await bob.close();
    assert.equal(
      shown(await amy.expect("USER_LEFT ")),
      "[System] Bob left the chat",
    );
    // Each console line starts with the server's local [HH:MM:SS].
    const consoleLines = logs.map((line) =>
      line.replace(/^\[\d\d:\d\d:\d\d\] /, "")
    );
    assert.ok(
      consoleLines.some((line) =>
        /^\[Client connected\] Bob \(127\.0\.0\.1:\d+\)$/.test(line)
      ),
      logs.join("\n"),
    );
    assert.ok(
      consoleLines.includes("[Client disconnected] Bob (users online: 1)"),
      logs.join("\n"),
    );
  } finally {
    await server.shutdown();
    await Promise.all(clients.map((client) => client.close()));
  }
});
