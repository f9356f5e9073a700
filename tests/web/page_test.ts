/**
 * The browser page in a real, headless chromium against a real server on
 * loopback, next to TCP clients: register and log in, chat both ways, join
 * a room, private and offline messages, reconnecting after the server
 * restarts, HTTPS/WSS with `--tls`, and user text full of HTML that stays
 * text. Screenshots at desktop and phone width go to a temp folder (or to
 * `TCPCHAT_SCREENSHOTS`, which is how docs/screenshots/ is made).
 *
 * @module
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import type { Page } from "playwright-core";
import {
  type ChatServer,
  startChatServer,
} from "../../lib/server/net/chat_server.ts";
import { generateSelfSignedCertificate } from "../../lib/server/net/tls_cert.ts";
import { SqliteStore } from "../../lib/store/sqlite/sqlite_store.ts";
import type { StoredMessage } from "../../lib/store/store.ts";
import { TestClient } from "../_client.ts";
import { tempDir } from "../_util.ts";
import { browserTest, openPage, saveScreenshot } from "./_browser.ts";

const PASSWORD = "password123";

/** A chat server with its page on loopback, on a database that outlives it. */
class WebServer implements AsyncDisposable {
  #dir: AsyncDisposable & { path: string };
  #tls: { certPem: string; keyPem: string } | undefined;
  server: ChatServer;

  private constructor(
    dir: AsyncDisposable & { path: string },
    tls: { certPem: string; keyPem: string } | undefined,
  ) {
    this.#dir = dir;
    this.#tls = tls;
    this.server = this.#start(0);
  }

  static async start(
    tls?: { certPem: string; keyPem: string },
    history: readonly StoredMessage[] = [],
  ): Promise<WebServer> {
    const dir = await tempDir();
    if (history.length > 0) {
      const store = SqliteStore.open(join(dir.path, "chat.db"));
      await store.insertMessages(history);
      store.close();
    }
    return new WebServer(dir, tls);
  }

  #start(webPort: number): ChatServer {
    return startChatServer({
      store: SqliteStore.open(join(this.#dir.path, "chat.db")),
      hostname: "127.0.0.1",
      port: 0,
      webPort,
      hashIterations: 1000,
      tls: this.#tls === undefined ? undefined : { ...this.#tls, port: 0 },
    });
  }

  get url(): string {
    const scheme = this.#tls === undefined ? "http" : "https";
    return `${scheme}://127.0.0.1:${this.server.webAddr!.port}/`;
  }

  get tcpPort(): number {
    return this.server.addr.port;
  }

  /** Stops the server (saying BYE shutdown) and starts it again, same ports for the page. */
  async restart(): Promise<void> {
    const webPort = this.server.webAddr!.port;
    await this.server.shutdown();
    this.server = this.#start(webPort);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.server.shutdown();
    await this.#dir[Symbol.asyncDispose]();
  }
}

/**
 * Waits until some line of the conversation in view matches `pattern`.
 * (Locators, not `waitForFunction`: the page's CSP forbids the evaluated
 * strings that polling a function needs.)
 */
async function waitForLine(page: Page, pattern: RegExp): Promise<void> {
  try {
    await page.locator("#messages .line", { hasText: pattern }).first()
      .waitFor();
  } catch (error) {
    const lines = await page.locator("#messages .line").allTextContents();
    throw new Error(
      `no line matches ${pattern}; the page shows:\n${lines.join("\n")}`,
      { cause: error },
    );
  }
}

/** Waits for the log-in form's message to say `text`. */
async function waitForAuthMessage(page: Page, text: string): Promise<void> {
  const exact = new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
  await page.locator("#auth-message", { hasText: exact }).waitFor();
}

/** Polls `expression` in the page until it is true (bounded). */
async function waitUntil(page: Page, expression: string): Promise<void> {
  for (let tries = 0; tries < 100; tries++) {
    if (await page.evaluate(expression) === true) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`the page never made ${expression} true`);
}

/** Registers `name` on the page (recovery code shown once), then logs in. */
async function registerAndLogin(page: Page, name: string): Promise<string> {
  const code = await register(page, name);
  await page.fill("#auth-password", PASSWORD);
  await page.click("#auth-submit");
  await page.waitForSelector("#chat-screen:not([hidden])");
  return code;
}

/** Registers `name` on the page; resolves the recovery code it showed once. */
async function register(page: Page, name: string): Promise<string> {
  await page.click("#tab-register");
  await page.fill("#auth-name", name);
  await page.fill("#auth-password", PASSWORD);
  await page.fill("#auth-confirm", PASSWORD);
  await page.click("#auth-submit");
  await page.waitForSelector("#recovery:not([hidden])");
  const code = (await page.textContent("#recovery-code")) ?? "";
  await page.click("#recovery-done");
  assert.equal(await page.inputValue("#auth-name"), name);
  return code;
}

async function logIn(page: Page, name: string): Promise<void> {
  await page.fill("#auth-name", name);
  await page.fill("#auth-password", PASSWORD);
  await page.click("#auth-submit");
  await page.waitForSelector("#chat-screen:not([hidden])");
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill("#input", text);
  await page.press("#input", "Enter");
}

/** Where screenshots go: `TCPCHAT_SCREENSHOTS`, else a temp folder. */
async function screenshotDir(): Promise<{ path: string; remove: boolean }> {
  const chosen = Deno.env.get("TCPCHAT_SCREENSHOTS");
  if (chosen !== undefined && chosen !== "") {
    return { path: chosen, remove: false };
  }
  return {
    path: await Deno.makeTempDir({ prefix: "tcpchat-shots-" }),
    remove: true,
  };
}

async function assertPng(path: string): Promise<void> {
  const bytes = await Deno.readFile(path);
  assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], path);
}

