/**
 * The short reading that opens each report section, generated from its runs: RC beside its EOS
 * baseline, the accuracy-vs-speed curves compared at equal speed, spike times through training,
 * model selection where the final weights differ, and the compute saved. Pure functions.
 * @module
 */

import type { RunRecord, ThresholdPoint } from "../results.ts";
import { count, isNum, pct, steps } from "./format.ts";
import { computeSavings, findBaseline } from "./savings.ts";
import { isFirstSeed, seedsOf, seedStats, selectionOf } from "./select.ts";

const pts = (x: number) => `${(x * 100).toFixed(1)}`;

/** Linear interpolation of accuracy at mean spike step `x` along a curve sorted by spike step. */
function accuracyAt(curve: ThresholdPoint[], x: number): number {
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1], b = curve[i];
    if (x >= a.meanSpikeTime && x <= b.meanSpikeTime) {
      const span = b.meanSpikeTime - a.meanSpikeTime;
      return span === 0 ? Math.max(a.accuracy, b.accuracy) : a.accuracy +
        (b.accuracy - a.accuracy) * (x - a.meanSpikeTime) / span;
    }
  }
  return NaN;
}

/** Two accuracy-vs-speed curves compared at equal mean spike step, where both are defined. */
export interface CurveGap {
  /** The range of mean spike steps both curves cover. */
  from: number;
  to: number;
  /** Largest |rc − eos| accuracy (fraction) at equal speed, and the step where it is. */
  maxGap: number;
  atStep: number;
  /** Mean of rc − eos over the range (positive: RC more accurate at equal speed). */
  meanDiff: number;
}

/**
 * Compares two threshold curves at equal mean spike step on 101 points of their common range;
 * null when they share no range.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { curveGap } from "./reading.ts";
 * const p = (meanSpikeTime: number, accuracy: number) => ({ threshold: 0, meanSpikeTime, accuracy, fractionFired: 1 });
 * const g = curveGap([p(0, 0.5), p(10, 0.9)], [p(2, 0.5), p(12, 0.9)])!;
 * assert.equal(g.from, 2);
 * assert.equal(g.to, 10);
 * assert.equal(g.maxGap.toFixed(4), "0.0800");
 * ```
 */
export function curveGap(rc: ThresholdPoint[], eos: ThresholdPoint[]): CurveGap | null {
  const clean = (c: ThresholdPoint[]) =>
    c.filter((p) => isNum(p.meanSpikeTime) && isNum(p.accuracy))
      .sort((a, b) => a.meanSpikeTime - b.meanSpikeTime);
  const a = clean(rc), b = clean(eos);
  if (a.length < 2 || b.length < 2) return null;
  const from = Math.max(a[0].meanSpikeTime, b[0].meanSpikeTime);
  const to = Math.min(a.at(-1)!.meanSpikeTime, b.at(-1)!.meanSpikeTime);
  if (!(to > from)) return null;
  let maxGap = 0, atStep = from, sum = 0, n = 0;
  for (let i = 0; i <= 100; i++) {
    const x = from + (to - from) * i / 100;
    const d = accuracyAt(a, x) - accuracyAt(b, x);
    if (!isNum(d)) continue;
    sum += d;
    n++;
    if (Math.abs(d) > maxGap) maxGap = Math.abs(d), atStep = x;
  }
  return n ? { from, to, maxGap, atStep, meanDiff: sum / n } : null;
}

/** Runs that finished (failed runs say nothing about the method). */
const done = (runs: RunRecord[]) => runs.filter((r) => r.status !== "failed");

/**
 * Finished runs, one per configuration: its first seed, which speaks for the others through
 * {@link overSeeds}; a reading line per seed would repeat itself.
 */
const firsts = (runs: RunRecord[]) => done(runs).filter((r) => isFirstSeed(r, done(runs)));

/** RC runs (first seeds) with their EOS baselines, best RC test accuracy first. */
function pairs(runs: RunRecord[]): { rc: RunRecord; eos: RunRecord | null }[] {
  return firsts(runs).filter((r) => r.method === "rc")
    .map((rc) => ({ rc, eos: findBaseline(rc, runs) }))
    .sort((x, y) => (y.rc.metrics?.testAccuracy ?? 0) - (x.rc.metrics?.testAccuracy ?? 0));
}

