/**
 * Accuracy and timing of traces: RC-inference at a threshold, and reading at a fixed step.
 * Pure functions of traces and labels; no tfjs.
 * @module
 */
import { firstSpikes, type Traces } from "./spike.ts";

export interface SpikeMetrics {
  /** Fraction of examples whose label at the first spike (or the last step, if none) is right. */
  accuracy: number;
  /** Mean number of input steps consumed: mean of (t_sp + 1). */
  meanSpikeTime: number;
  fractionFired: number;
}

/** RC-inference metrics at `threshold`. */
export function spikeMetrics(traces: Traces, labels: Int32Array, threshold: number): SpikeMetrics {
  checkLabels(traces, labels);
  const { steps, fired } = firstSpikes(traces, threshold);
  const B = traces.batchSize;
  let correct = 0, time = 0, numFired = 0;
  for (let b = 0; b < B; b++) {
    if (traces.label[steps[b] * B + b] === labels[b]) correct++;
    time += steps[b] + 1;
    numFired += fired[b];
  }
  return { accuracy: correct / B, meanSpikeTime: time / B, fractionFired: numFired / B };
}

/** Accuracy when every example is read at the same 0-based `step` (EOS: the last step). */
export function accuracyAtStep(traces: Traces, labels: Int32Array, step: number): number {
  checkLabels(traces, labels);
  if (step < 0 || step >= traces.numSteps) {
    throw new Error(`accuracyAtStep: step ${step} outside [0, ${traces.numSteps}).`);
  }
  const B = traces.batchSize;
  let correct = 0;
  for (let b = 0; b < B; b++) if (traces.label[step * B + b] === labels[b]) correct++;
  return correct / B;
}

function checkLabels(traces: Traces, labels: Int32Array): void {
  if (labels.length !== traces.batchSize) {
    throw new Error(
      `Labels (${labels.length}) and traces (${traces.batchSize} examples) differ in length.`,
    );
  }
}

/** The percentiles of first-spike steps a validation point records (Fig. 2B's bands). */
export const SPIKE_TIME_PERCENTS = [10, 25, 50, 75, 90] as const;

/**
 * The `p`-th percentile (0-100) of `values` by nearest rank: the smallest value with at least
 * p % of the values at or below it (p = 0: the smallest). NaN for no values.
 * @example
 * ```ts
 * import { percentile } from "./evaluate.ts";
 * percentile([4, 1, 3, 2], 50); // 2
 * percentile([4, 1, 3, 2], 90); // 4
 * ```
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile: p = ${p} outside [0, 100].`);
  const sorted = Array.from(values).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * Percentiles of the first-spike step at `threshold`, counted as `meanSpikeTime` counts it (steps
 * consumed, t_sp + 1; an example that never spikes at the last step), keyed by percent ("10",
 * "25", ...).
 */
export function spikeTimePercentiles(
  traces: Traces,
  threshold: number,
  percents: readonly number[] = SPIKE_TIME_PERCENTS,
): Record<string, number> {
  const { steps } = firstSpikes(traces, threshold);
  const consumed = Array.from(steps, (s) => s + 1).sort((a, b) => a - b);
  return Object.fromEntries(percents.map((p) => [String(p), percentile(consumed, p)]));
}
