/**
 * One `fit()` for RC- and EOS-training (paper Alg. 1). They differ in one place: the step at
 * which each example's loss is taken (`lossSteps`): its first spike for RC, the last step for
 * EOS.
 *
 * A training batch, RC, on webgpu:
 * 1. a forward pass without gradients finds each example's first spike t_sp, halting when all
 *    have spiked (tfjs's gradient functions are synchronous and webgpu in Deno has no
 *    synchronous readback, so the taped pass cannot discover t_sp as it goes);
 * 2. a taped pass runs the batch sorted by t_sp, latest first, over steps 0..max t_sp; at step t
 *    only the examples with t_sp >= t are computed (a prefix of the sorted batch, rounded up to
 *    a bucket size), and each example's loss `L - βH` is taken at its own t_sp through a mask;
 * 3. Adam, with optional clipping of the global L2 norm of the gradients.
 * On cpu and wasm a synchronous readback costs ~0.02 ms, so 1 and 2 are one taped pass
 * (`singlePassLoss`) that finds the spikes as it goes; tests check both give equal results.
 * Gradients reach only steps <= t_sp of each example: nothing after it enters its loss.
 *
 * Here: fit() and its validation. Step 1 is lib/rc/halting.ts, step 2 lib/rc/gradients.ts, the
 * clipping of step 3 lib/rc/clipping.ts; a path's training steps are a `StepRunner`
 * (lib/rc/runner.ts): the tfjs path's (lib/rc/tfjs_runner.ts) or an accelerator's trainer
 * (lib/rc/accelerators.ts).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { SequenceBatch } from "../data/batch.ts";
import { type RecurrentModel, writeVariables } from "../models/model.ts";
import { assertNoGpuErrors } from "../ops/webgpu_guards.ts";
import { registered } from "./accelerators.ts";
import type { FitState } from "./checkpoint.ts";
import { accuracyAtStep, spikeMetrics, spikeTimePercentiles } from "./evaluate.ts";
import { testTraces } from "./infer.ts";
import { choosePath, type PathChoice, type PathName } from "./paths.ts";
import type { StepRunner } from "./runner.ts";
import type { Readout } from "./spike.ts";
import { tfjsRunner } from "./tfjs_runner.ts";
import { type ComputeCounts, type CurvePoint, zeroCounts } from "./types.ts";

// The parts of a training step, each in its own module; exported here too, as before the split.
export { clipByGlobalNorm } from "./clipping.ts";
export { batchLoss, lossAndGrads, singlePassLoss } from "./gradients.ts";
export {
  hasSyncReadback,
  lossSteps,
  type LossStepsResult,
  type SpikeCheck,
  spikeCheckFor,
} from "./halting.ts";
export type { StepRunner } from "./runner.ts";

export type Method = "rc" | "eos";

export interface FitOptions {
  method: Method;
  readout: Readout;
  /** Spike threshold θ: where RC takes the loss, and the validation's RC-inference. */
  threshold: number;
  /** Weight of the entropy reward: loss = L - β H (from the first batch; see `betaSchedule`). */
  beta: number;
  /**
   * β switches during training (paper Fig. 3C: a lower β moves a model into the fast regime):
   * from batch `fromBatch` (0-based) on, β is `beta`. Entries in increasing `fromBatch`.
   */
  betaSchedule?: { fromBatch: number; beta: number }[];
  learningRate: number;
  numBatches: number;
  /** Training batch number `i` (the source decides the batch size). */
  trainBatch: (i: number) => SequenceBatch;
  validation: SequenceBatch;
  validateEvery: number;
  /** Clip the global L2 norm of the gradients to this value. */
  clipNorm?: number;
  /**
   * Which weights fit() leaves in the model: those of the best validation point by first-spike
   * accuracy (default) or by last-step accuracy, or the weights at the end of training ("last").
   */
  selectBy?: "spiking" | "eos" | "last";
  /** Readback spacing of the spike-finding pass. */
  checkEvery?: number;
  /**
   * RC only: find spikes inside the taped pass (needs a synchronous readback; default: on cpu
   * and wasm) instead of a separate forward pass first.
   */
  singlePass?: boolean;
  onValidation?: (point: CurvePoint) => void;
  /** Take this path rather than the chooser's pick (tests, benchmarks); fails if it cannot. */
  path?: PathName;
  /** Names the run in diagnostics (divergence). */
  runName?: string;
  /**
   * Early stopping: asked after each validation point (already in `curves`); a reason string
   * ends training there (e.g. App. B.4: spiking accuracy below the majority class's share).
   */
  stopWhen?: (point: CurvePoint, curves: readonly CurvePoint[]) => string | null;
  /**
   * Called after each validation point with fit()'s whole state (lib/rc/checkpoint.ts), to save
   * it; fit() waits for it. Resuming from the state with `resume` continues exactly.
   */
  checkpoint?: (state: FitState) => Promise<void>;
  /**
   * A state saved by `checkpoint`: fit() restores the weights, the optimizer, the curves and
   * the counts and goes on from its batch, as if never stopped (same path, same batches by index).
   */
  resume?: FitState;
}