browserTest(
  "web page: a newcomer registers, logs in and chats with a TCP user both ways (zh)",
  async (browser) => {
    await using web = await WebServer.start();
    await using page = await openPage(browser, web.url, { locale: "zh-CN" });
    const failures: string[] = [];
    page.on("pageerror", (error) => failures.push(error.message));
    assert.equal(await page.textContent("#tab-login"), "登录");
    assert.equal(await page.getAttribute("#auth-password", "type"), "password");

    const code = await registerAndLogin(page, "小王");
    assert.match(code, /^[0-9A-Z]{4}(-[0-9A-Z]{4}){7}$/);
    await waitForLine(page, /^【系统】欢迎 小王！当前在线用户数: 1$/);
    assert.equal(await page.textContent("#conversation-title"), "大厅");
    assert.equal(await page.textContent("#connection"), "已连接");

    await using tcp = await TestClient.connect(web.tcpPort);
    await tcp.registerAndLogin("终端", PASSWORD);
    await waitForLine(page, /^【系统】终端 加入了聊天室$/);
    await page.waitForSelector('#user-list [data-user="终端"]');

    await say(page, "大家好");
    assert.match(await tcp.expect("MESSAGE "), / 小王 大家好$/);
    await waitForLine(page, /^\[\d\d:\d\d:\d\d\] 小王: 大家好$/);
    await tcp.send("MSG 你好，网页");
    await waitForLine(page, /^\[\d\d:\d\d:\d\d\] 终端: 你好，网页$/);
    const last = page.locator("#messages .line").last();
    assert.equal(await last.getAttribute("data-kind"), "chat");
    assert.equal(await last.locator(".name").textContent(), "终端");

    // A slash command works as in the terminal; a wrong one says its usage.
    await say(page, "/join");
    await waitForLine(page, /【错误】用法: \/join <房间名>（未发送）$/);
    assert.deepEqual(failures, []);
  },
);

