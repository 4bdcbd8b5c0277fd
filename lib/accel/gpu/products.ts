/**
 * The tiled product's dispatches (`matmul` and its variants): a product over strided views of the
 * buffer, over the rows GPU halting listed for a step, and the gradients' long sums split into
 * layers that run in parallel, then added up.
 * @module
 */
import type { Dispatch } from "./dispatcher.ts";
import { MM_TILE } from "./kernels/mod.ts";
import type { Layout } from "./layout.ts";

/**
 * C (`c`: offset, row stride) = [C +] A B [+ bias], [ReLU], [zero where `mask` <= 0]: A is M x K
 * and B K x N, each an (offset, stride along the first index, stride along the second) view.
 */
export interface Product {
  phase?: string;
  M: number;
  N: number;
  K: number;
  a: [number, number, number];
  b: [number, number, number];
  c: [number, number];
  bias?: number;
  relu?: boolean;
  mask?: number;
}

/** The product as one `matmul` dispatch. */
export function mm(d: Product): Dispatch {
  return {
    kernel: "matmul",
    phase: d.phase,
    u: [
      d.M,
      d.N,
      d.K,
      ...d.a,
      ...d.b,
      ...d.c,
      d.bias === undefined ? 0 : d.bias + 1,
      d.relu ? 2 : 0,
      d.mask === undefined ? 0 : d.mask + 1,
      0,
      0,
    ],
    groups: [Math.ceil(d.N / MM_TILE), Math.ceil(d.M / MM_TILE)],
  };
}

/** `mm` over the rows listed for step `t`, with the GPU's workgroup counts (entry `j`). */
export function mmRows(layout: Layout, d: Product, at: { t: number; j: number }): Dispatch {
  const dispatch = mm(d);
  dispatch.kernel = "matmulRows";
  dispatch.u.push(layout.off.sc + 2 * at.t, layout.off.list);
  dispatch.indirect = at.t * layout.J + at.j;
  return dispatch;
}

/**
 * C = AᵀB-style gradient sums over many rows: the K rows split into layers of SPLIT_K run in
 * parallel (as much as the partial-sum memory allows), then added up. Two dispatches, or one.
 */
export function mmSplit(layout: Layout, d: Product): Dispatch[] {
  const plan = layout.splitPlan(d.M, d.N, d.K);
  if (!plan) return [mm(d)];
  const { per, layers: S } = plan;
  const first = mm(d);
  first.u[14] = per;
  first.u[15] = layout.off.partial;
  first.groups[2] = S;
  return [first, {
    kernel: "reduce",
    phase: d.phase,
    u: [d.M, d.N, S, layout.off.partial, d.c[0], d.c[1], 0],
    groups: [Math.ceil((d.M * d.N) / 256)],
  }];
}

/**
 * Gradient product `q` (dU, dW, db) summed over the example-steps that ran (the GPU's list): split
 * into layers as `mmSplit` does for the most rows, with as many layers dispatched as the list
 * needs, then added up.
 */
export function mmSum(layout: Layout, d: Product, q: number): Dispatch[] {
  const first = mm(d);
  first.kernel = "matmulSum";
  first.u.push(layout.off.total, layout.off.list);
  const plan = layout.productPlans[q];
  if (!plan) return [first];
  first.u[14] = plan.per;
  first.u[15] = layout.off.partial;
  first.indirect = layout.T * layout.J + q;
  return [first, {
    kernel: "reduce",
    phase: d.phase,
    u: [d.M, d.N, 0, layout.off.partial, d.c[0], d.c[1], layout.off.total + 1, plan.per],
    groups: [Math.ceil((d.M * d.N) / 256)],
  }];
}
