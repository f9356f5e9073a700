import assert from "node:assert/strict";
import {
  describeConfigError,
  ENV_VARS,
  guessLang,
  parseServerCommand,
  SERVER_USAGE,
  type ServerCommand,
  type ServerConfig,
} from "../../lib/server/server_config.ts";

const NO_ENV = (_name: string): string | undefined => undefined;

/** An environment lookup backed by a plain object. */
function envOf(vars: Record<string, string>) {
  return (name: string): string | undefined =>
    Object.hasOwn(vars, name) ? vars[name] : undefined;
}

/** Parses `args` and returns the serve config, failing on any other kind. */
function serveConfig(
  args: string[],
  env: (name: string) => string | undefined = NO_ENV,
): ServerConfig {
  const command = parseServerCommand(args, env);
  assert.equal(command.kind, "serve");
  return (command as Extract<ServerCommand, { kind: "serve" }>).config;
}

const DEFAULT_FILES = {
  dir: "tcpchat-files",
  maxFileBytes: 100 * 1024 * 1024,
  quotaBytes: 1024 * 1024 * 1024,
  minFreeBytes: 512 * 1024 * 1024,
  retentionDays: 30,
};

const DEFAULTS: ServerConfig = {
  host: "0.0.0.0",
  port: 5000,
  db: "./tcpchat.db",
  maxClients: 10_000,
  maxPerAddress: 16,
  exemptLoopback: true,
  minPasswordLength: 8,
  lang: "zh",
  logMessages: true,
  historyDays: 30,
  auditDays: 90,
  tls: undefined,
  webPort: 5080,
  files: DEFAULT_FILES,
};

Deno.test("parseServerCommand() uses the defaults with no flags and no environment", () => {
  assert.deepEqual(parseServerCommand([], NO_ENV), {
    kind: "serve",
    config: DEFAULTS,
  });
});

Deno.test("parseServerCommand() reads each flag", async (t) => {
  const cases: [string, string[], Partial<ServerConfig>][] = [
    ["--host", ["--host", "127.0.0.1"], { host: "127.0.0.1" }],
    ["--host ::1", ["--host", "::1"], { host: "::1" }],
    ["--port", ["--port", "6000"], { port: 6000 }],
    ["--port=", ["--port=6001"], { port: 6001 }],
    ["--port 0", ["--port", "0"], { port: 0 }],
    ["--port 65535", ["--port", "65535"], { port: 65535 }],
    ["--db", ["--db", "/tmp/chat.db"], {
      db: "/tmp/chat.db",
      files: { ...DEFAULT_FILES, dir: "/tmp/chat-files" },
    }],
    ["--max-clients", ["--max-clients", "50"], { maxClients: 50 }],
    ["--max-per-address", ["--max-per-address", "3"], { maxPerAddress: 3 }],
    ["--no-loopback-exemption", ["--no-loopback-exemption"], {
      exemptLoopback: false,
    }],
    ["--min-password-length", ["--min-password-length", "12"], {
      minPasswordLength: 12,
    }],
    ["--lang en", ["--lang", "en"], { lang: "en" }],
    ["--lang zh", ["--lang", "zh"], { lang: "zh" }],
    ["--lang EN", ["--lang", "EN"], { lang: "en" }],
    ["--quiet", ["--quiet"], { logMessages: false }],
    ["--web-port", ["--web-port", "8080"], { webPort: 8080 }],
    ["--web-port 0", ["--web-port", "0"], { webPort: 0 }],
    ["--no-web", ["--no-web"], { webPort: undefined, files: undefined }],
    ["--no-files", ["--no-files"], { files: undefined }],
    ["--files-dir", ["--files-dir", "/srv/files"], {
      files: { ...DEFAULT_FILES, dir: "/srv/files" },
    }],
    ["--max-file-size 2G", ["--max-file-size", "2G"], {
      files: { ...DEFAULT_FILES, maxFileBytes: 2 * 1024 * 1024 * 1024 },
    }],
    ["--max-file-size 500KB", ["--max-file-size", "500KB"], {
      files: { ...DEFAULT_FILES, maxFileBytes: 500 * 1024 },
    }],
    ["--file-quota 10MiB", ["--file-quota", "10MiB"], {
      files: { ...DEFAULT_FILES, quotaBytes: 10 * 1024 * 1024 },
    }],
    ["--min-free-disk 0", ["--min-free-disk", "0"], {
      files: { ...DEFAULT_FILES, minFreeBytes: 0 },
    }],
    ["--file-days", ["--file-days", "7"], {
      files: { ...DEFAULT_FILES, retentionDays: 7 },
    }],
    ["--history-days sets the files' default", ["--history-days", "9"], {
      historyDays: 9,
      files: { ...DEFAULT_FILES, retentionDays: 9 },
    }],
  ];
  for (const [name, args, expected] of cases) {
    await t.step(name, () => {
      assert.deepEqual(serveConfig(args), { ...DEFAULTS, ...expected });
    });
  }
});

