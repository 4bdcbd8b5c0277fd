/**
 * Backend selection and the environment block every run record carries.
 *
 * `auto` picks webgpu when the adapter is a hardware one, and wasm when the only adapter is a
 * software fallback (Mesa llvmpipe): measured on this 2-core machine, one LSTM training batch
 * (the 2-sequence protocol: batch 128, hidden 125, T = 40) takes several times longer on
 * llvmpipe than on tfjs-wasm, because per-op dispatch, not arithmetic, dominates small steps.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { blasCoretypeNote, type BlasInfo, installBlasMatMul } from "./ops/blas.ts";
import { startBlasHelper } from "./ops/blas_helper.ts";
import { installConv2dKernels } from "./ops/conv2d.ts";
import { splitAddNOnWebgpu, watchGpuErrors } from "./ops/webgpu_guards.ts";
import type { AdapterInfo, Environment } from "./results.ts";

export type BackendName = "auto" | "webgpu" | "wasm" | "cpu";
export const BACKEND_NAMES: readonly BackendName[] = ["auto", "webgpu", "wasm", "cpu"];

export interface BackendChoice {
  backend: string;
  reason: string;
  adapter: AdapterInfo | null;
  /** wasm only: the BLAS its matmuls call, or null (tfjs-wasm's XNNPACK) with `matmulReason`. */
  blas?: BlasInfo | null;
  matmulReason?: string;
}

let chosen: BackendChoice | null = null;
/** Read once, when the backend is set up: the revision of the code this process runs. */
let revisionAtStart: Promise<string> | null = null;

/** Describes the WebGPU adapter Deno would give tfjs, or null when there is none. */
export async function describeAdapter(): Promise<AdapterInfo | null> {
  const gpu = (navigator as { gpu?: GPU }).gpu;
  if (!gpu) return null;
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) return null;
  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  return {
    description: info.description || info.device || "(no description)",
    vendor: info.vendor ?? "",
    architecture: info.architecture ?? "",
    device: info.device ?? "",
    isFallbackAdapter: Boolean(
      info.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter,
    ),
    wgpuBackend: Deno.env.get("DENO_WEBGPU_BACKEND") ?? null,
  };
}

/**
 * Sets the tfjs backend. Idempotent for the same name; logs the choice in one line.
 * @example
 * ```ts ignore
 * const { backend, reason } = await initBackend("auto");
 * ```
 */
export async function initBackend(
  name: BackendName,
  opts: { quiet?: boolean } = {},
): Promise<BackendChoice> {
  revisionAtStart ??= gitRevision();
  if (!BACKEND_NAMES.includes(name)) {
    throw new Error(`Unknown backend "${name}": expected one of ${BACKEND_NAMES.join(", ")}.`);
  }
  if (chosen && (name === "auto" || name === chosen.backend)) return chosen;
  // Described whatever the backend, so every record says what this machine's WebGPU offers.
  const adapter = await describeAdapter().catch(() => null);
  let backend: string;
  let reason: string;
  if (name === "auto") {
    if (adapter && !adapter.isFallbackAdapter) {
      backend = "webgpu";
      reason = `auto: hardware WebGPU adapter "${adapter.description}"`;
    } else {
      backend = "wasm";
      reason = adapter
        ? `auto: the only WebGPU adapter is a software fallback ("${adapter.description}"), wasm is faster here`
        : "auto: no WebGPU adapter, wasm chosen";
    }
  } else {
    backend = name;
    reason = `requested --backend ${name}`;
  }
  if (backend === "webgpu" && !adapter) {
    throw new Error(
      "Cannot use --backend webgpu: Deno found no WebGPU adapter. Install a Vulkan or GL driver " +
        "(on Debian: apt-get install -y mesa-vulkan-drivers libvulkan1) or use --backend wasm.",
    );
  }
  if (backend === "wasm") setWasmPaths(wasmDistDir());
  if (!(await tf.setBackend(backend))) {
    throw new Error(`tfjs could not initialise the ${backend} backend (${reason}).`);
  }
  await tf.ready();
  chosen = { backend, reason, adapter };
  if (backend === "webgpu") {
    splitAddNOnWebgpu();
    watchGpuErrors();
  }
  if (backend === "wasm") {
    shareIdentityOnWasm();
    const { info, why } = installBlasMatMul();
    if (info) {
      const off = await startBlasHelper(info.library, info.threads);
      info.helper = off ? `off: ${off}` : "on";
    }
    // Conv2D through the same BLAS, and the Conv2DBackpropFilter tfjs-wasm lacks (either way).
    installConv2dKernels();
    chosen.blas = info;
    chosen.matmulReason = why;
  }
  if (!opts.quiet) {
    const pinned = blasCoretypeNote();
    const matmul = backend !== "wasm"
      ? ""
      : chosen.blas
      ? `; matmul: ${chosen.blas.config}, ${chosen.blas.threads} threads, helper thread ${chosen.blas.helper}${
        pinned ? ` (${pinned})` : ""
      }`
      : `; matmul: tfjs-wasm XNNPACK (${chosen.matmulReason})`;
    console.error(`backend: ${backend} (${reason})${matmul}`);
  }
  return chosen;
}

