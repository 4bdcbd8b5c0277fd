/**
 * A WebGPU training engine for the LSTM: one batch's forward pass, RC spike finding, loss, BPTT,
 * the weight gradients and Adam, encoded by hand into one or two command buffers of WGSL compute
 * dispatches, with no tfjs op at all.
 *
 * Why: tfjs issues every op as its own program, ~0.14 ms each on an H100 with ~24 per time step
 * even with the fused cell (bench/README.md), so an LSTM step cost 3.4 ms where cuDNN's whole
 * sequence takes 2.2 ms. Here a time step is one dispatch forward and one backward, encoded
 * straight into the pass; everything else (the input projection of all steps, the readout of all
 * steps, the loss, the readout's backward, the weight gradients and Adam) is a few batched
 * dispatches per iteration.
 *
 * Semantics equal `nativeLossAndGrads` (lib/accel/cpu_engine.ts) and the tfjs paths, checked in
 * tests: each example's loss at its first spike (confidence >= θ, or the last step) or at given
 * steps; mean over the batch of `L - βH`; gradients in `model.variables` order. Adam as tfjs's
 * (ε = 1e-7, bias corrections from the step count), optionally after clipping the gradients' global
 * L2 norm as fit()'s tfjs path does (`clipByGlobalNorm`): the norm is reduced on the GPU and Adam
 * scales each gradient by min(1, clipNorm / max(norm, 1e-12)), with no readback. Every step also
 * counts, on the GPU, whether its loss or gradient norm was non-finite (read with `readTotals`).
 *
 * How RC skips work here: with given loss steps (EOS, or the benches' fixed t_sp) the forward and
 * backward passes encode only the steps up to the last loss step. With a threshold the forward
 * pass runs all T steps (which step every example spikes at is known only on the GPU), then the
 * loss steps are read back (`haltReadback`, default on) and the backward pass encodes only the
 * steps up to the latest spike; without the readback it encodes all T and masks the rest.
 *
 * Memory: one storage buffer holds weights, gradients, Adam's moments and every activation (offsets
 * in floats); a second holds four atomics (the latest loss step + 1, the example-steps needed, the
 * non-finite steps and the first of them + 1); per-dispatch parameters sit in a uniform buffer at
 * 256-byte slots, bound with a dynamic offset.
 * @module
 */
import type { SequenceBatch } from "../data/batch.ts";
import type { Readout } from "../rc/spike.ts";

/** What the engine needs of the model: its sizes. */
export interface GpuLstmShape {
  numInputs: number;
  hiddenSize: number;
  readoutHidden: number[];
  numOutputs: number;
}

/** Adam's settings (tfjs's defaults but the learning rate). */
export interface AdamSettings {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Clip the gradients' global L2 norm to this before Adam (tfjs path's `clipByGlobalNorm`). */
  clipNorm?: number;
}

const SLOT = 256; // bytes per uniform slot (minUniformBufferOffsetAlignment is at most 256)
const SLOT_U32 = SLOT / 4;
const MM_TILE = 16;
/** Rows of a gradient's sum per workgroup layer (split-K). */
const SPLIT_K = 256;
/** Workgroups of the gradients' sum of squares (partial sums, then one workgroup adds them). */
const NORM_GROUPS = 256;

/** 64 multiply-adds from the workgroup tiles, unrolled (the loop's overhead was most of a round). */
const fma64 = (acc: string) =>
  Array.from({ length: 64 }, (_, k) => `${acc} += ta[l.y][${k}] * tb[${k}][l.x];`).join("\n    ");
const FMA64 = fma64("acc");

/**
 * WGSL that loads four values into `name0..3` with unconditional loads (an out-of-range index
 * reads some other value of the buffer, never outside it: WebGPU bounds every access), all issued
 * before any is used, and stores them (or 0 where `ok(q)` fails) into workgroup memory.
 * Conditional loads one after another each waited for the memory's latency on the H100.
 */
function load4(
  name: string,
  index: (q: number) => string,
  ok: (q: number) => string,
  store: (q: number) => string,
): string {
  const q4 = [0, 1, 2, 3];
  return q4.map((q) => `let ${name}${q} = m[${index(q)}];`).join(" ") + "\n    " +
    q4.map((q) => `${store(q)} = select(0.0, ${name}${q}, ${ok(q)});`).join(" ");
}

const HEADER = /* wgsl */ `
struct P { u: array<vec4<u32>, 5>, f: vec4<f32> }
@group(0) @binding(0) var<storage, read_write> m: array<f32>;
@group(0) @binding(1) var<storage, read_write> ctl: array<atomic<u32>>;
@group(0) @binding(2) var<uniform> p: P;
fn pu(i: u32) -> u32 { return p.u[i / 4u][i % 4u]; }
fn ibits(at: u32) -> i32 { return bitcast<i32>(m[at]); }
fn ubits(at: u32) -> u32 { return bitcast<u32>(m[at]); }
fn sigm(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn tanh_(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  return sign(x) * (1.0 - e) / (1.0 + e);
}
`;

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
function matmulSource(gather: "none" | "rows" | "sum"): string {
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
 * WGSL that defines `b`, the example of this thread's row, and `valid`: every row below B, or with
 * `rows` the `r`-th entry of the step's index list (params `p`: offSC, the (start, count) pair;
 * `p + 1`: offList; `p + 2`: t B, subtracted from the entries, which are rows t B + b).
 */
function rowPrologue(rows: boolean, tile: number, p: number): string {
  if (!rows) return `let b = wg.y * ${tile}u + l.y;\n  let valid = b < B;`;
  return `let r = wg.y * ${tile}u + l.y;
  let cnt = ubits(pu(${p}u) + 1u);
  let valid = r < cnt;
  let b = ubits(pu(${p + 1}u) + ubits(pu(${p}u)) + min(r, max(cnt, 1u) - 1u)) - pu(${p + 2}u);`;
}

/**
 * One forward step for every example: z = xw_t (bias included) + h_{t-1} U; gates i, f, g, o.
 * A 16 x 16 tiled product (16 examples x 4 units' 4 gates) into workgroup memory, then the cell
 * for those 16 x 4 (example, unit) pairs: few, short dependent loads per thread rather than a
 * loop over all of h per output.
 * Params: 0 H, 1 B, 2 offXW_t, 3 offHC_{t} (state entering), 4 offHC_{t+1}, 5 offU, 6 offActs_t.
 *
 * With `rows` (GPU halting), the examples are those of the step's index list (7 offSC, 8 offList,
 * 9 t B), and the step projects its own inputs, x_t W + bias, for those rows (10 offX, rows t B + b,
 * 11 F, 12 offW, 13 offBias): the same products in the same order as the batched projection
 * (`MATMUL`), so the same values, with no projection of rows that do not run.
 */
/** WGSL: zx = x_t W + bias for the tile's rows and gate columns (see `cellForwardSource`). */
function projectRows(): string {
  return `let F = pu(11u);
  var accx = 0.0;
  let rx = pu(10u) + (b + pu(9u)) * F;
  let cw = pu(12u) + gate * H + unit;
  for (var k0 = 0u; k0 < F; k0 += 64u) {
    ${
    load4("a", (q) =>
      `rx + (k0 + l.x + ${16 * q}u)`, (q) =>
      `valid && k0 + l.x + ${16 * q}u < F`, (q) =>
      `ta[l.y][l.x + ${16 * q}u]`)
  }
    ${
    load4("w", (q) =>
      `cw + (k0 + l.y + ${16 * q}u) * G`, (q) =>
      `unit < H && k0 + l.y + ${16 * q}u < F`, (q) =>
      `tb[l.y + ${16 * q}u][l.x]`)
  }
    workgroupBarrier();
    ${fma64("accx")}
    workgroupBarrier();
  }
  zx[l.y][l.x] = accx + m[pu(13u) + min(gate * H + unit, G - 1u)];`;
}

