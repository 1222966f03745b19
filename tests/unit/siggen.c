/* Test signal generators: frequency, level, spectrum shape, determinism, and
 * the structure of the speech-like signal. */
#include <criterion/criterion.h>
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/siggen/siggen.h"
#include "parley.h"

static float *make(const pl_siggen_config *c, int n) {
  pl_siggen g;
  cr_assert_eq(pl_siggen_init(&g, c), 0);
  float *x = malloc(sizeof(float) * (size_t)n * (size_t)c->channels);
  pl_siggen_fill(&g, x, n);
  return x;
}

/* Frequency from interpolated rising zero crossings over [a, b). */
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
  return count > 1 ? (count - 1) * rate / (last - first) : 0;
}

static double rms(const float *x, int n) {
  double s = 0;
  for (int i = 0; i < n; i++)
    s += (double)x[i] * x[i];
  return sqrt(s / n);
}

static void fft(double complex *a, int n) {
  for (int i = 1, j = 0; i < n; i++) {
    int bit = n >> 1;
    for (; j & bit; bit >>= 1)
      j ^= bit;
    j ^= bit;
    if (i < j) {
      double complex t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
  for (int len = 2; len <= n; len <<= 1) {
    double complex w = cexp(-2.0 * I * M_PI / len);
    for (int i = 0; i < n; i += len) {
      double complex wn = 1;
      for (int k = 0; k < len / 2; k++) {
        double complex u = a[i + k], v = a[i + k + len / 2] * wn;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
        wn *= w;
      }
    }
  }
}

#define NFFT 4096
/* Welch power spectrum (Hann, no overlap), NFFT/2 bins. */
static void psd(const float *x, int n, double *p) {
  double complex *a = malloc(sizeof *a * NFFT);
  memset(p, 0, sizeof(double) * NFFT / 2);
  for (int s = 0; s + NFFT <= n; s += NFFT) {
    for (int i = 0; i < NFFT; i++)
      a[i] = x[s + i] * (0.5 - 0.5 * cos(2 * M_PI * i / NFFT));
    fft(a, NFFT);
    for (int k = 0; k < NFFT / 2; k++)
      p[k] += creal(a[k] * conj(a[k]));
  }
  free(a);
}

/* Least-squares slope of band power density (dB) per octave, over octave
 * bands starting at lo Hz. */
static double octave_slope(const double *p, int rate, double lo, int octaves) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int o = 0; o < octaves; o++) {
    double f0 = lo * pow(2, o), f1 = 2 * f0, e = 0;
    int k0 = (int)(f0 * NFFT / rate), k1 = (int)(f1 * NFFT / rate);
    for (int k = k0; k < k1; k++)
      e += p[k];
    double y = 10 * log10(e / (k1 - k0));
    sx += o;
    sy += y;
    sxx += o * o;
    sxy += o * y;
  }
  return (octaves * sxy - sx * sy) / (octaves * sxx - sx * sx);
}

Test(siggen, sine_has_exact_frequency_and_level) {
  pl_siggen_config c;
  pl_siggen_config_default(&c, PL_SIG_SINE);
  int n = 48000;
  float *x = make(&c, n);
  cr_expect_float_eq(zc_freq(x, 0, n, 48000), 1000.0, 1e-3);
  cr_expect_float_eq(rms(x, n), 0.5 / sqrt(2), 1e-4);
  float peak = 0;
  for (int i = 0; i < n; i++)
    peak = fmaxf(peak, fabsf(x[i]));
  cr_expect_float_eq(peak, 0.5, 1e-4);
  cr_expect_float_eq(x[0], 0.0, 1e-9); /* starts at phase 0 */
  free(x);
  /* 44.1 kHz: the same tone. */
  c.rate = 44100;
  c.f1 = 997;
  x = make(&c, 44100);
  cr_expect_float_eq(zc_freq(x, 0, 44100, 44100), 997.0, 1e-3);
  free(x);
}

Test(siggen, dual_tone_has_both_tones_at_half_amplitude) {
  pl_siggen_config c;
  pl_siggen_config_default(&c, PL_SIG_DUAL_TONE);
  c.f1 = 750; /* on FFT bins: 750 = 64 * 48000/4096 */
  c.f2 = 1500;
  float *x = make(&c, NFFT * 4);
  double *p = malloc(sizeof(double) * NFFT / 2);
  psd(x, NFFT * 4, p);
  double a = p[64], b = p[128], off = p[96];
  cr_expect_float_eq(10 * log10(a / b), 0.0, 0.1);
  cr_expect_gt(10 * log10(a / off), 60.0);
  /* Each tone at amplitude/2 = 0.25: total RMS sqrt(2 * 0.25^2 / 2). */
  cr_expect_float_eq(rms(x, NFFT * 4), 0.25, 1e-3);
  free(p);
  free(x);
}

