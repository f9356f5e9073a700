import assert from "node:assert/strict";
import fc from "fast-check";
import { parseLegacyCredentials } from "../../../lib/server/auth/legacy_credentials.ts";

/** SHA-256 of "password". */
const DIGEST =
  "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8";
/** SHA-256 of "hunter2". */
const DIGEST2 =
  "f52fbd32b2b3b86ff88ef6c490628285f482af15ddcb29541f94bcf526a3f6c7";

function parse(data: unknown, allowReserved = false) {
  return parseLegacyCredentials(JSON.stringify(data), { allowReserved });
}

Deno.test("parseLegacyCredentials() reads a map of names to digests", () => {
  assert.deepEqual(parse({ alice: DIGEST, 小王: DIGEST2 }), {
    accounts: [
      { username: "alice", key: "alice", sha256Hex: DIGEST },
      { username: "小王", key: "小王", sha256Hex: DIGEST2 },
    ],
    skipped: [],
  });
});

Deno.test("parseLegacyCredentials() lowercases and trims digests", () => {
  const plan = parse({ Bob: ` ${DIGEST.toUpperCase()}\n` });
  assert.deepEqual(plan.accounts, [
    { username: "Bob", key: "bob", sha256Hex: DIGEST },
  ]);
});

Deno.test("parseLegacyCredentials() reads records under likely keys", async (t) => {
  for (
    const key of [
      "password_hash",
      "password",
      "hash",
      "passwordHash",
      "sha256",
      "Password-Hash",
      "SHA256",
      "pw_hash",
    ]
  ) {
    await t.step(key, () => {
      const plan = parse({ alice: { [key]: DIGEST, email: "a@example.com" } });
      assert.deepEqual(plan, {
        accounts: [{ username: "alice", key: "alice", sha256Hex: DIGEST }],
        skipped: [],
      });
    });
  }
  await t.step("prefers password_hash to password", () => {
    const plan = parse({ alice: { password: DIGEST2, password_hash: DIGEST } });
    assert.equal(plan.accounts[0]?.sha256Hex, DIGEST);
  });
  await t.step("falls back past a key without a digest", () => {
    const plan = parse({ alice: { password_hash: "", hash: DIGEST } });
    assert.equal(plan.accounts[0]?.sha256Hex, DIGEST);
  });
});

Deno.test("parseLegacyCredentials() accepts a users wrapper", async (t) => {
  await t.step("alone", () => {
    const plan = parse({ users: { alice: DIGEST, bob: { hash: DIGEST2 } } });
    assert.deepEqual(plan.accounts.map((a) => a.username), ["alice", "bob"]);
    assert.deepEqual(plan.skipped, []);
  });
  await t.step("with sibling keys, which are ignored", () => {
    const plan = parse({ version: 2, users: { alice: DIGEST } });
    assert.deepEqual(plan, {
      accounts: [{ username: "alice", key: "alice", sha256Hex: DIGEST }],
      skipped: [],
    });
  });
  await t.step("holding a user named password", () => {
    const plan = parse({ users: { password: DIGEST, bob: DIGEST2 } });
    assert.deepEqual(plan.accounts.map((a) => a.username), [
      "password",
      "bob",
    ]);
  });
  await t.step("empty", () => {
    assert.deepEqual(parse({ users: {} }), { accounts: [], skipped: [] });
  });
  await t.step("not confused with a user named users", () => {
    const plan = parse({
      users: { password_hash: DIGEST, created: "2020-01-01" },
      alice: DIGEST2,
    });
    assert.deepEqual(plan.accounts.map((a) => a.username), ["users", "alice"]);
  });
});

Deno.test("parseLegacyCredentials() skips entries without a digest", async (t) => {
  const cases: Array<[string, unknown, string]> = [
    [
      "plain text password",
      "hunter2",
      'Cannot import "bob": value is a string, expected a 64-digit hex SHA-256 digest',
    ],
    [
      "63 hex digits",
      DIGEST.slice(1),
      'Cannot import "bob": value is a string, expected a 64-digit hex SHA-256 digest',
    ],
    [
      "prefixed digest",
      `sha256:${DIGEST}`,
      'Cannot import "bob": value is a string, expected a 64-digit hex SHA-256 digest',
    ],
    [
      "number",
      42,
      'Cannot import "bob": value is a number, expected a 64-digit hex SHA-256 digest',
    ],
    [
      "null",
      null,
      'Cannot import "bob": value is null, expected a 64-digit hex SHA-256 digest',
    ],
    [
      "array",
      [DIGEST],
      'Cannot import "bob": value is an array, expected a 64-digit hex SHA-256 digest',
    ],
    [
      "record without a digest",
      { password: "hunter2", email: DIGEST },
      'Cannot import "bob": entry has no 64-digit hex digest under "password_hash", "password", "hash", "passwordHash" or "sha256"',
    ],
  ];
  for (const [label, value, reason] of cases) {
    await t.step(label, () => {
      assert.deepEqual(parse({ bob: value }), {
        accounts: [],
        skipped: [{ username: "bob", reason }],
      });
    });
  }
  await t.step("reasons never contain the value", () => {
    const plan = parse({ bob: "hunter2", eve: { password: "s3cret" } });
    for (const { reason } of plan.skipped) {
      assert.ok(!reason.includes("hunter2") && !reason.includes("s3cret"));
    }
  });
});

