/**
 * Native matrix products for the tfjs-wasm backend: tfjs-wasm's `BatchMatMul` kernel replaced by
 * one that calls a system BLAS (`cblas_sgemm`, OpenBLAS by default) through Deno's FFI, directly
 * on the tensors' bytes in the wasm heap.
 *
 * Why: under Deno, tfjs-wasm runs XNNPACK on one thread with 128-bit SIMD: 12-16 GFLOP/s on this
 * project's 2-core machine, and matmuls are most of an LSTM training iteration. OpenBLAS's sgemm
 * (AVX2 kernels) does ~60-70 GFLOP/s per thread here on the same shapes, takes transposed
 * operands natively (no explicit `tf.transpose` copies) and uses every core.
 *
 * Everything else stays tfjs-wasm. Found by `RC_BLAS` (a library path, or `off`), else the first
 * of {@link BLAS_CANDIDATES} that opens; absent means plain tfjs-wasm, said in the run record.
 * Numbers differ from XNNPACK's in the last bits (another summation order): a run records which
 * matmul it used. Needs `--allow-ffi` (the tasks run with `-A`).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { CBLAS_SGEMM } from "./blas_helper_ring.ts";

/** Libraries tried in order when `RC_BLAS` is unset (Debian/Ubuntu: `libopenblas0-pthread`). */
export const BLAS_CANDIDATES = [
  "libopenblas.so.0",
  "libopenblas.so",
  "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
  "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
  "/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
  "/usr/local/opt/openblas/lib/libopenblas.dylib",
  "libopenblas.dll",
];

/** What the wasm backend's matmuls run on. */
export interface BlasInfo {
  library: string;
  /** `openblas_get_config()`: version, target core, threading. */
  config: string;
  threads: number;
  /**
   * lib/ops/blas_helper.ts's second thread: "on", or why it is off (absent in records made
   * before it existed). Its sums are split differently, so the setting is part of a run's bits.
   */
  helper?: string;
}

const SYMBOLS = {
  cblas_sgemm: CBLAS_SGEMM,
  // OpenBLAS only (absent from other BLAS libraries): its configuration and thread count.
  openblas_get_config: { parameters: [], result: "pointer", optional: true },
  openblas_get_num_threads: { parameters: [], result: "i32", optional: true },
  openblas_set_num_threads: { parameters: ["i32"], result: "void", optional: true },
} as const;

export type Sgemm = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"]["cblas_sgemm"];

let sgemm: Sgemm | null = null;
let setThreads: ((n: number) => void) | null = null;
let installed: BlasInfo | null = null;
/** While installed: tfjs-wasm's own kernel, and whether calls go to BLAS (tests switch it). */
let originalKernel: tf.KernelFunc | null = null;
let enabled = true;

/** The BLAS the wasm backend's matmuls use now, or null (tfjs-wasm's own XNNPACK). */
export function blasInUse(): BlasInfo | null {
  return tf.getBackend() === "wasm" && enabled ? installed : null;
}

/** `cblas_sgemm` itself (row-major pointers), while BLAS is installed and enabled; else null. */
export function blasSgemm(): Sgemm | null {
  return installed && enabled ? sgemm : null;
}

/**
 * Sets OpenBLAS's thread count for the calls that follow (its own pool; other BLAS libraries
 * lack the call: false then). lib/ops/blas_helper.ts runs one-thread calls on two threads of its
 * own while it works.
 */
export function setBlasThreads(n: number): boolean {
  if (!setThreads) return false;
  setThreads(n);
  return true;
}

/**
 * Routes the wasm backend's matmuls to BLAS (true) or back to tfjs-wasm's XNNPACK (false), once
 * installed; returns the previous setting. For tests and benches that compare the two.
 */
export function setBlasEnabled(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/**
 * Where the environment chooses OpenBLAS's kernels (`OPENBLAS_CORETYPE`, read when the library
 * loads), a note saying so, else "". Why: a machine set up for other work may pin older kernels
 * (seen here: `OPENBLAS_CORETYPE=Haswell` on an AVX-512 CPU, which OpenBLAS would otherwise run
 * with its Cooperlake kernels), and every speed figure then silently measures those.
 */
export function blasCoretypeNote(): string {
  let forced: string | undefined;
  try {
    forced = Deno.env.get("OPENBLAS_CORETYPE");
  } catch {
    return ""; // no permission to read it (a task's --allow-env list without it): say nothing
  }
  return forced
    ? `kernels chosen by OPENBLAS_CORETYPE=${forced} in the environment; unset it to let ` +
      "OpenBLAS pick this CPU's own"
    : "";
}

/** Opens the BLAS library: `RC_BLAS` when set (`off` disables), else the first candidate. */
export function openBlas():
  | { sgemm: Sgemm; info: BlasInfo; setThreads: ((n: number) => void) | null }
  | { sgemm: null; why: string } {
  const requested = Deno.env.get("RC_BLAS");
  if (requested === "off" || requested === "0") return { sgemm: null, why: "RC_BLAS=off" };
  if (typeof Deno.dlopen !== "function") return { sgemm: null, why: "no Deno.dlopen" };
  const candidates = requested ? [requested] : BLAS_CANDIDATES;
  const failures: string[] = [];
  for (const library of candidates) {
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen(library, SYMBOLS);
    } catch (e) {
      failures.push(`${library}: ${(e as Error).message.split("\n")[0]}`);
      continue;
    }
    const { openblas_get_config: getConfig, openblas_get_num_threads: getThreads } = lib.symbols;
    const p = getConfig?.();
    const config = p ? new Deno.UnsafePointerView(p).getCString() : "cblas";
    const threads = getThreads?.() ?? 1;
    const set = lib.symbols.openblas_set_num_threads;
    return {
      sgemm: lib.symbols.cblas_sgemm,
      info: { library, config, threads },
      setThreads: set ? (n: number) => set(n) : null,
    };
  }
  const why = failures.join("; ");
  if (requested) {
    throw new Error(
      `RC_BLAS=${requested}: cannot load cblas_sgemm from it (${why}). Point RC_BLAS at a BLAS ` +
        `shared library (e.g. /usr/lib/x86_64-linux-gnu/libopenblas.so.0) or set RC_BLAS=off.`,
    );
  }
  return { sgemm: null, why: `no BLAS library found (tried ${candidates.join(", ")})` };
}

interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array };
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: string): tf.TensorInfo;
}

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

/**
 * Replaces the wasm backend's `BatchMatMul` with {@link blasBatchMatMul}, once the wasm backend is
 * initialised. Returns what it installed, or why not (the original kernel then stays).
 */
export function installBlasMatMul(): { info: BlasInfo | null; why: string } {
  if (installed) return { info: installed, why: "already installed" };
  const opened = openBlas();
  if (!opened.sgemm) return { info: null, why: opened.why };
  const original = tf.getKernel("BatchMatMul", "wasm");
  if (!original) return { info: null, why: "the wasm backend has no BatchMatMul kernel" };
  sgemm = opened.sgemm;
  setThreads = opened.setThreads;
  originalKernel = original.kernelFunc;
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({
    kernelName: "BatchMatMul",
    backendName: "wasm",
    // deno-lint-ignore no-explicit-any
    kernelFunc: ((args: any) =>
      enabled ? blasBatchMatMul(args, originalKernel!) : originalKernel!(args)) as tf.KernelFunc,
  });
  installed = opened.info;
  return { info: installed, why: `cblas_sgemm from ${opened.info.library}` };
}

/**
 * `BatchMatMul` on the wasm heap through `cblas_sgemm`: rank >= 2, float32, batch dimensions
 * equal or one side 1 (broadcast); anything else goes to tfjs-wasm's own kernel.
 */
function blasBatchMatMul(
  args: {
    inputs: { a: tf.TensorInfo; b: tf.TensorInfo };
    backend: WasmBackendInternals;
    attrs: { transposeA: boolean; transposeB: boolean };
  },
  fallback: tf.KernelFunc,
): tf.TensorInfo {
  const { inputs: { a, b }, backend, attrs: { transposeA, transposeB } } = args;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchA = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const batchB = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
  const simpleBatch = ra === rb && (batchA === batchB || batchA === 1 || batchB === 1) &&
    a.shape.slice(0, -2).every((d, i) => d === b.shape[i] || d === 1 || b.shape[i] === 1);
  if (a.dtype !== "float32" || b.dtype !== "float32" || !simpleBatch) {
    return fallback(args as unknown as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
  }
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) {
    throw new Error(
      `matMul: inner dimensions differ: a ${JSON.stringify(a.shape)}${transposeA ? "ᵀ" : ""} ` +
        `and b ${JSON.stringify(b.shape)}${transposeB ? "ᵀ" : ""}.`,
    );
  }
  const batch = Math.max(batchA, batchB);
  const outer = a.shape.slice(0, -2).map((d, i) => Math.max(d, b.shape[i]));
  const out = backend.makeOutput([...outer, m, n], "float32");
  // Read after makeOutput: its allocation may have grown (and replaced) the wasm memory.
  const heap = Deno.UnsafePointer.of(backend.wasm.HEAPU8 as Uint8Array<ArrayBuffer>);
  const aOffset = backend.getMemoryOffset(a.dataId);
  const bOffset = backend.getMemoryOffset(b.dataId);
  const outOffset = backend.getMemoryOffset(out.dataId);
  if (m * n === 0) return out;
  if (k === 0) {
    backend.wasm.HEAPU8.fill(0, outOffset, outOffset + 4 * m * n * batch);
    return out;
  }
  const lda = transposeA ? m : k;
  const ldb = transposeB ? k : n;
  for (let i = 0; i < batch; i++) {
    const pa = Deno.UnsafePointer.offset(heap!, aOffset + 4 * (batchA === 1 ? 0 : i) * m * k);
    const pb = Deno.UnsafePointer.offset(heap!, bOffset + 4 * (batchB === 1 ? 0 : i) * k * n);
    const pc = Deno.UnsafePointer.offset(heap!, outOffset + 4 * i * m * n);
    sgemm!(
      ROW_MAJOR,
      transposeA ? TRANS : NO_TRANS,
      transposeB ? TRANS : NO_TRANS,
      m,
      n,
      k,
      1,
      pa,
      lda,
      pb,
      ldb,
      0,
      pc,
      n,
    );
  }
  return out;
}
