/**
 * The run-file schema, in zod: fields, types, ranges and the cross-field rules of heatmaps. The
 * record types (types.ts) are inferred from it, and `runProblem` turns its first issue into the
 * one line a user reads: the field, what is there, what is expected.
 *
 * A file is checked, never rewritten: the record handed on is the parsed JSON as read, so fields
 * the schema does not know (a newer writer's) pass through untouched, and a config is hashed as
 * written (zod's output object would drop unknown keys).
 * @module
 */
import { z } from "zod";
import type { ComputeCounts, CurvePoint, PairedTiming } from "../rc/types.ts";

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

const FRACTION = "a fraction in [0, 1]";
/** Accuracies stored as percent are the likeliest slip, so the message names it. */
const NOT_PERCENT = "(accuracies are fractions, not percent)";

/** Every issue of a schema reads as `expected`: the words after "expected" in a problem line. */
const expecting = (expected: string) => ({ error: expected });

const text = z.string(expecting("a string"));
const flag = z.boolean(expecting("true or false"));
const oneOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, expecting(`one of ${values.join(", ")}`));
const object = <S extends z.ZodRawShape>(shape: S, expected = "an object") =>
  z.object(shape, expecting(expected));
const list = <T extends z.ZodType>(item: T) => z.array(item, expecting("an array"));
const map = <T extends z.ZodType>(value: T) => z.record(z.string(), value, expecting("an object"));

/** A string that passes `test`; either failure reads as `expected`. */
const stringThat = (expected: string, test: (s: string) => boolean) =>
  z.string(expecting(expected)).refine(test, expecting(expected));

/** A number within the bounds asked; every issue reads as `expected`. */
function number(
  expected: string,
  bounds: { min?: number; max?: number; above?: number; integer?: boolean } = {},
): z.ZodNumber {
  let n = z.number(expecting(expected));
  if (bounds.integer) n = n.int(expecting(expected));
  if (bounds.min !== undefined) n = n.min(bounds.min, expecting(expected));
  if (bounds.max !== undefined) n = n.max(bounds.max, expecting(expected));
  if (bounds.above !== undefined) n = n.gt(bounds.above, expecting(expected));
  return n;
}

/**
 * Null passes too: a number not measured is NaN in memory (e.g. every metric of a failed run),
 * which JSON writes as null. Typed `number` still, as the record is when written and as its
 * readers have always taken it.
 */
const orNaN = (n: z.ZodNumber) => n.nullable() as unknown as z.ZodType<number>;

const anyNumber = number("a number");
const numberOrNaN = orNaN(number("a number or null"));
const count = number("a number >= 0", { min: 0 });
const countOrNaN = orNaN(number("a number >= 0 or null", { min: 0 }));
const fractionOrNaN = orNaN(number(`${FRACTION} or null ${NOT_PERCENT}`, { min: 0, max: 1 }));

const adapterInfo = object({
  description: text,
  vendor: text,
  architecture: text,
  device: text,
  isFallbackAdapter: flag,
  /** `DENO_WEBGPU_BACKEND` at the time of the run, if set (vulkan, gl, ...). */
  wgpuBackend: z.string(expecting("a string or null")).nullable(),
}, "an object or null");

const environment = object({
  deno: text,
  v8: text,
  tfjs: text,
  backend: text,
  /** Why this backend: e.g. "auto: only a software WebGPU adapter, wasm chosen". */
  backendReason: text,
  /** The machine's WebGPU adapter (whichever backend ran), null when there is none. */
  adapter: adapterInfo.nullable(),
  /** wasm only: what its matmuls ran on: a system BLAS through FFI, or tfjs-wasm's XNNPACK. */
  matmul: oneOf(["blas", "xnnpack"]).optional(),
  /**
   * wasm only: the BLAS library, its configuration and thread count (null: none used), and its
   * helper thread ("on" or why off; absent before lib/ops/blas_helper.ts).
   */
  blas: object(
    { library: text, config: text, threads: count, helper: text.optional() },
    "an object or null",
  ).nullable().optional(),
  /**
   * What trained and evaluated an `Lstm`: the CPU engine (wasm with BLAS), the WebGPU engine
   * (webgpu), or tfjs's ops. Absent in runs made before the engines were recorded.
   */
  engine: oneOf(["cpu engine", "webgpu engine", "tfjs"]).optional(),
  /** The training path the chooser took (lib/rc/paths.ts) and why; absent in older runs. */
  path: text.optional(),
  pathReason: text.optional(),
  gitRevision: text,
  os: text,
  cpuCount: count,
  /** tfjs flags that change numerics or timing (e.g. WEBGPU_CPU_FORWARD). */
  flags: map(z.unknown()),
});

