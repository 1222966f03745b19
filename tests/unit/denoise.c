/* Noise-suppressor signal processing (ai/denoise): the mixed-radix FFT
 * against a double-precision DFT, perfect reconstruction, band energies and
 * features against an independent reference, pitch on known periods, and
 * the training targets in the cases with a closed-form answer. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ai/denoise/dsp.h"
#include "ai/denoise/fft.h"
#include "ai/nn/nn.h"
#include "base/rng.h"

static pl_rng rng;
static void setup(void) { pl_rng_seed(&rng, 777); }
TestSuite(denoise, .init = setup);

static double naive_dft(const float *x, int n, int k, double *im) {
  double re = 0, ii = 0;
  for (int t = 0; t < n; t++) {
    double ph = -2 * M_PI * (double)k * t / n;
    re += x[t] * cos(ph);
    ii += x[t] * sin(ph);
  }
  *im = ii;
  return re;
}

Test(denoise, fft_matches_double_precision_dft_for_every_supported_shape) {
  static const int sizes[] = {960, 480, 32, 30, 40, 18, 250};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    int n = sizes[s];
    pl_dn_fft *f = pl_dn_fft_new(n);
    cr_assert_not_null(f, "n=%d", n);
    float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n);
    pl_dn_cpx *X = malloc(sizeof(pl_dn_cpx) * (n / 2 + 1));
    for (int t = 0; t < n; t++)
      x[t] = (float)(pl_rng_uniform(&rng) * 2 - 1);
    pl_dn_fft_forward(f, x, X);
    for (int k = 0; k <= n / 2; k++) {
      double im, re = naive_dft(x, n, k, &im);
      /* float rounding over n terms of size 1 */
      cr_assert(fabs(X[k].r - re) < 2e-5 * n && fabs(X[k].i - im) < 2e-5 * n,
                "n=%d k=%d got %g%+gi want %g%+gi", n, k, X[k].r, X[k].i, re,
                im);
    }
    cr_assert_eq(X[0].i, 0.0f);
    cr_assert_eq(X[n / 2].i, 0.0f);
    pl_dn_fft_inverse(f, X, y);
    for (int t = 0; t < n; t++)
      cr_assert(fabsf(y[t] - x[t]) < 1e-5f, "n=%d t=%d round trip %g vs %g",
                n, t, y[t], x[t]);
    free(x);
    free(y);
    free(X);
    pl_dn_fft_free(f);
  }
}

Test(denoise, fft_refuses_sizes_it_cannot_factor) {
  cr_assert_null(pl_dn_fft_new(14));  /* 7 */
  cr_assert_null(pl_dn_fft_new(961)); /* odd */
  cr_assert_null(pl_dn_fft_new(2));
  cr_assert_null(pl_dn_fft_new(1 << 17));
  cr_assert_null(pl_dn_fft_new(2 * 11 * 16));
}

static pl_dn_dsp *dsp_new(void) {
  pl_dn_dsp *d = malloc(sizeof *d);
  cr_assert_eq(pl_dn_dsp_init(d), 0);
  return d;
}
static void dsp_free(pl_dn_dsp *d) {
  pl_dn_dsp_free(d);
  free(d);
}

Test(denoise, unit_gains_give_back_the_input_one_frame_late) {
  pl_dn_dsp *d = dsp_new();
  enum { F = 30 };
  float *in = malloc(sizeof(float) * F * PL_DN_FRAME),
        *out = malloc(sizeof(float) * F * PL_DN_FRAME);
  for (int i = 0; i < F * PL_DN_FRAME; i++)
    in[i] = (float)(0.5 * sin(i * 0.01) + 0.2 * pl_rng_normal(&rng));
  float g[PL_DN_BANDS], c[PL_DN_BANDS], feat[PL_DN_NFEAT];
  for (int b = 0; b < PL_DN_BANDS; b++) {
    g[b] = 1;
    c[b] = 0;
  }
  for (int t = 0; t < F; t++) {
    pl_dn_dsp_analyze(d, in + t * PL_DN_FRAME, feat);
    pl_dn_dsp_synthesize(d, g, c, out + t * PL_DN_FRAME);
  }
  for (int i = 0; i < PL_DN_FRAME; i++)
    cr_assert(fabsf(out[i]) < 1e-6f, "the first frame is the silent past");
  for (int i = PL_DN_FRAME; i < F * PL_DN_FRAME; i++)
    cr_assert(fabsf(out[i] - in[i - PL_DN_FRAME]) < 2e-6f, "i=%d %g vs %g", i,
              out[i], in[i - PL_DN_FRAME]);
  /* Gains of one half halve the output exactly (linearity of the path). */
  pl_dn_dsp_reset(d);
  for (int b = 0; b < PL_DN_BANDS; b++)
    g[b] = 0.5f;
  for (int t = 0; t < F; t++) {
    pl_dn_dsp_analyze(d, in + t * PL_DN_FRAME, feat);
    pl_dn_dsp_synthesize(d, g, c, out + t * PL_DN_FRAME);
  }
  for (int i = PL_DN_FRAME; i < F * PL_DN_FRAME; i++)
    cr_assert(fabsf(out[i] - 0.5f * in[i - PL_DN_FRAME]) < 2e-6f);
  free(in);
  free(out);
  dsp_free(d);
}

