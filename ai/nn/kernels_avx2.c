/* AVX2+FMA kernels (built with -mavx2 -mfma, used only when the CPU has
 * both). exp/sigmoid/tanh are computed here, not by libm: Cody-Waite range
 * reduction and a degree-8 Taylor polynomial for expm1 on |r| <= ln2/2
 * (truncation < 3e-10 relative), so the error is a few float roundings:
 * measured max relative error 1.5e-7 (sigmoid) and 2.1e-7 (tanh) against
 * double precision over [-30, 30] and tiny magnitudes, see
 * tests/unit/nn.c. */
#include "ai/nn/kernels.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#include <stdbool.h>

#define INLINE static inline __attribute__((always_inline))
/* The conv tiles index small accumulator arrays with constant loop bounds;
 * they must be unrolled completely or the accumulators live on the stack. */

static const int32_t mask_tab[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                     0,  0,  0,  0,  0,  0,  0,  0};

/* Lanes [0, m) set, m in 0..8. */
INLINE __m256i tail_mask(int m) {
  return _mm256_loadu_si256((const __m256i *)(mask_tab + 8 - m));
}

INLINE float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* The four sums of a, b, c, d, in that order. */
INLINE __m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 d) {
  __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
  return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

/* ---- dense ---- */

static void gemv_avx2(float *y, const float *W, size_t ldw, const float *x,
                      int rows, int cols, const float *bias) {
  int kv = cols & ~7, m = cols - kv;
  __m256i tm = tail_mask(m);
  int r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float *w0 = W + (size_t)r * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw,
                *w3 = w2 + ldw;
    /* Two accumulators per row hide the FMA latency. */
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    __m256 b0 = a0, b1 = a0, b2 = a0, b3 = a0;
    int k = 0;
    for (; k + 16 <= kv; k += 16) {
      __m256 x0 = _mm256_loadu_ps(x + k), x1 = _mm256_loadu_ps(x + k + 8);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + k), x0, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + k), x0, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + k), x0, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + k), x0, a3);
      b0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + k + 8), x1, b0);
      b1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + k + 8), x1, b1);
      b2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + k + 8), x1, b2);
      b3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + k + 8), x1, b3);
    }
    for (; k < kv; k += 8) {
      __m256 x0 = _mm256_loadu_ps(x + k);
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + k), x0, a0);
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + k), x0, a1);
      a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + k), x0, a2);
      a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + k), x0, a3);
    }
    if (m) {
      __m256 x0 = _mm256_maskload_ps(x + kv, tm);
      b0 = _mm256_fmadd_ps(_mm256_maskload_ps(w0 + kv, tm), x0, b0);
      b1 = _mm256_fmadd_ps(_mm256_maskload_ps(w1 + kv, tm), x0, b1);
      b2 = _mm256_fmadd_ps(_mm256_maskload_ps(w2 + kv, tm), x0, b2);
      b3 = _mm256_fmadd_ps(_mm256_maskload_ps(w3 + kv, tm), x0, b3);
    }
    __m128 s = hsum4(_mm256_add_ps(a0, b0), _mm256_add_ps(a1, b1),
                     _mm256_add_ps(a2, b2), _mm256_add_ps(a3, b3));
    if (bias)
      s = _mm_add_ps(s, _mm_loadu_ps(bias + r));
    _mm_storeu_ps(y + r, s);
  }
  for (; r < rows; r++) {
    const float *w0 = W + (size_t)r * ldw;
    __m256 a0 = _mm256_setzero_ps();
    for (int k = 0; k < kv; k += 8)
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + k), _mm256_loadu_ps(x + k), a0);
    if (m)
      a0 = _mm256_fmadd_ps(_mm256_maskload_ps(w0 + kv, tm),
                           _mm256_maskload_ps(x + kv, tm), a0);
    y[r] = hsum(a0) + (bias ? bias[r] : 0.0f);
  }
}

INLINE __m256 load_i8(const int8_t *p) {
  return _mm256_cvtepi32_ps(
      _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)p)));
}

