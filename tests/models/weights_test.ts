import assert from "node:assert/strict";
import { Lstm } from "../../lib/models/lstm.ts";
import {
  decodeWeights,
  encodeWeights,
  loadWeights,
  readWeights,
  saveWeights,
} from "../../lib/models/weights.ts";
import { useCpu } from "../_backend.ts";

Deno.test("weights: save then load restores every value bit for bit, with meta", async () => {
  await useCpu();
  const a = new Lstm({ numInputs: 3, hiddenSize: 5, readoutHidden: [4], numOutputs: 2, seed: 1 });
  const b = new Lstm({ numInputs: 3, hiddenSize: 5, readoutHidden: [4], numOutputs: 2, seed: 2 });
  const dir = await Deno.makeTempDir();
  try {
    await saveWeights(`${dir}/w.bin`, a, { epoch: 7 });
    const header = await loadWeights(`${dir}/w.bin`, b);
    assert.deepEqual(header.meta, { epoch: 7 });
    const wa = await readWeights(a.variables), wb = await readWeights(b.variables);
    wa.forEach((v, k) => assert.deepEqual(wb[k], v));
  } finally {
    await Deno.remove(dir, { recursive: true });
    a.variables.forEach((v) => v.dispose());
    b.variables.forEach((v) => v.dispose());
  }
});

Deno.test("weights: a model of another shape, a truncated file and a foreign file are refused", async () => {
  await useCpu();
  const a = new Lstm({ numInputs: 3, hiddenSize: 5, numOutputs: 2, seed: 1 });
  const c = new Lstm({ numInputs: 3, hiddenSize: 6, numOutputs: 2, seed: 1 });
  const dir = await Deno.makeTempDir();
  try {
    await saveWeights(`${dir}/w.bin`, a);
    await assert.rejects(() => loadWeights(`${dir}/w.bin`, c), /variable 0 has shape \[3,20\]/);
    const bytes = await Deno.readFile(`${dir}/w.bin`);
    assert.throws(
      () => decodeWeights(bytes.subarray(0, bytes.length - 4), "x.bin"),
      /x.bin: .*truncated/,
    );
    assert.throws(() => decodeWeights(new Uint8Array(16), "y.bin"), /y.bin: not a weights file/);
    assert.throws(() => encodeWeights({}, [[2]], [new Float32Array(3)]), /3 values/);
  } finally {
    await Deno.remove(dir, { recursive: true });
    [...a.variables, ...c.variables].forEach((v) => v.dispose());
  }
});
