/**
 * Runs what is missing: each declared run is identified by the hash of its experiment, run,
 * profile and config (with `--set` overrides applied); a finished run file with that hash is
 * reused, anything else is (re)run. A failing run is recorded as `failed` and the others go on.
 *
 * Several processes (or a cluster's array tasks) may execute into one output folder: each run is
 * claimed before it trains (tasks/_store.ts), a run another worker holds is waited for and then
 * reused, and run files are published through the run store (lib/results.ts `storeRun`), which
 * keeps a finished run once, intact.
 * @module
 */
import { environment } from "../lib/backend.ts";
import { zeroCounts } from "../lib/rc/types.ts";
import {
  configHash,
  findFinishedRun,
  type Profile,
  readRunFile,
  runPath,
  runProblem,
  type RunRecord,
  storeRun,
} from "../lib/results.ts";
import { Claim, leaseMs, tryClaim } from "./_store.ts";
import { NO_LONGER_DECLARED } from "../lib/report/runs.ts";
import type { ExperimentDeclaration, RunDeclaration } from "../lib/experiments/declaration.ts";
import { overrideDeviations, overrideSuffix } from "../lib/experiments/overrides.ts";

export interface PlanItem {
  experiment: ExperimentDeclaration;
  decl: RunDeclaration;
  /** The run's name: the declared one, plus the overrides' suffix. */
  run: string;
  /** The declared config with the overrides applied: what runs and what is hashed. */
  config: Record<string, unknown>;
  /** `--set` overrides (empty: none). */
  overrides: Record<string, unknown>;
  hash: string;
  done: RunRecord | null;
}

/** Bumped when a change to the code invalidates earlier run files. */
const CODE_VERSION = 3; // 3: BLAS matmul + fused wasm cell (other last bits), paired timing

/**
 * The runs of `experiments` at `profile`, with the finished ones found in `outDir`. `overrides`
 * (already checked against the experiment's settable keys) change every run's config, hash and
 * name.
 */
export async function plan(
  experiments: readonly ExperimentDeclaration[],
  profile: Profile,
  outDir: string,
  overrides: Record<string, unknown> = {},
): Promise<PlanItem[]> {
  const items: PlanItem[] = [];
  const suffix = overrideSuffix(overrides);
  for (const experiment of experiments) {
    for (const decl of experiment.runs?.(profile) ?? []) {
      const run = decl.run + suffix;
      const config = { ...decl.config, ...overrides };
      const hash = await runHash(experiment.id, decl.run, profile, config);
      items.push({
        experiment,
        decl,
        run,
        config,
        overrides,
        hash,
        done: await findFinishedRun(outDir, experiment.id, run, hash),
      });
    }
  }
  return items;
}

/** The hash `plan` gives a declared run at `profile` with `config` (its overrides applied). */
function runHash(
  experiment: string,
  run: string,
  profile: string,
  config: Record<string, unknown>,
): Promise<string> {
  return configHash({ codeVersion: CODE_VERSION, experiment, run, profile, config });
}

const shown = (
  v: unknown,
) => (typeof v === "number" ? v.toLocaleString("en-US") : JSON.stringify(v));

/**
 * The run files `plan` would not reuse, keyed `experiment/run`, each with why: made with another
 * config than the current code declares for the run at its profile (the keys that differ, the
 * file's value then the current one), by an older code version, or for a run no longer declared.
 * `deno task reproduce` reruns the first two; the report marks their numbers. Failed runs, and
 * runs of experiments not in `experiments`, are left out.
 */
export async function outdatedRuns(
  experiments: readonly ExperimentDeclaration[],
  records: readonly RunRecord[],
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const r of records) {
    const experiment = experiments.find((e) => e.id === r.experiment);
    if (r.status === "failed" || !experiment?.runs) continue;
    const overrides = (r.overrides ?? {}) as Record<string, unknown>;
    const suffix = overrideSuffix(overrides);
    const decl = experiment.runs(r.profile as Profile).find((d) => d.run + suffix === r.run);
    const key = `${r.experiment}/${r.run}`;
    if (!decl) {
      out.set(key, NO_LONGER_DECLARED);
      continue;
    }
    const config = { ...decl.config, ...overrides };
    if (await runHash(experiment.id, decl.run, r.profile, config) === r.configHash) continue;
    const had = (r.config ?? {}) as Record<string, unknown>;
    const changed = [...new Set([...Object.keys(had), ...Object.keys(config)])].sort()
      .filter((k) => JSON.stringify(had[k]) !== JSON.stringify(config[k]))
      .map((k) => `${k} ${shown(had[k])} (now ${shown(config[k])})`);
    out.set(
      key,
      changed.length
        ? `made with an older config of profile ${r.profile}: ${changed.join(", ")}`
        : `made by an older version of the code (its config is the current one)`,
    );
  }
  return out;
}

