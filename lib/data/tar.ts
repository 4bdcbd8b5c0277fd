/**
 * Streaming extraction of .tar.gz archives (tar-stream), refusing any entry that
 * would land outside the target folder.
 *
 * @module
 */

// @ts-types="@types/tar-stream"
import tarStream from "tar-stream";
import { Readable } from "node:stream";

/** Progress of an extraction: compressed bytes read so far. */
export interface ExtractProgress {
  name: string;
  done: number;
  total: number;
  unit: "bytes";
}

/**
 * The entry path made relative and normalised, or null when it is absolute or
 * climbs out of the target folder (`..`, `/abs`, `C:\\`, backslash tricks).
 */
export function safeEntryPath(name: string): string | null {
  if (name.includes("\0")) return null;
  const unified = name.replaceAll("\\", "/");
  if (unified.startsWith("/") || /^[A-Za-z]:/.test(unified)) return null;
  const parts: string[] = [];
  for (const seg of unified.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(seg);
  }
  return parts.join("/");
}

/**
 * Extracts `archive` (gzip-compressed tar) into `targetDir`, streaming: memory use
 * does not grow with the archive. Regular files and folders only; link and device
 * entries are refused. The files go to `targetDir + ".partial"` first, which is
 * renamed to `targetDir` only when every entry was written, so an interrupted or
 * refused extraction leaves no half-filled `targetDir`.
 *
 * @throws Error naming the archive and the entry when an entry's path leaves
 *   `targetDir` or is a link
 */
export async function extractTarGz(
  archive: string,
  targetDir: string,
  opts: { onProgress?: (p: ExtractProgress) => void } = {},
): Promise<{ files: number; bytes: number }> {
  const partial = `${targetDir}.partial`;
  await Deno.remove(partial, { recursive: true }).catch(() => {});
  await Deno.mkdir(partial, { recursive: true });
  const total = (await Deno.stat(archive)).size;
  let read = 0;
  let files = 0;
  let bytes = 0;
  using file = await Deno.open(archive, { read: true });
  const counted = file.readable.pipeThrough(
    new TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>>({
      transform(chunk, ctrl) {
        read += chunk.byteLength;
        opts.onProgress?.({ name: archive, done: read, total, unit: "bytes" });
        ctrl.enqueue(chunk);
      },
    }),
  );
  const source = Readable.fromWeb(
    counted.pipeThrough(new DecompressionStream("gzip")) as Parameters<typeof Readable.fromWeb>[0],
  );
  const extract = tarStream.extract();
  source.on("error", (e) => extract.destroy(e));
  source.pipe(extract);
  const madeDirs = new Set<string>();
  try {
    for await (const entry of extract) {
      const h = entry.header;
      const rel = safeEntryPath(h.name);
      if (rel === null) {
        throw new Error(
          `${archive}: refusing tar entry "${h.name}": its path leaves the target folder ` +
            `${targetDir}; the archive is unsafe or corrupted, delete it and fetch it again`,
        );
      }
      if (h.type === "directory") {
        if (rel) await Deno.mkdir(`${partial}/${rel}`, { recursive: true });
        entry.resume();
        continue;
      }
      if (h.type !== "file" && h.type !== "contiguous-file") {
        throw new Error(
          `${archive}: refusing tar entry "${h.name}" of type ${h.type}: only regular files and ` +
            "folders are extracted",
        );
      }
      if (!rel) throw new Error(`${archive}: tar entry "${h.name}" has an empty path`);
      const dest = `${partial}/${rel}`;
      const dir = dest.slice(0, dest.lastIndexOf("/"));
      if (!madeDirs.has(dir)) {
        await Deno.mkdir(dir, { recursive: true });
        madeDirs.add(dir);
      }
      using out = await Deno.open(dest, { write: true, create: true, truncate: true });
      for await (const chunk of entry as AsyncIterable<Uint8Array>) {
        let w = 0;
        while (w < chunk.byteLength) w += await out.write(chunk.subarray(w));
        bytes += chunk.byteLength;
      }
      files++;
    }
  } catch (e) {
    source.destroy();
    extract.destroy();
    await Deno.remove(partial, { recursive: true }).catch(() => {});
    const msg = (e as Error).message ?? String(e);
    if (msg.startsWith(archive)) throw e;
    throw new Error(`${archive}: extraction failed: ${msg}; delete it and fetch it again`);
  }
  await Deno.remove(targetDir, { recursive: true }).catch(() => {});
  await Deno.rename(partial, targetDir);
  return { files, bytes };
}
