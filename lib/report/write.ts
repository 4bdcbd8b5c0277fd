/**
 * Writes `OUT/index.html` and `OUT/summary.json` from the run files under `OUT/runs` (and
 * `OUT/bench/latest.json` when present). Re-rendering never trains.
 * @module
 */

import type { SiblingPage } from "./headline.ts";
import type { ExperimentInfo } from "../experiments/declaration.ts";
import { readRuns, type RunRecord } from "../results.ts";
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
  /**
   * Which of the records the current code would not reuse, keyed `experiment/run`, each with why
   * (tasks/orchestrate.ts `outdatedRuns`): the report marks their numbers. None when absent.
   */
  outdated?: (records: RunRecord[]) => Promise<ReadonlyMap<string, string>>;
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
 * Other reports in subfolders of `outDir` (a folder with its own `index.html`), each described by
 * the first heading of its README.md: linked from the first screen.
 */
export async function siblingPages(outDir: string): Promise<SiblingPage[]> {
  const out: SiblingPage[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(outDir)].filter((e) => e.isDirectory);
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    try {
      Deno.statSync(`${outDir}/${e.name}/index.html`);
    } catch {
      continue;
    }
    let what = "another report";
    try {
      const readme = await Deno.readTextFile(`${outDir}/${e.name}/README.md`);
      what = readme.split("\n").find((l) => l.startsWith("# "))?.slice(2).trim() ?? what;
    } catch { /* no README: a plain link */ }
    out.push({ href: `${e.name}/index.html`, what });
  }
  return out;
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
  const outdated = await opts.outdated?.(records) ?? new Map<string, string>();
  await Deno.mkdir(outDir, { recursive: true });
  const html = `${outDir}/index.html`;
  const summary = `${outDir}/summary.json`;
  await writeAtomic(
    html,
    renderReport(records, {
      bench,
      generatedAt,
      chartJs,
      experiments: opts.experiments,
      siblings: await siblingPages(outDir),
      outdated,
    }),
  );
  await writeAtomic(
    summary,
    JSON.stringify(
      {
        generatedAt,
        ...summarise(records, opts.experiments),
        outdated: Object.fromEntries(outdated),
      },
      null,
      1,
    ) + "\n",
  );
  return { html, summary };
}
