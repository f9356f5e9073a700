/**
 * The native adapter's subscription to the chat core's bus: each event is
 * resolved to this adapter's members in its audience and encoded once, on
 * the first of them, so a room of thousands costs one encoding per
 * message. Members of other adapters (WebSocket, IRC) are left to theirs.
 *
 * @module
 */

import type { ChatService } from "../../chat/chat_service.ts";
import type { Delivery } from "../../chat/events.ts";
import { encodeEvent } from "./native_encoding.ts";

/** Delivers chat events to the members whose outlet names this adapter. */
export class NativeFanout {
  #chat: ChatService;
  #unsubscribe: () => void;

  /** Subscribes to `chat`'s bus until {@linkcode close}. */
  constructor(chat: ChatService) {
    this.#chat = chat;
    this.#unsubscribe = chat.bus.subscribe((delivery) =>
      this.#deliver(delivery)
    );
  }

  /** Stops delivering. */
  close(): void {
    this.#unsubscribe();
  }

  #deliver({ audience, event }: Delivery): void {
    // The hot path of every room message: one lookup of the audience, then
    // per member two comparisons and a queue push.
    const { members, except } = this.#chat.recipients(audience);
    if (event.type === "session_ended") {
      for (const member of members) {
        if (member !== except && member.outlet.adapter === this) {
          member.outlet.end(event.reason, event.message);
        }
      }
      return;
    }
    let bytes: Uint8Array | undefined;
    for (const member of members) {
      if (member === except) continue;
      const outlet = member.outlet;
      if (outlet.adapter !== this) continue;
      bytes ??= encodeEvent(event);
      outlet.deliver(bytes);
    }
  }
}
