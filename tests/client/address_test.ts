import assert from "node:assert/strict";
import { parseAddress, parsePort } from "../../lib/client/address.ts";
import { t } from "../../lib/shared/messages.ts";

Deno.test("parseAddress takes a host alone, blank as localhost", () => {
  assert.deepEqual(parseAddress(""), { type: "ok", host: "localhost" });
  assert.deepEqual(parseAddress("   "), { type: "ok", host: "localhost" });
  assert.deepEqual(parseAddress(" 127.0.0.1 "), {
    type: "ok",
    host: "127.0.0.1",
  });
  assert.deepEqual(parseAddress("chat.example.com"), {
    type: "ok",
    host: "chat.example.com",
  });
});

Deno.test("parseAddress takes host:port", () => {
  assert.deepEqual(parseAddress("127.0.0.1:5000"), {
    type: "ok",
    host: "127.0.0.1",
    port: 5000,
  });
  assert.deepEqual(parseAddress("localhost:1"), {
    type: "ok",
    host: "localhost",
    port: 1,
  });
  assert.deepEqual(parseAddress("chat.example.com:65535"), {
    type: "ok",
    host: "chat.example.com",
    port: 65535,
  });
});

Deno.test("parseAddress takes IPv6 bare, in brackets and [v6]:port", () => {
  assert.deepEqual(parseAddress("::1"), { type: "ok", host: "::1" });
  assert.deepEqual(parseAddress("fe80::1:2"), {
    type: "ok",
    host: "fe80::1:2",
  });
  assert.deepEqual(parseAddress("[::1]"), { type: "ok", host: "::1" });
  assert.deepEqual(parseAddress("[::1]:5000"), {
    type: "ok",
    host: "::1",
    port: 5000,
  });
  assert.deepEqual(parseAddress("[2001:db8::7]:443"), {
    type: "ok",
    host: "2001:db8::7",
    port: 443,
  });
});

Deno.test("parseAddress refuses a bad port and a malformed address", () => {
  assert.deepEqual(parseAddress("127.0.0.1:0"), {
    type: "bad_port",
    port: "0",
  });
  assert.deepEqual(parseAddress("127.0.0.1:65536"), {
    type: "bad_port",
    port: "65536",
  });
  assert.deepEqual(parseAddress("127.0.0.1:abc"), {
    type: "bad_port",
    port: "abc",
  });
  assert.deepEqual(parseAddress("127.0.0.1:"), { type: "bad_port", port: "" });
  assert.deepEqual(parseAddress("[::1]:x"), { type: "bad_port", port: "x" });
  assert.deepEqual(parseAddress("[::1]:"), { type: "bad_port", port: "" });
  assert.deepEqual(parseAddress(":5000"), { type: "bad_address" });
  assert.deepEqual(parseAddress("[::1"), { type: "bad_address" });
  assert.deepEqual(parseAddress("[::1]5000"), { type: "bad_address" });
  assert.deepEqual(parseAddress("[]:5000"), { type: "bad_address" });
  assert.deepEqual(parseAddress("a b"), { type: "bad_address" });
  assert.deepEqual(parseAddress("::1]"), { type: "bad_address" });
});

Deno.test("parsePort takes 1 to 65535 in decimal only", () => {
  assert.equal(parsePort("1"), 1);
  assert.equal(parsePort("5000"), 5000);
  assert.equal(parsePort("65535"), 65535);
  assert.equal(parsePort("0"), undefined);
  assert.equal(parsePort("65536"), undefined);
  assert.equal(parsePort("+80"), undefined);
  assert.equal(parsePort("0x50"), undefined);
  assert.equal(parsePort(""), undefined);
});

Deno.test("the invalid address message reads in zh and en", () => {
  assert.equal(
    t("zh", "invalidAddress", { address: "[::1" }),
    "[错误] 地址无效: [::1（应为 主机、主机:端口 或 [IPv6地址]:端口）",
  );
  assert.equal(
    t("en", "invalidAddress", { address: "[::1" }),
    "[Error] Invalid address: [::1 (expected host, host:port or [IPv6]:port)",
  );
});
