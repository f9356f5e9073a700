/**
 * One HTTP/1.1 `PUT` with a streamed body of a known length, written on a
 * socket of its own. `fetch` streams a request body as chunked transfer
 * coding, which the server refuses for uploads (411): a chunked body paced
 * by the server's disk costs the server a core (measured: 47 s of CPU for
 * 300 MB in 64 KiB chunks, 0.6 s with `Content-Length`), so the bytes go
 * with `Content-Length` here instead.
 *
 * @module
 */

/** What {@linkcode putWithLength} sends. */
export interface LengthPut {
  /** `http(s)://host:port/path`. */
  url: string;
  /** Request headers besides `Host`, `Content-Length` and `Connection`. */
  headers: Record<string, string>;
  /** The body's length in bytes; the body must give exactly this many. */
  length: number;
  body: ReadableStream<Uint8Array>;
  /** Trusted CA certificates (PEM) for `https:`; the system's without. */
  caCerts?: string[];
  /** Closes the socket; the promise then rejects with its reason. */
  signal?: AbortSignal;
}

/** The server's answer. */
export interface PutAnswer {
  status: number;
  headers: Headers;
  /** The response body as text (at most {@linkcode MAX_ANSWER_BYTES}). */
  text: string;
}

/** The most bytes of a response read (the head and a short JSON body). */
export const MAX_ANSWER_BYTES = 64 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Sends `put` and reads the answer. A server may answer before it read the
 * whole body (a refused ticket): the answer is returned even when writing
 * the rest failed.
 *
 * @throws the connection's error, or `signal`'s reason, when no answer came.
 */
export async function putWithLength(put: LengthPut): Promise<PutAnswer> {
  const url = new URL(put.url);
  const secure = url.protocol === "https:";
  const port = Number(url.port || (secure ? 443 : 80));
  const hostname = url.hostname.replace(/^\[(.*)\]$/, "$1");
  put.signal?.throwIfAborted();
  const conn = secure
    ? await Deno.connectTls({ hostname, port, caCerts: put.caCerts })
    : await Deno.connect({ hostname, port });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    try {
      conn.close();
    } catch {
      // Already closed by the peer.
    }
  };
  const abort = () => close();
  put.signal?.addEventListener("abort", abort, { once: true });
  try {
    const head = [
      `PUT ${url.pathname}${url.search} HTTP/1.1`,
      `Host: ${url.host}`,
      `Content-Length: ${put.length}`,
      "Connection: close",
      ...Object.entries(put.headers).map(([name, value]) =>
        `${name}: ${value}`
      ),
      "",
      "",
    ].join("\r\n");
    const answer = readAnswer(conn);
    // Seen, so an early answer does not reject unhandled while we write.
    answer.catch(() => {});
    let writeError: unknown;
    try {
      await writeAll(conn, encoder.encode(head));
      // The signal also cancels the body, so nothing keeps pulling it.
      await put.body.pipeTo(conn.writable, {
        preventClose: true,
        signal: put.signal,
      });
    } catch (error) {
      writeError = error;
      if (!put.body.locked) await put.body.cancel().catch(() => {});
    }
    try {
      return await answer;
    } catch (error) {
      put.signal?.throwIfAborted();
      throw writeError ?? error;
    }
  } finally {
    put.signal?.removeEventListener("abort", abort);
    close();
  }
}

/** Reads a response head and its body (by length, or to the close). */
async function readAnswer(conn: Deno.Conn): Promise<PutAnswer> {
  const reader = conn.readable.getReader();
  let bytes: Uint8Array = new Uint8Array(0);
  let headEnd = -1;
  try {
    while (headEnd === -1) {
      const { done, value } = await reader.read();
      if (done) {
        throw new Error("The server closed the connection without an answer");
      }
      bytes = concat(bytes, value);
      headEnd = indexOfBlankLine(bytes);
      if (headEnd === -1 && bytes.length > MAX_ANSWER_BYTES) {
        throw new Error("The server's answer is too long");
      }
    }
    const [statusLine, ...lines] = decoder.decode(bytes.subarray(0, headEnd))
      .split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1]);
    if (!Number.isInteger(status)) {
      throw new Error(`Not an HTTP answer: ${statusLine?.slice(0, 40)}`);
    }
    const headers = new Headers();
    for (const line of lines) {
      const colon = line.indexOf(":");
      if (colon > 0) {
        headers.append(
          line.slice(0, colon).trim(),
          line.slice(colon + 1).trim(),
        );
      }
    }
    const length = Number(headers.get("content-length") ?? NaN);
    let body: Uint8Array = bytes.subarray(headEnd + 4);
    const want = Number.isSafeInteger(length)
      ? Math.min(length, MAX_ANSWER_BYTES)
      : MAX_ANSWER_BYTES;
    while (body.length < want) {
      const { done, value } = await reader.read().catch(() => ({
        done: true as const,
        value: undefined,
      }));
      if (done) break;
      body = concat(body, value);
    }
    return {
      status,
      headers,
      text: decoder.decode(body.subarray(0, want)),
    };
  } finally {
    reader.releaseLock();
  }
}

function indexOfBlankLine(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (
      bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 &&
      bytes[i + 3] === 10
    ) return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await conn.write(bytes.subarray(written));
  }
}
