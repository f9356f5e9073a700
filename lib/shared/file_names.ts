/**
 * File names from users, made safe: the name a shared file is shown under
 * (the server keeps it as data, never as a path) and the name a client
 * writes a download under, valid on Windows as on Linux and macOS.
 *
 * @module
 */

/** The longest safe name, in UTF-8 bytes (Windows allows 255 UTF-16 units). */
export const MAX_FILE_NAME_BYTES = 180;

/**
 * `name` as a single safe file name: no path (the last segment of `/` or
 * `\` separated parts), no control or bidi characters, no character Windows
 * forbids, no Windows device name, no trailing dot or space, at most
 * {@linkcode MAX_FILE_NAME_BYTES} bytes; `file` when nothing is left.
 */
export function safeFileName(name: string): string {
  const last = name.normalize("NFC").split(/[\\/]/).pop() ?? "";
  // deno-lint-ignore no-control-regex
  let safe = last.replace(/[\u0000-\u001f\u007f-\u009f]/g, "")
    .replace(/[<>:"|?*]/g, "_").trim().replace(/[. ]+$/, "");
  if (safe === "" || safe === "." || safe === "..") safe = "file";
  return safe;
}

/**
 * The first of `name`, `stem (1).ext`, `stem (2).ext`, … that `isTaken`
 * says is free.
 */
export async function uniqueFileName(
  name: string,
  isTaken: (candidate: string) => boolean | Promise<boolean>,
): Promise<string> {
  const dot = name.lastIndexOf(".");
  const [stem, ext] = dot > 0
    ? [name.slice(0, dot), name.slice(dot)]
    : [name, ""];
  for (let n = 0;; n++) {
    const candidate = n === 0 ? name : `${stem} (${n})${ext}`;
    if (!(await isTaken(candidate))) return candidate;
  }
}

/** A byte count for people: `512 B`, `2.3 MB`, `100 MB` (1 KB = 1024 B). */
export function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  return `${value < 100 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
