/**
 * A convolutional LSTM (Shi et al. 2015, without peepholes), the paper's temporal-MNIST model:
 * one frame per time step, a ConvLSTM layer and an all-to-all linear readout of its hidden state.
 *
 * Per step, with the frame x_t `[B, Hgt, Wid, Cin]` (the input `[B, Hgt * Wid * Cin]` reshaped)
 * and the state h, c `[B, Hgt, Wid, C]`:
 *   z = conv2d(concat(x_t, h_{t-1}), K, 'same') + b    (K: `[k, k, Cin + C, 4C]`, one convolution)
 *   i, f, g, o = split(z, 4 along channels)             (PyTorch's nn.LSTM gate order i, f, g, o)
 *   c_t = σ(f) ⊙ c_{t-1} + σ(i) ⊙ tanh(g)
 *   h_t = σ(o) ⊙ tanh(c_t)
 *   logits_t = flatten(h_t) W + w0                      (W: `[Hgt * Wid * C, O]`, flattened NHWC)
 * Softmax is the readout code's (lib/rc); the model returns logits. Initialisation follows
 * PyTorch's nn.Conv2d and nn.Linear defaults (U(-1/√fan_in, 1/√fan_in), fan_in = (Cin + C)·k² for
 * the convolution), drawn from a seeded generator so every backend starts from the same weights.
 * On wasm with BLAS a whole step is one op, lib/ops/conv_lstm_cell.ts (one im2col and one sgemm
 * for the convolution of frame and state, the fused SIMD cell; two sgemms backward). On wasm
 * without BLAS the convolution and its gradients run through lib/ops/conv2d.ts and bias, gates
 * and cell through the fused SIMD LSTM cell with every pixel a row (`fusedCell`).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  convLstmCell,
  convLstmCellAvailable,
  convLstmCellFromZero,
} from "../ops/conv_lstm_cell.ts";
import { lstmCellWasm, wasmCellAvailable } from "../ops/lstm_cell_wasm.ts";
import { Rng } from "../random.ts";
import { matMulT } from "./lstm.ts";
import { type RecurrentModel, uniformVariable } from "./model.ts";

/**
 * The scratch a trace pass's step may take on tfjs-wasm's heap (0.6 GiB). The heap never shrinks
 * and a freed block is reused only where a request fits it, so a long run that alternates trace
 * chunks with training steps grows the heap to about 2.4 times a chunk's scratch (measured with
 * bench/conv_lstm_heap.ts, ConvLSTM-20; bench/results/local_conv_lstm_heap.txt): 3 × 3 in chunks of
 * 1,000 (1.35 GB a step) to 3.06 GB, 5 × 5 in chunks of 669 (1.6 GB) to 3.78 GB, against the heap's
 * 4 GB; a default-profile 5 × 5 run in chunks of 669 failed after 11 validations with "memory
 * access out of bounds" in the op's im2col (near 4 GB tfjs-wasm's malloc answers blocks that run
 * past the memory's end: the op now says so, lib/ops/conv_lstm_cell.ts). This bound's chunks, 477
 * (3 × 3) and 268 (5 × 5), hold it at 1.49 and 1.07 GB.
 */
export const TRACE_SCRATCH_BYTES = 0.6 * 2 ** 30;

export interface ConvLstmOptions {
  /** Frame height (default 28: temporal MNIST). */
  height?: number;
  /** Frame width (default 28). */
  width?: number;
  /** Input channels per pixel (default 1). */
  channels?: number;
  /** Hidden (and cell) channels C: 10 or 20 in the paper. */
  hiddenChannels: number;
  /** Convolution kernel size k (odd; default 3), 'same' padding. */
  kernelSize?: number;
  numOutputs: number;
  /**
   * On wasm, bias, gates and cell through the fused WebAssembly SIMD LSTM cell
   * (lib/ops/lstm_cell_wasm.ts, every pixel a row); default true. Same function; the state is then
   * `[hc, h]` instead of `[h, c]` (see initialState).
   */
  fusedCell?: boolean;
  seed: number;
}

let modelCounter = 0;

export class ConvLstm implements RecurrentModel {
  readonly name = "conv_lstm";
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly hiddenChannels: number;
  readonly kernelSize: number;
  readonly numInputs: number;
  readonly numOutputs: number;
  readonly fusedCell: boolean;
  /** [kernel `[k, k, Cin + C, 4C]`, bias `[4C]`, readout `[Hgt * Wid * C, O]`, readout bias `[O]`]. */
  readonly variables: tf.Variable[];
  readonly #kernel: tf.Variable;
  readonly #bias: tf.Variable;
  readonly #readoutW: tf.Variable;
  readonly #readoutB: tf.Variable;
  /** States handed out by initialState (all zeros): a first step from one convolves x alone. */
  readonly #zeroStates = new WeakSet<tf.Tensor>();

