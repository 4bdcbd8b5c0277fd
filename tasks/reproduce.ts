/**
 * `deno task reproduce [--profile smoke|default|paper] [--only ID,ID] [--backend auto|webgpu|wasm|cpu]
 *  [--data-mirror URL|DIR] [--out DIR]`
 *
 * Runs the experiments' missing runs, writes `OUT/runs/<experiment>/<run>.json`, then renders
 * `OUT/index.html` and `OUT/summary.json`. Exits non-zero when any run failed.
 * @module
 */
import { BACKEND_NAMES, initBackend } from "../lib/backend.ts";
import { writeReport } from "../lib/report/write.ts";
import { choice, idList, parseCli, PROFILES, runCli } from "./_cli.ts";
import { experimentById, EXPERIMENTS } from "./experiments.ts";
import { execute, plan } from "./orchestrate.ts";

const CLI = {
  task: "reproduce",
  usage: "usage: deno task reproduce [--profile smoke|default|paper] [--only ID,ID] " +
    "[--backend auto|webgpu|wasm|cpu] [--data-mirror URL|DIR] [--out DIR]",
  options: {
    profile: { type: "string", default: "default" },
    only: { type: "string" },
    backend: { type: "string", default: "auto" },
    "data-mirror": { type: "string" },
    out: { type: "string", default: "reports" },
  },
} as const;

/** The task; `args` as on the command line. Throws a UsageError for a bad command line. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCli(CLI, args);
  if (!parsed) return 0;
  const { values } = parsed;
  const profile = choice("profile", values.profile, PROFILES);
  const backend = choice("backend", values.backend, BACKEND_NAMES);
  const selected = values.only === undefined ? EXPERIMENTS : idList(values.only.split(","), {
    where: "--only",
    what: "experiment",
    known: EXPERIMENTS.map((e) => e.id),
  }).map(experimentById);
  if (values["data-mirror"]) Deno.env.set("RC_DATA_MIRROR", values["data-mirror"]);
  for (const e of selected.filter((e) => !e.runs)) {
    console.error(`${e.id}: not run (${e.pending})`);
  }
  if (values.only !== undefined && selected.every((e) => !e.runs)) {
    console.error("Nothing to run: every experiment selected with --only is not built yet.");
    return 1;
  }
  await initBackend(backend);
  const out = values.out;
  const items = await plan(selected, profile, out);
  console.error(
    `reproduce: profile ${profile}, ${items.length} runs (${
      items.filter((i) => i.done).length
    } already done), out ${out}/`,
  );
  const records = await execute(items, profile, out);
  const { html, summary } = await writeReport(out, { experiments: EXPERIMENTS });
  console.error(`report: ${html}\nsummary: ${summary}`);
  const failed = records.filter((r) => r.status === "failed");
  for (const r of records) {
    const acc = Number.isFinite(r.metrics.testAccuracy)
      ? `${(100 * r.metrics.testAccuracy).toFixed(2)} %`
      : "n/a";
    console.log(
      `${r.experiment}/${r.run}: ${r.status}; RC-inference ${acc} at ${
        r.metrics.meanSpikeTime.toFixed(2)
      } steps; ` +
        `EOS ${(100 * r.metrics.eosAccuracy).toFixed(2)} %`,
    );
  }
  if (failed.length) {
    console.error(`FAILED runs: ${failed.map((r) => `${r.experiment}/${r.run}`).join(", ")}`);
    return 1;
  }
  return 0;
}

if (import.meta.main) await runCli(CLI, main);
