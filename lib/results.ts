/**
 * Run records: one self-describing JSON file per training run, the only input of the report.
 *
 * Layout on disk: `OUT/runs/<experiment>/<run>.json`. A run is found again by its `configHash`
 * (sha256 of the canonical JSON of its config and profile), so `reproduce` skips finished work.
 *
 * Conventions used in every record:
 * - time steps are counted from 1 when reported ("spiked after 14 steps" = step index 13);
 *   `meanSpikeTime` is the mean number of input steps consumed before the decision;
 * - accuracies are fractions in [0, 1];
 * - step counts in `compute` are example-steps (one example through one time step).
 * @module
 */

/** The paper experiments, in the paper's order. */
export const EXPERIMENT_IDS = [
  "seq-spotting",
  "two-sequence",
  "mnist",
  "kws-gsc",
  "kws-fsdd",
  "threshold-training",
  "hidden-dynamics",
  "snn-lif",
] as const;
export type { ComputeCounts, CurvePoint, PairedTiming } from "./rc/types.ts";
import type { ComputeCounts, CurvePoint, PairedTiming } from "./rc/types.ts";

export type ExperimentId = typeof EXPERIMENT_IDS[number];

export type Profile = "smoke" | "default" | "paper";
/**
 * A run's verdict: every declared check met, one missed, no check declared ("not checked": never
 * shown as met), or the run failed.
 */
export type RunStatus = "met" | "missed" | "not checked" | "failed";

/** The verdict of a finished run's checks: "not checked" for none (an empty list meets nothing). */
export function statusFromChecks(
  checks: readonly { met: boolean }[],
): Exclude<RunStatus, "failed"> {
  if (checks.length === 0) return "not checked";
  return checks.every((c) => c.met) ? "met" : "missed";
}

/**
 * A run's verdict judged from its file's checks, as the report shows it: run files written before
 * "not checked" existed say "met" for an empty list of checks.
 */
export function judgedStatus(
  r: { status: RunStatus; target?: { checks?: { met: boolean }[] } },
): RunStatus {
  return r.status === "failed" ? "failed" : statusFromChecks(r.target?.checks ?? []);
}

/** Where a run ran: versions, backend and the WebGPU adapter (null when none was requested). */
export interface Environment {
  deno: string;
  v8: string;
  tfjs: string;
  backend: string;
  /** Why this backend: e.g. "auto: only a software WebGPU adapter, wasm chosen". */
  backendReason: string;
  /** The machine's WebGPU adapter (whichever backend ran), null when there is none. */
  adapter: AdapterInfo | null;
  /** wasm only: what its matmuls ran on: a system BLAS through FFI, or tfjs-wasm's XNNPACK. */
  matmul?: "blas" | "xnnpack";
  /** wasm only: the BLAS library, its configuration and thread count (null: none used). */
  blas?: { library: string; config: string; threads: number } | null;
  /**
   * What trained and evaluated an `Lstm`: the CPU engine (wasm with BLAS), the WebGPU engine
   * (webgpu), or tfjs's ops. Absent in runs made before the engines were recorded.
   */
  engine?: "cpu engine" | "webgpu engine" | "tfjs";
  /** The training path the chooser took (lib/rc/paths.ts) and why; absent in older runs. */
  path?: string;
  pathReason?: string;
  gitRevision: string;
  os: string;
  cpuCount: number;
  /** tfjs flags that change numerics or timing (e.g. WEBGPU_CPU_FORWARD). */
  flags: Record<string, unknown>;
}

export interface AdapterInfo {
  description: string;
  vendor: string;
  architecture: string;
  device: string;
  isFallbackAdapter: boolean;
  /** `DENO_WEBGPU_BACKEND` at the time of the run, if set (vulkan, gl, ...). */
  wgpuBackend: string | null;
}

/** One comparison against a number the paper reports. */
export interface TargetCheck {
  name: string;
  /** The paper's value, in the unit of `measured`. */
  paper: number;
  measured: number | null;
  /** Allowed distance, e.g. `{ kind: "atLeast", value: 0.93 }`. */
  tolerance: Tolerance;
  met: boolean;
  unit: "fraction" | "steps" | "ratio" | "ms";
  /** Why this tolerance (absent in runs made before targets were declared with reasons). */
  why?: string;
}

