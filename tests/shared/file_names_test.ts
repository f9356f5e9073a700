/**
 * File names made safe (issue 15): hostile names from a peer become one plain
 * name, free names are found by numbering, byte counts read well.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  formatBytes,
  MAX_FILE_NAME_BYTES,
  safeFileName,
  uniqueFileName,
} from "../../lib/shared/file_names.ts";

const encoder = new TextEncoder();

function bytes(text: string): number {
  return encoder.encode(text).length;
}

Deno.test("safeFileName() keeps only the last path segment, for / and \\ alike", () => {
  assert.equal(safeFileName("../../x"), "x");
  assert.equal(safeFileName("..\\..\\x"), "x");
  assert.equal(safeFileName("C:\\x"), "x");
  assert.equal(safeFileName("/etc/passwd"), "passwd");
  assert.equal(safeFileName("\\\\server\\share\\report.pdf"), "report.pdf");
  assert.equal(safeFileName("a/b\\c/d.txt"), "d.txt");
  assert.equal(safeFileName("dir/"), "file");
  assert.equal(safeFileName("dir/.."), "file");
});

Deno.test("safeFileName() replaces the characters Windows forbids, so C:x is no drive-relative path", () => {
  assert.equal(safeFileName("C:x"), "C_x");
  assert.equal(safeFileName("x:y"), "x_y");
  assert.equal(safeFileName('a<b>c:d"e|f?g*h.txt'), "a_b_c_d_e_f_g_h.txt");
  assert.equal(safeFileName("what?.md"), "what_.md");
});

Deno.test("safeFileName() removes NUL, C0 and C1 controls and DEL", () => {
  assert.equal(safeFileName("a\u0000b"), "ab");
  assert.equal(safeFileName("a\nb\rc\td"), "abcd");
  assert.equal(safeFileName("\x1b[31mred\x1b[0m.txt"), "[31mred[0m.txt");
  assert.equal(safeFileName("x\u007fy\u0085z\u009f.bin"), "xyz.bin");
  assert.equal(safeFileName("\u0000"), "file");
});

Deno.test("safeFileName() removes bidi controls and invisible format characters", () => {
  // Shown as "evilexe.txt" by a terminal or file manager otherwise.
  assert.equal(safeFileName("evil\u202Etxt.exe"), "eviltxt.exe");
  assert.equal(
    safeFileName(
      "a\u061cb\u200bc\u200cd\u200de\u200ff\u202ag\u2066h\u2069i\u2060j\u2064k\ufeffl.txt",
    ),
    "abcdefghijkl.txt",
  );
  assert.equal(safeFileName("\ufeffbom.txt"), "bom.txt");
  assert.equal(safeFileName("line\u2028break"), "linebreak");
  assert.equal(safeFileName("\u200b\u200e"), "file");
});

Deno.test("safeFileName() keeps the joiners inside emoji sequences, so emoji stay whole", () => {
  assert.equal(safeFileName("👨‍👩‍👧 family.png"), "👨‍👩‍👧 family.png");
  assert.equal(safeFileName("🏳️‍🌈.gif"), "🏳️‍🌈.gif");
  assert.equal(safeFileName("👩🏽‍💻 work.txt"), "👩🏽‍💻 work.txt");
  assert.equal(safeFileName("\u200d😀\u200d"), "😀");
});

Deno.test("safeFileName() keeps emoji, CJK and accented names intact", () => {
  assert.equal(safeFileName("报告.pdf"), "报告.pdf");
  assert.equal(
    safeFileName("会议纪要 2026-12-03.docx"),
    "会议纪要 2026-12-03.docx",
  );
  assert.equal(safeFileName("写真 🎉🇨🇳.jpg"), "写真 🎉🇨🇳.jpg");
  assert.equal(safeFileName("한국어 파일.txt"), "한국어 파일.txt");
  assert.equal(safeFileName("Ünïcödé résumé.pdf"), "Ünïcödé résumé.pdf");
  assert.equal(safeFileName(".env"), ".env");
  assert.equal(safeFileName("a b  c.txt"), "a b  c.txt");
});

Deno.test("safeFileName() normalizes to NFC", () => {
  assert.equal(safeFileName("cafe\u0301.txt"), "caf\u00e9.txt");
  // The zero-width space went first, so the accent composes.
  assert.equal(safeFileName("e\u200b\u0301"), "\u00e9");
  assert.equal(safeFileName("\u212b.txt"), "\u00c5.txt");
});

Deno.test("safeFileName() trims, and strips trailing dots and spaces that Windows drops", () => {
  assert.equal(safeFileName("name. . ."), "name");
  assert.equal(safeFileName("   "), "file");
  assert.equal(safeFileName("  report.pdf  "), "report.pdf");
  assert.equal(safeFileName("notes."), "notes");
  assert.equal(safeFileName("a\u3000."), "a");
  assert.equal(safeFileName("\u00a0x\u00a0"), "x");
  assert.equal(safeFileName("archive.tar."), "archive.tar");
});

Deno.test("safeFileName() gives 'file' for ., .., empty and only dots", () => {
  assert.equal(safeFileName(""), "file");
  assert.equal(safeFileName("."), "file");
  assert.equal(safeFileName(".."), "file");
  assert.equal(safeFileName("....."), "file");
  assert.equal(safeFileName(". . ."), "file");
});

Deno.test("safeFileName() prefixes Windows device names, any case, with or without extension", () => {
  assert.equal(safeFileName("CON"), "_CON");
  assert.equal(safeFileName("con.txt"), "_con.txt");
  assert.equal(safeFileName("COM1.log"), "_COM1.log");
  assert.equal(safeFileName("nul.txt"), "_nul.txt");
  assert.equal(safeFileName("Prn"), "_Prn");
  assert.equal(safeFileName("aux.tar.gz"), "_aux.tar.gz");
  assert.equal(safeFileName("COM0"), "_COM0");
  assert.equal(safeFileName("lpt9.doc"), "_lpt9.doc");
  assert.equal(safeFileName("COM\u00b9"), "_COM\u00b9");
  assert.equal(safeFileName("lpt\u00b3.txt"), "_lpt\u00b3.txt");
  assert.equal(safeFileName("CONIN$"), "_CONIN$");
  assert.equal(safeFileName("conout$.log"), "_conout$.log");
  // Trailing spaces before the dot or the end do not hide a device.
  assert.equal(safeFileName("CON .txt"), "_CON .txt");
  assert.equal(safeFileName("NUL   "), "_NUL");
  assert.equal(safeFileName("dir/AUX"), "_AUX");
});

Deno.test("safeFileName() leaves names that only look like devices alone", () => {
  assert.equal(safeFileName("CONSOLE.txt"), "CONSOLE.txt");
  assert.equal(safeFileName("COM10"), "COM10");
  assert.equal(safeFileName("LPT"), "LPT");
  assert.equal(safeFileName("my con.txt"), "my con.txt");
  assert.equal(safeFileName("CON:"), "CON_");
  assert.equal(safeFileName("conin"), "conin");
  assert.equal(safeFileName("_CON"), "_CON");
});

Deno.test("safeFileName() cuts a 4 KB name to MAX_FILE_NAME_BYTES, keeping the extension", () => {
  assert.equal(MAX_FILE_NAME_BYTES, 180);
  const long = safeFileName("a".repeat(4096) + ".txt");
  assert.equal(long, "a".repeat(176) + ".txt");
  assert.equal(bytes(long), 180);

  // 3-byte characters: 58 of them (174 bytes) and ".pdf" (4) fit, a 59th does not.
  assert.equal(
    safeFileName("报".repeat(2000) + ".pdf"),
    "报".repeat(58) + ".pdf",
  );

  // 4-byte emoji (a surrogate pair in UTF-16) are never split.
  const emoji = safeFileName("😀".repeat(100));
  assert.equal(emoji, "😀".repeat(45));
  assert.equal(bytes(emoji), 180);

  // A flag is one cluster of 8 bytes: 22 fit in 176 bytes, half a flag is never kept.
  const flags = safeFileName("🇨🇳".repeat(50) + ".png");
  assert.equal(flags, "🇨🇳".repeat(22) + ".png");

  // An extension longer than 16 characters is not kept apart.
  const longExtension = safeFileName("a".repeat(200) + "." + "b".repeat(17));
  assert.equal(longExtension, "a".repeat(180));

  // A dotfile has no extension.
  assert.equal(safeFileName("." + "x".repeat(300)), "." + "x".repeat(179));
});

Deno.test("safeFileName() cuts a single huge cluster between code points", () => {
  const cluster = "e" + "\u0301".repeat(200); // 1 + 400 bytes, one grapheme
  // NFC makes e + U+0301 one 2-byte é; 89 more marks of 2 bytes fill 180.
  assert.equal(safeFileName(cluster), "\u00e9" + "\u0301".repeat(89));
});

Deno.test("safeFileName() re-checks after cutting: no trailing space, no bare device", () => {
  assert.equal(
    safeFileName("x".repeat(170) + " ".repeat(20) + "y"),
    "x".repeat(170),
  );
  assert.equal(safeFileName("CON" + " ".repeat(300) + "x"), "_CON");
});

Deno.test("safeFileName() turns lone surrogates into U+FFFD", () => {
  assert.equal(safeFileName("a\ud800b.txt"), "a\ufffdb.txt");
});

/** Fragments that hostile names are made of, for the property tests. */
const HOSTILE_PIECES = [
  "/",
  "\\",
  ".",
  "..",
  " ",
  ":",
  "<",
  "*",
  "\u0000",
  "\u001b",
  "\u0085",
  "\u202e",
  "\u2066",
  "\u200b",
  "\u200d",
  "\ufe0f",
  "\ufeff",
  "\u0301",
  "\u00b9",
  "\u3000",
  "\ud800",
  "CON",
  "nul",
  "COM1",
  "LPT\u00b2",
  "CONIN$",
  ".txt",
  ".tar.gz",
  "报告",
  "😀",
  "👨‍👩‍👧",
  "🇨🇳",
  "e",
  "a".repeat(60),
  "字".repeat(30),
];

