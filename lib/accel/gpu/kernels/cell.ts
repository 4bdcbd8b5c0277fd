/**
 * The LSTM cell's two kernels: one forward step and one backward step for every example (or, with
 * GPU halting, for the examples of the step's index list), each a tiled product followed by the
 * cell's elementwise work in the same dispatch.
 * @module
 */
import { LSTM_CELL_WGSL } from "../../../ops/lstm_cell_wgsl.ts";
import { FMA64, fma64, HEADER, load4 } from "./common.ts";

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
export function cellForwardSource(rows: boolean): string {
  return HEADER + LSTM_CELL_WGSL + /* wgsl */ `
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
      ? `let cell = lstmCellForward(
    zs[l.y][l.x] + zx[l.y][l.x],
    zs[l.y][4u + l.x] + zx[l.y][4u + l.x],
    zs[l.y][8u + l.x] + zx[l.y][8u + l.x],
    zs[l.y][12u + l.x] + zx[l.y][12u + l.x],
    m[hp + b * 2u * H + H + j]
  );`
      : `let xw = pu(2u) + b * G;
  let cell = lstmCellForward(
    zs[l.y][l.x] + m[xw + j],
    zs[l.y][4u + l.x] + m[xw + H + j],
    zs[l.y][8u + l.x] + m[xw + 2u * H + j],
    zs[l.y][12u + l.x] + m[xw + 3u * H + j],
    m[hp + b * 2u * H + H + j]
  );`
  }
  let hn = pu(4u) + b * 2u * H;
  m[hn + j] = cell.h;
  m[hn + H + j] = cell.c;
  let a = pu(6u) + b * 5u * H;
  let acts = cell.acts;
  m[a + j] = acts.i; m[a + H + j] = acts.f; m[a + 2u * H + j] = acts.g; m[a + 3u * H + j] = acts.o;
  m[a + 4u * H + j] = acts.tc;
}
`;
}
/**
 * One backward step for every example (zero where the step is after its loss step):
 * dh = [t = s] dh_loss + [t < s] dz_{t+1} Uᵀ, dc = [t < s] dc_{t+1} + dh o (1 - tanh²c).
 * dz_{t+1} Uᵀ as a tiled product (8 examples x 16 units), then the cell's backward for
 * each (example, unit) of the tile.
 * Params: 0 H, 1 B, 2 t, 3 offSteps, 4 offDhLoss ([B, H]), 5 offDZ_t, 6 offDZ_{t+1}, 7 offU,
 * 8 offActs_t, 9 offHC_t (state entering step t), 10 offDC_in, 11 offDC_out; with `rows`, the
 * examples are those of the step's index list: 12 offSC, 13 offList, 14 t B.
 */
export function cellBackwardSource(rows: boolean): string {
  return HEADER + LSTM_CELL_WGSL + /* wgsl */ `
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
  let d = lstmCellBackward(LstmActs(i, f, gg, o, tc), cp, dh, select(0.0, dcIn, t < s));
  let dz = pu(5u) + b * G;
  m[dz + j] = select(d.di, 0.0, after);
  m[dz + H + j] = select(d.df, 0.0, after);
  m[dz + 2u * H + j] = select(d.dg, 0.0, after);
  m[dz + 3u * H + j] = select(d.dO, 0.0, after);
  m[pu(11u) + b * H + j] = select(d.dcPrev, 0.0, after);
}
`;
}
