import assert from "node:assert/strict";
import { join } from "node:path";
import {
  KnownServers,
  knownServersPath,
} from "../../lib/client/known_servers.ts";
import { tempDir } from "../_util.ts";

const A = Array(32).fill("AB").join(":");
const B = Array(32).fill("0F").join(":");
const C = Array(32).fill("C3").join(":");

function envOf(
  vars: Record<string, string>,
): (name: string) => string | undefined {
  return (name) => vars[name];
}

Deno.test("KnownServers.load() treats a missing file as empty", async () => {
  await using dir = await tempDir();
  const known = await KnownServers.load(
    join(dir.path, "none", "known_servers"),
  );
  assert.equal(known.size, 0);
  assert.equal(known.corruptLines, 0);
  assert.equal(known.lookup("localhost", 5000), undefined);
});

Deno.test("KnownServers.remember() creates the directory and the file", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "config", "tcpchat", "known_servers");
  const known = await KnownServers.load(path);
  await known.remember("Chat.Example", 5000, A.toLowerCase());
  assert.equal(known.lookup("chat.example", 5000), A);
  assert.equal(known.lookup("CHAT.EXAMPLE", 5000), A);
  assert.equal(known.lookup("chat.example", 5001), undefined);
  assert.equal(await Deno.readTextFile(path), `chat.example:5000 ${A}\n`);
  assert.equal((await KnownServers.load(path)).lookup("chat.example", 5000), A);
});

Deno.test("KnownServers.remember() replaces a server's line in place", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "known_servers");
  await Deno.writeTextFile(
    path,
    `# trusted servers\none:1 ${A}\ntwo:2 ${B}\none:1 ${C}\nthree:3 ${C}\n`,
  );
  const known = await KnownServers.load(path);
  assert.equal(known.size, 3);
  assert.equal(known.lookup("one", 1), A, "the first line wins");
  await known.remember("one", 1, B);
  assert.equal(known.lookup("one", 1), B);
  assert.equal(
    await Deno.readTextFile(path),
    `# trusted servers\none:1 ${B}\ntwo:2 ${B}\nthree:3 ${C}\n`,
  );
});

Deno.test("KnownServers keeps IPv6 hosts apart from their ports", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "known_servers");
  const known = await KnownServers.load(path);
  await known.remember("::1", 5000, A);
  await known.remember("[::1]", 5001, B);
  await known.remember("127.0.0.1", 5000, C);
  const again = await KnownServers.load(path);
  assert.equal(again.lookup("::1", 5000), A);
  assert.equal(again.lookup("[::1]", 5000), A);
  assert.equal(again.lookup("::1", 5001), B);
  assert.equal(again.lookup("127.0.0.1", 5000), C);
  assert.equal(
    await Deno.readTextFile(path),
    `[::1]:5000 ${A}\n[::1]:5001 ${B}\n127.0.0.1:5000 ${C}\n`,
  );
});

Deno.test("KnownServers counts corrupt lines and keeps them when rewriting", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "known_servers");
  const original = [
    "",
    "# comment",
    `good:1 ${A}`,
    "garbage line here",
    `noport ${A}`,
    `badport:70000 ${A}`,
    "short:2 AB:CD",
    `  spaced:3   ${B}  `,
  ].join("\r\n") + "\r\n";
  await Deno.writeTextFile(path, original);
  const known = await KnownServers.load(path);
  assert.equal(known.corruptLines, 4);
  assert.equal(known.lookup("good", 1), A);
  assert.equal(known.lookup("spaced", 3), B);
  assert.equal(known.lookup("badport", 70000 % 65536), undefined);

  await known.remember("new", 4, C);
  assert.equal(known.corruptLines, 4);
  assert.equal(
    await Deno.readTextFile(path),
    [
      "",
      "# comment",
      `good:1 ${A}`,
      "garbage line here",
      `noport ${A}`,
      `badport:70000 ${A}`,
      "short:2 AB:CD",
      `spaced:3 ${B}`,
      `new:4 ${C}`,
    ].join("\n") + "\n",
  );
});

