import assert from "node:assert/strict";
import {
  compareFrontiers,
  compositeFrontier,
  fitStepThresholds,
  frontierAt,
  perStepMetrics,
} from "../../lib/rc/frontier.ts";
import type { Traces } from "../../lib/rc/spike.ts";

const P = (time: number, accuracy: number) => ({ time, accuracy });

Deno.test("compositeFrontier: the upper-left envelope of hand-made points", () => {
  const pts = [
    P(500, 0.9),
    P(300, 0.8),
    P(400, 0.78),
    P(600, 0.95),
    P(700, 0.94),
    P(300, 0.7),
    P(NaN, 1),
    P(800, 0.95),
  ];
  assert.deepEqual(compositeFrontier(pts), [P(300, 0.8), P(500, 0.9), P(600, 0.95)]);
  assert.deepEqual(compositeFrontier([]), []);
});

Deno.test("frontierAt: a staircase, NaN before the first point", () => {
  const f = [P(300, 0.8), P(500, 0.9)];
  assert.ok(Number.isNaN(frontierAt(f, 299)));
  assert.equal(frontierAt(f, 300), 0.8);
  assert.equal(frontierAt(f, 499), 0.8);
  assert.equal(frontierAt(f, 1000), 0.9);
});

Deno.test("compareFrontiers: area, mean gap and share above, computed by hand", () => {
  // a: 0.8 from 200, 0.9 from 400. b: 0.7 from 300, 0.95 from 600. Range [300, 1000].
  const a = [P(200, 0.8), P(400, 0.9)];
  const b = [P(300, 0.7), P(600, 0.95)];
  const c = compareFrontiers(a, b, 1000);
  // [300,400): +0.1·100; [400,600): +0.2·200; [600,1000]: −0.05·400.
  assert.equal(c.from, 300);
  assert.ok(Math.abs(c.area - (10 + 40 - 20)) < 1e-9);
  assert.ok(Math.abs(c.meanGap - 30 / 700) < 1e-12);
  assert.ok(Math.abs(c.shareAbove - 300 / 700) < 1e-12);
  assert.equal(c.aboveEverywhere, false);
  assert.ok(Math.abs(c.worstDeficit - 0.05) < 1e-12);
  const d = compareFrontiers(a, [P(100, 0.5)], 500);
  assert.equal(d.aboveEverywhere, true);
  assert.throws(() => compareFrontiers([], b, 10), /no points/);
  assert.throws(() => compareFrontiers(a, b, 300), /until/);
});

// 3 steps, 4 examples: confidences and labels per step (step-major, as Traces).
const traces: Traces = {
  numSteps: 3,
  batchSize: 4,
  confidence: new Float32Array([0.9, 0.5, 0.6, 0.2, 0.95, 0.8, 0.7, 0.3, 0.99, 0.9, 0.8, 0.4]),
  label: new Int32Array([1, 0, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3]),
};
const labels = new Int32Array([0, 1, 2, 0]);

Deno.test("perStepMetrics: first step whose confidence reaches that step's threshold", () => {
  // θ = [0.85, 0.75, ·]: ex0 step 0 (label 1, wrong); ex1 step 1 (1, right); ex2 step 2 (2, right);
  // ex3 no spike, step 2 (3, wrong): accuracy 2/4, mean step (1+2+3+3)/4.
  const m = perStepMetrics(traces, labels, [0.85, 0.75, 0.5]);
  assert.equal(m.accuracy, 0.5);
  assert.equal(m.meanSpikeTime, 9 / 4);
  assert.throws(() => perStepMetrics(traces, labels, [0.5]), /1 thresholds for 3 steps/);
});

Deno.test("fitStepThresholds: raises step 0's threshold to skip a wrong early answer", () => {
  // Start at 0.85: ex0 answers wrong at step 0. θ_0 = 0.95 lets it wait to step 1 (right).
  const r = fitStepThresholds(traces, labels, {
    grid: [0.85, 0.95, 0.999],
    start: 0.85,
    lambda: 0.01,
  });
  assert.equal(r.thresholds[0], 0.95);
  assert.equal(r.accuracy, 0.75);
  const start = perStepMetrics(traces, labels, new Float64Array(3).fill(0.85));
  assert.ok(r.objective >= start.accuracy - 0.01 * start.meanSpikeTime);
});
