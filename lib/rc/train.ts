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
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { selectRows, type SequenceBatch } from "../data/batch.ts";
import { type Lstm, matMulT } from "../models/lstm.ts";
import { type RecurrentModel, writeVariables } from "../models/model.ts";
import { nativeLossAndGrads } from "../accel/cpu_engine.ts";
import { GpuTrainer } from "../accel/gpu_fit.ts";
import { CpuTrainer, cpuTrainerEnabled } from "../accel/cpu_trainer.ts";
import { accuracyAtStep, spikeMetrics, spikeTimePercentiles } from "./evaluate.ts";
import { bucketSize, gatherStep, shrinkRows, traceBatch } from "./infer.ts";
import { LossCollector } from "./loss.ts";
import { choosePath, type PathChoice, type PathName } from "./paths.ts";
import { confidenceAndLabel, firstSpikes, type Readout } from "./spike.ts";
import { type ComputeCounts, type CurvePoint, zeroCounts } from "./types.ts";
import { checkOptimizerState, type FitState, type OptimizerState } from "./checkpoint.ts";
import { assertNoGpuErrors } from "../ops/webgpu_guards.ts";

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

/** How the spike-finding pass reads its confidences back (tfjs path). */
export interface SpikeCheck {
  /** Steps computed per readback. */
  checkEvery: number;
  /**
   * Whether a readback is left in flight while the next chunk of steps is computed (its answer
   * is used one chunk later), rather than awaited before going on.
   */
  overlap: boolean;
}

/** What `lossSteps` found and what its spike-finding pass cost. */
export interface LossStepsResult {
  /** Where each example takes its loss. */
  steps: Int32Array;
  /** Example-steps of the spike-finding pass (bucket padding included; 0 for EOS). */
  stepsComputed: number;
  /** Readbacks of the spike-finding pass (tfjs path; 0 for EOS and on the engines' paths). */
  readbacks: number;
  /** Time steps the spike-finding pass ran before halting (0 for EOS). */
  stepsRun: number;
  /** The readback schedule used (tfjs path). */
  check?: SpikeCheck;
}

/**
 * A GPU readback's latency in Deno, the floor whatever the work (bench/README.md, "Why a GPU
 * readback costs ~11 ms in Deno": 11.4 ms on llvmpipe and on an H100).
 */
const READBACK_MS = 11;

/**
 * The readback schedule for a step that took `stepMs` (compute and one readback, full batch):
 * a step that costs several readbacks is checked after every step, waiting for the answer (a
 * step computed for an example that has already spiked costs more than the wait); a cheap one
 * is checked every ~11 ms of compute with the readback in flight while the next chunk runs.
 */
export function spikeCheckFor(stepMs: number, numSteps: number): SpikeCheck {
  if (stepMs >= 4 * READBACK_MS) return { checkEvery: 1, overlap: false };
  const compute = Math.max(stepMs - READBACK_MS, 0.25);
  return {
    checkEvery: Math.min(numSteps, Math.max(1, Math.ceil(READBACK_MS / compute))),
    overlap: true,
  };
}

/**
 * The step at which each example's loss is taken: first spike (RC) or last step (EOS).
 *
 * RC on the tfjs path runs the model forward without gradients, reading each chunk of steps'
 * confidences back, dropping spiked examples from the active batch (bucketed sizes) and halting
 * when every example has spiked. On cpu and wasm a readback is cheap: every step is checked.
 * On webgpu a readback waits ~11 ms (Deno), so the schedule (`spikeCheckFor`) follows from the
 * first step's measured cost unless `checkEvery` / `overlap` fix it. The first spikes are the
 * same under every schedule: an example's confidences do not depend on the other rows, and a
 * step computed after its spike does not move it.
 */
