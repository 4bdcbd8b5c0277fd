/**
 * 2-D convolutions for the tfjs-wasm backend that can be trained: `Conv2D`,
 * `Conv2DBackpropInput` and `Conv2DBackpropFilter` kernels (NHWC, float32, stride 1, dilation 1,
 * any padding tfjs allows), each one small copy plus a few `cblas_sgemm` calls on the wasm heap.
 *
 * Why: tfjs-wasm registers no `Conv2DBackpropFilter`, so `tf.grads` through `tf.conv2d` fails on
 * wasm (a conv net cannot train there at all), and its Conv2D (XNNPACK, one thread) and
 * Conv2DBackpropInput (a plain C loop) are far below what OpenBLAS does on this machine.
 *
 * How (stride 1): with the input zero-padded to `Hp = Ho + kh - 1` rows, a "row window" matrix
 * Q `[N * Hp * Wo, kw * Ci]` holds, for every padded row and output column, the `kw` neighbouring
 * pixels side by side (one contiguous copy each: NHWC keeps a pixel row's channels together).
 * The rows of Q for kernel row `ky` are Q shifted by `ky * Wo` rows, so
 *   out = Σ_ky Q[ky·Wo :] @ W[ky]          (W[ky]: `[kw * Ci, Co]`, kh sgemms, K = kw * Ci)
 *   dW[ky] = Q[ky·Wo :]ᵀ @ dy              (dy padded to Hp rows with zeros)
 * computed over the padded output grid `[N, Hp, Wo]` whose last kh - 1 rows per image are cropped
 * (or zero, for dy). Q is kh times smaller than a full im2col. The input gradient is one sgemm
 * (dy Wᵀ: each output pixel's share for each input neighbour) and a scatter-add (col2im).
 *
 * Without BLAS (`RC_BLAS=off`, no OpenBLAS, or {@link setBlasEnabled}(false)) Conv2D stays
 * tfjs-wasm's own (XNNPACK), Conv2DBackpropInput is the same matmul + scatter-add on tfjs-wasm's
 * matmul (its own kernel is a scalar loop), and Conv2DBackpropFilter is an im2col built in JS
 * (transposed, so XNNPACK gets a plain matmul) and tfjs-wasm's matmul: slower, but a conv net
 * trains on a bare machine. Installed by lib/backend.ts after the wasm backend is ready.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { blasSgemm, type Sgemm } from "./blas.ts";

/** What the ops here use of tfjs-wasm's backend object: its heap and its tensor buffers. */
export interface WasmBackend {
  wasm: { HEAPU8: Uint8Array };
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
}

interface ConvAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | tf.backend_util.ExplicitPadding;
  dataFormat: "NHWC" | "NCHW";
  dilations?: number | [number, number];
  dimRoundingMode?: "floor" | "round" | "ceil";
  inputShape?: number[];
  filterShape?: number[];
}

/** A stride-1 NHWC convolution: x `[n, h, w, ci]`, filter `[kh, kw, ci, co]`, out `[n, ho, wo, co]`. */
interface Geometry {
  n: number;
  h: number;
  w: number;
  ci: number;
  kh: number;
  kw: number;
  co: number;
  top: number;
  left: number;
  ho: number;
  wo: number;
}

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/** Milliseconds spent in this module's kernels by phase since the last reset (for benches). */
export const conv2dTimes = { windowsMs: 0, gemmMs: 0, copyMs: 0, calls: 0 };

/** Zeroes {@link conv2dTimes}. */
export function resetConv2dTimes(): void {
  Object.assign(conv2dTimes, { windowsMs: 0, gemmMs: 0, copyMs: 0, calls: 0 });
}

let originals: { conv2d: tf.KernelFunc; backpropInput: tf.KernelFunc } | null = null;

/** Whether {@link installConv2dKernels} has run. */
export function conv2dKernelsInstalled(): boolean {
  return originals !== null;
}

/**
 * Registers this module's kernels for the wasm backend (idempotent): Conv2D and
 * Conv2DBackpropInput replaced by ones that use BLAS when {@link blasSgemm} is available (else
 * they call tfjs-wasm's own), Conv2DBackpropFilter added. Call after the wasm backend is ready
 * (tfjs runs the replaced kernels' setup then) and after `installBlasMatMul()`.
 */
