import assert from "node:assert/strict";
import tarStream from "tar-stream";
import {
  KEYWORDS,
  labelFor,
  listSpeechCommands,
  loadSpeechCommands,
  readClip,
  SPEECH_COMMANDS_CLASSES,
} from "../../lib/data/speech_commands.ts";
import { extractTarGz, safeEntryPath } from "../../lib/data/tar.ts";
import { SHARED_DATA } from "../_shared.ts";
import { sharedTest } from "../_shared.ts";

const SAMPLE = `${SHARED_DATA}/speech_commands_v0.01_sample`;

function lines(text: string): Set<string> {
  return new Set(text.split("\n").map((l) => l.trim()).filter(Boolean));
}

Deno.test("speech commands: labels are 10 keywords then unknown", () => {
  assert.equal(SPEECH_COMMANDS_CLASSES.length, 11);
  assert.deepEqual(KEYWORDS, [
    "yes",
    "no",
    "up",
    "down",
    "left",
    "right",
    "on",
    "off",
    "stop",
    "go",
  ]);
  assert.equal(labelFor("yes"), 0);
  assert.equal(labelFor("go"), 9);
  for (const w of ["bed", "marvin", "zero", "backward", "visual"]) assert.equal(labelFor(w), 10);
});

sharedTest(
  "speech commands: layout, official split and labels on the real v0.01 sample",
  async () => {
    const s = await listSpeechCommands(SAMPLE);
    const val = lines(await Deno.readTextFile(`${SAMPLE}/validation_list.txt`));
    const test = lines(await Deno.readTextFile(`${SAMPLE}/testing_list.txt`));
    const all = [...s.train, ...s.validation, ...s.test];
    assert.equal(all.length, 300);
    assert.equal(new Set(all.map((c) => c.file)).size, 300);
    for (const c of s.validation) assert.ok(val.has(c.file), c.file);
    for (const c of s.test) assert.ok(test.has(c.file), c.file);
    for (const c of s.train) assert.ok(!val.has(c.file) && !test.has(c.file), c.file);
    assert.ok(s.validation.length > 0 && s.test.length > 0);
    for (const c of all) {
      assert.equal(c.file.split("/")[0], c.word);
      assert.equal(c.label, KEYWORDS.includes(c.word) ? KEYWORDS.indexOf(c.word) : 10);
      assert.ok(!c.file.startsWith("_background_noise_"));
    }
    const counts = new Array(11).fill(0);
    for (const c of all) counts[c.label]++;
    assert.deepEqual(counts, [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 200]);

    const clip = await readClip(SAMPLE, s.train[0]);
    assert.equal(clip.length, 16000);

    const loaded = await loadSpeechCommands({ root: SAMPLE });
    assert.match(loaded.checksum, /^[0-9a-f]{64}$/);
    assert.equal(loaded.train.length, s.train.length);
  },
);

