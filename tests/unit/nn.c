/* ai/nn kernels against plain double-precision references on random shapes,
 * on both the scalar and the AVX2 path. Tolerance: 1e-5 relative to the
 * magnitude of the terms summed (sum |w*x|), so long dot products with
 * cancellation are judged fairly. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ai/model/model.h"
#include "ai/nn/nn.h"
#include "base/log.h"
#include "base/rng.h"
#include "parley.h"

#define RTOL 1e-5

static pl_rng rng;

static float urand(void) { return (float)(2 * pl_rng_uniform(&rng) - 1); }
static int irand(int lo, int hi) {
  return lo + (int)pl_rng_below(&rng, (uint64_t)(hi - lo + 1));
}
static float *rvec(size_t n, float scale) {
  float *v = malloc(sizeof(float) * (n ? n : 1));
  for (size_t i = 0; i < n; i++)
    v[i] = urand() * scale;
  return v;
}

/* ---- building models in memory ---- */

static pl_model_writer *W;

static void mstart(void) { W = pl_model_writer_new("t", "test"); }
static void madd(const char *name, const float *d, int ndims, int d0, int d1,
                 int d2, int d3) {
  int dims[4] = {d0, d1, d2, d3};
  cr_assert_eq(pl_model_writer_add_f32(W, name, ndims, dims, d), 0, "%s", name);
}
static pl_model *mfinish(void) {
  uint8_t *b;
  size_t n;
  cr_assert_eq(pl_model_writer_finish(W, &b, &n), 0);
  pl_model_writer_free(W);
  pl_model *m;
  char why[PL_MODEL_WHY_LEN];
  cr_assert_eq(pl_model_load_bytes(&m, b, n, why, sizeof why), 0, "%s", why);
  free(b);
  return m;
}

static int nisa(void) {
  return pl_nn_isa_available(PL_NN_ISA_AVX2) ? 2 : 1;
}
static void set_isa(int i) {
  cr_assert_eq(pl_nn_isa_set(i ? PL_NN_ISA_AVX2 : PL_NN_ISA_SCALAR), 0);
}

static void check(const char *what, const float *got, const double *ref,
                  const double *mag, size_t n) {
  for (size_t i = 0; i < n; i++) {
    double tol = RTOL * (mag ? mag[i] : fmax(1.0, fabs(ref[i]))) + 1e-6;
    cr_assert(fabs(got[i] - ref[i]) <= tol,
              "%s [%s] i=%zu got %.9g want %.9g (tol %.3g)", what,
              pl_nn_isa_name(pl_nn_isa_get()), i, got[i], ref[i], tol);
  }
}

static double sig(double x) { return 1 / (1 + exp(-x)); }

static void setup(void) {
  pl_rng_seed(&rng, 12345);
  pl_log_set_level(PL_LOG_ERROR);
}

TestSuite(nn, .init = setup);

Test(nn, isa_selection_and_scalar_always_available) {
  cr_assert(pl_nn_isa_available(PL_NN_ISA_SCALAR));
  cr_assert_eq(pl_nn_isa_set(PL_NN_ISA_SCALAR), 0);
  cr_assert_eq(pl_nn_isa_get(), PL_NN_ISA_SCALAR);
  if (pl_nn_isa_available(PL_NN_ISA_AVX2)) {
    cr_assert_eq(pl_nn_isa_set(PL_NN_ISA_AVX2), 0);
    cr_assert_eq(pl_nn_isa_get(), PL_NN_ISA_AVX2);
  } else {
    cr_assert_eq(pl_nn_isa_set(PL_NN_ISA_AVX2), PL_ENOTSUP);
  }
}

