import assert from "node:assert/strict";
import {
  ConcurrencyLimiter,
  DEFAULT_PBKDF2_ITERATIONS,
  legacySha256Hash,
  parsePasswordHash,
  PasswordHasher,
  pbkdf2Sha256,
  sha256Hex,
} from "../../../lib/server/auth/password_hash.ts";

Deno.test("PasswordHasher uses 600,000 PBKDF2 iterations by default", async () => {
  const hasher = new PasswordHasher();
  assert.equal(hasher.iterations, DEFAULT_PBKDF2_ITERATIONS);
  assert.equal(DEFAULT_PBKDF2_ITERATIONS, 600_000);
  const stored = await hasher.hash("correct horse");
  const parsed = parsePasswordHash(stored);
  assert.equal(parsed?.algorithm, "pbkdf2-sha256");
  if (parsed?.algorithm !== "pbkdf2-sha256") return;
  assert.equal(parsed.iterations, 600_000);
  assert.equal(parsed.salt.length, 16);
  assert.equal(parsed.key.length, 32);
  assert.match(
    stored,
    /^pbkdf2-sha256\$600000\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/,
  );
});

Deno.test("PasswordHasher.verify() accepts the right password only", async () => {
  const hasher = new PasswordHasher({ iterations: 1000 });
  const stored = await hasher.hash("pass word 密码 🔑");
  assert.deepEqual(await hasher.verify("pass word 密码 🔑", stored), {
    ok: true,
    needsRehash: false,
  });
  assert.equal((await hasher.verify("pass word 密码", stored)).ok, false);
  assert.equal((await hasher.verify("", stored)).ok, false);
});

Deno.test("PasswordHasher.hash() salts each hash differently", async () => {
  const hasher = new PasswordHasher({ iterations: 1000 });
  const a = await hasher.hash("same password");
  const b = await hasher.hash("same password");
  assert.notEqual(a, b);
});

Deno.test("PasswordHasher.verify() NFKC-normalizes before hashing", async () => {
  const hasher = new PasswordHasher({ iterations: 1000 });
  // Full-width letters and the composed/decomposed é are the same password.
  const stored = await hasher.hash("ｐａｓｓ caf\u00e9");
  assert.equal((await hasher.verify("pass cafe\u0301", stored)).ok, true);
});

Deno.test("PasswordHasher.verify() asks for a rehash of weaker hashes", async () => {
  const weak = new PasswordHasher({ iterations: 1000 });
  const strong = new PasswordHasher({ iterations: 2000 });
  const stored = await weak.hash("password1");
  assert.deepEqual(await strong.verify("password1", stored), {
    ok: true,
    needsRehash: true,
  });
  // A wrong password never reports needsRehash.
  assert.deepEqual(await strong.verify("password2", stored), {
    ok: false,
    needsRehash: false,
  });
});

Deno.test("PasswordHasher.verify() checks legacy unsalted SHA-256 digests", async () => {
  const hasher = new PasswordHasher({ iterations: 1000 });
  // sha256("secret123") as the Python program stored it.
  const stored = legacySha256Hash(await sha256Hex("secret123"));
  assert.deepEqual(await hasher.verify("secret123", stored), {
    ok: true,
    needsRehash: true,
  });
  assert.equal((await hasher.verify("secret124", stored)).ok, false);
});

Deno.test("PasswordHasher.verify() spends one PBKDF2 derivation on a legacy, current or broken hash alike", async () => {
  const iterations: number[] = [];
  const hasher = new PasswordHasher({
    iterations: 1000,
    pbkdf2: (password, salt, count, length) => {
      iterations.push(count);
      return pbkdf2Sha256(password, salt, count, length);
    },
  });
  const current = await hasher.hash("secret123");
  await hasher.dummyHash();
  const legacy = legacySha256Hash(await sha256Hex("secret123"));
  const counts = [];
  for (
    const [password, stored] of [
      ["secret124", current],
      ["secret123", current],
      ["secret124", legacy],
      ["secret123", legacy],
      ["secret123", "broken"],
    ]
  ) {
    iterations.length = 0;
    await hasher.verify(password!, stored!);
    counts.push([...iterations]);
  }
  assert.deepEqual(counts, [[1000], [1000], [1000], [1000], [1000]]);
});

Deno.test("PasswordHasher.verify() never matches a malformed stored hash", async (t) => {
  const hasher = new PasswordHasher({ iterations: 1000 });
  for (
    const stored of [
      "",
      "plaintext",
      "pbkdf2-sha256$x$AAAA$AAAA",
      "pbkdf2-sha256$1000$!!!$AAAA",
      "pbkdf2-sha256$1000$AAAA$",
      "sha256$zz",
      "md5$abc",
    ]
  ) {
    await t.step(JSON.stringify(stored), async () => {
      assert.deepEqual(await hasher.verify("anything", stored), {
        ok: false,
        needsRehash: false,
      });
    });
  }
});

Deno.test("legacySha256Hash() rejects non-hex digests", () => {
  assert.throws(() => legacySha256Hash("abc"), SyntaxError);
  assert.equal(legacySha256Hash("AB".repeat(32)), "sha256$" + "ab".repeat(32));
});

Deno.test("ConcurrencyLimiter runs at most `limit` tasks at once", async () => {
  const limiter = new ConcurrencyLimiter(2);
  const gates = Array.from({ length: 5 }, () => Promise.withResolvers<void>());
  const started: number[] = [];
  const tasks = gates.map((gate, i) =>
    limiter.run(async () => {
      started.push(i);
      await gate.promise;
      return i;
    })
  );
  await flush();
  assert.deepEqual(started, [0, 1]);
  assert.equal(limiter.running, 2);
  assert.equal(limiter.waiting, 3);
  gates[1]?.resolve();
  await flush();
  // FIFO: the next waiter takes the freed slot.
  assert.deepEqual(started, [0, 1, 2]);
  assert.equal(limiter.running, 2);
  for (const gate of gates) gate.resolve();
  assert.deepEqual(await Promise.all(tasks), [0, 1, 2, 3, 4]);
  assert.equal(limiter.running, 0);
  assert.equal(limiter.waiting, 0);
  assert.throws(() => new ConcurrencyLimiter(0), RangeError);
});

async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
