import assert from "node:assert/strict";
import { parseOverrides } from "../../lib/experiments/overrides.ts";
import {
  FIG10_THRESHOLDS,
  SNN_LIF,
  SNN_SETTABLE,
  snnConfig,
  snnCost,
} from "../../lib/experiments/snn_lif.ts";
import { LifNet } from "../../lib/models/lif_net.ts";
import { WU_LIF } from "../../lib/ops/lif_cell.ts";
import * as tf from "@tensorflow/tfjs";
import { useCpu } from "../_backend.ts";

Deno.test("snn-lif declaration: EOS first, RC against it, at every profile, 3 seeds at default", () => {
  for (const profile of ["smoke", "default", "paper"] as const) {
    const runs = SNN_LIF.runs!(profile);
    const suffix = profile === "default" ? "" : `@${profile}`;
    const seeds = profile === "default" ? [1, 2, 3] : [1];
    const tag = (s: number) => (s === 1 ? "" : `-s${s}`) + suffix;
    assert.deepEqual(
      runs.map((r) => r.run),
      seeds.flatMap((s) => [`eos${tag(s)}`, `rc${tag(s)}`]),
    );
    seeds.forEach((s, k) => {
      assert.deepEqual([runs[2 * k].method, runs[2 * k + 1].method], ["eos", "rc"]);
      assert.equal(runs[2 * k + 1].baseline, runs[2 * k].run);
      assert.equal(runs[2 * k].config.seed, s);
      assert.equal(runs[2 * k + 1].config.seed, s);
    });
    for (const r of runs) {
      assert.equal(r.config.method, r.method);
      for (const key of Object.keys(SNN_SETTABLE)) assert.ok(key in r.config, `${key} in config`);
      assert.ok(r.cost(r.config) > 0);
    }
  }
  assert.ok(SNN_LIF.profiles && SNN_LIF.settable && SNN_LIF.targets && !SNN_LIF.pending);
  // Every figure the run code draws has its caption, in a section that draws it.
  const keys = SNN_LIF.sections.flatMap((s) => s.figureKeys);
  for (const f of Object.values(SNN_LIF.figures!)) {
    assert.ok(keys.includes(f.paperFigure.replace(/[A-Z]$/, "")), f.paperFigure);
  }
});

Deno.test("snn-lif: the paper profile is App. E's network and hyper-parameters", () => {
  const c = snnConfig("rc", "paper");
  assert.equal(c.batchSize, 400);
  assert.equal(c.learningRate, 1e-3);
  assert.equal(c.numSteps, 10);
  assert.deepEqual([c.channels, c.hidden], [32, 128]);
  assert.deepEqual(
    { decay: c.decay, threshold: c.threshold, width: c.surrogateWidth },
    { ...WU_LIF },
  );
  assert.equal(c.testSize, 10_000);
  // Fig. 10 sweeps around the trained V_th.
  assert.ok(FIG10_THRESHOLDS.includes(c.threshold));
  assert.ok(FIG10_THRESHOLDS.some((t) => t < c.threshold) && FIG10_THRESHOLDS.at(-1)! > 1);
});

Deno.test("snn-lif: the default profile keeps the paper's network and fits about 15 minutes", () => {
  const eos = snnConfig("eos", "default"), rc = snnConfig("rc", "default");
  const paper = snnConfig("eos", "paper");
  for (const key of ["channels", "hidden", "learningRate", "threshold", "decay"] as const) {
    assert.equal(eos[key], paper[key], key);
  }
  // The one change of protocol besides length: batch 100 (more Adam steps in the budget).
  assert.deepEqual([eos.batchSize, paper.batchSize], [100, 400]);
  // Both runs at the measured EOS cost per iteration (RC's is lower): at most ~15 minutes.
  const seconds = snnCost(eos) + snnCost(rc);
  assert.ok(seconds <= 15 * 60, `default profile: ${Math.round(seconds)} s`);
  assert.ok(snnCost(snnConfig("eos", "smoke")) < 30);
});

Deno.test("snn-lif: --set parses its keys and refuses others", () => {
  assert.deepEqual(
    parseOverrides(["threshold=0.4", "numBatches=8"], SNN_SETTABLE, "snn-lif"),
    { threshold: 0.4, numBatches: 8 },
  );
  assert.throws(
    () => parseOverrides(["method=eos"], SNN_SETTABLE, "snn-lif"),
    /no settable config key "method"/,
  );
});

Deno.test("snn-lif: the smoke and paper networks build with the declared sizes", async () => {
  await useCpu();
  for (const profile of ["smoke", "paper"] as const) {
    const c = snnConfig("rc", profile);
    const model = new LifNet({
      channels: c.channels,
      hidden: c.hidden,
      numOutputs: 10,
      lif: { decay: c.decay, threshold: c.threshold, width: c.surrogateWidth },
      seed: 1,
    });
    assert.deepEqual(model.variables.map((v) => v.shape), [
      [3, 3, 1, c.channels],
      [c.channels],
      [3, 3, c.channels, c.channels],
      [c.channels],
      [7 * 7 * c.channels, c.hidden],
      [c.hidden],
      [c.hidden, 10],
      [10],
    ]);
    tf.dispose(model.variables);
  }
});
