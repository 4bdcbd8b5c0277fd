/**
 * Fig. 1B-G's spike rasters: a seeded sample of test sequences per class, and a raster of
 * hand-made sequences whose first spikes are known; a smoke spotting run records one.
 */
// The accelerated paths, as every task and mod.ts registers them.
import "../../lib/accel/register.ts";
import assert from "node:assert/strict";
import type { SequenceBatch } from "../../lib/data/batch.ts";
import { sampleByClass, spikeRaster } from "../../lib/experiment.ts";
import { Rng } from "../../lib/random.ts";
import type { Traces } from "../../lib/rc/spike.ts";
import { runProblem } from "../../lib/results.ts";
import { runToy } from "../../lib/experiments/_toy_run.ts";
import { toyConfig } from "../../lib/experiments/_toy.ts";
import { SEQ_SPOTTING } from "../../lib/experiments/seq_spotting.ts";
import { fixtureRuns } from "../report/fixtures.ts";
import { useCpu } from "../_backend.ts";

Deno.test("sampleByClass: a fixed sample per seed, positives first, each of its class", () => {
  const labels = Int32Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? 1 : 0));
  const a = sampleByClass(labels, 3, new Rng(7));
  assert.deepEqual(a, sampleByClass(labels, 3, new Rng(7)));
  assert.equal(a.length, 6);
  assert.deepEqual(a.map((b) => labels[b]), [1, 1, 1, 0, 0, 0]);
  assert.equal(new Set(a).size, 6);
  assert.notDeepEqual(a, sampleByClass(labels, 3, new Rng(8)));
  // Fewer than asked: all of the class (8 positives here).
  const all = sampleByClass(labels, 10, new Rng(7));
  assert.equal(all.filter((b) => labels[b] === 1).length, 8);
  assert.equal(all.filter((b) => labels[b] === 0).length, 10);
});

/**
 * Three spotting sequences of T = 6 steps (batch of 4, one never sampled), their inputs and
 * hand-set positive-class probabilities p; the binary readout's traces hold max(p, 1 - p) and
 * p >= 0.5.
 */
