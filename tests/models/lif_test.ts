/**
 * The LIF network (lib/models/lif_net.ts) and its ops (lib/ops/lif_cell.ts, avg_pool2.ts):
 * the update against its defining equation in float64, the surrogate gradient against its
 * definition, the network's gradients against finite differences where no potential is near the
 * threshold, the fused kernel against the composite tfjs-op path, RC at an unreachable threshold
 * against EOS, the `lif` readout, and tensor leaks.
 */
// The accelerated paths, as every task and mod.ts registers them.
import "../../lib/accel/register.ts";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import { LifNet, type LifNetOptions } from "../../lib/models/lif_net.ts";
import { writeVariables } from "../../lib/models/model.ts";
import { avgPool2 } from "../../lib/ops/avg_pool2.ts";
import { lifCell, surrogateDerivative, surrogateSpike, WU_LIF } from "../../lib/ops/lif_cell.ts";
import { Rng } from "../../lib/random.ts";
import { rcLoss } from "../../lib/rc/loss.ts";
import { confidenceAndLabel, firstSpikes, labelsAt } from "../../lib/rc/spike.ts";
import { traceBatch } from "../../lib/rc/infer.ts";
import { batchLoss, fit, lossAndGrads } from "../../lib/rc/train.ts";
import type { SequenceBatch } from "../../lib/data/batch.ts";
import { useCpu } from "../_backend.ts";

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) => {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(
      Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])),
      `${what}[${i}]: ${a[i]} vs ${b[i]}`,
    );
  }
};

// Hand-made: 3 rows of C = 2 neurons.
const U_PREV = [0.3, 1.0, -0.2, 0.6, 2.0, 0.9];
const O_PREV = [0, 1, 0, 1, 0, 0];
const Z = [0.4, 0.1, 0.9, 0.45, -0.1, -0.3];
const BIAS = [0.05, -0.1];

/** u = τ u_prev (1 − o_prev) + z + b, o = [u ≥ V_th], in float64. */
function referenceCell(p = WU_LIF) {
  const u = U_PREV.map((v, i) => p.decay * v * (1 - O_PREV[i]) + Z[i] + BIAS[i % 2]);
  return { u, o: u.map((v) => (v >= p.threshold ? 1 : 0)) };
}

const cellInputs = () => ({
  uPrev: tf.tensor2d(U_PREV, [3, 2]),
  oPrev: tf.tensor2d(O_PREV, [3, 2]),
  z: tf.tensor2d(Z, [3, 2]),
  bias: tf.tensor1d(BIAS),
});

for (const fused of [true, false]) {
  const name = fused ? "fused kernel" : "composite tfjs ops";
  Deno.test(`lifCell (${name}) follows u = τ u (1 − o) + z + b, o = H(u − V_th)`, async () => {
    await useCpu();
    const ref = referenceCell();
    // By hand: row 0, neuron 0: 0.2 · 0.3 · 1 + 0.4 + 0.05 = 0.51 ≥ 0.5, fires; neuron 1 was
    // reset: 0 + 0.1 − 0.1 = 0, silent.
    assert.ok(Math.abs(ref.u[0] - 0.51) < 1e-12 && ref.o[0] === 1 && ref.u[1] === 0);
    const x = cellInputs();
    const { u, o } = lifCell(x.uPrev, x.oPrev, x.z, x.bias, { ...WU_LIF, fused });
    close(await u.data(), ref.u, 1e-6, "u");
    assert.deepEqual(Array.from(await o.data()), ref.o);
    tf.dispose([u, o, ...Object.values(x)]);
  });

  Deno.test(`lifCell (${name}): gradients are the surrogate's, through the reset too`, async () => {
    await useCpu();
    const ref = referenceCell();
    const alpha = [0.7, -1.3, 0.2, 0.5, -0.4, 1.1]; // dL/du
    const beta = [1.5, 0.3, -2.0, 0.8, 0.6, -0.9]; // dL/do
    // Expected in float64: g = α + β · 1{|u − V_th| < a}; dz = g, du_prev = g τ (1 − o_prev),
    // do_prev = −g τ u_prev, db_c = Σ_rows g.
    const g = ref.u.map((u, i) => alpha[i] + beta[i] * surrogateDerivative(u, WU_LIF));
    const x = cellInputs();
    const grads = tf.grads((uPrev, oPrev, z, bias) => {
      const r = lifCell(uPrev, oPrev, z, bias as tf.Tensor1D, { ...WU_LIF, fused });
      return tf.add(
        tf.sum(tf.mul(r.u, tf.tensor2d(alpha, [3, 2]))),
        tf.sum(tf.mul(r.o, tf.tensor2d(beta, [3, 2]))),
      ) as tf.Scalar;
    })([x.uPrev, x.oPrev, x.z, x.bias]);
    const [du, dO, dz, db] = await Promise.all(grads.map((t) => t.data()));
    close(dz, g, 1e-6, "dz");
    close(du, g.map((v, i) => v * WU_LIF.decay * (1 - O_PREV[i])), 1e-6, "du_prev");
    close(dO, g.map((v, i) => -v * WU_LIF.decay * U_PREV[i]), 1e-6, "do_prev");
    close(db, [g[0] + g[2] + g[4], g[1] + g[3] + g[5]], 1e-6, "db");
    tf.dispose([...grads, ...Object.values(x)]);
  });
}

