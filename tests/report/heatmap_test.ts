/**
 * Heatmap figures: the run-file schema accepts rectangular `z` and rejects ragged rows, a cutoff
 * outside the columns and row labels that do not fit; the chart colours each cell by hand-known
 * rules and greys the columns after the cutoff.
 */
import assert from "node:assert/strict";
import { type FigureSpec, runProblem, type RunRecord } from "../../lib/results.ts";
import { heatLegend, heatmapChart, heatRgb, heatScale } from "../../lib/report/heatmap.ts";
import { figureChart } from "../../lib/report/charts.ts";
import { fixtureRuns } from "./fixtures.ts";

const heat = (over: Partial<FigureSpec> = {}): FigureSpec => ({
  paperFigure: "8",
  title: "hidden state h",
  kind: "heatmap",
  xLabel: "time step",
  yLabel: "LSTM unit",
  series: [],
  caption: "c",
  z: [[-1, 0, 0.5], [1, null, 0.25]],
  cutoff: 1,
  rowLabels: ["u1", "u2"],
  ...over,
});

function problemWith(fig: unknown) {
  const r = fixtureRuns()[0] as RunRecord;
  return runProblem(JSON.parse(JSON.stringify({ ...r, figures: [fig] })));
}

Deno.test("schema: a rectangular heatmap is valid; ragged rows, a bad cutoff or labels are not", () => {
  assert.equal(problemWith(heat()), null);
  assert.equal(problemWith(heat({ cutoff: undefined, rowLabels: undefined })), null);
  // NaN (not computed) is written as null and accepted.
  assert.equal(problemWith(heat({ z: [[NaN, 1]], rowLabels: undefined, cutoff: 0 })), null);
  const ragged = problemWith(heat({ z: [[1, 2, 3], [4, 5]] }));
  assert.equal(ragged?.field, "figures[0].z[1]");
  assert.match(ragged!.expected, /3 cells, as row 0/);
  assert.equal(problemWith(heat({ z: [] }))?.field, "figures[0].z");
  assert.equal(
    problemWith(heat({ z: [[]], rowLabels: undefined, cutoff: undefined }))?.field,
    "figures[0].z[0]",
  );
  assert.equal(
    problemWith(heat({ z: [[1, "2" as never, 3], [1, 2, 3]] }))?.field,
    "figures[0].z[0][1]",
  );
  assert.equal(problemWith(heat({ cutoff: 3 }))?.field, "figures[0].cutoff");
  assert.equal(problemWith(heat({ cutoff: 0.5 }))?.field, "figures[0].cutoff");
  assert.equal(problemWith(heat({ rowLabels: ["a"] }))?.field, "figures[0].rowLabels");
  assert.equal(problemWith({ ...heat(), z: undefined })?.field, "figures[0].z");
  assert.equal(problemWith({ ...heat(), kind: "contour" })?.field, "figures[0].kind");
});

Deno.test("heatmap colours: diverging about 0 or sequential, grey after the cutoff, by hand", () => {
  const div = heatScale([[-2, 1], [0.5, NaN]]);
  assert.deepEqual(div, { kind: "diverging", max: 2, largest: 2 });
  assert.deepEqual(heatScale([[0, 0.25], [0.5, null]]), {
    kind: "sequential",
    max: 0.5,
    largest: 0.5,
  });
  assert.deepEqual(heatScale([[0]]), { kind: "sequential", max: 1, largest: 0 });
  // 200 cells: magnitudes 1..198 and two outliers (-500, 1000). The 99th percentile by nearest
  // rank is the 198th smallest magnitude, 198; the outliers take the end colours.
  const wide = [Array.from({ length: 198 }, (_, i) => i + 1).concat([-500, 1000])];
  const ws = heatScale(wide);
  assert.deepEqual(ws, { kind: "diverging", max: 198, largest: 1000 });
  assert.deepEqual(heatRgb(1000, ws), [230, 97, 1]);
  assert.deepEqual(heatRgb(-500, ws), [94, 60, 153]);
  assert.match(
    heatLegend(heat({ z: wide, cutoff: undefined, rowLabels: undefined }), ws),
    /purple −198 · white 0 · orange \+198 \(at most 1 % of cells beyond, up to ±1000, in the end colour\)/,
  );
  assert.deepEqual(heatRgb(0, div), [247, 247, 247]);
  assert.deepEqual(heatRgb(-2, div), [94, 60, 153]);
  assert.deepEqual(heatRgb(2, div), [230, 97, 1]);
  // Halfway from white (247, 247, 247) to orange (230, 97, 1): 238.5 -> 239 (round half up), 172, 124.
  assert.deepEqual(heatRgb(1, div), [239, 172, 124]);
  assert.deepEqual(heatRgb(0.5, { kind: "sequential", max: 0.5, largest: 0.5 }), [27, 120, 55]);
  assert.equal(heatRgb(null, div), undefined);
  // Grey: the lightness 0.299 r + 0.587 g + 0.114 b of the colour, orange: 68.77 + 56.94 + 0.11.
  assert.deepEqual(heatRgb(2, div, true), [126, 126, 126]);
});

Deno.test("heatmap chart: a stacked bar per row, a dataset per step, columns after the cutoff grey", () => {
  const spec = heat();
  const chart = figureChart(spec);
  assert.deepEqual(chart, heatmapChart(spec));
  assert.equal(chart.type, "bar");
  assert.deepEqual(chart.data.labels, ["u1", "u2"]);
  assert.equal(chart.data.datasets.length, 3);
  const colours = chart.data.datasets.map((d) => d.backgroundColor as string[]);
  assert.deepEqual(chart.data.datasets[0].data, [1, 1]);
  // Scale: diverging, max 1. Step 1: -1 purple, 1 orange; step 2: 0 white, null transparent;
  // step 3 (after the cutoff at column 1): 0.5 and 0.25 in grey.
  assert.deepEqual(colours[0], ["rgb(94,60,153)", "rgb(230,97,1)"]);
  assert.deepEqual(colours[1], ["rgb(247,247,247)", "rgba(0,0,0,0)"]);
  for (const c of colours[2]) {
    const [r, g, b] = c.match(/\d+/g)!.map(Number);
    assert.ok(r === g && g === b, `${c} is grey`);
  }
  const x = (chart.options.scales as Record<string, Record<string, unknown>>).x;
  assert.deepEqual([x.min, x.max, x.stacked], [0, 3, true]);
  assert.equal(chart.options.indexAxis, "y");
  assert.match(
    heatLegend(spec, heatScale(spec.z!)),
    /purple −1\.0 · white 0 · orange \+1\.0; grey: steps after 2/,
  );
  // No cutoff (no spike): nothing grey, and the legend says nothing of grey.
  const all = heatmapChart(heat({ cutoff: undefined }));
  assert.ok(
    !(all.data.datasets[2].backgroundColor as string[]).some((c) => /rgb\((\d+),\1,\1\)/.test(c)),
  );
  assert.doesNotMatch(heatLegend(heat({ cutoff: undefined }), heatScale(spec.z!)), /grey/);
  // The config is plain JSON.
  assert.deepEqual(JSON.parse(JSON.stringify(chart)), chart);
});
