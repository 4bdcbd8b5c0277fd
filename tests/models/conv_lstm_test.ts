/**
 * The ConvLSTM (lib/models/conv_lstm.ts) against a plain-JS float64 reference, against PyTorch
 * (tests/fixtures/conv_lstm_small.json, from make_conv_lstm.py), and wasm against cpu.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import { openBlas, setBlasEnabled } from "../../lib/ops/blas.ts";
import { ConvLstm, type ConvLstmOptions } from "../../lib/models/conv_lstm.ts";
import { writeVariables } from "../../lib/models/model.ts";
import { Rng } from "../../lib/random.ts";

const probe = openBlas();
const noBlas = probe.sgemm ? null : probe.why;

const SMALL: ConvLstmOptions = {
  height: 6,
  width: 5,
  channels: 1,
  hiddenChannels: 2,
  kernelSize: 3,
  numOutputs: 3,
  seed: 7,
};

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** One ConvLSTM step in float64 by loops: NHWC state, 'same' padding, gates i, f, g, o. */
function referenceStep(
  m: ConvLstm,
  weights: Float64Array[],
  x: Float64Array,
  h: Float64Array,
  c: Float64Array,
  batch: number,
): { h: Float64Array; c: Float64Array; logits: Float64Array } {
  const [kernel, bias, rw, rb] = weights;
  const { height: hg, width: wd, channels: cin, hiddenChannels: ch, kernelSize: k } = m;
  const ct = cin + ch, pad = (k - 1) / 2, o = m.numOutputs;
  const hNext = new Float64Array(h.length), cNext = new Float64Array(c.length);
  const logits = new Float64Array(batch * o);
  const z = new Float64Array(4 * ch);
  for (let b = 0; b < batch; b++) {
    for (let y = 0; y < hg; y++) {
      for (let xx = 0; xx < wd; xx++) {
        for (let q = 0; q < 4 * ch; q++) {
          let s = bias[q];
          for (let ky = 0; ky < k; ky++) {
            for (let kx = 0; kx < k; kx++) {
              const iy = y + ky - pad, ix = xx + kx - pad;
              if (iy < 0 || iy >= hg || ix < 0 || ix >= wd) continue;
              const pixel = (b * hg + iy) * wd + ix;
              for (let j = 0; j < ct; j++) {
                const v = j < cin ? x[pixel * cin + j] : h[pixel * ch + j - cin];
                s += v * kernel[((ky * k + kx) * ct + j) * 4 * ch + q];
              }
            }
          }
          z[q] = s;
        }
        const pixel = (b * hg + y) * wd + xx;
        for (let j = 0; j < ch; j++) {
          const cell = sigmoid(z[ch + j]) * c[pixel * ch + j] +
            sigmoid(z[j]) * Math.tanh(z[2 * ch + j]);
          cNext[pixel * ch + j] = cell;
          hNext[pixel * ch + j] = sigmoid(z[3 * ch + j]) * Math.tanh(cell);
        }
      }
    }
    const flat = hg * wd * ch;
    for (let q = 0; q < o; q++) {
      let s = rb[q];
      for (let j = 0; j < flat; j++) s += hNext[b * flat + j] * rw[j * o + q];
      logits[b * o + q] = s;
    }
  }
  return { h: hNext, c: cNext, logits };
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol * (1 + Math.abs(expected[i])))) {
      assert.fail(`${what}: element ${i}: ${actual[i]} vs ${expected[i]}`);
    }
  }
}

function frames(rng: Rng, steps: number, batch: number, size: number): Float32Array[] {
  return Array.from(
    { length: steps },
    () => Float32Array.from({ length: batch * size }, () => (rng.next() < 0.5 ? 1 : 0)),
  );
}

/** The model's logits, h and c after each step, on the current backend. */
function runSteps(m: ConvLstm, inputs: Float32Array[], batch: number) {
  let state = m.initialState(batch);
  const out: { logits: Float32Array; h: Float32Array; c: Float32Array }[] = [];
  for (const x of inputs) {
    const xt = tf.tensor2d(x, [batch, m.numInputs]);
    const next = m.step(state, xt);
    tf.dispose([xt, ...state]);
    state = next.state;
    const { h, c } = m.unpackState(state);
    out.push({
      logits: next.logits.dataSync() as Float32Array,
      h: h.dataSync() as Float32Array,
      c: c.dataSync() as Float32Array,
    });
    tf.dispose([next.logits, h, c]);
  }
  tf.dispose(state);
  return out;
}

interface Path {
  name: string;
  backend: "cpu" | "wasm";
  blas: boolean;
  /** The fused wasm cell (ConvLstmOptions.fusedCell). */
  fused: boolean;
}

