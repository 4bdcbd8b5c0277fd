/**
 * `deno task reproduce [--profile smoke|default|paper] [--only ID,ID] [--backend auto|webgpu|wasm|cpu]
 *  [--data-mirror URL|DIR] [--out DIR]`
 *
 * Runs the experiments' missing runs, writes `OUT/runs/<experiment>/<run>.json`, then renders
 * `OUT/index.html` and `OUT/summary.json`. Exits non-zero when any run failed.
 * @module
 */
import { parseArgs } from "node:util";
import { BACKEND_NAMES, type BackendName, initBackend } from "../lib/backend.ts";
import type { Profile } from "../lib/results.ts";
import { writeReport } from "../lib/report/write.ts";
import { experimentById, EXPERIMENTS } from "./experiments.ts";
import { execute, plan } from "./orchestrate.ts";

const USAGE = "usage: deno task reproduce [--profile smoke|default|paper] [--only ID,ID] " +
  "[--backend auto|webgpu|wasm|cpu] [--data-mirror URL|DIR] [--out DIR]";

export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      profile: { type: "string", default: "default" },
      only: { type: "string" },
      backend: { type: "string", default: "auto" },
      "data-mirror": { type: "string" },
      out: { type: "string", default: "reports" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const profile = values.profile as Profile;
  if (!["smoke", "default", "paper"].includes(profile)) {
    throw new Error(`--profile must be smoke, default or paper: got "${profile}".\n${USAGE}`);
  }
  if (!BACKEND_NAMES.includes(values.backend as BackendName)) {
    throw new Error(
      `--backend must be one of ${BACKEND_NAMES.join(", ")}: got "${values.backend}".`,
    );
  }
  if (values["data-mirror"]) Deno.env.set("RC_DATA_MIRROR", values["data-mirror"]);
  const selected = values.only
    ? values.only.split(",").map((s) => experimentById(s.trim()))
    : EXPERIMENTS;
  for (const e of selected.filter((e) => !e.runs)) {
    console.error(`${e.id}: not run (${e.pending})`);
  }
  if (values.only && selected.every((e) => !e.runs)) {
    console.error("Nothing to run: every experiment selected with --only is not built yet.");
    return 1;
  }
  await initBackend(values.backend as BackendName);
  const out = values.out!;
  const items = await plan(selected, profile, out);
  console.error(
    `reproduce: profile ${profile}, ${items.length} runs (${
      items.filter((i) => i.done).length
    } already done), out ${out}/`,
  );
  const records = await execute(items, profile, out);
  const { html, summary } = await writeReport(out);
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

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`reproduce: ${e instanceof Error ? e.message : e}`);
    Deno.exit(2);
  }
}