function cellForwardSource(rows: boolean): string {
  return HEADER + /* wgsl */ `
var<workgroup> ta: array<array<f32, 64>, 16>;
var<workgroup> tb: array<array<f32, 16>, 64>;
var<workgroup> zs: array<array<f32, 16>, 16>;
${rows ? "var<workgroup> zx: array<array<f32, 16>, 16>;" : ""}
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let H = pu(0u); let B = pu(1u);
  let G = 4u * H;
  ${rowPrologue(rows, 16, 7)}
  let gate = l.x / 4u;
  let unit = wg.x * 4u + l.x % 4u;
  let hp = pu(3u);
  let U = pu(5u);
  ${rows ? projectRows() : ""}
  var acc = 0.0;
  let rh = hp + b * 2u * H;
  let cu = U + gate * H + unit;
  for (var k0 = 0u; k0 < H; k0 += 64u) {
    ${
    load4("a", (q) =>
      `rh + k0 + l.x + ${16 * q}u`, (q) =>
      `valid && k0 + l.x + ${16 * q}u < H`, (q) =>
      `ta[l.y][l.x + ${16 * q}u]`)
  }
    ${
    load4("w", (q) =>
      `cu + (k0 + l.y + ${16 * q}u) * G`, (q) =>
      `unit < H && k0 + l.y + ${16 * q}u < H`, (q) =>
      `tb[l.y + ${16 * q}u][l.x]`)
  }
    workgroupBarrier();
    ${FMA64}
    workgroupBarrier();
  }
  zs[l.y][l.x] = acc;
  workgroupBarrier();
  let j = wg.x * 4u + l.x;
  if (l.x >= 4u || !valid || j >= H) { return; }
  ${
    rows
      ? `let i = sigm(zs[l.y][l.x] + zx[l.y][l.x]);
  let f = sigm(zs[l.y][4u + l.x] + zx[l.y][4u + l.x]);
  let gg = tanh_(zs[l.y][8u + l.x] + zx[l.y][8u + l.x]);
  let o = sigm(zs[l.y][12u + l.x] + zx[l.y][12u + l.x]);`
      : `let xw = pu(2u) + b * G;
  let i = sigm(zs[l.y][l.x] + m[xw + j]);
  let f = sigm(zs[l.y][4u + l.x] + m[xw + H + j]);
  let gg = tanh_(zs[l.y][8u + l.x] + m[xw + 2u * H + j]);
  let o = sigm(zs[l.y][12u + l.x] + m[xw + 3u * H + j]);`
  }
  let c = f * m[hp + b * 2u * H + H + j] + i * gg;
  let tc = tanh_(c);
  let hn = pu(4u) + b * 2u * H;
  m[hn + j] = o * tc;
  m[hn + H + j] = c;
  let a = pu(6u) + b * 5u * H;
  m[a + j] = i; m[a + H + j] = f; m[a + 2u * H + j] = gg; m[a + 3u * H + j] = o; m[a + 4u * H + j] = tc;
}
`;
}

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
const CONF = /* wgsl */ `
fn conf(z: u32, O: u32, ro: u32) -> f32 {
  if (ro == 0u) { let s = sigm(m[z]); return max(s, 1.0 - s); }
  if (ro == 1u) {
    var best = 0.0;
    for (var j = 0u; j < O; j++) { best = max(best, sigm(m[z + j])); }
    return best;
  }
  var mx = -3.4e38;
  for (var j = 0u; j < O; j++) { mx = max(mx, m[z + j]); }
  var sum = 0.0;
  for (var j = 0u; j < O; j++) { sum += exp(m[z + j] - mx); }
  return 1.0 / sum;
}
`;

const TAKE = HEADER + CONF + /* wgsl */ `
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
 * One backward step for every example (zero where the step is after its loss step):
 * dh = [t = s] dh_loss + [t < s] dz_{t+1} Uᵀ, dc = [t < s] dc_{t+1} + dh o (1 - tanh²c).
 * dz_{t+1} Uᵀ as a tiled product (8 examples x 16 units), then the cell's backward for
 * each (example, unit) of the tile.
 * Params: 0 H, 1 B, 2 t, 3 offSteps, 4 offDhLoss ([B, H]), 5 offDZ_t, 6 offDZ_{t+1}, 7 offU,
 * 8 offActs_t, 9 offHC_t (state entering step t), 10 offDC_in, 11 offDC_out; with `rows`, the
 * examples are those of the step's index list: 12 offSC, 13 offList, 14 t B.
 */
function cellBackwardSource(rows: boolean): string {
  return HEADER + /* wgsl */ `
var<workgroup> ta: array<array<f32, 64>, 8>;
var<workgroup> tb: array<array<f32, 16>, 64>;
@compute @workgroup_size(16, 8)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) l: vec3<u32>) {
  let H = pu(0u); let B = pu(1u); let t = pu(2u);
  let G = 4u * H;
  ${rowPrologue(rows, 8, 12)}
  let j = wg.x * 16u + l.x;
  let dzn = pu(6u);
  let U = pu(7u);
  // dz_{t+1} Uᵀ: A(b, k) = dz_{t+1}[b, k], B(k, j) = U[j, k] (loaded along k, stored transposed).
  // Tiles of 8 examples: twice the workgroups of 16, for a product this short.
  var acc = 0.0;
  let rz = dzn + b * G;
  let jl = wg.x * 16u + l.y;
  let ru = U + jl * G;
  let ru8 = ru + 8u * G;
  for (var k0 = 0u; k0 < G; k0 += 64u) {
    ${
    load4("a", (q) =>
      `rz + k0 + l.x + ${16 * q}u`, (q) =>
      `valid && k0 + l.x + ${16 * q}u < G`, (q) =>
      `ta[l.y][l.x + ${16 * q}u]`)
  }
    ${
    load4("w", (q) =>
      `ru + k0 + l.x + ${16 * q}u`, (q) =>
      `jl < H && k0 + l.x + ${16 * q}u < G`, (q) =>
      `tb[l.x + ${16 * q}u][l.y]`)
  }
    ${
    load4("v", (q) =>
      `ru8 + k0 + l.x + ${16 * q}u`, (q) =>
      `jl + 8u < H && k0 + l.x + ${16 * q}u < G`, (q) =>
      `tb[l.x + ${16 * q}u][l.y + 8u]`)
  }
    workgroupBarrier();
    ${FMA64}
    workgroupBarrier();
  }
  if (j >= H || !valid) { return; }
  // Every load first (none depends on another), then the arithmetic with selects.
  let s = u32(bitcast<i32>(m[pu(3u) + b]));
  let dhLoss = m[pu(4u) + b * H + j];
  let dcIn = m[pu(10u) + b * H + j];
  let a = pu(8u) + b * 5u * H;
  let i = m[a + j]; let f = m[a + H + j]; let gg = m[a + 2u * H + j]; let o = m[a + 3u * H + j];
  let tc = m[a + 4u * H + j];
  let cp = m[pu(9u) + b * 2u * H + H + j];
  let after = t > s;
  let dh = select(0.0, dhLoss, t == s) + select(0.0, acc, t < s);
  let dc = select(0.0, dcIn, t < s) + dh * o * (1.0 - tc * tc);
  let dz = pu(5u) + b * G;
  m[dz + j] = select(dc * gg * i * (1.0 - i), 0.0, after);
  m[dz + H + j] = select(dc * cp * f * (1.0 - f), 0.0, after);
  m[dz + 2u * H + j] = select(dc * i * (1.0 - gg * gg), 0.0, after);
  m[dz + 3u * H + j] = select(dh * tc * o * (1.0 - o), 0.0, after);
  m[pu(11u) + b * H + j] = select(dc * f, 0.0, after);
}
`;
}

/**
 * Adam over the flat weights, each gradient times the clipping scale first. Params: 0 count, 1 offW,
 * 2 offG, 3 offM, 4 offV, 5 offScale; f: lr', β1, β2, ε'.
 */
const ADAM = HEADER + /* wgsl */ `
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
 * C[m, n] = Σ_z partial[z, m, n]. Params: 0 M, 1 N, 2 S, 3 offPartial, 4 offC, 5 ldc, 6 offTotal
 * + 1 (0: S as given; else S = ⌈total / 7 per⌉, the layers that a GPU-sized dispatch ran).
 */
