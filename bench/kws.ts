/**
 * The keyword model's speed (workload W: LSTM 20-128, ReLU readout 32, 11 classes, T = 81):
 *
 * 1. Streaming latency per 10 ms frame (lib/rc/stream.ts): one push of 160 samples = the frame's
 *    log-mel features and one model step, after a warm-up; the front end and the model step
 *    alone too. A real clip (../shared/data) looped, else noise.
 * 2. Training throughput, clips per second, RC against EOS: fit()'s step (lib/rc/train.ts
 *    `stepRunner`: forward, backward, clipping at global norm 0.25, Adam at learning rate 0 so
 *    the model and its spikes stay put), batch 128 of normal inputs, on each backend asked for
 *    (wasm; webgpu when an adapter exists), beside PyTorch on the CPU (bench/pytorch_kws.py) with
 *    RC's loss steps measured here. The model is W's (seed 1) with W and U scaled by 3 and the
 *    output layer by 8 (at PyTorch's initialisation the softmax stays at 0.11 +- 0.005 for every
 *    input, so no θ gives early spikes); RC's θ (default 0.45) then gives spikes spread over the
 *    clip, mean step ~36 of 81 (printed).
 *
 *   deno run -A bench/kws.ts [--backends wasm,webgpu] [--iterations 5] [--webgpu-iterations 1]
 *     [--threshold 0.45]
 *     [--frames 3000] [--torch true] [--torch-threads 1] [--allow-fallback]
 * A WebGPU adapter that is a CPU fallback (llvmpipe) is skipped unless `--allow-fallback`.
 * On a small shared machine run single-threaded (`OPENBLAS_NUM_THREADS=1`, PyTorch's default here
 * `--torch-threads 1`): with 2 threads on 2 busy cores both OpenBLAS and PyTorch's OpenMP lose
 * far more to waiting than they gain (bench/results/kws.txt).
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { type BackendName, describeAdapter, initBackend } from "../lib/backend.ts";
import "../lib/accel/register.ts"; // the accelerators the path chooser picks from
import { readClipAudio } from "../lib/encode/clip_features.ts";
import { DEFAULT_LOGMEL } from "../lib/encode/logmel.ts";
import { StreamingLogMel } from "../lib/encode/stream_logmel.ts";
import type { Lstm } from "../lib/models/lstm.ts";
import { testTraces } from "../lib/rc/measure.ts";
import { firstSpikes } from "../lib/rc/spike.ts";
import { StreamingClassifier } from "../lib/rc/stream.ts";
import { type Method, type StepRunner, stepRunner } from "../lib/rc/train.ts";
import { zeroCounts } from "../lib/rc/types.ts";
import { workloadBatch, workloadModel } from "./_workloads.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    backends: { type: "string", default: "wasm,webgpu" },
    iterations: { type: "string", default: "5" },
    "webgpu-iterations": { type: "string", default: "1" },
    threshold: { type: "string", default: "0.45" },
    frames: { type: "string", default: "3000" },
    torch: { type: "string", default: "true" },
    "allow-fallback": { type: "boolean", default: false },
    "torch-threads": { type: "string", default: "1" },
  },
});
const iterations = Number(values.iterations);
const webgpuIterations = Number(values["webgpu-iterations"]);
const threshold = Number(values.threshold);
const CLIP = "../shared/data/speech_commands_v0.01_sample/right/51055bda_nohash_4.wav";

/** W's model with W, U scaled by 3 and the output layer by 8 (see the module comment). */
function keywordModel(): Lstm {
  const model = workloadModel("W");
  model.variables.forEach((v, k) => tf.tidy(() => v.assign(tf.mul(v, k < 2 ? 3 : k >= 5 ? 8 : 1))));
  return model;
}

const us = (ms: number) => `${(1000 * ms).toFixed(1)} µs`;
function summary(times: number[]): string {
  const s = times.slice().sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return `mean ${us(mean)}, median ${us(s[s.length >> 1])}, p99 ${
    us(s[Math.floor(0.99 * (s.length - 1))])
  }, max ${us(s[s.length - 1])} (${s.length} frames)`;
}

