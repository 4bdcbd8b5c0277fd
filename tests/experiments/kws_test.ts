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

/** A record without what depends on time, memory, the machine or the process. */
function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) =>
          !/seconds|wall|rss|numTensors|tensorBytes|startedAt|finishedAt|environment|git/i.test(k)
        )
        .map(([k, v]) => [k, stable(v)]),
    );
  }
  return value;
}

function train(out: string, dataDir: string, signal?: AbortSignal) {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "tasks/train.ts",
      "--experiment",
      "kws-fsdd",
      "--run",
      "rc-b0.2@smoke",
      "--profile",
      "smoke",
      "--set",
      "epochs=25",
      "--out",
      out,
    ],
    cwd: new URL("../../", import.meta.url),
    env: {
      RC_DATA_DIR: dataDir,
      RC_DATA_MIRROR: new URL(".", SHARED_DATA).pathname,
      RC_STORE_LEASE_MS: "1000",
      RC_BLAS: "off",
    },
    stdout: "piped",
    stderr: "piped",
    signal,
  });
  return cmd.spawn();
}

Deno.test({
  name: "kws: a run killed after its first epoch resumes from its checkpoint with the same numbers",
  ignore: !haveFsdd,
  async fn() {
    const root = await Deno.makeTempDir();
    const dataDir = `${root}/data`;
    const file = "runs/kws-fsdd/rc-b0.2@smoke+epochs=25.json";
    try {
      const whole = train(`${root}/a`, dataDir);
      const a = await whole.output();
      assert.equal(a.code, 0, new TextDecoder().decode(a.stderr));
      // B: killed (SIGKILL) as soon as its first checkpoint exists, then started again.
      const dir = `${root}/b/runs/kws-fsdd`;
      const killed = train(`${root}/b`, dataDir);
      const began = Date.now();
      let ckpt: string | undefined;
      while (!ckpt && Date.now() - began < 120_000) {
        await new Promise((r) => setTimeout(r, 5));
        try {
          ckpt = [...Deno.readDirSync(dir)].find((e) => e.name.endsWith(".ckpt"))?.name;
        } catch { /* not there yet */ }
      }
      assert.ok(ckpt, "no checkpoint appeared");
      killed.kill("SIGKILL");
      const k = await killed.output();
      assert.notEqual(k.code, 0, "the run finished before it could be killed");
      assert.throws(() => Deno.statSync(`${root}/b/${file}`), "a killed run left a record");
      const again = await train(`${root}/b`, dataDir).output();
      const log = new TextDecoder().decode(again.stderr);
      assert.equal(again.code, 0, log);
      assert.match(log, /resuming from the checkpoint after epoch \d+/);
      const ra = JSON.parse(await Deno.readTextFile(`${root}/a/${file}`));
      const rb = JSON.parse(await Deno.readTextFile(`${root}/b/${file}`));
      assert.deepEqual(stable(rb), stable(ra));
      assert.equal(rb.curves.length, 25);
      assert.throws(() => Deno.statSync(`${dir}/${ckpt}`), "the checkpoint outlived its run");
      assert.ok(Deno.statSync(`${dir}/rc-b0.2@smoke+epochs=25.weights.bin`).size > 0);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