export interface FitResult {
  curves: CurvePoint[];
  /** The validation point whose weights the model holds after fit(). */
  best: CurvePoint | null;
  compute: ComputeCounts;
  /** The path that trained the model, and why (lib/rc/paths.ts). */
  path: PathChoice;
  /** Set when `stopWhen` ended training early. */
  stopped?: { batch: number; reason: string };
  /** The batch fit() resumed from, when it did. */
  resumedFrom?: number;
}

/**
 * fit() stopped on a non-finite loss or gradient. The model holds the weights of the best
 * validation point before it (if any); `partial` has the curves and counts so far.
 */
export class DivergenceError extends Error {
  constructor(
    message: string,
    readonly batch: number,
    readonly partial: FitResult,
  ) {
    super(message);
    this.name = "DivergenceError";
  }
}

/** Validation metrics of the current weights (all T steps, no halting). */
export async function validate(
  model: RecurrentModel,
  batch: SequenceBatch,
  opts: { readout: Readout; threshold: number },
): Promise<
  Pick<
    CurvePoint,
    "spikingAccuracy" | "meanSpikeTime" | "spikeTimePercentiles" | "fractionFired" | "eosAccuracy"
  >
> {
  // In one pass, or in chunks where the model bounds a pass's batch (its scratch must fit).
  const traces = await testTraces(model, batch, opts.readout, batch.batchSize);
  const spike = spikeMetrics(traces, batch.y, opts.threshold);
  return {
    spikingAccuracy: spike.accuracy,
    meanSpikeTime: spike.meanSpikeTime,
    spikeTimePercentiles: spikeTimePercentiles(traces, opts.threshold),
    fractionFired: spike.fractionFired,
    eosAccuracy: accuracyAtStep(traces, batch.y, batch.numSteps - 1),
  };
}

/** The runner of the path the chooser picks for training `model` with `opts`. */
export function stepRunner(model: RecurrentModel, opts: FitOptions): StepRunner {
  const path = choosePath(model, {
    purpose: "train",
    readout: opts.readout,
    clipNorm: opts.clipNorm,
    force: opts.path,
  });
  // An accelerator's trainer, unless it has none for this fit (then tfjs's Adam over its gradients).
  return registered(path.name)?.trainer?.(model, opts, path) ?? tfjsRunner(model, opts, path);
}

/**
 * Trains `model` with Adam, validating every `validateEvery` batches, and leaves it holding the
 * weights of the best validation point. Stops with a {@link DivergenceError} on a non-finite loss
 * or gradient (seen at once on cpu and wasm, at the next validation point on webgpu).
 */
