/**
 * The store contract suite: one set of cases that every implementation of
 * the store interfaces in `lib/store/store.ts` must pass, whatever database
 * is behind it. A harness per implementation (`sqlite_contract_test.ts`)
 * calls {@linkcode storeContract} with a function that opens a new, empty
 * store; the suite speaks only the interfaces.
 *
 * Each area (accounts, tokens, audit, history, offline, mutes, files, read
 * state, avatars, errors) is one `Deno.test`, each case one step on a store
 * of its own. The suite checks that every method of the interfaces in
 * {@linkcode CONTRACT_INTERFACES} declared in `store.ts` is exercised: a
 * method added there without contract cases fails it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ACCOUNTS } from "./contract/accounts.ts";
import { AUDIT } from "./contract/audit.ts";
import { TOKENS } from "./contract/tokens.ts";
import { HISTORY, MODERATION, OFFLINE } from "./contract/chat.ts";
import { FAULTS } from "./contract/faults.ts";
import { FILES } from "./contract/files.ts";
import { AVATARS, READS } from "./contract/reads.ts";
import type {
  ContractArea,
  ContractStore,
  OpenStore,
} from "./contract/fixtures.ts";

export type {
  ContractFaults,
  ContractStore,
  OpenedStore,
  OpenStore,
} from "./contract/fixtures.ts";

/** Every area of the suite, in the order they run. */
export const CONTRACT_AREAS: readonly ContractArea[] = [
  ACCOUNTS,
  TOKENS,
  AUDIT,
  HISTORY,
  OFFLINE,
  MODERATION,
  FILES,
  READS,
  AVATARS,
  FAULTS,
];

/** The interfaces whose every method the suite must exercise. */
export const CONTRACT_INTERFACES = [
  "AccountStore",
  "ChatStore",
  "FileStore",
  "ReadStore",
  "AvatarStore",
] as const;

/**
 * The method names declared in `export interface <name> { ... }` of a
 * TypeScript source: members at two spaces of indent that take arguments
 * (`name(` or `name?(`, or a property typed as a function).
 *
 * @throws {SyntaxError} if the interface is not in `source`.
 */
export function interfaceMethods(source: string, name: string): string[] {
  const start = source.indexOf(`export interface ${name} {`);
  if (start === -1) {
    throw new SyntaxError(`Cannot find "export interface ${name}" in source`);
  }
  const end = source.indexOf("\n}", start);
  const body = source.slice(start, end === -1 ? undefined : end);
  return Array.from(
    body.matchAll(/^ {2}(\w+)\??(?:\(|<|: *\()/gm),
    (match) => match[1]!,
  );
}

/**
 * The methods of the contract interfaces that no area covers, and the
 * covered names that are no such method, from the text of `store.ts`.
 */
export function coverageGaps(
  storeSource: string,
  areas: readonly ContractArea[],
): { uncovered: string[]; unknown: string[] } {
  const declared = new Set(
    CONTRACT_INTERFACES.flatMap((name) => interfaceMethods(storeSource, name)),
  );
  const covered = new Set<string>(areas.flatMap((area) => area.covers));
  return {
    uncovered: [...declared].filter((method) => !covered.has(method)).sort(),
    unknown: [...covered].filter((method) => !declared.has(method)).sort(),
  };
}

/**
 * `store`, recording in `called` the name of every method called on it.
 * Methods run on the store itself, so `#private` fields keep working.
 */
function recording(store: ContractStore, called: Set<string>): ContractStore {
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function" || typeof property !== "string") {
        return value;
      }
      return (...args: unknown[]) => {
        called.add(property);
        return Reflect.apply(value, target, args);
      };
    },
  });
}

/**
 * Registers the contract suite for the implementation `name`: one
 * `Deno.test` per area, one step per case, each step on a new store from
 * `open` (cleaned up afterwards, pass or fail), and a test that the areas
 * cover every interface method.
 *
 * Cases that need a fault `open` does not offer (see `ContractFaults`) are
 * reported as ignored.
 */
export function storeContract(name: string, open: OpenStore): void {
  for (const area of CONTRACT_AREAS) {
    Deno.test(`${name} store contract: ${area.name}`, async (t) => {
      const called = new Set<string>();
      let allPassed = true;
      for (const [caseName, run] of Object.entries(area.cases)) {
        const opened = await open();
        try {
          const need = area.needs?.[caseName];
          const faults = opened.faults ?? {};
          const passed = await t.step({
            name: caseName,
            ignore: need !== undefined && faults[need] === undefined,
            fn: () => run(recording(opened.store, called), faults),
          });
          allPassed &&= passed;
        } finally {
          await opened.cleanup();
        }
      }
      if (!allPassed) return;
      const unexercised = area.covers.filter((method) => !called.has(method));
      assert.deepEqual(
        unexercised,
        [],
        `the ${area.name} area claims methods its cases never call`,
      );
    });
  }

  Deno.test(`${name} store contract: covers every method of ${CONTRACT_INTERFACES.join(" and ")}`, async () => {
    const source = await Deno.readTextFile(
      new URL("../../lib/store/store.ts", import.meta.url),
    );
    assert.deepEqual(coverageGaps(source, CONTRACT_AREAS), {
      uncovered: [],
      unknown: [],
    });
  });
}
