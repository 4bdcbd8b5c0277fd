import assert from "node:assert/strict";
import type { ComparisonTableSpec, MeasuredRow } from "../../lib/experiments/declaration.ts";
import type { RunRecord } from "../../lib/results.ts";
import {
  baseRunName,
  comparisonTableHtml,
  meanSd,
  measuredCells,
  outdatedLabel,
} from "../../lib/report/table.ts";
import { esc } from "../../lib/report/format.ts";

/** The fields of a run record a comparison table reads. */
function rec(
  run: string,
  profile: string,
  acc: number,
  spike: number,
  data = "MNIST",
  status = "met",
): RunRecord {
  return {
    run,
    profile,
    status,
    data: { name: data, checksum: "x" },
    metrics: { testAccuracy: acc, meanSpikeTime: spike, eosAccuracy: acc },
  } as unknown as RunRecord;
}

const ROW: MeasuredRow = {
  kind: "measured",
  model: "RC-ConvLSTM",
  architecture: "784-20-10",
  runs: ["c20-fast-s1", "c20-fast-s2"],
  paper: 0.9919,
  tolerance: 0.003,
  speedClass: "fast",
};
const SPEC: ComparisonTableSpec = {
  paperFigure: "Table 1",
  title: "t",
  caption: "c",
  measure: "testAccuracy",
  speedClasses: [{ label: "fast", below: 1.5 }, { label: "slow", above: 2.5 }],
  groups: [{
    title: "Fast <regime>",
    rows: [
      { kind: "cited", source: "Comşa", model: "α-PSP", architecture: "784-340-10", value: "97.4" },
      ROW,
      { ...ROW, runs: ["never-run"] },
    ],
  }],
};

Deno.test("baseRunName drops profile and override suffixes", () => {
  assert.equal(baseRunName("c20-fast-s1@paper+beta=0.2"), "c20-fast-s1");
  assert.equal(baseRunName("c20-fast-s1+dataset=fashion-mnist"), "c20-fast-s1");
  assert.equal(baseRunName("lstm"), "lstm");
});

Deno.test("meanSd: sample standard deviation, 0 for one value", () => {
  assert.deepEqual(meanSd([2]), { mean: 2, sd: 0 });
  const { mean, sd } = meanSd([1, 2, 3, 4]);
  assert.equal(mean, 2.5);
  assert.ok(Math.abs(sd - Math.sqrt(5 / 3)) < 1e-12);
});

Deno.test("measured cells: best, mean ± sd and verdict per profile and data set", () => {
  const runs = [
    rec("c20-fast-s1@paper", "paper", 0.9910, 1.1),
    rec("c20-fast-s2@paper", "paper", 0.9890, 1.3),
    rec("c20-fast-s1", "default", 0.95, 9),
    rec("c20-fast-s2", "default", 0.97, 1.2),
    rec("c20-fast-s1+dataset=fashion-mnist", "default", 0.85, 3, "Fashion-MNIST"),
    rec("c20-fast-s3@paper", "paper", 0.999, 1, "MNIST", "failed"), // failed: not counted
    rec("other-run@paper", "paper", 0.999, 1),
  ];
  const cells = measuredCells(ROW, SPEC, runs);
  assert.deepEqual(cells.map((c) => [c.profile, c.data, c.seeds]), [
    ["paper", "MNIST", 2],
    ["default", "MNIST", 2],
    ["default", "Fashion-MNIST", 1],
  ]);
  const [paper, def] = cells;
  assert.equal(paper.best, 0.9910);
  assert.ok(Math.abs(paper.mean - 0.99) < 1e-12);
  assert.ok(Math.abs(paper.sd - Math.sqrt(2) * 0.001) < 1e-9);
  assert.equal(paper.verdict, "met", paper.why);
  assert.deepEqual(def.classes, ["slow", "fast"]);
  assert.equal(def.verdict, "below protocol");
  // At the paper profile a run outside the row's regime misses, however accurate.
  const slowBest = measuredCells(ROW, SPEC, [rec("c20-fast-s1@paper", "paper", 0.992, 2)]);
  assert.equal(slowBest[0].verdict, "missed");
  assert.match(slowBest[0].why, /c20-fast-s1@paper landed outside "fast"/);
  const far = measuredCells(ROW, SPEC, [rec("c20-fast-s1@paper", "paper", 0.985, 1)]);
  assert.equal(far[0].verdict, "missed");
  // The mean is judged, not the top: a top within tolerance over a mean outside it misses.
  const topOnly = measuredCells(ROW, SPEC, [
    rec("c20-fast-s1@paper", "paper", 0.9915, 1.1),
    rec("c20-fast-s2@paper", "paper", 0.9815, 1.1),
  ]);
  assert.equal(topOnly[0].verdict, "missed", topOnly[0].why);
  assert.match(topOnly[0].why, /^mean -0\.54 points from the paper .*top -0\.04\)/);
});

