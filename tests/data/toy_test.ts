import assert from "node:assert/strict";
import { concatBatches, selectRows } from "../../lib/data/batch.ts";
import { spottingBatch, spottingLabel, twoSequenceBatch } from "../../lib/data/toy.ts";
import { Rng } from "../../lib/random.ts";

/** Brute force: is there a run of `k` equal values? */
function hasRun(bits: number[], k: number): boolean {
  for (let s = 0; s + k <= bits.length; s++) {
    if (bits.slice(s, s + k).every((v) => v === bits[s])) return true;
  }
  return false;
}

/** Brute force: the first step after which every completion of the prefix has the same label. */
function decisiveStep(bits: number[], k: number): number {
  const n = bits.length;
  for (let t = 0; t < n; t++) {
    const prefix = bits.slice(0, t + 1);
    const rest = n - t - 1;
    const labels = new Set<boolean>();
    for (let m = 0; m < 2 ** rest && labels.size < 2; m++) {
      const tail = Array.from({ length: rest }, (_, i) => (m >> i) & 1);
      labels.add(hasRun([...prefix, ...tail], k));
    }
    if (labels.size === 1) return t;
  }
  return n - 1;
}

Deno.test("spotting labels and earliest decisive steps equal brute force on every 11-step sequence", () => {
  const n = 11;
  for (let m = 0; m < 2 ** n; m++) {
    const bits = Array.from({ length: n }, (_, i) => (m >> i) & 1);
    const { label, earliest } = spottingLabel(bits, 5);
    assert.equal(label, hasRun(bits, 5) ? 1 : 0, bits.join(""));
    assert.equal(earliest, decisiveStep(bits, 5), bits.join(""));
  }
});

Deno.test("spotting batches: time-first layout, labels consistent with the inputs, rate 0.5", () => {
  const batch = spottingBatch(new Rng(1), 500);
  assert.equal(batch.x.length, 25 * 500);
  let ones = 0;
  for (let b = 0; b < 500; b++) {
    const bits = Array.from({ length: 25 }, (_, t) => batch.x[t * 500 + b]);
    ones += bits.reduce((a, v) => a + v, 0);
    assert.equal(batch.y[b], hasRun(bits, 5) ? 1 : 0);
  }
  const rate = ones / (25 * 500);
  assert.ok(Math.abs(rate - 0.5) < 0.02, `rate ${rate}`);
});

Deno.test("2-sequence batches: class means ±0.05, σ within [0.05, 0.25], balanced classes", () => {
  const B = 4000, T = 40;
  const batch = twoSequenceBatch(new Rng(2), B);
  let pos = 0, sumPos = 0, sumNeg = 0;
  for (let b = 0; b < B; b++) {
    const xs = Array.from({ length: T }, (_, t) => batch.x[t * B + b]);
    const mean = xs.reduce((a, v) => a + v, 0) / T;
    const sd = Math.sqrt(xs.reduce((a, v) => a + (v - mean) ** 2, 0) / (T - 1));
    assert.ok(sd > 0.02 && sd < 0.4, `sd ${sd}`);
    if (batch.y[b] === 1) {
      pos++;
      sumPos += mean;
    } else sumNeg += mean;
  }
  assert.ok(Math.abs(pos / B - 0.5) < 0.03);
  assert.ok(Math.abs(sumPos / pos - 0.05) < 0.006, `positive mean ${sumPos / pos}`);
  assert.ok(Math.abs(sumNeg / (B - pos) + 0.05) < 0.006, `negative mean ${sumNeg / (B - pos)}`);
});

Deno.test("same seed, same batch; selectRows and concatBatches keep examples intact", () => {
  const a = spottingBatch(new Rng(9), 6);
  const b = spottingBatch(new Rng(9), 6);
  assert.deepEqual(a, b);
  const picked = selectRows(a, [4, 1]);
  for (let t = 0; t < 25; t++) {
    assert.equal(picked.x[t * 2], a.x[t * 6 + 4]);
    assert.equal(picked.x[t * 2 + 1], a.x[t * 6 + 1]);
  }
  assert.deepEqual(Array.from(picked.y), [a.y[4], a.y[1]]);
  const joined = concatBatches([selectRows(a, [0, 1, 2]), selectRows(a, [3, 4, 5])]);
  assert.deepEqual(joined, a);
});
