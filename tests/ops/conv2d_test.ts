/**
 * The wasm backend's Conv2D kernels (lib/ops/conv2d.ts), forward and both gradients, against the
 * tfjs cpu backend, a float64 reference with finite differences, and each other (BLAS or not).
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import { blasInUse, openBlas, setBlasEnabled } from "../../lib/ops/blas.ts";
import { conv2dKernelsInstalled } from "../../lib/ops/conv2d.ts";
import { Rng } from "../../lib/random.ts";

const probe = openBlas();
const noBlas = probe.sgemm ? null : probe.why;
if (noBlas) console.error(`BLAS conv tests skipped: ${noBlas}`);

type Pad = "same" | "valid" | [[0, 0], [number, number], [number, number], [0, 0]];
interface Case {
  x: [number, number, number, number];
  k: [number, number];
  co: number;
  pad: Pad;
}

const CASES: Case[] = [
  { x: [1, 5, 4, 1], k: [3, 3], co: 2, pad: "same" },
  { x: [2, 7, 6, 3], k: [3, 3], co: 4, pad: "same" },
  { x: [3, 6, 5, 8], k: [5, 5], co: 3, pad: "same" },
  { x: [4, 9, 7, 2], k: [5, 5], co: 8, pad: "valid" },
  { x: [2, 6, 7, 5], k: [3, 3], co: 6, pad: [[0, 0], [2, 0], [0, 1], [0, 0]] },
  { x: [2, 5, 6, 2], k: [3, 5], co: 3, pad: "same" },
  { x: [1, 4, 4, 3], k: [1, 1], co: 2, pad: "same" },
  { x: [2, 3, 3, 4], k: [5, 5], co: 2, pad: "same" }, // filter larger than the image
];

interface Values {
  y: Float32Array;
  dx: Float32Array;
  dw: Float32Array;
}

function randomArray(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

function inputsOf(c: Case, seed: number) {
  const rng = new Rng(seed);
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const wShape = [c.k[0], c.k[1], c.x[3], c.co];
  const x = randomArray(rng, size(c.x));
  const w = randomArray(rng, size(wShape));
  return { x, w, wShape, rng };
}

/** y = conv2d(x, w) and the gradients of sum(y ⊙ r) on the current backend. */
function run(c: Case, seed: number): Values {
  const { x, w, wShape, rng } = inputsOf(c, seed);
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, c.x);
    const wt = tf.tensor4d(w, wShape as [number, number, number, number]);
    const f = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, 1, c.pad);
    const y = f(xt, wt);
    const r = tf.tensor(randomArray(rng, y.size), y.shape);
    const [dx, dw] = tf.grads((a, b) => tf.sum(tf.mul(f(a as tf.Tensor4D, b as tf.Tensor4D), r)))(
      [xt, wt],
    );
    return {
      y: y.dataSync() as Float32Array,
      dx: dx.dataSync() as Float32Array,
      dw: dw.dataSync() as Float32Array,
    };
  });
}

/** |a - e| <= tol * max(1, max |e|): relative to the tensor's scale. */
function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol * scale)) {
      assert.fail(`${what}: element ${i}: ${actual[i]} vs ${expected[i]} (scale ${scale})`);
    }
  }
}

function caseName(c: Case): string {
  return `x ${c.x} k ${c.k} co ${c.co} pad ${JSON.stringify(c.pad)}`;
}

/** The wasm paths present here: BLAS (when OpenBLAS loads) and tfjs-wasm's own. */
function wasmPaths(): { name: string; blas: boolean }[] {
  return [...(noBlas ? [] : [{ name: "blas", blas: true }]), { name: "tfjs-wasm", blas: false }];
}

async function onWasm<T>(blas: boolean, f: () => T): Promise<T> {
  await initBackend("wasm", { quiet: true });
  const was = setBlasEnabled(blas);
  try {
    return f();
  } finally {
    setBlasEnabled(was);
  }
}

Deno.test("conv2d on wasm (BLAS and not): forward and both gradients equal tfjs cpu's", async () => {
  await initBackend("cpu", { quiet: true });
  const expected = CASES.map((c, i) => run(c, 10 + i));
  for (const path of wasmPaths()) {
    const actual = await onWasm(path.blas, () => {
      assert.ok(conv2dKernelsInstalled(), "initBackend('wasm') should install the conv kernels");
      assert.equal(blasInUse() !== null, path.blas);
      return CASES.map((c, i) => run(c, 10 + i));
    });
    CASES.forEach((c, i) => {
      for (const key of ["y", "dx", "dw"] as const) {
        assertClose(actual[i][key], expected[i][key], 1e-5, `${path.name} ${caseName(c)} ${key}`);
      }
    });
  }
});

