/**
 * Run by conv_lstm_cell_test.ts in a process of its own (the heap it leaves is not one to share):
 * tfjs-wasm's heap grown to 3.85 GB with its top 0.98 GB free, then a ConvLSTM 5x5 step of 900
 * examples, whose 1.48 GB im2col cannot fit below 4 GB. Prints the op's error message, or "ran".
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import { convLstmCell } from "../../lib/ops/conv_lstm_cell.ts";

await initBackend("wasm", { quiet: true });
const be = tf.backend() as unknown as {
  makeOutput(shape: number[], dtype: string): { dataId: object };
  disposeData(dataId: object): void;
};
const MB = 2 ** 18; // floats in a MiB
const [n, C, K] = [900, 20, 5];
const x = tf.zeros([n, 784]) as tf.Tensor2D;
const hc = tf.zeros([n, 28, 28, 2 * C]) as tf.Tensor4D;
const kernel = tf.zeros([K, K, 1 + C, 4 * C]) as tf.Tensor4D;
const bias = tf.zeros([4 * C]) as tf.Tensor1D;
const filler = be.makeOutput([2600 * MB], "float32");
const top = be.makeOutput([980 * MB], "float32");
be.disposeData(top.dataId);
try {
  convLstmCell(x, hc, kernel, bias);
  console.log("ran");
} catch (e) {
  console.log((e as Error).message);
}
be.disposeData(filler.dataId);
