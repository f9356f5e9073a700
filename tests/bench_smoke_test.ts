/**
 * Keeps the benchmark harness working: a 10-client fan-out against our
 * server only, in a subprocess, bounded in time. The real benchmark
 * (`deno task bench`) never runs in the tests.
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const LIMIT_MS = 15_000;

interface SmokeRun {
  server: string;
  clients: number;
  loggedIn: number;
  loginFailures: number;
  expected: number;
  delivered: number;
  deliveredPct: number;
  disconnects: number;
  latencyMs: { p99: number };
}

Deno.test("bench --quick delivers every message to 10 clients of our server", async () => {
  const out = await Deno.makeTempDir({ prefix: "tcpchat_bench_smoke_" });
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), LIMIT_MS);
  try {
    const started = performance.now();
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-run",
        join(REPO, "bench", "main.ts"),
        "--quick",
        "--scenario",
        "fanout",
        "--servers",
        "tcpchat",
        "--no-wait-quiet",
        "--out",
        out,
        "--cache-dir",
        join(out, "cache"),
      ],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
      signal: abort.signal,
    }).output();
    const elapsed = performance.now() - started;
    const errors = new TextDecoder().decode(stderr);
    assert.equal(code, 0, `bench exited with ${code}:\n${errors}`);
    assert.ok(elapsed < LIMIT_MS, `took ${elapsed.toFixed(0)} ms`);
    assert.match(new TextDecoder().decode(stdout), /Fan-out: 10 clients/);

    const results = JSON.parse(
      await Deno.readTextFile(join(out, "quick.json")),
    ) as { fanout: SmokeRun[] };
    assert.ok(results.fanout.length > 0, "no fan-out result");
    for (const run of results.fanout) {
      assert.equal(run.clients, 10);
      assert.equal(run.loggedIn, 10, `${run.server}: logins`);
      assert.equal(run.loginFailures, 0, `${run.server}: failed logins`);
      assert.equal(run.disconnects, 0, `${run.server}: lost connections`);
      assert.ok(run.expected > 0, `${run.server}: nothing was sent`);
      assert.equal(run.delivered, run.expected, `${run.server}: deliveries`);
      assert.equal(run.deliveredPct, 100);
      assert.ok(run.latencyMs.p99 > 0, `${run.server}: no latency measured`);
    }
    const svg = await Deno.readTextFile(join(out, "quick.svg"));
    assert.match(svg, /^<svg /);
  } finally {
    clearTimeout(timer);
    await Deno.remove(out, { recursive: true });
  }
});
