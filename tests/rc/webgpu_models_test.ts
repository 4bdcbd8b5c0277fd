/**
 * The paper's other models train on the webgpu backend through fit(), with RC's skipping real:
 * the ConvLSTM (temporal MNIST), the keyword model (LSTM + FC ReLU + FC softmax, clipped at 0.25;
 * through the WebGPU engine by default, and through the tfjs path) and the LIF network. At smoke
 * sizes: RC on webgpu finds the same loss steps and gives the same losses and gradients as on the
 * cpu backend, under every readback schedule of the spike-finding pass (whose readbacks are
 * counted); it computes fewer forward and backward example-steps than EOS; and the live tensors
 * stay flat from one validation point to the next. Skipped where no WebGPU adapter exists; a
 * software adapter runs a subset (`fullOnly` below).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import "../../lib/accel/register.ts";
import { randomBatch, type SequenceBatch } from "../../lib/data/batch.ts";
import { releaseGpuEngines } from "../../lib/accel/gpu_fit.ts";
import { ConvLstm } from "../../lib/models/conv_lstm.ts";
import { LifNet } from "../../lib/models/lif_net.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import type { RecurrentModel } from "../../lib/models/model.ts";
import { traceBatch } from "../../lib/rc/infer.ts";
import type { PathName } from "../../lib/rc/paths.ts";
import type { Readout } from "../../lib/rc/spike.ts";
import { fit, type FitOptions, lossAndGrads, lossSteps } from "../../lib/rc/train.ts";
import { ignoreWebGpu, useCpu, warmEngineKernels } from "../_backend.ts";

interface Case {
  name: string;
  /** A fresh model, its weights set so that first spikes spread over the steps. */
  make(): RecurrentModel;
  readout: Readout;
  numSteps: number;
  batchSize: number;
  numFeatures: number;
  numClasses: number;
  /** Binary frames with this firing probability (MNIST-like), or Gaussian features (log-mel-like). */
  frames?: number;
  clipNorm?: number;
  /** fit()'s path on webgpu (undefined: the chooser's pick). */
  path?: PathName;
  /** The path fit() must have taken on webgpu. */
  expectPath: PathName;
  /**
   * fit()'s learning rate (default 1e-3). Adam's first steps are ±lr wherever a gradient is
   * nonzero, whatever its size, so float32 noise in a near-zero gradient moves a weight by the
   * whole rate: in the LIF network that can flip an inner neuron's spike between backends.
   */
  learningRate?: number;
  /**
   * Its tests left to the full set on a software adapter (tests/_backend.ts): the spike-finding
   * pass's readback schedules run there on the keyword model only, and the keyword model's fit()
   * on the tfjs path is conformance_test.ts's "Lstm + hidden readout layer, softmax" with clipping.
   */
  fullOnly?: ("schedules" | "fit")[];
}

const scale = (v: tf.Variable, by: number) => tf.tidy(() => v.assign(tf.mul(v, by)));

const keyword = () => {
  const m = new Lstm({ numInputs: 6, hiddenSize: 8, readoutHidden: [4], numOutputs: 11, seed: 5 });
  scale(m.variables[m.variables.length - 2], 40); // sharper softmax: spikes spread over steps
  return m;
};

/** The keyword model at smoke size: LSTM 8 + FC 4 ReLU + FC 11 softmax, clipped at 0.25. */
const KEYWORD = {
  make: keyword,
  readout: "softmax",
  numSteps: 6,
  batchSize: 8,
  numFeatures: 6,
  numClasses: 11,
  clipNorm: 0.25,
} as const;

/** 8 × 8 binary frames (temporal-MNIST-like), 4 steps, 10 classes, the tfjs path. */
const FRAMES = {
  numSteps: 4,
  batchSize: 8,
  numFeatures: 64,
  numClasses: 10,
  frames: 0.3,
  expectPath: "tfjs",
} as const;

const CASES: Case[] = [
  {
    name: "ConvLSTM",
    make() {
      const m = new ConvLstm({
        height: 8,
        width: 8,
        hiddenChannels: 2,
        kernelSize: 3,
        numOutputs: 10,
        seed: 1,
      });
      scale(m.variables[m.variables.length - 2], 40);
      return m;
    },
    readout: "softmax",
    ...FRAMES,
    fullOnly: ["schedules"],
  },
  {
    name: "LIF network",
    make() {
      const m = new LifNet({
        height: 8,
        width: 8,
        channels: 4,
        hidden: 8,
        numOutputs: 10,
        seed: 1,
      });
      // Stronger synapses into the first three layers, so output spikes differ by example.
      for (const k of [0, 2, 4]) scale(m.variables[k], 4);
      return m;
    },
    readout: "lif",
    ...FRAMES,
    learningRate: 1e-5,
    fullOnly: ["schedules"],
  },
  {
    ...KEYWORD,
    name: "keyword model, tfjs path",
    path: "tfjs",
    expectPath: "tfjs",
    fullOnly: ["fit"],
  },
  { ...KEYWORD, name: "keyword model, WebGPU engine", expectPath: "webgpu-engine" },
];

