import assert from "node:assert/strict";
import {
  DataUnavailableError,
  defaultDataDir,
  ensureFile,
  ensureFiles,
  type FileSpec,
  hashFile,
  mirrorList,
  sourcesFor,
} from "../../lib/data/download.ts";
import { fsddFileSpec, fsddRecordings } from "../../lib/data/fsdd.ts";
import { mnistFileSpecs } from "../../lib/data/mnist.ts";
import { exists, startServer } from "./_server.ts";
import { SHARED_DATA } from "../_shared.ts";
import { sharedTest } from "../_shared.ts";

const SHARED = `${SHARED_DATA}`;
const quiet = { quiet: true };

/** The MNIST train-labels spec with its canonical URL replaced by `urls`. */
function labelsSpec(urls: string[]): FileSpec {
  return { ...mnistFileSpecs("mnist")[1], urls };
}

sharedTest(
  "download: MNIST's four files from a local server verify against the published sha256",
  async () => {
    const dataDir = await Deno.makeTempDir();
    const server = startServer(SHARED);
    try {
      for (const spec of mnistFileSpecs("mnist")) {
        // Canonical URL first (unreachable offline, or real online), then the local mirror.
        const path = await ensureFile(spec, { dataDir, mirror: server.url, ...quiet });
        assert.equal(path, `${dataDir}/${spec.path}`);
        const h = await hashFile(path);
        assert.equal(h.sha256, spec.digests[0].sha256);
        assert.equal(h.size, spec.digests[0].size);
        assert.equal(await exists(`${path}.tmp`), false);
      }
      // Already verified: a second pass makes no request.
      const before = server.requests.length;
      for (const spec of mnistFileSpecs("mnist")) {
        await ensureFile(spec, { dataDir, mirror: server.url, ...quiet });
      }
      assert.equal(server.requests.length, before);
    } finally {
      await server.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);

sharedTest("download: a dropped connection is resumed with an HTTP Range request", async () => {
  const dataDir = await Deno.makeTempDir();
  const server = startServer(SHARED);
  const spec: FileSpec = { ...mnistFileSpecs("mnist")[0], urls: [] };
  const path = `/${spec.path}`;
  server.behaviour.set(path, "drop-half-once");
  try {
    const out = await ensureFile(spec, { dataDir, mirror: server.url, ...quiet });
    assert.equal((await hashFile(out)).sha256, spec.digests[0].sha256);
    const seen = server.requests.filter((r) => r.path === path);
    assert.equal(seen.length, 2, JSON.stringify(seen));
    assert.equal(seen[0].range, null);
    const m = /^bytes=(\d+)-$/.exec(seen[1].range ?? "");
    assert.ok(m, `second request should resume with Range, got ${seen[1].range}`);
    assert.ok(Number(m[1]) > 0 && Number(m[1]) < spec.digests[0].size);
  } finally {
    await server.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

sharedTest(
  "download: a partial .tmp left by an earlier run is resumed, or restarted without Range support",
  async () => {
    const dataDir = await Deno.makeTempDir();
    const server = startServer(SHARED);
    const spec = labelsSpec([]);
    const full = await Deno.readFile(`${SHARED}/${spec.path}`);
    try {
      await Deno.mkdir(`${dataDir}/mnist`);
      await Deno.writeFile(`${dataDir}/${spec.path}.tmp`, full.subarray(0, 1000));
      await ensureFile(spec, { dataDir, mirror: server.url, ...quiet });
      assert.equal(server.requests.at(-1)?.range, "bytes=1000-");
      assert.deepEqual(await Deno.readFile(`${dataDir}/${spec.path}`), full);

      await Deno.remove(`${dataDir}/${spec.path}`);
      await Deno.writeFile(`${dataDir}/${spec.path}.tmp`, full.subarray(0, 1000));
      server.behaviour.set(`/${spec.path}`, "no-range");
      await ensureFile(spec, { dataDir, mirror: server.url, ...quiet });
      assert.deepEqual(await Deno.readFile(`${dataDir}/${spec.path}`), full);
    } finally {
      await server.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);

sharedTest("download: a 404 is followed by a working mirror", async () => {
  const dataDir = await Deno.makeTempDir();
  const server = startServer(SHARED);
  const spec = labelsSpec([`${server.url}/canonical/${"mnist/train-labels-idx1-ubyte.gz"}`]);
  server.behaviour.set("/canonical/mnist/train-labels-idx1-ubyte.gz", "404");
  try {
    const out = await ensureFile(spec, { dataDir, mirror: server.url, ...quiet });
    assert.equal((await hashFile(out)).sha256, spec.digests[0].sha256);
    assert.deepEqual(server.requests.map((r) => r.path), [
      "/canonical/mnist/train-labels-idx1-ubyte.gz",
      "/mnist/train-labels-idx1-ubyte.gz",
    ]);
  } finally {
    await server.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

sharedTest(
  "download: a checksum mismatch moves on to the next source (a local folder)",
  async () => {
    const dataDir = await Deno.makeTempDir();
    const server = startServer(SHARED);
    const spec = labelsSpec([`${server.url}/mnist/train-labels-idx1-ubyte.gz`]);
    server.behaviour.set("/mnist/train-labels-idx1-ubyte.gz", "corrupt");
    try {
      const out = await ensureFile(spec, { dataDir, mirror: SHARED, ...quiet });
      assert.equal((await hashFile(out)).sha256, spec.digests[0].sha256);
    } finally {
      await server.close();
      await Deno.remove(dataDir, { recursive: true });
    }
  },
);

sharedTest(
  "download: when every source fails, the error names the file, each source and the fix; no file is left",
  async () => {
    const dataDir = await Deno.makeTempDir();
    const emptyMirror = await Deno.makeTempDir();
    const server = startServer(SHARED);
    const canonical = `${server.url}/canonical/mnist/train-labels-idx1-ubyte.gz`;
    const spec = labelsSpec([canonical]);
    server.behaviour.set("/canonical/mnist/train-labels-idx1-ubyte.gz", "500");
    server.behaviour.set("/mnist/train-labels-idx1-ubyte.gz", "corrupt");
    try {
      const err = await ensureFile(spec, { dataDir, mirror: [server.url, emptyMirror], ...quiet })
        .then(() => null, (e) => e);
      assert.ok(err instanceof DataUnavailableError, String(err));
      const msg = err.message;
      assert.match(msg, /Could not obtain mnist\/train-labels-idx1-ubyte\.gz/);
      assert.match(msg, /3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c/);
      assert.ok(msg.includes(`${canonical}: HTTP 500`), msg);
      assert.ok(
        msg.includes(`${server.url}/mnist/train-labels-idx1-ubyte.gz: checksum mismatch`),
        msg,
      );
      assert.ok(msg.includes(`${emptyMirror}/mnist/train-labels-idx1-ubyte.gz: not found`), msg);
      assert.match(msg, /--data-mirror/);
      assert.match(msg, /RC_DATA_MIRROR/);
      assert.ok(msg.includes(`put the file at ${dataDir}/mnist/train-labels-idx1-ubyte.gz`), msg);
      assert.equal(await exists(`${dataDir}/${spec.path}`), false);
      assert.equal(await exists(`${dataDir}/${spec.path}.tmp`), false);
    } finally {
      await server.close();
      await Deno.remove(dataDir, { recursive: true });
      await Deno.remove(emptyMirror, { recursive: true });
    }
  },
);

sharedTest("download: a corrupted cached copy is detected, removed and fetched again", async () => {
  const dataDir = await Deno.makeTempDir();
  const spec = labelsSpec([]);
  try {
    await Deno.mkdir(`${dataDir}/mnist`);
    const bad = await Deno.readFile(`${SHARED}/${spec.path}`);
    bad[100] ^= 1;
    await Deno.writeFile(`${dataDir}/${spec.path}`, bad);
    const out = await ensureFile(spec, { dataDir, mirror: SHARED, ...quiet });
    assert.equal((await hashFile(out)).sha256, spec.digests[0].sha256);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

sharedTest("download: ensureFiles fetches with bounded concurrency and reports files", async () => {
  const dataDir = await Deno.makeTempDir();
  const server = startServer(SHARED);
  const specs = fsddRecordings().slice(0, 24).map((r) => ({
    ...fsddFileSpec(r),
    urls: [],
  }));
  let inFlight = 0;
  let maxInFlight = 0;
  const progress: number[] = [];
  try {
    const origFetch = globalThis.fetch;
    globalThis.fetch = async (...args: Parameters<typeof fetch>) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await origFetch(...args);
      } finally {
        inFlight--;
      }
    };
    try {
      const paths = await ensureFiles(specs, {
        dataDir,
        mirror: server.url,
        concurrency: 4,
        onProgress: (p) => progress.push(p.done),
      });
      assert.equal(paths.length, 24);
      for (let i = 0; i < specs.length; i++) {
        assert.equal((await hashFile(paths[i])).sha256, specs[i].digests[0].sha256);
      }
    } finally {
      globalThis.fetch = origFetch;
    }
    assert.ok(maxInFlight <= 4, `at most 4 transfers at once, saw ${maxInFlight}`);
    assert.equal(progress.at(-1), 24);
  } finally {
    await server.close();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("download: sources are canonical first, then mirrors (URL or folder); the cache is outside the repo", () => {
  const spec = labelsSpec(["https://example.org/a.gz"]);
  const s = sourcesFor(spec, ["http://m.example/base/", "/srv/mirror", "file:///srv/other"]);
  assert.deepEqual(s, [
    { kind: "url", url: "https://example.org/a.gz" },
    { kind: "url", url: "http://m.example/base/mnist/train-labels-idx1-ubyte.gz" },
    { kind: "dir", path: "/srv/mirror/mnist/train-labels-idx1-ubyte.gz" },
    { kind: "dir", path: "/srv/other/mnist/train-labels-idx1-ubyte.gz" },
  ]);
  assert.deepEqual(mirrorList("a, b,,a").slice(0, 2), ["a", "b"]);
  const repo = new URL("../../", import.meta.url).pathname;
  assert.ok(!defaultDataDir().startsWith(repo), defaultDataDir());
});

sharedTest(
  "download: a mirror list whose first entries fail for any reason (a file's path, a malformed URL, HTTP 500, a wrong file) goes on to the next, listing each reason",
  async () => {
    const dataDir = await Deno.makeTempDir();
    const wrong = await Deno.makeTempDir();
    const server = startServer(SHARED);
    const spec = labelsSpec([]);
    server.behaviour.set(`/${spec.path}`, "500");
    const aFile = `${wrong}/not-a-folder`;
    try {
      await Deno.writeTextFile(aFile, "a file, not a mirror folder");
      await Deno.mkdir(`${wrong}/mnist`);
      await Deno.writeTextFile(`${wrong}/${spec.path}`, "not the labels");
      const bad = [aFile, "http://[not-a-host", server.url, wrong];
      // With no good source: every entry is tried and listed with its reason.
      await assert.rejects(
        () => ensureFile(spec, { dataDir, mirror: bad, ...quiet }),
        (e: Error) => {
          assert.ok(e instanceof DataUnavailableError, e.message);
          const lines = e.message.split("\n");
          const line = (prefix: string) => lines.find((l) => l.startsWith(`  - ${prefix}`)) ?? "";
          assert.match(line(`${aFile}/`), /Not a directory|not found/i);
          assert.match(line("http://[not-a-host"), /not a valid URL/);
          assert.match(line(server.url), /HTTP 500/);
          assert.match(line(`${wrong}/mnist/`), /checksum mismatch/);
          return true;
        },
      );
      // The same list followed by a good mirror: the file arrives, verified.
      const out = await ensureFile(spec, { dataDir, mirror: [...bad, SHARED], ...quiet });
      assert.equal((await hashFile(out)).sha256, spec.digests[0].sha256);
    } finally {
      await server.close();
      await Deno.remove(dataDir, { recursive: true });
      await Deno.remove(wrong, { recursive: true });
    }
  },
);

Deno.test("download: a mirror folder the task may not read names the flag that grants it", async () => {
  const root = await Deno.makeTempDir();
  try {
    const mirror = `${root}/mirror`;
    await Deno.mkdir(`${mirror}/mnist`, { recursive: true });
    await Deno.writeTextFile(`${mirror}/mnist/t10k-labels-idx1-ubyte.gz`, "x");
    const script = `${root}/try.ts`;
    const lib = new URL("../../lib/data/", import.meta.url).href;
    await Deno.writeTextFile(
      script,
      `import { ensureFile } from "${lib}download.ts";
import { mnistFileSpecs } from "${lib}mnist.ts";
const spec = { ...mnistFileSpecs("mnist").find((s) => s.path.includes("t10k-labels"))!, urls: [] };
try { await ensureFile(spec, { dataDir: "${root}/cache", mirror: "${mirror}", quiet: true }); }
catch (e) { console.log((e as Error).message); }`,
    );
    // Read access to the script, the code and the cache, not to the mirror: as `deno task data`.
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        `--allow-read=${script},${new URL("../../", import.meta.url).pathname},${root}/cache`,
        `--allow-write=${root}/cache`,
        "--allow-env",
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.match(
      text,
      new RegExp(`no read permission for ${mirror}/mnist: .*--allow-read=${mirror}/mnist`),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
