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
