import assert from "node:assert/strict";
import { resample } from "../../lib/data/resample.ts";
import { nameSeed, placeInRegion, readWav } from "../../lib/data/wav.ts";
import { featuriseParallel, loadFsddFeatures } from "../../lib/encode/features.ts";
import {
  emptyPlacementStats,
  placeClip,
  readFsddClip,
  readPlacedClip,
} from "../../lib/encode/clip_features.ts";
import { DEFAULT_LOGMEL, logMel, seenRegion } from "../../lib/encode/logmel.ts";
import { SHARED_DATA } from "../_shared.ts";
import { sharedTest } from "../_shared.ts";

const SHARED = `${SHARED_DATA}`;
const FSDD = `${SHARED}/fsdd/recordings`;
const SEEDED = { ...DEFAULT_LOGMEL, placement: "seeded-offset" as const };

/** The recording resampled to 16 kHz, as the loader sees it before placement. */
async function upsampled(name: string): Promise<Float32Array> {
  const w = await readWav(`${FSDD}/${name}`);
  return resample(w.samples, w.sampleRate, 16000);
}

Deno.test("placement: seen region computed from the frame layout", () => {
  // Kept frames 10..90 centred on 1600..14400, 400-sample windows from centre - 200.
  assert.deepEqual(seenRegion(DEFAULT_LOGMEL), { start: 1400, end: 14600 });
  // Stacked: all 101 frames are used, frame 0 covers [-200, 200), frame 100 [15800, 16200).
  assert.deepEqual(seenRegion({ ...DEFAULT_LOGMEL, contextMode: "stacked" }), {
    start: 0,
    end: 16000,
  });
  // Uncentred: 98 frames starting at 0, 160, ...; kept 10..87: [1600, 87 * 160 + 400).
  assert.deepEqual(seenRegion({ ...DEFAULT_LOGMEL, center: false }), {
    start: 1600,
    end: 14320,
  });
  assert.throws(
    () => seenRegion({ ...DEFAULT_LOGMEL, placement: "middle" as never }),
    /placement "middle" is unknown; use one of start, seeded-offset/,
  );
});

Deno.test("placement: placeInRegion on hand-made inputs", () => {
  // FNV-1a 32-bit reference values.
  assert.equal(nameSeed(""), 0x811c9dc5);
  assert.equal(nameSeed("a"), 0xe40c292c);
  assert.equal(nameSeed("foobar"), 0xbf9cf968);

  // Fits: copied whole into [2, 8) of 10; offsets 2..5 all reachable, roughly uniform.
  const x = Float32Array.of(1, 2, 3);
  const counts = new Map<number, number>();
  for (let seed = 0; seed < 4000; seed++) {
    const p = placeInRegion(x, 10, { start: 2, end: 8 }, seed);
    assert.equal(p.cut, 0);
    assert.equal(p.kept, 3);
    assert.equal(p.from, 0);
    const want = new Array(10).fill(0);
    want.splice(p.offset, 3, 1, 2, 3);
    assert.deepEqual(Array.from(p.samples), want.slice(0, 10));
    counts.set(p.offset, (counts.get(p.offset) ?? 0) + 1);
    assert.equal(placeInRegion(x, 10, { start: 2, end: 8 }, seed).offset, p.offset);
  }
  assert.deepEqual([...counts.keys()].sort(), [2, 3, 4, 5]);
  for (const c of counts.values()) assert.ok(Math.abs(c - 1000) < 150, `count ${c}`);

  // Exactly the room: one possible offset.
  const full = placeInRegion(Float32Array.of(4, 5), 4, { start: 1, end: 3 }, 99);
  assert.deepEqual(Array.from(full.samples), [0, 4, 5, 0]);

  // Too long: windows of 3 have energies 1, 1, 9, 9, 10, 2: the window from 4 wins.
  const long = placeInRegion(Float32Array.of(0, 1, 0, 0, 3, 0, 1, 1), 6, { start: 2, end: 5 }, 7);
  assert.deepEqual(Array.from(long.samples), [0, 0, 3, 0, 1, 0]);
  assert.deepEqual([long.offset, long.from, long.kept, long.cut], [2, 4, 3, 5]);
  // Ties: energies 4, 0, 4, 4: the earliest window wins.
  const tie = placeInRegion(Float32Array.of(2, 0, 0, 2, 0), 2, { start: 0, end: 2 }, 1);
  assert.deepEqual([tie.from, tie.cut], [0, 3]);
  assert.deepEqual(Array.from(tie.samples), [2, 0]);

  assert.throws(
    () => placeInRegion(x, 10, { start: 2, end: 12 }, 0),
    /region \[2, 12\) exceeds the clip of 10/,
  );
  assert.throws(() => placeInRegion(x, 10, { start: 5, end: 5 }, 0), /not a non-empty/);
});

