import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Command,
  formatCommand,
  formatReply,
  MAX_LINE_BYTES,
  MAX_PASSWORD_BYTES,
  parseCommand,
  type ParsedCommand,
  parseReply,
  PROTOCOL_VERSION,
  type Reply,
  sanitizeMessage,
} from "../lib/protocol.ts";

const SEED = 20260101;
const encoder = new TextEncoder();

function byteLength(text: string): number {
  return encoder.encode(text).length;
}

// Text mixing ASCII, spaces, CJK, emoji (including multi-code-point ones) and
// arbitrary code points, so that byte and UTF-16 lengths differ.
const unitArbitrary = fc.oneof(
  fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }),
  fc.constantFrom(" ", " ", "张", "三", "密", "码", "😀", "👍🏽", "é", "€", "_"),
  fc.string({ unit: "binary", minLength: 1, maxLength: 1 }),
);

function textArbitrary(minLength: number, maxLength: number) {
  return fc.string({ unit: unitArbitrary, minLength, maxLength });
}

// Any text without \r or \n; every unit is at most 8 bytes, so 100 units stay
// within MAX_PASSWORD_BYTES.
const passwordArbitrary = textArbitrary(1, 100).map((s) =>
  s.replaceAll(/[\r\n]/g, "x")
);

const tokenArbitrary = textArbitrary(1, 40).map((s) =>
  s.replaceAll(/[ \r\n]/g, "_")
);

const messageArbitrary = textArbitrary(0, 80).map(sanitizeMessage);

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    type: fc.constantFrom("register", "login", "delete_account"),
    username: tokenArbitrary,
    password: passwordArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("reset_request"),
    username: tokenArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("reset_confirm"),
    token: tokenArbitrary,
    newPassword: passwordArbitrary,
  }, { noNullPrototype: true }),
  fc.constant({ type: "logout" }),
  fc.record({
    type: fc.constant("change_password"),
    oldPassword: passwordArbitrary,
    newPassword: passwordArbitrary,
  }, { noNullPrototype: true }),
) as fc.Arbitrary<Command>;

const replyArbitrary: fc.Arbitrary<Reply> = fc.oneof(
  fc.record({
    type: fc.constant("hello"),
    protocolVersion: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    serverVersion: tokenArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constantFrom(
      "register_success",
      "reset_success",
      "delete_success",
      "password_success",
    ),
  }, { noNullPrototype: true }),
  fc.record({ type: fc.constant("recovery_code"), code: tokenArbitrary }, {
    noNullPrototype: true,
  }),
  fc.record({ type: fc.constant("auth_success"), username: tokenArbitrary }, {
    noNullPrototype: true,
  }),
  fc.record({
    type: fc.constantFrom(
      "register_failure",
      "auth_failure",
      "reset_requested",
      "reset_failure",
      "delete_failure",
      "password_failure",
    ),
    message: messageArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("error"),
    code: fc.stringMatching(/^[a-z][a-z0-9]{0,8}(_[a-z0-9]{1,8}){0,3}$/),
    message: messageArbitrary,
  }, { noNullPrototype: true }),
) as fc.Arbitrary<Reply>;

Deno.test("protocol constants", () => {
  assert.equal(PROTOCOL_VERSION, 1);
  assert.equal(MAX_LINE_BYTES, 8192);
  assert.equal(MAX_PASSWORD_BYTES, 1024);
});

Deno.test("parseCommand() parses every verb", async (t) => {
  const cases: [string, Command][] = [
    ["REGISTER alice s3cret!!", {
      type: "register",
      username: "alice",
      password: "s3cret!!",
    }],
    ["LOGIN alice s3cret!!", {
      type: "login",
      username: "alice",
      password: "s3cret!!",
    }],
    ["RESET_REQUEST alice", { type: "reset_request", username: "alice" }],
    ["RESET_CONFIRM 3f9a-c0de new secret", {
      type: "reset_confirm",
      token: "3f9a-c0de",
      newPassword: "new secret",
    }],
    ["LOGOUT", { type: "logout" }],
    ["DELETE_ACCOUNT alice s3cret!!", {
      type: "delete_account",
      username: "alice",
      password: "s3cret!!",
    }],
    ["PASSWORD 8 s3cret!! n3w secret", {
      type: "change_password",
      oldPassword: "s3cret!!",
      newPassword: "n3w secret",
    }],
  ];
  for (const [line, expected] of cases) {
    await t.step(line, () => {
      assert.deepEqual(parseCommand(line), expected);
    });
  }
});

