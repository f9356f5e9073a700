import assert from "node:assert/strict";
import fc from "fast-check";
import { confusableSkeleton } from "../../lib/shared/confusables.ts";
import {
  describeUsernameRejection,
  isReservedUsername,
  MAX_USERNAME_LENGTH,
  normalizeUsername,
  RESERVED_USERNAMES,
  usernameKey,
  type UsernameRejection,
} from "../../lib/shared/username.ts";

Deno.test("normalizeUsername() accepts letters and digits of any script, _ and -", async (t) => {
  const cases: Array<[string, string]> = [
    ["小王", "小王"],
    ["Zoë", "zoë"],
    ["user_1", "user_1"],
    ["a-b", "a-b"],
    ["नमस्ते", "नमस्ते"],
    ["ภาษาไทย", "ภาษาไทย"],
    ["Ölçü", "ölçü"],
    ["Михаил", "михаил"],
    ["٣٤", "٣٤"],
    ["42", "42"],
    ["_", "_"],
    ["-", "-"],
  ];
  for (const [raw, key] of cases) {
    await t.step(raw, () => {
      assert.deepEqual(normalizeUsername(raw), { ok: true, name: raw, key });
    });
  }
});

Deno.test("normalizeUsername() returns the NFC form as the name", () => {
  const decomposed = "Zoe\u0308";
  assert.deepEqual(normalizeUsername(decomposed), {
    ok: true,
    name: "Zo\u00EB",
    key: "zo\u00EB",
  });
});

Deno.test("normalizeUsername() refuses spaces, controls, punctuation, emoji and invisible characters", async (t) => {
  const cases: Array<[string, string]> = [
    ["space", "bob smith"],
    ["leading space", " bob"],
    ["trailing newline", "bob\n"],
    ["tab", "a\tb"],
    ["NUL", "a\0b"],
    ["DEL", "a\x7Fb"],
    ["full stop", "a.b"],
    ["at sign", "a@b"],
    ["exclamation mark", "hi!"],
    ["ideographic full stop", "小王。"],
    ["emoji", "😀"],
    ["letter and emoji", "bob😀"],
    ["keycap emoji", "1\uFE0F\u20E3"],
    ["variation selector after a letter", "a\uFE0F"],
    ["zero-width joiner", "a\u200Db"],
    ["zero-width space", "a\u200Bb"],
    ["right-to-left override", "a\u202Eb"],
    ["Hangul filler", "\u3164"],
    ["Hangul choseong filler", "\u115F"],
    ["leading combining mark", "\u0301a"],
    ["combining mark after a digit", "1\u0301"],
    ["combining mark after an underscore", "_\u0301"],
    ["lone surrogate", "a\uD800"],
    ["fraction with a hidden slash", "½"],
    ["ligature with a hidden space", "\uFDFA"],
  ];
  for (const [label, raw] of cases) {
    await t.step(label, () => {
      assert.deepEqual(normalizeUsername(raw), {
        ok: false,
        reason: "invalid_characters",
      });
    });
  }
});

Deno.test("normalizeUsername() refuses an empty name", () => {
  assert.deepEqual(normalizeUsername(""), { ok: false, reason: "empty" });
});

Deno.test("normalizeUsername() counts code points after NFC against the 32 limit", async (t) => {
  const accepted: Array<[string, string]> = [
    ["32 ASCII letters", "a".repeat(32)],
    ["32 CJK characters", "王".repeat(32)],
    ["32 astral letters (64 UTF-16 units)", "𝐀".repeat(32)],
    ["32 decomposed letters composing to 32", "e\u0301".repeat(32)],
  ];
  for (const [label, raw] of accepted) {
    await t.step(`accepts ${label}`, () => {
      assert.equal(normalizeUsername(raw).ok, true);
    });
  }
  const refused: Array<[string, string]> = [
    ["33 ASCII letters", "a".repeat(33)],
    ["33 CJK characters", "王".repeat(33)],
    ["a megabyte of letters", "a".repeat(1_000_000)],
    ["a megabyte of spaces", " ".repeat(1_000_000)],
  ];
  for (const [label, raw] of refused) {
    await t.step(`refuses ${label}`, () => {
      assert.deepEqual(normalizeUsername(raw), {
        ok: false,
        reason: "too_long",
      });
    });
  }
  assert.equal(MAX_USERNAME_LENGTH, 32);
});

