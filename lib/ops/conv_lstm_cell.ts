/**
 * One ConvLSTM step as one op for the tfjs-wasm backend with BLAS: the 'same' convolution of the
 * frame and the hidden state side by side (one im2col, one `cblas_sgemm`), bias, gates and cell
 * update (the fused SIMD cell of lstm_cell_wasm.c) forward, and backward the cell's gradient, the
 * kernel's gradient (one sgemm), the im2col's gradient (one sgemm) and its adjoint (col2im). The
 * cell module runs here on tfjs-wasm's own memory (built with an imported memory; it uses no
 * stack and no static data), so it reads and writes the tensors in place: no copies.
 * Differentiable in all four inputs (tf.customGrad): an op inside tfjs's autodiff, so every
 * trainer, RC's halting and batch shrinking included, runs it unchanged. With lib/ops/blas_helper.ts
 * running, a step's rows go in parts by image, the helper thread multiplying one part while this
 * thread runs the SIMD passes of another (`withRunner` below).
 *
 * Why: as separate tfjs kernels (concat, Conv2D, its two gradients, the cell, slices) a ConvLSTM-20
 * 3x3 training iteration (batch 128, T = 10) took 2.8 s here against PyTorch's 1.0 s: the
 * convolutions ran as kh skinny sgemms each (K = kw·Cin) with copies around them, and concat,
 * split, slice and pad moved the state several times per step. Here each step is 3 large sgemms
 * (K = k²·(Cin + C)) and three passes of SIMD code; bench/README.md has the before and after.
 *
 * `convLstmCell(x, hc, kernel, bias)`: x `[B, hgt·wid·Cin]` (a frame, NHWC flattened), hc
 * `[B, hgt, wid, 2C]` (per pixel h then c), kernel `[k, k, Cin + C, 4C]` (input channels x then
 * h, gate blocks i, f, g, o), bias `[4C]`; returns the next hc `[B, hgt, wid, 2C]`. Needs
 * {@link convLstmCellAvailable}.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { blasSgemm } from "./blas.ts";
import { blasHelper, type SgemmCall } from "./blas_helper.ts";
import type { WasmBackend as Conv2dBackend } from "./conv2d.ts";
import type { CellExports } from "./lstm_cell_wasm.ts";
import { LSTM_CELL_WASM_IMPORTED_MEMORY_BASE64 } from "./lstm_cell_wasm_bytes.ts";

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

type Sgemm = NonNullable<ReturnType<typeof blasSgemm>>;

/**
 * C = op(A) op(B), row-major: `mnk` = [m, n, k], each operand a pointer and its leading
 * dimension.
 */
function gemm(
  sgemm: Sgemm,
  transA: boolean,
  transB: boolean,
  [m, n, k]: [number, number, number],
  [a, lda]: [Deno.PointerValue, number],
  [b, ldb]: [Deno.PointerValue, number],
  [c, ldc]: [Deno.PointerValue, number],
): void {
  sgemm(
    ROW_MAJOR,
    transA ? TRANS : NO_TRANS,
    transB ? TRANS : NO_TRANS,
    m,
    n,
    k,
    1,
    a,
    lda,
    b,
    ldb,
    0,
    c,
    ldc,
  );
}

/**
 * Milliseconds of this op's own thread by phase since the last reset (for benches). `gemmMs` is
 * the time it spent in sgemm calls, its own and, with the helper, waiting for the helper's (the
 * helper's own time is not in it).
 */
export const convLstmCellTimes = { im2colMs: 0, gemmMs: 0, cellMs: 0, calls: 0 };

/** Zeroes {@link convLstmCellTimes}. */
export function resetConvLstmCellTimes(): void {
  Object.assign(convLstmCellTimes, { im2colMs: 0, gemmMs: 0, cellMs: 0, calls: 0 });
}

/** conv2d.ts's view of the backend, and the emscripten module's `WebAssembly.Memory`. */
interface WasmBackend extends Conv2dBackend {
  wasm: { HEAPU8: Uint8Array; asm?: { memory?: WebAssembly.Memory } };
}

/** The cell module instantiated on tfjs-wasm's own memory, per memory (a new backend, a new one). */
const onMemory = new WeakMap<WebAssembly.Memory, CellExports>();

