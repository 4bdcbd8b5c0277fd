/**
 * The update: the gradients' global L2 norm (partial sums of squares, then one workgroup adds them,
 * derives the clipping scale and counts non-finite steps) and Adam.
 * @module
 */
import { HEADER, NORM_GROUPS } from "./common.ts";

/**
 * Adam over the flat weights, each gradient times the clipping scale first. Params: 0 count, 1 offW,
 * 2 offG, 3 offM, 4 offV, 5 offScale; f: lr', β1, β2, ε'.
 */
export const ADAM = HEADER + /* wgsl */ `
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let i = g.x + g.y * nw.x * 256u;
  if (i >= pu(0u)) { return; }
  let gr = m[pu(2u) + i] * m[pu(5u)];
  let mi = p.f.y * m[pu(3u) + i] + (1.0 - p.f.y) * gr;
  let vi = p.f.z * m[pu(4u) + i] + (1.0 - p.f.z) * gr * gr;
  m[pu(3u) + i] = mi;
  m[pu(4u) + i] = vi;
  m[pu(1u) + i] -= p.f.x * mi / (sqrt(vi) + p.f.w);
}
`;

/**
 * Partial sums of the gradients' squares, one per workgroup (NORM_GROUPS of them), each in a fixed
 * order. Params: 0 count, 1 offG, 2 offPartial.
 */
export const SUM_SQUARES = HEADER + /* wgsl */ `
var<workgroup> part: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let n = pu(0u); let g = pu(1u);
  var acc = 0.0;
  for (var i = wg.x * 256u + l.x; i < n; i += ${NORM_GROUPS * 256}u) {
    let x = m[g + i];
    acc += x * x;
  }
  part[l.x] = acc;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w = w / 2u) {
    if (l.x < w) { part[l.x] += part[l.x + w]; }
    workgroupBarrier();
  }
  if (l.x == 0u) { m[pu(2u) + wg.x] = part[0]; }
}
`;

/**
 * The global norm from the partial sums, the clipping scale min(1, clip / max(norm, 1e-12)) (1
 * without clipping), and the non-finite count: a step whose loss or norm is NaN or ±Inf adds 1 to
 * ctl[2] and, when it is the first since the last reset, writes its index + 1 to ctl[3].
 * Params: 0 offPartial, 1 offNorm (out: norm, scale), 2 offStepLoss, 3 step index. f: clip (0: none).
 */
export const GRAD_NORM = HEADER + /* wgsl */ `
var<workgroup> part: array<f32, 256>;
fn finite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) l: vec3<u32>) {
  var acc = 0.0;
  for (var i = l.x; i < ${NORM_GROUPS}u; i += 256u) { acc += m[pu(0u) + i]; }
  part[l.x] = acc;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w = w / 2u) {
    if (l.x < w) { part[l.x] += part[l.x + w]; }
    workgroupBarrier();
  }
  if (l.x != 0u) { return; }
  let norm = sqrt(part[0]);
  let clip = p.f.x;
  var scale = 1.0;
  if (clip > 0.0) { scale = min(1.0, clip / max(norm, 1e-12)); }
  m[pu(1u)] = norm;
  m[pu(1u) + 1u] = scale;
  if (!finite(norm) || !finite(m[pu(2u)])) {
    if (atomicAdd(&ctl[2], 1u) == 0u) { atomicStore(&ctl[3], pu(3u) + 1u); }
  }
}
`;
