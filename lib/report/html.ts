/**
 * The HTML report: one self-contained file (Chart.js, `assets/report.css` and
 * `assets/report.client.js` inlined, no requests), a pure function of run records. Sections follow
 * the paper's order (`sections.ts`); each opens with a reading generated from its runs
 * (`reading.ts`).
 * @module
 */

import {
  canonicalJson,
  type ExperimentId,
  type FigureSpec,
  type RunRecord,
  type TargetCheck,
  withinTolerance,
} from "../results.ts";
import type { FigureView, MetricLabel } from "../experiments/declaration.ts";
import { parseOverrideDeviation } from "../experiments/overrides.ts";
import { asset } from "./assets.ts";
import { type BenchSummary, formatNs } from "./bench.ts";
import {
  accuracyCurveChart,
  bandedRuns,
  type ChartConfig,
  figureChart,
  hasSpikeTimePercentiles,
  sharedScale,
  spikeTimeCurveChart,
  tradeoffChart,
} from "./charts.ts";
import { chartJsVersion } from "./chartjs.ts";
import {
  compareFigureLabels,
  count,
  esc,
  extraValue,
  gitShort,
  humanise,
  inMetricUnit,
  inUnit,
  isNum,
  NA,
  pct,
  ratio,
  scriptJson,
  secs,
  slug,
  steps,
  tolerance,
} from "./format.ts";
import {
  curvesReading,
  runsReading,
  savingsReading,
  selectionReading,
  tradeoffReading,
} from "./reading.ts";
import {
  type Comparison,
  computeSavings,
  type PhaseSavings,
  type PhaseSpread,
  rcDegenerate,
  type SavingsRow,
  type SeedSpread,
  seedSummaries,
  type SeedSummary,
} from "./savings.ts";
import { isFirstSeed, seedKey, seedsOf, seedStats, selectionOf } from "./select.ts";
import { comparisonTableHtml } from "./table.ts";
import {
  commandFor,
  type ExperimentInfo,
  figureKey,
  homeSection,
  type ReportSection,
  reportSections,
} from "./sections.ts";
import { experimentStatus } from "./summary.ts";
import { headlineHtml, type SiblingPage } from "./headline.ts";
import { wilson } from "./format.ts";
import { judgedStatus } from "../results.ts";

/** Inputs of the report besides the run records. */
export interface RenderOptions {
  /** Latest benchmark results, if any. */
  bench?: BenchSummary | null;
  /** When the report was generated (ISO 8601); shown, never computed here. */
  generatedAt: string;
  /** Text of Chart.js's `dist/chart.umd.js`, inlined into the page. */
  chartJs: string;
  /** The experiments' declarations (report-facing data), in the paper's order. */
  experiments: readonly ExperimentInfo[];
  /** Other report pages beside this one (a GPU's), linked from the first screen. */
  siblings?: readonly SiblingPage[];
}

/** What every part of the page reads: sections, declarations, records and the charts so far. */
interface Page {
  sections: ReportSection[];
  experiments: readonly ExperimentInfo[];
  info(id: ExperimentId): ExperimentInfo | undefined;
  charts: Charts;
  records: RunRecord[];
  /** The backend every run of the page used, if they all used one. */
  backend?: string;
}

/** The deviation added to every run that ran on a software WebGPU adapter. */
export const SOFTWARE_ADAPTER_DEVIATION = "software adapter: timings not representative of a GPU";

/** Whether the run computed on a software WebGPU adapter (not merely had one on the machine). */
export function ranOnSoftwareAdapter(r: RunRecord): boolean {
  return r.environment?.backend === "webgpu" && Boolean(r.environment.adapter?.isFallbackAdapter);
}

/**
 * Every deviation of a run: its own, plus one for a software adapter unless its own already say
 * so (records since the adapter's deviation was recorded do).
 */
export function runDeviations(r: RunRecord): string[] {
  const own = r.deviations ?? [];
  const said = own.some((d) => /^software (WebGPU )?adapter\b/.test(d));
  return ranOnSoftwareAdapter(r) && r.environment.adapter && !said
    ? [
      `${SOFTWARE_ADAPTER_DEVIATION} (${r.environment.adapter.description || "unnamed adapter"})`,
      ...own,
    ]
    : own;
}

/** The deviations an experiment declares for all its runs, its model selection's included. */
export function declaredDeviations(info: ExperimentInfo | undefined): string[] {
  if (!info) return [];
  const sel = info.selection?.deviation;
  return [...(sel ? [`model selection: ${sel}`] : []), ...(info.deviations ?? [])];
}

/** Where a run's file is, relative to the report: `runs/<experiment>/<run>.json`. */
export function runFileHref(r: Pick<RunRecord, "experiment" | "run">): string {
  return `runs/${encodeURIComponent(r.experiment)}/${encodeURIComponent(r.run)}.json`;
}

/** The machine a run computed on, in words: the GPU adapter it used, else the CPU. */
export function machineOf(r: RunRecord): string {
  const e = r.environment;
  if (!e) return "unknown machine";
  const cpus = `${e.cpuCount} CPU core${e.cpuCount === 1 ? "" : "s"}`;
  if (e.backend === "webgpu" && e.adapter) {
    return `${e.adapter.description || "unnamed GPU adapter"}${
      e.adapter.isFallbackAdapter ? " (software adapter)" : ""
    }, ${cpus}`;
  }
  return `${cpus} (${e.os})`;
}

/** Collects the charts of a page; each canvas refers to its config by index. */
class Charts {
  readonly configs: ChartConfig[] = [];
  canvas(config: ChartConfig, label: string, tall = false): string {
    const i = this.configs.push(config) - 1;
    return `<div class="chart${tall ? " tall" : ""}"><canvas data-chart="${i}" role="img" ` +
      `aria-label="${esc(label)}"></canvas></div>`;
  }
}

const badge = (text: string, kind: string, title = "") =>
  `<span class="badge ${esc(kind)}"${title ? ` title="${esc(title)}"` : ""}>${esc(text)}</span>`;
const statusBadge = (s: string) => badge(s, `status-${slug(s)}`);
/** A run below the paper's protocol: a reduced profile that listed its reductions as deviations. */
const belowProtocol = (r: RunRecord) =>
  r.profile !== "paper" && (r.deviations ?? []).some((d) => d.startsWith(`profile "${r.profile}"`));
/** The profile badge; `deviations` counts every deviation of the run (its own and declared). */
function profileBadge(r: RunRecord, deviations: number): string {
  if (belowProtocol(r)) {
    return badge(`profile: ${r.profile} — below the paper's protocol`, "profile-below");
  }
  const base = r.profile === "paper"
    ? "profile: paper"
    : `profile: ${r.profile} — the paper's protocol`;
  return deviations
    ? badge(`${base}, with ${deviations} deviation${deviations === 1 ? "" : "s"}`, "profile-below")
    : badge(base, "profile-paper");
}
const num = (text: string) => `<span class="num">${esc(text)}</span>`;
/** A table of two columns (names and values) or any table that reads at every width as is. */
const table = (head: string[] | null, rows: string[], cls = "") =>
  `<div class="table-wrap"><table${cls ? ` class="${cls}"` : ""}>${
    head ? `<thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead>` : ""
  }<tbody>${rows.join("")}</tbody></table></div>`;

