/**
 * The engine's GPU memory: one storage buffer with everything of the `Layout` (offsets in floats),
 * the atomics, and the workgroup counts of the indirect dispatches; writes and readbacks.
 * @module
 */
import type { Layout } from "./layout.ts";

/**
 * Bytes of the atomics: the latest loss step + 1, the example-steps needed, the non-finite steps,
 * the first of them + 1, and the workgroups of the indirect dispatches.
 */
const CTL_BYTES = 32;

/** Values to write into the storage buffer. */
export type Values = Float32Array<ArrayBuffer> | Int32Array<ArrayBuffer> | Uint32Array<ArrayBuffer>;

/** The buffers of one engine. */
export class EngineBuffers {
  readonly device: GPUDevice;
  /** Everything of the layout (binding 0 of every kernel, `m`). */
  readonly storage: GPUBuffer;
  /** The atomics (binding 1, `ctl`). */
  readonly ctl: GPUBuffer;
  /** Workgroup counts of the indirect dispatches, written by the GPU (GPU halting). */
  readonly args: GPUBuffer;
  /** Bound as `args` by the kernels that do not write it (they must not bind it as storage). */
  readonly dummy: GPUBuffer;
  /** Bytes of the storage buffer, the atomics and the indirect counts. */
  readonly bytes: number;

  /** Throws, before creating any buffer, when the layout is larger than the device allows. */
  constructor(device: GPUDevice, layout: Layout) {
    this.device = device;
    const bytes = layout.floats * 4;
    const limit = device.limits.maxStorageBufferBindingSize;
    if (bytes > limit) {
      throw new Error(
        `gpu_engine: needs a ${
          (bytes / 2 ** 20).toFixed(1)
        } MiB storage buffer, the device allows ` +
          `${(limit / 2 ** 20).toFixed(1)} MiB: use a smaller batch or sequence, or a device ` +
          `created with a higher maxStorageBufferBindingSize`,
      );
    }
    this.storage = device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.ctl = device.createBuffer({
      size: CTL_BYTES,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    const argsBytes = (layout.T * layout.J + 3) * 12;
    this.args = device.createBuffer({
      size: argsBytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.INDIRECT | GPUBufferUsage.COPY_SRC,
    });
    this.dummy = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
    this.bytes = bytes + CTL_BYTES + argsBytes;
  }

  /** Writes `data` (its first `count` values, or all) at offset `at` (floats) of the storage. */
  write(at: number, data: Values, count?: number): void {
    if (count === undefined) this.device.queue.writeBuffer(this.storage, at * 4, data);
    else this.device.queue.writeBuffer(this.storage, at * 4, data, 0, count);
  }

  /** `count` floats from offset `at`: one readback. */
  async read(at: number, count: number): Promise<ArrayBuffer> {
    return (await this.readRanges([[at, count]]))[0];
  }

  /** Ranges (offset, count in floats) of the buffer, copied into one staging buffer: one readback. */
  async readRanges(ranges: [number, number][]): Promise<ArrayBuffer[]> {
    const at: number[] = [];
    let bytes = 0;
    for (const [, count] of ranges) {
      at.push(bytes);
      bytes += Math.ceil(count / 4) * 16; // copies start at multiples of 4 bytes; keep 16
    }
    const staging = this.device.createBuffer({
      size: Math.max(16, bytes),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const encoder = this.device.createCommandEncoder();
    ranges.forEach(([offset, count], k) =>
      encoder.copyBufferToBuffer(this.storage, offset * 4, staging, at[k], count * 4)
    );
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const mapped = staging.getMappedRange();
    const out = ranges.map(([, count], k) => mapped.slice(at[k], at[k] + count * 4));
    staging.unmap();
    staging.destroy();
    return out;
  }

  /** The atomics (one readback). */
  async readCtl(): Promise<Uint32Array> {
    const encoder = this.device.createCommandEncoder();
    const staging = this.device.createBuffer({
      size: CTL_BYTES,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    encoder.copyBufferToBuffer(this.ctl, 0, staging, 0, CTL_BYTES);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const ctl = new Uint32Array(staging.getMappedRange()).slice();
    staging.destroy();
    return ctl;
  }

  destroy(): void {
    this.storage.destroy();
    this.ctl.destroy();
    this.args.destroy();
    this.dummy.destroy();
  }
}