Deno.test("normalizeUsername() refuses reserved names in any spelling", async (t) => {
  for (
    const raw of [
      "admin",
      "Admin",
      "ＡＤＭＩＮ",
      "ROOT",
      "System",
      "系统",
      "管理员",
      "服务器",
      "nobody",
    ]
  ) {
    await t.step(raw, () => {
      assert.deepEqual(normalizeUsername(raw), {
        ok: false,
        reason: "reserved",
      });
    });
  }
  await t.step("every entry of RESERVED_USERNAMES", () => {
    for (const key of RESERVED_USERNAMES) {
      assert.deepEqual(normalizeUsername(key), {
        ok: false,
        reason: "reserved",
      });
    }
  });
  await t.step("allowReserved accepts them", () => {
    assert.deepEqual(normalizeUsername("Admin", { allowReserved: true }), {
      ok: true,
      name: "Admin",
      key: "admin",
    });
  });
  await t.step("names that only contain a reserved word are free", () => {
    assert.equal(normalizeUsername("admin2").ok, true);
    assert.equal(normalizeUsername("rooty").ok, true);
  });
});

Deno.test("RESERVED_USERNAMES holds keys of the names the brief lists", () => {
  for (
    const name of [
      "系统",
      "system",
      "admin",
      "administrator",
      "root",
      "server",
      "服务器",
      "管理员",
      "operator",
      "moderator",
      "nobody",
    ]
  ) {
    assert.ok(RESERVED_USERNAMES.has(name), name);
  }
  for (const key of RESERVED_USERNAMES) assert.equal(usernameKey(key), key);
});

Deno.test("isReservedUsername() accepts a key or any spelling", () => {
  assert.equal(isReservedUsername("admin"), true);
  assert.equal(isReservedUsername("Administrator"), true);
  assert.equal(isReservedUsername("ｒｏｏｔ"), true);
  assert.equal(isReservedUsername("alice"), false);
  assert.equal(isReservedUsername(""), false);
});

Deno.test("usernameKey() folds case, width and compatibility forms", async (t) => {
  const cases: Array<[string, string[]]> = [
    ["bob", ["Bob", "BOB", "ｂｏｂ", "ＢＯＢ"]],
    ["strasse", ["Straße", "STRASSE", "straße"]],
    ["οδος", ["ΟΔΟΣ", "οδοσ", "οδος"]],
    ["fix", ["ﬁx", "FIX"]],
    ["zoë", ["Zoë", "ZOË", "Zoe\u0308"]],
  ];
  for (const [key, spellings] of cases) {
    await t.step(key, () => {
      for (const spelling of spellings) {
        assert.equal(usernameKey(spelling), key, spelling);
      }
    });
  }
  await t.step("keeps look-alikes from other scripts apart", () => {
    // Cyrillic "а" (U+0430) is not Latin "a": a known limitation.
    assert.notEqual(usernameKey("\u0430dmin"), usernameKey("admin"));
  });
});

Deno.test("describeUsernameRejection() explains every reason", () => {
  const expected: Record<UsernameRejection, string> = {
    empty: "name is empty",
    "too_long": "name is longer than 32 characters",
    "invalid_characters": 'name may contain only letters, digits, "_" and "-"',
    reserved: "name is reserved",
    confusable: "name mixes Latin, Cyrillic or Greek letters that look alike",
  };
  for (const [reason, text] of Object.entries(expected)) {
    assert.equal(describeUsernameRejection(reason as UsernameRejection), text);
  }
});

/**
 * Any code point, lone surrogates included, biased toward ASCII. (fast-check's
 * `unit: "binary"` does the same but takes over a second to warm up.)
 */
const anyCodePoint = fc.oneof(
  fc.integer({ min: 0, max: 0x10FFFF }).map((c) => String.fromCodePoint(c)),
  fc.integer({ min: 0, max: 0x7F }).map((c) => String.fromCodePoint(c)),
);