Test(nn, sigmoid_and_tanh_relative_error_below_1e6_on_both_paths) {
  enum { N = 1 << 20 };
  float *x = malloc(sizeof(float) * N), *y = malloc(sizeof(float) * N);
  for (int i = 0; i < N; i++)
    x[i] = -30.0f + 60.0f * (float)i / N;
  /* Small magnitudes, where tanh(x) = 1 - 2/(e^2x + 1) would cancel. */
  for (int i = 0; i < 4096; i++)
    x[i] = ldexpf(1.0f + (float)i / 4096, -(i % 40)) * (i & 1 ? -1.0f : 1.0f);
  for (int isa = 0; isa < nisa(); isa++) {
    set_isa(isa);
    double es = 0, et = 0;
    pl_nn_sigmoid(y, x, N);
    for (int i = 0; i < N; i++) {
      double r = sig(x[i]);
      if (r > 1e-30)
        es = fmax(es, fabs(y[i] - r) / r);
    }
    pl_nn_tanh(y, x, N - 3); /* odd length: exercises the masked tail */
    for (int i = 0; i < N - 3; i++) {
      double r = tanh(x[i]);
      et = fmax(et, fabs(y[i] - r) / fmax(fabs(r), 1e-30));
    }
    cr_log_info("%s: max rel error sigmoid %.3g tanh %.3g",
                pl_nn_isa_name(pl_nn_isa_get()), es, et);
    cr_assert_lt(es, 1e-6);
    cr_assert_lt(et, 1e-6);
    /* Saturation is exact and odd symmetry holds. */
    float big[4] = {-1000, 1000, 0, -0.0f}, out[4];
    pl_nn_tanh(out, big, 4);
    cr_assert(out[0] == -1 && out[1] == 1 && out[2] == 0);
    pl_nn_sigmoid(out, big, 4);
    cr_assert(out[0] >= 0 && out[0] < 1e-37 && out[1] == 1 && out[2] == 0.5f);
  }
  free(x);
  free(y);
}

Test(nn, activations_match_their_definitions_exactly) {
  float x[12], y[12];
  for (int i = 0; i < 12; i++)
    x[i] = (float)i - 5.5f;
  float slope[3] = {0.1f, 0.2f, 0.3f};
  pl_nn_act a = {PL_NN_ACT_PRELU, 0, 0, slope, 3};
  memcpy(y, x, sizeof x);
  pl_nn_act_apply(&a, y, 3, 4); /* 3 channels of 4 */
  for (int i = 0; i < 12; i++)
    cr_assert_eq(y[i], x[i] >= 0 ? x[i] : slope[i / 4] * x[i]);
  pl_nn_act r = pl_nn_act_make(PL_NN_ACT_RELU, 0, 0);
  pl_nn_act l = pl_nn_act_make(PL_NN_ACT_LEAKY_RELU, 0.01f, 0);
  pl_nn_act h = pl_nn_act_make(PL_NN_ACT_HARDTANH, 0, 2.5f);
  float yr[12], yl[12], yh[12];
  memcpy(yr, x, sizeof x);
  memcpy(yl, x, sizeof x);
  memcpy(yh, x, sizeof x);
  pl_nn_act_apply(&r, yr, 12, 1);
  pl_nn_act_apply(&l, yl, 12, 1);
  pl_nn_act_apply(&h, yh, 12, 1);
  for (int i = 0; i < 12; i++) {
    cr_assert_eq(yr[i], x[i] > 0 ? x[i] : 0.0f);
    cr_assert_eq(yl[i], x[i] >= 0 ? x[i] : 0.01f * x[i]);
    cr_assert_eq(yh[i], fminf(fmaxf(x[i], 0), 2.5f));
  }
  pl_nn_add(yr, x, 12);
  cr_assert_eq(yr[11], 2 * x[11]);
}

