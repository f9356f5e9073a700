/**
 * Fuzz cases: generated lines and byte chunks through `LineFramer`,
 * `parseCommand`/`parseChatText`, `parseReply`/`formatReply`, and a live
 * server. Every property runs once with a fixed seed and once with a random
 * one (printed in the table, replayable with `TCPCHAT_HOSTILE_SEED`).
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { type FramedLine, LineFramer } from "../../lib/protocol/line_framer.ts";
import {
  formatCommand,
  formatReply,
  MAX_LINE_BYTES,
  parseChatText,
  parseCommand,
  parseReply,
} from "../../lib/protocol/protocol.ts";
import {
  type CaseContext,
  CONTROL,
  COUNTS,
  firstLine,
  type HostileClient,
  SEEDS,
  startHarness,
  within,
} from "./_support.ts";

const encoder = new TextEncoder();
const LF = 0x0a;
const CR = 0x0d;

const COMMAND_VERBS = [
  "REGISTER",
  "LOGIN",
  "RESUME",
  "RESET_REQUEST",
  "RESET_CONFIRM",
  "LOGOUT",
  "DELETE_ACCOUNT",
  "PASSWORD",
  "MSG",
  "PING",
  "PONG",
  "JOIN",
  "LEAVE",
  "ROOMS",
  "PRIVMSG",
  "USERS",
  "HISTORY",
  "KICK",
  "MUTE",
  "UNMUTE",
  "DELETE",
  "STATUS",
  "WHOIS",
];

const REPLY_VERBS = [
  "HELLO",
  "REGISTER_SUCCESS",
  "RECOVERY_CODE",
  "REGISTER_FAILURE",
  "AUTH_SUCCESS",
  "AUTH_FAILURE",
  "RESUME_TOKEN",
  "RESET_REQUESTED",
  "RESET_SUCCESS",
  "RESET_FAILURE",
  "DELETE_SUCCESS",
  "DELETE_FAILURE",
  "PASSWORD_SUCCESS",
  "PASSWORD_FAILURE",
  "ERROR",
  "LOGOUT_SUCCESS",
  "PONG",
  "PING",
  "JOINED",
  "ROOM_LIST",
  "USER_LIST",
  "PM_QUEUED",
  "HISTORY_BEGIN",
  "HISTORY_MESSAGE",
  "HISTORY_END",
  "WHOIS_INFO",
  "OK",
  "WELCOME",
  "MESSAGE",
  "USER_JOINED",
  "USER_LEFT",
  "SYSTEM",
  "BYE",
  "PRIVATE",
  "PM_DELIVERED",
  "OFFLINE_BEGIN",
  "OFFLINE_END",
  "MESSAGE_DELETED",
  "MUTED",
  "UNMUTED",
];

/** Replies whose word fields (token, code, version) the grammar lets hold controls. */
const WORD_REPLIES = new Set(["resume_token", "recovery_code", "hello"]);

const INVALID_CODES = new Set([
  "invalid_command",
  "empty_message",
  "message_too_long",
]);

/** Words and characters that sit on the edges of the grammar. */
const EDGE_PIECES = [
  "",
  " ",
  "  ",
  "\t",
  "\u0000",
  "\u0007",
  "\u001b[2J\u001b[H",
  "\u007f",
  "\u0085",
  "\u009b31m",
  "\u00a0",
  "\u200b",
  "\u2028",
  "\u3000",
  "\ufeff",
  "\ud800",
  "\udfff",
  "😀",
  "👨‍👩‍👧",
  "张三",
  "小王",
  "ｂｏｂ",
  "-",
  "*",
  "=",
  "0",
  "007",
  "1024",
  "1025",
  "10080",
  "10081",
  "9007199254740991",
  "9007199254740992",
  "before",
  "after",
  "all",
  "tcpchat/1",
  "大厅",
  "admin",
];

const piece = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "grapheme", maxLength: 16 }) },
  { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 16 }) },
  { weight: 4, arbitrary: fc.constantFrom(...EDGE_PIECES) },
  { weight: 2, arbitrary: fc.nat().map(String) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1016, max: 1032 }).map((n) => "p".repeat(n)),
  },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 4088, max: 4104 }).map((n) => "m".repeat(n)),
  },
);

const args = fc.array(piece, { maxLength: 6 }).chain((parts) =>
  fc.constantFrom(" ", "", "  ").map((sep) => parts.join(sep))
);

