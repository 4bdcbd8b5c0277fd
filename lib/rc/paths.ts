/**
 * The one place that picks how a model is trained or run here: from each path's declared
 * capabilities (backends, model kinds, readouts, clipping, halting, hidden-state traces) and what
 * the caller needs. fit(), traceBatch() (RC-inference) and the paired RC-against-EOS timing all
 * ask {@link choosePath}; the run record keeps the answer and its reason.
 *
 * The reference path, tfjs autodiff over the model's own `step()`, runs every model on every
 * backend. The accelerators (lib/accel) run an `Lstm` faster on one backend each; when one would
 * apply but lacks a capability the caller needs, the reason is logged once, never silently
 * dropped.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { engineModel, nativeAvailable } from "../accel/cpu_engine.ts";
import { gpuEngineAvailable, gpuEngineModel } from "../accel/gpu_fit.ts";
import { Lstm } from "../models/lstm.ts";
import type { RecurrentModel } from "../models/model.ts";
import { type Readout, READOUTS } from "./spike.ts";

/**
 * The paths: `cpu-engine` (an Lstm on wasm with BLAS: hand-written BPTT and SIMD Adam),
 * `webgpu-engine` (an Lstm on webgpu: hand-written WGSL, weights and Adam on the GPU), and the
 * reference `tfjs` (autodiff over `step()`; on cpu/wasm one taped pass finds the spikes as it goes,
 * on webgpu a halting forward pass finds them first).
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
interface PathSpec {
  name: PathName;
  /** Why this path cannot run `model` here at all (wrong backend, model kind), or null. */
  runs(model: RecurrentModel): string | null;
  readouts: readonly Readout[];
  clipping: boolean;
  /** What the path serves: fit(), `lossAndGrads` (gradients out, no optimizer), inference. */
  purposes: readonly PathNeeds["purpose"][];
  /** Whether halted examples stop costing compute ("skip") or are computed and masked ("mask"). */
  halting: "skip" | "mask";
  hiddenTraces: boolean;
}

/** The readouts the LSTM engines implement; the tfjs reference runs every one (READOUTS). */
const ENGINE_READOUTS = ["binary", "sigmoid", "softmax"] as const;

let overrides: { clipping?: Partial<Record<PathName, boolean>> } = {};

const PATHS: PathSpec[] = [
  {
    name: "cpu-engine",
    runs: (model) =>
      !(model instanceof Lstm)
        ? `${model.name} is not an Lstm`
        : !nativeAvailable()
        ? tf.getBackend() !== "wasm" ? "backend is not wasm" : "off, or no BLAS or SIMD cell here"
        : engineModel(model)
        ? null
        : "the Lstm has no fused cell",
    readouts: ENGINE_READOUTS,
    purposes: ["train", "gradients", "infer"],
    clipping: true,
    halting: "skip",
    hiddenTraces: false,
  },
  {
    name: "webgpu-engine",
    runs: (model) =>
      !(model instanceof Lstm)
        ? `${model.name} is not an Lstm`
        : !gpuEngineAvailable()
        ? tf.getBackend() !== "webgpu" ? "backend is not webgpu" : "turned off"
        : gpuEngineModel(model)
        ? null
        : "not available",
    readouts: ENGINE_READOUTS,
    // Its gradients live on the GPU inside the trainer; lossAndGrads takes the tfjs path.
    purposes: ["train", "infer"],
    clipping: true,
    halting: "mask",
    hiddenTraces: false,
  },
  {
    name: "tfjs",
    runs: () => null,
    readouts: READOUTS,
    purposes: ["train", "gradients", "infer"],
    clipping: true,
    halting: "skip",
    hiddenTraces: true,
  },
];

/** Why `spec` cannot serve `needs` for `model`, or null when it can. */
function missing(spec: PathSpec, needs: PathNeeds): string | null {
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
    const spec = PATHS.find((p) => p.name === needs.force);
    if (!spec) {
      throw new Error(
        `choosePath: no path "${needs.force}": expected one of ${
          PATHS.map((p) => p.name).join(", ")
        }.`,
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
  for (const spec of PATHS) {
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
