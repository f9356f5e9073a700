/**
 * The file verbs. The chat connection only arranges a transfer: `FILE_SEND`
 * announces a file (size, SHA-256, name) for a room or a user and gets a
 * `FILE_UPLOAD` ticket, `FILE_GET` asks for a `FILE_DOWNLOAD` ticket, and the
 * bytes travel over HTTP on the server's web port with the ticket's
 * single-use token (docs/PROTOCOL.md, Files), so a transfer never holds up
 * chat lines. Recipients learn of a shared file by `FILE_SHARED`, in history
 * by `HISTORY_FILE`; `FILES` lists what one may fetch.
 *
 * @module
 */

import {
  argumentsProblem,
  checkCount,
  checkedField,
  checkToken,
  checkWith,
  countField,
  nameField,
  parseCount,
  rangeField,
  splitWord,
  TEXT_FIELD,
  tokenField,
  tokenProblem,
} from "./fields.ts";
import { MAX_PORT } from "./limits.ts";
import type { CommandSpec, ReplySpec, Variant } from "./spec.ts";
import { bareCommand, bareReply, fieldsReplies } from "./spec.ts";
import { checkUserText, type TextLimit, userTextProblem } from "./text.ts";

/** The longest file name a client may announce, in UTF-8 bytes. */
export const MAX_FILE_NAME_INPUT_BYTES = 1024;

const FILE_NAME_LIMIT: TextLimit = {
  max: MAX_FILE_NAME_INPUT_BYTES,
  unit: "bytes",
};

/** A SHA-256 digest as 64 lowercase hexadecimal digits. */
const SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** The commands of the file verbs. */
export type FileCommand =
  /**
   * `FILE_SEND <target> <size> <sha256> <name>`: offers a file of `size`
   * bytes to a room (`#<room>`, the sender's current one) or a user (a
   * username). `sha256` is the hex digest of its bytes; `name` is the rest
   * of the line, at most {@linkcode MAX_FILE_NAME_INPUT_BYTES} bytes. The
   * same offer again resumes an unfinished upload.
   */
  | {
    type: "file_send";
    target: string;
    size: number;
    sha256: string;
    name: string;
  }
  /** `FILE_GET <file_id>`: asks for a download ticket. */
  | { type: "file_get"; id: number }
  /** `FILES`: lists the files one may fetch. */
  | { type: "files" };

/** The replies of the file verbs. */
export type FileReply =
  /**
   * `FILE_UPLOAD <file_id> <offset> <port> <token>`: answers `FILE_SEND`:
   * PUT the bytes from `offset` to `/files/<file_id>` on `port` with
   * `token`.
   */
  | {
    type: "file_upload";
    id: number;
    offset: number;
    port: number;
    token: string;
  }
  /**
   * `FILE_DOWNLOAD <file_id> <size> <sha256> <port> <token> <name>`:
   * answers `FILE_GET`: GET `/files/<file_id>` on `port` with `token`.
   */
  | {
    type: "file_download";
    id: number;
    size: number;
    sha256: string;
    port: number;
    token: string;
    name: string;
  }
  /**
   * `FILE_SHARED <message_id> <time_ms> <sender> <target> <file_id> <size>
   * <name>`: a file was shared into a room (`target` `#<room>`) or with a
   * user (`target` the recipient's name); its sender gets a copy.
   */
  | {
    type: "file_shared";
    messageId: number;
    time: number;
    sender: string;
    target: string;
    id: number;
    size: number;
    name: string;
  }
  /**
   * `HISTORY_FILE <message_id> <time_ms> <sender> <file_id> <size> <name>`:
   * a file shared into the room, inside a `HISTORY_BEGIN` block.
   */
  | {
    type: "history_file";
    messageId: number;
    time: number;
    sender: string;
    id: number;
    size: number;
    name: string;
  }
  /** `FILES_BEGIN <count>`: `count` `FILE_ENTRY` lines follow, then `FILES_END`. */
  | { type: "files_begin"; count: number }
  /**
   * `FILE_ENTRY <file_id> <time_ms> <sender> <target> <size> <name>`: one
   * file one may fetch (`target` as in `FILE_SHARED`), oldest first.
   */
  | {
    type: "file_entry";
    id: number;
    time: number;
    sender: string;
    target: string;
    size: number;
    name: string;
  }
  /** `FILES_END`: ends the list. */
  | { type: "files_end" };