function handMade(): { test: SequenceBatch; traces: Traces; p: number[][] } {
  const T = 6, B = 4;
  const bits = [
    [1, 1, 1, 1, 1, 0], // positive: five ones end at step 5 (0-based 4)
    [0, 1, 0, 1, 0, 1], // negative
    [1, 0, 1, 0, 1, 0], // unused
    [0, 1, 1, 0, 1, 0], // negative, never spikes
  ];
  const p = [
    [0.5, 0.6, 0.7, 0.9, 0.97, 0.99], // spikes + at step 5 (0-based 4)
    [0.5, 0.3, 0.04, 0.01, 0.2, 0.5], // spikes − at step 3 (0-based 2)
    [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
    [0.5, 0.4, 0.6, 0.3, 0.7, 0.06], // no spike at θ 0.95
  ];
  const x = new Float32Array(T * B), confidence = new Float32Array(T * B);
  const label = new Int32Array(T * B);
  for (let t = 0; t < T; t++) {
    for (let b = 0; b < B; b++) {
      x[t * B + b] = bits[b][t];
      confidence[t * B + b] = Math.max(p[b][t], 1 - p[b][t]);
      label[t * B + b] = p[b][t] >= 0.5 ? 1 : 0;
    }
  }
  return {
    test: {
      x,
      y: Int32Array.from([1, 0, 0, 0]),
      numSteps: T,
      batchSize: B,
      numFeatures: 1,
      earliest: Int32Array.from([4, 3, 5, 5]),
    },
    traces: { numSteps: T, batchSize: B, confidence, label },
    p,
  };
}

Deno.test("spikeRaster: hand-made sequences with known first spikes", () => {
  const { test, traces, p } = handMade();
  const fig = spikeRaster({
    test,
    traces,
    threshold: 0.95,
    rows: [0, 1, 3],
    paperFigure: "1B",
    title: "Sampled test sequences",
    caption: "c",
  });
  assert.equal(fig.kind, "heatmap");
  // The probability of the positive class, back from the readout's confidence and label.
  const round = (v: number) => Math.round(Math.fround(v) * 1e4) / 1e4;
  assert.deepEqual(fig.z, [p[0], p[1], p[3]].map((row) => row.map(round)));
  assert.deepEqual(fig.inputs, [[1, 1, 1, 1, 1, 0], [0, 1, 0, 1, 0, 1], [0, 1, 1, 0, 1, 0]]);
  assert.deepEqual(fig.rowCutoffs, [4, 2, 5]);
  assert.deepEqual(fig.rowMarks, [4, 2, null]);
  assert.deepEqual(fig.rowLabels, [
    "label +, spike + at 5 (earliest 5)",
    "label −, spike − at 3 (earliest 4)",
    "label −, no spike (earliest 6)",
  ]);
  assert.deepEqual(fig.scale, { centre: 0.5, max: 0.5 });
  // A valid run-file figure.
  const r = fixtureRuns()[0];
  assert.equal(runProblem(JSON.parse(JSON.stringify({ ...r, figures: [fig] }))), null);
  // A task with no earliest step says none; traces of another batch are refused.
  const { earliest: _, ...plain } = test;
  const noEarliest = spikeRaster({ ...fig, test: plain, traces, threshold: 0.95, rows: [0] });
  assert.deepEqual(noEarliest.rowLabels, ["label +, spike + at 5"]);
  assert.throws(
    () =>
      spikeRaster({
        ...fig,
        test,
        traces: { ...traces, batchSize: 3 },
        threshold: 0.95,
        rows: [0],
      }),
    /differ/,
  );
});

Deno.test("schema: a raster's row cutoffs, marks, inputs and scale must fit its rows", () => {
  const { test, traces } = handMade();
  const fig = spikeRaster({
    test,
    traces,
    threshold: 0.95,
    rows: [0, 1],
    paperFigure: "1B",
    title: "t",
    caption: "c",
  });
  const r = fixtureRuns()[0];
  const problem = (over: Record<string, unknown>) =>
    runProblem(JSON.parse(JSON.stringify({ ...r, figures: [{ ...fig, ...over }] })))?.field;
  assert.equal(problem({}), undefined);
  assert.equal(problem({ rowCutoffs: [4] }), "figures[0].rowCutoffs");
  assert.equal(problem({ rowCutoffs: [4, 6] }), "figures[0].rowCutoffs[1]");
  assert.equal(problem({ rowCutoffs: [4, null] }), "figures[0].rowCutoffs[1]");
  assert.equal(problem({ rowMarks: [null, 2.5] }), "figures[0].rowMarks[1]");
  assert.equal(problem({ inputs: [[1, 1, 1, 1, 1, 0]] }), "figures[0].inputs");
  assert.equal(problem({ inputs: [[1, 1], [0, 1]] }), "figures[0].inputs[0]");
  assert.equal(
    problem({ inputs: [[1, 1, 1, 1, 1, 2], [0, 1, 0, 1, 0, 1]] }),
    "figures[0].inputs[0][5]",
  );
  assert.equal(problem({ scale: { centre: 0.5, max: 0 } }), "figures[0].scale.max");
});

Deno.test("a smoke spotting run records the raster and percentile curves", async () => {
  await useCpu();
  const config = toyConfig(SEQ_SPOTTING, "rc", "smoke");
  const record = await runToy(SEQ_SPOTTING, config, {
    profile: "smoke",
    configHash: "0".repeat(16),
    run: "rc@smoke",
    baseline: "eos@smoke",
    finished: [],
    log: () => {},
  });
  assert.equal(runProblem(JSON.parse(JSON.stringify(record))), null);
  // Its EOS baseline has not run: the comparison with it is kept, not measured, and says why.
  const vsEos = record.target.checks.find((c) => c.name.includes("RC / EOS"))!;
  assert.equal(vsEos.measured, null);
  assert.equal(vsEos.met, false);
  assert.match(vsEos.notMeasured!, /EOS baseline eos@smoke has not finished.*--run eos@smoke/);
  assert.equal(record.target.checks.filter((c) => c.notMeasured).length, 1);
  const raster = record.figures.find((f) => f.title.startsWith("Sampled test sequences"))!;
  assert.equal(raster.paperFigure, "1B");
  assert.equal(raster.z!.length, 8);
  assert.equal(raster.z![0].length, 25);
  assert.deepEqual(raster.rowLabels!.map((l) => l.slice(0, 7)), [
    ...new Array(4).fill("label +"),
    ...new Array(4).fill("label −"),
  ]);
  for (const p of record.curves) {
    assert.deepEqual(Object.keys(p.spikeTimePercentiles!), ["10", "25", "50", "75", "90"]);
  }
  // The last point's median is within the steps, like its mean.
  const last = record.curves[record.curves.length - 1];
  assert.ok(last.spikeTimePercentiles!["50"] >= 1 && last.spikeTimePercentiles!["50"] <= 25);
});
