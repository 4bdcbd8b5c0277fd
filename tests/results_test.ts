/**
 * Run files are checked on read: fields, types, ranges and a known experiment id. A bad file is
 * one line naming the file, the field and the fix; it is skipped, never rendered as a number.
 */
import assert from "node:assert/strict";
import {
  configHash,
  readRunFile,
  readRuns,
  runPath,
  runProblem,
  type RunRecord,
  scanRuns,
  writeRun,
} from "../lib/results.ts";
import { writeReport } from "../lib/report/write.ts";
import { EXPERIMENTS } from "../lib/experiments/registry.ts";
import { fixtureRuns } from "./report/fixtures.ts";

Deno.test("schema: the report's fixture runs and a failed run (NaN metrics written as null) are valid", () => {
  for (const r of fixtureRuns()) {
    assert.equal(runProblem(JSON.parse(JSON.stringify(r))), null, r.run);
  }
  const [a] = fixtureRuns();
  const failed: RunRecord = {
    ...a,
    status: "failed",
    error: "boom",
    metrics: { ...a.metrics, testAccuracy: NaN, meanSpikeTime: NaN, eosAccuracy: NaN },
  };
  assert.equal(runProblem(JSON.parse(JSON.stringify(failed))), null);
});

/** A fixture run changed by `edit` (on its JSON), and the field and words the problem must name. */
// deno-lint-ignore no-explicit-any
const CASES: [string, (r: Record<string, any>) => void, string, RegExp][] = [
  [
    "accuracy of 57",
    (r) => r.metrics.testAccuracy = 57,
    "metrics.testAccuracy",
    /is 57, expected a fraction in \[0, 1\]/,
  ],
  [
    "accuracy as a string",
    (r) => r.metrics.testAccuracy = "0.9",
    "metrics.testAccuracy",
    /is "0\.9", expected a fraction/,
  ],
  [
    "unknown experiment",
    (r) => r.experiment = "bogus",
    "experiment",
    /is "bogus", expected one of seq-spotting, two-sequence/,
  ],
  ["curves not a list", (r) => r.curves = { a: 1 }, "curves", /is \{"a":1\}, expected an array/],
  [
    "a curve point's accuracy",
    (r) => r.curves[3].spikingAccuracy = -0.5,
    "curves[3].spikingAccuracy",
    /is -0\.5/,
  ],
  [
    "a threshold point",
    (r) => r.metrics.thresholdCurve[0].accuracy = "high",
    "metrics.thresholdCurve[0].accuracy",
    /"high"/,
  ],
  ["status", (r) => r.status = "ok", "status", /expected one of met, missed, not checked, failed/],
  [
    "missing config hash",
    (r) => delete r.configHash,
    "configHash",
    /is missing, expected 16 hex digits/,
  ],
  [
    "figure series",
    (r) =>
      r.figures = [{
        paperFigure: "1C",
        title: "t",
        kind: "bar",
        xLabel: "x",
        yLabel: "y",
        series: [{ label: "l", x: [1], y: ["2"] }],
        caption: "c",
      }],
    "figures[0].series[0].y[0]",
    /"2"/,
  ],
  ["schema version", (r) => r.schema = 2, "schema", /is 2, expected 1/],
  [
    "a figure without its axis label",
    (r) => delete r.figures[0].xLabel,
    "figures[0].xLabel",
    /is missing, expected a string/,
  ],
  [
    "a tolerance of an unknown kind",
    (r) => r.target.checks[0].tolerance.kind = "near",
    "target.checks[0].tolerance.kind",
    /is "near", expected one of abs, atLeast, atMost/,
  ],
  [
    "no accuracy in a run that did not fail",
    (r) => r.metrics.testAccuracy = null,
    "metrics.testAccuracy",
    /is null, expected a fraction in \[0, 1\] \(null only in a failed run\)/,
  ],
  [
    "the environment's adapter",
    (r) => r.environment.adapter = "llvmpipe",
    "environment.adapter",
    /is "llvmpipe", expected an object or null/,
  ],
  [
    "a compute count",
    (r) => r.compute.train.forwardStepsNeeded = -3,
    "compute.train.forwardStepsNeeded",
    /is -3, expected a number >= 0 or null/,
  ],
];

