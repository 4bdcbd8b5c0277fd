/**
 * The paper's grid for a cluster: the runs a plan still misses, as JSON (`reproduce --plan`), as
 * a Slurm job array (`--emit slurm`) or as Kubernetes Indexed Jobs (`--emit k8s`). Every array
 * task / job index trains one run with `deno task train --experiment X --run Y --out SHARED`
 * into a shared output folder; the run store (lib/results.ts, tasks/_store.ts) lets them write
 * there together, and `deno task report --out SHARED` renders whatever has finished.
 *
 * Runs come in waves: wave 0 holds every run whose EOS baseline is not also missing, wave 1 the
 * RC runs whose baseline is trained in wave 0 (an RC run measures its spike-time ratio against
 * its finished baseline).
 * @module
 */
import type { Profile } from "../../lib/results.ts";
import type { PlanItem } from "../orchestrate.ts";
import { overrideSuffix } from "../../lib/experiments/overrides.ts";

/** What one run needs from a scheduler. */
export interface Resources {
  cpus: number;
  gpus: number;
  memGiB: number;
  /** Wall-clock limit, Slurm's `HH:MM:SS`. */
  time: string;
}

/** A missing run as `--plan` prints it. */
export interface PlannedRun {
  experiment: string;
  run: string;
  configHash: string;
  /** The declaration's estimate: example-steps of training. */
  cost: { exampleSteps: number };
  /** The backend it trains on (`--backend auto` resolves to webgpu at paper, wasm below). */
  backend: string;
  resources: Resources;
  /** 0, or 1 when its EOS baseline is missing too (trained first, in wave 0). */
  wave: 0 | 1;
  /** The run it compares against (an RC run's EOS baseline), when it has one. */
  baseline?: string;
  /** The run's name as `train --run` takes it (without override suffixes). */
  declaredRun: string;
  /** The exact command that trains this one run, from the repository's root. */
  command: string;
  /** `--set key=value` words of the run's config overrides (empty when none). */
  setArgs: string[];
}

/** The backend a run needs at `profile` when `requested` (auto: a GPU only at paper). */
export function backendFor(profile: Profile, requested: string): string {
  if (requested !== "auto") return requested;
  return profile === "paper" ? "webgpu" : "wasm";
}

/** Resources per profile and backend: smoke fits one core; paper runs get a GPU. */
export function resourcesFor(profile: Profile, backend: string): Resources {
  const gpus = backend === "webgpu" ? 1 : 0;
  if (profile === "smoke") return { cpus: 1, gpus, memGiB: 2, time: "00:15:00" };
  if (profile === "default") return { cpus: 2, gpus, memGiB: 4, time: "04:00:00" };
  return { cpus: 4, gpus, memGiB: 16, time: "48:00:00" };
}

/** Quotes a word for bash when it needs it. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The missing runs of a plan, baselines' wave first. */
export function plannedRuns(
  items: PlanItem[],
  opts: { profile: Profile; backend: string; out: string },
): PlannedRun[] {
  const missing = items.filter((i) => !i.done);
  const backend = backendFor(opts.profile, opts.backend);
  const runs = missing.map((i): PlannedRun => {
    const baseline = i.decl.baseline && i.decl.baseline + overrideSuffix(i.overrides);
    const wave = baseline &&
        missing.some((m) => m.experiment.id === i.experiment.id && m.run === baseline)
      ? 1
      : 0;
    const args = [
      "deno",
      "task",
      "train",
      "--experiment",
      i.experiment.id,
      "--run",
      i.decl.run,
      "--profile",
      opts.profile,
      "--backend",
      backend,
      "--out",
      opts.out,
    ];
    const setArgs = Object.entries(i.overrides ?? {}).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
    args.push(...setArgs);
    return {
      experiment: i.experiment.id,
      run: i.run,
      configHash: i.hash,
      cost: { exampleSteps: i.decl.cost(i.config) },
      backend,
      resources: resourcesFor(opts.profile, backend),
      wave,
      ...(baseline ? { baseline } : {}),
      declaredRun: i.decl.run,
      command: args.map(shellWord).join(" "),
      setArgs,
    };
  });
  return [...runs.filter((r) => r.wave === 0), ...runs.filter((r) => r.wave === 1)];
}

