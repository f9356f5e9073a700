import assert from "node:assert/strict";
import { checkAuthForm, newPasswordProblem } from "../../lib/web/auth_form.ts";

function fields(
  values: Partial<
    { username: string; password: string; confirm: string; token: string }
  >,
) {
  return { username: "", password: "", confirm: "", token: "", ...values };
}

Deno.test("login: the name is trimmed, the password sent as typed", () => {
  assert.deepEqual(
    checkAuthForm(
      "login",
      fields({ username: "  amy ", password: " pass word " }),
      8,
      "en",
    ),
    { mode: "login", username: "amy", password: " pass word " },
  );
});

Deno.test("login: no length or confirmation check (old accounts log in)", () => {
  assert.deepEqual(
    checkAuthForm("login", fields({ username: "amy", password: "x" }), 8, "en"),
    { mode: "login", username: "amy", password: "x" },
  );
});

Deno.test("login and register: an empty name or password is refused", () => {
  for (const mode of ["login", "register"] as const) {
    assert.equal(
      checkAuthForm(mode, fields({ password: "secret12" }), 8, "en"),
      "Input cannot be empty",
    );
    assert.equal(
      checkAuthForm(
        mode,
        fields({ username: "   ", password: "secret12" }),
        8,
        "en",
      ),
      "Input cannot be empty",
    );
    assert.equal(
      checkAuthForm(mode, fields({ username: "amy" }), 8, "zh"),
      "输入不能为空",
    );
  }
});

Deno.test("register: a good form becomes the request", () => {
  assert.deepEqual(
    checkAuthForm(
      "register",
      fields({ username: " 张三 ", password: "secret12", confirm: "secret12" }),
      8,
      "zh",
    ),
    { mode: "register", username: "张三", password: "secret12" },
  );
});

Deno.test("register: too short, in the server's minimum", () => {
  assert.equal(
    checkAuthForm(
      "register",
      fields({ username: "amy", password: "secret1", confirm: "secret1" }),
      8,
      "en",
    ),
    "Password must be at least 8 characters",
  );
  assert.equal(
    checkAuthForm(
      "register",
      fields({ username: "amy", password: "secret12", confirm: "secret12" }),
      12,
      "zh",
    ),
    "密码长度至少 12 个字符",
  );
});

Deno.test("register: length counts NFKC code points, as the server does", () => {
  // Four Han characters are four, not twelve bytes.
  assert.equal(
    checkAuthForm(
      "register",
      fields({ username: "amy", password: "密码密码", confirm: "密码密码" }),
      5,
      "en",
    ),
    "Password must be at least 5 characters",
  );
  assert.deepEqual(
    checkAuthForm(
      "register",
      fields({ username: "amy", password: "密码密码", confirm: "密码密码" }),
      4,
      "en",
    ),
    { mode: "register", username: "amy", password: "密码密码" },
  );
  // One emoji (two UTF-16 units) is one code point.
  assert.equal(
    checkAuthForm(
      "register",
      fields({ username: "amy", password: "😀😀😀", confirm: "😀😀😀" }),
      4,
      "en",
    ),
    "Password must be at least 4 characters",
  );
  // NFKC makes the ligature "ﬃ" three letters.
  assert.deepEqual(
    checkAuthForm(
      "register",
      fields({ username: "amy", password: "ﬃa", confirm: "ﬃa" }),
      4,
      "en",
    ),
    { mode: "register", username: "amy", password: "ﬃa" },
  );
});

Deno.test("register: the confirmation must match exactly", () => {
  assert.equal(
    checkAuthForm(
      "register",
      fields({ username: "amy", password: "secret12", confirm: "secret13" }),
      8,
      "en",
    ),
    "The passwords do not match",
  );
  assert.equal(
    checkAuthForm(
      "register",
      fields({ username: "amy", password: "secret12", confirm: "secret12 " }),
      8,
      "zh",
    ),
    "两次输入的密码不一致",
  );
});

Deno.test("reset: token and password needed, no username", () => {
  assert.equal(
    checkAuthForm(
      "reset",
      fields({ password: "secret12", confirm: "secret12" }),
      8,
      "en",
    ),
    "Input cannot be empty",
  );
  assert.equal(
    checkAuthForm(
      "reset",
      fields({ token: "  ", password: "secret12", confirm: "secret12" }),
      8,
      "en",
    ),
    "Input cannot be empty",
  );
  assert.equal(
    checkAuthForm("reset", fields({ token: "ABCD-1234" }), 8, "en"),
    "Input cannot be empty",
  );
});

Deno.test("reset: a good form sends the trimmed token", () => {
  assert.deepEqual(
    checkAuthForm(
      "reset",
      fields({
        token: " ABCD-1234 ",
        password: "secret12",
        confirm: "secret12",
      }),
      8,
      "en",
    ),
    { mode: "reset", token: "ABCD-1234", password: "secret12" },
  );
});

Deno.test("reset: length and confirmation are checked as for register", () => {
  assert.equal(
    checkAuthForm(
      "reset",
      fields({ token: "t0k", password: "short", confirm: "short" }),
      8,
      "en",
    ),
    "Password must be at least 8 characters",
  );
  assert.equal(
    checkAuthForm(
      "reset",
      fields({ token: "t0k", password: "secret12", confirm: "Secret12" }),
      8,
      "en",
    ),
    "The passwords do not match",
  );
});

Deno.test("register: too short is told before a mismatch", () => {
  assert.equal(
    checkAuthForm(
      "register",
      fields({ username: "amy", password: "abc", confirm: "abd" }),
      8,
      "en",
    ),
    "Password must be at least 8 characters",
  );
});

Deno.test("newPasswordProblem(): too short (as the server counts), not the same twice, or fine", () => {
  assert.equal(
    newPasswordProblem("short", "short", 8, "en"),
    "Password must be at least 8 characters",
  );
  assert.equal(
    newPasswordProblem("long enough", "long enougH", 8, "en"),
    "The passwords do not match",
  );
  assert.equal(
    newPasswordProblem("long enough", "long enough", 8, "en"),
    undefined,
  );
});
