import assert from "node:assert/strict";
import {
  CONTRACT_AREAS,
  coverageGaps,
  interfaceMethods,
} from "./store_contract.ts";
import type { ContractArea } from "./contract/fixtures.ts";

const SOURCE = `
/** Not this one. */
export interface Other {
  ignored(): void;
}

export interface AccountStore {
  /** Docs with a line that looks like code: call(x). */
  getAccount(usernameKey: string): Promise<unknown>;
  optional?(x: number): void;
  generic<T>(x: T): T;
  arrow: (x: number) => void;
  notAMethod: string;
  nested: {
    inner(): void;
  };
}

export interface ChatStore {
  maxMessageId(): Promise<number>;
}

export interface FileStore {
  getFile(id: number): Promise<unknown>;
  fileIds(): Promise<Set<number>>;
}

export interface ReadStore {
  setReceipts(accountId: number, on: boolean): Promise<boolean>;
}

export interface AvatarStore {
  avatarsOf(keys: readonly string[]): Promise<unknown[]>;
}
`;

Deno.test("interfaceMethods() lists the members of one interface that take arguments", () => {
  assert.deepEqual(interfaceMethods(SOURCE, "AccountStore"), [
    "getAccount",
    "optional",
    "generic",
    "arrow",
  ]);
  assert.deepEqual(interfaceMethods(SOURCE, "ChatStore"), ["maxMessageId"]);
  assert.deepEqual(interfaceMethods(SOURCE, "FileStore"), [
    "getFile",
    "fileIds",
  ]);
  assert.deepEqual(interfaceMethods(SOURCE, "ReadStore"), ["setReceipts"]);
  assert.deepEqual(interfaceMethods(SOURCE, "AvatarStore"), ["avatarsOf"]);
  assert.throws(() => interfaceMethods(SOURCE, "Missing"), SyntaxError);
});

Deno.test("coverageGaps() reports declared methods no area covers and covered names nobody declares", () => {
  const area: ContractArea = {
    name: "some",
    covers: [
      "getAccount",
      "maxMessageId",
      "fileIds",
      "setReceipts",
      "listAudit",
    ],
    cases: {},
  };
  assert.deepEqual(coverageGaps(SOURCE, [area]), {
    uncovered: ["arrow", "avatarsOf", "generic", "getFile", "optional"],
    unknown: ["listAudit"],
  });
});

Deno.test("CONTRACT_AREAS claim each method once", () => {
  const covers = CONTRACT_AREAS.flatMap((area) => area.covers);
  assert.deepEqual(
    covers.filter((method, i) => covers.indexOf(method) !== i),
    [],
  );
});