/* Band energies recomputed independently: window, double DFT, triangular
 * weights from the centres, per-bin PSD normalisation. */
static void ref_loge(const float *frame, double *loge) {
  double w[PL_DN_WIN], x[PL_DN_WIN], e[PL_DN_BINS], band[PL_DN_BANDS] = {0},
                                                     width[PL_DN_BANDS] = {0};
  float xf[PL_DN_WIN];
  for (int n = 0; n < PL_DN_WIN; n++) {
    double s = sin(M_PI * (n + 0.5) / PL_DN_WIN);
    w[n] = sin(0.5 * M_PI * s * s);
    x[n] = frame[n] * w[n];
    xf[n] = (float)x[n];
  }
  for (int k = 0; k < PL_DN_BINS; k++) {
    double im, re = naive_dft(xf, PL_DN_WIN, k, &im);
    e[k] = re * re + im * im;
  }
  for (int k = 0; k < PL_DN_BINS; k++) {
    for (int b = 0; b < PL_DN_BANDS; b++) {
      int c = pl_dn_band_centre[b];
      int lo = b ? pl_dn_band_centre[b - 1] : c;
      int hi = b < PL_DN_BANDS - 1 ? pl_dn_band_centre[b + 1] : c;
      double wt = 0;
      if (k == c)
        wt = 1;
      else if (k > lo && k < c)
        wt = (double)(k - lo) / (c - lo);
      else if (k > c && k < hi)
        wt = (double)(hi - k) / (hi - c);
      band[b] += wt * e[k];
      width[b] += wt;
    }
  }
  for (int b = 0; b < PL_DN_BANDS; b++)
    loge[b] = log10(1e-10 + band[b] / (width[b] * PL_DN_WIN / 2));
}

Test(denoise, band_log_energies_match_an_independent_reference) {
  pl_dn_dsp *d = dsp_new();
  float *x = malloc(sizeof(float) * 4 * PL_DN_FRAME);
  for (int i = 0; i < 4 * PL_DN_FRAME; i++)
    x[i] = (float)(0.1 * pl_rng_normal(&rng) + 0.3 * sin(i * 0.13));
  float feat[PL_DN_NFEAT];
  for (int t = 0; t < 4; t++)
    pl_dn_dsp_analyze(d, x + t * PL_DN_FRAME, feat);
  double ref[PL_DN_BANDS];
  ref_loge(x + 2 * PL_DN_FRAME, ref);
  for (int b = 0; b < PL_DN_BANDS; b++)
    cr_assert(fabs(feat[PL_DN_F_LOGE + b] - ref[b]) < 1e-3, "band %d: %g vs %g",
              b, feat[PL_DN_F_LOGE + b], ref[b]);
  free(x);
  dsp_free(d);
}

Test(denoise, white_noise_reads_its_variance_in_every_band) {
  pl_dn_dsp *d = dsp_new();
  float x[PL_DN_FRAME], feat[PL_DN_NFEAT];
  double acc[PL_DN_BANDS] = {0};
  int frames = 400;
  for (int t = 0; t < frames; t++) {
    for (int i = 0; i < PL_DN_FRAME; i++)
      x[i] = (float)(0.01 * pl_rng_normal(&rng)); /* variance 1e-4 */
    pl_dn_dsp_analyze(d, x, feat);
    if (t >= 2)
      for (int b = 0; b < PL_DN_BANDS; b++)
        acc[b] += pow(10, feat[PL_DN_F_LOGE + b]);
  }
  for (int b = 0; b < PL_DN_BANDS; b++) {
    double db = 10 * log10(acc[b] / (frames - 2));
    /* Narrow low bands average fewer bins: allow them more spread. */
    cr_assert(fabs(db - (-40.0)) < (b < 4 ? 1.0 : 0.3), "band %d: %.2f dB", b,
              db);
  }
  dsp_free(d);
}

