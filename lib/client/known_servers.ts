/**
 * Trust on first use for TLS servers, like SSH's `known_hosts`: the client
 * remembers each server's certificate fingerprint and warns when it changes.
 *
 * The file holds one line per server, `host:port FINGERPRINT`, where the
 * fingerprint is the SHA-256 form from `certificateFingerprint()`
 * (`AB:CD:…`, 32 pairs). An IPv6 host is written in brackets:
 * `[::1]:5000 AB:CD:…`. Blank lines and lines starting with `#` are comments.
 * Lines that do not parse are kept as they are and counted, never dropped.
 *
 * @module
 */

import { dirname, posix, win32 } from "node:path";

/** Pattern of a SHA-256 fingerprint as written in the file. */
const FINGERPRINT_PATTERN = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

type Line =
  | { kind: "entry"; key: string; fingerprint: string }
  | { kind: "other"; text: string };

/**
 * The fingerprints this client has trusted, by `host:port`.
 *
 * @example Remember a server and look it up again
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * import { KnownServers } from "./known_servers.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const path = join(dir, "tcpchat", "known_servers");
 * const fingerprint = Array(32).fill("AB").join(":");
 * const known = await KnownServers.load(path);
 * assert.equal(known.lookup("chat.example", 5000), undefined);
 * await known.remember("chat.example", 5000, fingerprint);
 * const again = await KnownServers.load(path);
 * assert.equal(again.lookup("chat.example", 5000), fingerprint);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class KnownServers {
  /** Path of the file this list was loaded from and is saved to. */
  readonly path: string;
  #lines: Line[];

  private constructor(path: string, lines: Line[]) {
    this.path = path;
    this.#lines = lines;
  }

  /**
   * Reads the list at `path`; a missing file is an empty list.
   *
   * @param path File to read, as from {@linkcode knownServersPath}.
   * @throws {Error} If the file exists but cannot be read.
   */
  static async load(path: string): Promise<KnownServers> {
    return new KnownServers(path, await readLines(path));
  }

  /**
   * How many non-comment lines did not parse. They are kept in the file as
   * they are; the client should mention them so the user can fix the file.
   */
  get corruptLines(): number {
    return this.#lines.filter((line) =>
      line.kind === "other" && !isComment(line.text)
    ).length;
  }

  /** How many servers are remembered. */
  get size(): number {
    return new Set(this.#entries().map((entry) => entry.key)).size;
  }

  /**
   * Returns the fingerprint remembered for a server, if any.
   *
   * @param host Host name or IP address as the user typed it; case-insensitive.
   * @param port TCP port.
   */
  lookup(host: string, port: number): string | undefined {
    const key = serverKey(host, port);
    return this.#entries().find((entry) => entry.key === key)?.fingerprint;
  }

  /**
   * Trusts `fingerprint` for a server from now on, replacing what was
   * remembered for it. Re-reads the file first so that lines another client
   * process added meanwhile are kept, then rewrites it (creating the
   * directory if needed) with every other line unchanged.
   *
   * @param host Host name or IP address; case-insensitive.
   * @param port TCP port.
   * @param fingerprint SHA-256 fingerprint, `AB:CD:…` (any case).
   * @throws {TypeError} If `host` or `fingerprint` is malformed.
   * @throws {RangeError} If `port` is not an integer from 0 to 65535.
   */
  async remember(
    host: string,
    port: number,
    fingerprint: string,
  ): Promise<void> {
    const key = serverKey(host, port);
    const normalized = fingerprint.trim().toUpperCase();
    if (!FINGERPRINT_PATTERN.test(normalized)) {
      throw new TypeError(
        `Cannot remember server "${key}": "${fingerprint}" is not a SHA-256 fingerprint`,
      );
    }
    const lines = await readLines(this.path);
    let replaced = false;
    const next: Line[] = [];
    for (const line of lines) {
      if (line.kind === "entry" && line.key === key) {
        // Keep the first line's place and drop duplicates, so that one
        // server never has two fingerprints.
        if (!replaced) {
          next.push({ kind: "entry", key, fingerprint: normalized });
        }
        replaced = true;
      } else {
        next.push(line);
      }
    }
    if (!replaced) next.push({ kind: "entry", key, fingerprint: normalized });
    await writeLines(this.path, next);
    this.#lines = next;
  }

  #entries(): { key: string; fingerprint: string }[] {
    return this.#lines.filter((line) => line.kind === "entry");
  }
}