/** A deviation as HTML: a `--set` override's key and value as code (they are config names). */
function deviationHtml(d: string): string {
  const o = parseOverrideDeviation(d);
  return o
    ? `config override: <code>${esc(o.key)} = ${esc(o.value)}</code> (paper: ${esc(o.paper)})`
    : esc(d);
}

/** A row of a stacked table: cells (HTML), a group heading, or a note across the row. */
type Row = { cells: string[]; cls?: string } | { group: string } | { note: string };

/**
 * A table that becomes one card per row on a narrow screen: every cell carries its column's
 * name (`data-label`), shown before the value when the header row is hidden.
 */
function stackTable(head: string[], rows: Row[], cls: string): string {
  const plain = head.map((h) => h.replace(/<[^>]*>/g, "").trim());
  const body = rows.map((r) => {
    if ("group" in r) return `<tr class="group"><th colspan="${head.length}">${r.group}</th></tr>`;
    if ("note" in r) return `<tr class="note-row"><td colspan="${head.length}">${r.note}</td></tr>`;
    return `<tr${r.cls ? ` class="${r.cls}"` : ""}>${
      r.cells.map((c, i) =>
        `<td data-label="${esc(plain[i] ?? "")}"><div class="v">${c}</div></td>`
      )
        .join("")
    }</tr>`;
  });
  return `<div class="table-wrap"><table class="stack ${cls}"><thead><tr>${
    head.map((h) => `<th>${h}</th>`).join("")
  }</tr></thead><tbody>${body.join("")}</tbody></table></div>`;
}

const runAnchor = (r: RunRecord) => `run-${slug(r.experiment)}-${slug(r.run)}`;
const runFileLink = (r: RunRecord) =>
  `<a class="runfile" href="${esc(runFileHref(r))}">run file</a>`;

function dataOf(runs: RunRecord[]): string {
  return [...new Set(runs.map((r) => r.data?.name ?? "unknown"))].join(", ");
}

/** Why a check's tolerance: from the record, else from the experiment's declared target. */
/**
 * The paper's claim in words where a check's `paper` number is not printed by the paper (our bound
 * or reading): from the declared target of that name, or the experiment's `claims`.
 */
export function claimOf(c: { name: string }, info?: ExperimentInfo): string | null {
  const declared = [...(info?.targets?.rc.checks ?? []), ...(info?.targets?.eos.checks ?? [])]
    .find((t) => t.name === c.name)?.claim;
  return declared ?? info?.claims?.find((x) => c.name.startsWith(x.check))?.claim ?? null;
}

function checkWhy(r: RunRecord, c: { name: string; why?: string }, info?: ExperimentInfo) {
  return c.why ?? info?.targets?.[r.method]?.checks.find((t) => t.name === c.name)?.why;
}

/** Numbers the harness records about itself (memory), shown with provenance, not as results. */
const DIAGNOSTICS: Record<string, MetricLabel> = {
  liveTensorsFirstValidation: { label: "live tensors, first validation", unit: "count" },
  liveTensorsLastValidation: { label: "live tensors, last validation", unit: "count" },
  peakRssMiB: { label: "peak resident memory (MiB)", unit: "number" },
};

/** The label of an extra metric: declared (`*` matches anything), a diagnostic, or its words. */
export function metricLabel(key: string, info?: ExperimentInfo): MetricLabel & { key: string } {
  for (const [pattern, label] of Object.entries(info?.metricLabels ?? {})) {
    const re = new RegExp(
      `^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`,
    );
    if (re.test(key)) return { key, ...label };
  }
  if (DIAGNOSTICS[key]) return { key, ...DIAGNOSTICS[key], show: "provenance" };
  return { key, label: humanise(key), unit: "number" };
}

function metricText(key: string, v: number, label: MetricLabel): string {
  return label.unit === "number" && label.label === humanise(key)
    ? extraValue(key, v)
    : inMetricUnit(v, label.unit);
}

/** How the weights were picked, in words, from the recorded rule. */
function ruleWords(rule: string): string {
  return rule === "last"
    ? "the final weights (end of training)"
    : rule === "eos"
    ? "the best validation accuracy read at the last step"
    : "the best validation RC-inference accuracy";
}

/** The model-selection note of a run card: rule, paper, deviation, final weights' numbers. */
function selectionBlock(r: RunRecord, info?: ExperimentInfo): string {
  const s = selectionOf(r);
  if (!s.selected) return "";
  const spec = info?.selection;
  const total = s.final ? ` of ${count(s.final.batch)}` : "";
  const v = (r.config as Record<string, unknown>)?.validationSize;
  const valSize = isNum(v) ? ` (${count(v)} examples)` : "";
  // Beside the weights evaluated: the final ones, or (when the final ones are evaluated) those
  // of the best validation RC-inference accuracy, the rule the paper states for some tasks.
  const rows: [string, NonNullable<typeof s.selected>][] = [["Weights evaluated", s.selected]];
  if (s.differs && s.final) rows.push(["Final weights", s.final]);
  if (s.rule === "last" && s.bestSpiking && s.bestSpiking !== s.selected) {
    rows.push(["Best validation RC-inference accuracy (not evaluated)", s.bestSpiking]);
  }
  return `<div class="selection"><p><strong>Model selection:</strong> ${
    esc(ruleWords(s.rule))
  } — batch ${count(s.selected.batch)}${total}.${
    spec?.deviation ? ` ${badge("deviation", "warn", spec.deviation)}` : ""
  }${spec ? ` Paper: ${esc(spec.paper)}.` : ""}</p>${
    rows.length > 1
      ? stackTable(
        [
          `Validation${esc(valSize)}`,
          "Batch",
          "RC-inference accuracy",
          "Mean first-spike step",
          "Accuracy at the last step",
        ],
        rows.map(([name, q]) => ({
          cells: [
            esc(name),
            num(count(q.batch)),
            num(pct(q.spikingAccuracy)),
            num(steps(q.meanSpikeTime)),
            num(pct(q.eosAccuracy)),
          ],
        })),
        "selection",
      )
      : ""
  }</div>`;
}

/** A run's target description without a leading "Paper Sec. 3.1:" (the section names it once). */
function targetText(description: string): string {
  return description.replace(/^Paper\s+[^:]{1,40}:\s*/, "");
}

/** The test examples behind a run's test accuracy: `config.testSize`, else the inference count. */
function testCount(r: RunRecord): number | null {
  const size = (r.config as Record<string, unknown> | undefined)?.testSize;
  if (isNum(size) && size > 0) return size;
  const n = r.compute?.inference?.examples;
  return isNum(n) && n > 0 ? n : null;
}

