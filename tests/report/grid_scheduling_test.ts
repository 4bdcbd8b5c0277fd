/**
 * A grid's verdict does not depend on how its runs were scheduled. The five θ_train runs of the
 * Fig. 7 grid (threshold-training, smoke profile lengthened to 300 batches so the models spike)
 * are trained twice through the real CLI: once in one process (`train --experiment`, as
 * `reproduce` does), once one process per run in reverse order (`train --run NAME`, as a Slurm
 * array task does). The report's grid verdict, a pure function of the run files, must come out
 * the same from both folders, and each run's numbers must agree; a folder that lacks a run gives
 * an explicitly partial verdict.
 */
import assert from "node:assert/strict";
import { THRESHOLD_TRAINING } from "../../lib/experiments/threshold_training.ts";
import { applyGrids, gridStatus } from "../../lib/report/grids.ts";
import { readRuns, type RunRecord } from "../../lib/results.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const SETS = ["--set", "numBatches=300", "--set", "learningRate=0.01"];
const RUNS = ["rc-theta0.85", "rc-theta0.9", "rc-theta0.95", "rc-theta0.99", "rc-theta0.999"];

async function train(out: string, runs: string[]): Promise<void> {
  const args = ["task", "train", "--experiment", "threshold-training", "--profile", "smoke"];
  for (const r of runs) args.push("--run", `${r}@smoke`);
  const o = await new Deno.Command(Deno.execPath(), {
    args: [...args, "--backend", "wasm", ...SETS, "--out", out],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(o.stderr);
  assert.equal(o.code, 0, `train ${runs.join(" ") || "(all)"} failed:\n${err.slice(-2000)}`);
}

/** A run's numbers without what the clock and the process decide. */
function numbers(r: RunRecord): unknown {
  const { extra = {}, ...rest } = r.metrics;
  const kept = Object.fromEntries(
    Object.entries(extra).filter(([k]) => !/^(peakRss|liveTensors|wall|ms|seconds)/i.test(k)),
  );
  return { run: r.run, configHash: r.configHash, ...rest, extra: kept };
}

Deno.test({
  name: "the Fig. 7 grid: one process and one process per run (reverse order) give one verdict",
  async fn() {
    const one = await Deno.makeTempDir({ prefix: "rc-grid-one-" });
    const each = await Deno.makeTempDir({ prefix: "rc-grid-each-" });
    try {
      await train(one, []);
      for (const r of [...RUNS].reverse()) await train(each, [r]);

      const a = await readRuns(one, { onProblem: (p) => assert.fail(String(p)) });
      const b = await readRuns(each, { onProblem: (p) => assert.fail(String(p)) });
      assert.equal(a.length, RUNS.length);
      assert.equal(b.length, RUNS.length);
      const byRun = (xs: RunRecord[]) => [...xs].sort((x, y) => x.run.localeCompare(y.run));
      assert.deepEqual(byRun(b).map(numbers), byRun(a).map(numbers));

      const ga = applyGrids(a, [THRESHOLD_TRAINING]).grids;
      const gb = applyGrids([...b].reverse(), [THRESHOLD_TRAINING]).grids;
      assert.equal(ga.length, 1);
      assert.deepEqual(gb, ga);
      // The models spiked, so the verdict rests on real curves, not on a degenerate grid.
      const g = ga[0].result.groups[0];
      assert.deepEqual(g.missing, []);
      assert.equal(g.measured.fig7Curves, RUNS.length);
      assert.ok(g.measured.fig7PairsCompared > 0, JSON.stringify(g.measured));

      // The same folder short of one run: a partial grid, said so, with no verdict.
      const partial = applyGrids(b.filter((r) => !r.run.startsWith("rc-theta0.9@")), [
        THRESHOLD_TRAINING,
      ]).grids[0];
      assert.equal(partial.result.groups[0].missing.length, 1);
      assert.match(partial.result.groups[0].missing[0], /^rc-theta0\.9(@|$)/);
      assert.equal(gridStatus(partial), "not checked");
    } finally {
      await Deno.remove(one, { recursive: true });
      await Deno.remove(each, { recursive: true });
    }
  },
});
