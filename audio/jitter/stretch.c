/* WSOLA for the jitter buffer. The period search runs on a 4x decimated
 * channel mix (12 kHz is plenty for speech pitch and costs 1/16 of a full-rate
 * search), then refines +-4 samples at 48 kHz. The overlap-add window is a
 * raised cosine over one whole period, as in NetEq's accelerate and
 * preemptive expand: the splice is at most as audible as one period that is
 * a blend of its neighbours. */
#include "audio/jitter/stretch.h"

#include <math.h>
#include <string.h>

#include "parley.h"

#define DEC 4
#define MAXD ((PL_STRETCH_MAX_LAG * 2) / DEC + 1)
#define NEAR_BEST 0.05f

static int imax(int a, int b) { return a > b ? a : b; }
static int imin(int a, int b) { return a < b ? a : b; }

int pl_stretch_need(int max_lag) {
  if (max_lag > PL_STRETCH_MAX_LAG)
    max_lag = PL_STRETCH_MAX_LAG;
  return max_lag + imax(max_lag, PL_STRETCH_WIN);
}

static int window(int lag) { return imax(lag, PL_STRETCH_WIN); }

/* Largest lag L <= max_lag with L + window(L) <= n. */
static int top_lag(int n, int max_lag) {
  int hi = imin(imin(max_lag, PL_STRETCH_MAX_LAG), n / 2);
  if (hi < PL_STRETCH_WIN)
    hi = imin(hi, n - PL_STRETCH_WIN);
  return hi;
}

static float mix(const float *x, int i, int ch) {
  return ch == 2 ? x[2 * i] + x[2 * i + 1] : x[i];
}

static float ncorr(double xy, double xx, double yy) {
  if (xx <= 0 || yy <= 0)
    return 0.0f;
  return (float)(xy / sqrt(xx * yy));
}

/* Full-rate normalised correlation at one lag. */
static float corr_at(const float *x, int ch, int lag) {
  int w = window(lag);
  double xy = 0, xx = 0, yy = 0;
  for (int i = 0; i < w; i++) {
    double a = mix(x, i, ch), b = mix(x, i + lag, ch);
    xy += a * b;
    xx += a * a;
    yy += b * b;
  }
  return ncorr(xy, xx, yy);
}

int pl_stretch_find(const float *x, int n, int ch, int max_lag, pl_stretch_match *m) {
  m->lag = 0;
  m->corr = 0.0f;
  m->power = 0.0f;
  int hi = top_lag(n, max_lag);
  if (hi < PL_STRETCH_MIN_LAG)
    return PL_ERANGE;
  int used = hi + window(hi);
  int nd = used / DEC;
  float d[MAXD];
  double ps[MAXD + 1]; /* prefix sums of d^2: window energies in O(1) */
  ps[0] = 0;
  for (int k = 0; k < nd; k++) {
    float s = 0;
    for (int j = 0; j < DEC; j++)
      s += mix(x, k * DEC + j, ch);
    d[k] = s;
    ps[k + 1] = ps[k] + (double)s * s;
  }
  int lo_d = PL_STRETCH_MIN_LAG / DEC, hi_d = hi / DEC;
  float c[MAXD];
  float best = -2.0f;
  for (int l = lo_d; l <= hi_d; l++) {
    int w = window(l * DEC) / DEC;
    if (l + w > nd) {
      c[l] = -1.0f;
      continue;
    }
    double xy = 0;
    for (int i = 0; i < w; i++)
      xy += (double)d[i] * d[i + l];
    c[l] = ncorr(xy, ps[w], ps[l + w] - ps[l]);
    if (c[l] > best)
      best = c[l];
  }
  /* The shortest local maximum near the best: the period, not a multiple. */
  int pick = -1;
  for (int l = lo_d; l <= hi_d && pick < 0; l++) {
    bool peak = (l == lo_d || c[l] >= c[l - 1]) && (l == hi_d || c[l] >= c[l + 1]);
    if (peak && c[l] >= best - NEAR_BEST)
      pick = l;
  }
  if (pick < 0)
    pick = lo_d;
  int lag = pick * DEC;
  float bc = -2.0f;
  for (int l = imax(PL_STRETCH_MIN_LAG, lag - DEC); l <= imin(hi, lag + DEC); l++) {
    float v = corr_at(x, ch, l);
    if (v > bc) {
      bc = v;
      m->lag = l;
    }
  }
  m->corr = bc;
  double e = 0;
  for (int i = 0; i < 2 * m->lag * ch; i++)
    e += (double)x[i] * x[i];
  m->power = (float)(e / (2.0 * m->lag * ch));
  return 0;
}

static float rise(int i, int n) {
  return 0.5f - 0.5f * cosf((float)M_PI * ((float)i + 0.5f) / (float)n);
}

int pl_stretch_remove(float *x, int n, int ch, int lag) {
  if (lag <= 0 || n < 2 * lag)
    return PL_EINVAL;
  for (int i = 0; i < lag; i++) {
    float w = rise(i, lag);
    for (int c = 0; c < ch; c++) {
      float *a = &x[i * ch + c];
      *a = (1.0f - w) * *a + w * x[(i + lag) * ch + c];
    }
  }
  memmove(x + lag * ch, x + 2 * lag * ch, sizeof(float) * (size_t)((n - 2 * lag) * ch));
  return 0;
}

int pl_stretch_insert(float *x, int n, int ch, int lag) {
  if (lag <= 0 || n < 2 * lag)
    return PL_EINVAL;
  memmove(x + 2 * lag * ch, x + lag * ch, sizeof(float) * (size_t)((n - lag) * ch));
  /* B now sits at [2L, 3L); A is still at [0, L). */
  for (int i = 0; i < lag; i++) {
    float w = rise(i, lag);
    for (int c = 0; c < ch; c++)
      x[(lag + i) * ch + c] = (1.0f - w) * x[(2 * lag + i) * ch + c] + w * x[i * ch + c];
  }
  return 0;
}

int pl_stretch_extend(const float *hist, int nh, int ch, float *scratch, float *out, int n) {
  for (int i = 0; i < nh; i++)
    for (int c = 0; c < ch; c++)
      scratch[i * ch + c] = hist[(nh - 1 - i) * ch + c];
  pl_stretch_match m;
  int period = pl_stretch_find(scratch, nh, ch, PL_STRETCH_MAX_LAG, &m) == 0 ? m.lag : nh;
  if (period > nh)
    period = nh;
  if (period <= 0) {
    memset(out, 0, sizeof(float) * (size_t)(n * ch));
    return 0;
  }
  for (int i = 0; i < n; i++) {
    int src = nh - period + i % period;
    for (int c = 0; c < ch; c++)
      out[i * ch + c] = hist[src * ch + c];
  }
  return period;
}

void pl_stretch_crossfade(float *dst, const float *from, int n, int ch) {
  for (int i = 0; i < n; i++) {
    float w = rise(i, n);
    for (int c = 0; c < ch; c++)
      dst[i * ch + c] = (1.0f - w) * from[i * ch + c] + w * dst[i * ch + c];
  }
}
