/**
 * Faults: `kill -9` of a spawned `server.ts` during bursts of registrations,
 * password changes, chat and offline private messages, then a restart on
 * the same database; and databases truncated or garbled by the test.
 *
 * @module
 */

import { join } from "node:path";
import { startChatServer } from "../../lib/server/net/chat_server.ts";
import { SqliteStore } from "../../lib/store/sqlite/sqlite_store.ts";
import { tempDir } from "../_util.ts";
import {
  type CaseContext,
  COUNTS,
  delay,
  firstLine,
  HostileClient,
  newPassword,
  scanScope,
  SecretScope,
  seededRandom,
  SEEDS,
  ServerProcess,
  storedHashes,
  within,
} from "./_support.ts";

const encoder = new TextEncoder();

/** A chat line a client received, and when. */
interface Received {
  id: number;
  text: string;
  at: number;
  cycle: number;
}

/** Totals over all cycles. */
interface Totals {
  opened: number;
  registrationsAcked: number;
  registrationsLost: number;
  registrationsInDoubt: number;
  registrationsInDoubtPresent: number;
  passwordAcked: number;
  passwordLost: number;
  passwordInDoubt: number;
  passwordInDoubtNew: number;
  passwordNeither: number;
  pmAcked: number;
  pmLost: number;
  messagesReceived: number;
  messagesLost: number;
  cyclesWithLoss: number;
  /** How long before the kill each lost message had been received. */
  lostAgesMs: number[];
  holes: number;
  reusedIds: number;
  reusedIdSamples: string[];
  killOffsets: number[];
}

