/* Iterative radix-2 complex FFT, and the real FFT computed as a half-size
 * complex FFT plus one split pass (the even/odd packing trick), so real
 * signals cost about half. Twiddles are computed once per plan with
 * sin/cos directly (no recurrence) so errors stay at a few ulps. */
#include "audio/metrics/fft.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

struct pl_fft {
  size_t n;       /* real length; the complex core works on n/2 points */
  size_t half;
  double *tw;     /* e^{-2 pi i k / half}, k < half/2, for the core */
  double *split;  /* e^{-2 pi i k / n}, k <= n/4, for the real split pass */
  double *ctw;    /* e^{-2 pi i k / n}, k < n/2, for full-size complex use */
  size_t *rev_half, *rev_full;
};

size_t pl_fft_next_pow2(size_t n) {
  size_t p = 1;
  while (p < n)
    p <<= 1;
  return p;
}

static size_t *bitrev_table(size_t m) {
  size_t *r = malloc(m * sizeof *r);
  if (!r)
    return NULL;
  unsigned bits = 0;
  while (((size_t)1 << bits) < m)
    bits++;
  for (size_t i = 0; i < m; i++) {
    size_t x = i, y = 0;
    for (unsigned b = 0; b < bits; b++) {
      y = (y << 1) | (x & 1);
      x >>= 1;
    }
    r[i] = y;
  }
  return r;
}

static double *twiddles(size_t count, size_t period) {
  double *t = malloc((count ? count : 1) * 2 * sizeof *t);
  if (!t)
    return NULL;
  for (size_t k = 0; k < count; k++) {
    double a = -2.0 * M_PI * (double)k / (double)period;
    t[2 * k] = cos(a);
    t[2 * k + 1] = sin(a);
  }
  return t;
}

pl_fft *pl_fft_new(size_t n) {
  if (n < 2 || n > ((size_t)1 << 26) || (n & (n - 1)))
    return NULL;
  pl_fft *f = calloc(1, sizeof *f);
  if (!f)
    return NULL;
  f->n = n;
  f->half = n / 2;
  f->tw = twiddles(f->half / 2 ? f->half / 2 : 1, f->half);
  f->split = twiddles(n / 4 + 1, n);
  f->ctw = twiddles(n / 2, n);
  f->rev_half = bitrev_table(f->half);
  f->rev_full = bitrev_table(n);
  if (!f->tw || !f->split || !f->ctw || !f->rev_half || !f->rev_full) {
    pl_fft_free(f);
    return NULL;
  }
  return f;
}

void pl_fft_free(pl_fft *f) {
  if (!f)
    return;
  free(f->tw);
  free(f->split);
  free(f->ctw);
  free(f->rev_half);
  free(f->rev_full);
  free(f);
}

size_t pl_fft_size(const pl_fft *f) { return f->n; }

/* Decimation in time on m points; tw holds e^{-2 pi i k / (m * stride)} so
 * the same table serves sizes m and 2m (stride picks every other entry). */
static void core(double *d, size_t m, const size_t *rev, const double *tw,
                 size_t tw_stride, int inverse) {
  for (size_t i = 0; i < m; i++) {
    size_t j = rev[i];
    if (j > i) {
      double tr = d[2 * i], ti = d[2 * i + 1];
      d[2 * i] = d[2 * j];
      d[2 * i + 1] = d[2 * j + 1];
      d[2 * j] = tr;
      d[2 * j + 1] = ti;
    }
  }
  double sgn = inverse ? -1.0 : 1.0;
  for (size_t len = 2; len <= m; len <<= 1) {
    size_t h = len / 2, step = (m / len) * tw_stride;
    for (size_t s = 0; s < m; s += len) {
      for (size_t k = 0; k < h; k++) {
        double wr = tw[2 * k * step], wi = sgn * tw[2 * k * step + 1];
        double *a = d + 2 * (s + k), *b = d + 2 * (s + k + h);
        double xr = b[0] * wr - b[1] * wi, xi = b[0] * wi + b[1] * wr;
        b[0] = a[0] - xr;
        b[1] = a[1] - xi;
        a[0] += xr;
        a[1] += xi;
      }
    }
  }
}

void pl_fft_complex(const pl_fft *f, double *data, int inverse) {
  core(data, f->n, f->rev_full, f->ctw, 1, inverse);
  if (inverse) {
    double s = 1.0 / (double)f->n;
    for (size_t i = 0; i < 2 * f->n; i++)
      data[i] *= s;
  }
}

/* z[t] = x[2t] + i x[2t+1]; Z = FFT_{n/2}(z); then
 * X[k] = (Z[k] + conj Z[h-k])/2 - i/2 W^k (Z[k] - conj Z[h-k]). */
void pl_fft_real_forward(const pl_fft *f, const double *in, double *out) {
  size_t h = f->half;
  for (size_t i = 0; i < 2 * h; i++)
    out[i] = in[i];
  if (h > 1)
    core(out, h, f->rev_half, f->tw, 1, 0);
  double z0r = out[0], z0i = out[1];
  out[0] = z0r + z0i;
  out[1] = 0.0;
  out[2 * h] = z0r - z0i;
  out[2 * h + 1] = 0.0;
  for (size_t k = 1; k <= h / 2; k++) {
    size_t j = h - k;
    double ar = out[2 * k], ai = out[2 * k + 1];
    double br = out[2 * j], bi = -out[2 * j + 1]; /* conj Z[h-k] */
    double er = 0.5 * (ar + br), ei = 0.5 * (ai + bi);
    double dr = 0.5 * (ar - br), di = 0.5 * (ai - bi);
    double wr = f->split[2 * k], wi = f->split[2 * k + 1];
    /* o = -i W^k d */
    double tr = wr * dr - wi * di, ti = wr * di + wi * dr;
    double orr = ti, oi = -tr;
    out[2 * k] = er + orr;
    out[2 * k + 1] = ei + oi;
    if (j != k) {
      /* W^{h-k} = -conj(W^k), so X[h-k] = conj(e - o). */
      out[2 * j] = er - orr;
      out[2 * j + 1] = -(ei - oi);
    }
  }
}

void pl_fft_real_inverse(const pl_fft *f, double *in, double *out) {
  size_t h = f->half;
  /* Undo the split: Z[k] = E[k] + i W^{-k} O'[k] with E and O from X[k]
   * and conj X[h-k]. */
  double x0 = in[0], xh = in[2 * h];
  double z0r = 0.5 * (x0 + xh), z0i = 0.5 * (x0 - xh);
  for (size_t k = 1; k <= h / 2; k++) {
    size_t j = h - k;
    double ar = in[2 * k], ai = in[2 * k + 1];
    double br = in[2 * j], bi = -in[2 * j + 1]; /* conj X[h-k] */
    double er = 0.5 * (ar + br), ei = 0.5 * (ai + bi);
    double dr = 0.5 * (ar - br), di = 0.5 * (ai - bi);
    double wr = f->split[2 * k], wi = -f->split[2 * k + 1]; /* W^{-k} */
    /* o = i W^{-k} d */
    double tr = wr * dr - wi * di, ti = wr * di + wi * dr;
    double orr = -ti, oi = tr;
    in[2 * k] = er + orr;
    in[2 * k + 1] = ei + oi;
    if (j != k) {
      in[2 * j] = er - orr;
      in[2 * j + 1] = -(ei - oi);
    }
  }
  in[0] = z0r;
  in[1] = z0i;
  if (h > 1)
    core(in, h, f->rev_half, f->tw, 1, 1);
  double s = 1.0 / (double)h;
  for (size_t i = 0; i < 2 * h; i++)
    out[i] = in[i] * s;
}
