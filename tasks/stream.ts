/**
 * `deno task stream --weights FILE --wav FILE [--threshold X] [--chunk-ms MS]`
 *
 * Streaming RC-inference of one recording, as a live microphone would feed it: the keyword
 * model of a weights file (lib/models/weights.ts, `meta` of a keyword run: classes, threshold,
 * log-mel parameters, mean, std) reads the WAV in 10 ms chunks and answers at its first output
 * spike. Prints the answer, when it came (audio time), and the compute time per frame (log-mel
 * features and one model step). A recording at another sample rate is resampled first, whole
 * (lib/data/resample.ts); one shorter than the clip is padded with zeros, as the batch features pad it.
 *
 * @module
 */
import { resample } from "../lib/data/resample.ts";
import { readWav } from "../lib/data/wav.ts";
import { StreamingClassifier } from "../lib/rc/stream.ts";
import { parseCli, runCli, UsageError } from "./_cli.ts";

const CLI = {
  task: "stream",
  usage: `usage: deno task stream --weights FILE --wav FILE [--threshold X] [--chunk-ms MS]
  --weights   a keyword model's weights file (reports/runs/kws-*/<run>.weights.bin)
  --wav       a PCM16 mono WAV file (any sample rate: resampled to the model's)
  --threshold spike threshold θ (default: the one saved with the weights)
  --chunk-ms  audio per push, milliseconds (default 10)`,
  options: {
    weights: { type: "string" },
    wav: { type: "string" },
    threshold: { type: "string" },
    "chunk-ms": { type: "string", default: "10" },
  },
} as const;

function positive(flag: string, value: string): number {
  const v = Number(value);
  if (!(v > 0) || !Number.isFinite(v)) {
    throw new UsageError(`--${flag} must be a positive number: got ${JSON.stringify(value)}`);
  }
  return v;
}

export async function main(args: string[]): Promise<number> {
  const parsed = parseCli(CLI, args);
  if (!parsed) return 0;
  const { weights, wav, threshold, "chunk-ms": chunkMs } = parsed.values;
  if (!weights) throw new UsageError("--weights FILE is required");
  if (!wav) throw new UsageError("--wav FILE is required");
  const overrides = threshold === undefined ? {} : { threshold: positive("threshold", threshold) };
  const classifier = StreamingClassifier.fromWeightsFile(
    await Deno.readFile(weights),
    weights,
    overrides,
  );
  const rate = classifier.frontEnd.params.sampleRate;
  const audio = await readWav(wav);
  const samples = audio.sampleRate === rate
    ? audio.samples
    : resample(audio.samples, audio.sampleRate, rate);
  const chunk = Math.max(1, Math.round((positive("chunk-ms", chunkMs) * rate) / 1000));

  classifier.warmUp(); // compile the per-step code before the first real frame
  // Time every push that completed a frame: its log-mel frame(s) and model step(s).
  const perFrame: number[] = [];
  let steps = 0;
  const timedPush = (part: Float32Array) => {
    const began = performance.now();
    const event = classifier.push(part);
    const ms = performance.now() - began;
    const done = classifier.stepsRun - steps;
    steps = classifier.stepsRun;
    for (let k = 0; k < done; k++) perFrame.push(ms / done);
    return event;
  };
  let event = null;
  for (let i = 0; i < samples.length && !event; i += chunk) {
    event = timedPush(samples.subarray(i, i + chunk));
  }
  const padded = !event;
  while (!event) event = timedPush(new Float32Array(chunk));

  const s = classifier.shape;
  console.log(
    `model: LSTM ${s.numInputs}-${s.hiddenSize}${s.readoutHidden.map((n) => `-${n}`).join("")}` +
      `-${s.numOutputs}, θ = ${classifier.threshold}, ${classifier.steps} steps per clip`,
  );
  console.log(
    `audio: ${wav}, ${samples.length} samples at ${rate} Hz` +
      (audio.sampleRate === rate ? "" : ` (resampled from ${audio.sampleRate} Hz)`) +
      `, fed in chunks of ${chunk}` + (padded ? "; zero-padded to the clip's end" : ""),
  );
  const name = event.className === undefined ? "" : ` ("${event.className}")`;
  console.log(
    event.fired
      ? `spike: label ${event.label}${name} at step ${event.step}, confidence ` +
        `${event.confidence.toFixed(4)} >= θ, after ${event.audioMs.toFixed(1)} ms of audio`
      : `no spike: confidence stayed below θ; answer at the last step ${event.step}: label ` +
        `${event.label}${name}, confidence ${event.confidence.toFixed(4)}`,
  );
  console.log(`event: ${JSON.stringify(event)}`);
  // The first frame is shown apart from the rest (it takes the loaded code's first calls).
  const rest = perFrame.slice(1).sort((a, b) => a - b);
  const mean = rest.reduce((a, b) => a + b, 0) / Math.max(1, rest.length);
  const us = (ms: number | undefined) => `${(1000 * (ms ?? NaN)).toFixed(1)} µs`;
  console.log(
    `compute per frame (log-mel + model step): first ${us(perFrame[0])}` +
      (rest.length === 0 ? "" : `; the other ${rest.length}: mean ${us(mean)}, median ` +
        `${us(rest[rest.length >> 1])}, max ${us(rest.at(-1))}`),
  );
  return 0;
}

if (import.meta.main) await runCli(CLI, main);
