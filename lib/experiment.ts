/**
 * What every experiment run shares: evaluating a trained model on a test set (traces once, any
 * threshold after), timing RC- and EOS-inference, checking the paper's targets, and assembling
 * the run record.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { environment } from "./backend.ts";
import { selectRows, type SequenceBatch } from "./data/batch.ts";
import type { RecurrentModel } from "./models/model.ts";
import { nativeAvailable } from "./accel/cpu_engine.ts";
import { accuracyAtStep, spikeMetrics } from "./rc/evaluate.ts";
import { gpuEngineAvailable } from "./accel/gpu_fit.ts";
import { traceBatch } from "./rc/infer.ts";
import type { Readout, Traces } from "./rc/spike.ts";
import { type FitResult, lossAndGrads, type Method } from "./rc/train.ts";
import { type ComputeCounts, type PairedTiming, zeroCounts } from "./rc/types.ts";
import type {
  ExperimentId,
  FigureSpec,
  Profile,
  RunRecord,
  TargetCheck,
  ThresholdPoint,
  Tolerance,
} from "./results.ts";

/** Thresholds of the trade-off curves (Fig. 5 style). */
export const CURVE_THRESHOLDS = [0.55, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99, 0.999];

/** Runs the model over `test` in chunks, all steps, and joins the traces. */
export async function testTraces(
  model: RecurrentModel,
  test: SequenceBatch,
  readout: Readout,
  chunk = 1000,
): Promise<Traces> {
  const T = test.numSteps;
  const B = test.batchSize;
  const confidence = new Float32Array(T * B);
  const label = new Int32Array(T * B);
  for (let start = 0; start < B; start += chunk) {
    const rows = Int32Array.from({ length: Math.min(chunk, B - start) }, (_, i) => start + i);
    const { traces } = await traceBatch(model, selectRows(test, rows), { readout });
    for (let t = 0; t < T; t++) {
      for (let r = 0; r < rows.length; r++) {
        confidence[t * B + start + r] = traces.confidence[t * rows.length + r];
        label[t * B + start + r] = traces.label[t * rows.length + r];
      }
    }
  }
  return { numSteps: T, batchSize: B, confidence, label };
}

/** RC-inference on `traces` at each threshold. */
export function thresholdCurve(
  traces: Traces,
  labels: Int32Array,
  thresholds = CURVE_THRESHOLDS,
): ThresholdPoint[] {
  return thresholds.map((threshold) => ({ threshold, ...spikeMetrics(traces, labels, threshold) }));
}

/**
 * Measured inference over `test` in batches of `batchSize`: RC-inference halts at the first
 * spikes; EOS-inference runs every step. Both read traces back the same way.
 */
export async function timeInference(
  model: RecurrentModel,
  test: SequenceBatch,
  opts: { method: Method; readout: Readout; threshold: number; batchSize: number },
): Promise<ComputeCounts> {
  const T = test.numSteps;
  const counts: ComputeCounts = zeroCounts();
  const full = Math.floor(test.batchSize / opts.batchSize) * opts.batchSize;
  for (let start = 0; start < full; start += opts.batchSize) {
    const rows = Int32Array.from({ length: opts.batchSize }, (_, i) => start + i);
    const batch = selectRows(test, rows);
    const began = performance.now();
    const { traces, stepsComputed } = await traceBatch(model, batch, {
      readout: opts.readout,
      haltThreshold: opts.method === "rc" ? opts.threshold : undefined,
    });
    counts.wallSeconds += (performance.now() - began) / 1000;
    counts.forwardSteps += stepsComputed;
    counts.forwardStepsNeeded += opts.method === "rc"
      ? spikeMetrics(traces, batch.y, opts.threshold).meanSpikeTime * batch.batchSize
      : batch.batchSize * T;
    counts.eosSteps += batch.batchSize * T;
    counts.examples += batch.batchSize;
  }
  counts.flops = counts.forwardSteps * model.flopsPerStep();
  return counts;
}

/**
 * RC against EOS on `model` as it is (trained), over the same `batches`, interleaved batch by
 * batch with the order alternating: a training step (loss and gradients; the optimizer's update,
 * the same for both, is left out) and inference (RC halting at the first spikes, EOS all steps).
 * One untimed warm-up of each first.
 */
export async function pairedTiming(
  model: RecurrentModel,
  batches: SequenceBatch[],
  opts: { readout: Readout; threshold: number; beta: number },
): Promise<{ train: PairedTiming; inference: PairedTiming }> {
  const empty = (what: string): PairedTiming => ({
    batches: batches.length,
    batchSize: batches[0]?.batchSize ?? 0,
    rcSeconds: 0,
    eosSeconds: 0,
    rcSteps: 0,
    eosSteps: 0,
    what,
  });
  const train = empty(
    "one training step per batch (forward, backward; Adam's update left out), RC then EOS or EOS then RC, alternating",
  );
  const inference = empty(
    "inference per batch: RC halting at the first spikes against EOS running every step, alternating",
  );
  const step = async (method: Method, batch: SequenceBatch, timed: boolean) => {
    const began = performance.now();
    const r = await lossAndGrads(model, batch, { ...opts, method });
    await r.value.data();
    const seconds = (performance.now() - began) / 1000;
    tf.dispose([r.value, ...Object.values(r.grads)]);
    if (!timed) return;
    const needed = r.steps.reduce((s, t) => s + t + 1, 0);
    if (method === "rc") (train.rcSeconds += seconds), (train.rcSteps += needed);
    else (train.eosSeconds += seconds), (train.eosSteps += needed);
  };
  const infer = async (method: Method, batch: SequenceBatch, timed: boolean) => {
    const began = performance.now();
    const { stepsComputed } = await traceBatch(model, batch, {
      readout: opts.readout,
      haltThreshold: method === "rc" ? opts.threshold : undefined,
    });
    const seconds = (performance.now() - began) / 1000;
    if (!timed) return;
    if (method === "rc") (inference.rcSeconds += seconds), (inference.rcSteps += stepsComputed);
    else (inference.eosSeconds += seconds), (inference.eosSteps += stepsComputed);
  };
  if (batches.length === 0) return { train, inference };
  for (const method of ["rc", "eos"] as const) {
    await step(method, batches[0], false);
    await infer(method, batches[0], false);
  }
  for (const [k, batch] of batches.entries()) {
    const order: Method[] = k % 2 === 0 ? ["rc", "eos"] : ["eos", "rc"];
    for (const method of order) await step(method, batch, true);
    for (const method of order) await infer(method, batch, true);
  }
  return { train, inference };
}

