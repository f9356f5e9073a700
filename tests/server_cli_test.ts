/**
 * End-to-end tests of `server.ts`: each test spawns `deno run server.ts` as
 * a child process on 127.0.0.1 port 0 and reads the port it prints.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { SqliteStore } from "../lib/store/sqlite/sqlite_store.ts";
import { VERSION } from "../lib/shared/version.ts";
import { lanAddressLines } from "../server.ts";
import { TestClient } from "./_client.ts";
import { tempDir } from "./_util.ts";
import { IS_WINDOWS, ServerProcess, WAIT_MS } from "./_process.ts";

const CLOCK = String.raw`\[\d\d:\d\d:\d\d\]`;

/** Runs a one-shot `server.ts` command to completion. */
async function runCli(
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  await using child = new ServerProcess(args, { cwd });
  const code = await child.exitCode();
  return { code, stdout: child.stdout.join("\n"), stderr: child.stderr };
}

/** Asserts that `text` holds no stack trace or uncaught-error report. */
function assertNoStackTrace(text: string): void {
  assert.doesNotMatch(text, /^\s+at /m, text);
  assert.doesNotMatch(text, /Uncaught/, text);
}

function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

Deno.test("server.ts prints the startup lines, serves a client, and exits 0 with BYE on SIGINT", async (t) => {
  await using dir = await tempDir();
  await using server = new ServerProcess(
    ["--host", "127.0.0.1", "--port", "0", "--db", join(dir.path, "chat.db")],
    { cwd: dir.path },
  );
  const port = await server.port();
  assert.ok(port > 0);
  await server.line(/^\[服务器\] 等待客户端连接\.\.\.$/);
  const webPort = Number(
    /^\[服务器\] 网页版: http:\/\/127\.0\.0\.1:(\d+)$/.exec(
      server.stdout[1] ?? "",
    )?.[1],
  );
  assert.ok(webPort > 0 && webPort !== port, server.describe());
  assert.deepEqual(server.stdout.slice(0, 4), [
    `[服务器] 启动成功，监听 127.0.0.1:${port}`,
    `[服务器] 网页版: http://127.0.0.1:${webPort}`,
    `[服务器] 文件目录: ${join(dir.path, "chat-files")}（单个文件上限 100 MB）`,
    "[服务器] 等待客户端连接...",
  ]);
  const page = await fetch(`http://127.0.0.1:${webPort}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<script type="module" src="\/app\.js">/);

  await using client = await TestClient.connect(port);
  await client.registerAndLogin("小王", "password123");

  await t.step({
    name: "SIGINT says BYE shutdown to the client and exits 0",
    ignore: IS_WINDOWS,
    fn: async () => {
      server.child.kill("SIGINT");
      assert.equal(
        await client.expect("BYE ", WAIT_MS),
        "BYE shutdown 服务器正在关闭",
      );
      await client.closedByServer(WAIT_MS);
      assert.equal(await server.exitCode(), 0, server.describe());
      assert.ok(server.stdout.includes("[服务器] 正在关闭..."));
      assert.equal(server.stdout.at(-1), "[服务器] 已关闭");
      assert.equal(server.stderr, "");
    },
  });
});

Deno.test("server.ts --lang en prints the English startup lines", async () => {
  await using dir = await tempDir();
  await using server = new ServerProcess(
    [
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--lang",
      "en",
      "--db",
      join(dir.path, "chat.db"),
    ],
    { cwd: dir.path },
  );
  const port = await server.port({
    started: /^\[Server\] Started, listening on 127\.0\.0\.1:(\d+)$/,
  });
  await server.line(/^\[Server\] Waiting for clients\.\.\.$/);
  assert.equal(server.stdout.length, 4, server.describe());
  assert.equal(
    server.stdout[0],
    `[Server] Started, listening on 127.0.0.1:${port}`,
  );
  assert.match(
    server.stdout[1]!,
    /^\[Server\] Web client: http:\/\/127\.0\.0\.1:\d+$/,
  );
  assert.equal(
    server.stdout[2],
    `[Server] Shared files: ${
      join(dir.path, "chat-files")
    } (at most 100 MB each)`,
  );
  assert.equal(server.stdout[3], "[Server] Waiting for clients...");
});

Deno.test("server.ts --no-web serves no page; a web port in use is named with its flag", async () => {
  await using dir = await tempDir();
  {
    await using server = new ServerProcess(
      [
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--no-web",
        "--db",
        join(dir.path, "a.db"),
      ],
      { cwd: dir.path },
    );
    const port = await server.port();
    await server.line(/^\[服务器\] 等待客户端连接\.\.\.$/);
    assert.deepEqual(server.stdout.slice(0, 2), [
      `[服务器] 启动成功，监听 127.0.0.1:${port}`,
      "[服务器] 等待客户端连接...",
    ]);
  }
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const busy = (taken.addr as Deno.NetAddr).port;
  await using server = new ServerProcess(
    [
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--web-port",
      String(busy),
      "--db",
      join(dir.path, "b.db"),
    ],
    { cwd: dir.path },
  );
  assert.equal(await server.exitCode(), 1);
  assert.match(
    server.stderr,
    new RegExp(
      `^\\[错误\\] 端口 ${busy} 已被占用 \\(127\\.0\\.0\\.1:${busy}，--web-port\\)`,
    ),
  );
  assertNoStackTrace(server.stderr);
});

Deno.test("server.ts logs connects, chat lines and disconnects, never the password", async () => {
  const password = "Sekr1t-Passw0rd";
  await using dir = await tempDir();
  await using server = new ServerProcess(
    ["--host", "127.0.0.1", "--port", "0", "--db", join(dir.path, "chat.db")],
    { cwd: dir.path },
  );
  const port = await server.port();
  {
    await using alice = await TestClient.connect(port);
    await alice.registerAndLogin("alice", password);
    const local = (alice.conn.localAddr as Deno.NetAddr).port;
    await server.line(
      new RegExp(
        `^${CLOCK} 【客户端连接】alice \\(127\\.0\\.0\\.1:${local}\\)$`,
      ),
    );
    await alice.send("MSG 大家好 hello");
    await server.line(new RegExp(`^${CLOCK} alice: 大家好 hello$`));
  }
  await server.line(
    new RegExp(`^${CLOCK} 【客户端断开】alice \\(在线用户数: 0\\)$`),
  );
  assert.ok(!server.stdout.join("\n").includes(password), server.describe());
  assert.ok(!server.stderr.includes(password), server.describe());
});

Deno.test("server.ts exits 1 with a hint, not a stack trace, when the port is in use", async () => {
  await using dir = await tempDir();
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  const { code, stdout, stderr } = await runCli(
    [
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--db",
      join(dir.path, "chat.db"),
    ],
    dir.path,
  );
  assert.equal(code, 1, stderr);
  assert.match(stderr, /已被占用/);
  assert.match(stderr, new RegExp(`${port}`));
  assert.match(stderr, /--port/);
  assertNoStackTrace(stderr);
  assert.doesNotMatch(stdout, /启动成功/);
});

Deno.test("lanAddressLines() lists the addresses to read out, only for a wildcard host", () => {
  assert.deepEqual(
    lanAddressLines("zh", "0.0.0.0", 5000, ["192.168.1.100", "10.0.0.7"]),
    ["[服务器] 局域网地址: 192.168.1.100:5000, 10.0.0.7:5000"],
  );
  assert.deepEqual(
    lanAddressLines("en", "::", 5000, ["192.168.1.100", "fd00::5"]),
    ["[Server] LAN address: 192.168.1.100:5000, [fd00::5]:5000"],
  );
  assert.deepEqual(lanAddressLines("zh", "0.0.0.0", 5000, ["fd00::5"]), []);
  assert.deepEqual(lanAddressLines("zh", "127.0.0.1", 5000, ["10.0.0.7"]), []);
  assert.deepEqual(lanAddressLines("zh", "0.0.0.0", 5000, []), []);
});

Deno.test("server.ts names the TLS port and --tls-port when that port is in use", async () => {
  await using dir = await tempDir();
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const tlsPort = (taken.addr as Deno.NetAddr).port;
  const { code, stdout, stderr } = await runCli(
    [
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--tls",
      "--tls-port",
      String(tlsPort),
      "--db",
      join(dir.path, "chat.db"),
    ],
    dir.path,
  );
  assert.equal(code, 1, stderr);
  assert.equal(
    stderr.split("\n").find((line) => line.includes("已被占用")),
    `[错误] 端口 ${tlsPort} 已被占用 (127.0.0.1:${tlsPort}，--tls-port)`,
  );
  assert.match(stderr, /可以用 --tls-port 换一个端口/);
  assertNoStackTrace(stderr);
  assert.doesNotMatch(stdout, /启动成功/);
});

Deno.test("server.ts leaves no new database behind when its port is in use, and keeps an existing one", async () => {
  await using dir = await tempDir();
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = String((taken.addr as Deno.NetAddr).port);
  const db = join(dir.path, "chat.db");
  const fresh = await runCli(
    ["--host", "127.0.0.1", "--port", port, "--db", db],
    dir.path,
  );
  assert.equal(fresh.code, 1, fresh.stderr);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(dir.path)), []);

  {
    using store = SqliteStore.open(db);
    await store.createAccount({
      username: "alice",
      usernameKey: "alice",
      passwordHash: "hash",
      recoveryCodeHash: null,
      createdAt: 1,
    }, {
      at: 1,
      event: "register",
      username: "alice",
      address: "test",
      detail: null,
    });
  }
  const existing = await runCli(
    ["--host", "127.0.0.1", "--port", port, "--db", db],
    dir.path,
  );
  assert.equal(existing.code, 1, existing.stderr);
  using store = SqliteStore.open(db);
  assert.deepEqual(
    (await store.listAccounts()).map((account) => account.username),
    ["alice"],
  );
});

Deno.test("server.ts operator commands refuse a missing database, naming it, and create nothing", async (t) => {
  await using dir = await tempDir();
  await using other = await tempDir();
  const credentials = join(other.path, "credentials.json");
  await Deno.writeTextFile(credentials, "{}");
  const expected = join(await Deno.realPath(dir.path), "tcpchat.db");
  for (
    const args of [
      ["users"],
      ["reset-token", "alice"],
      ["delete-user", "alice"],
      ["grant-admin", "alice"],
      ["revoke-admin", "alice"],
      ["import-credentials", credentials],
    ]
  ) {
    await t.step(args[0]!, async () => {
      const { code, stdout, stderr } = await runCli(args, dir.path);
      assert.equal(code, 1, stderr);
      assert.equal(
        stderr,
        `[错误] 数据库文件不存在: ${expected}\n` +
          "[提示] 先启动一次服务器来创建它，或用 --db（或 TCPCHAT_DB）指定已有的数据库文件\n",
      );
      assert.equal(stdout, "");
    });
  }
  await t.step("--lang en", async () => {
    const { code, stderr } = await runCli(["users", "--lang", "en"], dir.path);
    assert.equal(code, 1, stderr);
    assert.equal(
      stderr,
      `[Error] Database file not found: ${expected}\n` +
        "[Hint] Start the server once to create it, or point --db (or TCPCHAT_DB) at an existing database file\n",
    );
  });
  assert.deepEqual(await Array.fromAsync(Deno.readDir(dir.path)), []);
});

Deno.test("server.ts operator commands name the database file they use", async (t) => {
  await using dir = await tempDir();
  SqliteStore.open(join(dir.path, "tcpchat.db")).close();
  const expected = join(await Deno.realPath(dir.path), "tcpchat.db");
  await t.step("zh, default path", async () => {
    const { code, stdout, stderr } = await runCli(["users"], dir.path);
    assert.equal(code, 0, stderr);
    assert.equal(stderr, `[信息] 使用数据库: ${expected}\n`);
    assert.match(stdout, /^共 0 个账户/);
  });
  await t.step("en, --db", async () => {
    const { code, stderr } = await runCli(
      ["users", "--lang", "en", "--db", "tcpchat.db"],
      dir.path,
    );
    assert.equal(code, 0, stderr);
    assert.equal(stderr, `[Info] Using database: ${expected}\n`);
  });
});

Deno.test("server.ts exits 2 with usage on stderr for a bad flag or value", async (t) => {
  await using dir = await tempDir();
  await t.step("--bogus", async () => {
    const { code, stdout, stderr } = await runCli(["--bogus"], dir.path);
    assert.equal(code, 2, stderr);
    assert.match(stderr, /^\[错误\] .*--bogus/);
    assert.match(stderr, /用法 \/ Usage:/);
    assertNoStackTrace(stderr);
    assert.equal(stdout, "");
  });
  await t.step("--port 70000", async () => {
    const { code, stdout, stderr } = await runCli(
      ["--port", "70000"],
      dir.path,
    );
    assert.equal(code, 2, stderr);
    assert.match(stderr, /70000/);
    assert.match(stderr, /用法 \/ Usage:/);
    assertNoStackTrace(stderr);
    assert.equal(stdout, "");
  });
  // Nothing was created in the working directory.
  assert.deepEqual(await Array.fromAsync(Deno.readDir(dir.path)), []);
});

Deno.test("server.ts --help and --version print to stdout and exit 0", async (t) => {
  await using dir = await tempDir();
  await t.step("--help", async () => {
    const { code, stdout, stderr } = await runCli(["--help"], dir.path);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^用法 \/ Usage:/);
    assert.match(stdout, /reset-token <user>/);
    assert.match(stdout, /--port <n>/);
    assert.equal(stderr, "");
  });
  await t.step("--version", async () => {
    const { code, stdout, stderr } = await runCli(["--version"], dir.path);
    assert.equal(code, 0, stderr);
    assert.equal(stdout, `tcpchat-server ${VERSION}`);
    assert.match(stdout, /^tcpchat-server \d+\.\d+\.\d+/);
    assert.equal(stderr, "");
  });
});

Deno.test("server.ts exits 1 naming the file, and leaves it alone, when --db is not a database", async () => {
  await using dir = await tempDir();
  const db = join(dir.path, "notes.txt");
  const content = "这不是数据库\nthis is not a database, just some notes\n"
    .repeat(20);
  await Deno.writeTextFile(db, content);
  const { code, stdout, stderr } = await runCli(
    ["--host", "127.0.0.1", "--port", "0", "--db", db],
    dir.path,
  );
  assert.equal(code, 1, stderr);
  assert.ok(stderr.includes(db), stderr);
  assertNoStackTrace(stderr);
  assert.doesNotMatch(stdout, /启动成功/);
  assert.equal(await Deno.readTextFile(db), content);
});

/** The message of a second server on a database that a server holds. */
function databaseInUse(db: string): string {
  return `[错误] 数据库 ${db} 正被另一个服务器进程使用（锁文件 ${db}.lock）\n` +
    "[提示] 一个数据库只能由一个服务器使用：先停止那个服务器（锁文件里记有它的进程号），或用 --db 指定另一个数据库\n";
}

Deno.test("server.ts refuses a second server on the same database, naming the lock file, until the first stops", async (t) => {
  await using dir = await tempDir();
  const db = join(dir.path, "chat.db");
  const args = ["--host", "127.0.0.1", "--port", "0", "--db", db];
  await using first = new ServerProcess(args, { cwd: dir.path });
  await first.port();
  assert.equal(await Deno.readTextFile(`${db}.lock`), `${first.child.pid}\n`);

  await t.step("the second exits 1 with the message", async () => {
    const { code, stdout, stderr } = await runCli(args, dir.path);
    assert.equal(code, 1, stderr);
    assert.equal(stderr, databaseInUse(db));
    assert.equal(stdout, "");
  });

  await t.step("--lang en", async () => {
    const { code, stderr } = await runCli([...args, "--lang", "en"], dir.path);
    assert.equal(code, 1, stderr);
    assert.equal(
      stderr,
      `[Error] Database ${db} is in use by another server process (lock file ${db}.lock)\n` +
        "[Hint] Only one server can use a database: stop that server first (the lock file holds its process id), or choose another database with --db\n",
    );
  });

  await t.step("operator commands still work beside it", async () => {
    const { code, stderr } = await runCli(["users", "--db", db], dir.path);
    assert.equal(code, 0, stderr);
  });

  await t.step({
    name: "after the first stops, the lock file is gone and a new one starts",
    ignore: IS_WINDOWS,
    fn: async () => {
      first.child.kill("SIGINT");
      assert.equal(await first.exitCode(), 0, first.describe());
      await assert.rejects(Deno.stat(`${db}.lock`), Deno.errors.NotFound);
      await using next = new ServerProcess(args, { cwd: dir.path });
      await next.port();
      assert.equal(
        await Deno.readTextFile(`${db}.lock`),
        `${next.child.pid}\n`,
      );
    },
  });
});

Deno.test("server.ts takes over the lock file a killed server left behind", async () => {
  await using dir = await tempDir();
  const db = join(dir.path, "chat.db");
  const args = ["--host", "127.0.0.1", "--port", "0", "--db", db];
  {
    await using killed = new ServerProcess(args, { cwd: dir.path });
    await killed.port();
    await killed.kill9();
  }
  assert.ok((await Deno.stat(`${db}.lock`)).isFile);
  await using next = new ServerProcess(args, { cwd: dir.path });
  await next.port();
  assert.equal(await Deno.readTextFile(`${db}.lock`), `${next.child.pid}\n`);
  const second = await runCli(args, dir.path);
  assert.equal(second.code, 1, second.stderr);
  assert.equal(second.stderr, databaseInUse(db));
});

Deno.test("server.ts operator subcommands work on the database of a running server", async (t) => {
  await using dir = await tempDir();
  const db = join(dir.path, "chat.db");
  await using server = new ServerProcess(
    ["--host", "127.0.0.1", "--port", "0", "--db", db],
    { cwd: dir.path },
  );
  const port = await server.port();
  const operator = (...args: string[]) =>
    runCli([...args, "--db", db], dir.path);

  {
    await using client = await TestClient.connect(port);
    await client.expect("HELLO ");
    await client.send("REGISTER alice password123");
    await client.expect("REGISTER_SUCCESS");
  }

  await t.step("users lists the account", async () => {
    const { code, stdout, stderr } = await operator("users");
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^共 1 个账户/);
    assert.match(stdout, /^ {2}alice\s+\d{4}-\d\d-\d\d/m);
  });

  await t.step(
    "reset-token prints a token that the running server accepts",
    async () => {
      const { code, stdout, stderr } = await operator("reset-token", "alice");
      assert.equal(code, 0, stderr);
      const match = stdout.match(
        /【重置令牌】用户 alice 的密码重置令牌: (\S+) /,
      );
      assert.ok(match !== null, stdout);
      const token = match[1]!;
      await using client = await TestClient.connect(port);
      await client.expect("HELLO ");
      await client.send(`RESET_CONFIRM ${token} newpassword1`);
      assert.equal(await client.next(), "RESET_SUCCESS");
      await client.send("LOGIN alice newpassword1");
      assert.equal(await client.next(), "AUTH_SUCCESS alice");
    },
  );

  await t.step("reset-token for a missing user exits 1", async () => {
    const { code, stdout, stderr } = await operator("reset-token", "nobody");
    assert.equal(code, 1, stdout);
    assert.match(stderr, /用户不存在: nobody/);
    assertNoStackTrace(stderr);
  });

  await t.step(
    "delete-user removes the account from the running server",
    async () => {
      const { code, stdout, stderr } = await operator("delete-user", "alice");
      assert.equal(code, 0, stderr);
      assert.match(stdout, /已删除账户: alice/);
      await using client = await TestClient.connect(port);
      await client.expect("HELLO ");
      await client.send("LOGIN alice newpassword1");
      assert.match(await client.next(), /^AUTH_FAILURE\b/);
    },
  );

  await t.step(
    "import-credentials adds an account the running server logs in",
    async () => {
      const file = join(dir.path, "credentials.json");
      await Deno.writeTextFile(
        file,
        JSON.stringify({ "张三": sha256Hex("zhangsan1") }),
      );
      const { code, stdout, stderr } = await operator(
        "import-credentials",
        file,
      );
      assert.equal(code, 0, stderr);
      assert.match(stdout, /^已导入 1 个账户$/m);
      assert.match(stdout, /^ {2}\+ 张三$/m);
      await using client = await TestClient.connect(port);
      await client.expect("HELLO ");
      await client.send("LOGIN 张三 zhangsan1");
      assert.equal(await client.next(), "AUTH_SUCCESS 张三");
    },
  );

  assert.ok(!server.exited, server.describe());
});

Deno.test("server.ts operator commands reach the running server's live sessions", async (t) => {
  await using dir = await tempDir();
  const db = join(dir.path, "chat.db");
  await using server = new ServerProcess(
    ["--host", "127.0.0.1", "--port", "0", "--db", db],
    { cwd: dir.path },
  );
  const port = await server.port();
  const operator = (...args: string[]) =>
    runCli([...args, "--db", db], dir.path);
  const login = async (name: string, password = "password123") => {
    const client = await TestClient.connect(port);
    await client.expect("HELLO ");
    await client.send(`LOGIN ${name} ${password}`);
    await client.expect(`AUTH_SUCCESS ${name}`);
    return client;
  };
  for (const name of ["alice", "bob", "carol"]) {
    await using client = await TestClient.connect(port);
    await client.expect("HELLO ");
    await client.send(`REGISTER ${name} password123`);
    await client.expect("REGISTER_SUCCESS");
  }

  await t.step("the control file is private to the server's user", async () => {
    const info = await Deno.stat(`${db}.control`);
    if (!IS_WINDOWS) assert.equal(info.mode! & 0o777, 0o600);
  });

  await t.step("users marks who is online", async () => {
    await using _alice = await login("alice");
    const { code, stdout, stderr } = await operator("users");
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^ {2}alice\s.*\s{2}在线$/m);
    assert.doesNotMatch(stdout, /^ {2}bob\s.*在线$/m);
    assert.equal(
      stderr,
      `[信息] 使用数据库: ${db}\n[信息] 服务器正在使用该数据库，命令交由它执行\n`,
    );
  });

  await t.step("revoke-admin takes effect at once", async () => {
    const granted = await operator("grant-admin", "alice");
    assert.equal(granted.code, 0, granted.stderr);
    assert.equal(granted.stdout, "已授予 alice 管理员权限");
    await using alice = await login("alice");
    await using bob = await login("bob");
    await alice.send("KICK bob");
    await alice.expect("OK kicked ");
    await bob.expect("BYE kicked");
    await using bobAgain = await login("bob");
    const revoked = await operator("revoke-admin", "alice");
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, "已撤销 alice 的管理员权限");
    await alice.send("KICK bob");
    await alice.expect("ERROR not_admin ");
    await bobAgain.send("PING 1");
    await bobAgain.expect("PONG 1");
  });

  await t.step(
    "delete-user ends the session with BYE account_deleted, and the name's next owner is someone else",
    async () => {
      await using carol = await login("carol");
      const { code, stdout, stderr } = await operator("delete-user", "carol");
      assert.equal(code, 0, stderr);
      assert.equal(stdout, "已删除账户: carol");
      await carol.expect("BYE account_deleted ");
      assert.ok(server.stdout.includes("【操作员】delete-user carol"));
      // The name is free again, and the new owner's role is the new owner's.
      {
        await using again = await TestClient.connect(port);
        await again.expect("HELLO ");
        await again.send("REGISTER carol another123");
        await again.expect("REGISTER_SUCCESS");
      }
      assert.equal((await operator("grant-admin", "carol")).code, 0);
      await using newCarol = await login("carol", "another123");
      await using _bob = await login("bob");
      await newCarol.send("KICK bob");
      await newCarol.expect("OK kicked ");
    },
  );

  await t.step("--lang en through the server", async () => {
    const { code, stdout } = await operator(
      "revoke-admin",
      "carol",
      "--lang",
      "en",
    );
    assert.equal(code, 0);
    assert.equal(stdout, "carol is no longer an administrator");
  });

  await t.step("an unknown user exits 1 through the server", async () => {
    const { code, stdout, stderr } = await operator("delete-user", "nobody");
    assert.equal(code, 1, stdout);
    assert.match(stderr, /\[错误\] 用户不存在: nobody\n$/);
  });

  await t.step(
    "after the server stops, commands open the file again",
    async () => {
      server.child.kill("SIGINT");
      assert.equal(await server.exitCode(), 0, server.describe());
      await assert.rejects(Deno.stat(`${db}.control`), Deno.errors.NotFound);
      const { code, stdout, stderr } = await operator("users");
      assert.equal(code, 0, stderr);
      assert.equal(stderr, `[信息] 使用数据库: ${db}\n`);
      assert.match(stdout, /^共 3 个账户/);
    },
  );
});

Deno.test({
  name: "server.ts keeps serving after running out of file descriptors",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using dir = await tempDir();
    await using server = new ServerProcess(
      [
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--db",
        join(dir.path, "chat.db"),
      ],
      {
        cwd: dir.path,
        wrap: ["bash", "-c", 'ulimit -n 256 && exec "$0" "$@"'],
      },
    );
    const port = await server.port();

    // Far more connections than the server has descriptors. Those beyond
    // its accept backlog wait for SYN retransmits; abandon them after a bound.
    const abandon = new AbortController();
    const timer = setTimeout(() => abandon.abort(), 1500);
    let results: PromiseSettledResult<Deno.TcpConn>[];
    try {
      results = await Promise.allSettled(
        Array.from(
          { length: 1000 },
          () =>
            Deno.connect({
              hostname: "127.0.0.1",
              port,
              signal: abandon.signal,
            }),
        ),
      );
    } finally {
      clearTimeout(timer);
    }
    const conns = results.flatMap((result) =>
      result.status === "fulfilled" ? [result.value] : []
    );
    try {
      assert.ok(conns.length > 256, `only ${conns.length} connects succeeded`);
      await server.line(/^\[\d\d:\d\d:\d\d\] \[警告\] 接受连接失败: /, 5000);
    } finally {
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Closed by the server or by the abort.
        }
      }
    }

    // A SYN that meets a still-full accept backlog is dropped and resent
    // only after a second, so probe with short-lived connects until the
    // kernel completes a handshake again, then connect for real.
    const start = Date.now();
    while (true) {
      const attempt = new AbortController();
      const attemptTimer = setTimeout(() => attempt.abort(), 250);
      try {
        const probe = await Deno.connect({
          hostname: "127.0.0.1",
          port,
          signal: attempt.signal,
        });
        probe.close();
        break;
      } catch (error) {
        if (Date.now() - start > 2000) throw error;
      } finally {
        clearTimeout(attemptTimer);
      }
    }
    await using client = await TestClient.connect(port);
    await client.expect("HELLO ", 2000);
    await client.send("REGISTER bob password123");
    await client.expect("REGISTER_SUCCESS", 2000);
    await client.send("LOGIN bob password123");
    await client.expect("AUTH_SUCCESS bob", 2000);
    assert.ok(!server.exited, server.describe());
  },
});
