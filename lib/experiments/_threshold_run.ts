/**
 * The run code of App. C (Fig. 7): a 2-sequence RC run (`_toy_run.ts`) at one θ_train, extended
 * with its test accuracy and mean spike time at every θ_test; the run of the last θ_train draws
 * Fig. 7 over every finished run and measures how far the curves lie apart.
 * @module
 */
import { thresholdCurve } from "../experiment.ts";
import { type FigureSpec, readRunFile, type RunRecord } from "../results.ts";
import type { RunContext } from "./declaration.ts";
import type { ToyConfig } from "./_toy.ts";
import { runToy, type ToyExtension } from "./_toy_run.ts";
import {
  HIGH_THRESHOLD,
  TEST_THRESHOLDS,
  thetaRunName,
  THRESHOLD_TRAINING,
  TRAIN_THRESHOLDS,
} from "./threshold_training.ts";

/** One point of Fig. 7: the model trained at θ_train, tested at θ_test. */
export interface GridPoint {
  trainTheta: number;
  testTheta: number;
  accuracy: number;
  /** Mean number of steps consumed (1-based), as `meanSpikeTime` everywhere. */
  meanSpikeTime: number;
}

/** A curve point: x mean spike time, y accuracy. */
export interface XY {
  x: number;
  y: number;
}

/** The run-record extras of one model's test at every θ_test. */
export function thetaExtras(
  points: { threshold: number; accuracy: number; meanSpikeTime: number }[],
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of points) {
    out[`accuracyAtTheta${p.threshold}`] = p.accuracy;
    out[`spikeTimeAtTheta${p.threshold}`] = p.meanSpikeTime;
  }
  return out;
}

/**
 * The Fig. 7 grid from finished runs' extras: for each declared θ_train with a run, one point per
 * declared θ_test, in declared order. Runs of other θ and extras of other θ_test are ignored; a
 * run missing a θ_test's numbers is an error (it was made by other code).
 */
export function fig7Grid(
  runs: { trainTheta: number; extra: Record<string, number> }[],
): GridPoint[] {
  const out: GridPoint[] = [];
  for (const trainTheta of TRAIN_THRESHOLDS) {
    const run = runs.find((r) => r.trainTheta === trainTheta);
    if (!run) continue;
    for (const testTheta of TEST_THRESHOLDS) {
      const accuracy = run.extra[`accuracyAtTheta${testTheta}`];
      const meanSpikeTime = run.extra[`spikeTimeAtTheta${testTheta}`];
      if (!Number.isFinite(accuracy) || !Number.isFinite(meanSpikeTime)) {
        throw new Error(
          `Fig. 7: the run of θ_train ${trainTheta} has no metrics.extra.accuracyAtTheta` +
            `${testTheta} / spikeTimeAtTheta${testTheta}; re-run it (deno task train ` +
            `--experiment threshold-training --run ${thetaRunName(trainTheta)} --force)`,
        );
      }
      out.push({ trainTheta, testTheta, accuracy, meanSpikeTime });
    }
  }
  return out;
}

/** The curve of one θ_train in a grid, sorted by mean spike time. */
export function curveOf(grid: GridPoint[], trainTheta: number): XY[] {
  return grid.filter((p) => p.trainTheta === trainTheta)
    .map((p) => ({ x: p.meanSpikeTime, y: p.accuracy }))
    .sort((a, b) => a.x - b.x);
}

/** `curve` (sorted by x) at `x` by linear interpolation; `x` must lie within its range. */
export function interpolate(curve: XY[], x: number): number {
  if (!curve.length || x < curve[0].x || x > curve[curve.length - 1].x) {
    throw new Error(`interpolate: ${x} lies outside the curve's range`);
  }
  for (let i = 0; i + 1 < curve.length; i++) {
    const a = curve[i], b = curve[i + 1];
    if (x <= b.x) {
      return b.x === a.x ? Math.max(a.y, b.y) : a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x);
    }
  }
  return curve[curve.length - 1].y;
}

/**
 * The largest vertical gap between any two curves where their x ranges overlap, both linearly
 * interpolated: the maximum of a piecewise-linear difference lies at a knot of either curve, so
 * the knots in the overlap (and its ends) are all the points it needs. `compared` counts the pairs
 * that overlap, `disjoint` those that do not (no gap measured). `gap` is NaN when no pair overlaps.
 */
export function largestGap(curves: XY[][]): { gap: number; compared: number; disjoint: number } {
  let gap = NaN, compared = 0, disjoint = 0;
  for (let i = 0; i < curves.length; i++) {
    for (let j = i + 1; j < curves.length; j++) {
      const a = curves[i], b = curves[j];
      if (!a.length || !b.length) continue;
      const lo = Math.max(a[0].x, b[0].x), hi = Math.min(a[a.length - 1].x, b[b.length - 1].x);
      if (lo > hi) {
        disjoint++;
        continue;
      }
      compared++;
      const xs = [lo, hi, ...a.map((p) => p.x), ...b.map((p) => p.x)].filter((x) =>
        x >= lo && x <= hi
      );
      for (const x of xs) {
        const d = Math.abs(interpolate(a, x) - interpolate(b, x));
        if (!(d <= gap)) gap = d;
      }
    }
  }
  return { gap, compared, disjoint };
}

