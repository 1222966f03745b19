/* Coarse-to-fine pitch search. The autocorrelations at every lag are one
 * matrix-vector product with a Toeplitz "matrix" (rows overlapping by one
 * sample, leading dimension 1), so the ai/nn GEMV kernels (AVX2 where
 * available) do the work. Lag energies slide by one sample per lag. */
#include "ai/denoise/pitch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ai/nn/kernels.h"

#define LMIN (PL_DN_PITCH_MIN / PL_DN_PITCH_DEC)
#define LMAX (PL_DN_PITCH_MAX / PL_DN_PITCH_DEC)
#define REFINE 4     /* +- samples at 48 kHz around 4x the coarse lag */
#define SILENT 1e-9f /* window energy below which there is no pitch */

void pl_dn_pitch_init(pl_dn_pitch *p) {
  memset(p, 0, sizeof *p);
  /* Second-order Butterworth low-pass at 3 kHz (bilinear transform, RBJ
   * form): keeps the strong low harmonics that carry the period and keeps
   * 12 kHz decimation free of aliasing. */
  double w0 = 2 * M_PI * 3000.0 / 48000.0, q = M_SQRT1_2;
  double alpha = sin(w0) / (2 * q), c = cos(w0), a0 = 1 + alpha;
  p->b0 = (float)((1 - c) / 2 / a0);
  p->b1 = (float)((1 - c) / a0);
  p->b2 = p->b0;
  p->a1 = (float)(-2 * c / a0);
  p->a2 = (float)((1 - alpha) / a0);
  p->period = 2 * PL_DN_PITCH_MIN;
}

void pl_dn_pitch_reset(pl_dn_pitch *p) {
  memset(p->lp, 0, sizeof p->lp);
  memset(p->d, 0, sizeof p->d);
  p->phase = 0;
  p->period = 2 * PL_DN_PITCH_MIN;
}

static void decimate(pl_dn_pitch *p, const float *in, int n) {
  float tmp[PL_DN_PITCH_HIST12];
  int k = 0;
  float x1 = p->lp[0], x2 = p->lp[1], y1 = p->lp[2], y2 = p->lp[3];
  for (int i = 0; i < n; i++) {
    float x = in[i];
    float y = p->b0 * x + p->b1 * x1 + p->b2 * x2 - p->a1 * y1 - p->a2 * y2;
    x2 = x1;
    x1 = x;
    y2 = y1;
    y1 = y;
    if (++p->phase == PL_DN_PITCH_DEC) {
      p->phase = 0;
      if (k < PL_DN_PITCH_HIST12)
        tmp[k++] = y;
    }
  }
  /* Flush denormals: a long silence after a tone must not slow us down. */
  p->lp[0] = fabsf(x1) < 1e-30f ? 0.0f : x1;
  p->lp[1] = fabsf(x2) < 1e-30f ? 0.0f : x2;
  p->lp[2] = fabsf(y1) < 1e-30f ? 0.0f : y1;
  p->lp[3] = fabsf(y2) < 1e-30f ? 0.0f : y2;
  if (k >= PL_DN_PITCH_HIST12) {
    memcpy(p->d, tmp, sizeof p->d);
  } else if (k > 0) {
    memmove(p->d, p->d + k, sizeof(float) * (size_t)(PL_DN_PITCH_HIST12 - k));
    memcpy(p->d + PL_DN_PITCH_HIST12 - k, tmp, sizeof(float) * (size_t)k);
  }
}

static float energy(const float *x, int n) {
  float a[4] = {0, 0, 0, 0};
  int i = 0;
  for (; i + 4 <= n; i += 4)
    for (int j = 0; j < 4; j++)
      a[j] += x[i + j] * x[i + j];
  for (; i < n; i++)
    a[0] += x[i] * x[i];
  return (a[0] + a[1]) + (a[2] + a[3]);
}

/* Normalised correlation of the window x[0..w) with x[-lag ..) for lags
 * lo..hi; score[lag - lo]. Returns the window energy. */
static float ncorr(const float *x, int w, int lo, int hi, float *raw,
                   float *score) {
  int rows = hi - lo + 1;
  /* Row r starts at x - hi + r, i.e. lag hi - r. */
  pl_nn_k()->gemv(raw, x - hi, 1, x, rows, w, NULL);
  float e0 = energy(x, w);
  double el = energy(x - lo, w);
  for (int lag = lo; lag <= hi; lag++) {
    float r = raw[hi - lag];
    double den = sqrt((double)e0 * (el > 0 ? el : 0)) + 1e-20;
    score[lag - lo] = e0 < SILENT ? 0.0f : (float)(r / den);
    /* slide: lag+1 adds x[-lag-1], drops x[w-1-lag] */
    double a = x[-lag - 1], b = x[w - 1 - lag];
    el += a * a - b * b;
  }
  return e0;
}

static int best_in(const float *score, int lo, int from, int to, float *s) {
  int arg = from;
  float m = -2.0f;
  for (int lag = from; lag <= to; lag++)
    if (score[lag - lo] > m) {
      m = score[lag - lo];
      arg = lag;
    }
  *s = m;
  return arg;
}

int pl_dn_pitch_search(pl_dn_pitch *p, const float *in, int n,
                       const float *hist, int win, float *gain) {
  decimate(p, in, n);
  float score[LMAX - LMIN + 1];
  const float *x = p->d + PL_DN_PITCH_HIST12 - PL_DN_PITCH_WIN12;
  float e0 = ncorr(x, PL_DN_PITCH_WIN12, LMIN, LMAX, p->corr, score);
  if (e0 < SILENT) {
    *gain = 0.0f;
    return p->period;
  }
  float best;
  int L = best_in(score, LMIN, LMIN, LMAX, &best);
  /* A period's multiples correlate as well as the period itself: prefer the
   * shortest sub-multiple that scores nearly as high. */
  for (int k = 4; k >= 2; k--) {
    int c = (L + k / 2) / k;
    if (c - 1 < LMIN)
      continue;
    float s;
    int lc = best_in(score, LMIN, c - 1, c + 1 > LMAX ? LMAX : c + 1, &s);
    if (s > 0.85f * best) {
      L = lc;
      best = s;
      break;
    }
  }
  /* Stay on the previous track unless the new lag is clearly better. */
  int prev = (p->period + PL_DN_PITCH_DEC / 2) / PL_DN_PITCH_DEC;
  if (prev >= LMIN + 1 && prev <= LMAX - 1 && abs(prev - L) > 2) {
    float s;
    int lp = best_in(score, LMIN, prev - 1, prev + 1, &s);
    if (s > 0.9f * best)
      L = lp;
  }
  int lo = L * PL_DN_PITCH_DEC - REFINE, hi = L * PL_DN_PITCH_DEC + REFINE;
  if (lo < PL_DN_PITCH_MIN)
    lo = PL_DN_PITCH_MIN;
  if (hi > PL_DN_PITCH_MAX)
    hi = PL_DN_PITCH_MAX;
  float fine[2 * REFINE + 1], raw[2 * REFINE + 1];
  float e = ncorr(hist - win, win, lo, hi, raw, fine);
  float g;
  int T = best_in(fine, lo, lo, hi, &g);
  p->period = T;
  *gain = e < SILENT ? 0.0f : fmaxf(-1.0f, fminf(1.0f, g));
  return T;
}
