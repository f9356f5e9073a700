/**
 * The import rules of docs/ARCHITECTURE.md, checked on the tree: which
 * folder may import which, who may construct the SQLite store, who may open
 * sockets, and where npm packages may be used. A rule broken by a new import
 * fails here with the file and the specifier.
 */

import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");
const ENTRIES = new Set(["server.ts", "client.ts", "auth_manager.ts"]);

/** One module of ours: its path from the root and its source. */
export interface Module {
  path: string;
  source: string;
}

/** What a folder of lib/ may import (folders of lib/, without `lib/`). */
const ALLOWED: ReadonlyArray<{ folder: string; may: readonly string[] }> = [
  { folder: "protocol", may: ["protocol"] },
  { folder: "shared", may: ["shared"] },
  { folder: "terminal", may: ["terminal", "shared"] },
  { folder: "store", may: ["store", "shared"] },
  { folder: "client", may: ["client", "terminal", "protocol", "shared"] },
  { folder: "server", may: ["server", "store", "protocol", "shared"] },
  // The browser page: its pure parts (web) reuse the terminal client's;
  // its screens (browser) are the only code with the DOM's types.
  { folder: "web", may: ["web", "client", "protocol", "shared"] },
  {
    folder: "browser",
    may: ["browser", "web", "client", "protocol", "shared"],
  },
];

/** Folders whose code runs in the browser. */
const BROWSER_FOLDERS: ReadonlySet<string> = new Set(["web", "browser"]);
/**
 * The DOM's types clash with Deno's in one type-check program, so only
 * lib/browser/ may load them, and `deno task check` checks it on its own.
 */
const DOM_TYPES = /\/\/\/\s*<reference\s+lib="dom"/;

