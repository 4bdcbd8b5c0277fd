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
export type RunStatus = "met" | "missed" | "failed";

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
  unit: "fraction" | "steps" | "ratio";
  /** Why this tolerance (absent in runs made before targets were declared with reasons). */
  why?: string;
}

export type Tolerance =
  | { kind: "abs"; value: number }
  | { kind: "atLeast"; value: number }
  | { kind: "atMost"; value: number };

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
  kind: "bar" | "line" | "scatter";
  xLabel: string;
  yLabel: string;
  series: { label: string; x: number[]; y: number[] }[];
  /** One sentence: what to look for and how it compares to the paper. */
  caption: string;
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

/** Writes a run file atomically (write `.tmp`, then rename). */
export async function writeRun(outDir: string, record: RunRecord): Promise<string> {
  const path = runPath(outDir, record.experiment, record.run);
  await Deno.mkdir(`${outDir}/runs/${record.experiment}`, { recursive: true });
  await Deno.writeTextFile(`${path}.tmp`, JSON.stringify(record, null, 1) + "\n");
  await Deno.rename(`${path}.tmp`, path);
  return path;
}

/** Reads every run file under `OUT/runs`, sorted by experiment order then run name. */
export async function readRuns(outDir: string): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
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
      const path = `${outDir}/runs/${dir.name}/${f.name}`;
      let parsed: RunRecord;
      try {
        parsed = JSON.parse(await Deno.readTextFile(path));
      } catch (e) {
        throw new Error(
          `Cannot read run file ${path}: ${(e as Error).message}. Delete it to re-run that run.`,
        );
      }
      if (parsed.schema !== 1 || typeof parsed.experiment !== "string") {
        throw new Error(
          `Run file ${path} has schema ${parsed.schema}, expected 1. Delete it to re-run that run.`,
        );
      }
      records.push(parsed);
    }
  }
  const order = (id: string) => EXPERIMENT_IDS.indexOf(id as ExperimentId);
  return records.sort((a, b) =>
    order(a.experiment) - order(b.experiment) || (a.run < b.run ? -1 : 1)
  );
}

/** Finds a finished (non-failed) run with this config hash, or null. */
export async function findFinishedRun(
  outDir: string,
  experiment: string,
  run: string,
  hash: string,
): Promise<RunRecord | null> {
  try {
    const rec = JSON.parse(await Deno.readTextFile(runPath(outDir, experiment, run))) as RunRecord;
    return rec.configHash === hash && rec.status !== "failed" ? rec : null;
  } catch {
    return null;
  }
}
