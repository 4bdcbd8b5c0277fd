/**
 * The HTML report: one self-contained file (Chart.js, the stylesheet and the client script
 * inlined, no requests), a pure function of run records. This module lays out the document; each
 * part of the page has its own module:
 *
 * - `headline.ts` and `about.ts`: the first screen (headline numbers, what the page is, alerts);
 * - `overview.ts` and `savings_table.ts`: the overview and the page-wide compute savings;
 * - `paper_section.ts`: one section per part of the paper (`sections.ts` orders them), with run
 *   cards (`cards.ts`), comparison tables (`table.ts`) and charts (`figures.ts`);
 * - `provenance.ts`: benchmarks, per-run provenance and the environment manifest;
 * - `assets/report.css` and `assets/report.client.js` (read by `assets.ts`): style and charts.
 * @module
 */

import type { RunRecord } from "../results.ts";
import { about, alertsHtml } from "./about.ts";
import { asset } from "./assets.ts";
import { esc, scriptJson } from "./format.ts";
import { applyGrids } from "./grids.ts";
import { headlineHtml } from "./headline.ts";
import { overview } from "./overview.ts";
import { newPage, type RenderOptions } from "./page.ts";
import { sectionHtml } from "./paper_section.ts";
import { benchSection, environments, manifest, provenance } from "./provenance.ts";
import { computeSavings } from "./savings.ts";
import { SAVINGS_LEGEND, savingsTable } from "./savings_table.ts";

export type { RenderOptions } from "./page.ts";

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
export function renderReport(recorded: RunRecord[], opts: RenderOptions): string {
  // Grid verdicts are judged here, over every run of the grid; runs keep their own checks only.
  const { records, grids } = applyGrids(recorded, opts.experiments);
  const outdated = opts.outdated ?? new Map<string, string>();
  const page = newPage(records, opts.experiments, grids, outdated);
  const { charts } = page;
  const sections = page.sections.map((s, i) => sectionHtml(s, i + 1, records, page));
  // Checks whose input was missing judge nothing: counted apart, as "not measured".
  const recordedChecks = [
    ...records.flatMap((r) => r.target?.checks ?? []),
    ...grids.flatMap((g) => g.result.checks),
  ];
  const allChecks = recordedChecks.filter((c) => !c.notMeasured);
  const unmeasured = recordedChecks.length - allChecks.length;
  const ran = new Set(records.map((r) => r.experiment));
  const envs = environments(records);
  const what = about(records, page);
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
${allChecks.length} target checks met${
    unmeasured ? ` (${unmeasured} more not measured, each saying why)` : ""
  }.</p>
${headlineHtml(records, opts.experiments, opts.siblings, grids, outdated)}
${what.html}
${alertsHtml(records, outdated)}
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