/** "95 % interval a-b % (n = N)" for an accuracy on N examples (Wilson's score interval). */
export function intervalText(p: number, n: number | null): string {
  if (!isNum(p) || !n) return "";
  const { lo, hi } = wilson(p, n);
  return `95 % interval ${(100 * lo).toFixed(1)}-${(100 * hi).toFixed(1)} % (n = ${
    n.toLocaleString("en-US")
  })`;
}

function runCard(r: RunRecord, info: ExperimentInfo | undefined, all: RunRecord[]): string {
  const m = r.metrics ?? ({} as Partial<RunRecord["metrics"]>);
  const tile = (label: string, value: string, hint = "") =>
    `<div><dt>${esc(label)}</dt><dd>${num(value)}${
      hint ? ` <small>${hint}</small>` : ""
    }</dd></div>`;
  const seeds = (
    value: (x: RunRecord) => number | null | undefined,
    fmt: (x: number) => string,
    unit = "",
  ) => {
    const st = seedStats(r, all, value);
    if (!st) return "";
    return st.seeds >= 2
      ? esc(`mean ± sd over ${st.seeds} seeds: ${fmt(st.mean)} ± ${fmt(st.sd)}${unit}`)
      : "1 seed";
  };
  const sel = selectionOf(r);
  const selHint = sel.selected
    ? ` · ${sel.rule === "last" ? "final weights" : "best-validation weights"}${
      info?.selection?.deviation ? " " + badge("deviation", "warn", info.selection.deviation) : ""
    }`
    : "";
  const extras = Object.entries(m.extra ?? {}).map(([k, v]) => ({ k, v, l: metricLabel(k, info) }))
    .filter(({ l }) => (l.show ?? "card") === "card")
    .map(({ k, v, l }) =>
      tile(l.label.charAt(0).toUpperCase() + l.label.slice(1), metricText(k, v, l))
    );
  const checks = r.target?.checks ?? [];
  // With two or more seeds, each check is also judged on the seeds' mean (issue: the spread, not
  // one draw, is what a tolerance should be read against).
  const seedCheck = (c: TargetCheck) => {
    const st = seedStats(r, all, (o) => o.target?.checks.find((x) => x.name === c.name)?.measured);
    if (!st || st.seeds < 2) return "";
    const met = withinTolerance(st.mean, c.paper, c.tolerance);
    return `${met ? badge("met", "status-met") : badge("missed", "status-missed")} ${
      num(`${inUnit(st.mean, c.unit)} ± ${inUnit(st.sd, c.unit)}`)
    } <small>(${st.seeds} seeds)</small>`;
  };
  const withSeeds = seedsOf(r, all).filter((o) => o.status !== "failed").length >= 2;
  const checkRows: Row[] = checks.map((c) => {
    const why = checkWhy(r, c, info);
    const claim = claimOf(c, info);
    return {
      cells: [
        c.met ? badge("met", "status-met") : badge("missed", "status-missed"),
        `${esc(c.name)}${why ? `<br><small>${esc(why)}</small>` : ""}`,
        // A number the paper does not print never stands in its column: its words do.
        claim ? `<small class="claim">claim: ${esc(claim)}</small>` : num(inUnit(c.paper, c.unit)),
        num(inUnit(c.measured, c.unit)),
        ...(withSeeds ? [seedCheck(c)] : []),
        // An abs tolerance is around the paper's value; for a claim that value is ours: say it.
        num(
          claim && c.tolerance?.kind === "abs"
            ? `${inUnit(c.paper, c.unit)} ${tolerance(c.tolerance, c.unit)}`
            : tolerance(c.tolerance, c.unit),
        ),
      ],
    };
  });
  const own = runDeviations(r);
  const degenerate = rcDegenerate(r);
  const declared = declaredDeviations(info);
  const devCount = own.length + declared.length;
  const pctFmt = (x: number) => (x * 100).toFixed(2);
  return `<article class="run" id="${runAnchor(r)}">
<h4>${esc(r.title ?? r.run)} <code>${esc(r.run)}</code> ${runFileLink(r)}</h4>
<p class="badges">${statusBadge(judgedStatus(r))}${
    degenerate ? ` ${badge(degenerate, "status-missed")}` : ""
  } ${badge(r.method.toUpperCase(), `method-${r.method}`)} ${profileBadge(r, devCount)} ${
    badge(`data: ${r.data?.name ?? "unknown"}`, "data")
  } ${badge(`seed ${r.seed ?? NA}`, "data")}${
    r.overrides && Object.keys(r.overrides).length ? " " + badge("config overridden", "warn") : ""
  }${ranOnSoftwareAdapter(r) ? " " + badge("software adapter", "warn") : ""}</p>
${
    r.status === "failed"
      ? `<pre class="error">${esc(r.error ?? "failed without a message")}</pre>`
      : ""
  }
<dl class="metrics">
${
    tile(
      `Test accuracy, RC-inference${isNum(m.threshold) ? ` (θ = ${m.threshold})` : ""}`,
      pct(m.testAccuracy),
      [
        intervalText(m.testAccuracy, testCount(r)),
        seeds((x) => x.metrics?.testAccuracy, pctFmt, " %"),
      ]
        .filter(Boolean).join(" · ") + selHint,
    )
  }
${
    tile(
      "Mean first-spike step",
      steps(m.meanSpikeTime),
      (isNum(m.numSteps) ? `of ${m.numSteps}` : "") +
        (seedsOf(r, all).length > 1
          ? ` · ${seeds((x) => x.metrics?.meanSpikeTime, (x) => x.toFixed(2), " steps")}`
          : ""),
    )
  }
${tile("Examples that spiked", pct(m.fractionFired))}
${tile("Accuracy read at the last step (EOS)", pct(m.eosAccuracy))}
${extras.join("\n")}
</dl>
${selectionBlock(r, info)}
${
    r.target?.description
      ? `<p class="target">Paper: ${esc(targetText(r.target.description))}</p>`
      : ""
  }
${
    checks.length
      ? stackTable(
        [
          "",
          "Check",
          "Paper (as printed)",
          "Ours",
          ...(withSeeds ? ["Mean over seeds"] : []),
          "Target",
        ],
        checkRows,
        "checks",
      )
      : '<p class="muted">No target checks declared.</p>'
  }
<div class="deviations${devCount ? "" : " none"}"><strong>Deviations from the paper (${devCount})${
    devCount ? ":" : ""
  }</strong>${devCount ? "" : " none recorded."}${
    own.length ? `<ul>${own.map((d) => `<li>${deviationHtml(d)}</li>`).join("")}</ul>` : ""
  }${
    declared.length
      ? `<p class="declared-ref">${own.length ? "and " : ""}${declared.length} declared for ${
        esc(r.experiment)
      }: <a href="#declared-${slug(r.experiment)}">listed under the runs</a>.</p>`
      : ""
  }</div>
</article>`;
}

