/* Recursive decimation-in-time mixed-radix FFT: a length p*m transform is p
 * interleaved length-m transforms combined by radix-p butterflies. Twiddles
 * are tabulated in double and stored as float; the inverse is the
 * conjugate of the forward transform of the conjugate. A real n-point
 * transform packs even/odd samples into one complex n/2-point transform. */
#include "ai/denoise/fft.h"

#include <math.h>
#include <stdlib.h>

struct pl_dn_fft {
  int n;  /* real length */
  int nc; /* complex length n/2 */
  int factors[PL_DN_FFT_MAX_FACTORS];
  int nfactors;
  pl_dn_cpx *tw;   /* e^{-2 pi i j / nc}, j < nc */
  pl_dn_cpx *rtw;  /* e^{-2 pi i k / n}, k < nc: real-transform split */
  pl_dn_cpx *a, *b; /* scratch, nc each */
};

static inline pl_dn_cpx cmul(pl_dn_cpx x, pl_dn_cpx y) {
  pl_dn_cpx r = {x.r * y.r - x.i * y.i, x.r * y.i + x.i * y.r};
  return r;
}

static int factorise(int n, int *f) {
  int k = 0;
  /* Radix 4 first: fewest multiplications per point. */
  while (n % 4 == 0 && k < PL_DN_FFT_MAX_FACTORS) {
    f[k++] = 4;
    n /= 4;
  }
  static const int primes[] = {2, 3, 5};
  for (int j = 0; j < 3; j++)
    while (n % primes[j] == 0 && k < PL_DN_FFT_MAX_FACTORS) {
      f[k++] = primes[j];
      n /= primes[j];
    }
  return n == 1 ? k : -1;
}

pl_dn_fft *pl_dn_fft_new(int n) {
  if (n < 4 || n > (1 << 16) || n % 2)
    return NULL;
  pl_dn_fft *f = calloc(1, sizeof *f);
  if (!f)
    return NULL;
  f->n = n;
  f->nc = n / 2;
  f->nfactors = factorise(f->nc, f->factors);
  f->tw = malloc(sizeof(pl_dn_cpx) * (size_t)f->nc);
  f->rtw = malloc(sizeof(pl_dn_cpx) * (size_t)f->nc);
  f->a = malloc(sizeof(pl_dn_cpx) * (size_t)f->nc);
  f->b = malloc(sizeof(pl_dn_cpx) * (size_t)f->nc);
  if (f->nfactors < 1 || !f->tw || !f->rtw || !f->a || !f->b) {
    pl_dn_fft_free(f);
    return NULL;
  }
  for (int j = 0; j < f->nc; j++) {
    double ph = -2.0 * M_PI * j / f->nc;
    f->tw[j].r = (float)cos(ph);
    f->tw[j].i = (float)sin(ph);
    ph = -2.0 * M_PI * j / n;
    f->rtw[j].r = (float)cos(ph);
    f->rtw[j].i = (float)sin(ph);
  }
  return f;
}

void pl_dn_fft_free(pl_dn_fft *f) {
  if (!f)
    return;
  free(f->tw);
  free(f->rtw);
  free(f->a);
  free(f->b);
  free(f);
}

int pl_dn_fft_size(const pl_dn_fft *f) { return f->n; }

/* out[k + s*m] for s < p from the p length-m sub-transforms in out. */
static void butterfly(const pl_dn_fft *f, pl_dn_cpx *out, int fstride, int p,
                      int m) {
  const pl_dn_cpx *tw = f->tw;
  if (p == 2) {
    for (int k = 0; k < m; k++) {
      pl_dn_cpx a = out[k], b = cmul(out[k + m], tw[k * fstride]);
      out[k].r = a.r + b.r;
      out[k].i = a.i + b.i;
      out[k + m].r = a.r - b.r;
      out[k + m].i = a.i - b.i;
    }
  } else if (p == 4) {
    for (int k = 0; k < m; k++) {
      pl_dn_cpx t0 = out[k];
      pl_dn_cpx t1 = cmul(out[k + m], tw[k * fstride]);
      pl_dn_cpx t2 = cmul(out[k + 2 * m], tw[2 * k * fstride]);
      pl_dn_cpx t3 = cmul(out[k + 3 * m], tw[3 * k * fstride]);
      float s02r = t0.r + t2.r, s02i = t0.i + t2.i;
      float d02r = t0.r - t2.r, d02i = t0.i - t2.i;
      float s13r = t1.r + t3.r, s13i = t1.i + t3.i;
      float d13r = t1.r - t3.r, d13i = t1.i - t3.i;
      /* -i * (t1 - t3) = (d13i, -d13r) */
      out[k].r = s02r + s13r;
      out[k].i = s02i + s13i;
      out[k + m].r = d02r + d13i;
      out[k + m].i = d02i - d13r;
      out[k + 2 * m].r = s02r - s13r;
      out[k + 2 * m].i = s02i - s13i;
      out[k + 3 * m].r = d02r - d13i;
      out[k + 3 * m].i = d02i + d13r;
    }
  } else if (p == 3) {
    const float h = 0.86602540378443864676f; /* sin(2 pi / 3) */
    for (int k = 0; k < m; k++) {
      pl_dn_cpx t0 = out[k];
      pl_dn_cpx t1 = cmul(out[k + m], tw[k * fstride]);
      pl_dn_cpx t2 = cmul(out[k + 2 * m], tw[2 * k * fstride]);
      float sr = t1.r + t2.r, si = t1.i + t2.i;
      float dr = t1.r - t2.r, di = t1.i - t2.i;
      float mr = t0.r - 0.5f * sr, mi = t0.i - 0.5f * si;
      /* -i h d = (h di, -h dr) */
      out[k].r = t0.r + sr;
      out[k].i = t0.i + si;
      out[k + m].r = mr + h * di;
      out[k + m].i = mi - h * dr;
      out[k + 2 * m].r = mr - h * di;
      out[k + 2 * m].i = mi + h * dr;
    }
  } else { /* 5: the plain p x p DFT per k; one stage of a 480-point plan */
    pl_dn_cpx t[5], wp[5];
    int step = f->nc / p;
    for (int q = 0; q < p; q++)
      wp[q] = tw[q * step];
    for (int k = 0; k < m; k++) {
      t[0] = out[k];
      for (int q = 1; q < p; q++)
        t[q] = cmul(out[k + q * m], tw[q * k * fstride]);
      for (int s = 0; s < p; s++) {
        pl_dn_cpx acc = t[0];
        for (int q = 1; q < p; q++) {
          pl_dn_cpx v = cmul(t[q], wp[(q * s) % p]);
          acc.r += v.r;
          acc.i += v.i;
        }
        out[k + s * m] = acc;
      }
    }
  }
}

