/**
 * Global-L2-norm gradient clipping, as fit()'s tfjs path applies it before Adam (the accelerators
 * clip the same way inside their trainers).
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The global L2 norm of `grads` (a scalar tensor). */
export function globalNorm(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() =>
    tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as tf.Scalar
  );
}

/** Scales `grads` in place so that their global L2 norm is at most `maxNorm`. */
export function clipByGlobalNorm(
  grads: tf.NamedTensorMap,
  maxNorm: number,
  /** The gradients' global norm, when the caller has it already. */
  norm?: tf.Scalar,
): void {
  const names = Object.keys(grads);
  const scale = tf.tidy(() =>
    tf.minimum(1, tf.div(maxNorm, tf.maximum(norm ?? globalNorm(grads), 1e-12)))
  );
  for (const k of names) {
    const old = grads[k];
    grads[k] = tf.mul(old, scale);
    old.dispose();
  }
  scale.dispose();
}
