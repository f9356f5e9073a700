import assert from "node:assert/strict";
import {
  chooseLang,
  helloNumber,
  isFinalBye,
  LANG_KEY,
  SESSION_KEY,
} from "../../lib/web/page_rules.ts";

Deno.test("chooseLang: a language chosen before wins over the browser's", () => {
  assert.equal(chooseLang("zh", ["en-GB"]), "zh");
  assert.equal(chooseLang("en", ["zh-CN"]), "en");
});

Deno.test("chooseLang: an unknown stored value is ignored", () => {
  assert.equal(chooseLang("fr", ["en-US"]), "en");
  assert.equal(chooseLang("", ["en-US"]), "en");
  assert.equal(chooseLang("EN", ["zh-TW"]), "zh");
});

Deno.test("chooseLang: the first Chinese or English browser language", () => {
  assert.equal(chooseLang(null, ["en-US", "zh-CN"]), "en");
  assert.equal(chooseLang(null, ["de-DE", "zh-Hant-TW", "en"]), "zh");
  assert.equal(chooseLang(null, ["fr", "EN-gb"]), "en");
  assert.equal(chooseLang(null, ["zh"]), "zh");
});

Deno.test("chooseLang: Chinese when no browser language fits", () => {
  assert.equal(chooseLang(null, ["de-DE", "fr"]), "zh");
  assert.equal(chooseLang(null, []), "zh");
});

Deno.test("helloNumber reads a numeric field of the greeting", () => {
  const line = "HELLO tcpchat/1 0.1.0 min_password=8 max_rooms=120";
  assert.equal(helloNumber(line, "min_password"), 8);
  assert.equal(helloNumber(line, "max_rooms"), 120);
});

Deno.test("helloNumber: a missing or malformed field is undefined", () => {
  assert.equal(helloNumber("HELLO tcpchat/1 0.1.0", "min_password"), undefined);
  assert.equal(
    helloNumber("HELLO tcpchat/1 0.1.0 min_password=", "min_password"),
    undefined,
  );
  assert.equal(
    helloNumber("HELLO tcpchat/1 0.1.0 min_password=eight", "min_password"),
    undefined,
  );
  assert.equal(
    helloNumber("HELLO tcpchat/1 0.1.0 min_password=-1", "min_password"),
    undefined,
  );
  assert.equal(
    helloNumber("HELLO tcpchat/1 0.1.0 min_password=123456", "min_password"),
    undefined,
  );
  assert.equal(
    helloNumber("HELLO tcpchat/1 0.1.0 min_password", "min_password"),
    undefined,
  );
});

Deno.test("helloNumber looks only past the version fields", () => {
  // The server version is the third word, never a field.
  assert.equal(
    helloNumber("HELLO tcpchat/1 min_password=9", "min_password"),
    undefined,
  );
  assert.equal(
    helloNumber("HELLO tcpchat/1 0.1.0 other=3", "min_password"),
    undefined,
  );
});

Deno.test("isFinalBye: someone ended the session, or another connection took it", () => {
  for (
    const code of [
      "kicked",
      "password_reset",
      "account_deleted",
      "session_resumed",
    ]
  ) {
    assert.equal(isFinalBye(code), true, code);
  }
});

Deno.test("isFinalBye: after the others the page reconnects", () => {
  for (
    const code of [
      "shutdown",
      "idle_timeout",
      "ping_timeout",
      "send_queue_full",
      "server_full",
      "too_many_connections",
      "line_too_long",
      "protocol_errors",
      "something_new",
      "",
    ]
  ) {
    assert.equal(isFinalBye(code), false, code);
  }
});

Deno.test("storage keys", () => {
  assert.equal(LANG_KEY, "tcpchat.lang");
  assert.equal(SESSION_KEY, "tcpchat.session");
});

Deno.test("helloNumber takes longer numbers when asked (max_file's bytes)", () => {
  const line = "HELLO tcpchat/1 0.1.0 min_password=8 max_file=104857600";
  assert.equal(helloNumber(line, "max_file"), undefined);
  assert.equal(helloNumber(line, "max_file", 16), 104857600);
});