/** tfjs-wasm's backend and the cell module on its memory, or why not. */
function wasmSide(): { be: WasmBackend; m: CellExports } | string {
  if (tf.getBackend() !== "wasm") return `the backend is ${tf.getBackend()}, not wasm`;
  const be = tf.backend() as unknown as WasmBackend;
  const memory = be.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return "tfjs-wasm's memory is not reachable";
  let m = onMemory.get(memory);
  if (!m) {
    try {
      const bytes = Uint8Array.from(
        atob(LSTM_CELL_WASM_IMPORTED_MEMORY_BASE64),
        (c) => c.charCodeAt(0),
      );
      m = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
        .exports as unknown as CellExports;
    } catch (e) {
      return `the cell module does not load on tfjs-wasm's memory (${(e as Error).message})`;
    }
    onMemory.set(memory, m);
  }
  return { be, m };
}

/** Whether the op can run: the wasm backend, BLAS installed and enabled, WebAssembly SIMD. */
export function convLstmCellAvailable(): boolean {
  return blasSgemm() !== null && typeof wasmSide() !== "string";
}

function ready(): { be: WasmBackend; m: CellExports; sgemm: Sgemm } {
  const side = wasmSide();
  if (typeof side === "string") throw new Error(`convLstmCell: cannot run: ${side}.`);
  const sgemm = blasSgemm();
  if (!sgemm) throw new Error("convLstmCell: needs BLAS (see lib/ops/blas.ts); it is off.");
  return { ...side, sgemm };
}

interface Dims {
  n: number;
  hgt: number;
  wid: number;
  /** Input channels of the frame. */
  cin: number;
  /** State channels C (hc has 2C). */
  c: number;
  /** h channels the convolution reads: C, or 0 from the zero state. */
  hIn: number;
  k: number;
  rows: number;
  /** k²·(Cin + hIn): the im2col row length, the sgemm's K. */
  len: number;
  /** Floats of the zero-bordered frame `[B, hgt + k - 1, wid + k - 1, Cin + hIn]`. */
  frame: number;
}

/**
 * The step's sizes: x `[B, hgt, wid, Cin]` (or flattened), the state `[B, hgt, wid, 2C]`, the
 * kernel `[k, k, Cin + C, 4C]`, or `[k, k, Cin, 4C]` from the zero state (`zeroState`).
 */
function dims(
  x: tf.TensorInfo,
  state: number[],
  kernel: tf.TensorInfo,
  zeroState: boolean,
): Dims {
  const [n, hgt, wid, twoC] = state;
  const [k, k2, ct, fourC] = kernel.shape;
  const c = twoC / 2, hIn = zeroState ? 0 : c, cin = ct - hIn;
  const xSize = x.shape.reduce((a, b) => a * b, 1);
  if (
    state.length !== 4 || kernel.shape.length !== 4 || k !== k2 || k % 2 !== 1 ||
    fourC !== 4 * c || cin < 0 || x.shape[0] !== n || xSize !== n * hgt * wid * cin ||
    [x, kernel].some((t) => t.dtype !== "float32")
  ) {
    throw new Error(
      `convLstmCell: needs float32 x [B, hgt·wid·Cin], a state [B, hgt, wid, 2C] and kernel ` +
        `[k, k, Cin + ${zeroState ? "0" : "C"}, 4C] (k odd): got x [${x.shape}], state ` +
        `[${state}], kernel [${kernel.shape}].`,
    );
  }
  const frame = n * (hgt + k - 1) * (wid + k - 1) * (cin + hIn);
  return { n, hgt, wid, cin, c, hIn, k, rows: n * hgt * wid, len: k * k * (cin + hIn), frame };
}

/**
 * Float32 outputs (tfjs tensors' data) and scratch buffers on tfjs-wasm's heap; `at(t)` is a
 * tensor's byte offset there, `base` the heap's absolute address (for BLAS: base + offset), read
 * after these allocations, the last before the step runs (an allocation may grow the heap).
 */
