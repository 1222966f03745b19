/* Short-Time Objective Intelligibility, as Taal, Hendriks, Heusdens and
 * Jensen, "An Algorithm for Intelligibility Prediction of Time-Frequency
 * Weighted Noisy Speech", IEEE TASLP 19(7), 2011, and their reference
 * MATLAB code: 10 kHz, 256-sample Hann frames (the MATLAB hanning(), no
 * zero end points), 50 % overlap, 512-point FFT, 15 one-third-octave bands
 * from 150 Hz, 30-frame segments, clipping at beta = -15 dB, and frames
 * 40 dB below the loudest clean frame removed from both signals first.
 * Where a norm is zero (a band silent over a whole segment) DBL_EPSILON
 * is added, as pystoi does, instead of the MATLAB code's NaN. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/metrics/fft.h"
#include "audio/metrics/metrics.h"
#include "parley.h"

#define FS 10000
#define NFRAME 256
#define HOP 128
#define NFFT 512
#define NBANDS 15
#define MINFREQ 150.0
#define NSEG 30
#define BETA_DB -15.0
#define DYN_RANGE 40.0

static void hann(double *w) {
  for (int k = 0; k < NFRAME; k++)
    w[k] = 0.5 * (1.0 - cos(2.0 * M_PI * (k + 1) / (NFRAME + 1)));
}

/* Frames start every HOP while start + NFRAME < n (MATLAB 1:K:(n-N)). */
static size_t frame_count(size_t n) {
  return n > NFRAME ? (n - NFRAME - 1) / HOP + 1 : 0;
}

/* Drops frames of x more than DYN_RANGE dB below its loudest and
 * overlap-adds the windowed survivors of x and y; returns the new length
 * (0 when nothing is left). */
static size_t remove_silent(const double *x, const double *y, size_t n,
                            const double *w, double *xo, double *yo) {
  size_t frames = frame_count(n);
  if (!frames)
    return 0;
  double *db = malloc(frames * sizeof *db);
  if (!db)
    return 0;
  double max_db = -INFINITY;
  for (size_t f = 0; f < frames; f++) {
    double e = 0.0;
    for (int k = 0; k < NFRAME; k++) {
      double v = x[f * HOP + k] * w[k];
      e += v * v;
    }
    db[f] = 20.0 * log10(sqrt(e) / sqrt((double)NFRAME));
    if (db[f] > max_db)
      max_db = db[f];
  }
  size_t kept = 0;
  if (isfinite(max_db)) {
    memset(xo, 0, n * sizeof *xo);
    memset(yo, 0, n * sizeof *yo);
    for (size_t f = 0; f < frames; f++) {
      if (!(db[f] - max_db + DYN_RANGE > 0.0))
        continue;
      for (int k = 0; k < NFRAME; k++) {
        xo[kept * HOP + k] += x[f * HOP + k] * w[k];
        yo[kept * HOP + k] += y[f * HOP + k] * w[k];
      }
      kept++;
    }
  }
  free(db);
  return kept ? (kept - 1) * HOP + NFRAME : 0;
}

/* One-third-octave band edges in FFT bins, [lo, hi), per the reference
 * thirdoct(): centre 150 * 2^(k/3), edges at the geometric means with the
 * neighbours, each snapped to the nearest bin (first on ties). */
static int third_octaves(int *lo, int *hi) {
  double f[NFFT / 2 + 1];
  for (int k = 0; k <= NFFT / 2; k++)
    f[k] = (double)k * FS / NFFT;
  int rank[NBANDS];
  for (int b = 0; b < NBANDS; b++) {
    double fl = MINFREQ * pow(2.0, (2.0 * b - 1.0) / 6.0);
    double fr = MINFREQ * pow(2.0, (2.0 * b + 1.0) / 6.0);
    int il = 0, ir = 0;
    for (int k = 1; k <= NFFT / 2; k++) {
      if ((f[k] - fl) * (f[k] - fl) < (f[il] - fl) * (f[il] - fl))
        il = k;
      if ((f[k] - fr) * (f[k] - fr) < (f[ir] - fr) * (f[ir] - fr))
        ir = k;
    }
    lo[b] = il;
    hi[b] = ir;
    rank[b] = ir > il ? ir - il : 0;
  }
  /* The reference keeps bands up to the last one that is non-empty and no
   * narrower than the one below (all 15 at 10 kHz). */
  int bands = 0;
  for (int b = 1; b < NBANDS; b++)
    if (rank[b] >= rank[b - 1] && rank[b] != 0)
      bands = b + 1;
  return bands;
}

