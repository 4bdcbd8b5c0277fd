/**
 * Every number the generated reading prints comes from the run files: recomputed here from the
 * records themselves (the fixture's and, where the checkout has them, the published ones), without
 * the report's own summaries, and found in the prose as the report formats it.
 */
import assert from "node:assert/strict";
import type { FigureSpec, RunRecord } from "../../lib/results.ts";
import { readRuns } from "../../lib/results.ts";
import { runsReading, savingsReading, sweepReading } from "../../lib/report/reading.ts";
import { fixtureRuns } from "./fixtures.ts";

const isNum = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) =>
  xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
/** "m ± s" over several values, the value alone over one, as the reading prints a spread. */
const spread = (xs: number[], f: (x: number) => string) =>
  xs.length > 1 ? `${f(mean(xs))} ± ${f(sd(xs))}` : f(xs[0]);
/** A signed spread read as a size: "fell 17.7 ± 52.2 %" when one run's time rose and others fell. */
const sizeSpread = (xs: number[], f: (x: number) => string) =>
  xs.length > 1 ? `${f(Math.abs(mean(xs)))} ± ${f(sd(xs))}` : f(Math.abs(xs[0]));
const wordOf = (xs: number[]) => (mean(xs) >= 0 ? "fell" : "rose");

async function publishedRecords(): Promise<RunRecord[]> {
  try {
    return await readRuns(new URL("../../reports", import.meta.url).pathname, {
      onProblem: () => {},
    });
  } catch {
    return [];
  }
}
const PUBLISHED = await publishedRecords();

/** The record sets checked: the fixture's, and the published ones where the checkout has them. */
const SETS: [string, RunRecord[]][] = [
  ["fixture", fixtureRuns()],
  ...(PUBLISHED.length ? [["published", PUBLISHED] as [string, RunRecord[]]] : []),
];

/**
 * What RC saved in one experiment, recomputed from its records alone: the RC runs with a baseline
 * that spiked in training (under 95 % of EOS's backward steps), per example, and their paired
 * timings (a ratio only from 5 % of the steps saved and inside [−1, 3]).
 */
function recomputed(runs: RunRecord[]) {
  // The baseline by name, else by name at another profile (before "@"), else (where no RC run
  // names one) the experiment's EOS run.
  const eosOf = (rc: RunRecord) =>
    rc.baseline
      ? runs.find((r) => r.run === rc.baseline) ??
        runs.find((r) => r.method === "eos" && r.run.split("@")[0] === rc.baseline!.split("@")[0])
      : runs.some((r) => r.method === "rc" && r.baseline)
      ? undefined
      : runs.find((r) => r.method === "eos");
  const leftOut: boolean[] = [];
  const pairs = runs.filter((r) => r.method === "rc" && r.status !== "failed").flatMap((rc) => {
    const eos = eosOf(rc);
    const t = rc.compute?.train;
    if (!eos || eos.status === "failed" || !t) return [];
    if (t.backwardSteps / t.eosSteps >= 0.95) {
      leftOut.push(t.backwardSteps >= t.eosSteps);
      return [];
    }
    return [{ rc, eos }];
  });
  const perExample = (c: { examples: number }, v: number) => v / c.examples;
  const phase = (key: "train" | "inference", steps: "backwardSteps" | "forwardSteps") => {
    const stepSaving = pairs.map(({ rc, eos }) =>
      1 - perExample(rc.compute[key]!, rc.compute[key]![steps]) /
        perExample(eos.compute[key]!, eos.compute[key]![steps])
    );
    const timed = pairs.map(({ rc }) => rc.compute.paired?.[key]).filter((p) => p !== undefined);
    const paired = timed.length > 0;
    const timedSteps = paired ? timed.map((p) => 1 - p!.rcSteps / p!.eosSteps) : stepSaving;
    const wall = paired
      ? timed.map((p) => 1 - p!.rcSeconds / p!.eosSeconds)
      : pairs.map(({ rc, eos }) =>
        1 - perExample(rc.compute[key]!, rc.compute[key]!.wallSeconds) /
          perExample(eos.compute[key]!, eos.compute[key]!.wallSeconds)
      );
    const ratios = wall.map((w, i) => w / timedSteps[i])
      .filter((r, i) => timedSteps[i] >= 0.05 && r >= -1 && r <= 3);
    return { stepSaving, timedSteps, wall, ratios, paired };
  };
  return {
    n: pairs.length,
    /** Left out: how many, how many never spiked in training, how many hardly did. */
    leftOut: [leftOut.length, leftOut.filter((x) => x).length, leftOut.filter((x) => !x).length],
    train: phase("train", "backwardSteps"),
    inference: phase("inference", "forwardSteps"),
  };
}

const p2 = (x: number) => (100 * x).toFixed(2);
const p1 = (x: number) => (100 * x).toFixed(1);
const r2 = (x: number) => x.toFixed(2);