Deno.test("parseServerCommand() reads each environment variable", async (t) => {
  const cases: [string, string, Partial<ServerConfig>][] = [
    [ENV_VARS.host, "127.0.0.1", { host: "127.0.0.1" }],
    [ENV_VARS.port, "7000", { port: 7000 }],
    [ENV_VARS["history-days"], "7", {
      historyDays: 7,
      files: { ...DEFAULT_FILES, retentionDays: 7 },
    }],
    [ENV_VARS.port, "0", { port: 0 }],
    [ENV_VARS.db, "/var/lib/tcpchat.db", {
      db: "/var/lib/tcpchat.db",
      files: { ...DEFAULT_FILES, dir: "/var/lib/tcpchat-files" },
    }],
    [ENV_VARS["max-clients"], "99", { maxClients: 99 }],
    [ENV_VARS["max-per-address"], "4", { maxPerAddress: 4 }],
    [ENV_VARS["no-loopback-exemption"], "1", { exemptLoopback: false }],
    [ENV_VARS["no-loopback-exemption"], "true", { exemptLoopback: false }],
    [ENV_VARS["no-loopback-exemption"], "0", { exemptLoopback: true }],
    [ENV_VARS["min-password-length"], "10", { minPasswordLength: 10 }],
    [ENV_VARS.lang, "en", { lang: "en" }],
    [ENV_VARS.quiet, "1", { logMessages: false }],
    [ENV_VARS.quiet, "yes", { logMessages: false }],
    [ENV_VARS.quiet, "no", { logMessages: true }],
    [ENV_VARS["web-port"], "8081", { webPort: 8081 }],
    [ENV_VARS["no-web"], "1", { webPort: undefined, files: undefined }],
    [ENV_VARS["no-files"], "1", { files: undefined }],
    [ENV_VARS["files-dir"], "D:\\chat", {
      files: { ...DEFAULT_FILES, dir: "D:\\chat" },
    }],
    [ENV_VARS["max-file-size"], "1M", {
      files: { ...DEFAULT_FILES, maxFileBytes: 1024 * 1024 },
    }],
  ];
  for (const [name, value, expected] of cases) {
    await t.step(`${name}=${value}`, () => {
      assert.deepEqual(serveConfig([], envOf({ [name]: value })), {
        ...DEFAULTS,
        ...expected,
      });
    });
  }
});

Deno.test("parseServerCommand() names the documented environment variables", () => {
  assert.deepEqual(ENV_VARS, {
    "audit-days": "TCPCHAT_AUDIT_DAYS",
    host: "TCPCHAT_HOST",
    port: "TCPCHAT_PORT",
    db: "TCPCHAT_DB",
    "max-clients": "TCPCHAT_MAX_CLIENTS",
    "max-per-address": "TCPCHAT_MAX_PER_ADDRESS",
    "no-loopback-exemption": "TCPCHAT_NO_LOOPBACK_EXEMPTION",
    "min-password-length": "TCPCHAT_MIN_PASSWORD_LENGTH",
    lang: "TCPCHAT_LANG",
    quiet: "TCPCHAT_QUIET",
    "history-days": "TCPCHAT_HISTORY_DAYS",
    tls: "TCPCHAT_TLS",
    "tls-cert": "TCPCHAT_TLS_CERT",
    "tls-key": "TCPCHAT_TLS_KEY",
    "tls-port": "TCPCHAT_TLS_PORT",
    "require-tls": "TCPCHAT_REQUIRE_TLS",
    "web-port": "TCPCHAT_WEB_PORT",
    "no-web": "TCPCHAT_NO_WEB",
    "files-dir": "TCPCHAT_FILES_DIR",
    "max-file-size": "TCPCHAT_MAX_FILE_SIZE",
    "file-quota": "TCPCHAT_FILE_QUOTA",
    "min-free-disk": "TCPCHAT_MIN_FREE_DISK",
    "file-days": "TCPCHAT_FILE_DAYS",
    "no-files": "TCPCHAT_NO_FILES",
  });
  for (const name of Object.values(ENV_VARS)) {
    assert.ok(SERVER_USAGE.includes(name), `usage mentions ${name}`);
  }
});

