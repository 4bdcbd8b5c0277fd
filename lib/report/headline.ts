/**
 * The report's first screen: for the paper's headline results, the paper's number beside ours in
 * a few lines a phone shows whole: every measured Table 1 row (best and mean ± sd, seeds, epochs
 * against the paper's, test images, the regime each run landed in, verdict), and the compute RC
 * saved per experiment (training and inference steps, the paired wall-clock ratio with its
 * spread). A pure function of run records and declarations, like the rest of the report.
 * @module
 */
import type { ExperimentInfo } from "../experiments/declaration.ts";
import type { RunRecord } from "../results.ts";
import { esc, inUnit, isNum, tolerance } from "./format.ts";
import type { GridVerdict } from "./grids.ts";
import {
  computeSavings,
  DEGENERATE_SHARE,
  MIN_STEP_SAVING_FOR_RATIO,
  type SavingsRow,
  spread,
} from "./savings.ts";
import { meanSd, measuredCells, outdatedLabel } from "./table.ts";

const pct = (x: number, digits = 2) => `${(100 * x).toFixed(digits)} %`;

/**
 * The Table 1 lines: one per measured row and profile that has runs; where some row has runs, each
 * row without any says so (a row is never dropped from the first screen without a word).
 */
function tableLines(
  info: ExperimentInfo,
  runs: readonly RunRecord[],
  outdated: ReadonlyMap<string, string>,
): string[] {
  const lines: string[] = [];
  const notRun: string[] = [];
  for (const table of info.tables ?? []) {
    for (const group of table.groups) {
      for (const row of group.rows) {
        if (row.kind !== "measured") continue;
        const cells = measuredCells(row, table, runs, outdated);
        if (cells.length === 0) {
          notRun.push(
            `<li><strong>${esc(table.paperFigure)}, ${esc(row.model)} ${
              esc(row.architecture)
            }</strong> (${esc(row.speedClass ?? "")}): paper ${pct(row.paper)}; ours: not run ` +
              `here (no published run of ${esc(row.runs.join(", "))})</li>`,
          );
        }
        for (const c of cells) {
          const epochs = c.epochs
            ? `${meanSd(c.epochs).mean.toFixed(c.epochs[0] >= 10 ? 0 : 2)}${
              table.paperEpochs ? ` of ${table.paperEpochs}` : ""
            } epochs`
            : "";
          const images = c.testImages
            ? `${Math.min(...c.testImages).toLocaleString("en-US")} test images`
            : "";
          const short = c.seedsShort && `<strong class="missed">${esc(c.seedsShort)}</strong>`;
          const outdated = outdatedLabel(c);
          const stale = outdated &&
            ` (<strong class="missed" title="${esc(c.outdated.join("; "))}">${
              esc(outdated)
            }</strong>)`;
          const ours = c.seeds === 1
            ? `${pct(c.best)} (${short || "1 seed"})`
            : `${pct(c.mean)} ± ${pct(c.sd)} over ${c.seeds} seeds (top ${pct(c.best)})${
              short ? ` (${short})` : ""
            }`;
          const regime = row.speedClass && c.landed !== row.speedClass
            ? `<strong class="missed">landed ${esc(c.landed)}</strong>, not ${esc(row.speedClass)}`
            : `landed ${esc(c.landed || "?")}`;
          lines.push(
            `<li><strong>${esc(table.paperFigure)}, ${esc(row.model)} ${
              esc(row.architecture)
            }</strong> (${esc(row.speedClass ?? "")}): paper ${pct(row.paper)}; ours ${ours} at ${
              c.meanSpikeTime.toFixed(2)
            } steps, ${regime}; ${
              [epochs, images, `profile ${c.profile}`].filter(Boolean).join(", ")
            }${stale} — <span class="badge ${
              c.verdict === "met"
                ? "status-met"
                : c.verdict === "missed"
                ? "status-missed"
                : "profile-below"
            }" title="${esc(c.why)}">${esc(c.verdict)}</span></li>`,
          );
        }
      }
    }
  }
  return lines.length ? [...lines, ...notRun] : [];
}

/** The RC runs a savings line leaves out, and why (rcDegenerate's two cases). */
function skippedText(n: { never: number; few: number } | undefined): string {
  if (!n) return "";
  const why = [
    n.never ? `${n.never} never spiked in training (RC = EOS there)` : "",
    n.few
      ? `${n.few} spiked early in under ${
        Math.round(100 * (1 - DEGENERATE_SHARE))
      } % of training's steps (RC ≈ EOS there)`
      : "",
  ].filter(Boolean);
  return `${n.never + n.few} RC run(s) left out: ${why.join("; ")}`;
}

