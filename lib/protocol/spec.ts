/**
 * The shape of a verb's entry in the verb table (`verbs.ts`): its grammar,
 * parse and format side by side, one spec per verb, kept in the file of the
 * verb's family. Also the results that are not a command or a reply.
 *
 * @module
 */

import { checkToken, type Field, leadingWord, readFields } from "./fields.ts";

/**
 * The `ERROR` code a server answers an {@linkcode InvalidCommand} with:
 * `empty_message` and `message_too_long` for user-authored text (the text of
 * `MSG` and `PRIVMSG`, a `KICK` or `MUTE` reason, a `STATUS`),
 * `invalid_command` for everything else.
 */
export type InvalidCommandCode =
  | "invalid_command"
  | "empty_message"
  | "message_too_long";

/** A line whose verb is known but whose arguments are malformed. */
export interface InvalidCommand {
  /** Discriminant. */
  type: "invalid";
  /** The verb as received, for example `"REGISTER"`. */
  verb: string;
  /** The error code to answer with: `ERROR <code> <reason>`. */
  code: InvalidCommandCode;
  /** Why the line was rejected; never contains a password. */
  reason: string;
}

/** A line whose first word is not a verb; the server may treat it as chat. */
export interface UnknownCommand {
  /** Discriminant. */
  type: "unknown";
  /** The whole line, unchanged. */
  line: string;
}

/** A reply line that could not be parsed. */
export interface InvalidReply {
  /** Discriminant. */
  type: "invalid";
  /** Why the line was rejected. */
  reason: string;
}

/** A problem with a command: a reason for `invalid_command`, or a code too. */
export type CommandProblem = string | [InvalidCommandCode, string];

/** The member of a union of commands or replies with the given `type`. */
export type Variant<U, T> = Extract<U, { type: T }>;

/**
 * One command verb: its usage line, how its arguments parse, and how its
 * commands format. `parseCommand` finds it by `verb`, `formatCommand` by one
 * of its `types`.
 */
export interface CommandSpec<C extends { type: string } = { type: string }> {
  /** The verb as sent, uppercase (verbs are case-sensitive). */
  readonly verb: string;
  /** The usage line, quoted in every `invalid` reason of this verb. */
  readonly usage: string;
  /** The command types this verb formats; most verbs have one. */
  readonly types: readonly C["type"][];
  /**
   * Parses what follows `<verb> ` (undefined when the line has no space).
   * A problem becomes an {@linkcode InvalidCommand} quoting `usage`.
   */
  parse(args: string | undefined): C | CommandProblem;
  /**
   * Formats a command of one of `types` as a line; the caller checks its
   * length. Throws `TypeError` or `RangeError` for a field it cannot send.
   */
  format(command: C): string;
}

/**
 * One reply verb: how its arguments parse and how its replies format.
 * `parseReply` finds it by `verb`, `formatReply` by one of its `types`.
 */
export interface ReplySpec<R extends { type: string } = { type: string }> {
  /** The verb as sent, uppercase. */
  readonly verb: string;
  /** The reply types this verb formats; most verbs have one. */
  readonly types: readonly R["type"][];
  /**
   * Parses what follows `<verb> ` (undefined when the line has no space); a
   * string is why the line is malformed.
   */
  parse(rest: string | undefined): R | string;
  /** Formats a reply of one of `types`; the caller checks its length. */
  format(reply: R): string;
}

/** Whether a command spec's parse result is a problem, not a command. */
export function isCommandProblem(
  result: { type: string } | CommandProblem,
): result is CommandProblem {
  return typeof result === "string" || Array.isArray(result);
}

/** The `invalid` result for a problem with a line of `spec`'s verb. */
export function invalidCommand(
  spec: Pick<CommandSpec, "verb" | "usage">,
  problem: CommandProblem,
): InvalidCommand {
  const [code, description] = typeof problem === "string"
    ? ["invalid_command" as const, problem]
    : problem;
  return {
    type: "invalid",
    verb: spec.verb,
    code,
    reason: `Cannot parse ${spec.verb}: ${description} (usage: ${spec.usage})`,
  };
}

/** The `invalid` result for a problem with a reply line of `verb`. */
export function invalidReply(verb: string, problem: string): InvalidReply {
  return { type: "invalid", reason: `Cannot parse ${verb}: ${problem}` };
}

/** The spec of a command verb that takes no arguments (`LOGOUT`). */
export function bareCommand<T extends string>(
  verb: string,
  type: T,
): CommandSpec<{ type: T }> {
  return { ...bareReply(verb, type), usage: verb };
}

/** The spec of a reply verb that takes no arguments (`REGISTER_SUCCESS`). */
export function bareReply<T extends string>(
  verb: string,
  type: T,
): ReplySpec<{ type: T }> {
  return {
    verb,
    types: [type],
    parse(rest) {
      return rest === undefined ? { type } : "takes no arguments";
    },
    format() {
      return verb;
    },
  };
}

/** The fields of a reply of type `R`, one per property, in line order. */
export type ReplyFields<R> = {
  readonly [K in Exclude<keyof R, "type">]-?: Field | FieldOfName;
};

