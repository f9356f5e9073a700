/**
 * Shared pieces for tests that spawn `server.ts` or `client.ts`: paths,
 * permissions, a clean child environment and a bounded wait.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { ENV_VARS } from "../lib/server_config.ts";

/** Absolute path of `server.ts`. */
export const SERVER_PATH = fileURLToPath(
  new URL("../server.ts", import.meta.url),
);
/** Absolute path of `client.ts`. */
export const CLIENT_PATH = fileURLToPath(
  new URL("../client.ts", import.meta.url),
);
/** The permissions `deno task server` and `deno task client` grant. */
export const PERMISSIONS: readonly string[] = [
  "--allow-net",
  "--allow-read",
  "--allow-write",
  "--allow-env",
];
/** Bound on every wait for a child process. */
export const WAIT_MS = 15_000;
/** Whether signals other than SIGINT/SIGBREAK are unavailable. */
export const IS_WINDOWS = Deno.build.os === "windows";

/**
 * The children's environment: the seed's Chinese whatever the host's
 * locale, no colors, and none of the TCPCHAT_* settings leaking in (derived
 * from the documented list, so a new variable is cleared too).
 */
export const CHILD_ENV: Readonly<Record<string, string>> = {
  LANG: "C.UTF-8",
  LC_ALL: "",
  NO_COLOR: "1",
  ...Object.fromEntries(Object.values(ENV_VARS).map((name) => [name, ""])),
};

/** Rejects with a clear message if `promise` takes longer than `ms`. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Timed out after ${ms} ms: ${what}`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