Test(nn, dense_vector_and_batch_match_reference_f32_and_int8) {
  for (int trial = 0; trial < 40; trial++) {
    int in = irand(1, 300), out = irand(1, 70), n = irand(1, 9);
    float *w = rvec((size_t)in * out, 1), *b = rvec(out, 1), *x = rvec((size_t)n * in, 1);
    mstart();
    madd("fc.weight", w, 2, out, in, 0, 0);
    madd("fc.bias", b, 1, out, 0, 0, 0);
    int dims[2] = {out, in};
    cr_assert_eq(pl_model_writer_add_f32_as_i8(W, "q.weight", 2, dims, w), 0);
    pl_model *m = mfinish();
    pl_nn_dense d, q;
    cr_assert_eq(pl_nn_dense_init(&d, m, "fc", in, out, pl_nn_act_make(0, 0, 0)), 0);
    cr_assert_eq(pl_nn_dense_init(&q, m, "q", -1, -1, pl_nn_act_make(0, 0, 0)), 0);
    cr_assert_eq(q.in, in);
    cr_assert_null(q.bias);
    const pl_tensor *qt = pl_model_find(m, "q.weight");
    const int8_t *q8 = qt->data;
    double *ref = malloc(sizeof(double) * n * out), *mag = malloc(sizeof(double) * n * out);
    double *rq = malloc(sizeof(double) * n * out), *mq = malloc(sizeof(double) * n * out);
    for (int i = 0; i < n; i++)
      for (int o = 0; o < out; o++) {
        double s = b[o], a = fabs(b[o]), sq = 0, aq = 0;
        for (int k = 0; k < in; k++) {
          double t = (double)w[o * in + k] * x[i * in + k];
          double tq = (double)q8[o * in + k] * qt->scales[o] * x[i * in + k];
          s += t, a += fabs(t), sq += tq, aq += fabs(tq);
        }
        ref[i * out + o] = s, mag[i * out + o] = a;
        rq[i * out + o] = sq, mq[i * out + o] = aq;
      }
    float *y = malloc(sizeof(float) * n * out);
    for (int isa = 0; isa < nisa(); isa++) {
      set_isa(isa);
      pl_nn_dense_forward(&d, x, y);
      check("dense", y, ref, mag, out);
      pl_nn_dense_forward_batch(&d, x, n, y);
      check("dense batch", y, ref, mag, (size_t)n * out);
      pl_nn_dense_forward_batch(&q, x, n, y);
      check("dense int8", y, rq, mq, (size_t)n * out);
    }
    free(y), free(ref), free(mag), free(rq), free(mq), free(w), free(b), free(x);
    pl_model_free(m);
  }
}

/* Reference recurrent steps in double. */
static void ref_rnn_step(pl_nn_cell cell, int in, int H, const float *wih,
                         const float *whh, const float *bih, const float *bhh,
                         const float *v, const double *x, double *h,
                         double *c) {
  int G = cell == PL_NN_LSTM ? 4 : 3;
  double *gi = calloc((size_t)G * H, sizeof(double));
  double *gh = calloc((size_t)G * H, sizeof(double));
  for (int r = 0; r < G * H; r++) {
    gi[r] = bih && cell != PL_NN_SRU ? bih[r] : 0;
    for (int k = 0; k < in; k++)
      gi[r] += (double)wih[r * in + k] * x[k];
    if (cell != PL_NN_SRU) {
      gh[r] = bhh ? bhh[r] : 0;
      for (int k = 0; k < H; k++)
        gh[r] += (double)whh[r * H + k] * h[k];
    }
  }
  for (int i = 0; i < H; i++) {
    if (cell == PL_NN_GRU) {
      double r = sig(gi[i] + gh[i]), z = sig(gi[H + i] + gh[H + i]);
      double n = tanh(gi[2 * H + i] + r * gh[2 * H + i]);
      h[i] = (1 - z) * n + z * h[i];
    } else if (cell == PL_NN_LSTM) {
      double ig = sig(gi[i] + gh[i]), f = sig(gi[H + i] + gh[H + i]);
      double g = tanh(gi[2 * H + i] + gh[2 * H + i]);
      double o = sig(gi[3 * H + i] + gh[3 * H + i]);
      c[i] = f * c[i] + ig * g;
      h[i] = o * tanh(c[i]);
    } else {
      double f = sig(gi[H + i] + v[i] * c[i] + bih[i]);
      double r = sig(gi[2 * H + i] + v[H + i] * c[i] + bih[H + i]);
      c[i] = f * c[i] + (1 - f) * gi[i];
      h[i] = r * tanh(c[i]) + (1 - r) * x[i];
    }
  }
  free(gi);
  free(gh);
}