/**
 * `value` of `r` in words: the run's own with one seed, "mean ± sd" over its configuration's
 * finished seeds with two or more.
 */
function overSeeds(
  r: RunRecord,
  runs: RunRecord[],
  value: (x: RunRecord) => number | null | undefined,
  fmt: (x: number | null | undefined) => string,
): string {
  const st = seedStats(r, runs, value);
  return st && st.seeds >= 2 ? `${fmt(st.mean)} ± ${fmt(st.sd)}` : fmt(value(r));
}

/** The runs compared with RC-inference: accuracy and speed of RC against its EOS baseline. */
export function runsReading(runs: RunRecord[]): string[] {
  const out: string[] = [];
  const ps = pairs(runs);
  const rcCount = ps.length;
  for (const { rc, eos } of ps.filter((p) => p.eos).slice(0, 2)) {
    const m = rc.metrics, e = eos!.metrics;
    // The seeds' means where there are several, as the numbers beside it.
    const meanSteps = (r: RunRecord) =>
      seedStats(r, runs, (x) => x.metrics?.meanSpikeTime)?.mean ?? r.metrics?.meanSpikeTime;
    const [rcSteps, eosSteps] = [meanSteps(rc), meanSteps(eos!)];
    const saved = isNum(rcSteps) && isNum(eosSteps) ? 1 - rcSteps / eosSteps : null;
    const faster = saved === null
      ? ""
      : ` — ${(100 * Math.abs(saved)).toFixed(0)} % ${
        saved >= 0 ? "fewer" : "more"
      } steps than EOS with RC-inference`;
    const seeds = (r: RunRecord) => {
      const n = done(seedsOf(r, runs)).length;
      return n === 1 ? "1 seed" : `${n} seeds, mean ± sd`;
    };
    const acc = (r: RunRecord) => overSeeds(r, runs, (x) => x.metrics?.testAccuracy, pct);
    const at = (r: RunRecord) => overSeeds(r, runs, (x) => x.metrics?.meanSpikeTime, steps);
    out.push(
      `${rc.run} (${seeds(rc)}): RC-trained reaches ${acc(rc)} with RC-inference after ` +
        `${at(rc)} of ${m.numSteps} steps on average${faster}; its EOS baseline ` +
        `(${eos!.run}, ${seeds(eos!)}) reaches ${
          overSeeds(eos!, runs, (x) => x.metrics?.eosAccuracy, pct)
        } read at step ${e.numSteps} and ` +
        `${acc(eos!)} with RC-inference after ${at(eos!)} steps.`,
    );
  }
  const alone = ps.filter((p) => !p.eos);
  if (alone.length) {
    const best = alone[0].rc;
    const n = done(runs).filter((r) => r.method === "rc" && !findBaseline(r, runs)).length;
    const configs = n > alone.length ? ` (${alone.length} configurations)` : "";
    out.push(
      `${n} RC run${n === 1 ? "" : "s"}${configs} without an EOS baseline of ` +
        `${n === 1 ? "its" : "their"} own; ${
          configs ? "of the first seeds " : ""
        }the most accurate, ${best.run}, reaches ` +
        `${pct(best.metrics.testAccuracy)} after ${steps(best.metrics.meanSpikeTime)} of ` +
        `${best.metrics.numSteps} steps.`,
    );
  }
  if (rcCount === 0 && done(runs).length) {
    out.push(`No RC run finished; ${done(runs).length} EOS run(s).`);
  }
  return out;
}

