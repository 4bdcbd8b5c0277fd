/**
 * lib/ops/conv_lstm_cell.ts against the same step composed of tfjs ops on the cpu backend: value
 * and the gradients for every input (the frame's too, which no model test reaches), from a given
 * state and from the zero state.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import { openBlas } from "../../lib/ops/blas.ts";
import { blasHelper, blasHelperStatus, setBlasHelperEnabled } from "../../lib/ops/blas_helper.ts";
import {
  convLstmCell,
  convLstmCellAvailable,
  convLstmCellFromZero,
  setKeepIm2colBytes,
} from "../../lib/ops/conv_lstm_cell.ts";
import { Rng } from "../../lib/random.ts";
import { withHelper } from "./_with_helper.ts";

const noBlas = openBlas().sgemm ? null : "no BLAS library (the op needs cblas_sgemm)";
if (noBlas) console.error(`ConvLSTM op tests skipped: ${noBlas}`);
/** A step's sizes: batch, height, width, frame channels, state channels, kernel. */
interface Size {
  B: number;
  H: number;
  W: number;
  CIN: number;
  C: number;
  K: number;
}
const SMALL: Size = { B: 2, H: 5, W: 4, CIN: 2, C: 3, K: 3 };

function values(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

/** The step as tfjs ops: x `[B, H·W·Cin]`, hc `[B, H, W, 2C]` to the next hc. */
function composed(
  { B, H, W, CIN }: Size,
  x: tf.Tensor,
  hc: tf.Tensor,
  kernel: tf.Tensor,
  bias: tf.Tensor,
): tf.Tensor {
  const [h, c] = tf.split(hc, 2, 3);
  const z = tf.add(
    tf.conv2d(
      tf.concat([tf.reshape(x, [B, H, W, CIN]), h], 3) as tf.Tensor4D,
      kernel as tf.Tensor4D,
      1,
      "same",
    ),
    bias,
  );
  const [i, f, g, o] = tf.split(z, 4, 3);
  const cNext = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
  return tf.concat([tf.mul(tf.sigmoid(o), tf.tanh(cNext)), cNext], 3);
}

function inputs(zeroState: boolean, { B, H, W, CIN, C, K }: Size = SMALL) {
  const rng = new Rng(zeroState ? 3 : 4);
  return {
    x: values(rng, B * H * W * CIN),
    hc: zeroState ? new Float32Array(B * H * W * 2 * C) : values(rng, B * H * W * 2 * C),
    kernel: values(rng, K * K * (CIN + C) * 4 * C),
    bias: values(rng, 4 * C),
    r: values(rng, B * H * W * 2 * C),
  };
}

type Inputs = ReturnType<typeof inputs>;

/** Σ next ⊙ r and its gradients for x, hc, kernel and bias, by `step`. */
function gradients(
  v: Inputs,
  step: (ts: tf.Tensor[]) => tf.Tensor,
  { B, H, W, CIN, C, K }: Size = SMALL,
): Float32Array[] {
  return tf.tidy(() => {
    const ts = [
      tf.tensor2d(v.x, [B, H * W * CIN]),
      tf.tensor4d(v.hc, [B, H, W, 2 * C]),
      tf.tensor4d(v.kernel, [K, K, CIN + C, 4 * C]),
      tf.tensor1d(v.bias),
    ];
    const r = tf.tensor4d(v.r, [B, H, W, 2 * C]);
    const f = (...a: tf.Tensor[]) => tf.sum(tf.mul(step(a), r));
    const value = f(...ts).dataSync()[0];
    const grads = tf.grads(f)(ts).map((g) => g.dataSync() as Float32Array);
    return [Float32Array.of(value), ...grads];
  });
}

function assertClose(a: Float32Array, b: Float32Array, what: string) {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++) {
    if (!(Math.abs(a[i] - b[i]) <= 1e-5 * (1 + Math.abs(b[i])))) {
      assert.fail(`${what}: element ${i}: ${a[i]} vs ${b[i]}`);
    }
  }
}

/**
 * The op's step for {@link gradients}. From the zero state: the kernel's h rows get no gradient
 * (the slice pads zeros: as the composed step's, since h = 0); hc enters times 0 only so tf.grads
 * accepts it.
 */
function opStep({ B, H, W, CIN, C, K }: Size, zeroState: boolean) {
  return ([x, hc, k, b]: tf.Tensor[]) =>
    zeroState
      ? tf.add(
        convLstmCellFromZero(
          x as tf.Tensor2D,
          [B, H, W, 2 * C],
          tf.slice(k, [0, 0, 0, 0], [K, K, CIN, 4 * C]) as tf.Tensor4D,
          b as tf.Tensor1D,
        ),
        tf.mul(hc, 0),
      )
      : convLstmCell(x as tf.Tensor2D, hc as tf.Tensor4D, k as tf.Tensor4D, b as tf.Tensor1D);
}

