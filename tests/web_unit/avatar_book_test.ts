import assert from "node:assert/strict";
import { AvatarBook } from "../../lib/web/avatar_book.ts";

Deno.test("AvatarBook asks about each unknown name once, matched as the server matches names", () => {
  const book = new AvatarBook();
  assert.equal(book.want(["bob", "amy"]), true);
  assert.equal(book.want(["BOB"]), false);
  assert.equal(book.wanting, true);
  assert.deepEqual(book.takeRequests(), [
    { type: "avatars", users: ["bob", "amy"] },
  ]);
  assert.equal(book.wanting, false);
  // Asked: not again, even with no answer (an unknown name is left out).
  assert.equal(book.want(["bob", "Amy"]), false);
  assert.deepEqual(book.takeRequests(), []);
});

Deno.test("AvatarBook asks at most 50 names a line", () => {
  const book = new AvatarBook();
  const names = Array.from({ length: 120 }, (_, i) => `u${i}`);
  book.want(names);
  const requests = book.takeRequests();
  assert.deepEqual(
    requests.map((r) => r.type === "avatars" ? r.users.length : -1),
    [50, 50, 20],
  );
  assert.deepEqual(
    requests.flatMap((r) => r.type === "avatars" ? r.users : []),
    names,
  );
});

Deno.test("AvatarBook learns marks from AVATAR_LIST; a known name is not asked", () => {
  const book = new AvatarBook();
  const before = book.version;
  assert.equal(book.learn([{ user: "bob", mark: "🐱" }]), true);
  assert.equal(book.mark("Bob"), "🐱");
  assert.ok(book.version > before);
  assert.equal(book.want(["bob"]), false);
  // The same mark again changes nothing.
  const version = book.version;
  assert.equal(book.learn([{ user: "bob", mark: "🐱" }]), false);
  assert.equal(book.version, version);
  // A change, announced to everyone.
  assert.equal(book.learn([{ user: "bob", mark: "img:3" }]), true);
  assert.equal(book.mark("bob"), "img:3");
});

Deno.test("AvatarBook: an answer takes a name off the questions still to ask", () => {
  const book = new AvatarBook();
  book.want(["bob", "cat"]);
  book.learn([{ user: "bob", mark: "-" }]);
  assert.deepEqual(book.takeRequests(), [{ type: "avatars", users: ["cat"] }]);
});

Deno.test("AvatarBook.assumeDefault() keeps known marks and stops questions", () => {
  const book = new AvatarBook();
  book.learn([{ user: "bob", mark: "🐶" }]);
  book.want(["cat"]);
  book.assumeDefault(["bob", "cat", "dan"]);
  assert.equal(book.mark("bob"), "🐶");
  assert.equal(book.mark("cat"), "-");
  assert.equal(book.mark("dan"), "-");
  assert.equal(book.wanting, false);
  assert.equal(book.want(["dan"]), false);
});
