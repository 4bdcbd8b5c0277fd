/**
 * lib/accel's accelerators, registered with the path chooser (lib/rc/accelerators.ts) when this
 * module is imported: mod.ts, the tasks and the benchmarks import it for that side effect. Without
 * it, every model runs on the tfjs reference path.
 *
 * - `cpu-engine`: an `Lstm` with its fused cell on wasm with BLAS (lib/accel/cpu_engine.ts), with
 *   the SIMD Adam of lib/accel/cpu_trainer.ts in fit() unless that is turned off;
 * - `webgpu-engine`: an `Lstm` on webgpu (lib/accel/gpu_fit.ts over lib/accel/gpu_engine.ts); its
 *   gradients live on the GPU inside its trainer, so `lossAndGrads` takes the tfjs path there.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Lstm } from "../models/lstm.ts";
import type { RecurrentModel } from "../models/model.ts";
import { registerAccelerator } from "../rc/accelerators.ts";
import { engineModel, nativeAvailable, nativeLossAndGrads, nativeTraces } from "./cpu_engine.ts";
import { cpuRunner, cpuTrainerEnabled } from "./cpu_trainer.ts";
import { gpuEngineAvailable, gpuEngineModel, gpuRunner, gpuTraces } from "./gpu_fit.ts";

/** The readouts the LSTM engines implement (the tfjs reference runs every one). */
const ENGINE_READOUTS = ["binary", "sigmoid", "softmax"] as const;

/** `model` as the `Lstm` the engines run (their `runs` has accepted it before any hook is called). */
function lstmOf(model: RecurrentModel, path: string): Lstm {
  if (model instanceof Lstm) return model;
  throw new Error(`${path}: runs an Lstm only: got ${model.name}`);
}

registerAccelerator({
  name: "cpu-engine",
  runs: (model) =>
    !(model instanceof Lstm)
      ? `${model.name} is not an Lstm`
      : !nativeAvailable()
      ? tf.getBackend() !== "wasm" ? "backend is not wasm" : "off, or no BLAS or SIMD cell here"
      : engineModel(model)
      ? null
      : "the Lstm has no fused cell",
  readouts: ENGINE_READOUTS,
  purposes: ["train", "gradients", "infer"],
  clipping: true,
  halting: "skip",
  hiddenTraces: false,
  traces: (model, batch, opts) => nativeTraces(lstmOf(model, "cpu-engine"), batch, opts),
  lossAndGrads: (model, batch, opts) =>
    nativeLossAndGrads(lstmOf(model, "cpu-engine"), batch, opts),
  // With the trainer off: tfjs's Adam over this engine's gradients.
  trainer: (model, opts, path) =>
    cpuTrainerEnabled() ? cpuRunner(lstmOf(model, "cpu-engine"), opts, path) : null,
});

registerAccelerator({
  name: "webgpu-engine",
  runs: (model) =>
    !(model instanceof Lstm)
      ? `${model.name} is not an Lstm`
      : !gpuEngineAvailable()
      ? tf.getBackend() !== "webgpu" ? "backend is not webgpu" : "turned off"
      : gpuEngineModel(model)
      ? null
      : "not available",
  readouts: ENGINE_READOUTS,
  purposes: ["train", "infer"],
  clipping: true,
  halting: "mask",
  hiddenTraces: false,
  traces: (model, batch, opts) => gpuTraces(lstmOf(model, "webgpu-engine"), batch, opts),
  trainer: (model, opts, path) => gpuRunner(lstmOf(model, "webgpu-engine"), opts, path),
});