/** What the browser page may not reach, directly or through what it imports. */
const BROWSER_FORBIDDEN: ReadonlyArray<[RegExp, string]> = [
  [/\bDeno\./, "Deno APIs"],
  [/\bfrom\s*["']node:/, "node: modules"],
];

/**
 * Layers inside lib/server/: the chat core and the registry know nothing of
 * sessions, transports or wire encoding; the session knows no transport.
 * Folders of lib/server/ not listed may import any of them.
 */
const SERVER_LAYERS: ReadonlyArray<
  { folder: string; mayNot: readonly string[] }
> = [
  {
    folder: "registry",
    mayNot: ["chat", "session", "adapters", "net", "control", "auth"],
  },
  { folder: "chat", mayNot: ["session", "adapters", "net", "control", "auth"] },
  { folder: "auth", mayNot: ["chat", "session", "adapters", "net", "control"] },
  { folder: "session", mayNot: ["adapters", "net", "control"] },
  { folder: "adapters", mayNot: ["net", "control"] },
  // Shared files' bytes and tickets: below the chat core, which uses them.
  {
    folder: "files",
    mayNot: [
      "chat",
      "session",
      "adapters",
      "net",
      "control",
      "auth",
      "registry",
    ],
  },
];

/** The chat core hands adapters data, never protocol lines. */
const CORE_ENCODING = /\b(formatReply|formatCommand)\b/;

/** Modules that may open sockets (listeners and connections). */
const SOCKET_MODULES = [
  /^lib\/server\/net\//,
  /^lib\/server\/control\/control_channel\.ts$/,
  /^lib\/client\/connection\.ts$/,
  // An upload's own HTTP connection (fetch would send it chunked).
  /^lib\/client\/http_put\.ts$/,
];
const SOCKET_CALL =
  /\bDeno\.(listen|listenTls|connect|connectTls|startTls)\s*\(/;

/** npm packages and who may use them. */
const PACKAGES: Record<string, RegExp> = {
  "@peculiar/x509": /^lib\/server\//,
  "reflect-metadata": /^lib\/server\//,
  "fast-check": /^$/, // tests only (tests/ is not checked by these rules)
  "playwright-core": /^$/,
};

/** The code of a module without comments, so doc examples do not count. */
function stripComments(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** Every specifier the module imports or re-exports, static or dynamic. */
export function importSpecifiers(source: string): string[] {
  const code = stripComments(source);
  const found: string[] = [];
  const patterns = [
    /\bimport\s+(?:type\s+)?[^'"`;]*?\bfrom\s*["']([^"']+)["']/g,
    /\bexport\s+(?:type\s+)?[^'"`;]*?\bfrom\s*["']([^"']+)["']/g,
    /\bimport\s*["']([^"']+)["']/g,
    /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of code.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
}

/** The folder under lib/server/ of a path, or undefined elsewhere. */
function serverFolder(path: string): string | undefined {
  const parts = path.split("/");
  return parts[0] === "lib" && parts[1] === "server" && parts.length > 3
    ? parts[2]
    : undefined;
}

/** The first folder under lib/ of a path, or undefined outside lib/. */
function libFolder(path: string): string | undefined {
  const parts = path.split("/");
  return parts[0] === "lib" && parts.length > 2 ? parts[1] : undefined;
}

/** Every broken rule in `modules`, as "file: what" lines. */
export function violations(modules: readonly Module[]): string[] {
  const problems: string[] = [];
  for (const { path, source } of modules) {
    const inLib = path.startsWith("lib/");
    if (inLib && libFolder(path) === undefined) {
      problems.push(`${path}: lib/ holds folders by role, not loose files`);
    }
    const folder = libFolder(path);
    // The client entry keeps the client's rules: no server, no store.
    const rule = ALLOWED.find((entry) =>
      entry.folder === (path === "client.ts" ? "client" : folder)
    );
    if (inLib && folder !== undefined && rule === undefined) {
      problems.push(`${path}: lib/${folder}/ is not a known folder`);
    }
    for (const specifier of importSpecifiers(source)) {
      if (specifier.startsWith(".")) {
        const target = relative(ROOT, resolve(ROOT, dirname(path), specifier))
          .replaceAll("\\", "/");
        if (inLib && ENTRIES.has(target)) {
          problems.push(`${path}: lib/ imports the entry ${target}`);
          continue;
        }
        if (
          inLib && target.startsWith("lib/store/sqlite/") &&
          !path.startsWith("lib/store/sqlite/")
        ) {
          problems.push(
            `${path}: only the entries construct the SQLite store (${specifier})`,
          );
        }
        const layer = SERVER_LAYERS.find((entry) =>
          entry.folder === serverFolder(path)
        );
        const targetLayer = serverFolder(target);
        if (
          layer !== undefined && targetLayer !== undefined &&
          layer.mayNot.includes(targetLayer)
        ) {
          problems.push(
            `${path}: lib/server/${layer.folder}/ may not import lib/server/${targetLayer}/ (${specifier})`,
          );
        }
        const targetFolder = libFolder(target);
        if (
          rule !== undefined && targetFolder !== undefined &&
          !rule.may.includes(targetFolder)
        ) {
          problems.push(
            `${path}: lib/${rule.folder}/ may not import lib/${targetFolder}/ (${specifier})`,
          );
        }
        continue;
      }
      for (const [name, allowed] of Object.entries(PACKAGES)) {
        const bare = specifier.replace(/^npm:/, "");
        if (
          bare === name || bare.startsWith(`${name}@`) ||
          bare.startsWith(`${name}/`)
        ) {
          if (!allowed.test(path)) {
            problems.push(`${path}: may not use the package ${name}`);
          }
        }
      }
    }
    if (
      serverFolder(path) === "chat" && CORE_ENCODING.test(stripComments(source))
    ) {
      problems.push(
        `${path}: the chat core encodes no protocol lines (adapters do)`,
      );
    }
    if (
      inLib && SOCKET_CALL.test(stripComments(source)) &&
      !SOCKET_MODULES.some((pattern) => pattern.test(path))
    ) {
      problems.push(
        `${path}: opens sockets outside a listener or connection module`,
      );
    }
  }
  for (const { path, source } of modules) {
    if (DOM_TYPES.test(source) && libFolder(path) !== "browser") {
      problems.push(`${path}: only lib/browser/ may load the DOM's types`);
    }
  }
  problems.push(...browserProblems(modules));
  return problems;
}

/** The modules `path` reaches through relative imports, itself included. */
function reachable(
  path: string,
  byPath: ReadonlyMap<string, Module>,
): string[] {
  const seen = new Set<string>([path]);
  const queue = [path];
  while (queue.length > 0) {
    const current = byPath.get(queue.shift()!);
    if (current === undefined) continue;
    for (const specifier of importSpecifiers(current.source)) {
      if (!specifier.startsWith(".")) continue;
      const target = relative(
        ROOT,
        resolve(ROOT, dirname(current.path), specifier),
      ).replaceAll("\\", "/");
      if (!seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return [...seen];
}

/** The page runs in a browser: nothing it bundles may need Deno or node:. */
function browserProblems(modules: readonly Module[]): string[] {
  const byPath = new Map(modules.map((module) => [module.path, module]));
  const problems: string[] = [];
  for (const { path } of modules) {
    if (!BROWSER_FOLDERS.has(libFolder(path) ?? "")) continue;
    for (const target of reachable(path, byPath)) {
      const source = byPath.get(target)?.source;
      if (source === undefined) continue;
      for (const [pattern, what] of BROWSER_FORBIDDEN) {
        if (pattern.test(stripComments(source))) {
          problems.push(
            target === path
              ? `${path}: the browser page may not use ${what}`
              : `${path}: the browser page may not use ${what} (through ${target})`,
          );
        }
      }
    }
  }
  return problems;
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) yield* walk(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}

async function ourModules(): Promise<Module[]> {
  const modules: Module[] = [];
  for await (const file of walk(join(ROOT, "lib"))) {
    modules.push({
      path: relative(ROOT, file).replaceAll("\\", "/"),
      source: await Deno.readTextFile(file),
    });
  }
  for (const entry of ENTRIES) {
    modules.push({
      path: entry,
      source: await Deno.readTextFile(join(ROOT, entry)),
    });
  }
  return modules;
}

Deno.test("architecture: the tree keeps the import rules", async () => {
  const modules = await ourModules();
  assert.ok(modules.length > 30, "lib/ was found");
  assert.deepEqual(violations(modules), []);
});

Deno.test("architecture: deno task check type-checks every folder of lib/, the page's on its own", async () => {
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const check: string = config.tasks.check;
  const [together, alone] = check.split("&& deno check lib/browser/");
  assert.ok(alone !== undefined, check);
  for await (const entry of Deno.readDir(join(ROOT, "lib"))) {
    if (!entry.isDirectory || entry.name === "browser") continue;
    assert.ok(
      together!.includes(`lib/${entry.name}/`),
      `check covers lib/${entry.name}/`,
    );
  }
  assert.ok(!together!.includes("lib/browser"), check);
});

Deno.test("architecture: the entries stay thin", async () => {
  // auth_manager.ts is a name the design card fixes; its code lives in lib/.
  const source = await Deno.readTextFile(join(ROOT, "auth_manager.ts"));
  assert.ok(source.split("\n").length < 40, "auth_manager.ts re-exports only");
});

Deno.test("architecture: each rule catches a deliberately wrong import", () => {
  const cases: Array<[Module, RegExp]> = [
    [
      {
        path: "lib/server/chat/x.ts",
        source:
          'import { encodeEvent } from "../adapters/native/native_encoding.ts";',
      },
      /lib\/server\/chat\/ may not import lib\/server\/adapters\//,
    ],
    [
      {
        path: "lib/server/session/x.ts",
        source: 'import { TlsFront } from "../net/tls_front.ts";',
      },
      /lib\/server\/session\/ may not import lib\/server\/net\//,
    ],
    [
      {
        path: "lib/server/chat/x.ts",
        source:
          'import { formatReply } from "../../protocol/protocol.ts";\nformatReply(r);',
      },
      /the chat core encodes no protocol lines/,
    ],
    [
      {
        path: "lib/protocol/x.ts",
        source: 'import { t } from "../shared/messages.ts";',
      },
      /lib\/protocol\/ may not import lib\/shared\//,
    ],
    [
      {
        path: "lib/server/chat/x.ts",
        source: 'import { View } from "../../client/view.ts";',
      },
      /lib\/server\/ may not import lib\/client\//,
    ],
    [
      {
        path: "lib/client/x.ts",
        source: 'import type { AccountStore } from "../store/store.ts";',
      },
      /lib\/client\/ may not import lib\/store\//,
    ],
    [
      {
        path: "lib/client/x.ts",
        source: 'export { LOBBY } from "../server/chat/hub.ts";',
      },
      /lib\/client\/ may not import lib\/server\//,
    ],
    [
      {
        path: "lib/server/net/x.ts",
        source:
          'import { SqliteStore } from "../../store/sqlite/sqlite_store.ts";',
      },
      /only the entries construct the SQLite store/,
    ],
    [
      {
        path: "lib/server/x.ts",
        source: 'import { main } from "../../server.ts";',
      },
      /lib\/ imports the entry server.ts/,
    ],
    [
      {
        path: "lib/server/chat/x.ts",
        source: "const c = await Deno.connect({ port: 1 });",
      },
      /opens sockets outside/,
    ],
    [
      {
        path: "lib/client/x.ts",
        source: 'import * as x509 from "@peculiar/x509";',
      },
      /may not use the package @peculiar\/x509/,
    ],
    [
      {
        path: "lib/shared/x.ts",
        source: 'const m = await import("../terminal/keys.ts");',
      },
      /lib\/shared\/ may not import lib\/terminal\//,
    ],
    [{ path: "lib/loose.ts", source: "" }, /not loose files/],
    [
      {
        path: "client.ts",
        source: 'import { LOBBY } from "./lib/server/chat/hub.ts";',
      },
      /lib\/client\/ may not import lib\/server\//,
    ],
  ];
  for (const [module, expected] of cases) {
    const found = violations([module]);
    assert.equal(found.length, 1, `${module.source}: ${found.join("; ")}`);
    assert.match(found[0]!, expected);
  }
  // The page may not reach Deno or node: through a client module either.
  const throughClient = violations([
    { path: "lib/web/x.ts", source: 'import { y } from "../client/y.ts";' },
    { path: "lib/client/y.ts", source: "export const y = Deno.args;" },
  ]);
  assert.deepEqual(throughClient, [
    "lib/web/x.ts: the browser page may not use Deno APIs (through lib/client/y.ts)",
  ]);
  const browserCases: Array<[Module, RegExp]> = [
    [
      { path: "lib/web/x.ts", source: '/// <reference lib="dom" />\n' },
      /only lib\/browser\/ may load the DOM's types/,
    ],
    [
      { path: "lib/browser/x.ts", source: "Deno.exit(1);" },
      /the browser page may not use Deno APIs/,
    ],
    [
      { path: "lib/web/x.ts", source: 'import { join } from "node:path";' },
      /the browser page may not use node: modules/,
    ],
    [
      { path: "lib/web/x.ts", source: 'import { z } from "../server/z.ts";' },
      /lib\/web\/ may not import lib\/server\//,
    ],
    [
      {
        path: "lib/web/x.ts",
        source: 'import { chromium } from "playwright-core";',
      },
      /may not use the package playwright-core/,
    ],
  ];
  for (const [module, expected] of browserCases) {
    const found = violations([module]);
    assert.equal(found.length, 1, `${module.source}: ${found.join("; ")}`);
    assert.match(found[0]!, expected);
  }
  // Comments and doc examples are not imports.
  assert.deepEqual(
    violations([{
      path: "lib/protocol/x.ts",
      source:
        '/**\n * ```ts\n * import { t } from "../shared/messages.ts";\n * ```\n */\n',
    }]),
    [],
  );
});
