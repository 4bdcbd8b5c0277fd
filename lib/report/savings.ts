/**
 * Compute savings of each RC run against its EOS baseline: the report's headline table.
 * @module
 */

import type { ComputeCounts, ExperimentId, PairedTiming, RunRecord } from "../results.ts";
import { isNum } from "./format.ts";
import { baseRunName, meanSd } from "./table.ts";

/** One quantity of an RC run beside its EOS baseline. */
export interface Comparison {
  rc: number | null;
  eos: number | null;
  /** 1 − rc/eos, per example when both runs count their examples; null where undefined. */
  saving: number | null;
}

/** Savings in one phase (training or inference). */
export interface PhaseSavings {
  forwardSteps: Comparison;
  backwardSteps: Comparison;
  flops: Comparison;
  wallSeconds: Comparison;
  examples: { rc: number | null; eos: number | null };
  /** True when savings were taken per example (both runs report `examples` > 0). */
  perExample: boolean;
  /** The step saving the wall clock is held against: backward steps (training), forward (inference). */
  stepSaving: number | null;
  /**
   * Wall-clock saving fraction / step saving fraction; 1 means time fell as much as steps did.
   * Null where it says nothing (see {@link ratioOf}); `ratioWhy` then says why.
   */
  realisedRatio: number | null;
  /** Why there is no realised ratio where both savings were measured; null otherwise. */
  ratioWhy: string | null;
  /** The same ratio from the RC run's paired timing (trained model, interleaved), if it has one. */
  paired: PairedSavings | null;
}

/** Savings in a paired timing (RC vs EOS on one trained model, same batches, interleaved). */
export interface PairedSavings {
  batches: number;
  stepSaving: number | null;
  wallSaving: number | null;
  realisedRatio: number | null;
  /** Why there is no ratio where both savings were measured; null otherwise. */
  ratioWhy: string | null;
  what: string;
}

/** Step and wall-clock savings of a paired timing, and their ratio. */
export function pairedSavings(p: PairedTiming | undefined): PairedSavings | null {
  if (!p || !isNum(p.rcSeconds) || !isNum(p.eosSeconds)) return null;
  const stepSaving = savingFraction(p.rcSteps, p.eosSteps);
  const wallSaving = savingFraction(p.rcSeconds, p.eosSeconds);
  const ratio = ratioOf(wallSaving, stepSaving);
  return {
    batches: p.batches,
    stepSaving,
    wallSaving,
    realisedRatio: ratio.value,
    ratioWhy: ratio.why,
    what: p.what,
  };
}

/** An RC run against its EOS baseline. */
export interface SavingsRow {
  experiment: ExperimentId;
  run: string;
  title: string;
  /** Name of the EOS run compared against, or null when the experiment has none. */
  baseline: string | null;
  /** Data set of the RC run. */
  data: string;
  /** Why the RC run is RC in name only (it never, or hardly ever, spiked in training), or null. */
  degenerate: string | null;
  /** True when the RC run or its baseline failed (its counts may be partial). */
  failed: boolean;
  train: PhaseSavings | null;
  inference: PhaseSavings | null;
  /** Why a comparison is missing or suspect (failed run, no baseline, software adapter, ...). */
  notes: string[];
  /**
   * The code path of the paired training timing where it is not the engine that trained the run
   * (older records timed tfjs's path whatever the engine); absent otherwise.
   */
  pairedPath?: string;
}

function perUnit(c: ComputeCounts, key: keyof ComputeCounts, perExample: boolean): number | null {
  const v = c?.[key];
  if (!isNum(v)) return null;
  return perExample ? v / c.examples : v;
}

/** 1 − rc/eos, or null when either is missing or the baseline is 0. */
export function savingFraction(rc: number | null, eos: number | null): number | null {
  if (!isNum(rc) || !isNum(eos) || eos === 0) return null;
  return 1 - rc / eos;
}

/**
 * Below this step saving a wall-clock ratio is not shown: it divides timing noise by almost nothing
 * (a 0.01 % step saving once gave a "realised ratio" of −14,608).
 */
export const MIN_STEP_SAVING_FOR_RATIO = 0.05;

/**
 * The realised ratios worth showing. Wall-clock can fall by less than the steps did (overheads,
 * ratio under 1), by a little more (a model's cost per step falling with the batch), or rise a
 * little; a ratio below −1 or above 3 means the wall clock moved by more than three times the
 * steps' saving, which no change in steps explains: timing noise over a small saving, a loaded
 * machine or a broken measurement.
 */
export const RATIO_RANGE = { min: -1, max: 3 } as const;

