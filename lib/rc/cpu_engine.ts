/**
 * A CPU training engine for the LSTM: one batch's forward pass, RC spike finding, loss and
 * hand-written BPTT, with no tfjs op per step. The matmuls go to BLAS (lib/blas.ts), the cell to
 * the WebAssembly SIMD kernels (lib/models/lstm_cell_wasm.c), everything on one memory; tfjs holds the
 * weights and runs Adam.
 *
 * Why: on tfjs-wasm each op costs ~15 us of engine overhead whatever its size, ~30 ops per step
 * forward and backward, so a step's cost hardly shrank as spiked examples left the batch (hidden
 * 125, measured: 1.71 ms per step at 128 examples, 0.60 ms at 16). RC's skipped example-steps then
 * saved far less wall-clock than their number. Here a step costs what its rows cost: examples that
 * have taken their loss leave the active set at once (no bucket padding), and the forward pass
 * stops when none is left.
 *
 * Semantics equal `singlePassLoss` (RC: each example's loss at its first spike, or the last step)
 * and `batchLoss` (given loss steps, e.g. EOS), checked against them in tests: same steps, same
 * loss and gradients to float32 rounding. Spike decisions compare the float32-rounded confidence
 * with θ, as the tfjs path does.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { blasSgemm } from "../blas.ts";
import type { SequenceBatch } from "../data/toy.ts";
import type { Readout } from "./spike.ts";
import { instance, wasmCellAvailable } from "../models/lstm_cell_wasm.ts";

/** What the engine needs to know of the model. */
export interface NativeLstm {
  numInputs: number;
  hiddenSize: number;
  readoutHidden: number[];
  numOutputs: number;
  variables: tf.Variable[];
}

let enabled = true;

