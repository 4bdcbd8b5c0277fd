/**
 * The ConvLSTM training iteration bench/conv_lstm.ts and bench/conv_lstm_phases.ts time: batch
 * 128 of 28x28 binary frames (20 % on, seed 1), softmax cross-entropy on the last step's logits
 * (EOS), Adam 1e-3.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ConvLstm } from "../lib/models/conv_lstm.ts";
import { Rng } from "../lib/random.ts";

export const CONV_BATCH = 128;

/** `steps` frames `[128, 784]` and one-hot labels `[128, 10]`. */
export function convLstmInputs(steps: number): { frames: tf.Tensor2D[]; labels: tf.Tensor } {
  const rng = new Rng(1);
  const frames = Array.from(
    { length: steps },
    () =>
      tf.tensor2d(
        Float32Array.from({ length: CONV_BATCH * 784 }, () => (rng.next() < 0.2 ? 1 : 0)),
        [CONV_BATCH, 784],
      ),
  );
  const labels = tf.oneHot(
    tf.tensor1d(Array.from({ length: CONV_BATCH }, () => rng.int(10)), "int32"),
    10,
  );
  return { frames, labels };
}

/** One training iteration over the first `steps` frames, awaited to its loss's readback. */
export async function convLstmIteration(
  model: ConvLstm,
  optimizer: tf.Optimizer,
  { frames, labels }: { frames: tf.Tensor2D[]; labels: tf.Tensor },
  steps: number,
): Promise<void> {
  const { value, grads } = tf.variableGrads(() => {
    let state = model.initialState(CONV_BATCH);
    let logits: tf.Tensor2D | null = null;
    for (let t = 0; t < steps; t++) ({ state, logits } = model.step(state, frames[t]));
    return tf.losses.softmaxCrossEntropy(labels, logits!) as tf.Scalar;
  }, model.variables);
  optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
  await value.data();
  tf.dispose([value, ...Object.values(grads)]);
}
