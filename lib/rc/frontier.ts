/**
 * Speed-accuracy trade-offs (paper Fig. 5): the composite frontier of many (model, θ) points, the
 * comparison of two frontiers, and per-step thresholds fitted on a validation set (the paper's
 * Sec. 3.4 names them as future work, after Tan et al. 2021).
 *
 * Plain numbers, no tfjs.
 * @module
 */
import type { Traces } from "./spike.ts";

/** One trained model read at one threshold: mean spike time (any unit) and accuracy. */
export interface TradeoffPoint {
  time: number;
  accuracy: number;
  /** What produced it, e.g. "rc β 0.2, θ 0.9". */
  label?: string;
}

/**
 * The composite frontier: the upper-left envelope of `points`, the points that no other point
 * beats on both speed and accuracy (earlier or equal time and higher or equal accuracy, one of
 * them strictly), sorted by time. Read as a staircase: at time x the best accuracy reachable with
 * a mean spike time of at most x is that of the last frontier point at or before x.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compositeFrontier } from "./frontier.ts";
 * const f = compositeFrontier([
 *   { time: 5, accuracy: 0.8 }, { time: 3, accuracy: 0.7 }, { time: 6, accuracy: 0.75 },
 * ]);
 * assert.deepEqual(f.map((p) => p.time), [3, 5]);
 * ```
 */
export function compositeFrontier(points: readonly TradeoffPoint[]): TradeoffPoint[] {
  const finite = points.filter((p) => Number.isFinite(p.time) && Number.isFinite(p.accuracy));
  const sorted = [...finite].sort((a, b) => a.time - b.time || b.accuracy - a.accuracy);
  const out: TradeoffPoint[] = [];
  for (const p of sorted) {
    const last = out.at(-1);
    if (last && p.accuracy <= last.accuracy) continue; // dominated (or a tie at a later time)
    if (last && p.time === last.time) continue; // same time, lower accuracy (sorted so)
    out.push(p);
  }
  return out;
}

/** The staircase of a frontier at `x`: the best accuracy with mean time ≤ x, or NaN before it. */
export function frontierAt(frontier: readonly TradeoffPoint[], x: number): number {
  let best = NaN;
  for (const p of frontier) {
    if (p.time <= x) best = p.accuracy;
    else break;
  }
  return best;
}

/** How frontier `a` compares with frontier `b` over the speeds both reach. */
export interface FrontierComparison {
  /** The common range of mean spike times: from where both have a point to `until`. */
  from: number;
  until: number;
  /** ∫ (a − b) dx over the range, in accuracy × time units (fraction × ms, say). */
  area: number;
  /** The area divided by the range's width: a's mean lead in accuracy (fraction). */
  meanGap: number;
  /** Share of the range's width where a is at least b. */
  shareAbove: number;
  /** Whether a ≥ b at every time in the range. */
  aboveEverywhere: boolean;
  /** The largest lead of b over a in the range (0 when a is never below). */
  worstDeficit: number;
}

/**
 * Compares two staircase frontiers on `[max(first times), until]` exactly (both are step
 * functions: the integral is a sum over the steps of either).
 */
export function compareFrontiers(
  a: readonly TradeoffPoint[],
  b: readonly TradeoffPoint[],
  until: number,
): FrontierComparison {
  if (!a.length || !b.length) {
    throw new Error("compareFrontiers: a frontier has no points (no finite trade-off point)");
  }
  const from = Math.max(a[0].time, b[0].time);
  if (!(until > from)) {
    throw new Error(
      `compareFrontiers: until (${until}) must be later than the first time both reach (${from})`,
    );
  }
  const edges = [...new Set([from, until, ...a.map((p) => p.time), ...b.map((p) => p.time)])]
    .filter((x) => x >= from && x <= until)
    .sort((x, y) => x - y);
  let area = 0;
  let above = 0;
  let worstDeficit = 0;
  for (let k = 0; k + 1 < edges.length; k++) {
    const width = edges[k + 1] - edges[k];
    const gap = frontierAt(a, edges[k]) - frontierAt(b, edges[k]);
    area += gap * width;
    if (gap >= 0) above += width;
    else worstDeficit = Math.max(worstDeficit, -gap);
  }
  const width = until - from;
  return {
    from,
    until,
    area,
    meanGap: area / width,
    shareAbove: above / width,
    aboveEverywhere: worstDeficit === 0,
    worstDeficit,
  };
}

/** Accuracy and mean spike step (1-based) of RC-inference with one threshold per step. */
export function perStepMetrics(
  traces: Traces,
  labels: Int32Array,
  thresholds: ArrayLike<number>,
): { accuracy: number; meanSpikeTime: number } {
  const { numSteps: T, batchSize: B, confidence, label } = traces;
  if (thresholds.length !== T) {
    throw new Error(`perStepMetrics: ${thresholds.length} thresholds for ${T} steps`);
  }
  let correct = 0;
  let steps = 0;
  for (let b = 0; b < B; b++) {
    let t = 0;
    while (t < T - 1 && confidence[t * B + b] < thresholds[t]) t++;
    if (label[t * B + b] === labels[b]) correct++;
    steps += t + 1;
  }
  return { accuracy: correct / B, meanSpikeTime: steps / B };
}

/** Options of {@link fitStepThresholds}. */
export interface StepThresholdOptions {
  /** Candidate values of each step's threshold. */
  grid: readonly number[];
  /** Starting threshold (every step). */
  start: number;
  /** Price of one step of mean spike time in accuracy: the fit maximises accuracy − λ · steps. */
  lambda: number;
  /** Passes over the steps (coordinate ascent). */
  sweeps?: number;
}

/**
 * Per-step thresholds θ_t fitted on validation traces by coordinate ascent: each step's threshold
 * in turn takes the grid value that maximises `accuracy − λ · meanSpikeTime` with the others
 * fixed, for `sweeps` passes (ties keep the current value, so the objective never decreases).
 */
export function fitStepThresholds(
  traces: Traces,
  labels: Int32Array,
  opts: StepThresholdOptions,
): { thresholds: Float64Array; accuracy: number; meanSpikeTime: number; objective: number } {
  const T = traces.numSteps;
  const thresholds = new Float64Array(T).fill(opts.start);
  const score = () => {
    const m = perStepMetrics(traces, labels, thresholds);
    return { ...m, objective: m.accuracy - opts.lambda * m.meanSpikeTime };
  };
  let current = score();
  for (let sweep = 0; sweep < (opts.sweeps ?? 3); sweep++) {
    let changed = false;
    for (let t = 0; t < T - 1; t++) { // the last step answers whatever the threshold
      const keep = thresholds[t];
      for (const v of opts.grid) {
        if (v === thresholds[t]) continue;
        const was = thresholds[t];
        thresholds[t] = v;
        const s = score();
        if (s.objective > current.objective) {
          current = s;
          changed = true;
        } else thresholds[t] = was;
      }
      if (thresholds[t] !== keep) changed = true;
    }
    if (!changed) break;
  }
  return { thresholds, ...current };
}