/** The accuracy-vs-speed curves of RC and its baseline, compared at equal speed. */
export function tradeoffReading(runs: RunRecord[]): string[] {
  const out: string[] = [];
  for (const { rc, eos } of pairs(runs).filter((p) => p.eos).slice(0, 2)) {
    const g = curveGap(rc.metrics?.thresholdCurve ?? [], eos!.metrics?.thresholdCurve ?? []);
    if (!g) continue;
    const range = `mean first-spike steps ${steps(g.from)}–${steps(g.to)}`;
    out.push(
      g.maxGap < 0.02
        ? `Over θ, ${rc.run}'s and ${eos!.run}'s accuracy-vs-speed curves coincide within ` +
          `${pts(g.maxGap)} points at equal speed (${range}): at a given speed, RC training ` +
          `buys no accuracy over lowering EOS's θ.`
        : `Over θ, at equal speed (${range}) ${rc.run} is on average ${
          pts(Math.abs(g.meanDiff))
        } points ${g.meanDiff >= 0 ? "more" : "less"} accurate than ${eos!.run}; the largest ` +
          `gap is ${pts(g.maxGap)} points, at step ${steps(g.atStep)}.`,
    );
  }
  return out;
}

/** Mean first-spike step at the start and end of training, per run (Fig. 2B's reading). */
export function curvesReading(runs: RunRecord[]): string[] {
  const parts = firsts(runs).filter((r) => (r.curves ?? []).length >= 2).slice(0, 4).map((r) => {
    const c = r.curves;
    return `${r.run} (${r.method.toUpperCase()}) ${steps(c[0].meanSpikeTime)} → ${
      steps(c.at(-1)!.meanSpikeTime)
    }`;
  });
  return parts.length
    ? [`Validation mean first-spike step, first → last validation point: ${parts.join("; ")}.`]
    : [];
}

/** Runs whose final weights score differently on validation from the weights evaluated. */
export function selectionReading(runs: RunRecord[]): string[] {
  return firsts(runs).flatMap((r) => {
    const s = selectionOf(r);
    if (s.rule === "last" && s.bestSpiking && s.final && s.bestSpiking !== s.final) {
      const gap = s.bestSpiking.spikingAccuracy - s.final.spikingAccuracy;
      return Math.abs(gap) < 0.005 ? [] : [
        `${r.run}: the final weights are evaluated (validation RC-inference ${
          pct(s.final.spikingAccuracy)
        } at ${steps(s.final.meanSpikeTime)} steps); the best validation point, batch ${
          count(s.bestSpiking.batch)
        }, scored ${pct(s.bestSpiking.spikingAccuracy)} at ${
          steps(s.bestSpiking.meanSpikeTime)
        } steps.`,
      ];
    }
    if (!s.differs || !s.selected || !s.final) return [];
    const gap = s.selected.spikingAccuracy - s.final.spikingAccuracy;
    if (Math.abs(gap) < 0.01) return [];
    return [
      `${r.run}: the weights evaluated are those of batch ${count(s.selected.batch)} ` +
      `(validation RC-inference ${pct(s.selected.spikingAccuracy)}); at the end of training ` +
      `(batch ${count(s.final.batch)}) the same model scores ${pct(s.final.spikingAccuracy)} at ${
        steps(s.final.meanSpikeTime)
      } steps` +
      (gap > 0.1 ? ": RC-inference collapses as training goes on." : "."),
    ];
  });
}

/** "25.64 % fewer example-steps" or "2.50 % more wall-clock": the sign in words. */
function fewer(x: number | null, what: string, less = "fewer", more = "more"): string {
  if (!isNum(x)) return `${what} n/a`;
  if (Math.abs(x) < 0.00005) return `no ${what} saved`;
  return `${pct(Math.abs(x))} ${x > 0 ? less : more} ${what}`;
}

/** Training and inference compute saved by each RC run against its baseline. */
export function savingsReading(runs: RunRecord[]): string[] {
  const first = new Set(firsts(runs).map((r) => r.run));
  return computeSavings(runs).filter((s) => s.train && s.inference && first.has(s.run)).slice(0, 2)
    .map((s) => {
      const t = s.train!, i = s.inference!;
      return `${s.run} vs ${s.baseline}: training ${fewer(t.stepSaving, "example-steps")}, ${
        fewer(t.wallSeconds.saving, "wall-clock", "less", "more")
      }; inference ${fewer(i.stepSaving, "example-steps")}, ${
        fewer(i.wallSeconds.saving, "wall-clock", "less", "more")
      }.`;
    });
}
