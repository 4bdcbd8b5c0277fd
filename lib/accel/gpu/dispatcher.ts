/**
 * Runs lists of dispatches: compiles the kernels (once per device), writes each dispatch's
 * parameters into a uniform slot of 256 bytes (bound with a dynamic offset), and encodes the list
 * into one compute pass, or with timing one pass per phase with timestamps at its ends.
 * @module
 */
import type { EngineBuffers } from "./buffers.ts";
import { type Kernel, KERNELS, PHASES, WRITES_ARGS } from "./kernels/mod.ts";

const SLOT = 256; // bytes per uniform slot (minUniformBufferOffsetAlignment is at most 256)
const SLOT_U32 = SLOT / 4;

/** One dispatch of a kernel: its parameters (u32 slots `pu(i)` and floats `p.f`) and size. */
export interface Dispatch {
  kernel: Kernel;
  u: number[];
  f?: number[];
  groups: [number, number?, number?];
  /** What part of the iteration it belongs to (for `timing`); default: the kernel's `PHASES`. */
  phase?: string;
  /** Dispatched with the workgroup counts the GPU wrote at this triple of `args`. */
  indirect?: number;
}

/** Per device: the bind group layout and the kernels compiled so far (every engine shares them). */
const perDevice = new WeakMap<GPUDevice, {
  layout: GPUBindGroupLayout;
  pipelineLayout: GPUPipelineLayout;
  pipelines: Map<Kernel, GPUComputePipeline>;
}>();

function compiled(device: GPUDevice) {
  let entry = perDevice.get(device);
  if (!entry) {
    const layout = device.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: "storage" } },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: "storage" } },
        {
          binding: 2,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: "uniform", hasDynamicOffset: true, minBindingSize: SLOT },
        },
        { binding: 3, visibility: GPUShaderStage.COMPUTE, buffer: { type: "storage" } },
      ],
    });
    const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
    entry = { layout, pipelineLayout, pipelines: new Map() };
    perDevice.set(device, entry);
  }
  return entry;
}

/** Timestamps of a submitted list, waiting to be read. */
interface PendingTiming {
  staging: GPUBuffer;
  resolved: GPUBuffer;
  querySet: GPUQuerySet;
  phases: string[];
}

/** Encodes and submits one engine's dispatch lists over its buffers. */
export class Dispatcher {
  /** Uniform slots: the most dispatches one iteration may encode. */
  readonly slots: number;
  /** Workgroups of the direct dispatches since the caller last reset it. */
  directWorkgroups = 0;
  /** Slots used by the last `submit` (the dispatches of its list and of those before it). */
  lastDispatches = 0;
  private device: GPUDevice;
  private buffers: EngineBuffers;
  private uniforms: GPUBuffer;
  private pipelines: Map<Kernel, GPUComputePipeline>;
  private pipelineLayout: GPUPipelineLayout;
  private bindGroup: GPUBindGroup;
  /** The bind group of the kernels that write `args` (the others must not bind it as storage). */
  private argsBindGroup: GPUBindGroup;
  private timing: { pending: PendingTiming[] } | null = null;

