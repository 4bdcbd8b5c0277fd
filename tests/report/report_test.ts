import assert from "node:assert/strict";
import {
  type ComputeCounts,
  type FigureSpec,
  judgedStatus,
  type RunRecord,
  statusFromChecks,
} from "../../lib/results.ts";
import {
  type ChartConfig,
  EOS_COLOUR,
  figureChart,
  niceStep,
  RC_COLOUR,
  sharedScale,
} from "../../lib/report/charts.ts";
import { parseDenoBenchJson } from "../../lib/report/bench.ts";
import { chartJsVersion, loadChartJs } from "../../lib/report/chartjs.ts";
import {
  compareFigureLabels,
  esc,
  extraValue,
  humanise,
  pct,
  steps,
} from "../../lib/report/format.ts";
import { claimOf, intervalText, placeOf } from "../../lib/report/cards.ts";
import { renderReport } from "../../lib/report/html.ts";
import { NO_LONGER_DECLARED, SOFTWARE_ADAPTER_DEVIATION } from "../../lib/report/runs.ts";
import { wilson } from "../../lib/report/format.ts";
import {
  computeSavings,
  pairedSavings,
  phaseSavings,
  rcDegenerate,
} from "../../lib/report/savings.ts";
import { commandFor, figureKey, reportSections } from "../../lib/report/sections.ts";
import { EXPERIMENTS } from "../../lib/experiments/registry.ts";
import { summarise } from "../../lib/report/summary.ts";
import { curveGap, curvesReading, runsReading, tradeoffReading } from "../../lib/report/reading.ts";
import { selectionOf } from "../../lib/report/select.ts";
import { siblingPages, writeReport } from "../../lib/report/write.ts";
import { fixtureBenchJson, fixtureRuns, writeFixtureRuns } from "./fixtures.ts";

const GENERATED = "2026-11-22T12:00:00.000Z";
const render = (
  records: RunRecord[],
  bench = null as ReturnType<typeof parseDenoBenchJson> | null,
) =>
  renderReport(records, {
    generatedAt: GENERATED,
    chartJs: "/* chart.js stub */",
    bench,
    experiments: EXPERIMENTS,
  });
const SECTIONS = reportSections(EXPERIMENTS);
/** The declarations with one experiment marked not built, whatever is built by now. */
const UNBUILT = "snn-lif";
const WITH_UNBUILT = EXPERIMENTS.map((e) =>
  e.id === UNBUILT ? { ...e, pending: "needs <the test's> code" } : e
);
const renderWith = (records: RunRecord[]) =>
  renderReport(records, { generatedAt: GENERATED, chartJs: "", experiments: WITH_UNBUILT });

/** The HTML of one `<section id=...>` (sections do not nest). */
function sectionOf(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}"`);
  assert.ok(start >= 0, `section ${id} missing`);
  return html.slice(start, html.indexOf("</section>", start));
}

/** The HTML of one run card. */
function cardOf(html: string, experiment: string, run: string): string {
  const start = html.indexOf(`<article class="run" id="run-${experiment}-${run}"`);
  assert.ok(start >= 0, `card ${experiment}/${run} missing`);
  return html.slice(start, html.indexOf("</article>", start));
}

function counts(backwardSteps: number, forwardSteps: number, wallSeconds: number): ComputeCounts {
  return {
    forwardSteps,
    forwardStepsNeeded: forwardSteps,
    backwardSteps,
    eosSteps: 1000,
    flops: (forwardSteps + 2 * backwardSteps) * 100,
    wallSeconds,
    examples: 25,
  };
}

/** A hand-made RC/EOS pair of two-sequence: EOS 1000 backward steps, RC 400. */
function handPair(): RunRecord[] {
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "two-sequence")
    .sort((a) => a.method === "rc" ? -1 : 1);
  rc.compute = {
    train: counts(400, 450, 5),
    inference: counts(0, 350, 1),
    flopsPerExampleStep: 100,
  };
  eos.compute = {
    train: counts(1000, 1000, 10),
    inference: counts(0, 1000, 2),
    flopsPerExampleStep: 100,
  };
  return [rc, eos];
}

Deno.test("sections follow the paper's order and cover every experiment", () => {
  const html = render(fixtureRuns());
  const ids = [
    "overview",
    "savings",
    ...SECTIONS.map((s) => s.id),
    "bench",
    "provenance",
    "manifest",
  ];
  const at = ids.map((id) => html.indexOf(`<section id="${id}"`));
  for (let i = 0; i < ids.length; i++) assert.ok(at[i] >= 0, `section ${ids[i]} missing`);
  for (let i = 1; i < ids.length; i++) {
    assert.ok(at[i] > at[i - 1], `section ${ids[i]} should come after ${ids[i - 1]}`);
  }
  assert.deepEqual(
    SECTIONS.map((s) => s.paperFigures),
    [
      "Fig. 1",
      "Fig. 2",
      "Table 1, Fig. 3",
      "Figs. 4 & 5",
      "Fig. 6",
      "Fig. 7 (App. C)",
      "Fig. 8 (App. D)",
      "Figs. 9 & 10 (App. E)",
    ],
  );
  const covered = new Set(SECTIONS.flatMap((s) => s.experiments));
  for (const e of ["seq-spotting", "two-sequence", "mnist", "kws-gsc", "kws-fsdd"] as const) {
    assert.ok(covered.has(e), `${e} has no section`);
  }
});

Deno.test("built experiments show their command; unbuilt ones say 'not built yet', no command", () => {
  const runs = fixtureRuns();
  const html = renderWith(runs);
  for (const s of reportSections(WITH_UNBUILT)) {
    const sec = sectionOf(html, s.id);
    for (const e of s.experiments) {
      const info = WITH_UNBUILT.find((x) => x.id === e)!;
      const command = commandFor(info, runs.filter((r) => r.experiment === e));
      if (info.pending) {
        assert.equal(command, null);
        assert.match(sec, /Not built yet: /, `${s.id}: ${e} should be marked not built`);
        assert.ok(sec.includes(esc(info.pending)), `${s.id}: why ${e} is not built`);
      } else assert.ok(sec.includes(esc(command!)), `${s.id}: command for ${e}`);
    }
  }
  assert.ok(!html.includes(`deno task reproduce --only ${UNBUILT}`));
  const overview = sectionOf(html, "overview");
  assert.ok(overview.includes(`${UNBUILT}: not built yet`));
  assert.equal(
    (overview.match(/status-not-built/g) ?? []).length,
    WITH_UNBUILT.filter((e) => e.pending).length,
  );
  // A command reproduces the runs it stands for: their backend, and a profile other than default.
  const two = runs.filter((r) => r.experiment === "two-sequence");
  assert.ok(
    sectionOf(html, "fig2").includes(
      `deno task reproduce --only two-sequence --backend ${two[0].environment.backend}`,
    ),
  );
  // Without runs, a built experiment is "not run" with its command.
  const empty = sectionOf(render([]), "fig2");
  assert.match(empty, /Not run yet. Run it with\n<code>deno task reproduce --only two-sequence/);
});

