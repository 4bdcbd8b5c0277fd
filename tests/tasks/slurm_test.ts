/**
 * A real scheduler: a single-node Slurm on this machine (tasks/cluster/slurm_local.sh) runs the
 * smoke grid as the job array `reproduce --emit slurm` writes, and `report` merges the results.
 * Also times the same grid in one process. Skipped, with the reason, without root or without
 * Debian's slurm-wlm and munge (.ci/run installs them).
 */
import assert from "node:assert/strict";
import { readRuns } from "../../lib/results.ts";

const ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const SCRIPT = `${ROOT}/tasks/cluster/slurm_local.sh`;
const ONLY = "seq-spotting,two-sequence";

function onPath(name: string): boolean {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/sbin", "/usr/bin"]);
  return dirs.some((d) => {
    try {
      return Deno.statSync(`${d}/${name}`).isFile;
    } catch {
      return false;
    }
  });
}

function skipReason(): string | null {
  if (Deno.build.os !== "linux") return "needs Linux";
  if (Deno.uid() !== 0) return "needs root to start slurmctld and slurmd";
  const absent = ["slurmctld", "slurmd", "sbatch", "squeue", "munged"].filter((b) => !onPath(b));
  return absent.length
    ? `${absent.join(", ")} not installed (apt-get install slurm-wlm munge)`
    : null;
}

const SKIP = skipReason();
if (SKIP) console.error(`slurm_test: skipped: ${SKIP}`);

async function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string; seconds: number }> {
  const began = performance.now();
  const o = await new Deno.Command(cmd, { args, env, cwd: ROOT, stdout: "piped", stderr: "piped" })
    .output();
  const d = new TextDecoder();
  return {
    code: o.code,
    stdout: d.decode(o.stdout),
    stderr: d.decode(o.stderr),
    seconds: (performance.now() - began) / 1000,
  };
}

Deno.test({
  name: "slurm: the smoke grid runs as a job array on a single-node Slurm and the report merges it",
  ignore: SKIP !== null,
  async fn() {
    const deno = Deno.execPath();
    const started = await run("bash", [SCRIPT, "start"]);
    assert.equal(started.code, 0, `slurm_local.sh start: ${started.stderr}`);
    const weStarted = started.stderr.includes("started slurmctld");
    const conf = /export SLURM_CONF=(\S+)/.exec(started.stdout)![1];
    const env = { SLURM_CONF: conf, DENO: deno };
    const out = await Deno.makeTempDir({ prefix: "rc-slurm-grid-" });
    const one = await Deno.makeTempDir({ prefix: "rc-slurm-oneproc-" });
    let jobs = "";
    try {
      const emitted = await run(deno, [
        "task",
        "reproduce",
        "--profile",
        "smoke",
        "--only",
        ONLY,
        "--emit",
        "slurm",
        "--out",
        out,
      ]);
      assert.equal(emitted.code, 0, emitted.stderr);

      // The array: submit (two waves), wait until the queue has none of its jobs.
      const submitted = await run("bash", [`${out}/cluster/submit.sh`], env);
      assert.equal(submitted.code, 0, submitted.stderr);
      jobs = [...submitted.stdout.matchAll(/^job (\d+)/gm)].map((m) => m[1]).join(",");
      assert.equal(jobs.split(",").length, 2, submitted.stdout);
      const began = performance.now();
      for (;;) {
        const q = await run("squeue", ["-h", "-j", jobs], env);
        if (q.code === 0 && q.stdout.trim() === "") break;
        assert.ok(performance.now() - began < 100_000, `the array did not finish: ${q.stdout}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      const arraySeconds = (performance.now() - began) / 1000 + submitted.seconds;

      // One log per task, naming its run; four valid run files, none failed.
      const logs = [...Deno.readDirSync(`${out}/cluster/logs`)].map((e) => e.name).sort();
      assert.equal(logs.length, 4, logs.join(", "));
      const records = await readRuns(out, { onProblem: assert.fail });
      assert.deepEqual(records.map((r) => `${r.experiment}/${r.run}`), [
        "seq-spotting/eos@smoke",
        "seq-spotting/rc@smoke",
        "two-sequence/eos@smoke",
        "two-sequence/rc@smoke",
      ]);
      for (const r of records) {
        const log = logs.map((l) => Deno.readTextFileSync(`${out}/cluster/logs/${l}`)).find((t) =>
          t.startsWith(`array task`) && t.includes(`: ${r.experiment}/${r.run} (config`)
        );
        assert.ok(log, `no log for ${r.experiment}/${r.run}`);
        assert.ok(r.status !== "failed", `${r.experiment}/${r.run}: ${r.error}`);
      }
      // The RC tasks (wave 1) found their EOS baselines in the shared folder.
      for (const r of records.filter((r) => r.method === "rc")) {
        assert.ok(r.target.checks.some((c) => c.name.startsWith("mean first spike, RC / EOS")));
      }

      const report = await run(deno, ["task", "report", "--out", out]);
      assert.equal(report.code, 0, report.stderr);
      const html = await Deno.readTextFile(`${out}/index.html`);
      assert.ok(html.includes("eos@smoke") && html.includes("rc@smoke"));
      const summary = JSON.parse(await Deno.readTextFile(`${out}/summary.json`));
      assert.ok(JSON.stringify(summary).includes("two-sequence"));

      // The same grid in one process.
      const single = await run(deno, [
        "task",
        "reproduce",
        "--profile",
        "smoke",
        "--only",
        ONLY,
        "--backend",
        "wasm",
        "--out",
        one,
      ]);
      assert.equal(single.code, 0, single.stderr);
      console.log(
        `smoke grid (${ONLY}, 4 runs): Slurm array ${arraySeconds.toFixed(1)} s ` +
          `(submit to last task done, 2 waves) vs one process ${single.seconds.toFixed(1)} s ` +
          `(deno task reproduce); ${Deno.env.get("HOSTNAME") ?? "this machine"}, ` +
          `${navigator.hardwareConcurrency} cores, shared`,
      );
    } finally {
      if (jobs) await run("scancel", jobs.split(","), env);
      if (weStarted) await run("bash", [SCRIPT, "stop"]);
      await Deno.remove(out, { recursive: true });
      await Deno.remove(one, { recursive: true });
    }
  },
});
