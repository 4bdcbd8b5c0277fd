/**
 * Synthetic but schema-valid run records for report tests: an RC and an EOS run for
 * `seq-spotting` and `two-sequence`, with curves, figures, threshold curves and compute counts
 * shaped like real runs (numbers near the paper's).
 * @module
 */

import {
  type ComputeCounts,
  type CurvePoint,
  type Environment,
  type ExperimentId,
  type FigureSpec,
  type RunRecord,
  type ThresholdPoint,
  writeRun,
} from "../../lib/results.ts";

/** A small deterministic PRNG (mulberry32), so fixtures are identical on every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A wasm environment (no adapter) or a WebGPU one on Mesa's software adapter. */
export function fixtureEnvironment(kind: "wasm" | "software-webgpu"): Environment {
  const base = {
    deno: "2.9.6",
    v8: "14.1.146.1",
    tfjs: "4.22.0",
    gitRevision: "3f2a9c1d7e5b40aa9c0e1b2d3f4a5b6c7d8e9f00",
    os: "linux x86_64",
    cpuCount: 2,
  };
  return kind === "wasm"
    ? {
      ...base,
      backend: "wasm",
      backendReason: "auto: only a software WebGPU adapter, wasm chosen",
      adapter: null,
      flags: {},
    }
    : {
      ...base,
      backend: "webgpu",
      backendReason: "requested: --backend webgpu",
      adapter: {
        description: "llvmpipe (LLVM 15.0.6, 256 bits)",
        vendor: "mesa",
        architecture: "",
        device: "0",
        isFallbackAdapter: true,
        wgpuBackend: "vulkan",
      },
      flags: { WEBGPU_CPU_FORWARD: false },
    };
}

/** Compute counts of a phase whose examples stop after `meanSteps` of `numSteps` on average. */
export function fixtureCompute(
  opts: {
    examples: number;
    numSteps: number;
    meanSteps: number;
    flopsPerStep: number;
    secondsPerStep: number;
    training: boolean;
    /** Extra forward example-steps from padding batches to bucket sizes. */
    padding?: number;
  },
): ComputeCounts {
  const needed = Math.round(opts.examples * opts.meanSteps);
  const forwardSteps = Math.round(needed * (1 + (opts.padding ?? 0)));
  const backwardSteps = opts.training ? needed : 0;
  return {
    forwardSteps,
    forwardStepsNeeded: needed,
    backwardSteps,
    eosSteps: opts.examples * opts.numSteps,
    flops: (forwardSteps + 2 * backwardSteps) * opts.flopsPerStep,
    wallSeconds: (forwardSteps + 2 * backwardSteps) * opts.secondsPerStep,
    examples: opts.examples,
  };
}

function curve(
  points: number,
  examplesPerPoint: number,
  shape: (f: number) => { acc: number; eos: number; spike: number; fired: number; loss: number },
  rand: () => number,
): CurvePoint[] {
  return Array.from({ length: points }, (_, i) => {
    const f = (i + 1) / points;
    const s = shape(f);
    const noise = () => (rand() - 0.5) * 0.01;
    return {
      batch: (i + 1) * Math.round(examplesPerPoint / 128),
      examples: (i + 1) * examplesPerPoint,
      loss: s.loss + noise(),
      spikingAccuracy: Math.min(1, s.acc + noise()),
      meanSpikeTime: s.spike + noise() * 20,
      // The validation spread narrows as the spike time falls.
      spikeTimePercentiles: Object.fromEntries(
        [[10, -0.5], [25, -0.25], [50, 0], [75, 0.25], [90, 0.5]].map(([p, k]) => [
          String(p),
          Math.max(1, Math.round(s.spike * (1 + k))),
        ]),
      ),
      fractionFired: s.fired,
      eosAccuracy: Math.min(1, s.eos + noise()),
      wallSeconds: f * 120,
    };
  });
}

function thresholdCurve(
  thresholds: number[],
  at: (theta: number) => { accuracy: number; meanSpikeTime: number },
): ThresholdPoint[] {
  return thresholds.map((threshold) => ({ threshold, ...at(threshold), fractionFired: 0.97 }));
}

interface RunSpec {
  experiment: ExperimentId;
  run: string;
  method: "rc" | "eos";
  title: string;
  numSteps: number;
  testAccuracy: number;
  meanSpikeTime: number;
  eosAccuracy: number;
  curve: (f: number) => { acc: number; eos: number; spike: number; fired: number; loss: number };
  tradeoff: (theta: number) => { accuracy: number; meanSpikeTime: number };
  checks: RunRecord["target"]["checks"];
  deviations: string[];
  figures: FigureSpec[];
  extra?: Record<string, number>;
  env: "wasm" | "software-webgpu";
  seed: number;
  data: RunRecord["data"];
}

