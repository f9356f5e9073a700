/**
 * The adversarial suite: fuzzing, bad input, faults, races and secrets
 * against TCPChat, on 127.0.0.1 only, every wait bounded. Inside
 * `deno task test` it runs a small subset; `deno task test:hostile` sets
 * `TCPCHAT_HOSTILE_FULL=1` for the full counts. Each case reports what it
 * tried and what it saw, and the last test prints the summary table.
 *
 * @module
 */

import { badInput, manualSlowloris } from "./_bad_input.ts";
import { corruptDatabase, killCycles } from "./_faults.ts";
import {
  concurrentGets,
  cutUpload,
  flood,
  hostileNames,
  lyingHash,
  oversized,
  quota,
  racingPuts,
  tickets,
} from "./_files.ts";
import { fuzzCommands, fuzzFramer, fuzzLive, fuzzReplies } from "./_fuzz.ts";
import { races } from "./_races.ts";
import { secretProbes, secretScan } from "./_secrets.ts";
import {
  COUNTS,
  FULL,
  hostileTest,
  renderTable,
  ROWS,
  SEEDS,
} from "./_support.ts";

const started = performance.now();

hostileTest("fuzz LineFramer, parseCommand and parseReply", (context) => {
  fuzzFramer(context);
  fuzzCommands(context);
  fuzzReplies(context);
  return Promise.resolve();
});

hostileTest("fuzz a live server", fuzzLive);

hostileTest("bad input while normal clients chat", badInput);

hostileTest("slowloris against the deadlines (ManualClock)", manualSlowloris);

hostileTest("races for one account and one name", races);

hostileTest("secrets: probes at a live server", secretProbes);

hostileTest("faults: kill -9 during bursts, restart", killCycles);

hostileTest("faults: truncated or garbled database", corruptDatabase);

hostileTest("files: hostile names", hostileNames);

hostileTest("files: over the size limit", oversized);

hostileTest("files: an upload cut half-way, resumed", cutUpload);

hostileTest("files: an upload that lies about its hash", lyingHash);

hostileTest("files: tickets replayed, borrowed, crossed", tickets);

hostileTest("files: two PUTs of one upload at once", racingPuts);

hostileTest("files: one user's quota exhausted", quota);

hostileTest("files: a flood of tiny files", flood);

hostileTest("files: too many transfers at once", concurrentGets);

hostileTest("secrets: scan of the whole suite", secretScan);

Deno.test("hostile: summary table", () => {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const failed = ROWS.filter((row) => row.result !== "PASS").length;
  // deno-lint-ignore no-console -- the table is the suite's report
  console.log(
    `\nTCPChat hostile suite: ${
      FULL ? "full" : "subset"
    } (${COUNTS.fuzzInputs} fuzz inputs, ${COUNTS.killCycles} kill cycles); fuzz seeds fixed=${SEEDS.fixed} random=${SEEDS.random} (replay: TCPCHAT_HOSTILE_SEED=${SEEDS.random}); ${ROWS.length} rows, ${failed} not passed; ${seconds} s\n${
      renderTable(ROWS)
    }\n`,
  );
});
