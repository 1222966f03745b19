/* Features, resampling, pitch and LPC for the neural concealer; the
 * formulas follow ai/train/plc/dsp.py line for line (see dsp.h). */
#include "ai/plc/dsp.h"

#include <math.h>
#include <string.h>

#include "parley.h"

static const double band_hz[PL_PLC_NB] = {
    0,    200,  400,  600,  800,  1000, 1200,  1400,  1600,  2000,  2400,
    2800, 3200, 4000, 4800, 5600, 6800, 8000, 10000, 12000, 16000, 24000};

/* Band b with band_hz[b] <= f < band_hz[b + 1] among the first nb bands, and
 * where f sits between them; the top edge itself goes wholly to the top
 * band. */
static void place(double f, int nb, unsigned char *lo, float *frac) {
  int b = 0;
  while (b < nb - 2 && f >= band_hz[b + 1])
    b++;
  double t = (f - band_hz[b]) / (band_hz[b + 1] - band_hz[b]);
  *lo = (unsigned char)b;
  *frac = (float)(t > 1.0 ? 1.0 : t);
}

int pl_plc_dsp_init(pl_plc_dsp *d) {
  memset(d, 0, sizeof *d);
  d->fft = pl_fft_new(PL_PLC_NFFT);
  if (!d->fft)
    return PL_ENOMEM;
  for (int i = 0; i < PL_PLC_WIN; i++)
    d->window[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / PL_PLC_WIN));
  for (int k = 0; k < PL_PLC_NBINS; k++)
    place(k * (double)PL_PLC_RATE / PL_PLC_NFFT, PL_PLC_NB, &d->band_lo[k],
          &d->band_frac[k]);
  for (int k = 0; k < PL_PLC_NBINS16; k++)
    place(k * (double)PL_PLC_SR16 / PL_PLC_NFFT16, PL_PLC_NB_LOW,
          &d->band16_lo[k], &d->band16_frac[k]);
  /* Blackman-windowed sinc at 7.4 kHz, normalised to unity DC gain. */
  double h[PL_PLC_DEC_TAPS], sum = 0.0;
  const double fc = 7400.0 / PL_PLC_RATE;
  for (int i = 0; i < PL_PLC_DEC_TAPS; i++) {
    double n = i - (PL_PLC_DEC_TAPS - 1) / 2.0;
    double s = n == 0.0 ? 1.0 : sin(M_PI * 2.0 * fc * n) / (M_PI * 2.0 * fc * n);
    double w = 0.42 - 0.5 * cos(2.0 * M_PI * i / (PL_PLC_DEC_TAPS - 1)) +
               0.08 * cos(4.0 * M_PI * i / (PL_PLC_DEC_TAPS - 1));
    h[i] = 2.0 * fc * s * w;
    sum += h[i];
  }
  for (int i = 0; i < PL_PLC_DEC_TAPS; i++)
    d->lowpass[i] = (float)(h[i] / sum);
  for (int r = 0; r < 3; r++)
    for (int m = 0; m < PL_PLC_POLY; m++) {
      int i = 3 * (PL_PLC_POLY - 1 - m) + r; /* reversed branch */
      d->up[r][m] = i < PL_PLC_DEC_TAPS ? 3.0f * d->lowpass[i] : 0.0f;
    }
  for (int l = 0; l <= PL_PLC_LPC; l++) {
    double x = 2.0 * M_PI * 60.0 * l / PL_PLC_SR16;
    d->lag_win[l] = (float)exp(-0.5 * x * x);
    for (int k = 0; k < PL_PLC_NBINS16; k++)
    {
      d->cos16[l][k] = (float)cos(2.0 * M_PI * (double)k * l / PL_PLC_NFFT16);
      d->sin16[l][k] = (float)sin(2.0 * M_PI * (double)k * l / PL_PLC_NFFT16);
    }
  }
  return 0;
}

void pl_plc_dsp_free(pl_plc_dsp *d) {
  pl_fft_free(d->fft);
  d->fft = NULL;
}

