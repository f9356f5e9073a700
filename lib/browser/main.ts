/// <reference lib="dom" />
/**
 * The browser page's entry, bundled into `app.js` by `deno task build:web`:
 * starts {@linkcode PageApp} on the real document, storage and clock.
 *
 * @module
 */

import { SYSTEM_CLOCK } from "../shared/clock.ts";
import { PageApp } from "./page_app.ts";

new PageApp({
  doc: document,
  location: globalThis.location,
  session: globalThis.sessionStorage,
  prefs: globalThis.localStorage,
  languages: navigator.languages ?? [navigator.language],
  clock: SYSTEM_CLOCK,
}).start();
