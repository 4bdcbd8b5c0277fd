/**
 * The CPU engine with Adam of its own, for `fit()` on wasm: the weights and Adam's moments stay in
 * a memory of their own for the whole fit (an instance of the cell module), each batch's gradients
 * go from the engine straight into the SIMD Adam (lib/ops/lstm_cell_wasm.c), and the model's
 * variables are written only at validation points.
 *
 * Why: tfjs's Adam ran a dozen wasm kernels per variable and the engine copied every weight out of
 * tfjs before each batch; on the MNIST-shaped LSTM (1.5 M weights) that was ~13 ms of a ~90 ms
 * iteration (bench/README.md). The results are the same bits as tfjs-core's AdamOptimizer on
 * tfjs-wasm (tested): the same operations in the same order, each rounded to float32, including the
 * running powers β^t.
 *
 * With `clipNorm` the gradients are scaled as fit()'s tfjs path scales them before its Adam
 * (`clipByGlobalNorm` in lib/rc/clipping.ts): by min(1, clipNorm / max(‖g‖, 1e-12)) in float32, ‖g‖
 * the global L2 norm over all variables. The norm is summed here in float64, tfjs sums it in
 * float32 in another order, so clipped steps equal tfjs's to float32 rounding, not bit for bit.
 *
 * `cpuRunner` is fit()'s runner on this trainer (lib/rc/runner.ts).
 * @module
 */
import type { SequenceBatch } from "../data/batch.ts";
import type { Lstm } from "../models/lstm.ts";
import { type CellExports, newInstance } from "../ops/lstm_cell_wasm.ts";
import { writeVariables } from "../models/model.ts";
import { nativeLossAndGrads } from "./cpu_engine.ts";
import { checkOptimizerState, type OptimizerState } from "../rc/checkpoint.ts";
import type { PathChoice } from "../rc/paths.ts";
import { count, lossAt, meanOf, type StepRunner } from "../rc/runner.ts";
import type { Readout } from "../rc/spike.ts";
import type { FitOptions } from "../rc/train.ts";

const f = Math.fround;
/** tf.train.adam's defaults (its ε is the backend's, 1e-7 in float32). */
const BETA1 = 0.9;
const BETA2 = 0.999;

let enabled = true;

