/**
 * The spec builders of spec.ts on their own: a fields reply names a bare
 * field by its key, reports problems in field order and leaves an optional
 * field off; a leading-word command reads and formats its token.
 */

import assert from "node:assert/strict";
import {
  countField,
  nameField,
  optionalNameField,
} from "../../lib/protocol/fields.ts";
import {
  fieldsReplies,
  leadingWordCommand,
  wordCommand,
} from "../../lib/protocol/spec.ts";

type Sample =
  | { type: "sample"; memberCount: number; who: string; room?: string }
  | { type: "other" };
type SampleCommand = { type: "poke"; user: string; note?: string };

const sampleReply = fieldsReplies<Sample>();
const SAMPLE = sampleReply("SAMPLE", {
  memberCount: countField,
  who: nameField("username"),
  room: optionalNameField("room"),
});

Deno.test("fieldsReplies() parses and formats the fields in order", () => {
  assert.deepEqual(SAMPLE.types, ["sample"]);
  assert.deepEqual(SAMPLE.parse("3 alice lobby"), {
    type: "sample",
    memberCount: 3,
    who: "alice",
    room: "lobby",
  });
  assert.equal(
    SAMPLE.format({ type: "sample", memberCount: 3, who: "alice" }),
    "SAMPLE 3 alice",
  );
});

Deno.test("fieldsReplies() leaves an optional field off, not undefined", () => {
  const parsed = SAMPLE.parse("3 alice");
  assert.deepEqual(parsed, { type: "sample", memberCount: 3, who: "alice" });
  assert.equal(Object.hasOwn(parsed as object, "room"), false);
});

Deno.test("fieldsReplies() names a bare field by its key in words", () => {
  assert.equal(SAMPLE.parse(undefined), "missing member count");
  assert.equal(
    SAMPLE.parse("x alice"),
    "member count is not a non-negative integer without leading zeros",
  );
  // A missing word comes before any field's own problem.
  assert.equal(SAMPLE.parse("x"), "missing username");
  assert.throws(
    () => SAMPLE.format({ type: "sample", memberCount: -1, who: "alice" }),
    RangeError,
  );
});

Deno.test("leadingWordCommand() reads and formats the leading token", () => {
  const POKE = leadingWordCommand<SampleCommand>("POKE", {
    usage: "POKE <user> [<note>]",
    key: "user",
    parseRest: (user, note) =>
      note === undefined
        ? { type: "poke", user }
        : { type: "poke", user, note },
    formatRest: (command) => command.note,
  });
  assert.deepEqual(POKE.types, ["poke"]);
  assert.deepEqual(POKE.parse("bob hi there"), {
    type: "poke",
    user: "bob",
    note: "hi there",
  });
  assert.equal(POKE.parse(undefined), "missing user");
  assert.equal(POKE.format({ type: "poke", user: "bob" }), "POKE bob");
  assert.equal(
    POKE.format({ type: "poke", user: "bob", note: "hi" }),
    "POKE bob hi",
  );
  assert.throws(() => POKE.format({ type: "poke", user: "" }), TypeError);
});

Deno.test("wordCommand() takes one token and nothing more", () => {
  const POKE = wordCommand<SampleCommand>("POKE", {
    key: "user",
    name: "username",
    only: "a username",
  });
  assert.equal(POKE.usage, "POKE <username>");
  assert.deepEqual(POKE.parse("bob"), { type: "poke", user: "bob" });
  assert.equal(POKE.parse("bob x"), "takes only a username");
  assert.equal(POKE.format({ type: "poke", user: "bob" }), "POKE bob");
});
