/**
 * The readouts' confidence and label of one row of logits in plain JavaScript (float64), as
 * lib/rc/spike.ts defines them with tfjs ops: for the engines and streaming inference, which read
 * logits from memory without tfjs. One definition per language: the WGSL engine has its own.
 * @module
 */
import type { Readout } from "./spike.ts";

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * The readout's label for one row at `f32[at, at + O)`: binary p >= 0.5 (z >= 0); lif the first
 * largest potential; else the first largest float32 probability (as tfjs's argMax over them:
 * saturated units tie).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { argmaxLabel } from "./readout.ts";
 * assert.equal(argmaxLabel(Float32Array.of(0.1, 2, 2), 0, 3, "softmax"), 1);
 * ```
 */
export function argmaxLabel(f32: Float32Array, at: number, O: number, readout: Readout): number {
  if (readout === "binary") return f32[at] >= 0 ? 1 : 0;
  let max = -Infinity;
  for (let j = 0; j < O; j++) max = Math.max(max, f32[at + j]);
  let best = 0;
  let bestP = -Infinity;
  for (let j = 0; j < O; j++) {
    const z = f32[at + j];
    const p = readout === "lif"
      ? z
      : Math.fround(readout === "sigmoid" ? sigmoid(z) : Math.exp(z - max));
    if (p > bestP) (best = j), (bestP = p);
  }
  return best;
}

/**
 * The readout's confidence for one row of logits: binary max(p, 1 - p), sigmoid max σ, softmax
 * the largest probability, lif the largest potential (lib/rc/spike.ts).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { confidence } from "./readout.ts";
 * assert.equal(confidence(Float32Array.of(0.3, 1.5), 0, 2, "lif"), 1.5);
 * assert.ok(Math.abs(confidence(Float32Array.of(0, 0), 0, 2, "softmax") - 0.5) < 1e-12);
 * ```
 */
export function confidence(f32: Float32Array, at: number, O: number, readout: Readout): number {
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
  if (readout === "lif") return max;
  let sum = 0;
  for (let j = 0; j < O; j++) sum += Math.exp(f32[at + j] - max);
  return 1 / sum;
}