export function installConv2dKernels(): { installed: boolean; why: string } {
  if (originals) return { installed: true, why: "already installed" };
  const conv2d = tf.getKernel("Conv2D", "wasm");
  const backpropInput = tf.getKernel("Conv2DBackpropInput", "wasm");
  if (!conv2d || !backpropInput) {
    return { installed: false, why: "the wasm backend has no Conv2D/Conv2DBackpropInput kernel" };
  }
  if (tf.getKernel("Conv2DBackpropFilter", "wasm")) {
    return { installed: false, why: "the wasm backend already has a Conv2DBackpropFilter kernel" };
  }
  originals = { conv2d: conv2d.kernelFunc, backpropInput: backpropInput.kernelFunc };
  tf.unregisterKernel("Conv2D", "wasm");
  tf.unregisterKernel("Conv2DBackpropInput", "wasm");
  const register = (kernelName: string, f: (args: KernelArgs) => tf.TensorInfo) =>
    tf.registerKernel({
      kernelName,
      backendName: "wasm",
      kernelFunc: f as unknown as tf.KernelFunc,
    });
  register("Conv2D", conv2dKernel);
  register("Conv2DBackpropInput", backpropInputKernel);
  register("Conv2DBackpropFilter", backpropFilterKernel);
  return { installed: true, why: "Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter" };
}

interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  backend: WasmBackend;
  attrs: ConvAttrs;
}

/** The stride-1 geometry of a convolution, or why this module does not handle it. */
function geometry(
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
  dtypes: string[],
): Geometry | string {
  if (dtypes.some((d) => d !== "float32")) return `dtype ${dtypes.join("/")} (float32 only)`;
  if (attrs.dataFormat !== "NHWC") return `dataFormat ${attrs.dataFormat} (NHWC only)`;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  if (info.strideHeight !== 1 || info.strideWidth !== 1) {
    return `strides [${info.strideHeight}, ${info.strideWidth}] (stride 1 only)`;
  }
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    return `dilations [${info.dilationHeight}, ${info.dilationWidth}] (dilation 1 only)`;
  }
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    ci: info.inChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    co: info.outChannels,
    top: info.padInfo.top,
    left: info.padInfo.left,
    ho: info.outHeight,
    wo: info.outWidth,
  };
}

function conv2dKernel(args: KernelArgs): tf.TensorInfo {
  const { inputs: { x, filter }, backend, attrs } = args;
  const sgemm = blasSgemm();
  const g = geometry(x.shape, filter.shape, attrs, [x.dtype, filter.dtype]);
  if (!sgemm || typeof g === "string") return originals!.conv2d(args as never) as tf.TensorInfo;
  const out = backend.makeOutput([g.n, g.ho, g.wo, g.co], "float32");
  forwardBlas(backend, sgemm, g, {
    x: backend.getMemoryOffset(x.dataId),
    w: backend.getMemoryOffset(filter.dataId),
    out: backend.getMemoryOffset(out.dataId),
  });
  return out;
}

function backpropInputKernel(args: KernelArgs): tf.TensorInfo {
  const { inputs: { dy, filter }, backend, attrs } = args;
  const sgemm = blasSgemm();
  const g = geometry(attrs.inputShape!, filter.shape, attrs, [dy.dtype, filter.dtype]);
  if (typeof g === "string") return originals!.backpropInput(args as never) as tf.TensorInfo;
  if (!sgemm) return inputGradMatMul(backend, g, dy, filter);
  const out = backend.makeOutput([g.n, g.h, g.w, g.ci], "float32");
  inputGradBlas(backend, sgemm, g, {
    dy: backend.getMemoryOffset(dy.dataId),
    w: backend.getMemoryOffset(filter.dataId),
    out: backend.getMemoryOffset(out.dataId),
  });
  return out;
}

function backpropFilterKernel(args: KernelArgs): tf.TensorInfo {
  const { inputs: { x, dy }, backend, attrs } = args;
  const g = geometry(x.shape, attrs.filterShape!, attrs, [x.dtype, dy.dtype]);
  if (typeof g === "string") {
    throw new Error(
      `Conv2DBackpropFilter on wasm (lib/ops/conv2d.ts): ${g} is not supported (x ` +
        `${JSON.stringify(x.shape)}, filter ${JSON.stringify(attrs.filterShape)}). It handles ` +
        `NHWC float32 convolutions with stride 1 and dilation 1; train this model on the cpu ` +
        `backend or change the layer.`,
    );
  }
  const sgemm = blasSgemm();
  if (sgemm) {
    const out = backend.makeOutput([g.kh, g.kw, g.ci, g.co], "float32");
    filterGradBlas(backend, sgemm, g, {
      x: backend.getMemoryOffset(x.dataId),
      dy: backend.getMemoryOffset(dy.dataId),
      out: backend.getMemoryOffset(out.dataId),
    });
    return out;
  }
  return filterGradMatMul(backend, g, x, dy);
}

