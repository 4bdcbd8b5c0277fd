/**
 * Chart.js configurations built from run records, as plain JSON (no callbacks), so the page can
 * embed them as data. Accuracies are drawn in percent. Pure functions.
 * @module
 */

import type { FigureSpec, RunRecord } from "../results.ts";
import { isNum } from "./format.ts";
import { heatmapChart } from "./heatmap.ts";

/** A Chart.js configuration that survives `JSON.stringify`. */
export interface ChartConfig {
  type: "line" | "scatter" | "bar";
  data: { labels?: (string | number)[]; datasets: Record<string, unknown>[] };
  options: Record<string, unknown>;
}

/**
 * The two method colours, the same in every chart and badge: RC blue, EOS red. Several runs of
 * one method in a chart get shades of the same hue, the first run the base colour.
 */
export const RC_COLOUR = "#1f5fbf";
export const EOS_COLOUR = "#d1402a";
const RC_SHADES = [RC_COLOUR, "#6b9de8", "#0b3475", "#9cc3f5", "#3d7fd9", "#1a4a94"];
const EOS_SHADES = [EOS_COLOUR, "#f08a76", "#8c2414", "#f5b4a6", "#b8321e", "#e0634c"];
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

/**
 * The method a series label names ("RC-trained", "EOS read-out"), or null. "non-RC" (the paper's
 * name for EOS-training) names EOS, not RC.
 */
export function methodOfLabel(label: string): "rc" | "eos" | null {
  const rc = /(?<!non-)\bRC\b/.test(label);
  const eos = /\bEOS\b/.test(label) || /\bnon-RC\b/.test(label);
  return rc === eos ? null : rc ? "rc" : "eos";
}

/** A stable colour per run of an experiment, by method: blue shades for RC, red for EOS. */
export function runColours(runs: RunRecord[]): Map<RunRecord, string> {
  const out = new Map<RunRecord, string>();
  let rc = 0, eos = 0;
  for (const r of runs) {
    out.set(
      r,
      r.method === "eos"
        ? EOS_SHADES[eos++ % EOS_SHADES.length]
        : RC_SHADES[rc++ % RC_SHADES.length],
    );
  }
  return out;
}

/** Colours of a figure's series: a method's colour where the label names one, else the others. */
function seriesColours(labels: string[]): string[] {
  let other = 0, rc = 0, eos = 0;
  return labels.map((l) => {
    const m = methodOfLabel(l);
    if (m === "rc") return RC_SHADES[rc++ % RC_SHADES.length];
    if (m === "eos") return EOS_SHADES[eos++ % EOS_SHADES.length];
    return OTHER_COLOURS[other++ % OTHER_COLOURS.length];
  });
}

/** The smallest of 1, 2, 5, 10, 20, 50, ... at least `x` (a tick step). */
export function niceStep(x: number): number {
  if (!(x > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= x)!;
}

/** `x` rounded up to a multiple of a nice step (an axis maximum that reads well). */
export function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const step = niceStep(x / 5);
  return Math.ceil(x / step) * step;
}

/** What charts compared side by side share: the y maximum and, for bars, the x labels. */
export interface SharedScale {
  yMax?: number;
  /** The y tick step that divides `yMax` (so that the top tick is a round one). */
  yStep?: number;
  labels?: number[];
}

/**
 * The scale shared by figures drawn side by side: the largest y of any, and for bar charts the
 * x range that holds a non-zero bar in any of them (widened to include 0 where it is in range).
 */
export function sharedScale(specs: FigureSpec[]): SharedScale {
  const ys = specs.flatMap((f) => (f.series ?? []).flatMap((s) => s.y)).filter(isNum);
  const top = Math.max(...ys);
  const out: SharedScale = ys.length && top > 0
    ? { yMax: niceMax(top), yStep: niceStep(top / 5) }
    : {};
  if (specs.length && specs.every((f) => f.kind === "bar")) {
    const all = specs.flatMap((f) => (f.series ?? []).flatMap((s) => s.x));
    const inked = specs.flatMap((f) =>
      (f.series ?? []).flatMap((s) => s.x.filter((_, j) => isNum(s.y[j]) && s.y[j] !== 0))
    );
    const labels = [...new Set(all)].sort((a, b) => a - b);
    if (inked.length) {
      let lo = Math.min(...inked), hi = Math.max(...inked);
      if (labels[0] <= 0 && labels[labels.length - 1] >= 0) {
        lo = Math.min(lo, 0), hi = Math.max(hi, 0);
      }
      const kept = labels.filter((x) => x >= lo && x <= hi);
      // Trimmed only where empty bars would take over 40 % of the axis.
      out.labels = kept.length < 0.6 * labels.length ? kept : labels;
    }
  }
  return out;
}

