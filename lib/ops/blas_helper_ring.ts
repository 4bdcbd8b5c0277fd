/**
 * The job ring lib/ops/blas_helper.ts shares with its worker: control counters, per-slot done
 * marks and job descriptors in SharedArrayBuffers, and the code both threads run a job with.
 *
 * A job is one or two `cblas_sgemm` calls (row-major) on absolute addresses, run in order by one
 * thread. Job ids count up from 0 in int32 arithmetic (wrapping), slot = id & (RING - 1); a job's
 * slot's done mark becomes (id + 1) | 0 when it has run.
 * @module
 */

/** Slots in the ring: at most this many jobs outstanding. */
export const RING = 256;
/** sgemm calls per job at most. */
export const CALLS_PER_JOB = 2;
/** Float64 fields of one call: transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc. */
const FIELDS = 13;
/** Float64s per slot: the call count, then the calls. */
const SLOT = 1 + CALLS_PER_JOB * FIELDS;

/** Int32 indices of the control block. */
export const CTRL = {
  /** Jobs published (the next id). */
  published: 0,
  /** Jobs claimed by either thread (the next id to claim). */
  claimed: 1,
  /** Set to ask the worker to return. */
  stop: 2,
  /** Set by the worker when a call threw (it then returns). */
  failed: 3,
  /** Jobs the worker ran (for benches and tests: proof the second thread worked). */
  workerJobs: 4,
  size: 8,
} as const;

/** The three shared buffers. */
export interface Shared {
  ctrl: SharedArrayBuffer;
  done: SharedArrayBuffer;
  jobs: SharedArrayBuffer;
}

export function allocateShared(): Shared {
  return {
    ctrl: new SharedArrayBuffer(4 * CTRL.size),
    done: new SharedArrayBuffer(4 * RING),
    jobs: new SharedArrayBuffer(8 * RING * SLOT),
  };
}

/** One row-major sgemm, C = alpha op(A) op(B) + beta C, operands as absolute byte addresses. */
export interface SgemmCall {
  transA: boolean;
  transB: boolean;
  m: number;
  n: number;
  k: number;
  a: number;
  lda: number;
  b: number;
  ldb: number;
  c: number;
  ldc: number;
  /** Default 1. */
  alpha?: number;
  /** Default 0. */
  beta?: number;
}

/** `cblas_sgemm`'s FFI signature (row-major: order, transA, transB, m, n, k, alpha, ...). */
export const CBLAS_SGEMM = {
  parameters: [
    "i32",
    "i32",
    "i32",
    "i32",
    "i32",
    "i32",
    "f32",
    "pointer",
    "i32",
    "pointer",
    "i32",
    "f32",
    "pointer",
    "i32",
  ],
  result: "void",
} as const;

/** `cblas_sgemm` as Deno's FFI exposes it. */
export type SgemmFn = (
  order: number,
  transA: number,
  transB: number,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Deno.PointerValue,
  lda: number,
  b: Deno.PointerValue,
  ldb: number,
  beta: number,
  c: Deno.PointerValue,
  ldc: number,
) => void;

/** Writes job `id`'s calls into its slot. */
export function writeJob(jobs: Float64Array, id: number, calls: SgemmCall[]): void {
  if (calls.length < 1 || calls.length > CALLS_PER_JOB) {
    throw new Error(
      `blas helper: a job holds 1 to ${CALLS_PER_JOB} sgemm calls, got ${calls.length}.`,
    );
  }
  const at = (id & (RING - 1)) * SLOT;
  jobs[at] = calls.length;
  calls.forEach((c, i) => {
    jobs.set([
      c.transA ? 1 : 0,
      c.transB ? 1 : 0,
      c.m,
      c.n,
      c.k,
      c.alpha ?? 1,
      c.a,
      c.lda,
      c.b,
      c.ldb,
      c.beta ?? 0,
      c.c,
      c.ldc,
    ], at + 1 + i * FIELDS);
  });
}

const pointer = (address: number) => Deno.UnsafePointer.create(BigInt(address));

/** Runs job `id` with `sgemm` and marks it done (waking a thread waiting on its slot). */
export function runJob(sgemm: SgemmFn, jobs: Float64Array, done: Int32Array, id: number): void {
  const slot = id & (RING - 1);
  const at = slot * SLOT;
  for (let i = 0; i < jobs[at]; i++) {
    const f = at + 1 + i * FIELDS;
    sgemm(
      101,
      jobs[f] ? 112 : 111,
      jobs[f + 1] ? 112 : 111,
      jobs[f + 2],
      jobs[f + 3],
      jobs[f + 4],
      jobs[f + 5],
      pointer(jobs[f + 6]),
      jobs[f + 7],
      pointer(jobs[f + 8]),
      jobs[f + 9],
      jobs[f + 10],
      pointer(jobs[f + 11]),
      jobs[f + 12],
    );
  }
  Atomics.store(done, slot, (id + 1) | 0);
  Atomics.notify(done, slot);
}