export async function fit(model: RecurrentModel, options: FitOptions): Promise<FitResult> {
  const schedule = checkedSchedule(options.betaSchedule);
  // The runners read β at every step, so the schedule changes it in this copy as training goes.
  const opts: FitOptions = { ...options };
  const selectBy = opts.selectBy ?? "spiking";
  const resume = opts.resume;
  const compute: ComputeCounts = resume ? { ...resume.compute } : zeroCounts();
  const curves: CurvePoint[] = resume ? [...resume.curves] : [];
  let best: CurvePoint | null = resume?.best ?? null;
  let bestWeights: tf.Tensor[] | null = null;
  let stopped = resume?.stopped;
  if (resume) {
    // The weights first: the accelerators copy them when their runner is made.
    writeVariables(model.variables, resume.weights);
    if (resume.bestWeights) {
      bestWeights = resume.bestWeights.map((w, k) => tf.tensor(w, model.variables[k].shape));
    }
  }
  const runner = stepRunner(model, opts);
  if (resume) {
    if (resume.path !== runner.path.name) {
      runner.dispose();
      tf.dispose(bestWeights ?? []);
      throw new Error(
        `fit${opts.runName ? ` (${opts.runName})` : ""}: the checkpoint was saved on the ` +
          `${resume.path} path, this machine trains on ${runner.path.name}; resuming elsewhere ` +
          "would not give the same numbers: delete the checkpoint to start again",
      );
    }
    await runner.importState(resume.optimizer);
  }
  const restoreBest = () => {
    if (bestWeights) model.variables.forEach((v, k) => v.assign(bestWeights![k]));
  };
  const diverged = (batch: number, what: string): DivergenceError => {
    restoreBest();
    const last = curves.at(-1);
    const where = last
      ? `the last finite validation point is batch ${last.batch} (spiking accuracy ${
        last.spikingAccuracy.toFixed(4)
      }, loss ${last.loss.toPrecision(4)})`
      : "there was no validation point before it";
    const kept = best
      ? `the model holds the weights of batch ${best.batch}`
      : "the model's weights are not finite";
    return new DivergenceError(
      `fit${opts.runName ? ` (${opts.runName})` : ""}: non-finite ${what} at batch ${batch} of ` +
        `${opts.numBatches} on the ${runner.path.name} path; ${where}; ${kept}. ` +
        `Lower the learning rate or set clipNorm.`,
      batch,
      { curves, best, compute, path: runner.path },
    );
  };
  let intervalStart = resume?.batch ?? 0;
  try {
    for (let i = intervalStart; i < opts.numBatches && !stopped; i++) {
      opts.beta = betaAt(options.beta, schedule, i);
      const batch = opts.trainBatch(i);
      const started = performance.now();
      const bad = await runner.step(batch, compute);
      compute.wallSeconds += (performance.now() - started) / 1000;
      compute.eosSteps += batch.batchSize * batch.numSteps;
      compute.examples += batch.batchSize;
      if (bad) throw diverged(i + 1, bad);

      const last = i === opts.numBatches - 1;
      if ((i + 1) % opts.validateEvery !== 0 && !last) continue;
      const { meanLoss, nonFinite } = await runner.flush(compute);
      assertNoGpuErrors(`training batch ${i + 1}`);
      if (nonFinite) throw diverged(intervalStart + nonFinite.offset + 1, nonFinite.what);
      intervalStart = i + 1;
      const metrics = await validate(model, opts.validation, opts);
      const point: CurvePoint = {
        batch: i + 1,
        examples: compute.examples,
        loss: meanLoss,
        ...metrics,
        wallSeconds: compute.wallSeconds,
        ...(schedule.length ? { beta: opts.beta } : {}),
      };
      const score = (p: CurvePoint) => selectBy === "eos" ? p.eosAccuracy : p.spikingAccuracy;
      if (selectBy === "last") {
        best = point; // the model keeps its weights
      } else if (!best || score(point) > score(best)) {
        best = point;
        tf.dispose(bestWeights ?? []);
        bestWeights = model.variables.map((v) => tf.clone(v));
      }
      // Measured after the best-weights copy exists, so a flat count means no leak.
      point.numTensors = tf.memory().numTensors;
      point.tensorBytes = tf.memory().numBytes;
      point.rssBytes = Deno.memoryUsage().rss;
      curves.push(point);
      opts.onValidation?.(point);
      const reason = opts.stopWhen?.(point, curves);
      if (reason) stopped = { batch: i + 1, reason };
      if (opts.checkpoint) {
        await opts.checkpoint({
          batch: i + 1,
          curves: [...curves],
          best,
          compute: { ...compute },
          weights: await readArrays(model.variables),
          bestWeights: bestWeights ? await readArrays(bestWeights) : null,
          optimizer: await runner.exportState(),
          ...(stopped ? { stopped } : {}),
          path: runner.path.name,
        });
      }
    }
    assertNoGpuErrors("the last validation");
    restoreBest();
  } finally {
    tf.dispose(bestWeights ?? []);
    runner.dispose();
  }
  return {
    curves,
    best,
    compute,
    path: runner.path,
    ...(stopped ? { stopped } : {}),
    ...(resume ? { resumedFrom: resume.batch } : {}),
  };
}

/** Copies of the values of `tensors`. */
async function readArrays(tensors: readonly tf.Tensor[]): Promise<Float32Array[]> {
  return await Promise.all(tensors.map(async (t) => new Float32Array(await t.data())));
}

/** The β schedule, checked: integer batches, increasing, finite values. */
function checkedSchedule(
  schedule: FitOptions["betaSchedule"],
): { fromBatch: number; beta: number }[] {
  const list = schedule ?? [];
  list.forEach((e, k) => {
    if (!Number.isInteger(e.fromBatch) || e.fromBatch < 0) {
      throw new Error(
        `fit: betaSchedule[${k}].fromBatch must be an integer >= 0: current value is ${e.fromBatch}.`,
      );
    }
    if (k > 0 && e.fromBatch <= list[k - 1].fromBatch) {
      throw new Error(
        `fit: betaSchedule must be in increasing fromBatch: entry ${k} (${e.fromBatch}) follows ` +
          `${list[k - 1].fromBatch}.`,
      );
    }
    if (!Number.isFinite(e.beta)) {
      throw new Error(`fit: betaSchedule[${k}].beta must be finite: current value is ${e.beta}.`);
    }
  });
  return list;
}

/** β in force at batch `i` (0-based). */
export function betaAt(
  initial: number,
  schedule: readonly { fromBatch: number; beta: number }[],
  i: number,
): number {
  let beta = initial;
  for (const e of schedule) if (i >= e.fromBatch) beta = e.beta;
  return beta;
}