Deno.test("surrogateSpike: H forward, 1{|u − V_th| < a} backward (edges excluded)", async () => {
  await useCpu();
  const u = tf.tensor1d([-0.1, 0, 0.2, 0.5, 0.99, 1.0, 1.2]);
  const { value, grads } = tf.valueAndGrads((x: tf.Tensor) => surrogateSpike(x, WU_LIF).sum())([u]);
  assert.deepEqual(Array.from(await grads[0].data()), [0, 0, 1, 1, 1, 0, 0]);
  assert.equal((await value.data())[0], 4); // 0.5, 0.99, 1.0, 1.2 fire
  tf.dispose([u, value, ...grads]);
});

Deno.test("avgPool2: the window means, and a gradient equal to tfjs's AvgPool's", async () => {
  await useCpu();
  const rng = new Rng(5);
  const x = tf.tensor4d(Array.from({ length: 2 * 4 * 6 * 3 }, () => rng.uniform(-1, 1)), [
    2,
    4,
    6,
    3,
  ]);
  const w = tf.tensor4d(Array.from({ length: 2 * 2 * 3 * 3 }, () => rng.uniform(-1, 1)), [
    2,
    2,
    3,
    3,
  ]);
  const ours = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(avgPool2(v as tf.Tensor4D), w)))(x);
  const theirs = tf.grad((v: tf.Tensor) =>
    tf.sum(tf.mul(tf.avgPool(v as tf.Tensor4D, 2, 2, "valid"), w))
  )(x);
  close(await ours.data(), await theirs.data(), 1e-6, "dx");
  const xs = await x.data();
  const pooled = await avgPool2(x).data();
  // Image 0, window (0, 0), channel 0, by hand.
  const want = (xs[0] + xs[3] + xs[18] + xs[21]) / 4;
  assert.ok(Math.abs(pooled[0] - want) < 1e-6);
  tf.dispose([x, w, ours, theirs]);
});

const TINY: LifNetOptions = { height: 4, width: 4, channels: 1, hidden: 2, numOutputs: 2, seed: 1 };

/** A batch of real-valued "frames" (the model takes any input; large enough to fire). */
function tinyBatch(rng: Rng, B: number, T: number): SequenceBatch {
  const x = Float32Array.from({ length: T * B * 16 }, () => rng.uniform(0, 2));
  const y = Int32Array.from({ length: B }, () => rng.int(2));
  return { x, y, numSteps: T, batchSize: B, numFeatures: 16 };
}

/** Every membrane potential of every layer at every step, as plain numbers. */
async function allPotentials(model: LifNet, batch: SequenceBatch): Promise<number[]> {
  const out: number[] = [];
  let state = model.initialState(batch.batchSize);
  for (let t = 0; t < batch.numSteps; t++) {
    const F = batch.numFeatures, B = batch.batchSize;
    const input = tf.tensor2d(batch.x.subarray(t * B * F, (t + 1) * B * F), [B, F]);
    const next = model.step(state, input);
    tf.dispose([input, next.logits, ...state]);
    state = next.state;
    for (const k of [0, 2, 4, 6]) out.push(...await state[k].data());
  }
  tf.dispose(state);
  return out;
}