/** Phases: windows [t0, t1), dy copy [t1, tc), gemm [tc, t2), output copy [t2, now). */
function count(t0: number, t1: number, tc: number, t2: number): void {
  const t3 = performance.now();
  conv2dTimes.windowsMs += t1 - t0;
  conv2dTimes.copyMs += tc - t1 + t3 - t2;
  conv2dTimes.gemmMs += t2 - tc;
  conv2dTimes.calls++;
}

function heapF32(backend: WasmBackend): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer);
}

function heapPointer(backend: WasmBackend): Deno.PointerObject {
  return Deno.UnsafePointer.of(backend.wasm.HEAPU8 as Uint8Array<ArrayBuffer>)!;
}

/**
 * Writes Q `[n, hp, wo, kw * ci]` (hp = ho + kh - 1) at float offset `q`: row (b, yp, ox) holds
 * the padded input's pixels (yp, ox .. ox + kw - 1) of image b, channels innermost.
 */
function writeRowWindows(f: Float32Array, g: Geometry, x: number, q: number): void {
  const { n, h, w, ci, kh, kw, top, left, ho, wo } = g;
  const hp = ho + kh - 1;
  const rowLen = kw * ci;
  const lastRow = Math.min(h, hp - top); // rows of x inside the padded grid
  for (let b = 0; b < n; b++) {
    const image = q + b * hp * wo * rowLen;
    f.fill(0, image, image + top * wo * rowLen);
    f.fill(0, image + (top + lastRow) * wo * rowLen, image + hp * wo * rowLen);
    for (let y = 0; y < lastRow; y++) {
      const src = x + (b * h + y) * w * ci;
      let dst = image + (top + y) * wo * rowLen;
      for (let ox = 0; ox < wo; ox++, dst += rowLen) {
        const x0 = ox - left;
        const lo = x0 < 0 ? -x0 : 0;
        const hi = x0 + kw > w ? w - x0 : kw;
        if (hi <= lo) {
          f.fill(0, dst, dst + rowLen);
          continue;
        }
        if (lo > 0) f.fill(0, dst, dst + lo * ci);
        f.copyWithin(dst + lo * ci, src + (x0 + lo) * ci, src + (x0 + hi) * ci);
        if (hi < kw) f.fill(0, dst + hi * ci, dst + rowLen);
      }
    }
  }
}

/** out = conv(x, w) through BLAS; byte offsets on the wasm heap. */
function forwardBlas(
  backend: WasmBackend,
  sgemm: Sgemm,
  g: Geometry,
  at: { x: number; w: number; out: number },
): void {
  const { n, ci, kh, kw, co, ho, wo } = g;
  const hp = ho + kh - 1;
  const rowLen = kw * ci;
  const gridRows = n * hp * wo;
  if (n * ho * wo * co === 0) return;
  if (ci === 0) {
    backend.wasm.HEAPU8.fill(0, at.out, at.out + 4 * n * ho * wo * co);
    return;
  }
  const q = backend.makeOutput([gridRows * rowLen], "float32");
  const grid = kh > 1 ? backend.makeOutput([gridRows * co], "float32") : null;
  try {
    // Read after the allocations: they may have grown (and replaced) the wasm memory.
    const f = heapF32(backend);
    const heap = heapPointer(backend);
    const qAt = backend.getMemoryOffset(q.dataId);
    const gridAt = grid ? backend.getMemoryOffset(grid.dataId) : at.out;
    const t0 = performance.now();
    writeRowWindows(f, g, at.x / 4, qAt / 4);
    const t1 = performance.now();
    const mRows = gridRows - (kh - 1) * wo;
    const ptr = (byteOffset: number) => Deno.UnsafePointer.offset(heap, byteOffset);
    for (let ky = 0; ky < kh; ky++) {
      sgemm(
        ROW_MAJOR,
        NO_TRANS,
        NO_TRANS,
        mRows,
        co,
        rowLen,
        1,
        ptr(qAt + 4 * ky * wo * rowLen),
        rowLen,
        ptr(at.w + 4 * ky * rowLen * co),
        co,
        ky === 0 ? 0 : 1,
        ptr(gridAt),
        co,
      );
    }
    const t2 = performance.now();
    if (grid) {
      const image = ho * wo * co;
      for (let b = 0; b < n; b++) {
        const src = gridAt / 4 + b * hp * wo * co;
        f.copyWithin(at.out / 4 + b * image, src, src + image);
      }
    }
    count(t0, t1, t1, t2);
  } finally {
    backend.disposeData(q.dataId);
    if (grid) backend.disposeData(grid.dataId);
  }
}

