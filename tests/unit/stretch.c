/* WSOLA time stretching (audio/jitter/stretch.h): the period search on
 * known signals, exact splices on periodic input, and the point of it all:
 * speech stretched by 15-20 % keeps its pitch, where a speed change would
 * move it by as much. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/jitter/stretch.h"
#include "audio/siggen/siggen.h"
#include "base/rng.h"
#include "parley.h"

#define RATE 48000

/* Harmonic complex at f0 with three harmonics (1, 1/2, 1/3). */
static void harmonic(float *x, int n, int ch, double f0, double phase) {
  for (int i = 0; i < n; i++) {
    double t = (double)i / RATE, v = 0;
    for (int h = 1; h <= 3; h++)
      v += 0.3 / h * sin(2 * M_PI * f0 * h * t + phase * h);
    for (int c = 0; c < ch; c++)
      x[i * ch + c] = (float)(c ? -v : v);
  }
}

Test(stretch, finds_the_pitch_period_of_a_harmonic_complex) {
  float x[2000];
  harmonic(x, 2000, 1, 150.0, 0.3); /* period 320 samples */
  pl_stretch_match m;
  cr_assert_eq(pl_stretch_find(x, 2000, 1, PL_STRETCH_MAX_LAG, &m), 0);
  cr_expect(abs(m.lag - 320) <= 1, "lag %d", m.lag);
  cr_expect_gt(m.corr, 0.999f);
  /* 1 kHz: a 48-sample period is below the shortest lag; the first
   * multiple at or above it (144 = 3 periods) is taken, not a longer one. */
  for (int i = 0; i < 2000; i++)
    x[i] = (float)(0.5 * sin(2 * M_PI * 1000.0 * i / RATE));
  cr_assert_eq(pl_stretch_find(x, 2000, 1, PL_STRETCH_MAX_LAG, &m), 0);
  cr_expect_eq(m.lag, 144);
  cr_expect_gt(m.corr, 0.999f);
  cr_expect_float_eq(m.power, 0.125f, 0.002f);
  /* White noise repeats nowhere. */
  pl_rng r;
  pl_rng_seed(&r, 3);
  for (int i = 0; i < 2000; i++)
    x[i] = (float)(pl_rng_uniform(&r) - 0.5);
  cr_assert_eq(pl_stretch_find(x, 2000, 1, PL_STRETCH_MAX_LAG, &m), 0);
  cr_expect_lt(m.corr, 0.3f, "noise corr %.3f", m.corr);
  /* Too short for the shortest lag and its window. */
  cr_expect_eq(pl_stretch_find(x, pl_stretch_need(PL_STRETCH_MIN_LAG) - 1, 1,
                               PL_STRETCH_MAX_LAG, &m),
               PL_ERANGE);
  cr_expect_eq(m.lag, 0);
  /* The longest lag is limited by the input: 2 x 300 samples. */
  harmonic(x, 600, 1, 100.0, 0.0); /* period 480 > 300 */
  cr_assert_eq(pl_stretch_find(x, 600, 1, PL_STRETCH_MAX_LAG, &m), 0);
  cr_expect_leq(m.lag, 300);
}

Test(stretch, splices_of_a_periodic_signal_are_exact) {
  /* Removing or inserting whole periods of a periodic signal must give the
   * same signal, only shorter or longer: the cross-fade blends identical
   * periods. Stereo, with the channels in opposite phase. */
  enum { N = 3000, L = 320 };
  static float x[(N + L) * 2], ref[(N + L) * 2];
  harmonic(ref, N + L, 2, 150.0, 1.1);
  memcpy(x, ref, sizeof(float) * N * 2);
  cr_assert_eq(pl_stretch_remove(x, N, 2, L), 0);
  double err = 0;
  for (int i = 0; i < (N - L) * 2; i++)
    err = fmax(err, fabs(x[i] - ref[i]));
  cr_expect_lt(err, 1e-5, "remove: max error %.2e", err);
  memcpy(x, ref, sizeof(float) * N * 2);
  cr_assert_eq(pl_stretch_insert(x, N, 2, L), 0);
  err = 0;
  for (int i = 0; i < (N + L) * 2; i++)
    err = fmax(err, fabs(x[i] - ref[i]));
  cr_expect_lt(err, 1e-5, "insert: max error %.2e", err);
  cr_expect_eq(pl_stretch_remove(x, 2 * L - 1, 2, L), PL_EINVAL);
  cr_expect_eq(pl_stretch_insert(x, 2 * L - 1, 2, L), PL_EINVAL);
}

Test(stretch, extension_continues_a_period_and_crossfade_hands_over) {
  enum { H = 960, E = 480 };
  float hist[H + E], ext[E], scratch[H];
  harmonic(hist, H + E, 1, 210.0, 0.7);
  int p = pl_stretch_extend(hist, H, 1, scratch, ext, E);
  cr_expect(abs(p - 229) <= 1, "period %d (48000/210 = 228.6)", p);
  /* Not exact (the period is not an integer), but close to the truth. */
  double err = 0;
  for (int i = 0; i < E; i++)
    err = fmax(err, fabs(ext[i] - hist[H + i]));
  cr_expect_lt(err, 0.03, "extension error %.4f", err);
  /* Cross-fade: starts on `from`, ends on dst, never a step larger than
   * the two signals' own steps plus the ramp. */
  float a[240], b[240];
  for (int i = 0; i < 240; i++) {
    a[i] = 0.25f;
    b[i] = -0.25f;
  }
  pl_stretch_crossfade(b, a, 240, 1);
  cr_expect_float_eq(b[0], 0.25f, 1e-3f);
  cr_expect_float_eq(b[239], -0.25f, 1e-3f);
  for (int i = 1; i < 240; i++)
    cr_expect_lt(fabsf(b[i] - b[i - 1]), 0.5f * (float)M_PI / 2 / 240 + 1e-4f);
}

