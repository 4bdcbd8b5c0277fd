/**
 * Runs what is missing: each declared run is identified by the hash of its experiment, run,
 * profile and config; a finished run file with that hash is reused, anything else is (re)run.
 * A failing run is recorded as `failed` and the others go on.
 * @module
 */
import { environment } from "../lib/backend.ts";
import { zeroCounts } from "../lib/rc/types.ts";
import {
  configHash,
  type ExperimentId,
  findFinishedRun,
  type Profile,
  type RunRecord,
  writeRun,
} from "../lib/results.ts";
import type { ExperimentDeclaration, RunDeclaration } from "./experiments.ts";

export interface PlanItem {
  experiment: ExperimentDeclaration;
  decl: RunDeclaration;
  hash: string;
  done: RunRecord | null;
}

/** Bumped when a change to the code invalidates earlier run files. */
const CODE_VERSION = 3; // 3: BLAS matmul + fused wasm cell (other last bits), paired timing

/** The runs of `experiments` at `profile`, with the finished ones found in `outDir`. */
export async function plan(
  experiments: ExperimentDeclaration[],
  profile: Profile,
  outDir: string,
): Promise<PlanItem[]> {
  const items: PlanItem[] = [];
  for (const experiment of experiments) {
    for (const decl of experiment.runs?.(profile) ?? []) {
      const hash = await configHash({
        codeVersion: CODE_VERSION,
        experiment: experiment.id,
        run: decl.run,
        profile,
        config: decl.config,
      });
      items.push({
        experiment,
        decl,
        hash,
        done: await findFinishedRun(outDir, experiment.id, decl.run, hash),
      });
    }
  }
  return items;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const m = Math.floor(seconds / 60);
  return m > 0 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.round(seconds)} s`;
}

/** Executes the plan's missing runs in order; returns every record (reused, new or failed). */
export async function execute(
  items: PlanItem[],
  profile: Profile,
  outDir: string,
  log: (line: string) => void = (l) => console.error(l),
): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  const todo = items.filter((i) => !i.done);
  const totalCost = todo.reduce((s, i) => s + i.decl.cost, 0);
  let doneCost = 0;
  const began = performance.now();
  for (const item of items) {
    const id = `${item.experiment.id}/${item.decl.run}`;
    if (item.done) {
      log(`${id}: finished earlier (config ${item.hash}), reused`);
      records.push(item.done);
      continue;
    }
    const elapsed = (performance.now() - began) / 1000;
    const eta = doneCost > 0 ? (elapsed / doneCost) * (totalCost - doneCost) : NaN;
    log(
      `[${(100 * doneCost / totalCost).toFixed(0)} %] ${id}: starting (elapsed ${
        formatDuration(elapsed)
      }, ` +
        `remaining about ${formatDuration(eta)})`,
    );
    const finished = records.filter((r) => r.experiment === item.experiment.id);
    let record: RunRecord;
    const startedAt = new Date().toISOString();
    try {
      record = await item.decl.execute({ profile, configHash: item.hash, finished, log });
    } catch (e) {
      const error = e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e);
      log(`${id}: FAILED: ${e instanceof Error ? e.message : e}`);
      record = await failedRecord(
        item.experiment.id,
        item.decl,
        profile,
        item.hash,
        startedAt,
        error,
      );
    }
    const path = await writeRun(outDir, record);
    log(`${id}: ${record.status} -> ${path}`);
    records.push(record);
    doneCost += item.decl.cost;
  }
  return records;
}

async function failedRecord(
  experiment: ExperimentId,
  decl: RunDeclaration,
  profile: Profile,
  hash: string,
  startedAt: string,
  error: string,
): Promise<RunRecord> {
  const empty = zeroCounts();
  return {
    schema: 1,
    experiment,
    run: decl.run,
    method: decl.run.startsWith("eos") ? "eos" : "rc",
    title: `${experiment}/${decl.run} (failed)`,
    profile,
    config: decl.config,
    configHash: hash,
    seed: Number(decl.config.seed ?? 0),
    data: { name: "unknown", checksum: "" },
    environment: await environment(),
    status: "failed",
    error,
    startedAt,
    finishedAt: new Date().toISOString(),
    target: { description: "", checks: [] },
    deviations: [],
    metrics: {
      threshold: Number(decl.config.threshold ?? NaN),
      testAccuracy: NaN,
      meanSpikeTime: NaN,
      fractionFired: NaN,
      eosAccuracy: NaN,
      numSteps: 0,
      thresholdCurve: [],
      extra: {},
    },
    compute: { train: empty, inference: empty, flopsPerExampleStep: 0 },
    curves: [],
    figures: [],
  };
}
