/**
 * A fused LSTM cell for the tfjs-wasm backend: gate nonlinearities, cell update and bias in one
 * WebAssembly SIMD call forward and one backward (lstm_cell_wasm.c), where the op-by-op path runs
 * about a dozen tfjs kernels forward and several dozen backward per step. Measured on this
 * project's 2-core machine (workload W, hidden 128): the op-by-op cell cost ~3 ms per step
 * forward + backward, most of it tfjs-wasm's scalar tanh, split, the bias's batch sum and
 * gradient bookkeeping.
 *
 * `lstmCellWasm(xw, hu, b, hcPrev)`, with xw = x W and hu = h U (`[B, 4H]`, gate order i, f, g,
 * o), the bias b (`[4H]`) and the previous state hcPrev `[B, 2H]`, returns the new state hc
 * `[B, 2H]`: h in columns [0, H), c in [H, 2H), as the webgpu cell does. Differentiable in all
 * four inputs (tf.customGrad); the forward keeps the gate activations for the backward. The module
 * keeps its own memory: inputs are copied in and outputs out (a memcpy each, small beside the
 * arithmetic).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { LSTM_CELL_WASM_BASE64 } from "./lstm_cell_wasm_bytes.ts";

export interface CellExports {
  memory: WebAssembly.Memory;
  __heap_base: WebAssembly.Global;
  /** Byte offsets in `memory`; see lstm_cell_wasm.c. */
  cell_forward(n: number, H: number, ...offsets: number[]): void;
  cell_backward(n: number, H: number, ...offsets: number[]): void;
  /**
   * The cell from one pre-activation z (the ConvLSTM's convolution): n, H, z, z's row stride (in
   * floats), b, hcp, hc, acts; z may be acts itself (row stride 5H).
   */
  cell_forward_z(n: number, H: number, ...offsets: number[]): void;
  /** n, hgt, wid, k, x, xc, h, hc, hs, frame, q: the 'same' im2col of x and h side by side. */
  conv_im2col(...args: number[]): void;
  /** n, hgt, wid, k, dq, frame, dx, xc, dh, hc, hs: conv_im2col's adjoint. */
  conv_col2im(...args: number[]): void;
  /** Adam over `n` floats at byte offsets w, g, m, v, then its float32 coefficients. */
  adam_update(n: number, ...args: number[]): void;
}

let cell: CellExports | null = null;

/** A new instance of the cell module, with a memory of its own (the Adam state of a trainer). */
export function newInstance(): CellExports {
  const bytes = Uint8Array.from(atob(LSTM_CELL_WASM_BASE64), (c) => c.charCodeAt(0));
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), {})
    .exports as unknown as CellExports;
}

/** The cell module (instantiated on first use); the CPU training engine shares its memory. */
export function instance(): CellExports {
  cell ??= newInstance();
  return cell;
}

/** Whether the fused wasm cell can run here (WebAssembly SIMD; the wasm tfjs backend). */
export function wasmCellAvailable(): boolean {
  if (tf.getBackend() !== "wasm") return false;
  try {
    instance();
    return true;
  } catch {
    return false;
  }
}

interface WasmBackendLike {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
}

/**
 * A bump allocator over the cell module's memory, from its heap base (offsets in floats, 16-byte
 * aligned; each allocation padded by 4 floats, as the cell's last vector reads past a row). Grows
 * the memory once, for `floats` in all; a later Arena starts again at the base.
 */
export class Arena {
  readonly f32: Float32Array;
  /** Address of the memory's byte 0, for FFI calls (BLAS). */
  readonly base: Deno.PointerObject;
  #at: number;
  readonly #end: number;

  constructor(floats: number) {
    const m = instance();
    const start = Math.ceil((m.__heap_base.value as number) / 16) * 4;
    const need = (start + floats) * 4 - m.memory.buffer.byteLength;
    if (need > 0) m.memory.grow(Math.ceil(need / 65536));
    this.f32 = new Float32Array(m.memory.buffer);
    this.base = Deno.UnsafePointer.of(new Uint8Array(m.memory.buffer))!;
    this.#at = start;
    this.#end = start + floats;
  }

  /** Room for the padded allocations of `sizes` floats. */
  static floatsFor(sizes: number[]): number {
    return sizes.reduce((a, n) => a + Math.ceil((n + 4) / 4) * 4, 0);
  }