for (const zeroState of [false, true]) {
  Deno.test({
    name: `convLstmCell${zeroState ? "FromZero" : ""}: value and gradients equal tfjs ops on cpu`,
    ignore: noBlas !== null,
    fn: async () => {
      const v = inputs(zeroState);
      await initBackend("cpu", { quiet: true });
      const expected = gradients(v, ([x, hc, k, b]) => composed(SMALL, x, hc, k, b));
      await initBackend("wasm", { quiet: true });
      assert.ok(convLstmCellAvailable());
      const before = tf.memory().numTensors;
      const actual = gradients(v, opStep(SMALL, zeroState));
      assert.equal(tf.memory().numTensors, before, "leaked tensors");
      const names = ["value", "dx", "dhc", "dkernel", "dbias"];
      actual.forEach((a, i) => {
        // From the zero state the state is not an input: its gradient is the op's zeros.
        if (zeroState && names[i] === "dhc") return;
        assertClose(a, expected[i], names[i]);
      });
    },
  });
}

Deno.test({
  name: "convLstmCell: split over the BLAS helper's two threads, and with the im2col rebuilt in " +
    "the backward, equals tfjs ops on cpu",
  ignore: noBlas !== null,
  fn: () => withHelper("conv_lstm_cell_test.ts", "splitCheck", splitCheck),
});

/** That test's body (exported for tests/ops/_with_helper.ts). */
export async function splitCheck(): Promise<void> {
  {
    // 4 images of 32 x 32: 4,096 rows, the fewest the helper takes (4 parts of one image).
    const size: Size = { B: 4, H: 32, W: 32, CIN: 1, C: 4, K: 3 };
    await initBackend("wasm", { quiet: true });
    const helper = blasHelper();
    if (!helper) {
      // Off only by choice here (a machine with BLAS has worker threads and the thread call).
      assert.match(blasHelperStatus(), /RC_BLAS_HELPER=off/);
      console.error(`helper off (${blasHelperStatus()}): only the one-thread path is checked`);
    }
    for (const zeroState of [false, true]) {
      const v = inputs(zeroState, size);
      await initBackend("cpu", { quiet: true });
      const expected = gradients(v, ([x, hc, k, b]) => composed(size, x, hc, k, b), size);
      await initBackend("wasm", { quiet: true });
      for (const useHelper of helper ? [true, false] : [false]) {
        for (const keep of [true, false]) {
          const wasOn = setBlasHelperEnabled(useHelper);
          const wasKeep = setKeepIm2colBytes(keep ? 2 ** 40 : 0);
          const before = tf.memory().numTensors;
          let actual: Float32Array[], again: Float32Array[];
          try {
            actual = gradients(v, opStep(size, zeroState), size);
            // Which thread runs which part varies from call to call; the bits must not.
            again = gradients(v, opStep(size, zeroState), size);
          } finally {
            setBlasHelperEnabled(wasOn);
            setKeepIm2colBytes(wasKeep);
          }
          const what = `${zeroState ? "zero state, " : ""}helper ${useHelper ? "on" : "off"}, ` +
            `im2col ${keep ? "kept" : "rebuilt"}`;
          assert.equal(tf.memory().numTensors, before, `${what}: leaked tensors`);
          assert.deepStrictEqual(again, actual, `${what}: a second call gave other bits`);
          ["value", "dx", "dhc", "dkernel", "dbias"].forEach((name, i) => {
            if (!(zeroState && name === "dhc")) {
              assertClose(actual[i], expected[i], `${what}: ${name}`);
            }
          });
        }
      }
    }
  }
}

Deno.test({
  name: "convLstmCell: a step whose scratch cannot fit below the heap's 4 GB fails with a clear " +
    "error, not an out-of-bounds write",
  ignore: noBlas !== null,
  fn: async () => {
    // tfjs-wasm's malloc may answer a block that runs past the end of its memory near 4 GB: the
    // op must see it. In a process of its own, as the heap it leaves is not one to share.
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./_conv_lstm_heap_edge.ts", import.meta.url).pathname],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout).trim();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    assert.match(
      text,
      /^ConvLSTM step: tfjs-wasm's heap could not hold this step's \d+ MB \(buffer 2, shape \[370440000\]\): run fewer examples at once/,
    );
  },
});
