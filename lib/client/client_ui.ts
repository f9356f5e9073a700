/**
 * The client's console in the user's language: the catalog, the palette and
 * the seed's line formats, shared by the menu and the chat.
 *
 * @module
 */

import type { ClientIo } from "../terminal/terminal_io.ts";
import { type Clock, SYSTEM_CLOCK } from "../shared/clock.ts";
import {
  type Lang,
  type MessageKey,
  type MessageParams,
  t,
} from "../shared/messages.ts";
import { type Reply, sanitizeMessage } from "../protocol/protocol.ts";
import { COLOR_PALETTE, PLAIN_PALETTE } from "./colors.ts";
import {
  errorLine,
  renderEvent,
  successLine,
  systemLine,
  type ViewContext,
} from "./view.ts";

/** The seed's banner rule. */
export const RULE = "=".repeat(50);

/** Options for {@linkcode ClientUi}. */
export interface ClientUiOptions {
  lang: Lang;
  /** Colored output. @default {false} */
  color?: boolean;
  /** The time stamped on lines. @default {SYSTEM_CLOCK} */
  clock?: Clock;
}

/** The console, the language and the view, with the lines the client prints. */
export class ClientUi {
  /** Where lines go and answers come from. */
  readonly io: ClientIo;
  /** The language and palette of every line. */
  readonly view: ViewContext;
  /** The time stamped on lines. */
  readonly clock: Clock;

  /** A console on `io` in `options.lang`. */
  constructor(io: ClientIo, options: ClientUiOptions) {
    this.io = io;
    this.view = {
      lang: options.lang,
      palette: options.color ? COLOR_PALETTE : PLAIN_PALETTE,
    };
    this.clock = options.clock ?? SYSTEM_CLOCK;
  }

  /** A catalog sentence in the user's language. */
  t(key: MessageKey, params?: MessageParams): string {
    return t(this.view.lang, key, params);
  }

  /** Prints `text` as is. */
  print(text: string): void {
    this.io.print(text);
  }

  /** `[HH:MM:SS] 【错误】text`, now. */
  error(text: string): void {
    this.io.print(errorLine(text, this.clock.now(), this.view));
  }

  /** `[HH:MM:SS] 【成功】text`, now. */
  success(text: string): void {
    this.io.print(successLine(text, this.clock.now(), this.view));
  }

  /** `text` in the error color, without a time (connect failures). */
  alarm(text: string): void {
    this.io.print(this.view.palette.error(text));
  }

  /** A refusal from the server as an error line; nothing for no reply. */
  failure(reply: Reply | undefined): void {
    if (reply === undefined) return;
    const message = "message" in reply && reply.message !== ""
      ? reply.message
      : reply.type;
    this.error(message);
  }

  /** An event that arrived while the menu waited for a reply. */
  showEvent(reply: Reply): void {
    if (reply.type === "bye" && reply.code === "idle_timeout") {
      // The client's own words: the server's speak of a limit the user
      // did not choose to hit.
      this.io.print(systemLine(this.t("loginIdleBye"), this.view));
      return;
    }
    const line = renderEvent(reply, this.view, this.clock.now());
    if (line !== undefined) this.io.print(line);
  }

  /** The seed's banner: a rule, the indented title, a rule. */
  banner(key: MessageKey): void {
    this.io.print("");
    this.io.print(RULE);
    this.io.print(`         ${this.t(key)}`);
    this.io.print(RULE);
  }

  /** A new recovery code, shown once. */
  showRecoveryCode(code: string): void {
    const palette = this.view.palette;
    // Shown raw otherwise: a hostile server could put terminal escapes in it.
    this.io.print(
      palette.system(
        this.t("recoveryCodeShow", { code: sanitizeMessage(code) }),
      ),
    );
    this.io.print(palette.system(this.t("recoveryCodeSave")));
  }
}