Deno.test(
  "LifNet: gradients equal central finite differences where no potential is near V_th",
  async () => {
    // The surrogate is not the derivative of the forward pass, so finite differences can check
    // the network's gradient only where the surrogate is 0: every potential farther than `margin`
    // from V_th (spikes stay as they are under a small perturbation) and the rectangle narrower
    // than that. Then the output layer's weights, decay and reset are checked exactly, and every
    // layer below must get exactly zero (no gradient leaks past a spike but the surrogate's). The
    // surrogate's part is checked against the float64 reference below.
    await useCpu();
    const margin = 0.01, eps = 1e-3;
    let found: { model: LifNet; batch: SequenceBatch } | null = null;
    for (let seed = 1; seed <= 60 && !found; seed++) {
      const model = new LifNet({ ...TINY, seed, lif: { width: margin / 2 } });
      const batch = tinyBatch(new Rng(100 + seed), 1, 3);
      const u = await allPotentials(model, batch);
      // Spikes in the hidden layer (index 20-21 of each step's 24 potentials) feed the output.
      const hiddenSpikes = u.filter((v, i) => i % 24 >= 20 && i % 24 < 22 && v >= 0.5).length;
      if (hiddenSpikes >= 2 && Math.min(...u.map((v) => Math.abs(v - 0.5))) > margin) {
        found = { model, batch };
      } else tf.dispose(model.variables);
    }
    assert.ok(found, "a tiny network with spikes and no potential near V_th (seeds 1-60)");
    const { model, batch } = found;
    const steps = new Int32Array([batch.numSteps - 1]);
    const lossOf = () =>
      tf.tidy(() => batchLoss(model, batch, steps, { readout: "lif", beta: 0 }).loss.dataSync()[0]);
    const { value, grads } = tf.variableGrads(
      () => batchLoss(model, batch, steps, { readout: "lif", beta: 0 }).loss,
      model.variables,
    );
    const weights = await Promise.all(
      model.variables.map((v) => v.data() as Promise<Float32Array>),
    );
    let nonZero = 0;
    for (const [k, v] of model.variables.entries()) {
      const g = await grads[v.name].data();
      for (let i = 0; i < weights[k].length; i++) {
        const w = weights[k].slice();
        w[i] = weights[k][i] + eps;
        writeVariables([v], [w]);
        const plus = lossOf();
        w[i] = weights[k][i] - eps;
        writeVariables([v], [w]);
        const minus = lossOf();
        writeVariables([v], [weights[k]]);
        const fd = (plus - minus) / (2 * eps);
        assert.ok(
          Math.abs(g[i] - fd) <= 2e-3 + 1e-2 * Math.abs(fd),
          `${v.name}[${i}]: autodiff ${g[i]} vs finite difference ${fd}`,
        );
        if (k < 6) assert.equal(g[i], 0, `${v.name}[${i}]: below the output, no surrogate`);
        else if (Math.abs(fd) > 1e-3) nonZero++;
      }
    }
    assert.ok(nonZero >= 4, `the output layer's gradients are real (${nonZero} non-zero)`);
    tf.dispose([value, ...Object.values(grads), ...model.variables]);
  },
);

/**
 * Loss and gradients of a LifNet in float64 plain JS: the forward by loops, and BPTT with the
 * surrogate written out by hand (STBP, Wu et al. 2018), from each example's loss step `steps[b]`
 * (softmax cross-entropy on the output potentials, mean over the batch).
 */
