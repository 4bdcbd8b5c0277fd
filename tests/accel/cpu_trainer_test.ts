/**
 * fit() with the CPU trainer (the CPU engine and its SIMD Adam) against fit() with tfjs's Adam on
 * wasm: the same bits (weights, losses, curves), RC and EOS. With clipping, a step of the trainer
 * against the tfjs path's step (`clipByGlobalNorm`, then tfjs's Adam) to float32 rounding.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import "../../lib/accel/register.ts";
import { openBlas } from "../../lib/ops/blas.ts";
import { twoSequenceBatch } from "../../lib/data/toy.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import { Rng } from "../../lib/random.ts";
import { CpuTrainer, setCpuTrainerEnabled } from "../../lib/accel/cpu_trainer.ts";
import { nativeLossAndGrads } from "../../lib/accel/cpu_engine.ts";
import { clipByGlobalNorm, fit, type FitOptions } from "../../lib/rc/train.ts";
import { useCpu } from "../_backend.ts";

const noBlas = openBlas().sgemm ? null : "no BLAS library";

for (const method of ["rc", "eos"] as const) {
  Deno.test({
    name: `fit() with the CPU trainer's Adam = fit() with tfjs's Adam, bit for bit (${method})`,
    ignore: noBlas !== null,
    async fn() {
      await initBackend("wasm", { quiet: true });
      const validation = twoSequenceBatch(new Rng(9), 64, { numSteps: 10 });
      const opts: FitOptions = {
        method,
        readout: "binary",
        threshold: 0.6,
        beta: 0.05,
        learningRate: 0.01,
        numBatches: 8,
        trainBatch: (i) => twoSequenceBatch(new Rng(100 + i), 32, { numSteps: 10 }),
        validation,
        validateEvery: 4,
      };
      const run = async (trainer: boolean) => {
        const was = setCpuTrainerEnabled(trainer);
        const model = new Lstm({
          numInputs: 1,
          hiddenSize: 7,
          readoutHidden: [5],
          numOutputs: 1,
          seed: 6,
        });
        // A sharper output layer, so that RC takes losses at many steps.
        const out = model.variables[model.variables.length - 2];
        tf.tidy(() => out.assign(tf.mul(out, 8)));
        try {
          const before = tf.memory().numTensors;
          const result = await fit(model, opts);
          const weights = model.variables.map((v) => Array.from(v.dataSync()));
          assert.equal(tf.memory().numTensors, before, "no tensor left behind");
          return { result, weights };
        } finally {
          setCpuTrainerEnabled(was);
          tf.dispose(model.variables);
        }
      };
      try {
        const ours = await run(true);
        const reference = await run(false);
        assert.deepEqual(ours.weights, reference.weights, "weights");
        // (tfjs's Adam keeps its moments as tensors; the trainer's are not tensors.)
        const strip = (r: typeof ours.result) =>
          r.curves.map(({ wallSeconds: _w, rssBytes: _r, numTensors: _n, tensorBytes: _b, ...p }) =>
            p
          );
        assert.deepEqual(strip(ours.result), strip(reference.result), "curves");
        const counts = ({ wallSeconds: _w, ...c }: typeof ours.result.compute) => c;
        assert.deepEqual(counts(ours.result.compute), counts(reference.result.compute), "counts");
        if (method === "rc") {
          const c = ours.result.compute;
          assert.ok(c.backwardSteps < c.eosSteps, "RC took losses before the last step");
        }
      } finally {
        await useCpu();
      }
    },
  });
}

/** Two copies of one model (the same seed), the output layer sharpened as above. */
function twinModel(): Lstm {
  const model = new Lstm({
    numInputs: 1,
    hiddenSize: 7,
    readoutHidden: [5],
    numOutputs: 1,
    seed: 6,
  });
  const out = model.variables[model.variables.length - 2];
  tf.tidy(() => out.assign(tf.mul(out, 8)));
  return model;
}

const clipBatch = (i: number) => twoSequenceBatch(new Rng(300 + i), 32, { numSteps: 10 });
const clipLoss = { readout: "binary", beta: 0.05, threshold: 0.6 } as const;

/** `steps` steps of the trainer; its gradient norms and final weights. */
function trainerRun(steps: number, clipNorm?: number) {
  const model = twinModel();
  try {
    const trainer = new CpuTrainer(model, 0.01, { clipNorm });
    const norms: number[] = [];
    for (let i = 0; i < steps; i++) norms.push(trainer.step(clipBatch(i), clipLoss).gradNorm);
    trainer.syncToModel();
    return { norms, weights: model.variables.map((v) => Array.from(v.dataSync())) };
  } finally {
    tf.dispose(model.variables);
  }
}

