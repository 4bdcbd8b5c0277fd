/**
 * Every task's command line, run as `deno task` runs it (the permission flags read from deno.json):
 * `--help` answers the usage with exit 0; a bad command line gives ONE line on stderr, no stack
 * trace, and exit 2. Argument errors only: nothing here trains.
 */
import assert from "node:assert/strict";
import config from "../../deno.json" with { type: "json" };

const ROOT = new URL("../../", import.meta.url);
const TASKS: Record<string, string> = config.tasks;

/** deno.json's command for `task` as `deno` arguments, `$HOME` expanded as `deno task` does. */
function taskArgs(task: string): string[] {
  const words = TASKS[task].replaceAll("$HOME", Deno.env.get("HOME") ?? "").split(/\s+/);
  assert.equal(words[0], "deno", `deno.json task ${task}: ${TASKS[task]}`);
  return words.slice(1);
}

/**
 * Lines Deno itself may print before the program runs: npm set-up, a permission note, and the
 * wait for node_modules' lock while the other cases' processes start.
 */
const DENO_OWN = /^(Download|Initialize|Info|Warning|Blocking waiting for file lock) /;

async function run(task: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...taskArgs(task), ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** Exit 2 and exactly one line on stderr, naming the task, with no stack frame. */
async function assertUsageError(task: string, args: string[], pattern: RegExp) {
  const r = await run(task, args);
  const what = `deno task ${task} ${JSON.stringify(args)}`;
  const lines = r.stderr.split("\n").filter((l) => l.trim() !== "" && !DENO_OWN.test(l));
  assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.stderr}`);
  assert.equal(lines.length, 1, `${what}: stderr is not one line:\n${r.stderr}`);
  assert.ok(!/^\s*at /m.test(r.stderr), `${what}: stack trace on stderr:\n${r.stderr}`);
  assert.ok(lines[0].startsWith(`${task}: `), `${what}: ${lines[0]}`);
  assert.match(lines[0], pattern, what);
}

async function assertHelp(task: string) {
  for (const flag of ["--help", "-h"]) {
    const r = await run(task, [flag]);
    assert.equal(r.code, 0, `deno task ${task} ${flag}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^usage: deno task ${task}`), `${task} ${flag}`);
  }
}

const CASES: Record<string, [string[], RegExp][]> = {
  reproduce: [
    [["--bogus"], /Unknown option '--bogus'/],
    [["--only"], /--only <value>' argument missing/],
    [["--only", ""], /--only needs a value/],
    [["--only", "two-sequence,two-sequence"], /gives experiment "two-sequence" twice/],
    [["--only", "two-sequence,"], /--only has an empty experiment/],
    [["--only", "mnsit"], /Unknown experiment "mnsit": expected one of seq-spotting/],
    [["--profile", "huge"], /--profile must be smoke, default or paper: got "huge"/],
    [["--backend", "tpu"], /--backend must be auto, webgpu, wasm or cpu: got "tpu"/],
    [["extra"], /Unexpected argument 'extra'/],
    [
      ["--dataset", "fashion-mnist"],
      /--dataset applies to mnist(, [a-z-]+)* only, not seq-spotting/,
    ],
    [["--only", "mnist", "--dataset", "emnist"], /--dataset emnist: dataset expects one of mnist/],
  ],
  train: [
    [["--bogus"], /Unknown option '--bogus'/],
    [["--experiment"], /--experiment <value>' argument missing/],
    [[], /--experiment ID is required/],
    [["--experiment", ""], /--experiment needs a value/],
    [["--experiment", "nope"], /--experiment must be seq-spotting, .*: got "nope"/],
    [["--experiment", "two-sequence", "--profile", "huge"], /--profile must be/],
    [["--experiment", "two-sequence", "--dataset", "fashion-mnist"], /dataset/],
  ],
  report: [
    [["--bogus"], /Unknown option '--bogus'/],
    [["--out"], /--out <value>' argument missing/],
    [["--out", ""], /--out needs a value/],
  ],
  data: [
    [["--bogus"], /Unknown option '--bogus'/],
    [["--data-dir"], /--data-dir <value>' argument missing/],
    [[], /NAME needs at least one data set: one of mnist/],
    [["fsdd", "fsdd"], /gives data set "fsdd" twice/],
    [["mnits"], /Unknown data set "mnits"/],
  ],
  bench: [
    [["--bogus"], /Unknown option '--bogus'/],
    [["--out"], /--out <value>' argument missing/],
  ],
  stream: [
    [["--bogus"], /Unknown option '--bogus'/],
    [[], /--weights FILE is required/],
    [["--weights"], /--weights <value>' argument missing/],
    [["--weights", "x.bin"], /--wav FILE is required/],
  ],
};

for (const [task, cases] of Object.entries(CASES)) {
  Deno.test(`deno task ${task}: --help exits 0; bad arguments give one line and exit 2`, async () => {
    await Promise.all([
      assertHelp(task),
      ...cases.map(([args, pattern]) => assertUsageError(task, args, pattern)),
    ]);
  });
}

Deno.test("every task under tasks/ has its command-line cases here", async () => {
  const files = [];
  for await (const e of Deno.readDir(new URL("tasks/", ROOT))) {
    if (e.isFile && e.name.endsWith(".ts") && !e.name.startsWith("_")) files.push(e.name);
  }
  const entry = (name: string) => Object.values(TASKS).some((c) => c.includes(`tasks/${name}`));
  const tasks = files.filter(entry).map((f) => f.replace(/\.ts$/, "")).sort();
  assert.deepEqual(tasks, Object.keys(CASES).sort());
});