function referenceStbp(m: LifNet, w: Float64Array[], batch: SequenceBatch, steps: Int32Array) {
  const { numSteps: T, batchSize: B } = batch;
  const H = m.height, W = m.width, C = m.channels, N = m.hidden, O = m.numOutputs;
  const H2 = H / 2, W2 = W / 2, H4 = H / 4, W4 = W / 4, F = H4 * W4 * C;
  const { decay: tau, threshold: vth, width: a } = m.lif;
  const [k1, b1, k2, b2, w3, b3, w4, b4] = w;
  const sg = (u: number) => (Math.abs(u - vth) < a ? 1 : 0);
  const sizes = [B * H * W * C, B * H2 * W2 * C, B * N, B * O];
  // Per step and layer: u, o; and the layer inputs x (frame), p1 (pooled o1), p2 (pooled o2).
  const us: Float64Array[][] = [], os: Float64Array[][] = [], xs: Float64Array[] = [];
  const p1s: Float64Array[] = [], p2s: Float64Array[] = [];
  const conv = (inp: Float64Array, h: number, wd: number, ci: number, k: Float64Array) => {
    const out = new Float64Array(B * h * wd * C);
    for (let b = 0; b < B; b++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < wd; x++) {
          for (let c = 0; c < C; c++) {
            let s = 0;
            for (let ky = 0; ky < 3; ky++) {
              for (let kx = 0; kx < 3; kx++) {
                const iy = y + ky - 1, ix = x + kx - 1;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                for (let j = 0; j < ci; j++) {
                  s += inp[((b * h + iy) * wd + ix) * ci + j] * k[((ky * 3 + kx) * ci + j) * C + c];
                }
              }
            }
            out[((b * h + y) * wd + x) * C + c] = s;
          }
        }
      }
    }
    return out;
  };
  const pool = (o: Float64Array, h: number, wd: number) => {
    const out = new Float64Array(B * (h / 2) * (wd / 2) * C);
    for (let b = 0; b < B; b++) {
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < wd; x++) {
          for (let c = 0; c < C; c++) {
            out[((b * (h / 2) + (y >> 1)) * (wd / 2) + (x >> 1)) * C + c] +=
              o[((b * h + y) * wd + x) * C + c] / 4;
          }
        }
      }
    }
    return out;
  };
  const dense = (inp: Float64Array, n: number, wm: Float64Array, out: number) => {
    const r = new Float64Array(B * out);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < out; j++) {
        for (let i = 0; i < n; i++) r[b * out + j] += inp[b * n + i] * wm[i * out + j];
      }
    }
    return r;
  };
  const lif = (l: number, t: number, z: Float64Array, bias: Float64Array, ch: number) => {
    const uPrev = t > 0 ? us[t - 1][l] : new Float64Array(sizes[l]);
    const oPrev = t > 0 ? os[t - 1][l] : new Float64Array(sizes[l]);
    const u = z.map((v, i) => tau * uPrev[i] * (1 - oPrev[i]) + v + bias[i % ch]);
    us[t][l] = u;
    os[t][l] = u.map((v) => (v >= vth ? 1 : 0));
  };
  for (let t = 0; t < T; t++) {
    us.push([]), os.push([]);
    xs.push(Float64Array.from(batch.x.subarray(t * B * H * W, (t + 1) * B * H * W)));
    lif(0, t, conv(xs[t], H, W, 1, k1), b1, C);
    p1s.push(pool(os[t][0], H, W));
    lif(1, t, conv(p1s[t], H2, W2, C, k2), b2, C);
    p2s.push(pool(os[t][1], H2, W2));
    lif(2, t, dense(p2s[t], F, w3, N), b3, N);
    lif(3, t, dense(os[t][2], N, w4, O), b4, O);
  }
  // Loss and dL/du4 at each example's step.
  let loss = 0;
  const dLoss = Array.from({ length: T }, () => new Float64Array(B * O));
  for (let b = 0; b < B; b++) {
    const z = us[steps[b]][3].subarray(b * O, (b + 1) * O);
    const mx = Math.max(...z);
    const e = Array.from(z, (v) => Math.exp(v - mx));
    const sum = e.reduce((s, v) => s + v, 0);
    loss += (Math.log(sum) + mx - z[batch.y[b]]) / B;
    for (let j = 0; j < O; j++) {
      dLoss[steps[b]][b * O + j] = (e[j] / sum - (j === batch.y[b] ? 1 : 0)) / B;
    }
  }
  const g = w.map((v) => new Float64Array(v.length));
  let duNext = sizes.map((n) => new Float64Array(n));
  for (let t = T - 1; t >= 0; t--) {
    const du = sizes.map((n) => new Float64Array(n));
    let doAbove = new Float64Array(B * O); // layer 4's spikes feed nothing
    for (let l = 3; l >= 0; l--) {
      const u = us[t][l], o = os[t][l];
      for (let i = 0; i < sizes[l]; i++) {
        const dO = doAbove[i] - duNext[l][i] * tau * u[i];
        du[l][i] = (l === 3 ? dLoss[t][i] : 0) + duNext[l][i] * tau * (1 - o[i]) + dO * sg(u[i]);
      }
      const dz = du[l];
      if (l === 3 || l === 2) {
        const inp = l === 3 ? os[t][2] : p2s[t], n = l === 3 ? N : F, out = l === 3 ? O : N;
        const wm = l === 3 ? w4 : w3, gw = g[l === 3 ? 6 : 4], gb = g[l === 3 ? 7 : 5];
        const dIn = new Float64Array(B * n);
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < out; j++) {
            const d = dz[b * out + j];
            gb[j] += d;
            for (let i = 0; i < n; i++) {
              gw[i * out + j] += inp[b * n + i] * d;
              dIn[b * n + i] += wm[i * out + j] * d;
            }
          }
        }
        if (l === 3) doAbove = dIn;
        else {
          // Through the pooling: each of the 4 pixels gets a quarter.
          doAbove = new Float64Array(sizes[1]);
          for (let b = 0; b < B; b++) {
            for (let y = 0; y < H2; y++) {
              for (let x = 0; x < W2; x++) {
                for (let c = 0; c < C; c++) {
                  doAbove[((b * H2 + y) * W2 + x) * C + c] =
                    dIn[((b * H4 + (y >> 1)) * W4 + (x >> 1)) * C + c] / 4;
                }
              }
            }
          }
        }
      } else {
        const h = l === 1 ? H2 : H, wd = l === 1 ? W2 : W, ci = l === 1 ? C : 1;
        const inp = l === 1 ? p1s[t] : xs[t], k = l === 1 ? k2 : k1;
        const gk = g[l === 1 ? 2 : 0], gb = g[l === 1 ? 3 : 1];
        const dIn = new Float64Array(B * h * wd * ci);
        for (let b = 0; b < B; b++) {
          for (let y = 0; y < h; y++) {
            for (let x = 0; x < wd; x++) {
              for (let c = 0; c < C; c++) {
                const d = dz[((b * h + y) * wd + x) * C + c];
                gb[c] += d;
                for (let ky = 0; ky < 3; ky++) {
                  for (let kx = 0; kx < 3; kx++) {
                    const iy = y + ky - 1, ix = x + kx - 1;
                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                    for (let j = 0; j < ci; j++) {
                      const at = ((b * h + iy) * wd + ix) * ci + j,
                        kk = ((ky * 3 + kx) * ci + j) * C + c;
                      gk[kk] += inp[at] * d;
                      dIn[at] += k[kk] * d;
                    }
                  }
                }
              }
            }
          }
        }
        if (l === 1) {
          doAbove = new Float64Array(sizes[0]);
          for (let b = 0; b < B; b++) {
            for (let y = 0; y < H; y++) {
              for (let x = 0; x < W; x++) {
                for (let c = 0; c < C; c++) {
                  doAbove[((b * H + y) * W + x) * C + c] =
                    dIn[((b * H2 + (y >> 1)) * W2 + (x >> 1)) * C + c] / 4;
                }
              }
            }
          }
        }
      }
    }
    duNext = du;
  }
  return { loss, grads: g, potentials: us };
}