export async function lossSteps(
  model: RecurrentModel,
  batch: SequenceBatch,
  opts: Pick<FitOptions, "method" | "readout" | "threshold" | "checkEvery" | "path"> & {
    /** Leave each readback in flight while the next chunk runs (default: see above). */
    overlap?: boolean;
  },
): Promise<LossStepsResult> {
  const { numSteps: T, batchSize: B } = batch;
  if (opts.method === "eos") {
    return { steps: new Int32Array(B).fill(T - 1), stepsComputed: 0, readbacks: 0, stepsRun: 0 };
  }
  const path = choosePath(model, {
    purpose: "infer",
    readout: opts.readout,
    halting: true,
    force: opts.path,
  });
  if (path.name !== "tfjs") {
    const { traces, stepsComputed, stepsRun } = await traceBatch(model, batch, {
      readout: opts.readout,
      haltThreshold: opts.threshold,
      checkEvery: opts.checkEvery,
      path: opts.path,
    });
    return {
      steps: firstSpikes(traces, opts.threshold).steps,
      stepsComputed,
      readbacks: 0,
      stepsRun,
    };
  }
  return await haltingPass(model, batch, opts);
}

/** A chunk's confidences `[k, n]` on their way back, and the rows and steps they belong to. */
interface Pending {
  values: Promise<tf.TypedArray>;
  tensor: tf.Tensor;
  rows: Int32Array;
  start: number;
  count: number;
}

/** RC's spike-finding forward pass on the tfjs path (see `lossSteps`). */
async function haltingPass(
  model: RecurrentModel,
  batch: SequenceBatch,
  opts: Pick<FitOptions, "readout" | "threshold" | "checkEvery"> & { overlap?: boolean },
): Promise<LossStepsResult> {
  const { numSteps: T, batchSize: B, numFeatures: F } = batch;
  const threshold = opts.threshold;
  const gpu = !hasSyncReadback();
  // Fixed by the caller, or cheap readbacks (cpu, wasm): every step, awaited. Otherwise decided
  // after the first step.
  let check: SpikeCheck | null = opts.checkEvery !== undefined || opts.overlap !== undefined || !gpu
    ? {
      checkEvery: Math.max(1, opts.checkEvery ?? 1),
      overlap: opts.overlap ?? false,
    }
    : null;
  const steps = new Int32Array(B).fill(T - 1);
  const fired = new Uint8Array(B);
  let numFired = 0;
  let readbacks = 0;
  let stepsComputed = 0;
  let rows = Int32Array.from({ length: B }, (_, i) => i);
  let state = model.initialState(B);
  const inFlight: Pending[] = [];
  const settle = async (p: Pending) => {
    const values = await p.values;
    p.tensor.dispose();
    const n = p.rows.length;
    for (let k = 0; k < p.count; k++) {
      for (let r = 0; r < n; r++) {
        const b = p.rows[r];
        if (!fired[b] && values[k * n + r] >= threshold) {
          fired[b] = 1;
          steps[b] = p.start + k;
          numFired++;
        }
      }
    }
  };
  let t = 0;
  try {
    while (t < T && numFired < B) {
      ({ state, rows } = shrinkRows(state, rows, fired, bucketSize(B - numFired, B)));
      const began = performance.now();
      const start = t;
      const end = Math.min(T, t + (check?.checkEvery ?? 1));
      const confidences: tf.Tensor[] = [];
      for (; t < end; t++) {
        const input = tf.tensor2d(gatherStep(batch, t, rows), [rows.length, F]);
        const { state: next, logits } = model.step(state, input);
        tf.dispose([input, ...state]);
        state = next;
        const { confidence, label } = confidenceAndLabel(logits, opts.readout);
        confidences.push(confidence);
        tf.dispose([label, logits]);
        stepsComputed += rows.length;
      }
      const stacked = tf.stack(confidences); // [k, n]
      tf.dispose(confidences);
      inFlight.push({ values: stacked.data(), tensor: stacked, rows, start, count: end - start });
      readbacks++;
      // Overlapped: the newest readback stays in flight while the next chunk is computed.
      const keepInFlight = check?.overlap && t < T ? 1 : 0;
      while (inFlight.length > keepInFlight) await settle(inFlight.shift()!);
      check ??= spikeCheckFor(performance.now() - began, T);
    }
  } finally {
    // A chunk still in flight when all have spiked: its answer is not needed, but wait for it
    // (no readback outlives the call).
    for (const p of inFlight) await p.values.catch(() => {}).finally(() => p.tensor.dispose());
    tf.dispose(state);
  }
  return { steps, stepsComputed, readbacks, stepsRun: t, ...(check ? { check } : {}) };
}

/**
 * The batch loss, mean over examples of `L - βH` at each example's `steps[b]` (synchronous, so
 * it can run under `tf.variableGrads`). Returns the loss and the example-steps computed.
 */
