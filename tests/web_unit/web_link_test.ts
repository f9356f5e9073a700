import assert from "node:assert/strict";
import type { Reply } from "../../lib/protocol/protocol.ts";
import {
  type LinkState,
  type SocketLike,
  type TimerId,
  WebLink,
} from "../../lib/web/web_link.ts";

/** A socket the test opens, feeds and closes. */
class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onerror: ((event: Event) => void) | null = null;
  readonly sent: string[] = [];
  closedWith: number | undefined;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("send on a socket not open");
    this.sent.push(data);
  }

  close(code?: number): void {
    this.closedWith = code ?? 1005;
    this.readyState = 3;
  }

  /** The server accepts. */
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }

  /** A server line arrives. */
  receive(data: unknown): void {
    this.onmessage?.(new MessageEvent("message", { data }));
  }

  /** The connection ends (refused, lost, closed by the server). */
  lose(): void {
    this.readyState = 3;
    this.onerror?.(new Event("error"));
    this.onclose?.(new CloseEvent("close", { code: 1006 }));
  }

  get attached(): boolean {
    return this.onopen !== null || this.onmessage !== null ||
      this.onclose !== null || this.onerror !== null;
  }
}

/** Timers that fire only when the test says so. */
class FakeTimers {
  #next = 1;
  readonly pending = new Map<number, { callback: () => void; ms: number }>();

  set = (callback: () => void, ms: number): TimerId => {
    const id = this.#next++;
    this.pending.set(id, { callback, ms });
    return id as unknown as TimerId;
  };

  clear = (id: TimerId): void => {
    this.pending.delete(id as unknown as number);
  };

  /** The delays of the timers waiting, in the order they were set. */
  get delays(): number[] {
    return [...this.pending.values()].map((timer) => timer.ms);
  }

  /** Fires the one waiting timer of `ms` (there must be exactly one). */
  fire(ms: number): void {
    const matching = [...this.pending].filter(([, timer]) => timer.ms === ms);
    assert.equal(matching.length, 1, `one timer of ${ms} ms waiting`);
    const [id, timer] = matching[0]!;
    this.pending.delete(id);
    timer.callback();
  }
}

interface Harness {
  link: WebLink;
  timers: FakeTimers;
  sockets: FakeSocket[];
  states: string[];
  replies: Array<{ reply: Reply; line: string }>;
  badLines: string[];
  last(): FakeSocket;
}

