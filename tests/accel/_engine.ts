/** Helpers shared by the engine tests: a random batch and an elementwise closeness check. */
import assert from "node:assert/strict";
import type { SequenceBatch } from "../../lib/data/batch.ts";
import type { Rng } from "../../lib/random.ts";

/** `B` sequences of `T` steps of `F` normal features (sd 1.5), labels for `O` outputs. */
export function randomBatch(rng: Rng, B: number, T: number, F: number, O: number): SequenceBatch {
  return {
    x: Float32Array.from({ length: T * B * F }, () => 1.5 * rng.normal()),
    y: Int32Array.from({ length: B }, () => rng.int(O === 1 ? 2 : O)),
    numSteps: T,
    batchSize: B,
    numFeatures: F,
  };
}

/** |a - b| <= 2e-5 + rel |b| elementwise, naming the first element that is not. */
export function assertClose(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  what: string,
  rel = 2e-3,
): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(
      Math.abs(a[i] - b[i]) <= 2e-5 + rel * Math.abs(b[i]),
      `${what}[${i}]: ${a[i]} vs ${b[i]}`,
    );
  }
}