/** The class of a saving: only a positive one is good. */
const savingClass = (x: number | null) =>
  !isNum(x) ? "na" : x > 0.00005 ? "good" : x < -0.00005 ? "bad" : "zero";
const saving = (x: number | null) => `<span class="saving ${savingClass(x)}">${esc(pct(x))}</span>`;

/** Whether the FLOP saving says something the step saving does not (more than 0.05 points off). */
function flopsDiffer(p: PhaseSavings | null): boolean {
  return Boolean(
    p && isNum(p.flops.saving) && isNum(p.stepSaving) &&
      Math.abs(p.flops.saving - p.stepSaving) > 0.0005,
  );
}

function stepsOf(p: PhaseSavings, phase: "train" | "inference"): Comparison {
  return phase === "train" ? p.backwardSteps : p.forwardSteps;
}

/** A seeds' spread as "mean ± sd" in `fmt`'s form (NA when no seed has the number). */
function spreadText(x: SeedSpread | null, fmt: (v: number) => string, unit = ""): string {
  return x ? num(`${fmt(x.mean)} ± ${fmt(x.sd)}${unit}`) : `<span class="muted">${NA}</span>`;
}

/** The rows that close a configuration's seeds in the savings table: mean ± sd per phase. */
function seedSummaryRows(sum: SeedSummary, withFlops: boolean): Row[] {
  const pctNum = (v: number) => `${(100 * v).toFixed(2)}`;
  const na = `<span class="muted">${NA}</span>`;
  const phase = (name: string, p: PhaseSpread): Row => ({
    cls: "seed-summary",
    cells: [
      `<strong>${name}</strong>`,
      na,
      na,
      spreadText(p.stepSaving, pctNum, " %"),
      ...(withFlops ? [na] : []),
      na,
      na,
      spreadText(p.wallSaving, pctNum, " %"),
      spreadText(p.realisedRatio, (v) => v.toFixed(2)),
      spreadText(p.pairedRatio, (v) => v.toFixed(2)),
    ],
  });
  return [
    {
      group: `Over ${sum.runs.length} seeds (${
        sum.runs.map((r) => `<code>${esc(r)}</code>`).join(", ")
      }): mean ± sd`,
    },
    phase("training", sum.train),
    phase("inference", sum.inference),
  ];
}

function savingsTable(
  all: SavingsRow[],
  withExperiment: boolean,
  records: readonly RunRecord[],
): string {
  if (all.length === 0) return `<p class="muted">No RC run to compare.</p>`;
  // RC runs with nothing to compare against are named once per experiment, not as empty rows.
  const empty = all.filter((s) => !s.train && !s.inference && !s.baseline);
  const rows = all.filter((s) => !empty.includes(s));
  const unpaired = [...new Set(empty.map((s) => s.experiment))].map((e) => {
    const these = empty.filter((s) => s.experiment === e);
    const why = [...new Set(these.flatMap((s) => s.notes))].join("; ");
    return `<p class="muted unpaired">${
      withExperiment ? `<a href="#exp-${slug(e)}">${esc(e)}</a>: ` : ""
    }${these.length} RC run${these.length === 1 ? "" : "s"} not compared (${esc(why)}): ${
      these.map((s) => `<code>${esc(s.run)}</code>`).join(", ")
    }.</p>`;
  }).join("");
  if (rows.length === 0) return unpaired;
  const withFlops = rows.some((s) => flopsDiffer(s.train) || flopsDiffer(s.inference));
  const summaries = seedSummaries(rows, records, seedKey);
  const head = [
    "Phase",
    "Example-steps, RC",
    "Example-steps, EOS",
    "Step saving",
    ...(withFlops ? ["FLOP saving"] : []),
    "Wall-clock, RC (s)",
    "Wall-clock, EOS (s)",
    "Wall-clock saving",
    "Realised ratio",
    "Paired ratio",
  ];
  const body: Row[] = rows.flatMap((s) => {
    const title = `${
      withExperiment ? `<a href="#exp-${slug(s.experiment)}">${esc(s.experiment)}</a>: ` : ""
    }<code>${esc(s.run)}</code> vs <code>${esc(s.baseline ?? NA)}</code> <small>(${
      esc(s.data)
    })</small>`;
    const phase = (name: string, key: "train" | "inference", p: PhaseSavings | null): Row => {
      if (!p) {
        return {
          cells: [
            `<strong>${name}</strong>`,
            ...Array(head.length - 1).fill(`<span class="muted">${NA}</span>`),
          ],
        };
      }
      const st = stepsOf(p, key);
      return {
        cells: [
          `<strong>${name}</strong>`,
          num(count(st.rc)),
          num(count(st.eos)),
          saving(p.stepSaving),
          ...(withFlops ? [saving(p.flops.saving)] : []),
          num(secs(p.wallSeconds.rc)),
          num(secs(p.wallSeconds.eos)),
          saving(p.wallSeconds.saving),
          num(ratio(p.realisedRatio)),
          p.paired
            ? `<span class="paired${key === "train" && s.pairedPath ? " muted" : ""}" title="${
              esc(p.paired.what)
            }; wall-clock saving ${esc(pct(p.paired.wallSaving))}, step saving ${
              esc(pct(p.paired.stepSaving))
            }">${num(ratio(p.paired.realisedRatio))}</span> <small>(${p.paired.batches} batches${
              key === "train" && s.pairedPath ? `; ${esc(s.pairedPath)} path, see note` : ""
            })</small>`
            : `<span class="muted">${NA}</span>`,
        ],
      };
    };
    return [
      { group: title },
      phase("training", "train", s.train),
      phase("inference", "inference", s.inference),
      ...(s.notes.length
        ? [{ note: `<ul>${s.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` }]
        : []),
      ...(summaries.has(`${s.experiment}/${s.run}`)
        ? seedSummaryRows(summaries.get(`${s.experiment}/${s.run}`)!, withFlops)
        : []),
    ];
  });
  return stackTable(head, body, "savings") + unpaired +
    (withFlops
      ? ""
      : `<p class="legend">FLOPs are proportional to example-steps in every row (one model per run), so their saving is the step saving.</p>`);
}

const SAVINGS_LEGEND = `<p class="legend">Saving = 1 − RC/EOS, per example seen (a positive
percentage means the RC run did less). Example-steps: backward example-steps in training, forward
in inference. Realised ratio = wall-clock saving ÷ step saving: 1.00 means the wall clock fell as
much as the steps did. The whole-run ratio compares two runs made at different times (a shared
machine's speed drifts between them) and includes training while the RC model still spiked late;
the paired ratio times RC against EOS on the trained RC model over the same batches, interleaved
batch by batch, so drift cancels. No ratio is shown (—) where the step saving is under 5 %: it would
divide timing noise by almost nothing.</p>`;