/** Options of the emitted files. */
export interface EmitOptions {
  profile: Profile;
  /** The shared output folder, absolute. */
  out: string;
  /** The repository's root on the cluster's shared filesystem, absolute. */
  repo: string;
  /** `RC_DATA_MIRROR` for the tasks, when given. */
  dataMirror?: string;
}

function waveRanges(runs: PlannedRun[]): { wave: number; first: number; last: number }[] {
  const out = [];
  for (const wave of [0, 1]) {
    const idx = runs.flatMap((r, i) => r.wave === wave ? [i] : []);
    if (idx.length) out.push({ wave, first: idx[0], last: idx[idx.length - 1] });
  }
  return out;
}

/** The Slurm job-array script: array task i trains `runs[i]`, one log per task. */
export function slurmScript(runs: PlannedRun[], opts: EmitOptions): string {
  const r = runs[0].resources;
  const lines = [
    "#!/bin/bash",
    `# The rank-coding grid at profile ${opts.profile}: ${runs.length} runs, one array task each`,
    "# (emitted by deno task reproduce --emit slurm). Submit with submit.sh beside it, which",
    "# submits the RC runs after the EOS baselines they compare against; or sbatch this file",
    "# alone (all at once: an RC run whose baseline is not finished yet goes without that check).",
    `#SBATCH --job-name=rc-grid-${opts.profile}`,
    `#SBATCH --array=0-${runs.length - 1}`,
    "#SBATCH --ntasks=1",
    `#SBATCH --cpus-per-task=${r.cpus}`,
    `#SBATCH --mem=${r.memGiB}G`,
    `#SBATCH --time=${r.time}`,
    ...(r.gpus > 0 ? [`#SBATCH --gres=gpu:${r.gpus}`] : []),
    `#SBATCH --output=${opts.out}/cluster/logs/%A_%a.log`,
    `#SBATCH --chdir=${opts.repo}`,
    "set -euo pipefail",
    ...(opts.dataMirror ? [`export RC_DATA_MIRROR=${shellWord(opts.dataMirror)}`] : []),
    "# experiment, run, config hash (wave)",
    "RUNS=(",
    ...runs.map((p) => `  "${p.experiment} ${p.declaredRun} ${p.configHash}" # wave ${p.wave}`),
    ")",
    'read -r EXPERIMENT RUN HASH <<<"${RUNS[$SLURM_ARRAY_TASK_ID]}"',
    'echo "array task $SLURM_ARRAY_TASK_ID on $(hostname): $EXPERIMENT/$RUN (config $HASH)"',
    `exec "\${DENO:-deno}" task train --experiment "$EXPERIMENT" --run "$RUN" ` +
    `--profile ${opts.profile} --backend ${runs[0].backend} --out ${shellWord(opts.out)}` +
    runs[0].setArgs.map((w) => ` ${shellWord(w)}`).join(""),
    "",
  ];
  return lines.join("\n");
}

