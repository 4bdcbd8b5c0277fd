/**
 * An LSTM (zero initial state) with a readout of optional ReLU hidden layers and a linear output.
 *
 * Gates, per step:
 *   z = x_t W + b + h_{t-1} U            (W: [F, 4H], U: [H, 4H], gate order i, f, g, o)
 *   c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g)
 *   h_t = σ(o) ⊙ tanh(c_t)
 *   logits_t = readout(h_t)
 * Initialisation follows PyTorch's defaults (U(-1/√H, 1/√H) for the LSTM, U(-1/√in, 1/√in) for
 * linear layers), drawn from a seeded generator so every backend starts from the same weights.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { blasInUse } from "../ops/blas.ts";
import { Rng } from "../random.ts";
import { lstmCellWasm, wasmCellAvailable } from "../ops/lstm_cell_wasm.ts";
import { lstmCell } from "../ops/lstm_cell_webgpu.ts";
import { type RecurrentModel, uniformVariable } from "./model.ts";

export interface LstmOptions {
  numInputs: number;
  hiddenSize: number;
  numOutputs: number;
  /** Sizes of ReLU layers between the LSTM and the output layer (paper's GSC model: [32]). */
  readoutHidden?: number[];
  /** Use the fused cell: WGSL on webgpu, WebAssembly SIMD on wasm (default true). */
  fusedCell?: boolean;
  seed: number;
}

/**
 * `a @ b` whose gradient uses explicit transposes and plain matmuls: tfjs-wasm sends only
 * non-transposed matmuls to XNNPACK, and a transposed operand falls to a loop ~10x slower.
 */
