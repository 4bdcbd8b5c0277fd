/** The wasm backend's BLAS matmul (lib/ops/blas.ts) against a float64 reference and against XNNPACK. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import { blasCoretypeNote, blasInUse, openBlas, setBlasEnabled } from "../../lib/ops/blas.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import { Rng } from "../../lib/random.ts";
import { batchLoss } from "../../lib/rc/train.ts";

const probe = openBlas();
const noBlas = probe.sgemm ? null : probe.why;
if (noBlas) {
  console.error(`BLAS tests skipped: ${noBlas} (Debian: apt-get install libopenblas0-pthread)`);
}

function random(rng: Rng, shape: number[]): tf.Tensor {
  return tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()),
    shape,
  );
}

/** float64 `op(a) @ op(b)` over (broadcast) batch dimensions, from the tensors' values. */
function reference(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): Float64Array {
  const av = a.dataSync(), bv = b.dataSync();
  const ra = a.rank, rb = b.rank;
  const [ar, ac] = [a.shape[ra - 2], a.shape[ra - 1]];
  const [br, bc] = [b.shape[rb - 2], b.shape[rb - 1]];
  const m = ta ? ac : ar, k = ta ? ar : ac, n = tb ? br : bc;
  const size = (shape: number[]) => shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const batchA = size(a.shape), batchB = size(b.shape);
  const batch = Math.max(batchA, batchB);
  const out = new Float64Array(batch * m * n);
  for (let p = 0; p < batch; p++) {
    const oa = (batchA === 1 ? 0 : p) * ar * ac, ob = (batchB === 1 ? 0 : p) * br * bc;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) {
          s += av[oa + (ta ? q * ac + i : i * ac + q)] * bv[ob + (tb ? j * bc + q : q * bc + j)];
        }
        out[p * m * n + i * n + j] = s;
      }
    }
  }
  return out;
}

function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol: number,
  what: string,
) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol * (1 + Math.abs(expected[i])))) {
      assert.fail(`${what}: element ${i}: ${actual[i]} vs ${expected[i]}`);
    }
  }
}

Deno.test({
  name: "BLAS matmul on wasm equals a float64 reference: transposes, batches, broadcast, empty",
  ignore: noBlas !== null,
  async fn() {
    await initBackend("wasm", { quiet: true });
    assert.ok(blasInUse(), "the wasm backend's matmul should be BLAS here");
    const rng = new Rng(3);
    const cases: [number[], number[], boolean, boolean][] = [
      [[5, 7], [7, 3], false, false],
      [[7, 5], [7, 3], true, false],
      [[5, 7], [3, 7], false, true],
      [[7, 5], [3, 7], true, true],
      [[2, 5, 7], [2, 7, 3], false, false],
      [[1, 5, 7], [4, 3, 7], false, true],
      [[4, 7, 5], [1, 7, 3], true, false],
      [[2, 3, 5, 7], [2, 3, 7, 4], false, false],
      [[130, 149], [149, 513], false, false], // large enough for OpenBLAS to use its threads
      [[0, 7], [7, 3], false, false],
      [[5, 0], [0, 3], false, false],
    ];
    for (const [sa, sb, ta, tb] of cases) {
      const what = `${JSON.stringify(sa)}${ta ? "ᵀ" : ""} @ ${JSON.stringify(sb)}${tb ? "ᵀ" : ""}`;
      tf.tidy(() => {
        const a = random(rng, sa), b = random(rng, sb);
        const c = tf.matMul(a, b, ta, tb);
        const expected = reference(a, b, ta, tb);
        assertClose(c.dataSync(), expected, 1e-5, what);
        const m = ta ? sa.at(-1)! : sa.at(-2)!, n = tb ? sb.at(-2)! : sb.at(-1)!;
        assert.deepEqual(c.shape.slice(-2), [m, n], `${what}: shape`);
      });
    }
  },
});

