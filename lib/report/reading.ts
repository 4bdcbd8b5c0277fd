/**
 * The short reading that opens each report section, generated from its runs: RC beside its EOS
 * baseline, the accuracy-vs-speed curves compared at equal speed, spike times through training,
 * model selection where the final weights differ, and the compute saved. Pure functions.
 * @module
 */

import type { FigureSpec, RunRecord, ThresholdPoint } from "../results.ts";
import {
  accuracyNumber,
  accuracyPct,
  intervalRange,
  testCount,
  validationCount,
} from "./accuracy.ts";
import { count, isNum, pct, steps } from "./format.ts";
import {
  computeSavings,
  experimentSavings,
  findBaseline,
  type PhaseSummary,
  type SeedSpread,
} from "./savings.ts";
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

/**
 * A test accuracy in words, to the precision its `n` examples support, with its binomial 95 %
 * interval: "96.3 % (95 % interval 94.1-97.7 %, n = 300)".
 */
export function accuracyWords(p: number | null | undefined, n: number | null): string {
  if (!isNum(p)) return pct(p);
  return n
    ? `${accuracyPct(p, n)} (95 % interval ${intervalRange(p, n)}, n = ${count(n)})`
    : pct(p);
}

/**
 * A test accuracy of `r` in words: over two or more finished seeds their mean ± sd (the spread
 * the seeds give), over one the run's own with its binomial interval; to the precision the test
 * set supports.
 */
