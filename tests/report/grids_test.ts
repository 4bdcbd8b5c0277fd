/**
 * Grid verdicts are the report's, from the run files alone: the same files in any order give the
 * same verdict, a partial grid says it is partial, a wrong run file fails the check, and the
 * verdicts older runs carried are left out of their cards.
 */
import assert from "node:assert/strict";
import { KWS_FSDD } from "../../lib/experiments/kws_fsdd.ts";
import { THRESHOLD_TRAINING } from "../../lib/experiments/threshold_training.ts";
import { FIG5_PAPER_CHECK, kwsGridResult, redCurves } from "../../lib/experiments/_kws_grid.ts";
import { applyGrids, gridStatus } from "../../lib/report/grids.ts";
import { readRuns, type RunRecord } from "../../lib/results.ts";

const published = await readRuns("reports", { onProblem: () => {} });
const fsdd = published.filter((r) => r.experiment === "kws-fsdd");
const seed1 = fsdd.filter((r) => /^(rc|eos)-b[\d.]+$/.test(r.run));
const reason = seed1.length === 9 ? "" : "the published kws-fsdd runs are not in this checkout";

/** A deterministic shuffle (no Math.random: the test repeats). */
function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const out = [...xs];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

Deno.test({
  name: "the Fig. 5 grid: one verdict from the run files, in any order",
  ignore: !!reason,
  fn() {
    const once = applyGrids(published, [KWS_FSDD, THRESHOLD_TRAINING]);
    for (const seed of [1, 2, 3, 4]) {
      const again = applyGrids(shuffled(published, seed), [KWS_FSDD, THRESHOLD_TRAINING]);
      assert.deepEqual(again.grids, once.grids);
    }
    const fig5 = once.grids.find((g) => g.experiment === "kws-fsdd")!;
    // Every published seed is a complete group, judged on the paper's definition.
    assert.deepEqual(fig5.result.groups.map((g) => g.label), ["seed 1", "seed 2", "seed 3"]);
    assert.ok(fig5.result.groups.every((g) => g.missing.length === 0));
    assert.equal(fig5.result.checks.length, 1);
    assert.equal(fig5.result.checks[0].name, FIG5_PAPER_CHECK.name);
    assert.match(fig5.result.checks[0].over, /^mean of 3 seeds/);
    assert.notEqual(gridStatus(fig5), "not checked");
    // The staircase over every θ is shown beside, not judged.
    assert.ok(fig5.result.notes.some((n) => /beyond the paper's definition/.test(n)));
    // No run card keeps a grid verdict, figure or extra written by older code.
    for (const r of once.records.filter((r) => r.experiment === "kws-fsdd")) {
      assert.ok(!(r.target?.checks ?? []).some((c) => /composite frontier/.test(c.name)), r.run);
      assert.ok(!(r.figures ?? []).some((f) => /^[45]/.test(f.paperFigure)), r.run);
      assert.equal(r.metrics.extra?.frontierShareAbove, undefined, r.run);
    }
  },
});

Deno.test({
  name: "the Fig. 5 grid: a partial grid is explicit, and judged on the seeds that are complete",
  ignore: !!reason,
  fn() {
    const full = kwsGridResult(fsdd, KWS_FSDD);
    // Seed 1 alone, without rc-b0.2: no verdict, and why.
    const partial = kwsGridResult(seed1.filter((r) => r.run !== "rc-b0.2"), KWS_FSDD);
    assert.deepEqual(partial.groups[0].missing, ["rc-b0.2"]);
    assert.equal(partial.checks[0].measured, null);
    assert.match(partial.checks[0].notMeasured!, /seed 1: 1 of 9 runs not finished \(rc-b0.2\)/);
    assert.equal(
      gridStatus({ experiment: "kws-fsdd", id: "", title: "", paperFigure: "5", result: partial }),
      "not checked",
    );
    // All three seeds but one run of seed 3 missing: judged on seeds 1 and 2, and it says so.
    const two = kwsGridResult(fsdd.filter((r) => r.run !== "eos-b0.3-s3"), KWS_FSDD);
    assert.match(two.checks[0].over, /mean of 2 seeds.*not measured in seed 3/);
    const m1 = full.groups[0].measured.fig5RedShareAbove;
    const m2 = full.groups[1].measured.fig5RedShareAbove;
    assert.ok(Math.abs(two.checks[0].measured! - (m1 + m2) / 2) < 1e-12);
  },
});

Deno.test({
  name: "the Fig. 5 grid: a deliberately wrong run file fails the check",
  ignore: !!reason,
  fn() {
    // A plausible wrong result: RC models no faster than non-RC ones and 3 points less accurate
    // (as if the RC runs had trained from the sequence's end): every RC run's points at each θ
    // are non-RC β = 0.2's, 3 points lower.
    const eos02 = seed1.find((r) => r.run === "eos-b0.2")!.metrics.extra!;
    const wrong = seed1.map((r): RunRecord => {
      if (r.method !== "rc") return r;
      const extra = { ...r.metrics.extra };
      for (const [k, v] of Object.entries(eos02)) {
        if (k.startsWith("accuracyAtTheta")) extra[k] = v - 0.03;
        if (k.startsWith("spikeMsAtTheta")) extra[k] = v;
      }
      return { ...r, metrics: { ...r.metrics, extra } };
    });
    const ok = kwsGridResult(seed1, KWS_FSDD);
    const bad = kwsGridResult(wrong, KWS_FSDD);
    assert.equal(ok.checks[0].met, true, ok.checks[0].over);
    assert.equal(bad.checks[0].met, false, bad.checks[0].over);
    assert.ok(bad.checks[0].measured! < 1);
  },
});

Deno.test("the paper's red curve, by hand: β varied at a fixed θ, against non-RC's best", () => {
  const at = (theta: number, ms: number, acc: number) => ({
    [`spikeMsAtTheta${theta}`]: ms,
    [`accuracyAtTheta${theta}`]: acc,
  });
  // RC β a: 400 ms / 90 % at θ 0.9; β b: 600 ms / 95 %; β c: 700 ms / 93 % (dominated by b).
  const rc = [at(0.9, 400, 0.9), at(0.9, 600, 0.95), at(0.9, 700, 0.93)];
  // Non-RC: 500 ms / 92 % at θ 0.9 and 300 ms / 60 % at θ 0.5; never faster than 300 ms.
  const eos = [{ ...at(0.9, 500, 0.92), ...at(0.5, 300, 0.6) }];
  assert.deepEqual(redCurves(rc, eos, [0.9]), [
    { theta: 0.9, time: 400, accuracy: 0.9, eosBest: 0.6 },
    { theta: 0.9, time: 600, accuracy: 0.95, eosBest: 0.92 },
  ]);
  // An RC point faster than any non-RC model: compared with nothing (NaN).
  assert.ok(Number.isNaN(redCurves([at(0.9, 200, 0.5)], eos, [0.9])[0].eosBest));
});
