/**
 * A convolutional spiking network of leaky integrate-and-fire neurons (Wu et al. 2018, the
 * paper's App. E), stepped one input frame at a time on the shared step interface.
 *
 * Per step, with the frame x_t `[B, Hgt, Wid, 1]` (the input `[B, Hgt * Wid]` reshaped); each
 * layer l keeps its potentials u and spikes o and updates them by lib/ops/lif_cell.ts:
 *   layer 1: z = conv2d(x_t, K1, 3 × 3, 'same'),  LIF(u1, o1, z + b1)   `[B, Hgt, Wid, C]`
 *   layer 2: z = conv2d(avgPool2(o1), K2, 'same'), LIF(u2, o2, z + b2)  `[B, Hgt/2, Wid/2, C]`
 *   layer 3: z = flatten(avgPool2(o2)) W3,          LIF(u3, o3, z + b3)  `[B, hidden]`
 *   layer 4: z = o3 W4,                             LIF(u4, o4, z + b4)  `[B, O]`
 *   logits_t = u4 (the output neurons' membrane potentials)
 * with LIF(u, o, I): u ← τ u (1 − o) + I, o ← H(u − V_th). The 2 × 2 average pooling after each
 * convolution is Wu et al.'s code (`cfg_kernel = [28, 14, 7]`); the paper's App. E names only the
 * convolutions (32 channels, 3 × 3, padding 1) and the 128-neuron layer. An output neuron fires
 * exactly when its potential reaches V_th, so the `lif` readout (lib/rc/spike.ts: first step
 * where any output potential reaches θ, label = argmax potential) at θ = V_th is the first
 * output spike. Initialisation: PyTorch's nn.Conv2d / nn.Linear defaults (U(±1/√fan_in)), seeded.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { avgPool2 } from "../ops/avg_pool2.ts";
import { lifCell, type LifParams, WU_LIF } from "../ops/lif_cell.ts";
import { Rng } from "../random.ts";
import { matMulT } from "./lstm.ts";
import { type RecurrentModel, uniformVariable } from "./model.ts";

export interface LifNetOptions {
  /** Frame height and width (default 28: temporal MNIST); both divisible by 4 (two poolings). */
  height?: number;
  width?: number;
  /** Channels of both convolutions (paper: 32). */
  channels?: number;
  /** Neurons of the fully connected layer (paper: 128). */
  hidden?: number;
  numOutputs: number;
  /** τ, V_th and the surrogate's half-width a (default: Wu et al.'s 0.2, 0.5, 0.5). */
  lif?: Partial<LifParams>;
  /** The composite tfjs-op LIF instead of the fused kernel (tests). */
  fused?: boolean;
  seed: number;
}

let modelCounter = 0;

export class LifNet implements RecurrentModel {
  readonly name = "lif_net";
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly hidden: number;
  readonly numInputs: number;
  readonly numOutputs: number;
  readonly lif: LifParams;
  readonly fused: boolean;
  /** [K1 `[3,3,1,C]`, b1, K2 `[3,3,C,C]`, b2, W3 `[Hgt/4 * Wid/4 * C, hidden]`, b3, W4, b4]. */
  readonly variables: tf.Variable[];

  constructor(opts: LifNetOptions) {
    const sizes = {
      height: opts.height ?? 28,
      width: opts.width ?? 28,
      channels: opts.channels ?? 32,
      hidden: opts.hidden ?? 128,
      numOutputs: opts.numOutputs,
    };
    for (const [key, value] of Object.entries(sizes)) {
      if (!Number.isInteger(value) || value < 1) {
        throw new Error(`LifNet: ${key} must be a positive integer: got ${value}.`);
      }
    }
    if (sizes.height % 4 !== 0 || sizes.width % 4 !== 0) {
      throw new Error(
        `LifNet: height and width must be divisible by 4 (two 2 × 2 poolings): got ` +
          `${sizes.height} × ${sizes.width}.`,
      );
    }
    this.height = sizes.height;
    this.width = sizes.width;
    this.channels = sizes.channels;
    this.hidden = sizes.hidden;
    this.numOutputs = sizes.numOutputs;
    this.numInputs = this.height * this.width;
    this.lif = { ...WU_LIF, ...opts.lif };
    this.fused = opts.fused ?? true;
    const rng = new Rng(opts.seed);
    const id = `lif_net${modelCounter++}`;
    const C = this.channels;
    const flat = (this.height / 4) * (this.width / 4) * C;
    const layer = (shape: number[], fanIn: number, name: string) => {
      const bound = 1 / Math.sqrt(fanIn);
      return [
        uniformVariable(rng, shape, bound, `${id}/${name}/w`),
        uniformVariable(rng, [shape[shape.length - 1]], bound, `${id}/${name}/b`),
      ];
    };
    this.variables = [
      ...layer([3, 3, 1, C], 9, "conv1"),
      ...layer([3, 3, C, C], 9 * C, "conv2"),
      ...layer([flat, this.hidden], flat, "fc1"),
      ...layer([this.hidden, this.numOutputs], this.hidden, "fc2"),
    ];
  }

