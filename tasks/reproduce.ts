/**
 * `deno task reproduce [--profile smoke|default|paper] [--only ID,ID] [--backend auto|webgpu|wasm|cpu]
 *  [--data-mirror URL|DIR] [--out DIR]`
 *
 * Runs the experiments' missing runs, writes `OUT/runs/<experiment>/<run>.json`, then renders
 * `OUT/index.html` and `OUT/summary.json`. Exits non-zero when any run failed. Before training
 * anything it checks that OUT can be written and that the run files already there are valid.
 *
 * `--plan` prints the missing runs as JSON (experiment, run, config hash, estimated cost, backend,
 * resources and the command that trains each) and trains nothing; `--emit slurm|k8s` writes a
 * Slurm job array (`OUT/cluster/grid.sbatch` and `submit.sh`) or Kubernetes Indexed Jobs
 * (`OUT/cluster/grid.k8s.json`) that train them into OUT (tasks/cluster/emit.ts).
 * @module
 */
import { BACKEND_NAMES, initBackend } from "../lib/backend.ts";
import { scanRuns, WRITER_ID } from "../lib/results.ts";
import { writeReport } from "../lib/report/write.ts";
import { choice, idList, parseCli, PROFILES, runCli, UsageError } from "./_cli.ts";
import { experimentById, EXPERIMENTS } from "./experiments.ts";
import { execute, outdatedRuns, plan } from "./orchestrate.ts";
import { parseOverrides } from "../lib/experiments/overrides.ts";
import type { ExperimentDeclaration } from "../lib/experiments/declaration.ts";
import { emit, plannedRuns } from "./cluster/emit.ts";

const CLI = {
  task: "reproduce",
  usage: "usage: deno task reproduce [--profile smoke|default|paper] [--only ID,ID] " +
    "[--backend auto|webgpu|wasm|cpu] [--data-mirror URL|DIR] [--out DIR] [--plan] " +
    "[--emit slurm|k8s] [--dataset mnist|fashion-mnist]",
  options: {
    profile: { type: "string", default: "default" },
    only: { type: "string" },
    backend: { type: "string", default: "auto" },
    "data-mirror": { type: "string" },
    out: { type: "string", default: "reports" },
    plan: { type: "boolean", default: false },
    emit: { type: "string" },
    dataset: { type: "string" },
  },
} as const;

/**
 * Checks, before anything trains, that `out` can be written (a probe file in `out/runs`) and that
 * the run files already there pass the schema. Returns the lines to print (empty: all good).
 */
export async function checkOutput(out: string): Promise<string[]> {
  const probe = `${out}/runs/.write-probe.${WRITER_ID}`;
  if (Deno.permissions.querySync({ name: "write", path: out }).state !== "granted") {
    return [
      `Cannot write to the output folder ${out}: this task may write only under reports/ and ` +
      `/tmp; choose one of those for --out, or run the task's command from deno.json with ` +
      `--allow-write=${out} --allow-read=${out} added`,
    ];
  }
  try {
    await Deno.mkdir(`${out}/runs`, { recursive: true });
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (e) {
    return [
      `Cannot write to the output folder ${out} (${(e as Error).message}); ` +
      `choose a writable --out (the deno task may write under reports/ and /tmp)`,
    ];
  }
  const bad = (await scanRuns(out)).flatMap((f) => f.problem ? [f.problem] : []);
  if (bad.length) {
    bad.push(
      `${bad.length} run file(s) in ${out}/runs are invalid: fix or delete them, then run again ` +
        `(nothing was trained)`,
    );
  }
  return bad;
}

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
  const overrides = datasetOverride(values.dataset, selected);
  if (values["data-mirror"]) Deno.env.set("RC_DATA_MIRROR", values["data-mirror"]);
  for (const e of selected.filter((e) => !e.runs)) {
    console.error(`${e.id}: not run (${e.pending})`);
  }
  if (values.only !== undefined && selected.every((e) => !e.runs)) {
    console.error("Nothing to run: every experiment selected with --only is not built yet.");
    return 1;
  }
  const out = values.out.replace(/\/+$/, "") || "/";
  const emitKind = values.emit === undefined
    ? undefined
    : choice("emit", values.emit, ["slurm", "k8s"] as const);
  if (values.plan || emitKind) {
    const problems = emitKind ? await checkOutput(out) : [];
    if (problems.length) {
      for (const p of problems) console.error(p);
      return 1;
    }
    const items = await plan(selected, profile, out, overrides);
    const runs = plannedRuns(items, { profile, backend, out });
    if (values.plan) {
      console.log(JSON.stringify(
        {
          profile,
          out,
          finished: items.filter((i) => i.done).length,
          notBuilt: selected.filter((e) => !e.runs).map((e) => e.id),
          missing: runs,
        },
        null,
        1,
      ));
    }
    if (emitKind) {
      if (!runs.length) {
        console.error(`emit: nothing to emit, every selected run is finished in ${out}/runs`);
        return 0;
      }
      const cwd = Deno.cwd();
      const abs = out.startsWith("/") ? out : `${cwd}/${out}`;
      const paths = await emit(emitKind, runs, {
        profile,
        out: abs,
        repo: cwd,
        dataMirror: values["data-mirror"],
      });
      for (const p of paths) console.error(`wrote ${p}`);
      console.error(
        emitKind === "slurm"
          ? `submit: bash ${paths[1]}   (${runs.length} array tasks; logs in ${abs}/cluster/logs)`
          : `submit: kubectl apply -f ${paths[0]}   (needs a PersistentVolumeClaim rc-shared ` +
            `holding this checkout at ${cwd})`,
      );
      console.error(`then: deno task report --out ${abs}`);
    }
    return 0;
  }
  const problems = await checkOutput(out);
  if (problems.length) {
    for (const p of problems) console.error(p);
    return 1;
  }
  await initBackend(backend);
  const items = await plan(selected, profile, out, overrides);
  console.error(
    `reproduce: profile ${profile}, ${items.length} runs (${
      items.filter((i) => i.done).length
    } already done), out ${out}/`,
  );
  const records = await execute(items, profile, out);
  const { html, summary } = await writeReport(out, {
    experiments: EXPERIMENTS,
    outdated: (records) => outdatedRuns(EXPERIMENTS, records),
  });
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

/**
 * `--dataset NAME`: a `--set dataset=NAME` for experiments that declare a data set choice (temporal
 * MNIST: mnist or fashion-mnist). Every selected experiment must take it, or it is a usage error.
 */
function datasetOverride(
  dataset: string | undefined,
  selected: readonly ExperimentDeclaration[],
): Record<string, unknown> {
  if (dataset === undefined) return {};
  const built = selected.filter((e) => e.runs);
  const without = built.filter((e) => !e.settable?.["dataset" as never]);
  if (without.length || !built.length) {
    const takers = EXPERIMENTS.filter((e) => e.runs && e.settable?.["dataset" as never]);
    throw new UsageError(
      `--dataset applies to ${takers.map((e) => e.id).join(", ")} only` +
        (without.length ? `, not ${without.map((e) => e.id).join(", ")}` : "") +
        ` (e.g. --only mnist --dataset fashion-mnist)`,
    );
  }
  try {
    return parseOverrides([`dataset=${dataset}`], built[0].settable ?? {}, built[0].id);
  } catch (e) {
    throw new UsageError((e as Error).message.replace("--set dataset=", "--dataset "));
  }
}
