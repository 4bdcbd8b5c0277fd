/**
 * Readouts and the first output spike.
 *
 * Every readout reduces to one confidence and one label per example and step; the example
 * spikes at the first step whose confidence reaches θ:
 * - `binary`  one sigmoid unit p: confidence max(p, 1 - p), label p >= 0.5 (spike at p >= θ or
 *             p <= 1 - θ, the paper's two-sided threshold for the toy tasks);
 * - `sigmoid` one sigmoid per class: confidence max_j σ(z_j), label argmax;
 * - `softmax` confidence max_j softmax(z)_j, label argmax;
 * - `lif`     the logits are output neurons' membrane potentials (a spiking network): confidence
 *             max_j z_j, label argmax; with θ = the neurons' V_th, the first output neuron to
 *             fire (its loss, lib/rc/loss.ts, is softmax cross-entropy on the potentials).
 * Ties between classes go to the lowest class index (argmax's rule).
 * @module
 */
import * as tf from "@tensorflow/tfjs";

export type Readout = "binary" | "sigmoid" | "softmax" | "lif";
export const READOUTS: readonly Readout[] = ["binary", "sigmoid", "softmax", "lif"];

/** The first spike of one example: `step` is 0-based; no crossing gives the last step, unfired. */
export interface FirstSpike {
  step: number;
  fired: boolean;
}

/** Confidence `[B]` and label `[B]` (int32) of logits `[B, O]` under a readout. */
export function confidenceAndLabel(
  logits: tf.Tensor2D,
  readout: Readout,
): { confidence: tf.Tensor1D; label: tf.Tensor1D } {
  return tf.tidy(() => {
    if (readout === "binary") {
      if (logits.shape[1] !== 1) {
        throw new Error(
          `The binary readout needs 1 output unit: the model has ${logits.shape[1]}.`,
        );
      }
      const p = tf.sigmoid(logits).reshape([-1]) as tf.Tensor1D;
      const confidence = tf.maximum(p, tf.sub(1, p)) as tf.Tensor1D;
      return { confidence, label: tf.cast(tf.greaterEqual(p, 0.5), "int32") as tf.Tensor1D };
    }
    if (readout === "lif") {
      return {
        confidence: tf.max(logits, 1) as tf.Tensor1D,
        label: tf.argMax(logits, 1) as tf.Tensor1D,
      };
    }
    const probs = readout === "softmax" ? tf.softmax(logits) : tf.sigmoid(logits);
    return {
      confidence: tf.max(probs, 1) as tf.Tensor1D,
      label: tf.argMax(probs, 1) as tf.Tensor1D,
    };
  });
}

/**
 * First spike of one example from its per-step confidences `[T]` (NaN = not computed, never a
 * spike). A spike at step 0 is a spike; none gives `{ step: T - 1, fired: false }`.
 * @example
 * ```ts
 * import { firstSpike } from "./spike.ts";
 * firstSpike([0.2, 0.97, 0.99], 0.95); // { step: 1, fired: true }
 * firstSpike([0.2, 0.3], 0.95); // { step: 1, fired: false }
 * ```
 */
export function firstSpike(confidence: ArrayLike<number>, threshold: number): FirstSpike {
  const n = confidence.length;
  if (n === 0) throw new Error("firstSpike: the sequence has no steps.");
  for (let t = 0; t < n; t++) if (confidence[t] >= threshold) return { step: t, fired: true };
  return { step: n - 1, fired: false };
}

/**
 * Per-step traces of a batch: confidence and label for every example at every computed step.
 * Layout `[T, B]` flattened time first; steps not computed hold NaN confidence and label -1.
 */
export interface Traces {
  numSteps: number;
  batchSize: number;
  confidence: Float32Array;
  label: Int32Array;
}

/** First spikes of every example of `traces` at `threshold`: steps `[B]` and fired `[B]`. */
export function firstSpikes(
  traces: Traces,
  threshold: number,
): { steps: Int32Array; fired: Uint8Array } {
  const { numSteps: T, batchSize: B, confidence } = traces;
  const steps = new Int32Array(B).fill(T - 1);
  const fired = new Uint8Array(B);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      if (confidence[t * B + b] >= threshold) {
        steps[b] = t;
        fired[b] = 1;
        break;
      }
    }
  }
  return { steps, fired };
}

/** The label each example reads at its own step `[B]` (e.g. its first spike). */
export function labelsAt(traces: Traces, steps: Int32Array): Int32Array {
  const out = new Int32Array(traces.batchSize);
  for (let b = 0; b < traces.batchSize; b++) out[b] = traces.label[steps[b] * traces.batchSize + b];
  return out;
}
