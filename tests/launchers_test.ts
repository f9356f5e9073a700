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

for (const side of ["server", "client"] as const) {
  Deno.test(`run_${side}.bat calls deno.cmd with call, so its error and pause are seen`, async () => {
    const bat = await read(`run_${side}.bat`);
    // npm installs deno as deno.cmd; a batch file that runs another one
    // without "call" never comes back to the lines after it.
    assert.match(bat, new RegExp(`\\r\\ncall deno task ${side} %\\*\\r\\n`));
  });

  Deno.test(`run_${side}.bat runs the exe from its own folder`, async () => {
    const bat = await read(`run_${side}.bat`);
    const exeBranch = bat.slice(bat.indexOf(":run_exe"));
    const pushdAt = exeBranch.indexOf('pushd "%HERE%"');
    const runAt = exeBranch.indexOf('"%EXE%" %*');
    assert.ok(pushdAt >= 0 && pushdAt < runAt, "pushd before the exe");
    assert.ok(exeBranch.indexOf("popd") > runAt, "popd after it");
  });

  Deno.test(`run_${side}.ps1 is UTF-8 with a BOM and runs the exe from its own folder`, async () => {
    const bytes = await Deno.readFile(new URL(`run_${side}.ps1`, root));
    // Windows PowerShell 5.1 reads a BOM-less script as the ANSI code page,
    // which turns its Chinese lines into mojibake.
    assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    const ps1 = new TextDecoder().decode(bytes.subarray(3));
    const exeBranch = ps1.slice(ps1.indexOf("if (Test-Path $exe)"));
    const pushAt = exeBranch.indexOf("Push-Location $here");
    assert.ok(pushAt >= 0 && pushAt < exeBranch.indexOf("& $exe @args"));
  });
}

Deno.test("release workflow avoids retired runners and attaches the Windows zip", async () => {
  const workflow = await read(".github/workflows/release.yml");
  const runners = [...workflow.matchAll(/^\s*(?:- )?(?:os|runs-on): (\S+)/gm)]
    .map((match) => match[1]);
  assert.ok(runners.length >= 5, `runners found: ${runners.join(", ")}`);
  // Retired by GitHub: jobs on these labels wait forever, so the release
  // job that needs them never runs.
  for (
    const retired of ["macos-12", "macos-13", "ubuntu-20.04", "windows-2019"]
  ) {
    assert.ok(!runners.includes(retired), `uses retired runner ${retired}`);
  }
  const release = workflow.slice(workflow.indexOf("\n  release:"));
  assert.match(release, /actions\/checkout@/);
  assert.match(release, /\.ci\/package_windows\.sh dist/);
  assert.match(release, /gh release create .* dist\/\*/);
});

Deno.test({
  name: ".ci/package_windows.sh zips both exes with all four launchers",
  ignore: Deno.build.os === "windows",
  async fn() {
    const dist = await Deno.makeTempDir({ prefix: "tcpchat-dist-" });
    try {
      for (const exe of ["tcpchat-server.exe", "tcpchat-client.exe"]) {
        await Deno.writeTextFile(`${dist}/${exe}`, `fake ${exe}`);
      }
      const script = new URL(".ci/package_windows.sh", root).pathname;
      const packed = await new Deno.Command("bash", {
        args: [script, dist],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(packed.code, 0, new TextDecoder().decode(packed.stderr));
      const listed = await new Deno.Command("unzip", {
        args: ["-Z1", `${dist}/tcpchat-windows-x64.zip`],
        stdout: "piped",
      }).output();
      assert.equal(listed.code, 0);
      const entries = new TextDecoder().decode(listed.stdout).trim().split("\n")
        .sort();
      assert.deepEqual(entries, [
        "README.md",
        "run_client.bat",
        "run_client.ps1",
        "run_server.bat",
        "run_server.ps1",
        "tcpchat-client.exe",
        "tcpchat-server.exe",
      ]);
    } finally {
      await Deno.remove(dist, { recursive: true });
    }
  },
});
