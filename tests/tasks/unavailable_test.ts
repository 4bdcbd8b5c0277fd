/**
 * A data set that cannot be had here is not a failure of the code: the orchestrator stores no
 * record for the run, tries no other run of that experiment, says which command would run it,
 * and goes on with the other experiments.
 */
import assert from "node:assert/strict";
import { DataUnavailableError } from "../../lib/data/download.ts";
import type { ExperimentDeclaration } from "../../lib/experiments/declaration.ts";
import type { RunRecord } from "../../lib/results.ts";
import { execute, plan } from "../../tasks/orchestrate.ts";
import { fixtureRuns } from "../report/fixtures.ts";

Deno.test("execute: a run whose data set is unavailable is skipped with the command, not failed", async () => {
  const out = await Deno.makeTempDir();
  const template = fixtureRuns()[0];
  const tried: string[] = [];
  const fake = (id: "kws-gsc" | "seq-spotting", missing: boolean): ExperimentDeclaration => ({
    id,
    title: "fake",
    paper: { section: "", figures: "" },
    sections: [],
    runs: () =>
      ["a", "b"].map((run) => ({
        run,
        method: "eos" as const,
        config: { run },
        cost: () => 1,
        execute: (_c, ctx): Promise<RunRecord> => {
          tried.push(`${id}/${run}`);
          if (missing) {
            return Promise.reject(new DataUnavailableError("Could not obtain archive.tar.gz"));
          }
          return Promise.resolve({
            ...template,
            experiment: id,
            run: ctx.run,
            configHash: ctx.configHash,
            profile: "smoke",
          });
        },
      })),
  });
  const lines: string[] = [];
  try {
    const items = await plan([fake("kws-gsc", true), fake("seq-spotting", false)], "smoke", out);
    const records = await execute(items, "smoke", out, (l) => lines.push(l));
    assert.deepEqual(tried, ["kws-gsc/a", "seq-spotting/a", "seq-spotting/b"]);
    assert.deepEqual(records.map((r) => `${r.experiment}/${r.run}`), [
      "seq-spotting/a",
      "seq-spotting/b",
    ]);
    assert.ok(records.every((r) => r.status !== "failed"));
    const log = lines.join("\n");
    assert.match(log, /kws-gsc\/a: skipped, its data set cannot be had here \(not a failure/);
    assert.match(log, /deno task reproduce --only kws-gsc/);
    assert.match(log, /kws-gsc\/b: skipped/);
    // No record (nor a claim left behind) for the skipped experiment.
    assert.deepEqual([...Deno.readDirSync(`${out}/runs/kws-gsc`)].map((e) => e.name), []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
