/**
 * The run store: where run files live, reading and checking them, and publishing them safely when
 * many writers (processes, hosts) share one folder.
 * @module
 */
import { EXPERIMENT_IDS, problemLine, runProblem } from "./schema.ts";
import type { ExperimentId, RunRecord } from "./types.ts";

/** Path of a run file. */
export function runPath(outDir: string, experiment: string, run: string): string {
  return `${outDir}/runs/${experiment}/${run}.json`;
}

/** A run file read: the record when valid, else the one-line problem naming file and field. */
export type RunFile = { path: string; record: RunRecord; problem?: undefined } | {
  path: string;
  record?: undefined;
  problem: string;
};

/** Reads and checks one run file (`OUT/runs/<experiment>/<run>.json`); NotFound is rethrown. */
export async function readRunFile(path: string): Promise<RunFile> {
  const text = await Deno.readTextFile(path);
  const m = path.match(/([^/]+)\/([^/]+)\.json$/);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return {
      path,
      problem: `Run file ${path}: not JSON (${(e as Error).message}); ` +
        `delete the file to re-run that run`,
    };
  }
  const p = runProblem(value, m ? { experiment: m[1], run: m[2] } : undefined);
  return p ? { path, problem: problemLine(path, p) } : { path, record: value as RunRecord };
}

