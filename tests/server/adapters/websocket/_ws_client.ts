/**
 * A browser-like WebSocket client for the endpoint's tests: every line in
 * order, waits for the next line with a prefix, the close event at the end.
 *
 * @module
 */

import assert from "node:assert/strict";

/** A browser-like client: lines in order, the close event at the end. */
export class WsClient implements AsyncDisposable {
  readonly socket: WebSocket;
  /** Every line received so far, in order. */
  readonly lines: string[] = [];
  #cursor = 0;
  #waiters: Array<() => void> = [];
  readonly closed: Promise<CloseEvent>;

  constructor(url: string) {
    this.socket = new WebSocket(url);
    this.socket.onmessage = (event) => {
      this.lines.push(String(event.data));
      this.#waiters.splice(0).forEach((wake) => wake());
    };
    this.closed = new Promise((resolve) => {
      this.socket.onclose = (event) => {
        resolve(event);
        this.#waiters.splice(0).forEach((wake) => wake());
      };
    });
  }

  /** The next line (after the last one returned) that starts with `prefix`. */
  async expect(prefix: string): Promise<string> {
    for (let waited = 0; waited < 100; waited++) {
      const index = this.lines.findIndex((line, i) =>
        i >= this.#cursor && line.startsWith(prefix)
      );
      if (index >= 0) {
        this.#cursor = index + 1;
        return this.lines[index]!;
      }
      if (this.socket.readyState === WebSocket.CLOSED) break;
      // Woken by the next message or the close; bounded by the loop.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    throw new Error(
      `no line starting "${prefix}"; had ${this.lines.slice(this.#cursor)}`,
    );
  }

  send(line: string): void {
    this.socket.send(line);
  }

  /** Registers and logs in; resolves once the room's history is in. */
  async registerAndLogin(name: string, password = "password123") {
    await this.expect("HELLO ");
    this.send(`REGISTER ${name} ${password}`);
    await this.expect("REGISTER_SUCCESS");
    this.send(`LOGIN ${name} ${password}`);
    assert.equal(await this.expect("AUTH_"), `AUTH_SUCCESS ${name}`);
    await this.expect("HISTORY_END");
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.socket.readyState <= WebSocket.OPEN) this.socket.close();
    await this.closed;
  }
}
