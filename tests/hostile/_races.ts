/**
 * Races: two logins to one account at once, and two registrations of one
 * name (or of two spellings of it) at once.
 *
 * @module
 */

import { SqliteStore } from "../../lib/store/sqlite/sqlite_store.ts";
import { normalizeUsername } from "../../lib/shared/username.ts";
import {
  type CaseContext,
  COUNTS,
  firstLine,
  type Harness,
  type HostileClient,
  newPassword,
  startHarness,
} from "./_support.ts";

/** Two fresh connections, greeted, ready to send in the same tick. */
async function pair(h: Harness): Promise<[HostileClient, HostileClient]> {
  const [a, b] = await Promise.all([h.connect(), h.connect()]);
  await Promise.all([a.expect("HELLO "), b.expect("HELLO ")]);
  return [a, b];
}

/** Both races on one in-process server. */
export async function races(context: CaseContext): Promise<void> {
  const rounds = COUNTS.raceRounds;
  // The flood limit is not under test here; hashing is cheap (1000 rounds).
  await using h = await startHarness("races", {
    rateBurst: 1_000_000,
    ratePerSecond: 1_000_000,
  });

  const loginRow = context.row(
    "Races: simultaneous logins",
    `${rounds} rounds: two new connections send LOGIN for one account in the same tick`,
  );
  const setup = await h.connect();
  await setup.expect("HELLO ");
  const passwords: string[] = [];
  for (let i = 0; i < rounds; i++) {
    passwords.push(h.scope.password(newPassword(`race${i}`)));
    await setup.send(`REGISTER race${i} ${passwords[i]}`);
    await setup.expect("REGISTER_SUCCESS");
  }
  await setup.close();
  const loginProblems: string[] = [];
  let exactlyOne = 0;
  let loserReplies = new Set<string>();
  for (let i = 0; i < rounds; i++) {
    const [a, b] = await pair(h);
    try {
      await Promise.all([
        a.send(`LOGIN race${i} ${passwords[i]}`),
        b.send(`LOGIN race${i} ${passwords[i]}`),
      ]);
      const replies = await Promise.all(
        [a, b].map((c) => c.next((line) => line.startsWith("AUTH_"))),
      );
      const wins = replies.filter((r) => r === `AUTH_SUCCESS race${i}`);
      const sessions = h.server.auth.onlineSessions().filter((s) =>
        s.username === `race${i}`
      ).length;
      if (wins.length === 1 && sessions === 1) exactlyOne++;
      else {
        loginProblems.push(
          `round ${i}: ${replies.join(" / ")}; ${sessions} sessions`,
        );
      }
      for (const r of replies) {
        if (!r.startsWith("AUTH_SUCCESS")) loserReplies.add(r);
      }
    } catch (error) {
      loginProblems.push(`round ${i}: ${firstLine(error)}`);
    } finally {
      await a.close();
      await b.close();
    }
  }
  loserReplies = new Set([...loserReplies].slice(0, 2));
  context.done(
    loginRow,
    `${exactlyOne}/${rounds} rounds: exactly one AUTH_SUCCESS and one live session; the other got ${
      [...loserReplies].join(" / ") || "—"
    }${
      loginProblems.length
        ? `; problems: ${loginProblems.length} (${loginProblems[0]})`
        : ""
    }`,
    exactlyOne === rounds,
  );

  const registerRow = context.row(
    "Races: simultaneous registrations",
    `${rounds} rounds: two connections send REGISTER of one name in the same tick (same spelling, other case, full width), different passwords`,
  );
  const registerProblems: string[] = [];
  let oneAccount = 0;
  const names: string[] = [];
  for (let i = 0; i < rounds; i++) {
    const spellings: [string, string] = i % 3 === 0
      ? [`Rg${i}`, `Rg${i}`]
      : i % 3 === 1
      ? [`rg${i}`, `RG${i}`]
      : [`rg${i}`, `ｒｇ${i}`];
    names.push(spellings[0]);
    const pw = [
      h.scope.password(newPassword(`rg${i}a`)),
      h.scope.password(newPassword(`rg${i}b`)),
    ];
    const [a, b] = await pair(h);
    try {
      await Promise.all([
        a.send(`REGISTER ${spellings[0]} ${pw[0]}`),
        b.send(`REGISTER ${spellings[1]} ${pw[1]}`),
      ]);
      const replies = await Promise.all(
        [a, b].map((c) => c.next((line) => line.startsWith("REGISTER_"))),
      );
      const winner = replies.indexOf("REGISTER_SUCCESS");
      const wins = replies.filter((r) => r === "REGISTER_SUCCESS").length;
      // The winner's password logs in under either spelling; the loser's
      // does not.
      await a.send(`LOGIN ${spellings[1]} ${pw[winner === 0 ? 0 : 1]}`);
      const good = await a.next((line) => line.startsWith("AUTH_"));
      await b.send(`LOGIN ${spellings[0]} ${pw[winner === 0 ? 1 : 0]}`);
      const bad = await b.next((line) => line.startsWith("AUTH_"));
      if (
        wins === 1 && good.startsWith("AUTH_SUCCESS ") &&
        bad.startsWith("AUTH_FAILURE")
      ) {
        oneAccount++;
      } else {
        registerProblems.push(
          `round ${i}: ${
            replies.join(" / ")
          }; winner login ${good}; loser login ${bad}`,
        );
      }
    } catch (error) {
      registerProblems.push(`round ${i}: ${firstLine(error)}`);
    } finally {
      await a.close();
      await b.close();
    }
  }
  // And the database agrees: one row per name key.
  let rows = 0;
  {
    using store = SqliteStore.open(h.dbPath);
    const keys = (await store.listAccounts()).map((a) => a.usernameKey);
    for (const name of names) {
      const key = normalizeUsername(name);
      const n = keys.filter((k) => key.ok && k === key.key).length;
      if (n === 1) rows++;
      else registerProblems.push(`${name}: ${n} rows`);
    }
  }
  context.done(
    registerRow,
    `${oneAccount}/${rounds} rounds: exactly one REGISTER_SUCCESS (the other REGISTER_FAILURE), the winner's password logs in, the loser's does not; database: ${rows}/${rounds} names with exactly one row${
      registerProblems.length
        ? `; problems: ${registerProblems.length} (${registerProblems[0]})`
        : ""
    }`,
    oneAccount === rounds && rows === rounds,
  );
}
