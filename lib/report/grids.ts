/**
 * Grid verdicts at render time: each experiment's grids (`ExperimentInfo.grids`: Fig. 5's β grid,
 * Fig. 7's θ_train grid) evaluated over the run files, and the parts older run files carried
 * instead (a grid's verdict baked into whichever run finished last) left out of those runs. The
 * same run files give the same verdicts in any order and whichever process made them.
 * @module
 */
import type { ExperimentInfo, GridResult } from "../experiments/declaration.ts";
import type { ExperimentId, RunRecord } from "../results.ts";

/** One grid's verdict in the report. */
export interface GridVerdict {
  experiment: ExperimentId;
  id: string;
  title: string;
  paperFigure: string;
  result: GridResult;
}

/** The grid's status: missed, met, or "not checked" (no check could be measured). */
export function gridStatus(v: GridVerdict): "met" | "missed" | "not checked" {
  const judged = v.result.checks.filter((c) => !c.notMeasured);
  if (!judged.length) return "not checked";
  return judged.every((c) => c.met) ? "met" : "missed";
}

/**
 * The records as the report judges them: checks whose definition changed judged again from the
 * file's own numbers (`recheck`), the grid parts older code wrote into them left out (checks,
 * figures, extras named by each grid's `replaces`); and every grid's verdict over them.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyGrids } from "./grids.ts";
 * const info = {
 *   id: "threshold-training",
 *   grids: [{
 *     id: "g", title: "G", paperFigure: "7",
 *     replaces: { checks: ["old grid check"], figures: ["7"], extras: ["gap"] },
 *     evaluate: (rs: readonly unknown[]) => ({ groups: [], checks: [], notes: [`${rs.length}`] }),
 *   }],
 * } as never;
 * const rec = {
 *   experiment: "threshold-training", run: "r", status: "missed",
 *   target: { checks: [{ name: "old grid check: x", met: false }] },
 *   metrics: { extra: { gap: 1, kept: 2 } }, figures: [{ paperFigure: "7" }],
 * } as never;
 * const out = applyGrids([rec], [info]);
 * assert.deepEqual(out.records[0].target?.checks, []);
 * assert.deepEqual(out.records[0].metrics.extra, { kept: 2 });
 * assert.deepEqual(out.records[0].figures, []);
 * assert.deepEqual(out.grids[0].result.notes, ["1"]);
 * ```
 */
export function applyGrids(
  records: readonly RunRecord[],
  experiments: readonly Pick<ExperimentInfo, "id" | "grids" | "figures" | "recheck">[],
): { records: RunRecord[]; grids: GridVerdict[] } {
  const byId = new Map(experiments.map((e) => [e.id, e]));
  const cleaned = records.map((recorded) => {
    const info = byId.get(recorded.experiment);
    const r = info?.recheck && recorded.target
      ? {
        ...recorded,
        target: {
          ...recorded.target,
          checks: recorded.target.checks.map((c) => info.recheck!(c, recorded)),
        },
      }
      : recorded;
    const grids = info?.grids ?? [];
    if (!grids.length) return r;
    const checks = grids.flatMap((g) => g.replaces.checks);
    const figures = new Set(grids.flatMap((g) => g.replaces.figures));
    const extras = new Set(grids.flatMap((g) => g.replaces.extras));
    const out: RunRecord = { ...r };
    if (r.target) {
      out.target = {
        ...r.target,
        checks: (r.target.checks ?? []).filter((c) => !checks.some((n) => c.name.startsWith(n))),
      };
    }
    if (r.figures) out.figures = r.figures.filter((f) => !figures.has(f.paperFigure));
    if (r.metrics?.extra) {
      out.metrics = {
        ...r.metrics,
        extra: Object.fromEntries(Object.entries(r.metrics.extra).filter(([k]) => !extras.has(k))),
      };
    }
    return out;
  });
  const grids: GridVerdict[] = [];
  for (const e of experiments) {
    const mine = cleaned.filter((r) => r.experiment === e.id);
    for (const g of e.grids ?? []) {
      if (!mine.length) continue;
      grids.push({
        experiment: e.id,
        id: g.id,
        title: g.title,
        paperFigure: g.paperFigure,
        result: g.evaluate(mine, e as ExperimentInfo),
      });
    }
  }
  return { records: cleaned, grids };
}
