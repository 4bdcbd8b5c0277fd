/**
 * What an accelerator offers the path chooser (lib/rc/paths.ts), and the registry it joins.
 *
 * An accelerator runs some models faster on one backend. It declares its capabilities (which
 * models it runs here, readouts, purposes, clipping, halting, hidden-state traces) and offers one
 * hook per purpose it serves: traces for inference, loss and gradients, a trainer for fit(). It
 * decides itself which models it accepts (`runs`); lib/rc never names a model kind for it.
 *
 * lib/rc imports no accelerator: lib/accel registers its own in lib/accel/register.ts, which mod.ts,
 * the tasks and the benchmarks import for its side effect. With none registered, every model runs
 * on the tfjs reference path.
 * @module
 */
import type { SequenceBatch } from "../data/batch.ts";
import type { RecurrentModel } from "../models/model.ts";
import type { PathCapabilities, PathChoice, PathName } from "./paths.ts";
import type { StepRunner } from "./runner.ts";
import type { Readout } from "./spike.ts";
import type { FitOptions } from "./train.ts";

/** Per-step traces of a batch (`[T, B]`, NaN / -1 where not computed), as traceBatch records them. */
export interface AcceleratedTraces {
  confidence: Float32Array;
  label: Int32Array;
  /** Example-steps computed. */
  stepsComputed: number;
  /** Time steps run before halting (T when not halted). */
  stepsRun: number;
}

/** One batch's loss (mean of `L - βH` at each example's loss step) and its gradients. */
export interface AcceleratedGradients {
  loss: number;
  /** In `model.variables` order. */
  grads: Float32Array[];
  /** Where each example's loss was taken. */
  steps: Int32Array;
  /** Example-steps computed. */
  stepsComputed: number;
}

/** An accelerator: its declared capabilities and a hook for each purpose it serves. */
export interface Accelerator extends PathCapabilities {
  readonly name: Exclude<PathName, "tfjs">;
  /**
   * Inference (purpose "infer"): per-step traces of `batch`; with `haltThreshold`, nothing is
   * recorded after an example's first spike.
   */
  traces?(
    model: RecurrentModel,
    batch: SequenceBatch,
    opts: { readout: Readout; haltThreshold?: number },
  ): AcceleratedTraces | Promise<AcceleratedTraces>;
  /**
   * Gradients (purpose "gradients"): the loss at each example's first spike at `threshold` (RC),
   * or at the given `steps`; exactly one of the two is given.
   */
  lossAndGrads?(
    model: RecurrentModel,
    batch: SequenceBatch,
    opts: { readout: Readout; beta: number; threshold?: number; steps?: Int32Array },
  ): AcceleratedGradients;
  /**
   * Training (purpose "train"): fit()'s runner on this path, or null to train with tfjs's Adam over
   * this accelerator's `lossAndGrads`.
   */
  trainer?(model: RecurrentModel, opts: FitOptions, path: PathChoice): StepRunner | null;
}

const registry: Accelerator[] = [];

/**
 * Adds `accelerator` to the paths the chooser picks from, after those registered before it (the
 * chooser takes the first that serves); one registered under the same name is replaced in its
 * place. Returns a function that undoes it (tests).
 * @example
 * ```ts ignore
 * registerAccelerator({ name: "cpu-engine", runs, readouts, purposes: ["infer"], clipping: false,
 *   halting: "skip", hiddenTraces: false, traces });
 * ```
 */
export function registerAccelerator(accelerator: Accelerator): () => void {
  const { name, purposes } = accelerator;
  const lacks = (purposes.includes("infer") && !accelerator.traces)
    ? "traces (it serves infer)"
    : (purposes.includes("gradients") && !accelerator.lossAndGrads)
    ? "lossAndGrads (it serves gradients)"
    : (purposes.includes("train") && !accelerator.trainer && !accelerator.lossAndGrads)
    ? "trainer or lossAndGrads (it serves train)"
    : null;
  if ((name as PathName) === "tfjs" || lacks) {
    throw new Error(
      `registerAccelerator: cannot register "${name}": ` +
        (lacks ? `it needs ${lacks}` : `"tfjs" is the reference path's name`) + ".",
    );
  }
  const at = registry.findIndex((a) => a.name === name);
  const was = at >= 0 ? registry[at] : null;
  if (was) registry[at] = accelerator;
  else registry.push(accelerator);
  return () => {
    const now = registry.indexOf(accelerator);
    if (now < 0) return;
    if (was) registry[now] = was;
    else registry.splice(now, 1);
  };
}

/** The registered accelerators, in the chooser's order. */
export function accelerators(): readonly Accelerator[] {
  return registry;
}

/** The accelerator registered as `name`, or undefined (always for "tfjs"). */
export function registered(name: PathName): Accelerator | undefined {
  return registry.find((a) => a.name === name);
}
