/**
 * The LSTM cell's formula in WGSL, once: the gate activations and cell update of one step, and
 * their gradients. Both WGSL kernels include it: the fused op for tfjs-webgpu
 * (`lstm_cell_webgpu.ts`) and the WebGPU engine's cell kernels (lib/accel/gpu/kernels/cell.ts).
 *
 * It calls `sigm` and `tanh_`, which each including kernel defines: the fused op clamps their
 * arguments (|z| ≤ 80 and 40, so `exp` never overflows), the engine does not. The two agree for
 * |z| ≤ 80 and differ only where a sigmoid is below 2e-35.
 * @module
 */

/**
 * WGSL: `lstmCellForward(zi, zf, zg, zo, cp)` from the gates' pre-activations (order i, f, g, o)
 * and the previous cell state: c = σ(f) cp + σ(i) tanh(g), h = σ(o) tanh(c), and the activations
 * the backward step needs; `lstmCellBackward(acts, cp, dh, dcNext)` from the gradients reaching
 * h_t and (from step t + 1) c_t: the gradients of the four pre-activations and of c_{t-1}.
 */
export const LSTM_CELL_WGSL = /* wgsl */ `
struct LstmActs { i: f32, f: f32, g: f32, o: f32, tc: f32 }
struct LstmStep { acts: LstmActs, c: f32, h: f32 }
fn lstmCellForward(zi: f32, zf: f32, zg: f32, zo: f32, cp: f32) -> LstmStep {
  let i = sigm(zi);
  let f = sigm(zf);
  let g = tanh_(zg);
  let o = sigm(zo);
  let c = f * cp + i * g;
  let tc = tanh_(c);
  return LstmStep(LstmActs(i, f, g, o, tc), c, o * tc);
}
struct LstmGrads { di: f32, df: f32, dg: f32, dO: f32, dcPrev: f32 }
fn lstmCellBackward(a: LstmActs, cp: f32, dh: f32, dcNext: f32) -> LstmGrads {
  let dc = dcNext + dh * a.o * (1.0 - a.tc * a.tc);
  return LstmGrads(
    dc * a.g * a.i * (1.0 - a.i),
    dc * cp * a.f * (1.0 - a.f),
    dc * a.i * (1.0 - a.g * a.g),
    dh * a.tc * a.o * (1.0 - a.o),
    dc * a.f
  );
}
`;