export function batchLoss(
  model: RecurrentModel,
  batch: SequenceBatch,
  steps: Int32Array,
  opts: { readout: Readout; beta: number },
): { loss: tf.Scalar; stepsComputed: number } {
  const B = batch.batchSize;
  const order = Array.from(steps.keys()).sort((a, b) => steps[b] - steps[a] || a - b);
  const sorted = selectRows(batch, order);
  const sortedSteps = Int32Array.from(order, (i) => steps[i]);
  const numRun = sortedSteps[0] + 1;
  const mask = new Float32Array(numRun * B);
  const lossAt = new Uint8Array(numRun);
  for (let b = 0; b < B; b++) {
    mask[sortedSteps[b] * B + b] = 1;
    lossAt[sortedSteps[b]] = 1;
  }
  let stepsComputed = 0;
  const F = batch.numFeatures;
  const project = model.projectsInputs?.() === true;
  const loss = tf.tidy(() => {
    let state = model.initialState(B);
    let n = B;
    const losses = new LossCollector();
    let active = B;
    // Every step's input projection in one matmul, split into steps (one dispatch forward, one
    // concat backward), where the model offers it.
    const projected = project
      ? tf.split(
        model.projectInputs!(tf.tensor2d(sorted.x.subarray(0, numRun * B * F), [numRun * B, F])),
        numRun,
        0,
      ) as tf.Tensor2D[]
      : [];
    for (let t = 0; t < numRun; t++) {
      while (active > 0 && sortedSteps[active - 1] < t) active--;
      const size = bucketSize(active, B);
      if (size < n) {
        n = size;
        state = state.map((s) => s.slice(0, n));
      }
      // Inputs and masks come from the host: the active rows are a prefix, so a subarray.
      const out = project
        ? model.stepProjected!(state, n < B ? projected[t].slice(0, n) : projected[t])
        : model.step(state, tf.tensor2d(sorted.x.subarray(t * B * F, (t * B + n) * F), [n, F]));
      state = out.state;
      stepsComputed += n;
      if (!lossAt[t]) continue; // no example takes its loss at this step
      losses.add(out.logits, sorted.y.subarray(0, n), mask.subarray(t * B, t * B + n));
    }
    return tf.div(losses.sum(opts.readout, opts.beta), B) as tf.Scalar;
  });
  return { loss, stepsComputed };
}

/** Whether the current backend can read a tensor back synchronously (cpu and wasm can). */
export function hasSyncReadback(): boolean {
  return tf.getBackend() === "cpu" || tf.getBackend() === "wasm";
}

/**
 * RC's batch loss in one taped pass, for backends with a cheap synchronous readback: each step's
 * confidences are read back (~0.02 ms on cpu/wasm) so the pass itself finds every example's
 * first spike, takes its loss there and drops it from the active batch (bucketed sizes). Equal
 * to `lossSteps` followed by `batchLoss`, without the separate spike-finding forward pass.
 */
