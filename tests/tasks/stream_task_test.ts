import assert from "node:assert/strict";
import { readClipAudio } from "../../lib/encode/clip_features.ts";
import { DEFAULT_LOGMEL } from "../../lib/encode/logmel.ts";
import { saveWeights } from "../../lib/models/weights.ts";
import { StreamingClassifier } from "../../lib/rc/stream.ts";
import { useCpu } from "../_backend.ts";
import { keywordModel, kwsMeta } from "../rc/_stream.ts";
import { SHARED_DATA } from "../_shared.ts";

const WAV = `${SHARED_DATA}/fsdd/recordings/4_nicolas_20.wav`; // 8 kHz: resampled by the task
const ignore = (() => {
  try {
    Deno.statSync(WAV);
    return false;
  } catch {
    console.error(`stream task test skipped: no ${WAV}`);
    return true;
  }
})();

/** `deno task stream`'s command (deno.json), with `args`. */
async function runTask(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const config = JSON.parse(await Deno.readTextFile(new URL("../../deno.json", import.meta.url)));
  const words = (config.tasks.stream as string).split(" ");
  assert.deepEqual(words.slice(0, 3), ["deno", "run", "--allow-read"], "read permission only");
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...words.slice(1), ...args],
    cwd: new URL("../../", import.meta.url).pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test({
  name: "deno task stream: a saved keyword model and a real 8 kHz wav give the classifier's event",
  ignore,
  fn: async () => {
    await useCpu();
    const model = keywordModel(7);
    const dir = await Deno.makeTempDir();
    try {
      const meta = kwsMeta(0.99, Array(20).fill(-8), Array(20).fill(3));
      await saveWeights(`${dir}/w.bin`, model, meta);
      // The reference: the whole clip (resampled, padded to 1 s) through the classifier.
      const audio = await readClipAudio(WAV, DEFAULT_LOGMEL);
      // θ from the file (0.99): no spike; --threshold 0.4: a spike mid-clip (step 22).
      const fired: boolean[] = [];
      for (const threshold of [undefined, 0.4]) {
        const c = await StreamingClassifier.fromModel(model, {
          ...meta,
          threshold: threshold ?? meta.threshold,
        });
        c.push(audio);
        const expected = c.end();
        const r = await runTask([
          "--weights",
          `${dir}/w.bin`,
          "--wav",
          WAV,
          ...(threshold === undefined ? [] : ["--threshold", String(threshold)]),
        ]);
        assert.equal(r.code, 0, r.stderr);
        const line = r.stdout.split("\n").find((l) => l.startsWith("event: "));
        assert.ok(line, r.stdout);
        assert.deepEqual(JSON.parse(line.slice(7)), JSON.parse(JSON.stringify(expected)));
        assert.match(r.stdout, /resampled from 8000 Hz/);
        assert.match(r.stdout, /compute per frame \(log-mel \+ model step\): first [\d.]+ µs/);
        assert.match(r.stdout, expected.fired ? /^spike: label/m : /^no spike:/m);
        fired.push(expected.fired);
      }
      assert.deepEqual(fired, [false, true]);
      const bad = await runTask(["--weights", `${dir}/w.bin`]);
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--wav FILE is required/);
    } finally {
      await Deno.remove(dir, { recursive: true });
      model.variables.forEach((v) => v.dispose());
    }
  },
});
