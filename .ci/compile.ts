// deno-lint-ignore-file no-console -- a build script talks to its user
/**
 * Builds the standalone executables with `deno compile`.
 *
 *   deno task compile       dist/tcpchat-server.exe, dist/tcpchat-client.exe (Windows x64)
 *   deno task compile:all   plus Linux x64/arm64 and macOS x64/arm64 builds
 *
 * `deno compile` downloads a runtime (denort) for each target from Deno's
 * download server. Where that server cannot be reached, this script says so
 * in one sentence instead of a stack trace. Setting `DENORT_BIN` to a denort
 * binary (for the host target) makes the build work offline.
 *
 * @module
 */

import { join } from "node:path";

/** A target triple and the file-name suffix its builds get. */
export interface Target {
  triple: string;
  suffix: string;
}

/** Every target `compile:all` builds; the first is the Windows one. */
export const TARGETS: readonly Target[] = [
  { triple: "x86_64-pc-windows-msvc", suffix: ".exe" },
  { triple: "x86_64-unknown-linux-gnu", suffix: "-linux-x64" },
  { triple: "aarch64-unknown-linux-gnu", suffix: "-linux-arm64" },
  { triple: "x86_64-apple-darwin", suffix: "-macos-x64" },
  { triple: "aarch64-apple-darwin", suffix: "-macos-arm64" },
];

/** Permissions baked into the executables: network, files, documented env. */
export const PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-sys=networkInterfaces",
];

/** The Windows executables' icon (deno compile supports icons for Windows). */
export const ICON = join(".ci", "tcpchat.ico");

/** The `deno compile` arguments for one entry point and target. */
export function compileArgs(
  entry: "server" | "client",
  target: Target,
  outDir: string,
): string[] {
  return [
    "compile",
    ...PERMISSIONS,
    ...(target.triple.includes("windows") ? ["--icon", ICON] : []),
    "--target",
    target.triple,
    "--output",
    join(outDir, `tcpchat-${entry}${target.suffix}`),
    `${entry}.ts`,
  ];
}

/** Whether `deno compile` failed because it could not download denort. */
export function isRuntimeDownloadFailure(stderr: string): boolean {
  return /denort|download|dns error|error sending request|failed to lookup|connection refused|network/i
    .test(stderr);
}

async function main(args: string[]): Promise<number> {
  const all = args.includes("--all");
  const outDir = "dist";
  await Deno.mkdir(outDir, { recursive: true });
  const targets = all ? TARGETS : TARGETS.slice(0, 1);
  for (const target of targets) {
    for (const entry of ["server", "client"] as const) {
      const command = new Deno.Command(Deno.execPath(), {
        args: compileArgs(entry, target, outDir),
        stdout: "inherit",
        stderr: "piped",
      });
      const { code, stderr } = await command.output();
      const text = new TextDecoder().decode(stderr);
      if (code === 0) {
        console.log(
          `built ${join(outDir, `tcpchat-${entry}${target.suffix}`)}`,
        );
        continue;
      }
      if (isRuntimeDownloadFailure(text)) {
        console.error(
          `Cannot build tcpchat-${entry} for ${target.triple}: deno compile must download its runtime (denort) from Deno's download server, which this machine cannot reach; build on a connected machine (the release workflow does), or set DENORT_BIN to a denort binary for the target.`,
        );
      } else {
        console.error(text.trimEnd());
      }
      return 1;
    }
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
