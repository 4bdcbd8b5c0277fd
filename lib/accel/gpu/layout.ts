/**
 * Where everything lives in the engine's one storage buffer: weights, gradients, Adam's moments,
 * every activation and the tables of GPU halting, as offsets in floats, for one model shape, batch
 * size and sequence length. Pure arithmetic: no GPU here.
 * @module
 */
import { MM_TILE, NORM_GROUPS } from "./kernels/mod.ts";

/** What the engine needs of the model: its sizes. */
export interface GpuLstmShape {
  numInputs: number;
  hiddenSize: number;
  readoutHidden: number[];
  numOutputs: number;
}

/** Rows of a gradient's sum per workgroup layer (split-K). */
const SPLIT_K = 256;

/** Floats of each named region of the buffer, in the order they are laid out. */
function regionSizes(n: {
  T: number;
  B: number;
  F: number;
  H: number;
  G: number;
  K: number;
  P: number;
  J: number;
  partial: number;
}) {
  const { T, B, F, H, G, K, P, J } = n;
  return {
    weights: P,
    grads: P,
    adamM: P,
    adamV: P,
    x: T * B * F,
    y: B,
    given: B,
    xw: T * B * G,
    hc: (T + 1) * B * 2 * H,
    acts: T * B * 5 * H,
    steps: B,
    loss: B,
    lossTotal: 1,
    stepLoss: 1,
    normPartial: NORM_GROUPS,
    gradNorm: 2,
    dhLoss: B * H,
    dz: T * B * G,
    dc0: B * H,
    dc1: B * H,
    ones: T * B,
    gatherH: B * H,
    layerTable: 2 * K,
    widths: K,
    // GPU halting: every step's list of running rows, their (start, count), the total, tables.
    list: T * B,
    sc: 2 * T,
    total: 1,
    stepTable: 2 * J,
    finalTable: 9,
    partial: n.partial,
  };
}
export type Region = keyof ReturnType<typeof regionSizes>;

/** A readout layer (1 to K): its weight and bias, and its three activations' regions. */
export interface LayerOffsets {
  w: number;
  b: number;
  /** Output of every step, rows t B + b. */
  out: number;
  /** Output at each example's loss step, [B, width] (-1 for the last layer). */
  gather: number;
  /** d loss / d its pre-activation at the loss step, [B, width]. */
  grad: number;
}

/** A gradient sum split into `layers` run in parallel, each over `per` rows. */
export interface SplitPlan {
  per: number;
  layers: number;
}

/** The buffer's layout for `shape`, sequences of `T` steps and batches of `B`. */
export class Layout {
  readonly T: number;
  readonly B: number;
  readonly F: number;
  readonly H: number;
  /** Gates' width, 4 H. */
  readonly G: number;
  readonly O: number;
  /** Widths of h and the readout layers: [H, ...readoutHidden, O]. */
  readonly layers: number[];
  /** Readout layers. */
  readonly K: number;
  /** Values per weight, in `model.variables` order: W, U, b, then each layer's weight and bias. */
  readonly sizes: number[];
  /** Where each weight starts among the flat weights. */
  readonly weightOff: number[] = [];
  /** Weights in all (the sum of `sizes`). */
  readonly paramCount: number;
  readonly off: Record<Region, number>;
  readonly layer: LayerOffsets[] = [];
  /** Indirect entries per step (unused, forward step, readout layers, backward step). */
  readonly J: number;
  /** Room for the split gradient products' partial sums. */
  readonly partialFloats: number;
  /** The gradient products dU, dW, db (sums over the example-steps): their [M, N]. */
  readonly products: [number, number][];
  /** Their split plans (null: one layer). */
  readonly productPlans: (SplitPlan | null)[];
  /** Floats in all. */
  readonly floats: number;

