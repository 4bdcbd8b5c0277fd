/**
 * `deno task train --experiment ID [--run NAME ...] [--profile smoke|default|paper]
 *  [--backend auto|webgpu|wasm|cpu] [--out DIR] [--force] [--set KEY=VALUE ...]`
 *
 * Trains the runs of one experiment (or those named by `--run`, repeatable), writing their run files; `--force`
 * retrains even when a finished run with the same config exists. Does not render the report
 * (`deno task report` does). `--set` changes a key of the runs' config (checked against the keys
 * the experiment declares settable); the run's name, config hash and deviations record it.
 * @module
 */
import { BACKEND_NAMES, initBackend } from "../lib/backend.ts";
import { choice, parseCli, PROFILES, runCli, UsageError } from "./_cli.ts";
import { experimentById, EXPERIMENTS } from "./experiments.ts";
import { parseOverrides } from "../lib/experiments/overrides.ts";
import { execute, plan } from "./orchestrate.ts";

const CLI = {
  task: "train",
  usage:
    "usage: deno task train --experiment ID [--run NAME ...] [--profile smoke|default|paper] " +
    "[--backend auto|webgpu|wasm|cpu] [--out DIR] [--force] [--set KEY=VALUE ...] [--dataset mnist|fashion-mnist]",
  options: {
    experiment: { type: "string" },
    run: { type: "string", multiple: true },
    profile: { type: "string", default: "default" },
    backend: { type: "string", default: "auto" },
    out: { type: "string", default: "reports" },
    force: { type: "boolean", default: false },
    set: { type: "string", multiple: true },
    dataset: { type: "string" },
  },
} as const;

/** The task; `args` as on the command line. Throws a UsageError for a bad command line. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCli(CLI, args);
  if (!parsed) return 0;
  const { values } = parsed;
  if (values.experiment === undefined) {
    throw new UsageError("--experiment ID is required (e.g. --experiment two-sequence)");
  }
  const profile = choice("profile", values.profile, PROFILES);
  const backend = choice("backend", values.backend, BACKEND_NAMES);
  const experiment = experimentById(
    choice("experiment", values.experiment, EXPERIMENTS.map((e) => e.id)),
  );
  if (!experiment.runs) {
    throw new UsageError(`${experiment.id} has no runs yet: ${experiment.pending}`);
  }
  let overrides: Record<string, unknown>;
  try {
    // --dataset NAME is --set dataset=NAME (temporal MNIST: mnist or fashion-mnist).
    const pairs = [...(values.set ?? []), ...(values.dataset ? [`dataset=${values.dataset}`] : [])];
    overrides = parseOverrides(pairs, experiment.settable ?? {}, experiment.id);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  await initBackend(backend);
  let items = await plan([experiment], profile, values.out, overrides);
  if (values.run !== undefined) {
    const names = items.map((i) => i.decl.run);
    const unknown = values.run.filter((n) => !names.includes(n));
    if (unknown.length) {
      throw new UsageError(
        `${experiment.id} has no run "${unknown[0]}": its runs are ${names.join(", ")}`,
      );
    }
    items = items.filter((i) => values.run!.includes(i.decl.run));
  }
  if (values.force) items = items.map((i) => ({ ...i, done: null }));
  const records = await execute(items, profile, values.out, undefined, { force: values.force });
  return records.some((r) => r.status === "failed") ? 1 : 0;
}

if (import.meta.main) await runCli(CLI, main);
