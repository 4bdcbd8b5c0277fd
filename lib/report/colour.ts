/**
 * The colours and line styles of the report's charts. Blue means RC and red means EOS in every
 * chart; several series of one method in a chart are told apart by hue within the method's family,
 * then by dash pattern and marker, so that five RC β curves never read as one blue. Pure data and
 * functions.
 * @module
 */

import type { RunRecord } from "../results.ts";
import { seedKey } from "./select.ts";

/** The two method colours, the same in every chart and badge: RC blue, EOS red. */
export const RC_COLOUR = "#1f5fbf";
export const EOS_COLOUR = "#d1402a";

/**
 * Several series of one method: the base colour first, then hues of the same family far apart in
 * lightness and hue (light sky, navy, violet-blue, cyan for RC; salmon, maroon, raspberry,
 * vermilion for EOS).
 */
export const RC_SHADES = [RC_COLOUR, "#74b2f2", "#0a2a66", "#6a4fd6", "#0098c7"];
export const EOS_SHADES = [EOS_COLOUR, "#f4a08c", "#7a1c0e", "#b0306a", "#f0703c"];

/**
 * Colours of every other series (what a figure's own series mean: fired, no spike, positive,
 * ...): no blue and no red, so that blue and red always mean RC and EOS.
 */
export const OTHER_COLOURS = [
  "#2e9e4f",
  "#e08a1a",
  "#6e7781",
  "#8e5bb5",
  "#17a2a2",
  "#b8860b",
  "#9c755f",
];

/** Dash patterns of a method's series after its colours run out: solid, dashed, dotted, dash-dot. */
export const DASHES: number[][] = [[], [6, 4], [2, 3], [10, 3, 2, 3]];
/** Chart.js point styles, one per series of a method, where a chart marks its points. */
export const POINT_STYLES = ["circle", "triangle", "rect", "rectRot", "star", "crossRot"];

/** How one series is drawn. */
export interface SeriesStyle {
  colour: string;
  dash: number[];
  pointStyle: string;
}

/**
 * The style of the `i`-th series of a palette: colours first, then the same colours dashed, each
 * series with its own marker.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RC_SHADES, styleAt } from "./colour.ts";
 * assert.deepEqual(styleAt(RC_SHADES, 0).dash, []);
 * assert.equal(styleAt(RC_SHADES, 5).colour, RC_SHADES[0]);
 * assert.deepEqual(styleAt(RC_SHADES, 5).dash, [6, 4]);
 * ```
 */
export function styleAt(palette: readonly string[], i: number): SeriesStyle {
  return {
    colour: palette[i % palette.length],
    dash: DASHES[Math.floor(i / palette.length) % DASHES.length],
    pointStyle: POINT_STYLES[i % POINT_STYLES.length],
  };
}

/**
 * The method a series label names ("RC-trained", "EOS read-out"), or null. "non-RC" (the paper's
 * name for EOS-training) names EOS, not RC.
 */
export function methodOfLabel(label: string): "rc" | "eos" | null {
  const rc = /(?<!non-)\bRC\b/.test(label);
  const eos = /\bEOS\b/.test(label) || /\bnon-RC\b/.test(label);
  return rc === eos ? null : rc ? "rc" : "eos";
}

/** Styles of a figure's series: a method's family where the label names one, else the others. */
export function seriesStyles(labels: readonly string[]): SeriesStyle[] {
  let other = 0, rc = 0, eos = 0;
  return labels.map((l) => {
    const m = methodOfLabel(l);
    if (m === "rc") return styleAt(RC_SHADES, rc++);
    if (m === "eos") return styleAt(EOS_SHADES, eos++);
    return styleAt(OTHER_COLOURS, other++);
  });
}

/**
 * A style per run of an experiment, by method (RC blues, EOS reds); the seeds of one configuration
 * share their configuration's style, so that a chart of many seeds has one entry per
 * configuration.
 */
export function runStyles(runs: readonly RunRecord[]): Map<RunRecord, SeriesStyle> {
  const byConfig = new Map<string, SeriesStyle>();
  const out = new Map<RunRecord, SeriesStyle>();
  let rc = 0, eos = 0;
  for (const r of runs) {
    const key = seedKey(r);
    if (!byConfig.has(key)) {
      byConfig.set(
        key,
        r.method === "eos" ? styleAt(EOS_SHADES, eos++) : styleAt(RC_SHADES, rc++),
      );
    }
    out.set(r, byConfig.get(key)!);
  }
  return out;
}

/** A stable colour per run of an experiment (see {@link runStyles}). */
export function runColours(runs: readonly RunRecord[]): Map<RunRecord, string> {
  return new Map([...runStyles(runs)].map(([r, s]) => [r, s.colour]));
}
