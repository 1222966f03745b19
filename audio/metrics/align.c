/* Delay alignment: the cross-correlation c(l) = sum_n ref[n] deg[n + l] for
 * |l| <= max_lag, computed exactly over whole recordings by cutting ref
 * into blocks and summing the blocks' cross-spectra, so one inverse FFT
 * gives c and memory depends on max_lag only. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audio/metrics/fft.h"
#include "audio/metrics/metrics.h"
#include "parley.h"

static double energy_range(const float *x, size_t from, size_t to) {
  double e = 0.0;
  for (size_t i = from; i < to; i++)
    e += (double)x[i] * x[i];
  return e;
}

int pl_audio_align_find(const float *ref, size_t n_ref, const float *deg,
                        size_t n_deg, long max_lag, pl_audio_align *out) {
  if (!ref || !deg || !out || n_ref == 0 || n_deg == 0 || max_lag < 0)
    return PL_EINVAL;
  size_t longest = n_ref > n_deg ? n_ref : n_deg;
  if ((size_t)max_lag > longest)
    max_lag = (long)longest;
  if (energy_range(ref, 0, n_ref) == 0.0 || energy_range(deg, 0, n_deg) == 0.0)
    return PL_ERANGE;

  size_t m = (size_t)max_lag;
  size_t n = pl_fft_next_pow2(4 * (m + 1));
  if (n < 4096)
    n = 4096;
  /* Block b correlates ref[bB, bB+B) with deg[bB-M, bB+B+M): the longest
   * shift k + tau stays below B + 2M <= n, so the circular correlation
   * never wraps into the lags we read. */
  size_t blk = n - 2 * m;
  pl_fft *fft = pl_fft_new(n);
  double *r = malloc(n * sizeof *r), *d = malloc(n * sizeof *d);
  double *rs = malloc((n + 2) * sizeof *rs), *ds = malloc((n + 2) * sizeof *ds);
  double *acc = calloc(n + 2, sizeof *acc), *c = malloc(n * sizeof *c);
  int err = 0;
  if (!fft || !r || !d || !rs || !ds || !acc || !c) {
    err = PL_ENOMEM;
    goto done;
  }
  for (size_t b0 = 0; b0 < n_ref; b0 += blk) {
    memset(r, 0, n * sizeof *r);
    memset(d, 0, n * sizeof *d);
    for (size_t k = 0; k < blk && b0 + k < n_ref; k++)
      r[k] = ref[b0 + k];
    for (size_t k = 0; k < blk + 2 * m; k++) {
      /* deg index b0 - m + k, skipping what lies outside deg */
      if (b0 + k < m)
        continue;
      size_t j = b0 + k - m;
      if (j >= n_deg)
        break;
      d[k] = deg[j];
    }
    pl_fft_real_forward(fft, r, rs);
    pl_fft_real_forward(fft, d, ds);
    for (size_t k = 0; k <= n / 2; k++) {
      double ar = ds[2 * k], ai = ds[2 * k + 1];
      double br = rs[2 * k], bi = -rs[2 * k + 1];
      acc[2 * k] += ar * br - ai * bi;
      acc[2 * k + 1] += ar * bi + ai * br;
    }
  }
  pl_fft_real_inverse(fft, acc, c);
  size_t best = 0;
  for (size_t tau = 1; tau <= 2 * m; tau++) {
    /* Prefer the smallest |lag| among equal peaks (periodic signals). */
    long lt = (long)tau - (long)m, lb = (long)best - (long)m;
    if (c[tau] > c[best] || (c[tau] == c[best] && labs(lt) < labs(lb)))
      best = tau;
  }
  long lag = (long)best - (long)m;
  /* Energies of the parts that overlap at this lag. */
  size_t from = lag < 0 ? (size_t)(-lag) : 0;
  size_t to = n_ref;
  if ((long)n_deg - lag < (long)to)
    to = (long)n_deg - lag > 0 ? (size_t)((long)n_deg - lag) : 0;
  double er = 0.0, ed = 0.0;
  if (to > from) {
    er = energy_range(ref, from, to);
    ed = energy_range(deg, (size_t)((long)from + lag), (size_t)((long)to + lag));
  }
  out->lag = lag;
  out->peak = er > 0.0 && ed > 0.0 ? c[best] / sqrt(er * ed) : 0.0;
done:
  pl_fft_free(fft);
  free(r);
  free(d);
  free(rs);
  free(ds);
  free(acc);
  free(c);
  return err;
}