function allocate(be: WasmBackend, shapes: number[][]) {
  const infos = shapes.map((shape) => be.makeOutput(shape, "float32"));
  // tfjs-wasm's malloc answers 0 when its heap cannot grow: writing there would corrupt the heap
  // (a later free traps with "memory access out of bounds"), so say so here instead. Near the
  // heap's 4 GB it may also answer a block that runs past the end of the memory (measured: 1.48 GB
  // at 2.87 GB of a 3.85 GB heap, bench/conv_lstm_heap.ts --kernel 5 --chunk 900): the op's first
  // write there trapped; so a block must also end inside the heap.
  const heapBytes = be.wasm.HEAPU8.length;
  const failed = infos.findIndex((t, i) => {
    const bytes = 4 * shapes[i].reduce((a, b) => a * b, 1);
    const at = be.getMemoryOffset(t.dataId);
    return bytes > 0 && (at === 0 || at + bytes > heapBytes);
  });
  if (failed >= 0) {
    const mb = shapes.reduce((a, s) => a + 4 * s.reduce((x, y) => x * y, 1), 0) / 2 ** 20;
    for (const t of infos) be.disposeData(t.dataId);
    throw new Error(
      `ConvLSTM step: tfjs-wasm's heap could not hold this step's ${mb.toFixed(0)} MB ` +
        `(buffer ${failed}, shape [${shapes[failed].join(", ")}]): run fewer examples at once ` +
        "(RecurrentModel.maxTraceBatch bounds traces; a smaller batchSize bounds training)",
    );
  }
  const heap = Deno.UnsafePointer.of(be.wasm.HEAPU8 as Uint8Array<ArrayBuffer>);
  return {
    infos,
    at: (t: tf.TensorInfo) => be.getMemoryOffset(t.dataId),
    base: Number(Deno.UnsafePointer.value(heap)),
  };
}

/** hc `[B, hgt, wid, 2C]`, or, for the zero state, its shape alone (no tensor: nothing to read). */
type State = tf.Tensor | { zeros: number[] };

const shapeOf = (hc: State) => "zeros" in hc ? hc.zeros : hc.shape;

/**
 * A step's rows are split by image into this many parts when {@link blasHelper} runs, so that the
 * helper thread multiplies one part while this thread prepares the next (im2col, the cell's
 * backward) or finishes one (the cell, col2im). Parts of 16 images at batch 128.
 */
const PARTS = 8;
/** Fewer rows than this run on this thread alone (OpenBLAS's own threads): too little to share. */
const HELPER_MIN_ROWS = 4096;

/** Part p's images: the first and how many. */
interface Part {
  img: number;
  imgs: number;
}

function partsOf(d: Dims, parallel: boolean): Part[] {
  const count = parallel ? Math.min(PARTS, d.n) : 1;
  const per = Math.ceil(d.n / count);
  const parts: Part[] = [];
  for (let img = 0; img < d.n; img += per) parts.push({ img, imgs: Math.min(per, d.n - img) });
  return parts;
}

/**
 * Where a step's products run: queued on the helper's two threads (`submit` returns the job, which
 * `waitFor` awaits while this thread helps), or called at once on this thread (with OpenBLAS's
 * own threads; `waitFor` then has nothing to wait for).
 */
interface Runner {
  submit(calls: SgemmCall[]): number;
  waitFor(id: number): void;
}

function directRunner(sgemm: Sgemm): Runner {
  const p = (address: number) => Deno.UnsafePointer.create(BigInt(address));
  return {
    submit(calls) {
      for (const c of calls) {
        gemm(sgemm, c.transA, c.transB, [c.m, c.n, c.k], [p(c.a), c.lda], [p(c.b), c.ldb], [
          p(c.c),
          c.ldc,
        ]);
      }
      return -1;
    },
    waitFor() {},
  };
}

/**
 * Runs `step` with the helper when it is on and the step is big enough (in a session: OpenBLAS on
 * one thread, every job done before it returns), else on this thread.
 */
function withRunner<T>(sgemm: Sgemm, d: Dims, step: (r: Runner, parts: Part[]) => T): T {
  const helper = helperFor(d);
  if (!helper) return step(directRunner(sgemm), partsOf(d, false));
  return helper.session(() => step(helper, partsOf(d, true)));
}

/** The helper when it runs and the step is big enough to share, else null. */
function helperFor(d: Dims) {
  const helper = blasHelper();
  return helper && d.rows >= HELPER_MIN_ROWS && d.n >= 2 ? helper : null;
}

/**
 * conv_im2col of one part's images: the buffers' heap offsets (the whole step's) in `at`; the
 * part's rows of q, and its images' room in the frame pf, are written.
 */