Deno.test("parseLegacyCredentials() skips salted records", () => {
  const plan = parse({
    bob: { password_hash: DIGEST, salt: "c2FsdA==" },
    alice: { password_hash: DIGEST, salt: "" },
  });
  assert.deepEqual(plan, {
    accounts: [{ username: "alice", key: "alice", sha256Hex: DIGEST }],
    skipped: [{
      username: "bob",
      reason:
        'Cannot import "bob": entry has a salt, and salted digests cannot be imported',
    }],
  });
});

Deno.test("parseLegacyCredentials() skips names that normalizeUsername() refuses", async (t) => {
  const cases: Array<[string, string]> = [
    ["", 'Cannot import "": name is empty'],
    [
      "bad name",
      'Cannot import "bad name": name may contain only letters, digits, "_" and "-"',
    ],
    [
      "a\nb",
      'Cannot import "a\\nb": name may contain only letters, digits, "_" and "-"',
    ],
    [
      "x".repeat(33),
      `Cannot import "${"x".repeat(33)}": name is longer than 32 characters`,
    ],
    [
      "y".repeat(100),
      `Cannot import "${"y".repeat(40)}…": name is longer than 32 characters`,
    ],
    ["Admin", 'Cannot import "Admin": name is reserved'],
  ];
  for (const [name, reason] of cases) {
    await t.step(JSON.stringify(name), () => {
      assert.deepEqual(parse({ [name]: DIGEST }), {
        accounts: [],
        skipped: [{ username: name, reason }],
      });
    });
  }
  await t.step("allowReserved imports reserved names", () => {
    assert.deepEqual(parse({ Admin: DIGEST }, true).accounts, [
      { username: "Admin", key: "admin", sha256Hex: DIGEST },
    ]);
  });
});

Deno.test("parseLegacyCredentials() imports the NFC form of a name", () => {
  const plan = parse({ "Zoe\u0308": DIGEST });
  assert.deepEqual(plan.accounts, [
    { username: "Zo\u00EB", key: "zo\u00EB", sha256Hex: DIGEST },
  ]);
});

Deno.test("parseLegacyCredentials() keeps the first of names with the same key", () => {
  const plan = parse({
    carol: "not a digest",
    Bob: DIGEST,
    bob: DIGEST2,
    ＢＯＢ: DIGEST2,
    Carol: DIGEST2,
  });
  assert.deepEqual(plan.accounts, [
    { username: "Bob", key: "bob", sha256Hex: DIGEST },
    { username: "Carol", key: "carol", sha256Hex: DIGEST2 },
  ]);
  assert.deepEqual(plan.skipped, [
    {
      username: "carol",
      reason:
        'Cannot import "carol": value is a string, expected a 64-digit hex SHA-256 digest',
    },
    {
      username: "bob",
      reason:
        'Cannot import "bob": name is the same as "Bob", which is imported instead',
    },
    {
      username: "ＢＯＢ",
      reason:
        'Cannot import "ＢＯＢ": name is the same as "Bob", which is imported instead',
    },
  ]);
});

Deno.test("parseLegacyCredentials() throws SyntaxError for text that is not JSON", () => {
  assert.throws(
    () => parseLegacyCredentials("{ alice: 'x' }"),
    (error: unknown) => {
      assert.ok(error instanceof SyntaxError);
      assert.equal(
        error.message,
        "Cannot parse legacy credentials: text is not valid JSON",
      );
      assert.ok(error.cause instanceof SyntaxError);
      return true;
    },
  );
});

Deno.test("parseLegacyCredentials() throws SyntaxError when the top level is not an object", async (t) => {
  const cases: Array<[string, string]> = [
    ["[]", "an array"],
    ["null", "null"],
    ["42", "a number"],
    ['"alice"', "a string"],
    ["true", "a boolean"],
  ];
  for (const [text, type] of cases) {
    await t.step(text, () => {
      assert.throws(
        () => parseLegacyCredentials(text),
        (error: unknown) => {
          assert.ok(error instanceof SyntaxError);
          assert.equal(
            error.message,
            `Cannot parse legacy credentials: top level is ${type}, expected an object`,
          );
          assert.ok(error.cause instanceof TypeError);
          return true;
        },
      );
    });
  }
});

Deno.test("parseLegacyCredentials() accounts for every entry of any object", () => {
  const value = fc.oneof(
    fc.constantFrom(DIGEST, DIGEST2.toUpperCase(), "hunter2", ""),
    fc.record({ password_hash: fc.constantFrom(DIGEST, "x") }),
    fc.jsonValue({ maxDepth: 1 }),
  );
  fc.assert(
    fc.property(
      fc.dictionary(
        // A "users" key could be read as a wrapper, which has its own tests.
        fc.oneof(
          fc.constantFrom("alice", "Alice", "ALICE", "admin", "a b", "小王"),
          fc.string({ maxLength: 8 }),
        ).filter((name) => name !== "users"),
        value,
      ),
      (users) => {
        const plan = parseLegacyCredentials(JSON.stringify(users));
        assert.equal(
          plan.accounts.length + plan.skipped.length,
          Object.keys(users).length,
        );
        const keys = plan.accounts.map((a) => a.key);
        assert.equal(new Set(keys).size, keys.length);
        for (const account of plan.accounts) {
          assert.match(account.sha256Hex, /^[0-9a-f]{64}$/);
        }
      },
    ),
  );
});

Deno.test("parseLegacyCredentials() throws only SyntaxError on any text", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
      try {
        parseLegacyCredentials(text);
      } catch (error) {
        assert.ok(error instanceof SyntaxError);
      }
    }),
  );
});