/** A verb (client or server) followed by generated arguments, or nothing. */
const verbLine = (verbs: string[]) =>
  fc.tuple(fc.constantFrom(...verbs), fc.option(args)).map(([verb, rest]) =>
    rest === null ? verb : `${verb} ${rest}`
  );

const num = fc.oneof(
  fc.nat().map(String),
  fc.constantFrom("0", "007", "9007199254740991", "9007199254740992", "-1"),
);
const name = fc.oneof(
  fc.constantFrom("张三", "bob", "小王", "a\u0000b", "*", "-", "a=b", ""),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 8 }),
);
const flag = fc.constantFrom("0", "1", "2");
const code = fc.constantFrom("line_too_long", "rate_limited", "x_1", "Bad", "");

/** Server lines with their fields in place, so that many parse. */
const replyTemplate = fc.oneof(
  fc.tuple(num, num, name, args).map(([id, time, from, text]) =>
    `MESSAGE ${id} ${time} ${from} ${text}`
  ),
  fc.tuple(num, num, name, name, args).map(([id, time, from, to, text]) =>
    `PRIVATE ${id} ${time} ${from} ${to} ${text}`
  ),
  fc.tuple(num, num, name, args).map(([id, time, from, text]) =>
    `HISTORY_MESSAGE ${id} ${time} ${from} ${text}`
  ),
  fc.tuple(fc.constantFrom("USER_JOINED", "USER_LEFT", "WELCOME"), num, name)
    .map(([verb, n, who]) => `${verb} ${n} ${who}`),
  fc.tuple(num, args).map(([time, text]) => `SYSTEM ${time} ${text}`),
  fc.tuple(fc.constantFrom("ERROR", "BYE", "OK"), code, fc.option(args)).map((
    [verb, c, text],
  ) => text === null ? `${verb} ${c}` : `${verb} ${c} ${text}`),
  fc.tuple(name, num, flag, fc.oneof(num, fc.constant("-")), name, flag)
    .chain((fields) =>
      fc.option(args).map((status) =>
        `WHOIS_INFO ${fields.join(" ")}${status === null ? "" : ` ${status}`}`
      )
    ),
  fc.array(fc.tuple(name, num), { maxLength: 4 }).map((rooms) =>
    ["ROOM_LIST", ...rooms.map(([room, n]) => `${room}=${n}`)].join(" ")
  ),
  fc.tuple(name, fc.array(name, { maxLength: 4 })).map(([scope, users]) =>
    ["USER_LIST", scope, ...users].join(" ")
  ),
  fc.tuple(num, fc.option(args)).map(([until, reason]) =>
    reason === null ? `MUTED ${until}` : `MUTED ${until} ${reason}`
  ),
  fc.tuple(name, num).map(([room, n]) => `JOINED ${room} ${n}`),
  fc.tuple(name, flag).map(([room, more]) => `HISTORY_END ${room} ${more}`),
);

/** Any line: commands, replies, arbitrary text and code points. */
export const anyLine = fc.oneof(
  { weight: 4, arbitrary: verbLine(COMMAND_VERBS) },
  { weight: 2, arbitrary: verbLine(REPLY_VERBS) },
  { weight: 3, arbitrary: replyTemplate },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 120 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 60 }) },
  { weight: 1, arbitrary: args },
);

/** Byte sequences that are not UTF-8, or split a character. */
const BAD_BYTES = [
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
  [0xe4, 0xb8],
  [0xf0, 0x9f, 0x98],
  [0xc3],
  [0x0d],
  [0x0d, 0x0d, 0x0a],
  [0x00],
].map((bytes) => new Uint8Array(bytes));

const chunk = fc.oneof(
  { weight: 4, arbitrary: fc.uint8Array({ maxLength: 48 }) },
  { weight: 4, arbitrary: anyLine.map((line) => encoder.encode(line)) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "\n",
      "\r\n",
      "\r",
      "é",
      "张",
      "😀",
    ).map((s) => encoder.encode(s)),
  },
  { weight: 3, arbitrary: fc.constantFrom(...BAD_BYTES) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1, max: 20_000 }).map((n) =>
      new Uint8Array(n).fill(0x41)
    ),
  },
);

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

function outcome(framed: FramedLine): string {
  return framed.ok ? `L:${framed.line}` : `E:${framed.error.code}`;
}

/**
 * The framing the protocol specifies, written as plainly as possible: split
 * on LF, drop one CR before it, cap the rest, decode strictly. An
 * unterminated last line is a line.
 */
