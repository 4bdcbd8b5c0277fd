/**
 * First-spike percentiles (Fig. 2B's bands): the nearest-rank percentile of known lists, the
 * percentiles of hand-made traces whose first spikes are known, and a validation point's.
 */
import assert from "node:assert/strict";
import { Lstm } from "../../lib/models/lstm.ts";
import { twoSequenceBatch } from "../../lib/data/toy.ts";
import { Rng } from "../../lib/random.ts";
import {
  percentile,
  SPIKE_TIME_PERCENTS,
  spikeMetrics,
  spikeTimePercentiles,
} from "../../lib/rc/evaluate.ts";
import { traceBatch } from "../../lib/rc/infer.ts";
import type { Traces } from "../../lib/rc/spike.ts";
import { validate } from "../../lib/rc/train.ts";
import { runProblem } from "../../lib/results.ts";
import { fixtureRuns } from "../report/fixtures.ts";
import { useCpu } from "../_backend.ts";

Deno.test("percentile: nearest rank on known lists", () => {
  // 1..10: p10 is the 1st value, p25 the ceil(2.5) = 3rd, p50 the 5th, p75 the ceil(7.5) = 8th,
  // p90 the 9th; p0 the smallest, p100 the largest.
  const ten = [7, 3, 10, 1, 9, 2, 8, 6, 5, 4];
  assert.deepEqual([0, 10, 25, 50, 75, 90, 100].map((p) => percentile(ten, p)), [
    1,
    1,
    3,
    5,
    8,
    9,
    10,
  ]);
  assert.equal(percentile([4, 1, 3, 2], 50), 2);
  assert.equal(percentile([42], 90), 42);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.throws(() => percentile([1], 101), /outside \[0, 100\]/);
  assert.throws(() => percentile([1], NaN), /outside/);
  // The input is not reordered.
  assert.deepEqual(ten.slice(0, 3), [7, 3, 10]);
});

/** Traces `[T, B]` from per-example confidences `[B][T]` (labels all 1). */
function traces(conf: number[][]): Traces {
  const B = conf.length, T = conf[0].length;
  const confidence = new Float32Array(T * B);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) confidence[t * B + b] = conf[b][t];
  return { numSteps: T, batchSize: B, confidence, label: new Int32Array(T * B).fill(1) };
}

Deno.test("spikeTimePercentiles: hand-made first spikes, counted as meanSpikeTime counts them", () => {
  // θ 0.9, T = 5. First spikes (0-based): 0, 1, 1, 3, none (counted at the last step): steps
  // consumed 1, 2, 2, 4, 5. p10: 1st = 1; p25: ceil(1.25) = 2nd = 2; p50: ceil(2.5) = 3rd = 2;
  // p75: ceil(3.75) = 4th = 4; p90: ceil(4.5) = 5th = 5. Mean 14 / 5 = 2.8.
  const tr = traces([
    [0.95, 0.5, 0.5, 0.5, 0.5],
    [0.5, 0.92, 0.99, 0.5, 0.5],
    [0.6, 0.91, 0.5, 0.5, 0.5],
    [0.5, 0.5, 0.89, 0.97, 0.5],
    [0.5, 0.5, 0.5, 0.5, 0.5],
  ]);
  assert.deepEqual(spikeTimePercentiles(tr, 0.9), { 10: 1, 25: 2, 50: 2, 75: 4, 90: 5 });
  assert.equal(spikeMetrics(tr, new Int32Array(5).fill(1), 0.9).meanSpikeTime, 2.8);
  assert.deepEqual(spikeTimePercentiles(tr, 0.99, [50, 100]), { 50: 5, 100: 5 });
  assert.deepEqual(SPIKE_TIME_PERCENTS, [10, 25, 50, 75, 90]);
});

Deno.test("validate: a validation point carries its examples' first-spike percentiles", async () => {
  await useCpu();
  const batch = twoSequenceBatch(new Rng(3), 64);
  const model = new Lstm({ numInputs: 1, hiddenSize: 8, numOutputs: 1, seed: 5 });
  try {
    // θ 0.51: an untrained model's outputs sit near 0.5, so some spike and some do not.
    const opts = { readout: "binary" as const, threshold: 0.51 };
    const point = await validate(model, batch, opts);
    const { traces: tr } = await traceBatch(model, batch, { readout: "binary" });
    assert.deepEqual(point.spikeTimePercentiles, spikeTimePercentiles(tr, 0.51));
    const p = point.spikeTimePercentiles!;
    assert.deepEqual(Object.keys(p), ["10", "25", "50", "75", "90"]);
    for (const [a, b] of [["10", "25"], ["25", "50"], ["50", "75"], ["75", "90"]]) {
      assert.ok(p[a] <= p[b], `p${a} ${p[a]} > p${b} ${p[b]}`);
    }
    assert.ok(p["10"] >= 1 && p["90"] <= batch.numSteps);
    // The run-file schema takes it, and rejects a key that is no percent.
    const r = fixtureRuns()[0];
    const withPoint = (q: Record<string, number>) =>
      runProblem(JSON.parse(JSON.stringify({
        ...r,
        curves: [{ ...r.curves[0], spikeTimePercentiles: q }],
      })));
    assert.equal(withPoint(p), null);
    assert.equal(withPoint({ median: 3 })?.field, "curves[0].spikeTimePercentiles");
    assert.equal(withPoint({ 50: -1 })?.field, "curves[0].spikeTimePercentiles.50");
  } finally {
    model.variables.forEach((v) => v.dispose());
  }
});
