/**
 * The run code of App. D (Fig. 8): reads a keyword run's saved weights and the features of one
 * test clip (standardised as in training), steps the LSTM over every frame of it reading h, c and
 * the softmax after each step, finds the RC first spike at the model's θ, and draws four heatmaps
 * (input, h, c, output) in colour up to that spike and in grey after it.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { environment } from "../backend.ts";
import { sha256Hex } from "../data/download.ts";
import {
  type FeatureSet,
  loadFsddFeatures,
  loadSpeechCommandsFeatures,
} from "../encode/features.ts";
import type { LogMelParams } from "../encode/logmel.ts";
import { check } from "../experiment.ts";
import { Lstm } from "../models/lstm.ts";
import { assignWeights, decodeWeights, type Weights } from "../models/weights.ts";
import { testTraces } from "../rc/measure.ts";
import { firstSpike, firstSpikes } from "../rc/spike.ts";
import { zeroCounts } from "../rc/types.ts";
import { type FigureSpec, type RunRecord, statusFromChecks } from "../results.ts";
import type { ExperimentInfo, RunContext } from "./declaration.ts";
import { type HiddenConfig, kwsFolder } from "./_hidden.ts";
import { stepsToMs } from "./_kws.ts";
import { kwsBatch } from "./_kws_run.ts";

/** One clip through the model: per step h `[H]`, c `[H]`, softmax `[O]`, its max and argmax. */
export interface ClipTrace {
  numSteps: number;
  h: Float32Array[];
  c: Float32Array[];
  probs: Float32Array[];
  confidence: Float32Array;
  label: Int32Array;
}

/**
 * Steps `model` (built with `fusedCell: false`, whose state is `[h, c]`) over one clip's inputs
 * `x` (`[T, F]`, row-major) to the last step, reading h, c and the softmax of the logits after
 * every step. Leaves no tensor behind.
 */
export async function traceClip(
  model: Lstm,
  x: Float32Array,
  numSteps: number,
): Promise<ClipTrace> {
  if (model.fusedCell) {
    throw new Error("traceClip: build the Lstm with fusedCell: false (its state is then [h, c])");
  }
  const F = model.numInputs;
  if (x.length !== numSteps * F) {
    throw new Error(`traceClip: ${x.length} inputs, expected ${numSteps} steps × ${F} features`);
  }
  const out: ClipTrace = {
    numSteps,
    h: [],
    c: [],
    probs: [],
    confidence: new Float32Array(numSteps),
    label: new Int32Array(numSteps),
  };
  let state = model.initialState(1);
  try {
    for (let t = 0; t < numSteps; t++) {
      const input = tf.tensor2d(x.subarray(t * F, (t + 1) * F), [1, F]);
      const { state: next, logits } = model.step(state, input);
      tf.dispose([input, ...state]);
      state = next;
      const probs = tf.tidy(() => tf.softmax(logits));
      logits.dispose();
      const [h, c, p] = await Promise.all([state[0].data(), state[1].data(), probs.data()]);
      probs.dispose();
      out.h.push(new Float32Array(h));
      out.c.push(new Float32Array(c));
      out.probs.push(new Float32Array(p));
      let best = 0;
      for (let j = 1; j < p.length; j++) if (p[j] > p[best]) best = j;
      out.confidence[t] = p[best];
      out.label[t] = best;
    }
  } finally {
    tf.dispose(state);
  }
  return out;
}

/** What a keyword run stores beside its weights (`_kws_run.ts`), checked. */
export interface KwsMeta {
  dataset: HiddenConfig["dataset"];
  classes: string[];
  threshold: number;
  logmel: LogMelParams;
  mean: number[];
  std: number[];
  epoch: number;
}

/** The meta of a keyword weights file, each field checked; `source` names the file in errors. */
export function kwsMeta(w: Weights, source: string): KwsMeta {
  const m = w.header.meta;
  const bad = (field: string, expected: string) =>
    new Error(`${source}: meta.${field} is ${JSON.stringify(m[field])}, expected ${expected}`);
  if (m.kind !== "kws") throw bad("kind", '"kws" (a keyword-spotting run\'s weights)');
  if (m.dataset !== "fsdd" && m.dataset !== "speech-commands") {
    throw bad("dataset", '"fsdd" or "speech-commands"');
  }
  const F = (w.header.model as { numInputs?: number }).numInputs;
  const numbers = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === "number");
  if (!numbers(m.mean) || (m.mean as number[]).length !== F) {
    throw bad("mean", `${F} numbers (one per input feature)`);
  }
  if (!numbers(m.std) || (m.std as number[]).length !== F) throw bad("std", `${F} numbers`);
  if (!Array.isArray(m.classes) || !m.classes.every((c) => typeof c === "string")) {
    throw bad("classes", "a list of class names");
  }
  if (typeof m.threshold !== "number" || !(m.threshold > 0 && m.threshold <= 1)) {
    throw bad("threshold", "a number in (0, 1]");
  }
  if (typeof m.logmel !== "object" || m.logmel === null) throw bad("logmel", "the log-mel params");
  return {
    dataset: m.dataset,
    classes: m.classes as string[],
    threshold: m.threshold,
    logmel: m.logmel as LogMelParams,
    mean: m.mean as number[],
    std: m.std as number[],
    epoch: typeof m.epoch === "number" ? m.epoch : NaN,
  };
}