/** Batch `i` of a case: seeded frames or features, and labels. */
function batchOf(c: Case, i: number): SequenceBatch {
  return randomBatch(c, 1000 + i);
}

/**
 * A threshold in the widest gap between the cpu confidences of batch 0 from their 15th to 55th
 * percentile: examples spike at various steps, and float32 differences between backends cannot
 * move a confidence across it.
 */
async function thresholdOf(c: Case, model: RecurrentModel): Promise<number> {
  const { traces } = await traceBatch(model, batchOf(c, 0), { readout: c.readout, path: "tfjs" });
  const sorted = Array.from(traces.confidence).sort((a, b) => a - b);
  let best = { gap: -1, at: 0 };
  const [lo, hi] = [Math.floor(sorted.length * 0.15), Math.floor(sorted.length * 0.55)];
  for (let k = lo; k < hi; k++) {
    const gap = sorted[k + 1] - sorted[k];
    if (gap > best.gap) best = { gap, at: (sorted[k] + sorted[k + 1]) / 2 };
  }
  assert.ok(best.gap > 1e-3, `${c.name}: a gap between confidences (${best.gap})`);
  return best.at;
}

function close(a: number, b: number, rel: number, what: string) {
  assert.ok(Math.abs(a - b) <= 1e-5 + rel * Math.abs(b), `${what}: ${a} vs ${b}`);
}

async function onWebGpu<T>(fn: () => Promise<T>): Promise<T> {
  await initBackend("webgpu", { quiet: true });
  try {
    return await fn();
  } finally {
    await useCpu();
  }
}

for (const c of CASES.filter((c) => c.expectPath === "tfjs")) {
  Deno.test({
    name: `${c.name}: RC's loss steps, loss and gradients on webgpu equal cpu's under every ` +
      "readback schedule, readbacks counted",
    ignore: ignoreWebGpu({ fullOnly: c.fullOnly?.includes("schedules") }),
    async fn() {
      await useCpu();
      const cpuModel = c.make();
      const threshold = await thresholdOf(c, cpuModel);
      const batch = batchOf(c, 0);
      const { numSteps: T, batchSize: B } = batch;
      const opts = { method: "rc" as const, readout: c.readout, threshold, beta: 0.1 };
      const ref = await lossSteps(cpuModel, batch, opts);
      assert.ok(new Set(ref.steps).size > 1, `${c.name}: examples spike at different steps`);
      assert.ok(ref.stepsComputed < T * B, "the spike-finding pass halts or shrinks");
      assert.equal(ref.readbacks, ref.stepsRun, "cpu: a (cheap) readback after every step");
      const refGrads = await lossAndGrads(cpuModel, batch, { ...opts, path: "tfjs" });
      const refValue = (await refGrads.value.data())[0];
      const refArrays = await Promise.all(
        cpuModel.variables.map((v) => refGrads.grads[v.name].data()),
      );
      tf.dispose([refGrads.value, ...Object.values(refGrads.grads), ...cpuModel.variables]);

      await onWebGpu(async () => {
        const model = c.make();
        try {
          const before = tf.memory().numTensors;
          const schedules = [
            {},
            { checkEvery: 1, overlap: false },
            { checkEvery: 1, overlap: true },
            { checkEvery: 2, overlap: true },
            { checkEvery: 3, overlap: false },
          ];
          for (const s of schedules) {
            const what = `${c.name} ${JSON.stringify(s)}`;
            const r = await lossSteps(model, batch, { ...opts, ...s, path: "tfjs" });
            assert.deepEqual(r.steps, ref.steps, `${what}: loss steps`);
            assert.ok(r.check, `${what}: the schedule is reported`);
            // One readback per chunk of checkEvery steps run, never one per step when k > 1.
            assert.equal(r.readbacks, Math.ceil(r.stepsRun / r.check.checkEvery), what);
            assert.ok(r.stepsRun <= T && r.stepsComputed <= r.stepsRun * B, what);
            if (s.checkEvery === 1 && !s.overlap) {
              assert.equal(r.stepsComputed, ref.stepsComputed, `${what}: the cpu's halting`);
            }
          }
          assert.equal(tf.memory().numTensors, before, "no tensor left by the spike-finding pass");
          const ours = await lossAndGrads(model, batch, { ...opts, path: "tfjs" });
          assert.deepEqual(ours.steps, ref.steps);
          assert.ok(ours.readbacks > 0 && ours.spikeSteps > 0, "a separate spike-finding pass");
          close((await ours.value.data())[0], refValue, 1e-4, `${c.name} loss`);
          for (const [k, v] of model.variables.entries()) {
            const g = await ours.grads[v.name].data();
            g.forEach((x, i) => close(x, refArrays[k][i], 2e-3, `${c.name} grad ${k}[${i}]`));
          }
          tf.dispose([ours.value, ...Object.values(ours.grads)]);
        } finally {
          tf.dispose(model.variables);
        }
      });
    },
  });
}

