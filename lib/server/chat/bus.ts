/**
 * The bus: the one way the chat core reaches members other than the one
 * whose command it is answering. The core publishes {@linkcode Delivery}s;
 * adapters subscribe and deliver to their own connections. The in-process
 * bus calls subscribers synchronously, in order, so an event is handed to
 * every local member before `publish` returns (the ordering the core's
 * await rules rely on; docs/ARCHITECTURE.md). A bus shared by several
 * servers implements the same interface.
 *
 * @module
 */

import type { Delivery } from "./events.ts";

/** Receives every published delivery. */
export type BusSubscriber = (delivery: Delivery) => void;

/** Publish and subscribe for chat events. */
export interface Bus {
  /** Hands `delivery` to every subscriber. */
  publish(delivery: Delivery): void;
  /** Adds a subscriber; returns the function that removes it. */
  subscribe(subscriber: BusSubscriber): () => void;
}

/**
 * The bus of one process: synchronous fan-out to its subscribers. A
 * subscriber that throws does not keep the event from the others; the error
 * goes to `onError`.
 *
 * @example
 * ```ts
 * import { InProcessBus } from "./bus.ts";
 * import assert from "node:assert/strict";
 *
 * const bus = new InProcessBus();
 * const seen: string[] = [];
 * const stop = bus.subscribe((d) => seen.push(d.event.type));
 * bus.publish({ audience: { kind: "everyone" }, event: { type: "unmuted" } });
 * stop();
 * bus.publish({ audience: { kind: "everyone" }, event: { type: "unmuted" } });
 * assert.deepEqual(seen, ["unmuted"]);
 * ```
 */
export class InProcessBus implements Bus {
  #subscribers: BusSubscriber[] = [];
  #onError: (error: unknown) => void;

  /** `onError` receives what a subscriber threw. @default {rethrows later} */
  constructor(options: { onError?: (error: unknown) => void } = {}) {
    this.#onError = options.onError ?? ((error) =>
      queueMicrotask(() => {
        throw error;
      }));
  }

  publish(delivery: Delivery): void {
    for (const subscriber of this.#subscribers) {
      try {
        subscriber(delivery);
      } catch (error) {
        this.#onError(error);
      }
    }
  }

  subscribe(subscriber: BusSubscriber): () => void {
    // Copy on write: a subscriber added or removed while publishing does
    // not change the current fan-out.
    this.#subscribers = [...this.#subscribers, subscriber];
    return () => {
      this.#subscribers = this.#subscribers.filter((s) => s !== subscriber);
    };
  }
}
