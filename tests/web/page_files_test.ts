/**
 * File sharing in the page, in a real headless chromium: a file dropped on
 * the conversation (and one picked with the 📎 button) reaches a TCP user
 * byte for byte, a file a TCP user shares shows as a line whose download
 * button saves exactly its bytes, and a private file lands in its
 * conversation with an unread count.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { startChatServer } from "../../lib/server/net/chat_server.ts";
import { SqliteStore } from "../../lib/store/sqlite/sqlite_store.ts";
import { TestClient } from "../_client.ts";
import { tempDir } from "../_util.ts";
import { ask, fetchFile, offer, patternBytes, put, sha256 } from "../_files.ts";
import { browserTest, openPage, saveScreenshot } from "./_browser.ts";

const PASSWORD = "password123";

async function fileServer() {
  const dir = await tempDir();
  const server = startChatServer({
    store: SqliteStore.open(join(dir.path, "chat.db")),
    hostname: "127.0.0.1",
    port: 0,
    webPort: 0,
    hashIterations: 1000,
    files: {
      dir: join(dir.path, "chat-files"),
      maxFileBytes: 8 * 1024 * 1024,
      quotaBytes: 64 * 1024 * 1024,
      minFreeBytes: 0,
      retentionDays: 30,
    },
  });
  return {
    server,
    url: `http://127.0.0.1:${server.webAddr!.port}/`,
    webPort: server.webAddr!.port,
    async [Symbol.asyncDispose]() {
      await server.shutdown();
      await dir[Symbol.asyncDispose]();
    },
  };
}

async function registerAndLogin(page: Page, name: string): Promise<void> {
  await page.click("#tab-register");
  await page.fill("#auth-name", name);
  await page.fill("#auth-password", PASSWORD);
  await page.fill("#auth-confirm", PASSWORD);
  await page.click("#auth-submit");
  await page.waitForSelector("#recovery:not([hidden])");
  await page.click("#recovery-done");
  await page.fill("#auth-password", PASSWORD);
  await page.click("#auth-submit");
  await page.waitForSelector("#chat-screen:not([hidden])");
}

/** Waits for a line matching `pattern`; the lines shown in the error. */
async function lineOf(page: Page, pattern: RegExp) {
  const line = page.locator("#messages .line", { hasText: pattern }).first();
  try {
    await line.waitFor();
  } catch (error) {
    const lines = await page.locator("#messages .line").allTextContents();
    throw new Error(`no line matches ${pattern}:\n${lines.join("\n")}`, {
      cause: error,
    });
  }
  return line;
}

/** Drops a file with `bytes` named `name` on the conversation. */
async function dropFile(page: Page, name: string, bytes: Uint8Array) {
  const transfer = await page.evaluateHandle(
    ([fileName, data]) => {
      const globals = globalThis as unknown as {
        DataTransfer: new () => {
          items: { add(file: unknown): void };
        };
        File: new (parts: unknown[], name: string) => unknown;
      };
      const dt = new globals.DataTransfer();
      dt.items.add(new globals.File([new Uint8Array(data)], fileName));
      return dt;
    },
    [name, [...bytes]] as const,
  );
  await page.dispatchEvent("#conversation", "dragover", {
    dataTransfer: transfer,
  });
  await page.dispatchEvent("#conversation", "drop", { dataTransfer: transfer });
}

browserTest(
  "web page: a dropped or picked file reaches a TCP user; a shared file downloads from its line",
  async (browser) => {
    await using web = await fileServer();
    await using page = await openPage(browser, web.url, { locale: "zh-CN" });
    const failures: string[] = [];
    page.on("pageerror", (error) => failures.push(error.message));
    await registerAndLogin(page, "amy");
    await using bob = await TestClient.connect(web.server.addr.port);
    await bob.registerAndLogin("bob", PASSWORD);
    await bob.expect("HISTORY_END ");

    // Drag and drop.
    const dropped = patternBytes(300_000, 3);
    await dropFile(page, "季度 报告.pdf", dropped);
    const shared = await bob.expect("FILE_SHARED ", 15_000);
    assert.match(shared, / amy #大厅 (\d+) 300000 季度 报告\.pdf$/);
    const id = Number(shared.split(" ")[5]);
    const got = await fetchFile(web.webPort, await ask(bob, id));
    assert.deepEqual(got.bytes, dropped);
    const own = await lineOf(
      page,
      /amy 分享了文件 季度 报告\.pdf \(293 KB\) #f\d+/,
    );
    assert.equal(await own.getAttribute("data-kind"), "file");

    // The 📎 button's picker.
    const picked = new TextEncoder().encode("hello from the picker\n");
    await page.setInputFiles("#file-input", {
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from(picked),
    });
    assert.match(await bob.expect("FILE_SHARED ", 15_000), / 22 notes\.txt$/);

    // bob shares; amy downloads it from the line's button.
    const bytes = patternBytes(150_000, 9);
    const ticket = await offer(bob, "#大厅", bytes, "数据.bin");
    assert.equal((await put(web.webPort, ticket, bytes)).status, 201);
    const line = await lineOf(page, /bob 分享了文件 数据\.bin/);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      line.locator("button.download").click(),
    ]);
    assert.equal(download.suggestedFilename(), "数据.bin");
    const saved = await download.path();
    assert.equal(sha256(await Deno.readFile(saved)), sha256(bytes));
    await lineOf(page, /数据\.bin \(146 KB\) 已下载，SHA-256 校验通过/);
    assert.deepEqual(failures, []);
    // At phone width the file lines and their buttons fit (no sideways scroll).
    const shots = Deno.env.get("TCPCHAT_SCREENSHOTS");
    await page.setViewportSize({ width: 360, height: 740 });
    // The side bar folds away with a 0.15 s slide.
    await page.waitForTimeout(400);
    await saveScreenshot(
      page,
      join(shots || await Deno.makeTempDir(), "web-files-phone.png"),
      { width: 360, height: 740 },
    );
    assert.equal(
      await page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth",
      ),
      true,
    );
  },
);

browserTest(
  "web page: a private file lands in its conversation with an unread count",
  async (browser) => {
    await using web = await fileServer();
    await using page = await openPage(browser, web.url);
    await registerAndLogin(page, "amy");
    await using bob = await TestClient.connect(web.server.addr.port);
    await bob.registerAndLogin("bob", PASSWORD);
    const bytes = patternBytes(1000);
    const ticket = await offer(bob, "amy", bytes, "for-amy.txt");
    assert.equal((await put(web.webPort, ticket, bytes)).status, 201);
    await page.waitForSelector('#private-list [data-key="@bob"] .badge');
    await page.click('#private-list [data-key="@bob"]');
    await lineOf(page, /bob shared the file for-amy\.txt \(1000 B\) #f\d+/);
    // Typed /files lists it with its own download button.
    await page.fill("#input", "/files");
    await page.press("#input", "Enter");
    const entry = await lineOf(
      page,
      /#f\d+ for-amy\.txt \(1000 B\) {2}bob → you/,
    );
    assert.equal(await entry.locator("button.download").count(), 1);
    // Over the server's max_file: refused before the page reads it all.
    await page.setInputFiles("#file-input", {
      name: "huge.bin",
      mimeType: "application/octet-stream",
      buffer: Buffer.alloc(8 * 1024 * 1024 + 1),
    });
    await lineOf(page, /The file is too large \(the limit is 8\.0 MB\)/);
  },
);
