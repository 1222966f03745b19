/* Analysis/synthesis for the noise suppressor. The window is the Vorbis
 * power-complementary sine window, used for analysis and synthesis: with a
 * hop of half the window, w^2[n] + w^2[n + hop] = 1, so unit gains give
 * back the input exactly, 10 ms late. */
#include "ai/denoise/dsp.h"

#include <math.h>
#include <string.h>

#include "parley.h"

/* Bark-like spacing: 100 Hz steps to 800 Hz, 200 Hz to 1.6 kHz, 400 Hz to
 * 3.2 kHz, 800 Hz to 6.4 kHz, then wider; centres fall on 4 and 8 kHz so
 * narrowband and wideband speech end at a band edge. */
const int pl_dn_band_centre[PL_DN_BANDS] = {
    0,  2,  4,  6,  8,   10,  12,  14,  16,  20,  24,  28,  32, 40,
    48, 56, 64, 80, 96, 112, 128, 160, 192, 240, 320, 400, 480};

#define PSD_FLOOR 1e-10f /* -100 dB per bin: below any real input */

/* acc[b] += sum over bins of w_b(k) * v(k) for the triangular bands. */
#define BAND_SUM(acc, expr)                                                    \
  do {                                                                         \
    for (int b_ = 0; b_ < PL_DN_BANDS; b_++)                                   \
      (acc)[b_] = 0.0f;                                                        \
    for (int b_ = 0; b_ < PL_DN_BANDS - 1; b_++) {                             \
      int lo_ = pl_dn_band_centre[b_];                                         \
      int n_ = pl_dn_band_centre[b_ + 1] - lo_;                                \
      float inv_ = 1.0f / (float)n_, a0_ = 0.0f, a1_ = 0.0f;                   \
      for (int j_ = 0; j_ < n_; j_++) {                                        \
        int k = lo_ + j_;                                                      \
        float f_ = (float)j_ * inv_, v_ = (expr);                              \
        (void)k;                                                               \
        a0_ += (1.0f - f_) * v_;                                               \
        a1_ += f_ * v_;                                                        \
      }                                                                        \
      (acc)[b_] += a0_;                                                        \
      (acc)[b_ + 1] += a1_;                                                    \
    }                                                                          \
    {                                                                          \
      int k = PL_DN_BINS - 1;                                                  \
      (void)k;                                                                 \
      (acc)[PL_DN_BANDS - 1] += (expr);                                        \
    }                                                                          \
  } while (0)

int pl_dn_dsp_init(pl_dn_dsp *d) {
  memset(d, 0, sizeof *d);
  d->fft = pl_dn_fft_new(PL_DN_WIN);
  if (!d->fft)
    return PL_ENOMEM;
  for (int n = 0; n < PL_DN_WIN; n++) {
    double s = sin(M_PI * (n + 0.5) / PL_DN_WIN);
    d->window[n] = (float)sin(0.5 * M_PI * s * s);
  }
  float width[PL_DN_BANDS];
  BAND_SUM(width, 1.0f);
  for (int b = 0; b < PL_DN_BANDS; b++)
    /* Per-bin PSD: a white noise of variance s^2 reads s^2 in every band
     * (sum w^2 = PL_DN_WIN / 2). */
    d->inv_width[b] = 1.0f / (width[b] * (PL_DN_WIN / 2));
  for (int j = 0; j < PL_DN_CEPS; j++)
    for (int b = 0; b < PL_DN_BANDS; b++)
      d->dct[j][b] = (float)(sqrt((j ? 2.0 : 1.0) / PL_DN_BANDS) *
                             cos(M_PI * j * (b + 0.5) / PL_DN_BANDS));
  pl_dn_pitch_init(&d->pitch);
  d->psd_floor = PSD_FLOOR;
  pl_dn_dsp_reset(d);
  return 0;
}

void pl_dn_dsp_free(pl_dn_dsp *d) {
  if (d) {
    pl_dn_fft_free(d->fft);
    d->fft = NULL;
  }
}

