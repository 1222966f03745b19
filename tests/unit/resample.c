/* Resampler: frequency and level through a chain of rate changes, output
 * length, time alignment of the one-shot converter, stereo, bad input. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "audio/resample/resample.h"
#include "audio/siggen/siggen.h"
#include "parley.h"

static float *gen(pl_sig_kind kind, int rate, double f1, double f2, int n) {
  pl_siggen_config c;
  pl_siggen_config_default(&c, kind);
  c.rate = rate;
  c.f1 = f1;
  c.f2 = f2;
  c.sweep_s = (double)n / rate;
  pl_siggen g;
  cr_assert_eq(pl_siggen_init(&g, &c), 0);
  float *x = malloc(sizeof(float) * (size_t)n);
  pl_siggen_fill(&g, x, n);
  return x;
}

static double zc_freq(const float *x, int a, int b, int rate) {
  double first = -1, last = -1;
  int count = 0;
  for (int i = a + 1; i < b; i++) {
    if (x[i - 1] < 0 && x[i] >= 0) {
      double t = (i - 1) + x[i - 1] / (x[i - 1] - x[i]);
      if (first < 0)
        first = t;
      last = t;
      count++;
    }
  }
  return count > 1 ? (count - 1) * (double)rate / (last - first) : 0;
}

static double rms(const float *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++)
    s += (double)x[i] * x[i];
  return sqrt(s / n);
}

/* Streams x through a resampler in 10 ms chunks; returns the output frames.
 * With flush, then pushes silence until the filter delay is out too. */
static int stream(int in_rate, int out_rate, int quality, const float *x, int n,
                  float *y, int cap, bool flush) {
  pl_resampler *r = pl_resampler_new(1, in_rate, out_rate, quality);
  cr_assert_not_null(r);
  int chunk = in_rate / 100, got = 0;
  for (int i = 0; i < n;) {
    int take = n - i < chunk ? n - i : chunk, used = 0;
    int w = pl_resampler_process(r, x + i, take, &used, y + got, cap - got);
    cr_assert_geq(w, 0);
    got += w;
    i += used;
  }
  if (flush) {
    int lat = pl_resampler_latency(r), used = 0;
    int w = pl_resampler_process(r, NULL, lat * in_rate / out_rate + 1, &used, y + got,
                                 lat + 1);
    cr_assert_geq(w, 0);
    cr_expect(abs(w - lat) <= 1, "flushed %d, latency %d", w, lat);
    got += w;
  }
  pl_resampler_free(r);
  return got;
}

Test(resample, tone_keeps_frequency_and_level_through_44k1_48k_16k_48k) {
  int n = 44100 * 2;
  float *a = gen(PL_SIG_SINE, 44100, 1000, 0, n);
  float *b = malloc(sizeof(float) * 200000), *c = malloc(sizeof(float) * 200000),
        *d = malloc(sizeof(float) * 200000);
  for (int q = 0; q < 2; q++) {
    int quality = q ? PL_RESAMPLE_QUALITY_FILE : PL_RESAMPLE_QUALITY_REALTIME;
    int nb = stream(44100, 48000, quality, a, n, b, 200000, false);
    int nc = stream(48000, 16000, quality, b, nb, c, 200000, false);
    int nd = stream(16000, 48000, quality, c, nc, d, 200000, true);
    /* Each streaming stage yields ceil(len * out / in) frames +- 1 for its
     * input (its filter delay then comes out with the flush). */
    cr_expect(abs(nb - 96000) <= 1, "44.1k->48k: %d", nb);
    cr_expect(abs(nc - 32000) <= 1, "48k->16k: %d", nc);
    pl_resampler *last = pl_resampler_new(1, 16000, 48000, quality);
    int lat = pl_resampler_latency(last);
    pl_resampler_free(last);
    cr_expect(abs(nd - lat - 96000) <= 1, "16k->48k: %d - %d", nd, lat);
    /* Away from the edges: same tone, same level. */
    double f = zc_freq(d, 4800, nd - 4800, 48000);
    cr_expect(fabs(f - 1000.0) < 0.05, "q%d: %.4f Hz", quality, f);
    double level = 20 * log10(rms(d + 4800, nd - 9600) * sqrt(2) / 0.5);
    /* speex passband ripple is well under 0.1 dB at 1 kHz. */
    cr_expect(fabs(level) < 0.2, "q%d: level %.3f dB", quality, level);
  }
  free(a);
  free(b);
  free(c);
  free(d);
}

