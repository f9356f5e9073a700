/**
 * Reading the original Python program's `credentials.json` into a plan of
 * accounts to import. Pure: inserting the accounts is done elsewhere.
 *
 * @module
 */

import {
  describeUsernameRejection,
  MAX_USERNAME_LENGTH,
  normalizeUsername,
} from "../../shared/username.ts";

/** One account to import. */
export interface LegacyAccount {
  /** The name in NFC form, as it will be displayed. */
  username: string;
  /** The name's uniqueness key, from `usernameKey` in `lib/username.ts`. */
  key: string;
  /** The unsalted SHA-256 digest of the password, 64 lowercase hex digits. */
  sha256Hex: string;
}

/** An entry of the file that will not be imported. */
export interface LegacySkippedEntry {
  /** The name exactly as it appears in the file. */
  username: string;
  /** Why, as an English sentence fragment for the operator. */
  reason: string;
}

/** The result of {@linkcode parseLegacyCredentials}. */
export interface LegacyImportPlan {
  /** Accounts to import, in file order. */
  accounts: LegacyAccount[];
  /** Entries left out, in file order. */
  skipped: LegacySkippedEntry[];
}

/** Options for {@linkcode parseLegacyCredentials}. */
export interface ParseLegacyCredentialsOptions {
  /**
   * Import names that are reserved for new registrations (such as `admin`),
   * instead of skipping them. The old program had no reserved names, so an
   * operator may want to keep such accounts.
   * @default {false}
   */
  allowReserved?: boolean;
}

/**
 * Keys under which a record object may hold the digest, in order of
 * preference. Matched ignoring case, `_` and `-`, so `password_hash`,
 * `passwordHash` and `Password-Hash` are one key.
 */
const DIGEST_KEYS = [
  "passwordhash",
  "password",
  "hash",
  "sha256",
  "pwhash",
  "pwdhash",
  "passwdhash",
  "digest",
];
const DIGEST_KEYS_TEXT =
  '"password_hash", "password", "hash", "passwordHash" or "sha256"';
const HEX_DIGEST = /^[0-9a-f]{64}$/i;
/** Names longer than this are shortened when quoted in a reason. */
const MAX_QUOTED_LENGTH = MAX_USERNAME_LENGTH + 8;

/**
 * Parses the old program's `credentials.json` into accounts to import and
 * entries to skip.
 *
 * The top level is an object mapping user names to either a digest string
 * or an object holding the digest under a likely key (`password_hash`,
 * `password`, `hash`, `passwordHash`, `sha256` and similar, ignoring case,
 * `_` and `-`). A top-level `{ "users": { … } }` wrapper is also accepted,
 * and its sibling keys are then ignored (a user named "users" is still
 * recognized by its record's shape). A digest is 64 hex digits in any
 * case, surrounding spaces allowed, and comes out lowercase.
 *
 * An entry is skipped, with a reason, when it has no digest, when its record
 * also has a non-empty `salt` (a salted digest would never match at login),
 * when its name fails `normalizeUsername` from `lib/username.ts`, or when its
 * name has the same key as an earlier entry (the first wins). Entries are
 * taken in the order of `Object.entries`, which is file order except that
 * names that are array indices (`"42"`) come first. Reasons never quote the
 * digest or any other secret.
 *
 * @example Planning an import
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLegacyCredentials } from "./legacy_credentials.ts";
 *
 * const digest = "5E884898DA28047151D0E56F8DC6292773603D0D6AABBDD62A11EF721D1542D8";
 * const plan = parseLegacyCredentials(JSON.stringify({
 *   alice: digest,
 *   Alice: { password_hash: digest },
 *   "bad name": digest,
 * }));
 * assert.deepEqual(plan.accounts, [
 *   { username: "alice", key: "alice", sha256Hex: digest.toLowerCase() },
 * ]);
 * assert.deepEqual(plan.skipped.map((s) => s.username), ["Alice", "bad name"]);
 * ```
 *
 * @param text The contents of `credentials.json`.
 * @param options See {@linkcode ParseLegacyCredentialsOptions}.
 * @returns The accounts to import and the entries skipped, with reasons.
 * @throws {SyntaxError} If the text is not JSON or its top level is not an
 * object.
 */
