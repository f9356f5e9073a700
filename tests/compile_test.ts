import assert from "node:assert/strict";
import { join } from "node:path";
import {
  compileArgs,
  ICON,
  isRuntimeDownloadFailure,
  PERMISSIONS,
  TARGETS,
} from "../.ci/compile.ts";
import { tempDir } from "./_util.ts";

Deno.test("compileArgs() bakes in narrow permissions, never -A", () => {
  const args = compileArgs("server", TARGETS[0]!, "dist");
  assert.deepEqual(args.slice(0, 1 + PERMISSIONS.length), [
    "compile",
    ...PERMISSIONS,
  ]);
  assert.ok(!args.includes("-A") && !args.includes("--allow-all"));
  // The Windows builds get the icon; the others have no use for one.
  assert.deepEqual(args.slice(1 + PERMISSIONS.length, 3 + PERMISSIONS.length), [
    "--icon",
    ICON,
  ]);
  assert.ok(!compileArgs("server", TARGETS[1]!, "dist").includes("--icon"));
  assert.deepEqual(args.slice(-5), [
    "--target",
    "x86_64-pc-windows-msvc",
    "--output",
    join("dist", "tcpchat-server.exe"),
    "server.ts",
  ]);
  const names = TARGETS.map((target) =>
    compileArgs("client", target, "dist").at(-2)
  );
  assert.equal(
    new Set(names).size,
    TARGETS.length,
    "every target has its own file name",
  );
});

Deno.test("isRuntimeDownloadFailure() recognises an offline denort download", () => {
  assert.ok(
    isRuntimeDownloadFailure(
      "error: Download https://…/denort-x86_64.zip failed: dns error",
    ),
  );
  assert.ok(
    !isRuntimeDownloadFailure('error: Module not found "file:///x.ts"'),
  );
});

Deno.test({
  name:
    "deno compile embeds the whole module graph (DENORT_BIN set to deno itself)",
  // The denort download is unreachable here; pointing DENORT_BIN at the deno
  // binary lets compile run to the end and proves every module (npm included)
  // resolves and embeds.
  async fn() {
    await using dir = await tempDir();
    for (const entry of ["server", "client"] as const) {
      const output = join(dir.path, `tcpchat-${entry}`);
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args: ["compile", ...PERMISSIONS, "--output", output, `${entry}.ts`],
        cwd: new URL("../", import.meta.url),
        env: { DENORT_BIN: Deno.execPath() },
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      const built = Deno.build.os === "windows" ? `${output}.exe` : output;
      assert.ok(
        (await Deno.stat(built)).size > 1_000_000,
        `${entry} was written`,
      );
    }
  },
});