for (const c of CASES) {
  Deno.test({
    name: `${c.name}: fit() on webgpu trains as on cpu (weights included), RC computes fewer ` +
      "steps than EOS, live tensors flat",
    ignore: ignoreWebGpu({ fullOnly: c.fullOnly?.includes("fit") }),
    async fn() {
      if (c.expectPath === "webgpu-engine") await warmEngineKernels();
      const numBatches = 3;
      const options = (
        method: "rc" | "eos",
        threshold: number,
        counts?: number[],
      ): FitOptions => ({
        method,
        readout: c.readout,
        threshold,
        beta: 0.05,
        learningRate: c.learningRate ?? 1e-3,
        clipNorm: c.clipNorm,
        numBatches,
        trainBatch: (i) => batchOf(c, i),
        validation: batchOf(c, 99),
        validateEvery: 1,
        selectBy: "last",
        path: c.path,
        onValidation: counts ? () => counts.push(tf.memory().numTensors) : undefined,
      });
      await useCpu();
      const cpuModel = c.make();
      const threshold = await thresholdOf(c, cpuModel);
      const reference = await fit(cpuModel, options("rc", threshold));
      const refWeights = await Promise.all(cpuModel.variables.map((v) => v.data()));
      tf.dispose(cpuModel.variables);
      let weights: ArrayLike<number>[] = [];

      await onWebGpu(async () => {
        const results = [];
        for (const method of ["rc", "eos"] as const) {
          const model = c.make();
          const counts: number[] = [];
          try {
            const r = await fit(model, options(method, threshold, counts));
            assert.equal(r.path.name, c.expectPath, `${c.name}: path (${r.path.reason})`);
            assert.equal(counts.length, numBatches);
            assert.ok(
              counts.every((n) => n === counts[0]),
              `${c.name} ${method}: live tensors at each validation point ${counts}`,
            );
            results.push(r);
            if (method === "rc") weights = await Promise.all(model.variables.map((v) => v.data()));
          } finally {
            if (model instanceof Lstm) releaseGpuEngines(model);
            tf.dispose(model.variables);
          }
        }
        const [rc, eos] = results;
        rc.curves.forEach((p, k) => {
          const q = reference.curves[k];
          close(p.loss, q.loss, 2e-3, `${c.name} loss at batch ${p.batch}`);
          close(p.meanSpikeTime, q.meanSpikeTime, 1e-6, `${c.name} mean spike time`);
          close(p.spikingAccuracy, q.spikingAccuracy, 0, `${c.name} spiking accuracy`);
        });
        assert.equal(rc.compute.forwardStepsNeeded, reference.compute.forwardStepsNeeded);
        // The weights after Adam: float32 noise in a near-zero gradient can move a weight by the
        // whole rate each batch, anything more (a dropped update, a NaN) is a fault.
        const lr = c.learningRate ?? 1e-3;
        weights.forEach((w, k) =>
          Array.from(w).forEach((x, i) =>
            assert.ok(
              Math.abs(x - refWeights[k][i]) <= 2 * lr * numBatches + 1e-5,
              `${c.name}: weight ${k}[${i}] after fit() ${x} on webgpu, ${refWeights[k][i]} on cpu`,
            )
          )
        );
        const all = numBatches * c.batchSize * c.numSteps;
        assert.equal(eos.compute.forwardSteps, all);
        assert.equal(eos.compute.backwardSteps, all);
        // On the tfjs path RC's forward count holds two passes (the spike-finding pass, then the
        // taped pass to each loss step), which can exceed EOS's one pass where spikes come late
        // in a short sequence (the LIF case: about 2 of 4 steps). Forward and backward together,
        // and the forward steps needed, are fewer.
        assert.ok(
          rc.compute.forwardStepsNeeded < eos.compute.forwardSteps,
          `${c.name}: RC needs ${rc.compute.forwardStepsNeeded} < EOS ${eos.compute.forwardSteps}`,
        );
        const total = (r: typeof rc) => r.compute.forwardSteps + r.compute.backwardSteps;
        assert.ok(total(rc) < total(eos), `${c.name}: RC ${total(rc)} < EOS ${total(eos)} steps`);
        assert.ok(
          rc.compute.backwardSteps < eos.compute.backwardSteps,
          `${c.name}: RC backward ${rc.compute.backwardSteps} < EOS ${eos.compute.backwardSteps}`,
        );
      });
    },
  });
}
