/**
 * One iteration as lists of dispatches, in the order they run: the forward pass and the loss, then
 * the readout's backward, the backward steps, the weights' gradients, their norm and Adam. Pure
 * functions of the `Layout` and the options: nothing here touches the GPU.
 * @module
 */
import type { Readout } from "../../rc/spike.ts";
import type { Dispatch } from "./dispatcher.ts";
import { NORM_GROUPS } from "./kernels/mod.ts";
import type { Layout } from "./layout.ts";
import { mm, mmRows, mmSplit, mmSum, type Product } from "./products.ts";

/** Adam's settings (tfjs's defaults but the learning rate). */
export interface AdamSettings {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Clip the gradients' global L2 norm to this before Adam (tfjs path's `clipByGlobalNorm`). */
  clipNorm?: number;
}

/** How the kernels name a readout (`TAKE`'s and `COMPACT`'s parameter). */
export function readoutCode(readout: Readout): number {
  return readout === "binary" ? 0 : readout === "sigmoid" ? 1 : 2;
}

/** Halting decided on the GPU: the readout (`readoutCode`) and θ that decide each spike. */
export interface GpuHalting {
  readoutCode: number;
  threshold: number;
}

/** The dispatches of one engine's iterations. */
export class StepPlan {
  private layout: Layout;

  constructor(layout: Layout) {
    this.layout = layout;
  }

  /**
   * The first half of an iteration: the reset of the latest loss step, the forward pass over
   * `nForward` steps (`forward`), and the loss at each example's loss step: `TAKE` finds the step
   * (given, the first spike, or with `halt` the one the GPU wrote) and takes the loss and
   * d/dlogits there, `ACCUMULATE` adds the batch's loss to the totals.
   */
  forwardAndLoss(
    nForward: number,
    opts: { readoutCode: number; threshold: number; beta: number; halt: boolean },
  ): Dispatch[] {
    const { B, H, O, K, off: o } = this.layout;
    const halt = opts.halt
      ? { readoutCode: opts.readoutCode, threshold: opts.threshold }
      : undefined;
    return [
      { kernel: "reset", u: [], groups: [1] },
      ...this.forward(nForward, halt),
      {
        kernel: "take",
        u: [
          B,
          O,
          H,
          nForward,
          this.layout.logits.out,
          o.y,
          halt ? o.steps : o.given, // halting on the GPU has written every loss step
          o.steps,
          o.loss,
          this.layout.logits.grad,
          this.layout.hc(1),
          o.gatherH,
          opts.readoutCode,
          K,
          o.layerTable,
          o.widths,
        ],
        f: [opts.threshold, opts.beta, 1 / B],
        groups: [Math.ceil(B / 64)],
      },
      { kernel: "accumulate", u: [B, o.loss, o.lossTotal, o.stepLoss], groups: [1] },
    ];
  }