static void rnn_case(pl_nn_cell cell, int layer_names) {
  static const char *const pfx[] = {"gru", "lstm", "sru"};
  for (int trial = 0; trial < 12; trial++) {
    int H = irand(1, 70), in = cell == PL_NN_SRU ? H : irand(1, 50),
        T = irand(1, 12);
    int G = cell == PL_NN_LSTM ? 4 : 3;
    float sc = 1.0f / sqrtf((float)H);
    float *wih = rvec((size_t)G * H * in, sc), *whh = rvec((size_t)G * H * H, sc);
    float *bih = rvec((size_t)G * H, 0.5f), *bhh = rvec((size_t)G * H, 0.5f);
    float *v = rvec(2 * (size_t)H, 0.5f), *x = rvec((size_t)T * in, 2);
    mstart();
    char n1[64], n2[64], n3[64], n4[64];
    const char *sfx = layer_names ? "_l0" : "";
    if (cell == PL_NN_SRU) {
      madd("sru.weight", wih, 2, 3 * H, in, 0, 0);
      madd("sru.v", v, 1, 2 * H, 0, 0, 0);
      madd("sru.bias", bih, 1, 2 * H, 0, 0, 0);
    } else {
      snprintf(n1, 64, "%s.weight_ih%s", pfx[cell], sfx);
      snprintf(n2, 64, "%s.weight_hh%s", pfx[cell], sfx);
      snprintf(n3, 64, "%s.bias_ih%s", pfx[cell], sfx);
      snprintf(n4, 64, "%s.bias_hh%s", pfx[cell], sfx);
      madd(n1, wih, 2, G * H, in, 0, 0);
      madd(n2, whh, 2, G * H, H, 0, 0);
      madd(n3, bih, 1, G * H, 0, 0, 0);
      madd(n4, bhh, 1, G * H, 0, 0, 0);
    }
    pl_model *m = mfinish();
    pl_nn_rnn l;
    cr_assert_eq(pl_nn_rnn_init(&l, m, cell, pfx[cell], layer_names ? 0 : -1, -1, -1), 0);
    cr_assert_eq(l.hidden, H);
    cr_assert_eq(l.in, in);
    double *h = calloc(H, sizeof(double)), *c = calloc(H, sizeof(double));
    double *xd = malloc(sizeof(double) * in), *ref = malloc(sizeof(double) * T * H);
    for (int t = 0; t < T; t++) {
      for (int k = 0; k < in; k++)
        xd[k] = x[t * in + k];
      ref_rnn_step(cell, in, H, wih, whh, bih, bhh, v, xd, h, c);
      memcpy(ref + t * H, h, sizeof(double) * H);
    }
    float *y = malloc(sizeof(float) * T * H);
    for (int isa = 0; isa < nisa(); isa++) {
      set_isa(isa);
      pl_nn_rnn_state s;
      cr_assert_eq(pl_nn_rnn_state_init(&s, &l), 0);
      pl_nn_rnn_forward(&s, x, T, y);
      check(pfx[cell], y, ref, NULL, (size_t)T * H);
      /* Streaming: the same sequence fed in two calls gives the same h. */
      pl_nn_rnn_state_reset(&s);
      int split = T / 2;
      pl_nn_rnn_forward(&s, x, split, NULL);
      pl_nn_rnn_forward(&s, x + split * in, T - split, y);
      check(pfx[cell], y, ref + split * H, NULL, (size_t)(T - split) * H);
      pl_nn_rnn_state_free(&s);
    }
    free(y), free(h), free(c), free(xd), free(ref);
    free(wih), free(whh), free(bih), free(bhh), free(v), free(x);
    pl_model_free(m);
  }
}