Deno.test("LifNet: loss and gradients equal a float64 STBP reference with the surrogate", async () => {
  await useCpu();
  const batch = tinyBatch(new Rng(21), 3, 4);
  const steps = new Int32Array([3, 1, 2]);
  for (const fused of [true, false]) {
    const model = new LifNet({ ...TINY, channels: 2, hidden: 3, seed: 5, fused });
    const w = await Promise.all(
      model.variables.map(async (v) => Float64Array.from(await v.data())),
    );
    const ref = referenceStbp(model, w, batch, steps);
    // The reference must exercise the surrogate: potentials inside its rectangle, and spikes.
    const all = ref.potentials.flat().flatMap((u) => Array.from(u));
    assert.ok(all.filter((u) => Math.abs(u - 0.5) < 0.5).length > 10, "potentials in the window");
    assert.ok(all.filter((u) => u >= 0.5).length > 10, "spikes");
    const { value, grads } = tf.variableGrads(
      () => batchLoss(model, batch, steps, { readout: "lif", beta: 0 }).loss,
      model.variables,
    );
    assert.ok(Math.abs((await value.data())[0] - ref.loss) < 1e-5, `loss (fused ${fused})`);
    for (const [k, v] of model.variables.entries()) {
      close(await grads[v.name].data(), ref.grads[k], 1e-4, `${v.name} (fused ${fused})`);
    }
    assert.ok(ref.grads.slice(0, 4).some((g) => g.some((x) => Math.abs(x) > 1e-4)), "conv grads");
    tf.dispose([value, ...Object.values(grads), ...model.variables]);
  }
});