function referenceFrame(bytes: Uint8Array, max: number): string[] {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const out: string[] = [];
  let start = 0;
  while (true) {
    const end = bytes.indexOf(LF, start);
    const last = end === -1;
    let segment = bytes.subarray(start, last ? bytes.length : end);
    if (last && segment.length === 0) break;
    if (segment[segment.length - 1] === CR) {
      segment = segment.subarray(0, segment.length - 1);
    }
    if (segment.length > max) out.push("E:line_too_long");
    else {
      try {
        out.push(`L:${decoder.decode(segment)}`);
      } catch {
        out.push("E:invalid_utf8");
      }
    }
    if (last) break;
    start = end + 1;
  }
  return out;
}

function fitsLine(line: string): boolean {
  return encoder.encode(line).length <= MAX_LINE_BYTES;
}

function runs(): { fixed: number; random: number } {
  const half = Math.ceil(COUNTS.fuzzInputs / 2);
  return { fixed: half, random: COUNTS.fuzzInputs - half };
}

function seeded(
  property: fc.IProperty<unknown>,
): { ok: boolean; detail: string } {
  const { fixed, random } = runs();
  for (
    const [seed, numRuns] of [[SEEDS.fixed, fixed], [
      SEEDS.random,
      random,
    ]] as const
  ) {
    const details = fc.check(property, { seed, numRuns });
    if (details.failed) {
      return {
        ok: false,
        detail: `seed ${seed} path ${details.counterexamplePath}: ${
          firstLine(details.errorInstance)
        } — ${fc.stringify(details.counterexample).slice(0, 200)}`,
      };
    }
  }
  return { ok: true, detail: "" };
}

/** LineFramer against the reference framing, with bounded memory. */
export function fuzzFramer(context: CaseContext): void {
  const row = context.row(
    "Fuzz: LineFramer",
    `${COUNTS.fuzzInputs} chunk streams (≤30 chunks of random bytes, lines, bad UTF-8, runs ≤20 kB), caps 1..8192; seeds ${SEEDS.fixed}+${SEEDS.random}`,
  );
  let chunks = 0;
  let bytes = 0;
  let lines = 0;
  let errors = 0;
  const result = seeded(
    fc.property(
      fc.array(chunk, { maxLength: 30 }),
      fc.constantFrom(1, 2, 3, 4, 7, 64, 1024, 8192),
      (stream, max) => {
        const framer = new LineFramer({ maxLineBytes: max });
        const got: string[] = [];
        for (const c of stream) {
          for (const framed of framer.push(c)) {
            got.push(outcome(framed));
            if (framed.ok) {
              assert.ok(!framed.line.includes("\n"));
              assert.ok(encoder.encode(framed.line).length <= max);
            }
          }
          assert.ok(framer.pendingBytes <= max, "pendingBytes over the cap");
        }
        const tail = framer.end();
        assert.ok(tail.length <= 1);
        got.push(...tail.map(outcome));
        assert.deepEqual(got, referenceFrame(concat(stream), max));
        chunks += stream.length;
        bytes += stream.reduce((n, c) => n + c.length, 0);
        lines += got.filter((g) => g.startsWith("L:")).length;
        errors += got.filter((g) => g.startsWith("E:")).length;
      },
    ),
  );
  context.done(
    row,
    result.ok
      ? `0 throws; ${chunks} chunks, ${
        (bytes / 1e6).toFixed(1)
      } MB, ${lines} lines, ${errors} typed errors; all equal to the reference framing; pendingBytes never over the cap`
      : result.detail,
    result.ok,
  );
}

