/**
 * Checks what a user typed against the protocol's limits before the client
 * sends it, so that over-long input is answered with a catalog message
 * instead of an exception. Pure: no I/O.
 *
 * @module
 */

import type { MessageKey, MessageParams } from "../shared/messages.ts";
import {
  type Command,
  formatCommand,
  MAX_MESSAGE_BYTES,
  MAX_PASSWORD_BYTES,
  MAX_REASON_BYTES,
  MAX_STATUS_LENGTH,
} from "../protocol/protocol.ts";

/** Why a command cannot be sent: a catalog key and its parameters. */
export interface InputProblem {
  /** The catalog entry that says what is wrong. */
  key: MessageKey;
  /** Its parameters. */
  params: MessageParams;
}

const encoder = new TextEncoder();

function byteLength(text: string): number {
  return encoder.encode(text).length;
}

function charLength(text: string): number {
  let length = 0;
  for (const _ of text) length++;
  return length;
}

function tooLong(
  key: MessageKey,
  length: number,
  limit: number,
): InputProblem | undefined {
  return length > limit ? { key, params: { length, limit } } : undefined;
}

/** Checks the limits of the user-authored fields of `command`. */
function limitProblem(command: Command): InputProblem | undefined {
  switch (command.type) {
    case "msg":
    case "privmsg":
      return tooLong(
        "inputMessageTooLong",
        byteLength(command.text),
        MAX_MESSAGE_BYTES,
      );
    case "status":
      return tooLong(
        "inputStatusTooLong",
        charLength(command.text),
        MAX_STATUS_LENGTH,
      );
    case "kick":
    case "mute":
      return command.reason === undefined ? undefined : tooLong(
        "inputReasonTooLong",
        byteLength(command.reason),
        MAX_REASON_BYTES,
      );
    case "register":
    case "login":
    case "delete_account":
      return tooLong(
        "inputPasswordTooLong",
        byteLength(command.password),
        MAX_PASSWORD_BYTES,
      );
    case "reset_confirm":
      return tooLong(
        "inputPasswordTooLong",
        byteLength(command.newPassword),
        MAX_PASSWORD_BYTES,
      );
    case "change_password":
      return tooLong(
        "inputPasswordTooLong",
        Math.max(
          byteLength(command.oldPassword),
          byteLength(command.newPassword),
        ),
        MAX_PASSWORD_BYTES,
      );
    default:
      return undefined;
  }
}

/**
 * Returns why `command` cannot be sent, or `undefined` if it can. Limits in
 * lib/protocol.ts (message and reason bytes, status characters, password
 * bytes) get their own message with the length and the limit; anything else
 * {@linkcode formatCommand} refuses (a malformed name, empty text, a line
 * over the line limit) becomes `cannotSend` with its reason.
 *
 * Never throws.
 *
 * @example
 * ```ts
 * import { inputProblem } from "./input_limits.ts";
 * import assert from "node:assert/strict";
 *
 * assert.equal(inputProblem({ type: "msg", text: "hi" }), undefined);
 * assert.deepEqual(inputProblem({ type: "status", text: "x".repeat(101) }), {
 *   key: "inputStatusTooLong",
 *   params: { length: 101, limit: 100 },
 * });
 * ```
 */
export function inputProblem(command: Command): InputProblem | undefined {
  const problem = limitProblem(command);
  if (problem !== undefined) return problem;
  try {
    formatCommand(command);
    return undefined;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { key: "cannotSend", params: { reason } };
  }
}