static int xcorr_lag(const float *a, const float *b, int n, int maxlag) {
  int best = 0;
  double bv = -1e30;
  for (int lag = -maxlag; lag <= maxlag; lag++) {
    double c = 0;
    for (int i = maxlag; i < n - maxlag; i++)
      c += (double)a[i] * b[i + lag];
    if (c > bv) {
      bv = c;
      best = lag;
    }
  }
  return best;
}

static double snr_db(const float *ref, const float *x, int n) {
  double s = 0, e = 0;
  for (int i = 0; i < n; i++) {
    s += (double)ref[i] * ref[i];
    e += ((double)ref[i] - x[i]) * ((double)ref[i] - x[i]);
  }
  return 10 * log10(s / (e + 1e-30));
}

Test(resample, one_shot_output_is_time_aligned_and_of_exact_length) {
  /* The same analytic sweep generated at both rates is the reference: the
   * resampled signal must match it at lag 0 (+-1 sample). */
  static const int pairs[][2] = {{44100, 48000}, {48000, 16000}, {16000, 48000},
                                 {8000, 44100}, {96000, 48000}, {48000, 192000}};
  for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
    int in = pairs[i][0], out = pairs[i][1];
    int lo = in < out ? in : out;
    double top = 0.35 * lo; /* inside every passband */
    int n = in / 2 + 7;     /* 0.5 s and an odd tail */
    float *x = gen(PL_SIG_SWEEP, in, 50, top, n);
    float *y = NULL;
    size_t ny = 0;
    cr_assert_eq(pl_resample_buffer(1, in, out, PL_RESAMPLE_QUALITY_FILE, x, (size_t)n, &y,
                                     &ny), 0);
    size_t want = ((size_t)n * (size_t)out + (size_t)in - 1) / (size_t)in;
    cr_expect_eq(ny, want, "%d->%d: %zu frames, want %zu", in, out, ny, want);
    cr_expect_eq(ny, pl_resample_out_len((size_t)n, in, out));
    pl_siggen_config c;
    pl_siggen_config_default(&c, PL_SIG_SWEEP);
    c.rate = out;
    c.f1 = 50;
    c.f2 = top;
    c.sweep_s = (double)n / in;
    pl_siggen g;
    cr_assert_eq(pl_siggen_init(&g, &c), 0);
    float *ref = malloc(sizeof(float) * ny);
    pl_siggen_fill(&g, ref, (int)ny);
    int lag = xcorr_lag(ref, y, (int)ny, 40);
    cr_expect(abs(lag) <= 1, "%d->%d: lag %d", in, out, lag);
    /* Away from the edges the waveforms agree to float precision (quality
     * 7, sweep inside the passband): 109.6-111.0 dB measured. */
    int edge = out / 50;
    double s = snr_db(ref + edge, y + edge, (int)ny - 2 * edge);
    cr_expect_gt(s, 90.0, "%d->%d: %.1f dB", in, out, s);
    free(x);
    free(y);
    free(ref);
  }
}

Test(resample, stereo_channels_stay_separate) {
  int n = 48000;
  float *t = gen(PL_SIG_SINE, 48000, 1000, 0, n);
  float *x = calloc(2 * (size_t)n, sizeof(float));
  for (int i = 0; i < n; i++)
    x[2 * i] = t[i]; /* right channel silent */
  float *y = NULL;
  size_t ny = 0;
  cr_assert_eq(pl_resample_buffer(2, 48000, 44100, PL_RESAMPLE_QUALITY_FILE, x, (size_t)n,
                                   &y, &ny), 0);
  cr_expect_eq(ny, 44100);
  double l = 0, r = 0;
  for (size_t i = 0; i < ny; i++) {
    l += (double)y[2 * i] * y[2 * i];
    r += (double)y[2 * i + 1] * y[2 * i + 1];
  }
  cr_expect_gt(l, 1000.0);
  cr_expect_lt(r, 1e-12);
  free(t);
  free(x);
  free(y);
}

