/**
 * Comparison tables (e.g. the paper's Table 1): rows cited from the literature as printed,
 * interleaved with rows measured by an experiment's runs (best and mean ± sd over seeds, per
 * profile), each measured row marked met or missed against the paper's value. Pure functions of
 * a declaration's `ComparisonTableSpec` and run records.
 * @module
 */

import {
  type CitedRow,
  type ComparisonTableSpec,
  type MeasuredRow,
  speedClassOf,
} from "../experiments/declaration.ts";
import type { RunRecord } from "../results.ts";
import { accuracyNumber, intervalRange, testCount } from "./accuracy.ts";
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
  /** Test examples behind each number (`accuracy.ts`'s `testCount`; null where unknown). */
  testImages: number[] | null;
  /** The class most runs landed in ("" without speed classes). */
  landed: string;
  /**
   * At the paper profile with fewer seeds than the paper ran (`paperSeeds`): e.g. "1 of the
   * protocol's 2 seeds"; null otherwise.
   */
  seedsShort: string | null;
  /**
   * The cell's runs whose files the current code would not reuse (`outdated`), each "run: why";
   * empty when every run is current.
   */
  outdated: string[];
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
 * order paper, default, smoke. `outdated` (keyed `experiment/run`, each with why) marks the runs
 * whose files the current code would not reuse.
 */
export function measuredCells(
  row: MeasuredRow,
  spec: ComparisonTableSpec,
  runs: readonly RunRecord[],
  outdated: ReadonlyMap<string, string> = new Map(),
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
      const seedsShort = profile === "paper" && spec.paperSeeds && here.length < spec.paperSeeds
        ? `${here.length} of the protocol's ${spec.paperSeeds} seeds`
        : null;
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
        ...(seedsShort ? [`judged on ${seedsShort}`] : []),
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
        testImages: recorded<number>((r) => testCount(r)),
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
        seedsShort,
        outdated: here.flatMap((r) => {
          const why = outdated.get(`${r.experiment}/${r.run}`);
          return why ? [`${r.run}: ${why}`] : [];
        }),
      });
    }
  }
  return out;
}

const pts = (x: number) => (isNum(x) ? (x * 100).toFixed(2) : NA);

/** The words a cell shows when some of its runs are outdated (why on hover), else "". */
export function outdatedLabel(c: MeasuredCell): string {
  if (c.outdated.length === 0) return "";
  const all = c.outdated.length === c.seeds;
  const which = !all
    ? `${c.outdated.length} of ${c.seeds} runs`
    : c.seeds === 1
    ? "its run"
    : c.seeds === 2
    ? "both runs"
    : `all ${c.seeds} runs`;
  return `${which} from an older config: deno task reproduce reruns ${
    c.outdated.length === 1 ? "it" : "them"
  }`;
}

function outdatedHtml(c: MeasuredCell): string {
  const label = outdatedLabel(c);
  return label
    ? `<br><small class="missed" title="${esc(c.outdated.join("; "))}">${esc(label)}</small>`
    : "";
}

/** The fewest test examples behind a cell's numbers (its precision), or null where unknown. */
const fewest = (c: MeasuredCell) => c.testImages ? Math.min(...c.testImages) : null;

/**
 * A cell's accuracy: the best and mean ± sd over several seeds, or one seed's with its binomial
 * 95 % interval; to the precision its test set supports.
 */