/** parseCommand and parseChatText: never throw, canonical, no secret in a reason. */
export function fuzzCommands(context: CaseContext): void {
  const row = context.row(
    "Fuzz: parseCommand/parseChatText",
    `${COUNTS.fuzzInputs} lines + ${COUNTS.fuzzInputs} credential lines (REGISTER/LOGIN/DELETE_ACCOUNT/RESET_CONFIRM/PASSWORD with marked passwords); seeds ${SEEDS.fixed}+${SEEDS.random}`,
  );
  const types = new Map<string, number>();
  const parsed = seeded(
    fc.property(anyLine, (line) => {
      const command = parseCommand(line);
      types.set(command.type, (types.get(command.type) ?? 0) + 1);
      if (command.type === "invalid") {
        assert.ok(INVALID_CODES.has(command.code), command.code);
        assert.equal(typeof command.reason, "string");
      } else if (command.type !== "unknown" && fitsLine(line)) {
        // The syntax is canonical (docs/PROTOCOL.md, section 3). A line
        // over the cap never reaches the parser from the wire, and
        // formatCommand refuses to make one.
        assert.equal(formatCommand(command), line);
      }
      const chat = parseChatText(line);
      if (chat.type === "msg") assert.equal(chat.text, line);
      else assert.ok(INVALID_CODES.has(chat.code), chat.code);
    }),
  );
  // "ERROR invalid_command messages describe the problem without repeating
  // any password from the line" (docs/PROTOCOL.md, section 9).
  const secretPiece = fc.array(piece, { maxLength: 3 }).map((parts) =>
    `⟦${parts.join(" ")}⟧`
  );
  const user = fc.oneof(
    fc.constantFrom("bob", "张三", "", "a b", "x".repeat(40)),
    fc.string({ unit: "grapheme-ascii", maxLength: 10 }),
  ).filter((name) => !name.includes("⟦"));
  let invalidCredentialLines = 0;
  const credentials = seeded(
    fc.property(
      fc.constantFrom(
        "REGISTER",
        "LOGIN",
        "DELETE_ACCOUNT",
        "RESET_CONFIRM",
        "PASSWORD",
      ),
      user,
      secretPiece,
      secretPiece,
      fc.integer({ min: -3, max: 3 }),
      (verb, name, secret, other, skew) => {
        const line = verb === "PASSWORD"
          ? `PASSWORD ${
            Math.max(0, encoder.encode(secret).length + skew)
          } ${secret} ${other}`
          : `${verb} ${name} ${secret}`;
        const command = parseCommand(line);
        if (command.type !== "invalid") return;
        invalidCredentialLines++;
        assert.ok(!command.reason.includes(secret), command.reason);
        assert.ok(!command.reason.includes(other), command.reason);
      },
    ),
  );
  const ok = parsed.ok && credentials.ok;
  context.done(
    row,
    ok
      ? `0 throws; ${
        [...types].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([type, n]) =>
          `${type} ${n}`
        ).join(", ")
      }, …; every valid command formats back to its line; ${invalidCredentialLines} invalid credential lines, none repeats its password`
      : [parsed.detail, credentials.detail].filter(Boolean).join("; "),
    ok,
  );
}

/** parseReply and formatReply: never throw, one printable line, idempotent. */
export function fuzzReplies(context: CaseContext): void {
  const row = context.row(
    "Fuzz: parseReply/formatReply",
    `${COUNTS.fuzzInputs} lines (server verbs with edge arguments, arbitrary code points); seeds ${SEEDS.fixed}+${SEEDS.random}`,
  );
  let valid = 0;
  const controlWords = new Map<string, number>();
  const result = seeded(
    fc.property(anyLine, (line) => {
      const reply = parseReply(line);
      if (reply.type === "invalid") {
        assert.equal(typeof reply.reason, "string");
        return;
      }
      if (!fitsLine(line)) return;
      valid++;
      const formatted = formatReply(reply);
      if (CONTROL.test(formatted)) {
        // The grammar lets a word (token, recovery code, server version)
        // hold control characters; texts and names must not.
        assert.ok(WORD_REPLIES.has(reply.type), JSON.stringify(formatted));
        controlWords.set(reply.type, (controlWords.get(reply.type) ?? 0) + 1);
      }
      const again = parseReply(formatted);
      assert.ok(again.type !== "invalid", JSON.stringify(formatted));
      assert.equal(formatReply(again), formatted);
    }),
  );
  context.done(
    row,
    result.ok
      ? `0 throws; ${valid} valid replies, each formats to one line that re-parses to itself; control characters only in word fields: ${
        [...controlWords].map(([type, n]) => `${type} ${n}`).join(", ") ||
        "none"
      } (the grammar allows them there)`
      : result.detail,
    result.ok,
  );
}

/** The password of every fuzz-made account (a secret like any other). */
const FUZZ_PASSWORD = "fuzz-pass-1";