  /**
   * The forward pass over `nForward` steps: the input projection (bias included), one dispatch
   * per step, then the readout of every step run (EOS needs only the last step's rows, but the
   * others cost one batched product, not a dispatch each).
   *
   * With `halt`, halting is decided on the GPU: `INIT` lists every example for step 0; each step
   * runs the cell (which projects its rows' inputs itself) and the readout layers over its listed
   * rows only (dispatches sized by the GPU), then `COMPACT` lists the rows that go on. Rows of a
   * step an example did not reach are never written.
   */
  forward(nForward: number, halt?: GpuHalting): Dispatch[] {
    const { B, T, J, F, H, G, O, off: o } = this.layout;
    const list: Dispatch[] = [];
    if (halt) {
      list.push({
        kernel: "init",
        u: [B, T, o.list, o.sc, o.stepTable, J, o.finalTable, 3, o.total],
        groups: [1],
      });
    }
    const projection = {
      phase: "input projection",
      M: nForward * B,
      N: G,
      K: F,
      a: [o.x, F, 1] as [number, number, number],
      b: [this.layout.weight(0), G, 1] as [number, number, number],
      c: [o.xw, G] as [number, number],
      bias: this.layout.weight(2),
    };
    if (!halt) list.push(mm(projection));
    for (let t = 0; t < nForward; t++) {
      const u = [
        H,
        B,
        o.xw + t * B * G,
        this.layout.hc(t),
        this.layout.hc(t + 1),
        this.layout.weight(1),
        o.acts + t * B * 5 * H,
      ];
      const groups: [number, number] = [Math.ceil(H / 4), Math.ceil(B / 16)];
      if (!halt) {
        list.push({ kernel: "cellForward", u, groups });
        continue;
      }
      u.push(o.sc + 2 * t, o.list, t * B, o.x, F, projection.b[0], projection.bias);
      list.push({ kernel: "cellForwardRows", u, groups, indirect: t * J + 1 });
      // The readout of the listed rows: entries t B + b index every layer's rows; layer 1 reads h
      // after step t, row (t + 1) B + b of hc.
      list.push(
        ...this.readout(B, this.layout.hc(1), (d, i) => mmRows(this.layout, d, { t, j: 1 + i })),
      );
      list.push({
        kernel: "compact",
        u: [
          B,
          T,
          t,
          O,
          halt.readoutCode,
          this.layout.logits.out,
          o.list,
          o.sc,
          o.steps,
          o.given,
          o.stepTable,
          J,
          o.finalTable,
          3,
          o.total,
        ],
        f: [halt.threshold],
        groups: [1],
      });
    }
    if (!halt) list.push(...this.readout(nForward * B, this.layout.hc(1), (d) => mm(d)));
    return list;
  }

  /**
   * The readout layers' products over `M` rows, the first reading h from `hOffset` (rows of 2H),
   * each made a dispatch by `make` (given the layer's index from 1).
   */
  private readout(
    M: number,
    hOffset: number,
    make: (d: Product, i: number) => Dispatch,
  ): Dispatch[] {
    const { H, K, layers } = this.layout;
    const out: Dispatch[] = [];
    let a: [number, number, number] = [hOffset, 2 * H, 1];
    for (let i = 1; i <= K; i++) {
      const L = this.layout.layer[i - 1];
      out.push(make({
        phase: "readout",
        M,
        N: layers[i],
        K: layers[i - 1],
        a,
        b: [L.w, layers[i], 1],
        c: [L.out, layers[i]],
        bias: L.b,
        relu: i < K,
      }, i));
      a = [L.out, layers[i], 1];
    }
    return out;
  }

  /**
   * The second half's gradients, from the loss back over `nBackward` steps: the readout's backward,
   * the backward steps, and the weights' gradients (with `halt`: over the rows the GPU listed, then
   * the tally of the workgroups it dispatched).
   */
  backward(nBackward: number, halt: boolean): Dispatch[] {
    return [
      ...this.readoutBackward(),
      ...this.backwardSteps(nBackward, halt),
      ...this.weightGradients(nBackward, halt),
      ...(halt ? [this.tally()] : []),
    ];
  }

  /** Readout backward at each example's loss step: grads of the readout weights, d loss / dh. */
  private readoutBackward(): Dispatch[] {
    const { B, H, K, layers, off: o } = this.layout;
    const list: Dispatch[] = [];
    for (let i = K; i >= 1; i--) {
      const L = this.layout.layer[i - 1];
      const Lin = layers[i - 1];
      const Lout = layers[i];
      const input = i === 1 ? o.gatherH : this.layout.layer[i - 2].gather;
      list.push(mm({
        phase: "readout backward",
        M: Lin,
        N: Lout,
        K: B,
        a: [input, 1, Lin],
        b: [L.grad, Lout, 1],
        c: [this.layout.grad(1 + 2 * i), Lout],
      }));
      list.push(mm({
        phase: "readout backward",
        M: 1,
        N: Lout,
        K: B,
        a: [o.ones, 0, 1],
        b: [L.grad, Lout, 1],
        c: [this.layout.grad(2 + 2 * i), Lout],
      }));
      list.push(mm({
        phase: "readout backward",
        M: B,
        N: Lin,
        K: Lout,
        a: [L.grad, Lout, 1],
        b: [L.w, 1, Lout],
        c: i === 1 ? [o.dhLoss, H] : [this.layout.layer[i - 2].grad, Lin],
        mask: i === 1 ? undefined : input,
      }));
    }
    return list;
  }

