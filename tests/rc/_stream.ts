/** Shared by the streaming tests: the keyword model in a state whose confidence moves, and meta. */
import * as tf from "@tensorflow/tfjs";
import { DEFAULT_LOGMEL } from "../../lib/encode/logmel.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import type { KwsMeta } from "../../lib/rc/stream.ts";

/**
 * The keyword model (LSTM 20-128, readout 32, 10 classes), random, with W and U scaled by 3 and
 * the output layer by 8: at PyTorch's initialisation the softmax stays near uniform
 * (0.12 +- 0.01); scaled, its confidence moves over a clip (0.2 to 0.7), so a threshold crossed
 * mid-clip exists.
 */
export function keywordModel(seed: number): Lstm {
  const model = new Lstm({
    numInputs: 20,
    hiddenSize: 128,
    readoutHidden: [32],
    numOutputs: 10,
    seed,
  });
  model.variables.forEach((v, k) => {
    const scale = k < 2 ? 3 : k >= 5 ? 8 : 1;
    tf.tidy(() => v.assign(tf.mul(v, scale)));
  });
  return model;
}

/** A keyword run's weights `meta` (FSDD digits, default log-mel). */
export function kwsMeta(threshold: number, mean: number[], std: number[]): KwsMeta {
  return {
    kind: "kws",
    dataset: "fsdd",
    classes: [..."0123456789"],
    threshold,
    logmel: DEFAULT_LOGMEL,
    mean,
    std,
  };
}