export function singlePassLoss(
  model: RecurrentModel,
  batch: SequenceBatch,
  opts: { readout: Readout; beta: number; threshold: number },
): { loss: tf.Scalar; steps: Int32Array; stepsComputed: number } {
  const { numSteps: T, batchSize: B, numFeatures: F } = batch;
  const steps = new Int32Array(B).fill(T - 1);
  const done = new Uint8Array(B);
  let numDone = 0;
  let stepsComputed = 0;
  const loss = tf.tidy(() => {
    let rows = Int32Array.from({ length: B }, (_, i) => i);
    let state = model.initialState(B);
    let ys = batch.y;
    const losses = new LossCollector();
    for (let t = 0; t < T && numDone < B; t++) {
      const n = rows.length;
      const input = tf.tensor2d(gatherStep(batch, t, rows), [n, F]);
      const out = model.step(state, input);
      state = out.state;
      stepsComputed += n;
      const confidence = confidenceAndLabel(out.logits, opts.readout).confidence.dataSync();
      const mask = new Float32Array(n);
      let spiking = 0;
      for (let r = 0; r < n; r++) {
        const b = rows[r];
        if (done[b] || (confidence[r] < opts.threshold && t < T - 1)) continue;
        mask[r] = 1;
        done[b] = 1;
        steps[b] = t;
        spiking++;
      }
      numDone += spiking;
      if (spiking > 0) losses.add(out.logits, ys, mask);
      const size = bucketSize(B - numDone, B);
      if (numDone < B && size < n) {
        // Unfinished rows first, then finished ones as padding up to the bucket size.
        const keep: number[] = [];
        for (let r = 0; r < n && keep.length < size; r++) if (!done[rows[r]]) keep.push(r);
        for (let r = 0; r < n && keep.length < size; r++) if (done[rows[r]]) keep.push(r);
        // A one-hot selection matmul rather than tf.gather: gather's gradient needs
        // UnsortedSegmentSum, which tfjs-wasm lacks; the matmul costs size * n * H, rarely.
        const select = new Float32Array(keep.length * n);
        keep.forEach((r, i) => select[i * n + r] = 1);
        const selection = tf.tensor2d(select, [keep.length, n]);
        // State of any rank: rows are the first axis.
        state = state.map((st) =>
          tf.reshape(
            matMulT(selection, tf.reshape(st, [n, -1]) as tf.Tensor2D),
            [keep.length, ...st.shape.slice(1)],
          )
        );
        rows = Int32Array.from(keep, (r) => rows[r]);
        ys = Int32Array.from(rows, (b) => batch.y[b]);
      }
    }
    return tf.div(losses.sum(opts.readout, opts.beta), B) as tf.Scalar;
  });
  return { loss, steps, stepsComputed };
}

/** One batch's loss and gradients, and the steps it took: everything of a training step but Adam. */
export async function lossAndGrads(
  model: RecurrentModel,
  batch: SequenceBatch,
  opts:
    & Pick<FitOptions, "method" | "readout" | "threshold" | "beta" | "checkEvery" | "singlePass">
    & {
      /** Loss steps given rather than found (benches: a fixed t_sp); `method` is then ignored. */
      steps?: Int32Array;
      /** Take this path rather than the chooser's pick. */
      path?: PathName;
    },
): Promise<{
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  /** Where each example's loss was taken. */
  steps: Int32Array;
  /** Example-steps of the separate spike-finding pass (0 when there is none). */
  spikeSteps: number;
  /** Example-steps of the taped pass. */
  taped: number;
  /** Readbacks of the separate spike-finding pass (0 when there is none). */
  readbacks: number;
  /** The path that computed them. */
  path: PathChoice;
}> {
  const path = choosePath(model, { purpose: "gradients", readout: opts.readout, force: opts.path });
  if (path.name === "cpu-engine") {
    // An LSTM with its fused cell on wasm with BLAS: no tfjs op per step.
    const r = nativeLossAndGrads(model as Lstm, batch, {
      readout: opts.readout,
      beta: opts.beta,
      ...(opts.steps
        ? { steps: opts.steps }
        : opts.method === "rc"
        ? { threshold: opts.threshold }
        : { steps: new Int32Array(batch.batchSize).fill(batch.numSteps - 1) }),
    });
    const grads: tf.NamedTensorMap = {};
    model.variables.forEach((v, k) => grads[v.name] = tf.tensor(r.grads[k], v.shape));
    return {
      value: tf.scalar(r.loss),
      grads,
      steps: r.steps,
      spikeSteps: 0,
      taped: r.stepsComputed,
      readbacks: 0,
      path,
    };
  }
  // RC on cpu/wasm: one taped pass finds the spikes itself. Otherwise (webgpu, EOS, given steps):
  // the loss steps first (a halting forward pass for RC), then the taped pass.
  const singlePass = !opts.steps && opts.method === "rc" && (opts.singlePass ?? hasSyncReadback());
  let steps: Int32Array;
  let spikeSteps = 0;
  let readbacks = 0;
  if (opts.steps) {
    steps = opts.steps;
  } else if (singlePass) {
    steps = new Int32Array(0);
  } else {
    ({ steps, stepsComputed: spikeSteps, readbacks } = await lossSteps(model, batch, {
      ...opts,
      path: "tfjs",
    }));
  }
  let taped = 0;
  const { value, grads } = tf.variableGrads(() => {
    if (singlePass) {
      const r = singlePassLoss(model, batch, opts);
      steps = r.steps;
      taped = r.stepsComputed;
      return r.loss;
    }
    const { loss, stepsComputed } = batchLoss(model, batch, steps, opts);
    taped = stepsComputed;
    return loss;
  }, model.variables);
  return { value, grads, steps, spikeSteps, taped, readbacks, path };
}

