/**
 * The compute savings of RC against EOS as tables: the page-wide one and each experiment's.
 * The numbers come from `savings.ts`; this module only lays them out.
 * @module
 */

import type { RunRecord } from "../results.ts";
import { count, esc, isNum, NA, pct, ratio, secs, slug } from "./format.ts";
import { num, type Row, stackTable } from "./elements.ts";
import {
  type Comparison,
  type ExperimentSavings,
  experimentSavings,
  FEW_STEPS_SAVED,
  MIN_STEP_SAVING_FOR_RATIO,
  type PhaseSavings,
  type PhaseSpread,
  type PhaseSummary,
  RATIO_OUT_OF_RANGE,
  RATIO_RANGE_TEXT,
  type SavingsRow,
  type SeedSpread,
  seedSummaries,
  type SeedSummary,
} from "./savings.ts";
import { seedKey } from "./select.ts";

/** The class of a saving: only a positive one is good. */
const savingClass = (x: number | null) =>
  !isNum(x) ? "na" : x > 0.00005 ? "good" : x < -0.00005 ? "bad" : "zero";
const saving = (x: number | null) => `<span class="saving ${savingClass(x)}">${esc(pct(x))}</span>`;

/** Why a wall-clock saving is not RC's where (almost) no step was saved. */
const NOT_RC = "almost no step was saved: this wall-clock difference is timing noise or the " +
  "machine's load, not RC";

/**
 * A wall-clock saving: coloured as a saving only where RC saved steps (at least
 * {@link MIN_STEP_SAVING_FOR_RATIO}); beside no step saving it is noise, and looks it.
 */
function wallSaving(x: number | null, steps: number | null, text = pct(x)): string {
  if (isNum(x) && (!isNum(steps) || steps < MIN_STEP_SAVING_FOR_RATIO)) {
    return `<span class="saving noise" title="${esc(NOT_RC)}">${esc(text)}</span>`;
  }
  return `<span class="saving ${savingClass(x)}">${esc(text)}</span>`;
}

/** The short form of why no ratio is shown, for a table cell (the full reason in its title). */
function shortWhy(why: string): string {
  return why === FEW_STEPS_SAVED
    ? `under ${100 * MIN_STEP_SAVING_FOR_RATIO} % of steps saved`
    : why === RATIO_OUT_OF_RANGE
    ? `off scale (outside ${RATIO_RANGE_TEXT})`
    : why;
}

/** A realised ratio, or in its place why there is none (n/a where nothing was measured). */
function ratioCell(value: number | null, why: string | null): string {
  if (isNum(value)) return num(ratio(value));
  if (why) {
    return `<span class="muted why" title="${esc(why)}">— <small>${
      esc(shortWhy(why))
    }</small></span>`;
  }
  return `<span class="muted">${NA}</span>`;
}

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

