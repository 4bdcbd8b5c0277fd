/**
 * Plain-data records the trainer produces; run records and the report reuse them (no tfjs here).
 * @module
 */

/** One validation point during training. */
export interface CurvePoint {
  batch: number;
  examples: number;
  loss: number;
  /** RC-inference (first spike at the training threshold) accuracy. */
  spikingAccuracy: number;
  meanSpikeTime: number;
  /**
   * Percentiles of the validation examples' first-spike step (counted as `meanSpikeTime`), keyed
   * by percent: "10", "25", "50", "75", "90". Absent in runs recorded before they were kept.
   */
  spikeTimePercentiles?: Record<string, number>;
  fractionFired: number;
  /** Accuracy read at the last step. */
  eosAccuracy: number;
  wallSeconds: number;
  /** β in force at this point, when training followed a β schedule. */
  beta?: number;
  /** Live tfjs tensors and their bytes, and the process's resident memory, at this point. */
  numTensors?: number;
  tensorBytes?: number;
  rssBytes?: number;
}

/** Work done, counted as example-steps, with analytic FLOPs and measured time. */
export interface ComputeCounts {
  /** Example-steps the forward pass computed (all passes, bucket padding included). */
  forwardSteps: number;
  /** Example-steps the algorithm needs: sum over examples of (t_sp + 1). */
  forwardStepsNeeded: number;
  /** Example-steps backpropagated through: sum of (t_sp + 1), N*T for EOS. */
  backwardSteps: number;
  /** Example-steps an end-of-sequence run of the same data would compute: N*T. */
  eosSteps: number;
  flops: number;
  wallSeconds: number;
  examples: number;
  /**
   * WebGPU engine only: compute workgroups dispatched, the host's direct dispatches plus those
   * whose size the GPU wrote (halting on the GPU: steps after every spike cost none).
   */
  gpuWorkgroups?: number;
}

/**
 * RC against EOS on the same trained model and the same batches, the two interleaved batch by
 * batch (order alternating), so that the machine's drift over a long run cancels: the cleanest
 * measure of how much wall-clock the skipped steps save once a model spikes early.
 */
export interface PairedTiming {
  batches: number;
  batchSize: number;
  rcSeconds: number;
  eosSeconds: number;
  /** Training: backward example-steps (sum of t_sp + 1); inference: forward example-steps computed. */
  rcSteps: number;
  eosSteps: number;
  /** What was timed, in words. */
  what: string;
}

/** Counts of nothing yet. */
export function zeroCounts(): ComputeCounts {
  return {
    forwardSteps: 0,
    forwardStepsNeeded: 0,
    backwardSteps: 0,
    eosSteps: 0,
    flops: 0,
    wallSeconds: 0,
    examples: 0,
  };
}
