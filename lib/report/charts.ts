/**
 * Chart.js configurations built from run records, as plain JSON (no callbacks), so the page can
 * embed them as data. Accuracies are drawn in percent. Pure functions.
 * @module
 */

import type { FigureSpec, RunRecord } from "../results.ts";
import { isNum } from "./format.ts";

/** A Chart.js configuration that survives `JSON.stringify`. */
export interface ChartConfig {
  type: "line" | "scatter" | "bar";
  data: { labels?: (string | number)[]; datasets: Record<string, unknown>[] };
  options: Record<string, unknown>;
}

/** Colours for generic figures (Tableau 10). */
const PALETTE = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];
/** RC runs in blues, EOS runs in reds and greens, as in the paper's figures. */
const RC_COLOURS = ["#1f5fbf", "#5b9bea", "#0b3475", "#8ec1ff", "#2a8fb0", "#4f46c8"];
const EOS_COLOURS = ["#d1402a", "#2e9e4f", "#e08a1a", "#a32c5a", "#7a9e1f"];

/** A stable colour per run of an experiment, by method. */
export function runColours(runs: RunRecord[]): Map<RunRecord, string> {
  const out = new Map<RunRecord, string>();
  let rc = 0, eos = 0;
  for (const r of runs) {
    out.set(
      r,
      r.method === "eos"
        ? EOS_COLOURS[eos++ % EOS_COLOURS.length]
        : RC_COLOURS[rc++ % RC_COLOURS.length],
    );
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

const finitePoint = (p: { x: unknown; y: unknown }) => isNum(p.x) && isNum(p.y);

/** A run's label in a chart legend: its name, and its data set where an experiment mixes them. */
export function runLabel(r: RunRecord, showData: boolean): string {
  return showData ? `${r.run} (${r.data?.name ?? "?"})` : r.run;
}

/** A `FigureSpec` drawn as is. */
export function figureChart(spec: FigureSpec): ChartConfig {
  const series = spec.series ?? [];
  if (spec.kind === "bar") {
    const labels = [...new Set(series.flatMap((s) => s.x))].sort((a, b) => a - b);
    return {
      type: "bar",
      data: {
        labels,
        datasets: series.map((s, i) => {
          const at = new Map(s.x.map((x, j) => [x, s.y[j]]));
          return {
            label: s.label,
            data: labels.map((x) => isNum(at.get(x)) ? at.get(x)! : null),
            backgroundColor: PALETTE[i % PALETTE.length],
          };
        }),
      },
      options: options(spec.title, {
        x: { title: { display: true, text: spec.xLabel } },
        y: { title: { display: true, text: spec.yLabel }, beginAtZero: true },
      }),
    };
  }
  return {
    type: "scatter",
    data: {
      datasets: series.map((s, i) => ({
        label: s.label,
        data: s.x.map((x, j) => ({ x, y: s.y[j] })).filter(finitePoint),
        showLine: spec.kind === "line",
        borderColor: PALETTE[i % PALETTE.length],
        backgroundColor: PALETTE[i % PALETTE.length],
        pointRadius: spec.kind === "line" ? 0 : 3,
        borderWidth: 2,
      })),
    },
    options: options(spec.title, axes(spec.xLabel, spec.yLabel)),
  };
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

/** Mean first-spike step during training, one line per run. */
export function spikeTimeCurveChart(runs: RunRecord[], title: string): ChartConfig {
  const colours = runColours(runs);
  const showData = new Set(runs.map((r) => r.data?.name)).size > 1;
  const numSteps = Math.max(0, ...runs.map((r) => r.metrics?.numSteps).filter(isNum));
  return {
    type: "scatter",
    data: {
      datasets: runs.map((r) => ({
        label: runLabel(r, showData),
        data: (r.curves ?? []).map((p) => ({ x: p.examples, y: p.meanSpikeTime })).filter(
          finitePoint,
        ),
        showLine: true,
        borderColor: colours.get(r),
        backgroundColor: colours.get(r),
        pointRadius: 0,
        borderWidth: 2,
      })),
    },
    options: options(
      title,
      axes("training examples seen", "mean first-spike step", {}, {
        beginAtZero: true,
        ...(numSteps > 0 ? { suggestedMax: numSteps } : {}),
      }),
    ),
  };
}

/** Accuracy vs mean spike time over inference thresholds θ, one line per run (Fig. 5 style). */
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
          .map((p) => ({ x: p.meanSpikeTime, y: p.accuracy * 100, theta: p.threshold })),
        showLine: true,
        borderColor: colours.get(r),
        backgroundColor: colours.get(r),
        pointRadius: 3,
        borderWidth: 2,
      })),
    },
    options: options(title, axes("mean first-spike step", "test accuracy (%)")),
  };
}
