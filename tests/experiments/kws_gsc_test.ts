/**
 * `kws-gsc` end to end on an archive with the real Speech Commands v0.02 layout, built from the
 * real sample in ../shared/data and served on 127.0.0.1: downloaded, verified against its own
 * size and sha256, extracted, split by the official lists into 11 classes, featurised, trained
 * (the smoke grid) and shown in the report.
 */
import assert from "node:assert/strict";
import { gscArchiveFromEnv } from "../../lib/experiments/_kws_run.ts";
import { GSC_SAMPLE, serveGscArchive } from "../data/_gsc_archive.ts";

const haveSample = (() => {
  try {
    return Deno.statSync(`${GSC_SAMPLE}/testing_list.txt`).isFile;
  } catch {
    return false;
  }
})();

Deno.test("RC_GSC_ARCHIVE: parsed into a spec, or refused with the expected form", () => {
  const was = Deno.env.get("RC_GSC_ARCHIVE");
  try {
    Deno.env.delete("RC_GSC_ARCHIVE");
    assert.equal(gscArchiveFromEnv(), null);
    const sha = "a".repeat(64);
    Deno.env.set("RC_GSC_ARCHIVE", `http://127.0.0.1:8000/x/gsc.tar.gz ${sha} 1234`);
    assert.deepEqual(gscArchiveFromEnv(), {
      path: "speech_commands/gsc.tar.gz",
      urls: ["http://127.0.0.1:8000/x/gsc.tar.gz"],
      digests: [{ size: 1234, sha256: sha }],
    });
    Deno.env.set("RC_GSC_ARCHIVE", "http://127.0.0.1/gsc.tar.gz 1234");
    assert.throws(() => gscArchiveFromEnv(), /RC_GSC_ARCHIVE is .*expected "URL SHA256 SIZE"/);
  } finally {
    if (was === undefined) Deno.env.delete("RC_GSC_ARCHIVE");
    else Deno.env.set("RC_GSC_ARCHIVE", was);
  }
});

Deno.test({
  name: "kws-gsc: the smoke grid runs end to end on a real-layout archive and reaches the report",
  ignore: !haveSample,
  async fn() {
    const gsc = await serveGscArchive();
    const root = await Deno.makeTempDir();
    try {
      const spec = gsc.spec;
      const env = {
        RC_DATA_DIR: `${root}/data`,
        RC_GSC_ARCHIVE: `${spec.urls[0]} ${spec.digests[0].sha256} ${spec.digests[0].size}`,
        RC_BLAS: "off",
      };
      const run = async (args: string[]) => {
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", ...args],
          cwd: new URL("../../", import.meta.url),
          env,
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
        assert.equal(out.code, 0, text);
        return text;
      };
      const log = await run([
        "tasks/train.ts",
        "--experiment",
        "kws-gsc",
        "--profile",
        "smoke",
        "--out",
        `${root}/out`,
      ]);
      // Downloaded once from the local server, verified, extracted beside the cache.
      assert.ok(gsc.server.requests.some((r) => r.path.endsWith("gsc_sample_v0.02.tar.gz")));
      assert.ok(Deno.statSync(`${root}/data/speech_commands/gsc_sample_v0.02/testing_list.txt`));
      const dir = `${root}/out/runs/kws-gsc`;
      const records = [...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".json"))
        .map((e) => JSON.parse(Deno.readTextFileSync(`${dir}/${e.name}`)));
      assert.equal(records.length, 9, log);
      for (const r of records) {
        assert.notEqual(r.status, "failed", r.error);
        assert.match(r.data.name, /Speech Commands v0\.02, log-mel 81 × 20/);
        assert.equal(r.data.checksum, spec.digests[0].sha256);
        assert.equal(r.config.dataset, "speech-commands");
      }
      // No run carries the grid's figures or verdict: the report draws them over the grid.
      for (const r of records) assert.deepEqual(r.figures ?? [], [], r.run);
      await run(["tasks/report.ts", "--out", `${root}/out`]);
      const html = await Deno.readTextFile(`${root}/out/index.html`);
      assert.match(html, /rc-b0\.4@smoke/);
      // Figs. 4 and 5 over the grid of seed 1 at the smoke profile, and its check.
      assert.match(html, /id="grid-kws-gsc-fig5-grid"/);
      assert.match(html, /Fig\. 5A/);
      assert.match(html, /Fig\. 4A/);
      assert.match(html, /the paper&#39;s red curve/);
    } finally {
      await gsc.close();
      await Deno.remove(root, { recursive: true });
    }
  },
});
