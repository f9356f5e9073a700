/**
 * The client's command line: its flags and environment to
 * {@linkcode ClientOptions}, the usage text, and the test-only timing hooks.
 * Pure: the environment is passed in.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { resolveLang } from "../shared/messages.ts";
import { parsePort } from "./address.ts";
import type { ClientOptions, RunClientOptions } from "./app.ts";

/** `--help`'s text. */
export const USAGE = `用法 / Usage: tcpchat-client [options]

Options:
  --host <addr>     server address (skips the prompt; env TCPCHAT_HOST)
  --port <n>        server port (skips the prompt; env TCPCHAT_PORT)
  --user <name>     username for logging in (skips that prompt)
  --lang zh|en      interface language (default zh; env TCPCHAT_LANG, or LANG=en_*)
  --tls             encrypt: fetch the server's certificate, confirm its fingerprint
                    on first use (remembered per host:port), refuse if it changes
  --ca <pem>        with --tls: trust this certificate (or CA) instead
  --tls-port <n>    with --tls: the server's TLS port (default: as the server announces)
  --help            show this help
  --version         show the version

In the chat, type /help for commands; 'exit' or 'logout' leaves.`;

/**
 * Test-only hooks for the spawned client process, which cannot be handed a
 * fake clock: `TCPCHAT_TEST_RETRY_DELAY_MS` replaces each reconnect back-off
 * (the seed's 1, 2 and 4 s, still printed as such) and
 * `TCPCHAT_TEST_KEEPALIVE_MS` the keep-alive interval. Not for users: they
 * are not in `--help`.
 */
export function testHooks(
  env: (name: string) => string | undefined,
): Pick<RunClientOptions, "sleep" | "keepAliveMs"> {
  const hooks: Pick<RunClientOptions, "sleep" | "keepAliveMs"> = {};
  const retry = parseHookMs(env("TCPCHAT_TEST_RETRY_DELAY_MS"));
  if (retry !== undefined) {
    hooks.sleep = () => new Promise((resolve) => setTimeout(resolve, retry));
  }
  const keepAlive = parseHookMs(env("TCPCHAT_TEST_KEEPALIVE_MS"));
  if (keepAlive !== undefined && keepAlive > 0) hooks.keepAliveMs = keepAlive;
  return hooks;
}

function parseHookMs(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,9}$/.test(text)
    ? Number(text)
    : undefined;
}

/** Parses client flags. @throws {TypeError | RangeError} for bad flags. */
export function parseClientArgs(
  args: string[],
  env: (name: string) => string | undefined,
): ClientOptions | "help" | "version" {
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      user: { type: "string" },
      lang: { type: "string" },
      tls: { type: "boolean" },
      ca: { type: "string" },
      "tls-port": { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "V" },
    },
  });
  if (values.help) return "help";
  if (values.version) return "version";
  const langChoice = values.lang ?? nonEmpty(env("TCPCHAT_LANG"));
  const lang = resolveLang(langChoice, env("LC_ALL") || env("LANG"));
  if (lang === undefined) {
    throw new RangeError(
      `Cannot use language "${langChoice}": expected "zh" or "en"`,
    );
  }
  const portText = values.port ?? nonEmpty(env("TCPCHAT_PORT"));
  const port = portText === undefined ? undefined : parsePort(portText);
  if (port === undefined && portText !== undefined) {
    throw new RangeError(
      `Cannot use --port "${portText}": expected an integer from 1 to 65535`,
    );
  }
  const tlsPortText = values["tls-port"];
  const tlsPort = tlsPortText === undefined
    ? undefined
    : parsePort(tlsPortText);
  if (tlsPortText !== undefined && tlsPort === undefined) {
    throw new RangeError(
      `Cannot use --tls-port "${tlsPortText}": expected an integer from 1 to 65535`,
    );
  }
  return {
    host: values.host ?? nonEmpty(env("TCPCHAT_HOST")),
    port,
    user: values.user,
    lang,
    // --ca or --tls-port make no sense in clear text: they imply --tls.
    tls: values.tls === true || values.ca !== undefined ||
      tlsPort !== undefined,
    ca: values.ca,
    tlsPort,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