function im2colPart(
  m: CellExports,
  d: Dims,
  { img, imgs }: Part,
  at: { x: number; hc: number; pf: number; q: number },
): void {
  const row = img * d.hgt * d.wid;
  const framePixels = (d.hgt + d.k - 1) * (d.wid + d.k - 1);
  m.conv_im2col(
    imgs,
    d.hgt,
    d.wid,
    d.k,
    at.x + 4 * row * d.cin,
    d.cin,
    at.hc + 8 * row * d.c,
    d.hIn,
    2 * d.c,
    at.pf + 4 * img * framePixels * (d.cin + d.hIn),
    at.q + 4 * row * d.len,
  );
}

function forward(x: tf.Tensor, hc: State, kernel: tf.Tensor, bias: tf.Tensor) {
  const { be, m, sgemm } = ready();
  const zero = "zeros" in hc;
  const d = dims(x, shapeOf(hc), kernel, zero);
  const N = 4 * d.c;
  const { infos: [next, acts, q, pf, zeros], at, base } = allocate(be, [
    shapeOf(hc),
    [d.rows, 5 * d.c],
    [d.rows * d.len],
    [d.frame],
    [zero ? d.rows * 2 * d.c : 0],
  ]);
  if (zero) be.wasm.HEAPU8.fill(0, at(zeros), at(zeros) + 8 * d.rows * d.c);
  const hcAt = zero ? at(zeros) : at(hc as tf.Tensor);
  const pixels = d.hgt * d.wid;
  const times = convLstmCellTimes;
  withRunner(sgemm, d, (runner, parts) => {
    // im2col and the product part by part (the helper multiplies part p while this thread
    // builds part p + 1), then the cell part by part as each product lands.
    const jobs = parts.map(({ img, imgs }) => {
      const row = img * pixels;
      const t0 = performance.now();
      im2colPart(m, d, { img, imgs }, { x: at(x), hc: hcAt, pf: at(pf), q: at(q) });
      const t1 = performance.now();
      const job = runner.submit([{
        transA: false,
        transB: false,
        m: imgs * pixels,
        n: N,
        k: d.len,
        a: base + at(q) + 4 * row * d.len,
        lda: d.len,
        b: base + at(kernel),
        ldb: N,
        // The pre-activations go straight into acts' rows (their first 4C of 5C columns): the
        // cell turns them into the activations in place, with no z buffer to write and read.
        c: base + at(acts) + 20 * row * d.c,
        ldc: 5 * d.c,
      }]);
      times.im2colMs += t1 - t0;
      times.gemmMs += performance.now() - t1;
      return job;
    });
    parts.forEach(({ img, imgs }, p) => {
      const row = img * pixels;
      const t0 = performance.now();
      runner.waitFor(jobs[p]);
      const t1 = performance.now();
      m.cell_forward_z(
        imgs * pixels,
        d.c,
        at(acts) + 20 * row * d.c,
        5 * d.c,
        at(bias),
        hcAt + 8 * row * d.c,
        at(next) + 8 * row * d.c,
        at(acts) + 20 * row * d.c,
      );
      times.gemmMs += t1 - t0;
      times.cellMs += performance.now() - t1;
    });
  });
  const keepQ = 4 * d.rows * d.len <= keepIm2colBytes;
  for (const t of keepQ ? [pf, zeros] : [q, pf, zeros]) be.disposeData(t.dataId);
  times.calls++;
  const engine = tf.engine();
  return {
    next: engine.makeTensorFromTensorInfo(next),
    acts: engine.makeTensorFromTensorInfo(acts),
    im2col: keepQ ? engine.makeTensorFromTensorInfo(q) : null,
  };
}

/**
 * The forward's im2col is kept for the backward (a step's tape then holds it) when it is at most
 * this big, and rebuilt there when bigger: 72 MB for ConvLSTM-20 3x3 at batch 128 (kept, 10 steps
 * hold 720 MB of tfjs-wasm's 4 GB heap), 210 MB at 5x5 (rebuilt in the backward: one more im2col pass a step).
 */
let keepIm2colBytes = 100 * 2 ** 20;

