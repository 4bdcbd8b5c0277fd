import assert from "node:assert/strict";
import { encodeBatch, PIXELS, spikeSteps } from "../../lib/encode/temporal.ts";

Deno.test("temporal: intensity -> spike step table (T = 10)", () => {
  const table: [number, number][] = [
    [255, 0],
    [230, 0],
    [229, 1],
    [205, 1],
    [204, 2],
    [128, 4],
    [127, 5],
    [51, 8],
    [26, 8],
    [25, 9],
    [1, 9],
    [0, 9],
  ];
  const steps = spikeSteps(Uint8Array.from(table, ([v]) => v), 10);
  assert.deepEqual(Array.from(steps), table.map(([, s]) => s));
});

Deno.test("temporal: brighter never spikes later; every step is used; T = 1 and T = 256 edges", () => {
  const all = Uint8Array.from({ length: 256 }, (_, v) => v);
  for (const T of [1, 2, 3, 10, 17, 256]) {
    const s = spikeSteps(all, T);
    for (let v = 1; v < 256; v++) assert.ok(s[v] <= s[v - 1], `T=${T} v=${v}`);
    assert.equal(s[255], 0);
    assert.equal(s[0], T - 1);
    assert.equal(new Set(s).size, T);
  }
  assert.throws(
    () => spikeSteps(all, 0),
    /numSteps must be an integer in 1\.\.256: current value is 0/,
  );
});

Deno.test("temporal: encodeBatch is [T, B, 784] with exactly one spike per pixel", () => {
  const images = new Uint8Array(3 * PIXELS);
  for (let i = 0; i < images.length; i++) images[i] = (i * 37) % 256;
  const indices = [2, 0];
  const T = 10;
  const x = encodeBatch(images, indices, T);
  assert.equal(x.length, T * 2 * PIXELS);
  const steps = spikeSteps(images, T);
  for (let b = 0; b < 2; b++) {
    for (let p = 0; p < PIXELS; p++) {
      let ones = 0;
      for (let t = 0; t < T; t++) {
        const v = x[(t * 2 + b) * PIXELS + p];
        if (v === 1) {
          ones++;
          assert.equal(t, steps[indices[b] * PIXELS + p]);
        } else assert.equal(v, 0);
      }
      assert.equal(ones, 1);
    }
  }
  assert.throws(
    () => encodeBatch(images, [3], T),
    /indices\[0\] = 3 is not an image index in 0\.\.2/,
  );
});