const REDUCE = HEADER + /* wgsl */ `
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

/**
 * GPU halting. The examples still running at step t are a list of rows t B + b, sorted, in one
 * array of every step's lists back to back (the example-steps that run, in the order the masked
 * path's rows have); a (start, count) pair per step locates each. `INIT` starts a batch: step 0's
 * list is every example; `COMPACT`, after step t's readout, keeps the examples that have not
 * spiked (or reached their given step) in step t + 1's list and writes their loss step for the
 * others. Both write the workgroup counts of the later dispatches (`args`, read by
 * `dispatchWorkgroupsIndirect`): per step, J entries of (x, ⌈count / div⌉, 1) from a table of
 * (x, div) pairs, then the gradient products' (x, y, ⌈total / per⌉) from a table of triples.
 * Nothing is read back: a step after every example has spiked costs dispatches of no workgroups.
 */
const HALT_HEADER = HEADER + /* wgsl */ `
@group(0) @binding(3) var<storage, read_write> args: array<u32>;
fn writeStepArgs(t: u32, count: u32, J: u32, table: u32) {
  for (var j = 0u; j < J; j++) {
    let div = ubits(table + 2u * j + 1u);
    let a = (t * J + j) * 3u;
    args[a] = ubits(table + 2u * j);
    args[a + 1u] = (count + div - 1u) / div;
    args[a + 2u] = 1u;
  }
}
fn writeFinalArgs(total: u32, T: u32, J: u32, table: u32, n: u32) {
  for (var q = 0u; q < n; q++) {
    let a = (T * J + q) * 3u;
    let per = ubits(table + 3u * q + 2u);
    args[a] = ubits(table + 3u * q);
    args[a + 1u] = ubits(table + 3u * q + 1u);
    args[a + 2u] = select(0u, (total + per - 1u) / max(per, 1u), per != 0u);
  }
}
`;

/**
 * Params: 0 B, 1 T, 2 offList, 3 offSC, 4 offStepTable, 5 J, 6 offFinalTable, 7 nFinal,
 * 8 offTotal.
 */
const INIT = HALT_HEADER + /* wgsl */ `
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) l: vec3<u32>) {
  let B = pu(0u); let T = pu(1u); let J = pu(5u);
  for (var b = l.x; b < B; b += 256u) { m[pu(2u) + b] = bitcast<f32>(b); }
  for (var t = 1u + l.x; t < T; t += 256u) {
    m[pu(3u) + 2u * t] = 0.0;
    m[pu(3u) + 2u * t + 1u] = 0.0;
  }
  for (var i = 3u * J + l.x; i < 3u * J * T; i += 256u) { args[i] = 0u; }
  if (l.x != 0u) { return; }
  m[pu(3u)] = bitcast<f32>(0u);
  m[pu(3u) + 1u] = bitcast<f32>(B);
  m[pu(8u)] = bitcast<f32>(B);
  writeStepArgs(0u, B, J, pu(4u));
  writeFinalArgs(B, T, J, pu(6u), pu(7u));
}
`;

/**
 * After step t's readout: each listed example spikes (confidence >= θ, or t = T - 1) or, with a
 * given step (>= 0), stops there; the others, in order, make step t + 1's list (a workgroup prefix
 * sum). Params: 0 B, 1 T, 2 t, 3 O, 4 readout, 5 offLogits (rows t B + b), 6 offList, 7 offSC,
 * 8 offSteps (out, i32 bits), 9 offGiven (i32 bits, -1: RC), 10 offStepTable, 11 J,
 * 12 offFinalTable, 13 nFinal, 14 offTotal. f: θ.
 */
const COMPACT = HALT_HEADER + CONF + /* wgsl */ `
var<workgroup> scan: array<u32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) l: vec3<u32>) {
  let B = pu(0u); let T = pu(1u); let t = pu(2u);
  let sc = pu(7u) + 2u * t;
  let start = ubits(sc);
  let count = ubits(sc + 1u);
  let more = t + 1u < T;
  var kept = 0u;
  // Over B, not count, so that the barriers sit in uniform control flow.
  for (var c0 = 0u; c0 < B; c0 += 256u) {
    let r = c0 + l.x;
    var keep = 0u;
    var entry = 0u;
    if (r < count) {
      entry = ubits(pu(6u) + start + r);
      let b = entry - t * B;
      let given = ibits(pu(9u) + b);
      var stop = !more;
      if (given >= 0) {
        stop = stop || u32(given) <= t;
      } else {
        stop = stop || conf(pu(5u) + entry * pu(3u), pu(3u), pu(4u)) >= p.f.x;
      }
      if (stop) { m[pu(8u) + b] = bitcast<f32>(i32(t)); } else { keep = 1u; }
    }
    scan[l.x] = keep;
    workgroupBarrier();
    for (var w = 1u; w < 256u; w *= 2u) {
      var v = scan[l.x];
      if (l.x >= w) { v += scan[l.x - w]; }
      workgroupBarrier();
      scan[l.x] = v;
      workgroupBarrier();
    }
    if (keep == 1u) {
      m[pu(6u) + start + count + kept + scan[l.x] - 1u] = bitcast<f32>(entry + B);
    }
    kept += scan[255];
    workgroupBarrier();
  }
  if (l.x != 0u || count == 0u) { return; }
  let total = start + count + kept;
  m[pu(14u)] = bitcast<f32>(total);
  if (more) {
    m[sc + 2u] = bitcast<f32>(start + count);
    m[sc + 3u] = bitcast<f32>(kept);
    writeStepArgs(t + 1u, kept, pu(11u), pu(10u));
  }
  writeFinalArgs(total, T, pu(11u), pu(12u), pu(13u));
}
`;

/** Adds the workgroups of every indirect dispatch of the batch to ctl[4]. Params: 0 triples. */
const TALLY = HALT_HEADER + /* wgsl */ `
@compute @workgroup_size(1)
fn main() {
  var n = 0u;
  for (var i = 0u; i < pu(0u); i++) { n += args[3u * i] * args[3u * i + 1u] * args[3u * i + 2u]; }
  atomicAdd(&ctl[4], n);
}
`;

/**
 * Adds the batch's loss (Σ of the per-example terms) to a running total and keeps it for the
 * non-finite check. Params: 0 B, 1 offLoss, 2 offTotal, 3 offStepLoss.
 */
const ACCUMULATE = HEADER + /* wgsl */ `
@compute @workgroup_size(1)
fn main() {
  var acc = 0.0;
  for (var b = 0u; b < pu(0u); b++) { acc += m[pu(1u) + b]; }
  m[pu(2u)] += acc;
  m[pu(3u)] = acc;
}
`;

/**
 * Partial sums of the gradients' squares, one per workgroup (NORM_GROUPS of them), each in a fixed
 * order. Params: 0 count, 1 offG, 2 offPartial.
 */
const SUM_SQUARES = HEADER + /* wgsl */ `
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
const GRAD_NORM = HEADER + /* wgsl */ `
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

/** Sets the latest-loss-step atomic to 0. */
const RESET = HEADER + /* wgsl */ `
@compute @workgroup_size(1)
fn main() { atomicStore(&ctl[0], 0u); }
`;

const KERNELS = {
  matmul: () => matmulSource("none"),
  matmulRows: () => matmulSource("rows"),
  matmulSum: () => matmulSource("sum"),
  cellForward: () => cellForwardSource(false),
  cellForwardRows: () => cellForwardSource(true),
  take: () => TAKE,
  cellBackward: () => cellBackwardSource(false),
  cellBackwardRows: () => cellBackwardSource(true),
  adam: () => ADAM,
  reduce: () => REDUCE,
  accumulate: () => ACCUMULATE,
  reset: () => RESET,
  sumSquares: () => SUM_SQUARES,
  gradNorm: () => GRAD_NORM,
  init: () => INIT,
  compact: () => COMPACT,
  tally: () => TALLY,
};
type Kernel = keyof typeof KERNELS;
const PHASES: Record<Kernel, string> = {
  matmul: "products",
  matmulRows: "products",
  matmulSum: "products",
  cellForward: "forward steps",
  cellForwardRows: "forward steps",
  take: "loss",
  cellBackward: "backward steps",
  cellBackwardRows: "backward steps",
  adam: "adam",
  reduce: "products",
  reset: "loss",
  accumulate: "loss",
  sumSquares: "gradient norm",
  gradNorm: "gradient norm",
  init: "halting",
  compact: "halting",
  tally: "halting",
};
/** The kernels that write the indirect dispatches' workgroup counts (bind `args` as storage). */
const WRITES_ARGS = new Set<Kernel>(["init", "compact", "tally"]);

interface Dispatch {
  kernel: Kernel;
  u: number[];
  f?: number[];
  groups: [number, number?, number?];
  /** What part of the iteration it belongs to (for `timing`); default: the kernel's name. */
  phase?: string;
  /** Dispatched with the workgroup counts the GPU wrote at this triple of `args`. */
  indirect?: number;
}

/** What `readTotals` returns: sums over the steps since its last call. */
export interface GpuTotals {
  /** Σ of the steps' losses (each the mean over its batch). */
  lossSum: number;
  /** Σ over steps and examples of loss step + 1. */
  neededSteps: number;
  /** Steps taken. */
  steps: number;
  /** Steps whose loss or gradient norm was NaN or ±Inf. */
  nonFiniteSteps: number;
  /** Index among those `steps` of the first non-finite one; -1 when none. */
  firstNonFiniteStep: number;
  /** Workgroups dispatched: the host's direct dispatches plus those the GPU sized (indirect). */
  workgroups: number;
}

/** What one iteration asks for. */
export interface GpuStepOptions {
  readout: Readout;
  beta: number;
  /** RC: each example's loss at its first spike. Exactly one of this and `steps`. */
  threshold?: number;
  /** Given loss steps (EOS: all T - 1). */
  steps?: Int32Array;
  /** Apply Adam after the gradients (default: true when the engine has Adam settings). */
  adam?: boolean;
  /**
   * How the steps after each example's loss step are skipped (default "gpu" with a threshold,
   * "mask" with given steps):
   * - "gpu": halting decided on the GPU, no readback: after each step's readout the GPU lists the
   *   examples still running and sizes the later dispatches (`dispatchWorkgroupsIndirect`); the
   *   forward step, readout, backward step and gradient sums run over those examples only.
   * - "readback": the forward pass runs every step for every example, the loss steps are read
   *   back (~11 ms in Deno), and the backward pass encodes the steps up to the latest of them.
   * - "mask": every step for every example, the backward pass masked after each loss step (with
   *   given steps: up to the latest of them).
   */
  halting?: "gpu" | "readback" | "mask";
  /** @deprecated use `halting`: true is "readback", false "mask". */
  haltReadback?: boolean;
}

/** Per device: the bind group layout and the kernels compiled so far (every engine shares them). */
const perDevice = new WeakMap<GPUDevice, {
  layout: GPUBindGroupLayout;
  pipelineLayout: GPUPipelineLayout;
  pipelines: Map<Kernel, GPUComputePipeline>;
}>();

function compiled(device: GPUDevice) {
  let entry = perDevice.get(device);
  if (!entry) {
    const layout = device.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: "storage" } },
        { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: "storage" } },
        {
          binding: 2,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: "uniform", hasDynamicOffset: true, minBindingSize: SLOT },
        },
        { binding: 3, visibility: GPUShaderStage.COMPUTE, buffer: { type: "storage" } },
      ],
    });
    const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
    entry = { layout, pipelineLayout, pipelines: new Map() };
    perDevice.set(device, entry);
  }
  return entry;
}

/**
 * The engine for one model shape, batch size and sequence length. Weights live on the GPU from
 * `create` on; `readWeights` brings them back.
 */
export class GpuLstmEngine {
  readonly device: GPUDevice;
  readonly shape: GpuLstmShape;
  readonly T: number;
  readonly B: number;
  /** Forward and backward steps encoded by the last `step` (example-steps are these times B). */
  lastForwardSteps = 0;
  lastBackwardSteps = 0;
  /** Dispatches encoded by the last `step`. */
  lastDispatches = 0;
  /** Whether the last `step` halted on the GPU (then its example-steps are `readTotals`' needed). */
  lastHalting: "gpu" | "readback" | "mask" = "mask";
  private adamSettings: AdamSettings | null;
  private adamStep = 0;
  private buffer: GPUBuffer;
  private ctl: GPUBuffer;
  /** Workgroup counts of the indirect dispatches, written by the GPU (GPU halting). */
  private args: GPUBuffer;
  private uniforms: GPUBuffer;
  private uniformSlots: number;
  private pipelines: Map<Kernel, GPUComputePipeline>;
  private bindGroup: GPUBindGroup;
  /** The bind group of the kernels that write `args` (the others must not bind it as storage). */
  private argsBindGroup: GPUBindGroup;
  private dummy: GPUBuffer;
  private pipelineLayout: GPUPipelineLayout;
  private layout: GPUBindGroupLayout;
  /** Indirect entries per step (unused, forward step, readout layers, backward step). */
  private J: number;
  /** The gradient products' split plans (null: one layer), dU, dW, db. */
  private productPlans: ({ per: number; layers: number } | null)[] = [];
  private directWorkgroups = 0;
  private sizes: number[];
  /** Weights in all (the sum of `sizes`). */
  private paramCount: number;
  private off: Record<string, number> = {};
  private layerOff: { w: number; b: number; out: number; gather: number; grad: number }[] = [];
  private weightOff: number[] = [];
  private total = 0;
  private partialFloats = 0;
  private stepsSinceTotals = 0;
  private timing: {
    pending: {
      staging: GPUBuffer;
      resolved: GPUBuffer;
      querySet: GPUQuerySet;
      phases: string[];
    }[];
  } | null = null;

  private constructor(
    device: GPUDevice,
    shape: GpuLstmShape,
    T: number,
    B: number,
    adam: AdamSettings | null,
  ) {
    this.device = device;
    this.shape = shape;
    this.T = T;
    this.B = B;
    this.adamSettings = adam;
    const { numInputs: F, hiddenSize: H, numOutputs: O } = shape;
    const G = 4 * H;
    const layers = [H, ...shape.readoutHidden, O];
    const K = layers.length - 1;
    this.sizes = [F * G, H * G, G];
    for (let i = 1; i <= K; i++) this.sizes.push(layers[i - 1] * layers[i], layers[i]);
    const P = this.sizes.reduce((a, b) => a + b, 0);
    this.paramCount = P;
    let next = 0;
    const alloc = (name: string, n: number) => {
      this.off[name] = next;
      next += Math.ceil(n / 64) * 64 + 64;
      return this.off[name];
    };
    alloc("weights", P);
    alloc("grads", P);
    alloc("adamM", P);
    alloc("adamV", P);
    alloc("x", T * B * F);
    alloc("y", B);
    alloc("given", B);
    alloc("xw", T * B * G);
    alloc("hc", (T + 1) * B * 2 * H);
    alloc("acts", T * B * 5 * H);
    alloc("steps", B);
    alloc("loss", B);
    alloc("lossTotal", 1);
    alloc("stepLoss", 1);
    alloc("normPartial", NORM_GROUPS);
    alloc("gradNorm", 2);
    alloc("dhLoss", B * H);
    alloc("dz", T * B * G);
    alloc("dc0", B * H);
    alloc("dc1", B * H);
    alloc("ones", T * B);
    alloc("gatherH", B * H);
    alloc("layerTable", 2 * K);
    alloc("widths", K);
    // GPU halting: every step's list of running rows, their (start, count), the total, tables.
    this.J = K + 3;
    alloc("list", T * B);
    alloc("sc", 2 * T);
    alloc("total", 1);
    alloc("stepTable", 2 * this.J);
    alloc("finalTable", 9);
    // Partial sums of the split gradient products: up to 4 M floats.
    this.partialFloats = Math.min(4 << 20, Math.max(H, F) * G * Math.ceil((T * B) / SPLIT_K));
    alloc("partial", this.partialFloats);
    for (let i = 1; i <= K; i++) {
      this.layerOff.push({
        w: 0,
        b: 0,
        out: alloc(`out${i}`, T * B * layers[i]),
        gather: i < K ? alloc(`gather${i}`, B * layers[i]) : -1,
        grad: alloc(`grad${i}`, B * layers[i]),
      });
    }
    let w = 0;
    for (const n of this.sizes) {
      this.weightOff.push(w);
      w += n;
    }
    for (let i = 1; i <= K; i++) {
      this.layerOff[i - 1].w = this.off.weights + this.weightOff[1 + 2 * i];
      this.layerOff[i - 1].b = this.off.weights + this.weightOff[2 + 2 * i];
    }
    this.total = next;
    const bytes = next * 4;
    const limit = device.limits.maxStorageBufferBindingSize;
    if (bytes > limit) {
      throw new Error(
        `gpu_engine: needs a ${
          (bytes / 2 ** 20).toFixed(1)
        } MiB storage buffer, the device allows ` +
          `${(limit / 2 ** 20).toFixed(1)} MiB: use a smaller batch or sequence, or a device ` +
          `created with a higher maxStorageBufferBindingSize`,
      );
    }
    this.buffer = device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.ctl = device.createBuffer({
      size: 32,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    this.args = device.createBuffer({
      size: (T * this.J + 3) * 12,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.INDIRECT | GPUBufferUsage.COPY_SRC,
    });
    this.dummy = device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE });
    this.uniformSlots = T * (K + 6) + 64;
    this.uniforms = device.createBuffer({
      size: this.uniformSlots * SLOT,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    const shared = compiled(device);
    this.layout = shared.layout;
    this.pipelineLayout = shared.pipelineLayout;
    this.pipelines = shared.pipelines;
    const group = (args: GPUBuffer) =>
      device.createBindGroup({
        layout: this.layout,
        entries: [
          { binding: 0, resource: { buffer: this.buffer } },
          { binding: 1, resource: { buffer: this.ctl } },
          { binding: 2, resource: { buffer: this.uniforms, size: SLOT } },
          { binding: 3, resource: { buffer: args } },
        ],
      });
    this.bindGroup = group(this.dummy);
    this.argsBindGroup = group(this.args);
    for (const name of ["matmul", "cellForward", "take", "cellBackward"] as Kernel[]) {
      this.pipeline(name); // the rest on first use
    }
    // Constant tables: ones, the layer table, widths.
    device.queue.writeBuffer(this.buffer, this.off.ones * 4, new Float32Array(T * B).fill(1));
    const table = new Uint32Array(2 * K);
    const widths = new Uint32Array(K);
    for (let i = 1; i < K; i++) {
      table[2 * (i - 1)] = this.layerOff[i - 1].out;
      table[2 * (i - 1) + 1] = this.layerOff[i - 1].gather;
      widths[i - 1] = layers[i];
    }
    device.queue.writeBuffer(this.buffer, this.off.layerTable * 4, table);
    device.queue.writeBuffer(this.buffer, this.off.widths * 4, widths);
    // GPU halting's tables: (x, div) per step entry; (x, y, per) per split gradient product.
    const stepTable = [
      0, // (unused: each step's cell projects its own rows' inputs)
      MM_TILE,
      Math.ceil(H / 4),
      16,
      ...layers.slice(1).flatMap((n) => [Math.ceil(n / MM_TILE), MM_TILE]),
      Math.ceil(H / 16),
      8,
    ];
    device.queue.writeBuffer(this.buffer, this.off.stepTable * 4, Uint32Array.from(stepTable));
    const finalTable = new Uint32Array(9);
    [[H, G], [F, G], [1, G]].forEach(([M, N], q) => {
      const plan = this.splitPlan(M, N, T * B);
      this.productPlans.push(plan);
      if (plan) finalTable.set([Math.ceil(N / MM_TILE), Math.ceil(M / MM_TILE), plan.per], 3 * q);
    });
    device.queue.writeBuffer(this.buffer, this.off.finalTable * 4, finalTable);
  }

  /** The compute pipeline of `kernel` (compiled on first use, shared by the device's engines). */
  private pipeline(kernel: Kernel): GPUComputePipeline {
    let pipeline = this.pipelines.get(kernel);
    if (!pipeline) {
      const module = this.device.createShaderModule({
        code: KERNELS[kernel](),
        label: `gpu_engine ${kernel}`,
      });
      pipeline = this.device.createComputePipeline({
        layout: this.pipelineLayout,
        compute: { module, entryPoint: "main" },
        label: `gpu_engine ${kernel}`,
      });
      this.pipelines.set(kernel, pipeline);
    }
    return pipeline;
  }

  /**
   * How a gradient sum over up to `K` rows splits into layers run in parallel (as many as the
   * partial-sum memory allows), each `per` rows, a whole number of the kernel's rounds of 64; null
   * when it runs as one.
   */
  private splitPlan(M: number, N: number, K: number): { per: number; layers: number } | null {
    const layers = Math.min(Math.ceil(K / SPLIT_K), Math.floor(this.partialFloats / (M * N)));
    if (layers <= 1) return null;
    const per = Math.ceil(K / layers / 64) * 64;
    return { per, layers: Math.ceil(K / per) };
  }

  /**
   * An engine on `device` for `shape`, sequences of `T` steps and batches of `B`, holding
   * `weights` (in `model.variables` order: W, U, b, then weight and bias of each readout layer).
   * With `adam`, `step` also applies Adam (moments start at zero).
   */
  static async create(
    device: GPUDevice,
    shape: GpuLstmShape,
    weights: Float32Array[],
    sizes: { T: number; B: number },
    adam: AdamSettings | null = null,
  ): Promise<GpuLstmEngine> {
    device.pushErrorScope("out-of-memory");
    device.pushErrorScope("validation");
    const engine = new GpuLstmEngine(device, shape, sizes.T, sizes.B, adam);
    const invalid = await device.popErrorScope();
    const outOfMemory = await device.popErrorScope();
    const error = invalid ?? outOfMemory;
    if (error) {
      engine.destroy();
      throw new Error(
        `gpu_engine: WebGPU refused the engine (${engine.bytes} bytes for T ${sizes.T}, ` +
          `B ${sizes.B}, hidden ${shape.hiddenSize}): ${error.message}`,
      );
    }
    engine.writeWeights(weights);
    return engine;
  }

  /** Replaces the weights (`model.variables` order) and resets Adam. */
  writeWeights(weights: Float32Array[]): void {
    if (weights.length !== this.sizes.length) {
      throw new Error(
        `gpu_engine: ${weights.length} weight arrays, the model has ${this.sizes.length}`,
      );
    }
    const flat = new Float32Array(this.paramCount);
    weights.forEach((w, k) => {
      if (w.length !== this.sizes[k]) {
        throw new Error(
          `gpu_engine: weight ${k} has ${w.length} values, expected ${this.sizes[k]}`,
        );
      }
      flat.set(w, this.weightOff[k]);
    });
    const q = this.device.queue;
    q.writeBuffer(this.buffer, this.off.weights * 4, flat);
    const zeros = new Float32Array(flat.length);
    q.writeBuffer(this.buffer, this.off.adamM * 4, zeros);
    q.writeBuffer(this.buffer, this.off.adamV * 4, zeros);
    this.adamStep = 0;
  }

  /**
   * Encodes and submits one iteration: forward, loss, backward, gradients and (with Adam) the
   * update. Returns once it is submitted (or, with a threshold and `haltReadback`, once the loss
   * steps are read back between the two halves); read results with `readLoss`, `readSteps`,
   * `readGrads`, `readWeights`.
   */
  async step(batch: SequenceBatch, opts: GpuStepOptions): Promise<void> {
    const { T, B } = this;
    const { numInputs: F, hiddenSize: H, numOutputs: O } = this.shape;
    const G = 4 * H;
    this.checkBatch(batch);
    if ((opts.threshold === undefined) === (opts.steps === undefined)) {
      throw new Error("gpu_engine: give exactly one of threshold (RC) and steps");
    }
    if (opts.readout === "binary" && O !== 1) {
      throw new Error(`The binary readout needs 1 output unit: the model has ${O}.`);
    }
    const halting = opts.halting ??
      (opts.haltReadback !== undefined
        ? (opts.haltReadback ? "readback" : "mask")
        : opts.threshold !== undefined
        ? "gpu"
        : "mask");
    if (!["gpu", "readback", "mask"].includes(halting)) {
      throw new Error(
        `gpu_engine: halting is "gpu", "readback" or "mask": current value is ${halting}`,
      );
    }
    const onGpu = halting === "gpu";
    const given = opts.steps ? Int32Array.from(opts.steps) : new Int32Array(B).fill(-1);
    let nForward = T;
    if (opts.steps) {
      let max = 0;
      for (const s of opts.steps) {
        if (!(s >= 0 && s < T)) throw new Error(`gpu_engine: loss step ${s} outside [0, ${T})`);
        max = Math.max(max, s);
      }
      nForward = max + 1;
    }
    this.upload(batch, nForward);
    this.device.queue.writeBuffer(this.buffer, this.off.y * 4, Int32Array.from(batch.y));
    this.device.queue.writeBuffer(this.buffer, this.off.given * 4, given);
    const layers = [H, ...this.shape.readoutHidden, O];
    const K = layers.length - 1;
    const o = this.off;
    const hc = (t: number) => o.hc + t * B * 2 * H;
    const readoutCode = opts.readout === "binary" ? 0 : opts.readout === "sigmoid" ? 1 : 2;
    const first: Dispatch[] = [
      { kernel: "reset", u: [], groups: [1] },
      ...(onGpu
        ? this.forward(nForward, { readoutCode, threshold: opts.threshold ?? 0 })
        : this.forward(nForward)),
    ];
    first.push({
      kernel: "take",
      u: [
        B,
        O,
        H,
        nForward,
        this.layerOff[K - 1].out,
        o.y,
        onGpu ? o.steps : o.given, // halting on the GPU has written every loss step
        o.steps,
        o.loss,
        this.layerOff[K - 1].grad,
        hc(1),
        o.gatherH,
        readoutCode,
        K,
        o.layerTable,
        o.widths,
      ],
      f: [opts.threshold ?? 0, opts.beta, 1 / B],
      groups: [Math.ceil(B / 64)],
    });
    first.push({
      kernel: "accumulate",
      u: [B, o.loss, o.lossTotal, o.stepLoss],
      groups: [1],
    });
    const stepIndex = this.stepsSinceTotals++;

    // Backward steps to encode.
    let nBackward = nForward;
    const second: Dispatch[] = [];
    const readback = opts.threshold !== undefined && halting === "readback";
    let slot = 0;
    if (readback) {
      slot = this.submit(first, 0);
      const steps = await this.readSteps();
      nBackward = Math.max(...steps) + 1;
    } else {
      second.push(...first);
    }

    // Readout backward at each example's loss step: grads of the readout weights, d loss / dh.
    const gOff = (k: number) => o.grads + this.weightOff[k];
    for (let i = K; i >= 1; i--) {
      const L = this.layerOff[i - 1];
      const Lin = layers[i - 1];
      const Lout = layers[i];
      const input = i === 1 ? o.gatherH : this.layerOff[i - 2].gather;
      second.push(this.mm({
        phase: "readout backward",
        M: Lin,
        N: Lout,
        K: B,
        a: [input, 1, Lin],
        b: [L.grad, Lout, 1],
        c: [gOff(1 + 2 * i), Lout],
      }));
      second.push(this.mm({
        phase: "readout backward",
        M: 1,
        N: Lout,
        K: B,
        a: [o.ones, 0, 1],
        b: [L.grad, Lout, 1],
        c: [gOff(2 + 2 * i), Lout],
      }));
      second.push(this.mm({
        phase: "readout backward",
        M: B,
        N: Lin,
        K: Lout,
        a: [L.grad, Lout, 1],
        b: [L.w, 1, Lout],
        c: i === 1 ? [o.dhLoss, H] : [this.layerOff[i - 2].grad, Lin],
        mask: i === 1 ? undefined : input,
      }));
    }
    const dz = (t: number) => o.dz + t * B * G;
    for (let t = nBackward - 1; t >= 0; t--) {
      const u = [
        H,
        B,
        t,
        o.steps,
        o.dhLoss,
        dz(t),
        dz(Math.min(t + 1, T - 1)),
        o.weights + this.weightOff[1],
        o.acts + t * B * 5 * H,
        hc(t),
        (t + 1) % 2 ? o.dc1 : o.dc0,
        t % 2 ? o.dc1 : o.dc0,
      ];
      second.push(
        onGpu
          ? {
            kernel: "cellBackwardRows",
            u: [...u, o.sc + 2 * t, o.list, t * B],
            groups: [Math.ceil(H / 16), Math.ceil(B / 8)],
            indirect: t * this.J + K + 2,
          }
          : { kernel: "cellBackward", u, groups: [Math.ceil(H / 16), Math.ceil(B / 8)] },
      );
    }
    // The weights' gradients: sums over the example-steps (GPU halting: those that ran).
    const rows = nBackward * B;
    const products: Parameters<GpuLstmEngine["mm"]>[0][] = [
      { M: H, N: G, K: rows, a: [o.hc, 1, 2 * H], b: [o.dz, G, 1], c: [gOff(1), G] },
      { M: F, N: G, K: rows, a: [o.x, 1, F], b: [o.dz, G, 1], c: [gOff(0), G] },
      { M: 1, N: G, K: rows, a: [o.ones, 0, 1], b: [o.dz, G, 1], c: [gOff(2), G] },
    ];
    products.forEach((d, q) => {
      d.phase = "weight gradients";
      second.push(...(onGpu ? this.mmSum(d, q) : this.mmSplit(d)));
    });
    if (onGpu) second.push({ kernel: "tally", u: [T * this.J + 3], groups: [1] });
    // The global norm, the clipping scale and the non-finite check (no readback).
    const count = this.paramCount;
    second.push({
      kernel: "sumSquares",
      u: [count, o.grads, o.normPartial],
      groups: [NORM_GROUPS],
    }, {
      kernel: "gradNorm",
      u: [o.normPartial, o.gradNorm, o.stepLoss, stepIndex],
      f: [this.adamSettings?.clipNorm ?? 0],
      groups: [1],
    });
    const adam = this.adamSettings && (opts.adam ?? true);
    if (adam) {
      const s = this.adamSettings!;
      const [b1, b2] = [s.beta1 ?? 0.9, s.beta2 ?? 0.999];
      const eps = s.epsilon ?? 1e-7;
      this.adamStep++;
      const c1 = 1 - b1 ** this.adamStep;
      const c2 = 1 - b2 ** this.adamStep;
      // lr m/c1 / (sqrt(v/c2) + ε) = (lr sqrt(c2)/c1) m / (sqrt(v) + ε sqrt(c2))
      const groups = Math.ceil(count / 256);
      const gx = Math.min(groups, 65535);
      second.push({
        kernel: "adam",
        u: [count, o.weights, o.grads, o.adamM, o.adamV, o.gradNorm + 1],
        f: [(s.learningRate * Math.sqrt(c2)) / c1, b1, b2, eps * Math.sqrt(c2)],
        groups: [gx, Math.ceil(groups / gx)],
      });
    }
    this.submit(second, slot);
    this.lastForwardSteps = nForward;
    this.lastBackwardSteps = nBackward;
    this.lastHalting = halting;
  }

  /** Throws unless `batch` has the engine's sizes. */
  private checkBatch(batch: SequenceBatch): void {
    const { T, B } = this;
    const F = this.shape.numInputs;
    if (batch.numSteps !== T || batch.batchSize !== B || batch.numFeatures !== F) {
      throw new Error(
        `gpu_engine: batch is T ${batch.numSteps}, B ${batch.batchSize}, F ${batch.numFeatures}; ` +
          `the engine was made for T ${T}, B ${B}, F ${F}`,
      );
    }
  }

  /** Checks `batch` and uploads its first `steps` steps of inputs. */
  private upload(batch: SequenceBatch, steps: number): void {
    this.checkBatch(batch);
    const { B } = this;
    const F = this.shape.numInputs;
    const x = batch.x as Float32Array<ArrayBuffer>;
    this.device.queue.writeBuffer(this.buffer, this.off.x * 4, x, 0, steps * B * F);
  }

  /**
   * The forward pass over `nForward` steps: the input projection (bias included), one dispatch
   * per step, then the readout of every step run (EOS needs only the last step's rows, but the
   * others cost one batched product, not a dispatch each).
   *
   * With `halt`, halting is decided on the GPU: `INIT` lists every example for step 0; each step
   * runs the cell (which projects its rows' inputs itself) and the readout layers over its listed
   * rows only (dispatches sized by the GPU), then `COMPACT` lists the rows that go on. Rows of a step an example did not reach are
   * never written.
   */
  private forward(
    nForward: number,
    halt?: { readoutCode: number; threshold: number },
  ): Dispatch[] {
    const { B, T, J } = this;
    const { numInputs: F, hiddenSize: H, numOutputs: O } = this.shape;
    const G = 4 * H;
    const o = this.off;
    const layers = [H, ...this.shape.readoutHidden, O];
    const K = layers.length - 1;
    const hc = (t: number) => o.hc + t * B * 2 * H;
    const list: Dispatch[] = [];
    if (halt) {
      list.push({
        kernel: "init",
        u: [B, T, o.list, o.sc, o.stepTable, J, o.finalTable, 3, o.total],
        groups: [1],
      });
    }
    const projection = {
      phase: "input projection",
      M: nForward * B,
      N: G,
      K: F,
      a: [o.x, F, 1] as [number, number, number],
      b: [o.weights + this.weightOff[0], G, 1] as [number, number, number],
      c: [o.xw, G] as [number, number],
      bias: o.weights + this.weightOff[2],
    };
    if (!halt) list.push(this.mm(projection));
    for (let t = 0; t < nForward; t++) {
      const u = [
        H,
        B,
        o.xw + t * B * G,
        hc(t),
        hc(t + 1),
        o.weights + this.weightOff[1],
        o.acts + t * B * 5 * H,
      ];
      const groups: [number, number] = [Math.ceil(H / 4), Math.ceil(B / 16)];
      if (!halt) {
        list.push({ kernel: "cellForward", u, groups });
        continue;
      }
      u.push(o.sc + 2 * t, o.list, t * B, o.x, F, projection.b[0], projection.bias);
      list.push({ kernel: "cellForwardRows", u, groups, indirect: t * J + 1 });
      // The readout of the listed rows: entries t B + b index every layer's rows; layer 1 reads h
      // after step t, row (t + 1) B + b of hc.
      list.push(...this.readout(B, o.hc + B * 2 * H, (d, i) => this.mmRows(d, t, 1 + i)));
      list.push({
        kernel: "compact",
        u: [
          B,
          T,
          t,
          O,
          halt.readoutCode,
          this.layerOff[K - 1].out,
          o.list,
          o.sc,
          o.steps,
          o.given,
          o.stepTable,
          J,
          o.finalTable,
          3,
          o.total,
        ],
        f: [halt.threshold],
        groups: [1],
      });
    }
    if (!halt) list.push(...this.readout(nForward * B, hc(1), (d) => this.mm(d)));
    return list;
  }

  /**
   * The readout layers' products over `M` rows, the first reading h from `hOffset` (rows of 2H),
   * each made a dispatch by `make` (given the layer's index from 1).
   */
  private readout(
    M: number,
    hOffset: number,
    make: (d: Parameters<GpuLstmEngine["mm"]>[0], i: number) => Dispatch,
  ): Dispatch[] {
    const H = this.shape.hiddenSize;
    const layers = [H, ...this.shape.readoutHidden, this.shape.numOutputs];
    const K = layers.length - 1;
    const out: Dispatch[] = [];
    let a: [number, number, number] = [hOffset, 2 * H, 1];
    for (let i = 1; i <= K; i++) {
      const L = this.layerOff[i - 1];
      out.push(make({
        phase: "readout",
        M,
        N: layers[i],
        K: layers[i - 1],
        a,
        b: [L.w, layers[i], 1],
        c: [L.out, layers[i]],
        bias: L.b,
        relu: i < K,
      }, i));
      a = [L.out, layers[i], 1];
    }
    return out;
  }

  /** `mm` over the rows listed for step `t`, with the GPU's workgroup counts (entry `j`). */
  private mmRows(d: Parameters<GpuLstmEngine["mm"]>[0], t: number, j: number): Dispatch {
    const dispatch = this.mm(d);
    dispatch.kernel = "matmulRows";
    dispatch.u.push(this.off.sc + 2 * t, this.off.list);
    dispatch.indirect = t * this.J + j;
    return dispatch;
  }

  /**
   * Gradient product `q` (dU, dW, db) summed over the example-steps that ran (the GPU's list): split
   * into layers as `mmSplit` does for the most rows, with as many layers dispatched as the list
   * needs, then added up.
   */
  private mmSum(d: Parameters<GpuLstmEngine["mm"]>[0], q: number): Dispatch[] {
    const first = this.mm(d);
    first.kernel = "matmulSum";
    first.u.push(this.off.total, this.off.list);
    const plan = this.productPlans[q];
    if (!plan) return [first];
    first.u[14] = plan.per;
    first.u[15] = this.off.partial;
    first.indirect = this.T * this.J + q;
    return [first, {
      kernel: "reduce",
      phase: d.phase,
      u: [d.M, d.N, 0, this.off.partial, d.c[0], d.c[1], this.off.total + 1, plan.per],
      groups: [Math.ceil((d.M * d.N) / 256)],
    }];
  }

  /**
   * Inference: the logits of every step of `batch` (`[T, B, O]`, step-major), all T steps run.
   */
  async logits(batch: SequenceBatch): Promise<Float32Array> {
    this.upload(batch, this.T);
    this.submit(this.forward(this.T), 0);
    const out = this.layerOff[this.layerOff.length - 1].out;
    return new Float32Array(await this.read(out, this.T * this.B * this.shape.numOutputs));
  }

  /**
   * RC-inference halting on the GPU: each example runs until its first spike (confidence >= θ
   * under `readout`, or the last step) and no further, decided on the GPU as in training. Returns
   * the logits (`[T, B, O]`, step-major; only the rows t <= steps[b] are this batch's, the rest
   * are stale) and each example's spike step, in one readback.
   */
  async haltingLogits(
    batch: SequenceBatch,
    opts: { readout: Readout; threshold: number },
  ): Promise<{ logits: Float32Array; steps: Int32Array }> {
    const { T, B } = this;
    const O = this.shape.numOutputs;
    if (opts.readout === "binary" && O !== 1) {
      throw new Error(`The binary readout needs 1 output unit: the model has ${O}.`);
    }
    this.upload(batch, T);
    this.device.queue.writeBuffer(this.buffer, this.off.given * 4, new Int32Array(B).fill(-1));
    const readoutCode = opts.readout === "binary" ? 0 : opts.readout === "sigmoid" ? 1 : 2;
    this.submit(this.forward(T, { readoutCode, threshold: opts.threshold }), 0);
    const out = this.layerOff[this.layerOff.length - 1].out;
    const [logits, steps] = await this.readRanges([[out, T * B * O], [this.off.steps, B]]);
    return { logits: new Float32Array(logits), steps: new Int32Array(steps) };
  }

  /**
   * Sums kept on the GPU over every `step` since the last call (no readback per step): the
   * losses (each step's mean over its batch), the example-steps needed (loss step + 1 per
   * example), the steps whose loss or gradient norm was NaN or ±Inf and the index of the first
   * of them among the `steps` (-1: none). Reading them costs one readback; it resets them.
   */
  async readTotals(): Promise<GpuTotals> {
    const [loss] = new Float32Array(await this.read(this.off.lossTotal, 1));
    const encoder = this.device.createCommandEncoder();
    const staging = this.device.createBuffer({
      size: 32,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    encoder.copyBufferToBuffer(this.ctl, 0, staging, 0, 32);
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const [, needed, nonFiniteSteps, first, indirect] = new Uint32Array(
      staging.getMappedRange(),
    );
    staging.destroy();
    const steps = this.stepsSinceTotals;
    this.stepsSinceTotals = 0;
    const workgroups = this.directWorkgroups + indirect;
    this.directWorkgroups = 0;
    this.device.queue.writeBuffer(this.buffer, this.off.lossTotal * 4, new Float32Array(1));
    this.device.queue.writeBuffer(this.ctl, 4, new Uint32Array(4));
    return {
      lossSum: loss,
      neededSteps: needed,
      steps,
      nonFiniteSteps,
      firstNonFiniteStep: first - 1,
      workgroups,
    };
  }

  /** The last iteration's global L2 norm of the gradients (before clipping). */
  async readGradNorm(): Promise<number> {
    return new Float32Array(await this.read(this.off.gradNorm, 1))[0];
  }

  private mm(d: {
    phase?: string;
    M: number;
    N: number;
    K: number;
    a: [number, number, number];
    b: [number, number, number];
    c: [number, number];
    bias?: number;
    relu?: boolean;
    mask?: number;
  }): Dispatch {
    return {
      kernel: "matmul",
      phase: d.phase,
      u: [
        d.M,
        d.N,
        d.K,
        ...d.a,
        ...d.b,
        ...d.c,
        d.bias === undefined ? 0 : d.bias + 1,
        d.relu ? 2 : 0,
        d.mask === undefined ? 0 : d.mask + 1,
        0,
        0,
      ],
      groups: [Math.ceil(d.N / MM_TILE), Math.ceil(d.M / MM_TILE)],
    };
  }

  /**
   * C = AᵀB-style gradient sums over many rows: the K rows split into layers of SPLIT_K run in
   * parallel (as much as the partial-sum memory allows), then added up. Two dispatches, or one.
   */
  private mmSplit(d: Parameters<GpuLstmEngine["mm"]>[0]): Dispatch[] {
    const plan = this.splitPlan(d.M, d.N, d.K);
    if (!plan) return [this.mm(d)];
    const { per, layers: S } = plan;
    const first = this.mm(d);
    first.u[14] = per;
    first.u[15] = this.off.partial;
    first.groups[2] = S;
    return [first, {
      kernel: "reduce",
      phase: d.phase,
      u: [d.M, d.N, S, this.off.partial, d.c[0], d.c[1], 0],
      groups: [Math.ceil((d.M * d.N) / 256)],
    }];
  }

  /** Writes the dispatches' parameters from uniform slot `from` on, encodes, submits. */
  private submit(list: Dispatch[], from: number): number {
    if (from + list.length > this.uniformSlots) {
      throw new Error(
        `gpu_engine: ${from + list.length} dispatches, room for ${this.uniformSlots}`,
      );
    }
    const data = new ArrayBuffer(list.length * SLOT);
    const u32 = new Uint32Array(data);
    const f32 = new Float32Array(data);
    list.forEach((d, k) => {
      u32.set(d.u, k * SLOT_U32);
      if (d.f) f32.set(d.f, k * SLOT_U32 + 20);
    });
    this.device.queue.writeBuffer(this.uniforms, from * SLOT, data);
    const encoder = this.device.createCommandEncoder();
    // One pass, or with timing one pass per phase with timestamps at its ends.
    const runs: { phase: string; list: [Dispatch, number][] }[] = [];
    list.forEach((d, k) => {
      const phase = d.phase ?? PHASES[d.kernel];
      if (this.timing && runs.length && runs[runs.length - 1].phase === phase) {
        runs[runs.length - 1].list.push([d, k]);
      } else if (this.timing || !runs.length) {
        runs.push({ phase, list: [[d, k]] });
      } else {
        runs[0].list.push([d, k]);
      }
    });
    const timing = this.timing;
    const querySet = timing
      ? this.device.createQuerySet({ type: "timestamp", count: 2 * runs.length })
      : null;
    runs.forEach((run, r) => {
      const pass = encoder.beginComputePass(
        querySet
          ? {
            timestampWrites: {
              querySet,
              beginningOfPassWriteIndex: 2 * r,
              endOfPassWriteIndex: 2 * r + 1,
            },
          }
          : {},
      );
      let current: Kernel | null = null;
      for (const [d, k] of run.list) {
        if (d.kernel !== current) {
          pass.setPipeline(this.pipeline(d.kernel));
          current = d.kernel;
        }
        const group = WRITES_ARGS.has(d.kernel) ? this.argsBindGroup : this.bindGroup;
        pass.setBindGroup(0, group, [(from + k) * SLOT]);
        if (d.indirect !== undefined) {
          pass.dispatchWorkgroupsIndirect(this.args, d.indirect * 12);
        } else {
          pass.dispatchWorkgroups(d.groups[0], d.groups[1] ?? 1, d.groups[2] ?? 1);
          this.directWorkgroups += d.groups[0] * (d.groups[1] ?? 1) * (d.groups[2] ?? 1);
        }
      }
      pass.end();
    });
    let staging: GPUBuffer | null = null;
    if (querySet) {
      const bytes = 16 * runs.length;
      const resolved = this.device.createBuffer({
        size: bytes,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      });
      staging = this.device.createBuffer({
        size: bytes,
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      });
      encoder.resolveQuerySet(querySet, 0, 2 * runs.length, resolved, 0);
      encoder.copyBufferToBuffer(resolved, 0, staging, 0, bytes);
      timing!.pending.push({ staging, resolved, querySet, phases: runs.map((r) => r.phase) });
    }
    this.device.queue.submit([encoder.finish()]);
    this.lastDispatches = from + list.length;
    return from + list.length;
  }

  /**
   * GPU time per phase of every `step` from now on, read with `readTiming` (needs a device made
   * with the "timestamp-query" feature). Each phase then runs in its own compute pass.
   */
  enableTiming(on = true): void {
    if (!on) {
      this.timing = null;
      return;
    }
    if (!this.device.features.has("timestamp-query")) {
      throw new Error(
        'gpu_engine: timing needs a device requested with requiredFeatures: ["timestamp-query"]',
      );
    }
    this.timing = { pending: [] };
  }

  /** GPU milliseconds per phase, summed over the steps since the last call. */
  async readTiming(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const p of this.timing?.pending ?? []) {
      await p.staging.mapAsync(GPUMapMode.READ);
      const t = new BigUint64Array(p.staging.getMappedRange());
      p.phases.forEach((phase, r) => {
        out[phase] = (out[phase] ?? 0) + Number(t[2 * r + 1] - t[2 * r]) / 1e6;
      });
      p.staging.destroy();
      p.resolved.destroy();
      p.querySet.destroy();
    }
    if (this.timing) this.timing.pending = [];
    return out;
  }

  private async read(offset: number, count: number): Promise<ArrayBuffer> {
    return (await this.readRanges([[offset, count]]))[0];
  }

  /** Ranges (offset, count in floats) of the buffer, copied into one staging buffer: one readback. */
  private async readRanges(ranges: [number, number][]): Promise<ArrayBuffer[]> {
    const at: number[] = [];
    let bytes = 0;
    for (const [, count] of ranges) {
      at.push(bytes);
      bytes += Math.ceil(count / 4) * 16; // copies start at multiples of 4 bytes; keep 16
    }
    const staging = this.device.createBuffer({
      size: Math.max(16, bytes),
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const encoder = this.device.createCommandEncoder();
    ranges.forEach(([offset, count], k) =>
      encoder.copyBufferToBuffer(this.buffer, offset * 4, staging, at[k], count * 4)
    );
    this.device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const mapped = staging.getMappedRange();
    const out = ranges.map(([, count], k) => mapped.slice(at[k], at[k] + count * 4));
    staging.unmap();
    staging.destroy();
    return out;
  }

  /** The last iteration's loss: mean over the batch of `L - βH`. */
  async readLoss(): Promise<number> {
    const per = new Float32Array(await this.read(this.off.loss, this.B));
    return per.reduce((a, b) => a + b, 0);
  }

  /** Where each example took its loss in the last iteration. */
  async readSteps(): Promise<Int32Array> {
    return new Int32Array(await this.read(this.off.steps, this.B));
  }

  /** The last iteration's gradients, in `model.variables` order. */
  async readGrads(): Promise<Float32Array[]> {
    return this.split(await this.read(this.off.grads, this.paramCount));
  }

  /** The weights, in `model.variables` order. */
  async readWeights(): Promise<Float32Array[]> {
    return this.split(await this.read(this.off.weights, this.paramCount));
  }

  /** Adam's moments per variable and its step count (two readbacks; waits for the GPU). */
  async readAdam(): Promise<{ m: Float32Array[]; v: Float32Array[]; step: number }> {
    return {
      m: this.split(await this.read(this.off.adamM, this.paramCount)),
      v: this.split(await this.read(this.off.adamV, this.paramCount)),
      step: this.adamStep,
    };
  }

  /** Restores Adam's moments and step count (after `writeWeights`, which resets them). */
  writeAdam(m: Float32Array[], v: Float32Array[], step: number): void {
    const flat = (parts: Float32Array[]) => {
      const out = new Float32Array(this.paramCount);
      parts.forEach((p, k) => out.set(p, this.weightOff[k]));
      return out;
    };
    this.device.queue.writeBuffer(this.buffer, this.off.adamM * 4, flat(m));
    this.device.queue.writeBuffer(this.buffer, this.off.adamV * 4, flat(v));
    this.adamStep = step;
  }

  private split(data: ArrayBuffer): Float32Array[] {
    const all = new Float32Array(data);
    return this.sizes.map((n, k) => all.slice(this.weightOff[k], this.weightOff[k] + n));
  }

  /** Bytes of GPU memory the engine holds. */
  get bytes(): number {
    return this.total * 4 + 32 + (this.T * this.J + 3) * 12 + this.uniformSlots * SLOT;
  }

  /** Frees the GPU buffers. */
  destroy(): void {
    this.buffer.destroy();
    this.ctl.destroy();
    this.args.destroy();
    this.dummy.destroy();
    this.uniforms.destroy();
  }
}