function axes(
  xLabel: string,
  yLabel: string,
  x: Record<string, unknown> = {},
  y: Record<string, unknown> = {},
) {
  return {
    x: { type: "linear", title: { display: true, text: xLabel }, ...x },
    y: { title: { display: true, text: yLabel }, ...y },
  };
}

function options(title: string, scales: Record<string, unknown>): Record<string, unknown> {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    interaction: { mode: "nearest", intersect: false },
    scales,
    plugins: {
      title: { display: true, text: title },
      legend: { position: "bottom", labels: { boxWidth: 12, font: { size: 11 } } },
    },
  };
}

/** Turns on the page's point-label plugin: each point's `label` drawn beside it, no hover needed. */
function withPointLabels(o: Record<string, unknown>): Record<string, unknown> {
  const plugins = o.plugins as Record<string, unknown>;
  return { ...o, plugins: { ...plugins, pointLabels: { display: true } } };
}

const finitePoint = (p: { x: unknown; y: unknown }) => isNum(p.x) && isNum(p.y);

/** A run's label in a chart legend: its name, and its data set where an experiment mixes them. */
export function runLabel(r: RunRecord, showData: boolean): string {
  return showData ? `${r.run} (${r.data?.name ?? "?"})` : r.run;
}

/**
 * A `FigureSpec` drawn as is; `shared` gives the scale of the charts it sits beside. Bar charts
 * with numeric labels carry `ticks.multipleOf` (the page shows only those labels, 0 among them).
 */
export function figureChart(spec: FigureSpec, shared: SharedScale = {}): ChartConfig {
  if (spec.kind === "heatmap") return heatmapChart(spec);
  const series = spec.series ?? [];
  const colours = seriesColours(series.map((s) => s.label));
  const yScale = {
    title: { display: true, text: spec.yLabel },
    ...(isNum(shared.yMax) ? { max: shared.yMax } : {}),
    ...(isNum(shared.yStep) ? { ticks: { stepSize: shared.yStep } } : {}),
  };
  if (spec.kind === "bar") {
    const labels = shared.labels ??
      [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
    const span = labels.length ? labels[labels.length - 1] - labels[0] : 0;
    return {
      type: "bar",
      data: {
        labels,
        datasets: series.map((s, i) => {
          const at = new Map(s.x.map((x, j) => [x, s.y[j]]));
          return {
            label: s.label,
            data: labels.map((x) => isNum(at.get(x)) ? at.get(x)! : null),
            backgroundColor: colours[i],
          };
        }),
      },
      options: options(spec.title, {
        x: {
          title: { display: true, text: spec.xLabel },
          ticks: { autoSkip: false, maxRotation: 0, multipleOf: niceStep(span / 12) },
        },
        y: { ...yScale, beginAtZero: true },
      }),
    };
  }
  // A series labelled "θ ∈ {a, b, ...}" with one θ per point gets each point labelled with its θ.
  const thetas = series.map((s) => {
    const m = /θ ∈ \{([^}]*)\}/.exec(s.label);
    const list = m ? m[1].split(",").map((t) => t.trim()) : [];
    return list.length === s.x.length ? list : null;
  });
  const config: ChartConfig = {
    type: "scatter",
    data: {
      datasets: series.map((s, i) => ({
        label: s.label,
        data: s.x.map((x, j) => ({
          x,
          y: s.y[j],
          ...(thetas[i] ? { theta: Number(thetas[i]![j]), label: thetas[i]![j] } : {}),
        })).filter(finitePoint),
        showLine: spec.kind === "line",
        borderColor: colours[i],
        backgroundColor: colours[i],
        pointRadius: spec.kind === "line" ? 0 : 3,
        borderWidth: 2,
      })),
    },
    options: options(spec.title, axes(spec.xLabel, spec.yLabel, {}, yScale)),
  };
  if (thetas.some(Boolean)) config.options = withPointLabels(config.options);
  return config;
}

/**
 * Accuracy during training, one solid line per run for RC-inference (`spikingAccuracy`) and a
 * dashed one for the end-of-sequence read-out (`eosAccuracy`).
 */
export function accuracyCurveChart(runs: RunRecord[], title: string): ChartConfig {
  const colours = runColours(runs);
  const showData = new Set(runs.map((r) => r.data?.name)).size > 1;
  const datasets = runs.flatMap((r) => {
    const curve = r.curves ?? [];
    const c = colours.get(r)!;
    const line = (key: "spikingAccuracy" | "eosAccuracy", dashed: boolean) => ({
      label: `${runLabel(r, showData)} · ${dashed ? "EOS read-out" : "RC-inference"}`,
      data: curve.map((p) => ({ x: p.examples, y: isNum(p[key]) ? p[key] * 100 : null }))
        .filter(finitePoint),
      showLine: true,
      borderColor: c,
      backgroundColor: c,
      borderDash: dashed ? [6, 4] : [],
      pointRadius: 0,
      borderWidth: dashed ? 1.5 : 2,
    });
    return [line("spikingAccuracy", false), line("eosAccuracy", true)];
  });
  return {
    type: "scatter",
    data: { datasets },
    options: options(
      title,
      axes("training examples seen", "accuracy (%)", {}, { suggestedMax: 100 }),
    ),
  };
}

