/**
 * Every kernel of the engine by name: its WGSL source, the phase of an iteration it is timed
 * under, and whether it writes the indirect dispatches' workgroup counts.
 * @module
 */
import { cellBackwardSource, cellForwardSource } from "./cell.ts";
import { COMPACT, INIT, TALLY } from "./halting.ts";
import { ACCUMULATE, RESET, TAKE } from "./loss.ts";
import { matmulSource, REDUCE } from "./matmul.ts";
import { ADAM, GRAD_NORM, SUM_SQUARES } from "./update.ts";

export { MM_TILE, NORM_GROUPS } from "./common.ts";

/** The WGSL source of each kernel. */
export const KERNELS = {
  matmul: () => matmulSource("none"),
  matmulRows: () => matmulSource("rows"),
  matmulSum: () => matmulSource("sum"),
  cellForward: () => cellForwardSource(false),
  cellForwardRows: () => cellForwardSource(true),
  take: () => TAKE,
  cellBackward: () => cellBackwardSource(false),
  cellBackwardRows: () => cellBackwardSource(true),
  adam: () => ADAM,
  reduce: () => REDUCE,
  accumulate: () => ACCUMULATE,
  reset: () => RESET,
  sumSquares: () => SUM_SQUARES,
  gradNorm: () => GRAD_NORM,
  init: () => INIT,
  compact: () => COMPACT,
  tally: () => TALLY,
};
export type Kernel = keyof typeof KERNELS;

/** The phase each kernel's dispatches are timed under unless a dispatch names its own. */
export const PHASES: Record<Kernel, string> = {
  matmul: "products",
  matmulRows: "products",
  matmulSum: "products",
  cellForward: "forward steps",
  cellForwardRows: "forward steps",
  take: "loss",
  cellBackward: "backward steps",
  cellBackwardRows: "backward steps",
  adam: "adam",
  reduce: "products",
  reset: "loss",
  accumulate: "loss",
  sumSquares: "gradient norm",
  gradNorm: "gradient norm",
  init: "halting",
  compact: "halting",
  tally: "halting",
};

/** The kernels that write the indirect dispatches' workgroup counts (bind `args` as storage). */
export const WRITES_ARGS = new Set<Kernel>(["init", "compact", "tally"]);