/** dW `[kh, kw, ci, co]` = Σ over pixels of x windows ⊗ dy, through BLAS; byte offsets. */
function filterGradBlas(
  backend: WasmBackend,
  sgemm: Sgemm,
  g: Geometry,
  at: { x: number; dy: number; out: number },
): void {
  const { n, ci, kh, kw, co, ho, wo } = g;
  const hp = ho + kh - 1;
  const rowLen = kw * ci;
  const gridRows = n * hp * wo;
  if (kh * rowLen * co === 0) return;
  if (n * ho * wo === 0) {
    backend.wasm.HEAPU8.fill(0, at.out, at.out + 4 * kh * rowLen * co);
    return;
  }
  const q = backend.makeOutput([gridRows * rowLen], "float32");
  const grid = kh > 1 ? backend.makeOutput([gridRows * co], "float32") : null;
  try {
    const f = heapF32(backend);
    const heap = heapPointer(backend);
    const qAt = backend.getMemoryOffset(q.dataId);
    const t0 = performance.now();
    writeRowWindows(f, g, at.x / 4, qAt / 4);
    const t1 = performance.now();
    // dy on the padded grid: each image's ho rows, then kh - 1 rows of zeros.
    const gridAt = grid ? backend.getMemoryOffset(grid.dataId) : at.dy;
    if (grid) {
      const image = ho * wo * co;
      for (let b = 0; b < n; b++) {
        const dst = gridAt / 4 + b * hp * wo * co;
        f.copyWithin(dst, at.dy / 4 + b * image, at.dy / 4 + (b + 1) * image);
        f.fill(0, dst + image, dst + hp * wo * co);
      }
    }
    const tc = performance.now();
    const mRows = gridRows - (kh - 1) * wo;
    const ptr = (byteOffset: number) => Deno.UnsafePointer.offset(heap, byteOffset);
    for (let ky = 0; ky < kh; ky++) {
      sgemm(
        ROW_MAJOR,
        TRANS,
        NO_TRANS,
        rowLen,
        co,
        mRows,
        1,
        ptr(qAt + 4 * ky * wo * rowLen),
        rowLen,
        ptr(gridAt),
        co,
        0,
        ptr(at.out + 4 * ky * rowLen * co),
        co,
      );
    }
    const t2 = performance.now();
    count(t0, t1, tc, t2);
  } finally {
    backend.disposeData(q.dataId);
    if (grid) backend.disposeData(grid.dataId);
  }
}

/**
 * dx = col2im(dy Wᵀ) through BLAS: one sgemm gives every pixel's contribution to each of its
 * kh·kw input neighbours (`[n * ho * wo, kh * kw * ci]`), then these shares are added into the
 * input pixels they reach (a JS loop, kh·kw·ci adds per pixel). Byte offsets on the wasm heap.
 */
function inputGradBlas(
  backend: WasmBackend,
  sgemm: Sgemm,
  g: Geometry,
  at: { dy: number; w: number; out: number },
): void {
  const { n, h, w, ci, kh, kw, co, ho, wo } = g;
  const k = kh * kw * ci;
  const rows = n * ho * wo;
  if (n * h * w * ci === 0) return;
  if (rows * co === 0) {
    backend.wasm.HEAPU8.fill(0, at.out, at.out + 4 * n * h * w * ci);
    return;
  }
  const parts = backend.makeOutput([rows * k], "float32");
  try {
    const f = heapF32(backend);
    const heap = heapPointer(backend);
    const pAt = backend.getMemoryOffset(parts.dataId);
    const ptr = (byteOffset: number) => Deno.UnsafePointer.offset(heap, byteOffset);
    const t0 = performance.now();
    sgemm(
      ROW_MAJOR,
      NO_TRANS,
      TRANS,
      rows,
      k,
      co,
      1,
      ptr(at.dy),
      co,
      ptr(at.w),
      co,
      0,
      ptr(pAt),
      k,
    );
    const t1 = performance.now();
    scatterAdd(f, g, pAt / 4, at.out / 4);
    count(t0, t0, t0, t1); // the scatter-add counts as copying
  } finally {
    backend.disposeData(parts.dataId);
  }
}

/**
 * col2im: dx `[n, h, w, ci]` (float offset `dx`) = the sum, over each output pixel and kernel
 * position, of its share in P `[n * ho * wo, kh * kw * ci]` (float offset `p`), added into the
 * input pixel it reaches. In P's order: P streams once, dx (kh·kw times smaller) takes the adds.
 */