void pl_dn_dsp_reset(pl_dn_dsp *d) {
  memset(d->hist, 0, sizeof d->hist);
  memset(d->overlap, 0, sizeof d->overlap);
  memset(d->X, 0, sizeof d->X);
  memset(d->P, 0, sizeof d->P);
  pl_dn_pitch_reset(&d->pitch);
  /* The cepstrum of a silent past, so the first deltas are not huge. */
  float c[PL_DN_CEPS];
  for (int j = 0; j < PL_DN_CEPS; j++) {
    c[j] = 0.0f;
    for (int b = 0; b < PL_DN_BANDS; b++)
      c[j] += d->dct[j][b] * log10f(d->psd_floor);
  }
  memcpy(d->ceps[0], c, sizeof c);
  memcpy(d->ceps[1], c, sizeof c);
  d->period = d->pitch.period;
  d->pitch_gain = 0.0f;
}

void pl_dn_dsp_set_floor(pl_dn_dsp *d, float psd) {
  d->psd_floor = psd;
  pl_dn_dsp_reset(d);
}

void pl_dn_dsp_spectrum(pl_dn_dsp *d, const float *x, pl_dn_cpx *S) {
  for (int n = 0; n < PL_DN_WIN; n++)
    d->buf[n] = x[n] * d->window[n];
  pl_dn_fft_forward(d->fft, d->buf, S);
}

void pl_dn_dsp_analyze(pl_dn_dsp *d, const float *in, float *feat) {
  memmove(d->hist, d->hist + PL_DN_FRAME,
          sizeof(float) * (PL_DN_HIST - PL_DN_FRAME));
  memcpy(d->hist + PL_DN_HIST - PL_DN_FRAME, in, sizeof(float) * PL_DN_FRAME);
  const float *end = d->hist + PL_DN_HIST;
  d->period = pl_dn_pitch_search(&d->pitch, in, PL_DN_FRAME, end, PL_DN_WIN,
                                 &d->pitch_gain);
  pl_dn_dsp_spectrum(d, end - PL_DN_WIN, d->X);
  pl_dn_dsp_spectrum(d, end - PL_DN_WIN - d->period, d->P);

  const pl_dn_cpx *X = d->X, *P = d->P;
  BAND_SUM(d->ex, X[k].r * X[k].r + X[k].i * X[k].i);
  BAND_SUM(d->ep, P[k].r * P[k].r + P[k].i * P[k].i);
  BAND_SUM(d->exp_, X[k].r * P[k].r + X[k].i * P[k].i);

  float *loge = feat + PL_DN_F_LOGE;
  for (int b = 0; b < PL_DN_BANDS; b++) {
    loge[b] = log10f(d->psd_floor + d->ex[b] * d->inv_width[b]);
    float fl = d->psd_floor / d->inv_width[b]; /* the floor in band-energy units */
    float den = sqrtf((d->ex[b] + fl) * (d->ep[b] + fl)) + 1e-12f;
    feat[PL_DN_F_PCORR + b] = d->exp_[b] / den;
  }
  for (int j = 0; j < PL_DN_CEPS; j++) {
    float c = 0.0f;
    for (int b = 0; b < PL_DN_BANDS; b++)
      c += d->dct[j][b] * loge[b];
    feat[PL_DN_F_D1 + j] = c - d->ceps[0][j];
    feat[PL_DN_F_D2 + j] = c - 2.0f * d->ceps[0][j] + d->ceps[1][j];
    d->ceps[1][j] = d->ceps[0][j];
    d->ceps[0][j] = c;
  }
  feat[PL_DN_F_PERIOD] = (float)d->period * 0.01f;
  feat[PL_DN_F_PGAIN] = d->pitch_gain;
}

static void interp(const float *band, float *bin) {
  for (int b = 0; b < PL_DN_BANDS - 1; b++) {
    int lo = pl_dn_band_centre[b], n = pl_dn_band_centre[b + 1] - lo;
    float inv = 1.0f / (float)n;
    for (int j = 0; j < n; j++) {
      float f = (float)j * inv;
      bin[lo + j] = (1.0f - f) * band[b] + f * band[b + 1];
    }
  }
  bin[PL_DN_BINS - 1] = band[PL_DN_BANDS - 1];
}

