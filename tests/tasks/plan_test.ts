/**
 * `reproduce --plan` and `--emit slurm|k8s`: the missing runs with their hash, cost, backend and
 * command; a job array / Indexed Jobs that train exactly those; and the checks `reproduce` makes
 * of its output folder before training anything.
 */
import assert from "node:assert/strict";
import { main } from "../../tasks/reproduce.ts";
import { outdatedRuns, plan } from "../../tasks/orchestrate.ts";
import { type PlannedRun, plannedRuns } from "../../tasks/cluster/emit.ts";
import { experimentById } from "../../tasks/experiments.ts";
import { fixtureRuns } from "../report/fixtures.ts";
import { runPath, type RunRecord } from "../../lib/results.ts";
import { NO_LONGER_DECLARED } from "../../lib/report/runs.ts";

const TOYS = ["seq-spotting", "two-sequence"].map(experimentById);
const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** Runs `main(args)` with stdout and stderr captured. */
async function capture(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    const code = await main(args);
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

async function bashSyntaxOk(script: string): Promise<void> {
  const o = await new Deno.Command("bash", { args: ["-n", "-c", script], stderr: "piped" })
    .output();
  assert.equal(o.code, 0, new TextDecoder().decode(o.stderr));
}

Deno.test("reproduce --plan prints the missing runs: hash, cost, backend, resources and the train command; finished runs drop out", async () => {
  const out = await Deno.makeTempDir({ prefix: "rc-plan-" });
  try {
    const args = ["--profile", "smoke", "--only", "seq-spotting,two-sequence", "--out", out];
    const first = await capture([...args, "--plan"]);
    assert.equal(first.code, 0, first.err);
    const json = JSON.parse(first.out);
    const items = await plan(TOYS, "smoke", out);
    assert.equal(json.finished, 0);
    const missing = json.missing as PlannedRun[];
    // EOS baselines first (wave 0), then the RC runs that compare against them (wave 1).
    assert.deepEqual(missing.map((r) => `${r.experiment}/${r.run}:${r.wave}`), [
      "seq-spotting/eos@smoke:0",
      "two-sequence/eos@smoke:0",
      "seq-spotting/rc@smoke:1",
      "two-sequence/rc@smoke:1",
    ]);
    for (const r of missing) {
      const item = items.find((i) => i.experiment.id === r.experiment && i.run === r.run)!;
      assert.equal(r.configHash, item.hash);
      assert.equal(r.cost.exampleSteps, 8 * 32 * (r.experiment === "seq-spotting" ? 25 : 40));
      assert.equal(r.backend, "wasm");
      assert.deepEqual(r.resources, { cpus: 1, gpus: 0, memGiB: 2, time: "00:15:00" });
      assert.equal(
        r.command,
        `deno task train --experiment ${r.experiment} --run ${r.run} --profile smoke ` +
          `--backend wasm --out ${out}`,
      );
    }
    // A finished run (here: the fixture's record under the plan's hash) is no longer missing.
    const eos = missing[0];
    await Deno.mkdir(`${out}/runs/seq-spotting`, { recursive: true });
    await Deno.writeTextFile(
      runPath(out, "seq-spotting", "eos@smoke"),
      JSON.stringify({
        ...fixtureRuns()[0],
        run: "eos@smoke",
        method: "eos",
        configHash: eos.configHash,
      }),
    );
    const second = JSON.parse((await capture([...args, "--plan"])).out);
    assert.equal(second.finished, 1);
    assert.deepEqual(
      (second.missing as PlannedRun[]).map((r) => `${r.experiment}/${r.run}:${r.wave}`),
      ["seq-spotting/rc@smoke:0", "two-sequence/eos@smoke:0", "two-sequence/rc@smoke:1"],
    );
    // At paper, auto means a GPU.
    const paper = plannedRuns(await plan(TOYS, "paper", out), {
      profile: "paper",
      backend: "auto",
      out,
    });
    assert.ok(paper.every((r) => r.backend === "webgpu" && r.resources.gpus === 1));
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("reproduce --emit slurm writes a job array (one task per run, one log each) and a wave-ordered submit script", async () => {
  const out = await Deno.makeTempDir({ prefix: "rc-emit-slurm-" });
  try {
    const args = ["--profile", "smoke", "--only", "seq-spotting,two-sequence", "--out", out];
    const r = await capture([...args, "--emit", "slurm"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, new RegExp(`submit: bash ${out}/cluster/submit\\.sh`));
    const script = await Deno.readTextFile(`${out}/cluster/grid.sbatch`);
    const submit = await Deno.readTextFile(`${out}/cluster/submit.sh`);
    await bashSyntaxOk(script);
    await bashSyntaxOk(submit);
    assert.match(script, /^#SBATCH --array=0-3$/m);
    assert.match(script, /^#SBATCH --cpus-per-task=1$/m);
    assert.match(script, /^#SBATCH --mem=2G$/m);
    assert.ok(!script.includes("--gres"));
    assert.match(script, new RegExp(`^#SBATCH --output=${out}/cluster/logs/%A_%a\\.log$`, "m"));
    assert.match(script, new RegExp(`^#SBATCH --chdir=${ROOT}$`, "m"));
    const table = [...script.matchAll(/^ {2}"([^"]+)" # wave (\d)$/gm)].map((m) => m[1]);
    const items = await plan(TOYS, "smoke", out);
    assert.deepEqual(table, [
      `seq-spotting eos@smoke ${items[0].hash}`,
      `two-sequence eos@smoke ${items[2].hash}`,
      `seq-spotting rc@smoke ${items[1].hash}`,
      `two-sequence rc@smoke ${items[3].hash}`,
    ]);
    assert.ok(script.includes(
      `task train --experiment "$EXPERIMENT" --run "$RUN" --profile smoke --backend wasm ` +
        `--out ${out}`,
    ));
    assert.match(submit, /--array=0-1 /);
    assert.match(submit, /--array=2-3 "\$\{dep\[@\]\}"/);
    assert.match(submit, /--dependency="afterany:\$id"/);
    const stat = await Deno.stat(`${out}/cluster/logs`);
    assert.ok(stat.isDirectory);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("reproduce --emit k8s writes Indexed Jobs, one per wave, whose indices train the runs", async () => {
  const out = await Deno.makeTempDir({ prefix: "rc-emit-k8s-" });
  try {
    const args = ["--profile", "paper", "--only", "two-sequence", "--out", out, "--emit", "k8s"];
    const r = await capture(args);
    assert.equal(r.code, 0, r.err);
    const list = JSON.parse(await Deno.readTextFile(`${out}/cluster/grid.k8s.json`));
    assert.equal(list.kind, "List");
    assert.deepEqual(list.items.map((j: { metadata: { name: string } }) => j.metadata.name), [
      "rc-grid-paper-wave0",
      "rc-grid-paper-wave1",
    ]);
    for (const job of list.items) {
      assert.equal(job.kind, "Job");
      assert.equal(job.spec.completionMode, "Indexed");
      assert.equal(job.spec.completions, 3); // three seeds of the 2-sequence EOS/RC pair
      const c = job.spec.template.spec.containers[0];
      assert.equal(c.resources.limits["nvidia.com/gpu"], "1");
      assert.equal(c.command[0], "bash");
      await bashSyntaxOk(c.command[2]);
      assert.match(c.command[2], /deno task train --experiment "\$EXPERIMENT" --run "\$RUN"/);
      assert.match(c.command[2], /--profile paper --backend webgpu/);
    }
    const wave1 = list.items[1].spec.template.spec.containers[0].command[2];
    assert.match(wave1, /"two-sequence rc@paper [0-9a-f]{16} eos@paper"/);
    assert.match(wave1, /"two-sequence rc-s3@paper [0-9a-f]{16} eos-s3@paper"/);
    assert.match(wave1, /until \[ -f .*runs\/"\$EXPERIMENT\/\$BASELINE\.json" \]/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("reproduce checks the output folder before training: an unwritable --out and a bad run file stop it at once", async () => {
  const args = ["--profile", "smoke", "--only", "seq-spotting", "--backend", "cpu"];
  const began = performance.now();
  const proc = await capture([...args, "--out", "/proc/rc-no-such-place"]);
  assert.equal(proc.code, 1);
  assert.match(
    proc.err,
    /Cannot write to the output folder \/proc\/rc-no-such-place .*choose a writable --out/,
  );
  const out = await Deno.makeTempDir({ prefix: "rc-precheck-" });
  try {
    const bad = { ...fixtureRuns()[0], run: "old" };
    bad.metrics = { ...bad.metrics, testAccuracy: 57 };
    await writeBad(out, bad);
    const r = await capture([...args, "--out", out]);
    assert.equal(r.code, 1);
    assert.match(r.err, /Run file .*old\.json: metrics\.testAccuracy is 57/);
    assert.match(
      r.err,
      /1 run file\(s\) in .* are invalid: fix or delete them.*nothing was trained/,
    );
    // Nothing trained: only the bad file is there, and no backend was even started.
    const names = [...Deno.readDirSync(`${out}/runs/seq-spotting`)].map((e) => e.name);
    assert.deepEqual(names, ["old.json"]);
    assert.ok(performance.now() - began < 10_000);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

async function writeBad(out: string, record: unknown): Promise<void> {
  await Deno.mkdir(`${out}/runs/seq-spotting`, { recursive: true });
  await Deno.writeTextFile(runPath(out, "seq-spotting", "old"), JSON.stringify(record));
}

Deno.test("reproduce --emit takes slurm or k8s only", async () => {
  await assert.rejects(
    () => main(["--profile", "smoke", "--emit", "pbs", "--out", "/tmp/rc-never"]),
    /--emit must be slurm or k8s: got "pbs"/,
  );
});

Deno.test("outdatedRuns: the run files plan would not reuse, each saying which config keys changed", async () => {
  const out = await Deno.makeTempDir({ prefix: "rc-outdated-" });
  try {
    const [eos] = (await plan(TOYS, "smoke", out)).filter((i) =>
      i.experiment.id === "seq-spotting" && i.run === "eos@smoke"
    );
    const base = {
      ...fixtureRuns()[0],
      experiment: "seq-spotting",
      run: "eos@smoke",
      method: "eos",
      profile: "smoke",
      config: eos.config,
      configHash: eos.hash,
    } as RunRecord;
    const numBatches = eos.config.numBatches as number;
    const records: RunRecord[] = [
      base,
      { ...base, experiment: "two-sequence" }, // another experiment's hash: not current there
      { ...base, run: "gone@smoke" },
      { ...base, status: "failed", configHash: "0000000000000000" },
      { ...base, experiment: "mnist", configHash: "0000000000000000" },
    ];
    const older = { ...base, config: { ...eos.config, numBatches: numBatches + 1 } };
    records.push(
      { ...older, experiment: "seq-spotting", configHash: "0123456789abcdef", run: "eos@smoke" },
    );
    const found = await outdatedRuns(TOYS, records);
    // The current file is not listed; a failed run and an unknown experiment are left out.
    assert.deepEqual([...found.keys()].sort(), [
      "seq-spotting/eos@smoke",
      "seq-spotting/gone@smoke",
      "two-sequence/eos@smoke",
    ]);
    assert.equal(
      found.get("seq-spotting/eos@smoke"),
      `made with an older config of profile smoke: numBatches ${
        numBatches + 1
      } (now ${numBatches})`,
    );
    assert.equal(found.get("seq-spotting/gone@smoke"), NO_LONGER_DECLARED);
    assert.match(found.get("two-sequence/eos@smoke")!, /older/);
    // Only the current file: nothing outdated.
    assert.equal((await outdatedRuns(TOYS, [base])).size, 0);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
