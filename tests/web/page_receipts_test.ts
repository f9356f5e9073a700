/**
 * Read state and avatars in the page, in a real headless chromium against
 * a real server, beside scripted TCP users: a room's unread badge (kept by
 * the server across a reload), `✓` and `✓✓` on private messages, and
 * avatars (the default initial, an emoji, an uploaded picture served with
 * its type and `nosniff`), at phone width without sideways scroll.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import type { Locator, Page } from "playwright-core";
import { startChatServer } from "../../lib/server/net/chat_server.ts";
import { SqliteStore } from "../../lib/store/sqlite/sqlite_store.ts";
import { TestClient } from "../_client.ts";
import { tempDir } from "../_util.ts";
import { browserTest, openPage, saveScreenshot } from "./_browser.ts";

const PASSWORD = "password123";

/** A chat server with its page (and file sharing, which avatars ride on). */
async function webServer() {
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
    tcpPort: server.addr.port,
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

async function say(page: Page, text: string): Promise<void> {
  await page.fill("#input", text);
  await page.press("#input", "Enter");
}

/** The first line of the conversation in view matching `pattern`. */
async function lineOf(page: Page, pattern: RegExp): Promise<Locator> {
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

/** Waits until the page has measured what is on screen (two frames). */
async function frames(page: Page): Promise<void> {
  await page.evaluate(
    "new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))",
  );
}

/** A room's badge in the side bar. */
function roomBadge(page: Page, room: string): Locator {
  return page.locator(`#room-list [data-room="${room}"] .badge`);
}

/** The generated content of `::after` (how the receipt marks are drawn). */
function afterContent(locator: Locator): Promise<string> {
  return locator.evaluate((element) =>
    (globalThis as unknown as {
      getComputedStyle(e: unknown, pseudo: string): { content: string };
    }).getComputedStyle(element, "::after").content
  );
}

/**
 * Records the `ERROR` lines the page's socket receives from now on (after
 * a reload, so that its socket is the one watched).
 */
async function watchErrors(page: Page): Promise<string[]> {
  const errors: string[] = [];
  page.on("websocket", (socket) => {
    socket.on("framereceived", (frame) => {
      const line = String(frame.payload);
      if (line.startsWith("ERROR ")) errors.push(line);
    });
  });
  await page.reload();
  return errors;
}

/** Where screenshots go: `TCPCHAT_SCREENSHOTS`, else a temp folder. */
async function screenshotDir(): Promise<string> {
  const chosen = Deno.env.get("TCPCHAT_SCREENSHOTS");
  return chosen !== undefined && chosen !== ""
    ? chosen
    : await Deno.makeTempDir({ prefix: "tcpchat-shots-" });
}

browserTest(
  "web page: a room's unread badge counts what came while away, goes on joining, and survives a reload",
  async (browser) => {
    await using web = await webServer();
    await using page = await openPage(browser, web.url, { locale: "zh-CN" });
    const failures: string[] = [];
    page.on("pageerror", (error) => failures.push(error.message));
    const errors = await watchErrors(page);
    await registerAndLogin(page, "amy");
    // amy has been in 技术 before: from then on its messages count for her.
    await page.fill("#join-name", "技术");
    await page.press("#join-name", "Enter");
    await lineOf(page, /你已进入房间 技术/);
    await page.click('#room-list [data-room="大厅"]');
    await lineOf(page, /你已进入房间 大厅/);

    await using bob = await TestClient.connect(web.tcpPort);
    await bob.registerAndLogin("bob", PASSWORD);
    await bob.send("JOIN 技术");
    await bob.expect("HISTORY_END ");
    for (const text of ["一", "二", "三"]) await bob.send(`MSG ${text}`);
    await page.locator('#room-list [data-room="技术"] .badge', {
      hasText: /^3$/,
    }).waitFor();
    assert.equal(await roomBadge(page, "大厅").count(), 0);
    assert.equal(
      await roomBadge(page, "技术").getAttribute("title"),
      "3 条未读",
    );
    // The drawer button and the title count it too.
    assert.equal(await page.title(), "(3) TCPChat 网页版");

    // At phone width, with the drawer open, the badges fit.
    const shots = await screenshotDir();
    await page.setViewportSize({ width: 360, height: 740 });
    assert.equal(await page.textContent("#btn-menu"), "菜单 (3)");
    await page.click("#btn-menu");
    // The side bar slides in (0.15 s) before the shot.
    await page.waitForTimeout(400);
    await saveScreenshot(page, join(shots, "web-unread-phone.png"), {
      width: 360,
      height: 740,
    });
    assert.equal(
      await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth",
      ),
      0,
    );
    assert.equal(
      await page.evaluate(
        "document.getElementById('sidebar').scrollWidth - document.getElementById('sidebar').clientWidth",
      ),
      0,
    );

    // Joining shows the messages (they are read) and the badge goes.
    await page.click('#room-list [data-room="技术"]');
    await lineOf(page, / bob: 三$/);
    assert.equal(await roomBadge(page, "技术").count(), 0);
    await page.setViewportSize({ width: 1100, height: 680 });
    await frames(page);
    await page.click('#room-list [data-room="大厅"]');
    await lineOf(page, /你已进入房间 大厅/);
    await bob.send("MSG 四");
    await bob.send("MSG 五");
    await page.locator('#room-list [data-room="技术"] .badge', {
      hasText: /^2$/,
    }).waitFor();

    // A new page session: the server still knows what amy read.
    await page.reload();
    await page.waitForSelector("#chat-screen:not([hidden])");
    await page.locator('#room-list [data-room="技术"] .badge', {
      hasText: /^2$/,
    }).waitFor();
    await saveScreenshot(page, join(shots, "web-unread-desktop.png"), {
      width: 1100,
      height: 680,
    });
    assert.deepEqual(failures, []);
    // Each READ named a room the page was in, sent before it left.
    assert.deepEqual(
      errors.filter((line) => /not_in_room|no_such_message/.test(line)),
      [],
    );
  },
);

browserTest(
  "web page: a private message shows ✓ when delivered and ✓✓ once read; the page reports what its user read",
  async (browser) => {
    await using web = await webServer();
    await using page = await openPage(browser, web.url);
    const errors = await watchErrors(page);
    await registerAndLogin(page, "amy");
    await using bob = await TestClient.connect(web.tcpPort);
    await bob.registerAndLogin("bob", PASSWORD);
    await page.click('#user-list [data-user="bob"]');
    assert.equal(await page.textContent("#conversation-title"), "Private: bob");

    await say(page, "are you there?");
    const copy = await bob.expect("PRIVATE ");
    const id = Number(copy.split(" ")[1]);
    const line = await lineOf(page, /you → bob: are you there\?$/);
    const mark = line.locator(".receipt");
    await line.locator('.receipt[data-state="delivered"]').waitFor();
    assert.match(
      (await mark.getAttribute("title")) ?? "",
      /^Delivered \d\d:\d\d:\d\d$/,
    );
    assert.equal(await afterContent(mark), '"✓"');
    // The mark is drawn, not text: the line copies as the seed's format.
    assert.match(
      (await line.textContent()) ?? "",
      /^\[\d\d:\d\d:\d\d\] you → bob: are you there\?$/,
    );

    await bob.send(`READ amy ${id}`);
    await line.locator('.receipt[data-state="read"]').waitFor();
    assert.match(
      (await mark.getAttribute("title")) ?? "",
      /^Read \d\d:\d\d:\d\d$/,
    );
    assert.equal(await afterContent(mark), '"✓✓"');

    // bob writes; amy's page shows it in view, focused: bob hears it was read.
    await bob.send("PRIVMSG amy yes, here");
    const sent = await bob.expect("PRIVATE ");
    const bobsId = Number(sent.split(" ")[1]);
    await lineOf(page, /bob → you: yes, here$/);
    assert.match(
      await bob.expect(`PM_RECEIPT amy ${bobsId} read `),
      /^PM_RECEIPT amy \d+ read \d+$/,
    );

    // A read receipt for messages the page no longer shows: one line says so.
    await say(page, "one more");
    const more = Number((await bob.expect("PRIVATE ")).split(" ")[1]);
    await page.reload();
    await page.waitForSelector("#chat-screen:not([hidden])");
    await bob.send(`READ amy ${more}`);
    await page.click('#private-list [data-key="@bob"]');
    await lineOf(
      page,
      /^\[System\] bob read your private messages \(\d\d:\d\d:\d\d\)$/,
    );
    // The page named only bob's own messages in its READ.
    assert.deepEqual(
      errors.filter((line) => /not_in_room|no_such_message/.test(line)),
      [],
    );
  },
);

browserTest(
  "web page: avatars — the default initial, an emoji, and a picture uploaded from the profile dialog",
  async (browser) => {
    await using web = await webServer();
    await using page = await openPage(browser, web.url);
    const failures: string[] = [];
    page.on("pageerror", (error) => failures.push(error.message));
    await registerAndLogin(page, "amy");
    await using bob = await TestClient.connect(web.tcpPort);
    await bob.registerAndLogin("bob", PASSWORD);
    await bob.send("MSG hello");
    const first = await lineOf(page, / bob: hello$/);
    const initial = first.locator(".avatar");
    assert.equal(await initial.getAttribute("data-initial"), "B");
    assert.equal(await initial.getAttribute("data-face"), "initial");
    // Drawn beside the text, not in it.
    assert.match(
      (await first.textContent()) ?? "",
      /^\[\d\d:\d\d:\d\d\] bob: hello$/,
    );
    assert.notEqual(
      await initial.evaluate((element) =>
        (globalThis as unknown as {
          getComputedStyle(e: unknown): { backgroundColor: string };
        }).getComputedStyle(element).backgroundColor
      ),
      "rgba(0, 0, 0, 0)",
    );

    await bob.send("AVATAR 🐱");
    await bob.expect("OK avatar_set");
    await bob.send("MSG meow");
    const second = await lineOf(page, / bob: meow$/);
    assert.equal(
      await second.locator(".avatar").getAttribute("data-emoji"),
      "🐱",
    );
    // The earlier line and the online list follow the change.
    assert.equal(
      await first.locator(".avatar").getAttribute("data-emoji"),
      "🐱",
    );
    await page.locator('#user-list [data-user="bob"] .avatar[data-emoji="🐱"]')
      .waitFor();

    // amy uploads a picture: 400×300, scaled and re-encoded by the page.
    await page.click("#btn-profile");
    await page.waitForSelector("#profile-dialog[open]");
    assert.equal(
      await page.getAttribute("#avatar-file", "accept"),
      "image/png,image/jpeg,image/gif,image/webp",
    );
    // SVG is never offered, nor taken.
    await page.setInputFiles("#avatar-file", {
      name: "x.svg",
      mimeType: "image/svg+xml",
      buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'),
    });
    await page.locator("#profile-message", {
      hasText: "Only PNG, JPEG, GIF or WebP pictures can be used",
    }).waitFor();
    await page.setInputFiles("#avatar-file", {
      name: "me.png",
      mimeType: "image/png",
      buffer: Buffer.from(pngBytes(400, 300)),
    });
    await page.locator("#profile-message", { hasText: "Avatar updated" })
      .waitFor();
    const announced = await bob.expect("AVATAR_LIST amy=");
    assert.match(announced, /^AVATAR_LIST amy=img:\d+$/);
    const version = announced.split(":").at(-1);
    await page.locator("#profile-avatar img").waitFor();
    await page.click("#profile-close");

    await say(page, "new face");
    const own = await lineOf(page, / amy: new face$/);
    const img = own.locator(".avatar img");
    assert.equal(await img.getAttribute("src"), `/avatars/amy?v=${version}`);
    assert.equal(await img.getAttribute("alt"), "");
    const size = await img.evaluate((element) => {
      const image = element as unknown as {
        complete: boolean;
        naturalWidth: number;
        naturalHeight: number;
        decode(): Promise<void>;
      };
      return image.decode().then(
        () => [image.naturalWidth, image.naturalHeight],
      );
    });
    assert.deepEqual(size, [256, 256]);
    const response = await fetch(
      `http://127.0.0.1:${web.webPort}/avatars/amy?v=${version}`,
    );
    const bytes = new Uint8Array(await response.arrayBuffer());
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^image\//);
    assert.equal(response.headers.get("x-content-type-options"), "nosniff");
    // Re-encoded as WebP (RIFF....WEBP), not the PNG picked.
    assert.equal(new TextDecoder().decode(bytes.subarray(8, 12)), "WEBP");

    // Emoji from the dialog, then back to the default.
    await page.click("#btn-profile");
    await page.fill("#avatar-emoji", "not one");
    await page.click("#avatar-emoji-set");
    await page.locator("#profile-message", { hasText: "Enter one emoji" })
      .waitFor();
    await page.fill("#avatar-emoji", ":cat:");
    await page.click("#avatar-emoji-set");
    assert.equal(await bob.expect("AVATAR_LIST amy="), "AVATAR_LIST amy=🐱");
    await page.fill("#avatar-emoji", "🦊");
    await page.click("#avatar-emoji-set");
    assert.equal(await bob.expect("AVATAR_LIST amy="), "AVATAR_LIST amy=🦊");
    await page.locator('#profile-avatar .avatar[data-emoji="🦊"]').waitFor();
    await page.click("#avatar-default");
    assert.equal(await bob.expect("AVATAR_LIST amy="), "AVATAR_LIST amy=-");
    await page.locator('#profile-avatar .avatar[data-initial="A"]').waitFor();
    await page.click("#profile-close");
    assert.equal(
      await own.locator(".avatar").getAttribute("data-initial"),
      "A",
    );
    assert.deepEqual(failures, []);
  },
);

browserTest(
  "web page: /receipts off and the profile dialog's toggle turn read receipts off and on; /avatar typed",
  async (browser) => {
    await using web = await webServer();
    await using page = await openPage(browser, web.url);
    await registerAndLogin(page, "amy");
    await say(page, "/receipts off");
    await lineOf(page, /\[OK\]/);
    const okLines = page.locator('#messages .line[data-kind="ok"]');
    assert.equal(await okLines.count(), 1);
    // The dialog asks the server, and its answer sets the toggle (no line).
    await page.click("#btn-profile");
    const toggle = page.locator("#receipts-toggle");
    await page.locator("#receipts-toggle:not(:indeterminate):not(:checked)")
      .waitFor();
    await toggle.check();
    await page.locator('#messages .line[data-kind="ok"]').nth(1).waitFor();
    await page.click("#profile-close");
    await page.click("#btn-profile");
    await page.locator("#receipts-toggle:not(:indeterminate):checked")
      .waitFor();
    await page.click("#profile-close");
    assert.equal(await okLines.count(), 2);
    await say(page, "/receipts maybe");
    await lineOf(page, /Usage: \/receipts \[on\|off\] \(nothing sent\)/);
    // /avatar typed: one emoji (or its :code:), shown in the online list.
    await say(page, "/avatar cat");
    await lineOf(page, /\[Error\] .*one emoji/);
    await say(page, "/avatar :dog:");
    await lineOf(page, /\[OK\] Avatar set to 🐶/);
    await page.locator('#user-list [data-user="amy"] .avatar[data-emoji="🐶"]')
      .waitFor();
  },
);

browserTest(
  "web page: screenshots of avatars, unread badges and receipts at desktop and phone width",
  async (browser) => {
    await using web = await webServer();
    await using page = await openPage(browser, web.url, {
      locale: "zh-CN",
      width: 1100,
      height: 680,
    });
    await registerAndLogin(page, "小王");
    await page.fill("#join-name", "技术");
    await page.press("#join-name", "Enter");
    await lineOf(page, /你已进入房间 技术/);
    await page.click('#room-list [data-room="大厅"]');
    await lineOf(page, /你已进入房间 大厅/);
    // At a person's pace: two rooms in a blink and the page's own lines
    // (ROOMS, USERS, READ, AVATARS) pass the server's flood limit of 10 at
    // once, 5 a second, whose "slow down" line would be in the shot.
    await page.waitForTimeout(1500);
    await page.click("#btn-profile");
    await page.setInputFiles("#avatar-file", {
      name: "me.png",
      mimeType: "image/png",
      buffer: Buffer.from(pngBytes(300, 300)),
    });
    await page.locator("#profile-message", { hasText: "头像已更新" }).waitFor();
    await page.click("#profile-close");

    await using zhang = await TestClient.connect(web.tcpPort);
    await zhang.registerAndLogin("张三", PASSWORD);
    await zhang.send("AVATAR 🐱");
    await zhang.expect("OK avatar_set");
    await using li = await TestClient.connect(web.tcpPort);
    await li.registerAndLogin("Lisa", PASSWORD);
    await zhang.send("MSG 大家好 👋 今天下午三点开会");
    await li.send("MSG 收到");
    await say(page, "好的，我用网页版 :smile:");
    await lineOf(page, /小王: 好的/);
    await li.send("JOIN 技术");
    await li.expect("HISTORY_END ");
    await li.send("MSG 新版本已经发布");
    await page.locator('#room-list [data-room="技术"] .badge').waitFor();

    // A private conversation: one message read, one delivered.
    await page.click('#user-list [data-user="张三"]');
    await say(page, "会议室在几楼？");
    const first = Number((await zhang.expect("PRIVATE ")).split(" ")[1]);
    await zhang.send(`READ 小王 ${first}`);
    await page.locator('.receipt[data-state="read"]').waitFor();
    await zhang.send("PRIVMSG 小王 三楼");
    await lineOf(page, /张三 → 你: 三楼/);
    await say(page, "谢谢");
    await page.locator('.receipt[data-state="delivered"]').waitFor();
    await page.locator("#messages .avatar img").first().evaluate((element) =>
      (element as unknown as { decode(): Promise<void> }).decode()
    );
    // Nothing was refused along the way.
    assert.equal(
      await page.locator('#messages .line[data-kind="error"]').count(),
      0,
    );
    const shots = await screenshotDir();
    await page.waitForTimeout(300);
    await saveScreenshot(page, join(shots, "web-receipts-desktop.png"), {
      width: 1100,
      height: 680,
    });
    await page.click('#room-list [data-room="大厅"]');
    await lineOf(page, /张三: 大家好/);
    assert.equal(
      await page.locator('#messages .line[data-kind="error"]').count(),
      0,
    );
    await page.setViewportSize({ width: 360, height: 740 });
    await page.waitForTimeout(300);
    await saveScreenshot(page, join(shots, "web-avatars-phone.png"), {
      width: 360,
      height: 740,
    });
    assert.equal(
      await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth",
      ),
      0,
    );
    // The profile dialog fits a phone too.
    await page.click("#btn-menu");
    await page.click("#btn-profile");
    await page.locator("#receipts-toggle:not(:indeterminate)").waitFor();
    await saveScreenshot(page, join(shots, "web-profile-phone.png"), {
      width: 360,
      height: 740,
    });
    assert.equal(
      await page.evaluate(
        "(() => { const d = document.getElementById('profile-dialog'); return d.scrollWidth - d.clientWidth; })()",
      ),
      0,
    );
  },
);

/** A `width`×`height` RGB PNG of a colour gradient. */
function pngBytes(width: number, height: number): Uint8Array {
  const raw = new Uint8Array((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = (x * 255 / width) | 0;
      raw[row + 2 + x * 3] = (y * 255 / height) | 0;
      raw[row + 3 + x * 3] = 128;
    }
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 2, 0, 0, 0], 8);
  return concat(
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", new Uint8Array(deflateSync(raw))),
    chunk("IEND", new Uint8Array()),
  );
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const typed = concat(new TextEncoder().encode(type), data);
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(typed, 4);
  view.setUint32(8 + data.length, crc32(typed));
  return out;
}

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