Deno.test("the report draws from the declarations: targets' reasons, declared deviations, captions", () => {
  const two = EXPERIMENTS.find((e) => e.id === "two-sequence")!;
  const runs = fixtureRuns();
  // A check named like a declared target shows the target's reason (old run files carry none).
  const rc = runs.find((r) => r.experiment === "two-sequence" && r.method === "rc")!;
  const target = two.targets!.rc.checks[0];
  rc.target.checks = [{ ...rc.target.checks[0], name: target.name }];
  const fig2 = sectionOf(render(runs), "fig2");
  assert.ok(fig2.includes(esc(target.why)), target.name);
  for (const d of two.deviations!) assert.ok(fig2.includes(esc(d)), d);
  assert.ok(fig2.includes(esc(`model selection: ${two.selection!.deviation}`)), "selection");
  assert.ok(fig2.includes(`<strong>${esc(two.spikeTimeCurveIs!)}</strong>`), "Fig. 2B caption");
  // Another declaration set, another page: the report knows no experiment by itself.
  const renamed = EXPERIMENTS.map((e) =>
    e.id === "two-sequence"
      ? { ...e, spikeTimeCurveIs: "Fig. 99Z", deviations: [], selection: undefined }
      : e
  );
  const other = renderReport(fixtureRuns(), {
    generatedAt: GENERATED,
    chartJs: "",
    experiments: renamed,
  });
  assert.ok(sectionOf(other, "fig2").includes("<strong>Fig. 99Z</strong>"));
  assert.doesNotMatch(other, /Declared deviations of two-sequence/);
});

Deno.test("lib/report names no experiment and no paper figure of one", async () => {
  for await (const f of Deno.readDir(new URL("../../lib/report/", import.meta.url))) {
    if (!f.name.endsWith(".ts")) continue;
    const text = await Deno.readTextFile(new URL(`../../lib/report/${f.name}`, import.meta.url));
    const code = text.replace(/\/\*[\s\S]*?\*\//g, ""); // doc comments and their examples may
    for (const e of EXPERIMENTS) assert.ok(!code.includes(`"${e.id}"`), `${f.name} names ${e.id}`);
    assert.doesNotMatch(code, /Fig\. \d+[A-Z]/, `${f.name} names a paper figure`);
  }
});

Deno.test("a run's config overrides show as deviations and a badge", () => {
  const [rc] = fixtureRuns().filter((r) => r.experiment === "two-sequence");
  rc.overrides = { beta: 0.2 };
  rc.deviations = [...rc.deviations, "config override: beta = 0.2 (paper: 0)"];
  const card = cardOf(render([rc]), "two-sequence", rc.run);
  // The key and value as code: they are config names, not words.
  assert.ok(card.includes("config override: <code>beta = 0.2</code> (paper: 0)"));
  assert.ok(card.includes("config overridden"));
});

Deno.test("each run's numbers, checks and every deviation sit together in its card", () => {
  const runs = fixtureRuns();
  const html = render(runs);
  for (const r of runs) {
    const card = cardOf(html, r.experiment, r.run);
    assert.ok(card.includes(pct(r.metrics.testAccuracy)), `${r.run}: test accuracy`);
    assert.ok(card.includes(steps(r.metrics.meanSpikeTime)), `${r.run}: mean spike time`);
    for (const c of r.target.checks) assert.ok(card.includes(esc(c.name)), `check ${c.name}`);
    const devStart = card.indexOf("Deviations from the paper");
    assert.ok(devStart > card.indexOf(pct(r.metrics.testAccuracy)), "deviations after numbers");
    for (const d of r.deviations) {
      assert.ok(card.slice(devStart).includes(esc(d)), `deviation ${d}`);
    }
    const software = r.environment.adapter?.isFallbackAdapter === true;
    assert.equal(card.includes(SOFTWARE_ADAPTER_DEVIATION), software, `${r.run}: adapter flag`);
    assert.ok(card.includes(`profile: ${r.profile}`), "profile shown");
    assert.ok(card.includes(esc(r.data.name)), "data set named");
  }
  // A record that says it ran on a software adapter is not told so twice.
  const soft = runs.find((r) => r.environment.adapter?.isFallbackAdapter === true);
  assert.ok(soft, "the fixtures hold a run on a software adapter");
  const own = "software WebGPU adapter (llvmpipe): timings are not those of a GPU";
  const once = { ...soft, deviations: [own, ...soft.deviations] };
  const onceCard = cardOf(render([once]), once.experiment, once.run);
  assert.ok(onceCard.includes(own) && !onceCard.includes(SOFTWARE_ADAPTER_DEVIATION));
  // A check table row: badge, name, paper, ours, tolerance.
  const card = cardOf(html, "two-sequence", "eos");
  const cell = (label: string, inner: string) =>
    `<td data-label="${label}"><div class="v">${inner}</div></td>`;
  assert.ok(
    card.includes(
      cell("", '<span class="badge status-missed">missed</span>') +
        cell("Check", "RC-inference mean first-spike step") +
        cell(
          "Paper (as printed)",
          '<span class="num">23.00</span><br><small class="place">Sec. 3.2, App. B.2, Fig. 2</small>',
        ) +
        cell("Ours", '<span class="num">23.41</span>') +
        cell("Target", '<span class="num">± 0.30</span>'),
    ),
    "check row: badge, name, paper, ours, target",
  );
});

Deno.test("claims: a check whose number the paper does not print shows the paper's words", () => {
  const runs = fixtureRuns();
  const spot = runs.find((r) => r.experiment === "seq-spotting" && r.method === "rc")!;
  const name = "positive spikes at the earliest possible step";
  const withClaimCheck = {
    ...spot,
    target: {
      ...spot.target,
      checks: [{
        name,
        paper: 1,
        measured: 0.99,
        tolerance: { kind: "atLeast" as const, value: 0.9 },
        met: true,
        unit: "fraction" as const,
      }],
    },
  };
  const card = cardOf(render([withClaimCheck]), spot.experiment, spot.run);
  const info = EXPERIMENTS.find((e) => e.id === "seq-spotting")!;
  assert.match(claimOf({ name }, info)!, /in almost all cases/);
  assert.match(card, /claim: positive spikes at the earliest possible step/);
  assert.doesNotMatch(
    card,
    /data-label="Paper \(as printed\)"><div class="v"><span class="num">100/,
  );
  // Ad hoc checks of run code are matched by the start of their name.
  const mnist = EXPERIMENTS.find((e) => e.id === "mnist")!;
  assert.match(
    claimOf({ name: "mean first spike, RC / EOS-trained with RC-inference" }, mnist)!,
    /no ratio is printed/,
  );
  assert.equal(claimOf({ name: "RC-inference accuracy" }, info), null);
});

Deno.test("savings: hand-made pair gives 60.00 % and the realised ratio", () => {
  const [row] = computeSavings(handPair());
  assert.equal(row.baseline, "eos");
  assert.equal(pct(row.train!.backwardSteps.saving), "60.00 %");
  assert.equal(pct(row.train!.wallSeconds.saving), "50.00 %");
  assert.equal(pct(row.train!.forwardSteps.saving), "55.00 %");
  assert.equal(row.train!.realisedRatio!.toFixed(4), (0.5 / 0.6).toFixed(4));
  assert.equal(pct(row.inference!.forwardSteps.saving), "65.00 %");
  assert.equal(row.inference!.realisedRatio!.toFixed(4), (0.5 / 0.65).toFixed(4));
  assert.equal(row.inference!.backwardSteps.saving, null, "0/0 is undefined");
  const html = render(handPair());
  const savings = sectionOf(html, "savings");
  assert.ok(savings.includes("60.00 %"));
  assert.ok(savings.includes("0.83"));
  assert.ok(savings.includes("n/a"));
});

Deno.test("savings: GPU workgroups dispatched, RC against EOS per example, as a note", () => {
  const [rc, eos] = handPair();
  rc.compute.train = { ...rc.compute.train, gpuWorkgroups: 400 };
  eos.compute.train = { ...eos.compute.train, gpuWorkgroups: 1000 };
  const [row] = computeSavings([rc, eos]);
  const note = row.notes.find((n) => /GPU workgroups/.test(n));
  assert.equal(
    note,
    "training: 400 GPU workgroups dispatched against EOS's 1,000 (60.0 % fewer per example)",
  );
  assert.ok(render([rc, eos]).includes("400 GPU workgroups dispatched"));
  delete rc.compute.train.gpuWorkgroups;
  assert.ok(!computeSavings([rc, eos])[0].notes.some((n) => /GPU workgroups/.test(n)));
});

Deno.test("savings: per example, baseline fallback, and n/a where undefined", () => {
  const [rc, eos] = handPair();
  // Twice the examples and twice the steps: the same per-example saving.
  eos.compute.train = { ...eos.compute.train, backwardSteps: 2000, examples: 50 };
  delete rc.baseline;
  eos.run = "eos-long";
  const [row] = computeSavings([rc, eos]);
  assert.equal(row.baseline, "eos-long", "falls back to the experiment's EOS run");
  assert.equal(pct(row.train!.backwardSteps.saving), "60.00 %");
  assert.ok(row.notes.some((n) => /different numbers of examples/.test(n)));
  const [lonely] = computeSavings([rc]);
  assert.equal(lonely.baseline, null);
  assert.equal(lonely.train, null);
  assert.ok(render([rc]).includes("no EOS run in this experiment"));
  // Where another RC run names the EOS run as its baseline, an RC run naming none has none.
  const named = { ...rc, run: "rc-named", baseline: "eos-long" };
  const [unnamed, withBaseline] = computeSavings([rc, named, eos]);
  assert.equal(unnamed.baseline, null);
  assert.ok(unnamed.notes.some((n) => /no EOS baseline of its own/.test(n)));
  assert.equal(withBaseline.baseline, "eos-long");
  const zero = phaseSavings(counts(0, 10, 1), counts(0, 10, 1), "backwardSteps");
  assert.equal(zero.stepSaving, null);
  assert.equal(zero.realisedRatio, null);
  assert.equal(zero.paired, null);
});

Deno.test("paired timing: step and wall savings and their ratio, rendered beside the run's", () => {
  const timing = (rcSeconds: number, rcSteps: number) => ({
    batches: 4,
    batchSize: 8,
    rcSeconds,
    eosSeconds: 4,
    rcSteps,
    eosSteps: 1000,
    what: "test",
  });
  const p = pairedSavings(timing(1, 200))!;
  assert.equal(pct(p.stepSaving), "80.00 %");
  assert.equal(pct(p.wallSaving), "75.00 %");
  assert.equal(p.realisedRatio!.toFixed(4), "0.9375");
  assert.equal(pairedSavings(undefined), null);
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "two-sequence");
  rc.compute.paired = { train: timing(1, 200), inference: timing(2, 500) };
  const [row] = computeSavings([rc, eos]);
  assert.equal(row.train!.paired!.realisedRatio!.toFixed(4), "0.9375");
  assert.equal(row.inference!.paired!.realisedRatio!.toFixed(4), "1.0000");
  assert.match(render([rc, eos]), /<span class="paired"[^>]*><span class="num">0\.94</);
});

