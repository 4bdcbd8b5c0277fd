// The accelerated paths, as every task and mod.ts registers them.
import "../../lib/accel/register.ts";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import { loadMnist } from "../../lib/data/mnist.ts";
import { speedClassOf } from "../../lib/experiments/declaration.ts";
import {
  MNIST,
  mnistConfig,
  mnistCost,
  mnistRunSpecs,
  PAPER_BETA,
  PAPER_ROWS,
  REGIMES,
  TABLE1,
} from "../../lib/experiments/mnist.ts";
import {
  betaSchedule,
  epochBatches,
  mnistBatch,
  regimeOf,
} from "../../lib/experiments/_mnist_run.ts";
import { parseOverrides } from "../../lib/experiments/overrides.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import { Rng } from "../../lib/random.ts";
import { spikeMetrics } from "../../lib/rc/evaluate.ts";
import { testTraces } from "../../lib/rc/measure.ts";
import { fit } from "../../lib/rc/train.ts";
import { killAndResume } from "./_resume.ts";

/** The shared data folder (`--data-mirror ../shared/data`): it holds mnist/*.gz. */
const SHARED_DATA = new URL("../../../shared/data/", import.meta.url);
const haveShared = (() => {
  try {
    return Deno.statSync(new URL("mnist/train-images-idx3-ubyte.gz", SHARED_DATA)).isFile;
  } catch {
    return false;
  }
})();

Deno.test("mnist declaration: runs, seeds and profiles follow the issue", () => {
  const names = (p: "smoke" | "default" | "paper") => mnistRunSpecs(p).map((s) => s.name);
  // Default: three seeds of every RC row, one of the EOS LSTM, which comes first.
  const def = names("default");
  assert.equal(def[0], "lstm340-eos");
  assert.deepEqual(def.filter((n) => /^convlstm20-fast-s\d+$/.test(n)), [
    "convlstm20-fast-s1",
    "convlstm20-fast-s2",
    "convlstm20-fast-s3",
  ]);
  assert.deepEqual(def.filter((n) => /^lstm340-fast-s\d+$/.test(n)), [
    "lstm340-fast-s1",
    "lstm340-fast-s2",
    "lstm340-fast-s3",
  ]);
  assert.deepEqual(def.filter((n) => /^convlstm10-/.test(n)), [
    "convlstm10-slow-s1",
    "convlstm10-slow-s2",
    "convlstm10-slow-s3",
    "convlstm10-fast-s1",
    "convlstm10-fast-s2",
    "convlstm10-fast-s3",
  ]);
  assert.deepEqual(def.filter((n) => /^convlstm20-slow-s\d+$/.test(n)), [
    "convlstm20-slow-s1",
    "convlstm20-slow-s2",
    "convlstm20-slow-s3",
  ]);
  assert.equal(def.filter((n) => n.startsWith("lstm340-eos")).length, 1);
  // The kernel comparison: 5 × 5 runs of seeds 1 and 2 beside the 3 × 3 ones.
  assert.deepEqual(def.filter((n) => n.endsWith("-k5")), [
    "convlstm20-fast-s1-k5",
    "convlstm20-fast-s2-k5",
  ]);
  const k5 = mnistRunSpecs("default").find((s) => s.name === "convlstm20-fast-s2-k5")!;
  assert.equal(mnistConfig(k5, "default").kernelSize, 5);
  assert.equal(mnistConfig(k5, "default").seed, 2);
  assert.equal(mnistConfig(mnistRunSpecs("default")[0], "default").kernelSize, 3);
  // Issue 23: every Table 1 row, at every profile but smoke, is tested on all 10,000 images.
  for (const profile of ["default", "paper"] as const) {
    for (const spec of mnistRunSpecs(profile)) {
      assert.equal(mnistConfig(spec, profile).testSize, 10_000, `${profile} ${spec.name}`);
    }
  }
  // Slow before fast, so the fast run's Fig. 3 can draw both.
  assert.ok(def.indexOf("convlstm20-slow-s1") < def.indexOf("convlstm20-fast-s1"));
  // Paper: 2 seeds for every Table 1 row (App. B.3 trains each model twice), 50 epochs.
  const paper = mnistRunSpecs("paper");
  const measured = TABLE1.groups.flatMap((g) => g.rows).filter((r) => r.kind === "measured");
  for (const row of measured) {
    const present = row.runs.filter((r) => paper.some((s) => s.name === r));
    assert.ok(present.length >= 1, `${row.model} ${row.architecture} has paper runs`);
    if (!row.model.includes("5×5")) assert.equal(present.length, 2, row.model);
  }
  for (const spec of paper) {
    const c = mnistConfig(spec, "paper");
    assert.ok(c.numBatches * c.batchSize >= 50 * (60_000 - c.validationSize), spec.name);
    assert.equal(c.testSize, 10_000);
    assert.equal(c.threshold, 0.95);
    assert.equal(c.learningRate, 1e-3);
    assert.ok(mnistCost(c) > 0);
  }
  // Every run's Table 1 value is one of the paper's five RC rows.
  for (const s of paper.filter((s) => s.paper !== undefined)) {
    assert.ok(Object.values(PAPER_ROWS).includes(s.paper as never), s.name);
  }
  // The paper's β is the fast schedule's first β and the EOS run's β.
  const fast = mnistConfig(paper.find((s) => s.name === "convlstm20-fast-s1")!, "paper");
  assert.equal(fast.beta, PAPER_BETA);
  assert.ok(fast.betaAfter < fast.beta && fast.betaSwitchAt > 0);
  const slow = mnistConfig(paper.find((s) => s.name === "convlstm20-slow-s1")!, "paper");
  assert.ok(slow.beta > fast.betaAfter && slow.betaSwitchAt === 0);
  // Declared runs carry the profile suffix outside the default profile.
  assert.ok(MNIST.runs!("smoke").every((r) => r.run.endsWith("@smoke")));
  assert.equal(
    MNIST.runs!("default").find((r) => r.method === "rc" && r.baseline)?.baseline,
    "lstm340-eos",
  );
});

