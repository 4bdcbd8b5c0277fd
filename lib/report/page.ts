/**
 * What every part of the page reads while it is rendered: the report's inputs, its sections and
 * declarations, the run records, and the charts collected so far.
 * @module
 */

import type { ExperimentId, RunRecord } from "../results.ts";
import type { BenchSummary } from "./bench.ts";
import { type ChartConfig, chartExtras } from "./charts.ts";
import { esc } from "./format.ts";
import type { GridVerdict } from "./grids.ts";
import type { SiblingPage } from "./headline.ts";
import { type ExperimentInfo, type ReportSection, reportSections } from "./sections.ts";

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
  /**
   * Run files the current code would not reuse (tasks/orchestrate.ts `outdatedRuns`), keyed
   * `experiment/run`, each with why: their numbers are marked wherever they are shown.
   */
  outdated?: ReadonlyMap<string, string>;
}

/** What every part of the page reads: sections, declarations, records and the charts so far. */
export interface Page {
  sections: ReportSection[];
  experiments: readonly ExperimentInfo[];
  info(id: ExperimentId): ExperimentInfo | undefined;
  charts: Charts;
  records: RunRecord[];
  /** The grids' verdicts over the records (`grids.ts`). */
  grids: GridVerdict[];
  /** The backend every run of the page used, if they all used one. */
  backend?: string;
  /** Run files the current code would not reuse, as {@link RenderOptions.outdated}. */
  outdated: ReadonlyMap<string, string>;
}

/** Collects the charts of a page; each canvas refers to its config by index. */
export class Charts {
  readonly configs: ChartConfig[] = [];
  /** A chart's canvas, then its legend and note as HTML (`chartExtras`). */
  canvas(config: ChartConfig, label: string, tall = false): string {
    const { config: drawn, html } = chartExtras(config);
    const i = this.configs.push(drawn) - 1;
    return `<div class="chart${tall ? " tall" : ""}"><canvas data-chart="${i}" role="img" ` +
      `aria-label="${esc(label)}"></canvas></div>${html}`;
  }
}

/** A page for these records: the declarations' sections in the paper's order, no charts yet. */
export function newPage(
  records: RunRecord[],
  experiments: readonly ExperimentInfo[],
  grids: GridVerdict[] = [],
  outdated: ReadonlyMap<string, string> = new Map(),
): Page {
  const byId = new Map(experiments.map((e) => [e.id, e]));
  const page: Page = {
    sections: reportSections(experiments),
    experiments,
    info: (id) => byId.get(id),
    charts: new Charts(),
    records,
    grids,
    outdated,
  };
  const backends = [...new Set(records.map((r) => r.environment?.backend).filter(Boolean))];
  if (backends.length === 1) page.backend = backends[0];
  return page;
}