/** The global L2 norm of `grads` (a scalar tensor). */
function globalNorm(grads: tf.NamedTensorMap): tf.Scalar {
  return tf.tidy(() =>
    tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as tf.Scalar
  );
}

/** Scales `grads` in place so that their global L2 norm is at most `maxNorm`. */
export function clipByGlobalNorm(
  grads: tf.NamedTensorMap,
  maxNorm: number,
  /** The gradients' global norm, when the caller has it already. */
  norm?: tf.Scalar,
): void {
  const names = Object.keys(grads);
  const scale = tf.tidy(() =>
    tf.minimum(1, tf.div(maxNorm, tf.maximum(norm ?? globalNorm(grads), 1e-12)))
  );
  for (const k of names) {
    const old = grads[k];
    grads[k] = tf.mul(old, scale);
    old.dispose();
  }
  scale.dispose();
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
  const { traces } = await traceBatch(model, batch, { readout: opts.readout });
  const spike = spikeMetrics(traces, batch.y, opts.threshold);
  return {
    spikingAccuracy: spike.accuracy,
    meanSpikeTime: spike.meanSpikeTime,
    spikeTimePercentiles: spikeTimePercentiles(traces, opts.threshold),
    fractionFired: spike.fractionFired,
    eosAccuracy: accuracyAtStep(traces, batch.y, batch.numSteps - 1),
  };
}

/** A non-finite value seen in training: which batch (counted from the last flush) and what. */
interface NonFinite {
  offset: number;
  what: string;
}

/** One fit()'s training steps on one path, and the owner of the weights between validation points. */
export interface StepRunner {
  readonly path: PathChoice;
  /**
   * One batch: loss, gradients, the optimizer's update; adds what it computed to `compute`.
   * Returns what was non-finite where the path sees it at once (cpu, wasm), else null.
   */
  step(batch: SequenceBatch, compute: ComputeCounts): Promise<string | null>;
  /**
   * The mean loss of the steps since the last call and the first non-finite loss or gradient
   * among them; leaves the model's variables holding the current weights. Time spent waiting for
   * work still running counts as training.
   */
  flush(compute: ComputeCounts): Promise<{ meanLoss: number; nonFinite: NonFinite | null }>;
  /**
   * Waits for the work in flight (timing), without touching the model's variables; adds to
   * `compute` the example-steps that only the device knew (RC halting on the GPU).
   */
  settle(compute?: ComputeCounts): Promise<void>;
  /** The optimizer's state (after a flush). */
  exportState(): Promise<OptimizerState>;
  /** Restores the optimizer's state, before the first step. */
  importState(state: OptimizerState): Promise<void>;
  dispose(): void;
}

/** Where each example takes its loss in a training step: RC's threshold or the last step. */
function lossAt(opts: FitOptions, batch: SequenceBatch) {
  return opts.method === "rc"
    ? { readout: opts.readout, beta: opts.beta, threshold: opts.threshold }
    : {
      readout: opts.readout,
      beta: opts.beta,
      steps: new Int32Array(batch.batchSize).fill(batch.numSteps - 1),
    };
}

/** Adds one step's example-step counts to `compute` (backward at twice the forward's cost). */
function count(
  compute: ComputeCounts,
  flopsPerStep: number,
  steps: Int32Array,
  forward: number,
  backward: number,
): void {
  const needed = steps.reduce((s, t) => s + t + 1, 0);
  compute.forwardSteps += forward;
  compute.forwardStepsNeeded += needed;
  compute.backwardSteps += needed;
  compute.flops += flopsPerStep * (forward + 2 * backward);
}

/** Float32 running mean, as a float32 accumulator adds them in order. */
function meanOf(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum = Math.fround(sum + values[i]);
  return sum / values.length;
}

/**
 * The tfjs path (or the CPU engine's gradients, when its trainer is off) with tfjs's Adam and
 * optional clipping. Losses and gradient norms stay on the backend until the next flush.
 */
