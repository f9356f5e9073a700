/**
 * The Windows launchers cannot run here; these tests check what they say:
 * UTF-8 console, the built executable first, `deno task` as the fallback,
 * arguments passed through, and a window that stays open on failure.
 */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);

async function read(name: string): Promise<string> {
  return await Deno.readTextFile(new URL(name, root));
}

for (
  const [side, task] of [["server", "server"], ["client", "client"]] as const
) {
  Deno.test(`run_${side}.bat prefers the exe, falls back to deno task ${task}, and passes arguments`, async () => {
    const bat = await read(`run_${side}.bat`);
    assert.match(bat, /chcp 65001/);
    const exeAt = bat.indexOf(`dist\\tcpchat-${side}.exe`);
    const denoAt = bat.indexOf(`deno task ${task} %*`);
    assert.ok(exeAt >= 0, "looks for the exe in dist\\");
    assert.ok(
      bat.includes(`%HERE%tcpchat-${side}.exe`),
      "or beside the script",
    );
    assert.ok(denoAt > exeAt, "deno task is the fallback");
    assert.match(bat, /"%EXE%" %\*/, "arguments pass through to the exe");
    assert.match(bat, /pause/, "the window stays open on failure");
    assert.match(bat, /exit \/b %RC%/, "the exit code is kept");
  });

  Deno.test(`run_${side}.ps1 prefers the exe, falls back to deno task ${task}, and passes arguments`, async () => {
    const ps1 = await read(`run_${side}.ps1`);
    assert.match(ps1, /chcp 65001/);
    assert.match(ps1, /UTF8/);
    const exeAt = ps1.indexOf(`dist\\tcpchat-${side}.exe`);
    const denoAt = ps1.indexOf(`deno task ${task} @args`);
    assert.ok(exeAt >= 0 && denoAt > exeAt, "exe first, then deno task");
    assert.match(ps1, /& \$exe @args/, "arguments pass through to the exe");
    assert.match(ps1, /Read-Host/, "the window stays open on failure");
  });
}

Deno.test("launchers are checked out with CRLF line endings on Windows", async () => {
  const attributes = await read(".gitattributes");
  assert.match(attributes, /\*\.bat text eol=crlf/);
  assert.match(attributes, /\*\.ps1 text eol=crlf/);
});
