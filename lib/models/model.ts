/**
 * The one interface every recurrent model implements: stepped one time step at a time, so
 * rank coding can stop anywhere and the batch can shrink between steps.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../random.ts";

/**
 * A recurrent model with a linear (or MLP) readout producing logits.
 *
 * State is a list of tensors whose first axis is the batch, so the trainer can drop finished
 * examples from the front of a sorted batch by slicing, without knowing the model.
 */
export interface RecurrentModel {
  readonly name: string;
  readonly numInputs: number;
  readonly numOutputs: number;
  /** Trainable variables, in a fixed order. */
  readonly variables: tf.Variable[];
  /** Zero state for `batchSize` examples. */
  initialState(batchSize: number): tf.Tensor[];
  /** One time step: input `[B, F]` and state to new state and logits `[B, O]`. */
  step(state: tf.Tensor[], input: tf.Tensor2D): { state: tf.Tensor[]; logits: tf.Tensor2D };
  /**
   * Optional: the input projection of many steps at once (`[R, F]` to the model's per-step
   * pre-activations), and a step from such a projection: the trainer then projects all steps of a
   * batch in one matmul instead of one per step (fewer GPU dispatches). `projectsInputs()` says
   * whether the model wants it on the current backend.
   */
  projectsInputs?(): boolean;
  projectInputs?(inputs: tf.Tensor2D): tf.Tensor2D;
  stepProjected?(state: tf.Tensor[], projected: tf.Tensor2D): {
    state: tf.Tensor[];
    logits: tf.Tensor2D;
  };
  /** Analytic forward FLOPs for one example through one time step (readout included). */
  flopsPerStep(): number;
  /**
   * The most examples one forward pass without a tape should take at once (validation and test
   * traces run in chunks of this size); absent: any. A model whose per-example scratch is large
   * (a ConvLSTM's im2col: 1.4 MB an example a step at 20 channels) bounds it so that a chunk fits
   * tfjs-wasm's 4 GB heap.
   */
  maxTraceBatch?(): number;
  /** Plain-data description for run records. */
  describe(): Record<string, unknown>;
}

/** Writes `weights` (one array per variable, in order) into `variables`. */
export function writeVariables(variables: tf.Variable[], weights: Float32Array[]): void {
  variables.forEach((v, k) => {
    const t = tf.tensor(weights[k], v.shape);
    v.assign(t);
    t.dispose();
  });
}

/** A trainable variable of `shape` drawn uniformly from [-bound, bound] (PyTorch-style init). */
export function uniformVariable(
  rng: Rng,
  shape: number[],
  bound: number,
  name: string,
): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = rng.uniform(-bound, bound);
  const initial = tf.tensor(values, shape);
  const variable = tf.variable(initial, true, name);
  initial.dispose(); // the variable holds its own reference to the data
  return variable;
}
