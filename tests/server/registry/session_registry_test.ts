import assert from "node:assert/strict";
import {
  type LiveSession,
  LocalSessionRegistry,
  type SessionEndReason,
} from "../../../lib/server/registry/session_registry.ts";

function live(username: string, accountId = 1): LiveSession {
  return {
    username,
    usernameKey: username.toLowerCase(),
    accountId,
    isAdmin: false,
    address: "127.0.0.1",
  };
}

Deno.test("LocalSessionRegistry holds one live session per account", () => {
  const registry = new LocalSessionRegistry();
  const ann = live("Ann");
  assert.equal(registry.claim(ann), true);
  assert.equal(
    registry.claim(live("ANN", 2)),
    false,
    "any spelling of the key",
  );
  assert.equal(registry.has("ann"), true);
  assert.equal(registry.isLive(ann), true);
  assert.equal(
    registry.isLive(live("Ann")),
    false,
    "an equal copy is not the session",
  );
  assert.equal(registry.session("ann"), ann);
  assert.equal(registry.sessionCount, 1);
  assert.equal(
    registry.release(live("Ann")),
    false,
    "only the live one releases",
  );
  assert.equal(registry.release(ann), true);
  assert.equal(registry.release(ann), false, "idempotent");
  assert.equal(registry.sessionCount, 0);
  assert.equal(registry.claim(live("ann", 3)), true, "free again");
});

Deno.test("LocalSessionRegistry.terminate() ends the session and calls its hook once", () => {
  const registry = new LocalSessionRegistry();
  const reasons: SessionEndReason[] = [];
  const bob = live("bob");
  registry.claim(bob, (reason) => reasons.push(reason));
  registry.attach({ usernameKey: "bob" });
  assert.equal(registry.terminate("bob", "password_reset"), true);
  assert.deepEqual(reasons, ["password_reset"]);
  assert.equal(registry.has("bob"), false);
  assert.equal(registry.memberCount, 0, "the member went with the session");
  assert.equal(registry.terminate("bob", "account_deleted"), false);
  assert.deepEqual(reasons, ["password_reset"]);
});

Deno.test("LocalSessionRegistry attaches one member per live session and finds it by name", () => {
  const registry = new LocalSessionRegistry<
    { usernameKey: string; n: number }
  >();
  assert.throws(
    () => registry.attach({ usernameKey: "cat", n: 0 }),
    RangeError,
  );
  registry.claim(live("Cat"));
  registry.claim(live("Dan"));
  const cat = { usernameKey: "cat", n: 1 };
  const dan = { usernameKey: "dan", n: 2 };
  registry.attach(dan);
  registry.attach(cat);
  registry.attach(cat);
  assert.equal(registry.memberCount, 2, "attaching twice counts once");
  assert.throws(
    () => registry.attach({ usernameKey: "cat", n: 3 }),
    RangeError,
    "a second member for one session",
  );
  assert.equal(registry.find("CAT"), cat);
  assert.equal(registry.find("not a name"), undefined);
  assert.deepEqual(registry.members(), [cat, dan], "in login order");
  assert.equal(registry.sessionCount, 2);
  assert.equal(registry.detach(cat), true);
  assert.equal(registry.detach(cat), false);
  assert.equal(registry.member("cat"), undefined);
  assert.equal(registry.has("cat"), true, "still logged in, out of the chat");
  assert.equal(registry.memberCount, 1);
});