function record(s: RunSpec): RunRecord {
  const rand = rng(s.seed);
  const trainExamples = 100_000;
  const flopsPerStep = 4 * 2 * 128 * (128 + 20) + 2 * 128;
  const train = fixtureCompute({
    examples: trainExamples,
    numSteps: s.numSteps,
    meanSteps: s.method === "rc" ? s.meanSpikeTime + 1.5 : s.numSteps,
    flopsPerStep,
    secondsPerStep: 2.1e-6,
    training: true,
    padding: s.method === "rc" ? 0.08 : 0,
  });
  const inference = fixtureCompute({
    examples: 10_000,
    numSteps: s.numSteps,
    meanSteps: s.method === "rc" ? s.meanSpikeTime : s.numSteps,
    flopsPerStep,
    secondsPerStep: 0.9e-6,
    training: false,
  });
  return {
    schema: 1,
    experiment: s.experiment,
    run: s.run,
    method: s.method,
    ...(s.method === "rc" ? { baseline: "eos" } : {}),
    title: s.title,
    profile: "default",
    config: {
      model: { kind: "lstm", hidden: 128, readout: "binary" },
      train: { batchSize: 128, learningRate: 0.001, epochs: 10, threshold: 0.95, beta: 0 },
      numSteps: s.numSteps,
    },
    configHash: `${s.seed.toString(16).padStart(4, "0")}c0ffee1234ab`.slice(0, 16),
    seed: s.seed,
    data: s.data,
    environment: fixtureEnvironment(s.env),
    status: s.checks.every((c) => c.met) ? "met" : "missed",
    startedAt: "2026-11-22T10:00:00.000Z",
    finishedAt: "2026-11-22T10:02:00.000Z",
    target: { description: `${s.experiment}: ${s.title}`, checks: s.checks },
    deviations: s.deviations,
    metrics: {
      threshold: 0.95,
      testAccuracy: s.testAccuracy,
      meanSpikeTime: s.meanSpikeTime,
      fractionFired: s.method === "rc" ? 0.991 : 0.874,
      eosAccuracy: s.eosAccuracy,
      numSteps: s.numSteps,
      thresholdCurve: thresholdCurve([0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99], s.tradeoff),
      extra: s.extra ?? {},
    },
    compute: { train, inference, flopsPerExampleStep: flopsPerStep },
    curves: curve(20, 5_000, s.curve, rand),
    figures: s.figures,
  };
}

function histogram(label: string, centre: number, n: number, numSteps: number, seed: number) {
  const rand = rng(seed);
  const counts = new Array(numSteps).fill(0);
  for (let i = 0; i < n; i++) {
    const t = Math.round(centre + (rand() + rand() + rand() - 1.5) * 6);
    counts[Math.max(0, Math.min(numSteps - 1, t))]++;
  }
  return { label, x: counts.map((_, i) => i + 1), y: counts };
}

const TOY_DATA = (name: string): RunRecord["data"] => ({
  name,
  checksum: "sha256:generated-seed-1234",
  note: "synthetic, generated from the seed",
});

/**
 * A spike raster (paper Fig. 1B-G) of 8 hand-made sequences of 25 steps: inputs alternate, the
 * positive-class probability drifts from 0.5 to the row's label until a spike at step 6 + row
 * (RC) or 12 + row (EOS), the last row never spikes.
 */
export function fixtureRaster(method: "rc" | "eos"): FigureSpec {
  const T = 25, rows = 8;
  const first = (r: number) => r === rows - 1 ? null : (method === "rc" ? 5 : 11) + r;
  const label = (r: number) => r < rows / 2 ? 1 : 0;
  return {
    paperFigure: "1B",
    title:
      `Sampled test sequences: input, activation until the first spike, the spike (${method.toUpperCase()}-trained, θ = 0.95)`,
    kind: "heatmap",
    xLabel: "time step",
    yLabel: "test sequence: label, first spike",
    series: [],
    caption: "Sampled test sequences: where each first spike falls and what it says.",
    z: Array.from({ length: rows }, (_, r) =>
      Array.from({ length: T }, (_, t) => {
        const f = Math.min(1, t / ((first(r) ?? T) + 0.5));
        return +(0.5 + (label(r) ? 0.47 : -0.47) * f).toFixed(4);
      })),
    inputs: Array.from(
      { length: rows },
      (_, r) => Array.from({ length: T }, (_, t) => (t + r) % 2),
    ),
    rowCutoffs: Array.from({ length: rows }, (_, r) => first(r) ?? T - 1),
    rowMarks: Array.from({ length: rows }, (_, r) => first(r)),
    rowLabels: Array.from(
      { length: rows },
      (_, r) =>
        `label ${label(r) ? "+" : "−"}, ${
          first(r) === null ? "no spike" : `spike ${label(r) ? "+" : "−"} at ${first(r)! + 1}`
        }`,
    ),
    scale: { centre: 0.5, max: 0.5 },
  };
}

