/**
 * The rank-coding loss of paper Sec. 2: `L(ŷ, y) - β H(ŷ)` per example, from logits.
 *
 * - `binary`: binary cross-entropy of one sigmoid unit; H the Bernoulli entropy.
 * - `sigmoid`: binary cross-entropy of each class's sigmoid against the one-hot label, summed
 *   over classes; H the sum of the per-class Bernoulli entropies.
 * - `softmax`: categorical cross-entropy; H the entropy of the softmax.
 * - `lif`: as `softmax`, on the output neurons' membrane potentials (paper App. E).
 * All terms are written in a numerically stable form of the logits z:
 *   BCE(z, y) = softplus(z) - y z,  H_bern(z) = softplus(z) - σ(z) z,
 *   CE(z, y) = logsumexp(z) - z_y,  H_soft(z) = logsumexp(z) - Σ_j softmax(z)_j z_j.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Readout } from "./spike.ts";

/**
 * Per-example loss `[B]` of logits `[B, O]` and integer labels `[B]`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { rcLoss } from "./loss.ts";
 * await tf.setBackend("cpu");
 * const loss = rcLoss(tf.tensor2d([[0]]), tf.tensor1d([1], "int32"), "binary", 0);
 * Math.abs((await loss.data())[0] - Math.log(2)) < 1e-6; // true
 * ```
 */
export function rcLoss(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  readout: Readout,
  beta: number,
): tf.Tensor1D {
  return tf.tidy(() => {
    const numOutputs = logits.shape[1];
    if (readout === "binary") {
      const z = logits.reshape([-1]);
      const y = tf.cast(labels, "float32");
      const sp = tf.softplus(z);
      const bce = tf.sub(sp, tf.mul(y, z));
      if (beta === 0) return bce as tf.Tensor1D;
      const entropy = tf.sub(sp, tf.mul(tf.sigmoid(z), z));
      return tf.sub(bce, tf.mul(beta, entropy)) as tf.Tensor1D;
    }
    const oneHot = tf.oneHot(tf.cast(labels, "int32"), numOutputs).cast("float32");
    if (readout === "sigmoid") {
      const sp = tf.softplus(logits);
      const bce = tf.sum(tf.sub(sp, tf.mul(oneHot, logits)), 1);
      if (beta === 0) return bce as tf.Tensor1D;
      const entropy = tf.sum(tf.sub(sp, tf.mul(tf.sigmoid(logits), logits)), 1);
      return tf.sub(bce, tf.mul(beta, entropy)) as tf.Tensor1D;
    }
    const lse = tf.logSumExp(logits, 1);
    const ce = tf.sub(lse, tf.sum(tf.mul(oneHot, logits), 1));
    if (beta === 0) return ce as tf.Tensor1D;
    const entropy = tf.sub(lse, tf.sum(tf.mul(tf.softmax(logits), logits), 1));
    return tf.sub(ce, tf.mul(beta, entropy)) as tf.Tensor1D;
  });
}

/**
 * Collects, step by step, the logits at which examples take their loss, and computes the batch's
 * summed loss once at the end: one loss over the concatenated rows instead of one per step. RC
 * examples spike at many different steps; a loss (and its backward) per such step cost more than
 * the steps RC skips on the CPU backends.
 */
export class LossCollector {
  #logits: tf.Tensor2D[] = [];
  #labels: number[] = [];
  #mask: number[] = [];

  /** Rows of `logits` `[n, O]` with `mask[r] = 1` take their loss here, against `labels[r]`. */
  add(logits: tf.Tensor2D, labels: ArrayLike<number>, mask: ArrayLike<number>): void {
    this.#logits.push(logits);
    for (let r = 0; r < logits.shape[0]; r++) {
      this.#labels.push(labels[r]);
      this.#mask.push(mask[r]);
    }
  }

  /** Σ over masked rows of `L - βH` (a scalar; 0 when nothing was added). */
  sum(readout: Readout, beta: number): tf.Scalar {
    if (this.#logits.length === 0) return tf.scalar(0);
    const logits = this.#logits.length === 1 ? this.#logits[0] : tf.concat(this.#logits, 0);
    const perRow = rcLoss(logits, tf.tensor1d(this.#labels, "int32"), readout, beta);
    return tf.sum(tf.mul(perRow, tf.tensor1d(this.#mask))) as tf.Scalar;
  }
}