Test(siggen, log_sweep_follows_exponential_frequency) {
  pl_siggen_config c;
  pl_siggen_config_default(&c, PL_SIG_SWEEP);
  c.f1 = 100;
  c.f2 = 10000;
  c.sweep_s = 1.0;
  float *x = make(&c, 96000);
  /* f(t) = 100 * 100^t: 316 Hz at 0.25 s, 1 kHz at 0.5, 3.16 kHz at 0.75. */
  static const double ts[] = {0.25, 0.5, 0.75};
  for (int i = 0; i < 3; i++) {
    int mid = (int)(ts[i] * 48000), half = 480;
    double f = zc_freq(x, mid - half, mid + half, 48000);
    double want = 100 * pow(100, ts[i]);
    cr_expect(fabs(f / want - 1) < 0.02, "t=%.2f: %.1f Hz, want %.1f", ts[i], f, want);
  }
  /* It repeats: the second period equals the first. */
  cr_expect_eq(memcmp(x, x + 48000, sizeof(float) * 48000), 0);
  free(x);
}

Test(siggen, white_noise_is_flat_with_the_requested_rms) {
  pl_siggen_config c;
  pl_siggen_config_default(&c, PL_SIG_WHITE);
  int n = NFFT * 48;
  float *x = make(&c, n);
  cr_expect(fabs(rms(x, n) / (0.5 / sqrt(2)) - 1) < 0.01, "rms %.4f", rms(x, n));
  double *p = malloc(sizeof(double) * NFFT / 2);
  psd(x, n, p);
  double s = octave_slope(p, 48000, 93.75, 7);
  cr_expect(fabs(s) < 0.5, "white slope %.2f dB/octave", s);
  free(p);
  free(x);
}

Test(siggen, pink_noise_falls_3db_per_octave) {
  pl_siggen_config c;
  pl_siggen_config_default(&c, PL_SIG_PINK);
  int n = NFFT * 96;
  float *x = make(&c, n);
  cr_expect(fabs(rms(x, n) / (0.5 / sqrt(2)) - 1) < 0.1, "rms %.4f", rms(x, n));
  double *p = malloc(sizeof(double) * NFFT / 2);
  psd(x, n, p);
  double s = octave_slope(p, 48000, 46.875, 8); /* 47 Hz .. 12 kHz */
  cr_expect(fabs(s + 3.01) < 0.7, "pink slope %.2f dB/octave", s);
  free(p);
  free(x);
}

Test(siggen, same_seed_same_signal_other_seed_other_signal) {
  static const pl_sig_kind kinds[] = {PL_SIG_WHITE, PL_SIG_PINK, PL_SIG_SPEECH};
  for (int k = 0; k < 3; k++) {
    pl_siggen_config c;
    pl_siggen_config_default(&c, kinds[k]);
    c.seed = 42;
    float *a = make(&c, 48000), *b = make(&c, 48000);
    c.seed = 43;
    float *d = make(&c, 48000);
    cr_expect_eq(memcmp(a, b, sizeof(float) * 48000), 0, "kind %d", k);
    cr_expect_neq(memcmp(a, d, sizeof(float) * 48000), 0, "kind %d", k);
    free(a);
    free(b);
    free(d);
  }
}

/* Normalised autocorrelation pitch in 60..400 Hz of one 30 ms window: the
 * shortest lag within 90 % of the best, so that twice the period never
 * wins, and normalised so that a rising or falling envelope does not
 * favour long or short lags. */
static double pitch(const float *x) {
  static double c[801];
  double bv = 0, e0 = 0;
  for (int i = 0; i < 1440; i++)
    e0 += x[i] * x[i];
  for (int lag = 120; lag <= 800; lag++) {
    double xy = 0, e1 = 0;
    for (int i = 0; i < 1440; i++) {
      xy += x[i] * x[i + lag];
      e1 += x[i + lag] * x[i + lag];
    }
    c[lag] = xy / sqrt(e0 * e1 + 1e-30);
    bv = fmax(bv, c[lag]);
  }
  if (bv < 0.5)
    return 0;
  for (int lag = 121; lag < 800; lag++)
    if (c[lag] >= 0.9 * bv && c[lag] >= c[lag - 1] && c[lag] >= c[lag + 1])
      return 48000.0 / lag;
  return 0;
}

