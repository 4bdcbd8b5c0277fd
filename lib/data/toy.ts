/**
 * The two synthetic tasks of the paper, generated on the fly from a seeded generator.
 *
 * Both produce time-first batches: `x` is `[T, B, 1]` flattened (index `t * B + b`).
 * @module
 */
import type { Rng } from "../random.ts";

/** A batch of sequences, time first. */
export interface SequenceBatch {
  /** Inputs `[T, B, F]`, flattened time first: `x[(t * B + b) * F + f]`. */
  x: Float32Array;
  /** Class index per example `[B]`. */
  y: Int32Array;
  numSteps: number;
  batchSize: number;
  numFeatures: number;
  /**
   * Earliest step (0-based) at which the label is determined by the input seen so far, per
   * example, when the task defines one (sequence spotting); otherwise absent.
   */
  earliest?: Int32Array;
}

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

/** Concatenates batches of equal steps and features along the batch axis. */
export function concatBatches(batches: SequenceBatch[]): SequenceBatch {
  if (batches.length === 0) throw new Error("concatBatches: no batches given.");
  const { numSteps, numFeatures } = batches[0];
  const total = batches.reduce((s, b) => s + b.batchSize, 0);
  const x = new Float32Array(numSteps * total * numFeatures);
  const y = new Int32Array(total);
  const hasEarliest = batches.every((b) => b.earliest);
  const earliest = hasEarliest ? new Int32Array(total) : undefined;
  let offset = 0;
  for (const b of batches) {
    if (b.numSteps !== numSteps || b.numFeatures !== numFeatures) {
      throw new Error(
        `concatBatches: shapes differ (T=${b.numSteps}, F=${b.numFeatures} vs T=${numSteps}, F=${numFeatures}).`,
      );
    }
    for (let t = 0; t < numSteps; t++) {
      x.set(
        b.x.subarray(t * b.batchSize * numFeatures, (t + 1) * b.batchSize * numFeatures),
        (t * total + offset) * numFeatures,
      );
    }
    y.set(b.y, offset);
    if (earliest) earliest.set(b.earliest!, offset);
    offset += b.batchSize;
  }
  return { x, y, numSteps, batchSize: total, numFeatures, earliest };
}

/** Takes examples `rows` of a batch, in that order. */
export function selectRows(batch: SequenceBatch, rows: ArrayLike<number>): SequenceBatch {
  const { numSteps, numFeatures, batchSize } = batch;
  const n = rows.length;
  const x = new Float32Array(numSteps * n * numFeatures);
  const y = new Int32Array(n);
  const earliest = batch.earliest ? new Int32Array(n) : undefined;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    if (r < 0 || r >= batchSize) throw new Error(`selectRows: row ${r} outside [0, ${batchSize}).`);
    y[i] = batch.y[r];
    if (earliest) earliest[i] = batch.earliest![r];
    for (let t = 0; t < numSteps; t++) {
      const src = (t * batchSize + r) * numFeatures;
      x.set(batch.x.subarray(src, src + numFeatures), (t * n + i) * numFeatures);
    }
  }
  return { x, y, numSteps, batchSize: n, numFeatures, earliest };
}