  /** State: u1, o1 `[B, Hgt, Wid, C]`, u2, o2 `[B, Hgt/2, Wid/2, C]`, u3, o3 `[B, hidden]`, u4, o4 `[B, O]`. */
  initialState(batchSize: number): tf.Tensor[] {
    const h = this.height, w = this.width, C = this.channels;
    const shapes = [[batchSize, h, w, C], [batchSize, h / 2, w / 2, C], [batchSize, this.hidden], [
      batchSize,
      this.numOutputs,
    ]];
    return shapes.flatMap((s) => [tf.zeros(s), tf.zeros(s)]);
  }

  step(state: tf.Tensor[], input: tf.Tensor2D): { state: tf.Tensor[]; logits: tf.Tensor2D } {
    if (input.shape[1] !== this.numInputs) {
      throw new Error(
        `LifNet.step: input must be [B, ${this.numInputs}] (${this.height}x${this.width} ` +
          `frames, flattened): got [${input.shape}].`,
      );
    }
    if (state.length !== 8) {
      throw new Error(
        `LifNet.step: state must hold 8 tensors (u, o of 4 layers): got ${state.length}.`,
      );
    }
    return tf.tidy(() => {
      const b = input.shape[0];
      const v = this.variables as unknown as tf.Tensor[];
      const p = { ...this.lif, fused: this.fused };
      const x = tf.reshape(input, [b, this.height, this.width, 1]) as tf.Tensor4D;
      const l1 = lifCell(
        state[0],
        state[1],
        tf.conv2d(x, v[0] as tf.Tensor4D, 1, "same"),
        v[1] as tf.Tensor1D,
        p,
      );
      const p1 = avgPool2(l1.o as tf.Tensor4D);
      const l2 = lifCell(
        state[2],
        state[3],
        tf.conv2d(p1, v[2] as tf.Tensor4D, 1, "same"),
        v[3] as tf.Tensor1D,
        p,
      );
      const p2 = tf.reshape(avgPool2(l2.o as tf.Tensor4D), [b, -1]) as tf.Tensor2D;
      const l3 = lifCell(
        state[4],
        state[5],
        matMulT(p2, v[4] as tf.Tensor2D),
        v[5] as tf.Tensor1D,
        p,
      );
      const l4 = lifCell(
        state[6],
        state[7],
        matMulT(l3.o as tf.Tensor2D, v[6] as tf.Tensor2D),
        v[7] as tf.Tensor1D,
        p,
      );
      return {
        state: [l1.u, l1.o, l2.u, l2.o, l3.u, l3.o, l4.u, l4.o],
        // A tensor of its own: callers dispose logits and state separately.
        logits: tf.clone(l4.u) as tf.Tensor2D,
      };
    });
  }

  flopsPerStep(): number {
    const px = this.height * this.width, C = this.channels, O = this.numOutputs;
    const flat = (px / 16) * C;
    const convs = 2 * px * 9 * C + 2 * (px / 4) * 9 * C * C;
    const dense = 2 * flat * this.hidden + 2 * this.hidden * O;
    // LIF update (decay, reset, current, bias, compare: 5 per neuron) and the two poolings.
    const neurons = px * C + (px / 4) * C + this.hidden + O;
    return convs + dense + 5 * neurons + (px * C + (px / 4) * C);
  }

  describe(): Record<string, unknown> {
    return {
      model: "lif_net",
      height: this.height,
      width: this.width,
      channels: this.channels,
      hidden: this.hidden,
      numOutputs: this.numOutputs,
      pooling: "avg 2x2 after each convolution",
      decay: this.lif.decay,
      vThreshold: this.lif.threshold,
      surrogateWidth: this.lif.width,
    };
  }
}