Deno.test("mnist: --set dataset=fashion-mnist and kernelSize parse; a bad data set is refused", () => {
  assert.deepEqual(
    parseOverrides(["dataset=fashion-mnist", "kernelSize=5"], MNIST.settable!, "mnist"),
    { dataset: "fashion-mnist", kernelSize: 5 },
  );
  assert.throws(
    () => parseOverrides(["dataset=cifar"], MNIST.settable!, "mnist"),
    /dataset expects one of mnist, fashion-mnist/,
  );
});

Deno.test("regimes: fast below 1.5 of 10 steps, slow above 2.5, between otherwise", () => {
  assert.equal(regimeOf(1), "fast");
  assert.equal(regimeOf(1.49), "fast");
  assert.equal(regimeOf(1.5), "between");
  assert.equal(regimeOf(2.5), "between");
  assert.equal(regimeOf(2.51), "slow");
  assert.equal(regimeOf(10), "slow");
  // Fractions of the frame: 2.9 of 20 steps is 14.5 % (fast), 5.2 of 20 is 26 % (slow).
  assert.equal(regimeOf(2.9, 20), "fast");
  assert.equal(regimeOf(5.2, 20), "slow");
  assert.equal(speedClassOf(2, REGIMES), "between");
  assert.equal(speedClassOf(2, REGIMES, "mid"), "mid");
});

Deno.test("β schedule: one switch at the configured fraction of the batches, none at 0", () => {
  const c = mnistConfig(
    mnistRunSpecs("default").find((s) => s.name === "convlstm20-fast-s1")!,
    "default",
  );
  // The default ConvLSTM fast rows switch after a tenth; the paper profile after a quarter.
  assert.deepEqual(betaSchedule(c), [{ fromBatch: Math.round(0.1 * c.numBatches), beta: 0 }]);
  const paper = mnistConfig(
    mnistRunSpecs("paper").find((s) => s.name === "convlstm20-fast-s1")!,
    "paper",
  );
  assert.deepEqual(betaSchedule(paper), [{
    fromBatch: Math.round(0.25 * paper.numBatches),
    beta: 0,
  }]);
  assert.equal(betaSchedule({ ...c, betaSwitchAt: 0 }), undefined);
  assert.equal(betaSchedule({ ...c, betaAfter: c.beta }), undefined);
});

Deno.test("epoch batches: each epoch visits every training image once, in a new order", () => {
  const order = epochBatches(new Rng(3), 10, 3); // 3 batches of 3 per epoch (1 image left out)
  const epoch = (e: number) => [0, 1, 2].flatMap((i) => Array.from(order(3 * e + i)));
  const a = epoch(0), b = epoch(1);
  assert.equal(new Set(a).size, 9);
  assert.equal(new Set(b).size, 9);
  assert.ok(a.every((i) => i >= 0 && i < 10));
  assert.notDeepEqual(a, b);
});