browserTest(
  "web page: rooms from the list and /join, private conversations with unread counts, offline messages (en)",
  async (browser) => {
    await using web = await WebServer.start();
    await using page = await openPage(browser, web.url);
    assert.equal(await page.textContent("#tab-login"), "Log in");
    await register(page, "amy");

    // Private messages to amy while she is not logged in wait for her.
    await using bob = await TestClient.connect(web.tcpPort);
    await bob.registerAndLogin("bob", PASSWORD);
    await bob.send("PRIVMSG amy sent while you were away");
    await bob.expect("PM_QUEUED amy");
    await logIn(page, "amy");
    await page.waitForSelector('#private-list [data-key="@bob"] .badge');
    assert.equal(
      await page.textContent('#private-list [data-key="@bob"] .badge'),
      "1",
    );
    await page.click('#private-list [data-key="@bob"]');
    await waitForLine(
      page,
      /^\[\d\d:\d\d:\d\d\] bob → you: sent while you were away$/,
    );
    assert.equal(await page.textContent("#conversation-title"), "Private: bob");
    assert.match(await bob.expect("PM_DELIVERED "), /^PM_DELIVERED amy 1$/);

    // And the other way: bob is offline, amy writes from the conversation.
    await bob.send("LOGOUT");
    await bob.expect("LOGOUT_SUCCESS");
    await say(page, "see you later");
    await waitForLine(
      page,
      /^\[System\] bob is offline; the message will be delivered when they log in$/,
    );
    await bob.send(`LOGIN bob ${PASSWORD}`);
    await bob.expect("OFFLINE_BEGIN 1");
    assert.match(await bob.expect("PRIVATE "), / amy bob see you later$/);

    // Back to the room; a PM arriving elsewhere shows as unread.
    await page.click('#room-list [data-room="大厅"]');
    await bob.send("PRIVMSG amy are you there?");
    await page.waitForSelector('#private-list [data-key="@bob"] .badge');
    assert.equal(
      await page.textContent('#private-list [data-key="@bob"] .badge'),
      "1",
    );
    await page.click('#private-list [data-key="@bob"]');
    await waitForLine(page, / bob → you: are you there\?$/);
    assert.equal(
      await page.locator('#private-list [data-key="@bob"] .badge').count(),
      0,
    );

    // Rooms: the join box, then the list.
    await page.click('#room-list [data-room="大厅"]');
    await page.fill("#join-name", "tech");
    await page.press("#join-name", "Enter");
    await waitForLine(page, /^\[System\] You are now in room tech \(1 here\)$/);
    assert.equal(await page.textContent("#conversation-title"), "tech");
    await bob.send("JOIN tech");
    await waitForLine(page, /^\[System\] bob joined the chat$/);
    await bob.send("MSG hello tech");
    await waitForLine(page, / bob: hello tech$/);
    await page.click('#room-list [data-room="大厅"]');
    await waitForLine(page, /^\[System\] You are now in room 大厅/);
    assert.equal(await page.textContent("#conversation-title"), "大厅");
  },
);

browserTest(
  "web page: after the server restarts the page reconnects by itself, resumes and shows what was missed",
  async (browser) => {
    await using web = await WebServer.start();
    await using page = await openPage(browser, web.url);
    await registerAndLogin(page, "carol");
    await page.fill("#join-name", "ops");
    await page.press("#join-name", "Enter");
    await waitForLine(page, /You are now in room ops/);

    await web.restart();
    // The page was told why before its socket closed.
    await waitForLine(page, /^\[System\] The server is shutting down$/);
    // Someone says something in the room while the page is away.
    await using dave = await TestClient.connect(web.tcpPort);
    await dave.registerAndLogin("dave", PASSWORD);
    await dave.send("JOIN ops");
    await dave.expect("HISTORY_END");
    await dave.send("MSG while you were away");

    await waitForLine(page, /Reconnected/);
    await page.waitForSelector('#connection[data-state="online"]');
    assert.equal(await page.textContent("#conversation-title"), "ops");
    await waitForLine(page, /^--- Messages while you were away ---$/);
    await waitForLine(page, / dave: while you were away$/);
    await waitForLine(
      page,
      /^--- End of the messages while you were away ---$/,
    );
    await dave.send("MSG and now");
    await waitForLine(page, / dave: and now$/);
    await say(page, "back");
    assert.match(await dave.expect("MESSAGE "), / carol back$/);
  },
);

