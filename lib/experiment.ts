/**
 * What every experiment run shares: evaluating a trained model on a test set (traces once, any
 * threshold after), timing RC- and EOS-inference, checking the paper's targets, and assembling
 * the run record.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { environment } from "./backend.ts";
import type { RecurrentModel } from "./models/model.ts";
import { accuracyAtStep, spikeMetrics } from "./rc/evaluate.ts";
import { firstSpikes, type Traces } from "./rc/spike.ts";
import type { SequenceBatch } from "./data/batch.ts";
import type { Rng } from "./random.ts";
import type { FitResult, Method } from "./rc/train.ts";
import type { ComputeCounts, CurvePoint, PairedTiming } from "./rc/types.ts";
import type { ExperimentInfo } from "./experiments/declaration.ts";
import type { FigureSpec, Profile, RunRecord, TargetCheck, ThresholdPoint } from "./results.ts";
import { statusFromChecks } from "./results.ts";

/** Thresholds of the trade-off curves (Fig. 5 style). */
export const CURVE_THRESHOLDS = [0.55, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99, 0.999];

/** RC-inference on `traces` at each threshold. */
export function thresholdCurve(
  traces: Traces,
  labels: Int32Array,
  thresholds = CURVE_THRESHOLDS,
): ThresholdPoint[] {
  return thresholds.map((threshold) => ({ threshold, ...spikeMetrics(traces, labels, threshold) }));
}

export { check, missingBaseline, notMeasured } from "./experiments/_checks.ts";

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

/**
 * A bar chart's two series of where first spikes fall (1-based steps over `[1, T]`): the examples
 * that fired, and those that did not (counted at the last step).
 */
export function firstSpikeSeries(
  steps: Int32Array,
  fired: Uint8Array,
  T: number,
): { label: string; x: number[]; y: number[] }[] {
  const of = (want: boolean) =>
    Array.from(steps).filter((_, b) => Boolean(fired[b]) === want).map((s) => s + 1);
  return [
    { label: "fired", ...histogram(of(true), 1, T) },
    { label: "no spike", ...histogram(of(false), 1, T) },
  ];
}

/** A training curve as a line series: `y` of each validation point against examples seen. */
export function trainingSeries(
  label: string,
  points: readonly CurvePoint[],
  y: (p: CurvePoint) => number,
): { label: string; x: number[]; y: number[] } {
  return { label, x: points.map((p) => p.examples), y: points.map(y) };
}

/**
 * Memory through training, as run extras: live tensors at the first and last validation (flat
 * counts mean no leak) and, with `rss`, the run's peak resident memory. None without validations.
 */
export function trainingMemory(
  curves: readonly CurvePoint[],
  { rss = true } = {},
): Record<string, number> {
  if (curves.length === 0) return {};
  const out: Record<string, number> = {
    liveTensorsFirstValidation: curves[0].numTensors ?? NaN,
    liveTensorsLastValidation: curves[curves.length - 1].numTensors ?? NaN,
  };
  if (rss) out.peakRssMiB = Math.max(...curves.map((p) => p.rssBytes ?? 0)) / 2 ** 20;
  return out;
}

/** A point of a test accuracy against mean first-spike step trade-off over θ. */
export type TradeoffPoint = Pick<ThresholdPoint, "threshold" | "accuracy" | "meanSpikeTime">;

/**
 * The trade-off points a finished run recorded in its extras (`accuracyAtTheta<θ>` and
 * `spikeTimeAtTheta<θ>`) at `thresholds`, in their order; θ it did not record are left out.
 */
export function recordedTradeoff(r: RunRecord, thresholds: readonly number[]): TradeoffPoint[] {
  return thresholds.map((threshold) => ({
    threshold,
    accuracy: r.metrics.extra?.[`accuracyAtTheta${threshold}`] as number,
    meanSpikeTime: r.metrics.extra?.[`spikeTimeAtTheta${threshold}`] as number,
  })).filter((p) => Number.isFinite(p.accuracy) && Number.isFinite(p.meanSpikeTime));
}

/**
 * A scatter of test accuracy (%) against mean first-spike step over θ (paper Figs. 6B, 10): a
 * series per model, one point per θ.
 */
export function tradeoffFigure(
  head: Pick<FigureSpec, "paperFigure" | "caption" | "title">,
  series: { label: string; points: readonly TradeoffPoint[] }[],
): FigureSpec {
  return {
    ...head,
    kind: "scatter",
    xLabel: "mean first-spike step (test)",
    yLabel: "test accuracy (%)",
    series: series.map(({ label, points }) => ({
      label,
      x: points.map((p) => p.meanSpikeTime),
      y: points.map((p) => 100 * p.accuracy),
    })),
  };
}

/**
 * `perClass` example indices of each class 1 then 0 (as labelled in `labels`), in the order a
 * seeded shuffle of all examples puts them: a fixed sample for a given `rng` state. A class with
 * fewer examples gives all it has.
 */