const targetCheck = object({
  name: text,
  /** The paper's value, in the unit of `measured`. */
  paper: anyNumber,
  measured: number("a number or null").nullable(),
  /** Allowed distance, e.g. `{ kind: "atLeast", value: 0.93 }`. */
  tolerance: object({ kind: oneOf(["abs", "atLeast", "atMost"]), value: anyNumber }),
  met: flag,
  unit: oneOf(["fraction", "steps", "ratio", "ms"]),
  /** Why this tolerance (absent in runs made before targets were declared with reasons). */
  why: text.optional(),
  /**
   * Present when the check's input was missing (e.g. its EOS baseline had not finished): why. The
   * check is then shown as not measured, never as met or missed, and judges nothing.
   */
  notMeasured: text.optional(),
});

/** RC-inference on a test set at one threshold. */
const thresholdPoint = object({
  threshold: anyNumber,
  accuracy: fractionOrNaN,
  meanSpikeTime: countOrNaN,
  fractionFired: fractionOrNaN,
});

/** Keys of `spikeTimePercentiles`: "10", "25", "50", ... */
const percentKey = stringThat(
  "percents as keys (0 to 100)",
  (k) => /^\d+(\.\d+)?$/.test(k) && Number(k) <= 100,
);

const curvePoint = object({
  batch: count,
  examples: count,
  loss: numberOrNaN,
  /** RC-inference (first spike at the training threshold) accuracy. */
  spikingAccuracy: fractionOrNaN,
  meanSpikeTime: countOrNaN,
  /**
   * Percentiles of the validation examples' first-spike step (counted as `meanSpikeTime`), keyed
   * by percent: "10", "25", "50", "75", "90". Absent in runs recorded before they were kept.
   */
  spikeTimePercentiles: z.record(percentKey, countOrNaN, expecting("an object")).optional(),
  fractionFired: fractionOrNaN,
  /** Accuracy read at the last step. */
  eosAccuracy: fractionOrNaN,
  wallSeconds: countOrNaN,
  /** β in force at this point, when training followed a β schedule. */
  beta: numberOrNaN.optional(),
  /** Live tfjs tensors and their bytes, and the process's resident memory, at this point. */
  numTensors: countOrNaN.optional(),
  tensorBytes: countOrNaN.optional(),
  rssBytes: countOrNaN.optional(),
});

const computeCounts = object({
  forwardSteps: countOrNaN,
  forwardStepsNeeded: countOrNaN,
  backwardSteps: countOrNaN,
  eosSteps: countOrNaN,
  flops: countOrNaN,
  wallSeconds: countOrNaN,
  examples: countOrNaN,
  gpuWorkgroups: countOrNaN.optional(),
});

const pairedTiming = object({
  batches: count,
  batchSize: count,
  rcSeconds: countOrNaN,
  eosSeconds: countOrNaN,
  rcSteps: countOrNaN,
  eosSteps: countOrNaN,
  what: text,
});

/** The schema follows lib/rc/types.ts's records field for field (a compile-time check). */
type Mutual<A, B> = [A, B] extends [B, A] ? true : false;
type Same<A, B> = Mutual<A, B> extends true ? Mutual<keyof A, keyof B> : false;
const _sameRecords: [
  Same<z.infer<typeof curvePoint>, CurvePoint>,
  Same<z.infer<typeof computeCounts>, ComputeCounts>,
  Same<z.infer<typeof pairedTiming>, PairedTiming>,
] = [true, true, true];

const column = number("a column index (an integer >= 0)", { min: 0, integer: true });
const columnOrNull = number("a column index (an integer >= 0) or null", { min: 0, integer: true })
  .nullable();

