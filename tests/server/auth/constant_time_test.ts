/**
 * {@linkcode constantTimeEqual}, on inputs that differ in one byte only: a
 * comparison tested only on keys that differ everywhere passes even when it
 * looks at just the first byte, or stops short of the last one.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  constantTimeEqual,
  PasswordHasher,
} from "../../../lib/server/auth/password_hash.ts";
import { seededRandom } from "../../_util.ts";

/** 32 bytes 0x00, 0x01, …, 0x1f: the size of a PBKDF2 key here. */
function key(): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => i);
}

/** `key()` with the byte at `index` flipped in its lowest bit only. */
function oneBitOff(index: number): Uint8Array {
  const bytes = key();
  bytes[index]! ^= 0x01;
  return bytes;
}

Deno.test("constantTimeEqual() accepts equal arrays, including distinct copies", () => {
  assert.equal(constantTimeEqual(key(), key()), true);
  const same = key();
  assert.equal(constantTimeEqual(same, same), true);
  assert.equal(
    constantTimeEqual(Uint8Array.of(0xff), Uint8Array.of(0xff)),
    true,
  );
});

Deno.test("constantTimeEqual() refuses arrays that differ in a single byte", async (t) => {
  for (
    const [where, index] of [["first", 0], ["second", 1], ["middle", 16], [
      "second to last",
      30,
    ], ["last", 31]] as const
  ) {
    await t.step(`${where} byte (index ${index})`, () => {
      assert.equal(constantTimeEqual(key(), oneBitOff(index)), false);
      assert.equal(constantTimeEqual(oneBitOff(index), key()), false);
    });
  }
  await t.step("the high bit of the last byte", () => {
    const high = key();
    high[31]! ^= 0x80;
    assert.equal(constantTimeEqual(key(), high), false);
  });
});

Deno.test("constantTimeEqual() refuses arrays of different lengths", async (t) => {
  await t.step("a prefix", () => {
    assert.equal(constantTimeEqual(key(), key().subarray(0, 31)), false);
    assert.equal(constantTimeEqual(key().subarray(0, 31), key()), false);
  });
  await t.step("one byte longer, same prefix", () => {
    const longer = Uint8Array.from({ length: 33 }, (_, i) => i);
    assert.equal(constantTimeEqual(key(), longer), false);
    assert.equal(constantTimeEqual(longer, key()), false);
  });
  await t.step("trailing zero byte", () => {
    assert.equal(
      constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0)),
      false,
    );
  });
});

Deno.test("constantTimeEqual() on empty arrays: equal to each other, not to anything else", () => {
  assert.equal(constantTimeEqual(new Uint8Array(0), new Uint8Array(0)), true);
  assert.equal(constantTimeEqual(new Uint8Array(0), Uint8Array.of(0)), false);
  assert.equal(constantTimeEqual(Uint8Array.of(0), new Uint8Array(0)), false);
});

Deno.test("constantTimeEqual() compares the bytes a view shows, not its whole buffer", () => {
  const buffer = Uint8Array.of(9, 1, 2, 3, 9);
  assert.equal(
    constantTimeEqual(buffer.subarray(1, 4), Uint8Array.of(1, 2, 3)),
    true,
  );
  assert.equal(
    constantTimeEqual(buffer.subarray(0, 3), Uint8Array.of(1, 2, 3)),
    false,
  );
});

// The comparison that matters: a password that differs from the right one in
// its first, a middle or its last character is refused.
Deno.test("PasswordHasher.verify() refuses a password one character off at the start, middle or end", async (t) => {
  const hasher = new PasswordHasher({
    iterations: 1000,
    random: seededRandom(5),
  });
  const stored = await hasher.hash("correct horse");
  assert.equal((await hasher.verify("correct horse", stored)).ok, true);
  for (
    const wrong of [
      "dorrect horse",
      "correct_horse",
      "correct horsf",
      "correct hors",
      "correct horsee",
      "",
    ]
  ) {
    await t.step(JSON.stringify(wrong), async () => {
      assert.equal((await hasher.verify(wrong, stored)).ok, false);
    });
  }
});
