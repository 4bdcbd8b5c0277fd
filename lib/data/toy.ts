/**
 * The two synthetic tasks of the paper, generated on the fly from a seeded generator.
 *
 * Both produce time-first batches: `x` is `[T, B, 1]` flattened (index `t * B + b`).
 * @module
 */
import type { Rng } from "../random.ts";
import type { SequenceBatch } from "./batch.ts";

/** Sequence spotting (paper Sec. 3.1, App. B.1): T = 25, Poisson rate 0.5, run length 5. */
export interface SpottingOptions {
  numSteps?: number;
  rate?: number;
  runLength?: number;
}

/**
 * Label and earliest decisive step of one binary sequence for sequence spotting.
 *
 * Positive (1) when a run of at least `runLength` equal values occurs; its earliest decisive
 * step is the end of the first such run. A negative sequence is decided at the first step `t`
 * after which no run can still be completed: the current run's length plus the steps left is
 * below `runLength` (a new run that starts later is shorter than that too).
 */
export function spottingLabel(
  bits: ArrayLike<number>,
  runLength = 5,
): { label: number; earliest: number } {
  const n = bits.length;
  let run = 0;
  for (let t = 0; t < n; t++) {
    run = t > 0 && bits[t] === bits[t - 1] ? run + 1 : 1;
    if (run >= runLength) return { label: 1, earliest: t };
  }
  run = 0;
  for (let t = 0; t < n; t++) {
    run = t > 0 && bits[t] === bits[t - 1] ? run + 1 : 1;
    if (run + (n - 1 - t) < runLength) return { label: 0, earliest: t };
  }
  return { label: 0, earliest: n - 1 };
}

/** A batch of the sequence-spotting task. */
export function spottingBatch(
  rng: Rng,
  batchSize: number,
  opts: SpottingOptions = {},
): SequenceBatch {
  const numSteps = opts.numSteps ?? 25;
  const rate = opts.rate ?? 0.5;
  const runLength = opts.runLength ?? 5;
  const x = new Float32Array(numSteps * batchSize);
  const y = new Int32Array(batchSize);
  const earliest = new Int32Array(batchSize);
  const bits = new Uint8Array(numSteps);
  for (let b = 0; b < batchSize; b++) {
    for (let t = 0; t < numSteps; t++) {
      bits[t] = rng.next() < rate ? 1 : 0;
      x[t * batchSize + b] = bits[t];
    }
    const { label, earliest: e } = spottingLabel(bits, runLength);
    y[b] = label;
    earliest[b] = e;
  }
  return { x, y, numSteps, batchSize, numFeatures: 1, earliest };
}

/** The 2-sequence problem (paper Sec. 3.2, App. B.2). */
export interface TwoSequenceOptions {
  numSteps?: number;
  mean?: number;
  sigmaMin?: number;
  sigmaMax?: number;
}

/**
 * A batch of the 2-sequence problem: each sequence is `numSteps` samples of N(±mean, σ²) with
 * σ ~ U(sigmaMin, sigmaMax) drawn once per sequence; class 1 for +mean, 0 for -mean, equally
 * likely.
 */
export function twoSequenceBatch(
  rng: Rng,
  batchSize: number,
  opts: TwoSequenceOptions = {},
): SequenceBatch {
  const numSteps = opts.numSteps ?? 40;
  const mean = opts.mean ?? 0.05;
  const sigmaMin = opts.sigmaMin ?? 0.05;
  const sigmaMax = opts.sigmaMax ?? 0.25;
  const x = new Float32Array(numSteps * batchSize);
  const y = new Int32Array(batchSize);
  for (let b = 0; b < batchSize; b++) {
    const label = rng.next() < 0.5 ? 1 : 0;
    const sigma = rng.uniform(sigmaMin, sigmaMax);
    const mu = label === 1 ? mean : -mean;
    for (let t = 0; t < numSteps; t++) x[t * batchSize + b] = mu + sigma * rng.normal();
    y[b] = label;
  }
  return { x, y, numSteps, batchSize, numFeatures: 1 };
}
