/**
 * fit() with the CPU trainer (the CPU engine and its SIMD Adam) against fit() with tfjs's Adam on
 * wasm: the same bits (weights, losses, curves), RC and EOS.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import { openBlas } from "../../lib/ops/blas.ts";
import { twoSequenceBatch } from "../../lib/data/toy.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import { Rng } from "../../lib/random.ts";
import { setCpuTrainerEnabled } from "../../lib/accel/cpu_trainer.ts";
import { fit, type FitOptions } from "../../lib/rc/train.ts";
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