Deno.test({
  name: "CPU trainer with clipNorm = the CPU engine's gradients, clipByGlobalNorm, tfjs's Adam",
  ignore: noBlas !== null,
  async fn() {
    await initBackend("wasm", { quiet: true });
    const steps = 4;
    try {
      const before = tf.memory().numTensors;
      // The tfjs path's step: gradients (the same engine), global norm, clipping, tfjs's Adam.
      const model = twinModel();
      const optimizer = tf.train.adam(0.01);
      const referenceNorms: number[] = [];
      try {
        for (let i = 0; i < steps; i++) {
          const r = nativeLossAndGrads(model, clipBatch(i), clipLoss);
          const grads: tf.NamedTensorMap = {};
          model.variables.forEach((v, k) => (grads[v.name] = tf.tensor(r.grads[k], v.shape)));
          const norm = tf.tidy(() =>
            tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))))
          );
          referenceNorms.push(norm.dataSync()[0]);
          norm.dispose();
          clipByGlobalNorm(grads, 0.05);
          optimizer.applyGradients(
            Object.entries(grads).map(([name, tensor]) => ({ name, tensor })),
          );
          tf.dispose(grads);
        }
      } finally {
        optimizer.dispose();
      }
      const reference = model.variables.map((v) => Array.from(v.dataSync()));
      tf.dispose(model.variables);

      const ours = trainerRun(steps, 0.05);
      const plain = trainerRun(steps);
      assert.equal(tf.memory().numTensors, before, "no tensor left behind");
      // Every step clipped, by different factors (Adam undoes a constant one).
      assert.ok(referenceNorms.every((n) => n > 0.1), `norms ${referenceNorms}`);
      assert.ok(Math.max(...referenceNorms) > 1.2 * Math.min(...referenceNorms));
      // The norms before clipping (after it they would be 0.05).
      ours.norms.forEach((n, i) => {
        const r = referenceNorms[i];
        assert.ok(Math.abs(n - r) <= 1e-5 * r, `norm ${i}: ${n} vs ${r}`);
      });
      assert.equal(ours.norms[0], plain.norms[0]);
      let moved = 0;
      ours.weights.forEach((w, k) =>
        w.forEach((x, i) => {
          const r = reference[k][i];
          assert.ok(Math.abs(x - r) <= 1e-6 + 1e-5 * Math.abs(r), `w${k}[${i}]: ${x} vs ${r}`);
          moved = Math.max(moved, Math.abs(x - plain.weights[k][i]));
        })
      );
      assert.ok(moved > 1e-4, `clipping changed the weights (by ${moved} at most)`);
    } finally {
      await useCpu();
    }
  },
});

Deno.test({
  name: "CPU trainer: a clipNorm above every norm changes no bit; clipNorm must be positive",
  ignore: noBlas !== null,
  async fn() {
    await initBackend("wasm", { quiet: true });
    try {
      const loose = trainerRun(3, 1e6);
      const plain = trainerRun(3);
      assert.deepEqual(loose, plain);
      assert.ok(plain.norms.every((n) => Number.isFinite(n) && n > 0));
      const model = twinModel();
      try {
        for (const clipNorm of [0, -1, NaN, Infinity]) {
          assert.throws(
            () => new CpuTrainer(model, 0.01, { clipNorm }),
            /clipNorm must be a positive finite number/,
          );
        }
      } finally {
        tf.dispose(model.variables);
      }
    } finally {
      await useCpu();
    }
  },
});

Deno.test({
  name: "CPU trainer: a NaN input gives a NaN loss and gradient norm",
  ignore: noBlas !== null,
  async fn() {
    await initBackend("wasm", { quiet: true });
    const model = twinModel();
    try {
      const trainer = new CpuTrainer(model, 0.01, { clipNorm: 0.25 });
      const batch = clipBatch(0);
      const finite = trainer.step(batch, clipLoss);
      assert.ok(Number.isFinite(finite.loss) && Number.isFinite(finite.gradNorm));
      batch.x[3] = NaN;
      const r = trainer.step(batch, clipLoss);
      assert.ok(Number.isNaN(r.loss), `loss ${r.loss}`);
      assert.ok(Number.isNaN(r.gradNorm), `gradient norm ${r.gradNorm}`);
    } finally {
      tf.dispose(model.variables);
      await useCpu();
    }
  },
});
