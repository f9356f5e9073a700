/**
 * A hostile server's text reaches the terminal without escapes (issue 12,
 * item 15): no ESC sequences, C0/C1 controls or bidi overrides from the
 * greeting or any reply.
 */

import assert from "node:assert/strict";
import { ConnectError, ServerConnection } from "../../lib/client/connection.ts";
import { sanitizeServerText } from "../../lib/client/view.ts";

const UNSAFE =
  // deno-lint-ignore no-control-regex -- finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/** A one-shot server on 127.0.0.1:0 that writes `lines` and keeps the socket open. */
function hostileServer(lines: string): { port: number; done: Promise<void> } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const done = (async () => {
    const conn = await listener.accept();
    listener.close();
    await conn.write(new TextEncoder().encode(lines));
    // Let the client read, then close.
    const buffer = new Uint8Array(1024);
    try {
      while ((await conn.read(buffer)) !== null) { /* drain */ }
    } catch {
      // The client went away.
    }
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  })();
  return { port: (listener.addr as Deno.NetAddr).port, done };
}

Deno.test("sanitizeServerText drops ESC sequences, controls and bidi overrides", () => {
  assert.equal(
    sanitizeServerText("\x1b]0;pwned\x07\x1b[2J\x1b[31mred\x1b[0m ok"),
    "red ok",
  );
  assert.equal(
    sanitizeServerText("evil\u202etxt.exe\u2066x\u2069"),
    "eviltxt.exex",
  );
  assert.equal(sanitizeServerText("a\u009b2Jb\x00c\x7fd\te"), "a2Jbcd e");
  assert.equal(sanitizeServerText("张三: 大家好 👍"), "张三: 大家好 👍");
});

Deno.test("a hostile greeting is reported without its terminal escapes", async () => {
  const server = hostileServer("\x1b]0;pwned\x07\x1b[2JHACKED\u202eyes\n");
  const error = await ServerConnection.open("127.0.0.1", server.port).then(
    () => undefined,
    (error) => error,
  );
  await server.done;
  assert.ok(error instanceof ConnectError);
  assert.doesNotMatch(error.message, UNSAFE);
  assert.match(error.message, /HACKEDyes/);
});

Deno.test("reply text from the server is shown without bidi overrides", async () => {
  const server = hostileServer(
    "HELLO tcpchat/1 0.1.0\nSYSTEM 1764081100000 gro\u202eup\u2067 notice\n",
  );
  const conn = await ServerConnection.open("127.0.0.1", server.port);
  const reply = await conn.next();
  await conn.close();
  await server.done;
  assert.deepEqual(reply, {
    type: "system",
    time: 1764081100000,
    text: "group notice",
  });
});