/** A target check: `measured` against the paper's value within `tolerance`. */
export function check(
  name: string,
  paper: number,
  measured: number | null,
  tolerance: Tolerance,
  unit: TargetCheck["unit"],
): TargetCheck {
  let met = false;
  if (measured !== null && Number.isFinite(measured)) {
    if (tolerance.kind === "abs") met = Math.abs(measured - paper) <= tolerance.value;
    else if (tolerance.kind === "atLeast") met = measured >= tolerance.value;
    else met = measured <= tolerance.value;
  }
  return { name, paper, measured, tolerance, met, unit };
}

/** A histogram of integer values as a bar-chart series over `[lo, hi]`. */
export function histogram(
  values: ArrayLike<number>,
  lo: number,
  hi: number,
): { x: number[]; y: number[] } {
  const x = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  const y = new Array(x.length).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = Math.round(values[i]);
    if (v >= lo && v <= hi) y[v - lo]++;
  }
  return { x, y };
}

/** Deviations every run shares: backend/adapter, and the profile when the run lists reductions. */
export function commonDeviations(
  env: RunRecord["environment"],
  profile: Profile,
  sizesReduced: boolean,
): string[] {
  const out: string[] = [];
  if (profile !== "paper" && sizesReduced) {
    out.push(`profile "${profile}": smaller than the paper's protocol, as listed here`);
  }
  if (env.backend === "webgpu" && env.adapter?.isFallbackAdapter) {
    out.push(
      `software WebGPU adapter (${env.adapter.description}): timings are not those of a GPU`,
    );
  }
  if (env.backend === "wasm" || env.backend === "cpu") {
    out.push(
      `tfjs ${env.backend} backend on ${env.cpuCount} CPU cores: timings are not those of a GPU`,
    );
  }
  return out;
}

export interface RecordParts {
  experiment: ExperimentId;
  run: string;
  title: string;
  method: Method;
  baseline?: string;
  profile: Profile;
  config: Record<string, unknown>;
  configHash: string;
  seed: number;
  data: RunRecord["data"];
  startedAt: string;
  fit: FitResult;
  inference: ComputeCounts;
  flopsPerExampleStep: number;
  paired?: { train: PairedTiming; inference: PairedTiming };
  threshold: number;
  traces: Traces;
  labels: Int32Array;
  extra: Record<string, number>;
  checks: TargetCheck[];
  targetDescription: string;
  deviations: string[];
  figures: FigureSpec[];
}

/** What runs an `Lstm` (with its default fused cell) on the current backend. */
function engineInUse(): "cpu engine" | "webgpu engine" | "tfjs" {
  return nativeAvailable() ? "cpu engine" : gpuEngineAvailable() ? "webgpu engine" : "tfjs";
}

/** Assembles a run record; status is `met` when every check is met. */
export async function assembleRecord(p: RecordParts): Promise<RunRecord> {
  const env = { ...await environment(), engine: engineInUse() };
  const spike = spikeMetrics(p.traces, p.labels, p.threshold);
  return {
    schema: 1,
    experiment: p.experiment,
    run: p.run,
    method: p.method,
    ...(p.baseline ? { baseline: p.baseline } : {}),
    title: p.title,
    profile: p.profile,
    config: p.config,
    configHash: p.configHash,
    seed: p.seed,
    data: p.data,
    environment: env,
    status: p.checks.every((c) => c.met) ? "met" : "missed",
    startedAt: p.startedAt,
    finishedAt: new Date().toISOString(),
    target: { description: p.targetDescription, checks: p.checks },
    deviations: [...commonDeviations(env, p.profile, p.deviations.length > 0), ...p.deviations],
    metrics: {
      threshold: p.threshold,
      testAccuracy: spike.accuracy,
      meanSpikeTime: spike.meanSpikeTime,
      fractionFired: spike.fractionFired,
      eosAccuracy: accuracyAtStep(p.traces, p.labels, p.traces.numSteps - 1),
      numSteps: p.traces.numSteps,
      thresholdCurve: thresholdCurve(p.traces, p.labels),
      extra: p.extra,
    },
    compute: {
      train: p.fit.compute,
      inference: p.inference,
      flopsPerExampleStep: p.flopsPerExampleStep,
      ...(p.paired ? { paired: p.paired } : {}),
    },
    curves: p.fit.curves,
    figures: p.figures,
  };
}

/** Frees a model's variables. */
export function disposeModel(model: RecurrentModel): void {
  tf.dispose(model.variables);
}