/** "mean ± sd" in `fmt`'s form; one value alone where only one run has the number. */
function spreadPlain(x: SeedSpread, fmt: (v: number) => string, unit = ""): string {
  return x.seeds > 1 ? `${fmt(x.mean)} ± ${fmt(x.sd)}${unit}` : `${fmt(x.mean)}${unit}`;
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
      p.wallSaving && p.stepSaving && p.stepSaving.mean < MIN_STEP_SAVING_FOR_RATIO
        ? wallSaving(p.wallSaving.mean, p.stepSaving.mean, spreadPlain(p.wallSaving, pctNum, " %"))
        : spreadText(p.wallSaving, pctNum, " %"),
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

/**
 * The per-run table: per RC run and its EOS baseline, training and inference steps, FLOPs (where
 * they say more than steps), wall-clock and the whole-run and paired ratios (or why there is
 * none); seeds closed by their mean ± sd. `withExperiment` names each row's experiment.
 */
function perRunTable(
  rows: SavingsRow[],
  withExperiment: boolean,
  records: readonly RunRecord[],
): string {
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
          wallSaving(p.wallSeconds.saving, p.stepSaving),
          ratioCell(p.realisedRatio, p.ratioWhy),
          p.paired
            ? `<span class="paired${key === "train" && s.pairedPath ? " muted" : ""}" title="${
              esc(p.paired.what)
            }; wall-clock saving ${esc(pct(p.paired.wallSaving))}, step saving ${
              esc(pct(p.paired.stepSaving))
            }">${
              ratioCell(p.paired.realisedRatio, p.paired.ratioWhy)
            }</span> <small>(${p.paired.batches} batches${
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
  return stackTable(head, body, "savings") +
    (withFlops
      ? ""
      : `<p class="legend">FLOPs are proportional to example-steps in every row (one model per run), so their saving is the step saving.</p>`);
}

/**
 * Percentages of the summary: step savings (exact counts) with two decimals, wall-clock savings
 * (timings, noisy) with one.
 */
const pct2 = (v: number) => `${(100 * v).toFixed(2)}`;
const pct1 = (v: number) => `${(100 * v).toFixed(1)}`;

/** A summary cell's spread: "mean ± sd %" over several runs, the value alone over one. */
function spreadCell(x: SeedSpread | null, fmt: (v: number) => string, unit: string): string {
  return x ? num(spreadPlain(x, fmt, unit)) : `<span class="muted">${NA}</span>`;
}

/** Runs named in a cell: "rc-b0.3, rc-b0.3-s2 and 2 more". */
function runList(runs: string[]): string {
  const shown = runs.slice(0, 3).map((r) => `<code>${esc(r)}</code>`).join(", ");
  return runs.length > 3 ? `${shown} and ${runs.length - 3} more` : shown;
}

/** The three cells of a phase in the summary: steps saved, wall-clock saved, realised ratio. */
function phaseCells(p: PhaseSummary): string[] {
  const steps = spreadCell(p.stepSaving, pct2, " %");
  if (!p.source) {
    return [steps, `<span class="muted">${NA}</span>`, `<span class="muted">${NA}</span>`];
  }
  const timedSteps = p.timedStepSaving;
  const wall = p.wallSaving
    ? `${
      wallSaving(p.wallSaving.mean, timedSteps?.mean ?? null, spreadPlain(p.wallSaving, pct1, " %"))
    }<br><small>${
      p.source === "paired"
        ? `paired timing${
          timedSteps ? `; ${esc(spreadPlain(timedSteps, pct2, " %"))} of steps saved there` : ""
        }`
        : "whole runs (no paired timing)"
    }${p.untimed.length ? `; ${runList(p.untimed)} not timed in pairs` : ""}</small>`
    : `<span class="muted">${NA}</span>`;
  const left = p.noRatio.map((n) =>
    `<small title="${esc(n.why)}">${n.runs.length} run${n.runs.length === 1 ? "" : "s"} without: ${
      esc(shortWhy(n.why))
    }</small>`
  );
  const ratioHtml = p.ratio
    ? `${num(spreadPlain(p.ratio, (v) => v.toFixed(2), ""))} <small>(${p.ratio.seeds} run${
      p.ratio.seeds === 1 ? "" : "s"
    }${p.source === "whole run" ? ", whole runs" : ""})</small>${
      left.length ? `<br>${left.join("<br>")}` : ""
    }`
    : p.noRatio.length
    ? `<span class="muted why" title="${esc(p.noRatio.map((n) => n.why).join("; "))}">— ${
      left.join("<br>")
    }</span>`
    : `<span class="muted">${NA}</span>`;
  return [steps, wall, ratioHtml];
}

/** Column heads of the summary: its phase's three, as `data-label`s too (a phone shows them). */
const PHASE_HEADS = ["steps saved", "wall-clock saved", "realised ratio"];

/**
 * The summary: one row per experiment (its RC runs against their EOS baselines, mean ± sd over
 * them): steps saved, wall-clock saved (paired timing where there is one) and the realised ratio,
 * in training and in inference; where no ratio is shown, why.
 */
function summaryTable(sums: ExperimentSavings[], withExperiment: boolean): string {
  const label = (phase: string, i: number) => `${phase}: ${PHASE_HEADS[i]}`;
  const body = sums.map((e) => {
    const n = e.compared.length;
    const leftOut = [...new Set(e.leftOut.map((l) => l.why))].map((why) => {
      const runs = e.leftOut.filter((l) => l.why === why).map((l) => l.run);
      return `<span title="${esc(runs.join(", "))}">${runs.length} ${esc(why)}</span>`;
    });
    const who = `${
      withExperiment ? `<a href="#exp-${slug(e.experiment)}">${esc(e.experiment)}</a><br>` : ""
    }<small>${n} RC run${n === 1 ? "" : "s"} vs EOS${
      leftOut.length ? `; left out: ${leftOut.join(", ")}` : ""
    }</small>`;
    if (n === 0) {
      return `<tr><th scope="row" data-label="">${who}</th><td colspan="6" data-label="" ` +
        `class="muted">No RC run to summarise; the per-run rows are below.</td></tr>`;
    }
    const cells = [
      ...phaseCells(e.train).map((c, i) => [label("training", i), c]),
      ...phaseCells(e.inference).map((c, i) => [label("inference", i), c]),
    ];
    return `<tr><th scope="row" data-label="">${who}</th>${
      cells.map(([l, c]) => `<td data-label="${esc(l)}"><div class="v">${c}</div></td>`).join("")
    }</tr>`;
  });
  const heads = PHASE_HEADS.map((h) => `<th>${h}</th>`).join("");
  return `<div class="table-wrap"><table class="stack savings-summary"><thead><tr><th rowspan="2">${
    withExperiment ? "Experiment" : "RC runs"
  }</th><th colspan="3">Training</th><th colspan="3">Inference</th></tr><tr>${heads}${heads}</tr></thead><tbody>${
    body.join("")
  }</tbody></table></div>`;
}

/**
 * The RC-vs-EOS compute savings: a summary row per experiment (steps saved, wall-clock saved from
 * paired timings, realised ratio with its spread, or why there is none), then every RC run against
 * its EOS baseline folded away below it. `withExperiment`: the page-wide table (rows name and link
 * their experiments).
 */
export function savingsTable(
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
    // Whether a run without a baseline spiked in training is on its card; here it is noise.
    const why = [...new Set(these.flatMap((s) => s.notes.filter((n) => n !== s.degenerate)))]
      .join("; ");
    return `<p class="muted unpaired">${
      withExperiment ? `<a href="#exp-${slug(e)}">${esc(e)}</a>: ` : ""
    }${these.length} RC run${these.length === 1 ? "" : "s"} not compared (${esc(why)}): ${
      these.map((s) => `<code>${esc(s.run)}</code>`).join(", ")
    }.</p>`;
  }).join("");
  if (rows.length === 0) return unpaired;
  const sums = experimentSavings(rows);
  return `${sums.length ? summaryTable(sums, withExperiment) : ""}${unpaired}
<details class="per-run"><summary>Every RC run against its EOS baseline (${rows.length} row${
    rows.length === 1 ? "" : "s"
  }): example-steps, seconds, whole-run and paired ratios, notes</summary>
${perRunTable(rows, withExperiment, records)}</details>`;
}

/** How to read the savings tables, shown above the page-wide one. */
export const SAVINGS_LEGEND = `<p class="legend">Saving = 1 − RC/EOS, per example seen (a positive
percentage means RC did less). One row per experiment, mean ± sd over its RC runs (configurations
and seeds) against their EOS baselines. Steps saved: backward example-steps in training, forward in
inference, over the whole runs. Wall-clock saved: from the paired timing where the runs have one
(the trained RC model against EOS over the same batches, interleaved batch by batch, so a shared
machine's drift cancels); the steps saved on those batches are given beside it, since the trained
model spikes earlier than the run did on average. Realised ratio = wall-clock saved ÷ steps saved:
1.00 means the wall clock fell as much as the steps did. No ratio is shown where under
${100 * MIN_STEP_SAVING_FOR_RATIO} % of the steps were saved (it would divide timing noise by almost
nothing) or where it falls outside ${RATIO_RANGE_TEXT} (the wall clock then
moved by more than the steps can explain: noise or a loaded machine); the cell says which. A
wall-clock difference beside no step saving is grey: it is not RC's. The per-run rows, whole-run
seconds included, are folded below each summary.</p>`;
