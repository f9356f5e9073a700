import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Command,
  formatCommand,
  formatReply,
  MAX_LINE_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_PASSWORD_BYTES,
  MAX_PING_TOKEN_LENGTH,
  parseChatText,
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

// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// deno-lint-ignore no-control-regex -- matching control characters is the point
const VISIBLE = /[^\s\u0000-\u001f\u007f-\u009f]/u;

// Usernames as a server sends them: tokens without control characters.
const nameArbitrary = tokenArbitrary.map((s) =>
  s.replaceAll(new RegExp(CONTROL, "g"), "_")
);

// Chat text as a client sends it: no \r or \n, something visible, and often
// leading or trailing spaces. Every unit is at most 8 bytes, so 80 units stay
// within MAX_MESSAGE_BYTES.
const chatTextArbitrary = textArbitrary(1, 80).map((s) => {
  const text = s.replaceAll(/[\r\n]/g, " ");
  return VISIBLE.test(text) ? text : `${text}字`;
});

// Text of a MESSAGE or SYSTEM event: non-empty, already sanitized.
const eventTextArbitrary = textArbitrary(1, 80).map(sanitizeMessage);

const pingTokenArbitrary = fc.stringMatching(/^[\x21-\x7e]{1,64}$/);

const countArbitrary = fc.oneof(
  fc.constantFrom(0, 1, 1764081035000, Number.MAX_SAFE_INTEGER),
  fc.nat(),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);

const snakeCaseArbitrary = fc.stringMatching(
  /^[a-z][a-z0-9]{0,8}(_[a-z0-9]{1,8}){0,3}$/,
);

// PING and PONG with and without a token.
const pingArbitrary = fc.record({
  type: fc.constantFrom("ping", "pong"),
  token: pingTokenArbitrary,
}, { requiredKeys: ["type"], noNullPrototype: true });

const commandArbitrary: fc.Arbitrary<Command> = fc.oneof(
  fc.record({
    type: fc.constantFrom("register", "login", "delete_account"),
    username: tokenArbitrary,
    password: passwordArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("resume"),
    username: tokenArbitrary,
    token: tokenArbitrary,
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
  fc.record({ type: fc.constant("msg"), text: chatTextArbitrary }, {
    noNullPrototype: true,
  }),
  pingArbitrary,
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
      "logout_success",
    ),
  }, { noNullPrototype: true }),
  fc.record({ type: fc.constant("recovery_code"), code: tokenArbitrary }, {
    noNullPrototype: true,
  }),
  fc.record({ type: fc.constant("auth_success"), username: nameArbitrary }, {
    noNullPrototype: true,
  }),
  fc.record({ type: fc.constant("resume_token"), token: tokenArbitrary }, {
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
    type: fc.constantFrom("error", "bye"),
    code: snakeCaseArbitrary,
    message: messageArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("welcome"),
    onlineCount: countArbitrary,
    username: nameArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("message"),
    id: countArbitrary,
    time: countArbitrary,
    sender: nameArbitrary,
    text: eventTextArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constantFrom("user_joined", "user_left"),
    time: countArbitrary,
    username: nameArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("system"),
    time: countArbitrary,
    text: eventTextArbitrary,
  }, { noNullPrototype: true }),
  pingArbitrary,
) as fc.Arbitrary<Reply>;

