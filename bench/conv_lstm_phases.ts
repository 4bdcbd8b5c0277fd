/**
 * ms per ConvLSTM-20 training iteration (batch 128, T steps, EOS loss at the last step) and the op
 * thread's time by phase (lib/ops/conv_lstm_cell.ts's convLstmCellTimes): for A/B checks of the
 * op between two builds, run alternately from two checkouts (bench/README.md, 2026-12-07).
 *
 *   deno run -A bench/conv_lstm_phases.ts [k = 3] [T = 10] [iterations = 6]
 *
 * Prints one line per iteration: "it i: total ms; im2col ms gemm ms cell ms" (the first iteration
 * includes the heap's growth).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/backend.ts";
import { ConvLstm } from "../lib/models/conv_lstm.ts";
import { convLstmCellTimes, resetConvLstmCellTimes } from "../lib/ops/conv_lstm_cell.ts";
import { convLstmInputs, convLstmIteration } from "./_conv_lstm_workload.ts";

await initBackend("wasm");
const T = Number(Deno.args[1] ?? 10), hidden = 20, k = Number(Deno.args[0] ?? 3);
const inputs = convLstmInputs(T);
const model = new ConvLstm({ hiddenChannels: hidden, kernelSize: k, numOutputs: 10, seed: 1 });
const optimizer = tf.train.adam(1e-3);
for (let it = 0; it < Number(Deno.args[2] ?? 6); it++) {
  resetConvLstmCellTimes();
  const t0 = performance.now();
  await convLstmIteration(model, optimizer, inputs, T);
  const c = convLstmCellTimes;
  console.log(
    `it ${it}: ${(performance.now() - t0).toFixed(0)} ms; im2col ${c.im2colMs.toFixed(0)} gemm ${
      c.gemmMs.toFixed(0)
    } cell ${c.cellMs.toFixed(0)}`,
  );
}
