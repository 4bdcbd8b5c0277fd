import assert from "node:assert/strict";
import { readClipAudio } from "../../lib/encode/clip_features.ts";
import { createLogMel, DEFAULT_LOGMEL, type LogMelParams } from "../../lib/encode/logmel.ts";
import { StreamingLogMel } from "../../lib/encode/stream_logmel.ts";
import { SHARED_DATA } from "../_shared.ts";

const SHARED = `${SHARED_DATA}`;
const CLIPS = [
  `${SHARED}/fsdd/recordings/4_nicolas_20.wav`, // 8 kHz, resampled to 16 kHz, padded to 1 s
  `${SHARED}/speech_commands_v0.01_sample/right/51055bda_nohash_4.wav`, // 16 kHz
];
const missing = CLIPS.filter((p) => {
  try {
    Deno.statSync(p);
    return false;
  } catch {
    return true;
  }
});
const ignore = missing.length > 0;
if (ignore) console.error(`stream_logmel tests skipped: no ${missing.join(", ")}`);

/** Stacked context (lib/encode/logmel.ts `contextMode`), typed loosely for older LogMelParams. */
const STACKED = { contextMode: "stacked" } as unknown as Partial<LogMelParams>;

/** Streams `clip` in chunks of the sizes in `chunks` (cycled); every frame with its sample count. */
function streamFrames(
  clip: Float32Array,
  params: Partial<LogMelParams>,
  chunks: number[],
): { frames: Float32Array[]; at: number[] } {
  const s = new StreamingLogMel(params);
  const frames: Float32Array[] = [];
  const at: number[] = [];
  let k = 0;
  for (let i = 0; i < clip.length;) {
    const n = Math.min(chunks[k++ % chunks.length], clip.length - i);
    const used = s.push(clip.subarray(i, i + n), (f) => {
      frames.push(f.slice());
      at.push(s.samplesReceived);
    });
    assert.equal(used, n, "every sample is consumed when onFrame does not stop");
    i += n;
  }
  return { frames, at };
}

Deno.test({
  name: "streaming log-mel: real clips fed in odd chunks give the batch frames bit for bit",
  ignore,
  fn: async () => {
    for (const path of CLIPS) {
      // The batch frames pad the clip's end with half a window of zeros: so does the stream.
      const audio = await readClipAudio(path, DEFAULT_LOGMEL);
      const clip = new Float32Array(16200);
      clip.set(audio);
      // The stacked mode where lib/encode/logmel.ts has it.
      const modes = "contextMode" in DEFAULT_LOGMEL ? [{}, { context: 0 }, STACKED] : [{}, {
        context: 0,
      }];
      for (const params of modes) {
        const p = { ...DEFAULT_LOGMEL, ...params };
        const batch = createLogMel(p)(audio);
        const stacked = params === STACKED;
        const F = (stacked ? 21 : 1) * p.numMel;
        const T = batch.length / F;
        assert.equal(T, 101 - 2 * p.context);
        for (const chunks of [[1], [7, 333, 1, 161], [4000]]) {
          const { frames, at } = streamFrames(clip, params, chunks);
          // 16,200 samples complete frames 0..100 of the uncropped framing (window end 160 k + 200):
          // recurrent steps are frames context..100, stacked step t needs frames t..t+20.
          const expected = stacked ? 81 : 101 - p.context;
          assert.equal(frames.length, expected, `${path} ${JSON.stringify(params)}`);
          for (let t = 0; t < T; t++) {
            assert.deepEqual(frames[t], batch.subarray(t * F, (t + 1) * F), `${path} frame ${t}`);
            // Frame t (centred on sample 160 (t + context)) is out once its last sample is in.
            assert.equal(at[t], 160 * (t + (stacked ? 2 : 1) * p.context) + 200);
          }
        }
      }
    }
  },
});

Deno.test("streaming log-mel: onFrame returning false stops at that frame; reset starts anew", () => {
  const s = new StreamingLogMel();
  const clip = Float32Array.from({ length: 4000 }, (_, i) => Math.sin(i / 7));
  let seen = 0;
  const used = s.push(clip, () => (seen++, false));
  assert.equal(seen, 1);
  assert.equal(used, 1800, "frame 0 (context 10) ends at sample 1,800");
  assert.equal(s.framesEmitted, 1);
  assert.equal(s.nextFrameAt, 1960);
  const first: Float32Array[] = [];
  s.reset();
  s.push(clip.subarray(0, 1800), (f) => void first.push(f.slice()));
  const again: Float32Array[] = [];
  s.reset();
  s.push(clip.subarray(0, 1800), (f) => void again.push(f.slice()));
  assert.equal(first.length, 1);
  assert.deepEqual(again, first);
});

Deno.test("streaming log-mel: silence gives ln(logFloor) in every band", () => {
  const s = new StreamingLogMel();
  const frames: Float32Array[] = [];
  s.push(new Float32Array(2000), (f) => void frames.push(f.slice()));
  assert.equal(frames.length, 2);
  for (const f of frames) for (const v of f) assert.equal(v, Math.fround(Math.log(1e-6)));
});