  alloc(n: number, zero = false): number {
    const at = this.#at;
    this.#at += Math.ceil((n + 4) / 4) * 4;
    if (this.#at > this.#end) throw new Error("lstm_cell_wasm: arena bound too small (a bug)");
    if (zero) this.f32.fill(0, at, at + n);
    return at;
  }
}

/** Consecutive allocations of `sizes` floats in a fresh arena. */
function layout(sizes: number[]): { offsets: number[]; f32: Float32Array } {
  const arena = new Arena(Arena.floatsFor(sizes));
  return { offsets: sizes.map((n) => arena.alloc(n)), f32: arena.f32 };
}

function backend(): WasmBackendLike {
  const b = tf.backend() as unknown as WasmBackendLike;
  if (tf.getBackend() !== "wasm" || typeof b.typedArrayFromHeap !== "function") {
    throw new Error(
      `lstmCellWasm needs the wasm backend: the current backend is ${tf.getBackend()}.`,
    );
  }
  return b;
}

function output(be: WasmBackendLike, shape: number[], from: Float32Array): tf.Tensor {
  const info = be.makeOutput(shape, "float32");
  be.typedArrayFromHeap(info).set(from);
  return tf.engine().makeTensorFromTensorInfo(info);
}

/** hc' and the activations the backward needs (`[n, 5H]`: i, f, g, o, tanh c'). */
function forward(
  xw: tf.Tensor,
  hu: tf.Tensor,
  b: tf.Tensor,
  hcp: tf.Tensor,
): [tf.Tensor2D, tf.Tensor] {
  const be = backend();
  const [n, fourH] = xw.shape;
  const H = fourH / 4;
  const { offsets: [oxw, ohu, ob, ohcp, ohc, oacts], f32 } = layout([
    n * fourH,
    n * fourH,
    fourH,
    n * 2 * H,
    n * 2 * H,
    n * 5 * H,
  ]);
  f32.set(be.typedArrayFromHeap(xw), oxw);
  f32.set(be.typedArrayFromHeap(hu), ohu);
  f32.set(be.typedArrayFromHeap(b), ob);
  f32.set(be.typedArrayFromHeap(hcp), ohcp);
  instance().cell_forward(n, H, 4 * oxw, 4 * ohu, 4 * ob, 4 * ohcp, 4 * ohc, 4 * oacts);
  return [
    output(be, [n, 2 * H], f32.subarray(ohc, ohc + n * 2 * H)) as tf.Tensor2D,
    output(be, [n, 5 * H], f32.subarray(oacts, oacts + n * 5 * H)),
  ];
}

function backward(acts: tf.Tensor, hcp: tf.Tensor, dhc: tf.Tensor): tf.Tensor[] {
  const be = backend();
  const [n, twoH] = hcp.shape;
  const H = twoH / 2;
  const fourH = 4 * H;
  const { offsets: [oacts, ohcp, odhc, odz, odhcp, odb], f32 } = layout([
    n * 5 * H,
    n * 2 * H,
    n * 2 * H,
    n * fourH,
    n * 2 * H,
    fourH,
  ]);
  f32.set(be.typedArrayFromHeap(acts), oacts);
  f32.set(be.typedArrayFromHeap(hcp), ohcp);
  f32.set(be.typedArrayFromHeap(dhc), odhc);
  instance().cell_backward(n, H, 4 * oacts, 4 * ohcp, 4 * odhc, 4 * odz, 4 * odhcp, 4 * odb);
  const dz = output(be, [n, fourH], f32.subarray(odz, odz + n * fourH));
  return [
    dz,
    dz.clone(),
    output(be, [fourH], f32.subarray(odb, odb + fourH)),
    output(be, [n, 2 * H], f32.subarray(odhcp, odhcp + n * 2 * H)),
  ];
}

/** The fused cell; differentiable with respect to all four inputs. */
export const lstmCellWasm: (
  xw: tf.Tensor2D,
  hu: tf.Tensor2D,
  b: tf.Tensor1D,
  hcPrev: tf.Tensor2D,
) => tf.Tensor2D = tf.customGrad(
  // deno-lint-ignore no-explicit-any
  (xw: any, hu: any, b: any, hcPrev: any, save: any) => {
    const [hc, acts] = forward(xw, hu, b, hcPrev);
    save([acts, hcPrev]); // acts is disposed with the step's scope when no gradient is taped
    return {
      value: hc,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => backward(saved[0], saved[1], dy),
    };
  },
) as unknown as (
  xw: tf.Tensor2D,
  hu: tf.Tensor2D,
  b: tf.Tensor1D,
  hcPrev: tf.Tensor2D,
) => tf.Tensor2D;