Deno.test("parseCommand() takes the password as the rest of the line", async (t) => {
  const cases: [string, string][] = [
    ["LOGIN bob correct horse battery", "correct horse battery"],
    ["LOGIN bob  leading space", " leading space"],
    ["LOGIN bob trailing space ", "trailing space "],
    ["LOGIN bob    ", "   "],
    ["LOGIN bob 密码 很 长 😀👍🏽", "密码 很 长 😀👍🏽"],
    ["LOGIN bob a\tb", "a\tb"],
    ["LOGIN bob LOGIN bob x", "LOGIN bob x"],
  ];
  for (const [line, password] of cases) {
    await t.step(JSON.stringify(line), () => {
      assert.deepEqual(parseCommand(line), {
        type: "login",
        username: "bob",
        password,
      });
    });
  }
  await t.step("usernames may use any script", () => {
    assert.deepEqual(parseCommand("REGISTER 张三_li-4 密码密码"), {
      type: "register",
      username: "张三_li-4",
      password: "密码密码",
    });
  });
});

Deno.test(
  "parseCommand() reads the PASSWORD old password by its byte length",
  async (t) => {
    const cases: [string, string, string][] = [
      ["PASSWORD 3 abc new", "abc", "new"],
      ["PASSWORD 2 é new", "é", "new"],
      ["PASSWORD 3 张 new", "张", "new"],
      ["PASSWORD 4 😀 new", "😀", "new"],
      ["PASSWORD 8 👍🏽 new", "👍🏽", "new"],
      ["PASSWORD 5  a b  c d", " a b ", "c d"],
      ["PASSWORD 1    ", " ", " "],
      ["PASSWORD 11 旧 密 码 新 密 码", "旧 密 码", "新 密 码"],
    ];
    for (const [line, oldPassword, newPassword] of cases) {
      await t.step(JSON.stringify(line), () => {
        assert.deepEqual(parseCommand(line), {
          type: "change_password",
          oldPassword,
          newPassword,
        });
      });
    }
  },
);

