/**
 * The kill-and-resume check shared by the experiments whose runs checkpoint: one run trained
 * whole, the same run killed (SIGKILL) as soon as its first checkpoint exists and started again;
 * both must end with the same record, bar what depends on time, memory or the machine.
 * @module
 */
import assert from "node:assert/strict";
import { SHARED_DATA } from "../_shared.ts";

/** A record without what depends on time, memory, the machine or the process. */
export function stable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([k]) =>
          !/seconds|wall|rss|numTensors|tensorBytes|startedAt|finishedAt|environment|git|paired|timing|speedup|realised/i
            .test(k)
        )
        .map(([k, v]) => [k, stable(v)]),
    );
  }
  return value;
}

export interface ResumeCase {
  experiment: string;
  /** The run's full name, e.g. "rc-b0.2@smoke". */
  run: string;
  /** `--set` pairs, e.g. ["epochs=25"]. */
  sets: string[];
  /** The run file under the output folder, e.g. "runs/kws-fsdd/rc-b0.2@smoke+epochs=25.json". */
  file: string;
  /** What the resumed run's log must say. */
  resumed: RegExp;
  env?: Record<string, string>;
}

function train(c: ResumeCase, out: string, dataDir: string) {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "tasks/train.ts",
      "--experiment",
      c.experiment,
      "--run",
      c.run,
      "--profile",
      "smoke",
      ...c.sets.flatMap((s) => ["--set", s]),
      "--out",
      out,
    ],
    cwd: new URL("../../", import.meta.url),
    env: {
      RC_DATA_DIR: dataDir,
      RC_DATA_MIRROR: SHARED_DATA,
      RC_STORE_LEASE_MS: "1000",
      ...c.env,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs the check; returns both records (whole, resumed) for the caller's own assertions. */
export async function killAndResume(c: ResumeCase, root: string): Promise<[unknown, unknown]> {
  const dataDir = `${root}/data`;
  const a = await train(c, `${root}/a`, dataDir).output();
  assert.equal(a.code, 0, new TextDecoder().decode(a.stderr));
  const dir = `${root}/b/runs/${c.experiment}`;
  const killed = train(c, `${root}/b`, dataDir);
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
  assert.throws(() => Deno.statSync(`${root}/b/${c.file}`), "a killed run left a record");
  const again = await train(c, `${root}/b`, dataDir).output();
  const log = new TextDecoder().decode(again.stderr);
  assert.equal(again.code, 0, log);
  assert.match(log, c.resumed);
  const ra = JSON.parse(await Deno.readTextFile(`${root}/a/${c.file}`));
  const rb = JSON.parse(await Deno.readTextFile(`${root}/b/${c.file}`));
  assert.deepEqual(stable(rb), stable(ra));
  assert.throws(() => Deno.statSync(`${dir}/${ckpt}`), "the checkpoint outlived its run");
  return [ra, rb];
}