Test(siggen, speech_like_has_syllables_pauses_and_gliding_pitch) {
  pl_siggen_config c;
  pl_siggen_config_default(&c, PL_SIG_SPEECH);
  c.seed = 11;
  int secs = 30, n = 48000 * secs;
  float *x = make(&c, n);
  int frames = n / 480, silent = 0, onsets = 0;
  bool was_loud = false;
  float peak = 0;
  for (int f = 0; f < frames; f++) {
    double r = rms(x + f * 480, 480);
    bool loud = r > 0.01;
    silent += r < 1e-4;
    onsets += loud && !was_loud;
    was_loud = loud;
  }
  for (int i = 0; i < n; i++)
    peak = fmaxf(peak, fabsf(x[i]));
  double pause_share = (double)silent / frames, rate = (double)onsets / secs;
  /* Conversational speech: ~3-5 syllables/s while talking, 20-50 % pauses. */
  cr_expect(pause_share > 0.15 && pause_share < 0.6, "pauses %.2f", pause_share);
  cr_expect(rate > 1.5 && rate < 6.0, "syllables/s %.2f", rate);
  cr_expect(peak <= 0.5f && peak > 0.15f, "peak %.3f", peak);
  double fmin = 1e9, fmax = 0;
  int voiced = 0;
  for (int s = 0; s + 2300 < n; s += 4800) {
    if (rms(x + s, 1440) < 0.02)
      continue;
    double f = pitch(x + s);
    if (f <= 0)
      continue;
    voiced++;
    fmin = fmin < f ? fmin : f;
    fmax = fmax > f ? fmax : f;
  }
  cr_expect_gt(voiced, 50);
  /* base f0 100..200 Hz, x0.85..1.25 per syllable, 20 % declination:
   * 68..250 Hz (this seed: 84..148 Hz). */
  cr_expect(fmin > 65 && fmax < 260, "f0 %.0f..%.0f Hz", fmin, fmax);
  cr_expect_gt(fmax / fmin, 1.25, "f0 %.0f..%.0f Hz must vary", fmin, fmax);
  /* Harmonics stop at 4 kHz: almost no energy above 4.5 kHz. */
  double *p = malloc(sizeof(double) * NFFT / 2);
  psd(x, n, p);
  double lo = 0, hi = 0;
  for (int k = 1; k < NFFT / 2; k++) {
    if (k * 48000.0 / NFFT < 4500)
      lo += p[k];
    else
      hi += p[k];
  }
  cr_expect_lt(10 * log10(hi / lo), -40.0);
  free(p);
  free(x);
}

Test(siggen, frame_source_emits_10ms_frames_on_a_timeline) {
  pl_siggen_config c;
  pl_siggen_config_default(&c, PL_SIG_SINE);
  c.channels = 2;
  pl_siggen g;
  cr_assert_eq(pl_siggen_init(&g, &c), 0);
  pl_audio_frame f;
  for (int i = 0; i < 5; i++) {
    pl_siggen_frame(&g, &f);
    cr_expect_eq(f.capture_us, i * 10000);
    cr_expect_eq(f.samples, 480);
    cr_expect_eq(f.channels, 2);
    for (int s = 0; s < 480; s++)
      cr_assert_eq(f.pcm[2 * s], f.pcm[2 * s + 1]);
  }
  pl_siggen_config_default(&c, PL_SIG_SILENCE);
  cr_assert_eq(pl_siggen_init(&g, &c), 0);
  pl_siggen_frame(&g, &f);
  for (int s = 0; s < 480; s++)
    cr_assert_eq(f.pcm[s], 0.0f);
}

Test(siggen, rejects_impossible_configs) {
  pl_siggen_config c;
  pl_siggen g;
  pl_siggen_config_default(&c, PL_SIG_SINE);
  c.f1 = 24000;
  cr_expect_eq(pl_siggen_init(&g, &c), PL_EINVAL);
  pl_siggen_config_default(&c, PL_SIG_SINE);
  c.rate = 4000;
  cr_expect_eq(pl_siggen_init(&g, &c), PL_EINVAL);
  pl_siggen_config_default(&c, PL_SIG_WHITE);
  c.amplitude = 1.5;
  cr_expect_eq(pl_siggen_init(&g, &c), PL_EINVAL);
  pl_siggen_config_default(&c, PL_SIG_SWEEP);
  c.sweep_s = 0;
  cr_expect_eq(pl_siggen_init(&g, &c), PL_EINVAL);
  pl_siggen_config_default(&c, PL_SIG_SINE);
  c.channels = 3;
  cr_expect_eq(pl_siggen_init(&g, &c), PL_EINVAL);
}
