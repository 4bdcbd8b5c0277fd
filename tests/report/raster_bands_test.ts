/**
 * The report's Fig. 1B-G spike rasters and Fig. 2B percentile bands: the chart configurations
 * built from run records (colours, stacks, outlines, fills) and where the page puts them.
 */
import assert from "node:assert/strict";
import type { CurvePoint, RunRecord } from "../../lib/results.ts";
import {
  bandedRuns,
  type ChartConfig,
  chartExtras,
  EOS_COLOUR,
  figureChart,
  RC_COLOUR,
  spikeTimeCurveChart,
} from "../../lib/report/charts.ts";
import { esc } from "../../lib/report/format.ts";
import { heatLegend, heatScale } from "../../lib/report/heatmap.ts";
import { renderReport } from "../../lib/report/html.ts";
import { EXPERIMENTS } from "../../lib/experiments/registry.ts";
import { fixtureRaster, fixtureRuns } from "./fixtures.ts";

const render = (records: RunRecord[]) =>
  renderReport(records, {
    generatedAt: "2026-11-22T12:00:00.000Z",
    chartJs: "",
    experiments: EXPERIMENTS,
  });

/** The chart configurations embedded in a page, in canvas order. */
function chartsOf(html: string): ChartConfig[] {
  const m = /<script type="application\/json" id="report-charts">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, "no chart data in the page");
  return JSON.parse(m[1].replace(/\\u003c/g, "<"));
}

function sectionOf(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}"`);
  assert.ok(start >= 0, `section ${id} missing`);
  return html.slice(start, html.indexOf("</section>", start));
}

