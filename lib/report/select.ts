/**
 * Which weights a run evaluated (from its training curve and its config's `selectBy`, the
 * training loop's convention), what its final weights scored on validation, and which runs are
 * seeds of one configuration. Pure functions of run records.
 * @module
 */

import { canonicalJson, type CurvePoint, type RunRecord } from "../results.ts";
import { isNum } from "./format.ts";
import { meanSd } from "./table.ts";

/** The validation point whose weights a run evaluated, and the last validation point. */
export interface Selection {
  /** The rule as recorded in the config: "spiking" (the training loop's default), "eos", "last". */
  rule: string;
  /** The validation point of the evaluated weights (null without a curve). */
  selected: CurvePoint | null;
  /** The last validation point: the weights at the end of training. */
  final: CurvePoint | null;
  /** The point of the best validation RC-inference accuracy (first maximum). */
  bestSpiking: CurvePoint | null;
  /** True when the selected point is not the last one. */
  differs: boolean;
}

/**
 * The selection of a run: best validation RC-inference accuracy ("spiking", first maximum), best
 * validation EOS accuracy ("eos"), or the last point ("last").
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectionOf } from "./select.ts";
 * const p = (batch: number, spikingAccuracy: number) =>
 *   ({ batch, examples: batch, loss: 0, spikingAccuracy, meanSpikeTime: 1, fractionFired: 1, eosAccuracy: 0.5, wallSeconds: 0 });
 * const r = { config: {}, curves: [p(1, 0.5), p(2, 0.9), p(3, 0.9), p(4, 0.6)] };
 * assert.equal(selectionOf(r).selected?.batch, 2);
 * assert.equal(selectionOf(r).differs, true);
 * assert.equal(selectionOf({ ...r, config: { selectBy: "last" } }).selected?.batch, 4);
 * ```
 */
export function selectionOf(r: Pick<RunRecord, "config" | "curves">): Selection {
  const raw = (r.config as Record<string, unknown> | undefined)?.selectBy;
  const rule = typeof raw === "string" ? raw : "spiking";
  const curve = (r.curves ?? []).filter((p) => isNum(p.spikingAccuracy));
  const final = curve.at(-1) ?? null;
  const best = (score: (p: CurvePoint) => number) => {
    let out: CurvePoint | null = null;
    for (const p of curve) if (!out || score(p) > score(out)) out = p;
    return out;
  };
  const bestSpiking = best((p) => p.spikingAccuracy);
  const selected = rule === "last"
    ? final
    : rule === "eos"
    ? best((p) => p.eosAccuracy)
    : bestSpiking;
  return {
    rule,
    selected,
    final,
    bestSpiking,
    differs: Boolean(selected && final && selected !== final),
  };
}

/** The key of a run's configuration without its seed: runs with equal keys are seeds of one. */
export function seedKey(r: RunRecord): string {
  const { seed: _seed, ...config } = (r.config ?? {}) as Record<string, unknown>;
  return canonicalJson([r.experiment, r.method, r.profile, r.data?.name ?? "", config]);
}

/** The runs (finished or not) that are seeds of the same configuration as `r`, `r` included. */
export function seedsOf(r: RunRecord, all: readonly RunRecord[]): RunRecord[] {
  const key = seedKey(r);
  return all.filter((o) => o.experiment === r.experiment && seedKey(o) === key);
}

/**
 * Whether `r` is the first seed of its configuration in `all` (the lowest seed; a run without a
 * seed counts as its own): the one whose per-run figures the report draws.
 */
export function isFirstSeed(r: RunRecord, all: readonly RunRecord[]): boolean {
  const seed = (o: RunRecord) => o.seed ?? Infinity;
  const seeds = seedsOf(r, all);
  return seeds.length > 0 && seeds.reduce((a, b) => (seed(b) < seed(a) ? b : a)) === r;
}

/** A headline number over the seeds of a configuration: count, mean and sample sd. */
export interface SeedStats {
  seeds: number;
  mean: number;
  sd: number;
}

/** `value` over the seeds of `r`'s configuration (runs where it is a finite number). */
export function seedStats(
  r: RunRecord,
  all: readonly RunRecord[],
  value: (r: RunRecord) => number | null | undefined,
): SeedStats | null {
  const values = seedsOf(r, all).filter((o) => o.status !== "failed").map(value).filter(isNum);
  if (values.length === 0) return null;
  return { seeds: values.length, ...meanSd(values) };
}