Deno.test("parseCommand() returns invalid for malformed arguments", async (t) => {
  const long = "p".repeat(MAX_PASSWORD_BYTES + 1);
  const cases: [string, string, string][] = [
    ["REGISTER", "REGISTER", "missing username"],
    ["REGISTER ", "REGISTER", "missing username"],
    ["REGISTER bob", "REGISTER", "missing password"],
    ["REGISTER bob ", "REGISTER", "missing password"],
    ["REGISTER  bob pw", "REGISTER", "username is empty"],
    [`REGISTER bob ${long}`, "REGISTER", "password is 1025 bytes"],
    ["REGISTER bob a\rb", "REGISTER", "carriage return or line feed"],
    ["REGISTER bob a\nb", "REGISTER", "carriage return or line feed"],
    ["REGISTER bob \ud800x", "REGISTER", "not well-formed Unicode"],
    ["LOGIN", "LOGIN", "missing username"],
    ["LOGIN bob", "LOGIN", "missing password"],
    ["LOGOUT now", "LOGOUT", "takes no arguments"],
    ["LOGOUT ", "LOGOUT", "takes no arguments"],
    ["RESET_REQUEST", "RESET_REQUEST", "missing username"],
    ["RESET_REQUEST bob extra", "RESET_REQUEST", "takes only a username"],
    ["RESET_REQUEST bob ", "RESET_REQUEST", "takes only a username"],
    ["RESET_CONFIRM", "RESET_CONFIRM", "missing token"],
    ["RESET_CONFIRM tok", "RESET_CONFIRM", "missing new password"],
    [`RESET_CONFIRM tok ${long}`, "RESET_CONFIRM", "new password is 1025"],
    ["DELETE_ACCOUNT bob", "DELETE_ACCOUNT", "missing password"],
    ["PASSWORD", "PASSWORD", "missing old password length"],
    ["PASSWORD x old new", "PASSWORD", "old password length must be"],
    ["PASSWORD 0  new", "PASSWORD", "old password length must be"],
    ["PASSWORD 03 abc new", "PASSWORD", "old password length must be"],
    ["PASSWORD -3 abc new", "PASSWORD", "old password length must be"],
    ["PASSWORD 1025 x", "PASSWORD", "old password length must be"],
    ["PASSWORD 3", "PASSWORD", "missing old password"],
    ["PASSWORD 3 ab", "PASSWORD", "shorter than its declared 3 bytes"],
    ["PASSWORD 3 abcd new", "PASSWORD", "expected a space after"],
    ["PASSWORD 3 abc", "PASSWORD", "missing new password"],
    ["PASSWORD 3 abc ", "PASSWORD", "missing new password"],
    ["PASSWORD 1 é new", "PASSWORD", "ends inside a character"],
    ["PASSWORD 3 éé new", "PASSWORD", "ends inside a character"],
    [`PASSWORD 3 abc ${long}`, "PASSWORD", "new password is 1025 bytes"],
  ];
  for (const [line, verb, problem] of cases) {
    await t.step(JSON.stringify(line.slice(0, 40)), () => {
      const result = parseCommand(line);
      assert.equal(result.type, "invalid");
      assert.ok(result.type === "invalid");
      assert.equal(result.verb, verb);
      assert.ok(
        result.reason.startsWith(`Cannot parse ${verb}: `),
        result.reason,
      );
      assert.ok(result.reason.includes(problem), result.reason);
      assert.ok(result.reason.includes("(usage: "), result.reason);
    });
  }
});

Deno.test("parseCommand() never repeats a password in a reason", () => {
  const secret = "hunter2-very-secret";
  const lines = [
    `REGISTER bob ${secret}\r`,
    `LOGIN  ${secret}`,
    `PASSWORD 99 ${secret} x`,
    `PASSWORD 5 ${secret} x`,
    `RESET_CONFIRM tok ${secret.repeat(60)}`,
    `LOGOUT ${secret}`,
  ];
  for (const line of lines) {
    const result = parseCommand(line);
    assert.ok(result.type === "invalid", line);
    assert.ok(!result.reason.includes("hunter2"), result.reason);
  }
});

Deno.test("parseCommand() returns unknown for other first words", async (t) => {
  const lines = [
    "",
    " ",
    "hello everyone",
    "大家好",
    "login bob pw",
    "Login problems, anyone?",
    " LOGIN bob pw",
    "LOGIN\tbob pw",
    "LOGOUTNOW",
    "RESET_TOKEN abc",
    "__proto__ x",
    "constructor",
  ];
  for (const line of lines) {
    await t.step(JSON.stringify(line), () => {
      assert.deepEqual(parseCommand(line), { type: "unknown", line });
    });
  }
});

Deno.test("formatCommand() formats every command type", async (t) => {
  const cases: [Command, string][] = [
    [
      { type: "register", username: "bob", password: " pw with spaces " },
      "REGISTER bob  pw with spaces ",
    ],
    [{ type: "login", username: "张三", password: "密码" }, "LOGIN 张三 密码"],
    [{ type: "reset_request", username: "bob" }, "RESET_REQUEST bob"],
    [
      { type: "reset_confirm", token: "abc123", newPassword: "n p" },
      "RESET_CONFIRM abc123 n p",
    ],
    [{ type: "logout" }, "LOGOUT"],
    [
      { type: "delete_account", username: "bob", password: "pw" },
      "DELETE_ACCOUNT bob pw",
    ],
    [
      { type: "change_password", oldPassword: "😀 x", newPassword: "new" },
      "PASSWORD 6 😀 x new",
    ],
  ];
  for (const [command, line] of cases) {
    await t.step(command.type, () => {
      assert.equal(formatCommand(command), line);
      assert.deepEqual(parseCommand(line), command);
    });
  }
});

