// A fused LSTM cell for the CPU (tfjs-wasm backend), compiled to WebAssembly with 128-bit SIMD:
// lib/models/build_lstm_cell_wasm.sh turns this file into lstm_cell_wasm_bytes.ts.
//
// One step, gate order i, f, g, o, with z = xw + hu + b ([n, 4H]) and the state hc = [h | c]
// ([n, 2H], h in columns [0, H), c in [H, 2H)):
//   c' = sigmoid(f) * c + sigmoid(i) * tanh(g),   h' = sigmoid(o) * tanh(c')
// Forward writes hc' ([n, 2H]) and the activations the backward needs, acts = [i f g o tanh(c')]
// ([n, 5H]). Backward takes acts, hc, d(hc') and writes dz ([n, 4H]), d(hc) ([n, 2H]: zero in
// the h half, as h enters only through hu), and db ([4H], dz summed over the batch).
//
// exp is Cephes' single-precision polynomial (range reduction by ln 2, degree-6 polynomial): a
// few ulp from the correctly rounded value over the clamped range. No libc, no static data, no
// heap: every buffer is passed by its byte offset in this module's memory, past __heap_base.

#include <wasm_simd128.h>

typedef v128_t f4;

static inline f4 splat(float x) { return wasm_f32x4_splat(x); }

static inline f4 vexp(f4 x) {
  // pmin/pmax: one x86 instruction each (NaN handling is not needed here).
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, splat(-87.3f)), splat(88.3f));
  // n = round(x log2 e) by adding 1.5 * 2^23: n is then in the low mantissa bits of t.
  f4 t = wasm_f32x4_add(wasm_f32x4_mul(x, splat(1.44269504088896341f)), splat(12582912.0f));
  f4 fx = wasm_f32x4_sub(t, splat(12582912.0f));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, splat(0.693359375f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, splat(-2.12194440e-4f)));
  f4 z = wasm_f32x4_mul(x, x);
  f4 y = splat(1.9875691500e-4f);
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), splat(1.3981999507e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), splat(8.3334519073e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), splat(4.1665795894e-2f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), splat(1.6666665459e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), splat(5.0000001201e-1f));
  y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(y, z), x), splat(1.0f));
  // 2^n: n + 127 into the exponent field.
  v128_t n = wasm_i32x4_sub(t, wasm_i32x4_splat(0x4B400000));
  return wasm_f32x4_mul(y, wasm_i32x4_shl(wasm_i32x4_add(n, wasm_i32x4_splat(127)), 23));
}

static inline f4 vsigmoid(f4 x) {
  return wasm_f32x4_div(splat(1.0f), wasm_f32x4_add(splat(1.0f), vexp(wasm_f32x4_neg(x))));
}

static inline f4 vtanh(f4 x) {
  f4 e = vexp(wasm_f32x4_mul(splat(-2.0f), wasm_f32x4_abs(x)));
  f4 t = wasm_f32x4_div(wasm_f32x4_sub(splat(1.0f), e), wasm_f32x4_add(splat(1.0f), e));
  // Sign of x onto t (t >= 0).
  v128_t sign = wasm_v128_and(x, wasm_i32x4_splat((int)0x80000000));
  return wasm_v128_or(t, sign);
}

// tanh as a rational function of x (odd degree 13 over even degree 6), clamped to ±7.905:
// Eigen's float tanh coefficients; within 3.5e-7 of tanh (relative) everywhere. No exp: fewer
// operations than vtanh. sigmoid(x) = tanh(x / 2) / 2 + 1/2 (within 2.3e-7 absolute).
static inline f4 vtanh_rational(f4 x) {
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, splat(-7.90531110763549805f)), splat(7.90531110763549805f));
  f4 x2 = wasm_f32x4_mul(x, x);
  f4 p = splat(-2.76076847742355e-16f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), splat(2.00018790482477e-13f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), splat(-8.60467152213735e-11f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), splat(5.12229709037114e-08f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), splat(1.48572235717979e-05f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), splat(6.37261928875436e-04f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, x2), splat(4.89352455891786e-03f));
  p = wasm_f32x4_mul(p, x);
  f4 q = splat(1.19825839466702e-06f);
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), splat(1.18534705686654e-04f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), splat(2.26843463243900e-03f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), splat(4.89352518554385e-03f));
  return wasm_f32x4_div(p, q);
}

static inline f4 vsigmoid_rational(f4 x) {
  return wasm_f32x4_add(wasm_f32x4_mul(vtanh_rational(wasm_f32x4_mul(x, splat(0.5f))), splat(0.5f)),
                        splat(0.5f));
}

