/**
 * Bad input at a live server: over-long lines, invalid UTF-8, NUL and
 * control characters, slowloris, a burst of connections, a flood, and a
 * client that never reads, while two normal clients keep chatting and the
 * latency of their messages is measured.
 *
 * @module
 */

import { ManualClock } from "../../lib/shared/clock.ts";
import {
  type CaseContext,
  CONTROL,
  COUNTS,
  delay,
  firstLine,
  type Harness,
  HostileClient,
  LOG_CONTROL,
  newPassword,
  percentile,
  SCAN,
  startHarness,
  within,
} from "./_support.ts";

const encoder = new TextEncoder();

/** Sequences that are not UTF-8 (stray, overlong, surrogate, too big, cut). */
const INVALID_UTF8 = [
  [0xff],
  [0xfe, 0xff],
  [0x80],
  [0xbf, 0xbf],
  [0xc0, 0xaf],
  [0xc1, 0xbf],
  [0xe0, 0x80, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xed, 0xbf, 0xbf],
  [0xf4, 0x90, 0x80, 0x80],
  [0xf5, 0x80, 0x80, 0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xe4, 0xb8],
  [0xf0, 0x9f, 0x98],
  [0xc3],
].map((bytes) => new Uint8Array(bytes));

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function stats(values: readonly number[]): string {
  if (values.length === 0) return "no samples";
  return `n=${values.length} p50 ${percentile(values, 50).toFixed(1)} ms, p99 ${
    percentile(values, 99).toFixed(1)
  } ms, max ${Math.max(...values).toFixed(1)} ms`;
}

/**
 * Two normal clients: one sends a numbered message every few milliseconds,
 * the other measures send→receive time, attributed to the phase in which
 * the message was sent.
 */
class LatencyProbe {
  readonly samples = new Map<string, number[]>();
  sent = 0;
  received = 0;
  outOfOrder = 0;
  #phase = "warm-up";
  #sentAt = new Map<number, { at: number; phase: string }>();
  #expected = 1;
  #sender: HostileClient;
  #running = false;
  #loop: Promise<void> = Promise.resolve();
  #unsubscribe: () => void;
  #intervalMs: number;
  #sendError: unknown;

  constructor(
    sender: HostileClient,
    receiver: HostileClient,
    intervalMs: number,
  ) {
    this.#sender = sender;
    this.#intervalMs = intervalMs;
    const pattern = /^MESSAGE \d+ \d+ \S+ probe (\d+)$/;
    this.#unsubscribe = receiver.onLine((line) => {
      const match = pattern.exec(line);
      if (match === null) return;
      const seq = Number(match[1]);
      const sent = this.#sentAt.get(seq);
      if (sent === undefined) return;
      this.#sentAt.delete(seq);
      if (seq !== this.#expected) this.outOfOrder++;
      this.#expected = seq + 1;
      this.received++;
      const list = this.samples.get(sent.phase) ?? [];
      list.push(performance.now() - sent.at);
      this.samples.set(sent.phase, list);
    });
  }

  set phase(name: string) {
    this.#phase = name;
  }

  start(): void {
    this.#running = true;
    this.#loop = (async () => {
      while (this.#running) {
        const seq = ++this.sent;
        this.#sentAt.set(seq, { at: performance.now(), phase: this.#phase });
        try {
          await this.#sender.send(`MSG probe ${seq}`);
        } catch (error) {
          this.#sendError = error;
          return;
        }
        await delay(this.#intervalMs);
      }
    })();
  }

  /** Stops sending and waits (bounded) for the messages in flight. */
  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    const deadline = Date.now() + 10_000;
    while (this.received < this.sent && Date.now() < deadline) {
      await delay(20);
    }
    this.#unsubscribe();
    if (this.#sendError !== undefined) throw this.#sendError;
  }

  /** Latency of messages sent during `phase`. */
  phaseStats(phase: string): string {
    return stats(this.samples.get(phase) ?? []);
  }

  get all(): number[] {
    return [...this.samples.values()].flat();
  }
}

