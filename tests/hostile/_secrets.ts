/**
 * Secrets: deliberate probes (reset tokens, wrong and malformed credential
 * lines) at a live server, and the suite-wide scan of every server log line
 * and every line sent to an unauthenticated peer.
 *
 * @module
 */

import {
  type CaseContext,
  CONTROL,
  firstLine,
  newPassword,
  SCAN,
  startHarness,
} from "./_support.ts";

const encoder = new TextEncoder();

/** Probes that invite a server to repeat a secret. */
export async function secretProbes(context: CaseContext): Promise<void> {
  const row = context.row(
    "Secrets: probes",
    "RESET_REQUEST (known and unknown user), RESET_CONFIRM with bad/good/spent token, wrong/overlong/malformed LOGIN, REGISTER, PASSWORD, DELETE_ACCOUNT, RESUME with a password as token, credentials while logged in",
  );
  const hitsBefore = SCAN.hits.length;
  const problems: string[] = [];
  let probes = 0;
  let token = "";
  let tokenLines = 0;
  // The flood limit is not under test here.
  const h = await startHarness("secret probes", {
    rateBurst: 1_000_000,
    ratePerSecond: 1_000_000,
  });
  try {
    const alice = await h.user("alice");
    const p1 = [...h.scope.passwords][0]!;
    const requester = await h.connect();
    await requester.expect("HELLO ");
    const ask = async (line: string, prefix: string) => {
      probes++;
      await requester.send(line);
      const reply = await requester.next((l) =>
        !l.startsWith("USER_") && !l.startsWith("RESUME_TOKEN ")
      );
      if (!reply.startsWith(prefix)) {
        problems.push(`${line.slice(0, 40)}… → ${reply}`);
      }
      return reply;
    };
    const known = await ask("RESET_REQUEST alice", "RESET_REQUESTED ");
    const unknown = await ask("RESET_REQUEST nobody", "RESET_REQUESTED ");
    if (known !== unknown) problems.push("RESET_REQUESTED differs by account");
    const tokenLine = h.logs.find((line) => line.includes("【重置令牌】"));
    token = /令牌: (\S+)/.exec(tokenLine ?? "")?.[1] ?? "";
    if (token === "") problems.push("no reset token in the log");
    const p2 = h.scope.password(newPassword("p2"));
    const p3 = h.scope.password(newPassword("p3"));
    const tooLong = h.scope.password(
      `${newPassword("long")}${"L".repeat(1100)}`,
    );
    const short = h.scope.password("Zq7!x");
    await ask(`RESET_CONFIRM WRONG-TOKEN-0000 ${p2}`, "RESET_FAILURE");
    await ask(`RESET_CONFIRM ${token} ${short}`, "RESET_FAILURE");
    await ask(`RESET_CONFIRM ${token} ${p3}`, "RESET_SUCCESS");
    await alice.expect("BYE password_reset ");
    await ask(`RESET_CONFIRM ${token} ${p2}`, "RESET_FAILURE");
    await ask(`LOGIN alice ${p1}`, "AUTH_FAILURE");
    await ask(`LOGIN alice ${tooLong}`, "ERROR invalid_command ");
    await ask(`LOGIN  alice ${p3}`, "ERROR invalid_command ");
    await ask(`REGISTER bob ${tooLong}`, "ERROR invalid_command ");
    await ask(`REGISTER bob ${short}`, "REGISTER_FAILURE");
    await ask(`REGISTER alice ${p2}`, "REGISTER_FAILURE");
    await ask(
      `PASSWORD ${encoder.encode(p3).length} ${p3} ${p2}`,
      "ERROR not_logged_in ",
    );
    await ask(`DELETE_ACCOUNT alice ${p2}`, "DELETE_FAILURE");
    await ask(`RESUME alice ${p3}`, "AUTH_FAILURE");
    await ask(`LOGIN alice ${p3} ${p2}`, "AUTH_FAILURE");
    // Now logged in: the replies are not to a stranger any more, but they
    // must not repeat a password either.
    await ask(`LOGIN alice ${p3}`, "AUTH_SUCCESS alice");
    // UNREAD ends the login's lines.
    await requester.expect("UNREAD");
    const p4 = h.scope.password(newPassword("p4"));
    const loggedInFrom = requester.lines.length;
    await ask(`PASSWORD 3 ${p3} ${p4}`, "ERROR invalid_command ");
    await ask(
      `PASSWORD ${encoder.encode(p2).length} ${p2} ${p4}`,
      "PASSWORD_FAILURE",
    );
    await ask(
      `PASSWORD ${encoder.encode(p3).length} ${p3} ${short}`,
      "PASSWORD_FAILURE",
    );
    await ask(
      `PASSWORD ${encoder.encode(p3).length} ${p3} ${p4}`,
      "PASSWORD_SUCCESS",
    );
    await ask(`LOGIN alice ${p4}`, "ERROR already_logged_in ");
    for (const line of requester.lines.slice(loggedInFrom)) {
      for (const secret of [p1, p2, p3, p4, tooLong, token]) {
        if (line.includes(secret)) {
          problems.push(
            `logged-in reply repeats a secret: ${line.slice(0, 60)}`,
          );
        }
      }
    }
    tokenLines = h.logs.filter((line) => line.includes(token)).length;
    for (const line of requester.lines) {
      if (CONTROL.test(line)) {
        problems.push(`control character: ${JSON.stringify(line)}`);
      }
    }
  } catch (error) {
    problems.push(firstLine(error));
  } finally {
    // Scans the log and the strangers' lines (passwords, hashes, the token).
    await h[Symbol.asyncDispose]();
  }
  const hits = SCAN.hits.slice(hitsBefore);
  context.done(
    row,
    `${probes} probes answered as specified; the reset token is in ${tokenLines} log line (the 【重置令牌】 line) and nowhere else; scan of this server: ${hits.length} secrets found${
      hits.length ? ` (${hits[0]})` : ""
    }${
      problems.length ? `; problems: ${problems.join("; ").slice(0, 300)}` : ""
    }`,
    hits.length === 0 && problems.length === 0 && tokenLines === 1,
  );
}

