/**
 * The browser page's files, as the web listener serves them: built from
 * `lib/browser/` by `deno task build:web` into `web_page.gen.ts`, which is
 * committed, so the page is part of the program (and of the compiled
 * executables) and needs nothing from the internet. A test rebuilds it and
 * fails when the committed copy is stale.
 *
 * @module
 */

import { PAGE_SOURCES } from "./web_page.gen.ts";

/** One file of the page, ready to send. */
export interface PageFile {
  readonly contentType: string;
  /** A strong validator: a hash of the content, quoted. */
  readonly etag: string;
  readonly body: Uint8Array<ArrayBuffer>;
}

let files: Map<string, PageFile> | undefined;

/** The file served at `path` (`/` is the page), or `undefined`. */
export function pageFile(path: string): PageFile | undefined {
  files ??= encodeAll();
  return files.get(path);
}

function encodeAll(): Map<string, PageFile> {
  const encoder = new TextEncoder();
  const map = new Map<string, PageFile>();
  for (const [path, source] of Object.entries(PAGE_SOURCES)) {
    map.set(path, {
      contentType: source.contentType,
      etag: `"${source.hash}"`,
      body: encoder.encode(source.text),
    });
  }
  return map;
}
