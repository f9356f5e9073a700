/**
 * Unit tests of the message catalog: literal sentences of both languages.
 *
 * @module
 */

import assert from "node:assert/strict";
import { resolveLang, t } from "../lib/messages.ts";

Deno.test("t() has the seed's Chinese join and leave notices", () => {
  assert.equal(
    t("zh", "userJoined", { username: "张三" }),
    "张三 加入了聊天室",
  );
  assert.equal(t("zh", "userLeft", { username: "张三" }), "张三 离开了聊天室");
});

Deno.test("t() has English join and leave notices", () => {
  assert.equal(
    t("en", "userJoined", { username: "Bob" }),
    "Bob joined the chat",
  );
  assert.equal(t("en", "userLeft", { username: "Bob" }), "Bob left the chat");
  assert.equal(
    t("en", "presenceJoined", { joined: 42 }),
    "42 people joined the chat",
  );
  assert.equal(t("en", "presenceLeft", { left: 5 }), "5 people left the chat");
  assert.equal(
    t("en", "presenceBoth", { joined: 42, left: 5 }),
    "42 people joined and 5 left the chat",
  );
  assert.equal(
    t("en", "welcome", { username: "Bob", count: 2 }),
    "Welcome Bob! Users online: 2",
  );
});

Deno.test("resolveLang() maps locales and explicit choices", () => {
  assert.equal(resolveLang(undefined, "en_US.UTF-8"), "en");
  assert.equal(resolveLang(undefined, "zh_CN.UTF-8"), "zh");
  assert.equal(resolveLang(undefined, "C"), "zh");
  assert.equal(resolveLang("EN", undefined), "en");
  assert.equal(resolveLang("fr", undefined), undefined);
});