export type Tolerance =
  | { kind: "abs"; value: number }
  | { kind: "atLeast"; value: number }
  | { kind: "atMost"; value: number };

/** Whether `measured` meets the paper's value within `tolerance` (never when not finite). */
export function withinTolerance(
  measured: number | null,
  paper: number,
  tolerance: Tolerance,
): boolean {
  if (measured === null || !Number.isFinite(measured)) return false;
  if (tolerance.kind === "abs") return Math.abs(measured - paper) <= tolerance.value;
  if (tolerance.kind === "atLeast") return measured >= tolerance.value;
  return measured <= tolerance.value;
}

/** RC-inference on a test set at one threshold. */
export interface ThresholdPoint {
  threshold: number;
  accuracy: number;
  meanSpikeTime: number;
  fractionFired: number;
}

export interface RunRecord {
  schema: 1;
  experiment: ExperimentId;
  /** Short name inside the experiment: "rc", "eos", "rc-beta0.2", ... */
  run: string;
  /** Where the loss was taken during training: at the first spike (rc) or the last step (eos). */
  method: "rc" | "eos";
  /** Name of the EOS run of the same experiment that compute savings compare against. */
  baseline?: string;
  /** What the run is, in one line for the report. */
  title: string;
  profile: Profile;
  config: Record<string, unknown>;
  /**
   * Config keys set on the command line (`--set key=value`), already applied to `config`; absent
   * or empty when none. Each is also listed in `deviations`.
   */
  overrides?: Record<string, unknown>;
  configHash: string;
  seed: number;
  /** Data set name and checksum(s) of what it was built from. */
  data: { name: string; checksum: string; note?: string };
  environment: Environment;
  status: RunStatus;
  error?: string;
  startedAt: string;
  finishedAt: string;
  /** The paper's numbers and how this run compares. */
  target: { description: string; checks: TargetCheck[] };
  /** Every way this run departs from the paper's protocol, in words. */
  deviations: string[];
  metrics: {
    threshold: number;
    /** RC-inference accuracy on the test set at the training threshold. */
    testAccuracy: number;
    meanSpikeTime: number;
    fractionFired: number;
    /** Accuracy read at the last step (end-of-sequence inference). */
    eosAccuracy: number;
    numSteps: number;
    thresholdCurve: ThresholdPoint[];
    /** Experiment-specific numbers (e.g. accuracy of EOS read at step 14). */
    extra: Record<string, number>;
  };
  compute: {
    train: ComputeCounts;
    inference: ComputeCounts;
    flopsPerExampleStep: number;
    /** RC runs: RC vs EOS timed on the trained model, interleaved (see PairedTiming). */
    paired?: { train: PairedTiming; inference: PairedTiming };
  };
  curves: CurvePoint[];
  /** Small, ready-to-draw figures produced by the run (e.g. Fig. 1C's spike histogram). */
  figures: FigureSpec[];
}

/** A chart the report draws as is: the report knows nothing about experiments. */
export interface FigureSpec {
  /** Paper figure it corresponds to, e.g. "1C"; used to order and caption. */
  paperFigure: string;
  title: string;
  /** `heatmap`: `z` drawn as coloured cells (a row per y label, a column per x step); no series. */
  kind: "bar" | "line" | "scatter" | "heatmap";
  xLabel: string;
  yLabel: string;
  series: { label: string; x: number[]; y: number[] }[];
  /** One sentence: what to look for and how it compares to the paper. */
  caption: string;
  /**
   * Heatmaps: the values, rows × columns (e.g. units × time steps), every row the same length;
   * null (JSON's NaN) is a cell not computed.
   */
  z?: (number | null)[][];
  /** Heatmaps: the last column drawn in colour (e.g. the first spike's step); later ones grey. */
  cutoff?: number;
  /** Heatmaps: a label per row, top to bottom (default: 1, 2, ...); columns are steps 1, 2, .... */
  rowLabels?: string[];
  /** Heatmaps: each row's own last coloured column (e.g. its first spike), in place of `cutoff`. */
  rowCutoffs?: number[];
  /** Heatmaps: the column outlined in each row (e.g. its first spike); null: none. */
  rowMarks?: (number | null)[];
  /**
   * Heatmaps: what each row read, drawn as a strip above it (rows × columns, values in [0, 1]:
   * 0 white, 1 black), e.g. a spike raster's inputs.
   */
  inputs?: number[][];
  /** Heatmaps: a fixed diverging scale, white at `centre`, full colour at `centre ± max`. */
  scale?: { centre: number; max: number };
}

