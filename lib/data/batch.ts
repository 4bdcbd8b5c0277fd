/**
 * The batch type every model, trainer and data set shares: sequences, time first, with labels.
 * @module
 */

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
