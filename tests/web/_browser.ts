/**
 * Browser tests in a real, headless chromium driven by `playwright-core`:
 * find the browser, register a test that gets a launched browser and always
 * closes it, open pages at a viewport size, wait for text, save screenshots.
 *
 * Import Playwright only through this module (types with `import type`):
 * loading `playwright-core` needs the preparation in `loadPlaywright()`.
 *
 * ```ts ignore
 * import { browserTest, openPage, waitForText } from "./_browser.ts";
 * browserTest("chat page shows the welcome line", async (browser) => {
 *   await using page = await openPage(browser, url, { width: 800, height: 600 });
 *   await waitForText(page, { selector: "#log", text: "Welcome" });
 * });
 * ```
 *
 * @module
 */

import type { Browser, Page } from "playwright-core";

/** Where chromium is looked for when `CHROMIUM_BIN` is not set. */
export const CHROMIUM_PATHS: readonly string[] = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
];

/** Bound on each Playwright action and wait, so a broken page fails fast. */
export const ACTION_TIMEOUT_MS = 10_000;

/** Whether a regular file exists at `path` (any permission problem is "no"). */
function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * The chromium executable: `CHROMIUM_BIN` when set (used as given, so a
 * wrong value is reported rather than quietly replaced), else the first of
 * {@linkcode CHROMIUM_PATHS} that exists.
 *
 * @returns the path, or `undefined` when no chromium is installed
 */
export function findChromium(): string | undefined {
  const fromEnv = Deno.env.get("CHROMIUM_BIN");
  if (fromEnv !== undefined && fromEnv !== "") {
    return isFile(fromEnv) ? fromEnv : undefined;
  }
  return CHROMIUM_PATHS.find(isFile);
}

/** What was looked at, for the "not found" message. */
function searched(): string {
  const fromEnv = Deno.env.get("CHROMIUM_BIN");
  return fromEnv !== undefined && fromEnv !== ""
    ? `CHROMIUM_BIN="${fromEnv}"`
    : `CHROMIUM_BIN unset, ${CHROMIUM_PATHS.map((p) => `"${p}"`).join(", ")}`;
}

type Playwright = typeof import("playwright-core");
let playwright: Promise<Playwright> | undefined;

/**
 * Load `playwright-core` once. Its bundle runs is-wsl when it loads, which
 * probes `/proc/sys/fs/binfmt_misc/WSLInterop`; Deno lets only
 * `--allow-all` read under /proc/sys, and that probe's NotCapable error
 * escapes Node's `existsSync`, so the import would fail under the test
 * task's flags. With `__IS_WSL_TEST__` set the bundle defers the probe (it
 * is used only to open a desktop browser, which tests never do). The other
 * load-time need, `os.homedir()`, is granted by `--allow-sys=homedir` in the
 * test task.
 */
function loadPlaywright(): Promise<Playwright> {
  playwright ??= (async () => {
    const wasSet = Deno.env.get("__IS_WSL_TEST__") !== undefined;
    if (!wasSet) Deno.env.set("__IS_WSL_TEST__", "1");
    try {
      return await import("playwright-core");
    } finally {
      if (!wasSet) Deno.env.delete("__IS_WSL_TEST__");
    }
  })();
  return playwright;
}

/**
 * Launch headless chromium, run `fn` with it and close it whatever `fn`
 * does, so the child process and its pipes are gone before the test ends
 * (the op and resource sanitizers stay on).
 *
 * @param executablePath the chromium binary (see {@linkcode findChromium})
 * @param fn the test body
 * @returns what `fn` returns
 */
export async function withBrowser<T>(
  executablePath: string,
  fn: (browser: Browser) => Promise<T>,
): Promise<T> {
  const { chromium } = await loadPlaywright();
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    // Chromium's sandbox refuses to start as root (CI runs as root) and
    // needs user namespaces that containers often lack; the pages are our
    // own, served on loopback. (This is also Playwright's default.)
    chromiumSandbox: false,
  });
  try {
    return await fn(browser);
  } finally {
    await browser.close();
  }
}

/** Whether the "chromium not found" note was printed (once is enough). */
let skipNoted = false;

/**
 * Register a `Deno.test` that receives a launched browser
 * ({@linkcode withBrowser}). Without chromium the test fails with a clear
 * message when `CI=true` (`.ci/run` installs it) and is ignored otherwise,
 * with a note on the console.
 *
 * @param name the test's name: the page, then the behavior
 * @param fn the test body
 */