/** Every backend/path the model runs on here. */
function paths(): Path[] {
  return [
    { name: "cpu", backend: "cpu", blas: false, fused: false },
    ...(noBlas ? [] : [
      { name: "wasm+blas fused", backend: "wasm" as const, blas: true, fused: true },
      { name: "wasm+blas", backend: "wasm" as const, blas: true, fused: false },
    ]),
    { name: "wasm fused", backend: "wasm", blas: false, fused: true },
    { name: "wasm", backend: "wasm", blas: false, fused: false },
  ];
}

async function onPath<T>(p: Path, f: () => T): Promise<T> {
  await initBackend(p.backend, { quiet: true });
  const was = setBlasEnabled(p.blas);
  try {
    return f();
  } finally {
    setBlasEnabled(was);
  }
}

Deno.test("ConvLstm: one and two steps equal a float64 reference (cpu, wasm, wasm+BLAS)", async () => {
  for (const opts of [SMALL, { ...SMALL, channels: 2, hiddenChannels: 3, kernelSize: 5 }]) {
    const batch = 3;
    for (const p of paths()) {
      await onPath(p, () => {
        const m = new ConvLstm({ ...opts, fusedCell: p.fused });
        assert.equal(m.usesFusedCell(), p.fused, `${p.name}: fused cell in use`);
        assert.equal(m.usesConvCell(), p.fused && p.blas, `${p.name}: one-op step in use`);
        const weights = m.variables.map((v) => Float64Array.from(v.dataSync()));
        const inputs = frames(new Rng(1), 2, batch, m.numInputs);
        const before = tf.memory().numTensors;
        const actual = runSteps(m, inputs, batch);
        assert.equal(tf.memory().numTensors, before, `${p.name}: leaked tensors`);
        let h: Float64Array = new Float64Array(batch * m.height * m.width * m.hiddenChannels);
        let c: Float64Array = new Float64Array(h.length);
        inputs.forEach((x, t) => {
          const ref = referenceStep(m, weights, Float64Array.from(x), h, c, batch);
          ({ h, c } = ref);
          const what = `${p.name} k=${m.kernelSize} step ${t}`;
          assertClose(actual[t].logits, ref.logits, 1e-5, `${what} logits`);
          assertClose(actual[t].h, ref.h, 1e-5, `${what} h`);
          assertClose(actual[t].c, ref.c, 1e-5, `${what} c`);
        });
        tf.dispose(m.variables);
      });
    }
  }
});

Deno.test("ConvLstm: shapes, variable order, description and option checks", async () => {
  await initBackend("cpu", { quiet: true });
  const m = new ConvLstm({ hiddenChannels: 20, numOutputs: 10, seed: 1 });
  assert.equal(m.numInputs, 784);
  assert.deepEqual(m.variables.map((v) => v.shape), [[3, 3, 21, 80], [80], [15680, 10], [10]]);
  const state = m.initialState(2);
  assert.deepEqual(state.map((s) => s.shape), [[2, 28, 28, 20], [2, 28, 28, 20]]);
  const x = tf.zeros([2, 784]) as tf.Tensor2D;
  const { state: next, logits } = m.step(state, x);
  assert.deepEqual(logits.shape, [2, 10]);
  assert.deepEqual(next.map((s) => s.shape), [[2, 28, 28, 20], [2, 28, 28, 20]]);
  assert.deepEqual(m.describe(), {
    model: "conv_lstm",
    height: 28,
    width: 28,
    channels: 1,
    hiddenChannels: 20,
    kernelSize: 3,
    numOutputs: 10,
  });
  // 2 * 784 * 9 * 21 * 80 conv FLOPs dominate.
  assert.equal(m.flopsPerStep(), 2 * 784 * 9 * 21 * 80 + 784 * 13 * 20 + 2 * 15680 * 10 + 10);
  assert.throws(() => m.step(state, tf.zeros([2, 783]) as tf.Tensor2D), /input must be \[B, 784\]/);
  tf.dispose([...state, ...next, x, logits, ...m.variables]);
  assert.throws(
    () => new ConvLstm({ hiddenChannels: 2, kernelSize: 4, numOutputs: 2, seed: 1 }),
    /kernelSize must be odd.*got 4/,
  );
  assert.throws(
    () => new ConvLstm({ hiddenChannels: 0, numOutputs: 2, seed: 1 }),
    /hiddenChannels must be a positive integer: got 0/,
  );
  assert.throws(
    () => new ConvLstm({ hiddenChannels: 2, height: 2.5, numOutputs: 2, seed: 1 }),
    /height must be a positive integer: got 2.5/,
  );
});

