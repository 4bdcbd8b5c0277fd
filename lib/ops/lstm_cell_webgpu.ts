/**
 * A fused LSTM cell for tfjs's webgpu backend: the gate nonlinearities and the cell update of
 * one step in one WGSL dispatch forward, and two dispatches backward (tf.customGrad), where the
 * op-by-op path issues about a dozen forward and several dozen backward. Per-dispatch overhead,
 * not arithmetic, sets the speed of small recurrent steps on WebGPU.
 *
 * `lstmCell(zx, hu, hcPrev)`, with zx = x W + b and hu = h U (`[B, 4H]`, gate order i, f, g, o)
 * and the previous state hcPrev `[B, 2H]`, returns the new state hc `[B, 2H]`: h in columns
 * [0, H), c in [H, 2H). (The state travels as one tensor so no step needs a slice for c.)
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { LSTM_CELL_WGSL } from "./lstm_cell_wgsl.ts";

type Mode = "forward" | "dz" | "dc";

/** A WebGPU program in tfjs-backend-webgpu's custom-program form. */
class LstmCellProgram {
  readonly variableNames: string[];
  readonly outputShape: number[];
  readonly shaderKey: string;
  readonly dispatchLayout = { x: [0, 1] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [64, 1, 1];
  readonly size = true;

  constructor(readonly batch: number, readonly hidden: number, readonly mode: Mode) {
    this.variableNames = mode === "forward" ? ["ZX", "HU", "HCP"] : ["ZX", "HU", "HCP", "DHC"];
    const width = mode === "dz" ? 4 * hidden : 2 * hidden;
    this.outputShape = [batch, width];
    // Everything baked into the WGSL text is in the key: the mode and H.
    this.shaderKey = `rc_lstm_cell_${mode}_${hidden}`;
    this.dispatch = [Math.ceil((batch * width) / this.workgroupSize[0]), 1, 1];
  }

  getUserCode(): string {
    const H = this.hidden;
    const gates = `
      let zi = ZX[zBase + j] + HU[zBase + j];
      let zf = ZX[zBase + ${H} + j] + HU[zBase + ${H} + j];
      let zg = ZX[zBase + ${2 * H} + j] + HU[zBase + ${2 * H} + j];
      let zo = ZX[zBase + ${3 * H} + j] + HU[zBase + ${3 * H} + j];
      let cp = HCP[b * ${2 * H} + ${H} + j];
      let cell = lstmCellForward(zi, zf, zg, zo, cp);`;
    // The cell's formula is shared with the engine's kernels; its σ and tanh clamp here.
    const helpers = `
      fn sigm(x : f32) -> f32 { return 1.0 / (1.0 + exp(-clamp(x, -80.0, 80.0))); }
      fn tanh_(x : f32) -> f32 {
        let e = exp(-2.0 * abs(clamp(x, -40.0, 40.0)));
        return sign(x) * (1.0 - e) / (1.0 + e);
      }
      ${LSTM_CELL_WGSL}`;
    // Backward: dh and dc arrive in DHC [B, 2H].
    const upstream = `
          let dh = DHC[b * ${2 * H} + j];
          let d = lstmCellBackward(cell.acts, cp, dh, DHC[b * ${2 * H} + ${H} + j]);`;
    const store = this.mode === "forward"
      ? `if (k < ${H}) { setOutputAtIndex(index, cell.h); } else { setOutputAtIndex(index, cell.c); }`
      : this.mode === "dc"
      // The gradient for hcPrev: zero for its h half (h reaches the cell only through hu).
      ? `${upstream}
          if (k < ${H}) { setOutputAtIndex(index, 0.0); } else { setOutputAtIndex(index, d.dcPrev); }`
      : `${upstream}
          let gate = k / ${H};
          var dz = d.dO;
          if (gate == 0) { dz = d.di; } else if (gate == 1) { dz = d.df; } else if (gate == 2) { dz = d.dg; }
          setOutputAtIndex(index, dz);`;
    // One thread per output element: example b, column k of its row, unit j.
    const width = this.outputShape[1];
    return `${helpers}
      fn main(index : i32) {
        if (index < uniforms.size) {
          let b = index / ${width};
          let k = index % ${width};
          let j = k % ${H};
          let zBase = b * ${4 * H};
          ${gates}
          ${store}
        }
      }`;
  }
}

interface WebGpuBackendLike {
  runWebGPUProgram(program: unknown, inputs: tf.TensorInfo[], dtype: tf.DataType): tf.TensorInfo;
}

function run(mode: Mode, inputs: tf.Tensor[]): tf.Tensor2D {
  const backend = tf.backend() as unknown as WebGpuBackendLike;
  if (typeof backend.runWebGPUProgram !== "function") {
    throw new Error(
      `lstmCell needs the webgpu backend: the current backend is ${tf.getBackend()}.`,
    );
  }
  const [batch, fourH] = inputs[0].shape;
  const program = new LstmCellProgram(batch, fourH / 4, mode);
  const info = backend.runWebGPUProgram(program, inputs, "float32");
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor2D;
}

/** The fused cell; differentiable with respect to all three inputs. */
export const lstmCell: (zx: tf.Tensor2D, hu: tf.Tensor2D, hcPrev: tf.Tensor2D) => tf.Tensor2D = tf
  .customGrad(
    // deno-lint-ignore no-explicit-any
    (zx: any, hu: any, hcPrev: any, save: any) => {
      save([zx, hu, hcPrev]);
      return {
        value: run("forward", [zx, hu, hcPrev]),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const dz = run("dz", [...saved, dy]);
          return [dz, dz.clone(), run("dc", [...saved, dy])];
        },
      };
    },
  ) as unknown as (zx: tf.Tensor2D, hu: tf.Tensor2D, hcPrev: tf.Tensor2D) => tf.Tensor2D;