Deno.test("formatCommand() rejects unrepresentable fields", async (t) => {
  const long = "é".repeat(MAX_PASSWORD_BYTES / 2 + 1);
  const cases: [string, Command, ErrorConstructor][] = [
    ["a username with a space", {
      type: "login",
      username: "a b",
      password: "pw",
    }, TypeError],
    ["an empty username", {
      type: "register",
      username: "",
      password: "pw",
    }, TypeError],
    ["a username with \\n", {
      type: "reset_request",
      username: "a\nb",
    }, TypeError],
    ["a token with \\r", {
      type: "reset_confirm",
      token: "a\r",
      newPassword: "pw",
    }, TypeError],
    ["an empty password", {
      type: "login",
      username: "bob",
      password: "",
    }, RangeError],
    ["an empty old password", {
      type: "change_password",
      oldPassword: "",
      newPassword: "pw",
    }, RangeError],
    ["a password with \\n", {
      type: "delete_account",
      username: "bob",
      password: "a\nb",
    }, TypeError],
    ["a password with \\r", {
      type: "change_password",
      oldPassword: "pw",
      newPassword: "pw\r",
    }, TypeError],
    ["a password with a lone surrogate", {
      type: "login",
      username: "bob",
      password: "\udc00",
    }, TypeError],
    ["a password over the byte limit", {
      type: "register",
      username: "bob",
      password: long,
    }, RangeError],
    ["a line over the byte limit", {
      type: "reset_request",
      username: "u".repeat(MAX_LINE_BYTES),
    }, RangeError],
    ["a username that is not a string", {
      type: "login",
      username: 42 as unknown as string,
      password: "pw",
    }, TypeError],
    ["an unknown type", { type: "invalid" } as unknown as Command, TypeError],
  ];
  for (const [name, command, errorClass] of cases) {
    await t.step(name, () => {
      assert.throws(() => formatCommand(command), errorClass);
    });
  }
  await t.step("a password of exactly the byte limit is fine", () => {
    const password = "é".repeat(MAX_PASSWORD_BYTES / 2);
    const command: Command = { type: "login", username: "bob", password };
    assert.deepEqual(parseCommand(formatCommand(command)), command);
  });
});

Deno.test("parseReply() parses every reply", async (t) => {
  const cases: [string, Reply][] = [
    ["HELLO tcpchat/1 0.1.0", {
      type: "hello",
      protocolVersion: 1,
      serverVersion: "0.1.0",
    }],
    ["HELLO tcpchat/12 2.0.0-beta+x ignored extra fields", {
      type: "hello",
      protocolVersion: 12,
      serverVersion: "2.0.0-beta+x",
    }],
    ["REGISTER_SUCCESS", { type: "register_success" }],
    ["RECOVERY_CODE K7QX-94MD-2PLA", {
      type: "recovery_code",
      code: "K7QX-94MD-2PLA",
    }],
    ["REGISTER_FAILURE 用户名已存在", {
      type: "register_failure",
      message: "用户名已存在",
    }],
    ["AUTH_SUCCESS 张三", { type: "auth_success", username: "张三" }],
    ["AUTH_FAILURE Invalid username or password", {
      type: "auth_failure",
      message: "Invalid username or password",
    }],
    ["AUTH_FAILURE", { type: "auth_failure", message: "" }],
    ["AUTH_FAILURE ", { type: "auth_failure", message: "" }],
    ["RESET_REQUESTED If the account exists, the operator has a token", {
      type: "reset_requested",
      message: "If the account exists, the operator has a token",
    }],
    ["RESET_SUCCESS", { type: "reset_success" }],
    ["RESET_FAILURE  two  spaces ", {
      type: "reset_failure",
      message: " two  spaces ",
    }],
    ["DELETE_SUCCESS", { type: "delete_success" }],
    ["DELETE_FAILURE nope", { type: "delete_failure", message: "nope" }],
    ["PASSWORD_SUCCESS", { type: "password_success" }],
    ["PASSWORD_FAILURE 旧密码错误 😀", {
      type: "password_failure",
      message: "旧密码错误 😀",
    }],
    ['ERROR unknown_command Unknown command "FOO"', {
      type: "error",
      code: "unknown_command",
      message: 'Unknown command "FOO"',
    }],
    ["ERROR invalid_utf8", {
      type: "error",
      code: "invalid_utf8",
      message: "",
    }],
  ];
  for (const [line, expected] of cases) {
    await t.step(line, () => {
      assert.deepEqual(parseReply(line), expected);
    });
  }
});

