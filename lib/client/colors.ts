/**
 * A handful of ANSI styles for the client (what `@std/fmt/colors` would
 * give), switched off when color is unwanted.
 *
 * @module
 */

/** The styles the client uses, by role. */
export interface Palette {
  system(text: string): string;
  success(text: string): string;
  error(text: string): string;
  own(text: string): string;
  other(text: string): string;
  time(text: string): string;
  dim(text: string): string;
  /**
   * The colors a default avatar's initial is drawn in, one picked by the
   * name (`avatar_marks.ts`); none in a palette without colors.
   * @default {[]}
   */
  avatarColors?: readonly ((text: string) => string)[];
}

function style(open: number, close: number): (text: string) => string {
  return (text) => `\x1b[${open}m${text}\x1b[${close}m`;
}

/** Colors for a terminal. */
export const COLOR_PALETTE: Palette = {
  system: style(33, 39), // yellow
  success: style(32, 39), // green
  error: style(31, 39), // red
  own: style(36, 39), // cyan
  other: style(1, 22), // bold
  time: style(90, 39), // grey
  dim: style(2, 22),
  // Bright and normal hues, without the greys: the initial must stand out.
  avatarColors: [31, 32, 33, 34, 35, 36, 91, 92, 93, 94, 95, 96].map((code) =>
    style(code, 39)
  ),
};

/** No styling at all: for pipes, files and `NO_COLOR`. */
export const PLAIN_PALETTE: Palette = {
  system: (text) => text,
  success: (text) => text,
  error: (text) => text,
  own: (text) => text,
  other: (text) => text,
  time: (text) => text,
  dim: (text) => text,
};

/**
 * Whether to color output: only on a terminal, and never when `NO_COLOR` is
 * set to anything non-empty (https://no-color.org).
 */
export function shouldUseColor(
  isTerminal: boolean,
  noColor: string | undefined,
): boolean {
  return isTerminal && (noColor === undefined || noColor === "");
}
