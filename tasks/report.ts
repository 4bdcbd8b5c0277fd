/**
 * `deno task report [--out DIR]`: re-renders `DIR/index.html` and `DIR/summary.json` from the run
 * files under `DIR/runs` (default `reports`). No training.
 * @module
 */

import { writeReport } from "../lib/report/write.ts";
import { parseCli, runCli } from "./_cli.ts";
import { EXPERIMENTS } from "./experiments.ts";
import { outdatedRuns } from "./orchestrate.ts";

export { writeReport };

const CLI = {
  task: "report",
  usage: "usage: deno task report [--out DIR]   (reads DIR/runs, writes DIR/index.html; " +
    "DIR defaults to reports)",
  options: { out: { type: "string", default: "reports" } },
} as const;

/** The task; `args` as on the command line. Throws a UsageError for a bad command line. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCli(CLI, args);
  if (!parsed) return 0;
  const written = await writeReport(parsed.values.out.replace(/\/+$/, "") || "/", {
    experiments: EXPERIMENTS,
    outdated: (records) => outdatedRuns(EXPERIMENTS, records),
  });
  console.log(written.html);
  console.log(written.summary);
  return 0;
}

if (import.meta.main) await runCli(CLI, main);
