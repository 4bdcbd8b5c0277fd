/**
 * The run store with many writers: N processes on one folder, their publishes slowed by
 * RC_STORE_WRITE_DELAY_MS, lose and corrupt nothing; claims keep two workers from training one
 * run; an expired claim is taken over; a finished run is never overwritten.
 */
import assert from "node:assert/strict";
import { readRunFile, readRuns, runPath, storeRun } from "../../lib/results.ts";
import { Claim, claimPath, tryClaim } from "../../tasks/_store.ts";
import { fixtureRuns } from "../report/fixtures.ts";

const WORKER = new URL("./_store_worker.ts", import.meta.url).pathname;

async function spawnWorkers(
  n: number,
  args: (i: number) => string[],
  env: Record<string, string>,
): Promise<string[]> {
  const outputs = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", WORKER, ...args(i)],
        env,
        stdout: "piped",
        stderr: "piped",
      }).output()),
  );
  return outputs.map((o, i) => {
    const text = new TextDecoder().decode(o.stdout);
    assert.equal(o.code, 0, `worker ${i}: ${new TextDecoder().decode(o.stderr)}`);
    return text;
  });
}

async function leftovers(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (!e.name.endsWith(".json")) names.push(e.name);
  return names;
}

Deno.test("store: 4 writers, slowed at the write, publish 6 runs each into one folder: each run is kept once, intact", async () => {
  const out = await Deno.makeTempDir({ prefix: "rc-store-" });
  try {
    const lines = await spawnWorkers(4, (i) => ["write", out, `w${i}`, "6"], {
      RC_STORE_WRITE_DELAY_MS: "60",
    });
    const outcomes = lines.flatMap((t, w) =>
      t.trim().split("\n").map((l) => ({ w, ...JSON.parse(l) as { run: string; kept: boolean } }))
    );
    assert.equal(outcomes.length, 24);
    for (let i = 0; i < 6; i++) {
      const forRun = outcomes.filter((o) => o.run === `r${i}`);
      const published = forRun.filter((o) => !o.kept);
      // The first writer publishes; the other three find its finished run and keep it.
      assert.equal(published.length, 1, `r${i}: ${JSON.stringify(forRun)}`);
      const file = await readRunFile(runPath(out, "seq-spotting", `r${i}`));
      assert.ok(file.record, file.problem ?? "");
      assert.equal(file.record.title, `by w${published[0].w}`);
    }
    assert.equal((await readRuns(out, { onProblem: assert.fail })).length, 6);
    assert.deepEqual(await leftovers(`${out}/runs/seq-spotting`), []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("store: 4 workers execute one plan of 5 runs into one folder: each run trained once, none lost", async () => {
  const out = await Deno.makeTempDir({ prefix: "rc-store-exec-" });
  const log = `${out}/trained.log`;
  try {
    const lines = await spawnWorkers(4, (i) => ["execute", out, `w${i}`, log, "5"], {
      RC_STORE_WRITE_DELAY_MS: "40",
      RC_STORE_LEASE_MS: "2000",
    });
    const trained = (await Deno.readTextFile(log)).trim().split("\n");
    const runs = trained.map((l) => l.split(" ")[1]).sort();
    assert.deepEqual(runs, ["r0", "r1", "r2", "r3", "r4"], trained.join("; "));
    const records = await readRuns(out, { onProblem: assert.fail });
    assert.equal(records.length, 5);
    // Every worker returns all 5 records, the same ones: those its peers trained are reused.
    const byRun = new Map(records.map((r) => [r.run, r.title]));
    for (const text of lines) {
      const got = JSON.parse(text) as [string, string][];
      assert.deepEqual(new Map(got), byRun);
    }
    for (const r of records) {
      assert.ok(trained.includes(`${r.title.slice(3)} ${r.run}`), `${r.run} by ${r.title}`);
    }
    assert.deepEqual(await leftovers(`${out}/runs/seq-spotting`), []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("claims: a live claim is refused with its holder, an expired one is taken over", async () => {
  const out = await Deno.makeTempDir({ prefix: "rc-claim-" });
  try {
    const first = await tryClaim(out, "seq-spotting", "eos", "0123456789abcdef");
    assert.ok(first instanceof Claim);
    const second = await tryClaim(out, "seq-spotting", "eos", "0123456789abcdef");
    assert.ok(!(second instanceof Claim));
    assert.equal(second.heldBy.pid, Deno.pid);
    await first.release();
    await assert.rejects(() => Deno.stat(claimPath(out, "seq-spotting", "eos")));

    // A holder that died: its claim expired a second ago.
    const path = claimPath(out, "seq-spotting", "rc");
    const dead = {
      writer: "other.1.x",
      pid: 999999,
      host: "elsewhere",
      configHash: "0123456789abcdef",
      claimedAt: new Date(Date.now() - 10_000).toISOString(),
      expiresAt: Date.now() - 1000,
    };
    await Deno.writeTextFile(path, JSON.stringify(dead));
    const taken = await tryClaim(out, "seq-spotting", "rc", "0123456789abcdef");
    assert.ok(taken instanceof Claim);
    assert.equal(JSON.parse(await Deno.readTextFile(path)).pid, Deno.pid);
    await taken.release();
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("store: a finished run is never overwritten by a second result or a failed record of its config", async () => {
  const out = await Deno.makeTempDir({ prefix: "rc-store-keep-" });
  try {
    const [a] = fixtureRuns();
    const first = await storeRun(out, { ...a, title: "first" });
    assert.equal(first.kept, false);
    const again = await storeRun(out, { ...a, title: "second" });
    assert.equal(again.kept, true);
    assert.equal(again.record.title, "first");
    const failed = await storeRun(out, {
      ...a,
      title: "failed",
      status: "failed",
      error: "boom",
      metrics: { ...a.metrics, testAccuracy: NaN },
    });
    assert.equal(failed.kept, true);
    assert.equal((await readRuns(out))[0].title, "first");
    // A new config (another hash) replaces it; so does --force (replace).
    const other = await storeRun(out, {
      ...a,
      title: "new config",
      configHash: "ffffffffffffffff",
    });
    assert.equal(other.kept, false);
    const forced = await storeRun(out, { ...a, title: "forced", configHash: "ffffffffffffffff" }, {
      replace: true,
    });
    assert.equal(forced.kept, false);
    assert.equal((await readRuns(out))[0].title, "forced");
    // An invalid record is refused before anything is written.
    await assert.rejects(
      () => storeRun(out, { ...a, run: "bad", metrics: { ...a.metrics, testAccuracy: 57 } }),
      /metrics\.testAccuracy is 57, expected a fraction in \[0, 1\]/,
    );
    assert.deepEqual(await leftovers(`${out}/runs/${a.experiment}`), []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
