import assert from "node:assert/strict";
import { gunzip, parseIdx, readIdxFile } from "../../lib/data/idx.ts";
import { FASHION_MNIST_DEBIAN_DIR, loadMnist } from "../../lib/data/mnist.ts";
import { SHARED_DATA } from "../_shared.ts";
import { sharedTest } from "../_shared.ts";

const MNIST = `${SHARED_DATA}/mnist`;

sharedTest("idx: real MNIST labels and pixel statistics", async () => {
  const trainLabels = await readIdxFile(`${MNIST}/train-labels-idx1-ubyte.gz`);
  const testLabels = await readIdxFile(`${MNIST}/t10k-labels-idx1-ubyte.gz`);
  const trainImages = await readIdxFile(`${MNIST}/train-images-idx3-ubyte.gz`);
  assert.deepEqual(trainLabels.dims, [60000]);
  assert.deepEqual(trainImages.dims, [60000, 28, 28]);
  assert.deepEqual(Array.from(trainLabels.data.subarray(0, 10)), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  assert.deepEqual(Array.from(testLabels.data.subarray(0, 10)), [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
  let sum = 0;
  for (const v of trainImages.data) sum += v;
  const mean = sum / trainImages.data.length / 255;
  assert.ok(Math.abs(mean - 0.1307) < 5e-4, `train pixel mean ${mean}`);
});

sharedTest("mnist: loadMnist through a mirror folder into a temp cache", async () => {
  const dataDir = await Deno.makeTempDir();
  try {
    const d = await loadMnist({ dataDir, mirror: `${SHARED_DATA}`, quiet: true });
    assert.equal(d.train.count, 60000);
    assert.equal(d.test.count, 10000);
    assert.equal(d.train.images.length, 60000 * 784);
    assert.equal(d.test.labels[0], 7);
    assert.match(d.checksum, /^[0-9a-f]{64}$/);
    const again = await loadMnist({ dataDir, quiet: true });
    assert.equal(again.checksum, d.checksum);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test({
  name: "mnist: Fashion-MNIST loads from the Debian folder through the same code",
  ignore: !(() => {
    try {
      return Deno.statSync(FASHION_MNIST_DEBIAN_DIR).isDirectory;
    } catch {
      console.warn(
        `skipped: ${FASHION_MNIST_DEBIAN_DIR} is missing (apt-get install -y dataset-fashion-mnist)`,
      );
      return false;
    }
  })(),
  fn: async () => {
    const dataDir = await Deno.makeTempDir();
    try {
      const d = await loadMnist({ dataDir, variant: "fashion-mnist", quiet: true });
      assert.equal(d.train.count, 60000);
      assert.equal(d.test.count, 10000);
      // Fashion-MNIST's first training labels: ankle boot, T-shirt, T-shirt, dress, T-shirt.
      assert.deepEqual(Array.from(d.train.labels.subarray(0, 5)), [9, 0, 0, 3, 0]);
    } finally {
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const s = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(s).arrayBuffer());
}

function idx(dims: number[], extra = 0, magic = [0, 0, 8]): Uint8Array {
  const n = dims.reduce((a, b) => a * b, 1) + extra;
  const out = new Uint8Array(4 + 4 * dims.length + n);
  out.set(magic);
  out[3] = dims.length;
  const v = new DataView(out.buffer);
  dims.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  return out;
}

Deno.test("idx: bad inputs give errors naming the file and the problem", async () => {
  const good = await gzip(idx([3, 2]));
  assert.deepEqual((parseIdx(await gunzip(good, "g.gz"), "g")).dims, [3, 2]);

  await assert.rejects(
    gunzip(good.subarray(0, good.length - 10), "trunc.gz"),
    /trunc\.gz: gzip data is truncated or corrupted/,
  );
  const corrupt = good.slice();
  corrupt[corrupt.length - 6] ^= 0xff; // inside the CRC32 trailer
  await assert.rejects(gunzip(corrupt, "crc.gz"), /crc\.gz: gzip data is truncated or corrupted/);
  await assert.rejects(gunzip(new Uint8Array(0), "empty.gz"), /empty\.gz: file is empty/);
  await assert.rejects(gunzip(idx([2]), "plain.gz"), /plain\.gz: not a gzip file/);

  assert.throws(() => parseIdx(idx([2, 2], 0, [1, 2, 8]), "m.idx"), /m\.idx: bad IDX magic/);
  assert.throws(
    () => parseIdx(idx([2, 2], 0, [0, 0, 0x0d]), "f.idx"),
    /f\.idx: IDX element type 0x0d \(float32\)/,
  );
  assert.throws(
    () => parseIdx(idx([4, 5], 0).subarray(0, 20), "short.idx"),
    /short\.idx: IDX length mismatch.*need 20 data bytes, file has 8 \(truncated\)/,
  );
  assert.throws(
    () => parseIdx(idx([4, 5], 3), "long.idx"),
    /long\.idx: IDX length mismatch.*trailing bytes/,
  );
  assert.throws(() => parseIdx(new Uint8Array(0), "e.idx"), /e\.idx: IDX header truncated/);
  assert.throws(
    () => parseIdx(idx([4, 5]).subarray(0, 9), "h.idx"),
    /h\.idx: IDX header truncated/,
  );

  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/x.gz`, good.subarray(0, 15));
    await assert.rejects(
      readIdxFile(`${dir}/x.gz`),
      (e: Error) => e.message.startsWith(`${dir}/x.gz:`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