/** An unfused Lstm (state `[h, c]`) with the weights of `w`. */
export function modelFromWeights(w: Weights, source: string): Lstm {
  const d = w.header.model as Record<string, unknown>;
  if (d.model !== "lstm") {
    throw new Error(`${source}: model.model is ${JSON.stringify(d.model)}, expected "lstm"`);
  }
  const model = new Lstm({
    numInputs: d.numInputs as number,
    hiddenSize: d.hiddenSize as number,
    readoutHidden: (d.readoutHidden as number[] | undefined) ?? [],
    numOutputs: d.numOutputs as number,
    fusedCell: false,
    seed: 0,
  });
  assignWeights(model, w, source);
  return model;
}

/**
 * The test-split index of the clip `config` names: `word`'s first clip, else `clip`, else (clip
 * -1) `firstSpiking`, the first clip the model spikes on before its end (-1 when none does: then
 * clip 0).
 */
export function pickClip(
  config: HiddenConfig,
  labels: Int32Array,
  classes: string[],
  firstSpiking = -1,
): number {
  if (config.word) {
    const k = classes.findIndex((c) => c.toLowerCase() === config.word.toLowerCase());
    if (k < 0) {
      throw new Error(
        `hidden-dynamics: no class "${config.word}" (--set word=...); the classes are ` +
          classes.join(", "),
      );
    }
    const n = labels.indexOf(k);
    if (n < 0) throw new Error(`hidden-dynamics: the test split has no clip of "${config.word}"`);
    return n;
  }
  if (config.clip === -1) return Math.max(0, firstSpiking);
  if (!Number.isInteger(config.clip) || config.clip < 0 || config.clip >= labels.length) {
    throw new Error(
      `hidden-dynamics: clip ${config.clip} is not a test-split index: --set clip=N with ` +
        `0 <= N < ${labels.length} (-1: the first clip with a spike), or --set word=NAME`,
    );
  }
  return config.clip;
}

/** One clip's inputs `[T, F]`, each feature standardised with the training split's statistics. */
export function standardisedClip(data: FeatureSet, n: number, mean: number[], std: number[]) {
  const { numSteps: T, numFeatures: F, x } = data.test;
  const out = new Float32Array(T * F);
  for (let t = 0; t < T; t++) {
    for (let f = 0; f < F; f++) out[t * F + f] = (x[(n * T + t) * F + f] - mean[f]) / std[f];
  }
  return out;
}

/**
 * Row order of h and c: by unit, or ("peak") by the step at which each unit's |h| is largest up
 * to `last` (ties by unit index), earliest first.
 */
export function unitOrder(h: Float32Array[], last: number, order: HiddenConfig["order"]): number[] {
  const H = h[0].length;
  const units = Array.from({ length: H }, (_, u) => u);
  if (order === "unit") return units;
  const peak = units.map((u) => {
    let best = 0;
    for (let t = 1; t <= last; t++) if (Math.abs(h[t][u]) > Math.abs(h[best][u])) best = t;
    return best;
  });
  return units.sort((a, b) => peak[a] - peak[b] || a - b);
}

/** Rows × steps of `perStep[t][row]`, rows in `rows` order. */
const rowsOf = (perStep: Float32Array[], rows: number[]) =>
  rows.map((r) => perStep.map((v) => v[r]));

