/**
 * Machine-readable headline numbers of all runs (`reports/summary.json`). Pure function.
 * @module
 */

import type { ExperimentInfo } from "../experiments/declaration.ts";
import {
  type ExperimentId,
  judgedStatus,
  type Profile,
  type RunRecord,
  type RunStatus,
  type TargetCheck,
} from "../results.ts";
import { isNum } from "./format.ts";
import { applyGrids, gridStatus, type GridVerdict } from "./grids.ts";
import { computeSavings, type SavingsRow } from "./savings.ts";
import { commandFor } from "./sections.ts";
import { seedsOf, selectionOf } from "./select.ts";

/**
 * Status of an experiment: the worst of its runs (failed > missed > met), else "not run", or
 * "not built" while it has no runs and no code.
 */
export type ExperimentStatus = RunStatus | "not run" | "not built";

/** Headline numbers of one run. Numbers that are missing are null. */
export interface RunSummary {
  run: string;
  method: "rc" | "eos";
  title: string;
  profile: Profile;
  status: RunStatus;
  error: string | null;
  data: { name: string; checksum: string };
  backend: string | null;
  isFallbackAdapter: boolean | null;
  seed: number | null;
  configHash: string;
  threshold: number | null;
  testAccuracy: number | null;
  meanSpikeTime: number | null;
  fractionFired: number | null;
  eosAccuracy: number | null;
  numSteps: number | null;
  extra: Record<string, number>;
  checks: TargetCheck[];
  deviations: string[];
  /** Runs of the same configuration but for the seed, this one included. */
  seeds: number;
  /**
   * Which weights were evaluated (rule and validation batch) and, where they differ, the final
   * weights' validation numbers; null without a training curve.
   */
  selection: {
    rule: string;
    batch: number;
    final:
      | { batch: number; spikingAccuracy: number; meanSpikeTime: number; eosAccuracy: number }
      | null;
  } | null;
}

/** One experiment: its status, runs and savings. */
export interface ExperimentSummary {
  experiment: ExperimentId;
  status: ExperimentStatus;
  /** The command that runs it; null while it is not built. */
  command: string | null;
  /** Why it is not built yet (absent once built). */
  pending?: string;
  /** Run checks and judged grid checks (a grid check not measured counts in neither). */
  checksMet: number;
  checksTotal: number;
  /** Verdicts over grids of runs, judged by the report (`grids.ts`). */
  grids: { id: string; title: string; status: string; checks: GridVerdict["result"]["checks"] }[];
  runs: RunSummary[];
  savings: SavingsRow[];
}

/** The whole summary. */
export interface ReportSummary {
  schema: 1;
  runCount: number;
  experiments: ExperimentSummary[];
}

const n = (x: unknown): number | null => isNum(x) ? x : null;

/** The worst status among runs; for none, "not built" when `pending` says why, else "not run". */
export function experimentStatus(
  runs: { status: RunStatus; target?: { checks?: { met: boolean }[] } }[],
  pending?: string,
  grids: readonly GridVerdict[] = [],
): ExperimentStatus {
  if (runs.length === 0) return pending ? "not built" : "not run";
  // Run files are judged from their checks; summaries (no target) carry the judged status.
  const statuses: string[] = [
    ...runs.map((r) => "target" in r ? judgedStatus(r) : r.status),
    ...grids.map(gridStatus),
  ];
  if (statuses.includes("failed")) return "failed";
  if (statuses.includes("missed")) return "missed";
  // Met only where some run's checks were met; runs without checks add nothing to it.
  return statuses.includes("met") ? "met" : "not checked";
}

/** Headline numbers of one run; `all` (the records) counts its seeds. */
export function summariseRun(r: RunRecord, all: readonly RunRecord[] = [r]): RunSummary {
  const m = r.metrics ?? ({} as Partial<RunRecord["metrics"]>);
  const sel = selectionOf(r);
  return {
    run: r.run,
    method: r.method,
    title: r.title ?? r.run,
    profile: r.profile,
    status: judgedStatus(r),
    error: r.error ?? null,
    data: { name: r.data?.name ?? "unknown", checksum: r.data?.checksum ?? "" },
    backend: r.environment?.backend ?? null,
    isFallbackAdapter: r.environment?.adapter ? r.environment.adapter.isFallbackAdapter : null,
    seed: n(r.seed),
    configHash: r.configHash,
    threshold: n(m.threshold),
    testAccuracy: n(m.testAccuracy),
    meanSpikeTime: n(m.meanSpikeTime),
    fractionFired: n(m.fractionFired),
    eosAccuracy: n(m.eosAccuracy),
    numSteps: n(m.numSteps),
    extra: m.extra ?? {},
    checks: r.target?.checks ?? [],
    deviations: r.deviations ?? [],
    seeds: seedsOf(r, all).length,
    selection: sel.selected
      ? {
        rule: sel.rule,
        batch: sel.selected.batch,
        final: sel.differs && sel.final
          ? {
            batch: sel.final.batch,
            spikingAccuracy: sel.final.spikingAccuracy,
            meanSpikeTime: sel.final.meanSpikeTime,
            eosAccuracy: sel.final.eosAccuracy,
          }
          : null,
      }
      : null,
  };
}

/**
 * Headline numbers per experiment (all experiments, in the paper's order, run or not).
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarise } from "./summary.ts";
 * const s = summarise([], [{ id: "mnist", pending: "not built yet" }, { id: "two-sequence" }]);
 * assert.equal(s.experiments[0].status, "not built");
 * assert.equal(s.experiments[0].command, null);
 * assert.equal(s.experiments[1].status, "not run");
 * assert.equal(s.experiments[1].command, "deno task reproduce --only two-sequence");
 * ```
 */
export function summarise(
  recorded: RunRecord[],
  experiments: readonly Pick<
    ExperimentInfo,
    "id" | "pending" | "grids" | "figures" | "recheck" | "targets"
  >[],
): ReportSummary {
  const { records, grids: allGrids } = applyGrids(recorded, experiments);
  const savings = computeSavings(records);
  return {
    schema: 1,
    runCount: records.length,
    experiments: experiments.map(({ id: experiment, pending }) => {
      const mine = records.filter((r) => r.experiment === experiment);
      const runs = mine.map((r) => summariseRun(r, records));
      const grids = allGrids.filter((g) => g.experiment === experiment);
      const checks = [
        ...runs.flatMap((r) => r.checks.filter((c) => !c.notMeasured)),
        ...grids.flatMap((g) => g.result.checks.filter((c) => !c.notMeasured)),
      ];
      return {
        experiment,
        status: experimentStatus(runs, pending, grids),
        command: commandFor({ id: experiment, pending }, mine),
        ...(pending ? { pending } : {}),
        checksMet: checks.filter((c) => c.met).length,
        checksTotal: checks.length,
        grids: grids.map((g) => ({
          id: g.id,
          title: g.title,
          status: gridStatus(g),
          checks: g.result.checks,
        })),
        runs,
        savings: savings.filter((s) => s.experiment === experiment),
      };
    }),
  };
}
