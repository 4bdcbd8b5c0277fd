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
  type PhaseSavings,
  type PhaseSpread,
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

/**
 * The RC-vs-EOS compute table: per RC run and its EOS baseline, training and inference steps,
 * FLOPs (where they say more than steps), wall-clock and the realised and paired ratios; seeds
 * closed by their mean ± sd. `withExperiment` names each row's experiment (the page-wide table).
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

/** How to read the savings table, shown above the page-wide one. */
export const SAVINGS_LEGEND = `<p class="legend">Saving = 1 − RC/EOS, per example seen (a positive
percentage means the RC run did less). Example-steps: backward example-steps in training, forward
in inference. Realised ratio = wall-clock saving ÷ step saving: 1.00 means the wall clock fell as
much as the steps did. The whole-run ratio compares two runs made at different times (a shared
machine's speed drifts between them) and includes training while the RC model still spiked late;
the paired ratio times RC against EOS on the trained RC model over the same batches, interleaved
batch by batch, so drift cancels. No ratio is shown (—) where the step saving is under 5 %: it would
divide timing noise by almost nothing.</p>`;
