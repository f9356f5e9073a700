/**
 * The HTTP listener (`Deno.serve`, HTTPS with the server's certificate when
 * TLS is on): serves the browser page's files, embedded in the program
 * (`web_page.ts`), and upgrades `/ws` to a WebSocket carrying the native
 * protocol (see `lib/server/adapters/websocket/`), after checking that a
 * browser's page comes from this server (`Origin` equal to `Host`), so a
 * page elsewhere cannot drive a logged-in browser's socket. Every response
 * carries `X-Content-Type-Options: nosniff` and a strict
 * `Content-Security-Policy`; the page's files are revalidated by `ETag`.
 * Connections count against the same caps as TCP ones.
 *
 * @module
 */

import type { ConnectionLimits } from "./connection_limits.ts";
import { type PageFile, pageFile } from "./web_page.ts";
import { FILES_PATH } from "../files/file_transfers.ts";
import { AvatarHttp } from "../files/avatar_http.ts";

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

/**
 * The page's policy: its own script, style and icon only (no inline script
 * or style, nothing from elsewhere), its socket to this server, no frames,
 * no forms posted anywhere.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

/** Options for {@linkcode startWebListener}. */
export interface WebListenerOptions {
  hostname: string;
  /** Port; 0 picks a free one. */
  port: number;
  /** Serve HTTPS (and WSS) with this certificate. */
  tls?: { certPem: string; keyPem: string };
  /** The caps shared with the TCP listeners. */
  limits: ConnectionLimits;
  /**
   * Takes an upgraded socket; `release` gives its slot back once closed.
   */
  accept(socket: WebSocket, remote: Deno.NetAddr, release: () => void): void;
  /** Answers file transfers (`/files/<id>`); absent: they are 404. */
  files?: (request: Request) => Promise<Response>;
  /** Answers avatar pictures (`/avatar`, `/avatars/<user>`); absent: 404. */
  avatars?: (request: Request) => Promise<Response>;
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
    ...(options.tls === undefined
      ? {}
      : { cert: options.tls.certPem, key: options.tls.keyPem }),
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
): Response | Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname.startsWith(FILES_PATH) && options.files !== undefined) {
    return options.files(request);
  }
  if (AvatarHttp.handles(url.pathname) && options.avatars !== undefined) {
    return options.avatars(request);
  }
  if (url.pathname !== WEBSOCKET_PATH) return serveFile(request, url);
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

/** One of the page's files, or 404; only `GET` and `HEAD`. */
function serveFile(request: Request, url: URL): Response {
  const file = pageFile(url.pathname);
  if (file === undefined) return respond(404, "Not Found");
  if (request.method !== "GET" && request.method !== "HEAD") {
    return respond(405, "Method Not Allowed", { Allow: "GET, HEAD" });
  }
  const headers = fileHeaders(file);
  if (request.headers.get("if-none-match") === file.etag) {
    return new Response(null, { status: 304, headers });
  }
  if (request.method === "HEAD") {
    headers.set("Content-Length", String(file.body.byteLength));
    return new Response(null, { status: 200, headers });
  }
  return new Response(file.body, { status: 200, headers });
}

function fileHeaders(file: PageFile): Headers {
  return new Headers({
    ...SECURITY_HEADERS,
    "Content-Security-Policy": PAGE_CSP,
    // Kept, but asked about again each time: a new server version's page
    // is seen at the next load, an unchanged one costs a 304.
    "Cache-Control": "no-cache",
    "Content-Type": file.contentType,
    ETag: file.etag,
  });
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