static void gemv_i8_avx2(float *y, const int8_t *W, size_t ldw,
                         const float *scales, const float *x, int rows,
                         int cols, const float *bias) {
  int kv = cols & ~7;
  int r = 0;
  for (; r + 4 <= rows; r += 4) {
    const int8_t *w0 = W + (size_t)r * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw,
                 *w3 = w2 + ldw;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (int k = 0; k < kv; k += 8) {
      __m256 x0 = _mm256_loadu_ps(x + k);
      a0 = _mm256_fmadd_ps(load_i8(w0 + k), x0, a0);
      a1 = _mm256_fmadd_ps(load_i8(w1 + k), x0, a1);
      a2 = _mm256_fmadd_ps(load_i8(w2 + k), x0, a2);
      a3 = _mm256_fmadd_ps(load_i8(w3 + k), x0, a3);
    }
    float s[4];
    _mm_storeu_ps(s, hsum4(a0, a1, a2, a3));
    for (int k = kv; k < cols; k++) {
      s[0] += (float)w0[k] * x[k];
      s[1] += (float)w1[k] * x[k];
      s[2] += (float)w2[k] * x[k];
      s[3] += (float)w3[k] * x[k];
    }
    for (int i = 0; i < 4; i++)
      y[r + i] = s[i] * scales[r + i] + (bias ? bias[r + i] : 0.0f);
  }
  for (; r < rows; r++) {
    const int8_t *w0 = W + (size_t)r * ldw;
    __m256 a0 = _mm256_setzero_ps();
    for (int k = 0; k < kv; k += 8)
      a0 = _mm256_fmadd_ps(load_i8(w0 + k), _mm256_loadu_ps(x + k), a0);
    float s = hsum(a0);
    for (int k = kv; k < cols; k++)
      s += (float)w0[k] * x[k];
    y[r] = s * scales[r] + (bias ? bias[r] : 0.0f);
  }
}

/* Two rows of X against four rows of W: each W load feeds two FMAs. */
static void gemm_nt_avx2(float *Y, size_t ldy, const float *X, size_t ldx,
                         int n, const float *W, size_t ldw, int rows, int cols,
                         const float *bias) {
  int kv = cols & ~7, m = cols - kv;
  __m256i tm = tail_mask(m);
  int i = 0;
  for (; i + 2 <= n; i += 2) {
    const float *x0 = X + (size_t)i * ldx, *x1 = x0 + ldx;
    float *y0 = Y + (size_t)i * ldy, *y1 = y0 + ldy;
    int r = 0;
    for (; r + 4 <= rows; r += 4) {
      const float *w0 = W + (size_t)r * ldw, *w1 = w0 + ldw, *w2 = w1 + ldw,
                  *w3 = w2 + ldw;
      __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
      __m256 c0 = a0, c1 = a0, c2 = a0, c3 = a0;
      for (int k = 0; k < kv; k += 8) {
        __m256 u = _mm256_loadu_ps(x0 + k), v = _mm256_loadu_ps(x1 + k);
        __m256 q = _mm256_loadu_ps(w0 + k);
        a0 = _mm256_fmadd_ps(q, u, a0);
        c0 = _mm256_fmadd_ps(q, v, c0);
        q = _mm256_loadu_ps(w1 + k);
        a1 = _mm256_fmadd_ps(q, u, a1);
        c1 = _mm256_fmadd_ps(q, v, c1);
        q = _mm256_loadu_ps(w2 + k);
        a2 = _mm256_fmadd_ps(q, u, a2);
        c2 = _mm256_fmadd_ps(q, v, c2);
        q = _mm256_loadu_ps(w3 + k);
        a3 = _mm256_fmadd_ps(q, u, a3);
        c3 = _mm256_fmadd_ps(q, v, c3);
      }
      if (m) {
        __m256 u = _mm256_maskload_ps(x0 + kv, tm),
               v = _mm256_maskload_ps(x1 + kv, tm);
        __m256 q = _mm256_maskload_ps(w0 + kv, tm);
        a0 = _mm256_fmadd_ps(q, u, a0);
        c0 = _mm256_fmadd_ps(q, v, c0);
        q = _mm256_maskload_ps(w1 + kv, tm);
        a1 = _mm256_fmadd_ps(q, u, a1);
        c1 = _mm256_fmadd_ps(q, v, c1);
        q = _mm256_maskload_ps(w2 + kv, tm);
        a2 = _mm256_fmadd_ps(q, u, a2);
        c2 = _mm256_fmadd_ps(q, v, c2);
        q = _mm256_maskload_ps(w3 + kv, tm);
        a3 = _mm256_fmadd_ps(q, u, a3);
        c3 = _mm256_fmadd_ps(q, v, c3);
      }
      __m128 s0 = hsum4(a0, a1, a2, a3), s1 = hsum4(c0, c1, c2, c3);
      if (bias) {
        __m128 b = _mm_loadu_ps(bias + r);
        s0 = _mm_add_ps(s0, b);
        s1 = _mm_add_ps(s1, b);
      }
      _mm_storeu_ps(y0 + r, s0);
      _mm_storeu_ps(y1 + r, s1);
    }
    if (r < rows) {
      const float *wr = W + (size_t)r * ldw;
      const float *br = bias ? bias + r : NULL;
      gemv_avx2(y0 + r, wr, ldw, x0, rows - r, cols, br);
      gemv_avx2(y1 + r, wr, ldw, x1, rows - r, cols, br);
    }
  }
  if (i < n)
    gemv_avx2(Y + (size_t)i * ldy, W, ldw, X + (size_t)i * ldx, rows, cols,
              bias);
}