Deno.test("raster chart: an input strip and a value stack per row, first spikes outlined", () => {
  const spec = fixtureRaster("rc");
  const chart = figureChart(spec);
  const ds = chart.data.datasets;
  // 25 input columns, then 25 value columns, each a stack of its own.
  assert.equal(ds.length, 50);
  assert.deepEqual([...new Set(ds.map((d) => d.stack))], ["inputs", "cells"]);
  assert.deepEqual(chart.data.labels, spec.rowLabels);
  // Inputs: row r at step t is (t + r) % 2, black for 1, white for 0.
  assert.deepEqual((ds[0].backgroundColor as string[]).slice(0, 2), [
    "rgb(255,255,255)",
    "rgb(0,0,0)",
  ]);
  // Values: white at 0.5 (step 1 of every row), orange towards 1, purple towards 0.
  const cells = ds.slice(25);
  assert.ok((cells[0].backgroundColor as string[]).every((c) => c === "rgb(247,247,247)"));
  // Row 0 spikes at step 6 (column 5): its cell is coloured, outlined; the next one grey.
  const row0 = cells.map((d) => (d.backgroundColor as string[])[0]);
  const [r, g, b] = row0[5].match(/\d+/g)!.map(Number);
  assert.ok(r > g && g > b, `${row0[5]} is orange`);
  const grey = row0[6].match(/\d+/g)!.map(Number);
  assert.ok(grey[0] === grey[1] && grey[1] === grey[2], `${row0[6]} is grey`);
  const widths = cells.map((d) => (d.borderWidth as number[])[0]);
  assert.deepEqual(widths.map((w, t) => w > 0 ? t : -1).filter((t) => t >= 0), [5]);
  // Row 4 (negative) spikes at step 10: purple there.
  const row4 = (cells[9].backgroundColor as string[])[4].match(/\d+/g)!.map(Number);
  assert.ok(row4[2] > row4[1], `row 4 at step 10 is purple: ${row4}`);
  // The last row never spikes: no outline, nothing grey.
  assert.ok(cells.every((d) => (d.borderWidth as number[])[7] === 0));
  // No blue or red anywhere in a raster: those mean RC and EOS.
  const all = ds.flatMap((d) => d.backgroundColor as string[]);
  assert.ok(!all.includes(RC_COLOUR) && !all.includes(EOS_COLOUR));
  // The legend: the fixed scale about 0.5, grey, outline and inputs, said below the chart (in
  // the canvas it was squeezed and drew over the top row's label).
  const legend = heatLegend(spec, heatScale(spec.z!, spec.scale));
  assert.match(legend, /purple 0\.0 · white 0\.50 · orange 1\.0/);
  assert.match(legend, /grey: steps after each row's first spike/);
  assert.match(legend, /black outline: first spike; strip above each row: its input/);
  assert.equal(chart.note, legend);
  assert.equal((chart.options.plugins as Record<string, unknown>).subtitle, undefined);
  const { config, html } = chartExtras(chart);
  assert.equal(config.note, undefined, "the note stays out of the embedded configuration");
  assert.ok(html.includes(`<p class="chart-note">${esc(legend)}</p>`));
  assert.deepEqual(JSON.parse(JSON.stringify(chart)), chart);
});

Deno.test("the spotting section draws both rasters under the paper's panels", () => {
  const html = render(fixtureRuns());
  const section = sectionOf(html, "fig1");
  assert.match(section, /<strong>Fig\. 1B–D<\/strong>/);
  assert.match(section, /<strong>Fig\. 1E–G<\/strong>/);
  // RC's raster first, then EOS's, before the 1C histogram; taller canvases.
  const rc = section.indexOf("Fig. 1B–D"), eos = section.indexOf("Fig. 1E–G");
  assert.ok(rc < eos && eos < section.indexOf("<strong>Fig. 1C</strong>"));
  assert.match(
    section,
    /class="chart tall"><canvas data-chart="\d+" role="img" aria-label="Fig\. 1B–D/,
  );
  assert.match(
    section,
    /purple and orange stand for the paper&#39;s red and blue|purple and orange stand for the paper's red and blue/,
  );
  const labels = chartsOf(html).filter((c) => c.data.datasets.some((d) => d.stack === "inputs"));
  assert.equal(labels.length, 2);
});

/** A run's curves without percentiles (as recorded before they were kept). */
const withoutPercentiles = (r: RunRecord): RunRecord => ({
  ...r,
  curves: r.curves.map(({ spikeTimePercentiles: _, ...p }) => p as CurvePoint),
});

Deno.test("Fig. 2B bands: 10-90 % and 25-75 % filled, the median a line, in the method colours", () => {
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "two-sequence")
    .sort((a) => a.method === "rc" ? -1 : 1);
  const rc2 = { ...rc, run: "rc-s2" };
  const runs = [rc, eos, rc2, withoutPercentiles({ ...eos, run: "eos-s2" })];
  assert.deepEqual([...bandedRuns(runs)], [rc, eos]);
  const chart = spikeTimeCurveChart(runs, "t");
  const ds = chart.data.datasets;
  assert.deepEqual(ds.map((d) => d.label), [
    "",
    "rc · 10-90 %",
    "",
    "rc · 25-75 %",
    "rc · median",
    "",
    "eos · 10-90 %",
    "",
    "eos · 25-75 %",
    "eos · median",
    "rc-s2 · median",
    "eos-s2",
  ]);
  // Each band's upper edge fills to its lower edge, in the run's colour, lighter outside.
  assert.deepEqual(ds.map((d) => d.fill ?? null), [
    false,
    "-1",
    false,
    "-1",
    null,
    false,
    "-1",
    false,
    "-1",
    null,
    null,
    null,
  ]);
  assert.equal(ds[1].backgroundColor, `${RC_COLOUR}26`);
  assert.equal(ds[3].backgroundColor, `${RC_COLOUR}4d`);
  assert.equal(ds[4].borderColor, RC_COLOUR);
  assert.equal(ds[9].borderColor, EOS_COLOUR);
  assert.equal(ds[6].backgroundColor, `${EOS_COLOUR}26`);
  // Points: the recorded percentiles at each validation point.
  const p = rc.curves[3];
  const y = (i: number) => (ds[i].data as { x: number; y: number }[])[3];
  assert.deepEqual(y(0), { x: p.examples, y: p.spikeTimePercentiles!["10"] });
  assert.deepEqual(y(1), { x: p.examples, y: p.spikeTimePercentiles!["90"] });
  assert.deepEqual(y(4), { x: p.examples, y: p.spikeTimePercentiles!["50"] });
  // A second RC seed: its median thinner, in its configuration's colour; a run without
  // percentiles: its mean.
  assert.ok((ds[10].borderWidth as number) < (ds[4].borderWidth as number));
  assert.equal(ds[10].borderColor, RC_COLOUR);
  assert.deepEqual(y(11), { x: p.examples, y: runs[3].curves[3].meanSpikeTime });
  // The legend below the chart: one entry per configuration (seeds together), then the bands;
  // band edges have none.
  assert.deepEqual(chart.legend!.map((l) => l.label), [
    "rc, rc-s2 (2 seeds)",
    "eos, eos-s2 (2 seeds)",
    "rc: 10-90 % of first spikes",
    "rc: 25-75 % of first spikes",
    "eos: 10-90 % of first spikes",
    "eos: 25-75 % of first spikes",
    "thin: other runs' medians",
  ]);
  assert.deepEqual(JSON.parse(JSON.stringify(chart)), chart);
});

Deno.test("the 2-sequence section names Fig. 2B's bands; runs without percentiles keep the mean", () => {
  const runs = fixtureRuns();
  const section = sectionOf(render(runs), "fig2");
  assert.match(section, /<strong>Fig\. 2B: the distribution of first-spike times through training/);
  assert.match(section, /median \(line\), 25-75 % \(darker band\) and 10-90 % \(lighter band\)/);
  assert.doesNotMatch(section, /other runs&#39; medians dashed|other runs' medians dashed/);
  const old = sectionOf(render(runs.map(withoutPercentiles)), "fig2");
  assert.match(old, /mean first-spike step of every run on the validation set/);
  assert.doesNotMatch(old, /darker band/);
});
