/**
 * MNIST and Fashion-MNIST: fetched and verified through the download layer,
 * parsed from IDX.
 *
 * @module
 */

import { ensureFileWithHash, type FetchOptions, type FileSpec, sha256Hex } from "./download.ts";
import { readIdxFile } from "./idx.ts";

/** Images of one split: `images` is [count, 28, 28] row-major, one byte per pixel (0 = background). */
export interface ImageSet {
  /** [count * 784] pixel intensities 0-255, image-major, then row, then column. */
  images: Uint8Array;
  /** [count] class indices 0-9. */
  labels: Uint8Array;
  count: number;
  rows: 28;
  cols: 28;
}

/** Which of the two IDX image data sets. */
export type MnistVariant = "mnist" | "fashion-mnist";

const MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/";
const FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";
/** Debian's `dataset-fashion-mnist` installs the files here (re-gzipped without file names). */
export const FASHION_MNIST_DEBIAN_DIR = "/usr/share/datasets/fashion-mnist";

const FILES = {
  trainImages: "train-images-idx3-ubyte.gz",
  trainLabels: "train-labels-idx1-ubyte.gz",
  testImages: "t10k-images-idx3-ubyte.gz",
  testLabels: "t10k-labels-idx1-ubyte.gz",
} as const;

type FileKey = keyof typeof FILES;

const MNIST_DIGESTS: Record<FileKey, { size: number; sha256: string }> = {
  trainImages: {
    size: 9_912_422,
    sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
  },
  trainLabels: {
    size: 28_881,
    sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
  },
  testImages: {
    size: 1_648_877,
    sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
  },
  testLabels: {
    size: 4_542,
    sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
  },
};

/**
 * Fashion-MNIST: the upstream files (size + md5 as published by Zalando) and
 * Debian's copies (same content, gzip header without the file name: 23-24 bytes
 * shorter), either accepted.
 */
const FASHION_DIGESTS: Record<FileKey, { size: number; sha256?: string; md5?: string }[]> = {
  trainImages: [
    { size: 26_421_880, md5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d" },
    {
      size: 26_421_856,
      sha256: "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    },
  ],
  trainLabels: [
    { size: 29_515, md5: "25c81989df183df01b3e8a0aad5dffbe" },
    { size: 29_491, sha256: "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056" },
  ],
  testImages: [
    { size: 4_422_102, md5: "bef4ecab320f06d8554ea6380940ec79" },
    { size: 4_422_079, sha256: "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa" },
  ],
  testLabels: [
    { size: 5_148, md5: "bb300cfdad3c16e7a12a480ee83cd310" },
    { size: 5_125, sha256: "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05" },
  ],
};

/** The four file specs of a variant, in the order train images, train labels, test images, test labels. */
export function mnistFileSpecs(variant: MnistVariant = "mnist"): FileSpec[] {
  return (Object.keys(FILES) as FileKey[]).map((k) => {
    const name = FILES[k];
    if (variant === "mnist") {
      return { path: `mnist/${name}`, urls: [MNIST_URL + name], digests: [MNIST_DIGESTS[k]] };
    }
    return {
      path: `fashion-mnist/${name}`,
      urls: [FASHION_URL + name],
      digests: FASHION_DIGESTS[k],
      localDirs: [FASHION_MNIST_DEBIAN_DIR],
    };
  });
}

/**
 * Fetches (if needed), verifies and parses MNIST or Fashion-MNIST.
 *
 * `checksum` is the sha256 of the four files' `sha256  name` lines, one value that
 * identifies the exact data for run records.
 */
export async function loadMnist(
  opts: FetchOptions & { variant?: MnistVariant } = {},
): Promise<{ train: ImageSet; test: ImageSet; checksum: string }> {
  const specs = mnistFileSpecs(opts.variant ?? "mnist");
  const files = [];
  for (const spec of specs) files.push(await ensureFileWithHash(spec, opts));
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    files.map((f) => readIdxFile(f.path)),
  );
  const checksum = sha256Hex(
    files.map((f, i) => `${f.sha256}  ${specs[i].path}\n`).join(""),
  );
  return {
    train: toImageSet(trainImages, trainLabels, files[0].path, files[1].path),
    test: toImageSet(testImages, testLabels, files[2].path, files[3].path),
    checksum,
  };
}

function toImageSet(
  images: { dims: number[]; data: Uint8Array },
  labels: { dims: number[]; data: Uint8Array },
  imagesPath: string,
  labelsPath: string,
): ImageSet {
  if (images.dims.length !== 3 || images.dims[1] !== 28 || images.dims[2] !== 28) {
    throw new Error(
      `${imagesPath}: image dims are [${images.dims.join(", ")}], expected [N, 28, 28]`,
    );
  }
  if (labels.dims.length !== 1) {
    throw new Error(`${labelsPath}: label dims are [${labels.dims.join(", ")}], expected [N]`);
  }
  if (labels.dims[0] !== images.dims[0]) {
    throw new Error(
      `${labelsPath}: ${labels.dims[0]} labels but ${imagesPath} has ${images.dims[0]} images`,
    );
  }
  const bad = labels.data.findIndex((l) => l > 9);
  if (bad >= 0) {
    throw new Error(`${labelsPath}: label ${labels.data[bad]} at index ${bad} is outside 0-9`);
  }
  return {
    images: images.data,
    labels: labels.data,
    count: images.dims[0],
    rows: 28,
    cols: 28,
  };
}