void pl_plc_bands(pl_plc_dsp *d, const float *x, float out[PL_PLC_NB]) {
  for (int i = 0; i < PL_PLC_WIN; i++)
    d->buf[i] = (double)x[i] * d->window[i];
  for (int i = PL_PLC_WIN; i < PL_PLC_NFFT; i++)
    d->buf[i] = 0.0;
  pl_fft_real_forward(d->fft, d->buf, d->spec);
  double e[PL_PLC_NB] = {0};
  for (int k = 0; k < PL_PLC_NBINS; k++) {
    double p = d->spec[2 * k] * d->spec[2 * k] + d->spec[2 * k + 1] * d->spec[2 * k + 1];
    int b = d->band_lo[k];
    double f = d->band_frac[k];
    e[b] += (1.0 - f) * p;
    if (f > 0.0)
      e[b + 1] += f * p;
  }
  for (int b = 0; b < PL_PLC_NB; b++)
    out[b] = (float)log10(e[b] + PL_PLC_LOG_FLOOR);
}

/* Dot product in 4-lane vectors (GCC/Clang vector extensions: SSE on
 * x86-64, NEON on ARM, plain code elsewhere); plain -O2 does not vectorise
 * float reductions. */
typedef float v4f __attribute__((vector_size(16)));

static float dot(const float *a, const float *b, int n) {
  v4f s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0};
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    v4f a0, a1, b0, b1;
    memcpy(&a0, a + i, sizeof a0);
    memcpy(&a1, a + i + 4, sizeof a1);
    memcpy(&b0, b + i, sizeof b0);
    memcpy(&b1, b + i + 4, sizeof b1);
    s0 += a0 * b0;
    s1 += a1 * b1;
  }
  s0 += s1;
  float s = (s0[0] + s0[1]) + (s0[2] + s0[3]);
  for (; i < n; i++)
    s += a[i] * b[i];
  return s;
}

/* Normalised correlation of a[0..win) with a[-lag .. win - lag). */
static double ncorr(const float *a, int win, int lag, double ea) {
  const float *b = a - lag;
  double xc = dot(a, b, win), eb = dot(b, b, win);
  return xc / sqrt(ea * eb + 1e-12);
}

void pl_plc_decimate(pl_plc_dsp *d, const float *x, float *y, int n16) {
  for (int j = 0; j < n16; j++)
    y[j] = dot(d->lowpass, x + 3 * j - PL_PLC_DEC_DELAY, PL_PLC_DEC_TAPS);
}

void pl_plc_upsample(pl_plc_dsp *d, const float *x, int off, float *y, int n48) {
  /* 48 kHz time t = 3q + r is sum_k up[r][k] x[q - 24 + k] (branches
   * stored reversed, so both operands run forwards). */
  for (int i = 0; i < n48; i++) {
    int t = off + i, q = t >= 0 ? t / 3 : -((-t + 2) / 3);
    y[i] = dot(d->up[t - 3 * q], x + q - 24, PL_PLC_POLY);
  }
}

int pl_plc_pitch(const float *x, int win, int pmin, int pmax, float *corr) {
  /* Coarse: pairs averaged (a 2:1 decimation with a null at Nyquist). */
  float h[(640 + 2 * PL_PLC_PMAX16) / 2 + 2];
  int w2 = win / 2, n2 = (win + pmax) / 2 + 1;
  const float *base = x - 2 * n2;
  for (int i = 0; i < n2; i++)
    h[i] = 0.5f * (base[2 * i] + base[2 * i + 1]);
  const float *a2 = h + n2 - w2;
  float xc[PL_PLC_PMAX16 / 2 + 2];
  int l0 = pmin / 2, l1 = pmax / 2;
  for (int l = l0; l <= l1; l++)
    xc[l - l0] = dot(a2, a2 - l, w2);
  double ea = 0.0, eb = 0.0;
  for (int n = 0; n < w2; n++) {
    ea += (double)a2[n] * a2[n];
    eb += (double)a2[n - l0] * a2[n - l0];
  }
  double best = -2.0;
  int coarse = l0;
  for (int l = l0; l <= l1; l++) {
    if (l > l0)
      eb += (double)a2[-l] * a2[-l] - (double)a2[w2 - l] * a2[w2 - l];
    double c = xc[l - l0] / sqrt(ea * (eb > 0.0 ? eb : 0.0) + 1e-12);
    if (c > best) {
      best = c;
      coarse = l;
    }
  }
  /* Fine: full rate, +-2 around twice the coarse lag. */
  const float *a = x - win;
  double eaf = 0.0;
  for (int n = 0; n < win; n++)
    eaf += (double)a[n] * a[n];
  best = -2.0;
  int lag_best = 2 * coarse;
  for (int lag = 2 * coarse - 2; lag <= 2 * coarse + 2; lag++) {
    if (lag < pmin || lag > pmax)
      continue;
    double c = ncorr(a, win, lag, eaf);
    if (c > best) {
      best = c;
      lag_best = lag;
    }
  }
  *corr = (float)best;
  return lag_best;
}

