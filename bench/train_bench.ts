/**
 * One training iteration (forward + backward + Adam) RC against EOS, and inference, for the
 * paper's LSTM shapes, on cpu or wasm (synchronous benches):
 * - toy: LSTM 1-125-1, T = 40, batch 128 (2-sequence protocol); RC with every example's first
 *   spike at t_sp = 14 (the paper's mean), i.e. the taped pass over 14 steps (on cpu/wasm RC
 *   finds its spikes inside that pass); RC-inference halting at step 14;
 * - W: LSTM 20-128 + 32 + 11 over 81 steps (keyword spotting); M: LSTM 784-340-10 over 10 steps.
 * Backend: `RC_BENCH_BACKEND` (wasm or cpu), default wasm. WebGPU has no synchronous readback:
 * time it with `bench/lstm_iteration.ts --backend webgpu` and `bench/gpu_engine.ts`. On wasm with
 * BLAS the code that fit() and traceBatch() run: the CPU engine (lib/accel/cpu_engine.ts) with the
 * trainer's Adam (lib/accel/cpu_trainer.ts); `RC_BENCH_ENGINE=off` times the tfjs op-by-op path.
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, initBackend } from "../lib/backend.ts";
import type { SequenceBatch } from "../lib/data/batch.ts";
import { Lstm } from "../lib/models/lstm.ts";
import { Rng } from "../lib/random.ts";
import { nativeAvailable, nativeTraces } from "../lib/accel/cpu_engine.ts";
import { CpuTrainer } from "../lib/accel/cpu_trainer.ts";
import { batchLoss } from "../lib/rc/train.ts";

const backend = (Deno.env.get("RC_BENCH_BACKEND") ?? "wasm") as BackendName;

function randomBatch(rng: Rng, T: number, B: number, F: number, classes: number): SequenceBatch {
  const x = Float32Array.from({ length: T * B * F }, () => rng.normal());
  const y = Int32Array.from({ length: B }, () => rng.int(classes));
  return { x, y, numSteps: T, batchSize: B, numFeatures: F };
}

interface Shape {
  name: string;
  F: number;
  H: number;
  readoutHidden: number[];
  O: number;
  T: number;
  rcSteps: number;
  readout: "binary" | "softmax";
}
const SHAPES: Shape[] = [
  {
    name: "toy 1-125-1 T=40",
    F: 1,
    H: 125,
    readoutHidden: [],
    O: 1,
    T: 40,
    rcSteps: 14,
    readout: "binary",
  },
  {
    name: "W 20-128-32-11 T=81",
    F: 20,
    H: 128,
    readoutHidden: [32],
    O: 11,
    T: 81,
    rcSteps: 41,
    readout: "softmax",
  },
  {
    name: "M 784-340-10 T=10",
    F: 784,
    H: 340,
    readoutHidden: [],
    O: 10,
    T: 10,
    rcSteps: 1,
    readout: "softmax",
  },
];

await initBackend(backend, { quiet: true });
const engine = Deno.env.get("RC_BENCH_ENGINE") !== "off" && nativeAvailable();
const via = engine ? " [cpu engine, trainer's Adam]" : "";

// Every bench is synchronous (dataSync, which cpu and wasm allow): deno bench 2.9.6 was seen
// here starting an async bench's iterations before the previous one had finished.
if (backend === "webgpu") {
  throw new Error(
    "train_bench.ts times cpu/wasm; for webgpu use bench/lstm_iteration.ts --backend webgpu",
  );
}

/** Runs `model` over `batch` for `numSteps` steps, reading the last logits back. */
function forward(model: Lstm, batch: SequenceBatch, numSteps: number, readout: Shape["readout"]) {
  const { batchSize: B, numFeatures: F } = batch;
  if (engine) {
    const x = batch.x.subarray(0, numSteps * B * F);
    nativeTraces(model, { ...batch, x, numSteps }, { readout });
    return;
  }
  let state = model.initialState(B);
  for (let t = 0; t < numSteps; t++) {
    const input = tf.tensor2d(batch.x.subarray(t * B * F, (t + 1) * B * F), [B, F]);
    const out = model.step(state, input);
    tf.dispose([input, ...state]);
    state = out.state;
    if (t === numSteps - 1) out.logits.dataSync();
    out.logits.dispose();
  }
  tf.dispose(state);
}

for (const s of SHAPES) {
  {
    const model = new Lstm({
      numInputs: s.F,
      hiddenSize: s.H,
      readoutHidden: s.readoutHidden,
      numOutputs: s.O,
      seed: 1,
    });
    const optimizer = tf.train.adam(1e-3);
    const batch = randomBatch(new Rng(1), s.T, 128, s.F, s.O);
    const trainer = engine ? new CpuTrainer(model, 1e-3) : null;
    const iteration = (lossStep: number) => {
      const steps = new Int32Array(128).fill(lossStep);
      if (trainer) {
        trainer.step(batch, { readout: s.readout, beta: 0, steps });
        return;
      }
      const { value, grads } = tf.variableGrads(
        () => batchLoss(model, batch, steps, { readout: s.readout, beta: 0 }).loss,
        model.variables,
      );
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      value.dataSync();
      tf.dispose([value, ...Object.values(grads)]);
    };
    const opts = { n: 5, warmup: 1 };
    Deno.bench({
      name: `${backend}: ${s.name} EOS training iteration${via}`,
      group: `${backend} ${s.name} training`,
      baseline: true,
      ...opts,
      fn: () => iteration(s.T - 1),
    });
    Deno.bench({
      name: `${backend}: ${s.name} RC training iteration (t_sp = ${s.rcSteps})${via}`,
      group: `${backend} ${s.name} training`,
      ...opts,
      fn: () => iteration(s.rcSteps - 1),
    });
    Deno.bench({
      name: `${backend}: ${s.name} EOS inference, batch 128${via}`,
      group: `${backend} ${s.name} inference`,
      baseline: true,
      ...opts,
      fn: () => forward(model, batch, s.T, s.readout),
    });
    Deno.bench({
      name: `${backend}: ${s.name} RC inference to t_sp = ${s.rcSteps}, batch 128${via}`,
      group: `${backend} ${s.name} inference`,
      ...opts,
      fn: () => forward(model, batch, s.rcSteps, s.readout),
    });
  }
}