sharedTest(
  "placement: a real FSDD recording that fits is kept whole, contiguous, in the seen region",
  async () => {
    const { start, end } = seenRegion(SEEDED);
    const names = [
      "0_george_0.wav",
      "1_jackson_5.wav",
      "2_lucas_30.wav",
      "4_nicolas_20.wav",
      "5_theo_12.wav",
      "7_yweweler_40.wav",
      "8_jackson_0.wav",
      "9_george_49.wav",
    ];
    const offsets: number[] = [];
    for (const name of names) {
      const up = await upsampled(name);
      assert.ok(up.length <= end - start, `${name} fits`);
      const clip = await readFsddClip(`${FSDD}/${name}`);
      assert.equal(clip.length, 16000);
      // Search every allowed offset for an exact copy with zeros around it.
      const found: number[] = [];
      for (let o = start; o + up.length <= end; o++) {
        let ok = true;
        for (let i = 0; i < 16000 && ok; i++) {
          const want = i >= o && i < o + up.length ? up[i - o] : 0;
          if (clip[i] !== want) ok = false;
        }
        if (ok) found.push(o);
      }
      assert.equal(found.length, 1, `${name}: exactly one placement matches, got ${found}`);
      offsets.push(found[0]);
      // Fixed per file: again, and through the feature reader, the same clip.
      assert.deepEqual(await readFsddClip(`${FSDD}/${name}`), clip);
      assert.deepEqual((await readPlacedClip(`${FSDD}/${name}`, SEEDED)).samples, clip);
      // The seed is the file name alone, not the folder.
      assert.deepEqual(placeClip(up, name, SEEDED).samples, clip);
    }
    assert.ok(new Set(offsets).size >= names.length - 1, `offsets differ: ${offsets}`);
    // Pinned: the seed (FNV-1a of the name into Rng) must not change silently, since the
    // feature cache key does not hash the code (bump CACHE_VERSION in features.ts if it must).
    assert.equal(offsets[0], pinnedOffset);
    // "start" keeps the old layout: the recording at 0, zeros after.
    const up0 = await upsampled(names[0]);
    const atStart = await readFsddClip(`${FSDD}/${names[0]}`, { placement: "start" });
    assert.deepEqual(atStart.subarray(0, up0.length), up0);
    assert.ok(atStart.subarray(up0.length).every((v) => v === 0));
  },
);

// Offset of 0_george_0.wav (4,768 samples at 16 kHz: offsets 1,400 .. 9,832 allowed) under the
// default seeded-offset placement.
const pinnedOffset = 6702;