const matMulExplicitTranspose: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D = tf.customGrad(
  // deno-lint-ignore no-explicit-any
  (a: any, b: any, save: any) => {
    save([a, b]);
    return {
      value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sa, sb] = saved as tf.Tensor2D[];
        return [
          tf.matMul(dy as tf.Tensor2D, tf.transpose(sb)),
          tf.matMul(tf.transpose(sa), dy as tf.Tensor2D),
        ];
      },
    };
  },
) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * `a @ b`. On tfjs-wasm with its own XNNPACK matmul, the gradient uses explicit transposes and
 * plain matmuls: XNNPACK gets only non-transposed matmuls, and a transposed operand falls to a
 * loop ~10x slower. Elsewhere (webgpu, cpu, wasm with a BLAS: see lib/ops/blas.ts) tfjs's own
 * gradient is better: transposed operands cost nothing extra, and a gradient nobody asks for
 * (an input's, say) is never computed.
 */
export function matMulT(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return tf.getBackend() === "wasm" && !blasInUse()
    ? matMulExplicitTranspose(a, b)
    : tf.matMul(a, b);
}

let modelCounter = 0;

export class Lstm implements RecurrentModel {
  readonly name = "lstm";
  readonly numInputs: number;
  readonly hiddenSize: number;
  readonly numOutputs: number;
  readonly readoutHidden: number[];
  readonly fusedCell: boolean;
  readonly variables: tf.Variable[];
  readonly #w: tf.Variable;
  readonly #u: tf.Variable;
  readonly #b: tf.Variable;
  readonly #readout: { w: tf.Variable; b: tf.Variable }[];

  constructor(opts: LstmOptions) {
    for (const key of ["numInputs", "hiddenSize", "numOutputs"] as const) {
      if (!Number.isInteger(opts[key]) || opts[key] < 1) {
        throw new Error(`Lstm: ${key} must be a positive integer: got ${opts[key]}.`);
      }
    }
    this.numInputs = opts.numInputs;
    this.hiddenSize = opts.hiddenSize;
    this.numOutputs = opts.numOutputs;
    this.readoutHidden = opts.readoutHidden ?? [];
    this.fusedCell = opts.fusedCell ?? true;
    const rng = new Rng(opts.seed);
    const h = this.hiddenSize;
    const id = `lstm${modelCounter++}`;
    const k = 1 / Math.sqrt(h);
    this.#w = uniformVariable(rng, [this.numInputs, 4 * h], k, `${id}/w`);
    this.#u = uniformVariable(rng, [h, 4 * h], k, `${id}/u`);
    this.#b = uniformVariable(rng, [4 * h], k, `${id}/b`);
    const sizes = [h, ...this.readoutHidden, this.numOutputs];
    this.#readout = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const bound = 1 / Math.sqrt(sizes[i]);
      this.#readout.push({
        w: uniformVariable(rng, [sizes[i], sizes[i + 1]], bound, `${id}/readout${i}/w`),
        b: uniformVariable(rng, [sizes[i + 1]], bound, `${id}/readout${i}/b`),
      });
    }
    this.variables = [this.#w, this.#u, this.#b, ...this.#readout.flatMap((l) => [l.w, l.b])];
  }

  /** Whether steps use a fused cell: on webgpu and wasm, unless turned off. */
  usesFusedCell(): boolean {
    if (!this.fusedCell) return false;
    return tf.getBackend() === "webgpu" || wasmCellAvailable();
  }

  /** State: `[h, c]`, or with the fused cell `[hc, h]` (hc = h and c side by side, `[B, 2H]`). */
  initialState(batchSize: number): tf.Tensor[] {
    const H = this.hiddenSize;
    if (this.usesFusedCell()) return [tf.zeros([batchSize, 2 * H]), tf.zeros([batchSize, H])];
    return [tf.zeros([batchSize, H]), tf.zeros([batchSize, H])];
  }

  step(state: tf.Tensor[], input: tf.Tensor2D): { state: tf.Tensor[]; logits: tf.Tensor2D } {
    if (this.usesFusedCell()) return this.#fusedStep(state, input);
    return tf.tidy(() => {
      const [h, c] = state as tf.Tensor2D[];
      const z = tf.add(
        tf.add(matMulT(input, this.#w as unknown as tf.Tensor2D), this.#b),
        matMulT(h, this.#u as unknown as tf.Tensor2D),
      );
      const [i, f, g, o] = tf.split(z, 4, 1);
      const cNext = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      const hNext = tf.mul(tf.sigmoid(o), tf.tanh(cNext)) as tf.Tensor2D;
      return { state: [hNext, cNext], logits: this.readout(hNext) };
    });
  }

  #fusedStep(state: tf.Tensor[], input: tf.Tensor2D): { state: tf.Tensor[]; logits: tf.Tensor2D } {
    if (tf.getBackend() !== "wasm") {
      return tf.tidy(() => this.stepProjected(state, this.projectInputs(input)));
    }
    return tf.tidy(() => {
      const [hc, h] = state as tf.Tensor2D[];
      const hcNext = lstmCellWasm(
        matMulT(input, this.#w as unknown as tf.Tensor2D),
        matMulT(h, this.#u as unknown as tf.Tensor2D),
        this.#b as unknown as tf.Tensor1D,
        hc,
      );
      return this.#fromState(hcNext);
    });
  }

  /** The new fused state `[hc, h]` and its logits, from hc (`[n, 2H]`). */
  #fromState(hcNext: tf.Tensor2D): { state: tf.Tensor[]; logits: tf.Tensor2D } {
    const hNext = hcNext.slice([0, 0], [hcNext.shape[0], this.hiddenSize]);
    return { state: [hcNext, hNext], logits: this.readout(hNext) };
  }

  /**
   * On webgpu with the fused cell, the trainer projects every step's inputs in one matmul
   * (`projectInputs`) and steps from slices of it (`stepProjected`): two dispatches fewer per
   * step forward, and the weight gradient of the input projection is one matmul backward.
   */
  projectsInputs(): boolean {
    return this.usesFusedCell() && tf.getBackend() === "webgpu";
  }

  /** x W + b for many rows at once: `[R, F]` to `[R, 4H]`. */
  projectInputs(inputs: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() =>
      tf.add(matMulT(inputs, this.#w as unknown as tf.Tensor2D), this.#b) as tf.Tensor2D
    );
  }

  /** A step of the fused webgpu cell from `projected` = x_t W + b (`[B, 4H]`). */
  stepProjected(
    state: tf.Tensor[],
    projected: tf.Tensor2D,
  ): { state: tf.Tensor[]; logits: tf.Tensor2D } {
    if (!this.projectsInputs()) {
      throw new Error(
        "Lstm.stepProjected: only on webgpu with the fused cell (see projectsInputs)",
      );
    }
    return tf.tidy(() => {
      const [hc, h] = state as tf.Tensor2D[];
      const hu = tf.matMul(h, this.#u as unknown as tf.Tensor2D) as tf.Tensor2D;
      return this.#fromState(lstmCell(projected, hu, hc));
    });
  }

  /** The readout alone: `[B, H]` to logits `[B, O]`. */
  readout(h: tf.Tensor2D): tf.Tensor2D {
    let a = h;
    this.#readout.forEach((layer, i) => {
      a = tf.add(matMulT(a, layer.w as unknown as tf.Tensor2D), layer.b) as tf.Tensor2D;
      if (i + 1 < this.#readout.length) a = tf.relu(a);
    });
    return a;
  }

  flopsPerStep(): number {
    const h = this.hiddenSize;
    // Input and recurrent matmuls, bias, 4 gate nonlinearities (counted 1 each), cell update.
    let flops = 2 * (this.numInputs + h) * 4 * h + 4 * h + 4 * h + 5 * h;
    const sizes = [h, ...this.readoutHidden, this.numOutputs];
    for (let i = 0; i + 1 < sizes.length; i++) flops += 2 * sizes[i] * sizes[i + 1] + sizes[i + 1];
    return flops;
  }

  describe(): Record<string, unknown> {
    return {
      model: "lstm",
      numInputs: this.numInputs,
      hiddenSize: this.hiddenSize,
      readoutHidden: this.readoutHidden,
      numOutputs: this.numOutputs,
    };
  }
}