/* f0 of a 40 ms frame by normalised autocorrelation (70-400 Hz), parabolic
 * peak; 0 when not clearly voiced. */
static double frame_f0(const float *x) {
  enum { W = 1920, LO = 120, HI = 686 };
  double best = 0;
  int bl = 0;
  double c[HI + 2];
  for (int l = LO - 1; l <= HI + 1; l++) {
    double xy = 0, xx = 0, yy = 0;
    for (int i = 0; i + l < W; i++) {
      xy += (double)x[i] * x[i + l];
      xx += (double)x[i] * x[i];
      yy += (double)x[i + l] * x[i + l];
    }
    c[l] = xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0;
  }
  for (int l = LO; l <= HI; l++)
    if (c[l] > best && c[l] >= c[l - 1] && c[l] >= c[l + 1]) {
      /* The first strong peak: the period, not a multiple of it. */
      if (best > 0.85 && c[l] < best + 0.05)
        break;
      best = c[l];
      bl = l;
    }
  double e = 0;
  for (int i = 0; i < W; i++)
    e += (double)x[i] * x[i];
  if (best < 0.85 || e / W < 1e-4)
    return 0;
  double d = c[bl - 1] - 2 * c[bl] + c[bl + 1];
  double off = d < 0 ? 0.5 * (c[bl - 1] - c[bl + 1]) / d : 0;
  return RATE / (bl + off);
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Median f0 over voiced 40 ms frames (hop 20 ms). */
static double median_f0(const float *x, int n, int *voiced) {
  int cap = n / 960 + 1, k = 0;
  double *v = malloc(sizeof(double) * (size_t)cap);
  for (int i = 0; i + 1920 <= n; i += 960) {
    double f = frame_f0(x + i);
    if (f > 0)
      v[k++] = f;
  }
  qsort(v, (size_t)k, sizeof(double), cmp_d);
  double med = k ? v[k / 2] : 0;
  free(v);
  *voiced = k;
  return med;
}

/* What the jitter buffer does, over a whole signal: at every 10 ms, when
 * the audio ahead repeats itself (corr >= 0.9), remove or insert one
 * period, until the length is `ratio` of the original. */
static int wsola(float *x, int n, int cap, double ratio) {
  int goal = (int)(n * ratio), pos = 0;
  while (pos + pl_stretch_need(PL_STRETCH_MAX_LAG) < n && n != goal) {
    pl_stretch_match m;
    if (pl_stretch_find(x + pos, n - pos, 1, PL_STRETCH_MAX_LAG, &m) == 0 && m.corr >= 0.9f) {
      if (n > goal && n - m.lag >= goal) {
        pl_stretch_remove(x + pos, n - pos, 1, m.lag);
        n -= m.lag;
      } else if (n < goal && n + m.lag <= cap) {
        pl_stretch_insert(x + pos, n - pos, 1, m.lag);
        n += m.lag;
      }
    }
    pos += 480;
  }
  return n;
}

Test(stretch, speech_stretched_by_wsola_keeps_its_pitch) {
  enum { N = 48000 * 8 };
  float *src = malloc(sizeof(float) * N);
  float *buf = malloc(sizeof(float) * N * 2);
  pl_siggen_config sc;
  pl_siggen_config_default(&sc, PL_SIG_SPEECH);
  sc.seed = 11; /* f0 84-148 Hz (docs/audio.md) */
  pl_siggen g;
  pl_siggen_init(&g, &sc);
  pl_siggen_fill(&g, src, N);
  int vo;
  double f_ref = median_f0(src, N, &vo);
  cr_assert_gt(vo, 100, "%d voiced frames", vo);
  cr_assert(f_ref > 80 && f_ref < 160, "reference f0 %.1f", f_ref);

  static const double ratios[] = {0.85, 1.2};
  for (int k = 0; k < 2; k++) {
    memcpy(buf, src, sizeof(float) * N);
    int n = wsola(buf, N, N * 2, ratios[k]);
    double got = (double)n / N;
    int v2;
    double f = median_f0(buf, n, &v2);
    cr_log_info("WSOLA to %.3f of the length: median f0 %.2f Hz vs %.2f Hz (%d / %d voiced)",
                got, f, f_ref, v2, vo);
    cr_expect(fabs(got - ratios[k]) < 0.02, "length ratio %.3f", got);
    cr_expect_lt(fabs(f / f_ref - 1), 0.02, "f0 %.2f vs %.2f Hz", f, f_ref);
  }
  /* The control: the same length change by playing faster (linear
   * resampling) moves the pitch by the same factor, so the measure above
   * would have caught it. */
  int n = (int)(N * 0.85);
  for (int i = 0; i < n; i++) {
    double p = i / 0.85;
    int a = (int)p;
    double fr = p - a;
    buf[i] = (float)(src[a] * (1 - fr) + (a + 1 < N ? src[a + 1] : 0) * fr);
  }
  int v3;
  double fast = median_f0(buf, n, &v3);
  cr_log_info("resampled to 0.85: median f0 %.2f Hz", fast);
  cr_expect_lt(fabs(fast / f_ref - 1 / 0.85), 0.03, "resampled f0 %.2f", fast);
  free(src);
  free(buf);
}
