/**
 * `deno run -A bench/conv_lstm_heap.ts [--chunk N] [--kernel K] [--rounds R]`: how far tfjs-wasm's
 * heap grows under a long ConvLSTM-20 run's pattern of allocations on the one-op path (wasm and
 * BLAS): each round a 1,000-example validation pass of 10 steps in chunks of N (no tape, as
 * lib/rc/infer.ts runs it), then training steps with their tape at RC's shrinking batch sizes and
 * step counts (128 down to 78 examples, 1 to 3 steps) and one full batch of 10 steps. Prints the
 * heap's size after each round: it never shrinks, so its growth is what a run of hours meets.
 * What lib/models/conv_lstm.ts's `TRACE_SCRATCH_BYTES` was chosen from (its comment has the
 * numbers).
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend.ts";
import { convLstmCell, convLstmCellFromZero } from "../lib/ops/conv_lstm_cell.ts";

const { values } = parseArgs({
  options: {
    chunk: { type: "string", default: "1000" },
    kernel: { type: "string", default: "3" },
    rounds: { type: "string", default: "4" },
  },
});
const [chunk, K, rounds] = [values.chunk, values.kernel, values.rounds].map(Number);
await initBackend("wasm");
const be = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } };
const [H, W, C, T] = [28, 28, 20, 10];
const kernel = tf.variable(tf.randomUniform([K, K, 1 + C, 4 * C], -0.1, 0.1));
const bias = tf.variable(tf.zeros([4 * C]));

/** `steps` steps over `n` random frames from the zero state; with its gradients when `train`. */
function pass(n: number, steps: number, train: boolean): void {
  tf.tidy(() => {
    const f = () => {
      const frame = () => tf.randomUniform([n, H * W]) as tf.Tensor2D;
      const kx = tf.slice(kernel, [0, 0, 0, 0], [K, K, 1, 4 * C]) as tf.Tensor4D;
      let hc = convLstmCellFromZero(frame(), [n, H, W, 2 * C], kx, bias as tf.Tensor1D);
      for (let t = 1; t < steps; t++) {
        hc = convLstmCell(frame(), hc, kernel as tf.Tensor4D, bias as tf.Tensor1D);
      }
      return tf.sum(hc) as tf.Scalar;
    };
    if (train) tf.variableGrads(f);
    else f();
  });
}

console.log(`ConvLSTM-20 ${K}x${K}, validation chunks of ${chunk}, ${rounds} rounds`);
for (let round = 1; round <= rounds; round++) {
  for (let start = 0; start < 1000; start += chunk) pass(Math.min(chunk, 1000 - start), T, false);
  for (let i = 0; i < 6; i++) pass(128 - 10 * i, 1 + (i % 3), true);
  pass(128, T, true);
  const mb = be.wasm.HEAPU8.length / 2 ** 20;
  console.log(`round ${round}: heap ${mb.toFixed(0)} MB, ${tf.memory().numTensors} tensors`);
}
