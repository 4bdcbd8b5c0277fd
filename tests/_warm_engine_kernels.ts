/**
 * `deno run tests/_warm_engine_kernels.ts KERNEL...`: dispatches each named WebGPU engine kernel
 * once, through the engine's own dispatcher (its bind group layout, so the shader compiled is the
 * engine's), with all-zero parameters over a one-step engine's buffers, and exits when the GPU is
 * done. On llvmpipe a kernel is compiled at its first dispatch and the result lands in Mesa's shader
 * cache, where the tests' engines find it. Run by `warmEngineKernels` (tests/_backend.ts), two at
 * once, as processes: two worker threads doing the same crashed their process (a segfault) once.
 * @module
 */
import { EngineBuffers } from "../lib/accel/gpu/buffers.ts";
import { Dispatcher } from "../lib/accel/gpu/dispatcher.ts";
import { type Kernel, KERNELS } from "../lib/accel/gpu/kernels/mod.ts";
import { Layout } from "../lib/accel/gpu/layout.ts";

if (import.meta.main) {
  const kernels = Deno.args as Kernel[];
  const unknown = kernels.filter((k) => !(k in KERNELS));
  if (unknown.length > 0) throw new Error(`no engine kernel named ${unknown.join(", ")}`);
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error("no WebGPU adapter");
  const device = await adapter.requestDevice();
  const shape = { numInputs: 1, hiddenSize: 1, readoutHidden: [], numOutputs: 1 };
  const dispatcher = new Dispatcher(
    device,
    new EngineBuffers(device, new Layout(shape, 1, 1)),
    kernels.length,
    [],
  );
  // One submit per kernel: each is compiled (and cached) before the next.
  kernels.forEach((kernel, k) => dispatcher.submit([{ kernel, u: [], groups: [1] }], k));
  await device.queue.onSubmittedWorkDone();
  device.destroy();
}