/** Submits grid.sbatch wave by wave (wave 1 after wave 0 ends); prints "job ID" per wave. */
export function slurmSubmit(runs: PlannedRun[]): string {
  const lines = [
    "#!/bin/bash",
    "# Submits grid.sbatch (beside this file) in waves: the RC runs after the EOS baselines",
    "# they compare against. Prints one line per wave: job ID.",
    "set -euo pipefail",
    'here="$(cd "$(dirname "$0")" && pwd)"',
    "dep=()",
  ];
  for (const w of waveRanges(runs)) {
    lines.push(
      `id=$(sbatch --parsable --array=${w.first}-${w.last} "\${dep[@]}" "$here/grid.sbatch")`,
      "id=${id%%;*}",
      `echo "job $id (wave ${w.wave}: array tasks ${w.first}-${w.last})"`,
      'dep=(--dependency="afterany:$id")',
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * Kubernetes Indexed Jobs (a `v1` List, one Job per wave): index i of a wave trains its i-th run.
 * The shared folder is a PersistentVolumeClaim `rc-shared` mounted at `/shared` that holds the
 * checkout at `opts.repo`; a wave-1 index waits for its baseline's run file before training.
 */
export function k8sManifest(runs: PlannedRun[], opts: EmitOptions): Record<string, unknown> {
  const items = waveRanges(runs).map((w) => {
    const mine = runs.slice(w.first, w.last + 1);
    const r = mine[0].resources;
    const table = mine.map((p) =>
      `"${p.experiment} ${p.declaredRun} ${p.configHash} ${p.baseline ?? "-"}"`
    ).join(" ");
    const baselineWait = w.wave === 1
      ? [
        "# wave 1: wait until the EOS baseline this RC run compares against has finished",
        `until [ -f ${shellWord(opts.out)}/runs/"$EXPERIMENT/$BASELINE.json" ]; do sleep 10; done`,
      ]
      : [];
    const script = [
      "set -euo pipefail",
      `RUNS=(${table})`,
      'read -r EXPERIMENT RUN HASH BASELINE <<<"${RUNS[$JOB_COMPLETION_INDEX]}"',
      ...baselineWait,
      `mkdir -p ${shellWord(opts.out)}/cluster/logs`,
      `log=${shellWord(opts.out)}/cluster/logs/k8s-wave${w.wave}_$JOB_COMPLETION_INDEX.log`,
      'echo "index $JOB_COMPLETION_INDEX: $EXPERIMENT/$RUN (config $HASH)" | tee "$log"',
      `deno task train --experiment "$EXPERIMENT" --run "$RUN" --profile ${opts.profile} ` +
      `--backend ${mine[0].backend} --out ${shellWord(opts.out)}` +
      mine[0].setArgs.map((w) => ` ${shellWord(w)}`).join("") + ` 2>&1 | tee -a "$log"`,
    ].join("\n");
    const limits: Record<string, string> = { memory: `${r.memGiB}Gi` };
    if (r.gpus > 0) limits["nvidia.com/gpu"] = String(r.gpus);
    return {
      apiVersion: "batch/v1",
      kind: "Job",
      metadata: {
        name: `rc-grid-${opts.profile}-wave${w.wave}`,
        labels: { app: "rank-coding-grid", profile: opts.profile },
      },
      spec: {
        completionMode: "Indexed",
        completions: mine.length,
        parallelism: mine.length,
        backoffLimitPerIndex: 1,
        template: {
          spec: {
            restartPolicy: "Never",
            containers: [{
              name: "train",
              image: "denoland/deno:2.9.6",
              workingDir: opts.repo,
              command: ["bash", "-c", script],
              env: [
                ...(opts.dataMirror ? [{ name: "RC_DATA_MIRROR", value: opts.dataMirror }] : []),
              ],
              resources: { requests: { cpu: String(r.cpus), memory: `${r.memGiB}Gi` }, limits },
              volumeMounts: [{ name: "shared", mountPath: "/shared" }],
            }],
            volumes: [{ name: "shared", persistentVolumeClaim: { claimName: "rc-shared" } }],
          },
        },
      },
    };
  });
  return { apiVersion: "v1", kind: "List", items };
}

/** Writes the files of `kind` under `OUT/cluster/`; returns their paths. */
export async function emit(
  kind: "slurm" | "k8s",
  runs: PlannedRun[],
  opts: EmitOptions,
): Promise<string[]> {
  const dir = `${opts.out}/cluster`;
  await Deno.mkdir(`${dir}/logs`, { recursive: true });
  if (kind === "k8s") {
    const path = `${dir}/grid.k8s.json`;
    await Deno.writeTextFile(path, JSON.stringify(k8sManifest(runs, opts), null, 1) + "\n");
    return [path];
  }
  const script = `${dir}/grid.sbatch`;
  const submit = `${dir}/submit.sh`;
  await Deno.writeTextFile(script, slurmScript(runs, opts), { mode: 0o755 });
  await Deno.writeTextFile(submit, slurmSubmit(runs), { mode: 0o755 });
  return [script, submit];
}