browserTest(
  "web page: HTML and script in a message and a status show as text",
  async (browser) => {
    await using web = await WebServer.start();
    await using page = await openPage(browser, web.url);
    let dialogs = 0;
    page.on("dialog", (dialog) => {
      dialogs++;
      void dialog.dismiss();
    });
    await registerAndLogin(page, "eve");
    await using mal = await TestClient.connect(web.tcpPort);
    await mal.registerAndLogin("mal", PASSWORD);
    const evil =
      `<img src=x onerror="alert(1)"><script>alert(2)</script><b>bold</b>`;
    await mal.send(`MSG ${evil}`);
    await waitForLine(page, /alert\(2\)/);
    const text = await page.locator("#messages .line").last().locator(".text")
      .textContent();
    assert.equal(text, evil);
    await mal.send(`STATUS ${evil}`);
    await mal.expect("OK ");
    await say(page, "/whois mal");
    await waitForLine(page, /<script>alert\(2\)<\/script>/);
    // (Room and user names allow no markup characters: the server refuses
    // them, see tests/server; their text goes through the same text nodes.)
    // Nothing became markup: no image, script, bold or italic element, no alert.
    assert.equal(
      await page.locator(
        "#chat-screen img, #chat-screen b, #chat-screen i, body script:not([src])",
      ).count(),
      0,
    );
    assert.equal(dialogs, 0);
  },
);

browserTest(
  "web page: with TLS the page and its socket run over HTTPS and WSS",
  async (browser) => {
    const certificate = await generateSelfSignedCertificate();
    await using web = await WebServer.start(certificate);
    assert.match(web.url, /^https:/);
    await using page = await openPage(browser, web.url, {
      ignoreHTTPSErrors: true,
    });
    await registerAndLogin(page, "frank");
    await waitForLine(page, /Welcome frank/);
  },
);

browserTest(
  "web page: screenshots at desktop and phone width",
  async (browser) => {
    await using web = await WebServer.start();
    const shots = await screenshotDir();
    try {
      await using page = await openPage(browser, web.url, {
        locale: "zh-CN",
        width: 1100,
        height: 680,
      });
      await registerAndLogin(page, "小王");
      await using tcp = await TestClient.connect(web.tcpPort);
      await tcp.registerAndLogin("张三", PASSWORD);
      await tcp.send("MSG 大家好 👋 今天下午三点开会");
      await say(page, "收到，我用网页版登录的 :smile:");
      await tcp.send("PRIVMSG 小王 会议室在三楼");
      await page.waitForSelector('#private-list [data-key="@张三"] .badge');
      await waitForLine(page, / 张三: 大家好/);
      // Let the side bar's transition end before each shot.
      await page.waitForTimeout(300);
      const desktop = join(shots.path, "web-desktop.png");
      await saveScreenshot(page, desktop, { width: 1100, height: 680 });
      await page.setViewportSize({ width: 360, height: 740 });
      await page.waitForTimeout(300);
      const phone = join(shots.path, "web-phone.png");
      await saveScreenshot(page, phone, { width: 360, height: 740 });
      await assertPng(desktop);
      await assertPng(phone);
      // At phone width nothing is wider than the screen.
      const overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth",
      );
      assert.equal(overflow, 0);
    } finally {
      if (shots.remove) await Deno.remove(shots.path, { recursive: true });
    }
  },
);

browserTest(
  "web page: older history loads on top as the room is scrolled up, with date lines",
  async (browser) => {
    const day = 24 * 3600_000;
    const start = Date.now() - 3 * day;
    const history: StoredMessage[] = Array.from({ length: 90 }, (_, i) => ({
      id: i + 1,
      room: "大厅",
      sender: "old",
      recipient: null,
      text: `message ${i + 1}`,
      createdAt: start + i * (day / 40),
    }));
    await using web = await WebServer.start(undefined, history);
    await using page = await openPage(browser, web.url, { height: 600 });
    await registerAndLogin(page, "gina");
    await waitForLine(page, / old: message 90$/);
    const texts = () => page.locator("#messages .line .text").allTextContents();
    assert.equal(
      (await texts()).filter((t) => t.startsWith("message ")).length,
      20,
    );
    assert.ok(!(await texts()).includes("message 70"));

    await page.evaluate("document.getElementById('messages').scrollTop = 0");
    await waitForLine(page, / old: message 21$/);
    await page.evaluate("document.getElementById('messages').scrollTop = 0");
    await waitForLine(page, /No older messages/);
    const all = (await texts()).filter((t) => t.startsWith("message "));
    assert.deepEqual(all, history.map((message) => message.text));
    // One date line per day, none twice.
    const headings = (await page.locator('#messages .line[data-kind="heading"]')
      .allTextContents())
      .filter((text) => /^—— \d{4}-\d\d-\d\d ——$/.test(text));
    assert.ok(headings.length >= 3, headings.join(" | "));
    assert.equal(new Set(headings).size, headings.length, headings.join(" | "));
  },
);

