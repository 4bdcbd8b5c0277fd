/**
 * Guards for tfjs-webgpu, installed by `initBackend("webgpu")`: AddN split to the device's
 * storage-buffer limit, and WebGPU's device errors recorded so that training fails loudly on one
 * (`assertNoGpuErrors`) instead of leaving wrong numbers. Why: bench/README.md, "tfjs-webgpu's
 * AddN with 8 or more inputs drops a whole batch of ops, silently".
 * @module
 */
import * as tf from "@tensorflow/tfjs";

let addNSplit = false;

/**
 * tfjs-webgpu's AddN binds every input as a storage buffer, and its device keeps WebGPU's
 * default of 8 storage buffers per shader stage: with 8 or more inputs (7 plus the output) the
 * pipeline is invalid, and WebGPU drops the whole submitted batch of up to 15 dispatches without
 * an exception. Found as the LIF network's global gradient norm (8 variables) wiping its Adam
 * updates on webgpu. Split here into left-to-right chunks (the sum's order is the one-pass
 * kernel's).
 */
export function splitAddNOnWebgpu(): void {
  if (addNSplit) return;
  const original = tf.getKernel("AddN", "webgpu");
  if (!original) return;
  addNSplit = true;
  const run = original.kernelFunc;
  tf.unregisterKernel("AddN", "webgpu");
  tf.registerKernel({
    kernelName: "AddN",
    backendName: "webgpu",
    kernelFunc: ((args: {
      inputs: tf.TensorInfo[];
      backend: { device: GPUDevice; disposeData(dataId: object): void };
    }) => {
      const { inputs, backend } = args;
      const most = backend.device.limits.maxStorageBuffersPerShaderStage - 1;
      if (inputs.length <= most) return run(args as never);
      let sum = run({ ...args, inputs: inputs.slice(0, most) } as never) as tf.TensorInfo;
      for (let k = most; k < inputs.length; k += most - 1) {
        const next = run(
          { ...args, inputs: [sum, ...inputs.slice(k, k + most - 1)] } as never,
        ) as tf.TensorInfo;
        backend.disposeData(sum.dataId);
        sum = next;
      }
      return sum;
    }) as unknown as tf.KernelFunc,
  });
}

let watchedDevice: GPUDevice | null = null;
const gpuErrors: string[] = [];

/**
 * WebGPU reports a validation or out-of-memory error only as an event on its device, and the
 * work it invalidates is silently skipped: tensors keep whatever their buffers held. Every such
 * error on the webgpu backend's device is recorded here, for {@link assertNoGpuErrors}.
 */
export function watchGpuErrors(): void {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (!device || device === watchedDevice) return;
  watchedDevice = device;
  device.addEventListener("uncapturederror", (event) => {
    const message = (event as GPUUncapturedErrorEvent).error.message;
    if (gpuErrors.length === 0) console.error(`WebGPU error: ${message}`);
    gpuErrors.push(message);
  });
}

/**
 * Throws when the webgpu backend's device has reported an error since the last call (and
 * forgets them): the GPU skipped the work those errors invalidated, so the numbers computed
 * since are wrong. Call it after awaiting a result, once the device has delivered its events.
 * @example
 * ```ts ignore
 * await loss.data();
 * assertNoGpuErrors("training batch 200");
 * ```
 */
export function assertNoGpuErrors(where: string): void {
  if (gpuErrors.length === 0) return;
  const errors = gpuErrors.splice(0);
  throw new Error(
    `WebGPU reported ${errors.length} error(s) by ${where}, so the GPU skipped work and the ` +
      `numbers since the last check are wrong. First: ${errors[0]}. Please report this with ` +
      "the command you ran (bench/README.md lists the known tfjs-webgpu limits); meanwhile use " +
      "--backend wasm.",
  );
}
