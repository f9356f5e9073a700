import assert from "node:assert/strict";
import { testHooks } from "../client.ts";

Deno.test("testHooks: without the test-only variables the client keeps its real timing", () => {
  assert.deepEqual(testHooks(() => undefined), {});
  const junk = testHooks((name) =>
    name.startsWith("TCPCHAT_TEST_") ? "soon" : undefined
  );
  assert.deepEqual(junk, {});
});

Deno.test("testHooks: TCPCHAT_TEST_RETRY_DELAY_MS replaces the back-off, TCPCHAT_TEST_KEEPALIVE_MS the keep-alive", async () => {
  const env: Record<string, string> = {
    TCPCHAT_TEST_RETRY_DELAY_MS: "0",
    TCPCHAT_TEST_KEEPALIVE_MS: "20",
  };
  const hooks = testHooks((name) => env[name]);
  assert.equal(hooks.keepAliveMs, 20);
  assert.ok(hooks.sleep !== undefined);
  // Asked for the seed's 4 s, it waits 0 ms: it ends before a 1 ms timer
  // set after it (timers fire in order of their due time).
  const first = await Promise.race([
    hooks.sleep(4000).then(() => "slept"),
    new Promise((resolve) => setTimeout(() => resolve("timer"), 1)),
  ]);
  assert.equal(first, "slept");
});