/** Sets the kept im2col's bound in bytes (tests reach the rebuilt path with 0); returns the old. */
export function setKeepIm2colBytes(bytes: number): number {
  const was = keepIm2colBytes;
  keepIm2colBytes = bytes;
  return was;
}

/** Gradients for x, hc (absent from the zero state), kernel and bias. */
function backward(
  x: tf.Tensor,
  hc: State,
  kernel: tf.Tensor,
  acts: tf.Tensor,
  dnext: tf.Tensor,
  kept: tf.Tensor | undefined,
): tf.Tensor[] {
  const { be, m, sgemm } = ready();
  const zero = "zeros" in hc;
  const d = dims(x, shapeOf(hc), kernel, zero);
  const N = 4 * d.c;
  const count = partsOf(d, helperFor(d) !== null).length;
  // dkT and db hold one partial sum per part (each part's product runs on either thread); they
  // are added in part order below, so the bits do not depend on which thread ran what.
  const { infos: [dx, dhc, dk, db, dz, dq, pf, zeros, dkT, dbParts], at, base } = allocate(be, [
    x.shape,
    shapeOf(hc),
    kernel.shape,
    [N],
    [d.rows * N],
    [d.rows * d.len],
    [d.frame],
    [zero ? d.rows * 2 * d.c : 0],
    [count, N, d.len],
    [count, N],
  ]);
  if (zero) be.wasm.HEAPU8.fill(0, at(zeros), at(zeros) + 8 * d.rows * d.c);
  const hcAt = zero ? at(zeros) : at(hc as tf.Tensor);
  // The forward's im2col when kept; else rebuilt in dq's room (each part's dq product runs after
  // its kernel-gradient product, in the same job, so q is read before dq overwrites it).
  const qAt = kept ? at(kept) : at(dq);
  const pixels = d.hgt * d.wid, framePixels = (d.hgt + d.k - 1) * (d.wid + d.k - 1);
  const times = convLstmCellTimes;
  withRunner(sgemm, d, (runner, parts) => {
    const kernelParts: SgemmCall[] = [];
    const jobs = parts.map(({ img, imgs }, p) => {
      const row = img * pixels, rows = imgs * pixels;
      const t0 = performance.now();
      // dz and this part's db, and dc of the previous state (its dh half zero: h enters
      // through the convolution; col2im writes it below).
      m.cell_backward(
        rows,
        d.c,
        at(acts) + 20 * row * d.c,
        hcAt + 8 * row * d.c,
        at(dnext) + 8 * row * d.c,
        at(dz) + 4 * row * N,
        at(dhc) + 8 * row * d.c,
        at(dbParts) + 4 * p * N,
      );
      const t1 = performance.now();
      if (!kept) {
        im2colPart(m, d, { img, imgs }, { x: at(x), hc: hcAt, pf: at(pf), q: qAt });
      }
      const t2 = performance.now();
      // The kernel's gradient qᵀ dz, as its transpose dzᵀ q (28 ms against 33 for qᵀdz for
      // ConvLSTM-20 3x3 on OpenBLAS's threads; transposed back below), and dq = dz kernelᵀ.
      const dkPart: SgemmCall = {
        transA: true,
        transB: false,
        m: N,
        n: d.len,
        k: rows,
        a: base + at(dz) + 4 * row * N,
        lda: N,
        b: base + qAt + 4 * row * d.len,
        ldb: d.len,
        c: base + at(dkT) + 4 * p * N * d.len,
        ldc: d.len,
      };
      const dqPart: SgemmCall = {
        transA: false,
        transB: true,
        m: rows,
        n: d.len,
        k: N,
        a: base + at(dz) + 4 * row * N,
        lda: N,
        b: base + at(kernel),
        ldb: N,
        c: base + at(dq) + 4 * row * d.len,
        ldc: d.len,
      };
      // A rebuilt q lies in dq's room: its kernel product must run first, in the same job. A
      // kept q lets dq go first (col2im waits for it) and the kernel products last: nothing
      // waits for those before the op ends, so they fill the threads' tail.
      let job: number;
      if (kept) {
        job = runner.submit([dqPart]);
        kernelParts.push(dkPart);
      } else {
        job = runner.submit([dkPart, dqPart]);
      }
      times.cellMs += t1 - t0;
      times.im2colMs += t2 - t1;
      times.gemmMs += performance.now() - t2;
      return job;
    });
    for (const call of kernelParts) runner.submit([call]);
    parts.forEach(({ img, imgs }, p) => {
      const row = img * pixels;
      const t0 = performance.now();
      runner.waitFor(jobs[p]);
      const t1 = performance.now();
      m.conv_col2im(
        imgs,
        d.hgt,
        d.wid,
        d.k,
        at(dq) + 4 * row * d.len,
        at(pf) + 4 * img * framePixels * (d.cin + d.hIn),
        at(dx) + 4 * row * d.cin,
        d.cin,
        at(dhc) + 8 * row * d.c,
        d.hIn,
        2 * d.c,
      );
      times.gemmMs += t1 - t0;
      times.im2colMs += performance.now() - t1;
    });
  });
  // dk = Σ_parts dkTᵀ and db = Σ_parts db, in part order.
  const f32 = new Float32Array(be.wasm.HEAPU8.buffer);
  const [src, dst, dbSrc, dbDst] = [at(dkT) / 4, at(dk) / 4, at(dbParts) / 4, at(db) / 4];
  const partFloats = N * d.len;
  for (let a = 0; a < N; a++) {
    for (let b = 0; b < d.len; b++) {
      let sum = f32[src + a * d.len + b];
      for (let p = 1; p < count; p++) {
        sum = Math.fround(sum + f32[src + p * partFloats + a * d.len + b]);
      }
      f32[dst + b * N + a] = sum;
    }
    let sum = f32[dbSrc + a];
    for (let p = 1; p < count; p++) sum = Math.fround(sum + f32[dbSrc + p * N + a]);
    f32[dbDst + a] = sum;
  }
  for (const t of [dz, dq, pf, zeros, dkT, dbParts, ...(zero ? [dhc] : [])]) {
    be.disposeData(t.dataId);
  }
  const engine = tf.engine();
  return (zero ? [dx, dk, db] : [dx, dhc, dk, db]).map((t) => engine.makeTensorFromTensorInfo(t));
}