function tfjsRunner(model: RecurrentModel, opts: FitOptions, path: PathChoice): StepRunner {
  const optimizer = tf.train.adam(opts.learningRate);
  const flopsPerStep = model.flopsPerStep();
  let values: tf.Scalar[] = [];
  let norms: tf.Scalar[] = [];
  const read = async (list: tf.Scalar[]) => {
    if (!list.length) return new Float32Array(0);
    const stacked = tf.stack(list);
    const data = await stacked.data() as Float32Array;
    tf.dispose([stacked, ...list]);
    return data;
  };
  return {
    path,
    async step(batch, compute) {
      const r = await lossAndGrads(model, batch, {
        ...opts,
        path: path.name === "cpu-engine" ? "cpu-engine" : "tfjs",
      });
      const norm = globalNorm(r.grads); // kept for the divergence check, and used to clip
      norms.push(norm);
      if (opts.clipNorm !== undefined) clipByGlobalNorm(r.grads, opts.clipNorm, norm);
      optimizer.applyGradients(Object.entries(r.grads).map(([name, tensor]) => ({ name, tensor })));
      tf.dispose(r.grads);
      values.push(r.value);
      count(compute, flopsPerStep, r.steps, r.spikeSteps + r.taped, r.taped);
      return null;
    },
    async flush() {
      const losses = await read(values);
      const gradNorms = await read(norms);
      values = [];
      norms = [];
      let nonFinite: NonFinite | null = null;
      for (let k = 0; k < losses.length && !nonFinite; k++) {
        if (!Number.isFinite(losses[k])) nonFinite = { offset: k, what: `loss ${losses[k]}` };
        else if (!Number.isFinite(gradNorms[k])) {
          nonFinite = { offset: k, what: `gradient norm ${gradNorms[k]}` };
        }
      }
      return { meanLoss: meanOf(losses), nonFinite };
    },
    async settle() {
      if (values.length) await values[values.length - 1].data();
    },
    async exportState() {
      // [iterations, first moments..., second moments...] in model.variables order.
      const named = await optimizer.getWeights();
      const arrays = await Promise.all(
        named.slice(1).map(async (w) => new Float32Array(await w.tensor.data())),
      );
      const n = arrays.length / 2;
      // deno-lint-ignore no-explicit-any
      const acc = optimizer as any as { accBeta1: tf.Variable; accBeta2: tf.Variable };
      const [acc1, acc2] = [(await acc.accBeta1.data())[0], (await acc.accBeta2.data())[0]];
      tf.dispose(named[0].tensor);
      return { m: arrays.slice(0, n), v: arrays.slice(n), acc1, acc2, step: optimizer.iterations };
    },
    async importState(state) {
      checkOptimizerState(state, model.variables.map((v) => v.size), "fit (tfjs path)");
      const tensors = [
        ...state.m.map((a, k) => ({
          name: `m${k}`,
          tensor: tf.tensor(a, model.variables[k].shape),
        })),
        ...state.v.map((a, k) => ({
          name: `v${k}`,
          tensor: tf.tensor(a, model.variables[k].shape),
        })),
      ];
      const iterations = tf.scalar(state.step, "int32");
      await optimizer.setWeights([{ name: "iter", tensor: iterations }, ...tensors]);
      tf.dispose([iterations, ...tensors.map((t) => t.tensor)]);
      // setWeights forms β^(t+1) with pow(); the run had a running product: restore it exactly.
      // deno-lint-ignore no-explicit-any
      const acc = optimizer as any as { accBeta1: tf.Variable; accBeta2: tf.Variable };
      tf.tidy(() => {
        acc.accBeta1.assign(tf.scalar(state.acc1));
        acc.accBeta2.assign(tf.scalar(state.acc2));
      });
    },
    dispose() {
      tf.dispose([...values, ...norms]);
      optimizer.dispose();
    },
  };
}

