/**
 * The report's sections, gathered from the experiments' declarations and put in the paper's
 * order (by the first figure each reproduces).
 * @module
 */

import type { ExperimentInfo, SectionSpec } from "../experiments/declaration.ts";
import { overrideSuffix } from "../experiments/overrides.ts";
import { canonicalJson, type ExperimentId } from "../results.ts";

export type { ExperimentInfo, SectionParts } from "../experiments/declaration.ts";

/** One section of the report, with the experiments it shows. */
export interface ReportSection extends SectionSpec {
  experiments: ExperimentId[];
}

/** The key of a paper figure label: "3B" -> "3", "T1" or "Table 1" -> "T1", "Fig. 10A" -> "10". */
export function figureKey(paperFigure: string): string {
  const m = /(\d+)/.exec(paperFigure);
  if (!m) return paperFigure;
  return /^\s*t/i.test(paperFigure) ? `T${m[1]}` : m[1];
}

/** Where a section falls in the paper: its first figure's number (tables do not count). */
function paperOrder(s: SectionSpec): number {
  const figs = s.figureKeys.filter((k) => /^\d+$/.test(k)).map(Number);
  return figs.length ? Math.min(...figs) : Infinity;
}

/** Every experiment's sections in the paper's order (declaration order breaks ties). */
export function reportSections(experiments: readonly ExperimentInfo[]): ReportSection[] {
  const sections = experiments.flatMap((e) =>
    e.sections.map((s) => ({ ...s, experiments: s.experiments ?? [e.id] }))
  );
  return sections.sort((a, b) => paperOrder(a) - paperOrder(b));
}

/**
 * The command that runs one experiment, or null while it is not built. Given its runs, the
 * command names their profile (when not the default) and the backend they ran on, so that it
 * reproduces them. Runs made with `--set` overrides (the same on every run) come from
 * `deno task train`, which takes them: the command names those runs and every override.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { commandFor } from "./sections.ts";
 * assert.equal(commandFor({ id: "mnist" }), "deno task reproduce --only mnist");
 * assert.equal(commandFor({ id: "mnist", pending: "not built yet" }), null);
 * const run = { profile: "default", environment: { backend: "webgpu" } } as const;
 * assert.equal(commandFor({ id: "mnist" }, [run]), "deno task reproduce --only mnist --backend webgpu");
 * const set = { ...run, run: "rc+beta=0.2", overrides: { beta: 0.2 } };
 * assert.equal(
 *   commandFor({ id: "mnist" }, [set]),
 *   "deno task train --experiment mnist --backend webgpu --run rc --set beta=0.2",
 * );
 * ```
 */
export function commandFor(
  e: Pick<ExperimentInfo, "id" | "pending">,
  runs: readonly {
    profile: string;
    environment?: { backend?: string };
    run?: string;
    overrides?: Record<string, unknown>;
  }[] = [],
  /** The backend of a page whose runs all used one: named for an experiment without runs. */
  pageBackend?: string,
): string | null {
  if (e.pending) return null;
  const profiles = [...new Set(runs.map((r) => r.profile))];
  const backends = runs.length
    ? [...new Set(runs.map((r) => r.environment?.backend).filter(Boolean))]
    : pageBackend
    ? [pageBackend]
    : [];
  const options =
    (profiles.length === 1 && profiles[0] !== "default" ? ` --profile ${profiles[0]}` : "") +
    (backends.length === 1 ? ` --backend ${backends[0]}` : "");
  const sets = [...new Set(runs.map((r) => canonicalJson(r.overrides ?? {})))];
  const overrides = runs[0]?.overrides;
  if (sets.length === 1 && overrides && Object.keys(overrides).length > 0) {
    // The runs by their declared names: their names without the overrides' suffix.
    const suffix = overrideSuffix(overrides);
    const names = [
      ...new Set(runs.map((r) => r.run?.endsWith(suffix) ? r.run.slice(0, -suffix.length) : null)),
    ].filter(Boolean);
    return `deno task train --experiment ${e.id}${options}` +
      names.map((n) => ` --run ${n}`).join("") +
      Object.entries(overrides).map(([k, v]) => ` --set ${k}=${v}`).join("");
  }
  return `deno task reproduce --only ${e.id}${options}`;
}

/** The first section that shows an experiment's runs (where its unmatched figures go). */
export function homeSection(sections: ReportSection[], experiment: ExperimentId): ReportSection {
  const home = sections.find((s) => s.experiments.includes(experiment) && s.parts.runs);
  if (!home) throw new Error(`No report section shows the runs of experiment ${experiment}`);
  return home;
}