/** The declared view of a recorded figure, if any. */
function viewOf(f: FigureSpec, info?: ExperimentInfo): FigureView | undefined {
  return info?.figureViews?.find((v) =>
    v.paperFigure === f.paperFigure && (!v.titleIncludes || f.title.includes(v.titleIncludes))
  );
}

function figuresFor(
  section: ReportSection,
  experiment: ExperimentId,
  runs: RunRecord[],
  page: Page,
): string {
  const info = page.info(experiment);
  const keysHere = new Set(section.figureKeys);
  const allKeys = new Set(
    page.sections.filter((s) => s.experiments.includes(experiment)).flatMap((s) => s.figureKeys),
  );
  const isHome = homeSection(page.sections, experiment).id === section.id;
  const shows = (f: FigureSpec) =>
    keysHere.has(figureKey(f.paperFigure)) || (isHome && !allKeys.has(figureKey(f.paperFigure)));
  // One seed's figures per configuration: the other seeds' are the same charts of another draw,
  // and their numbers are in the cards (mean ± sd) and the run files.
  const drawnRuns = runs.filter((r) => isFirstSeed(r, runs));
  const skipped = runs.filter((r) => !isFirstSeed(r, runs) && (r.figures ?? []).some(shows));
  const figs = drawnRuns.flatMap((r) => (r.figures ?? []).map((f) => ({ r, f })))
    .filter(({ f }) => shows(f))
    .sort((a, b) =>
      compareFigureLabels(a.f.paperFigure, b.f.paperFigure) || (a.r.run < b.r.run ? -1 : 1)
    );
  if (figs.length === 0) return "";
  // Charts of the same kind and axes are compared side by side: one scale, RC before EOS.
  const groupKey = (f: FigureSpec) => `${f.kind}|${f.xLabel}|${f.yLabel}`;
  const groups = new Map<string, typeof figs>();
  for (const x of figs) groups.set(groupKey(x.f), [...(groups.get(groupKey(x.f)) ?? []), x]);
  const ordered = [...groups.values()].flatMap((g) =>
    [...g].sort((a, b) => (a.r.method === b.r.method ? 0 : a.r.method === "rc" ? -1 : 1))
  );
  const scales = new Map([...groups].map(([k, g]) => [k, sharedScale(g.map((x) => x.f))]));
  const note = skipped.length
    ? `<p class="note">Figures of the first seed of each configuration; those of ${
      skipped.map((r) => `<code>${esc(r.run)}</code>`).join(", ")
    } are in their run files (linked from their cards).</p>`
    : "";
  return `${note}<div class="charts">${
    ordered.map(({ r, f }) => {
      const view = viewOf(f, info);
      const panel = view?.panel?.[r.method] ?? f.paperFigure;
      const caption = view?.caption?.[r.method] ?? f.caption;
      const shared = (groups.get(groupKey(f))?.length ?? 0) > 1;
      return `<figure>${
        page.charts.canvas(
          figureChart(f, scales.get(groupKey(f))),
          `Fig. ${panel}: ${f.title}`,
          f.kind === "heatmap" && f.inputs !== undefined,
        )
      }<figcaption><strong>Fig. ${esc(panel)}</strong>${
        view?.differs ? ` <em>(${esc(view.differs)})</em>` : ""
      } — ${esc(f.title)} <small>(${r.method.toUpperCase()}-trained run <code>${esc(r.run)}</code>${
        shared ? "; same scales as the charts beside it" : ""
      })</small><br>${esc(caption)}</figcaption></figure>`;
    }).join("")
  }</div>`;
}

/** Where an experiment's command goes: the command, or why there is none yet. */
function commandHtml(
  e: Pick<ExperimentInfo, "id" | "pending">,
  page: Page,
  runs: RunRecord[] = [],
): string {
  const command = commandFor(e, runs, page.backend);
  return command
    ? `<code>${esc(command)}</code>`
    : `${esc(e.id)}: not built yet (${esc(e.pending ?? "")})`;
}

/** "Stands for" text of a report-made chart: the declared panel, else that it is none. */
const standsFor = (is: string | undefined) =>
  is ? `<strong>${esc(is)}</strong>` : "<strong>Not a paper panel</strong>";

function experimentBlock(
  section: ReportSection,
  experiment: ExperimentId,
  all: RunRecord[],
  page: Page,
): string {
  const { charts } = page;
  const info = page.info(experiment);
  const runs = all.filter((r) => r.experiment === experiment);
  const home = homeSection(page.sections, experiment);
  const id = home.id === section.id ? ` id="exp-${slug(experiment)}"` : "";
  const heading = `<h3${id}>${esc(experiment)} ${
    statusBadge(experimentStatus(runs, info?.pending))
  }${runs.length ? ` <small>data: ${esc(dataOf(runs))}</small>` : ""}</h3>`;
  if (runs.length === 0) {
    const command = commandFor(info ?? { id: experiment }, [], page.backend);
    return `<div class="experiment">${heading}<p class="notrun">${
      command
        ? `Not run yet. Run it with\n<code>${esc(command)}</code>`
        : `Not built yet: ${esc(info?.pending ?? "")}.`
    }</p></div>`;
  }
  const parts: string[] = [heading];
  if (home.id !== section.id) {
    parts.push(
      `<p class="muted">Runs, checks and deviations: <a href="#exp-${slug(experiment)}">${
        esc(home.title)
      }</a>.
Data: ${esc(dataOf(runs))}; profiles: ${
        esc([...new Set(runs.map((r) => r.profile))].join(", "))
      }.</p>`,
    );
  }
  if (section.parts.runs) {
    const rcFirst = [...runs].sort((
      a,
      b,
    ) => (a.method === b.method ? 0 : a.method === "rc" ? -1 : 1));
    parts.push(
      `<div class="runs">${rcFirst.map((r) => runCard(r, info, all)).join("\n")}</div>`,
    );
    const declared = declaredDeviations(info);
    if (declared.length) {
      parts.push(
        `<div class="deviations" id="declared-${slug(experiment)}"><strong>Declared deviations of ${
          esc(experiment)
        } (${declared.length}), for every run above:</strong><ul>${
          declared.map((d) => `<li>${deviationHtml(d)}</li>`).join("")
        }</ul></div>`,
      );
    }
  }
  for (const table of info?.tables ?? []) {
    if (section.figureKeys.includes(figureKey(table.paperFigure))) {
      parts.push(comparisonTableHtml(table, runs));
    }
  }
  parts.push(figuresFor(section, experiment, runs, page));
  const drawn: string[] = [];
  if (section.parts.curves && runs.some((r) => (r.curves ?? []).length > 0)) {
    const spikeTitle = hasSpikeTimePercentiles(runs)
      ? "first-spike step during training (percentiles)"
      : "mean first-spike step during training";
    drawn.push(
      `<figure>${
        charts.canvas(
          accuracyCurveChart(runs, `${experiment}: accuracy during training`),
          `${experiment}: accuracy during training`,
        )
      }
<figcaption>${standsFor(info?.accuracyCurveIs)} — ${
        esc(experiment)
      }: validation accuracy of every run through training, RC-inference at the training θ (solid)
and read at the last step (dashed); RC runs blue, EOS runs red.</figcaption></figure>`,
      `<figure>${
        charts.canvas(
          spikeTimeCurveChart(runs, `${experiment}: ${spikeTitle}`),
          `${experiment}: ${spikeTitle}`,
        )
      }
<figcaption>${standsFor(info?.spikeTimeCurveIs)} — ${esc(experiment)}: ${
        hasSpikeTimePercentiles(runs)
          ? `the distribution of the validation examples' first-spike steps through training: the
median (line), 25-75 % (darker band) and 10-90 % (lighter band) of the first run of each method
(RC blue, EOS red)${
            runs.some((r) => hasSpikeTimePercentiles([r]) && !bandedRuns(runs).has(r))
              ? "; other runs' medians dashed"
              : ""
          }${
            runs.some((r) => !hasSpikeTimePercentiles([r]))
              ? "; runs recorded without percentiles, their mean"
              : ""
          }.`
          : "mean first-spike step of every run on the validation set through training."
      }</figcaption></figure>`,
    );
  }
  if (section.parts.tradeoff && runs.some((r) => (r.metrics?.thresholdCurve ?? []).length > 0)) {
    drawn.push(
      `<figure>${
        charts.canvas(
          tradeoffChart(runs, `${experiment}: accuracy vs speed over θ`),
          `${experiment}: accuracy vs speed over θ`,
        )
      }
<figcaption>${standsFor(info?.tradeoffIs)} — ${
        esc(experiment)
      }: test accuracy against mean first-spike step as the inference threshold θ varies, one
line per run; points are labelled with their θ (a label that would overlap another is left out).</figcaption></figure>`,
    );
  }
  if (drawn.length) parts.push(`<div class="charts">${drawn.join("")}</div>`);
  if (section.parts.savings) {
    const rows = computeSavings(all).filter((s) => s.experiment === experiment);
    if (rows.length) {
      parts.push(`<h4>Compute: RC vs EOS</h4>${savingsTable(rows, false, all)}`);
    }
  }
  return `<div class="experiment">${parts.join("\n")}</div>`;
}

