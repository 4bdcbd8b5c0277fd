/**
 * Compute savings as the page shows them: one summary row per experiment from paired timings, the
 * per-run rows folded away, and no realised ratio outside [−1, 3] anywhere on a page (a ratio there
 * is noise over a tiny saving or a broken measurement: the page says why instead).
 */
import assert from "node:assert/strict";
import type { RunRecord } from "../../lib/results.ts";
import { readRuns } from "../../lib/results.ts";
import { renderReport } from "../../lib/report/html.ts";
import {
  computeSavings,
  experimentSavings,
  FEW_STEPS_SAVED,
  findBaseline,
  RATIO_OUT_OF_RANGE,
  RATIO_RANGE,
  ratioOf,
} from "../../lib/report/savings.ts";
import { EXPERIMENTS } from "../../lib/experiments/registry.ts";
import { fixtureRuns } from "./fixtures.ts";

const render = (records: RunRecord[]) =>
  renderReport(records, {
    generatedAt: "2026-12-06T00:00:00Z",
    chartJs: "",
    experiments: EXPERIMENTS,
  });

/** The published run files of a page of this repository (none in a checkout without them). */
async function published(dir: string): Promise<RunRecord[]> {
  const path = new URL(`../../${dir}`, import.meta.url).pathname;
  try {
    return await readRuns(path, { onProblem: () => {} });
  } catch {
    return [];
  }
}

/** Every realised ratio a page prints: table cells headed "ratio", and the ratios in its prose. */
function ratiosOnPage(html: string): number[] {
  const out: number[] = [];
  // Table cells whose column is a ratio: their first number (a mean ± sd starts with the mean).
  for (
    const m of html.matchAll(
      /<td data-label="[^"]*\bratio\b[^"]*"><div class="v">(.*?)<\/div><\/td>/gi,
    )
  ) {
    const first = /<span class="num">\s*(−?-?\d+(?:\.\d+)?)/.exec(m[1]);
    if (first) out.push(Number(first[1].replace("−", "-")));
  }
  const text = html.replace(/<[^>]+>/g, "");
  // Prose: "realised ratio 0.86 ± 0.04", "(0.82 ± 0.07)" after "in inference", the first
  // screen's "wall-clock / step saving 0.54".
  for (
    const re of [
      /realised ratio (-?\d+\.\d+)/g,
      /in inference \((-?\d+\.\d+)/g,
      /step saving (-?\d+\.\d+)/g,
    ]
  ) {
    for (const m of text.matchAll(re)) out.push(Number(m[1]));
  }
  return out;
}

Deno.test("findBaseline: by name, else the same name at another profile, never another model's EOS", () => {
  const run = (
    name: string,
    method: string,
    baseline?: string,
  ) => ({ experiment: "mnist", run: name, method, baseline } as unknown as RunRecord);
  const lstmEos = run("lstm340-eos", "eos");
  const convEos = run("convlstm20-eos", "eos");
  const paper = run("convlstm20-fast-s1@paper", "rc", "convlstm20-eos@paper");
  const convEosPaper = run("convlstm20-eos@paper", "eos");
  assert.equal(findBaseline(paper, [lstmEos, convEos, convEosPaper, paper]), convEosPaper);
  assert.equal(findBaseline(paper, [lstmEos, convEos, paper]), convEos); // another profile's
  // Missing at every profile: none, not the experiment's first EOS run (an LSTM's).
  assert.equal(findBaseline(paper, [lstmEos, paper]), null);
  // A run naming no baseline, in an experiment whose RC runs name none: its EOS run.
  const toy = (
    name: string,
    method: string,
  ) => ({ experiment: "two-sequence", run: name, method } as unknown as RunRecord);
  const eos = toy("eos", "eos");
  assert.equal(findBaseline(toy("rc", "rc"), [eos, toy("rc", "rc")]), eos);
});

Deno.test("ratioOf: a ratio where it says something, else why not", () => {
  assert.equal(ratioOf(0.4, 0.5).value, 0.8);
  assert.deepEqual(ratioOf(0.01, 0.0001), { value: null, why: FEW_STEPS_SAVED });
  // The two ratios a reader saw once: −14,608.63 (almost no step saved) and a 5.27 (a loaded
  // machine timed the EOS run) are no ratios.
  assert.equal(ratioOf(-1.46, 0.0001).why, FEW_STEPS_SAVED);
  assert.deepEqual(ratioOf(0.6194, 0.1176), { value: null, why: RATIO_OUT_OF_RANGE });
  assert.deepEqual(ratioOf(-0.2, 0.1), { value: null, why: RATIO_OUT_OF_RANGE });
  assert.equal(ratioOf(-0.1, 0.1).value, -1, "the range's ends are in it");
  assert.deepEqual(ratioOf(null, 0.5), { value: null, why: null });
});

Deno.test("savings: one summary row per experiment; per-run rows folded; off-scale ratios say why", () => {
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "two-sequence")
    .sort((a) => a.method === "rc" ? -1 : 1);
  // A second seed whose RC run was timed on a loaded machine: 10 times as long as seed 1's, so
  // its wall clock rose five times as much as its steps fell.
  const eos2 = { ...eos, run: "eos-s2", seed: 2 };
  const rc2 = { ...rc, run: "rc-s2", seed: 2, baseline: "eos-s2" };
  rc2.compute = {
    ...rc.compute,
    train: { ...rc.compute.train, wallSeconds: 10 * rc.compute.train.wallSeconds },
  };
  const records = [rc, eos, rc2, eos2];
  const [sum] = experimentSavings(computeSavings(records));
  assert.deepEqual(sum.compared, ["rc", "rc-s2"]);
  assert.equal(sum.train.ratio?.seeds, 1, "the off-scale ratio is left out of the spread");
  assert.deepEqual(sum.train.noRatio, [{ why: RATIO_OUT_OF_RANGE, runs: ["rc-s2"] }]);
  const html = render(records);
  const section = html.slice(html.indexOf('<section id="savings"'));
  const savings = section.slice(0, section.indexOf("</section>"));
  // The summary first, one row for the experiment; the per-run rows inside <details>.
  assert.equal((savings.match(/<table class="stack savings-summary">/g) ?? []).length, 1);
  const summary = savings.slice(0, savings.indexOf("<details"));
  assert.equal((summary.match(/<tr><th scope="row"/g) ?? []).length, 1);
  assert.match(summary, /1 run without: off scale \(outside \[−1, 3\]\)/);
  assert.match(savings, /<details class="per-run"><summary>Every RC run against its EOS baseline/);
  for (const r of ratiosOnPage(html)) {
    assert.ok(r >= RATIO_RANGE.min && r <= RATIO_RANGE.max, `ratio ${r} on the page`);
  }
});