function accuracyHtml(c: MeasuredCell): string {
  const n = fewest(c);
  const acc = (x: number) => accuracyNumber(x, n);
  const short = (c.seedsShort ? `<br><small class="missed">${esc(c.seedsShort)}</small>` : "") +
    outdatedHtml(c);
  return (c.seeds === 1
    ? `<strong>${acc(c.best)}</strong> (1 seed${
      n ? `; 95 % interval ${esc(intervalRange(c.best, n)).replace(" %", "")}` : ""
    })`
    : `<strong>${acc(c.best)}</strong> best; ${acc(c.mean)} ± ${acc(c.sd)} over ${c.seeds} seeds`) +
    short;
}

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
    td(3, `${accuracyHtml(c)}${c.data ? ` <small>(${esc(c.data)})</small>` : ""}`)
  }${td(4, steps(c.meanSpikeTime))}${td(5, regime)}${td(6, esc(c.profile))}${
    td(7, `${epochs}${budget}`)
  }${td(8, span(c.testImages, (n) => n.toLocaleString("en-US")))}${
    td(
      9,
      `${verdictBadge(c)} vs ${pts(row.paper)}`,
    )
  }</tr>`;
}

/** One line of a table group: a cited row, a measured cell, or a measured row with no cell here. */
type Line =
  | { kind: "cited"; row: CitedRow }
  | { kind: "measured"; row: MeasuredRow; cell: MeasuredCell; moved: string | null }
  | { kind: "empty"; row: MeasuredRow; elsewhere: boolean };

/**
 * The lines of each group. A measured cell whose runs landed in another speed class than its
 * row's is listed under that class's group (a slow run is never shown as a fast-regime result),
 * saying where it was declared.
 */
function groupLines(
  spec: ComparisonTableSpec,
  runs: readonly RunRecord[],
  outdated: ReadonlyMap<string, string>,
): Line[][] {
  const classOfGroup = spec.groups.map((g) =>
    g.rows.find((r): r is MeasuredRow => r.kind === "measured" && r.speedClass !== undefined)
      ?.speedClass
  );
  const movedTo: Line[][] = spec.groups.map(() => []);
  const stays = new Map<MeasuredRow, MeasuredCell[]>();
  spec.groups.forEach((group, gi) => {
    for (const row of group.rows) {
      if (row.kind !== "measured") continue;
      stays.set(row, []);
      for (const cell of measuredCells(row, spec, runs, outdated)) {
        const target = classOfGroup.indexOf(cell.landed);
        if (
          row.speedClass && cell.landed && cell.landed !== row.speedClass && target >= 0 &&
          target !== gi
        ) {
          movedTo[target].push({ kind: "measured", row, cell, moved: row.speedClass });
        } else stays.get(row)!.push(cell);
      }
    }
  });
  return spec.groups.map((group, gi) => [
    ...group.rows.flatMap((row): Line[] => {
      if (row.kind === "cited") return [{ kind: "cited", row }];
      const cells = stays.get(row)!;
      return cells.length
        ? cells.map((cell) => ({ kind: "measured", row, cell, moved: null }))
        : [{ kind: "empty", row, elsewhere: measuredCells(row, spec, runs).length > 0 }];
    }),
    ...movedTo[gi],
  ]);
}

/** The badge of a cell's verdict (met, missed, below protocol), its reason on hover. */
function verdictBadge(c: MeasuredCell): string {
  const badge = c.verdict === "met"
    ? "status-met"
    : c.verdict === "missed"
    ? "status-missed"
    : "profile-below";
  return `<span class="badge ${badge}" title="${esc(c.why)}">${esc(c.verdict)}</span>`;
}

/**
 * The cited row of the paper's own model that a measured row stands beside (the row before it,
 * same architecture, its model a prefix of the measured one's): the compact table shows its value
 * in the measured row's "paper" column instead of a row of its own.
 */
function ownPaperRows(spec: ComparisonTableSpec): Set<CitedRow> {
  const own = new Set<CitedRow>();
  for (const g of spec.groups) {
    g.rows.forEach((row, i) => {
      const next = g.rows[i + 1];
      if (
        row.kind === "cited" && next?.kind === "measured" &&
        next.architecture === row.architecture && next.model.startsWith(row.model)
      ) own.add(row);
    });
  }
  return own;
}

/**
 * The table for a narrow screen: three columns, the model, the paper's number and ours side by
 * side (the wide table's ten columns would stack into one card per row, the paper's row far from
 * ours). The paper's own rows are folded into the measured rows beside them.
 */
function compactTableHtml(spec: ComparisonTableSpec, lines: Line[][]): string {
  const own = ownPaperRows(spec);
  const model = (m: string, a: string, source = "") =>
    `<th scope="row">${esc(m)} <span class="arch">${esc(a)}</span>${
      source ? `<br><small>${esc(source)}</small>` : ""
    }</th>`;
  const body = spec.groups.flatMap((group, gi) => [
    `<tr class="group"><th colspan="3">${esc(group.title)}</th></tr>`,
    ...lines[gi].flatMap((l) => {
      if (l.kind === "cited") {
        return own.has(l.row) ? [] : [
          `<tr class="c-cited">${model(l.row.model, l.row.architecture, l.row.source)}<td>${
            esc(l.row.value)
          }</td><td class="muted">—</td></tr>`,
        ];
      }
      if (l.kind === "empty") {
        return [
          `<tr class="c-measured">${model(l.row.model, l.row.architecture)}<td>${
            pts(l.row.paper)
          }</td><td class="notrun">${
            l.elsewhere ? "landed in the other regime" : "not run"
          }</td></tr>`,
        ];
      }
      const c = l.cell;
      const epochs = c.epochs
        ? `${span(c.epochs, (e) => (e >= 10 ? e.toFixed(0) : e.toFixed(2)))} ep.`
        : "";
      const detail = [
        `${steps(c.meanSpikeTime)} steps, ${c.landed}`,
        l.moved ? `declared ${l.moved}` : "",
        c.profile,
        epochs,
        c.testImages ? `${span(c.testImages, (n) => n.toLocaleString("en-US"))} images` : "",
      ].filter(Boolean).join(" · ");
      return [
        `<tr class="c-measured">${model(l.row.model, l.row.architecture)}<td>${
          pts(l.row.paper)
        }</td><td>${accuracyHtml(c)} ${verdictBadge(c)}<br><small>${esc(detail)}</small></td></tr>`,
      ];
    }),
  ]);
  return `<div class="table-wrap compact"><table class="comparison-compact">