/* ---- exp, sigmoid, tanh ---- */

#define LOG2E 1.44269504088896341f
#define LN2_HI 0.693145751953125f     /* ln 2 rounded to 16 bits ... */
#define LN2_LO 1.428606765330187e-06f /* ... and the rest */

/* expm1(r) for |r| <= ln2/2: Taylor to r^8. */
INLINE __m256 expm1_poly(__m256 r) {
  __m256 p = _mm256_set1_ps(1.0f / 40320);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 5040));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  return _mm256_mul_ps(p, r);
}

/* x = n ln2 + r; returns r and 2^n (n must stay in [-126, 127]). */
INLINE __m256 reduce(__m256 x, __m256 *pow2n) {
  __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(LOG2E)),
                             _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_HI), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(LN2_LO), r);
  __m256i e = _mm256_slli_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  *pow2n = _mm256_castsi256_ps(e);
  return r;
}

INLINE __m256 exp_avx2(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)),
                    _mm256_set1_ps(88.0f));
  __m256 s;
  __m256 r = reduce(x, &s);
  return _mm256_fmadd_ps(s, expm1_poly(r), s);
}

INLINE __m256 sigmoid8(__m256 x) {
  __m256 one = _mm256_set1_ps(1.0f);
  __m256 e = exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), x));
  return _mm256_div_ps(one, _mm256_add_ps(one, e));
}

/* tanh|x| = em / (em + 2) with em = expm1(2|x|): no cancellation near 0. */
INLINE __m256 tanh8(__m256 x) {
  __m256 sign = _mm256_and_ps(x, _mm256_set1_ps(-0.0f));
  __m256 ax = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
  __m256 y = _mm256_min_ps(_mm256_add_ps(ax, ax), _mm256_set1_ps(18.0f));
  __m256 s;
  __m256 r = reduce(y, &s);
  /* expm1(y) = 2^n expm1(r) + (2^n - 1) */
  __m256 em = _mm256_fmadd_ps(s, expm1_poly(r),
                              _mm256_sub_ps(s, _mm256_set1_ps(1.0f)));
  __m256 t = _mm256_div_ps(em, _mm256_add_ps(em, _mm256_set1_ps(2.0f)));
  return _mm256_or_ps(t, sign);
}

static void sigmoid_avx2(float *y, const float *x, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, sigmoid8(_mm256_loadu_ps(x + i)));
  if (i < n) {
    __m256i tm = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, tm, sigmoid8(_mm256_maskload_ps(x + i, tm)));
  }
}

static void tanh_avx2(float *y, const float *x, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, tanh8(_mm256_loadu_ps(x + i)));
  if (i < n) {
    __m256i tm = tail_mask(n - i);
    _mm256_maskstore_ps(y + i, tm, tanh8(_mm256_maskload_ps(x + i, tm)));
  }
}

/* ---- convolution rows ---- */

/* Writes CB x NV accumulators for pixels from j0, clipped to n and spread
 * by out_step. */
INLINE void store_tile(const pl_nn_row *r, int j0, const int CB, const int NV,
                       __m256 acc[4][4]) {
  int valid = r->n - j0;
  if (valid >= 8 * NV && r->out_step == 1) {
    #pragma GCC unroll 4
    for (int c = 0; c < CB; c++)
      #pragma GCC unroll 4
      for (int v = 0; v < NV; v++)
        _mm256_storeu_ps(r->out + (size_t)c * r->out_cs + j0 + 8 * v,
                         acc[c][v]);
    return;
  }
  if (valid > 8 * NV)
    valid = 8 * NV;
  float tmp[32];
  #pragma GCC unroll 4
  for (int c = 0; c < CB; c++) {
    #pragma GCC unroll 4
    for (int v = 0; v < NV; v++)
      _mm256_storeu_ps(tmp + 8 * v, acc[c][v]);
    float *o = r->out + (size_t)c * r->out_cs + (size_t)j0 * r->out_step;
    for (int j = 0; j < valid; j++)
      o[(size_t)j * r->out_step] = tmp[j];
  }
}