function scatterAdd(f: Float32Array, g: Geometry, p: number, dx: number): void {
  const { n, h, w, ci, kh, kw, top, left, ho, wo } = g;
  f.fill(0, dx, dx + n * h * w * ci);
  let s = p;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      for (let ox = 0; ox < wo; ox++) {
        for (let ky = 0; ky < kh; ky++) {
          const y = oy - top + ky;
          if (y < 0 || y >= h) {
            s += kw * ci;
            continue;
          }
          for (let kx = 0; kx < kw; kx++, s += ci) {
            const x = ox - left + kx;
            if (x < 0 || x >= w) continue;
            const d = dx + ((b * h + y) * w + x) * ci;
            for (let c = 0; c < ci; c++) f[d + c] += f[s + c];
          }
        }
      }
    }
  }
}

/**
 * dx without BLAS: P = dy Wᵀ through tfjs-wasm's matmul (Wᵀ written out, so XNNPACK gets plain
 * operands), then the same scatter-add. tfjs-wasm's own Conv2DBackpropInput is a scalar loop,
 * ~10x slower on a ConvLSTM's shapes.
 */
function inputGradMatMul(
  backend: WasmBackend,
  g: Geometry,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
): tf.TensorInfo {
  const { n, h, w, ci, kh, kw, co, ho, wo } = g;
  const k = kh * kw * ci;
  const rows = n * ho * wo;
  const wt = backend.makeOutput([1, co, k], "float32");
  let parts: tf.TensorInfo | null = null;
  try {
    let f = heapF32(backend);
    const src = backend.getMemoryOffset(filter.dataId) / 4;
    const dst = backend.getMemoryOffset(wt.dataId) / 4;
    for (let i = 0; i < k; i++) {
      for (let o = 0; o < co; o++) f[dst + o * k + i] = f[src + i * co + o];
    }
    const matMul = tf.getKernel("BatchMatMul", "wasm")!.kernelFunc;
    parts = matMul({
      inputs: { a: { dataId: dy.dataId, shape: [1, rows, co], dtype: "float32" }, b: wt },
      backend: backend as unknown as tf.KernelBackend,
      attrs: { transposeA: false, transposeB: false },
    }) as tf.TensorInfo;
    const out = backend.makeOutput([n, h, w, ci], "float32");
    f = heapF32(backend); // the allocations may have grown the wasm memory
    scatterAdd(
      f,
      g,
      backend.getMemoryOffset(parts.dataId) / 4,
      backend.getMemoryOffset(out.dataId) / 4,
    );
    return out;
  } finally {
    backend.disposeData(wt.dataId);
    if (parts) backend.disposeData(parts.dataId);
  }
}

/**
 * dW without BLAS: the im2col matrix built transposed in JS (`[kh * kw * ci, n * ho * wo]`, so
 * tfjs-wasm's XNNPACK matmul gets plain operands), times dy as `[n * ho * wo, co]`.
 */
function filterGradMatMul(
  backend: WasmBackend,
  g: Geometry,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
): tf.TensorInfo {
  const { n, h, w, ci, kh, kw, co, top, left, ho, wo } = g;
  const m = n * ho * wo;
  const k = kh * kw * ci;
  const cols = backend.makeOutput([1, k, m], "float32");
  try {
    const f = heapF32(backend);
    const c0 = backend.getMemoryOffset(cols.dataId) / 4;
    const x0 = backend.getMemoryOffset(x.dataId) / 4;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const rows = c0 + (ky * kw + kx) * ci * m;
        for (let b = 0; b < n; b++) {
          for (let oy = 0; oy < ho; oy++) {
            const y = oy + ky - top;
            const at = rows + (b * ho + oy) * wo;
            if (y < 0 || y >= h) {
              for (let c = 0; c < ci; c++) f.fill(0, at + c * m, at + c * m + wo);
              continue;
            }
            for (let ox = 0; ox < wo; ox++) {
              const xx = ox + kx - left;
              if (xx < 0 || xx >= w) {
                for (let c = 0; c < ci; c++) f[at + c * m + ox] = 0;
              } else {
                const src = x0 + ((b * h + y) * w + xx) * ci;
                for (let c = 0; c < ci; c++) f[at + c * m + ox] = f[src + c];
              }
            }
          }
        }
      }
    }
    const matMul = tf.getKernel("BatchMatMul", "wasm")!.kernelFunc;
    const out = matMul({
      inputs: { a: cols, b: { dataId: dy.dataId, shape: [1, m, co], dtype: "float32" } },
      backend: backend as unknown as tf.KernelBackend,
      attrs: { transposeA: false, transposeB: false },
    }) as tf.TensorInfo;
    out.shape = [kh, kw, ci, co];
    return out;
  } finally {
    backend.disposeData(cols.dataId);
  }
}
