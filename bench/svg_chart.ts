/**
 * A dependency-free SVG chart of the fan-out results: latency p99 and
 * delivered throughput against offered load, one line per server, side by
 * side; the peak scenario's steps, when there are any, in a second row with
 * its own scale. Any browser opens the file.
 *
 * @module
 */

/** One point of a series. */
export interface ChartPoint {
  /** Offered load, lines per second. */
  x: number;
  /** Latency p99 in ms. */
  p99: number;
  /** Delivered lines per second. */
  throughput: number;
}

/** One server's line. */
export interface ChartSeries {
  label: string;
  points: ChartPoint[];
  /**
   * The peak scenario's steps (throughput: sustained lines/s of the steady
   * window), drawn in a second row.
   */
  peakPoints?: ChartPoint[];
}

/** Options for {@linkcode renderChart}. */
export interface ChartOptions {
  title: string;
  /** A second line under the title (machine, date, command). */
  subtitle?: string;
}

const COLORS = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd"];
const PANEL_WIDTH = 460;
const PANEL_HEIGHT = 320;
const MARGIN = { top: 70, left: 70, right: 20, bottom: 90 };
const GAP = 80;
/** From the top of one row of panels to the top of the next. */
const ROW_HEIGHT = PANEL_HEIGHT + 90;

/** One row of two panels: latency and throughput against offered load. */
interface Row {
  latencyTitle: string;
  throughputTitle: string;
  points: (series: ChartSeries) => readonly ChartPoint[];
}

const ROWS: readonly Row[] = [
  {
    latencyTitle: "Latency p99 (ms, log scale)",
    throughputTitle: "Delivered lines/s",
    points: (s) => s.points,
  },
  {
    latencyTitle: "Peak: latency p99 (ms, log scale)",
    throughputTitle: "Peak: sustained delivered lines/s (steady window)",
    points: (s) => s.peakPoints ?? [],
  },
];

/**
 * Renders the chart as a standalone SVG document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderChart } from "./svg_chart.ts";
 *
 * const svg = renderChart(
 *   [{ label: "a", points: [{ x: 1000, p99: 5, throughput: 990 }] }],
 *   { title: "t" },
 * );
 * assert.match(svg, /^<svg /);
 * ```
 */
export function renderChart(
  series: readonly ChartSeries[],
  options: ChartOptions,
): string {
  const rows = ROWS.filter((row) =>
    series.some((s) => row.points(s).length > 0)
  );
  const drawn = series.filter((s) =>
    rows.some((row) => row.points(s).length > 0)
  );
  const width = MARGIN.left + PANEL_WIDTH * 2 + GAP + MARGIN.right;
  const height = MARGIN.top + PANEL_HEIGHT + MARGIN.bottom +
    ROW_HEIGHT * Math.max(0, rows.length - 1);
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${
      width / 2
    }" y="24" text-anchor="middle" font-size="16" font-weight="bold">${
      escape(options.title)
    }</text>`,
  );
  if (options.subtitle) {
    parts.push(
      `<text x="${width / 2}" y="44" text-anchor="middle" fill="#555">${
        escape(options.subtitle)
      }</text>`,
    );
  }
  rows.forEach((row, r) => {
    parts.push(...drawRow(row, drawn, MARGIN.top + r * ROW_HEIGHT));
  });
  // Legend under the panels.
  const legendY = height - 28;
  let legendX = MARGIN.left;
  drawn.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    parts.push(
      `<line x1="${legendX}" y1="${legendY}" x2="${
        legendX + 24
      }" y2="${legendY}" stroke="${color}" stroke-width="2.5"/>`,
      `<circle cx="${legendX + 12}" cy="${legendY}" r="3.5" fill="${color}"/>`,
      `<text x="${legendX + 30}" y="${legendY + 4}">${escape(s.label)}</text>`,
    );
    legendX += 44 + s.label.length * 7;
  });
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}

