import assert from "node:assert/strict";
import { readRuns } from "../../lib/results.ts";
import { main } from "../../tasks/reproduce.ts";
import { main as train } from "../../tasks/train.ts";
import { EXPERIMENTS } from "../../lib/experiments/registry.ts";
import { writeReport } from "../../lib/report/write.ts";

Deno.test("reproduce --profile smoke: run files, report, and finished runs reused by config hash", async () => {
  const out = await Deno.makeTempDir({ prefix: "rc-reproduce-" });
  try {
    const args = [
      "--profile",
      "smoke",
      "--only",
      "seq-spotting,two-sequence",
      "--backend",
      "cpu",
      "--out",
      out,
    ];
    assert.equal(await main(args), 0);
    const first = await readRuns(out);
    assert.deepEqual(first.map((r) => `${r.experiment}/${r.run}`), [
      "seq-spotting/eos@smoke",
      "seq-spotting/rc@smoke",
      "two-sequence/eos@smoke",
      "two-sequence/rc@smoke",
    ]);
    for (const r of first) {
      assert.ok(
        r.status === "met" || r.status === "missed",
        `${r.run}: ${r.status} ${r.error ?? ""}`,
      );
      assert.equal(r.profile, "smoke");
      assert.equal(r.environment.backend, "cpu");
      assert.ok(r.target.checks.length > 0);
      assert.ok(r.deviations.some((d) => d.includes("smoke")));
      assert.ok(r.metrics.testAccuracy >= 0 && r.metrics.testAccuracy <= 1);
      assert.ok(r.compute.train.backwardSteps <= r.compute.train.eosSteps);
      assert.equal(r.compute.train.examples, 8 * 32);
    }
    const rc = first.find((r) => r.experiment === "two-sequence" && r.run === "rc@smoke")!;
    assert.equal(rc.baseline, "eos@smoke");
    // The RC run timed RC against EOS on its trained model: EOS ran every step of every batch.
    const paired = rc.compute.paired!;
    assert.equal(paired.train.batches, 2);
    assert.equal(paired.train.eosSteps, 2 * 32 * 40);
    assert.equal(paired.inference.eosSteps, 2 * 32 * 40);
    assert.ok(paired.train.rcSteps <= paired.train.eosSteps && paired.train.rcSteps >= 2 * 32);
    assert.ok(paired.train.rcSeconds > 0 && paired.inference.eosSeconds > 0);
    assert.equal(first.find((r) => r.run === "eos@smoke")!.compute.paired, undefined);
    const html = await Deno.readTextFile(`${out}/index.html`);
    assert.ok(html.includes("two-sequence") && html.includes("seq-spotting"));
    JSON.parse(await Deno.readTextFile(`${out}/summary.json`));

    // A second invocation finds every run by its config hash and trains nothing.
    assert.equal(await main(args), 0);
    const second = await readRuns(out);
    assert.deepEqual(second.map((r) => r.finishedAt), first.map((r) => r.finishedAt));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("reproduce refuses a bad profile and an unknown experiment with the valid choices", async () => {
  await assert.rejects(
    () => main(["--profile", "huge"]),
    /--profile must be smoke, default or paper: got "huge"/,
  );
  await assert.rejects(
    () => main(["--only", "mnsit"]),
    /Unknown experiment "mnsit": expected one of seq-spotting/,
  );
});

Deno.test("train --set: the override is checked, hashed, named, recorded and shown as a deviation", async () => {
  const out = await Deno.makeTempDir({ prefix: "rc-train-set-" });
  try {
    const base = ["--experiment", "seq-spotting", "--profile", "smoke", "--backend", "cpu"];
    await assert.rejects(
      () => train([...base, "--out", out, "--set", "numBatches=four"]),
      /numBatches expects an integer, got "four"/,
    );
    await assert.rejects(
      () => train([...base, "--out", out, "--set", "bogus=1"]),
      /no settable config key "bogus"; valid keys: hiddenSize/,
    );
    const args = [...base, "--run", "eos@smoke", "--out", out, "--set", "numBatches=4"];
    assert.equal(await train(args), 0);
    const [r] = await readRuns(out);
    assert.equal(r.run, "eos@smoke+numBatches=4");
    assert.deepEqual(r.overrides, { numBatches: 4 });
    assert.equal(r.config.numBatches, 4);
    assert.equal(r.compute.train.examples, 4 * 32);
    assert.ok(r.deviations.includes("config override: numBatches = 4 (paper: 11719)"));
    // Run again: found by its (overridden) config hash, not retrained.
    assert.equal(await train(args), 0);
    assert.equal((await readRuns(out))[0].finishedAt, r.finishedAt);
    const { html } = await writeReport(out, { experiments: EXPERIMENTS });
    const page = await Deno.readTextFile(html);
    // The key as code; the command that made the run is train's, with its run and override.
    assert.ok(page.includes("config override: <code>numBatches = 4</code> (paper: 11719)"));
    assert.ok(page.includes(
      "deno task train --experiment seq-spotting --profile smoke --backend cpu --run eos@smoke " +
        "--set numBatches=4",
    ));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
