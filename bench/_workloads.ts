/**
 * The speed issue's workloads, shared by the bench scripts: toy (the 2-sequence LSTM), W (keyword
 * spotting shapes) and M (MNIST shapes), batch 128, with a seeded random batch and model.
 * @module
 */
import type { SequenceBatch } from "../lib/data/batch.ts";
import { Lstm } from "../lib/models/lstm.ts";
import { Rng } from "../lib/random.ts";

export const WORKLOADS = {
  toy: { F: 1, H: 125, hidden: [] as number[], O: 1, T: 40, readout: "binary" as const },
  W: { F: 20, H: 128, hidden: [32], O: 11, T: 81, readout: "softmax" as const },
  M: { F: 784, H: 340, hidden: [] as number[], O: 10, T: 10, readout: "softmax" as const },
};
export type WorkloadName = keyof typeof WORKLOADS;
export const BATCH = 128;

/** A batch of normal inputs and random labels for `name` (seed 1). */
export function workloadBatch(name: WorkloadName): SequenceBatch {
  const w = WORKLOADS[name];
  const rng = new Rng(1);
  return {
    x: Float32Array.from({ length: w.T * BATCH * w.F }, () => rng.normal()),
    y: Int32Array.from({ length: BATCH }, () => rng.int(w.O === 1 ? 2 : w.O)),
    numSteps: w.T,
    batchSize: BATCH,
    numFeatures: w.F,
  };
}

/** The workload's LSTM (seed 1). */
export function workloadModel(name: WorkloadName, fusedCell = true): Lstm {
  const w = WORKLOADS[name];
  return new Lstm({
    numInputs: w.F,
    hiddenSize: w.H,
    readoutHidden: w.hidden,
    numOutputs: w.O,
    seed: 1,
    fusedCell,
  });
}

/**
 * The WebGPU adapter and a device with its largest storage buffers (and `timestamp-query` when
 * `timing` and the adapter has it), or exit 1 naming `script` where Deno finds no adapter.
 */
export async function benchDevice(script: string, timing = false) {
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) {
    console.error(`${script}: Deno found no WebGPU adapter (install a Vulkan or GL driver).`);
    Deno.exit(1);
  }
  const timed = timing && adapter.features.has("timestamp-query");
  const device = await adapter.requestDevice({
    requiredFeatures: timed ? ["timestamp-query"] : [],
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  const adapterInfo = {
    description: adapter.info.description,
    vendor: adapter.info.vendor,
    architecture: adapter.info.architecture,
    isFallbackAdapter: (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter ??
      false,
  };
  return { device, adapterInfo, timing: timed };
}
