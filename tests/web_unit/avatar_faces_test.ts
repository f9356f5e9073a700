import assert from "node:assert/strict";
import {
  avatarFace,
  avatarUrl,
  contrastRatio,
  nameColours,
  parseHexColour,
} from "../../lib/web/avatar_faces.ts";

Deno.test("avatarFace() draws the default for '-', no mark, or a bad mark", () => {
  for (const mark of [undefined, "-", "img:0", "img:x", "cat", "🐱🐶"]) {
    const face = avatarFace("amy", mark);
    assert.equal(face.kind, "initial", String(mark));
    if (face.kind === "initial") assert.equal(face.text, "A");
  }
});

Deno.test("avatarFace() shows an emoji mark as that emoji", () => {
  assert.deepEqual(avatarFace("amy", "👩‍💻"), { kind: "emoji", text: "👩‍💻" });
  assert.deepEqual(avatarFace("amy", "🇨🇳"), { kind: "emoji", text: "🇨🇳" });
});

Deno.test("avatarFace() builds a picture's path from the encoded name and version only", () => {
  assert.deepEqual(avatarFace("bob", "img:12"), {
    kind: "image",
    src: "/avatars/bob?v=12",
  });
  assert.equal(
    avatarUrl("a/b?c#d&e", 3),
    "/avatars/a%2Fb%3Fc%23d%26e?v=3",
  );
  assert.equal(avatarUrl("../x", 1), "/avatars/..%2Fx?v=1");
  assert.throws(() => avatarUrl("bob", 0), RangeError);
  assert.throws(() => avatarUrl("bob", 1.5), RangeError);
});

Deno.test("avatarFace() draws the name's first character, Latin letters uppercased", () => {
  const initial = (name: string) => {
    const face = avatarFace(name);
    return face.kind === "initial" ? face.text : face.kind;
  };
  assert.equal(initial("bob"), "B");
  assert.equal(initial("émile"), "É");
  assert.equal(initial("张三"), "张");
  assert.equal(initial("_x"), "_");
  // A character outside the BMP stays whole.
  assert.equal(initial("𠀀abc"), "𠀀");
});

Deno.test("nameColours() is stable, follows the server's name matching, and differs by name", () => {
  assert.deepEqual(nameColours("Bob"), nameColours("bob"));
  assert.deepEqual(nameColours("ＢＯＢ"), nameColours("bob"));
  assert.deepEqual(nameColours("张三"), nameColours("张三"));
  const names = ["amy", "bob", "cat", "dan", "eve", "张三", "李四", "王五"];
  const backgrounds = new Set(
    names.map((name) => nameColours(name).background),
  );
  assert.ok(backgrounds.size >= 6, [...backgrounds].join(" "));
});

Deno.test("nameColours() text reads at 4.5:1 or better on its background, for many names", () => {
  for (let i = 0; i < 500; i++) {
    const { background, color } = nameColours(`user${i}`);
    const ratio = contrastRatio(
      parseHexColour(background),
      parseHexColour(color),
    );
    assert.ok(ratio >= 4.5, `user${i}: ${color} on ${background} is ${ratio}`);
  }
});

Deno.test("contrastRatio() of black and white is 21, of a colour with itself 1", () => {
  assert.equal(Math.round(contrastRatio([0, 0, 0], [255, 255, 255])), 21);
  assert.equal(contrastRatio([10, 200, 30], [10, 200, 30]), 1);
  assert.throws(() => parseHexColour("red"), SyntaxError);
});