/** One line per experiment with RC runs: steps saved in training and inference, paired ratio. */
function savingsLines(rows: SavingsRow[], title: (id: string) => string): string[] {
  const byExperiment = new Map<string, SavingsRow[]>();
  // RC in name only (never or hardly spiked in training): not a measure of what RC saves.
  const skipped = new Map<string, { never: number; few: number }>();
  for (const r of rows.filter((r) => r.baseline !== null)) {
    if (r.degenerate !== null) {
      const n = skipped.get(r.experiment) ?? { never: 0, few: 0 };
      if (/^never/.test(r.degenerate)) n.never++;
      else n.few++;
      skipped.set(r.experiment, n);
      continue;
    }
    byExperiment.set(r.experiment, [...(byExperiment.get(r.experiment) ?? []), r]);
  }
  const lines: string[] = [];
  for (const id of new Set([...byExperiment.keys(), ...skipped.keys()])) {
    const rs = byExperiment.get(id) ?? [];
    const train = spread(rs.map((r) => r.train?.stepSaving));
    const infer = spread(rs.map((r) => r.inference?.stepSaving));
    // realisedRatio is null where almost no step was saved (savings.ts's rule): then say so.
    const paired = rs.map((r) => r.train?.paired).filter((p) => p && isNum(p.stepSaving));
    const ratio = spread(paired.map((p) => p!.realisedRatio));
    const parts = [
      train ? `training steps ${pct(train.mean, 1)} fewer` : "",
      infer ? `inference steps ${pct(infer.mean, 1)} fewer` : "",
      ratio
        ? `paired wall-clock / step saving ${ratio.mean.toFixed(2)}${
          ratio.seeds > 1 ? ` ± ${ratio.sd.toFixed(2)}` : ""
        } (${ratio.seeds} run${ratio.seeds > 1 ? "s" : ""})`
        : paired.length > 0
        ? `no wall-clock ratio: under ${100 * MIN_STEP_SAVING_FOR_RATIO} % of the steps saved`
        : "",
      skippedText(skipped.get(id)),
    ].filter(Boolean);
    if (parts.length === 0) continue;
    lines.push(
      `<li><strong>${esc(title(id))}</strong> (${rs.length} RC run${
        rs.length > 1 ? "s" : ""
      } vs EOS): ${parts.join("; ")}</li>`,
    );
  }
  return lines;
}

/** One line per grid check: the paper's claim, ours (mean over seeds), verdict. */
function gridLine(g: GridVerdict, title: string): string[] {
  return g.result.checks.map((c) => {
    const ours = c.notMeasured
      ? `not measured (${esc(c.notMeasured)})`
      : `${esc(inUnit(c.measured, c.unit))}, ${esc(c.over)}`;
    const verdict = c.notMeasured ? "not checked" : c.met ? "met" : "missed";
    return `<li><strong>Fig. ${esc(g.paperFigure)}, ${esc(title)}</strong>: ${esc(c.name)}. ` +
      `Paper: ${c.claim ? esc(c.claim) : esc(inUnit(c.paper, c.unit))}; target ${
        esc(tolerance(c.tolerance, c.unit))
      }; ours ${ours} — <a href="#grid-${esc(g.experiment)}-${
        esc(g.id)
      }"><span class="badge status-${verdict.replace(" ", "-")}">${verdict}</span></a></li>`;
  });
}

/** Another page of the same report family (e.g. a GPU's), linked from the first screen. */
export interface SiblingPage {
  href: string;
  what: string;
}

/** The first screen's block; empty when there is nothing to say. */
export function headlineHtml(
  records: readonly RunRecord[],
  experiments: readonly ExperimentInfo[],
  siblings: readonly SiblingPage[] = [],
  grids: readonly GridVerdict[] = [],
  outdated: ReadonlyMap<string, string> = new Map(),
): string {
  const table = experiments.flatMap((e) =>
    tableLines(e, records.filter((r) => r.experiment === e.id), outdated)
  );
  const titles = new Map(experiments.map((e) => [e.id as string, e.title]));
  const saved = savingsLines(computeSavings([...records]), (id) => titles.get(id) ?? id);
  const gridLines = grids.flatMap((g) => gridLine(g, titles.get(g.experiment) ?? g.experiment));
  const parts = [
    table.length ? `<h3>Table 1: paper vs ours</h3><ul>${table.join("")}</ul>` : "",
    gridLines.length
      ? `<h3>Figures judged over their grids</h3><ul>${gridLines.join("")}</ul>`
      : "",
    saved.length ? `<h3>What RC saved against EOS</h3><ul>${saved.join("")}</ul>` : "",
    siblings.length
      ? `<h3>Other pages</h3><ul>${
        siblings.map((s) => `<li><a href="${esc(s.href)}">${esc(s.href)}</a>: ${esc(s.what)}</li>`)
          .join("")
      }</ul>`
      : "",
  ].filter(Boolean);
  return parts.length
    ? `<section id="glance" class="glance"><h2>At a glance</h2>${parts.join("")}</section>`
    : "";
}
