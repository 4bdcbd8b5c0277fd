/**
 * Writes `OUT/index.html` and `OUT/summary.json` from the run files under `OUT/runs` (and
 * `OUT/bench/latest.json` when present). Re-rendering never trains.
 * @module
 */

import type { ExperimentInfo } from "../experiments/declaration.ts";
import { readRuns } from "../results.ts";
import { type BenchSummary, parseDenoBenchJson } from "./bench.ts";
import { loadChartJs } from "./chartjs.ts";
import { renderReport } from "./html.ts";
import { summarise } from "./summary.ts";

/** Options of `writeReport`; the defaults suit `deno task report`. */
export interface WriteReportOptions {
  /** Shown in the report; defaults to now. */
  generatedAt?: string;
  /** Chart.js text to inline; defaults to the installed package's `dist/chart.umd.js`. */
  chartJs?: string;
  /** The experiments' declarations (their report-facing data), in the paper's order. */
  experiments: readonly ExperimentInfo[];
}

/** Paths of the files written. */
export interface WrittenReport {
  html: string;
  summary: string;
}

/** Writes under a name of this writer's own, then renames: processes finishing together never collide. */
async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeTextFile(tmp, text);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** The latest benchmark results under `OUT/bench/latest.json`, or null when there are none. */
export async function readBench(outDir: string): Promise<BenchSummary | null> {
  const path = `${outDir}/bench/latest.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  try {
    return parseDenoBenchJson(text);
  } catch (e) {
    throw new Error(`Cannot read benchmark results ${path}: ${(e as Error).message}`);
  }
}

/**
 * Renders the report of `outDir` and writes `index.html` and `summary.json` there.
 * @returns the paths written.
 */
export async function writeReport(
  outDir: string,
  opts: WriteReportOptions,
): Promise<WrittenReport> {
  const records = await readRuns(outDir);
  const bench = await readBench(outDir);
  const chartJs = opts.chartJs ?? await loadChartJs();
  const generatedAt = opts.generatedAt ?? new Date().toISOString();
  await Deno.mkdir(outDir, { recursive: true });
  const html = `${outDir}/index.html`;
  const summary = `${outDir}/summary.json`;
  await writeAtomic(
    html,
    renderReport(records, { bench, generatedAt, chartJs, experiments: opts.experiments }),
  );
  await writeAtomic(
    summary,
    JSON.stringify({ generatedAt, ...summarise(records, opts.experiments) }, null, 1) + "\n",
  );
  return { html, summary };
}