/** The section's reading: what its runs show, generated from them. */
function readingHtml(section: ReportSection, records: RunRecord[]): string {
  const lines = section.experiments.flatMap((e) => {
    const runs = records.filter((r) => r.experiment === e);
    if (runs.length === 0) return [];
    const p = section.parts;
    return [
      ...(p.runs ? runsReading(runs) : []),
      ...(p.tradeoff ? tradeoffReading(runs) : []),
      ...(p.curves ? curvesReading(runs) : []),
      ...(p.runs ? selectionReading(runs) : []),
      ...(p.savings ? savingsReading(runs) : []),
    ];
  });
  return lines.length
    ? `<div class="reading"><strong>What the runs show</strong><ul>${
      lines.map((l) => `<li>${esc(l)}</li>`).join("")
    }</ul></div>`
    : "";
}

function sectionHtml(
  section: ReportSection,
  n: number,
  records: RunRecord[],
  page: Page,
): string {
  const commands = section.experiments.map((e) =>
    commandHtml(page.info(e) ?? { id: e }, page, records.filter((r) => r.experiment === e))
  ).join(" · ");
  // Each reference once: one that extends another ("Sec. 3.4 (stand-in)") adds nothing here.
  const all = [
    ...new Set(section.experiments.map((e) => page.info(e)?.paper.section).filter(Boolean)),
  ] as string[];
  const refs = all.filter((r) => !all.some((q) => q !== r && r.startsWith(q)));
  return `<section id="${esc(section.id)}" class="paper-section">
<h2><span class="secno">${n}</span> ${esc(section.title)} <small>${
    esc(section.paperFigures)
  }</small></h2>
<p class="paper-shows"><strong>Paper${refs.length ? ` (${esc(refs.join("; "))})` : ""}:</strong> ${
    esc(section.paperShows)
  }</p>
${readingHtml(section, records)}
${section.note ? `<p class="note">${esc(section.note)}</p>` : ""}
<p class="command">Run: ${commands}</p>
${section.experiments.map((e) => experimentBlock(section, e, records, page)).join("\n")}
</section>`;
}

/** Seeds per configuration of an experiment's runs, e.g. "1" or "1–2". */
function seedRange(runs: RunRecord[]): string {
  const counts = runs.map((r) => seedsOf(r, runs).length);
  if (counts.length === 0) return "";
  const lo = Math.min(...counts), hi = Math.max(...counts);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}

function overview(records: RunRecord[], page: Page): string {
  const rows: Row[] = page.experiments.map(({ id: e, pending }) => {
    const runs = records.filter((r) => r.experiment === e);
    const checks = runs.flatMap((r) => r.target?.checks ?? []);
    const home = homeSection(page.sections, e);
    return {
      cells: [
        `<a href="#${runs.length ? `exp-${slug(e)}` : esc(home.id)}">${esc(e)}</a>`,
        esc(
          page.sections.filter((s) => s.experiments.includes(e)).map((s) => s.paperFigures).join(
            "; ",
          ),
        ),
        statusBadge(experimentStatus(runs, pending)),
        runs.length
          ? runs.map((r) => `<a href="#${runAnchor(r)}">${esc(r.run)}</a>`).join(", ")
          : commandHtml({ id: e, pending }, page),
        runs.length ? num(seedRange(runs)) : "",
        esc([...new Set(runs.map((r) => r.profile))].join(", ")),
        runs.length ? num(`${checks.filter((c) => c.met).length} / ${checks.length}`) : "",
      ],
    };
  });
  return stackTable(
    ["Experiment", "Paper", "Status", "Runs", "Seeds per config", "Profile", "Checks met"],
    rows,
    "overview",
  );
}

