import assert from "node:assert/strict";
import {
  curveOf,
  fig7Figure,
  fig7Grid,
  fig7GridResult,
  interpolate,
  largestGap,
} from "../../lib/experiments/_threshold_grid.ts";
import { thresholdExtension } from "../../lib/experiments/_threshold_run.ts";
import {
  DEFAULT_BATCHES,
  TEST_THRESHOLDS,
  thetaRunName,
  THRESHOLD_TRAINING,
  thresholdConfig,
  TRAIN_THRESHOLDS,
} from "../../lib/experiments/threshold_training.ts";
import type { RunContext } from "../../lib/experiments/declaration.ts";
import type { Traces } from "../../lib/rc/spike.ts";
import type { RunRecord } from "../../lib/results.ts";
import { fixtureRuns } from "../report/fixtures.ts";

/** Extras of a made-up run: accuracy and spike time at every θ_test, distinct per pair. */
function fakeExtra(trainTheta: number, tests: readonly number[] = TEST_THRESHOLDS) {
  const extra: Record<string, number> = {};
  tests.forEach((t, k) => {
    extra[`accuracyAtTheta${t}`] = 0.8 + 0.01 * k + trainTheta / 100;
    extra[`spikeTimeAtTheta${t}`] = 5 + 3 * k + trainTheta;
  });
  return extra;
}

Deno.test("the Fig. 7 grid enumerates exactly the declared (θ_train, θ_test) pairs", () => {
  assert.deepEqual([...TRAIN_THRESHOLDS], [0.85, 0.9, 0.95, 0.99, 0.999]);
  assert.deepEqual([...TEST_THRESHOLDS], [...TRAIN_THRESHOLDS]);
  // An undeclared θ_train and an undeclared θ_test's extras are left out.
  const runs = [
    { trainTheta: 0.5, extra: fakeExtra(0.5) },
    ...[...TRAIN_THRESHOLDS].reverse().map((t) => ({
      trainTheta: t,
      extra: { ...fakeExtra(t), "accuracyAtTheta0.7": 0.5, "spikeTimeAtTheta0.7": 3 },
    })),
  ];
  const grid = fig7Grid(runs);
  const pairs = grid.map((p) => `${p.trainTheta}/${p.testTheta}`);
  const expected = TRAIN_THRESHOLDS.flatMap((a) => TEST_THRESHOLDS.map((b) => `${a}/${b}`));
  assert.deepEqual(pairs, expected);
  assert.equal(new Set(pairs).size, 25);
  const p = grid.find((g) => g.trainTheta === 0.95 && g.testTheta === 0.99)!;
  assert.equal(p.accuracy, 0.8 + 0.03 + 0.0095);
  assert.equal(p.meanSpikeTime, 5 + 9 + 0.95);
  // The chart: a curve per θ_train, a point per θ_test, accuracy in percent, sorted by time.
  const fig = fig7Figure(grid, thresholdConfig(0.999, "paper"), "Caption.");
  assert.match(fig.caption!, /^Caption. Here the points/);
  assert.equal(fig.paperFigure, "7");
  assert.deepEqual(fig.series.map((s) => s.label), TRAIN_THRESHOLDS.map((t) => `θ_train ${t}`));
  for (const s of fig.series) {
    assert.equal(s.x.length, TEST_THRESHOLDS.length);
    assert.deepEqual(s.x, [...s.x].sort((a, b) => a - b));
  }
  assert.ok(Math.abs(fig.series[2].y[3] - 100 * (0.83 + 0.0095)) < 1e-9);
  // A run lacking one θ_test's numbers is an error naming the field and the fix.
  const broken = [{ trainTheta: 0.9, extra: fakeExtra(0.9, [0.85, 0.9, 0.95, 0.99]) }];
  assert.throws(
    () => fig7Grid(broken),
    /θ_train 0.9 has no metrics.extra.accuracyAtTheta0.999.*--force/,
  );
});

