/**
 * The account verbs: register, log in or resume, log out, reset or change a
 * password, delete an account; and their replies, from `REGISTER_SUCCESS`
 * to `WELCOME` and `RESUME_TOKEN`. A password is always the rest of the
 * line, so it may contain spaces; no `invalid` reason ever quotes a password
 * or a resume token.
 *
 * @module
 */

import {
  argumentsProblem,
  checkToken,
  countField,
  nameField,
  POSITIVE_INTEGER_PATTERN,
  tokenField,
} from "./fields.ts";
import { MAX_PASSWORD_BYTES } from "./limits.ts";
import type { CommandSpec, ReplySpec, Variant } from "./spec.ts";
import {
  bareCommand,
  bareReply,
  fieldsReplies,
  leadingWordCommand,
  wordCommand,
} from "./spec.ts";
import {
  codePointByteLength,
  sanitizeMessage,
  utf8ByteLength,
  withMessage,
} from "./text.ts";

/** The commands of the account verbs. */
export type AccountCommand =
  /** `REGISTER <username> <password>`: creates an account. */
  | { type: "register"; username: string; password: string }
  /** `LOGIN <username> <password>`: authenticates this connection. */
  | { type: "login"; username: string; password: string }
  /**
   * `RESUME <username> <token>`: authenticates this connection with the
   * newest `RESUME_TOKEN` of an earlier session instead of the password, so
   * that a client whose connection dropped can log back in without keeping
   * the password. Only before login; answered like `LOGIN`.
   */
  | { type: "resume"; username: string; token: string }
  /** `RESET_REQUEST <username>`: asks the operator for a reset token. */
  | { type: "reset_request"; username: string }
  /** `RESET_CONFIRM <token> <new_password>`: token or recovery code. */
  | { type: "reset_confirm"; token: string; newPassword: string }
  /**
   * `LOGOUT`: ends the session; the connection stays open, unauthenticated.
   */
  | { type: "logout" }
  /** `DELETE_ACCOUNT <username> <password>`: deletes an account. */
  | { type: "delete_account"; username: string; password: string }
  /**
   * `PASSWORD <old_byte_length> <old_password> <new_password>`: changes the
   * password of the logged-in account.
   */
  | { type: "change_password"; oldPassword: string; newPassword: string };

/** The replies of the account verbs. */
export type AccountReply =
  /** `REGISTER_SUCCESS`. */
  | { type: "register_success" }
  /** `RECOVERY_CODE <code>`: the one-time recovery code, after registering. */
  | { type: "recovery_code"; code: string }
  /** `REGISTER_FAILURE <message>`. */
  | { type: "register_failure"; message: string }
  /** `AUTH_SUCCESS <username>`: answers a successful `LOGIN` or `RESUME`. */
  | { type: "auth_success"; username: string }
  /** `AUTH_FAILURE <message>`. */
  | { type: "auth_failure"; message: string }
  /** `RESET_REQUESTED <message>`: the same whether the account exists or not. */
  | { type: "reset_requested"; message: string }
  /** `RESET_SUCCESS`. */
  | { type: "reset_success" }
  /** `RESET_FAILURE <message>`. */
  | { type: "reset_failure"; message: string }
  /** `DELETE_SUCCESS`. */
  | { type: "delete_success" }
  /** `DELETE_FAILURE <message>`. */
  | { type: "delete_failure"; message: string }
  /** `PASSWORD_SUCCESS`. */
  | { type: "password_success" }
  /** `PASSWORD_FAILURE <message>`. */
  | { type: "password_failure"; message: string }
  /** `LOGOUT_SUCCESS`: the connection is unauthenticated again. */
  | { type: "logout_success" }
  /**
   * `WELCOME <online_count> <username>`: sent right after `AUTH_SUCCESS`;
   * `onlineCount` is a non-negative safe integer.
   */
  | { type: "welcome"; onlineCount: number; username: string }
  /**
   * `RESUME_TOKEN <token>`: a single-use token for `RESUME`, valid for 15
   * minutes. Sent right after `WELCOME` on every successful `LOGIN` or
   * `RESUME`, and again whenever the server rotates it (every 5 minutes while
   * the session is live); each one voids the one before. The client keeps
   * only the newest, only in memory.
   */
  | { type: "resume_token"; token: string };