/** The record with its overrides and the deviations they make from the paper's config. */
function withOverrides(item: PlanItem, record: RunRecord): RunRecord {
  if (Object.keys(item.overrides).length === 0) return record;
  const paper = item.experiment.runs?.("paper").find((d) => d.method === item.decl.method);
  return {
    ...record,
    overrides: item.overrides,
    deviations: [...record.deviations, ...overrideDeviations(item.overrides, paper?.config)],
  };
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const m = Math.floor(seconds / 60);
  return m > 0 ? `${m} min ${Math.round(seconds % 60)} s` : `${Math.round(seconds)} s`;
}

/** Options of `execute`. */
export interface ExecuteOptions {
  /** Retrain and replace even a finished run of the same config (`train --force`). */
  force?: boolean;
  /** How often to look again at a run another worker holds (ms); default a quarter lease. */
  pollMs?: number;
}

/**
 * Waits until this process holds the run's claim, or another worker has finished the run.
 * Returns the claim, or the finished record.
 */
async function claimOrFinished(
  item: PlanItem,
  outDir: string,
  log: (line: string) => void,
  opts: ExecuteOptions,
): Promise<Claim | RunRecord> {
  const id = `${item.experiment.id}/${item.run}`;
  let waiting = false;
  for (;;) {
    if (!opts.force) {
      const done = await findFinishedRun(outDir, item.experiment.id, item.run, item.hash);
      if (done) return done;
    }
    const got = await tryClaim(outDir, item.experiment.id, item.run, item.hash);
    if (got instanceof Claim) {
      if (opts.force) return got;
      // Finished between the look and the claim: nothing to train.
      const done = await findFinishedRun(outDir, item.experiment.id, item.run, item.hash);
      if (!done) return got;
      await got.release();
      return done;
    }
    if (!waiting) {
      const h = got.heldBy;
      log(
        `${id}: being trained by ${h.host} pid ${h.pid} (claim until ` +
          `${new Date(h.expiresAt).toISOString()}); waiting for it`,
      );
      waiting = true;
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? Math.min(2000, leaseMs() / 4)));
  }
}

/** The baseline run an RC run compares against: trained here, or found in the store. */
async function baselineRecord(
  item: PlanItem,
  finished: RunRecord[],
  outDir: string,
): Promise<RunRecord[]> {
  const name = item.decl.baseline && item.decl.baseline + overrideSuffix(item.overrides);
  if (!name || finished.some((r) => r.run === name)) return finished;
  try {
    const { record, problem } = await readRunFile(runPath(outDir, item.experiment.id, name));
    if (record && record.status !== "failed") return [...finished, record];
    if (problem) console.error(`${item.experiment.id}/${item.decl.run}: its baseline: ${problem}`);
  } catch (e) {
    // Not there: the run goes without its comparison, and its check says so (not measured).
    // Any other problem (a bad file) is said here too, not swallowed.
    if (!(e instanceof Deno.errors.NotFound)) {
      console.error(
        `${item.experiment.id}/${item.decl.run}: its baseline ${name} could not be read ` +
          `(${(e as Error).message}); its comparison with EOS is not measured`,
      );
    }
  }
  return finished;
}

/**
 * Executes the plan's missing runs in order; returns every record (reused, new or failed). Each
 * run is claimed in the run store first, so several processes (or array tasks) can execute plans
 * into one folder: a run another worker is training is waited for, then reused.
 */