/* out[0 .. p*m) = DFT of in[0], in[fstride], in[2 fstride], ... */
static void work(const pl_dn_fft *f, pl_dn_cpx *out, const pl_dn_cpx *in,
                 int fstride, const int *factors, int len) {
  int p = factors[0], m = len / p;
  if (m == 1) {
    for (int q = 0; q < p; q++)
      out[q] = in[q * fstride];
  } else {
    for (int q = 0; q < p; q++)
      work(f, out + q * m, in + q * fstride, fstride * p, factors + 1, m);
  }
  butterfly(f, out, fstride, p, m);
}

void pl_dn_fft_complex(const pl_dn_fft *f, const pl_dn_cpx *in, pl_dn_cpx *out,
                       int inverse) {
  if (!inverse) {
    work(f, out, in, 1, f->factors, f->nc);
    return;
  }
  pl_dn_cpx *c = f->b;
  for (int j = 0; j < f->nc; j++) {
    c[j].r = in[j].r;
    c[j].i = -in[j].i;
  }
  work(f, out, c, 1, f->factors, f->nc);
  for (int j = 0; j < f->nc; j++)
    out[j].i = -out[j].i;
}

void pl_dn_fft_forward(pl_dn_fft *f, const float *x, pl_dn_cpx *X) {
  int N = f->nc;
  pl_dn_cpx *z = f->a, *Z = X; /* X has N+1 slots; use it as output */
  for (int t = 0; t < N; t++) {
    z[t].r = x[2 * t];
    z[t].i = x[2 * t + 1];
  }
  work(f, Z, z, 1, f->factors, N);
  /* Split into the transforms of the even (E) and odd (O) samples. Bins k
   * and N-k depend on each other, so process them as pairs. */
  pl_dn_cpx z0 = Z[0];
  X[0].r = z0.r + z0.i;
  X[0].i = 0.0f;
  X[N].r = z0.r - z0.i;
  X[N].i = 0.0f;
  for (int k = 1; k <= N / 2; k++) {
    pl_dn_cpx a = Z[k], b = Z[N - k];
    /* E[k] = (a + conj b)/2, O[k] = (a - conj b)/(2i) */
    float er = 0.5f * (a.r + b.r), ei = 0.5f * (a.i - b.i);
    float or_ = 0.5f * (a.i + b.i), oi = -0.5f * (a.r - b.r);
    pl_dn_cpx w = f->rtw[k];
    float tr = or_ * w.r - oi * w.i, ti = or_ * w.i + oi * w.r;
    /* Bin N-k: E[N-k] = conj E[k], O[N-k] = conj O[k], twiddle
     * e^{-2 pi i (N-k)/n} = -conj(w). */
    float ur = or_ * -w.r - (-oi) * w.i, ui = or_ * w.i + (-oi) * -w.r;
    X[k].r = er + tr;
    X[k].i = ei + ti;
    X[N - k].r = er + ur;
    X[N - k].i = -ei + ui;
  }
}

void pl_dn_fft_inverse(pl_dn_fft *f, const pl_dn_cpx *X, float *x) {
  int N = f->nc;
  pl_dn_cpx *Z = f->a, *z = f->b;
  for (int k = 0; k < N; k++) {
    pl_dn_cpx a = X[k], b = X[N - k];
    if (k == 0) {
      a.i = 0.0f;
      b.i = 0.0f;
    }
    /* E = (a + conj b)/2, O = (a - conj b)/2 * e^{+2 pi i k / n};
     * Z = E + i O, conjugated here for the forward-transform inverse. */
    float er = 0.5f * (a.r + b.r), ei = 0.5f * (a.i - b.i);
    float dr = 0.5f * (a.r - b.r), di = 0.5f * (a.i + b.i);
    pl_dn_cpx w = f->rtw[k]; /* conj(w) is the + twiddle */
    float or_ = dr * w.r + di * w.i, oi = di * w.r - dr * w.i;
    Z[k].r = er - oi;
    Z[k].i = -(ei + or_);
  }
  work(f, z, Z, 1, f->factors, N);
  float s = 1.0f / (float)N;
  for (int t = 0; t < N; t++) {
    x[2 * t] = z[t].r * s;
    x[2 * t + 1] = -z[t].i * s;
  }
}