type Of<T extends AccountCommand["type"]> = Variant<AccountCommand, T>;
type ReplyOf<T extends AccountReply["type"]> = Variant<AccountReply, T>;
type Credentials = Of<"register" | "login" | "delete_account">;

function passwordProblem(name: string, password: string): string | undefined {
  if (password === "") return `missing ${name}`;
  const length = utf8ByteLength(password);
  if (length > MAX_PASSWORD_BYTES) {
    return `${name} is ${length} bytes, longer than the limit of ${MAX_PASSWORD_BYTES}`;
  }
  return undefined;
}

function checkPassword(verb: string, name: string, value: unknown): string {
  if (typeof value !== "string") {
    throw new TypeError(`Cannot format ${verb}: ${name} is not a string`);
  }
  if (value.includes("\r") || value.includes("\n")) {
    throw new TypeError(
      `Cannot format ${verb}: ${name} contains a carriage return or line feed`,
    );
  }
  if (!value.isWellFormed()) {
    throw new TypeError(
      `Cannot format ${verb}: ${name} is not well-formed Unicode`,
    );
  }
  const problem = passwordProblem(name, value);
  if (problem !== undefined) {
    throw new RangeError(`Cannot format ${verb}: ${problem}`);
  }
  return value;
}

/** `<VERB> <username> <password>`: `REGISTER`, `LOGIN`, `DELETE_ACCOUNT`. */
function credentialsCommand(
  verb: Uppercase<Credentials["type"]>,
): CommandSpec<Credentials> {
  const type = verb.toLowerCase() as Credentials["type"];
  return leadingWordCommand<Credentials>(verb, {
    usage: `${verb} <username> <password>`,
    key: "username",
    name: "username",
    parseRest(username, rest) {
      const password = rest ?? "";
      return passwordProblem("password", password) ??
        { type, username, password };
    },
    formatRest: (command) => checkPassword(verb, "password", command.password),
  });
}

const RESUME = leadingWordCommand<Of<"resume">>("RESUME", {
  usage: "RESUME <username> <token>",
  key: "username",
  parseRest(username, rest) {
    // Like a password, the token is a secret: no reason ever quotes it.
    const token = rest ?? "";
    if (token === "") return "missing token";
    return token.includes(" ")
      ? "takes only a username and a token"
      : { type: "resume", username, token };
  },
  formatRest: (command) => checkToken("RESUME", "token", command.token),
});

const RESET_REQUEST = wordCommand<Of<"reset_request">>("RESET_REQUEST", {
  key: "username",
  only: "a username",
});

const RESET_CONFIRM = leadingWordCommand<Of<"reset_confirm">>("RESET_CONFIRM", {
  usage: "RESET_CONFIRM <token> <new_password>",
  key: "token",
  parseRest(token, rest) {
    const newPassword = rest ?? "";
    return passwordProblem("new password", newPassword) ??
      { type: "reset_confirm", token, newPassword };
  },
  formatRest: (command) =>
    checkPassword("RESET_CONFIRM", "new password", command.newPassword),
});

const PASSWORD: CommandSpec<Of<"change_password">> = {
  verb: "PASSWORD",
  usage: "PASSWORD <old_byte_length> <old_password> <new_password>",
  types: ["change_password"],
  parse(args) {
    return argumentsProblem("old password length", args) ??
      parseChangePassword(args as string);
  },
  format(command) {
    const oldPassword = checkPassword(
      "PASSWORD",
      "old password",
      command.oldPassword,
    );
    const newPassword = checkPassword(
      "PASSWORD",
      "new password",
      command.newPassword,
    );
    return `PASSWORD ${
      utf8ByteLength(oldPassword)
    } ${oldPassword} ${newPassword}`;
  },
};

