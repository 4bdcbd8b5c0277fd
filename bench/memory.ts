/**
 * Memory through training: a toy LSTM trained with fit() for several "epochs" (rounds of batches)
 * on one backend, printing after each the live tfjs tensors and their bytes (GPU buffers on
 * webgpu), tfjs-webgpu's buffer pool where present, the wasm heap and the CPU engine's memory,
 * and the process's RSS. Flat
 * numbers after the first epoch mean no leak.
 *
 *   deno run -A bench/memory.ts [--backend auto|wasm|webgpu|cpu] [--epochs 5] [--batches 20]
 * @module
 */
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { type BackendName, initBackend } from "../lib/backend.ts";
import "../lib/accel/register.ts"; // the accelerators the path chooser picks from
import { twoSequenceBatch } from "../lib/data/toy.ts";
import { Lstm } from "../lib/models/lstm.ts";
import { instance, wasmCellAvailable } from "../lib/ops/lstm_cell_wasm.ts";
import { Rng } from "../lib/random.ts";
import { fit } from "../lib/rc/train.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    backend: { type: "string", default: "auto" },
    epochs: { type: "string", default: "5" },
    batches: { type: "string", default: "20" },
  },
});
const info = await initBackend(values.backend as BackendName);
const rng = new Rng(1);
const model = new Lstm({ numInputs: 1, hiddenSize: 32, numOutputs: 1, seed: 1 });
const validation = twoSequenceBatch(new Rng(2), 256);
const MiB = (n: number) => (n / 2 ** 20).toFixed(1);
const KiB = (n: number) => (n / 2 ** 10).toFixed(1);
for (let epoch = 1; epoch <= Number(values.epochs); epoch++) {
  for (const method of ["rc", "eos"] as const) {
    await fit(model, {
      method,
      readout: "binary",
      threshold: 0.9,
      beta: 0,
      learningRate: 1e-3,
      numBatches: Number(values.batches),
      trainBatch: () => twoSequenceBatch(rng, 64),
      validation,
      validateEvery: Number(values.batches),
    });
  }
  const mem = tf.memory() as tf.MemoryInfo & {
    numBytesInGPU?: number;
    numBytesAllocatedInGPU?: number;
  };
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } };
  const pool = mem.numBytesInGPU !== undefined
    ? `, GPU buffers in use ${KiB(mem.numBytesInGPU)} KiB, allocated (pool included) ${
      KiB(mem.numBytesAllocatedInGPU ?? 0)
    } KiB`
    : "";
  const heap = backend.wasm
    ? `, wasm heap ${MiB(backend.wasm.HEAPU8.byteLength)} MiB` +
      (wasmCellAvailable()
        ? `, cell/engine memory ${MiB(instance().memory.buffer.byteLength)} MiB`
        : "")
    : "";
  console.log(
    `${info.backend} epoch ${epoch}: ${mem.numTensors} live tensors, ${KiB(mem.numBytes)} KiB in ` +
      `tensors${pool}${heap}, RSS ${MiB(Deno.memoryUsage().rss)} MiB`,
  );
}