Deno.test("schema: each bad record gives one line naming the file, the field and the fix; readRuns and the report skip it", async () => {
  const out = await Deno.makeTempDir({ prefix: "rc-schema-" });
  try {
    const good = fixtureRuns()[0];
    await writeRun(out, good);
    for (const [what, edit, field, found] of CASES) {
      const value = JSON.parse(
        JSON.stringify({ ...good, run: `bad-${CASES.findIndex((c) => c[0] === what)}` }),
      );
      edit(value);
      const path = runPath(out, good.experiment, value.run);
      await Deno.writeTextFile(path, JSON.stringify(value));
      const file = await readRunFile(path);
      assert.equal(file.record, undefined, what);
      const line = file.problem!;
      assert.ok(!line.includes("\n"), `${what}: one line`);
      assert.ok(line.startsWith(`Run file ${path}: ${field} `), `${what}: ${line}`);
      assert.match(line, found, what);
      assert.match(line, /fix that field, or delete the file to re-run that run$/, what);
    }
    // Not JSON at all, and a record in another run's file.
    await Deno.writeTextFile(runPath(out, good.experiment, "torn"), '{"schema": 1, "exp');
    assert.match(
      (await readRunFile(runPath(out, good.experiment, "torn"))).problem!,
      /torn\.json: not JSON/,
    );
    await Deno.writeTextFile(runPath(out, good.experiment, "elsewhere"), JSON.stringify(good));
    assert.match(
      (await readRunFile(runPath(out, good.experiment, "elsewhere"))).problem!,
      /elsewhere\.json: run is "rc", expected "elsewhere" \(the file's name\)/,
    );

    const warned: string[] = [];
    const records = await readRuns(out, { onProblem: (l) => warned.push(l) });
    assert.deepEqual(records.map((r) => r.run), [good.run]);
    assert.equal(warned.length, CASES.length + 2);
    // The report renders the good run only: 57 is never shown as 5700 %.
    const errors: string[] = [];
    const error = console.error;
    console.error = (...a: unknown[]) => errors.push(a.join(" "));
    try {
      const { html, summary } = await writeReport(out, { experiments: EXPERIMENTS, chartJs: "" });
      const text = await Deno.readTextFile(html);
      assert.ok(!/5,?700(\.\d+)? ?%/.test(text), "the bad accuracy is rendered");
      assert.ok(!text.includes("bad-0"));
      assert.ok(!(await Deno.readTextFile(summary)).includes("bad-"));
    } finally {
      console.error = error;
    }
    assert.equal(errors.length, CASES.length + 2);
    assert.ok(errors.every((e) => e.startsWith("skipped: Run file ")), errors[0]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("schema: a valid file is handed on as read: unknown fields kept, its config untouched", async () => {
  const out = await Deno.makeTempDir({ prefix: "rc-schema-" });
  try {
    const good = fixtureRuns()[0];
    // A newer writer's fields, and a config whose keys are out of order, with a null and a list.
    const value = {
      ...JSON.parse(JSON.stringify(good)),
      futureField: { a: 1 },
      config: { zeta: 1, alpha: null, list: [3, 1], ...good.config },
    };
    value.metrics.futureMetric = 0.5;
    value.environment.futureEnv = "x";
    const path = runPath(out, good.experiment, good.run);
    await Deno.mkdir(`${out}/runs/${good.experiment}`, { recursive: true });
    await Deno.writeTextFile(path, JSON.stringify(value));
    const { record, problem } = await readRunFile(path);
    assert.equal(problem, undefined);
    assert.deepEqual(record, value);
    assert.deepEqual(Object.keys(record!.config), Object.keys(value.config));
    assert.equal(await configHash(record!.config), await configHash(value.config));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("schema: every published run file loads (reports/, reports/h100/, reports/llvmpipe/)", async () => {
  const root = new URL("../reports/", import.meta.url).pathname;
  let read = 0;
  for (const out of [root, `${root}h100`, `${root}llvmpipe`]) {
    const files = await scanRuns(out);
    read += files.length;
    assert.deepEqual(files.flatMap((f) => f.problem ?? []), [], out);
  }
  assert.ok(read > 0, "no published run files found");
});
