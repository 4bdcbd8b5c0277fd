/**
 * Chart.js configurations built from run records, as plain JSON (no callbacks), so the page can
 * embed them as data. Accuracies are drawn in percent. Pure functions.
 * @module
 */

import type { FigureSpec, RunRecord } from "../results.ts";
import { methodOfLabel, runStyles, type SeriesStyle, seriesStyles } from "./colour.ts";
import { esc, isNum } from "./format.ts";
import { heatmapChart } from "./heatmap.ts";
import { seedsOf } from "./select.ts";

/** A Chart.js configuration that survives `JSON.stringify`. */
export interface ChartConfig {
  type: "line" | "scatter" | "bar";
  data: { labels?: (string | number)[]; datasets: Record<string, unknown>[] };
  options: Record<string, unknown>;
  /**
   * The legend the page shows below the chart, where it is not one entry per dataset (seeds of a
   * configuration as one entry, line styles explained once); see {@link chartExtras}.
   */
  legend?: LegendItem[];
  /** A line the page shows below the chart (a heatmap's colour scale); see {@link chartExtras}. */
  note?: string;
}

/** One entry of a chart's legend: a line (solid or dashed, with its marker), a box, a marker. */
export interface LegendItem {
  label: string;
  colour: string;
  kind: "line" | "box" | "point";
  dash?: number[];
  pointStyle?: string;
}

export { EOS_COLOUR, methodOfLabel, OTHER_COLOURS, RC_COLOUR, runColours } from "./colour.ts";

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
  const styles = seriesStyles(series.map((s) => s.label));
  const colours = styles.map((st) => st.colour);
  const second = secondAxis(spec);
  const yScale = {
    title: { display: true, text: second ? second.yLabel : spec.yLabel },
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
  // Several series of one method on a line chart of few points: each its own marker as well.
  const marked = spec.kind !== "line" || (
    Math.max(0, ...series.map((s) => s.x.length)) <= 40 &&
    sameFamily(series.map((s) => s.label)) >= 3
  );
  const scales: Record<string, unknown> = axes(spec.xLabel, yScale.title.text, {}, yScale);
  if (second) {
    scales.y2 = {
      position: "right",
      title: { display: true, text: second.name },
      beginAtZero: true,
      grid: { drawOnChartArea: false },
    };
  }
  const config: ChartConfig = {
    type: "scatter",
    data: {
      datasets: series.map((s, i) => {
        const scaled = second?.series.has(i) ?? false;
        return {
          label: scaled ? second!.label(s.label) : s.label,
          data: s.x.map((x, j) => ({
            x,
            y: scaled && isNum(s.y[j]) ? +(s.y[j] / second!.factor).toPrecision(12) : s.y[j],
            ...(thetas[i] ? { theta: Number(thetas[i]![j]), label: thetas[i]![j] } : {}),
          })).filter(finitePoint),
          showLine: spec.kind === "line",
          borderColor: colours[i],
          backgroundColor: colours[i],
          borderDash: styles[i].dash,
          pointStyle: styles[i].pointStyle,
          pointRadius: marked ? 3 : 0,
          borderWidth: 2,
          ...(scaled ? { yAxisID: "y2" } : {}),
        };
      }),
    },
    options: options(spec.title, scales),
  };
  if (thetas.some(Boolean)) config.options = withPointLabels(config.options);
  return config;
}

/** How many series of the most frequent method (RC, EOS or neither) a chart has. */
function sameFamily(labels: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const l of labels) {
    const m = methodOfLabel(l) ?? "other";
    counts.set(m, (counts.get(m) ?? 0) + 1);
  }
  return Math.max(0, ...counts.values());
}

/** A quantity a figure drew on its y axis scaled to fit another's ("β × 10"), to be given its own. */
export interface SecondAxis {
  /** The quantity's name ("β") and the factor it was drawn at (10). */
  name: string;
  factor: number;
  /** The indices of its series. */
  series: Set<number>;
  /** The y label without it. */
  yLabel: string;
  /** A series label in the quantity's own units: "β × 10 (this run)" -> "β (this run)". */
  label: (l: string) => string;
}

/**
 * A y axis that mixes two quantities, one drawn scaled to fit ("mean first-spike step; β × 10",
 * a series "β × 10 (this run)"): the scaled quantity and its series, to be drawn unscaled on a
 * second axis at the right. Null where the y label names no scaled quantity a series carries.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { secondAxis } from "./charts.ts";
 * const spec = { paperFigure: "3C", title: "t", kind: "line" as const, xLabel: "x",
 *   yLabel: "mean first-spike step; β × 10", caption: "",
 *   series: [{ label: "fast", x: [0], y: [5] }, { label: "β × 10 (this run)", x: [0], y: [1.65] }] };
 * const a = secondAxis(spec)!;
 * assert.equal(a.name, "β");
 * assert.equal(a.factor, 10);
 * assert.deepEqual([...a.series], [1]);
 * assert.equal(a.yLabel, "mean first-spike step");
 * assert.equal(a.label("β × 10 (this run)"), "β (this run)");
 * ```
 */
