import assert from "node:assert/strict";
import { DataUnavailableError, hashFile, resetUnreachableHosts } from "../../lib/data/download.ts";
import {
  extractionRoot,
  KEYWORDS,
  listSpeechCommands,
  loadSpeechCommands,
  SPEECH_COMMANDS_CLASSES,
  SPEECH_COMMANDS_V2,
} from "../../lib/data/speech_commands.ts";
import { readWav } from "../../lib/data/wav.ts";
import { loadSpeechCommandsFeatures } from "../../lib/encode/features.ts";
import { GSC_SAMPLE, GSC_TEST_ARCHIVE_PATH, serveGscArchive } from "./_gsc_archive.ts";
import { sharedTest } from "../_shared.ts";
import { exists } from "./_server.ts";

function lines(text: string): Set<string> {
  return new Set(text.split("\n").map((l) => l.trim()).filter(Boolean));
}

sharedTest(
  "gsc archive: real v0.02 layout served locally: download, verify, extract, split, features, cache",
  async () => {
    resetUnreachableHosts();
    const gsc = await serveGscArchive();
    const dataDir = await Deno.makeTempDir();
    try {
      assert.equal(gsc.built.clips.length, 300);
      const opts = { archive: gsc.spec, dataDir, quiet: true };
      const a = await loadSpeechCommandsFeatures(opts);
      assert.equal(a.fromCache, false);
      assert.equal(gsc.server.requests.length, 1);
      assert.equal(gsc.server.requests[0].path, `/${GSC_TEST_ARCHIVE_PATH}`);

      // The cached archive is the served one, verified.
      const h = await hashFile(`${dataDir}/${GSC_TEST_ARCHIVE_PATH}`);
      assert.deepEqual([h.size, h.sha256], [gsc.built.size, gsc.built.sha256]);
      assert.equal(a.checksum, gsc.built.sha256);

      // Extracted beside it, with the real layout.
      const root = `${dataDir}/speech_commands/gsc_sample_v0.02`;
      assert.equal(extractionRoot(gsc.spec, dataDir), root);
      assert.equal(extractionRoot(SPEECH_COMMANDS_V2, dataDir), `${dataDir}/speech_commands/v0.02`);
      assert.equal((await Deno.readTextFile(`${root}/.extracted-from`)).trim(), gsc.built.sha256);
      assert.deepEqual(
        await Deno.readFile(`${root}/LICENSE`),
        await Deno.readFile(`${GSC_SAMPLE}/LICENSE`),
      );
      const noise = await readWav(`${root}/_background_noise_/white_noise.wav`);
      assert.deepEqual([noise.sampleRate, noise.samples.length], [16000, 16000]);

      // Split by the official lists; 10 keywords + unknown; no background noise.
      const s = await loadSpeechCommands(opts);
      assert.equal(gsc.server.requests.length, 1, "no second download");
      assert.equal(s.root, root);
      assert.equal(s.checksum, gsc.built.sha256);
      assert.deepEqual(s.classes, [...KEYWORDS, "unknown"]);
      assert.deepEqual(s.classes, SPEECH_COMMANDS_CLASSES);
      const val = lines(await Deno.readTextFile(`${GSC_SAMPLE}/validation_list.txt`));
      const test = lines(await Deno.readTextFile(`${GSC_SAMPLE}/testing_list.txt`));
      const all = [...s.train, ...s.validation, ...s.test];
      assert.deepEqual(all.map((c) => c.file).sort(), gsc.built.clips);
      for (const c of s.validation) assert.ok(val.has(c.file), c.file);
      for (const c of s.test) assert.ok(test.has(c.file), c.file);
      for (const c of s.train) assert.ok(!val.has(c.file) && !test.has(c.file), c.file);
      assert.ok(s.validation.length > 0 && s.test.length > 0 && s.train.length > 0);
      const counts = new Array(11).fill(0);
      for (const c of all) {
        assert.ok(!c.word.startsWith("_"), c.file);
        const k = KEYWORDS.indexOf(c.word);
        assert.equal(c.label, k >= 0 ? k : 10, c.file);
        counts[c.label]++;
      }
      assert.deepEqual(counts, [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 200]);
      // The same split as the sample folder itself.
      const direct = await listSpeechCommands(GSC_SAMPLE);
      for (const sp of ["train", "validation", "test"] as const) {
        assert.deepEqual(s[sp], direct[sp], sp);
      }

      // Features: [N, 81, 20] per split, labels in split order, equal to those of the folder.
      for (const sp of ["train", "validation", "test"] as const) {
        const f = a[sp];
        assert.equal(f.count, s[sp].length);
        assert.deepEqual([f.numSteps, f.numFeatures], [81, 20]);
        assert.equal(f.x.length, f.count * 81 * 20);
        assert.deepEqual(Array.from(f.y), s[sp].map((c) => c.label));
        assert.equal(f.classes.length, 11);
      }
      assert.equal(a.params.placement, "start");
      const fromFolder = await loadSpeechCommandsFeatures({
        root: GSC_SAMPLE,
        dataDir,
        quiet: true,
      });
      assert.deepEqual(a.test.x, fromFolder.test.x);
      assert.deepEqual(a.train.x, fromFolder.train.x);

      // Second call: the cache entry is reused, nothing fetched or extracted.
      const marker = await Deno.stat(`${root}/.extracted-from`);
      const b = await loadSpeechCommandsFeatures(opts);
      assert.equal(b.fromCache, true);
      assert.equal(b.cachePath, a.cachePath);
      assert.deepEqual(b.validation.x, a.validation.x);
      assert.equal(gsc.server.requests.length, 1);
      assert.equal(
        (await Deno.stat(`${root}/.extracted-from`)).mtime?.getTime(),
        marker.mtime?.getTime(),
      );

      // The same archive through a mirror (no canonical URL) in another cache folder.
      const dataDir2 = await Deno.makeTempDir();
      try {
        const viaMirror = await loadSpeechCommands({
          archive: { ...gsc.spec, urls: [] },
          mirror: gsc.server.url,
          dataDir: dataDir2,
          quiet: true,
        });
        assert.equal(viaMirror.checksum, gsc.built.sha256);
        assert.equal(viaMirror.train.length, s.train.length);
      } finally {
        await Deno.remove(dataDir2, { recursive: true });
      }
    } finally {
      await Deno.remove(dataDir, { recursive: true });
      await gsc.close();
    }
  },
);

