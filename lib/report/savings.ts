/**
 * Compute savings of each RC run against its EOS baseline: the report's headline table.
 * @module
 */

import type { ComputeCounts, ExperimentId, PairedTiming, RunRecord } from "../results.ts";
import { isNum } from "./format.ts";
import { meanSd } from "./table.ts";

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
  /** Wall-clock saving fraction / step saving fraction; 1 means time fell as much as steps did. */
  realisedRatio: number | null;
  /** The same ratio from the RC run's paired timing (trained model, interleaved), if it has one. */
  paired: PairedSavings | null;
}

/** Savings in a paired timing (RC vs EOS on one trained model, same batches, interleaved). */
export interface PairedSavings {
  batches: number;
  stepSaving: number | null;
  wallSaving: number | null;
  realisedRatio: number | null;
  what: string;
}

/** Step and wall-clock savings of a paired timing, and their ratio. */
export function pairedSavings(p: PairedTiming | undefined): PairedSavings | null {
  if (!p || !isNum(p.rcSeconds) || !isNum(p.eosSeconds)) return null;
  const stepSaving = savingFraction(p.rcSteps, p.eosSteps);
  const wallSaving = savingFraction(p.rcSeconds, p.eosSeconds);
  return {
    batches: p.batches,
    stepSaving,
    wallSaving,
    realisedRatio: realisedRatio(wallSaving, stepSaving),
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
 * Wall-clock saving over step saving, or null when either is undefined or the step saving is under
 * {@link MIN_STEP_SAVING_FOR_RATIO}.
 */
export function realisedRatio(wallSaving: number | null, stepSaving: number | null): number | null {
  if (!isNum(wallSaving) || !isNum(stepSaving) || stepSaving < MIN_STEP_SAVING_FOR_RATIO) {
    return null;
  }
  return wallSaving / stepSaving;
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
  return {
    ...out,
    stepSaving,
    realisedRatio: realisedRatio(out.wallSeconds.saving, stepSaving),
    paired: pairedSavings(paired),
  };
}

/** The EOS run an RC run is compared against: its `baseline`, else the experiment's EOS run. */
export function findBaseline(rc: RunRecord, records: RunRecord[]): RunRecord | null {
  const same = records.filter((r) => r.experiment === rc.experiment && r !== rc);
  if (rc.baseline) {
    const named = same.find((r) => r.run === rc.baseline);
    if (named) return named;
  }
  // Where the experiment's RC runs name their baselines, one that names none has none (e.g. a
  // ConvLSTM beside an LSTM's EOS baseline): not the first EOS run of another model.
  if (!rc.baseline && same.some((r) => r.method === "rc" && r.baseline)) return null;
  return same.find((r) => r.method === "eos") ?? null;
}

export { rcDegenerate } from "../experiments/_grid.ts";
import { rcDegenerate } from "../experiments/_grid.ts";

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