/** Loss = Σ_t Σ logits_t ⊙ r_t over 2 steps; its value and gradients per variable. */
function gradsThroughTwoSteps(m: ConvLstm, inputs: Float32Array[], batch: number) {
  const rng = new Rng(5);
  const r = inputs.map(() =>
    Float32Array.from({ length: batch * m.numOutputs }, () => rng.normal())
  );
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => {
      let state = m.initialState(batch);
      let loss = tf.scalar(0);
      inputs.forEach((x, t) => {
        const out = m.step(state, tf.tensor2d(x, [batch, m.numInputs]));
        state = out.state;
        loss = tf.add(loss, tf.sum(tf.mul(out.logits, tf.tensor2d(r[t], out.logits.shape))));
      });
      return loss as tf.Scalar;
    }, m.variables);
    return {
      value: value.dataSync()[0],
      grads: m.variables.map((v) => grads[v.name].dataSync() as Float32Array),
    };
  });
}

Deno.test("ConvLstm: gradients through 2 steps on wasm (BLAS and not) equal cpu's", async () => {
  const batch = 4;
  const results = [];
  for (const p of paths()) {
    results.push(
      await onPath(p, () => {
        const m = new ConvLstm({ ...SMALL, hiddenChannels: 3, fusedCell: p.fused });
        const inputs = frames(new Rng(2), 2, batch, m.numInputs);
        const before = tf.memory().numTensors;
        const g = gradsThroughTwoSteps(m, inputs, batch);
        assert.equal(tf.memory().numTensors, before, `${p.name}: leaked tensors`);
        tf.dispose(m.variables);
        return { name: p.name, ...g };
      }),
    );
  }
  const [cpu, ...wasm] = results;
  for (const w of wasm) {
    assertClose([w.value], [cpu.value], 1e-5, `${w.name} loss`);
    w.grads.forEach((g, k) => assertClose(g, cpu.grads[k], 1e-5, `${w.name} gradient ${k}`));
  }
});

interface Fixture {
  config: { batch: number; steps: number } & Required<Omit<ConvLstmOptions, "seed">>;
  inputs: number[][];
  labels: number[];
  r: number[];
  weights: number[][];
  steps: { logits: number[]; h: number[]; c: number[] }[];
  loss: number;
  grads: number[][];
}

const FIXTURE = new URL("../fixtures/conv_lstm_small.json", import.meta.url);

Deno.test("ConvLstm equals PyTorch's nn.Conv2d ConvLSTM (fixture): 3 steps and gradients", async () => {
  const fx = JSON.parse(await Deno.readTextFile(FIXTURE)) as Fixture;
  const { batch, steps: _, ...opts } = fx.config;
  for (const p of paths()) {
    await onPath(p, () => {
      const m = new ConvLstm({ ...opts, seed: 0, fusedCell: p.fused });
      writeVariables(m.variables, fx.weights.map((w) => Float32Array.from(w)));
      const inputs = fx.inputs.map((x) => Float32Array.from(x));
      const actual = runSteps(m, inputs, batch);
      fx.steps.forEach((s, t) => {
        assertClose(actual[t].logits, s.logits, 1e-5, `${p.name} step ${t} logits`);
        assertClose(actual[t].h, s.h, 1e-5, `${p.name} step ${t} h`);
        assertClose(actual[t].c, s.c, 1e-5, `${p.name} step ${t} c`);
      });
      const { value, grads } = tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => {
          let state = m.initialState(batch);
          const logits: tf.Tensor2D[] = [];
          for (const x of inputs) {
            const out = m.step(state, tf.tensor2d(x, [batch, m.numInputs]));
            state = out.state;
            logits.push(out.logits);
          }
          const ce = tf.losses.softmaxCrossEntropy(
            tf.oneHot(tf.tensor1d(fx.labels, "int32"), m.numOutputs),
            logits[logits.length - 1],
          );
          const r = tf.tensor2d(fx.r, [batch, m.numOutputs]);
          return tf.add(ce, tf.mul(0.1, tf.sum(tf.mul(logits[0], r)))) as tf.Scalar;
        }, m.variables);
        return {
          value: value.dataSync()[0],
          grads: m.variables.map((v) => grads[v.name].dataSync()),
        };
      });
      assertClose([value], [fx.loss], 1e-5, `${p.name} loss`);
      grads.forEach((g, k) => assertClose(g, fx.grads[k], 1e-5, `${p.name} gradient ${k}`));
      tf.dispose(m.variables);
    });
  }
});