/** Loss, gradients and loss steps of a new LifNet(opts) on `batch` (RC unless `method`). */
async function networkGrads(
  opts: LifNetOptions,
  batch: SequenceBatch,
  threshold: number,
  method: "rc" | "eos" = "rc",
) {
  const model = new LifNet(opts);
  const r = await lossAndGrads(model, batch, { method, readout: "lif", threshold, beta: 0 });
  const out = {
    loss: (await r.value.data())[0],
    grads: await Promise.all(model.variables.map((v) => r.grads[v.name].data())),
    steps: Array.from(r.steps),
  };
  tf.dispose([r.value, ...Object.values(r.grads), ...model.variables]);
  return out;
}

Deno.test("LifNet: the fused kernel and the composite tfjs-op path give equal RC gradients", async () => {
  await useCpu();
  const opts = { ...TINY, channels: 2, hidden: 4, seed: 3 };
  const batch = tinyBatch(new Rng(8), 6, 4);
  // A readout θ that half the examples reach at step 1 (the median of their top potentials).
  const probe = new LifNet(opts);
  const { traces } = await traceBatch(probe, batch, { readout: "lif" });
  tf.dispose(probe.variables);
  const atStep1 = Array.from(traces.confidence.subarray(6, 12)).sort((x, y) => x - y);
  const theta = (atStep1[2] + atStep1[3]) / 2;
  const a = await networkGrads({ ...opts, fused: true }, batch, theta);
  const b = await networkGrads({ ...opts, fused: false }, batch, theta);
  assert.deepEqual(a.steps, b.steps);
  assert.ok(a.steps.some((s) => s < 3), `some examples spike before the last step: ${a.steps}`);
  assert.ok(Math.abs(a.loss - b.loss) < 1e-6);
  a.grads.forEach((g, k) => close(g, b.grads[k], 1e-5, `variable ${k}`));
  assert.ok(a.grads.some((g) => g.some((v) => v !== 0)));
});

Deno.test("LifNet on wasm equals the cpu backend (values and gradients)", async () => {
  const opts = { ...TINY, channels: 2, hidden: 4, seed: 4 };
  const batch = tinyBatch(new Rng(9), 5, 3);
  await useCpu();
  const cpu = await networkGrads(opts, batch, 0.05);
  await initBackend("wasm", { quiet: true });
  try {
    const wasm = await networkGrads(opts, batch, 0.05);
    assert.deepEqual(wasm.steps, cpu.steps);
    assert.ok(Math.abs(wasm.loss - cpu.loss) < 1e-5);
    wasm.grads.forEach((g, k) => close(g, cpu.grads[k], 1e-4, `variable ${k}`));
  } finally {
    await useCpu();
  }
});

