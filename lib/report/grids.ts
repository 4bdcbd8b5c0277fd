/**
 * Grid verdicts at render time: each experiment's grids (`ExperimentInfo.grids`: Fig. 5's β grid,
 * Fig. 7's θ_train grid) evaluated over the run files, and the parts older run files carried
 * instead (a grid's verdict baked into whichever run finished last) left out of those runs. The
 * same run files give the same verdicts in any order and whichever process made them.
 * @module
 */
import type { ExperimentInfo, GridResult } from "../experiments/declaration.ts";
import {
  type ExperimentId,
  type RunRecord,
  type TargetCheck,
  withinTolerance,
} from "../results.ts";

/** One grid's verdict in the report. */
export interface GridVerdict {
  experiment: ExperimentId;
  id: string;
  title: string;
  paperFigure: string;
  result: GridResult;
}

/**
 * A recorded check judged by its declaration: a run file records what it measured; the paper's
 * value, the tolerance and why come from the experiment's declared target of the same name, so
 * a tolerance set from the seeds' spread applies to runs made before it. A check no target
 * declares (made by run code) is judged from its recorded value, paper and tolerance (its own
 * "met" is not trusted); one not measured stays not measured.
 */
export function rejudge(
  c: TargetCheck,
  info: Pick<ExperimentInfo, "targets">,
  method: "rc" | "eos",
): TargetCheck {
  if (c.notMeasured) return c;
  const spec = info.targets?.[method]?.checks.find((t) => t.name === c.name);
  // A run file's own "met" is never taken on trust: judged from what it records.
  if (!spec) return { ...c, met: withinTolerance(c.measured, c.paper, c.tolerance) };
  return {
    ...c,
    paper: spec.paper,
    tolerance: spec.tolerance,
    unit: spec.unit,
    why: spec.why,
    met: withinTolerance(c.measured, spec.paper, spec.tolerance),
  };
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
  experiments: readonly Pick<ExperimentInfo, "id" | "grids" | "figures" | "recheck" | "targets">[],
): { records: RunRecord[]; grids: GridVerdict[] } {
  const byId = new Map(experiments.map((e) => [e.id, e]));
  const cleaned = records.map((recorded) => {
    const info = byId.get(recorded.experiment);
    const r = info && recorded.target
      ? {
        ...recorded,
        target: {
          ...recorded.target,
          checks: recorded.target.checks.map((c) =>
            rejudge(info.recheck ? info.recheck(c, recorded) : c, info, recorded.method)
          ),
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
