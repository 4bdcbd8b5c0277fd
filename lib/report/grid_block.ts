/**
 * A grid's verdict on the page (`grids.ts`): its checks (judged on the mean over the complete
 * seeds, or "not measured" and why), what is shown beside and not judged, each seed's runs, and
 * the grid's figures for the first seed.
 * @module
 */
import { figureChart } from "./charts.ts";
import { badge, num, statusBadge, table } from "./elements.ts";
import { esc, inUnit, tolerance } from "./format.ts";
import { gridStatus, type GridVerdict } from "./grids.ts";
import type { Page } from "./page.ts";
import { figureKey, type ReportSection } from "./sections.ts";

/** The grids of `experiment` this section draws (their figure is one of its keys). */
export function gridsHere(section: ReportSection, experiment: string, page: Page): GridVerdict[] {
  return page.grids.filter((g) =>
    g.experiment === experiment && section.figureKeys.includes(figureKey(g.paperFigure))
  );
}

/** One grid: verdict, checks, notes, seeds and the first seed's figures. */
export function gridBlock(v: GridVerdict, page: Page): string {
  const { result } = v;
  const rows = result.checks.map((c) => {
    const paper = c.claim ? `<small>claim: ${esc(c.claim)}</small>` : num(inUnit(c.paper, c.unit));
    const measured = c.notMeasured
      ? `<em>not measured</em>: ${esc(c.notMeasured)}`
      : `${num(inUnit(c.measured, c.unit))}<br><small>${esc(c.over)}</small>`;
    const verdict = c.notMeasured ? badge("not checked", "status-not-checked") : statusBadge(
      c.met ? "met" : "missed",
    );
    return `<tr><td>${esc(c.name)}${
      c.why ? `<br><small class="muted">why: ${esc(c.why)}</small>` : ""
    }</td><td>${paper}</td><td>${
      esc(tolerance(c.tolerance, c.unit))
    }</td><td>${measured}</td><td>${verdict}</td></tr>`;
  });
  const seeds = result.groups.map((g) =>
    `<li>${esc(g.label)}: ${g.runs.length} run${g.runs.length === 1 ? "" : "s"}${
      g.missing.length
        ? `; not finished: ${g.missing.map((m) => `<code>${esc(m)}</code>`).join(", ")}`
        : ""
    }</li>`
  );
  const first = result.groups.find((g) => g.missing.length === 0) ?? result.groups[0];
  const figures = (first?.figures ?? []).map((f) =>
    `<figure>${page.charts.canvas(figureChart(f), f.title)}<figcaption><strong>${
      esc(`Fig. ${f.paperFigure}`)
    }</strong> ${esc(f.title)}${
      f.caption ? `<br><small>${esc(f.caption)}</small>` : ""
    }</figcaption></figure>`
  );
  return `<div class="grid-verdict" id="grid-${esc(v.experiment)}-${esc(v.id)}">
<h4>${esc(v.title)} ${statusBadge(gridStatus(v))}</h4>
<p class="muted">Judged by this report from the run files of the whole grid, whatever order they
finished in and whichever process trained them; seeds are judged on their mean.</p>
${
    rows.length
      ? table(["Check", "Paper", "Target", "Measured", "Verdict"], rows, "checks")
      : "<p>No check declared.</p>"
  }
${
    result.notes.length
      ? `<p><strong>Shown, not judged:</strong></p><ul>${
        result.notes.map((n) => `<li>${esc(n)}</li>`).join("")
      }</ul>`
      : ""
  }
<p><strong>Seeds of the grid:</strong></p><ul>${seeds.join("")}</ul>
${
    figures.length
      ? `<p class="note">Figures of ${
        esc(first!.label)
      }; the other seeds' numbers are in the table above.</p><div class="charts">${
        figures.join("")
      }</div>`
      : ""
  }
</div>`;
}
