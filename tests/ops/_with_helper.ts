/**
 * Runs a helper-thread check (lib/ops/blas_helper.ts) where the helper can run. `deno task test`
 * sets RC_BLAS_HELPER=off for the test process itself: Deno 2.9.6's test runner, ending a process
 * in which a worker isolate had used FFI, aborted at exit with glibc's "corrupted size vs.
 * prev_size" in 9 of 32 runs of tests/accel here (with the worker's FFI taken out, 0 of 12; with no
 * helper, 1 of 20, a race of its own), while `deno run` processes with the helper ended cleanly
 * (0 of 10, and every training and bench run). So there the check runs in a `deno run` process of
 * its own (tests/ops/_with_helper_main.ts, with the helper on); elsewhere in this process.
 * @module
 */
import assert from "node:assert/strict";

/** Runs `check` here when the helper may start in this process, else in a subprocess. */
export async function withHelper(
  file: string,
  name: string,
  check: () => Promise<void>,
): Promise<void> {
  if (Deno.env.get("RC_BLAS_HELPER") !== "off") return await check();
  const env = Deno.env.toObject();
  delete env.RC_BLAS_HELPER;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./_with_helper_main.ts", import.meta.url).pathname, file, name],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success && text.includes(`${name}: passed`), `${name} in a subprocess:\n${text}`);
}
