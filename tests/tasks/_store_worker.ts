/**
 * One writer of the run-store tests (tests/tasks/store_test.ts), run as its own process:
 * - `write OUT TAG N`: publishes runs r0..r(N-1) of seq-spotting with `storeRun`, each titled
 *   "by TAG"; prints one JSON line per run: { run, kept }.
 * - `execute OUT TAG LOG N`: executes a plan of N fake runs (each "trains" for 100 ms and appends
 *   "TAG run" to LOG) through the orchestrator's claims and store.
 * @module
 */
import { type RunRecord, storeRun } from "../../lib/results.ts";
import type { ExperimentDeclaration } from "../../lib/experiments/declaration.ts";
import { execute, plan } from "../../tasks/orchestrate.ts";
import { fixtureRuns } from "../report/fixtures.ts";

const [mode, out, tag, ...rest] = Deno.args;
const template = fixtureRuns()[0];

function recordFor(run: string, hash: string): RunRecord {
  return { ...template, run, configHash: hash, title: `by ${tag}`, profile: "smoke" };
}

if (mode === "write") {
  const n = Number(rest[0]);
  for (let i = 0; i < n; i++) {
    const got = await storeRun(out, recordFor(`r${i}`, template.configHash));
    console.log(JSON.stringify({ run: `r${i}`, kept: got.kept }));
  }
} else if (mode === "execute") {
  const [log, count] = rest;
  const decl: ExperimentDeclaration = {
    id: "seq-spotting",
    title: "fake",
    paper: { section: "", figures: "" },
    sections: [],
    runs: () =>
      Array.from({ length: Number(count) }, (_, i) => ({
        run: `r${i}`,
        method: "eos" as const,
        config: { i },
        cost: () => 1,
        execute: async (_config, ctx) => {
          await Deno.writeTextFile(log, `${tag} ${ctx.run}\n`, { append: true });
          await new Promise((r) => setTimeout(r, 100));
          return recordFor(ctx.run, ctx.configHash);
        },
      })),
  };
  const items = await plan([decl], "smoke", out);
  const records = await execute(items, "smoke", out, () => {}, { pollMs: 50 });
  console.log(JSON.stringify(records.map((r) => [r.run, r.title])));
} else {
  throw new Error(`unknown mode ${mode}`);
}