/** Why no ratio is shown: under {@link MIN_STEP_SAVING_FOR_RATIO} of the steps saved. */
export const FEW_STEPS_SAVED = `under ${
  100 * MIN_STEP_SAVING_FOR_RATIO
} % of the steps saved: a ratio would divide timing noise by almost nothing`;
/** Why no ratio is shown: the ratio fell outside {@link RATIO_RANGE}. */
export const RATIO_OUT_OF_RANGE = `the wall clock moved by more than ${RATIO_RANGE.max} times ` +
  "the steps' saving, or the other way: timing noise or a loaded machine, not RC's steps";

/** {@link RATIO_RANGE} as the page prints it: "[−1, 3]". */
export const RATIO_RANGE_TEXT = `[${RATIO_RANGE.min}, ${RATIO_RANGE.max}]`.replace("-", "−");

/** A realised ratio, or why there is none (`why` null: nothing was measured to divide). */
export interface Ratio {
  value: number | null;
  why: string | null;
}

/**
 * Wall-clock saving over step saving where it says something: null, with the reason, where the
 * step saving is under {@link MIN_STEP_SAVING_FOR_RATIO} or the ratio falls outside
 * {@link RATIO_RANGE}.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ratioOf } from "./savings.ts";
 * assert.equal(ratioOf(0.25, 0.5).value, 0.5);
 * assert.equal(ratioOf(0.5, 0.0001).value, null); // noise over almost no saving
 * assert.equal(ratioOf(0.62, 0.12).value, null); // 5.2: the machine, not the steps
 * assert.equal(ratioOf(null, 0.4).why, null); // nothing to divide
 * ```
 */
export function ratioOf(wallSaving: number | null, stepSaving: number | null): Ratio {
  if (!isNum(wallSaving) || !isNum(stepSaving)) return { value: null, why: null };
  if (stepSaving < MIN_STEP_SAVING_FOR_RATIO) return { value: null, why: FEW_STEPS_SAVED };
  const value = wallSaving / stepSaving;
  return value < RATIO_RANGE.min || value > RATIO_RANGE.max
    ? { value: null, why: RATIO_OUT_OF_RANGE }
    : { value, why: null };
}

/** Wall-clock saving over step saving, or null where {@link ratioOf} gives none. */
export function realisedRatio(wallSaving: number | null, stepSaving: number | null): number | null {
  return ratioOf(wallSaving, stepSaving).value;
}

/**
 * Savings of one phase's counts against the baseline's.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { phaseSavings } from "./savings.ts";
 * const c = (backwardSteps: number, wallSeconds: number) => ({
 *   forwardSteps: backwardSteps, forwardStepsNeeded: backwardSteps, backwardSteps,
 *   eosSteps: 1000, flops: backwardSteps * 10, wallSeconds, examples: 100,
 * });
 * const s = phaseSavings(c(400, 3), c(1000, 6), "backwardSteps");
 * assert.equal(s.backwardSteps.saving?.toFixed(4), "0.6000");
 * assert.equal(s.realisedRatio?.toFixed(4), "0.8333");
 * ```
 */
export function phaseSavings(
  rc: ComputeCounts,
  eos: ComputeCounts,
  stepKey: "backwardSteps" | "forwardSteps",
  paired?: PairedTiming,
): PhaseSavings {
  const perExample = isNum(rc?.examples) && isNum(eos?.examples) && rc.examples > 0 &&
    eos.examples > 0;
  const cmp = (key: "forwardSteps" | "backwardSteps" | "flops" | "wallSeconds"): Comparison => ({
    rc: isNum(rc?.[key]) ? rc[key] : null,
    eos: isNum(eos?.[key]) ? eos[key] : null,
    saving: savingFraction(perUnit(rc, key, perExample), perUnit(eos, key, perExample)),
  });
  const out = {
    forwardSteps: cmp("forwardSteps"),
    backwardSteps: cmp("backwardSteps"),
    flops: cmp("flops"),
    wallSeconds: cmp("wallSeconds"),
    examples: {
      rc: isNum(rc?.examples) ? rc.examples : null,
      eos: isNum(eos?.examples) ? eos.examples : null,
    },
    perExample,
  };
  const stepSaving = out[stepKey].saving;
  const ratio = ratioOf(out.wallSeconds.saving, stepSaving);
  return {
    ...out,
    stepSaving,
    realisedRatio: ratio.value,
    ratioWhy: ratio.why,
    paired: pairedSavings(paired),
  };
}