console.log(`# keyword model speed (bench/kws.ts), ${new Date().toISOString()}`);
console.log(`deno ${Deno.version.deno}, ${navigator.hardwareConcurrency} CPU threads`);

// 1. Streaming latency.
await initBackend("cpu", { quiet: true });
{
  let audio: Float32Array;
  let source: string;
  try {
    audio = await readClipAudio(CLIP, DEFAULT_LOGMEL);
    source = CLIP;
  } catch {
    let seed = 1;
    audio = Float32Array.from(
      { length: 16000 },
      () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2,
    );
    source = "noise (no clip at " + CLIP + ")";
  }
  const model = keywordModel();
  // Never spikes (θ = 2) and never ends (steps: Infinity): every 160 samples are one frame.
  const c = await StreamingClassifier.fromModel(model, { threshold: 2, steps: Infinity });
  model.variables.forEach((v) => v.dispose());
  const frames = Number(values.frames);
  const chunk = 160;
  let at = 0;
  const next = () => {
    const part = audio.subarray(at, at + chunk);
    at = (at + chunk) % audio.length;
    return part;
  };
  for (let i = 0; i < 500; i++) c.push(next()); // warm-up (JIT)
  const full: number[] = [];
  for (let i = 0; i < frames; i++) {
    const part = next();
    const began = performance.now();
    c.push(part);
    full.push(performance.now() - began);
  }
  const front = new StreamingLogMel();
  for (let i = 0; i < 500; i++) front.push(next(), () => {});
  const logmel: number[] = [];
  for (let i = 0; i < frames; i++) {
    const part = next();
    const began = performance.now();
    front.push(part, () => {});
    logmel.push(performance.now() - began);
  }
  const x = new Float32Array(20).fill(0.5);
  const stepOnly: number[] = [];
  for (let i = 0; i < frames; i++) {
    const began = performance.now();
    c.pushInput(x);
    stepOnly.push(performance.now() - began);
  }
  console.log(`\n## streaming (lib/rc/stream.ts), 10 ms chunks of ${source}`);
  console.log(`frame = 160 samples -> log-mel + LSTM step + readout: ${summary(full)}`);
  console.log(`log-mel front end alone: ${summary(logmel)}`);
  console.log(`model step alone (pushInput): ${summary(stepOnly)}`);
}