/** Bad input at one server while alice→bob chat is timed. */
export async function badInput(context: CaseContext): Promise<void> {
  await using h = await startHarness("bad input", {
    rateBurst: 20,
    ratePerSecond: 1000,
    maxQueueBytes: 256 * 1024,
    stallTimeoutMs: 2000,
    loginTimeoutMs: 2000,
    sweepIntervalMs: 200,
  });
  const alice = await h.user("alice");
  const bob = await h.user("bob");
  const probe = new LatencyProbe(alice, bob, 20);
  probe.start();
  await delay(200);

  const phases: [string, (phase: string) => Promise<void>][] = [
    ["Bad input: over-long lines", (phase) => overLong(context, h, phase)],
    [
      "Bad input: invalid UTF-8",
      (phase) => invalidUtf8(context, h, bob, phase),
    ],
    [
      "Bad input: NUL and control characters",
      (phase) => controls(context, h, bob, phase),
    ],
    [
      "Bad input: slowloris (real clock)",
      (phase) => slowloris(context, h, phase),
    ],
    [
      `Bad input: ${COUNTS.connectBurst} connections at once`,
      (phase) => connectBurst(context, h, phase),
    ],
    [
      `Bad input: ${COUNTS.flood}-line flood`,
      (phase) => flood(context, h, bob, phase),
    ],
    [
      "Bad input: client that never reads",
      (phase) => neverReads(context, h, bob, phase),
    ],
  ];
  for (const [name, run] of phases) {
    probe.phase = name;
    await run(name);
  }
  probe.phase = "after";
  await delay(300);
  await probe.stop();

  const row = context.row(
    "Bad input: normal clients' latency",
    `alice→bob MSG every 20 ms during all of the above (server: burst 20, 1000 lines/s, queue 256 KiB, stall 2 s, login 2 s)`,
  );
  const all = probe.all;
  const lost = probe.sent - probe.received;
  const errors = h.logs.filter((line) => line.includes("[error]"));
  // The latency is reported, not judged: a wall-clock bound fails on a
  // loaded machine and says nothing about correctness. Nothing lost or
  // reordered is the test.
  context.done(
    row,
    `${probe.sent} sent, ${probe.received} received, ${lost} lost, ${probe.outOfOrder} out of order; overall ${
      stats(all)
    }; server [error] log lines: ${errors.length}${
      errors.length ? ` (${errors[0]!.slice(0, 80)})` : ""
    }`,
    lost === 0 && probe.outOfOrder === 0 && errors.length === 0,
  );
  // Each phase's row gets its latency figure appended.
  for (const [name] of phases) {
    const phaseRow = context.rows().find((r) => r.case === name);
    if (phaseRow) {
      phaseRow.saw += `; others' latency ${probe.phaseStats(name)}`;
    }
  }
}

