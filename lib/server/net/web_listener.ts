/**
 * The HTTP listener (`Deno.serve`): upgrades `/ws` to a WebSocket carrying
 * the native protocol (see `lib/server/adapters/websocket/`), after checking
 * that a browser's page comes from this server (`Origin` equal to `Host`),
 * so a page elsewhere cannot drive a logged-in browser's socket. Every
 * response carries `X-Content-Type-Options: nosniff` and a strict
 * `Content-Security-Policy`. Connections count against the same caps as
 * TCP ones.
 *
 * @module
 */

import type { ConnectionLimits } from "./connection_limits.ts";

/** The path of the WebSocket endpoint. */
export const WEBSOCKET_PATH = "/ws";

/** Headers on every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "X-Content-Type-Options": "nosniff",
  "Content-Security-Policy":
    "default-src 'none'; connect-src 'self'; frame-ancestors 'none'",
  "Cache-Control": "no-store",
  "Referrer-Policy": "no-referrer",
};

/** Options for {@linkcode startWebListener}. */
export interface WebListenerOptions {
  hostname: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** The caps shared with the TCP listeners. */
  limits: ConnectionLimits;
  /**
   * Takes an upgraded socket; `release` gives its slot back once closed.
   */
  accept(socket: WebSocket, remote: Deno.NetAddr, release: () => void): void;
  /** A request that failed on the server's side. */
  onError(error: unknown): void;
}

/** A running web listener. */
export interface WebListener {
  readonly addr: Deno.NetAddr;
  /** Stops accepting; open WebSockets are the caller's to close. */
  shutdown(): Promise<void>;
}

/**
 * Starts listening.
 *
 * @throws {Deno.errors.AddrInUse} and other listen errors, at once.
 */
export function startWebListener(options: WebListenerOptions): WebListener {
  const server = Deno.serve({
    hostname: options.hostname,
    port: options.port,
    onListen: () => {},
    onError: (error) => {
      options.onError(error);
      return respond(500, "Internal Server Error");
    },
  }, (request, info) => handle(options, request, info.remoteAddr));
  return {
    addr: server.addr as Deno.NetAddr,
    async shutdown() {
      await server.shutdown();
    },
  };
}

function handle(
  options: WebListenerOptions,
  request: Request,
  remote: Deno.NetAddr,
): Response {
  const url = new URL(request.url);
  if (url.pathname !== WEBSOCKET_PATH) return respond(404, "Not Found");
  if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return respond(426, "Upgrade Required", { Upgrade: "websocket" });
  }
  if (!sameOrigin(request)) return respond(403, "Forbidden: cross-origin");
  const slot = options.limits.tryAcquire(remote.hostname);
  if (!slot.ok) return respond(503, `Service Unavailable: ${slot.reason}`);
  let upgraded;
  try {
    // Our own PING/PONG finds dead peers, as over TCP.
    upgraded = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
  } catch {
    slot.release();
    return respond(400, "Bad Request: not a WebSocket upgrade");
  }
  options.accept(upgraded.socket, remote, slot.release);
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) {
    upgraded.response.headers.set(name, value);
  }
  return upgraded.response;
}

/**
 * Whether the request comes from a page of this server: no `Origin` (not
 * a browser) or one whose host and port are the request's `Host`.
 */
export function sameOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  const host = request.headers.get("host");
  try {
    return host !== null && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

function respond(
  status: number,
  text: string,
  extra: Record<string, string> = {},
): Response {
  return new Response(`${text}\n`, {
    status,
    headers: {
      ...SECURITY_HEADERS,
      "Content-Type": "text/plain; charset=utf-8",
      ...extra,
    },
  });
}