/** Turns the trainer in fit() on or off (tests compare it with tfjs's Adam); returns the previous value. */
export function setCpuTrainerEnabled(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** Whether fit() trains with a `CpuTrainer` (when the CPU engine runs the model). */
export function cpuTrainerEnabled(): boolean {
  return enabled;
}

/** Σ x² in float64, four running sums (2.4x one on 1.5 M floats: no chain of dependent adds). */
function sumOfSquares(x: Float32Array): number {
  let [s0, s1, s2, s3] = [0, 0, 0, 0];
  const n4 = x.length - (x.length % 4);
  for (let i = 0; i < n4; i += 4) {
    s0 += x[i] * x[i];
    s1 += x[i + 1] * x[i + 1];
    s2 += x[i + 2] * x[i + 2];
    s3 += x[i + 3] * x[i + 3];
  }
  for (let i = n4; i < x.length; i++) s0 += x[i] * x[i];
  return s0 + s1 + s2 + s3;
}

/** The model's weights and Adam state, and one training step at a time. */
export class CpuTrainer {
  readonly #model: Lstm;
  readonly #cell: CellExports;
  readonly #f32: Float32Array;
  /** Float offsets of the flat weights, gradients and moments, and each variable's offset. */
  readonly #w: number;
  readonly #g: number;
  readonly #m: number;
  readonly #v: number;
  readonly #offsets: number[];
  readonly #count: number;
  readonly #lr: number;
  readonly #b1 = f(BETA1);
  readonly #b2 = f(BETA2);
  readonly #eps = f(1e-7);
  readonly #clipNorm: number | undefined;
  #acc1 = f(BETA1);
  #acc2 = f(BETA2);
  #steps = 0;

  /**
   * Starts from the model's current weights, moments at zero (as tfjs's adam(learningRate)).
   * With `clipNorm`, each step's gradients are clipped to that global L2 norm before Adam.
   */
  constructor(model: Lstm, learningRate: number, opts: { clipNorm?: number } = {}) {
    const clip = opts.clipNorm;
    if (clip !== undefined && !(clip > 0 && Number.isFinite(clip))) {
      throw new Error(
        `CpuTrainer: clipNorm must be a positive finite number: current value is ${clip} ` +
          `(leave it out for no clipping)`,
      );
    }
    this.#model = model;
    this.#lr = learningRate;
    this.#clipNorm = clip;
    this.#offsets = [];
    let n = 0;
    for (const v of model.variables) {
      this.#offsets.push(n);
      n += v.size;
    }
    this.#count = n;
    const padded = Math.ceil(n / 4) * 4 + 4;
    this.#cell = newInstance();
    const base = Math.ceil((this.#cell.__heap_base.value as number) / 16) * 4;
    const need = (base + 4 * padded) * 4 - this.#cell.memory.buffer.byteLength;
    if (need > 0) this.#cell.memory.grow(Math.ceil(need / 65536));
    this.#f32 = new Float32Array(this.#cell.memory.buffer);
    [this.#w, this.#g, this.#m, this.#v] = [0, 1, 2, 3].map((k) => base + k * padded);
    model.variables.forEach((v, k) =>
      this.#f32.set(v.dataSync() as Float32Array, this.#w + this.#offsets[k])
    );
    this.#f32.fill(0, this.#m, this.#v + padded);
  }

  /** The weights, one view per variable (valid until the next step). */
  #weights(): Float32Array[] {
    return this.#model.variables.map((v, k) =>
      this.#f32.subarray(this.#w + this.#offsets[k], this.#w + this.#offsets[k] + v.size)
    );
  }

  /**
   * One batch: loss and gradients in the CPU engine (RC at `threshold`, or at given `steps`),
   * then (with `clipNorm`) clipping and Adam. Returns the loss (float32, as tfjs would hold it),
   * the gradients' global L2 norm before clipping (`gradNorm`; NaN or Infinity when a gradient is
   * not finite: fit() stops on it) and where each loss was taken.
   */
  step(
    batch: SequenceBatch,
    opts: { readout: Readout; beta: number; threshold?: number; steps?: Int32Array },
  ): { loss: number; gradNorm: number; steps: Int32Array; stepsComputed: number } {
    const r = nativeLossAndGrads(this.#model, batch, {
      ...opts,
      weights: this.#weights(),
      views: true, // copied into this memory at once
    });
    r.grads.forEach((g, k) => this.#f32.set(g, this.#g + this.#offsets[k]));
    const n = Math.ceil(this.#count / 4) * 4;
    this.#f32.fill(0, this.#g + this.#count, this.#g + n);
    const grads = this.#f32.subarray(this.#g, this.#g + this.#count);
    const gradNorm = f(Math.sqrt(sumOfSquares(grads)));
    if (this.#clipNorm !== undefined) {
      // tfjs: minimum(1, clipNorm / maximum(norm, 1e-12)), then each gradient times it, in float32.
      const scale = Math.min(1, f(this.#clipNorm / Math.max(gradNorm, f(1e-12))));
      if (scale !== 1) {
        for (let i = 0; i < grads.length; i++) grads[i] *= scale;
      }
    }
    const [b1, b2] = [this.#b1, this.#b2];
    // tfjs forms 1 - β from the JavaScript numbers (0.1, 0.001 after rounding), not from float32 β.
    this.#cell.adam_update(
      n,
      4 * this.#w,
      4 * this.#g,
      4 * this.#m,
      4 * this.#v,
      b1,
      f(1 - BETA1),
      b2,
      f(1 - BETA2),
      f(1 - this.#acc1),
      f(1 - this.#acc2),
      this.#eps,
      f(-this.#lr),
    );
    this.#acc1 = f(this.#acc1 * b1);
    this.#acc2 = f(this.#acc2 * b2);
    this.#steps++;
    return { loss: f(r.loss), gradNorm, steps: r.steps, stepsComputed: r.stepsComputed };
  }

  /** Writes the weights into the model's variables. */
  syncToModel(): void {
    writeVariables(this.#model.variables, this.#weights());
  }

  /** Adam's state (copies): moments per variable and the running powers of β1, β2. */
  exportState(): OptimizerState {
    const slice = (base: number) =>
      this.#model.variables.map((v, k) =>
        this.#f32.slice(base + this.#offsets[k], base + this.#offsets[k] + v.size)
      );
    return {
      m: slice(this.#m),
      v: slice(this.#v),
      acc1: this.#acc1,
      acc2: this.#acc2,
      step: this.#steps,
    };
  }

  /** Restores Adam's state saved by {@link exportState} (the weights come from the model). */
  importState(s: OptimizerState): void {
    checkOptimizerState(s, this.#model.variables.map((v) => v.size), "CpuTrainer");
    this.#model.variables.forEach((_, k) => {
      this.#f32.set(s.m[k], this.#m + this.#offsets[k]);
      this.#f32.set(s.v[k], this.#v + this.#offsets[k]);
    });
    this.#acc1 = s.acc1;
    this.#acc2 = s.acc2;
    this.#steps = s.step;
  }
}

/** The CPU engine with the trainer's Adam (bit for bit tfjs's): wasm with BLAS, an Lstm. */
export function cpuRunner(model: Lstm, opts: FitOptions, path: PathChoice): StepRunner {
  const trainer = new CpuTrainer(model, opts.learningRate, { clipNorm: opts.clipNorm });
  const flopsPerStep = model.flopsPerStep();
  let losses: number[] = [];
  return {
    path,
    step(batch, compute) {
      const r = trainer.step(batch, lossAt(opts, batch));
      losses.push(r.loss);
      count(compute, flopsPerStep, r.steps, r.stepsComputed, r.stepsComputed);
      return Promise.resolve(
        !Number.isFinite(r.loss)
          ? `loss ${r.loss}`
          : !Number.isFinite(r.gradNorm)
          ? `gradient norm ${r.gradNorm}`
          : null,
      );
    },
    flush() {
      trainer.syncToModel();
      const meanLoss = meanOf(losses);
      losses = [];
      return Promise.resolve({ meanLoss, nonFinite: null });
    },
    settle: () => Promise.resolve(),
    exportState: () => Promise.resolve(trainer.exportState()),
    importState: (state) => Promise.resolve(trainer.importState(state)),
    dispose() {},
  };
}
