/**
 * `deno task train --experiment ID [--run NAME] [--profile smoke|default|paper]
 *  [--backend auto|webgpu|wasm|cpu] [--out DIR] [--force]`
 *
 * Trains the runs of one experiment (or one run of it), writing their run files; `--force`
 * retrains even when a finished run with the same config exists. Does not render the report
 * (`deno task report` does).
 * @module
 */
import { parseArgs } from "node:util";
import { BACKEND_NAMES, type BackendName, initBackend } from "../lib/backend.ts";
import type { Profile } from "../lib/results.ts";
import { experimentById } from "./experiments.ts";
import { execute, plan } from "./orchestrate.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    experiment: { type: "string" },
    run: { type: "string" },
    profile: { type: "string", default: "default" },
    backend: { type: "string", default: "auto" },
    out: { type: "string", default: "reports" },
    force: { type: "boolean", default: false },
  },
});
try {
  if (!values.experiment) {
    throw new Error("--experiment ID is required (e.g. --experiment two-sequence).");
  }
  if (!["smoke", "default", "paper"].includes(values.profile!)) {
    throw new Error(`--profile must be smoke, default or paper: got "${values.profile}".`);
  }
  if (!BACKEND_NAMES.includes(values.backend as BackendName)) {
    throw new Error(
      `--backend must be one of ${BACKEND_NAMES.join(", ")}: got "${values.backend}".`,
    );
  }
  const experiment = experimentById(values.experiment);
  if (!experiment.runs) throw new Error(`${experiment.id} has no runs yet: ${experiment.pending}.`);
  const profile = values.profile as Profile;
  await initBackend(values.backend as BackendName);
  let items = await plan([experiment], profile, values.out!);
  if (values.run) {
    const names = items.map((i) => i.decl.run);
    items = items.filter((i) => i.decl.run === values.run);
    if (!items.length) {
      throw new Error(
        `${experiment.id} has no run "${values.run}": its runs are ${names.join(", ")}.`,
      );
    }
  }
  if (values.force) items = items.map((i) => ({ ...i, done: null }));
  const records = await execute(items, profile, values.out!);
  Deno.exit(records.some((r) => r.status === "failed") ? 1 : 0);
} catch (e) {
  console.error(`train: ${e instanceof Error ? e.message : e}`);
  Deno.exit(2);
}