/** Every run file under `OUT/runs`, each read and checked (no order). */
export async function scanRuns(outDir: string): Promise<RunFile[]> {
  const files: RunFile[] = [];
  let experiments: Deno.DirEntry[];
  try {
    experiments = [...Deno.readDirSync(`${outDir}/runs`)];
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  for (const dir of experiments.filter((d) => d.isDirectory)) {
    for await (const f of Deno.readDir(`${outDir}/runs/${dir.name}`)) {
      if (!f.isFile || !f.name.endsWith(".json") || f.name.endsWith(".traces.json")) continue;
      try {
        files.push(await readRunFile(`${outDir}/runs/${dir.name}/${f.name}`));
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e; // replaced while listing: next read
      }
    }
  }
  return files;
}

/**
 * Reads every valid run file under `OUT/runs`, sorted by experiment order then run name. A file
 * that fails the schema is skipped (never rendered) with one line naming it, the field and the
 * fix, passed to `onProblem` (default: stderr).
 */
export async function readRuns(
  outDir: string,
  opts: { onProblem?: (line: string) => void } = {},
): Promise<RunRecord[]> {
  const onProblem = opts.onProblem ?? ((l: string) => console.error(`skipped: ${l}`));
  const records: RunRecord[] = [];
  for (const f of await scanRuns(outDir)) {
    if (f.record) records.push(f.record);
    else onProblem(f.problem);
  }
  const order = (id: string) => EXPERIMENT_IDS.indexOf(id as ExperimentId);
  return records.sort((a, b) =>
    order(a.experiment) - order(b.experiment) || (a.run < b.run ? -1 : 1)
  );
}

/** Finds a finished (non-failed), valid run with this config hash, or null. */
export async function findFinishedRun(
  outDir: string,
  experiment: string,
  run: string,
  hash: string,
): Promise<RunRecord | null> {
  try {
    const { record } = await readRunFile(runPath(outDir, experiment, run));
    return record && record.configHash === hash && record.status !== "failed" ? record : null;
  } catch {
    return null;
  }
}

// The run store on a shared filesystem: many writers (processes, hosts) publish into one folder.
//
// - Each write goes to a temporary name unique to its writer (`<run>.json.<writer>.tmp`), then is
//   published atomically: a hard link when no file is there (fails if one appeared meanwhile), a
//   rename over a file that may be replaced. The reader therefore sees a whole old file or a
//   whole new one, never a mix, and two writers never share a temporary file.
// - Publishing happens under a short lock (`<run>.json.lock`, created exclusively), so the check
//   "is a finished run of this config already there?" and the publish are one step: a finished
//   run is never overwritten by a second result of the same config (the first is kept, intact),
//   nor by a failed record of it.
// - `RC_STORE_WRITE_DELAY_MS` (tests) sleeps between writing the temporary file and publishing,
//   to widen the window in which writers race.

/** This process's writer id: host (when readable), pid and a random part. */
export const WRITER_ID = (() => {
  const host = (hostName() ?? "host").replace(/[^A-Za-z0-9_-]/g, "_");
  return `${host}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}`;
})();

/**
 * An environment variable's value, or undefined when unset or not permitted (asked without a
 * prompt: the tasks' `--allow-env` lists name only the variables a user sets).
 */
export function envValue(name: string): string | undefined {
  try {
    if (Deno.permissions.querySync({ name: "env", variable: name }).state !== "granted") return;
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** This machine's name, or null without `--allow-sys=hostname` (never prompts). */
export function hostName(): string | null {
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state !== "granted") {
      return null;
    }
    return Deno.hostname();
  } catch {
    return null;
  }
}

function writeDelayMs(): number {
  const v = Number(envValue("RC_STORE_WRITE_DELAY_MS") ?? 0);
  return Number.isFinite(v) && v > 0 ? v : 0;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long a publish lock may be held before another writer treats it as abandoned. */
const LOCK_STALE_MS = 30_000;

async function withLock<T>(path: string, body: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  for (let attempt = 0;; attempt++) {
    try {
      const f = await Deno.open(lock, { write: true, createNew: true });
      try {
        await f.write(new TextEncoder().encode(`${WRITER_ID}\n`));
      } finally {
        f.close();
      }
      break;
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      try {
        const age = Date.now() - ((await Deno.stat(lock)).mtime?.getTime() ?? Date.now());
        if (age > LOCK_STALE_MS) {
          // Abandoned (its writer died mid-publish): move it aside under a name of our own, so
          // that of several writers seeing it stale only one removes it.
          const aside = `${lock}.${WRITER_ID}.stale`;
          await Deno.rename(lock, aside);
          await Deno.remove(aside);
          continue;
        }
      } catch { /* released or taken meanwhile: try again */ }
      await sleep(Math.min(200, 5 * (attempt + 1)));
    }
  }
  try {
    return await body();
  } finally {
    await Deno.remove(lock).catch(() => {});
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** What `writeRun` did: published the record, or kept the finished run already there. */
export interface WriteOutcome {
  path: string;
  /** True when a finished run of the same config was there and was kept instead of `record`. */
  kept: boolean;
  /** The record now in the file. */
  record: RunRecord;
}

/**
 * Publishes a run file for many writers (see above). `replace`: overwrite even a finished run of
 * the same config (`train --force`).
 */
export async function storeRun(
  outDir: string,
  record: RunRecord,
  opts: { replace?: boolean } = {},
): Promise<WriteOutcome> {
  const problem = runProblem(JSON.parse(JSON.stringify(record)));
  if (problem) {
    throw new Error(
      `Refusing to write ${record.experiment}/${record.run}: ${problem.field} is ` +
        `${problem.found}, expected ${problem.expected} (a bug in that experiment's run code)`,
    );
  }
  const path = runPath(outDir, record.experiment, record.run);
  await Deno.mkdir(`${outDir}/runs/${record.experiment}`, { recursive: true });
  const tmp = `${path}.${WRITER_ID}.tmp`;
  const f = await Deno.open(tmp, { write: true, create: true, truncate: true });
  try {
    await f.write(new TextEncoder().encode(JSON.stringify(record, null, 1) + "\n"));
    await f.syncData();
  } finally {
    f.close();
  }
  try {
    const delay = writeDelayMs();
    if (delay) await sleep(delay * (0.5 + Math.random()));
    return await withLock(path, async () => {
      try {
        await Deno.link(tmp, path); // only when no file is there
        return { path, kept: false, record };
      } catch (e) {
        // A filesystem without hard links: the lock alone keeps the look-then-rename whole.
        if (!(e instanceof Deno.errors.AlreadyExists) && await exists(path) === false) {
          await Deno.rename(tmp, path);
          return { path, kept: false, record };
        }
      }
      let there: RunFile | null = null;
      try {
        there = await readRunFile(path);
      } catch { /* removed meanwhile */ }
      const old = there?.record;
      if (
        !opts.replace && old && old.status !== "failed" && old.configHash === record.configHash
      ) {
        return { path, kept: true, record: old };
      }
      await Deno.rename(tmp, path);
      return { path, kept: false, record };
    });
  } finally {
    await Deno.remove(tmp).catch(() => {});
  }
}

/** Writes a run file (see `storeRun`); returns its path. */
export async function writeRun(outDir: string, record: RunRecord): Promise<string> {
  return (await storeRun(outDir, record)).path;
}