export function sampleByClass(labels: Int32Array, perClass: number, rng: Rng): number[] {
  const order = Array.from(labels, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return [1, 0].flatMap((c) => order.filter((b) => labels[b] === c).slice(0, perClass));
}

const sign = (label: number) => label === 1 ? "+" : "−";

/**
 * A spike raster (paper Fig. 1B-G) of a binary-readout run: one row per example of `rows` (test
 * indices), a column per step; `inputs` the input (feature 0), `z` the readout's probability of
 * the positive class at every step (4 decimals; the report colours it white at 0.5, full colour
 * at 0 and 1), the first spike at `threshold` outlined (`rowMarks`, null where none) and the steps
 * after it grey (`rowCutoffs`). Each row's label gives its class, the first spike's step (1-based)
 * and label, and, where the task defines one, the earliest step at which the answer is known.
 */
export function spikeRaster(p: {
  test: SequenceBatch;
  traces: Traces;
  threshold: number;
  rows: readonly number[];
  paperFigure: string;
  title: string;
  caption: string;
}): FigureSpec {
  const { test, traces, rows } = p;
  const { numSteps: T, batchSize: B, numFeatures: F } = test;
  if (traces.batchSize !== B || traces.numSteps !== T) {
    throw new Error(
      `spikeRaster: traces (${traces.numSteps} steps × ${traces.batchSize}) and test set ` +
        `(${T} × ${B}) differ.`,
    );
  }
  const { steps, fired } = firstSpikes(traces, p.threshold);
  const probability = (t: number, b: number) => {
    const c = traces.confidence[t * B + b];
    if (!Number.isFinite(c)) return null;
    const q = traces.label[t * B + b] === 1 ? c : 1 - c;
    return Math.round(q * 1e4) / 1e4;
  };
  const steps1 = (b: number) => steps[b] + 1;
  return {
    paperFigure: p.paperFigure,
    title: p.title,
    kind: "heatmap",
    xLabel: "time step",
    yLabel: "test sequence: label, first spike",
    series: [],
    caption: p.caption,
    z: rows.map((b) => Array.from({ length: T }, (_, t) => probability(t, b))),
    inputs: rows.map((b) => Array.from({ length: T }, (_, t) => test.x[(t * B + b) * F])),
    rowCutoffs: rows.map((b) => steps[b]),
    rowMarks: rows.map((b) => fired[b] ? steps[b] : null),
    rowLabels: rows.map((b) =>
      `label ${sign(test.y[b])}, ${
        fired[b] ? `spike ${sign(traces.label[steps[b] * B + b])} at ${steps1(b)}` : "no spike"
      }${test.earliest ? ` (earliest ${test.earliest[b] + 1})` : ""}`
    ),
    scale: { centre: 0.5, max: 0.5 },
  };
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

/**
 * The run a record is of: its declaration (the experiment's ID and targets), context, config
 * and trained model. {@link assembleRecord} derives from it what every run's record names the
 * same way: the run's identity, its threshold, the model's FLOPs and the target's description.
 */
export interface RecordSource {
  info: Pick<ExperimentInfo, "id" | "targets">;
  ctx: { run: string; baseline?: string; profile: Profile; configHash: string };
  config: { method: Method; seed: number; threshold: number };
  model: RecurrentModel;
  startedAt: string;
}

/** What a run measured and says of itself: the rest of its record. */
export interface RecordParts {
  title: string;
  data: RunRecord["data"];
  fit: FitResult;
  inference: ComputeCounts;
  paired?: { train: PairedTiming; inference: PairedTiming };
  traces: Traces;
  labels: Int32Array;
  extra: Record<string, number>;
  checks: TargetCheck[];
  deviations: string[];
  figures: FigureSpec[];
}

/** The run record's label of the path that trained the model (lib/rc/paths.ts). */
function engineLabel(path: FitResult["path"]): "cpu engine" | "webgpu engine" | "tfjs" {
  return path.name === "cpu-engine"
    ? "cpu engine"
    : path.name === "webgpu-engine"
    ? "webgpu engine"
    : "tfjs";
}

/**
 * Assembles the record of run `s` from what it measured (`p`), its test traces read at the run's
 * threshold; status is `met` when every check is met.
 */
export async function assembleRecord(s: RecordSource, p: RecordParts): Promise<RunRecord> {
  const { ctx, config } = s;
  const env = {
    ...await environment(),
    engine: engineLabel(p.fit.path),
    path: p.fit.path.name,
    pathReason: p.fit.path.reason,
  };
  const threshold = config.threshold;
  const spike = spikeMetrics(p.traces, p.labels, threshold);
  return {
    schema: 1,
    experiment: s.info.id,
    run: ctx.run,
    method: config.method,
    // An EOS run has no baseline (only RC runs declare one).
    ...(ctx.baseline ? { baseline: ctx.baseline } : {}),
    title: p.title,
    profile: ctx.profile,
    config: { ...config },
    configHash: ctx.configHash,
    seed: config.seed,
    data: p.data,
    environment: env,
    status: statusFromChecks(p.checks),
    startedAt: s.startedAt,
    finishedAt: new Date().toISOString(),
    target: { description: s.info.targets![config.method].description, checks: p.checks },
    deviations: [...commonDeviations(env, ctx.profile, p.deviations.length > 0), ...p.deviations],
    metrics: {
      threshold,
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
      flopsPerExampleStep: s.model.flopsPerStep(),
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