  constructor(opts: ConvLstmOptions) {
    const sizes = {
      height: opts.height ?? 28,
      width: opts.width ?? 28,
      channels: opts.channels ?? 1,
      hiddenChannels: opts.hiddenChannels,
      kernelSize: opts.kernelSize ?? 3,
      numOutputs: opts.numOutputs,
    };
    for (const [key, value] of Object.entries(sizes)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new Error(`ConvLstm: ${key} must be a positive integer: got ${value}.`);
      }
    }
    if (sizes.kernelSize % 2 !== 1) {
      throw new Error(
        `ConvLstm: kernelSize must be odd ('same' padding keeps the frame size only then): got ` +
          `${sizes.kernelSize}.`,
      );
    }
    this.height = sizes.height;
    this.width = sizes.width;
    this.channels = sizes.channels;
    this.hiddenChannels = sizes.hiddenChannels;
    this.kernelSize = sizes.kernelSize;
    this.numOutputs = sizes.numOutputs;
    this.numInputs = this.height * this.width * this.channels;
    this.fusedCell = opts.fusedCell ?? true;
    const rng = new Rng(opts.seed);
    const id = `conv_lstm${modelCounter++}`;
    const k = this.kernelSize, c = this.hiddenChannels, cin = this.channels + c;
    const convBound = 1 / Math.sqrt(cin * k * k);
    this.#kernel = uniformVariable(rng, [k, k, cin, 4 * c], convBound, `${id}/kernel`);
    this.#bias = uniformVariable(rng, [4 * c], convBound, `${id}/bias`);
    const flat = this.height * this.width * c;
    const readoutBound = 1 / Math.sqrt(flat);
    this.#readoutW = uniformVariable(rng, [flat, this.numOutputs], readoutBound, `${id}/readout/w`);
    this.#readoutB = uniformVariable(rng, [this.numOutputs], readoutBound, `${id}/readout/b`);
    this.variables = [this.#kernel, this.#bias, this.#readoutW, this.#readoutB];
  }

  /** Whether steps use the fused wasm cell: on wasm, unless turned off. */
  usesFusedCell(): boolean {
    return this.fusedCell && wasmCellAvailable();
  }

  /**
   * Whether a step is the one op of lib/ops/conv_lstm_cell.ts (state `[hc]`): the fused cell on
   * wasm with BLAS.
   */
  usesConvCell(): boolean {
    return this.fusedCell && convLstmCellAvailable();
  }

  /**
   * State: `[h, c]`, each `[B, height, width, C]`; with the fused cell `[hc, h]`: hc
   * `[B, height, width, 2C]` (h then c per pixel, the cell's layout) and h alone for the
   * convolution; with the one-op step (usesConvCell) `[hc]` alone.
   */
  initialState(batchSize: number): tf.Tensor[] {
    const shape = [batchSize, this.height, this.width, this.hiddenChannels];
    if (this.usesConvCell()) {
      const hc = tf.zeros([...shape.slice(0, 3), 2 * this.hiddenChannels]);
      this.#zeroStates.add(hc);
      return [hc];
    }
    if (this.usesFusedCell()) {
      return [tf.zeros([...shape.slice(0, 3), 2 * this.hiddenChannels]), tf.zeros(shape)];
    }
    return [tf.zeros(shape), tf.zeros(shape)];
  }

  /** h and c (`[B, height, width, C]` each) from a state of either layout. */
  unpackState(state: tf.Tensor[]): { h: tf.Tensor4D; c: tf.Tensor4D } {
    if (state[0].shape[3] === this.hiddenChannels) {
      return { h: tf.clone(state[0]) as tf.Tensor4D, c: tf.clone(state[1]) as tf.Tensor4D };
    }
    const [h, c] = tf.split(state[0], 2, 3) as tf.Tensor4D[];
    return { h, c };
  }

  step(state: tf.Tensor[], input: tf.Tensor2D): { state: tf.Tensor[]; logits: tf.Tensor2D } {
    if (input.shape[1] !== this.numInputs) {
      throw new Error(
        `ConvLstm.step: input must be [B, ${this.numInputs}] (${this.height}x${this.width}x` +
          `${this.channels} frames, flattened): got [${input.shape}].`,
      );
    }
    if (this.usesConvCell()) return this.#convCellStep(state, input);
    if (this.usesFusedCell()) return this.#fusedStep(state, input);
    return tf.tidy(() => {
      const [h, c] = state as tf.Tensor4D[];
      const b = input.shape[0];
      const x = tf.reshape(input, [b, this.height, this.width, this.channels]) as tf.Tensor4D;
      const z = tf.add(
        tf.conv2d(tf.concat([x, h], 3), this.#kernel as unknown as tf.Tensor4D, 1, "same"),
        this.#bias,
      );
      const [i, f, g, o] = tf.split(z, 4, 3);
      const cNext = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      const hNext = tf.mul(tf.sigmoid(o), tf.tanh(cNext)) as tf.Tensor4D;
      return { state: [hNext, cNext], logits: this.readout(hNext) };
    });
  }

  /**
   * The same step on wasm: the convolution as above (its output reshaped to one row per pixel,
   * `[B * height * width, 4C]`: the fused LSTM cell's layout, gate blocks i, f, g, o), then bias,
   * gates and cell in one fused call forward and one backward. Saves the 4-way channel split and
   * a dozen elementwise kernels forward and back, each over B * height * width * 4C values.
   */
  #fusedStep(state: tf.Tensor[], input: tf.Tensor2D): { state: tf.Tensor[]; logits: tf.Tensor2D } {
    return tf.tidy(() => {
      const [hc, h] = state as tf.Tensor4D[];
      const b = input.shape[0], c = this.hiddenChannels;
      const rows = b * this.height * this.width;
      const x = tf.reshape(input, [b, this.height, this.width, this.channels]) as tf.Tensor4D;
      const kernel = this.#kernel as unknown as tf.Tensor4D;
      const z = tf.reshape(tf.conv2d(tf.concat([x, h], 3), kernel, 1, "same"), [rows, 4 * c]);
      // The cell adds two pre-activations (an LSTM's x W and h U); here the one conv gives both.
      const hcNext = lstmCellWasm(
        z as tf.Tensor2D,
        tf.zeros([rows, 4 * c]),
        this.#bias as unknown as tf.Tensor1D,
        tf.reshape(hc, [rows, 2 * c]) as tf.Tensor2D,
      );
      const shape: [number, number, number] = [b, this.height, this.width];
      const hNext = tf.reshape(tf.slice(hcNext, [0, 0], [rows, c]), [...shape, c]) as tf.Tensor4D;
      return {
        state: [tf.reshape(hcNext, [...shape, 2 * c]), hNext],
        logits: this.readout(hNext),
      };
    });
  }

