/**
 * The committed page (lib/server/net/web_page.gen.ts) is what
 * `deno task build:web` makes from lib/browser/ and lib/web/ now, so the server and the
 * executables never serve a stale page.
 *
 * @module
 */

import assert from "node:assert/strict";
import { buildPageModule, PAGE_MODULE } from "../../.ci/build_web.ts";

Deno.test("web page: the committed bundle is up to date with its sources (else run deno task build:web)", async () => {
  const built = await buildPageModule();
  const committed = await Deno.readTextFile(PAGE_MODULE);
  assert.ok(
    built === committed,
    "lib/server/net/web_page.gen.ts is stale: run `deno task build:web`",
  );
  // The bundle is for a browser: nothing of Deno's in it.
  assert.doesNotMatch(built, /\bDeno\./);
});
