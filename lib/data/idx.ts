/**
 * IDX files (the MNIST container format), optionally gzip-compressed.
 *
 * Layout: bytes 0-1 are zero, byte 2 is the element type (only 0x08, unsigned
 * byte, is supported: that is what MNIST and Fashion-MNIST use), byte 3 the number
 * of dimensions d, then d big-endian uint32 sizes, then the elements row-major.
 *
 * @module
 */

/** A parsed IDX array of unsigned bytes: `data.length === dims.reduce(*)`. */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  0x08: "unsigned byte",
  0x09: "signed byte",
  0x0b: "int16",
  0x0c: "int32",
  0x0d: "float32",
  0x0e: "float64",
};

/**
 * Decompresses a whole gzip stream with `DecompressionStream("gzip")`.
 *
 * @param name the file's name or path, used in error messages
 * @throws Error naming `name` when the stream is empty, truncated or corrupted
 */
export async function gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  if (bytes.length === 0) {
    throw new Error(
      `${name}: file is empty (0 bytes), expected gzip data; delete it and fetch it again`,
    );
  }
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) {
    throw new Error(
      `${name}: not a gzip file (first bytes ${hex(bytes.subarray(0, 2))}, expected 1f 8b); ` +
        "delete it and fetch it again",
    );
  }
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    );
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new Error(
      `${name}: gzip data is truncated or corrupted (${(e as Error).message}); ` +
        "delete it and fetch it again",
    );
  }
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}

/**
 * Parses an uncompressed IDX file of unsigned bytes.
 *
 * @param name the file's name or path, used in error messages
 * @throws Error naming `name` and the field that is wrong (magic, type, dims, length)
 */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  if (bytes.length < 4) {
    throw new Error(`${name}: IDX header truncated: ${bytes.length} bytes, need at least 4`);
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(
      `${name}: bad IDX magic: first two bytes are ${hex(bytes.subarray(0, 2))}, must be 00 00 ` +
        "(is this an IDX file? a gzip file must be decompressed first)",
    );
  }
  const type = bytes[2];
  if (type !== 0x08) {
    const tn = TYPE_NAMES[type] ?? "unknown type";
    throw new Error(
      `${name}: IDX element type 0x${
        type.toString(16).padStart(2, "0")
      } (${tn}) is not supported; ` +
        "only 0x08 (unsigned byte) is",
    );
  }
  const ndims = bytes[3];
  if (ndims < 1) throw new Error(`${name}: IDX header says 0 dimensions; need at least 1`);
  const headerLen = 4 + 4 * ndims;
  if (bytes.length < headerLen) {
    throw new Error(
      `${name}: IDX header truncated: ${ndims} dimensions need ${headerLen} header bytes, ` +
        `file has ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndims; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  const have = bytes.length - headerLen;
  if (have !== count) {
    throw new Error(
      `${name}: IDX length mismatch: header dims [${dims.join(", ")}] need ${count} data bytes, ` +
        `file has ${have} (${have < count ? "truncated" : "trailing bytes"})`,
    );
  }
  return { dims, data: bytes.subarray(headerLen) };
}

/** Reads an IDX file, gunzipping it first when its name ends in `.gz`. */
export async function readIdxFile(path: string): Promise<IdxArray> {
  const raw = await Deno.readFile(path);
  const bytes = path.endsWith(".gz") ? await gunzip(raw, path) : raw;
  return parseIdx(bytes, path);
}