/** Fig. 7 as a chart: one curve per θ_train, a point per θ_test, accuracy in percent. */
export function fig7Figure(grid: GridPoint[], config: ToyConfig): FigureSpec {
  const trained = TRAIN_THRESHOLDS.filter((t) => grid.some((p) => p.trainTheta === t));
  return {
    paperFigure: "7",
    title:
      `Test accuracy against mean spike time: one curve per θ_train (LSTM-${config.hiddenSize}, ` +
      `${config.testSize.toLocaleString("en")} test sequences)`,
    kind: "line",
    xLabel: "mean first-spike step (test)",
    yLabel: "test accuracy (%)",
    series: trained.map((t) => {
      const c = curveOf(grid, t);
      return { label: `θ_train ${t}`, x: c.map((p) => p.x), y: c.map((p) => 100 * p.y) };
    }),
    caption: `${THRESHOLD_TRAINING.figures!.fig7.caption} Here the points of a curve are, from ` +
      `left to right, θ_test = ${TEST_THRESHOLDS.join(", ")} (a higher θ_test never spikes ` +
      "earlier).",
  };
}

/** What this run adds: the θ_test grid of its model; the last θ_train also Fig. 7 and its gap. */
export function thresholdExtension(): ToyExtension {
  return async ({ config, traces, labels, ctx }) => {
    const own = thetaExtras(thresholdCurve(traces, labels, [...TEST_THRESHOLDS]));
    const last = TRAIN_THRESHOLDS[TRAIN_THRESHOLDS.length - 1];
    const title = `RC-trained LSTM-${config.hiddenSize}, 2-sequence, θ_train = ${config.threshold}`;
    if (config.threshold !== last) return { extra: own, title };
    return { ...await gridFigure(config, ctx, own), title };
  };
}

/**
 * The finished run `name` of this experiment: from this process's runs, else its run file in the
 * run store (`--run` alone, or runs trained by other workers), else null.
 */
async function finishedRun(ctx: RunContext, name: string): Promise<RunRecord | null> {
  const here = ctx.finished.find((f) => f.run === name);
  if (here) return here.status === "failed" ? null : here;
  if (!ctx.workDir) return null;
  try {
    const { record } = await readRunFile(`${ctx.workDir}/${name}.json`);
    return record && record.status !== "failed" ? record : null;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

/** Fig. 7 over the finished runs of the same suffix, this one's extras `own` included. */
async function gridFigure(config: ToyConfig, ctx: RunContext, own: Record<string, number>) {
  const suffix = ctx.run.slice(thetaRunName(config.threshold).length);
  const runs: { trainTheta: number; extra: Record<string, number> }[] = [];
  for (const trainTheta of TRAIN_THRESHOLDS) {
    const name = thetaRunName(trainTheta) + suffix;
    if (name === ctx.run) {
      runs.push({ trainTheta, extra: own });
      continue;
    }
    const r = await finishedRun(ctx, name);
    if (r) runs.push({ trainTheta, extra: r.metrics.extra ?? {} });
  }
  const grid = fig7Grid(runs);
  const curves = (keep: (t: number) => boolean) =>
    TRAIN_THRESHOLDS.filter((t) => keep(t) && runs.some((r) => r.trainTheta === t))
      .map((t) => curveOf(grid, t));
  const all = largestGap(curves(() => true));
  const high = largestGap(curves((t) => t >= HIGH_THRESHOLD));
  const extra: Record<string, number> = {
    ...own,
    fig7Curves: runs.length,
    fig7SpreadAll: all.gap,
    fig7SpreadHigh: high.gap,
    fig7PairsCompared: all.compared,
    fig7PairsDisjoint: all.disjoint,
  };
  // Checked only over the whole grid: a partial one (some θ_train not run) says nothing.
  const complete = runs.length === TRAIN_THRESHOLDS.length && high.disjoint === 0;
  const measured: Record<string, number> = complete ? { fig7Spread: high.gap } : {};
  if (!complete) {
    ctx.log(
      `threshold-training/${ctx.run}: Fig. 7 over ${runs.length} of ${TRAIN_THRESHOLDS.length} ` +
        `θ_train runs${
          high.disjoint ? ` (${high.disjoint} pairs without common spike times)` : ""
        }; ` +
        "the spread is not checked",
    );
  }
  return { extra, measured, figures: [fig7Figure(grid, config)] };
}

/** Trains and evaluates the run of one θ_train. */
export async function runThreshold(config: ToyConfig, ctx: RunContext): Promise<RunRecord> {
  return await runToy(THRESHOLD_TRAINING, config, ctx, thresholdExtension());
}