browserTest(
  "web page: a password reset with the recovery code, then a new code shown once, then log in",
  async (browser) => {
    await using web = await WebServer.start();
    await using page = await openPage(browser, web.url);
    const code = await register(page, "hana");
    await page.click("#tab-reset");
    assert.equal(await page.isVisible("#auth-name"), false);
    await page.fill("#auth-token", code);
    await page.fill("#auth-password", "a new password");
    await page.fill("#auth-confirm", "a new passwore");
    await page.click("#auth-submit");
    assert.equal(
      await page.textContent("#auth-message"),
      "The passwords do not match",
    );
    await page.fill("#auth-password", "a new password");
    await page.fill("#auth-confirm", "a new password");
    await page.click("#auth-submit");
    await page.waitForSelector("#recovery:not([hidden])");
    const next = await page.textContent("#recovery-code");
    assert.ok(
      next !== code && /^[0-9A-Z]{4}(-[0-9A-Z]{4}){7}$/.test(next ?? ""),
    );
    await page.click("#recovery-done");
    await page.fill("#auth-name", "hana");
    await page.fill("#auth-password", PASSWORD);
    await page.click("#auth-submit");
    await waitForAuthMessage(page, "Invalid username or password");
    await page.fill("#auth-password", "a new password");
    await page.click("#auth-submit");
    await page.waitForSelector("#chat-screen:not([hidden])");
  },
);

browserTest(
  "web page: deleting the account from its dialog, and logging out",
  async (browser) => {
    await using web = await WebServer.start();
    await using page = await openPage(browser, web.url);
    await registerAndLogin(page, "ivan");
    await page.click("#btn-logout");
    await page.waitForSelector("#auth-screen:not([hidden])");
    await logIn(page, "ivan");
    await page.click("#btn-delete");
    await page.fill("#dialog-fields input", "wrong password");
    await page.click("#dialog-ok");
    await waitForLine(page, /Invalid username or password/);
    await page.click("#btn-delete");
    await page.fill("#dialog-fields input", PASSWORD);
    await page.click("#dialog-ok");
    await page.waitForSelector("#auth-screen:not([hidden])");
    assert.equal(await page.textContent("#auth-message"), "Account deleted");
    assert.equal(await web.server.auth.isOnline("ivan"), false);
    await page.fill("#auth-name", "ivan");
    await page.fill("#auth-password", PASSWORD);
    await page.click("#auth-submit");
    await waitForAuthMessage(page, "Invalid username or password");
  },
);

browserTest(
  "web page: a private message or a mention while the tab is hidden notifies, once allowed",
  async (browser) => {
    await using web = await WebServer.start();
    await using page = await openPage(browser, web.url);
    // The browser's Notification, recorded; and a tab the test can hide.
    await page.addInitScript(`
    window.__notes = [];
    window.Notification = class {
      static permission = "default";
      static async requestPermission() { this.permission = "granted"; return "granted"; }
      constructor(title, options) { window.__notes.push(title + ": " + options.body); }
    };
    window.__hidden = false;
    Object.defineProperty(document, "visibilityState", { get: () => window.__hidden ? "hidden" : "visible" });
  `);
    await page.reload();
    await registerAndLogin(page, "june");
    await page.click("#btn-notify");
    await waitForLine(page, /Notifications on/);
    await using kim = await TestClient.connect(web.tcpPort);
    await kim.registerAndLogin("kim", PASSWORD);
    await kim.send("MSG not for anyone");
    await waitForLine(page, /not for anyone/);
    await page.evaluate(
      "window.__hidden = true; document.dispatchEvent(new Event('visibilitychange'))",
    );
    await kim.send("MSG hey @june look");
    await kim.send("PRIVMSG june psst");
    await waitUntil(page, "window.__notes.length === 2");
    assert.deepEqual(await page.evaluate("window.__notes"), [
      "kim · 大厅: hey @june look",
      "kim: psst",
    ]);
    assert.equal(await page.title(), "(2) TCPChat Web");
    const mention = page.locator("#messages .line.mention");
    assert.equal(await mention.count(), 1);
    await page.evaluate(
      "window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))",
    );
    assert.equal(await page.title(), "(1) TCPChat Web");
  },
);