Test(nn, gru_matches_reference_with_torch_gate_layout) { rnn_case(PL_NN_GRU, 1); }
Test(nn, grucell_names_without_layer_suffix) { rnn_case(PL_NN_GRU, 0); }
Test(nn, lstm_matches_reference) { rnn_case(PL_NN_LSTM, 1); }
Test(nn, sru_matches_reference) { rnn_case(PL_NN_SRU, 0); }

Test(nn, rnn_refuses_inconsistent_shapes) {
  float w[3 * 4 * 5] = {0};
  mstart();
  madd("g.weight_ih_l0", w, 2, 12, 5, 0, 0);
  madd("g.weight_hh_l0", w, 2, 12, 5, 0, 0); /* should be (12, 4) */
  pl_model *m = mfinish();
  pl_nn_rnn l;
  cr_assert_eq(pl_nn_rnn_init(&l, m, PL_NN_GRU, "g", 0, -1, -1), PL_EFORMAT);
  cr_assert_eq(pl_nn_rnn_init(&l, m, PL_NN_GRU, "g", 1, -1, -1), PL_ENOENT);
  pl_model_free(m);
}

Test(nn, causal_conv1d_streams_like_a_zero_padded_convolution) {
  for (int trial = 0; trial < 30; trial++) {
    int groups = irand(1, 3), in = groups * irand(1, 6), out = groups * irand(1, 6);
    int k = irand(1, 5), d = irand(1, 4), T = irand(1, 30);
    int ing = in / groups, outg = out / groups;
    float *w = rvec((size_t)out * ing * k, 1), *b = rvec(out, 1), *x = rvec((size_t)T * in, 1);
    mstart();
    madd("c.weight", w, 3, out, ing, k, 0);
    madd("c.bias", b, 1, out, 0, 0, 0);
    pl_model *m = mfinish();
    pl_nn_conv1d l;
    cr_assert_eq(pl_nn_conv1d_init(&l, m, "c", in, out, k, d, groups,
                                   pl_nn_act_make(0, 0, 0)), 0);
    double *ref = malloc(sizeof(double) * T * out), *mag = malloc(sizeof(double) * T * out);
    for (int t = 0; t < T; t++)
      for (int o = 0; o < out; o++) {
        int g = o / outg;
        double s = b[o], a = fabs(b[o]);
        for (int i = 0; i < ing; i++)
          for (int kk = 0; kk < k; kk++) {
            int ts = t - (k - 1 - kk) * d;
            if (ts < 0)
              continue;
            double v = (double)w[(o * ing + i) * k + kk] * x[ts * in + g * ing + i];
            s += v, a += fabs(v);
          }
        ref[t * out + o] = s, mag[t * out + o] = a;
      }
    float *y = malloc(sizeof(float) * T * out);
    for (int isa = 0; isa < nisa(); isa++) {
      set_isa(isa);
      pl_nn_conv1d_state s;
      cr_assert_eq(pl_nn_conv1d_state_init(&s, &l), 0);
      for (int t0 = 0; t0 < T;) { /* uneven chunks */
        int n = irand(1, 4);
        n = n > T - t0 ? T - t0 : n;
        pl_nn_conv1d_forward(&s, x + t0 * in, n, y + t0 * out);
        t0 += n;
      }
      check("conv1d", y, ref, mag, (size_t)T * out);
      pl_nn_conv1d_state_reset(&s);
      pl_nn_conv1d_forward(&s, x, T, y);
      check("conv1d reset", y, ref, mag, (size_t)T * out);
      pl_nn_conv1d_state_free(&s);
    }
    free(y), free(ref), free(mag), free(w), free(b), free(x);
    pl_model_free(m);
  }
}

/* Reference conv2d / transposed conv2d in double, straight from torch's
 * definitions. */