void pl_dn_dsp_synthesize(pl_dn_dsp *d, const float *gain, const float *comb,
                          float *out) {
  float g[PL_DN_BINS], c[PL_DN_BINS];
  interp(gain, g);
  interp(comb, c);
  for (int k = 0; k < PL_DN_BINS; k++) {
    float a = g[k] * (1.0f - c[k]), p = g[k] * c[k];
    d->Y[k].r = a * d->X[k].r + p * d->P[k].r;
    d->Y[k].i = a * d->X[k].i + p * d->P[k].i;
  }
  pl_dn_fft_inverse(d->fft, d->Y, d->buf);
  for (int n = 0; n < PL_DN_FRAME; n++)
    out[n] = d->overlap[n] + d->buf[n] * d->window[n];
  for (int n = 0; n < PL_DN_FRAME; n++)
    d->overlap[n] = d->buf[PL_DN_FRAME + n] * d->window[PL_DN_FRAME + n];
}

/* E(a, c) = |S - aX - cP|^2 up to the constant |S|^2. */
static double lsq_err(double a, double c, double sxx, double spp, double sxp,
                      double ssx, double ssp) {
  return -2 * a * ssx - 2 * c * ssp + a * a * sxx + 2 * a * c * sxp +
         c * c * spp;
}

void pl_dn_dsp_targets(const pl_dn_dsp *d, const pl_dn_cpx *S, float *rec) {
  const pl_dn_cpx *X = d->X, *P = d->P;
  float ssx[PL_DN_BANDS], ssp[PL_DN_BANDS], sss[PL_DN_BANDS];
  BAND_SUM(ssx, S[k].r * X[k].r + S[k].i * X[k].i);
  BAND_SUM(ssp, S[k].r * P[k].r + S[k].i * P[k].i);
  BAND_SUM(sss, S[k].r * S[k].r + S[k].i * S[k].i);
  double ec = 0.0, en = 0.0;
  for (int b = 0; b < PL_DN_BANDS; b++) {
    double xx = d->ex[b], pp = d->ep[b], xp = d->exp_[b];
    double sx = ssx[b], sp = ssp[b];
    ec += sss[b];
    en += xx;
    /* Best a, c >= 0: the unconstrained solution if it is feasible, else
     * the better of the two one-sided fits (a convex problem, so the
     * optimum is one of these). */
    double a = xx > 0 ? fmax(0.0, sx / xx) : 0.0, c = 0.0;
    double best = lsq_err(a, 0, xx, pp, xp, sx, sp);
    double c1 = pp > 0 ? fmax(0.0, sp / pp) : 0.0;
    double e1 = lsq_err(0, c1, xx, pp, xp, sx, sp);
    if (e1 < best) {
      best = e1;
      a = 0.0;
      c = c1;
    }
    double det = xx * pp - xp * xp;
    if (det > 1e-6 * xx * pp && det > 0) {
      double a2 = (sx * pp - sp * xp) / det, c2 = (sp * xx - sx * xp) / det;
      if (a2 >= 0 && c2 >= 0) {
        double e2 = lsq_err(a2, c2, xx, pp, xp, sx, sp);
        if (e2 < best) {
          a = a2;
          c = c2;
        }
      }
    }
    double g = a + c;
    rec[PL_DN_T_GAIN + b] = (float)fmin(1.0, g);
    rec[PL_DN_T_COMB + b] = g > 0 ? (float)(c / g) : 0.0f;
    /* Bands with nothing in them (a band-limited input, silence) carry no
     * information about the gain: leave them out of the loss. */
    float psd = (float)xx * d->inv_width[b];
    rec[PL_DN_T_WGAIN + b] = psd > 1e-9f ? 1.0f : 0.0f;
    rec[PL_DN_T_WCOMB + b] = psd > 1e-9f ? (float)fmin(1.0, g) : 0.0f;
  }
  /* Half the spectrum holds (N/2)^2 times the mean square: dB re full
   * scale of the windowed frame. */
  double norm = (PL_DN_WIN / 2) * (PL_DN_WIN / 2);
  rec[PL_DN_T_CLEAN_DB] = (float)(10 * log10(1e-12 + ec / norm));
  rec[PL_DN_T_NOISY_DB] = (float)(10 * log10(1e-12 + en / norm));
}