Deno.test("parseServerCommand() ignores empty environment variables", () => {
  assert.deepEqual(
    serveConfig(
      [],
      envOf({ TCPCHAT_PORT: "", TCPCHAT_HOST: "", TCPCHAT_DB: "" }),
    ),
    DEFAULTS,
  );
});

Deno.test("parseServerCommand() lets a flag override the environment", () => {
  const env = envOf({
    TCPCHAT_HOST: "10.0.0.1",
    TCPCHAT_PORT: "7000",
    TCPCHAT_DB: "/env.db",
    TCPCHAT_MAX_CLIENTS: "5",
    TCPCHAT_MAX_PER_ADDRESS: "2",
    TCPCHAT_MIN_PASSWORD_LENGTH: "20",
    TCPCHAT_LANG: "en",
  });
  assert.deepEqual(
    serveConfig([
      "--host",
      "127.0.0.1",
      "--port",
      "8000",
      "--db",
      "/flag.db",
      "--max-clients",
      "6",
      "--max-per-address",
      "3",
      "--min-password-length",
      "9",
      "--lang",
      "zh",
    ], env),
    {
      ...DEFAULTS,
      host: "127.0.0.1",
      port: 8000,
      db: "/flag.db",
      files: { ...DEFAULT_FILES, dir: "/flag-files" },
      maxClients: 6,
      maxPerAddress: 3,
      minPasswordLength: 9,
      lang: "zh",
    },
  );
});

Deno.test("parseServerCommand() validates an environment value unless a flag replaces it", () => {
  assert.throws(
    () => parseServerCommand([], envOf({ TCPCHAT_PORT: "99999" })),
    RangeError,
  );
  // ...but a flag replaces the bad value instead of validating it.
  assert.equal(
    serveConfig(["--port", "1"], envOf({ TCPCHAT_PORT: "99999" })).port,
    1,
  );
});

Deno.test("parseServerCommand() rejects a bad port with a RangeError", async (t) => {
  for (const port of ["70000", "65536", "-1", "abc", "1.5", "", " ", "0x10"]) {
    await t.step(JSON.stringify(port), () => {
      assert.throws(
        () => parseServerCommand([`--port=${port}`], NO_ENV),
        (error: unknown) => {
          assert.ok(error instanceof RangeError, String(error));
          assert.match(error.message, /--port/);
          return true;
        },
      );
    });
  }
});

Deno.test("parseServerCommand() rejects out-of-range limits with a RangeError", async (t) => {
  const cases: string[][] = [
    ["--max-clients", "0"],
    ["--max-clients", "1000001"],
    ["--max-per-address", "0"],
    ["--min-password-length", "0"],
    ["--min-password-length", "257"],
  ];
  for (const args of cases) {
    await t.step(args.join(" "), () => {
      assert.throws(() => parseServerCommand(args, NO_ENV), RangeError);
    });
  }
});

Deno.test("parseServerCommand() rejects a blank host with a RangeError", () => {
  assert.throws(() => parseServerCommand(["--host", " "], NO_ENV), RangeError);
  assert.throws(
    () => parseServerCommand(["--host", "a b"], NO_ENV),
    RangeError,
  );
});

Deno.test("parseServerCommand() rejects an unknown flag with ERR_PARSE_ARGS_UNKNOWN_OPTION", () => {
  assert.throws(
    () => parseServerCommand(["--bogus"], NO_ENV),
    (error: unknown) => {
      assert.ok(error instanceof TypeError, String(error));
      assert.equal(
        (error as { code?: string }).code,
        "ERR_PARSE_ARGS_UNKNOWN_OPTION",
      );
      return true;
    },
  );
});

