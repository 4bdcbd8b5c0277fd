import assert from "node:assert/strict";
import { EXPERIMENT_IDS } from "../../lib/results.ts";
import { experimentById, EXPERIMENTS } from "../../lib/experiments/registry.ts";
import {
  overrideDeviations,
  overrideSuffix,
  parseOverrideDeviation,
  parseOverrides,
} from "../../lib/experiments/overrides.ts";
import { plan } from "../../tasks/orchestrate.ts";

Deno.test("the registry lists every experiment once, in the paper's order", () => {
  assert.deepEqual(EXPERIMENTS.map((e) => e.id), [...EXPERIMENT_IDS]);
  for (const e of EXPERIMENTS) {
    assert.ok(e.title && e.paper.section && e.paper.figures, e.id);
    assert.equal(Boolean(e.runs), !e.pending, `${e.id}: runs xor pending`);
    if (e.runs) assert.ok(e.targets && e.profiles && e.settable, `${e.id}: built but undeclared`);
  }
  assert.throws(() => experimentById("mnsit"), /Unknown experiment "mnsit": expected one of/);
});

Deno.test("every target a built experiment declares has a reason and a matching unit", () => {
  for (const e of EXPERIMENTS.filter((e) => e.targets)) {
    for (const t of [...e.targets!.rc.checks, ...e.targets!.eos.checks]) {
      assert.ok(t.why.length > 10, `${e.id}: ${t.name} says why its tolerance`);
      if (t.unit === "fraction") assert.ok(t.paper >= 0 && t.paper <= 1, `${e.id}: ${t.name}`);
    }
  }
});

const schema = experimentById("two-sequence").settable!;

Deno.test("--set: numbers, integers, booleans and choices parse; bad ones say what is expected", () => {
  assert.deepEqual(
    parseOverrides(["beta=0.2", "numBatches=4", "selectBy=spiking", "beta=0.3"], schema, "t"),
    { beta: 0.3, numBatches: 4, selectBy: "spiking" },
  );
  assert.deepEqual(
    parseOverrides(["on=true", "off=false"], { on: "boolean", off: "boolean" }, "t"),
    {
      on: true,
      off: false,
    },
  );
  assert.throws(
    () => parseOverrides(["gamma=1"], schema, "two-sequence"),
    /two-sequence has no settable config key "gamma"; valid keys: hiddenSize, batchSize,/,
  );
  assert.throws(
    () => parseOverrides(["beta=high"], schema, "t"),
    /beta expects a number, got "high"/,
  );
  assert.throws(() => parseOverrides(["numBatches=4.5"], schema, "t"), /expects an integer/);
  assert.throws(() => parseOverrides(["numBatches="], schema, "t"), /expects an integer, got ""/);
  assert.throws(() => parseOverrides(["selectBy=best"], schema, "t"), /one of spiking, last/);
  assert.throws(() => parseOverrides(["on=yes"], { on: "boolean" }, "t"), /expects a boolean/);
  assert.throws(() => parseOverrides(["beta"], schema, "t"), /expected key=value/);
  // The run's identity is not settable: method and task name the run.
  assert.throws(() => parseOverrides(["method=eos"], schema, "t"), /no settable config key/);
});

Deno.test("overrides change the config, its hash and the run's name; none leaves all as before", async () => {
  const out = await Deno.makeTempDir({ prefix: "rc-overrides-" });
  try {
    const exp = [experimentById("two-sequence")];
    const plain = await plan(exp, "smoke", out);
    const set = await plan(exp, "smoke", out, { beta: 0.2 });
    assert.deepEqual(plain.map((i) => i.run), ["eos@smoke", "rc@smoke"]);
    assert.deepEqual(set.map((i) => i.run), ["eos@smoke+beta=0.2", "rc@smoke+beta=0.2"]);
    for (let k = 0; k < plain.length; k++) {
      assert.equal(plain[k].config.beta, 0);
      assert.equal(set[k].config.beta, 0.2);
      assert.notEqual(plain[k].hash, set[k].hash);
      assert.deepEqual(plain[k].config, plain[k].decl.config);
    }
    assert.equal(overrideSuffix({ seed: 2, beta: 0.2 }), "+beta=0.2+seed=2");
    // A path stays a file name; a long suffix is named by its hash, the same for every run.
    assert.equal(overrideSuffix({ initFrom: "/tmp/a b/runs/" }), "+initFrom=tmp_a_b_runs_");
    const many = { initFrom: "reports/runs/two-sequence", numBatches: 4, testSize: 1024 };
    const long = overrideSuffix(many);
    assert.match(long, /^\+set-[0-9a-f]{8}$/);
    assert.equal(overrideSuffix({ ...many }), long);
    assert.notEqual(overrideSuffix({ ...many, testSize: 2048 }), long);
    const longPlan = await plan(exp, "smoke", out, many);
    assert.deepEqual(longPlan.map((i) => i.run), [`eos@smoke${long}`, `rc@smoke${long}`]);
    // A report reads an override's key and value back from its deviation.
    const [dev] = overrideDeviations({ numBatches: 4 }, { numBatches: 15625 });
    assert.deepEqual(parseOverrideDeviation(dev), {
      key: "numBatches",
      value: "4",
      paper: "15625",
    });
    assert.equal(parseOverrideDeviation("test set of 1,024 sequences"), null);
    assert.deepEqual(overrideDeviations({ beta: 0.2 }, { beta: 0 }), [
      "config override: beta = 0.2 (paper: 0)",
    ]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