const hostileName = fc.oneof(
  fc.array(fc.constantFrom(...HOSTILE_PIECES), { maxLength: 12 }).map((
    pieces,
  ) => pieces.join("")),
  fc.string({ unit: "grapheme", maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.string({ maxLength: 300 }),
);

const DEVICE =
  /^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]|CONIN\$|CONOUT\$) *(\.|$)/i;
const UNSAFE =
  // deno-lint-ignore no-control-regex -- finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b\u200e\u200f\ufeff]/;

Deno.test("safeFileName() is idempotent (property)", () => {
  fc.assert(
    fc.property(hostileName, (name) => {
      const once = safeFileName(name);
      assert.equal(safeFileName(once), once);
    }),
    { numRuns: 2000 },
  );
});

Deno.test("safeFileName() output is always one short, clean, non-device name (property)", () => {
  fc.assert(
    fc.property(hostileName, (name) => {
      const safe = safeFileName(name);
      assert.ok(safe.length > 0);
      assert.ok(!safe.includes("/") && !safe.includes("\\"), safe);
      assert.ok(!UNSAFE.test(safe), JSON.stringify(safe));
      assert.ok(!/[<>:"|?*]/.test(safe), safe);
      assert.ok(!DEVICE.test(safe), safe);
      assert.ok(safe !== "." && safe !== "..");
      assert.ok(!/[. ]$/.test(safe), JSON.stringify(safe));
      assert.ok(!/^\s/u.test(safe), JSON.stringify(safe));
      assert.ok(bytes(safe) <= MAX_FILE_NAME_BYTES, String(bytes(safe)));
      assert.ok(safe.isWellFormed());
      assert.equal(safe, safe.normalize("NFC"));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("uniqueFileName() returns the name itself when it is free", async () => {
  assert.equal(await uniqueFileName("报告.pdf", () => false), "报告.pdf");
});

Deno.test("uniqueFileName() numbers before the extension: 报告 (1).pdf, 报告 (2).pdf", async () => {
  const taken = new Set<string>();
  const names: string[] = [];
  for (let i = 0; i < 3; i++) {
    const name = await uniqueFileName("报告.pdf", (n) => taken.has(n));
    taken.add(name);
    names.push(name);
  }
  assert.deepEqual(names, ["报告.pdf", "报告 (1).pdf", "报告 (2).pdf"]);
});

Deno.test("uniqueFileName() numbers names without extension, dotfiles and double extensions", async () => {
  const first = (name: string) => uniqueFileName(name, (n) => n === name);
  assert.equal(await first("notes"), "notes (1)");
  assert.equal(await first(".env"), ".env (1)");
  assert.equal(await first("a.tar.gz"), "a (1).tar.gz");
  assert.equal(await first("backup.TAR.XZ"), "backup (1).TAR.XZ");
  assert.equal(await first("src.tar.bz2"), "src (1).tar.bz2");
  assert.equal(await first("photo.2026.jpg"), "photo.2026 (1).jpg");
  assert.equal(await first(".env.local"), ".env (1).local");
  assert.equal(await first("😀.png"), "😀 (1).png");
});

Deno.test("uniqueFileName() asks an async isTaken in order, one candidate at a time", async () => {
  const asked: string[] = [];
  const name = await uniqueFileName("x.txt", async (candidate) => {
    asked.push(candidate);
    await Promise.resolve();
    return asked.length < 3;
  });
  assert.equal(name, "x (2).txt");
  assert.deepEqual(asked, ["x.txt", "x (1).txt", "x (2).txt"]);
});

Deno.test("uniqueFileName() keeps every candidate within MAX_FILE_NAME_BYTES", async () => {
  const name = "报".repeat(58) + ".pdf"; // 178 bytes
  const taken = new Set([name]);
  const first = await uniqueFileName(name, (n) => taken.has(n));
  // " (1)" needs 4 bytes, 2 more than are left: one character (3 bytes) goes.
  assert.equal(first, "报".repeat(57) + " (1).pdf");
  assert.ok(bytes(first) <= MAX_FILE_NAME_BYTES);

  const all = new Set<string>();
  await uniqueFileName(name, (n) => {
    assert.ok(bytes(n) <= MAX_FILE_NAME_BYTES, n);
    all.add(n);
    // " (1234).pdf" is 11 bytes: 56 characters (168 bytes) are left.
    return n !== "报".repeat(56) + " (1234).pdf";
  });
  assert.equal(all.size, 1235);

  // A name longer than the limit is cut even as the first candidate.
  assert.equal(
    await uniqueFileName("a".repeat(200) + ".txt", () => false),
    "a".repeat(176) + ".txt",
  );
});

Deno.test("uniqueFileName() throws a clear Error after 9999 numbered tries", async () => {
  let asked = 0;
  await assert.rejects(
    uniqueFileName("notes.txt", () => {
      asked++;
      return true;
    }),
    {
      name: "Error",
      message:
        'Cannot find a free file name for "notes.txt": it and its 9999 numbered variants are all taken',
    },
  );
  assert.equal(asked, 10000);
});

Deno.test("formatBytes() shows bytes, then one decimal below 100, none from 100", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1), "1 B");
  assert.equal(formatBytes(512), "512 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1024), "1.0 KB");
  assert.equal(formatBytes(1536), "1.5 KB");
  assert.equal(formatBytes(2411725), "2.3 MB");
  assert.equal(formatBytes(99 * 1024 * 1024), "99.0 MB");
  assert.equal(formatBytes(104857600), "100 MB");
  assert.equal(formatBytes(1610612736), "1.5 GB");
  assert.equal(formatBytes(5 * 1024 ** 4), "5.0 TB");
  assert.equal(formatBytes(Number.MAX_SAFE_INTEGER), "8.0 PB");
});

Deno.test("formatBytes() carries a round-up to the next unit: never 1024 KB or 100.0", () => {
  assert.equal(formatBytes(1048575), "1.0 MB");
  assert.equal(formatBytes(1023.6 * 1024), "1.0 MB");
  assert.equal(formatBytes(1023.4 * 1024), "1023 KB");
  assert.equal(formatBytes(99.95 * 1024), "100 KB");
  assert.equal(formatBytes(99.94 * 1024), "99.9 KB");
  assert.equal(formatBytes(1024 ** 3 - 1), "1.0 GB");
});

Deno.test("formatBytes() rounds fractional counts such as speeds, and refuses negatives and NaN", () => {
  assert.equal(formatBytes(511.6), "512 B");
  assert.equal(formatBytes(1023.6), "1.0 KB");
  assert.throws(() => formatBytes(-1), RangeError);
  assert.throws(() => formatBytes(Number.NaN), RangeError);
  assert.throws(() => formatBytes(Infinity), RangeError);
});

Deno.test("formatBytes() never shows 1024 of a unit or 100.0 (property)", () => {
  fc.assert(
    fc.property(fc.maxSafeNat(), (n) => {
      const text = formatBytes(n);
      assert.match(text, /^(\d{1,4} B|\d{1,2}\.\d [KMGTP]B|\d{3,4} [KMGTP]B)$/);
      const value = Number(text.split(" ")[0]);
      assert.ok(text.endsWith(" B") || value < 1024, text);
    }),
  );
});
