import assert from "node:assert/strict";
import {
  formatCommand,
  formatReply,
  parseCommand,
  parseReply,
} from "../../lib/protocol/protocol.ts";
import {
  avatarImageVersion,
  isAvatarEmoji,
  isAvatarMark,
  MAX_AVATAR_QUERY,
} from "../../lib/protocol/avatars.ts";

Deno.test({
  name: "READ takes a target and a message id, nothing else",
  permissions: "none",
  fn() {
    assert.deepEqual(parseCommand("READ 张三 12"), {
      type: "read",
      target: "张三",
      id: 12,
    });
    for (
      const line of [
        "READ",
        "READ #大厅",
        "READ #大厅 012",
        "READ #大厅 -1",
        "READ #大厅 1 2",
        "READ  1",
      ]
    ) {
      assert.equal(parseCommand(line).type, "invalid", line);
    }
  },
});

Deno.test({
  name: "RECEIPTS is on, off or bare",
  permissions: "none",
  fn() {
    assert.deepEqual(parseCommand("RECEIPTS"), { type: "receipts" });
    assert.deepEqual(parseCommand("RECEIPTS on"), {
      type: "receipts",
      on: true,
    });
    assert.equal(formatCommand({ type: "receipts" }), "RECEIPTS");
    assert.equal(parseCommand("RECEIPTS On").type, "invalid");
    assert.equal(parseCommand("RECEIPTS ").type, "invalid");
  },
});

Deno.test({
  name: "UNREAD lists rooms with counts; a bare UNREAD has none",
  permissions: "none",
  fn() {
    assert.deepEqual(parseReply("UNREAD"), { type: "unread", rooms: [] });
    assert.equal(formatReply({ type: "unread", rooms: [] }), "UNREAD");
    assert.equal(parseReply("UNREAD 技术").type, "invalid");
    assert.equal(parseReply("UNREAD 技术=x").type, "invalid");
    assert.equal(parseReply("UNREAD =3").type, "invalid");
    assert.throws(
      () => formatReply({ type: "unread", rooms: [{ name: "a=b", count: 1 }] }),
      TypeError,
    );
  },
});

Deno.test({
  name: "PM_RECEIPT's state is delivered or read",
  permissions: "none",
  fn() {
    assert.deepEqual(parseReply("PM_RECEIPT 张三 5 delivered 7"), {
      type: "pm_receipt",
      user: "张三",
      id: 5,
      state: "delivered",
      time: 7,
    });
    assert.equal(parseReply("PM_RECEIPT 张三 5 seen 7").type, "invalid");
    assert.equal(parseReply("PM_RECEIPT 张三 5 read").type, "invalid");
    assert.throws(() =>
      formatReply({
        type: "pm_receipt",
        user: "张三",
        id: 5,
        state: "seen" as "read",
        time: 7,
      }), TypeError);
  },
});

Deno.test({
  name: "an avatar emoji is one emoji grapheme, nothing else",
  permissions: "none",
  fn() {
    for (const ok of ["🐱", "👩‍💻", "🇨🇳", "1️⃣", "👍🏽", "❤️", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "👨‍👩‍👧‍👦"]) {
      assert.equal(isAvatarEmoji(ok), true, ok);
    }
    for (
      const bad of [
        "",
        "A",
        "#",
        "1",
        "🐱🐶",
        " 🐱",
        "🐱 ",
        "\u202e🐱",
        "🐱\u0000",
        "张",
        "\ud83d",
        "🇨",
        "\u200d",
        "\ufe0f",
      ]
    ) {
      assert.equal(isAvatarEmoji(bad), false, JSON.stringify(bad));
    }
    assert.equal(isAvatarEmoji("👨‍👩‍👧‍👦‍👦‍👦"), false, "over 32 bytes");
    assert.equal(parseCommand("AVATAR A").type, "invalid");
    assert.equal(parseCommand("AVATAR 🐱🐶").type, "invalid");
    assert.deepEqual(parseCommand("AVATAR"), { type: "avatar", emoji: "" });
    assert.equal(formatCommand({ type: "avatar", emoji: "" }), "AVATAR");
    assert.throws(
      () => formatCommand({ type: "avatar", emoji: "x" }),
      TypeError,
    );
  },
});

Deno.test({
  name: "marks are -, an emoji or img:<version>",
  permissions: "none",
  fn() {
    assert.equal(isAvatarMark("img:0"), false);
    assert.equal(isAvatarMark("img:"), false);
    assert.equal(isAvatarMark("--"), false);
    assert.equal(avatarImageVersion("img:42"), 42);
    assert.equal(avatarImageVersion("🐱"), undefined);
    assert.equal(parseReply("AVATAR_LIST 张三=x").type, "invalid");
    assert.equal(parseReply("AVATAR_LIST 张三").type, "invalid");
    assert.deepEqual(parseReply("AVATAR_LIST"), {
      type: "avatar_list",
      avatars: [],
    });
    assert.throws(() =>
      formatReply({
        type: "avatar_list",
        avatars: [{ user: "张三", mark: "<svg>" }],
      }), TypeError);
  },
});

Deno.test({
  name: "AVATARS asks about 1 to 50 names",
  permissions: "none",
  fn() {
    const names = Array.from(
      { length: MAX_AVATAR_QUERY + 1 },
      (_, i) => `u${i}`,
    );
    assert.equal(parseCommand(`AVATARS ${names.join(" ")}`).type, "invalid");
    assert.equal(
      parseCommand(`AVATARS ${names.slice(1).join(" ")}`).type,
      "avatars",
    );
    assert.equal(parseCommand("AVATARS").type, "invalid");
    assert.equal(parseCommand("AVATARS a  b").type, "invalid");
    assert.throws(
      () => formatCommand({ type: "avatars", users: [] }),
      RangeError,
    );
    assert.equal(parseCommand("AVATAR_IMAGE 01").type, "invalid");
  },
});
