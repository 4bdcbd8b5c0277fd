/**
 * What every grid verdict shares (`GridSpec`): the runs of a grid grouped by seed and profile
 * from their names, and a check judged on the mean over the complete groups of a configuration.
 * Pure functions of run records: the report calls them when it renders.
 * @module
 */
import { type FigureSpec, type RunRecord, type TargetCheck, withinTolerance } from "../results.ts";
import type { GridCheck, GridGroup, TargetSpec } from "./declaration.ts";

/** What may follow a grid run's base name: a seed, a profile, overrides (`-s2@paper+set-…`). */
const SUFFIX = /^(-s(\d+))?(@[a-z]+)?(\+.*)?$/;

/** The runs of one group, by base name (declared order kept in `bases`). */
export interface RunGroup {
  suffix: string;
  seed: number;
  /** The suffix without its seed: groups with the same one are seeds of one configuration. */
  configKey: string;
  label: string;
  byBase: Map<string, RunRecord>;
  missing: string[];
}

/**
 * Groups the finished (not failed) records named `base + suffix` by suffix, for the declared base
 * names `bases`; groups sorted by configuration, then seed. The records' order does not matter.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupGrid } from "./_grid.ts";
 * const rec = (run: string) => ({ run, status: "met" }) as never;
 * const g = groupGrid([rec("a-s2"), rec("b"), rec("a"), rec("a.1")], ["a", "b"]);
 * assert.deepEqual(g.map((x) => [x.suffix, [...x.byBase.keys()], x.missing]), [
 *   ["", ["a", "b"], []],
 *   ["-s2", ["a"], ["b-s2"]],
 * ]);
 * ```
 */
export function groupGrid(records: readonly RunRecord[], bases: readonly string[]): RunGroup[] {
  const groups = new Map<string, RunGroup>();
  // Longest base first, so "rc-b0.1" is never read as "rc-b0" with a suffix.
  const longest = [...bases].sort((a, b) => b.length - a.length);
  for (const r of records) {
    if (r.status === "failed") continue;
    const base = longest.find((b) => r.run.startsWith(b) && SUFFIX.test(r.run.slice(b.length)));
    if (base === undefined) continue;
    const suffix = r.run.slice(base.length);
    const m = SUFFIX.exec(suffix)!;
    let g = groups.get(suffix);
    if (!g) {
      const seed = m[2] ? Number(m[2]) : 1;
      const configKey = (m[3] ?? "") + (m[4] ?? "");
      g = {
        suffix,
        seed,
        configKey,
        label: `seed ${seed}${configKey ? ` ${configKey}` : ""}`,
        byBase: new Map(),
        missing: [],
      };
      groups.set(suffix, g);
    }
    g.byBase.set(base, r);
  }
  const out = [...groups.values()].sort((a, b) =>
    a.configKey.localeCompare(b.configKey) || a.seed - b.seed
  );
  for (const g of out) {
    const found = new Map(g.byBase);
    g.byBase = new Map(bases.filter((b) => found.has(b)).map((b) => [b, found.get(b)!]));
    g.missing = bases.filter((b) => !found.has(b)).map((b) => b + g.suffix);
  }
  return out;
}

/** The share of EOS's backward steps from which an RC run is RC in name only (`rcDegenerate`). */
export const DEGENERATE_SHARE = 0.95;

/**
 * Why an RC run is RC only in name, or null: its training ran at least 95 % of the backward steps
 * EOS-training would (`compute.train.backwardSteps` against `eosSteps`), i.e. hardly any training
 * example spiked before the last step, so its training was EOS-training (bit for bit when none
 * did). Such a run is named in its card and kept out of RC-vs-EOS comparisons.
 */
export function rcDegenerate(r: RunRecord): string | null {
  const t = r.method === "rc" ? r.compute?.train : undefined;
  if (!t || !Number.isFinite(t.backwardSteps) || !Number.isFinite(t.eosSteps) || t.eosSteps <= 0) {
    return null;
  }
  const share = t.backwardSteps / t.eosSteps;
  if (share < DEGENERATE_SHARE) return null;
  return share >= 1
    ? "never spiked in training: RC = EOS here"
    : `spiked early in ${(100 * (1 - share)).toFixed(1)} % of training's steps only: RC ≈ EOS here`;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: readonly number[]) => {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

/** A grid check is declared as a `TargetSpec`, its measure read from each group's `measured`. */
export type GridCheckSpec = TargetSpec;

/** A group of the page from a group of runs: its runs, those missing, its numbers and figures. */
export function gridGroup(
  g: RunGroup,
  measured: Record<string, number>,
  figures: FigureSpec[],
): GridGroup & { configKey: string } {
  return {
    label: g.label,
    suffix: g.suffix,
    configKey: g.configKey,
    runs: [...g.byBase.values()].map((r) => r.run),
    missing: g.missing,
    measured,
    figures,
  };
}

/**
 * One check per configuration: the mean of `spec.measure` over the groups of that configuration
 * that measured it, judged against the tolerance. A configuration none of whose groups measured it
 * gets the check "not measured", with the reason each group gives (`whyNot`).
 */
export function judgeGrid(
  spec: GridCheckSpec,
  groups: readonly (GridGroup & { configKey: string })[],
  whyNot: (g: GridGroup) => string,
): GridCheck[] {
  const configs = [...new Set(groups.map((g) => g.configKey))];
  return configs.map((key) => {
    const mine = groups.filter((g) => g.configKey === key);
    const done = mine.filter((g) => Number.isFinite(g.measured[spec.measure]));
    const where = key ? ` (${key})` : "";
    const base = {
      name: spec.name,
      paper: spec.paper,
      tolerance: spec.tolerance,
      unit: spec.unit,
      why: spec.why,
      ...(spec.claim ? { claim: spec.claim } : {}),
    };
    if (!done.length) {
      return {
        ...base,
        measured: null,
        met: false,
        over: `no group${where}`,
        notMeasured: mine.map((g) => `${g.label}: ${whyNot(g)}`).join("; "),
      };
    }
    const values = done.map((g) => g.measured[spec.measure]);
    const m = mean(values);
    const s = sd(values);
    const left = mine.filter((g) => !done.includes(g)).map((g) => g.label);
    return {
      ...base,
      measured: m,
      met: withinTolerance(m, spec.paper, spec.tolerance),
      over: `mean of ${done.length} seed${done.length > 1 ? "s" : ""}${where}: ` +
        done.map((g, i) => `${g.label} ${fmt(values[i], spec.unit)}`).join(", ") +
        (Number.isFinite(s) ? `; sd ${fmt(s, spec.unit)}` : "") +
        (left.length ? `; not measured in ${left.join(", ")}` : ""),
    };
  });
}

function fmt(x: number, unit: TargetCheck["unit"]): string {
  return unit === "fraction" ? `${(100 * x).toFixed(2)} %` : x.toFixed(unit === "ms" ? 0 : 3);
}