  /**
   * The step as one op (lib/ops/conv_lstm_cell.ts); the readout reads h straight from hc with a
   * readout matrix padded by zero rows for the c channels (`[height·width·2C, O]`, built per step:
   * 2·height·width·C·O floats, far less than slicing h out of the state).
   */
  #convCellStep(
    state: tf.Tensor[],
    input: tf.Tensor2D,
  ): { state: tf.Tensor[]; logits: tf.Tensor2D } {
    return tf.tidy(() => {
      const kernel = this.#kernel as unknown as tf.Tensor4D;
      const bias = this.#bias as unknown as tf.Tensor1D;
      const k = this.kernelSize, c = this.hiddenChannels;
      const hcNext = this.#zeroStates.has(state[0])
        ? convLstmCellFromZero(
          input,
          state[0].shape as [number, number, number, number],
          tf.slice(kernel, [0, 0, 0, 0], [k, k, this.channels, 4 * c]),
          bias,
        )
        : convLstmCell(input, state[0] as tf.Tensor4D, kernel, bias);
      const pixels = this.height * this.width, o = this.numOutputs;
      const w = tf.reshape(this.#readoutW, [pixels, c, o]);
      const padded = tf.reshape(tf.concat([w, tf.zeros([pixels, c, o])], 1), [pixels * 2 * c, o]);
      const flat = tf.reshape(hcNext, [hcNext.shape[0], -1]) as tf.Tensor2D;
      const logits = tf.add(matMulT(flat, padded as tf.Tensor2D), this.#readoutB) as tf.Tensor2D;
      return { state: [hcNext], logits };
    });
  }

  /** The readout alone: h `[B, height, width, C]` to logits `[B, O]`. */
  readout(h: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const flat = tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D;
      return tf.add(
        matMulT(flat, this.#readoutW as unknown as tf.Tensor2D),
        this.#readoutB,
      ) as tf.Tensor2D;
    });
  }

  /**
   * A forward step's scratch on the one-op path was about 4 bytes × pixels × (k²(Cin + C) for the
   * im2col, 4C gates, 5C activations, 2C state, the bordered frame): 1.35 MB an example at
   * 28 × 28, C = 20, k = 3; 2.4 MB at k = 5. Since 2026-12-07 the sgemm writes the gates into the
   * activations (no 4C gates buffer): the bound is kept as it was, a little high, so the chunks and
   * the heap measured with them stay as they were. Chunks keep a step's scratch under
   * {@link TRACE_SCRATCH_BYTES}, at most 1,000 examples.
   */
  maxTraceBatch(): number {
    const pixels = this.height * this.width, c = this.hiddenChannels, k = this.kernelSize;
    const perExample = 4 * pixels * (k * k * (this.channels + c) + 11 * c + this.channels + c);
    return Math.max(1, Math.min(1000, Math.floor(TRACE_SCRATCH_BYTES / perExample)));
  }

  flopsPerStep(): number {
    const pixels = this.height * this.width, c = this.hiddenChannels, k = this.kernelSize;
    const conv = 2 * pixels * k * k * (this.channels + c) * 4 * c;
    // Bias, 4 gate nonlinearities (counted 1 each), cell update; readout matmul and bias.
    return conv + pixels * (4 * c + 4 * c + 5 * c) +
      2 * pixels * c * this.numOutputs + this.numOutputs;
  }

  describe(): Record<string, unknown> {
    return {
      model: "conv_lstm",
      height: this.height,
      width: this.width,
      channels: this.channels,
      hiddenChannels: this.hiddenChannels,
      kernelSize: this.kernelSize,
      numOutputs: this.numOutputs,
    };
  }
}
