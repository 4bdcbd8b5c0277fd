/**
 * The θ slider's data: every number it shows is one a run file recorded at that θ (its threshold
 * curve, or the per-θ numbers of `metrics.extra`), checked by hand against published run files.
 */
import assert from "node:assert/strict";
import { readRunFile, type RunRecord } from "../../lib/results.ts";
import {
  cellText,
  NOT_RECORDED,
  recordedPoints,
  type SliderData,
  sliderData,
  thetaSlider,
} from "../../lib/report/slider.ts";
import type { ReportSection } from "../../lib/report/sections.ts";
import { fixtureRuns } from "./fixtures.ts";

/** A published run file, or null where this checkout lacks it. */
async function published(experiment: string, run: string): Promise<RunRecord | null> {
  const path = new URL(`../../reports/runs/${experiment}/${run}.json`, import.meta.url).pathname;
  try {
    const f = await readRunFile(path);
    if (f.problem) throw new Error(f.problem);
    return f.record!;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

const twoSeq = await Promise.all(
  ["rc", "eos", "rc-s2", "eos-s2"].map((run) => published("two-sequence", run)),
);
const kwsRc = await published("kws-fsdd", "rc-b0");
if (twoSeq.some((r) => r === null) || kwsRc === null) {
  console.log("slider tests on published runs skipped: their run files are not in this checkout");
}

const SECTION = {
  id: "fig2",
  parts: { runs: true, curves: true, tradeoff: true, savings: true },
} as ReportSection;

Deno.test({
  name: "slider: two-sequence's published runs, first seeds, numbers as recorded at each θ",
  ignore: twoSeq.some((r) => r === null),
  fn() {
    const data = sliderData(twoSeq as RunRecord[])!;
    // The s2 seeds are left out: one row per configuration, RC before EOS.
    assert.deepEqual(data.rows.map((r) => [r.run, r.method]), [["rc", "rc"], ["eos", "eos"]]);
    assert.deepEqual(data.thetas, [0.55, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99, 0.999]);
    assert.equal(data.thetas[data.start], 0.95);
    // rc.json, thresholdCurve at θ = 0.95: accuracy 0.95013, meanSpikeTime 15.38621, fired 0.93555.
    assert.deepEqual(data.rows[0].cells[data.start], {
      accuracy: "95.01 %",
      time: "15.39",
      fired: "93.55 %",
    });
    // eos.json at θ = 0.95: 0.96107, 19.85757, 0.93021; at θ = 0.55: 0.72271, 1.65053, 1.
    assert.deepEqual(data.rows[1].cells[6], {
      accuracy: "96.11 %",
      time: "19.86",
      fired: "93.02 %",
    });
    assert.deepEqual(data.rows[1].cells[0], {
      accuracy: "72.27 %",
      time: "1.65",
      fired: "100.00 %",
    });
    // rc.json at θ = 0.999: 0.96648, 30.10919, 0.6141.
    assert.deepEqual(data.rows[0].cells[9], {
      accuracy: "96.65 %",
      time: "30.11",
      fired: "61.41 %",
    });
  },
});

Deno.test({
  name: "slider: a KWS run's per-θ extras add θ values and times in ms to its curve",
  ignore: kwsRc === null,
  fn() {
    const points = recordedPoints(kwsRc!);
    // The curve's 10 θ values and the extras' 0.3, 0.4, 0.5 and 0.995.
    assert.deepEqual(
      points.map((p) => p.theta),
      [0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999],
    );
    // θ = 0.95: the curve (0.95667, 40.21 steps, 0.97667) and the extra's 496.42 ms.
    assert.deepEqual(cellText(points.find((p) => p.theta === 0.95)), {
      accuracy: "95.67 %",
      time: "40.21 (496 ms)",
      fired: "97.67 %",
    });
    // θ = 0.3, from the extras alone: accuracy 0.26 at 302.02 ms; no share spiked recorded.
    assert.deepEqual(cellText(points[0]), {
      accuracy: "26.00 %",
      time: "302 ms",
      fired: NOT_RECORDED,
    });
  },
});

/** A run of `experiment` with a threshold curve at `thetas` (accuracy = θ / 2, steps = 10 θ). */
function run(name: string, method: "rc" | "eos", thetas: number[], extra = {}): RunRecord {
  return {
    experiment: "seq-spotting",
    run: name,
    method,
    seed: 1,
    status: "met",
    config: { name },
    metrics: {
      thresholdCurve: thetas.map((t) => ({
        threshold: t,
        accuracy: t / 2,
        meanSpikeTime: 10 * t,
        fractionFired: 1,
      })),
      extra,
    },
  } as unknown as RunRecord;
}

Deno.test("slider: stops at every θ any run recorded; a θ a run lacks reads 'not recorded'", () => {
  const data = sliderData([run("eos", "eos", [0.5, 0.9]), run("rc", "rc", [0.8, 0.9])])!;
  assert.deepEqual(data.rows.map((r) => r.run), ["rc", "eos"]);
  assert.deepEqual(data.thetas, [0.5, 0.8, 0.9]);
  // No 0.95 recorded: it starts at the nearest θ.
  assert.equal(data.start, 2);
  assert.deepEqual(data.rows[0].cells[0], { accuracy: NOT_RECORDED, time: "–", fired: "–" });
  assert.deepEqual(data.rows[0].cells[1], { accuracy: "40.00 %", time: "8.00", fired: "100.00 %" });
});

Deno.test("slider: none for a single θ, for failed runs, or where the section shows no runs", () => {
  assert.equal(sliderData([run("rc", "rc", [0.9])]), null);
  const failed = { ...run("eos", "eos", [0.5, 0.9]), status: "failed" } as RunRecord;
  assert.equal(sliderData([run("rc", "rc", [0.9]), failed]), null);
  const runs = [run("rc", "rc", [0.5, 0.9])];
  const savingsOnly = { ...SECTION, parts: { ...SECTION.parts, runs: false, tradeoff: false } };
  assert.equal(thetaSlider(savingsOnly, runs), "");
  assert.notEqual(thetaSlider(SECTION, runs), "");
});

Deno.test("slider: the page holds a labelled range over the stops, the numbers and their JSON", () => {
  const runs = fixtureRuns().filter((r) => r.experiment === "two-sequence");
  const html = thetaSlider(SECTION, runs);
  const data = sliderData(runs)!;
  const id = "theta-fig2-two-sequence";
  assert.match(html, new RegExp(`<label for="${id}-input">Inference threshold θ</label>`));
  assert.match(
    html,
    new RegExp(
      `<input type="range" id="${id}-input" min="0" max="${
        data.thetas.length - 1
      }" step="1" value="${data.start}"[^>]* aria-valuetext="θ = 0.95"`,
    ),
  );
  assert.match(html, /<div class="theta-values" aria-live="polite">/);
  // Readable without the script: the starting θ's numbers are in the table.
  const rc = data.rows[0].cells[data.start];
  assert(html.includes(`<td data-k="accuracy"><span class="num">${rc.accuracy}</span></td>`));
  // The embedded JSON is the data.
  const json = /<script type="application\/json">(.*?)<\/script>/s.exec(html)![1];
  assert.deepEqual(JSON.parse(json) as SliderData, data);
});