/* Band envelopes |X_j(m)| of the windowed 512-point STFT, bands x frames. */
static int envelopes(const pl_fft *fft, const double *x, size_t frames,
                     const double *w, const int *lo, const int *hi, int bands,
                     double *env) {
  double buf[NFFT], spec[NFFT + 2];
  for (size_t m = 0; m < frames; m++) {
    memset(buf, 0, sizeof buf);
    for (int k = 0; k < NFRAME; k++)
      buf[k] = x[m * HOP + k] * w[k];
    pl_fft_real_forward(fft, buf, spec);
    for (int b = 0; b < bands; b++) {
      double e = 0.0;
      for (int k = lo[b]; k < hi[b]; k++)
        e += spec[2 * k] * spec[2 * k] + spec[2 * k + 1] * spec[2 * k + 1];
      env[(size_t)b * frames + m] = sqrt(e);
    }
  }
  return 0;
}

static double segment_corr(const double *x, const double *y) {
  const double c = pow(10.0, -BETA_DB / 20.0);
  double ex = 0.0, ey = 0.0;
  for (int i = 0; i < NSEG; i++) {
    ex += x[i] * x[i];
    ey += y[i] * y[i];
  }
  double alpha = sqrt(ex) / (sqrt(ey) + DBL_EPSILON);
  double yp[NSEG], mx = 0.0, my = 0.0;
  for (int i = 0; i < NSEG; i++) {
    yp[i] = fmin(alpha * y[i], x[i] * (1.0 + c));
    mx += x[i];
    my += yp[i];
  }
  mx /= NSEG;
  my /= NSEG;
  double sxx = 0.0, syy = 0.0, sxy = 0.0;
  for (int i = 0; i < NSEG; i++) {
    double a = x[i] - mx, b = yp[i] - my;
    sxx += a * a;
    syy += b * b;
    sxy += a * b;
  }
  return sxy / ((sqrt(sxx) + DBL_EPSILON) * (sqrt(syy) + DBL_EPSILON));
}

int pl_stoi(const float *ref, const float *deg, size_t n, int rate,
            double *out) {
  if (!ref || !deg || !out || n == 0 || rate <= 0)
    return PL_EINVAL;
  float *r10 = NULL, *d10 = NULL;
  size_t n10 = n;
  const float *rs = ref, *ds = deg;
  int err = 0;
  if (rate != FS) {
    size_t nd;
    err = pl_audio_resample_offline(ref, n, rate, FS, &r10, &n10);
    if (!err)
      err = pl_audio_resample_offline(deg, n, rate, FS, &d10, &nd);
    if (err) {
      free(r10);
      return err;
    }
    rs = r10;
    ds = d10;
  }
  double *x = malloc(n10 * sizeof *x), *y = malloc(n10 * sizeof *y);
  double *xs = malloc(n10 * sizeof *xs), *ys = malloc(n10 * sizeof *ys);
  double *ex = NULL, *ey = NULL;
  pl_fft *fft = pl_fft_new(NFFT);
  if (!x || !y || !xs || !ys || !fft) {
    err = PL_ENOMEM;
    goto done;
  }
  for (size_t i = 0; i < n10; i++) {
    x[i] = rs[i];
    y[i] = ds[i];
  }
  double w[NFRAME];
  hann(w);
  size_t len = remove_silent(x, y, n10, w, xs, ys);
  size_t frames = frame_count(len);
  if (frames < NSEG) {
    err = PL_ERANGE;
    goto done;
  }
  int lo[NBANDS], hi[NBANDS];
  int bands = third_octaves(lo, hi);
  ex = malloc((size_t)bands * frames * sizeof *ex);
  ey = malloc((size_t)bands * frames * sizeof *ey);
  if (!ex || !ey) {
    err = PL_ENOMEM;
    goto done;
  }
  envelopes(fft, xs, frames, w, lo, hi, bands, ex);
  envelopes(fft, ys, frames, w, lo, hi, bands, ey);
  double sum = 0.0;
  size_t count = 0;
  for (size_t m = NSEG - 1; m < frames; m++) {
    for (int b = 0; b < bands; b++) {
      size_t at = (size_t)b * frames + m - (NSEG - 1);
      sum += segment_corr(ex + at, ey + at);
      count++;
    }
  }
  *out = sum / (double)count;
done:
  pl_fft_free(fft);
  free(x);
  free(y);
  free(xs);
  free(ys);
  free(ex);
  free(ey);
  free(r10);
  free(d10);
  return err;
}