Deno.test("interpolation and the largest gap at equal spike time, by hand", () => {
  const a = [{ x: 0, y: 0 }, { x: 10, y: 1 }];
  assert.equal(interpolate(a, 2.5), 0.25);
  assert.throws(() => interpolate(a, 11), /outside/);
  // b overlaps a on [5, 10]: a - b is 0.5 - 0.2 = 0.3 at 5 and 1 - 0.2 = 0.8 at 10.
  const b = [{ x: 5, y: 0.2 }, { x: 15, y: 0.2 }];
  assert.deepEqual(largestGap([a, b]), { gap: 0.8, compared: 1, disjoint: 0 });
  // A knot inside the overlap: c peaks at x = 6 (0.9) where a is 0.6: gap 0.3; at 4, a is 0.4
  // and c is 0.1 (0.3 again); at 8, a is 0.8 and c 0.1: 0.7 is the largest.
  const c = [{ x: 4, y: 0.1 }, { x: 6, y: 0.9 }, { x: 8, y: 0.1 }];
  const ac = largestGap([a, c]);
  assert.ok(Math.abs(ac.gap - 0.7) < 1e-12);
  // Disjoint ranges are counted, not measured; no overlap at all gives NaN.
  const d = [{ x: 20, y: 0.5 }, { x: 30, y: 0.6 }];
  assert.deepEqual(largestGap([a, d]), { gap: NaN, compared: 0, disjoint: 1 });
  const all = largestGap([a, b, d]);
  assert.deepEqual([all.gap, all.compared, all.disjoint], [0.8, 1, 2]);
  // Identical curves: gap 0.
  assert.equal(largestGap([b, b]).gap, 0);
  // curveOf sorts by spike time.
  const grid = [
    { trainTheta: 0.9, testTheta: 0.99, accuracy: 0.9, meanSpikeTime: 12 },
    { trainTheta: 0.9, testTheta: 0.85, accuracy: 0.8, meanSpikeTime: 4 },
  ];
  assert.deepEqual(curveOf(grid, 0.9), [{ x: 4, y: 0.8 }, { x: 12, y: 0.9 }]);
});

Deno.test("the runs: one per θ_train, θ in the config, the default cut, the paper protocol", () => {
  const paper = THRESHOLD_TRAINING.runs!("paper");
  assert.deepEqual(
    paper.map((r) => r.run),
    TRAIN_THRESHOLDS.map((t) => thetaRunName(t) + "@paper"),
  );
  assert.deepEqual(paper.map((r) => r.config.threshold), [...TRAIN_THRESHOLDS]);
  for (const r of paper) {
    assert.equal(r.method, "rc");
    assert.equal(r.config.numBatches, 15_625); // 2,000,000 / 128, App. B.2
    assert.equal(r.config.batchSize, 128);
    assert.equal(r.config.hiddenSize, 125);
    assert.equal(r.config.testSize, 100_000);
    assert.equal(r.config.validationSize, 2000);
    assert.equal(r.config.validateEvery, 50);
    assert.equal(r.config.pairedBatches, 0);
  }
  const def = THRESHOLD_TRAINING.runs!("default");
  // Three seeds of the grid at the default profile, each seed's runs named by its suffix.
  assert.deepEqual(
    def.map((r) => r.run),
    ["", "-s2", "-s3"].flatMap((s) => TRAIN_THRESHOLDS.map((t) => thetaRunName(t) + s)),
  );
  assert.deepEqual(
    def.map((r) => r.config.seed),
    [1, 2, 3].flatMap((s) => TRAIN_THRESHOLDS.map(() => s)),
  );
  assert.ok(def.every((r) => r.config.numBatches === DEFAULT_BATCHES));
  assert.ok(def.every((r) => r.config.testSize === 100_000));
  assert.ok(!("threshold" in THRESHOLD_TRAINING.settable!), "θ names the runs: not settable");
});

/** Traces of B = 4 examples over T = 3 steps, from per-example confidences (label = y). */
function traces(conf: number[][], right: boolean[]): { traces: Traces; labels: Int32Array } {
  const T = conf[0].length, B = conf.length;
  const confidence = new Float32Array(T * B), label = new Int32Array(T * B);
  const labels = Int32Array.from({ length: B }, (_, b) => b % 2);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      confidence[t * B + b] = conf[b][t];
      label[t * B + b] = right[b] ? labels[b] : 1 - labels[b];
    }
  }
  return { traces: { numSteps: T, batchSize: B, confidence, label }, labels };
}