/** The four panels of Fig. 8 for a traced clip; `cutoff` the first spike's step (0-based). */
export function dynamicsFigures(
  trace: ClipTrace,
  x: Float32Array,
  opts: {
    cutoff?: number;
    classes: string[];
    order: number[];
    /** How the unit rows are ordered, in words. */
    rows: string;
    what: string;
    caption: string;
  },
): FigureSpec[] {
  const T = trace.numSteps, F = x.length / T;
  const xLabel = "time step (10 ms frames)";
  const base = {
    paperFigure: "8",
    kind: "heatmap" as const,
    xLabel,
    series: [],
    cutoff: opts.cutoff,
  };
  const spiked = opts.cutoff === undefined
    ? "no first spike: every step in colour"
    : `in colour up to the first spike (step ${opts.cutoff + 1}), grey after`;
  const unitLabels = opts.order.map((u) => `unit ${u + 1}`);
  // Input bands top to bottom from the highest, as a spectrogram.
  const bands = Array.from({ length: F }, (_, i) => F - 1 - i);
  return [
    {
      ...base,
      title: `Input: standardised log-mel features, ${opts.what}`,
      yLabel: "mel band",
      z: bands.map((f) => Array.from({ length: T }, (_, t) => x[t * F + f])),
      rowLabels: bands.map((f) => String(f + 1)),
      caption: `The clip the model reads, ${spiked}.`,
    },
    {
      ...base,
      title: `Hidden state h of every LSTM unit, ${opts.what}`,
      yLabel: "LSTM unit (hidden state h)",
      z: rowsOf(trace.h, opts.order),
      rowLabels: unitLabels,
      caption: `${opts.caption} Here the hidden state h, ${spiked}; ${opts.rows}.`,
    },
    {
      ...base,
      title: `Cell state c of every LSTM unit, ${opts.what}`,
      yLabel: "LSTM unit (cell state c)",
      z: rowsOf(trace.c, opts.order),
      rowLabels: unitLabels,
      caption: `The cell state c, ${spiked}; ${opts.rows}, as in the h panel.`,
    },
    {
      ...base,
      title: `Output activations (softmax), ${opts.what}`,
      yLabel: "class",
      z: rowsOf(trace.probs, opts.classes.map((_, j) => j)),
      rowLabels: opts.classes,
      caption: `The softmax of each class, ${spiked}: the run stops when one reaches θ.`,
    },
  ];
}

/** Where a run's weights are, and the error that says how to make them when they are not. */
export async function readKwsWeights(config: HiddenConfig, ctx: RunContext) {
  if (!ctx.workDir) {
    throw new Error("hidden-dynamics needs the run store's folder (run it with deno task train)");
  }
  const runs = ctx.workDir.replace(/\/hidden-dynamics\/?$/, "");
  const path = `${runs}/${kwsFolder(config.dataset)}/${config.weights}.weights.bin`;
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    const profile = /@(smoke|paper)$/.exec(config.weights)?.[1];
    const out = runs.replace(/\/runs$/, "");
    throw new Error(
      `hidden-dynamics: no weights file ${path}: the keyword run "${config.weights}" has not ` +
        `been run into this output folder. Make it with \`deno task reproduce --only ` +
        `${kwsFolder(config.dataset)}${profile ? ` --profile ${profile}` : ""}` +
        `${out === "reports" ? "" : ` --out ${out}`}\`, or pick another run's weights with ` +
        "--set weights=NAME",
    );
  }
  return { path, bytes, weights: decodeWeights(bytes, path) };
}

/** The features of the keyword run's data set with its log-mel params (cached on disk). */
async function loadFeatures(dataset: HiddenConfig["dataset"], params: LogMelParams) {
  return dataset === "fsdd"
    ? await loadFsddFeatures({ params, quiet: true })
    : await loadSpeechCommandsFeatures({ params, quiet: true });
}

/**
 * Runs Fig. 8 of `info` (the declaration, hidden_dynamics.ts) for `config`; `features` replaces
 * the data set's loader (tests).
 */
