/**
 * Warm starts (`initFrom`): a toy run keeps its evaluated weights beside its run file, and a run
 * with `initFrom` set begins from its namesake's weights there. With no training batches the
 * warm-started run evaluates the very weights saved, so its test numbers are the source's.
 */
// The accelerated paths, as every task and mod.ts registers them.
import "../../lib/accel/register.ts";
import assert from "node:assert/strict";
import { runToy } from "../../lib/experiments/_toy_run.ts";
import { toyConfig } from "../../lib/experiments/_toy.ts";
import { TWO_SEQUENCE } from "../../lib/experiments/two_sequence.ts";
import type { RunContext } from "../../lib/experiments/declaration.ts";
import { decodeWeights } from "../../lib/models/weights.ts";
import { runProblem } from "../../lib/results.ts";
import { useCpu } from "../_backend.ts";

function context(workDir: string, run: string, declared = run): RunContext {
  return {
    profile: "smoke",
    configHash: "0".repeat(16),
    run,
    declared,
    finished: [],
    log: () => {},
    workDir,
  };
}

Deno.test("a toy run saves its weights; a warm start from them with no batches evaluates them", async () => {
  await useCpu();
  const source = await Deno.makeTempDir({ prefix: "rc-warm-src-" });
  const target = await Deno.makeTempDir({ prefix: "rc-warm-dst-" });
  try {
    const config = toyConfig(TWO_SEQUENCE, "rc", "smoke");
    const first = await runToy(TWO_SEQUENCE, config, context(source, "rc@smoke"));
    const saved = decodeWeights(await Deno.readFile(`${source}/rc@smoke.weights.bin`));
    assert.equal(saved.header.meta.kind, "toy");
    assert.equal(saved.header.meta.experiment, "two-sequence");
    assert.equal(saved.header.meta.backend, "cpu");
    assert.equal(saved.header.meta.examples, config.numBatches * config.batchSize);

    const warm = { ...config, numBatches: 0, initFrom: source };
    const run = "rc@smoke+initFrom=x+numBatches=0";
    const second = await runToy(TWO_SEQUENCE, warm, context(target, run, "rc@smoke"));
    assert.equal(runProblem(JSON.parse(JSON.stringify(second))), null);
    // The same weights on the same test set: the same numbers, to the last bit.
    for (const key of ["testAccuracy", "meanSpikeTime", "eosAccuracy", "fractionFired"] as const) {
      assert.equal(second.metrics[key], first.metrics[key], key);
    }
    assert.equal(second.compute.train.examples, 0);
    const dev = second.deviations.find((d) => d.startsWith("warm start"));
    assert.ok(dev?.includes(`${source}/rc@smoke.weights.bin`), String(dev));
    assert.ok(dev?.includes("trained on cpu, 256 examples"), String(dev));
    // Its own saved weights are the source's values, and count the source's examples.
    const resaved = decodeWeights(await Deno.readFile(`${target}/${run}.weights.bin`));
    assert.deepEqual(resaved.values, saved.values);
    assert.equal(resaved.header.meta.examples, 256);

    // One batch more moves the weights (they are trained, not only loaded).
    const one = { ...config, numBatches: 1, validateEvery: 1, initFrom: source };
    await runToy(TWO_SEQUENCE, one, context(target, "one", "rc@smoke"));
    const moved = decodeWeights(await Deno.readFile(`${target}/one.weights.bin`));
    assert.notDeepEqual(moved.values, saved.values);
    assert.equal(moved.header.meta.examples, 256 + config.batchSize);
  } finally {
    await Deno.remove(source, { recursive: true });
    await Deno.remove(target, { recursive: true });
  }
});

Deno.test("a warm start whose weights are missing or foreign says which file and what to do", async () => {
  await useCpu();
  const dir = await Deno.makeTempDir({ prefix: "rc-warm-none-" });
  try {
    const config = { ...toyConfig(TWO_SEQUENCE, "eos", "smoke"), initFrom: dir };
    await assert.rejects(
      () => runToy(TWO_SEQUENCE, config, context(dir, "eos@smoke+initFrom=x", "eos@smoke")),
      (e: Error) =>
        e.message.includes(`no weights at ${dir}/eos@smoke.weights.bin`) &&
        e.message.includes("deno task train --experiment two-sequence --run eos@smoke"),
    );
    // Weights of another kind (a keyword model's, say) are refused by name.
    const { encodeWeights } = await import("../../lib/models/weights.ts");
    await Deno.writeFile(
      `${dir}/eos@smoke.weights.bin`,
      encodeWeights({ name: "other" }, [[1]], [new Float32Array(1)], { kind: "kws" }),
    );
    await assert.rejects(
      () => runToy(TWO_SEQUENCE, config, context(dir, "eos@smoke+initFrom=x", "eos@smoke")),
      /eos@smoke\.weights\.bin/,
    );
    // The run wrote nothing of its own.
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    assert.deepEqual(names, ["eos@smoke.weights.bin"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
