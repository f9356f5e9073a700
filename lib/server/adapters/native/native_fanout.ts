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
    if (event.type === "session_ended") {
      this.#chat.forEachRecipient(audience, (member) => {
        if (member.outlet.adapter === this) {
          member.outlet.end(event.reason, event.message);
        }
      });
      return;
    }
    let bytes: Uint8Array | undefined;
    this.#chat.forEachRecipient(audience, (member) => {
      if (member.outlet.adapter !== this) return;
      bytes ??= encodeEvent(event);
      member.outlet.deliver(bytes);
    });
  }
}
