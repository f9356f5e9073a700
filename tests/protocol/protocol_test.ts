import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Command,
  derToPem,
  formatCommand,
  formatReply,
  MAX_HISTORY_COUNT,
  MAX_LINE_BYTES,
  MAX_MESSAGE_BYTES,
  MAX_MUTE_MINUTES,
  MAX_PASSWORD_BYTES,
  MAX_PING_TOKEN_LENGTH,
  MAX_PORT,
  MAX_REASON_BYTES,
  MAX_STATUS_LENGTH,
  parseChatText,
  parseCommand,
  type ParsedCommand,
  parseReply,
  pemToDer,
  PROTOCOL_VERSION,
  type Reply,
  sanitizeMessage,
} from "../../lib/protocol/protocol.ts";

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

// A KICK or MUTE reason: like chat text, but every unit is at most 8 bytes,
// so 25 units stay within MAX_REASON_BYTES.
const reasonArbitrary = textArbitrary(1, 25).map((s) => {
  const text = s.replaceAll(/[\r\n]/g, " ");
  return VISIBLE.test(text) ? text : `${text}因`;
});

// A STATUS text: every unit is at most 2 code points, so 40 units stay within
// MAX_STATUS_LENGTH; "" clears the status.
const statusArbitrary = fc.oneof(
  fc.constant(""),
  textArbitrary(1, 40).map((s) => {
    const text = s.replaceAll(/[\r\n]/g, " ");
    return VISIBLE.test(text) ? text : `${text}忙`;
  }),
);

// Room names as a server sends them: names without "=" (for ROOM_LIST) and,
// as "-" stands for no room in WHOIS_INFO, never exactly "-".
const roomArbitrary = nameArbitrary.map((s) =>
  s === "-" ? "_" : s.replaceAll("=", "_")
);

const pingTokenArbitrary = fc.stringMatching(/^[\x21-\x7e]{1,64}$/);

const countArbitrary = fc.oneof(
  fc.constantFrom(0, 1, 1764081035000, Number.MAX_SAFE_INTEGER),
  fc.nat(),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);

// Bytes as a server's DER certificate would be sent: padded standard base64,
// as btoa() writes it. Lengths 1 to 3 cover every amount of padding.
const derBytesArbitrary = fc.uint8Array({ minLength: 1, maxLength: 200 });
const base64DerArbitrary = derBytesArbitrary.map(toBase64);

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
}

const portArbitrary = fc.oneof(
  fc.constantFrom(1, 5001, MAX_PORT),
  fc.integer({ min: 1, max: MAX_PORT }),
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
  fc.constant({ type: "cert" }),
  fc.record({
    type: fc.constant("change_password"),
    oldPassword: passwordArbitrary,
    newPassword: passwordArbitrary,
  }, { noNullPrototype: true }),
  fc.record({ type: fc.constant("msg"), text: chatTextArbitrary }, {
    noNullPrototype: true,
  }),
  pingArbitrary,
  fc.record({ type: fc.constant("join"), room: tokenArbitrary }, {
    noNullPrototype: true,
  }),
  fc.record({ type: fc.constantFrom("leave", "rooms") }, {
    noNullPrototype: true,
  }),
  fc.record({
    type: fc.constant("privmsg"),
    to: tokenArbitrary,
    text: chatTextArbitrary,
  }, { noNullPrototype: true }),
  fc.record({ type: fc.constant("users"), all: fc.boolean() }, {
    noNullPrototype: true,
  }),
  // HISTORY with neither, or one, of before and after.
  fc.oneof(
    fc.record({
      type: fc.constant("history"),
      count: fc.integer({ min: 1, max: MAX_HISTORY_COUNT }),
    }, { noNullPrototype: true }),
    fc.record({
      type: fc.constant("history"),
      count: fc.integer({ min: 1, max: MAX_HISTORY_COUNT }),
      before: countArbitrary,
    }, { noNullPrototype: true }),
    fc.record({
      type: fc.constant("history"),
      count: fc.integer({ min: 1, max: MAX_HISTORY_COUNT }),
      after: countArbitrary,
    }, { noNullPrototype: true }),
  ),
  fc.record({
    type: fc.constant("kick"),
    user: tokenArbitrary,
    reason: reasonArbitrary,
  }, { requiredKeys: ["type", "user"], noNullPrototype: true }),
  fc.record({
    type: fc.constant("mute"),
    user: tokenArbitrary,
    minutes: fc.integer({ min: 1, max: MAX_MUTE_MINUTES }),
    reason: reasonArbitrary,
  }, { requiredKeys: ["type", "user", "minutes"], noNullPrototype: true }),
  fc.record({
    type: fc.constantFrom("unmute", "whois"),
    user: tokenArbitrary,
  }, { noNullPrototype: true }),
  fc.record({ type: fc.constant("delete_message"), id: countArbitrary }, {
    noNullPrototype: true,
  }),
  fc.record({ type: fc.constant("status"), text: statusArbitrary }, {
    noNullPrototype: true,
  }),
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
    type: fc.constant("cert"),
    port: portArbitrary,
    der: base64DerArbitrary,
  }, { noNullPrototype: true }),
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
    type: fc.constant("presence"),
    time: countArbitrary,
    joined: countArbitrary,
    left: countArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("system"),
    time: countArbitrary,
    text: eventTextArbitrary,
  }, { noNullPrototype: true }),
  pingArbitrary,
  fc.record({
    type: fc.constantFrom("offline_end", "unmuted"),
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("joined"),
    room: roomArbitrary,
    memberCount: countArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("room_list"),
    rooms: fc.array(
      fc.record({ name: roomArbitrary, memberCount: countArbitrary }, {
        noNullPrototype: true,
      }),
      { maxLength: 5 },
    ),
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("user_list"),
    scope: fc.oneof(fc.constant("*"), roomArbitrary),
    users: fc.array(nameArbitrary, { maxLength: 5 }),
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("private"),
    id: countArbitrary,
    time: countArbitrary,
    from: nameArbitrary,
    to: nameArbitrary,
    text: eventTextArbitrary,
  }, { noNullPrototype: true }),
  fc.record({ type: fc.constant("pm_queued"), to: nameArbitrary }, {
    noNullPrototype: true,
  }),
  fc.record({
    type: fc.constant("pm_delivered"),
    to: nameArbitrary,
    count: countArbitrary,
  }, { noNullPrototype: true }),
  fc.record({ type: fc.constant("offline_begin"), count: countArbitrary }, {
    noNullPrototype: true,
  }),
  fc.record({
    type: fc.constant("history_begin"),
    room: roomArbitrary,
    count: countArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("history_message"),
    id: countArbitrary,
    time: countArbitrary,
    sender: nameArbitrary,
    text: eventTextArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("history_end"),
    room: roomArbitrary,
    more: fc.boolean(),
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("message_deleted"),
    id: countArbitrary,
    by: nameArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("muted"),
    until: countArbitrary,
    reason: messageArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("whois_info"),
    user: nameArbitrary,
    registeredAt: countArbitrary,
    online: fc.boolean(),
    lastSeenAt: fc.option(countArbitrary, { nil: null }),
    room: fc.option(roomArbitrary, { nil: null }),
    admin: fc.boolean(),
    status: messageArbitrary,
  }, { noNullPrototype: true }),
  fc.record({
    type: fc.constant("ok"),
    code: snakeCaseArbitrary,
    message: messageArbitrary,
  }, { noNullPrototype: true }),
) as fc.Arbitrary<Reply>;