function provenance(records: RunRecord[], envIndex: Map<RunRecord, number>): string {
  if (records.length === 0) return `<p class="muted">No runs.</p>`;
  const rows: Row[] = records.map((r) => {
    const env = r.environment;
    const extra = r.metrics?.extra ?? {};
    const diag = Object.keys(DIAGNOSTICS).filter((k) => isNum(extra[k]));
    return {
      cells: [
        `<a href="#${runAnchor(r)}">${esc(r.experiment)}/${esc(r.run)}</a><br>${runFileLink(r)}`,
        statusBadge(judgedStatus(r)),
        esc(r.profile),
        `${esc(env?.backend ?? NA)}${env?.engine ? ` <small>(${esc(env.engine)})</small>` : ""}`,
        `<a href="#env-${envIndex.get(r) ?? 0}">${envIndex.get(r) ?? NA}</a>`,
        `<code title="${esc(env?.gitRevision ?? "")}">${esc(gitShort(env?.gitRevision))}</code>`,
        num(String(r.seed ?? NA)),
        `<code>${esc(r.configHash)}</code>`,
        `<small>${esc((r.finishedAt ?? "").replace("T", " ").slice(0, 16))}</small>`,
        diag.length
          ? `<small>${
            diag.map((k) =>
              `${esc(DIAGNOSTICS[k].label)}: ${esc(inMetricUnit(extra[k], DIAGNOSTICS[k].unit))}`
            ).join("<br>")
          }</small>`
          : `<span class="muted">${NA}</span>`,
      ],
    };
  });
  const details = records.map((r) =>
    `<details><summary>Config of <code>${esc(r.experiment)}/${
      esc(r.run)
    }</code> <small>(config hash ${esc(r.configHash)}; data checksum ${
      esc(r.data?.checksum ?? NA)
    })</small></summary><pre>${esc(JSON.stringify(r.config ?? {}, null, 2))}</pre></details>`
  ).join("\n");
  return stackTable(
    [
      "Run",
      "Status",
      "Profile",
      "Backend",
      "Environment",
      "Git revision",
      "Seed",
      "Config hash",
      "Finished (UTC)",
      "Memory (diagnostics)",
    ],
    rows,
    "provenance",
  ) + `<div class="configs">${details}</div>`;
}

/** Runs grouped by identical environment, numbered from 1 in record order. */
function environments(records: RunRecord[]) {
  const groups = new Map<string, { env: RunRecord["environment"]; runs: RunRecord[] }>();
  for (const r of records) {
    const key = canonicalJson(r.environment ?? null);
    const g = groups.get(key) ?? { env: r.environment, runs: [] };
    g.runs.push(r);
    groups.set(key, g);
  }
  const list = [...groups.values()];
  const index = new Map<RunRecord, number>();
  list.forEach((g, i) => g.runs.forEach((r) => index.set(r, i + 1)));
  return { list, index };
}

function manifest(
  records: RunRecord[],
  opts: RenderOptions,
  envs: ReturnType<typeof environments>,
): string {
  const blocks = envs.list.map((g, i) => {
    const e = g.env;
    const rows: [string, string][] = e
      ? [
        ["Machine", machineOf(g.runs[0])],
        ["Deno / V8", `${e.deno} / ${e.v8}`],
        ["TensorFlow.js", e.tfjs],
        ["Backend", `${e.backend} — ${e.backendReason}`],
        [
          "Adapter",
          e.adapter
            ? `${e.adapter.description} (vendor ${e.adapter.vendor || "?"}, architecture ${
              e.adapter.architecture || "?"
            }, device ${e.adapter.device || "?"}, wgpu backend ${
              e.adapter.wgpuBackend ?? "default"
            })${e.adapter.isFallbackAdapter ? ` — ${SOFTWARE_ADAPTER_DEVIATION}` : ""}`
            : "none (no WebGPU adapter requested)",
        ],
        ...(e.engine ? [["Training and inference", e.engine] as [string, string]] : []),
        ...(e.matmul
          ? [[
            "wasm matmul",
            e.blas ? `${e.matmul}: ${e.blas.library} (${e.blas.threads} threads)` : e.matmul,
          ] as [string, string]]
          : []),
        ["OS / CPUs", `${e.os} / ${e.cpuCount}`],
        ["Git revision", gitShort(e.gitRevision)],
        ["TensorFlow.js flags", JSON.stringify(e.flags ?? {})],
      ]
      : [["Environment", "not recorded"]];
    return `<h3 id="env-${i + 1}">Environment ${i + 1} <small>(${g.runs.length} run${
      g.runs.length === 1 ? "" : "s"
    })</small></h3>
${
      table(
        null,
        rows.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`),
        "kv",
      )
    }
<p class="muted">Runs: ${
      g.runs.map((r) => `<code>${esc(`${r.experiment}/${r.run}`)}</code>`).join(", ")
    }</p>`;
  });
  const report: [string, string][] = [
    ["Generated at", opts.generatedAt],
    ["Run records", String(records.length)],
    ["Chart.js (inlined)", chartJsVersion(opts.chartJs)],
    [
      "Benchmark machine",
      opts.bench ? `${opts.bench.runtime}, ${opts.bench.cpu}` : "no benchmark results",
    ],
  ];
  return blocks.join("\n") +
    `<h3>This report</h3>${
      table(
        null,
        report.map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`),
        "kv",
      )
    }`;
}

function benchSection(bench: BenchSummary | null | undefined): string {
  if (!bench) {
    return `<p class="muted">No benchmark results (<code>reports/bench/latest.json</code>). Run
<code>deno task bench</code>.</p>`;
  }
  const rows: Row[] = bench.results.map((b) => ({
    cells: [
      esc(b.group ?? ""),
      esc(b.name),
      b.error ? `<span class="bad">failed: ${esc(b.error)}</span>` : num(formatNs(b.avgNs)),
      num(formatNs(b.minNs)),
      num(formatNs(b.p75Ns)),
      num(formatNs(b.p99Ns)),
      num(count(b.n)),
      `<small>${esc(b.origin.split("/").at(-1) ?? "")}</small>`,
    ],
  }));
  return `<p>Machine: ${esc(bench.cpu)} · ${esc(bench.runtime)}</p>${
    stackTable(
      ["Group", "Benchmark", "Mean", "Min", "p75", "p99", "Iterations", "File"],
      rows,
      "bench",
    )
  }`;
}

/** Distinct values in first-seen order, each with how many records have it. */
function tally(values: string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m];
}

const listed = (t: [string, number][], total: number) =>
  t.map(([v, n]) => (t.length > 1 || n !== total ? `${v} (${n} of ${total} runs)` : v)).join("; ");