/**
 * A field constructor, such as `countField`, given without its name: the
 * name is then its key in words, `memberCount` "member count".
 */
export type FieldOfName = (name: string) => Field;

/** `memberCount` as "member count". */
function keyWords(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => ` ${letter.toLowerCase()}`);
}

/** Builds the spec of a {@linkcode fieldsReplies} verb from its fields. */
export type FieldsReplyBuilder<U extends { type: string }> = <
  V extends Uppercase<U["type"]>,
>(
  verb: V,
  fields: ReplyFields<Variant<U, Lowercase<V>>>,
) => ReplySpec<Variant<U, Lowercase<V>>>;

/**
 * For a family's replies `U`, the builder of the specs of those whose line
 * is their fields in order, one word each and the last one the rest of the
 * line: `JOINED <room> <member_count>` is
 * `roomReply("JOINED", { room: nameField, memberCount: countField })`. The
 * reply's type is the verb in lowercase. Parse problems come in field
 * order: a missing word first, then each field's own.
 */
export function fieldsReplies<
  U extends { type: string },
>(): FieldsReplyBuilder<U> {
  return (verb, fields) => fieldsReply(verb, fields);
}

function fieldsReply<R extends { type: string }>(
  verb: string,
  fields: ReplyFields<R>,
): ReplySpec<R> {
  const type = verb.toLowerCase() as R["type"];
  const given = Object.entries(fields) as [string, Field | FieldOfName][];
  const entries = given.map(([key, field]): [string, Field] => [
    key,
    typeof field === "function" ? field(keyWords(key)) : field,
  ]);
  const wordNames = entries.slice(0, -1).map(([, field]) => field.name);
  return {
    verb,
    types: [type],
    parse(rest) {
      const read = readFields(rest, wordNames);
      if (typeof read === "string") return read;
      const texts = [...read.words, read.tail];
      const reply: Record<string, unknown> = { type };
      for (const [index, [key, field]] of entries.entries()) {
        const parsed = field.parse(texts[index]);
        if (typeof parsed === "string") return parsed;
        // An optional field left off is no property, not an undefined one.
        if (parsed[0] !== undefined) reply[key] = parsed[0];
      }
      return reply as R;
    },
    format(reply) {
      const values = reply as unknown as Record<string, unknown>;
      const words = entries.map(([key, field]) =>
        field.format(verb, values[key])
      );
      return [verb, ...words.filter((word) => word !== undefined)].join(" ");
    },
  };
}

/** What a {@linkcode leadingWordCommand} takes besides its verb. */
export interface LeadingWordCommandOptions<C extends { type: string }> {
  /** The usage line. */
  readonly usage: string;
  /** The command's property that holds the leading word, a token. */
  readonly key: Exclude<keyof C, "type"> & string;
  /**
   * The leading word's name in problems (`"username"`).
   * @default {key}
   */
  readonly name?: string;
  /**
   * Parses the rest of the line after the leading word (undefined without a
   * space after it).
   */
  parseRest(word: string, rest: string | undefined): C | CommandProblem;
  /** Formats what follows the leading word; undefined for nothing. */
  formatRest(command: C): string | undefined;
}

/**
 * The spec of a command verb whose arguments start with a token, such as the
 * username of `KICK <username> [<reason>]`. Its type is the verb in
 * lowercase.
 */
export function leadingWordCommand<C extends { type: string }>(
  verb: Uppercase<C["type"]>,
  options: LeadingWordCommandOptions<C>,
): CommandSpec<C> {
  const { key, name = key } = options;
  return {
    verb,
    usage: options.usage,
    types: [verb.toLowerCase() as C["type"]],
    parse(args) {
      const words = leadingWord(name, args);
      return typeof words === "string"
        ? words
        : options.parseRest(words[0], words[1]);
    },
    format(command) {
      const values = command as unknown as Record<string, unknown>;
      const head = `${verb} ${checkToken(verb, name, values[key])}`;
      const rest = options.formatRest(command);
      return rest === undefined ? head : `${head} ${rest}`;
    },
  };
}

/** What a {@linkcode wordCommand} takes: its word's key and name. */
export interface WordCommandOptions<C extends { type: string }> {
  /** The command's property that holds the word. */
  readonly key: Exclude<keyof C, "type"> & string;
  /**
   * The word's name, as in the usage line (`"username"`).
   * @default {key}
   */
  readonly name?: string;
  /** What the verb takes, for a line with more: `"a username"`. */
  readonly only: string;
}

/** The spec of a command verb that takes one token: `JOIN <room>`. */
export function wordCommand<C extends { type: string }>(
  verb: Uppercase<C["type"]>,
  options: WordCommandOptions<C>,
): CommandSpec<C> {
  const { key, name = key, only } = options;
  const type = verb.toLowerCase();
  return leadingWordCommand<C>(verb, {
    usage: `${verb} <${name}>`,
    key,
    name,
    parseRest: (word, rest) =>
      rest === undefined ? { type, [key]: word } as C : `takes only ${only}`,
    formatRest: () => undefined,
  });
}