/** The fixture run records: rc and eos for seq-spotting and two-sequence. */
export function fixtureRuns(): RunRecord[] {
  const seqT = 25, twoT = 40;
  const steps = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  return [
    record({
      experiment: "seq-spotting",
      run: "rc",
      method: "rc",
      title: "LSTM, RC-trained, θ = 0.95",
      numSteps: seqT,
      testAccuracy: 0.9987,
      meanSpikeTime: 9.31,
      eosAccuracy: 0.9712,
      curve: (f) => ({
        acc: 0.7 + 0.298 * f,
        eos: 0.65 + 0.3 * f,
        spike: 25 - 15.7 * f,
        fired: 0.9 + 0.09 * f,
        loss: 0.7 - 0.6 * f,
      }),
      tradeoff: (th) => ({ accuracy: 0.9 + 0.0987 * th, meanSpikeTime: 4 + 5.5 * th }),
      checks: [
        {
          name: "RC-inference test accuracy",
          paper: 1,
          measured: 0.9987,
          tolerance: { kind: "atLeast", value: 0.98 },
          met: true,
          unit: "fraction",
        },
        {
          name: "mean first-spike step",
          paper: 9,
          measured: 9.31,
          tolerance: { kind: "atMost", value: 12 },
          met: true,
          unit: "steps",
        },
      ],
      deviations: ["Trained 100,000 examples instead of the paper's (unreported) count"],
      figures: [
        {
          paperFigure: "1D",
          title: "Positive-class activation until the first spike",
          kind: "line",
          xLabel: "time step",
          yLabel: "activation",
          series: [0, 1, 2].map((k) => ({
            label: `example ${k + 1}`,
            x: steps(10 + 3 * k),
            y: steps(10 + 3 * k).map((t) => 0.5 + 0.45 * Math.tanh((t - 6 - 2 * k) / 2)),
          })),
          caption: "Activations stay low until a five-step run appears, then cross θ at once.",
        },
        {
          paperFigure: "1C",
          title: "First output spikes per step",
          kind: "bar",
          xLabel: "first-spike step",
          yLabel: "examples",
          series: [
            histogram("positive", 7, 400, seqT, 11),
            histogram("negative", 14, 400, seqT, 12),
          ],
          caption: "Positive spikes come right after the fifth equal step, as in the paper.",
        },
        fixtureRaster("rc"),
      ],
      env: "software-webgpu",
      seed: 1,
      data: TOY_DATA("seq-spotting (Poisson, rate 0.5, T = 25)"),
    }),
    record({
      experiment: "seq-spotting",
      run: "eos",
      method: "eos",
      title: "LSTM, trained at the last step",
      numSteps: seqT,
      testAccuracy: 0.5234,
      meanSpikeTime: 3.12,
      eosAccuracy: 0.9951,
      curve: (f) => ({
        acc: 0.5 + 0.02 * f,
        eos: 0.7 + 0.29 * f,
        spike: 3.5 - 0.4 * f,
        fired: 0.87,
        loss: 0.69 - 0.6 * f,
      }),
      tradeoff: (th) => ({ accuracy: 0.5 + 0.1 * th, meanSpikeTime: 2 + 1.2 * th }),
      checks: [
        {
          name: "EOS test accuracy",
          paper: 1,
          measured: 0.9951,
          tolerance: { kind: "atLeast", value: 0.98 },
          met: true,
          unit: "fraction",
        },
      ],
      deviations: [],
      figures: [fixtureRaster("eos")],
      env: "software-webgpu",
      seed: 2,
      data: TOY_DATA("seq-spotting (Poisson, rate 0.5, T = 25)"),
    }),
    record({
      experiment: "two-sequence",
      run: "rc",
      method: "rc",
      title: "LSTM, RC-trained, θ = 0.95",
      numSteps: twoT,
      testAccuracy: 0.9545,
      meanSpikeTime: 14.27,
      eosAccuracy: 0.9611,
      curve: (f) => ({
        acc: 0.85 + 0.1 * f,
        eos: 0.88 + 0.08 * f,
        spike: 38 - 23.7 * f,
        fired: 0.95 + 0.04 * f,
        loss: 0.6 - 0.45 * f,
      }),
      tradeoff: (th) => ({ accuracy: 0.86 + 0.1 * th * th, meanSpikeTime: 3 + 12 * th * th }),
      checks: [
        {
          name: "RC-inference test accuracy",
          paper: 0.9545,
          measured: 0.9545,
          tolerance: { kind: "abs", value: 0.01 },
          met: true,
          unit: "fraction",
        },
        {
          name: "mean first-spike step",
          paper: 14,
          measured: 14.27,
          tolerance: { kind: "abs", value: 2 },
          met: true,
          unit: "steps",
        },
      ],
      deviations: [
        "Test set of 10,000 sequences instead of 100,000",
        "Profile default: 100,000 training examples",
      ],
      figures: [
        {
          paperFigure: "2A",
          title: "Input examples",
          kind: "line",
          xLabel: "time step",
          yLabel: "input",
          series: [
            {
              label: "positive (μ = +0.05)",
              x: steps(twoT),
              y: steps(twoT).map((t) => 0.05 + 0.2 * Math.sin(t * 1.7)),
            },
            {
              label: "negative (μ = −0.05)",
              x: steps(twoT),
              y: steps(twoT).map((t) => -0.05 + 0.2 * Math.cos(t * 2.3)),
            },
          ],
          caption: "Noisy Gaussian sequences; the sign of the mean is the class.",
        },
      ],
      env: "wasm",
      seed: 3,
      data: TOY_DATA("two-sequence (Gaussian ±0.05, T = 40)"),
    }),
    record({
      experiment: "two-sequence",
      run: "eos",
      method: "eos",
      title: "LSTM, trained at the last step",
      numSteps: twoT,
      testAccuracy: 0.9632,
      meanSpikeTime: 23.41,
      eosAccuracy: 0.9684,
      // The last two are the harness's diagnostics: shown with provenance, never as keys.
      extra: { accuracyAtStep14: 0.8903, liveTensorsFirstValidation: 8, peakRssMiB: 301.5 },
      curve: (f) => ({
        acc: 0.88 + 0.08 * f,
        eos: 0.9 + 0.068 * f,
        spike: 24 - 1 * f,
        fired: 0.9,
        loss: 0.5 - 0.4 * f,
      }),
      tradeoff: (th) => ({ accuracy: 0.8 + 0.17 * th, meanSpikeTime: 8 + 16 * th }),
      checks: [
        {
          name: "EOS test accuracy at step 40",
          paper: 0.9684,
          measured: 0.9684,
          tolerance: { kind: "abs", value: 0.01 },
          met: true,
          unit: "fraction",
        },
        {
          name: "EOS accuracy read at step 14",
          paper: 0.89,
          measured: 0.8903,
          tolerance: { kind: "abs", value: 0.02 },
          met: true,
          unit: "fraction",
        },
        {
          name: "RC-inference mean first-spike step",
          paper: 23,
          measured: 23.41,
          tolerance: { kind: "abs", value: 0.3 },
          met: false,
          unit: "steps",
        },
      ],
      deviations: ["Test set of 10,000 sequences instead of 100,000"],
      figures: [],
      env: "wasm",
      seed: 4,
      data: TOY_DATA("two-sequence (Gaussian ±0.05, T = 40)"),
    }),
  ];
}