Deno.test("parseServerCommand() rejects a flag without its value with a TypeError", async (t) => {
  for (const flag of ["--port", "--host", "--db", "--lang"]) {
    await t.step(flag, () => {
      assert.throws(
        () => parseServerCommand([flag], NO_ENV),
        (error: unknown) => {
          assert.ok(error instanceof TypeError, String(error));
          assert.match(
            String((error as { code?: string }).code),
            /^ERR_PARSE_ARGS_/,
          );
          return true;
        },
      );
    });
  }
});

Deno.test("parseServerCommand() rejects a value on a boolean flag with a TypeError", () => {
  assert.throws(
    () => parseServerCommand(["--quiet=yes"], NO_ENV),
    TypeError,
  );
});

Deno.test("parseServerCommand() rejects an unknown language with a RangeError", async (t) => {
  await t.step("--lang fr", () => {
    assert.throws(
      () => parseServerCommand(["--lang", "fr"], NO_ENV),
      (error: unknown) => {
        assert.ok(error instanceof RangeError, String(error));
        assert.match(error.message, /"fr"/);
        return true;
      },
    );
  });
  await t.step("TCPCHAT_LANG=fr", () => {
    assert.throws(
      () => parseServerCommand([], envOf({ TCPCHAT_LANG: "fr" })),
      RangeError,
    );
  });
});

Deno.test("parseServerCommand() picks the language from LANG and LC_ALL", async (t) => {
  const cases: [Record<string, string>, "zh" | "en"][] = [
    [{ LANG: "en_US.UTF-8" }, "en"],
    [{ LANG: "en" }, "en"],
    [{ LANG: "C.UTF-8" }, "zh"],
    [{ LANG: "C" }, "zh"],
    [{ LANG: "POSIX" }, "zh"],
    [{ LANG: "zh_CN.UTF-8" }, "zh"],
    [{ LANG: "fr_FR.UTF-8" }, "zh"],
    [{ LC_ALL: "en_GB.UTF-8", LANG: "zh_CN.UTF-8" }, "en"],
    [{ LC_ALL: "zh_CN.UTF-8", LANG: "en_US.UTF-8" }, "zh"],
    [{ LANG: "en_US.UTF-8", TCPCHAT_LANG: "zh" }, "zh"],
    [{ LANG: "zh_CN.UTF-8", TCPCHAT_LANG: "en" }, "en"],
  ];
  for (const [vars, lang] of cases) {
    await t.step(`${JSON.stringify(vars)} → ${lang}`, () => {
      assert.equal(serveConfig([], envOf(vars)).lang, lang);
    });
  }
  await t.step("--lang zh beats LANG=en_US.UTF-8", () => {
    assert.equal(
      serveConfig(["--lang", "zh"], envOf({ LANG: "en_US.UTF-8" })).lang,
      "zh",
    );
  });
});

Deno.test("parseServerCommand() parses operator subcommands with their arguments", async (t) => {
  const cases: [string[], string, string[]][] = [
    [["reset-token", "小王"], "reset-token", ["小王"]],
    [["users"], "users", []],
    [["import-credentials", "credentials.json"], "import-credentials", [
      "credentials.json",
    ]],
    [["delete-user", "alice"], "delete-user", ["alice"]],
  ];
  for (const [args, name, rest] of cases) {
    await t.step(args.join(" "), () => {
      assert.deepEqual(parseServerCommand(args, NO_ENV), {
        kind: "operator",
        name,
        args: rest,
        config: DEFAULTS,
      });
    });
  }
  await t.step("flags before and after the subcommand", () => {
    const command = parseServerCommand(
      ["--db", "/a.db", "reset-token", "bob", "--lang", "en"],
      NO_ENV,
    );
    assert.deepEqual(command, {
      kind: "operator",
      name: "reset-token",
      args: ["bob"],
      config: {
        ...DEFAULTS,
        db: "/a.db",
        files: { ...DEFAULT_FILES, dir: "/a-files" },
        lang: "en",
      },
    });
  });
  await t.step("TCPCHAT_DB applies to subcommands", () => {
    const command = parseServerCommand(
      ["users"],
      envOf({ TCPCHAT_DB: "/env.db" }),
    );
    assert.equal(command.kind === "operator" && command.config.db, "/env.db");
  });
});

