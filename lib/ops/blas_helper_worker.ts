/**
 * The second thread of lib/ops/blas_helper.ts: claims queued jobs (each one or two `cblas_sgemm`
 * calls on absolute addresses) from the shared ring and runs them. Loaded by that module only.
 * @module
 */
import { parentPort } from "node:worker_threads";
import { CBLAS_SGEMM, CTRL, runJob, type SgemmFn, type Shared } from "./blas_helper_ring.ts";

parentPort!.once("message", (msg: { library: string; buffers: Shared }) => {
  let sgemm: SgemmFn;
  try {
    sgemm = Deno.dlopen(msg.library, { cblas_sgemm: CBLAS_SGEMM }).symbols.cblas_sgemm;
  } catch (e) {
    parentPort!.postMessage({ error: `cannot open ${msg.library}: ${(e as Error).message}` });
    return;
  }
  const { ctrl, done, jobs } = {
    ctrl: new Int32Array(msg.buffers.ctrl),
    done: new Int32Array(msg.buffers.done),
    jobs: new Float64Array(msg.buffers.jobs),
  };
  parentPort!.postMessage({ ready: true });
  for (;;) {
    const published = Atomics.load(ctrl, CTRL.published);
    const claimed = Atomics.load(ctrl, CTRL.claimed);
    if (((published - claimed) | 0) > 0) {
      const next = (claimed + 1) | 0;
      if (Atomics.compareExchange(ctrl, CTRL.claimed, claimed, next) !== claimed) continue;
      try {
        runJob(sgemm, jobs, done, claimed);
      } catch (e) {
        Atomics.store(ctrl, CTRL.failed, 1);
        Atomics.notify(done, claimed & (done.length - 1));
        parentPort!.postMessage({ error: (e as Error).message });
        return;
      }
      Atomics.add(ctrl, CTRL.workerJobs, 1);
      continue;
    }
    if (Atomics.load(ctrl, CTRL.stop)) return;
    Atomics.wait(ctrl, CTRL.published, published);
  }
});