/** Writes the fixture runs under `outDir/runs` and returns them. */
export async function writeFixtureRuns(outDir: string): Promise<RunRecord[]> {
  const runs = fixtureRuns();
  for (const r of runs) await writeRun(outDir, r);
  return runs;
}

/** `deno bench --json` output of two benchmarks. */
export function fixtureBenchJson(): string {
  const ok = (avg: number) => ({
    ok: {
      n: 50,
      min: avg * 0.9,
      max: avg * 1.3,
      avg,
      p75: avg * 1.05,
      p99: avg * 1.2,
      p995: avg * 1.25,
      p999: avg * 1.3,
      highPrecision: true,
      usedExplicitTimers: false,
    },
  });
  return JSON.stringify({
    version: 1,
    runtime: "Deno/2.9.6 x86_64-unknown-linux-gnu",
    cpu: "AMD EPYC 9R45",
    benches: [
      {
        origin: "file:///repo/bench/lstm_bench.ts",
        group: "lstm",
        name: "W: batch 128, T 81, fwd+bwd",
        baseline: true,
        results: [ok(284_000_000)],
      },
      {
        origin: "file:///repo/bench/lstm_bench.ts",
        group: "lstm",
        name: "M: batch 128, T 10, fwd+bwd",
        baseline: false,
        results: [ok(346_000_000)],
      },
    ],
  });
}