  /** One backward dispatch per step, the last first; d c alternates between two buffers. */
  private backwardSteps(nBackward: number, halt: boolean): Dispatch[] {
    const { B, T, H, K, J, off: o } = this.layout;
    const list: Dispatch[] = [];
    for (let t = nBackward - 1; t >= 0; t--) {
      const u = [
        H,
        B,
        t,
        o.steps,
        o.dhLoss,
        this.layout.dz(t),
        this.layout.dz(Math.min(t + 1, T - 1)),
        this.layout.weight(1),
        o.acts + t * B * 5 * H,
        this.layout.hc(t),
        (t + 1) % 2 ? o.dc1 : o.dc0,
        t % 2 ? o.dc1 : o.dc0,
      ];
      list.push(
        halt
          ? {
            kernel: "cellBackwardRows",
            u: [...u, o.sc + 2 * t, o.list, t * B],
            groups: [Math.ceil(H / 16), Math.ceil(B / 8)],
            indirect: t * J + K + 2,
          }
          : { kernel: "cellBackward", u, groups: [Math.ceil(H / 16), Math.ceil(B / 8)] },
      );
    }
    return list;
  }

  /** The weights' gradients dU, dW, db: sums over the example-steps (`halt`: those that ran). */
  private weightGradients(nBackward: number, halt: boolean): Dispatch[] {
    const { B, H, F, G, off: o } = this.layout;
    const rows = nBackward * B;
    const products: Product[] = [
      { M: H, N: G, K: rows, a: [o.hc, 1, 2 * H], b: [o.dz, G, 1], c: [this.layout.grad(1), G] },
      { M: F, N: G, K: rows, a: [o.x, 1, F], b: [o.dz, G, 1], c: [this.layout.grad(0), G] },
      { M: 1, N: G, K: rows, a: [o.ones, 0, 1], b: [o.dz, G, 1], c: [this.layout.grad(2), G] },
    ];
    return products.flatMap((d, q) => {
      d.phase = "weight gradients";
      return halt ? mmSum(this.layout, d, q) : mmSplit(this.layout, d);
    });
  }

  /** Adds the workgroups of the batch's indirect dispatches to the totals. */
  private tally(): Dispatch {
    const { T, J } = this.layout;
    return { kernel: "tally", u: [T * J + 3], groups: [1] };
  }

  /**
   * The gradients' global norm, the clipping scale (`clipNorm`, 0: none) and the non-finite check
   * of iteration `stepIndex` (no readback).
   */
  gradientNorm(stepIndex: number, clipNorm: number): Dispatch[] {
    const { paramCount: count, off: o } = this.layout;
    return [{
      kernel: "sumSquares",
      u: [count, o.grads, o.normPartial],
      groups: [NORM_GROUPS],
    }, {
      kernel: "gradNorm",
      u: [o.normPartial, o.gradNorm, o.stepLoss, stepIndex],
      f: [clipNorm],
      groups: [1],
    }];
  }

  /** Adam's update number `step` (from 1), with tfjs's bias corrections. */
  adam(s: AdamSettings, step: number): Dispatch {
    const { paramCount: count, off: o } = this.layout;
    const [b1, b2] = [s.beta1 ?? 0.9, s.beta2 ?? 0.999];
    const eps = s.epsilon ?? 1e-7;
    const c1 = 1 - b1 ** step;
    const c2 = 1 - b2 ** step;
    // lr m/c1 / (sqrt(v/c2) + ε) = (lr sqrt(c2)/c1) m / (sqrt(v) + ε sqrt(c2))
    const groups = Math.ceil(count / 256);
    const gx = Math.min(groups, 65535);
    return {
      kernel: "adam",
      u: [count, o.weights, o.grads, o.adamM, o.adamV, o.gradNorm + 1],
      f: [(s.learningRate * Math.sqrt(c2)) / c1, b1, b2, eps * Math.sqrt(c2)],
      groups: [gx, Math.ceil(groups / gx)],
    };
  }
}
