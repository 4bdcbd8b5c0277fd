/**
 * Chart defects a reader found: a legend cut after 14 of 34 entries, Fig. 3C's y axis mixing
 * spike steps and "β × 10", a heatmap's colour text over a row label. Legends and notes now go
 * below the chart as HTML; a scaled quantity gets its own axis.
 */
import assert from "node:assert/strict";
import type { FigureSpec, RunRecord } from "../../lib/results.ts";
import { readRuns } from "../../lib/results.ts";
import {
  accuracyCurveChart,
  chartExtras,
  figureChart,
  secondAxis,
} from "../../lib/report/charts.ts";
import { renderReport } from "../../lib/report/html.ts";
import { EXPERIMENTS } from "../../lib/experiments/registry.ts";
import { fixtureRuns } from "./fixtures.ts";

/** Fig. 3C as older runs recorded it: β drawn × 10 on the spike-step axis. */
const FIG3C: FigureSpec = {
  paperFigure: "3C",
  title: "ConvLSTM 784-10-10 (3×3): mean first-spike step through training",
  kind: "line",
  xLabel: "training examples",
  yLabel: "mean first-spike step (validation, θ = 0.95); β × 10",
  caption: "",
  series: [
    { label: "fast schedule (β 0.165 → 0)", x: [1, 2, 3], y: [10, 8.6, 7.4] },
    { label: "slow schedule (convlstm10-slow-s1)", x: [1, 2, 3], y: [10, 9.7, 9.2] },
    { label: "β × 10 (this run)", x: [1, 2, 3], y: [1.65, 1.65, 0] },
  ],
};

Deno.test("Fig. 3C: β gets an axis of its own, in its own units; steps keep theirs", () => {
  assert.equal(secondAxis({ ...FIG3C, yLabel: "mean first-spike step" }), null);
  const chart = figureChart(FIG3C);
  const scales = chart.options.scales as Record<string, Record<string, unknown>>;
  assert.deepEqual(scales.y.title, {
    display: true,
    text: "mean first-spike step (validation, θ = 0.95)",
  });
  assert.equal(scales.y2.position, "right");
  assert.deepEqual(scales.y2.title, { display: true, text: "β" });
  const beta = chart.data.datasets[2];
  assert.equal(beta.label, "β (this run)");
  assert.equal(beta.yAxisID, "y2");
  assert.deepEqual((beta.data as { y: number }[]).map((p) => +p.y.toFixed(6)), [0.165, 0.165, 0]);
  assert.equal(chart.data.datasets[0].yAxisID, undefined);
});

Deno.test("legends below the chart: every entry, seeds together, the canvas's own legend off", () => {
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "two-sequence")
    .sort((a) => a.method === "rc" ? -1 : 1);
  // 17 runs, 2 lines each: 34 datasets (the mnist chart a reader saw cut after 14 entries).
  const runs: RunRecord[] = [eos];
  for (const beta of [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]) {
    for (const seed of [1, 2]) {
      runs.push({
        ...rc,
        run: `rc-b${beta}-s${seed}`,
        seed,
        config: { ...rc.config, beta, seed },
      });
    }
  }
  const chart = accuracyCurveChart(runs, "t");
  assert.equal(chart.data.datasets.length, 34);
  const { config, html } = chartExtras(chart);
  const plugins = config.options.plugins as Record<string, Record<string, unknown>>;
  assert.equal(plugins.legend.display, false);
  assert.equal(config.legend, undefined, "the legend stays out of the embedded configuration");
  const items = [...html.matchAll(/<li>(.*?)<\/li>/g)].map((m) => m[1].replace(/<[^>]+>/g, ""));
  // One entry per configuration (9), then the two line styles.
  assert.equal(items.length, 11, items.join("\n"));
  assert.ok(items.includes("rc-b0.1-s1, -s2 (2 seeds)"), items.join("\n"));
  assert.ok(items.includes("thick: RC-inference at the training θ"));
  // A chart without its own legend list gets one from its datasets, dashes and markers drawn.
  const fig = chartExtras(figureChart(FIG3C)).html;
  assert.equal((fig.match(/<li>/g) ?? []).length, 3);
  assert.match(fig, /β \(this run\)<\/li>/);
});

Deno.test("published page: the mnist training chart's legend lists every configuration", async (t) => {
  let records: RunRecord[] = [];
  try {
    records = await readRuns(new URL("../../reports", import.meta.url).pathname, {
      onProblem: () => {},
    });
  } catch { /* a checkout without published runs */ }
  const mnist = records.filter((r) => r.experiment === "mnist");
  if (mnist.length === 0) {
    await t.step({ name: "no published mnist runs", ignore: true, fn: () => {} });
    return;
  }
  const html = renderReport(records, { generatedAt: "x", chartJs: "", experiments: EXPERIMENTS });
  const at = html.indexOf('aria-label="mnist: accuracy during training"');
  const legend = html.slice(at, html.indexOf("</ul>", at));
  const entries = (legend.match(/<li>/g) ?? []).length;
  const { seedKey } = await import("../../lib/report/select.ts");
  assert.equal(entries, new Set(mnist.map(seedKey)).size + 2);
  // Fig. 8's colour scale: a line below the chart, not in the canvas.
  if (records.some((r) => r.experiment === "hidden-dynamics")) {
    assert.match(html, /<p class="chart-note">colour: purple/);
  }
});