/** The suite-wide scan, over every scope closed so far. */
export function secretScan(context: CaseContext): Promise<void> {
  const row = context.row(
    "Secrets: whole suite",
    "every server log line (in-process and spawned server.ts) and every line sent to an unauthenticated peer, against every password used, every stored password hash (full, salt, key; base64 and hex) and every reset token",
  );
  context.done(
    row,
    `${SCAN.scopes} servers, ${SCAN.logLines} log lines, ${SCAN.unauthLines} lines (${
      (SCAN.unauthBytes / 1e6).toFixed(2)
    } MB) to unauthenticated peers; ${SCAN.passwords} passwords, ${SCAN.hashes} hashes, ${SCAN.resetTokens} reset tokens (${SCAN.tokenLogLines} 【重置令牌】 lines); secrets found: ${SCAN.hits.length}${
      SCAN.hits.length ? ` (${SCAN.hits.slice(0, 3).join(" | ")})` : ""
    }`,
    SCAN.hits.length === 0 && SCAN.scopes > 0,
  );
  const hygiene = context.row(
    "Output hygiene: control characters",
    "every line any client of the suite received, and every server log line",
  );
  context.done(
    hygiene,
    `lines to clients with a control character or bad UTF-8: ${SCAN.controlLines}${
      SCAN.controlSamples.length ? ` (${SCAN.controlSamples.join(", ")})` : ""
    }; log lines with a raw control character (LF aside): ${SCAN.controlLogLines}${
      SCAN.controlLogSamples.length
        ? ` (${SCAN.controlLogSamples.join(", ")})`
        : ""
    }`,
    SCAN.controlLines === 0 && SCAN.controlLogLines === 0,
  );
  return Promise.resolve();
}