export function parseLegacyCredentials(
  text: string,
  options: ParseLegacyCredentialsOptions = {},
): LegacyImportPlan {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new SyntaxError(
      "Cannot parse legacy credentials: text is not valid JSON",
      { cause: error },
    );
  }
  if (!isRecord(data)) {
    throw new SyntaxError(
      `Cannot parse legacy credentials: top level is ${
        describeJsonType(data)
      }, expected an object`,
      // The value itself would put password digests into the log.
      {
        cause: new TypeError(
          `Expected an object, got ${describeJsonType(data)}`,
        ),
      },
    );
  }
  const users = isRecord(data.users) && looksLikeUserMap(data.users)
    ? data.users
    : data;

  const plan: LegacyImportPlan = { accounts: [], skipped: [] };
  const firstByKey = new Map<string, string>();
  for (const [rawName, value] of Object.entries(users)) {
    const quoted = quote(rawName);
    const skip = (why: string) =>
      plan.skipped.push({
        username: rawName,
        reason: `Cannot import ${quoted}: ${why}`,
      });

    const normalized = normalizeUsername(rawName, {
      allowReserved: options.allowReserved ?? false,
    });
    if (!normalized.ok) {
      skip(describeUsernameRejection(normalized.reason));
      continue;
    }
    const first = firstByKey.get(normalized.key);
    if (first !== undefined) {
      skip(`name is the same as ${quote(first)}, which is imported instead`);
      continue;
    }
    const found = findDigest(value);
    if (found === undefined) {
      skip(
        isRecord(value)
          ? `entry has no 64-digit hex digest under ${DIGEST_KEYS_TEXT}`
          : `value is ${
            describeJsonType(value)
          }, expected a 64-digit hex SHA-256 digest`,
      );
      continue;
    }
    if (found.salted) {
      skip("entry has a salt, and salted digests cannot be imported");
      continue;
    }
    firstByKey.set(normalized.key, rawName);
    plan.accounts.push({
      username: normalized.name,
      key: normalized.key,
      sha256Hex: found.digest,
    });
  }
  return plan;
}

/**
 * Tells a `{ "users": { … } }` wrapper from the record of a user who is
 * named "users": a map of users has a record as a value, a digest under a
 * name that is not a digest key, or no digest at all.
 */
function looksLikeUserMap(users: Record<string, unknown>): boolean {
  if (findDigest(users) === undefined) return true;
  return Object.entries(users).some(([name, value]) =>
    isRecord(value) ||
    (typeof value === "string" && asDigest(value) !== undefined &&
      !DIGEST_KEYS.includes(foldKey(name)))
  );
}

function findDigest(
  value: unknown,
): { digest: string; salted: boolean } | undefined {
  if (typeof value === "string") {
    const digest = asDigest(value);
    return digest === undefined ? undefined : { digest, salted: false };
  }
  if (!isRecord(value)) return undefined;
  const fields = new Map<string, unknown>();
  for (const [name, field] of Object.entries(value)) {
    const folded = foldKey(name);
    if (!fields.has(folded)) fields.set(folded, field);
  }
  const salt = fields.get("salt");
  const salted = salt !== undefined && salt !== null && salt !== "";
  for (const name of DIGEST_KEYS) {
    const field = fields.get(name);
    const digest = typeof field === "string" ? asDigest(field) : undefined;
    if (digest !== undefined) return { digest, salted };
  }
  return undefined;
}

function foldKey(name: string): string {
  return name.toLowerCase().replaceAll(/[_-]/g, "");
}

function asDigest(text: string): string | undefined {
  const trimmed = text.trim();
  return HEX_DIGEST.test(trimmed) ? trimmed.toLowerCase() : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/** Quotes a name for a message, escaping control characters and shortening it. */
function quote(name: string): string {
  const points = [...name];
  const short = points.length > MAX_QUOTED_LENGTH
    ? `${points.slice(0, MAX_QUOTED_LENGTH).join("")}…`
    : name;
  // JSON escapes quotes and control characters, so a name cannot forge lines
  // in a log.
  return JSON.stringify(short);
}
