/**
 * Certificates on the wire: the padded standard base64 a `CERT` reply
 * carries, and its conversion to and from a PEM `CERTIFICATE` block.
 *
 * @module
 */

import { checkedField, checkWith, type Field } from "./fields.ts";

const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;
// Before "==" only 2 of a character's 6 bits carry data, before "=" only 4;
// the rest must be zero.
const BASE64_PADDING_PATTERN = /(?:[^=]|[AQgw]==|[AEIMQUYcgkosw048]=)$/;
const PEM_BEGIN = "-----BEGIN CERTIFICATE-----";
const PEM_END = "-----END CERTIFICATE-----";
const PEM_LINE_LENGTH = 64;
const PEM_WHITE_SPACE_PATTERN = /[\t\n\v\f\r ]/g;

/**
 * Returns why `value` is not padded standard base64 (RFC 4648, section 4) in
 * its one canonical spelling, if it is not.
 */
export function base64Problem(
  name: string,
  value: string | undefined,
): string | undefined {
  if (value === undefined || value === "") return `missing ${name}`;
  if (!BASE64_PATTERN.test(value)) {
    return `${name} is not standard base64 (A-Z, a-z, 0-9, "+" and "/", then at most two "=", no spaces)`;
  }
  if (value.length % 4 !== 0) {
    return `${name} is ${value.length} base64 characters, not a multiple of 4 (it must be padded with "=")`;
  }
  if (!BASE64_PADDING_PATTERN.test(value)) {
    // Otherwise two spellings would decode to the same bytes.
    return `${name} has non-zero padding bits in its last base64 character`;
  }
  return undefined;
}

/** Checks a field to format as {@linkcode base64Problem} does. */
export function checkBase64(
  verb: string,
  name: string,
  value: unknown,
): string {
  return checkWith(verb, { name, value, problem: base64Problem });
}

/** A base64 field that ends the line (`CERT`'s certificate). */
export function base64Field(name: string): Field {
  return checkedField(name, { problem: base64Problem, check: checkBase64 });
}

/**
 * Wraps a certificate, given as the standard base64 of its DER encoding (the
 * `der` of a `CERT` reply), in a PEM `CERTIFICATE` block: the base64 in lines
 * of 64 characters between the `BEGIN` and `END` lines, with a final line
 * feed. This is the form `Deno.connectTls({ caCerts })` takes.
 *
 * @param base64Der The certificate as padded standard base64, without
 * spaces or line breaks.
 * @returns The PEM text.
 * @throws {TypeError} If `base64Der` is not a string, or not padded standard
 * base64 with zero padding bits (as `CERT` requires).
 *
 * @example Trust the certificate a server sent
 * ```ts
 * import { derToPem, parseReply } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * const reply = parseReply("CERT 5001 MIIBszCCAVmgAwIBAgIQ");
 * assert.ok(reply.type === "cert");
 * assert.equal(
 *   derToPem(reply.der),
 *   "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIQ\n-----END CERTIFICATE-----\n",
 * );
 * // Then: Deno.connectTls({ hostname, port: reply.port, caCerts: [that PEM] }).
 * assert.throws(() => derToPem("not base64!"), TypeError);
 * ```
 */
export function derToPem(base64Der: string): string {
  if (typeof base64Der !== "string") {
    throw new TypeError("Cannot make PEM: certificate is not a string");
  }
  const problem = base64Problem("certificate", base64Der);
  if (problem !== undefined) {
    throw new TypeError(`Cannot make PEM: ${problem}`);
  }
  const lines = [PEM_BEGIN];
  for (let index = 0; index < base64Der.length; index += PEM_LINE_LENGTH) {
    lines.push(base64Der.slice(index, index + PEM_LINE_LENGTH));
  }
  lines.push(PEM_END, "");
  return lines.join("\n");
}

/**
 * Extracts the certificate from PEM text as the standard base64 of its DER
 * encoding, ready to send in a `CERT` reply: the body of the first
 * `-----BEGIN CERTIFICATE-----` block, with its line breaks and other white
 * space removed. Text around the block, and further blocks (the rest of a
 * chain, a key), are ignored; `\r\n` line endings are fine.
 *
 * Never throws.
 *
 * @param pem PEM text, such as the contents of a certificate file.
 * @returns The base64 DER, or undefined if there is no `CERTIFICATE` block,
 * it has no `END` line, or its body is not padded standard base64.
 *
 * @example Send a certificate file in a CERT reply
 * ```ts
 * import { formatReply, pemToDer } from "./protocol.ts";
 * import assert from "node:assert/strict";
 *
 * const pem = "-----BEGIN CERTIFICATE-----\r\nMIIBszCC\r\nAVmgAwIB\r\n" +
 *   "-----END CERTIFICATE-----\r\n";
 * const der = pemToDer(pem);
 * assert.equal(der, "MIIBszCCAVmgAwIB");
 * assert.equal(formatReply({ type: "cert", port: 5001, der }), "CERT 5001 MIIBszCCAVmgAwIB");
 * assert.equal(pemToDer("-----BEGIN PRIVATE KEY-----\nMIGH\n-----END PRIVATE KEY-----\n"), undefined);
 * ```
 */
export function pemToDer(pem: string): string | undefined {
  if (typeof pem !== "string") return undefined;
  const begin = pem.indexOf(PEM_BEGIN);
  if (begin === -1) return undefined;
  const start = begin + PEM_BEGIN.length;
  const end = pem.indexOf(PEM_END, start);
  if (end === -1) return undefined;
  // RFC 7468 lets parsers accept white space anywhere in the base64 body.
  const body = pem.slice(start, end).replace(PEM_WHITE_SPACE_PATTERN, "");
  return base64Problem("certificate", body) === undefined ? body : undefined;
}