/* CB output channels x NV vectors of 8 pixels, from pixel j0. */
INLINE void row_tile(const pl_nn_row *r, int j0, const int CB, const int NV) {
  __m256 acc[4][4];
  #pragma GCC unroll 4
  for (int c = 0; c < CB; c++)
    #pragma GCC unroll 4
    for (int v = 0; v < NV; v++)
      acc[c][v] = r->bias ? _mm256_set1_ps(r->bias[c]) : _mm256_setzero_ps();
  for (int t = 0; t < r->ntaps; t++) {
    const float *in = r->in[t] + j0;
    const float *wt = r->w + r->woff[t];
    for (int ci = 0; ci < r->cin; ci++) {
      __m256 xv[4];
      #pragma GCC unroll 4
      for (int v = 0; v < NV; v++)
        xv[v] = _mm256_loadu_ps(in + 8 * v);
      #pragma GCC unroll 4
      for (int c = 0; c < CB; c++) {
        __m256 wv = _mm256_broadcast_ss(wt + (size_t)c * r->wco);
        #pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
          acc[c][v] = _mm256_fmadd_ps(wv, xv[v], acc[c][v]);
      }
      in += r->in_cs;
      wt += r->wci;
    }
  }
  store_tile(r, j0, CB, NV, acc);
}

/* Depthwise blocks: each channel has its own input, so the loads are per
 * channel and there is no reuse, but CB x NV chains keep the FMAs busy. */
INLINE void row_tile_dw(const pl_nn_row *r, int j0, const int CB, const int NV) {
  __m256 acc[4][4];
  #pragma GCC unroll 4
  for (int c = 0; c < CB; c++)
    #pragma GCC unroll 4
    for (int v = 0; v < NV; v++)
      acc[c][v] = r->bias ? _mm256_set1_ps(r->bias[c]) : _mm256_setzero_ps();
  for (int t = 0; t < r->ntaps; t++) {
    const float *in = r->in[t] + j0;
    const float *wt = r->w + r->woff[t];
    for (int ci = 0; ci < r->cin; ci++) {
      #pragma GCC unroll 4
      for (int c = 0; c < CB; c++) {
        __m256 wv = _mm256_broadcast_ss(wt + (size_t)c * r->wco);
        const float *ic = in + (size_t)c * r->in_co;
        #pragma GCC unroll 4
        for (int v = 0; v < NV; v++)
          acc[c][v] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(ic + 8 * v), acc[c][v]);
      }
      in += r->in_cs;
      wt += r->wci;
    }
  }
  store_tile(r, j0, CB, NV, acc);
}

static void conv_row_avx2(const pl_nn_row *r) {
  if (r->in_co) {
    for (int j0 = 0; j0 < r->n; j0 += 16) {
      switch (r->cb) {
      case 1:
        row_tile_dw(r, j0, 1, 2);
        break;
      case 2:
        row_tile_dw(r, j0, 2, 2);
        break;
      case 3:
        row_tile_dw(r, j0, 3, 2);
        break;
      default:
        row_tile_dw(r, j0, 4, 2);
        break;
      }
    }
    return;
  }
  if (r->cb == 1) {
    /* Depthwise and single-channel rows: four vectors give the FMA chains
     * enough independent work. */
    for (int j0 = 0; j0 < r->n; j0 += 32)
      row_tile(r, j0, 1, 4);
    return;
  }
  if (r->cb == 4) {
    /* 4 channels x 24 pixels: 12 accumulators, 7 loads per 12 FMAs; a
     * last stretch of 16 or fewer pixels takes the 16-wide tile. */
    int j0 = 0;
    for (; r->n - j0 > 16; j0 += 24)
      row_tile(r, j0, 4, 3);
    if (j0 < r->n)
      row_tile(r, j0, 4, 2);
    return;
  }
  for (int j0 = 0; j0 < r->n; j0 += 16) {
    if (r->cb == 2)
      row_tile(r, j0, 2, 2);
    else
      row_tile(r, j0, 3, 2);
  }
}

const pl_nn_kernels pl_nn_kernels_avx2 = {
    .name = "avx2",
    .gemv = gemv_avx2,
    .gemv_i8 = gemv_i8_avx2,
    .gemm_nt = gemm_nt_avx2,
    .sigmoid = sigmoid_avx2,
    .tanh = tanh_avx2,
    .conv_row = conv_row_avx2,
};

#else
/* Not an x86 build: never selected (pl_nn_isa_available says no). */
const pl_nn_kernels pl_nn_kernels_avx2 = {.name = "avx2-unavailable"};
#endif