Deno.test("mnistBatch: silent background removes only the value-0 pixels' last-step spike", () => {
  const images = new Uint8Array(2 * 784);
  images[5] = 255; // image 0: one full-ink pixel (step 0), one faint (last step), rest background
  images[6] = 10;
  images[784 + 7] = 128;
  const set = { images, labels: Uint8Array.of(3, 7), count: 2, rows: 28, cols: 28 } as const;
  const T = 10;
  const last = mnistBatch(set, [0, 1], T, "last-step");
  const silent = mnistBatch(set, [0, 1], T, "silent");
  assert.deepEqual(Array.from(silent.y), [3, 7]);
  const at = (x: Float32Array, t: number, b: number, p: number) => x[(t * 2 + b) * 784 + p];
  for (const [b, p] of [[0, 5], [0, 6], [1, 7]]) {
    let a = 0, s = 0;
    for (let t = 0; t < T; t++) (a += at(last.x, t, b, p)), (s += at(silent.x, t, b, p));
    assert.equal(a, 1, `pixel ${p} spikes once`);
    assert.equal(s, 1, `ink pixel ${p} still spikes once`);
  }
  assert.equal(at(silent.x, 0, 0, 5), 1);
  assert.equal(at(silent.x, T - 1, 0, 6), 1, "faint ink (10) spikes at the last step");
  assert.equal(at(last.x, T - 1, 0, 0), 1, "background spikes at the last step when asked");
  assert.equal(silent.x.reduce((a, v) => a + v, 0), 3, "only the three ink pixels spike");
});

Deno.test({
  name: "mnist smoke: an RC-trained LSTM on 1,920 real MNIST images learns far above chance",
  ignore: !haveShared,
  sanitizeResources: false,
  async fn() {
    await initBackend("wasm", { quiet: true });
    const dataDir = await Deno.makeTempDir();
    try {
      const d = await loadMnist({ dataDir, mirror: SHARED_DATA.pathname, quiet: true });
      const before = tf.memory().numTensors;
      const rng = new Rng(1);
      const order = epochBatches(rng.fork(), 1920, 32);
      const T = 10;
      const validation = mnistBatch(
        d.train,
        Array.from({ length: 128 }, (_, i) => 59_000 + i),
        T,
        "silent",
      );
      const test = mnistBatch(d.test, Array.from({ length: 300 }, (_, i) => i), T, "silent");
      const model = new Lstm({ numInputs: 784, hiddenSize: 64, numOutputs: 10, seed: 7 });
      const fitted = await fit(model, {
        method: "rc",
        readout: "softmax",
        threshold: 0.95,
        beta: PAPER_BETA,
        betaSchedule: [{ fromBatch: 30, beta: 0 }],
        learningRate: 3e-3,
        numBatches: 60,
        trainBatch: (i) => mnistBatch(d.train, order(i), T, "silent"),
        validation,
        validateEvery: 10,
        selectBy: "last",
      });
      const traces = await testTraces(model, test, "softmax");
      const acc = spikeMetrics(traces, test.y, 0.95).accuracy;
      assert.ok(acc > 0.6, `RC-inference accuracy ${acc} on 300 test images (chance: 0.1)`);
      // The β switch is visible in the curves: 0.165 before batch 30, 0 after.
      const betas = fitted.curves.map((p) => [p.batch, p.beta]);
      assert.ok(betas.some(([b, beta]) => b! < 30 && beta === PAPER_BETA), JSON.stringify(betas));
      assert.ok(betas.some(([b, beta]) => b! > 30 && beta === 0), JSON.stringify(betas));
      tf.dispose(model.variables);
      assert.equal(tf.memory().numTensors, before, "no tensor left behind");
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "mnist: a ConvLSTM run killed after its first checkpoint resumes with the same numbers",
  ignore: !haveShared,
  async fn() {
    const root = await Deno.makeTempDir();
    try {
      const [, rb] = await killAndResume({
        experiment: "mnist",
        run: "convlstm20-fast-s1@smoke",
        sets: ["numBatches=24"],
        file: "runs/mnist/convlstm20-fast-s1@smoke+numBatches=24.json",
        resumed: /resuming from the checkpoint after batch \d+ \(epoch /,
      }, root);
      assert.equal((rb as { curves: unknown[] }).curves.length, 6);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("the slow-regime check reads the images that spiked, and says how many did not", async () => {
  const { slowRegimeCheck } = await import("../../lib/experiments/_checks.ts");
  // 80 % spiked at a mean of 3 steps, 20 % never (counted as 10): 0.8 × 3 + 0.2 × 10 = 4.4.
  const met = slowRegimeCheck({ meanSpikeTime: 4.4, fractionFired: 0.8 }, 10);
  assert.ok(Math.abs(met.measured! - 3) < 1e-12);
  assert.equal(met.met, true);
  assert.match(met.why!, /20\.0 % of the test images never spiked/);
  // Spiking at 2 steps: missed, though the mean over all images (3.6) is above 2.5.
  const fast = slowRegimeCheck({ meanSpikeTime: 0.8 * 2 + 0.2 * 10, fractionFired: 0.8 }, 10);
  assert.ok(Math.abs(fast.measured! - 2) < 1e-12);
  assert.equal(fast.met, false);
  // Most images never spike (as runs of a fraction of an epoch): not measured, never met.
  const few = slowRegimeCheck({ meanSpikeTime: 9.1, fractionFired: 0.25 }, 10);
  assert.equal(few.measured, null);
  assert.equal(few.met, false);
  assert.match(few.notMeasured!, /only 25\.0 % of the test images spiked/);
});
