/** Test helpers: the cpu backend for exact, fast tests, and a WebGPU probe for the GPU group. */
import * as tf from "@tensorflow/tfjs";
import { describeAdapter, initBackend } from "../lib/backend.ts";
import { openBlas } from "../lib/ops/blas.ts";

/** Switches tfjs to the cpu backend (tests share one process, so each test sets its own). */
export async function useCpu(): Promise<void> {
  await initBackend("cpu", { quiet: true });
  if (tf.getBackend() !== "cpu") throw new Error("could not switch to the cpu backend");
}

/** Why the webgpu group is skipped here, or null when an adapter exists. */
export const noWebGpuReason: string | null = await (async () => {
  try {
    return (await describeAdapter()) ? null : "no WebGPU adapter on this machine";
  } catch (e) {
    return `WebGPU unavailable: ${(e as Error).message}`;
  }
})();
if (noWebGpuReason) console.error(`webgpu tests skipped: ${noWebGpuReason}`);

/**
 * Why the CPU engine's tests are skipped here (it needs OpenBLAS through FFI), or null. Probed
 * without switching the backend, so importing this module leaves tfjs as it was.
 */
export const noBlasReason: string | null = (() => {
  const opened = openBlas();
  return opened.sgemm ? null : `no BLAS here (the CPU engine needs OpenBLAS): ${opened.why}`;
})();
if (noBlasReason) console.error(`CPU-engine tests skipped: ${noBlasReason}`);
