/**
 * The browser harness itself: a tiny `Deno.serve` on loopback serves a page
 * that echoes typed text and talks over a WebSocket; chromium opens it.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir } from "../_util.ts";
import {
  browserTest,
  openPage,
  saveScreenshot,
  waitForText,
} from "./_browser.ts";

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>harness</title>
<input id="in" autofocus>
<div id="echo"></div>
<div id="ws"></div>
<script>
  const input = document.getElementById("in");
  input.addEventListener("input", () => {
    document.getElementById("echo").textContent = input.value;
  });
  if (location.search === "?ws") {
    const socket = new WebSocket(\`ws://\${location.host}/ws\`);
    socket.onmessage = (event) => {
      document.getElementById("ws").textContent = event.data;
      socket.send(\`got \${event.data}\`);
    };
  }
</script>
`;

/** What the page's WebSocket sent to the server. */
interface Served extends AsyncDisposable {
  url: string;
  fromBrowser: Promise<string>;
}

/** Serve {@linkcode PAGE} and a `/ws` endpoint that greets and listens. */
function servePage(): Served {
  const received = Promise.withResolvers<string>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen() {},
  }, (request) => {
    if (new URL(request.url).pathname === "/ws") {
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.onopen = () => socket.send("hello 你好");
      socket.onmessage = (event) => {
        received.resolve(String(event.data));
        socket.close();
      };
      return response;
    }
    return new Response(PAGE, {
      headers: { "content-type": "text/html; charset=utf-8" },
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    fromBrowser: received.promise,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** Width and height from a PNG's IHDR chunk (bytes 16..24, big-endian). */
function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

browserTest(
  "openPage() types into a page and sees the echo",
  async (browser) => {
    await using served = servePage();
    await using page = await openPage(browser, served.url, {
      width: 640,
      height: 480,
    });
    await page.locator("#in").pressSequentially("héllo 世界");
    await waitForText(page, { selector: "#echo", text: "héllo 世界" });
    assert.equal(await page.locator("#echo").textContent(), "héllo 世界");
  },
);

browserTest(
  "saveScreenshot() writes a PNG of the given size",
  async (browser) => {
    await using served = servePage();
    await using dir = await tempDir();
    await using page = await openPage(browser, served.url);
    const path = join(dir.path, "shot.png");
    await saveScreenshot(page, path, { width: 400, height: 300 });
    const bytes = await Deno.readFile(path);
    assert.deepEqual(
      [...bytes.subarray(0, 8)],
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    );
    assert.deepEqual(pngSize(bytes), { width: 400, height: 300 });
  },
);

browserTest(
  "openPage() page talks to the server over a WebSocket",
  async (browser) => {
    await using served = servePage();
    await using page = await openPage(browser, `${served.url}?ws`);
    await waitForText(page, { selector: "#ws", text: "hello 你好" });
    assert.equal(await served.fromBrowser, "got hello 你好");
  },
);

browserTest(
  "waitForText() fails naming the text the element has",
  async (browser) => {
    await using served = servePage();
    await using page = await openPage(browser, served.url);
    await page.locator("#in").fill("abc");
    await assert.rejects(
      // A short bound: this wait is meant to run out.
      waitForText(page, { selector: "#echo", text: "xyz" }, { timeoutMs: 200 }),
      /Cannot find text "xyz" in "#echo": it has "abc"/,
    );
  },
);
