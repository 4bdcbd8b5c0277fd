/**
 * A heatmap `FigureSpec` (`kind: "heatmap"`) as a Chart.js configuration the page already draws:
 * horizontal bars stacked one cell per time step, a bar per row, each cell its own colour. Plain
 * JSON (no callbacks, no plugin), so it embeds like every other chart; the category axis carries
 * the row labels, the value axis the steps.
 *
 * Colours: values of both signs on a diverging purple-white-orange scale symmetric about 0, values
 * all >= 0 on a white-green one, or the spec's own diverging `scale` (white at its centre, e.g. a
 * probability's 0.5); no blue or red (the report's RC and EOS colours). Columns after `cutoff`, or
 * after each row's `rowCutoffs` (what would have happened had the run not stopped at its first
 * spike), are drawn in the grey of the same cell's lightness; `rowMarks` cells are outlined in
 * black. A spike raster's `inputs` are a white-to-black strip above each row (the same row's two
 * bar stacks). The colour scale is said in words below the chart (the config's `note`). Pure
 * functions.
 * @module
 */
import type { FigureSpec } from "../results.ts";
import type { ChartConfig } from "./charts.ts";

type Rgb = [number, number, number];

const PURPLE: Rgb = [94, 60, 153];
const WHITE: Rgb = [247, 247, 247];
const ORANGE: Rgb = [230, 97, 1];
const GREEN: Rgb = [27, 120, 55];

/**
 * How values map to colours: diverging about `centre` (default 0) up to ±`max`, or sequential from
 * 0 to `max`; magnitudes beyond `max` take its colour. `largest`: the largest magnitude in the data
 * (from the centre).
 */
export interface HeatScale {
  kind: "diverging" | "sequential";
  max: number;
  largest: number;
  centre?: number;
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * The scale of `z`: diverging when any value is negative; its end the 99th percentile of the
 * magnitudes (nearest rank), so that a few outlying cells (an LSTM's cell state can reach ±20
 * where most stay within ±2) do not wash out the rest. Under 100 cells it is the largest.
 */
export function heatScale(
  z: readonly (readonly (number | null)[])[],
  fixed?: { centre: number; max: number },
): HeatScale {
  if (fixed) {
    const off = z.flat().filter(finite).map((v) => Math.abs(v - fixed.centre));
    return {
      kind: "diverging",
      max: fixed.max,
      largest: Math.max(0, ...off),
      centre: fixed.centre,
    };
  }
  const mags: number[] = [];
  let negative = false;
  for (const row of z) {
    for (const v of row) {
      if (!finite(v)) continue;
      if (v < 0) negative = true;
      mags.push(Math.abs(v));
    }
  }
  mags.sort((a, b) => a - b);
  const largest = mags.length ? mags[mags.length - 1] : 0;
  const p99 = mags.length ? mags[Math.ceil(0.99 * mags.length) - 1] : 0;
  return {
    kind: negative ? "diverging" : "sequential",
    max: p99 > 0 ? p99 : largest > 0 ? largest : 1,
    largest,
  };
}

const mix = (a: Rgb, b: Rgb, f: number): Rgb =>
  [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * f)) as Rgb;

/** The colour of `v` (rgb components); null or NaN: undefined. `grey`: its lightness only. */
export function heatRgb(v: number | null, scale: HeatScale, grey = false): Rgb | undefined {
  if (!finite(v)) return undefined;
  const d = v - (scale.centre ?? 0);
  const f = Math.min(1, Math.abs(d) / scale.max);
  const rgb = scale.kind === "sequential"
    ? mix(WHITE, GREEN, f)
    : mix(WHITE, d < 0 ? PURPLE : ORANGE, f);
  if (!grey) return rgb;
  const l = Math.round(0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]);
  return [l, l, l];
}

const css = (rgb: Rgb | undefined) => rgb ? `rgb(${rgb[0]},${rgb[1]},${rgb[2]})` : "rgba(0,0,0,0)";

const fmt = (x: number) => Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(2);

