/**
 * A second thread for BLAS work that an op hands out in pieces: the op queues jobs (one or two
 * `cblas_sgemm` calls each, on the wasm heap's absolute addresses), a worker thread runs them as
 * they come, and the op's own thread, between its WebAssembly passes, claims queued jobs too
 * ({@link BlasHelper.waitFor}). Each call runs on one OpenBLAS thread (the op sets OpenBLAS to one
 * thread while it works: {@link BlasHelper.session}).
 *
 * Why: on this project's 2-core machine OpenBLAS splits the ConvLSTM's tall, narrow products
 * (100,352 x 189 by 189 x 80) poorly over its own two threads (139-224 GFLOP/s, where one thread
 * alone does 122-158), while two one-thread calls on the two halves of the rows run at 218-258
 * GFLOP/s (bench/sgemm_shapes.c, bench/sgemm_split.c; bench/README.md). And tfjs-wasm runs on
 * one thread: while its WebAssembly passes (im2col, the cell) run, the other core idles. With the
 * rows in parts, the worker multiplies one part while the op's thread prepares the next or
 * finishes the last (lib/ops/conv_lstm_cell.ts).
 *
 * The worker is a `node:worker_threads` worker (unref'd: it never keeps a process alive) that
 * opens the same BLAS library; jobs and their done marks live in SharedArrayBuffers
 * (lib/ops/blas_helper_ring.ts) and the two threads meet through `Atomics.wait`/`notify` (tens
 * of microseconds a round trip). Started by lib/backend.ts with the wasm backend and BLAS, unless
 * `RC_BLAS_HELPER=off`; a run records whether it was on (its sums are split differently, so its
 * last bits differ from a run without it; the same setting gives the same bits).
 * @module
 */
import { Worker } from "node:worker_threads";
import { blasSgemm, setBlasThreads } from "./blas.ts";
import {
  allocateShared,
  CTRL,
  RING,
  runJob,
  type SgemmCall,
  type SgemmFn,
  writeJob,
} from "./blas_helper_ring.ts";

export type { SgemmCall } from "./blas_helper_ring.ts";

/** The queue one op uses between {@link BlasHelper.session}'s begin and end. */
export class BlasHelper {
  readonly #ctrl: Int32Array;
  readonly #done: Int32Array;
  readonly #jobs: Float64Array;
  readonly #worker: Worker;
  readonly #restoreThreads: number;
  #dead: string | null = null;
  /** Jobs ever submitted (the ring's slots all used once when it reaches RING). */
  #submitted = 0;

