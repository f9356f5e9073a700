import assert from "node:assert/strict";
import {
  avatarColorIndex,
  avatarMark,
  MAX_AVATAR_MARKS,
  nameInitial,
  rememberAvatars,
} from "../../lib/client/avatar_marks.ts";
import { COLOR_PALETTE, PLAIN_PALETTE } from "../../lib/client/colors.ts";

Deno.test("rememberAvatars() keeps each AVATAR_LIST's marks by name key, forgetting one set back to the default", () => {
  let marks = rememberAvatars(new Map(), {
    type: "avatar_list",
    avatars: [
      { user: "张三", mark: "🐱" },
      { user: "Bob", mark: "img:7" },
      { user: "carol", mark: "🐶" },
    ],
  });
  assert.deepEqual([...marks], [["张三", "🐱"], ["bob", "img:7"], [
    "carol",
    "🐶",
  ]]);
  marks = rememberAvatars(marks, {
    type: "avatar_list",
    avatars: [{ user: "BOB", mark: "🦊" }, { user: "carol", mark: "-" }],
  });
  assert.deepEqual([...marks], [["张三", "🐱"], ["bob", "🦊"]]);
});

Deno.test("rememberAvatars() is bounded: the oldest news is forgotten first", () => {
  const avatars = Array.from({ length: MAX_AVATAR_MARKS + 2 }, (_, i) => ({
    user: `u${i}`,
    mark: "🐱",
  }));
  const marks = rememberAvatars(new Map(), { type: "avatar_list", avatars });
  assert.equal(marks.size, MAX_AVATAR_MARKS);
  assert.equal(marks.has("u0"), false);
  assert.equal(marks.has("u1"), false);
  assert.equal(marks.has(`u${MAX_AVATAR_MARKS + 1}`), true);
});

Deno.test("avatarMark() is the emoji when set, else the name's initial (a picture too)", async (t) => {
  const marks = new Map([["张三", "🐱"], ["bob", "img:3"]]);
  const cases: Array<[string, string]> = [
    ["张三", "🐱"],
    ["bob", "B"],
    ["Bob", "B"], // the key, whatever the spelling
    ["李四", "李"],
    ["éva", "É"],
    ["ßtefan", "ß"], // uppercased it would be two letters
    ["小王", "小"],
  ];
  for (const [name, expected] of cases) {
    await t.step(name, () => {
      assert.equal(avatarMark(name, marks, PLAIN_PALETTE), expected);
    });
  }
});

Deno.test("avatarMark() colors the initial by the name with the color palette, the same for every spelling; an emoji is never colored", () => {
  const colors = COLOR_PALETTE.avatarColors!;
  const marks = new Map([["张三", "🐱"]]);
  const bob = avatarMark("bob", marks, COLOR_PALETTE);
  assert.equal(bob, colors[avatarColorIndex("bob", colors.length)]!("B"));
  assert.match(bob, new RegExp("^\x1b\\[\\d+mB\x1b\\[39m$"));
  assert.equal(avatarMark("BOB", marks, COLOR_PALETTE), bob);
  assert.equal(avatarMark("张三", marks, COLOR_PALETTE), "🐱");
  // Names spread over the colors rather than all getting one.
  const used = new Set(
    ["amy", "bob", "carol", "dave", "erin", "张三", "李四", "小王"].map((
      name,
    ) => avatarColorIndex(name, colors.length)),
  );
  assert.ok(used.size >= 4, `${used.size} colors for 8 names`);
});

Deno.test("avatarColorIndex() is a fixed hash (FNV-1a of the key's UTF-8), stable across sessions", () => {
  // FNV-1a 32-bit of "a" is 0xe40c292c.
  assert.equal(avatarColorIndex("a", 2 ** 32 - 1), 0xe40c292c % (2 ** 32 - 1));
  assert.equal(avatarColorIndex("a", 12), 0xe40c292c % 12);
  assert.equal(avatarColorIndex("", 12), 0x811c9dc5 % 12);
});

Deno.test("nameInitial() takes a whole grapheme", () => {
  assert.equal(nameInitial("👩‍💻dev"), "👩‍💻");
  assert.equal(nameInitial("e\u0301va"), "E\u0301");
  assert.equal(nameInitial(""), "");
});