sharedTest(
  "speech commands: _background_noise_ is excluded and a missing split list is reported",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.mkdir(`${dir}/yes`);
      await Deno.mkdir(`${dir}/_background_noise_`);
      await Deno.copyFile(
        `${SAMPLE}/yes/439c84f4_nohash_1.wav`,
        `${dir}/yes/439c84f4_nohash_1.wav`,
      );
      await Deno.copyFile(
        `${SAMPLE}/yes/439c84f4_nohash_1.wav`,
        `${dir}/_background_noise_/noise.wav`,
      );
      await assert.rejects(
        listSpeechCommands(dir),
        /validation_list\.txt: cannot read the split list/,
      );
      await Deno.writeTextFile(`${dir}/validation_list.txt`, "");
      await Deno.writeTextFile(`${dir}/testing_list.txt`, "yes/439c84f4_nohash_1.wav\n");
      const s = await listSpeechCommands(dir);
      assert.deepEqual(s.test.map((c) => c.file), ["yes/439c84f4_nohash_1.wav"]);
      assert.equal(s.train.length + s.validation.length, 0);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

async function tarGz(
  entries: { name: string; body?: Uint8Array; type?: "file" | "symlink"; linkname?: string }[],
): Promise<Uint8Array> {
  const pack = tarStream.pack();
  for (const e of entries) {
    if (e.type === "symlink") pack.entry({ name: e.name, type: "symlink", linkname: e.linkname });
    else pack.entry({ name: e.name }, e.body as unknown as Buffer);
  }
  pack.finalize();
  const chunks: Uint8Array[] = [];
  for await (const c of pack) chunks.push(c as Uint8Array);
  const s = new Blob(chunks as Uint8Array<ArrayBuffer>[]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(s).arrayBuffer());
}

sharedTest("tar: extracts the real sample's layout, then lists it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const files = [
      "yes/439c84f4_nohash_1.wav",
      "bed/" + [...Deno.readDirSync(`${SAMPLE}/bed`)][0].name,
    ];
    const entries = [
      ...files.map(async (f) => ({ name: `./${f}`, body: await Deno.readFile(`${SAMPLE}/${f}`) })),
      Promise.resolve({
        name: "validation_list.txt",
        body: new TextEncoder().encode(`${files[1]}\n`),
      }),
      Promise.resolve({ name: "testing_list.txt", body: new Uint8Array(0) }),
    ];
    await Deno.writeFile(`${dir}/a.tar.gz`, await tarGz(await Promise.all(entries)));
    const r = await extractTarGz(`${dir}/a.tar.gz`, `${dir}/out`);
    assert.equal(r.files, 4);
    for (const f of files) {
      assert.deepEqual(
        await Deno.readFile(`${dir}/out/${f}`),
        await Deno.readFile(`${SAMPLE}/${f}`),
      );
    }
    const s = await listSpeechCommands(`${dir}/out`);
    assert.deepEqual(s.train.map((c) => [c.file, c.label]), [[files[0], 0]]);
    assert.deepEqual(s.validation.map((c) => [c.file, c.label]), [[files[1], 10]]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tar: entries that leave the target folder are refused and nothing is written", async () => {
  assert.equal(safeEntryPath("./a/b/../c.wav"), "a/c.wav");
  for (const bad of ["../x", "a/../../x", "/etc/passwd", "C:\\x", "..\\x", "a/\0b"]) {
    assert.equal(safeEntryPath(bad), null, bad);
  }
  const dir = await Deno.makeTempDir();
  try {
    const body = new TextEncoder().encode("pwned");
    for (const [i, evil] of ["../escape.txt", "ok/../../escape.txt", "/tmp/escape.txt"].entries()) {
      await Deno.writeFile(
        `${dir}/e${i}.tar.gz`,
        await tarGz([{ name: "ok/a.txt", body }, { name: evil, body }]),
      );
      await assert.rejects(
        extractTarGz(`${dir}/e${i}.tar.gz`, `${dir}/out/target`),
        (e: Error) =>
          e.message.includes(`e${i}.tar.gz: refusing tar entry "${evil}"`) &&
          e.message.includes("leaves the target folder"),
      );
      assert.deepEqual([...Deno.readDirSync(`${dir}/out`)], [], "no partial or target folder left");
    }
    await Deno.writeFile(
      `${dir}/l.tar.gz`,
      await tarGz([{ name: "link", type: "symlink", linkname: "/etc/passwd" }]),
    );
    await assert.rejects(
      extractTarGz(`${dir}/l.tar.gz`, `${dir}/out/t2`),
      /refusing tar entry "link" of type symlink/,
    );
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.ok(!names.includes("escape.txt"), names.join(","));
    // A truncated archive fails cleanly too.
    const good = await tarGz([{ name: "a.txt", body: new Uint8Array(5000).fill(7) }]);
    await Deno.writeFile(`${dir}/t.tar.gz`, good.subarray(0, good.length >> 1));
    await assert.rejects(
      extractTarGz(`${dir}/t.tar.gz`, `${dir}/out/t3`),
      /t\.tar\.gz: extraction failed/,
    );
    assert.deepEqual([...Deno.readDirSync(`${dir}/out`)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