static void ref_conv2d(const pl_nn_conv2d_cfg *c, const float *w,
                       const float *b, const float *x, int H, int W, int OH,
                       int OW, double *y, double *mag) {
  int cin_g = c->in / c->groups, cout_g = c->out / c->groups;
  size_t plane = (size_t)OH * OW;
  for (int o = 0; o < c->out; o++)
    for (size_t p = 0; p < plane; p++) {
      y[o * plane + p] = b ? b[o] : 0;
      mag[o * plane + p] = b ? fabs(b[o]) : 0;
    }
  for (int g = 0; g < c->groups; g++)
    for (int ci = 0; ci < cin_g; ci++)
      for (int co = 0; co < cout_g; co++)
        for (int kh = 0; kh < c->kh; kh++)
          for (int kw = 0; kw < c->kw; kw++) {
            int I = g * cin_g + ci, O = g * cout_g + co;
            double wv = c->transposed
                            ? w[((I * cout_g + co) * c->kh + kh) * c->kw + kw]
                            : w[((O * cin_g + ci) * c->kh + kh) * c->kw + kw];
            if (!c->transposed) {
              for (int oy = 0; oy < OH; oy++)
                for (int ox = 0; ox < OW; ox++) {
                  int iy = oy * c->sh - c->ph + kh * c->dh;
                  int ix = ox * c->sw - c->pw + kw * c->dw;
                  if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                    continue;
                  double v = wv * x[(I * H + iy) * W + ix];
                  y[O * plane + oy * OW + ox] += v;
                  mag[O * plane + oy * OW + ox] += fabs(v);
                }
            } else {
              for (int iy = 0; iy < H; iy++)
                for (int ix = 0; ix < W; ix++) {
                  int oy = iy * c->sh - c->ph + kh * c->dh;
                  int ox = ix * c->sw - c->pw + kw * c->dw;
                  if (oy < 0 || oy >= OH || ox < 0 || ox >= OW)
                    continue;
                  double v = wv * x[(I * H + iy) * W + ix];
                  y[O * plane + oy * OW + ox] += v;
                  mag[O * plane + oy * OW + ox] += fabs(v);
                }
            }
          }
}

static void conv2d_case(bool transposed, int depthwise, bool pointwise) {
  int done = 0;
  while (done < 60) {
    pl_nn_conv2d_cfg c = {0};
    c.transposed = transposed;
    int g = depthwise ? irand(1, 9) : irand(1, 3);
    c.groups = g;
    c.in = g * (depthwise ? 1 : irand(1, 6));
    c.out = g * (depthwise ? irand(1, 2) : irand(1, 9));
    c.kh = irand(1, 5), c.kw = irand(1, 5);
    c.sh = irand(1, 3), c.sw = irand(1, 3);
    c.dh = irand(1, 2), c.dw = irand(1, 2);
    c.ph = irand(0, 2), c.pw = irand(0, 2);
    if (pointwise) /* the in-place matrix-product path */
      c.kh = c.kw = c.sh = c.sw = 1, c.ph = c.pw = 0;
    if (transposed) {
      c.oph = irand(0, 1) && (c.sh > 1 || c.dh > 1) ? 1 : 0;
      c.opw = irand(0, 1) && (c.sw > 1 || c.dw > 1) ? 1 : 0;
    }
    int H = irand(1, 20), Wd = irand(1, pointwise ? 90 : 45);
    size_t wn = (size_t)c.out * (c.in / g) * c.kh * c.kw;
    float *w = rvec(wn, 1), *b = rvec(c.out, 1), *x = rvec((size_t)c.in * H * Wd, 1);
    mstart();
    if (transposed)
      madd("k.weight", w, 4, c.in, c.out / g, c.kh, c.kw);
    else
      madd("k.weight", w, 4, c.out, c.in / g, c.kh, c.kw);
    if (done % 3)
      madd("k.bias", b, 1, c.out, 0, 0, 0);
    pl_model *m = mfinish();
    pl_nn_conv2d l;
    cr_assert_eq(pl_nn_conv2d_init(&l, m, "k", &c, pl_nn_act_make(0, 0, 0)), 0);
    int OH, OW;
    if (pl_nn_conv2d_out_size(&l, H, Wd, &OH, &OW)) {
      free(w), free(b), free(x);
      pl_model_free(m);
      continue; /* kernel larger than the padded input */
    }
    size_t on = (size_t)c.out * OH * OW;
    double *ref = malloc(sizeof(double) * on), *mag = malloc(sizeof(double) * on);
    ref_conv2d(&c, w, done % 3 ? b : NULL, x, H, Wd, OH, OW, ref, mag);
    float *y = malloc(sizeof(float) * on);
    float *scratch = malloc(sizeof(float) * pl_nn_conv2d_scratch_floats(&l, H, Wd));
    for (int isa = 0; isa < nisa(); isa++) {
      set_isa(isa);
      memset(y, 0xff, sizeof(float) * on); /* NaN: every output must be written */
      cr_assert_eq(pl_nn_conv2d_forward(&l, x, H, Wd, y, scratch), 0);
      check(transposed ? "convT2d" : "conv2d", y, ref, mag, on);
    }
    free(y), free(scratch), free(ref), free(mag), free(w), free(b), free(x);
    pl_model_free(m);
    done++;
  }
}

