/**
 * Unit tests of the message catalog: literal sentences of both languages.
 *
 * @module
 */

import assert from "node:assert/strict";
import { resolveLang, t } from "../../lib/shared/messages.ts";
import { describeStoreError } from "../../lib/store/describe_store_error.ts";
import { StoreError } from "../../lib/store/store.ts";

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

Deno.test("describeStoreError() says why the database cannot be used, in either language", () => {
  const path = "/srv/chat.db";
  const locked = new StoreError("locked", path, "Cannot use database");
  assert.equal(
    describeStoreError(locked, "zh"),
    '无法使用数据库 "/srv/chat.db"：它被另一个进程锁定；请停止该进程，或稍后重试',
  );
  assert.equal(
    describeStoreError(locked, "en"),
    'Cannot use database "/srv/chat.db": it is locked by another process; stop that process or wait and retry',
  );
  const notDb = new StoreError("not_a_database", path, "x");
  assert.equal(
    describeStoreError(notDb, "zh"),
    '无法打开数据库 "/srv/chat.db"：该文件不是 SQLite 数据库；请把它移到别处，或用 --db 选择其他文件',
  );
  const denied = new StoreError("cannot_open", path, "x", {
    cause: new Error("Permission denied (os error 13)"),
  });
  assert.equal(
    describeStoreError(denied, "zh"),
    '无法打开数据库 "/srv/chat.db"：Permission denied (os error 13)',
  );
  // A code without a sentence keeps the error's own words.
  const other = new StoreError("cannot_open", path, "Cannot back up");
  assert.equal(describeStoreError(other, "zh"), "Cannot back up");
});

Deno.test("t() agrees a count with its word in English: 1 minute, 15 minutes (was '1 minutes')", () => {
  assert.equal(
    t("en", "throttled", { minutes: 1 }),
    "Too many attempts; try again in 1 minute",
  );
  assert.equal(
    t("en", "throttled", { minutes: 15 }),
    "Too many attempts; try again in 15 minutes",
  );
  assert.equal(
    t("en", "throttledSeconds", { seconds: 1 }),
    "Too many attempts; try again in 1 second",
  );
  assert.equal(
    t("en", "okMuted", { user: "bob", minutes: 1 }),
    "bob is muted for 1 minute",
  );
  assert.equal(
    t("zh", "throttled", { minutes: 1 }),
    "尝试次数过多，请 1 分钟后再试",
  );
  // A missing value stays visible, as for a plain placeholder.
  assert.equal(
    t("en", "throttled", {}),
    "Too many attempts; try again in {minutes:minute|minutes}",
  );
});