Deno.test("a paper-profile cell with fewer seeds than the paper ran says so, in the table and its reason", () => {
  const spec = { ...SPEC, paperSeeds: 2 };
  const [one] = measuredCells(ROW, spec, [rec("c20-fast-s1@paper", "paper", 0.9910, 1.1)]);
  assert.equal(one.seedsShort, "1 of the protocol's 2 seeds");
  assert.equal(one.verdict, "met", one.why); // judged on the seed it has ...
  assert.match(one.why, /judged on 1 of the protocol's 2 seeds$/); // ... and says on how many
  assert.match(
    comparisonTableHtml(spec, [rec("c20-fast-s1@paper", "paper", 0.991, 1.1)]),
    /1 of the protocol&#39;s 2 seeds/,
  );
  const [two] = measuredCells(ROW, spec, [
    rec("c20-fast-s1@paper", "paper", 0.9910, 1.1),
    rec("c20-fast-s2@paper", "paper", 0.9890, 1.3),
  ]);
  assert.equal(two.seedsShort, null);
  // Below the paper profile the count is not the protocol's question.
  const [def] = measuredCells(ROW, spec, [rec("c20-fast-s1", "default", 0.99, 1.1)]);
  assert.equal(def.seedsShort, null);
  // Without a declared count nothing is said.
  assert.equal(
    measuredCells(ROW, SPEC, [rec("c20-fast-s1@paper", "paper", 0.99, 1.1)])[0].seedsShort,
    null,
  );
});

Deno.test("comparison table HTML: cited rows as printed, measured rows, not-run rows, escaped", () => {
  const html = comparisonTableHtml(SPEC, [rec("c20-fast-s1", "default", 0.95, 1.2)]);
  assert.match(html, /Fast &lt;regime&gt;/);
  assert.match(html, /<td data-label="accuracy \(%\)"><div class="v">97\.4<\/div><\/td>/);
  assert.match(html, /<strong>95\.00<\/strong> \(1 seed\)/);
  assert.match(html, /below protocol<\/span> vs 99\.19/);
  assert.match(html, /not run \(runs never-run\)/);
  assert.equal((html.match(/<tr class="measured">/g) ?? []).length, 2);
});

Deno.test("comparison table: a run that landed slow is listed under the slow group, with its budget", () => {
  const slowRow: MeasuredRow = { ...ROW, runs: ["c20-slow-s1"], speedClass: "slow" };
  const spec: ComparisonTableSpec = {
    ...SPEC,
    paperEpochs: 50,
    groups: [
      { title: "FAST GROUP", rows: [ROW] },
      { title: "SLOW GROUP", rows: [slowRow] },
    ],
  };
  const slowFast = rec("c20-fast-s1", "default", 0.95, 8.1);
  Object.assign(slowFast, {
    config: { testSize: 2000 },
    metrics: { ...slowFast.metrics, extra: { epochs: 0.25 } },
  });
  const html = comparisonTableHtml(spec, [slowFast]);
  const [fast, slow] = html.split("SLOW GROUP");
  assert.doesNotMatch(fast, /95\.00/, "the slow run is not in the fast group");
  assert.match(fast, /no run landed in this regime/);
  assert.match(slow, /95\.00/);
  assert.match(slow, /declared fast; landed slow/);
  assert.match(slow, /0\.25 <small>\(0\.5 % of the paper's 50\)/);
  assert.match(slow, /2,000/);
});

Deno.test("comparison table: runs of another budget (config) never share a mean with the row's others", () => {
  const withConfig = (r: RunRecord, numBatches: number, seed: number) =>
    Object.assign(r, { config: { numBatches, seed } });
  const cells = measuredCells(ROW, SPEC, [
    withConfig(rec("c20-fast-s1", "default", 0.99, 1.1), 2760, 1),
    withConfig(rec("c20-fast-s2", "default", 0.88, 8.7), 100, 2),
  ]);
  assert.equal(cells.length, 2);
  assert.deepEqual(cells.map((c) => [c.seeds, c.best]), [[1, 0.99], [1, 0.88]]);
});

Deno.test("measured cells mark the runs the current code would not reuse, in the cell and the table", () => {
  const runs = [
    rec("c20-fast-s1", "default", 0.98, 1.4),
    rec("c20-fast-s2", "default", 0.97, 1.3),
  ].map((r) => ({ ...r, experiment: "mnist" }) as RunRecord);
  const why = "made with an older config of profile default: numBatches 160 (now 5,520)";
  const one = new Map([["mnist/c20-fast-s2", why]]);
  const [cell] = measuredCells(ROW, SPEC, runs, one);
  assert.deepEqual(cell.outdated, [`c20-fast-s2: ${why}`]);
  assert.equal(
    outdatedLabel(cell),
    "1 of 2 runs from an older config: deno task reproduce reruns it",
  );
  const html = comparisonTableHtml(SPEC, runs, one);
  assert.match(html, /1 of 2 runs from an older config/);
  assert.ok(html.includes(esc(`c20-fast-s2: ${why}`)), "the reason on hover");
  const both = new Map([["mnist/c20-fast-s1", why], ["mnist/c20-fast-s2", why]]);
  assert.equal(
    outdatedLabel(measuredCells(ROW, SPEC, runs, both)[0]),
    "both runs from an older config: deno task reproduce reruns them",
  );
  // Another experiment's run of the same name is not this one; without a map nothing is said.
  const [current] = measuredCells(ROW, SPEC, runs, new Map([["kws/c20-fast-s2", why]]));
  assert.deepEqual(current.outdated, []);
  assert.equal(outdatedLabel(current), "");
  assert.doesNotMatch(comparisonTableHtml(SPEC, runs), /older config/);
});
