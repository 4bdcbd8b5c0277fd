/**
 * The loss: each example's loss step and its loss and d/dlogits there (`TAKE`), the batch's sum
 * kept for the totals (`ACCUMULATE`), and the reset of the latest-loss-step atomic (`RESET`).
 * @module
 */
import { CONF, HEADER } from "./common.ts";

/**
 * One thread per example: its loss step (given, or the first step whose confidence reaches θ, or
 * the last step run), its loss `L - βH` / B and d/dlogits, and the readout layers' inputs there.
 * Params: 0 B, 1 O, 2 H, 3 nSteps (run), 4 offLogits (rows t*B+b, O wide), 5 offY (i32 bits),
 * 6 offGiven (i32 bits, -1: RC), 7 offSteps (out, i32 bits), 8 offLoss (out), 9 offDlogits (out,
 * [B, O]), 10 offHC_1 (h after step 0; rows t*B+b, 2H wide), 11 offGatherH (out, [B, H]), 12 readout
 * (0 binary, 1 sigmoid, 2 softmax), 13 K (layers), 14 offLayerTable (K-1 pairs: offOut_i (rows
 * t*B+b), offGather_i ([B, L_i]) as f32 bits), 15 offWidths (K-1 widths as f32 bits).
 * f: θ, β, 1/B.
 */
export const TAKE = HEADER + CONF + /* wgsl */ `
fn softplus(z: f32) -> f32 { return max(z, 0.0) + log(1.0 + exp(-abs(z))); }
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let B = pu(0u); let O = pu(1u); let H = pu(2u); let n = pu(3u);
  let b = g.x;
  if (b >= B) { return; }
  let ro = pu(12u);
  let given = ibits(pu(6u) + b);
  var s = n - 1u;
  if (given >= 0) {
    s = u32(given);
  } else {
    for (var t = 0u; t < n; t++) {
      if (conf(pu(4u) + (t * B + b) * O, O, ro) >= p.f.x) { s = t; break; }
    }
  }
  m[pu(7u) + b] = bitcast<f32>(i32(s));
  atomicMax(&ctl[0], s + 1u);
  atomicAdd(&ctl[1], s + 1u);
  let z = pu(4u) + (s * B + b) * O;
  let y = ibits(pu(5u) + b);
  let beta = p.f.y; let scale = p.f.z;
  let d = pu(9u) + b * O;
  var loss = 0.0;
  if (ro <= 1u) {
    for (var j = 0u; j < O; j++) {
      let zj = m[z + j];
      var yj = 0.0;
      if ((ro == 0u && y == 1) || (ro == 1u && i32(j) == y)) { yj = 1.0; }
      let sp = softplus(zj); let sg = sigm(zj);
      loss += sp - yj * zj - beta * (sp - sg * zj);
      m[d + j] = (sg - yj + beta * sg * (1.0 - sg) * zj) * scale;
    }
  } else {
    var mx = -3.4e38;
    for (var j = 0u; j < O; j++) { mx = max(mx, m[z + j]); }
    var sum = 0.0;
    for (var j = 0u; j < O; j++) { sum += exp(m[z + j] - mx); }
    let lse = mx + log(sum);
    var zbar = 0.0;
    for (var j = 0u; j < O; j++) { zbar += exp(m[z + j] - lse) * m[z + j]; }
    loss = lse - m[z + u32(y)] - beta * (lse - zbar);
    for (var j = 0u; j < O; j++) {
      let pj = exp(m[z + j] - lse);
      var yj = 0.0;
      if (i32(j) == y) { yj = 1.0; }
      m[d + j] = (pj - yj + beta * pj * (m[z + j] - zbar)) * scale;
    }
  }
  m[pu(8u) + b] = loss * scale;
  // The layers' inputs at the loss step: h, then each hidden layer's output.
  let hs = pu(10u) + (s * B + b) * 2u * H;
  for (var j = 0u; j < H; j++) { m[pu(11u) + b * H + j] = m[hs + j]; }
  for (var i = 0u; i + 1u < pu(13u); i++) {
    let L = ubits(pu(15u) + i);
    let src = ubits(pu(14u) + 2u * i) + (s * B + b) * L;
    let dst = ubits(pu(14u) + 2u * i + 1u) + b * L;
    for (var j = 0u; j < L; j++) { m[dst + j] = m[src + j]; }
  }
}
`;

/**
 * Adds the batch's loss (Σ of the per-example terms) to a running total and keeps it for the
 * non-finite check. Params: 0 B, 1 offLoss, 2 offTotal, 3 offStepLoss.
 */
export const ACCUMULATE = HEADER + /* wgsl */ `
@compute @workgroup_size(1)
fn main() {
  var acc = 0.0;
  for (var b = 0u; b < pu(0u); b++) { acc += m[pu(1u) + b]; }
  m[pu(2u)] += acc;
  m[pu(3u)] = acc;
}
`;

/** Sets the latest-loss-step atomic to 0. */
export const RESET = HEADER + /* wgsl */ `
@compute @workgroup_size(1)
fn main() { atomicStore(&ctl[0], 0u); }
`;