export async function runHidden(
  info: ExperimentInfo,
  config: HiddenConfig,
  ctx: RunContext,
  features: typeof loadFeatures = loadFeatures,
): Promise<RunRecord> {
  const startedAt = new Date().toISOString();
  const { path, bytes, weights } = await readKwsWeights(config, ctx);
  const meta = kwsMeta(weights, path);
  if (meta.dataset !== config.dataset) {
    throw new Error(
      `${path}: meta.dataset is "${meta.dataset}", the config asks for ` +
        `"${config.dataset}"`,
    );
  }
  const data = await features(config.dataset, meta.logmel);
  if (data.test.classes.join() !== meta.classes.join()) {
    throw new Error(
      `${path}: meta.classes ${meta.classes} differ from the data set's ` +
        `${data.test.classes}: the weights belong to another data set`,
    );
  }
  const T = data.test.numSteps;
  const model = modelFromWeights(weights, path);
  const began = performance.now();
  let trace: ClipTrace, spiking: number[], n: number;
  try {
    // Every test clip's first spike (the ordinary inference path): which clips spike before
    // their end, the first of them the default clip.
    const all = Int32Array.from({ length: data.test.count }, (_, i) => i);
    const mean = Float32Array.from(meta.mean), std = Float32Array.from(meta.std);
    const batch = kwsBatch(data.test, all, mean, std);
    const { steps, fired } = firstSpikes(await testTraces(model, batch, "softmax"), meta.threshold);
    spiking = Array.from(all).filter((b) => fired[b] && steps[b] < T - 1);
    n = pickClip(config, data.test.y, meta.classes, spiking[0] ?? -1);
    trace = await traceClip(model, standardisedClip(data, n, meta.mean, meta.std), T);
  } finally {
    tf.dispose(model.variables);
  }
  const how = config.word
    ? `the first test clip of "${config.word}"`
    : config.clip !== -1
    ? "set by index"
    : spiking.length
    ? "the first test clip with a first spike before its end"
    : "none of the test clips spikes before its end: clip 0";
  if (config.clip === -1 && !config.word && !spiking.length) ctx.log(`hidden-dynamics: ${how}`);
  const x = standardisedClip(data, n, meta.mean, meta.std);
  const seconds = (performance.now() - began) / 1000;
  const spike = firstSpike(trace.confidence, meta.threshold);
  const last = spike.fired ? spike.step : T - 1;
  const word = meta.classes[data.test.y[n]];
  const predicted = trace.label[spike.step];
  const what = `test clip ${n} ("${word}"), ${config.weights}`;
  const order = unitOrder(trace.h, last, config.order);
  const figures = dynamicsFigures(trace, x, {
    cutoff: spike.fired ? spike.step : undefined,
    classes: meta.classes,
    order,
    rows: config.order === "peak"
      ? "rows: units by the step of their largest |h| up to the spike, earliest on top"
      : "rows: units in index order",
    what,
    caption: info.figures!.fig8.caption,
  });
  const H = trace.h[0].length;
  let active = 0;
  const peaks = new Set<number>();
  for (let u = 0; u < H; u++) {
    let best = 0;
    for (let t = 0; t <= last; t++) {
      if (Math.abs(trace.h[t][u]) > Math.abs(trace.h[best][u])) best = t;
    }
    peaks.add(best);
    if (Math.abs(trace.h[best][u]) > 0.5) active++;
  }
  const correct = predicted === data.test.y[n] ? 1 : 0;
  const measured = { correct };
  // The keyword runs are named by method ("rc-b0.2", "eos-b0"): an EOS model may be shown too.
  const method = /^eos\b/.test(config.weights) ? "eos" : "rc";
  const target = info.targets![method];
  const checks = target.checks.map((t) =>
    check(t.name, t.paper, measured[t.measure as keyof typeof measured], t.tolerance, t.unit, t.why)
  );
  const extra: Record<string, number> = {
    clip: n,
    spikingTestClips: spiking.length / data.test.count,
    labelIndex: data.test.y[n],
    predictedIndex: predicted,
    spikeStep: spike.step + 1,
    spikeMs: stepsToMs(spike.step + 1, T),
    fired: spike.fired ? 1 : 0,
    confidenceAtSpike: trace.confidence[spike.step],
    endLabelIndex: trace.label[T - 1],
    unitsAbove05BeforeSpike: active,
    distinctPeakStepsBeforeSpike: peaks.size,
    weightsEpoch: meta.epoch,
  };
  const flops = model.flopsPerStep();
  const env = await environment();
  return {
    schema: 1,
    experiment: "hidden-dynamics",
    run: ctx.run,
    method,
    title: `${method.toUpperCase()}-trained keyword LSTM-${H} (${config.weights}) on ` +
      what.split(",")[0],
    profile: ctx.profile,
    config: { ...config },
    configHash: ctx.configHash,
    seed: 0,
    data: {
      name: `${config.dataset === "fsdd" ? "FSDD" : "Speech Commands v0.02"} test clip ${n} ` +
        `("${word}")`,
      checksum: `features of ${data.checksum}; weights sha256 ${sha256Hex(bytes)}`,
      note: `weights ${path} (epoch ${meta.epoch}), θ = ${meta.threshold}; the clip: ${how}`,
    },
    environment: env,
    status: statusFromChecks(checks),
    startedAt,
    finishedAt: new Date().toISOString(),
    target: { description: target.description, checks },
    deviations: ctx.profile === "smoke"
      ? [`profile "smoke": the smoke keyword run's weights (LSTM-${H}), not the paper's model`]
      : [],
    metrics: {
      threshold: meta.threshold,
      testAccuracy: correct,
      meanSpikeTime: spike.step + 1,
      fractionFired: spike.fired ? 1 : 0,
      eosAccuracy: trace.label[T - 1] === data.test.y[n] ? 1 : 0,
      numSteps: T,
      thresholdCurve: [],
      extra,
    },
    compute: {
      train: zeroCounts(),
      inference: {
        ...zeroCounts(),
        forwardSteps: T,
        forwardStepsNeeded: spike.step + 1,
        eosSteps: T,
        flops: T * flops,
        wallSeconds: seconds,
        examples: 1,
      },
      flopsPerExampleStep: flops,
    },
    curves: [],
    figures,
  };
}
