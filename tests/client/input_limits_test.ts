import assert from "node:assert/strict";
import { inputProblem } from "../../lib/client/input_limits.ts";
import { t } from "../../lib/shared/messages.ts";

Deno.test("inputProblem passes text at the limits", () => {
  assert.equal(
    inputProblem({ type: "msg", text: "a".repeat(4096) }),
    undefined,
  );
  assert.equal(
    inputProblem({ type: "msg", text: "汉".repeat(1365) }),
    undefined,
  );
  assert.equal(
    inputProblem({ type: "privmsg", to: "bob", text: "a".repeat(4096) }),
    undefined,
  );
  assert.equal(
    inputProblem({ type: "status", text: "汉".repeat(100) }),
    undefined,
  );
  assert.equal(inputProblem({ type: "status", text: "" }), undefined);
  assert.equal(
    inputProblem({ type: "kick", user: "bob", reason: "a".repeat(200) }),
    undefined,
  );
  assert.equal(inputProblem({ type: "kick", user: "bob" }), undefined);
  assert.equal(
    inputProblem({
      type: "mute",
      user: "bob",
      minutes: 5,
      reason: "a".repeat(200),
    }),
    undefined,
  );
});

Deno.test("inputProblem refuses a chat paste over 4096 bytes with its length", () => {
  // 1,400 CJK characters are 4,200 bytes.
  assert.deepEqual(inputProblem({ type: "msg", text: "汉".repeat(1400) }), {
    key: "inputMessageTooLong",
    params: { length: 4200, limit: 4096 },
  });
  assert.deepEqual(inputProblem({ type: "msg", text: "a".repeat(5000) }), {
    key: "inputMessageTooLong",
    params: { length: 5000, limit: 4096 },
  });
  assert.deepEqual(
    inputProblem({ type: "privmsg", to: "bob", text: "a".repeat(4097) }),
    { key: "inputMessageTooLong", params: { length: 4097, limit: 4096 } },
  );
});

Deno.test("inputProblem refuses a 101-character status and a 201-byte reason", () => {
  assert.deepEqual(inputProblem({ type: "status", text: "汉".repeat(101) }), {
    key: "inputStatusTooLong",
    params: { length: 101, limit: 100 },
  });
  assert.deepEqual(
    inputProblem({ type: "kick", user: "bob", reason: "a".repeat(201) }),
    { key: "inputReasonTooLong", params: { length: 201, limit: 200 } },
  );
  // 67 CJK characters are 201 bytes.
  assert.deepEqual(
    inputProblem({
      type: "mute",
      user: "bob",
      minutes: 5,
      reason: "汉".repeat(67),
    }),
    { key: "inputReasonTooLong", params: { length: 201, limit: 200 } },
  );
});

Deno.test("inputProblem refuses a password over 1024 bytes", () => {
  const long = "p".repeat(1025);
  for (
    const command of [
      { type: "login", username: "bob", password: long },
      { type: "register", username: "bob", password: long },
      { type: "delete_account", username: "bob", password: long },
      { type: "reset_confirm", token: "abc", newPassword: long },
      { type: "change_password", oldPassword: long, newPassword: "password1" },
      { type: "change_password", oldPassword: "password1", newPassword: long },
    ] as const
  ) {
    assert.deepEqual(inputProblem(command), {
      key: "inputPasswordTooLong",
      params: { length: 1025, limit: 1024 },
    }, command.type);
  }
});

Deno.test("inputProblem turns any other refusal into cannotSend, never throws", () => {
  const problem = inputProblem({ type: "msg", text: "   " });
  assert.equal(problem?.key, "cannotSend");
  const name = inputProblem({ type: "whois", user: "a b" });
  assert.equal(name?.key, "cannotSend");
  const room = inputProblem({ type: "join", room: "a b" });
  assert.equal(room?.key, "cannotSend");
});

Deno.test("the over-long input messages read in zh and en", () => {
  const params = { length: 4200, limit: 4096 };
  assert.equal(
    t("zh", "inputMessageTooLong", params),
    "消息太长: 4200 字节，上限 4096 字节（约 1365 个汉字）；未发送，请分几条发送",
  );
  assert.equal(
    t("en", "inputMessageTooLong", params),
    "Message too long: 4200 bytes, the limit is 4096 bytes; nothing sent, please send it in several parts",
  );
  assert.equal(
    t("zh", "inputStatusTooLong", { length: 101, limit: 100 }),
    "状态太长: 101 个字符，上限 100 个字符；未发送",
  );
  assert.equal(
    t("en", "inputReasonTooLong", { length: 201, limit: 200 }),
    "Reason too long: 201 bytes, the limit is 200 bytes; nothing sent",
  );
});
