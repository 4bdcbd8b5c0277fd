import assert from "node:assert/strict";
import { resample } from "../../lib/data/resample.ts";
import { decodeWav, padOrCrop, readWav } from "../../lib/data/wav.ts";
import { readFsddClip } from "../../lib/encode/clip_features.ts";
import { SHARED_DATA } from "../_shared.ts";
import { sharedTest } from "../_shared.ts";

const FSDD = `${SHARED_DATA}/fsdd/recordings`;

/** A RIFF/WAVE file with the given fmt fields and `dataBytes` of sample data. */
function wav(
  opts: {
    format?: number;
    channels?: number;
    bits?: number;
    rate?: number;
    data: Uint8Array;
    declared?: number;
  },
): Uint8Array {
  const { format = 1, channels = 1, bits = 16, rate = 8000, data } = opts;
  const out = new Uint8Array(44 + data.length);
  const v = new DataView(out.buffer);
  const enc = (s: string, at: number) => [...s].forEach((c, i) => (out[at + i] = c.charCodeAt(0)));
  enc("RIFF", 0);
  v.setUint32(4, 36 + data.length, true);
  enc("WAVE", 8);
  enc("fmt ", 12);
  v.setUint32(16, 16, true);
  v.setUint16(20, format, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, (rate * channels * bits) / 8, true);
  v.setUint16(32, (channels * bits) / 8, true);
  v.setUint16(34, bits, true);
  enc("data", 36);
  v.setUint32(40, opts.declared ?? data.length, true);
  out.set(data, 44);
  return out;
}

sharedTest("wav: real FSDD recordings decode as 8 kHz mono PCM16", async () => {
  const bytes = await Deno.readFile(`${FSDD}/0_george_0.wav`);
  const a = await readWav(`${FSDD}/0_george_0.wav`);
  assert.equal(a.sampleRate, 8000);
  // Independent check of the first samples straight from the data chunk.
  const v = new DataView(bytes.buffer);
  let pos = 12;
  while (String.fromCharCode(...bytes.subarray(pos, pos + 4)) !== "data") {
    pos += 8 + v.getUint32(pos + 4, true);
  }
  assert.equal(a.samples.length, v.getUint32(pos + 4, true) / 2);
  for (let i = 0; i < 50; i++) {
    assert.equal(a.samples[i], v.getInt16(pos + 8 + 2 * i, true) / 32768);
  }
  for (const name of ["5_jackson_32.wav", "9_yweweler_49.wav", "3_theo_10.wav"]) {
    const w = await readWav(`${FSDD}/${name}`);
    assert.equal(w.sampleRate, 8000);
    assert.ok(w.samples.length > 1000 && w.samples.length < 2.3 * 8000, name);
  }
});