Deno.test("RC with a threshold never reached equals EOS (loss, gradients, loss steps)", async () => {
  await useCpu();
  const batch = tinyBatch(new Rng(10), 4, 3);
  const rc = await networkGrads({ ...TINY, seed: 6 }, batch, 1e9);
  const eos = await networkGrads({ ...TINY, seed: 6 }, batch, 0.5, "eos");
  assert.deepEqual(rc.steps, [2, 2, 2, 2]);
  assert.deepEqual(eos.steps, [2, 2, 2, 2]);
  assert.equal(rc.loss, eos.loss);
  rc.grads.forEach((g, k) => assert.deepEqual(Array.from(g), Array.from(eos.grads[k])));
});

Deno.test("the lif readout: confidence = max potential, label = argmax; loss = softmax CE", async () => {
  await useCpu();
  const logits = tf.tensor2d([[0.2, 0.7, -1], [0.1, 0.05, 0.3]]);
  const { confidence, label } = confidenceAndLabel(logits, "lif");
  close(await confidence.data(), [0.7, 0.3], 1e-7, "confidence");
  assert.deepEqual(Array.from(await label.data()), [1, 2]);
  const labels = tf.tensor1d([1, 0], "int32");
  const lif = await rcLoss(logits, labels, "lif", 0.1).data();
  const soft = await rcLoss(logits, labels, "softmax", 0.1).data();
  assert.deepEqual(Array.from(lif), Array.from(soft));
  // By hand: row 0, −log softmax(z)_1 = log(e^0.2 + e^0.7 + e^−1) − 0.7 (β = 0).
  const ce0 = Math.log(Math.exp(0.2) + Math.exp(0.7) + Math.exp(-1)) - 0.7;
  const plain = await rcLoss(logits, labels, "lif", 0).data();
  assert.ok(Math.abs(plain[0] - ce0) < 1e-6);
  tf.dispose([logits, confidence, label, labels]);
});

Deno.test("LifNet leaks no tensors: steps, gradients and a short fit()", async () => {
  await useCpu();
  const model = new LifNet({ ...TINY, seed: 2 });
  const batch = tinyBatch(new Rng(11), 4, 3);
  const before = tf.memory().numTensors;
  const state = model.initialState(4);
  const input = tf.tensor2d(batch.x.subarray(0, 4 * 16), [4, 16]);
  const out = model.step(state, input);
  tf.dispose([input, ...state, ...out.state, out.logits]);
  assert.equal(tf.memory().numTensors, before);
  const mid = before;
  for (const method of ["rc", "eos"] as const) {
    const r = await lossAndGrads(model, batch, {
      method,
      readout: "lif",
      threshold: 0.5,
      beta: 0,
    });
    tf.dispose([r.value, ...Object.values(r.grads)]);
  }
  assert.equal(tf.memory().numTensors, mid);
  await fit(model, {
    method: "rc",
    readout: "lif",
    threshold: 0.5,
    beta: 0,
    learningRate: 1e-3,
    numBatches: 2,
    trainBatch: () => batch,
    validation: batch,
    validateEvery: 1,
  });
  assert.equal(tf.memory().numTensors, mid);
  tf.dispose(model.variables);
});

Deno.test("LifNet: RC-inference that halts and drops spiked examples finds the full pass's spikes", async () => {
  await useCpu();
  const model = new LifNet({ ...TINY, channels: 2, hidden: 4, seed: 3 });
  const batch = tinyBatch(new Rng(12), 16, 4);
  const full = await traceBatch(model, batch, { readout: "lif" });
  const atStep1 = Array.from(full.traces.confidence.subarray(16, 32)).sort((x, y) => x - y);
  const theta = atStep1[8];
  const halted = await traceBatch(model, batch, { readout: "lif", haltThreshold: theta });
  const a = firstSpikes(full.traces, theta), b = firstSpikes(halted.traces, theta);
  assert.deepEqual(Array.from(b.steps), Array.from(a.steps));
  assert.deepEqual(
    Array.from(labelsAt(halted.traces, b.steps)),
    Array.from(labelsAt(full.traces, a.steps)),
  );
  assert.ok(halted.stepsComputed < full.stepsComputed, "spiked examples were dropped");
  tf.dispose(model.variables);
});