/**
 * The EOS run an RC run is compared against: its `baseline`; else that baseline at another profile
 * (the same name before `@`, e.g. "convlstm20-eos" for a paper-profile run's "convlstm20-eos@paper",
 * said beside the numbers); else, where no RC run of the experiment names one, its EOS run. A named
 * baseline that is missing at every profile gives none: never the EOS run of another model.
 */
export function findBaseline(rc: RunRecord, records: RunRecord[]): RunRecord | null {
  const same = records.filter((r) => r.experiment === rc.experiment && r !== rc);
  if (rc.baseline) {
    const base = baseRunName(rc.baseline);
    return same.find((r) => r.run === rc.baseline) ??
      same.find((r) => r.method === "eos" && baseRunName(r.run) === base) ?? null;
  }
  // Where the experiment's RC runs name their baselines, one that names none has none (e.g. a
  // ConvLSTM beside an LSTM's EOS baseline): not the first EOS run of another model.
  if (!rc.baseline && same.some((r) => r.method === "rc" && r.baseline)) return null;
  return same.find((r) => r.method === "eos") ?? null;
}

export { rcDegenerate } from "../experiments/_grid.ts";
import { DEGENERATE_SHARE, rcDegenerate } from "../experiments/_grid.ts";

/** A savings row for every RC run, in record order. */
export function computeSavings(records: RunRecord[]): SavingsRow[] {
  return records.filter((r) => r.method === "rc").map((rc) => {
    const eos = findBaseline(rc, records);
    const notes: string[] = [];
    const degenerate = rcDegenerate(rc);
    if (degenerate) notes.push(degenerate);
    if (rc.baseline && eos?.run !== rc.baseline) {
      notes.push(
        `named baseline "${rc.baseline}" not found; compared with "${eos?.run ?? "none"}"`,
      );
    }
    if (!eos) {
      notes.push(
        records.some((r) => r.experiment === rc.experiment && r.method === "eos")
          ? "no EOS baseline of its own (the experiment's EOS runs are other runs' baselines)"
          : "no EOS run in this experiment",
      );
    }
    const failed = [rc, eos].some((r) => r?.status === "failed");
    for (const r of eos ? [rc, eos] : [rc]) {
      if (r.status === "failed") notes.push(`run "${r.run}" failed: counts may be partial`);
      if (r.environment?.backend === "webgpu" && r.environment.adapter?.isFallbackAdapter) {
        notes.push(`run "${r.run}": software adapter, wall-clock not representative of a GPU`);
      }
    }
    if (eos && rc.environment?.backend !== eos.environment?.backend) {
      notes.push(
        `backends differ (${rc.environment?.backend} vs ${eos.environment?.backend}): ` +
          "wall-clock not comparable",
      );
    }
    const both = (phase: "train" | "inference", key: "backwardSteps" | "forwardSteps") =>
      eos && rc.compute?.[phase] && eos.compute?.[phase]
        ? phaseSavings(rc.compute[phase], eos.compute[phase], key, rc.compute.paired?.[phase])
        : null;
    const train = both("train", "backwardSteps");
    const inference = both("inference", "forwardSteps");
    // An engine that runs every step (e.g. one that encodes whole sequences) saves no steps:
    // say what RC needed, and that the paired timing measured another code path.
    for (const [name, phase] of [["training", "train"], ["inference", "inference"]] as const) {
      const c = rc.compute?.[phase];
      if (
        c && isNum(c.forwardStepsNeeded) && isNum(c.eosSteps) && c.forwardSteps >= c.eosSteps &&
        c.forwardStepsNeeded < c.forwardSteps
      ) {
        notes.push(
          `${name}: ${rc.environment?.engine ?? "the engine"} ran every step; RC needed ${
            (100 * (1 - c.forwardStepsNeeded / c.forwardSteps)).toFixed(2)
          } % fewer forward example-steps, a saving this engine does not realise`,
        );
      }
    }
    // The WebGPU engine counts the workgroups it dispatched (GPU halting sizes RC's on the GPU).
    const rcGroups = rc.compute?.train?.gpuWorkgroups;
    const eosGroups = eos?.compute?.train?.gpuWorkgroups;
    if (isNum(rcGroups)) {
      const per = (n: number, c: ComputeCounts) => c.examples > 0 ? n / c.examples : n;
      notes.push(
        `training: ${rcGroups.toLocaleString("en-US")} GPU workgroups dispatched` +
          (isNum(eosGroups) && eos?.compute?.train
            ? ` against EOS's ${eosGroups.toLocaleString("en-US")} (${
              (100 * (1 - per(rcGroups, rc.compute!.train!) /
                  per(eosGroups, eos.compute.train))).toFixed(1)
            } % fewer per example)`
            : ""),
      );
    }
    // Paired timings name their path since the step runners; older ones timed tfjs's
    // lossAndGrads whatever engine trained the run.
    const engine = rc.environment?.engine;
    const pairedWhat = rc.compute?.paired?.train?.what ?? "";
    const pairedPath = engine && engine !== "tfjs" && pairedWhat && !/ path\b/.test(pairedWhat)
      ? "tfjs"
      : undefined;
    if (pairedPath) {
      notes.push(
        `paired training timing: measured on the tfjs path, not on the ${engine} that trained ` +
          "the run; its ratio is not that engine's",
      );
    }
    for (const [name, p] of [["training", train], ["inference", inference]] as const) {
      if (p && !p.perExample) notes.push(`${name}: example counts missing, totals compared`);
      else if (p && p.examples.rc !== p.examples.eos) {
        notes.push(`${name}: runs saw different numbers of examples; savings are per example`);
      }
    }
    return {
      experiment: rc.experiment,
      run: rc.run,
      title: rc.title,
      baseline: eos?.run ?? null,
      data: rc.data?.name ?? "",
      degenerate,
      failed,
      train,
      inference,
      notes,
      ...(pairedPath ? { pairedPath } : {}),
    };
  });
}