/** What the page is: machine, backend, profile, revision and the deviations that follow. */
function about(records: RunRecord[], page: Page) {
  const n = records.length;
  const machine = listed(tally(records.map(machineOf)), n) || "no runs";
  const backend = listed(
    tally(
      records.map((r) =>
        `${r.environment?.backend ?? NA}${
          r.environment?.engine ? ` (${r.environment.engine})` : ""
        }`
      ),
    ),
    n,
  );
  const profile = listed(
    tally(
      records.map((r) =>
        `${r.profile}${
          belowProtocol(r)
            ? " (below the paper's protocol)"
            : r.profile === "paper"
            ? ""
            : " (the paper's protocol)"
        }`
      ),
    ),
    n,
  );
  const git = listed(tally(records.map((r) => gitShort(r.environment?.gitRevision))), n);
  const times = records.map((r) => r.finishedAt ?? "").filter(Boolean).sort();
  const minute = (t: string) => t.replace("T", " ").slice(0, 16);
  const finished = times.length
    ? minute(times[0]) === minute(times.at(-1)!)
      ? minute(times[0])
      : `${minute(times[0])} to ${minute(times.at(-1)!)}`
    : "";
  // Deviations of every run in full; the rest counted per experiment, with links to them.
  const runDevs = tally(records.flatMap(runDeviations));
  const common = runDevs.filter(([, k]) => k === n).map(([d]) => d);
  const ran = [...new Set(records.map((r) => r.experiment))];
  const perExperiment = ran.map((id) => {
    const declared = declaredDeviations(page.info(id)).length;
    const own = new Set(
      records.filter((r) => r.experiment === id).flatMap(runDeviations).filter((d) =>
        !common.includes(d)
      ),
    ).size;
    const parts = [
      ...(declared ? [`${declared} declared for all its runs`] : []),
      ...(own ? [`${own} more of single runs (on their cards)`] : []),
    ];
    return parts.length
      ? `<a href="#${declared ? `declared-${slug(id)}` : `exp-${slug(id)}`}">${esc(id)}</a>: ${
        parts.join("; ")
      }`
      : "";
  }).filter(Boolean);
  const devItems = [
    ...common.map((d) => `${deviationHtml(d)} <small>(every run)</small>`),
    ...perExperiment,
  ];
  const short = tally(records.map((r) => machineOf(r).split(",")[0]))[0]?.[0] ?? "no runs";
  const backends = [...new Set(records.map((r) => r.environment?.backend ?? NA))].join(", ");
  const profiles = [...new Set(records.map((r) => r.profile))].join(", ");
  const html = `<dl class="about">
<div><dt>Machine</dt><dd>${esc(machine)}</dd></div>
<div><dt>Backend</dt><dd>${esc(backend || NA)}</dd></div>
<div><dt>Profile</dt><dd>${esc(profile || NA)}</dd></div>
<div><dt>Git revision</dt><dd><code>${esc(git || NA)}</code></dd></div>
<div><dt>Runs finished (UTC)</dt><dd>${esc(finished || NA)}</dd></div>
<div class="wide"><dt>Deviations from the paper that follow</dt><dd>${
    devItems.length ? `<ul>${devItems.map((d) => `<li>${d}</li>`).join("")}</ul>` : "none recorded"
  }</dd></div>
</dl>`;
  return {
    html,
    title: records.length ? `${short}, ${backends}, profile ${profiles}` : "no runs yet",
  };
}

/** Text safe inside a `<script>` element: `</script` cannot end it early. */
function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--");
}

/**
 * Renders the whole report as one HTML file.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderReport } from "./html.ts";
 * const html = renderReport([], {
 *   generatedAt: "2026-01-01T00:00:00Z",
 *   chartJs: "",
 *   experiments: [{ id: "seq-spotting", title: "Sequence spotting", paper: { section: "3.1", figures: "Fig. 1" }, sections: [{ id: "fig1", title: "Spotting", paperFigures: "Fig. 1", figureKeys: ["1"], paperShows: "RC spikes early.", parts: { runs: true, curves: true, tradeoff: true, savings: true } }] }],
 * });
 * assert(html.includes("deno task reproduce --only seq-spotting"));
 * ```
 */
export function renderReport(records: RunRecord[], opts: RenderOptions): string {
  const byId = new Map(opts.experiments.map((e) => [e.id, e]));
  const page: Page = {
    sections: reportSections(opts.experiments),
    experiments: opts.experiments,
    info: (id) => byId.get(id),
    charts: new Charts(),
    records,
  };
  const backends = [...new Set(records.map((r) => r.environment?.backend).filter(Boolean))];
  if (backends.length === 1) page.backend = backends[0];
  const { charts } = page;
  const sections = page.sections.map((s, i) => sectionHtml(s, i + 1, records, page));
  const allChecks = records.flatMap((r) => r.target?.checks ?? []);
  const ran = new Set(records.map((r) => r.experiment));
  const software = records.filter(ranOnSoftwareAdapter);
  const below = records.filter(belowProtocol);
  const failed = records.filter((r) => r.status === "failed");
  const envs = environments(records);
  const what = about(records, page);
  const alerts = [
    failed.length
      ? `${failed.length} run(s) failed: ${
        failed.map((r) => `${r.experiment}/${r.run}`).join(", ")
      }.`
      : "",
    below.length
      ? `${below.length} of ${records.length} run(s) use a profile below the paper's protocol (smoke or default); their numbers are labelled.`
      : "",
    software.length
      ? `${software.length} run(s) ran on a software WebGPU adapter: timings not representative of a GPU.`
      : "",
  ].filter(Boolean);
  const nav = [
    `<li><a href="#glance">At a glance</a></li>`,
    `<li><a href="#overview">Overview</a></li>`,
    `<li><a href="#savings">Compute savings</a></li>`,
    ...page.sections.map((s) => `<li><a href="#${esc(s.id)}">${esc(s.paperFigures)}</a></li>`),
    `<li><a href="#bench">Benchmarks</a></li>`,
    `<li><a href="#provenance">Provenance</a></li>`,
    `<li><a href="#manifest">Environment</a></li>`,
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>Rank coding (ICLR 2022) reproduction: ${esc(what.title)}</title>
<style>${asset("report.css")}</style>
</head>
<body>
<header>
<h1>Spike-inspired rank coding: reproduction report <small>${esc(what.title)}</small></h1>
<p class="muted">Reproducing Jeffares et al., “Spike-inspired rank coding for fast and accurate recurrent
neural networks” (ICLR 2022). Generated ${
    esc(opts.generatedAt)
  } from ${records.length} run record(s);
${ran.size} of ${opts.experiments.length} experiments run; ${
    allChecks.filter((c) => c.met).length
  } of
${allChecks.length} target checks met.</p>
${headlineHtml(records, opts.experiments, opts.siblings)}
${what.html}
${
    alerts.length
      ? `<div class="alerts"><ul>${alerts.map((a) => `<li>${esc(a)}</li>`).join("")}</ul></div>`
      : ""
  }
</header>
<nav aria-label="Contents"><ol>${nav.join("")}</ol></nav>
<main>
<section id="overview"><h2>Overview</h2>${overview(records, page)}</section>
<section id="savings"><h2>Compute savings: RC vs EOS</h2>
${SAVINGS_LEGEND}
${savingsTable(computeSavings(records), true, records)}
</section>
${sections.join("\n")}
<section id="bench"><h2>Benchmarks</h2>${benchSection(opts.bench)}</section>
<section id="provenance"><h2>Provenance</h2>${provenance(records, envs.index)}</section>
<section id="manifest"><h2>Environment manifest</h2>${manifest(records, opts, envs)}</section>
</main>
<footer><p>The report is a pure function of the run files under <code>runs/</code>; re-render with
<code>deno task report</code>.</p></footer>
<script type="application/json" id="report-charts">${scriptJson(charts.configs)}</script>
<script>${inlineScript(opts.chartJs)}</script>
<script>${inlineScript(asset("report.client.js"))}</script>
</body>
</html>
`;
}
