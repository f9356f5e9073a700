/**
 * The catalog sentence for a {@linkcode StoreError}: what the operator reads
 * when the database cannot be used.
 *
 * @module
 */

import { type Lang, type MessageKey, t } from "../shared/messages.ts";
import type { StoreError } from "./store.ts";

const STORE_ERROR_KEYS: Record<string, MessageKey> = {
  "not_a_database": "storeNotADatabase",
  "foreign_database": "storeForeignDatabase",
  "corrupt": "storeCorrupt",
  "newer_schema": "storeNewerSchema",
  "locked": "storeLocked",
};

/**
 * Says in `lang` why the database cannot be used. A file that cannot be
 * opened or created gives the system's reason (in the system's words);
 * a code without a sentence gives the error's own message.
 */
export function describeStoreError(error: StoreError, lang: Lang): string {
  if (Object.hasOwn(STORE_ERROR_KEYS, error.code)) {
    return t(lang, STORE_ERROR_KEYS[error.code]!, { path: error.path });
  }
  if (error.code === "cannot_open" && error.cause instanceof Error) {
    return t(lang, "storeCannotOpen", {
      path: error.path,
      reason: error.cause.message,
    });
  }
  return error.message;
}