Deno.test("KnownServers.remember() keeps lines another process added meanwhile", async () => {
  await using dir = await tempDir();
  const path = join(dir.path, "known_servers");
  const first = await KnownServers.load(path);
  const second = await KnownServers.load(path);
  await first.remember("a", 1, A);
  await second.remember("b", 2, B);
  assert.equal(await Deno.readTextFile(path), `a:1 ${A}\nb:2 ${B}\n`);
  assert.equal(second.lookup("a", 1), A);
  const names = [];
  for await (const entry of Deno.readDir(dir.path)) names.push(entry.name);
  assert.deepEqual(names, ["known_servers"], "no temp file is left behind");
});

Deno.test("KnownServers.remember() rejects malformed input without writing", async (t) => {
  await using dir = await tempDir();
  const path = join(dir.path, "known_servers");
  const known = await KnownServers.load(path);
  const cases: [string, string, number, string, ErrorConstructor][] = [
    ["a short fingerprint", "host", 1, "AB:CD", TypeError],
    [
      "a fingerprint without colons",
      "host",
      1,
      A.replaceAll(":", ""),
      TypeError,
    ],
    ["an empty host", "", 1, A, TypeError],
    ["a host with a space", "a b", 1, A, TypeError],
    ["a port out of range", "host", 65536, A, RangeError],
    ["a fractional port", "host", 1.5, A, RangeError],
  ];
  for (const [name, host, port, fingerprint, type] of cases) {
    await t.step(name, async () => {
      await assert.rejects(known.remember(host, port, fingerprint), type);
    });
  }
  await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
});

Deno.test("knownServersPath() follows each platform's convention", async (t) => {
  await t.step("windows uses APPDATA", () => {
    assert.equal(
      knownServersPath(
        envOf({
          APPDATA: "C:\\Users\\ann\\AppData\\Roaming",
          HOME: "/ignored",
        }),
        "windows",
      ),
      "C:\\Users\\ann\\AppData\\Roaming\\tcpchat\\known_servers",
    );
  });
  await t.step("windows falls back to USERPROFILE", () => {
    assert.equal(
      knownServersPath(envOf({ USERPROFILE: "C:\\Users\\ann" }), "windows"),
      "C:\\Users\\ann\\AppData\\Roaming\\tcpchat\\known_servers",
    );
  });
  await t.step("darwin uses Application Support, not XDG", () => {
    assert.equal(
      knownServersPath(
        envOf({ HOME: "/Users/ann", XDG_CONFIG_HOME: "/xdg" }),
        "darwin",
      ),
      "/Users/ann/Library/Application Support/tcpchat/known_servers",
    );
  });
  await t.step("linux uses XDG_CONFIG_HOME", () => {
    assert.equal(
      knownServersPath(
        envOf({ HOME: "/home/ann", XDG_CONFIG_HOME: "/cfg" }),
        "linux",
      ),
      "/cfg/tcpchat/known_servers",
    );
  });
  await t.step("linux ignores a relative XDG_CONFIG_HOME", () => {
    assert.equal(
      knownServersPath(
        envOf({ HOME: "/home/ann", XDG_CONFIG_HOME: "cfg" }),
        "linux",
      ),
      "/home/ann/.config/tcpchat/known_servers",
    );
  });
  await t.step("linux falls back to ~/.config", () => {
    assert.equal(
      knownServersPath(envOf({ HOME: "/home/ann" }), "linux"),
      "/home/ann/.config/tcpchat/known_servers",
    );
  });
  await t.step("freebsd is treated like linux", () => {
    assert.equal(
      knownServersPath(envOf({ HOME: "/home/ann" }), "freebsd"),
      "/home/ann/.config/tcpchat/known_servers",
    );
  });
  await t.step("a missing home is an error", () => {
    assert.throws(
      () => knownServersPath(envOf({}), "linux"),
      /HOME is not set/,
    );
    assert.throws(() => knownServersPath(envOf({}), "windows"), /APPDATA/);
  });
});
