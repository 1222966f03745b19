/* The extender's DSP (see dsp.h and ai/train/extend/dsp.py). */
#include "ai/extend/dsp.h"

#include <math.h>
#include <pthread.h>

static float g_window[PL_EXT_WIN];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void init_tables(void) {
  for (int n = 0; n < PL_EXT_WIN; n++) {
    double s = sin(M_PI * (n + 0.5) / PL_EXT_WIN);
    g_window[n] = (float)sin(0.5 * M_PI * s * s);
  }
}

const float *pl_ext_window(void) {
  pthread_once(&g_once, init_tables);
  return g_window;
}

int pl_ext_usable_bands(int fc) {
  int n = (fc - 1000) / 500 + 1;
  if (n > PL_EXT_IN_BANDS)
    n = PL_EXT_IN_BANDS;
  return n < 1 ? 1 : n;
}

/* Triangle b: weight 1 - |k - 10 b| / 10; the weights of each band sum to
 * 10 (5.5 for band 0 and 48, which lose a half-triangle at the edges). */
static float tri(int b, int k) {
  int d = k - PL_EXT_BAND_BINS * b;
  if (d < 0)
    d = -d;
  return d >= PL_EXT_BAND_BINS ? 0.0f : 1.0f - (float)d / PL_EXT_BAND_BINS;
}

void pl_ext_log_energy(const pl_dn_cpx *X, float *logE) {
  for (int b = 0; b < PL_EXT_NB; b++) {
    int lo = PL_EXT_BAND_BINS * b - PL_EXT_BAND_BINS + 1;
    int hi = PL_EXT_BAND_BINS * b + PL_EXT_BAND_BINS - 1;
    if (lo < 0)
      lo = 0;
    if (hi > PL_EXT_NBIN - 1)
      hi = PL_EXT_NBIN - 1;
    double e = 0.0, w = 0.0;
    for (int k = lo; k <= hi; k++) {
      float t = tri(b, k);
      e += (double)t * ((double)X[k].r * X[k].r + (double)X[k].i * X[k].i);
      w += t;
    }
    logE[b] = (float)log10(e / w + PL_EXT_E_FLOOR);
  }
}

void pl_ext_features(const float *logE, int fc, float *x, float *ref) {
  int nu = pl_ext_usable_bands(fc);
  double m = 0.0;
  for (int b = 0; b < nu; b++) {
    double e = pow(10.0, logE[b]) - PL_EXT_E_FLOOR;
    m += e > 0 ? e : 0;
  }
  float r = (float)log10(m / nu + PL_EXT_E_FLOOR);
  for (int b = 0; b < PL_EXT_IN_BANDS; b++)
    x[b] = b < nu ? logE[b] - r : 0.0f;
  x[PL_EXT_IN_BANDS] = r;
  x[PL_EXT_IN_BANDS + 1] = (float)fc / 8000.0f;
  *ref = r;
}

void pl_ext_excitation(const pl_dn_cpx *X, int fc, pl_dn_cpx *E) {
  int kc = fc / PL_EXT_BIN_HZ, L = kc / 2, ks = kc - PL_EXT_EXC_MARGIN - L;
  for (int k = 0; k < PL_EXT_NBIN; k++)
    E[k].r = E[k].i = 0.0f;
  for (int k = kc; k <= PL_EXT_TOP_BIN; k++)
    E[k] = X[ks + (k - kc) % L];
}

static float ramp(int k, int kc) {
  if (k < kc || k > PL_EXT_TOP_BIN)
    return 0.0f;
  double up = (k - kc + 0.5) / PL_EXT_XOVER_RAMP;
  double dn = (double)(PL_EXT_TOP_BIN - k) / PL_EXT_TOP_RAMP;
  up = up > 1 ? 1 : up;
  dn = dn > 1 ? 1 : dn;
  return (float)((0.5 - 0.5 * cos(M_PI * up)) * (0.5 - 0.5 * cos(M_PI * dn)));
}

void pl_ext_shape(pl_dn_cpx *E, const float *pred, int fc) {
  int kc = fc / PL_EXT_BIN_HZ, b0 = kc / PL_EXT_BAND_BINS;
  float g[PL_EXT_NB] = {0};
  for (int b = b0; b <= PL_EXT_OUT_HI; b++) {
    double e = 0.0, w = 0.0;
    for (int k = PL_EXT_BAND_BINS * b - PL_EXT_BAND_BINS + 1;
         k <= PL_EXT_BAND_BINS * b + PL_EXT_BAND_BINS - 1; k++) {
      if (k < kc || k > PL_EXT_TOP_BIN)
        continue;
      float t = tri(b, k);
      e += (double)t * ((double)E[k].r * E[k].r + (double)E[k].i * E[k].i);
      w += t;
    }
    e = w > 0 ? e / w : 0.0;
    g[b] = e > 0 ? (float)sqrt(pow(10.0, pred[b - PL_EXT_OUT_LO]) / (e + 1e-20)) : 0.0f;
  }
  for (int k = 0; k < PL_EXT_NBIN; k++) {
    float r = ramp(k, kc);
    if (r == 0.0f) {
      E[k].r = E[k].i = 0.0f;
      continue;
    }
    int b = k / PL_EXT_BAND_BINS;
    float t = tri(b, k);
    float G = t * g[b] + (b + 1 < PL_EXT_NB ? (1.0f - t) * g[b + 1] : 0.0f);
    E[k].r *= G * r;
    E[k].i *= G * r;
  }
}

long pl_ext_fold(const float *x, float *y, int n, int fc, float gain_db, long n0) {
  double g = pow(10.0, gain_db / 20.0);
  for (int i = 0; i < n; i++) {
    long t = (n0 + i) % 48000;
    double s = 0.0;
    for (int j = 1; (2 * j - 1) * fc < 24000; j++) {
      double a = 2 * j * fc == 24000 ? 1.0 : 2.0;
      s += a * cos(2.0 * M_PI * (double)(2 * j * fc) * (double)t / 48000.0);
    }
    y[i] = (float)(x[i] + g * s * x[i]);
  }
  return (n0 + n) % 48000;
}
