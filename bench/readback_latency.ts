/**
 * A minimal reproduction of Deno's WebGPU readback floor: `mapAsync` on a 4-byte buffer after a
 * trivial copy, and `queue.onSubmittedWorkDone()`, each timed 30 times on whatever adapter Deno
 * finds. Both take ~10-11 ms however little the GPU does, because Deno's op (ext/webgpu/buffer.rs
 * `map_async`, queue.rs `on_submitted_work_done`, Deno 2.x) joins two futures: one polls the
 * device (`device_poll(wait_indefinitely)`), then sleeps 10 ms before it looks at a "done" flag
 * that only the other future sets once the map callback has fired; `try_join!` waits for both,
 * so every readback pays the full 10 ms sleep after the GPU is already done. See bench/README.md.
 *
 *   deno run -A bench/readback_latency.ts
 * @module
 */
const adapter = await navigator.gpu?.requestAdapter();
if (!adapter) {
  console.log("no WebGPU adapter: nothing to measure");
  Deno.exit(0);
}
const device = await adapter.requestDevice();
const src = device.createBuffer({
  size: 4,
  usage: GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
});
const dst = device.createBuffer({
  size: 4,
  usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const mapTimes: number[] = [];
const doneTimes: number[] = [];
for (let i = 0; i < 31; i++) {
  device.queue.writeBuffer(src, 0, new Uint32Array([i]));
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(src, 0, dst, 0, 4);
  device.queue.submit([encoder.finish()]);
  let began = performance.now();
  await dst.mapAsync(GPUMapMode.READ);
  const value = new Uint32Array(dst.getMappedRange())[0];
  dst.unmap();
  if (value !== i) throw new Error(`read ${value}, wrote ${i}`);
  if (i > 0) mapTimes.push(performance.now() - began); // the first includes pipeline set-up
  device.queue.submit([]);
  began = performance.now();
  await device.queue.onSubmittedWorkDone();
  if (i > 0) doneTimes.push(performance.now() - began);
}
const info = (adapter as unknown as { info?: { description?: string } }).info;
console.log(`adapter: ${info?.description ?? "?"}; Deno ${Deno.version.deno}`);
console.log(
  `mapAsync of 4 bytes after a copy: median ${median(mapTimes).toFixed(2)} ms, min ${
    Math.min(...mapTimes).toFixed(2)
  } ms (30 trials)`,
);
console.log(
  `onSubmittedWorkDone after an empty submit: median ${median(doneTimes).toFixed(2)} ms, min ${
    Math.min(...doneTimes).toFixed(2)
  } ms`,
);
device.destroy();