async function overLong(
  context: CaseContext,
  h: Harness,
  phase: string,
): Promise<void> {
  const n = COUNTS.longLineConnections;
  const row = context.row(
    phase,
    `${n} connections: 8193 B unended, 8193 B+LF, 1 MiB unended, 2731×"张" (8193 B)+LF (all over), 8192 B+LF and 8192 B+CRLF (at the cap); a logged-in 9000 B MSG`,
  );
  let rejected = 0;
  let byeLost = 0;
  let accepted = 0;
  const problems: string[] = [];
  const kinds = [
    () => new Uint8Array(8193).fill(0x41),
    () => concat(new Uint8Array(8193).fill(0x41), encoder.encode("\n")),
    () => new Uint8Array(1 << 20).fill(0x41),
    () => encoder.encode(`${"张".repeat(2731)}\n`),
    () => concat(new Uint8Array(8192).fill(0x41), encoder.encode("\n")),
    () => concat(new Uint8Array(8192).fill(0x41), encoder.encode("\r\n")),
  ];
  await Promise.all(Array.from({ length: n }, async (_, i) => {
    const kind = i % kinds.length;
    const over = kind < 4;
    const client = await h.connect();
    try {
      await client.expect("HELLO ");
      await within(
        client.writeRaw(kinds[kind]!()).catch((error) => {
          if (!over) throw error;
        }),
        10_000,
        "write a long line",
      );
      if (over) {
        await client.closedByServer(10_000);
        const error = client.lines.some((l) =>
          l.startsWith("ERROR line_too_long ")
        );
        const bye = client.lines.some((l) =>
          l.startsWith("BYE line_too_long ")
        );
        if (error && bye) rejected++;
        else if (kind === 2) byeLost++; // still writing when closed: RST
        else {problems.push(
            `kind ${kind}: ${client.lines.slice(1).join(" | ")}`,
          );}
      } else {
        await client.expect("ERROR not_logged_in ");
        await client.send("PING ok");
        await client.expect("PONG ok");
        accepted++;
      }
    } catch (error) {
      problems.push(`kind ${kind}: ${firstLine(error)}`);
    } finally {
      await client.close();
    }
  }));
  // A logged-in member over the cap: closed, and the room hears USER_LEFT.
  let member = "failed";
  try {
    const long = await h.user("longuser");
    await long.send(`MSG ${"x".repeat(9000)}`);
    await long.expect("BYE line_too_long ");
    await long.closedByServer();
    member = "closed with BYE line_too_long";
  } catch (error) {
    problems.push(`logged-in: ${firstLine(error)}`);
  }
  context.done(
    row,
    `${rejected} over-cap connections got ERROR+BYE line_too_long and were closed${
      byeLost
        ? ` (${byeLost} 1 MiB writers closed by RST before reading BYE)`
        : ""
    }; ${accepted} at-cap lines accepted (answered, connection kept); logged-in: ${member}; problems: ${problems.length}${
      problems.length ? ` (${problems[0]!.slice(0, 120)})` : ""
    }`,
    problems.length === 0,
  );
}

async function invalidUtf8(
  context: CaseContext,
  h: Harness,
  bob: HostileClient,
  phase: string,
): Promise<void> {
  const rounds = COUNTS.utf8Rounds;
  const row = context.row(
    phase,
    `${rounds} rounds × ${INVALID_UTF8.length} bad sequences (stray, overlong, surrogate, >U+10FFFF, cut) in MSG lines from a member and bare lines from a stranger (each round ends with a valid line); a character split across writes`,
  );
  const member = await h.user("utf8user");
  const stranger = await h.connect();
  await stranger.expect("HELLO ");
  let errors = 0;
  let strangerErrors = 0;
  let sent = 0;
  const problems: string[] = [];
  const memberErrors = member.onLine((line) => {
    if (line.startsWith("ERROR invalid_utf8 ")) errors++;
  });
  const strangerCount = stranger.onLine((line) => {
    if (line.startsWith("ERROR invalid_utf8 ")) strangerErrors++;
  });
  try {
    for (let round = 0; round < rounds; round++) {
      for (const bad of INVALID_UTF8) {
        await member.writeRaw(
          concat(encoder.encode("MSG bad "), bad, encoder.encode(" tail\n")),
        );
        await stranger.writeRaw(concat(bad, encoder.encode("\n")));
        sent++;
      }
      await member.send(`MSG utf8 ok ${round}`);
      await bob.next((line) => line.endsWith(` utf8user utf8 ok ${round}`));
      // A valid line restarts the count of protocol errors in a row (20 end
      // the connection), so the stranger stays connected for every round.
      await stranger.send(`PING utf8-${round}`);
      await stranger.expect(`PONG utf8-${round}`);
    }
    // A character split across two writes is one character.
    const zhang = encoder.encode("张");
    await member.writeRaw(
      concat(encoder.encode("MSG split "), zhang.subarray(0, 1)),
    );
    await delay(30);
    await member.writeRaw(concat(zhang.subarray(1), encoder.encode("\n")));
    await bob.next((line) => line.endsWith(" utf8user split 张"));
    await stranger.send("PING still-open");
    await stranger.expect("PONG still-open");
  } catch (error) {
    problems.push(firstLine(error));
  } finally {
    memberErrors();
    strangerCount();
    await stranger.close();
  }
  const relayed = bob.lines.filter((line) => / utf8user bad /.test(line));
  context.done(
    row,
    `member: ${errors}/${sent} ERROR invalid_utf8, ${relayed.length} bad lines relayed, next line relayed each round; stranger: ${strangerErrors}/${sent} ERROR invalid_utf8, still open (PONG); split character relayed whole${
      problems.length ? `; problem: ${problems[0]}` : ""
    }`,
    problems.length === 0 && errors === sent && strangerErrors === sent &&
      relayed.length === 0,
  );
}