Deno.test("savings: no step saved, so the wall clock's difference is grey and no ratio is shown", () => {
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "two-sequence")
    .sort((a) => a.method === "rc" ? -1 : 1);
  // RC in name only: as many backward steps as EOS, yet a machine's drift made it 30 % faster.
  const same = {
    ...rc,
    compute: {
      ...rc.compute,
      train: {
        ...rc.compute.train,
        backwardSteps: eos.compute.train.backwardSteps * rc.compute.train.examples /
          eos.compute.train.examples,
        wallSeconds: 0.7 * eos.compute.train.wallSeconds * rc.compute.train.examples /
          eos.compute.train.examples,
      },
    },
  };
  const [row] = computeSavings([same, eos]);
  assert.equal(row.train!.realisedRatio, null);
  assert.equal(row.train!.ratioWhy, FEW_STEPS_SAVED);
  const html = render([same, eos]);
  const savings = html.slice(html.indexOf('<section id="savings"'));
  assert.match(savings, /<span class="saving noise" title="almost no step was saved/);
  assert.doesNotMatch(savings, /<span class="saving good">30\.00 %<\/span>/);
  assert.match(savings, /— <small>under 5 % of steps saved<\/small>/);
});

for (const dir of ["reports", "reports/h100", "reports/llvmpipe"]) {
  Deno.test(`published page ${dir}: no realised ratio outside [−1, 3]`, async (t) => {
    const records = await published(dir);
    if (records.length === 0) {
      t.step({ name: "no published run files here", ignore: true, fn: () => {} });
      return;
    }
    const html = render(records);
    const ratios = ratiosOnPage(html);
    assert.ok(ratios.length > 0 || !records.some((r) => r.method === "rc"), "no ratio found");
    for (const r of ratios) {
      assert.ok(r >= RATIO_RANGE.min && r <= RATIO_RANGE.max, `${dir}: ratio ${r} on the page`);
    }
    // A summary row per experiment with an RC run against a baseline.
    const sums = experimentSavings(computeSavings(records));
    const savings = html.slice(html.indexOf('<section id="savings"'));
    const summary = savings.slice(0, savings.indexOf("<details"));
    assert.equal((summary.match(/<tr><th scope="row"/g) ?? []).length, sums.length);
  });
}