  /** Compiles `eager` now; the other kernels on first use. */
  constructor(device: GPUDevice, buffers: EngineBuffers, slots: number, eager: Kernel[]) {
    this.device = device;
    this.buffers = buffers;
    this.slots = slots;
    this.uniforms = device.createBuffer({
      size: slots * SLOT,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    const shared = compiled(device);
    this.pipelineLayout = shared.pipelineLayout;
    this.pipelines = shared.pipelines;
    const group = (args: GPUBuffer) =>
      device.createBindGroup({
        layout: shared.layout,
        entries: [
          { binding: 0, resource: { buffer: buffers.storage } },
          { binding: 1, resource: { buffer: buffers.ctl } },
          { binding: 2, resource: { buffer: this.uniforms, size: SLOT } },
          { binding: 3, resource: { buffer: args } },
        ],
      });
    this.bindGroup = group(buffers.dummy);
    this.argsBindGroup = group(buffers.args);
    for (const kernel of eager) this.pipeline(kernel);
  }

  /** Bytes of the uniform buffer. */
  get bytes(): number {
    return this.slots * SLOT;
  }

  /** The compute pipeline of `kernel` (compiled on first use, shared by the device's engines). */
  private pipeline(kernel: Kernel): GPUComputePipeline {
    let pipeline = this.pipelines.get(kernel);
    if (!pipeline) {
      const module = this.device.createShaderModule({
        code: KERNELS[kernel](),
        label: `gpu_engine ${kernel}`,
      });
      pipeline = this.device.createComputePipeline({
        layout: this.pipelineLayout,
        compute: { module, entryPoint: "main" },
        label: `gpu_engine ${kernel}`,
      });
      this.pipelines.set(kernel, pipeline);
    }
    return pipeline;
  }

  /**
   * Writes the dispatches' parameters from uniform slot `from` on, encodes, submits. Returns the
   * next free slot (a list submitted before the first's results are read must not reuse its slots).
   */
  submit(list: Dispatch[], from: number): number {
    if (from + list.length > this.slots) {
      throw new Error(
        `gpu_engine: ${from + list.length} dispatches, room for ${this.slots}`,
      );
    }
    const data = new ArrayBuffer(list.length * SLOT);
    const u32 = new Uint32Array(data);
    const f32 = new Float32Array(data);
    list.forEach((d, k) => {
      u32.set(d.u, k * SLOT_U32);
      if (d.f) f32.set(d.f, k * SLOT_U32 + 20);
    });
    this.device.queue.writeBuffer(this.uniforms, from * SLOT, data);
    const encoder = this.device.createCommandEncoder();
    const runs = this.passes(list);
    const timing = this.timing;
    const querySet = timing
      ? this.device.createQuerySet({ type: "timestamp", count: 2 * runs.length })
      : null;
    runs.forEach((run, r) => {
      const pass = encoder.beginComputePass(
        querySet
          ? {
            timestampWrites: {
              querySet,
              beginningOfPassWriteIndex: 2 * r,
              endOfPassWriteIndex: 2 * r + 1,
            },
          }
          : {},
      );
      let current: Kernel | null = null;
      for (const [d, k] of run.list) {
        if (d.kernel !== current) {
          pass.setPipeline(this.pipeline(d.kernel));
          current = d.kernel;
        }
        const group = WRITES_ARGS.has(d.kernel) ? this.argsBindGroup : this.bindGroup;
        pass.setBindGroup(0, group, [(from + k) * SLOT]);
        if (d.indirect !== undefined) {
          pass.dispatchWorkgroupsIndirect(this.buffers.args, d.indirect * 12);
        } else {
          pass.dispatchWorkgroups(d.groups[0], d.groups[1] ?? 1, d.groups[2] ?? 1);
          this.directWorkgroups += d.groups[0] * (d.groups[1] ?? 1) * (d.groups[2] ?? 1);
        }
      }
      pass.end();
    });
    if (querySet) {
      const bytes = 16 * runs.length;
      const resolved = this.device.createBuffer({
        size: bytes,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      });
      const staging = this.device.createBuffer({
        size: bytes,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      encoder.resolveQuerySet(querySet, 0, 2 * runs.length, resolved, 0);
      encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
      timing!.pending.push({ staging, resolved, querySet, phases: runs.map((r) => r.phase) });
    }
    this.device.queue.submit([encoder.finish()]);
    this.lastDispatches = from + list.length;
    return from + list.length;
  }

  /**
   * The list's compute passes, each dispatch with its index in the list: one pass, or with timing
   * one per run of dispatches of the same phase.
   */
  private passes(list: Dispatch[]): { phase: string; list: [Dispatch, number][] }[] {
    const runs: { phase: string; list: [Dispatch, number][] }[] = [];
    list.forEach((d, k) => {
      const phase = d.phase ?? PHASES[d.kernel];
      if (this.timing && runs.length && runs[runs.length - 1].phase === phase) {
        runs[runs.length - 1].list.push([d, k]);
      } else if (this.timing || !runs.length) {
        runs.push({ phase, list: [[d, k]] });
      } else {
        runs[0].list.push([d, k]);
      }
    });
    return runs;
  }

  /**
   * GPU time per phase of every list submitted from now on, read with `readTiming` (needs a device
   * made with the "timestamp-query" feature). Each phase then runs in its own compute pass.
   */
  enableTiming(on = true): void {
    if (!on) {
      this.timing = null;
      return;
    }
    if (!this.device.features.has("timestamp-query")) {
      throw new Error(
        'gpu_engine: timing needs a device requested with requiredFeatures: ["timestamp-query"]',
      );
    }
    this.timing = { pending: [] };
  }

  /** GPU milliseconds per phase, summed over the lists submitted since the last call. */
  async readTiming(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const p of this.timing?.pending ?? []) {
      await p.staging.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(p.staging.getMappedRange());
      p.phases.forEach((phase, r) => {
        out[phase] = (out[phase] ?? 0) + Number(t[2 * r + 1] - t[2 * r]) / 1e6;
      });
      p.staging.destroy();
      p.resolved.destroy();
      p.querySet.destroy();
    }
    if (this.timing) this.timing.pending = [];
    return out;
  }

  destroy(): void {
    this.uniforms.destroy();
  }
}
