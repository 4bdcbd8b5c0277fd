/**
 * A small Speech Commands archive with the real v0.02 layout, built from the real
 * v0.01 sample in `../shared/data/speech_commands_v0.01_sample` (300 clips of 30
 * words), for tests that run the whole download -> verify -> extract -> split ->
 * features path without the 2.4 GB original.
 *
 * Layout, as in `speech_commands_v0.02.tar.gz` (entries named `./...`, no top
 * folder): `<word>/<clip>.wav` for every word folder of the sample,
 * `validation_list.txt`, `testing_list.txt` (the sample's official lists),
 * `LICENSE`, `README.md`, `_background_noise_/README.md` and one noise recording
 * `_background_noise_/white_noise.wav` (1 s of seeded uniform noise, 16 kHz PCM16).
 * Entries carry mtime 0, so the tar bytes do not depend on the build time.
 *
 * Use:
 * ```ts
 * const gsc = await serveGscArchive();
 * try {
 *   const f = await loadSpeechCommandsFeatures({ archive: gsc.spec, dataDir, quiet: true });
 * } finally {
 *   await gsc.close();
 * }
 * ```
 *
 * @module
 */

// @ts-types="@types/tar-stream"
import tarStream from "tar-stream";
import { sha256Hex } from "../../lib/data/download.ts";
import type { FileSpec } from "../../lib/data/download.ts";
import { Rng } from "../../lib/random.ts";
import { startServer, type TestServer } from "./_server.ts";
import { SHARED_DATA } from "../_shared.ts";

/** The real sample the archive is built from. */
export const GSC_SAMPLE = `${SHARED_DATA}/speech_commands_v0.01_sample`;

/** Where the archive sits under the built folder, in the cache and on a mirror. */
export const GSC_TEST_ARCHIVE_PATH = "speech_commands/gsc_sample_v0.02.tar.gz";

/** A built archive. */
export interface BuiltGscArchive {
  /** Absolute path of the .tar.gz: `<dir>/<GSC_TEST_ARCHIVE_PATH>`. */
  path: string;
  size: number;
  sha256: string;
  /** The clips in it, relative (`word/name.wav`), sorted. */
  clips: string[];
}

/** PCM16 mono WAV bytes of `samples` in [-1, 1). */
export function encodeWav(samples: Float32Array, sampleRate: number): Uint8Array {
  const out = new Uint8Array(44 + 2 * samples.length);
  const v = new DataView(out.buffer);
  const ascii = (at: number, s: string) => {
    for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
  };
  ascii(0, "RIFF");
  v.setUint32(4, 36 + 2 * samples.length, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, sampleRate, true);
  v.setUint32(28, 2 * sampleRate, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  ascii(36, "data");
  v.setUint32(40, 2 * samples.length, true);
  for (let i = 0; i < samples.length; i++) {
    v.setInt16(44 + 2 * i, Math.max(-32768, Math.min(32767, Math.round(samples[i] * 32768))), true);
  }
  return out;
}

/** Builds the archive into `<dir>/<GSC_TEST_ARCHIVE_PATH>` and returns its size and sha256. */
export async function buildGscArchive(dir: string): Promise<BuiltGscArchive> {
  const entries: { name: string; body?: Uint8Array; dir?: boolean }[] = [
    { name: "./", dir: true },
  ];
  const words = [...Deno.readDirSync(GSC_SAMPLE)]
    .filter((e) => e.isDirectory && !e.name.startsWith("_") && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
  const clips: string[] = [];
  for (const word of words) {
    entries.push({ name: `./${word}/`, dir: true });
    const names = [...Deno.readDirSync(`${GSC_SAMPLE}/${word}`)]
      .filter((e) => e.isFile && e.name.endsWith(".wav"))
      .map((e) => e.name)
      .sort();
    for (const n of names) {
      clips.push(`${word}/${n}`);
      entries.push({
        name: `./${word}/${n}`,
        body: await Deno.readFile(`${GSC_SAMPLE}/${word}/${n}`),
      });
    }
  }
  for (const f of ["validation_list.txt", "testing_list.txt", "LICENSE", "README.md"]) {
    entries.push({ name: `./${f}`, body: await Deno.readFile(`${GSC_SAMPLE}/${f}`) });
  }
  const rng = new Rng(2018);
  const noise = Float32Array.from({ length: 16000 }, () => rng.uniform(-0.1, 0.1));
  entries.push({ name: "./_background_noise_/", dir: true });
  entries.push({
    name: "./_background_noise_/README.md",
    body: new TextEncoder().encode("Background noise recordings; not clips of any word.\n"),
  });
  entries.push({ name: "./_background_noise_/white_noise.wav", body: encodeWav(noise, 16000) });

  const pack = tarStream.pack();
  const mtime = new Date(0);
  for (const e of entries) {
    if (e.dir) pack.entry({ name: e.name, type: "directory", mtime, mode: 0o755 });
    else pack.entry({ name: e.name, mtime, mode: 0o644 }, e.body as unknown as Buffer);
  }
  pack.finalize();
  const chunks: Uint8Array[] = [];
  for await (const c of pack) chunks.push(c as Uint8Array);
  const gz = new Blob(chunks as Uint8Array<ArrayBuffer>[]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  const bytes = new Uint8Array(await new Response(gz).arrayBuffer());
  const path = `${dir}/${GSC_TEST_ARCHIVE_PATH}`;
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeFile(path, bytes);
  return { path, size: bytes.byteLength, sha256: sha256Hex(bytes), clips };
}

/** The download spec of a built archive served at `baseUrl` (its own size and sha256). */
export function gscArchiveSpec(built: BuiltGscArchive, baseUrl: string): FileSpec {
  return {
    path: GSC_TEST_ARCHIVE_PATH,
    urls: [`${baseUrl}/${GSC_TEST_ARCHIVE_PATH}`],
    digests: [{ size: built.size, sha256: built.sha256 }],
  };
}

/** A built archive served from a local test server (127.0.0.1), and how to stop it. */
export interface ServedGscArchive {
  built: BuiltGscArchive;
  spec: FileSpec;
  server: TestServer;
  /** Stops the server and removes the build folder. */
  close(): Promise<void>;
}

/** Builds the archive in a temporary folder and serves it; call `close()` when done. */
export async function serveGscArchive(): Promise<ServedGscArchive> {
  const dir = await Deno.makeTempDir({ prefix: "gsc-archive-" });
  try {
    const built = await buildGscArchive(dir);
    const server = startServer(dir);
    return {
      built,
      spec: gscArchiveSpec(built, server.url),
      server,
      async close() {
        await server.close();
        await Deno.remove(dir, { recursive: true });
      },
    };
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
}