Deno.test("parseReply() returns invalid for malformed replies", async (t) => {
  const cases: [string, string][] = [
    ["", "unknown verb"],
    ["FOO bar", 'unknown verb "FOO"'],
    ["register_success", "unknown verb"],
    ["RESET_TOKEN abc", "unknown verb"],
    ["__proto__", "unknown verb"],
    [`${"X".repeat(100)}`, "…"],
    ["REGISTER_SUCCESS now", "takes no arguments"],
    ["REGISTER_SUCCESS ", "takes no arguments"],
    ["AUTH_SUCCESS", "missing username"],
    ["AUTH_SUCCESS a b", "contains a space"],
    ["AUTH_SUCCESS a\rb", "carriage return"],
    ["RECOVERY_CODE", "missing recovery code"],
    ["RECOVERY_CODE a b", "contains a space"],
    ["HELLO", 'expected "tcpchat/<version>"'],
    ["HELLO irc/1 x", 'expected "tcpchat/<version>"'],
    ["HELLO tcpchat/ x", "not a positive integer"],
    ["HELLO tcpchat/0 x", "not a positive integer"],
    ["HELLO tcpchat/01 x", "not a positive integer"],
    ["HELLO tcpchat/99999999999999999999 x", "not a positive integer"],
    ["HELLO tcpchat/1", "missing server version"],
    ["HELLO tcpchat/1 ", "missing server version"],
    ["ERROR", "missing error code"],
    ["ERROR ", "not a snake_case word"],
    ["ERROR Bad_code x", "not a snake_case word"],
    ["ERROR bad-code x", "not a snake_case word"],
    ["ERROR bad__code x", "not a snake_case word"],
  ];
  for (const [line, problem] of cases) {
    await t.step(JSON.stringify(line.slice(0, 40)), () => {
      const result = parseReply(line);
      assert.equal(result.type, "invalid");
      assert.ok(result.type === "invalid");
      assert.ok(result.reason.startsWith("Cannot parse "), result.reason);
      assert.ok(result.reason.includes(problem), result.reason);
    });
  }
});

Deno.test("formatReply() formats every reply type", async (t) => {
  const cases: [Reply, string][] = [
    [
      {
        type: "hello",
        protocolVersion: PROTOCOL_VERSION,
        serverVersion: "0.1.0",
      },
      "HELLO tcpchat/1 0.1.0",
    ],
    [{ type: "register_success" }, "REGISTER_SUCCESS"],
    [{ type: "recovery_code", code: "ABCD-EFGH" }, "RECOVERY_CODE ABCD-EFGH"],
    [
      { type: "register_failure", message: "Username is taken" },
      "REGISTER_FAILURE Username is taken",
    ],
    [{ type: "auth_success", username: "张三" }, "AUTH_SUCCESS 张三"],
    [{ type: "auth_failure", message: "" }, "AUTH_FAILURE"],
    [
      { type: "reset_requested", message: "Ask the operator" },
      "RESET_REQUESTED Ask the operator",
    ],
    [{ type: "reset_success" }, "RESET_SUCCESS"],
    [{ type: "reset_failure", message: "x" }, "RESET_FAILURE x"],
    [{ type: "delete_success" }, "DELETE_SUCCESS"],
    [{ type: "delete_failure", message: "x" }, "DELETE_FAILURE x"],
    [{ type: "password_success" }, "PASSWORD_SUCCESS"],
    [{ type: "password_failure", message: "x" }, "PASSWORD_FAILURE x"],
    [
      { type: "error", code: "not_logged_in", message: "Log in first" },
      "ERROR not_logged_in Log in first",
    ],
  ];
  for (const [reply, line] of cases) {
    await t.step(reply.type, () => {
      assert.equal(formatReply(reply), line);
      assert.deepEqual(parseReply(line), reply);
    });
  }
});

