/**
 * IP address text: which addresses are loopback, and the key that groups an
 * IPv6 /64 as one address (for throttles and connection caps). Used by the
 * server's limits and by the client's plaintext warning.
 *
 * @module
 */

/** Longest address text kept in a key: bounds memory for absurd input. */
const MAX_KEY_PART_LENGTH = 256;

/**
 * Reports whether an address is a loopback address: IPv4 `127.0.0.0/8`,
 * IPv6 `::1` in any spelling, or `127.0.0.0/8` mapped into IPv6
 * (`::ffff:127.0.0.1`). Accepts `[brackets]` and a `%zone`. Host names such
 * as `localhost` are not addresses and give `false`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLoopbackAddress } from "./ip_address.ts";
 *
 * assert.equal(isLoopbackAddress("127.0.0.1"), true);
 * assert.equal(isLoopbackAddress("::1"), true);
 * assert.equal(isLoopbackAddress("::ffff:127.0.0.2"), true);
 * assert.equal(isLoopbackAddress("192.0.2.1"), false);
 * ```
 *
 * @param address An IPv4 or IPv6 address as text.
 * @returns Whether it is a loopback address.
 */
export function isLoopbackAddress(address: string): boolean {
  const bare = stripBracketsAndZone(address);
  const ipv4 = parseIpv4(bare);
  if (ipv4 !== undefined) return ipv4[0] === 127;
  const ipv6 = parseIpv6(bare);
  if (ipv6 === undefined) return false;
  const mapped = mappedIpv4(ipv6);
  if (mapped !== undefined) return mapped >>> 24 === 127;
  return ipv6.every((group, i) => group === (i === 7 ? 1 : 0));
}

/**
 * The form an address is counted under: IPv4 as dotted quad, IPv4-mapped
 * IPv6 as its IPv4 address, other IPv6 as its /64 prefix, and anything else
 * (which a TCP peer never has) lowercased. Brackets and a zone (`%eth0`) are
 * dropped. Shared with the connection cap, so both group peers alike.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addressKey } from "./ip_address.ts";
 *
 * assert.equal(addressKey("::ffff:192.0.2.1"), "192.0.2.1");
 * assert.equal(addressKey("[2001:db8::1]"), "2001:db8:0:0::/64");
 * ```
 *
 * @param address An IP address as text.
 * @returns The key that address is counted under.
 */
export function addressKey(address: string): string {
  const bare = stripBracketsAndZone(address);
  const ipv4 = parseIpv4(bare);
  if (ipv4 !== undefined) return ipv4.join(".");
  const ipv6 = parseIpv6(bare);
  if (ipv6 === undefined) {
    return address.slice(0, MAX_KEY_PART_LENGTH).toLowerCase().replaceAll(
      "\0",
      "",
    );
  }
  const mapped = mappedIpv4(ipv6);
  if (mapped !== undefined) {
    return [
      mapped >>> 24,
      (mapped >>> 16) & 255,
      (mapped >>> 8) & 255,
      mapped & 255,
    ]
      .join(".");
  }
  return `${ipv6.slice(0, 4).map((g) => g.toString(16)).join(":")}::/64`;
}

function stripBracketsAndZone(address: string): string {
  let bare = address.trim();
  if (bare.startsWith("[") && bare.endsWith("]")) bare = bare.slice(1, -1);
  const zone = bare.indexOf("%");
  return zone === -1 ? bare : bare.slice(0, zone);
}

function parseIpv4(text: string): number[] | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (match === null) return undefined;
  const octets = match.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? octets : undefined;
}

/** Parses IPv6 text into 8 groups, or `undefined` if it is not IPv6. */
function parseIpv6(text: string): number[] | undefined {
  if (!text.includes(":")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = parseIpv6Groups(halves[0]!);
  const tail = halves.length === 2 ? parseIpv6Groups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

function parseIpv6Groups(text: string): number[] | undefined {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (const [i, part] of parts.entries()) {
    // An embedded IPv4 address may end the text, as in ::ffff:192.0.2.1.
    const ipv4 = i === parts.length - 1 ? parseIpv4(part) : undefined;
    if (ipv4 !== undefined) {
      groups.push((ipv4[0]! << 8) | ipv4[1]!, (ipv4[2]! << 8) | ipv4[3]!);
    } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/** Returns the IPv4 address inside `::ffff:a.b.c.d` as a 32-bit number. */
function mappedIpv4(groups: number[]): number | undefined {
  const isMapped = groups.slice(0, 5).every((g) => g === 0) &&
    groups[5] === 0xffff;
  if (!isMapped) return undefined;
  return ((groups[6]! << 16) | groups[7]!) >>> 0;
}
