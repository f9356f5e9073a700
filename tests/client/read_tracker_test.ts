import assert from "node:assert/strict";
import {
  READ_INTERVAL_MS,
  ReadTracker,
} from "../../lib/client/read_tracker.ts";

Deno.test("ReadTracker sends a newer position at once, then at most once a second per conversation", () => {
  const reads = new ReadTracker();
  assert.equal(reads.see("#大厅", 10), true);
  assert.equal(reads.nextDueAt(), 0);
  assert.deepEqual(reads.due(1000), [{
    type: "read",
    target: "#大厅",
    id: 10,
  }]);
  assert.equal(reads.nextDueAt(), undefined);
  assert.equal(reads.see("#大厅", 11), true);
  assert.equal(reads.see("#大厅", 12), true);
  assert.deepEqual(reads.due(1000 + READ_INTERVAL_MS - 1), []);
  assert.equal(reads.nextDueAt(), 1000 + READ_INTERVAL_MS);
  assert.deepEqual(reads.due(1000 + READ_INTERVAL_MS), [
    { type: "read", target: "#大厅", id: 12 },
  ]);
});

Deno.test("ReadTracker never sends an older or the same position again", () => {
  const reads = new ReadTracker();
  reads.see("bob", 20);
  reads.due(0);
  assert.equal(reads.see("bob", 20), false);
  assert.equal(reads.see("bob", 19), false);
  assert.deepEqual(reads.due(10_000), []);
  // A pending one is not lowered either.
  reads.see("bob", 25);
  assert.equal(reads.see("bob", 22), false);
  assert.deepEqual(reads.due(20_000), [{
    type: "read",
    target: "bob",
    id: 25,
  }]);
});

Deno.test("ReadTracker keeps conversations apart", () => {
  const reads = new ReadTracker();
  reads.see("#tech", 5);
  reads.due(0);
  reads.see("bob", 7);
  reads.see("#tech", 6);
  // bob's is due at once; tech's waits for its second.
  assert.deepEqual(reads.due(100), [{ type: "read", target: "bob", id: 7 }]);
  assert.deepEqual(reads.waiting, ["#tech"]);
  assert.equal(reads.nextDueAt(), READ_INTERVAL_MS);
});

Deno.test("ReadTracker.flush() sends a room's waiting position at once (before JOIN or LEAVE)", () => {
  const reads = new ReadTracker();
  reads.see("#tech", 5);
  reads.due(0);
  reads.see("#tech", 9);
  assert.deepEqual(reads.flush("#tech", 10), {
    type: "read",
    target: "#tech",
    id: 9,
  });
  assert.equal(reads.flush("#tech", 20), undefined);
  assert.equal(reads.flush("#other", 20), undefined);
  // And the interval starts from the flush.
  reads.see("#tech", 10);
  assert.deepEqual(reads.due(10 + READ_INTERVAL_MS - 1), []);
});

Deno.test("ReadTracker.drop() forgets a waiting position", () => {
  const reads = new ReadTracker();
  reads.see("#tech", 5);
  reads.drop("#tech");
  assert.deepEqual(reads.due(0), []);
  assert.equal(reads.nextDueAt(), undefined);
  // What was dropped was never sent: seeing it again sends it.
  assert.equal(reads.see("#tech", 5), true);
});

Deno.test("ReadTracker.due() leaves the targets it may not send waiting", () => {
  const reads = new ReadTracker();
  reads.see("#tech", 5);
  reads.see("bob", 6);
  assert.deepEqual(reads.due(0, (target) => !target.startsWith("#")), [
    { type: "read", target: "bob", id: 6 },
  ]);
  assert.deepEqual(reads.waiting, ["#tech"]);
  // Nothing it may send is due: no time to wake up at.
  assert.equal(reads.nextDueAt((target) => !target.startsWith("#")), undefined);
  assert.equal(reads.nextDueAt(), 0);
  assert.deepEqual(reads.due(1), [{ type: "read", target: "#tech", id: 5 }]);
});