export function secondAxis(spec: FigureSpec): SecondAxis | null {
  const m = /^(.*?)[;,]\s*(\S+) × (\d+(?:\.\d+)?)\s*$/.exec(spec.yLabel);
  if (!m) return null;
  const [, yLabel, name, factor] = m;
  const scaled = `${name} × ${factor}`;
  const series = new Set(
    (spec.series ?? []).flatMap((s, i) => (s.label.startsWith(scaled) ? [i] : [])),
  );
  if (series.size === 0 || series.size === (spec.series ?? []).length) return null;
  return {
    name,
    factor: Number(factor),
    series,
    yLabel: yLabel.trim(),
    label: (l) => l.replace(scaled, name),
  };
}

/**
 * Run names of one configuration's seeds, shortened after the first: "lstm340-fast-s1, -s2, -s3".
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { seedGroupLabel } from "./charts.ts";
 * assert.equal(seedGroupLabel(["c-fast-s1", "c-fast-s2", "c-fast-s3"]), "c-fast-s1, -s2, -s3");
 * assert.equal(seedGroupLabel(["rc", "rc-s2"]), "rc, rc-s2");
 * ```
 */
export function seedGroupLabel(names: readonly string[]): string {
  if (names.length < 2) return names[0] ?? "";
  let prefix = names[0];
  for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const cut = prefix.lastIndexOf("-") + 1;
  return cut > 0
    ? `${names[0]}, ${names.slice(1).map((n) => `-${n.slice(cut)}`).join(", ")}`
    : names.join(", ");
}

/**
 * One legend entry per configuration of `runs` (its seeds together, in its style), in run order.
 */
function configLegend(
  runs: readonly RunRecord[],
  styles: Map<RunRecord, SeriesStyle>,
  showData: boolean,
  width: (r: RunRecord) => "line" | "box" = () => "line",
): LegendItem[] {
  const done = new Set<RunRecord>();
  const items: LegendItem[] = [];
  for (const r of runs) {
    if (done.has(r)) continue;
    const seeds = seedsOf(r, runs).filter((o) => runs.includes(o));
    for (const o of seeds) done.add(o);
    const st = styles.get(r)!;
    items.push({
      label: seedGroupLabel(seeds.map((o) => runLabel(o, showData))) +
        (seeds.length > 1 ? ` (${seeds.length} seeds)` : ""),
      colour: st.colour,
      kind: width(r),
      dash: st.dash,
    });
  }
  return items;
}

/** The grey of legend entries that explain a line style rather than name a run. */
const KEY_GREY = "#5c6670";

/**
 * Accuracy during training, one line per run for RC-inference (`spikingAccuracy`) and a thin,
 * pale one for the end-of-sequence read-out (`eosAccuracy`). Seeds of a configuration share its
 * colour; the legend names each configuration once.
 */
export function accuracyCurveChart(runs: RunRecord[], title: string): ChartConfig {
  const styles = runStyles(runs);
  const showData = new Set(runs.map((r) => r.data?.name)).size > 1;
  const datasets = runs.flatMap((r) => {
    const curve = r.curves ?? [];
    const st = styles.get(r)!;
    const line = (key: "spikingAccuracy" | "eosAccuracy", readOut: boolean) => ({
      label: `${runLabel(r, showData)} · ${readOut ? "EOS read-out" : "RC-inference"}`,
      data: curve.map((p) => ({ x: p.examples, y: isNum(p[key]) ? p[key] * 100 : null }))
        .filter(finitePoint),
      showLine: true,
      borderColor: readOut ? `${st.colour}80` : st.colour,
      backgroundColor: st.colour,
      borderDash: st.dash,
      pointRadius: 0,
      borderWidth: readOut ? 1 : 2,
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
    legend: [
      ...configLegend(runs, styles, showData),
      { label: "thick: RC-inference at the training θ", colour: KEY_GREY, kind: "line" },
      { label: "thin, pale: read at the last step", colour: `${KEY_GREY}80`, kind: "line" },
    ],
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
  const styles = runStyles(runs);
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
    const st = styles.get(r)!;
    const c = st.colour;
    const name = runLabel(r, showData);
    if (!hasSpikeTimePercentiles([r])) {
      return [{ label: name, data: at(r, null), ...line(c), borderWidth: 2, borderDash: st.dash }];
    }
    const median = { label: `${name} · median`, data: at(r, "50"), ...line(c) };
    if (!banded.has(r)) return [{ ...median, borderWidth: 1.25, borderDash: st.dash }];
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
  const bands = [...banded].flatMap((r) =>
    BANDS.map(([lo, hi, alpha]): LegendItem => ({
      label: `${runLabel(r, showData)}: ${lo}-${hi} % of first spikes`,
      colour: `${styles.get(r)!.colour}${alpha}`,
      kind: "box",
    }))
  );
  return {
    type: "scatter",
    data: { datasets },
    options: o,
    legend: [
      ...configLegend(runs, styles, showData),
      ...bands,
      ...(banded.size && runs.some((r) => !banded.has(r))
        ? [{ label: "thin: other runs' medians", colour: KEY_GREY, kind: "line" as const }]
        : []),
    ],
  };
}

/**
 * Accuracy vs mean spike time over inference thresholds θ, one line per run (Fig. 5 style),
 * every point labelled with its θ.
 */
export function tradeoffChart(runs: RunRecord[], title: string): ChartConfig {
  const styles = runStyles(runs);
  const colours = new Map([...styles].map(([r, st]) => [r, st.colour]));
  const showData = new Set(runs.map((r) => r.data?.name)).size > 1;
  return {
    legend: configLegend(runs, styles, showData),
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
        borderDash: styles.get(r)!.dash,
        pointRadius: 3,
        borderWidth: 2,
      })),
    },
    options: withPointLabels(options(title, axes("mean first-spike step", "test accuracy (%)"))),
  };
}

