/**
 * A CPU training engine for the LSTM: one batch's forward pass, RC spike finding, loss and
 * hand-written BPTT, with no tfjs op per step. The matmuls go to BLAS (lib/ops/blas.ts), the cell to
 * the WebAssembly SIMD kernels (lib/ops/lstm_cell_wasm.c), everything on one memory; tfjs
 * holds the weights and runs Adam.
 *
 * Why: on tfjs-wasm each op costs ~15 us of engine overhead whatever its size, ~30 ops per step
 * forward and backward, so a step's cost hardly shrank as spiked examples left the batch (hidden
 * 125: 2.09 ms per step at 128 examples, 0.61 at 16; bench/step_scaling.ts). RC's skipped
 * example-steps then saved far less wall-clock than their number. Here a step costs what its rows cost: examples that
 * have taken their loss leave the active set at once (no bucket padding), and the forward pass
 * stops when none is left.
 *
 * Semantics equal `singlePassLoss` (RC: each example's loss at its first spike, or the last step)
 * and `batchLoss` (given loss steps, e.g. EOS), checked against them in tests: same steps, same
 * loss and gradients to float32 rounding. Spike decisions compare the float32-rounded confidence
 * with θ, as the tfjs path does.
 * @module
 */
import { argmaxLabel, confidence } from "../rc/readout.ts";
import * as tf from "@tensorflow/tfjs";
import { blasSgemm } from "../ops/blas.ts";
import type { SequenceBatch } from "../data/batch.ts";
import { Lstm } from "../models/lstm.ts";
import type { RecurrentModel } from "../models/model.ts";
import type { Readout } from "../rc/spike.ts";
import { Arena, instance, wasmCellAvailable } from "../ops/lstm_cell_wasm.ts";

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

/** `model` when the engine runs it now (an `Lstm` with its fused cell), else null. */
export function engineModel(model: RecurrentModel): Lstm | null {
  return model instanceof Lstm && model.fusedCell && nativeAvailable() ? model : null;
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

/** Sizes, memory, weights and the per-step forward, shared by training and inference. */
function prepare(
  model: NativeLstm,
  batch: SequenceBatch,
  readout: Readout,
  perStep: number,
  given?: Float32Array[],
) {
  const sgemm = blasSgemm();
  if (!sgemm || !wasmCellAvailable()) throw new Error("cpu_engine: needs wasm with BLAS");
  const { numSteps: T, batchSize: B, numFeatures: F } = batch;
  const H = model.hiddenSize;
  const G = 4 * H;
  const layers = [H, ...model.readoutHidden, model.numOutputs];
  const K = layers.length - 1;
  const O = model.numOutputs;
  if (F !== model.numInputs) {
    throw new Error(`cpu_engine: batch has ${F} features, the model ${model.numInputs}`);
  }
  if (readout === "binary" && O !== 1) {
    throw new Error(`The binary readout needs 1 output unit: the model has ${O}.`);
  }
  const widths = layers.reduce((a, b) => a + b, 0);
  const weightFloats = model.variables.reduce((a, v) => a + v.size, 0);
  // `perStep` floats per example-step (the caller's tape). Then transients (xw, hu, dz: 3G; hc,
  // first state, dhc, 2 x dprev: 5 x 2H; readout outputs, loss rows and 2 gradient buffers:
  // 4 x widths), weights and gradients, and each allocation's padding.
  const bound = T * B * perStep + B * 3 * G + 5 * B * 2 * H + 4 * B * widths + G +
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
    const [opA, opB] = [ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS];
    sgemm(101, opA, opB, m, n, k, 1, P(a), lda, P(b), ldb, beta, P(c), ldc);
  };
  // Weights in: [W, U, b, (w_i, b_i) per readout layer].
  const weights = model.variables.map((v, k) => {
    const at = arena.alloc(v.size);
    f32.set(given?.[k] ?? v.dataSync() as Float32Array, at);
    return at;
  });
  const [W, U, bias] = weights;
  const rw = (i: number) => weights[3 + 2 * (i - 1)]; // readout layer i (1..K): [L_{i-1}, L_i]
  const rb = (i: number) => weights[4 + 2 * (i - 1)];
  const xw = arena.alloc(B * G);
  const hu = arena.alloc(B * G);
  const hc = arena.alloc(B * 2 * H);
  const outs = layers.map((L, i) => (i === 0 ? -1 : arena.alloc(B * L)));
  const cell = instance();

  /**
   * Step `t` for `rows` (state `hcp` `[n, 2H]`): inputs gathered into `x` (`[n, F]`), gate
   * activations into `acts`, the new state into `hc`, the readout layers into `outs`; returns
   * the logits' offset (`[n, O]`).
   */
  const forwardStep = (t: number, rows: Int32Array, hcp: number, x: number, acts: number) => {
    const n = rows.length;
    for (let r = 0; r < n; r++) {
      const src = (t * B + rows[r]) * F;
      f32.set(batch.x.subarray(src, src + F), x + r * F);
    }
    gemm(false, false, n, G, F, x, F, W, G, 0, xw, G);
    gemm(false, false, n, G, H, hcp, 2 * H, U, G, 0, hu, G);
    cell.cell_forward(n, H, 4 * xw, 4 * hu, 4 * bias, 4 * hcp, 4 * hc, 4 * acts);
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
    return outs[K];
  };
  /** The rows of `hc` at `keep`, copied to a new state buffer. */
  const compact = (keep: Int32Array) => {
    const next = arena.alloc(keep.length * 2 * H);
    for (let k = 0; k < keep.length; k++) {
      f32.copyWithin(next + k * 2 * H, hc + keep[k] * 2 * H, hc + (keep[k] + 1) * 2 * H);
    }
    return next;
  };
  return {
    T,
    B,
    F,
    H,
    G,
    K,
    O,
    layers,
    widths,
    arena,
    f32,
    gemm,
    weights,
    W,
    U,
    rw,
    hc,
    outs,
    cell,
    forwardStep,
    compact,
  };
}