/** A saving or ratio over the seeds of one RC configuration. */
export interface SeedSpread {
  seeds: number;
  mean: number;
  sd: number;
}

/** One phase's savings over the seeds of an RC configuration (each null where no seed has it). */
export interface PhaseSpread {
  stepSaving: SeedSpread | null;
  wallSaving: SeedSpread | null;
  realisedRatio: SeedSpread | null;
  pairedRatio: SeedSpread | null;
}

/** The savings of the seeds of one RC configuration, summarised after the last of them. */
export interface SeedSummary {
  /** The seeds' RC runs, in table order. */
  runs: string[];
  train: PhaseSpread;
  inference: PhaseSpread;
}

/** Mean ± sd of the finite values (`seeds`: how many), or null when there are none. */
export function spread(values: (number | null | undefined)[]): SeedSpread | null {
  const xs = values.filter(isNum);
  return xs.length ? { seeds: xs.length, ...meanSd(xs) } : null;
}

function phaseSpread(ps: (PhaseSavings | null)[]): PhaseSpread {
  return {
    stepSaving: spread(ps.map((p) => p?.stepSaving)),
    wallSaving: spread(ps.map((p) => p?.wallSeconds.saving)),
    realisedRatio: spread(ps.map((p) => p?.realisedRatio)),
    pairedRatio: spread(ps.map((p) => p?.paired?.realisedRatio)),
  };
}

/**
 * The savings rows of RC configurations run with two or more seeds, summarised: mean ± sd of the
 * step and wall-clock savings and of the whole-run and paired ratios. `seedKey` groups runs that
 * are seeds of one configuration (lib/report/select.ts). Keyed by "experiment/run" of the group's
 * last row, the row the summary follows.
 */
export function seedSummaries(
  rows: SavingsRow[],
  records: readonly RunRecord[],
  seedKey: (r: RunRecord) => string,
): Map<string, SeedSummary> {
  const groups = new Map<string, SavingsRow[]>();
  for (const row of rows) {
    const rc = records.find((r) => r.experiment === row.experiment && r.run === row.run);
    if (!rc || rc.status === "failed" || !row.baseline) continue;
    const key = seedKey(rc);
    groups.set(key, [...groups.get(key) ?? [], row]);
  }
  const out = new Map<string, SeedSummary>();
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const last = group[group.length - 1];
    out.set(`${last.experiment}/${last.run}`, {
      runs: group.map((g) => g.run),
      train: phaseSpread(group.map((g) => g.train)),
      inference: phaseSpread(group.map((g) => g.inference)),
    });
  }
  return out;
}

/** The share of EOS's backward steps from which an RC run is RC in name only (`rcDegenerate`). */
export { DEGENERATE_SHARE };

/** Why a paired training timing is not the engine's: it timed another code path. */
export const OTHER_PATH = "the paired timing measured the tfjs path, not the engine that " +
  "trained the run";

/**
 * What one phase of a savings row is timed by: the paired timing (the trained RC model against
 * EOS on the same batches, interleaved, so a machine's drift cancels) where it timed the engine
 * that trained the run, else the two whole runs.
 */
export interface Timed {
  source: "paired" | "whole run";
  stepSaving: number | null;
  wallSaving: number | null;
  ratio: number | null;
  /** Why there is no ratio where both savings were measured (or why the paired one was passed over). */
  why: string | null;
}

