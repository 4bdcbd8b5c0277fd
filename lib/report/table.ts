/**
 * Comparison tables (e.g. the paper's Table 1): rows cited from the literature as printed,
 * interleaved with rows measured by an experiment's runs (best and mean ± sd over seeds, per
 * profile), each measured row marked met or missed against the paper's value. Pure functions of
 * a declaration's `ComparisonTableSpec` and run records.
 * @module
 */

import {
  type ComparisonTableSpec,
  type MeasuredRow,
  speedClassOf,
} from "../experiments/declaration.ts";
import type { RunRecord } from "../results.ts";
import { esc, isNum, NA, steps } from "./format.ts";

/** A run's base name: without its profile (`@paper`) and override (`+beta=0.2`) suffixes. */
export function baseRunName(run: string): string {
  return run.replace(/[@+].*$/, "");
}

/** What the report shows for one measured row at one profile. */
export interface MeasuredCell {
  profile: string;
  seeds: number;
  /** Best and mean ± sd (sample sd; 0 for one run) of the measure over the runs. */
  best: number;
  mean: number;
  sd: number;
  /** Mean spike step, mean over the runs. */
  meanSpikeTime: number;
  /** Speed class of each run, in run order. */
  classes: string[];
  /** "met" / "missed" at the paper profile; "below protocol" elsewhere. */
  verdict: "met" | "missed" | "below protocol";
  /** Why the verdict (tolerance, or the class a run landed in). */
  why: string;
  /** Data set name of the runs (cells never mix data sets). */
  data: string;
  /** Training epochs of the runs (from `metrics.extra.epochs`; null when not recorded). */
  epochs: number[] | null;
  /** Test examples behind each number (`config.testSize`; null when not recorded). */
  testImages: number[] | null;
  /** The class most runs landed in ("" without speed classes). */
  landed: string;
}

/** Mean and sample standard deviation (0 for a single value). */
export function meanSd(values: readonly number[]): { mean: number; sd: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd };
}

/**
 * The cells of a measured row: its runs (finished, by base name), one cell per profile in the
 * order paper, default, smoke.
 */
export function measuredCells(
  row: MeasuredRow,
  spec: ComparisonTableSpec,
  runs: readonly RunRecord[],
): MeasuredCell[] {
  const mine = runs.filter((r) =>
    row.runs.includes(baseRunName(r.run)) && r.status !== "failed" &&
    isNum(r.metrics?.[spec.measure])
  );
  const out: MeasuredCell[] = [];
  // One cell per profile, data set and config (seed aside): runs on another data set (e.g.
  // Fashion-MNIST) or with another budget (an older default profile's) never mix in one mean.
  const groupOf = (r: RunRecord) => {
    const { seed: _, ...config } = (r.config ?? {}) as Record<string, unknown>;
    return `${r.data?.name ?? ""}|${JSON.stringify(config)}`;
  };
  const groups = [...new Set(mine.map(groupOf))];
  for (const profile of ["paper", "default", "smoke"]) {
    for (const group of groups) {
      const here = mine.filter((r) => r.profile === profile && groupOf(r) === group);
      if (here.length === 0) continue;
      const dataName = here[0].data?.name ?? "";
      const values = here.map((r) => r.metrics[spec.measure] as number);
      const { mean, sd } = meanSd(values);
      const best = Math.max(...values);
      const classes = here.map((r) =>
        speedClassOf(r.metrics.meanSpikeTime, spec.speedClasses ?? [])
      );
      // One rule for seeds, as the run cards: the seeds' mean is judged, and every seed must land
      // in the row's regime; the top of the seeds (the paper's "top of two") is shown beside it.
      const offClass = here.filter((_, i) =>
        row.speedClass !== undefined && classes[i] !== row.speedClass
      );
      const inClass = offClass.length === 0;
      const within = Math.abs(mean - row.paper) <= row.tolerance;
      const verdict = profile !== "paper" ? "below protocol" : within && inClass ? "met" : "missed";
      const why = [
        `mean ${((mean - row.paper) * 100).toFixed(2)} points from the paper (tolerance ±${
          (row.tolerance * 100).toFixed(1)
        }; top ${((best - row.paper) * 100).toFixed(2)})`,
        ...(inClass ? [] : [
          `${offClass.map((r) => r.run).join(", ")} landed outside "${row.speedClass}"`,
        ]),
        ...(profile !== "paper"
          ? [`profile ${profile}: the paper's protocol is the paper profile`]
          : []),
      ].join("; ");
      const recorded = <T>(f: (r: RunRecord) => unknown) => {
        const v = here.map(f);
        return v.every(isNum) ? v as T[] : null;
      };
      const counts = new Map<string, number>();
      for (const c of classes) counts.set(c, (counts.get(c) ?? 0) + 1);
      const landed = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "";
      out.push({
        profile,
        epochs: recorded<number>((r) => r.metrics.extra?.epochs),
        testImages: recorded<number>((r) => (r.config as Record<string, unknown>)?.testSize),
        landed,
        seeds: here.length,
        best,
        mean,
        sd,
        meanSpikeTime: meanSd(here.map((r) => r.metrics.meanSpikeTime)).mean,
        classes,
        verdict,
        why,
        data: dataName,
      });
    }
  }
  return out;
}

const pts = (x: number) => (isNum(x) ? (x * 100).toFixed(2) : NA);

