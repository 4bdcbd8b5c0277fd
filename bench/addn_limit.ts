/**
 * A minimal reproduction of a silent tfjs-webgpu fault (tfjs 4.22): `tf.addN` binds each input
 * as a storage buffer, and the device tfjs-webgpu requests keeps WebGPU's default of 8 storage
 * buffers per shader stage, so an addN of 8 or more tensors makes an invalid pipeline. WebGPU
 * then skips that dispatch and every other dispatch of the same submitted command buffer (up to
 * WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE = 15 ops), without an exception: tensors keep whatever their
 * pooled buffers held. Here a product encoded just before the sum is lost with it. Plain
 * tfjs-webgpu, without lib/backend.ts's split of AddN or its error watch. See bench/README.md.
 *
 *   deno run -A bench/addn_limit.ts
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";

if (!(await navigator.gpu?.requestAdapter())) {
  console.log("no WebGPU adapter: nothing to reproduce");
  Deno.exit(0);
}
await tf.setBackend("webgpu");
tf.env().set("WEBGPU_CPU_FORWARD", false); // every op on the GPU, so the batch is visible
const device = (tf.backend() as unknown as { device: GPUDevice }).device;
const errors: string[] = [];
device.addEventListener("uncapturederror", (e) => {
  errors.push((e as GPUUncapturedErrorEvent).error.message);
});
console.log(`maxStorageBuffersPerShaderStage: ${device.limits.maxStorageBuffersPerShaderStage}`);
for (const n of [7, 8]) {
  const xs = Array.from({ length: n }, (_, k) => tf.fill([4], k + 1));
  const product = tf.mul(tf.fill([4], 3), tf.fill([4], 4)); // encoded in the same batch as the sum
  const sum = tf.addN(xs);
  const [s, p] = [await sum.data(), await product.data()];
  await new Promise((resolve) => setTimeout(resolve, 50)); // lets the device deliver its events
  console.log(
    `addN of ${n}: ${s[0]} (expected ${(n * (n + 1)) / 2}); 3 × 4 in the same batch: ${p[0]} ` +
      `(expected 12); WebGPU errors: ${errors.length ? errors.splice(0).join(" | ") : "none"}`,
  );
  tf.dispose([...xs, product, sum]);
}