for (const [name, records] of SETS) {
  Deno.test(`reading (${name}): the compute saved, every number recomputed from the records`, () => {
    const experiments = [...new Set(records.map((r) => r.experiment))];
    let checked = 0;
    for (const e of experiments) {
      const runs = records.filter((r) => r.experiment === e);
      const lines = savingsReading(runs);
      const want = recomputed(runs);
      if (want.n === 0) {
        assert.ok(lines.every((l) => !l.startsWith("Compute over")), `${e}: ${lines}`);
        continue;
      }
      const [line] = lines;
      assert.ok(line.startsWith(`Compute over ${want.n} RC run`), `${e}: ${line}`);
      const { train, inference } = want;
      const needles = [
        `${spread(train.stepSaving.map(Math.abs), p2)} % fewer example-steps in training`,
        `${spread(inference.stepSaving.map(Math.abs), p2)} % fewer in inference`,
        `${wordOf(train.wall)} ${sizeSpread(train.wall, p1)} % in training`,
        `${wordOf(inference.wall)} ${sizeSpread(inference.wall, p1)} % in inference`,
        ...(train.ratios.length ? [`realised ratio ${spread(train.ratios, r2)}`] : []),
        ...(inference.ratios.length ? [`in inference (${spread(inference.ratios, r2)}`] : []),
        ...(train.paired ? [`${spread(train.timedSteps, p2)} % fewer steps there`] : []),
        ...(inference.paired ? [`${spread(inference.timedSteps, p2)} % fewer steps there`] : []),
      ];
      for (const needle of needles) {
        assert.ok(line.includes(needle), `${e}: "${needle}" in ${line}`);
      }
      // And nothing else: every number in the line is one of these.
      const numbers = line.match(/-?\d+(?:\.\d+)?/g) ?? [];
      // Left out: the count, those that never spiked, those under 5 % of the steps early.
      // Runs without a ratio: how many, and the rule's bound (moved by more than 3 times).
      const without = [train, inference].map((p) => p.wall.length - p.ratios.length).join(" ");
      const allowed = `${needles.join(" ")} ${want.n} ${want.leftOut.join(" ")} 5 ${without} 3`
        .split(/[^\d.-]+/);
      for (const x of numbers) {
        assert.ok(allowed.includes(x), `${e}: ${x} in "${line}" is not recomputed`);
      }
      if (want.leftOut[0]) {
        assert.match(line, new RegExp(`${want.leftOut[0]} RC runs? left out`), line);
      }
      checked++;
    }
    assert.ok(checked > 0, "no experiment with a compared RC run");
  });

  Deno.test(`reading (${name}): accuracies over seeds, or one run's with its interval`, () => {
    for (const e of new Set(records.map((r) => r.experiment))) {
      const runs = records.filter((r) => r.experiment === e && r.status !== "failed");
      for (const line of runsReading(runs)) {
        const m =
          /^(\S+) \((\d+) seeds?(?:, mean ± sd)?\): RC-trained reaches ([^ ]+(?: ± [^ ]+)? %)/
            .exec(line);
        if (!m) continue;
        const rc = runs.find((r) => r.run === m[1])!;
        const key = (r: RunRecord) => {
          const { seed: _, ...config } = r.config as Record<string, unknown>;
          return `${r.method}|${r.profile}|${r.data?.name}|${JSON.stringify(config)}`;
        };
        const accs = runs.filter((r) => key(r) === key(rc)).map((r) => r.metrics.testAccuracy)
          .filter(isNum);
        assert.equal(accs.length, Number(m[2]), line);
        // Digits as the test set allows: the number printed is the recomputed one at that precision.
        const digits = (m[3].split(" ")[0].split(".")[1] ?? "").length;
        const f = (x: number) => (100 * x).toFixed(digits);
        assert.equal(m[3], `${spread(accs, f)} %`, line);
      }
    }
  });
}

Deno.test("reading: a θ sweep's words follow its numbers (Fig. 10: RC falls 52 points, not 'slightly')", () => {
  const spec: FigureSpec = {
    paperFigure: "10",
    title: "LIF conv net: test accuracy against mean first-spike step over θ ∈ {0.25, 0.5, 1, 5}",
    kind: "scatter",
    xLabel: "mean first-spike step (test)",
    yLabel: "test accuracy (%)",
    caption: "",
    series: [
      { label: "RC-trained", x: [1, 1.0005, 1.0015, 10], y: [91.8, 91.8, 91.8, 39.7] },
      { label: "EOS-trained", x: [1.8125, 2.4365, 4.724, 10], y: [58.95, 55.75, 51.55, 56.4] },
      { label: "flat", x: [1, 2, 3, 4], y: [90, 90.4, 90.2, 90.5] },
    ],
  };
  assert.equal(
    sweepReading(spec),
    "Here, from θ = 0.25 to θ = 5: RC-trained falls 52.1 points (91.8 % → 39.7 %), its mean " +
      "first spike from step 1.00 to 10.00; EOS-trained falls 2.6 points (59.0 % → 56.4 %, " +
      "lowest 51.5 % at θ = 1), its mean first spike from step 1.81 to 10.00; flat stays within " +
      "a point (90.0 % → 90.5 %), its mean first spike from step 1.00 to 4.00.",
  );
  assert.equal(sweepReading({ ...spec, title: "no sweep" }), null);
  // The published Fig. 10, where the checkout has it: its words from its own numbers.
  const rc = PUBLISHED.find((r) => r.experiment === "snn-lif" && r.run === "rc");
  const fig10 = rc?.figures?.find((f) => f.paperFigure === "10");
  if (fig10) {
    const s = fig10.series!.find((x) => x.label === "RC-trained")!;
    const fall = (s.y[0] - s.y.at(-1)!).toFixed(1);
    assert.match(sweepReading(fig10)!, new RegExp(`RC-trained falls ${fall} points`));
  }
});
