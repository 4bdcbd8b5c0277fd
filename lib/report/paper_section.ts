/**
 * One section of the page per part of the paper (`sections.ts` orders them): the paper's claim,
 * a reading generated from the runs (`reading.ts`), and per experiment its runs, tables, figures
 * and savings.
 * @module
 */

import type { ExperimentId, RunRecord } from "../results.ts";
import { esc, slug } from "./format.ts";
import { deviationHtml, statusBadge } from "./elements.ts";
import { curveCharts, recordedFigures } from "./figures.ts";
import { runCard } from "./cards.ts";
import { gridBlock, gridsHere } from "./grid_block.ts";
import type { Page } from "./page.ts";
import {
  curvesReading,
  runsReading,
  savingsReading,
  selectionReading,
  tradeoffReading,
} from "./reading.ts";
import { declaredDeviations } from "./runs.ts";
import { computeSavings } from "./savings.ts";
import { savingsTable } from "./savings_table.ts";
import { thetaSlider } from "./slider.ts";
import {
  commandFor,
  type ExperimentInfo,
  figureKey,
  homeSection,
  type ReportSection,
} from "./sections.ts";
import { experimentStatus } from "./summary.ts";
import { comparisonTableHtml } from "./table.ts";

/** The data sets of some runs, in words. */
function dataOf(runs: RunRecord[]): string {
  return [...new Set(runs.map((r) => r.data?.name ?? "unknown"))].join(", ");
}

/** Where an experiment's command goes: the command, or why there is none yet. */
export function commandHtml(
  e: Pick<ExperimentInfo, "id" | "pending">,
  page: Page,
  runs: RunRecord[] = [],
): string {
  const command = commandFor(e, runs, page.backend);
  return command
    ? `<code>${esc(command)}</code>`
    : `${esc(e.id)}: not built yet (${esc(e.pending ?? "")})`;
}

/**
 * One experiment within a section: its heading and, as the section asks, its run cards and
 * declared deviations, comparison tables, figures, drawn charts and compute savings.
 */
function experimentBlock(
  section: ReportSection,
  experiment: ExperimentId,
  all: RunRecord[],
  page: Page,
): string {
  const info = page.info(experiment);
  const runs = all.filter((r) => r.experiment === experiment);
  const home = homeSection(page.sections, experiment);
  const id = home.id === section.id ? ` id="exp-${slug(experiment)}"` : "";
  const heading = `<h3${id}>${esc(experiment)} ${
    statusBadge(experimentStatus(
      runs,
      info?.pending,
      page.grids.filter((g) => g.experiment === experiment),
    ))
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
      `<div class="runs">${
        rcFirst.map((r) => runCard(r, info, all, page.outdated.get(`${r.experiment}/${r.run}`)))
          .join("\n")
      }</div>`,
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
      parts.push(comparisonTableHtml(table, runs, page.outdated));
    }
  }
  parts.push(recordedFigures(section, experiment, runs, page));
  for (const g of gridsHere(section, experiment, page)) parts.push(gridBlock(g, page));
  const drawn = curveCharts(section, experiment, runs, page);
  if (drawn) parts.push(drawn);
  const slider = thetaSlider(section, runs);
  if (slider) parts.push(slider);
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

/**
 * Section `n` of the page: what the paper shows, what the runs show, the commands that run its
 * experiments, then each experiment's block.
 */
export function sectionHtml(
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