/** One ConvLSTM step (see the module comment); differentiable in x, hc, kernel and bias. */
export const convLstmCell: (
  x: tf.Tensor2D,
  hc: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D,
) => tf.Tensor4D = tf.customGrad(
  // deno-lint-ignore no-explicit-any
  (x: any, hc: any, kernel: any, bias: any, save: any) => {
    const { next, acts, im2col } = forward(x, hc, kernel, bias);
    // acts and im2col are disposed with the step's scope when nothing is taped
    save(im2col ? [x, hc, kernel, acts, im2col] : [x, hc, kernel, acts]);
    return {
      value: next,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        backward(saved[0], saved[1], saved[2], saved[3], dy, saved[4]),
    };
  },
) as unknown as (
  x: tf.Tensor2D,
  hc: tf.Tensor4D,
  kernel: tf.Tensor4D,
  bias: tf.Tensor1D,
) => tf.Tensor4D;

/**
 * The first step, from the zero state (`[B, hgt, wid, 2C]` of zeros, not a tensor: nothing to
 * differentiate): the convolution reads the frame alone, with the kernel's frame channels
 * `[k, k, Cin, 4C]` (h is zero, so its channels add nothing, and their kernel gradient is zero).
 * The same numbers as {@link convLstmCell} on a zero state, at a fraction of the cost: ConvLSTM-20
 * 3x3's first step convolves 9 columns instead of 189, and RC's fast regime is mostly first steps.
 */
export function convLstmCellFromZero(
  x: tf.Tensor2D,
  stateShape: [number, number, number, number],
  kernelX: tf.Tensor4D,
  bias: tf.Tensor1D,
): tf.Tensor4D {
  const state = { zeros: stateShape };
  const op = tf.customGrad(
    // deno-lint-ignore no-explicit-any
    (x: any, kernel: any, bias: any, save: any) => {
      const { next, acts, im2col } = forward(x, state, kernel, bias);
      save(im2col ? [x, kernel, acts, im2col] : [x, kernel, acts]);
      return {
        value: next,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          backward(saved[0], state, saved[1], saved[2], dy, saved[3]),
      };
    },
  ) as unknown as (x: tf.Tensor2D, kernel: tf.Tensor4D, bias: tf.Tensor1D) => tf.Tensor4D;
  return op(x, kernelX, bias);
}
