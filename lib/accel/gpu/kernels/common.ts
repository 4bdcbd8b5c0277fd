/**
 * WGSL shared by the engine's kernels: the bindings every kernel declares (one storage buffer `m`
 * of floats, the atomics `ctl`, the dispatch's parameters `p`), small math helpers, the tile loads
 * and multiply-adds of the tiled products, and a readout's confidence. Parameters are u32 slots
 * `pu(i)` (offsets into `m` in floats, sizes, flags) and four floats `p.f`; each kernel lists
 * its own.
 * @module
 */

/** Rows and columns of the products' workgroup tiles. */
export const MM_TILE = 16;
/** Workgroups of the gradients' sum of squares (partial sums, then one workgroup adds them). */
export const NORM_GROUPS = 256;

/** 64 multiply-adds from the workgroup tiles, unrolled (the loop's overhead was most of a round). */
export const fma64 = (acc: string) =>
  Array.from({ length: 64 }, (_, k) => `${acc} += ta[l.y][${k}] * tb[${k}][l.x];`).join("\n    ");
export const FMA64 = fma64("acc");

/**
 * WGSL that loads four values into `name0..3` with unconditional loads (an out-of-range index
 * reads some other value of the buffer, never outside it: WebGPU bounds every access), all issued
 * before any is used, and stores them (or 0 where `ok(q)` fails) into workgroup memory.
 * Conditional loads one after another each waited for the memory's latency on the H100.
 */
export function load4(
  name: string,
  index: (q: number) => string,
  ok: (q: number) => string,
  store: (q: number) => string,
): string {
  const q4 = [0, 1, 2, 3];
  return q4.map((q) => `let ${name}${q} = m[${index(q)}];`).join(" ") + "\n    " +
    q4.map((q) => `${store(q)} = select(0.0, ${name}${q}, ${ok(q)});`).join(" ");
}

/** The bindings and helpers every kernel starts with. */
export const HEADER = /* wgsl */ `
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
 * `conf(z, O, ro)`: the confidence of the logits at `m[z..z+O)` under readout `ro` (0 binary: the
 * larger of p and 1 - p; 1 sigmoid: the largest sigmoid; 2 softmax: the largest probability). The
 * loss (`TAKE`) and GPU halting (`COMPACT`) compare it with θ.
 */
export const CONF = /* wgsl */ `
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
