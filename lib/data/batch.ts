/**
 * The batch type every model, trainer and data set shares: sequences, time first, with labels.
 * @module
 */
import { Rng } from "../random.ts";

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

/** The shape and kind of a {@link randomBatch}. */
export interface RandomBatchSpec {
  numSteps: number;
  batchSize: number;
  numFeatures: number;
  numClasses: number;
  /** Binary frames firing with this probability (temporal-MNIST-like); else N(0, 1) features. */
  frames?: number;
}

/**
 * A seeded synthetic batch, inputs then labels from one stream: for checking a model's plumbing,
 * backends and speed without a data set.
 * @example
 * ```ts
 * const b = randomBatch({ numSteps: 4, batchSize: 2, numFeatures: 3, numClasses: 10 }, 1);
 * if (b.x.length !== 24 || b.y.length !== 2) throw new Error("shape");
 * ```
 */
export function randomBatch(spec: RandomBatchSpec, seed: number): SequenceBatch {
  const rng = new Rng(seed);
  const { numSteps: T, batchSize: B, numFeatures: F, frames } = spec;
  const x = Float32Array.from(
    { length: T * B * F },
    () => frames !== undefined ? (rng.next() < frames ? 1 : 0) : rng.normal(),
  );
  const y = Int32Array.from({ length: B }, () => rng.int(spec.numClasses));
  return { x, y, numSteps: T, batchSize: B, numFeatures: F };
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