Deno.test({
  name: "BLAS matmul reads the wasm heap after its output grew the memory",
  ignore: noBlas !== null,
  async fn() {
    await initBackend("wasm", { quiet: true });
    const rng = new Rng(4);
    tf.tidy(() => {
      const a = random(rng, [3000, 3]), b = random(rng, [3, 3200]);
      const before =
        (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
      const c = tf.matMul(a, b); // 38 MB out: allocating it grows the heap
      const after =
        (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
      const values = c.dataSync();
      const av = a.dataSync(), bv = b.dataSync();
      for (const [i, j] of [[0, 0], [2999, 3199], [700, 3]]) {
        const want = av[i * 3] * bv[j] + av[i * 3 + 1] * bv[3200 + j] +
          av[i * 3 + 2] * bv[6400 + j];
        assert.ok(
          Math.abs(values[i * 3200 + j] - want) < 1e-4,
          `c[${i},${j}] = ${values[i * 3200 + j]}, want ${want}`,
        );
      }
      assert.ok(after > before, `the heap should have grown: ${before} -> ${after} bytes`);
    });
  },
});

Deno.test({
  name: "LSTM loss and gradients: BLAS is deterministic and agrees with tfjs-wasm's XNNPACK",
  ignore: noBlas !== null,
  async fn() {
    await initBackend("wasm", { quiet: true });
    const rng = new Rng(5);
    const B = 16, T = 6, F = 3;
    const batch = {
      x: Float32Array.from({ length: T * B * F }, () => rng.normal()),
      y: Int32Array.from({ length: B }, () => rng.int(4)),
      numSteps: T,
      batchSize: B,
      numFeatures: F,
    };
    const steps = Int32Array.from({ length: B }, (_, b) => b % T);
    const model = new Lstm({
      numInputs: F,
      hiddenSize: 9,
      readoutHidden: [5],
      numOutputs: 4,
      seed: 2,
    });
    const run = () => {
      const { value, grads } = tf.variableGrads(
        () => batchLoss(model, batch, steps, { readout: "softmax", beta: 0.1 }).loss,
        model.variables,
      );
      const out = {
        loss: value.dataSync()[0],
        grads: model.variables.map((v) => grads[v.name].dataSync()),
      };
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const before = tf.memory().numTensors;
    const withBlas = run();
    assert.deepEqual(run(), withBlas, "BLAS: same inputs, same bits");
    const was = setBlasEnabled(false);
    try {
      assert.equal(blasInUse(), null);
      const withXnn = run();
      assertClose([withBlas.loss], [withXnn.loss], 1e-5, "loss");
      withBlas.grads.forEach((g, k) =>
        assertClose(g, withXnn.grads[k], 1e-4, model.variables[k].name)
      );
    } finally {
      setBlasEnabled(was);
    }
    assert.equal(tf.memory().numTensors, before);
    tf.dispose(model.variables);
  },
});

Deno.test("RC_BLAS naming a library that does not exist fails with what to do", () => {
  const old = Deno.env.get("RC_BLAS");
  Deno.env.set("RC_BLAS", "/nonexistent/libnothing.so");
  try {
    assert.throws(
      () => openBlas(),
      /RC_BLAS=\/nonexistent\/libnothing\.so: cannot load cblas_sgemm.*RC_BLAS=off/s,
    );
    Deno.env.set("RC_BLAS", "off");
    const off = openBlas();
    assert.equal(off.sgemm, null);
  } finally {
    if (old === undefined) Deno.env.delete("RC_BLAS");
    else Deno.env.set("RC_BLAS", old);
  }
});

Deno.test("OPENBLAS_CORETYPE in the environment is said beside the matmul, absent it nothing", () => {
  const old = Deno.env.get("OPENBLAS_CORETYPE");
  try {
    Deno.env.set("OPENBLAS_CORETYPE", "Haswell");
    assert.match(
      blasCoretypeNote(),
      /^kernels chosen by OPENBLAS_CORETYPE=Haswell in the environment/,
    );
    Deno.env.delete("OPENBLAS_CORETYPE");
    assert.equal(blasCoretypeNote(), "");
  } finally {
    if (old === undefined) Deno.env.delete("OPENBLAS_CORETYPE");
    else Deno.env.set("OPENBLAS_CORETYPE", old);
  }
});

Deno.test("wasm Identity shares the data (no copy) and the clone outlives its source", async () => {
  await initBackend("wasm", { quiet: true });
  const be = tf.backend() as unknown as { getMemoryOffset(id: object): number };
  const before = tf.memory().numTensors;
  const a = tf.tensor([1, 2, 3]);
  const b = tf.clone(a);
  assert.equal(be.getMemoryOffset(b.dataId), be.getMemoryOffset(a.dataId));
  a.dispose();
  assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3]);
  b.dispose();
  assert.equal(tf.memory().numTensors, before);
});
