/**
 * The run record's types, inferred from its schema (schema.ts), and the pure functions over them:
 * a run's verdict, a check's tolerance, and the hash that finds a config's run again.
 * @module
 */
import type { z } from "zod";
import type { EXPERIMENT_IDS, runRecordSchema } from "./schema.ts";
export type { ComputeCounts, CurvePoint, PairedTiming } from "../rc/types.ts";

/** One run file, as the schema checks it (see lib/results.ts for the conventions). */
export type RunRecord = z.infer<typeof runRecordSchema>;

export type ExperimentId = typeof EXPERIMENT_IDS[number];

export type Profile = RunRecord["profile"];
/**
 * A run's verdict: every declared check met, one missed, no check declared ("not checked": never
 * shown as met), or the run failed.
 */
export type RunStatus = RunRecord["status"];

/** Where a run ran: versions, backend and the WebGPU adapter (null when none was requested). */
export type Environment = RunRecord["environment"];
export type AdapterInfo = NonNullable<Environment["adapter"]>;

/** One comparison against a number the paper reports. */
export type TargetCheck = RunRecord["target"]["checks"][number];
/** Allowed distance, e.g. `{ kind: "atLeast", value: 0.93 }`. */
export type Tolerance = TargetCheck["tolerance"];

/** RC-inference on a test set at one threshold. */
export type ThresholdPoint = RunRecord["metrics"]["thresholdCurve"][number];

/** A chart the report draws as is: the report knows nothing about experiments. */
export type FigureSpec = RunRecord["figures"][number];

/**
 * The verdict of a finished run's checks: "not checked" for none measured (an empty list meets
 * nothing).
 */
export function statusFromChecks(
  checks: readonly { met: boolean; notMeasured?: string }[],
): Exclude<RunStatus, "failed"> {
  // A check whose input was missing judges nothing (it is shown as not measured, with why).
  const judged = checks.filter((c) => !c.notMeasured);
  if (judged.length === 0) return "not checked";
  return judged.every((c) => c.met) ? "met" : "missed";
}

/**
 * A run's verdict judged from its file's checks, as the report shows it: run files written before
 * "not checked" existed say "met" for an empty list of checks.
 */
export function judgedStatus(
  r: { status: RunStatus; target?: { checks?: { met: boolean }[] } },
): RunStatus {
  return r.status === "failed" ? "failed" : statusFromChecks(r.target?.checks ?? []);
}

/** Whether `measured` meets the paper's value within `tolerance` (never when not finite). */
export function withinTolerance(
  measured: number | null,
  paper: number,
  tolerance: Tolerance,
): boolean {
  if (measured === null || !Number.isFinite(measured)) return false;
  if (tolerance.kind === "abs") return Math.abs(measured - paper) <= tolerance.value;
  if (tolerance.kind === "atLeast") return measured >= tolerance.value;
  return measured <= tolerance.value;
}

/** Canonical JSON: keys sorted, so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
    }
    return v;
  });
}

/** sha256 of the canonical JSON of `value`, hex, first 16 characters. */
export async function configHash(value: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(value));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}