Test(denoise, a_tone_lands_in_the_band_centred_on_it) {
  pl_dn_dsp *d = dsp_new();
  for (int b = 1; b < PL_DN_BANDS - 1; b++) {
    double hz = pl_dn_band_centre[b] * 50.0;
    pl_dn_dsp_reset(d);
    float x[PL_DN_FRAME], feat[PL_DN_NFEAT];
    for (int t = 0; t < 3; t++) {
      for (int i = 0; i < PL_DN_FRAME; i++)
        x[i] = (float)(0.5 * sin(2 * M_PI * hz * (t * PL_DN_FRAME + i) / 48000));
      pl_dn_dsp_analyze(d, x, feat);
    }
    int arg = 0;
    for (int k = 1; k < PL_DN_BANDS; k++)
      if (feat[PL_DN_F_LOGE + k] > feat[PL_DN_F_LOGE + arg])
        arg = k;
    cr_assert_eq(arg, b, "%.0f Hz peaks in band %d", hz, arg);
  }
  dsp_free(d);
}

Test(denoise, silence_gives_floor_features_and_no_pitch) {
  pl_dn_dsp *d = dsp_new();
  float x[PL_DN_FRAME] = {0}, feat[PL_DN_NFEAT];
  for (int t = 0; t < 5; t++)
    pl_dn_dsp_analyze(d, x, feat);
  for (int b = 0; b < PL_DN_BANDS; b++) {
    cr_assert_float_eq(feat[PL_DN_F_LOGE + b], -10.0f, 1e-4);
    cr_assert_eq(feat[PL_DN_F_PCORR + b], 0.0f);
  }
  for (int j = 0; j < 2 * PL_DN_CEPS; j++)
    cr_assert_float_eq(feat[PL_DN_F_D1 + j], 0.0f, 1e-5);
  cr_assert_eq(feat[PL_DN_F_PGAIN], 0.0f);
  dsp_free(d);
}

/* A harmonic tone with a given period in samples (not necessarily whole). */
static void tone(float *x, int n, long t0, double period, double amp) {
  for (int i = 0; i < n; i++) {
    double ph = 2 * M_PI * (double)(t0 + i) / period, v = 0;
    for (int h = 1; h <= 6; h++)
      v += sin(h * ph + 0.3 * h) / h;
    x[i] = (float)(amp * v);
  }
}

static int pitch_of(pl_dn_dsp *d, double period, int frames, float *gain) {
  float x[PL_DN_FRAME], feat[PL_DN_NFEAT];
  pl_dn_dsp_reset(d);
  for (int t = 0; t < frames; t++) {
    tone(x, PL_DN_FRAME, (long)t * PL_DN_FRAME, period, 0.2);
    pl_dn_dsp_analyze(d, x, feat);
  }
  *gain = feat[PL_DN_F_PGAIN];
  cr_assert_float_eq(feat[PL_DN_F_PERIOD], d->period * 0.01f, 1e-6);
  return d->period;
}

Test(denoise, pitch_finds_known_periods_from_500_to_60_hz) {
  pl_dn_dsp *d = dsp_new();
  static const int periods[] = {96, 100, 160, 237, 320, 400, 555, 700, 800};
  for (size_t i = 0; i < sizeof periods / sizeof *periods; i++) {
    float g;
    int T = pitch_of(d, periods[i], 6, &g);
    cr_assert_eq(T, periods[i], "period %d found as %d", periods[i], T);
    cr_assert(g > 0.99f, "period %d: correlation %g", periods[i], g);
  }
  /* A fractional period comes out rounded. */
  float g;
  int T = pitch_of(d, 213.4, 6, &g);
  cr_assert_eq(T, 213);
  cr_assert(g > 0.95f);
  dsp_free(d);
}

Test(denoise, pitch_gain_is_low_for_white_noise) {
  pl_dn_dsp *d = dsp_new();
  float x[PL_DN_FRAME], feat[PL_DN_NFEAT];
  double acc = 0;
  for (int t = 0; t < 50; t++) {
    for (int i = 0; i < PL_DN_FRAME; i++)
      x[i] = (float)(0.1 * pl_rng_normal(&rng));
    pl_dn_dsp_analyze(d, x, feat);
    acc += feat[PL_DN_F_PGAIN];
  }
  cr_assert(acc / 50 < 0.25, "mean correlation %g", acc / 50);
  dsp_free(d);
}