export async function execute(
  items: PlanItem[],
  profile: Profile,
  outDir: string,
  log: (line: string) => void = (l) => console.error(l),
  opts: ExecuteOptions = {},
): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  const todo = items.filter((i) => !i.done);
  const cost = (i: PlanItem) => i.decl.cost(i.config);
  const totalCost = todo.reduce((s, i) => s + cost(i), 0);
  let doneCost = 0;
  const began = performance.now();
  // Experiments whose data set cannot be had here: their other runs are skipped, not retried.
  const unavailable = new Map<string, string>();
  for (const item of items) {
    const id = `${item.experiment.id}/${item.run}`;
    if (item.done) {
      log(`${id}: finished earlier (config ${item.hash}), reused`);
      records.push(item.done);
      continue;
    }
    if (unavailable.has(item.experiment.id)) {
      log(`${id}: skipped, its data set cannot be had here (see above)`);
      doneCost += cost(item);
      continue;
    }
    const claimed = await claimOrFinished(item, outDir, log, opts);
    if (!(claimed instanceof Claim)) {
      log(`${id}: finished by another worker (config ${item.hash}), reused`);
      records.push(claimed);
      doneCost += cost(item);
      continue;
    }
    let record: RunRecord;
    try {
      const elapsed = (performance.now() - began) / 1000;
      const eta = doneCost > 0 ? (elapsed / doneCost) * (totalCost - doneCost) : NaN;
      log(
        `[${(100 * doneCost / totalCost).toFixed(0)} %] ${id}: starting (elapsed ${
          formatDuration(elapsed)
        }, ` +
          `remaining about ${formatDuration(eta)})`,
      );
      const finished = await baselineRecord(
        item,
        records.filter((r) => r.experiment === item.experiment.id),
        outDir,
      );
      const startedAt = new Date().toISOString();
      try {
        record = await item.decl.execute(item.config, {
          profile,
          configHash: item.hash,
          run: item.run,
          declared: item.decl.run,
          baseline: item.decl.baseline && item.decl.baseline + overrideSuffix(item.overrides),
          finished,
          log,
          workDir: `${outDir}/runs/${item.experiment.id}`,
        });
        const problem = runProblem(JSON.parse(JSON.stringify(record)));
        if (problem) {
          throw new Error(
            `the run's record is invalid: ${problem.field} is ${problem.found}, expected ` +
              `${problem.expected} (a bug in ${item.experiment.id}'s run code)`,
          );
        }
      } catch (e) {
        if (e instanceof Error && e.name === "DataUnavailableError") {
          // Not a failure of the code: no record; the report shows the experiment as not run.
          unavailable.set(item.experiment.id, e.message);
          log(
            `${id}: skipped, its data set cannot be had here (not a failure of the code): ` +
              `${e.message}\nRun it where the data can be downloaded (or with --data-mirror): ` +
              `deno task reproduce --only ${item.experiment.id}`,
          );
          doneCost += cost(item);
          continue;
        }
        const error = e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e);
        log(`${id}: FAILED: ${e instanceof Error ? e.message : e}`);
        record = await failedRecord(item, profile, startedAt, error);
      }
      record = withOverrides(item, record);
      const stored = await storeRun(outDir, record, { replace: opts.force });
      if (stored.kept) {
        log(
          `${id}: another worker finished this config first; its run file is kept ` +
            `(${stored.path}), this result dropped`,
        );
        record = stored.record;
      } else {
        log(`${id}: ${record.status} -> ${stored.path}`);
      }
      if (claimed.lost) log(`${id}: note: this worker's claim expired and was taken over`);
    } finally {
      await claimed.release();
    }
    records.push(record);
    doneCost += cost(item);
  }
  return records;
}

async function failedRecord(
  item: PlanItem,
  profile: Profile,
  startedAt: string,
  error: string,
): Promise<RunRecord> {
  const empty = zeroCounts();
  const { config } = item;
  return {
    schema: 1,
    experiment: item.experiment.id,
    run: item.run,
    method: item.decl.method,
    title: `${item.experiment.id}/${item.run} (failed)`,
    profile,
    config,
    configHash: item.hash,
    seed: Number(config.seed ?? 0),
    data: { name: "unknown", checksum: "" },
    environment: await environment(),
    status: "failed",
    error,
    startedAt,
    finishedAt: new Date().toISOString(),
    target: { description: "", checks: [] },
    deviations: [],
    metrics: {
      threshold: Number(config.threshold ?? NaN),
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