Deno.test("formatReply() replaces control characters in messages", async (t) => {
  const cases: [string, string][] = [
    ["line\nbreak", "line break"],
    ["crlf\r\n", "crlf  "],
    ["tab\there", "tab here"],
    ["\u001b[31mred\u001b[0m", " [31mred [0m"],
    ["nul\u0000del\u007fc1\u009b", "nul del c1 "],
    ["lone \ud800 surrogate", "lone \ufffd surrogate"],
    ["中文 😀 stays", "中文 😀 stays"],
  ];
  for (const [message, sent] of cases) {
    await t.step(JSON.stringify(message), () => {
      assert.equal(
        formatReply({ type: "auth_failure", message }),
        `AUTH_FAILURE ${sent}`,
      );
      assert.equal(sanitizeMessage(message), sent);
    });
  }
  await t.step("parseReply() sanitizes the same way", () => {
    assert.deepEqual(parseReply("ERROR x_y a\u001b[2Jb\rc"), {
      type: "error",
      code: "x_y",
      message: "a [2Jb c",
    });
  });
});

Deno.test("formatReply() rejects unrepresentable fields", async (t) => {
  const cases: [string, Reply, ErrorConstructor][] = [
    ["protocol version 0", {
      type: "hello",
      protocolVersion: 0,
      serverVersion: "1",
    }, RangeError],
    ["a fractional protocol version", {
      type: "hello",
      protocolVersion: 1.5,
      serverVersion: "1",
    }, RangeError],
    ["a server version with a space", {
      type: "hello",
      protocolVersion: 1,
      serverVersion: "1 2",
    }, TypeError],
    ["an empty recovery code", {
      type: "recovery_code",
      code: "",
    }, TypeError],
    ["a username with \\n", {
      type: "auth_success",
      username: "a\nb",
    }, TypeError],
    ["an error code that is not snake_case", {
      type: "error",
      code: "Not-Snake",
      message: "x",
    }, TypeError],
    ["an empty error code", {
      type: "error",
      code: "",
      message: "x",
    }, TypeError],
    ["a message over the line limit", {
      type: "auth_failure",
      message: "x".repeat(MAX_LINE_BYTES),
    }, RangeError],
    ["an unknown type", { type: "nope" } as unknown as Reply, TypeError],
  ];
  for (const [name, reply, errorClass] of cases) {
    await t.step(name, () => {
      assert.throws(() => formatReply(reply), errorClass);
    });
  }
});

Deno.test("parseCommand() inverts formatCommand() for every command", () => {
  fc.assert(
    fc.property(commandArbitrary, (command) => {
      const line = formatCommand(command);
      assert.ok(byteLength(line) <= MAX_LINE_BYTES);
      assert.ok(!/[\r\n]/.test(line));
      assert.deepEqual(parseCommand(line), command);
    }),
    { seed: SEED, numRuns: 1000 },
  );
});

Deno.test(
  "formatCommand() prefixes PASSWORD with the old password's UTF-8 length",
  () => {
    fc.assert(
      fc.property(passwordArbitrary, passwordArbitrary, (oldPw, newPw) => {
        const line = formatCommand({
          type: "change_password",
          oldPassword: oldPw,
          newPassword: newPw,
        });
        assert.equal(
          line,
          `PASSWORD ${byteLength(oldPw)} ${oldPw} ${newPw}`,
        );
      }),
      { seed: SEED, numRuns: 300 },
    );
  },
);