Deno.test("protocol constants", () => {
  assert.equal(PROTOCOL_VERSION, 1);
  assert.equal(MAX_LINE_BYTES, 8192);
  assert.equal(MAX_PASSWORD_BYTES, 1024);
  assert.equal(MAX_MESSAGE_BYTES, 4096);
  assert.equal(MAX_PING_TOKEN_LENGTH, 64);
  assert.equal(MAX_REASON_BYTES, 200);
  assert.equal(MAX_STATUS_LENGTH, 100);
  assert.equal(MAX_HISTORY_COUNT, 100);
  assert.equal(MAX_MUTE_MINUTES, 10080);
  assert.equal(MAX_PORT, 65535);
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
    ["CERT", { type: "cert" }],
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
    // Invisible only: zero width space, blank Braille, Hangul fillers,
    // a variation selector, a word joiner.
    ["MSG \u200b", "MSG", "empty_message", "invisible"],
    ["MSG \u2800\u2800\u2800", "MSG", "empty_message", "invisible"],
    ["MSG \u3164\uffa0\u115f", "MSG", "empty_message", "invisible"],
    ["MSG \ufe0f\u2060\u200d", "MSG", "empty_message", "invisible"],
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
    ["CERT now", "CERT", "takes no arguments"],
    ["CERT ", "CERT", "takes no arguments"],
    ["CERT 5001", "CERT", "takes no arguments"],
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

Deno.test("parseCommand() parses room, history, moderation and profile verbs", async (t) => {
  const cases: [string, Command][] = [
    ["JOIN 技术", { type: "join", room: "技术" }],
    ["JOIN 大厅", { type: "join", room: "大厅" }],
    ["JOIN dev_ops-2", { type: "join", room: "dev_ops-2" }],
    ["LEAVE", { type: "leave" }],
    ["ROOMS", { type: "rooms" }],
    ["PRIVMSG 张三 在吗？", { type: "privmsg", to: "张三", text: "在吗？" }],
    ["PRIVMSG bob  two  spaces ", {
      type: "privmsg",
      to: "bob",
      text: " two  spaces ",
    }],
    ["PRIVMSG bob PRIVMSG bob hi", {
      type: "privmsg",
      to: "bob",
      text: "PRIVMSG bob hi",
    }],
    ["PRIVMSG bob a\tb", { type: "privmsg", to: "bob", text: "a\tb" }],
    [`PRIVMSG bob ${"字".repeat(1365)}`, {
      type: "privmsg",
      to: "bob",
      text: "字".repeat(1365),
    }],
    ["USERS", { type: "users", all: false }],
    ["USERS all", { type: "users", all: true }],
    ["HISTORY 1", { type: "history", count: 1 }],
    ["HISTORY 100", { type: "history", count: 100 }],
    ["HISTORY 20 before 1200", { type: "history", count: 20, before: 1200 }],
    ["HISTORY 20 after 0", { type: "history", count: 20, after: 0 }],
    ["HISTORY 5 before 9007199254740991", {
      type: "history",
      count: 5,
      before: Number.MAX_SAFE_INTEGER,
    }],
    ["KICK 张三", { type: "kick", user: "张三" }],
    ["KICK 张三 刷屏 请注意", {
      type: "kick",
      user: "张三",
      reason: "刷屏 请注意",
    }],
    ["KICK bob  spaced", { type: "kick", user: "bob", reason: " spaced" }],
    [`KICK bob ${"é".repeat(MAX_REASON_BYTES / 2)}`, {
      type: "kick",
      user: "bob",
      reason: "é".repeat(MAX_REASON_BYTES / 2),
    }],
    ["MUTE 张三 30", { type: "mute", user: "张三", minutes: 30 }],
    ["MUTE 张三 1 刷屏", {
      type: "mute",
      user: "张三",
      minutes: 1,
      reason: "刷屏",
    }],
    ["MUTE bob 10080 one week", {
      type: "mute",
      user: "bob",
      minutes: MAX_MUTE_MINUTES,
      reason: "one week",
    }],
    ["UNMUTE 张三", { type: "unmute", user: "张三" }],
    ["DELETE 0", { type: "delete_message", id: 0 }],
    ["DELETE 1764", { type: "delete_message", id: 1764 }],
    ["STATUS", { type: "status", text: "" }],
    ["STATUS 在忙 😀", { type: "status", text: "在忙 😀" }],
    ["STATUS  away ", { type: "status", text: " away " }],
    [`STATUS ${"😀".repeat(MAX_STATUS_LENGTH)}`, {
      type: "status",
      text: "😀".repeat(MAX_STATUS_LENGTH),
    }],
    ["WHOIS 张三", { type: "whois", user: "张三" }],
  ];
  for (const [line, expected] of cases) {
    await t.step(JSON.stringify(line.slice(0, 40)), () => {
      assert.deepEqual(parseCommand(line), expected);
      assert.equal(formatCommand(expected), line);
    });
  }
});

Deno.test("parseCommand() rejects malformed room, history, moderation and profile verbs", async (t) => {
  const cases: [string, string, string, string][] = [
    ["JOIN", "JOIN", "invalid_command", "missing room"],
    ["JOIN ", "JOIN", "invalid_command", "missing room"],
    ["JOIN  技术", "JOIN", "invalid_command", "room is empty"],
    ["JOIN 技术 ", "JOIN", "invalid_command", "takes only a room name"],
    ["JOIN a b", "JOIN", "invalid_command", "takes only a room name"],
    ["JOIN a\rb", "JOIN", "invalid_command", "carriage return or line feed"],
    ["JOIN \ud800", "JOIN", "invalid_command", "not well-formed Unicode"],
    ["LEAVE ", "LEAVE", "invalid_command", "takes no arguments"],
    ["LEAVE 大厅", "LEAVE", "invalid_command", "takes no arguments"],
    ["ROOMS all", "ROOMS", "invalid_command", "takes no arguments"],
    ["PRIVMSG", "PRIVMSG", "invalid_command", "missing username"],
    ["PRIVMSG ", "PRIVMSG", "invalid_command", "missing username"],
    ["PRIVMSG  hi", "PRIVMSG", "invalid_command", "username is empty"],
    ["PRIVMSG bob", "PRIVMSG", "empty_message", "text is empty"],
    ["PRIVMSG bob ", "PRIVMSG", "empty_message", "text is empty"],
    ["PRIVMSG bob \u3000 \t", "PRIVMSG", "empty_message", "only white space"],
    ["PRIVMSG bob a\nb", "PRIVMSG", "invalid_command", "line feed"],
    [
      `PRIVMSG bob ${"x".repeat(MAX_MESSAGE_BYTES + 1)}`,
      "PRIVMSG",
      "message_too_long",
      "text is 4097 bytes, longer than the limit of 4096",
    ],
    ["USERS ", "USERS", "invalid_command", 'takes "all" or nothing'],
    ["USERS ALL", "USERS", "invalid_command", 'takes "all" or nothing'],
    ["USERS all ", "USERS", "invalid_command", 'takes "all" or nothing'],
    ["USERS 大厅", "USERS", "invalid_command", 'takes "all" or nothing'],
    ["HISTORY", "HISTORY", "invalid_command", "missing count"],
    ["HISTORY ", "HISTORY", "invalid_command", "missing count"],
    [
      "HISTORY 0",
      "HISTORY",
      "invalid_command",
      "count must be a number from 1 to 100",
    ],
    ["HISTORY 101", "HISTORY", "invalid_command", "from 1 to 100"],
    ["HISTORY 020", "HISTORY", "invalid_command", "without leading zeros"],
    ["HISTORY -1", "HISTORY", "invalid_command", "from 1 to 100"],
    ["HISTORY 1e1", "HISTORY", "invalid_command", "from 1 to 100"],
    ["HISTORY x", "HISTORY", "invalid_command", "from 1 to 100"],
    [
      "HISTORY 99999999999999999999",
      "HISTORY",
      "invalid_command",
      "from 1 to 100",
    ],
    ["HISTORY 5 ", "HISTORY", "invalid_command", 'expected "before <id>"'],
    ["HISTORY 5 since 3", "HISTORY", "invalid_command", 'or "after <id>"'],
    ["HISTORY 5 BEFORE 3", "HISTORY", "invalid_command", "expected"],
    ["HISTORY 5 before", "HISTORY", "invalid_command", "missing id"],
    ["HISTORY 5 before ", "HISTORY", "invalid_command", "id is not"],
    ["HISTORY 5 before 03", "HISTORY", "invalid_command", "id is not"],
    ["HISTORY 5 after -3", "HISTORY", "invalid_command", "id is not"],
    ["HISTORY 5 before 3 after 4", "HISTORY", "invalid_command", "id is not"],
    [
      "HISTORY 5 after 9007199254740992",
      "HISTORY",
      "invalid_command",
      "id is not",
    ],
    ["KICK", "KICK", "invalid_command", "missing username"],
    ["KICK  bob", "KICK", "invalid_command", "username is empty"],
    ["KICK bob ", "KICK", "empty_message", "reason is empty"],
    ["KICK bob    ", "KICK", "empty_message", "reason has only white space"],
    [
      `KICK bob ${"x".repeat(MAX_REASON_BYTES + 1)}`,
      "KICK",
      "message_too_long",
      "reason is 201 bytes, longer than the limit of 200",
    ],
    ["MUTE", "MUTE", "invalid_command", "missing username"],
    ["MUTE bob", "MUTE", "invalid_command", "missing minutes"],
    ["MUTE bob ", "MUTE", "invalid_command", "minutes must be a number"],
    ["MUTE bob 0", "MUTE", "invalid_command", "from 1 to 10080"],
    ["MUTE bob 10081", "MUTE", "invalid_command", "from 1 to 10080"],
    ["MUTE bob 05", "MUTE", "invalid_command", "without leading zeros"],
    ["MUTE bob 1.5", "MUTE", "invalid_command", "from 1 to 10080"],
    ["MUTE bob 30 ", "MUTE", "empty_message", "reason is empty"],
    ["MUTE bob 30 \u3000", "MUTE", "empty_message", "only white space"],
    [
      `MUTE bob 30 ${"字".repeat(67)}`,
      "MUTE",
      "message_too_long",
      "reason is 201 bytes",
    ],
    ["UNMUTE", "UNMUTE", "invalid_command", "missing username"],
    ["UNMUTE bob now", "UNMUTE", "invalid_command", "takes only a username"],
    ["UNMUTE bob ", "UNMUTE", "invalid_command", "takes only a username"],
    ["DELETE", "DELETE", "invalid_command", "missing message id"],
    ["DELETE ", "DELETE", "invalid_command", "missing message id"],
    ["DELETE x", "DELETE", "invalid_command", "message id is not"],
    ["DELETE 07", "DELETE", "invalid_command", "without leading zeros"],
    ["DELETE -7", "DELETE", "invalid_command", "message id is not"],
    ["DELETE 7 8", "DELETE", "invalid_command", "takes only a message id"],
    ["DELETE 7 ", "DELETE", "invalid_command", "takes only a message id"],
    ["STATUS ", "STATUS", "empty_message", "status is empty"],
    ["STATUS   ", "STATUS", "empty_message", "only white space"],
    ["STATUS a\rb", "STATUS", "invalid_command", "carriage return"],
    ["STATUS \udc00", "STATUS", "invalid_command", "not well-formed Unicode"],
    [
      `STATUS ${"x".repeat(MAX_STATUS_LENGTH + 1)}`,
      "STATUS",
      "message_too_long",
      "status is 101 characters, longer than the limit of 100",
    ],
    [
      `STATUS ${"😀".repeat(MAX_STATUS_LENGTH + 1)}`,
      "STATUS",
      "message_too_long",
      "101 characters",
    ],
    ["WHOIS", "WHOIS", "invalid_command", "missing username"],
    ["WHOIS  bob", "WHOIS", "invalid_command", "username is empty"],
    ["WHOIS bob x", "WHOIS", "invalid_command", "takes only a username"],
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
    "cert",
    "Cert",
    "CERTS",
    " CERT",
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
    [{ type: "cert" }, "CERT"],
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

Deno.test("formatCommand() rejects unrepresentable room, history, moderation and profile fields", async (t) => {
  const cases: [string, Command, ErrorConstructor][] = [
    ["an empty room", { type: "join", room: "" }, TypeError],
    ["a room with a space", { type: "join", room: "a b" }, TypeError],
    ["a room that is not a string", {
      type: "join",
      room: 1 as unknown as string,
    }, TypeError],
    ["a private message to nobody", {
      type: "privmsg",
      to: "",
      text: "hi",
    }, TypeError],
    ["an empty private message", {
      type: "privmsg",
      to: "bob",
      text: "",
    }, RangeError],
    ["a blank private message", {
      type: "privmsg",
      to: "bob",
      text: "\u3000 ",
    }, RangeError],
    ["a private message over the byte limit", {
      type: "privmsg",
      to: "bob",
      text: "x".repeat(MAX_MESSAGE_BYTES + 1),
    }, RangeError],
    ["a private message with \\n", {
      type: "privmsg",
      to: "bob",
      text: "a\nb",
    }, TypeError],
    ["a private message that is not a string", {
      type: "privmsg",
      to: "bob",
      text: undefined as unknown as string,
    }, TypeError],
    ["a users flag that is not a boolean", {
      type: "users",
      all: "all" as unknown as boolean,
    }, TypeError],
    ["a history count of 0", { type: "history", count: 0 }, RangeError],
    ["a history count over the limit", {
      type: "history",
      count: MAX_HISTORY_COUNT + 1,
    }, RangeError],
    ["a fractional history count", {
      type: "history",
      count: 1.5,
    }, RangeError],
    ["a history count that is not a number", {
      type: "history",
      count: "5" as unknown as number,
    }, TypeError],
    ["both before and after", {
      type: "history",
      count: 5,
      before: 10,
      after: 2,
    }, TypeError],
    ["a negative before id", {
      type: "history",
      count: 5,
      before: -1,
    }, RangeError],
    ["an unsafe after id", {
      type: "history",
      count: 5,
      after: 2 ** 53,
    }, RangeError],
    ["a kick of nobody", { type: "kick", user: "" }, TypeError],
    ["an empty kick reason", {
      type: "kick",
      user: "bob",
      reason: "",
    }, RangeError],
    ["a blank kick reason", {
      type: "kick",
      user: "bob",
      reason: "  ",
    }, RangeError],
    ["a kick reason over the byte limit", {
      type: "kick",
      user: "bob",
      reason: "x".repeat(MAX_REASON_BYTES + 1),
    }, RangeError],
    ["a kick reason with \\r", {
      type: "kick",
      user: "bob",
      reason: "a\rb",
    }, TypeError],
    ["a kick reason that is not a string", {
      type: "kick",
      user: "bob",
      reason: 3 as unknown as string,
    }, TypeError],
    ["a mute of 0 minutes", {
      type: "mute",
      user: "bob",
      minutes: 0,
    }, RangeError],
    ["a mute over the limit", {
      type: "mute",
      user: "bob",
      minutes: MAX_MUTE_MINUTES + 1,
    }, RangeError],
    ["a fractional mute", {
      type: "mute",
      user: "bob",
      minutes: 2.5,
    }, RangeError],
    ["mute minutes that are not a number", {
      type: "mute",
      user: "bob",
      minutes: null as unknown as number,
    }, TypeError],
    ["a mute reason over the byte limit", {
      type: "mute",
      user: "bob",
      minutes: 5,
      reason: "字".repeat(67),
    }, RangeError],
    ["an unmute of a name with a space", {
      type: "unmute",
      user: "a b",
    }, TypeError],
    ["a whois of nobody", { type: "whois", user: "" }, TypeError],
    ["a negative message id", {
      type: "delete_message",
      id: -1,
    }, RangeError],
    ["a message id that is not a number", {
      type: "delete_message",
      id: "7" as unknown as number,
    }, TypeError],
    ["a blank status", { type: "status", text: " " }, RangeError],
    ["a status over the length limit", {
      type: "status",
      text: "😀".repeat(MAX_STATUS_LENGTH + 1),
    }, RangeError],
    ["a status with \\n", { type: "status", text: "a\nb" }, TypeError],
    ["a status that is not a string", {
      type: "status",
      text: undefined as unknown as string,
    }, TypeError],
  ];
  for (const [name, command, errorClass] of cases) {
    await t.step(name, () => {
      assert.throws(() => formatCommand(command), errorClass);
    });
  }
  await t.step("an undefined reason, before or after is left out", () => {
    assert.equal(
      formatCommand({ type: "kick", user: "bob", reason: undefined }),
      "KICK bob",
    );
    assert.equal(
      formatCommand({ type: "history", count: 3, before: undefined, after: 9 }),
      "HISTORY 3 after 9",
    );
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
    ["PRESENCE 1764081035000 42 0", {
      type: "presence",
      time: 1764081035000,
      joined: 42,
      left: 0,
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
    ["CERT 5001 MIIBszCCAVmgAwIBAgIQ", {
      type: "cert",
      port: 5001,
      der: "MIIBszCCAVmgAwIBAgIQ",
    }],
    ["CERT 1 AA==", { type: "cert", port: 1, der: "AA==" }],
    ["CERT 65535 +/8=", { type: "cert", port: 65535, der: "+/8=" }],
    ["ERROR no_tls This server has no TLS listener", {
      type: "error",
      code: "no_tls",
      message: "This server has no TLS listener",
    }],
    ["ERROR tls_required Connect with TLS to port 5001", {
      type: "error",
      code: "tls_required",
      message: "Connect with TLS to port 5001",
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
    ["USER_LEFT 5 a b c", "room contains a space"],
    ["USER_LEFT 5 a ", "missing room"],
    ["PRESENCE", "missing time"],
    ["PRESENCE 5", "missing joined count"],
    ["PRESENCE 5 1", "missing left count"],
    ["PRESENCE 5 1 x", "left count is not"],
    ["PRESENCE 5 01 2", "joined count is not"],
    ["PRESENCE 5 1 2 3", "left count is not"],
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
    ["CERT", "missing TLS port"],
    ["CERT ", "TLS port must be a number from 1 to 65535"],
    ["CERT 5001", "missing certificate"],
    ["CERT 5001 ", "missing certificate"],
    ["CERT 0 AAAA", "TLS port must be a number from 1 to 65535"],
    ["CERT 65536 AAAA", "TLS port must be"],
    ["CERT 05001 AAAA", "TLS port must be"],
    ["CERT -1 AAAA", "TLS port must be"],
    ["CERT +5001 AAAA", "TLS port must be"],
    ["CERT 5001.0 AAAA", "TLS port must be"],
    ["CERT ５００１ AAAA", "TLS port must be"],
    ["CERT  5001 AAAA", "TLS port must be"],
    ["CERT 5001  AAAA", "not standard base64"],
    ["CERT 5001 AAAA ", "not standard base64"],
    ["CERT 5001 AA AA", "not standard base64"],
    ["CERT 5001 AAAA\r", "not standard base64"],
    ["CERT 5001 AA-_", "not standard base64"],
    ["CERT 5001 A===", "not standard base64"],
    ["CERT 5001 =AAA", "not standard base64"],
    ["CERT 5001 AA=A", "not standard base64"],
    ["CERT 5001 AAA", "3 base64 characters, not a multiple of 4"],
    ["CERT 5001 AAAAA=", "not a multiple of 4"],
    ["CERT 5001 AB==", "non-zero padding bits"],
    ["CERT 5001 AAB=", "non-zero padding bits"],
    ["cert 5001 AAAA", "unknown verb"],
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
    [{ type: "cert", port: 5001, der: "MIIB+/8=" }, "CERT 5001 MIIB+/8="],
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
      { type: "presence", time: 1764081035000, joined: 3, left: 7 },
      "PRESENCE 1764081035000 3 7",
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
    ["TLS port 0", { type: "cert", port: 0, der: "AAAA" }, RangeError],
    ["TLS port 65536", { type: "cert", port: 65536, der: "AAAA" }, RangeError],
    ["a fractional TLS port", {
      type: "cert",
      port: 5001.5,
      der: "AAAA",
    }, RangeError],
    ["a TLS port that is not a number", {
      type: "cert",
      port: "5001" as unknown as number,
      der: "AAAA",
    }, TypeError],
    ["an empty certificate", { type: "cert", port: 5001, der: "" }, TypeError],
    ["a certificate that is not a string", {
      type: "cert",
      port: 5001,
      der: undefined as unknown as string,
    }, TypeError],
    ["a certificate with line breaks", {
      type: "cert",
      port: 5001,
      der: "AAAA\nAAAA",
    }, TypeError],
    ["a certificate in PEM", {
      type: "cert",
      port: 5001,
      der: derToPem("AAAA"),
    }, TypeError],
    ["a certificate in base64url", {
      type: "cert",
      port: 5001,
      der: "AA-_",
    }, TypeError],
    [
      "an unpadded certificate",
      { type: "cert", port: 5001, der: "AAA" },
      TypeError,
    ],
    ["a certificate with non-zero padding bits", {
      type: "cert",
      port: 5001,
      der: "AB==",
    }, TypeError],
    ["a certificate over the line limit", {
      type: "cert",
      port: 5001,
      der: "A".repeat(MAX_LINE_BYTES),
    }, RangeError],
  ];
  for (const [name, reply, errorClass] of cases) {
    await t.step(name, () => {
      assert.throws(() => formatReply(reply), errorClass);
    });
  }
});

Deno.test("formatReply() relays the longest MSG from the longest name", () => {
  // 32 four-byte code points: the longest username lib/shared/username.ts allows.
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

Deno.test("parseReply() and formatReply() handle room, history and profile replies", async (t) => {
  const cases: [string, Reply][] = [
    ["JOINED 大厅 1", { type: "joined", room: "大厅", memberCount: 1 }],
    ["JOINED 技术 0", { type: "joined", room: "技术", memberCount: 0 }],
    ["ROOM_LIST", { type: "room_list", rooms: [] }],
    ["ROOM_LIST 大厅=5", {
      type: "room_list",
      rooms: [{ name: "大厅", memberCount: 5 }],
    }],
    ["ROOM_LIST 大厅=5 技术=3 dev-ops_2=0", {
      type: "room_list",
      rooms: [
        { name: "大厅", memberCount: 5 },
        { name: "技术", memberCount: 3 },
        { name: "dev-ops_2", memberCount: 0 },
      ],
    }],
    ["USER_LIST 大厅 张三 李四", {
      type: "user_list",
      scope: "大厅",
      users: ["张三", "李四"],
    }],
    ["USER_LIST * 张三", { type: "user_list", scope: "*", users: ["张三"] }],
    ["USER_LIST 技术", { type: "user_list", scope: "技术", users: [] }],
    ["PRIVATE 42 1764081035000 张三 小王 在吗？", {
      type: "private",
      id: 42,
      time: 1764081035000,
      from: "张三",
      to: "小王",
      text: "在吗？",
    }],
    ["PRIVATE 0 0 bob bob  spaced  ", {
      type: "private",
      id: 0,
      time: 0,
      from: "bob",
      to: "bob",
      text: " spaced  ",
    }],
    ["PM_QUEUED 张三", { type: "pm_queued", to: "张三" }],
    ["PM_DELIVERED 张三 3", { type: "pm_delivered", to: "张三", count: 3 }],
    ["OFFLINE_BEGIN 2", { type: "offline_begin", count: 2 }],
    ["OFFLINE_END", { type: "offline_end" }],
    ["HISTORY_BEGIN 大厅 20", {
      type: "history_begin",
      room: "大厅",
      count: 20,
    }],
    ["HISTORY_BEGIN 技术 0", { type: "history_begin", room: "技术", count: 0 }],
    ["HISTORY_MESSAGE 17 1764081035000 张三 大家好 😀", {
      type: "history_message",
      id: 17,
      time: 1764081035000,
      sender: "张三",
      text: "大家好 😀",
    }],
    ["HISTORY_END 大厅 1", { type: "history_end", room: "大厅", more: true }],
    ["HISTORY_END 大厅 0", { type: "history_end", room: "大厅", more: false }],
    ["MESSAGE_DELETED 17 管理员小李", {
      type: "message_deleted",
      id: 17,
      by: "管理员小李",
    }],
    ["MUTED 1764084635000 刷屏", {
      type: "muted",
      until: 1764084635000,
      reason: "刷屏",
    }],
    ["MUTED 1764084635000", {
      type: "muted",
      until: 1764084635000,
      reason: "",
    }],
    ["MUTED 5  ", { type: "muted", until: 5, reason: " " }],
    ["UNMUTED", { type: "unmuted" }],
    ["WHOIS_INFO 张三 1764000000000 1 - 技术 0 在忙 😀", {
      type: "whois_info",
      user: "张三",
      registeredAt: 1764000000000,
      online: true,
      lastSeenAt: null,
      room: "技术",
      admin: false,
      status: "在忙 😀",
    }],
    ["WHOIS_INFO 李四 1764000000000 0 1764081090000 - 1", {
      type: "whois_info",
      user: "李四",
      registeredAt: 1764000000000,
      online: false,
      lastSeenAt: 1764081090000,
      room: null,
      admin: true,
      status: "",
    }],
    ["WHOIS_INFO bob 0 0 - - 0  away ", {
      type: "whois_info",
      user: "bob",
      registeredAt: 0,
      online: false,
      lastSeenAt: null,
      room: null,
      admin: false,
      status: " away ",
    }],
    ["OK kicked 已将 张三 踢出", {
      type: "ok",
      code: "kicked",
      message: "已将 张三 踢出",
    }],
    ["OK status_set", { type: "ok", code: "status_set", message: "" }],
    ["BYE kicked 刷屏", { type: "bye", code: "kicked", message: "刷屏" }],
    ["ERROR offline_queue_full 张三 的离线消息已满", {
      type: "error",
      code: "offline_queue_full",
      message: "张三 的离线消息已满",
    }],
  ];
  for (const [line, reply] of cases) {
    await t.step(line, () => {
      assert.deepEqual(parseReply(line), reply);
      assert.equal(formatReply(reply), line);
    });
  }
});

Deno.test("parseReply() returns invalid for malformed room, history and profile replies", async (t) => {
  const cases: [string, string][] = [
    ["JOINED", "missing room"],
    ["JOINED 大厅", "missing member count"],
    ["JOINED 大厅 ", "member count is not"],
    ["JOINED  1", "missing room"],
    ["JOINED 大厅 01", "member count is not"],
    ["JOINED 大厅 1 x", "member count is not"],
    ["JOINED a\u001b 1", "room contains a control character"],
    ["ROOM_LIST ", "expected <room>=<count>"],
    ["ROOM_LIST 大厅", "expected <room>=<count>"],
    ["ROOM_LIST 大厅=", "member count is not"],
    ["ROOM_LIST =3", "missing room name"],
    ["ROOM_LIST 大厅=5  技术=3", "expected <room>=<count>"],
    ["ROOM_LIST 大厅=5 ", "expected <room>=<count>"],
    ["ROOM_LIST a=b=3", "member count is not"],
    ["ROOM_LIST 大厅=-1", "member count is not"],
    ["ROOM_LIST a\u0007=1", "room name contains a control character"],
    ["USER_LIST", "missing scope"],
    ["USER_LIST ", "missing scope"],
    ["USER_LIST 大厅 ", "missing username"],
    ["USER_LIST 大厅 张三  李四", "missing username"],
    ["USER_LIST 大厅 a\u009b", "username contains a control character"],
    ["PRIVATE", "missing id"],
    ["PRIVATE 1 2 bob", "missing recipient"],
    ["PRIVATE 1 2 bob alice", "missing text"],
    ["PRIVATE 1 2 bob alice ", "missing text"],
    ["PRIVATE 01 2 bob alice hi", "id is not"],
    ["PRIVATE 1 x bob alice hi", "time is not"],
    ["PRIVATE 1 2  alice hi", "missing sender"],
    ["PRIVATE 1 2 bob  hi", "missing recipient"],
    ["PRIVATE 1 2 b\u001b alice hi", "sender contains a control character"],
    ["PM_QUEUED", "missing recipient"],
    ["PM_QUEUED ", "missing recipient"],
    ["PM_QUEUED a b", "recipient contains a space"],
    ["PM_DELIVERED bob", "missing count"],
    ["PM_DELIVERED bob -1", "count is not"],
    ["PM_DELIVERED 3", "missing count"],
    ["OFFLINE_BEGIN", "missing count"],
    ["OFFLINE_BEGIN ", "count is not"],
    ["OFFLINE_BEGIN 1 2", "count is not"],
    ["OFFLINE_END 0", "takes no arguments"],
    ["OFFLINE_END ", "takes no arguments"],
    ["HISTORY_BEGIN 大厅", "missing count"],
    ["HISTORY_BEGIN 大厅 x", "count is not"],
    ["HISTORY_MESSAGE 1 2 bob", "missing text"],
    ["HISTORY_MESSAGE 1 2 bob ", "missing text"],
    ["HISTORY_MESSAGE 1 002 bob hi", "time is not"],
    ["HISTORY_END", "missing room"],
    ["HISTORY_END 大厅", "missing more flag"],
    ["HISTORY_END 大厅 2", 'more flag must be "0" or "1"'],
    ["HISTORY_END 大厅 01", 'must be "0" or "1"'],
    ["HISTORY_END 大厅 1 ", 'must be "0" or "1"'],
    ["MESSAGE_DELETED", "missing id"],
    ["MESSAGE_DELETED 17", "missing deleter"],
    ["MESSAGE_DELETED 17 ", "missing deleter"],
    ["MESSAGE_DELETED x bob", "id is not"],
    ["MESSAGE_DELETED 17 a b", "deleter contains a space"],
    ["MUTED", "missing until time"],
    ["MUTED x", "until time is not"],
    ["MUTED 5 ", "reason is empty"],
    ["MUTED -5 spam", "until time is not"],
    ["UNMUTED now", "takes no arguments"],
    ["WHOIS_INFO", "missing username"],
    ["WHOIS_INFO bob 0 1 - 大厅", "missing admin flag"],
    ["WHOIS_INFO bob 0 1 - 大厅 0 ", "status is empty"],
    ["WHOIS_INFO bob x 1 - 大厅 0", "registered time is not"],
    ["WHOIS_INFO bob 0 2 - 大厅 0", 'online flag must be "0" or "1"'],
    ["WHOIS_INFO bob 0 1 never 大厅 0", "last seen time is not"],
    ["WHOIS_INFO bob 0 1 - 大厅 yes", 'admin flag must be "0" or "1"'],
    ["WHOIS_INFO bob 0 1 -  0", "missing room"],
    ["WHOIS_INFO a\u0001 0 1 - - 0", "username contains a control character"],
    ["OK", "missing ok code"],
    ["OK ", "ok code is not a snake_case word"],
    ["OK Kicked x", "ok code is not a snake_case word"],
    ["OK kicked ", "message is empty"],
  ];
  for (const [line, problem] of cases) {
    await t.step(JSON.stringify(line), () => {
      const result = parseReply(line);
      assert.ok(result.type === "invalid", JSON.stringify(result));
      const verb = line.split(" ", 1)[0];
      assert.ok(
        result.reason.startsWith(`Cannot parse ${verb}: `),
        result.reason,
      );
      assert.ok(result.reason.includes(problem), result.reason);
    });
  }
});

Deno.test("formatReply() sanitizes room, history and profile texts", () => {
  assert.equal(
    formatReply({
      type: "private",
      id: 1,
      time: 2,
      from: "bob",
      to: "alice",
      text: "hi\r\n\u001b[2J",
    }),
    "PRIVATE 1 2 bob alice hi   [2J",
  );
  assert.equal(
    formatReply({
      type: "history_message",
      id: 1,
      time: 2,
      sender: "bob",
      text: "\ud800\t",
    }),
    "HISTORY_MESSAGE 1 2 bob \ufffd ",
  );
  assert.equal(
    formatReply({ type: "muted", until: 9, reason: "spam\nspam" }),
    "MUTED 9 spam spam",
  );
  assert.equal(
    formatReply({ type: "ok", code: "status_set", message: "\u0007" }),
    "OK status_set  ",
  );
  assert.equal(
    formatReply({
      type: "whois_info",
      user: "bob",
      registeredAt: 1,
      online: true,
      lastSeenAt: null,
      room: "大厅",
      admin: false,
      status: "\u001b[31mred",
    }),
    "WHOIS_INFO bob 1 1 - 大厅 0  [31mred",
  );
  assert.deepEqual(parseReply("PRIVATE 1 2 bob alice a\tb"), {
    type: "private",
    id: 1,
    time: 2,
    from: "bob",
    to: "alice",
    text: "a b",
  });
  assert.deepEqual(parseReply("OK kicked \u009b"), {
    type: "ok",
    code: "kicked",
    message: " ",
  });
});

Deno.test("formatReply() rejects unrepresentable room, history and profile fields", async (t) => {
  const whois: Reply = {
    type: "whois_info",
    user: "bob",
    registeredAt: 0,
    online: true,
    lastSeenAt: null,
    room: "大厅",
    admin: false,
    status: "",
  };
  const cases: [string, Reply, ErrorConstructor][] = [
    ["an empty room", {
      type: "joined",
      room: "",
      memberCount: 1,
    }, TypeError],
    ["a room with a control character", {
      type: "joined",
      room: "a\u001b",
      memberCount: 1,
    }, TypeError],
    ["a negative member count", {
      type: "joined",
      room: "大厅",
      memberCount: -1,
    }, RangeError],
    ["rooms that are not an array", {
      type: "room_list",
      rooms: "大厅=1" as unknown as [],
    }, TypeError],
    ["a room entry that is not an object", {
      type: "room_list",
      rooms: [null as unknown as { name: string; memberCount: number }],
    }, TypeError],
    ["a room name with =", {
      type: "room_list",
      rooms: [{ name: "a=b", memberCount: 1 }],
    }, TypeError],
    ["a room name with a space", {
      type: "room_list",
      rooms: [{ name: "a b", memberCount: 1 }],
    }, TypeError],
    ["a fractional member count", {
      type: "room_list",
      rooms: [{ name: "大厅", memberCount: 0.5 }],
    }, RangeError],
    ["a room list over the line limit", {
      type: "room_list",
      rooms: Array.from({ length: 1000 }, (_, i) => ({
        name: `room${i}`,
        memberCount: i,
      })),
    }, RangeError],
    ["an empty scope", {
      type: "user_list",
      scope: "",
      users: [],
    }, TypeError],
    ["users that are not an array", {
      type: "user_list",
      scope: "*",
      users: undefined as unknown as string[],
    }, TypeError],
    ["an empty username in a list", {
      type: "user_list",
      scope: "*",
      users: ["bob", ""],
    }, TypeError],
    ["a user list over the line limit", {
      type: "user_list",
      scope: "*",
      users: Array.from({ length: 2000 }, (_, i) => `user${i}`),
    }, RangeError],
    ["an empty private text", {
      type: "private",
      id: 1,
      time: 2,
      from: "bob",
      to: "alice",
      text: "",
    }, RangeError],
    ["a private recipient with a space", {
      type: "private",
      id: 1,
      time: 2,
      from: "bob",
      to: "a b",
      text: "hi",
    }, TypeError],
    ["an unsafe private id", {
      type: "private",
      id: 2 ** 53,
      time: 2,
      from: "bob",
      to: "alice",
      text: "hi",
    }, RangeError],
    ["an empty queued recipient", { type: "pm_queued", to: "" }, TypeError],
    ["a delivered count that is not a number", {
      type: "pm_delivered",
      to: "bob",
      count: "2" as unknown as number,
    }, TypeError],
    ["a negative offline count", {
      type: "offline_begin",
      count: -1,
    }, RangeError],
    ["a fractional history count", {
      type: "history_begin",
      room: "大厅",
      count: 1.5,
    }, RangeError],
    ["an empty history text", {
      type: "history_message",
      id: 1,
      time: 2,
      sender: "bob",
      text: "",
    }, RangeError],
    ["a more flag that is not a boolean", {
      type: "history_end",
      room: "大厅",
      more: 1 as unknown as boolean,
    }, TypeError],
    ["a deleter with a space", {
      type: "message_deleted",
      id: 1,
      by: "a b",
    }, TypeError],
    ["an infinite mute", {
      type: "muted",
      until: Infinity,
      reason: "",
    }, RangeError],
    ["a mute reason that is not a string", {
      type: "muted",
      until: 1,
      reason: undefined as unknown as string,
    }, TypeError],
    ["the room -", { ...whois, room: "-" }, TypeError],
    ["an undefined room", {
      ...whois,
      room: undefined as unknown as null,
    }, TypeError],
    ["an online flag that is not a boolean", {
      ...whois,
      online: 1 as unknown as boolean,
    }, TypeError],
    ["an admin flag that is not a boolean", {
      ...whois,
      admin: "0" as unknown as boolean,
    }, TypeError],
    ["a negative last seen time", { ...whois, lastSeenAt: -1 }, RangeError],
    ["a status that is not a string", {
      ...whois,
      status: null as unknown as string,
    }, TypeError],
    ["an ok code that is not snake_case", {
      type: "ok",
      code: "Kicked",
      message: "",
    }, TypeError],
    ["an ok message over the line limit", {
      type: "ok",
      code: "kicked",
      message: "x".repeat(MAX_LINE_BYTES),
    }, RangeError],
  ];
  for (const [name, reply, errorClass] of cases) {
    await t.step(name, () => {
      assert.throws(() => formatReply(reply), errorClass);
    });
  }
});

Deno.test("formatReply() relays the longest PRIVMSG between the longest names", () => {
  // 32 four-byte code points: the longest username lib/shared/username.ts allows.
  const from = "𠀀".repeat(32);
  const to = "𠀁".repeat(32);
  const text = "😀".repeat(MAX_MESSAGE_BYTES / 4);
  const command = parseCommand(`PRIVMSG ${to} ${text}`);
  assert.ok(command.type === "privmsg");
  const reply: Reply = {
    type: "private",
    id: Number.MAX_SAFE_INTEGER,
    time: Number.MAX_SAFE_INTEGER,
    from,
    to: command.to,
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
      "all",
      "before",
      "after",
      "100",
      "101",
      "10080",
      "大厅",
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
        "CERT",
        "JOIN",
        "LEAVE",
        "ROOMS",
        "PRIVMSG",
        "USERS",
        "HISTORY",
        "KICK",
        "MUTE",
        "UNMUTE",
        "DELETE",
        "STATUS",
        "WHOIS",
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

Deno.test("formatCommand() inverts parseCommand() for valid room, history and moderation lines", () => {
  // Lines shaped like each verb's arguments, with near misses in every field;
  // whenever one parses as a command, formatting it gives back the line.
  const word = fc.oneof(
    textArbitrary(0, 4),
    fc.constantFrom("", "张三", "大厅", "all", "-"),
  );
  const number = fc.constantFrom(
    "0",
    "1",
    "7",
    "100",
    "101",
    "10080",
    "10081",
    "01",
    "-1",
    "1.0",
    "9007199254740991",
    "9007199254740992",
    "",
  );
  const keyword = fc.constantFrom("before", "after", "Before", "", "since");
  const rest = fc.array(
    fc.oneof(textArbitrary(0, 6), fc.constantFrom("", " ", "\u3000", "理由")),
    { maxLength: 3 },
  );
  const shapes: [string, fc.Arbitrary<string>[]][] = [
    ["JOIN", [word]],
    ["LEAVE", []],
    ["ROOMS", []],
    ["PRIVMSG", [word]],
    ["USERS", []],
    ["HISTORY", [number]],
    ["HISTORY", [number, keyword, number]],
    ["KICK", [word]],
    ["MUTE", [word, number]],
    ["UNMUTE", [word]],
    ["DELETE", [number]],
    ["STATUS", []],
    ["WHOIS", [word]],
  ];
  const line = fc
    .constantFrom(...shapes)
    .chain(([verb, fields]) =>
      fc.tuple(fc.tuple(...fields), rest).map(([words, tail]) =>
        [verb, ...words, ...tail].join(" ")
      )
    );
  let valid = 0;
  fc.assert(
    fc.property(line, (line) => {
      const parsed: ParsedCommand = parseCommand(line);
      if (parsed.type === "invalid") {
        assert.equal(parsed.verb, line.split(" ", 1)[0]);
        assert.ok(parsed.reason.includes("(usage: "), parsed.reason);
      } else {
        assert.notEqual(parsed.type, "unknown");
        assert.equal(formatCommand(parsed as Command), line);
        valid++;
      }
    }),
    { seed: SEED, numRuns: 2000 },
  );
  // Enough lines were valid for the property to mean something.
  assert.ok(valid > 200, `only ${valid} valid lines`);
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
    "cert",
    "join",
    "leave",
    "rooms",
    "privmsg",
    "users",
    "history",
    "kick",
    "mute",
    "unmute",
    "delete_message",
    "status",
    "whois",
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
            "CERT",
            "JOIN ",
            "LEAVE",
            "PRIVMSG bob ",
            "USERS ",
            "HISTORY 5 ",
            "HISTORY 5 before ",
            "KICK bob ",
            "MUTE bob ",
            "MUTE bob 5 ",
            "UNMUTE ",
            "DELETE ",
            "STATUS ",
            "WHOIS ",
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

Deno.test("formatReply() inverts parseReply() for valid room, history and profile lines", () => {
  // Lines shaped like each verb's fields, with near misses in every field
  // (empty, leading zeros, "-", "=", spaces …) and free fragments; whenever
  // one parses and has no control characters, formatting it gives back the
  // same line. Unlike ERROR and BYE, these have no exception: an empty
  // optional text is sent without its space, and a line with one is invalid.
  const name = fc.oneof(
    textArbitrary(0, 4),
    fc.constantFrom("", "大厅", "张三", "-", "*", "a=b"),
  );
  const number = fc.constantFrom(
    "0",
    "1",
    "17",
    "1764081035000",
    "9007199254740991",
    "9007199254740992",
    "01",
    "-1",
    "-",
    "",
  );
  const flag = fc.constantFrom("0", "1", "2", "01", "", "-");
  const code = fc.oneof(
    snakeCaseArbitrary,
    fc.constantFrom("", "Kicked", "a__b"),
  );
  const pair = fc.oneof(
    fc.tuple(name, number).map(([room, count]) => `${room}=${count}`),
    name,
  );
  const rest = fc.array(
    fc.oneof(textArbitrary(0, 6), fc.constantFrom("", " ", "刷屏")),
    { maxLength: 3 },
  );
  const shapes: [string, fc.Arbitrary<string>[]][] = [
    ["JOINED", [name, number]],
    ["ROOM_LIST", []],
    ["ROOM_LIST", [pair]],
    ["ROOM_LIST", [pair, pair, pair]],
    ["USER_LIST", [name]],
    ["USER_LIST", [name, name, name]],
    ["PRIVATE", [number, number, name, name]],
    ["PM_QUEUED", [name]],
    ["PM_DELIVERED", [name, number]],
    ["OFFLINE_BEGIN", [number]],
    ["OFFLINE_END", []],
    ["HISTORY_BEGIN", [name, number]],
    ["HISTORY_MESSAGE", [number, number, name]],
    ["HISTORY_END", [name, flag]],
    ["MESSAGE_DELETED", [number, name]],
    ["MUTED", [number]],
    ["UNMUTED", []],
    ["WHOIS_INFO", [name, number, flag, number, name, flag]],
    ["OK", [code]],
  ];
  const line = fc
    .constantFrom(...shapes)
    .chain(([verb, fields]) =>
      fc.tuple(fc.tuple(...fields), rest, fc.boolean()).map(
        // Half the lines stop after the fields: the tail is optional.
        ([words, tail, withTail]) =>
          [verb, ...words, ...(withTail ? tail : [])].join(" "),
      )
    );
  let valid = 0;
  fc.assert(
    fc.property(line, (line) => {
      const parsed = parseReply(line);
      if (parsed.type === "invalid" || CONTROL.test(line)) return;
      assert.equal(formatReply(parsed), line);
      valid++;
    }),
    { seed: SEED, numRuns: 2000 },
  );
  // Enough lines were valid for the property to mean something.
  assert.ok(valid > 200, `only ${valid} valid lines`);
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
            "CERT ",
            "CERT 5001 ",
            "JOINED ",
            "ROOM_LIST ",
            "ROOM_LIST a=1 ",
            "USER_LIST ",
            "PRIVATE 1 2 ",
            "PRIVATE 1 2 a b ",
            "PM_DELIVERED ",
            "OFFLINE_BEGIN ",
            "HISTORY_BEGIN ",
            "HISTORY_MESSAGE 1 2 ",
            "HISTORY_END a ",
            "MESSAGE_DELETED ",
            "MUTED ",
            "MUTED 1 ",
            "WHOIS_INFO ",
            "WHOIS_INFO a 1 1 - b ",
            "OK ",
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

Deno.test("formatReply() fits a CERT with a large certificate on one line", () => {
  // "CERT 65535 " leaves 8181 characters, so 8180 of padded base64: a DER
  // certificate of up to 6135 bytes, many times a typical one (an ECDSA
  // P-256 one is about 500).
  const bytes = new Uint8Array(6135).map((_, index) => index);
  const reply: Reply = { type: "cert", port: MAX_PORT, der: toBase64(bytes) };
  const line = formatReply(reply);
  assert.equal(byteLength(line), MAX_LINE_BYTES - 1);
  assert.deepEqual(parseReply(line), reply);
  assert.throws(
    () => formatReply({ ...reply, der: toBase64(new Uint8Array(6136)) }),
    RangeError,
  );
});

Deno.test("formatReply() inverts parseReply() for valid CERT lines", () => {
  // Lines shaped like CERT <tls_port> <base64_der>, with near misses in both
  // fields; whenever one parses, formatting it gives back the same line.
  const port = fc.oneof(
    fc.constantFrom("0", "1", "5001", "65535", "65536", "05001", "-1", "", " "),
    fc.integer({ min: 0, max: 70000 }).map(String),
  );
  const der = fc.oneof(
    { arbitrary: base64DerArbitrary, weight: 3 },
    base64DerArbitrary.map((text) => text.replaceAll("=", "")),
    base64DerArbitrary.map((text) => `${text} `),
    base64DerArbitrary.map((text) => text.replace(/.(=*)$/, "B$1")),
    fc.constantFrom("", "AB==", "A===", "AA=A", "AA-_", "AAAA AAAA", "字"),
  );
  let valid = 0;
  fc.assert(
    fc.property(
      fc.tuple(port, der, fc.boolean()),
      ([portText, derText, withDer]) => {
        const line = withDer
          ? `CERT ${portText} ${derText}`
          : `CERT ${portText}`;
        const parsed = parseReply(line);
        if (parsed.type === "invalid") {
          assert.ok(parsed.reason.startsWith("Cannot parse CERT: "));
          return;
        }
        assert.equal(parsed.type, "cert");
        assert.equal(formatReply(parsed), line);
        valid++;
      },
    ),
    { seed: SEED, numRuns: 1000 },
  );
  // Enough lines were valid for the property to mean something.
  assert.ok(valid > 100, `only ${valid} valid lines`);
});

Deno.test("derToPem() wraps base64 DER in a CERTIFICATE block", async (t) => {
  const cases: [string, string][] = [
    ["AA==", "AA=="],
    ["A".repeat(64), "A".repeat(64)],
    ["A".repeat(68), `${"A".repeat(64)}\n${"A".repeat(4)}`],
    [
      "B".repeat(124) + "AA==",
      `${"B".repeat(64)}\n${"B".repeat(60)}AA==`,
    ],
    ["A".repeat(128), `${"A".repeat(64)}\n${"A".repeat(64)}`],
  ];
  for (const [der, body] of cases) {
    await t.step(`${der.length} characters`, () => {
      assert.equal(
        derToPem(der),
        `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`,
      );
    });
  }
});

Deno.test("derToPem() rejects what is not padded standard base64", async (t) => {
  const cases: [string, unknown][] = [
    ["empty", ""],
    ["not a string", new Uint8Array([1, 2])],
    ["unpadded", "AAA"],
    ["with a line break", "AAAA\nAAAA"],
    ["with a space", "AAAA AAAA"],
    ["base64url", "AA-_"],
    ["non-zero padding bits", "AB=="],
    [
      "already PEM",
      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    ],
  ];
  for (const [name, value] of cases) {
    await t.step(name, () => {
      assert.throws(
        () => derToPem(value as string),
        (error: unknown) =>
          error instanceof TypeError &&
          error.message.startsWith("Cannot make PEM: "),
      );
    });
  }
});

Deno.test("pemToDer() extracts the first CERTIFICATE block", async (t) => {
  const block = (body: string, eol = "\n") =>
    `-----BEGIN CERTIFICATE-----${eol}${body}${eol}-----END CERTIFICATE-----${eol}`;
  const cases: [string, string, string | undefined][] = [
    ["one block", block("MIIB\nszCC"), "MIIBszCC"],
    ["CRLF line endings", block("MIIB\r\nszCC", "\r\n"), "MIIBszCC"],
    ["no final line feed", block("AA==").trimEnd(), "AA=="],
    ["indented and with tabs", block("  MIIB\t\n  szCC  "), "MIIBszCC"],
    [
      "text before and after",
      `subject=CN=localhost\n${block("AAAA")}trailing\n`,
      "AAAA",
    ],
    ["a chain: the first", block("AAAA") + block("BBBB"), "AAAA"],
    [
      "a key before the certificate",
      `-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n${
        block("AAAA")
      }`,
      "AAAA",
    ],
    ["no block", "MIIBszCC", undefined],
    ["empty", "", undefined],
    [
      "only a key",
      "-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n",
      undefined,
    ],
    [
      "a trusted certificate",
      "-----BEGIN TRUSTED CERTIFICATE-----\nAAAA\n-----END TRUSTED CERTIFICATE-----\n",
      undefined,
    ],
    ["no END line", "-----BEGIN CERTIFICATE-----\nAAAA\n", undefined],
    ["an empty body", block(""), undefined],
    ["a body that is not base64", block("AA-_"), undefined],
    ["an unpadded body", block("AAA"), undefined],
    [
      "a body with a header",
      block("Proc-Type: 4,ENCRYPTED\n\nAAAA"),
      undefined,
    ],
    ["not a string", 42 as unknown as string, undefined],
  ];
  for (const [name, pem, expected] of cases) {
    await t.step(name, () => {
      assert.equal(pemToDer(pem), expected);
    });
  }
});

Deno.test("pemToDer() inverts derToPem()", () => {
  fc.assert(
    fc.property(derBytesArbitrary, (bytes) => {
      const der = toBase64(bytes);
      const pem = derToPem(der);
      assert.ok(pem.split("\n").every((line) => line.length <= 64));
      assert.equal(pemToDer(pem), der);
      assert.equal(pemToDer(pem.replaceAll("\n", "\r\n")), der);
      assert.deepEqual(fromBase64(der), bytes);
      // A PEM in canonical form comes back unchanged.
      assert.equal(derToPem(pemToDer(pem) as string), pem);
    }),
    { seed: SEED, numRuns: 300 },
  );
});

Deno.test("a CERT reply carries the certificate to derToPem()", () => {
  fc.assert(
    fc.property(portArbitrary, derBytesArbitrary, (port, bytes) => {
      const pem = derToPem(toBase64(bytes));
      // The server reads its PEM file; the client gets the same bytes back.
      const line = formatReply({ type: "cert", port, der: pemToDer(pem)! });
      const reply = parseReply(line);
      assert.ok(reply.type === "cert");
      assert.equal(reply.port, port);
      assert.equal(derToPem(reply.der), pem);
      assert.deepEqual(fromBase64(reply.der), bytes);
    }),
    { seed: SEED, numRuns: 300 },
  );
});

Deno.test("parseCommand() keeps text that has a visible character among invisible ones", () => {
  for (const text of ["a\u200b", "\u3164你好", "👨‍👩‍👧", "⠁\u2800"]) {
    assert.deepEqual(parseCommand(`MSG ${text}`), { type: "msg", text });
  }
  const status = parseCommand("STATUS \u200b\u2800\u3164");
  assert.equal(status.type === "invalid" && status.code, "empty_message");
});
