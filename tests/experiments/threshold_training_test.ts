import assert from "node:assert/strict";
import {
  curveOf,
  fig7Figure,
  fig7Grid,
  interpolate,
  largestGap,
  thresholdExtension,
} from "../../lib/experiments/_threshold_run.ts";
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
import { runPath, type RunRecord, writeRun } from "../../lib/results.ts";
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
  const fig = fig7Figure(grid, thresholdConfig(0.999, "paper"));
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

Deno.test("the last θ_train's run draws Fig. 7 over the finished runs and measures the spread", async () => {
  // Confidences chosen so each θ_test spikes at a hand-known step (0-based).
  const { traces: tr, labels } = traces(
    [[0.86, 0.91, 0.9995], [0.5, 0.96, 0.991], [0.5, 0.5, 0.5], [0.999, 0.999, 0.999]],
    [true, false, true, true],
  );
  // θ 0.85: steps 0, 1, 2 (no spike), 0 -> time (1 + 2 + 3 + 1) / 4 = 1.75; right: 1, 0, 1, 1.
  // θ 0.95: steps 2, 1, 2, 0 -> (3 + 2 + 3 + 1) / 4 = 2.25; θ 0.999: 2, 2, 2, 0 -> 2.5.
  const logs: string[] = [];
  const ctx = (finished: RunRecord[]): RunContext => ({
    profile: "smoke",
    configHash: "0".repeat(16),
    run: thetaRunName(0.999) + "@smoke",
    finished,
    log: (l) => logs.push(l),
  });
  const config = thresholdConfig(0.999, "smoke");
  const own = await thresholdExtension()({ config, traces: tr, labels, extra: {}, ctx: ctx([]) });
  assert.equal(own.extra!["spikeTimeAtTheta0.85"], 1.75);
  assert.equal(own.extra!["accuracyAtTheta0.85"], 0.75);
  assert.equal(own.extra!["spikeTimeAtTheta0.95"], 2.25);
  assert.equal(own.extra!["spikeTimeAtTheta0.999"], 2.5);
  // Alone: a one-curve Fig. 7, no spread checked, and the log says why.
  assert.equal(own.figures!.length, 1);
  assert.deepEqual(own.measured, {});
  assert.match(logs[0], /1 of 5 θ_train runs.*not checked/);
  // With the other four finished, each this run's curve shifted up: 0.85 by 0.1, 0.9, 0.95 and
  // 0.99 by 0.01, 0.02, 0.03. The spread among θ_train >= 0.9 is 0.03 (0.99's against 0.999's),
  // among all 0.1 (0.85's against 0.999's).
  const finished = TRAIN_THRESHOLDS.slice(0, 4).map((t, k) => {
    const extra: Record<string, number> = {};
    for (const testTheta of TEST_THRESHOLDS) {
      extra[`accuracyAtTheta${testTheta}`] = own.extra![`accuracyAtTheta${testTheta}`] +
        (k === 0 ? 0.1 : 0.01 * k);
      extra[`spikeTimeAtTheta${testTheta}`] = own.extra![`spikeTimeAtTheta${testTheta}`];
    }
    return {
      run: thetaRunName(t) + "@smoke",
      status: "met",
      metrics: { extra },
    } as unknown as RunRecord;
  });
  // A run of another profile is not part of this grid.
  finished.push({ run: thetaRunName(0.85), status: "met", metrics: { extra: {} } } as never);
  const full = await thresholdExtension()({
    config,
    traces: tr,
    labels,
    extra: {},
    ctx: ctx(finished),
  });
  assert.equal(full.figures![0].series.length, 5);
  assert.ok(Math.abs(full.measured!.fig7Spread - 0.03) < 1e-9, `${full.measured!.fig7Spread}`);
  assert.ok(Math.abs(full.extra!.fig7SpreadAll - 0.1) < 1e-9);
  assert.equal(full.extra!.fig7PairsCompared, 10);
  assert.match(full.title!, /θ_train = 0.999/);
  // The same runs as run files in the run store (this run trained alone, with --run): the same
  // figure and spread; a failed run's file is left out.
  const dir = await Deno.makeTempDir({ prefix: "rc-fig7-" });
  try {
    const template = fixtureRuns()[0];
    for (const r of finished.slice(0, 4)) {
      await writeRun(dir, {
        ...template,
        experiment: "threshold-training",
        run: r.run,
        metrics: { ...template.metrics, extra: r.metrics.extra },
      });
    }
    const stored = await thresholdExtension()({
      config,
      traces: tr,
      labels,
      extra: {},
      ctx: { ...ctx([]), workDir: `${dir}/runs/threshold-training` },
    });
    assert.deepEqual(stored.figures, full.figures);
    assert.deepEqual(stored.measured, full.measured);
    // (Written over the finished one as is: the run store keeps a finished record.)
    await Deno.writeTextFile(
      runPath(dir, "threshold-training", finished[1].run),
      JSON.stringify({
        ...template,
        experiment: "threshold-training",
        run: finished[1].run,
        status: "failed",
      }),
    );
    const partial = await thresholdExtension()({
      config,
      traces: tr,
      labels,
      extra: {},
      ctx: { ...ctx([]), workDir: `${dir}/runs/threshold-training` },
    });
    assert.equal(partial.extra!.fig7Curves, 4);
    assert.deepEqual(partial.measured, {});
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
  // Any other θ_train's run only measures its own θ_test grid.
  const other = await thresholdExtension()({
    config: thresholdConfig(0.9, "smoke"),
    traces: tr,
    labels,
    extra: {},
    ctx: { ...ctx([]), run: thetaRunName(0.9) + "@smoke" },
  });
  assert.equal(other.figures, undefined);
  assert.equal(other.measured, undefined);
  assert.equal(Object.keys(other.extra!).length, 2 * TEST_THRESHOLDS.length);
});