/**
 * Loss (mean over the batch of `L - βH` at each example's loss step) and its gradients, in
 * `model.variables` order. RC (`threshold`): loss at each example's first spike, found here; or at
 * the given `steps` (EOS: all `T - 1`).
 */
export function nativeLossAndGrads(
  model: NativeLstm,
  batch: SequenceBatch,
  opts: {
    readout: Readout;
    beta: number;
    threshold?: number;
    steps?: Int32Array;
    /** The weights to use (`model.variables` order) instead of the variables' values. */
    weights?: Float32Array[];
    /**
     * Return the gradients as views of the engine's memory, valid until its next call, rather
     * than copies (a caller that copies them at once saves a copy).
     */
    views?: boolean;
  },
): { loss: number; grads: Float32Array[]; steps: Int32Array; stepsComputed: number } {
  if ((opts.threshold === undefined) === (opts.steps === undefined)) {
    throw new Error("cpu_engine: give exactly one of threshold (RC) and steps");
  }
  // Per example-step: inputs, entering state, activations (the next state is counted in 7H).
  const ctx = prepare(
    model,
    batch,
    opts.readout,
    batch.numFeatures + 7 * model.hiddenSize,
    opts.weights,
  );
  const { T, B, F, H, G, K, O, layers, widths, arena, f32, gemm, U, rw, hc, outs, cell } = ctx;
  const grads = model.variables.map((v) => arena.alloc(v.size, true));
  const [gW, gU, gb] = grads;
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
    const acts = arena.alloc(n * 5 * H);
    const logits = ctx.forwardStep(t, rows, hcp, x, acts);
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
    hcp = ctx.compact(keep);
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
    cell.cell_backward(n, H, 4 * s.acts, 4 * s.hcp, 4 * dhc, 4 * dz, 4 * out, 4 * dbt);
    gemm(true, false, H, G, n, s.hcp, 2 * H, dz, G, 1, gU, G);
    gemm(true, false, F, G, n, s.x, F, dz, G, 1, gW, G);
    for (let j = 0; j < G; j++) f32[gb + j] += f32[dbt + j];
    if (t > 0) gemm(false, true, n, H, G, dz, G, U, G, 0, out, 2 * H);
    dnext = out;
  }
  return {
    loss: lossSum,
    grads: model.variables.map((v, k) =>
      opts.views
        ? f32.subarray(grads[k], grads[k] + v.size)
        : f32.slice(grads[k], grads[k] + v.size)
    ),
    steps,
    stepsComputed: computed,
  };
}

/**
 * Per-step traces of `batch` (`[T, B]` confidence and label, NaN / -1 where not computed), as
 * `traceBatch` records them. With `haltThreshold` (RC-inference), an example leaves the active set
 * once it has spiked and the pass stops when none is left; else every step of every example.
 */
export function nativeTraces(
  model: NativeLstm,
  batch: SequenceBatch,
  opts: { readout: Readout; haltThreshold?: number },
): { confidence: Float32Array; label: Int32Array; stepsComputed: number; stepsRun: number } {
  // Inputs and activations of the step being computed; states (2H) per step, one more state
  // (the first) and the gathered inputs (F, which can exceed the transients' room when F >> H,
  // e.g. 784 pixels into 32 units) spread over the T steps.
  const H2 = 2 * model.hiddenSize;
  const ctx = prepare(
    model,
    batch,
    opts.readout,
    H2 + Math.ceil((batch.numFeatures + H2) / batch.numSteps) + 4,
  );
  const { T, B, F, H, O, arena, f32 } = ctx;
  const x = arena.alloc(B * F);
  const acts = arena.alloc(B * 5 * H);
  const confidenceOut = new Float32Array(T * B).fill(NaN);
  const label = new Int32Array(T * B).fill(-1);
  const threshold = opts.haltThreshold ?? Infinity;
  let rows = Int32Array.from({ length: B }, (_, i) => i);
  let hcp = arena.alloc(B * 2 * H, true);
  let computed = 0;
  let t = 0;
  for (; t < T && rows.length > 0; t++) {
    const n = rows.length;
    const logits = ctx.forwardStep(t, rows, hcp, x, acts);
    computed += n;
    const keep: number[] = [];
    for (let r = 0; r < n; r++) {
      const at = logits + r * O;
      const c = Math.fround(confidence(f32, at, O, opts.readout));
      confidenceOut[t * B + rows[r]] = c;
      label[t * B + rows[r]] = argmaxLabel(f32, at, O, opts.readout);
      if (!(c >= threshold)) keep.push(r);
    }
    hcp = ctx.compact(Int32Array.from(keep));
    if (keep.length < n) rows = Int32Array.from(keep, (r) => rows[r]);
  }
  return { confidence: confidenceOut, label, stepsComputed: computed, stepsRun: t };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));

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