let identityShared = false;

/**
 * tfjs-wasm's Identity kernel (tf.clone, and every tensor a gradient function saves) copies the
 * data; tensors are immutable, so sharing it (reference-counted, as tfjs-wasm's own Reshape and
 * tfjs-cpu's Identity do) gives the same values without the copy. Training an LSTM step saves
 * several [batch, 4 * hidden] tensors per step: measured ~0.06 ms a copy at batch 128, hidden 128.
 */
function shareIdentityOnWasm(): void {
  if (identityShared) return;
  identityShared = true;
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({
    kernelName: "Identity",
    backendName: "wasm",
    kernelFunc: (({ inputs, backend }: {
      inputs: { x: tf.TensorInfo };
      backend: { incRef(dataId: object): void };
    }) => {
      const { x } = inputs;
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    }) as unknown as tf.KernelFunc,
  });
}

/** The folder holding tfjs-backend-wasm's .wasm files, as a file:// URL ending in "/". */
function wasmDistDir(): string {
  const entry = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
  if (entry.startsWith("file:")) {
    const dir = entry.slice(0, entry.lastIndexOf("/dist/") + "/dist/".length);
    if (dir.endsWith("/dist/")) return dir;
  }
  const local = new URL("../node_modules/@tensorflow/tfjs-backend-wasm/dist/", import.meta.url);
  return local.href;
}

/**
 * The git revision of the working tree, with "-dirty-<hash>" when it has uncommitted changes: the
 * first 12 hex digits of the sha256 of `git diff HEAD` (tracked files), so that two runs from the
 * same uncommitted code can be told from runs of other uncommitted code. Changes under `reports/`
 * (run files, weights and pages: what runs write, not code) do not count: a queue of reruns in one
 * checkout would otherwise mark every run after the first as made from uncommitted code.
 */
export async function gitRevision(): Promise<string> {
  try {
    const run = async (args: string[]) => {
      const out = await new Deno.Command("git", { args, stdout: "piped", stderr: "null" }).output();
      return out.success ? new TextDecoder().decode(out.stdout).trim() : "";
    };
    const rev = await run(["rev-parse", "--short=12", "HEAD"]);
    // No repository (a bundled copy on another machine): the revision it was bundled from, if given.
    if (!rev) {
      return Deno.env.get("RC_GIT_REVISION")
        ? `${Deno.env.get("RC_GIT_REVISION")} (given)`
        : "unknown";
    }
    const code = ["--", ".", ":(exclude)reports"];
    const dirty = await run(["status", "--porcelain", "--untracked-files=no", ...code]);
    if (!dirty) return rev;
    const diff = new TextEncoder().encode(await run(["diff", "HEAD", ...code]));
    const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", diff));
    return `${rev}-dirty-${
      [...hash.slice(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("")
    }`;
  } catch {
    const given = Deno.env.get("RC_GIT_REVISION");
    return given ? `${given} (given)` : "unknown";
  }
}

/** The environment block of a run record, for the backend currently set. */
export async function environment(): Promise<Environment> {
  if (!chosen) throw new Error("environment() called before initBackend().");
  const flags: Record<string, unknown> = {};
  if (chosen.backend === "webgpu") {
    flags.WEBGPU_CPU_FORWARD = tf.env().getBool("WEBGPU_CPU_FORWARD");
  }
  return {
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    tfjs: tf.version_core,
    backend: chosen.backend,
    backendReason: chosen.reason,
    adapter: chosen.adapter,
    ...(chosen.backend === "wasm"
      ? { blas: chosen.blas ?? null, matmul: chosen.blas ? "blas" : "xnnpack" }
      : {}),
    gitRevision: await (revisionAtStart ?? gitRevision()),
    os: `${Deno.build.os}-${Deno.build.arch}`,
    cpuCount: navigator.hardwareConcurrency ?? 0,
    flags,
  };
}