/** A chart the report draws as is: the report knows nothing about experiments. */
const figureFields = object({
  /** Paper figure it corresponds to, e.g. "1C"; used to order and caption. */
  paperFigure: text,
  title: text,
  /** `heatmap`: `z` drawn as coloured cells (a row per y label, a column per x step); no series. */
  kind: oneOf(["bar", "line", "scatter", "heatmap"]),
  xLabel: text,
  yLabel: text,
  series: list(object({
    label: text,
    x: list(numberOrNaN),
    y: list(numberOrNaN),
  })),
  /** One sentence: what to look for and how it compares to the paper. */
  caption: text,
  /**
   * Heatmaps: the values, rows × columns (e.g. units × time steps), every row the same length;
   * null (JSON's NaN) is a cell not computed.
   */
  z: list(list(number("a number or null").nullable())).optional(),
  /** Heatmaps: the last column drawn in colour (e.g. the first spike's step); later ones grey. */
  cutoff: column.optional(),
  /** Heatmaps: a label per row, top to bottom (default: 1, 2, ...); columns are steps 1, 2, .... */
  rowLabels: list(text).optional(),
  /** Heatmaps: each row's own last coloured column (e.g. its first spike), in place of `cutoff`. */
  rowCutoffs: list(column).optional(),
  /** Heatmaps: the column outlined in each row (e.g. its first spike); null: none. */
  rowMarks: list(columnOrNull).optional(),
  /**
   * Heatmaps: what each row read, drawn as a strip above it (rows × columns, values in [0, 1]:
   * 0 white, 1 black), e.g. a spike raster's inputs.
   */
  inputs: list(list(number(FRACTION, { min: 0, max: 1 }))).optional(),
  /** Heatmaps: a fixed diverging scale, white at `centre`, full colour at `centre ± max`. */
  scale: object({ centre: anyNumber, max: number("a number > 0", { above: 0 }) }).optional(),
});
const figureSpec = figureFields.check((ctx) => {
  if (ctx.value.kind === "heatmap") checkHeatmap(ctx.value, ctx.issues);
});

type Issues = z.core.$ZodRawIssue[];

/**
 * A heatmap's cells: rows of one length (not ragged), and a cutoff, labels, marks and inputs that
 * fit them. `found` words what is there when it is not a value (e.g. "2 cells").
 */
function checkHeatmap(spec: z.infer<typeof figureFields>, issues: Issues): void {
  const bad = (path: (string | number)[], input: unknown, expected: string, found?: string) => {
    issues.push({ code: "custom", path, input, message: expected, params: { found } });
  };
  const rows = spec.z;
  if (rows === undefined) return bad(["z"], undefined, "an array of rows (a heatmap's cells)");
  if (rows.length === 0) return bad(["z"], rows, "at least one row");
  const width = rows[0].length;
  const ragged = rows.findIndex((row) => row.length !== width);
  if (ragged >= 0) {
    return bad(
      ["z", ragged],
      rows[ragged],
      `${width} cells, as row 0 (every row of a heatmap the same length)`,
      `${rows[ragged].length} cells`,
    );
  }
  if (width === 0) return bad(["z", 0], rows[0], "at least one column");
  const columns = `a column index in [0, ${width})`;
  if (spec.cutoff !== undefined && spec.cutoff >= width) bad(["cutoff"], spec.cutoff, columns);
  /** Whether a per-row list has one entry per row (else says so). */
  const onePerRow = (key: string, got: unknown[] | undefined, what: string): got is unknown[] => {
    if (got === undefined) return false;
    if (got.length === rows.length) return true;
    bad([key], got, `${rows.length} ${what}, one per row`, `${got.length} ${what}`);
    return false;
  };
  const { rowLabels, rowCutoffs, rowMarks, inputs } = spec;
  onePerRow("rowLabels", rowLabels, "labels");
  if (onePerRow("rowCutoffs", rowCutoffs, "columns")) {
    for (const [i, c] of rowCutoffs.entries()) {
      if (c >= width) bad(["rowCutoffs", i], c, columns);
    }
  }
  if (onePerRow("rowMarks", rowMarks, "columns")) {
    for (const [i, c] of rowMarks.entries()) {
      if (c !== null && c >= width) bad(["rowMarks", i], c, `${columns} or null`);
    }
  }
  if (onePerRow("inputs", inputs, "rows")) {
    for (const [i, row] of inputs.entries()) {
      if (row.length !== width) {
        bad(["inputs", i], row, `${width} cells, as z's rows`, `${row.length} cells`);
      }
    }
  }
}

const isoDate = stringThat("an ISO date string", (s) => !Number.isNaN(Date.parse(s)));

