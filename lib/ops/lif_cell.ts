/**
 * The leaky integrate-and-fire update of Wu et al. (2018, spatio-temporal backpropagation) as one
 * fused op inside tfjs's autodiff, with the surrogate spike:
 *   u_t = τ · u_{t-1} · (1 − o_{t-1}) + z_t + b        (z_t: the layer's input current, b: bias)
 *   o_t = H(u_t − V_th)                                (H(0) = 1: a potential at V_th fires)
 * and backward, with the rectangular surrogate ∂o/∂u ≈ 1{|u − V_th| < a} (Wu et al.'s code:
 * `abs(u - thresh) < lens`; height 1, so with a = 0.5 it is their eq.'s 1/a' · 1{|u − V_th| < a'/2},
 * a' = 2a = 1). The gradient also flows through the reset (o_{t-1} is not detached, as in their
 * code): ∂u_t/∂o_{t-1} = −τ u_{t-1}.
 *
 * On cpu and wasm `lifCell` is one registered kernel forward (`RcLifCell`: one pass over the
 * layer writing u and o) and one backward (`RcLifCellGrad`: one pass writing the gradients of z,
 * u_{t-1}, o_{t-1} and the bias sum): a conv layer of 400 × 28 × 28 × 32 neurons is ten million
 * values per step, and the chain of tfjs elementwise ops it replaces (about six forward, eight
 * backward) measured slower here (median of 8, shared 2 cores: forward 168 against 234 ms,
 * forward + backward 832 against 1,162 ms). Elsewhere (webgpu) the same function is composed of
 * tfjs ops around {@link surrogateSpike}, itself one op (`tf.customGrad`).
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The LIF constants: τ (decay), V_th (threshold), a (half-width of the surrogate's rectangle). */
export interface LifParams {
  decay: number;
  threshold: number;
  width: number;
}

/** Wu et al. (2018) and the paper's App. E: τ = 0.2, V_th = 0.5, a = 0.5. */
export const WU_LIF: LifParams = { decay: 0.2, threshold: 0.5, width: 0.5 };

/** The surrogate derivative of the spike at potential `u` (plain JS, for references and tests). */
export function surrogateDerivative(u: number, p: Pick<LifParams, "threshold" | "width">): number {
  return Math.abs(u - p.threshold) < p.width ? 1 : 0;
}

/**
 * The spike o = H(u − V_th) with the rectangular surrogate gradient, as one op.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { surrogateSpike, WU_LIF } from "./lif_cell.ts";
 * await tf.setBackend("cpu");
 * const g = tf.grad((u: tf.Tensor) => surrogateSpike(u, WU_LIF).sum());
 * await g(tf.tensor1d([-0.1, 0.2, 0.5, 0.99, 1.2])).data(); // [0, 1, 1, 1, 0]
 * ```
 */
export function surrogateSpike(u: tf.Tensor, p: Pick<LifParams, "threshold" | "width">): tf.Tensor {
  const f = tf.customGrad((x, save) => {
    (save as tf.GradSaveFunc)([x as tf.Tensor]);
    return {
      value: tf.cast(tf.greaterEqual(x as tf.Tensor, p.threshold), "float32"),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.mul(dy, tf.cast(tf.less(tf.abs(tf.sub(saved[0], p.threshold)), p.width), "float32")),
    };
  });
  return f(u);
}

/** A tensor as a kernel sees it. */
export interface KernelInfo {
  dataId: object;
  shape: number[];
  dtype: string;
}

/** Float32 views on a backend's tensor data and new outputs: wasm (heap) or cpu (arrays). */
export interface Io {
  output(shape: number[]): KernelInfo;
  /** Call after every `output()` of the kernel: a wasm heap may grow and move when allocating. */
  view(info: KernelInfo): Float32Array;
}

interface WasmLike {
  wasm: { HEAPU8: Uint8Array };
  getMemoryOffset(dataId: object): number;
  makeOutput(shape: number[], dtype: string): KernelInfo;
}

