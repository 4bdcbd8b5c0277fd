import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { Lstm } from "../../lib/models/lstm.ts";
import { noWebGpuReason, useCpu } from "../_backend.ts";
import { initBackend } from "../../lib/backend.ts";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Plain-JS LSTM step + linear readout, float64, gate order i, f, g, o. */
function referenceStep(
  w: Float32Array,
  u: Float32Array,
  bias: Float32Array,
  wo: Float32Array,
  bo: Float32Array,
  x: number[],
  h: number[],
  c: number[],
  H: number,
  O: number,
): { h: number[]; c: number[]; logits: number[] } {
  const F = x.length;
  const z = new Array(4 * H).fill(0);
  for (let j = 0; j < 4 * H; j++) {
    let s = bias[j];
    for (let f = 0; f < F; f++) s += x[f] * w[f * 4 * H + j];
    for (let k = 0; k < H; k++) s += h[k] * u[k * 4 * H + j];
    z[j] = s;
  }
  const hn: number[] = [], cn: number[] = [];
  for (let k = 0; k < H; k++) {
    const i = sigmoid(z[k]),
      f = sigmoid(z[H + k]),
      g = Math.tanh(z[2 * H + k]),
      o = sigmoid(z[3 * H + k]);
    cn.push(f * c[k] + i * g);
    hn.push(o * Math.tanh(cn[k]));
  }
  const logits: number[] = [];
  for (let j = 0; j < O; j++) {
    let s = bo[j];
    for (let k = 0; k < H; k++) s += hn[k] * wo[k * O + j];
    logits.push(s);
  }
  return { h: hn, c: cn, logits };
}

async function checkAgainstReference(fusedCell = true): Promise<void> {
  const F = 3, H = 5, O = 2, B = 2;
  const model = new Lstm({ numInputs: F, hiddenSize: H, numOutputs: O, seed: 7, fusedCell });
  const [w, u, b, wo, bo] = await Promise.all(
    model.variables.map((v) => v.data() as Promise<Float32Array>),
  );
  const xs = [[[0.5, -1, 2], [0, 0.3, -0.7]], [[1, 1, 1], [-2, 0.1, 0.4]]]; // [T=2][B][F]
  let state = model.initialState(B);
  const ref = Array.from(
    { length: B },
    () => ({ h: new Array(H).fill(0), c: new Array(H).fill(0) }),
  );
  for (const xt of xs) {
    const { state: next, logits } = model.step(state, tf.tensor2d(xt));
    tf.dispose(state);
    state = next;
    const got = await logits.data();
    const gotH = await state[model.usesFusedCell() ? 1 : 0].data(); // fused state: [hc, h]
    for (let e = 0; e < B; e++) {
      const r = referenceStep(w, u, b, wo, bo, xt[e], ref[e].h, ref[e].c, H, O);
      ref[e] = { h: r.h, c: r.c };
      for (let j = 0; j < O; j++) {
        assert.ok(Math.abs(got[e * O + j] - r.logits[j]) < 1e-5, `logit ${e},${j}`);
      }
      for (let k = 0; k < H; k++) {
        assert.ok(Math.abs(gotH[e * H + k] - r.h[k]) < 1e-5, `h ${e},${k}`);
      }
    }
    logits.dispose();
  }
  tf.dispose(state);
  tf.dispose(model.variables);
}

Deno.test("LSTM steps match a plain-JS reference (cpu)", async () => {
  await useCpu();
  await checkAgainstReference();
});

Deno.test("LSTM steps match a plain-JS reference (wasm: fused SIMD cell and op by op)", async () => {
  await initBackend("wasm", { quiet: true });
  await checkAgainstReference(true);
  await checkAgainstReference(false);
  await useCpu();
});

Deno.test({
  name: "LSTM steps match a plain-JS reference (webgpu)",
  ignore: noWebGpuReason !== null,
  fn: async () => {
    await initBackend("webgpu", { quiet: true });
    await checkAgainstReference();
    await useCpu();
  },
});

Deno.test("same seed, same initial weights; another seed, other weights", async () => {
  await useCpu();
  const a = new Lstm({ numInputs: 2, hiddenSize: 4, numOutputs: 1, seed: 3 });
  const b = new Lstm({ numInputs: 2, hiddenSize: 4, numOutputs: 1, seed: 3 });
  const c = new Lstm({ numInputs: 2, hiddenSize: 4, numOutputs: 1, seed: 4 });
  assert.deepEqual(await a.variables[1].data(), await b.variables[1].data());
  assert.notDeepEqual(await a.variables[1].data(), await c.variables[1].data());
  tf.dispose([...a.variables, ...b.variables, ...c.variables]);
});

Deno.test("Lstm rejects bad sizes with the field and value", () => {
  assert.throws(
    () => new Lstm({ numInputs: 0, hiddenSize: 4, numOutputs: 1, seed: 1 }),
    /numInputs must be a positive integer: got 0/,
  );
});
