/**
 * 2 × 2 average pooling with stride 2 (NHWC), whose gradient is an upsampling: each input pixel
 * gets a quarter of its window's output gradient. Forward is tfjs's AvgPool. The gradient is the
 * registered kernel `RcAvgPool2Grad` on cpu and wasm (two bulk row copies per output row pair),
 * a reshape + broadcast elsewhere: tfjs-wasm's AvgPoolGrad is a generic loop and its Tile,
 * Concat and ResizeNearestNeighbor are no better (measured here for `[400, 28, 28, 32]`:
 * 170, 2,400, 150 and 170 ms).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelInfo, kernelIo } from "./lif_cell.ts";

function gradKernel(backendName: string) {
  return ({ inputs, backend, attrs }: {
    inputs: { dy: KernelInfo };
    backend: unknown;
    attrs: { height: number; width: number };
  }): KernelInfo => {
    const { dy } = inputs;
    if (dy.dtype !== "float32") {
      throw new Error(
        `RcAvgPool2Grad (lib/ops/avg_pool2.ts): dy must be float32: got ${dy.dtype}.`,
      );
    }
    const [b, h2, w2, c] = dy.shape;
    const { height: h, width: w } = attrs;
    const a = kernelIo(backend, backendName);
    const out = a.output([b, h, w, c]);
    const g = a.view(dy), dx = a.view(out);
    const rowLength = w * c;
    const row = new Float32Array(rowLength);
    for (let r = 0; r < b * h2; r++) {
      // One output row of dx, each pooled pixel's gradient / 4 twice side by side.
      for (let x = 0; x < w2; x++) {
        const src = (r * w2 + x) * c, dst = 2 * x * c;
        for (let k = 0; k < c; k++) {
          const v = 0.25 * g[src + k];
          row[dst + k] = v;
          row[dst + c + k] = v;
        }
      }
      dx.set(row, 2 * r * rowLength);
      dx.set(row, (2 * r + 1) * rowLength);
    }
    return out;
  };
}

for (const name of ["cpu", "wasm"]) {
  if (!tf.getKernel("RcAvgPool2Grad", name)) {
    tf.registerKernel({
      kernelName: "RcAvgPool2Grad",
      backendName: name,
      kernelFunc: gradKernel(name) as unknown as tf.KernelFunc,
    });
  }
}

/**
 * `x` `[B, H, W, C]` (H, W even) to `[B, H/2, W/2, C]`, the mean of each 2 × 2 window.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { avgPool2 } from "./avg_pool2.ts";
 * await tf.setBackend("cpu");
 * await avgPool2(tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1])).data(); // [2.5]
 * ```
 */
export function avgPool2(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0) {
    throw new Error(`avgPool2: height and width must be even: got [${x.shape}].`);
  }
  const f = tf.customGrad((input) => ({
    value: tf.avgPool(input as tf.Tensor4D, 2, 2, "valid"),
    gradFunc: (dy: tf.Tensor) =>
      tf.getKernel("RcAvgPool2Grad", tf.getBackend())
        ? tf.engine().runKernel("RcAvgPool2Grad", { dy }, { height: h, width: w }) as tf.Tensor
        // Rank 4 at most: tfjs-webgpu runs a Tile (broadcastTo) of rank 5 or more on the CPU,
        // through a synchronous readback that Deno's WebGPU does not have. Each value twice
        // along the width, then each row twice.
        : tf.tidy(() => {
          const wide = tf.broadcastTo(tf.reshape(dy, [b * (h / 2), w / 2, 1, c]), [
            b * (h / 2),
            w / 2,
            2,
            c,
          ]);
          const rows = tf.broadcastTo(tf.reshape(wide, [b * (h / 2), 1, w * c]), [
            b * (h / 2),
            2,
            w * c,
          ]);
          return tf.reshape(tf.mul(rows, 0.25), [b, h, w, c]);
        }),
  }));
  return f(x) as tf.Tensor4D;
}