interface CpuLike {
  data: { get(dataId: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: string, values?: Float32Array): KernelInfo;
}

/** Data access for a JS kernel on the `wasm` or `cpu` backend (`name`). */
export function kernelIo(backend: unknown, name: string): Io {
  if (name === "wasm") {
    const b = backend as WasmLike;
    return {
      output: (shape) => b.makeOutput(shape, "float32"),
      view: (info) =>
        new Float32Array(
          b.wasm.HEAPU8.buffer,
          b.getMemoryOffset(info.dataId),
          info.shape.reduce((x, y) => x * y, 1),
        ),
    };
  }
  const b = backend as CpuLike;
  return {
    output: (shape) =>
      b.makeTensorInfo(shape, "float32", new Float32Array(shape.reduce((x, y) => x * y, 1))),
    view: (info) => b.data.get(info.dataId).values,
  };
}

interface LifAttrs {
  decay: number;
  threshold: number;
  width: number;
  /** Backward: which of the two outputs' gradients were given (1) or are zero (0). */
  hasDU?: number;
  hasDO?: number;
}

function checkDtypes(kernel: string, inputs: Record<string, KernelInfo>): void {
  for (const [k, v] of Object.entries(inputs)) {
    if (v.dtype !== "float32") {
      throw new Error(
        `${kernel} (lib/ops/lif_cell.ts): input ${k} must be float32: got ${v.dtype}.`,
      );
    }
  }
}

/** Forward: inputs uPrev, oPrev, z (`[..., C]`, one shape) and bias `[C]`; outputs u and o. */
function forwardKernel(backendName: string) {
  return ({ inputs, backend, attrs }: {
    inputs: Record<string, KernelInfo>;
    backend: unknown;
    attrs: LifAttrs;
  }): KernelInfo[] => {
    checkDtypes("RcLifCell", inputs);
    const { uPrev, oPrev, z, bias } = inputs;
    const a = kernelIo(backend, backendName);
    const uOut = a.output(z.shape), oOut = a.output(z.shape);
    const up = a.view(uPrev), op = a.view(oPrev), zz = a.view(z), bb = a.view(bias);
    const u = a.view(uOut), o = a.view(oOut);
    const C = bb.length, n = zz.length;
    const { decay, threshold } = attrs;
    for (let i = 0; i < n;) {
      for (let c = 0; c < C; c++, i++) {
        const v = decay * up[i] * (1 - op[i]) + zz[i] + bb[c];
        u[i] = v;
        o[i] = v >= threshold ? 1 : 0;
      }
    }
    return [uOut, oOut];
  };
}

/**
 * Backward: inputs uPrev, oPrev, u, dU, dO (dU/dO stand-ins when absent: see attrs); outputs
 * dz, duPrev, doPrev (`[..., C]`) and dbias `[C]`.
 */
function backwardKernel(backendName: string) {
  return ({ inputs, backend, attrs }: {
    inputs: Record<string, KernelInfo>;
    backend: unknown;
    attrs: LifAttrs;
  }): KernelInfo[] => {
    checkDtypes("RcLifCellGrad", inputs);
    const { uPrev, oPrev, u, dU, dO } = inputs;
    const a = kernelIo(backend, backendName);
    const C = u.shape[u.shape.length - 1];
    const dzOut = a.output(u.shape), duOut = a.output(u.shape), doOut = a.output(u.shape);
    const dbOut = a.output([C]);
    const up = a.view(uPrev), op = a.view(oPrev), uu = a.view(u);
    const gu = attrs.hasDU ? a.view(dU) : null, go = attrs.hasDO ? a.view(dO) : null;
    const dz = a.view(dzOut), du = a.view(duOut), dof = a.view(doOut), db = a.view(dbOut);
    const { decay, threshold, width } = attrs;
    const sums = new Float64Array(C);
    const n = uu.length;
    for (let i = 0; i < n;) {
      for (let c = 0; c < C; c++, i++) {
        let g = gu ? gu[i] : 0;
        if (go && Math.abs(uu[i] - threshold) < width) g += go[i];
        dz[i] = g;
        du[i] = g * decay * (1 - op[i]);
        dof[i] = -g * decay * up[i];
        sums[c] += g;
      }
    }
    db.set(sums);
    return [dzOut, duOut, doOut, dbOut];
  };
}

const FUSED_BACKENDS = ["cpu", "wasm"] as const;

function register(): void {
  for (const name of FUSED_BACKENDS) {
    if (tf.getKernel("RcLifCell", name)) continue;
    tf.registerKernel({
      kernelName: "RcLifCell",
      backendName: name,
      kernelFunc: forwardKernel(name) as unknown as tf.KernelFunc,
    });
    tf.registerKernel({
      kernelName: "RcLifCellGrad",
      backendName: name,
      kernelFunc: backwardKernel(name) as unknown as tf.KernelFunc,
    });
  }
  if (tf.getGradient("RcLifCell")) return;
  tf.registerGradient({
    kernelName: "RcLifCell",
    inputsToSave: ["uPrev", "oPrev"],
    outputsToSave: [true, false],
    gradFunc: (dy, saved, attrs) => {
      const [dU, dO] = dy as (tf.Tensor | null)[];
      const [uPrev, oPrev, u] = saved;
      // One kernel call gives all four gradients, so it runs here, not in the per-input thunks
      // (each of which tfjs runs in its own tidy, which would dispose the others' results).
      const [dz, du, dof, db] = tf.engine().runKernel(
        "RcLifCellGrad",
        { uPrev, oPrev, u, dU: dU ?? u, dO: dO ?? u },
        { ...attrs, hasDU: dU ? 1 : 0, hasDO: dO ? 1 : 0 } as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
      return { z: () => dz, uPrev: () => du, oPrev: () => dof, bias: () => db };
    },
  });
}
register();

/** Whether {@link lifCell} runs as the fused kernel on the current backend. */
export function lifCellFused(): boolean {
  return tf.getKernel("RcLifCell", tf.getBackend()) !== undefined;
}

/**
 * One LIF update of a layer: state u_{t-1}, o_{t-1} and input current z_t (`[..., C]`, one
 * shape) plus bias `[C]` to u_t and o_t. `fused: false` takes the composite tfjs-op path (tests).
 */
export function lifCell(
  uPrev: tf.Tensor,
  oPrev: tf.Tensor,
  z: tf.Tensor,
  bias: tf.Tensor1D,
  p: LifParams & { fused?: boolean },
): { u: tf.Tensor; o: tf.Tensor } {
  const C = z.shape[z.shape.length - 1];
  if (
    !tf.util.arraysEqual(uPrev.shape, z.shape) || !tf.util.arraysEqual(oPrev.shape, z.shape) ||
    bias.shape[0] !== C
  ) {
    throw new Error(
      `lifCell: uPrev [${uPrev.shape}], oPrev [${oPrev.shape}] and z [${z.shape}] must have one ` +
        `shape and bias [${bias.shape}] must be [${C}].`,
    );
  }
  if ((p.fused ?? true) && lifCellFused()) {
    const attrs = { decay: p.decay, threshold: p.threshold, width: p.width };
    const [u, o] = tf.engine().runKernel(
      "RcLifCell",
      { uPrev, oPrev, z, bias },
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor[];
    return { u, o };
  }
  return tf.tidy(() => {
    const u = tf.add(tf.add(tf.mul(tf.mul(uPrev, tf.sub(1, oPrev)), p.decay), z), bias);
    return { u, o: surrogateSpike(u, p) };
  });
}