Test(denoise, pitch_search_is_the_same_on_scalar_and_avx2_kernels) {
  if (!pl_nn_isa_available(PL_NN_ISA_AVX2))
    cr_skip_test("no AVX2");
  pl_dn_dsp *d = dsp_new();
  int got[2];
  for (int isa = 0; isa < 2; isa++) {
    cr_assert_eq(pl_nn_isa_set(isa ? PL_NN_ISA_AVX2 : PL_NN_ISA_SCALAR), 0);
    float g;
    got[isa] = pitch_of(d, 277, 8, &g);
  }
  cr_assert_eq(got[0], got[1]);
  cr_assert_eq(got[0], 277);
  dsp_free(d);
}

static void targets_for(pl_dn_dsp *d, const float *noisy, const float *clean,
                        int frames, float *rec) {
  float ch[PL_DN_WIN] = {0};
  pl_dn_cpx S[PL_DN_BINS];
  for (int t = 0; t < frames; t++) {
    pl_dn_dsp_analyze(d, noisy + t * PL_DN_FRAME, rec);
    memmove(ch, ch + PL_DN_FRAME, sizeof(float) * (PL_DN_WIN - PL_DN_FRAME));
    memcpy(ch + PL_DN_FRAME, clean + t * PL_DN_FRAME,
           sizeof(float) * PL_DN_FRAME);
    pl_dn_dsp_spectrum(d, ch, S);
    pl_dn_dsp_targets(d, S, rec);
  }
}

Test(denoise, targets_are_unit_gain_for_clean_input_and_zero_for_noise) {
  pl_dn_dsp *d = dsp_new();
  enum { F = 8 };
  float *x = malloc(sizeof(float) * F * PL_DN_FRAME);
  float *z = calloc(F * PL_DN_FRAME, sizeof(float));
  for (int i = 0; i < F * PL_DN_FRAME; i++)
    x[i] = (float)(0.05 * pl_rng_normal(&rng));
  float rec[PL_DN_TRAIN_REC];
  targets_for(d, x, x, F, rec);
  for (int b = 0; b < PL_DN_BANDS; b++) {
    cr_assert_float_eq(rec[PL_DN_T_GAIN + b], 1.0f, 1e-4, "band %d", b);
    cr_assert_float_eq(rec[PL_DN_T_COMB + b], 0.0f, 1e-4, "band %d", b);
    cr_assert_eq(rec[PL_DN_T_WGAIN + b], 1.0f);
  }
  cr_assert(fabsf(rec[PL_DN_T_CLEAN_DB] - rec[PL_DN_T_NOISY_DB]) < 1e-3f);
  /* Variance 0.0025 is -26 dB re full scale (one 20 ms window of noise:
   * within a few tenths). */
  cr_assert(fabsf(rec[PL_DN_T_NOISY_DB] - (-26.0f)) < 0.8f, "%g",
            rec[PL_DN_T_NOISY_DB]);
  pl_dn_dsp_reset(d);
  targets_for(d, x, z, F, rec);
  for (int b = 0; b < PL_DN_BANDS; b++)
    cr_assert_float_eq(rec[PL_DN_T_GAIN + b], 0.0f, 1e-6);
  cr_assert(rec[PL_DN_T_CLEAN_DB] < -110.0f);
  /* Half the input as target: gain one half. */
  for (int i = 0; i < F * PL_DN_FRAME; i++)
    z[i] = 0.5f * x[i];
  pl_dn_dsp_reset(d);
  targets_for(d, x, z, F, rec);
  for (int b = 0; b < PL_DN_BANDS; b++)
    cr_assert_float_eq(rec[PL_DN_T_GAIN + b], 0.5f, 1e-4);
  free(x);
  free(z);
  dsp_free(d);
}

Test(denoise, comb_target_rises_for_a_periodic_target_in_noise) {
  /* Clean: a steady harmonic tone; noisy: the tone plus white noise. The
   * pitch-delayed frame repeats the tone but not the noise, so mixing it in
   * helps: the comb target of the low bands is well above 0. */
  pl_dn_dsp *d = dsp_new();
  enum { F = 10 };
  float *c = malloc(sizeof(float) * F * PL_DN_FRAME),
        *n = malloc(sizeof(float) * F * PL_DN_FRAME);
  tone(c, F * PL_DN_FRAME, 0, 240, 0.2);
  for (int i = 0; i < F * PL_DN_FRAME; i++)
    n[i] = c[i] + (float)(0.05 * pl_rng_normal(&rng));
  float rec[PL_DN_TRAIN_REC];
  targets_for(d, n, c, F, rec);
  cr_assert_eq(d->period, 240);
  double comb = 0;
  for (int b = 0; b < 8; b++)
    comb += rec[PL_DN_T_COMB + b] / 8;
  cr_assert(comb > 0.2, "mean comb target of bands 0-7: %g", comb);
  free(c);
  free(n);
  dsp_free(d);
}
