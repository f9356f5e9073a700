/**
 * ngIRCd, the peer the benchmark compares against: finding the binary and
 * writing a configuration for one run on loopback, with the limits that
 * would refuse a thousand clients from one address lifted.
 *
 * @module
 */

import { join } from "node:path";

/** How to get ngIRCd where it is missing (Debian and Ubuntu). */
export const NGIRCD_INSTALL_HINT = "apt-get install -y ngircd";

/** Where to look besides `PATH` (Debian installs it in `/usr/sbin`). */
const EXTRA_DIRS = ["/usr/sbin", "/usr/local/sbin", "/sbin"];

/** Returns the path of the `ngircd` binary, or `undefined` when it is not installed. */
export function findNgircd(): string | undefined {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter((dir) => dir);
  for (const dir of [...dirs, ...EXTRA_DIRS]) {
    const path = join(dir, "ngircd");
    try {
      const info = Deno.statSync(path);
      if (info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0) return path;
    } catch {
      // Not there.
    }
  }
  return undefined;
}

/** Options for {@linkcode ngircdConfig}. */
export interface NgircdConfigOptions {
  /** Port to listen on, on 127.0.0.1. */
  port: number;
  /** Folder for the pid file. */
  dir: string;
  /** Longest nickname. @default {16} */
  maxNickLength?: number;
  /**
   * Keep ngIRCd's penalties (`MaxPenaltyTime = -1`, its default). Off
   * (`MaxPenaltyTime = 0`), a client is never held back: with them, one that
   * sends more than 256 bytes in a second (about four bench messages), or
   * more than 3 commands at once, is ignored for a second, and each `JOIN`
   * holds its client for a second. @default {true}
   */
  penalties?: boolean;
}

/**
 * An `ngircd.conf` for one benchmark run: loopback only, no DNS or ident
 * lookups (each would delay every login), no PAM, no limit on connections in
 * total or per address or on channels joined, a ping timeout far beyond the
 * run, and penalties as ngIRCd's default has them or (`penalties: false`,
 * the peak scenario) none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ngircdConfig } from "./ngircd.ts";
 *
 * const conf = ngircdConfig({ port: 6667, dir: "/tmp/x" });
 * assert.match(conf, /MaxConnectionsIP = 0/);
 * assert.match(conf, /MaxPenaltyTime = -1/);
 * assert.match(
 *   ngircdConfig({ port: 6667, dir: "/tmp/x", penalties: false }),
 *   /MaxPenaltyTime = 0/,
 * );
 * assert.match(conf, /Listen = 127\.0\.0\.1/);
 * ```
 */
export function ngircdConfig(options: NgircdConfigOptions): string {
  return `# Written by bench/ngircd.ts for one benchmark run.
[Global]
\tName = bench.irc.local
\tInfo = TCPChat benchmark peer
\tListen = 127.0.0.1
\tPorts = ${options.port}
\tPidFile = ${join(options.dir, "ngircd.pid")}
\tMotdPhrase = benchmark

[Limits]
\tMaxConnections = 0
\tMaxConnectionsIP = 0
\tMaxJoins = 0
\tMaxNickLength = ${options.maxNickLength ?? 16}
\tMaxPenaltyTime = ${options.penalties === false ? 0 : -1}
\tPingTimeout = 600
\tPongTimeout = 120
\tConnectRetry = 60

[Options]
\tDNS = no
\tIdent = no
\tPAM = no
`;
}
