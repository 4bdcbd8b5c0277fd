/**
 * Conformance: every path the chooser can return (lib/rc/paths.ts), for each model kind and
 * readout, RC and EOS, with and without clipping, equals the reference, tfjs autodiff on the cpu
 * backend (two passes: loss steps first, then the taped pass), in loss steps, loss, every gradient
 * and a few Adam steps. A new model or path joins with one row of MODELS or PATHS.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend.ts";
import "../../lib/accel/register.ts";
import type { SequenceBatch } from "../../lib/data/batch.ts";
import { ConvLstm } from "../../lib/models/conv_lstm.ts";
import { Lstm } from "../../lib/models/lstm.ts";
import type { RecurrentModel } from "../../lib/models/model.ts";
import { Rng } from "../../lib/random.ts";
import { choosePath, type PathName } from "../../lib/rc/paths.ts";
import type { Readout } from "../../lib/rc/spike.ts";
import { fit, lossAndGrads, type Method } from "../../lib/rc/train.ts";
import { assertClose, randomBatch } from "../accel/_engine.ts";
import { ignoreWebGpu, noBlasReason, noWebGpuReason, warmEngineKernels } from "../_backend.ts";

interface ModelRow {
  name: string;
  numInputs: number;
  readout: Readout;
  numOutputs: number;
  threshold: number;
  make(seed: number): RecurrentModel;
}

/** Model kinds and readouts. Readout layers are sharpened so spikes spread over the steps. */
const MODELS: ModelRow[] = [
  {
    name: "Lstm, binary",
    numInputs: 3,
    readout: "binary",
    numOutputs: 1,
    threshold: 0.6,
    make: (seed) => sharpen(new Lstm({ numInputs: 3, hiddenSize: 7, numOutputs: 1, seed })),
  },
  {
    name: "Lstm + hidden readout layer, softmax",
    numInputs: 3,
    readout: "softmax",
    numOutputs: 4,
    threshold: 0.45,
    make: (seed) =>
      sharpen(
        new Lstm({ numInputs: 3, hiddenSize: 7, readoutHidden: [5], numOutputs: 4, seed }),
      ),
  },
  {
    name: "Lstm op by op (no fused cell), sigmoid",
    numInputs: 3,
    readout: "sigmoid",
    numOutputs: 3,
    threshold: 0.7,
    make: (seed) =>
      sharpen(
        new Lstm({ numInputs: 3, hiddenSize: 7, numOutputs: 3, seed, fusedCell: false }),
      ),
  },
  {
    name: "ConvLstm 4x3, 2 channels, softmax",
    numInputs: 12,
    readout: "softmax",
    numOutputs: 3,
    threshold: 0.5,
    make: (seed) =>
      sharpen(
        new ConvLstm({
          height: 4,
          width: 3,
          hiddenChannels: 2,
          kernelSize: 3,
          numOutputs: 3,
          seed,
        }),
      ),
  },
];

interface PathRow {
  backend: "cpu" | "wasm" | "webgpu";
  path: PathName;
  /** fit()'s singlePass option on the tfjs path (cpu/wasm default to one taped pass). */
  singlePass?: boolean;
  /** Why the row cannot run on this machine, or null. */
  skip: string | null;
}

const PATHS: PathRow[] = [
  { backend: "cpu", path: "tfjs", singlePass: true, skip: null },
  { backend: "wasm", path: "tfjs", skip: null },
  { backend: "wasm", path: "cpu-engine", skip: noBlasReason },
  { backend: "webgpu", path: "tfjs", skip: noWebGpuReason },
  { backend: "webgpu", path: "webgpu-engine", skip: noWebGpuReason },
];
for (const p of PATHS) {
  if (p.skip) console.error(`conformance: ${p.path} on ${p.backend} skipped: ${p.skip}`);
}

function sharpen<M extends RecurrentModel>(model: M): M {
  const out = model.variables[model.variables.length - 2];
  tf.tidy(() => out.assign(tf.mul(out, 10)));
  return model;
}

const B = 19, T = 7;
const LR = 0.02;

function batchFor(row: ModelRow, k: number): SequenceBatch {
  return randomBatch(new Rng(100 + k), B, T, row.numInputs, row.numOutputs);
}

async function read(model: RecurrentModel): Promise<Float32Array[]> {
  return await Promise.all(model.variables.map(async (v) => await v.data() as Float32Array));
}

interface Outcome {
  steps: Int32Array | null;
  loss: number | null;
  grads: Float32Array[] | null;
  /** Weights after 3 Adam steps, and the mean loss fit() reports over them. */
  weights: Float32Array[];
  fitLoss: number;
  neededSteps: number;
  pathTaken: PathName;
}

