/**
 * The native line protocol's side of the chat core: replies and events as
 * the bytes of one line each. A list too long for one line is cut to what
 * fits (docs/PROTOCOL.md, limits), here, because the line limit is this
 * protocol's, not the core's.
 *
 * @module
 */

import { formatReply, type Reply } from "../../../protocol/protocol.ts";
import type { ChatEvent } from "../../chat/events.ts";

/** The longest `ROOM_LIST` / `USER_LIST` line, in bytes. */
export const MAX_LIST_LINE = 8000;

const encoder = new TextEncoder();

/**
 * One reply as a protocol line with its `\n`, lists cut to fit.
 *
 * @example
 * ```ts
 * import { encodeReply } from "./native_encoding.ts";
 * import assert from "node:assert/strict";
 *
 * const line = new TextDecoder().decode(encodeReply({ type: "pong", token: "t1" }));
 * assert.equal(line, "PONG t1\n");
 * ```
 */
export function encodeReply(reply: Reply): Uint8Array {
  return encoder.encode(`${formatReply(fitReply(reply))}\n`);
}

/** One chat event as the protocol line its recipients get. */
export function encodeEvent(event: ChatEvent): Uint8Array {
  return encodeReply(eventReply(event));
}

/** The native reply that carries a chat event. */
export function eventReply(event: ChatEvent): Reply {
  switch (event.type) {
    case "room_message":
      return {
        type: "message",
        id: event.id,
        time: event.time,
        sender: event.sender,
        text: event.text,
      };
    case "private_message":
      return { ...event, type: "private" };
    case "message_deleted":
      return event;
    case "file_shared":
      return event;
    case "member_joined":
      return {
        type: "user_joined",
        time: event.time,
        username: event.username,
      };
    case "member_left":
      return event.to === undefined
        ? { type: "user_left", time: event.time, username: event.username }
        : {
          type: "user_left",
          time: event.time,
          username: event.username,
          to: event.to,
        };
    case "presence_summary":
      return {
        type: "presence",
        time: event.time,
        joined: event.joined,
        left: event.left,
      };
    case "offline_delivered":
      return { type: "pm_delivered", to: event.to, count: event.count };
    case "pm_receipt":
      return event;
    case "avatar_changed":
      return {
        type: "avatar_list",
        avatars: [{ user: event.user, mark: event.mark }],
      };
    case "muted":
      return event;
    case "unmuted":
      return event;
    case "session_ended":
      return { type: "bye", code: event.reason, message: event.message };
  }
}

/** A reply whose list would make an over-long line, cut to what fits. */
function fitReply(reply: Reply): Reply {
  if (reply.type === "room_list") {
    const rooms = fitList(reply.rooms, (rooms) => ({ ...reply, rooms }));
    return rooms === reply.rooms ? reply : { ...reply, rooms };
  }
  if (reply.type === "avatar_list") {
    const avatars = fitList(
      reply.avatars,
      (avatars) => ({ ...reply, avatars }),
    );
    return avatars === reply.avatars ? reply : { ...reply, avatars };
  }
  if (reply.type === "user_list") {
    const users = fitList(reply.users, (users) => ({ ...reply, users }));
    return users === reply.users ? reply : { ...reply, users };
  }
  return reply;
}

/** Keeps as many entries as fit on one line (binary search on the count). */
function fitList<T>(items: T[], withItems: (items: T[]) => Reply): T[] {
  const fits = (list: T[]) => {
    try {
      return encoder.encode(formatReply(withItems(list))).length <=
        MAX_LIST_LINE;
    } catch (error) {
      // formatReply refuses a line over the protocol's limit outright.
      if (error instanceof RangeError) return false;
      throw error;
    }
  };
  if (fits(items)) return items;
  let low = 0;
  let high = items.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (fits(items.slice(0, mid))) low = mid;
    else high = mid - 1;
  }
  return items.slice(0, low);
}