Deno.test("wav: bad inputs give errors naming the file and the fix", () => {
  const pcm = new Uint8Array(100);
  assert.equal(decodeWav(wav({ data: pcm }), "ok.wav").samples.length, 50);
  assert.throws(
    () => decodeWav(wav({ data: pcm, channels: 2 }), "st.wav"),
    /st\.wav: 2 channels \(stereo\?\); only mono.*sox/,
  );
  assert.throws(
    () => decodeWav(wav({ data: pcm, bits: 8 }), "b8.wav"),
    /b8\.wav: 8-bit samples; only 16-bit PCM/,
  );
  assert.throws(
    () => decodeWav(wav({ data: pcm, format: 3, bits: 32 }), "fl.wav"),
    /fl\.wav: samples are IEEE float/,
  );
  assert.throws(
    () => decodeWav(wav({ data: pcm }).subarray(0, 80), "tr.wav"),
    /tr\.wav: truncated: the data chunk declares 100 bytes but only 36 follow/,
  );
  assert.throws(
    () => decodeWav(wav({ data: pcm }).subarray(0, 30), "tr2.wav"),
    /tr2\.wav: truncated or malformed/,
  );
  assert.throws(
    () => decodeWav(new TextEncoder().encode("ID3 not a wave file"), "mp3.wav"),
    /mp3\.wav: not a RIFF\/WAVE file \(starts with "ID3 "/,
  );
  assert.throws(() => decodeWav(new Uint8Array(0), "empty.wav"), /empty\.wav: file is empty/);
});

Deno.test("resample: 8 -> 16 kHz matches the band-limited signal", () => {
  const n = 4000;
  const f = 1234.5;
  const x = Float32Array.from(
    { length: n },
    (_, i) =>
      0.5 * Math.sin((2 * Math.PI * f * i) / 8000) + 0.3 * Math.cos((2 * Math.PI * 300 * i) / 8000),
  );
  const y = resample(x, 8000, 16000);
  assert.equal(y.length, 2 * n);
  let maxErr = 0;
  for (let i = 200; i < 2 * n - 200; i++) {
    const t = i / 16000;
    const ref = 0.5 * Math.sin(2 * Math.PI * f * t) + 0.3 * Math.cos(2 * Math.PI * 300 * t);
    maxErr = Math.max(maxErr, Math.abs(y[i] - ref));
  }
  assert.ok(maxErr < 2e-3, `max error ${maxErr}`);
  // A 3 kHz tone must not leave an image at 8000 - 3000 = 5 kHz (Hann-windowed DFT).
  const tone = Float32Array.from(
    { length: n },
    (_, i) => Math.sin((2 * Math.PI * 3000 * i) / 8000),
  );
  const up = resample(tone, 8000, 16000);
  const amp = (hz: number) => {
    let re = 0;
    let im = 0;
    for (let i = 1000; i < 7000; i++) {
      const w = up[i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * (i - 1000)) / 6000));
      re += w * Math.cos((2 * Math.PI * hz * i) / 16000);
      im += w * Math.sin((2 * Math.PI * hz * i) / 16000);
    }
    return Math.hypot(re, im) / 3000;
  };
  assert.ok(amp(5000) < 1e-3 * amp(3000), `image ${amp(5000)} vs tone ${amp(3000)}`);
  assert.throws(() => resample(x, 8000.5, 16000), /rates must be positive integers/);
  const d = resample(y, 16000, 8000);
  assert.equal(d.length, n);
  let err2 = 0;
  for (let i = 100; i < n - 100; i++) err2 = Math.max(err2, Math.abs(d[i] - x[i]));
  assert.ok(err2 < 2e-3, `round trip error ${err2}`);
});

sharedTest("resample: real FSDD recordings to 1 s at 16 kHz", async () => {
  for (const name of ["0_george_0.wav", "7_lucas_12.wav"]) {
    const src = await readWav(`${FSDD}/${name}`);
    const clip = await readFsddClip(`${FSDD}/${name}`, { placement: "start" });
    assert.equal(clip.length, 16000);
    const up = resample(src.samples, 8000, 16000);
    // Even output samples sit on the input samples: close to them (low-pass with 0.94 rolloff).
    let energyIn = 0;
    let energyOut = 0;
    for (let i = 0; i < src.samples.length; i++) energyIn += src.samples[i] ** 2;
    for (let i = 0; i < up.length; i++) energyOut += up[i] ** 2;
    assert.ok(
      Math.abs(energyOut / (2 * energyIn) - 1) < 0.05,
      `${name}: energy ratio ${energyOut / (2 * energyIn)}`,
    );
    const kept = Math.min(up.length, 16000);
    for (let i = 0; i < kept; i++) assert.equal(clip[i], up[i]);
    for (let i = kept; i < 16000; i++) assert.equal(clip[i], 0);
  }
  assert.deepEqual(Array.from(padOrCrop(Float32Array.of(1, 2, 3), 2)), [1, 2]);
  assert.deepEqual(Array.from(padOrCrop(Float32Array.of(1, 2), 4)), [1, 2, 0, 0]);
});