async function controls(
  context: CaseContext,
  h: Harness,
  bob: HostileClient,
  phase: string,
): Promise<void> {
  const c0 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i))
    .filter((char) => char !== "\n" && char !== "\r").join("");
  const c1 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(0x80 + i))
    .join("");
  const row = context.row(
    phase,
    "member: MSG/bare/PRIVMSG/STATUS with all C0 (not LF/CR), DEL, C1, ANSI escapes, NUL-first text, MSG \\0, MSG a\\rb; stranger: LOGIN/REGISTER/RESUME/RESET_REQUEST with ESC, BEL, NUL, CR in names",
  );
  const ctrl = await h.user("ctrl");
  const problems: string[] = [];
  const expectRelay = async (send: string, want: string) => {
    await ctrl.send(send);
    const got = await bob.next((line) =>
      line.startsWith("MESSAGE ") && line.includes(" ctrl ")
    );
    const text = got.replace(/^MESSAGE \d+ \d+ ctrl /, "");
    if (text !== want) {
      problems.push(
        `${JSON.stringify(send)} relayed as ${JSON.stringify(text)}`,
      );
    }
  };
  try {
    await expectRelay(`MSG a${c0}b`, `a${" ".repeat(c0.length)}b`);
    await expectRelay(`MSG \u007f${c1}z`, ` ${" ".repeat(c1.length)}z`);
    await expectRelay(
      "MSG \u001b[2J\u001b[31mred\u001b[0m",
      " [2J [31mred [0m",
    );
    await expectRelay("\u0000nul first", " nul first");
    await ctrl.send("MSG \u0000");
    await ctrl.expect("ERROR empty_message ");
    await ctrl.send("MSG a\rb");
    await ctrl.expect("ERROR ");
    await ctrl.send("PRIVMSG bob \u0007bell\u001b]0;title\u0007");
    const pm = await bob.expect("PRIVATE ");
    if (CONTROL.test(pm)) problems.push(`PRIVATE: ${JSON.stringify(pm)}`);
    await ctrl.send("STATUS \u001b[5mblink\u0000");
    await ctrl.expect("OK status_set");
    await bob.send("WHOIS ctrl");
    const whois = await bob.expect("WHOIS_INFO ctrl ");
    if (!whois.endsWith(" [5mblink ")) {
      problems.push(`WHOIS_INFO: ${JSON.stringify(whois)}`);
    }
    // History (stored text) is sanitized too, and a NUL-first text survives.
    await bob.send("HISTORY 5");
    await bob.expect("HISTORY_END ");
    const stranger = await h.connect();
    await stranger.expect("HELLO ");
    const password = h.scope.password(newPassword("ctrl"));
    for (
      const line of [
        `LOGIN \u001b[2J\u001b[Hfake ${password}`,
        `LOGIN ok\rforged-log-line ${password}`,
        `REGISTER a\u0000b ${password}`,
        `REGISTER a\u001bb ${password}`,
        "RESUME \u001b]0;x\u0007 0000-0000",
        "RESET_REQUEST \u001b[31mroot",
        `DELETE_ACCOUNT \u0007bell ${password}`,
      ]
    ) {
      await stranger.send(line);
    }
    await stranger.send("PING done");
    await stranger.expect("PONG done");
    for (const line of stranger.lines) {
      if (/^(AUTH_SUCCESS|REGISTER_SUCCESS)/.test(line)) {
        problems.push(`stranger: ${line}`);
      }
    }
    await stranger.close();
  } catch (error) {
    problems.push(firstLine(error));
  }
  const badHistory = bob.lines.filter((line) =>
    line.startsWith("HISTORY_MESSAGE ") && CONTROL.test(line)
  );
  const logWithControls = h.logs.filter((line) => LOG_CONTROL.test(line));
  context.done(
    row,
    `relayed text has each control as a space; PRIVATE, WHOIS_INFO, HISTORY_MESSAGE without controls (${badHistory.length} bad); all lines to clients so far with a control: ${SCAN.controlLines}; server log lines with a raw control: ${logWithControls.length}${
      logWithControls.length
        ? ` (${JSON.stringify(logWithControls[0]!.slice(0, 60))})`
        : ""
    }${
      problems.length ? `; problems: ${problems.join("; ").slice(0, 200)}` : ""
    }`,
    problems.length === 0 && badHistory.length === 0 &&
      SCAN.controlLines === 0 && logWithControls.length === 0,
  );
}

