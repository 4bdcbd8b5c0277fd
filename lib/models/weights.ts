/**
 * A model's weights as one file: `RCW1`, a little-endian uint32 header length, a JSON header
 * (format, the model's `describe()`, each variable's shape and offset, free-form `meta`), zero
 * padding to a multiple of 4 bytes, then every variable's float32 values, little-endian, in the
 * model's variable order. Checkpoints, published best weights and the streaming example use it.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type RecurrentModel, writeVariables } from "./model.ts";

const MAGIC = "RCW1";

/** The header of a weights file. */
export interface WeightsHeader {
  format: "rc-weights/1";
  /** The model's `describe()` when saved. */
  model: Record<string, unknown>;
  variables: { shape: number[]; offset: number; size: number }[];
  meta: Record<string, unknown>;
}

/** Weights in memory: one float32 array per variable, in the model's variable order. */
export interface Weights {
  header: WeightsHeader;
  values: Float32Array[];
}

/** Reads the model's current weights (one readback per variable). */
export async function readWeights(
  variables: readonly tf.Variable[],
): Promise<Float32Array[]> {
  return await Promise.all(variables.map(async (v) => new Float32Array(await v.data())));
}

/** Encodes weights and their header as the bytes of one file. */
export function encodeWeights(
  model: Record<string, unknown>,
  shapes: number[][],
  values: Float32Array[],
  meta: Record<string, unknown> = {},
): Uint8Array {
  let offset = 0;
  const variables = shapes.map((shape, k) => {
    const size = shape.reduce((a, b) => a * b, 1);
    if (values[k].length !== size) {
      throw new Error(
        `encodeWeights: variable ${k} has ${values[k].length} values, shape ${shape}`,
      );
    }
    const entry = { shape, offset, size };
    offset += size;
    return entry;
  });
  const header: WeightsHeader = { format: "rc-weights/1", model, variables, meta };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const start = Math.ceil((8 + json.length) / 4) * 4;
  const bytes = new Uint8Array(start + 4 * offset);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(bytes.buffer).setUint32(4, json.length, true);
  bytes.set(json, 8);
  const view = new DataView(bytes.buffer, start);
  variables.forEach((v, k) => {
    for (let i = 0; i < v.size; i++) view.setFloat32(4 * (v.offset + i), values[k][i], true);
  });
  return bytes;
}

/** Decodes the bytes of a weights file; `source` names it in errors. */
export function decodeWeights(bytes: Uint8Array, source = "weights"): Weights {
  const magic = new TextDecoder().decode(bytes.subarray(0, 4));
  if (magic !== MAGIC) {
    throw new Error(`${source}: not a weights file (starts with "${magic}", expected "${MAGIC}")`);
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  if (8 + length > bytes.length) throw new Error(`${source}: truncated header`);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  if (header.format !== "rc-weights/1") {
    throw new Error(`${source}: field "format" is ${header.format}, expected "rc-weights/1"`);
  }
  const start = Math.ceil((8 + length) / 4) * 4;
  const view = new DataView(bytes.buffer, bytes.byteOffset + start);
  const total = (header as WeightsHeader).variables.reduce((s, v) => s + v.size, 0);
  if (start + 4 * total !== bytes.length) {
    throw new Error(
      `${source}: ${bytes.length - start} bytes of values, the header lists ${4 * total}; ` +
        "the file is truncated or corrupt: save it again",
    );
  }
  const values = (header as WeightsHeader).variables.map((v) => {
    const out = new Float32Array(v.size);
    for (let i = 0; i < v.size; i++) out[i] = view.getFloat32(4 * (v.offset + i), true);
    return out;
  });
  return { header, values };
}

/** Saves `model`'s weights to `path` (written to a temporary file, then renamed). */
export async function saveWeights(
  path: string,
  model: RecurrentModel,
  meta: Record<string, unknown> = {},
): Promise<void> {
  const bytes = encodeWeights(
    model.describe(),
    model.variables.map((v) => v.shape),
    await readWeights(model.variables),
    meta,
  );
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeFile(tmp, bytes);
  await Deno.rename(tmp, path);
}

/**
 * Loads weights from `path` into `model`, checking every variable's shape; returns the header
 * (its `meta` and the saved `model` description).
 */
export async function loadWeights(path: string, model: RecurrentModel): Promise<WeightsHeader> {
  const w = decodeWeights(await Deno.readFile(path), path);
  assignWeights(model, w, path);
  return w.header;
}

/** Writes decoded weights into `model`, checking count and shapes; `source` names them in errors. */
export function assignWeights(model: RecurrentModel, w: Weights, source = "weights"): void {
  if (w.values.length !== model.variables.length) {
    throw new Error(
      `${source}: ${w.values.length} variables, the model (${model.name}) has ` +
        `${model.variables.length}; build the model with the options it was saved with: ` +
        JSON.stringify(w.header.model),
    );
  }
  model.variables.forEach((v, k) => {
    const saved = w.header.variables[k].shape;
    if (saved.join(",") !== v.shape.join(",")) {
      throw new Error(
        `${source}: variable ${k} has shape [${saved}], the model's is [${v.shape}]; build the ` +
          `model with the options it was saved with: ${JSON.stringify(w.header.model)}`,
      );
    }
  });
  writeVariables(model.variables, w.values);
}
