/**
 * The terminal's progress line for a file transfer (issue 15) and its
 * redraw throttle, with a manual clock.
 */

import assert from "node:assert/strict";
import { ManualClock } from "../../lib/shared/clock.ts";
import {
  PROGRESS_NAME_COLUMNS,
  progressLine,
  ProgressThrottle,
  shortenName,
} from "../../lib/client/transfer_progress.ts";
import { stringWidth } from "../../lib/terminal/display_width.ts";

const MB = 1024 * 1024;

Deno.test("progressLine() shows direction, name, percent, amounts and speed", () => {
  assert.equal(
    progressLine({
      direction: "up",
      name: "报告.pdf",
      done: 1085277, // 45.00001% of 2411725
      total: 2411725,
      elapsedMs: 304,
      lang: "zh",
    }),
    "↑ 报告.pdf  45%  1.0 MB / 2.3 MB  —",
  );
  assert.equal(
    progressLine({
      direction: "down",
      name: "报告.pdf",
      done: 1085277,
      total: 2411725,
      elapsedMs: 300,
      lang: "en",
    }),
    "↓ 报告.pdf  45%  1.0 MB / 2.3 MB  —",
  );
});

Deno.test("progressLine() computes the average speed once half a second has passed", () => {
  const line = (elapsedMs: number) =>
    progressLine({
      direction: "down",
      name: "video.mp4",
      done: 34 * MB,
      total: 100 * MB,
      elapsedMs,
      lang: "en",
    });
  assert.equal(line(0), "↓ video.mp4  34%  34.0 MB / 100 MB  —");
  assert.equal(line(499), "↓ video.mp4  34%  34.0 MB / 100 MB  —");
  assert.equal(line(500), "↓ video.mp4  34%  34.0 MB / 100 MB  68.0 MB/s");
  assert.equal(line(10_000), "↓ video.mp4  34%  34.0 MB / 100 MB  3.4 MB/s");
  assert.equal(line(340_000), "↓ video.mp4  34%  34.0 MB / 100 MB  102 KB/s");
});

Deno.test("progressLine() rounds the percentage down and says done at the end, in the user's language", () => {
  const base = {
    direction: "up" as const,
    name: "a.bin",
    total: 1000,
    elapsedMs: 1000,
  };
  assert.equal(
    progressLine({ ...base, done: 999, lang: "en" }),
    "↑ a.bin  99%  999 B / 1000 B  999 B/s",
  );
  assert.equal(
    progressLine({ ...base, done: 1000, lang: "en" }),
    "↑ a.bin  100%  1000 B / 1000 B  1000 B/s  done",
  );
  assert.equal(
    progressLine({ ...base, done: 1000, lang: "zh" }),
    "↑ a.bin  100%  1000 B / 1000 B  1000 B/s  完成",
  );
  assert.equal(
    progressLine({ ...base, done: 0, lang: "en" }),
    "↑ a.bin  0%  0 B / 1000 B  0 B/s",
  );
});

Deno.test("progressLine() handles an empty file and out-of-range counts", () => {
  assert.equal(
    progressLine({
      direction: "down",
      name: "empty.txt",
      done: 0,
      total: 0,
      elapsedMs: 10,
      lang: "en",
    }),
    "↓ empty.txt  100%  0 B / 0 B  —  done",
  );
  // More than announced (a server bug) is shown as the total, never 101%.
  assert.equal(
    progressLine({
      direction: "down",
      name: "x",
      done: 2048,
      total: 1024,
      elapsedMs: 1000,
      lang: "en",
    }),
    "↓ x  100%  1.0 KB / 1.0 KB  1.0 KB/s  done",
  );
});

Deno.test("progressLine() shows no escape or control character from the name", () => {
  const line = progressLine({
    direction: "down",
    name: "\x1b[2Jevil\u202etxt.exe\n",
    done: 0,
    total: 10,
    elapsedMs: 0,
    lang: "en",
  });
  assert.equal(line, "↓ eviltxt.exe  0%  0 B / 10 B  —");
});

Deno.test("progressLine() shortens a long name to 30 columns with …, keeping the extension", () => {
  const line = progressLine({
    direction: "up",
    name: "a very long name for a quarterly report.pdf",
    done: 512,
    total: 1024,
    elapsedMs: 1000,
    lang: "en",
  });
  assert.equal(
    line,
    "↑ a very long name for a qu….pdf  50%  512 B / 1.0 KB  512 B/s",
  );
});