Deno.test("formatCommand() inverts parseCommand() for valid lines", () => {
  // Lines built from verbs and fragments; whenever one parses as a command,
  // formatting it gives back the same line (the syntax is canonical).
  const fragment = fc.oneof(
    textArbitrary(0, 6),
    fc.constantFrom(" ", "  ", "3", "4", "0", "01", "1025", "\r", "é"),
  );
  const verbLine = fc
    .tuple(
      fc.constantFrom(
        "REGISTER",
        "LOGIN",
        "RESET_REQUEST",
        "RESET_CONFIRM",
        "LOGOUT",
        "DELETE_ACCOUNT",
        "PASSWORD",
        "HELLO",
      ),
      fc.array(fragment, { maxLength: 6 }),
    )
    .map(([verb, fragments]) => [verb, ...fragments].join(" "));
  // PASSWORD lines whose declared length may or may not match a split point.
  const passwordLine = fc
    .tuple(textArbitrary(1, 12), fc.integer({ min: 1, max: 50 }))
    .map(([rest, length]) =>
      `PASSWORD ${1 + (length % byteLength(rest))} ${rest}`
    );
  fc.assert(
    fc.property(fc.oneof(verbLine, passwordLine), (line) => {
      const parsed: ParsedCommand = parseCommand(line);
      if (parsed.type === "invalid") {
        assert.equal(parsed.verb, line.split(" ", 1)[0]);
      } else if (parsed.type === "unknown") {
        assert.equal(parsed.line, line);
      } else {
        assert.equal(formatCommand(parsed), line);
      }
    }),
    { seed: SEED, numRuns: 1000 },
  );
});

Deno.test("parseCommand() never throws on arbitrary lines", () => {
  const types = new Set([
    "register",
    "login",
    "reset_request",
    "reset_confirm",
    "logout",
    "delete_account",
    "change_password",
    "invalid",
    "unknown",
  ]);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: "binary", maxLength: 40 }),
        fc.tuple(
          fc.constantFrom("REGISTER ", "LOGIN ", "PASSWORD ", "LOGOUT"),
          fc.string({ unit: "binary", maxLength: 40 }),
        ).map(([verb, rest]) => verb + rest),
      ),
      (line) => {
        assert.ok(types.has(parseCommand(line).type));
      },
    ),
    { seed: SEED, numRuns: 300 },
  );
});

Deno.test("parseReply() inverts formatReply() for every reply", () => {
  fc.assert(
    fc.property(replyArbitrary, (reply) => {
      const line = formatReply(reply);
      assert.ok(!/[\r\n]/.test(line));
      assert.deepEqual(parseReply(line), reply);
    }),
    { seed: SEED, numRuns: 1000 },
  );
});

Deno.test("formatReply() sends any message as one printable line", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "binary", maxLength: 60 }),
      (message) => {
        const line = formatReply({ type: "reset_failure", message });
        // deno-lint-ignore no-control-regex -- looking for control characters
        assert.ok(!/[\u0000-\u001f\u007f-\u009f]/.test(line));
        assert.ok(line.isWellFormed());
        assert.deepEqual(parseReply(line), {
          type: "reset_failure",
          message: sanitizeMessage(message),
        });
      },
    ),
    { seed: SEED, numRuns: 300 },
  );
});

Deno.test("parseReply() never throws on arbitrary lines", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: "binary", maxLength: 40 }),
        fc.tuple(
          fc.constantFrom("HELLO ", "ERROR ", "AUTH_SUCCESS ", "AUTH_FAILURE"),
          fc.string({ unit: "binary", maxLength: 40 }),
        ).map(([verb, rest]) => verb + rest),
      ),
      (line) => {
        assert.equal(typeof parseReply(line).type, "string");
      },
    ),
    { seed: SEED, numRuns: 300 },
  );
});