function accuracyOverSeeds(
  r: RunRecord,
  runs: RunRecord[],
  value: (x: RunRecord) => number | null | undefined,
): string {
  const n = testCount(r);
  const st = seedStats(r, runs, value);
  return st && st.seeds >= 2
    ? `${accuracyNumber(st.mean, n)} ± ${accuracyNumber(st.sd, n)} %`
    : accuracyWords(value(r), n);
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
    const acc = (r: RunRecord) => accuracyOverSeeds(r, runs, (x) => x.metrics?.testAccuracy);
    const at = (r: RunRecord) => overSeeds(r, runs, (x) => x.metrics?.meanSpikeTime, steps);
    out.push(
      `${rc.run} (${seeds(rc)}): RC-trained reaches ${acc(rc)} with RC-inference after ` +
        `${at(rc)} of ${m.numSteps} steps on average${faster}; its EOS baseline ` +
        `(${eos!.run}, ${seeds(eos!)}) reaches ${
          accuracyOverSeeds(eos!, runs, (x) => x.metrics?.eosAccuracy)
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
        `${accuracyWords(best.metrics.testAccuracy, testCount(best))} after ${
          steps(best.metrics.meanSpikeTime)
        } of ` +
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
    // Validation accuracies to the precision the validation set supports.
    const vn = validationCount(r);
    const pct = (x: number) => accuracyPct(x, vn);
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

/**
 * A spread over runs in words, as the savings summary prints it: "mean ± sd" over several runs,
 * the value alone over one; step savings (`"steps"`, exact counts) with two decimals, wall-clock
 * savings (`"%"`) with one.
 */
function spreadWords(x: SeedSpread, unit: "steps" | "%" | "ratio"): string {
  const f = (v: number) =>
    unit === "ratio" ? v.toFixed(2) : (100 * v).toFixed(unit === "steps" ? 2 : 1);
  const u = unit === "ratio" ? "" : " %";
  return x.seeds > 1 ? `${f(x.mean)} ± ${f(x.sd)}${u}` : `${f(x.mean)}${u}`;
}

/** A saving's size in words, its sign as `less`/`more`: "19.2 ± 7.1 % fewer". */
function sizeWords(x: SeedSpread, less: string, more: string): string {
  return `${spreadWords({ ...x, mean: Math.abs(x.mean) }, "steps")} ${x.mean >= 0 ? less : more}`;
}

/** One phase's wall clock in words: "fell 24.7 ± 1.1 % in training (realised ratio 0.86 ± 0.04)". */
function wallWords(p: PhaseSummary, phase: string, first: boolean): string {
  const w = p.wallSaving!;
  const why = p.noRatio.map((n) => n.why).join("; ");
  const ratio = p.ratio
    ? `${first ? "realised ratio " : ""}${spreadWords(p.ratio, "ratio")}${
      why ? `; ${p.noRatio.reduce((a, n) => a + n.runs.length, 0)} runs without: ${why}` : ""
    }`
    : why
    ? `no ratio: ${why}`
    : "";
  return `${w.mean >= 0 ? "fell" : "rose"} ${
    spreadWords({ ...w, mean: Math.abs(w.mean) }, "%")
  } in ${phase}${ratio ? ` (${ratio})` : ""}`;
}

/**
 * The compute an experiment's RC runs saved against their EOS baselines, as the savings summary
 * gives it (`experimentSavings`): steps over the whole runs, the wall clock from paired timings
 * where there are some, and the runs left out.
 */
export function savingsReading(runs: RunRecord[]): string[] {
  return experimentSavings(computeSavings(runs)).flatMap((e) => {
    const n = e.compared.length;
    const left = e.leftOut.length
      ? ` ${e.leftOut.length} RC run${e.leftOut.length === 1 ? "" : "s"} left out (${
        [...new Set(e.leftOut.map((l) => l.why))].map((why) =>
          `${e.leftOut.filter((l) => l.why === why).length} ${why}`
        ).join(", ")
      }).`
      : "";
    if (n === 0) return left ? [`No RC run to compare with EOS:${left}`] : [];
    const phases = ([["training", e.train], ["inference", e.inference]] as const)
      .filter(([, p]) => p.stepSaving);
    const steps = phases.map(([name, p], i) =>
      `${sizeWords(p.stepSaving!, "fewer", "more")}${i === 0 ? " example-steps" : ""} in ${name}`
    );
    const timed = phases.filter(([, p]) => p.wallSaving);
    const source = timed[0]?.[1].source;
    const there = timed.map(([, p]) =>
      p.timedStepSaving && spreadWords(p.timedStepSaving, "steps")
    );
    const thereWords = source !== "paired" || !there[0]
      ? ""
      : ` (${
        new Set(there).size === 1
          ? `${there[0]} fewer steps there`
          : timed.map(([name], i) => `${there[i]} fewer steps there in ${name}`).join(", ")
      })`;
    const wall = timed.map(([name, p], i) => wallWords(p, name, i === 0));
    return [
      `Compute over ${n} RC run${n === 1 ? "" : "s"} against ${
        n === 1 ? "its EOS baseline" : "their EOS baselines (mean ± sd)"
      }: ${steps.join(", ")}.${
        wall.length
          ? ` ${
            source === "paired"
              ? `Timed in pairs on the trained models${thereWords}`
              : "Over the whole runs"
          }, the wall clock ${wall.join(" and ")}.`
          : ""
      }${left}`,
    ];
  });
}

/** A change of accuracy in points, in words: "falls 52.1 points", "stays within a point". */
function changeWords(delta: number): string {
  if (Math.abs(delta) < 1) return "stays within a point";
  return `${delta < 0 ? "falls" : "rises"} ${Math.abs(delta).toFixed(1)} points`;
}

/**
 * What a recorded figure of accuracy over a θ sweep shows, in words from its own numbers (the
 * report's, beside a caption that says what the paper's figure shows): per series, how its
 * accuracy and mean first spike change from the first θ to the last. The θs are read from the
 * title ("over θ ∈ {0.25, 0.5, ...}"), one per point, in order; null for any other figure.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sweepReading } from "./reading.ts";
 * const spec = { paperFigure: "10", title: "accuracy over θ ∈ {0.5, 1, 5}", kind: "scatter" as const,
 *   xLabel: "mean first-spike step", yLabel: "test accuracy (%)", caption: "",
 *   series: [{ label: "RC-trained", x: [1, 1.2, 10], y: [91.8, 90.6, 39.7] }] };
 * assert.equal(sweepReading(spec), "Here, from θ = 0.5 to θ = 5: RC-trained falls 52.1 points " +
 *   "(91.8 % → 39.7 %), its mean first spike from step 1.00 to 10.00.");
 * ```
 */
export function sweepReading(spec: FigureSpec): string | null {
  const m = /θ ∈ \{([^}]*)\}/.exec(spec.title);
  if (!m || !/accuracy/i.test(spec.yLabel) || spec.kind === "bar" || spec.kind === "heatmap") {
    return null;
  }
  const thetas = m[1].split(",").map((t) => t.trim());
  const parts = (spec.series ?? []).flatMap((s) => {
    if (s.y.length !== thetas.length || s.x.length !== thetas.length) return [];
    const [y0, y1, x0, x1] = [s.y[0], s.y.at(-1)!, s.x[0], s.x.at(-1)!];
    if (![y0, y1, x0, x1].every(isNum)) return [];
    // A curve that dips or peaks on the way by more than a point says so.
    const inner = s.y.slice(1, -1).map((y, i) => ({ y, t: thetas[i + 1] })).filter((p) =>
      isNum(p.y)
    );
    const low = inner.reduce((a, p) => (p.y < a.y ? p : a), { y: Infinity, t: "" });
    const high = inner.reduce((a, p) => (p.y > a.y ? p : a), { y: -Infinity, t: "" });
    const via = low.y < Math.min(y0, y1) - 1
      ? `, lowest ${low.y.toFixed(1)} % at θ = ${low.t}`
      : high.y > Math.max(y0, y1) + 1
      ? `, highest ${high.y.toFixed(1)} % at θ = ${high.t}`
      : "";
    return [
      `${s.label} ${changeWords(y1 - y0)} (${y0.toFixed(1)} % → ${y1.toFixed(1)} %${via}), ` +
      `its mean first spike from step ${steps(x0)} to ${steps(x1)}`,
    ];
  });
  return parts.length
    ? `Here, from θ = ${thetas[0]} to θ = ${thetas.at(-1)}: ${parts.join("; ")}.`
    : null;
}
