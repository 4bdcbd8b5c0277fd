/**
 * The one place that picks how a model is trained or run here: from each path's declared
 * capabilities (backends, model kinds, readouts, clipping, halting, hidden-state traces) and what
 * the caller needs. fit(), traceBatch() (RC-inference) and the paired RC-against-EOS timing all
 * ask {@link choosePath}; the run record keeps the answer and its reason.
 *
 * The reference path, tfjs autodiff over the model's own `step()`, runs every model on every
 * backend. Accelerators register with lib/rc/accelerators.ts (lib/accel's: an `Lstm` faster on
 * one backend each, registered by lib/accel/register.ts) and are tried in their order; when one
 * would apply but lacks a capability the caller needs, the reason is logged once, never silently
 * dropped.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { RecurrentModel } from "../models/model.ts";
import { accelerators } from "./accelerators.ts";
import { type Readout, READOUTS } from "./spike.ts";

/**
 * The paths: `cpu-engine` (an Lstm on wasm with BLAS: hand-written BPTT and SIMD Adam),
 * `webgpu-engine` (an Lstm on webgpu: hand-written WGSL, weights and Adam on the GPU), both
 * accelerators that lib/accel registers, and the reference `tfjs` (autodiff over `step()`; on
 * cpu/wasm one taped pass finds the spikes as it goes, on webgpu a halting forward pass finds them
 * first).
 */
export type PathName = "cpu-engine" | "webgpu-engine" | "tfjs";

/** What the caller needs of a path. */
export interface PathNeeds {
  /**
   * Training in fit() (loss, gradients, optimizer), gradients alone (`lossAndGrads`), or
   * inference (traces).
   */
  purpose: "train" | "gradients" | "infer";
  readout: Readout;
  /** Global-L2-norm gradient clipping (training). */
  clipNorm?: number;
  /** Inference: drop examples from the computation once they have spiked. */
  halting?: boolean;
  /** Inference: the model's hidden state at every step (not only readout traces). */
  hiddenTraces?: boolean;
  /** Take this path or fail with the reason (tests and benchmarks compare paths). */
  force?: PathName;
}

/** The chosen path and why; `declined` lists the accelerators that were not taken and why. */
export interface PathChoice {
  name: PathName;
  reason: string;
  declined: string[];
}

/** A path's declared capabilities. */
export interface PathCapabilities {
  readonly name: PathName;
  /** Why this path cannot run `model` here at all (wrong backend, model kind), or null. */
  runs(model: RecurrentModel): string | null;
  readonly readouts: readonly Readout[];
  readonly clipping: boolean;
  /** What the path serves: fit(), `lossAndGrads` (gradients out, no optimizer), inference. */
  readonly purposes: readonly PathNeeds["purpose"][];
  /** Whether halted examples stop costing compute ("skip") or are computed and masked ("mask"). */
  readonly halting: "skip" | "mask";
  readonly hiddenTraces: boolean;
}

let overrides: { clipping?: Partial<Record<PathName, boolean>> } = {};

/** The reference path: every model, every backend, every capability. */
const TFJS: PathCapabilities = {
  name: "tfjs",
  runs: () => null,
  readouts: READOUTS,
  purposes: ["train", "gradients", "infer"],
  clipping: true,
  halting: "skip",
  hiddenTraces: true,
};

/** The paths in the chooser's order: the registered accelerators, then the reference. */
function paths(): readonly PathCapabilities[] {
  return [...accelerators(), TFJS];
}

/** Why `spec` cannot serve `needs` for `model`, or null when it can. */
function missing(spec: PathCapabilities, needs: PathNeeds): string | null {
  if (!spec.purposes.includes(needs.purpose)) return `does not serve ${needs.purpose}`;
  if (!spec.readouts.includes(needs.readout)) return `no ${needs.readout} readout`;
  const clipping = overrides.clipping?.[spec.name] ?? spec.clipping;
  if (needs.purpose === "train" && needs.clipNorm !== undefined && !clipping) {
    return "no gradient clipping";
  }
  if (needs.purpose === "infer" && needs.hiddenTraces && !spec.hiddenTraces) {
    return "no hidden-state traces";
  }
  return null;
}

const logged = new Set<string>();

/**
 * The path that runs `model` on the current backend for `needs`: the first accelerator that runs
 * this model kind here and has every capability needed, else the tfjs reference. An accelerator
 * that runs the model here but lacks a capability is logged (once per reason) and recorded in
 * `declined`.
 * @example
 * ```ts ignore
 * const { name, reason } = choosePath(model, { purpose: "train", readout: "softmax", clipNorm: 0.25 });
 * ```
 */
export function choosePath(model: RecurrentModel, needs: PathNeeds): PathChoice {
  const declined: string[] = [];
  if (needs.force) {
    const spec = paths().find((p) => p.name === needs.force);
    if (!spec) {
      throw new Error(
        `choosePath: no path "${needs.force}": expected one of ${
          paths().map((p) => p.name).join(", ")
        } (lib/accel's accelerators register when lib/accel/register.ts is imported).`,
      );
    }
    const why = spec.runs(model) ?? missing(spec, needs);
    if (why) {
      throw new Error(
        `choosePath: path ${spec.name} cannot ${needs.purpose} ${model.name} here: ${why}.`,
      );
    }
    return { name: spec.name, reason: `forced by the caller`, declined };
  }
  for (const spec of paths()) {
    const cannot = spec.runs(model);
    if (cannot) {
      if (spec.name !== "tfjs") declined.push(`${spec.name}: ${cannot}`);
      continue;
    }
    const lacks = missing(spec, needs);
    if (lacks) {
      const line = `${spec.name} not used for ${model.name} (${needs.purpose}): ${lacks}`;
      declined.push(`${spec.name}: ${lacks}`);
      if (!logged.has(line)) {
        logged.add(line);
        console.error(`path: ${line}; using the next path`);
      }
      continue;
    }
    const reason = spec.name === "tfjs"
      ? `reference path (tfjs autodiff over step()) on ${tf.getBackend()}` +
        (declined.length ? `; ${declined.join("; ")}` : "")
      : `${model.name} on ${tf.getBackend()}, with every capability needed`;
    return { name: spec.name, reason, declined };
  }
  throw new Error("choosePath: the tfjs reference path declined, which cannot happen");
}

/**
 * Tests only: declare a path's clipping capability other than it is (to check that a missing
 * capability falls back with a logged reason). Returns a function that undoes it.
 */
export function overrideCapabilities(o: typeof overrides): () => void {
  const was = overrides;
  overrides = o;
  return () => void (overrides = was);
}