/** One generated piece of traffic for the live server. */
const liveItem: fc.Arbitrary<Uint8Array> = fc.oneof(
  {
    weight: 36,
    arbitrary: fc.tuple(verbLine(COMMAND_VERBS), fc.constantFrom("\n", "\r\n"))
      .map(([line, end]) => encoder.encode(line + end)),
  },
  {
    weight: 18,
    arbitrary: fc.tuple(anyLine, fc.constantFrom("\n", "\r\n", "")).map((
      [line, end],
    ) => encoder.encode(line + end)),
  },
  { weight: 18, arbitrary: fc.uint8Array({ maxLength: 48 }) },
  {
    weight: 12,
    arbitrary: fc.constantFrom(...BAD_BYTES).map((bytes) =>
      concat([bytes, encoder.encode("\n")])
    ),
  },
  {
    // A session: later lines on this connection are chat and chat commands.
    // Its lines stand alone (a leading LF ends any partial line), so that
    // the password is never part of a chat text the fuzz itself typed.
    weight: 6,
    arbitrary: fc.nat().map((n) =>
      encoder.encode(
        `\nREGISTER fz${n} ${FUZZ_PASSWORD}\nLOGIN fz${n} ${FUZZ_PASSWORD}\nJOIN r${
          n % 3
        }\n`,
      )
    ),
  },
  {
    // Over the line cap, ended or not: the server closes the connection.
    weight: 1,
    arbitrary: fc.tuple(fc.integer({ min: 8193, max: 12_000 }), fc.boolean())
      .map(([n, terminated]) =>
        concat([
          new Uint8Array(n).fill(0x42),
          terminated ? encoder.encode("\n") : new Uint8Array(0),
        ])
      ),
  },
);

/**
 * Cuts a connection's items into segments, each sent on its own connection:
 * a segment ends with the item in which a line passes the cap (the server
 * closes the connection there and reads nothing after it).
 */
function segments(
  items: Uint8Array[],
): { items: Uint8Array[]; closes: boolean }[] {
  const out: { items: Uint8Array[]; closes: boolean }[] = [];
  let framer = new LineFramer();
  let current: Uint8Array[] = [];
  for (const item of items) {
    current.push(item);
    const tooLong = framer.push(item).some((framed) =>
      !framed.ok && framed.error.code === "line_too_long"
    );
    if (tooLong) {
      out.push({ items: current, closes: true });
      current = [];
      framer = new LineFramer();
    }
  }
  if (current.length > 0) out.push({ items: current, closes: false });
  return out;
}

/**
 * Whether the server's `BYE protocol_errors` is what the protocol says: the
 * 20 answers before it were `ERROR invalid_utf8` or `invalid_command` (a
 * batch of random lines can hold 20 bad ones in a row).
 */
function twentyBadLines(lines: readonly string[]): boolean {
  const bye = lines.findLastIndex((line) => line.startsWith("BYE "));
  const answers = lines.slice(0, bye).filter((line) =>
    line.startsWith("ERROR ")
  ).slice(-20);
  return answers.length === 20 &&
    answers.every((line) =>
      /^ERROR (invalid_utf8|invalid_command) /.test(line)
    );
}

