/** The fused WGSL LSTM cell against the op-by-op path: same loss and gradients. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import { spottingBatch } from "../../lib/data/toy.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import { Rng } from "../../lib/random.ts";
import { batchLoss } from "../../lib/rc/train.ts";
import { noWebGpuReason, useCpu } from "../_backend.ts";

async function lossAndGrads(fusedCell: boolean, steps: Int32Array) {
  const model = new Lstm({
    numInputs: 1,
    hiddenSize: 8,
    numOutputs: 1,
    readoutHidden: [4],
    seed: 5,
    fusedCell,
  });
  const batch = spottingBatch(new Rng(6), 24, { numSteps: 7 });
  const { value, grads } = tf.variableGrads(
    () => batchLoss(model, batch, steps, { readout: "binary", beta: 0.1 }).loss,
    model.variables,
  );
  const out = {
    fused: model.usesFusedCell(),
    loss: (await value.data())[0],
    grads: await Promise.all(
      model.variables.map(async (v) => Array.from(await grads[v.name].data())),
    ),
  };
  tf.dispose([value, ...Object.values(grads), ...model.variables]);
  return out;
}

Deno.test({
  name: "fused WGSL LSTM cell: loss and gradients equal the op-by-op path (webgpu)",
  ignore: noWebGpuReason !== null,
  fn: async () => {
    // Examples stop at different steps, so the batch shrinks (bucketed) inside the taped pass.
    const steps = Int32Array.from({ length: 24 }, (_, i) => i % 7);
    await useCpu();
    const reference = await lossAndGrads(true, steps);
    assert.equal(reference.fused, false);
    await initBackend("webgpu", { quiet: true });
    try {
      const fused = await lossAndGrads(true, steps);
      const plain = await lossAndGrads(false, steps);
      assert.equal(fused.fused, true);
      assert.equal(plain.fused, false);
      for (const other of [fused, plain]) {
        assert.ok(
          Math.abs(other.loss - reference.loss) < 1e-5,
          `loss ${other.loss} vs ${reference.loss}`,
        );
        other.grads.forEach((g, k) =>
          g.forEach((v, i) =>
            assert.ok(
              Math.abs(v - reference.grads[k][i]) < 1e-4 + 1e-3 * Math.abs(reference.grads[k][i]),
              `variable ${k}[${i}]: ${v} vs ${reference.grads[k][i]}`,
            )
          )
        );
      }
    } finally {
      await useCpu();
    }
  },
});
