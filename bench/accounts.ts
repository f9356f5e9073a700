/**
 * Benchmark accounts: a template database holding `count` accounts named
 * `b00000`, `b00001` …, all with the password {@linkcode BENCH_PASSWORD},
 * built once through the real store and cached under `bench/.cache/`.
 * Each run copies the template to a fresh temp file, so the server under test
 * always starts from the same state without paying for registration.
 *
 * All accounts share one password hash (one salt): the server's work to
 * verify it is the same as for distinct hashes, and the template is built in
 * seconds. The fan-out and idle scenarios use a template hashed with few
 * PBKDF2 iterations ({@linkcode FAST_HASH_ITERATIONS}) so that logging in
 * thousands of clients measures the chat, not the hashing; the logins
 * scenario uses the real 600,000.
 *
 * @module
 */

import { join } from "node:path";
import { PasswordHasher } from "../lib/server/auth/password_hash.ts";
import {
  SCHEMA_VERSION,
  SqliteStore,
} from "../lib/store/sqlite/sqlite_store.ts";
import { normalizeUsername } from "../lib/shared/username.ts";

/** The password of every benchmark account. */
export const BENCH_PASSWORD = "bench-password-1234";

/** PBKDF2 iterations of the fan-out and idle templates (the server is told the same). */
export const FAST_HASH_ITERATIONS = 1_000;

/** The name of benchmark account `index`: `b00000` … `b99999`. */
export function benchUsername(index: number): string {
  return `b${String(index).padStart(5, "0")}`;
}

/** Options for {@linkcode templateDatabase}. */
export interface TemplateOptions {
  /** Folder of cached templates. */
  cacheDir: string;
  /** PBKDF2 iterations of the accounts' hash. */
  iterations: number;
  /** Receives progress lines. @default {() => {}} */
  log?: (line: string) => void;
}

/**
 * Returns the path of a cached template database with at least `count`
 * accounts hashed with `options.iterations`, building it if needed.
 */
export async function templateDatabase(
  count: number,
  options: TemplateOptions,
): Promise<string> {
  await Deno.mkdir(options.cacheDir, { recursive: true });
  // A cached template with more accounts serves a smaller run too.
  const prefix = `accounts-s${SCHEMA_VERSION}-i${options.iterations}-n`;
  for await (const entry of Deno.readDir(options.cacheDir)) {
    const match = entry.isFile && entry.name.startsWith(prefix) &&
      /^(\d+)\.db$/.exec(entry.name.slice(prefix.length));
    if (match && Number(match[1]) >= count) {
      return join(options.cacheDir, entry.name);
    }
  }
  const path = join(options.cacheDir, `${prefix}${count}.db`);
  const building = `${path}.building-${Deno.pid}`;
  options.log?.(
    `building ${count} accounts (PBKDF2 ${options.iterations} iterations) in ${path}`,
  );
  const started = performance.now();
  const hasher = new PasswordHasher({ iterations: options.iterations });
  const passwordHash = await hasher.hash(BENCH_PASSWORD);
  const store = SqliteStore.open(building);
  try {
    const now = Date.now();
    for (let i = 0; i < count; i++) {
      const name = normalizeUsername(benchUsername(i));
      if (!name.ok) throw new TypeError(`Cannot build "${benchUsername(i)}"`);
      await store.createAccount({
        username: name.name,
        usernameKey: name.key,
        passwordHash,
        recoveryCodeHash: null,
        createdAt: now,
      }, {
        at: now,
        event: "register",
        username: name.name,
        address: "bench",
        detail: null,
      });
    }
  } finally {
    // Closing the last connection checkpoints the WAL into the main file.
    store.close();
  }
  await Deno.rename(building, path);
  options.log?.(
    `built ${count} accounts in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`,
  );
  return path;
}

/** Copies a template to `destination` (a fresh file for one server run). */
export async function copyTemplate(
  template: string,
  destination: string,
): Promise<void> {
  await Deno.copyFile(template, destination);
}
