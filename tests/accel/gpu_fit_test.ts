/**
 * fit() and traceBatch() through the WebGPU engine (webgpu backend, an Lstm) against the tfjs
 * path: same traces, same training curve and weights to float32 rounding, honest step counts, no
 * leaked tensors.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import "../../lib/accel/register.ts";
import type { SequenceBatch } from "../../lib/data/batch.ts";
import { twoSequenceBatch } from "../../lib/data/toy.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import { Rng } from "../../lib/random.ts";
import { GpuTrainer, releaseGpuEngines, setGpuEngineEnabled } from "../../lib/accel/gpu_fit.ts";
import { traceBatch } from "../../lib/rc/infer.ts";
import { fit, type FitOptions } from "../../lib/rc/train.ts";
import { ignoreWebGpu, useCpu, warmEngineKernels } from "../_backend.ts";

function close(a: number, b: number, rel: number, what: string) {
  assert.ok(Math.abs(a - b) <= 1e-5 + rel * Math.abs(b), `${what}: ${a} vs ${b}`);
}

function model(seed = 3) {
  return new Lstm({ numInputs: 1, hiddenSize: 6, readoutHidden: [4], numOutputs: 1, seed });
}

Deno.test({
  name: "traceBatch through the GPU engine equals the tfjs path (webgpu), chunks of 256",
  // Full set only on a software adapter: its tfjs reference at batch 300 compiles shaders of
  // its own (about a minute of CPU on a cold cache). The fit() tests below trace their validation
  // batches through the engine (one chunk), and gpu_engine_test.ts runs its halting kernels.
  ignore: ignoreWebGpu({ fullOnly: true }),
  async fn() {
    await warmEngineKernels();
    await initBackend("webgpu", { quiet: true });
    const m = model();
    const out = m.variables[m.variables.length - 2];
    tf.tidy(() => out.assign(tf.mul(out, 8)));
    const batch: SequenceBatch = twoSequenceBatch(new Rng(5), 300, { numSteps: 6 });
    const before = tf.memory().numTensors;
    try {
      for (const haltThreshold of [undefined, 0.7]) {
        const ours = await traceBatch(m, batch, { readout: "binary", haltThreshold });
        const was = setGpuEngineEnabled(false);
        const plain = await traceBatch(m, batch, {
          readout: "binary",
          haltThreshold,
          shrink: false,
        });
        setGpuEngineEnabled(was);
        const T = batch.numSteps;
        // Halting on the GPU: each example computed up to its first spike (or the last step).
        const firsts = Array.from({ length: batch.batchSize }, (_, b) => {
          for (let t = 0; t < T; t++) {
            if (plain.traces.confidence[t * batch.batchSize + b] >= (haltThreshold ?? Infinity)) {
              return t;
            }
          }
          return T - 1;
        });
        assert.equal(
          ours.stepsComputed,
          firsts.reduce((a, t) => a + t + 1, 0),
          "the steps computed: each example's up to its first spike",
        );
        if (haltThreshold !== undefined) assert.ok(ours.stepsComputed < T * batch.batchSize);
        for (let i = 0; i < T * batch.batchSize; i++) {
          const [a, b] = [ours.traces.confidence[i], plain.traces.confidence[i]];
          // Halting: the tfjs path (shrink off) goes on recording spiked examples; ours stops.
          if (haltThreshold === undefined || !Number.isNaN(a)) {
            close(a, b, 1e-4, `confidence[${i}]`);
            assert.equal(ours.traces.label[i], plain.traces.label[i], `label[${i}]`);
          }
        }
        if (haltThreshold !== undefined) {
          // Nothing recorded after an example's first spike (and some examples do spike early).
          assert.ok(ours.traces.confidence.some(Number.isNaN), "some examples halted");
          for (let b = 0; b < batch.batchSize; b++) {
            let spiked = false;
            for (let t = 0; t < T; t++) {
              const c = ours.traces.confidence[t * batch.batchSize + b];
              if (spiked) assert.ok(Number.isNaN(c), `example ${b} step ${t} after its spike`);
              if (c >= haltThreshold) spiked = true;
            }
          }
        }
      }
      assert.equal(tf.memory().numTensors, before, "no tensor left behind");
    } finally {
      releaseGpuEngines(m);
      tf.dispose(m.variables);
      await useCpu();
    }
  },
});

const workgroups: Record<string, number> = {};
for (const method of ["eos", "rc"] as const) {
  Deno.test({
    name: `fit() through the GPU engine equals the tfjs path on cpu (${method}, webgpu)`,
    ignore: ignoreWebGpu(),
    async fn() {
      await warmEngineKernels();
      const validation = twoSequenceBatch(new Rng(9), 64, { numSteps: 8 });
      const opts = (onValidation?: () => void): FitOptions => ({
        method,
        readout: "binary",
        threshold: 0.55,
        beta: 0.05,
        learningRate: 0.01,
        numBatches: 6,
        trainBatch: (i) => twoSequenceBatch(new Rng(100 + i), 32, { numSteps: 8 }),
        validation,
        validateEvery: 3,
        selectBy: "last",
        onValidation,
      });
      const sharpen = (m: Lstm) => {
        const out = m.variables[m.variables.length - 2];
        tf.tidy(() => out.assign(tf.mul(out, 8)));
        return m;
      };
      await useCpu();
      const cpuModel = sharpen(model());
      const reference = await fit(cpuModel, opts());
      const referenceWeights = cpuModel.variables.map((v) => v.dataSync().slice());
      tf.dispose(cpuModel.variables);

      await initBackend("webgpu", { quiet: true });
      const gpuModel = sharpen(model());
      const counts: number[] = [];
      try {
        const ours = await fit(gpuModel, opts(() => counts.push(tf.memory().numTensors)));
        assert.equal(ours.curves.length, 2);
        ours.curves.forEach((p, k) => {
          const q = reference.curves[k];
          close(p.loss, q.loss, 2e-3, `loss at ${p.batch}`);
          close(p.spikingAccuracy, q.spikingAccuracy, 0, `spiking accuracy at ${p.batch}`);
          close(p.meanSpikeTime, q.meanSpikeTime, 1e-6, `mean spike time at ${p.batch}`);
          close(p.eosAccuracy, q.eosAccuracy, 0, `EOS accuracy at ${p.batch}`);
        });
        const weights = await Promise.all(gpuModel.variables.map((v) => v.data()));
        weights.forEach((w, k) => {
          for (let i = 0; i < w.length; i++) {
            close(w[i], referenceWeights[k][i], 2e-3, `w${k}[${i}]`);
          }
        });
        // Counted as run: EOS every step; RC, halting on the GPU, the needed ones only (as the
        // tfjs path's), forward and backward alike; workgroups counted, fewer for RC.
        const all = 6 * 32 * 8;
        const ran = method === "rc" ? reference.compute.forwardStepsNeeded : all;
        assert.equal(ours.compute.forwardSteps, ran);
        assert.equal(ours.compute.backwardSteps, ran);
        assert.equal(ours.compute.forwardStepsNeeded, reference.compute.forwardStepsNeeded);
        if (method === "rc") assert.ok(reference.compute.forwardStepsNeeded < all);
        assert.ok(ours.compute.gpuWorkgroups! > 0, "workgroups counted");
        workgroups[method] = ours.compute.gpuWorkgroups!;
        if (method === "rc") assert.ok(workgroups.rc < workgroups.eos, JSON.stringify(workgroups));
        assert.equal(counts[0], counts[1], "live tensors flat across validations");
      } finally {
        releaseGpuEngines(gpuModel);
        tf.dispose(gpuModel.variables);
        await useCpu();
      }
    },
  });
}

Deno.test("GpuTrainer.create: clipNorm must be a positive finite number", async () => {
  await useCpu();
  const m = model();
  try {
    for (const clipNorm of [0, -0.25, NaN, Infinity]) {
      await assert.rejects(
        GpuTrainer.create(m, { T: 4, B: 2 }, 0.01, { clipNorm }),
        /clipNorm must be a positive finite number: current value is/,
      );
    }
  } finally {
    tf.dispose(m.variables);
  }
});

Deno.test({
  name: "GpuTrainer with clipNorm: totals() count non-finite steps since the last call (webgpu)",
  ignore: ignoreWebGpu(),
  async fn() {
    await warmEngineKernels();
    await initBackend("webgpu", { quiet: true });
    const m = model();
    const trainer = await GpuTrainer.create(m, { T: 8, B: 32 }, 0.01, { clipNorm: 0.25 });
    const opts = { readout: "binary", beta: 0.05, threshold: 0.55 } as const;
    const batch = (i: number) => twoSequenceBatch(new Rng(100 + i), 32, { numSteps: 8 });
    try {
      for (let i = 0; i < 2; i++) await trainer.step(batch(i), opts);
      const finite = await trainer.totals();
      assert.deepEqual(
        [finite.steps, finite.nonFiniteSteps, finite.firstNonFiniteStep],
        [2, 0, -1],
      );
      const bad = batch(2);
      bad.x[7] = NaN;
      await trainer.step(batch(3), opts);
      await trainer.step(bad, opts);
      const totals = await trainer.totals();
      assert.deepEqual(
        [totals.steps, totals.nonFiniteSteps, totals.firstNonFiniteStep],
        [2, 1, 1],
      );
    } finally {
      trainer.destroy();
      tf.dispose(m.variables);
      await useCpu();
    }
  },
});