/** A marker shape as SVG at (13, 5), for a legend's swatch. */
function markerSvg(style: string, c: string): string {
  const poly = (pts: string) => `<polygon points="${pts}" fill="${c}"/>`;
  switch (style) {
    case "triangle":
      return poly("13,1.5 16.5,8 9.5,8");
    case "rect":
      return `<rect x="10" y="2" width="6" height="6" fill="${c}"/>`;
    case "rectRot":
      return poly("13,1 17,5 13,9 9,5");
    case "star":
      return poly(
        "13,0.8 14.2,3.6 17.2,3.8 14.9,5.8 15.6,8.8 13,7.2 10.4,8.8 11.1,5.8 8.8,3.8 11.8,3.6",
      );
    case "crossRot":
      return `<path d="M10 2L16 8M16 2L10 8" stroke="${c}" stroke-width="1.8"/>`;
    default:
      return `<circle cx="13" cy="5" r="3" fill="${c}"/>`;
  }
}

/** A legend entry as HTML: its swatch (a line with its dash and marker, or a box) and label. */
function legendItemHtml(item: LegendItem): string {
  const c = esc(item.colour);
  const swatch = item.kind === "box"
    ? `<rect x="1" y="1" width="24" height="8" rx="1" fill="${c}"/>`
    : item.kind === "point"
    ? markerSvg(item.pointStyle ?? "circle", c)
    : `<line x1="1" y1="5" x2="25" y2="5" stroke="${c}" stroke-width="2.5"${
      item.dash?.length ? ` stroke-dasharray="${item.dash.join(" ")}"` : ""
    }/>${item.pointStyle ? markerSvg(item.pointStyle, c) : ""}`;
  return `<li><svg class="swatch" width="26" height="10" viewBox="0 0 26 10" aria-hidden="true">${swatch}</svg>${
    esc(item.label)
  }</li>`;
}

/** The legend a chart's datasets give, one entry per distinct label (band edges, unlabelled, left out). */
function datasetLegend(config: ChartConfig): LegendItem[] {
  const seen = new Set<string>();
  const items: LegendItem[] = [];
  for (const d of config.data.datasets) {
    const label = typeof d.label === "string" ? d.label : "";
    if (!label || seen.has(label)) continue;
    seen.add(label);
    const box = config.type === "bar" || (d.fill !== undefined && d.fill !== false);
    const colour = String((box ? d.backgroundColor : d.borderColor) ?? d.backgroundColor ?? "");
    items.push({
      label,
      colour,
      kind: box ? "box" : d.showLine === false ? "point" : "line",
      ...(Array.isArray(d.borderDash) && d.borderDash.length ? { dash: d.borderDash } : {}),
      ...(!box && typeof d.pointStyle === "string" && Number(d.pointRadius) > 0
        ? { pointStyle: d.pointStyle }
        : {}),
    });
  }
  return items;
}

/**
 * What the page shows below a chart instead of inside it: its legend as an HTML list (it wraps on
 * a phone and is never cut short, however many entries: the canvas's own legend showed 14 of 34
 * once) and its note (a heatmap's colour scale). Returns the configuration without them, its own
 * legend turned off, and their HTML.
 */
export function chartExtras(config: ChartConfig): { config: ChartConfig; html: string } {
  const { legend, note, ...drawn } = config;
  const plugins = (drawn.options.plugins ?? {}) as Record<string, Record<string, unknown>>;
  const shown = plugins.legend?.display !== false;
  const items = shown ? legend ?? datasetLegend(drawn) : [];
  const out: ChartConfig = {
    ...drawn,
    options: {
      ...drawn.options,
      plugins: { ...plugins, legend: { ...plugins.legend, display: false } },
    },
  };
  const html =
    (items.length ? `<ul class="chart-legend">${items.map(legendItemHtml).join("")}</ul>` : "") +
    (note ? `<p class="chart-note">${esc(note)}</p>` : "");
  return { config: out, html };
}
