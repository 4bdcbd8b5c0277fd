/**
 * How one training step's cost scales with the examples still running: the toy LSTM (1-125-1,
 * T = 40) trained on batches cut to 128, 64, ... 1 examples, ms per time step, through the CPU
 * engine and through the tfjs op-by-op path (fused cell). RC's skipped example-steps save
 * wall-clock only as far as this cost is proportional to the examples.
 *
 *   deno run -A bench/step_scaling.ts
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend.ts";
import { selectRows } from "../lib/data/batch.ts";
import { twoSequenceBatch } from "../lib/data/toy.ts";
import { Lstm } from "../lib/models/lstm.ts";
import { Rng } from "../lib/random.ts";
import { nativeAvailable, nativeLossAndGrads } from "../lib/accel/cpu_engine.ts";
import { batchLoss } from "../lib/rc/train.ts";

await initBackend("wasm");
const model = new Lstm({ numInputs: 1, hiddenSize: 125, numOutputs: 1, seed: 1 });
const full = twoSequenceBatch(new Rng(2), 128);
const T = full.numSteps;
console.log(`ms per time step, forward + backward, no Adam (T = ${T})`);
for (const B of [128, 64, 32, 16, 8, 1]) {
  const batch = selectRows(full, Int32Array.from({ length: B }, (_, i) => i));
  const steps = new Int32Array(B).fill(T - 1);
  const engine = () => nativeLossAndGrads(model, batch, { readout: "binary", beta: 0, steps });
  const tfjs = () => {
    const { value, grads } = tf.variableGrads(
      () => batchLoss(model, batch, steps, { readout: "binary", beta: 0 }).loss,
      model.variables,
    );
    tf.dispose([value, ...Object.values(grads)]);
  };
  const time = (f: () => unknown) => {
    for (let i = 0; i < 3; i++) f();
    const began = performance.now();
    for (let i = 0; i < 20; i++) f();
    return (performance.now() - began) / 20 / T;
  };
  const e = nativeAvailable() ? time(engine).toFixed(3) : "n/a (no BLAS)";
  console.log(
    `${String(B).padStart(3)} examples: CPU engine ${e}, tfjs path ${time(tfjs).toFixed(3)}`,
  );
}