/** One row's two panels, their top at `top`; a server keeps its color. */
function drawRow(
  row: Row,
  drawn: readonly ChartSeries[],
  top: number,
): string[] {
  const xs = drawn.flatMap((s) => row.points(s).map((p) => p.x));
  const xMax = axisMax(Math.max(1, ...xs));
  const p99s = drawn.flatMap((s) => row.points(s).map((p) => p.p99)).filter((
    v,
  ) => v > 0);
  const yLatency = logDomain(p99s);
  const tMax = axisMax(
    Math.max(
      1,
      xMax,
      ...drawn.flatMap((s) => row.points(s).map((p) => p.throughput)),
    ),
  );
  const parts: string[] = [];
  const left = MARGIN.left;
  const right = MARGIN.left + PANEL_WIDTH + GAP;
  const xScale = (x: number) => (x / xMax) * PANEL_WIDTH;
  // Panel 1: latency p99, log scale.
  const [lo, hi] = yLatency;
  const yLat = (v: number) =>
    PANEL_HEIGHT -
    ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) /
        (Math.log10(hi) - Math.log10(lo))) * PANEL_HEIGHT;
  parts.push(
    panel(left, top, row.latencyTitle, xMax, xScale, {
      ticks: logTicks(lo, hi),
      scale: yLat,
    }),
  );
  // Panel 2: throughput, linear, with the offered load as a dashed diagonal.
  const yThr = (v: number) => PANEL_HEIGHT - (v / tMax) * PANEL_HEIGHT;
  parts.push(
    panel(right, top, row.throughputTitle, xMax, xScale, {
      ticks: linearTicks(tMax),
      scale: yThr,
    }),
  );
  parts.push(
    `<line x1="${right}" y1="${top + yThr(0)}" x2="${
      right + xScale(Math.min(xMax, tMax))
    }" y2="${
      top + yThr(Math.min(xMax, tMax))
    }" stroke="#999" stroke-dasharray="4 4"/>`,
    `<text x="${right + PANEL_WIDTH - 4}" y="${
      top + yThr(Math.min(xMax, tMax)) + 14
    }" text-anchor="end" fill="#999">offered</text>`,
  );
  drawn.forEach((s, i) => {
    const points = [...row.points(s)].sort((a, b) => a.x - b.x);
    if (points.length === 0) return;
    const color = COLORS[i % COLORS.length]!;
    parts.push(
      polyline(
        points.map((p) => [left + xScale(p.x), top + yLat(p.p99)]),
        color,
      ),
      polyline(
        points.map((p) => [right + xScale(p.x), top + yThr(p.throughput)]),
        color,
      ),
    );
  });
  return parts;
}

function panel(
  x0: number,
  y0: number,
  title: string,
  xMax: number,
  xScale: (x: number) => number,
  y: { ticks: number[]; scale: (v: number) => number },
): string {
  const parts: string[] = [`<g transform="translate(${x0},${y0})">`];
  parts.push(
    `<rect width="${PANEL_WIDTH}" height="${PANEL_HEIGHT}" fill="none" stroke="#ccc"/>`,
    `<text x="${
      PANEL_WIDTH / 2
    }" y="-10" text-anchor="middle" font-weight="bold">${escape(title)}</text>`,
  );
  for (const tick of y.ticks) {
    const ty = y.scale(tick);
    parts.push(
      `<line x1="0" y1="${ty}" x2="${PANEL_WIDTH}" y2="${ty}" stroke="#eee"/>`,
      `<text x="-6" y="${ty + 4}" text-anchor="end">${formatTick(tick)}</text>`,
    );
  }
  for (const tick of linearTicks(xMax)) {
    const tx = xScale(tick);
    parts.push(
      `<line x1="${tx}" y1="0" x2="${tx}" y2="${PANEL_HEIGHT}" stroke="#eee"/>`,
      `<text x="${tx}" y="${PANEL_HEIGHT + 16}" text-anchor="middle">${
        formatTick(tick)
      }</text>`,
    );
  }
  parts.push(
    `<text x="${PANEL_WIDTH / 2}" y="${
      PANEL_HEIGHT + 36
    }" text-anchor="middle">Offered load (lines/s delivered if nothing is lost)</text>`,
    "</g>",
  );
  return parts.join("\n");
}

function polyline(points: number[][], color: string): string {
  const path = points.map(([x, y]) => `${x!.toFixed(1)},${y!.toFixed(1)}`)
    .join(" ");
  const dots = points.map(([x, y]) =>
    `<circle cx="${x!.toFixed(1)}" cy="${
      y!.toFixed(1)
    }" r="3.5" fill="${color}"/>`
  );
  return [
    `<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"/>`,
    ...dots,
  ].join("\n");
}

function niceCeil(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

/** An axis end: the value rounded up to a whole number of nice steps. */
function axisMax(value: number): number {
  const step = niceCeil(value / 5);
  return Math.ceil(value / step - 1e-9) * step;
}

function linearTicks(max: number): number[] {
  const step = niceCeil(max / 5);
  const ticks: number[] = [];
  for (let v = 0; v <= max + step / 1000; v += step) ticks.push(v);
  return ticks;
}

function logDomain(values: number[]): [number, number] {
  if (values.length === 0) return [1, 1000];
  const lo = 10 ** Math.floor(Math.log10(Math.min(...values)));
  let hi = 10 ** Math.ceil(Math.log10(Math.max(...values)));
  if (hi <= lo) hi = lo * 10;
  return [lo, hi];
}

function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let v = lo; v <= hi * 1.0001; v *= 10) ticks.push(v);
  return ticks;
}

function formatTick(value: number): string {
  if (value >= 1_000_000) return `${trim(value / 1_000_000)}M`;
  if (value >= 1_000) return `${trim(value / 1_000)}k`;
  return trim(value);
}

function trim(value: number): string {
  return Number.isInteger(value)
    ? String(value)
    : value.toFixed(value < 1 ? 2 : 1).replace(/\.?0+$/, "");
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(
    />/g,
    "&gt;",
  );
}