/** Generated traffic at a live server on a few connections, then a normal chat. */
export async function fuzzLive(context: CaseContext): Promise<void> {
  const row = context.row(
    "Fuzz: live server",
    `${COUNTS.fuzzInputs} generated lines/chunks (commands, replies, raw bytes, bad UTF-8, sessions, ~1% over 8 KiB) on ${COUNTS.fuzzConnections} connections, batches of ${COUNTS.fuzzBatch} each ended by PING; seeds ${SEEDS.fixed}+${SEEDS.random}`,
  );
  await using h = await startHarness("fuzz live", {
    rateBurst: 1_000_000,
    ratePerSecond: 1_000_000,
  });
  h.scope.password(FUZZ_PASSWORD);
  const stats = {
    items: 0,
    bytes: 0,
    batches: 0,
    pongs: 0,
    maxPongMs: 0,
    closes: new Map<string, number>(),
    registered: 0,
    loggedIn: 0,
    serverLines: 0,
  };
  const unexpected: string[] = [];
  const connections: HostileClient[] = [];
  const count = (client: HostileClient) => {
    client.onLine((line) => {
      stats.serverLines++;
      if (line === "REGISTER_SUCCESS") stats.registered++;
      else if (line.startsWith("AUTH_SUCCESS ")) stats.loggedIn++;
    });
    return client;
  };
  for (let i = 0; i < COUNTS.fuzzConnections; i++) {
    connections.push(count(await h.connect()));
  }
  let ping = 0;

  /** Sends items on connection `slot`, reconnecting after each close. */
  async function drive(slot: number, items: Uint8Array[]): Promise<void> {
    for (const segment of segments(items)) {
      const token = `fz${++ping}`;
      const client = connections[slot]!;
      const bytes = concat([
        ...segment.items,
        encoder.encode(`\nPING ${token}\n`),
      ]);
      stats.items += segment.items.length;
      stats.bytes += bytes.length;
      const started = performance.now();
      try {
        await within(client.writeRaw(bytes), 20_000, "write a fuzz batch");
      } catch (error) {
        // The server may close before it has read a long line's end.
        if (!client.closed && !segment.closes) throw error;
      }
      let reply: string;
      try {
        reply = await client.next(
          (line) => line === `PONG ${token}` || line.startsWith("BYE "),
          20_000,
        );
      } catch (error) {
        if (!client.closed) throw error;
        reply = "(closed without BYE)";
      }
      if (reply === `PONG ${token}` && !segment.closes) {
        stats.pongs++;
        stats.maxPongMs = Math.max(
          stats.maxPongMs,
          performance.now() - started,
        );
        continue;
      }
      let code = reply.startsWith("BYE ") ? reply.split(" ")[1]! : reply;
      if (code === "(closed without BYE)" && segment.closes) {
        // The server closes with our unread bytes in its receive buffer, so
        // the kernel sends RST and drops what it had not sent yet: ERROR and
        // BYE line_too_long can be lost (see the report). Counted, not failed.
        code = `line_too_long (no BYE; read ended by ${
          client.readError ?? "EOF"
        })`;
      }
      stats.closes.set(code, (stats.closes.get(code) ?? 0) + 1);
      // line_too_long where the framing predicts it; idle_timeout for a
      // connection that stayed logged out for 60 s. Anything else is a finding.
      const expected = code === "idle_timeout" ||
        (segment.closes && code.startsWith("line_too_long")) ||
        (code === "protocol_errors" && twentyBadLines(client.lines));
      if (!expected) {
        unexpected.push(
          `${reply.slice(0, 80)} (expected ${
            segment.closes ? "line_too_long" : "PONG"
          }; last lines: ${
            client.lines.slice(-3).map((l) => l.slice(0, 60)).join(" | ")
          })`,
        );
      }
      await client.closedByServer(10_000).catch(() => {});
      await client.close();
      connections[slot] = count(await h.connect());
    }
  }

  const { fixed, random } = runs();
  let failure = "";
  for (
    const [seed, total] of [[SEEDS.fixed, fixed], [
      SEEDS.random,
      random,
    ]] as const
  ) {
    const batch = COUNTS.fuzzBatch;
    const details = await fc.check(
      fc.asyncProperty(
        fc.array(liveItem, { minLength: batch, maxLength: batch }),
        async (items) => {
          stats.batches++;
          const per = Math.ceil(items.length / connections.length);
          await Promise.all(
            connections.map((_, slot) =>
              drive(slot, items.slice(slot * per, (slot + 1) * per))
            ),
          );
        },
      ),
      { seed, numRuns: Math.ceil(total / batch), endOnFailure: true },
    );
    if (details.failed) {
      failure = `seed ${seed}: ${firstLine(details.errorInstance)}`;
      break;
    }
  }

  // Afterwards a normal client registers, logs in and chats.
  let chatOk = false;
  try {
    const after1 = await h.user("after1");
    const after2 = await h.user("after2");
    await after1.send("MSG 一切正常 after the fuzz");
    await after2.next(
      (line) => / after1 一切正常 after the fuzz$/.test(line),
      10_000,
    );
    chatOk = true;
  } catch (error) {
    failure ||= `normal chat afterwards: ${firstLine(error)}`;
  }
  const errors = h.logs.filter((line) => line.includes("[error]"));
  for (const client of connections) await client.close();
  const ok = failure === "" && chatOk && errors.length === 0 &&
    unexpected.length === 0;
  context.done(
    row,
    `${stats.items} items, ${
      (stats.bytes / 1e6).toFixed(1)
    } MB in ${stats.batches} batches; ${stats.pongs} PINGs answered (slowest ${
      Math.round(stats.maxPongMs)
    } ms), 0 hangs; ${stats.serverLines} server lines; closes: ${
      [...stats.closes].map(([code, n]) => `${code} ${n}`).join(", ") ||
      "none"
    }; fuzz sessions: ${stats.registered} registered, ${stats.loggedIn} logged in; server [error] log lines: ${errors.length}${
      errors.length ? ` (${errors[0]!.slice(0, 100)})` : ""
    }; unexpected closes: ${unexpected.length}${
      unexpected.length ? ` (${unexpected[0]})` : ""
    }; normal register/login/chat afterwards: ${chatOk ? "ok" : "FAILED"}${
      failure ? `; ${failure}` : ""
    }`,
    ok,
  );
}