Deno.test("shortenName() leaves a name that fits alone", () => {
  assert.equal(shortenName("报告.pdf", 30), "报告.pdf");
  assert.equal(shortenName("x".repeat(30), 30), "x".repeat(30));
  assert.equal(shortenName("报".repeat(15), 30), "报".repeat(15));
});

Deno.test("shortenName() counts CJK as two columns and never splits a wide character", () => {
  // 20 CJK characters are 40 columns; "….pdf" takes 5, so 25 are left:
  // 12 characters (24 columns), one column stays free.
  const short = shortenName("报".repeat(20) + ".pdf", 30);
  assert.equal(short, "报".repeat(12) + "….pdf");
  assert.equal(stringWidth(short), 29);
  const noExtension = shortenName("报".repeat(20), 30);
  assert.equal(noExtension, "报".repeat(14) + "…");
  assert.equal(stringWidth(noExtension), 29);
});

Deno.test("shortenName() keeps emoji sequences whole", () => {
  assert.equal(shortenName("👨‍👩‍👧".repeat(20), 9), "👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧👨‍👩‍👧…");
  assert.equal(shortenName("🇨🇳".repeat(20) + ".png", 10), "🇨🇳🇨🇳…" + ".png");
});

Deno.test("shortenName() drops a long extension, or one that leaves no room for the name", () => {
  assert.equal(
    shortenName("report.extremelylongextension", 12),
    "report.extr…",
  );
  assert.equal(shortenName("abcdefgh.txt", 5), "abcd…");
  assert.equal(shortenName(".bashrc_with_a_long_name", 8), ".bashrc…");
});

Deno.test("progressLine() names are at most PROGRESS_NAME_COLUMNS columns", () => {
  assert.equal(PROGRESS_NAME_COLUMNS, 30);
  for (
    const name of [
      "x".repeat(100),
      "报".repeat(100) + ".zip",
      "a" + "报".repeat(100),
      "😀".repeat(40) + ".txt",
    ]
  ) {
    const shown = shortenName(name, PROGRESS_NAME_COLUMNS);
    assert.ok(stringWidth(shown) <= 30, shown);
    assert.ok(stringWidth(shown) >= 29, shown);
    assert.ok(shown.includes("…"), shown);
  }
});

Deno.test("ProgressThrottle is due on the first call, then once per 250 ms by default", () => {
  const clock = new ManualClock(1_000_000);
  const throttle = new ProgressThrottle(clock);
  assert.equal(throttle.due(), true);
  assert.equal(throttle.due(), false);
  clock.advance(249);
  assert.equal(throttle.due(), false);
  clock.advance(1);
  assert.equal(throttle.due(), true);
  // The interval counts from the last shown line, not from the first one.
  clock.advance(200);
  assert.equal(throttle.due(), false);
  clock.advance(100);
  assert.equal(throttle.due(), true);
  clock.advance(1000);
  assert.equal(throttle.due(), true);
  assert.equal(throttle.due(), false);
});

Deno.test("ProgressThrottle takes its own interval, and a clock that went back counts as due", () => {
  const clock = new ManualClock(5000);
  const throttle = new ProgressThrottle(clock, 1000);
  assert.equal(throttle.due(), true);
  clock.advance(999);
  assert.equal(throttle.due(), false);
  clock.advance(1);
  assert.equal(throttle.due(), true);
  clock.set(0);
  assert.equal(throttle.due(), true);
  assert.equal(throttle.due(), false);

  const always = new ProgressThrottle(clock, 0);
  assert.equal(always.due(), true);
  assert.equal(always.due(), true);

  assert.throws(() => new ProgressThrottle(clock, -1), RangeError);
});

Deno.test("progressLine() counts the speed from where a resumed transfer began", () => {
  assert.equal(
    progressLine({
      direction: "up",
      name: "big.bin",
      done: 150 * 1024 * 1024,
      total: 200 * 1024 * 1024,
      elapsedMs: 2000,
      from: 100 * 1024 * 1024,
      lang: "zh",
    }),
    "↑ big.bin  75%  150 MB / 200 MB  25.0 MB/s",
  );
});
