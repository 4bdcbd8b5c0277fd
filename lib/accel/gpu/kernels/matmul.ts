/**
 * The tiled matrix product every batched product of the engine runs (the input projection, the
 * readout layers forward and backward, the weights' gradients), in three variants, and the sum
 * of a split product's partial sums.
 * @module
 */
import { FMA64, HEADER, load4, MM_TILE } from "./common.ts";

/**
 * C(m, n) = [C +] Σ_k A(m, k) B(k, n) [+ bias(n)], [ReLU], [zero where mask(m, n) <= 0], over
 * strided views of the one buffer. Params: 0 M, 1 N, 2 K, 3 offA, 4 sAm, 5 sAk, 6 offB, 7 sBk,
 * 8 sBn, 9 offC, 10 ldc, 11 offBias + 1 (0: none), 12 flags (2 ReLU), 13 offMask
 * + 1 (0: none; the mask has C's layout), 14 split: K per workgroup layer z (0: no split; then
 * each layer writes its partial sum, [M, N], at 15 offPartial + z M N, and REDUCE adds them up:
 * the gradients' long sums over every example-step run in parallel).
 *
 * Two variants read an index list that the GPU wrote (GPU halting, `COMPACT`), with the list's
 * length from the buffer rather than a parameter:
 * - `rows`: the rows m of A and C are the entries `list[start + m]` for m < count (16 offSC: the
 *   (start, count) pair, 17 offList); M is ignored. The forward products of one step, for the
 *   examples still running.
 * - `sum`: the k of A and B are the entries `list[k]` for k < total (16 offTotal, 17 offList); K is
 *   ignored. The gradients' sums over the example-steps that ran.
 */
export function matmulSource(gather: "none" | "rows" | "sum"): string {
  const k = (e: string) => gather === "sum" ? `ubits(lst + min(${e}, K - 1u))` : `(${e})`;
  const rowsPrologue = gather === "rows"
    ? `let sc = pu(16u);
  let M = ubits(sc + 1u);
  let row = wg.y * ${MM_TILE}u + l.y;
  let entry = ubits(pu(17u) + ubits(sc) + min(row, max(M, 1u) - 1u));`
    : `let M = pu(0u);
  let row = wg.y * ${MM_TILE}u + l.y;
  let entry = row;`;
  return HEADER + /* wgsl */ `
var<workgroup> ta: array<array<f32, 65>, ${MM_TILE}>; // 65: no bank conflicts storing along m
var<workgroup> tb: array<array<f32, ${MM_TILE}>, 64>;
var<workgroup> total: u32;
@compute @workgroup_size(${MM_TILE}, ${MM_TILE})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  ${rowsPrologue}
  let N = pu(1u);
  ${
    gather === "sum"
      // The loop's bound must be uniform for its barriers: one thread loads it for all.
      ? `if (l.x == 0u && l.y == 0u) { total = ubits(pu(16u)); }
  var K = workgroupUniformLoad(&total);`
      : "var K = pu(2u);"
  }
  let lst = pu(17u);
  var kBegin = 0u;
  let split = pu(14u);
  if (split != 0u) {
    kBegin = wg.z * split;
    K = min(K, kBegin + split);
  }
  let col = wg.x * ${MM_TILE}u + l.x;
  var acc = 0.0;
  let ra = pu(3u) + entry * pu(4u);
  let sa = pu(5u);
  let rb = pu(6u) + col * pu(8u);
  let sb = pu(7u);
  // A stored along m (A = Xᵀ, the gradients' products): lanes load along m, coalesced.
  let aAlongM = ${gather === "rows" ? "false" : "pu(4u) == 1u && pu(5u) != 1u"};
  let rowL = wg.y * ${MM_TILE}u + l.x;
  let raL = pu(3u) + rowL;
  // 64 of K per round: four loads of each operand per thread, one wait for all of them.
  for (var k0 = kBegin; k0 < K; k0 += 64u) {
    if (aAlongM) {
      ${
    load4("a", (q) =>
      `raL + ${k(`k0 + l.y + ${16 * q}u`)} * sa`, (q) =>
      `rowL < M && k0 + l.y + ${16 * q}u < K`, (q) =>
      `ta[l.x][l.y + ${16 * q}u]`)
  }
    } else {
      ${
    load4("a", (q) =>
      `ra + ${k(`k0 + l.x + ${16 * q}u`)} * sa`, (q) =>
      `row < M && k0 + l.x + ${16 * q}u < K`, (q) =>
      `ta[l.y][l.x + ${16 * q}u]`)
  }
    }
    ${
    load4("b", (q) =>
      `rb + ${k(`k0 + l.y + ${16 * q}u`)} * sb`, (q) =>
      `col < N && k0 + l.y + ${16 * q}u < K`, (q) =>
      `tb[l.y + ${16 * q}u][l.x]`)
  }
    workgroupBarrier();
    ${FMA64}
    workgroupBarrier();
  }
  if (row >= M || col >= N) { return; }
  if (split != 0u) {
    m[pu(15u) + (wg.z * M + row) * N + col] = acc;
    return;
  }
  let at = pu(9u) + entry * pu(10u) + col;
  let flags = pu(12u);
  if (pu(11u) != 0u) { acc += m[pu(11u) - 1u + col]; }
  if ((flags & 2u) != 0u) { acc = max(acc, 0.0); }
  if (pu(13u) != 0u && !(m[pu(13u) - 1u + entry * pu(10u) + col] > 0.0)) { acc = 0.0; }
  m[at] = acc;
}
`;
}
/**
 * C[m, n] = Σ_z partial[z, m, n]. Params: 0 M, 1 N, 2 S, 3 offPartial, 4 offC, 5 ldc, 6 offTotal
 * + 1 (0: S as given; else S = ⌈total / 7 per⌉, the layers that a GPU-sized dispatch ran).
 */
export const REDUCE = HEADER + /* wgsl */ `
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let M = pu(0u); let N = pu(1u);
  let i = g.x;
  if (i >= M * N) { return; }
  var S = pu(2u);
  if (pu(6u) != 0u) { S = (ubits(pu(6u) - 1u) + pu(7u) - 1u) / pu(7u); }
  var acc = 0.0;
  for (var z = 0u; z < S; z++) { acc += m[pu(3u) + z * M * N + i]; }
  m[pu(4u) + (i / N) * pu(5u) + i % N] = acc;
}
`;
