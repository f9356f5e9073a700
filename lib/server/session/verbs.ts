/**
 * Every verb's precondition, in one table: what state a session must be in
 * for the verb to run. The session checks it once, before the verb's
 * handler, so no handler repeats "are you logged in?" or "are you an
 * administrator?".
 *
 * - `any`: in every state (keep-alives, language, the certificate).
 * - `logged_out`: only at the login menu (`ERROR already_logged_in` else).
 * - `member`: only in the chat (`ERROR not_logged_in` else).
 * - `admin`: in the chat with the admin role, read from the store at the
 *   time (`ERROR not_admin`, audited, else).
 *
 * @module
 */

import type { Command } from "../../protocol/protocol.ts";
import type { ModerationAction } from "../chat/chat_service.ts";

/** What state a verb needs. */
export type Precondition = "any" | "logged_out" | "member" | "admin";

/** One verb's rule. */
export interface VerbRule<C extends Command = Command> {
  /** The state the session must be in. */
  readonly requires: Precondition;
  /**
   * Answered on the plain port of a `--require-tls` server (the rest gets
   * `ERROR tls_required`).
   * @default {false}
   */
  readonly overPlainText?: boolean;
  /** For `admin` verbs: what the action is audited as, and on whom. */
  readonly audit?: {
    readonly action: ModerationAction;
    target(command: C): string;
  };
}

type VerbRules = {
  readonly [T in Command["type"]]: VerbRule<Extract<Command, { type: T }>>;
};

/** At the login menu only. */
const LOGGED_OUT: VerbRule = { requires: "logged_out" };
/** In every state, but answered in clear text only under `overPlainText`. */
const ANY: VerbRule = { requires: "any" };
/** In every state, the plain port of a `--require-tls` server too. */
const ANY_STATE: VerbRule = { requires: "any", overPlainText: true };
/** In the chat. */
const MEMBER: VerbRule = { requires: "member" };

/** The precondition of every verb of the native protocol. */
export const VERB_RULES: VerbRules = {
  // The login menu.
  register: LOGGED_OUT,
  login: LOGGED_OUT,
  resume: LOGGED_OUT,
  "reset_request": LOGGED_OUT,
  "reset_confirm": LOGGED_OUT,
  // Logged out, or logged in for one's own account: the handler checks the name.
  "delete_account": ANY,
  // Any state.
  ping: ANY_STATE,
  pong: ANY_STATE,
  lang: ANY_STATE,
  cert: ANY_STATE,
  // The chat.
  "change_password": MEMBER,
  logout: MEMBER,
  msg: MEMBER,
  join: MEMBER,
  leave: MEMBER,
  rooms: MEMBER,
  users: MEMBER,
  privmsg: MEMBER,
  history: MEMBER,
  status: MEMBER,
  whois: MEMBER,
  read: MEMBER,
  receipts: MEMBER,
  avatar: MEMBER,
  "avatar_image": MEMBER,
  avatars: MEMBER,
  "file_send": MEMBER,
  "file_get": MEMBER,
  files: MEMBER,
  // Administrators.
  kick: {
    requires: "admin",
    audit: { action: "kick", target: (command) => command.user },
  },
  mute: {
    requires: "admin",
    audit: { action: "mute", target: (command) => command.user },
  },
  unmute: {
    requires: "admin",
    audit: { action: "unmute", target: (command) => command.user },
  },
  "delete_message": {
    requires: "admin",
    audit: { action: "delete_message", target: (command) => `#${command.id}` },
  },
  "delete_last": {
    requires: "admin",
    audit: {
      action: "delete_message",
      target: (command) => `last ${command.user}`,
    },
  },
};

/** The rule of `command`'s verb. */
export function verbRule<C extends Command>(command: C): VerbRule<C> {
  return VERB_RULES[command.type] as unknown as VerbRule<C>;
}