export function browserTest(
  name: string,
  fn: (browser: Browser) => Promise<void>,
): void {
  const executablePath = findChromium();
  const inCi = Deno.env.get("CI") === "true";
  if (executablePath === undefined && !inCi && !skipNoted) {
    skipNoted = true;
    // deno-lint-ignore no-console -- says why browser tests did not run
    console.warn(
      `[browser] Skipping browser tests: chromium not found (${searched()}); ` +
        "install it with: apt-get install chromium",
    );
  }
  Deno.test({
    name,
    ignore: executablePath === undefined && !inCi,
    async fn() {
      if (executablePath === undefined) {
        throw new Error(
          `Cannot run browser test "${name}": chromium not found (${searched()}); ` +
            "CI installs it in .ci/run (need_packages chromium:chromium)",
        );
      }
      await withBrowser(executablePath, fn);
    },
  });
}

/** A page's viewport, in CSS pixels. */
export interface ViewportOptions {
  /**
   * Viewport width.
   * @default {1280}
   */
  width?: number;
  /**
   * Viewport height.
   * @default {720}
   */
  height?: number;
}

/** How {@linkcode openPage} sets up the page's browser context. */
export interface PageOptions extends ViewportOptions {
  /**
   * The browser's language (`navigator.languages`).
   * @default {"en-US"}
   */
  locale?: string;
  /**
   * Accept any certificate (a server's self-signed one, over HTTPS/WSS).
   * @default {false}
   */
  ignoreHTTPSErrors?: boolean;
}

/**
 * Open `url` in a new page with its own browser context (cookies and
 * storage apart from other pages) and wait for its `load` event. Closing the
 * page (`await using`) closes its context too.
 *
 * @param browser from {@linkcode browserTest} or {@linkcode withBrowser}
 * @param url an `http://127.0.0.1:<port>/...` address
 * @param options the viewport (device scale 1, so screenshots are exactly
 *   this size), the browser's language, certificate checks
 */
export async function openPage(
  browser: Browser,
  url: string,
  options: PageOptions = {},
): Promise<Page> {
  const { width = 1280, height = 720 } = options;
  const page = await browser.newPage({
    viewport: { width, height },
    deviceScaleFactor: 1,
    locale: options.locale ?? "en-US",
    ignoreHTTPSErrors: options.ignoreHTTPSErrors ?? false,
  });
  page.setDefaultTimeout(ACTION_TIMEOUT_MS);
  try {
    await page.goto(url);
  } catch (error) {
    await page.close();
    throw error;
  }
  return page;
}

/**
 * The little of the DOM that functions run in the page use here: tests
 * compile with Deno's libs, without lib.dom, so `document` has no type.
 */
interface PageGlobals {
  document: {
    querySelector(selector: string): { textContent: string | null } | null;
  };
}

/** How long {@linkcode waitForText} waits. */
export interface WaitOptions {
  /**
   * Give up after this many milliseconds.
   * @default {ACTION_TIMEOUT_MS}
   */
  timeoutMs?: number;
}

/**
 * Wait until the element matching `selector` has exactly `text` as its
 * `textContent`; on timeout, fail with the text it had instead.
 *
 * @param page the page to watch
 * @param target the element (a CSS selector for one element) and the
 *   expected text, exactly
 * @param options the bound on the wait
 */
export async function waitForText(
  page: Page,
  target: { selector: string; text: string },
  options: WaitOptions = {},
): Promise<void> {
  const { selector, text } = target;
  const { timeoutMs = ACTION_TIMEOUT_MS } = options;
  try {
    await page.waitForFunction(
      ([sel, want]) =>
        (globalThis as unknown as PageGlobals).document.querySelector(sel)
          ?.textContent === want,
      [selector, text] as const,
      { timeout: timeoutMs },
    );
  } catch (error) {
    const actual = await page.locator(selector).textContent({ timeout: 1_000 })
      .catch(() => "(no such element)");
    throw new Error(
      `Cannot find text ${JSON.stringify(text)} in "${selector}": it has ${
        JSON.stringify(actual)
      }`,
      { cause: error },
    );
  }
}

/**
 * Resize the page's viewport to `options` and save a PNG screenshot of it
 * at `path` (the visible viewport, not the full scrollable page).
 *
 * @param page the page to capture
 * @param path where the PNG is written (its folder must exist)
 * @param options the viewport size for the shot
 */
export async function saveScreenshot(
  page: Page,
  path: string,
  options: ViewportOptions = {},
): Promise<void> {
  const { width = 1280, height = 720 } = options;
  await page.setViewportSize({ width, height });
  await page.screenshot({ path, type: "png" });
}