async function slowloris(
  context: CaseContext,
  h: Harness,
  phase: string,
): Promise<void> {
  const n = COUNTS.slowloris;
  const row = context.row(
    phase,
    `${n} connections send half a REGISTER line, then half trickle 1 byte every 300 ms and half stay silent (login deadline 2 s, sweep 0.2 s)`,
  );
  const started = performance.now();
  const clients = await Promise.all(
    Array.from({ length: n }, () => h.connect({ autoPong: false })),
  );
  const closedAt = new Map<HostileClient, number>();
  await Promise.all(clients.map(async (client) => {
    await client.expect("HELLO ");
    await client.writeRaw(encoder.encode("REGISTER slow"));
  }));
  let trickled = 0;
  const trickle = (async () => {
    while (clients.some((client, i) => i % 2 === 0 && !client.closed)) {
      await delay(300);
      await Promise.all(clients.map(async (client, i) => {
        if (i % 2 !== 0 || client.closed) return;
        try {
          await client.writeRaw(encoder.encode("x"));
          trickled++;
        } catch {
          // Closed by the server meanwhile.
        }
      }));
    }
  })();
  const problems: string[] = [];
  await Promise.all(clients.map(async (client) => {
    try {
      await client.closedByServer(10_000);
      closedAt.set(client, performance.now() - started);
      if (!client.lines.some((line) => line.startsWith("BYE idle_timeout "))) {
        problems.push(client.lines.slice(1).join(" | "));
      }
    } catch (error) {
      problems.push(firstLine(error));
    }
  }));
  await within(trickle, 5000, "trickle loop");
  for (const client of clients) await client.close();
  const times = [...closedAt.values()];
  context.done(
    row,
    `${times.length}/${n} closed with BYE idle_timeout (${trickled} trickled bytes did not extend the deadline); closed ${
      Math.round(Math.min(...times))
    }–${Math.round(Math.max(...times))} ms after connecting${
      problems.length ? `; problems: ${problems.length} (${problems[0]})` : ""
    }`,
    // Every one closed by the login deadline is the test (the ManualClock
    // case checks the deadline itself); the times are only reported.
    problems.length === 0 && times.length === n,
  );
}