function harness(options: { failSockets?: number } = {}): Harness {
  const timers = new FakeTimers();
  const sockets: FakeSocket[] = [];
  const states: string[] = [];
  const replies: Array<{ reply: Reply; line: string }> = [];
  const badLines: string[] = [];
  let failures = options.failSockets ?? 0;
  const link = new WebLink("ws://127.0.0.1:1/ws", {
    reply: (reply, line) => replies.push({ reply, line }),
    state: (state: LinkState, retryInMs?: number) =>
      states.push(retryInMs === undefined ? state : `${state} ${retryInMs}`),
    badLine: (line) => badLines.push(line),
  }, {
    socket: (url) => {
      if (failures > 0) {
        failures--;
        throw new SyntaxError("bad url");
      }
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    setTimer: timers.set,
    clearTimer: timers.clear,
  });
  return {
    link,
    timers,
    sockets,
    states,
    replies,
    badLines,
    last: () => sockets[sockets.length - 1]!,
  };
}

Deno.test("start opens a socket to the url; online when it opens", () => {
  const h = harness();
  h.link.start();
  assert.equal(h.sockets.length, 1);
  assert.equal(h.last().url, "ws://127.0.0.1:1/ws");
  assert.equal(h.link.open, false);
  h.last().open();
  assert.equal(h.link.open, true);
  assert.deepEqual(h.states, ["connecting", "online"]);
});

Deno.test("send formats the command; false and nothing sent when not open", () => {
  const h = harness();
  assert.equal(h.link.send({ type: "rooms" }), false);
  h.link.start();
  assert.equal(h.link.send({ type: "msg", text: "too early" }), false);
  h.last().open();
  assert.equal(h.link.send({ type: "msg", text: "你好 <b>" }), true);
  assert.equal(h.link.send({ type: "join", room: "tech" }), true);
  assert.deepEqual(h.last().sent, ["MSG 你好 <b>", "JOIN tech"]);
  h.last().lose();
  assert.equal(h.link.send({ type: "rooms" }), false);
});

Deno.test("server lines are parsed and passed on with their text", () => {
  const h = harness();
  h.link.start();
  h.last().open();
  h.last().receive("HELLO tcpchat/1 0.1.0 min_password=8");
  h.last().receive("JOINED tech 3\r\n");
  h.last().receive("ROOM_LIST tech=3\n");
  assert.deepEqual(h.replies, [
    {
      reply: { type: "hello", protocolVersion: 1, serverVersion: "0.1.0" },
      line: "HELLO tcpchat/1 0.1.0 min_password=8",
    },
    {
      reply: { type: "joined", room: "tech", memberCount: 3 },
      line: "JOINED tech 3",
    },
    {
      reply: { type: "room_list", rooms: [{ name: "tech", memberCount: 3 }] },
      line: "ROOM_LIST tech=3",
    },
  ]);
});

Deno.test("a line that does not parse goes to badLine, not reply", () => {
  const h = harness();
  h.link.start();
  h.last().open();
  h.last().receive("NOT_A_VERB hello");
  h.last().receive("JOINED tech many\n");
  assert.deepEqual(h.badLines, ["NOT_A_VERB hello", "JOINED tech many"]);
  assert.deepEqual(h.replies, []);
  assert.deepEqual(h.last().sent, []);
});

Deno.test("binary frames are ignored", () => {
  const h = harness();
  h.link.start();
  h.last().open();
  h.last().receive(new Uint8Array([80, 73, 78, 71]));
  assert.deepEqual(h.replies, []);
  assert.deepEqual(h.badLines, []);
});

Deno.test("PING is answered with PONG and its token, and not passed on", () => {
  const h = harness();
  h.link.start();
  h.last().open();
  h.last().receive("PING abc123");
  h.last().receive("PING");
  assert.deepEqual(h.last().sent, ["PONG abc123", "PONG"]);
  assert.deepEqual(h.replies, []);
});

Deno.test("reconnects after 1, 2, 4, 8, then 15 seconds, again and again", () => {
  const h = harness();
  h.link.start();
  const delays: number[] = [];
  for (let i = 0; i < 7; i++) {
    h.last().lose();
    assert.equal(h.timers.pending.size, 1);
    const [delay] = h.timers.delays;
    delays.push(delay!);
    const before = h.sockets.length;
    h.timers.fire(delay!);
    assert.equal(h.sockets.length, before + 1, "a new socket after the wait");
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  assert.deepEqual(h.states, [
    "connecting",
    "reconnecting 1000",
    "reconnecting 2000",
    "reconnecting 4000",
    "reconnecting 8000",
    "reconnecting 15000",
    "reconnecting 15000",
    "reconnecting 15000",
  ]);
});

Deno.test("a socket that opened starts the waits over at 1 second", () => {
  const h = harness();
  h.link.start();
  h.last().lose();
  h.timers.fire(1000);
  h.last().lose();
  h.timers.fire(2000);
  h.last().open();
  h.last().lose();
  assert.deepEqual(h.timers.delays, [1000]);
  assert.deepEqual(h.states.slice(-2), ["online", "reconnecting 1000"]);
});

Deno.test("a socket factory that throws is retried like a lost socket", () => {
  const h = harness({ failSockets: 2 });
  h.link.start();
  assert.equal(h.sockets.length, 0);
  h.timers.fire(1000);
  assert.equal(h.sockets.length, 0);
  h.timers.fire(2000);
  assert.equal(h.sockets.length, 1);
  h.last().open();
  assert.deepEqual(h.states, [
    "connecting",
    "reconnecting 1000",
    "reconnecting 2000",
    "online",
  ]);
});

Deno.test("a quiet server is pinged after 25 s, dropped after 10 s more", () => {
  const h = harness();
  h.link.start();
  const first = h.last();
  first.open();
  assert.deepEqual(h.timers.delays, [25000]);
  h.timers.fire(25000);
  assert.deepEqual(first.sent, ["PING w1"]);
  assert.deepEqual(h.timers.delays, [10000]);
  h.timers.fire(10000);
  assert.equal(first.closedWith, 1000);
  assert.equal(first.attached, false);
  assert.equal(h.link.open, false);
  assert.deepEqual(h.timers.delays, [1000]);
  h.timers.fire(1000);
  assert.equal(h.sockets.length, 2);
  h.last().open();
  assert.deepEqual(h.states, [
    "connecting",
    "online",
    "reconnecting 1000",
    "online",
  ]);
});

Deno.test("any server line restarts the quiet wait; an answer keeps the socket", () => {
  const h = harness();
  h.link.start();
  const socket = h.last();
  socket.open();
  h.timers.fire(25000);
  socket.receive("PONG w1");
  assert.deepEqual(h.timers.delays, [25000]);
  h.timers.fire(25000);
  assert.deepEqual(socket.sent, ["PING w1", "PING w2"]);
  // A bad line is still a sign of life.
  socket.receive("GARBAGE");
  assert.deepEqual(h.timers.delays, [25000]);
  assert.equal(socket.closedWith, undefined);
  assert.equal(h.sockets.length, 1);
  // The server's PONG is a reply like any other.
  assert.deepEqual(h.replies, [{
    reply: { type: "pong", token: "w1" },
    line: "PONG w1",
  }]);
});

Deno.test("stop closes for good: no reconnect, no timers, offline", () => {
  const h = harness();
  h.link.start();
  const socket = h.last();
  socket.open();
  h.link.stop();
  assert.equal(socket.closedWith, 1000);
  assert.equal(socket.attached, false);
  assert.deepEqual(h.timers.delays, []);
  assert.deepEqual(h.states, ["connecting", "online", "offline"]);
  assert.equal(h.link.send({ type: "rooms" }), false);
  h.link.retryNow();
  assert.equal(h.sockets.length, 1);
});

Deno.test("stop during the wait cancels the pending retry", () => {
  const h = harness();
  h.link.start();
  h.last().lose();
  assert.deepEqual(h.timers.delays, [1000]);
  h.link.stop();
  assert.deepEqual(h.timers.delays, []);
  assert.equal(h.sockets.length, 1);
  assert.deepEqual(h.states, ["connecting", "reconnecting 1000", "offline"]);
});

Deno.test("start after stop connects again", () => {
  const h = harness();
  h.link.start();
  h.last().open();
  h.link.stop();
  h.link.start();
  assert.equal(h.sockets.length, 2);
  h.last().open();
  assert.equal(h.link.open, true);
  h.last().lose();
  assert.deepEqual(h.timers.delays, [1000]);
});

Deno.test("drop closes the socket and reconnects", () => {
  const h = harness();
  h.link.start();
  const socket = h.last();
  socket.open();
  h.link.drop();
  assert.equal(socket.closedWith, 1000);
  assert.equal(h.link.open, false);
  assert.deepEqual(h.timers.delays, [1000]);
  // The old socket's late events change nothing.
  socket.lose();
  assert.deepEqual(h.timers.delays, [1000]);
});

Deno.test("retryNow connects at once during a wait, and does nothing when open", () => {
  const h = harness();
  h.link.start();
  h.last().lose();
  h.last().lose(); // a second close event of the same socket is ignored
  assert.deepEqual(h.timers.delays, [1000]);
  h.link.retryNow();
  assert.deepEqual(h.timers.delays, []);
  assert.equal(h.sockets.length, 2);
  h.last().open();
  h.link.retryNow();
  assert.equal(h.sockets.length, 2);
});

Deno.test("retryNow while a socket is still connecting replaces it", () => {
  const h = harness();
  h.link.start();
  const first = h.last();
  h.link.retryNow();
  assert.equal(h.sockets.length, 2);
  assert.equal(first.closedWith, 1000);
  assert.equal(first.attached, false);
  const second = h.last();
  second.open();
  second.receive("JOINED tech 2");
  assert.equal(h.link.open, true);
  assert.deepEqual(h.replies, [{
    reply: { type: "joined", room: "tech", memberCount: 2 },
    line: "JOINED tech 2",
  }]);
  assert.deepEqual(h.states, ["connecting", "online"]);
  assert.deepEqual(h.timers.delays, [25000]);
});