  constructor(
    buffers: ReturnType<typeof allocateShared>,
    worker: Worker,
    restoreThreads: number,
  ) {
    this.#ctrl = new Int32Array(buffers.ctrl);
    this.#done = new Int32Array(buffers.done);
    this.#jobs = new Float64Array(buffers.jobs);
    this.#worker = worker;
    this.#restoreThreads = restoreThreads;
    worker.on("message", (m: { error?: string }) => {
      if (m.error) this.#dead = m.error;
    });
    worker.on("error", (e: Error) => this.#dead = e.message);
    worker.on("exit", () => this.#dead ??= "the worker exited");
  }

  /** Jobs the worker thread has run since it started (benches and tests). */
  get workerJobs(): number {
    return Atomics.load(this.#ctrl, CTRL.workerJobs);
  }

  /**
   * Runs `work` with OpenBLAS on one thread (the two threads here are the parallelism), then
   * waits for every queued job and restores OpenBLAS's thread count, also when `work` throws.
   */
  session<T>(work: () => T): T {
    this.#check();
    const first = Atomics.load(this.#ctrl, CTRL.published);
    setBlasThreads(1);
    try {
      return work();
    } finally {
      try {
        // Jobs finish out of order (two threads): wait for each.
        const end = Atomics.load(this.#ctrl, CTRL.published);
        for (let id = first; id !== end; id = (id + 1) | 0) this.waitFor(id);
      } finally {
        setBlasThreads(this.#restoreThreads);
      }
    }
  }

  /** Queues one job (1 or 2 sgemm calls run in order by one thread); returns its id. */
  submit(calls: SgemmCall[]): number {
    const id = Atomics.load(this.#ctrl, CTRL.published);
    // The slot's previous job (id - RING) must have run before its slot is reused.
    if (this.#submitted++ >= RING) this.waitFor((id - RING) | 0);
    writeJob(this.#jobs, id, calls);
    Atomics.store(this.#ctrl, CTRL.published, (id + 1) | 0);
    Atomics.notify(this.#ctrl, CTRL.published);
    return id;
  }

  /**
   * Returns once job `id` has run, running queued jobs on this thread meanwhile (the oldest
   * first). An id never published (before the first job) returns at once.
   */
  waitFor(id: number): void {
    const slot = id & (RING - 1);
    const mark = (id + 1) | 0;
    const published = Atomics.load(this.#ctrl, CTRL.published);
    // Ids at or after the next one to publish, or more than a ring behind, are done or never were.
    const behind = (published - id) | 0;
    if (behind <= 0 || behind > RING) return;
    while (Atomics.load(this.#done, slot) !== mark) {
      if (this.#runOne()) continue;
      const seen = Atomics.load(this.#done, slot);
      if (seen === mark) break;
      if (Atomics.wait(this.#done, slot, seen, 2000) === "timed-out") this.#check();
    }
  }

  /** Claims and runs one queued job on this thread; false when none is waiting. */
  #runOne(): boolean {
    const published = Atomics.load(this.#ctrl, CTRL.published);
    const claimed = Atomics.load(this.#ctrl, CTRL.claimed);
    if (((published - claimed) | 0) <= 0) return false;
    if (Atomics.compareExchange(this.#ctrl, CTRL.claimed, claimed, (claimed + 1) | 0) !== claimed) {
      return true; // the worker took it: look again
    }
    runJob(mainSgemm(), this.#jobs, this.#done, claimed);
    return true;
  }

  #check(): void {
    if (Atomics.load(this.#ctrl, CTRL.failed) || this.#dead) {
      throw new Error(
        `blas helper: its worker thread stopped (${this.#dead ?? "a call failed"}). Set ` +
          "RC_BLAS_HELPER=off to run every product on this thread.",
      );
    }
  }

  /** Asks the worker to return and ends it; the event loop lasts until its thread has ended. */
  stop(): void {
    Atomics.store(this.#ctrl, CTRL.stop, 1);
    Atomics.notify(this.#ctrl, CTRL.published);
    // Held again until it has ended: the event loop waits for its thread.
    this.#worker.ref();
    this.#worker.terminate();
  }
}

function mainSgemm(): SgemmFn {
  const sgemm = blasSgemm();
  if (!sgemm) throw new Error("blas helper: BLAS is off or not installed on this thread.");
  return sgemm as unknown as SgemmFn;
}

let helper: BlasHelper | null = null;
let whyNot = "not started";
let enabled = true;

/** The running helper, or null (then ops run every product on their own thread). */
export function blasHelper(): BlasHelper | null {
  return enabled ? helper : null;
}

/**
 * Lets ops use the running helper (true) or not (false); returns the previous setting. For
 * tests and benches that compare the two on one backend.
 */
export function setBlasHelperEnabled(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** Why no helper runs ("" when one does). */
export function blasHelperStatus(): string {
  return helper ? "" : whyNot;
}

/**
 * Starts the helper's worker on BLAS library `library` (the one lib/ops/blas.ts opened) and
 * waits until it is ready. Returns "" when it runs, else why not (`RC_BLAS_HELPER=off`, no
 * workers, the library does not open there, or OpenBLAS's thread count cannot be set).
 * `threads`: OpenBLAS's thread count to restore after each session.
 */
export async function startBlasHelper(library: string, threads: number): Promise<string> {
  if (helper) return "";
  let setting: string | undefined;
  try {
    setting = Deno.env.get("RC_BLAS_HELPER");
  } catch {
    setting = undefined;
  }
  if (setting === "off" || setting === "0") return whyNot = "RC_BLAS_HELPER=off";
  if (!setBlasThreads(threads)) return whyNot = "the BLAS library cannot set its thread count";
  const buffers = allocateShared();
  let worker: Worker;
  try {
    worker = new Worker(new URL("./blas_helper_worker.ts", import.meta.url));
  } catch (e) {
    return whyNot = `no worker thread (${(e as Error).message})`;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const answer = await new Promise<{ ready?: boolean; error?: string }>((resolve) => {
    worker.once("message", resolve);
    worker.once("error", (e: Error) => resolve({ error: e.message }));
    // A worker that never answers (its module did not load) must not hold the backend up.
    timer = setTimeout(() => resolve({ error: "no answer in 60 s" }), 60_000);
    worker.postMessage({ library, buffers });
  });
  clearTimeout(timer);
  if (!answer.ready) {
    worker.terminate();
    return whyNot = `its worker could not start (${answer.error})`;
  }
  worker.unref();
  helper = new BlasHelper(buffers, worker, threads);
  whyNot = "";
  return "";
}

/** Stops the helper (tests; ops then run every product on their own thread). */
export function stopBlasHelper(why = "stopped"): void {
  helper?.stop();
  helper = null;
  whyNot = why;
}
