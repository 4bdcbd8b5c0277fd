/**
 * What fit() asks of a path's training steps (`StepRunner`), and the bookkeeping every runner
 * shares: where each example takes its loss, the compute counts, the mean loss. The runners: the
 * tfjs path's (lib/rc/tfjs_runner.ts) and those an accelerator's `trainer` makes.
 * @module
 */
import type { SequenceBatch } from "../data/batch.ts";
import type { OptimizerState } from "./checkpoint.ts";
import type { PathChoice } from "./paths.ts";
import type { FitOptions } from "./train.ts";
import type { ComputeCounts } from "./types.ts";

/** A non-finite value seen in training: which batch (counted from the last flush) and what. */
export interface NonFinite {
  offset: number;
  what: string;
}

/** One fit()'s training steps on one path, and the owner of the weights between validation points. */
export interface StepRunner {
  readonly path: PathChoice;
  /**
   * One batch: loss, gradients, the optimizer's update; adds what it computed to `compute`.
   * Returns what was non-finite where the path sees it at once (cpu, wasm), else null.
   */
  step(batch: SequenceBatch, compute: ComputeCounts): Promise<string | null>;
  /**
   * The mean loss of the steps since the last call and the first non-finite loss or gradient
   * among them; leaves the model's variables holding the current weights. Time spent waiting for
   * work still running counts as training.
   */
  flush(compute: ComputeCounts): Promise<{ meanLoss: number; nonFinite: NonFinite | null }>;
  /**
   * Waits for the work in flight (timing), without touching the model's variables; adds to
   * `compute` the example-steps that only the device knew (RC halting on the GPU).
   */
  settle(compute?: ComputeCounts): Promise<void>;
  /** The optimizer's state (after a flush). */
  exportState(): Promise<OptimizerState>;
  /** Restores the optimizer's state, before the first step. */
  importState(state: OptimizerState): Promise<void>;
  dispose(): void;
}

/** Where each example takes its loss in a training step: RC's threshold or the last step. */
export function lossAt(opts: FitOptions, batch: SequenceBatch) {
  return opts.method === "rc"
    ? { readout: opts.readout, beta: opts.beta, threshold: opts.threshold }
    : {
      readout: opts.readout,
      beta: opts.beta,
      steps: new Int32Array(batch.batchSize).fill(batch.numSteps - 1),
    };
}

/** Adds one step's example-step counts to `compute` (backward at twice the forward's cost). */
export function count(
  compute: ComputeCounts,
  flopsPerStep: number,
  steps: Int32Array,
  forward: number,
  backward: number,
): void {
  const needed = steps.reduce((s, t) => s + t + 1, 0);
  compute.forwardSteps += forward;
  compute.forwardStepsNeeded += needed;
  compute.backwardSteps += needed;
  compute.flops += flopsPerStep * (forward + 2 * backward);
}

/** Float32 running mean, as a float32 accumulator adds them in order. */
export function meanOf(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum = Math.fround(sum + values[i]);
  return sum / values.length;
}