/** The CPU engine with the trainer's Adam (bit for bit tfjs's): wasm with BLAS, an Lstm. */
function cpuRunner(model: Lstm, opts: FitOptions, path: PathChoice): StepRunner {
  const trainer = new CpuTrainer(model, opts.learningRate, { clipNorm: opts.clipNorm });
  const flopsPerStep = model.flopsPerStep();
  let losses: number[] = [];
  return {
    path,
    step(batch, compute) {
      const r = trainer.step(batch, lossAt(opts, batch));
      losses.push(r.loss);
      count(compute, flopsPerStep, r.steps, r.stepsComputed, r.stepsComputed);
      return Promise.resolve(
        !Number.isFinite(r.loss)
          ? `loss ${r.loss}`
          : !Number.isFinite(r.gradNorm)
          ? `gradient norm ${r.gradNorm}`
          : null,
      );
    },
    flush() {
      trainer.syncToModel();
      const meanLoss = meanOf(losses);
      losses = [];
      return Promise.resolve({ meanLoss, nonFinite: null });
    },
    settle: () => Promise.resolve(),
    exportState: () => Promise.resolve(trainer.exportState()),
    importState: (state) => Promise.resolve(trainer.importState(state)),
    dispose() {},
  };
}

/**
 * The WebGPU engine, which holds the weights and Adam on the GPU: webgpu, an Lstm. Nothing is
 * read back per batch. RC halts on the GPU: the example-steps it ran, and the workgroups
 * dispatched, come from the GPU's totals at each validation point; EOS counts what it encoded.
 */
function gpuRunner(model: Lstm, opts: FitOptions, path: PathChoice): StepRunner {
  let trainer: GpuTrainer | null = null;
  const flopsPerStep = model.flopsPerStep();
  let steps = 0;
  let haltedOnGpu = false;
  let pending: OptimizerState | null = null; // imported before the trainer exists
  return {
    path,
    async step(batch, compute) {
      trainer ??= await GpuTrainer.create(
        model,
        {
          T: batch.numSteps,
          B: batch.batchSize,
        },
        opts.learningRate,
        { clipNorm: opts.clipNorm },
      );
      if (pending) {
        trainer.importState(pending);
        pending = null;
      }
      const counts = await trainer.step(batch, lossAt(opts, batch));
      steps++;
      haltedOnGpu ||= counts.onGpu;
      compute.forwardSteps += counts.forwardExampleSteps;
      compute.backwardSteps += counts.backwardExampleSteps;
      compute.flops += flopsPerStep *
        (counts.forwardExampleSteps + 2 * counts.backwardExampleSteps);
      return null;
    },
    async flush(compute) {
      if (!trainer) throw new Error("fit: no training step before the first validation");
      const began = performance.now(); // waits for the GPU: the time counts as training
      const totals = await trainer.totals();
      await trainer.syncToModel();
      compute.wallSeconds += (performance.now() - began) / 1000;
      compute.forwardStepsNeeded += totals.neededSteps;
      if (haltedOnGpu) {
        // What the GPU ran, forward and backward: each example up to its loss step.
        compute.forwardSteps += totals.neededSteps;
        compute.backwardSteps += totals.neededSteps;
        compute.flops += flopsPerStep * 3 * totals.neededSteps;
      }
      compute.gpuWorkgroups = (compute.gpuWorkgroups ?? 0) + totals.workgroups;
      const meanLoss = totals.lossSum / totals.steps;
      // The GPU counts the steps whose loss or gradient norm was not finite (its loss sum can
      // stay finite when a step's values are NaN).
      const nonFinite = totals.nonFiniteSteps > 0
        ? { offset: totals.firstNonFiniteStep, what: "loss or gradient norm" }
        : !Number.isFinite(meanLoss)
        ? { offset: 0, what: `loss (sum over the last ${steps} batches ${totals.lossSum})` }
        : null;
      steps = 0;
      return { meanLoss, nonFinite };
    },
    async settle(compute) {
      const totals = await trainer?.totals();
      if (totals && compute && haltedOnGpu) {
        compute.forwardSteps += totals.neededSteps;
        compute.backwardSteps += totals.neededSteps;
        compute.forwardStepsNeeded += totals.neededSteps;
      }
    },
    async exportState() {
      if (!trainer) throw new Error("fit: no training step before the checkpoint");
      return await trainer.exportState();
    },
    importState(state) {
      pending = state;
      return Promise.resolve();
    },
    dispose() {
      trainer?.destroy();
    },
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
  if (path.name === "webgpu-engine") return gpuRunner(model as Lstm, opts, path);
  if (path.name === "cpu-engine" && cpuTrainerEnabled()) {
    return cpuRunner(model as Lstm, opts, path);
  }
  return tfjsRunner(model, opts, path);
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
