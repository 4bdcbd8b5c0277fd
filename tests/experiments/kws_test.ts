/**
 * Keyword spotting: the grid, the batches, and a run killed after its first epoch that resumes
 * from its checkpoint and finishes with every number of an uninterrupted run.
 */
import assert from "node:assert/strict";
import { KWS_FSDD } from "../../lib/experiments/kws_fsdd.ts";
import { KWS_GSC } from "../../lib/experiments/kws_gsc.ts";
import { BETAS, type kwsConfig, stepsToMs } from "../../lib/experiments/_kws.ts";
import { epochOrder, kwsBatch, majorityShare } from "../../lib/experiments/_kws_run.ts";
import type { FeatureSplit } from "../../lib/encode/features.ts";
import { killAndResume } from "./_resume.ts";

const SHARED_DATA = new URL("../../../shared/data/", import.meta.url);
const haveFsdd = (() => {
  try {
    return Deno.statSync(new URL("fsdd/recordings/0_george_0.wav", SHARED_DATA)).isFile;
  } catch {
    return false;
  }
})();

Deno.test("kws declaration: the β grid of Sec. 3.4, EOS runs first, RC runs against eos-b0", () => {
  for (const exp of [KWS_FSDD, KWS_GSC]) {
    const runs = exp.runs!("default");
    // FSDD's grid runs with three seeds at the default profile, each against its own eos-b0.
    const tags = exp === KWS_FSDD ? ["", "-s2", "-s3"] : [""];
    assert.deepEqual(
      runs.map((r) => r.run),
      tags.flatMap((t) => [
        ...BETAS.eos.map((b) => `eos-b${b}${t}`),
        ...BETAS.rc.map((b) => `rc-b${b}${t}`),
      ]),
    );
    assert.deepEqual(
      runs.map((r) => (r.config as ReturnType<typeof kwsConfig>).seed),
      tags.flatMap((_, k) => runs.slice(0, 9).map(() => k + 1)),
    );
    assert.deepEqual(BETAS, { rc: [0, 0.1, 0.2, 0.3, 0.4], eos: [0, 0.2, 0.3, 0.4] });
    for (const r of runs) {
      const c = r.config as ReturnType<typeof kwsConfig>;
      assert.equal(c.clipNorm, 0.25);
      assert.equal(c.threshold, 0.95);
      assert.equal(c.hiddenSize, 128);
      assert.equal(c.readoutHidden, 32);
      const tag = r.run.match(/-s\d+$/)?.[0] ?? "";
      assert.equal(r.baseline, r.method === "rc" ? `eos-b0${tag}` : undefined);
    }
    assert.ok(exp.runs!("smoke").every((r) => r.run.endsWith("@smoke")));
    assert.ok(exp.runs!("paper").every((r) => (r.config as { epochs: number }).epochs === 1000));
  }
  assert.equal(stepsToMs(81, 81), 1000);
  assert.equal(stepsToMs(40.5, 81), 500);
});

Deno.test("kws batches: time-first, standardised with the training mean and sd", () => {
  // 3 examples, 2 steps, 2 features: x[n][t][f] = 100 n + 10 t + f.
  const split: FeatureSplit = {
    x: Float32Array.from({ length: 12 }, (_, i) => {
      const n = Math.floor(i / 4), t = Math.floor((i % 4) / 2), f = i % 2;
      return 100 * n + 10 * t + f;
    }),
    y: new Int32Array([4, 5, 6]),
    count: 3,
    numSteps: 2,
    numFeatures: 2,
    classes: [],
  };
  const b = kwsBatch(split, [2, 0], new Float32Array([1, 0]), new Float32Array([2, 4]));
  assert.deepEqual(Array.from(b.y), [6, 4]);
  // step 0: example 2 (200, 201), example 0 (0, 1); step 1: (210, 211), (10, 11).
  assert.deepEqual(Array.from(b.x), [
    (200 - 1) / 2,
    201 / 4,
    (0 - 1) / 2,
    1 / 4,
    (210 - 1) / 2,
    211 / 4,
    (10 - 1) / 2,
    11 / 4,
  ]);
});

Deno.test("kws batches: each epoch a permutation, a function of seed and batch index alone", () => {
  const a = epochOrder(3, 10, 3), b = epochOrder(3, 10, 3);
  assert.equal(a.perEpoch, 3);
  const epoch0 = [0, 1, 2].flatMap((i) => Array.from(a.rows(i)));
  assert.equal(new Set(epoch0).size, 9);
  const later = Array.from(a.rows(7));
  assert.deepEqual(Array.from(b.rows(7)), later); // b never saw batches 0-6
  assert.deepEqual(Array.from(b.rows(1)), epoch0.slice(3, 6));
  assert.notDeepEqual(Array.from(a.rows(3)), Array.from(a.rows(0)));
  assert.equal(majorityShare(new Int32Array([1, 1, 2, 3])), 0.5);
});

Deno.test({
  name: "kws: a run killed after its first epoch resumes from its checkpoint with the same numbers",
  ignore: !haveFsdd,
  async fn() {
    const root = await Deno.makeTempDir();
    try {
      const [, rb] = await killAndResume({
        experiment: "kws-fsdd",
        run: "rc-b0.2@smoke",
        sets: ["epochs=25"],
        file: "runs/kws-fsdd/rc-b0.2@smoke+epochs=25.json",
        resumed: /resuming from the checkpoint after epoch \d+/,
        env: { RC_BLAS: "off" },
      }, root);
      assert.equal((rb as { curves: unknown[] }).curves.length, 25);
      const dir = `${root}/b/runs/kws-fsdd`;
      assert.ok(Deno.statSync(`${dir}/rc-b0.2@smoke+epochs=25.weights.bin`).size > 0);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