Deno.test("normalizeUsername() never throws and always returns a known shape", () => {
  const reasons = new Set([
    "empty",
    "too_long",
    "invalid_characters",
    "reserved",
    "confusable",
  ]);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: anyCodePoint }),
        fc.string({ unit: "grapheme" }),
      ),
      (raw) => {
        const result = normalizeUsername(raw);
        if (result.ok) {
          assert.equal(result.name, raw.normalize("NFC"));
          assert.equal(result.key, usernameKey(result.name));
        } else {
          assert.ok(reasons.has(result.reason), result.reason);
        }
      },
    ),
  );
});

Deno.test("usernameKey() is idempotent", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: anyCodePoint }),
        fc.string({ unit: "grapheme-composite" }),
      ),
      (raw) => {
        const key = usernameKey(raw);
        assert.equal(usernameKey(key), key);
      },
    ),
  );
});

/** Characters that exercise NFC, NFKC and case folding. */
const NAME_CHARACTERS = [
  ..."aZé",
  "e\u0301",
  ..."ßẞſﬁｂＢ小王नत्ेΣσςİıǅⅫ①²𝐀٣9_-",
  "\u0301",
  "Ω",
];

Deno.test("normalizeUsername() round-trips valid names and their keys", () => {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...NAME_CHARACTERS), {
        minLength: 1,
        maxLength: 40,
      }).map((chars) => chars.join("")),
      (raw) => {
        const result = normalizeUsername(raw, { allowReserved: true });
        if (!result.ok) return;
        // The displayed name is stable under normalization.
        assert.deepEqual(
          normalizeUsername(result.name, { allowReserved: true }),
          result,
        );
        // The key is itself an acceptable name with the same key, unless
        // compatibility decomposition made it longer than the limit.
        if ([...result.key].length <= MAX_USERNAME_LENGTH) {
          const again = normalizeUsername(result.key, { allowReserved: true });
          assert.ok(again.ok, `key ${JSON.stringify(result.key)}`);
          assert.equal(again.key, result.key);
        }
        // Case variants share the key.
        assert.equal(usernameKey(result.name.toUpperCase()), result.key);
        assert.equal(usernameKey(result.name.toLowerCase()), result.key);
      },
    ),
  );
});

Deno.test("normalizeUsername() accepts every ASCII name of letters, digits, _ and -", () => {
  fc.assert(
    fc.property(
      fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/),
      (raw) => {
        const result = normalizeUsername(raw, { allowReserved: true });
        assert.deepEqual(result, {
          ok: true,
          name: raw,
          key: raw.toLowerCase(),
        });
      },
    ),
  );
});

Deno.test("normalizeUsername() refuses look-alikes of reserved names and mixed Latin/Cyrillic/Greek", () => {
  // Cyrillic а (U+0430) and ѕ (U+0455) in otherwise Latin reserved names.
  assert.deepEqual(normalizeUsername("\u0430dmin"), {
    ok: false,
    reason: "reserved",
  });
  assert.deepEqual(normalizeUsername("\u0455ystem"), {
    ok: false,
    reason: "reserved",
  });
  // All-Cyrillic look-alike of "root", and digits for letters.
  assert.deepEqual(normalizeUsername("\u0433\u043e\u043e\u0442"), {
    ok: false,
    reason: "reserved",
  });
  assert.deepEqual(normalizeUsername("5ystem"), {
    ok: false,
    reason: "reserved",
  });
  // A mixed-script name that imitates no reserved name.
  assert.deepEqual(normalizeUsername("p\u0430ypal"), {
    ok: false,
    reason: "confusable",
  });
  // Real names in one script, or Latin with Han, still pass.
  for (const name of ["Иван", "Αλέξης", "小王abc", "alice", "bob_2"]) {
    assert.equal(normalizeUsername(name).ok, true, name);
  }
});

Deno.test("confusableSkeleton() maps the Cyrillic and Greek look-alikes of a Latin name to it", () => {
  // Cyrillic а ӏ і с е, Greek lunate sigma ϲ.
  // i and l share one letter in a skeleton.
  assert.equal(confusableSkeleton("аӏісе"), "allce");
  assert.equal(confusableSkeleton("alice"), "allce");
  assert.equal(confusableSkeleton("ϲat"), "cat");
});