Test(resample, realtime_quality_has_less_delay_than_file_quality) {
  pl_resampler *a = pl_resampler_new(1, 44100, 48000, PL_RESAMPLE_QUALITY_REALTIME);
  pl_resampler *b = pl_resampler_new(1, 44100, 48000, PL_RESAMPLE_QUALITY_FILE);
  int la = pl_resampler_latency(a), lb = pl_resampler_latency(b);
  cr_expect_gt(la, 0);
  cr_expect_lt(la, lb);
  /* Under 2 ms for the real-time setting. */
  cr_expect_lt(la, 96, "latency %d frames", la);
  pl_resampler_free(a);
  pl_resampler_free(b);
}

Test(resample, reset_starts_a_fresh_stream) {
  int n = 4800;
  float *x = gen(PL_SIG_WHITE, 48000, 0, 0, n);
  float y1[8000], y2[8000];
  pl_resampler *r = pl_resampler_new(1, 48000, 16000, 5);
  int u = 0;
  int a = pl_resampler_process(r, x, n, &u, y1, 8000);
  cr_assert_eq(u, n);
  pl_resampler_reset(r);
  int b = pl_resampler_process(r, x, n, &u, y2, 8000);
  cr_expect_eq(a, b);
  cr_expect_eq(memcmp(y1, y2, sizeof(float) * (size_t)a), 0);
  pl_resampler_free(r);
  free(x);
}

Test(resample, bad_arguments_are_refused) {
  cr_expect_null(pl_resampler_new(1, 4000, 48000, 5));
  cr_expect_null(pl_resampler_new(1, 48000, 768000, 5));
  cr_expect_null(pl_resampler_new(3, 48000, 16000, 5));
  cr_expect_null(pl_resampler_new(1, 48000, 16000, 11));
  float *y;
  size_t ny;
  cr_expect_eq(pl_resample_buffer(1, 48000, 16000, 5, NULL, 10, &y, &ny), PL_EINVAL);
  /* An empty buffer converts to an empty buffer. */
  cr_expect_eq(pl_resample_buffer(1, 48000, 16000, 5, NULL, 0, &y, &ny), 0);
  cr_expect_eq(ny, 0);
  free(y);
  cr_expect_eq(pl_resample_out_len(441, 44100, 48000), 480);
  cr_expect_eq(pl_resample_out_len(1, 48000, 16000), 1);
  cr_expect_eq(pl_resample_out_len(3, 48000, 16000), 1);
  cr_expect_eq(pl_resample_out_len(4, 48000, 16000), 2);
}

/* Issue 13: a valid 384 kHz WAV once failed as "out of memory". Every rate
 * a WAV file may have now converts: a 1 kHz tone at 384 kHz is a 1 kHz tone
 * at 48 kHz, at the same level. */
Test(resample, a_384_khz_tone_comes_out_at_48_khz_unchanged) {
  size_t n = 384000 / 2;
  float *x = malloc(n * sizeof *x);
  for (size_t i = 0; i < n; i++)
    x[i] = 0.5f * sinf(2 * (float)M_PI * 1000.0f * (float)i / 384000.0f);
  float *y;
  size_t ny;
  cr_assert_eq(pl_resample_buffer(1, 384000, 48000, 5, x, n, &y, &ny), 0);
  cr_assert(ny > 23900 && ny < 24100, "%zu frames", ny);
  size_t crossings = 0;
  double energy = 0;
  for (size_t i = 2000; i < ny - 2000; i++) {
    crossings += (y[i - 1] < 0) != (y[i] < 0);
    energy += (double)y[i] * y[i];
  }
  double hz = (double)crossings * 48000.0 / 2.0 / (double)(ny - 4000);
  double rms = sqrt(energy / (double)(ny - 4000));
  cr_assert(fabs(hz - 1000) < 5, "%.1f Hz", hz);
  cr_assert(fabs(rms - 0.5 / sqrt(2)) < 0.01, "rms %.4f", rms);
  free(x);
  free(y);
}