async function run(
  row: ModelRow,
  method: Method,
  clipNorm: number | undefined,
  backend: string,
  path: PathName,
  singlePass?: boolean,
): Promise<Outcome> {
  await initBackend(backend as "cpu", { quiet: true });
  const before = tf.memory().numTensors;
  const model = row.make(7);
  const opts = { readout: row.readout, threshold: row.threshold, beta: 0.1, method };
  try {
    let steps: Int32Array | null = null, loss: number | null = null;
    let grads: Float32Array[] | null = null;
    if (path !== "webgpu-engine") { // its gradients stay on the GPU: compared through Adam below
      const r = await lossAndGrads(model, batchFor(row, 0), { ...opts, path, singlePass });
      steps = r.steps;
      loss = (await r.value.data())[0];
      grads = await Promise.all(model.variables.map(async (v) => await r.grads[v.name].data()))
        .then((g) => g as Float32Array[]);
      tf.dispose([r.value, ...Object.values(r.grads)]);
    }
    const fitted = await fit(model, {
      ...opts,
      learningRate: LR,
      numBatches: 3,
      trainBatch: (k) => batchFor(row, k),
      validation: batchFor(row, 9),
      validateEvery: 3,
      selectBy: "last",
      clipNorm,
      path,
      singlePass,
    });
    const weights = await read(model);
    return {
      steps,
      loss,
      grads,
      weights,
      fitLoss: fitted.curves[0].loss,
      neededSteps: fitted.compute.forwardStepsNeeded,
      pathTaken: fitted.path.name,
    };
  } finally {
    tf.dispose(model.variables);
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
  }
}

for (const row of MODELS) {
  for (const method of ["rc", "eos"] as const) {
    for (const clipNorm of [undefined, 0.002]) {
      const label = `${row.name}, ${method}${clipNorm ? `, clip ${clipNorm}` : ""}`;
      let reference: Outcome | null = null;
      for (const p of PATHS) {
        Deno.test({
          name: `conformance: ${p.path} on ${p.backend} = reference: ${label}`,
          // On a software adapter the webgpu rows run for RC only: EOS runs on webgpu in the
          // fit() tests of tests/rc/webgpu_models_test.ts (tfjs path) and gpu_fit_test.ts (engine).
          ignore: p.backend === "webgpu"
            ? ignoreWebGpu({ fullOnly: method === "eos" })
            : p.skip !== null,
          async fn() {
            if (p.path === "webgpu-engine") await warmEngineKernels();
            reference ??= await run(row, method, clipNorm, "cpu", "tfjs", false);
            await initBackend(p.backend, { quiet: true });
            const probe = row.make(1);
            let can: string | null = null;
            try {
              choosePath(probe, {
                purpose: "train",
                readout: row.readout,
                clipNorm,
                force: p.path,
              });
            } catch (e) {
              can = (e as Error).message;
            } finally {
              tf.dispose(probe.variables);
            }
            if (can) {
              // A path without a capability: the chooser must fall back, saying why.
              await initBackend(p.backend, { quiet: true });
              const m = row.make(1);
              const choice = choosePath(m, { purpose: "train", readout: row.readout, clipNorm });
              tf.dispose(m.variables);
              assert.notEqual(choice.name, p.path, `${p.path} chosen although it cannot: ${can}`);
              if (/clipping|cell|readout/.test(can)) {
                assert.ok(
                  choice.declined.some((d) => d.startsWith(p.path)),
                  `the fallback does not say why ${p.path} was declined: ${choice.reason}`,
                );
              }
              return;
            }
            const ours = await run(row, method, clipNorm, p.backend, p.path, p.singlePass);
            assert.equal(ours.pathTaken, p.path);
            const ref = reference!;
            if (ours.steps) assert.deepEqual([...ours.steps], [...ref.steps!], "loss steps");
            if (ours.loss !== null) assertClose([ours.loss], [ref.loss!], "loss");
            ours.grads?.forEach((g, k) => assertClose(g, ref.grads![k], `gradient ${k}`));
            assert.equal(ours.neededSteps, ref.neededSteps, "example-steps needed");
            assertClose([ours.fitLoss], [ref.fitLoss], "mean loss of the fit");
            ours.weights.forEach((w, k) => assertClose(w, ref.weights[k], `weights ${k}`));
            if (clipNorm !== undefined) {
              // Clipping must matter here, or the rows with it would prove nothing.
              const unclipped = await run(row, method, undefined, "cpu", "tfjs", false);
              const moved = unclipped.weights.some((w, k) =>
                w.some((x, i) => Math.abs(x - ref.weights[k][i]) > 1e-3 + 2e-3 * Math.abs(x))
              );
              assert.ok(moved, "clipping did not change the reference's weights");
            }
            if (method === "rc" && ref.steps) {
              assert.ok(new Set(ref.steps).size >= 2, `spikes should spread: ${[...ref.steps]}`);
            }
          },
        });
      }
    }
  }
}
