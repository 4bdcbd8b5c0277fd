/**
 * fit() stops on a non-finite loss on every path, naming the run, the batch and the last finite
 * validation point, and leaves the model holding the best weights before it.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import "../../lib/accel/register.ts";
import type { SequenceBatch } from "../../lib/data/batch.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import { Rng } from "../../lib/random.ts";
import type { PathName } from "../../lib/rc/paths.ts";
import { DivergenceError, fit } from "../../lib/rc/train.ts";
import { randomBatch } from "../accel/_engine.ts";
import { noBlasReason, noWebGpuReason, warmEngineKernels } from "../_backend.ts";

const CASES: { backend: "cpu" | "wasm" | "webgpu"; path: PathName; skip: string | null }[] = [
  { backend: "cpu", path: "tfjs", skip: null },
  { backend: "wasm", path: "cpu-engine", skip: noBlasReason },
  { backend: "webgpu", path: "webgpu-engine", skip: noWebGpuReason },
];

for (const c of CASES) {
  Deno.test({
    name: `fit() stops on a non-finite loss with a diagnostic (${c.path} on ${c.backend})`,
    ignore: c.skip !== null,
    async fn() {
      if (c.path === "webgpu-engine") await warmEngineKernels();
      await initBackend(c.backend, { quiet: true });
      const before = tf.memory().numTensors;
      const model = new Lstm({ numInputs: 2, hiddenSize: 5, numOutputs: 1, seed: 2 });
      const poisoned = (k: number): SequenceBatch => {
        const b = randomBatch(new Rng(k), 8, 4, 2, 1);
        if (k === 4) b.x.fill(NaN); // the fifth batch
        return b;
      };
      try {
        await assert.rejects(
          fit(model, {
            method: "rc",
            readout: "binary",
            threshold: 0.9,
            beta: 0,
            learningRate: 0.01,
            numBatches: 10,
            trainBatch: poisoned,
            validation: randomBatch(new Rng(99), 16, 4, 2, 1),
            validateEvery: 2,
            path: c.path,
            runName: "toy/rc@test",
          }),
          (e: unknown) => {
            assert.ok(e instanceof DivergenceError, `not a DivergenceError: ${e}`);
            assert.match(e.message, /toy\/rc@test/);
            assert.match(e.message, /non-finite loss/);
            assert.match(e.message, /last finite validation point is batch 4/);
            // Seen at once on the CPU paths; on the GPU engine at the next validation point,
            // whose interval starts at batch 5.
            assert.equal(e.batch, 5);
            assert.equal(e.partial.curves.length, 2);
            assert.equal(e.partial.path.name, c.path);
            return true;
          },
        );
        const weights = await Promise.all(model.variables.map((v) => v.data()));
        assert.ok(weights.every((w) => w.every(Number.isFinite)), "the model kept finite weights");
      } finally {
        tf.dispose(model.variables);
      }
      assert.equal(tf.memory().numTensors, before, "tensors leaked");
    },
  });
}
