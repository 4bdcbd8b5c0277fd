/**
 * lib/ops/blas_helper.ts: queued sgemm jobs run on both threads give a float64 reference's
 * products, through the ring's wrap-around, and a session restores OpenBLAS's thread count.
 */
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend.ts";
import { openBlas } from "../../lib/ops/blas.ts";
import {
  blasHelper,
  blasHelperStatus,
  startBlasHelper,
  stopBlasHelper,
} from "../../lib/ops/blas_helper.ts";
import { RING } from "../../lib/ops/blas_helper_ring.ts";
import { Rng } from "../../lib/random.ts";
import { withHelper } from "./_with_helper.ts";

const probe = openBlas();
const noBlas = probe.sgemm ? null : probe.why;
if (noBlas) console.error(`BLAS helper tests skipped: ${noBlas}`);

Deno.test({
  name: "blas helper: 3 rings of jobs (one and two calls each) equal float64 products; threads " +
    "restored",
  ignore: noBlas !== null,
  fn: () => withHelper("blas_helper_test.ts", "ringCheck", ringCheck),
});

/** The first test's body (exported for tests/ops/_with_helper.ts). */
export async function ringCheck(): Promise<void> {
  {
    const chosen = await initBackend("wasm", { quiet: true });
    const helper = blasHelper();
    if (!helper) {
      assert.match(blasHelperStatus(), /RC_BLAS_HELPER=off/);
      console.error(`skipped: the helper is off (${blasHelperStatus()})`);
      return;
    }
    // Job j: C_j = A_j B_j (m x k by k x n); odd jobs then D_j = C_j B_jᵀ, a second call that
    // reads the first's output (the calls of one job run in order).
    const [m, k, n] = [7, 5, 6];
    const jobs = 3 * RING + 5;
    const rng = new Rng(9);
    const a = Float32Array.from({ length: jobs * m * k }, () => rng.uniform(-1, 1));
    const b = Float32Array.from({ length: jobs * k * n }, () => rng.uniform(-1, 1));
    const c = new Float32Array(jobs * m * n);
    const d = new Float32Array(jobs * m * k);
    const address = (x: Float32Array) =>
      Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(x as Float32Array<ArrayBuffer>)));
    const [pa, pb, pc, pd] = [a, b, c, d].map(address);
    const workerBefore = helper.workerJobs;
    const ids: number[] = [];
    helper.session(() => {
      for (let j = 0; j < jobs; j++) {
        const first = {
          transA: false,
          transB: false,
          m,
          n,
          k,
          a: pa + 4 * j * m * k,
          lda: k,
          b: pb + 4 * j * k * n,
          ldb: n,
          c: pc + 4 * j * m * n,
          ldc: n,
        };
        const second = {
          transA: false,
          transB: true,
          m,
          n: k,
          k: n,
          a: pc + 4 * j * m * n,
          lda: n,
          b: pb + 4 * j * k * n,
          ldb: n,
          c: pd + 4 * j * m * k,
          ldc: k,
        };
        ids.push(helper.submit(j % 2 ? [first, second] : [first]));
      }
      // The worker claims jobs as they come (this thread only when it waits): give it up to 10 s
      // to show it runs some, without helping meanwhile.
      const nap = new Int32Array(new SharedArrayBuffer(4));
      const deadline = Date.now() + 10_000;
      while (helper.workerJobs === workerBefore && Date.now() < deadline) {
        Atomics.wait(nap, 0, 0, 5);
      }
      // Waiting out of order (the last first) is fine: the session waits for the rest.
      helper.waitFor(ids[ids.length - 1]);
    });
    assert.ok(helper.workerJobs > workerBefore, "the worker thread ran no job");
    for (let j = 0; j < jobs; j++) {
      const cRef = new Float64Array(m * n);
      for (let i = 0; i < m; i++) {
        for (let q = 0; q < n; q++) {
          let s = 0;
          for (let r = 0; r < k; r++) s += a[j * m * k + i * k + r] * b[j * k * n + r * n + q];
          cRef[i * n + q] = s;
          assert.ok(Math.abs(c[j * m * n + i * n + q] - s) < 1e-5, `job ${j}: C[${i}, ${q}]`);
        }
      }
      if (j % 2 === 0) continue;
      for (let i = 0; i < m; i++) {
        for (let r = 0; r < k; r++) {
          let s = 0;
          for (let q = 0; q < n; q++) s += c[j * m * n + i * n + q] * b[j * k * n + r * n + q];
          assert.ok(Math.abs(d[j * m * k + i * k + r] - s) < 1e-5, `job ${j}: D[${i}, ${r}]`);
        }
      }
    }
    // The session set OpenBLAS to one thread and put back the count it started with.
    const lib = Deno.dlopen(chosen.blas!.library, {
      openblas_get_num_threads: { parameters: [], result: "i32", optional: true },
    });
    const threads = lib.symbols.openblas_get_num_threads?.();
    lib.close();
    if (threads !== undefined) assert.equal(threads, chosen.blas!.threads);
  }
}

Deno.test({
  name: "blas helper: a library its worker cannot open is refused with the reason; ops then run " +
    "alone, and a restart brings it back",
  ignore: noBlas !== null,
  fn: () => withHelper("blas_helper_test.ts", "refuseCheck", refuseCheck),
});

/** The second test's body (exported for tests/ops/_with_helper.ts). */
export async function refuseCheck(): Promise<void> {
  {
    const chosen = await initBackend("wasm", { quiet: true });
    if (!blasHelper()) return; // off by RC_BLAS_HELPER (the first test said so)
    stopBlasHelper("test");
    try {
      const why = await startBlasHelper("/nonexistent/libopenblas.so.0", chosen.blas!.threads);
      assert.match(why, /its worker could not start \(cannot open \/nonexistent\/libopenblas/);
      assert.equal(blasHelper(), null);
      assert.equal(blasHelperStatus(), why);
    } finally {
      assert.equal(await startBlasHelper(chosen.blas!.library, chosen.blas!.threads), "");
    }
    assert.ok(blasHelper());
  }
}