Test(nn, conv2d_matches_reference_for_strides_padding_dilation_groups) {
  conv2d_case(false, 0, false);
}
Test(nn, depthwise_conv2d_matches_reference) { conv2d_case(false, 1, false); }
Test(nn, pointwise_1x1_conv2d_matches_reference_including_tails) {
  conv2d_case(false, 0, true);
  conv2d_case(false, 1, true);
}
Test(nn, transposed_conv2d_matches_reference) { conv2d_case(true, 0, false); }
Test(nn, depthwise_transposed_conv2d_matches_reference) {
  conv2d_case(true, 1, false);
}

Test(nn, conv2d_prelu_is_per_output_channel) {
  pl_nn_conv2d_cfg c = {.in = 1, .out = 2, .kh = 1, .kw = 1};
  float w[2] = {1, -1}, slope[2] = {0.5f, 0.25f}, x[3] = {1, -2, 4}, y[6], s[256];
  mstart();
  madd("k.weight", w, 4, 2, 1, 1, 1);
  madd("a.weight", slope, 1, 2, 0, 0, 0);
  pl_model *m = mfinish();
  pl_nn_act act;
  cr_assert_eq(pl_nn_act_prelu(&act, m, "a.weight", 2), 0);
  pl_nn_conv2d l;
  cr_assert_eq(pl_nn_conv2d_init(&l, m, "k", &c, act), 0);
  cr_assert_leq(pl_nn_conv2d_scratch_floats(&l, 1, 3), 256);
  cr_assert_eq(pl_nn_conv2d_forward(&l, x, 1, 3, y, s), 0);
  float want[6] = {1, -1, 4, -0.25f, 2, -1};
  for (int i = 0; i < 6; i++)
    cr_assert_eq(y[i], want[i], "i=%d %g", i, y[i]);
  c.kh = 4; /* larger than the input without padding */
  cr_assert_eq(pl_nn_conv2d_init(&l, m, "k", &c, act), PL_EFORMAT);
  pl_model_free(m);
}

Test(nn, pixel_shuffle_moves_channels_to_space_like_torch) {
  int C = 3, H = 4, Wd = 5, r = 2;
  float x[3 * 4 * 4 * 5], y[3 * 4 * 4 * 5];
  for (int i = 0; i < 240; i++)
    x[i] = (float)i;
  pl_nn_pixel_shuffle(x, C, H, Wd, r, y);
  for (int c = 0; c < C; c++)
    for (int oy = 0; oy < H * r; oy++)
      for (int ox = 0; ox < Wd * r; ox++) {
        int src = ((c * r * r + (oy % r) * r + ox % r) * H + oy / r) * Wd + ox / r;
        cr_assert_eq(y[(c * H * r + oy) * Wd * r + ox], x[src]);
      }
}

