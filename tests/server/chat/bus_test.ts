import assert from "node:assert/strict";
import { InProcessBus } from "../../../lib/server/chat/bus.ts";
import type { Delivery } from "../../../lib/server/chat/events.ts";

const UNMUTED: Delivery = {
  audience: { kind: "user", user: "ann" },
  event: { type: "unmuted" },
};

Deno.test("InProcessBus hands each delivery to every subscriber, in order, before publish returns", () => {
  const bus = new InProcessBus();
  const seen: string[] = [];
  bus.subscribe(() => seen.push("first"));
  bus.subscribe(() => seen.push("second"));
  bus.publish(UNMUTED);
  assert.deepEqual(seen, ["first", "second"]);
});

Deno.test("InProcessBus: a throwing subscriber does not keep the event from the others", () => {
  const errors: unknown[] = [];
  const bus = new InProcessBus({ onError: (error) => errors.push(error) });
  const seen: Delivery[] = [];
  bus.subscribe(() => {
    throw new Error("broken adapter");
  });
  bus.subscribe((delivery) => seen.push(delivery));
  bus.publish(UNMUTED);
  assert.deepEqual(seen, [UNMUTED]);
  assert.equal((errors[0] as Error).message, "broken adapter");
});

Deno.test("InProcessBus: subscribing or leaving during a publish changes only later ones", () => {
  const bus = new InProcessBus();
  const seen: string[] = [];
  let stopB = () => {};
  bus.subscribe(() => {
    seen.push("a");
    stopB();
    bus.subscribe(() => seen.push("c"));
  });
  stopB = bus.subscribe(() => seen.push("b"));
  bus.publish(UNMUTED);
  assert.deepEqual(seen, ["a", "b"]);
  seen.length = 0;
  bus.publish(UNMUTED);
  assert.deepEqual(seen, ["a", "c"]);
});
