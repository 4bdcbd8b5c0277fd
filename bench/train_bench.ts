/**
 * One training iteration (forward + backward + Adam) RC against EOS, and RC-inference, per
 * backend, for the paper's LSTM shapes:
 * - toy: LSTM 1-125-1, T = 40, batch 128 (2-sequence protocol); RC at t_sp = 14 for every
 *   example (the paper's mean first spike), i.e. a halting forward pass over 14 steps plus the
 *   taped pass from there;
 * - W: LSTM 20-128 + 32 + 11 over 81 steps (keyword spotting); M: LSTM 784-340-10 over 10 steps.
 * Backends: `RC_BENCH_BACKENDS` (comma-separated), default wasm, plus webgpu when the adapter is
 * a hardware one.
 */
import * as tf from "@tensorflow/tfjs";
import { type BackendName, describeAdapter, initBackend } from "../lib/backend.ts";
import { selectRows, type SequenceBatch } from "../lib/data/toy.ts";
import { Lstm } from "../lib/models/lstm.ts";
import { Rng } from "../lib/random.ts";
import { traceBatch } from "../lib/rc/infer.ts";
import { batchLoss } from "../lib/rc/train.ts";

const adapter = await describeAdapter().catch(() => null);
const backends = (Deno.env.get("RC_BENCH_BACKENDS") ??
  (adapter && !adapter.isFallbackAdapter ? "wasm,webgpu" : "wasm")).split(",") as BackendName[];

function randomBatch(rng: Rng, T: number, B: number, F: number, classes: number): SequenceBatch {
  const x = Float32Array.from({ length: T * B * F }, () => rng.normal());
  const y = Int32Array.from({ length: B }, () => rng.int(classes));
  return { x, y, numSteps: T, batchSize: B, numFeatures: F };
}

/** The first `n` steps of a batch. */
function firstSteps(batch: SequenceBatch, n: number): SequenceBatch {
  const { batchSize: B, numFeatures: F } = batch;
  return { ...batch, x: batch.x.slice(0, n * B * F), numSteps: n };
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

for (const backend of backends) {
  for (const s of SHAPES) {
    let model: Lstm | null = null;
    let optimizer: tf.Optimizer | null = null;
    const batch = randomBatch(new Rng(1), s.T, 128, s.F, s.O);
    const setup = async () => {
      await initBackend(backend, { quiet: true });
      if (!model) {
        model = new Lstm({
          numInputs: s.F,
          hiddenSize: s.H,
          readoutHidden: s.readoutHidden,
          numOutputs: s.O,
          seed: 1,
        });
        optimizer = tf.train.adam(1e-3);
      }
      return { model, optimizer: optimizer! };
    };
    const iteration = async (steps: Int32Array, spikePassSteps: number) => {
      const { model, optimizer } = await setup();
      if (spikePassSteps > 0) {
        await traceBatch(model, firstSteps(batch, spikePassSteps), { readout: s.readout });
      }
      const { value, grads } = tf.variableGrads(
        () => batchLoss(model, batch, steps, { readout: s.readout, beta: 0 }).loss,
        model.variables,
      );
      optimizer.applyGradients(Object.entries(grads).map(([name, tensor]) => ({ name, tensor })));
      await value.data();
      tf.dispose([value, ...Object.values(grads)]);
    };
    const opts = { n: 5, warmup: 1 };
    Deno.bench({
      name: `${backend}: ${s.name} EOS training iteration`,
      group: `${backend} ${s.name} training`,
      baseline: true,
      ...opts,
      fn: () => iteration(new Int32Array(128).fill(s.T - 1), 0),
    });
    Deno.bench({
      name: `${backend}: ${s.name} RC training iteration (t_sp = ${s.rcSteps})`,
      group: `${backend} ${s.name} training`,
      ...opts,
      fn: () => iteration(new Int32Array(128).fill(s.rcSteps - 1), s.rcSteps),
    });
    Deno.bench({
      name: `${backend}: ${s.name} EOS inference, batch 128`,
      group: `${backend} ${s.name} inference`,
      baseline: true,
      ...opts,
      fn: async () => {
        const { model } = await setup();
        await traceBatch(model, batch, { readout: s.readout });
      },
    });
    Deno.bench({
      name: `${backend}: ${s.name} RC inference to t_sp = ${s.rcSteps}, batch 128`,
      group: `${backend} ${s.name} inference`,
      ...opts,
      fn: async () => {
        const { model } = await setup();
        await traceBatch(model, selectRows(firstSteps(batch, s.rcSteps), [...Array(128).keys()]), {
          readout: s.readout,
        });
      },
    });
  }
}
