/**
 * A θ slider per experiment block (beyond the paper): pick an inference threshold and read each
 * run's test accuracy, mean first-spike step and share of examples that spiked at that θ. The
 * numbers are the run files' own measurements (`metrics.thresholdCurve` and the per-θ numbers in
 * `metrics.extra`), so the slider stops only at θ values the runs recorded: nothing is
 * interpolated. The page embeds them as JSON; the client script swaps them in, with no server.
 * @module
 */

import type { RunRecord } from "../results.ts";
import { badge, num, runAnchor } from "./elements.ts";
import { esc, isNum, pct, scriptJson, slug, steps } from "./format.ts";
import type { ReportSection } from "./sections.ts";
import { isFirstSeed } from "./select.ts";

/** The θ the slider starts at: the paper's inference threshold (Secs. 3.1-3.3). */
export const PAPER_THETA = 0.95;

/** What a run recorded at one θ (test set); a field it did not record is absent. */
export interface RecordedPoint {
  theta: number;
  accuracy?: number;
  /** Mean first-spike step. */
  steps?: number;
  /** Mean spike time in ms, where the run records it (keyword spotting). */
  ms?: number;
  /** Share of the examples that spiked. */
  fired?: number;
}

/** Per-θ numbers of `metrics.extra`, e.g. `accuracyAtTheta0.9`: the field each fills. */
const EXTRA_KEYS: [RegExp, "accuracy" | "steps" | "ms" | "fired"][] = [
  [/^accuracyAtTheta(.+)$/, "accuracy"],
  [/^spikeTimeAtTheta(.+)$/, "steps"],
  [/^spikeMsAtTheta(.+)$/, "ms"],
  [/^firedAtTheta(.+)$/, "fired"],
];

/**
 * Everything a run recorded per inference threshold, in θ order: its threshold curve, with the
 * per-θ numbers of `metrics.extra` filling what the curve lacks (their θ values, a time in ms).
 * Both are measured on the same test traces; where both give a number, the curve's is kept.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RunRecord } from "../results.ts";
 * import { recordedPoints } from "./slider.ts";
 * const r = { metrics: {
 *   thresholdCurve: [{ threshold: 0.9, accuracy: 0.9, meanSpikeTime: 12, fractionFired: 0.99 }],
 *   extra: { "accuracyAtTheta0.5": 0.6, "spikeMsAtTheta0.5": 300, "spikeMsAtTheta0.9": 600 },
 * } } as unknown as RunRecord;
 * assert.deepEqual(recordedPoints(r), [
 *   { theta: 0.5, accuracy: 0.6, ms: 300 },
 *   { theta: 0.9, accuracy: 0.9, steps: 12, fired: 0.99, ms: 600 },
 * ]);
 * ```
 */
export function recordedPoints(r: RunRecord): RecordedPoint[] {
  const points = new Map<number, RecordedPoint>();
  const at = (theta: number) => {
    if (!points.has(theta)) points.set(theta, { theta });
    return points.get(theta)!;
  };
  for (const p of r.metrics?.thresholdCurve ?? []) {
    if (!isNum(p.threshold)) continue;
    const point = at(p.threshold);
    if (isNum(p.accuracy)) point.accuracy = p.accuracy;
    if (isNum(p.meanSpikeTime)) point.steps = p.meanSpikeTime;
    if (isNum(p.fractionFired)) point.fired = p.fractionFired;
  }
  for (const [key, value] of Object.entries(r.metrics?.extra ?? {})) {
    for (const [re, field] of EXTRA_KEYS) {
      const m = re.exec(key);
      const theta = m ? Number(m[1]) : NaN;
      if (!isNum(theta) || !isNum(value)) continue;
      const point = at(theta);
      if (point[field] === undefined) point[field] = value;
    }
  }
  // A θ with neither an accuracy nor a time says nothing a reader can use.
  return [...points.values()]
    .filter((p) => p.accuracy !== undefined || p.steps !== undefined || p.ms !== undefined)
    .sort((a, b) => a.theta - b.theta);
}

/** One run's numbers at one θ, as the page prints them. */
export interface SliderCell {
  accuracy: string;
  time: string;
  fired: string;
}

/** One run of the slider: its name, method and numbers at each of the slider's θ values. */
export interface SliderRow {
  run: string;
  method: "rc" | "eos";
  /** Index i: the numbers at `thetas[i]`. */
  cells: SliderCell[];
}

/** What the page embeds for one slider. */
export interface SliderData {
  /** Every θ any of the runs recorded, ascending: the slider's stops. */
  thetas: number[];
  /** Index of the starting θ: the paper's 0.95, else the recorded θ nearest to it. */
  start: number;
  rows: SliderRow[];
}

/** Printed for a number a run did not record at the θ shown. */
export const NOT_RECORDED = "not recorded";