/** Parses the arguments of `PASSWORD <old_byte_length> <old> <new>`. */
function parseChangePassword(args: string): Of<"change_password"> | string {
  const space = args.indexOf(" ");
  const prefix = space === -1 ? args : args.slice(0, space);
  const oldLength = Number(prefix);
  if (
    !POSITIVE_INTEGER_PATTERN.test(prefix) || !(oldLength <= MAX_PASSWORD_BYTES)
  ) {
    return `old password length must be a byte count from 1 to ${MAX_PASSWORD_BYTES} without leading zeros`;
  }
  if (space === -1) return "missing old password";
  const rest = args.slice(space + 1);
  // Walk code points until exactly oldLength UTF-8 bytes have been consumed.
  let bytes = 0;
  let index = 0;
  while (bytes < oldLength && index < rest.length) {
    const codePoint = rest.codePointAt(index) as number;
    bytes += codePointByteLength(codePoint);
    index += codePoint > 0xffff ? 2 : 1;
  }
  if (bytes < oldLength) {
    return `old password is shorter than its declared ${oldLength} bytes`;
  }
  if (bytes > oldLength) {
    return `declared old password length ${oldLength} ends inside a character`;
  }
  if (index === rest.length) return "missing new password";
  if (rest[index] !== " ") {
    return `expected a space after the ${oldLength}-byte old password`;
  }
  const oldPassword = rest.slice(0, index);
  const newPassword = rest.slice(index + 1);
  const problem = passwordProblem("new password", newPassword);
  if (problem !== undefined) return problem;
  return { type: "change_password", oldPassword, newPassword };
}

/** The account command verbs, for the verb table. */
export const ACCOUNT_COMMANDS: readonly CommandSpec<AccountCommand>[] = [
  credentialsCommand("REGISTER"),
  credentialsCommand("LOGIN"),
  RESUME,
  RESET_REQUEST,
  RESET_CONFIRM,
  bareCommand("LOGOUT", "logout"),
  credentialsCommand("DELETE_ACCOUNT"),
  PASSWORD,
];

const accountReply = fieldsReplies<AccountReply>();

type MessageReplyType = Extract<AccountReply, { message: string }>["type"];

/** `<VERB> <message>`: a failure (or notice) whose message is free text. */
function messageReply(
  verb: string,
  type: MessageReplyType,
): ReplySpec<ReplyOf<MessageReplyType>> {
  return {
    verb,
    types: [type],
    parse(rest) {
      return { type, message: sanitizeMessage(rest ?? "") };
    },
    format(reply) {
      return withMessage(verb, reply.message);
    },
  };
}

/** The account reply verbs, for the verb table. */
export const ACCOUNT_REPLIES: readonly ReplySpec<AccountReply>[] = [
  bareReply("REGISTER_SUCCESS", "register_success"),
  accountReply("RECOVERY_CODE", { code: tokenField("recovery code") }),
  messageReply("REGISTER_FAILURE", "register_failure"),
  accountReply("AUTH_SUCCESS", { username: nameField }),
  messageReply("AUTH_FAILURE", "auth_failure"),
  messageReply("RESET_REQUESTED", "reset_requested"),
  bareReply("RESET_SUCCESS", "reset_success"),
  messageReply("RESET_FAILURE", "reset_failure"),
  bareReply("DELETE_SUCCESS", "delete_success"),
  messageReply("DELETE_FAILURE", "delete_failure"),
  bareReply("PASSWORD_SUCCESS", "password_success"),
  messageReply("PASSWORD_FAILURE", "password_failure"),
  bareReply("LOGOUT_SUCCESS", "logout_success"),
  accountReply("WELCOME", { onlineCount: countField, username: nameField }),
  accountReply("RESUME_TOKEN", { token: tokenField("resume token") }),
];