/** The percentile bands a spike-time chart fills, outer first: [lower, upper, opacity]. */
const BANDS: [string, string, string][] = [["10", "90", "26"], ["25", "75", "4d"]];

/** Whether any validation point of `runs` records first-spike percentiles. */
export function hasSpikeTimePercentiles(runs: RunRecord[]): boolean {
  return runs.some((r) => (r.curves ?? []).some((p) => p.spikeTimePercentiles));
}

/** The runs a spike-time chart draws as bands: the first of each method with percentiles. */
export function bandedRuns(runs: RunRecord[]): Set<RunRecord> {
  return new Set(
    (["rc", "eos"] as const).map((m) =>
      runs.find((r) => r.method === m && hasSpikeTimePercentiles([r]))
    ).filter((r) => r !== undefined),
  );
}

/**
 * First-spike step during training. Runs whose validation points record percentiles (the first
 * such run of each method) are drawn as bands, 10-90 % lighter and 25-75 % darker, with the median
 * as a line (Fig. 2B's distribution); every other run as one line, its median where recorded,
 * else its mean. Band edges carry no legend entry (an empty label, left out by the page).
 */
export function spikeTimeCurveChart(runs: RunRecord[], title: string): ChartConfig {
  const colours = runColours(runs);
  const showData = new Set(runs.map((r) => r.data?.name)).size > 1;
  const numSteps = Math.max(0, ...runs.map((r) => r.metrics?.numSteps).filter(isNum));
  const banded = bandedRuns(runs);
  const at = (r: RunRecord, key: string | null) =>
    (r.curves ?? []).map((p) => ({
      x: p.examples,
      y: key === null ? p.meanSpikeTime : p.spikeTimePercentiles?.[key],
    })).filter(finitePoint);
  const line = (c: string) => ({
    showLine: true,
    borderColor: c,
    backgroundColor: c,
    pointRadius: 0,
  });
  const datasets = runs.flatMap((r) => {
    const c = colours.get(r)!;
    const name = runLabel(r, showData);
    if (!hasSpikeTimePercentiles([r])) {
      return [{ label: name, data: at(r, null), ...line(c), borderWidth: 2 }];
    }
    const median = { label: `${name} · median`, data: at(r, "50"), ...line(c) };
    if (!banded.has(r)) return [{ ...median, borderWidth: 1, borderDash: [4, 3] }];
    return [
      ...BANDS.flatMap(([lo, hi, alpha]) => [
        { label: "", data: at(r, lo), ...line(c), borderWidth: 0, fill: false },
        {
          label: `${name} · ${lo}-${hi} %`,
          data: at(r, hi),
          ...line(c),
          borderWidth: 0,
          backgroundColor: `${c}${alpha}`,
          fill: "-1",
        },
      ]),
      { ...median, borderWidth: 2 },
    ];
  });
  const o = options(
    title,
    axes("training examples seen", "first-spike step (validation)", {}, {
      beginAtZero: true,
      ...(numSteps > 0 ? { suggestedMax: numSteps } : {}),
    }),
  );
  const plugins = o.plugins as Record<string, Record<string, unknown>>;
  plugins.legend.labels = { ...plugins.legend.labels as object, skipEmpty: true };
  return { type: "scatter", data: { datasets }, options: o };
}

/**
 * Accuracy vs mean spike time over inference thresholds θ, one line per run (Fig. 5 style),
 * every point labelled with its θ.
 */
export function tradeoffChart(runs: RunRecord[], title: string): ChartConfig {
  const colours = runColours(runs);
  const showData = new Set(runs.map((r) => r.data?.name)).size > 1;
  return {
    type: "scatter",
    data: {
      datasets: runs.map((r) => ({
        label: runLabel(r, showData),
        data: [...(r.metrics?.thresholdCurve ?? [])]
          .filter((p) => isNum(p.meanSpikeTime) && isNum(p.accuracy))
          .sort((a, b) => a.meanSpikeTime - b.meanSpikeTime)
          .map((p) => ({
            x: p.meanSpikeTime,
            y: p.accuracy * 100,
            theta: p.threshold,
            label: String(p.threshold),
          })),
        showLine: true,
        borderColor: colours.get(r),
        backgroundColor: colours.get(r),
        pointRadius: 3,
        borderWidth: 2,
      })),
    },
    options: withPointLabels(options(title, axes("mean first-spike step", "test accuracy (%)"))),
  };
}
