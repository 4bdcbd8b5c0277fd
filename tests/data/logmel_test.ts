import assert from "node:assert/strict";
import { listSpeechCommands, readClip } from "../../lib/data/speech_commands.ts";
import { readFsddClip } from "../../lib/encode/clip_features.ts";
import {
  createLogMel,
  DEFAULT_LOGMEL,
  featureShape,
  frameLayout,
  logMel,
} from "../../lib/encode/logmel.ts";
import {
  featuriseParallel,
  loadFsddFeatures,
  loadSpeechCommandsFeatures,
} from "../../lib/encode/features.ts";
import { SHARED_DATA } from "../_shared.ts";
import { sharedTest } from "../_shared.ts";

const SAMPLE = `${SHARED_DATA}/speech_commands_v0.01_sample`;
const SHARED = `${SHARED_DATA}`;

/** Reference log-mel of frame `t` (after the context crop): direct DFT, filters from the HTK formula. */
function referenceFrame(x: Float32Array, t: number): number[] {
  const sr = 16000, win = 400, hop = 160, nfft = 512, nMel = 20, ctx = 10;
  const start = (t + ctx) * hop - win / 2;
  const frame = new Array(nfft).fill(0);
  for (let i = 0; i < win; i++) {
    const s = start + i;
    frame[i] = (s >= 0 && s < x.length ? x[s] : 0) *
      (0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (win - 1)));
  }
  const power: number[] = [];
  for (let k = 0; k <= nfft / 2; k++) {
    let re = 0, im = 0;
    for (let n = 0; n < nfft; n++) {
      re += frame[n] * Math.cos((2 * Math.PI * k * n) / nfft);
      im -= frame[n] * Math.sin((2 * Math.PI * k * n) / nfft);
    }
    power.push(re * re + im * im);
  }
  const mel = (f: number) => 2595 * Math.log10(1 + f / 700);
  const hz = (m: number) => 700 * (Math.pow(10, m / 2595) - 1);
  const pts = Array.from(
    { length: nMel + 2 },
    (_, i) => hz(mel(20) + (i * (mel(4000) - mel(20))) / (nMel + 1)),
  );
  const out: number[] = [];
  for (let m = 0; m < nMel; m++) {
    let e = 0;
    for (let k = 0; k <= nfft / 2; k++) {
      const f = (k * sr) / nfft;
      const w = Math.max(
        0,
        Math.min(
          (f - pts[m]) / (pts[m + 1] - pts[m]),
          (pts[m + 2] - f) / (pts[m + 2] - pts[m + 1]),
        ),
      );
      e += w * power[k];
    }
    out.push(Math.log(e + 1e-6));
  }
  return out;
}

sharedTest(
  "logmel: 81 frames x 20 features; matches a direct-DFT reference on real audio",
  async () => {
    assert.deepEqual(frameLayout(DEFAULT_LOGMEL), {
      window: 400,
      stride: 160,
      allFrames: 101,
      numFrames: 81,
    });
    assert.equal(frameLayout({ ...DEFAULT_LOGMEL, center: false }).allFrames, 98);
    const s = await listSpeechCommands(SAMPLE);
    for (const clip of [s.train[0], s.test[3]]) {
      const x = await readClip(SAMPLE, clip);
      const f = logMel(x);
      assert.equal(f.length, 81 * 20);
      for (const t of [0, 17, 40, 80]) {
        const ref = referenceFrame(x, t);
        for (let m = 0; m < 20; m++) {
          const got = f[t * 20 + m];
          assert.ok(
            Math.abs(got - ref[m]) < 1e-4 * Math.max(1, Math.abs(ref[m])),
            `${clip.file} t=${t} m=${m}: ${got} vs ${ref[m]}`,
          );
        }
      }
    }
    const fsdd = await readFsddClip(`${SHARED}/fsdd/recordings/4_nicolas_20.wav`);
    const ff = logMel(fsdd);
    for (const t of [5, 60]) {
      const ref = referenceFrame(fsdd, t);
      for (let m = 0; m < 20; m++) {
        assert.ok(Math.abs(ff[t * 20 + m] - ref[m]) < 1e-4 * Math.max(1, Math.abs(ref[m])));
      }
    }
    assert.throws(
      () => createLogMel()(new Float32Array(100)),
      /clip has 100 samples, expected 16000/,
    );
    assert.throws(() => createLogMel({ context: 60 }), /lower context/);
  },
);