async function connectBurst(
  context: CaseContext,
  h: Harness,
  phase: string,
): Promise<void> {
  const n = COUNTS.connectBurst;
  const row = context.row(
    phase,
    `${n} connects at once (Promise.all), each waits for HELLO; the 2 s login deadline then closes them`,
  );
  const before = h.server.connectionCount;
  const started = performance.now();
  const results = await Promise.allSettled(
    Array.from({ length: n }, () =>
      within(
        HostileClient.connect(h.port, { scope: h.scope, autoPong: false }),
        20_000,
        "connect",
      )),
  );
  const clients = results.flatMap((r) =>
    r.status === "fulfilled" ? [r.value] : []
  );
  const refusedConnect = results.length - clients.length;
  let hello = 0;
  let bye = 0;
  const problems: string[] = [];
  await Promise.all(clients.map(async (client) => {
    try {
      const first = await client.next(() => true, 20_000);
      if (first.startsWith("HELLO ")) hello++;
      else problems.push(first);
    } catch (error) {
      problems.push(firstLine(error));
    }
  }));
  const helloMs = performance.now() - started;
  await Promise.all(clients.map(async (client) => {
    try {
      await client.closedByServer(20_000);
      if (client.lines.some((line) => line.startsWith("BYE idle_timeout "))) {
        bye++;
      }
    } catch (error) {
      problems.push(firstLine(error));
    }
  }));
  for (const client of clients) await client.close();
  const deadline = Date.now() + 10_000;
  while (h.server.connectionCount > before && Date.now() < deadline) {
    await delay(50);
  }
  const after = h.server.connectionCount;
  context.done(
    row,
    `${clients.length}/${n} connected (${refusedConnect} failed), ${hello} got HELLO within ${
      Math.round(helloMs)
    } ms, ${bye} closed with BYE idle_timeout; server connections ${before} before, ${after} after${
      problems.length ? `; problems: ${problems.length} (${problems[0]})` : ""
    }`,
    clients.length === n && hello === n && bye === n && after === before &&
      problems.length === 0,
  );
}

async function flood(
  context: CaseContext,
  h: Harness,
  bob: HostileClient,
  phase: string,
): Promise<void> {
  const n = COUNTS.flood;
  const row = context.row(
    phase,
    `one member writes ${n} MSG lines at once (server: burst 20, 1000 lines/s)`,
  );
  const flooder = await h.user("flooder");
  let next = 0;
  let disorder = 0;
  const pattern = /^MESSAGE \d+ \d+ flooder flood (\d+)$/;
  const unsubscribe = bob.onLine((line) => {
    const match = pattern.exec(line);
    if (match === null) return;
    if (Number(match[1]) !== next) disorder++;
    next = Number(match[1]) + 1;
  });
  const started = performance.now();
  const problems: string[] = [];
  try {
    const bytes = encoder.encode(
      Array.from({ length: n }, (_, i) => `MSG flood ${i}\n`).join(""),
    );
    await within(flooder.writeRaw(bytes), 30_000 + n * 2, "write the flood");
    await flooder.expect("ERROR rate_limited ", 10_000);
    const deadline = Date.now() + 15_000 + n * 2;
    while (next < n && Date.now() < deadline) await delay(20);
  } catch (error) {
    problems.push(firstLine(error));
  } finally {
    unsubscribe();
  }
  const ms = performance.now() - started;
  const notices =
    flooder.lines.filter((line) => line.startsWith("ERROR rate_limited "))
      .length;
  context.done(
    row,
    `bob received ${next}/${n} in order (${disorder} out of order) over ${
      (ms / 1000).toFixed(1)
    } s (${
      Math.round(next / (ms / 1000))
    } lines/s); flooder got ${notices} ERROR rate_limited${
      problems.length ? `; problem: ${problems[0]}` : ""
    }`,
    next === n && disorder === 0 && notices >= 1 && problems.length === 0,
  );
}