/** Canonical JSON: keys sorted, so equal configs hash equally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0));
    }
    return v;
  });
}

/** sha256 of the canonical JSON of `value`, hex, first 16 characters. */
export async function configHash(value: unknown): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson(value));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest.slice(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Path of a run file. */
export function runPath(outDir: string, experiment: string, run: string): string {
  return `${outDir}/runs/${experiment}/${run}.json`;
}

/** What a run-file check found wrong: the field (dotted path), what was there, what is expected. */
export interface FieldProblem {
  field: string;
  found: string;
  expected: string;
}

/** One line naming the file, the field and the fix (what `readRuns` warns with). */
export function problemLine(path: string, p: FieldProblem): string {
  return `Run file ${path}: ${p.field} is ${p.found}, expected ${p.expected}; ` +
    `fix that field, or delete the file to re-run that run`;
}

class Bad extends Error {
  constructor(readonly problem: FieldProblem) {
    super(`${problem.field} is ${problem.found}, expected ${problem.expected}`);
  }
}

function shown(v: unknown): string {
  if (v === undefined) return "missing";
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  if (Array.isArray(v)) s = `an array ${s}`;
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function need(ok: boolean, field: string, value: unknown, expected: string): void {
  if (!ok) throw new Bad({ field, found: shown(value), expected });
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);
const isFinite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function obj(v: unknown, field: string): Record<string, unknown> {
  need(isObject(v), field, v, "an object");
  return v as Record<string, unknown>;
}
function arr(v: unknown, field: string): unknown[] {
  need(Array.isArray(v), field, v, "an array");
  return v as unknown[];
}
function str(v: unknown, field: string): string {
  need(typeof v === "string", field, v, "a string");
  return v as string;
}
function oneOf(v: unknown, field: string, allowed: readonly string[]): void {
  need(allowed.includes(v as string), field, v, `one of ${allowed.join(", ")}`);
}
/** A number; `nullable`: also null (JSON writes NaN, "not measured", as null). */
function num(v: unknown, field: string, nullable = false): void {
  need(
    isFinite(v) || (nullable && v === null),
    field,
    v,
    nullable ? "a number or null" : "a number",
  );
}
function nonNegative(v: unknown, field: string, nullable = false): void {
  need(
    (isFinite(v) && v >= 0) || (nullable && v === null),
    field,
    v,
    nullable ? "a number >= 0 or null" : "a number >= 0",
  );
}
function fraction(v: unknown, field: string, nullable = false): void {
  need(
    (isFinite(v) && v >= 0 && v <= 1) || (nullable && v === null),
    field,
    v,
    `a fraction in [0, 1]${nullable ? " or null" : ""} (accuracies are fractions, not percent)`,
  );
}

/** A heatmap's cells: rows of one length (not ragged), a cutoff column and labels that fit. */
function checkHeatmap(spec: Record<string, unknown>, f: string): void {
  const rows = arr(spec.z, `${f}.z`);
  need(rows.length > 0, `${f}.z`, spec.z, "at least one row");
  let width = -1;
  rows.forEach((row, i) => {
    const cells = arr(row, `${f}.z[${i}]`);
    if (i === 0) width = cells.length;
    need(
      cells.length === width,
      `${f}.z[${i}]`,
      `${cells.length} cells`,
      `${width} cells, as row 0 (every row of a heatmap the same length)`,
    );
    cells.forEach((x, k) => num(x, `${f}.z[${i}][${k}]`, true));
  });
  need(width > 0, `${f}.z[0]`, spec.z, "at least one column");
  if (spec.cutoff !== undefined) {
    need(
      Number.isInteger(spec.cutoff) && (spec.cutoff as number) >= 0 &&
        (spec.cutoff as number) < width,
      `${f}.cutoff`,
      spec.cutoff,
      `a column index in [0, ${width})`,
    );
  }
  if (spec.rowLabels !== undefined) {
    const labels = arr(spec.rowLabels, `${f}.rowLabels`);
    need(labels.length === rows.length, `${f}.rowLabels`, spec.rowLabels, `${rows.length} labels`);
    labels.forEach((l, i) => str(l, `${f}.rowLabels[${i}]`));
  }
  const column = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) < width;
  for (const key of ["rowCutoffs", "rowMarks"]) {
    if (spec[key] === undefined) continue;
    const cols = arr(spec[key], `${f}.${key}`);
    need(cols.length === rows.length, `${f}.${key}`, spec[key], `${rows.length} columns`);
    cols.forEach((c, i) =>
      need(
        column(c) || (key === "rowMarks" && c === null),
        `${f}.${key}[${i}]`,
        c,
        `a column index in [0, ${width})${key === "rowMarks" ? " or null" : ""}`,
      )
    );
  }
  if (spec.inputs !== undefined) {
    const inputs = arr(spec.inputs, `${f}.inputs`);
    need(inputs.length === rows.length, `${f}.inputs`, spec.inputs, `${rows.length} rows`);
    inputs.forEach((row, i) => {
      const cells = arr(row, `${f}.inputs[${i}]`);
      need(cells.length === width, `${f}.inputs[${i}]`, `${cells.length} cells`, `${width} cells`);
      cells.forEach((x, k) => fraction(x, `${f}.inputs[${i}][${k}]`));
    });
  }
  if (spec.scale !== undefined) {
    const scale = obj(spec.scale, `${f}.scale`);
    num(scale.centre, `${f}.scale.centre`);
    need(isFinite(scale.max) && scale.max > 0, `${f}.scale.max`, scale.max, "a number > 0");
  }
}

/** The run-file schema: fields, types and ranges; throws Bad at the first problem. */
function checkRecord(v: unknown, where?: { experiment: string; run: string }): void {
  const r = obj(v, "the file");
  need(r.schema === 1, "schema", r.schema, "1");
  oneOf(r.experiment, "experiment", EXPERIMENT_IDS);
  str(r.run, "run");
  need((r.run as string).length > 0, "run", r.run, "a non-empty run name");
  if (where) {
    need(
      r.experiment === where.experiment,
      "experiment",
      r.experiment,
      `"${where.experiment}" (the folder it is in)`,
    );
    need(r.run === where.run, "run", r.run, `"${where.run}" (the file's name)`);
  }
  oneOf(r.method, "method", ["rc", "eos"]);
  if (r.baseline !== undefined) str(r.baseline, "baseline");
  str(r.title, "title");
  oneOf(r.profile, "profile", ["smoke", "default", "paper"]);
  obj(r.config, "config");
  if (r.overrides !== undefined) obj(r.overrides, "overrides");
  need(
    typeof r.configHash === "string" && /^[0-9a-f]{16}$/.test(r.configHash),
    "configHash",
    r.configHash,
    "16 hex digits",
  );
  num(r.seed, "seed");
  const data = obj(r.data, "data");
  str(data.name, "data.name");
  str(data.checksum, "data.checksum");
  const env = obj(r.environment, "environment");
  str(env.backend, "environment.backend");
  oneOf(r.status, "status", ["met", "missed", "not checked", "failed"]);
  const failed = r.status === "failed";
  if (r.error !== undefined) str(r.error, "error");
  for (const k of ["startedAt", "finishedAt"]) {
    need(
      typeof r[k] === "string" && !Number.isNaN(Date.parse(r[k] as string)),
      k,
      r[k],
      "an ISO date string",
    );
  }
  const target = obj(r.target, "target");
  str(target.description, "target.description");
  arr(target.checks, "target.checks").forEach((c, i) => {
    const f = `target.checks[${i}]`;
    const check = obj(c, f);
    str(check.name, `${f}.name`);
    num(check.paper, `${f}.paper`);
    num(check.measured, `${f}.measured`, true);
    need(typeof check.met === "boolean", `${f}.met`, check.met, "true or false");
    oneOf(check.unit, `${f}.unit`, ["fraction", "steps", "ratio", "ms"]);
  });
  arr(r.deviations, "deviations").forEach((d, i) => str(d, `deviations[${i}]`));
  const m = obj(r.metrics, "metrics");
  // A failed run measured nothing: its numbers are null (NaN).
  num(m.threshold, "metrics.threshold", true);
  fraction(m.testAccuracy, "metrics.testAccuracy", failed);
  nonNegative(m.meanSpikeTime, "metrics.meanSpikeTime", true);
  fraction(m.fractionFired, "metrics.fractionFired", true);
  fraction(m.eosAccuracy, "metrics.eosAccuracy", true);
  need(
    Number.isInteger(m.numSteps) && (m.numSteps as number) >= 0,
    "metrics.numSteps",
    m.numSteps,
    "an integer >= 0",
  );
  arr(m.thresholdCurve, "metrics.thresholdCurve").forEach((p, i) => {
    const f = `metrics.thresholdCurve[${i}]`;
    const point = obj(p, f);
    num(point.threshold, `${f}.threshold`);
    fraction(point.accuracy, `${f}.accuracy`, true);
    nonNegative(point.meanSpikeTime, `${f}.meanSpikeTime`, true);
    fraction(point.fractionFired, `${f}.fractionFired`, true);
  });
  for (const [k, x] of Object.entries(obj(m.extra, "metrics.extra"))) {
    num(x, `metrics.extra.${k}`, true);
  }
  const compute = obj(r.compute, "compute");
  for (const part of ["train", "inference"]) {
    const c = obj(compute[part], `compute.${part}`);
    for (const k of ["forwardSteps", "backwardSteps", "eosSteps", "flops", "wallSeconds"]) {
      nonNegative(c[k], `compute.${part}.${k}`, true);
    }
  }
  nonNegative(compute.flopsPerExampleStep, "compute.flopsPerExampleStep", true);
  arr(r.curves, "curves").forEach((p, i) => {
    const f = `curves[${i}]`;
    const point = obj(p, f);
    nonNegative(point.examples, `${f}.examples`);
    fraction(point.spikingAccuracy, `${f}.spikingAccuracy`, true);
    nonNegative(point.meanSpikeTime, `${f}.meanSpikeTime`, true);
    if (point.spikeTimePercentiles !== undefined) {
      const ps = obj(point.spikeTimePercentiles, `${f}.spikeTimePercentiles`);
      for (const [k, x] of Object.entries(ps)) {
        need(
          /^\d+(\.\d+)?$/.test(k) && Number(k) <= 100,
          `${f}.spikeTimePercentiles`,
          k,
          "percents",
        );
        nonNegative(x, `${f}.spikeTimePercentiles.${k}`, true);
      }
    }
    fraction(point.eosAccuracy, `${f}.eosAccuracy`, true);
  });
  arr(r.figures, "figures").forEach((fig, i) => {
    const f = `figures[${i}]`;
    const spec = obj(fig, f);
    str(spec.paperFigure, `${f}.paperFigure`);
    str(spec.title, `${f}.title`);
    oneOf(spec.kind, `${f}.kind`, ["bar", "line", "scatter", "heatmap"]);
    if (spec.kind === "heatmap") checkHeatmap(spec, f);
    arr(spec.series, `${f}.series`).forEach((s, j) => {
      const series = obj(s, `${f}.series[${j}]`);
      str(series.label, `${f}.series[${j}].label`);
      for (const axis of ["x", "y"]) {
        arr(series[axis], `${f}.series[${j}].${axis}`).forEach((x, k) =>
          num(x, `${f}.series[${j}].${axis}[${k}]`, true)
        );
      }
    });
  });
}

/**
 * Checks a parsed run file against the schema (fields, types, ranges, a known experiment id, and,
 * given `where`, that it sits in its experiment's folder under its run's name).
 * @returns null when it is a valid RunRecord, else the first problem found.
 */
export function runProblem(
  value: unknown,
  where?: { experiment: string; run: string },
): FieldProblem | null {
  try {
    checkRecord(value, where);
    return null;
  } catch (e) {
    if (e instanceof Bad) return e.problem;
    throw e;
  }
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

// ---------------------------------------------------------------------------------------------
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