/**
 * Where the client keeps its known servers file, by platform:
 *
 * - Windows: `%APPDATA%\tcpchat\known_servers`
 * - macOS: `~/Library/Application Support/tcpchat/known_servers`
 * - others: `$XDG_CONFIG_HOME/tcpchat/known_servers`, or
 *   `~/.config/tcpchat/known_servers`
 *
 * @example Linux without XDG_CONFIG_HOME
 * ```ts
 * import assert from "node:assert/strict";
 * import { knownServersPath } from "./known_servers.ts";
 *
 * const env = (name: string) => name === "HOME" ? "/home/ann" : undefined;
 * assert.equal(
 *   knownServersPath(env, "linux"),
 *   "/home/ann/.config/tcpchat/known_servers",
 * );
 * ```
 *
 * @param env Looks up an environment variable, such as `Deno.env.get`.
 * @param os The platform, such as `Deno.build.os`.
 * @returns An absolute path, for that platform's path syntax.
 * @throws {Error} If the variables the platform needs are not set.
 */
export function knownServersPath(
  env: (name: string) => string | undefined,
  os: typeof Deno.build.os,
): string {
  if (os === "windows") {
    const appData = nonEmpty(env("APPDATA"));
    if (appData !== undefined) {
      return win32.join(appData, "tcpchat", "known_servers");
    }
    const profile = nonEmpty(env("USERPROFILE"));
    if (profile !== undefined) {
      return win32.join(
        profile,
        "AppData",
        "Roaming",
        "tcpchat",
        "known_servers",
      );
    }
    throw new Error(
      "Cannot find the known servers file: neither APPDATA nor USERPROFILE is set",
    );
  }
  const xdg = nonEmpty(env("XDG_CONFIG_HOME"));
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and ignored.
  if (os !== "darwin" && xdg !== undefined && posix.isAbsolute(xdg)) {
    return posix.join(xdg, "tcpchat", "known_servers");
  }
  const home = nonEmpty(env("HOME"));
  if (home === undefined) {
    throw new Error("Cannot find the known servers file: HOME is not set");
  }
  return os === "darwin"
    ? posix.join(
      home,
      "Library",
      "Application Support",
      "tcpchat",
      "known_servers",
    )
    : posix.join(home, ".config", "tcpchat", "known_servers");
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function isComment(text: string): boolean {
  const trimmed = text.trim();
  return trimmed === "" || trimmed.startsWith("#");
}

/** `host:port` as written in the file, with IPv6 hosts in brackets. */
function serverKey(host: string, port: number): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith("[") && name.endsWith("]")) name = name.slice(1, -1);
  if (name === "" || /[\s[\]]/.test(name)) {
    throw new TypeError(`Cannot use server host "${host}": not a host name`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot use server port ${port}: not an integer from 0 to 65535`,
    );
  }
  return name.includes(":") ? `[${name}]:${port}` : `${name}:${port}`;
}

function parseLine(text: string): Line {
  const fields = text.trim().split(/\s+/);
  if (fields.length === 2) {
    const [address, fingerprint] = fields as [string, string];
    const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(address);
    if (match !== null && FINGERPRINT_PATTERN.test(fingerprint.toUpperCase())) {
      try {
        const key = serverKey(match[1]!, Number(match[2]));
        return { kind: "entry", key, fingerprint: fingerprint.toUpperCase() };
      } catch {
        // Out-of-range port and the like: keep the line as it was.
      }
    }
  }
  return { kind: "other", text };
}

async function readLines(path: string): Promise<Line[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw new Error(`Cannot read known servers file "${path}"`, {
      cause: error,
    });
  }
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === "") lines.pop();
  return lines.map((line) =>
    isComment(line) ? { kind: "other", text: line } : parseLine(line)
  );
}

async function writeLines(path: string, lines: Line[]): Promise<void> {
  const text = lines
    .map((line) =>
      line.kind === "entry" ? `${line.key} ${line.fingerprint}` : line.text
    )
    .map((line) => line + "\n")
    .join("");
  // Write a sibling file and rename it over the old one, so a crash mid-write
  // never leaves a truncated list (rename replaces atomically on one volume).
  const temp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    await Deno.writeTextFile(temp, text, { createNew: true });
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw new Error(`Cannot save known servers file "${path}"`, {
      cause: error,
    });
  }
}