/** `kill -9` during bursts, restart, check what had been acknowledged. */
export async function killCycles(context: CaseContext): Promise<void> {
  const cycles = COUNTS.killCycles;
  const accountRow = context.row(
    "Faults: kill -9 (acknowledged account operations)",
    `${cycles} cycles of server.ts (PBKDF2 600k): REGISTER ×8 on 2 connections, PASSWORD on 2 accounts, chat and PRIVMSG to an offline account; SIGKILL 150–1000 ms into the burst; restart on the same database`,
  );
  const chatRow = context.row(
    "Faults: kill -9 (chat messages)",
    "every MESSAGE a second client received before the kill, looked up in the database after the restart; every PM_QUEUED private message delivered at the recipient's next login",
  );
  await using dir = await tempDir();
  const db = join(dir.path, "chat.db");
  const scope = new SecretScope("kill -9 cycles");
  const random = seededRandom(SEEDS.random);
  const problems: string[] = [];
  const totals: Totals = {
    opened: 0,
    registrationsAcked: 0,
    registrationsLost: 0,
    registrationsInDoubt: 0,
    registrationsInDoubtPresent: 0,
    passwordAcked: 0,
    passwordLost: 0,
    passwordInDoubt: 0,
    passwordInDoubtNew: 0,
    passwordNeither: 0,
    pmAcked: 0,
    pmLost: 0,
    messagesReceived: 0,
    messagesLost: 0,
    cyclesWithLoss: 0,
    lostAgesMs: [],
    holes: 0,
    reusedIds: 0,
    reusedIdSamples: [],
    killOffsets: [],
  };

  const start = async () => {
    const server = new ServerProcess(
      ["--host", "127.0.0.1", "--port", "0", "--db", db],
      { cwd: dir.path, scope },
    );
    const port = await server.port({ ms: 30_000 });
    totals.opened++;
    return { server, port };
  };
  const connect = async (port: number) => {
    const client = await HostileClient.connect(port, { scope });
    await client.expect("HELLO ", 15_000);
    return client;
  };
  /** Logs in with the first candidate password that works. */
  const login = async (port: number, name: string, candidates: string[]) => {
    const client = await connect(port);
    for (const password of candidates) {
      await client.send(`LOGIN ${name} ${password}`);
      const reply = await client.next((l) => l.startsWith("AUTH_"), 15_000);
      if (reply.startsWith("AUTH_SUCCESS ")) {
        await client.expect("HISTORY_END ", 15_000);
        return { client, password };
      }
    }
    await client.close();
    return { client: undefined, password: undefined };
  };

  // The fixed cast: two chatters, an offline inbox, two password changers.
  const passwords = new Map<string, string>();
  for (const name of ["alice", "bob", "inbox", "pw0", "pw1"]) {
    passwords.set(name, scope.password(newPassword(name)));
  }
  const ackedRegistrations: string[] = [];
  let inDoubtRegistrations: string[] = [];
  const pwInDoubt = new Map<string, [string, string]>();
  let ackedPms = new Map<number, string>();
  let received: Received[] = [];
  /** Messages received before a kill and lost: id → the text received. */
  const lost = new Map<number, string>();
  let killedAt = 0;

  let { server, port } = await start();
  try {
    {
      const setup = await connect(port);
      for (const [name, password] of passwords) {
        await setup.send(`REGISTER ${name} ${password}`);
        await setup.expect("REGISTER_SUCCESS", 15_000);
      }
      await setup.close();
    }
    for (let cycle = 0; cycle <= cycles; cycle++) {
      // ---- After a restart: check the previous cycle, log in for this one.
      const logins = await Promise.all(
        ["alice", "bob", "pw0", "pw1"].map((name) => {
          const doubt = pwInDoubt.get(name);
          return login(port, name, doubt ?? [passwords.get(name)!]);
        }),
      );
      for (const [i, name] of ["alice", "bob", "pw0", "pw1"].entries()) {
        const result = logins[i]!;
        const doubt = pwInDoubt.get(name);
        if (result.password === undefined) {
          if (doubt) totals.passwordNeither++;
          else if (name.startsWith("pw")) totals.passwordLost++;
          problems.push(`cycle ${cycle}: ${name} cannot log in`);
          continue;
        }
        if (doubt && result.password === doubt[0]) totals.passwordInDoubtNew++;
        passwords.set(name, result.password);
      }
      pwInDoubt.clear();
      if (logins.some((l) => l.client === undefined)) {
        for (const l of logins) await l.client?.close();
        break;
      }
      const [alice, bob, pw0, pw1] = logins.map((l) => l.client!) as [
        HostileClient,
        HostileClient,
        HostileClient,
        HostileClient,
      ];
      {
        // Registrations and messages, read from the database beside the
        // running server (WAL).
        using store = SqliteStore.open(db);
        const keys = new Set(
          (await store.listAccounts()).map((a) => a.usernameKey),
        );
        for (const name of ackedRegistrations.splice(0)) {
          if (!keys.has(name.toLowerCase())) {
            totals.registrationsLost++;
            problems.push(`cycle ${cycle}: acknowledged ${name} is missing`);
          }
        }
        for (const name of inDoubtRegistrations) {
          if (keys.has(name.toLowerCase())) {
            totals.registrationsInDoubtPresent++;
          }
        }
        inDoubtRegistrations = [];
        let lostThisCycle = 0;
        let highestPresent = -1;
        const lostNow: Received[] = [];
        for (const message of received) {
          const stored = await store.getMessage(message.id);
          if (stored?.text === message.text) {
            highestPresent = Math.max(highestPresent, message.id);
          } else {
            lostThisCycle++;
            lostNow.push(message);
            totals.lostAgesMs.push(killedAt - message.at);
          }
        }
        totals.holes += lostNow.filter((m) => m.id < highestPresent).length;
        totals.messagesLost += lostThisCycle;
        if (lostThisCycle > 0) totals.cyclesWithLoss++;
        // An id that was delivered before a crash and then lost: does a
        // later message (of the cycles since) carry it?
        for (const [id, text] of lost) {
          const stored = await store.getMessage(id);
          if (stored !== undefined && stored.text !== text) {
            totals.reusedIds++;
            if (totals.reusedIdSamples.length < 2) {
              totals.reusedIdSamples.push(
                `id ${id}: "${text}" before the kill, "${stored.text}" after`,
              );
            }
            lost.delete(id);
          }
        }
        for (const message of lostNow) lost.set(message.id, message.text);
        received = [];
      }
      // Offline private messages acknowledged with PM_QUEUED.
      if (ackedPms.size > 0 || cycle > 0) {
        const inbox = await login(port, "inbox", [passwords.get("inbox")!]);
        if (inbox.client === undefined) {
          problems.push(`cycle ${cycle}: inbox cannot log in`);
        } else {
          await inbox.client.send("PING sync");
          await inbox.client.expect("PONG sync", 15_000);
          const delivered = new Set(
            inbox.client.lines.flatMap((line) => {
              const match = /^PRIVATE (\d+) \d+ alice inbox /.exec(line);
              return match ? [Number(match[1])] : [];
            }),
          );
          for (const id of ackedPms.keys()) {
            if (!delivered.has(id)) {
              totals.pmLost++;
              problems.push(`cycle ${cycle}: queued PM ${id} not delivered`);
            }
          }
          await inbox.client.close();
        }
        ackedPms = new Map();
      }
      if (cycle === cycles) {
        for (const client of [alice, bob, pw0, pw1]) await client.close();
        break;
      }

      // ---- The burst.
      const regClients = await Promise.all([connect(port), connect(port)]);
      const regNames = regClients.map((_, c) =>
        Array.from({ length: 8 }, (_, k) => `c${cycle}r${c}n${k}`)
      );
      const regReplies = regClients.map(() => [] as string[]);
      regClients.forEach((client, c) =>
        client.onLine((line) => {
          if (/^REGISTER_(SUCCESS|FAILURE)/.test(line)) {
            regReplies[c]!.push(line);
          }
        })
      );
      const pwState = new Map<string, { next: string; reply?: string }>();
      for (const [name, client] of [["pw0", pw0], ["pw1", pw1]] as const) {
        const next = scope.password(newPassword(`${name}c${cycle}`));
        pwState.set(name, { next });
        client.onLine((line) => {
          if (line.startsWith("PASSWORD_")) pwState.get(name)!.reply = line;
        });
      }
      let pendingPm: { id: number; text: string } | undefined;
      alice.onLine((line) => {
        const pm = /^PRIVATE (\d+) \d+ alice inbox (.*)$/.exec(line);
        if (pm) pendingPm = { id: Number(pm[1]), text: pm[2]! };
        else if (line === "PM_QUEUED inbox" && pendingPm) {
          ackedPms.set(pendingPm.id, pendingPm.text);
          pendingPm = undefined;
        }
      });
      for (const client of [alice, bob]) {
        client.onLine((line) => {
          const match = /^MESSAGE (\d+) \d+ (?:alice|bob) (.*)$/.exec(line);
          if (match === null) return;
          const message = {
            id: Number(match[1]),
            text: match[2]!,
            at: performance.now(),
            cycle,
          };
          received.push(message);
        });
      }
      const killAfter = 150 + Math.floor(random() * 850);
      totals.killOffsets.push(killAfter);
      let running = true;
      const writes: Promise<unknown>[] = [];
      const quietly = (p: Promise<unknown>) => writes.push(p.catch(() => {}));
      // The password changes go first: hashing is serialized (one PBKDF2 at
      // a time), and registrations queued ahead would leave few changes
      // acknowledged before the kill.
      for (const [name, client] of [["pw0", pw0], ["pw1", pw1]] as const) {
        const old = passwords.get(name)!;
        const next = pwState.get(name)!.next;
        quietly(client.send(
          `PASSWORD ${encoder.encode(old).length} ${old} ${next}`,
        ));
      }
      const registrations = regNames.map((names) =>
        encoder.encode(
          names.map((name) =>
            `REGISTER ${name} ${scope.password(newPassword(name))}\n`
          ).join(""),
        )
      );
      quietly(
        delay(20).then(() =>
          Promise.all(
            regClients.map((client, c) => client.writeRaw(registrations[c]!)),
          )
        ),
      );
      const chatter = async (client: HostileClient, who: string) => {
        for (let seq = 0; running; seq++) {
          await client.send(`MSG c${cycle} ${who} ${seq}`);
          if (who === "alice" && seq % 3 === 0) {
            await client.send(`PRIVMSG inbox c${cycle} pm ${seq}`);
          }
          await delay(100);
        }
      };
      quietly(chatter(alice, "alice"));
      quietly(chatter(bob, "bob"));
      await delay(killAfter);
      killedAt = performance.now();
      await server.kill9();
      running = false;
      await within(Promise.all(writes), 10_000, "burst writers to stop");
      for (const client of [...regClients, alice, bob, pw0, pw1]) {
        await client.close();
      }

      // ---- What had been acknowledged before the kill.
      regClients.forEach((_, c) => {
        const replies = regReplies[c]!;
        replies.forEach((reply, k) => {
          if (reply === "REGISTER_SUCCESS") {
            ackedRegistrations.push(regNames[c]![k]!);
          } else problems.push(`cycle ${cycle}: ${reply}`);
        });
        // The next one may have been mid-way: in doubt.
        const next = regNames[c]![replies.length];
        if (next !== undefined) inDoubtRegistrations.push(next);
      });
      totals.registrationsAcked += ackedRegistrations.length;
      totals.registrationsInDoubt += inDoubtRegistrations.length;
      for (const [name, state] of pwState) {
        if (state.reply === "PASSWORD_SUCCESS") {
          totals.passwordAcked++;
          passwords.set(name, state.next);
        } else if (state.reply === undefined) {
          totals.passwordInDoubt++;
          pwInDoubt.set(name, [state.next, passwords.get(name)!]);
        } else problems.push(`cycle ${cycle}: ${name} ${state.reply}`);
      }
      totals.pmAcked += ackedPms.size;
      totals.messagesReceived += received.length;

      ({ server, port } = await start());
    }
    // A clean stop at the end: SIGINT, exit 0.
    server.child.kill("SIGINT");
    const code = await server.exitCode(20_000);
    if (code !== 0) problems.push(`final SIGINT: exit ${code}`);
  } catch (error) {
    problems.push(`aborted: ${firstLine(error)}`);
  } finally {
    await server[Symbol.asyncDispose]();
  }
  scanScope(scope, await storedHashes(db));

  const accountLost = totals.registrationsLost + totals.passwordLost +
    totals.passwordNeither;
  context.done(
    accountRow,
    `database opened ${totals.opened}/${
      cycles + 1
    } starts; REGISTER_SUCCESS: ${totals.registrationsAcked} acked, ${totals.registrationsLost} lost (${totals.registrationsInDoubt} unanswered at the kill, ${totals.registrationsInDoubtPresent} of them present); PASSWORD_SUCCESS: ${totals.passwordAcked} acked, ${totals.passwordLost} lost (${totals.passwordInDoubt} unanswered: ${totals.passwordInDoubtNew} took effect, ${
      totals.passwordInDoubt - totals.passwordInDoubtNew -
      totals.passwordNeither
    } did not, ${totals.passwordNeither} neither password works); lost acknowledged account operations: ${accountLost}; kill offsets ${
      Math.min(...totals.killOffsets)
    }–${Math.max(...totals.killOffsets)} ms${
      problems.length ? `; problems: ${problems.length} (${problems[0]})` : ""
    }`,
    accountLost === 0 && totals.opened === cycles + 1 && problems.length === 0,
  );
  // Negative: received after the SIGKILL was sent, still in flight.
  const ages = totals.lostAgesMs;
  const oldest = ages.length ? Math.max(...ages) : 0;
  context.done(
    chatRow,
    `PM_QUEUED: ${totals.pmAcked} acked, ${totals.pmLost} lost; MESSAGE received by the other client before the kill: ${totals.messagesReceived}, ${totals.messagesLost} of them not in the database after the restart (in ${totals.cyclesWithLoss}/${cycles} cycles; received ${
      ages.length
        ? `${Math.round(Math.min(...ages))} to ${Math.round(oldest)} ms`
        : "—"
    } before the SIGKILL; ${totals.holes} holes: always the newest, i.e. the 50 ms group commit); ids of lost (but delivered) messages given to later messages after the restart: ${totals.reusedIds}${
      totals.reusedIdSamples.length
        ? ` (${totals.reusedIdSamples.join("; ")})`
        : ""
    }`,
    // No holes (only the newest messages lost) is the test; their age is
    // only reported, as a wall-clock bound would fail on a loaded machine.
    totals.pmLost === 0 && totals.holes === 0 &&
      problems.length === 0,
  );
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    bytes.slice().buffer as ArrayBuffer,
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/** A database damaged by the test: refused by name, never replaced. */
export async function corruptDatabase(context: CaseContext): Promise<void> {
  const row = context.row(
    "Faults: truncated or garbled database",
    "a real database (40 accounts, 600 messages) truncated to 100 B, 1 page and half; header, page 2, last page and page 1's b-tree header overwritten with random bytes; server.ts --db on each",
  );
  await using dir = await tempDir();
  const base = join(dir.path, "base.db");
  const scope = new SecretScope("corrupt database");
  {
    const server = startChatServer({
      store: SqliteStore.open(base),
      hostname: "127.0.0.1",
      port: 0,
      hashIterations: 1000,
      rateBurst: 1_000_000,
      ratePerSecond: 1_000_000,
      log: (line) => scope.logLines.push(line),
    });
    try {
      const client = await HostileClient.connect(server.addr.port, { scope });
      await client.expect("HELLO ");
      for (let i = 0; i < 40; i++) {
        await client.send(
          `REGISTER acct${i} ${scope.password(newPassword(`acct${i}`))}`,
        );
        await client.expect("REGISTER_SUCCESS");
      }
      const password = scope.password(newPassword("writer"));
      await client.send(`REGISTER writer ${password}`);
      await client.expect("REGISTER_SUCCESS");
      await client.login("writer", password);
      for (let i = 0; i < 600; i++) {
        await client.send(`MSG message ${i} ${"z".repeat(100)}`);
      }
      await client.send("HISTORY 1");
      await client.expect("HISTORY_END ");
      await client.close();
    } finally {
      await server.shutdown();
    }
  }
  scanScope(scope, await storedHashes(base));
  const original = await Deno.readFile(base);
  const random = seededRandom(SEEDS.fixed);
  const garbage = (n: number) =>
    Uint8Array.from({ length: n }, () => Math.floor(random() * 256));
  const page = 4096;
  const pages = original.length / page;
  const variants: [string, Uint8Array][] = [
    ["truncated-100", original.slice(0, 100)],
    ["truncated-1-page", original.slice(0, page)],
    ["truncated-half", original.slice(0, Math.floor(original.length / 2))],
    [
      "header-garbled",
      (() => {
        const b = original.slice();
        b.set(garbage(16), 0);
        return b;
      })(),
    ],
    [
      "page-2-garbled",
      (() => {
        const b = original.slice();
        b.set(garbage(page), page);
        return b;
      })(),
    ],
    [
      "last-page-garbled",
      (() => {
        const b = original.slice();
        b.set(garbage(page), original.length - page);
        return b;
      })(),
    ],
    [
      "page-1-btree-garbled",
      (() => {
        const b = original.slice();
        b.set(garbage(12), 100);
        return b;
      })(),
    ],
  ];
  let refused = 0;
  let named = 0;
  let unchanged = 0;
  let sidecars = 0;
  const problems: string[] = [];
  for (const [name, bytes] of variants) {
    const path = join(dir.path, `${name}.db`);
    await Deno.writeFile(path, bytes);
    const before = await sha256(bytes);
    await using child = new ServerProcess(
      ["--host", "127.0.0.1", "--port", "0", "--db", path],
      { cwd: dir.path, scope },
    );
    let code: number;
    try {
      code = await child.exitCode(20_000);
    } catch (error) {
      problems.push(`${name}: ${firstLine(error)}`);
      continue;
    }
    const stderr = child.stderr;
    const started = child.stdout.some((line) => line.includes("启动成功"));
    if (code === 1 && !started) refused++;
    else problems.push(`${name}: exit ${code}, started ${started}`);
    if (stderr.includes(path)) named++;
    else {problems.push(
        `${name}: stderr does not name the file: ${stderr.trim()}`,
      );}
    if (/^\s+at /m.test(stderr)) problems.push(`${name}: stack trace`);
    if (await sha256(await Deno.readFile(path)) === before) unchanged++;
    else problems.push(`${name}: bytes changed`);
    for (const suffix of ["-wal", "-shm", "-journal"]) {
      try {
        await Deno.stat(path + suffix);
        sidecars++;
      } catch {
        // Not there: good.
      }
    }
  }
  const sample = problems.length ? `; problems: ${problems.join("; ")}` : "";
  context.done(
    row,
    `${original.length} B (${pages} pages); ${refused}/${variants.length} refused with exit 1 and no startup line, ${named}/${variants.length} messages name the file, ${unchanged}/${variants.length} files byte-for-byte unchanged; sidecar files left: ${sidecars}${
      sample.slice(0, 400)
    }`,
    refused === variants.length && named === variants.length &&
      unchanged === variants.length && problems.length === 0,
  );
}