/** Turns the engine on or off (tests compare it with the tfjs path); returns the previous value. */
export function setNativeEnabled(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** Whether the engine can run now: wasm backend, BLAS installed and the SIMD cell loadable. */
export function nativeAvailable(): boolean {
  return enabled && tf.getBackend() === "wasm" && blasSgemm() !== null && wasmCellAvailable();
}

/** A bump allocator over the cell module's memory (offsets in floats, 16-byte aligned). */
class Arena {
  readonly f32: Float32Array;
  readonly base: Deno.PointerObject;
  #at: number;
  readonly #end: number;

  constructor(floats: number) {
    const m = instance();
    const start = Math.ceil((m.__heap_base.value as number) / 16) * 4;
    const need = (start + floats) * 4 - m.memory.buffer.byteLength;
    if (need > 0) m.memory.grow(Math.ceil(need / 65536));
    this.f32 = new Float32Array(m.memory.buffer);
    this.base = Deno.UnsafePointer.of(new Uint8Array(m.memory.buffer))!;
    this.#at = start;
    this.#end = start + floats;
  }

  alloc(n: number, zero = false): number {
    const at = this.#at;
    this.#at += Math.ceil((n + 4) / 4) * 4; // 4 floats of padding: the cell's last vector reads past
    if (this.#at > this.#end) throw new Error("cpu_engine: arena bound too small (a bug)");
    if (zero) this.f32.fill(0, at, at + n);
    return at;
  }
}

/** One step of the forward pass, as the backward pass needs it. */
interface Tape {
  n: number;
  /** Input rows `[n, F]`, state entering the step `[n, 2H]`, gate activations `[n, 5H]`. */
  x: number;
  hcp: number;
  acts: number;
  /** Positions (in this step's rows) of the rows that go on to the next step. */
  keep: Int32Array;
  /** Positions of the rows taking their loss here, their layer inputs and d loss / d logits. */
  lossPos: Int32Array;
  lossIn: number[];
  dlogits: number;
}

const NO_TRANS = 111;
const TRANS = 112;

/**
 * Loss (mean over the batch of `L - βH` at each example's loss step) and its gradients, in
 * `model.variables` order. RC (`threshold`): loss at each example's first spike, found here; or at
 * the given `steps` (EOS: all `T - 1`).
 */
export function nativeLossAndGrads(
  model: NativeLstm,
  batch: SequenceBatch,
  opts: { readout: Readout; beta: number; threshold?: number; steps?: Int32Array },
): { loss: number; grads: Float32Array[]; steps: Int32Array; stepsComputed: number } {
  const sgemm = blasSgemm();
  if (!sgemm || !wasmCellAvailable()) throw new Error("cpu_engine: needs wasm with BLAS");
  if ((opts.threshold === undefined) === (opts.steps === undefined)) {
    throw new Error("cpu_engine: give exactly one of threshold (RC) and steps");
  }
  const { numSteps: T, batchSize: B, numFeatures: F } = batch;
  const H = model.hiddenSize;
  const G = 4 * H;
  const layers = [H, ...model.readoutHidden, model.numOutputs];
  const K = layers.length - 1;
  const O = model.numOutputs;
  if (F !== model.numInputs) {
    throw new Error(`cpu_engine: batch has ${F} features, the model ${model.numInputs}`);
  }
  if (opts.readout === "binary" && O !== 1) {
    throw new Error(`The binary readout needs 1 output unit: the model has ${O}.`);
  }
  const widths = layers.reduce((a, b) => a + b, 0);
  const weightFloats = model.variables.reduce((a, v) => a + v.size, 0);
  // Per step: inputs, entering state, activations (next state counted in 7H). Then transients
  // (xw, hu, dz: 3G; hc, first state, dhc, 2 x dprev: 5 x 2H; readout outputs, loss rows and 2
  // gradient buffers: 4 x widths), weights and gradients, and each allocation's padding.
  const bound = T * B * (F + 7 * H) + B * 3 * G + 5 * B * 2 * H + 4 * B * widths + G +
    2 * weightFloats + 8 * (T * (5 + K) + 4 * K + 40);
  const arena = new Arena(bound);
  const f32 = arena.f32;
  const P = (offset: number) => Deno.UnsafePointer.offset(arena.base, offset * 4);
  const gemm = (
    ta: boolean,
    tb: boolean,
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    beta: number,
    c: number,
    ldc: number,
  ) => {
    if (m === 0 || n === 0 || k === 0) return; // callers never need C zeroed here
    sgemm(
      101,
      ta ? TRANS : NO_TRANS,
      tb ? TRANS : NO_TRANS,
      m,
      n,
      k,
      1,
      P(a),
      lda,
      P(b),
      ldb,
      beta,
      P(c),
      ldc,
    );
  };

  // Weights in, gradients zeroed: [W, U, b, (w_i, b_i) per readout layer].
  const weights = model.variables.map((v) => {
    const at = arena.alloc(v.size);
    f32.set(v.dataSync() as Float32Array, at);
    return at;
  });
  const grads = model.variables.map((v) => arena.alloc(v.size, true));
  const [W, U, bias] = weights;
  const [gW, gU, gb] = grads;
  const rw = (i: number) => weights[3 + 2 * (i - 1)]; // readout layer i (1..K): [L_{i-1}, L_i]
  const rb = (i: number) => weights[4 + 2 * (i - 1)];

  // Transients.
  const xw = arena.alloc(B * G);
  const hu = arena.alloc(B * G);
  const hc = arena.alloc(B * 2 * H);
  const outs = layers.map((L, i) => (i === 0 ? -1 : arena.alloc(B * L)));
  const cellMod = instance();

  const steps = new Int32Array(B).fill(T - 1);
  const tape: Tape[] = [];
  let rows = Int32Array.from({ length: B }, (_, i) => i);
  let hcp = arena.alloc(B * 2 * H, true);
  let lossSum = 0;
  let computed = 0;
  const threshold = opts.threshold ?? Infinity;
  for (let t = 0; t < T && rows.length > 0; t++) {
    const n = rows.length;
    const x = arena.alloc(n * F);
    for (let r = 0; r < n; r++) {
      const src = (t * B + rows[r]) * F;
      f32.set(batch.x.subarray(src, src + F), x + r * F);
    }
    gemm(false, false, n, G, F, x, F, W, G, 0, xw, G);
    gemm(false, false, n, G, H, hcp, 2 * H, U, G, 0, hu, G);
    const acts = arena.alloc(n * 5 * H);
    cellMod.cell_forward(n, H, 4 * xw, 4 * hu, 4 * bias, 4 * hcp, 4 * hc, 4 * acts);
    // Readout: layer i takes a (lda wide) to outs[i]; ReLU on hidden layers.
    let a = hc;
    let lda = 2 * H;
    for (let i = 1; i <= K; i++) {
      const L = layers[i];
      gemm(false, false, n, L, layers[i - 1], a, lda, rw(i), L, 0, outs[i], L);
      const bb = rb(i);
      for (let r = 0; r < n; r++) {
        const row = outs[i] + r * L;
        for (let j = 0; j < L; j++) {
          const v = f32[row + j] + f32[bb + j];
          f32[row + j] = i < K && v < 0 ? 0 : v;
        }
      }
      a = outs[i];
      lda = L;
    }
    const logits = outs[K];
    // Who takes the loss at this step.
    const taking: number[] = [];
    for (let r = 0; r < n; r++) {
      const b = rows[r];
      const take = opts.steps
        ? opts.steps[b] === t
        : t === T - 1 || Math.fround(confidence(f32, logits + r * O, O, opts.readout)) >= threshold;
      if (take) {
        taking.push(r);
        steps[b] = t;
      }
    }
    const lossPos = Int32Array.from(taking);
    const m = lossPos.length;
    const lossIn: number[] = [];
    let dlogits = -1;
    if (m > 0) {
      // Layer inputs of the rows taking their loss (h, then each hidden layer's output).
      for (let i = 1; i <= K; i++) {
        const L = layers[i - 1];
        const src = i === 1 ? hc : outs[i - 1];
        const ld = i === 1 ? 2 * H : L;
        const dst = arena.alloc(m * L);
        for (let q = 0; q < m; q++) {
          f32.copyWithin(dst + q * L, src + lossPos[q] * ld, src + lossPos[q] * ld + L);
        }
        lossIn.push(dst);
      }
      dlogits = arena.alloc(m * O);
      for (let q = 0; q < m; q++) {
        const r = lossPos[q];
        lossSum += lossAndGrad(
          f32,
          logits + r * O,
          O,
          batch.y[rows[r]],
          opts.readout,
          opts.beta,
          dlogits + q * O,
          1 / B,
        );
      }
    }
    // The rows that go on, in order; their state enters the next step.
    const keep = new Int32Array(n - m);
    for (let r = 0, q = 0, k = 0; r < n; r++) {
      if (q < m && lossPos[q] === r) q++;
      else keep[k++] = r;
    }
    tape.push({ n, x, hcp, acts, keep, lossPos, lossIn, dlogits });
    computed += n;
    const next = arena.alloc(keep.length * 2 * H);
    for (let k = 0; k < keep.length; k++) {
      f32.copyWithin(next + k * 2 * H, hc + keep[k] * 2 * H, hc + (keep[k] + 1) * 2 * H);
    }
    hcp = next;
    rows = Int32Array.from(keep, (r) => rows[r]);
  }

  // Backward, from the last step computed down to step 0.
  const dhc = arena.alloc(B * 2 * H);
  const dz = arena.alloc(B * G);
  const dbt = arena.alloc(G);
  const dprev = [arena.alloc(B * 2 * H), arena.alloc(B * 2 * H)];
  const gtmp = [arena.alloc(B * widths), arena.alloc(B * widths)];
  let dnext = -1;
  for (let t = tape.length - 1; t >= 0; t--) {
    const s = tape[t];
    const n = s.n;
    f32.fill(0, dhc, dhc + n * 2 * H);
    if (dnext >= 0) {
      for (let k = 0; k < s.keep.length; k++) {
        const from = dnext + k * 2 * H;
        f32.copyWithin(dhc + s.keep[k] * 2 * H, from, from + 2 * H);
      }
    }
    const m = s.lossPos.length;
    if (m > 0) {
      let g = s.dlogits;
      for (let i = K; i >= 1; i--) {
        const Lin = layers[i - 1];
        const Lout = layers[i];
        gemm(
          true,
          false,
          Lin,
          Lout,
          m,
          s.lossIn[i - 1],
          Lin,
          g,
          Lout,
          1,
          grads[3 + 2 * (i - 1)],
          Lout,
        );
        const gbias = grads[4 + 2 * (i - 1)];
        for (let q = 0; q < m; q++) {
          for (let j = 0; j < Lout; j++) f32[gbias + j] += f32[g + q * Lout + j];
        }
        const gin = gtmp[i % 2];
        gemm(false, true, m, Lin, Lout, g, Lout, rw(i), Lout, 0, gin, Lin);
        if (i > 1) {
          const aIn = s.lossIn[i - 1]; // ReLU output: its gradient passes where it is > 0
          for (let e = 0; e < m * Lin; e++) if (!(f32[aIn + e] > 0)) f32[gin + e] = 0;
        } else {
          for (let q = 0; q < m; q++) {
            const row = dhc + s.lossPos[q] * 2 * H;
            for (let j = 0; j < H; j++) f32[row + j] += f32[gin + q * H + j];
          }
        }
        g = gin;
      }
    }
    const out = dprev[t % 2];
    cellMod.cell_backward(n, H, 4 * s.acts, 4 * s.hcp, 4 * dhc, 4 * dz, 4 * out, 4 * dbt);
    gemm(true, false, H, G, n, s.hcp, 2 * H, dz, G, 1, gU, G);
    gemm(true, false, F, G, n, s.x, F, dz, G, 1, gW, G);
    for (let j = 0; j < G; j++) f32[gb + j] += f32[dbt + j];
    if (t > 0) gemm(false, true, n, H, G, dz, G, U, G, 0, out, 2 * H);
    dnext = out;
  }
  return {
    loss: lossSum,
    grads: model.variables.map((v, k) => f32.slice(grads[k], grads[k] + v.size)),
    steps,
    stepsComputed: computed,
  };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));

/** The readout's confidence for one row of logits (as lib/rc/spike.ts defines it). */
function confidence(f32: Float32Array, at: number, O: number, readout: Readout): number {
  if (readout === "binary") {
    const p = sigmoid(f32[at]);
    return Math.max(p, 1 - p);
  }
  if (readout === "sigmoid") {
    let best = 0;
    for (let j = 0; j < O; j++) best = Math.max(best, sigmoid(f32[at + j]));
    return best;
  }
  let max = -Infinity;
  for (let j = 0; j < O; j++) max = Math.max(max, f32[at + j]);
  let sum = 0;
  for (let j = 0; j < O; j++) sum += Math.exp(f32[at + j] - max);
  return 1 / sum;
}

/**
 * `L - βH` of one row (as lib/rc/loss.ts defines it), returned divided by the batch size via
 * `scale`; writes its gradient with respect to the logits, times `scale`, at `out`.
 *   binary/sigmoid, per unit: d/dz = σ - y + β σ(1 - σ) z
 *   softmax: d/dz_k = p_k - y_k + β p_k (z_k - Σ_j p_j z_j)
 */
function lossAndGrad(
  f32: Float32Array,
  at: number,
  O: number,
  label: number,
  readout: Readout,
  beta: number,
  out: number,
  scale: number,
): number {
  let loss = 0;
  if (readout === "binary" || readout === "sigmoid") {
    for (let j = 0; j < O; j++) {
      const z = f32[at + j];
      const y = readout === "binary" ? label : (j === label ? 1 : 0);
      const sp = softplus(z);
      const s = sigmoid(z);
      loss += sp - y * z - beta * (sp - s * z);
      f32[out + j] = (s - y + beta * s * (1 - s) * z) * scale;
    }
    return loss * scale;
  }
  let max = -Infinity;
  for (let j = 0; j < O; j++) max = Math.max(max, f32[at + j]);
  let sum = 0;
  for (let j = 0; j < O; j++) sum += Math.exp(f32[at + j] - max);
  const lse = max + Math.log(sum);
  let zbar = 0;
  for (let j = 0; j < O; j++) zbar += Math.exp(f32[at + j] - lse) * f32[at + j];
  loss = lse - f32[at + label] - beta * (lse - zbar);
  for (let j = 0; j < O; j++) {
    const p = Math.exp(f32[at + j] - lse);
    f32[out + j] = (p - (j === label ? 1 : 0) + beta * p * (f32[at + j] - zbar)) * scale;
  }
  return loss * scale;
}