Deno.test("parseServerCommand() rejects an operator subcommand with the wrong arity", async (t) => {
  const cases: string[][] = [
    ["reset-token"],
    ["reset-token", "a", "b"],
    ["users", "extra"],
    ["import-credentials"],
    ["import-credentials", "a.json", "b.json"],
    ["delete-user"],
    ["delete-user", "a", "b"],
  ];
  for (const args of cases) {
    await t.step(args.join(" "), () => {
      assert.throws(
        () => parseServerCommand(args, NO_ENV),
        (error: unknown) => {
          assert.ok(error instanceof TypeError, String(error));
          assert.match(error.message, new RegExp(`"${args[0]}"`));
          return true;
        },
      );
    });
  }
});

Deno.test("parseServerCommand() rejects an unknown subcommand with a TypeError", async (t) => {
  for (const name of ["serve", "list", "toString", "__proto__", "USERS"]) {
    await t.step(name, () => {
      assert.throws(
        () => parseServerCommand([name], NO_ENV),
        (error: unknown) => {
          assert.ok(error instanceof TypeError, String(error));
          assert.match(error.message, /Unknown command/);
          return true;
        },
      );
    });
  }
});

Deno.test("parseServerCommand() returns help and version before validating anything else", async (t) => {
  const cases: [string[], ServerCommand][] = [
    [["--help"], { kind: "help" }],
    [["-h"], { kind: "help" }],
    [["--version"], { kind: "version" }],
    [["-V"], { kind: "version" }],
    [["--help", "--port", "70000"], { kind: "help" }],
    [["--version", "--lang", "fr"], { kind: "version" }],
    [["bogus-command", "--help"], { kind: "help" }],
    [["--help", "--version"], { kind: "help" }],
  ];
  for (const [args, expected] of cases) {
    await t.step(args.join(" "), () => {
      assert.deepEqual(parseServerCommand(args, NO_ENV), expected);
    });
  }
  await t.step("a bad environment does not stop --help", () => {
    assert.deepEqual(
      parseServerCommand(["--help"], envOf({ TCPCHAT_PORT: "abc" })),
      { kind: "help" },
    );
  });
});

Deno.test("parseServerCommand() reads no environment variable it does not know", () => {
  const asked: string[] = [];
  parseServerCommand([], (name) => {
    asked.push(name);
    return undefined;
  });
  const known = new Set<string>([...Object.values(ENV_VARS), "LANG", "LC_ALL"]);
  for (const name of asked) assert.ok(known.has(name), name);
});

Deno.test("parseServerCommand() reads the TLS flags and refuses half a configuration", () => {
  assert.deepEqual(serveConfig(["--tls"]).tls, {
    certFile: undefined,
    keyFile: undefined,
    port: 5001,
    requireTls: false,
  });
  assert.deepEqual(
    serveConfig([
      "--tls-cert",
      "c.pem",
      "--tls-key",
      "k.pem",
      "--tls-port",
      "6001",
      "--require-tls",
    ]).tls,
    { certFile: "c.pem", keyFile: "k.pem", port: 6001, requireTls: true },
  );
  assert.deepEqual(
    serveConfig([], envOf({ TCPCHAT_TLS: "1" })).tls?.port,
    5001,
  );
  assert.throws(() => serveConfig(["--tls-cert", "c.pem"]), RangeError);
  assert.throws(() => serveConfig(["--require-tls"]), RangeError);
  assert.throws(() => serveConfig(["--tls-port", "6001"]), RangeError);
  assert.throws(
    () => serveConfig(["--tls", "--tls-port", "70000"]),
    RangeError,
  );
});