async function neverReads(
  context: CaseContext,
  h: Harness,
  bob: HostileClient,
  phase: string,
): Promise<void> {
  const row = context.row(
    phase,
    "a member never reads while another sends 4000-byte messages to the room (queue bound 256 KiB, stall 2 s), up to 12 MB",
  );
  const password = h.scope.password(newPassword("stalled"));
  const stalled = await h.connect({ read: false });
  await stalled.writeRaw(
    encoder.encode(
      `REGISTER stalled ${password}\nLOGIN stalled ${password}\n`,
    ),
  );
  await bob.next((line) => /^USER_JOINED \d+ stalled$/.test(line));
  const bulk = await h.user("bulk");
  const text = "y".repeat(4000);
  const left = /^USER_LEFT \d+ stalled$/;
  const started = performance.now();
  let sent = 0;
  let got = 0;
  let dropped = false;
  const problems: string[] = [];
  const unsubscribe = bob.onLine((line) => {
    if (left.test(line)) dropped = true;
  });
  try {
    while (!dropped && sent < 3000) {
      for (let i = 0; i < 20; i++) await bulk.send(`MSG ${sent++} ${text}`);
      while (got < sent) {
        const line = await bob.next((l) => / bulk \d+ y+$/.test(l));
        if (!line.includes(` bulk ${got} `)) {
          problems.push(`out of order at ${got}`);
        }
        got++;
      }
    }
    const deadline = Date.now() + 10_000;
    while (!dropped && Date.now() < deadline) await delay(50);
  } catch (error) {
    problems.push(firstLine(error));
  } finally {
    unsubscribe();
  }
  const ms = performance.now() - started;
  await stalled.close();
  await bulk.close();
  context.done(
    row,
    `stalled member ${
      dropped ? "dropped" : "NOT dropped"
    } after ${sent} messages (${(sent * 4 / 1000).toFixed(1)} MB) in ${
      (ms / 1000).toFixed(1)
    } s; bob got all ${got} in order${
      problems.length ? `; problems: ${problems[0]}` : ""
    }`,
    dropped && got === sent && problems.length === 0,
  );
}

/** Slowloris against the deadlines, with a ManualClock: no sleeping. */
export async function manualSlowloris(context: CaseContext): Promise<void> {
  const n = COUNTS.manualSlowloris;
  const row = context.row(
    "Bad input: slowloris (ManualClock)",
    `${n} strangers trickle a byte every 11 s for 55 s; ${n} members send half a MSG line, then silence`,
  );
  const clock = new ManualClock();
  await using h = await startHarness("slowloris manual", {
    clock,
    sweepIntervalMs: 0,
  });
  const strangers = await Promise.all(
    Array.from({ length: n }, () => h.connect({ autoPong: false })),
  );
  for (const client of strangers) await client.expect("HELLO ");
  let openAt55 = 0;
  for (let i = 0; i < 5; i++) {
    clock.advance(11_000);
    for (const client of strangers) await client.writeRaw(encoder.encode("R"));
    h.server.sweep();
  }
  // Let the server read the trickle before checking.
  await delay(50);
  openAt55 = strangers.filter((client) => !client.closed).length;
  clock.advance(5_000);
  h.server.sweep();
  let idle = 0;
  for (const client of strangers) {
    await client.closedByServer();
    if (client.lines.some((line) => line.startsWith("BYE idle_timeout "))) {
      idle++;
    }
  }
  const members: HostileClient[] = [];
  for (let i = 0; i < n; i++) {
    const client = await h.connect({ autoPong: false });
    await client.registerAndLogin(
      `half${i}`,
      h.scope.password(newPassword(`half${i}`)),
    );
    members.push(client);
  }
  for (const client of members) {
    await client.writeRaw(encoder.encode("MSG half a line, then nothing"));
  }
  await delay(50);
  clock.advance(25_000);
  h.server.sweep();
  let pinged = 0;
  for (const client of members) {
    await client.expect("PING ");
    pinged++;
  }
  clock.advance(30_000);
  h.server.sweep();
  let timedOut = 0;
  for (const client of members) {
    await client.closedByServer();
    if (client.lines.some((line) => line.startsWith("BYE ping_timeout "))) {
      timedOut++;
    }
  }
  context.done(
    row,
    `strangers: ${openAt55}/${n} open at 55 s, ${idle}/${n} closed with BYE idle_timeout at 60 s; members: half a line did not count as a sign of life: ${pinged}/${n} pinged at 25 s, ${timedOut}/${n} closed with BYE ping_timeout at 55 s`,
    openAt55 === n && idle === n && pinged === n && timedOut === n,
  );
}