double pl_plc_levinson(const double *r, double *a, int order) {
  double tmp[PL_PLC_LPC + 1];
  for (int i = 0; i <= order; i++)
    a[i] = 0.0;
  a[0] = 1.0;
  double err = r[0];
  for (int i = 1; i <= order; i++) {
    if (!(err > 0.0))
      break;
    double acc = r[i];
    for (int j = 1; j < i; j++)
      acc += a[j] * r[i - j];
    double k = -acc / err;
    if (!(fabs(k) < 1.0))
      break;
    for (int j = 1; j < i; j++)
      tmp[j] = a[j] + k * a[i - j];
    for (int j = 1; j < i; j++)
      a[j] = tmp[j];
    a[i] = k;
    err *= 1.0 - k * k;
  }
  return err;
}

void pl_plc_autocorr(const float *x, int n, double *r) {
  double w[2 * PL_PLC_SR16 / 50]; /* up to 40 ms */
  if (n > (int)(sizeof w / sizeof w[0]))
    n = (int)(sizeof w / sizeof w[0]);
  for (int i = 0; i < n; i++)
    w[i] = x[i] * (0.5 - 0.5 * cos(2.0 * M_PI * i / n));
  for (int l = 0; l <= PL_PLC_LPC; l++) {
    double s = 0.0;
    for (int i = l; i < n; i++)
      s += w[i] * w[i - l];
    r[l] = s;
  }
}

void pl_plc_condition(const pl_plc_dsp *d, double *r) {
  for (int l = 0; l <= PL_PLC_LPC; l++)
    r[l] *= d->lag_win[l];
  r[0] = r[0] * 1.0001 + 1e-9;
}

void pl_plc_envelope_autocorr(pl_plc_dsp *d, const double *a, double g2,
                              const float *dlog, double *r) {
  double *p = d->buf; /* NBINS16 values */
  for (int k = 0; k < PL_PLC_NBINS16; k++) {
    double re = 0.0, im = 0.0;
    for (int i = 0; i <= PL_PLC_LPC; i++) {
      re += a[i] * d->cos16[i][k];
      im -= a[i] * d->sin16[i][k];
    }
    int b = d->band16_lo[k];
    double f = d->band16_frac[k];
    double lo = dlog[b] < -3.0f ? -3.0 : dlog[b] > 1.0f ? 1.0 : dlog[b];
    double g = (1.0 - f) * lo;
    if (f > 0.0) {
      double hi = dlog[b + 1] < -3.0f ? -3.0 : dlog[b + 1] > 1.0f ? 1.0 : dlog[b + 1];
      g += f * hi;
    }
    p[k] = g2 / (re * re + im * im + 1e-30) * (double)expf((float)g * 2.30258509f);
  }
  for (int l = 0; l <= PL_PLC_LPC; l++) {
    double s = p[0] + (l & 1 ? -p[PL_PLC_NBINS16 - 1] : p[PL_PLC_NBINS16 - 1]);
    for (int k = 1; k < PL_PLC_NBINS16 - 1; k++)
      s += 2.0 * p[k] * d->cos16[l][k];
    r[l] = s / PL_PLC_NFFT16;
  }
}