type Of<T extends FileCommand["type"]> = Variant<FileCommand, T>;

/** Why `value` is not a SHA-256 hex digest, if it is not. */
function sha256Problem(
  name: string,
  value: string | undefined,
): string | undefined {
  const problem = tokenProblem(name, value);
  if (problem !== undefined) return problem;
  return SHA256_PATTERN.test(value as string)
    ? undefined
    : `${name} must be 64 lowercase hexadecimal digits`;
}

function checkSha256(verb: string, name: string, value: unknown): string {
  return checkWith(verb, { name, value, problem: sha256Problem });
}

const FILE_SEND: CommandSpec<Of<"file_send">> = {
  verb: "FILE_SEND",
  usage: "FILE_SEND <target> <size> <sha256> <name>",
  types: ["file_send"],
  parse(args) {
    const problem = argumentsProblem("target", args);
    if (problem !== undefined) return problem;
    const [target, afterTarget] = splitWord(args as string);
    const targetProblem = tokenProblem("target", target);
    if (targetProblem !== undefined) return targetProblem;
    if (afterTarget === undefined) return "missing size";
    const [sizeText, afterSize] = splitWord(afterTarget);
    const size = parseCount("size", sizeText);
    if (typeof size === "string") return size;
    if (afterSize === undefined) return "missing sha256";
    const [sha256, name] = splitWord(afterSize);
    const hashProblem = sha256Problem("sha256", sha256);
    if (hashProblem !== undefined) return hashProblem;
    return userTextProblem("name", name ?? "", FILE_NAME_LIMIT) ??
      { type: "file_send", target, size, sha256, name: name as string };
  },
  format(command) {
    const target = checkToken("FILE_SEND", "target", command.target);
    const size = checkCount("FILE_SEND", "size", command.size);
    const sha256 = checkSha256("FILE_SEND", "sha256", command.sha256);
    const name = checkUserText(
      "FILE_SEND",
      "name",
      command.name,
      FILE_NAME_LIMIT,
    );
    return `FILE_SEND ${target} ${size} ${sha256} ${name}`;
  },
};

const FILE_GET: CommandSpec<Of<"file_get">> = {
  verb: "FILE_GET",
  usage: "FILE_GET <file_id>",
  types: ["file_get"],
  parse(args) {
    const problem = argumentsProblem("file id", args);
    if (problem !== undefined) return problem;
    const [idText, rest] = splitWord(args as string);
    if (rest !== undefined) return "takes only a file id";
    const id = parseCount("file id", idText);
    return typeof id === "string" ? id : { type: "file_get", id };
  },
  format(command) {
    return `FILE_GET ${checkCount("FILE_GET", "file id", command.id)}`;
  },
};

/** The file command verbs, for the verb table. */
export const FILE_COMMANDS: readonly CommandSpec<FileCommand>[] = [
  FILE_SEND,
  FILE_GET,
  bareCommand("FILES", "files"),
];

const fileReply = fieldsReplies<FileReply>();
const SHA256_FIELD = checkedField("sha256", {
  problem: sha256Problem,
  check: checkSha256,
});

/** The file reply verbs, for the verb table. */
export const FILE_REPLIES: readonly ReplySpec<FileReply>[] = [
  fileReply("FILE_UPLOAD", {
    id: countField("file id"),
    offset: countField,
    port: rangeField("port", MAX_PORT),
    token: tokenField("token"),
  }),
  fileReply("FILE_DOWNLOAD", {
    id: countField("file id"),
    size: countField,
    sha256: SHA256_FIELD,
    port: rangeField("port", MAX_PORT),
    token: tokenField("token"),
    name: TEXT_FIELD,
  }),
  fileReply("FILE_SHARED", {
    messageId: countField,
    time: countField,
    sender: nameField,
    target: nameField,
    id: countField("file id"),
    size: countField,
    name: TEXT_FIELD,
  }),
  fileReply("HISTORY_FILE", {
    messageId: countField,
    time: countField,
    sender: nameField,
    id: countField("file id"),
    size: countField,
    name: TEXT_FIELD,
  }),
  fileReply("FILES_BEGIN", { count: countField }),
  fileReply("FILE_ENTRY", {
    id: countField("file id"),
    time: countField,
    sender: nameField,
    target: nameField,
    size: countField,
    name: TEXT_FIELD,
  }),
  bareReply("FILES_END", "files_end"),
];