sharedTest(
  "gsc archive: a corrupted archive is refused, the good cached download is kept",
  async () => {
    resetUnreachableHosts();
    const gsc = await serveGscArchive();
    const dataDir = await Deno.makeTempDir();
    const served = `/${GSC_TEST_ARCHIVE_PATH}`;
    const target = `${dataDir}/${GSC_TEST_ARCHIVE_PATH}`;
    const root = extractionRoot(gsc.spec, dataDir);
    try {
      const opts = { archive: gsc.spec, dataDir, quiet: true };
      // 1. Nothing cached, the server sends a corrupted copy: refused, nothing left behind.
      gsc.server.behaviour.set(served, "corrupt");
      await assert.rejects(loadSpeechCommandsFeatures(opts), (e: Error) => {
        assert.ok(e instanceof DataUnavailableError, String(e));
        assert.match(e.message, /Could not obtain speech_commands\/gsc_sample_v0\.02\.tar\.gz/);
        assert.match(e.message, /checksum mismatch/);
        assert.ok(e.message.includes(`sha256 ${gsc.built.sha256}`), e.message);
        assert.match(e.message, /--data-mirror/);
        return true;
      });
      assert.equal(await exists(target), false);
      assert.equal(await exists(`${target}.tmp`), false);
      assert.equal(await exists(root), false);
      assert.equal(await exists(`${dataDir}/features`), false);

      // 2. A good copy is downloaded and used.
      gsc.server.behaviour.set(served, "ok");
      const good = await loadSpeechCommandsFeatures(opts);
      assert.equal(good.fromCache, false);
      const requests = gsc.server.requests.length;

      // 3. The server turns corrupt again: the verified cached copy is used, never replaced.
      gsc.server.behaviour.set(served, "corrupt");
      const again = await loadSpeechCommandsFeatures(opts);
      assert.equal(again.fromCache, true);
      assert.equal(gsc.server.requests.length, requests);

      // 4. The corrupted bytes requested under another cache path: refused; the good one is intact.
      const other = { ...gsc.spec, path: "speech_commands/gsc_other_v0.02.tar.gz" };
      await assert.rejects(
        loadSpeechCommands({ archive: other, dataDir, quiet: true }),
        /gsc_other_v0\.02\.tar\.gz[\s\S]*checksum mismatch/,
      );
      assert.equal(await exists(`${dataDir}/${other.path}`), false);
      assert.equal(await exists(`${dataDir}/speech_commands/gsc_other_v0.02`), false);
      assert.equal((await hashFile(target)).sha256, gsc.built.sha256);
      const still = await loadSpeechCommandsFeatures(opts);
      assert.equal(still.fromCache, true);
      assert.deepEqual(still.train.x, good.train.x);

      // 5. The cached copy itself damaged on disk: detected, removed and fetched again; the
      //    extraction (same sha256) and the features are reused.
      gsc.server.behaviour.set(served, "ok");
      const bytes = await Deno.readFile(target);
      bytes[1000] ^= 0xff;
      await Deno.writeFile(target, bytes);
      const healed = await loadSpeechCommandsFeatures(opts);
      assert.equal(gsc.server.requests.length, requests + 2);
      assert.equal((await hashFile(target)).sha256, gsc.built.sha256);
      assert.equal(healed.fromCache, true);
      assert.deepEqual(healed.test.x, good.test.x);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
      await gsc.close();
    }
  },
);