static inline f4 load(const float* p) { return wasm_v128_load(p); }
// Stores the first k (1..4) lanes: the last group of a row when H is not a multiple of 4 (its
// loads read past the row into lanes that are never stored; the caller pads every buffer).
static inline void store(float* p, f4 v, int k) {
  switch (k) {
    case 4: wasm_v128_store(p, v); break;
    case 3: wasm_v128_store32_lane(p + 2, v, 2); /* fall through */
    case 2: wasm_v128_store64_lane(p, v, 0); break;
    default: wasm_v128_store32_lane(p, v, 0); break;
  }
}

// Gates of one row at columns [j, j+4): activations and the previous cell.
typedef struct {
  f4 i, f, g, o, cp, c, tc;
} Gates;

static inline Gates gates(const float* xw, const float* hu, const float* b, const float* hcp,
                          int H, int j) {
  Gates s;
  s.i = vsigmoid(wasm_f32x4_add(wasm_f32x4_add(load(xw + j), load(hu + j)), load(b + j)));
  s.f = vsigmoid(wasm_f32x4_add(wasm_f32x4_add(load(xw + H + j), load(hu + H + j)), load(b + H + j)));
  s.g = vtanh(wasm_f32x4_add(wasm_f32x4_add(load(xw + 2 * H + j), load(hu + 2 * H + j)), load(b + 2 * H + j)));
  s.o = vsigmoid(wasm_f32x4_add(wasm_f32x4_add(load(xw + 3 * H + j), load(hu + 3 * H + j)), load(b + 3 * H + j)));
  s.cp = load(hcp + H + j);
  s.c = wasm_f32x4_add(wasm_f32x4_mul(s.f, s.cp), wasm_f32x4_mul(s.i, s.g));
  s.tc = vtanh(s.c);
  return s;
}

// Writes h' and c' of columns [j, j + k) into out ([2H] of a row) and the activations the
// backward needs into ar ([5H]).
static inline void store_gates(float* out, float* ar, const Gates* s, int H, int j, int k) {
  store(out + j, wasm_f32x4_mul(s->o, s->tc), k);
  store(out + H + j, s->c, k);
  store(ar + j, s->i, k);
  store(ar + H + j, s->f, k);
  store(ar + 2 * H + j, s->g, k);
  store(ar + 3 * H + j, s->o, k);
  store(ar + 4 * H + j, s->tc, k);
}

// Buffers may not overlap; each is followed by 16 bytes of padding.
__attribute__((export_name("cell_forward")))
void cell_forward(int n, int H, const float* xw, const float* hu, const float* b,
                  const float* hcp, float* hc, float* acts) {
  for (int r = 0; r < n; r++) {
    const float* xr = xw + r * 4 * H;
    const float* ur = hu + r * 4 * H;
    const float* pr = hcp + r * 2 * H;
    float* out = hc + r * 2 * H;
    float* ar = acts + r * 5 * H;
    for (int j = 0; j < H; j += 4) {
      int k = H - j < 4 ? H - j : 4;
      Gates s = gates(xr, ur, b, pr, H, j);
      store_gates(out, ar, &s, H, j, k);
    }
  }
}

__attribute__((export_name("cell_backward")))
void cell_backward(int n, int H, const float* acts, const float* hcp, const float* dhc,
                   float* dz, float* dhcp, float* db) {
  const f4 one = splat(1.0f);
  for (int q = 0; q < 4 * H; q++) db[q] = 0.0f;
  for (int r = 0; r < n; r++) {
    const float* ar = acts + r * 5 * H;
    const float* pr = hcp + r * 2 * H;
    const float* dr = dhc + r * 2 * H;
    float* dzr = dz + r * 4 * H;
    float* dpr = dhcp + r * 2 * H;
    for (int j = 0; j < H; j += 4) {
      int k = H - j < 4 ? H - j : 4;
      Gates s;
      s.i = load(ar + j);
      s.f = load(ar + H + j);
      s.g = load(ar + 2 * H + j);
      s.o = load(ar + 3 * H + j);
      s.tc = load(ar + 4 * H + j);
      s.cp = load(pr + H + j);
      f4 dh = load(dr + j);
      // dc' = upstream dc' + dh * o * (1 - tanh(c')^2)
      f4 dc = wasm_f32x4_add(load(dr + H + j),
                             wasm_f32x4_mul(wasm_f32x4_mul(dh, s.o),
                                            wasm_f32x4_sub(one, wasm_f32x4_mul(s.tc, s.tc))));
      f4 di = wasm_f32x4_mul(wasm_f32x4_mul(dc, s.g), wasm_f32x4_mul(s.i, wasm_f32x4_sub(one, s.i)));
      f4 df = wasm_f32x4_mul(wasm_f32x4_mul(dc, s.cp), wasm_f32x4_mul(s.f, wasm_f32x4_sub(one, s.f)));
      f4 dg = wasm_f32x4_mul(wasm_f32x4_mul(dc, s.i), wasm_f32x4_sub(one, wasm_f32x4_mul(s.g, s.g)));
      f4 dO = wasm_f32x4_mul(wasm_f32x4_mul(dh, s.tc), wasm_f32x4_mul(s.o, wasm_f32x4_sub(one, s.o)));
      store(dzr + j, di, k);
      store(dzr + H + j, df, k);
      store(dzr + 2 * H + j, dg, k);
      store(dzr + 3 * H + j, dO, k);
      store(db + j, wasm_f32x4_add(load(db + j), di), k);
      store(db + H + j, wasm_f32x4_add(load(db + H + j), df), k);
      store(db + 2 * H + j, wasm_f32x4_add(load(db + 2 * H + j), dg), k);
      store(db + 3 * H + j, wasm_f32x4_add(load(db + 3 * H + j), dO), k);
      store(dpr + j, splat(0.0f), k);
      store(dpr + H + j, wasm_f32x4_mul(dc, s.f), k);
    }
  }
}