// 2. Training throughput.
const batch = workloadBatch("W");
const B = batch.batchSize, T = batch.numSteps;
let rcSteps: Int32Array | null = null;
console.log(
  `\n## training, clips/s: batch ${B}, T ${T}, clip 0.25, Adam (lr 0), RC at θ = ${threshold}, ` +
    `${iterations} timed steps each (webgpu ${webgpuIterations}, PyTorch ` +
    `${Math.min(iterations, 3)}) after 1 warm-up`,
);
for (const backend of values.backends.split(",") as BackendName[]) {
  if (backend === "webgpu") {
    const adapter = await describeAdapter().catch(() => null);
    if (!adapter) {
      console.log("webgpu: skipped, no WebGPU adapter on this machine");
      continue;
    }
    if (adapter.isFallbackAdapter && !values["allow-fallback"]) {
      // A W step takes ~9 s on llvmpipe at rest (bench/results/lavapipe_vulkan_WM_fused.txt).
      console.log(
        `webgpu: skipped, the adapter is a CPU fallback (${adapter.description}): a training ` +
          "step takes seconds; --allow-fallback times it anyway",
      );
      continue;
    }
  }
  const info = await initBackend(backend, { quiet: true });
  const n = backend === "webgpu" ? webgpuIterations : iterations;
  const model = keywordModel();
  const traces = await testTraces(model, batch, "softmax");
  const spikes = firstSpikes(traces, threshold);
  rcSteps ??= spikes.steps;
  const meanSpike = spikes.steps.reduce((a, s) => a + s + 1, 0) / B;
  const fired = spikes.fired.reduce((a, f) => a + f, 0);
  const runners = Object.fromEntries((["rc", "eos"] as const).map((method) => [
    method,
    stepRunner(model, {
      method,
      readout: "softmax",
      threshold,
      beta: 0,
      learningRate: 0,
      clipNorm: 0.25,
      numBatches: n + 1,
      trainBatch: () => batch,
      validation: batch,
      validateEvery: n + 1,
    }),
  ])) as Record<Method, StepRunner>;
  const times: Record<Method, number[]> = { rc: [], eos: [] };
  const counts = { rc: zeroCounts(), eos: zeroCounts() };
  try {
    for (const method of ["rc", "eos"] as const) {
      await runners[method].step(batch, zeroCounts()); // warm-up
      await runners[method].settle();
    }
    // Interleaved, the order alternating, so load on the shared machine hits both alike.
    for (let i = 0; i < n; i++) {
      for (const method of i % 2 === 0 ? ["rc", "eos"] as const : ["eos", "rc"] as const) {
        const began = performance.now();
        await runners[method].step(batch, counts[method]);
        await runners[method].settle();
        times[method].push((performance.now() - began) / 1000);
      }
    }
  } finally {
    runners.rc.dispose();
    runners.eos.dispose();
  }
  // Clips per second at the median step: robust to another job's burst on a shared machine.
  const median = (v: number[]) => v.slice().sort((a, b) => a - b)[v.length >> 1];
  const rate = { rc: B / median(times.rc), eos: B / median(times.eos) };
  for (const method of ["rc", "eos"] as const) {
    const total = times[method].reduce((a, b) => a + b, 0);
    console.log(
      `${backend} ${method.toUpperCase()}: ${rate[method].toFixed(1)} clips/s at the median ` +
        `step (${(1000 * median(times[method])).toFixed(1)} ms per step of ${B}; mean ` +
        `${(1000 * total / n).toFixed(1)} ms; path ` +
        `${runners[method].path.name}; mean loss step ` +
        `${(counts[method].backwardSteps / (B * n)).toFixed(1)} of ${T}` +
        (method === "rc" ? `, ${fired}/${B} spike` : "") + ")",
    );
  }
  console.log(
    `${backend}: RC/EOS throughput ${(rate.rc / rate.eos).toFixed(2)}x (RC's mean first spike ` +
      `${meanSpike.toFixed(1)} of ${T}: the step ratio is ${(T / meanSpike).toFixed(2)}x)` +
      (info.adapter && backend === "webgpu" ? `; adapter ${info.adapter.description}` : "") +
      (info.blas ? `; matmuls: ${info.blas.library}, ${info.blas.threads} thread(s)` : ""),
  );
  model.variables.forEach((v) => v.dispose());
}

// PyTorch on the CPU, same shapes, RC at the loss steps measured above.
if (values.torch !== "false") {
  const probe = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", "import torch"],
    stdout: "null",
    stderr: "piped",
  }).output().catch((e) => ({ success: false, stderr: new TextEncoder().encode(String(e)) }));
  if (!probe.success) {
    const why = new TextDecoder().decode(probe.stderr).trim().split("\n").at(-1);
    console.log(`pytorch: skipped, /usr/bin/python3 -c "import torch" failed: ${why}`);
  } else if (!rcSteps) {
    console.log("pytorch: skipped, no backend ran here to measure RC's loss steps");
  } else {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [
        new URL("./pytorch_kws.py", import.meta.url).pathname,
        "--rc-steps",
        Array.from(rcSteps).join(","),
        "--iterations",
        String(Math.min(iterations, 3)),
        "--threads",
        values["torch-threads"],
      ],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) console.log(`pytorch: bench/pytorch_kws.py failed (exit ${out.code})`);
    else {
      const r = JSON.parse(new TextDecoder().decode(out.stdout)) as {
        torch: string;
        threads: number;
        results: {
          mode: string;
          msPerIteration: number;
          medianMs: number;
          clipsPerSecond: number;
          meanSteps: number;
        }[];
      };
      for (const m of r.results) {
        const ms = (v: number) => `${v.toFixed(1)} ms`;
        console.log(
          `pytorch ${r.torch} cpu (${r.threads} threads) ${m.mode}: ` +
            `${m.clipsPerSecond.toFixed(1)} clips/s at the median step (${ms(m.medianMs)} per ` +
            `step of ${B}; mean ${ms(m.msPerIteration)}; mean steps ${m.meanSteps.toFixed(1)})`,
        );
      }
    }
  }
}
