// deno-lint-ignore-file no-console -- a CI script reports on the console
/**
 * Smoke test of built executables (or of the sources with `--source`):
 * start the server on a free port with a temp database, let a scripted
 * client register, log in and send a message, then stop the server.
 *
 *   deno run -A .ci/smoke.ts dist/tcpchat-server.exe dist/tcpchat-client.exe
 *   deno run -A .ci/smoke.ts --source
 *
 * @module
 */

import { join } from "node:path";

function command(entry: string, args: string[], source: boolean): Deno.Command {
  const [program, prefix] = source
    ? [Deno.execPath(), [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      entry,
    ]]
    : [entry, []];
  return new Deno.Command(program, {
    args: [...prefix, ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", TCPCHAT_LANG: "zh" },
  });
}

async function main(args: string[]): Promise<number> {
  const source = args.includes("--source");
  const [serverEntry, clientEntry] = source ? ["server.ts", "client.ts"] : args;
  if (serverEntry === undefined || clientEntry === undefined) {
    console.error("usage: smoke.ts <server-exe> <client-exe> | --source");
    return 2;
  }
  const dir = await Deno.makeTempDir({ prefix: "tcpchat_smoke_" });
  const server = command(serverEntry, [
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--db",
    join(dir, "smoke.db"),
  ], source)
    .spawn();
  server.stdin.close();
  const lines = server.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let serverOut = "";
  let port = 0;
  const deadline = Date.now() + 30_000;
  while (port === 0 && Date.now() < deadline) {
    const { value, done } = await lines.read();
    if (done) break;
    serverOut += value;
    const match = /启动成功，监听 127\.0\.0\.1:(\d+)/.exec(serverOut);
    if (match) port = Number(match[1]);
  }
  try {
    if (port === 0) {
      console.error(`server did not start:\n${serverOut}`);
      return 1;
    }
    const client = command(clientEntry, [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
    ], source).spawn();
    const input =
      "2\nsmoke\nsmoke-password-1\nsmoke-password-1\n1\nsmoke\nsmoke-password-1\nhello from the smoke test\nexit\n";
    const writer = client.stdin.getWriter();
    await writer.write(new TextEncoder().encode(input));
    await writer.close();
    const result = await client.output();
    const out = new TextDecoder().decode(result.stdout);
    const checks = [
      "【成功】注册成功！",
      "【成功】登录成功！欢迎 smoke",
      "smoke: hello from the smoke test",
      "[客户端] 已断开连接",
    ];
    const missing = checks.filter((text) => !out.includes(text));
    if (result.code !== 0 || missing.length > 0) {
      console.error(
        `client failed (exit ${result.code}); missing: ${
          missing.join(", ")
        }\n${out}`,
      );
      return 1;
    }
    console.log(`smoke test passed on port ${port}`);
    return 0;
  } finally {
    try {
      server.kill(Deno.build.os === "windows" ? "SIGKILL" : "SIGINT");
    } catch {
      // Already gone.
    }
    lines.releaseLock();
    await server.stdout.cancel().catch(() => {});
    await server.stderr.cancel().catch(() => {});
    await server.status;
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
