/**
 * Parses what a user types at the client's address prompt: a host, a
 * `host:port`, an IPv6 address bare or in brackets, or `[v6]:port`. Pure: no
 * I/O.
 *
 * @module
 */

/** The host the address prompt uses when the user types nothing. */
export const DEFAULT_HOST = "localhost";

/** The result of {@linkcode parseAddress}. */
export type ParsedAddress =
  /** A host, and the port if one was typed after it. */
  | { type: "ok"; host: string; port?: number }
  /** A `host:port` whose port is not 1 to 65535; `port` as typed. */
  | { type: "bad_port"; port: string }
  /** Not an address: an unclosed `[`, text after `]`, an empty host. */
  | { type: "bad_address" };

/** Parses a TCP port, 1 to 65535, in decimal; `undefined` if it is not one. */
export function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

function withPort(host: string, portText: string | undefined): ParsedAddress {
  if (host === "") return { type: "bad_address" };
  if (portText === undefined) return { type: "ok", host };
  const port = parsePort(portText);
  return port === undefined
    ? { type: "bad_port", port: portText }
    : { type: "ok", host, port };
}

/**
 * Parses an answer to the address prompt. Blank is {@linkcode DEFAULT_HOST};
 * `host:port` and `[v6]:port` carry a port; an address with two or more
 * colons and no brackets is a bare IPv6 address without a port. The host of
 * a bracketed IPv6 address comes back without its brackets, as
 * `Deno.connect` takes it.
 *
 * Never throws.
 *
 * @example
 * ```ts
 * import { parseAddress } from "./address.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(parseAddress("127.0.0.1:5000"), {
 *   type: "ok",
 *   host: "127.0.0.1",
 *   port: 5000,
 * });
 * assert.deepEqual(parseAddress("[::1]:6000"), {
 *   type: "ok",
 *   host: "::1",
 *   port: 6000,
 * });
 * assert.deepEqual(parseAddress(""), { type: "ok", host: "localhost" });
 * ```
 */
export function parseAddress(text: string): ParsedAddress {
  const answer = text.trim();
  if (answer === "") return { type: "ok", host: DEFAULT_HOST };
  if (answer.startsWith("[")) {
    const match = /^\[([^\[\]\s]+)\](?::(.*))?$/.exec(answer);
    if (match === null) return { type: "bad_address" };
    return withPort(match[1]!, match[2]);
  }
  if (/\s/.test(answer) || /[\[\]]/.test(answer)) {
    return { type: "bad_address" };
  }
  const colons = answer.split(":").length - 1;
  if (colons === 0) return { type: "ok", host: answer };
  if (colons >= 2) return { type: "ok", host: answer }; // bare IPv6
  const index = answer.indexOf(":");
  return withPort(answer.slice(0, index), answer.slice(index + 1));
}