// Adam over n floats (n a multiple of 4: the caller pads), in the order of tfjs-core's
// AdamOptimizer, one float32 rounding per operation as its kernels do (WebAssembly has no fused
// multiply-add, so the results are the same bits):
//   m' = m b1 + g (1 - b1),  v' = v b2 + g² (1 - b2),
//   w' = ((m' / c1) / (sqrt(v' / c2) + eps)) (-lr) + w,  c1 = 1 - b1^t, c2 = 1 - b2^t.
__attribute__((export_name("adam_update")))
void adam_update(int n, float* w, const float* g, float* m, float* v, float b1, float omb1,
                 float b2, float omb2, float c1, float c2, float eps, float neglr) {
  for (int i = 0; i < n; i += 4) {
    f4 gi = load(g + i);
    f4 nm = wasm_f32x4_add(wasm_f32x4_mul(load(m + i), splat(b1)), wasm_f32x4_mul(gi, splat(omb1)));
    f4 nv = wasm_f32x4_add(wasm_f32x4_mul(load(v + i), splat(b2)),
                           wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), splat(omb2)));
    f4 bm = wasm_f32x4_div(nm, splat(c1));
    f4 bv = wasm_f32x4_div(nv, splat(c2));
    f4 step = wasm_f32x4_mul(wasm_f32x4_div(bm, wasm_f32x4_add(wasm_f32x4_sqrt(bv), splat(eps))),
                             splat(neglr));
    wasm_v128_store(w + i, wasm_f32x4_add(step, load(w + i)));
    wasm_v128_store(m + i, nm);
    wasm_v128_store(v + i, nv);
  }
}

// The same cell from one pre-activation z = conv(x, h) ([n, 4H] with row stride zs, the
// ConvLSTM's: its one convolution gives what an LSTM's xw + hu give); b, hcp, hc and acts as in
// cell_forward. z may be acts itself (z = acts, zs = 5H: the sgemm wrote the pre-activations into
// the first 4H columns of each acts row, and they are replaced by the activations in place: each
// group of four columns is read whole before it is written, and a short last group's extra lanes
// are never stored); otherwise buffers may not overlap. The backward is cell_backward's (it never
// reads the pre-activations). Its sigmoid and tanh are the rational ones (within 4e-7 of
// cell_forward's; 30 ms -> 20 ms here for 100,352 rows of 20).
__attribute__((export_name("cell_forward_z")))
void cell_forward_z(int n, int H, const float* z, int zs, const float* b, const float* hcp,
                    float* hc, float* acts) {
  for (int r = 0; r < n; r++) {
    const float* zr = z + r * zs;
    const float* pr = hcp + r * 2 * H;
    float* out = hc + r * 2 * H;
    float* ar = acts + r * 5 * H;
    for (int j = 0; j < H; j += 4) {
      int k = H - j < 4 ? H - j : 4;
      Gates s;
      s.i = vsigmoid_rational(wasm_f32x4_add(load(zr + j), load(b + j)));
      s.f = vsigmoid_rational(wasm_f32x4_add(load(zr + H + j), load(b + H + j)));
      s.g = vtanh_rational(wasm_f32x4_add(load(zr + 2 * H + j), load(b + 2 * H + j)));
      s.o = vsigmoid_rational(wasm_f32x4_add(load(zr + 3 * H + j), load(b + 3 * H + j)));
      s.cp = load(pr + H + j);
      s.c = wasm_f32x4_add(wasm_f32x4_mul(s.f, s.cp), wasm_f32x4_mul(s.i, s.g));
      s.tc = vtanh_rational(s.c);
      store_gates(out, ar, &s, H, j, k);
    }
  }
}

