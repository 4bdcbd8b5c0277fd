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
 * @module
 */
import { CONF, HEADER } from "./common.ts";

/** The kernels that write `args` (binding 3) start with this: the binding and its two writers. */
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
 * Starts a batch: step 0's list is every example. Params: 0 B, 1 T, 2 offList, 3 offSC,
 * 4 offStepTable, 5 J, 6 offFinalTable, 7 nFinal, 8 offTotal.
 */
export const INIT = HALT_HEADER + /* wgsl */ `
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
export const COMPACT = HALT_HEADER + CONF + /* wgsl */ `
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
export const TALLY = HALT_HEADER + /* wgsl */ `
@compute @workgroup_size(1)
fn main() {
  var n = 0u;
  for (var i = 0u; i < pu(0u); i++) { n += args[3u * i] * args[3u * i + 1u] * args[3u * i + 2u]; }
  atomicAdd(&ctl[4], n);
}
`;