/** The timing a phase of `row` is judged by (see {@link Timed}); null without the phase. */
export function timedSaving(row: SavingsRow, phase: "train" | "inference"): Timed | null {
  const p = row[phase];
  if (!p) return null;
  const otherPath = phase === "train" && row.pairedPath !== undefined;
  if (p.paired && !otherPath) {
    return {
      source: "paired",
      stepSaving: p.paired.stepSaving,
      wallSaving: p.paired.wallSaving,
      ratio: p.paired.realisedRatio,
      why: p.paired.ratioWhy,
    };
  }
  return {
    source: "whole run",
    stepSaving: p.stepSaving,
    wallSaving: p.wallSeconds.saving,
    ratio: p.realisedRatio,
    why: p.ratioWhy ?? (otherPath && p.paired ? OTHER_PATH : null),
  };
}

/** One phase of an experiment's savings over its compared RC runs. */
export interface PhaseSummary {
  /** Steps saved over the whole runs (backward in training, forward in inference). */
  stepSaving: SeedSpread | null;
  /** Where the wall clock was read: paired timings where any run has one, else the whole runs. */
  source: "paired" | "whole run" | null;
  /** The timed runs' step and wall-clock savings and their realised ratio (those that have one). */
  timedStepSaving: SeedSpread | null;
  wallSaving: SeedSpread | null;
  ratio: SeedSpread | null;
  /** Runs with no ratio, grouped by why. */
  noRatio: { why: string; runs: string[] }[];
  /** Runs compared whose phase was not timed by `source` (no paired timing of their own). */
  untimed: string[];
}

/** An experiment's compute savings: its compared RC runs summarised, and those left out. */
export interface ExperimentSavings {
  experiment: ExperimentId;
  /** RC runs compared with their EOS baselines. */
  compared: string[];
  /** RC runs with a baseline left out of the summary, each with why. */
  leftOut: { run: string; why: string }[];
  train: PhaseSummary;
  inference: PhaseSummary;
}

function phaseSummary(rows: SavingsRow[], phase: "train" | "inference"): PhaseSummary {
  const timed = rows.map((r) => ({ run: r.run, t: timedSaving(r, phase) }));
  const paired = timed.filter((x) => x.t?.source === "paired");
  const source = paired.length ? "paired" : timed.some((x) => x.t) ? "whole run" : null;
  const used = source === "paired" ? paired : timed.filter((x) => x.t);
  const noRatio = new Map<string, string[]>();
  for (const { run, t } of used) {
    if (t && t.ratio === null && t.why) noRatio.set(t.why, [...noRatio.get(t.why) ?? [], run]);
  }
  return {
    stepSaving: spread(rows.map((r) => r[phase]?.stepSaving)),
    source,
    timedStepSaving: spread(used.map((x) => x.t?.stepSaving)),
    wallSaving: spread(used.map((x) => x.t?.wallSaving)),
    ratio: spread(used.map((x) => x.t?.ratio)),
    noRatio: [...noRatio].map(([why, runs]) => ({ why, runs })),
    untimed: source === "paired"
      ? timed.filter((x) => x.t && x.t.source !== "paired").map((x) => x.run)
      : [],
  };
}

/**
 * One summary per experiment with RC runs compared against EOS baselines, in row order: steps
 * saved over the whole runs, and the wall clock (paired timings first) with its realised ratio,
 * each as mean ± sd over the runs. Failed runs and RC runs that never spiked in training (RC in
 * name only) are left out, saying why.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { experimentSavings } from "./savings.ts";
 * assert.deepEqual(experimentSavings([]), []);
 * ```
 */
export function experimentSavings(rows: readonly SavingsRow[]): ExperimentSavings[] {
  const withBaseline = rows.filter((r) => r.baseline !== null);
  const ids = [...new Set(withBaseline.map((r) => r.experiment))];
  return ids.map((experiment) => {
    const mine = withBaseline.filter((r) => r.experiment === experiment);
    const why = (r: SavingsRow) =>
      r.failed
        ? "a run of the pair failed"
        : r.degenerate
        ? /^never/.test(r.degenerate)
          ? "never spiked in training"
          : `spiked early in under ${
            Math.round(100 * (1 - DEGENERATE_SHARE))
          } % of training's steps`
        : !r.train && !r.inference
        ? "no compute counts"
        : null;
    const compared = mine.filter((r) => why(r) === null);
    return {
      experiment,
      compared: compared.map((r) => r.run),
      leftOut: mine.filter((r) => why(r) !== null).map((r) => ({ run: r.run, why: why(r)! })),
      train: phaseSummary(compared, "train"),
      inference: phaseSummary(compared, "inference"),
    };
  });
}