Deno.test("protocol constants", () => {
  assert.equal(PROTOCOL_VERSION, 1);
  assert.equal(MAX_LINE_BYTES, 8192);
  assert.equal(MAX_PASSWORD_BYTES, 1024);
  assert.equal(MAX_MESSAGE_BYTES, 4096);
  assert.equal(MAX_PING_TOKEN_LENGTH, 64);
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
    ["RESUME alice q8Zt4mXwR2", {
      type: "resume",
      username: "alice",
      token: "q8Zt4mXwR2",
    }],
    ["RESUME 张三 令牌-1", {
      type: "resume",
      username: "张三",
      token: "令牌-1",
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
    ["MSG hello", { type: "msg", text: "hello" }],
    ["PING", { type: "ping" }],
    ["PING 42", { type: "ping", token: "42" }],
    ["PONG", { type: "pong" }],
    ["PONG k-9_Z!~", { type: "pong", token: "k-9_Z!~" }],
  ];
  for (const [line, expected] of cases) {
    await t.step(line, () => {
      assert.deepEqual(parseCommand(line), expected);
    });
  }
});

Deno.test("parseCommand() takes the MSG text as the rest of the line", async (t) => {
  const texts = [
    "大家好",
    "你好，大家好",
    "hello everyone",
    " leading space",
    "   three leading spaces",
    "trailing space ",
    "a  b   c",
    "😀👍🏽 emoji 👨‍👩‍👧",
    "\u3000全角空格开头",
    "a\tb",
    "\u001b[31mkept as sent\u001b[0m",
    "MSG MSG",
    "LOGIN bob pw",
    "x".repeat(MAX_MESSAGE_BYTES),
    "字".repeat(Math.floor(MAX_MESSAGE_BYTES / 3)),
  ];
  for (const text of texts) {
    await t.step(JSON.stringify(text.slice(0, 40)), () => {
      const line = `MSG ${text}`;
      assert.deepEqual(parseCommand(line), { type: "msg", text });
      assert.equal(formatCommand({ type: "msg", text }), line);
    });
  }
});

Deno.test("parseCommand() rejects malformed MSG, PING and PONG with a code", async (t) => {
  const cases: [string, string, string, string][] = [
    ["MSG", "MSG", "empty_message", "text is empty"],
    ["MSG ", "MSG", "empty_message", "text is empty"],
    ["MSG    ", "MSG", "empty_message", "only white space"],
    ["MSG \t\u3000\u00a0\ufeff", "MSG", "empty_message", "only white space"],
    ["MSG \u0001\u001b\u007f\u009b", "MSG", "empty_message", "control"],
    ["MSG a\rb", "MSG", "invalid_command", "carriage return or line feed"],
    ["MSG a\nb", "MSG", "invalid_command", "carriage return or line feed"],
    ["MSG \ud800", "MSG", "invalid_command", "not well-formed Unicode"],
    [
      `MSG ${"x".repeat(MAX_MESSAGE_BYTES + 1)}`,
      "MSG",
      "message_too_long",
      "4097 bytes, longer than the limit of 4096",
    ],
    [
      `MSG ${"字".repeat(1366)}`,
      "MSG",
      "message_too_long",
      "4098 bytes",
    ],
    ["PING ", "PING", "invalid_command", "token is empty"],
    ["PING a b", "PING", "invalid_command", "visible ASCII"],
    ["PING 令牌", "PING", "invalid_command", "visible ASCII"],
    ["PING a\tb", "PING", "invalid_command", "visible ASCII"],
    [
      `PING ${"t".repeat(MAX_PING_TOKEN_LENGTH + 1)}`,
      "PING",
      "invalid_command",
      "65 characters, longer than the limit of 64",
    ],
    ["PONG ", "PONG", "invalid_command", "token is empty"],
    ["PONG a ", "PONG", "invalid_command", "visible ASCII"],
  ];
  for (const [line, verb, code, problem] of cases) {
    await t.step(JSON.stringify(line.slice(0, 40)), () => {
      const result = parseCommand(line);
      assert.ok(result.type === "invalid", JSON.stringify(result));
      assert.equal(result.verb, verb);
      assert.equal(result.code, code);
      assert.ok(
        result.reason.startsWith(`Cannot parse ${verb}: `),
        result.reason,
      );
      assert.ok(result.reason.includes(problem), result.reason);
      assert.ok(result.reason.includes("(usage: "), result.reason);
    });
  }
  await t.step("a token of exactly the length limit is fine", () => {
    const token = "t".repeat(MAX_PING_TOKEN_LENGTH);
    assert.deepEqual(parseCommand(`PONG ${token}`), { type: "pong", token });
  });
});

Deno.test("parseChatText() validates a bare line like MSG text", async (t) => {
  const valid = ["hello everyone", "  indented", "大家好 😀", "LOGIN"];
  for (const text of valid) {
    await t.step(JSON.stringify(text), () => {
      assert.deepEqual(parseChatText(text), { type: "msg", text });
      assert.deepEqual(parseChatText(text), parseCommand(`MSG ${text}`));
    });
  }
  const invalid: [string, string][] = [
    ["", "empty_message"],
    ["   ", "empty_message"],
    ["\u3000", "empty_message"],
    ["x".repeat(MAX_MESSAGE_BYTES + 1), "message_too_long"],
    ["a\rb", "invalid_command"],
  ];
  for (const [text, code] of invalid) {
    await t.step(`${JSON.stringify(text.slice(0, 20))} is ${code}`, () => {
      const result = parseChatText(text);
      assert.ok(result.type === "invalid");
      assert.equal(result.verb, "MSG");
      assert.equal(result.code, code);
      assert.deepEqual(result, parseCommand(`MSG ${text}`));
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
    ["RESUME", "RESUME", "missing username"],
    ["RESUME ", "RESUME", "missing username"],
    ["RESUME bob", "RESUME", "missing token"],
    ["RESUME bob ", "RESUME", "missing token"],
    ["RESUME  tok", "RESUME", "username is empty"],
    ["RESUME bob tok extra", "RESUME", "takes only a username and a token"],
    ["RESUME bob tok ", "RESUME", "takes only a username and a token"],
    ["RESUME bob  tok", "RESUME", "takes only a username and a token"],
    ["RESUME bob a\rb", "RESUME", "carriage return or line feed"],
    ["RESUME bob \ud800", "RESUME", "not well-formed Unicode"],
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
      assert.equal(result.code, "invalid_command");
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

Deno.test("parseCommand() never repeats a resume token in a reason", () => {
  const secret = "q8Zt4mXwR2-secret";
  const lines = [
    `RESUME bob ${secret} extra`,
    `RESUME bob ${secret}\r`,
    `RESUME bob ${secret}\ud800`,
    `RESUME bob  ${secret}`,
  ];
  for (const line of lines) {
    const result = parseCommand(line);
    assert.ok(result.type === "invalid", line);
    assert.ok(!result.reason.includes("q8Zt"), result.reason);
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
    "RESUME_TOKEN abc",
    "resume bob tok",
    "RESUMEbob tok",
    "__proto__ x",
    "constructor",
    "msg hi",
    "MSGhi",
    " MSG hi",
    "Ping",
    "PINGPONG",
    "MESSAGE 1 2 bob hi",
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
      { type: "resume", username: "张三", token: "q8Zt4mXwR2" },
      "RESUME 张三 q8Zt4mXwR2",
    ],
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
    [{ type: "msg", text: "你好，大家好" }, "MSG 你好，大家好"],
    [{ type: "msg", text: "  缩进 😀 " }, "MSG   缩进 😀 "],
    [{ type: "ping" }, "PING"],
    [{ type: "ping", token: "1764081035000" }, "PING 1764081035000"],
    [{ type: "pong" }, "PONG"],
    [{ type: "pong", token: "a" }, "PONG a"],
  ];
  for (const [command, line] of cases) {
    await t.step(line, () => {
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
    ["a resume token with a space", {
      type: "resume",
      username: "bob",
      token: "a b",
    }, TypeError],
    ["an empty resume token", {
      type: "resume",
      username: "bob",
      token: "",
    }, TypeError],
    ["a resume username with a space", {
      type: "resume",
      username: "a b",
      token: "tok",
    }, TypeError],
    ["a resume token with \\n", {
      type: "resume",
      username: "bob",
      token: "a\nb",
    }, TypeError],
    ["a resume token with a lone surrogate", {
      type: "resume",
      username: "bob",
      token: "\ud800",
    }, TypeError],
    ["a resume token that is not a string", {
      type: "resume",
      username: "bob",
      token: undefined as unknown as string,
    }, TypeError],
    ["a resume line over the byte limit", {
      type: "resume",
      username: "bob",
      token: "t".repeat(MAX_LINE_BYTES),
    }, RangeError],
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
    ["an empty message", { type: "msg", text: "" }, RangeError],
    ["a blank message", { type: "msg", text: " \t\u3000" }, RangeError],
    ["a message of control characters", {
      type: "msg",
      text: "\u001b\u0007",
    }, RangeError],
    ["a message over the byte limit", {
      type: "msg",
      text: "é".repeat(MAX_MESSAGE_BYTES / 2) + "x",
    }, RangeError],
    ["a message with \n", { type: "msg", text: "a\nb" }, TypeError],
    ["a message with \r", { type: "msg", text: "a\r" }, TypeError],
    ["a message with a lone surrogate", {
      type: "msg",
      text: "a\udc00",
    }, TypeError],
    ["a message that is not a string", {
      type: "msg",
      text: null as unknown as string,
    }, TypeError],
    ["an empty ping token", { type: "ping", token: "" }, TypeError],
    ["a ping token with a space", { type: "ping", token: "a b" }, TypeError],
    ["a non-ASCII pong token", { type: "pong", token: "令牌" }, TypeError],
    ["a ping token over the length limit", {
      type: "ping",
      token: "t".repeat(MAX_PING_TOKEN_LENGTH + 1),
    }, RangeError],
    ["a ping token that is not a string", {
      type: "pong",
      token: 7 as unknown as string,
    }, TypeError],
  ];
  for (const [name, command, errorClass] of cases) {
    await t.step(name, () => {
      assert.throws(() => formatCommand(command), errorClass);
    });
  }
  await t.step("a message of exactly the byte limit is fine", () => {
    const text = "é".repeat(MAX_MESSAGE_BYTES / 2);
    assert.equal(formatCommand({ type: "msg", text }), `MSG ${text}`);
  });
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
    ["RESUME_TOKEN q8Zt4mXwR2", { type: "resume_token", token: "q8Zt4mXwR2" }],
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
    ["ERROR rate_limited Slow down", {
      type: "error",
      code: "rate_limited",
      message: "Slow down",
    }],
    ["LOGOUT_SUCCESS", { type: "logout_success" }],
    ["WELCOME 1 小王", { type: "welcome", onlineCount: 1, username: "小王" }],
    ["WELCOME 0 bob", { type: "welcome", onlineCount: 0, username: "bob" }],
    ["MESSAGE 17 1764081035000 张三 大家好", {
      type: "message",
      id: 17,
      time: 1764081035000,
      sender: "张三",
      text: "大家好",
    }],
    ["MESSAGE 0 0 bob  leading and trailing  ", {
      type: "message",
      id: 0,
      time: 0,
      sender: "bob",
      text: " leading and trailing  ",
    }],
    ["MESSAGE 9007199254740991 1 bob 😀👍🏽", {
      type: "message",
      id: Number.MAX_SAFE_INTEGER,
      time: 1,
      sender: "bob",
      text: "😀👍🏽",
    }],
    ["MESSAGE 1 2 bob  ", {
      type: "message",
      id: 1,
      time: 2,
      sender: "bob",
      text: " ",
    }],
    ["USER_JOINED 1764081035000 小王", {
      type: "user_joined",
      time: 1764081035000,
      username: "小王",
    }],
    ["USER_LEFT 1764081035000 小王", {
      type: "user_left",
      time: 1764081035000,
      username: "小王",
    }],
    ["SYSTEM 1764081035000 服务器将在 5 分钟后重启", {
      type: "system",
      time: 1764081035000,
      text: "服务器将在 5 分钟后重启",
    }],
    ["PING", { type: "ping" }],
    ["PING 8f3a", { type: "ping", token: "8f3a" }],
    ["PONG", { type: "pong" }],
    ["PONG 8f3a", { type: "pong", token: "8f3a" }],
    ["BYE shutdown Server is shutting down", {
      type: "bye",
      code: "shutdown",
      message: "Server is shutting down",
    }],
    ["BYE ping_timeout", { type: "bye", code: "ping_timeout", message: "" }],
    ["BYE session_resumed Your session was resumed from another connection", {
      type: "bye",
      code: "session_resumed",
      message: "Your session was resumed from another connection",
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
    ["RESUME_TOKEN", "missing resume token"],
    ["RESUME_TOKEN ", "missing resume token"],
    ["RESUME_TOKEN a b", "resume token contains a space"],
    ["RESUME_TOKEN a\rb", "carriage return"],
    ["RESUME_TOKEN \ud800", "not well-formed Unicode"],
    ["RESUME bob tok", 'unknown verb "RESUME"'],
    ["resume_token abc", "unknown verb"],
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
    ["AUTH_SUCCESS a\u001bb", "username contains a control character"],
    ["LOGOUT_SUCCESS now", "takes no arguments"],
    ["LOGOUT_SUCCESS ", "takes no arguments"],
    ["WELCOME", "missing online count"],
    ["WELCOME 1", "missing username"],
    ["WELCOME 1 ", "missing username"],
    ["WELCOME x bob", "online count is not a non-negative integer"],
    ["WELCOME 01 bob", "without leading zeros"],
    ["WELCOME -1 bob", "online count is not"],
    ["WELCOME 1 a b", "username contains a space"],
    ["WELCOME 1 a\u0007", "username contains a control character"],
    ["MESSAGE", "missing id"],
    ["MESSAGE 1", "missing time"],
    ["MESSAGE 1 2", "missing sender"],
    ["MESSAGE 1 2 bob", "missing text"],
    ["MESSAGE 1 2 bob ", "missing text"],
    ["MESSAGE x 2 bob hi", "id is not a non-negative integer"],
    ["MESSAGE  1 2 bob hi", "id is not"],
    ["MESSAGE -1 2 bob hi", "id is not"],
    ["MESSAGE +1 2 bob hi", "id is not"],
    ["MESSAGE 01 2 bob hi", "id is not"],
    ["MESSAGE 00 2 bob hi", "id is not"],
    ["MESSAGE 1.0 2 bob hi", "id is not"],
    ["MESSAGE 1e3 2 bob hi", "id is not"],
    ["MESSAGE 9007199254740992 2 bob hi", "id is not"],
    ["MESSAGE 1 x bob hi", "time is not a non-negative integer"],
    ["MESSAGE 1 -2 bob hi", "time is not"],
    ["MESSAGE 1 002 bob hi", "time is not"],
    ["MESSAGE 1 ２ bob hi", "time is not"],
    ["MESSAGE 1 2  hi", "missing sender"],
    ["MESSAGE 1 2 b\u001b[2J hi", "sender contains a control character"],
    ["USER_JOINED", "missing time"],
    ["USER_JOINED 5", "missing username"],
    ["USER_JOINED x bob", "time is not"],
    ["USER_LEFT 05 bob", "time is not"],
    ["USER_LEFT 5 a b", "username contains a space"],
    ["SYSTEM", "missing time"],
    ["SYSTEM 5", "missing text"],
    ["SYSTEM 5 ", "missing text"],
    ["SYSTEM -5 hi", "time is not"],
    ["PING ", "token is empty"],
    ["PONG a b", "visible ASCII"],
    ["PING é", "visible ASCII"],
    [`PING ${"x".repeat(MAX_PING_TOKEN_LENGTH + 1)}`, "65 characters"],
    ["BYE", "missing bye code"],
    ["BYE ", "bye code is not a snake_case word"],
    ["BYE Shutdown now", "bye code is not a snake_case word"],
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
    [
      { type: "resume_token", token: "q8Zt4mXwR2" },
      "RESUME_TOKEN q8Zt4mXwR2",
    ],
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
    [{ type: "logout_success" }, "LOGOUT_SUCCESS"],
    [
      { type: "welcome", onlineCount: 3, username: "小王" },
      "WELCOME 3 小王",
    ],
    [
      {
        type: "message",
        id: 17,
        time: 1764081035000,
        sender: "张三",
        text: "大家好",
      },
      "MESSAGE 17 1764081035000 张三 大家好",
    ],
    [
      { type: "message", id: 0, time: 0, sender: "李四", text: "  😀 hi " },
      "MESSAGE 0 0 李四   😀 hi ",
    ],
    [
      { type: "user_joined", time: 1764081035000, username: "小王" },
      "USER_JOINED 1764081035000 小王",
    ],
    [
      { type: "user_left", time: 1764081035000, username: "小王" },
      "USER_LEFT 1764081035000 小王",
    ],
    [
      { type: "system", time: 5, text: "Server restarts in 5 minutes" },
      "SYSTEM 5 Server restarts in 5 minutes",
    ],
    [{ type: "ping", token: "p1" }, "PING p1"],
    [{ type: "ping" }, "PING"],
    [{ type: "pong", token: "p1" }, "PONG p1"],
    [{ type: "pong" }, "PONG"],
    [
      { type: "bye", code: "idle_timeout", message: "请在 60 秒内登录" },
      "BYE idle_timeout 请在 60 秒内登录",
    ],
    [{ type: "bye", code: "kicked", message: "" }, "BYE kicked"],
    [
      { type: "bye", code: "session_resumed", message: "Resumed elsewhere" },
      "BYE session_resumed Resumed elsewhere",
    ],
  ];
  for (const [reply, line] of cases) {
    await t.step(line, () => {
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
  await t.step("in MESSAGE and SYSTEM text", () => {
    assert.equal(
      formatReply({
        type: "message",
        id: 1,
        time: 2,
        sender: "bob",
        text: "a\nb\u001b[2J\ud800",
      }),
      "MESSAGE 1 2 bob a b [2J\ufffd",
    );
    assert.equal(
      formatReply({ type: "system", time: 2, text: "\r\n" }),
      "SYSTEM 2   ",
    );
    assert.deepEqual(parseReply("MESSAGE 1 2 bob \u009b31m"), {
      type: "message",
      id: 1,
      time: 2,
      sender: "bob",
      text: " 31m",
    });
  });
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
    ["an empty resume token", {
      type: "resume_token",
      token: "",
    }, TypeError],
    ["a resume token with a space", {
      type: "resume_token",
      token: "a b",
    }, TypeError],
    ["a resume token that is not a string", {
      type: "resume_token",
      token: 1 as unknown as string,
    }, TypeError],
    ["a resume token over the line limit", {
      type: "resume_token",
      token: "t".repeat(MAX_LINE_BYTES),
    }, RangeError],
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
    ["a negative online count", {
      type: "welcome",
      onlineCount: -1,
      username: "bob",
    }, RangeError],
    ["an online count that is not a number", {
      type: "welcome",
      onlineCount: "3" as unknown as number,
      username: "bob",
    }, TypeError],
    ["a fractional message id", {
      type: "message",
      id: 1.5,
      time: 0,
      sender: "bob",
      text: "hi",
    }, RangeError],
    ["an unsafe message id", {
      type: "message",
      id: 2 ** 53,
      time: 0,
      sender: "bob",
      text: "hi",
    }, RangeError],
    ["a NaN time", {
      type: "message",
      id: 1,
      time: NaN,
      sender: "bob",
      text: "hi",
    }, RangeError],
    ["a negative time", {
      type: "user_joined",
      time: -1,
      username: "bob",
    }, RangeError],
    ["an infinite time", {
      type: "system",
      time: Infinity,
      text: "hi",
    }, RangeError],
    ["a sender with a space", {
      type: "message",
      id: 1,
      time: 0,
      sender: "a b",
      text: "hi",
    }, TypeError],
    ["a sender with an escape", {
      type: "message",
      id: 1,
      time: 0,
      sender: "a\u001b",
      text: "hi",
    }, TypeError],
    ["an empty message text", {
      type: "message",
      id: 1,
      time: 0,
      sender: "bob",
      text: "",
    }, RangeError],
    ["a message text that is not a string", {
      type: "message",
      id: 1,
      time: 0,
      sender: "bob",
      text: 1 as unknown as string,
    }, TypeError],
    ["an empty system text", { type: "system", time: 0, text: "" }, RangeError],
    ["an empty username", {
      type: "user_left",
      time: 0,
      username: "",
    }, TypeError],
    ["a ping token with a space", {
      type: "ping",
      token: "a b",
    }, TypeError],
    ["a pong token over the length limit", {
      type: "pong",
      token: "x".repeat(MAX_PING_TOKEN_LENGTH + 1),
    }, RangeError],
    ["a bye code that is not snake_case", {
      type: "bye",
      code: "Shutdown",
      message: "x",
    }, TypeError],
    ["a message event over the line limit", {
      type: "message",
      id: 1,
      time: 0,
      sender: "bob",
      text: "x".repeat(MAX_LINE_BYTES),
    }, RangeError],
  ];
  for (const [name, reply, errorClass] of cases) {
    await t.step(name, () => {
      assert.throws(() => formatReply(reply), errorClass);
    });
  }
});

Deno.test("formatReply() relays the longest MSG from the longest name", () => {
  // 32 four-byte code points: the longest username lib/username.ts allows.
  const sender = "𠀀".repeat(32);
  const text = "😀".repeat(MAX_MESSAGE_BYTES / 4);
  const command = parseCommand(`MSG ${text}`);
  assert.ok(command.type === "msg");
  const reply: Reply = {
    type: "message",
    id: Number.MAX_SAFE_INTEGER,
    time: Number.MAX_SAFE_INTEGER,
    sender,
    text: command.text,
  };
  const line = formatReply(reply);
  assert.ok(byteLength(line) <= MAX_LINE_BYTES);
  assert.deepEqual(parseReply(line), reply);
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
    fc.constantFrom(
      " ",
      "  ",
      "3",
      "4",
      "0",
      "01",
      "1025",
      "\r",
      "é",
      "\u3000",
    ),
  );
  const verbLine = fc
    .tuple(
      fc.constantFrom(
        "REGISTER",
        "LOGIN",
        "RESUME",
        "RESET_REQUEST",
        "RESET_CONFIRM",
        "LOGOUT",
        "DELETE_ACCOUNT",
        "PASSWORD",
        "HELLO",
        "MSG",
        "PING",
        "PONG",
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
    "resume",
    "reset_request",
    "reset_confirm",
    "logout",
    "delete_account",
    "change_password",
    "msg",
    "ping",
    "pong",
    "invalid",
    "unknown",
  ]);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ unit: "binary", maxLength: 40 }),
        fc.tuple(
          fc.constantFrom(
            "REGISTER ",
            "LOGIN ",
            "RESUME ",
            "RESUME bob ",
            "PASSWORD ",
            "LOGOUT",
            "MSG ",
            "PING ",
            "PONG",
          ),
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

Deno.test("formatReply() inverts parseReply() for valid event lines", () => {
  // Event lines built from a verb, as many number-like fields as it takes
  // (MESSAGE two, WELCOME, USER_JOINED, USER_LEFT and SYSTEM one) and free
  // fragments; whenever one parses and has no control characters, formatting
  // it gives back the same line. (A coded reply with an empty message drops
  // the trailing space, as ERROR does.)
  const numberFields: Record<string, number> = {
    MESSAGE: 2,
    WELCOME: 1,
    USER_JOINED: 1,
    USER_LEFT: 1,
    SYSTEM: 1,
  };
  const numberLike = fc.constantFrom(
    "0",
    "1",
    "17",
    "1764081035000",
    "9007199254740991",
    "9007199254740992",
    "01",
    "-1",
    "",
  );
  const fragment = fc.oneof(
    textArbitrary(0, 6),
    fc.constantFrom("", " ", "张三", "小王", "p1"),
  );
  const eventLine = fc
    .tuple(
      fc.constantFrom(
        "LOGOUT_SUCCESS",
        "WELCOME",
        "MESSAGE",
        "USER_JOINED",
        "USER_LEFT",
        "SYSTEM",
        "RESUME_TOKEN",
        "PING",
        "PONG",
        "BYE",
      ),
      fc.tuple(numberLike, numberLike),
      fc.array(fragment, { maxLength: 4 }),
    )
    .map(([verb, numbers, fragments]) =>
      [verb, ...numbers.slice(0, numberFields[verb] ?? 0), ...fragments].join(
        " ",
      )
    );
  fc.assert(
    fc.property(eventLine, (line) => {
      const parsed = parseReply(line);
      if (parsed.type === "invalid" || CONTROL.test(line)) return;
      const expected = parsed.type === "bye" && parsed.message === "" &&
          line.endsWith(" ")
        ? line.slice(0, -1)
        : line;
      assert.equal(formatReply(parsed), expected);
    }),
    { seed: SEED, numRuns: 1000 },
  );
});

Deno.test("formatReply() sends any chat text as one printable line", () => {
  fc.assert(
    fc.property(
      fc.string({ unit: "binary", minLength: 1, maxLength: 60 }),
      (text) => {
        const line = formatReply({
          type: "message",
          id: 1,
          time: 2,
          sender: "bob",
          text,
        });
        assert.ok(!CONTROL.test(line));
        assert.ok(line.isWellFormed());
        assert.deepEqual(parseReply(line), {
          type: "message",
          id: 1,
          time: 2,
          sender: "bob",
          text: sanitizeMessage(text),
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
          fc.constantFrom(
            "HELLO ",
            "ERROR ",
            "AUTH_SUCCESS ",
            "AUTH_FAILURE",
            "RESUME_TOKEN ",
            "WELCOME ",
            "MESSAGE ",
            "MESSAGE 1 2 ",
            "USER_JOINED ",
            "SYSTEM 0 ",
            "PING ",
            "BYE ",
          ),
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