/** Column names, also each cell's `data-label` (shown before it when a narrow screen stacks rows). */
const COLUMNS = [
  "source",
  "model",
  "architecture",
  "accuracy (%)",
  "mean spike step",
  "regime",
  "profile",
  "epochs",
  "test images",
  "vs paper",
];
const td = (i: number, html: string, attrs = "") =>
  `<td data-label="${COLUMNS[i]}"${attrs ? ` ${attrs}` : ""}><div class="v">${html}</div></td>`;

const span = (values: number[] | null, f: (x: number) => string) => {
  if (!values) return NA;
  const lo = Math.min(...values), hi = Math.max(...values);
  return lo === hi ? f(lo) : `${f(lo)}-${f(hi)}`;
};

/** One measured cell as a table row; `moved` names the group the row was declared in. */
function measuredRowHtml(
  head: string,
  row: MeasuredRow,
  c: MeasuredCell,
  paperEpochs: number | undefined,
  moved: string | null,
): string {
  const badge = c.verdict === "met"
    ? "status-met"
    : c.verdict === "missed"
    ? "status-missed"
    : "profile-below";
  const epochs = span(c.epochs, (e) => (e >= 10 ? e.toFixed(0) : e.toFixed(2)));
  const budget = c.epochs && paperEpochs
    ? ` <small>(${
      span(c.epochs, (e) => `${((100 * e) / paperEpochs).toFixed(e >= 5 ? 0 : 1)}`)
    } % of the paper's ${paperEpochs})</small>`
    : "";
  const regime = `${esc(c.classes.join(", "))}${
    moved
      ? `<br><small class="missed">declared ${esc(moved)}; landed ${
        esc(c.landed)
      }: listed here</small>`
      : ""
  }`;
  return `<tr class="measured">${head}${
    td(
      3,
      `<strong>${pts(c.best)}</strong>${
        // One seed has no spread to show.
        c.seeds === 1
          ? " (1 seed)"
          : ` best; ${pts(c.mean)} ± ${pts(c.sd)} over ${c.seeds} seeds`}${
        c.data ? ` <small>(${esc(c.data)})</small>` : ""
      }`,
    )
  }${td(4, steps(c.meanSpikeTime))}${td(5, regime)}${td(6, esc(c.profile))}${
    td(7, `${epochs}${budget}`)
  }${td(8, span(c.testImages, (n) => n.toLocaleString("en-US")))}${
    td(
      9,
      `<span class="badge ${badge}" title="${esc(c.why)}">${esc(c.verdict)}</span> vs ${
        pts(row.paper)
      }`,
    )
  }</tr>`;
}

/**
 * The table as HTML: group headings, cited rows as printed, measured rows per profile. A measured
 * cell whose runs landed in another speed class than its row's is listed under that class's group
 * (a slow run is never shown as a fast-regime result), saying where it was declared.
 */
export function comparisonTableHtml(
  spec: ComparisonTableSpec,
  runs: readonly RunRecord[],
): string {
  const classOfGroup = spec.groups.map((g) =>
    g.rows.find((r): r is MeasuredRow => r.kind === "measured" && r.speedClass !== undefined)
      ?.speedClass
  );
  const head = (row: MeasuredRow) =>
    `${td(0, "this harness")}${td(1, esc(row.model))}${td(2, esc(row.architecture))}`;
  const movedTo: string[][] = spec.groups.map(() => []);
  const stays = new Map<MeasuredRow, MeasuredCell[]>();
  spec.groups.forEach((group, gi) => {
    for (const row of group.rows) {
      if (row.kind !== "measured") continue;
      const cells = measuredCells(row, spec, runs);
      stays.set(row, []);
      for (const c of cells) {
        const target = classOfGroup.indexOf(c.landed);
        if (
          row.speedClass && c.landed && c.landed !== row.speedClass && target >= 0 && target !== gi
        ) {
          movedTo[target].push(
            measuredRowHtml(head(row), row, c, spec.paperEpochs, row.speedClass),
          );
        } else stays.get(row)!.push(c);
      }
    }
  });
  const rows: string[] = [];
  spec.groups.forEach((group, gi) => {
    rows.push(`<tr class="group"><th colspan="${COLUMNS.length}">${esc(group.title)}</th></tr>`);
    for (const row of group.rows) {
      if (row.kind === "cited") {
        rows.push(
          `<tr class="cited">${td(0, esc(row.source))}${td(1, esc(row.model))}${
            td(2, esc(row.architecture))
          }${td(3, esc(row.value))}<td colspan="${
            COLUMNS.length - 4
          }" class="muted">as printed</td></tr>`,
        );
        continue;
      }
      const cells = stays.get(row)!;
      if (cells.length === 0) {
        const elsewhere = measuredCells(row, spec, runs).length > 0;
        rows.push(
          `<tr class="measured">${head(row)}${td(3, `${pts(row.paper)} (paper)`)}` +
            `<td colspan="${COLUMNS.length - 4}" class="notrun">${
              elsewhere
                ? "no run landed in this regime (see the other group)"
                : `not run (runs ${esc(row.runs.join(", "))})`
            }</td></tr>`,
        );
        continue;
      }
      for (const c of cells) rows.push(measuredRowHtml(head(row), row, c, spec.paperEpochs, null));
    }
    rows.push(...movedTo[gi]);
  });
  return `<figure class="table"><div class="table-wrap"><table class="stack comparison">
<caption><strong>${esc(spec.paperFigure)}</strong> — ${esc(spec.title)}</caption>
<thead><tr>${COLUMNS.map((c) => `<th>${c}</th>`).join("")}</tr></thead>
<tbody>${rows.join("\n")}</tbody></table></div>
<figcaption>${esc(spec.caption)}</figcaption></figure>`;
}