Deno.test("the page makes no requests: no external scripts, links or URLs in resources", () => {
  const html = render(fixtureRuns());
  assert.doesNotMatch(html, /<script[^>]*\ssrc\s*=/i);
  assert.doesNotMatch(html, /<(link|img|iframe|source|video|audio)\b/i);
  assert.doesNotMatch(html, /\s(src|href|action)\s*=\s*["']?(https?:)?\/\//i);
  assert.doesNotMatch(html, /url\(\s*["']?(https?:)?\/\//i);
  assert.doesNotMatch(html, /@import/i);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
});

Deno.test("lib/report imports no tfjs, directly or through what it imports", async () => {
  const dir = new URL("../../lib/report/", import.meta.url);
  for await (const f of Deno.readDir(dir)) {
    if (!f.name.endsWith(".ts")) continue;
    const text = await Deno.readTextFile(new URL(f.name, dir));
    const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)].map((m) =>
      m[1]
    );
    for (const s of specifiers) {
      assert.doesNotMatch(s, /tfjs|tensorflow/i, `${f.name} imports ${s}`);
      assert.ok(
        // overrides.ts: how `--set` names runs and words deviations, which the report reads
        // back (plain functions over strings; the graph check below holds it to no tfjs);
        // _grid.ts: what a record says of itself (an RC run that never spiked), plain functions.
        s.startsWith("./") || s === "../results.ts" || s === "../experiments/declaration.ts" ||
          s === "../experiments/overrides.ts" || s === "../experiments/_grid.ts" ||
          s.startsWith("node:"),
        `${f.name} imports ${s}`,
      );
    }
  }
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("write.ts", dir).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(info.success, new TextDecoder().decode(info.stderr));
  const graph = JSON.parse(new TextDecoder().decode(info.stdout)) as {
    modules: { specifier: string }[];
  };
  const tf = graph.modules.filter((m) => /tfjs|tensorflow/i.test(m.specifier));
  assert.deepEqual(tf.map((m) => m.specifier), []);
});

Deno.test("figures go to the section of their paper figure, ordered naturally", () => {
  const runs = fixtureRuns();
  const html = render(runs);
  const fig1 = sectionOf(html, "fig1");
  assert.ok(fig1.indexOf("Fig. 1C") < fig1.indexOf("Fig. 1D"), "1C before 1D");
  assert.ok(sectionOf(html, "fig2").includes("Fig. 2A"));
  // An MNIST run's figures split between Table 1 / Fig. 3 and Fig. 6; unknown ones go home.
  const mnist: RunRecord = {
    ...runs[0],
    experiment: "mnist",
    run: "rc-lstm",
    figures: ["6B", "3B", "T1", "S9"].map((paperFigure) => ({
      paperFigure,
      title: `figure ${paperFigure}`,
      kind: "scatter" as const,
      xLabel: "x",
      yLabel: "y",
      series: [{ label: "s", x: [1, 2], y: [3, 4] }],
      caption: `caption ${paperFigure}`,
    })),
  };
  const h2 = render([mnist]);
  const t1 = sectionOf(h2, "table1-fig3");
  const f6 = sectionOf(h2, "fig6");
  assert.ok(t1.includes("caption T1") && t1.includes("caption 3B") && t1.includes("caption S9"));
  assert.ok(!t1.includes("caption 6B") && f6.includes("caption 6B") && !f6.includes("caption 3B"));
  assert.ok(t1.indexOf("caption T1") < t1.indexOf("caption 3B"));
  assert.equal(figureKey("Table 1"), "T1");
  assert.equal(figureKey("10A"), "10");
  assert.deepEqual(["10", "2B", "T1", "1D", "1C"].sort(compareFigureLabels), [
    "T1",
    "1C",
    "1D",
    "2B",
    "10",
  ]);
});

Deno.test("keyword spotting names the data set of every number", () => {
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "two-sequence");
  const fsdd = [rc, eos].map((r) => ({
    ...r,
    experiment: "kws-fsdd" as const,
    data: { name: "FSDD (Free Spoken Digit Dataset, 3,000 recordings)", checksum: "sha256:abc" },
  }));
  const html = render(fsdd);
  const sec = sectionOf(html, "fig4-fig5");
  assert.ok(sec.includes("data: FSDD (Free Spoken Digit Dataset, 3,000 recordings)"));
  assert.ok(sec.includes("offline stand-in"));
  assert.match(sec, /kws-gsc[\s\S]*Not run yet[\s\S]*kws-fsdd/);
});

Deno.test("untrusted text is escaped and failed runs show their error", () => {
  const [r] = fixtureRuns();
  r.deviations = [`<script>alert(1)</script> & more`];
  r.status = "failed";
  r.error = "Out of memory <GPU>";
  const html = render([r]);
  assert.ok(!html.includes("<script>alert(1)"));
  assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"));
  assert.ok(html.includes("Out of memory &lt;GPU&gt;"));
  assert.ok(html.includes("1 run(s) failed"));
});

Deno.test("summarise: headline numbers, statuses and savings, JSON-safe", () => {
  const runs = fixtureRuns();
  const s = summarise(runs, WITH_UNBUILT);
  assert.equal(s.runCount, 4);
  const byId = Object.fromEntries(s.experiments.map((e) => [e.experiment, e]));
  assert.equal(byId["seq-spotting"].status, "met");
  // A run file that says "met" over no check is judged "not checked", and so is its experiment.
  const unchecked = runs.filter((r) => r.experiment === "seq-spotting")
    .map((r) => ({ ...r, target: { ...r.target, checks: [] } }));
  const again = summarise(unchecked, WITH_UNBUILT).experiments
    .find((e) => e.experiment === "seq-spotting")!;
  assert.equal(again.status, "not checked");
  assert.ok(again.runs.every((r) => r.status === "not checked"));
  assert.equal(byId["two-sequence"].status, "missed");
  assert.equal(byId[UNBUILT].status, "not built");
  assert.equal(byId[UNBUILT].command, null);
  assert.equal(byId["mnist"].command, "deno task reproduce --only mnist");
  const backend = runs.find((r) => r.experiment === "two-sequence")!.environment.backend;
  assert.equal(
    byId["two-sequence"].command,
    `deno task reproduce --only two-sequence --backend ${backend}`,
  );
  assert.equal(byId["two-sequence"].checksMet, 4);
  assert.equal(byId["two-sequence"].checksTotal, 5);
  const rc = byId["two-sequence"].runs.find((r) => r.run === "rc")!;
  assert.equal(rc.testAccuracy, 0.9545);
  assert.equal(rc.meanSpikeTime, 14.27);
  assert.equal(byId["two-sequence"].savings.length, 1);
  assert.ok(byId["two-sequence"].savings[0].train!.backwardSteps.saving! > 0.6);
  const text = JSON.stringify(s);
  assert.doesNotMatch(text, /NaN|Infinity/);
  assert.deepEqual(JSON.parse(text), s);
});

Deno.test("bench: parses `deno bench --json` and reports bad input clearly", () => {
  const b = parseDenoBenchJson(fixtureBenchJson());
  assert.equal(b.cpu, "AMD EPYC 9R45");
  assert.equal(b.results.length, 2);
  assert.equal(b.results[0].avgNs, 284_000_000);
  assert.equal(b.results[0].group, "lstm");
  const html = render([], b);
  assert.ok(sectionOf(html, "bench").includes("284.00 ms"));
  assert.throws(() => parseDenoBenchJson("not json"), /Cannot parse benchmark results/);
  assert.throws(() => parseDenoBenchJson("[]"), /"benches" array/);
  const failed = parseDenoBenchJson(JSON.stringify({
    benches: [{ name: "x", group: null, origin: "f", results: [{ failed: "boom" }] }],
  }));
  assert.equal(failed.results[0].avgNs, null);
  assert.equal(failed.results[0].error, "boom");
});

Deno.test("chart.js loads from the installed package", async () => {
  const text = await loadChartJs();
  assert.equal(chartJsVersion(text), "4.5.1");
  const html = renderReport([], {
    generatedAt: GENERATED,
    chartJs: text,
    experiments: EXPERIMENTS,
  });
  assert.equal(html.split("</script>").length, 4, "three script elements, none cut short");
});

Deno.test("writeReport and `deno task report --out` write index.html and summary.json", async () => {
  const out = await Deno.makeTempDir({ prefix: "report-write-" });
  try {
    await writeFixtureRuns(out);
    await Deno.mkdir(`${out}/bench`);
    await Deno.writeTextFile(`${out}/bench/latest.json`, fixtureBenchJson());
    const written = await writeReport(out, {
      generatedAt: GENERATED,
      experiments: EXPERIMENTS,
      outdated: (records) =>
        Promise.resolve(
          new Map([[`${records[0].experiment}/${records[0].run}`, "older <config>"]]),
        ),
    });
    assert.deepEqual(written, { html: `${out}/index.html`, summary: `${out}/summary.json` });
    const html = await Deno.readTextFile(written.html);
    assert.ok(html.includes("Chart.js v4.5.1"));
    assert.ok(html.includes("AMD EPYC 9R45"));
    assert.match(
      html,
      /1 run file\(s\) are not what the current code would make[^<]*\(older &lt;config&gt;\)/,
    );
    const summary = JSON.parse(await Deno.readTextFile(written.summary));
    assert.equal(summary.generatedAt, GENERATED);
    assert.equal(summary.runCount, 4);
    assert.equal(Object.keys(summary.outdated).length, 1);
    assert.ok(Object.values(summary.outdated).includes("older <config>"));

    const cli = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../../tasks/report.ts", import.meta.url).pathname, "--out", out],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(cli.stdout);
    assert.ok(cli.success, new TextDecoder().decode(cli.stderr));
    assert.deepEqual(stdout.trim().split("\n"), [`${out}/index.html`, `${out}/summary.json`]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a reduced profile is labelled below the paper's protocol only when it lists reductions", () => {
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "two-sequence");
  rc.profile = eos.profile = "default";
  rc.deviations = ['profile "default": smaller than the paper\'s protocol, as listed here'];
  eos.deviations = [];
  const html = render([rc, eos]);
  assert.match(html, /profile: default — below the paper(&#39;|')s protocol/);
  assert.match(html, /profile: default — the paper(&#39;|')s protocol/);
  assert.match(html, /1 of 2 run\(s\) use a profile below the paper(&#39;|')s protocol/);
});

/** A validation point of a hand-made training curve. */
const point = (batch: number, spikingAccuracy: number, meanSpikeTime: number) => ({
  batch,
  examples: batch * 10,
  loss: 0.1,
  spikingAccuracy,
  meanSpikeTime,
  fractionFired: 1,
  eosAccuracy: 0.9,
  wallSeconds: batch,
});

Deno.test("model selection: the weights evaluated, and the final weights' numbers beside them", () => {
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "seq-spotting")
    .sort((a) => a.method === "rc" ? -1 : 1);
  // Best validation point at batch 20 (0.98), final at batch 40 (0.51): the collapse is shown.
  eos.curves = [point(10, 0.7, 20), point(20, 0.98, 18), point(30, 0.9, 9), point(40, 0.51, 4.24)];
  eos.config = { ...eos.config, selectBy: "spiking" };
  const sel = selectionOf(eos);
  assert.equal(sel.selected?.batch, 20);
  assert.equal(sel.final?.batch, 40);
  const html = render([rc, eos]);
  const card = cardOf(html, "seq-spotting", eos.run);
  assert.ok(card.includes("the best validation RC-inference accuracy — batch 20 of 40"));
  assert.ok(card.includes("Final weights"));
  assert.ok(card.includes(">51.00 %<"), "the final weights' validation accuracy");
  assert.ok(card.includes(">4.24<"), "the final weights' mean spike step");
  const spotting = EXPERIMENTS.find((e) => e.id === "seq-spotting")!;
  assert.ok(card.includes(esc(spotting.selection!.paper)), "what the paper says");
  assert.ok(card.includes("deviation"), "the declared choice marked beside the number");
  assert.match(
    sectionOf(html, "fig1"),
    /eos: the weights evaluated are those of batch 20 \(validation RC-inference 98\.00 %\); at the end of training \(batch 40\) the same model scores 51\.00 % at 4\.24 steps: RC-inference collapses/,
  );
  // Final weights evaluated: the best validation point (the paper's rule) is shown beside.
  const last = { ...eos, config: { ...eos.config, selectBy: "last" } };
  const lastCard = cardOf(render([rc, last]), "seq-spotting", eos.run);
  assert.ok(lastCard.includes("the final weights (end of training) — batch 40 of 40"));
  assert.ok(lastCard.includes("Best validation RC-inference accuracy (not evaluated)"));
  const s = summarise([rc, eos], EXPERIMENTS).experiments[0].runs.find((r) => r.run === eos.run)!;
  assert.deepEqual(s.selection, {
    rule: "spiking",
    batch: 20,
    final: { batch: 40, spikingAccuracy: 0.51, meanSpikeTime: 4.24, eosAccuracy: 0.9 },
  });
});

Deno.test("reading: trade-off curves compared at equal speed, in points", () => {
  const p = (meanSpikeTime: number, accuracy: number) => ({
    threshold: 0.5,
    meanSpikeTime,
    accuracy,
    fractionFired: 1,
  });
  // EOS is 1 point above RC everywhere on [2, 10]: they coincide within 1.0 point.
  const gap = curveGap([p(0, 0.5), p(10, 0.9)], [p(2, 0.59), p(10, 0.91)])!;
  assert.equal(gap.from, 2);
  assert.equal(gap.to, 10);
  assert.ok(Math.abs(gap.maxGap - 0.01) < 1e-12);
  assert.ok(Math.abs(gap.meanDiff + 0.01) < 1e-12);
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "two-sequence")
    .sort((a) => a.method === "rc" ? -1 : 1);
  rc.metrics.thresholdCurve = [p(0, 0.5), p(10, 0.9)];
  eos.metrics.thresholdCurve = [p(2, 0.59), p(10, 0.91)];
  assert.deepEqual(tradeoffReading([rc, eos]), [
    "Over θ, rc's and eos's accuracy-vs-speed curves coincide within 1.0 points at equal speed " +
    "(mean first-spike steps 2.00–10.00): at a given speed, RC training buys no accuracy over " +
    "lowering EOS's θ.",
  ]);
  // Far apart: the mean difference and the largest gap, with its step.
  eos.metrics.thresholdCurve = [p(0, 0.3), p(10, 0.9)];
  assert.match(
    tradeoffReading([rc, eos])[0],
    /rc is on average 10\.0 points more accurate than eos; the largest gap is 20\.0 points, at step 0\.00/,
  );
  assert.ok(sectionOf(render([rc, eos]), "fig2").includes("What the runs show"));
});

Deno.test("an engine that runs every step: no saving in green, what RC needed, the paired path", () => {
  const [rc, eos] = handPair();
  // The engine ran all 1000 steps; RC needed 400; the paired timing names no path (older record).
  rc.compute.train = { ...eos.compute.train, forwardStepsNeeded: 400, wallSeconds: 10.2 };
  rc.environment = { ...rc.environment, engine: "webgpu engine" as const };
  rc.compute.paired = {
    train: {
      batches: 2,
      batchSize: 8,
      rcSeconds: 2,
      eosSeconds: 1,
      rcSteps: 4,
      eosSteps: 10,
      what: "x",
    },
    inference: {
      batches: 2,
      batchSize: 8,
      rcSeconds: 1,
      eosSeconds: 1,
      rcSteps: 10,
      eosSteps: 10,
      what: "y",
    },
  };
  const [row] = computeSavings([rc, eos]);
  assert.equal(row.train!.stepSaving, 0);
  assert.equal(row.pairedPath, "tfjs");
  assert.ok(row.notes.some((n) => n.includes("ran every step; RC needed 60.00 % fewer")));
  const html = sectionOf(render([rc, eos]), "savings");
  assert.ok(html.includes('<span class="saving zero">0.00 %</span>'));
  assert.ok(!html.includes('<span class="saving good">0.00 %</span>'));
  assert.ok(html.includes("tfjs path, see note"));
});

Deno.test("the page says what it is: machine, backend, profile, deviations; title from the runs", () => {
  const runs: RunRecord[] = fixtureRuns().map((r) => ({
    ...r,
    environment: {
      ...r.environment,
      backend: "webgpu",
      engine: "webgpu engine" as const,
      cpuCount: 16,
      adapter: {
        description: "NVIDIA H100 80GB HBM3",
        vendor: "4318",
        architecture: "",
        device: "9008",
        isFallbackAdapter: false,
        wgpuBackend: null,
      },
    },
  }));
  const html = render(runs);
  assert.match(html, /<title>[^<]*NVIDIA H100 80GB HBM3, webgpu, profile default<\/title>/);
  const header = html.slice(html.indexOf("<header>"), html.indexOf("</header>"));
  assert.ok(header.includes("NVIDIA H100 80GB HBM3, 16 CPU cores"));
  assert.ok(header.includes("webgpu (webgpu engine)"));
  assert.ok(header.includes("two-sequence</a>: 1 declared for all its runs"));
  // Commands reproduce this page's runs, and name its backend where an experiment has none.
  assert.ok(html.includes("deno task reproduce --only two-sequence --backend webgpu"));
  assert.ok(html.includes("deno task reproduce --only mnist --backend webgpu"));
  // One git revision everywhere: provenance and manifest print it alike.
  const rev = runs[0].environment.gitRevision.slice(0, 12);
  assert.ok(sectionOf(html, "provenance").includes(`>${rev}</code>`));
  assert.ok(sectionOf(html, "manifest").includes(`<td>${rev}</td>`));
});

Deno.test("seeds: a configuration run with two seeds shows mean ± sd, one seed says so", () => {
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "two-sequence")
    .sort((a) => a.method === "rc" ? -1 : 1);
  const rc2 = {
    ...rc,
    run: "rc-s2",
    seed: 2,
    metrics: { ...rc.metrics, testAccuracy: rc.metrics.testAccuracy - 0.01 },
  };
  const html = render([rc, rc2, eos]);
  const mean = rc.metrics.testAccuracy - 0.005;
  const sd = Math.sqrt(2 * 0.005 ** 2);
  assert.ok(
    cardOf(html, "two-sequence", "rc").includes(
      `mean ± sd over 2 seeds: ${(mean * 100).toFixed(2)} ± ${(sd * 100).toFixed(2)} %`,
    ),
  );
  assert.ok(cardOf(html, "two-sequence", "eos").includes("1 seed"));
  const s = summarise([rc, rc2, eos], EXPERIMENTS).experiments[1];
  assert.deepEqual(s.runs.map((r) => r.seeds), [2, 2, 1]);
});

Deno.test("seeds: each check is also judged on the seeds' mean, in its own column", () => {
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "two-sequence")
    .sort((a) => a.method === "rc" ? -1 : 1);
  const c0 = rc.target.checks[0];
  assert.ok(c0 && c0.tolerance.kind === "abs", "the fixture's first RC check is ± a tolerance");
  // Seed 2 lands 3 tolerances above the paper: its mean with seed 1 is out of tolerance.
  const far = c0.paper + 3 * c0.tolerance.value;
  const rc2 = {
    ...rc,
    run: "rc-s2",
    seed: rc.seed! + 1,
    target: {
      ...rc.target,
      checks: [{ ...c0, measured: far, met: false }, ...rc.target.checks.slice(1)],
    },
  };
  const card = cardOf(render([rc, rc2, eos]), "two-sequence", "rc");
  assert.ok(card.includes("Mean over seeds") && card.includes("(2 seeds)"));
  const mean = (c0.measured! + far) / 2;
  const expectMet = Math.abs(mean - c0.paper) <= c0.tolerance.value;
  const row = card.slice(card.indexOf(c0.name), card.indexOf("</tr>", card.indexOf(c0.name)));
  const seedCell = row.slice(row.indexOf("(2 seeds)") - 300, row.indexOf("(2 seeds)"));
  assert.ok(seedCell.includes(expectMet ? "status-met" : "status-missed"), seedCell);
  assert.ok(!expectMet, "the mean misses, whatever seed 1 did");
  // One seed: no such column.
  assert.ok(!cardOf(render([rc, eos]), "two-sequence", "rc").includes("Mean over seeds"));
});

Deno.test("seeds: the reading speaks once per configuration, with the seeds' mean ± sd", () => {
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "two-sequence")
    .sort((a) => a.method === "rc" ? -1 : 1);
  const rc2 = {
    ...rc,
    run: "rc-s2",
    seed: rc.seed! + 1,
    metrics: { ...rc.metrics, testAccuracy: rc.metrics.testAccuracy - 0.01 },
  };
  const lines = runsReading([rc2, rc, eos]);
  assert.equal(lines.length, 1, lines.join("\n"));
  const mean = rc.metrics.testAccuracy - 0.005, sd = Math.sqrt(2 * 0.005 ** 2);
  assert.ok(lines[0].startsWith("rc (2 seeds, mean ± sd): RC-trained reaches "), lines[0]);
  assert.ok(lines[0].includes(`${(100 * mean).toFixed(2)} ± ${(100 * sd).toFixed(2)} %`));
  assert.ok(lines[0].includes("(eos, 1 seed)"));
  assert.ok(!curvesReading([rc, rc2, eos]).join(" ").includes("rc-s2"));
  // One seed: the run's own numbers, as before.
  assert.ok(runsReading([rc, eos])[0].startsWith("rc (1 seed): RC-trained reaches "));
  // An RC model slower than its baseline says "more", never "-x % fewer".
  const slow = { ...rc, metrics: { ...rc.metrics, meanSpikeTime: 2 * eos.metrics.meanSpikeTime } };
  assert.match(runsReading([slow, eos])[0], / — 100 % more steps than EOS with RC-inference/);
});

Deno.test("seeds: per-run figures of the first seed only, the others named with where they are", () => {
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "two-sequence")
    .sort((a) => a.method === "rc" ? -1 : 1);
  assert.ok((rc.figures ?? []).length > 0, "the fixture's RC run has figures");
  const rc2 = { ...rc, run: "rc-s2", seed: rc.seed! + 1 }; // a later seed of the same config
  const count = (html: string, run: string) =>
    html.split(`-trained run <code>${run}</code>`).length - 1;
  for (const order of [[rc, rc2, eos], [rc2, rc, eos]]) {
    const html = render(order);
    assert.equal(count(html, "rc-s2"), 0, "no figure of seed 2");
    assert.ok(count(html, "rc") > 0, "seed 1's figures drawn");
    assert.match(
      html,
      /Figures of the first seed of each configuration; those of <code>rc-s2<\/code>/,
    );
  }
  // One seed: no note.
  assert.ok(!render([rc, eos]).includes("Figures of the first seed"));
});

Deno.test("charts compared side by side share scales; bars keep a tick at 0; method colours fixed", () => {
  const bar = (y: number[], x: number[]): FigureSpec => ({
    paperFigure: "1C",
    title: "t",
    kind: "bar",
    xLabel: "offset",
    yLabel: "n",
    series: [{ label: "positive", x, y }, { label: "no spike", x, y: x.map(() => 0) }],
    caption: "c",
  });
  const xs = Array.from({ length: 51 }, (_, i) => i - 25);
  const at = (pairs: [number, number][]) => xs.map((x) => pairs.find(([k]) => k === x)?.[1] ?? 0);
  const a = bar(at([[2, 1440], [3, 10]]), xs), b = bar(at([[5, 300], [8, 7]]), xs);
  const shared = sharedScale([a, b]);
  // Largest bar 1,440: a round top of 1,500 in steps of 500, the same for both.
  assert.equal(shared.yMax, 1500);
  assert.equal(shared.yStep, 500);
  // Bars only between 2 and 8, widened to include 0; the rest (over 40 % of the axis) trimmed.
  assert.deepEqual(shared.labels, [0, 1, 2, 3, 4, 5, 6, 7, 8]);
  const ca = figureChart(a, shared), cb = figureChart(b, shared);
  const y = (c: ChartConfig) => (c.options.scales as Record<string, Record<string, unknown>>).y;
  assert.equal(y(ca).max, 1500);
  assert.equal(y(cb).max, 1500);
  const x = (ca.options.scales as Record<string, Record<string, Record<string, number>>>).x;
  assert.equal(x.ticks.multipleOf, 1);
  assert.equal(niceStep(50 / 12), 5);
  // Series colours: never RC's blue or EOS's red unless the label names the method.
  const colours = ca.data.datasets.map((d) => d.backgroundColor);
  assert.ok(!colours.includes(RC_COLOUR) && !colours.includes(EOS_COLOUR));
  const named = figureChart({
    ...a,
    kind: "line",
    series: [
      { label: "RC-trained", x: [1, 2], y: [1, 2] },
      { label: "EOS-trained", x: [1, 2], y: [2, 3] },
    ],
  });
  assert.deepEqual(named.data.datasets.map((d) => d.borderColor), [RC_COLOUR, EOS_COLOUR]);
  // θ in a series label: each point carries its θ as a visible label.
  const theta = figureChart({
    ...a,
    kind: "scatter",
    series: [
      { label: "RC-trained, θ ∈ {0.9, 0.95}", x: [1, 2], y: [90, 95] },
    ],
  });
  assert.deepEqual(
    (theta.data.datasets[0].data as { label: string }[]).map((p) => p.label),
    ["0.9", "0.95"],
  );
  assert.deepEqual(
    (theta.options.plugins as Record<string, unknown>).pointLabels,
    { display: true },
  );
});

Deno.test("extra numbers without a declared label: words and units from the key", () => {
  assert.equal(extraValue("majorityShare", 0.1), "10.00 %");
  assert.equal(extraValue("lateAccuracyDrop", 0.0633), "6.33 %");
  assert.equal(extraValue("testSpikeMs", 935.93), "936 ms");
  assert.equal(extraValue("spikeMsAtTheta0.3", 48.85), "49 ms");
  assert.equal(extraValue("meanSpikeTime", 4.236), "4.24");
  assert.equal(extraValue("epochs", 0.3442), "0.34");
  assert.equal(humanise("spikeMsAtTheta0.3"), "spike ms at θ = 0.3");
  const [rc] = fixtureRuns().filter((r) => r.experiment === "two-sequence");
  rc.metrics.extra = { ...rc.metrics.extra, peakRssMiB: 301.5, majorityShare: 0.1 };
  const html = render([rc]);
  const card = cardOf(html, "two-sequence", rc.run);
  assert.ok(card.includes("<dt>Majority share</dt>"));
  assert.ok(!card.includes("peak resident memory"), "a diagnostic is not a result");
  assert.ok(sectionOf(html, "provenance").includes("peak resident memory (MiB): 301.50"));
});

Deno.test("seeds: the savings table closes a configuration's seeds with their mean ± sd", () => {
  const [rc, eos] = fixtureRuns().filter((r) => r.experiment === "two-sequence")
    .sort((a) => a.method === "rc" ? -1 : 1);
  const scale = (c: ComputeCounts, k: number): ComputeCounts => ({
    ...c,
    backwardSteps: Math.round(c.backwardSteps * k),
    wallSeconds: c.wallSeconds * k,
  });
  // Seed 2's RC run did 10 % fewer backward steps and took 20 % less time in training.
  const eos2 = { ...eos, run: "eos-s2", seed: 2 };
  const rc2 = {
    ...rc,
    run: "rc-s2",
    seed: 2,
    baseline: "eos-s2",
    compute: { ...rc.compute, train: scale(rc.compute.train, 0.9) },
  };
  const records = [rc, eos, rc2, eos2];
  const rows = computeSavings(records);
  const steps = rows.map((s) => s.train!.stepSaving!);
  const ratios = rows.map((s) => s.train!.realisedRatio!);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = (xs: number[]) => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0));
  assert.ok(Math.abs(steps[0] - steps[1]) > 0.01, "the seeds' step savings differ");
  const html = sectionOf(render(records), "savings");
  assert.ok(html.includes("Over 2 seeds (<code>rc</code>, <code>rc-s2</code>): mean ± sd"), html);
  // The summary follows the last seed's rows, and gives the seeds' spread.
  assert.ok(html.indexOf("Over 2 seeds") > html.indexOf("<code>rc-s2</code> vs"));
  const row = html.slice(html.indexOf("seed-summary"));
  const pm = (xs: number[], f: (x: number) => string) => `${f(mean(xs))} ± ${f(sd(xs))}`;
  assert.ok(row.includes(pm(steps, (x) => (100 * x).toFixed(2)) + " %"), row.slice(0, 900));
  assert.ok(row.includes(pm(ratios, (x) => x.toFixed(2))), row.slice(0, 900));
  // One seed per configuration: no summary.
  assert.ok(!sectionOf(render([rc, eos]), "savings").includes("Over "));
});

Deno.test("status: no checks is 'not checked', never met; one missed check is missed", () => {
  assert.equal(statusFromChecks([]), "not checked");
  assert.equal(statusFromChecks([{ met: true }, { met: true }]), "met");
  assert.equal(statusFromChecks([{ met: true }, { met: false }]), "missed");
  // A check whose input was missing judges nothing: the others decide, or none is measured.
  const missing = { met: false, notMeasured: "its EOS baseline has not finished" };
  assert.equal(statusFromChecks([{ met: true }, missing]), "met");
  assert.equal(statusFromChecks([missing]), "not checked");
  // An old run file saying "met" over an empty list is judged again; a failed run stays failed.
  assert.equal(judgedStatus({ status: "met", target: { checks: [] } }), "not checked");
  assert.equal(judgedStatus({ status: "failed", target: { checks: [] } }), "failed");
  assert.equal(judgedStatus({ status: "met", target: { checks: [{ met: false }] } }), "missed");
});

Deno.test("first screen: paper beside ours for what ran, what RC saved, sibling pages linked", async () => {
  const runs = fixtureRuns();
  const html = renderReport(runs, {
    generatedAt: GENERATED,
    chartJs: "",
    experiments: EXPERIMENTS,
    siblings: [{ href: "h100/index.html", what: "the toys on an H100" }],
  });
  const glance = html.slice(
    html.indexOf('id="glance"'),
    html.indexOf("</section>", html.indexOf('id="glance"')),
  );
  assert.ok(html.indexOf('id="glance"') < html.indexOf('id="overview"'), "before the overview");
  // The fixture's two-sequence RC run against its EOS baseline: its backward-step saving.
  const two = computeSavings(runs).find((r) => r.experiment === "two-sequence")!;
  const saving = (100 * two.train!.stepSaving!).toFixed(1);
  assert.match(
    glance,
    new RegExp(`The 2-sequence problem[^<]*</strong>[^<]*training steps ${saving} % fewer`),
  );
  assert.match(glance, /<a href="h100\/index.html">h100\/index.html<\/a>: the toys on an H100/);
  // Nothing of Table 1 ran in the fixture: no Table 1 line.
  assert.doesNotMatch(glance, /Table 1: paper vs ours/);
  // siblingPages finds a subfolder report by its README's heading.
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/gpu`);
    await Deno.writeTextFile(`${dir}/gpu/index.html`, "<html></html>");
    await Deno.writeTextFile(`${dir}/gpu/README.md`, "# Runs on a GPU\n\ntext");
    await Deno.mkdir(`${dir}/runs`);
    assert.deepEqual(await siblingPages(dir), [{ href: "gpu/index.html", what: "Runs on a GPU" }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("degenerate RC runs: never spiking in training is named and kept out of the summary", () => {
  const runs = fixtureRuns();
  const rc = runs.find((r) => r.experiment === "two-sequence" && r.method === "rc")!;
  assert.equal(rcDegenerate(rc), null);
  const t = rc.compute.train;
  const never = { ...rc, compute: { ...rc.compute, train: { ...t, backwardSteps: t.eosSteps } } };
  assert.equal(rcDegenerate(never), "never spiked in training: RC = EOS here");
  const few = {
    ...rc,
    compute: { ...rc.compute, train: { ...t, backwardSteps: Math.round(0.98 * t.eosSteps!) } },
  };
  assert.match(rcDegenerate(few)!, /only: RC ≈ EOS here/);
  const html = render(runs.map((r) => r === rc ? never : r));
  assert.match(html, /never spiked in training: RC = EOS here/);
  const glance = html.slice(html.indexOf('id="glance"'));
  assert.match(
    glance.slice(0, glance.indexOf("</section>")),
    /1 RC run\(s\) left out: 1 never spiked in training \(RC = EOS there\)/,
  );
  // A run that spiked early on a few steps only is said so, not "never spiked".
  const fewHtml = render(runs.map((r) => r === rc ? few : r));
  const fewGlance = fewHtml.slice(fewHtml.indexOf('id="glance"'));
  assert.match(
    fewGlance.slice(0, fewGlance.indexOf("</section>")),
    /1 RC run\(s\) left out: 1 spiked early in under 5 % of training's steps \(RC ≈ EOS there\)/,
  );
});

Deno.test("run card: the test accuracy carries its 95 % interval and the test size", () => {
  const runs = fixtureRuns();
  const rc = runs.find((r) => r.experiment === "two-sequence" && r.method === "rc")!;
  const sized = { ...rc, config: { ...rc.config, testSize: 300 } };
  const card = cardOf(render([sized]), rc.experiment, rc.run);
  const { lo, hi } = wilson(rc.metrics.testAccuracy, 300);
  assert.ok(
    card.includes(`95 % interval ${(100 * lo).toFixed(1)}-${(100 * hi).toFixed(1)} % (n = 300)`),
  );
  assert.equal(intervalText(0.5, null), "");
});

/** A ConvLSTM-20 3 × 3 Table 1 run made from the fixture's RC run. */
function convRun(run: string, profile: string, testAccuracy: number, meanSpikeTime: number) {
  const rc = fixtureRuns().find((r) => r.experiment === "two-sequence" && r.method === "rc")!;
  const seed = Number(/-s(\d+)/.exec(run)![1]);
  return {
    ...rc,
    experiment: "mnist",
    run,
    profile,
    baseline: undefined,
    config: { ...rc.config, model: "conv-lstm", hiddenSize: 20, kernelSize: 3, seed },
    metrics: { ...rc.metrics, testAccuracy, meanSpikeTime },
  } as RunRecord;
}

/** The first screen's block of a report of `runs` (`outdated` as RenderOptions takes it). */
function glanceOf(runs: RunRecord[], outdated?: ReadonlyMap<string, string>): string {
  const html = renderReport(runs, {
    generatedAt: GENERATED,
    chartJs: "",
    experiments: EXPERIMENTS,
    outdated,
  });
  const start = html.indexOf('id="glance"');
  return html.slice(start, html.indexOf("</section>", start));
}

Deno.test("first screen: a Table 1 row without a run says so once another row has one", () => {
  const glance = glanceOf([convRun("convlstm20-fast-s1", "default", 0.98, 1.4)]);
  assert.match(glance, /784-20-10<\/strong> \(fast\): paper 99\.19 %; ours 98\.00 % \(1 seed\)/);
  assert.match(
    glance,
    /5×5 784-20-10<\/strong> \(fast\): paper 99\.19 %; ours: not run here \(no published run of convlstm20-fast-s1-k5, convlstm20-fast-s2-k5\)/,
  );
  // The LSTM-340 rows too: every measured row of the table is on the first screen.
  assert.match(glance, /RC-LSTM 784-340-10<\/strong> \(fast\): paper 98\.14 %; ours: not run here/);
});

Deno.test("first screen: a paper-profile Table 1 line is judged and says how many of the paper's seeds it holds", () => {
  const paper = convRun("convlstm20-fast-s1@paper", "paper", 0.9905, 1.12);
  const one = glanceOf([paper]);
  assert.match(
    one,
    /784-20-10<\/strong> \(fast\): paper 99\.19 %; ours 99\.05 % \(<strong class="missed">1 of the protocol&#39;s 2 seeds<\/strong>\) at 1\.12 steps, landed fast; [^<]*profile paper — <span class="badge status-met"/,
  );
  const two = glanceOf([paper, convRun("convlstm20-fast-s2@paper", "paper", 0.98, 1.12)]);
  assert.doesNotMatch(two, /of the protocol/);
  assert.match(two, /ours 98\.52 % ± 0\.74 % over 2 seeds \(top 99\.05 %\).*status-missed/);
});

Deno.test("runs the current code would not reuse are marked on their Table 1 line and run card and listed with why", () => {
  const runs = [
    convRun("convlstm20-fast-s1", "default", 0.98, 1.4),
    convRun("convlstm20-fast-s2", "default", 0.97, 1.4),
  ];
  const why = "made with an older config of profile default: numBatches 160 (now 5,520)";
  const glance = glanceOf(runs, new Map([["mnist/convlstm20-fast-s2", why]]));
  assert.match(
    glance,
    /784-20-10<\/strong> \(fast\): paper 99\.19 %; ours 97\.50 %[^<]*profile default \(<strong class="missed" title="convlstm20-fast-s2: made with an older config[^"]*">1 of 2 runs from an older config: deno task reproduce reruns it<\/strong>\) — /,
  );
  const html = renderReport(runs, {
    generatedAt: GENERATED,
    chartJs: "",
    experiments: EXPERIMENTS,
    outdated: new Map([["mnist/convlstm20-fast-s2", why]]),
  });
  const alerts = html.slice(html.indexOf('<div class="alerts">'));
  assert.match(
    alerts.slice(0, alerts.indexOf("</div>")),
    /1 run file\(s\) are not what the current code would make \(`deno task reproduce` reruns each run still declared\); their numbers stand here until then: mnist\/convlstm20-fast-s2 \(made with an older config of profile default: numBatches 160 \(now 5,520\)\)\./,
  );
  // The run's card says so too, the why on hover; its seed beside it is current.
  assert.match(
    cardOf(html, "mnist", "convlstm20-fast-s2"),
    /class="badge warn" title="made with an older config of profile default: numBatches 160 \(now 5,520\)">older config: deno task reproduce reruns it</,
  );
  assert.doesNotMatch(cardOf(html, "mnist", "convlstm20-fast-s1"), /older config/);
  // A run no longer declared is not rerun by reproduce: its card says so instead.
  const gone = renderReport(runs, {
    generatedAt: GENERATED,
    chartJs: "",
    experiments: EXPERIMENTS,
    outdated: new Map([["mnist/convlstm20-fast-s2", NO_LONGER_DECLARED]]),
  });
  assert.match(cardOf(gone, "mnist", "convlstm20-fast-s2"), />no longer declared</);
  assert.doesNotMatch(cardOf(gone, "mnist", "convlstm20-fast-s2"), /reruns it/);
  assert.doesNotMatch(glanceOf(runs), /older config/);
});

Deno.test("run card: a paper number says where the paper prints it; a claim stays in words", () => {
  const rc = fixtureRuns().find((r) => r.experiment === "two-sequence" && r.method === "rc")!;
  const card = cardOf(render([rc]), rc.experiment, rc.run);
  // No check of the fixture names a source: the experiment's section and figure stand for it.
  assert.match(card, /<small class="place">Sec\. 3\.2, App\. B\.2, Fig\. 2<\/small>/);
  const two = EXPERIMENTS.find((e) => e.id === "two-sequence")!;
  const named = { ...two, targets: { ...two.targets!, rc: { ...two.targets!.rc } } };
  named.targets.rc.checks = named.targets.rc.checks.map((c, i) =>
    i === 0 ? { ...c, source: "Sec. 3.2, Fig. 2B" } : c
  );
  assert.equal(
    placeOf({ name: two.targets!.rc.checks[0].name }, named as never),
    "Sec. 3.2, Fig. 2B",
  );
  assert.equal(placeOf({ name: "no such check" }, two as never), "Sec. 3.2, App. B.2, Fig. 2");
});