Deno.test("a run measures its own θ_test grid; Fig. 7 and its spread are the grid's, from run files", async () => {
  // Confidences chosen so each θ_test spikes at a hand-known step (0-based).
  const { traces: tr, labels } = traces(
    [[0.86, 0.91, 0.9995], [0.5, 0.96, 0.991], [0.5, 0.5, 0.5], [0.999, 0.999, 0.999]],
    [true, false, true, true],
  );
  // θ 0.85: steps 0, 1, 2 (no spike), 0 -> time (1 + 2 + 3 + 1) / 4 = 1.75; right: 1, 0, 1, 1.
  // θ 0.95: steps 2, 1, 2, 0 -> (3 + 2 + 3 + 1) / 4 = 2.25; θ 0.999: 2, 2, 2, 0 -> 2.5.
  const ctx: RunContext = {
    profile: "smoke",
    configHash: "0".repeat(16),
    run: thetaRunName(0.999) + "@smoke",
    finished: [],
    log: () => {},
  };
  const config = thresholdConfig(0.999, "smoke");
  const own = await thresholdExtension()({ config, traces: tr, labels, extra: {}, ctx });
  assert.equal(own.extra!["spikeTimeAtTheta0.85"], 1.75);
  assert.equal(own.extra!["accuracyAtTheta0.85"], 0.75);
  assert.equal(own.extra!["spikeTimeAtTheta0.95"], 2.25);
  assert.equal(own.extra!["spikeTimeAtTheta0.999"], 2.5);
  assert.equal(Object.keys(own.extra!).length, 2 * TEST_THRESHOLDS.length);
  // No run carries the grid's figure or verdict, whichever θ_train it is (the last included).
  assert.equal(own.figures, undefined);
  assert.equal(own.measured, undefined);
  assert.match(own.title!, /θ_train = 0.999/);

  // The grid from run files: this run's curve, the others shifted up: 0.85 by 0.1, 0.9, 0.95 and
  // 0.99 by 0.01, 0.02, 0.03. The spread among θ_train >= 0.9 is 0.03 (0.99's against 0.999's),
  // among all 0.1 (0.85's against 0.999's).
  const template = fixtureRuns()[0];
  const record = (t: number, shift: number, suffix = "@smoke"): RunRecord => {
    const extra: Record<string, number> = {};
    for (const testTheta of TEST_THRESHOLDS) {
      extra[`accuracyAtTheta${testTheta}`] = own.extra![`accuracyAtTheta${testTheta}`] + shift;
      extra[`spikeTimeAtTheta${testTheta}`] = own.extra![`spikeTimeAtTheta${testTheta}`];
    }
    return {
      ...template,
      experiment: "threshold-training",
      run: thetaRunName(t) + suffix,
      status: "met",
      config: { ...config, threshold: t },
      metrics: { ...template.metrics, extra },
    };
  };
  const shifts = [0.1, 0.01, 0.02, 0.03, 0];
  const runs = TRAIN_THRESHOLDS.map((t, k) => record(t, shifts[k]));
  const info = THRESHOLD_TRAINING;
  const full = fig7GridResult(runs, info);
  assert.equal(full.groups.length, 1);
  const g = full.groups[0];
  assert.equal(g.label, "seed 1 @smoke");
  assert.equal(g.figures[0].series.length, 5);
  assert.ok(Math.abs(g.measured.fig7Spread - 0.03) < 1e-9, `${g.measured.fig7Spread}`);
  assert.ok(Math.abs(g.measured.fig7SpreadAll - 0.1) < 1e-9);
  assert.equal(g.measured.fig7PairsCompared, 10);
  assert.equal(full.checks.length, 1);
  // 0.03 is more than the 1.5-point bound: missed, judged on the seed there is.
  assert.equal(full.checks[0].met, false);
  assert.ok(Math.abs(full.checks[0].measured! - 0.03) < 1e-9);
  assert.equal(full.checks[0].notMeasured, undefined);
  // Any order of the files: the same grid.
  assert.deepEqual(fig7GridResult([...runs].reverse(), info), full);
  assert.deepEqual(fig7GridResult([runs[2], runs[0], runs[4], runs[1], runs[3]], info), full);
  // A grid within the bound (shifts of 0.5 points) meets it: the check can pass and fail.
  const close = fig7GridResult(TRAIN_THRESHOLDS.map((t, k) => record(t, k ? 0.005 : 0.1)), info);
  assert.equal(close.checks[0].met, true);
  // A partial grid (one θ_train not finished, or failed): its figure, no verdict, and why.
  const failed = { ...runs[1], status: "failed" as const };
  for (
    const partialRuns of [runs.filter((_, k) => k !== 1), [
      ...runs.slice(0, 1),
      failed,
      ...runs.slice(2),
    ]]
  ) {
    const partial = fig7GridResult(partialRuns, info);
    assert.equal(partial.groups[0].measured.fig7Curves, 4);
    assert.equal(partial.groups[0].measured.fig7Spread, undefined);
    assert.deepEqual(partial.groups[0].missing, [thetaRunName(0.9) + "@smoke"]);
    assert.equal(partial.checks[0].measured, null);
    assert.equal(partial.checks[0].met, false);
    assert.match(
      partial.checks[0].notMeasured!,
      /1 of 5 θ_train runs not finished \(rc-theta0.9@smoke\)/,
    );
  }
  // Seeds are judged on their mean: seed 2 with a spread of 0.01 brings the mean to 0.02.
  const seed2 = TRAIN_THRESHOLDS.map((t, k) => record(t, [0.1, 0, 0.01, 0, 0][k], "-s2@smoke"));
  const two = fig7GridResult([...seed2, ...runs], info);
  assert.deepEqual(two.groups.map((x) => x.label), ["seed 1 @smoke", "seed 2 @smoke"]);
  assert.ok(Math.abs(two.checks[0].measured! - 0.02) < 1e-9);
  assert.match(two.checks[0].over, /mean of 2 seeds \(@smoke\)/);
  // A run of another profile is another configuration, judged apart.
  const other = fig7GridResult([...runs, record(0.85, 0, "")], info);
  assert.equal(other.checks.length, 2);
  assert.match(other.checks[0].notMeasured!, /4 of 5/);
});