Deno.test("describeConfigError() says what is wrong in Chinese or English", async (t) => {
  const cases: [string[], string, string][] = [
    [
      ["--port", "70000"],
      '无法使用 --port "70000"：应为 0 到 65535 之间的整数',
      'Cannot use --port "70000": expected an integer from 0 to 65535',
    ],
    [["--bogus"], "未知选项: --bogus", 'Unknown option "--bogus"'],
    [["--port"], "选项 --port 缺少取值", 'Option "--port" needs a value'],
    [
      ["--quiet=yes"],
      "选项 --quiet 不接受取值",
      'Option "--quiet" does not take a value',
    ],
    [
      ["--lang", "fr"],
      '无法使用语言 "fr"：应为 "zh" 或 "en"',
      'Cannot use language "fr": expected "zh" or "en"',
    ],
    [
      ["frobnicate"],
      '未知命令 "frobnicate"',
      'Unknown command "frobnicate"',
    ],
    [
      ["reset-token"],
      '命令 "reset-token" 需要 1 个参数，实际给了 0 个',
      'Command "reset-token" takes 1 argument, got 0',
    ],
    [
      ["--require-tls"],
      "没有 TLS 时不能使用 --require-tls：请加上 --tls 或 --tls-cert/--tls-key",
      "Cannot use --require-tls without TLS: add --tls or --tls-cert/--tls-key",
    ],
  ];
  for (const [args, zh, en] of cases) {
    await t.step(args.join(" "), () => {
      let thrown: unknown;
      try {
        parseServerCommand(args, NO_ENV);
      } catch (error) {
        thrown = error;
      }
      assert.ok(thrown instanceof Error, `${args.join(" ")} was accepted`);
      assert.equal(describeConfigError(thrown, "zh"), zh);
      assert.equal(describeConfigError(thrown, "en"), en);
    });
  }
});

Deno.test("guessLang() takes --lang, then TCPCHAT_LANG, then the locale", () => {
  assert.equal(guessLang(["--port", "x"], NO_ENV), "zh");
  assert.equal(guessLang(["--lang", "en", "--port", "x"], NO_ENV), "en");
  assert.equal(guessLang(["--lang=en"], NO_ENV), "en");
  assert.equal(guessLang([], envOf({ TCPCHAT_LANG: "en" })), "en");
  assert.equal(guessLang([], envOf({ LANG: "en_US.UTF-8" })), "en");
  assert.equal(
    guessLang(["--lang", "zh"], envOf({ LANG: "en_US.UTF-8" })),
    "zh",
  );
  // An unusable choice (the error being reported) falls back to the locale.
  assert.equal(guessLang(["--lang", "fr"], envOf({ LANG: "en_GB" })), "en");
});

Deno.test("parseServerCommand() refuses --web-port with --no-web, and a bad web port", () => {
  assert.throws(
    () => parseServerCommand(["--no-web", "--web-port", "8080"], NO_ENV),
    {
      name: "RangeError",
      message: "Cannot use --web-port with --no-web: keep one of them",
    },
  );
  assert.equal(
    serveConfig(["--no-web"], envOf({ TCPCHAT_WEB_PORT: "8080" })).webPort,
    undefined,
  );
  assert.throws(
    () => parseServerCommand(["--web-port", "70000"], NO_ENV),
    { name: "RangeError", message: /--web-port "70000"/ },
  );
});

Deno.test("parseServerCommand() refuses bad sizes and file flags on a server without file sharing", () => {
  for (const value of ["", "10X", "-5", "1.5G", "G", "0"]) {
    assert.throws(
      () => parseServerCommand([`--max-file-size=${value}`], NO_ENV),
      RangeError,
      value,
    );
  }
  assert.throws(
    () => parseServerCommand(["--file-quota", "lots"], NO_ENV),
    {
      name: "RangeError",
      message:
        'Cannot use --file-quota "lots": expected a size such as 100M, 1G or a number of bytes',
    },
  );
  try {
    parseServerCommand(["--no-web", "--files-dir", "/x"], NO_ENV);
    assert.fail("expected an error");
  } catch (error) {
    assert.equal(
      describeConfigError(error, "zh"),
      "--files-dir 没有作用：--no-web 关闭了文件分享（文件通过网页端口传输）",
    );
  }
  assert.throws(
    () => parseServerCommand(["--no-files", "--max-file-size", "1G"], NO_ENV),
    {
      message:
        "--max-file-size has no effect: --no-files turns file sharing off (files travel over the web port)",
    },
  );
});