// dst[0, c) = src[0, c) and dst[0, c) += src[0, c), four lanes at a time (no libc).
static inline void copy(float* dst, const float* src, int c) {
  int j = 0;
  for (; j + 4 <= c; j += 4) wasm_v128_store(dst + j, wasm_v128_load(src + j));
  for (; j < c; j++) dst[j] = src[j];
}
static inline void add_to(float* dst, const float* src, int c) {
  int j = 0;
  for (; j + 4 <= c; j += 4) {
    wasm_v128_store(dst + j, wasm_f32x4_add(wasm_v128_load(dst + j), wasm_v128_load(src + j)));
  }
  for (; j < c; j++) dst[j] += src[j];
}
static inline void zero(float* dst, int c) {
  for (int j = 0; j < c; j++) dst[j] = 0.0f;
}

// The 'same'-padded im2col of a stride-1 k x k convolution over two NHWC sources side by side,
// x ([n, hgt, wid, xc]) then the first hc channels of h (pixel stride hs: h may be the h half of
// an [h | c] state). Row r = (b, y, x) of q ([n * hgt * wid, k * k * (xc + hc)]) holds, for each
// kernel tap (ky, kx) in order, the xc + hc channels of pixel (y + ky - p, x + kx - p), zero
// outside the frame: the row order of a kernel [k, k, xc + hc, co] read as a [k·k·(xc+hc), co]
// matrix, so conv = q @ kernel is one sgemm. Both sources are first copied into a zero-bordered
// frame pf ([n, hgt + k - 1, wid + k - 1, xc + hc]), where the k taps of one kernel row are
// k·(xc + hc) contiguous floats: a row of q is then k contiguous copies.
__attribute__((export_name("conv_im2col")))
void conv_im2col(int n, int hgt, int wid, int k, const float* x, int xc, const float* h, int hc,
                 int hs, float* pf, float* q) {
  const int ct = xc + hc, seg = k * ct, len = k * seg;
  const int ph = hgt + k - 1, pw = wid + k - 1, pad = (k - 1) / 2;
  zero(pf, n * ph * pw * ct);
  for (int b = 0; b < n; b++) {
    for (int y = 0; y < hgt; y++) {
      for (int xx = 0; xx < wid; xx++) {
        const int p = (b * hgt + y) * wid + xx;
        float* dst = pf + ((b * ph + y + pad) * pw + xx + pad) * ct;
        for (int j = 0; j < xc; j++) dst[j] = x[p * xc + j];
        copy(dst + xc, h + p * hs, hc);
      }
    }
  }
  for (int b = 0; b < n; b++) {
    for (int y = 0; y < hgt; y++) {
      for (int xx = 0; xx < wid; xx++) {
        float* dst = q + ((b * hgt + y) * wid + xx) * len;
        const float* src = pf + ((b * ph + y) * pw + xx) * ct;
        for (int ky = 0; ky < k; ky++) copy(dst + ky * seg, src + ky * pw * ct, seg);
      }
    }
  }
}

// The adjoint of conv_im2col: from dq (the gradient of q) writes dx ([n, hgt, wid, xc]) and the
// first hc channels of each pixel of dh (pixel stride hs; its other channels are left alone),
// through a zeroed frame pf of conv_im2col's shape: each row of dq adds its k segments into it.
__attribute__((export_name("conv_col2im")))
void conv_col2im(int n, int hgt, int wid, int k, const float* dq, float* pf, float* dx, int xc,
                 float* dh, int hc, int hs) {
  const int ct = xc + hc, seg = k * ct, len = k * seg;
  const int ph = hgt + k - 1, pw = wid + k - 1, pad = (k - 1) / 2;
  zero(pf, n * ph * pw * ct);
  for (int b = 0; b < n; b++) {
    for (int y = 0; y < hgt; y++) {
      for (int xx = 0; xx < wid; xx++) {
        const float* src = dq + ((b * hgt + y) * wid + xx) * len;
        float* dst = pf + ((b * ph + y) * pw + xx) * ct;
        for (int ky = 0; ky < k; ky++) add_to(dst + ky * pw * ct, src + ky * seg, seg);
      }
    }
  }
  for (int b = 0; b < n; b++) {
    for (int y = 0; y < hgt; y++) {
      for (int xx = 0; xx < wid; xx++) {
        const int p = (b * hgt + y) * wid + xx;
        const float* src = pf + ((b * ph + y + pad) * pw + xx + pad) * ct;
        for (int j = 0; j < xc; j++) dx[p * xc + j] = src[j];
        copy(dh + p * hs, src + xc, hc);
      }
    }
  }
}
