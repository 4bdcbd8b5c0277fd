/**
 * Test helpers: the cpu backend for exact, fast tests, and a WebGPU probe for the GPU group.
 *
 * On a software adapter (Mesa's llvmpipe, `isFallbackAdapter`) LLVM compiles every shader on the
 * CPU and the GPU runs at CPU speed, so there only a subset of the WebGPU tests runs by default
 * ({@link ignoreWebGpu}); `RC_TEST_WEBGPU=all` runs every one, as a hardware adapter always does.
 * The subset still runs every kernel:
 * - the engine's WGSL kernels (lib/accel/gpu/kernels): tests/accel/gpu_engine_test.ts's sigmoid
 *   case runs all but `adam` under each halting mode (GPU, readback, mask), its Adam, clipNorm and
 *   NaN tests run `adam`; gpu_fit_test.ts runs them inside fit() (binary readout, EOS and RC),
 *   tests/rc/webgpu_models_test.ts with a readout layer and clipping, and tests/rc's conformance
 *   (RC), β schedule, divergence and checkpoint tests on the engine path;
 * - the fused WGSL LSTM cell (lib/ops/lstm_cell_webgpu.ts, forward and both gradients):
 *   tests/ops/lstm_cell_test.ts, tests/models/lstm_test.ts, conformance's tfjs rows on webgpu;
 * - tfjs-webgpu's own kernels for each model on the tfjs path (LSTM, LSTM op by op, ConvLSTM's
 *   convolutions, the LIF network's spikes): conformance's RC rows on webgpu (with and without
 *   clipping) and webgpu_models_test.ts's fit() tests (RC and EOS); the readback schedules of the
 *   spike-finding pass: webgpu_models_test.ts on the keyword model; the guards
 *   (lib/ops/webgpu_guards.ts): tests/backend_test.ts.
 * Full set only: the engine's other readouts and readout layers, its hidden size over 64 and batch
 * over 256, traceBatch's chunks of 256, conformance's EOS rows, and the readback schedules on the
 * ConvLSTM and the LIF network. Each such test says so beside its `ignore`.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { describeAdapter, initBackend } from "../lib/backend.ts";
import { KERNELS } from "../lib/accel/gpu/kernels/mod.ts";
import { openBlas } from "../lib/ops/blas.ts";

/** Switches tfjs to the cpu backend (tests share one process, so each test sets its own). */
export async function useCpu(): Promise<void> {
  await initBackend("cpu", { quiet: true });
  if (tf.getBackend() !== "cpu") throw new Error("could not switch to the cpu backend");
}

const probe: { adapter: Awaited<ReturnType<typeof describeAdapter>>; why: string | null } =
  await (async () => {
    try {
      const adapter = await describeAdapter();
      return { adapter, why: adapter ? null : "no WebGPU adapter on this machine" };
    } catch (e) {
      return { adapter: null, why: `WebGPU unavailable: ${(e as Error).message}` };
    }
  })();

/** Why the webgpu group is skipped here, or null when an adapter exists. */
export const noWebGpuReason: string | null = probe.why;
if (noWebGpuReason) console.error(`webgpu tests skipped: ${noWebGpuReason}`);

/**
 * Which WebGPU tests run: `full` (a hardware adapter, or `RC_TEST_WEBGPU=all`), `subset` (a
 * software adapter: the tests not marked full-only) or `none` (no adapter).
 */
export const webgpuScope: "full" | "subset" | "none" = probe.adapter === null
  ? "none"
  : probe.adapter.isFallbackAdapter && Deno.env.get("RC_TEST_WEBGPU") !== "all"
  ? "subset"
  : "full";

const counted = { all: 0, run: 0 };
// After the test module has registered its tests (its "load" event), before they run.
addEventListener("load", () => {
  if (counted.run < counted.all) {
    const module = Deno.mainModule.slice(Deno.mainModule.lastIndexOf("/") + 1);
    console.error(
      `${module}: software WebGPU adapter (${probe.adapter?.description}): ${counted.run} of ` +
        `${counted.all} WebGPU tests run; RC_TEST_WEBGPU=all runs every one`,
    );
  }
});

/**
 * The `ignore` of a WebGPU test: true without an adapter, and for a `fullOnly` test also where
 * {@link webgpuScope} is `subset`. Call it once per test registered (it counts them for the line
 * printed before the module's tests run).
 */
export function ignoreWebGpu(opts: { fullOnly?: boolean } = {}): boolean {
  if (webgpuScope === "none") return true;
  const ignored = opts.fullOnly === true && webgpuScope === "subset";
  counted.all++;
  if (!ignored) counted.run++;
  return ignored;
}

/** The engine's kernels that take about half of its compile time on llvmpipe (measured). */
const FIRST_HALF = ["cellForwardRows", "cellBackward", "matmulSum"];

let warming: Promise<void> | null = null;

/**
 * On a software adapter, compiles the WebGPU engine's kernels into Mesa's shader cache in two
 * processes at once (tests/_warm_engine_kernels.ts), once per test module: a cold cache (a new
 * machine's) then costs about half the time it does when the first engine test compiles them one
 * after another on one core, some 300 s of CPU on llvmpipe (`cellForwardRows` alone 74 s). On a
 * warm cache it takes under a second; nothing to do on a hardware adapter or with the cache off
 * (`MESA_SHADER_CACHE_DISABLE`).
 */
export function warmEngineKernels(): Promise<void> {
  if (!probe.adapter?.isFallbackAdapter) return Promise.resolve();
  if (/^(1|true|yes)$/i.test(Deno.env.get("MESA_SHADER_CACHE_DISABLE") ?? "")) {
    return Promise.resolve();
  }
  return warming ??= (async () => {
    const script = new URL("./_warm_engine_kernels.ts", import.meta.url).pathname;
    const halves = [FIRST_HALF, Object.keys(KERNELS).filter((k) => !FIRST_HALF.includes(k))];
    const runs = await Promise.all(halves.map((kernels) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--quiet", script, ...kernels],
        stdout: "null",
        stderr: "piped",
      }).output()
    ));
    // A failure costs only time: the engines then compile what is missing themselves.
    runs.forEach((r, k) => {
      if (!r.success) {
        console.error(
          `compiling the engine's kernels ${halves[k].join(", ")} ahead failed (exit ${r.code}): ` +
            new TextDecoder().decode(r.stderr).trim(),
        );
      }
    });
  })();
}

/**
 * Why the CPU engine's tests are skipped here (it needs OpenBLAS through FFI), or null. Probed
 * without switching the backend, so importing this module leaves tfjs as it was.
 */
export const noBlasReason: string | null = (() => {
  const opened = openBlas();
  return opened.sgemm ? null : `no BLAS here (the CPU engine needs OpenBLAS): ${opened.why}`;
})();
if (noBlasReason) console.error(`CPU-engine tests skipped: ${noBlasReason}`);