  constructor(shape: GpuLstmShape, T: number, B: number) {
    const { numInputs: F, hiddenSize: H, numOutputs: O } = shape;
    const G = 4 * H;
    this.T = T;
    this.B = B;
    this.F = F;
    this.H = H;
    this.G = G;
    this.O = O;
    const layers = [H, ...shape.readoutHidden, O];
    const K = layers.length - 1;
    this.layers = layers;
    this.K = K;
    this.sizes = [F * G, H * G, G];
    for (let i = 1; i <= K; i++) this.sizes.push(layers[i - 1] * layers[i], layers[i]);
    const P = this.sizes.reduce((a, b) => a + b, 0);
    this.paramCount = P;
    const J = K + 3;
    this.J = J;
    // Partial sums of the split gradient products: up to 4 M floats.
    this.partialFloats = Math.min(4 << 20, Math.max(H, F) * G * Math.ceil((T * B) / SPLIT_K));
    const floats = regionSizes({ T, B, F, H, G, K, P, J, partial: this.partialFloats });
    let next = 0;
    const alloc = (n: number) => {
      const at = next;
      next += Math.ceil(n / 64) * 64 + 64;
      return at;
    };
    this.off = {} as Record<Region, number>;
    for (const region of Object.keys(floats) as Region[]) this.off[region] = alloc(floats[region]);
    let w = 0;
    for (const n of this.sizes) {
      this.weightOff.push(w);
      w += n;
    }
    for (let i = 1; i <= K; i++) {
      this.layer.push({
        w: this.weight(1 + 2 * i),
        b: this.weight(2 + 2 * i),
        out: alloc(T * B * layers[i]),
        gather: i < K ? alloc(B * layers[i]) : -1,
        grad: alloc(B * layers[i]),
      });
    }
    this.floats = next;
    this.products = [[H, G], [F, G], [1, G]];
    this.productPlans = this.products.map(([M, N]) => this.splitPlan(M, N, T * B));
  }

  /** Where weight `k` (`model.variables` order) starts in the buffer. */
  weight(k: number): number {
    return this.off.weights + this.weightOff[k];
  }

  /** Where weight `k`'s gradient starts in the buffer. */
  grad(k: number): number {
    return this.off.grads + this.weightOff[k];
  }

  /** The state [h, c] entering step `t` (rows of 2H; t = 0: zeros). */
  hc(t: number): number {
    return this.off.hc + t * this.B * 2 * this.H;
  }

  /** d loss / d gates of step `t` ([B, G]). */
  dz(t: number): number {
    return this.off.dz + t * this.B * this.G;
  }

  /** The last readout layer: the logits. */
  get logits(): LayerOffsets {
    return this.layer[this.K - 1];
  }

  /**
   * How a gradient sum over up to `K` rows splits into layers run in parallel (as many as the
   * partial-sum memory allows), each `per` rows, a whole number of the kernel's rounds of 64; null
   * when it runs as one.
   */
  splitPlan(M: number, N: number, K: number): SplitPlan | null {
    const layers = Math.min(Math.ceil(K / SPLIT_K), Math.floor(this.partialFloats / (M * N)));
    if (layers <= 1) return null;
    const per = Math.ceil(K / layers / 64) * 64;
    return { per, layers: Math.ceil(K / per) };
  }

  /**
   * The tables written once, as (offset, values): ones, the layer table (each hidden readout
   * layer's out and gather), its widths, and GPU halting's tables: (x, div) per step entry; (x, y,
   * per) per split gradient product.
   */
  constants(): [number, Float32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>][] {
    const { T, B, H, K, layers } = this;
    const table = new Uint32Array(2 * K);
    const widths = new Uint32Array(K);
    for (let i = 1; i < K; i++) {
      table[2 * (i - 1)] = this.layer[i - 1].out;
      table[2 * (i - 1) + 1] = this.layer[i - 1].gather;
      widths[i - 1] = layers[i];
    }
    const stepTable = [
      0, // (unused: each step's cell projects its own rows' inputs)
      MM_TILE,
      Math.ceil(H / 4),
      16,
      ...layers.slice(1).flatMap((n) => [Math.ceil(n / MM_TILE), MM_TILE]),
      Math.ceil(H / 16),
      8,
    ];
    const finalTable = new Uint32Array(9);
    this.products.forEach(([M, N], q) => {
      const plan = this.productPlans[q];
      if (plan) finalTable.set([Math.ceil(N / MM_TILE), Math.ceil(M / MM_TILE), plan.per], 3 * q);
    });
    return [
      [this.off.ones, new Float32Array(T * B).fill(1)],
      [this.off.layerTable, table],
      [this.off.widths, widths],
      [this.off.stepTable, Uint32Array.from(stepTable)],
      [this.off.finalTable, finalTable],
    ];
  }
}
