/**
 * `deno task ok` stays green: the checkout is formatted (`deno fmt --check`) and lint-clean
 * (`deno lint`, deno.json's rules), so the suite catches what the README's `ok` task would.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

async function deno(...args: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const d = new TextDecoder();
  return { code: o.code, out: d.decode(o.stdout) + d.decode(o.stderr) };
}

Deno.test("style: deno fmt --check passes", async () => {
  const r = await deno("fmt", "--check");
  assert.equal(r.code, 0, `deno fmt --check failed (run deno fmt):\n${r.out.slice(-3000)}`);
});

Deno.test("style: deno lint passes", async () => {
  const r = await deno("lint");
  assert.equal(r.code, 0, `deno lint failed:\n${r.out.slice(-3000)}`);
});