/** What a run file holds (see lib/results.ts for the conventions of its numbers). */
export const runRecordSchema = object({
  schema: z.literal(1, expecting("1")),
  experiment: oneOf(EXPERIMENT_IDS),
  /** Short name inside the experiment: "rc", "eos", "rc-beta0.2", ... */
  run: text.min(1, expecting("a non-empty run name")),
  /** Where the loss was taken during training: at the first spike (rc) or the last step (eos). */
  method: oneOf(["rc", "eos"]),
  /** Name of the EOS run of the same experiment that compute savings compare against. */
  baseline: text.optional(),
  /** What the run is, in one line for the report. */
  title: text,
  profile: oneOf(["smoke", "default", "paper"]),
  config: map(z.unknown()),
  /**
   * Config keys set on the command line (`--set key=value`), already applied to `config`; absent
   * or empty when none. Each is also listed in `deviations`.
   */
  overrides: map(z.unknown()).optional(),
  configHash: stringThat("16 hex digits", (s) => /^[0-9a-f]{16}$/.test(s)),
  seed: anyNumber,
  /** Data set name and checksum(s) of what it was built from. */
  data: object({ name: text, checksum: text, note: text.optional() }),
  environment,
  /**
   * A run's verdict: every declared check met, one missed, no check declared ("not checked":
   * never shown as met), or the run failed.
   */
  status: oneOf(["met", "missed", "not checked", "failed"]),
  error: text.optional(),
  startedAt: isoDate,
  finishedAt: isoDate,
  /** The paper's numbers and how this run compares. */
  target: object({ description: text, checks: list(targetCheck) }),
  /** Every way this run departs from the paper's protocol, in words. */
  deviations: list(text),
  metrics: object({
    // A failed run measured nothing: its numbers are null (NaN).
    threshold: numberOrNaN,
    /** RC-inference accuracy on the test set at the training threshold (null: failed, below). */
    testAccuracy: orNaN(number(`${FRACTION} ${NOT_PERCENT}`, { min: 0, max: 1 })),
    meanSpikeTime: countOrNaN,
    fractionFired: fractionOrNaN,
    /** Accuracy read at the last step (end-of-sequence inference). */
    eosAccuracy: fractionOrNaN,
    numSteps: number("an integer >= 0", { min: 0, integer: true }),
    thresholdCurve: list(thresholdPoint),
    /** Experiment-specific numbers (e.g. accuracy of EOS read at step 14). */
    extra: map(numberOrNaN),
  }),
  compute: object({
    train: computeCounts,
    inference: computeCounts,
    flopsPerExampleStep: countOrNaN,
    /** RC runs: RC vs EOS timed on the trained model, interleaved (see PairedTiming). */
    paired: object({ train: pairedTiming, inference: pairedTiming }).optional(),
  }),
  curves: list(curvePoint),
  /** Small, ready-to-draw figures produced by the run (e.g. Fig. 1C's spike histogram). */
  figures: list(figureSpec),
}, "an object (a run record)").check((ctx) => {
  const accuracy = ctx.value.metrics.testAccuracy as number | null;
  if (ctx.value.status !== "failed" && accuracy === null) {
    ctx.issues.push({
      code: "custom",
      path: ["metrics", "testAccuracy"],
      input: accuracy,
      message: `${FRACTION} (null only in a failed run)`,
    });
  }
});

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

/** A value as a problem line shows it: JSON, cut at 60 characters; "missing" for none. */
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

/** `["curves", 3, "loss"]` -> "curves[3].loss"; the root is "the file". */
function fieldName(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "the file";
  return path.map((k, i) => typeof k === "number" ? `[${k}]` : `${i ? "." : ""}${String(k)}`)
    .join("");
}

function fieldProblem(issue: z.core.$ZodIssue): FieldProblem {
  if (issue.code === "invalid_key") {
    // A record's key is wrong: name the record, show the key.
    return {
      field: fieldName(issue.path.slice(0, -1)),
      found: shown(issue.input),
      expected: issue.issues[0]?.message ?? issue.message,
    };
  }
  const found = issue.code === "custom" ? issue.params?.found : undefined;
  return {
    field: fieldName(issue.path),
    found: typeof found === "string" ? found : shown(issue.input),
    expected: issue.message,
  };
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
  const checked = runRecordSchema.safeParse(value, { reportInput: true });
  if (!checked.success) return fieldProblem(checked.error.issues[0]);
  const { experiment, run } = checked.data;
  if (where && experiment !== where.experiment) {
    return {
      field: "experiment",
      found: shown(experiment),
      expected: `"${where.experiment}" (the folder it is in)`,
    };
  }
  if (where && run !== where.run) {
    return { field: "run", found: shown(run), expected: `"${where.run}" (the file's name)` };
  }
  return null;
}
