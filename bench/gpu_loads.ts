/**
 * GPU microseconds per dispatch of a kernel whose threads each make 64 loads from a storage buffer
 * (64 workgroups of 256; read-write and read-only bindings; a plain loop of loads, and 16 rounds
 * staged through workgroup memory), 100 dispatches in one pass timed by timestamp queries. It showed
 * why the GPU engine issues its loads together (bench/README.md).
 *
 *   deno run -A bench/gpu_loads.ts
 * @module
 */
const adapter = await navigator.gpu?.requestAdapter({ powerPreference: "high-performance" });
if (!adapter?.features.has("timestamp-query")) {
  console.error("bench/gpu_loads.ts: needs a WebGPU adapter with timestamp queries");
  Deno.exit(1);
}
const device = await adapter.requestDevice({ requiredFeatures: ["timestamp-query"] });
console.log(adapter.info.description);
const N = 1 << 24;
const big = device.createBuffer({ size: N * 4, usage: GPUBufferUsage.STORAGE });
const out = device.createBuffer({ size: 1 << 20, usage: GPUBufferUsage.STORAGE });
async function time(access: string, body: string, groups = 64) {
  const code = `
@group(0) @binding(0) var<storage, ${access}> m: array<f32>;
@group(0) @binding(1) var<storage, read_write> o: array<f32>;
var<workgroup> ta: array<f32, 1024>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  var acc = 0.0;
  ${body}
  o[wg.x * 256u + li] = acc;
}`;
  const module = device.createShaderModule({ code });
  const pipeline = device.createComputePipeline({
    layout: "auto",
    compute: { module, entryPoint: "main" },
  });
  const bg = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [{ binding: 0, resource: { buffer: big } }, { binding: 1, resource: { buffer: out } }],
  });
  const qs = device.createQuerySet({ type: "timestamp", count: 2 });
  const res = device.createBuffer({
    size: 16,
    usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
  });
  const st = device.createBuffer({
    size: 16,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const enc = device.createCommandEncoder();
    const pass = enc.beginComputePass({
      timestampWrites: { querySet: qs, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 },
    });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bg);
    for (let i = 0; i < 100; i++) pass.dispatchWorkgroups(groups);
    pass.end();
    enc.resolveQuerySet(qs, 0, 2, res, 0);
    enc.copyBufferToBuffer(res, 0, st, 0, 16);
    device.queue.submit([enc.finish()]);
    await st.mapAsync(GPUMapMode.READ);
    const t = new BigUint64Array(st.getMappedRange());
    best = Math.min(best, Number(t[1] - t[0]) / 1e3 / 100);
    st.unmap();
  }
  return best;
}
const loads = `for (var q = 0u; q < 64u; q++) { acc += m[wg.x * 256u + li + 16384u * q]; }`;
const shared = `for (var r = 0u; r < 16u; r++) {
    for (var q = 0u; q < 4u; q++) { ta[li + 256u * q] = m[wg.x * 256u + li + 16384u * (4u * r + q)]; }
    workgroupBarrier();
    for (var k = 0u; k < 64u; k++) { acc += ta[(li + k) % 1024u]; }
    workgroupBarrier();
  }`;
for (const [name, body] of [["empty", ""], ["64 loads", loads], ["16 rounds shared", shared]]) {
  for (const access of ["read_write", "read"]) {
    console.log(`${name} ${access}: ${(await time(access, body)).toFixed(2)} us per dispatch`);
  }
}
console.log(`empty, 1 workgroup: ${(await time("read", "", 1)).toFixed(2)} us`);
