/**
 * Data benchmarks: log-mel throughput (report utterances/s = 1000 / avg ms) and
 * MNIST load + temporal encoding time. Uses the offline copies in /work/shared/data
 * (or RC_DATA_MIRROR) through a temporary cache.
 */

import { listSpeechCommands, readClip } from "../lib/data/speech_commands.ts";
import { loadMnist } from "../lib/data/mnist.ts";
import { featuriseParallel } from "../lib/encode/features.ts";
import { createLogMel, DEFAULT_LOGMEL } from "../lib/encode/logmel.ts";
import { encodeBatch } from "../lib/encode/temporal.ts";

const SAMPLE = "/work/shared/data/speech_commands_v0.01_sample";
const MIRROR = Deno.env.get("RC_DATA_MIRROR") ?? "/work/shared/data";
const split = await listSpeechCommands(SAMPLE);
const clips = [...split.train, ...split.validation, ...split.test];
const files = clips.map((c) => `${SAMPLE}/${c.file}`);
const audio = await Promise.all(clips.slice(0, 100).map((c) => readClip(SAMPLE, c)));
const extract = createLogMel();
const dataDir = await Deno.makeTempDir();
const mnist = await loadMnist({ dataDir, mirror: MIRROR, quiet: true });
const batch = Array.from({ length: 128 }, (_, i) => i * 7);

Deno.bench("log-mel, 100 utterances (audio in memory, 81x20 each)", { group: "logmel" }, () => {
  for (const a of audio) extract(a);
});

Deno.bench("log-mel, 300 WAV files read + featurised, 1 thread", { group: "files" }, async () => {
  await featuriseParallel(files, DEFAULT_LOGMEL, 0, undefined);
});

Deno.bench("log-mel, 300 WAV files read + featurised, 2 workers", { group: "files" }, async () => {
  await featuriseParallel(files, DEFAULT_LOGMEL, 2, undefined);
});

Deno.bench(
  "MNIST load (gunzip + parse + verify, 70k images)",
  { group: "mnist", n: 5 },
  async () => {
    await loadMnist({ dataDir, quiet: true });
  },
);

Deno.bench("temporal encode, batch 128, T=10", { group: "mnist" }, () => {
  encodeBatch(mnist.train.images, batch, 10);
});

Deno.bench("temporal encode, all 60k train images in batches of 128, T=10", {
  group: "mnist",
  n: 3,
}, () => {
  const idx = new Int32Array(128);
  for (let s = 0; s + 128 <= mnist.train.count; s += 128) {
    for (let i = 0; i < 128; i++) idx[i] = s + i;
    encodeBatch(mnist.train.images, idx, 10);
  }
});

globalThis.addEventListener("unload", () => Deno.removeSync(dataDir, { recursive: true }));