/** A recorded point as the page prints it (a θ the run did not record: says so). */
export function cellText(p: RecordedPoint | undefined): SliderCell {
  if (!p) return { accuracy: NOT_RECORDED, time: "–", fired: "–" };
  const ms = p.ms === undefined ? "" : `${p.ms.toFixed(0)} ms`;
  return {
    accuracy: p.accuracy === undefined ? NOT_RECORDED : pct(p.accuracy),
    time: p.steps === undefined ? ms || "–" : `${steps(p.steps)}${ms ? ` (${ms})` : ""}`,
    fired: p.fired === undefined ? NOT_RECORDED : pct(p.fired),
  };
}

/**
 * The slider over some runs of one experiment: of the runs that did not fail, the first seed of
 * each configuration, where it recorded anything per θ; RC runs before EOS runs. Null when fewer than two θ values
 * were recorded (nothing to slide over).
 */
export function sliderData(runs: readonly RunRecord[]): SliderData | null {
  const finished = runs.filter((r) => r.status !== "failed");
  const shown = finished
    .filter((r) => isFirstSeed(r, finished))
    .map((r) => ({ r, points: recordedPoints(r) }))
    .filter((x) => x.points.length > 0)
    .sort((a, b) => a.r.method === b.r.method ? 0 : a.r.method === "rc" ? -1 : 1);
  const thetas = [...new Set(shown.flatMap((x) => x.points.map((p) => p.theta)))]
    .sort((a, b) => a - b);
  if (thetas.length < 2) return null;
  const start = thetas.reduce(
    (best, t, i) => Math.abs(t - PAPER_THETA) < Math.abs(thetas[best] - PAPER_THETA) ? i : best,
    0,
  );
  return {
    thetas,
    start,
    rows: shown.map(({ r, points }) => ({
      run: r.run,
      method: r.method,
      cells: thetas.map((t) => cellText(points.find((p) => p.theta === t))),
    })),
  };
}

/**
 * The slider of one experiment block, where the section shows its runs or its trade-off and the
 * runs recorded at least two θ values; "" otherwise. A labelled range input over the recorded θ
 * values, the numbers at the starting θ (readable without the script) in a live region, and the
 * numbers at every θ as JSON for `assets/report.client.js`.
 */
export function thetaSlider(section: ReportSection, runs: readonly RunRecord[]): string {
  if (!section.parts.runs && !section.parts.tradeoff) return "";
  const data = sliderData(runs);
  if (!data) return "";
  const experiment = runs[0].experiment;
  const id = `theta-${slug(section.id)}-${slug(experiment)}`;
  const byRun = new Map(runs.map((r) => [r.run, r]));
  const theta = `θ = ${data.thetas[data.start]}`;
  const rows = data.rows.map((row, i) => {
    const r = byRun.get(row.run)!;
    const c = row.cells[data.start];
    return `<tr data-row="${i}"><th scope="row">${
      badge(row.method.toUpperCase(), `method-${row.method}`)
    } <a href="#${runAnchor(r)}"><code>${esc(row.run)}</code></a></th><td data-k="accuracy">${
      num(c.accuracy)
    }</td><td data-k="time">${num(c.time)}</td><td data-k="fired">${num(c.fired)}</td></tr>`;
  });
  const first = data.thetas[0], last = data.thetas[data.thetas.length - 1];
  return `<div class="theta-slider" id="${id}" data-theta-slider>
<h4>${esc(experiment)}: accuracy and speed at a chosen θ <small>(beyond the paper)</small></h4>
<p class="muted" id="${id}-about">Pick an inference threshold θ: each run's test accuracy,
mean first-spike step and share of examples that spiked at that θ, as its run file recorded them
(first seed of each configuration). The slider stops only at the ${data.thetas.length} θ values
recorded, ${first} to ${last}: nothing is interpolated. It starts at the paper's θ = ${PAPER_THETA}${
    data.thetas[data.start] === PAPER_THETA ? "" : ` (not recorded here: the nearest, ${theta})`
  }.</p>
<div class="theta-control"><label for="${id}-input">Inference threshold θ</label>
<span class="theta-range"><span aria-hidden="true">${first}</span><input type="range" id="${id}-input" min="0" max="${
    data.thetas.length - 1
  }" step="1" value="${data.start}" list="${id}-stops" aria-valuetext="${
    esc(theta)
  }" aria-describedby="${id}-about"><span aria-hidden="true">${last}</span></span>
<output for="${id}-input" class="theta-value">${esc(theta)}</output>
<datalist id="${id}-stops">${
    data.thetas.map((t, i) => `<option value="${i}" label="${t}"></option>`).join("")
  }</datalist></div>
<div class="theta-values" aria-live="polite"><table class="theta-table"><thead><tr><th scope="col">Run</th><th scope="col">Test accuracy</th><th scope="col">Mean first-spike step</th><th scope="col">Spiked</th></tr></thead>
<tbody>${rows.join("")}</tbody></table></div>
<script type="application/json">${scriptJson(data)}</script>
</div>`;
}