Deno.test({
  name: "conv2d on wasm: the BLAS path equals the path without BLAS",
  ignore: noBlas !== null,
  async fn() {
    const c = CASES[2];
    const blas = await onWasm(true, () => run(c, 5));
    const plain = await onWasm(false, () => run(c, 5));
    for (const key of ["y", "dx", "dw"] as const) assertClose(blas[key], plain[key], 1e-5, key);
  },
});

/** float64 sum(conv(x, w) ⊙ r), 'same' padding, stride 1, by loops. */
function lossF64(
  x: Float64Array,
  w: Float64Array,
  r: Float64Array,
  [n, h, wd, ci]: number[],
  [kh, kw, co]: number[],
): number {
  const top = Math.floor((kh - 1) / 2), left = Math.floor((kw - 1) / 2);
  let loss = 0;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < wd; xx++) {
        for (let o = 0; o < co; o++) {
          let s = 0;
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const iy = y + ky - top, ix = xx + kx - left;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              for (let c = 0; c < ci; c++) {
                s += x[((b * h + iy) * wd + ix) * ci + c] * w[((ky * kw + kx) * ci + c) * co + o];
              }
            }
          }
          loss += s * r[((b * h + y) * wd + xx) * co + o];
        }
      }
    }
  }
  return loss;
}

Deno.test("conv2d gradients on wasm equal float64 finite differences (tiny case)", async () => {
  const xShape = [2, 4, 3, 2], kShape = [3, 3, 3]; // kh, kw, co
  const rng = new Rng(99);
  const x32 = randomArray(rng, 2 * 4 * 3 * 2);
  const w32 = randomArray(rng, 3 * 3 * 2 * 3);
  const r32 = randomArray(rng, 2 * 4 * 3 * 3);
  const x = Float64Array.from(x32), w = Float64Array.from(w32), r = Float64Array.from(r32);
  const numeric = (v: Float64Array) =>
    Array.from(v, (_, i) => {
      const eps = 1e-3;
      const keep = v[i];
      v[i] = keep + eps;
      const up = lossF64(x, w, r, xShape, kShape);
      v[i] = keep - eps;
      const down = lossF64(x, w, r, xShape, kShape);
      v[i] = keep;
      return (up - down) / (2 * eps);
    });
  const dxRef = numeric(x), dwRef = numeric(w);
  for (const path of wasmPaths()) {
    const [dx, dw] = await onWasm(path.blas, () =>
      tf.tidy(() => {
        const rt = tf.tensor4d(r32, [2, 4, 3, 3]);
        const g = tf.grads((a, b) =>
          tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same"), rt))
        )([tf.tensor4d(x32, [2, 4, 3, 2]), tf.tensor4d(w32, [3, 3, 2, 3])]);
        return g.map((t) => t.dataSync());
      }));
    assertClose(dx, dxRef, 1e-5, `${path.name} dx`);
    assertClose(dw, dwRef, 1e-5, `${path.name} dw`);
  }
});

Deno.test("conv2d on wasm: strided convolutions fall back forward, and say why backward", async () => {
  await initBackend("cpu", { quiet: true });
  const rng = new Rng(4);
  const x = randomArray(rng, 2 * 7 * 7 * 3), w = randomArray(rng, 3 * 3 * 3 * 2);
  const yCpu = tf.tidy(() =>
    tf.conv2d(tf.tensor4d(x, [2, 7, 7, 3]), tf.tensor4d(w, [3, 3, 3, 2]), 2, "same").dataSync()
  );
  for (const path of wasmPaths()) {
    await onWasm(path.blas, () => {
      const xt = tf.tensor4d(x, [2, 7, 7, 3]), wt = tf.tensor4d(w, [3, 3, 3, 2]);
      try {
        const y = tf.tidy(() => tf.conv2d(xt, wt, 2, "same").dataSync());
        assertClose(y, yCpu, 1e-5, `${path.name} strided forward`);
        assert.throws(
          () => tf.grads((b) => tf.sum(tf.conv2d(xt, b as tf.Tensor4D, 2, "same")))([wt]),
          /Conv2DBackpropFilter on wasm .*strides \[2, 2\]/,
        );
      } finally {
        tf.dispose([xt, wt]);
      }
    });
  }
});

Deno.test("conv2d on wasm leaks no tensors and no heap buffers", async () => {
  for (const path of wasmPaths()) {
    await onWasm(path.blas, () => {
      run(CASES[1], 1); // warm-up
      const tensors = tf.memory().numTensors;
      const dataIds = tf.engine().backend.numDataIds();
      for (let i = 0; i < 3; i++) run(CASES[1], 1);
      assert.equal(tf.memory().numTensors, tensors, `${path.name}: tensors`);
      assert.equal(tf.engine().backend.numDataIds(), dataIds, `${path.name}: heap buffers`);
    });
  }
});