sharedTest(
  "features: Speech Commands sample featurised once, then read from the cache",
  async () => {
    const dataDir = await Deno.makeTempDir();
    try {
      const a = await loadSpeechCommandsFeatures({ root: SAMPLE, dataDir, quiet: true });
      assert.equal(a.fromCache, false);
      assert.equal(a.train.count + a.validation.count + a.test.count, 300);
      for (const sp of [a.train, a.validation, a.test]) {
        assert.equal(sp.x.length, sp.count * 81 * 20);
        assert.equal(sp.numSteps, 81);
        assert.equal(sp.numFeatures, 20);
        assert.equal(sp.classes.length, 11);
        assert.ok(sp.y.every((v) => v >= 0 && v < 11));
      }
      assert.ok(a.std.every((v) => v > 0));
      const b = await loadSpeechCommandsFeatures({ root: SAMPLE, dataDir, quiet: true });
      assert.equal(b.fromCache, true);
      assert.equal(b.cachePath, a.cachePath);
      assert.ok(b.cachePath.startsWith(dataDir));
      assert.deepEqual(b.test.x, a.test.x);
      assert.deepEqual(b.train.y, a.train.y);
      // Another parameter set is another cache entry.
      const c = await loadSpeechCommandsFeatures({
        root: SAMPLE,
        dataDir,
        quiet: true,
        params: { numMel: 16 },
        limitPerSplit: 3,
      });
      assert.equal(c.fromCache, false);
      assert.equal(c.train.numFeatures, 16);
      assert.equal(c.train.count, 3);
      // A damaged cache entry is recomputed.
      await Deno.writeFile(b.cachePath, new Uint8Array(10));
      const d = await loadSpeechCommandsFeatures({ root: SAMPLE, dataDir, quiet: true });
      assert.equal(d.fromCache, false);
      assert.deepEqual(d.test.x, a.test.x);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);

sharedTest(
  "features: FSDD subset via a mirror folder; workers give the same features",
  async () => {
    const dataDir = await Deno.makeTempDir();
    try {
      const f = await loadFsddFeatures({ dataDir, mirror: SHARED, limitPerSplit: 4, quiet: true });
      assert.deepEqual([f.train.count, f.validation.count, f.test.count], [4, 4, 4]);
      assert.equal(f.train.classes.length, 10);
      assert.equal(f.train.x.length, 4 * 81 * 20);
      const files = ["0_george_0.wav", "1_jackson_5.wav", "2_lucas_30.wav"].map((n) =>
        `${SHARED}/fsdd/recordings/${n}`
      );
      const inline = await featuriseParallel(files, DEFAULT_LOGMEL, 0, undefined);
      const pooled = await featuriseParallel(files, DEFAULT_LOGMEL, 2, undefined);
      assert.deepEqual(pooled, inline);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);

sharedTest(
  "logmel: stacked context: [81, 420], step t is frames t..t+20 of the 101 in order",
  async () => {
    const stackedParams = { ...DEFAULT_LOGMEL, contextMode: "stacked" as const };
    assert.deepEqual(featureShape(DEFAULT_LOGMEL), { numSteps: 81, numFeatures: 20 });
    assert.deepEqual(featureShape(stackedParams), { numSteps: 81, numFeatures: 420 });
    assert.throws(
      () => featureShape({ ...DEFAULT_LOGMEL, contextMode: "window" as never }),
      /contextMode "window" is unknown; use one of recurrent, stacked/,
    );
    const s = await listSpeechCommands(SAMPLE);
    const x = await readClip(SAMPLE, s.validation[1]);
    const full = logMel(x, { context: 0 }); // all 101 frames
    assert.equal(full.length, 101 * 20);
    const rec = logMel(x);
    const st = logMel(x, { contextMode: "stacked" });
    assert.equal(rec.length, 81 * 20);
    assert.equal(st.length, 81 * 420);
    for (let t = 0; t < 81; t++) {
      for (let m = 0; m < 20; m++) assert.equal(rec[t * 20 + m], full[(t + 10) * 20 + m]);
      for (let j = 0; j < 21; j++) {
        for (let m = 0; m < 20; m++) {
          assert.equal(st[t * 420 + j * 20 + m], full[(t + j) * 20 + m], `t=${t} j=${j} m=${m}`);
        }
      }
    }
    // The edge frames against the direct-DFT reference: frame 0 (step 0, first) and
    // frame 100 (step 80, last), both half zero padding.
    for (const [step, j, frame] of [[0, 0, 0], [80, 20, 100], [40, 10, 50]]) {
      const ref = referenceFrame(x, frame - 10);
      for (let m = 0; m < 20; m++) {
        const got = st[step * 420 + j * 20 + m];
        assert.ok(Math.abs(got - ref[m]) < 1e-4 * Math.max(1, Math.abs(ref[m])), `frame ${frame}`);
      }
    }

    const dataDir = await Deno.makeTempDir();
    try {
      const opts = { root: SAMPLE, dataDir, quiet: true, limitPerSplit: 2 };
      const a = await loadSpeechCommandsFeatures(opts);
      const b = await loadSpeechCommandsFeatures({ ...opts, params: { contextMode: "stacked" } });
      assert.equal(b.fromCache, false);
      assert.notEqual(b.cachePath, a.cachePath);
      assert.deepEqual([a.train.numSteps, a.train.numFeatures], [81, 20]);
      assert.deepEqual([b.train.numSteps, b.train.numFeatures], [81, 420]);
      assert.equal(b.validation.x.length, 2 * 81 * 420);
      assert.equal(b.mean.length, 420);
      assert.equal(b.params.placement, "start");
      assert.deepEqual(b.validation.x.subarray(81 * 420), st);
      const c = await loadSpeechCommandsFeatures({ ...opts, params: { contextMode: "stacked" } });
      assert.equal(c.fromCache, true);
      assert.deepEqual(c.validation.x, b.validation.x);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);