sharedTest(
  "placement: a real FSDD recording longer than the seen region keeps its loudest window",
  async () => {
    const { start, end } = seenRegion(SEEDED);
    const room = end - start;
    for (const name of ["9_theo_16.wav", "9_lucas_13.wav"]) {
      const up = await upsampled(name);
      assert.ok(up.length > room);
      // Reference: window energies from float64 prefix sums, first maximum.
      const prefix = new Float64Array(up.length + 1);
      for (let i = 0; i < up.length; i++) prefix[i + 1] = prefix[i] + up[i] * up[i];
      let best = -1;
      let from = -1;
      for (let s = 0; s + room <= up.length; s++) {
        const e = prefix[s + room] - prefix[s];
        if (e > best + 1e-9 * prefix[up.length]) {
          best = e;
          from = s;
        }
      }
      const clip = await readFsddClip(`${FSDD}/${name}`);
      assert.deepEqual(clip.subarray(start, end), up.subarray(from, from + room), name);
      assert.ok(clip.subarray(0, start).every((v) => v === 0));
      assert.ok(clip.subarray(end).every((v) => v === 0));
      const placed = placeClip(up, name, SEEDED);
      assert.equal(placed.cut, up.length - room);
    }
  },
);

sharedTest(
  "placement: counts of cut FSDD recordings, inline and in workers, and over all 3,000",
  async () => {
    const names = ["0_george_0.wav", "9_theo_16.wav", "1_jackson_5.wav", "3_lucas_7.wav"];
    const files = names.map((n) => `${FSDD}/${n}`);
    const inlineStats = emptyPlacementStats();
    const inline = await featuriseParallel(files, SEEDED, 0, undefined, "f", inlineStats);
    const pooledStats = emptyPlacementStats();
    const pooled = await featuriseParallel(files, SEEDED, 2, undefined, "f", pooledStats);
    assert.deepEqual(pooled, inline);
    const expected = {
      clips: 4,
      cropped: 2,
      samplesCut: (36524 - 13200) + (21008 - 13200),
      croppedFiles: ["9_theo_16.wav", "3_lucas_7.wav"],
    };
    assert.deepEqual(inlineStats, expected);
    assert.deepEqual(pooledStats, expected);
    // Features of a placed clip are the log-mel of that clip.
    assert.deepEqual(
      inline.subarray(0, 81 * 20),
      logMel(await readFsddClip(files[0]), SEEDED),
    );

    // All 3,000: the oracle counts 16 kHz lengths (2 x the 8 kHz sample count) above 13,200.
    let cropped = 0;
    let cut = 0;
    const stats = emptyPlacementStats();
    for (const e of [...Deno.readDirSync(FSDD)].sort((a, b) => a.name.localeCompare(b.name))) {
      const n = 2 * (await readWav(`${FSDD}/${e.name}`)).samples.length;
      if (n > 13200) {
        cropped++;
        cut += n - 13200;
      }
      const { cut: c } = await readPlacedClip(`${FSDD}/${e.name}`, SEEDED);
      stats.clips++;
      if (c > 0) {
        stats.cropped++;
        stats.samplesCut += c;
      }
    }
    assert.deepEqual([stats.clips, stats.cropped, stats.samplesCut], [3000, cropped, cut]);
    // Measured on the real data set: 53 recordings longer than 0.825 s, 173,960 samples cut.
    assert.deepEqual([cropped, cut], [53, 173_960]);
  },
);

sharedTest(
  "placement: FSDD features default to seeded-offset, start is its own cache entry",
  async () => {
    const dataDir = await Deno.makeTempDir();
    try {
      const a = await loadFsddFeatures({ dataDir, mirror: SHARED, limitPerSplit: 2, quiet: true });
      assert.equal(a.params.placement, "seeded-offset");
      assert.equal(a.params.contextMode, "recurrent");
      assert.equal(a.placementStats.clips, 6);
      const b = await loadFsddFeatures({
        dataDir,
        mirror: SHARED,
        limitPerSplit: 2,
        quiet: true,
        params: { placement: "start" },
      });
      assert.equal(b.fromCache, false);
      assert.notEqual(b.cachePath, a.cachePath);
      assert.equal(b.params.placement, "start");
      assert.notDeepEqual(b.train.x, a.train.x);
      const again = await loadFsddFeatures({
        dataDir,
        mirror: SHARED,
        limitPerSplit: 2,
        quiet: true,
        params: { placement: undefined },
      });
      assert.equal(again.fromCache, true);
      assert.equal(again.cachePath, a.cachePath);
      assert.deepEqual(again.placementStats, a.placementStats);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);