browserTest(
  "web page: the language switch changes the page's words and the server's",
  async (browser) => {
    await using web = await WebServer.start();
    await using page = await openPage(browser, web.url);
    await registerAndLogin(page, "lena");
    assert.equal(await page.textContent("#btn-logout"), "Log out");
    await page.selectOption("#lang-switch", "zh");
    assert.equal(await page.textContent("#btn-logout"), "退出");
    await say(page, "/join");
    await waitForLine(page, /【错误】用法: \/join <房间名>（未发送）$/);
    await say(page, "/whois nobody");
    await waitForLine(page, /用户 nobody 不存在|不存在/);
    await page.reload();
    assert.equal(await page.textContent("#tab-login"), "登录");
  },
);

browserTest(
  "web page: an administrator mutes and kicks from the input, as in the terminal; a kicked page does not reconnect",
  async (browser) => {
    await using web = await WebServer.start();
    await using admin = await openPage(browser, web.url);
    await registerAndLogin(admin, "boss");
    await web.server.auth.setAdminAsOperator("boss", true);
    await using target = await openPage(browser, web.url);
    await registerAndLogin(target, "noisy");
    await waitForLine(admin, /^\[System\] noisy joined the chat$/);

    await say(admin, "/mute noisy 5 spam");
    await waitForLine(admin, /\[OK\] noisy is muted for 5 minutes/);
    await waitForLine(target, /muted/i);
    await say(target, "still talking");
    await waitForLine(target, /\[Error\] .*not sent/);

    await say(admin, "/kick noisy bye");
    await waitForLine(admin, /\[OK\] Kicked noisy/);
    await target.waitForSelector("#auth-screen:not([hidden])");
    assert.match((await target.textContent("#auth-message")) ?? "", /bye/);
    // It stays logged out: the resume token is gone, so nothing resumes.
    assert.equal(
      await target.evaluate("sessionStorage.getItem('tcpchat.session')"),
      null,
    );
    await target.waitForSelector('#connection[data-state="online"]');
    assert.equal(await target.isVisible("#auth-screen"), true);
    assert.equal(web.server.auth.isOnline("noisy"), false);
  },
);

browserTest(
  "web page: changing the password from its dialog, then logging in with the new one",
  async (browser) => {
    await using web = await WebServer.start();
    await using page = await openPage(browser, web.url);
    await registerAndLogin(page, "kate");
    await page.click("#btn-password");
    const inputs = page.locator("#dialog-fields input");
    await inputs.nth(0).fill(PASSWORD);
    await inputs.nth(1).fill("short");
    await inputs.nth(2).fill("short");
    await page.click("#dialog-ok");
    assert.equal(
      await page.textContent("#dialog-message"),
      "Password must be at least 8 characters",
    );
    await inputs.nth(1).fill("brand new secret");
    await inputs.nth(2).fill("brand new secret");
    await page.click("#dialog-ok");
    await waitForLine(page, /\[OK\] Password changed$/);
    await page.click("#btn-logout");
    await page.waitForSelector("#auth-screen:not([hidden])");
    await page.fill("#auth-name", "kate");
    await page.fill("#auth-password", "brand new secret");
    await page.click("#auth-submit");
    await page.waitForSelector("#chat-screen:not([hidden])");
  },
);