Test(nn, layernorm_matches_reference) {
  int D = 37, rows = 5;
  float *g = rvec(D, 1), *b = rvec(D, 1), *x = rvec((size_t)D * rows, 3);
  mstart();
  madd("ln.weight", g, 1, D, 0, 0, 0);
  madd("ln.bias", b, 1, D, 0, 0, 0);
  pl_model *m = mfinish();
  pl_nn_layernorm l;
  cr_assert_eq(pl_nn_layernorm_init(&l, m, "ln", D, 1e-5f), 0);
  double ref[5 * 37];
  for (int r = 0; r < rows; r++) {
    double mu = 0, var = 0;
    for (int i = 0; i < D; i++)
      mu += x[r * D + i];
    mu /= D;
    for (int i = 0; i < D; i++)
      var += (x[r * D + i] - mu) * (x[r * D + i] - mu);
    var /= D;
    for (int i = 0; i < D; i++)
      ref[r * D + i] = (x[r * D + i] - mu) / sqrt(var + 1e-5) * g[i] + b[i];
  }
  float y[5 * 37];
  pl_nn_layernorm_forward(&l, x, rows, y);
  check("layernorm", y, ref, NULL, (size_t)rows * D);
  pl_nn_layernorm_forward(&l, x, rows, x); /* in place */
  check("layernorm in place", x, ref, NULL, (size_t)rows * D);
  free(g), free(b), free(x);
  pl_model_free(m);
}

Test(nn, gru_with_int8_weights_matches_dequantised_reference) {
  int H = 40, in = 24, T = 6;
  float *wih = rvec((size_t)3 * H * in, 0.3f), *whh = rvec((size_t)3 * H * H, 0.3f);
  float *bih = rvec(3 * H, 0.5f), *bhh = rvec(3 * H, 0.5f), *x = rvec((size_t)T * in, 2);
  mstart();
  int d1[2] = {3 * H, in}, d2[2] = {3 * H, H};
  cr_assert_eq(pl_model_writer_add_f32_as_i8(W, "g.weight_ih_l0", 2, d1, wih), 0);
  cr_assert_eq(pl_model_writer_add_f32_as_i8(W, "g.weight_hh_l0", 2, d2, whh), 0);
  madd("g.bias_ih_l0", bih, 1, 3 * H, 0, 0, 0);
  madd("g.bias_hh_l0", bhh, 1, 3 * H, 0, 0, 0);
  pl_model *m = mfinish();
  /* The reference runs on what the int8 tensors represent. */
  const pl_tensor *qi = pl_model_find(m, "g.weight_ih_l0"), *qh = pl_model_find(m, "g.weight_hh_l0");
  for (int r = 0; r < 3 * H; r++) {
    for (int k = 0; k < in; k++)
      wih[r * in + k] = ((const int8_t *)qi->data)[r * in + k] * qi->scales[r];
    for (int k = 0; k < H; k++)
      whh[r * H + k] = ((const int8_t *)qh->data)[r * H + k] * qh->scales[r];
  }
  pl_nn_rnn l;
  cr_assert_eq(pl_nn_rnn_init(&l, m, PL_NN_GRU, "g", 0, in, H), 0);
  cr_assert_not_null(l.w_ih8);
  cr_assert_null(l.w_ih);
  double h[40] = {0}, xd[24], ref[6 * 40];
  for (int t = 0; t < T; t++) {
    for (int k = 0; k < in; k++)
      xd[k] = x[t * in + k];
    ref_rnn_step(PL_NN_GRU, in, H, wih, whh, bih, bhh, NULL, xd, h, NULL);
    memcpy(ref + t * H, h, sizeof(double) * H);
  }
  float y[6 * 40];
  for (int isa = 0; isa < nisa(); isa++) {
    set_isa(isa);
    pl_nn_rnn_state s;
    cr_assert_eq(pl_nn_rnn_state_init(&s, &l), 0);
    pl_nn_rnn_forward(&s, x, T, y);
    check("gru int8", y, ref, NULL, (size_t)T * H);
    pl_nn_rnn_state_free(&s);
  }
  free(wih), free(whh), free(bih), free(bhh), free(x);
  pl_model_free(m);
}