<caption><strong>${esc(spec.paperFigure)}</strong> — ${esc(spec.title)}</caption>
<thead><tr><th>model</th><th>paper (%)</th><th>this harness (%)</th></tr></thead>
<tbody>${body.join("\n")}</tbody></table></div>`;
}

/**
 * The table as HTML: group headings, cited rows as printed, measured rows per profile (a cell
 * listed under the group of the regime its runs landed in, see {@link groupLines}); and the same
 * numbers in three columns for a narrow screen, where the page shows that one instead.
 */
export function comparisonTableHtml(
  spec: ComparisonTableSpec,
  runs: readonly RunRecord[],
  outdated: ReadonlyMap<string, string> = new Map(),
): string {
  const lines = groupLines(spec, runs, outdated);
  const head = (row: MeasuredRow) =>
    `${td(0, "this harness")}${td(1, esc(row.model))}${td(2, esc(row.architecture))}`;
  const rows: string[] = [];
  spec.groups.forEach((group, gi) => {
    rows.push(`<tr class="group"><th colspan="${COLUMNS.length}">${esc(group.title)}</th></tr>`);
    for (const l of lines[gi]) {
      if (l.kind === "cited") {
        rows.push(
          `<tr class="cited">${td(0, esc(l.row.source))}${td(1, esc(l.row.model))}${
            td(2, esc(l.row.architecture))
          }${td(3, esc(l.row.value))}<td colspan="${
            COLUMNS.length - 4
          }" class="muted">as printed</td></tr>`,
        );
      } else if (l.kind === "empty") {
        rows.push(
          `<tr class="measured">${head(l.row)}${td(3, `${pts(l.row.paper)} (paper)`)}` +
            `<td colspan="${COLUMNS.length - 4}" class="notrun">${
              l.elsewhere
                ? "no run landed in this regime (see the other group)"
                : `not run (runs ${esc(l.row.runs.join(", "))})`
            }</td></tr>`,
        );
      } else rows.push(measuredRowHtml(head(l.row), l.row, l.cell, spec.paperEpochs, l.moved));
    }
  });
  return `<figure class="table"><div class="table-wrap wide"><table class="stack comparison">
<caption><strong>${esc(spec.paperFigure)}</strong> — ${esc(spec.title)}</caption>
<thead><tr>${COLUMNS.map((c) => `<th>${c}</th>`).join("")}</tr></thead>
<tbody>${rows.join("\n")}</tbody></table></div>
${compactTableHtml(spec, lines)}
<figcaption>${esc(spec.caption)}</figcaption></figure>`;
}