/** One line saying what the colours mean, and where the grey starts. */
export function heatLegend(spec: FigureSpec, scale: HeatScale): string {
  const c = scale.centre ?? 0;
  const range = scale.kind === "sequential"
    ? `white 0 · green ${fmt(scale.max)}`
    : c === 0
    ? `purple −${fmt(scale.max)} · white 0 · orange +${fmt(scale.max)}`
    : `purple ${fmt(c - scale.max)} · white ${fmt(c)} · orange ${fmt(c + scale.max)}`;
  const beyond = scale.largest > scale.max
    ? ` (at most 1 % of cells beyond, up to ${scale.kind === "diverging" ? "±" : ""}${
      fmt(scale.largest)
    }, in the end colour)`
    : "";
  const width = spec.z?.[0]?.length ?? 0;
  const grey = spec.rowCutoffs
    ? "; grey: steps after each row's first spike, had the run not stopped there"
    : spec.cutoff !== undefined && spec.cutoff < width - 1
    ? `; grey: steps after ${spec.cutoff + 1}, had the run not stopped at its first spike`
    : "";
  const marks = spec.rowMarks?.some((m) => m !== null) ? "; black outline: first spike" : "";
  const inputs = spec.inputs ? "; strip above each row: its input (black 1, white 0)" : "";
  return `colour: ${range}${beyond}${grey}${marks}${inputs}`;
}

/** A heatmap spec as a Chart.js configuration (see the module doc). */
export function heatmapChart(spec: FigureSpec): ChartConfig {
  const z = spec.z ?? [];
  const rows = z.length, width = z[0]?.length ?? 0;
  const scale = heatScale(z, spec.scale);
  const cutoffs = spec.rowCutoffs ?? z.map(() => spec.cutoff ?? width - 1);
  const labels = spec.rowLabels ?? z.map((_, i) => String(i + 1));
  const marks = spec.rowMarks ?? [];
  // With inputs, each row holds two stacks: the input strip above, the values below.
  const gap = spec.inputs ? 0.85 : 1;
  const column = (t: number, stack: string, colours: string[]) => ({
    label: `${stack === "inputs" ? "input" : "step"} ${t + 1}`,
    data: new Array(rows).fill(1),
    backgroundColor: colours,
    barPercentage: 1,
    categoryPercentage: gap,
    stack,
  });
  const inputs = spec.inputs
    ? Array.from({ length: width }, (_, t) =>
      column(
        t,
        "inputs",
        spec.inputs!.map((row) => {
          const l = Math.round(255 * (1 - Math.min(1, Math.max(0, row[t]))));
          return `rgb(${l},${l},${l})`;
        }),
      ))
    : [];
  return {
    type: "bar",
    data: {
      labels,
      // One dataset per column (time step): its bar segment in every row, stacked left to right.
      datasets: [
        ...inputs,
        ...Array.from({ length: width }, (_, t) => ({
          ...column(t, "cells", z.map((row, r) => css(heatRgb(row[t], scale, t > cutoffs[r])))),
          borderWidth: z.map((_, r) => marks[r] === t ? 2 : 0),
          borderColor: "#000000",
          borderSkipped: false,
        })),
      ],
    },
    options: {
      indexAxis: "y",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      events: [],
      scales: {
        x: {
          type: "linear",
          stacked: true,
          min: 0,
          max: width,
          title: { display: true, text: spec.xLabel },
          grid: { display: false },
          ticks: { maxRotation: 0 },
        },
        y: {
          stacked: true,
          title: { display: true, text: spec.yLabel },
          grid: { display: false },
          ticks: { autoSkip: true, font: { size: 10 } },
        },
      },
      plugins: {
        title: { display: true, text: spec.title },
        legend: { display: false },
        tooltip: { enabled: false },
      },
    },
    // What the colours mean, below the chart in the page's text: inside the canvas it was squeezed
    // to the chart's width and drawn over the top row's label.
    note: heatLegend(spec, scale),
  };
}
