/** The server's refusals, rendered from the catalog (lib/server/replies.ts). */

import assert from "node:assert/strict";
import { errorReply } from "../../lib/server/replies.ts";

Deno.test("errorReply() repeats at most 64 characters of what the user sent", () => {
  const room = "房".repeat(3000);
  const reply = errorReply("zh", "invalid_room", { room });
  assert.equal(reply.type, "error");
  const message = reply.type === "error" ? reply.message : "";
  assert.ok(message.includes(`${"房".repeat(63)}…`), message);
  assert.ok(!message.includes("房".repeat(64)), message);
  assert.ok(new TextEncoder().encode(message).length < 400);
  // Short ones are repeated whole.
  const short = errorReply("en", "no_such_user", { user: "bob" });
  assert.ok(short.type === "error" && short.message.includes("bob"));
});
